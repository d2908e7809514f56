/*
 * test_storage_local.c — the file:// backend: the conformance suite plus what only a
 * local directory can show (torn tails at every byte, middle corruption, the lock,
 * crashes between ckpt_write and ckpt_finish, damaged page images, compaction).
 */
#include "lib_storage_conformance.h"
#include "storage/local/local.h"
#include "util/buf.h"
#include "util/crc32c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* The table implementation regardless of the CPU (crc32c.c; not in the header). */
uint32_t tw_crc32c_portable(uint32_t crc, const void *p, size_t n);

static char root[PATH_MAX];

/* snprintf into a path buffer; a path that does not fit is a broken test setup */
#define PATHF(buf, ...)                                                                            \
    do {                                                                                           \
        if (snprintf(buf, sizeof buf, __VA_ARGS__) >= (int)sizeof buf) abort();                    \
    } while (0)

/* ---- helpers ------------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f) {
    return remove(path);
}

static void rm_rf(const char *path) {
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void db_path(char *out, const char *name) {
    if (snprintf(out, PATH_MAX, "%s/%s", root, name) >= PATH_MAX) abort();
}

static tw_storage *open_db(const char *path, int create, tw_err *e) {
    tw_storage_opts o = {.create = create};
    tw_storage *st = NULL;
    tw_err_clear(e);
    if (tw_local_open(path, &o, &st, e) != TWILL_OK) return NULL;
    return st;
}

static tw_storage *must_open(const char *path, int create) {
    tw_err e;
    tw_storage *st = open_db(path, create, &e);
    TW_CHECK(st != NULL);
    if (!st) fprintf(stderr, "  open %s: %s (%s)\n", path, e.msg, e.sqlstate);
    return st;
}

static tw_storage *fresh_db(const char *path) {
    rm_rf(path);
    return must_open(path, 1);
}

static uint64_t lease(tw_storage *st) {
    tw_err e;
    tw_err_clear(&e);
    uint64_t ep = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    return ep;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    TW_CHECK(f != NULL);
    if (!f) return;
    TW_CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static long long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static void seg_file(char *out, const char *db, uint64_t first) {
    if (snprintf(out, PATH_MAX, "%s/log-%020llu.twl", db, (unsigned long long)first) >= PATH_MAX)
        abort();
}

static int count_files(const char *db, const char *prefix) {
    DIR *d = opendir(db);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static uint64_t newest_segment(const char *db) {
    DIR *d = opendir(db);
    uint64_t newest = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        unsigned long long f;
        if (sscanf(de->d_name, "log-%20llu.twl", &f) == 1 && f > newest) newest = f;
    }
    if (d) closedir(d);
    return newest;
}

/* Batch `lsn` has 3 records whose sizes and bytes derive from the LSN. */
static size_t rec_len(uint64_t lsn, uint32_t j) {
    return 5 + (size_t)((lsn * 37 + j * 53) % 40);
}
static uint8_t rec_at(uint64_t lsn, uint32_t j, size_t k) {
    return (uint8_t)(lsn * 29 + j * 7 + k);
}

static void append_n(tw_storage *st, uint64_t epoch, uint64_t lsn) {
    uint8_t bufs[3][64];
    tw_iov iov[3];
    for (uint32_t j = 0; j < 3; j++) {
        size_t n = rec_len(lsn, j);
        for (size_t k = 0; k < n; k++) bufs[j][k] = rec_at(lsn, j, k);
        iov[j] = (tw_iov){bufs[j], n};
    }
    tw_err e;
    tw_err_clear(&e);
    uint64_t got = 0;
    TW_CHECK_RC(st->ops->log_append(st, epoch, iov, 3, &got, &e), TWILL_OK, &e);
    TW_CHECK(got == lsn);
}

typedef struct scanck {
    uint64_t next_lsn;
    uint32_t next_idx;
    int bad;
} scanck;

