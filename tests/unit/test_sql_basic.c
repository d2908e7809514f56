/* SQL layer: types, DDL, DML, SELECT features, through sql.h over a real engine. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_select_no_from(tw_sql_session *s) {
    QUERY(s, "SELECT 1+1", "2");
    QUERY(s, "select 1, 'a', true, null", "1|a|t|NULL");
    QUERY(s, "SELECT 7/2, 7%3, -7/2, 7.0/2", "3|1|-3|3.5000000000000000");
    QUERY(s, "SELECT 0.1::float8 + 0.2", "0.30000000000000004");
    QUERY(s, "SELECT 1e20::float8, 1e15::float8, 123456.0::float8, 0.0001::float8, 0.00001::float8",
          "1e+20|1e+15|123456|0.0001|1e-05");
    QUERY(s, "SELECT 1.5::real, 'NaN'::float8, '-Infinity'::float8", "1.5|NaN|-Infinity");
    QUERY(s, "SELECT 'abc' || 'def', 1 || 'x'", "abcdef|1x");
    QUERY(s, "SELECT '\\x0aff'::bytea, 'ab'::bytea", "\\x0aff|\\x6162");
    QUERY(s, "SELECT 1 < 2, 2 < 1, 1 = 1.0, 2 > 1.5", "t|f|t|t");
    QUERY(s, "SELECT NULL = NULL, NULL AND false, NULL OR true, NOT NULL IS NULL", "NULL|f|t|f");
    QUERY(s, "SELECT 5 BETWEEN 1 AND 10, 5 NOT BETWEEN 1 AND 4, 3 IN (1,2,3), 4 NOT IN (1,2)",
          "t|t|t|t");
    QUERY(s, "SELECT 1 IN (2, NULL), 1 NOT IN (2, NULL)", "NULL|NULL");
    QUERY(
        s,
        "SELECT 'hello' LIKE 'h%o', 'hello' LIKE 'h_llo', 'HeLLo' ILIKE 'hello', 'a' NOT LIKE 'b'",
        "t|t|t|t");
    QUERY(s, "SELECT CASE WHEN 1 > 2 THEN 'x' ELSE 'y' END, COALESCE(NULL, 3), NULLIF(1, 1)",
          "y|3|NULL");
    QUERY(s, "SELECT abs(-5), lower('AbC'), upper('x'), length('héllo')", "5|abc|X|5");
    QUERY(s, "SELECT '42'::int + 1, CAST('t' AS boolean), 3::text", "43|t|3");
    QUERY(s, "SELECT 9223372036854775807", "9223372036854775807");
    QUERY(s, "SELECT 1 WHERE false", "");
    EXEC_ERR(s, "SELECT 2147483647 + 1", "22003");
    EXEC_ERR(s, "SELECT 9223372036854775807::int8 * 2", "22003");
    EXEC_ERR(s, "SELECT 1/0", "22012");
    EXEC_ERR(s, "SELECT 1.0/0", "22012");
    EXEC_ERR(s, "SELECT 5 % 0", "22012");
    EXEC_ERR(s, "SELECT 'abc'::int", "22P02");
    EXEC_ERR(s, "SELECT 1 = 'x'", "22P02");
    EXEC_ERR(s, "SELECT 40000::smallint", "22003");
    EXEC_ERR(s, "SELECT '\\xzz'::bytea", "22023");
}

static void test_ddl_dml(tw_sql_session *s) {
    EXEC_OK(s,
            "CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL, score double precision, "
            "flag boolean DEFAULT true, v varchar(5), data bytea)");
    EXEC_ERR(s, "CREATE TABLE t (x int)", "42P07");
    EXEC_OK(s, "CREATE TABLE IF NOT EXISTS t (x int)");
    EXEC_OK(s, "INSERT INTO t (id, name, score) VALUES (1, 'one', 1.5), (2, 'two', NULL)");
    EXEC_OK(s, "INSERT INTO t VALUES (3, 'three', 3, false, 'abc', '\\xdeadbeef')");
    QUERY(s, "SELECT * FROM t",
          "1|one|1.5|t|NULL|NULL\n2|two|NULL|t|NULL|NULL\n3|three|3|f|abc|\\xdeadbeef");
    EXEC_ERR(s, "INSERT INTO t (id, name) VALUES (1, 'dup')", "23505");
    EXEC_ERR(s, "INSERT INTO t (id, name) VALUES (10, 'a'), (10, 'b')", "23505");
    QUERY(s, "SELECT count(*) FROM t", "3"); /* the failed statement changed nothing */
    EXEC_ERR(s, "INSERT INTO t (id) VALUES (11)", "23502");
    EXEC_ERR(s, "INSERT INTO t (id, name, v) VALUES (12, 'x', 'toolong')", "22001");
    EXEC_ERR(s, "INSERT INTO t (id, name) VALUES ('abc', 'x')", "22P02");
    EXEC_ERR(s, "INSERT INTO t (id, name) VALUES (3000000000, 'x')", "22003");
    EXEC_ERR(s, "INSERT INTO nosuch VALUES (1)", "42P01");
    EXEC_ERR(s, "INSERT INTO t (nosuch) VALUES (1)", "42703");
    EXEC_ERR(s, "SELECT nosuch FROM t", "42703");
    EXEC_ERR(s, "SELECT * FROM nosuch", "42P01");
    QUERY(s, "SELECT name FROM t WHERE id = 2", "two");
    QUERY(s, "SELECT name FROM t WHERE id = '2'", "two");
    QUERY(s, "SELECT id FROM t WHERE score IS NULL", "2");
    QUERY(s, "SELECT id FROM t WHERE score > 1 ORDER BY id DESC", "3\n1");
    QUERY(s, "SELECT id, score FROM t ORDER BY score", "1|1.5\n3|3\n2|NULL");
    QUERY(s, "SELECT id, score FROM t ORDER BY score DESC", "2|NULL\n3|3\n1|1.5");
    QUERY(s, "SELECT id, score FROM t ORDER BY score NULLS FIRST", "2|NULL\n1|1.5\n3|3");
    QUERY(s, "SELECT id AS k, name FROM t ORDER BY k DESC LIMIT 2", "3|three\n2|two");
    QUERY(s, "SELECT id FROM t ORDER BY 1 LIMIT 1 OFFSET 1", "2");
    QUERY(s, "SELECT id FROM t ORDER BY name", "1\n3\n2");
    QUERY(s, "SELECT id * 10 + 1 AS x FROM t WHERE id BETWEEN 2 AND 3 ORDER BY x", "21\n31");
    QUERY(s, "SELECT count(*), sum(id), min(name), max(score), avg(id) FROM t",
          "3|6|one|3|2.0000000000000000");
    QUERY(s, "SELECT count(score), sum(score) FROM t", "2|4.5");
    QUERY(s, "SELECT count(*) FROM t WHERE id > 100", "0");
    QUERY(s, "SELECT sum(id), max(id) FROM t WHERE id > 100", "NULL|NULL");
    QUERY(s, "SELECT flag, count(*) FROM t GROUP BY flag ORDER BY flag", "f|1\nt|2");
    QUERY(s, "SELECT flag, count(*) FROM t GROUP BY flag HAVING count(*) > 1", "t|2");
    EXEC_ERR(s, "SELECT name, count(*) FROM t", "42803");
    EXEC_ERR(s, "SELECT id FROM t WHERE count(*) > 1", "42803");
    /* UPDATE / DELETE */
    EXEC_OK(s, "UPDATE t SET score = score * 2 WHERE id = 1");
    QUERY(s, "SELECT score FROM t WHERE id = 1", "3");
    EXEC_OK(s, "UPDATE t SET name = name || '!'");
    QUERY(s, "SELECT name FROM t ORDER BY id", "one!\ntwo!\nthree!");
    EXEC_ERR(s, "UPDATE t SET name = NULL WHERE id = 1", "23502");
    EXEC_OK(s, "UPDATE t SET id = 20 WHERE id = 2");
    QUERY(s, "SELECT id, name FROM t ORDER BY id", "1|one!\n3|three!\n20|two!");
    EXEC_ERR(s, "UPDATE t SET id = 3 WHERE id = 1", "23505");
    EXEC_OK(s, "DELETE FROM t WHERE id = 3");
    QUERY(s, "SELECT id FROM t ORDER BY id", "1\n20");
    EXEC_OK(s, "DELETE FROM t");
    QUERY(s, "SELECT count(*) FROM t", "0");
    EXEC_OK(s, "DROP TABLE t");
    EXEC_ERR(s, "SELECT * FROM t", "42P01");
    EXEC_ERR(s, "DROP TABLE t", "42P01");
    EXEC_OK(s, "DROP TABLE IF EXISTS t");
}

