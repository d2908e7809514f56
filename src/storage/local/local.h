/*
 * local.h — file:// backend knobs for tests and tools (the engine uses the seam only).
 */
#ifndef TW_STORAGE_LOCAL_H
#define TW_STORAGE_LOCAL_H

#include "storage/storage.h"

/* Rolls to a new log segment once the current one holds at least `bytes` (default
 * 64 MiB). Lets tests exercise multi-segment logs without writing 64 MiB. */
void tw_local_set_segment_limit(tw_storage *st, uint64_t bytes);
/* Rewrites the page file keeping only the newest published image of each page (normally
 * done automatically after a checkpoint once dead images dominate a large file). */
int tw_local_compact(tw_storage *st, tw_err *err);

#endif
