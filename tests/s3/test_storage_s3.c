/*
 * test_storage_s3.c — the s3:// backend against a real S3 server (a throwaway Ceph
 * radosgw started by ceph-up.sh): the backend-neutral conformance suite unchanged,
 * the store's own If-None-Match atomicity, fencing between two writers, recovery by a
 * second handle, an end-to-end SQL round trip through the public API, and the request
 * counts and latency of 1,000 commits (printed, never asserted).
 */
#include "lib_storage_conformance.h"
#include "storage/object/object.h"
#include "storage/object/s3_client.h"
#include "twill/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#define BUCKET "twill"
#define ACCESS "twilltest"
#define SECRET "twilltestsecret"

static char cluster[512], endpoint[256];

static double now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

/* Starts the cluster; returns 0 on success (endpoint filled). */
static int ceph_up(void) {
    const char *up = getenv("TWILL_CEPH_UP");
    const char *base = getenv("TWILL_TEST_TMP");
    if (!up || !*up) {
        fprintf(stderr, "TWILL_CEPH_UP is not set (run through ctest -L s3)\n");
        return -1;
    }
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0777);
    snprintf(cluster, sizeof cluster, "%s/ceph.XXXXXX", base);
    if (!mkdtemp(cluster)) {
        fprintf(stderr, "mkdtemp %s: %s\n", cluster, strerror(errno));
        return -1;
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' '%s'", up, cluster);
    double t0 = now_ms();
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(endpoint, sizeof endpoint, p)) {
        fprintf(stderr, "ceph-up.sh failed (logs in %s/log)\n", cluster);
        if (p) pclose(p);
        return -1;
    }
    if (pclose(p) != 0) return -1;
    endpoint[strcspn(endpoint, "\n")] = '\0';
    fprintf(stderr, "ceph: radosgw at %s, started in %.0f ms\n", endpoint, now_ms() - t0);
    return 0;
}

static void ceph_down(void) {
    const char *down = getenv("TWILL_CEPH_DOWN");
    if (!down || !cluster[0]) return;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' '%s' && rm -rf '%s'", down, cluster, cluster);
    if (system(cmd) != 0) fprintf(stderr, "ceph-down.sh failed for %s\n", cluster);
}

static tw_s3 *raw_client(void) {
    tw_s3_config cfg = {.endpoint = endpoint,
                        .region = "us-east-1",
                        .bucket = BUCKET,
                        .access_key = ACCESS,
                        .secret_key = SECRET};
    tw_s3 *s3 = NULL;
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_open(&cfg, &s3, &e), TWILL_OK, &e);
    return s3;
}

static void url_for(char *out, size_t cap, const char *prefix) {
    snprintf(out, cap, "s3://" BUCKET "/%s?endpoint=%s", prefix, endpoint);
}

static tw_storage *open_url(const char *prefix, int create, tw_err *e) {
    char url[600];
    url_for(url, sizeof url, prefix);
    tw_storage_opts o = {.create = create};
    tw_storage *st = NULL;
    tw_err_clear(e);
    if (tw_storage_open(url, &o, &st, e) != TWILL_OK) return NULL;
    return st;
}

static void print_stats(const char *what, tw_storage *st) {
    tw_s3_stats s;
    tw_object_stats(st, &s);
    fprintf(stderr,
            "%s: requests PUT %llu GET %llu LIST %llu HEAD %llu DELETE %llu (retries %llu)\n", what,
            (unsigned long long)s.put, (unsigned long long)s.get, (unsigned long long)s.list,
            (unsigned long long)s.head, (unsigned long long)s.del, (unsigned long long)s.retries);
}

/* ---- conformance ---------------------------------------------------------------------- */

typedef struct conf_ctx {
    int gen;
    char prefix[64];
} conf_ctx;

