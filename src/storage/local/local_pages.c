/*
 * local_pages.c — the versioned page store of the file:// backend.
 *
 * One live page file, pages-<generation>.twp: a 32-byte header, then for each
 * checkpoint its page images followed by a trailer that lists them (pgno, lsn, offset)
 * and points at the previous trailer. META records the file's generation, its
 * published length and the newest trailer; bytes past the published length belong to
 * a checkpoint that was never finished and are cut off on open. On open the trailer
 * chain rebuilds the in-memory index pgno -> versions without touching page data.
 *
 * Compaction keeps only the newest published image of each page: nothing needs older
 * versions yet (no branch points exist). page_read as of an LSN older than the last
 * compaction therefore fails with TWILL_NOTSUP when the answer may have been dropped.
 */
#include "storage/local/local_int.h"
#include "util/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITE_BATCH 256 /* images per pwritev */

typedef unsigned long long ull;

void lcl_pg_name(char out[LCL_NAME_MAX], uint64_t gen) {
    snprintf(out, LCL_NAME_MAX, "pages-%020" PRIu64 ".twp", gen);
}

/* ---- pgno map ----------------------------------------------------------------------- */

static size_t map_home(uint32_t key, size_t cap) {
    return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static uint32_t map_get(const lcl_map *m, uint32_t key) {
    if (!m->cap) return 0;
    for (size_t i = map_home(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i]) return 0;
        if (m->keys[i] == key) return m->vals[i];
    }
}

