/* SQL layer: INSERT ... ON CONFLICT DO NOTHING / DO UPDATE (EXCLUDED, WHERE, RETURNING),
 * arbiters by columns or constraint name, the 21000 second-touch rule, errors. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_do_nothing(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE kv (k int PRIMARY KEY, v text, u int UNIQUE)");
    EXEC_OK(s, "INSERT INTO kv VALUES (1, 'a', 10), (2, 'b', 20)");
    EXEC_OK(s, "INSERT INTO kv VALUES (1, 'x', 99) ON CONFLICT DO NOTHING");
    EXEC_OK(s, "INSERT INTO kv VALUES (3, 'x', 10) ON CONFLICT DO NOTHING"); /* unique u */
    QUERY(s, "SELECT k, v, u FROM kv ORDER BY k", "1|a|10\n2|b|20");
    /* a duplicate within the statement is skipped too */
    EXEC_OK(s, "INSERT INTO kv VALUES (3, 'c', 30), (3, 'd', 31), (4, 'e', 40) ON CONFLICT DO "
               "NOTHING");
    QUERY(s, "SELECT k, v, u FROM kv WHERE k >= 3 ORDER BY k", "3|c|30\n4|e|40");
    /* with an arbiter, other unique constraints still raise */
    EXEC_OK(s, "INSERT INTO kv VALUES (1, 'z', 77) ON CONFLICT (k) DO NOTHING");
    EXEC_ERR(s, "INSERT INTO kv VALUES (9, 'z', 10) ON CONFLICT (k) DO NOTHING", "23505");
    EXEC_OK(s, "INSERT INTO kv VALUES (9, 'z', 10) ON CONFLICT (u) DO NOTHING");
    EXEC_OK(s, "INSERT INTO kv VALUES (9, 'z', 10) ON CONFLICT ON CONSTRAINT kv_u_key DO NOTHING");
    EXEC_OK(s, "INSERT INTO kv VALUES (1, 'z', 11) ON CONFLICT ON CONSTRAINT kv_pkey DO NOTHING");
    QUERY(s, "SELECT count(*) FROM kv", "4");
    /* RETURNING only reports inserted rows; the changes count likewise */
    QUERY(s, "INSERT INTO kv VALUES (1, 'q', 1), (5, 'f', 50) ON CONFLICT DO NOTHING RETURNING k",
          "5");
    /* NULLs never conflict */
    EXEC_OK(s, "INSERT INTO kv VALUES (6, 'n', NULL), (7, 'n', NULL) ON CONFLICT (u) DO NOTHING");
    QUERY(s, "SELECT count(*) FROM kv WHERE u IS NULL", "2");
    /* INSERT ... SELECT */
    EXEC_OK(s, "INSERT INTO kv SELECT k + 4, v, u + 1000 FROM kv ON CONFLICT DO NOTHING");
    QUERY(s, "SELECT k FROM kv ORDER BY k", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11");
}

