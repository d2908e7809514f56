/*
 * local.c — the file:// backend: open/close, META, lease, meta(), I/O helpers.
 *
 * A database is a directory. The LOCK file's flock is taken at open, not at
 * lease_acquire: open itself writes (recovery truncates a torn log tail and unpublished
 * page images) and caches the log and page index, so a second opener would race the
 * writer — e.g. "repair" a frame that is in the middle of being written. The lease on
 * top of that is the durable epoch counter in META that fences stale appends.
 */
#include "storage/local/local.h"
#include "storage/local/local_int.h"
#include "util/crc32c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const tw_storage_ops local_ops;

/* ---- I/O helpers -------------------------------------------------------------------- */

int lcl_io_err(tw_local *L, tw_err *err, const char *what, const char *file) {
    char eb[128];
    const char *msg = strerror_r(errno, eb, sizeof eb);
    if (file) return tw_err_set(err, TWILL_IOERR, NULL, "%s %s/%s: %s", what, L->path, file, msg);
    return tw_err_set(err, TWILL_IOERR, NULL, "%s %s: %s", what, L->path, msg);
}

int lcl_corrupt(tw_err *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tw_err_setv(err, TWILL_CORRUPT, "XX001", fmt, ap);
    va_end(ap);
    return TWILL_CORRUPT;
}

