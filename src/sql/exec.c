#include "sql/exec.h"

#include "sql/array.h"
#include "sql/codec.h"
#include "sql/constraint.h"
#include "sql/datetime.h"
#include "sql/json.h"
#include "sql/numeric.h"
#include "sql/pgcatalog.h"
#include "sql/srf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct aggst {
    int64_t count;
    __int128 isum;
    double dsum;
    int is_float, has_int, has_num;
    tw_num nsum; /* numeric inputs of sum / avg */
    tw_val m;    /* min / max */
    /* array_agg / json[b]_agg: the collected elements (gmem), after AGG_LIST_HEAD bytes
     * kept free for the result's header; one byte more at the end */
    uint8_t *lb;
    size_t ll, lc;
    int any_true, any_false; /* bool_and / bool_or */
} aggst;

typedef struct group {
    struct group *next;
    int64_t cnt; /* PN_SETOP: copies left on the right side; -1 once emitted */
    uint64_t hash;
    size_t klen;
    uint8_t *key;
    tw_val *vals; /* group values then aggregate results */
    aggst *st;
} group;

typedef struct nstate nstate;
struct nstate {
    /* SCAN */
    tw_cursor *cur;
    int started, done, point, fetched;
    tw_buf key, hi, val;
    /* JOIN */
    int outer_valid, matched;
    /* AGG with DISTINCT aggregates: the (group, aggregate, value) triples seen */
    struct nstate *dset;
    /* AGG */
    group **buckets;
    size_t nbuckets, ngroups;
    group *glist, *gnext;
    tw_arena gmem;
    int agg_done;
    /* SORT */
    tw_val **rows;
    size_t nrows, caprows, pos;
    /* PROJECT */
    tw_val *out;
    /* LIMIT */
    int64_t limit, offset, seen;
    /* SCAN of a function in FROM */
    tw_srf_state srf;
    /* RECURSIVE: rows filled this round go to rows[]; wrows[] holds the previous round,
     * which the working-table scans read */
    tw_val **wrows;
    size_t nw;
    int phase;
    /* UNIQUE: the last row let through */
    const tw_val *urow;
    /* hash JOIN: rows[] holds the inner rows; chains by hash of their key bytes */
    int hbuilt;
    size_t *hbucket, nhb, *hnext, hcur;
    uint64_t *hhash;
    uint8_t **hkey;
    size_t *hklen;
    uint8_t *hmatched; /* FULL JOIN: inner rows met by some outer row */
};

/* Per-subquery results kept for one execution when the subquery is uncorrelated. */
typedef struct subst {
    int cached;
    tw_val val; /* scalar / EXISTS result */
    tw_buf bytes;
    tw_val *vals; /* IN: the subquery's values */
    size_t nvals, capvals;
    int has_null;
    tw_arena mem;
    tw_val **rows; /* FROM subquery: its materialized rows */
    size_t nrows, caprows;
} subst;

struct tw_run {
    const tw_plan *plan;
    tw_exec_env env;
    /* per slot (0: the statement, k: subquery k-1): combined row, evaluation memory
     * (reset per row), and the enclosing row a correlated subquery reads */
    int nslots;
    tw_val **jrows;
    tw_arena *arenas;
    const tw_val **outers;
    struct subst *sq;
    nstate *st;
    tw_buf b1, b2, b3, b4;
    tw_val *newrow;
    tw_val **ret; /* RETURNING rows of the last DML run */
    size_t nret, capret;
    tw_val *rettmp;
    struct onconf *oc; /* INSERT ... ON CONFLICT state (lazily allocated) */
    tw_fkq *fkq;       /* foreign-key work queued by this statement (constraint.h) */
    tw_node_stats *an; /* EXPLAIN ANALYZE counters per node, or NULL */
};

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

int tw_run_new(const tw_plan *p, tw_run **out, tw_err *err) {
    tw_run *r = calloc(1, sizeof *r);
    if (!r) return nomem(err);
    r->plan = p;
    r->st = calloc((size_t)(p->nnodes ? p->nnodes : 1), sizeof *r->st);
    int width = p->table ? p->table->ncols : 1;
    if (p->dmljoin && p->width > width) width = p->width; /* [new target row | FROM rows] */
    r->newrow = calloc((size_t)(width ? width : 1), sizeof(tw_val));
    int jw = p->width > width ? p->width : width;
    r->nslots = p->nsubs + 1;
    r->jrows = calloc((size_t)r->nslots, sizeof *r->jrows);
    r->arenas = calloc((size_t)r->nslots, sizeof *r->arenas);
    r->outers = calloc((size_t)r->nslots, sizeof *r->outers);
    r->sq = calloc((size_t)r->nslots, sizeof *r->sq);
    int ok = r->jrows && r->arenas && r->outers && r->sq;
    for (int i = 0; ok && i < r->nslots; i++) {
        int w = i ? p->subs[i - 1].width : jw;
        ok = (r->jrows[i] = calloc((size_t)(w ? w : 1), sizeof(tw_val))) != NULL;
    }
    if (!r->st || !r->newrow || !ok) {
        tw_run_free(r);
        return nomem(err);
    }
    *out = r;
    return TWILL_OK;
}

static void stop_node(tw_run *r, const tw_pnode *n) {
    for (; n; n = n->child) {
        nstate *s = &r->st[n->id];
        if (r->an) r->an[n->id].active = 0;
        if (n->inner) stop_node(r, n->inner);
        if (s->dset) {
            free(s->dset->buckets);
            s->dset->buckets = NULL;
            s->dset->nbuckets = s->dset->ngroups = 0;
            s->dset->glist = NULL;
            tw_arena_reset(&s->dset->gmem);
        }
        s->outer_valid = s->matched = 0;
        if (s->cur) tw_cursor_close(s->cur);
        s->cur = NULL;
        s->started = s->done = s->fetched = 0;
        if (s->buckets) free(s->buckets);
        s->buckets = NULL;
        s->nbuckets = s->ngroups = 0;
        s->glist = s->gnext = NULL;
        s->agg_done = 0;
        tw_arena_reset(&s->gmem);
        /* every statement run stops every node: skip the frees of what was never made */
        if (s->rows) {
            for (size_t i = 0; i < s->nrows; i++) free(s->rows[i]);
            free(s->rows);
            s->rows = NULL;
        }
        s->nrows = s->caprows = s->pos = 0;
        s->seen = 0;
        if (s->wrows) {
            for (size_t i = 0; i < s->nw; i++) free(s->wrows[i]);
            free(s->wrows);
            s->wrows = NULL;
        }
        s->nw = 0;
        s->phase = 0;
        if (s->hbucket || s->hkey || s->hnext || s->hhash || s->hklen || s->hmatched) {
            free(s->hbucket);
            free(s->hnext);
            free(s->hhash);
            free(s->hkey);
            free(s->hklen);
            free(s->hmatched);
            s->hmatched = NULL;
            s->hbucket = s->hnext = s->hklen = NULL;
            s->hhash = NULL;
            s->hkey = NULL;
        }
        s->nhb = 0;
        s->hbuilt = 0;
    }
}

static int eval_subq(void *run, const tw_expr *e, const tw_evalctx *c, tw_val *out, tw_err *err);

static void subq_forget(tw_run *r, int slot) {
    subst *ss = &r->sq[slot];
    ss->cached = 0;
    ss->nvals = 0;
    ss->has_null = 0;
    tw_arena_reset(&ss->mem);
    for (size_t i = 0; i < ss->nrows; i++) free(ss->rows[i]);
    ss->nrows = 0;
}

static void subq_free(tw_run *r, int slot) {
    subst *ss = &r->sq[slot];
    tw_buf_free(&ss->bytes);
    free(ss->vals);
    tw_arena_free(&ss->mem);
    for (size_t i = 0; i < ss->nrows; i++) free(ss->rows[i]);
    free(ss->rows);
}

static void free_returned(tw_run *r) {
    for (size_t i = 0; i < r->nret; i++) free(r->ret[i]);
    r->nret = 0;
}

void tw_run_stop(tw_run *r) {
    if (!r) return;
    free_returned(r);
    stop_node(r, r->plan->root);
    stop_node(r, r->plan->scan);
    stop_node(r, r->plan->src);
    for (int i = 0; i < r->plan->nsubs; i++) stop_node(r, r->plan->subs[i].root);
    for (int i = 0; i < r->nslots; i++) {
        tw_arena_reset(&r->arenas[i]);
        subq_forget(r, i);
    }
}

static void onconf_free(struct onconf *oc);

void tw_run_free(tw_run *r) {
    if (!r) return;
    if (r->st) {
        tw_run_stop(r);
        for (int i = 0; i < r->plan->nnodes; i++) {
            nstate *s = &r->st[i];
            tw_buf_free(&s->key);
            tw_buf_free(&s->hi);
            tw_buf_free(&s->val);
            free(s->out);
            tw_arena_free(&s->gmem);
            if (s->dset) {
                tw_arena_free(&s->dset->gmem);
                free(s->dset);
            }
        }
    }
    free(r->st);
    free(r->an);
    free(r->newrow);
    for (int i = 0; r->jrows && i < r->nslots; i++) free(r->jrows[i]);
    for (int i = 0; r->arenas && i < r->nslots; i++) tw_arena_free(&r->arenas[i]);
    for (int i = 0; r->sq && i < r->nslots; i++) subq_free(r, i);
    free(r->jrows);
    free(r->arenas);
    free(r->outers);
    free(r->sq);
    free(r->ret);
    free(r->rettmp);
    onconf_free(r->oc);
    tw_buf_free(&r->b1);
    tw_buf_free(&r->b2);
    tw_buf_free(&r->b3);
    tw_buf_free(&r->b4);
    tw_fkq_free(r->fkq);
    free(r);
}

static tw_evalctx ctx_of(tw_run *r, int slot, const tw_val *row) {
    return (tw_evalctx){.row = row,
                        .params = r->env.params,
                        .arena = &r->arenas[slot],
                        .outer = r->outers[slot],
                        .subq = eval_subq,
                        .run = r,
                        .cat = r->plan->cat};
}

/* ---- keys ---- */

static int key_too_long(const char *what, size_t n, tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "54000",
                      "index row size %zu exceeds maximum %d for index \"%s\"", n, TW_TXN_MAX_KEY,
                      what);
}

static int pk_key(const tw_table *t, const tw_val *row, tw_buf *out, tw_err *err) {
    tw_buf_reset(out);
    for (int i = 0; i < t->npk; i++)
        if (tw_key_put(out, &row[t->pk[i]], t->kinds[t->pk[i]])) return nomem(err);
    if (out->len > TW_TXN_MAX_KEY) {
        char nm[300];
        snprintf(nm, sizeof nm, "%s_pkey", t->name);
        return key_too_long(nm, out->len, err);
    }
    return TWILL_OK;
}

static int idx_key(const tw_table *t, const tw_index *x, const tw_val *row, const tw_buf *pk,
                   tw_buf *out, int *has_null, tw_err *err) {
    tw_buf_reset(out);
    *has_null = 0;
    for (int i = 0; i < x->ncols; i++) {
        const tw_val *v = &row[x->cols[i]];
        if (v->k == VK_NULL) *has_null = 1;
        if (tw_key_put(out, v, t->kinds[x->cols[i]])) return nomem(err);
    }
    /* Unique entries without NULLs are keyed by their values alone, so a point read
     * finds a conflict; the rest carry the primary key to stay distinct. */
    if ((!x->unique || *has_null) && tw_buf_append(out, pk->p, pk->len)) return nomem(err);
    if (out->len > TW_TXN_MAX_KEY) return key_too_long(x->name, out->len, err);
    return TWILL_OK;
}

int tw_exec_index_key(const tw_table *t, const tw_index *x, const tw_val *row, const tw_buf *pk,
                      tw_buf *out, int *has_null, tw_err *err) {
    return idx_key(t, x, row, pk, out, has_null, err);
}

