/*
 * bench_object — the s3:// backend against its anchors, in one run, on one store: a
 * throwaway Ceph radosgw (tests/s3/ceph-up.sh, memstore) that the benchmark starts and
 * stops itself. Run with --help. Figures are printed, never asserted.
 *
 *   commit latency     autocommit INSERTs on one session vs one raw create-only PUT
 *                      (If-None-Match: *) of the same size as the engine's log objects,
 *                      interleaved in slices; p50/p99 and their ratios (target <= 1.2x)
 *   group commit       1, 8, 64 writer threads: commits/s and commits per log PUT
 *                      (target >= 30 at 64)
 *   open               open-to-first-row with an empty cache directory for a ~100 MB
 *                      database (target < 50 ms)
 *   point reads        random primary-key reads with a warm cache vs the same database
 *                      on file:// (target <= 1.1x), with a small buffer pool so reads go
 *                      below it (local cache vs page file), and with the default one
 */
#include "s3test.h"
#include "storage/object/s3_client.h"
#include "twill/engine.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct opts {
    int commits, seconds, db_mb, reads;
} opts;

static s3t_ceph g_ceph;
static char g_tmp[600];

__attribute__((format(printf, 1, 2))) static void progress(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_object: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_object: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    s3t_ceph_down(&g_ceph);
    exit(1);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A counter from twill_db_stats ("name value" lines); -1 if absent. */
static int64_t stat_of(twill_db *db, const char *name) {
    char buf[4096];
    if (twill_db_stats(db, buf, sizeof buf) < 0) return -1;
    size_t nl = strlen(name);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, name, nl) && l[nl] == ' ') return strtoll(l + nl + 1, NULL, 10);
    return -1;
}

static twill_db *open_db(const char *url, const char *options) {
    twill_db *db = NULL;
    if (twill_open(url, options, &db) != TWILL_OK)
        die("twill_open %s: %s", url, twill_open_errmsg());
    return db;
}

static void exec_or_die(twill_session *s, const char *sql) {
    if (twill_exec(s, sql) != TWILL_OK) die("%s: %s", sql, twill_errmsg(s));
}

static void s3_url(char *out, size_t cap, const char *prefix) {
    s3t_url(out, cap, g_ceph.endpoint, prefix);
}

static void cache_dir(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_tmp, name);
    mkdir(out, 0777);
    setenv("TWILL_CACHE_DIR", out, 1);
}

/* ---- commit latency vs a raw conditional PUT --------------------------------------------- */

typedef struct sizes {
    uint64_t v[4096];
    int n;
    size_t skip;
} sizes;

static int see_size(void *arg, const char *key, uint64_t size) {
    sizes *s = arg;
    (void)key;
    if (size != 48 && s->n < 4096) s->v[s->n++] = size; /* 48 bytes: a fence */
    return 0;
}

