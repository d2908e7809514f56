/*
 * test_crash_commit — kill -9 a process in the middle of its commit loop, many times,
 * and check after every kill that each acknowledged commit survived, exactly once,
 * and that no transaction survived half-way.
 *
 * Each round starts a child (fork + exec of this program with --child) that opens
 * file://<tmp>/db, creates t(id BIGINT PRIMARY KEY, v TEXT) if absent and commits rows
 * with increasing ids through prepared statements:
 *
 *   single  autocommit INSERT (id = x, v = 's')
 *   txn     BEGIN; INSERT ids a..a+n-1 with v = 'txn:a:n'; UPDATE the single row
 *           x = a-1 that the same worker committed just before to v = 'upd:a:n'; COMMIT
 *
 * A commit is acknowledged to the parent (a 16-byte record written with write(2) to a
 * pipe, so nothing sits in a userspace buffer) only after twill_step returned
 * TWILL_DONE / COMMIT returned TWILL_OK. The parent SIGKILLs the child after a seeded
 * random delay, opens the database itself and checks:
 *   - every acknowledged id is present exactly once (point lookup by primary key, and
 *     in a full scan);
 *   - the full scan has no duplicate ids and agrees with count(*);
 *   - atomicity: rows tagged 'txn:a:n' exist all n or not at all, and exactly when the
 *     row a-1 carries the marker 'upd:a:n'; an acknowledged txn is always complete.
 * Some rounds run 4 worker threads with one session each, so concurrent commits share
 * group-commit batches; some rounds kill the child early, possibly while it is still
 * opening (recovering) the database.
 *
 * Rounds: --rounds N or TWILL_CRASH_ROUNDS (default 40). Seed: --seed S or
 * TWILL_CRASH_SEED (default from the clock); it is printed so a failure can be replayed.
 *
 * Another backend: --url URL (or TWILL_TEST_URL, which tests/s3/s3run exports) runs the
 * same rounds against that database instead of file://<tmp>/db; ctest runs it on s3://
 * as test_crash_commit_s3 (label s3). With a URL every writer process gets the cache
 * directory <tmp>/cache-writer (TWILL_CACHE_DIR, kept across rounds: a warm cache that
 * the previous, killed writer left behind) and every verification opens the database
 * with a fresh, empty cache directory — compute is disposable. The kill delay is
 * 0..TWILL_CRASH_MAX_DELAY_MS (default 50 ms).
 */
#include "twill/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ROUNDS 40
#define MAX_DELAY_US 50000
#define MULTI_THREADS 4
#define TXN_MIN_ROWS 2
#define TXN_MAX_ROWS 5
#define READY_TIMEOUT_MS 60000
#define MAX_CONFLICT_RETRIES 100
#define MAX_REPORTED_VIOLATIONS 20

/* ---- small utilities -------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s) {
    /* splitmix64: tiny, and every seed gives a good stream, so printing one number is
     * enough to replay a run. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n) {
    return rng_next(s) % n;
}

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "test_crash_commit: out of memory\n");
        exit(2);
    }
    return q;
}

static int mkdir_p(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int rm_rf(const char *path) {
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Set by --url / TWILL_TEST_URL: the directory that holds the per-process caches. */
static const char *g_cache_base;

/* ---- acknowledgements: child -> parent -------------------------------------------- */

enum { ACK_READY = 1, ACK_SINGLE = 2, ACK_TXN = 3, ACK_FAIL = 4 };

/* 16 bytes, far below PIPE_BUF: concurrent writers never interleave within a record. */
typedef struct ack_rec {
    uint32_t kind;
    uint32_t n; /* ACK_TXN: rows inserted by the transaction */
    int64_t id; /* ACK_SINGLE: the row; ACK_TXN: the first row of the block */
} ack_rec;

/* ---- the child: commit until killed ----------------------------------------------- */

typedef struct child_cfg {
    const char *url;
    int ack_fd;
    int threads;
    int64_t first_id;
    uint64_t seed;
} child_cfg;

static _Atomic int64_t g_next_id;
static const child_cfg *g_cfg;

static void child_send(uint32_t kind, int64_t id, uint32_t n) {
    ack_rec r = {.kind = kind, .n = n, .id = id};
    ssize_t w;
    do {
        w = write(g_cfg->ack_fd, &r, sizeof r);
    } while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof r) _exit(4); /* the parent is gone: nothing to report to */
}

