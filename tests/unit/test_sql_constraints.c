/* SQL layer: CHECK and FOREIGN KEY constraints, ALTER TABLE constraint and column
 * actions (several per statement). Expected results and SQLSTATEs are PostgreSQL 15's
 * for the same statements. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

/* The message of a failing statement (for constraint names). */
static const char *errmsg(tw_sql_session *s, const char *sql) {
    static tw_err e;
    tw_err_clear(&e);
    if (sqlt_exec(s, sql, &e) == TWILL_OK) return "";
    return e.msg;
}

#define ERR_NAMES(s, sql, state, needle)                                                           \
    do {                                                                                           \
        EXEC_ERR(s, sql, state);                                                                   \
        const char *m_ = errmsg(s, sql);                                                           \
        CHECK(strstr(m_, needle) != NULL);                                                         \
        if (!strstr(m_, needle)) fprintf(stderr, "  message: %s\n", m_);                           \
    } while (0)

static void test_check(tw_sql_session *s) {
    /* automatic names: one column read → t_col_check, else t_check; numbered on reuse */
    EXEC_OK(s, "CREATE TABLE t (a int CHECK (a > 0), b int CHECK (b > a), c int, CHECK (c > 0), "
               "CHECK (c < 100), CHECK (1 < 2), CONSTRAINT named CHECK (a <> 5))");
    ERR_NAMES(s, "INSERT INTO t VALUES (-1, -5, -3)", "23514",
              "new row for relation \"t\" violates check constraint \"t_a_check\"");
    ERR_NAMES(s, "INSERT INTO t VALUES (1, 2, 200)", "23514", "\"t_c_check1\"");
    ERR_NAMES(s, "INSERT INTO t VALUES (1, 0, 5)", "23514", "\"t_check\"");
    ERR_NAMES(s, "INSERT INTO t VALUES (5, 6, 7)", "23514", "\"named\"");
    EXEC_OK(s, "INSERT INTO t VALUES (1, NULL, NULL)"); /* NULL passes a CHECK */
    EXEC_OK(s, "INSERT INTO t VALUES (2, 3, 4)");
    /* UPDATE checks the new row */
    ERR_NAMES(s, "UPDATE t SET c = 0 WHERE a = 2", "23514", "\"t_c_check\"");
    EXEC_OK(s, "UPDATE t SET c = 50 WHERE a = 2");
    QUERY(s, "SELECT a, b, c FROM t ORDER BY a", "1|NULL|NULL\n2|3|50");
    /* violated constraints are reported in name order */
    EXEC_OK(s, "CREATE TABLE k (x int CHECK (x > 0), y int, CHECK (x + y < 10), CHECK (y > 0))");
    ERR_NAMES(s, "INSERT INTO k VALUES (5, 5)", "23514", "\"k_check\"");
    ERR_NAMES(s, "INSERT INTO k VALUES (-1, 5)", "23514", "\"k_x_check\"");
    ERR_NAMES(s, "INSERT INTO k VALUES (5, -1)", "23514", "\"k_y_check\"");
    EXEC_OK(s, "INSERT INTO k VALUES (NULL, NULL)");
    /* ON CONFLICT DO UPDATE checks the updated row */
    EXEC_OK(s, "CREATE TABLE kk (id int PRIMARY KEY, x int CHECK (x < 100))");
    EXEC_OK(s, "INSERT INTO kk VALUES (1, 50)");
    ERR_NAMES(s,
              "INSERT INTO kk VALUES (1, 60) ON CONFLICT (id) DO UPDATE SET x = kk.x + excluded.x",
              "23514", "\"kk_x_check\"");
    EXEC_OK(s, "UPDATE kk SET x = 99");
    EXEC_ERR(s, "UPDATE kk SET x = 100", "23514");
    QUERY(s, "SELECT x FROM kk", "99");
    /* text functions and LIKE in checks; the stored text survives a reopen */
    EXEC_OK(s, "CREATE TABLE b2 (x text CHECK (x LIKE 'a%'), y text CHECK (length(y) < 3))");
    EXEC_OK(s, "INSERT INTO b2 VALUES ('abc', 'ab')");
    ERR_NAMES(s, "INSERT INTO b2 VALUES ('bc', 'ab')", "23514", "\"b2_x_check\"");
    ERR_NAMES(s, "INSERT INTO b2 VALUES ('abc', 'abc')", "23514", "\"b2_y_check\"");
    /* bad definitions */
    EXEC_ERR(s, "CREATE TABLE bad (x int CHECK (x))", "42804");
    EXEC_ERR(s, "CREATE TABLE bad (x int CHECK (x > (SELECT 1)))", "0A000");
    EXEC_ERR(s, "CREATE TABLE bad (x int CHECK (sum(x) > 0))", "42803");
    EXEC_ERR(s, "CREATE TABLE bad (x int CHECK (y > 0))", "42703");
    EXEC_ERR(s,
             "CREATE TABLE bad (x int, CONSTRAINT c1 CHECK (x > 0), CONSTRAINT c1 CHECK (x < 9))",
             "42710");
    /* a CHECK text with parentheses, quotes and a comment inside */
    EXEC_OK(s, "CREATE TABLE q (s text, CONSTRAINT \"odd)(\" CHECK ((s <> ')') AND s <> 'it''s' "
               "/* ) */ AND (length(s) > 0)))");
    EXEC_OK(s, "INSERT INTO q VALUES ('ok')");
    ERR_NAMES(s, "INSERT INTO q VALUES (')')", "23514", "\"odd)(\"");
    ERR_NAMES(s, "INSERT INTO q VALUES ('it''s')", "23514", "\"odd)(\"");
}