static void bench_latency(const opts *o, tw_s3 *raw) {
    progress("commit latency: %d autocommit INSERTs vs %d raw If-None-Match PUTs, interleaved",
             o->commits, o->commits);
    char url[600], cache[700];
    s3_url(url, sizeof url, "bench/latency");
    cache_dir(cache, sizeof cache, "cache-latency");
    twill_db *db = open_db(url, NULL);
    twill_session *s = NULL;
    twill_stmt *ins = NULL;
    if (twill_session_open(db, &s) != TWILL_OK) die("session");
    exec_or_die(s, "CREATE TABLE t(id BIGINT PRIMARY KEY, v TEXT)");
    if (twill_prepare(s, "INSERT INTO t VALUES ($1, $2)", -1, &ins, NULL) != TWILL_OK)
        die("prepare: %s", twill_errmsg(s));
    const char *val = "a row of about forty bytes, like a small OLTP insert";
    /* a few commits first, to learn the size of one log object */
    int64_t id = 1;
    for (; id <= 20; id++) {
        twill_bind_int64(ins, 1, id);
        twill_bind_text(ins, 2, val, -1);
        if (twill_step(ins) != TWILL_DONE) die("insert: %s", twill_errmsg(s));
        twill_reset(ins);
    }
    sizes sz = {.n = 0};
    tw_err e;
    tw_err_clear(&e);
    if (tw_s3_list(raw, "bench/latency/log/", NULL, see_size, &sz, &e) || sz.n == 0)
        die("listing the log objects: %s", e.msg);
    uint64_t body_len = sz.v[sz.n - 1];
    char *body = malloc(body_len);
    if (!body) die("out of memory");
    for (uint64_t i = 0; i < body_len; i++) body[i] = (char)('a' + rnd() % 26);
    progress("  one commit = one log object of %" PRIu64 " bytes; the raw PUT sends as many",
             body_len);
    int n = o->commits;
    double *tl = malloc(sizeof(double) * (size_t)n), *rl = malloc(sizeof(double) * (size_t)n);
    if (!tl || !rl) die("out of memory");
    int ti = 0, ri = 0, slice = 25;
    while (ti < n || ri < n) {
        for (int k = 0; k < slice && ti < n; k++, ti++, id++) {
            twill_bind_int64(ins, 1, id);
            twill_bind_text(ins, 2, val, -1);
            double t0 = s3t_now_ms();
            if (twill_step(ins) != TWILL_DONE) die("insert: %s", twill_errmsg(s));
            tl[ti] = s3t_now_ms() - t0;
            twill_reset(ins);
        }
        for (int k = 0; k < slice && ri < n; k++, ri++) {
            char key[64];
            snprintf(key, sizeof key, "bench/raw/%08d", ri);
            tw_s3_result res;
            double t0 = s3t_now_ms();
            if (tw_s3_put(raw, key, body, body_len, TW_S3_IF_NONE_MATCH, &res, &e) ||
                res.status != 200)
                die("raw PUT %s: %s (HTTP %ld)", key, e.msg, res.status);
            rl[ri] = s3t_now_ms() - t0;
        }
    }
    double t50 = pct(tl, n, 0.50), t99 = pct(tl, n, 0.99);
    double r50 = pct(rl, n, 0.50), r99 = pct(rl, n, 0.99);
    printf("commit_latency_p50_ms twill=%.3f raw_put=%.3f ratio=%.2f (target <= 1.2)\n", t50, r50,
           t50 / r50);
    printf("commit_latency_p99_ms twill=%.3f raw_put=%.3f ratio=%.2f (target <= 1.2)\n", t99, r99,
           t99 / r99);
    fflush(stdout);
    free(tl);
    free(rl);
    free(body);
    twill_finalize(ins);
    twill_session_close(s);
    twill_close(db);
}

/* ---- group commit: 1, 8, 64 writers ------------------------------------------------------- */

typedef struct wctx {
    twill_db *db;
    int idx;
    atomic_int *stop;
    int64_t done;
    int err;
} wctx;

static void *writer(void *arg) {
    wctx *w = arg;
    twill_session *s = NULL;
    twill_stmt *ins = NULL;
    if (twill_session_open(w->db, &s) != TWILL_OK ||
        twill_prepare(s, "INSERT INTO t VALUES ($1, $2)", -1, &ins, NULL) != TWILL_OK) {
        w->err = 1;
        twill_session_close(s);
        return NULL;
    }
    int64_t id = (int64_t)w->idx * 1000000000LL;
    while (!atomic_load(w->stop)) {
        twill_bind_int64(ins, 1, ++id);
        twill_bind_text(ins, 2, "concurrent writer row", -1);
        int rc = twill_step(ins);
        twill_reset(ins);
        if (rc != TWILL_DONE) {
            fprintf(stderr, "bench_object: writer %d: %s\n", w->idx, twill_errmsg(s));
            w->err = 1;
            break;
        }
        w->done++;
    }
    twill_finalize(ins);
    twill_session_close(s);
    return NULL;
}