/* Reports why the child cannot go on, then ends the whole process (all threads). */
__attribute__((noreturn, format(printf, 2, 3))) static void child_die(twill_session *s,
                                                                      const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (len < 0) len = 0;
    if (len >= (int)sizeof msg) len = (int)sizeof msg - 1;
    char line[2048];
    int n = snprintf(line, sizeof line, "child %d: %.*s%s%s%s%s\n", (int)getpid(), len, msg,
                     s ? ": " : "", s ? twill_errmsg(s) : "", s ? " SQLSTATE " : "",
                     s ? twill_sqlstate(s) : "");
    if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
    /* write(2), not stdio: other threads may be inside stdio, and we _exit at once. */
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) { /* nothing left to do */
    }
    child_send(ACK_FAIL, 0, 0);
    _exit(3);
}

typedef struct worker {
    uint64_t rng;
    twill_session *s;
    twill_stmt *ins;
    twill_stmt *upd;
} worker;

/* Returns TWILL_DONE, or TWILL_CONFLICT for the caller to retry; dies on anything else. */
static int run_write(worker *w, twill_stmt *st, const char *what, int64_t id) {
    int rc = twill_step(st);
    if (rc == TWILL_DONE) {
        if (twill_changes(st) != 1)
            child_die(w->s, "%s id=%" PRId64 " changed %" PRId64 " rows, expected 1", what, id,
                      twill_changes(st));
        twill_reset(st);
        return rc;
    }
    twill_reset(st);
    if (rc == TWILL_CONFLICT) return rc;
    child_die(w->s, "%s id=%" PRId64 ": step returned %d (%s)", what, id, rc, twill_errstr(rc));
}

static int insert_row(worker *w, int64_t id, const char *v) {
    if (twill_bind_int64(w->ins, 1, id) != TWILL_OK ||
        twill_bind_text(w->ins, 2, v, -1) != TWILL_OK)
        child_die(w->s, "binding the INSERT");
    return run_write(w, w->ins, "INSERT", id);
}

static void exec_or_die(worker *w, const char *sql) {
    int rc = twill_exec(w->s, sql);
    if (rc != TWILL_OK) child_die(w->s, "%s returned %d (%s)", sql, rc, twill_errstr(rc));
}

/* BEGIN; n inserts tagged 'txn:a:n'; mark row a-1 'upd:a:n'; COMMIT. TWILL_OK once
 * committed, TWILL_CONFLICT if it was rolled back and should be retried. */
static int run_txn(worker *w, int64_t a, uint32_t n) {
    char tag[64], marker[64];
    snprintf(tag, sizeof tag, "txn:%" PRId64 ":%" PRIu32, a, n);
    snprintf(marker, sizeof marker, "upd:%" PRId64 ":%" PRIu32, a, n);
    exec_or_die(w, "BEGIN");
    int rc = TWILL_DONE;
    for (uint32_t i = 0; i < n && rc == TWILL_DONE; i++) rc = insert_row(w, a + i, tag);
    if (rc == TWILL_DONE) {
        if (twill_bind_text(w->upd, 1, marker, -1) != TWILL_OK ||
            twill_bind_int64(w->upd, 2, a - 1) != TWILL_OK)
            child_die(w->s, "binding the UPDATE");
        rc = run_write(w, w->upd, "UPDATE", a - 1);
    }
    if (rc == TWILL_CONFLICT) {
        exec_or_die(w, "ROLLBACK");
        return rc;
    }
    rc = twill_exec(w->s, "COMMIT");
    if (rc == TWILL_CONFLICT) return rc; /* a failed COMMIT ends the transaction */
    if (rc != TWILL_OK) child_die(w->s, "COMMIT returned %d (%s)", rc, twill_errstr(rc));
    if (twill_in_transaction(w->s)) child_die(w->s, "still in a transaction after COMMIT");
    return TWILL_OK;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    for (;;) {
        /* One in four units is a multi-row transaction; ids come in one block so the
         * txn's rows follow the single row it updates. */
        uint32_t n =
            rng_below(&w->rng, 4) == 0
                ? TXN_MIN_ROWS + (uint32_t)rng_below(&w->rng, TXN_MAX_ROWS - TXN_MIN_ROWS + 1)
                : 0;
        int64_t x = atomic_fetch_add(&g_next_id, (int64_t)(1 + n));
        int tries = 0;
        while (insert_row(w, x, "s") == TWILL_CONFLICT)
            if (++tries > MAX_CONFLICT_RETRIES)
                child_die(w->s, "INSERT id=%" PRId64 " keeps conflicting", x);
        child_send(ACK_SINGLE, x, 0);
        if (n == 0) continue;
        tries = 0;
        while (run_txn(w, x + 1, n) == TWILL_CONFLICT)
            if (++tries > MAX_CONFLICT_RETRIES)
                child_die(w->s, "txn at id=%" PRId64 " keeps conflicting", x + 1);
        child_send(ACK_TXN, x + 1, n);
    }
    return NULL;
}

