/* The system catalogs (pgcatalog.h) and catalog functions (func_catalog.c) at the SQL
 * level: the exact queries psql 15 sends for \d, \dt, \di, \dn, \l, \df, \ds (captured
 * with psql -E against PostgreSQL 15), ORM-style introspection, information_schema,
 * the reg* casts, the regex operators, COLLATE, wire type OIDs, and that the answers
 * follow DDL (a new table appears, a dropped one disappears). */
#include "lib_sqltest.h"

#include "sql/pgcatalog.h"

#include <stdlib.h>
#include <string.h>

static sqlt_db D;

static const char *SCHEMA =
    "CREATE TABLE t1 (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x', v varchar(20), "
    "n numeric(10,2), ts timestamptz DEFAULT now(), s serial);"
    "CREATE INDEX t1_name ON t1 (name);"
    "CREATE UNIQUE INDEX t1_v ON t1 (v, n);"
    "CREATE VIEW v1 AS SELECT id, name FROM t1;"
    "CREATE SEQUENCE sq1;"
    "CREATE TABLE \"Mixed Case\" (k bigint, flag boolean DEFAULT true, big bigint DEFAULT 5, "
    "neg integer DEFAULT -1)";

/* An oid as text, looked up by a query returning one value. */
static void one_value(tw_sql_session *s, const char *sql, char *out, size_t cap) {
    tw_err e;
    tw_err_clear(&e);
    if (sqlt_query(s, sql, out, cap, &e)) {
        fprintf(stderr, "%s: %s %s\n", sql, e.sqlstate, e.msg);
        out[0] = 0;
    }
}

