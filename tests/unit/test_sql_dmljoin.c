/* SQL layer: UPDATE ... FROM and DELETE ... USING (joins in DML) with RETURNING.
 * Expected results are PostgreSQL 15's for the same statements. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void setup(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE t (id int PRIMARY KEY, v int, note text)");
    EXEC_OK(s, "CREATE TABLE u (tid int, w int, name text)");
    EXEC_OK(s, "INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')");
    EXEC_OK(s, "INSERT INTO u VALUES (1, 100, 'x'), (2, 200, 'y'), (2, 201, 'y2'), (5, 500, 'z')");
}

static void test_update_from(tw_sql_session *s) {
    QUERY(s,
          "UPDATE t SET v = u.w FROM u WHERE u.tid = t.id AND u.w < 201 RETURNING t.id, t.v, "
          "u.name",
          "1|100|x\n2|200|y");
    QUERY(s, "SELECT id, v, note FROM t ORDER BY id", "1|100|a\n2|200|b\n3|30|c");
    /* a target row matched by two rows is updated once */
    {
        tw_err err;
        tw_err_clear(&err);
        tw_sql_stmt *st = NULL;
        const char *q = "UPDATE t SET v = v + 1 FROM u WHERE u.tid = t.id";
        size_t used;
        CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
        CHECK(tw_sql_step(st, &err) == TWILL_DONE);
        CHECK(tw_sql_changes(st) == 2);
        tw_sql_finalize(st);
    }
    QUERY(s, "SELECT id, v FROM t ORDER BY id", "1|101\n2|201\n3|30");
    /* an alias for the target; RETURNING * is every table's columns */
    QUERY(s,
          "UPDATE t x SET note = u.name || x.note FROM u WHERE u.tid = x.id AND u.name = 'x' "
          "RETURNING *",
          "1|101|xa|1|100|x");
    /* a subquery in FROM, joins in FROM */
    EXEC_OK(s, "UPDATE t SET v = 0 FROM (SELECT 3 AS k) s WHERE s.k = t.id");
    QUERY(s, "SELECT v FROM t WHERE id = 3", "0");
    EXEC_OK(s, "UPDATE t SET v = a.w + b.w FROM u a JOIN u b ON a.tid = b.tid AND a.w < b.w "
               "WHERE a.tid = t.id");
    QUERY(s, "SELECT id, v FROM t ORDER BY id", "1|101\n2|401\n3|0");
    /* no match: nothing changes */
    QUERY(s, "UPDATE t SET v = -1 FROM u WHERE u.tid = t.id AND u.w > 1000 RETURNING t.id", "");
    /* errors */
    EXEC_ERR(s, "UPDATE t SET v = 1 FROM t WHERE true", "42712");
    EXEC_ERR(s, "UPDATE t SET v = nosuch.x FROM u", "42P01");
    EXEC_ERR(s, "UPDATE t SET v = 1 FROM nosuch", "42P01");
    EXEC_ERR(s, "UPDATE u SET w = 1 FROM t WHERE t.id = u.tid", "0A000"); /* no primary key */
    /* CHECK constraints apply to rows updated through a join */
    EXEC_OK(s, "ALTER TABLE t ADD CONSTRAINT vmax CHECK (v < 1000)");
    EXEC_ERR(s, "UPDATE t SET v = u.w * 10 FROM u WHERE u.tid = t.id", "23514");
}

static void test_delete_using(tw_sql_session *s) {
    /* (which of several matching rows RETURNING sees is unspecified, as in PostgreSQL) */
    QUERY(s,
          "DELETE FROM t USING u WHERE u.tid = t.id AND u.w > 150 AND u.w < 201 RETURNING t.*, "
          "u.w",
          "2|401|b|200");
    QUERY(s, "SELECT id FROM t ORDER BY id", "1\n3");
    /* a row matched twice is deleted (and counted) once */
    {
        tw_err err;
        tw_err_clear(&err);
        tw_sql_stmt *st = NULL;
        const char *q = "DELETE FROM t USING u, u AS u2 WHERE u.tid = t.id AND u2.tid = u.tid";
        size_t used;
        CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
        CHECK(tw_sql_step(st, &err) == TWILL_DONE);
        CHECK(tw_sql_changes(st) == 1);
        tw_sql_finalize(st);
    }
    QUERY(s, "SELECT id FROM t ORDER BY id", "3");
    /* inside a transaction block, rolled back */
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "DELETE FROM t USING (SELECT 3 AS k) s WHERE s.k = t.id");
    QUERY(s, "SELECT count(*) FROM t", "0");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT count(*) FROM t", "1");
    EXEC_ERR(s, "DELETE FROM u USING t WHERE t.id = u.tid", "0A000"); /* no primary key */
}

static void test_fk_through_joins(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE par (id int PRIMARY KEY)");
    EXEC_OK(s, "CREATE TABLE chi (id int PRIMARY KEY, pid int REFERENCES par ON DELETE CASCADE)");
    EXEC_OK(s, "CREATE TABLE gone (id int)");
    EXEC_OK(s, "INSERT INTO par VALUES (1), (2), (3)");
    EXEC_OK(s, "INSERT INTO chi VALUES (10, 1), (20, 2), (30, 3)");
    EXEC_OK(s, "INSERT INTO gone VALUES (2), (3)");
    QUERY(s, "DELETE FROM par USING gone WHERE gone.id = par.id RETURNING par.id", "2\n3");
    QUERY(s, "SELECT id, pid FROM chi ORDER BY id", "10|1");
    EXEC_ERR(s, "UPDATE chi SET pid = gone.id FROM gone WHERE gone.id = 2", "23503");
}

int main(void) {
    if (sqlt_create(&D, "sqldmljoin")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    if (!s) return 1;
    setup(s);
    test_update_from(s);
    test_delete_using(s);
    test_fk_through_joins(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
