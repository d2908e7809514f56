/*
 * txn.c — transactions: snapshots, reads through the transaction's own writes, and
 * cursors that merge the write set with the committed trees.
 *
 * A read resolves, in order: this transaction's write set (versions of earlier
 * commands; of the current one too for TW_READ_OWN_CURRENT), then the tree row, then
 * — if the tree row is newer than the snapshot — the saved older version. A table
 * this transaction dropped hides the tree and the writes made before the drop.
 */
#include "txn/engine_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

int tw_txn_begin(tw_engine *eng, tw_txn **out, tw_err *err) {
    *out = NULL;
    tw_txn *t = calloc(1, sizeof *t);
    if (!t) return nomem(err);
    t->eng = eng;
    t->cid = 1;
    pthread_mutex_lock(&eng->snap_mu);
    t->snapshot = atomic_load(&eng->visible_lsn);
    t->registered = 1;
    t->reg_next = eng->reg_head;
    if (eng->reg_head) eng->reg_head->reg_prev = t;
    eng->reg_head = t;
    eng->nlive++;
    pthread_mutex_unlock(&eng->snap_mu);
    *out = t;
    return TWILL_OK;
}

void tw_txn_unregister(tw_txn *t) {
    tw_engine *eng = t->eng;
    if (!t->registered) return;
    pthread_mutex_lock(&eng->snap_mu);
    t->registered = 0;
    if (t->reg_prev)
        t->reg_prev->reg_next = t->reg_next;
    else
        eng->reg_head = t->reg_next;
    if (t->reg_next) t->reg_next->reg_prev = t->reg_prev;
    t->reg_prev = t->reg_next = NULL;
    eng->nlive--;
    pthread_mutex_unlock(&eng->snap_mu);
}

void tw_txn_free(tw_txn *t) {
    if (t->ws_ready) tw_ws_free(&t->ws);
    free(t->drops);
    tw_buf_free(&t->record);
    tw_buf_free(&t->scratch);
    free(t);
}

int tw_txn_commit(tw_txn *t, tw_err *err) {
    if (!t) return tw_err_set(err, TWILL_MISUSE, NULL, "no transaction");
    /* A committing transaction reads nothing more: its snapshot no longer holds old
     * versions back (so a lone writer never keeps any). */
    tw_txn_unregister(t);
    int rc = TWILL_OK;
    if (tw_txn_has_writes(t)) rc = tw_commit_submit(t, err);
    tw_txn_free(t);
    return rc;
}

void tw_txn_rollback(tw_txn *t) {
    if (!t) return;
    tw_txn_unregister(t);
    tw_txn_free(t);
}

void tw_txn_next_command(tw_txn *t) {
    t->cid++;
}

uint32_t tw_txn_savepoint(tw_txn *t) {
    return ++t->cid;
}

void tw_txn_rollback_to(tw_txn *t, uint32_t mark) {
    if (t->ws_ready) tw_ws_rollback_to(&t->ws, mark);
    size_t keep = 0;
    for (size_t i = 0; i < t->ndrops; i++)
        if (t->drops[i].cid < mark) t->drops[keep++] = t->drops[i];
    t->ndrops = keep;
    t->cid++;
}

void tw_txn_refresh_snapshot(tw_txn *t) {
    tw_engine *eng = t->eng;
    pthread_mutex_lock(&eng->snap_mu);
    t->snapshot = atomic_load(&eng->visible_lsn);
    pthread_mutex_unlock(&eng->snap_mu);
}

uint64_t tw_txn_snapshot(const tw_txn *t) {
    return t->snapshot;
}

int tw_txn_has_writes(const tw_txn *t) {
    return (t->ws_ready && t->ws.count > 0) || t->ndrops > 0;
}

static void note_first_write(tw_txn *t) {
    if (t->wsnap_set) return;
    t->wsnap = t->snapshot;
    t->wsnap_set = 1;
}

static int ensure_ws(tw_txn *t, tw_err *err) {
    if (t->ws_ready) return TWILL_OK;
    if (tw_ws_init(&t->ws)) return nomem(err);
    t->ws_ready = 1;
    note_first_write(t);
    return TWILL_OK;
}

/* Command id + 1 of the newest drop of `table` visible below `limit` (0: none). */
static uint32_t dropped_below(const tw_txn *t, uint64_t table, uint32_t limit) {
    uint32_t d = 0;
    for (size_t i = 0; i < t->ndrops; i++)
        if (t->drops[i].table == table && t->drops[i].cid < limit && t->drops[i].cid + 1 > d)
            d = t->drops[i].cid + 1;
    return d;
}