static void bench_concurrency(const opts *o) {
    const int levels[3] = {1, 8, 64};
    for (int li = 0; li < 3; li++) {
        int nw = levels[li];
        progress("group commit: %d writer%s for %d s", nw, nw == 1 ? "" : "s", o->seconds);
        char url[600], prefix[64], cache[700];
        snprintf(prefix, sizeof prefix, "bench/writers-%d", nw);
        s3_url(url, sizeof url, prefix);
        cache_dir(cache, sizeof cache, prefix + 6);
        twill_db *db = open_db(url, NULL);
        twill_session *s = NULL;
        if (twill_session_open(db, &s) != TWILL_OK) die("session");
        exec_or_die(s, "CREATE TABLE t(id BIGINT PRIMARY KEY, v TEXT)");
        twill_session_close(s);
        int64_t c0 = stat_of(db, "commits"), b0 = stat_of(db, "commit_batches"),
                p0 = stat_of(db, "s3_put");
        atomic_int stop = 0;
        wctx w[64];
        pthread_t th[64];
        double t0 = s3t_now_ms();
        for (int i = 0; i < nw; i++) {
            w[i] = (wctx){db, i + 1, &stop, 0, 0};
            if (pthread_create(&th[i], NULL, writer, &w[i])) die("pthread_create");
        }
        usleep((useconds_t)o->seconds * 1000000u);
        atomic_store(&stop, 1);
        int64_t total = 0;
        int errs = 0;
        for (int i = 0; i < nw; i++) {
            pthread_join(th[i], NULL);
            total += w[i].done;
            errs += w[i].err;
        }
        double secs = (s3t_now_ms() - t0) / 1000;
        if (errs) die("%d writers failed", errs);
        int64_t c = stat_of(db, "commits") - c0, b = stat_of(db, "commit_batches") - b0;
        int64_t p = p0 >= 0 ? stat_of(db, "s3_put") - p0 : -1;
        printf("writers_%d commits_per_s=%.0f commits_per_log_put=%.2f", nw, total / secs,
               b > 0 ? (double)c / (double)b : 0);
        if (p > 0)
            printf(" commits_per_put_all=%.2f (log + checkpoint PUTs: %" PRId64 ")",
                   (double)c / (double)p, p);
        printf("%s\n", nw == 64 ? " (target >= 30 commits per PUT)" : "");
        fflush(stdout);
        twill_close(db);
    }
}

/* ---- a ~100 MB database: open to first row, point reads ------------------------------------ */

static void fill(twill_db *db, int rows, int row_bytes, const char *what) {
    twill_session *s = NULL;
    twill_stmt *ins = NULL;
    if (twill_session_open(db, &s) != TWILL_OK) die("session");
    exec_or_die(s, "CREATE TABLE t(id BIGINT PRIMARY KEY, v TEXT)");
    if (twill_prepare(s, "INSERT INTO t VALUES ($1, $2)", -1, &ins, NULL) != TWILL_OK)
        die("prepare: %s", twill_errmsg(s));
    char *v = malloc((size_t)row_bytes + 1);
    if (!v) die("out of memory");
    uint64_t save = rng;
    rng = 42; /* the same rows on both backends */
    double t0 = s3t_now_ms();
    for (int id = 1; id <= rows;) {
        exec_or_die(s, "BEGIN");
        for (int k = 0; k < 1000 && id <= rows; k++, id++) {
            for (int i = 0; i < row_bytes; i++) v[i] = (char)('!' + rnd() % 90);
            v[row_bytes] = '\0';
            twill_bind_int64(ins, 1, id);
            twill_bind_text(ins, 2, v, row_bytes);
            if (twill_step(ins) != TWILL_DONE) die("insert: %s", twill_errmsg(s));
            twill_reset(ins);
        }
        exec_or_die(s, "COMMIT");
        if (id % 20000 == 1) progress("  %s: %d of %d rows", what, id - 1, rows);
    }
    progress("  %s: %d rows of %d bytes in %.1f s", what, rows, row_bytes,
             (s3t_now_ms() - t0) / 1000);
    rng = save;
    free(v);
    twill_finalize(ins);
    twill_session_close(s);
}

typedef struct sum {
    uint64_t bytes;
    int n;
} sum;

static int see_sum(void *arg, const char *key, uint64_t size) {
    sum *s = arg;
    (void)key;
    s->bytes += size, s->n++;
    return 0;
}

static double first_row(const char *url, int id, double *open_ms) {
    double t0 = s3t_now_ms();
    twill_db *db = open_db(url, NULL);
    double t1 = s3t_now_ms();
    twill_session *s = NULL;
    twill_stmt *q = NULL;
    if (twill_session_open(db, &s) != TWILL_OK ||
        twill_prepare(s, "SELECT length(v) FROM t WHERE id = $1", -1, &q, NULL) != TWILL_OK)
        die("prepare: %s", s ? twill_errmsg(s) : "session");
    twill_bind_int64(q, 1, id);
    if (twill_step(q) != TWILL_ROW) die("first row: %s", twill_errmsg(s));
    double t2 = s3t_now_ms();
    *open_ms = t1 - t0;
    if (!strncmp(url, "s3://", 5))
        progress("    requests until the first row: GET %" PRId64 " LIST %" PRId64 " PUT %" PRId64
                 " DELETE %" PRId64 " HEAD %" PRId64,
                 stat_of(db, "s3_get"), stat_of(db, "s3_list"), stat_of(db, "s3_put"),
                 stat_of(db, "s3_delete"), stat_of(db, "s3_head"));
    twill_finalize(q);
    twill_session_close(s);
    twill_close(db);
    return t2 - t0;
}