__attribute__((noreturn)) static void child_main(const child_cfg *cfg) {
    g_cfg = cfg;
    /* If the parent dies (e.g. the ctest timeout), do not commit forever. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(5);

    twill_db *db = NULL;
    int rc = twill_open(cfg->url, NULL, &db);
    if (rc != TWILL_OK)
        child_die(NULL, "twill_open(%s) returned %d (%s): %s SQLSTATE %s", cfg->url, rc,
                  twill_errstr(rc), twill_open_errmsg(), twill_open_sqlstate());
    twill_session *s = NULL;
    if (twill_session_open(db, &s) != TWILL_OK) child_die(NULL, "twill_session_open failed");
    /* Probe rather than CREATE TABLE IF NOT EXISTS: the probe needs less of the SQL
     * surface, and a table that is missing when it should exist fails verification. */
    twill_stmt *probe = NULL;
    rc = twill_prepare(s, "SELECT id, v FROM t", -1, &probe, NULL);
    twill_finalize(probe);
    if (rc != TWILL_OK) {
        if (strcmp(twill_sqlstate(s), "42P01") != 0)
            child_die(s, "probing for table t returned %d (%s)", rc, twill_errstr(rc));
        rc = twill_exec(s, "CREATE TABLE t(id BIGINT PRIMARY KEY, v TEXT)");
        if (rc != TWILL_OK) child_die(s, "CREATE TABLE returned %d (%s)", rc, twill_errstr(rc));
    }
    twill_session_close(s);
    atomic_store(&g_next_id, cfg->first_id);
    child_send(ACK_READY, 0, 0);

    worker workers[MULTI_THREADS];
    pthread_t tids[MULTI_THREADS];
    uint64_t seed = cfg->seed;
    for (int i = 0; i < cfg->threads; i++) {
        worker *w = &workers[i];
        w->rng = rng_next(&seed);
        if (twill_session_open(db, &w->s) != TWILL_OK) child_die(NULL, "twill_session_open failed");
        if (twill_prepare(w->s, "INSERT INTO t(id, v) VALUES ($1, $2)", -1, &w->ins, NULL) !=
            TWILL_OK)
            child_die(w->s, "preparing the INSERT");
        if (twill_prepare(w->s, "UPDATE t SET v = $1 WHERE id = $2", -1, &w->upd, NULL) != TWILL_OK)
            child_die(w->s, "preparing the UPDATE");
    }
    for (int i = 1; i < cfg->threads; i++)
        if (pthread_create(&tids[i], NULL, worker_main, &workers[i]) != 0)
            child_die(NULL, "pthread_create failed");
    worker_main(&workers[0]); /* loops until the parent's SIGKILL */
    _exit(0);
}

/* ---- the parent: what was acknowledged -------------------------------------------- */

enum { ACKED_NONE = 0, ACKED_SINGLE = 1, ACKED_TXN_ROW = 2 };

typedef struct txn_ack {
    int64_t a;
    uint32_t n;
} txn_ack;

typedef struct state {
    uint8_t *acked; /* indexed by id: ACKED_* */
    int64_t acked_cap;
    int64_t acked_count;
    int64_t max_acked;
    txn_ack *txns;
    size_t ntxns, txns_cap;
    bool table_ready; /* some child reported the table created */
} state;

typedef struct round_stats {
    bool ready, child_failed;
    int64_t singles, txns;
    int64_t violations;
} round_stats;

