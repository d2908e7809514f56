/*
 * explain.h — EXPLAIN: a plan rendered as PostgreSQL-style text, one line per row of
 * the result column "QUERY PLAN".
 *
 * The tree shows the operators that run (Seq Scan / Index Scan with the key condition
 * that narrows it, Nested Loop, HashAggregate, Sort, Limit, ...) and the predicates they
 * evaluate. There are no cost estimates: the planner is rule-based and has none. With
 * EXPLAIN ANALYZE the statement has run and each node also shows what it did (actual
 * time in ms per loop, rows per loop, loops), from the executor's per-node counters.
 */
#ifndef TW_SQL_EXPLAIN_H
#define TW_SQL_EXPLAIN_H

#include "sql/exec.h"
#include "sql/plan.h"
#include "util/buf.h"

/* Appends the lines of plan p (each ending in '\n') to out. r: the run whose counters
 * EXPLAIN ANALYZE shows (instrumented with tw_run_instrument), or NULL. */
int tw_explain_render(const tw_plan *p, const tw_run *r, tw_buf *out);

#endif
