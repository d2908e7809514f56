/*
 * pgcatalog.h — PostgreSQL's system catalogs (pg_catalog.*, information_schema.*) as
 * virtual relations computed from a catalog snapshot.
 *
 * Contract:
 * - A virtual relation is named by (schema, name): pg_catalog relations are visible
 *   unqualified (pg_catalog is implicitly first on PostgreSQL's search path), the
 *   information_schema ones only qualified. tw_pgcat_lookup gives its definition (a
 *   tw_table with id 0, no key, no indexes; static storage, valid for the process) and
 *   a relation number (vrel >= 1) that the planner stores in the scan node.
 * - Its rows are computed when the scan starts, from the snapshot the plan was built
 *   against (tw_plan.cat), so they always describe exactly the tables, indexes, views
 *   and sequences that the statement itself sees. Relations Twill has no objects for
 *   (pg_inherits, pg_policy, pg_trigger, ...) are always empty.
 * - Columns that are arrays in PostgreSQL (indkey, conkey, proargtypes, datacl, ...) are
 *   text in PostgreSQL's array output form ('{1,2}'; int2vector/oidvector: '1 2').
 *   oid-valued columns are bigint (values 0 .. 2^32-1).
 * - Object identifiers are stable: a table, index or sequence is 16384 + its catalog id;
 *   the primary key of a table (which Twill stores as the table's key, not an index) is
 *   the index "<table>_pkey", oid 2^31 + the table's id, and its constraint 3·2^30 + id;
 *   a view (which has no id) is 2^30 + a 30-bit hash of its name. Built-in types have
 *   PostgreSQL's OIDs (tw_type_pgoid); namespaces pg_catalog 11, public 2200,
 *   information_schema 13000; the one role "postgres" is 10 (and public belongs to
 *   pg_database_owner, 6171, as in PostgreSQL 15); the one database
 *   "postgres" is 5.
 */
#ifndef TW_SQL_PGCATALOG_H
#define TW_SQL_PGCATALOG_H

#include "sql/catalog.h"

#include <stdint.h>

#define TW_PGCAT_NSP_CATALOG 11
#define TW_PGCAT_NSP_PUBLIC 2200
#define TW_PGCAT_NSP_INFO 13000
#define TW_PGCAT_ROLE 10
#define TW_PGCAT_ROLE_DBOWNER 6171 /* pg_database_owner: owns schema public */
#define TW_PGCAT_USER "postgres"
#define TW_PGCAT_DATABASE "postgres"
#define TW_PGCAT_DB_OID 5

/* The virtual relation schema.name (schema NULL: unqualified), or NULL. */
const tw_table *tw_pgcat_lookup(const char *schema, const char *name, int *vrel);
/* 1 if relation vrel never has rows. */
int tw_pgcat_always_empty(int vrel);
/* Computes the rows of vrel over cat: *rows is a malloc'ed array of *nrows rows, each
 * one malloc'ed block (values, then their bytes); the caller frees both levels. */
int tw_pgcat_rows(const tw_catalog *cat, int vrel, tw_val ***rows, size_t *nrows, tw_err *err);

/* ---- objects by OID (for the catalog functions, func_catalog.c) ---- */

enum { PGCAT_NONE, PGCAT_TABLE, PGCAT_INDEX, PGCAT_PKEY, PGCAT_VIEW, PGCAT_SEQ, PGCAT_VREL };

typedef struct tw_pgcat_obj {
    int kind;              /* PGCAT_* */
    const tw_table *table; /* TABLE, PKEY (its table), INDEX (its table), VREL */
    const tw_index *index; /* INDEX */
    const tw_view *view;   /* VIEW */
    const tw_seq *seq;     /* SEQ */
    const char *name;      /* relation name */
    uint32_t nsp;          /* namespace oid */
} tw_pgcat_obj;

uint32_t tw_pgcat_table_oid(const tw_table *t);
uint32_t tw_pgcat_index_oid(const tw_index *x);
uint32_t tw_pgcat_pkey_oid(const tw_table *t);
uint32_t tw_pgcat_view_oid(const tw_view *v);
uint32_t tw_pgcat_seq_oid(const tw_seq *s);
/* The pg_class oid of a virtual relation's definition (tw_pgcat_lookup), 0 if it is not one. */
uint32_t tw_pgcat_vrel_oid(const tw_table *vt);
/* The SELECT of a view's stored CREATE VIEW text (pg_get_viewdef). */
const char *tw_pgcat_view_query(const tw_view *v);
/* The relation with this oid (*out.kind == PGCAT_NONE when none). */
void tw_pgcat_find_oid(const tw_catalog *cat, uint64_t oid, tw_pgcat_obj *out);
/* The relation named `name` in `schema` (NULL: the search path pg_catalog, public). */
void tw_pgcat_find_name(const tw_catalog *cat, const char *schema, const char *name,
                        tw_pgcat_obj *out);
/* Name of namespace oid, or NULL. */
const char *tw_pgcat_nsp_name(uint64_t oid);
/* PostgreSQL's format_type(type_oid, typmod) into buf; NULL if the oid is unknown. */
const char *tw_pgcat_format_type(uint64_t oid, int32_t typmod, char *buf, size_t cap);
/* The type oid of a PostgreSQL type name (as format_type or pg_type.typname spell it),
 * 0 if unknown. */
uint32_t tw_pgcat_type_by_name(const char *name);
/* pg_get_indexdef / pg_get_constraintdef texts (appended to out). col > 0: that index
 * column's name only. 0 on success, -1 when oid is not an index / constraint. */
int tw_pgcat_indexdef(const tw_catalog *cat, uint64_t oid, int col, tw_buf *out);
int tw_pgcat_constraintdef(const tw_catalog *cat, uint64_t oid, tw_buf *out);
/* A column default as pg_get_expr prints it ("'x'::text", "now()", "nextval(...)"). */
int tw_pgcat_default_text(const tw_column *col, tw_buf *out);

#endif