static int scan_visit(void *arg, uint64_t lsn, uint32_t idx, const void *data, size_t len) {
    scanck *c = arg;
    if (lsn != c->next_lsn || idx != c->next_idx || len != rec_len(lsn, idx)) {
        c->bad++;
        return 0;
    }
    for (size_t k = 0; k < len; k++)
        if (((const uint8_t *)data)[k] != rec_at(lsn, idx, k)) c->bad++;
    if (++c->next_idx == 3) c->next_idx = 0, c->next_lsn++;
    return 0;
}

/* Checks that scan(from, MAX] returns exactly batches from+1..last, intact. */
static void check_log(tw_storage *st, uint64_t from, uint64_t last) {
    tw_err e;
    tw_err_clear(&e);
    scanck c = {.next_lsn = from + 1};
    TW_CHECK_RC(st->ops->log_scan(st, from, TW_LSN_MAX, scan_visit, &c, &e), TWILL_OK, &e);
    TW_CHECK(c.bad == 0);
    TW_CHECK(c.next_lsn == last + 1 && c.next_idx == 0);
    if (c.bad || c.next_lsn != last + 1)
        fprintf(stderr, "  log scan from %llu: %d bad, ended before lsn %llu, want %llu\n",
                (unsigned long long)from, c.bad, (unsigned long long)c.next_lsn,
                (unsigned long long)last + 1);
}

static uint64_t durable(tw_storage *st) {
    tw_storage_meta m = {0};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->meta(st, &m, &e), TWILL_OK, &e);
    return m.durable_lsn;
}

static void expect_open_corrupt(const char *db, const char *needle) {
    tw_err e;
    tw_storage *st = open_db(db, 0, &e);
    TW_CHECK(st == NULL);
    TW_CHECK(e.code == TWILL_CORRUPT);
    TW_CHECK(strcmp(e.sqlstate, "XX001") == 0);
    TW_CHECK(needle == NULL || strstr(e.msg, needle) != NULL);
    if (st || e.code != TWILL_CORRUPT || (needle && !strstr(e.msg, needle)))
        fprintf(stderr, "  expected corruption (\"%s\"), got code %d: %s\n", needle ? needle : "",
                e.code, e.msg);
    if (st) st->ops->close(st);
}

static void fill_page(uint8_t *p, uint32_t tag) {
    for (size_t j = 0; j < TW_PAGE_SIZE; j++) p[j] = (uint8_t)(tag * 5 + j);
    memcpy(p, &tag, sizeof tag);
}

static void ckpt(tw_storage *st, uint64_t lsn, const uint32_t *pgnos, const uint32_t *tags,
                 size_t n, int do_finish) {
    static uint8_t data[16][TW_PAGE_SIZE];
    tw_page_image imgs[16];
    for (size_t i = 0; i < n; i++) {
        fill_page(data[i], tags[i]);
        imgs[i] = (tw_page_image){pgnos[i], data[i]};
    }
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->ckpt_write(st, lsn, imgs, n, &e), TWILL_OK, &e);
    if (do_finish) TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
}

/* Reads a page and returns its tag (0: not found, -1: error, with *rc set). */
static long long page_tag(tw_storage *st, uint32_t pgno, uint64_t as_of, uint64_t *ver, int *rc,
                          tw_err *e) {
    static __thread uint8_t buf[TW_PAGE_SIZE];
    int found = 0;
    tw_err_clear(e);
    *rc = st->ops->page_read(st, pgno, as_of, buf, &found, ver, e);
    if (*rc != TWILL_OK) return -1;
    if (!found) return 0;
    uint32_t tag;
    memcpy(&tag, buf, sizeof tag);
    uint8_t want[TW_PAGE_SIZE];
    fill_page(want, tag);
    return memcmp(buf, want, TW_PAGE_SIZE) == 0 ? (long long)tag : -2;
}

static void check_tag(tw_storage *st, uint32_t pgno, uint64_t as_of, long long tag, uint64_t ver) {
    tw_err e;
    int rc;
    uint64_t v = 0;
    long long got = page_tag(st, pgno, as_of, &v, &rc, &e);
    TW_CHECK(got == tag);
    if (tag > 0) TW_CHECK(v == ver);
    if (got != tag)
        fprintf(stderr, "  page %u as of %llu: tag %lld (rc %d %s), want %lld\n", pgno,
                (unsigned long long)as_of, got, rc, e.msg, tag);
}

