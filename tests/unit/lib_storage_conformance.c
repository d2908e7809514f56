/*
 * lib_storage_conformance.c — the storage seam's contract, checked against any backend.
 * See lib_storage_conformance.h.
 */
#include "lib_storage_conformance.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int tw_check_passed, tw_check_failed;

#define BIG_RECORD (10u << 20)
#define MAX_RECS 4

/* ---- records ------------------------------------------------------------------------ */

static uint8_t rec_byte(uint64_t lsn, uint32_t idx, size_t j) {
    return (uint8_t)(lsn * 131 + idx * 17 + j * 7 + (j >> 8));
}

typedef struct batch_desc {
    uint64_t lsn;
    uint32_t n;
    size_t lens[MAX_RECS];
} batch_desc;

/* Appends records shaped by `b` (content derived from b->lsn) and checks the LSN. */
static void append_batch(tw_storage *st, uint64_t epoch, const batch_desc *b) {
    tw_iov iov[MAX_RECS];
    uint8_t *bufs[MAX_RECS] = {0};
    for (uint32_t i = 0; i < b->n; i++) {
        bufs[i] = malloc(b->lens[i] ? b->lens[i] : 1);
        if (!bufs[i]) abort();
        for (size_t j = 0; j < b->lens[i]; j++) bufs[i][j] = rec_byte(b->lsn, i, j);
        iov[i] = (tw_iov){bufs[i], b->lens[i]};
    }
    tw_err e;
    tw_err_clear(&e);
    uint64_t lsn = 0;
    TW_CHECK_RC(st->ops->log_append(st, epoch, iov, b->n, &lsn, &e), TWILL_OK, &e);
    TW_CHECK(lsn == b->lsn);
    for (uint32_t i = 0; i < b->n; i++) free(bufs[i]);
}

typedef struct visit {
    uint64_t lsn;
    uint32_t idx;
    size_t len;
    int content_ok;
} visit;

typedef struct collector {
    visit *v;
    size_t n, cap;
    size_t stop_after; /* 0: never stop */
    int stop_rc;
} collector;

static int collect(void *arg, uint64_t lsn, uint32_t idx, const void *data, size_t len) {
    collector *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (!c->v) abort();
    }
    const uint8_t *p = data;
    int ok = len == 0 || p != NULL;
    for (size_t j = 0; ok && j < len; j++) ok = p[j] == rec_byte(lsn, idx, j);
    c->v[c->n++] = (visit){lsn, idx, len, ok};
    if (c->stop_after && c->n == c->stop_after) return c->stop_rc;
    return 0;
}

/* Scans (from, to] and checks the visits are exactly the records of `bs` in range. */
static void check_scan(tw_storage *st, uint64_t from, uint64_t to, const batch_desc *bs,
                       size_t nb) {
    collector c = {0};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->log_scan(st, from, to, collect, &c, &e), TWILL_OK, &e);
    size_t k = 0, bad = 0;
    for (size_t b = 0; b < nb; b++) {
        if (bs[b].lsn <= from || bs[b].lsn > to) continue;
        for (uint32_t i = 0; i < bs[b].n; i++, k++) {
            if (k >= c.n || c.v[k].lsn != bs[b].lsn || c.v[k].idx != i ||
                c.v[k].len != bs[b].lens[i] || !c.v[k].content_ok)
                bad++;
        }
    }
    TW_CHECK(bad == 0);
    TW_CHECK(c.n == k);
    if (bad || c.n != k)
        fprintf(stderr, "  scan (%llu, %llu]: %zu visits, %zu expected, %zu wrong\n",
                (unsigned long long)from, (unsigned long long)to, c.n, k, bad);
    free(c.v);
}

static void check_meta(tw_storage *st, uint64_t durable, uint64_t ckpt, uint64_t epoch) {
    tw_storage_meta m = {0};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->meta(st, &m, &e), TWILL_OK, &e);
    TW_CHECK(m.durable_lsn == durable);
    TW_CHECK(m.checkpoint_lsn == ckpt);
    TW_CHECK(m.epoch == epoch);
    if (m.durable_lsn != durable || m.checkpoint_lsn != ckpt || m.epoch != epoch)
        fprintf(stderr, "  meta {%llu, %llu, %llu}, expected {%llu, %llu, %llu}\n",
                (unsigned long long)m.durable_lsn, (unsigned long long)m.checkpoint_lsn,
                (unsigned long long)m.epoch, (unsigned long long)durable, (unsigned long long)ckpt,
                (unsigned long long)epoch);
}

/* ---- pages -------------------------------------------------------------------------- */

static void fill_page(uint8_t *p, uint32_t tag) {
    for (size_t j = 0; j < TW_PAGE_SIZE; j++) p[j] = (uint8_t)(tag * 7 + j * 13 + (j >> 9));
    memcpy(p, &tag, sizeof tag);
}

