/*
 * side_sqlite.c — the same workloads on SQLite, the embedded anchor.
 *
 * Configured the way a careful application runs it for durable OLTP: WAL journal,
 * synchronous=FULL (an fsync of the WAL on every commit, like Twill's durable-after-ack),
 * a page cache as large as Twill's default buffer pool (256 MiB), prepared statements,
 * and a busy timeout so that concurrent writers queue instead of failing.
 *
 * Schema note: the primary keys are declared INTEGER PRIMARY KEY, which makes them
 * SQLite's rowid — the fastest layout SQLite has for these tables. BIGINT PRIMARY KEY
 * would add a separate index and slow SQLite down; the anchor gets its best case.
 */
#include "side.h"

#include <sqlite3.h>
#include <stdlib.h>

#define SQ_BUSY_TIMEOUT_MS 60000

typedef struct sq_side {
    char path[4200];
    sqlite3 *db; /* the connection of the single-threaded workloads */
} sq_side;

static int fail(sqlite3 *db, const char *what, int rc) {
    fprintf(stderr, "bench: sqlite: %s: %s (%d): %s\n", what, sqlite3_errstr(rc), rc,
            db ? sqlite3_errmsg(db) : "");
    return -1;
}

static int exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "bench: sqlite: %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
    int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        char what[256];
        snprintf(what, sizeof what, "preparing %s", sql);
        return fail(db, what, rc);
    }
    return 0;
}

/* Opens one connection with the benchmark's settings (journal_mode is persistent in
 * the file; the rest is per connection). */
static int sq_connect(const char *path, sqlite3 **out) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        fail(db, path, rc);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, SQ_BUSY_TIMEOUT_MS);
    if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144") !=
        0) {
        sqlite3_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

static int sq_open(const char *dir, void **out) {
    sq_side *q = calloc(1, sizeof *q);
    if (q == NULL) return -1;
    snprintf(q->path, sizeof q->path, "%s/sqlite.db", dir);
    if (sq_connect(q->path, &q->db) != 0) {
        free(q);
        return -1;
    }
    if (exec(q->db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL);"
                    "CREATE TABLE c(id INTEGER PRIMARY KEY, v TEXT NOT NULL)") != 0) {
        sqlite3_close(q->db);
        free(q);
        return -1;
    }
    *out = q;
    return 0;
}

