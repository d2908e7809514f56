/*
 * engine.c — opening a database (lease, newest checkpoint, replay of the log above
 * it), applying commit records to the B+trees, checkpoints, and closing.
 *
 * Applying a record is the only way pages change, and it is the same code for a live
 * commit and for replay, so recovery rebuilds exactly the committed state. Live
 * commits additionally keep the versions older snapshots still need (versions.h)
 * and leave tombstones for deleted keys until no snapshot can see them.
 */
#include "txn/engine_internal.h"
#include "wal/record.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_CACHE_PAGES 32768 /* 256 MiB of 8 KiB pages */
#define DEFAULT_CKPT_DIRTY 16384  /* checkpoint once 128 MiB are dirty */

/* ---- u64 map: open addressing, linear probing, key 0 = empty ---- */

static size_t slot_of(uint64_t k, size_t cap) {
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 17) & (cap - 1);
}

static int u64map_grow(tw_u64map *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return TWILL_NOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t s = slot_of(m->keys[i], cap);
        while (keys[s]) s = (s + 1) & (cap - 1);
        keys[s] = m->keys[i];
        vals[s] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return TWILL_OK;
}

int tw_u64map_put(tw_u64map *m, uint64_t k, uint64_t v) {
    if ((m->count + 1) * 2 > m->cap && u64map_grow(m)) return TWILL_NOMEM;
    size_t s = slot_of(k, m->cap);
    while (m->keys[s] && m->keys[s] != k) s = (s + 1) & (m->cap - 1);
    if (!m->keys[s]) m->count++;
    m->keys[s] = k;
    m->vals[s] = v;
    return TWILL_OK;
}

int tw_u64map_get(const tw_u64map *m, uint64_t k, uint64_t *v) {
    if (!m->cap) return 0;
    size_t s = slot_of(k, m->cap);
    while (m->keys[s]) {
        if (m->keys[s] == k) {
            *v = m->vals[s];
            return 1;
        }
        s = (s + 1) & (m->cap - 1);
    }
    return 0;
}

void tw_u64map_del(tw_u64map *m, uint64_t k) {
    if (!m->cap) return;
    size_t s = slot_of(k, m->cap);
    while (m->keys[s] && m->keys[s] != k) s = (s + 1) & (m->cap - 1);
    if (!m->keys[s]) return;
    m->keys[s] = 0;
    m->count--;
    /* Re-insert the rest of the probe run so lookups do not stop early. */
    for (size_t j = (s + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
        uint64_t kk = m->keys[j], vv = m->vals[j];
        m->keys[j] = 0;
        m->count--;
        tw_u64map_put(m, kk, vv);
    }
}

void tw_u64map_free(tw_u64map *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- tree directory ---- */

static void be64(uint8_t out[8], uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) out[i] = (uint8_t)v;
}

uint32_t tw_engine_root(tw_engine *eng, uint64_t table) {
    uint64_t r;
    return tw_u64map_get(&eng->roots, table, &r) ? (uint32_t)r : 0;
}

static int create_table_tree(tw_engine *eng, uint64_t table, uint32_t *root, tw_err *err) {
    int rc = tw_btree_create(eng->pg, root, err);
    if (rc) return rc;
    uint8_t k[8], v[4];
    be64(k, table);
    tw_store_u32(v, *root);
    rc = tw_btree_put(eng->pg, eng->dir_root, k, 8, v, 4, err);
    if (!rc && tw_u64map_put(&eng->roots, table, *root))
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    return rc;
}

static int drop_table_tree(tw_engine *eng, uint64_t table, uint64_t lsn, tw_err *err) {
    uint32_t root = tw_engine_root(eng, table);
    if (lsn && tw_u64map_put(&eng->dropped, table, lsn))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    if (!root) return TWILL_OK;
    int rc = tw_btree_drop(eng->pg, root, err);
    if (rc) return rc;
    uint8_t k[8];
    be64(k, table);
    rc = tw_btree_delete(eng->pg, eng->dir_root, k, 8, NULL, err);
    tw_u64map_del(&eng->roots, table);
    return rc;
}

static int load_directory(tw_engine *eng, tw_err *err) {
    tw_btcursor *c;
    int rc = tw_btcursor_open(eng->pg, eng->dir_root, &c, err);
    if (rc) return rc;
    tw_buf v = {0};
    rc = tw_btcursor_first(c, err);
    while (!rc && tw_btcursor_valid(c)) {
        size_t klen;
        const uint8_t *k = tw_btcursor_key(c, &klen);
        rc = tw_btcursor_value(c, &v, err);
        if (rc) break;
        if (klen != 8 || v.len != 4) {
            rc = tw_err_set(err, TWILL_CORRUPT, "XX001", "damaged table directory entry");
            break;
        }
        uint64_t table = 0;
        for (int i = 0; i < 8; i++) table = table << 8 | k[i];
        if (tw_u64map_put(&eng->roots, table, tw_load_u32(v.p))) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            break;
        }
        rc = tw_btcursor_next(c, err);
    }
    tw_buf_free(&v);
    tw_btcursor_close(c);
    return rc;
}