/* Checks page `pgno` as of `as_of` is the image filled with `tag` at `version`, or is
 * absent (zeroed) when tag == 0. */
static void check_page(tw_storage *st, uint32_t pgno, uint64_t as_of, uint32_t tag,
                       uint64_t version) {
    static uint8_t got[TW_PAGE_SIZE], want[TW_PAGE_SIZE];
    memset(got, 0xA5, sizeof got);
    int found = -1;
    uint64_t ver = 0;
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->page_read(st, pgno, as_of, got, &found, &ver, &e), TWILL_OK, &e);
    if (tag == 0) {
        memset(want, 0, sizeof want);
        TW_CHECK(found == 0);
        TW_CHECK(memcmp(got, want, sizeof got) == 0);
    } else {
        fill_page(want, tag);
        TW_CHECK(found == 1);
        TW_CHECK(ver == version);
        TW_CHECK(memcmp(got, want, sizeof got) == 0);
        if (found != 1 || ver != version)
            fprintf(stderr, "  page %u as of %llu: found=%d version=%llu, expected version %llu\n",
                    pgno, (unsigned long long)as_of, found, (unsigned long long)ver,
                    (unsigned long long)version);
    }
}

static void write_pages(tw_storage *st, uint64_t lsn, const uint32_t *pgnos, const uint32_t *tags,
                        size_t n) {
    tw_page_image imgs[8];
    static uint8_t data[8][TW_PAGE_SIZE];
    for (size_t i = 0; i < n && i < 8; i++) {
        fill_page(data[i], tags[i]);
        imgs[i] = (tw_page_image){pgnos[i], data[i]};
    }
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->ckpt_write(st, lsn, imgs, n, &e), TWILL_OK, &e);
}

static void finish(tw_storage *st, uint64_t lsn) {
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
}

/* ---- sections ----------------------------------------------------------------------- */

static const batch_desc BATCHES[] = {
    {1, 1, {10}},
    {2, 1, {20}},
    {3, 1, {30}},
    {4, 1, {40}},
    {5, 1, {50}},
    {6, 3, {0, 5, 5000}},     /* empty, small and above any inline threshold */
    {7, 1, {BIG_RECORD}},     /* 10 MB */
    {8, 4, {1, 0, 70000, 3}}, /* appended after a reopen */
};
#define NB_BEFORE 7 /* batches written before the first reopen */

static int stop_visits;
static int stop_visit(void *arg, uint64_t lsn, uint32_t idx, const void *data, size_t len) {
    stop_visits++;
    return 42;
}

static void section_ops_table(tw_storage *st) {
    const tw_storage_ops *o = st->ops;
    TW_CHECK(o->version == TW_STORAGE_VERSION);
    TW_CHECK(o->name && *o->name);
    TW_CHECK(o->lease_acquire && o->lease_renew && o->lease_release);
    TW_CHECK(o->log_append && o->log_scan && o->log_truncate);
    TW_CHECK(o->page_read && o->ckpt_write && o->ckpt_finish);
    TW_CHECK(o->branch_create && o->branch_open && o->branch_list && o->branch_delete);
    TW_CHECK(o->meta && o->close);
}

static void section_log(tw_storage *st, uint64_t *epoch) {
    tw_err e;
    tw_err_clear(&e);
    check_meta(st, 0, 0, 0);
    check_scan(st, 0, TW_LSN_MAX, BATCHES, 0); /* empty log */

    uint64_t e1 = 0, e2 = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &e1, &e), TWILL_OK, &e);
    TW_CHECK(e1 >= 1);
    check_meta(st, 0, 0, e1);
    for (size_t b = 0; b < 5; b++) append_batch(st, e1, &BATCHES[b]);
    check_meta(st, 5, 0, e1);

    /* a newer lease fences the older epoch */
    TW_CHECK_RC(st->ops->lease_acquire(st, &e2, &e), TWILL_OK, &e);
    TW_CHECK(e2 > e1);
    tw_iov one = {"x", 1};
    uint64_t lsn = 0;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->log_append(st, e1, &one, 1, &lsn, &e), TWILL_FENCED, &e);
    TW_CHECK(e.code == TWILL_FENCED && e.msg[0] != '\0');
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->lease_renew(st, e1, &e), TWILL_FENCED, &e);
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->lease_renew(st, e2, &e), TWILL_OK, &e);
    check_meta(st, 5, 0, e2); /* the refused append left no trace */

    append_batch(st, e2, &BATCHES[5]);
    append_batch(st, e2, &BATCHES[6]);
    check_meta(st, 7, 0, e2);

    check_scan(st, 0, TW_LSN_MAX, BATCHES, NB_BEFORE);
    check_scan(st, 2, 4, BATCHES, NB_BEFORE);
    check_scan(st, 4, TW_LSN_MAX, BATCHES, NB_BEFORE);
    check_scan(st, 5, 6, BATCHES, NB_BEFORE);
    check_scan(st, 3, 3, BATCHES, NB_BEFORE);
    check_scan(st, 7, TW_LSN_MAX, BATCHES, NB_BEFORE);
    check_scan(st, 0, 1, BATCHES, NB_BEFORE);

    /* a visitor's nonzero return stops the scan and comes back unchanged */
    stop_visits = 0;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->log_scan(st, 0, TW_LSN_MAX, stop_visit, NULL, &e), 42, &e);
    TW_CHECK(stop_visits == 1);
    collector c = {.stop_after = 3, .stop_rc = 7};
    TW_CHECK_RC(st->ops->log_scan(st, 0, TW_LSN_MAX, collect, &c, &e), 7, &e);
    TW_CHECK(c.n == 3);
    free(c.v);
    *epoch = e2;
}