static void test_pg_compat(tw_sql_session *s) {
    /* output names follow PostgreSQL's ranking */
    tw_err err;
    tw_err_clear(&err);
    tw_sql_stmt *st;
    size_t used;
    const char *q =
        "SELECT 2.5::float8::int, (0::float8)::text, CASE WHEN true THEN 1 ELSE x END, "
        "(SELECT max(x) FROM g), EXISTS (SELECT 1 FROM g), true, true::int, upper('a') FROM g";
    EXEC_OK(s, "CREATE TABLE g (x int)");
    CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
    const char *want[] = {"int4", "text", "x", "max", "exists", "?column?", "int4", "upper"};
    for (int i = 0; st && i < 8; i++) {
        const char *nm = tw_sql_column_name(st, i);
        CHECK(nm && !strcmp(nm, want[i]));
        if (nm && strcmp(nm, want[i])) fprintf(stderr, "column %d: %s, want %s\n", i, nm, want[i]);
    }
    tw_sql_finalize(st);
    /* a GROUP BY expression may appear whole in the select list */
    EXEC_OK(s, "INSERT INTO g VALUES (1), (8), (9)");
    QUERY(s, "SELECT x / 7, count(*) FROM g GROUP BY x / 7 ORDER BY 1", "0|1\n1|2");
    QUERY(s, "SELECT x / 7 + 1 FROM g GROUP BY x / 7 ORDER BY 1", "1\n2");
    EXEC_ERR(s, "SELECT x + 1 FROM g GROUP BY x / 7", "42803");
    /* sum() of float starts from the first value: a lone -0 stays -0 */
    QUERY(s, "SELECT sum(-x::float8 * 0) FROM g WHERE x = 1", "-0");
    EXEC_OK(s, "DROP TABLE g");
}