__attribute__((format(printf, 2, 3))) static void violation(round_stats *rs, const char *fmt, ...) {
    if (rs->violations++ >= MAX_REPORTED_VIOLATIONS) return;
    va_list ap;
    va_start(ap, fmt);
    printf("    VIOLATION: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static void mark_acked(state *st, round_stats *rs, int64_t id, uint8_t kind) {
    if (id <= 0) {
        violation(rs, "child acknowledged a nonpositive id %" PRId64, id);
        return;
    }
    if (id >= st->acked_cap) {
        int64_t cap = st->acked_cap ? st->acked_cap : 4096;
        while (cap <= id) cap *= 2;
        st->acked = xrealloc(st->acked, (size_t)cap);
        memset(st->acked + st->acked_cap, 0, (size_t)(cap - st->acked_cap));
        st->acked_cap = cap;
    }
    if (st->acked[id] != ACKED_NONE) {
        violation(rs, "id %" PRId64 " acknowledged twice: two commits inserted it", id);
        return;
    }
    st->acked[id] = kind;
    st->acked_count++;
    if (id > st->max_acked) st->max_acked = id;
}

static void apply_ack(state *st, round_stats *rs, const ack_rec *r) {
    switch (r->kind) {
    case ACK_READY:
        rs->ready = true;
        st->table_ready = true;
        break;
    case ACK_SINGLE:
        rs->singles++;
        mark_acked(st, rs, r->id, ACKED_SINGLE);
        break;
    case ACK_TXN:
        rs->txns++;
        for (uint32_t i = 0; i < r->n; i++) mark_acked(st, rs, r->id + i, ACKED_TXN_ROW);
        if (st->ntxns == st->txns_cap) {
            st->txns_cap = st->txns_cap ? st->txns_cap * 2 : 256;
            st->txns = xrealloc(st->txns, st->txns_cap * sizeof *st->txns);
        }
        st->txns[st->ntxns++] = (txn_ack){.a = r->id, .n = r->n};
        break;
    case ACK_FAIL:
        rs->child_failed = true;
        break;
    default:
        violation(rs, "garbled acknowledgement record (kind %" PRIu32 ")", r->kind);
    }
}

typedef struct ack_reader {
    int fd;
    bool eof;
    size_t have;
    unsigned char buf[sizeof(ack_rec) * 256];
} ack_reader;

/* Waits up to timeout_ms for acknowledgements and applies whatever arrived. */
static void pump_acks(ack_reader *ar, state *st, round_stats *rs, int timeout_ms) {
    if (ar->eof) return;
    struct pollfd pfd = {.fd = ar->fd, .events = POLLIN};
    int pr = poll(&pfd, 1, timeout_ms);
    if (pr <= 0) return;
    ssize_t got = read(ar->fd, ar->buf + ar->have, sizeof ar->buf - ar->have);
    if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        perror("read(ack pipe)");
        ar->eof = true;
        return;
    }
    if (got == 0) {
        ar->eof = true;
        if (ar->have) violation(rs, "truncated acknowledgement record in the pipe");
        return;
    }
    ar->have += (size_t)got;
    size_t off = 0;
    for (; ar->have - off >= sizeof(ack_rec); off += sizeof(ack_rec)) {
        ack_rec r;
        memcpy(&r, ar->buf + off, sizeof r);
        apply_ack(st, rs, &r);
    }
    memmove(ar->buf, ar->buf + off, ar->have - off);
    ar->have -= off;
}

/* ---- the parent: verification --------------------------------------------------- */

typedef struct row {
    int64_t id;
    char *v; /* NULL for SQL NULL */
} row;

static int row_cmp(const void *a, const void *b) {
    int64_t x = ((const row *)a)->id, y = ((const row *)b)->id;
    return (x > y) - (x < y);
}

static const row *find_row(const row *rows, size_t n, int64_t id) {
    row key = {.id = id};
    return bsearch(&key, rows, n, sizeof *rows, row_cmp);
}

/* Parses "<prefix>A:N" strictly; false if v is anything else. */
static bool parse_tag(const char *v, const char *prefix, int64_t *a, uint32_t *n) {
    size_t pl = strlen(prefix);
    if (v == NULL || strncmp(v, prefix, pl) != 0) return false;
    char *end;
    errno = 0;
    long long aa = strtoll(v + pl, &end, 10);
    if (errno || end == v + pl || *end != ':') return false;
    const char *p = end + 1;
    unsigned long nn = strtoul(p, &end, 10);
    if (errno || end == p || *end != '\0' || nn < TXN_MIN_ROWS || nn > TXN_MAX_ROWS) return false;
    *a = aa;
    *n = (uint32_t)nn;
    return true;
}

static bool row_has(const row *rows, size_t nrows, int64_t id, const char *v) {
    const row *r = find_row(rows, nrows, id);
    return r != NULL && r->v != NULL && strcmp(r->v, v) == 0;
}