static void section_pages(tw_storage *st, uint64_t epoch) {
    tw_err e;
    tw_err_clear(&e);
    check_page(st, 1, TW_LSN_MAX, 0, 0); /* never written */

    /* checkpoint at 3: pages 1, 2; nothing visible until published */
    write_pages(st, 3, (uint32_t[]){1, 2}, (uint32_t[]){101, 102}, 2);
    check_page(st, 1, TW_LSN_MAX, 0, 0);
    check_meta(st, 7, 0, epoch);
    finish(st, 3);
    check_meta(st, 7, 3, epoch);
    check_page(st, 1, TW_LSN_MAX, 101, 3);
    check_page(st, 2, 3, 102, 3);
    check_page(st, 1, 2, 0, 0); /* older than any image */

    /* checkpoint at 6 in two calls: page 1 twice (the later image wins), page 3 new */
    write_pages(st, 6, (uint32_t[]){1, 3}, (uint32_t[]){201, 203}, 2);
    write_pages(st, 6, (uint32_t[]){1}, (uint32_t[]){301}, 1);
    finish(st, 6);
    check_meta(st, 7, 6, epoch);
    check_page(st, 1, TW_LSN_MAX, 301, 6);
    check_page(st, 1, 6, 301, 6);
    check_page(st, 1, 5, 101, 3); /* as of an older LSN: the older image */
    check_page(st, 1, 3, 101, 3);
    check_page(st, 2, TW_LSN_MAX, 102, 3);
    check_page(st, 3, 5, 0, 0);
    check_page(st, 3, 6, 203, 6);
    check_page(st, 4, TW_LSN_MAX, 0, 0);

    /* an empty checkpoint only moves checkpoint_lsn */
    finish(st, 7);
    check_meta(st, 7, 7, epoch);
    check_page(st, 1, TW_LSN_MAX, 301, 6);
}

static void section_unpublished(tw_storage *st, uint64_t epoch) {
    /* staged at 8 and never finished: invisible now, and gone after the reopen */
    append_batch(st, epoch, &BATCHES[7]);
    write_pages(st, 8, (uint32_t[]){1, 5}, (uint32_t[]){401, 405}, 2);
    check_page(st, 1, TW_LSN_MAX, 301, 6);
    check_page(st, 5, TW_LSN_MAX, 0, 0);
}

static void section_after_reopen(tw_storage *st, uint64_t *epoch) {
    tw_err e;
    tw_err_clear(&e);
    check_meta(st, 8, 7, *epoch);
    check_scan(st, 0, TW_LSN_MAX, BATCHES, 8);
    check_scan(st, 6, 8, BATCHES, 8);
    check_page(st, 1, TW_LSN_MAX, 301, 6);
    check_page(st, 1, 5, 101, 3);
    check_page(st, 2, TW_LSN_MAX, 102, 3);
    check_page(st, 3, TW_LSN_MAX, 203, 6);
    check_page(st, 5, TW_LSN_MAX, 0, 0);

    /* the epoch survives a reopen and keeps growing; the old one stays fenced */
    uint64_t old = *epoch, e3 = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &e3, &e), TWILL_OK, &e);
    TW_CHECK(e3 > old);
    tw_iov one = {"y", 1};
    uint64_t lsn = 0;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->log_append(st, old, &one, 1, &lsn, &e), TWILL_FENCED, &e);
    check_meta(st, 8, 7, e3);

    /* the abandoned checkpoint's LSN can be checkpointed afresh */
    write_pages(st, 8, (uint32_t[]){5}, (uint32_t[]){505}, 1);
    finish(st, 8);
    check_page(st, 5, TW_LSN_MAX, 505, 8);
    check_page(st, 1, TW_LSN_MAX, 301, 6);
    check_meta(st, 8, 8, e3);
    *epoch = e3;
}

