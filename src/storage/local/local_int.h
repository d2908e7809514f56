/*
 * local_int.h — internals shared by the file:// backend's source files (not an API).
 *
 * One tw_local per open database directory. Locking: `mu` serializes every operation
 * except page_read (the engine serializes its calls anyway; the mutex makes meta() and
 * misuse from several threads safe). page_read only takes `pg_lock` shared, so buffer
 * pool misses on reader threads proceed while a log_append waits in fdatasync; the few
 * places that change the page index or the page file descriptor take it exclusive.
 * Lock order: mu, then pg_lock.
 *
 * The on-disk format is described in docs/storage-local.md.
 */
#ifndef TW_STORAGE_LOCAL_INT_H
#define TW_STORAGE_LOCAL_INT_H

#include "storage/storage.h"
#include "util/buf.h"

#include <pthread.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#define LCL_META_NAME "META"
#define LCL_LOCK_NAME "LOCK"
#define LCL_TMP_SUFFIX ".tmp"
#define LCL_NAME_MAX 64

/* META: the root of the database, replaced atomically (write temp, fsync, rename). */
#define LCL_META_MAGIC "TWILLDB\0"
#define LCL_META_SIZE 72
#define LCL_FORMAT_VERSION 1

/* Log segment: 32-byte header, then frames [u32 len][u32 crc][payload]. */
#define LCL_SEG_MAGIC "TWLOGSEG"
#define LCL_SEG_HDR 32
#define LCL_FRAME_HDR 8
#define LCL_BATCH_HDR 20 /* payload: u64 lsn, u64 epoch, u32 count, then records */
#define LCL_REC_HDR 4    /* per record: u32 length */
#define LCL_SEG_LIMIT_DEFAULT (64u << 20)

/* Page file: 32-byte header, then images and checkpoint trailers. */
#define LCL_PG_MAGIC "TWPAGES\0"
#define LCL_PG_HDR 32
#define LCL_IMG_MAGIC 0x49505754u /* "TWPI" */
#define LCL_IMG_HDR 32
#define LCL_IMG_SIZE (LCL_IMG_HDR + TW_PAGE_SIZE)
#define LCL_TRL_MAGIC 0x54435754u /* "TWCT" */
#define LCL_TRL_HDR 24
#define LCL_TRL_ENTRY 20 /* u32 pgno, u64 lsn, u64 offset */
#define LCL_COMPACT_MIN_BYTES (64u << 20)

/* The durable root: everything META holds. */
typedef struct lcl_meta {
    uint64_t epoch;
    uint64_t checkpoint_lsn;
    uint64_t pg_gen;        /* page file generation, 0 = no page file yet */
    uint64_t pg_end;        /* published length of the page file */
    uint64_t pg_trailer;    /* offset of the newest checkpoint trailer, 0 = none */
    uint64_t compact_floor; /* versions older than the newest at this LSN were dropped */
} lcl_meta;

typedef struct lcl_seg {
    uint64_t first_lsn;
    uint64_t last_lsn; /* first_lsn - 1 while empty */
    uint64_t size;     /* bytes of valid data (header + whole frames) */
} lcl_seg;

typedef struct lcl_ver {
    uint64_t lsn, off;
} lcl_ver;

typedef struct lcl_pgent {
    uint32_t pgno;
    uint32_t n, cap;
    lcl_ver *v; /* ascending lsn */
} lcl_pgent;

/* Open-addressing map pgno -> index + 1 (0 marks an empty slot). */
typedef struct lcl_map {
    uint32_t *keys;
    uint32_t *vals;
    size_t cap; /* power of two, or 0 */
    size_t n;
} lcl_map;

typedef struct lcl_staged {
    uint32_t pgno;
    uint64_t off;
} lcl_staged;