static void describe_key(const tw_table *t, const int *cols, int n, const tw_val *row, char *buf,
                         size_t cap) {
    tw_buf vb = {0};
    size_t o = (size_t)snprintf(buf, cap, "Key (");
    for (int i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", t->cols[cols[i]].name);
    if (o < cap) o += (size_t)snprintf(buf + o, cap - o, ")=(");
    for (int i = 0; i < n && o < cap; i++) {
        tw_buf_reset(&vb);
        const tw_val *v = &row[cols[i]];
        if (v->k == VK_NULL)
            tw_buf_append(&vb, "null", 4);
        else
            tw_val_out(v, t->cols[cols[i]].type.ty == TY_FLOAT4, &vb);
        o += (size_t)snprintf(buf + o, cap - o, "%s%.*s", i ? ", " : "",
                              (int)(vb.len > 100 ? 100 : vb.len), vb.p ? (const char *)vb.p : "");
    }
    if (o < cap) snprintf(buf + o, cap - o, ") already exists.");
    tw_buf_free(&vb);
}

static int dup_error(const tw_table *t, const char *cname, const int *cols, int n,
                     const tw_val *row, tw_err *err) {
    char detail[300];
    describe_key(t, cols, n, row, detail, sizeof detail);
    return tw_err_set(err, TWILL_ERROR, "23505",
                      "duplicate key value violates unique constraint \"%s\" (%s)", cname, detail);
}

/* ---- scans ---- */

/* Converts v to the column's kind for key encoding. Returns 1 if usable, 0 if the
 * access path must fall back to a full scan, -1 if no row can be equal to v. */
static int key_value(tw_val *v, int kind) {
    if (v->k == kind) return 1;
    if (kind == VK_FLOAT && v->k == VK_INT) {
        v->k = VK_FLOAT;
        v->d = (double)v->i;
        return 1;
    }
    if (kind == VK_INT && v->k == VK_FLOAT) {
        if (v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0 && v->d == floor(v->d)) {
            v->k = VK_INT;
            v->i = (int64_t)v->d;
            return 1;
        }
        return isnan(v->d) ? 0 : -1;
    }
    /* datetime keys: a date probes a timestamp key as its midnight; timestamp and
     * timestamptz hold the same numbers (the session time zone is UTC) */
    if ((kind == VK_TS || kind == VK_TSTZ) && vk_is_datetime(v->k)) {
        int64_t t;
        if (tw_dt_convert(v->i, v->k, kind, &t, NULL)) return 0;
        v->k = (uint8_t)kind;
        v->i = t;
        return 1;
    }
    /* numeric keys take integers exactly; a float probe falls back to a scan (its
     * comparison is done in float8) */
    if (kind == VK_NUMERIC && v->k == VK_INT) {
        tw_num_set(v, tw_num_from_int(v->i));
        return 1;
    }
    if (kind == VK_INT && v->k == VK_NUMERIC) {
        tw_num n = tw_num_get(v), r;
        if (tw_num_round(n, 0, 1, &r, NULL) || tw_num_cmp(n, r) || r.c > INT64_MAX ||
            r.c < INT64_MIN)
            return -1;
        v->k = VK_INT;
        v->i = (int64_t)r.c;
        return 1;
    }
    return 0;
}

static int scan_start(tw_run *r, const tw_pnode *n, nstate *s, tw_err *err) {
    const tw_table *t = n->table;
    const tw_access *a = &n->acc;
    int rc;
    s->started = 1;
    s->done = 0;
    s->point = 0;
    s->fetched = 0;
    tw_buf_reset(&s->key);
    tw_buf_reset(&s->hi);
    int full = a->kind == ACC_FULL;
    const uint8_t *kinds = t->kinds;
    tw_evalctx c =
        ctx_of(r, n->slot, r->jrows[n->slot]); /* key values may read earlier tables' columns */
    for (int i = 0; !full && i < a->neq; i++) {
        tw_val v;
        if ((rc = tw_eval(a->eq[i], &c, &v, err))) return rc;
        if (v.k == VK_NULL) {
            s->done = 1;
            return TWILL_OK;
        }
        int u = key_value(&v, kinds[a->cols[i]]);
        if (u < 0) {
            s->done = 1;
            return TWILL_OK;
        }
        if (u == 0)
            full = 1;
        else if (tw_key_put(&s->key, &v, kinds[a->cols[i]]))
            return nomem(err);
    }
    if (!full && a->kind == ACC_PK_POINT) {
        s->point = 1;
        return TWILL_OK;
    }
    uint64_t table = a->kind == ACC_INDEX && !full ? a->idx->id : t->id;
    if (full) {
        tw_buf_reset(&s->key);
        table = t->id;
    } else {
        if (tw_buf_append(&s->hi, s->key.p, s->key.len)) return nomem(err);
        tw_val v;
        if (a->hi) {
            if ((rc = tw_eval(a->hi, &c, &v, err))) return rc;
            if (v.k == VK_NULL) {
                s->done = 1;
                return TWILL_OK;
            }
            if (key_value(&v, kinds[a->cols[a->neq]]) == 1 &&
                tw_key_put(&s->hi, &v, kinds[a->cols[a->neq]]))
                return nomem(err);
        }
        if (a->lo) {
            if ((rc = tw_eval(a->lo, &c, &v, err))) return rc;
            if (v.k == VK_NULL) {
                s->done = 1;
                return TWILL_OK;
            }
            if (key_value(&v, kinds[a->cols[a->neq]]) == 1 &&
                tw_key_put(&s->key, &v, kinds[a->cols[a->neq]]))
                return nomem(err);
        }
    }
    if (s->key.len > TW_TXN_MAX_KEY) {
        s->done = 1; /* longer than any stored key: nothing can match */
        return TWILL_OK;
    }
    s->fetched = full ? 2 : 1; /* 2: plain table scan, 1: bounded */
    if (a->kind == ACC_INDEX && !full) s->fetched = 3;
    if ((rc = tw_cursor_open(r->env.txn, table, &s->cur, err))) return rc;
    return tw_cursor_seek(s->cur, s->key.p ? s->key.p : (const uint8_t *)"", s->key.len, err);
}

/* The primary key bytes of the scan's current row (for UPDATE / DELETE). */
typedef struct curkey {
    const void *p;
    size_t n;
} curkey;

static tw_val *row_copy(const tw_val *row, int n);

/* Appends a copy of row[0..ncols) to a growable array of row copies. */
static int rows_push(tw_val ***rows, size_t *n, size_t *cap, const tw_val *row, int ncols,
                     tw_err *err) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        tw_val **nr = realloc(*rows, nc * sizeof *nr);
        if (!nr) return nomem(err);
        *rows = nr;
        *cap = nc;
    }
    if (!((*rows)[*n] = row_copy(row, ncols))) return nomem(err);
    (*n)++;
    return TWILL_OK;
}
static int node_next(tw_run *r, const tw_pnode *n, const tw_val **row, tw_err *err);

/* A scan over rows already in memory (a subquery's, a catalog relation's, a recursive
 * query's working table): each is laid into the scan's slice of the combined row and
 * the scan's filter applied. */
static int rows_next(tw_run *r, const tw_pnode *n, tw_val *const *rows, size_t nrows, size_t *pos,
                     int ncols, const tw_val **row, tw_err *err) {
    tw_val *jrow = r->jrows[n->slot];
    while (*pos < nrows) {
        memcpy(jrow + n->coloff, rows[(*pos)++], sizeof(tw_val) * (size_t)ncols);
        if (n->filter) {
            int ok, rc;
            tw_evalctx c = ctx_of(r, n->slot, jrow);
            if ((rc = tw_eval_pred(n->filter, &c, &ok, err))) return rc;
            if (!ok) continue;
        }
        *row = jrow;
        return TWILL_ROW;
    }
    return TWILL_DONE;
}

/* A subquery in FROM: materialize its rows once per execution, then replay them into
 * this table's slice of the combined row (rescans of a join's inner side are cheap). */
static int derived_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row, tw_err *err) {
    const tw_subq *q = &r->plan->subs[n->from_sub - 1];
    subst *ss = &r->sq[q->slot];
    int rc;
    if (q->correlated && !s->started) { /* LATERAL: again for each row before it */
        subq_forget(r, q->slot);
        r->outers[q->slot] = r->jrows[n->slot];
        s->started = 1;
    }
    if (!ss->cached) {
        const tw_val *in;
        stop_node(r, q->root);
        for (;;) {
            rc = node_next(r, q->root, &in, err);
            if (rc == TWILL_DONE) break;
            if (rc != TWILL_ROW) return rc;
            if ((rc = rows_push(&ss->rows, &ss->nrows, &ss->caprows, in, q->ncols, err))) return rc;
            tw_arena_reset(&r->arenas[q->slot]);
        }
        stop_node(r, q->root);
        ss->cached = 1;
    }
    return rows_next(r, n, ss->rows, ss->nrows, &s->pos, q->ncols, row, err);
}

/* A system catalog relation (pgcatalog.h): its rows are computed from the plan's catalog
 * snapshot when the scan starts, kept in the node's row array until it stops. */
static int vrel_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row, tw_err *err) {
    int rc;
    if (!s->started) {
        tw_val **rows;
        size_t nrows;
        if ((rc = tw_pgcat_rows(r->plan->cat, n->vrel, &rows, &nrows, err))) return rc;
        s->rows = rows;
        s->nrows = s->caprows = nrows;
        s->pos = 0;
        s->started = 1;
    }
    return rows_next(r, n, s->rows, s->nrows, &s->pos, n->table->ncols, row, err);
}

/* A function in FROM: its arguments evaluated at (re)start, then one value per row. */
static int srf_scan_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row, tw_err *err) {
    tw_val *jrow = r->jrows[n->slot];
    tw_evalctx c = ctx_of(r, n->slot, jrow);
    int rc;
    if (!s->started) {
        tw_val args[3];
        for (int i = 0; i < n->srf->nargs; i++)
            if ((rc = tw_eval(n->srf->args[i], &c, &args[i], err))) return rc;
        if (n->srf->kind == TW_SRF_UNNEST && args[0].k == VK_ARRAY) {
            /* the elements borrow the array's bytes: keep them for the scan */
            if (tw_buf_set(&s->val, args[0].s, args[0].n)) return nomem(err);
            args[0].s = (const char *)s->val.p;
        }
        if ((rc = tw_srf_start(n->srf, args, &s->srf, err))) return rc;
        s->started = 1;
    }
    for (;;) {
        rc = tw_srf_next(n->srf, &s->srf, &jrow[n->coloff], err);
        if (rc != TWILL_ROW) return rc;
        if (n->filter) {
            int ok;
            if ((rc = tw_eval_pred(n->filter, &c, &ok, err))) return rc;
            if (!ok) continue;
        }
        *row = jrow;
        return TWILL_ROW;
    }
}

static int scan_next(tw_run *r, const tw_pnode *n, curkey *ck, const tw_val **row, tw_err *err) {
    nstate *s = &r->st[n->id];
    const tw_table *t = n->table;
    int rc;
    if (n->srf) return srf_scan_next(r, n, s, row, err);
    if (n->from_sub) return derived_next(r, n, s, row, err);
    if (n->vrel) return vrel_next(r, n, s, row, err);
    if (!s->started && (rc = scan_start(r, n, s, err))) return rc;
    for (;;) {
        if (s->done) return TWILL_DONE;
        const void *data;
        size_t dlen;
        if (s->point) {
            int found;
            s->done = 1;
            if ((rc = tw_txn_get(r->env.txn, t->id, s->key.p, s->key.len, TW_READ_SNAPSHOT, &s->val,
                                 &found, err)))
                return rc;
            if (!found) return TWILL_DONE;
            data = s->val.p;
            dlen = s->val.len;
            if (ck) ck->p = s->key.p, ck->n = s->key.len;
        } else {
            if (!tw_cursor_valid(s->cur)) {
                s->done = 1;
                return TWILL_DONE;
            }
            size_t klen;
            const uint8_t *k = tw_cursor_key(s->cur, &klen);
            if (s->fetched != 2) {
                size_t m = klen < s->hi.len ? klen : s->hi.len;
                if (m && memcmp(k, s->hi.p, m) > 0) {
                    s->done = 1;
                    return TWILL_DONE;
                }
            }
            if (s->fetched == 3) {
                /* index entry: value = primary key of the row */
                size_t pl;
                const void *pk = tw_cursor_value(s->cur, &pl);
                if (tw_buf_set(&r->b4, pk, pl)) return nomem(err);
                int found;
                if ((rc = tw_cursor_next(s->cur, err))) return rc;
                if ((rc = tw_txn_get(r->env.txn, t->id, r->b4.p, r->b4.len, TW_READ_SNAPSHOT,
                                     &s->val, &found, err)))
                    return rc;
                if (!found) continue;
                data = s->val.p;
                dlen = s->val.len;
                if (ck) ck->p = r->b4.p, ck->n = r->b4.len;
            } else {
                data = tw_cursor_value(s->cur, &dlen);
                if (ck) {
                    /* copy: the cursor moves on before the caller writes */
                    if (tw_buf_set(&r->b4, k, klen)) return nomem(err);
                    ck->p = r->b4.p, ck->n = r->b4.len;
                }
                if (tw_buf_set(&s->val, data, dlen)) return nomem(err);
                data = s->val.p;
                if ((rc = tw_cursor_next(s->cur, err))) return rc;
            }
        }
        if ((rc =
                 tw_row_decode(data, dlen, r->jrows[n->slot] + n->coloff, t->kinds, t->ncols, err)))
            return rc;
        if (n->filter) {
            int ok;
            tw_evalctx c = ctx_of(r, n->slot, r->jrows[n->slot]);
            if ((rc = tw_eval_pred(n->filter, &c, &ok, err))) return rc;
            if (!ok) continue;
        }
        *row = r->jrows[n->slot];
        return TWILL_ROW;
    }
}