static void test_views(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE vt (id int PRIMARY KEY, g int, name text)");
    EXEC_OK(s, "INSERT INTO vt VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c')");
    EXEC_OK(s, "CREATE VIEW v1 AS SELECT id, name FROM vt WHERE g = 1");
    EXEC_OK(s, "CREATE VIEW v2 (grp, n) AS SELECT g, count(*) FROM vt GROUP BY g");
    QUERY(s, "SELECT name FROM v1 ORDER BY id", "a\nb");
    QUERY(s, "SELECT * FROM v2 ORDER BY grp", "1|2\n2|1");
    QUERY(s,
          "SELECT x.name, v2.n FROM v1 x JOIN vt ON vt.id = x.id JOIN v2 ON v2.grp = vt.g "
          "ORDER BY 1",
          "a|2\nb|2");
    EXEC_OK(s, "CREATE VIEW v3 AS SELECT count(*) AS c FROM v1");
    QUERY(s, "SELECT c FROM v3", "2");
    EXEC_OK(s, "INSERT INTO vt VALUES (4, 1, 'd')"); /* views see current data */
    QUERY(s, "SELECT c FROM v3", "3");
    EXEC_ERR(s, "CREATE VIEW v1 AS SELECT 1", "42P07");
    EXEC_OK(s, "CREATE OR REPLACE VIEW v1 AS SELECT id, name FROM vt WHERE g = 2");
    QUERY(s, "SELECT name FROM v1", "c");
    EXEC_ERR(s, "CREATE VIEW bad AS SELECT nosuch FROM vt", "42703");
    EXEC_ERR(s, "INSERT INTO v1 VALUES (9, 'z')", "0A000");
    EXEC_ERR(s, "DROP TABLE v1", "42809");
    EXEC_ERR(s, "DROP VIEW vt", "42809");
    EXEC_OK(s, "DROP VIEW v3");
    EXEC_ERR(s, "DROP VIEW v3", "42P01");
    EXEC_OK(s, "DROP VIEW IF EXISTS v3");
    EXEC_OK(s, "DROP VIEW v1, v2");
    EXEC_OK(s, "DROP TABLE vt");
}

