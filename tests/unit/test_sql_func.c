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
          "SELECT concat('a', 1, NULL, 2.5, true), concat(NULL), concat_ws(',', 'a', NULL, 3), "
          "concat_ws(NULL, 'a')",
          "a12.5t||a,3|NULL");
    EXEC_ERR(s, "SELECT concat()", "42883"); /* VARIADIC "any" needs an argument */
    EXEC_ERR(s, "SELECT concat_ws(',')", "42883");
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

static void test_math(tw_sql_session *s) {
    /* float8 forms for integer and unknown arguments, numeric forms for numeric ones */
    QUERY(s, "SELECT sqrt(2), sqrt(2.0), sqrt('4'), cbrt(27), cbrt(-8)",
          "1.4142135623730951|1.414213562373095|2|3.0000000000000004|-2");
    QUERY(s,
          "SELECT sqrt(100.0), sqrt(0.0001), sqrt(1e-20), sqrt(12345678901234567890.0), "
          "sqrt(2.000000000000000000000), sqrt(0::numeric), sqrt(16::numeric)",
          "10.000000000000000|0.01000000000000000|0.0000000001000000000000000|3513641828.8201443|"
          "1.414213562373095048802|0.000000000000000|4.000000000000000");
    QUERY(s,
          "SELECT power(2, 3), pow(2, 10), power(-8, 3), power(2.0, 3), power(10.0, 20), "
          "power(0.5, 10), power(2.0, -2), power(3.0, -1), power(2, -2.0), power(0.0, 0)",
          "8|1024|-512|8.0000000000000000|100000000000000000000.0000000000000000|"
          "0.0009765625000000|0.2500000000000000|0.3333333333333333|0.2500000000000000|"
          "1.0000000000000000");
    QUERY(s,
          "SELECT power(1.05, 30), power(1.1, 50), power(-1.1, 51), power(2.00000000000000000001, "
          "2), "
          "power(0.1, 30), power(99.99, 9)",
          "4.3219423751506620|117.3908528796953165|-129.1299381676648482|4.00000000000000000004|"
          "0.0000000000000000|999100359916012598.7400839964000900");
    QUERY(s, "SELECT 2 ^ 3, 2.0 ^ 3, 2 ^ 0.5, 2 ^ 3 ^ 2, -2 ^ 2, 2 * 3 ^ 2",
          "8|8.0000000000000000|1.4142135623730950|64|4|18");
    QUERY(s,
          "SELECT 5 & 3, 5 | 3, 5 # 3, -1 & 255, 12::int2 | 3::int2, 5000000000 & 255, "
          "1 & 2 | 4",
          "1|7|6|255|15|0|4");
    EXEC_ERR(s, "SELECT 5.0 & 3", "42883");
    QUERY(s, "SELECT exp(1), ln(10), log(1000), log10(1000), exp(0::float8)",
          "2.718281828459045|2.302585092994046|3|3|1");
    QUERY(s,
          "SELECT mod(7, 3), mod(-7, 3), mod(7.5, 2), mod(-7.5, 2), div(7, 2), div(-7.5, 2), "
          "div(7, -2), mod(-9223372036854775808, -1), mod(10::int2, 3::int2)",
          "1|-1|1.5|-1.5|3|-3|-3|0|1");
    QUERY(s,
          "SELECT gcd(12, 18), gcd(-12, 18), gcd(0, 0), lcm(4, 6), lcm(-4, 6), lcm(0, 5), "
          "gcd(12.5, 5), lcm(1.5, 2.5), gcd(12::int8, 18)",
          "6|6|0|12|12|0|2.5|7.5|6");
    QUERY(s, "SELECT sign(-2.5), sign(0.0), sign(2.50), sign(3), sign(-2.5::float8)",
          "-1|0|1|1|-1");
    QUERY(s,
          "SELECT degrees(pi()), radians(180), pi(), sin(1), cos(1), tan(1), asin(1), acos(0), "
          "atan(1), atan2(1, 2), cot(1)",
          "180|3.141592653589793|3.141592653589793|0.8414709848078965|0.5403023058681398|"
          "1.5574077246549023|1.5707963267948966|1.5707963267948966|0.7853981633974483|"
          "0.4636476090008061|0.6420926159343306");
    QUERY(s,
          "SELECT sinh(1), cosh(1), tanh(1), asinh(1), acosh(2), atanh(0.5), "
          "sqrt('NaN'::float8), ln('Infinity'::float8)",
          "1.1752011936438014|1.5430806348152437|0.7615941559557649|0.881373587019543|"
          "1.3169578969248166|0.5493061443340548|NaN|Infinity");
    QUERY(s, "SELECT random() >= 0 AND random() < 1, random() <> random()", "t|t");
    QUERY(s,
          "SELECT width_bucket(5.35, 0.024, 10.06, 5), width_bucket(5, 0, 10, 5), "
          "width_bucket(-1, 0, 10, 5), width_bucket(10, 0, 10, 5), width_bucket(5, 10, 0, 5), "
          "width_bucket(0, 10, 0, 5), width_bucket(3.3333333333333333333, 0, 10, 3), "
          "width_bucket(0.3::float8, 0.1, 0.4, 3)",
          "3|3|0|6|3|6|1|2");
    QUERY(s,
          "SELECT sum(g * width_bucket(((g * 0.731)::float8 - floor((g * 0.731)::float8)), "
          "0.1::float8, 0.9::float8, 7)) FROM generate_series(1, 20000) g",
          "799291340");
    EXEC_ERR(s, "SELECT width_bucket(1, 0, 10, 0)", "2201G");
    EXEC_ERR(s, "SELECT width_bucket(1, 5, 5, 3)", "2201G");
    EXEC_ERR(s, "SELECT width_bucket(1, 0, 'infinity', 3)", "2201G");
    EXEC_ERR(s, "SELECT width_bucket(11, 0, 10, 2147483647)", "22003");
    /* errors as PostgreSQL raises them */
    EXEC_ERR(s, "SELECT sqrt(-1)", "2201F");
    EXEC_ERR(s, "SELECT sqrt(-1.0)", "2201F");
    EXEC_ERR(s, "SELECT ln(0)", "2201E");
    EXEC_ERR(s, "SELECT ln(-1)", "2201E");
    EXEC_ERR(s, "SELECT log(0)", "2201E");
    EXEC_ERR(s, "SELECT power(0, -1)", "2201F");
    EXEC_ERR(s, "SELECT power(0.0, -1)", "2201F");
    EXEC_ERR(s, "SELECT power(-8, 0.5::float8)", "2201F");
    EXEC_ERR(s, "SELECT power(-8.0, 0.5)", "2201F");
    EXEC_ERR(s, "SELECT power(10, 400)", "22003");
    EXEC_ERR(s, "SELECT power(10, -400)", "22003");
    EXEC_ERR(s, "SELECT exp(1000::float8)", "22003");
    EXEC_ERR(s, "SELECT exp(-1000::float8)", "22003");
    EXEC_ERR(s, "SELECT asin(2)", "22003");
    EXEC_ERR(s, "SELECT sin('Infinity'::float8)", "22003");
    EXEC_ERR(s, "SELECT mod(5, 0)", "22012");
    EXEC_ERR(s, "SELECT div(5, 0)", "22012");
    EXEC_ERR(s, "SELECT gcd((-2147483648)::int4, 0)", "22003");
    EXEC_ERR(s, "SELECT lcm(2147483647, 2147483646)", "22003");
    EXEC_ERR(s, "SELECT gcd(-9223372036854775808, 0)", "22003");
    EXEC_ERR(s, "SELECT mod(1.5::float8, 2)", "42883");
    /* numeric exp / ln / log / fractional powers: PostgreSQL's result scales */
    QUERY(s,
          "SELECT ln(2.0), ln(0.5), ln(1.1), ln(1.0000001), ln(100000.0), ln(1e-10), "
          "ln(12345.678), ln(1.05), ln(1.0)",
          "0.6931471805599453|-0.6931471805599453|0.09531017980432486|0.00000009999999500000033|"
          "11.512925464970228|-23.025850929940457|9.4210613212918320|0.048790164169432003|"
          "0.0000000000000000");
    QUERY(s,
          "SELECT exp(1.0), exp(0::numeric), exp(-1.0), exp(10.0), exp(50.0), exp(-20.0), "
          "exp(2.302585)",
          "2.7182818284590452|1.0000000000000000|0.3678794411714423|22026.465794806717|"
          "5184705528587072464087.5|0.000000002061153622438558|9.9999990700595864");
    QUERY(s,
          "SELECT log(100.0), log(0.001), log(1.0001), log10(5.0), log(2, 8), log(2.5, 100), "
          "log(3, 1.0001)",
          "2.0000000000000000|-3.0000000000000000|0.00004342727686266964|0.6989700043360188|"
          "3.0000000000000000|5.0258831894641201|0.00009101937176994093");
    QUERY(s,
          "SELECT power(2, 0.5), power(2.0, 1.5), power(10, 0.1), power(100, -0.5), "
          "power(8, 1/3.0), power(0.0, 0.5)",
          "1.4142135623730950|2.8284271247461901|1.2589254117941672|0.10000000000000000|"
          "1.99999999999999999999|0.0000000000000000");
    QUERY(s,
          "SELECT sum(ln(g * 0.37 + 0.01)), sum(power(g * 0.17 + 0.5, 0.37)) "
          "FROM generate_series(1, 2000) g",
          "11218.2402479739438369|12644.7093665526670372");
    EXEC_ERR(s, "SELECT ln(0.0)", "2201E");
    EXEC_ERR(s, "SELECT log(1.0, 10.0)", "22012");
    EXEC_ERR(s, "SELECT exp(300.0)", "22003"); /* beyond 38 digits (PostgreSQL prints it) */
    EXEC_ERR(s, "SELECT ln(1e-1000::numeric)", "0A000"); /* 1000 places: too many digits */
    /* column types: integers stay integers, numeric columns take the numeric forms */
    EXEC_OK(s, "CREATE TABLE nums (i int, b bigint, n numeric(10,2), f float8)");
    EXEC_OK(s, "INSERT INTO nums VALUES (7, 12, 2.25, 0.25), (-9, 18, NULL, 4)");
    QUERY(s, "SELECT mod(i, 4), gcd(b, 8), sqrt(n), power(n, 2), sqrt(f) FROM nums ORDER BY i",
          "-1|2|NULL|NULL|2\n3|4|1.500000000000000|5.0625000000000000|0.5");
}