/* Checks that the txn (a, n) is complete: all rows tagged and row a-1 marked. */
static bool txn_complete(const row *rows, size_t nrows, int64_t a, uint32_t n) {
    char tag[64], marker[64];
    snprintf(tag, sizeof tag, "txn:%" PRId64 ":%" PRIu32, a, n);
    snprintf(marker, sizeof marker, "upd:%" PRId64 ":%" PRIu32, a, n);
    for (uint32_t i = 0; i < n; i++)
        if (!row_has(rows, nrows, a + i, tag)) return false;
    return row_has(rows, nrows, a - 1, marker);
}

static void check_rows(const state *st, round_stats *rs, const row *rows, size_t nrows) {
    for (size_t i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        if (i > 0 && rows[i - 1].id == r->id)
            violation(rs, "id %" PRId64 " appears more than once in a full scan", r->id);
        int64_t a;
        uint32_t n;
        if (r->v == NULL) {
            violation(rs, "id %" PRId64 " has v = NULL", r->id);
        } else if (strcmp(r->v, "s") == 0) {
            /* a single row nobody updated (yet) */
        } else if (parse_tag(r->v, "txn:", &a, &n)) {
            if (r->id < a || r->id >= a + (int64_t)n)
                violation(rs, "id %" PRId64 " carries tag '%s' of another block", r->id, r->v);
            else if (!txn_complete(rows, nrows, a, n))
                violation(rs, "transaction '%s' is only partly present (seen at id %" PRId64 ")",
                          r->v, r->id);
        } else if (parse_tag(r->v, "upd:", &a, &n)) {
            if (a != r->id + 1)
                violation(rs, "id %" PRId64 " carries marker '%s' of another row", r->id, r->v);
            else if (!txn_complete(rows, nrows, a, n))
                violation(rs, "marker '%s' at id %" PRId64 " without all its transaction's rows",
                          r->v, r->id);
        } else {
            violation(rs, "id %" PRId64 " has unexpected v '%s'", r->id, r->v);
        }
    }
    for (int64_t id = 1; id <= st->max_acked; id++) {
        if (st->acked[id] == ACKED_NONE) continue;
        const row *r = find_row(rows, nrows, id);
        if (r == NULL) {
            violation(rs, "acknowledged id %" PRId64 " is missing from a full scan", id);
            continue;
        }
        int64_t a;
        uint32_t n;
        if (st->acked[id] == ACKED_SINGLE && r->v != NULL && strcmp(r->v, "s") != 0 &&
            !(parse_tag(r->v, "upd:", &a, &n) && a == id + 1))
            violation(rs, "acknowledged single row %" PRId64 " has v '%s'", id, r->v);
    }
    for (size_t i = 0; i < st->ntxns; i++)
        if (!txn_complete(rows, nrows, st->txns[i].a, st->txns[i].n))
            violation(rs, "acknowledged transaction txn:%" PRId64 ":%" PRIu32 " is not complete",
                      st->txns[i].a, st->txns[i].n);
}

static void free_rows(row *rows, size_t n) {
    for (size_t i = 0; i < n; i++) free(rows[i].v);
    free(rows);
}

/* Opens the database, checks it against what was acknowledged, closes it. Sets
 * *max_id to the largest id present. */
