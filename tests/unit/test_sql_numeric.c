/* SQL numeric: literals, arithmetic and its result scales, functions, casts, typmods,
 * aggregates, indexes, persistence and the ABI view. Expected values are what
 * PostgreSQL 15 prints for the same statements (checked by hand against a server). */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_literals_and_arith(tw_sql_session *s) {
    QUERY(s, "SELECT 0.1 + 0.2", "0.3");
    QUERY(s,
          "SELECT 1.50, 0.0, -0.0, 007.10, .5, 5., 1e3, 1.5e-3, 2.5E+2, "
          "12345678901234567890123",
          "1.50|0.0|0.0|7.10|0.5|5|1000|0.0015|250|12345678901234567890123");
    QUERY(s, "SELECT 1.0/3, 2/3.0, 10.0/4, 1/7.0, 100.0/3, 0.001/3, 123456789.0/7, 1.00/1.00",
          "0.33333333333333333333|0.66666666666666666667|2.5000000000000000|"
          "0.14285714285714285714|33.3333333333333333|0.00033333333333333333|"
          "17636684.142857142857|1.00000000000000000000");
    QUERY(s, "SELECT 1.5 + 1.25, 1.5 - 1.25, 1.5 * 1.25, -1.5 * 2, 10 % 3.5, -10.5 % 3, 7.5 % -2",
          "2.75|0.25|1.875|-3.0|3.0|-1.5|1.5");
    QUERY(s, "SELECT 1.0 = 1.00, 1.1 > 1.09, -0.5 < 0, 2 = 2.0, 2.5 > 2, 1.5 < 1.6::float8",
          "t|t|t|t|t|t");
    QUERY(s, "SELECT abs(-2.50), -(1.5), - -1.5, 1.5 + 1, 1 + 1.5::float8",
          "2.50|-1.5|1.5|2.5|2.5");
    QUERY(s,
          "SELECT 1.5 BETWEEN 1 AND 2, 1.5 IN (1.50, 2), coalesce(NULL, 1.5), "
          "CASE WHEN true THEN 1.5 ELSE 2 END",
          "t|t|1.5|1.5");
    QUERY(s, "SELECT 99999999999999999999999999999999999.0 + 0, 0.00000000000000000001 / 3",
          "99999999999999999999999999999999999.0|0.0000000000000000000033333333333333333333");
    /* integer arithmetic is untouched */
    QUERY(s, "SELECT 7/2, 7 % 3, -7/2, 2147483647::bigint + 1", "3|1|-3|2147483648");
    /* a float operand makes the result float8 */
    QUERY(s, "SELECT 0.1::float8 + 0.2, 0.1 + 0.2::float8",
          "0.30000000000000004|0.30000000000000004");
}

static void test_functions_and_casts(tw_sql_session *s) {
    QUERY(s,
          "SELECT round(2.5), round(-2.5), round(1.2345, 2), round(1.5, 3), round(1234.5, -2), "
          "round(0.5), round(-0.4)",
          "3|-3|1.23|1.500|1200|1|0");
    QUERY(s,
          "SELECT trunc(1.999, 1), trunc(-1.999), ceil(1.1), ceil(-1.1), floor(-1.1), floor(1.9), "
          "ceiling(0.1)",
          "1.9|-1|2|-1|-2|1|1");
    /* the one-argument float8 forms (round is half to even) */
    QUERY(s,
          "SELECT round(2.5::float8), ceil(1.5::float8), floor(-2.5::float8), trunc(2.7::float8), "
          "round(7, 1)",
          "2|2|-3|2|7.0");
    QUERY(s,
          "SELECT 2.5::int, (-2.5)::int, 3.49::bigint, 1.5::float8, '12.340'::numeric, "
          "' -1.5e2 '::numeric",
          "3|-3|3|1.5|12.340|-150");
    QUERY(s,
          "SELECT 3::numeric / 7, 1.5::text, 0.1::float8::numeric, 1e20::float8::numeric, "
          "10::numeric(5,2), CAST(2 AS decimal)",
          "0.42857142857142857143|1.5|0.1|100000000000000000000|10.00|2");
    QUERY(s,
          "SELECT 123.456::numeric(5,2), 0.005::numeric(3,2), -0.005::numeric(3,2), "
          "99.994::numeric(4,2)",
          "123.46|0.01|-0.01|99.99");
    QUERY(s, "SELECT round(NULL::numeric, 2), NULL::numeric + 1", "NULL|NULL");
}

