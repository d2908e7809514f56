/*
 * test_object_gc.c — the object backend's cache, compaction, garbage collection and
 * request batching against a real S3 server (a throwaway Ceph radosgw):
 *   batch      parallel PUT/GET through the curl multi interface; DeleteObjects of 1,200
 *              keys in two requests
 *   cache      a reopen with a warm cache reads pages without a GET; a damaged or wiped
 *              cache gives the same pages (only more GETs)
 *   compact    ten checkpoints merged into one layer: every page reads back, history
 *              below the floor is refused, replaced layers, an orphan layer and old
 *              manifests are deleted, a second handle with an empty cache agrees
 *   gap        a log truncation gap below the checkpoint opens; one above it is corrupt
 *   r2         the r2:// scheme end to end (pointed at the test store with ?endpoint=)
 *   cost       object-store requests for 1,000 SQL commits (printed, not asserted
 *              beyond sanity)
 */
#include "lib_storage_conformance.h"
#include "s3test.h"
#include "storage/object/object.h"
#include "storage/object/s3_client.h"
#include "twill/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static s3t_ceph ceph;
static tw_s3 *raw;
static char tmp[600];

static tw_storage *open_db(const char *prefix, const char *cache, int create, tw_err *e) {
    char url[1200];
    s3t_url(url, sizeof url, ceph.endpoint, prefix);
    size_t n = strlen(url);
    snprintf(url + n, sizeof url - n, "&cache=%s", cache);
    tw_storage_opts o = {.create = create};
    tw_storage *st = NULL;
    tw_err_clear(e);
    if (tw_storage_open(url, &o, &st, e) != TWILL_OK) {
        fprintf(stderr, "open %s: %s\n", url, e->msg);
        return NULL;
    }
    return st;
}

static void cache_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", tmp, name);
}

static int append1(tw_storage *st, uint64_t ep, const char *txt, uint64_t *lsn, tw_err *e) {
    tw_iov iov = {txt, strlen(txt)};
    tw_err_clear(e);
    return st->ops->log_append(st, ep, &iov, 1, lsn, e);
}

typedef struct counter {
    size_t n;
} counter;

static int count_key(void *arg, const char *key, uint64_t size) {
    (void)key, (void)size;
    ((counter *)arg)->n++;
    return 0;
}

static size_t count_keys(const char *prefix) {
    counter c = {0};
    tw_err e;
    tw_err_clear(&e);
    if (tw_s3_list(raw, prefix, NULL, count_key, &c, &e) != TWILL_OK)
        fprintf(stderr, "list %s: %s\n", prefix, e.msg);
    return c.n;
}

/* ---- batch and DeleteObjects ---------------------------------------------------------------- */

static void test_batch(void) {
    enum { N = 1200 };
    static char keys[N][64], bodies[N][32];
    static tw_s3_op ops[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "batch/k%05d", i);
        int bl = snprintf(bodies[i], sizeof bodies[i], "body %d", i);
        ops[i] = (tw_s3_op){
            .kind = TW_S3_OP_PUT, .key = keys[i], .data = bodies[i], .data_len = (size_t)bl};
    }
    tw_err e;
    tw_err_clear(&e);
    double t0 = s3t_now_ms();
    TW_CHECK_RC(tw_s3_batch(raw, ops, N, &e), TWILL_OK, &e);
    double put_ms = s3t_now_ms() - t0;
    int ok = 0;
    for (int i = 0; i < N; i++) ok += ops[i].rc == TWILL_OK && ops[i].res.status == 200;
    TW_CHECK(ok == N);
    /* ranged and whole GETs back, in parallel */
    static tw_buf outs[64];
    for (int i = 0; i < 64; i++)
        ops[i] = (tw_s3_op){.kind = TW_S3_OP_GET,
                            .key = keys[i * 7],
                            .off = i % 2 ? 1 : 0,
                            .len = i % 2 ? 3 : 0,
                            .out = &outs[i]};
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_batch(raw, ops, 64, &e), TWILL_OK, &e);
    int same = 0;
    for (int i = 0; i < 64; i++) {
        const char *want = bodies[i * 7];
        size_t wl = strlen(want);
        if (i % 2)
            same += outs[i].len == 3 && !memcmp(outs[i].p, want + 1, 3);
        else
            same += outs[i].len == wl && !memcmp(outs[i].p, want, wl);
        tw_buf_free(&outs[i]);
    }
    TW_CHECK(same == 64);
    /* a missing key in a batch is an answer (404), not a failure */
    tw_buf miss = {0};
    ops[0] = (tw_s3_op){.kind = TW_S3_OP_GET, .key = "batch/nope", .out = &miss};
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_batch(raw, ops, 1, &e), TWILL_OK, &e);
    TW_CHECK(ops[0].res.status == 404);
    tw_buf_free(&miss);

    TW_CHECK(count_keys("batch/") == N);
    tw_s3_stats before, after;
    tw_s3_get_stats(raw, &before);
    const char *ptrs[N + 1];
    for (int i = 0; i < N; i++) ptrs[i] = keys[i];
    ptrs[N] = "batch/never-existed"; /* missing keys count as deleted */
    tw_err_clear(&e);
    t0 = s3t_now_ms();
    TW_CHECK_RC(tw_s3_delete_many(raw, ptrs, N + 1, &e), TWILL_OK, &e);
    double del_ms = s3t_now_ms() - t0;
    tw_s3_get_stats(raw, &after);
    TW_CHECK(after.del - before.del == 2); /* 1,000 + 201 */
    TW_CHECK(count_keys("batch/") == 0);
    fprintf(stderr,
            "batch: %d PUTs through the multi interface in %.0f ms; DeleteObjects of %d keys: "
            "%llu requests, %.0f ms\n",
            N, put_ms, N + 1, (unsigned long long)(after.del - before.del), del_ms);
}

