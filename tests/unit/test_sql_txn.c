/* SQL layer: transaction blocks, aborted blocks, autocommit atomicity, two sessions
 * (snapshot isolation, 40001), persistence across reopen, DDL inside blocks. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_blocks(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE acct (id int PRIMARY KEY, bal bigint NOT NULL)");
    EXEC_OK(s, "INSERT INTO acct VALUES (1, 100), (2, 50)");
    /* commit */
    EXEC_OK(s, "BEGIN");
    CHECK(tw_sql_in_transaction(s));
    EXEC_OK(s, "UPDATE acct SET bal = bal - 10 WHERE id = 1");
    EXEC_OK(s, "UPDATE acct SET bal = bal + 10 WHERE id = 2");
    QUERY(s, "SELECT bal FROM acct ORDER BY id", "90\n60");
    EXEC_OK(s, "COMMIT");
    CHECK(!tw_sql_in_transaction(s));
    QUERY(s, "SELECT bal FROM acct ORDER BY id", "90\n60");
    /* rollback */
    EXEC_OK(s, "START TRANSACTION");
    EXEC_OK(s, "DELETE FROM acct");
    QUERY(s, "SELECT count(*) FROM acct", "0");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT count(*) FROM acct", "2");
    EXEC_OK(s, "BEGIN; INSERT INTO acct VALUES (3, 1); ABORT");
    QUERY(s, "SELECT count(*) FROM acct", "2");
    EXEC_OK(s, "BEGIN; INSERT INTO acct VALUES (3, 1); END");
    QUERY(s, "SELECT count(*) FROM acct", "3");
    /* a failed statement aborts the block */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "INSERT INTO acct VALUES (4, 4)");
    EXEC_ERR(s, "INSERT INTO acct VALUES (1, 1)", "23505");
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_ERR(s, "INSERT INTO acct VALUES (5, 5)", "25P02");
    CHECK(tw_sql_in_transaction(s));
    EXEC_OK(s, "COMMIT"); /* rolls back */
    CHECK(!tw_sql_in_transaction(s));
    QUERY(s, "SELECT id FROM acct ORDER BY id", "1\n2\n3");
    EXEC_OK(s, "BEGIN");
    EXEC_ERR(s, "SELECT * FROM no_such_table", "42P01"); /* planning errors abort too */
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_OK(s, "ROLLBACK");
    EXEC_OK(s, "BEGIN");
    EXEC_ERR(s, "SELEC 1", "42601");
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_OK(s, "ROLLBACK");
    EXEC_OK(s, "BEGIN");
    EXEC_ERR(s, "SELECT 1/0", "22012");
    EXEC_ERR(s, "SELECT 1", "25P02");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT 1", "1");
    /* autocommit: a failing multi-row statement changes nothing */
    EXEC_ERR(s, "INSERT INTO acct VALUES (10, 1), (11, 1), (1, 1)", "23505");
    EXEC_ERR(s, "UPDATE acct SET bal = bal / (id - 2)", "22012");
    QUERY(s, "SELECT id, bal FROM acct ORDER BY id", "1|90\n2|60\n3|1");
    /* commands inside a block see earlier commands */
    EXEC_OK(s,
            "BEGIN; INSERT INTO acct VALUES (7, 7); UPDATE acct SET bal = 8 WHERE id = 7; COMMIT");
    QUERY(s, "SELECT bal FROM acct WHERE id = 7", "8");
    /* a statement streaming rows from a block that ends reports it, once */
    {
        tw_err err;
        tw_err_clear(&err);
        tw_sql_stmt *st;
        size_t used;
        const char *q = "SELECT id FROM acct ORDER BY id";
        EXEC_OK(s, "BEGIN");
        CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
        CHECK(tw_sql_step(st, &err) == TWILL_ROW);
        EXEC_OK(s, "COMMIT");
        CHECK(tw_sql_step(st, &err) == TWILL_ERROR && !strcmp(err.sqlstate, "34000"));
        tw_sql_reset(st);
        int n = 0;
        while (tw_sql_step(st, &err) == TWILL_ROW) n++;
        CHECK(n == 4);
        tw_sql_finalize(st);
    }
    /* DDL is transactional */
    EXEC_OK(s, "BEGIN; CREATE TABLE tmp1 (a int); INSERT INTO tmp1 VALUES (1)");
    QUERY(s, "SELECT a FROM tmp1", "1");
    EXEC_OK(s, "ROLLBACK");
    EXEC_ERR(s, "SELECT a FROM tmp1", "42P01");
    EXEC_OK(s, "BEGIN; CREATE TABLE tmp2 (a int PRIMARY KEY); INSERT INTO tmp2 VALUES (1); COMMIT");
    QUERY(s, "SELECT a FROM tmp2", "1");
    EXEC_OK(s, "BEGIN; DROP TABLE tmp2; ROLLBACK");
    QUERY(s, "SELECT a FROM tmp2", "1");
    EXEC_OK(s, "DROP TABLE tmp2");
}