/* ---- conformance -------------------------------------------------------------------- */

static tw_storage *conf_open(void *ctx, int fresh) {
    const char *path = ctx;
    if (fresh) rm_rf(path);
    tw_err e;
    tw_storage *st = open_db(path, fresh, &e);
    if (!st) fprintf(stderr, "conformance open %s: %s\n", path, e.msg);
    return st;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_crc32c(void) {
    TW_CHECK(tw_crc32c(0, "123456789", 9) == 0xE3069283u);
    TW_CHECK(tw_crc32c_portable(0, "123456789", 9) == 0xE3069283u);
    TW_CHECK(tw_crc32c(0, "", 0) == 0);
    static uint8_t buf[4096];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 2654435761u >> 13);
    int bad = 0;
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 1 + n / 3) {
            uint32_t a = tw_crc32c(0, buf + off, n), b = tw_crc32c_portable(0, buf + off, n);
            uint32_t c = tw_crc32c(tw_crc32c(0, buf + off, n / 2), buf + off + n / 2, n - n / 2);
            bad += a != b || a != c;
        }
    TW_CHECK(bad == 0);
}

static void test_urls(void) {
    tw_err e;
    tw_storage *st = NULL;
    tw_storage_opts create = {.create = 1};
    const char *malformed[] = {"no-scheme", "file://", "://x", "file:/x", "1file://x", ""};
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        tw_err_clear(&e);
        TW_CHECK_RC(tw_storage_open(malformed[i], &create, &st, &e), TWILL_MISUSE, &e);
        TW_CHECK(st == NULL && e.msg[0]);
    }
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open(NULL, &create, &st, &e), TWILL_MISUSE, &e);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open("nosuch://bucket/db", &create, &st, &e), TWILL_NOTSUP, &e);
    TW_CHECK(strstr(e.msg, "\"nosuch\"") && strstr(e.msg, "file://"));
    TW_CHECK(strcmp(e.sqlstate, "0A000") == 0);

    char abs[PATH_MAX + 16], path[PATH_MAX];
    db_path(path, "url_abs.db");
    PATHF(abs, "file://%s", path); /* root is absolute: file:///... */
    TW_CHECK(path[0] == '/');
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open(abs, &create, &st, &e), TWILL_OK, &e);
    if (st) {
        TW_CHECK(strcmp(st->ops->name, "file") == 0);
        st->ops->close(st);
    }

    char cwd[PATH_MAX];
    TW_CHECK(getcwd(cwd, sizeof cwd) != NULL);
    TW_CHECK(chdir(root) == 0);
    st = NULL;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open("file://./url_rel.db", &create, &st, &e), TWILL_OK, &e);
    if (st) st->ops->close(st);
    tw_err_clear(&e);
    st = NULL;
    TW_CHECK_RC(tw_storage_open("FILE://url_rel.db", NULL, &st, &e), TWILL_OK, &e);
    if (st) st->ops->close(st);
    TW_CHECK(chdir(cwd) == 0);
    db_path(path, "url_rel.db/META");
    TW_CHECK(file_size(path) > 0);

    /* no database and no create */
    db_path(path, "missing.db");
    st = open_db(path, 0, &e);
    TW_CHECK(st == NULL && e.code == TWILL_IOERR && strcmp(e.sqlstate, "58P01") == 0);
}

/* End of the last frame of a segment: the file may carry preallocated zeros past it
 * (format knowledge: 32-byte header, then [u32 len][u32 crc][payload] frames). */
static long long data_end(const char *path) {
    size_t len;
    uint8_t *b = read_file(path, &len);
    if (!b) return -1;
    size_t off = 32;
    while (off + 8 <= len) {
        uint32_t fl = tw_load_u32(b + off);
        if (fl == 0 || fl > len - off - 8) break;
        off += 8 + fl;
    }
    free(b);
    return (long long)off;
}

