/* uuid, json / jsonb and one-dimensional arrays: input forms, output exactly as
 * PostgreSQL 15 prints it (the expected strings were taken from PostgreSQL 15), errors,
 * keys and indexes, operators and functions, bound parameters, persistence. Where
 * PostgreSQL accepts something Twill does not (multidimensional arrays, jsonb || jsonb,
 * json/jsonb/array keys) the expectation is 0A000. */
#include "lib_sqltest.h"

#include <string.h>

static sqlt_db D;

static void test_uuid(tw_sql_session *s) {
    /* input forms, lower-case hyphenated output */
    QUERY(
        s,
        "SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, "
        "'{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}'::uuid, 'a0eebc999c0b4ef8bb6d6bb9bd380a11'::uuid, "
        "'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11'::uuid",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|a0eebc99-9c0b-"
        "4ef8-bb6d-6bb9bd380a11|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    EXEC_ERR(s, "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1'::uuid", "22P02");
    EXEC_ERR(s, "SELECT ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "22P02");
    EXEC_ERR(s, "SELECT '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "22P02");
    EXEC_ERR(s, "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-'::uuid", "22P02");
    EXEC_ERR(s, "SELECT 'a0eebc99-9c0b-4ef8-bb6d--6bb9bd380a11'::uuid", "22P02");
    EXEC_ERR(s, "SELECT 'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "22P02");
    /* comparison is bytewise; casts to and from text */
    QUERY(s,
          "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid < "
          "'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, "
          "'ffffffff-0000-0000-0000-000000000000'::uuid > "
          "'0fffffff-ffff-ffff-ffff-ffffffffffff'::uuid, "
          "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid::text, "
          "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::text::uuid = "
          "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
          "t|t|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|t");
    EXEC_ERR(s,
             "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid = "
             "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::text",
             "42883");
    EXEC_ERR(s, "SELECT 1::uuid", "42846");
    /* gen_random_uuid: version 4, RFC 4122 variant, a new value per call */
    QUERY(s,
          "SELECT length(gen_random_uuid()::text), substr(gen_random_uuid()::text, 15, 1), "
          "substr(gen_random_uuid()::text, 20, 1) IN ('8', '9', 'a', 'b'), gen_random_uuid() <> "
          "gen_random_uuid()",
          "36|4|t|t");
    /* as a primary key and index key, with a default */
    EXEC_OK(s,
            "CREATE TABLE ut (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), ref uuid, name text)");
    EXEC_OK(s, "CREATE INDEX ut_ref ON ut (ref)");
    EXEC_OK(s,
            "INSERT INTO ut (id, ref, name) VALUES ('00000000-0000-0000-0000-000000000002', "
            "'ffffffff-ffff-ffff-ffff-ffffffffffff', 'b'), ('{00000000000000000000000000000001}', "
            "NULL, 'a'), ('F0000000-0000-0000-0000-000000000000', "
            "'00000000-0000-0000-0000-000000000002', 'c')");
    EXEC_OK(s, "INSERT INTO ut (name) VALUES ('d'), ('e')");
    QUERY(s, "SELECT id, ref, name FROM ut WHERE name < 'd' ORDER BY id",
          "00000000-0000-0000-0000-000000000001|NULL|a\n00000000-0000-0000-0000-000000000002|"
          "ffffffff-ffff-ffff-ffff-ffffffffffff|b\nf0000000-0000-0000-0000-000000000000|00000000-"
          "0000-0000-0000-000000000002|c");
    QUERY(s, "SELECT count(*), count(DISTINCT id) FROM ut", "5|5");
    QUERY(s, "SELECT name FROM ut WHERE id = '00000000-0000-0000-0000-000000000002'", "b");
    QUERY(s, "SELECT name FROM ut WHERE ref = '00000000000000000000000000000002'", "c");
    QUERY(s,
          "SELECT name FROM ut WHERE id > '00000000-0000-0000-0000-000000000001' AND name < 'd' "
          "ORDER BY id DESC",
          "c\nb");
    EXEC_ERR(s, "INSERT INTO ut (id) VALUES ('00000000-0000-0000-0000-000000000001')", "23505");
    EXEC_ERR(s, "INSERT INTO ut (id) VALUES ('nope')", "22P02");
    EXEC_ERR(s, "SELECT min(id) FROM ut", "42883");
}

static void test_json(tw_sql_session *s) {
    /* json keeps its text; jsonb normalizes (spacing, key order by length then bytes, last
     * duplicate wins, numbers, escapes) */
    QUERY(s,
          "SELECT '{\"b\":1,  \"a\" : [1,2]}'::json, '{\"b\":1, \"aa\":2, \"a\":[1,{\"x\":null}], "
          "\"b\":3}'::jsonb, '1e2'::jsonb, '0.1e1'::jsonb, '-0'::jsonb, '1.50'::jsonb, "
          "'[]'::jsonb, '{}'::jsonb, ' [ true , false,null ] '::jsonb",
          "{\"b\":1,  \"a\" : [1,2]}|{\"a\": [1, {\"x\": null}], \"b\": 3, \"aa\": "
          "2}|100|1|0|1.50|[]|{}|[true, false, null]");
    QUERY(s,
          "SELECT '\"\\u00e9\\n\\t/\\\"\\\\\"'::jsonb, '\"\\ud83d\\ude00\"'::jsonb, "
          "'\"a\\u0001b\"'::jsonb, '\"\\ud83d\"'::json",
          "\"é\\n\\t/\\\"\\\\\"|\"😀\"|\"a\\u0001b\"|\"\\ud83d\"");
    EXEC_ERR(s, "SELECT '{'::json", "22P02");
    EXEC_ERR(s, "SELECT '{\"a\" 1}'::jsonb", "22P02");
    EXEC_ERR(s, "SELECT '[1,2'::json", "22P02");
    EXEC_ERR(s, "SELECT '01'::json", "22P02");
    EXEC_ERR(s, "SELECT '1.'::json", "22P02");
    EXEC_ERR(s, "SELECT '[1,]'::json", "22P02");
    EXEC_ERR(s, "SELECT 'nul'::json", "22P02");
    EXEC_ERR(s, "SELECT '\"a'::jsonb", "22P02");
    EXEC_ERR(s, "SELECT '\"\\x\"'::json", "22P02");
    EXEC_ERR(s, "SELECT '\"\\u0000\"'::jsonb", "22P05");
    EXEC_ERR(s, "SELECT '\"\\ud83d\"'::jsonb", "22P02");
    EXEC_ERR(s, "SELECT '{\"a\":1} x'::json", "22P02");
    QUERY(s, "SELECT '\"\\u0000\"'::json, '' IS NULL", "\"\\u0000\"|f");
    /* -> and ->> by key and index (negative counts from the end), #> and #>> by path */
    QUERY(s,
          "SELECT '{\"a\":1,\"a\":2}'::json -> 'a', '[1,2,3]'::json -> -1, '[1,2,3]'::jsonb -> -1, "
          "'{\"a\": [1,  2]}'::json -> 'a', '{\"a\": [1,  2]}'::jsonb -> 'a', '[1,2]'::jsonb -> 5, "
          "'{\"a\":1}'::jsonb -> 0, '[1]'::jsonb -> 'a'",
          "2|3|3|[1,  2]|[1, 2]|NULL|NULL|NULL");
    QUERY(s,
          "SELECT '{\"a\":\"x\\ty\",\"b\":null,\"c\":{\"d\":true}}'::jsonb ->> 'a', "
          "'{\"a\":\"x\",\"b\":null}'::jsonb ->> 'b', '{\"c\":{\"d\":true}}'::jsonb ->> 'c', "
          "'[1.50,\"z\"]'::json ->> 0, '[\"q\"]'::jsonb ->> 0",
          "x\ty|NULL|{\"d\": true}|1.50|q");
    QUERY(s,
          "SELECT '{\"a\":{\"b\":[1,2]}}'::jsonb #> '{a,b,1}', '{\"a\":{\"b\":[1, 2]}}'::json #>> "
          "'{a,b}', '[1,2]'::jsonb #> '{x}', '{\"a\":{\"b\":\"s\"}}'::jsonb #>> '{a,b}', "
          "'{\"a\":1}'::jsonb #> '{}', '[[1,2],[3]]'::jsonb #>> '{-1,0}'",
          "2|[1, 2]|NULL|s|{\"a\": 1}|3");
    EXEC_ERR(s, "SELECT '{\"a\":\"\\u0000\",\"b\":1}'::json ->> 'b'", "22P05");
    QUERY(s,
          "SELECT '{\"a\":{\"b\":2}}'::jsonb -> 'a' -> 'b', ('{\"a\":\"7\"}'::jsonb ->> 'a')::int "
          "+ 1, '{\"a\":1}'::jsonb -> NULL",
          "2|8|NULL");
    /* jsonb_exists (the ? operator: in Twill a ? is a placeholder) and @> / <@ */
    QUERY(s,
          "SELECT jsonb_exists('[\"a\",\"b\"]', 'a'), jsonb_exists('{\"a\":1}', 'a'), "
          "jsonb_exists('\"a\"', 'a'), jsonb_exists('{\"a\":1}', 'b'), jsonb_exists('[1]', '1')",
          "t|t|t|f|f");
    QUERY(s,
          "SELECT '{\"a\":1,\"b\":[1,2]}'::jsonb @> '{\"b\":[2]}', '[1,[2,3]]'::jsonb @> '[[3]]', "
          "'[1,2]'::jsonb @> '1', '1'::jsonb @> '[1]', '{\"a\":{\"b\":1,\"c\":2}}'::jsonb @> "
          "'{\"a\":{\"c\":2}}', '{\"a\":1}'::jsonb @> '{\"a\":1.0}', '[1,2]'::jsonb @> '[2,1,1]', "
          "'{\"a\":[1]}'::jsonb @> '{\"a\":1}', '{\"a\":1}'::jsonb <@ '{\"a\":1,\"b\":2}', "
          "'[{\"a\":1}]'::jsonb @> '[{}]', '[]'::jsonb @> '[]', '{}'::jsonb @> '[]'",
          "t|t|t|f|t|t|t|f|t|t|t|f");
    /* functions */
    QUERY(s,
          "SELECT json_typeof('{\"a\":\"\\u0000\"}'), jsonb_typeof('[]'), jsonb_typeof('\"x\"'), "
          "jsonb_typeof('1.5'), jsonb_typeof('false'), jsonb_typeof('null'), "
          "json_array_length('[1,[2,3],{}]'), jsonb_array_length('[]')",
          "object|array|string|number|boolean|null|3|0");
    EXEC_ERR(s, "SELECT json_array_length('{}')", "22023");
    EXEC_ERR(s, "SELECT jsonb_array_length('1')", "22023");
    QUERY(s,
          "SELECT json_build_object('a',1,'b',date '2026-11-21', 'c', 'x'::text, 'd', null, 2, "
          "true), jsonb_build_object('b',1,'a',2, 'b', 3), json_build_array(1,'a',true, null), "
          "jsonb_build_array(), json_build_object(), json_build_object('j', '{\"x\" : 1}'::json, "
          "'k', '[1,2]'::jsonb)",
          "{\"a\" : 1, \"b\" : \"2026-11-21\", \"c\" : \"x\", \"d\" : null, \"2\" : true}|{\"a\": "
          "2, \"b\": 3}|[1, \"a\", true, null]|[]|{}|{\"j\" : {\"x\" : 1}, \"k\" : [1, 2]}");
    EXEC_ERR(s, "SELECT json_build_object('a')", "22023");
    EXEC_ERR(s, "SELECT json_build_object(NULL, 1)", "22023");
    QUERY(s,
          "SELECT to_json('a\"b'::text), to_jsonb(1.5::numeric), to_json(array[1,2]), "
          "to_jsonb(array['a',NULL]), to_json(timestamp '2026-11-21 11:46:35.5'), "
          "to_json(timestamptz '2020-01-01 10:00:00+00'), to_json('NaN'::float8), to_json(3), "
          "to_jsonb(true), to_json(date '2020-02-03'), "
          "to_json('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid), to_json('{\"a\" :1}'::json), "
          "to_jsonb('{\"b\":1,\"a\":2}'::json)",
          "\"a\\\"b\"|1.5|[1,2]|[\"a\", "
          "null]|\"2026-11-21T11:46:35.5\"|\"2020-01-01T10:00:00+00:00\"|\"NaN\"|3|true|\"2020-02-"
          "03\"|\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"|{\"a\" :1}|{\"a\": 2, \"b\": 1}");
    QUERY(s,
          "SELECT json_extract_path('{\"a\":{\"b\":[1,2]}}', 'a', 'b'), "
          "jsonb_extract_path_text('{\"a\":{\"b\":[1,\"x\"]}}', 'a', 'b', '1'), "
          "json_extract_path_text('{\"a\":1}', 'b')",
          "[1,2]|x|NULL");
    /* comparison (jsonb only; json has no equality) */
    QUERY(s,
          "SELECT '[1,2]'::jsonb = '[1,2]', '{\"a\":1.0}'::jsonb = '{\"a\":1}', '1'::jsonb < "
          "'\"a\"'::jsonb, '[]'::jsonb < 'null'::jsonb, '{}'::jsonb > '[1,2,3]'::jsonb, "
          "'{\"b\":1}'::jsonb > '{\"a\":2}'::jsonb, '[1,2]'::jsonb < '[1,3]'::jsonb, '[5]'::jsonb "
          "> '1'::jsonb, 'true'::jsonb > '1'::jsonb",
          "t|t|f|t|t|t|t|t|t");
    EXEC_ERR(s, "SELECT '1'::json = '1'::json", "42883");
    QUERY(s, "SELECT '{\"a\":1}'::jsonb || '{\"b\":2}'::jsonb", "{\"a\": 1, \"b\": 2}");
    QUERY(s,
          "SELECT '{\"a\":1}'::json::text, '{\"a\" : 1}'::json::jsonb::text, '{\"a\" : "
          "1}'::jsonb::json, '{\"a\":1}'::jsonb::text || 'x'",
          "{\"a\":1}|{\"a\": 1}|{\"a\": 1}|{\"a\": 1}x");
    /* columns */
    EXEC_OK(s, "CREATE TABLE jt (id int PRIMARY KEY, j jsonb, js json)");
    EXEC_OK(s, "INSERT INTO jt VALUES (1, '{\"name\":\"ann\",\"tags\":[\"x\",\"y\"],\"n\":2}', "
               "'{\"name\":\"ann\",  \"n\":2}'), (2, '{\"name\":\"bob\",\"n\":1.5}', '[1, 2]'), "
               "(3, NULL, 'null'), (4, '[{\"k\":1}]', '\"s\"')");
    QUERY(s, "SELECT id, j, js FROM jt ORDER BY id",
          "1|{\"n\": 2, \"name\": \"ann\", \"tags\": [\"x\", \"y\"]}|{\"name\":\"ann\",  "
          "\"n\":2}\n2|{\"n\": 1.5, \"name\": \"bob\"}|[1, 2]\n3|NULL|null\n4|[{\"k\": 1}]|\"s\"");
    QUERY(s, "SELECT id, j ->> 'name', js -> 'n', j -> 'tags' -> 0 FROM jt ORDER BY id",
          "1|ann|2|\"x\"\n2|bob|NULL|NULL\n3|NULL|NULL|NULL\n4|NULL|NULL|NULL");
    QUERY(
        s,
        "SELECT id FROM jt WHERE j @> '{\"name\":\"bob\"}' OR jsonb_exists(j, 'tags') ORDER BY id",
        "1\n2");
    QUERY(s, "SELECT id FROM jt WHERE (j ->> 'n')::numeric > 1 ORDER BY id", "1\n2");
    QUERY(s, "SELECT id, j FROM jt WHERE j IS NOT NULL ORDER BY j DESC",
          "1|{\"n\": 2, \"name\": \"ann\", \"tags\": [\"x\", \"y\"]}\n2|{\"n\": 1.5, \"name\": "
          "\"bob\"}\n4|[{\"k\": 1}]");
    QUERY(s, "SELECT jsonb_typeof(j), count(*) FROM jt GROUP BY jsonb_typeof(j) ORDER BY 1",
          "array|1\nobject|2\nNULL|1");
    EXEC_ERR(s, "INSERT INTO jt VALUES (5, '{bad', NULL)", "22P02");
    EXEC_ERR(s, "CREATE INDEX jt_j ON jt (j)", "0A000");
    EXEC_ERR(s, "SELECT max(j) FROM jt", "42883");
}

static void test_array(tw_sql_session *s) {
    /* input and output (quoting as PostgreSQL prints) */
    QUERY(s,
          "SELECT '{1,2,NULL}'::int[], '{ a , \"b c\", \"\", \"NULL\", null, \"x\\\\\\\"y\", "
          "\"{}\"}'::text[], '{}'::int[], '{1.50, 2}'::numeric[], '{t,false}'::bool[], "
          "'{1.5,NaN,-Infinity}'::float8[], '{-32768,7}'::int2[], '{9000000000}'::bigint[], '{a "
          "b,c}'::text[], '{\"a\"  , b}'::text[]",
          "{1,2,NULL}|{a,\"b "
          "c\",\"\",\"NULL\",NULL,\"x\\\\\\\"y\",\"{}\"}|{}|{1.50,2}|{t,f}|{1.5,NaN,-Infinity}|{-"
          "32768,7}|{9000000000}|{\"a b\",c}|{a,b}");
    QUERY(s,
          "SELECT '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid[], '{2020-01-02}'::date[], "
          "'{\"2020-01-02 03:04:05\"}'::timestamp[], '{\"{\\\"a\\\":1}\"}'::jsonb[], '{\"1 "
          "day\"}'::interval[], '{1.5}'::real[], '{\"a,b\",c\\,d}'::varchar[]",
          "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}|{2020-01-02}|{\"2020-01-02 "
          "03:04:05\"}|{\"{\\\"a\\\": 1}\"}|{\"1 day\"}|{1.5}|{\"a,b\",\"c,d\"}");
    EXEC_ERR(s, "SELECT '{{1,2},{3,4}}'::int[]", "0A000");
    EXEC_ERR(s, "SELECT '{1,,2}'::int[]", "22P02");
    EXEC_ERR(s, "SELECT '{1,x}'::int[]", "22P02");
    EXEC_ERR(s, "SELECT '1,2'::int[]", "22P02");
    EXEC_ERR(s, "SELECT '{1,2}x'::int[]", "22P02");
    EXEC_ERR(s, "SELECT '{\"a\"b}'::text[]", "22P02");
    EXEC_ERR(s, "SELECT '{a\"b}'::text[]", "22P02");
    EXEC_ERR(s, "SELECT '{1,2'::int[]", "22P02");
    EXEC_ERR(s, "SELECT '{32768}'::int2[]", "22003");
    /* ARRAY[...] and casts */
    QUERY(s,
          "SELECT ARRAY[1,2]::bigint[], ARRAY['a', NULL], ARRAY[]::int[], ARRAY[1.5, 2], ARRAY[1, "
          "2.5], ARRAY[true], ARRAY[1, 2] = '{1,2}', ARRAY['x y', 'z'], '{1,2}'::int[]::text[], "
          "'{1,2}'::text[]::int[], ARRAY[1,2]::text",
          "{1,2}|{a,NULL}|{}|{1.5,2}|{1,2.5}|{t}|t|{\"x y\",z}|{1,2}|{1,2}|{1,2}");
    EXEC_ERR(s, "SELECT ARRAY[1,'a']", "22P02");
    EXEC_ERR(s, "SELECT ARRAY[1, true]", "42804");
    EXEC_ERR(s, "SELECT ARRAY[[1,2],[3,4]]", "0A000");
    /* subscripts, length functions, array_to_string */
    QUERY(s,
          "SELECT (ARRAY[10,20,30])[2], (ARRAY[10,20,30])[4], (ARRAY[10,20,30])[0], "
          "(ARRAY[10,20,30])[-1], ('{a,b}'::text[])[1 + 1], array_length(ARRAY[1,2,3], 1), "
          "array_length('{}'::int[], 1), array_length(ARRAY[1], 2), cardinality(ARRAY[1,2]), "
          "cardinality('{}'::int[]), array_upper(ARRAY[1,2], 1), array_lower(ARRAY[5], 1)",
          "20|NULL|NULL|NULL|b|3|NULL|NULL|2|0|2|1");
    QUERY(s,
          "SELECT array_to_string(ARRAY['a',NULL,'c'], ','), array_to_string(ARRAY['a',NULL,'c'], "
          "',', '*'), array_to_string(ARRAY[1.5,2], '-'), array_to_string('{}'::int[], ','), "
          "array_to_string(ARRAY[1], NULL)",
          "a,c|a,*,c|1.5-2||NULL");
    EXEC_ERR(s, "SELECT (1)[1]", "42804");
    EXEC_ERR(s, "SELECT array_length('{1}', 1)", "42804");
    /* ANY / ALL */
    QUERY(s,
          "SELECT 2 = ANY(ARRAY[1,2]), 3 = ANY(ARRAY[1,2]), 3 = ANY(ARRAY[1,NULL]), 3 <> "
          "ALL(ARRAY[1,2]), 1 <> ALL(ARRAY[1,2]), 3 <> ALL(ARRAY[1,NULL]), 1 = ANY('{}'::int[]), "
          "NULL = ANY('{}'::int[]), NULL::int = ALL('{}'::int[]), 1 = ANY(NULL::int[]), 2 = "
          "ANY('{1,2}'), 'b' = ANY('{a,b}'), 5 > ALL(ARRAY[1,4]), 5 < ANY(ARRAY[1,4]), 2 != "
          "ALL(ARRAY[1,3]), 1.0 = ANY(ARRAY[1,2])",
          "t|f|NULL|t|f|NULL|f|f|t|NULL|t|t|t|f|t|t");
    EXEC_ERR(s, "SELECT 1 = ANY(1)", "42809");
    EXEC_ERR(s, "SELECT 'a'::text = ANY(ARRAY[1])", "42883");
    /* comparison and ordering: element by element, then length */
    QUERY(s,
          "SELECT ARRAY[1,2] < ARRAY[1,3], ARRAY[1,2] < ARRAY[1,2,0], ARRAY[2] > ARRAY[1,9], "
          "ARRAY[1,NULL] > ARRAY[1,5], ARRAY[1,NULL] = ARRAY[1,NULL], '{}'::int[] < ARRAY[1]",
          "t|t|t|t|t|t");
    EXEC_ERR(s, "SELECT ARRAY[1,2]::bigint[] = ARRAY[1,2]", "42883");
    /* columns */
    EXEC_OK(s, "CREATE TABLE at (id int PRIMARY KEY, tags text[], nums int[], amounts numeric[], "
               "flags bool[])");
    EXEC_OK(s, "INSERT INTO at VALUES (1, '{red,\"dark blue\"}', '{3,1,2}', '{1.50,2}', '{t}'), "
               "(2, ARRAY['x'], ARRAY[]::int[], NULL, '{f,NULL}'), (3, NULL, '{7}', '{}', NULL)");
    QUERY(s, "SELECT id, tags, nums, amounts, flags FROM at ORDER BY id",
          "1|{red,\"dark blue\"}|{3,1,2}|{1.50,2}|{t}\n2|{x}|{}|NULL|{f,NULL}\n3|NULL|{7}|{}|NULL");
    QUERY(
        s,
        "SELECT id, tags[2], nums[1], array_length(nums, 1), cardinality(tags) FROM at ORDER BY id",
        "1|dark blue|3|3|2\n2|NULL|NULL|NULL|1\n3|NULL|7|1|NULL");
    QUERY(s, "SELECT id FROM at WHERE 'x' = ANY(tags) OR 7 = ANY(nums) ORDER BY id", "2\n3");
    QUERY(s, "SELECT id FROM at WHERE id = ANY('{1,3,5}') ORDER BY id", "1\n3");
    QUERY(s, "SELECT id, nums FROM at ORDER BY nums, id", "2|{}\n1|{3,1,2}\n3|{7}");
    EXEC_OK(s, "UPDATE at SET nums = ARRAY[nums[1] * 10, 0] WHERE id = 1");
    QUERY(s, "SELECT nums FROM at WHERE id = 1", "{30,0}");
    EXEC_ERR(s, "INSERT INTO at (id, nums) VALUES (9, '{{1},{2}}')", "0A000");
    EXEC_ERR(s, "INSERT INTO at (id, nums) VALUES (9, '{a}')", "22P02");
    EXEC_ERR(s, "CREATE TABLE at2 (a int[] PRIMARY KEY)", "0A000");
    EXEC_ERR(s, "CREATE INDEX at_nums ON at (nums)", "0A000");
    QUERY(s, "SELECT max(nums), min(tags) FROM at", "{30,0}|{red,\"dark blue\"}");
}

static void test_more(tw_sql_session *s) {
    /* joins on uuid columns (hash join), GROUP BY json is an error as in PostgreSQL */
    EXEC_OK(s, "CREATE TABLE uj1 (a uuid, n int)");
    EXEC_OK(s, "CREATE TABLE uj2 (id int PRIMARY KEY, r uuid)");
    EXEC_OK(s, "INSERT INTO uj1 VALUES ('00000000-0000-0000-0000-000000000001', 1), "
               "('00000000-0000-0000-0000-000000000002', 2), (NULL, 3)");
    EXEC_OK(s, "INSERT INTO uj2 VALUES (1, '00000000-0000-0000-0000-000000000002'), (2, "
               "'00000000-0000-0000-0000-000000000001'), (3, NULL)");
    QUERY(s, "SELECT uj1.n, uj2.id FROM uj1 JOIN uj2 ON uj1.a = uj2.r ORDER BY 1", "1|2\n2|1");
    EXEC_ERR(s, "SELECT js, count(*) FROM jt GROUP BY js", "42883");
    QUERY(s, "SELECT j, count(*) FROM jt GROUP BY j ORDER BY j",
          "[{\"k\": 1}]|1\n{\"n\": 1.5, \"name\": \"bob\"}|1\n{\"n\": 2, \"name\": \"ann\", "
          "\"tags\": [\"x\", \"y\"]}|1\nNULL|1");
    /* jsonb to scalar casts (PostgreSQL 11+) */
    QUERY(s,
          "SELECT '1.5'::jsonb::numeric, '2'::jsonb::int, '2.5'::jsonb::int, 'true'::jsonb::bool, "
          "'1e3'::jsonb::float8, '3'::jsonb::bigint, ('{\"n\":7}'::jsonb -> 'n')::smallint",
          "1.5|2|3|t|1000|3|7");
    EXEC_ERR(s, "SELECT '\"1\"'::jsonb::int", "22023");
    EXEC_ERR(s, "SELECT '{}'::jsonb::numeric", "22023");
    EXEC_ERR(s, "SELECT '1'::jsonb::bool", "22023");
    EXEC_ERR(s, "SELECT 'null'::jsonb::int", "22023");
    EXEC_ERR(s, "SELECT '99999999999'::jsonb::int", "22003");
    EXEC_ERR(s, "SELECT '1'::json::int", "42846");
    /* array_agg, json_agg, jsonb_agg (NULL inputs kept; no rows: NULL) */
    EXEC_OK(s, "CREATE TABLE ag (id int PRIMARY KEY, g int, x int, s text, j jsonb)");
    EXEC_OK(s, "INSERT INTO ag VALUES (1, 1, 1, 'a b', '{\"k\":1.0}'), (2, 1, NULL, NULL, NULL), "
               "(3, 1, 3, 'c', '[1]'), (4, 2, 5, 'z', 'true')");
    QUERY(s,
          "SELECT g, json_agg(x), jsonb_agg(x), array_agg(x), array_agg(s), json_agg(s), "
          "jsonb_agg(j), json_agg(j), array_agg(j) FROM ag GROUP BY g ORDER BY g",
          "1|[1, null, 3]|[1, null, 3]|{1,NULL,3}|{\"a b\",NULL,c}|[\"a b\", null, \"c\"]|[{\"k\": "
          "1.0}, null, [1]]|[{\"k\": 1.0}, null, [1]]|{\"{\\\"k\\\": "
          "1.0}\",NULL,[1]}\n2|[5]|[5]|{5}|{z}|[\"z\"]|[true]|[true]|{true}");
    QUERY(s,
          "SELECT array_agg(x) IS NULL, json_agg(x) IS NULL, jsonb_agg(s) IS NULL FROM ag WHERE "
          "false",
          "t|t|t");
    QUERY(s, "SELECT count(*), array_agg(x), max(x), cardinality(array_agg(id)) FROM ag",
          "4|{1,NULL,3,5}|5|4");
    /* ARRAY(subquery): the rows' values in order; no rows give {} */
    QUERY(s,
          "SELECT ARRAY(SELECT x FROM ag ORDER BY x DESC), ARRAY(SELECT s FROM ag WHERE false), "
          "ARRAY(SELECT 1), cardinality(ARRAY(SELECT g FROM ag)), ARRAY(SELECT s FROM ag ORDER BY "
          "id)",
          "{NULL,5,3,1}|{}|{1}|4|{\"a b\",NULL,c,z}");
    QUERY(s,
          "SELECT g, x, ARRAY(SELECT x FROM ag a2 WHERE a2.g = ag.g ORDER BY a2.id) FROM ag ORDER "
          "BY g, id",
          "1|1|{1,NULL,3}\n1|NULL|{1,NULL,3}\n1|3|{1,NULL,3}\n2|5|{5}");
    QUERY(
        s,
        "SELECT id FROM ag WHERE id = ANY(ARRAY(SELECT x FROM ag WHERE x IS NOT NULL)) ORDER BY id",
        "1\n3");
    EXEC_ERR(s, "SELECT ARRAY(SELECT x, g FROM ag)", "42601");
    /* || on arrays, array_cat / array_append / array_position / array_remove, @> <@ && */
    QUERY(s,
          "SELECT ARRAY[1,2] || 3, 0 || ARRAY[1,2], ARRAY[1] || ARRAY[2,3], ARRAY[1,2] || '{3,4}', "
          "NULL::int[] || ARRAY[1], ARRAY[1] || NULL::int[], ARRAY['a'] || 'b'::text, NULL::int || "
          "ARRAY[1], ARRAY[1] || NULL::int",
          "{1,2,3}|{0,1,2}|{1,2,3}|{1,2,3,4}|{1}|{1}|{a,b}|{NULL,1}|{1,NULL}");
    QUERY(s,
          "SELECT array_cat(ARRAY[1], ARRAY[2]), array_cat(NULL::int[], NULL::int[]) IS NULL, "
          "array_append(NULL::int[], 1), array_append(ARRAY[1], NULL), array_append(ARRAY['x'], "
          "'y'), array_position(ARRAY['a','b','a'], 'a'), array_position(ARRAY[1,2], 3), "
          "array_position(ARRAY[1,NULL], NULL), array_remove(ARRAY[1,2,1,NULL], 1), "
          "array_remove(ARRAY[1,NULL], NULL)",
          "{1,2}|t|{1}|{1,NULL}|{x,y}|1|NULL|2|{2,NULL}|{1}");
    QUERY(s,
          "SELECT ARRAY[1,2,3] @> ARRAY[3,1], ARRAY[1,2] @> ARRAY[1,5], ARRAY[1] @> ARRAY[1,1], "
          "ARRAY[1,NULL] @> ARRAY[NULL::int], ARRAY[1,2] && ARRAY[2,5], ARRAY[1] && ARRAY[2], "
          "ARRAY[1] <@ ARRAY[1,2], '{}'::int[] @> '{}', ARRAY['a','b'] @> '{b}', ARRAY[NULL::int] "
          "&& ARRAY[NULL::int]",
          "t|f|t|f|t|f|t|t|t|f");
    EXEC_ERR(s, "SELECT ARRAY['a'] || 'b'", "22P02");
    EXEC_ERR(s, "SELECT ARRAY[1] || 'x'::text", "42883");
    EXEC_ERR(s, "SELECT ARRAY[1] || ARRAY['a']", "42883");
    EXEC_ERR(s, "SELECT ARRAY[1] || ARRAY[2::bigint]", "0A000"); /* PostgreSQL: {1,2} */
    /* jsonb || jsonb and jsonb - text / integer */
    QUERY(s,
          "SELECT '{\"a\":1,\"b\":2}'::jsonb || '{\"b\":3,\"c\":4}', '[1,2]'::jsonb || '[3]', "
          "'[1]'::jsonb || '2', '2'::jsonb || '[1]', '{\"a\":1}'::jsonb || '1', '1'::jsonb || '2', "
          "'{}'::jsonb || '{}', '[]'::jsonb || '{\"a\":1}', '{\"a\":1}'::jsonb || '[]'",
          "{\"a\": 1, \"b\": 3, \"c\": 4}|[1, 2, 3]|[1, 2]|[2, 1]|[{\"a\": 1}, 1]|[1, "
          "2]|{}|[{\"a\": 1}]|[{\"a\": 1}]");
    QUERY(s,
          "SELECT '{\"a\":1,\"b\":2}'::jsonb - 'a', '[\"a\",\"b\",\"a\"]'::jsonb - 'a', "
          "'[1,2,3]'::jsonb - 1, '[1,2,3]'::jsonb - -1, '[1,2,3]'::jsonb - 5, '{\"a\":1}'::jsonb - "
          "'z', '[1,\"1\"]'::jsonb - '1', '{\"a\":1}'::jsonb || 'x'::text",
          "{\"b\": 2}|[\"b\"]|[1, 3]|[1, 2]|[1, 2, 3]|{\"a\": 1}|[1]|{\"a\": 1}x");
    EXEC_ERR(s, "SELECT '{\"a\":1}'::jsonb - 0", "22023");
    EXEC_ERR(s, "SELECT '1'::jsonb - 'a'", "22023");
    /* unnest(array) in FROM (WITH ORDINALITY, joined, reading earlier FROM items) and in the select
     * list */
    QUERY(s, "SELECT * FROM unnest(ARRAY[3,1,NULL]) WITH ORDINALITY", "3|1\n1|2\nNULL|3");
    QUERY(s, "SELECT u, x FROM unnest('{a,b}'::text[]) u, (SELECT 1 AS x) s ORDER BY u",
          "a|1\nb|1");
    QUERY(s, "SELECT unnest(ARRAY['x','y z'])", "x\ny z");
    QUERY(s, "SELECT g, t FROM ag, unnest(ARRAY[s, 'q']) t WHERE g = 2 ORDER BY t", "2|q\n2|z");
    QUERY(s, "SELECT id, unnest(ARRAY[id, id * 10]) FROM ag WHERE id < 3 ORDER BY 2",
          "1|1\n2|2\n1|10\n2|20");
    QUERY(s, "SELECT count(*) FROM unnest('{}'::int[]), unnest(NULL::int[]) x", "0");
    EXEC_ERR(s, "SELECT * FROM unnest(1)", "42883");
    EXEC_ERR(s, "SELECT * FROM unnest('{1}')", "42725");
    /* common type of numbers (CASE, COALESCE, ARRAY[]): double precision wins, else real, else the
     * widest */
    QUERY(s,
          "SELECT coalesce(0.1::float4, NULL), CASE WHEN true THEN 0.1::float4 ELSE 0.2::float4 "
          "END, coalesce(0.1::float4, 1), coalesce(0.1::float4, 1.5), coalesce(1, 0.1::float4), "
          "coalesce(0.1::float4, 1::float8), ARRAY[1.5::float4, 0.1::float4], ARRAY[1, "
          "0.1::float4], coalesce(1::int2, 2::int8), coalesce(1, 2.50)",
          "0.1|0.1|0.1|0.1|1|0.10000000149011612|{1.5,0.1}|{1,0.1}|1|1");
    EXEC_ERR(s, "SELECT array_agg(DISTINCT x) FROM ag", "0A000");
    EXEC_ERR(s, "SELECT array_agg(ARRAY[x]) FROM ag", "0A000");
}

/* Result types through sql.h (PostgreSQL OIDs; TWILL_TYPE_TEXT through the ABI) and
 * text parameters meeting these types, as drivers send them (`= ANY($1)`). */
static void test_abi(tw_sql_session *s) {
    tw_sql_stmt *st = NULL;
    tw_err err;
    tw_err_clear(&err);
    const char *sql =
        "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{}'::json, '{}'::jsonb, "
        "'{1}'::int2[], '{1}'::int[], '{1}'::bigint[], '{1}'::float8[], "
        "'{a}'::text[], '{t}'::bool[], '{1}'::numeric[], '{a}'::varchar[], "
        "'{}'::uuid[], '{}'::jsonb[], '{}'::real[]";
    static const uint32_t oids[] = {2950, 114,  3802, 1005, 1007, 1016, 1022,
                                    1009, 1000, 1231, 1015, 2951, 3807, 1021};
    size_t used = 0;
    int rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    for (int i = 0; i < (int)(sizeof oids / sizeof oids[0]); i++) {
        int32_t mod = 0;
        CHECK(tw_sql_column_pgtype(st, i, &mod) == oids[i] && mod == -1);
        CHECK(tw_sql_column_decltype(st, i) == TWILL_TYPE_TEXT);
    }
    tw_sql_arg a;
    tw_sql_column_value(st, 0, &a);
    CHECK(a.type == TWILL_TYPE_TEXT && a.len == 36 &&
          !memcmp(a.p, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", 36));
    tw_sql_column_value(st, 4, &a);
    CHECK(a.type == TWILL_TYPE_TEXT && a.len == 3 && !memcmp(a.p, "{1}", 3));
    tw_sql_finalize(st);

    EXEC_OK(s, "CREATE TABLE pa (id int PRIMARY KEY, u uuid, j jsonb)");
    EXEC_OK(s, "INSERT INTO pa VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}'), "
               "(2, NULL, '[2]'), (3, NULL, NULL), (4, NULL, NULL)");
    st = NULL;
    sql = "SELECT id FROM pa WHERE id = ANY($1) AND ($2::uuid IS NULL OR u = $2) ORDER BY id";
    rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    tw_sql_arg p1 = {.type = TWILL_TYPE_TEXT, .p = "{1,3,4}", .len = 7};
    tw_sql_arg p2 = {.type = TWILL_TYPE_NULL};
    CHECK(!tw_sql_bind(st, 1, &p1, &err) && !tw_sql_bind(st, 2, &p2, &err));
    const char *want[] = {"1", "3", "4"};
    for (int i = 0; i < 3; i++) {
        CHECK(tw_sql_step(st, &err) == TWILL_ROW);
        const char *t = tw_sql_column_text(st, 0, NULL);
        CHECK(t && !strcmp(t, want[i]));
    }
    CHECK(tw_sql_step(st, &err) == TWILL_DONE);
    tw_sql_reset(st);
    tw_sql_arg p3 = {
        .type = TWILL_TYPE_TEXT, .p = "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", .len = 36};
    CHECK(!tw_sql_bind(st, 2, &p3, &err));
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    CHECK(tw_sql_step(st, &err) == TWILL_DONE);
    tw_sql_reset(st);
    tw_sql_arg bad = {.type = TWILL_TYPE_TEXT, .p = "{1,x}", .len = 5};
    CHECK(!tw_sql_bind(st, 1, &bad, &err));
    tw_err_clear(&err);
    CHECK(tw_sql_step(st, &err) == TWILL_ERROR && !strcmp(err.sqlstate, "22P02"));
    tw_sql_finalize(st);
    st = NULL;
    sql = "SELECT j -> $1 FROM pa WHERE j @> $2 ORDER BY id";
    rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, &err);
    CHECK(rc == TWILL_OK && st);
    if (rc || !st) return;
    tw_sql_arg k = {.type = TWILL_TYPE_TEXT, .p = "k", .len = 1};
    tw_sql_arg c = {.type = TWILL_TYPE_TEXT, .p = "{\"k\":1}", .len = 7};
    CHECK(!tw_sql_bind(st, 1, &k, &err) && !tw_sql_bind(st, 2, &c, &err));
    CHECK(tw_sql_step(st, &err) == TWILL_ROW);
    const char *t = tw_sql_column_text(st, 0, NULL);
    CHECK(t && !strcmp(t, "1"));
    CHECK(tw_sql_step(st, &err) == TWILL_DONE);
    tw_sql_finalize(st);
}

static void test_persistence(tw_sql_session *s) {
    tw_sql_session_close(s);
    if (sqlt_reopen(&D)) {
        CHECK(0);
        return;
    }
    s = sqlt_session(&D);
    CHECK(s != NULL);
    if (!s) return;
    QUERY(s, "SELECT name FROM ut WHERE id = '00000000-0000-0000-0000-000000000002'", "b");
    EXEC_OK(s, "INSERT INTO ut (name) VALUES ('after')");
    QUERY(s, "SELECT count(DISTINCT id), count(*) FROM ut", "6|6");
    QUERY(s, "SELECT id, j ->> 'name', js FROM jt WHERE id < 3 ORDER BY id",
          "1|ann|{\"name\":\"ann\",  \"n\":2}\n2|bob|[1, 2]");
    QUERY(s, "SELECT id, tags, nums, amounts FROM at ORDER BY id",
          "1|{red,\"dark blue\"}|{30,0}|{1.50,2}\n2|{x}|{}|NULL\n3|NULL|{7}|{}");
    tw_sql_session_close(s);
}

int main(void) {
    if (sqlt_create(&D, "sqltypes")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    if (!s) return 1;
    test_uuid(s);
    test_json(s);
    test_array(s);
    test_more(s);
    test_abi(s);
    test_persistence(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