/* ---- aggregation ---- */

static int copy_val(tw_arena *a, tw_val *dst, const tw_val *src) {
    *dst = *src;
    if (vk_has_bytes(src->k)) {
        char *p = tw_arena_strndup(a, src->s ? src->s : "", src->n);
        if (!p) return TWILL_NOMEM;
        dst->s = p;
    }
    return TWILL_OK;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int node_next(tw_run *r, const tw_pnode *n, const tw_val **row, tw_err *err);

#define AGG_LIST_HEAD 12 /* an array's header (array.h): u8 type + varint count */

/* Appends n bytes to the aggregate's list buffer (in the group's memory). */
static int list_put(aggst *a, const void *p, size_t n, tw_arena *mem, tw_err *err) {
    if (!a->lb || a->ll + n + 1 > a->lc) {
        size_t nc = a->lc ? a->lc * 2 : 64;
        while (nc < a->ll + n + 1) nc *= 2;
        uint8_t *nb = tw_arena_alloc(mem, AGG_LIST_HEAD + nc);
        if (!nb) return nomem(err);
        if (a->ll) memcpy(nb + AGG_LIST_HEAD, a->lb + AGG_LIST_HEAD, a->ll);
        a->lb = nb;
        a->lc = nc;
    }
    if (n) memcpy(a->lb + AGG_LIST_HEAD + a->ll, p, n);
    a->ll += n;
    return TWILL_OK;
}

/* string_agg(v, delim): NULL values are skipped; each value after the first is preceded
 * by its own row's delimiter (none when that is NULL). */
static int string_accum(aggst *a, const tw_val *v, const tw_val *delim, tw_arena *mem,
                        tw_err *err) {
    if (v->k == VK_NULL) return TWILL_OK;
    int rc = TWILL_OK;
    if (a->count && delim->k != VK_NULL) rc = list_put(a, delim->s, delim->n, mem, err);
    if (!rc) rc = list_put(a, v->s, v->n, mem, err);
    if (!rc) a->count++;
    return rc;
}

/* array_agg / json_agg / jsonb_agg: appends one element (NULLs too). */
static int list_accum(const tw_aggdef *d, aggst *a, const tw_val *v, tw_arena *mem, tw_err *err) {
    tw_buf t = {0};
    int rc = a->count && d->fn != AG_ARRAY_AGG ? tw_buf_append(&t, ", ", 2) : TWILL_OK;
    if (!rc && d->fn == AG_ARRAY_AGG)
        rc = tw_array_elem_put(&t, v, d->type.mod);
    else if (!rc && d->fn == AG_JSONB_AGG && v->k != VK_NULL) {
        tw_buf j = {0};
        tw_arena tmp = {0};
        tw_val nv;
        rc = tw_json_of_value(v, &j);
        if (!rc && !(rc = tw_jsonb_from_text((const char *)j.p, j.len, &tmp, &nv, err)))
            rc = tw_buf_append(&t, nv.s, nv.n);
        tw_buf_free(&j);
        tw_arena_free(&tmp);
    } else if (!rc)
        rc = tw_json_of_value(v, &t);
    if (rc) {
        tw_buf_free(&t);
        return rc == TWILL_NOMEM ? nomem(err) : rc;
    }
    rc = list_put(a, t.p, t.len, mem, err);
    if (!rc) a->count++;
    tw_buf_free(&t);
    return rc;
}

/* The collected list as an array / json / jsonb value (in the group's memory). */
static void list_result(const tw_aggdef *d, const aggst *a, tw_val *out) {
    uint8_t *body = a->lb + AGG_LIST_HEAD;
    if (d->fn != AG_ARRAY_AGG) {
        body[-1] = '[';
        body[a->ll] = ']';
        *out = (tw_val){.k = d->fn == AG_JSON_AGG ? VK_JSON : VK_JSONB,
                        .s = (const char *)body - 1,
                        .n = a->ll + 2};
        return;
    }
    uint8_t h[AGG_LIST_HEAD];
    size_t hn = 0;
    h[hn++] = (uint8_t)d->type.mod;
    for (uint64_t c = (uint64_t)a->count;; c >>= 7) {
        h[hn++] = (uint8_t)((c & 0x7F) | (c >= 0x80 ? 0x80 : 0));
        if (c < 0x80) break;
    }
    memcpy(body - hn, h, hn);
    *out = (tw_val){.k = VK_ARRAY, .s = (const char *)body - hn, .n = a->ll + hn};
}

static int agg_accum(const tw_aggdef *d, aggst *a, const tw_val *v, tw_arena *mem, tw_err *err) {
    if (d->fn == AG_COUNT_STAR) {
        a->count++;
        return TWILL_OK;
    }
    if (d->fn >= AG_ARRAY_AGG) return list_accum(d, a, v, mem, err);
    if (v->k == VK_NULL) return TWILL_OK;
    a->count++;
    switch (d->fn) {
    case AG_BOOL_AND:
    case AG_BOOL_OR:
        if (v->i)
            a->any_true = 1;
        else
            a->any_false = 1;
        return TWILL_OK;
    case AG_SUM:
    case AG_AVG:
        if (v->k == VK_INT) {
            a->isum += v->i;
            a->has_int = 1;
        } else if (v->k == VK_FLOAT) {
            /* start from the first value, as PostgreSQL does (a lone -0 stays -0) */
            a->dsum = a->is_float ? a->dsum + v->d : v->d;
            a->is_float = 1;
        } else if (v->k == VK_NUMERIC) {
            tw_num x = tw_num_get(v);
            if (a->has_num) {
                int rc = tw_num_add(a->nsum, x, &a->nsum, err);
                if (rc) return rc;
            } else {
                a->nsum = x;
            }
            a->has_num = 1;
        } else
            return tw_err_set(err, TWILL_ERROR, "42883", "sum/avg of a non-numeric value");
        return TWILL_OK;
    case AG_MIN:
    case AG_MAX: {
        if (a->count > 1) {
            int c;
            int rc = tw_val_cmp(v, &a->m, &c, err);
            if (rc) return rc;
            if ((d->fn == AG_MIN) ? c >= 0 : c <= 0) return TWILL_OK;
        }
        return copy_val(mem, &a->m, v) ? nomem(err) : TWILL_OK;
    }
    }
    return TWILL_OK;
}

/* The exact total of a sum / avg over integers and numerics. */
static int num_total(const aggst *a, tw_num *out, tw_err *err) {
    tw_num t = {0, 0};
    if (a->has_int) {
        /* the 128-bit integer sum is exact; numeric holds it up to 38 digits */
        tw_num i = {a->isum, 0};
        if (tw_num_add(t, i, &t, err)) return TWILL_ERROR;
    }
    if (a->has_num && tw_num_add(t, a->nsum, &t, err)) return TWILL_ERROR;
    *out = t;
    return TWILL_OK;
}

static int agg_result(const tw_aggdef *d, const aggst *a, tw_val *out, tw_err *err) {
    if (!a->count && d->fn != AG_COUNT_STAR && d->fn != AG_COUNT) { /* no (non-NULL) input */
        out->k = VK_NULL;
        return TWILL_OK;
    }
    switch (d->fn) {
    case AG_BOOL_AND:
    case AG_BOOL_OR:
        *out = (tw_val){.k = VK_BOOL, .i = d->fn == AG_BOOL_AND ? !a->any_false : a->any_true};
        return TWILL_OK;
    case AG_STRING_AGG:
        *out = (tw_val){.k = d->type.ty == TY_BYTEA ? VK_BYTEA : VK_TEXT,
                        .s = (const char *)a->lb + AGG_LIST_HEAD,
                        .n = a->ll};
        return TWILL_OK;
    case AG_ARRAY_AGG:
    case AG_JSON_AGG:
    case AG_JSONB_AGG:
        list_result(d, a, out);
        return TWILL_OK;
    case AG_COUNT_STAR:
    case AG_COUNT:
        out->k = VK_INT, out->i = a->count;
        return TWILL_OK;
    case AG_MIN:
    case AG_MAX:
        *out = a->m;
        return TWILL_OK;
    case AG_SUM:
        if (d->type.ty == TY_INT8) {
            if (a->isum > INT64_MAX || a->isum < INT64_MIN)
                return tw_err_set(err, TWILL_ERROR, "22003", "bigint out of range");
            out->k = VK_INT;
            out->i = (int64_t)a->isum;
        } else if (d->type.ty == TY_NUMERIC) {
            tw_num r;
            int rc = num_total(a, &r, err);
            if (rc) return rc;
            tw_num_set(out, r);
        } else {
            out->k = VK_FLOAT;
            out->d = a->has_int ? a->dsum + (double)a->isum : a->dsum;
        }
        return TWILL_OK;
    case AG_AVG:
        if (d->type.ty == TY_NUMERIC) {
            /* PostgreSQL divides the numeric sum by the count (its division scale) */
            tw_num r;
            int rc = num_total(a, &r, err);
            if (!rc) rc = tw_num_div(r, tw_num_from_int(a->count), &r, err);
            if (rc) return rc;
            tw_num_set(out, r);
        } else
            out->k = VK_FLOAT, out->d = (a->dsum + (double)a->isum) / (double)a->count;
        return TWILL_OK;
    }
    return TWILL_OK;
}

static group *new_group(nstate *s, const tw_pnode *n, const uint8_t *key, size_t klen, uint64_t h,
                        const tw_val *gv) {
    group *g = tw_arena_zalloc(&s->gmem, sizeof *g);
    if (!g) return NULL;
    g->hash = h;
    g->klen = klen;
    g->key = tw_arena_alloc(&s->gmem, klen ? klen : 1);
    g->vals = tw_arena_zalloc(&s->gmem, sizeof(tw_val) * (size_t)(n->ncols ? n->ncols : 1));
    g->st = tw_arena_zalloc(&s->gmem, sizeof(aggst) * (size_t)(n->naggs ? n->naggs : 1));
    if (!g->key || !g->vals || !g->st) return NULL;
    if (klen) memcpy(g->key, key, klen);
    for (int i = 0; i < n->ngroup; i++)
        if (copy_val(&s->gmem, &g->vals[i], &gv[i])) return NULL;
    g->next = s->glist;
    s->glist = g;
    return g;
}

static group *ht_find(nstate *s, const tw_buf *k, uint64_t h, size_t *slot);
static group *ht_add(nstate *s, const tw_buf *k, uint64_t h);

static int agg_fill(tw_run *r, const tw_pnode *n, nstate *s, tw_err *err) {
    int rc;
    tw_val gv[64];
    tw_val *gvals = n->ngroup <= 64 ? gv : calloc((size_t)n->ngroup, sizeof(tw_val));
    if (!gvals) return nomem(err);
    group *single = NULL;
    if (n->ngroup == 0 && !(single = new_group(s, n, NULL, 0, 0, NULL))) {
        rc = nomem(err);
        goto out;
    }
    for (;;) {
        const tw_val *row;
        rc = node_next(r, n->child, &row, err);
        if (rc == TWILL_DONE) break;
        if (rc != TWILL_ROW) goto out;
        tw_evalctx c = ctx_of(r, n->slot, row);
        group *g = single;
        if (!g) {
            tw_buf_reset(&r->b1);
            for (int i = 0; i < n->ngroup; i++) {
                if ((rc = tw_eval(n->group[i], &c, &gvals[i], err))) goto out;
                if (tw_buf_put_u8(&r->b1, gvals[i].k) ||
                    tw_key_put(&r->b1, &gvals[i], gvals[i].k)) {
                    rc = nomem(err);
                    goto out;
                }
            }
            uint64_t h = hash_bytes(r->b1.p, r->b1.len);
            if ((s->ngroups + 1) * 2 > s->nbuckets) {
                size_t nb = s->nbuckets ? s->nbuckets * 2 : 64;
                group **bk = calloc(nb, sizeof *bk);
                if (!bk) {
                    rc = nomem(err);
                    goto out;
                }
                for (group *x = s->glist; x; x = x->next) {
                    size_t b = x->hash & (nb - 1);
                    while (bk[b]) b = (b + 1) & (nb - 1);
                    bk[b] = x;
                }
                free(s->buckets);
                s->buckets = bk;
                s->nbuckets = nb;
            }
            /* Linear probing over an array of group pointers. */
            size_t b = h & (s->nbuckets - 1);
            while (s->buckets[b] &&
                   !(s->buckets[b]->hash == h && s->buckets[b]->klen == r->b1.len &&
                     !memcmp(s->buckets[b]->key, r->b1.p, r->b1.len)))
                b = (b + 1) & (s->nbuckets - 1);
            g = s->buckets[b];
            if (!g) {
                if (!(g = new_group(s, n, r->b1.p, r->b1.len, h, gvals))) {
                    rc = nomem(err);
                    goto out;
                }
                s->buckets[b] = g;
                s->ngroups++;
            }
        }
        for (int i = 0; i < n->naggs; i++) {
            tw_val v = {0};
            if (n->aggs[i].arg && (rc = tw_eval(n->aggs[i].arg, &c, &v, err))) goto out;
            if (n->aggs[i].distinct && v.k != VK_NULL) {
                /* key: this group's identity, the aggregate, the value */
                if (!s->dset && !(s->dset = calloc(1, sizeof *s->dset))) {
                    rc = nomem(err);
                    goto out;
                }
                uintptr_t gid = (uintptr_t)g;
                tw_buf_reset(&r->b2);
                if (tw_buf_append(&r->b2, &gid, sizeof gid) ||
                    tw_buf_put_varint(&r->b2, (uint64_t)i) || tw_buf_put_u8(&r->b2, v.k) ||
                    tw_key_put(&r->b2, &v, v.k)) {
                    rc = nomem(err);
                    goto out;
                }
                uint64_t dh = hash_bytes(r->b2.p, r->b2.len);
                size_t slot;
                if (s->dset->nbuckets && ht_find(s->dset, &r->b2, dh, &slot)) continue;
                if (!ht_add(s->dset, &r->b2, dh)) {
                    rc = nomem(err);
                    goto out;
                }
            }
            if (n->aggs[i].fn == AG_STRING_AGG) {
                tw_val dv = {0};
                if ((rc = tw_eval(n->aggs[i].arg2, &c, &dv, err)) ||
                    (rc = string_accum(&g->st[i], &v, &dv, &s->gmem, err)))
                    goto out;
            } else if ((rc = agg_accum(&n->aggs[i], &g->st[i], &v, &s->gmem, err))) {
                goto out;
            }
        }
        tw_arena_reset(&r->arenas[n->slot]);
    }
    for (group *g = s->glist; g; g = g->next)
        for (int i = 0; i < n->naggs; i++)
            if ((rc = agg_result(&n->aggs[i], &g->st[i], &g->vals[n->ngroup + i], err))) goto out;
    s->gnext = s->glist;
    s->agg_done = 1;
    rc = TWILL_OK;
out:
    if (gvals != gv) free(gvals);
    return rc;
}

/* ---- sort ---- */

static int cmp_rows(const void *pa, const void *pb, void *arg) {
    const tw_pnode *n = arg;
    const tw_val *a = *(tw_val *const *)pa, *b = *(tw_val *const *)pb;
    for (int i = 0; i < n->nkeys; i++) {
        const tw_sortkey *k = &n->keys[i];
        const tw_val *x = &a[k->col], *y = &b[k->col];
        int c;
        if (x->k == VK_NULL || y->k == VK_NULL) {
            if (x->k == y->k) continue;
            return (x->k == VK_NULL) == (k->nulls_first != 0) ? -1 : 1;
        }
        if (tw_val_cmp(x, y, &c, NULL) != TWILL_OK) c = x->k < y->k ? -1 : x->k > y->k;
        if (k->desc) c = -c;
        if (c) return c;
    }
    return 0;
}

static int limit_value(tw_run *r, int slot, const tw_expr *e, int64_t dflt, const char *what,
                       int64_t *out, tw_err *err) {
    *out = dflt;
    if (!e) return TWILL_OK;
    tw_val v;
    tw_evalctx c = ctx_of(r, slot, NULL);
    int rc = tw_eval(e, &c, &v, err);
    if (rc) return rc;
    if (v.k == VK_NULL) return TWILL_OK;
    if (v.k == VK_FLOAT) v.k = VK_INT, v.i = (int64_t)llrint(v.d);
    /* LIMIT 1.5 rounds, as PostgreSQL's cast of numeric to bigint does */
    if (v.k == VK_NUMERIC && (rc = tw_num_to_int(tw_num_get(&v), TY_INT8, &v.i, err))) return rc;
    if (v.k == VK_NUMERIC) v.k = VK_INT;
    if (v.k != VK_INT) return tw_err_set(err, TWILL_ERROR, "22P02", "invalid value for %s", what);
    if (v.i < 0)
        return tw_err_set(err, TWILL_ERROR, what[0] == 'L' ? "2201W" : "2201X",
                          "%s must not be negative", what);
    *out = v.i;
    return TWILL_OK;
}

/* One malloc per sorted row (values then their bytes), so top-N can evict rows. */
static tw_val *row_copy(const tw_val *row, int n) {
    size_t extra = 0;
    for (int i = 0; i < n; i++)
        if (vk_has_bytes(row[i].k)) extra += row[i].n;
    tw_val *c = malloc(sizeof(tw_val) * (size_t)(n ? n : 1) + extra + 1);
    if (!c) return NULL;
    char *p = (char *)(c + (n ? n : 1));
    for (int i = 0; i < n; i++) {
        c[i] = row[i];
        if (vk_has_bytes(row[i].k)) {
            if (row[i].n) memcpy(p, row[i].s, row[i].n);
            c[i].s = p;
            p += row[i].n;
        }
    }
    return c;
}

static void heap_down(tw_val **h, size_t n, size_t i, const tw_pnode *node) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && cmp_rows(&h[l], &h[m], (void *)node) > 0) m = l;
        if (r < n && cmp_rows(&h[r], &h[m], (void *)node) > 0) m = r;
        if (m == i) return;
        tw_val *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(tw_val **h, size_t i, const tw_pnode *node) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (cmp_rows(&h[i], &h[p], (void *)node) <= 0) return;
        tw_val *t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int sort_fill(tw_run *r, const tw_pnode *n, nstate *s, tw_err *err) {
    int rc;
    /* With LIMIT, keep only the best limit+offset rows in a max-heap (top-N). */
    int64_t cap = -1;
    if (n->limit) {
        int64_t lim, off;
        if ((rc = limit_value(r, n->slot, n->limit, INT64_MAX, "LIMIT", &lim, err)) ||
            (rc = limit_value(r, n->slot, n->offset, 0, "OFFSET", &off, err)))
            return rc;
        if (lim != INT64_MAX) cap = lim > INT64_MAX - off ? INT64_MAX : lim + off;
    }
    s->started = 1;
    if (cap == 0) return TWILL_OK;
    for (;;) {
        const tw_val *row;
        rc = node_next(r, n->child, &row, err);
        if (rc == TWILL_DONE) break;
        if (rc != TWILL_ROW) return rc;
        if (cap > 0 && s->nrows == (size_t)cap) {
            if (cmp_rows(&row, &s->rows[0], (void *)n) >= 0) {
                tw_arena_reset(&r->arenas[n->slot]);
                continue;
            }
            tw_val *copy = row_copy(row, n->ncols);
            if (!copy) return nomem(err);
            free(s->rows[0]);
            s->rows[0] = copy;
            heap_down(s->rows, s->nrows, 0, n);
            tw_arena_reset(&r->arenas[n->slot]);
            continue;
        }
        if ((rc = rows_push(&s->rows, &s->nrows, &s->caprows, row, n->ncols, err))) return rc;
        if (cap > 0) heap_up(s->rows, s->nrows - 1, n);
        tw_arena_reset(&r->arenas[n->slot]);
    }
    if (s->nrows > 1) qsort_r(s->rows, s->nrows, sizeof *s->rows, cmp_rows, (void *)n);
    return TWILL_OK;
}