static void test_alter_check(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE ac (x int, y int)");
    EXEC_OK(s, "INSERT INTO ac VALUES (1, 1), (7, 2)");
    ERR_NAMES(s, "ALTER TABLE ac ADD CONSTRAINT cc CHECK (x > 5)", "23514",
              "check constraint \"cc\" of relation \"ac\" is violated by some row");
    EXEC_OK(s, "ALTER TABLE ac ADD CONSTRAINT cc CHECK (x < 10)");
    EXEC_ERR(s, "ALTER TABLE ac ADD CONSTRAINT cc CHECK (x < 11)", "42710");
    EXEC_ERR(s, "INSERT INTO ac VALUES (10, 0)", "23514");
    /* NOT VALID: existing rows are not checked, new ones are */
    EXEC_OK(s, "ALTER TABLE ac ADD CONSTRAINT ypos CHECK (y > 1) NOT VALID");
    EXEC_ERR(s, "INSERT INTO ac VALUES (2, 1)", "23514");
    EXEC_OK(s, "ALTER TABLE ac DROP CONSTRAINT ypos");
    EXEC_OK(s, "INSERT INTO ac VALUES (2, 1)");
    EXEC_ERR(s, "ALTER TABLE ac DROP CONSTRAINT ypos", "42704");
    EXEC_OK(s, "ALTER TABLE ac DROP CONSTRAINT IF EXISTS ypos");
    /* DROP COLUMN drops the CHECKs on it */
    EXEC_OK(s, "ALTER TABLE ac ADD CONSTRAINT ychk CHECK (y < 100)");
    EXEC_OK(s, "ALTER TABLE ac DROP COLUMN y");
    EXEC_OK(s, "INSERT INTO ac VALUES (3)");
    EXEC_ERR(s, "INSERT INTO ac VALUES (30)", "23514"); /* cc stays */
    /* checks persist across a reopen (text re-analyzed) */
    tw_sql_session_close(s);
    CHECK(sqlt_reopen(&D) == 0);
}

