/*
 * catalog.h — table and index definitions, stored transactionally in the key-value
 * layer and decoded into immutable, reference-counted snapshots.
 *
 * Storage: txn table TW_CATALOG_TABLE holds one row per relation (tables and indexes
 * share PostgreSQL's relation namespace): key = name bytes, value = serialized
 * definition (see docs/sql-internals.md). A snapshot (tw_catalog) is the decoded state
 * as some transaction saw it; plans point into it and hold a reference.
 */
#ifndef TW_SQL_CATALOG_H
#define TW_SQL_CATALOG_H

#include "sql/arena.h"
#include "sql/value.h"
#include "txn/txn.h"

#define TW_CATALOG_TABLE 1
#define TW_FIRST_USER_ID 16
#define TW_MAX_COLUMNS 1600

/* TW_DEF_NOW: now() / current_timestamp / localtimestamp / current_date (nowfn), read
 * per statement since it is the transaction's start time, not a constant. */
enum { TW_DEF_NONE, TW_DEF_CONST, TW_DEF_SEQ, TW_DEF_NOW };

typedef struct tw_column {
    char *name;
    tw_sqltype type;
    uint8_t notnull;
    uint8_t has_default; /* TW_DEF_* */
    tw_val defval;       /* TW_DEF_CONST: constant, already of the column's type */
    char *seqname;       /* TW_DEF_SEQ: the default is nextval(seqname) (serial, identity) */
    uint8_t identity;    /* 'a': GENERATED ALWAYS AS IDENTITY, 'd': BY DEFAULT, 0: not */
    uint8_t nowfn;       /* TW_DEF_NOW: TW_SEQ_NOW_* (expr.h) */
} tw_column;

/* A sequence's definition (its current value lives outside the catalog: see
 * session.c, "sequences"). owner: the table of a serial / identity column ("" none),
 * dropped with it. */
typedef struct tw_seq {
    char *name;
    uint64_t id;
    int64_t start, inc, min, max, cache;
    uint8_t cycle;
    char *owner;
} tw_seq;

typedef struct tw_table tw_table;

/* A CHECK constraint: its expression as SQL text, analyzed again wherever a plan needs
 * it (constraint.h). */
typedef struct tw_check {
    char *name;
    char *expr;
} tw_check;

/* FK actions, PostgreSQL's letters (pg_constraint.confdeltype). */
enum {
    TW_FK_NOACTION = 'a',
    TW_FK_RESTRICT = 'r',
    TW_FK_CASCADE = 'c',
    TW_FK_SETNULL = 'n',
    TW_FK_SETDEFAULT = 'd'
};

/* A FOREIGN KEY of `table` (the referencing side). Stored: name, referenced table and
 * column names, actions. Resolved at load: ref (NULL when missing), refcols, and the
 * referenced key's access: refidx (NULL: the primary key) and perm[k] = which of the
 * FK's columns is the k-th column of that key. */
typedef struct tw_fkey {
    char *name;
    char *reftable;
    int ncols;
    int *cols;
    char **refnames;
    uint8_t on_delete, on_update;
    tw_table *table;
    tw_table *ref;
    int *refcols;
    struct tw_index *refidx;
    int *perm;
} tw_fkey;

typedef struct tw_index {
    char *name;
    uint64_t id;
    tw_table *table;
    char *table_name;
    uint8_t unique;
    int ncols;
    int *cols;
} tw_index;

struct tw_table {
    char *name;
    uint64_t id;
    int ncols;
    tw_column *cols;
    uint8_t *kinds; /* runtime kind per column, for the row codec */
    int npk;        /* 0: hidden int64 row id */
    int *pk;
    int nidx;
    tw_index **idx;
    int nchecks;
    tw_check *checks;
    int nfks;
    tw_fkey *fks;
    int nrefby; /* foreign keys of any table (this one included) that reference it */
    tw_fkey **refby;
};

typedef struct tw_view {
    char *name;
    char *sql; /* the CREATE VIEW statement, re-parsed where the view is used */
} tw_view;

typedef struct tw_catalog {
    int refs;
    uint64_t version; /* the db's catalog version this snapshot reflects */
    tw_arena mem;
    int ntables, nindexes, nviews, nseqs;
    tw_table **tables;
    tw_index **indexes;
    tw_view **views;
    tw_seq **seqs;
    uint64_t max_id;
} tw_catalog;

/* Reads the whole catalog as transaction t sees it. */
int tw_catalog_load(tw_txn *t, uint64_t version, tw_catalog **out, tw_err *err);
void tw_catalog_ref(tw_catalog *c);
void tw_catalog_unref(tw_catalog *c);

tw_table *tw_catalog_table(const tw_catalog *c, const char *name);
tw_index *tw_catalog_index(const tw_catalog *c, const char *name);
tw_view *tw_catalog_view(const tw_catalog *c, const char *name);
tw_seq *tw_catalog_seq(const tw_catalog *c, const char *name);
int tw_table_column(const tw_table *t, const char *name);

/* Serialized writes. Definitions are plain structs (pointers borrowed). */
int tw_catalog_put_table(tw_txn *t, const tw_table *def, tw_err *err);
int tw_catalog_put_index(tw_txn *t, const tw_index *def, tw_err *err);
int tw_catalog_put_view(tw_txn *t, const char *name, const char *sql, size_t len, tw_err *err);
int tw_catalog_put_seq(tw_txn *t, const tw_seq *def, tw_err *err);
int tw_catalog_delete(tw_txn *t, const char *name, tw_err *err);

#endif