static void test_psql_describe_table(tw_sql_session *s) {
    /* \d t1: find the relation */
    QUERY(s,
          "SELECT c.oid,\n  n.nspname,\n  c.relname\nFROM pg_catalog.pg_class c\n     LEFT JOIN "
          "pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE c.relname "
          "OPERATOR(pg_catalog.~) '^(t1)$' COLLATE pg_catalog.default\n  AND "
          "pg_catalog.pg_table_is_visible(c.oid)\nORDER BY 2, 3;",
          "16400|public|t1");
    char oid[64], sql[4096];
    one_value(s, "SELECT 't1'::regclass::oid", oid, sizeof oid);
    CHECK(!strcmp(oid, "16400"));
    snprintf(sql, sizeof sql,
             "SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, "
             "c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', "
             "c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE "
             "c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, "
             "c.relreplident, am.amname\nFROM pg_catalog.pg_class c\n LEFT JOIN "
             "pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)\nLEFT JOIN pg_catalog.pg_am am "
             "ON (c.relam = am.oid)\nWHERE c.oid = '%s';",
             oid);
    QUERY(s, sql, "0|r|t|f|f|f|f|f|f||0||p|d|heap");
    snprintf(sql, sizeof sql,
             "SELECT a.attname,\n  pg_catalog.format_type(a.atttypid, a.atttypmod),\n  (SELECT "
             "pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)\n   FROM pg_catalog.pg_attrdef d\n "
             "  WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),\n  "
             "a.attnotnull,\n  (SELECT c.collname FROM pg_catalog.pg_collation c, "
             "pg_catalog.pg_type t\n   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND "
             "a.attcollation <> t.typcollation) AS attcollation,\n  a.attidentity,\n  "
             "a.attgenerated\nFROM pg_catalog.pg_attribute a\nWHERE a.attrelid = '%s' AND "
             "a.attnum > 0 AND NOT a.attisdropped\nORDER BY a.attnum;",
             oid);
    QUERY(s, sql,
          "id|integer|NULL|t|NULL||\n"
          "name|text|'x'::text|t|NULL||\n"
          "v|character varying(20)|NULL|f|NULL||\n"
          "n|numeric(10,2)|NULL|f|NULL||\n"
          "ts|timestamp with time zone|now()|f|NULL||\n"
          "s|integer|nextval('t1_s_seq'::regclass)|t|NULL||");
    snprintf(sql, sizeof sql,
             "SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, "
             "pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),\n  "
             "pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, "
             "condeferred, i.indisreplident, c2.reltablespace\nFROM pg_catalog.pg_class c, "
             "pg_catalog.pg_class c2, pg_catalog.pg_index i\n  LEFT JOIN pg_catalog.pg_constraint "
             "con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN "
             "('p','u','x'))\nWHERE c.oid = '%s' AND c.oid = i.indrelid AND i.indexrelid = "
             "c2.oid\nORDER BY i.indisprimary DESC, c2.relname;",
             oid);
    QUERY(s, sql,
          "t1_pkey|t|t|f|t|CREATE UNIQUE INDEX t1_pkey ON public.t1 USING btree (id)|PRIMARY KEY "
          "(id)|p|f|f|f|0\n"
          "t1_name|f|f|f|t|CREATE INDEX t1_name ON public.t1 USING btree (name)|NULL|NULL|NULL|"
          "NULL|f|0\n"
          "t1_v|f|t|f|t|CREATE UNIQUE INDEX t1_v ON public.t1 USING btree (v, n)|NULL|NULL|NULL|"
          "NULL|f|0");
    /* footers over catalogs Twill has no objects for: planned as empty even where they
     * use arrays, ARRAY(subquery), string_agg over generate_series */
    snprintf(sql, sizeof sql,
             "SELECT pol.polname, pol.polpermissive,\n  CASE WHEN pol.polroles = '{0}' THEN NULL "
             "ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles "
             "where oid = any (pol.polroles) order by 1),',') END,\n  "
             "pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),\n  "
             "pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),\n  CASE pol.polcmd\n    "
             "WHEN 'r' THEN 'SELECT'\n    WHEN 'a' THEN 'INSERT'\n    WHEN 'w' THEN 'UPDATE'\n  "
             "  WHEN 'd' THEN 'DELETE'\n    END AS cmd\nFROM pg_catalog.pg_policy pol\nWHERE "
             "pol.polrelid = '%s' ORDER BY 1;",
             oid);
    QUERY(s, sql, "");
    snprintf(sql, sizeof sql,
             "SELECT oid, stxrelid::pg_catalog.regclass, "
             "stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,\n"
             "pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,\n  'd' = any(stxkind) "
             "AS ndist_enabled,\n  'f' = any(stxkind) AS deps_enabled,\n  'm' = any(stxkind) AS "
             "mcv_enabled,\nstxstattarget\nFROM pg_catalog.pg_statistic_ext\nWHERE stxrelid = "
             "'%s'\nORDER BY nsp, stxname;",
             oid);
    QUERY(s, sql, "");
    snprintf(sql, sizeof sql,
             "SELECT pubname\n     , NULL\n     , NULL\nFROM pg_catalog.pg_publication p\n     "
             "JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid\n     JOIN "
             "pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid\nWHERE pc.oid ='%s' and "
             "pg_catalog.pg_relation_is_publishable('%s')\nUNION\nSELECT pubname\n     , "
             "pg_get_expr(pr.prqual, c.oid)\n     , (CASE WHEN pr.prattrs IS NOT NULL THEN\n     "
             "    (SELECT string_agg(attname, ', ')\n           FROM "
             "pg_catalog.generate_series(0, "
             "pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,\n                "
             "pg_catalog.pg_attribute\n          WHERE attrelid = pr.prrelid AND attnum = "
             "prattrs[s])\n        ELSE NULL END) FROM pg_catalog.pg_publication p\n     JOIN "
             "pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid\n     JOIN "
             "pg_catalog.pg_class c ON c.oid = pr.prrelid\nWHERE pr.prrelid = '%s'\nUNION\nSELECT "
             "pubname\n     , NULL\n     , NULL\nFROM pg_catalog.pg_publication p\nWHERE "
             "p.puballtables AND pg_catalog.pg_relation_is_publishable('%s')\nORDER BY 1;",
             oid, oid, oid, oid);
    QUERY(s, sql, "");
    snprintf(sql, sizeof sql,
             "SELECT c.oid::pg_catalog.regclass\nFROM pg_catalog.pg_class c, "
             "pg_catalog.pg_inherits i\nWHERE c.oid = i.inhparent AND i.inhrelid = '%s'\n  AND "
             "c.relkind != 'p' AND c.relkind != 'I'\nORDER BY inhseqno;",
             oid);
    QUERY(s, sql, "");
    snprintf(sql, sizeof sql,
             "SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, "
             "pg_catalog.pg_get_expr(c.relpartbound, c.oid)\nFROM pg_catalog.pg_class c, "
             "pg_catalog.pg_inherits i\nWHERE c.oid = i.inhrelid AND i.inhparent = '%s'\nORDER BY "
             "pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', "
             "c.oid::pg_catalog.regclass::pg_catalog.text;",
             oid);
    QUERY(s, sql, "");
    /* quoted names and constant defaults as PostgreSQL prints them */
    QUERY(s,
          "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), d.adbin "
          "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND "
          "d.adnum = a.attnum WHERE a.attrelid = '\"Mixed Case\"'::regclass ORDER BY a.attnum",
          "k|bigint|NULL\nflag|boolean|true\nbig|bigint|'5'::bigint\nneg|integer|'-1'::integer");
}

