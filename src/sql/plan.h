/*
 * plan.h — analysis and planning: a parse tree + a catalog snapshot → an immutable
 * plan. A plan is built once per prepared statement (and again only when the catalog
 * changes); executions bind parameters and run it (exec.h).
 *
 * SELECT plans are a tree of operators, each producing rows of tw_val:
 *   SCAN (access path + filter) | ONEROW → [AGG] → PROJECT → [SORT] → [LIMIT]
 * The access path is only a narrowing: the scan always rechecks the full WHERE
 * predicate, so an access path can never change an answer, only its cost.
 */
#ifndef TW_SQL_PLAN_H
#define TW_SQL_PLAN_H

#include "sql/catalog.h"
#include "sql/expr.h"
#include "sql/parser.h"

enum {
    PL_SELECT,
    PL_INSERT,
    PL_UPDATE,
    PL_DELETE,
    PL_CREATE_TABLE,
    PL_DROP_TABLE,
    PL_CREATE_INDEX,
    PL_DROP_INDEX,
    PL_BEGIN,
    PL_COMMIT,
    PL_ROLLBACK,
    PL_NOOP, /* accepted and ignored (e.g. SET of a harmless setting) */
    PL_CREATE_VIEW,
    PL_DROP_VIEW,
    PL_SAVEPOINT,
    PL_RELEASE,
    PL_ROLLBACK_TO,
    PL_CREATE_SEQ,
    PL_DROP_SEQ,
    PL_TRUNCATE,
    PL_ALTER_TABLE,
    PL_EXPLAIN,        /* inner = the explained statement's plan; one text column */
    PL_SET_ISOLATION,  /* SET [SESSION CHARACTERISTICS AS] TRANSACTION ISOLATION LEVEL, ... */
    PL_SHOW_ISOLATION, /* SHOW transaction_isolation / default_transaction_isolation */
};
/* ALTER TABLE actions (tw_plan.alter) */
/* ALT_ADD_PK: newtable->pk / npk = the key; ALT_ADD_UNIQUE: newidx[0]. */
enum {
    ALT_RENAME_TABLE,
    ALT_RENAME_COLUMN,
    ALT_ADD_COLUMN,
    ALT_DROP_COLUMN,
    ALT_ADD_PK,
    ALT_ADD_UNIQUE,
    /* newtable holds the table's full new constraint lists (checks / fks); checks[0]
     * of the plan is the new CHECK to validate, newtable->fks[nfks-1] the new FK */
    ALT_ADD_CHECK,
    ALT_ADD_FK,
    ALT_DROP_CONSTRAINT, /* names[0]; newtable: the lists without it (or an index to drop) */
    ALT_COL_DEFAULT,     /* names[0] = column; newtable->cols[0] carries the new default */
    ALT_COL_NOTNULL,     /* names[0] = column; newtable->cols[0].notnull */
    ALT_COL_TYPE,        /* names[0] = column; newtable->cols[0].type (same storage kind) */
    ALT_MULTI            /* several actions: each planned and run in turn (session.c) */
};

enum { ONCONF_NONE, ONCONF_NOTHING, ONCONF_UPDATE };
enum { CONF_ANY = -1, CONF_PK = -2 };
/* PN_RECURSIVE (WITH RECURSIVE): child = the non-recursive term, inner = the recursive
 * term, rerun while the previous round produced rows; its SCANs with `wt` set read the
 * previous round's rows (the "working table"). setop & SETOP_ALL: UNION ALL. */
enum {
    PN_SCAN,
    PN_ONEROW,
    PN_AGG,
    PN_PROJECT,
    PN_SORT,
    PN_LIMIT,
    PN_JOIN,
    PN_APPEND,
    PN_SETOP,
    PN_RECURSIVE,
    PN_WINDOW,
    PN_UNIQUE, /* DISTINCT ON: the first of each run of rows equal on keys (child sorted) */
    PN_VALUES  /* VALUES (...), (...) as a query: nvrows rows of ncols expressions (vals) */
};
enum { SETOP_EXCEPT = 1, SETOP_ALL = 2 }; /* PN_SETOP flags (INTERSECT unless EXCEPT) */
enum { ACC_FULL, ACC_PK_POINT, ACC_PK_RANGE, ACC_INDEX };
enum {
    AG_COUNT_STAR,
    AG_COUNT,
    AG_SUM,
    AG_MIN,
    AG_MAX,
    AG_AVG,
    AG_BOOL_AND, /* also every() */
    AG_BOOL_OR,
    AG_STRING_AGG, /* arg2: the delimiter */
    AG_ARRAY_AGG,  /* list aggregates from here on */
    AG_JSON_AGG,
    AG_JSONB_AGG
};