/* ---- INTERSECT / EXCEPT ---- */

static int row_key(const tw_val *row, int n, tw_buf *b) {
    tw_buf_reset(b);
    for (int i = 0; i < n; i++)
        if (tw_buf_put_u8(b, row[i].k) || tw_key_put(b, &row[i], row[i].k)) return TWILL_NOMEM;
    return TWILL_OK;
}

static group *ht_find(nstate *s, const tw_buf *k, uint64_t h, size_t *slot) {
    size_t b = h & (s->nbuckets - 1);
    while (s->buckets[b]) {
        group *g = s->buckets[b];
        if (g->hash == h && g->klen == k->len && !memcmp(g->key, k->p, k->len)) break;
        b = (b + 1) & (s->nbuckets - 1);
    }
    *slot = b;
    return s->buckets[b];
}

static group *ht_add(nstate *s, const tw_buf *k, uint64_t h) {
    if ((s->ngroups + 1) * 2 > s->nbuckets) {
        size_t nb = s->nbuckets ? s->nbuckets * 2 : 64;
        group **bk = calloc(nb, sizeof *bk);
        if (!bk) return NULL;
        for (group *x = s->glist; x; x = x->next) {
            size_t b = x->hash & (nb - 1);
            while (bk[b]) b = (b + 1) & (nb - 1);
            bk[b] = x;
        }
        free(s->buckets);
        s->buckets = bk;
        s->nbuckets = nb;
    }
    size_t slot;
    if (ht_find(s, k, h, &slot)) return NULL;
    group *g = tw_arena_zalloc(&s->gmem, sizeof *g);
    if (!g || !(g->key = tw_arena_alloc(&s->gmem, k->len ? k->len : 1))) return NULL;
    memcpy(g->key, k->p, k->len);
    g->klen = k->len;
    g->hash = h;
    g->next = s->glist;
    s->glist = g;
    s->buckets[slot] = g;
    s->ngroups++;
    return g;
}

static int setop_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row, tw_err *err) {
    int rc;
    if (!s->agg_done) { /* count the right side's rows */
        for (;;) {
            const tw_val *in;
            rc = node_next(r, n->inner, &in, err);
            if (rc == TWILL_DONE) break;
            if (rc != TWILL_ROW) return rc;
            if (row_key(in, n->ncols, &r->b1)) return nomem(err);
            uint64_t h = hash_bytes(r->b1.p, r->b1.len);
            size_t slot;
            group *g = s->nbuckets ? ht_find(s, &r->b1, h, &slot) : NULL;
            if (!g && !(g = ht_add(s, &r->b1, h))) return nomem(err);
            g->cnt++;
            tw_arena_reset(&r->arenas[n->slot]);
        }
        s->agg_done = 1;
    }
    int except = n->setop & SETOP_EXCEPT, all = n->setop & SETOP_ALL;
    for (;;) {
        rc = node_next(r, n->child, row, err);
        if (rc != TWILL_ROW) return rc;
        if (row_key(*row, n->ncols, &r->b1)) return nomem(err);
        uint64_t h = hash_bytes(r->b1.p, r->b1.len);
        size_t slot;
        group *g = s->nbuckets ? ht_find(s, &r->b1, h, &slot) : NULL;
        if (!except) {
            if (!g || g->cnt <= 0) continue;
            g->cnt = all ? g->cnt - 1 : -1;
            return TWILL_ROW;
        }
        if (g && g->cnt > 0) {
            if (all) g->cnt--;
            continue;
        }
        if (g && g->cnt < 0) continue; /* already emitted (EXCEPT without ALL) */
        if (!all) {
            if (!g && !(g = ht_add(s, &r->b1, h))) return nomem(err);
            g->cnt = -1;
        }
        return TWILL_ROW;
    }
}

static int node_next_raw(tw_run *r, const tw_pnode *n, const tw_val **row, tw_err *err);

/* ---- hash join ---- */

#define NO_ROW SIZE_MAX

/* The key bytes of exprs keys[0..n) over row; *null when one is NULL (never equal). */
static int hash_key(tw_run *r, const tw_pnode *n, tw_expr **keys, const tw_val *row, tw_buf *b,
                    int *null, tw_err *err) {
    tw_evalctx c = ctx_of(r, n->slot, row);
    tw_buf_reset(b);
    *null = 0;
    for (int i = 0; i < n->nhkeys; i++) {
        tw_val v;
        int rc = tw_eval(keys[i], &c, &v, err);
        if (rc) return rc;
        if (v.k == VK_NULL) {
            *null = 1;
            return TWILL_OK;
        }
        if (tw_key_put(b, &v, v.k)) return nomem(err);
    }
    return TWILL_OK;
}