/* READ COMMITTED (the default, as in PostgreSQL) against REPEATABLE READ/SERIALIZABLE,
 * how a block or a session picks its level, and the conflict rule both share. */
static void test_isolation_levels(tw_sql_session *a, tw_sql_session *b) {
    EXEC_OK(a, "UPDATE kv SET v = 'uno' WHERE k = 1");
    CHECK(tw_sql_isolation(b) == TW_ISO_READ_COMMITTED);
    EXEC_OK(b, "BEGIN");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "uno");
    EXEC_OK(a, "UPDATE kv SET v = 'eins' WHERE k = 1");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "eins"); /* each statement: a new snapshot */
    EXEC_OK(b, "COMMIT");
    /* SET TRANSACTION as the block's first statement; after a query it is 25001 */
    EXEC_OK(b, "BEGIN; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    CHECK(tw_sql_isolation(b) == TW_ISO_REPEATABLE_READ);
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "eins");
    EXEC_OK(a, "UPDATE kv SET v = 'ein' WHERE k = 1");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "eins");
    EXEC_ERR(b, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "25001");
    EXEC_OK(b, "ROLLBACK");
    /* the session default */
    EXEC_OK(b, "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    CHECK(tw_sql_isolation(b) == TW_ISO_SERIALIZABLE);
    EXEC_OK(b, "BEGIN");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "ein");
    EXEC_OK(a, "UPDATE kv SET v = 'one' WHERE k = 1");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "ein");
    EXEC_OK(b, "COMMIT");
    QUERY(b, "SHOW default_transaction_isolation", "serializable");
    EXEC_OK(b, "SET default_transaction_isolation = 'read committed'");
    CHECK(tw_sql_isolation(b) == TW_ISO_READ_COMMITTED);
    QUERY(b, "SHOW transaction_isolation", "read committed");
    EXEC_OK(b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    QUERY(b, "SHOW TRANSACTION ISOLATION LEVEL", "repeatable read");
    QUERY(b, "SHOW default_transaction_isolation", "read committed");
    EXEC_OK(b, "COMMIT");
    EXEC_ERR(b, "SET default_transaction_isolation = 'bogus'", "22023");
    EXEC_OK(b, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"); /* outside a block: no effect */
    CHECK(tw_sql_isolation(b) == TW_ISO_READ_COMMITTED);
    /* READ COMMITTED never loses an update: a key committed by another transaction
     * after this block's first write is a conflict, even once this block has read the
     * newer value (PostgreSQL would wait for the row lock and go on) */
    EXEC_OK(a, "BEGIN");
    EXEC_OK(b, "BEGIN");
    EXEC_OK(b, "UPDATE kv SET v = 'b1' WHERE k = 1");
    EXEC_OK(a, "UPDATE kv SET v = 'a2' WHERE k = 2");
    EXEC_OK(a, "COMMIT");
    QUERY(b, "SELECT v FROM kv WHERE k = 2", "a2");
    EXEC_ERR(b, "UPDATE kv SET v = v || '+b' WHERE k = 2", "40001"); /* known at the write */
    EXEC_OK(b, "COMMIT"); /* of an aborted block: rolls it back */
    QUERY(a, "SELECT v FROM kv ORDER BY k", "one\na2\nthree");
    /* before any write, a read-committed block reads the newest rows and commits */
    EXEC_OK(b, "BEGIN");
    QUERY(b, "SELECT v FROM kv WHERE k = 2", "a2");
    EXEC_OK(a, "UPDATE kv SET v = 'two' WHERE k = 2");
    EXEC_OK(b, "UPDATE kv SET v = v || '!' WHERE k = 2");
    EXEC_OK(b, "COMMIT");
    QUERY(a, "SELECT v FROM kv WHERE k = 2", "two!");
}

static void test_two_sessions(void) {
    tw_sql_session *a = sqlt_session(&D), *b = sqlt_session(&D);
    EXEC_OK(a, "CREATE TABLE kv (k int PRIMARY KEY, v text)");
    EXEC_OK(a, "INSERT INTO kv VALUES (1, 'one'), (2, 'two')");
    /* REPEATABLE READ (snapshot isolation): b's block does not see a's later commit */
    EXEC_OK(b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "one");
    EXEC_OK(a, "UPDATE kv SET v = 'uno' WHERE k = 1");
    EXEC_OK(a, "INSERT INTO kv VALUES (3, 'three')");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "one");
    QUERY(b, "SELECT count(*) FROM kv", "2");
    EXEC_OK(b, "COMMIT");
    QUERY(b, "SELECT v FROM kv WHERE k = 1", "uno");
    QUERY(b, "SELECT count(*) FROM kv", "3");
    /* write-write conflict: first committer wins, the other gets 40001 */
    EXEC_OK(a, "BEGIN");
    EXEC_OK(b, "BEGIN");
    EXEC_OK(a, "UPDATE kv SET v = 'A' WHERE k = 2");
    EXEC_OK(b, "UPDATE kv SET v = 'B' WHERE k = 2");
    EXEC_OK(a, "COMMIT");
    EXEC_ERR(b, "COMMIT", "40001");
    CHECK(!tw_sql_in_transaction(b));
    QUERY(b, "SELECT v FROM kv WHERE k = 2", "A");
    test_isolation_levels(a, b);
    /* a table created by one session is visible to the other after commit */
    EXEC_OK(a, "BEGIN; CREATE TABLE shared (x int)");
    EXEC_ERR(b, "SELECT x FROM shared", "42P01");
    EXEC_OK(a, "COMMIT");
    EXEC_OK(b, "INSERT INTO shared VALUES (1)");
    QUERY(a, "SELECT x FROM shared", "1");
    tw_sql_session_close(a);
    tw_sql_session_close(b);
}

