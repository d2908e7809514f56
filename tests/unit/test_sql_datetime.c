/* SQL date, timestamp and timestamptz: text input and output, errors, casts,
 * comparisons, now() and friends, tables with keys and indexes, persistence and the ABI
 * view. Expected values are what PostgreSQL 15 prints with DateStyle ISO, MDY and
 * TimeZone UTC. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_io(tw_sql_session *s) {
    QUERY(s, "SELECT '2024-01-31'::date, ' 2024-1-5 '::date, '2024-02-29 23:59'::date",
          "2024-01-31|2024-01-05|2024-02-29");
    QUERY(s,
          "SELECT '2024-01-31 12:34:56.789'::timestamp, '2024-01-31T12:34:56'::timestamp, "
          "'2024-01-31'::timestamp, '2024-01-31 12:34'::timestamp, "
          "'2024-01-31 12:34:56+02'::timestamp",
          "2024-01-31 12:34:56.789|2024-01-31 12:34:56|2024-01-31 00:00:00|2024-01-31 "
          "12:34:00|2024-01-31 12:34:56");
    QUERY(s,
          "SELECT '2024-01-31T12:34:56Z'::timestamptz, '2024-01-31 12:34:56+02'::timestamptz, "
          "'2024-01-31 01:00:00-05:30'::timestamptz, '2024-01-31 12:34:56.5'::timestamptz, "
          "'2024-01-31 00:30:00+0100'::timestamptz",
          "2024-01-31 12:34:56+00|2024-01-31 10:34:56+00|2024-01-31 06:30:00+00|"
          "2024-01-31 12:34:56.5+00|2024-01-30 23:30:00+00");
    QUERY(s,
          "SELECT '2024-01-31 12:34:56.1234567'::timestamp, '2024-01-31 "
          "23:59:59.9999995'::timestamp, "
          "'2024-01-31 24:00:00'::timestamp, '2000-01-01 00:00:00.000001'::timestamp",
          "2024-01-31 12:34:56.123457|2024-02-01 00:00:00|2024-02-01 00:00:00|"
          "2000-01-01 00:00:00.000001");
    QUERY(s,
          "SELECT 'epoch'::date, 'epoch'::timestamp, 'epoch'::timestamptz, 'infinity'::date, "
          "'-infinity'::timestamp, 'Infinity'::timestamptz",
          "1970-01-01|1970-01-01 00:00:00|1970-01-01 00:00:00+00|infinity|-infinity|infinity");
    QUERY(s,
          "SELECT '0001-01-01 BC'::date, '4714-11-24 BC'::date, '1900-02-28'::date, "
          "'1899-12-31 23:59:59'::timestamp, '294276-12-31 23:59:59'::timestamp, "
          "'5874897-12-31'::date, '0044-03-15 BC'::timestamptz",
          "0001-01-01 BC|4714-11-24 BC|1900-02-28|1899-12-31 23:59:59|294276-12-31 23:59:59|"
          "5874897-12-31|0044-03-15 00:00:00+00 BC");
}

static void test_errors(tw_sql_session *s) {
    EXEC_ERR(s, "SELECT 'x'::date", "22007");
    EXEC_ERR(s, "SELECT '2024-01'::date", "22007");
    EXEC_ERR(s, "SELECT '2024-01-31 12'::timestamp", "22007");
    EXEC_ERR(s, "SELECT '2024-01-31 12:34:56 junk'::timestamp", "22007");
    EXEC_ERR(s, "SELECT ''::timestamptz", "22007");
    EXEC_ERR(s, "SELECT '2024-02-30'::date", "22008");
    EXEC_ERR(s, "SELECT '2023-02-29'::date", "22008");
    EXEC_ERR(s, "SELECT '2024-13-01'::date", "22008");
    EXEC_ERR(s, "SELECT '0000-01-01'::date", "22008");
    EXEC_ERR(s, "SELECT '2024-01-31 25:00:00'::timestamp", "22008");
    EXEC_ERR(s, "SELECT '2024-01-31 12:60:00'::timestamp", "22008");
    EXEC_ERR(s, "SELECT '294277-01-01'::timestamp", "22008");
    EXEC_ERR(s, "SELECT '4714-11-23 BC'::date", "22008");
    EXEC_ERR(s, "SELECT '2024-01-31 12:00+16'::timestamptz", "22009");
    EXEC_ERR(s, "SELECT '5874898-01-01'::date::timestamp", "22008");
    EXEC_ERR(s, "SELECT 1::date", "42846");
    EXEC_ERR(s, "SELECT '2024-01-01'::date = 1", "42883");
}

static void test_casts_and_compare(tw_sql_session *s) {
    QUERY(s,
          "SELECT '2024-01-31 23:59:59.9'::timestamp::date, '2024-01-31'::date::timestamp, "
          "'2024-01-31'::date::timestamptz, '2024-01-31 12:00:00+03'::timestamptz::timestamp, "
          "'infinity'::date::timestamp, '1999-12-31 23:00:00'::timestamptz::date",
          "2024-01-31|2024-01-31 00:00:00|2024-01-31 00:00:00+00|2024-01-31 09:00:00|infinity|"
          "1999-12-31");
    QUERY(s,
          "SELECT '2024-01-31'::date::text, '2024-01-31 01:02:03'::timestamptz::text, "
          "cast('2024-01-31 01:02:03.5' as timestamp without time zone), "
          "cast('2024-01-31 01:02:03' as timestamp with time zone)",
          "2024-01-31|2024-01-31 01:02:03+00|2024-01-31 01:02:03.5|2024-01-31 01:02:03+00");
    QUERY(s,
          "SELECT '2024-01-31'::date < '2024-02-01'::date, '2024-01-31'::date = "
          "'2024-01-31 00:00'::timestamp, '2024-01-31'::date < '2024-01-31 00:00:01'::timestamptz, "
          "'2024-01-31 10:00+00'::timestamptz = '2024-01-31 12:00+02'::timestamptz, "
          "'infinity'::date > '294276-01-01'::timestamp, '-infinity'::timestamp < '4714-11-24 "
          "BC'::date",
          "t|t|t|t|t|t");
    QUERY(s,
          "SELECT '2024-01-31'::date = '2024-01-31', '2024-01-31 12:00'::timestamp > '2024-01-31', "
          "'2024-01-31'::date IN ('2024-01-30', '2024-01-31'), "
          "CASE WHEN true THEN '2024-01-01'::date END, coalesce(NULL, '2024-01-01'::timestamp)",
          "t|t|t|2024-01-01|2024-01-01 00:00:00");
}

static void test_now(tw_sql_session *s) {
    QUERY(s,
          "SELECT now() = current_timestamp, now() = transaction_timestamp(), "
          "localtimestamp = now()::timestamp, current_date = now()::date, "
          "now() > '2024-01-01'::timestamptz",
          "t|t|t|t|t");
    /* stable within a transaction block, as in PostgreSQL */
    EXEC_OK(s, "CREATE TABLE nt (i int, t timestamptz)");
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO nt VALUES (1, now())");
    EXEC_OK(s, "SELECT count(*) FROM nt WHERE i > 0 AND i < 100");
    EXEC_OK(s, "INSERT INTO nt VALUES (2, current_timestamp)");
    QUERY(s, "SELECT count(DISTINCT t), min(t) = now() FROM nt", "1|t");
    EXEC_OK(s, "COMMIT");
    EXEC_OK(s, "INSERT INTO nt VALUES (3, now())");
    /* DEFAULT now() and friends: the inserting transaction's time, per statement */
    EXEC_OK(s, "CREATE TABLE dn (i int, a timestamptz DEFAULT now(), b date DEFAULT current_date, "
               "c timestamp DEFAULT CURRENT_TIMESTAMP, d timestamptz DEFAULT localtimestamp)");
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO dn (i) VALUES (1), (2)");
    EXEC_OK(s, "INSERT INTO dn (i) SELECT 3");
    QUERY(s,
          "SELECT count(*), min(a) = now(), max(a) = now(), min(b) = current_date, "
          "min(c) = localtimestamp, max(d) = now() FROM dn",
          "3|t|t|t|t|t");
    EXEC_OK(s, "COMMIT");
    EXEC_OK(s, "INSERT INTO dn (i) VALUES (4)");
    QUERY(s, "SELECT count(DISTINCT a) BETWEEN 1 AND 2, count(*) FROM dn WHERE a <= now()", "t|4");
    EXEC_ERR(s, "CREATE TABLE dn2 (a int DEFAULT now())", "42804");
    EXEC_ERR(s, "CREATE TABLE dn2 (a date DEFAULT now()::date)", "0A000");
    EXEC_ERR(s, "ALTER TABLE dn ADD COLUMN e timestamptz DEFAULT now()", "0A000");
    QUERY(s, "SELECT count(*) FROM nt WHERE t <= now()", "3");
    {
        tw_err err;
        tw_err_clear(&err);
        char out[256];
        int rc = sqlt_query(s, "SELECT now(), current_date, localtimestamp", out, sizeof out, &err);
        CHECK(rc == 0);
        /* 'YYYY-MM-DD HH:MM:SS[.ffffff]+00|YYYY-MM-DD|...' */
        CHECK(strlen(out) > 40 && out[4] == '-' && out[10] == ' ' && strstr(out, "+00|"));
    }
}