/* Reads the inner side once into rows[] with a chained hash table on its key bytes. */
static int hash_build(tw_run *r, const tw_pnode *n, nstate *s, tw_err *err) {
    const tw_pnode *in = n->inner;
    int w = in->table->ncols, rc;
    size_t cap = 0;
    stop_node(r, in);
    for (;;) {
        const tw_val *row;
        rc = node_next(r, in, &row, err);
        if (rc == TWILL_DONE) break;
        if (rc != TWILL_ROW) return rc;
        int null;
        if ((rc = hash_key(r, n, n->hkin, row, &r->b3, &null, err))) return rc;
        if (null && !n->full) continue; /* can never match; FULL still emits it */
        if (s->nrows == cap) {
            size_t nc = cap ? cap * 2 : 64;
            tw_val **nr = realloc(s->rows, nc * sizeof *nr);
            uint8_t **nk = realloc(s->hkey, nc * sizeof *nk);
            size_t *nl = realloc(s->hklen, nc * sizeof *nl);
            uint64_t *nh = realloc(s->hhash, nc * sizeof *nh);
            if (nr) s->rows = nr;
            if (nk) s->hkey = nk;
            if (nl) s->hklen = nl;
            if (nh) s->hhash = nh;
            if (!nr || !nk || !nl || !nh) return nomem(err);
            cap = s->caprows = nc;
        }
        uint8_t *kb = null ? NULL : tw_arena_alloc(&s->gmem, r->b3.len ? r->b3.len : 1);
        tw_val *copy = row_copy(row + in->coloff, w);
        if ((!kb && !null) || !copy) {
            free(copy);
            return nomem(err);
        }
        if (kb) memcpy(kb, r->b3.p, r->b3.len);
        s->rows[s->nrows] = copy;
        s->hkey[s->nrows] = kb;
        s->hklen[s->nrows] = r->b3.len;
        s->hhash[s->nrows] = hash_bytes(r->b3.p, r->b3.len);
        s->nrows++;
    }
    stop_node(r, in);
    size_t nb = 64;
    while (nb < s->nrows * 2) nb *= 2;
    s->hbucket = malloc(nb * sizeof *s->hbucket);
    s->hnext = malloc((s->nrows ? s->nrows : 1) * sizeof *s->hnext);
    if (!s->hbucket || !s->hnext) return nomem(err);
    for (size_t i = 0; i < nb; i++) s->hbucket[i] = NO_ROW;
    for (size_t i = s->nrows; i-- > 0;) { /* chains in scan order, as a nested loop meets them */
        if (!s->hkey[i]) continue;        /* a NULL key (FULL JOIN): in no chain */
        size_t b = s->hhash[i] & (nb - 1);
        s->hnext[i] = s->hbucket[b];
        s->hbucket[b] = i;
    }
    if (n->full && !(s->hmatched = calloc(s->nrows ? s->nrows : 1, 1))) return nomem(err);
    s->nhb = nb;
    s->hbuilt = 1;
    return TWILL_OK;
}

/* A hash JOIN: each outer row meets the inner rows with its key (then jfilter); a LEFT
 * join NULL-extends an outer row that met none. */
static int hash_join_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row,
                          tw_err *err) {
    int rc;
    if (!s->hbuilt && (rc = hash_build(r, n, s, err))) return rc;
    tw_val *jrow = r->jrows[n->slot];
    const tw_pnode *in = n->inner;
    int w = in->table->ncols;
    for (;;) {
        if (s->phase == 4) { /* FULL JOIN: the inner rows no outer row met */
            while (s->pos < s->nrows && s->hmatched[s->pos]) s->pos++;
            if (s->pos >= s->nrows) return TWILL_DONE;
            for (int i = 0; i < n->ncols; i++) jrow[i].k = VK_NULL;
            memcpy(jrow + in->coloff, s->rows[s->pos++], sizeof(tw_val) * (size_t)w);
            if (n->post) {
                int ok;
                tw_evalctx c = ctx_of(r, n->slot, jrow);
                if ((rc = tw_eval_pred(n->post, &c, &ok, err))) return rc;
                if (!ok) continue;
            }
            *row = jrow;
            return TWILL_ROW;
        }
        if (!s->outer_valid) {
            const tw_val *outer;
            rc = node_next(r, n->child, &outer, err);
            if (rc == TWILL_DONE && n->full) {
                s->phase = 4;
                s->pos = 0;
                continue;
            }
            if (rc != TWILL_ROW) return rc;
            s->outer_valid = 1;
            s->matched = 0;
            int null; /* the probe key lives in this node's own buffer: joins above
                         probe their own keys while this one is between rows */
            if ((rc = hash_key(r, n, n->hkout, jrow, &s->key, &null, err))) return rc;
            s->hcur = NO_ROW;
            if (!null && s->nhb)
                s->hcur = s->hbucket[hash_bytes(s->key.p, s->key.len) & (s->nhb - 1)];
        }
        int emit = 0;
        while (s->hcur != NO_ROW && !emit) {
            size_t i = s->hcur;
            s->hcur = s->hnext[i];
            if (s->hklen[i] != s->key.len || memcmp(s->hkey[i], s->key.p, s->key.len)) continue;
            memcpy(jrow + in->coloff, s->rows[i], sizeof(tw_val) * (size_t)w);
            if (n->jfilter) {
                int ok;
                tw_evalctx c = ctx_of(r, n->slot, jrow);
                if ((rc = tw_eval_pred(n->jfilter, &c, &ok, err))) return rc;
                if (!ok) continue;
            }
            s->matched = 1;
            if (s->hmatched) s->hmatched[i] = 1;
            emit = 1;
        }
        if (!emit) {
            s->outer_valid = 0;
            if (!n->left || s->matched) continue;
            for (int i = 0; i < w; i++) jrow[in->coloff + i].k = VK_NULL;
        }
        if (n->post) {
            int ok;
            tw_evalctx c = ctx_of(r, n->slot, jrow);
            if ((rc = tw_eval_pred(n->post, &c, &ok, err))) return rc;
            if (!ok) continue;
        }
        *row = jrow;
        return TWILL_ROW;
    }
}

/* ---- window functions ---- */

/* Window rows are materialized as [input | function results | window expressions]; a
 * sort key of window expression i reads column xoff + i. */
typedef struct winsort {
    tw_pnode node; /* nkeys / keys for cmp_rows */
} winsort;

static int win_keys(const tw_pnode *n, const tw_winspec *sp, int nk, winsort *ws, tw_sortkey *buf) {
    int xoff = n->win_in + n->nwfns;
    for (int i = 0; i < nk; i++) {
        buf[i] = sp->keys[i];
        buf[i].col = xoff + sp->keys[i].col;
    }
    memset(&ws->node, 0, sizeof ws->node);
    ws->node.nkeys = nk;
    ws->node.keys = buf;
    return 0;
}

/* Computes window function k (of spec sp) for the sorted rows[0, n). */
static int win_compute(const tw_pnode *wn, const tw_winfn *f, tw_val **rows, size_t n,
                       const winsort *part, const winsort *peer, tw_arena *mem, tw_err *err) {
    int out = wn->win_in + (int)(f - wn->wfns);
    int xoff = wn->win_in + wn->nwfns;
    const tw_winspec *sp = &wn->wspecs[f->spec];
    size_t ps = 0;
    while (ps < n) {
        size_t pe = ps + 1; /* the partition is rows[ps, pe) */
        while (pe < n && !cmp_rows(&rows[ps], &rows[pe], (void *)&part->node)) pe++;
        int64_t psize = (int64_t)(pe - ps), rank = 1, dense = 0, ntile_n = 0;
        aggst acc;
        memset(&acc, 0, sizeof acc);
        if (f->fn == TW_WF_NTILE) {
            const tw_val *nv = &rows[ps][xoff + f->argoff];
            if (nv->k != VK_NULL && nv->i <= 0)
                return tw_err_set(err, TWILL_ERROR, "22014",
                                  "argument of ntile must be greater than zero");
            ntile_n = nv->k == VK_NULL ? 0 : nv->i;
        }
        size_t gs = ps; /* current peer group rows[gs, ge) */
        while (gs < pe) {
            size_t ge = gs + 1;
            while (ge < pe &&
                   (sp->norder == 0 || !cmp_rows(&rows[gs], &rows[ge], (void *)&peer->node)))
                ge++;
            if (sp->norder == 0) ge = pe;
            dense++;
            rank = (int64_t)(gs - ps) + 1;
            if (f->fn == TW_WF_AGG && sp->frame != TW_FRAME_ROWS) {
                /* RANGE frames take whole peer groups; ALL the whole partition */
                size_t to = sp->frame == TW_FRAME_ALL ? pe : ge;
                for (size_t i = (sp->frame == TW_FRAME_ALL ? ps : gs); i < to; i++) {
                    if (sp->frame == TW_FRAME_ALL && gs != ps) break; /* accumulated once */
                    const tw_val *v = f->nargs ? &rows[i][xoff + f->argoff] : &rows[i][0];
                    int rc = agg_accum(&f->agg, &acc, v, mem, err);
                    if (rc) return rc;
                }
            }
            for (size_t i = gs; i < ge; i++) {
                tw_val *o = &rows[i][out];
                const tw_val *a = f->nargs ? &rows[i][xoff + f->argoff] : NULL;
                int64_t pos = (int64_t)(i - ps);
                size_t fend = sp->frame == TW_FRAME_ALL     ? pe
                              : sp->frame == TW_FRAME_PEERS ? ge
                                                            : i + 1;
                int rc = TWILL_OK;
                switch (f->fn) {
                case TW_WF_ROW_NUMBER:
                    *o = (tw_val){.k = VK_INT, .i = pos + 1};
                    break;
                case TW_WF_RANK:
                    *o = (tw_val){.k = VK_INT, .i = rank};
                    break;
                case TW_WF_DENSE_RANK:
                    *o = (tw_val){.k = VK_INT, .i = dense};
                    break;
                case TW_WF_PERCENT_RANK:
                    *o = (tw_val){.k = VK_FLOAT,
                                  .d = psize > 1 ? (double)(rank - 1) / (double)(psize - 1) : 0};
                    break;
                case TW_WF_CUME_DIST:
                    *o = (tw_val){.k = VK_FLOAT, .d = (double)(ge - ps) / (double)psize};
                    break;
                case TW_WF_NTILE:
                    if (!ntile_n) {
                        o->k = VK_NULL;
                    } else { /* the first psize % n buckets get one row more */
                        int64_t per = psize / ntile_n, extra = psize % ntile_n;
                        int64_t big = extra * (per + 1);
                        *o = (tw_val){.k = VK_INT,
                                      .i = pos < big ? pos / (per + 1) + 1
                                                     : extra + (per ? (pos - big) / per : 0) + 1};
                    }
                    break;
                case TW_WF_LAG:
                case TW_WF_LEAD: {
                    int64_t off = 1;
                    if (f->nargs >= 2) {
                        const tw_val *ov = &rows[i][xoff + f->argoff + 1];
                        if (ov->k == VK_NULL) {
                            o->k = VK_NULL;
                            break;
                        }
                        off = ov->i;
                    }
                    int64_t j = f->fn == TW_WF_LAG ? pos - off : pos + off;
                    if (j >= 0 && j < psize)
                        *o = rows[ps + (size_t)j][xoff + f->argoff];
                    else if (f->nargs == 3)
                        *o = rows[i][xoff + f->argoff + 2];
                    else
                        o->k = VK_NULL;
                    break;
                }
                case TW_WF_FIRST:
                    *o = rows[ps][xoff + f->argoff];
                    break;
                case TW_WF_LAST:
                    *o = rows[fend - 1][xoff + f->argoff];
                    break;
                case TW_WF_NTH: {
                    const tw_val *nv = &rows[i][xoff + f->argoff + 1];
                    if (nv->k == VK_NULL) {
                        o->k = VK_NULL;
                        break;
                    }
                    if (nv->i <= 0)
                        return tw_err_set(err, TWILL_ERROR, "22016",
                                          "argument of nth_value must be greater than zero");
                    if (nv->i <= (int64_t)(fend - ps))
                        *o = rows[ps + (size_t)nv->i - 1][xoff + f->argoff];
                    else
                        o->k = VK_NULL;
                    break;
                }
                case TW_WF_AGG:
                    if (sp->frame == TW_FRAME_ROWS &&
                        (rc = agg_accum(&f->agg, &acc, a ? a : &rows[i][0], mem, err)))
                        return rc;
                    rc = agg_result(&f->agg, &acc, o, err);
                    break;
                }
                if (rc) return rc;
            }
            gs = ge;
        }
        ps = pe;
    }
    return TWILL_OK;
}

/* Materializes the input with the window expressions, then per window: sort by
 * (partition, order) and compute its functions. Rows leave in the last window's order. */