static int check_key(size_t klen, tw_err *err) {
    if (klen > TW_TXN_MAX_KEY)
        return tw_err_set(err, TWILL_ERROR, "54000", "key of %zu bytes exceeds the maximum of %d",
                          klen, TW_TXN_MAX_KEY);
    return TWILL_OK;
}

/* Refuses to read a table that a transaction committed after our snapshot dropped:
 * its pages may already be reused. */
static int check_not_dropped(tw_txn *t, uint64_t table, tw_err *err) {
    uint64_t lsn;
    if (tw_u64map_get(&t->eng->dropped, table, &lsn) && lsn > t->snapshot)
        return tw_err_set(err, TWILL_CONFLICT, "40001",
                          "could not serialize access: table was dropped concurrently");
    return TWILL_OK;
}

int tw_txn_get(tw_txn *t, uint64_t table, const void *key, size_t klen, int mode, tw_buf *val,
               int *found, tw_err *err) {
    *found = 0;
    int rc = check_key(klen, err);
    if (rc) return rc;
    uint32_t limit = mode == TW_READ_OWN_CURRENT ? t->cid + 1 : t->cid;
    uint32_t dropped = t->ndrops ? dropped_below(t, table, limit) : 0;
    if (t->ws_ready && t->ws.count) {
        uint8_t ckey[TW_WS_PREFIX + TW_TXN_MAX_KEY];
        tw_ws_make_prefix(ckey, table);
        memcpy(ckey + TW_WS_PREFIX, key, klen);
        tw_ws_node *n = tw_ws_find(&t->ws, ckey, TW_WS_PREFIX + klen);
        tw_ws_version *v = n ? tw_ws_visible(n, limit) : NULL;
        if (v && v->cid + 1 > dropped) {
            if (v->deleted) return TWILL_OK;
            if (tw_buf_set(val, v->val, v->vlen)) return nomem(err);
            *found = 1;
            return TWILL_OK;
        }
    }
    if (dropped) return TWILL_OK;
    tw_engine *eng = t->eng;
    pthread_rwlock_rdlock(&eng->latch);
    rc = check_not_dropped(t, table, err);
    if (!rc) rc = tw_engine_read(eng, table, key, klen, t->snapshot, val, found, NULL, err);
    pthread_rwlock_unlock(&eng->latch);
    return rc;
}

static int write(tw_txn *t, uint64_t table, const void *key, size_t klen, int deleted,
                 const void *val, size_t vlen, tw_err *err) {
    int rc = check_key(klen, err);
    if (rc || (rc = ensure_ws(t, err))) return rc;
    if (table == 0) return tw_err_set(err, TWILL_MISUSE, NULL, "table id 0 is reserved");
    if (vlen > TW_BTREE_MAX_VALUE - TW_ROW_HDR)
        return tw_err_set(err, TWILL_ERROR, "54000", "row of %zu bytes is too large", vlen);
    uint8_t ckey[TW_WS_PREFIX + TW_TXN_MAX_KEY];
    tw_ws_make_prefix(ckey, table);
    memcpy(ckey + TW_WS_PREFIX, key, klen);
    /* First committer wins: if another transaction has already committed this key since
     * our conflict snapshot, the commit is bound to fail — fail the write now (as
     * PostgreSQL fails the UPDATE) instead of after the rest of the work. Commits still
     * in flight are left to the check at commit. */
    tw_engine *eng = t->eng;
    if (atomic_load(&eng->visible_lsn) > t->wsnap &&
        !tw_ws_find(&t->ws, ckey, TW_WS_PREFIX + klen)) {
        int found;
        uint64_t lsn;
        pthread_rwlock_rdlock(&eng->latch);
        rc = tw_engine_read(eng, table, key, klen, t->snapshot, &t->scratch, &found, &lsn, err);
        pthread_rwlock_unlock(&eng->latch);
        if (rc) return rc;
        if (lsn > t->wsnap) {
            pthread_mutex_lock(&eng->commit_mu); /* where commits count theirs */
            eng->n_conflicts++;
            pthread_mutex_unlock(&eng->commit_mu);
            return tw_err_set(err, TWILL_CONFLICT, "40001",
                              "could not serialize access due to concurrent update");
        }
    }
    if (tw_ws_write(&t->ws, ckey, TW_WS_PREFIX + klen, t->cid, deleted, val, vlen))
        return nomem(err);
    return TWILL_OK;
}