static void test_torn_tail(void) {
    enum { N = 5 };
    char db[PATH_MAX], seg[PATH_MAX];
    db_path(db, "torn.db");
    seg_file(seg, db, 1);
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    for (uint64_t l = 1; l < N; l++) append_n(st, ep, l);
    long long start = data_end(seg);
    append_n(st, ep, N);
    long long end = data_end(seg);
    st->ops->close(st);
    size_t len;
    uint8_t *orig = read_file(seg, &len);
    TW_CHECK(orig && (long long)len >= end && start > 0 && end > start);
    if (!orig) return;

    int fails_before = tw_check_failed;
    /* cut the file at every offset inside the last frame, and flip every byte of it */
    for (int mode = 0; mode < 2; mode++) {
        for (long long at = start; at < end; at++) {
            if (mode == 0) {
                write_file(seg, orig, (size_t)at);
            } else {
                orig[at] ^= 0x5A;
                write_file(seg, orig, len);
                orig[at] ^= 0x5A;
            }
            tw_err e;
            st = open_db(db, 0, &e);
            TW_CHECK(st != NULL);
            if (!st) {
                fprintf(stderr, "  %s at %lld: %s\n", mode ? "flip" : "cut", at, e.msg);
                continue;
            }
            TW_CHECK(durable(st) == N - 1);
            TW_CHECK(file_size(seg) == start); /* the torn frame is gone for good */
            check_log(st, 0, N - 1);
            uint64_t ep2 = lease(st);
            append_n(st, ep2, N);
            if (at == start || at == end - 1) {
                st->ops->close(st);
                st = must_open(db, 0);
                if (!st) continue;
                TW_CHECK(durable(st) == N);
                check_log(st, 0, N);
            }
            st->ops->close(st);
            if (tw_check_failed - fails_before > 20) break; /* don't drown the log */
        }
    }

    /* zeros or garbage after the last good frame: all N batches survive */
    uint8_t *ext = calloc(1, len + 4096);
    TW_CHECK(ext != NULL);
    if (ext) {
        memcpy(ext, orig, len);
        for (int garbage = 0; garbage < 2; garbage++) {
            for (size_t i = 0; garbage && i < 4096; i++) ext[len + i] = (uint8_t)(i * 7919 >> 3);
            write_file(seg, ext, len + 4096);
            st = must_open(db, 0);
            if (!st) continue;
            TW_CHECK(durable(st) == N);
            TW_CHECK(file_size(seg) == end);
            check_log(st, 0, N);
            st->ops->close(st);
        }
        free(ext);
    }
    free(orig);
}

/* Offsets of each frame in a segment (format knowledge: 32-byte header, [len][crc]...). */
static size_t frame_offsets(const uint8_t *b, size_t len, size_t *offs, size_t max) {
    size_t n = 0, off = 32;
    while (off + 8 <= len && n < max) {
        uint32_t fl = tw_load_u32(b + off);
        if (fl == 0) break; /* preallocated zeros after the last frame */
        offs[n++] = off;
        off += 8 + fl;
    }
    return n;
}

