/* string_agg, bool_and / bool_or / every: NULL handling, per-row delimiters, groups,
 * bytea, and PostgreSQL 15's errors. Expected values were checked against PostgreSQL 15. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_aggregates(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE ev (g int, x text, d text, ok boolean)");
    EXEC_OK(s, "INSERT INTO ev VALUES (1, 'a', ',', true), (1, 'b', ';', false), "
               "(1, NULL, ',', NULL), (2, 'c', NULL, true), (2, 'd', NULL, true), "
               "(3, NULL, ',', NULL)");
    QUERY(s,
          "SELECT g, string_agg(x, ','), bool_and(ok), bool_or(ok), every(ok) FROM ev "
          "GROUP BY g ORDER BY g",
          "1|a,b|f|t|f\n2|c,d|t|t|t\n3|NULL|NULL|NULL|NULL");
    QUERY(s, "SELECT string_agg(x, d) FROM ev WHERE g = 1", "a;b");
    QUERY(s, "SELECT string_agg(x, d) FROM ev WHERE g = 2", "cd");
    QUERY(s, "SELECT string_agg(x, ','), string_agg(x, '-') FROM ev", "a,b,c,d|a-b-c-d");
    QUERY(s, "SELECT string_agg(DISTINCT x, '') FROM ev WHERE x < 'c'", "ab");
    QUERY(s, "SELECT count(*) FROM ev HAVING bool_or(g > 2)", "6");
    QUERY(s, "SELECT string_agg(x::bytea, '\\x2d'::bytea) FROM ev WHERE g = 2", "\\x632d64");
    EXEC_ERR(s, "SELECT string_agg(g, ',') FROM ev", "42883");
    EXEC_ERR(s, "SELECT bool_and(g) FROM ev", "42883");
    EXEC_ERR(s, "SELECT string_agg(x) FROM ev", "42883");
}

int main(void) {
    if (sqlt_create(&D, "sqlaggregates")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_aggregates(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