/* Inserts or replaces; val != 0. */
static int map_put(lcl_map *m, uint32_t key, uint32_t val) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint32_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
        if (!keys || !vals) {
            free(keys);
            free(vals);
            return TWILL_NOMEM;
        }
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->vals[j]) continue;
            size_t i = map_home(m->keys[j], cap);
            while (vals[i]) i = (i + 1) & (cap - 1);
            keys[i] = m->keys[j];
            vals[i] = m->vals[j];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t i = map_home(key, m->cap);
    while (m->vals[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    if (!m->vals[i]) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return TWILL_OK;
}

static void map_clear(lcl_map *m) {
    if (m->cap) memset(m->vals, 0, m->cap * sizeof *m->vals);
    m->n = 0;
}

static void map_free(lcl_map *m) {
    free(m->keys);
    free(m->vals);
    *m = (lcl_map){0};
}

/* ---- index -------------------------------------------------------------------------- */

/* The entry for pgno, created empty if needed, with room for one more version, so a
 * following idx_push cannot fail. */
static int idx_reserve(tw_local *L, uint32_t pgno, lcl_pgent **out) {
    uint32_t ix = map_get(&L->idx, pgno);
    if (!ix) {
        if (L->nents == UINT32_MAX - 1) return TWILL_NOMEM;
        if (L->nents == L->capents) {
            size_t cap = L->capents ? L->capents * 2 : 64;
            lcl_pgent *ne = realloc(L->ents, cap * sizeof *ne);
            if (!ne) return TWILL_NOMEM;
            L->ents = ne;
            L->capents = cap;
        }
        if (map_put(&L->idx, pgno, (uint32_t)L->nents + 1) != TWILL_OK) return TWILL_NOMEM;
        L->ents[L->nents] = (lcl_pgent){.pgno = pgno};
        ix = (uint32_t)++L->nents;
    }
    lcl_pgent *e = &L->ents[ix - 1];
    if (e->n == e->cap) {
        if (e->cap > UINT32_MAX / 2) return TWILL_NOMEM;
        uint32_t cap = e->cap ? e->cap * 2 : 2;
        lcl_ver *nv = realloc(e->v, cap * sizeof *nv);
        if (!nv) return TWILL_NOMEM;
        e->v = nv;
        e->cap = cap;
    }
    *out = e;
    return TWILL_OK;
}

static void idx_free(tw_local *L) {
    for (size_t i = 0; i < L->nents; i++) free(L->ents[i].v);
    free(L->ents);
    L->ents = NULL;
    L->nents = L->capents = 0;
    map_free(&L->idx);
}

static int ver_cmp(const void *a, const void *b) {
    uint64_t x = ((const lcl_ver *)a)->lsn, y = ((const lcl_ver *)b)->lsn;
    return x < y ? -1 : x > y;
}

/* ---- images ------------------------------------------------------------------------- */

static void img_hdr_encode(uint8_t h[LCL_IMG_HDR], uint32_t pgno, uint64_t lsn, const void *data) {
    memset(h, 0, LCL_IMG_HDR);
    tw_store_u32(h, LCL_IMG_MAGIC);
    tw_store_u32(h + 4, pgno);
    tw_store_u64(h + 8, lsn);
    tw_store_u32(h + 16, tw_crc32c(0, data, TW_PAGE_SIZE));
    tw_store_u32(h + 28, tw_crc32c(0, h, 28));
}

static const char *img_check(const uint8_t *h, const void *data, uint32_t pgno, uint64_t lsn) {
    if (tw_load_u32(h) != LCL_IMG_MAGIC) return "bad image magic";
    if (tw_crc32c(0, h, 28) != tw_load_u32(h + 28)) return "image header checksum mismatch";
    if (tw_load_u32(h + 4) != pgno || tw_load_u64(h + 8) != lsn)
        return "image header names a different page or lsn";
    if (tw_crc32c(0, data, TW_PAGE_SIZE) != tw_load_u32(h + 16))
        return "page data checksum mismatch";
    return NULL;
}

static void pg_hdr_encode(uint8_t b[LCL_PG_HDR], uint64_t gen) {
    memset(b, 0, LCL_PG_HDR);
    memcpy(b, LCL_PG_MAGIC, 8);
    tw_store_u32(b + 8, LCL_FORMAT_VERSION);
    tw_store_u64(b + 16, gen);
    tw_store_u32(b + 28, tw_crc32c(0, b, 28));
}

/* ---- open / close ------------------------------------------------------------------- */

static int remove_stale_pages(tw_local *L, const char *name, void *arg, tw_err *err) {
    uint64_t gen;
    if (!lcl_name_is(name, "pages-", ".twp", &gen) || gen == L->meta.pg_gen) return TWILL_OK;
    /* an unpublished compaction result or a file a finished compaction failed to delete */
    if (unlinkat(L->dirfd, name, 0) != 0 && errno != ENOENT)
        return lcl_io_err(L, err, "remove", name);
    return TWILL_OK;
}

static int load_trailers(tw_local *L, const char *name, tw_err *err) {
    uint64_t off = L->meta.pg_trailer, limit = L->meta.pg_end, newer_lsn = UINT64_MAX;
    uint8_t *buf = NULL;
    int rc = TWILL_OK;
    if (!off && limit != LCL_PG_HDR)
        return lcl_corrupt(err, "%s/%s: published length %llu but no checkpoint trailer", L->path,
                           name, (ull)limit);
    while (off) {
        uint8_t h[LCL_TRL_HDR];
        if (off < LCL_PG_HDR || off > limit || limit - off < LCL_TRL_HDR + 4) {
            rc = lcl_corrupt(err, "%s/%s: checkpoint trailer offset %llu is out of range", L->path,
                             name, (ull)off);
            break;
        }
        long long got = lcl_pread_full(L->pg_fd, h, sizeof h, off);
        if (got != (long long)sizeof h) {
            rc = got < 0 ? lcl_io_err(L, err, "read", name)
                         : lcl_corrupt(err, "%s/%s: trailer at %llu is cut short", L->path, name,
                                       (ull)off);
            break;
        }
        uint32_t count = tw_load_u32(h + 4);
        uint64_t lsn = tw_load_u64(h + 8), prev = tw_load_u64(h + 16);
        uint64_t size = LCL_TRL_HDR + (uint64_t)count * LCL_TRL_ENTRY + 4;
        if (tw_load_u32(h) != LCL_TRL_MAGIC || size > limit - off ||
            (off == L->meta.pg_trailer && off + size != L->meta.pg_end)) {
            rc = lcl_corrupt(err, "%s/%s: bad checkpoint trailer at offset %llu", L->path, name,
                             (ull)off);
            break;
        }
        uint8_t *nb = realloc(buf, (size_t)size);
        if (!nb) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory loading the page index");
            break;
        }
        buf = nb;
        got = lcl_pread_full(L->pg_fd, buf, (size_t)size, off);
        if (got != (long long)size) {
            rc = got < 0 ? lcl_io_err(L, err, "read", name)
                         : lcl_corrupt(err, "%s/%s: trailer at %llu is cut short", L->path, name,
                                       (ull)off);
            break;
        }
        if (tw_crc32c(0, buf, (size_t)size - 4) != tw_load_u32(buf + size - 4)) {
            rc = lcl_corrupt(err, "%s/%s: checksum mismatch in checkpoint trailer at offset %llu",
                             L->path, name, (ull)off);
            break;
        }
        if (lsn == 0 || lsn >= newer_lsn || lsn > L->meta.checkpoint_lsn || prev >= off) {
            rc = lcl_corrupt(err, "%s/%s: checkpoint trailer at offset %llu is out of order",
                             L->path, name, (ull)off);
            break;
        }
        for (uint32_t i = 0; i < count && rc == TWILL_OK; i++) {
            const uint8_t *e = buf + LCL_TRL_HDR + (size_t)i * LCL_TRL_ENTRY;
            uint32_t pgno = tw_load_u32(e);
            uint64_t elsn = tw_load_u64(e + 4), eoff = tw_load_u64(e + 12);
            if (elsn == 0 || elsn > lsn || eoff < LCL_PG_HDR || eoff > off ||
                off - eoff < LCL_IMG_SIZE) {
                rc = lcl_corrupt(err, "%s/%s: checkpoint trailer at offset %llu has a bad entry",
                                 L->path, name, (ull)off);
                break;
            }
            lcl_pgent *pe;
            if (idx_reserve(L, pgno, &pe) != TWILL_OK) {
                rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory loading the page index");
                break;
            }
            pe->v[pe->n++] = (lcl_ver){.lsn = elsn, .off = eoff};
            L->pg_images++;
        }
        newer_lsn = lsn;
        limit = off;
        off = prev;
    }
    free(buf);
    if (rc != TWILL_OK) return rc;
    /* trailers were read newest first */
    for (size_t i = 0; i < L->nents; i++) {
        lcl_pgent *e = &L->ents[i];
        qsort(e->v, e->n, sizeof *e->v, ver_cmp);
        for (uint32_t j = 1; j < e->n; j++)
            if (e->v[j].lsn == e->v[j - 1].lsn)
                return lcl_corrupt(err, "%s/%s: page %u has two images at lsn %llu", L->path, name,
                                   e->pgno, (ull)e->v[j].lsn);
    }
    return TWILL_OK;
}

