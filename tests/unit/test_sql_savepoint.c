/* SQL layer: SAVEPOINT / ROLLBACK TO / RELEASE — undoing writes, drops and DDL made
 * after a savepoint, recovering an aborted block, nesting, errors, and that a commit
 * after a rollback to a savepoint writes exactly what is left. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_basic(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    EXEC_OK(s, "CREATE UNIQUE INDEX t_v ON t (v)");
    EXEC_OK(s, "INSERT INTO t VALUES (1, 'a')");
    /* writes after the savepoint are undone, earlier ones kept */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO t VALUES (2, 'b')");
    EXEC_OK(s, "SAVEPOINT s1");
    EXEC_OK(s, "INSERT INTO t VALUES (3, 'c')");
    EXEC_OK(s, "UPDATE t SET v = 'z' WHERE id = 1");
    EXEC_OK(s, "DELETE FROM t WHERE id = 2");
    QUERY(s, "SELECT id, v FROM t ORDER BY id", "1|z\n3|c");
    EXEC_OK(s, "ROLLBACK TO SAVEPOINT s1");
    QUERY(s, "SELECT id, v FROM t ORDER BY id", "1|a\n2|b");
    QUERY(s, "SELECT id FROM t WHERE v = 'c'", ""); /* index entries undone too */
    QUERY(s, "SELECT id FROM t WHERE v = 'b'", "2");
    /* the savepoint survives ROLLBACK TO: use it again */
    EXEC_OK(s, "INSERT INTO t VALUES (4, 'd')");
    EXEC_OK(s, "ROLLBACK TO s1");
    QUERY(s, "SELECT count(*) FROM t", "2");
    EXEC_OK(s, "INSERT INTO t VALUES (5, 'c')"); /* 'c' is free again */
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT id, v FROM t ORDER BY id", "1|a\n2|b\n5|c");
    QUERY(s, "SELECT id FROM t WHERE v = 'c'", "5");
    QUERY(s, "SELECT id FROM t WHERE v = 'z'", "");

    /* a failed statement is recovered by ROLLBACK TO */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO t VALUES (6, 'f')");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "INSERT INTO t VALUES (7, 'g')");
    EXEC_ERR(s, "INSERT INTO t VALUES (8, 'h'), (1, 'x')", "23505");
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_ERR(s, "SAVEPOINT b", "25P02");
    EXEC_ERR(s, "RELEASE a", "25P02");
    EXEC_ERR(s, "ROLLBACK TO nope", "3B001"); /* still aborted */
    EXEC_ERR(s, "SELECT 1", "25P02");
    CHECK(tw_sql_txn_state(s) == 2);
    EXEC_OK(s, "ROLLBACK TO a");
    CHECK(tw_sql_txn_state(s) == 1);
    QUERY(s, "SELECT id FROM t WHERE id >= 6 ORDER BY id", "6");
    EXEC_OK(s, "INSERT INTO t VALUES (8, 'h')");
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT id FROM t WHERE id >= 6 ORDER BY id", "6\n8");

    /* planning and syntax errors too */
    EXEC_OK(s, "BEGIN; SAVEPOINT p");
    EXEC_ERR(s, "SELECT * FROM missing", "42P01");
    EXEC_OK(s, "ROLLBACK TO p");
    EXEC_ERR(s, "SELEC 1", "42601");
    EXEC_OK(s, "ROLLBACK TO p");
    QUERY(s, "SELECT count(*) FROM t", "5");
    EXEC_OK(s, "COMMIT");
}

static void test_nesting(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE n (x int)"); /* hidden row ids */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO n VALUES (1)");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "INSERT INTO n VALUES (2)");
    EXEC_OK(s, "SAVEPOINT b");
    EXEC_OK(s, "INSERT INTO n VALUES (3)");
    EXEC_OK(s, "SAVEPOINT c");
    EXEC_OK(s, "INSERT INTO n VALUES (4)");
    EXEC_OK(s, "ROLLBACK TO b"); /* forgets c */
    QUERY(s, "SELECT x FROM n ORDER BY x", "1\n2");
    EXEC_ERR(s, "ROLLBACK TO c", "3B001");
    EXEC_OK(s, "ROLLBACK TO b");
    EXEC_OK(s, "INSERT INTO n VALUES (5)");
    EXEC_OK(s, "RELEASE SAVEPOINT b"); /* keeps the work */
    EXEC_ERR(s, "RELEASE b", "3B001");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT count(*) FROM n", "0");

    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "INSERT INTO n VALUES (1)");
    EXEC_OK(s, "SAVEPOINT b");
    EXEC_OK(s, "INSERT INTO n VALUES (2)");
    EXEC_OK(s, "RELEASE a"); /* releases b too */
    EXEC_ERR(s, "ROLLBACK TO b", "3B001");
    EXEC_OK(s, "ROLLBACK");

    /* duplicate names: the newest wins; RELEASE uncovers the older one */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO n VALUES (10)");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "INSERT INTO n VALUES (11)");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "INSERT INTO n VALUES (12)");
    EXEC_OK(s, "ROLLBACK TO a");
    QUERY(s, "SELECT x FROM n ORDER BY x", "10\n11");
    EXEC_OK(s, "RELEASE a");
    EXEC_OK(s, "ROLLBACK TO a");
    QUERY(s, "SELECT x FROM n ORDER BY x", "10");
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT x FROM n ORDER BY x", "10");

    /* rolling back everything written: the commit writes nothing */
    EXEC_OK(s, "BEGIN; SAVEPOINT z; DELETE FROM n; ROLLBACK TO z; COMMIT");
    QUERY(s, "SELECT x FROM n", "10");
}