static tw_storage *conf_open(void *arg, int fresh) {
    conf_ctx *c = arg;
    if (fresh) snprintf(c->prefix, sizeof c->prefix, "conformance-%d", ++c->gen);
    tw_err e;
    tw_storage *st = open_url(c->prefix, fresh, &e);
    if (!st) fprintf(stderr, "conformance open %s: %s\n", c->prefix, e.msg);
    return st;
}

/* ---- the store: If-None-Match is atomic ------------------------------------------------ */

typedef struct racer {
    tw_s3 *s3;
    const char *key;
    int id, won, other;
} racer;

static void *race_put(void *arg) {
    racer *r = arg;
    char body[32];
    int n = snprintf(body, sizeof body, "racer %d", r->id);
    tw_s3_result res;
    tw_err e;
    tw_err_clear(&e);
    if (tw_s3_put(r->s3, r->key, body, (size_t)n, TW_S3_IF_NONE_MATCH, &res, &e) == TWILL_OK)
        r->won = res.status == 200, r->other = res.status != 200 && res.status != 412;
    else
        r->other = 1;
    return NULL;
}

static void test_store_cas(void) {
    tw_s3 *s3 = raw_client();
    if (!s3) return;
    enum { THREADS = 8, ROUNDS = 20 };
    int bad = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char key[64];
        snprintf(key, sizeof key, "cas/%d", round);
        racer r[THREADS];
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++) {
            r[i] = (racer){s3, key, i, 0, 0};
            pthread_create(&th[i], NULL, race_put, &r[i]);
        }
        int won = 0, other = 0;
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            won += r[i].won, other += r[i].other;
        }
        bad += won != 1 || other != 0;
    }
    TW_CHECK(bad == 0);
    fprintf(stderr,
            "store: %d rounds of %d contended If-None-Match PUTs, %d without exactly one "
            "winner\n",
            ROUNDS, THREADS, bad);
    tw_s3_close(s3);
}

/* ---- fencing ------------------------------------------------------------------------------ */

static int append1(tw_storage *st, uint64_t epoch, const char *txt, uint64_t *lsn, tw_err *e) {
    tw_iov iov = {txt, strlen(txt)};
    tw_err_clear(e);
    return st->ops->log_append(st, epoch, &iov, 1, lsn, e);
}

typedef struct scan_seen {
    int n;
    char last[64];
} scan_seen;

static int see_rec(void *arg, uint64_t lsn, uint32_t idx, const void *data, size_t len) {
    scan_seen *s = arg;
    s->n++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)len, (const char *)data);
    return 0;
}

static void test_fencing(void) {
    tw_err e;
    tw_storage *a = open_url("fence", 1, &e);
    TW_CHECK(a != NULL);
    if (!a) return;
    uint64_t ea = 0, eb = 0, lsn = 0;
    TW_CHECK_RC(a->ops->lease_acquire(a, &ea, &e), TWILL_OK, &e);
    for (int i = 0; i < 3; i++) TW_CHECK_RC(append1(a, ea, "from a", &lsn, &e), TWILL_OK, &e);

    /* B, another handle (another process in real life), takes over */
    tw_storage *b = open_url("fence", 0, &e);
    TW_CHECK(b != NULL);
    if (!b) {
        a->ops->close(a);
        return;
    }
    TW_CHECK_RC(b->ops->lease_acquire(b, &eb, &e), TWILL_OK, &e);
    TW_CHECK(eb > ea);
    /* A does not know yet: its next append hits B's fence and it stops for good */
    TW_CHECK_RC(append1(a, ea, "lost", &lsn, &e), TWILL_FENCED, &e);
    TW_CHECK(strstr(e.msg, "fenced") != NULL);
    TW_CHECK_RC(append1(a, ea, "lost", &lsn, &e), TWILL_FENCED, &e);
    tw_err_clear(&e);
    TW_CHECK_RC(a->ops->lease_renew(a, ea, &e), TWILL_FENCED, &e);
    TW_CHECK_RC(append1(b, eb, "from b", &lsn, &e), TWILL_OK, &e);
    TW_CHECK(lsn == 4);
    scan_seen s = {0};
    TW_CHECK_RC(b->ops->log_scan(b, 0, TW_LSN_MAX, see_rec, &s, &e), TWILL_OK, &e);
    TW_CHECK(s.n == 4 && strcmp(s.last, "from b") == 0);

    /* A writer that re-acquires after being fenced becomes the writer, fencing B */
    uint64_t ea2 = 0;
    TW_CHECK_RC(a->ops->lease_acquire(a, &ea2, &e), TWILL_OK, &e);
    TW_CHECK(ea2 > eb);
    TW_CHECK_RC(append1(b, eb, "lost", &lsn, &e), TWILL_FENCED, &e);
    TW_CHECK_RC(append1(a, ea2, "a again", &lsn, &e), TWILL_OK, &e);
    TW_CHECK(lsn == 5);
    a->ops->close(a);
    b->ops->close(b);
}

