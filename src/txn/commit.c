/*
 * commit.c — the commit pipeline: validation (first committer wins), group commit,
 * durable-after-ack, apply.
 *
 * A committing transaction validates its keys under commit_mu against (a) rows
 * committed after its snapshot and (b) transactions already queued or in flight,
 * then joins the queue. Whichever waiting thread finds no leader becomes the leader:
 * it takes the whole queue as one batch, appends it to the log with one durable
 * write (the other transactions ride along: group commit), applies it to the trees,
 * publishes the new visible LSN, and wakes the batch. Leadership then passes to any
 * thread still waiting, so no thread leads forever.
 */
#include "txn/engine_internal.h"
#include "wal/record.h"

#include <stdlib.h>
#include <string.h>

static uint64_t table_of(const uint8_t *ckey) {
    uint64_t t = 0;
    for (int i = 0; i < TW_WS_PREFIX; i++) t = t << 8 | ckey[i];
    return t;
}

/* The first write-set node, NULL when nothing was written: a transaction whose only
 * changes are table drops (TRUNCATE) never initialized its write set. */
static tw_ws_node *ws_first(const tw_txn *t) {
    return t->ws_ready ? tw_ws_first(&t->ws) : NULL;
}

/* The command id at which this transaction last dropped `table` (0: never). */
static uint32_t drop_cid(const tw_txn *t, uint64_t table) {
    uint32_t cid = 0;
    for (size_t i = 0; i < t->ndrops; i++)
        if (t->drops[i].table == table && t->drops[i].cid + 1 > cid) cid = t->drops[i].cid + 1;
    return cid;
}

static int build_record(tw_txn *t, tw_err *err) {
    uint64_t nops = t->ndrops;
    for (tw_ws_node *n = ws_first(t); n; n = n->next[0])
        if (n->ver && n->ver->cid + 1 > drop_cid(t, table_of(n->key))) nops++;
    tw_buf *b = &t->record;
    if (tw_buf_reserve(b, 16 + t->ws.bytes + t->ws.count * 16) || tw_wal_begin(b, nops))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory building the commit record");
    for (size_t i = 0; i < t->ndrops; i++)
        if (tw_wal_append_op(b, TW_OP_DROP_TABLE, t->drops[i].table, NULL, 0, NULL, 0))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory building the commit record");
    for (tw_ws_node *n = ws_first(t); n; n = n->next[0]) {
        uint64_t table = table_of(n->key);
        tw_ws_version *v = n->ver;
        if (!v) continue; /* every write of this key was rolled back to a savepoint */
        if (v->cid + 1 <= drop_cid(t, table)) continue; /* written before the table was dropped */
        if (tw_wal_append_op(b, v->deleted ? TW_OP_DELETE : TW_OP_PUT, table, n->key + TW_WS_PREFIX,
                             n->klen - TW_WS_PREFIX, v->val, v->deleted ? 0 : v->vlen))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory building the commit record");
    }
    return TWILL_OK;
}

static int conflict(tw_engine *eng, tw_err *err) {
    eng->n_conflicts++;
    return tw_err_set(err, TWILL_CONFLICT, "40001",
                      "could not serialize access due to concurrent update");
}

static int pending_has(const tw_txn *q, const tw_ws_node *n) {
    for (; q; q = q->queue_next)
        if (q->ws_ready) {
            const tw_ws_node *m = tw_ws_find(&q->ws, n->key, n->klen);
            if (m && m->ver) return 1; /* an emptied node (savepoint rollback) wrote nothing */
        }
    return 0;
}

/* Under commit_mu. */
static int validate(tw_txn *t, tw_err *err) {
    tw_engine *eng = t->eng;
    uint64_t base = t->wsnap_set ? t->wsnap : t->snapshot; /* see txn.h: READ COMMITTED */
    if (atomic_load(&eng->visible_lsn) == base && !eng->queue_head && !eng->inflight)
        return TWILL_OK; /* nothing committed or pending since our snapshot */
    int rc = TWILL_OK;
    pthread_rwlock_rdlock(&eng->latch);
    for (size_t i = 0; i < t->ndrops; i++) {
        uint64_t lsn;
        if (tw_u64map_get(&eng->dropped, t->drops[i].table, &lsn) && lsn > base) {
            rc = conflict(eng, err);
            goto out;
        }
    }
    for (tw_ws_node *n = ws_first(t); n; n = n->next[0]) {
        if (!n->ver) continue;
        if (pending_has(eng->queue_head, n) || pending_has(eng->inflight, n)) {
            rc = conflict(eng, err);
            goto out;
        }
        uint64_t table = table_of(n->key), lsn;
        if (tw_u64map_get(&eng->dropped, table, &lsn) && lsn > base) {
            rc = conflict(eng, err);
            goto out;
        }
        int found;
        if ((rc = tw_engine_read(eng, table, n->key + TW_WS_PREFIX, n->klen - TW_WS_PREFIX,
                                 t->snapshot, &t->scratch, &found, &lsn, err)))
            goto out;
        if (lsn > base) {
            rc = conflict(eng, err);
            goto out;
        }
    }
out:
    pthread_rwlock_unlock(&eng->latch);
    return rc;
}