static const char *LIST_SQL =
    "SELECT n.nspname as \"Schema\",\n  c.relname as \"Name\",\n  CASE c.relkind WHEN 'r' THEN "
    "'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN "
    "'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN "
    "'partitioned table' WHEN 'I' THEN 'partitioned index' END as \"Type\",\n  "
    "pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\"\nFROM pg_catalog.pg_class c\n     "
    "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n     LEFT JOIN "
    "pg_catalog.pg_am am ON am.oid = c.relam\nWHERE c.relkind IN (%s)\n      AND n.nspname <> "
    "'pg_catalog'\n      AND n.nspname !~ '^pg_toast'\n      AND n.nspname <> "
    "'information_schema'\n  AND pg_catalog.pg_table_is_visible(c.oid)\nORDER BY 1,2;";

static void test_psql_lists(tw_sql_session *s) {
    char sql[4096];
    snprintf(sql, sizeof sql, LIST_SQL, "'r','p',''");
    QUERY(s, sql, "public|Mixed Case|table|postgres\npublic|t1|table|postgres");
    snprintf(sql, sizeof sql, LIST_SQL, "'r','p','v','m','S','f',''");
    QUERY(s, sql,
          "public|Mixed Case|table|postgres\npublic|sq1|sequence|postgres\n"
          "public|t1|table|postgres\npublic|t1_s_seq|sequence|postgres\npublic|v1|view|postgres");
    snprintf(sql, sizeof sql, LIST_SQL, "'S',''");
    QUERY(s, sql, "public|sq1|sequence|postgres\npublic|t1_s_seq|sequence|postgres");
    /* \di */
    QUERY(s,
          "SELECT n.nspname as \"Schema\",\n  c.relname as \"Name\",\n  CASE c.relkind WHEN 'r' "
          "THEN 'table' WHEN 'v' THEN 'view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' END "
          "as \"Type\",\n  pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\",\n  c2.relname as "
          "\"Table\"\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON "
          "n.oid = c.relnamespace\n     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam\n     "
          "LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid\n     LEFT JOIN "
          "pg_catalog.pg_class c2 ON i.indrelid = c2.oid\nWHERE c.relkind IN ('i','I','')\n     "
          " AND n.nspname <> 'pg_catalog'\n      AND n.nspname !~ '^pg_toast'\n      AND "
          "n.nspname <> 'information_schema'\n  AND pg_catalog.pg_table_is_visible(c.oid)\nORDER "
          "BY 1,2;",
          "public|t1_name|index|postgres|t1\npublic|t1_pkey|index|postgres|t1\n"
          "public|t1_v|index|postgres|t1");
    /* \dn */
    QUERY(s,
          "SELECT n.nspname AS \"Name\",\n  pg_catalog.pg_get_userbyid(n.nspowner) AS "
          "\"Owner\"\nFROM pg_catalog.pg_namespace n\nWHERE n.nspname !~ '^pg_' AND n.nspname <> "
          "'information_schema'\nORDER BY 1;",
          "public|pg_database_owner");
    /* \l */
    QUERY(s,
          "SELECT d.datname as \"Name\",\n       pg_catalog.pg_get_userbyid(d.datdba) as "
          "\"Owner\",\n       pg_catalog.pg_encoding_to_char(d.encoding) as \"Encoding\",\n     "
          "  d.datcollate as \"Collate\",\n       d.datctype as \"Ctype\",\n       d.daticulocale "
          "as \"ICU Locale\",\n       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN "
          "'icu' END AS \"Locale Provider\",\n       pg_catalog.array_to_string(d.datacl, E'\\n') "
          "AS \"Access privileges\"\nFROM pg_catalog.pg_database d\nORDER BY 1;",
          "postgres|postgres|UTF8|C|C|NULL|libc|NULL");
    /* \df: no user functions; \df+ of pg_catalog shows the registry */
    static const char *DF =
        "SELECT n.nspname as \"Schema\",\n  p.proname as \"Name\",\n  "
        "pg_catalog.pg_get_function_result(p.oid) as \"Result data type\",\n  "
        "pg_catalog.pg_get_function_arguments(p.oid) as \"Argument data types\",\n CASE "
        "p.prokind\n  WHEN 'a' THEN 'agg'\n  WHEN 'w' THEN 'window'\n  WHEN 'p' THEN 'proc'\n  "
        "ELSE 'func'\n END as \"Type\"\nFROM pg_catalog.pg_proc p\n     LEFT JOIN "
        "pg_catalog.pg_namespace n ON n.oid = p.pronamespace\nWHERE "
        "pg_catalog.pg_function_is_visible(p.oid)\n      AND n.nspname %s\n      AND n.nspname <> "
        "'information_schema'\n%sORDER BY 1, 2, 4;";
    snprintf(sql, sizeof sql, DF, "<> 'pg_catalog'", "");
    QUERY(s, sql, "");
    snprintf(sql, sizeof sql, DF, "= 'pg_catalog'", "  AND p.proname ~ '^(split_part|repeat)$'\n");
    QUERY(s, sql,
          "pg_catalog|repeat|text|text, bigint|func\npg_catalog|split_part|text|text, text, "
          "bigint|func");
    /* \d sq1 and \d t1_s_seq (with its owner) */
    QUERY(s,
          "SELECT pg_catalog.format_type(seqtypid, NULL) AS \"Type\",\n       seqstart AS "
          "\"Start\",\n       seqmin AS \"Minimum\",\n       seqmax AS \"Maximum\",\n       "
          "seqincrement AS \"Increment\",\n       CASE WHEN seqcycle THEN 'yes' ELSE 'no' END AS "
          "\"Cycles?\",\n       seqcache AS \"Cache\"\nFROM pg_catalog.pg_sequence\nWHERE "
          "seqrelid = 'sq1'::regclass;",
          "bigint|1|1|9223372036854775807|1|no|1");
    QUERY(s,
          "SELECT format_type(seqtypid, NULL), seqmax FROM pg_sequence WHERE seqrelid = "
          "'t1_s_seq'::regclass",
          "integer|2147483647");
    QUERY(s,
          "SELECT pg_catalog.quote_ident(nspname) || '.' ||\n   pg_catalog.quote_ident(relname) "
          "|| '.' ||\n   pg_catalog.quote_ident(attname),\n   d.deptype\nFROM "
          "pg_catalog.pg_class c\nINNER JOIN pg_catalog.pg_depend d ON c.oid=d.refobjid\nINNER "
          "JOIN pg_catalog.pg_namespace n ON n.oid=c.relnamespace\nINNER JOIN "
          "pg_catalog.pg_attribute a ON (\n a.attrelid=c.oid AND\n a.attnum=d.refobjsubid)\nWHERE "
          "d.classid='pg_catalog.pg_class'::pg_catalog.regclass\n AND "
          "d.refclassid='pg_catalog.pg_class'::pg_catalog.regclass\n AND "
          "d.objid='t1_s_seq'::regclass\n AND d.deptype IN ('a', 'i')",
          "public.t1.s|a");
    /* \d t1_name: the index's columns and its table */
    QUERY(s,
          "SELECT a.attname,\n  pg_catalog.format_type(a.atttypid, a.atttypmod),\n  CASE WHEN "
          "a.attnum <= (SELECT i.indnkeyatts FROM pg_catalog.pg_index i WHERE i.indexrelid = "
          "'t1_v'::regclass) THEN 'yes' ELSE 'no' END AS is_key,\n  "
          "pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef\nFROM "
          "pg_catalog.pg_attribute a\nWHERE a.attrelid = 't1_v'::regclass AND a.attnum > 0 AND "
          "NOT a.attisdropped\nORDER BY a.attnum;",
          "v|character varying(20)|yes|v\nn|numeric(10,2)|yes|n");
    QUERY(s,
          "SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,\n  (NOT "
          "i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = "
          "i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferrable) "
          "AS condeferrable,\n  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM "
          "pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND "
          "contype IN ('p','u','x') AND condeferred) AS condeferred,\ni.indisreplident,\n"
          "i.indnullsnotdistinct,\n  a.amname, c2.relname, pg_catalog.pg_get_expr(i.indpred, "
          "i.indrelid, true)\nFROM pg_catalog.pg_index i, pg_catalog.pg_class c, "
          "pg_catalog.pg_class c2, pg_catalog.pg_am a\nWHERE i.indexrelid = c.oid AND c.oid = "
          "'t1_name'::regclass AND c.relam = a.oid\nAND i.indrelid = c2.oid;",
          "f|f|f|t|f|f|f|f|btree|t1|NULL");
    /* a view's columns are its query's */
    QUERY(s,
          "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
          "'v1'::regclass ORDER BY attnum",
          "id|integer\nname|text");
}