/* ---- the cache ---------------------------------------------------------------------------- */

static void fill_page(uint8_t *p, uint32_t pgno, uint32_t tag) {
    for (size_t i = 0; i < TW_PAGE_SIZE; i += 4) tw_store_u32(p + i, pgno * 131u + tag + (i & 64));
}

static int page_is(tw_storage *st, uint32_t pgno, uint64_t as_of, uint32_t tag, uint64_t ver) {
    static uint8_t got[TW_PAGE_SIZE], want[TW_PAGE_SIZE];
    int found = 0;
    uint64_t v = 0;
    tw_err e;
    tw_err_clear(&e);
    if (st->ops->page_read(st, pgno, as_of, got, &found, &v, &e) != TWILL_OK) {
        fprintf(stderr, "page_read %u: %s\n", pgno, e.msg);
        return 0;
    }
    fill_page(want, pgno, tag);
    if (!found || v != ver || memcmp(got, want, TW_PAGE_SIZE) != 0) {
        fprintf(stderr, "page %u as of %llu: found %d version %llu, want %llu (tag %u)\n", pgno,
                (unsigned long long)as_of, found, (unsigned long long)v, (unsigned long long)ver,
                tag);
        return 0;
    }
    return 1;
}

static uint64_t gets_of(tw_storage *st) {
    tw_s3_stats s;
    tw_object_stats(st, &s);
    return s.get;
}