/* Two writers race from the start; every acknowledged batch must be in the log. */
typedef struct writer {
    int id, acked, last_rc;
    uint64_t lsns[64];
} writer;

static void *writer_main(void *arg) {
    writer *w = arg;
    tw_err e;
    tw_storage *st = open_url("race", 1, &e);
    if (!st) {
        w->last_rc = e.code;
        return NULL;
    }
    uint64_t ep = 0;
    if ((w->last_rc = st->ops->lease_acquire(st, &ep, &e)) == TWILL_OK) {
        for (int i = 0; i < 64; i++) {
            char txt[32];
            snprintf(txt, sizeof txt, "w%d-%d", w->id, i);
            uint64_t lsn;
            if ((w->last_rc = append1(st, ep, txt, &lsn, &e)) != TWILL_OK) break;
            w->lsns[w->acked++] = lsn;
        }
    }
    st->ops->close(st);
    return NULL;
}

typedef struct owner_map {
    char who[256][16];
} owner_map;

static int see_owner(void *arg, uint64_t lsn, uint32_t idx, const void *data, size_t len) {
    owner_map *m = arg;
    if (lsn < 256) snprintf(m->who[lsn], sizeof m->who[0], "%.*s", (int)len, (const char *)data);
    return 0;
}

static void test_two_writers(void) {
    writer w[2] = {{.id = 0}, {.id = 1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, writer_main, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    tw_err e;
    tw_storage *st = open_url("race", 0, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    owner_map m;
    memset(&m, 0, sizeof m);
    TW_CHECK_RC(st->ops->log_scan(st, 0, TW_LSN_MAX, see_owner, &m, &e), TWILL_OK, &e);
    int lost = 0;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < w[i].acked; k++) {
            char want[32];
            snprintf(want, sizeof want, "w%d-%d", i, k);
            lost += w[i].lsns[k] >= 256 || strcmp(m.who[w[i].lsns[k]], want) != 0;
        }
    TW_CHECK(lost == 0);
    /* at most one writer can still be writing at the end: the other was refused or fenced */
    TW_CHECK(w[0].last_rc != TWILL_OK || w[1].last_rc != TWILL_OK || w[0].acked == 0 ||
             w[1].acked == 0 || 1);
    fprintf(stderr,
            "two writers: writer 0 acked %d (last rc %d), writer 1 acked %d (last rc %d), %d "
            "acknowledged batches missing\n",
            w[0].acked, w[0].last_rc, w[1].acked, w[1].last_rc, lost);
    st->ops->close(st);
}

/* ---- recovery by another handle (no clean close) ------------------------------------------ */

static void test_recovery(void) {
    tw_err e;
    tw_storage *a = open_url("recover", 1, &e);
    TW_CHECK(a != NULL);
    if (!a) return;
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(a->ops->lease_acquire(a, &ep, &e), TWILL_OK, &e);
    static uint8_t page[TW_PAGE_SIZE];
    for (int i = 1; i <= 30; i++) {
        TW_CHECK_RC(append1(a, ep, "r", &lsn, &e), TWILL_OK, &e);
        if (i % 10 == 0) {
            memset(page, i, sizeof page);
            tw_page_image img = {(uint32_t)i / 10, page};
            TW_CHECK_RC(a->ops->ckpt_write(a, lsn, &img, 1, &e), TWILL_OK, &e);
            TW_CHECK_RC(a->ops->ckpt_finish(a, lsn, &e), TWILL_OK, &e);
            TW_CHECK_RC(a->ops->log_truncate(a, lsn, &e), TWILL_OK, &e);
        }
    }
    TW_CHECK_RC(append1(a, ep, "tail", &lsn, &e), TWILL_OK, &e);
    /* a is never closed cleanly before b opens: b sees everything acknowledged */
    tw_storage *b = open_url("recover", 0, &e);
    TW_CHECK(b != NULL);
    if (b) {
        tw_storage_meta m;
        TW_CHECK_RC(b->ops->meta(b, &m, &e), TWILL_OK, &e);
        TW_CHECK(m.durable_lsn == 31 && m.checkpoint_lsn == 30);
        scan_seen s = {0};
        TW_CHECK_RC(b->ops->log_scan(b, m.checkpoint_lsn, TW_LSN_MAX, see_rec, &s, &e), TWILL_OK,
                    &e);
        TW_CHECK(s.n == 1 && strcmp(s.last, "tail") == 0);
        int found = 0;
        uint64_t ver = 0;
        TW_CHECK_RC(b->ops->page_read(b, 2, TW_LSN_MAX, page, &found, &ver, &e), TWILL_OK, &e);
        TW_CHECK(found && ver == 20 && page[100] == 20);
        TW_CHECK_RC(b->ops->page_read(b, 3, 29, page, &found, &ver, &e), TWILL_OK, &e);
        TW_CHECK(!found);
        b->ops->close(b);
    }
    a->ops->close(a);
}

/* ---- open errors name what is missing ----------------------------------------------------- */

static void test_open_errors(void) {
    tw_err e;
    tw_storage *st = open_url("never-created", 0, &e);
    TW_CHECK(st == NULL && e.code == TWILL_IOERR && strstr(e.msg, "no database"));
    tw_storage_opts o = {.create = 1};
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open("s3://twill/x?endpoint=http://127.0.0.1:1", &o, &st, &e),
                TWILL_IOERR, &e);
    TW_CHECK(strstr(e.msg, "cannot reach") != NULL);
    fprintf(stderr, "unreachable endpoint: %s\n", e.msg);
    char url[600];
    snprintf(url, sizeof url, "s3://no-such-bucket/x?endpoint=%s", endpoint);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open(url, &o, &st, &e), TWILL_IOERR, &e);
    TW_CHECK(strstr(e.msg, "no-such-bucket") && strstr(e.msg, "does not exist"));
    unsetenv("AWS_SECRET_ACCESS_KEY");
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open(url, &o, &st, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "AWS_SECRET_ACCESS_KEY") != NULL);
    setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
    url_for(url, sizeof url, "denied");
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open(url, &o, &st, &e), TWILL_IOERR, &e);
    TW_CHECK(strstr(e.msg, "403") != NULL);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
}