static void test_middle_corruption(void) {
    enum { N = 10 };
    char db[PATH_MAX], seg[PATH_MAX];
    db_path(db, "middle.db");
    seg_file(seg, db, 1);
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    for (uint64_t l = 1; l <= N; l++) append_n(st, ep, l);
    st->ops->close(st);
    size_t len;
    uint8_t *orig = read_file(seg, &len);
    TW_CHECK(orig != NULL);
    if (!orig) return;
    size_t offs[N + 1];
    TW_CHECK(frame_offsets(orig, len, offs, N + 1) == N);

    uint8_t *b = malloc(len);
    if (!b) abort();
    /* a flipped payload byte, a wild length, a zeroed header: each with valid frames after */
    for (int kind = 0; kind < 4; kind++) {
        memcpy(b, orig, len);
        size_t f = kind == 3 ? offs[N - 2] : offs[2];
        if (kind == 0 || kind == 3) b[f + 8 + 12] ^= 0x01;
        if (kind == 1) tw_store_u32(b + f, 0xFFFFFF00u);
        if (kind == 2) memset(b + f, 0, 16);
        write_file(seg, b, len);
        expect_open_corrupt(db, "log-00000000000000000001.twl");
        tw_err e;
        st = open_db(db, 0, &e);
        TW_CHECK(st == NULL && strstr(e.msg, "offset") != NULL);
        if (st) st->ops->close(st);
    }
    /* every single flipped byte before the last frame is corruption, never a torn tail */
    int fails_before = tw_check_failed;
    for (size_t at = 0; at < offs[N - 1] && tw_check_failed - fails_before < 10; at++) {
        memcpy(b, orig, len);
        b[at] ^= 0x20;
        write_file(seg, b, len);
        expect_open_corrupt(db, NULL);
    }
    /* an LSN gap: drop frame 4 entirely */
    memcpy(b, orig, offs[3]);
    memcpy(b + offs[3], orig + offs[4], len - offs[4]);
    write_file(seg, b, len - (offs[4] - offs[3]));
    expect_open_corrupt(db, "lsn");
    /* the untouched log is fine (and the refusals above changed nothing) */
    write_file(seg, orig, len);
    st = must_open(db, 0);
    if (st) {
        TW_CHECK(durable(st) == N);
        check_log(st, 0, N);
        st->ops->close(st);
    }
    free(b);
    free(orig);
}

static void test_segments_and_truncate(void) {
    enum { N = 30 };
    char db[PATH_MAX], seg[PATH_MAX];
    db_path(db, "segments.db");
    tw_storage *st = fresh_db(db);
    if (!st) return;
    tw_local_set_segment_limit(st, 512);
    uint64_t ep = lease(st);
    for (uint64_t l = 1; l <= N; l++) append_n(st, ep, l);
    st->ops->close(st);
    int nseg = count_files(db, "log-");
    TW_CHECK(nseg >= 4);

    st = must_open(db, 0);
    if (!st) return;
    TW_CHECK(durable(st) == N);
    check_log(st, 0, N);
    check_log(st, 17, N);
    st->ops->close(st);

    /* damage in a segment that is not the last one is never a torn tail */
    size_t len;
    seg_file(seg, db, 1);
    uint8_t *orig = read_file(seg, &len);
    TW_CHECK(orig != NULL);
    if (orig) {
        write_file(seg, orig, len - 1);
        expect_open_corrupt(db, "not the last");
        /* and a missing segment is a gap */
        remove(seg);
        expect_open_corrupt(db, NULL);
        write_file(seg, orig, len);
        free(orig);
    }
    char seg2[PATH_MAX];
    DIR *d = opendir(db);
    uint64_t second = UINT64_MAX;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        unsigned long long f;
        if (sscanf(de->d_name, "log-%20llu.twl", &f) == 1 && f > 1 && f < second) second = f;
    }
    if (d) closedir(d);
    seg_file(seg2, db, second);
    orig = read_file(seg2, &len);
    TW_CHECK(orig != NULL);
    if (orig) {
        remove(seg2);
        expect_open_corrupt(db, "gap");
        write_file(seg2, orig, len);
        free(orig);
    }

    st = must_open(db, 0);
    if (!st) return;
    tw_err e;
    tw_err_clear(&e);
    ep = lease(st);
    TW_CHECK_RC(st->ops->log_truncate(st, 20, &e), TWILL_MISUSE, &e); /* not checkpointed */
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->ckpt_finish(st, 20, &e), TWILL_OK, &e);
    TW_CHECK_RC(st->ops->log_truncate(st, 20, &e), TWILL_OK, &e);
    int after = count_files(db, "log-");
    TW_CHECK(after > 0 && after < nseg);
    check_log(st, 20, N);
    seg_file(seg, db, 1);
    TW_CHECK(file_size(seg) < 0);
    st->ops->close(st);

    st = must_open(db, 0);
    if (!st) return;
    TW_CHECK(durable(st) == N);
    check_log(st, 20, N);
    ep = lease(st);
    append_n(st, ep, N + 1);
    /* a small last segment is kept by truncate... */
    TW_CHECK_RC(st->ops->ckpt_finish(st, N, &e), TWILL_OK, &e);
    uint64_t last_seg = newest_segment(db);
    TW_CHECK_RC(st->ops->log_truncate(st, N, &e), TWILL_OK, &e);
    TW_CHECK(newest_segment(db) == last_seg && count_files(db, "log-") == 1);
    check_log(st, N, N + 1);
    tw_local_set_segment_limit(st, 512);
    /* ...a big one is rolled over, so that everything checkpointed can be dropped */
    TW_CHECK_RC(st->ops->ckpt_finish(st, N + 1, &e), TWILL_OK, &e);
    TW_CHECK_RC(st->ops->log_truncate(st, N + 1, &e), TWILL_OK, &e);
    TW_CHECK(count_files(db, "log-") == 1);
    seg_file(seg, db, N + 2);
    TW_CHECK(file_size(seg) == 32);
    st->ops->close(st);
    st = must_open(db, 0);
    if (!st) return;
    TW_CHECK(durable(st) == N + 1);
    ep = lease(st);
    append_n(st, ep, N + 2);
    check_log(st, N + 1, N + 2);
    st->ops->close(st);
}