int lcl_pages_load(tw_local *L, tw_err *err) {
    int rc = lcl_list_dir(L, remove_stale_pages, NULL, err);
    if (rc != TWILL_OK) return rc;
    L->pg_floor = L->meta.compact_floor;
    if (L->meta.pg_gen == 0) {
        if (L->meta.pg_trailer || L->meta.pg_end)
            return lcl_corrupt(err, "%s/%s: page store fields set without a page file", L->path,
                               LCL_META_NAME);
        return TWILL_OK;
    }
    char name[LCL_NAME_MAX];
    lcl_pg_name(name, L->meta.pg_gen);
    L->pg_fd = openat(L->dirfd, name, O_RDWR | O_CLOEXEC);
    if (L->pg_fd < 0) {
        if (errno == ENOENT)
            return lcl_corrupt(err, "%s/%s: the published page file is missing", L->path, name);
        return lcl_io_err(L, err, "open", name);
    }
    struct stat sb;
    if (fstat(L->pg_fd, &sb) != 0) return lcl_io_err(L, err, "stat", name);
    uint64_t size = (uint64_t)sb.st_size;
    if (L->meta.pg_end < LCL_PG_HDR || size < L->meta.pg_end)
        return lcl_corrupt(err, "%s/%s: file has %llu bytes but %llu were published", L->path, name,
                           (ull)size, (ull)L->meta.pg_end);
    uint8_t h[LCL_PG_HDR], want[LCL_PG_HDR];
    long long got = lcl_pread_full(L->pg_fd, h, sizeof h, 0);
    if (got < 0) return lcl_io_err(L, err, "read", name);
    pg_hdr_encode(want, L->meta.pg_gen);
    if (got != LCL_PG_HDR || memcmp(h, want, sizeof h) != 0)
        return lcl_corrupt(err, "%s/%s: bad page file header", L->path, name);
    /* images of a checkpoint that never finished: never published, so never readable */
    if (size > L->meta.pg_end && ftruncate(L->pg_fd, (off_t)L->meta.pg_end) != 0)
        return lcl_io_err(L, err, "truncate unpublished images of", name);
    return load_trailers(L, name, err);
}

static void stage_clear(tw_local *L) {
    L->stage_active = 0;
    L->stage_lsn = 0;
    L->nstaged = 0;
    map_clear(&L->stage_idx);
}