static void test_arith_and_parts(tw_sql_session *s) {
    QUERY(s,
          "SELECT '2024-01-31'::date + 1, 1 + '2024-02-28'::date, '2024-03-01'::date - 1, "
          "'2024-03-01'::date - '2024-01-01'::date, '2024-03-01'::date - '2024-01-01', "
          "'infinity'::date + 1, '2024-01-01'::date - '2024-03-01'::date",
          "2024-02-01|2024-02-29|2024-02-29|60|60|infinity|-60");
    EXEC_ERR(s, "SELECT '5874897-12-31'::date + 1", "22008");
    EXEC_ERR(s, "SELECT 'infinity'::date - '2024-01-01'::date", "22008");
    EXEC_ERR(s, "SELECT '2024-01-01'::date + 1::bigint", "42883");
    EXEC_ERR(s, "SELECT '2024-01-01'::date + '2024-01-01'::date", "42883");
    EXEC_ERR(s, "SELECT '2024-01-01'::timestamp + 1", "42883");
    QUERY(s,
          "SELECT extract(year from '2024-01-31 12:34:56.789'::timestamp), "
          "extract(second from '2024-01-31 12:34:56.789'::timestamp), "
          "extract(epoch from '2024-01-31 12:34:56.789'::timestamp), "
          "extract(dow from '2024-01-31'::date), extract(doy from '2024-12-31'::date), "
          "extract(epoch from '2024-01-31'::date), "
          "extract(month from timestamptz '2024-05-01 00:00+05'), "
          "extract(hour from '2024-01-31 23:59:59'::timestamptz), "
          "extract(minute from '2024-01-31 23:59:59'::timestamp), "
          "extract(day from '2024-02-29'::date)",
          "2024|56.789000|1706704496.789000|3|366|1706659200|4|23|59|29");
    QUERY(s,
          "SELECT date_part('year', '2024-01-31 12:34:56.789'::timestamp), "
          "date_part('second', '2024-01-31 12:34:56.789'::timestamp), "
          "date_part('epoch', '2024-01-31 12:34:56.789'::timestamp), "
          "date_part('hour', '2024-01-31'::date), "
          "date_part('milliseconds', '2024-01-31 12:34:56.789'::timestamp), "
          "date_part('week', '2024-01-01'::date), extract(week from '2021-01-01'::date), "
          "extract(year from '0001-01-01 BC'::date), date_part('DOW', '2024-02-04'::date), "
          "extract(quarter from '2024-08-01'::date), date_part('month', 'infinity'::timestamp)",
          "2024|56.789|1706704496.789|0|56789|1|53|-1|0|3|NULL");
    QUERY(s,
          "SELECT extract(epoch from '1970-01-01 00:00:01+00'::timestamptz), "
          "date_part('epoch', '1969-12-31 23:59:59.5'::timestamp)",
          "1.000000|-0.5");
    EXEC_ERR(s, "SELECT extract(hour from '2024-01-31'::date)", "0A000");
    EXEC_ERR(s, "SELECT date_part('fortnight', now())", "22023");
    EXEC_ERR(s, "SELECT date_part('year', 5)", "42883");
    QUERY(s,
          "SELECT date_trunc('day', '2024-01-31 12:34:56.789'::timestamp), "
          "date_trunc('hour', '2024-01-31 12:34:56.789'::timestamptz), "
          "date_trunc('month', '2024-01-31'::date), "
          "date_trunc('week', '2024-01-31 12:00'::timestamp), "
          "date_trunc('quarter', '2024-05-31 12:00'::timestamp), "
          "date_trunc('year', '2024-05-31 12:00'::timestamp), "
          "date_trunc('second', '2024-01-31 12:34:56.789'::timestamp), "
          "date_trunc('DAY', '-infinity'::timestamp), "
          "date_trunc('minute', '1999-12-31 23:59:59.999'::timestamp), "
          "date_trunc('milliseconds', '2024-01-31 12:34:56.789123'::timestamp)",
          "2024-01-31 00:00:00|2024-01-31 12:00:00+00|2024-01-01 00:00:00+00|"
          "2024-01-29 00:00:00|2024-04-01 00:00:00|2024-01-01 00:00:00|2024-01-31 12:34:56|"
          "-infinity|1999-12-31 23:59:00|2024-01-31 12:34:56.789");
    EXEC_ERR(s, "SELECT date_trunc('epoch', now())", "22023");
    EXEC_OK(s, "CREATE TABLE tg (d timestamp)");
    EXEC_OK(s, "INSERT INTO tg VALUES ('2024-01-01 10:00'), ('2024-01-01 11:00'), ('2024-01-02')");
    QUERY(s, "SELECT date_trunc('day', d), count(*) FROM tg GROUP BY 1 ORDER BY 1",
          "2024-01-01 00:00:00|2\n2024-01-02 00:00:00|1");
}

