/*
 * side.h — one engine under benchmark ("side"): Twill or SQLite.
 *
 * Both sides implement the same workloads with the same schema, the same rows and the
 * same key sequences, so the driver (bench_embedded.c) can put their figures side by
 * side. Every function returns 0 on success or -1 after printing what failed to
 * stderr.
 */
#ifndef BENCH_EMBEDDED_SIDE_H
#define BENCH_EMBEDDED_SIDE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Rows of the bulk table t(id, k, v): id 1..rows, and these contents. */
#define BENCH_VALUE_MAX 40
static inline int64_t bench_row_k(int64_t id) {
    return (int64_t)(((uint64_t)id * 7919u) % 1000003u);
}
static inline int bench_row_v(int64_t id, char *buf) {
    return snprintf(buf, BENCH_VALUE_MAX, "value-%016llx",
                    (unsigned long long)((uint64_t)id * 2654435761u));
}

/* Time-boxed loops look at the clock once per this many operations. */
#define BENCH_CLOCK_EVERY 32

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: both sides draw the same keys from the same seed. */
static inline uint64_t bench_rng(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* What a time-boxed workload did: `count` units (operations, rows, commits) in `secs`. */
typedef struct bench_result {
    int64_t count;
    double secs;
} bench_result;

typedef struct side_ops {
    const char *name;
    /* Opens a fresh database inside the existing directory `dir` and creates the
     * tables t(id PK, k, v) and c(id PK, v). */
    int (*open)(const char *dir, void **out);
    /* Inserts t's rows 1..rows in one transaction. */
    int (*bulk_insert)(void *h, int64_t rows);
    /* Untimed housekeeping after the load, so reads see the engine's steady state (NULL:
     * nothing to do). */
    int (*settle)(void *h);
    /* Point lookups SELECT k, v FROM t WHERE id = ? with uniform random ids in 1..rows. */
    int (*point_select)(void *h, int64_t rows, double seconds, uint64_t seed, bench_result *out);
    /* Scans of `span` consecutive ids from a random start; count = rows read. */
    int (*range_scan)(void *h, int64_t rows, int64_t span, double seconds, uint64_t seed,
                      bench_result *out);
    /* `threads` threads, each with its own session / connection, commit single-row
     * INSERTs into c (durably, autocommit) with ids above id_base; count = commits. */
    int (*commits)(void *h, int threads, int64_t id_base, double seconds, bench_result *out);
    /* SELECT count(*) FROM table: checks that what was reported done is there. */
    int (*count_rows)(void *h, const char *table, int64_t *out);
    void (*close)(void *h);
} side_ops;

/* ---- concurrent workers (bench_embedded.c) ---- */

typedef struct bench_gate bench_gate;

typedef struct bench_worker {
    bench_gate *gate;
    void *side;      /* the side's handle */
    int index;       /* 0..threads-1 */
    int64_t id_base; /* this worker's ids start above this */
    int64_t count;   /* out: units of work done after the start signal */
    int failed;      /* out: nonzero after printing why */
} bench_worker;

/* Runs fn on `threads` threads. Each worker sets itself up, calls bench_worker_ready
 * (even when setup failed, with w->failed set), then works until bench_worker_stop
 * says so. out->secs runs from the common start to the last worker's finish. */
int bench_run_workers(int threads, void *side, int64_t id_base, void *(*fn)(void *), double seconds,
                      bench_result *out);
void bench_worker_ready(bench_worker *w);
int bench_worker_stop(const bench_worker *w);

extern const side_ops side_twill;
extern const side_ops side_sqlite;

#endif