/* Mean microseconds per random point read (after a warm-up scan and one read pass). */
static double point_reads(const char *url, const char *options, int rows, int n, double *p50,
                          double *p99) {
    twill_db *db = open_db(url, options);
    twill_session *s = NULL;
    twill_stmt *q = NULL, *scan = NULL;
    if (twill_session_open(db, &s) != TWILL_OK ||
        twill_prepare(s, "SELECT length(v) FROM t WHERE id = $1", -1, &q, NULL) != TWILL_OK ||
        twill_prepare(s, "SELECT count(*), sum(length(v)) FROM t", -1, &scan, NULL) != TWILL_OK)
        die("prepare: %s", s ? twill_errmsg(s) : "session");
    if (twill_step(scan) != TWILL_ROW) die("warm-up scan: %s", twill_errmsg(s));
    for (int id = 1; id <= rows; id++) { /* every leaf once: the caches are warm */
        twill_bind_int64(q, 1, id);
        if (twill_step(q) != TWILL_ROW) die("warm-up read %d: %s", id, twill_errmsg(s));
        twill_reset(q);
    }
    double *lat = malloc(sizeof(double) * (size_t)n);
    if (!lat) die("out of memory");
    double t0 = s3t_now_ms();
    for (int i = 0; i < n; i++) {
        double a = s3t_now_ms();
        twill_bind_int64(q, 1, 1 + (int64_t)(rnd() % (uint64_t)rows));
        if (twill_step(q) != TWILL_ROW) die("point read: %s", twill_errmsg(s));
        twill_reset(q);
        lat[i] = (s3t_now_ms() - a) * 1000;
    }
    double mean = (s3t_now_ms() - t0) * 1000 / n;
    *p50 = pct(lat, n, 0.50);
    *p99 = pct(lat, n, 0.99);
    free(lat);
    twill_finalize(q);
    twill_finalize(scan);
    twill_session_close(s);
    twill_close(db);
    return mean;
}

static void bench_big(const opts *o, tw_s3 *raw) {
    int row_bytes = 1000, rows = o->db_mb * 1000;
    char url[600], furl[800], cache[700];
    s3_url(url, sizeof url, "bench/big");
    snprintf(furl, sizeof furl, "file://%s/file-db", g_tmp);
    progress("a %d MB database: %d rows of %d bytes, on s3:// and on file://", o->db_mb, rows,
             row_bytes);
    cache_dir(cache, sizeof cache, "cache-load");
    twill_db *db = open_db(url, NULL);
    fill(db, rows, row_bytes, "s3://");
    twill_close(db);
    db = open_db(furl, NULL);
    fill(db, rows, row_bytes, "file://");
    twill_close(db);
    sum layers = {0}, all = {0};
    tw_err e;
    tw_err_clear(&e);
    if (tw_s3_list(raw, "bench/big/layer/", NULL, see_sum, &layers, &e) ||
        tw_s3_list(raw, "bench/big/", NULL, see_sum, &all, &e))
        die("listing bench/big: %s", e.msg);
    progress("  in the store: %d objects, %.1f MB (%d layer objects, %.1f MB)", all.n,
             all.bytes / 1e6, layers.n, layers.bytes / 1e6);

    enum { OPENS = 5 };
    double t[OPENS], op[OPENS];
    for (int i = 0; i < OPENS; i++) {
        char name[64];
        snprintf(name, sizeof name, "cache-empty-%d", i);
        cache_dir(cache, sizeof cache, name);
        t[i] = first_row(url, 1 + (int)(rnd() % (uint64_t)rows), &op[i]);
        progress("  open to first row, empty cache: %.1f ms (open %.1f ms)", t[i], op[i]);
    }
    double ff[OPENS], fo[OPENS];
    for (int i = 0; i < OPENS; i++)
        ff[i] = first_row(furl, 1 + (int)(rnd() % (uint64_t)rows), &fo[i]);
    printf("open_to_first_row_ms s3_empty_cache=%.1f (open %.1f) file=%.1f db_mb=%.0f (target "
           "< 50 ms)\n",
           pct(t, OPENS, 0.5), pct(op, OPENS, 0.5), pct(ff, OPENS, 0.5), layers.bytes / 1e6);
    fflush(stdout);

    const char *cfgs[2][2] = {{"cache_mb=16", "16 MB buffer pool (reads go below it)"},
                              {NULL, "default buffer pool"}};
    for (int c = 0; c < 2; c++) {
        progress("point reads, %s: warming up (a scan and one read of every row)", cfgs[c][1]);
        cache_dir(cache, sizeof cache, c ? "cache-warm-default" : "cache-warm-16");
        double sp50, sp99, fp50, fp99;
        double sm = point_reads(url, cfgs[c][0], rows, o->reads, &sp50, &sp99);
        double fm = point_reads(furl, cfgs[c][0], rows, o->reads, &fp50, &fp99);
        printf("point_read_us_%s s3_warm: mean %.1f p50 %.1f p99 %.1f; file: mean %.1f p50 %.1f "
               "p99 %.1f; ratio mean=%.2f p50=%.2f (target <= 1.1)\n",
               c ? "default_pool" : "16mb_pool", sm, sp50, sp99, fm, fp50, fp99, sm / fm,
               sp50 / fp50);
        fflush(stdout);
    }
}