static void test_minmax(tw_sql_session *s) {
    QUERY(s,
          "SELECT greatest(1, NULL, 3), least(NULL::int, NULL), greatest('a', 'b', NULL), "
          "greatest(1, 2.5), greatest(1, 2.5::float8), least(3, 1.5, 2)",
          "3|NULL|b|2.5|2.5|1.5");
    QUERY(s, "SELECT greatest(date '2024-01-01', timestamp '2024-01-01 01:00'), least('b', 'B')",
          "2024-01-01 01:00:00|B");
    QUERY(s, "SELECT i, greatest(i, 0) AS g, least(i, b) FROM nums ORDER BY i", "-9|0|-9\n7|7|7");
    EXEC_ERR(s, "SELECT greatest(1, 'a')", "22P02");
    EXEC_ERR(s, "SELECT greatest(1, 'a'::text)", "42804");
}

static void test_generate_series(tw_sql_session *s) {
    QUERY(s, "SELECT * FROM generate_series(1, 3)", "1\n2\n3");
    QUERY(s, "SELECT x FROM generate_series(5, 1, -2) AS g(x)", "5\n3\n1");
    QUERY(s, "SELECT g, g.g FROM generate_series(1, 2) g", "1|1\n2|2");
    QUERY(s, "SELECT * FROM generate_series(1, 2, 0.5)", "1\n1.5\n2.0");
    QUERY(s, "SELECT * FROM generate_series(1.50, 3)", "1.50\n2.50");
    QUERY(s, "SELECT * FROM generate_series(2147483646, 2147483647)", "2147483646\n2147483647");
    QUERY(s, "SELECT * FROM generate_series(9223372036854775806, 9223372036854775807)",
          "9223372036854775806\n9223372036854775807");
    QUERY(s, "SELECT count(*) FROM generate_series(1, NULL)", "0");
    QUERY(s, "SELECT count(*), sum(x) FROM generate_series(1, 100000) AS t(x)",
          "100000|5000050000");
    QUERY(s, "SELECT * FROM generate_series(timestamp '2024-01-30', '2024-05-01', '1 month')",
          "2024-01-30 00:00:00\n2024-02-29 00:00:00\n2024-03-29 00:00:00\n2024-04-29 00:00:00");
    QUERY(s, "SELECT g FROM generate_series(date '2024-01-01', date '2024-01-02', '12 hours') g",
          "2024-01-01 00:00:00+00\n2024-01-01 12:00:00+00\n2024-01-02 00:00:00+00");
    /* joined with each other and with tables; correlated from a subquery */
    QUERY(s, "SELECT x, y FROM generate_series(1, 3) x JOIN generate_series(2, 4) y ON x = y",
          "2|2\n3|3");
    QUERY(s,
          "SELECT a.x, b FROM generate_series(1, 2) a(x), generate_series(10, 11) b "
          "ORDER BY 2 DESC, 1",
          "1|11\n2|11\n1|10\n2|10");
    QUERY(s, "SELECT n.i, g FROM nums n, generate_series(1, 2) g WHERE g = 2 ORDER BY n.i",
          "-9|2\n7|2");
    QUERY(s,
          "SELECT (SELECT count(*) FROM generate_series(1, t.x)) FROM generate_series(1, 3) t(x)",
          "1\n2\n3");
    EXEC_ERR(s, "SELECT * FROM generate_series(1, 5, 0)", "22023");
    EXEC_ERR(s, "SELECT * FROM generate_series(now(), now(), '0 days')", "22023");
    EXEC_ERR(s, "SELECT * FROM generate_series(1.0::float8, 3)", "42883");
    EXEC_ERR(s, "SELECT * FROM generate_series('1', '3')", "42725");
    EXEC_ERR(s, "SELECT * FROM generate_series(1, 2) AS t(a, b)", "42P10");
    /* arguments may read the FROM items before it (PostgreSQL's implicit LATERAL) */
    EXEC_OK(s, "CREATE TABLE reps (id int PRIMARY KEY, n int)");
    EXEC_OK(s, "INSERT INTO reps VALUES (1, 2), (2, 0), (3, 3)");
    QUERY(s, "SELECT reps.id, g FROM reps, generate_series(1, reps.n) g ORDER BY 1, 2",
          "1|1\n1|2\n3|1\n3|2\n3|3");
    QUERY(s, "SELECT id, x FROM reps CROSS JOIN LATERAL generate_series(1, n) x WHERE x > 1",
          "1|2\n3|2\n3|3");
    QUERY(s,
          "SELECT reps.id, count(g) FROM reps LEFT JOIN generate_series(1, reps.n) g ON true "
          "GROUP BY reps.id ORDER BY 1",
          "1|2\n2|0\n3|3");
    EXEC_ERR(s, "SELECT * FROM generate_series(1, reps.n) g, reps", "42P01");
    /* in the select list: a row per value, for each row of FROM */
    QUERY(s, "SELECT generate_series(1, 3)", "1\n2\n3");
    QUERY(s, "SELECT generate_series(1, 3) AS x, 'a' ORDER BY x DESC", "3|a\n2|a\n1|a");
    QUERY(s, "SELECT id, generate_series(1, n) FROM reps ORDER BY 1, 2", "1|1\n1|2\n3|1\n3|2\n3|3");
    QUERY(s, "SELECT id, generate_series(1, 2) g FROM reps WHERE id < 3 ORDER BY g, id",
          "1|1\n2|1\n1|2\n2|2");
    QUERY(s, "SELECT x FROM (SELECT generate_series(1, 3) x) s WHERE x > 1", "2\n3");
    /* not supported: other functions in FROM, set-returning functions
     * in the select list with aggregates or DISTINCT, two of them, or inside expressions */
    QUERY(s, "SELECT * FROM generate_series(5, 7) WITH ORDINALITY", "5|1\n6|2\n7|3");
    QUERY(s, "SELECT t.b, t.a FROM generate_series(5, 6) WITH ORDINALITY AS t(a, b)", "1|5\n2|6");
    QUERY(s,
          "SELECT x.*, y.* FROM generate_series(1, 2) x, generate_series(1, x) WITH ORDINALITY "
          "y(v, n)",
          "1|1|1\n2|1|1\n2|2|2");
    EXEC_ERR(s, "SELECT * FROM generate_series(5, 6) WITH ORDINALITY AS t(a, b, c)", "42P10");
    EXEC_ERR(s, "SELECT * FROM upper('a')", "0A000");
    EXEC_ERR(s, "SELECT count(*), generate_series(1, 2) FROM reps", "0A000");
    EXEC_ERR(s, "SELECT DISTINCT generate_series(1, 3)", "0A000");
    EXEC_ERR(s, "SELECT generate_series(1, 2), generate_series(1, 3)", "0A000");
    EXEC_ERR(s, "SELECT generate_series(1, 3) + 1", "0A000");
}