typedef struct tw_access {
    uint8_t kind;
    tw_index *idx; /* ACC_INDEX */
    int ncols;     /* columns of the key (pk or index) */
    const int *cols;
    int neq; /* leading key columns bound by equality */
    tw_expr **eq;
    tw_expr *lo, *hi; /* optional range on key column neq */
} tw_access;

typedef struct tw_aggdef {
    uint8_t fn;
    uint8_t distinct; /* count(DISTINCT x) etc.: each value once per group */
    tw_expr *arg;
    tw_expr *arg2; /* string_agg's delimiter (evaluated per row) */
    tw_sqltype type;
} tw_aggdef;

typedef struct tw_sortkey {
    int col;
    uint8_t desc;
    uint8_t nulls_first;
} tw_sortkey;

/* Window functions (PN_WINDOW). A window's frame: the whole partition, the rows up to
 * the current row's last peer (RANGE, PostgreSQL's default with ORDER BY), or up to the
 * current row (ROWS); every frame starts at the partition's first row. */
enum {
    TW_WF_ROW_NUMBER,
    TW_WF_RANK,
    TW_WF_DENSE_RANK,
    TW_WF_PERCENT_RANK,
    TW_WF_CUME_DIST,
    TW_WF_NTILE,
    TW_WF_LAG,
    TW_WF_LEAD,
    TW_WF_FIRST,
    TW_WF_LAST,
    TW_WF_NTH,
    TW_WF_AGG
};
enum { TW_FRAME_ALL, TW_FRAME_PEERS, TW_FRAME_ROWS };

typedef struct tw_winspec {
    int npart, norder;
    tw_sortkey *keys; /* npart partition keys then norder order keys; col = index into the
                         window node's wexprs */
    uint8_t frame;    /* TW_FRAME_* */
} tw_winspec;

typedef struct tw_winfn {
    uint8_t fn; /* TW_WF_* */
    int spec;   /* its window */
    int nargs;  /* arguments are wexprs[argoff ..] */
    int argoff;
    tw_aggdef agg; /* TW_WF_AGG: the aggregate (its arg unused: see argoff) */
    tw_sqltype type;
} tw_winfn;

typedef struct tw_pnode {
    uint8_t kind;
    int id;   /* index of this node's run-time state */
    int slot; /* which combined row / arena (0: the statement, k: subquery k-1) */
    struct tw_pnode *child;
    int ncols; /* width of the output row */
    /* SCAN */
    tw_table *table;
    const char *alias;   /* FROM alias (EXPLAIN names the scan by it), or NULL */
    struct tw_pnode *wt; /* a working-table scan: the PN_RECURSIVE node whose rows it reads */
    int coloff;          /* where the table's columns start in the combined row */
    int from_sub;        /* a subquery in FROM: 1 + its index in tw_plan.subs (rows materialized) */
    int vrel;            /* a system catalog relation (pgcatalog.h): its rows computed at start */
    struct tw_srf *srf;  /* a function in FROM (generate_series): rows from srf.c */
    tw_access acc;
    tw_expr *filter;
    /* AGG: output row = group values then aggregate values */
    int ngroup, naggs;
    tw_expr **group;
    tw_aggdef *aggs;
    tw_expr *having;
    /* PROJECT */
    tw_expr **exprs;
    /* SORT */
    int nkeys;
    tw_sortkey *keys;
    /* JOIN (nested loop): child = outer rows, inner = a SCAN restarted per outer row */
    struct tw_pnode *inner;
    uint8_t left;  /* LEFT JOIN: unmatched outer rows get NULLs for the inner table */
    uint8_t setop; /* PN_SETOP flags; PN_APPEND/PN_SETOP read child, then inner */
    tw_expr *post; /* predicate on the joined row (after NULL extension) */
    /* hash JOIN (nhkeys > 0): the inner rows are read once into a hash table keyed by
     * hkin (over the inner's columns) and probed with hkout (over the outer row); a
     * candidate matches when jfilter (the rest of the join condition) holds */
    int nhkeys;
    tw_expr **hkin, **hkout;
    tw_expr *jfilter;
    uint8_t full; /* FULL JOIN (hash join only): then the inner rows no outer row met */
    /* LIMIT (also a hint to SORT for top-N) */
    tw_expr *limit, *offset;
    /* WINDOW: output row = the win_in input columns, then one value per window function;
     * wexprs (window keys and function arguments) are evaluated over the input row */
    int win_in, nwfns, nwspecs, nwexprs;
    int nvrows;     /* VALUES */
    tw_expr **vals; /* VALUES: row-major, nvrows × ncols */
    tw_winfn *wfns;
    tw_winspec *wspecs;
    tw_expr **wexprs;
} tw_pnode;