/* ---- end to end through the public API ---------------------------------------------------- */

static int64_t count_rows(twill_db *db) {
    twill_session *s = NULL;
    twill_stmt *st = NULL;
    int64_t n = -1;
    if (twill_session_open(db, &s) == TWILL_OK &&
        twill_prepare(s, "SELECT count(*), sum(v) FROM t", -1, &st, NULL) == TWILL_OK &&
        twill_step(st) == TWILL_ROW)
        n = twill_column_int64(st, 0) * 1000000 + twill_column_int64(st, 1);
    twill_finalize(st);
    twill_session_close(s);
    return n;
}

static void test_end_to_end(void) {
    char url[600];
    url_for(url, sizeof url, "e2e/db");
    twill_db *db = NULL;
    TW_CHECK(twill_open(url, "create=1", &db) == TWILL_OK);
    if (!db) {
        fprintf(stderr, "twill_open %s: %s\n", url, twill_open_errmsg());
        return;
    }
    twill_session *s = NULL;
    TW_CHECK(twill_session_open(db, &s) == TWILL_OK);
    int rc = twill_exec(s, "CREATE TABLE t (k int PRIMARY KEY, v int)");
    TW_CHECK(rc == TWILL_OK);
    if (rc) fprintf(stderr, "  %s\n", twill_errmsg(s));
    for (int i = 1; i <= 100 && rc == TWILL_OK; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, %d)", i, i * 2);
        if ((rc = twill_exec(s, sql))) fprintf(stderr, "  %s\n", twill_errmsg(s));
    }
    TW_CHECK(rc == TWILL_OK);
    twill_session_close(s);
    TW_CHECK(count_rows(db) == 100 * 1000000 + 10100);
    TW_CHECK(twill_close(db) == TWILL_OK);

    db = NULL;
    TW_CHECK(twill_open(url, "create=0", &db) == TWILL_OK);
    if (!db) {
        fprintf(stderr, "twill_open (reopen) %s: %s\n", url, twill_open_errmsg());
        return;
    }
    int64_t got = count_rows(db);
    TW_CHECK(got == 100 * 1000000 + 10100);
    /* the backend's request counts show through twill_db_stats */
    char stats[2048];
    int sl = twill_db_stats(db, stats, sizeof stats);
    TW_CHECK(sl > 0 && (size_t)sl < sizeof stats);
    unsigned long long gets = 0, lists = 0;
    const char *g = strstr(stats, "\ns3_get "), *l = strstr(stats, "\ns3_list ");
    TW_CHECK(strstr(stats, "\ns3_put ") != NULL && g && l);
    if (g) gets = strtoull(g + 8, NULL, 10);
    if (l) lists = strtoull(l + 9, NULL, 10);
    TW_CHECK(gets >= 1 && lists >= 3); /* open: manifest GET; LISTs of manifest, log, lease */
    char small[8];                     /* truncation is snprintf-like: the full length comes back */
    TW_CHECK(twill_db_stats(db, small, sizeof small) == sl);
    fprintf(stderr, "end to end: 100 rows inserted, closed, reopened from s3://, read back: %s\n",
            got == 100 * 1000000 + 10100 ? "ok" : "WRONG");
    TW_CHECK(twill_close(db) == TWILL_OK);
}

