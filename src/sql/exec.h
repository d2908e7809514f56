/*
 * exec.h — running plans over a transaction.
 *
 * A tw_run is the mutable state of one plan's execution (cursors, buffers, sort and
 * aggregation memory); it is allocated once per prepared statement and reused, so the
 * steady state of a prepared point query allocates nothing. Operators are pull-based
 * iterators; a row returned by tw_run_next is valid until the next call.
 *
 * Storage mapping (docs/sql-internals.md): table rows under the table id keyed by the
 * encoded primary key (or a hidden int64 row id); each index under its own id keyed by
 * the encoded index columns (+ the primary key unless the index is unique and the
 * entry has no NULL), valued by the row's primary key bytes.
 */
#ifndef TW_SQL_EXEC_H
#define TW_SQL_EXEC_H

#include "sql/plan.h"

typedef struct tw_exec_env {
    tw_txn *txn;
    const tw_val *params;
    /* Allocates a hidden row id for a table without a primary key. */
    int (*next_rowid)(void *ud, tw_txn *t, uint64_t table, int64_t *out, tw_err *err);
    void *ud;
    /* Sequence functions (TW_SEQ_FN_*): args already evaluated; cat resolves names. */
    int (*seq)(void *seq_ud, const tw_catalog *cat, int fn, const tw_val *args, int nargs,
               tw_val *out, tw_err *err);
    void *seq_ud;
    /* now(): the transaction's start, microseconds since 2000-01-01 UTC (datetime.h) */
    int64_t now;
} tw_exec_env;

typedef struct tw_run tw_run;

int tw_run_new(const tw_plan *p, tw_run **out, tw_err *err);
void tw_run_free(tw_run *r);
/* Starts an execution (SELECT); stops any previous one. */
int tw_run_start(tw_run *r, const tw_exec_env *env, tw_err *err);
/* TWILL_ROW (*row = the visible columns), TWILL_DONE, or an error. */
int tw_run_next(tw_run *r, const tw_val **row, tw_err *err);
/* Closes cursors and releases per-execution memory; the run can start again. */
void tw_run_stop(tw_run *r);
/* INSERT / UPDATE / DELETE: all the work; *changes = affected rows. */
int tw_run_dml(tw_run *r, const tw_exec_env *env, int64_t *changes, tw_err *err);
/* Rows produced by RETURNING during the last tw_run_dml: row i, or TWILL_DONE. */
int tw_run_returned(tw_run *r, size_t i, const tw_val **row);
/* EXPLAIN ANALYZE: per plan node, what an instrumented run did. A loop is one pass
 * of the node from its (re)start to its end; times are inclusive of the node's
 * children, as PostgreSQL reports them. */
typedef struct tw_node_stats {
    uint64_t rows, loops;
    uint64_t first_ns; /* summed over loops: time until the loop's first row */
    uint64_t total_ns; /* summed over loops */
    int active;        /* inside a loop now */
    int got_row;       /* this loop has produced a row */
} tw_node_stats;
/* Makes r count rows, loops and time per node from now on (costs a clock read per row
 * per node; only EXPLAIN ANALYZE asks for it). */
int tw_run_instrument(tw_run *r, tw_err *err);
/* The counters of node `id` (NULL unless instrumented). */
const tw_node_stats *tw_run_node_stats(const tw_run *r, int id);
/* The key of row's entry in index x (pk: the row's primary key bytes). */
int tw_exec_index_key(const tw_table *t, const tw_index *x, const tw_val *row, const tw_buf *pk,
                      tw_buf *out, int *has_null, tw_err *err);
/* Fills a new index from the table's rows (CREATE INDEX). */
int tw_exec_build_index(tw_txn *t, const tw_table *tab, const tw_index *x, tw_err *err);
/* Adds one row's entry (row key pk) to index x being built; 23505 on a duplicate in a
 * unique index. tmp and key are scratch buffers the caller reuses. */
int tw_exec_index_entry(tw_txn *t, const tw_table *tab, const tw_index *x, const tw_val *row,
                        const tw_buf *pk, tw_buf *key, tw_buf *tmp, tw_err *err);

#endif