static void test_changes(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE c (a int, b text)"); /* no primary key: hidden row id */
    tw_err err;
    tw_err_clear(&err);
    tw_sql_stmt *st;
    size_t used;
    const char *q = "INSERT INTO c VALUES (1, 'x'), (2, 'y'), (2, 'z')";
    CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
    CHECK(tw_sql_step(st, &err) == TWILL_DONE);
    CHECK(tw_sql_changes(st) == 3);
    tw_sql_finalize(st);
    q = "UPDATE c SET b = 'w' WHERE a = 2";
    CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
    CHECK(tw_sql_step(st, &err) == TWILL_DONE);
    CHECK(tw_sql_changes(st) == 2);
    tw_sql_finalize(st);
    QUERY(s, "SELECT a, b FROM c ORDER BY a, b", "1|x\n2|w\n2|w");
    q = "DELETE FROM c WHERE a = 1";
    CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
    CHECK(tw_sql_step(st, &err) == TWILL_DONE);
    CHECK(tw_sql_changes(st) == 1);
    tw_sql_finalize(st);
    EXEC_OK(s, "INSERT INTO c VALUES (5, 'v')");
    QUERY(s, "SELECT a FROM c ORDER BY a", "2\n2\n5");
    EXEC_OK(s, "DROP TABLE c");
}

static void test_sort(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE srt (id int PRIMARY KEY, v int, w text)");
    EXEC_OK(s, "BEGIN");
    for (int i = 0; i < 1000; i++) {
        char q[128];
        /* v is a permutation of 0..999; w repeats so ties occur */
        snprintf(q, sizeof q, "INSERT INTO srt VALUES (%d, %d, 'w%d')", i, (i * 7919) % 1000,
                 i % 10);
        EXEC_OK(s, q);
    }
    EXEC_OK(s, "COMMIT");
    QUERY(s, "SELECT v FROM srt ORDER BY v DESC LIMIT 5 OFFSET 2", "997\n996\n995\n994\n993");
    QUERY(s, "SELECT v FROM srt ORDER BY v LIMIT 3", "0\n1\n2");
    QUERY(s, "SELECT v FROM srt ORDER BY v LIMIT 0", "");
    QUERY(s, "SELECT w, min(v) FROM srt GROUP BY w ORDER BY w DESC LIMIT 2", "w9|1\nw8|2");
    QUERY(s, "SELECT count(*) FROM srt WHERE v % 2 = 0", "500");
    QUERY(s, "SELECT id FROM srt WHERE id >= 995 ORDER BY id LIMIT 10", "995\n996\n997\n998\n999");
    QUERY(s, "SELECT sum(v), avg(v) FROM srt", "499500|499.5000000000000000");
    EXEC_OK(s, "DROP TABLE srt");
}

static void test_returning(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE r (id int PRIMARY KEY, name text, n int DEFAULT 7)");
    QUERY(s, "INSERT INTO r (id, name) VALUES (1, 'a'), (2, 'b') RETURNING id, n, upper(name) AS u",
          "1|7|A\n2|7|B");
    QUERY(s, "INSERT INTO r VALUES (3, 'c', 0) RETURNING *", "3|c|0");
    QUERY(s, "UPDATE r SET n = n + 1 WHERE id >= 2 RETURNING id, n", "2|8\n3|1");
    QUERY(s, "DELETE FROM r WHERE id = 1 RETURNING name", "a");
    QUERY(s, "SELECT count(*) FROM r", "2");
    EXEC_ERR(s, "INSERT INTO r VALUES (2, 'dup') RETURNING id", "23505");
    EXEC_ERR(s, "INSERT INTO r VALUES (9, 'x') RETURNING nosuch", "42703");
    EXEC_ERR(s, "DELETE FROM r RETURNING count(*)", "42803");
    EXEC_OK(s, "DROP TABLE r");
}