static void test_datetime_fn(tw_sql_session *s) {
    QUERY(s,
          "SELECT to_char(timestamp '2024-03-05 14:07:09.123456', 'FMDay FMMonth Dy Mon DAY MONTH "
          "day month dy mon TZ tz OF TZH TZM RM rm CC Y,YYY IYYY IW ID IDDD FF3 SSSS J W WW Q DDth "
          "ddTH HH12 PM a.m. B.C. FMHH12')",
          "Tuesday March Tue Mar TUESDAY   MARCH     tuesday   march     tue mar   +00 +00 00 III  "
          "iii  21 2,024 2024 10 2 065 123 50829 2460375 1 10 1 05th 05TH 02 PM p.m. A.D. 2");
    QUERY(s,
          "SELECT to_char(timestamptz '2024-03-05', 'TZ OF'), to_char('infinity'::timestamp, "
          "'YYYY') IS NULL, to_char(timestamp '0044-03-15 BC', 'YYYY BC CC Y,YYY')",
          "UTC +00|t|0044 BC -01 0,044");
    QUERY(s,
          "SELECT to_char(timestamp '2024-12-30 00:00:00', 'IYYY-IW-ID YYYY-MM-DD HH:MI:SS AM "
          "\"quoted YYYY\"'), to_char(date '2021-01-01', 'IYYY IW'), "
          "to_char(timestamptz '2024-01-01 23:59:59.999', 'HH24:MI:SS.MS US')",
          "2025-01-1 2024-12-30 12:00:00 AM quoted YYYY|2020 53|23:59:59.999 999000");
    QUERY(s, "SELECT to_char(date '2024-01-07', 'D ID IW WW W DDD Day')",
          "1 7 01 01 1 007 Sunday   ");
    QUERY(s,
          "SELECT to_char(date '2024-03-05', 'TZ OF'), to_char(timestamp '2024-03-05', 'TZ OF'), "
          "to_char('infinity'::date, 'YYYY') IS NULL",
          "UTC +00| +00|t");
    QUERY(s,
          "SELECT to_char(interval '1 year 2 mons 3 days 25:04:05.678', 'YYYY MM DD HH24 HH MI SS "
          "MS US'), to_char(interval '-1 year -2 mons -3 days -25:04:05.678', 'YYYY MM DD HH24 HH "
          "MI SS MS'), to_char(interval '15 hours', 'HH HH12 AM')",
          "0001 02 03 25 01 04 05 678 678000|-0001 -02 -3 -25 -01 -04 -05 -678|03 03 PM");
    EXEC_ERR(s, "SELECT to_char(interval '1 day', 'Mon')", "22007");
    /* numbers */
    QUERY(s,
          "SELECT '[' || to_char(1234.5, '9999.99') || ']', to_char(-1234.5, '9999.99'), "
          "'[' || to_char(0.5, '9.99') || ']', to_char(0.5, '0.99'), to_char(1, 'FM9.99'), "
          "to_char(1.5, 'FM9.99'), to_char(12345, '999'), to_char(1234567, '9,999,999'), "
          "'[' || to_char(123, '9,999') || ']'",
          "[ 1234.50]|-1234.50|[  .50]| 0.50|1.|1.5| ###| 1,234,567|[   123]");
    QUERY(s,
          "SELECT to_char(-12, 'S9999'), to_char(12, 'S9999'), to_char(12, '9999S'), "
          "to_char(-12, '9999MI'), '[' || to_char(12, '9999MI') || ']', to_char(-12, '9999PR'), "
          "to_char(12, 'FM9999PR'), to_char(0, '999'), to_char(0, 'FM999'), "
          "to_char(-12, 'PL9999'), to_char(12, 'PL9999'), to_char(-12, 'SG9999')",
          "  -12|  +12|  12+|  12-|[  12 ]|  <12>|12|   0|0|   -12|+   12|-  12");
    QUERY(s,
          "SELECT to_char(42, '00000'), to_char(3.14159, 'FM990.000'), to_char(-0.1, '9.9'), "
          "to_char(1.999, '9.99'), to_char(125, 'FM999PL'), to_char(-5, 'FM9999'), "
          "to_char(5, 'FM0009'), to_char(12, '9099'), to_char(5, '99th'), to_char(1.5, '9th'), "
          "to_char(0, 'FM9.99'), to_char(12.5, 'FM99')",
          " 00042|3.142| -.1| 2.00|125+|-5|0005|  012|  5th| 2nd|0.|13");
    QUERY(s,
          "SELECT to_char(1485, '9G999D99'), to_char(-1485.5, 'FM9,999.99'), "
          "to_char(0.001, 'FM0.999'), to_char(12, '\"Total: \"999'), "
          "to_char(123456789::int8, '999,999,999,999'), to_char(-7, '000')",
          " 1,485.00|-1,485.5|0.001|Total:   12|     123,456,789|-007");
    QUERY(s,
          "SELECT to_char(1234.5::float8, '9999.99'), to_char(0.1::float8, '9.9999999999999999'), "
          "to_char(123456789012345678::float8, '999999999999999999'), to_char(2.5::float8, '9'), "
          "to_char(3.5::float8, '9'), to_char(-0.0001::float8, '9.99')",
          " 1234.50|  .10000000000000| 123456789012345680| 2| 4| -.00");
    EXEC_ERR(s, "SELECT to_char(1, '9.9EEEE')", "0A000");
    /* parsing */
    QUERY(s,
          "SELECT to_date('2024-03-05', 'YYYY-MM-DD'), to_date('05 Mar 2024', 'DD Mon YYYY'), "
          "to_date('20240305', 'YYYYMMDD'), to_date('March 5, 2024', 'Month DD, YYYY'), "
          "to_date('2024 065', 'YYYY DDD')",
          "2024-03-05|2024-03-05|2024-03-05|2024-03-05|2024-03-05");
    QUERY(s,
          "SELECT to_timestamp('2024-03-05 14:07:09', 'YYYY-MM-DD HH24:MI:SS'), "
          "to_timestamp('05/03/2024 02:07 PM', 'DD/MM/YYYY HH:MI AM'), "
          "to_timestamp('2024-03-05 14:07:09.123', 'YYYY-MM-DD HH24:MI:SS.MS'), to_timestamp(0), "
          "to_timestamp(1700000000.5), to_timestamp('infinity'::float8)",
          "2024-03-05 14:07:09+00|2024-03-05 14:07:00+00|2024-03-05 14:07:09.123+00|"
          "1970-01-01 00:00:00+00|2023-11-14 22:13:20.5+00|infinity");
    QUERY(s,
          "SELECT to_date('03-05', 'MM-DD'), to_date('0000-01-01', 'YYYY-MM-DD'), "
          "to_date('-0044-03-15', 'YYYY-MM-DD'), to_date('44-03-15 BC', 'YYYY-MM-DD BC'), "
          "to_timestamp('12:30:45', 'HH24:MI:SS')",
          "0001-03-05 BC|0001-01-01 BC|0044-03-15 BC|0044-03-15 BC|0001-01-01 12:30:45+00 BC");
    EXEC_ERR(s, "SELECT to_date('2023-02-29', 'YYYY-MM-DD')", "22008");
    EXEC_ERR(s, "SELECT to_timestamp('2024-13-01', 'YYYY-MM-DD')", "22008");
    EXEC_ERR(s, "SELECT to_date('abc', 'YYYY')", "22007");
    /* age, make_*, justify_*, isfinite, date_bin */
    QUERY(s,
          "SELECT age(timestamp '2024-03-05', timestamp '2023-01-31'), "
          "age(timestamp '2023-01-31', timestamp '2024-03-05'), "
          "age(timestamp '2024-03-01 10:00', timestamp '2024-02-28 12:30'), "
          "age(date '2024-01-01', date '2020-02-29'), "
          "age(timestamptz '2024-03-31', timestamptz '2024-02-29')",
          "1 year 1 mon 5 days|-1 years -1 mons -5 days|1 day 21:30:00|3 years 10 mons 1 day|"
          "1 mon 2 days");
    QUERY(s, "SELECT age(current_date) = interval '0'", "t");
    QUERY(s,
          "SELECT make_date(2024, 2, 29), make_date(-44, 3, 15), make_timestamp(2024, 1, 2, 3, 4, "
          "5.5), make_timestamptz(2024, 1, 2, 3, 4, 5), make_interval(1, 2, 3, 4, 5, 6, 7.5), "
          "make_interval(0, 0, 0, 3)",
          "2024-02-29|0044-03-15 BC|2024-01-02 03:04:05.5|2024-01-02 03:04:05+00|"
          "1 year 2 mons 25 days 05:06:07.5|3 days");
    EXEC_ERR(s, "SELECT make_date(2023, 2, 29)", "22008");
    EXEC_ERR(s, "SELECT make_date(0, 1, 1)", "22008");
    QUERY(s,
          "SELECT justify_days(interval '65 days'), justify_days(interval '-35 days'), "
          "justify_hours(interval '50 hours'), justify_hours(interval '-27 hours'), "
          "justify_interval(interval '1 mon -1 hour'), justify_interval(interval '-1 mon 50 "
          "hours'), justify_interval(interval '40 days 30 hours')",
          "2 mons 5 days|-1 mons -5 days|2 days 02:00:00|-1 days -03:00:00|29 days 23:00:00|"
          "-27 days -22:00:00|1 mon 11 days 06:00:00");
    QUERY(s,
          "SELECT isfinite(date '2024-01-01'), isfinite('infinity'::date), "
          "isfinite(timestamp '-infinity'), isfinite(interval '1 day'), isfinite(now())",
          "t|f|f|t|t");
    QUERY(
        s,
        "SELECT date_bin('15 minutes', timestamp '2024-03-05 14:07:09', timestamp '2001-01-01'), "
        "date_bin('1 day', timestamptz '2024-03-05 14:07:09+00', timestamptz '2024-01-01 06:00'), "
        "date_bin('1 hour', timestamp '1999-12-31 23:30', timestamp '2000-01-01')",
        "2024-03-05 14:00:00|2024-03-05 06:00:00+00|1999-12-31 23:00:00");
    EXEC_ERR(s, "SELECT date_bin('1 month', timestamp '2024-03-05', timestamp '2001-01-01')",
             "0A000");
    QUERY(s, "SELECT clock_timestamp() >= now()", "t");
}

