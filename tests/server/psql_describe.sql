CREATE TABLE t1 (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x', v varchar(20), n numeric(10,2), ts timestamptz DEFAULT now(), s serial);
CREATE INDEX t1_name ON t1 (name);
CREATE UNIQUE INDEX t1_v ON t1 (v, n);
CREATE VIEW v1 AS SELECT id, name FROM t1;
CREATE SEQUENCE sq1;
CREATE TABLE "Mixed Case" (k bigint, flag boolean DEFAULT true, c char(3), b bytea, d date, i interval);
\echo === d t1
\d t1
\echo === dt
\dt
\echo === di
\di
\echo === dn
\dn
\echo === l
\l
\echo === df
\df
\echo === d
\d
\echo === dv
\dv
\echo === ds
\ds
\echo === d v1
\d v1
\echo === d sq1
\d sq1
\echo === d t1_s_seq
\d t1_s_seq
\echo === d t1_name
\d t1_name
\echo === d t1_pkey
\d t1_pkey
\echo === d "Mixed Case"
\d "Mixed Case"
\echo === dt t*
\dt t*
\echo === d nope
\d nope
