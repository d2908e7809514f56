/* VALUES as a query: alone, as a FROM item with column aliases, in set operations and
 * IN lists, with each column typed by its values as PostgreSQL resolves them. Expected
 * values were checked against PostgreSQL 15. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_values(tw_sql_session *s) {
    QUERY(s, "VALUES (1, 'a'), (2, NULL)", "1|a\n2|NULL");
    QUERY(s, "SELECT * FROM (VALUES (1, 2.5), (3, 4)) AS t(a, b) ORDER BY a DESC", "3|4\n1|2.5");
    QUERY(s, "SELECT column1, column2 FROM (VALUES (1, 'x')) v", "1|x");
    QUERY(s, "SELECT 1 UNION ALL VALUES (2), (3)", "1\n2\n3");
    QUERY(s, "SELECT count(*), sum(x) FROM (VALUES (1), (2), (NULL)) v(x)", "3|3");
    QUERY(s, "SELECT x FROM (VALUES (1.5::float8), (2)) v(x) ORDER BY x", "1.5\n2");
    QUERY(s, "SELECT 2 IN (SELECT * FROM (VALUES (1), (2)) v)", "t");
    EXEC_OK(s, "CREATE TABLE kv (k int PRIMARY KEY, v text)");
    EXEC_OK(s, "INSERT INTO kv SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS n(k, v)");
    QUERY(s, "SELECT kv.v, n.w FROM kv JOIN (VALUES (2, 'zwei')) n(k, w) ON n.k = kv.k",
          "two|zwei");
    /* psql's \d "Referenced by" query asks pg_partition_ancestors: a table is its own */
    QUERY(s, "SELECT count(*) FROM (SELECT pg_partition_ancestors('kv')) a", "0");
    QUERY(s,
          "SELECT count(*) FROM kv WHERE 'kv'::regclass IN (SELECT pg_partition_ancestors('kv') "
          "UNION ALL VALUES ('kv'::regclass))",
          "2");
    EXEC_ERR(s, "VALUES (1, 2), (3)", "42601");
    EXEC_ERR(s, "VALUES (1), ('a')", "22P02");
    EXEC_ERR(s, "VALUES (1), (true)", "42804");
}

int main(void) {
    if (sqlt_create(&D, "sqlvalues")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_values(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
