/*
 * engine_internal.h — the state shared by the txn module's files (engine.c: open,
 * recovery, apply, checkpoint; commit.c: the group-commit pipeline; txn.c: reads,
 * writes and cursors). Not for use outside src/txn/.
 *
 * Locking order (outer first): commit_mu → snap_mu → latch. The leader of the commit
 * pipeline is the only thread that changes pages, so a checkpoint needs no latch.
 */
#ifndef TW_TXN_ENGINE_INTERNAL_H
#define TW_TXN_ENGINE_INTERNAL_H

#include "access/btree.h"
#include "access/pager.h"
#include "storage/storage.h"
#include "txn/txn.h"
#include "txn/versions.h"
#include "txn/writeset.h"

#include <pthread.h>
#include <stdatomic.h>

/* Every row in a B+tree starts with this header: the commit LSN that wrote it and
 * whether it is a deletion (a tombstone kept while older snapshots may need the key). */
#define TW_ROW_HDR 9
#define TW_ROW_TOMBSTONE 1

/* Pager root slot holding the tree directory (table id -> root page). */
#define TW_SLOT_DIRECTORY 0

typedef struct tw_u64map {
    uint64_t *keys; /* 0 = empty slot (table id 0 is reserved) */
    uint64_t *vals;
    size_t cap, count;
} tw_u64map;

typedef struct tw_purge {
    struct tw_purge *next;
    uint64_t lsn;
    size_t cklen;
    uint8_t ckey[];
} tw_purge;

typedef struct tw_dropped {
    uint64_t table;
    uint32_t cid;
} tw_dropped;

struct tw_txn {
    tw_engine *eng;
    uint64_t snapshot; /* what reads see (advanced per statement under READ COMMITTED) */
    /* what write conflicts are judged against: the snapshot when the first write was
     * made (commits after it to a key this transaction wrote are conflicts) */
    uint64_t wsnap;
    int wsnap_set;
    uint32_t cid; /* current command */
    tw_writeset ws;
    int ws_ready;
    tw_dropped *drops;
    size_t ndrops, capdrops;
    /* registry of live transactions (for the oldest snapshot) */
    tw_txn *reg_prev, *reg_next;
    int registered;
    /* commit pipeline */
    tw_txn *queue_next;
    tw_buf record;
    int done;
    int result;
    tw_err result_err;
    tw_buf scratch;
};

struct tw_engine {
    tw_storage *st;
    tw_pager *pg;
    uint64_t epoch;
    size_t ckpt_dirty;
    uint64_t ckpt_lsn;

    /* Tree latch: shared for reads, exclusive for applying commits. */
    pthread_rwlock_t latch;
    uint32_t dir_root;
    tw_u64map roots;   /* table id -> root page (cache of the directory tree) */
    tw_u64map dropped; /* table id -> LSN of the commit that dropped it */
    tw_versions versions;
    tw_purge *purge_head, *purge_tail;
    tw_buf apply_row, apply_old; /* scratch of the one thread applying commits */

    /* Snapshots: begin takes the visible LSN and registers under snap_mu; apply holds
     * snap_mu so no snapshot is taken halfway through a batch. */
    pthread_mutex_t snap_mu;
    _Atomic uint64_t visible_lsn;
    tw_txn *reg_head;
    size_t nlive;

    /* Commit pipeline. */
    pthread_mutex_t commit_mu;
    pthread_cond_t commit_cv;
    tw_txn *queue_head, *queue_tail; /* validated, waiting for the leader */
    tw_txn *inflight;                /* the batch being written and applied */
    size_t ninflight;
    int leader_active;
    int failed; /* a log append failed: durability unknown, refuse further writes */
    tw_err fail_err;

    /* Stats (under commit_mu). */
    uint64_t n_commits, n_batches, max_batch, n_conflicts, n_checkpoints;
};

/* u64 map */
int tw_u64map_put(tw_u64map *m, uint64_t k, uint64_t v);
int tw_u64map_get(const tw_u64map *m, uint64_t k, uint64_t *v);
void tw_u64map_del(tw_u64map *m, uint64_t k);
void tw_u64map_free(tw_u64map *m);

/* engine.c */
uint64_t tw_engine_oldest_snapshot(tw_engine *eng); /* under snap_mu */
/* Applies one commit record at lsn (latch held exclusively). keep_old: save versions for
 * older snapshots. */
int tw_engine_apply(tw_engine *eng, const void *rec, size_t len, uint64_t lsn, int keep_old,
                    tw_err *err);
/* Purges tombstones and old versions no snapshot needs (latch held exclusively). */
void tw_engine_collect(tw_engine *eng, uint64_t oldest);
/* Root page of a table; 0 if it has no tree (latch held, shared or exclusive). */
uint32_t tw_engine_root(tw_engine *eng, uint64_t table);
/* Reads the committed row of ckey visible at snapshot into *val (latch held shared).
 * *found = 0 if none is visible. *latest_lsn (may be NULL) gets the LSN of the newest
 * committed version in the tree (0 if none). */
int tw_engine_read(tw_engine *eng, uint64_t table, const uint8_t *key, size_t klen,
                   uint64_t snapshot, tw_buf *val, int *found, uint64_t *latest_lsn, tw_err *err);
/* Resolves a raw tree row (header + payload) to the version visible at snapshot. */
int tw_engine_resolve(tw_engine *eng, const uint8_t *ckey, size_t cklen, const uint8_t *row,
                      size_t rowlen, uint64_t snapshot, const uint8_t **val, size_t *vlen);
int tw_engine_maybe_checkpoint(tw_engine *eng, tw_err *err);

/* commit.c */
int tw_commit_submit(tw_txn *t, tw_err *err);

/* txn.c */
void tw_txn_unregister(tw_txn *t);
void tw_txn_free(tw_txn *t);

#endif
