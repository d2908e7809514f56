/* EXPLAIN and EXPLAIN ANALYZE: the plan names the access path each scan takes (so a
 * test can tell an index lookup from a full scan), ANALYZE reports the rows each node
 * produced, and EXPLAIN ANALYZE of a DML statement really writes (as in PostgreSQL). */
#include "lib_sqltest.h"

#include <stdio.h>
#include <string.h>

static sqlt_db D;

/* All lines of an EXPLAIN, newline-joined, into out. */
static void plan_text(tw_sql_session *s, const char *sql, char *out, size_t cap) {
    tw_err e;
    tw_err_clear(&e);
    out[0] = 0;
    if (sqlt_query(s, sql, out, cap, &e)) fprintf(stderr, "%s: %s %s\n", sql, e.sqlstate, e.msg);
}

#define PLAN_HAS(s, sql, needle)                                                                   \
    do {                                                                                           \
        static char p_[8192];                                                                      \
        plan_text((s), (sql), p_, sizeof p_);                                                      \
        sqlt_checks++;                                                                             \
        if (!strstr(p_, (needle))) {                                                               \
            sqlt_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s\n  plan lacks \"%s\":\n%s\n", __FILE__, __LINE__, (sql),    \
                    (needle), p_);                                                                 \
        }                                                                                          \
    } while (0)

#define PLAN_LACKS(s, sql, needle)                                                                 \
    do {                                                                                           \
        static char p_[8192];                                                                      \
        plan_text((s), (sql), p_, sizeof p_);                                                      \
        sqlt_checks++;                                                                             \
        if (strstr(p_, (needle))) {                                                                \
            sqlt_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s\n  plan has \"%s\":\n%s\n", __FILE__, __LINE__, (sql),      \
                    (needle), p_);                                                                 \
        }                                                                                          \
    } while (0)

static void test_plans(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE t (id int PRIMARY KEY, a int, b text)");
    EXEC_OK(s, "CREATE INDEX t_a ON t (a)");
    EXEC_OK(s, "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, 10, 'z')");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE id = 2", "Index Scan using t_pkey on t");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE id = 2", "Index Cond: (id = 2)");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE id > 1", "Index Cond: (id >= ");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE a = $1", "Index Scan using t_a on t");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE a = $1", "Index Cond: (a = ($1)::integer)");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE b = 'x'", "Seq Scan on t");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE b = 'x'", "Filter: (t.b = 'x'::text)");
    PLAN_LACKS(s, "EXPLAIN SELECT * FROM t WHERE id = 2", "Seq Scan");
    PLAN_HAS(s, "EXPLAIN SELECT b FROM t WHERE a = 10 ORDER BY b DESC LIMIT 1", "Limit");
    PLAN_HAS(s, "EXPLAIN SELECT b FROM t WHERE a = 10 ORDER BY b DESC LIMIT 1",
             "Sort Key: t.b DESC");
    PLAN_HAS(s, "EXPLAIN SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1",
             "Group Key: t.a");
    PLAN_HAS(s, "EXPLAIN SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1",
             "Filter: (count(*) > 1)");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t x JOIN t y ON x.a = y.id", "Nested Loop");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t x LEFT JOIN t y ON x.a = y.id", "Nested Loop Left Join");
    PLAN_HAS(s, "EXPLAIN SELECT * FROM t WHERE id IN (SELECT a FROM t WHERE b = 'q')", "SubPlan 1");
    PLAN_HAS(s, "EXPLAIN DELETE FROM t WHERE id = 9", "Delete on t");
    PLAN_HAS(s, "EXPLAIN INSERT INTO t VALUES (9, 9, 'n')", "Insert on t");
    /* EXPLAIN alone does not run the statement */
    QUERY(s, "SELECT count(*) FROM t WHERE id = 9", "0");
}

static void test_analyze(tw_sql_session *s) {
    PLAN_HAS(s, "EXPLAIN ANALYZE SELECT * FROM t WHERE a = 10", "rows=2 loops=1");
    PLAN_HAS(s, "EXPLAIN ANALYZE SELECT * FROM t WHERE a = 10", "Execution Time:");
    PLAN_HAS(s, "EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM t WHERE a = 99", "rows=0 loops=1");
    PLAN_HAS(s, "EXPLAIN (ANALYZE false) SELECT * FROM t", "Seq Scan on t");
    PLAN_LACKS(s, "EXPLAIN (ANALYZE false) SELECT * FROM t", "actual");
    /* the inner scan of a nested loop runs once per outer row */
    PLAN_HAS(s, "EXPLAIN ANALYZE SELECT * FROM t x JOIN t y ON y.id = x.id", "loops=3");
    /* EXPLAIN ANALYZE UPDATE writes, in autocommit and in a block that rolls back */
    PLAN_HAS(s, "EXPLAIN ANALYZE UPDATE t SET a = a + 1 WHERE id = 3", "Update on t");
    QUERY(s, "SELECT a FROM t WHERE id = 3", "11");
    EXEC_OK(s, "BEGIN");
    PLAN_HAS(s, "EXPLAIN ANALYZE DELETE FROM t WHERE id = 3", "Delete on t");
    QUERY(s, "SELECT count(*) FROM t", "2");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT count(*) FROM t", "3");
}

static void test_errors(tw_sql_session *s) {
    EXEC_ERR(s, "EXPLAIN (FORMAT JSON) SELECT 1", "0A000");
    EXEC_ERR(s, "EXPLAIN (NOPE) SELECT 1", "42601");
    EXEC_ERR(s, "EXPLAIN SELECT * FROM missing", "42P01");
    EXEC_ERR(s, "EXPLAIN CREATE TABLE z AS SELECT 1", "0A000");
    EXEC_ERR(s, "EXPLAIN CREATE TABLE z (a int)",
             "42601"); /* not explainable in PostgreSQL either */
    /* a runtime error inside EXPLAIN ANALYZE fails the statement */
    EXEC_ERR(s, "EXPLAIN ANALYZE SELECT 1 / (a - a) FROM t", "22012");
}

int main(void) {
    if (sqlt_create(&D, "sqlexplain")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_plans(s);
    test_analyze(s);
    test_errors(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