/* Drops a staged checkpoint; its images lie past the published end. */
static void stage_abort(tw_local *L) {
    /* best effort: leftovers past pg_end are overwritten by the next checkpoint and cut
     * off on the next open anyway */
    if (L->pg_fd >= 0 && ftruncate(L->pg_fd, (off_t)L->meta.pg_end) != 0) {
    }
    stage_clear(L);
}

void lcl_pages_close(tw_local *L) {
    if (L->stage_active) stage_abort(L);
    if (L->pg_fd >= 0) close(L->pg_fd);
    L->pg_fd = -1;
    idx_free(L);
    free(L->staged);
    L->staged = NULL;
    L->nstaged = L->capstaged = 0;
    map_free(&L->stage_idx);
}

/* ---- read --------------------------------------------------------------------------- */

int lcl_page_read(tw_storage *st, uint32_t pgno, uint64_t as_of, void *buf, int *found_out,
                  uint64_t *version_out, tw_err *err) {
    tw_local *L = (tw_local *)st;
    if (!buf || !found_out) return tw_err_set(err, TWILL_MISUSE, NULL, "page_read needs a buffer");
    *found_out = 0;
    int rc = TWILL_OK;
    pthread_rwlock_rdlock(&L->pg_lock);
    uint32_t ix = map_get(&L->idx, pgno);
    const lcl_pgent *e = ix ? &L->ents[ix - 1] : NULL;
    const lcl_ver *v = NULL;
    if (e && e->n && e->v[0].lsn <= as_of) {
        uint32_t lo = 0, hi = e->n; /* newest version with lsn <= as_of */
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (e->v[mid].lsn <= as_of)
                lo = mid;
            else
                hi = mid;
        }
        v = &e->v[lo];
    }
    if (!v) {
        memset(buf, 0, TW_PAGE_SIZE);
        if (e && e->n && e->v[0].lsn <= L->pg_floor)
            rc = tw_err_set(err, TWILL_NOTSUP, NULL,
                            "page %u as of lsn %llu: history before lsn %llu was discarded by "
                            "compaction",
                            pgno, (ull)as_of, (ull)L->pg_floor);
        pthread_rwlock_unlock(&L->pg_lock);
        return rc;
    }
    uint8_t h[LCL_IMG_HDR];
    struct iovec iov[2] = {{h, sizeof h}, {buf, TW_PAGE_SIZE}};
    long long got = lcl_preadv_full(L->pg_fd, iov, 2, v->off);
    char name[LCL_NAME_MAX];
    const char *why = NULL;
    if (got < 0 || got != LCL_IMG_SIZE || (why = img_check(h, buf, pgno, v->lsn)) != NULL) {
        lcl_pg_name(name, L->meta.pg_gen);
        if (got < 0)
            rc = lcl_io_err(L, err, "read", name);
        else
            rc = lcl_corrupt(err, "%s/%s: page %u (lsn %llu) at offset %llu: %s", L->path, name,
                             pgno, (ull)v->lsn, (ull)v->off, why ? why : "image cut short");
    } else {
        *found_out = 1;
        if (version_out) *version_out = v->lsn;
    }
    pthread_rwlock_unlock(&L->pg_lock);
    return rc;
}

/* ---- checkpoints -------------------------------------------------------------------- */

static int check_ckpt_lsn(tw_local *L, uint64_t lsn, const char *op, tw_err *err) {
    if (L->stage_active && lsn != L->stage_lsn)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "%s at lsn %llu: the checkpoint at lsn %llu is still being written", op,
                          (ull)lsn, (ull)L->stage_lsn);
    if (!L->stage_active && (lsn <= L->meta.checkpoint_lsn || lsn > L->durable_lsn))
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "%s at lsn %llu: a checkpoint lsn must be above the published "
                          "checkpoint (%llu) and at most the durable lsn (%llu)",
                          op, (ull)lsn, (ull)L->meta.checkpoint_lsn, (ull)L->durable_lsn);
    return TWILL_OK;
}