static void test_errors(tw_sql_session *s) {
    EXEC_ERR(s, "SELECT 1.0/0", "22012");
    EXEC_ERR(s, "SELECT 1 / 0.0", "22012");
    EXEC_ERR(s, "SELECT 5.5 % 0", "22012");
    EXEC_ERR(s, "SELECT 99.995::numeric(4,2)", "22003");
    EXEC_ERR(s, "SELECT 1000::numeric(3)", "22003");
    EXEC_ERR(s, "SELECT 2147483647.5::int", "22003");
    EXEC_ERR(s, "SELECT 32767.5::smallint", "22003");
    EXEC_ERR(s, "SELECT 9223372036854775807.5::bigint", "22003");
    EXEC_ERR(s, "SELECT 'abc'::numeric", "22P02");
    EXEC_ERR(s, "SELECT '1.2.3'::numeric", "22P02");
    EXEC_ERR(s, "SELECT '1e'::numeric", "22P02");
    EXEC_ERR(s, "SELECT ''::numeric", "22P02");
    EXEC_ERR(s, "SELECT 'NaN'::numeric", "0A000");
    EXEC_ERR(s, "SELECT 'NaN'::float8::numeric", "0A000");
    EXEC_ERR(s, "SELECT 1::numeric(0)", "22023");
    EXEC_ERR(s, "SELECT 1::numeric(50,2)", "0A000");
    EXEC_ERR(s, "SELECT 1.5 % 1.5::float8", "42883");
    EXEC_ERR(s, "SELECT round(1.5::float8, 1)", "42883");
    EXEC_ERR(s, "SELECT round('a'::text)", "42883");
    /* beyond the 38-digit limit: an error, never lost digits */
    EXEC_ERR(s, "SELECT 123456789012345678901234567890123456789", "22003");
    EXEC_ERR(s, "SELECT 10000000000000000000.0 * 10000000000000000000.0", "22003");
    EXEC_ERR(s, "SELECT 99999999999999999999999999999999999999 + 1", "22003");
    QUERY(s, "SELECT 99999999999999999999999999999999999999",
          "99999999999999999999999999999999999999");
}

static void test_tables(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE m (id numeric(10,2) PRIMARY KEY, v numeric, i int, b bigint)");
    EXEC_OK(s, "INSERT INTO m VALUES (1.005, 1, 1, 10), (2, 2.5, 2, 20), (-3.1, 0.001, 3, 30), "
               "(10, NULL, 4, 40), (0.5, 7.25, NULL, NULL)");
    EXEC_OK(s, "CREATE INDEX m_v ON m (v)");
    QUERY(s, "SELECT * FROM m ORDER BY id",
          "-3.10|0.001|3|30\n0.50|7.25|NULL|NULL\n1.01|1|1|10\n2.00|2.5|2|20\n10.00|NULL|4|40");
    QUERY(s, "SELECT id FROM m WHERE id > 1.5 ORDER BY id DESC", "10.00\n2.00");
    QUERY(s, "SELECT id FROM m WHERE id BETWEEN 0 AND 2 ORDER BY id", "0.50\n1.01\n2.00");
    QUERY(s, "SELECT v FROM m WHERE v >= 1 ORDER BY v", "1\n2.5\n7.25");
    QUERY(s, "SELECT v FROM m WHERE v = 2.50", "2.5");
    QUERY(s, "SELECT id FROM m WHERE id = 2", "2.00");
    QUERY(s, "SELECT id FROM m WHERE id = 2.001", "");
    QUERY(s,
          "SELECT sum(v), avg(v), sum(id), avg(id), sum(i), avg(i), sum(b), avg(b), min(v), "
          "max(id) FROM m",
          "10.751|2.6877500000000000|10.41|2.0820000000000000|10|2.5000000000000000|100|"
          "25.0000000000000000|0.001|10.00");
    QUERY(s, "SELECT i, v * 2, v + i, i / 2.0 FROM m ORDER BY i",
          "1|2|2|0.50000000000000000000\n2|5.0|4.5|1.00000000000000000000\n"
          "3|0.002|3.001|1.5000000000000000\n4|NULL|NULL|2.0000000000000000\n"
          "NULL|14.50|NULL|NULL");
    /* equal values conflict in a key whatever their scale (1.0 = 1.00) */
    EXEC_ERR(s, "INSERT INTO m VALUES (2.0)", "23505");
    EXEC_ERR(s, "INSERT INTO m VALUES (123456789.999)", "22003");
    EXEC_OK(s, "CREATE UNIQUE INDEX m_b ON m (b)");
    QUERY(s, "UPDATE m SET v = v * 1.10 WHERE v IS NOT NULL RETURNING id, v",
          "-3.10|0.00110\n0.50|7.9750\n1.01|1.10\n2.00|2.750");
    QUERY(s, "SELECT count(*) FROM m WHERE v > 2.5", "2");
    /* the key order holds across signs, magnitudes and scales */
    EXEC_OK(s, "CREATE TABLE k (x numeric PRIMARY KEY)");
    EXEC_OK(s, "INSERT INTO k VALUES (-100), (-2.5), (-2.25), (-0.001), (0), (0.001), (0.01), "
               "(1), (1.5), (9.99), (10), (100.5), (1e30), (-1e30)");
    QUERY(s, "SELECT x FROM k WHERE x > -3 AND x < 10 ORDER BY x",
          "-2.5\n-2.25\n-0.001\n0\n0.001\n0.01\n1\n1.5\n9.99");
    QUERY(s, "SELECT count(*) FROM k WHERE x >= -1e30", "14");
    QUERY(s, "SELECT x FROM k WHERE x = 1.50", "1.5");
    /* an integer parameter probes a numeric key */
    QUERY(s, "SELECT x FROM k WHERE x = 10", "10");
    EXEC_OK(s, "CREATE TABLE ik (a int PRIMARY KEY)");
    EXEC_OK(s, "INSERT INTO ik VALUES (1), (2), (3)");
    QUERY(s, "SELECT a FROM ik WHERE a = 2.0", "2");
    QUERY(s, "SELECT a FROM ik WHERE a = 2.5", "");
    QUERY(s, "SELECT a FROM ik WHERE a > 1.5 ORDER BY a", "2\n3");
}