int tw_txn_put(tw_txn *t, uint64_t table, const void *key, size_t klen, const void *val,
               size_t vlen, tw_err *err) {
    return write(t, table, key, klen, 0, val, vlen, err);
}

int tw_txn_delete(tw_txn *t, uint64_t table, const void *key, size_t klen, tw_err *err) {
    return write(t, table, key, klen, 1, NULL, 0, err);
}

int tw_txn_drop_table(tw_txn *t, uint64_t table, tw_err *err) {
    if (table == 0) return tw_err_set(err, TWILL_MISUSE, NULL, "table id 0 is reserved");
    if (t->ndrops == t->capdrops) {
        size_t cap = t->capdrops ? t->capdrops * 2 : 4;
        tw_dropped *d = realloc(t->drops, cap * sizeof *d);
        if (!d) return nomem(err);
        t->drops = d;
        t->capdrops = cap;
    }
    t->drops[t->ndrops++] = (tw_dropped){table, t->cid};
    note_first_write(t);
    return TWILL_OK;
}

int tw_txn_max_key(tw_txn *t, uint64_t table, tw_buf *key, int *found, tw_err *err) {
    *found = 0;
    tw_engine *eng = t->eng;
    pthread_rwlock_rdlock(&eng->latch);
    uint32_t root = tw_engine_root(eng, table);
    int rc = check_not_dropped(t, table, err);
    if (!rc && root) {
        tw_btcursor *c;
        if (!(rc = tw_btcursor_open(eng->pg, root, &c, err))) {
            if (!(rc = tw_btcursor_last(c, err)) && tw_btcursor_valid(c)) {
                size_t klen;
                const void *k = tw_btcursor_key(c, &klen);
                if (tw_buf_set(key, k, klen))
                    rc = nomem(err);
                else
                    *found = 1;
            }
            tw_btcursor_close(c);
        }
    }
    pthread_rwlock_unlock(&eng->latch);
    if (rc || !t->ws_ready || !t->ws.count) return rc;
    uint8_t next[TW_WS_PREFIX];
    tw_ws_make_prefix(next, table + 1);
    tw_ws_node *n = tw_ws_seek_lt(&t->ws, next, TW_WS_PREFIX);
    uint8_t prefix[TW_WS_PREFIX];
    tw_ws_make_prefix(prefix, table);
    if (n && n->klen >= TW_WS_PREFIX && memcmp(n->key, prefix, TW_WS_PREFIX) == 0) {
        const uint8_t *k = n->key + TW_WS_PREFIX;
        size_t klen = n->klen - TW_WS_PREFIX;
        size_t m = klen < key->len ? klen : key->len;
        int c = *found ? memcmp(k, key->p, m) : 1;
        if (!*found || c > 0 || (c == 0 && klen > key->len)) {
            if (tw_buf_set(key, k, klen)) return nomem(err);
            *found = 1;
        }
    }
    return TWILL_OK;
}

/* ---- cursors ---- */

/* The tree side of a cursor reads a leaf at a time (tw_btcursor_scan) under one shared
 * latch, resolving each row to the snapshot as it goes, and keeps the visible rows in
 * `batch` as [u32 klen][key][u32 vlen][value] entries. */
struct tw_cursor {
    tw_txn *t;
    uint64_t table;
    uint8_t prefix[TW_WS_PREFIX];
    uint32_t limit;   /* sees write-set versions with cid < limit */
    uint32_t dropped; /* this txn dropped the table at cid dropped-1 (0: no) */
    tw_btcursor *bt;  /* NULL: no committed tree (or hidden by a drop) */
    tw_buf batch;     /* visible tree rows not yet consumed */
    size_t pos;       /* read position in batch */
    int cb_rc;        /* failure inside the scan callback */
    tw_buf ovf;       /* an overflow value being read */
    tw_ws_node *wn;   /* next write-set node of this table (NULL: none) */
    int valid;
    tw_buf key, val; /* the current entry, when it came from the write set */
    const uint8_t *cur_k, *cur_v;
    size_t cur_kl, cur_vl;
};

int tw_cursor_open(tw_txn *t, uint64_t table, tw_cursor **out, tw_err *err) {
    *out = NULL;
    tw_cursor *c = calloc(1, sizeof *c);
    if (!c) return nomem(err);
    c->t = t;
    c->table = table;
    tw_ws_make_prefix(c->prefix, table);
    c->limit = t->cid;
    c->dropped = t->ndrops ? dropped_below(t, table, c->limit) : 0;
    *out = c;
    return TWILL_OK;
}