static void test_cache(void) {
    enum { PAGES = 50 };
    char ca[700], cb[700];
    cache_path(ca, sizeof ca, "cache-a");
    cache_path(cb, sizeof cb, "cache-b");
    tw_err e;
    tw_storage *st = open_db("cachedb", ca, 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    TW_CHECK_RC(append1(st, ep, "x", &lsn, &e), TWILL_OK, &e);
    static uint8_t pg[PAGES][TW_PAGE_SIZE];
    tw_page_image img[PAGES];
    for (uint32_t i = 0; i < PAGES; i++) {
        fill_page(pg[i], i, 7);
        img[i] = (tw_page_image){i, pg[i]};
    }
    TW_CHECK_RC(st->ops->ckpt_write(st, lsn, img, PAGES, &e), TWILL_OK, &e);
    TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
    /* the writer's own cache was written through: its reads need no GET */
    uint64_t g0 = gets_of(st);
    int ok = 0;
    for (uint32_t i = 0; i < PAGES; i++) ok += page_is(st, i, TW_LSN_MAX, 7, lsn);
    TW_CHECK(ok == PAGES && gets_of(st) == g0);
    st->ops->close(st);

    /* another process, empty cache: one GET per page */
    st = open_db("cachedb", cb, 0, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t open_gets = gets_of(st);
    ok = 0;
    for (uint32_t i = 0; i < PAGES; i++) ok += page_is(st, i, TW_LSN_MAX, 7, lsn);
    TW_CHECK(ok == PAGES && gets_of(st) - open_gets == PAGES);
    fprintf(stderr, "cache: cold open %llu GETs, %d page reads %llu GETs\n",
            (unsigned long long)open_gets, PAGES, (unsigned long long)(gets_of(st) - open_gets));
    st->ops->close(st);

    /* warm: the layer index and every page come from the cache */
    st = open_db("cachedb", cb, 0, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t warm_open = gets_of(st);
    TW_CHECK(warm_open == open_gets - 1); /* no GET for the layer index */
    double t0 = s3t_now_ms();
    ok = 0;
    for (uint32_t i = 0; i < PAGES; i++) ok += page_is(st, i, TW_LSN_MAX, 7, lsn);
    double warm_ms = (s3t_now_ms() - t0) / PAGES;
    TW_CHECK(ok == PAGES && gets_of(st) == warm_open);
    char stats[2048];
    TW_CHECK(st->ops->stats_text && st->ops->stats_text(st, stats, sizeof stats) > 0);
    TW_CHECK(strstr(stats, "s3_cache_hits 51\n") != NULL); /* index + 50 pages */
    fprintf(stderr, "cache: warm open %llu GETs, page read from the cache %.3f ms\n",
            (unsigned long long)warm_open, warm_ms);
    st->ops->close(st);

    /* damaged: every file gets a flipped byte; the pages are still right */
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "for f in '%s'/*/????????????????; do printf 'X' | dd of=\"$f\" bs=1 seek=40 "
             "conv=notrunc status=none; done",
             cb);
    TW_CHECK(system(cmd) == 0);
    st = open_db("cachedb", cb, 0, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    ok = 0;
    for (uint32_t i = 0; i < PAGES; i++) ok += page_is(st, i, TW_LSN_MAX, 7, lsn);
    TW_CHECK(ok == PAGES && gets_of(st) == open_gets + PAGES);
    st->ops->close(st);

    /* wiped while open: still right */
    st = open_db("cachedb", cb, 0, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cb);
    TW_CHECK(system(cmd) == 0);
    ok = 0;
    for (uint32_t i = 0; i < PAGES; i++) ok += page_is(st, i, TW_LSN_MAX, 7, lsn);
    TW_CHECK(ok == PAGES);
    st->ops->close(st);
}

/* ---- compaction and garbage collection ------------------------------------------------------ */

/* Checkpoint c (1..10) writes pages p < 20 with (p + c) % 3 == 0, and page 100 + c. */
static int written_in(uint32_t p, int c) {
    return (p < 20 && (p + (uint32_t)c) % 3 == 0) || p == 100u + (uint32_t)c;
}

static void test_compact(void) {
    char ca[700], cb[700], pfx[64];
    cache_path(ca, sizeof ca, "cache-compact");
    cache_path(cb, sizeof cb, "cache-compact-2");
    tw_err e;
    tw_storage *st = open_db("compact", ca, 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t ep = 0, lsn = 0, ck[12] = {0};
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    /* an orphan: a layer no manifest names (a checkpoint that crashed before its publish) */
    tw_s3_result res;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_put(raw, "compact/layer/00000000000000000001-00000000deadbeef", "junk", 4, 0,
                          &res, &e),
                TWILL_OK, &e);
    static uint8_t pg[32][TW_PAGE_SIZE];
    for (int c = 1; c <= 10; c++) {
        char rec[16];
        snprintf(rec, sizeof rec, "c%d", c);
        TW_CHECK_RC(append1(st, ep, rec, &lsn, &e), TWILL_OK, &e);
        TW_CHECK_RC(append1(st, ep, rec, &lsn, &e), TWILL_OK, &e);
        tw_page_image img[32];
        size_t n = 0;
        for (uint32_t p = 0; p < 120; p++)
            if (written_in(p, c)) {
                fill_page(pg[n], p, (uint32_t)c);
                img[n] = (tw_page_image){p, pg[n]};
                n++;
            }
        TW_CHECK_RC(st->ops->ckpt_write(st, lsn, img, n, &e), TWILL_OK, &e);
        TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
        TW_CHECK_RC(st->ops->log_truncate(st, lsn, &e), TWILL_OK, &e);
        ck[c] = lsn;
    }
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_compact(st, &e), TWILL_OK, &e);
    /* every page as of now: the newest image, its own version */
    int ok = 0, want = 0;
    for (uint32_t p = 0; p < 120; p++) {
        int last = 0;
        for (int c = 1; c <= 10; c++)
            if (written_in(p, c)) last = c;
        if (!last) continue;
        want++;
        ok += page_is(st, p, TW_LSN_MAX, (uint32_t)last, ck[last]);
    }
    TW_CHECK(want > 20 && ok == want);
    /* history: page 1 changed at checkpoints 2, 5, 8 — as of checkpoint 3 it is gone */
    static uint8_t buf[TW_PAGE_SIZE];
    int found = 1;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->page_read(st, 1, ck[3], buf, &found, NULL, &e), TWILL_NOTSUP, &e);
    TW_CHECK(strstr(e.msg, "compaction") != NULL && !found);
    /* page 103 was written once (checkpoint 3): as of then it is still exact */
    TW_CHECK(page_is(st, 103, ck[3], 3, ck[3]));
    /* page 110 first appeared at checkpoint 10: as of 9 the floor may hide an older one */
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->page_read(st, 110, ck[9], buf, &found, NULL, &e), TWILL_NOTSUP, &e);
    /* a page never written is simply absent, at any LSN */
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->page_read(st, 500, ck[2], buf, &found, NULL, &e), TWILL_OK, &e);
    TW_CHECK(!found);

    /* the orphan and old manifests are gone; replaced layers wait for one more manifest */
    snprintf(pfx, sizeof pfx, "compact/layer/");
    size_t layers_now = count_keys(pfx);
    TW_CHECK(layers_now >= 2); /* the merged layer + replaced ones still in their grace */
    tw_buf junk = {0};
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_get(raw, "compact/layer/00000000000000000001-00000000deadbeef", 0, 0, &junk,
                          &res, &e),
                TWILL_OK, &e);
    TW_CHECK(res.status == 404);
    tw_buf_free(&junk);
    TW_CHECK(count_keys("compact/manifest/") <= 2);
    /* one more checkpoint: the background thread deletes the replaced layers */
    TW_CHECK_RC(append1(st, ep, "c11", &lsn, &e), TWILL_OK, &e);
    fill_page(pg[0], 5, 11);
    tw_page_image one = {5, pg[0]};
    TW_CHECK_RC(st->ops->ckpt_write(st, lsn, &one, 1, &e), TWILL_OK, &e);
    TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
    ck[11] = lsn;
    size_t layers = 0;
    for (int i = 0; i < 200 && (layers = count_keys(pfx)) != 2; i++) usleep(25000);
    TW_CHECK(layers == 2);
    fprintf(stderr,
            "compact: 10 layers merged into 1; %zu layer objects right after, %zu after "
            "the next checkpoint\n",
            layers_now, layers);
    char stats[2048];
    TW_CHECK(st->ops->stats_text(st, stats, sizeof stats) > 0);
    TW_CHECK(strstr(stats, "s3_compactions 0\n") == NULL);
    TW_CHECK(strstr(stats, "s3_gc_deleted 0\n") == NULL);

    /* a second process with an empty cache sees the same pages */
    tw_storage *b = open_db("compact", cb, 0, &e);
    TW_CHECK(b != NULL);
    if (b) {
        ok = 0;
        for (uint32_t p = 0; p < 120; p++) {
            int last = 0;
            for (int c = 1; c <= 11; c++)
                if (c < 11 ? written_in(p, c) : p == 5) last = c;
            if (last) ok += page_is(b, p, TW_LSN_MAX, (uint32_t)last, ck[last]);
        }
        TW_CHECK(ok == want);
        b->ops->close(b);
    }
    /* compaction needs the lease */
    b = open_db("compact", cb, 0, &e);
    if (b) {
        tw_err_clear(&e);
        TW_CHECK_RC(tw_object_compact(b, &e), TWILL_FENCED, &e);
        b->ops->close(b);
    }
    st->ops->close(st);
}