static void test_orm(tw_sql_session *s) {
    QUERY(s,
          "SELECT table_name, column_name, data_type, is_nullable, column_default, "
          "character_maximum_length, numeric_precision, numeric_scale, udt_name FROM "
          "information_schema.columns WHERE table_schema = 'public' AND table_name = 't1' "
          "ORDER BY ordinal_position",
          "t1|id|integer|NO|NULL|NULL|32|0|int4\n"
          "t1|name|text|NO|'x'::text|NULL|NULL|NULL|text\n"
          "t1|v|character varying|YES|NULL|20|NULL|NULL|varchar\n"
          "t1|n|numeric|YES|NULL|NULL|10|2|numeric\n"
          "t1|ts|timestamp with time zone|YES|now()|NULL|NULL|NULL|timestamptz\n"
          "t1|s|integer|NO|nextval('t1_s_seq'::regclass)|NULL|32|0|int4");
    QUERY(s,
          "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = "
          "'public' ORDER BY 1",
          "Mixed Case|BASE TABLE\nt1|BASE TABLE\nv1|VIEW");
    QUERY(s, "SELECT schema_name FROM information_schema.schemata ORDER BY 1",
          "information_schema\npg_catalog\npublic");
    QUERY(s,
          "SELECT tc.constraint_name, tc.constraint_type, kcu.column_name, kcu.ordinal_position "
          "FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage "
          "kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name "
          "WHERE tc.table_name = 't1'",
          "t1_pkey|PRIMARY KEY|id|1");
    /* the classic ORM primary-key query */
    QUERY(s,
          "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i JOIN "
          "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = 1 WHERE i.indrelid = "
          "'t1'::regclass AND i.indisprimary",
          "id|integer");
    /* indkey / conkey are smallint[]: = ANY and subscripts work (1-based; PostgreSQL's
     * int2vector indkey is 0-based) */
    QUERY(s,
          "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
          "a.attnum = ANY(i.indkey) WHERE i.indrelid = 't1'::regclass AND i.indisprimary",
          "id");
    QUERY(s,
          "SELECT c.conname, c.conkey, c.conkey[1], a.attname FROM pg_constraint c JOIN "
          "pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) WHERE "
          "c.contype = 'p' AND c.conrelid = 't1'::regclass",
          "t1_pkey|{1}|1|id");
    QUERY(s,
          "SELECT indkey, array_length(indkey, 1) FROM pg_index WHERE indexrelid = "
          "'t1_v'::regclass",
          "{3,4}|2");
    QUERY(s,
          "SELECT t.typname, t.oid, t.typarray FROM pg_type t JOIN pg_namespace n ON n.oid = "
          "t.typnamespace WHERE n.nspname = 'pg_catalog' AND t.typname IN ('int4', 'text', "
          "'bool', 'numeric') ORDER BY t.oid",
          "bool|16|1000\nint4|23|1007\ntext|25|1009\nnumeric|1700|1231");
    QUERY(s, "SELECT rolname, rolsuper FROM pg_roles ORDER BY oid",
          "postgres|t\npg_database_owner|f");
    QUERY(s, "SELECT usename FROM pg_user", "postgres");
    QUERY(s, "SELECT amname FROM pg_am ORDER BY oid", "heap\nbtree");
    QUERY(s, "SELECT count(*) FROM pg_description", "0");
    QUERY(s, "SELECT setting FROM pg_settings WHERE name = 'server_version_num'", "150000");
    QUERY(s, "SELECT tablename, hasindexes FROM pg_tables ORDER BY 1", "Mixed Case|f\nt1|t");
    QUERY(s, "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = 't1_name'",
          "t1_name|CREATE INDEX t1_name ON public.t1 USING btree (name)");
    QUERY(s, "SELECT viewname, definition FROM pg_views", "v1|SELECT id, name FROM t1");
    QUERY(s, "SELECT pg_get_viewdef('v1'::regclass)", "SELECT id, name FROM t1");
    QUERY(s, "SELECT count(*) > 50 FROM pg_proc WHERE pronamespace = 11", "t");
    QUERY(s, "SELECT relname FROM pg_class WHERE oid = 'pg_catalog.pg_class'::regclass",
          "pg_class");
    QUERY(s, "SELECT relkind FROM pg_class WHERE oid = 'information_schema.tables'::regclass", "v");
}

