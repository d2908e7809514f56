/* Unit tests of the buffer pool (src/access/pager.c) over the in-memory store. */
#include "access/btree_internal.h"
#include "access/pager.h"
#include "lib_memstore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

/* Runs a call that must succeed (it reports into the global `err`); on failure prints
 * the message and leaves the test function so later checks do not trip over a half-built
 * state. */
static tw_err err;
#define OK(call)                                                                                   \
    do {                                                                                           \
        tw_err_clear(&err);                                                                        \
        int rc_ = (call);                                                                          \
        if (rc_ != TWILL_OK) {                                                                     \
            failed++;                                                                              \
            fprintf(stderr, "%s:%d: %s -> %d (%s)\n", __FILE__, __LINE__, #call, rc_, err.msg);    \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static void fill(uint8_t *d, uint32_t pgno, uint32_t salt) {
    for (size_t i = 0; i < TW_PAGE_SIZE; i += 4)
        tw_store_u32(d + i, pgno * 2654435761u + salt + (uint32_t)i);
}

static int verify(const uint8_t *d, uint32_t pgno, uint32_t salt) {
    for (size_t i = 0; i < TW_PAGE_SIZE; i += 4)
        if (tw_load_u32(d + i) != pgno * 2654435761u + salt + (uint32_t)i) return 0;
    return 1;
}

static int checkpoint(tw_storage *st, tw_pager *pg, tw_err *e) {
    uint64_t lsn;
    int rc = tw_memstore_next_lsn(st, &lsn, e);
    if (rc) return rc;
    return tw_pager_checkpoint(pg, lsn, e);
}

/* Writes `salt`-patterned contents into page pgno. */
static int write_page(tw_pager *pg, uint32_t pgno, uint32_t salt, tw_err *e) {
    tw_frame *f;
    int rc = tw_pager_get(pg, pgno, &f, e);
    if (rc) return rc;
    fill(tw_frame_data(f), pgno, salt);
    tw_pager_mark_dirty(pg, f);
    tw_pager_unpin(pg, f);
    return TWILL_OK;
}

static int check_page(tw_pager *pg, uint32_t pgno, uint32_t salt, int *good, tw_err *e) {
    tw_frame *f;
    int rc = tw_pager_get(pg, pgno, &f, e);
    if (rc) return rc;
    *good = verify(tw_frame_data(f), pgno, salt);
    tw_pager_unpin(pg, f);
    return TWILL_OK;
}

static int alloc_page(tw_pager *pg, uint32_t *pgno, tw_err *e) {
    tw_frame *f;
    int rc = tw_pager_alloc(pg, &f, e);
    if (rc) return rc;
    *pgno = tw_frame_pgno(f);
    tw_pager_unpin(pg, f);
    return TWILL_OK;
}

static void test_fresh(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 16, &pg, &err));
    CHECK(tw_pager_page_count(pg) == 1);
    CHECK(tw_pager_dirty_count(pg) == 1); /* the new header */
    for (int i = 0; i < TW_PAGER_ROOT_SLOTS; i++) CHECK(tw_pager_root(pg, i) == 0);
    tw_frame *f;
    tw_err e;
    tw_err_clear(&e);
    CHECK(tw_pager_get(pg, 5, &f, &e) == TWILL_CORRUPT);
    CHECK(e.code == TWILL_CORRUPT && e.msg[0]);
    tw_err_clear(&e);
    CHECK(tw_pager_free(pg, 0, &e) == TWILL_MISUSE);
    /* A freshly allocated page is zeroed, pinned and dirty. */
    OK(tw_pager_alloc(pg, &f, &err));
    CHECK(tw_frame_pgno(f) == 1);
    int zero = 1;
    for (size_t i = 0; i < TW_PAGE_SIZE; i++) zero &= tw_frame_data(f)[i] == 0;
    CHECK(zero);
    CHECK(tw_pager_dirty_count(pg) == 2);
    tw_err_clear(&e);
    CHECK(tw_pager_free(pg, 1, &e) == TWILL_MISUSE); /* pinned */
    tw_pager_unpin(pg, f);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_alloc_free_reuse(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    enum { N = 6000 }; /* > one trunk's worth, so several trunks are chained */
    static uint32_t pages[N];
    static uint8_t seen[N + 2];
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 32, &pg, &err));
    for (int i = 0; i < N; i++) OK(alloc_page(pg, &pages[i], &err));
    CHECK(tw_pager_page_count(pg) == N + 1);
    CHECK(pages[0] == 1 && pages[N - 1] == N);

    /* Small case first: three pages come back, no growth. */
    OK(tw_pager_free(pg, 3, &err));
    OK(tw_pager_free(pg, 5, &err));
    OK(tw_pager_free(pg, 7, &err));
    CHECK(tw_pager_free_count(pg) == 3);
    tw_err e;
    tw_err_clear(&e);
    CHECK(tw_pager_free(pg, 3, &e) == TWILL_CORRUPT); /* 3 is the trunk: caught double free */
    uint32_t a, b, c;
    OK(alloc_page(pg, &a, &err));
    OK(alloc_page(pg, &b, &err));
    OK(alloc_page(pg, &c, &err));
    CHECK(a + b + c == 15 && a * b * c == 105);
    CHECK(tw_pager_free_count(pg) == 0);
    CHECK(tw_pager_page_count(pg) == N + 1);

    /* Free everything, checkpoint, reopen: the free list persists and is reused fully. */
    for (int i = 0; i < N; i++) OK(tw_pager_free(pg, pages[i], &err));
    CHECK(tw_pager_free_count(pg) == N);
    OK(checkpoint(st, pg, &err));
    tw_pager_close(pg);
    pg = NULL;
    OK(tw_pager_open(st, 32, &pg, &err));
    CHECK(tw_pager_free_count(pg) == N);
    CHECK(tw_pager_page_count(pg) == N + 1);
    memset(seen, 0, sizeof seen);
    int dup = 0, range = 0;
    for (int i = 0; i < N; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        if (p == 0 || p > N)
            range++;
        else if (seen[p]++)
            dup++;
    }
    CHECK(dup == 0 && range == 0);
    CHECK(tw_pager_page_count(pg) == N + 1);
    CHECK(tw_pager_free_count(pg) == 0);
    uint32_t p;
    OK(alloc_page(pg, &p, &err));
    CHECK(p == N + 1); /* list exhausted: extends */
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_eviction_reread(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    enum { N = 300 };
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 16, &pg, &err));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        OK(write_page(pg, p, 7, &err));
    }
    OK(checkpoint(st, pg, &err));
    CHECK(tw_pager_dirty_count(pg) == 0);
    tw_pager_stats s0, s1;
    tw_pager_get_stats(pg, &s0);
    CHECK(s0.pages_written == N + 1);
    int bad = 0;
    srand(1);
    for (int i = 0; i < 5000; i++) {
        uint32_t p = 1 + (uint32_t)rand() % N;
        int good;
        OK(check_page(pg, p, 7, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
    tw_pager_get_stats(pg, &s1);
    CHECK(s1.evictions > s0.evictions);
    CHECK(s1.misses > s0.misses);
    CHECK(s1.hits > s0.hits);
    tw_memstore_stats ms;
    tw_memstore_get_stats(st, &ms);
    CHECK(ms.page_reads >= s1.misses);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_dirty_survive_pressure(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    enum { N = 500 };
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 8, &pg, &err));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        OK(write_page(pg, p, 11, &err));
    }
    CHECK(tw_pager_dirty_count(pg) == N + 1);
    int bad = 0;
    for (uint32_t p = 1; p <= N; p++) {
        int good;
        OK(check_page(pg, p, 11, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
    tw_memstore_stats ms;
    tw_memstore_get_stats(st, &ms);
    CHECK(ms.page_reads == 1); /* only the header probe: nothing dirty was evicted */
    OK(checkpoint(st, pg, &err));
    CHECK(tw_pager_dirty_count(pg) == 0);
    /* Now clean, the pool shrinks back and re-reads from the store. */
    for (uint32_t p = 1; p <= N; p++) {
        int good;
        OK(check_page(pg, p, 11, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
    tw_memstore_get_stats(st, &ms);
    CHECK(ms.page_reads > 1);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_checkpoint_reopen(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    enum { N = 700 }; /* spans several ckpt_write batches */
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 64, &pg, &err));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        OK(write_page(pg, p, 1, &err));
    }
    tw_pager_set_root(pg, 0, 42);
    tw_pager_set_root(pg, 7, UINT64_MAX - 1);
    OK(checkpoint(st, pg, &err));
    /* Unpublished changes after the checkpoint must not survive close. */
    OK(write_page(pg, 3, 2, &err));
    uint32_t extra;
    OK(alloc_page(pg, &extra, &err));
    tw_pager_set_root(pg, 0, 43);
    tw_pager_close(pg);
    pg = NULL;

    OK(tw_pager_open(st, 64, &pg, &err));
    CHECK(tw_pager_page_count(pg) == N + 1);
    CHECK(tw_pager_root(pg, 0) == 42);
    CHECK(tw_pager_root(pg, 7) == UINT64_MAX - 1);
    CHECK(tw_pager_dirty_count(pg) == 0);
    int bad = 0;
    for (uint32_t p = 1; p <= N; p++) {
        int good;
        OK(check_page(pg, p, 1, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
    /* Second round: change some pages, checkpoint again, reopen. */
    for (uint32_t p = 1; p <= N; p += 3) OK(write_page(pg, p, 5, &err));
    OK(checkpoint(st, pg, &err));
    tw_pager_close(pg);
    pg = NULL;
    OK(tw_pager_open(st, 64, &pg, &err));
    bad = 0;
    for (uint32_t p = 1; p <= N; p++) {
        int good;
        OK(check_page(pg, p, (p - 1) % 3 == 0 ? 5 : 1, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
    CHECK(tw_memstore_page_versions(st, 1) == 2);
    CHECK(tw_memstore_page_versions(st, 2) == 1);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_failed_checkpoint(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL, *pg2 = NULL;
    enum { N = 600 };
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 16, &pg, &err));
    OK(checkpoint(st, pg, &err)); /* publish the empty database */
    for (uint32_t i = 0; i < N; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        OK(write_page(pg, p, 3, &err));
    }
    size_t dirty = tw_pager_dirty_count(pg);
    CHECK(dirty == N + 1);

    static const tw_memstore_fault faults[] = {TW_MEMSTORE_FAIL_CKPT_WRITE,
                                               TW_MEMSTORE_FAIL_CKPT_FINISH};
    for (size_t k = 0; k < 2; k++) {
        tw_memstore_fail(st, faults[k], k == 0 ? 1 : 0); /* second write batch / the finish */
        tw_err e;
        tw_err_clear(&e);
        CHECK(checkpoint(st, pg, &e) == TWILL_IOERR);
        CHECK(e.code == TWILL_IOERR);
        CHECK(tw_pager_dirty_count(pg) == dirty);
        tw_pager_stats s;
        tw_pager_get_stats(pg, &s);
        CHECK(s.pages_written == 1); /* only the first, successful checkpoint */
        /* Another opener still sees the old, empty checkpoint. */
        OK(tw_pager_open(st, 16, &pg2, &err));
        CHECK(tw_pager_page_count(pg2) == 1);
        tw_pager_close(pg2);
        pg2 = NULL;
    }
    /* Dirty pages were kept under pressure and after the failures. */
    int bad = 0;
    for (uint32_t p = 1; p <= N; p++) {
        int good;
        OK(check_page(pg, p, 3, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
    OK(checkpoint(st, pg, &err));
    CHECK(tw_pager_dirty_count(pg) == 0);
    OK(tw_pager_open(st, 16, &pg2, &err));
    CHECK(tw_pager_page_count(pg2) == N + 1);
    bad = 0;
    for (uint32_t p = 1; p <= N; p++) {
        int good;
        OK(check_page(pg2, p, 3, &good, &err));
        bad += !good;
    }
    CHECK(bad == 0);
out:
    tw_pager_close(pg2);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_read_failure(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    OK(tw_memstore_open(&st, &err));
    tw_memstore_fail(st, TW_MEMSTORE_FAIL_PAGE_READ, 0);
    tw_err e;
    tw_err_clear(&e);
    CHECK(tw_pager_open(st, 8, &pg, &e) == TWILL_IOERR);
    CHECK(pg == NULL && e.msg[0]);
    OK(tw_pager_open(st, 8, &pg, &err));
    for (uint32_t i = 0; i < 50; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        OK(write_page(pg, p, 9, &err));
    }
    OK(checkpoint(st, pg, &err));
    /* Push page 1 out, then make its re-read fail once. */
    for (uint32_t p = 20; p <= 50; p++) {
        int good;
        OK(check_page(pg, p, 9, &good, &err));
    }
    tw_memstore_fail(st, TW_MEMSTORE_FAIL_PAGE_READ, 0);
    tw_frame *f;
    tw_err_clear(&e);
    CHECK(tw_pager_get(pg, 1, &f, &e) == TWILL_IOERR);
    int good = 0;
    OK(check_page(pg, 1, 9, &good, &err));
    CHECK(good);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_free_drops_dirty(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 8, &pg, &err));
    OK(checkpoint(st, pg, &err));
    uint32_t p[4];
    for (int i = 0; i < 4; i++) OK(alloc_page(pg, &p[i], &err));
    CHECK(tw_pager_dirty_count(pg) == 5);
    OK(tw_pager_free(pg, p[1], &err)); /* becomes the trunk: rewritten, still dirty */
    OK(tw_pager_free(pg, p[2], &err)); /* listed in the trunk: its frame is dropped */
    OK(tw_pager_free(pg, p[3], &err));
    CHECK(tw_pager_dirty_count(pg) == 3); /* header, p[0], trunk */
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

typedef struct reader_arg {
    tw_pager *pg;
    unsigned seed;
    uint32_t npages;
    int bad, errors;
} reader_arg;

static void *reader(void *p) {
    reader_arg *a = p;
    for (int i = 0; i < 20000; i++) {
        a->seed = a->seed * 1103515245u + 12345u;
        uint32_t pgno = 1 + (a->seed >> 8) % a->npages;
        tw_frame *f;
        if (tw_pager_get(a->pg, pgno, &f, NULL) != TWILL_OK) {
            a->errors++;
            continue;
        }
        const uint8_t *d = tw_frame_data(f);
        /* Spot checks keep the test fast while still catching a wrong frame. */
        if (tw_load_u32(d) != pgno * 2654435761u + 4 ||
            tw_load_u32(d + TW_PAGE_SIZE - 4) != pgno * 2654435761u + 4 + TW_PAGE_SIZE - 4)
            a->bad++;
        tw_pager_unpin(a->pg, f);
    }
    return NULL;
}

static void test_concurrent_readers(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    enum { N = 400, T = 4 };
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 32, &pg, &err));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t p;
        OK(alloc_page(pg, &p, &err));
        OK(write_page(pg, p, 4, &err));
    }
    OK(checkpoint(st, pg, &err));
    pthread_t th[T];
    reader_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i] = (reader_arg){pg, (unsigned)i * 7919u + 1, N, 0, 0};
        CHECK(pthread_create(&th[i], NULL, reader, &args[i]) == 0);
    }
    int bad = 0, errors = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        bad += args[i].bad;
        errors += args[i].errors;
    }
    CHECK(bad == 0 && errors == 0);
    tw_pager_stats s;
    tw_pager_get_stats(pg, &s);
    CHECK(s.evictions > 0);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_bad_header(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    OK(tw_memstore_open(&st, &err));
    uint64_t lsn;
    OK(tw_memstore_next_lsn(st, &lsn, &err));
    static uint8_t junk[TW_PAGE_SIZE];
    memset(junk, 0xAB, sizeof junk);
    tw_page_image img = {0, junk};
    OK(st->ops->ckpt_write(st, lsn, &img, 1, &err));
    OK(st->ops->ckpt_finish(st, lsn, &err));
    tw_err e;
    tw_err_clear(&e);
    CHECK(tw_pager_open(st, 8, &pg, &e) == TWILL_CORRUPT);
    CHECK(pg == NULL);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

/* The test store itself honours storage.h: as-of reads, staging vs. publishing. */
static void test_memstore_semantics(void) {
    tw_storage *st = NULL;
    static uint8_t a[TW_PAGE_SIZE], b[TW_PAGE_SIZE], buf[TW_PAGE_SIZE];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    uint64_t l1, l2, l3, ver;
    int found;
    OK(tw_memstore_open(&st, &err));
    tw_err e;
    tw_err_clear(&e);
    tw_page_image ia = {5, a}, ib = {5, b};
    CHECK(st->ops->ckpt_write(st, 1, &ia, 1, &e) == TWILL_MISUSE); /* lsn not durable */
    OK(tw_memstore_next_lsn(st, &l1, &err));
    OK(tw_memstore_next_lsn(st, &l2, &err));
    OK(tw_memstore_next_lsn(st, &l3, &err));
    CHECK(l1 == 1 && l2 == 2 && l3 == 3);
    OK(st->ops->ckpt_write(st, l1, &ib, 1, &err));
    OK(st->ops->ckpt_write(st, l1, &ia, 1, &err)); /* a later image of the page wins */
    OK(st->ops->page_read(st, 5, TW_LSN_MAX, buf, &found, &ver, &err));
    CHECK(!found); /* staged, not published */
    OK(st->ops->ckpt_finish(st, l1, &err));
    OK(st->ops->ckpt_write(st, l3, &ib, 1, &err));
    tw_memstore_crash(st); /* the staged image vanishes */
    OK(st->ops->ckpt_finish(st, l2, &err));
    OK(st->ops->page_read(st, 5, TW_LSN_MAX, buf, &found, &ver, &err));
    CHECK(found && ver == l1 && buf[0] == 'a');
    OK(st->ops->ckpt_write(st, l3, &ib, 1, &err));
    OK(st->ops->ckpt_finish(st, l3, &err));
    OK(st->ops->page_read(st, 5, 0, buf, &found, &ver, &err));
    CHECK(!found && buf[0] == 0 && ver == 0);
    OK(st->ops->page_read(st, 5, l2, buf, &found, &ver, &err));
    CHECK(found && ver == l1 && buf[100] == 'a');
    OK(st->ops->page_read(st, 5, TW_LSN_MAX, buf, &found, &ver, &err));
    CHECK(found && ver == l3 && buf[100] == 'b');
    tw_err_clear(&e);
    CHECK(st->ops->ckpt_finish(st, l3, &e) == TWILL_MISUSE); /* not above the last one */
    tw_storage_meta m;
    OK(st->ops->meta(st, &m, &err));
    CHECK(m.durable_lsn == 3 && m.checkpoint_lsn == 3 && m.epoch == 1);
out:
    if (st) st->ops->close(st);
}

int main(void) {
    tw_err_clear(&err);
    test_memstore_semantics();
    test_fresh();
    test_alloc_free_reuse();
    test_eviction_reread();
    test_dirty_survive_pressure();
    test_checkpoint_reopen();
    test_failed_checkpoint();
    test_read_failure();
    test_free_drops_dirty();
    test_concurrent_readers();
    test_bad_header();
    printf("test_pager: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