static void test_distinct_insert_select(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE src (id int PRIMARY KEY, g int, name text)");
    EXEC_OK(s, "INSERT INTO src VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, NULL, 'd'), "
               "(5, NULL, 'e')");
    QUERY(s, "SELECT DISTINCT g FROM src ORDER BY g", "1\n2\nNULL");
    QUERY(s, "SELECT count(*) FROM src WHERE g IS NOT NULL", "3");
    EXEC_ERR(s, "SELECT DISTINCT g FROM src ORDER BY id", "42P10");
    QUERY(s, "SELECT DISTINCT ON (g) g FROM src ORDER BY g", "1\n2\nNULL");
    EXEC_OK(s, "CREATE TABLE dst (id int PRIMARY KEY, label varchar(3), n bigint DEFAULT 5)");
    QUERY(s,
          "INSERT INTO dst (id, label) SELECT id * 10, name || name FROM src WHERE id <= 3 "
          "RETURNING id, label, n",
          "10|aa|5\n20|bb|5\n30|cc|5");
    EXEC_OK(s, "INSERT INTO dst SELECT id + 100, name FROM src WHERE id > 3");
    QUERY(s, "SELECT id, label, n FROM dst WHERE id > 100", "104|d|5\n105|e|5");
    EXEC_ERR(s, "INSERT INTO dst (id, label) SELECT id, name || 'xyz' FROM src", "22001");
    EXEC_ERR(s, "INSERT INTO dst SELECT id * 10 FROM src WHERE id = 1", "23505");
    EXEC_OK(s, "INSERT INTO dst SELECT id + 1000 FROM dst"); /* self-insert */
    QUERY(s, "SELECT count(*) FROM dst", "10");
    EXEC_OK(s, "DROP TABLE src; DROP TABLE dst");
}

static void test_joins(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE au (id int PRIMARY KEY, name text)");
    EXEC_OK(s, "CREATE TABLE bk (id int PRIMARY KEY, author int, title text)");
    EXEC_OK(s, "CREATE INDEX bk_author ON bk (author)");
    EXEC_OK(s, "CREATE TABLE tg (book int, tag text)"); /* no key, no index */
    EXEC_OK(s, "INSERT INTO au VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')");
    EXEC_OK(s, "INSERT INTO bk VALUES (10, 1, 'x'), (11, 1, 'y'), (12, 2, 'z'), (13, NULL, 'w')");
    EXEC_OK(s, "INSERT INTO tg VALUES (10, 'red'), (10, 'blue'), (12, 'red')");
    QUERY(s, "SELECT a.name, b.title FROM au a JOIN bk b ON b.author = a.id ORDER BY b.id",
          "ann|x\nann|y\nbob|z");
    QUERY(s, "SELECT name, title FROM au, bk WHERE author = au.id AND title > 'x' ORDER BY title",
          "ann|y\nbob|z");
    QUERY(s,
          "SELECT a.name, b.title FROM au a LEFT JOIN bk b ON b.author = a.id ORDER BY a.id, b.id",
          "ann|x\nann|y\nbob|z\ncy|NULL");
    QUERY(s, "SELECT a.name FROM au a LEFT JOIN bk b ON b.author = a.id WHERE b.id IS NULL", "cy");
    QUERY(s,
          "SELECT a.name, b.title FROM au a LEFT JOIN bk b ON b.author = a.id AND b.title = 'y' "
          "ORDER BY a.id",
          "ann|y\nbob|NULL\ncy|NULL");
    QUERY(s,
          "SELECT b.title, t.tag FROM bk b JOIN tg t ON t.book = b.id JOIN au a ON a.id = b.author "
          "WHERE a.name = 'ann' ORDER BY t.tag",
          "x|blue\nx|red");
    QUERY(s,
          "SELECT a.name, count(b.id) FROM au a LEFT JOIN bk b ON b.author = a.id GROUP BY a.name "
          "ORDER BY a.name",
          "ann|2\nbob|1\ncy|0");
    QUERY(s, "SELECT count(*) FROM au, bk", "12");
    QUERY(s, "SELECT * FROM au a JOIN bk b ON a.id = b.author WHERE b.id = 12", "2|bob|12|2|z");
    QUERY(s, "SELECT b.* FROM au a JOIN bk b ON a.id = b.author WHERE a.id = 2", "12|2|z");
    EXEC_ERR(s, "SELECT id FROM au JOIN bk ON true", "42702");
    EXEC_ERR(s, "SELECT a.id FROM au a JOIN bk b ON c.id = 1", "42P01");
    /* a prepared join reused with different parameters */
    tw_err err;
    tw_err_clear(&err);
    tw_sql_stmt *st;
    size_t used;
    const char *q =
        "SELECT b.title FROM au a JOIN bk b ON b.author = a.id WHERE a.name = $1 ORDER BY 1";
    CHECK(tw_sql_prepare(s, q, strlen(q), &st, &used, &err) == TWILL_OK);
    for (int round = 0; round < 2; round++) {
        tw_sql_arg v = {.type = TWILL_TYPE_TEXT, .p = round ? "bob" : "ann", .len = 3};
        tw_sql_bind(st, 1, &v, &err);
        int n = 0;
        while (tw_sql_step(st, &err) == TWILL_ROW) n++;
        CHECK(n == (round ? 1 : 2));
        tw_sql_reset(st);
    }
    tw_sql_finalize(st);
    EXEC_OK(s, "DROP TABLE au; DROP TABLE bk; DROP TABLE tg");
}

