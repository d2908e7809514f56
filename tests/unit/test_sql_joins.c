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
    EXEC_ERR(s, "SELECT * FROM a FULL JOIN b ON a.id = b.id", "0A000");
}

int main(void) {
    if (sqlt_create(&D, "sqljoins")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_joins(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