/* ---- the background thread on its own: eight checkpoints trigger it -------------------------- */

static void test_background(void) {
    char ca[700];
    cache_path(ca, sizeof ca, "cache-bg");
    tw_err e;
    tw_storage *st = open_db("bg", ca, 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    static uint8_t pg[TW_PAGE_SIZE];
    for (int c = 1; c <= TW_OBJ_COMPACT_LAYERS; c++) {
        TW_CHECK_RC(append1(st, ep, "b", &lsn, &e), TWILL_OK, &e);
        fill_page(pg, 1, (uint32_t)c);
        tw_page_image img = {1, pg};
        TW_CHECK_RC(st->ops->ckpt_write(st, lsn, &img, 1, &e), TWILL_OK, &e);
        TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
    }
    char stats[2048] = "";
    for (int i = 0; i < 200; i++) {
        st->ops->stats_text(st, stats, sizeof stats);
        if (!strstr(stats, "s3_compactions 0\n")) break;
        usleep(25000);
    }
    TW_CHECK(strstr(stats, "s3_compactions 1\n") != NULL);
    TW_CHECK(page_is(st, 1, TW_LSN_MAX, TW_OBJ_COMPACT_LAYERS, lsn));
    st->ops->close(st); /* joins the thread */
    st = open_db("bg", ca, 0, &e);
    TW_CHECK(st != NULL);
    if (st) {
        TW_CHECK(page_is(st, 1, TW_LSN_MAX, TW_OBJ_COMPACT_LAYERS, lsn));
        st->ops->close(st);
    }
}

/* ---- GC stops when a newer writer exists -------------------------------------------------- */

static void test_gc_newer_writer(void) {
    char ca[700], cb[700];
    cache_path(ca, sizeof ca, "cache-newer-a");
    cache_path(cb, sizeof cb, "cache-newer-b");
    tw_err e;
    tw_storage *a = open_db("newer", ca, 1, &e);
    TW_CHECK(a != NULL);
    if (!a) return;
    uint64_t ea = 0, lsn = 0;
    TW_CHECK_RC(a->ops->lease_acquire(a, &ea, &e), TWILL_OK, &e);
    static uint8_t pg[TW_PAGE_SIZE];
    for (int c = 1; c <= 3; c++) {
        TW_CHECK_RC(append1(a, ea, "n", &lsn, &e), TWILL_OK, &e);
        fill_page(pg, (uint32_t)c, (uint32_t)c);
        tw_page_image img = {(uint32_t)c, pg};
        TW_CHECK_RC(a->ops->ckpt_write(a, lsn, &img, 1, &e), TWILL_OK, &e);
        TW_CHECK_RC(a->ops->ckpt_finish(a, lsn, &e), TWILL_OK, &e);
    }
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_compact(a, &e), TWILL_OK, &e); /* 3 layers replaced, in their grace */
    TW_CHECK_RC(append1(a, ea, "n", &lsn, &e), TWILL_OK, &e);
    size_t before = count_keys("newer/layer/");
    TW_CHECK(before == 4);
    /* B takes the lease; A does not know yet and still publishes a checkpoint */
    tw_storage *b = open_db("newer", cb, 0, &e);
    TW_CHECK(b != NULL);
    uint64_t eb = 0;
    if (b) TW_CHECK_RC(b->ops->lease_acquire(b, &eb, &e), TWILL_OK, &e);
    fill_page(pg, 9, 9);
    tw_page_image img = {9, pg};
    TW_CHECK_RC(a->ops->ckpt_write(a, lsn, &img, 1, &e), TWILL_OK, &e);
    TW_CHECK_RC(a->ops->ckpt_finish(a, lsn, &e), TWILL_OK, &e);
    /* the replaced layers are past their grace now, but a newer epoch exists: A neither
     * publishes a compaction (it finds out it is fenced) nor deletes anything, and its
     * background thread (kicked by the checkpoint) deleted nothing either */
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_compact(a, &e), TWILL_FENCED, &e);
    TW_CHECK(strstr(e.msg, "newer writer") != NULL);
    tw_err_clear(&e);
    TW_CHECK_RC(append1(a, ea, "lost", &lsn, &e), TWILL_FENCED, &e);
    size_t after = count_keys("newer/layer/");
    TW_CHECK(after == before + 1);
    if (after != before + 1) fprintf(stderr, "  layers before %zu, after %zu\n", before, after);
    if (b) {
        TW_CHECK(page_is(b, 2, TW_LSN_MAX, 2, 2));
        b->ops->close(b);
    }
    a->ops->close(a);
}