static void test_alter_columns(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE t2 (id int PRIMARY KEY, a int, b text)");
    EXEC_OK(s, "INSERT INTO t2 VALUES (1, NULL, 'x'), (2, 5, NULL)");
    /* several actions in one statement; a failing one undoes the others */
    EXEC_ERR(s, "ALTER TABLE t2 ALTER COLUMN a SET DEFAULT 7, ALTER COLUMN b SET NOT NULL",
             "23502");
    EXEC_OK(s, "ALTER TABLE t2 ALTER COLUMN a SET DEFAULT 7, ADD CONSTRAINT pos CHECK (a > 0)");
    EXEC_OK(s, "INSERT INTO t2 (id, b) VALUES (3, 'y')");
    QUERY(s, "SELECT id, a, b FROM t2 ORDER BY id", "1|NULL|x\n2|5|NULL\n3|7|y");
    EXEC_ERR(s, "ALTER TABLE t2 ALTER COLUMN a SET NOT NULL", "23502");
    EXEC_OK(s, "UPDATE t2 SET a = 1 WHERE a IS NULL");
    EXEC_OK(s, "ALTER TABLE t2 ALTER COLUMN a SET NOT NULL, ALTER COLUMN a DROP DEFAULT");
    EXEC_ERR(s, "INSERT INTO t2 (id, b) VALUES (4, 'z')", "23502");
    EXEC_OK(s, "ALTER TABLE t2 ALTER COLUMN a DROP NOT NULL, ADD COLUMN c int DEFAULT 3, ADD "
               "CONSTRAINT cpos CHECK (c > 0)");
    QUERY(s, "SELECT id, a, b, c FROM t2 ORDER BY id", "1|1|x|3\n2|5|NULL|3\n3|7|y|3");
    EXEC_ERR(s, "ALTER TABLE t2 ALTER COLUMN id DROP NOT NULL", "42P16");
    /* TYPE: only changes that keep the stored values */
    EXEC_OK(s, "ALTER TABLE t2 ALTER COLUMN a TYPE bigint");
    EXEC_ERR(s, "ALTER TABLE t2 ALTER COLUMN b TYPE int", "0A000");
    EXEC_OK(s, "CREATE TABLE vc (s varchar(3))");
    EXEC_OK(s, "INSERT INTO vc VALUES ('abc')");
    EXEC_ERR(s, "INSERT INTO vc VALUES ('abcde')", "22001");
    EXEC_OK(s, "ALTER TABLE vc ALTER COLUMN s TYPE varchar(10)");
    EXEC_OK(s, "INSERT INTO vc VALUES ('abcde')");
    EXEC_OK(s, "ALTER TABLE vc ALTER COLUMN s TYPE text");
    EXEC_ERR(s, "ALTER TABLE vc ALTER COLUMN s TYPE varchar(2)", "0A000");
    QUERY(s, "SELECT s FROM vc ORDER BY s", "abc\nabcde");
    /* UNIQUE constraints can be dropped by name */
    EXEC_OK(s, "ALTER TABLE t2 ADD CONSTRAINT t2_b_key UNIQUE (b)");
    EXEC_ERR(s, "INSERT INTO t2 VALUES (5, 1, 'x')", "23505");
    EXEC_OK(s, "ALTER TABLE t2 DROP CONSTRAINT t2_b_key");
    EXEC_OK(s, "INSERT INTO t2 VALUES (5, 1, 'x')");
}

