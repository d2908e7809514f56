/* RIGHT JOIN (as the mirrored LEFT JOIN), JOIN ... USING and NATURAL JOIN (the joined
 * columns listed once, first, and unqualified names meaning them), and PostgreSQL 15's
 * errors. Expected values were checked against PostgreSQL 15. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_joins(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE a (x int, id int, an text)");
    EXEC_OK(s, "CREATE TABLE b (id int, bn text, x int)");
    EXEC_OK(s, "INSERT INTO a VALUES (1, 1, 'a1'), (2, 2, 'a2'), (3, NULL, 'a3')");
    EXEC_OK(s, "INSERT INTO b VALUES (1, 'b1', 10), (3, 'b3', 30), (4, 'b4', 1)");
    QUERY(s, "SELECT * FROM a RIGHT JOIN b ON a.id = b.id ORDER BY bn",
          "1|1|a1|1|b1|10\nNULL|NULL|NULL|3|b3|30\nNULL|NULL|NULL|4|b4|1");
    QUERY(s, "SELECT b.bn FROM a RIGHT OUTER JOIN b ON a.id = b.id WHERE a.an IS NULL ORDER BY 1",
          "b3\nb4");
    QUERY(s, "SELECT count(*), count(a.an) FROM a RIGHT JOIN b ON a.id = b.id AND b.x > 5", "3|1");
    QUERY(s, "SELECT b.bn, a2.an FROM a RIGHT JOIN b ON a.id = b.id JOIN a a2 ON a2.x = b.x",
          "b4|a1");
    QUERY(s, "SELECT * FROM a JOIN b USING (id)", "1|1|a1|b1|10");
    QUERY(s, "SELECT * FROM a LEFT JOIN b USING (id) ORDER BY an",
          "1|1|a1|b1|10\n2|2|a2|NULL|NULL\nNULL|3|a3|NULL|NULL");
    QUERY(s, "SELECT id, a.id, b.id, a.x, b.x FROM a JOIN b USING (id)", "1|1|1|1|10");
    QUERY(s, "SELECT a.*, b.* FROM a JOIN b USING (id)", "1|1|a1|1|b1|10");
    QUERY(s, "SELECT * FROM a NATURAL JOIN b", "");
    QUERY(s, "SELECT * FROM a NATURAL LEFT JOIN b ORDER BY an",
          "1|1|a1|NULL\n2|2|a2|NULL\n3|NULL|a3|NULL");
    QUERY(s, "SELECT count(*) FROM a JOIN b USING (id, x)", "0");
    EXEC_ERR(s, "SELECT * FROM a JOIN b USING (nope)", "42703");
    EXEC_ERR(s, "SELECT * FROM a JOIN b USING (an)", "42703");
    EXEC_ERR(s, "SELECT x FROM a JOIN b USING (id)", "42702");
}

/* Joins on columns without an index run as hash joins: same rows as the nested loop,
 * NULL keys never match, LEFT joins keep unmatched rows, extra conditions filter the
 * candidates. */
static void test_hash_join(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE h1 (k int, k2 smallint, t text, v int)");
    EXEC_OK(s, "CREATE TABLE h2 (k bigint, t text, w int)");
    EXEC_OK(s, "INSERT INTO h1 VALUES (1, 1, 'a', 10), (2, 2, 'b', 20), (2, 2, 'b', 21), "
               "(NULL, 3, 'c', 30), (4, 4, NULL, 40)");
    EXEC_OK(s, "INSERT INTO h2 VALUES (1, 'a', 100), (2, 'b', 200), (2, 'x', 201), "
               "(NULL, 'c', 300), (5, NULL, 500)");
    char plan[4096];
    tw_err e;
    tw_err_clear(&e);
    CHECK(sqlt_query(s, "EXPLAIN SELECT * FROM h1 JOIN h2 ON h1.k = h2.k", plan, sizeof plan, &e) ==
              0 &&
          strstr(plan, "Hash Join") && strstr(plan, "Hash Cond: (h1.k = h2.k)"));
    QUERY(s, "SELECT h1.v, h2.w FROM h1 JOIN h2 ON h1.k = h2.k ORDER BY 1, 2",
          "10|100\n20|200\n20|201\n21|200\n21|201");
    QUERY(s, "SELECT h1.v, h2.w FROM h1 JOIN h2 ON h1.k2 = h2.k AND h1.t = h2.t ORDER BY 1",
          "10|100\n20|200\n21|200");
    QUERY(s, "SELECT h1.v, h2.w FROM h1 LEFT JOIN h2 ON h1.k = h2.k AND h2.w > 200 ORDER BY 1",
          "10|NULL\n20|201\n21|201\n30|NULL\n40|NULL");
    QUERY(s,
          "SELECT h1.v, h2.w FROM h1, h2 WHERE h1.t = h2.t AND h2.w <> h1.v * 10 + 1 "
          "ORDER BY 1",
          "10|100\n20|200\n21|200\n30|300");
    QUERY(s, "SELECT count(*) FROM h1 a JOIN h1 b ON a.k = b.k JOIN h2 ON h2.k = b.k", "9");
    QUERY(s,
          "SELECT h2.w, h1.v FROM h2 RIGHT JOIN h1 ON h1.k = h2.k WHERE h2.w IS NULL "
          "ORDER BY 2",
          "NULL|30\nNULL|40");
}

static void test_full_join(tw_sql_session *s) {
    QUERY(s, "SELECT h1.v, h2.w FROM h1 FULL JOIN h2 ON h1.k = h2.k ORDER BY 1, 2",
          "10|100\n20|200\n20|201\n21|200\n21|201\n30|NULL\n40|NULL\nNULL|300\nNULL|500");
    QUERY(s,
          "SELECT h1.v, h2.w FROM h1 FULL OUTER JOIN h2 ON h1.k = h2.k AND h2.w > 200 "
          "AND h1.v < 21 ORDER BY 1, 2",
          "10|NULL\n20|201\n21|NULL\n30|NULL\n40|NULL\nNULL|100\nNULL|200\nNULL|300\nNULL|500");
    QUERY(s,
          "SELECT h1.v, h2.w FROM h1 FULL JOIN h2 ON h1.k = h2.k WHERE h1.v IS NULL "
          "OR h2.w IS NULL ORDER BY 1, 2",
          "30|NULL\n40|NULL\nNULL|300\nNULL|500");
    QUERY(s, "SELECT count(*) FROM h1 FULL JOIN h2 ON h1.t = h2.t", "7");
    EXEC_ERR(s, "SELECT * FROM h1 FULL JOIN h2 ON h1.k < h2.k", "0A000");
}

int main(void) {
    if (sqlt_create(&D, "sqljoins")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_joins(s);
    test_hash_join(s);
    test_full_join(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