/* ---- a checkpoint larger than one layer object: several, PUT in parallel ------------------- */

static void noise_page(uint8_t *p, uint32_t pgno) { /* incompressible: stored raw */
    uint64_t x = 0x9E3779B97F4A7C15ull * (pgno + 1);
    for (size_t i = 0; i < TW_PAGE_SIZE; i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        tw_store_u64(p + i, x);
    }
}

static void test_multipart(void) {
    enum { PAGES = 1100 }; /* 8.8 MB raw: two layer objects of at most 8 MiB */
    char ca[700], cb[700];
    cache_path(ca, sizeof ca, "cache-multi");
    cache_path(cb, sizeof cb, "cache-multi-2");
    tw_err e;
    tw_storage *st = open_db("multi", ca, 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    TW_CHECK_RC(append1(st, ep, "m", &lsn, &e), TWILL_OK, &e);
    uint8_t *pages = malloc((size_t)PAGES * TW_PAGE_SIZE);
    tw_page_image *img = malloc(PAGES * sizeof *img);
    if (!pages || !img) {
        free(pages), free(img);
        st->ops->close(st);
        return;
    }
    for (uint32_t i = 0; i < PAGES; i++) {
        noise_page(pages + (size_t)i * TW_PAGE_SIZE, i);
        img[i] = (tw_page_image){i, pages + (size_t)i * TW_PAGE_SIZE};
    }
    TW_CHECK_RC(st->ops->ckpt_write(st, lsn, img, PAGES, &e), TWILL_OK, &e);
    double t0 = s3t_now_ms();
    TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
    double ms = s3t_now_ms() - t0;
    size_t parts = count_keys("multi/layer/");
    TW_CHECK(parts == 2);
    fprintf(stderr, "multipart: a %d-page checkpoint (%.1f MB) as %zu layer objects in %.0f ms\n",
            PAGES, PAGES * (double)TW_PAGE_SIZE / 1e6, parts, ms);
    st->ops->close(st);
    /* another process, empty cache: pages from both objects */
    st = open_db("multi", cb, 0, &e);
    TW_CHECK(st != NULL);
    if (st) {
        static uint8_t got[TW_PAGE_SIZE];
        int ok = 0, found = 0;
        uint64_t ver = 0;
        for (uint32_t i = 0; i < PAGES; i += 37) {
            tw_err_clear(&e);
            if (st->ops->page_read(st, i, TW_LSN_MAX, got, &found, &ver, &e) == TWILL_OK && found &&
                ver == lsn && !memcmp(got, pages + (size_t)i * TW_PAGE_SIZE, TW_PAGE_SIZE))
                ok++;
        }
        TW_CHECK(ok == (PAGES + 36) / 37);
        /* a forced compaction merges the checkpoint's two objects into one */
        uint64_t ep2 = 0;
        TW_CHECK_RC(st->ops->lease_acquire(st, &ep2, &e), TWILL_OK, &e);
        tw_err_clear(&e);
        TW_CHECK_RC(tw_object_compact(st, &e), TWILL_OK, &e);
        ok = 0;
        for (uint32_t i = 5; i < PAGES; i += 41) {
            tw_err_clear(&e);
            if (st->ops->page_read(st, i, TW_LSN_MAX, got, &found, &ver, &e) == TWILL_OK && found &&
                ver == lsn && !memcmp(got, pages + (size_t)i * TW_PAGE_SIZE, TW_PAGE_SIZE))
                ok++;
        }
        TW_CHECK(ok == (PAGES - 5 + 40) / 41);
        st->ops->close(st);
    }
    /* the merged pages (again two objects) from a third process with an empty cache */
    char cc[700];
    cache_path(cc, sizeof cc, "cache-multi-3");
    st = open_db("multi", cc, 0, &e);
    TW_CHECK(st != NULL);
    if (st) {
        static uint8_t got[TW_PAGE_SIZE];
        int ok = 0, found = 0;
        uint64_t ver = 0;
        for (uint32_t i = 3; i < PAGES; i += 29) {
            tw_err_clear(&e);
            if (st->ops->page_read(st, i, TW_LSN_MAX, got, &found, &ver, &e) == TWILL_OK && found &&
                ver == lsn && !memcmp(got, pages + (size_t)i * TW_PAGE_SIZE, TW_PAGE_SIZE))
                ok++;
        }
        TW_CHECK(ok == (PAGES - 3 + 28) / 29);
        st->ops->close(st);
    }
    free(pages), free(img);
}

/* ---- a truncation gap -------------------------------------------------------------------------
 */

static void test_gap(void) {
    char ca[700];
    cache_path(ca, sizeof ca, "cache-gap");
    tw_err e;
    tw_storage *st = open_db("gap", ca, 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e); /* fence: log/1 */
    for (int i = 1; i <= 5; i++) TW_CHECK_RC(append1(st, ep, "g", &lsn, &e), TWILL_OK, &e);
    static uint8_t pg[TW_PAGE_SIZE];
    fill_page(pg, 0, 1);
    tw_page_image img = {0, pg};
    TW_CHECK_RC(st->ops->ckpt_write(st, 3, &img, 1, &e), TWILL_OK, &e);
    TW_CHECK_RC(st->ops->ckpt_finish(st, 3, &e), TWILL_OK, &e);
    st->ops->close(st);
    /* log/3 holds LSN 2, below the checkpoint: as if a DeleteObjects had missed log/2 */
    tw_s3_result res;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_delete(raw, "gap/log/00000000000000000003", &res, &e), TWILL_OK, &e);
    st = open_db("gap", ca, 0, &e);
    TW_CHECK(st != NULL);
    if (st) {
        tw_storage_meta m;
        TW_CHECK_RC(st->ops->meta(st, &m, &e), TWILL_OK, &e);
        TW_CHECK(m.durable_lsn == 5 && m.checkpoint_lsn == 3);
        uint64_t ep2 = 0;
        TW_CHECK_RC(st->ops->lease_acquire(st, &ep2, &e), TWILL_OK, &e);
        TW_CHECK_RC(append1(st, ep2, "after", &lsn, &e), TWILL_OK, &e);
        TW_CHECK(lsn == 6);
        /* the next truncation removes the leftovers before the gap too */
        TW_CHECK_RC(st->ops->log_truncate(st, 3, &e), TWILL_OK, &e);
        TW_CHECK(count_keys("gap/log/00000000000000000002") == 0);
        st->ops->close(st);
    }
    /* a gap above the checkpoint loses acknowledged batches: corrupt, said so */
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_delete(raw, "gap/log/00000000000000000006", &res, &e), TWILL_OK, &e);
    st = open_db("gap", ca, 0, &e);
    TW_CHECK(st == NULL && e.code == TWILL_CORRUPT && strstr(e.msg, "missing"));
    if (st) st->ops->close(st);
}