static void finish_batch(tw_engine *eng, tw_txn *batch, int rc, const tw_err *err) {
    for (tw_txn *q = batch; q; q = q->queue_next) {
        q->result = rc;
        if (rc) tw_err_copy(&q->result_err, err);
        q->done = 1;
    }
}

/* Called and returns with commit_mu held; leader_active is set by the caller. */
static void lead(tw_engine *eng) {
    tw_txn *batch = eng->queue_head;
    eng->queue_head = eng->queue_tail = NULL;
    eng->inflight = batch;
    size_t n = 0;
    for (tw_txn *q = batch; q; q = q->queue_next) n++;
    if (eng->failed) {
        finish_batch(eng, batch, eng->fail_err.code, &eng->fail_err);
        goto done;
    }
    pthread_mutex_unlock(&eng->commit_mu);

    tw_err err;
    tw_err_clear(&err);
    int rc = TWILL_OK;
    uint64_t lsn = 0;
    tw_iov *iov = malloc(n * sizeof *iov);
    if (!iov) {
        rc = tw_err_set(&err, TWILL_NOMEM, NULL, "out of memory");
    } else {
        size_t i = 0;
        for (tw_txn *q = batch; q; q = q->queue_next, i++)
            iov[i] = (tw_iov){q->record.p, q->record.len};
        rc = eng->st->ops->log_append(eng->st, eng->epoch, iov, n, &lsn, &err);
        free(iov);
    }
    int poisoned = rc != TWILL_OK;
    tw_err apply_err;
    tw_err_clear(&apply_err);
    if (!rc) {
        pthread_mutex_lock(&eng->snap_mu);
        uint64_t oldest = tw_engine_oldest_snapshot(eng);
        pthread_rwlock_wrlock(&eng->latch);
        for (tw_txn *q = batch; q && !poisoned; q = q->queue_next)
            if (tw_engine_apply(eng, q->record.p, q->record.len, lsn, oldest < lsn, &apply_err))
                poisoned = 1;
        atomic_store(&eng->visible_lsn, lsn);
        if (!poisoned) tw_engine_collect(eng, oldest);
        pthread_rwlock_unlock(&eng->latch);
        pthread_mutex_unlock(&eng->snap_mu);
        /* A failed checkpoint loses nothing (the log has it); the next one retries. */
        if (!poisoned) tw_engine_maybe_checkpoint(eng, NULL);
    }

    pthread_mutex_lock(&eng->commit_mu);
    if (poisoned && !eng->failed) {
        /* After a failed append we cannot know what is durable; after a failed apply the
         * trees no longer match the log. Either way: stop writing; reopen to recover. */
        eng->failed = 1;
        tw_err_clear(&eng->fail_err);
        if (rc)
            tw_err_copy(&eng->fail_err, &err);
        else
            tw_err_copy(&eng->fail_err, &apply_err);
        if (eng->fail_err.code == TWILL_OK)
            tw_err_set(&eng->fail_err, TWILL_IOERR, NULL, "commit pipeline failed");
    }
    if (!rc) {
        eng->n_commits += n;
        eng->n_batches++;
        if (n > eng->max_batch) eng->max_batch = n;
    }
    /* Durable batches are acknowledged even if applying them failed: they will be
     * replayed on the next open. */
    finish_batch(eng, batch, rc, &err);
done:
    eng->inflight = NULL;
    eng->leader_active = 0;
    pthread_cond_broadcast(&eng->commit_cv);
}

int tw_commit_submit(tw_txn *t, tw_err *err) {
    tw_engine *eng = t->eng;
    int rc = build_record(t, err);
    if (rc) return rc;
    tw_err_clear(&t->result_err);
    pthread_mutex_lock(&eng->commit_mu);
    if (eng->failed) {
        tw_err_copy(err, &eng->fail_err);
        rc = eng->fail_err.code;
        pthread_mutex_unlock(&eng->commit_mu);
        return rc;
    }
    if ((rc = validate(t, err))) {
        pthread_mutex_unlock(&eng->commit_mu);
        return rc;
    }
    t->queue_next = NULL;
    t->done = 0;
    if (eng->queue_tail)
        eng->queue_tail->queue_next = t;
    else
        eng->queue_head = t;
    eng->queue_tail = t;
    while (!t->done) {
        if (!eng->leader_active) {
            eng->leader_active = 1;
            lead(eng);
            continue;
        }
        pthread_cond_wait(&eng->commit_cv, &eng->commit_mu);
    }
    rc = t->result;
    if (rc) tw_err_copy(err, &t->result_err);
    pthread_mutex_unlock(&eng->commit_mu);
    return rc;
}
