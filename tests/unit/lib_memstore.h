/*
 * lib_memstore.h — an in-memory tw_storage backend for unit tests.
 *
 * It follows storage.h to the letter (versioned pages with as-of reads, staged vs.
 * published checkpoints, LSN-numbered log batches, epoch fencing) so that modules above
 * the seam can be tested without a real backend, and it adds what a real backend cannot
 * offer cheaply: fault injection and counters.
 *
 * The handle survives any number of pager open/close cycles, which is how tests model
 * "close and reopen the database": only what was published through ckpt_finish (and the
 * log) is seen by the next opener.
 */
#ifndef TW_TEST_MEMSTORE_H
#define TW_TEST_MEMSTORE_H

#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

/* A new, empty store (no pages, empty log, epoch 0). Free it with st->ops->close(st). */
int tw_memstore_open(tw_storage **out, tw_err *err);

/* Which call a fault is armed on. */
typedef enum tw_memstore_fault {
    TW_MEMSTORE_FAIL_CKPT_WRITE,
    TW_MEMSTORE_FAIL_CKPT_FINISH,
    TW_MEMSTORE_FAIL_PAGE_READ,
    TW_MEMSTORE_FAIL_LOG_APPEND,
    TW_MEMSTORE_FAULT_COUNT
} tw_memstore_fault;

/* Arms a fault: the call of kind `f` that comes after `skip` successful ones fails with
 * TWILL_IOERR (once). skip < 0 disarms. */
void tw_memstore_fail(tw_storage *st, tw_memstore_fault f, long skip);

/* With history off (it is on by default), publishing a page drops its older versions,
 * which keeps long randomized tests small; as-of reads below the newest version of a
 * page then find nothing. */
void tw_memstore_keep_history(tw_storage *st, int on);

/* Drops every staged (unpublished) page image, as a crash would. */
void tw_memstore_crash(tw_storage *st);

/* Convenience for tests that need a fresh LSN to checkpoint at: appends one small batch
 * under the current epoch (acquiring the lease first if nobody holds it). */
int tw_memstore_next_lsn(tw_storage *st, uint64_t *lsn_out, tw_err *err);

typedef struct tw_memstore_stats {
    uint64_t page_reads;   /* page_read calls */
    uint64_t page_writes;  /* images staged by ckpt_write */
    uint64_t ckpts;        /* published checkpoints */
    uint64_t pages_stored; /* page images held, all versions */
} tw_memstore_stats;
void tw_memstore_get_stats(tw_storage *st, tw_memstore_stats *out);

/* Number of published versions of one page (0 if never published). */
size_t tw_memstore_page_versions(tw_storage *st, uint32_t pgno);

#endif