static void test_interval(tw_sql_session *s) {
    QUERY(s,
          "SELECT '1 day 02:03:04'::interval, '3 mons'::interval, '1 year 2 mons'::interval, "
          "'0'::interval, '-1 days +01:00'::interval, '1 day -1 hour'::interval, "
          "'1.5 hours'::interval, '1.5 years'::interval, '@ 1 day ago'::interval, "
          "'25:00:00'::interval, '90 minutes'::interval, '1 week'::interval, "
          "'0.5 mon'::interval, '-00:00:01.5'::interval, '2 days 1 mon'::interval, '10'::interval",
          "1 day 02:03:04|3 mons|1 year 2 mons|00:00:00|-1 days +01:00:00|1 day -01:00:00|"
          "01:30:00|1 year 6 mons|-1 days|25:00:00|01:30:00|7 days|15 days|-00:00:01.5|"
          "1 mon 2 days|00:00:10");
    EXEC_ERR(s, "SELECT '1 fortnight'::interval", "22007");
    EXEC_ERR(s, "SELECT ''::interval", "22007");
    EXEC_ERR(s, "SELECT '1 day ago 2'::interval", "22007");
    EXEC_ERR(s, "SELECT '2147483648 days'::interval", "22008");
    QUERY(s,
          "SELECT '2024-01-31 12:00'::timestamp + '1 mon'::interval, "
          "'2024-01-31'::date + '1 day'::interval, "
          "'2024-03-01 00:00'::timestamp - '2024-01-01 12:00'::timestamp, now() - now(), "
          "'2024-01-31 12:00+00'::timestamptz - '1 hour'::interval, "
          "'2024-01-31 12:00'::timestamp + '1 day', -'1 day 01:00'::interval, "
          "'1 mon'::interval = '30 days', '1 day'::interval < '25 hours', "
          "'1 mon'::interval + '1 day 01:00', '2024-02-29'::date - '1 year'::interval",
          "2024-02-29 12:00:00|2024-02-01 00:00:00|59 days 12:00:00|00:00:00|"
          "2024-01-31 11:00:00+00|2024-02-01 12:00:00|-1 days -01:00:00|t|t|"
          "1 mon 1 day 01:00:00|2023-02-28 00:00:00");
    QUERY(s,
          "SELECT '1 day'::interval + '2024-01-01'::timestamptz, '2024-01-01'::timestamp - "
          "'2024-01-02 01:00'::timestamp, '2024-01-01 10:00'::timestamp - '2024-01-01'::date, "
          "'infinity'::timestamp + '1 day'::interval, '2 mons'::interval - '3 mons 1 day'",
          "2024-01-02 00:00:00+00|-1 days -01:00:00|10:00:00|infinity|-1 mons -1 days");
    EXEC_ERR(s, "SELECT '294276-12-31'::timestamp + '1 day'::interval", "22008");
    EXEC_ERR(s, "SELECT 'infinity'::timestamp - '2024-01-01'::timestamp", "22008");
    EXEC_ERR(s, "SELECT '1 day'::interval - '2024-01-01'::timestamp", "42883");
    EXEC_ERR(s, "SELECT '1 day'::interval + 1", "42883");
    EXEC_OK(s, "CREATE TABLE iv (k interval PRIMARY KEY, v interval)");
    EXEC_OK(s, "CREATE INDEX iv_v ON iv (v)");
    EXEC_OK(s, "INSERT INTO iv VALUES ('1 day', '-1 days +02:00'), ('1 mon', '1 year'), "
               "('00:00:01', NULL), ('-3 days', '00:00:00.000001')");
    EXEC_ERR(s, "INSERT INTO iv VALUES ('30 days', NULL)", "23505");
    QUERY(s, "SELECT k FROM iv ORDER BY k", "-3 days\n00:00:01\n1 day\n1 mon");
    QUERY(s, "SELECT k FROM iv WHERE v > '0' ORDER BY v", "-3 days\n1 mon");
    QUERY(s, "SELECT v FROM iv WHERE k = '24:00:00'", "-1 days +02:00:00");
    QUERY(s, "SELECT '2024-01-01'::date + k FROM iv WHERE k > '1 day'", "2024-02-01 00:00:00");
}