long long lcl_pread_full(int fd, void *buf, size_t n, uint64_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

/* Drops `done` bytes from the front of an iovec array; returns the new start index. */
static int iov_advance(struct iovec *iov, int cnt, int i, size_t done) {
    while (i < cnt && done >= iov[i].iov_len) done -= iov[i++].iov_len;
    if (i < cnt) {
        iov[i].iov_base = (char *)iov[i].iov_base + done;
        iov[i].iov_len -= done;
    }
    while (i < cnt && iov[i].iov_len == 0) i++;
    return i;
}

long long lcl_preadv_full(int fd, struct iovec *iov, int cnt, uint64_t off) {
    long long got = 0;
    int i = iov_advance(iov, cnt, 0, 0);
    while (i < cnt) {
        ssize_t r = preadv(fd, iov + i, cnt - i > IOV_MAX ? IOV_MAX : cnt - i, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += r;
        off += (uint64_t)r;
        i = iov_advance(iov, cnt, i, (size_t)r);
    }
    return got;
}

int lcl_pwrite_full(int fd, const void *buf, size_t n, uint64_t off) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

int lcl_pwritev_full(int fd, struct iovec *iov, int cnt, uint64_t off) {
    int i = iov_advance(iov, cnt, 0, 0);
    while (i < cnt) {
        ssize_t r = pwritev(fd, iov + i, cnt - i > IOV_MAX ? IOV_MAX : cnt - i, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        off += (uint64_t)r;
        i = iov_advance(iov, cnt, i, (size_t)r);
    }
    return 0;
}

int lcl_fsync_dir(tw_local *L, tw_err *err) {
    if (fsync(L->dirfd) != 0) return lcl_io_err(L, err, "fsync directory", NULL);
    return TWILL_OK;
}

static int create_file(tw_local *L, const char *name, const void *data, size_t n, int *fd_out,
                       int *renamed, tw_err *err) {
    char tmp[LCL_NAME_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s" LCL_TMP_SUFFIX, name);
    if (renamed) *renamed = 0;
    int fd = openat(L->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return lcl_io_err(L, err, "create", tmp);
    int rc = TWILL_OK;
    if (lcl_pwrite_full(fd, data, n, 0) != 0)
        rc = lcl_io_err(L, err, "write", tmp);
    else if (fdatasync(fd) != 0)
        rc = lcl_io_err(L, err, "fdatasync", tmp);
    else if (renameat(L->dirfd, tmp, L->dirfd, name) != 0)
        rc = lcl_io_err(L, err, "rename into place", tmp);
    if (rc != TWILL_OK) {
        close(fd);
        unlinkat(L->dirfd, tmp, 0);
        return rc;
    }
    if (renamed) *renamed = 1;
    rc = lcl_fsync_dir(L, err);
    if (fd_out && rc == TWILL_OK)
        *fd_out = fd;
    else
        close(fd);
    return rc;
}

int lcl_create_file(tw_local *L, const char *name, const void *data, size_t n, int *fd_out,
                    tw_err *err) {
    return create_file(L, name, data, n, fd_out, NULL, err);
}

static void meta_encode(const lcl_meta *m, uint8_t b[LCL_META_SIZE]) {
    memset(b, 0, LCL_META_SIZE);
    memcpy(b, LCL_META_MAGIC, 8);
    tw_store_u32(b + 8, LCL_FORMAT_VERSION);
    tw_store_u64(b + 16, m->epoch);
    tw_store_u64(b + 24, m->checkpoint_lsn);
    tw_store_u64(b + 32, m->pg_gen);
    tw_store_u64(b + 40, m->pg_end);
    tw_store_u64(b + 48, m->pg_trailer);
    tw_store_u64(b + 56, m->compact_floor);
    tw_store_u32(b + 68, tw_crc32c(0, b, 68));
}

int lcl_meta_write(tw_local *L, const lcl_meta *m, int *renamed, tw_err *err) {
    uint8_t b[LCL_META_SIZE];
    meta_encode(m, b);
    return create_file(L, LCL_META_NAME, b, sizeof b, NULL, renamed, err);
}

static int meta_read(tw_local *L, tw_err *err) {
    int fd = openat(L->dirfd, LCL_META_NAME, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lcl_io_err(L, err, "open", LCL_META_NAME);
    uint8_t b[LCL_META_SIZE + 1];
    long long n = lcl_pread_full(fd, b, sizeof b, 0);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return lcl_io_err(L, err, "read", LCL_META_NAME);
    }
    if (n != LCL_META_SIZE)
        return lcl_corrupt(err, "%s/%s is %s (%lld bytes, expected %d)", L->path, LCL_META_NAME,
                           n < LCL_META_SIZE ? "truncated" : "too long", n, LCL_META_SIZE);
    if (memcmp(b, LCL_META_MAGIC, 8) != 0)
        return lcl_corrupt(err, "%s/%s is not a Twill META file (bad magic)", L->path,
                           LCL_META_NAME);
    if (tw_crc32c(0, b, 68) != tw_load_u32(b + 68))
        return lcl_corrupt(err, "%s/%s is corrupt (checksum mismatch)", L->path, LCL_META_NAME);
    uint32_t ver = tw_load_u32(b + 8);
    if (ver != LCL_FORMAT_VERSION)
        return tw_err_set(err, TWILL_NOTSUP, NULL,
                          "%s uses on-disk format version %u; this build reads version %d", L->path,
                          ver, LCL_FORMAT_VERSION);
    L->meta.epoch = tw_load_u64(b + 16);
    L->meta.checkpoint_lsn = tw_load_u64(b + 24);
    L->meta.pg_gen = tw_load_u64(b + 32);
    L->meta.pg_end = tw_load_u64(b + 40);
    L->meta.pg_trailer = tw_load_u64(b + 48);
    L->meta.compact_floor = tw_load_u64(b + 56);
    return TWILL_OK;
}

int lcl_name_is(const char *name, const char *prefix, const char *suffix, uint64_t *num) {
    size_t pl = strlen(prefix), sl = strlen(suffix);
    if (strlen(name) != pl + 20 + sl || strncmp(name, prefix, pl) != 0 ||
        strcmp(name + pl + 20, suffix) != 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = pl; i < pl + 20; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        unsigned d = (unsigned)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *num = v;
    return 1;
}

int lcl_list_dir(tw_local *L, int (*fn)(tw_local *L, const char *name, void *arg, tw_err *err),
                 void *arg, tw_err *err) {
    int fd = dup(L->dirfd);
    if (fd < 0) return lcl_io_err(L, err, "list directory", NULL);
    DIR *d = fdopendir(fd);
    if (!d) {
        int rc = lcl_io_err(L, err, "list directory", NULL);
        close(fd);
        return rc;
    }
    rewinddir(d); /* the dup shares its offset with dirfd */
    int rc = TWILL_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) rc = lcl_io_err(L, err, "list directory", NULL);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        rc = fn(L, de->d_name, arg, err);
        if (rc != TWILL_OK) break;
    }
    closedir(d);
    return rc;
}

/* ---- open / close ------------------------------------------------------------------- */

static int fsync_parent(const char *path, tw_err *err) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    while (n > 0 && path[n - 1] != '/') n--;
    while (n > 1 && path[n - 1] == '/') n--;
    char *parent = n == 0 ? strdup(".") : strndup(path, n);
    if (!parent) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    int rc = TWILL_OK;
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        char eb[128];
        rc = tw_err_set(err, TWILL_IOERR, NULL, "fsync directory %s: %s", parent,
                        strerror_r(errno, eb, sizeof eb));
    }
    if (fd >= 0) close(fd);
    free(parent);
    return rc;
}

static int open_dir(tw_local *L, int create, tw_err *err) {
    int created = 0;
    if (create) {
        if (mkdir(L->path, 0777) == 0)
            created = 1;
        else if (errno != EEXIST)
            return lcl_io_err(L, err, "create database directory", NULL);
    }
    L->dirfd = open(L->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (L->dirfd < 0) {
        if (errno == ENOENT)
            return tw_err_set(err, TWILL_IOERR, "58P01",
                              "database %s does not exist (open it with create to make one)",
                              L->path);
        if (errno == ENOTDIR)
            return tw_err_set(err, TWILL_IOERR, "58P01",
                              "database path %s exists but is not a directory", L->path);
        return lcl_io_err(L, err, "open database directory", NULL);
    }
    /* the new directory's own name must survive a crash before anything in it matters */
    if (created) return fsync_parent(L->path, err);
    return TWILL_OK;
}

static int meta_exists(tw_local *L, int *exists, tw_err *err) {
    struct stat sb;
    if (fstatat(L->dirfd, LCL_META_NAME, &sb, 0) == 0) {
        *exists = 1;
        return TWILL_OK;
    }
    if (errno != ENOENT) return lcl_io_err(L, err, "stat", LCL_META_NAME);
    *exists = 0;
    return TWILL_OK;
}

static int take_lock(tw_local *L, tw_err *err) {
    L->lockfd = openat(L->dirfd, LCL_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (L->lockfd < 0) return lcl_io_err(L, err, "open lock file", LCL_LOCK_NAME);
    while (flock(L->lockfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK)
            return tw_err_set(err, TWILL_BUSY, NULL,
                              "database %s is in use: another process (or another open handle "
                              "in this process) has the database open",
                              L->path);
        return lcl_io_err(L, err, "lock", LCL_LOCK_NAME);
    }
    return TWILL_OK;
}

static int check_no_data(tw_local *L, const char *name, void *arg, tw_err *err) {
    uint64_t n;
    if (lcl_name_is(name, "log-", ".twl", &n) || lcl_name_is(name, "pages-", ".twp", &n))
        return lcl_corrupt(err,
                           "%s has data file %s but no META file; refusing to initialize over it",
                           L->path, name);
    return TWILL_OK;
}

/* Temp files are leftovers of a crash in the middle of an atomic create; none is live. */
static int remove_tmp(tw_local *L, const char *name, void *arg, tw_err *err) {
    size_t n = strlen(name), sl = strlen(LCL_TMP_SUFFIX);
    if (n <= sl || strcmp(name + n - sl, LCL_TMP_SUFFIX) != 0) return TWILL_OK;
    if (strncmp(name, LCL_META_NAME, strlen(LCL_META_NAME)) != 0 && strncmp(name, "log-", 4) != 0 &&
        strncmp(name, "pages-", 6) != 0)
        return TWILL_OK;
    if (unlinkat(L->dirfd, name, 0) != 0 && errno != ENOENT)
        return lcl_io_err(L, err, "remove", name);
    return TWILL_OK;
}

static void local_free(tw_local *L, int locks_ready) {
    lcl_log_close(L);
    lcl_pages_close(L);
    if (L->lockfd >= 0) close(L->lockfd); /* releases the flock */
    if (L->dirfd >= 0) close(L->dirfd);
    if (locks_ready) {
        pthread_rwlock_destroy(&L->pg_lock);
        pthread_mutex_destroy(&L->mu);
    }
    free(L->path);
    free(L);
}

int tw_local_open(const char *path, const tw_storage_opts *opts, tw_storage **out, tw_err *err) {
    if (out) *out = NULL;
    if (!path || !*path || !out)
        return tw_err_set(err, TWILL_MISUSE, NULL, "file:// storage needs a path and an output");
    tw_local *L = calloc(1, sizeof *L);
    if (!L) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory opening %s", path);
    L->dirfd = L->lockfd = L->log_fd = L->pg_fd = -1;
    L->seg_limit = LCL_SEG_LIMIT_DEFAULT;
    L->base.ops = &local_ops;
    L->path = strdup(path);
    if (!L->path) {
        free(L);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory opening %s", path);
    }
    if (pthread_mutex_init(&L->mu, NULL) != 0) {
        local_free(L, 0);
        return tw_err_set(err, TWILL_NOMEM, NULL, "cannot create a mutex for %s", path);
    }
    if (pthread_rwlock_init(&L->pg_lock, NULL) != 0) {
        pthread_mutex_destroy(&L->mu);
        local_free(L, 0);
        return tw_err_set(err, TWILL_NOMEM, NULL, "cannot create a lock for %s", path);
    }
    int create = opts && opts->create;
    int exists = 0;
    int rc = open_dir(L, create, err);
    if (rc == TWILL_OK) rc = meta_exists(L, &exists, err);
    if (rc == TWILL_OK && !exists && !create)
        rc = tw_err_set(err, TWILL_IOERR, "58P01",
                        "%s is not a Twill database (no META file); open it with create to "
                        "make one",
                        L->path);
    if (rc == TWILL_OK) rc = take_lock(L, err);
    if (rc == TWILL_OK) rc = meta_exists(L, &exists, err); /* may have lost a creation race */
    if (rc == TWILL_OK) rc = lcl_list_dir(L, remove_tmp, NULL, err);
    if (rc == TWILL_OK && !exists) {
        rc = lcl_list_dir(L, check_no_data, NULL, err);
        if (rc == TWILL_OK) rc = lcl_meta_write(L, &L->meta, NULL, err);
    }
    if (rc == TWILL_OK) rc = meta_read(L, err);
    if (rc == TWILL_OK) rc = lcl_pages_load(L, err);
    if (rc == TWILL_OK) rc = lcl_log_recover(L, err);
    if (rc == TWILL_OK && L->durable_lsn < L->meta.checkpoint_lsn)
        rc = lcl_corrupt(err,
                         "%s: the log ends at lsn %llu but the published checkpoint is at lsn "
                         "%llu (acknowledged log data is missing)",
                         L->path, (unsigned long long)L->durable_lsn,
                         (unsigned long long)L->meta.checkpoint_lsn);
    if (rc != TWILL_OK) {
        local_free(L, 1);
        return rc;
    }
    *out = &L->base;
    return TWILL_OK;
}

static void local_close(tw_storage *st) {
    if (st) local_free((tw_local *)st, 1);
}

/* ---- lease, meta, branches ---------------------------------------------------------- */

static int local_lease_acquire(tw_storage *st, uint64_t *epoch_out, tw_err *err) {
    tw_local *L = (tw_local *)st;
    if (!epoch_out) return tw_err_set(err, TWILL_MISUSE, NULL, "lease_acquire needs an output");
    pthread_mutex_lock(&L->mu);
    lcl_meta m = L->meta;
    m.epoch++;
    int renamed = 0;
    int rc = lcl_meta_write(L, &m, &renamed, err);
    /* an epoch that reached the directory must never be handed out again */
    if (rc == TWILL_OK || renamed) L->meta.epoch = m.epoch;
    if (rc == TWILL_OK) {
        L->lease_held = 1;
        *epoch_out = m.epoch;
    }
    pthread_mutex_unlock(&L->mu);
    return rc;
}

static int check_lease(tw_local *L, uint64_t epoch, const char *op, tw_err *err) {
    if (!L->lease_held)
        return tw_err_set(err, TWILL_FENCED, NULL, "%s with epoch %llu: no lease is held on %s", op,
                          (unsigned long long)epoch, L->path);
    if (epoch != L->meta.epoch)
        return tw_err_set(err, TWILL_FENCED, NULL,
                          "%s with stale epoch %llu: the lease on %s is now at epoch %llu", op,
                          (unsigned long long)epoch, L->path, (unsigned long long)L->meta.epoch);
    return TWILL_OK;
}

static int local_lease_renew(tw_storage *st, uint64_t epoch, tw_err *err) {
    tw_local *L = (tw_local *)st;
    pthread_mutex_lock(&L->mu);
    int rc = check_lease(L, epoch, "lease_renew", err);
    pthread_mutex_unlock(&L->mu);
    return rc;
}

static int local_lease_release(tw_storage *st, uint64_t epoch, tw_err *err) {
    tw_local *L = (tw_local *)st;
    pthread_mutex_lock(&L->mu);
    int rc = check_lease(L, epoch, "lease_release", err);
    if (rc == TWILL_OK) L->lease_held = 0;
    pthread_mutex_unlock(&L->mu);
    return rc;
}

/* used by log_append, which already holds mu */
int lcl_check_lease(tw_local *L, uint64_t epoch, tw_err *err) {
    return check_lease(L, epoch, "log_append", err);
}

static int local_meta(tw_storage *st, tw_storage_meta *out, tw_err *err) {
    tw_local *L = (tw_local *)st;
    if (!out) return tw_err_set(err, TWILL_MISUSE, NULL, "meta needs an output");
    pthread_mutex_lock(&L->mu);
    out->durable_lsn = L->durable_lsn;
    out->checkpoint_lsn = L->meta.checkpoint_lsn;
    out->epoch = L->meta.epoch;
    pthread_mutex_unlock(&L->mu);
    return TWILL_OK;
}

static int no_branches(tw_err *err) {
    return tw_err_set(err, TWILL_NOTSUP, NULL,
                      "branches are not supported by the file:// backend yet");
}
static int local_branch_create(tw_storage *st, const char *name, uint64_t at_lsn, tw_err *err) {
    return no_branches(err);
}
static int local_branch_open(tw_storage *st, const char *name, tw_storage **out, tw_err *err) {
    if (out) *out = NULL;
    return no_branches(err);
}
static int local_branch_list(tw_storage *st, tw_branch_visit_fn fn, void *arg, tw_err *err) {
    return no_branches(err);
}
static int local_branch_delete(tw_storage *st, const char *name, tw_err *err) {
    return no_branches(err);
}

static const tw_storage_ops local_ops = {
    .version = TW_STORAGE_VERSION,
    .name = "file",
    .lease_acquire = local_lease_acquire,
    .lease_renew = local_lease_renew,
    .lease_release = local_lease_release,
    .log_append = lcl_log_append,
    .log_scan = lcl_log_scan,
    .log_truncate = lcl_log_truncate,
    .page_read = lcl_page_read,
    .ckpt_write = lcl_ckpt_write,
    .ckpt_finish = lcl_ckpt_finish,
    .branch_create = local_branch_create,
    .branch_open = local_branch_open,
    .branch_list = local_branch_list,
    .branch_delete = local_branch_delete,
    .meta = local_meta,
    .close = local_close,
};

/* ---- test knobs (local.h) ----------------------------------------------------------- */

void tw_local_set_segment_limit(tw_storage *st, uint64_t bytes) {
    if (!st || st->ops != &local_ops) return;
    tw_local *L = (tw_local *)st;
    pthread_mutex_lock(&L->mu);
    L->seg_limit = bytes ? bytes : LCL_SEG_LIMIT_DEFAULT;
    pthread_mutex_unlock(&L->mu);
}

int tw_local_compact(tw_storage *st, tw_err *err) {
    if (!st || st->ops != &local_ops)
        return tw_err_set(err, TWILL_MISUSE, NULL, "tw_local_compact needs a file:// handle");
    tw_local *L = (tw_local *)st;
    pthread_mutex_lock(&L->mu);
    int rc = lcl_pages_compact(L, err);
    pthread_mutex_unlock(&L->mu);
    return rc;
}