static int window_fill(tw_run *r, const tw_pnode *n, nstate *s, tw_err *err) {
    int w = n->win_in, width = n->win_in + n->nwfns + n->nwexprs, rc;
    tw_val *tmp = calloc((size_t)(width ? width : 1), sizeof *tmp);
    if (!tmp) return nomem(err);
    s->started = 1;
    for (;;) {
        const tw_val *in;
        rc = node_next(r, n->child, &in, err);
        if (rc == TWILL_DONE) break;
        if (rc != TWILL_ROW) goto out;
        for (int i = 0; i < width; i++) tmp[i].k = VK_NULL;
        if (in && w) memcpy(tmp, in, sizeof *tmp * (size_t)w);
        tw_evalctx c = ctx_of(r, n->slot, in);
        for (int i = 0; i < n->nwexprs; i++)
            if ((rc = tw_eval(n->wexprs[i], &c, &tmp[w + n->nwfns + i], err))) goto out;
        if ((rc = rows_push(&s->rows, &s->nrows, &s->caprows, tmp, width, err))) goto out;
        tw_arena_reset(&r->arenas[n->slot]);
    }
    rc = TWILL_OK;
    for (int j = 0; j < n->nwspecs && !rc; j++) {
        const tw_winspec *sp = &n->wspecs[j];
        int nk = sp->npart + sp->norder;
        tw_sortkey *kb = calloc((size_t)(nk ? nk : 1), sizeof *kb);
        if (!kb) {
            rc = nomem(err);
            break;
        }
        winsort all, part, peer;
        win_keys(n, sp, nk, &all, kb);
        part = all;
        part.node.nkeys = sp->npart;
        peer = all;
        if (s->nrows > 1 && nk) qsort_r(s->rows, s->nrows, sizeof *s->rows, cmp_rows, &all.node);
        for (int k = 0; k < n->nwfns && !rc; k++)
            if (n->wfns[k].spec == j)
                rc = win_compute(n, &n->wfns[k], s->rows, s->nrows, &part, &peer, &s->gmem, err);
        free(kb);
    }
out:
    free(tmp);
    return rc;
}

/* WITH RECURSIVE: the non-recursive term's rows, then rounds of the recursive term over
 * the previous round's rows until a round adds none. UNION (not ALL) drops rows seen
 * before, which is also what ends a cycle. Each emitted row is a copy kept in this
 * round's list, so it stays valid while the consumer reads it. */
static int recursive_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row,
                          tw_err *err) {
    for (;;) {
        const tw_val *in;
        int rc;
        if (s->phase == 3) return TWILL_DONE;
        rc = node_next(r, s->phase == 0 ? n->child : n->inner, &in, err);
        if (rc == TWILL_DONE) { /* the round is over: its rows become the working table */
            for (size_t i = 0; i < s->nw; i++) free(s->wrows[i]);
            free(s->wrows);
            s->wrows = s->rows;
            s->nw = s->nrows;
            s->rows = NULL;
            s->nrows = s->caprows = 0;
            if (!s->nw) {
                s->phase = 3;
                return TWILL_DONE;
            }
            stop_node(r, n->inner);
            s->phase = 2;
            continue;
        }
        if (rc != TWILL_ROW) return rc;
        if (!(n->setop & SETOP_ALL)) {
            if (row_key(in, n->ncols, &r->b1)) return nomem(err);
            uint64_t h = hash_bytes(r->b1.p, r->b1.len);
            size_t slot;
            if (s->nbuckets && ht_find(s, &r->b1, h, &slot)) continue;
            if (!ht_add(s, &r->b1, h)) return nomem(err);
        }
        if ((rc = rows_push(&s->rows, &s->nrows, &s->caprows, in, n->ncols, err))) return rc;
        *row = s->rows[s->nrows - 1];
        return TWILL_ROW;
    }
}

/* A scan of the working table: the rows of its PN_RECURSIVE node's previous round. */
static int worktable_next(tw_run *r, const tw_pnode *n, nstate *s, const tw_val **row,
                          tw_err *err) {
    const nstate *w = &r->st[n->wt->id];
    return rows_next(r, n, w->wrows, w->nw, &s->pos, n->table->ncols, row, err);
}

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* EXPLAIN ANALYZE accounting around one call of a node. */
static uint64_t an_begin(tw_run *r, const tw_pnode *n) {
    tw_node_stats *a = &r->an[n->id];
    if (!a->active) {
        a->active = 1;
        a->got_row = 0;
        a->loops++;
    }
    return mono_ns();
}

static void an_end(tw_run *r, const tw_pnode *n, uint64_t t0, int rc) {
    tw_node_stats *a = &r->an[n->id];
    uint64_t dt = mono_ns() - t0;
    a->total_ns += dt;
    if (rc == TWILL_ROW) {
        a->rows++;
        if (!a->got_row) a->first_ns += dt;
        a->got_row = 1;
    } else {
        a->active = 0;
    }
}

/* Every node's rows pass here; an instrumented run (EXPLAIN ANALYZE) counts them. */
static int node_next(tw_run *r, const tw_pnode *n, const tw_val **row, tw_err *err) {
    if (!r->an) return node_next_raw(r, n, row, err);
    uint64_t t0 = an_begin(r, n);
    int rc = node_next_raw(r, n, row, err);
    an_end(r, n, t0, rc);
    return rc;
}

int tw_run_instrument(tw_run *r, tw_err *err) {
    if (r->an) return TWILL_OK;
    int n = r->plan->nnodes;
    if (!(r->an = calloc((size_t)(n ? n : 1), sizeof *r->an))) return nomem(err);
    return TWILL_OK;
}

const tw_node_stats *tw_run_node_stats(const tw_run *r, int id) {
    return r && r->an && id >= 0 && id < r->plan->nnodes ? &r->an[id] : NULL;
}

static int node_next_raw(tw_run *r, const tw_pnode *n, const tw_val **row, tw_err *err) {
    nstate *s = &r->st[n->id];
    int rc;
    switch (n->kind) {
    case PN_SCAN:
        if (n->wt) return worktable_next(r, n, s, row, err);
        return scan_next(r, n, NULL, row, err);
    case PN_RECURSIVE:
        return recursive_next(r, n, s, row, err);
    case PN_VALUES: {
        if (s->pos >= (size_t)n->nvrows) return TWILL_DONE;
        if (!s->out && !(s->out = calloc((size_t)(n->ncols ? n->ncols : 1), sizeof(tw_val))))
            return nomem(err);
        tw_evalctx c = ctx_of(r, n->slot, NULL);
        for (int i = 0; i < n->ncols; i++)
            if ((rc = tw_eval(n->vals[s->pos * (size_t)n->ncols + (size_t)i], &c, &s->out[i], err)))
                return rc;
        s->pos++;
        *row = s->out;
        return TWILL_ROW;
    }
    case PN_UNIQUE:
        for (;;) {
            rc = node_next(r, n->child, row, err);
            if (rc != TWILL_ROW) return rc;
            /* the sorted child's rows stay put until it stops, so keep a pointer */
            if (s->started && !cmp_rows(&s->urow, row, (void *)n)) continue;
            s->started = 1;
            s->urow = *row;
            return TWILL_ROW;
        }
    case PN_WINDOW:
        if (!s->started && (rc = window_fill(r, n, s, err))) return rc;
        if (s->pos >= s->nrows) return TWILL_DONE;
        *row = s->rows[s->pos++];
        return TWILL_ROW;
    case PN_ONEROW:
        if (s->done) return TWILL_DONE;
        s->done = 1;
        if (n->filter) {
            int ok;
            tw_evalctx c = ctx_of(r, n->slot, NULL);
            if ((rc = tw_eval_pred(n->filter, &c, &ok, err))) return rc;
            if (!ok) return TWILL_DONE;
        }
        *row = NULL;
        return TWILL_ROW;
    case PN_AGG:
        if (!s->agg_done && (rc = agg_fill(r, n, s, err))) return rc;
        while (s->gnext) {
            group *g = s->gnext;
            s->gnext = g->next;
            if (n->having) {
                int ok;
                tw_evalctx c = ctx_of(r, n->slot, g->vals);
                if ((rc = tw_eval_pred(n->having, &c, &ok, err))) return rc;
                if (!ok) continue;
            }
            *row = g->vals;
            return TWILL_ROW;
        }
        return TWILL_DONE;
    case PN_PROJECT: {
        const tw_val *in;
        rc = node_next(r, n->child, &in, err);
        if (rc != TWILL_ROW) return rc;
        if (!s->out && !(s->out = calloc((size_t)(n->ncols ? n->ncols : 1), sizeof(tw_val))))
            return nomem(err);
        tw_evalctx c = ctx_of(r, n->slot, in);
        for (int i = 0; i < n->ncols; i++)
            if ((rc = tw_eval(n->exprs[i], &c, &s->out[i], err))) return rc;
        *row = s->out;
        return TWILL_ROW;
    }
    case PN_SORT:
        if (!s->started && (rc = sort_fill(r, n, s, err))) return rc;
        if (s->pos >= s->nrows) return TWILL_DONE;
        *row = s->rows[s->pos++];
        return TWILL_ROW;
    case PN_APPEND:
        if (!s->started) {
            rc = node_next(r, n->child, row, err);
            if (rc != TWILL_DONE) return rc;
            s->started = 1;
        }
        return node_next(r, n->inner, row, err);
    case PN_SETOP:
        return setop_next(r, n, s, row, err);
    case PN_JOIN:
        if (n->nhkeys) return hash_join_next(r, n, s, row, err);
        for (;;) {
            if (!s->outer_valid) {
                const tw_val *outer;
                rc = node_next(r, n->child, &outer, err);
                if (rc != TWILL_ROW) return rc;
                s->outer_valid = 1;
                s->matched = 0;
                stop_node(r, n->inner); /* rescan with this outer row's values */
            }
            const tw_val *in;
            rc = node_next(r, n->inner, &in, err);
            if (rc == TWILL_ROW) {
                s->matched = 1;
            } else if (rc == TWILL_DONE) {
                s->outer_valid = 0;
                if (!n->left || s->matched) continue;
                const tw_table *it = n->inner->table;
                for (int i = 0; i < it->ncols; i++)
                    r->jrows[n->slot][n->inner->coloff + i].k = VK_NULL;
            } else {
                return rc;
            }
            if (n->post) {
                int ok;
                tw_evalctx c = ctx_of(r, n->slot, r->jrows[n->slot]);
                if ((rc = tw_eval_pred(n->post, &c, &ok, err))) return rc;
                if (!ok) continue;
            }
            *row = r->jrows[n->slot];
            return TWILL_ROW;
        }
    case PN_LIMIT:
        if (!s->started) {
            s->started = 1;
            if ((rc = limit_value(r, n->slot, n->limit, INT64_MAX, "LIMIT", &s->limit, err)) ||
                (rc = limit_value(r, n->slot, n->offset, 0, "OFFSET", &s->offset, err)))
                return rc;
            s->seen = 0;
        }
        while (s->offset > 0) {
            rc = node_next(r, n->child, row, err);
            if (rc != TWILL_ROW) return rc;
            s->offset--;
        }
        if (s->seen >= s->limit) return TWILL_DONE;
        rc = node_next(r, n->child, row, err);
        if (rc == TWILL_ROW) s->seen++;
        return rc;
    }
    return tw_err_set(err, TWILL_ERROR, "XX000", "unknown plan node");
}

/* ---- subqueries ---- */