static void usage(FILE *f) {
    fprintf(f, "usage: bench_object [--commits N] [--seconds S] [--db-mb M] [--reads N]\n"
               "\n"
               "Starts a throwaway Ceph radosgw (tests/s3/ceph-up.sh, or $TWILL_CEPH_UP) and\n"
               "measures the s3:// backend against its anchors in the same run:\n"
               "  commit latency p50/p99 vs one raw If-None-Match PUT of the same size\n"
               "  commits/s and commits per log PUT with 1, 8 and 64 writer threads\n"
               "  open-to-first-row with an empty cache for a ~M MB database\n"
               "  point-read latency with a warm cache vs the same database on file://\n"
               "\n"
               "  --commits N  latency samples of each kind (default 500)\n"
               "  --seconds S  seconds per writer count (default 3)\n"
               "  --db-mb M    size of the open/read database in MB of rows (default 100)\n"
               "  --reads N    timed point reads per backend and pool size (default 20000)\n"
               "Temporary files under $TWILL_TEST_TMP (else $TMPDIR, else /tmp). Prints\n"
               "progress on stderr and one line per metric on stdout.\n");
}

static int num_arg(int argc, char **argv, int *i, int *out) {
    if (*i + 1 >= argc) return -1;
    char *end;
    long v = strtol(argv[++*i], &end, 10);
    if (*end || v <= 0 || v > 100000000) return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv) {
    opts o = {.commits = 500, .seconds = 3, .db_mb = 100, .reads = 20000};
    for (int i = 1; i < argc; i++) {
        int bad = 0;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--commits"))
            bad = num_arg(argc, argv, &i, &o.commits);
        else if (!strcmp(argv[i], "--seconds"))
            bad = num_arg(argc, argv, &i, &o.seconds);
        else if (!strcmp(argv[i], "--db-mb"))
            bad = num_arg(argc, argv, &i, &o.db_mb);
        else if (!strcmp(argv[i], "--reads"))
            bad = num_arg(argc, argv, &i, &o.reads);
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "bench_object: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    progress("starting Ceph");
    if (s3t_ceph_up(&g_ceph) != 0) {
        fprintf(stderr, "bench_object: the Ceph cluster did not start\n");
        return 1;
    }
    progress("radosgw at %s (started in %.0f ms)", g_ceph.endpoint, g_ceph.up_ms);
    snprintf(g_tmp, sizeof g_tmp, "%s.bench", g_ceph.dir);
    if (mkdir(g_tmp, 0777) != 0 && errno != EEXIST) die("mkdir %s: %s", g_tmp, strerror(errno));
    tw_s3_config cfg = {.endpoint = g_ceph.endpoint,
                        .region = "us-east-1",
                        .bucket = S3T_BUCKET,
                        .access_key = S3T_ACCESS,
                        .secret_key = S3T_SECRET};
    tw_s3 *raw = NULL;
    tw_err e;
    tw_err_clear(&e);
    if (tw_s3_open(&cfg, &raw, &e)) die("s3 client: %s", e.msg);

    bench_latency(&o, raw);
    bench_concurrency(&o);
    bench_big(&o, raw);

    tw_s3_close(raw);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) fprintf(stderr, "bench_object: could not remove %s\n", g_tmp);
    s3t_ceph_down(&g_ceph);
    progress("done");
    return 0;
}