static void test_persistence(void) {
    tw_sql_session *s = sqlt_session(&D);
    EXEC_OK(
        s, "CREATE TABLE p (id bigint PRIMARY KEY, name varchar(20), b bytea, f real, ok boolean)");
    EXEC_OK(s, "CREATE INDEX p_name ON p (name)");
    EXEC_OK(s, "CREATE TABLE nopk (a int, b text DEFAULT 'dflt')");
    EXEC_OK(s, "INSERT INTO p VALUES (1, 'a', '\\x00ff', 1.25, true), (2, 'b', NULL, NULL, false)");
    EXEC_OK(s, "INSERT INTO nopk (a) VALUES (1), (2)");
    EXEC_OK(s, "CREATE VIEW pv AS SELECT id, name FROM p WHERE ok");
    tw_sql_session_close(s);
    if (sqlt_reopen(&D)) {
        CHECK(0);
        return;
    }
    s = sqlt_session(&D);
    QUERY(s, "SELECT * FROM p ORDER BY id", "1|a|\\x00ff|1.25|t\n2|b|NULL|NULL|f");
    QUERY(s, "SELECT id FROM p WHERE name = 'b'", "2");
    QUERY(s, "SELECT name FROM pv", "a");
    QUERY(s, "SELECT a, b FROM nopk ORDER BY a", "1|dflt\n2|dflt");
    EXEC_OK(s, "INSERT INTO nopk VALUES (3, 'x')"); /* row ids continue after reopen */
    QUERY(s, "SELECT count(*) FROM nopk", "3");
    QUERY(s, "SELECT bal FROM acct WHERE id = 7", "8");
    EXEC_ERR(s, "CREATE TABLE p (x int)", "42P07");
    EXEC_OK(s, "CREATE TABLE q (x int PRIMARY KEY)"); /* ids do not collide after reopen */
    EXEC_OK(s, "INSERT INTO q VALUES (1)");
    QUERY(s, "SELECT count(*) FROM p", "2");
    tw_sql_session_close(s);
}

int main(void) {
    if (sqlt_create(&D, "sqltxn")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_blocks(s);
    tw_sql_session_close(s);
    test_two_sessions();
    test_persistence();
    sqlt_destroy(&D);
    return sqlt_finish();
}
