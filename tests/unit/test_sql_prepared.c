/* SQL layer: error paths (positions, limits), placeholders and binding, column
 * metadata, indexes and access paths. */
#include "lib_sqltest.h"

#include <stdlib.h>
#include <string.h>

static sqlt_db D;

static tw_sql_stmt *prep(tw_sql_session *s, const char *sql, tw_err *err) {
    tw_sql_stmt *st = NULL;
    size_t used;
    tw_err_clear(err);
    if (tw_sql_prepare(s, sql, strlen(sql), &st, &used, err)) return NULL;
    return st;
}

static void test_errors(tw_sql_session *s) {
    tw_err err;
    CHECK(!prep(s, "SELECT * FROM WHERE", &err));
    CHECK(!strcmp(err.sqlstate, "42601"));
    CHECK(err.pos == 15);
    CHECK(strstr(err.msg, "syntax error") != NULL);
    CHECK(!prep(s, "SELEC 1", &err) && !strcmp(err.sqlstate, "42601") && err.pos == 1);
    CHECK(!prep(s, "SELECT 'unterminated", &err) && !strcmp(err.sqlstate, "42601"));
    CHECK(!prep(s, "SELECT nosuch FROM (SELECT 1) x", &err) && !strcmp(err.sqlstate, "42703"));
    CHECK(!prep(s, "SELECT * FROM XMLTABLE('/a' PASSING '<a/>' COLUMNS x int)", &err) &&
          !strcmp(err.sqlstate, "0A000"));
    CHECK(!prep(s, "SELECT missing_col", &err) && !strcmp(err.sqlstate, "42703") && err.pos == 8);
    /* deep nesting → 54001, never a crash */
    size_t n = 5000;
    char *deep = malloc(2 * n + 16);
    size_t o = (size_t)sprintf(deep, "SELECT ");
    for (size_t i = 0; i < n; i++) deep[o++] = '(';
    deep[o++] = '1';
    for (size_t i = 0; i < n; i++) deep[o++] = ')';
    deep[o] = '\0';
    CHECK(!prep(s, deep, &err) && !strcmp(err.sqlstate, "54001"));
    free(deep);
    /* 1 MB of 1+1+1... */
    size_t big = 1 << 20;
    char *plus = malloc(big + 16);
    o = (size_t)sprintf(plus, "SELECT 1");
    while (o < big) plus[o++] = '+', plus[o++] = '1';
    plus[o] = '\0';
    CHECK(!prep(s, plus, &err) && !strcmp(err.sqlstate, "54001"));
    free(plus);
    /* NOT NOT NOT ... */
    char *nots = malloc(4 * 3000 + 16);
    o = (size_t)sprintf(nots, "SELECT ");
    for (int i = 0; i < 3000; i++) o += (size_t)sprintf(nots + o, "NOT ");
    sprintf(nots + o, "true");
    CHECK(!prep(s, nots, &err) && !strcmp(err.sqlstate, "54001"));
    free(nots);
    /* a moderately long chain still works */
    char chain[4000];
    o = (size_t)sprintf(chain, "SELECT 0");
    for (int i = 0; i < 500; i++) o += (size_t)sprintf(chain + o, "+1");
    QUERY(s, chain, "500");
    /* an IN list with many items and a long AND list are not "deep" */
    char *in = malloc(100000);
    o = (size_t)sprintf(in, "SELECT 5 IN (");
    for (int i = 0; i < 5000; i++) o += (size_t)sprintf(in + o, "%s%d", i ? "," : "", i);
    sprintf(in + o, ")");
    QUERY(s, in, "t");
    o = (size_t)sprintf(in, "SELECT 1=1");
    for (int i = 0; i < 3000; i++) o += (size_t)sprintf(in + o, " AND %d=%d", i, i);
    QUERY(s, in, "t");
    free(in);
    /* unsupported constructs are 0A000, never a wrong answer */
    EXEC_OK(s, "CREATE TABLE u (a int, b int)");
    EXEC_ERR(s, "SELECT * FROM u FULL JOIN u v ON true", "0A000");
    EXEC_ERR(s, "SELECT * FROM u JOIN u v ON true JOIN u w USING (a)", "0A000");
    EXEC_ERR(s, "SELECT * FROM u, u", "42712");
    EXEC_ERR(s, "SELECT sum(a) OVER (ROWS 1 PRECEDING) FROM u", "0A000");
    EXEC_ERR(s, "SELECT 1 = ALL (SELECT 1)", "0A000");
    EXEC_ERR(s, "INSERT INTO u VALUES (1, 2) ON CONFLICT ((a + 1)) DO NOTHING", "0A000");
    EXEC_ERR(s, "CREATE TABLE n (x numeric(50, 2))", "0A000");
    EXEC_ERR(s, "PREPARE TRANSACTION 'x'", "0A000");
    EXEC_ERR(s, "SELECT current_time", "0A000");
    EXEC_ERR(s, "CREATE TABLE f (a int REFERENCES u (a))", "42830"); /* no unique key on u.a */
    EXEC_ERR(s, "SELECT a FROM u WHERE a = 'x'", "22P02");
    EXEC_ERR(s, "SELECT a FROM u WHERE a = 'x'::text", "42883");
    EXEC_OK(s, "DROP TABLE u");
    /* a statement with only a comment */
    tw_sql_stmt *st = NULL;
    size_t used;
    const char *c = "  -- nothing\n ";
    CHECK(tw_sql_prepare(s, c, strlen(c), &st, &used, &err) == TWILL_OK && !st &&
          used == strlen(c));
    /* an embedded NUL */
    CHECK(tw_sql_prepare(s, "SELECT 1\0", 10, &st, &used, &err) != TWILL_OK);
}