void tw_cursor_close(tw_cursor *c) {
    if (!c) return;
    if (c->bt) tw_btcursor_close(c->bt);
    tw_buf_free(&c->batch);
    tw_buf_free(&c->ovf);
    tw_buf_free(&c->key);
    tw_buf_free(&c->val);
    free(c);
}

static int batch_add(tw_cursor *c, const void *key, size_t klen, const void *row, size_t rowlen) {
    uint8_t ckey[TW_WS_PREFIX + TW_BTREE_MAX_KEY];
    if (klen > TW_BTREE_MAX_KEY) return TWILL_CORRUPT;
    memcpy(ckey, c->prefix, TW_WS_PREFIX);
    memcpy(ckey + TW_WS_PREFIX, key, klen);
    const uint8_t *val;
    size_t vlen;
    int vis = tw_engine_resolve(c->t->eng, ckey, TW_WS_PREFIX + klen, row, rowlen, c->t->snapshot,
                                &val, &vlen);
    if (vis < 0) return TWILL_CORRUPT;
    if (vis == 0) return TWILL_OK;
    if (tw_buf_reserve(&c->batch, 8 + klen + vlen)) return TWILL_NOMEM;
    tw_buf_put_u32(&c->batch, (uint32_t)klen);
    tw_buf_append(&c->batch, key, klen);
    tw_buf_put_u32(&c->batch, (uint32_t)vlen);
    tw_buf_append(&c->batch, val, vlen);
    return TWILL_OK;
}

static int scan_cb(void *arg, const void *key, size_t klen, const void *row, size_t rowlen) {
    tw_cursor *c = arg;
    c->cb_rc = batch_add(c, key, klen, row, rowlen);
    return c->cb_rc != TWILL_OK;
}

static int cb_error(int rc, tw_err *err) {
    if (rc == TWILL_NOMEM) return nomem(err);
    return tw_err_set(err, TWILL_CORRUPT, "XX001", "damaged row header");
}

/* Refills the batch from the tree (latch held shared inside). */
static int refill(tw_cursor *c, tw_err *err) {
    tw_buf_reset(&c->batch);
    c->pos = 0;
    if (!c->bt || !tw_btcursor_valid(c->bt)) return TWILL_OK;
    tw_engine *eng = c->t->eng;
    pthread_rwlock_rdlock(&eng->latch);
    int rc = check_not_dropped(c->t, c->table, err);
    while (!rc && c->batch.len == 0 && tw_btcursor_valid(c->bt)) {
        size_t visited;
        c->cb_rc = TWILL_OK;
        rc = tw_btcursor_scan(c->bt, scan_cb, c, &visited, err);
        if (!rc && c->cb_rc) rc = cb_error(c->cb_rc, err);
        if (rc || visited || !tw_btcursor_valid(c->bt)) continue;
        /* A value in overflow pages: read it the long way. */
        size_t klen;
        const void *k = tw_btcursor_key(c->bt, &klen);
        uint8_t kcopy[TW_BTREE_MAX_KEY];
        memcpy(kcopy, k, klen);
        if (!(rc = tw_btcursor_value(c->bt, &c->ovf, err)) &&
            (rc = batch_add(c, kcopy, klen, c->ovf.p, c->ovf.len)))
            rc = cb_error(rc, err);
        if (!rc) rc = tw_btcursor_next(c->bt, err);
    }
    pthread_rwlock_unlock(&eng->latch);
    if (c->ovf.cap > (1u << 20)) tw_buf_free(&c->ovf);
    return rc;
}

/* The next visible tree row, refilling as needed; 0 at the end. */
static int tree_peek(tw_cursor *c, const uint8_t **k, size_t *kl, const uint8_t **v, size_t *vl,
                     int *have, tw_err *err) {
    *have = 0;
    if (c->pos >= c->batch.len) {
        int rc = refill(c, err);
        if (rc) return rc;
        if (c->batch.len == 0) return TWILL_OK;
    }
    const uint8_t *p = c->batch.p + c->pos;
    *kl = tw_load_u32(p);
    *k = p + 4;
    *vl = tw_load_u32(p + 4 + *kl);
    *v = p + 8 + *kl;
    *have = 1;
    return TWILL_OK;
}

static void tree_skip(tw_cursor *c) {
    size_t kl = tw_load_u32(c->batch.p + c->pos);
    size_t vl = tw_load_u32(c->batch.p + c->pos + 4 + kl);
    c->pos += 8 + kl + vl;
}

static void ws_settle(tw_cursor *c) {
    if (c->wn && (c->wn->klen < TW_WS_PREFIX || memcmp(c->wn->key, c->prefix, TW_WS_PREFIX)))
        c->wn = NULL;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int r = memcmp(a, b, n);
    return r ? r : (alen < blen ? -1 : alen > blen);
}

