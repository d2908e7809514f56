/*
 * srf.h — set-returning functions in FROM (generate_series).
 *
 * The analyzer (plan.c, plan_srf) resolves the call and coerces its arguments to the
 * series type; the scan (exec.c) evaluates the arguments once per (re)start and pulls
 * values from here, one per row, into its one-column slice of the combined row.
 */
#ifndef TW_SQL_SRF_H
#define TW_SQL_SRF_H

#include "sql/array.h"
#include "sql/expr.h"

/* Series kinds: integers (int4 / int8), numeric, timestamp[tz] with an interval step. */
enum { TW_SRF_INT, TW_SRF_NUM, TW_SRF_TS };
/* unnest(array): one argument, the array's elements in order (array.h). */
enum { TW_SRF_UNNEST = TW_SRF_TS + 1 };
/* pg_partition_ancestors(rel): no rows (no relation here is a partition) */
enum { TW_SRF_EMPTY = TW_SRF_UNNEST + 1 };

typedef struct tw_srf {
    uint8_t kind;
    int nargs; /* 2 or 3 (start, stop [, step]) */
    tw_expr *args[3];
    uint8_t ordinality; /* WITH ORDINALITY: a second column numbering the rows from 1 */
} tw_srf;

typedef struct tw_srf_state {
    tw_val cur, stop, step;
    int done;
    int64_t ord;  /* rows produced so far (WITH ORDINALITY) */
    tw_arr_it it; /* TW_SRF_UNNEST (the array's bytes stay where the scan keeps them) */
} tw_srf_state;

/* The series type of generate_series over argument types at[0..n): TY_INT4, TY_INT8,
 * TY_NUMERIC, TY_TIMESTAMP or TY_TIMESTAMPTZ (then *kind is set), or TY_UNKNOWN when no
 * overload fits (*ambiguous when PostgreSQL could not choose between several). */
int tw_srf_series_type(const tw_sqltype *at, int n, uint8_t *kind, int *ambiguous);
/* Starts a series from its evaluated arguments (NULL arguments give no rows);
 * 22023 for a zero step. */
int tw_srf_start(const tw_srf *f, const tw_val *args, tw_srf_state *st, tw_err *err);
/* The next value: TWILL_ROW with *out (and out[1], the row number, WITH ORDINALITY),
 * or TWILL_DONE. */
int tw_srf_next(const tw_srf *f, tw_srf_state *st, tw_val *out, tw_err *err);

#endif
