/* SELECT DISTINCT ON: the first row of each group in ORDER BY order, with LIMIT/OFFSET
 * after the de-duplication, positions and aliases, NULLs as one group, and PostgreSQL
 * 15's 42P10 when ORDER BY does not start with the DISTINCT ON expressions. Expected
 * values were checked against PostgreSQL 15. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_distinct_on(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE ev (id int PRIMARY KEY, who text, at int, what text)");
    EXEC_OK(s, "INSERT INTO ev VALUES (1, 'ann', 10, 'a'), (2, 'bob', 5, 'b'), (3, 'ann', 30, "
               "'c'), (4, 'cy', 7, 'd'), (5, 'bob', 9, 'e'), (6, NULL, 1, 'f'), (7, NULL, 2, 'g')");
    /* each person's latest event */
    QUERY(s, "SELECT DISTINCT ON (who) who, at, what FROM ev ORDER BY who, at DESC",
          "ann|30|c\nbob|9|e\ncy|7|d\nNULL|2|g");
    QUERY(s, "SELECT DISTINCT ON (who) who, what FROM ev ORDER BY who, at",
          "ann|a\nbob|b\ncy|d\nNULL|f");
    QUERY(s, "SELECT DISTINCT ON (1) who, at FROM ev ORDER BY 1, 2 DESC LIMIT 2 OFFSET 1",
          "bob|9\ncy|7");
    QUERY(s, "SELECT DISTINCT ON (w) who AS w, at FROM ev ORDER BY w DESC, at LIMIT 2",
          "NULL|1\ncy|7");
    /* by an expression that is not in the select list */
    QUERY(s, "SELECT DISTINCT ON (at % 2) at FROM ev ORDER BY at % 2, at", "2\n1");
    /* without ORDER BY the groups come out sorted, one row each */
    QUERY(s, "SELECT count(*) FROM (SELECT DISTINCT ON (who) who FROM ev) t", "4");
    QUERY(s,
          "SELECT DISTINCT ON (who, at > 6) who, at > 6 FROM ev WHERE who = 'bob' "
          "ORDER BY who, at > 6",
          "bob|f\nbob|t");
    EXEC_ERR(s, "SELECT DISTINCT ON (who) who, at FROM ev ORDER BY at", "42P10");
    EXEC_ERR(s, "SELECT DISTINCT ON (3) who, at FROM ev", "42P10");
}

int main(void) {
    if (sqlt_create(&D, "sqldistincton")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_distinct_on(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