static void test_busy(void) {
    char db[PATH_MAX];
    db_path(db, "busy.db");
    tw_storage *st = fresh_db(db);
    if (!st) return;
    tw_err e;
    tw_storage *st2 = open_db(db, 1, &e);
    TW_CHECK(st2 == NULL);
    TW_CHECK(e.code == TWILL_BUSY && strstr(e.msg, "another process"));
    if (st2) st2->ops->close(st2);

    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        tw_err ce;
        tw_storage *c = open_db(db, 0, &ce);
        _exit(c ? 100 : ce.code);
    }
    int status = 0;
    TW_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    TW_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == TWILL_BUSY);

    st->ops->close(st);
    st2 = must_open(db, 0); /* free again once closed */
    if (st2) st2->ops->close(st2);
}

static void test_ckpt_crash(void) {
    char db[PATH_MAX], pages[PATH_MAX];
    db_path(db, "ckptcrash.db");
    PATHF(pages, "%s/pages-%020d.twp", db, 1);
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    for (uint64_t l = 1; l <= 3; l++) append_n(st, ep, l);
    ckpt(st, 2, (uint32_t[]){1}, (uint32_t[]){11}, 1, 1);
    st->ops->close(st);
    long long published = file_size(pages);

    /* a child process stages a checkpoint and dies before ckpt_finish */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        tw_err ce;
        tw_storage *c = open_db(db, 0, &ce);
        if (!c) _exit(1);
        uint64_t cep = 0;
        if (c->ops->lease_acquire(c, &cep, &ce) != TWILL_OK) _exit(2);
        static uint8_t data[2][TW_PAGE_SIZE];
        fill_page(data[0], 12);
        fill_page(data[1], 22);
        tw_page_image imgs[2] = {{1, data[0]}, {2, data[1]}};
        if (c->ops->ckpt_write(c, 3, imgs, 2, &ce) != TWILL_OK) _exit(3);
        _exit(0); /* no finish, no close: a crash */
    }
    int status = 0;
    TW_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    TW_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    TW_CHECK(file_size(pages) > published);

    st = must_open(db, 0);
    if (!st) return;
    TW_CHECK(file_size(pages) == published); /* the unfinished images were cut off */
    tw_storage_meta m;
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->meta(st, &m, &e), TWILL_OK, &e);
    TW_CHECK(m.checkpoint_lsn == 2 && m.durable_lsn == 3);
    check_tag(st, 1, TW_LSN_MAX, 11, 2);
    check_tag(st, 2, TW_LSN_MAX, 0, 0);
    ckpt(st, 3, (uint32_t[]){2}, (uint32_t[]){23}, 1, 1);
    check_tag(st, 2, TW_LSN_MAX, 23, 3);
    check_tag(st, 1, TW_LSN_MAX, 11, 2);

    /* checkpoint LSN rules */
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->ckpt_finish(st, 3, &e), TWILL_MISUSE, &e); /* not above published */
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->ckpt_write(st, 4, NULL, 0, &e), TWILL_MISUSE, &e); /* beyond durable */
    st->ops->close(st);
}