/* ---- replay: log_scan fetches in parallel -----------------------------------------------------
 */

typedef struct seen {
    int n, in_order;
    uint64_t last;
} seen;

static int see(void *arg, uint64_t lsn, uint32_t idx, const void *data, size_t len) {
    seen *s = arg;
    char want[32];
    snprintf(want, sizeof want, "r%llu", (unsigned long long)lsn);
    s->in_order +=
        lsn == s->last + 1 && idx == 0 && len == strlen(want) && !memcmp(data, want, len);
    s->last = lsn;
    s->n++;
    return 0;
}

static void test_replay(void) {
    enum { N = 300 };
    char ca[700];
    cache_path(ca, sizeof ca, "cache-replay");
    tw_err e;
    tw_storage *st = open_db("replay", ca, 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    for (int i = 1; i <= N; i++) {
        char rec[32];
        snprintf(rec, sizeof rec, "r%d", i);
        TW_CHECK_RC(append1(st, ep, rec, &lsn, &e), TWILL_OK, &e);
    }
    st->ops->close(st);
    st = open_db("replay", ca, 0, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    uint64_t g0 = gets_of(st);
    seen s = {0};
    double t0 = s3t_now_ms();
    TW_CHECK_RC(st->ops->log_scan(st, 0, TW_LSN_MAX, see, &s, &e), TWILL_OK, &e);
    double ms = s3t_now_ms() - t0;
    TW_CHECK(s.n == N && s.in_order == N && gets_of(st) - g0 == N);
    /* the same objects one GET at a time, for comparison */
    tw_buf b = {0};
    tw_s3_result res;
    t0 = s3t_now_ms();
    for (int i = 2; i <= N + 1; i++) { /* log/1 is the lease's fence */
        char key[64];
        snprintf(key, sizeof key, "replay/log/%020d", i);
        tw_err_clear(&e);
        if (tw_s3_get(raw, key, 0, 0, &b, &res, &e) != TWILL_OK || res.status != 200) break;
    }
    double serial = s3t_now_ms() - t0;
    tw_buf_free(&b);
    fprintf(stderr,
            "replay: %d log objects scanned in %.0f ms (32 in flight); one GET at a time: %.0f "
            "ms\n",
            N, ms, serial);
    st->ops->close(st);
}

/* ---- r2:// end to end, and the cost of 1,000 commits through SQL ----------------------------- */

static int64_t scalar(twill_db *db, const char *sql) {
    twill_session *s = NULL;
    twill_stmt *st = NULL;
    int64_t v = -1;
    if (twill_session_open(db, &s) == TWILL_OK &&
        twill_prepare(s, sql, -1, &st, NULL) == TWILL_OK && twill_step(st) == TWILL_ROW)
        v = twill_column_int64(st, 0);
    twill_finalize(st);
    twill_session_close(s);
    return v;
}

static unsigned long long stat_of(twill_db *db, const char *name) {
    char buf[4096] = "\n", pat[64];
    if (twill_db_stats(db, buf + 1, sizeof buf - 1) <= 0) return 0;
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = strstr(buf, pat);
    return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static void test_r2_and_cost(void) {
    char url[1200], ca[700];
    cache_path(ca, sizeof ca, "cache-r2");
    snprintf(url, sizeof url, "r2://" S3T_BUCKET "/r2db?endpoint=%s&cache=%s", ceph.endpoint, ca);
    twill_db *db = NULL;
    TW_CHECK(twill_open(url, "create=1", &db) == TWILL_OK);
    if (!db) {
        fprintf(stderr, "twill_open %s: %s\n", url, twill_open_errmsg());
        return;
    }
    twill_session *s = NULL;
    TW_CHECK(twill_session_open(db, &s) == TWILL_OK);
    TW_CHECK(twill_exec(s, "CREATE TABLE t (k int PRIMARY KEY, v text)") == TWILL_OK);
    unsigned long long p0 = stat_of(db, "s3_put"), g0 = stat_of(db, "s3_get"),
                       l0 = stat_of(db, "s3_list"), d0 = stat_of(db, "s3_delete"),
                       h0 = stat_of(db, "s3_head"), c0 = stat_of(db, "commits");
    int rc = TWILL_OK;
    double t0 = s3t_now_ms();
    for (int i = 1; i <= 1000 && rc == TWILL_OK; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'row %d')", i, i);
        if ((rc = twill_exec(s, sql))) fprintf(stderr, "  %s\n", twill_errmsg(s));
    }
    double ms = s3t_now_ms() - t0;
    TW_CHECK(rc == TWILL_OK);
    unsigned long long puts = stat_of(db, "s3_put") - p0, commits = stat_of(db, "commits") - c0;
    fprintf(stderr,
            "cost: %llu SQL commits (one session, autocommit INSERTs) in %.0f ms: PUT %llu GET "
            "%llu LIST %llu HEAD %llu DELETE %llu\n",
            commits, ms, puts, stat_of(db, "s3_get") - g0, stat_of(db, "s3_list") - l0,
            stat_of(db, "s3_head") - h0, stat_of(db, "s3_delete") - d0);
    TW_CHECK(commits == 1000 && puts >= 1000 && puts <= 1010);
    twill_session_close(s);
    TW_CHECK(twill_close(db) == TWILL_OK);
    TW_CHECK(count_keys("r2db/log/") > 0);

    db = NULL;
    TW_CHECK(twill_open(url, "create=0", &db) == TWILL_OK);
    if (db) {
        TW_CHECK(scalar(db, "SELECT count(*) FROM t") == 1000);
        TW_CHECK(scalar(db, "SELECT sum(k) FROM t") == 500500);
        TW_CHECK(twill_close(db) == TWILL_OK);
    }
}

int main(void) {
    if (s3t_ceph_up(&ceph) != 0) {
        printf("0 passed, 1 failed (the Ceph cluster did not start)\n");
        return 1;
    }
    snprintf(tmp, sizeof tmp, "%s/caches", ceph.dir);
    mkdir(tmp, 0777);
    setenv("TWILL_CACHE_DIR", tmp, 1); /* anything opened without ?cache= */
    tw_s3_config cfg = {.endpoint = ceph.endpoint,
                        .region = "us-east-1",
                        .bucket = S3T_BUCKET,
                        .access_key = S3T_ACCESS,
                        .secret_key = S3T_SECRET};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_open(&cfg, &raw, &e), TWILL_OK, &e);
    if (raw) {
        test_batch();
        test_cache();
        test_compact();
        test_background();
        test_gap();
        test_multipart();
        test_gc_newer_writer();
        test_replay();
        test_r2_and_cost();
        tw_s3_close(raw);
    }
    s3t_ceph_down(&ceph);
    printf("%d passed, %d failed\n", tw_check_passed, tw_check_failed);
    return tw_check_failed ? 1 : 0;
}