static void test_fk(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE p (id int PRIMARY KEY, u int UNIQUE, v int, UNIQUE (u, v))");
    EXEC_OK(s, "CREATE TABLE c (x int REFERENCES p, y int REFERENCES p(u), z int, w int, "
               "FOREIGN KEY (z, w) REFERENCES p (u, v))");
    ERR_NAMES(s, "INSERT INTO c VALUES (1)", "23503",
              "insert or update on table \"c\" violates foreign key constraint \"c_x_fkey\"");
    EXEC_OK(s, "INSERT INTO p VALUES (1, 10, 100)");
    EXEC_OK(s, "INSERT INTO c VALUES (1, 10, 10, 100)");
    ERR_NAMES(s, "DELETE FROM p", "23503",
              "update or delete on table \"p\" violates foreign key constraint \"c_x_fkey\" on "
              "table \"c\"");
    EXEC_ERR(s, "UPDATE p SET id = 2", "23503");
    ERR_NAMES(s, "UPDATE p SET v = 2", "23503", "\"c_z_w_fkey\"");
    EXEC_OK(s, "UPDATE p SET v = 100"); /* key unchanged */
    ERR_NAMES(s, "INSERT INTO c VALUES (NULL, 99)", "23503", "\"c_y_fkey\"");
    EXEC_ERR(s, "INSERT INTO c VALUES (1, 10, 10, 11)", "23503");
    EXEC_OK(s, "INSERT INTO c VALUES (1, 10, NULL, 11)"); /* MATCH SIMPLE: a NULL skips */
    QUERY(s, "SELECT x, y, z, w FROM c ORDER BY z", "1|10|10|100\n1|10|NULL|11");
    /* pg_catalog: what psql's \d reads */
    QUERY(s,
          "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
          "'c'::regclass ORDER BY 1",
          "c_x_fkey|f|FOREIGN KEY (x) REFERENCES p(id)\nc_y_fkey|f|FOREIGN KEY (y) REFERENCES "
          "p(u)\nc_z_w_fkey|f|FOREIGN KEY (z, w) REFERENCES p(u, v)");
    QUERY(s,
          "SELECT relname, relchecks, relhastriggers FROM pg_class WHERE relname IN ('k', 'p') "
          "ORDER BY 1",
          "k|3|f\np|0|t");
    QUERY(s, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'k_check'",
          "CHECK (x + y < 10)");
    /* bad definitions */
    EXEC_ERR(s, "CREATE TABLE bad (x int REFERENCES p(v))", "42830");
    EXEC_ERR(s, "CREATE TABLE bad (x int REFERENCES nothere)", "42P01");
    EXEC_ERR(s, "CREATE TABLE bad (x int, y int, FOREIGN KEY (x, y) REFERENCES p (id, v))",
             "42830");
    EXEC_ERR(s, "CREATE TABLE bad (x int, FOREIGN KEY (x) REFERENCES p (u, v))", "42830");
    EXEC_ERR(s, "CREATE TABLE bad (x int, FOREIGN KEY (nope) REFERENCES p)", "42703");
    EXEC_ERR(s, "CREATE TABLE bad (x int REFERENCES p MATCH FULL)", "0A000");
    EXEC_ERR(s, "CREATE TABLE bad (x int REFERENCES p DEFERRABLE INITIALLY DEFERRED)", "0A000");
    /* the referenced table cannot go first; with its children it can */
    EXEC_ERR(s, "DROP TABLE p", "2BP01");
    EXEC_ERR(s, "TRUNCATE p", "0A000");
    EXEC_ERR(s, "DROP INDEX p_u_key", "2BP01");
    EXEC_ERR(s, "ALTER TABLE p DROP COLUMN u", "2BP01");
    EXEC_OK(s, "TRUNCATE c, p");
    EXEC_OK(s, "DROP TABLE c, p");
}

