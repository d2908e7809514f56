/*
 * side_twill.c — the benchmark workloads on Twill, through the public C ABI only.
 * Defaults are left alone (cache_mb=256, durable commits) so the figures are what an
 * application gets out of the box.
 */
#include "side.h"

#include "twill/engine.h"

#include <stdlib.h>
#include <string.h>

typedef struct tw_side {
    twill_db *db;
    twill_session *s; /* the session of the single-threaded workloads */
} tw_side;

static int fail(twill_session *s, const char *what, int rc) {
    fprintf(stderr, "bench: twill: %s: %s (%d): %s (SQLSTATE %s)\n", what, twill_errstr(rc), rc,
            s ? twill_errmsg(s) : "", s ? twill_sqlstate(s) : "");
    return -1;
}

static int prepare(twill_session *s, const char *sql, twill_stmt **st) {
    int rc = twill_prepare(s, sql, -1, st, NULL);
    if (rc != TWILL_OK) {
        char what[256];
        snprintf(what, sizeof what, "preparing %s", sql);
        return fail(s, what, rc);
    }
    return 0;
}

static int tw_open(const char *dir, void **out) {
    tw_side *t = calloc(1, sizeof *t);
    if (t == NULL) return -1;
    char url[4200];
    snprintf(url, sizeof url, "file://%s/twill-db", dir);
    int rc = twill_open(url, NULL, &t->db);
    if (rc != TWILL_OK) {
        fprintf(stderr, "bench: twill: opening %s: %s: %s (SQLSTATE %s)\n", url, twill_errstr(rc),
                twill_open_errmsg(), twill_open_sqlstate());
        free(t);
        return -1;
    }
    rc = twill_session_open(t->db, &t->s);
    if (rc != TWILL_OK) {
        fail(NULL, "opening a session", rc);
        twill_close(t->db);
        free(t);
        return -1;
    }
    rc = twill_exec(t->s,
                    "CREATE TABLE t(id BIGINT PRIMARY KEY, k BIGINT NOT NULL, v TEXT NOT NULL);"
                    "CREATE TABLE c(id BIGINT PRIMARY KEY, v TEXT NOT NULL)");
    if (rc != TWILL_OK) {
        fail(t->s, "creating the tables", rc);
        twill_session_close(t->s);
        twill_close(t->db);
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

static int tw_bulk_insert(void *h, int64_t rows) {
    tw_side *t = h;
    twill_stmt *ins = NULL;
    int rc = twill_exec(t->s, "BEGIN");
    if (rc != TWILL_OK) return fail(t->s, "BEGIN", rc);
    if (prepare(t->s, "INSERT INTO t(id, k, v) VALUES ($1, $2, $3)", &ins) != 0) goto fail;
    char v[BENCH_VALUE_MAX];
    for (int64_t id = 1; id <= rows; id++) {
        int len = bench_row_v(id, v);
        twill_bind_int64(ins, 1, id);
        twill_bind_int64(ins, 2, bench_row_k(id));
        twill_bind_text(ins, 3, v, len);
        rc = twill_step(ins);
        if (rc != TWILL_DONE) {
            fail(t->s, "bulk INSERT", rc);
            goto fail;
        }
        twill_reset(ins);
    }
    twill_finalize(ins);
    rc = twill_exec(t->s, "COMMIT");
    if (rc != TWILL_OK) return fail(t->s, "COMMIT of the bulk insert", rc);
    return 0;
fail:
    twill_finalize(ins);
    twill_exec(t->s, "ROLLBACK");
    return -1;
}

static int tw_point_select(void *h, int64_t rows, double seconds, uint64_t seed,
                           bench_result *out) {
    tw_side *t = h;
    twill_stmt *sel = NULL;
    if (prepare(t->s, "SELECT k, v FROM t WHERE id = $1", &sel) != 0) return -1;
    int64_t ops = 0, sink = 0;
    double start = bench_now(), end = start + seconds, now = start;
    while (now < end) {
        for (int i = 0; i < BENCH_CLOCK_EVERY; i++, ops++) {
            int64_t id = 1 + (int64_t)(bench_rng(&seed) % (uint64_t)rows);
            twill_bind_int64(sel, 1, id);
            int rc = twill_step(sel);
            if (rc != TWILL_ROW) {
                twill_finalize(sel);
                return fail(t->s, rc == TWILL_DONE ? "point select found no row" : "point select",
                            rc);
            }
            if (twill_column_int64(sel, 0) != bench_row_k(id)) {
                twill_finalize(sel);
                fprintf(stderr, "bench: twill: point select of id %lld returned a wrong row\n",
                        (long long)id);
                return -1;
            }
            sink += twill_column_bytes(sel, 1);
            rc = twill_step(sel);
            if (rc != TWILL_DONE) {
                twill_finalize(sel);
                return fail(t->s, "point select: expected one row", rc);
            }
            twill_reset(sel);
        }
        now = bench_now();
    }
    twill_finalize(sel);
    out->count = ops;
    out->secs = now - start;
    return sink == 0 ? fail(t->s, "point select read nothing", TWILL_ERROR) : 0;
}

static int tw_range_scan(void *h, int64_t rows, int64_t span, double seconds, uint64_t seed,
                         bench_result *out) {
    tw_side *t = h;
    twill_stmt *sel = NULL;
    if (prepare(t->s, "SELECT id, k, v FROM t WHERE id >= $1 AND id < $2", &sel) != 0) return -1;
    int64_t read = 0, sink = 0;
    double start = bench_now(), end = start + seconds, now = start;
    do {
        int64_t lo = 1 + (int64_t)(bench_rng(&seed) % (uint64_t)(rows - span + 1));
        twill_bind_int64(sel, 1, lo);
        twill_bind_int64(sel, 2, lo + span);
        int64_t n = 0;
        int rc;
        while ((rc = twill_step(sel)) == TWILL_ROW) {
            sink += twill_column_int64(sel, 0) + twill_column_int64(sel, 1) +
                    twill_column_bytes(sel, 2);
            n++;
        }
        if (rc != TWILL_DONE || n != span) {
            twill_finalize(sel);
            if (rc == TWILL_DONE)
                fprintf(stderr, "bench: twill: range scan read %lld rows, expected %lld\n",
                        (long long)n, (long long)span);
            return rc == TWILL_DONE ? -1 : fail(t->s, "range scan", rc);
        }
        twill_reset(sel);
        read += n;
        now = bench_now();
    } while (now < end);
    twill_finalize(sel);
    out->count = read;
    out->secs = now - start;
    return sink == 0 ? -1 : 0;
}

static void *tw_commit_worker(void *arg) {
    bench_worker *w = arg;
    tw_side *t = w->side;
    twill_session *s = NULL;
    twill_stmt *ins = NULL;
    int rc = twill_session_open(t->db, &s);
    if (rc != TWILL_OK) {
        fail(NULL, "opening a worker session", rc);
        w->failed = 1;
    } else if (prepare(s, "INSERT INTO c(id, v) VALUES ($1, $2)", &ins) != 0) {
        w->failed = 1;
    }
    bench_worker_ready(w);
    char v[BENCH_VALUE_MAX];
    int64_t id = w->id_base + (int64_t)w->index * 1000000000000LL;
    while (!w->failed && !bench_worker_stop(w)) {
        id++;
        int len = bench_row_v(id, v);
        twill_bind_int64(ins, 1, id);
        twill_bind_text(ins, 2, v, len);
        rc = twill_step(ins);
        twill_reset(ins);
        if (rc == TWILL_DONE) {
            w->count++;
        } else if (rc !=
                   TWILL_CONFLICT) { /* disjoint ids: a conflict would be odd, but retryable */
            fail(s, "single-row commit", rc);
            w->failed = 1;
        }
    }
    twill_finalize(ins);
    twill_session_close(s);
    return NULL;
}

static int tw_commits(void *h, int threads, int64_t id_base, double seconds, bench_result *out) {
    return bench_run_workers(threads, h, id_base, tw_commit_worker, seconds, out);
}

static int tw_count_rows(void *h, const char *table, int64_t *out) {
    tw_side *t = h;
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    twill_stmt *st = NULL;
    if (prepare(t->s, sql, &st) != 0) return -1;
    int rc = twill_step(st);
    if (rc != TWILL_ROW) {
        twill_finalize(st);
        return fail(t->s, sql, rc);
    }
    *out = twill_column_int64(st, 0);
    twill_finalize(st);
    return 0;
}

static void tw_close(void *h) {
    tw_side *t = h;
    twill_session_close(t->s);
    int rc = twill_close(t->db);
    if (rc != TWILL_OK) fprintf(stderr, "bench: twill: close: %s\n", twill_errstr(rc));
    free(t);
}

const side_ops side_twill = {
    .name = "twill",
    .open = tw_open,
    .bulk_insert = tw_bulk_insert,
    .point_select = tw_point_select,
    .range_scan = tw_range_scan,
    .commits = tw_commits,
    .count_rows = tw_count_rows,
    .close = tw_close,
};
