/*
 * object_int.h — the s3:// handle, shared by object.c (open, URL, lease, meta),
 * object_log.c (commit log) and object_pages.c (manifest, layers, page reads).
 * Formats and protocols: docs/storage-object.md.
 */
#ifndef TW_OBJECT_INT_H
#define TW_OBJECT_INT_H

#include "storage/object/object.h"
#include "storage/object/object_cache.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* log object: [magic 8][u32 version][u32 kind][u64 seq][u64 lsn][u64 epoch][u32 count]
 * count x ([u32 len][bytes]) [u32 crc32c of all before]. A fence has no records, so it
 * is exactly LOG_FENCE_SIZE bytes and every batch is longer: LIST sizes tell them apart. */
#define LOG_MAGIC "TWLOGOBJ"
#define LOG_HDR 44
#define LOG_FENCE_SIZE (LOG_HDR + 4)
#define LOG_KIND_BATCH 1
#define LOG_KIND_FENCE 2

/* layer object: [magic 8][u32 1][u32 0][u64 lsn] page images, index (INDEX_ENT bytes per
 * page), footer (FOOTER bytes). Manifest: docs/storage-object.md. */
#define MANIFEST_MAGIC "TWMANIF\0"
#define LAYER_MAGIC "TWLAYER\0"
#define FOOTER_MAGIC "TWLFOOT\0"
#define LAYER_HDR 24
#define INDEX_ENT 32
#define FOOTER 32
#define FLAG_ZSTD 1u

typedef struct log_ent {
    uint64_t seq; /* object name */
    uint64_t lsn; /* batch: its LSN; fence: the LSN of the batch before it */
    int fence;
} log_ent;

typedef struct layer_ref {
    char name[96]; /* key below the prefix: "layer/<lsn>-<nonce>" */
    uint64_t lsn, size, index_off;
    uint32_t count;
} layer_ref;

typedef struct page_ver {
    uint64_t lsn, off;
    uint32_t layer, clen, crc, flags;
} page_ver;

typedef struct page_slot {
    page_ver *v; /* ascending lsn */
    uint32_t n, cap;
} page_slot;

typedef struct staged {
    uint32_t pgno, clen, crc, flags;
    uint64_t off; /* in stage_data; once built, in its layer object */
    uint64_t order;
    uint32_t part; /* which of the checkpoint's layer objects it went to */
} staged;

/* A checkpoint writes its pages as layer objects of about this much page data each, PUT
 * in parallel (they share the checkpoint's LSN; compaction counts them as one). */
#define TW_OBJ_LAYER_TARGET (8u << 20)

typedef struct retired_layer {
    char name[96];
    uint64_t ver; /* the manifest version that dropped it */
} retired_layer;

typedef struct tw_object {
    tw_storage base;
    tw_s3 *s3;
    tw_ocache *cache; /* NULL: no local cache */
    tw_object_url url;
    char name[700];     /* "s3://bucket/prefix" for messages */
    pthread_mutex_t mu; /* every op but page_read */

    /* lease */
    uint64_t epoch; /* newest epoch known to exist */
    uint64_t held;  /* epoch this handle holds, 0: none */
    int fenced;     /* another writer took over: no more writes */
    int failed;     /* an append's fate is unknown: no more writes until reopened */

    /* compaction and garbage collection (counters for stats) */
    _Atomic uint64_t n_compactions, n_gc_deleted;
    pthread_mutex_t gc_mu; /* one compaction at a time (background or forced) */
    pthread_cond_t gc_cv;  /* with mu: wakes the background thread */
    pthread_t gc_thread;
    int gc_started, gc_want, gc_stop;
    retired_layer *retired; /* replaced by a compaction, deleted one manifest later */
    size_t nretired, capretired;

    /* commit log: the objects above the last truncation, in seq order */
    log_ent *log;
    size_t nlog, caplog;
    uint64_t next_seq, durable_lsn;

    /* manifest and page index (page_lock guards layers and pages) */
    pthread_rwlock_t page_lock;
    uint64_t manifest_ver, ckpt_lsn;
    uint64_t floor; /* history floor: older versions of a page may have been merged away */
    layer_ref *layers;
    size_t nlayers;
    page_slot *pages;
    size_t npages;

    /* the checkpoint being staged (memory only: it vanishes unless published) */
    uint64_t stage_lsn;
    tw_buf stage_data;
    staged *stage;
    size_t nstage, capstage;
} tw_object;

/* "prefix" + suffix into out (cap bytes); TWILL_MISUSE if it does not fit. */
int tw_obj_key(const tw_object *o, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The newest number N among keys prefix + sub + N (0: none). */
int tw_obj_newest(tw_object *o, const char *sub, uint64_t *out, tw_err *err);

/* object_log.c */
int tw_obj_log_load(tw_object *o, tw_err *err);
int tw_obj_log_fence(tw_object *o, uint64_t epoch, tw_err *err);
int tw_obj_log_append(tw_storage *st, uint64_t epoch, const tw_iov *recs, size_t n,
                      uint64_t *lsn_out, tw_err *err);
int tw_obj_log_scan(tw_storage *st, uint64_t from, uint64_t to, tw_log_visit_fn fn, void *arg,
                    tw_err *err);
int tw_obj_log_truncate(tw_storage *st, uint64_t below, tw_err *err);
/* Encodes a log object (exposed for tests). */
int tw_obj_log_encode(tw_buf *out, int kind, uint64_t seq, uint64_t lsn, uint64_t epoch,
                      const tw_iov *recs, size_t n);

/* object_pages.c */
int tw_obj_manifest_load(tw_object *o, int create, tw_err *err);
int tw_obj_page_read(tw_storage *st, uint32_t pgno, uint64_t as_of, void *buf, int *found_out,
                     uint64_t *version_out, tw_err *err);
int tw_obj_ckpt_write(tw_storage *st, uint64_t lsn, const tw_page_image *pages, size_t n,
                      tw_err *err);
int tw_obj_ckpt_finish(tw_storage *st, uint64_t lsn, tw_err *err);
void tw_obj_pages_free(tw_object *o);
int tw_obj_add_version(tw_object *o, uint32_t pgno, page_ver v);
/* Cache key of bytes [off, off + len) of a layer (layer names are unique: never stale). */
void tw_obj_range_key(char *out, size_t cap, const char *layer, uint64_t off, uint64_t len);
int tw_obj_encode_manifest(tw_buf *b, uint64_t ver, uint64_t ckpt, uint64_t epoch, uint64_t floor,
                           const layer_ref *ls, size_t n);
int tw_obj_manifest_key(tw_object *o, uint64_t ver, char *key, size_t cap, tw_err *err);
/* Appends a layer's footer (the index starts at index_off and runs to the end of out). */
int tw_obj_layer_footer(tw_buf *out, uint64_t index_off, uint32_t count);
/* The random part of a new layer's name: names are never reused, which is what lets the
 * local cache keep layer ranges without ever checking them for staleness. */
uint64_t tw_obj_layer_nonce(tw_object *o);

/* object_compact.c: merging layers, deleting what nothing needs any more */
/* Called by ckpt_finish (o->mu held) after a publish: wakes the background thread when
 * there is something to compact or delete. */
void tw_obj_compact_kick(tw_object *o);
/* Stops the background thread (close). */
void tw_obj_compact_stop(tw_object *o);

#endif