static void verify(const state *st, const char *url, round_stats *rs, int64_t *max_id,
                   size_t *nrows_out) {
    *max_id = 0;
    *nrows_out = 0;
    char cache[4200] = "";
    if (g_cache_base) {
        /* a process that never saw this database, with an empty cache */
        static int nverify;
        snprintf(cache, sizeof cache, "%s/cache-verify-%d", g_cache_base, ++nverify);
        if (mkdir_p(cache) != 0) violation(rs, "cannot create %s", cache);
        setenv("TWILL_CACHE_DIR", cache, 1);
    }
    twill_db *db = NULL;
    int rc = twill_open(url, NULL, &db);
    if (rc != TWILL_OK) {
        violation(rs, "twill_open after the kill returned %d (%s): %s SQLSTATE %s", rc,
                  twill_errstr(rc), twill_open_errmsg(), twill_open_sqlstate());
        if (cache[0]) rm_rf(cache);
        return;
    }
    twill_session *s = NULL;
    if (twill_session_open(db, &s) != TWILL_OK) {
        violation(rs, "twill_session_open failed");
        twill_close(db);
        if (cache[0]) rm_rf(cache);
        return;
    }
    row *rows = NULL;
    size_t nrows = 0, cap = 0;
    twill_stmt *scan = NULL, *cnt = NULL, *point = NULL;
    rc = twill_prepare(s, "SELECT id, v FROM t", -1, &scan, NULL);
    if (rc != TWILL_OK) {
        /* Before any child got as far as creating the table, its absence is fine. */
        if (st->table_ready || strcmp(twill_sqlstate(s), "42P01") != 0)
            violation(rs, "SELECT from t failed: %s SQLSTATE %s", twill_errmsg(s),
                      twill_sqlstate(s));
        goto out;
    }
    while ((rc = twill_step(scan)) == TWILL_ROW) {
        if (nrows == cap) {
            cap = cap ? cap * 2 : 1024;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        if (twill_column_type(scan, 0) != TWILL_TYPE_INT64)
            violation(rs, "id column has type %d", twill_column_type(scan, 0));
        row *r = &rows[nrows++];
        r->id = twill_column_int64(scan, 0);
        const char *v = twill_column_text(scan, 1);
        r->v = twill_column_type(scan, 1) == TWILL_TYPE_NULL || v == NULL ? NULL : strdup(v);
    }
    if (rc != TWILL_DONE) {
        violation(rs, "full scan failed with %d: %s SQLSTATE %s", rc, twill_errmsg(s),
                  twill_sqlstate(s));
        goto out;
    }
    qsort(rows, nrows, sizeof *rows, row_cmp);
    *nrows_out = nrows;
    if (nrows) *max_id = rows[nrows - 1].id;

    if (twill_prepare(s, "SELECT count(*) FROM t", -1, &cnt, NULL) != TWILL_OK ||
        twill_step(cnt) != TWILL_ROW) {
        violation(rs, "SELECT count(*) failed: %s SQLSTATE %s", twill_errmsg(s), twill_sqlstate(s));
        goto out;
    }
    if (twill_column_int64(cnt, 0) != (int64_t)nrows)
        violation(rs, "count(*) = %" PRId64 " but a full scan returned %zu rows",
                  twill_column_int64(cnt, 0), nrows);

    if (twill_prepare(s, "SELECT count(*) FROM t WHERE id = $1", -1, &point, NULL) != TWILL_OK) {
        violation(rs, "preparing the point count failed: %s SQLSTATE %s", twill_errmsg(s),
                  twill_sqlstate(s));
        goto out;
    }
    for (int64_t id = 1; id <= st->max_acked; id++) {
        if (st->acked[id] == ACKED_NONE) continue;
        twill_bind_int64(point, 1, id);
        rc = twill_step(point);
        if (rc != TWILL_ROW) {
            violation(rs, "point count for id %" PRId64 " returned %d: %s SQLSTATE %s", id, rc,
                      twill_errmsg(s), twill_sqlstate(s));
        } else if (twill_column_int64(point, 0) != 1) {
            violation(rs, "acknowledged id %" PRId64 " found %" PRId64 " times by primary key", id,
                      twill_column_int64(point, 0));
        }
        twill_reset(point);
    }
    check_rows(st, rs, rows, nrows);
out:
    twill_finalize(scan);
    twill_finalize(cnt);
    twill_finalize(point);
    free_rows(rows, nrows);
    twill_session_close(s);
    rc = twill_close(db);
    if (rc != TWILL_OK) violation(rs, "twill_close returned %d (%s)", rc, twill_errstr(rc));
    if (cache[0] && rm_rf(cache) != 0) fprintf(stderr, "could not remove %s\n", cache);
}

/* ---- the parent: rounds ------------------------------------------------------------ */

static void usage(FILE *f) {
    fprintf(f,
            "usage: test_crash_commit [--rounds N] [--seed S] [--url URL] [--keep]\n"
            "\n"
            "Forks a child that commits rows (single-row autocommits and multi-row\n"
            "transactions, 1 or %d threads) into file://<tmp>/db, SIGKILLs it after a random\n"
            "0-%d ms, then checks every acknowledged commit is present exactly once and\n"
            "every transaction is all-or-nothing. Repeats for N rounds.\n"
            "\n"
            "  --rounds N  rounds to run (default: $TWILL_CRASH_ROUNDS, else %d)\n"
            "  --seed S    random seed (default: $TWILL_CRASH_SEED, else from the clock)\n"
            "  --url URL   the database to crash instead of file://<tmp>/db (default:\n"
            "              $TWILL_TEST_URL if set); each verification then opens it with a\n"
            "              fresh, empty TWILL_CACHE_DIR\n"
            "  --keep      keep the temporary directory even when every round passed\n"
            "  --help      show this help\n"
            "  (--child URL FD THREADS FIRST_ID SEED is the writer process's internal entry.)\n"
            "\n"
            "The temporary directory is created under $TWILL_TEST_TMP (else $TMPDIR, else\n"
            "/tmp) and kept when a round fails. The kill delay is at most\n"
            "$TWILL_CRASH_MAX_DELAY_MS (default %d). Exit status: 0 if every round passed.\n",
            MULTI_THREADS, MAX_DELAY_US / 1000, DEFAULT_ROUNDS, MAX_DELAY_US / 1000);
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (s == NULL || *s == '\0') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end != '\0') return false;
    *out = v;
    return true;
}