static void test_fk_self_and_actions(tw_sql_session *s) {
    /* checked at the end of the statement: order within one statement does not matter */
    EXEC_OK(s, "CREATE TABLE s (id int PRIMARY KEY, parent int REFERENCES s)");
    EXEC_OK(s, "INSERT INTO s VALUES (2, 1), (1, NULL)");
    EXEC_OK(s, "DELETE FROM s");
    EXEC_OK(s, "INSERT INTO s VALUES (1, NULL), (2, 1)");
    ERR_NAMES(s, "UPDATE s SET id = id + 10", "23503", "\"s_parent_fkey\" on table \"s\"");
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "UPDATE s SET parent = NULL");
    EXEC_OK(s, "UPDATE s SET id = id + 10");
    EXEC_OK(s, "ROLLBACK");
    EXEC_OK(s, "UPDATE s SET parent = NULL");
    EXEC_OK(s, "UPDATE s SET id = id + 10");
    QUERY(s, "SELECT id, parent FROM s ORDER BY id", "11|NULL\n12|NULL");
    /* NO ACTION passes when the key is back by the end of the statement; RESTRICT not */
    EXEC_OK(s, "CREATE TABLE pk (k int PRIMARY KEY)");
    EXEC_OK(s, "CREATE TABLE na (k int REFERENCES pk)");
    EXEC_OK(s, "CREATE TABLE re (k int REFERENCES pk ON UPDATE RESTRICT)");
    EXEC_OK(s, "INSERT INTO pk VALUES (1), (2)");
    EXEC_OK(s, "INSERT INTO na VALUES (1)");
    EXEC_OK(s, "UPDATE pk SET k = k - 1"); /* 1 -> 0, then 2 -> 1: key 1 is back */
    QUERY(s, "SELECT k FROM pk ORDER BY k", "0\n1");
    EXEC_OK(s, "INSERT INTO re VALUES (0)");
    ERR_NAMES(s, "UPDATE pk SET k = k - 1", "23503", "\"re_k_fkey\"");
    EXEC_OK(s, "DROP TABLE na, re, pk");
    /* CASCADE, SET NULL, SET DEFAULT */
    EXEC_OK(s, "CREATE TABLE cas (id int PRIMARY KEY, parent int REFERENCES s ON DELETE CASCADE "
               "ON UPDATE CASCADE, note text)");
    EXEC_OK(s, "INSERT INTO cas VALUES (1, 11, 'a'), (2, 12, 'b'), (3, NULL, 'c')");
    EXEC_OK(s, "CREATE TABLE gc (id int PRIMARY KEY, cid int REFERENCES cas ON DELETE SET NULL)");
    EXEC_OK(s, "INSERT INTO gc VALUES (1, 1), (2, 2), (3, 3)");
    EXEC_OK(s, "UPDATE s SET id = 21 WHERE id = 11");
    QUERY(s, "SELECT id, parent, note FROM cas ORDER BY id", "1|21|a\n2|12|b\n3|NULL|c");
    EXEC_OK(s, "DELETE FROM s WHERE id = 12");
    QUERY(s, "SELECT id, parent FROM cas ORDER BY id", "1|21\n3|NULL");
    QUERY(s, "SELECT id, cid FROM gc ORDER BY id", "1|1\n2|NULL\n3|3");
    EXEC_OK(s, "DELETE FROM s");
    QUERY(s, "SELECT id, parent FROM cas ORDER BY id", "3|NULL");
    QUERY(s, "SELECT id, cid FROM gc ORDER BY id", "1|NULL\n2|NULL\n3|3");
    EXEC_OK(s, "CREATE TABLE sd (id int PRIMARY KEY, cid int DEFAULT 3 REFERENCES cas ON DELETE "
               "SET DEFAULT)");
    EXEC_OK(s, "INSERT INTO cas VALUES (4, NULL, 'd')");
    EXEC_OK(s, "INSERT INTO sd VALUES (1, 4)");
    EXEC_OK(s, "DELETE FROM cas WHERE id = 4");
    QUERY(s, "SELECT id, cid FROM sd", "1|3");
    EXEC_ERR(s, "DELETE FROM cas WHERE id = 3", "23503"); /* the default is referenced too */
    EXEC_OK(s, "DROP TABLE sd, gc, cas, s");
}