/* ---- applying commit records ---- */

static int remember_purge(tw_engine *eng, const uint8_t *ckey, size_t cklen, uint64_t lsn) {
    tw_purge *p = malloc(sizeof *p + cklen);
    if (!p) return TWILL_NOMEM;
    p->next = NULL;
    p->lsn = lsn;
    p->cklen = cklen;
    memcpy(p->ckey, ckey, cklen);
    if (eng->purge_tail)
        eng->purge_tail->next = p;
    else
        eng->purge_head = p;
    eng->purge_tail = p;
    return TWILL_OK;
}

static int apply_op(tw_engine *eng, const tw_wal_op *op, uint64_t lsn, int keep_old, tw_buf *row,
                    tw_buf *old, tw_err *err) {
    int rc;
    if (op->kind == TW_OP_DROP_TABLE)
        return drop_table_tree(eng, op->table, keep_old ? lsn : 0, err);
    uint32_t root = tw_engine_root(eng, op->table);
    if (!root) {
        if (op->kind == TW_OP_DELETE) return TWILL_OK;
        if ((rc = create_table_tree(eng, op->table, &root, err))) return rc;
    }
    uint8_t ckey[TW_WS_PREFIX + TW_BTREE_MAX_KEY];
    int found = 0;
    if (keep_old) {
        if ((rc = tw_btree_get(eng->pg, root, op->key, op->klen, old, &found, err))) return rc;
        if (found) {
            if (old->len < TW_ROW_HDR)
                return tw_err_set(err, TWILL_CORRUPT, "XX001", "damaged row header");
            tw_ws_make_prefix(ckey, op->table);
            memcpy(ckey + TW_WS_PREFIX, op->key, op->klen);
            if (tw_versions_push(&eng->versions, ckey, TW_WS_PREFIX + op->klen, tw_load_u64(old->p),
                                 lsn, old->p[8] & TW_ROW_TOMBSTONE, old->p + TW_ROW_HDR,
                                 old->len - TW_ROW_HDR))
                return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        }
    }
    if (op->kind == TW_OP_DELETE && !keep_old)
        return tw_btree_delete(eng->pg, root, op->key, op->klen, NULL, err);
    if (op->kind == TW_OP_DELETE && !found) return TWILL_OK;
    tw_buf_reset(row);
    if (tw_buf_reserve(row, TW_ROW_HDR + op->vlen))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    tw_buf_put_u64(row, lsn);
    tw_buf_put_u8(row, op->kind == TW_OP_DELETE ? TW_ROW_TOMBSTONE : 0);
    tw_buf_append(row, op->val, op->vlen);
    if ((rc = tw_btree_put(eng->pg, root, op->key, op->klen, row->p, row->len, err))) return rc;
    if (op->kind == TW_OP_DELETE && remember_purge(eng, ckey, TW_WS_PREFIX + op->klen, lsn))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    return TWILL_OK;
}