typedef struct tw_local {
    tw_storage base;
    char *path; /* as given, for messages */
    int dirfd;
    int lockfd;
    pthread_mutex_t mu;
    pthread_rwlock_t pg_lock;

    lcl_meta meta; /* as last published */
    int lease_held;

    /* log */
    lcl_seg *segs;
    size_t nsegs, capsegs;
    int log_fd;         /* the last segment, open for appends; -1 before the first append */
    uint64_t log_alloc; /* bytes of log_fd already written (zeros past the data): see prealloc */
    uint64_t durable_lsn;
    uint64_t seg_limit;
    int log_broken; /* an append failed in a way that leaves the tail unknown */
    tw_buf frame;   /* scratch for log_append */

    /* pages (index, fd and floor guarded by pg_lock) */
    int pg_fd;
    uint64_t pg_floor; /* == meta.compact_floor, readable under pg_lock */
    lcl_pgent *ents;
    size_t nents, capents;
    lcl_map idx;
    uint64_t pg_images; /* published images in the page file, dead or alive */

    /* the checkpoint being staged (under mu) */
    int stage_active;
    uint64_t stage_lsn;
    uint64_t stage_end; /* where the next staged image goes */
    lcl_staged *staged;
    size_t nstaged, capstaged;
    lcl_map stage_idx;
} tw_local;

/* local.c: I/O helpers. They retry EINTR and short transfers. */
int lcl_io_err(tw_local *L, tw_err *err, const char *what, const char *file);
int lcl_corrupt(tw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
long long lcl_pread_full(int fd, void *buf, size_t n, uint64_t off); /* bytes read; -1 error */
long long lcl_preadv_full(int fd, struct iovec *iov, int cnt, uint64_t off); /* may edit iov */
int lcl_pwrite_full(int fd, const void *buf, size_t n, uint64_t off);
int lcl_pwritev_full(int fd, struct iovec *iov, int cnt, uint64_t off); /* may edit iov */
int lcl_fsync_dir(tw_local *L, tw_err *err);
/* Creates `name` holding `data` atomically: temp file, fdatasync, rename, fsync dir.
 * If fd_out is not NULL, *fd_out is the new file, open O_RDWR. */
int lcl_create_file(tw_local *L, const char *name, const void *data, size_t n, int *fd_out,
                    tw_err *err);
/* Publishes `m` as the new META. *renamed (may be NULL) tells whether the new META
 * reached the directory even if a later step failed. */
int lcl_meta_write(tw_local *L, const lcl_meta *m, int *renamed, tw_err *err);
/* TWILL_FENCED unless this handle holds the lease at exactly `epoch` (caller holds mu). */
int lcl_check_lease(tw_local *L, uint64_t epoch, tw_err *err);
/* Matches PREFIX + 20 decimal digits + SUFFIX; *num gets the number. */
int lcl_name_is(const char *name, const char *prefix, const char *suffix, uint64_t *num);
/* Calls fn for every entry of the database directory (not "." or ".."). */
int lcl_list_dir(tw_local *L, int (*fn)(tw_local *L, const char *name, void *arg, tw_err *err),
                 void *arg, tw_err *err);

/* local_log.c */
void lcl_seg_name(char out[LCL_NAME_MAX], uint64_t first_lsn);
int lcl_log_recover(tw_local *L, tw_err *err);
void lcl_log_close(tw_local *L);
int lcl_log_append(tw_storage *st, uint64_t epoch, const tw_iov *recs, size_t n, uint64_t *lsn_out,
                   tw_err *err);
int lcl_log_scan(tw_storage *st, uint64_t from, uint64_t to, tw_log_visit_fn fn, void *arg,
                 tw_err *err);
int lcl_log_truncate(tw_storage *st, uint64_t below, tw_err *err);

/* local_pages.c */
void lcl_pg_name(char out[LCL_NAME_MAX], uint64_t gen);
int lcl_pages_load(tw_local *L, tw_err *err);
void lcl_pages_close(tw_local *L);
int lcl_page_read(tw_storage *st, uint32_t pgno, uint64_t as_of, void *buf, int *found_out,
                  uint64_t *version_out, tw_err *err);
int lcl_ckpt_write(tw_storage *st, uint64_t lsn, const tw_page_image *pages, size_t n, tw_err *err);
int lcl_ckpt_finish(tw_storage *st, uint64_t lsn, tw_err *err);
int lcl_pages_compact(tw_local *L, tw_err *err); /* caller holds mu */

#endif