static void test_errors(tw_sql_session *s) {
    EXEC_ERR(s, "SAVEPOINT a", "25P01");
    EXEC_ERR(s, "RELEASE SAVEPOINT a", "25P01");
    EXEC_ERR(s, "ROLLBACK TO SAVEPOINT a", "25P01");
    CHECK(tw_sql_txn_state(s) == 0);
    /* an unknown savepoint aborts a healthy block */
    EXEC_OK(s, "BEGIN");
    EXEC_ERR(s, "RELEASE nope", "3B001");
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_OK(s, "ROLLBACK");
    EXEC_OK(s, "BEGIN");
    EXEC_ERR(s, "ROLLBACK TO nope", "3B001");
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_OK(s, "ROLLBACK");
    /* aborted without a savepoint: nothing to go back to */
    EXEC_OK(s, "BEGIN");
    EXEC_ERR(s, "SELECT 1/0", "22012");
    EXEC_ERR(s, "ROLLBACK TO a", "3B001");
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT 1", "1");
    /* COMMIT of a block aborted after a savepoint rolls everything back */
    EXEC_OK(s, "CREATE TABLE e (id int PRIMARY KEY)");
    EXEC_OK(s, "BEGIN; INSERT INTO e VALUES (1); SAVEPOINT a; INSERT INTO e VALUES (2)");
    EXEC_ERR(s, "INSERT INTO e VALUES (2)", "23505");
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT count(*) FROM e", "0");
}

static void test_ddl(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE d1 (id int PRIMARY KEY)");
    EXEC_OK(s, "INSERT INTO d1 VALUES (1), (2)");
    /* DDL after the savepoint is undone in the block's view of the catalog */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "CREATE TABLE d2 (x int)");
    EXEC_OK(s, "INSERT INTO d2 VALUES (1)");
    EXEC_OK(s, "DROP TABLE d1");
    EXEC_ERR(s, "SELECT * FROM d1", "42P01");
    EXEC_OK(s, "ROLLBACK TO a");
    EXEC_ERR(s, "SELECT * FROM d2", "42P01");
    EXEC_OK(s, "ROLLBACK TO a");
    QUERY(s, "SELECT id FROM d1 ORDER BY id", "1\n2"); /* the drop is undone, rows back */
    EXEC_OK(s, "CREATE TABLE d2 (y text)");
    EXEC_OK(s, "INSERT INTO d2 VALUES ('kept')");
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT y FROM d2", "kept");
    QUERY(s, "SELECT count(*) FROM d1", "2");
    /* DDL before the savepoint stays */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "CREATE TABLE d3 (x int)");
    EXEC_OK(s, "SAVEPOINT a");
    EXEC_OK(s, "CREATE INDEX d3_x ON d3 (x)");
    EXEC_OK(s, "INSERT INTO d3 VALUES (7)");
    EXEC_OK(s, "ROLLBACK TO a");
    EXEC_OK(s, "INSERT INTO d3 VALUES (8)");
    EXEC_OK(s, "CREATE INDEX d3_x ON d3 (x)");
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT x FROM d3 WHERE x = 8", "8");
    QUERY(s, "SELECT count(*) FROM d3", "1");
    /* a DROP TABLE after a savepoint, then rolled back, then commit: data intact */
    EXEC_OK(s, "BEGIN; SAVEPOINT a; DROP TABLE d3; ROLLBACK TO a; COMMIT");
    QUERY(s, "SELECT x FROM d3", "8");
}

static void test_persistence(void) {
    tw_sql_session *s = sqlt_session(&D);
    EXEC_OK(s, "CREATE TABLE p (id int PRIMARY KEY)");
    EXEC_OK(s, "BEGIN; INSERT INTO p VALUES (1); SAVEPOINT a; INSERT INTO p VALUES (2)");
    EXEC_OK(s, "ROLLBACK TO a; INSERT INTO p VALUES (3); COMMIT");
    tw_sql_session_close(s);
    if (sqlt_reopen(&D)) {
        CHECK(0);
        return;
    }
    s = sqlt_session(&D);
    QUERY(s, "SELECT id FROM p ORDER BY id", "1\n3");
    /* a session closed inside a block with savepoints leaks nothing */
    EXEC_OK(s, "BEGIN; SAVEPOINT a; INSERT INTO p VALUES (9); SAVEPOINT b");
    tw_sql_session_close(s);
    s = sqlt_session(&D);
    QUERY(s, "SELECT count(*) FROM p", "2");
    tw_sql_session_close(s);
}

int main(void) {
    if (sqlt_create(&D, "sqlsavepoint")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_basic(s);
    test_nesting(s);
    test_errors(s);
    test_ddl(s);
    tw_sql_session_close(s);
    test_persistence();
    sqlt_destroy(&D);
    return sqlt_finish();
}