static void test_functions(tw_sql_session *s) {
    QUERY(
        s,
        "SELECT current_schema(), current_schema, current_schemas(true), current_schemas(false), "
        "current_database(), current_catalog, current_user, session_user, user",
        "public|public|{pg_catalog,public}|{public}|postgres|postgres|postgres|postgres|postgres");
    QUERY(s, "SELECT version() LIKE 'PostgreSQL 15.% (Twill DB %'", "t");
    QUERY(s,
          "SELECT format_type(23, -1), format_type(1043, 24), format_type(1042, 9), "
          "format_type(1700, 655366), format_type(1700, -1), format_type(1184, NULL), "
          "format_type(1009, -1), format_type(NULL, 1), format_type(18, -1)",
          "integer|character varying(20)|character(5)|numeric(10,2)|numeric|timestamp with time "
          "zone|text[]|NULL|\"char\"");
    QUERY(s, "SELECT pg_get_userbyid(10), pg_get_userbyid(4)", "postgres|unknown (OID=4)");
    QUERY(s,
          "SELECT obj_description(16400), obj_description(16400, 'pg_class'), "
          "col_description(16400, 1), pg_get_expr('x', 1), pg_encoding_to_char(6)",
          "NULL|NULL|NULL|x|UTF8");
    QUERY(s,
          "SELECT has_table_privilege('t1', 'SELECT'), has_table_privilege('postgres', 't1', "
          "'INSERT'), has_schema_privilege('public', 'USAGE'), pg_table_is_visible(16400), "
          "pg_table_is_visible(1259), pg_table_is_visible(13001), pg_table_is_visible(1)",
          "t|t|t|t|t|f|f");
    QUERY(s,
          "SELECT array_to_string(datacl, ','), array_to_string('{a,\"b c\",NULL}'::text, '-'), "
          "array_to_string('{a,NULL}'::text, '-', '*') FROM pg_database",
          "NULL|a-b c|a-*");
    QUERY(s,
          "SELECT pg_get_serial_sequence('t1', 's'), pg_get_serial_sequence('public.t1', 'id'), "
          "quote_ident('Mixed Case'), quote_ident('plain')",
          "public.t1_s_seq|NULL|\"Mixed Case\"|plain");
    EXEC_ERR(s, "SELECT pg_get_serial_sequence('nope', 'x')", "42P01");
    /* reg* casts: a name in, an oid out; an oid in, a name out */
    QUERY(s,
          "SELECT 't1'::regclass = 16400, 'public.t1'::regclass::oid, '\"Mixed Case\"'::regclass "
          "> 0, 16400::regclass, 1259::regclass::text, 13001::regclass, 'pg_class'::regclass",
          "t|16400|t|t1|pg_class|information_schema.tables|1259");
    QUERY(s,
          "SELECT 'integer'::regtype::oid, 'character varying'::regtype = 1043, 23::regtype, "
          "1043::regtype, 'public'::regnamespace, 2200::regnamespace, 11::regnamespace::text",
          "23|t|integer|character varying|2200|public|pg_catalog");
    QUERY(s, "SELECT to_regclass('t1') = 16400, to_regclass('nope')", "t|NULL");
    EXEC_ERR(s, "SELECT 'nope'::regclass", "42P01");
    EXEC_ERR(s, "SELECT 'no.such.name'::regclass", "42602");
    EXEC_ERR(s, "SELECT 'nope'::regtype", "42704");
    EXEC_ERR(s, "SELECT 'nope'::regnamespace", "3F000");
    EXEC_ERR(s, "SELECT 1.5::regclass", "42846");
    /* regular expressions (POSIX extended) */
    QUERY(s,
          "SELECT 'abc' ~ '^a', 'abc' ~ '^b', 'abc' !~ 'b', 'ABC' ~* 'b', 'ABC' !~* 'x', "
          "'t1' OPERATOR(pg_catalog.~) '^(t1)$', 'a.c' ~ 'a[.]c', 'x' ~ NULL",
          "t|f|f|t|t|t|t|NULL");
    QUERY(s, "SELECT relname FROM pg_class WHERE relname ~ '^t1_[nv]' ORDER BY 1", "t1_name\nt1_v");
    EXEC_ERR(s, "SELECT 'a' ~ '('", "2201B");
    EXEC_ERR(s, "SELECT 1 ~ 'a'", "42883");
    /* COLLATE: "C", "POSIX", default accepted (text compares bytewise); others 0A000 */
    QUERY(s,
          "SELECT 'B' < 'a' COLLATE \"C\", 'a' COLLATE pg_catalog.default = 'a', "
          "'b' COLLATE \"POSIX\" > 'a'",
          "t|t|t");
    EXEC_ERR(s, "SELECT 'a' COLLATE \"en_US\" < 'b'", "0A000");
    /* sizes: pg_size_pretty as PostgreSQL 15 prints; relation sizes are not known (NULL) */
    QUERY(s,
          "SELECT pg_size_pretty(10239), pg_size_pretty(10240), pg_size_pretty(-15000), "
          "pg_size_pretty(123456789), pg_size_pretty(1099511627776), "
          "pg_size_pretty(9223372036854775807), pg_table_size(16400), "
          "pg_total_relation_size('t1'::regclass), pg_database_size('postgres')",
          "10239 bytes|10 kB|-15 kB|118 MB|1024 GB|8192 PB|NULL|NULL|NULL");
    /* \du's roles and (no) memberships */
    QUERY(s,
          "SELECT r.rolname, r.rolsuper, r.rolcanlogin, (SELECT count(*) FROM pg_auth_members m "
          "WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1",
          "postgres|t|t|0");
    /* every relation can be read whole; none can be changed */
    static const char *const RELS[] = {"pg_namespace",
                                       "pg_class",
                                       "pg_attribute",
                                       "pg_type",
                                       "pg_index",
                                       "pg_constraint",
                                       "pg_attrdef",
                                       "pg_am",
                                       "pg_database",
                                       "pg_roles",
                                       "pg_authid",
                                       "pg_user",
                                       "pg_proc",
                                       "pg_settings",
                                       "pg_description",
                                       "pg_shdescription",
                                       "pg_collation",
                                       "pg_sequence",
                                       "pg_depend",
                                       "pg_tablespace",
                                       "pg_tables",
                                       "pg_views",
                                       "pg_indexes",
                                       "pg_sequences",
                                       "pg_inherits",
                                       "pg_partitioned_table",
                                       "pg_policy",
                                       "pg_statistic_ext",
                                       "pg_publication",
                                       "pg_publication_rel",
                                       "pg_publication_namespace",
                                       "pg_trigger",
                                       "pg_enum",
                                       "pg_extension",
                                       "pg_rewrite",
                                       "pg_foreign_table",
                                       "pg_auth_members",
                                       "pg_foreign_server",
                                       "pg_foreign_data_wrapper",
                                       "pg_event_trigger",
                                       "information_schema.tables",
                                       "information_schema.columns",
                                       "information_schema.schemata",
                                       "information_schema.table_constraints",
                                       "information_schema.key_column_usage",
                                       "information_schema.views",
                                       "information_schema.sequences"};
    for (size_t i = 0; i < sizeof RELS / sizeof RELS[0]; i++) {
        char q[200];
        snprintf(q, sizeof q, "SELECT count(*) >= 0 FROM (SELECT * FROM %s) x", RELS[i]);
        QUERY(s, q, "t");
        snprintf(q, sizeof q, "SELECT count(*) >= 0 FROM (SELECT * FROM pg_catalog.%s) x", RELS[i]);
        if (strncmp(RELS[i], "information_schema.", 19)) QUERY(s, q, "t");
    }
    EXEC_ERR(s, "DELETE FROM pg_class", "0A000");
    EXEC_ERR(s, "INSERT INTO pg_catalog.pg_namespace VALUES (1, 'x', 10, NULL)", "0A000");
    EXEC_ERR(s, "UPDATE information_schema.tables SET table_name = 'x'", "0A000");
    /* unknown catalogs and schemas stay errors */
    EXEC_ERR(s, "SELECT * FROM pg_catalog.pg_nope", "42P01");
    EXEC_ERR(s, "SELECT * FROM information_schema.pg_class", "42P01");
    EXEC_ERR(s, "SELECT * FROM tables", "42P01"); /* information_schema is not on the path */
    /* an unsupported construct over a catalog that has rows keeps its error */
    EXEC_ERR(s, "SELECT * FROM pg_class WHERE oid = ALL (SELECT 1)", "0A000");
}