static int sq_bulk_insert(void *h, int64_t rows) {
    sq_side *q = h;
    sqlite3_stmt *ins = NULL;
    if (exec(q->db, "BEGIN") != 0) return -1;
    if (prepare(q->db, "INSERT INTO t(id, k, v) VALUES (?1, ?2, ?3)", &ins) != 0) goto fail;
    char v[BENCH_VALUE_MAX];
    for (int64_t id = 1; id <= rows; id++) {
        int len = bench_row_v(id, v);
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int64(ins, 2, bench_row_k(id));
        sqlite3_bind_text(ins, 3, v, len, SQLITE_TRANSIENT);
        int rc = sqlite3_step(ins);
        if (rc != SQLITE_DONE) {
            fail(q->db, "bulk INSERT", rc);
            goto fail;
        }
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    return exec(q->db, "COMMIT");
fail:
    sqlite3_finalize(ins);
    exec(q->db, "ROLLBACK");
    return -1;
}

/* After a 1M-row transaction the WAL holds every page; readers would look each page
 * up in the WAL index first. A truncating checkpoint gives SQLite its read-mostly
 * steady state (data in the main file, empty WAL). */
static int sq_settle(void *h) {
    sq_side *q = h;
    return exec(q->db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

static int sq_point_select(void *h, int64_t rows, double seconds, uint64_t seed,
                           bench_result *out) {
    sq_side *q = h;
    sqlite3_stmt *sel = NULL;
    if (prepare(q->db, "SELECT k, v FROM t WHERE id = ?1", &sel) != 0) return -1;
    int64_t ops = 0, sink = 0;
    double start = bench_now(), end = start + seconds, now = start;
    while (now < end) {
        for (int i = 0; i < BENCH_CLOCK_EVERY; i++, ops++) {
            int64_t id = 1 + (int64_t)(bench_rng(&seed) % (uint64_t)rows);
            sqlite3_bind_int64(sel, 1, id);
            int rc = sqlite3_step(sel);
            if (rc != SQLITE_ROW) {
                sqlite3_finalize(sel);
                return fail(q->db, "point select", rc);
            }
            if (sqlite3_column_int64(sel, 0) != bench_row_k(id)) {
                sqlite3_finalize(sel);
                fprintf(stderr, "bench: sqlite: point select of id %lld returned a wrong row\n",
                        (long long)id);
                return -1;
            }
            sqlite3_column_text(sel, 1); /* materialize the text, as Twill's column_text does */
            sink += sqlite3_column_bytes(sel, 1);
            rc = sqlite3_step(sel);
            if (rc != SQLITE_DONE) {
                sqlite3_finalize(sel);
                return fail(q->db, "point select: expected one row", rc);
            }
            sqlite3_reset(sel);
        }
        now = bench_now();
    }
    sqlite3_finalize(sel);
    out->count = ops;
    out->secs = now - start;
    return sink == 0 ? -1 : 0;
}

static int sq_range_scan(void *h, int64_t rows, int64_t span, double seconds, uint64_t seed,
                         bench_result *out) {
    sq_side *q = h;
    sqlite3_stmt *sel = NULL;
    if (prepare(q->db, "SELECT id, k, v FROM t WHERE id >= ?1 AND id < ?2", &sel) != 0) return -1;
    int64_t read = 0, sink = 0;
    double start = bench_now(), end = start + seconds, now = start;
    do {
        int64_t lo = 1 + (int64_t)(bench_rng(&seed) % (uint64_t)(rows - span + 1));
        sqlite3_bind_int64(sel, 1, lo);
        sqlite3_bind_int64(sel, 2, lo + span);
        int64_t n = 0;
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            sqlite3_column_text(sel, 2);
            sink += sqlite3_column_int64(sel, 0) + sqlite3_column_int64(sel, 1) +
                    sqlite3_column_bytes(sel, 2);
            n++;
        }
        if (rc != SQLITE_DONE || n != span) {
            sqlite3_finalize(sel);
            if (rc == SQLITE_DONE)
                fprintf(stderr, "bench: sqlite: range scan read %lld rows, expected %lld\n",
                        (long long)n, (long long)span);
            return rc == SQLITE_DONE ? -1 : fail(q->db, "range scan", rc);
        }
        sqlite3_reset(sel);
        read += n;
        now = bench_now();
    } while (now < end);
    sqlite3_finalize(sel);
    out->count = read;
    out->secs = now - start;
    return sink == 0 ? -1 : 0;
}

static void *sq_commit_worker(void *arg) {
    bench_worker *w = arg;
    sq_side *q = w->side;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    if (sq_connect(q->path, &db) != 0 ||
        prepare(db, "INSERT INTO c(id, v) VALUES (?1, ?2)", &ins) != 0)
        w->failed = 1;
    bench_worker_ready(w);
    char v[BENCH_VALUE_MAX];
    int64_t id = w->id_base + (int64_t)w->index * 1000000000000LL;
    while (!w->failed && !bench_worker_stop(w)) {
        id++;
        int len = bench_row_v(id, v);
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_text(ins, 2, v, len, SQLITE_TRANSIENT);
        int rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (rc == SQLITE_DONE) {
            w->count++;
        } else if (rc != SQLITE_BUSY) { /* busy past the timeout: try again */
            fail(db, "single-row commit", rc);
            w->failed = 1;
        }
    }
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return NULL;
}

static int sq_commits(void *h, int threads, int64_t id_base, double seconds, bench_result *out) {
    return bench_run_workers(threads, h, id_base, sq_commit_worker, seconds, out);
}

static int sq_count_rows(void *h, const char *table, int64_t *out) {
    sq_side *q = h;
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = NULL;
    if (prepare(q->db, sql, &st) != 0) return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return fail(q->db, sql, rc);
    }
    *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static void sq_close(void *h) {
    sq_side *q = h;
    int rc = sqlite3_close(q->db);
    if (rc != SQLITE_OK) fail(NULL, "close", rc);
    free(q);
}

const side_ops side_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .bulk_insert = sq_bulk_insert,
    .settle = sq_settle,
    .point_select = sq_point_select,
    .range_scan = sq_range_scan,
    .commits = sq_commits,
    .count_rows = sq_count_rows,
    .close = sq_close,
};