static void test_page_corruption(void) {
    char db[PATH_MAX], pages[PATH_MAX], meta[PATH_MAX];
    db_path(db, "pagecorrupt.db");
    PATHF(pages, "%s/pages-%020d.twp", db, 1);
    PATHF(meta, "%s/META", db);
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    append_n(st, ep, 1);
    ckpt(st, 1, (uint32_t[]){7, 8}, (uint32_t[]){70, 80}, 2, 1);
    st->ops->close(st);

    size_t len;
    uint8_t *orig = read_file(pages, &len);
    TW_CHECK(orig != NULL);
    if (!orig) return;
    const size_t img0 = 32, img_size = 32 + TW_PAGE_SIZE;
    for (int where = 0; where < 2; where++) {
        size_t at = where == 0 ? img0 + 32 + 1000 : img0 + 4; /* page data, then header */
        orig[at] ^= 0x10;
        write_file(pages, orig, len);
        orig[at] ^= 0x10;
        st = must_open(db, 0);
        if (!st) continue;
        tw_err e;
        int rc;
        uint64_t v;
        TW_CHECK(page_tag(st, 7, TW_LSN_MAX, &v, &rc, &e) == -1);
        TW_CHECK(rc == TWILL_CORRUPT && strcmp(e.sqlstate, "XX001") == 0);
        TW_CHECK(strstr(e.msg, "pages-00000000000000000001.twp") != NULL);
        check_tag(st, 8, TW_LSN_MAX, 80, 1); /* the neighbour is fine */
        st->ops->close(st);
    }
    /* a damaged checkpoint trailer means the index cannot be trusted */
    orig[img0 + 2 * img_size + 30] ^= 0x01;
    write_file(pages, orig, len);
    expect_open_corrupt(db, "trailer");
    orig[img0 + 2 * img_size + 30] ^= 0x01;
    write_file(pages, orig, len);
    free(orig);

    /* META damage */
    orig = read_file(meta, &len);
    TW_CHECK(orig != NULL);
    if (!orig) return;
    orig[20] ^= 0x01;
    write_file(meta, orig, len);
    expect_open_corrupt(db, "META");
    orig[20] ^= 0x01;
    write_file(meta, orig, len - 1);
    expect_open_corrupt(db, "META");
    write_file(meta, orig, len);
    st = must_open(db, 0);
    if (st) {
        check_tag(st, 7, TW_LSN_MAX, 70, 1);
        st->ops->close(st);
    }
    free(orig);
}

static void test_compaction(void) {
    char db[PATH_MAX], p1[PATH_MAX], p2[PATH_MAX];
    db_path(db, "compact.db");
    PATHF(p1, "%s/pages-%020d.twp", db, 1);
    PATHF(p2, "%s/pages-%020d.twp", db, 2);
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    for (uint64_t l = 1; l <= 8; l++) append_n(st, ep, l);
    for (uint32_t c = 1; c <= 5; c++) /* page 4 is last written at lsn 4 */
        ckpt(st, c, (uint32_t[]){1, 2, 3, 4},
             (uint32_t[]){c * 10 + 1, c * 10 + 2, c * 10 + 3, c * 10 + 4}, c == 5 ? 3 : 4, 1);
    long long before = file_size(p1);
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_local_compact(st, &e), TWILL_OK, &e);
    TW_CHECK(file_size(p1) < 0);
    TW_CHECK(file_size(p2) > 0 && file_size(p2) < before / 3);
    for (int round = 0; round < 2; round++) {
        check_tag(st, 1, TW_LSN_MAX, round ? 61 : 51, round ? 6 : 5);
        check_tag(st, 1, 5, 51, 5);
        check_tag(st, 3, 5, 53, 5);
        check_tag(st, 4, TW_LSN_MAX, 44, 4);
        check_tag(st, 4, 4, 44, 4);
        /* older history is gone, and that is reported rather than answered wrongly */
        int rc;
        uint64_t v;
        TW_CHECK(page_tag(st, 1, 3, &v, &rc, &e) == -1 && rc == TWILL_NOTSUP);
        check_tag(st, 9, 3, 0, 0); /* a page that never existed is simply absent */
        if (round == 0) {          /* a checkpoint on top of the compacted file, then a reopen */
            ckpt(st, 6, (uint32_t[]){1}, (uint32_t[]){61}, 1, 1);
            st->ops->close(st);
            st = must_open(db, 0);
            if (!st) return;
        }
    }
    st->ops->close(st);
}