static void test_string_more(tw_sql_session *s) {
    QUERY(
        s,
        "SELECT '[' || lpad('hi', 5) || ']', lpad('hello', 3), lpad('hi', 6, 'xy'), "
        "rpad('hi', 5, 'é'), lpad('hi', -1), lpad('hi', 5, ''), rpad('abc', 2), lpad('', 3, 'ab')",
        "[   hi]|hel|xyxyhi|hiééé||hi|ab|aba");
    QUERY(s, "SELECT initcap('hELLO wORLD foo_bar 3rd-place'), initcap('éa bc')",
          "Hello World Foo_Bar 3rd-Place|éA Bc");
    QUERY(s, "SELECT md5('abc'), md5(''), md5('é'::bytea)",
          "900150983cd24fb0d6963f7d28e17f72|d41d8cd98f00b204e9800998ecf8427e|"
          "66ddcd97cfdeabb2f6fb8a999b4bc76f");
    QUERY(s, "SELECT chr(65), chr(233), ascii('é'), ascii(''), ascii('A')", "A|é|233|0|65");
    EXEC_ERR(s, "SELECT chr(0)", "54000");
    EXEC_ERR(s, "SELECT chr(-1)", "22023");
    EXEC_ERR(s, "SELECT chr(1114112)", "54000");
    EXEC_ERR(s, "SELECT chr(55296)", "54000");
    QUERY(s,
          "SELECT translate('12345', '143', 'ax'), translate('héllo', 'é', 'e'), "
          "translate('abc', '', 'x')",
          "a2x5|hello|abc");
    QUERY(s,
          "SELECT to_hex(255), to_hex(-1), to_hex(-1::int8), to_hex(2147483647), "
          "to_hex(9223372036854775807)",
          "ff|ffffffff|ffffffffffffffff|7fffffff|7fffffffffffffff");
    QUERY(s, "SELECT octet_length('é'), bit_length('é'), octet_length('\\x0102'::bytea)", "2|16|2");
    QUERY(s,
          "SELECT quote_ident('Foo bar'), quote_ident('foo'), quote_ident('select'), "
          "quote_ident('a\"b'), quote_ident(''), quote_ident('_x1'), quote_ident('1x'), "
          "quote_ident('int'), quote_ident('left'), quote_ident('name'), quote_ident('abort')",
          "\"Foo bar\"|foo|\"select\"|\"a\"\"b\"|\"\"|_x1|\"1x\"|\"int\"|\"left\"|name|abort");
    QUERY(s,
          "SELECT quote_literal('O''Reilly'), quote_literal(E'a\\\\b'), quote_nullable(NULL), "
          "quote_literal(42), quote_nullable(1.5), quote_literal(NULL) IS NULL",
          "'O''Reilly'|E'a\\\\b'|NULL|'42'|'1.5'|t");
    QUERY(s,
          "SELECT format('%s-%s', 'a', NULL), format('%I %L %L', 'Foo', 'x''y', NULL), "
          "format('%2$s %1$s', 'a', 'b'), format('%%'), format('|%5s|%-5s|', 'ab', 'cd'), "
          "format('%s', 1.50), format('%*s|', 4, 'é'), format('%-*s|', -4, 'x'), "
          "format(NULL) IS NULL, format('%s %s %1$s %s', 'a', 'b')",
          "a-|\"Foo\" 'x''y' NULL|b a|%||   ab|cd   ||1.50|   é||x   ||t|a b a b");
    EXEC_ERR(s, "SELECT format('%I', NULL)", "22004");
    EXEC_ERR(s, "SELECT format('%s %s', 'a')", "22023");
    EXEC_ERR(s, "SELECT format('%z', 'a')", "22023");
    EXEC_ERR(s, "SELECT format('%0$s', 'a')", "22023");
    EXEC_ERR(s, "SELECT format()", "42883");
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
    test_math(s);
    test_minmax(s);
    test_generate_series(s);
    test_datetime_fn(s);
    test_string_more(s);
    test_errors(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
