/*
 * txn.h — the transactional key-value engine: MVCC snapshots over B+trees, a commit
 * pipeline with group commit, recovery. This is the interface the SQL layer uses.
 *
 * Data model: numbered tables (uint64 ids chosen by the caller; 0 is reserved) of
 * byte-string keys (memcmp order, at most TW_TXN_MAX_KEY bytes) to byte-string values.
 * A table exists from its first write; tw_txn_drop_table removes all its rows.
 *
 * Isolation: a transaction reads the committed state as of its snapshot (the newest
 * commit visible when it began) plus its own writes. Within a transaction, each
 * command (tw_txn_next_command) sees the writes of earlier commands; the current
 * command's own writes are visible only to reads with TW_READ_OWN_CURRENT (used for
 * uniqueness checks), never to its cursors — so a statement never sees the rows it is
 * producing (no Halloween problem).
 *
 * Conflicts: first committer wins, per key. If a key this transaction wrote was
 * committed by another transaction after this one's snapshot, commit fails with
 * TWILL_CONFLICT (SQLSTATE 40001) and nothing of it is applied.
 *
 * Durability: tw_txn_commit returns TWILL_OK only after the transaction's log batch is
 * durable. Concurrent commits share one log append (group commit).
 *
 * Threads: a tw_engine is shared by all threads. A tw_txn and its cursors belong to
 * one thread at a time. Readers never wait for other transactions; they take a shared
 * tree latch for the length of one read or cursor step.
 */
#ifndef TW_TXN_H
#define TW_TXN_H

#include "util/buf.h"
#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

#define TW_TXN_MAX_KEY 1000

typedef struct tw_engine tw_engine;
typedef struct tw_txn tw_txn;
typedef struct tw_cursor tw_cursor;

typedef struct tw_engine_opts {
    size_t cache_pages; /* buffer pool capacity in pages (0: default) */
    int create;         /* create if absent */
    size_t ckpt_dirty;  /* checkpoint when this many pages are dirty (0: default) */
} tw_engine_opts;

/* Opens the database at `url`: storage, lease, newest checkpoint, replay of the log. */
int tw_engine_open(const char *url, const tw_engine_opts *opts, tw_engine **out, tw_err *err);
/* Checkpoints (best effort) and closes. All transactions must be finished. */
void tw_engine_close(tw_engine *eng);
/* Forces a checkpoint of everything committed so far. */
int tw_engine_checkpoint(tw_engine *eng, tw_err *err);
/* LSN of the newest commit visible to new transactions. */
uint64_t tw_engine_visible_lsn(tw_engine *eng);

typedef struct tw_engine_stats {
    uint64_t commits;   /* transactions committed with writes */
    uint64_t batches;   /* log appends (commits / batches = mean group size) */
    uint64_t max_batch; /* largest group */
    uint64_t conflicts; /* commits refused with 40001 */
    uint64_t checkpoints;
    uint64_t cache_hits, cache_misses;
} tw_engine_stats;
void tw_engine_get_stats(tw_engine *eng, tw_engine_stats *out);

/* ---- transactions ---- */
int tw_txn_begin(tw_engine *eng, tw_txn **out, tw_err *err);
/* Durably commits (read-only transactions just end) and frees the transaction, whatever
 * the outcome. */
int tw_txn_commit(tw_txn *t, tw_err *err);
/* Discards the transaction's writes and frees it. */
void tw_txn_rollback(tw_txn *t);
/* Starts the next command: writes made so far become visible to new cursors. */
void tw_txn_next_command(tw_txn *t);
uint64_t tw_txn_snapshot(const tw_txn *t);
/* READ COMMITTED: later reads see everything committed until now (plus this
 * transaction's own writes). Write conflicts are still judged from the snapshot at the
 * transaction's first write, so a key another transaction committed after that is a
 * conflict at commit (40001) even if this transaction read the newer value — never a
 * lost update. Call between commands, with no cursor of the transaction open. */
void tw_txn_refresh_snapshot(tw_txn *t);
/* Savepoints (SQL SAVEPOINT / ROLLBACK TO), added for the SQL layer: tw_txn_savepoint
 * starts a new command and returns a mark; tw_txn_rollback_to(mark) discards every
 * write and table drop made since (by commands >= mark) and starts a new command. The
 * mark stays valid, so one can roll back to it again; marks taken after it are void. */
uint32_t tw_txn_savepoint(tw_txn *t);
void tw_txn_rollback_to(tw_txn *t, uint32_t mark);
int tw_txn_has_writes(const tw_txn *t);

enum { TW_READ_SNAPSHOT = 0, TW_READ_OWN_CURRENT = 1 };

/* Looks a key up. *found = 0 when absent; otherwise *val holds the value. */
int tw_txn_get(tw_txn *t, uint64_t table, const void *key, size_t klen, int mode, tw_buf *val,
               int *found, tw_err *err);
int tw_txn_put(tw_txn *t, uint64_t table, const void *key, size_t klen, const void *val,
               size_t vlen, tw_err *err);
int tw_txn_delete(tw_txn *t, uint64_t table, const void *key, size_t klen, tw_err *err);
/* Removes every row of the table at commit (this transaction's own rows of it too). */
int tw_txn_drop_table(tw_txn *t, uint64_t table, tw_err *err);
/* The greatest key ever committed to the table (including deleted rows not yet purged)
 * or written by this transaction; *found = 0 if none. For hidden row-id allocation. */
int tw_txn_max_key(tw_txn *t, uint64_t table, tw_buf *key, int *found, tw_err *err);

/* ---- cursors: ordered scans of one table, as the transaction sees it ---- */
int tw_cursor_open(tw_txn *t, uint64_t table, tw_cursor **out, tw_err *err);
void tw_cursor_close(tw_cursor *c);
/* Positions at the first visible key >= key (klen 0: the first key). */
int tw_cursor_seek(tw_cursor *c, const void *key, size_t klen, tw_err *err);
int tw_cursor_next(tw_cursor *c, tw_err *err);
int tw_cursor_valid(const tw_cursor *c);
/* Current entry; pointers are valid until the next move or close. */
const void *tw_cursor_key(const tw_cursor *c, size_t *klen);
const void *tw_cursor_value(const tw_cursor *c, size_t *vlen);

/* Cancellation (the wire server's CancelRequest): while the calling thread has a flag
 * installed and it is non-zero, cursor seeks and steps on this thread fail with 57014
 * "canceling statement due to user request" — every scan, join and DML loop reads
 * through a cursor, so a running statement stops within one row. Any thread may set
 * the flag; NULL uninstalls it. */
void tw_txn_set_interrupt(const _Atomic int *flag);

#endif