static int ensure_page_file(tw_local *L, tw_err *err) {
    if (L->pg_fd >= 0) return TWILL_OK;
    /* generation 1 with nothing published is equivalent to no page file, so it counts
     * as published right away; if we crash before META names it, open deletes it */
    char name[LCL_NAME_MAX];
    uint8_t h[LCL_PG_HDR];
    lcl_pg_name(name, 1);
    pg_hdr_encode(h, 1);
    int fd = -1;
    int rc = lcl_create_file(L, name, h, sizeof h, &fd, err);
    if (rc != TWILL_OK) return rc;
    pthread_rwlock_wrlock(&L->pg_lock);
    L->pg_fd = fd;
    L->meta.pg_gen = 1;
    L->meta.pg_end = LCL_PG_HDR;
    L->meta.pg_trailer = 0;
    pthread_rwlock_unlock(&L->pg_lock);
    return TWILL_OK;
}

static int stage_note(tw_local *L, uint32_t pgno, uint64_t off) {
    uint32_t ix = map_get(&L->stage_idx, pgno);
    if (ix) {
        L->staged[ix - 1].off = off; /* a later image of the page in this checkpoint wins */
        return TWILL_OK;
    }
    if (L->nstaged == UINT32_MAX - 1) return TWILL_NOMEM;
    if (L->nstaged == L->capstaged) {
        size_t cap = L->capstaged ? L->capstaged * 2 : 64;
        lcl_staged *ns = realloc(L->staged, cap * sizeof *ns);
        if (!ns) return TWILL_NOMEM;
        L->staged = ns;
        L->capstaged = cap;
    }
    if (map_put(&L->stage_idx, pgno, (uint32_t)L->nstaged + 1) != TWILL_OK) return TWILL_NOMEM;
    L->staged[L->nstaged++] = (lcl_staged){.pgno = pgno, .off = off};
    return TWILL_OK;
}

int lcl_ckpt_write(tw_storage *st, uint64_t lsn, const tw_page_image *pages, size_t n,
                   tw_err *err) {
    tw_local *L = (tw_local *)st;
    if (n && !pages) return tw_err_set(err, TWILL_MISUSE, NULL, "ckpt_write: no pages given");
    for (size_t i = 0; i < n; i++)
        if (!pages[i].data)
            return tw_err_set(err, TWILL_MISUSE, NULL, "ckpt_write: page %u has no data",
                              pages[i].pgno);
    pthread_mutex_lock(&L->mu);
    int rc = check_ckpt_lsn(L, lsn, "ckpt_write", err);
    if (rc == TWILL_OK) rc = ensure_page_file(L, err);
    if (rc != TWILL_OK) {
        pthread_mutex_unlock(&L->mu);
        return rc;
    }
    if (!L->stage_active) {
        L->stage_active = 1;
        L->stage_lsn = lsn;
        L->stage_end = L->meta.pg_end;
    }
    char name[LCL_NAME_MAX];
    lcl_pg_name(name, L->meta.pg_gen);
    uint8_t(*hdrs)[LCL_IMG_HDR] = malloc((n < WRITE_BATCH ? n : WRITE_BATCH) * LCL_IMG_HDR + 1);
    struct iovec *iov = malloc(2 * (n < WRITE_BATCH ? n : WRITE_BATCH) * sizeof *iov + 1);
    if (!hdrs || !iov) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory in ckpt_write");
    for (size_t i = 0; rc == TWILL_OK && i < n; i += WRITE_BATCH) {
        size_t m = n - i < WRITE_BATCH ? n - i : WRITE_BATCH;
        for (size_t j = 0; j < m; j++) {
            img_hdr_encode(hdrs[j], pages[i + j].pgno, lsn, pages[i + j].data);
            iov[2 * j] = (struct iovec){hdrs[j], LCL_IMG_HDR};
            iov[2 * j + 1] = (struct iovec){(void *)pages[i + j].data, TW_PAGE_SIZE};
        }
        if (lcl_pwritev_full(L->pg_fd, iov, (int)(2 * m), L->stage_end) != 0) {
            rc = lcl_io_err(L, err, "write page images to", name);
            break;
        }
        for (size_t j = 0; j < m && rc == TWILL_OK; j++)
            if (stage_note(L, pages[i + j].pgno, L->stage_end + j * LCL_IMG_SIZE) != TWILL_OK)
                rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory in ckpt_write");
        L->stage_end += m * LCL_IMG_SIZE;
    }
    free(hdrs);
    free(iov);
    /* the pager keeps its pages dirty and retries, so a failed write drops the stage */
    if (rc != TWILL_OK) stage_abort(L);
    pthread_mutex_unlock(&L->mu);
    return rc;
}

