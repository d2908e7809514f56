/* WITH queries: CTEs in SELECT (chained, shadowing tables, referenced twice, nested in
 * subqueries, column aliases) and WITH RECURSIVE (UNION ALL and UNION, cycles ended by
 * UNION, joins against the working table, EXPLAIN), with PostgreSQL 15's errors. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_plain(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE emp (id int PRIMARY KEY, boss int, name text)");
    EXEC_OK(s, "INSERT INTO emp VALUES (1, NULL, 'ceo'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'c'), "
               "(5, 4, 'd')");
    QUERY(s,
          "WITH x AS (SELECT id FROM emp WHERE boss = 1), y AS (SELECT * FROM x WHERE id > 2) "
          "SELECT * FROM y",
          "3");
    QUERY(s, "WITH x(k) AS (SELECT id FROM emp) SELECT count(*), max(k) FROM x", "5|5");
    QUERY(s, "WITH x AS (SELECT 1 AS a) SELECT * FROM x a JOIN x b ON a.a = b.a", "1|1");
    /* a CTE hides a table of the same name */
    QUERY(s, "WITH emp AS (SELECT 42 AS id) SELECT * FROM emp", "42");
    QUERY(s, "SELECT (WITH t AS (SELECT max(id) AS m FROM emp) SELECT m FROM t)", "5");
    QUERY(s,
          "WITH t AS (SELECT id FROM emp) SELECT name FROM emp WHERE id IN (SELECT id FROM t "
          "WHERE id > 3) ORDER BY 1",
          "c\nd");
    QUERY(s,
          "WITH a AS (SELECT 1 AS v) SELECT * FROM (WITH b AS (SELECT v + 1 AS w FROM a) "
          "SELECT * FROM b) s",
          "2");
    QUERY(s,
          "WITH x AS (SELECT id FROM emp) SELECT id FROM x UNION SELECT 9 ORDER BY 1 DESC "
          "LIMIT 2",
          "9\n5");
    EXEC_ERR(s, "WITH x AS (SELECT 1), x AS (SELECT 2) SELECT 1", "42712");
    EXEC_ERR(s, "WITH x AS (SELECT * FROM x) SELECT 1", "42P01");    /* not recursive */
    EXEC_ERR(s, "WITH y AS (SELECT * FROM nope) SELECT 1", "42P01"); /* checked unused */
    EXEC_ERR(s, "WITH d AS (DELETE FROM emp RETURNING *) SELECT 1", "0A000");
    EXEC_ERR(s, "WITH x(a, b) AS (SELECT 1) SELECT * FROM x", "42P10");
    QUERY(s, "SELECT count(*) FROM emp", "5");
    /* WITH ... INSERT ... SELECT */
    EXEC_OK(s, "CREATE TABLE nums (n int)");
    EXEC_OK(s, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
               "INSERT INTO nums SELECT n * n FROM r");
    QUERY(s, "SELECT count(*), sum(n) FROM nums", "10|385");
    EXEC_ERR(s, "WITH x AS (SELECT * FROM nope) INSERT INTO nums VALUES (1)", "42P01");
}

static void test_recursive(tw_sql_session *s) {
    QUERY(s,
          "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100) "
          "SELECT sum(n), count(*) FROM r",
          "5050|100");
    /* the management chain above 'd', deepest first */
    QUERY(s,
          "WITH RECURSIVE up AS (SELECT id, boss, 0 AS depth FROM emp WHERE id = 5 "
          "UNION ALL SELECT e.id, e.boss, u.depth + 1 FROM emp e JOIN up u ON e.id = u.boss) "
          "SELECT id, depth FROM up ORDER BY depth",
          "5|0\n4|1\n2|2\n1|3");
    /* everyone under 'a' */
    QUERY(s,
          "WITH RECURSIVE down AS (SELECT id FROM emp WHERE name = 'a' UNION ALL "
          "SELECT e.id FROM emp e, down d WHERE e.boss = d.id) SELECT id FROM down ORDER BY id",
          "2\n4\n5");
    /* UNION (distinct) stops a cycle */
    QUERY(s,
          "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n % 3 + 1 FROM t) "
          "SELECT n FROM t ORDER BY n",
          "1\n2\n3");
    QUERY(s,
          "WITH RECURSIVE f(i, v) AS (SELECT 1, 1::bigint UNION ALL "
          "SELECT i + 1, v * (i + 1) FROM f WHERE i < 20) SELECT v FROM f WHERE i = 20",
          "2432902008176640000");
    /* a non-recursive CTE may sit in a RECURSIVE list, and the recursive one read it */
    QUERY(s,
          "WITH RECURSIVE a AS (SELECT 1 AS v), b(v) AS (SELECT v FROM a UNION "
          "SELECT v + 1 FROM b WHERE v < 3) SELECT * FROM b ORDER BY v",
          "1\n2\n3");
    /* the recursive CTE referenced twice, and from a correlated subquery */
    QUERY(s,
          "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
          "SELECT n, (SELECT count(*) FROM r r2 WHERE r2.n <= r.n) FROM r ORDER BY n",
          "1|1\n2|2\n3|3");
    QUERY(s,
          "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
          "SELECT count(*) FROM r a, r b",
          "9");
    /* no rows in the non-recursive term: none at all */
    QUERY(s,
          "WITH RECURSIVE r(n) AS (SELECT id FROM emp WHERE id > 99 UNION ALL "
          "SELECT n + 1 FROM r) SELECT count(*) FROM r",
          "0");
    EXEC_ERR(s, "WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT 2.5 FROM r) SELECT * FROM r",
             "42804");
    EXEC_ERR(s, "WITH RECURSIVE r AS (SELECT * FROM r UNION ALL SELECT 1) SELECT * FROM r",
             "42P19");
    EXEC_ERR(s, "WITH RECURSIVE r AS (SELECT 1 FROM r) SELECT * FROM r", "42P19");
    EXEC_ERR(s, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n FROM r LIMIT 1) SELECT 1",
             "0A000");
    /* a runaway recursion is stopped by a statement error, not a crash: here 22003 */
    EXEC_ERR(s, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n * 2 FROM r) SELECT * FROM r",
             "22003");
}

int main(void) {
    if (sqlt_create(&D, "sqlwith")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_plain(s);
    test_recursive(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