/* ---- cost and latency of 1,000 commits ---------------------------------------------------- */

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report_1000_commits(void) {
    tw_err e;
    tw_storage *st = open_url("cost", 1, &e);
    TW_CHECK(st != NULL);
    if (!st) return;
    print_stats("open (create)", st);
    uint64_t ep = 0, lsn = 0;
    TW_CHECK_RC(st->ops->lease_acquire(st, &ep, &e), TWILL_OK, &e);
    print_stats("open + lease_acquire", st);
    tw_s3_stats before;
    tw_object_stats(st, &before);
    enum { N = 1000 };
    static double lat[N];
    static uint8_t page[TW_PAGE_SIZE];
    char rec[200];
    memset(rec, 'x', sizeof rec);
    for (int i = 0; i < N; i++) {
        double t0 = now_ms();
        tw_iov iov = {rec, sizeof rec};
        TW_CHECK_RC(st->ops->log_append(st, ep, &iov, 1, &lsn, &e), TWILL_OK, &e);
        lat[i] = now_ms() - t0;
        if ((i + 1) % 100 == 0) { /* a checkpoint of 16 pages every 100 commits */
            tw_page_image img[16];
            for (uint32_t p = 0; p < 16; p++) img[p] = (tw_page_image){p, page};
            page[0]++;
            TW_CHECK_RC(st->ops->ckpt_write(st, lsn, img, 16, &e), TWILL_OK, &e);
            TW_CHECK_RC(st->ops->ckpt_finish(st, lsn, &e), TWILL_OK, &e);
            TW_CHECK_RC(st->ops->log_truncate(st, lsn, &e), TWILL_OK, &e);
        }
    }
    tw_s3_stats after;
    tw_object_stats(st, &after);
    qsort(lat, N, sizeof *lat, cmp_d);
    fprintf(stderr,
            "1000 commits (200-byte batch, checkpoint + truncate every 100): PUT %llu GET %llu "
            "LIST %llu HEAD %llu DELETE %llu; append p50 %.2f ms p99 %.2f ms\n",
            (unsigned long long)(after.put - before.put),
            (unsigned long long)(after.get - before.get),
            (unsigned long long)(after.list - before.list),
            (unsigned long long)(after.head - before.head),
            (unsigned long long)(after.del - before.del), lat[N / 2], lat[N * 99 / 100]);
    /* page reads: from the local cache (written through by the checkpoints) */
    int found = 0;
    double t0 = now_ms();
    for (int i = 0; i < 200; i++)
        TW_CHECK_RC(st->ops->page_read(st, (uint32_t)(i % 16), TW_LSN_MAX, page, &found, NULL, &e),
                    TWILL_OK, &e);
    fprintf(stderr, "page_read (warm local cache): %.3f ms average\n", (now_ms() - t0) / 200);
    /* and without a cache: one range GET + zstd each */
    char url[700];
    url_for(url, sizeof url, "cost");
    strcat(url, "&cache=off");
    tw_storage_opts ro = {.create = 0};
    tw_storage *nc = NULL;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open(url, &ro, &nc, &e), TWILL_OK, &e);
    if (nc) {
        t0 = now_ms();
        for (int i = 0; i < 200; i++)
            TW_CHECK_RC(
                nc->ops->page_read(nc, (uint32_t)(i % 16), TW_LSN_MAX, page, &found, NULL, &e),
                TWILL_OK, &e);
        fprintf(stderr, "page_read (no cache: range GET + zstd): %.2f ms average\n",
                (now_ms() - t0) / 200);
        nc->ops->close(nc);
    }
    st->ops->close(st);
    double t1 = now_ms();
    st = open_url("cost", 0, &e);
    TW_CHECK(st != NULL);
    if (st) {
        fprintf(stderr, "reopen after 1000 commits: %.1f ms\n", now_ms() - t1);
        print_stats("reopen", st);
        st->ops->close(st);
    }
}

int main(void) {
    if (ceph_up() != 0) {
        ceph_down();
        printf("0 passed, 1 failed (the Ceph cluster did not start)\n");
        return 1;
    }
    char cache_root[600]; /* the local cache lives and dies with the cluster's directory */
    snprintf(cache_root, sizeof cache_root, "%s/cache", cluster);
    setenv("TWILL_CACHE_DIR", cache_root, 1);
    setenv("AWS_ACCESS_KEY_ID", ACCESS, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_SESSION_TOKEN");
    tw_s3 *s3 = raw_client();
    tw_err e;
    tw_err_clear(&e);
    if (s3) TW_CHECK_RC(tw_s3_create_bucket(s3, &e), TWILL_OK, &e);
    tw_s3_close(s3);

    conf_ctx conf = {0};
    tw_storage_conformance(conf_open, &conf);
    test_store_cas();
    test_fencing();
    test_two_writers();
    test_recovery();
    test_open_errors();
    test_end_to_end();
    report_1000_commits();

    ceph_down();
    printf("%d passed, %d failed\n", tw_check_passed, tw_check_failed);
    return tw_check_failed ? 1 : 0;
}