static void trailer_encode(uint8_t *t, uint32_t count, uint64_t lsn, uint64_t prev) {
    tw_store_u32(t, LCL_TRL_MAGIC);
    tw_store_u32(t + 4, count);
    tw_store_u64(t + 8, lsn);
    tw_store_u64(t + 16, prev);
}

static void trailer_seal(uint8_t *t, size_t size) {
    tw_store_u32(t + size - 4, tw_crc32c(0, t, size - 4));
}

/* Compact when dead images are most of a file worth rewriting. */
static int want_compaction(const tw_local *L) {
    size_t live = 0;
    for (size_t i = 0; i < L->nents; i++) live += L->ents[i].n > 0;
    return L->meta.pg_end >= LCL_COMPACT_MIN_BYTES && L->pg_images > 2 * (uint64_t)live;
}

int lcl_ckpt_finish(tw_storage *st, uint64_t lsn, tw_err *err) {
    tw_local *L = (tw_local *)st;
    pthread_mutex_lock(&L->mu);
    uint8_t *t = NULL;
    int rc = check_ckpt_lsn(L, lsn, "ckpt_finish", err);
    if (rc != TWILL_OK) goto out;
    lcl_meta m = L->meta;
    m.checkpoint_lsn = lsn;
    size_t ns = L->stage_active ? L->nstaged : 0;
    if (ns) {
        /* room in the index first: once META is renamed, the merge must not fail */
        pthread_rwlock_wrlock(&L->pg_lock);
        for (size_t i = 0; i < ns && rc == TWILL_OK; i++) {
            lcl_pgent *e;
            if (idx_reserve(L, L->staged[i].pgno, &e) != TWILL_OK)
                rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory in ckpt_finish");
        }
        pthread_rwlock_unlock(&L->pg_lock);
        size_t size = LCL_TRL_HDR + ns * LCL_TRL_ENTRY + 4;
        if (rc == TWILL_OK && !(t = malloc(size)))
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory in ckpt_finish");
        if (rc != TWILL_OK) {
            stage_abort(L);
            goto out;
        }
        uint64_t prev = L->meta.pg_trailer;
        trailer_encode(t, (uint32_t)ns, lsn, prev);
        for (size_t i = 0; i < ns; i++) {
            uint8_t *e = t + LCL_TRL_HDR + i * LCL_TRL_ENTRY;
            tw_store_u32(e, L->staged[i].pgno);
            tw_store_u64(e + 4, lsn);
            tw_store_u64(e + 12, L->staged[i].off);
        }
        trailer_seal(t, size);
        char name[LCL_NAME_MAX];
        lcl_pg_name(name, L->meta.pg_gen);
        if (lcl_pwrite_full(L->pg_fd, t, size, L->stage_end) != 0)
            rc = lcl_io_err(L, err, "write checkpoint trailer to", name);
        else if (fdatasync(L->pg_fd) != 0)
            rc = lcl_io_err(L, err, "fdatasync", name);
        if (rc != TWILL_OK) {
            stage_abort(L);
            goto out;
        }
        m.pg_trailer = L->stage_end;
        m.pg_end = L->stage_end + size;
    }
    int renamed = 0;
    rc = lcl_meta_write(L, &m, &renamed, err);
    if (rc != TWILL_OK && !renamed) {
        stage_abort(L);
        goto out;
    }
    /* published (if only the final directory fsync failed, the new META is what the
     * directory shows, so it is what this handle serves too; rc still reports it) */
    pthread_rwlock_wrlock(&L->pg_lock);
    for (size_t i = 0; i < ns; i++) {
        lcl_pgent *e = &L->ents[map_get(&L->idx, L->staged[i].pgno) - 1];
        e->v[e->n++] = (lcl_ver){.lsn = lsn, .off = L->staged[i].off};
    }
    L->meta = m;
    pthread_rwlock_unlock(&L->pg_lock);
    L->pg_images += ns;
    stage_clear(L);
    if (rc == TWILL_OK && want_compaction(L)) {
        /* Best effort: the checkpoint is already published and the caller must not
         * retry it, and a failed compaction leaves the old file fully in service. It
         * is tried again after the next checkpoint. */
        tw_err ignored;
        tw_err_clear(&ignored);
        (void)lcl_pages_compact(L, &ignored);
    }
out:
    free(t);
    pthread_mutex_unlock(&L->mu);
    return rc;
}

/* ---- compaction --------------------------------------------------------------------- */