typedef struct round_plan {
    int threads;
    bool early; /* delay counts from fork, so the kill may land inside twill_open */
    int64_t delay_us;
    uint64_t child_seed;
} round_plan;

static void run_child_round(const char *url, const round_plan *plan, int64_t first_id, state *st,
                            round_stats *rs) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("pipe2");
        exit(2);
    }
    /* The child re-executes this program: a fresh process, so it inherits no state of
     * the library the parent has been using (helper threads do not survive fork). */
    char fd_s[16], threads_s[16], first_s[32], seed_s[32];
    snprintf(fd_s, sizeof fd_s, "%d", fds[1]);
    snprintf(threads_s, sizeof threads_s, "%d", plan->threads);
    snprintf(first_s, sizeof first_s, "%" PRId64, first_id);
    snprintf(seed_s, sizeof seed_s, "%" PRIu64, plan->child_seed);
    char *args[] = {"test_crash_commit", "--child", (char *)url, fd_s,
                    threads_s,           first_s,   seed_s,      NULL};
    fflush(stdout);
    fflush(stderr);
    char cache[4200];
    if (g_cache_base) { /* the writers' cache outlives each of them */
        snprintf(cache, sizeof cache, "%s/cache-writer", g_cache_base);
        setenv("TWILL_CACHE_DIR", cache, 1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        /* Only async-signal-safe calls until exec: the parent may have threads. */
        if (fcntl(fds[1], F_SETFD, 0) == 0) execv("/proc/self/exe", args);
        _exit(7);
    }
    close(fds[1]);
    ack_reader ar = {.fd = fds[0]};
    int64_t start = now_us();
    if (!plan->early) {
        while (!rs->ready && !ar.eof && now_us() - start < READY_TIMEOUT_MS * 1000LL)
            pump_acks(&ar, st, rs, 100);
        if (!rs->ready && !ar.eof)
            violation(rs, "child did not open the database within %d s", READY_TIMEOUT_MS / 1000);
        start = now_us();
    }
    int64_t deadline = start + plan->delay_us;
    for (int64_t now = now_us(); now < deadline && !ar.eof; now = now_us())
        pump_acks(&ar, st, rs, (int)((deadline - now + 999) / 1000));
    kill(pid, SIGKILL);
    /* The pipe still holds what the child wrote before it died: drain it to EOF. */
    while (!ar.eof) pump_acks(&ar, st, rs, -1);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
        rs->child_failed = true;
        if (WIFEXITED(status))
            violation(rs, "child exited on its own with status %d (see its message above)",
                      WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            violation(rs, "child died of signal %d before the kill", WTERMSIG(status));
    } else if (rs->child_failed) {
        violation(rs, "child reported a failure (see its message above)");
    }
}

