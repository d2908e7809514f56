/* SQL layer: ALTER TABLE RENAME TO / RENAME COLUMN / ADD COLUMN / DROP COLUMN and
 * TRUNCATE, including inside blocks (rolled back) and across a reopen. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_alter(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE a (id int PRIMARY KEY, name text, n int)");
    EXEC_OK(s, "CREATE INDEX a_name ON a (name)");
    EXEC_OK(s, "CREATE UNIQUE INDEX a_n ON a (n)");
    EXEC_OK(s, "INSERT INTO a VALUES (1, 'x', 10), (2, 'y', 20)");
    /* RENAME COLUMN */
    EXEC_OK(s, "ALTER TABLE a RENAME COLUMN name TO label");
    QUERY(s, "SELECT label FROM a WHERE label = 'y'", "y");
    EXEC_ERR(s, "SELECT name FROM a", "42703");
    EXEC_ERR(s, "ALTER TABLE a RENAME COLUMN nope TO z", "42703");
    EXEC_ERR(s, "ALTER TABLE a RENAME COLUMN label TO n", "42701");
    /* ADD COLUMN: NULL for existing rows; with a default, existing rows get it */
    EXEC_OK(s, "ALTER TABLE a ADD COLUMN note text");
    EXEC_OK(s, "ALTER TABLE a ADD COLUMN flag boolean NOT NULL DEFAULT true");
    EXEC_OK(s, "ALTER TABLE a ADD score double precision DEFAULT 1.5");
    QUERY(s, "SELECT id, label, n, note, flag, score FROM a ORDER BY id",
          "1|x|10|NULL|t|1.5\n2|y|20|NULL|t|1.5");
    EXEC_ERR(s, "ALTER TABLE a ADD COLUMN note int", "42701");
    EXEC_OK(s, "ALTER TABLE a ADD COLUMN IF NOT EXISTS note int");
    EXEC_ERR(s, "ALTER TABLE a ADD COLUMN must int NOT NULL", "23502");
    EXEC_OK(s, "INSERT INTO a (id, label, n) VALUES (3, 'z', 30)");
    QUERY(s, "SELECT flag, score FROM a WHERE id = 3", "t|1.5");
    /* DROP COLUMN: the index on it goes, the others keep working */
    EXEC_OK(s, "ALTER TABLE a DROP COLUMN label");
    EXEC_ERR(s, "SELECT label FROM a", "42703");
    EXEC_ERR(s, "DROP INDEX a_name", "42704");
    QUERY(s, "SELECT * FROM a ORDER BY id", "1|10|NULL|t|1.5\n2|20|NULL|t|1.5\n3|30|NULL|t|1.5");
    QUERY(s, "SELECT id FROM a WHERE n = 20", "2");
    EXEC_ERR(s, "INSERT INTO a (id, n) VALUES (9, 20)", "23505"); /* a_n still unique */
    EXEC_ERR(s, "ALTER TABLE a DROP COLUMN nope", "42703");
    EXEC_OK(s, "ALTER TABLE a DROP COLUMN IF EXISTS nope");
    EXEC_ERR(s, "ALTER TABLE a DROP COLUMN id", "0A000");
    EXEC_OK(s, "ALTER TABLE a DROP COLUMN note");
    EXEC_OK(s, "UPDATE a SET score = 2 WHERE id = 1");
    QUERY(s, "SELECT id, n, flag, score FROM a ORDER BY id", "1|10|t|2\n2|20|t|1.5\n3|30|t|1.5");
    /* RENAME TO */
    EXEC_OK(s, "ALTER TABLE a RENAME TO b");
    EXEC_ERR(s, "SELECT * FROM a", "42P01");
    QUERY(s, "SELECT id FROM b WHERE n = 30", "3");
    EXEC_OK(s, "CREATE TABLE a (x int)");
    EXEC_ERR(s, "ALTER TABLE b RENAME TO a", "42P07");
    EXEC_ERR(s, "ALTER TABLE nope RENAME TO c", "42P01");
    EXEC_OK(s, "ALTER TABLE IF EXISTS nope RENAME TO c");
    EXEC_OK(s, "ALTER TABLE IF EXISTS nope ADD COLUMN c int");
    EXEC_OK(s, "DROP INDEX a_n"); /* the index followed the rename */
    /* serial columns follow a rename; their sequence too */
    EXEC_OK(s, "CREATE TABLE sr (id serial, v int)");
    EXEC_OK(s, "INSERT INTO sr (v) VALUES (1)");
    EXEC_OK(s, "ALTER TABLE sr RENAME TO sr2");
    EXEC_OK(s, "INSERT INTO sr2 (v) VALUES (2)");
    QUERY(s, "SELECT id, v FROM sr2 ORDER BY id", "1|1\n2|2");
    EXEC_OK(s, "DROP TABLE sr2");
    EXEC_ERR(s, "SELECT nextval('sr_id_seq')", "42P01");
    /* in a block, rolled back */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "ALTER TABLE b ADD COLUMN extra int DEFAULT 7");
    QUERY(s, "SELECT extra FROM b WHERE id = 1", "7");
    EXEC_OK(s, "ALTER TABLE b DROP COLUMN flag");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT * FROM b WHERE id = 1", "1|10|t|2");
}