static void test_params(tw_sql_session *s) {
    tw_err err;
    EXEC_OK(s, "CREATE TABLE pt (id int PRIMARY KEY, name text, score float8)");
    tw_sql_stmt *ins = prep(s, "INSERT INTO pt VALUES ($1, $2, $3)", &err);
    CHECK(ins && tw_sql_param_count(ins) == 3);
    for (int i = 1; i <= 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%03d", i);
        tw_sql_arg a = {.type = TWILL_TYPE_INT64, .i = i};
        tw_sql_arg b = {.type = TWILL_TYPE_TEXT, .p = name, .len = strlen(name)};
        tw_sql_arg c = {.type = i % 10 ? TWILL_TYPE_DOUBLE : TWILL_TYPE_NULL, .d = i / 4.0};
        CHECK(tw_sql_bind(ins, 1, &a, &err) == TWILL_OK);
        CHECK(tw_sql_bind(ins, 2, &b, &err) == TWILL_OK);
        CHECK(tw_sql_bind(ins, 3, &c, &err) == TWILL_OK);
        CHECK(tw_sql_step(ins, &err) == TWILL_DONE);
        CHECK(tw_sql_changes(ins) == 1);
        tw_sql_reset(ins);
    }
    tw_sql_arg bad = {.type = TWILL_TYPE_INT64};
    CHECK(tw_sql_bind(ins, 4, &bad, &err) == TWILL_RANGE);
    /* duplicate via a parameter */
    tw_sql_arg one = {.type = TWILL_TYPE_INT64, .i = 1};
    tw_sql_bind(ins, 1, &one, &err);
    tw_err_clear(&err);
    CHECK(tw_sql_step(ins, &err) == TWILL_ERROR && !strcmp(err.sqlstate, "23505"));
    tw_sql_finalize(ins);
    /* point select by primary key: the hot path */
    tw_sql_stmt *sel = prep(s, "SELECT id, name, score FROM pt WHERE id = ?", &err);
    CHECK(sel && tw_sql_param_count(sel) == 1 && tw_sql_column_count(sel) == 3);
    CHECK(!strcmp(tw_sql_column_name(sel, 1), "name"));
    CHECK(tw_sql_column_decltype(sel, 0) == TWILL_TYPE_INT64);
    CHECK(tw_sql_column_decltype(sel, 1) == TWILL_TYPE_TEXT);
    CHECK(tw_sql_column_decltype(sel, 2) == TWILL_TYPE_DOUBLE);
    for (int i = 1; i <= 100; i += 7) {
        tw_sql_arg a = {.type = TWILL_TYPE_INT64, .i = i};
        tw_sql_bind(sel, 1, &a, &err);
        CHECK(tw_sql_step(sel, &err) == TWILL_ROW);
        tw_sql_arg v;
        tw_sql_column_value(sel, 0, &v);
        CHECK(v.type == TWILL_TYPE_INT64 && v.i == i);
        tw_sql_column_value(sel, 1, &v);
        char want[32];
        snprintf(want, sizeof want, "n%03d", i);
        CHECK(v.type == TWILL_TYPE_TEXT && !strcmp(v.p, want));
        tw_sql_column_value(sel, 2, &v);
        CHECK(i % 10 ? v.type == TWILL_TYPE_DOUBLE && v.d == i / 4.0 : v.type == TWILL_TYPE_NULL);
        CHECK(tw_sql_step(sel, &err) == TWILL_DONE);
        tw_sql_reset(sel);
    }
    /* text parameter against an int key is coerced; a missing key gives no row */
    tw_sql_arg t = {.type = TWILL_TYPE_TEXT, .p = "42", .len = 2};
    tw_sql_bind(sel, 1, &t, &err);
    CHECK(tw_sql_step(sel, &err) == TWILL_ROW);
    CHECK(!strcmp(tw_sql_column_text(sel, 1, NULL), "n042"));
    tw_sql_reset(sel);
    tw_sql_arg f = {.type = TWILL_TYPE_DOUBLE, .d = 42.5};
    tw_sql_bind(sel, 1, &f, &err);
    CHECK(tw_sql_step(sel, &err) == TWILL_DONE);
    tw_sql_reset(sel);
    tw_sql_arg nul = {.type = TWILL_TYPE_NULL};
    tw_sql_bind(sel, 1, &nul, &err);
    CHECK(tw_sql_step(sel, &err) == TWILL_DONE);
    tw_sql_finalize(sel);
    /* ranges, LIMIT/OFFSET parameters */
    sel = prep(s, "SELECT id FROM pt WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3", &err);
    CHECK(sel != NULL);
    tw_sql_arg lo = {.type = TWILL_TYPE_INT64, .i = 10}, hi = {.type = TWILL_TYPE_INT64, .i = 20},
               lim = {.type = TWILL_TYPE_INT64, .i = 3};
    tw_sql_bind(sel, 1, &lo, &err);
    tw_sql_bind(sel, 2, &hi, &err);
    tw_sql_bind(sel, 3, &lim, &err);
    int got = 0;
    int64_t last = 0;
    while (tw_sql_step(sel, &err) == TWILL_ROW) {
        tw_sql_arg v;
        tw_sql_column_value(sel, 0, &v);
        last = v.i;
        got++;
    }
    CHECK(got == 3 && last == 12);
    tw_sql_finalize(sel);
    QUERY(s, "SELECT count(*) FROM pt WHERE id > 90", "10");
    QUERY(s, "SELECT count(*) FROM pt WHERE id <= 5 OR id > 98", "7");
    QUERY(s, "SELECT sum(id) FROM pt WHERE id BETWEEN 1 AND 10", "55");
    QUERY(s, "SELECT count(*) FROM pt WHERE score IS NULL", "10");
    QUERY(s, "SELECT name FROM pt WHERE name LIKE 'n09%' ORDER BY name DESC LIMIT 2", "n099\nn098");
    /* re-preparing the same text hits the session's statement cache and still works */
    for (int i = 0; i < 3; i++) QUERY(s, "SELECT name FROM pt WHERE id = 7", "n007");
    /* ? inside literals and comments is not a placeholder */
    QUERY(s, "SELECT '?' /* ? */ -- ?\n", "?");
    /* a plan is rebuilt after the catalog changes */
    sel = prep(s, "SELECT count(*) FROM pt", &err);
    EXEC_OK(s, "CREATE INDEX pt_name ON pt (name)");
    CHECK(tw_sql_step(sel, &err) == TWILL_ROW && !strcmp(tw_sql_column_text(sel, 0, NULL), "100"));
    tw_sql_finalize(sel);
    sel = prep(s, "SELECT name FROM pt WHERE id = 1", &err);
    EXEC_OK(s, "DROP TABLE pt");
    tw_err_clear(&err);
    CHECK(tw_sql_step(sel, &err) == TWILL_ERROR && !strcmp(err.sqlstate, "42P01"));
    tw_sql_finalize(sel);
}

