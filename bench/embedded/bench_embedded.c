/*
 * bench_embedded — Twill and SQLite side by side on embedded OLTP workloads, in one run.
 *
 * Prints one line per metric on stdout:
 *     <metric> twill=<X> sqlite=<Y> ratio=<X/Y>
 * Every metric is a throughput (the unit is in its name), so ratio > 1 means Twill is
 * better. Progress goes to stderr. This is a benchmark, not a test: it asserts nothing
 * about speed; it only fails when a workload returns an error or a wrong row count.
 */
#include "side.h"

#include "twill/engine.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ROWS 1000000
#define DEFAULT_SECONDS 2.0
#define SCAN_SPAN 10000
#define MANY_THREADS 8
/* The 8-thread run writes ids far above the 1-thread run's, into the same table c. */
#define MANY_ID_BASE 100000000000000LL

enum { M_BULK, M_POINT, M_RANGE, M_COMMIT1, M_COMMIT8, M_COUNT };

static const char *const metric_names[M_COUNT] = {
    "bulk_insert_rows_per_s",       "point_select_ops_per_s",        "range_scan_rows_per_s",
    "commit_1thread_commits_per_s", "commit_8threads_commits_per_s",
};
/* --only also takes the name without its unit. */
static const char *const metric_short[M_COUNT] = {
    "bulk_insert", "point_select", "range_scan", "commit_1thread", "commit_8threads",
};

/* ---- workers -------------------------------------------------------------------- */

struct bench_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready; /* workers done with setup */
    bool go;   /* the start signal */
    atomic_bool stop;
};

