/*
 * constraint.h — CHECK and FOREIGN KEY enforcement (the executor's side).
 *
 * CHECK constraints are stored as SQL text (catalog.h: tw_check) and compiled by the
 * planner into every INSERT / UPDATE plan of their table (tw_plan.checks); the executor
 * evaluates them per written row after NOT NULL (tw_cons_check_row).
 *
 * FOREIGN KEYs are checked at the end of each statement, as PostgreSQL does for a
 * non-deferrable constraint: while a statement writes, each row operation queues the
 * keys to check (tw_fkq_*): a referencing row's key must exist in the referenced table;
 * a referenced key that went away (DELETE, UPDATE of the key) must no longer be
 * referenced — or its referencing rows are deleted / updated by the ON DELETE / ON
 * UPDATE action, which may queue more work. tw_fkq_run then drains the queue after
 * tw_txn_next_command, so it sees everything the statement wrote.
 *
 * Snapshot isolation: a check that finds the referenced row writes it back unchanged
 * (same key, same bytes), so that a concurrent transaction deleting or re-keying that
 * row conflicts with this one at commit (first committer wins, 40001) instead of both
 * committing and leaving an orphan. See docs/sql-internals.md, "Constraints".
 */
#ifndef TW_SQL_CONSTRAINT_H
#define TW_SQL_CONSTRAINT_H

#include "sql/catalog.h"
#include "sql/expr.h"

#define TW_FK_MAX_COLS 32 /* PostgreSQL's INDEX_MAX_KEYS */

/* Evaluates checks[0..n) (compiled over t's row) for one new row: 23514 on a FALSE. */
int tw_cons_check_row(const tw_table *t, int n, tw_expr *const *checks, const char *const *names,
                      tw_evalctx *ctx, tw_err *err);

/* The text between the parentheses of the CHECK that starts at or after text[from]:
 * [*start, *end). Skips quoted identifiers, strings, comments and dollar quotes. */
int tw_cons_check_text(const char *text, size_t len, size_t from, size_t *start, size_t *end);

typedef struct tw_fkq tw_fkq;

/* Queue the foreign-key work of one row operation on table t (*q allocated lazily). */
int tw_fkq_insert(tw_fkq **q, const tw_table *t, const tw_val *row, tw_err *err);
int tw_fkq_update(tw_fkq **q, const tw_table *t, const tw_val *oldrow, const tw_val *newrow,
                  tw_err *err);
int tw_fkq_delete(tw_fkq **q, const tw_table *t, const tw_val *oldrow, tw_err *err);
/* Statement end: runs (and empties) the queue. */
int tw_fkq_run(tw_fkq *q, tw_txn *txn, tw_err *err);
void tw_fkq_reset(tw_fkq *q);
void tw_fkq_free(tw_fkq *q);

/* ALTER TABLE ADD FOREIGN KEY: every existing row of f->table must find its key in
 * f->ref (f resolved by the caller: ref, refcols, refidx, perm). */
int tw_fk_validate(tw_txn *txn, const tw_fkey *f, tw_err *err);
/* ALTER TABLE ADD CHECK: every existing row of t must pass e (23514 otherwise). */
int tw_check_validate(tw_txn *txn, const tw_table *t, const tw_expr *e, const char *name,
                      tw_err *err);
/* ALTER TABLE SET NOT NULL: no existing row may hold NULL in column col (23502). */
int tw_notnull_validate(tw_txn *txn, const tw_table *t, int col, tw_err *err);

/* DROP TABLE tb (with the tables dropping[0..n) in the same statement): 2BP01 while
 * another table's FK references it, unless cascade, which drops those FKs. */
int tw_cons_drop_table(tw_txn *txn, const tw_table *tb, char *const *dropping, int ndropping,
                       int cascade, tw_err *err);
/* ALTER TABLE tb RENAME TO def->name (def already written): the FKs that reference tb
 * follow, its own self-references included. */
int tw_cons_rename_table(tw_txn *txn, const tw_table *tb, const tw_table *def, tw_err *err);
/* TRUNCATE of tb with names[0..n): 0A000 if a table not truncated references it. */
int tw_cons_truncate(const tw_table *tb, char *const *names, int n, tw_err *err);

#endif