static void test_indexes(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE ix (id int PRIMARY KEY, email text UNIQUE, grp int, v text)");
    EXEC_OK(s, "INSERT INTO ix VALUES (1, 'a@x', 1, 'p'), (2, 'b@x', 1, 'q'), (3, NULL, 2, 'r'), "
               "(4, NULL, 2, 's')");
    EXEC_ERR(s, "INSERT INTO ix VALUES (5, 'a@x', 3, 't')", "23505");
    EXEC_ERR(s, "INSERT INTO ix VALUES (5, 'c@x', 3, 't'), (6, 'c@x', 3, 'u')", "23505");
    QUERY(s, "SELECT id FROM ix WHERE email = 'b@x'", "2");
    QUERY(s, "SELECT count(*) FROM ix WHERE email IS NULL", "2");
    EXEC_OK(s, "CREATE INDEX ix_grp ON ix (grp)");
    EXEC_ERR(s, "CREATE INDEX ix_grp ON ix (v)", "42P07");
    EXEC_OK(s, "CREATE INDEX IF NOT EXISTS ix_grp ON ix (v)");
    EXEC_ERR(s, "CREATE UNIQUE INDEX ix_grp_u ON ix (grp)", "23505");
    EXEC_ERR(s, "CREATE INDEX ix_bad ON ix (nosuch)", "42703");
    QUERY(s, "SELECT id FROM ix WHERE grp = 2 ORDER BY id", "3\n4");
    QUERY(s, "SELECT id FROM ix WHERE grp > 1 AND v <> 'r'", "4");
    EXEC_OK(s, "UPDATE ix SET grp = 3 WHERE id = 3");
    QUERY(s, "SELECT id FROM ix WHERE grp = 2", "4");
    QUERY(s, "SELECT id FROM ix WHERE grp = 3", "3");
    EXEC_OK(s, "UPDATE ix SET email = 'z@x' WHERE id = 1");
    QUERY(s, "SELECT id FROM ix WHERE email = 'a@x'", "");
    QUERY(s, "SELECT id FROM ix WHERE email = 'z@x'", "1");
    EXEC_OK(s, "INSERT INTO ix VALUES (7, 'a@x', 9, 'w')"); /* freed by the update */
    EXEC_OK(s, "DELETE FROM ix WHERE grp = 3");
    QUERY(s, "SELECT id FROM ix WHERE grp = 3", "");
    QUERY(s, "SELECT id FROM ix ORDER BY id", "1\n2\n4\n7");
    EXEC_ERR(s, "CREATE TABLE twice (a int UNIQUE, UNIQUE (a))", "42P07");
    EXEC_ERR(s, "CREATE TABLE ix_grp (a int)", "42P07"); /* tables and indexes share names */
    EXEC_OK(s, "DROP INDEX ix_grp");
    EXEC_ERR(s, "DROP INDEX ix_grp", "42704");
    EXEC_OK(s, "DROP INDEX IF EXISTS ix_grp");
    QUERY(s, "SELECT id FROM ix WHERE grp = 2", "4");
    EXEC_OK(s, "CREATE UNIQUE INDEX ix_v ON ix (v)");
    EXEC_ERR(s, "UPDATE ix SET v = 'p' WHERE id = 2", "23505");
    /* composite primary key, prefix range */
    EXEC_OK(s, "CREATE TABLE cp (a int, b text, c int, PRIMARY KEY (a, b))");
    EXEC_OK(s, "INSERT INTO cp VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', 3), (2, 'y', 4)");
    EXEC_ERR(s, "INSERT INTO cp VALUES (1, 'x', 9)", "23505");
    QUERY(s, "SELECT c FROM cp WHERE a = 2 AND b = 'y'", "4");
    QUERY(s, "SELECT c FROM cp WHERE a = 1", "1\n2");
    QUERY(s, "SELECT c FROM cp WHERE a = 1 AND b > 'x'", "2");
    QUERY(s, "SELECT c FROM cp WHERE a >= 2", "3\n4");
    QUERY(s, "SELECT c FROM cp ORDER BY a, b LIMIT 3", "1\n2\n3");
    QUERY(s, "SELECT c FROM cp WHERE a = 1.0", "1\n2");
    QUERY(s, "SELECT c FROM cp WHERE a = 1.5", "");
    /* text keys with embedded zero bytes and ordering */
    EXEC_OK(s, "CREATE TABLE tk (k text PRIMARY KEY)");
    EXEC_OK(s, "INSERT INTO tk VALUES ('b'), ('a'), ('ab'), (''), ('B')");
    QUERY(s, "SELECT k FROM tk", "\nB\na\nab\nb");
    /* negative and large integer keys keep their order */
    EXEC_OK(s, "CREATE TABLE nk (k bigint PRIMARY KEY)");
    EXEC_OK(s,
            "INSERT INTO nk VALUES (5), (-5), (0), (-9223372036854775808), (9223372036854775807)");
    QUERY(s, "SELECT k FROM nk", "-9223372036854775808\n-5\n0\n5\n9223372036854775807");
    QUERY(s, "SELECT k FROM nk WHERE k < 0", "-9223372036854775808\n-5");
    EXEC_OK(s, "DROP TABLE ix; DROP TABLE cp; DROP TABLE tk; DROP TABLE nk");
}

int main(void) {
    if (sqlt_create(&D, "sqlprep")) return 1;
    tw_sql_session *s;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(D.db, &s, &err)) return 1;
    test_errors(s);
    test_params(s);
    test_indexes(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