static void section_truncate(tw_storage *st, uint64_t epoch) {
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->log_truncate(st, 6, &e), TWILL_OK, &e);
    check_scan(st, 6, TW_LSN_MAX, BATCHES, 8); /* everything above `below` is kept */
    check_meta(st, 8, 8, epoch);
    TW_CHECK_RC(st->ops->log_truncate(st, 8, &e), TWILL_OK, &e);
    check_scan(st, 8, TW_LSN_MAX, BATCHES, 8);
    check_meta(st, 8, 8, epoch);
    /* appends continue with the next LSN */
    batch_desc b = {9, 2, {11, 12}};
    append_batch(st, epoch, &b);
    check_scan(st, 8, TW_LSN_MAX, &b, 1);
    check_meta(st, 9, 8, epoch);
}

static void section_after_truncate_reopen(tw_storage *st, uint64_t epoch) {
    tw_err e;
    tw_err_clear(&e);
    check_meta(st, 9, 8, epoch);
    batch_desc b = {9, 2, {11, 12}};
    check_scan(st, 8, TW_LSN_MAX, &b, 1);
    check_page(st, 5, TW_LSN_MAX, 505, 8);

    /* releasing the lease fences its epoch too */
    uint64_t ep = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    TW_CHECK(ep > epoch);
    TW_CHECK_RC(st->ops->lease_release(st, ep, &e), TWILL_OK, &e);
    tw_iov one = {"z", 1};
    uint64_t lsn = 0;
    tw_err_clear(&e);
    TW_CHECK_RC(st->ops->log_append(st, ep, &one, 1, &lsn, &e), TWILL_FENCED, &e);
    check_meta(st, 9, 8, ep);
}

static int branch_seen;
static int branch_visit(void *arg, const char *name, uint64_t at_lsn) {
    if (strcmp(name, "conf-branch") == 0 && at_lsn == 8) branch_seen = 1;
    return 0;
}

static void section_branches(tw_storage *st) {
    tw_err e;
    tw_err_clear(&e);
    int rc = st->ops->branch_create(st, "conf-branch", 8, &e);
    TW_CHECK(rc == TWILL_OK || rc == TWILL_NOTSUP);
    if (rc == TWILL_NOTSUP) {
        TW_CHECK(e.code == TWILL_NOTSUP && strcmp(e.sqlstate, "0A000") == 0 && e.msg[0]);
        tw_storage *b = NULL;
        tw_err_clear(&e);
        TW_CHECK_RC(st->ops->branch_open(st, "conf-branch", &b, &e), TWILL_NOTSUP, &e);
        tw_err_clear(&e);
        TW_CHECK_RC(st->ops->branch_list(st, branch_visit, NULL, &e), TWILL_NOTSUP, &e);
        tw_err_clear(&e);
        TW_CHECK_RC(st->ops->branch_delete(st, "conf-branch", &e), TWILL_NOTSUP, &e);
        return;
    }
    branch_seen = 0;
    TW_CHECK_RC(st->ops->branch_list(st, branch_visit, NULL, &e), TWILL_OK, &e);
    TW_CHECK(branch_seen);
    tw_storage *b = NULL;
    TW_CHECK_RC(st->ops->branch_open(st, "conf-branch", &b, &e), TWILL_OK, &e);
    if (b) {
        tw_storage_meta m = {0};
        TW_CHECK_RC(b->ops->meta(b, &m, &e), TWILL_OK, &e);
        TW_CHECK(m.durable_lsn >= 8);
        check_page(b, 5, TW_LSN_MAX, 505, 8);
        b->ops->close(b);
    }
    TW_CHECK_RC(st->ops->branch_delete(st, "conf-branch", &e), TWILL_OK, &e);
}

int tw_storage_conformance(tw_conf_open_fn open_fn, void *ctx) {
    int failed_before = tw_check_failed;
    uint64_t epoch = 0;
    tw_storage *st = open_fn(ctx, 1);
    TW_CHECK(st != NULL);
    if (!st) return tw_check_failed - failed_before;
    fprintf(stderr, "conformance[%s]: ops, log, lease, pages\n", st->ops->name);
    section_ops_table(st);
    section_log(st, &epoch);
    section_pages(st, epoch);
    section_unpublished(st, epoch);
    st->ops->close(st);

    fprintf(stderr, "conformance: reopen, truncate\n");
    st = open_fn(ctx, 0);
    TW_CHECK(st != NULL);
    if (!st) return tw_check_failed - failed_before;
    section_after_reopen(st, &epoch);
    section_truncate(st, epoch);
    st->ops->close(st);

    st = open_fn(ctx, 0);
    TW_CHECK(st != NULL);
    if (!st) return tw_check_failed - failed_before;
    section_after_truncate_reopen(st, epoch);
    fprintf(stderr, "conformance: branches\n");
    section_branches(st);
    st->ops->close(st);
    return tw_check_failed - failed_before;
}