static void test_do_update(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE c (name text PRIMARY KEY, n int NOT NULL DEFAULT 0, note text)");
    EXEC_OK(s, "INSERT INTO c VALUES ('a', 1, 'first')");
    EXEC_OK(s, "INSERT INTO c (name, n) VALUES ('a', 5), ('b', 2) ON CONFLICT (name) DO UPDATE SET "
               "n = c.n + excluded.n");
    QUERY(s, "SELECT name, n, note FROM c ORDER BY name", "a|6|first\nb|2|NULL");
    /* alias, RETURNING the updated row, EXCLUDED carries defaults */
    QUERY(s,
          "INSERT INTO c AS t (name) VALUES ('a') ON CONFLICT (name) DO UPDATE SET n = t.n * 10 + "
          "EXCLUDED.n, note = 'upd' RETURNING name, n, note",
          "a|60|upd");
    /* WHERE false: no change, nothing returned */
    QUERY(s,
          "INSERT INTO c VALUES ('a', 1) ON CONFLICT (name) DO UPDATE SET n = 0 WHERE c.n < 10 "
          "RETURNING n",
          "");
    QUERY(s, "SELECT n FROM c WHERE name = 'a'", "60");
    EXEC_OK(s, "INSERT INTO c VALUES ('a', 1) ON CONFLICT (name) DO UPDATE SET n = DEFAULT WHERE "
               "excluded.n = 1");
    QUERY(s, "SELECT n FROM c WHERE name = 'a'", "0");
    /* changes count = inserted + updated */
    {
        tw_err err;
        tw_err_clear(&err);
        tw_sql_stmt *st;
        size_t used;
        const char *q = "INSERT INTO c VALUES ('a', 1), ('z', 1) ON CONFLICT (name) DO UPDATE SET "
                        "n = 7";
        CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
        CHECK(tw_sql_step(st, &err) == TWILL_DONE);
        CHECK(tw_sql_changes(st) == 2);
        tw_sql_finalize(st);
    }
    /* the same key twice in one statement */
    EXEC_ERR(s, "INSERT INTO c VALUES ('q', 1), ('q', 2) ON CONFLICT (name) DO UPDATE SET n = 9",
             "21000");
    EXEC_ERR(s, "INSERT INTO c VALUES ('a', 1), ('a', 2) ON CONFLICT (name) DO UPDATE SET n = 9",
             "21000");
    QUERY(s, "SELECT count(*) FROM c WHERE name = 'q'", "0"); /* the statement did nothing */
    QUERY(s, "SELECT n FROM c WHERE name = 'a'", "7");
    /* an update that violates NOT NULL */
    EXEC_ERR(s, "INSERT INTO c VALUES ('a', 1) ON CONFLICT (name) DO UPDATE SET n = NULL", "23502");
    /* updating the key itself */
    EXEC_OK(s, "INSERT INTO c VALUES ('b', 1) ON CONFLICT (name) DO UPDATE SET name = 'b2'");
    QUERY(s, "SELECT name FROM c ORDER BY name", "a\nb2\nz");
    EXEC_ERR(s, "INSERT INTO c VALUES ('b2', 1) ON CONFLICT (name) DO UPDATE SET name = 'a'",
             "23505");

    /* arbiter on a unique index; the index stays right */
    EXEC_OK(s, "CREATE TABLE u (id int PRIMARY KEY, email text, hits int)");
    EXEC_OK(s, "CREATE UNIQUE INDEX u_email ON u (email)");
    EXEC_OK(s, "INSERT INTO u VALUES (1, 'x@y', 1)");
    EXEC_OK(s, "INSERT INTO u VALUES (2, 'x@y', 1) ON CONFLICT (email) DO UPDATE SET hits = u.hits "
               "+ 1, email = 'new@y'");
    QUERY(s, "SELECT id, email, hits FROM u", "1|new@y|2");
    QUERY(s, "SELECT id FROM u WHERE email = 'new@y'", "1");
    QUERY(s, "SELECT id FROM u WHERE email = 'x@y'", "");
    EXEC_OK(s, "INSERT INTO u VALUES (2, 'x@y', 1) ON CONFLICT ON CONSTRAINT u_email DO UPDATE SET "
               "hits = 0");
    QUERY(s, "SELECT id, email, hits FROM u ORDER BY id", "1|new@y|2\n2|x@y|1");
    /* composite key, column order in the inference does not matter */
    EXEC_OK(s, "CREATE TABLE m (a int, b int, v int, PRIMARY KEY (a, b))");
    EXEC_OK(s, "INSERT INTO m VALUES (1, 1, 1)");
    EXEC_OK(s, "INSERT INTO m VALUES (1, 1, 5) ON CONFLICT (b, a) DO UPDATE SET v = m.v + "
               "excluded.v");
    QUERY(s, "SELECT v FROM m", "6");
    /* inside a block, and rolled back */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO m VALUES (1, 1, 1) ON CONFLICT (a, b) DO UPDATE SET v = 100");
    QUERY(s, "SELECT v FROM m", "100");
    EXEC_OK(s, "INSERT INTO m VALUES (1, 1, 1) ON CONFLICT (a, b) DO UPDATE SET v = m.v + 1");
    QUERY(s, "SELECT v FROM m", "101");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT v FROM m", "6");
}

static void test_errors(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE e (id int PRIMARY KEY, x int, y int)");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT DO UPDATE SET x = 1", "42601");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (x) DO NOTHING", "42P10");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (nope) DO NOTHING", "42703");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT ON CONSTRAINT nope DO NOTHING", "42704");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (id) DO UPDATE SET nope = 1", "42703");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (id) DO UPDATE SET x = 1, x = 2", "42601");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (id) DO UPDATE SET x = other.x", "42P01");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (id) DO UPDATE SET x = 'a'", "22P02");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (id) DO UPDATE SET x = 1 WHERE 1", "42804");
    EXEC_ERR(s, "INSERT INTO e VALUES (1) ON CONFLICT (id) DO NOTHING RETURNING excluded.id",
             "42P01");
    /* prepared with parameters, run twice */
    {
        tw_err err;
        tw_err_clear(&err);
        tw_sql_stmt *st;
        size_t used;
        const char *q = "INSERT INTO e VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET x = e.x + "
                        "excluded.x RETURNING x";
        CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
        for (int i = 0; i < 3; i++) {
            tw_sql_arg a = {.type = TWILL_TYPE_INT64, .i = 1},
                       b = {.type = TWILL_TYPE_INT64, .i = 5};
            CHECK(tw_sql_bind(st, 1, &a, &err) == TWILL_OK);
            CHECK(tw_sql_bind(st, 2, &b, &err) == TWILL_OK);
            CHECK(tw_sql_step(st, &err) == TWILL_ROW);
            tw_sql_arg out;
            tw_sql_column_value(st, 0, &out);
            CHECK(out.type == TWILL_TYPE_INT64 && out.i == 5 * (i + 1));
            CHECK(tw_sql_step(st, &err) == TWILL_DONE);
            tw_sql_reset(st);
        }
        tw_sql_finalize(st);
    }
    /* no primary key: an arbiter on a unique index of a hidden-row-id table */
    EXEC_OK(s, "CREATE TABLE h (k text UNIQUE, n int)");
    EXEC_OK(s, "INSERT INTO h VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = h.n + 1");
    EXEC_OK(s, "INSERT INTO h VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = h.n + 1");
    QUERY(s, "SELECT k, n FROM h", "a|2");
}

int main(void) {
    if (sqlt_create(&D, "sqlupsert")) return 1;
    tw_sql_session *s = NULL;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(D.db, &s, &err)) return 1;
    test_do_nothing(s);
    test_do_update(s);
    test_errors(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
