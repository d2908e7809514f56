/* Window functions: ranking, offsets, first/last/nth value, window aggregates with
 * PostgreSQL's default frames (whole partition without ORDER BY; up to the current row's
 * last peer with it), ROWS frames, named windows, windows over aggregated rows, and the
 * errors PostgreSQL 15 gives. Expected values were checked against PostgreSQL 15. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_window(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE pay (dept text, name text, amount int)");
    EXEC_OK(s, "INSERT INTO pay VALUES ('a', 'x', 10), ('a', 'y', 20), ('a', 'z', 20), "
               "('b', 'p', 5), ('b', 'q', NULL), ('c', 'r', 7)");
    QUERY(s,
          "SELECT name, row_number() OVER (PARTITION BY dept ORDER BY amount DESC, name), "
          "rank() OVER (PARTITION BY dept ORDER BY amount DESC), "
          "dense_rank() OVER (PARTITION BY dept ORDER BY amount DESC) FROM pay ORDER BY name",
          "p|2|2|2\nq|1|1|1\nr|1|1|1\nx|3|3|2\ny|1|1|1\nz|2|1|1");
    /* sums: the whole partition, and running over peers (ties share the total) */
    QUERY(s,
          "SELECT name, sum(amount) OVER (PARTITION BY dept), "
          "sum(amount) OVER (PARTITION BY dept ORDER BY amount) FROM pay ORDER BY name",
          "p|5|5\nq|5|5\nr|7|7\nx|50|10\ny|50|50\nz|50|50");
    QUERY(s,
          "SELECT name, lag(name) OVER (PARTITION BY dept ORDER BY name), "
          "lead(amount, 1, -1) OVER (PARTITION BY dept ORDER BY name), "
          "lag(amount, 2) OVER (ORDER BY name) FROM pay ORDER BY name",
          "p|NULL|NULL|NULL\nq|p|-1|NULL\nr|NULL|-1|5\nx|NULL|20|NULL\ny|x|20|7\nz|y|-1|10");
    QUERY(s,
          "SELECT name, ntile(4) OVER (ORDER BY name), percent_rank() OVER (ORDER BY amount), "
          "cume_dist() OVER (ORDER BY amount) FROM pay ORDER BY name",
          "p|1|0|0.16666666666666666\nq|1|1|1\nr|2|0.2|0.3333333333333333\nx|2|0.4|0.5\n"
          "y|3|0.6|0.8333333333333334\nz|4|0.6|0.8333333333333334");
    /* a named window; last_value's default frame ends at the current row's last peer */
    QUERY(s,
          "SELECT name, first_value(name) OVER w, last_value(name) OVER w, "
          "nth_value(name, 2) OVER w FROM pay WINDOW w AS (ORDER BY name) ORDER BY name",
          "p|p|p|NULL\nq|p|q|q\nr|p|r|q\nx|p|x|q\ny|p|y|q\nz|p|z|q");
    QUERY(s,
          "SELECT name, last_value(name) OVER (ORDER BY amount), "
          "last_value(name) OVER (ORDER BY amount ROWS BETWEEN UNBOUNDED PRECEDING AND "
          "UNBOUNDED FOLLOWING) FROM pay WHERE dept = 'a' ORDER BY name",
          "x|x|z\ny|z|z\nz|z|z");
    QUERY(s,
          "SELECT name, count(*) OVER (ORDER BY amount ROWS BETWEEN UNBOUNDED PRECEDING AND "
          "CURRENT ROW), avg(amount) OVER (ORDER BY amount RANGE BETWEEN UNBOUNDED PRECEDING "
          "AND UNBOUNDED FOLLOWING), min(name) OVER (), max(amount) OVER () "
          "FROM pay ORDER BY amount, name",
          "p|1|12.4000000000000000|p|20\nr|2|12.4000000000000000|p|20\n"
          "x|3|12.4000000000000000|p|20\ny|4|12.4000000000000000|p|20\n"
          "z|5|12.4000000000000000|p|20\nq|6|12.4000000000000000|p|20");
    /* over aggregated rows; and in ORDER BY */
    QUERY(s,
          "SELECT dept, count(*), sum(count(*)) OVER (), rank() OVER (ORDER BY count(*) DESC) "
          "FROM pay GROUP BY dept ORDER BY dept",
          "a|3|6|1\nb|2|6|2\nc|1|6|3");
    QUERY(s, "SELECT name FROM pay ORDER BY row_number() OVER (ORDER BY name DESC) LIMIT 2",
          "z\ny");
    QUERY(s, "SELECT count(*) OVER () FROM pay WHERE false", "");
    QUERY(s, "SELECT row_number() OVER ()", "1");
    /* a window query as a subquery, filtered on its result (the top earner per dept) */
    QUERY(s,
          "SELECT dept, name FROM (SELECT dept, name, row_number() OVER (PARTITION BY dept "
          "ORDER BY amount DESC NULLS LAST, name) AS rn FROM pay) t WHERE rn = 1 ORDER BY dept",
          "a|y\nb|p\nc|r");
}

static void test_errors(tw_sql_session *s) {
    EXEC_ERR(s, "SELECT name FROM pay WHERE row_number() OVER () > 1", "42P20");
    EXEC_ERR(s, "SELECT dept FROM pay GROUP BY dept HAVING rank() OVER () > 1", "42P20");
    EXEC_ERR(s, "SELECT sum(row_number() OVER ()) OVER () FROM pay", "42P20");
    EXEC_ERR(s, "SELECT ntile(0) OVER () FROM pay", "22014");
    EXEC_ERR(s, "SELECT nth_value(name, 0) OVER () FROM pay", "22016");
    EXEC_ERR(s, "SELECT rank() OVER w FROM pay", "42704");
    EXEC_ERR(s, "SELECT sum(amount) OVER (ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM pay",
             "0A000");
    EXEC_ERR(s, "SELECT count(DISTINCT amount) OVER () FROM pay", "0A000");
    EXEC_ERR(s, "SELECT lag() OVER () FROM pay", "42883");
}

int main(void) {
    if (sqlt_create(&D, "sqlwindow")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    test_window(s);
    test_errors(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