/* Moves to the first visible entry at or after the current positions, consuming it. The
 * current entry points into the batch (tree) or the write set, both stable until the
 * next move. */
static int settle(tw_cursor *c, tw_err *err) {
    for (;;) {
        const uint8_t *tk = NULL, *tv = NULL;
        size_t tkl = 0, tvl = 0;
        int have_bt;
        int rc = tree_peek(c, &tk, &tkl, &tv, &tvl, &have_bt, err);
        if (rc) return rc;
        if (!c->wn && !have_bt) {
            c->valid = 0;
            return TWILL_OK;
        }
        int cmp = 0;
        if (c->wn && have_bt)
            cmp = key_cmp(c->wn->key + TW_WS_PREFIX, c->wn->klen - TW_WS_PREFIX, tk, tkl);
        if (c->wn && (!have_bt || cmp <= 0)) {
            tw_ws_node *n = c->wn;
            tw_ws_version *v = tw_ws_visible(n, c->limit);
            if (v && v->cid + 1 <= c->dropped) v = NULL;
            c->wn = n->next[0];
            ws_settle(c);
            if (v) {
                if (have_bt && cmp == 0) tree_skip(c); /* our write shadows the tree row */
                if (v->deleted) continue;
                c->cur_k = n->key + TW_WS_PREFIX;
                c->cur_kl = n->klen - TW_WS_PREFIX;
                c->cur_v = v->val;
                c->cur_vl = v->vlen;
                c->valid = 1;
                return TWILL_OK;
            }
            if (!(have_bt && cmp == 0)) continue; /* nothing of ours visible: fall to tree */
        }
        c->cur_k = tk;
        c->cur_kl = tkl;
        c->cur_v = tv;
        c->cur_vl = tvl;
        tree_skip(c);
        c->valid = 1;
        return TWILL_OK;
    }
}

static _Thread_local const _Atomic int *tl_interrupt;

void tw_txn_set_interrupt(const _Atomic int *flag) {
    tl_interrupt = flag;
}

static int interrupted(tw_err *err) {
    if (!tl_interrupt || !atomic_load_explicit(tl_interrupt, memory_order_relaxed)) return 0;
    return tw_err_set(err, TWILL_ERROR, "57014", "canceling statement due to user request");
}

int tw_cursor_seek(tw_cursor *c, const void *key, size_t klen, tw_err *err) {
    if (interrupted(err)) return TWILL_ERROR;
    int rc = check_key(klen, err);
    if (rc) return rc;
    c->valid = 0;
    tw_txn *t = c->t;
    c->wn = NULL;
    if (t->ws_ready && t->ws.count) {
        uint8_t ckey[TW_WS_PREFIX + TW_TXN_MAX_KEY];
        memcpy(ckey, c->prefix, TW_WS_PREFIX);
        if (klen) memcpy(ckey + TW_WS_PREFIX, key, klen);
        c->wn = tw_ws_seek(&t->ws, ckey, TW_WS_PREFIX + klen);
        ws_settle(c);
    }
    tw_buf_reset(&c->batch);
    c->pos = 0;
    if (!c->dropped) {
        tw_engine *eng = t->eng;
        pthread_rwlock_rdlock(&eng->latch);
        rc = check_not_dropped(t, c->table, err);
        uint32_t root = tw_engine_root(eng, c->table);
        if (!rc && root && !c->bt) rc = tw_btcursor_open(eng->pg, root, &c->bt, err);
        if (!rc && c->bt)
            rc = klen ? tw_btcursor_seek(c->bt, key, klen, err) : tw_btcursor_first(c->bt, err);
        pthread_rwlock_unlock(&eng->latch);
        if (rc) return rc;
    }
    return settle(c, err);
}

int tw_cursor_next(tw_cursor *c, tw_err *err) {
    if (!c->valid) return TWILL_OK;
    if (interrupted(err)) return TWILL_ERROR;
    return settle(c, err);
}

int tw_cursor_valid(const tw_cursor *c) {
    return c->valid;
}

const void *tw_cursor_key(const tw_cursor *c, size_t *klen) {
    *klen = c->valid ? c->cur_kl : 0;
    return c->valid ? c->cur_k : NULL;
}

const void *tw_cursor_value(const tw_cursor *c, size_t *vlen) {
    *vlen = c->valid ? c->cur_vl : 0;
    return c->valid ? c->cur_v : NULL;
}