static void test_truncate(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE t1 (id serial PRIMARY KEY, k text UNIQUE)");
    EXEC_OK(s, "CREATE TABLE t2 (x int)");
    EXEC_OK(s, "INSERT INTO t1 (k) VALUES ('a'), ('b'); INSERT INTO t2 VALUES (1), (2)");
    EXEC_OK(s, "BEGIN; TRUNCATE t1; ROLLBACK");
    QUERY(s, "SELECT count(*) FROM t1", "2");
    EXEC_OK(s, "TRUNCATE TABLE t1, t2");
    QUERY(s, "SELECT count(*) FROM t1", "0");
    QUERY(s, "SELECT count(*) FROM t2", "0");
    EXEC_OK(s, "INSERT INTO t1 (k) VALUES ('a')"); /* the unique index was emptied too */
    QUERY(s, "SELECT id, k FROM t1", "3|a");
    QUERY(s, "SELECT id FROM t1 WHERE k = 'a'", "3");
    EXEC_OK(s, "TRUNCATE t1 RESTART IDENTITY");
    EXEC_OK(s, "INSERT INTO t1 (k) VALUES ('b')");
    QUERY(s, "SELECT id, k FROM t1", "1|b");
    EXEC_OK(s, "BEGIN; TRUNCATE t2; INSERT INTO t2 VALUES (5); COMMIT");
    QUERY(s, "SELECT x FROM t2", "5");
    EXEC_ERR(s, "TRUNCATE nope", "42P01");
}

/* pgbench -i's order: a keyless table, a bulk load, then ALTER TABLE ADD PRIMARY KEY. */
static void test_add_constraints(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE acc (aid int, bid int, filler char(10)) WITH (fillfactor=100)");
    EXEC_OK(s, "INSERT INTO acc VALUES (3, 1, 'c'), (1, 1, 'a'), (2, 2, 'b'), (2, 3, 'd')");
    EXEC_OK(s, "CREATE INDEX acc_bid ON acc (bid)");
    EXEC_ERR(s, "ALTER TABLE acc ADD PRIMARY KEY (aid)", "23505");
    EXEC_ERR(s, "ALTER TABLE acc ADD PRIMARY KEY (nope)", "42703");
    EXEC_OK(s, "DELETE FROM acc WHERE bid = 3");
    EXEC_OK(s, "INSERT INTO acc VALUES (NULL, 4, 'n')");
    EXEC_ERR(s, "ALTER TABLE acc ADD PRIMARY KEY (aid)", "23502");
    EXEC_OK(s, "DELETE FROM acc WHERE aid IS NULL");
    /* a failed ALTER changed nothing */
    QUERY(s, "SELECT aid, bid FROM acc ORDER BY aid", "1|1\n2|2\n3|1");
    EXEC_OK(s, "ALTER TABLE acc ADD PRIMARY KEY (aid)");
    EXEC_ERR(s, "ALTER TABLE acc ADD PRIMARY KEY (bid)", "42P16");
    EXEC_ERR(s, "INSERT INTO acc VALUES (2, 9, 'x')", "23505");
    EXEC_ERR(s, "INSERT INTO acc VALUES (NULL, 9, 'x')", "23502");
    /* the secondary index was rebuilt against the new key */
    QUERY(s, "SELECT aid FROM acc WHERE bid = 1 ORDER BY aid", "1\n3");
    EXEC_OK(s, "UPDATE acc SET bid = 5 WHERE aid = 3");
    QUERY(s, "SELECT aid FROM acc WHERE bid = 5", "3");
    QUERY(s, "SELECT count(*) FROM acc WHERE bid = 1", "1");
    /* in a transaction that rolls back, nothing changes */
    EXEC_OK(s, "CREATE TABLE k2 (a int, b int)");
    EXEC_OK(s, "INSERT INTO k2 VALUES (1, 1), (2, 1)");
    EXEC_OK(s, "BEGIN; ALTER TABLE k2 ADD PRIMARY KEY (a); ROLLBACK");
    EXEC_OK(s, "INSERT INTO k2 VALUES (1, 2)");
    QUERY(s, "SELECT count(*) FROM k2", "3");
    EXEC_ERR(s, "ALTER TABLE k2 ADD CONSTRAINT k2_b UNIQUE (b)", "23505");
    EXEC_OK(s, "ALTER TABLE k2 ADD CONSTRAINT k2_ab UNIQUE (a, b)");
    EXEC_ERR(s, "INSERT INTO k2 VALUES (1, 2)", "23505");
    EXEC_ERR(s, "ALTER TABLE k2 ADD CONSTRAINT k2_ab UNIQUE (b)", "42P07");
    /* VACUUM and ANALYZE are accepted (nothing to do) but check their targets */
    EXEC_OK(s, "VACUUM ANALYZE acc");
    EXEC_OK(s, "VACUUM");
    EXEC_OK(s, "ANALYZE acc (bid)");
    EXEC_ERR(s, "VACUUM nope", "42P01");
    EXEC_ERR(s, "ANALYZE acc (nope)", "42703");
}

static void test_reopen(void) {
    tw_sql_session *s = sqlt_session(&D);
    if (sqlt_reopen(&D)) {
        CHECK(0);
        tw_sql_session_close(s);
        return;
    }
    tw_sql_session_close(s);
    s = sqlt_session(&D);
    QUERY(s, "SELECT * FROM b ORDER BY id", "1|10|t|2\n2|20|t|1.5\n3|30|t|1.5");
    QUERY(s, "SELECT id, k FROM t1", "1|b");
    QUERY(s, "SELECT aid, bid FROM acc WHERE aid = 3", "3|5");
    QUERY(s, "SELECT aid FROM acc WHERE bid = 2", "2");
    tw_sql_session_close(s);
}

int main(void) {
    if (sqlt_create(&D, "sqlalter")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_alter(s);
    test_truncate(s);
    test_add_constraints(s);
    tw_sql_session_close(s);
    test_reopen();
    sqlt_destroy(&D);
    return sqlt_finish();
}
