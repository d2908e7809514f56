/*
 * object_cache.h — the local on-disk cache of the object backends (s3://, r2://, gs://).
 *
 * Caches immutable byte ranges of layer objects (compressed page images, layer indexes)
 * in one directory, one file per range, under the buffer pool: a buffer-pool miss that
 * hits here costs a file read instead of a range GET. Only immutable objects are cached
 * (layer names are unique and never rewritten), so an entry can never be stale; it can
 * only be damaged or gone. Every file carries its key and a CRC-32C, checked on each
 * read: a damaged, truncated or foreign file is deleted and reported as a miss. The
 * callers verify what they read again (page CRC, index CRC) and drop an entry that
 * fails — a wiped or corrupt cache is only slower, never wrong.
 *
 * Size-bounded: when the files exceed the bound, the least recently used are deleted
 * (down to 90% of it). The accounting is per handle and starts from a scan of the
 * directory at open (file mtimes give the initial order). Thread-safe. Every failure is
 * absorbed: a cache that cannot be written just misses.
 *
 * File format: "TWCACHE1" u32 key length, u32 data length, u32 crc32c(key || data),
 * u32 0, key, data. File name: 16 hex digits of a 64-bit FNV-1a hash of the key.
 */
#ifndef TW_OBJECT_CACHE_H
#define TW_OBJECT_CACHE_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tw_ocache tw_ocache;

typedef struct tw_ocache_stats {
    uint64_t hits, misses;
    uint64_t damaged;   /* entries found damaged (or failing the caller's check) and deleted */
    uint64_t stores;    /* entries written */
    uint64_t evictions; /* entries deleted to stay under the bound */
    uint64_t bytes, files, max_bytes;
} tw_ocache_stats;

/* Opens the cache in `dir` (created with its parents if needed, mode 0700) bounded to
 * max_bytes. NULL when the directory cannot be created or read, or is not a directory
 * owned by this user (a symlink, another user's): the caller runs without a cache. */
tw_ocache *tw_ocache_open(const char *dir, uint64_t max_bytes);
void tw_ocache_close(tw_ocache *c);

/* 1 and the cached bytes in `out` (contents replaced) on a hit; 0 on a miss. */
int tw_ocache_get(tw_ocache *c, const char *key, tw_buf *out);
/* Stores bytes under key (best effort). */
void tw_ocache_put(tw_ocache *c, const char *key, const void *data, size_t len);
/* Deletes an entry the caller found wrong (counted as damaged). */
void tw_ocache_drop(tw_ocache *c, const char *key);
void tw_ocache_get_stats(tw_ocache *c, tw_ocache_stats *out);
const char *tw_ocache_dir(const tw_ocache *c);

#endif