static void test_subqueries(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE t1 (a int PRIMARY KEY, b int, c text)");
    EXEC_OK(s, "CREATE TABLE t2 (x int, y int)");
    EXEC_OK(s, "INSERT INTO t1 VALUES (1, 10, 'p'), (2, 20, 'q'), (3, 30, 'r'), (4, NULL, 's')");
    EXEC_OK(s, "INSERT INTO t2 VALUES (1, 100), (1, 101), (3, 300), (NULL, 0)");
    QUERY(s, "SELECT (SELECT 1)", "1");
    QUERY(s, "SELECT (SELECT max(b) FROM t1), (SELECT c FROM t1 WHERE a = 9)", "30|NULL");
    QUERY(s, "SELECT a FROM t1 WHERE b > (SELECT avg(b) FROM t1) ORDER BY a", "3");
    QUERY(s, "SELECT a FROM t1 WHERE a IN (SELECT x FROM t2) ORDER BY a", "1\n3");
    QUERY(s, "SELECT a FROM t1 WHERE a NOT IN (SELECT x FROM t2 WHERE x IS NOT NULL) ORDER BY a",
          "2\n4");
    QUERY(s, "SELECT count(*) FROM t1 WHERE a NOT IN (SELECT x FROM t2)", "0"); /* NULL in set */
    QUERY(s, "SELECT NULL IN (SELECT x FROM t2 WHERE x > 100), 5 IN (SELECT x FROM t2)", "f|NULL");
    /* correlated */
    QUERY(s, "SELECT a, (SELECT count(*) FROM t2 WHERE t2.x = t1.a) FROM t1 ORDER BY a",
          "1|2\n2|0\n3|1\n4|0");
    QUERY(s, "SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE x = a) ORDER BY a", "1\n3");
    QUERY(s, "SELECT a FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE x = a) ORDER BY a", "2\n4");
    QUERY(s, "SELECT a FROM t1 x WHERE b = (SELECT max(b) FROM t1 WHERE t1.a <= x.a) ORDER BY a",
          "1\n2\n3");
    QUERY(s, "SELECT a, (SELECT sum(y) FROM t2 WHERE x = t1.a) AS s FROM t1 ORDER BY s DESC, a",
          "2|NULL\n4|NULL\n3|300\n1|201");
    QUERY(s,
          "SELECT t1.a, t2.y FROM t1 JOIN t2 ON t2.x = t1.a "
          "WHERE t2.y = (SELECT max(y) FROM t2 z WHERE z.x = t1.a) ORDER BY 1",
          "1|101\n3|300");
    EXEC_OK(s, "UPDATE t1 SET b = (SELECT count(*) FROM t2 WHERE x = t1.a)");
    QUERY(s, "SELECT b FROM t1 ORDER BY a", "2\n0\n1\n0");
    EXEC_OK(s, "DELETE FROM t1 WHERE a IN (SELECT x FROM t2)");
    QUERY(s, "SELECT a FROM t1 ORDER BY a", "2\n4");
    EXEC_OK(s, "INSERT INTO t1 VALUES ((SELECT max(a) + 1 FROM t1), 0, 'n')");
    QUERY(s, "SELECT a FROM t1 ORDER BY a", "2\n4\n5");
    QUERY(s,
          "SELECT d.k, d.n FROM (SELECT x AS k, count(*) AS n FROM t2 GROUP BY x) d "
          "WHERE d.k IS NOT NULL ORDER BY d.k",
          "1|2\n3|1");
    QUERY(s,
          "SELECT t1.a, s.total FROM t1 JOIN (SELECT x, sum(y) AS total FROM t2 GROUP BY x) s "
          "ON s.x + 1 = t1.a ORDER BY 1",
          "2|201\n4|300");
    QUERY(s,
          "SELECT t1.a, s.total FROM t1 LEFT JOIN (SELECT x, sum(y) AS total FROM t2 GROUP BY x) "
          "AS s ON s.x = t1.a ORDER BY 1",
          "2|NULL\n4|NULL\n5|NULL");
    QUERY(s, "SELECT max(m) FROM (SELECT a * 2 AS m FROM t1) q", "10");
    QUERY(s, "SELECT c1, c2 FROM (SELECT 1, 'x') AS v (c1, c2)", "1|x");
    QUERY(s, "SELECT count(*) FROM (SELECT a FROM t1 UNION ALL SELECT x FROM t2) u", "7");
    EXEC_ERR(s, "SELECT * FROM (SELECT 1)", "42601");
    EXEC_ERR(s, "SELECT (SELECT x FROM t2)", "21000");
    EXEC_ERR(s, "SELECT (SELECT x, y FROM t2)", "42601");
    EXEC_ERR(s, "SELECT a FROM t1 WHERE a IN (SELECT x, y FROM t2)", "42601");
    EXEC_OK(s, "DROP TABLE t1; DROP TABLE t2");
}