/* test_crash_commit --child URL ACK_FD THREADS FIRST_ID SEED: one writer process. */
static int child_entry(int argc, char **argv) {
    uint64_t fd, threads, first, seed;
    if (argc != 7 || !parse_u64(argv[3], &fd) || !parse_u64(argv[4], &threads) ||
        !parse_u64(argv[5], &first) || !parse_u64(argv[6], &seed) || fd > INT32_MAX ||
        threads < 1 || threads > MULTI_THREADS || first < 1 || first > INT64_MAX) {
        fprintf(stderr, "test_crash_commit: bad --child arguments\n");
        return 2;
    }
    child_cfg cfg = {.url = argv[2],
                     .ack_fd = (int)fd,
                     .threads = (int)threads,
                     .first_id = (int64_t)first,
                     .seed = seed};
    child_main(&cfg);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_entry(argc, argv);
    uint64_t rounds = DEFAULT_ROUNDS, seed = 0;
    const char *env;
    bool have_seed = false, keep = false;
    const char *given_url = getenv("TWILL_TEST_URL");
    if (given_url && !*given_url) given_url = NULL;
    uint64_t max_delay_ms = MAX_DELAY_US / 1000;
    env = getenv("TWILL_CRASH_MAX_DELAY_MS");
    if (env && *env && !parse_u64(env, &max_delay_ms)) {
        fprintf(stderr, "test_crash_commit: TWILL_CRASH_MAX_DELAY_MS is not a number: %s\n", env);
        return 2;
    }
    env = getenv("TWILL_CRASH_ROUNDS");
    if (env && *env && !parse_u64(env, &rounds)) {
        fprintf(stderr, "test_crash_commit: TWILL_CRASH_ROUNDS is not a number: %s\n", env);
        return 2;
    }
    env = getenv("TWILL_CRASH_SEED");
    if (env && *env) {
        if (!parse_u64(env, &seed)) {
            fprintf(stderr, "test_crash_commit: TWILL_CRASH_SEED is not a number: %s\n", env);
            return 2;
        }
        have_seed = true;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &rounds)) {
                fprintf(stderr, "test_crash_commit: --rounds needs a number\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &seed)) {
                fprintf(stderr, "test_crash_commit: --seed needs a number\n");
                return 2;
            }
            have_seed = true;
        } else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            given_url = argv[++i];
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = true;
        } else {
            fprintf(stderr, "test_crash_commit: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!have_seed) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)now_us();

    const char *base = getenv("TWILL_TEST_TMP");
    if (base == NULL || *base == '\0') base = getenv("TMPDIR");
    if (base == NULL || *base == '\0') base = "/tmp";
    if (mkdir_p(base) != 0) {
        fprintf(stderr, "test_crash_commit: cannot create %s: %s\n", base, strerror(errno));
        return 2;
    }
    char dir[4096], url[4200];
    if (snprintf(dir, sizeof dir, "%s/crash_commit.XXXXXX", base) >= (int)sizeof dir ||
        mkdtemp(dir) == NULL) {
        fprintf(stderr, "test_crash_commit: cannot create a temp dir under %s: %s\n", base,
                strerror(errno));
        return 2;
    }
    if (given_url) {
        snprintf(url, sizeof url, "%s", given_url);
        g_cache_base = dir;
    } else {
        snprintf(url, sizeof url, "file://%s/db", dir);
    }
    printf("test_crash_commit: seed %" PRIu64 ", %" PRIu64 " rounds, database %s\n", seed, rounds,
           url);
    printf("  (replay with TWILL_CRASH_SEED=%" PRIu64 " TWILL_CRASH_ROUNDS=%" PRIu64 ")\n", seed,
           rounds);

    state st = {0};
    uint64_t rng = seed;
    int64_t max_present = 0;
    uint64_t passed = 0, failed = 0;
    for (uint64_t round = 1; round <= rounds; round++) {
        round_plan plan = {
            .threads = round % 3 == 0 ? MULTI_THREADS : 1,
            .early = rng_below(&rng, 8) == 0,
            .delay_us = (int64_t)rng_below(&rng, max_delay_ms * 1000 + 1),
            .child_seed = rng_next(&rng),
        };
        round_stats rs = {0};
        int64_t first_id = (max_present > st.max_acked ? max_present : st.max_acked) + 1;
        printf("round %" PRIu64 "/%" PRIu64
               ": %d thread%s, kill %.1f ms after %s, ids from %" PRId64 "\n",
               round, rounds, plan.threads, plan.threads == 1 ? "" : "s", plan.delay_us / 1000.0,
               plan.early ? "fork" : "ready", first_id);
        fflush(stdout);
        run_child_round(url, &plan, first_id, &st, &rs);
        size_t nrows = 0;
        verify(&st, url, &rs, &max_present, &nrows);
        printf("  acked +%" PRId64 " single, +%" PRId64 " txn; %" PRId64
               " acked ids in all, %zu rows present: %s",
               rs.singles, rs.txns, st.acked_count, nrows, rs.violations ? "FAILED" : "ok");
        if (rs.violations) printf(" (%" PRId64 " violations)", rs.violations);
        printf("\n");
        fflush(stdout);
        if (rs.violations)
            failed++;
        else
            passed++;
    }
    printf("test_crash_commit: %" PRIu64 " passed, %" PRIu64 " failed (seed %" PRIu64 ")\n", passed,
           failed, seed);
    if (failed || keep)
        printf("test_crash_commit: kept %s\n", dir);
    else if (rm_rf(dir) != 0)
        fprintf(stderr, "test_crash_commit: could not remove %s: %s\n", dir, strerror(errno));
    free(st.acked);
    free(st.txns);
    return failed ? 1 : 0;
}