static void test_tables(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE ev (d date PRIMARY KEY, ts timestamp, tz timestamptz NOT NULL)");
    EXEC_OK(s, "CREATE INDEX ev_ts ON ev (ts)");
    EXEC_OK(s, "INSERT INTO ev VALUES ('2024-01-31', '2024-01-31 12:00', '2024-01-31 12:00+01'), "
               "('1999-12-31', '1999-12-31 23:59:59.999999', '1999-12-31 23:59:59Z'), "
               "('infinity', NULL, '-infinity'), ('0100-03-01 BC', '0100-03-01 00:00 BC', "
               "'0100-03-01 12:00 BC'), ('2000-01-01', '2000-01-01', '2000-01-01')");
    EXEC_ERR(s, "INSERT INTO ev VALUES ('2024-01-31', NULL, now())", "23505");
    EXEC_ERR(s, "INSERT INTO ev VALUES ('2024-02-31', NULL, now())", "22008");
    EXEC_ERR(s, "INSERT INTO ev VALUES (now(), NULL, 'x')", "22007");
    QUERY(s, "SELECT d FROM ev ORDER BY d",
          "0100-03-01 BC\n1999-12-31\n2000-01-01\n2024-01-31\ninfinity");
    QUERY(s, "SELECT ts FROM ev ORDER BY ts DESC NULLS LAST",
          "2024-01-31 12:00:00\n2000-01-01 00:00:00\n1999-12-31 23:59:59.999999\n"
          "0100-03-01 00:00:00 BC\nNULL");
    QUERY(s, "SELECT tz FROM ev ORDER BY tz",
          "-infinity\n0100-03-01 12:00:00+00 BC\n1999-12-31 23:59:59+00\n2000-01-01 00:00:00+00\n"
          "2024-01-31 11:00:00+00");
    QUERY(s, "SELECT d FROM ev WHERE d = '2024-01-31'", "2024-01-31");
    QUERY(s, "SELECT d FROM ev WHERE d > '2000-01-01' ORDER BY d", "2024-01-31\ninfinity");
    QUERY(s, "SELECT d FROM ev WHERE ts = '2000-01-01'::date", "2000-01-01");
    QUERY(s, "SELECT d FROM ev WHERE ts >= '2000-01-01' AND ts < '2024-02-01' ORDER BY ts",
          "2000-01-01\n2024-01-31");
    QUERY(s, "SELECT d FROM ev WHERE tz = '2024-01-31 13:00:00+02'", "2024-01-31");
    EXEC_OK(s, "UPDATE ev SET ts = d WHERE d = '2024-01-31'");
    QUERY(s, "SELECT ts FROM ev WHERE d = '2024-01-31'", "2024-01-31 00:00:00");
    EXEC_OK(s, "CREATE TABLE ev2 (t text, v varchar(30))");
    EXEC_OK(s, "INSERT INTO ev2 SELECT d, tz FROM ev WHERE d = '2024-01-31'");
    QUERY(s, "SELECT t, v FROM ev2", "2024-01-31|2024-01-31 11:00:00+00");
    EXEC_ERR(s, "INSERT INTO ev (d, tz) VALUES (1, now())", "42804");
}