/* pgbench 15's partition-detection query (GetTableInfo) and LATERAL. */
static void test_pgbench_lateral(tw_sql_session *s) {
    static const char *Q =
        "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c "
        "join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral "
        "(select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as "
        "o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join "
        "pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = '%s' and o.n is "
        "not null group by 1, 2 order by 1 asc limit 1";
    char sql[1024];
    snprintf(sql, sizeof sql, Q, "t1");
    QUERY(s, sql, "2|NULL|0");
    snprintf(sql, sizeof sql, Q, "nope");
    QUERY(s, sql, "");
    QUERY(s,
          "SELECT array_position('{pg_catalog,public}'::text, 'public'), "
          "array_position('{a,b,a}'::text, 'a', 2), array_position('{a}'::text, 'z'), "
          "array_position('{a,NULL}'::text, NULL)",
          "2|3|NULL|2");
    /* LATERAL reads the items before it and runs again for each of their rows */
    EXEC_OK(s, "CREATE TABLE lt (k int PRIMARY KEY, v text)");
    EXEC_OK(s, "INSERT INTO lt VALUES (1, 'a'), (2, 'bb'), (3, 'ccc')");
    QUERY(s, "SELECT k, x.l FROM lt CROSS JOIN LATERAL (SELECT length(v) AS l) x ORDER BY k",
          "1|1\n2|2\n3|3");
    QUERY(s,
          "SELECT a.k, c.n FROM lt a, LATERAL (SELECT count(*) AS n FROM lt b WHERE b.k <= a.k) c "
          "ORDER BY a.k DESC",
          "3|3\n2|2\n1|1");
    QUERY(s,
          "SELECT a.k, x.k2 FROM lt a LEFT JOIN LATERAL (SELECT b.k AS k2 FROM lt b WHERE b.k = "
          "a.k + 1) x ON true ORDER BY a.k",
          "1|2\n2|3\n3|NULL");
    EXEC_ERR(s, "SELECT * FROM (SELECT a.k) x, lt a", "42P01"); /* not LATERAL: no a */
    EXEC_OK(s, "DROP TABLE lt");
}