/* A subquery runs its own operator tree over its own combined row (slot). */
typedef struct tw_subq {
    tw_pnode *root;
    int slot;           /* 1 + index in tw_plan.subs */
    int width;          /* of its combined row */
    int ncols;          /* result columns (1 for scalar / IN) */
    uint8_t kind;       /* TW_SQ_* */
    uint8_t correlated; /* reads the enclosing row: rerun per row; otherwise cached */
    int outer_max;      /* highest enclosing-row column it reads (-1: none) */
} tw_subq;

typedef struct tw_plan {
    int kind;
    tw_arena mem;
    tw_catalog *cat; /* referenced: the plan points into it */
    int nparams;
    int nnodes;
    int width; /* columns of the combined row the scans fill */
    int nsubs;
    tw_subq *subs;
    /* result columns (SELECT) */
    int ncols;
    char **colnames;
    tw_sqltype *coltypes;
    tw_pnode *root;
    /* INSERT / UPDATE / DELETE */
    tw_table *table;
    int nrows;
    tw_expr ***rows; /* INSERT: nrows × table->ncols, NULL = default */
    tw_pnode *src;   /* INSERT ... SELECT: rows[0] is evaluated over each source row */
    tw_pnode *scan;  /* UPDATE / DELETE */
    int nset;
    int *setcols;
    tw_expr **setexprs;
    tw_expr **ret; /* RETURNING expressions over the written row (ncols of them) */
    /* CHECK constraints of `table` (INSERT / UPDATE / ON CONFLICT / ALTER ADD CHECK), in
     * name order, compiled over its row; the parse trees of their texts are kept here */
    int nchecks;
    tw_expr **checks;
    const char **checknames;
    int nxtrees;
    tw_parsetree **xtrees;
    /* UPDATE ... FROM / DELETE ... USING: `scan` is a join whose rows start with the
     * target's columns; a target row is written once however often it matches */
    uint8_t dmljoin;
    /* INSERT ... ON CONFLICT: the arbiter (CONF_ANY: the primary key and every unique
     * index; CONF_PK; else an index of `table->idx`) and, for DO UPDATE, SET / WHERE
     * over the combined row [existing row | EXCLUDED row] (2 × table->ncols). */
    uint8_t onconf; /* ONCONF_* */
    int conf_arb;
    int nconfset;
    int *confsetcols;
    tw_expr **confsetexprs;
    tw_expr *conf_where;
    /* DDL */
    tw_table *newtable; /* CREATE TABLE definition (ids assigned at execution) */
    int nnewseq;
    tw_seq *newseq; /* CREATE SEQUENCE, or the owned sequences of serial columns */
    int nnewidx;
    tw_index *newidx; /* CREATE INDEX, or CREATE TABLE's UNIQUE constraints */
    int nnames;
    char **names;           /* DROP */
    uint8_t if_exists;      /* IF [NOT] EXISTS */
    uint8_t restart;        /* TRUNCATE ... RESTART IDENTITY */
    uint8_t cascade;        /* DROP / TRUNCATE ... CASCADE */
    uint8_t not_valid;      /* ALTER TABLE ADD CONSTRAINT ... NOT VALID: rows not checked */
    uint8_t alter;          /* ALT_*; table = the target, names[0..1] = old/new or column name,
                               newtable->cols[0] = an added column */
    uint8_t col_missing_ok; /* ADD COLUMN IF NOT EXISTS / DROP COLUMN IF EXISTS */
    const char *noop_tag;   /* PL_NOOP: the command tag to report (VACUUM, ANALYZE), or NULL */
    struct tw_plan *inner;  /* PL_EXPLAIN: the statement explained (owned) */
    int nparamtypes;        /* the type each parameter's context gave it (TY_UNKNOWN: none) */
    tw_sqltype *paramtypes;
    uint8_t analyze; /* PL_EXPLAIN ANALYZE: run it and show what each node did */
} tw_plan;

/* Plans statement `i` of the tree against catalog `cat`. pos_base is subtracted from
 * node locations for error positions (the statement's offset in the caller's text). */
int tw_plan_build(tw_parsetree *tree, size_t i, tw_catalog *cat, size_t pos_base, tw_plan **out,
                  tw_err *err);
/* Action `cmd` alone of the ALTER TABLE that is statement i (ALT_MULTI). */
int tw_plan_build_alter_cmd(tw_parsetree *tree, size_t i, int cmd, tw_catalog *cat, size_t pos_base,
                            tw_plan **out, tw_err *err);
void tw_plan_free(tw_plan *p);
/* Kind of statement i without planning (transaction control needs no catalog). */
int tw_plan_peek_kind(tw_parsetree *tree, size_t i);

#endif