static void test_abi(tw_sql_session *s) {
    tw_sql_stmt *st = NULL;
    tw_err err;
    tw_err_clear(&err);
    const char *sql = "SELECT '2024-01-31'::date, '2024-01-31 12:34:56.789'::timestamp, "
                      "'2024-01-31 12:34:56.789'::timestamptz, '1 day'::interval";
    size_t used = 0;
    int rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    int32_t mod = 0;
    CHECK(tw_sql_column_pgtype(st, 0, &mod) == 1082 && mod == -1);
    CHECK(tw_sql_column_pgtype(st, 1, &mod) == 1114);
    CHECK(tw_sql_column_pgtype(st, 2, &mod) == 1184);
    CHECK(tw_sql_column_pgtype(st, 3, &mod) == 1186);
    for (int i = 0; i < 4; i++) CHECK(tw_sql_column_decltype(st, i) == TWILL_TYPE_TEXT);
    static const char *const want[4] = {"2024-01-31", "2024-01-31 12:34:56.789",
                                        "2024-01-31 12:34:56.789+00", "1 day"};
    for (int i = 0; i < 4; i++) {
        tw_sql_arg a;
        tw_sql_column_value(st, i, &a);
        CHECK(a.type == TWILL_TYPE_TEXT && a.len == strlen(want[i]) &&
              !memcmp(a.p, want[i], a.len));
    }
    tw_sql_finalize(st);
    /* a text parameter meeting a date */
    st = NULL;
    sql = "SELECT $1::date, $2::timestamptz > '2024-01-01'";
    rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    tw_sql_arg p1 = {.type = TWILL_TYPE_TEXT, .p = "2024-03-01", .len = 10};
    tw_sql_arg p2 = {.type = TWILL_TYPE_TEXT, .p = "2024-03-01 10:00+05", .len = 19};
    CHECK(!tw_sql_bind(st, 1, &p1, &err) && !tw_sql_bind(st, 2, &p2, &err));
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    size_t n = 0;
    const char *t = tw_sql_column_text(st, 0, &n);
    CHECK(t && !strcmp(t, "2024-03-01"));
    t = tw_sql_column_text(st, 1, &n);
    CHECK(t && !strcmp(t, "t"));
    tw_sql_finalize(st);
}