int tw_engine_apply(tw_engine *eng, const void *rec, size_t len, uint64_t lsn, int keep_old,
                    tw_err *err) {
    tw_wal_reader r;
    int rc = tw_wal_reader_init(&r, rec, len, err);
    if (rc) return rc;
    tw_buf *row = &eng->apply_row, *old = &eng->apply_old;
    tw_wal_op op;
    int more;
    while ((more = tw_wal_next(&r, &op, err)) == 1) {
        if (op.klen > TW_BTREE_MAX_KEY) {
            rc = tw_err_set(err, TWILL_CORRUPT, "XX001", "commit record key too long");
            break;
        }
        if ((rc = apply_op(eng, &op, lsn, keep_old, row, old, err))) break;
    }
    if (!rc && more < 0) rc = -more;
    if (row->cap > (1u << 20)) tw_buf_free(row); /* don't pin a huge buffer forever */
    if (old->cap > (1u << 20)) tw_buf_free(old);
    return rc;
}

void tw_engine_collect(tw_engine *eng, uint64_t oldest) {
    tw_versions_gc(&eng->versions, oldest);
    tw_buf row = {0};
    while (eng->purge_head && eng->purge_head->lsn <= oldest) {
        tw_purge *p = eng->purge_head;
        uint64_t table = 0;
        for (int i = 0; i < 8; i++) table = table << 8 | p->ckey[i];
        uint32_t root = tw_engine_root(eng, table);
        int found = 0;
        const uint8_t *key = p->ckey + TW_WS_PREFIX;
        size_t klen = p->cklen - TW_WS_PREFIX;
        /* Only remove the tombstone this entry was made for, not a newer row. */
        if (root && !tw_btree_get(eng->pg, root, key, klen, &row, &found, NULL) && found &&
            row.len >= TW_ROW_HDR && tw_load_u64(row.p) == p->lsn && (row.p[8] & TW_ROW_TOMBSTONE))
            tw_btree_delete(eng->pg, root, key, klen, NULL, NULL);
        eng->purge_head = p->next;
        if (!eng->purge_head) eng->purge_tail = NULL;
        free(p);
    }
    tw_buf_free(&row);
}

int tw_engine_resolve(tw_engine *eng, const uint8_t *ckey, size_t cklen, const uint8_t *row,
                      size_t rowlen, uint64_t snapshot, const uint8_t **val, size_t *vlen) {
    if (rowlen < TW_ROW_HDR) return -1;
    if (tw_load_u64(row) <= snapshot) {
        if (row[8] & TW_ROW_TOMBSTONE) return 0;
        *val = row + TW_ROW_HDR;
        *vlen = rowlen - TW_ROW_HDR;
        return 1;
    }
    int deleted;
    if (!tw_versions_lookup(&eng->versions, ckey, cklen, snapshot, &deleted, val, vlen)) return 0;
    return !deleted;
}

int tw_engine_read(tw_engine *eng, uint64_t table, const uint8_t *key, size_t klen,
                   uint64_t snapshot, tw_buf *val, int *found, uint64_t *latest_lsn, tw_err *err) {
    *found = 0;
    if (latest_lsn) *latest_lsn = 0;
    uint32_t root = tw_engine_root(eng, table);
    if (!root) return TWILL_OK;
    int present;
    int rc = tw_btree_get(eng->pg, root, key, klen, val, &present, err);
    if (rc || !present) return rc;
    if (val->len < TW_ROW_HDR) return tw_err_set(err, TWILL_CORRUPT, "XX001", "damaged row header");
    if (latest_lsn) *latest_lsn = tw_load_u64(val->p);
    if (tw_load_u64(val->p) <= snapshot) {
        if (val->p[8] & TW_ROW_TOMBSTONE) return TWILL_OK;
        memmove(val->p, val->p + TW_ROW_HDR, val->len - TW_ROW_HDR);
        val->len -= TW_ROW_HDR;
        *found = 1;
        return TWILL_OK;
    }
    uint8_t ckey[TW_WS_PREFIX + TW_BTREE_MAX_KEY];
    tw_ws_make_prefix(ckey, table);
    memcpy(ckey + TW_WS_PREFIX, key, klen);
    int deleted;
    const uint8_t *v;
    size_t vlen;
    if (!tw_versions_lookup(&eng->versions, ckey, TW_WS_PREFIX + klen, snapshot, &deleted, &v,
                            &vlen) ||
        deleted)
        return TWILL_OK;
    if (tw_buf_set(val, v, vlen)) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    *found = 1;
    return TWILL_OK;
}

