/*
 * pager.h — the buffer pool: fixed-size pages cached over the storage seam's page store.
 *
 * Page 0 is the pager's header (page count, free list, a few root slots for the layer
 * above); pages 1.. belong to the B+trees. A page not in the pool is read from the
 * storage as the newest published checkpoint image (or zeroes if never written).
 * Pages are modified in memory only; tw_pager_checkpoint writes every dirty page as one
 * checkpoint at an LSN, so the store never holds a half-applied state. Clean pages are
 * evicted LRU-style when the pool is over capacity; dirty pages are never evicted (the
 * pool may exceed its capacity until the next checkpoint — the engine checkpoints when
 * tw_pager_dirty_count grows past its threshold).
 *
 * Concurrency: get/unpin may be called from many threads at once (an internal mutex
 * guards the frame table). Reading or changing a page's *contents* is guarded by the
 * caller (the engine's tree latch: shared for readers, exclusive for writers, alloc,
 * free and checkpoint).
 */
#ifndef TW_ACCESS_PAGER_H
#define TW_ACCESS_PAGER_H

#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

#define TW_PAGER_ROOT_SLOTS 8

typedef struct tw_pager tw_pager;
typedef struct tw_frame tw_frame; /* a pinned page in the pool */

/* Opens the pool over `st` with room for `cache_pages` clean pages. A store with no
 * page 0 is a new database: the header is initialized (dirty). */
int tw_pager_open(tw_storage *st, size_t cache_pages, tw_pager **out, tw_err *err);
/* Frees the pool. Dirty pages are discarded: checkpoint first to keep them. */
void tw_pager_close(tw_pager *pg);

/* Pins page `pgno` (reading it if needed). Every get is matched by one unpin. */
int tw_pager_get(tw_pager *pg, uint32_t pgno, tw_frame **out, tw_err *err);
void tw_pager_unpin(tw_pager *pg, tw_frame *f);
uint8_t *tw_frame_data(tw_frame *f); /* TW_PAGE_SIZE bytes, valid while pinned */
uint32_t tw_frame_pgno(const tw_frame *f);
/* Marks a pinned page modified (call before or after changing it, while pinned). */
void tw_pager_mark_dirty(tw_pager *pg, tw_frame *f);

/* Allocates a page (free list first, else extends), returns it pinned, zeroed, dirty. */
int tw_pager_alloc(tw_pager *pg, tw_frame **out, tw_err *err);
/* Returns a page to the free list. It must not be pinned. */
int tw_pager_free(tw_pager *pg, uint32_t pgno, tw_err *err);

/* Root slots in the header for the layer above (0 when never set). Setting marks the
 * header dirty. */
uint64_t tw_pager_root(tw_pager *pg, int slot);
void tw_pager_set_root(tw_pager *pg, int slot, uint64_t v);

size_t tw_pager_dirty_count(tw_pager *pg);
uint32_t tw_pager_page_count(tw_pager *pg);
/* Writes every dirty page via ckpt_write at `lsn`, then ckpt_finish; pages become
 * clean. On failure the pages stay dirty and the old checkpoint stays published. */
int tw_pager_checkpoint(tw_pager *pg, uint64_t lsn, tw_err *err);

typedef struct tw_pager_stats {
    uint64_t hits, misses, evictions, pages_written;
} tw_pager_stats;
void tw_pager_get_stats(tw_pager *pg, tw_pager_stats *out);

#endif