static void test_abi(tw_sql_session *s) {
    tw_sql_stmt *st = NULL;
    tw_err err;
    tw_err_clear(&err);
    const char *sql = "SELECT 1.50::numeric(6,2), 2.5";
    size_t used = 0;
    int rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    int32_t mod = 0;
    CHECK(tw_sql_column_pgtype(st, 0, &mod) == 1700 && mod == ((6 << 16) | 2) + 4);
    CHECK(tw_sql_column_pgtype(st, 1, &mod) == 1700 && mod == -1);
    CHECK(tw_sql_column_decltype(st, 0) == TWILL_TYPE_TEXT);
    tw_sql_arg a;
    tw_sql_column_value(st, 0, &a);
    CHECK(a.type == TWILL_TYPE_TEXT && a.len == 4 && !memcmp(a.p, "1.50", 4));
    size_t n = 0;
    const char *t = tw_sql_column_text(st, 1, &n);
    CHECK(t && n == 3 && !strcmp(t, "2.5"));
    tw_sql_finalize(st);
    /* parameters: a double binds through its 15-digit form, text and integers exactly */
    st = NULL;
    sql = "SELECT $1::numeric + 0.2, $2 + 1.5, $3 * 2.00, $1 + 1";
    rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    tw_sql_arg p1 = {.type = TWILL_TYPE_DOUBLE, .d = 0.1};
    tw_sql_arg p2 = {.type = TWILL_TYPE_INT64, .i = 2};
    tw_sql_arg p3 = {.type = TWILL_TYPE_TEXT, .p = "1.25", .len = 4};
    CHECK(!tw_sql_bind(st, 1, &p1, &err) && !tw_sql_bind(st, 2, &p2, &err) &&
          !tw_sql_bind(st, 3, &p3, &err));
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    const char *want[] = {"0.3", "3.5", "2.5000", "1.1"};
    for (int i = 0; i < 4; i++) {
        t = tw_sql_column_text(st, i, &n);
        CHECK(t && !strcmp(t, want[i]));
        if (t && strcmp(t, want[i])) fprintf(stderr, "  param column %d: %s\n", i, t);
    }
    tw_sql_finalize(st);
}

static void test_persistence(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE p (id int PRIMARY KEY, amount numeric(12,3), x numeric)");
    EXEC_OK(s, "CREATE INDEX p_amount ON p (amount)");
    EXEC_OK(s, "INSERT INTO p VALUES (1, 12.5, -0.000000000000000000001), (2, -7, "
               "12345678901234567890.123456789), (3, NULL, 0)");
    tw_sql_session_close(s);
    if (sqlt_reopen(&D)) {
        CHECK(0);
        return;
    }
    s = sqlt_session(&D);
    CHECK(s != NULL);
    if (!s) return;
    QUERY(s, "SELECT * FROM p ORDER BY id",
          "1|12.500|-0.000000000000000000001\n2|-7.000|12345678901234567890.123456789\n3|NULL|0");
    QUERY(s, "SELECT id FROM p WHERE amount < 0", "2");
    QUERY(s, "SELECT id, amount FROM p ORDER BY amount", "2|-7.000\n1|12.500\n3|NULL");
    QUERY(s, "SELECT sum(amount) FROM p", "5.500");
    tw_sql_session_close(s);
}

int main(void) {
    if (sqlt_create(&D, "sqlnumeric")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    if (!s) return 1;
    test_literals_and_arith(s);
    test_functions_and_casts(s);
    test_errors(s);
    test_tables(s);
    test_abi(s);
    test_persistence(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