static int eval_subq(void *run, const tw_expr *e, const tw_evalctx *c, tw_val *out, tw_err *err) {
    tw_run *r = run;
    if (e->aux == TW_SQ_SEQ && e->idx >= TW_SEQ_NOW_TSTZ) {
        int k = e->idx == TW_SEQ_NOW_DATE ? VK_DATE : e->idx == TW_SEQ_NOW_TS ? VK_TS : VK_TSTZ;
        out->k = (uint8_t)k;
        return tw_dt_convert(r->env.now, VK_TSTZ, k, &out->i, err);
    }
    if (e->aux == TW_SQ_SEQ) {
        tw_val args[3] = {{0}};
        tw_evalctx cc = *c;
        for (int i = 0; i < e->nargs && i < 3; i++) {
            int rc = tw_eval(e->args[i], &cc, &args[i], err);
            if (rc) return rc;
        }
        if (!r->env.seq)
            return tw_err_set(err, TWILL_ERROR, "0A000", "sequences are not available");
        return r->env.seq(r->env.seq_ud, r->plan->cat, e->idx, args, e->nargs, out, err);
    }
    const tw_subq *q = &r->plan->subs[e->idx];
    subst *ss = &r->sq[q->slot];
    tw_val test = {0};
    int rc, cmp;
    tw_evalctx cc = *c;
    if (q->kind == TW_SQ_IN && (rc = tw_eval(e->args[0], &cc, &test, err))) return rc;
    if (q->correlated || !ss->cached) {
        const tw_val *row;
        r->outers[q->slot] = c->row;
        stop_node(r, q->root);
        tw_arena_reset(&r->arenas[q->slot]);
        ss->nvals = 0;
        ss->has_null = 0;
        tw_arena_reset(&ss->mem);
        switch (q->kind) {
        case TW_SQ_EXISTS:
            rc = node_next(r, q->root, &row, err);
            if (rc != TWILL_ROW && rc != TWILL_DONE) return rc;
            ss->val.k = VK_BOOL;
            ss->val.i = rc == TWILL_ROW;
            break;
        case TW_SQ_SCALAR:
            rc = node_next(r, q->root, &row, err);
            if (rc == TWILL_DONE) {
                ss->val.k = VK_NULL;
                break;
            }
            if (rc != TWILL_ROW) return rc;
            ss->val = row[0];
            if (vk_has_bytes(row[0].k)) {
                if (tw_buf_set(&ss->bytes, row[0].s, row[0].n) || tw_buf_put_u8(&ss->bytes, 0))
                    return nomem(err);
                ss->val.s = (const char *)ss->bytes.p;
            }
            rc = node_next(r, q->root, &row, err);
            if (rc == TWILL_ROW)
                return tw_err_set(err, TWILL_ERROR, "21000",
                                  "more than one row returned by a subquery used as an expression");
            if (rc != TWILL_DONE) return rc;
            break;
        case TW_SQ_ARRAY: { /* ARRAY(subquery): the values in row order; no rows: '{}' */
            tw_buf body = {0};
            uint64_t n = 0;
            int et = e->type.mod;
            for (;;) {
                rc = node_next(r, q->root, &row, err);
                if (rc == TWILL_DONE) break;
                if (rc != TWILL_ROW || (rc = tw_array_elem_put(&body, &row[0], et))) {
                    tw_buf_free(&body);
                    return rc == TWILL_NOMEM ? nomem(err) : rc;
                }
                n++;
                tw_arena_reset(&r->arenas[q->slot]);
            }
            tw_buf_reset(&ss->bytes);
            if (tw_buf_put_u8(&ss->bytes, (uint8_t)et) || tw_buf_put_varint(&ss->bytes, n) ||
                tw_buf_append(&ss->bytes, body.p, body.len)) {
                tw_buf_free(&body);
                return nomem(err);
            }
            tw_buf_free(&body);
            ss->val = (tw_val){.k = VK_ARRAY, .s = (const char *)ss->bytes.p, .n = ss->bytes.len};
            break;
        }
        default: /* IN: collect the values */
            for (;;) {
                rc = node_next(r, q->root, &row, err);
                if (rc == TWILL_DONE) break;
                if (rc != TWILL_ROW) return rc;
                if (row[0].k == VK_NULL) {
                    ss->has_null = 1;
                    continue;
                }
                if (ss->nvals == ss->capvals) {
                    size_t nc = ss->capvals ? ss->capvals * 2 : 16;
                    tw_val *nv = realloc(ss->vals, nc * sizeof *nv);
                    if (!nv) return nomem(err);
                    ss->vals = nv;
                    ss->capvals = nc;
                }
                if (copy_val(&ss->mem, &ss->vals[ss->nvals], &row[0])) return nomem(err);
                ss->nvals++;
                tw_arena_reset(&r->arenas[q->slot]);
            }
        }
        stop_node(r, q->root);
        ss->cached = 1;
    }
    if (q->kind != TW_SQ_IN) {
        *out = ss->val;
        return TWILL_OK;
    }
    /* x IN (set): TRUE on a match; else NULL if x or any member is NULL (unless the set
     * is empty); else FALSE. */
    if (ss->nvals == 0 && !ss->has_null) {
        out->k = VK_BOOL;
        out->i = 0;
        return TWILL_OK;
    }
    if (test.k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    for (size_t i = 0; i < ss->nvals; i++) {
        if ((rc = tw_val_cmp(&test, &ss->vals[i], &cmp, err))) return rc;
        if (cmp == 0) {
            out->k = VK_BOOL;
            out->i = 1;
            return TWILL_OK;
        }
    }
    if (ss->has_null)
        out->k = VK_NULL;
    else
        out->k = VK_BOOL, out->i = 0;
    return TWILL_OK;
}

int tw_run_start(tw_run *r, const tw_exec_env *env, tw_err *err) {
    (void)err;
    tw_run_stop(r);
    r->env = *env;
    return TWILL_OK;
}

int tw_run_next(tw_run *r, const tw_val **row, tw_err *err) {
    tw_arena_reset(&r->arenas[0]);
    return node_next(r, r->plan->root, row, err);
}

/* ---- DML ---- */

static int push_returning(tw_run *r, const tw_val *row, tw_err *err) {
    const tw_plan *p = r->plan;
    if (!p->ret) return TWILL_OK;
    if (!r->rettmp && !(r->rettmp = calloc((size_t)(p->ncols ? p->ncols : 1), sizeof(tw_val))))
        return nomem(err);
    tw_evalctx c = ctx_of(r, 0, row);
    for (int i = 0; i < p->ncols; i++) {
        int rc = tw_eval(p->ret[i], &c, &r->rettmp[i], err);
        if (rc) return rc;
    }
    if (r->nret == r->capret) {
        size_t nc = r->capret ? r->capret * 2 : 16;
        tw_val **n = realloc(r->ret, nc * sizeof *n);
        if (!n) return nomem(err);
        r->ret = n;
        r->capret = nc;
    }
    if (!(r->ret[r->nret] = row_copy(r->rettmp, p->ncols))) return nomem(err);
    r->nret++;
    return TWILL_OK;
}

int tw_run_returned(tw_run *r, size_t i, const tw_val **row) {
    if (i >= r->nret) return TWILL_DONE;
    *row = r->ret[i];
    return TWILL_ROW;
}

static int check_row(const tw_table *t, tw_val *row, tw_err *err) {
    for (int i = 0; i < t->ncols; i++)
        if (row[i].k == VK_NULL && t->cols[i].notnull)
            return tw_err_set(
                err, TWILL_ERROR, "23502",
                "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                t->cols[i].name, t->name);
    return TWILL_OK;
}

/* Writes the index entries of one row. */
static int index_put(tw_run *r, const tw_table *t, const tw_index *x, const tw_val *row,
                     const tw_buf *pk, tw_err *err) {
    int has_null, rc;
    if ((rc = idx_key(t, x, row, pk, &r->b2, &has_null, err))) return rc;
    if (x->unique && !has_null) {
        int found;
        if ((rc = tw_txn_get(r->env.txn, x->id, r->b2.p, r->b2.len, TW_READ_OWN_CURRENT, &r->b3,
                             &found, err)))
            return rc;
        if (found) return dup_error(t, x->name, x->cols, x->ncols, row, err);
    }
    return tw_txn_put(r->env.txn, x->id, r->b2.p, r->b2.len, pk->p, pk->len, err);
}

static int index_del(tw_run *r, const tw_table *t, const tw_index *x, const tw_val *row,
                     const tw_buf *pk, tw_err *err) {
    int has_null, rc;
    if ((rc = idx_key(t, x, row, pk, &r->b2, &has_null, err))) return rc;
    return tw_txn_delete(r->env.txn, x->id, r->b2.p, r->b2.len, err);
}

/* CHECK constraints of the plan's table over one new row. */
static int check_cons(tw_run *r, const tw_table *t, const tw_val *row, tw_err *err) {
    const tw_plan *p = r->plan;
    if (!p->nchecks || t != p->table) return TWILL_OK;
    tw_evalctx c = ctx_of(r, 0, row);
    return tw_cons_check_row(t, p->nchecks, p->checks, p->checknames, &c, err);
}

static int insert_row(tw_run *r, const tw_table *t, tw_val *row, tw_err *err) {
    int rc;
    if ((rc = check_row(t, row, err)) || (rc = check_cons(r, t, row, err))) return rc;
    tw_buf *pk = &r->b1;
    if (t->npk) {
        if ((rc = pk_key(t, row, pk, err))) return rc;
        int found;
        if ((rc = tw_txn_get(r->env.txn, t->id, pk->p, pk->len, TW_READ_OWN_CURRENT, &r->b3, &found,
                             err)))
            return rc;
        if (found) {
            char nm[300];
            snprintf(nm, sizeof nm, "%s_pkey", t->name);
            return dup_error(t, nm, t->pk, t->npk, row, err);
        }
    } else {
        int64_t id;
        if ((rc = r->env.next_rowid(r->env.ud, r->env.txn, t->id, &id, err))) return rc;
        tw_buf_reset(pk);
        if (tw_key_put_i64(pk, id)) return nomem(err);
    }
    tw_buf_reset(&r->b3);
    if (tw_row_encode(&r->b3, row, t->kinds, t->ncols)) return nomem(err);
    if ((rc = tw_txn_put(r->env.txn, t->id, pk->p, pk->len, r->b3.p, r->b3.len, err))) return rc;
    for (int i = 0; i < t->nidx; i++)
        if ((rc = index_put(r, t, t->idx[i], row, pk, err))) return rc;
    return t->nfks ? tw_fkq_insert(&r->fkq, t, row, err) : TWILL_OK;
}

static int same_bytes(const tw_buf *a, const tw_buf *b);

/* Replaces the stored row `row` (primary key bytes oldpk) by nrow: checks, primary-key
 * move, index maintenance, the row itself, RETURNING. newpk/k1/k2 are scratch. */
static int update_row(tw_run *r, const tw_table *t, const tw_val *row, const tw_buf *oldpk,
                      tw_val *nrow, tw_buf *newpk, tw_buf *k1, tw_buf *k2, tw_err *err) {
    int rc;
    if ((rc = check_row(t, nrow, err)) || (rc = check_cons(r, t, nrow, err))) return rc;
    int pk_changed = 0;
    if (t->npk) {
        if ((rc = pk_key(t, nrow, newpk, err))) return rc;
        pk_changed = !same_bytes(oldpk, newpk);
    } else if (tw_buf_set(newpk, oldpk->p, oldpk->len)) {
        return nomem(err);
    }
    if (pk_changed) {
        int found;
        if ((rc = tw_txn_get(r->env.txn, t->id, newpk->p, newpk->len, TW_READ_OWN_CURRENT, &r->b3,
                             &found, err)))
            return rc;
        if (found) {
            char nm[300];
            snprintf(nm, sizeof nm, "%s_pkey", t->name);
            return dup_error(t, nm, t->pk, t->npk, nrow, err);
        }
        if ((rc = tw_txn_delete(r->env.txn, t->id, oldpk->p, oldpk->len, err))) return rc;
    }
    /* Index maintenance: only entries whose key or payload changes. */
    for (int i = 0; i < t->nidx; i++) {
        const tw_index *x = t->idx[i];
        int hn1, hn2;
        if ((rc = idx_key(t, x, row, oldpk, k1, &hn1, err)) ||
            (rc = idx_key(t, x, nrow, newpk, k2, &hn2, err)))
            return rc;
        if (same_bytes(k1, k2) && !pk_changed) continue;
        if ((rc = tw_txn_delete(r->env.txn, x->id, k1->p, k1->len, err))) return rc;
        if (same_bytes(k1, k2))
            rc = tw_txn_put(r->env.txn, x->id, k2->p, k2->len, newpk->p, newpk->len, err);
        else
            rc = index_put(r, t, x, nrow, newpk, err);
        if (rc) return rc;
    }
    tw_buf_reset(&r->b3);
    if (tw_row_encode(&r->b3, nrow, t->kinds, t->ncols)) return nomem(err);
    if ((rc = tw_txn_put(r->env.txn, t->id, newpk->p, newpk->len, r->b3.p, r->b3.len, err)))
        return rc;
    if ((t->nfks || t->nrefby) && (rc = tw_fkq_update(&r->fkq, t, row, nrow, err))) return rc;
    return push_returning(r, nrow, err);
}

/* ---- INSERT ... ON CONFLICT ---- */

typedef struct oc_key {
    uint8_t *p; /* NULL: empty slot */
    size_t n;
    uint64_t h;
} oc_key;

struct onconf {
    tw_val *row; /* [existing row | EXCLUDED row] */
    tw_val *upd; /* the updated row */
    tw_buf rowbytes, pk, ikey, nopk, newpk, k1, k2;
    /* DO UPDATE: primary keys this statement inserted or updated, so that touching one
     * again is PostgreSQL's 21000 rather than an order-dependent result */
    oc_key *set;
    size_t nset, capset;
};

static void onconf_reset(struct onconf *oc) {
    for (size_t i = 0; i < oc->capset; i++) {
        free(oc->set[i].p);
        oc->set[i].p = NULL;
    }
    oc->nset = 0;
}

static void onconf_free(struct onconf *oc) {
    if (!oc) return;
    onconf_reset(oc);
    free(oc->set);
    free(oc->row);
    free(oc->upd);
    tw_buf_free(&oc->rowbytes);
    tw_buf_free(&oc->pk);
    tw_buf_free(&oc->ikey);
    tw_buf_free(&oc->nopk);
    tw_buf_free(&oc->newpk);
    tw_buf_free(&oc->k1);
    tw_buf_free(&oc->k2);
    free(oc);
}

static oc_key *oc_slot(oc_key *set, size_t cap, const uint8_t *p, size_t n, uint64_t h) {
    size_t i = (size_t)h & (cap - 1);
    while (set[i].p && !(set[i].h == h && set[i].n == n && !memcmp(set[i].p, p, n)))
        i = (i + 1) & (cap - 1);
    return &set[i];
}

static int oc_seen(const struct onconf *oc, const tw_buf *k) {
    if (!oc->capset) return 0;
    return oc_slot(oc->set, oc->capset, k->p, k->len, hash_bytes(k->p, k->len))->p != NULL;
}

static int oc_add(struct onconf *oc, const tw_buf *k, tw_err *err) {
    if ((oc->nset + 1) * 2 > oc->capset) {
        size_t cap = oc->capset ? oc->capset * 2 : 64;
        oc_key *n = calloc(cap, sizeof *n);
        if (!n) return nomem(err);
        for (size_t i = 0; i < oc->capset; i++)
            if (oc->set[i].p)
                *oc_slot(n, cap, oc->set[i].p, oc->set[i].n, oc->set[i].h) = oc->set[i];
        free(oc->set);
        oc->set = n;
        oc->capset = cap;
    }
    uint64_t h = hash_bytes(k->p, k->len);
    oc_key *s = oc_slot(oc->set, oc->capset, k->p, k->len, h);
    if (s->p) return TWILL_OK;
    if (!(s->p = malloc(k->len ? k->len : 1))) return nomem(err);
    if (k->len) memcpy(s->p, k->p, k->len);
    s->n = k->len;
    s->h = h;
    oc->nset++;
    return TWILL_OK;
}

/* Looks for a row that `row` conflicts with on the arbiter(s); on a hit leaves its
 * primary key bytes in oc->pk and its record in oc->rowbytes. */
static int find_conflict(tw_run *r, const tw_table *t, const tw_val *row, int *found, tw_err *err) {
    struct onconf *oc = r->oc;
    int arb = r->plan->conf_arb, rc;
    *found = 0;
    if (t->npk && (arb == CONF_PK || arb == CONF_ANY)) {
        if ((rc = pk_key(t, row, &oc->pk, err)) ||
            (rc = tw_txn_get(r->env.txn, t->id, oc->pk.p, oc->pk.len, TW_READ_OWN_CURRENT,
                             &oc->rowbytes, found, err)))
            return rc;
        if (*found) return TWILL_OK;
    }
    for (int i = 0; i < t->nidx; i++) {
        const tw_index *x = t->idx[i];
        if (!x->unique || (arb != CONF_ANY && arb != i)) continue;
        int has_null;
        if ((rc = idx_key(t, x, row, &oc->nopk, &oc->ikey, &has_null, err))) return rc;
        if (has_null) continue; /* NULLs never conflict */
        if ((rc = tw_txn_get(r->env.txn, x->id, oc->ikey.p, oc->ikey.len, TW_READ_OWN_CURRENT,
                             &oc->pk, found, err)))
            return rc;
        if (!*found) continue;
        if ((rc = tw_txn_get(r->env.txn, t->id, oc->pk.p, oc->pk.len, TW_READ_OWN_CURRENT,
                             &oc->rowbytes, found, err)))
            return rc;
        if (!*found)
            return tw_err_set(err, TWILL_CORRUPT, "XX001", "index \"%s\" points to a missing row",
                              x->name);
        return TWILL_OK;
    }
    return TWILL_OK;
}

/* Handles r->newrow's conflict, if any: *done = 1 when the row was skipped (DO NOTHING,
 * or DO UPDATE's WHERE false) or the existing row updated instead of inserting. */
static int on_conflict(tw_run *r, const tw_table *t, int *done, int64_t *changes, tw_err *err) {
    const tw_plan *p = r->plan;
    struct onconf *oc = r->oc;
    int n = t->ncols, found, rc;
    *done = 0;
    if ((rc = check_row(t, r->newrow, err)) || (rc = find_conflict(r, t, r->newrow, &found, err)))
        return rc;
    if (!found) return TWILL_OK;
    *done = 1;
    if (p->onconf == ONCONF_NOTHING) return TWILL_OK;
    if (oc_seen(oc, &oc->pk))
        return tw_err_set(err, TWILL_ERROR, "21000",
                          "ON CONFLICT DO UPDATE command cannot affect row a second time");
    if ((rc = tw_row_decode(oc->rowbytes.p, oc->rowbytes.len, oc->row, t->kinds, n, err)))
        return rc;
    memcpy(oc->row + n, r->newrow, sizeof(tw_val) * (size_t)n);
    tw_evalctx c = ctx_of(r, 0, oc->row);
    if (p->conf_where) {
        tw_val ok;
        if ((rc = tw_eval(p->conf_where, &c, &ok, err))) return rc;
        if (ok.k != VK_BOOL || !ok.i) return TWILL_OK;
    }
    memcpy(oc->upd, oc->row, sizeof(tw_val) * (size_t)n);
    for (int i = 0; i < p->nconfset; i++)
        if ((rc = tw_eval(p->confsetexprs[i], &c, &oc->upd[p->confsetcols[i]], err))) return rc;
    if ((rc = update_row(r, t, oc->row, &oc->pk, oc->upd, &oc->newpk, &oc->k1, &oc->k2, err)) ||
        (rc = oc_add(oc, &oc->newpk, err)))
        return rc;
    ++*changes;
    return TWILL_OK;
}

static int run_insert(tw_run *r, int64_t *changes, tw_err *err) {
    const tw_plan *p = r->plan;
    const tw_table *t = p->table;
    int rc;
    if (p->onconf) {
        if (!r->oc) {
            int n = t->ncols ? t->ncols : 1;
            if (!(r->oc = calloc(1, sizeof *r->oc)) ||
                !(r->oc->row = calloc((size_t)n * 2, sizeof(tw_val))) ||
                !(r->oc->upd = calloc((size_t)n, sizeof(tw_val))))
                return nomem(err);
        }
        onconf_reset(r->oc);
    }
    for (int k = 0; p->src || k < p->nrows; k++) {
        tw_arena_reset(&r->arenas[0]);
        const tw_val *src = NULL;
        if (p->src) {
            rc = node_next(r, p->src, &src, err);
            if (rc == TWILL_DONE) break;
            if (rc != TWILL_ROW) return rc;
        }
        tw_evalctx c = ctx_of(r, 0, src);
        tw_expr **exprs = p->rows[p->src ? 0 : k];
        for (int i = 0; i < t->ncols; i++) {
            tw_expr *e = exprs[i];
            if (!e) {
                r->newrow[i] = t->cols[i].has_default ? t->cols[i].defval : (tw_val){.k = VK_NULL};
                continue;
            }
            if ((rc = tw_eval(e, &c, &r->newrow[i], err))) return rc;
        }
        if (p->onconf) {
            int done;
            if ((rc = on_conflict(r, t, &done, changes, err))) return rc;
            if (done) continue;
        }
        if ((rc = insert_row(r, t, r->newrow, err)) || (rc = push_returning(r, r->newrow, err)))
            return rc;
        if (p->onconf == ONCONF_UPDATE && (rc = oc_add(r->oc, &r->b1, err))) return rc;
        ++*changes;
    }
    return TWILL_OK;
}

static int same_bytes(const tw_buf *a, const tw_buf *b) {
    return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

static int run_update_delete(tw_run *r, int64_t *changes, tw_err *err) {
    const tw_plan *p = r->plan;
    const tw_table *t = p->table;
    int rc;
    tw_buf oldpk = {0}, newpk = {0}, k1 = {0}, k2 = {0};
    if (p->dmljoin) {
        if (!r->oc && !(r->oc = calloc(1, sizeof *r->oc))) return nomem(err);
        onconf_reset(r->oc);
    }
    for (;;) {
        const tw_val *row;
        curkey ck;
        tw_arena_reset(&r->arenas[0]);
        uint64_t t0 = r->an ? an_begin(r, p->scan) : 0;
        rc = p->dmljoin ? node_next_raw(r, p->scan, &row, err) /* counted here */
                        : scan_next(r, p->scan, &ck, &row, err);
        if (r->an) an_end(r, p->scan, t0, rc);
        if (rc == TWILL_DONE) {
            rc = TWILL_OK;
            break;
        }
        if (rc != TWILL_ROW) break;
        rc = TWILL_OK;
        if (p->dmljoin) {
            /* a join row: the target's key from its columns; each target row is written
             * once, however many rows it joins with (PostgreSQL takes one of them) */
            if ((rc = pk_key(t, row, &oldpk, err))) break;
            if (oc_seen(r->oc, &oldpk)) continue;
            if ((rc = oc_add(r->oc, &oldpk, err))) break;
        } else if (tw_buf_set(&oldpk, ck.p, ck.n)) {
            rc = nomem(err);
            break;
        }
        if (p->kind == PL_DELETE) {
            if ((rc = tw_txn_delete(r->env.txn, t->id, oldpk.p, oldpk.len, err))) break;
            for (int i = 0; i < t->nidx && !rc; i++)
                rc = index_del(r, t, t->idx[i], row, &oldpk, err);
            if (!rc && t->nrefby) rc = tw_fkq_delete(&r->fkq, t, row, err);
            if (rc || (rc = push_returning(r, row, err))) break;
            ++*changes;
            continue;
        }
        /* UPDATE: every SET expression sees the old row. */
        memcpy(r->newrow, row, sizeof(tw_val) * (size_t)(p->dmljoin ? p->width : t->ncols));
        tw_evalctx c = ctx_of(r, 0, row);
        for (int i = 0; i < p->nset && !rc; i++)
            rc = tw_eval(p->setexprs[i], &c, &r->newrow[p->setcols[i]], err);
        if (rc || (rc = update_row(r, t, row, &oldpk, r->newrow, &newpk, &k1, &k2, err))) break;
        ++*changes;
    }
    tw_buf_free(&oldpk);
    tw_buf_free(&newpk);
    tw_buf_free(&k1);
    tw_buf_free(&k2);
    return rc;
}

int tw_run_dml(tw_run *r, const tw_exec_env *env, int64_t *changes, tw_err *err) {
    tw_run_stop(r);
    r->env = *env;
    *changes = 0;
    int rc = r->plan->kind == PL_INSERT ? run_insert(r, changes, err)
                                        : run_update_delete(r, changes, err);
    stop_node(r, r->plan->scan);
    stop_node(r, r->plan->src);
    tw_arena_reset(&r->arenas[0]);
    /* foreign keys are checked at the statement's end */
    if (!rc && r->fkq) rc = tw_fkq_run(r->fkq, env->txn, err);
    tw_fkq_reset(r->fkq);
    if (rc) free_returned(r);
    return rc;
}

int tw_exec_index_entry(tw_txn *t, const tw_table *tab, const tw_index *x, const tw_val *row,
                        const tw_buf *pk, tw_buf *key, tw_buf *tmp, tw_err *err) {
    int has_null, rc;
    if ((rc = idx_key(tab, x, row, pk, key, &has_null, err))) return rc;
    if (x->unique && !has_null) {
        int found;
        if ((rc = tw_txn_get(t, x->id, key->p, key->len, TW_READ_OWN_CURRENT, tmp, &found, err)))
            return rc;
        if (found) {
            char detail[300];
            describe_key(tab, x->cols, x->ncols, row, detail, sizeof detail);
            char *dup = strstr(detail, " already exists.");
            if (dup) snprintf(dup, 20, " is duplicated.");
            return tw_err_set(err, TWILL_ERROR, "23505",
                              "could not create unique index \"%s\" (%s)", x->name, detail);
        }
    }
    return tw_txn_put(t, x->id, key->p, key->len, pk->p, pk->len, err);
}

int tw_exec_build_index(tw_txn *t, const tw_table *tab, const tw_index *x, tw_err *err) {
    tw_cursor *cur = NULL;
    tw_buf pk = {0}, key = {0}, tmp = {0};
    tw_val *row = calloc((size_t)(tab->ncols ? tab->ncols : 1), sizeof(tw_val));
    int rc = row ? TWILL_OK : nomem(err);
    if (!rc) rc = tw_cursor_open(t, tab->id, &cur, err);
    if (!rc) rc = tw_cursor_seek(cur, "", 0, err);
    while (!rc && tw_cursor_valid(cur)) {
        size_t kl, vl;
        const void *k = tw_cursor_key(cur, &kl);
        const void *v = tw_cursor_value(cur, &vl);
        if (tw_buf_set(&pk, k, kl)) {
            rc = nomem(err);
            break;
        }
        if ((rc = tw_row_decode(v, vl, row, tab->kinds, tab->ncols, err)) ||
            (rc = tw_exec_index_entry(t, tab, x, row, &pk, &key, &tmp, err)))
            break;
        rc = tw_cursor_next(cur, err);
    }
    if (cur) tw_cursor_close(cur);
    free(row);
    tw_buf_free(&pk);
    tw_buf_free(&key);
    tw_buf_free(&tmp);
    return rc;
}