static void test_setops(tw_sql_session *s) {
    EXEC_OK(s, "CREATE TABLE s1 (a int, b text)");
    EXEC_OK(s, "CREATE TABLE s2 (x bigint, y text)");
    EXEC_OK(s, "INSERT INTO s1 VALUES (1, 'a'), (2, 'b'), (2, 'b'), (3, 'c'), (NULL, 'n')");
    EXEC_OK(s, "INSERT INTO s2 VALUES (2, 'b'), (3, 'z'), (4, 'd'), (NULL, 'n')");
    QUERY(s, "SELECT a FROM s1 UNION SELECT x FROM s2 ORDER BY 1", "1\n2\n3\n4\nNULL");
    QUERY(s, "SELECT a FROM s1 UNION ALL SELECT x FROM s2 ORDER BY a DESC LIMIT 3",
          "NULL\nNULL\n4");
    QUERY(s, "SELECT count(*) FROM s1 UNION ALL SELECT count(*) FROM s2", "5\n4");
    QUERY(s, "SELECT a, b FROM s1 INTERSECT SELECT x, y FROM s2 ORDER BY a", "2|b\nNULL|n");
    QUERY(s, "SELECT a, b FROM s1 INTERSECT ALL SELECT x, y FROM s2 ORDER BY a", "2|b\nNULL|n");
    QUERY(s, "SELECT a, b FROM s1 EXCEPT SELECT x, y FROM s2 ORDER BY a", "1|a\n3|c");
    QUERY(s, "SELECT a, b FROM s1 EXCEPT ALL SELECT x, y FROM s2 ORDER BY a", "1|a\n2|b\n3|c");
    QUERY(s, "SELECT 1 UNION SELECT 2.5 ORDER BY 1", "1\n2.5");
    QUERY(
        s,
        "SELECT a FROM s1 WHERE a < 2 UNION SELECT x FROM s2 WHERE x > 3 UNION SELECT 7 ORDER BY 1",
        "1\n4\n7");
    EXEC_ERR(s, "SELECT a, b FROM s1 UNION SELECT x FROM s2", "42601");
    EXEC_ERR(s, "SELECT a FROM s1 UNION SELECT y FROM s2", "42804");
    QUERY(s, "SELECT count(DISTINCT a), count(a), sum(DISTINCT a), count(DISTINCT b) FROM s1",
          "3|4|6|4");
    QUERY(s, "SELECT b, count(DISTINCT a) FROM s1 GROUP BY b ORDER BY b", "a|1\nb|1\nc|1\nn|0");
    QUERY(s, "SELECT DISTINCT count(*) FROM s1 GROUP BY b ORDER BY 1", "1\n2");
    QUERY(s, "SELECT DISTINCT a % 2 FROM s1 WHERE a IS NOT NULL ORDER BY 1", "0\n1");
    EXEC_OK(s, "CREATE INDEX s1_a_desc ON s1 (a DESC NULLS FIRST)");
    QUERY(s, "SELECT b FROM s1 WHERE a = 3", "c");
    EXEC_OK(s, "DROP TABLE s1; DROP TABLE s2");
}

int main(void) {
    if (sqlt_create(&D, "sqlbasic")) return 1;
    tw_sql_session *s;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(D.db, &s, &err)) return 1;
    test_select_no_from(s);
    test_ddl_dml(s);
    test_changes(s);
    test_pg_compat(s);
    test_views(s);
    test_sort(s);
    test_returning(s);
    test_distinct_insert_select(s);
    test_joins(s);
    test_subqueries(s);
    test_setops(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
