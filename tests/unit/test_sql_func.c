/* Built-in scalar functions through the registry (func.h): results as PostgreSQL 15
 * prints them, NULL handling, argument coercion, and the errors for a wrong signature
 * (42883) and an unknown function (0A000). Each module's functions have a section. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_string(tw_sql_session *s) {
    QUERY(s,
          "SELECT substr('héllo wörld', 2, 4), substring('abcdef' from 3), "
          "substring('abc' from 2 for 1), substr('abc', 0, 2), substr('abc', 5)",
          "éllo|cdef|b|a|");
    EXEC_ERR(s, "SELECT substr('abc', 1, -1)", "22011");
    QUERY(s, "SELECT position('wö' in 'héllo wörld'), strpos('abc', 'd'), strpos('abc', '')",
          "7|0|1");
    QUERY(s, "SELECT replace('aXbXc', 'X', '--'), replace('abc', '', 'z'), replace('aaa', 'a', '')",
          "a--b--c|abc|");
    QUERY(s,
          "SELECT concat('a', 1, NULL, 2.5, true), concat(), concat_ws(',', 'a', NULL, 3), "
          "concat_ws(NULL, 'a')",
          "a12.5t||a,3|NULL");
    QUERY(s,
          "SELECT left('abcdef', 2), left('abcdef', -2), right('abcdef', 2), "
          "right('abcdef', -2), left('ab', 9)",
          "ab|abcd|ef|cdef|ab");
    QUERY(s, "SELECT repeat('ab', 3), repeat('x', -1), reverse('héllo')", "ababab||olléh");
    QUERY(s,
          "SELECT trim('  x  ') || '|', trim(both 'xy' from 'xyaxy'), ltrim('  a'), "
          "rtrim('a  ') || '|', trim(leading 'é' from 'ééb')",
          "x||a|a|a||b");
    QUERY(s,
          "SELECT starts_with('abc', 'ab'), starts_with('abc', 'b'), "
          "split_part('a,b,c', ',', -1), split_part('a,b,c', ',', 2), "
          "split_part('a,b,c', ',', 4), split_part('a::b', '::', 2)",
          "t|f|c|b||b");
    EXEC_ERR(s, "SELECT split_part('a', ',', 0)", "22023");
    /* strict: a NULL argument gives NULL */
    QUERY(s, "SELECT substr(NULL, 1) IS NULL, replace('a', NULL, 'b') IS NULL", "t|t");
    /* columns and parameters of other text types */
    EXEC_OK(s, "CREATE TABLE words (w varchar(20), c char(5))");
    EXEC_OK(s, "INSERT INTO words VALUES ('alpha', 'ab'), ('beta', NULL)");
    QUERY(s, "SELECT upper(left(w, 1)) || substr(w, 2), concat(w, c) FROM words ORDER BY w",
          "Alpha|alphaab   \nBeta|beta" /* char(5) prints padded */);
    QUERY(s, "SELECT count(*) FROM words WHERE starts_with(w, 'al')", "1");
}

static void test_errors(tw_sql_session *s) {
    EXEC_ERR(s, "SELECT substr(1, 2)", "42883");
    EXEC_ERR(s, "SELECT repeat('a', 'b')", "22P02"); /* 'b' as an integer */
    EXEC_ERR(s, "SELECT strpos('a')", "42883");
    EXEC_ERR(s, "SELECT no_such_function(1)", "0A000");
    EXEC_ERR(s, "SELECT replace(DISTINCT 'a', 'b', 'c')", "42809");
}

int main(void) {
    if (sqlt_create(&D, "sqlfunc")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_string(s);
    test_errors(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