/* ---- snapshots ---- */

uint64_t tw_engine_oldest_snapshot(tw_engine *eng) {
    uint64_t oldest = UINT64_MAX;
    for (tw_txn *t = eng->reg_head; t; t = t->reg_next)
        if (t->snapshot < oldest) oldest = t->snapshot;
    return oldest;
}

uint64_t tw_engine_visible_lsn(tw_engine *eng) {
    return atomic_load(&eng->visible_lsn);
}

/* ---- checkpoints ---- */

/* Caller is the only thread that changes pages (pipeline leader, opener or closer).
 * The exclusive latch keeps readers from faulting pages in while the pager writes. */
static int checkpoint_locked(tw_engine *eng, tw_err *err) {
    uint64_t lsn = atomic_load(&eng->visible_lsn);
    if (lsn == 0 && tw_pager_dirty_count(eng->pg) == 0) return TWILL_OK;
    if (lsn <= eng->ckpt_lsn && tw_pager_dirty_count(eng->pg) == 0) return TWILL_OK;
    if (lsn <= eng->ckpt_lsn) {
        /* Dirty pages with no new commit (tombstone purges): they ride along with the next
         * checkpoint; the store needs a strictly newer LSN. */
        return TWILL_OK;
    }
    int rc = tw_pager_checkpoint(eng->pg, lsn, err);
    if (rc) return rc;
    eng->ckpt_lsn = lsn;
    eng->n_checkpoints++;
    return eng->st->ops->log_truncate(eng->st, lsn, err);
}

int tw_engine_maybe_checkpoint(tw_engine *eng, tw_err *err) {
    if (tw_pager_dirty_count(eng->pg) < eng->ckpt_dirty) return TWILL_OK;
    pthread_rwlock_wrlock(&eng->latch);
    int rc = checkpoint_locked(eng, err);
    pthread_rwlock_unlock(&eng->latch);
    return rc;
}

int tw_engine_checkpoint(tw_engine *eng, tw_err *err) {
    /* Become the pipeline's leader so no commit applies while pages are written. */
    pthread_mutex_lock(&eng->commit_mu);
    while (eng->leader_active) pthread_cond_wait(&eng->commit_cv, &eng->commit_mu);
    eng->leader_active = 1;
    pthread_mutex_unlock(&eng->commit_mu);

    pthread_rwlock_wrlock(&eng->latch);
    int rc = checkpoint_locked(eng, err);
    pthread_rwlock_unlock(&eng->latch);

    pthread_mutex_lock(&eng->commit_mu);
    eng->leader_active = 0;
    pthread_cond_broadcast(&eng->commit_cv);
    pthread_mutex_unlock(&eng->commit_mu);
    return rc;
}

/* ---- open / close ---- */

typedef struct replay_ctx {
    tw_engine *eng;
    tw_err *err;
} replay_ctx;

static int replay_one(void *arg, uint64_t lsn, uint32_t rec_index, const void *data, size_t len) {
    replay_ctx *c = arg;
    (void)rec_index;
    return tw_engine_apply(c->eng, data, len, lsn, 0, c->err);
}