typedef struct reader_ctx {
    tw_storage *st;
    volatile int stop;
    int errors, reads;
} reader_ctx;

static void *reader_main(void *arg) {
    reader_ctx *c = arg;
    while (!c->stop) {
        tw_err e;
        int rc;
        uint64_t v;
        long long tag = page_tag(c->st, 1, TW_LSN_MAX, &v, &rc, &e);
        if (tag < 0 || (tag != 0 && (uint64_t)tag != 1000 + v)) c->errors++;
        c->reads++;
    }
    return NULL;
}

static void test_concurrent_reads(void) {
    char db[PATH_MAX];
    db_path(db, "concurrent.db");
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    reader_ctx c = {.st = st};
    pthread_t th;
    TW_CHECK(pthread_create(&th, NULL, reader_main, &c) == 0);
    for (uint64_t l = 1; l <= 60; l++) {
        append_n(st, ep, l);
        if (l % 10 == 0) ckpt(st, l, (uint32_t[]){1}, (uint32_t[]){(uint32_t)(1000 + l)}, 1, 1);
        if (l == 40) {
            tw_err e;
            tw_err_clear(&e);
            TW_CHECK_RC(tw_local_compact(st, &e), TWILL_OK, &e);
        }
    }
    __atomic_store_n(&c.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(th, NULL);
    TW_CHECK(c.errors == 0);
    TW_CHECK(c.reads > 0);
    st->ops->close(st);
}

static double now_us(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1e6 + tv.tv_usec;
}

/* Not a check: prints what a commit costs here, to spot a regression by eye. */
static void report_append_latency(void) {
    char db[PATH_MAX];
    db_path(db, "latency.db");
    tw_storage *st = fresh_db(db);
    if (!st) return;
    uint64_t ep = lease(st);
    append_n(st, ep, 1);
    enum { N = 200 };
    double t0 = now_us();
    for (uint64_t l = 2; l <= N + 1; l++) append_n(st, ep, l);
    double per = (now_us() - t0) / N;
    fprintf(stderr, "log_append: %.1f us per durable batch (%d batches)\n", per, N);
    st->ops->close(st);
}

int main(void) {
    const char *base = getenv("TWILL_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0777); /* ctest points at a directory it does not create */
    PATHF(root, "%s/storage_local.XXXXXX", base);
    if (!mkdtemp(root)) {
        fprintf(stderr, "mkdtemp %s: %s\n", root, strerror(errno));
        return 1;
    }
    if (root[0] != '/') { /* the URL test wants an absolute root */
        char cwd[PATH_MAX], abs[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return 1;
        PATHF(abs, "%.2000s/%.2000s", cwd, root);
        PATHF(root, "%s", abs);
    }

    test_crc32c();
    test_urls();
    char conf[PATH_MAX];
    db_path(conf, "conformance.db");
    tw_storage_conformance(conf_open, conf);
    test_torn_tail();
    test_middle_corruption();
    test_segments_and_truncate();
    test_busy();
    test_ckpt_crash();
    test_page_corruption();
    test_compaction();
    test_concurrent_reads();
    report_append_latency();

    rm_rf(root);
    printf("%d passed, %d failed\n", tw_check_passed, tw_check_failed);
    return tw_check_failed ? 1 : 0;
}