int lcl_pages_compact(tw_local *L, tw_err *err) {
    if (L->stage_active)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "cannot compact %s while the checkpoint at lsn %llu is being written",
                          L->path, (ull)L->stage_lsn);
    if (L->pg_fd < 0) return TWILL_OK;
    uint64_t gen = L->meta.pg_gen + 1;
    char name[LCL_NAME_MAX], old_name[LCL_NAME_MAX];
    lcl_pg_name(name, gen);
    lcl_pg_name(old_name, L->meta.pg_gen);
    size_t live = 0;
    for (size_t i = 0; i < L->nents; i++) live += L->ents[i].n > 0;
    size_t tsize = LCL_TRL_HDR + live * LCL_TRL_ENTRY + 4;
    uint8_t *t = malloc(tsize), *img = malloc(LCL_IMG_SIZE);
    uint64_t *newoff = malloc((L->nents ? L->nents : 1) * sizeof *newoff);
    int fd = -1, rc = TWILL_OK;
    if (!t || !img || !newoff) {
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory compacting %s", L->path);
        goto fail;
    }
    uint8_t h[LCL_PG_HDR];
    pg_hdr_encode(h, gen);
    if ((rc = lcl_create_file(L, name, h, sizeof h, &fd, err)) != TWILL_OK) goto fail;
    trailer_encode(t, (uint32_t)live, L->meta.checkpoint_lsn, 0);
    uint64_t off = LCL_PG_HDR;
    size_t k = 0;
    for (size_t i = 0; i < L->nents; i++) {
        const lcl_pgent *e = &L->ents[i];
        if (!e->n) continue;
        const lcl_ver *v = &e->v[e->n - 1];
        long long got = lcl_pread_full(L->pg_fd, img, LCL_IMG_SIZE, v->off);
        const char *why = NULL;
        if (got < 0) {
            rc = lcl_io_err(L, err, "read", old_name);
            goto fail;
        }
        if (got != LCL_IMG_SIZE || (why = img_check(img, img + LCL_IMG_HDR, e->pgno, v->lsn))) {
            rc = lcl_corrupt(err, "%s/%s: page %u (lsn %llu) at offset %llu: %s", L->path, old_name,
                             e->pgno, (ull)v->lsn, (ull)v->off, why ? why : "image cut short");
            goto fail;
        }
        if (lcl_pwrite_full(fd, img, LCL_IMG_SIZE, off) != 0) {
            rc = lcl_io_err(L, err, "write", name);
            goto fail;
        }
        uint8_t *te = t + LCL_TRL_HDR + k++ * LCL_TRL_ENTRY;
        tw_store_u32(te, e->pgno);
        tw_store_u64(te + 4, v->lsn);
        tw_store_u64(te + 12, off);
        newoff[i] = off;
        off += LCL_IMG_SIZE;
    }
    trailer_seal(t, tsize);
    lcl_meta m = L->meta;
    m.pg_gen = gen;
    m.pg_trailer = live ? off : 0;
    m.pg_end = live ? off + tsize : LCL_PG_HDR;
    m.compact_floor = L->meta.checkpoint_lsn;
    if (live && lcl_pwrite_full(fd, t, tsize, off) != 0) {
        rc = lcl_io_err(L, err, "write", name);
        goto fail;
    }
    if (fdatasync(fd) != 0) {
        rc = lcl_io_err(L, err, "fdatasync", name);
        goto fail;
    }
    int renamed = 0;
    rc = lcl_meta_write(L, &m, &renamed, err);
    if (rc != TWILL_OK && !renamed) goto fail;
    pthread_rwlock_wrlock(&L->pg_lock);
    int old_fd = L->pg_fd;
    L->pg_fd = fd;
    for (size_t i = 0; i < L->nents; i++) {
        lcl_pgent *e = &L->ents[i];
        if (!e->n) continue;
        e->v[0] = (lcl_ver){.lsn = e->v[e->n - 1].lsn, .off = newoff[i]};
        e->n = 1;
    }
    L->meta = m;
    L->pg_floor = m.compact_floor;
    pthread_rwlock_unlock(&L->pg_lock);
    L->pg_images = live;
    close(old_fd);
    /* if this fails the file is unreferenced and the next open removes it */
    (void)unlinkat(L->dirfd, old_name, 0);
    free(t);
    free(img);
    free(newoff);
    return rc;
fail:
    if (fd >= 0) {
        close(fd);
        unlinkat(L->dirfd, name, 0);
    }
    free(t);
    free(img);
    free(newoff);
    return rc;
}