void bench_worker_ready(bench_worker *w) {
    bench_gate *g = w->gate;
    pthread_mutex_lock(&g->mu);
    g->ready++;
    pthread_cond_broadcast(&g->cv);
    while (!g->go) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

int bench_worker_stop(const bench_worker *w) {
    return atomic_load_explicit(&w->gate->stop, memory_order_relaxed);
}

static void sleep_seconds(double s) {
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int bench_run_workers(int threads, void *side, int64_t id_base, void *(*fn)(void *), double seconds,
                      bench_result *out) {
    bench_gate g = {.ready = 0, .go = false};
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    atomic_init(&g.stop, false);
    bench_worker *ws = calloc((size_t)threads, sizeof *ws);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    int started = 0, ret = 0;
    if (ws == NULL || tids == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        ret = -1;
    }
    for (int i = 0; ret == 0 && i < threads; i++, started++) {
        ws[i] = (bench_worker){.gate = &g, .side = side, .index = i, .id_base = id_base};
        if (pthread_create(&tids[i], NULL, fn, &ws[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            ret = -1;
        }
    }
    /* Setup (sessions, connections, prepares) stays out of the timed window. */
    pthread_mutex_lock(&g.mu);
    while (g.ready < started) pthread_cond_wait(&g.cv, &g.mu);
    if (ret != 0) atomic_store(&g.stop, true);
    g.go = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    double start = bench_now();
    if (ret == 0) sleep_seconds(seconds);
    atomic_store(&g.stop, true);
    out->count = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        out->count += ws[i].count;
        if (ws[i].failed) ret = -1;
    }
    out->secs = bench_now() - start;
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.mu);
    free(ws);
    free(tids);
    return ret;
}

/* ---- driver --------------------------------------------------------------------- */

typedef struct options {
    int64_t rows;
    double seconds;
    const char *dir;
    int only; /* -1: every metric */
    uint64_t seed;
    int rounds; /* timed workloads alternate sides this many times */
} options;

static void usage(FILE *f) {
    fprintf(f,
            "usage: bench_embedded [--rows N] [--seconds S] [--dir DIR] [--only METRIC] "
            "[--seed S] [--rounds R]\n"
            "\n"
            "Runs the same workloads on Twill (file://, through twill/engine.h) and on SQLite\n"
            "(WAL, synchronous=FULL, 256 MiB cache, prepared statements) in one run and prints\n"
            "one line per metric:  METRIC twill=X sqlite=Y ratio=X/Y\n"
            "Every metric is a throughput, so ratio > 1 means Twill is faster.\n"
            "\n"
            "Metrics:\n"
            "  bulk_insert_rows_per_s         N rows into t(id PK, k, v) in one transaction\n"
            "  point_select_ops_per_s         SELECT k, v FROM t WHERE id = ?, random ids\n"
            "  range_scan_rows_per_s          SELECT id, k, v FROM t over %d consecutive ids\n"
            "  commit_1thread_commits_per_s   durable single-row INSERT commits, 1 thread\n"
            "  commit_8threads_commits_per_s  the same from %d threads, one session\n"
            "                                 (SQLite: one connection) each\n"
            "\n"
            "Options:\n"
            "  --rows N       rows in t (default %d); point and range workloads use them\n"
            "  --seconds S    duration of each time-boxed workload (default %.0f)\n"
            "  --dir DIR      where to create the scratch directory (default $TMPDIR or\n"
            "                 /tmp); the scratch directory is removed at the end\n"
            "  --only METRIC  run one metric (its name above, or just e.g. point_select)\n"
            "  --seed S       seed of the random keys (default 1; both engines get the same)\n"
            "  --rounds R     split each timed workload into R slices alternating between\n"
            "                 the engines, so noise (fsync latency!) hits both (default 4)\n"
            "  --help         show this help\n",
            SCAN_SPAN, MANY_THREADS, DEFAULT_ROWS, DEFAULT_SECONDS);
}

static int find_metric(const char *name) {
    for (int i = 0; i < M_COUNT; i++)
        if (strcmp(name, metric_names[i]) == 0 || strcmp(name, metric_short[i]) == 0) return i;
    return -1;
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){
        .rows = DEFAULT_ROWS, .seconds = DEFAULT_SECONDS, .only = -1, .seed = 1, .rounds = 4};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--rows") == 0 && val) {
            errno = 0;
            long long v = strtoll(val, &end, 10);
            if (errno || *end || v < 1) {
                fprintf(stderr, "bench_embedded: --rows needs a positive integer\n");
                return -1;
            }
            o->rows = v;
            i++;
        } else if (strcmp(a, "--seconds") == 0 && val) {
            double v = strtod(val, &end);
            if (*end || !(v > 0 && v < 86400)) {
                fprintf(stderr, "bench_embedded: --seconds needs a positive number\n");
                return -1;
            }
            o->seconds = v;
            i++;
        } else if (strcmp(a, "--dir") == 0 && val) {
            o->dir = val;
            i++;
        } else if (strcmp(a, "--only") == 0 && val) {
            o->only = find_metric(val);
            if (o->only < 0) {
                fprintf(stderr, "bench_embedded: unknown metric '%s' (see --help)\n", val);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--rounds") == 0 && val) {
            long v = strtol(val, &end, 10);
            if (*end || v < 1 || v > 1000) {
                fprintf(stderr, "bench_embedded: --rounds needs an integer 1..1000\n");
                return -1;
            }
            o->rounds = (int)v;
            i++;
        } else if (strcmp(a, "--seed") == 0 && val) {
            errno = 0;
            o->seed = strtoull(val, &end, 0);
            if (errno || *end) {
                fprintf(stderr, "bench_embedded: --seed needs a number\n");
                return -1;
            }
            i++;
        } else {
            fprintf(stderr, "bench_embedded: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Each slice of a commit workload takes fresh ids: slice * SLICE_IDS above the base. */
#define SLICE_IDS 10000000000LL

/* One side's run of one metric (one slice): value in units per second, or < 0 on
 * failure; the count and time are added to *out. *committed counts the rows the commit
 * workloads reported committed into c. */
static double run_side(int metric, const side_ops *ops, void *h, const options *o, double seconds,
                       int slice, int64_t *committed, bench_result *out) {
    bench_result r = {0};
    int rc = -1;
    int64_t span = o->rows < SCAN_SPAN ? o->rows : SCAN_SPAN;
    switch (metric) {
    case M_BULK: {
        double start = bench_now();
        rc = ops->bulk_insert(h, o->rows);
        r = (bench_result){.count = o->rows, .secs = bench_now() - start};
        if (rc == 0 && ops->settle != NULL) rc = ops->settle(h);
        break;
    }
    case M_POINT:
        rc = ops->point_select(h, o->rows, seconds, o->seed, &r);
        break;
    case M_RANGE:
        rc = ops->range_scan(h, o->rows, span, seconds, o->seed, &r);
        break;
    case M_COMMIT1:
        rc = ops->commits(h, 1, slice * SLICE_IDS, seconds, &r);
        break;
    case M_COMMIT8:
        rc = ops->commits(h, MANY_THREADS, MANY_ID_BASE + slice * SLICE_IDS, seconds, &r);
        break;
    }
    if (rc != 0 || r.secs <= 0) return -1;
    if (metric == M_COMMIT1 || metric == M_COMMIT8) {
        /* A commit that reported success must be there: a benchmark of commits that
         * did not happen would be worse than none. */
        int64_t n = 0;
        *committed += r.count;
        if (ops->count_rows(h, "c", &n) != 0) return -1;
        if (n != *committed) {
            fprintf(stderr, "bench: %s: table c has %lld rows, but %lld commits were reported\n",
                    ops->name, (long long)n, (long long)*committed);
            return -1;
        }
    }
    out->count += r.count;
    out->secs += r.secs;
    return (double)r.count / r.secs;
}

int main(int argc, char **argv) {
    options o;
    if (parse_args(argc, argv, &o) != 0) return 2;

    const char *base = o.dir;
    if (base == NULL || *base == '\0') base = getenv("TMPDIR");
    if (base == NULL || *base == '\0') base = "/tmp";
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/twill-bench.XXXXXX", base) >= (int)sizeof dir ||
        mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_embedded: cannot create a scratch directory in %s: %s\n", base,
                strerror(errno));
        return 2;
    }
    fprintf(stderr, "bench: twill %s, sqlite %s; %lld rows, %.1f s per timed workload; in %s\n",
            twill_version(), sqlite3_libversion(), (long long)o.rows, o.seconds, dir);

    const side_ops *sides[2] = {&side_twill, &side_sqlite};
    void *handles[2] = {NULL, NULL};
    int failures = 0;
    for (int s = 0; s < 2; s++) {
        if (sides[s]->open(dir, &handles[s]) != 0) {
            fprintf(stderr, "bench: cannot open %s\n", sides[s]->name);
            failures++;
        }
    }

    /* The point and range workloads read the rows the bulk insert wrote, so the bulk
     * insert always runs when they do (reported only if asked for). */
    bool loaded[2] = {false, false};
    int64_t committed[2] = {0, 0};
    for (int m = 0; m < M_COUNT && failures == 0; m++) {
        bool wanted = o.only < 0 || o.only == m;
        bool needed = m == M_BULK && (o.only == M_POINT || o.only == M_RANGE);
        if (!wanted && !needed) continue;
        double v[2] = {0, 0};
        bench_result total[2] = {{0}, {0}};
        /* Timed workloads alternate between the sides in slices, so a stretch of slow
         * fsyncs or a noisy neighbour hits both alike instead of whichever ran then. */
        int rounds = m == M_BULK ? 1 : o.rounds;
        for (int round = 0; round < rounds; round++) {
            for (int s = 0; s < 2; s++) {
                if (v[s] < 0) continue;
                if ((m == M_POINT || m == M_RANGE) && !loaded[s]) {
                    v[s] = -1;
                    continue;
                }
                if (round == 0)
                    fprintf(stderr, "bench: %s on %s ...\n", metric_names[m], sides[s]->name);
                if (run_side(m, sides[s], handles[s], &o, o.seconds / rounds, round, &committed[s],
                             &total[s]) < 0)
                    v[s] = -1;
            }
        }
        for (int s = 0; s < 2; s++) {
            if (v[s] >= 0) v[s] = total[s].secs > 0 ? (double)total[s].count / total[s].secs : -1;
            if (m == M_BULK && v[s] >= 0) loaded[s] = true;
            if (v[s] < 0)
                fprintf(stderr, "bench: %s on %s FAILED\n", metric_names[m], sides[s]->name);
            else
                fprintf(stderr, "bench: %s on %s: %.1f\n", metric_names[m], sides[s]->name, v[s]);
        }
        if (v[0] < 0 || v[1] < 0) {
            failures++;
            continue;
        }
        if (wanted) {
            printf("%s twill=%.1f sqlite=%.1f ratio=%.3f\n", metric_names[m], v[0], v[1],
                   v[1] > 0 ? v[0] / v[1] : 0.0);
            fflush(stdout);
        }
    }

    for (int s = 0; s < 2; s++)
        if (handles[s]) sides[s]->close(handles[s]);
    if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench: could not remove %s: %s\n", dir, strerror(errno));
    if (failures) fprintf(stderr, "bench: %d metric(s) failed; see the messages above\n", failures);
    return failures ? 1 : 0;
}