static void engine_free(tw_engine *eng) {
    if (eng->pg) tw_pager_close(eng->pg);
    if (eng->st) eng->st->ops->close(eng->st);
    tw_u64map_free(&eng->roots);
    tw_u64map_free(&eng->dropped);
    tw_versions_free(&eng->versions);
    while (eng->purge_head) {
        tw_purge *p = eng->purge_head;
        eng->purge_head = p->next;
        free(p);
    }
    tw_buf_free(&eng->apply_row);
    tw_buf_free(&eng->apply_old);
    pthread_rwlock_destroy(&eng->latch);
    pthread_mutex_destroy(&eng->snap_mu);
    pthread_mutex_destroy(&eng->commit_mu);
    pthread_cond_destroy(&eng->commit_cv);
    free(eng);
}

int tw_engine_open(const char *url, const tw_engine_opts *opts, tw_engine **out, tw_err *err) {
    *out = NULL;
    tw_engine *eng = calloc(1, sizeof *eng);
    if (!eng) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    pthread_rwlock_init(&eng->latch, NULL);
    pthread_mutex_init(&eng->snap_mu, NULL);
    pthread_mutex_init(&eng->commit_mu, NULL);
    pthread_cond_init(&eng->commit_cv, NULL);
    int rc = tw_versions_init(&eng->versions);
    if (rc) {
        engine_free(eng);
        return tw_err_set(err, rc, NULL, "out of memory");
    }
    size_t cache = opts && opts->cache_pages ? opts->cache_pages : DEFAULT_CACHE_PAGES;
    eng->ckpt_dirty = opts && opts->ckpt_dirty ? opts->ckpt_dirty : DEFAULT_CKPT_DIRTY;
    tw_storage_opts sopts = {.create = opts ? opts->create : 1};
    tw_storage_meta meta;
    if ((rc = tw_storage_open(url, &sopts, &eng->st, err)) ||
        (rc = eng->st->ops->lease_acquire(eng->st, &eng->epoch, err)) ||
        (rc = eng->st->ops->meta(eng->st, &meta, err)) ||
        (rc = tw_pager_open(eng->st, cache, &eng->pg, err))) {
        engine_free(eng);
        return rc;
    }
    eng->ckpt_lsn = meta.checkpoint_lsn;
    eng->dir_root = (uint32_t)tw_pager_root(eng->pg, TW_SLOT_DIRECTORY);
    if (!eng->dir_root) {
        if ((rc = tw_btree_create(eng->pg, &eng->dir_root, err))) {
            engine_free(eng);
            return rc;
        }
        tw_pager_set_root(eng->pg, TW_SLOT_DIRECTORY, eng->dir_root);
    }
    replay_ctx rctx = {eng, err};
    if ((rc = load_directory(eng, err)) ||
        (rc = eng->st->ops->log_scan(eng->st, meta.checkpoint_lsn, meta.durable_lsn, replay_one,
                                     &rctx, err))) {
        engine_free(eng);
        return rc;
    }
    atomic_store(&eng->visible_lsn, meta.durable_lsn);
    *out = eng;
    return TWILL_OK;
}

void tw_engine_close(tw_engine *eng) {
    if (!eng) return;
    pthread_rwlock_wrlock(&eng->latch);
    tw_engine_collect(eng, UINT64_MAX);
    if (!eng->failed) checkpoint_locked(eng, NULL); /* best effort: the log has it all */
    pthread_rwlock_unlock(&eng->latch);
    eng->st->ops->lease_release(eng->st, eng->epoch, NULL);
    engine_free(eng);
}

void tw_engine_get_stats(tw_engine *eng, tw_engine_stats *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&eng->commit_mu);
    out->commits = eng->n_commits;
    out->batches = eng->n_batches;
    out->max_batch = eng->max_batch;
    out->conflicts = eng->n_conflicts;
    out->checkpoints = eng->n_checkpoints;
    pthread_mutex_unlock(&eng->commit_mu);
    tw_pager_stats ps;
    tw_pager_get_stats(eng->pg, &ps);
    out->cache_hits = ps.hits;
    out->cache_misses = ps.misses;
}
