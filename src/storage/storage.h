/*
 * storage.h — the storage seam: everything durable goes through this vtable.
 *
 * A backend (file://, s3://, a branch) implements tw_storage_ops and embeds
 * `tw_storage` as the first member of its handle. The engine above never touches a
 * file or a socket for its data. The seam carries four things:
 *
 *  lease   one writer per database. acquire bumps a monotonic epoch (exactly one of
 *          two racing acquirers wins); every append carries the writer's epoch and a
 *          backend refuses an append from a stale epoch with TWILL_FENCED.
 *  log     the commit log. log_append writes one batch of records atomically and
 *          returns only once it is durable; batches get consecutive LSNs 1, 2, 3, ...
 *          (an LSN names a batch). log_scan replays batches in LSN order;
 *          log_truncate lets the backend drop batches at or below a checkpoint.
 *  pages   the page store, versioned by LSN: a checkpoint writes page images tagged
 *          with its LSN (ckpt_write, any number of calls) and publishes them
 *          atomically (ckpt_finish). page_read returns the newest published image
 *          with version <= as_of; unpublished images are never returned and vanish
 *          on a crash. Versioned reads are what make branches O(1).
 *  branch  named copy-on-write branches at an LSN (declared; backends may return
 *          TWILL_NOTSUP until branching lands).
 *
 * Recovery = newest published checkpoint + log_scan(checkpoint_lsn, durable_lsn].
 * Every call returns a TWILL_* code and, on failure, fills `err` (which may be NULL).
 * The engine serializes its calls, except page_read, which buffer-pool misses on
 * reader threads may issue concurrently with any other op: backends must allow that.
 * A backend may take exclusive ownership already at open (TWILL_BUSY from its open
 * function), since open itself repairs a torn tail. Backends pass the suite in
 * tests/unit/lib_storage_conformance.c.
 */
#ifndef TW_STORAGE_H
#define TW_STORAGE_H

#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

/* 2: stats_text added at the end of tw_storage_ops (optional). */
#define TW_STORAGE_VERSION 2
#define TW_PAGE_SIZE 8192
#define TW_LSN_MAX UINT64_MAX

typedef struct tw_storage tw_storage;

typedef struct tw_storage_meta {
    uint64_t durable_lsn;    /* LSN of the newest durable batch (0: empty log) */
    uint64_t checkpoint_lsn; /* LSN of the newest published checkpoint (0: none) */
    uint64_t epoch;          /* current lease epoch (0: never leased) */
} tw_storage_meta;

typedef struct tw_iov {
    const void *data;
    size_t len;
} tw_iov;

typedef struct tw_page_image {
    uint32_t pgno;
    const void *data; /* TW_PAGE_SIZE bytes */
} tw_page_image;

/* Called once per record, in LSN order and record order within a batch. A nonzero
 * return stops the scan, and log_scan returns it. `data` is valid only during the
 * call. */
typedef int (*tw_log_visit_fn)(void *arg, uint64_t lsn, uint32_t rec_index, const void *data,
                               size_t len);
typedef int (*tw_branch_visit_fn)(void *arg, const char *name, uint64_t at_lsn);

typedef struct tw_storage_ops {
    uint32_t version; /* TW_STORAGE_VERSION the backend was written against */
    const char *name; /* "file", "s3", ... */

    /* lease */
    int (*lease_acquire)(tw_storage *st, uint64_t *epoch_out, tw_err *err);
    int (*lease_renew)(tw_storage *st, uint64_t epoch, tw_err *err);
    int (*lease_release)(tw_storage *st, uint64_t epoch, tw_err *err);

    /* commit log. n >= 1 records; *lsn_out = meta.durable_lsn + 1 on success. After a
     * failure the batch's fate is unknown (its frame may have reached the disk before
     * the sync failed): the engine stops writing and recovers by reopening. */
    int (*log_append)(tw_storage *st, uint64_t epoch, const tw_iov *recs, size_t n,
                      uint64_t *lsn_out, tw_err *err);
    /* Visits every record of batches with from < lsn <= to. */
    int (*log_scan)(tw_storage *st, uint64_t from, uint64_t to, tw_log_visit_fn fn, void *arg,
                    tw_err *err);
    /* Batches with lsn <= below (below <= meta.checkpoint_lsn) may be discarded; a
     * later scan from below that point may skip them. */
    int (*log_truncate)(tw_storage *st, uint64_t below, tw_err *err);

    /* page store. *found_out = 0 (and buf zeroed) when no published image <= as_of
     * exists. *version_out (may be NULL) receives the image's LSN. */
    int (*page_read)(tw_storage *st, uint32_t pgno, uint64_t as_of, void *buf, int *found_out,
                     uint64_t *version_out, tw_err *err);
    /* Stages images for the checkpoint at `lsn` (lsn > meta.checkpoint_lsn, lsn <=
     * meta.durable_lsn). A later image of the same page in the same checkpoint wins. */
    int (*ckpt_write)(tw_storage *st, uint64_t lsn, const tw_page_image *pages, size_t n,
                      tw_err *err);
    /* Durably publishes the checkpoint at `lsn` (possibly with no staged pages). */
    int (*ckpt_finish)(tw_storage *st, uint64_t lsn, tw_err *err);

    /* branches */
    int (*branch_create)(tw_storage *st, const char *name, uint64_t at_lsn, tw_err *err);
    int (*branch_open)(tw_storage *st, const char *name, tw_storage **out, tw_err *err);
    int (*branch_list)(tw_storage *st, tw_branch_visit_fn fn, void *arg, tw_err *err);
    int (*branch_delete)(tw_storage *st, const char *name, tw_err *err);

    /* meta */
    int (*meta)(tw_storage *st, tw_storage_meta *out, tw_err *err);
    /* Releases the lease if held, closes and frees. Never fails in a way that matters:
     * everything acknowledged is already durable. */
    void (*close)(tw_storage *st);

    /* ---- version 2 ---- */
    /* Optional (NULL: nothing to report; check ops->version >= 2 first). Writes the
     * backend's counters as "name value\n" lines into buf, snprintf-style: returns the
     * length the whole text needs. May run concurrently with any other op. */
    int (*stats_text)(tw_storage *st, char *buf, size_t cap);
} tw_storage_ops;

struct tw_storage {
    const tw_storage_ops *ops;
};

typedef struct tw_storage_opts {
    int create; /* create the database if absent (nonzero) */
} tw_storage_opts;

/* Opens the backend named by the URL's scheme (file://PATH, ...). */
int tw_storage_open(const char *url, const tw_storage_opts *opts, tw_storage **out, tw_err *err);

/* Backend constructors (one per folder under storage/). */
int tw_local_open(const char *path, const tw_storage_opts *opts, tw_storage **out, tw_err *err);
/* s3://: `rest` is what follows the scheme ("bucket/prefix?endpoint=...&region=..."). */
int tw_object_open(const char *rest, const tw_storage_opts *opts, tw_storage **out, tw_err *err);

#endif