static void test_persistence(tw_sql_session *s) {
    tw_sql_session_close(s);
    if (sqlt_reopen(&D)) {
        CHECK(0);
        return;
    }
    s = sqlt_session(&D);
    CHECK(s != NULL);
    if (!s) return;
    QUERY(s, "SELECT d, ts, tz FROM ev WHERE d < '2000-01-01' ORDER BY d",
          "0100-03-01 BC|0100-03-01 00:00:00 BC|0100-03-01 12:00:00+00 BC\n"
          "1999-12-31|1999-12-31 23:59:59.999999|1999-12-31 23:59:59+00");
    QUERY(s, "SELECT count(*) FROM ev WHERE ts > '1000-01-01'", "3");
    EXEC_OK(s, "INSERT INTO dn (i) VALUES (5)");
    QUERY(s, "SELECT a IS NOT NULL, b = current_date FROM dn WHERE i = 5", "t|t");
    QUERY(s, "SELECT k, v FROM iv WHERE k < '1 day' ORDER BY k",
          "-3 days|00:00:00.000001\n00:00:01|NULL");
    tw_sql_session_close(s);
}

int main(void) {
    if (sqlt_create(&D, "sqldatetime")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    if (!s) return 1;
    test_io(s);
    test_errors(s);
    test_casts_and_compare(s);
    test_now(s);
    test_arith_and_parts(s);
    test_interval(s);
    test_tables(s);
    test_abi(s);
    test_persistence(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