static void test_fk_alter(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE ap (id int PRIMARY KEY)");
    EXEC_OK(s, "CREATE TABLE ac2 (id int PRIMARY KEY, pid int)");
    EXEC_OK(s, "INSERT INTO ap VALUES (1)");
    EXEC_OK(s, "INSERT INTO ac2 VALUES (1, 1), (2, 5)");
    ERR_NAMES(s, "ALTER TABLE ac2 ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES ap", "23503",
              "\"fk\"");
    EXEC_OK(s, "DELETE FROM ac2 WHERE id = 2");
    EXEC_OK(s, "ALTER TABLE ac2 ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES ap");
    EXEC_ERR(s, "INSERT INTO ac2 VALUES (3, 9)", "23503");
    /* RENAME of the referenced table: the FK follows */
    EXEC_OK(s, "ALTER TABLE ap RENAME TO ap2");
    EXEC_ERR(s, "INSERT INTO ac2 VALUES (3, 9)", "23503");
    EXEC_ERR(s, "DELETE FROM ap2", "23503");
    EXEC_OK(s, "ALTER TABLE ac2 DROP CONSTRAINT fk");
    EXEC_OK(s, "INSERT INTO ac2 VALUES (3, 9)");
    /* DROP ... CASCADE drops the referencing constraints */
    EXEC_OK(s, "ALTER TABLE ac2 ADD CONSTRAINT fk2 FOREIGN KEY (id) REFERENCES ap2 NOT VALID");
    EXEC_ERR(s, "DROP TABLE ap2", "2BP01");
    EXEC_OK(s, "DROP TABLE ap2 CASCADE");
    EXEC_OK(s, "INSERT INTO ac2 VALUES (4, 4)");
    EXEC_OK(s, "DROP TABLE ac2");
}

/* Snapshot isolation: a child inserted by one transaction and its parent deleted by a
 * concurrent one must not both commit. */
static void test_fk_concurrent(tw_sql_session *a) {
    tw_sql_session *b = sqlt_session(&D);
    if (!b) {
        CHECK(0);
        return;
    }
    EXEC_OK(a, "CREATE TABLE cp (id int PRIMARY KEY, note text)");
    EXEC_OK(a, "CREATE TABLE cc (id int PRIMARY KEY, pid int REFERENCES cp)");
    EXEC_OK(a, "INSERT INTO cp VALUES (1, 'x'), (2, 'y')");
    /* the child's transaction commits first: the delete loses */
    EXEC_OK(a, "BEGIN");
    EXEC_OK(b, "BEGIN");
    EXEC_OK(a, "INSERT INTO cc VALUES (1, 1)");
    EXEC_OK(b, "DELETE FROM cp WHERE id = 1"); /* its snapshot has no child */
    EXEC_OK(a, "COMMIT");
    EXEC_ERR(b, "COMMIT", "40001");
    /* the delete commits first: the child loses */
    EXEC_OK(a, "BEGIN");
    EXEC_OK(b, "BEGIN");
    EXEC_OK(a, "INSERT INTO cc VALUES (2, 2)");
    EXEC_OK(b, "DELETE FROM cp WHERE id = 2");
    EXEC_OK(b, "COMMIT");
    EXEC_ERR(a, "COMMIT", "40001");
    QUERY(a, "SELECT cp.id, cc.id FROM cp LEFT JOIN cc ON cc.pid = cp.id ORDER BY 1", "1|1");
    tw_sql_session_close(b);
}

int main(void) {
    if (sqlt_create(&D, "sqlcons")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    if (!s) return 1;
    test_check(s);
    test_alter_check(s); /* closes s and reopens the database */
    s = sqlt_session(&D);
    if (!s) return 1;
    EXEC_ERR(s, "INSERT INTO ac VALUES (30)", "23514");
    QUERY(s, "SELECT x FROM ac ORDER BY x", "1\n2\n3\n7");
    EXEC_ERR(s, "INSERT INTO t VALUES (5, 6, 7)", "23514");
    test_alter_columns(s);
    test_fk(s);
    test_fk_self_and_actions(s);
    test_fk_alter(s);
    test_fk_concurrent(s);
    /* schemas: only the built-in ones */
    EXEC_OK(s, "CREATE SCHEMA IF NOT EXISTS public");
    EXEC_ERR(s, "CREATE SCHEMA public", "42P06");
    EXEC_ERR(s, "CREATE SCHEMA app", "0A000");
    EXEC_OK(s, "DROP SCHEMA IF EXISTS app");
    EXEC_ERR(s, "DROP SCHEMA app", "3F000");
    EXEC_ERR(s, "DROP SCHEMA public", "0A000");
    EXEC_OK(s, "CREATE TABLE public.sch (a int CHECK (a > 0))");
    EXEC_ERR(s, "INSERT INTO public.sch VALUES (0)", "23514");
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
