/*
 * srf.c — generate_series in FROM (see srf.h).
 */
#include "sql/srf.h"

#include "sql/datetime.h"
#include "sql/numeric.h"

int tw_srf_series_type(const tw_sqltype *at, int n, uint8_t *kind, int *ambiguous) {
    *ambiguous = 0;
    if (n < 2 || n > 3) return TY_UNKNOWN;
    int dt = 0, tz = 0, ts = 0, nonnum = 0, numr = 0, i8 = 0, known = 0;
    for (int i = 0; i < n; i++) {
        int t = at[i].ty;
        if (t == TY_UNKNOWN) continue;
        if (i < 2) known++;
        if (i < 2 && ty_is_datetime(t)) {
            dt = 1;
            tz |= t == TY_TIMESTAMPTZ;
            ts |= t == TY_TIMESTAMP;
        } else if (i == 2 && t == TY_INTERVAL) {
            dt = 1;
        } else if (ty_is_int(t) || t == TY_NUMERIC) {
            numr |= t == TY_NUMERIC;
            i8 |= t == TY_INT8;
        } else {
            nonnum = 1;
        }
    }
    if (dt) {
        /* timestamp and timestamptz forms; a date or unknown goes to timestamptz (the
         * preferred type) unless a timestamp argument matches the other exactly */
        for (int i = 0; i < n; i++) {
            int t = at[i].ty;
            if (t == TY_UNKNOWN) continue;
            if (i < 2 ? !ty_is_datetime(t) : t != TY_INTERVAL) return TY_UNKNOWN;
        }
        if (n != 3) return TY_UNKNOWN;
        *kind = TW_SRF_TS;
        return tz || !ts ? TY_TIMESTAMPTZ : TY_TIMESTAMP;
    }
    if (nonnum) return TY_UNKNOWN;
    if (!known && !numr && !i8) { /* generate_series('1', '3'): PostgreSQL cannot choose */
        *ambiguous = 1;
        return TY_UNKNOWN;
    }
    if (numr) {
        *kind = TW_SRF_NUM;
        return TY_NUMERIC;
    }
    *kind = TW_SRF_INT;
    return i8 ? TY_INT8 : TY_INT4;
}

static int zero_step(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "22023", "step size cannot equal zero");
}

int tw_srf_start(const tw_srf *f, const tw_val *args, tw_srf_state *st, tw_err *err) {
    st->done = f->kind == TW_SRF_EMPTY;
    st->ord = 0;
    if (st->done) return TWILL_OK;
    for (int i = 0; i < f->nargs; i++)
        if (args[i].k == VK_NULL) {
            st->done = 1;
            return TWILL_OK;
        }
    if (f->kind == TW_SRF_UNNEST) return tw_array_open(&args[0], &st->it, err);
    st->cur = args[0];
    st->stop = args[1];
    switch (f->kind) {
    case TW_SRF_INT:
        st->step = f->nargs == 3 ? args[2] : (tw_val){.k = VK_INT, .i = 1};
        if (st->step.i == 0) return zero_step(err);
        break;
    case TW_SRF_NUM:
        if (f->nargs == 3) {
            st->step = args[2];
        } else {
            st->step = (tw_val){0};
            tw_num_set(&st->step, tw_num_from_int(1));
        }
        if (tw_num_get(&st->step).c == 0) return zero_step(err);
        break;
    default:
        st->step = args[2];
        if (tw_iv_span(tw_iv_get(&st->step)) == 0) return zero_step(err);
        break;
    }
    return TWILL_OK;
}

static int series_next(const tw_srf *f, tw_srf_state *st, tw_val *out, tw_err *err);

int tw_srf_next(const tw_srf *f, tw_srf_state *st, tw_val *out, tw_err *err) {
    int rc = series_next(f, st, out, err);
    if (rc == TWILL_ROW && f->ordinality) out[1] = (tw_val){.k = VK_INT, .i = ++st->ord};
    return rc;
}

static int series_next(const tw_srf *f, tw_srf_state *st, tw_val *out, tw_err *err) {
    if (st->done) return TWILL_DONE;
    int rc;
    switch (f->kind) {
    case TW_SRF_UNNEST:
        rc = tw_array_next(&st->it, out, err);
        if (rc == TWILL_DONE) st->done = 1;
        return rc;
    case TW_SRF_INT: {
        int64_t cur = st->cur.i, step = st->step.i;
        if (step > 0 ? cur > st->stop.i : cur < st->stop.i) {
            st->done = 1;
            return TWILL_DONE;
        }
        *out = st->cur;
        if (__builtin_add_overflow(cur, step, &st->cur.i)) st->done = 1;
        return TWILL_ROW;
    }
    case TW_SRF_NUM: {
        tw_num cur = tw_num_get(&st->cur), step = tw_num_get(&st->step), next;
        int c = tw_num_cmp(cur, tw_num_get(&st->stop));
        if (step.c > 0 ? c > 0 : c < 0) {
            st->done = 1;
            return TWILL_DONE;
        }
        *out = st->cur;
        if ((rc = tw_num_add(cur, step, &next, err))) return rc;
        tw_num_set(&st->cur, next);
        return TWILL_ROW;
    }
    default: {
        int pos = tw_iv_span(tw_iv_get(&st->step)) > 0;
        int c = tw_dt_cmp(st->cur.i, st->cur.k, st->stop.i, st->stop.k);
        if (pos ? c > 0 : c < 0) {
            st->done = 1;
            return TWILL_DONE;
        }
        *out = st->cur;
        int64_t next;
        if ((rc = tw_ts_add_iv(st->cur.i, tw_iv_get(&st->step), 0, &next, err))) return rc;
        st->cur.i = next;
        return TWILL_ROW;
    }
    }
}