/* The result types the wire reports (RowDescription). */
static void test_wire_types(tw_sql_session *s) {
    tw_sql_stmt *st;
    size_t used;
    tw_err e;
    tw_err_clear(&e);
    const char *sql = "SELECT oid, relname, relkind, relnatts, reltuples, relhasindex, "
                      "'t1'::regclass::oid, 'x'::name FROM pg_class LIMIT 1";
    CHECK(tw_sql_prepare(s, sql, strlen(sql), &st, &used, &e) == TWILL_OK && st);
    if (!st) return;
    static const uint32_t want[] = {26, 19, 18, 21, 700, 16, 26, 19};
    for (int i = 0; i < 8; i++) CHECK(tw_sql_column_pgtype(st, i, NULL) == want[i]);
    tw_sql_finalize(st);
}

/* The catalogs follow DDL, including inside a transaction block. */
static void test_follows_ddl(tw_sql_session *s) {
    EXEC_OK(s, "BEGIN");
    EXEC_OK(s, "CREATE TABLE t2 (a int PRIMARY KEY)");
    QUERY(s, "SELECT count(*) FROM pg_class WHERE relname IN ('t2', 't2_pkey')", "2");
    EXEC_OK(s, "ROLLBACK");
    QUERY(s, "SELECT count(*) FROM pg_class WHERE relname LIKE 't2%'", "0");
    EXEC_OK(s, "DROP VIEW v1");
    EXEC_OK(s, "DROP TABLE \"Mixed Case\"");
    QUERY(s, "SELECT relname FROM pg_class WHERE relnamespace = 2200 AND relkind IN ('r', 'v')",
          "t1");
    QUERY(s, "SELECT count(*) FROM pg_attribute WHERE attrelid = 16400", "6");
}

int main(void) {
    if (sqlt_create(&D, "sqlpgcat")) return 1;
    tw_sql_session *s = sqlt_session(&D);
    if (!s) return 1;
    EXEC_OK(s, SCHEMA);
    test_psql_describe_table(s);
    test_psql_lists(s);
    test_orm(s);
    test_functions(s);
    test_wire_types(s);
    test_pgbench_lateral(s);
    test_follows_ddl(s);
    tw_sql_session_close(s);
    sqlt_destroy(&D);
    return sqlt_finish();
}
