/*
 * test_s3_fence — two writer processes on one s3:// database, through the public API.
 *
 * Each writer (this program re-executed with --writer) opens the database with
 * twill_open (which takes the lease: a newer epoch plus a fence object in the commit
 * log) and inserts rows with ids from its own range, one autocommit INSERT at a time.
 * It reports every outcome to the parent over a pipe before it goes on: an
 * acknowledgement only after twill_step returned TWILL_DONE, else the error code with
 * the message on stderr. A writer never reopens: once refused it keeps trying and
 * reporting, so an acknowledgement after a fence would show.
 *
 * Scenarios:
 *   takeover  A writes; B opens while A is mid-stream. A's next commit must fail with
 *             TWILL_FENCED and a message that says so, and A must never acknowledge
 *             again; B keeps writing.
 *   race      A and B open at the same moment (repeated): at the end exactly one of
 *             them is still acknowledging, the other was refused (open lost the lease
 *             race: TWILL_BUSY, or fenced on its first commit).
 * After each scenario both are killed and the database is reopened by the parent with
 * a fresh, empty cache directory: every acknowledged id is present exactly once.
 */
#include "s3test.h"
#include "twill/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures, checks;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
        }                                                                                          \
    } while (0)

typedef struct msg {
    int32_t kind; /* 1 ready (opened), 2 acked, 3 failed commit, 4 open failed */
    int32_t code;
    int64_t id;
    double t_ms;
} msg;

static void send_msg(int fd, int kind, int code, int64_t id) {
    msg m = {kind, code, id, s3t_now_ms()};
    if (write(fd, &m, sizeof m) != (ssize_t)sizeof m) _exit(4);
}

/* ---- the writer process ------------------------------------------------------------------- */

static int writer_main(const char *url, int fd, int64_t first) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    twill_db *db = NULL;
    int rc = twill_open(url, NULL, &db);
    if (rc != TWILL_OK) {
        fprintf(stderr, "writer %" PRId64 ": open: %s (%s)\n", first, twill_open_errmsg(),
                twill_errstr(rc));
        send_msg(fd, 4, rc, 0);
        for (;;) pause();
    }
    twill_session *s = NULL;
    twill_stmt *ins = NULL;
    if (twill_session_open(db, &s) != TWILL_OK ||
        twill_prepare(s, "INSERT INTO t(id, w) VALUES ($1, $2)", -1, &ins, NULL) != TWILL_OK) {
        fprintf(stderr, "writer: prepare: %s\n", s ? twill_errmsg(s) : "no session");
        _exit(3);
    }
    send_msg(fd, 1, 0, 0);
    int reported = 0;
    for (int64_t id = first;; id++) {
        twill_bind_int64(ins, 1, id);
        twill_bind_int64(ins, 2, first);
        rc = twill_step(ins);
        if (rc == TWILL_DONE) {
            send_msg(fd, 2, 0, id);
        } else {
            if (reported++ < 2)
                fprintf(stderr, "writer %" PRId64 ": commit of id %" PRId64 ": %s (%s)\n", first,
                        id, twill_errmsg(s), twill_errstr(rc));
            send_msg(fd, 3, rc, id);
            usleep(20000);
        }
        twill_reset(ins);
    }
}

/* ---- the parent --------------------------------------------------------------------------- */

typedef struct writer {
    pid_t pid;
    int fd;
    int64_t first;
    int ready, open_failed, open_code;
    int acked, failed, acked_after_fail, fenced_seen;
    int first_fail_code;
    double last_ack_ms;
    int64_t *ids;
    size_t nids, cap;
} writer;

static void start_writer(writer *w, const char *url, int64_t first) {
    memset(w, 0, sizeof *w);
    w->first = first;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) abort();
    char fd_s[16], first_s[32];
    snprintf(fd_s, sizeof fd_s, "%d", fds[1]);
    snprintf(first_s, sizeof first_s, "%" PRId64, first);
    char *args[] = {"test_s3_fence", "--writer", (char *)url, fd_s, first_s, NULL};
    fflush(NULL);
    w->pid = fork();
    if (w->pid == 0) {
        if (fcntl(fds[1], F_SETFD, 0) == 0) execv("/proc/self/exe", args);
        _exit(7);
    }
    close(fds[1]);
    w->fd = fds[0];
}

static void drain(writer *w, int timeout_ms) {
    struct pollfd pfd = {w->fd, POLLIN, 0};
    while (poll(&pfd, 1, timeout_ms) > 0) {
        msg m;
        ssize_t n = read(w->fd, &m, sizeof m);
        if (n != (ssize_t)sizeof m) return;
        timeout_ms = 0;
        if (m.kind == 1) w->ready = 1;
        if (m.kind == 4) w->open_failed = 1, w->open_code = m.code;
        if (m.kind == 2) {
            w->acked++;
            w->last_ack_ms = m.t_ms;
            if (w->failed) w->acked_after_fail++;
            if (w->nids == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 1024;
                w->ids = realloc(w->ids, w->cap * sizeof *w->ids);
                if (!w->ids) abort();
            }
            w->ids[w->nids++] = m.id;
        }
        if (m.kind == 3) {
            if (!w->failed) w->first_fail_code = m.code;
            w->failed++;
            if (m.code == TWILL_FENCED) w->fenced_seen = 1;
        }
    }
}

static void pump(writer *w, int n, double ms) {
    double end = s3t_now_ms() + ms;
    while (s3t_now_ms() < end)
        for (int i = 0; i < n; i++) drain(&w[i], 5);
}

/* Until every writer has opened (or failed to): opens replay the log, slow on a busy
 * machine, and the scenarios are about what happens after. */
static void wait_opened(writer *w, int n) {
    double until = s3t_now_ms() + 60000;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < n; i++) pending += !w[i].ready && !w[i].open_failed;
        if (!pending || s3t_now_ms() > until) return;
        pump(w, n, 50);
    }
}

static void stop_writer(writer *w) {
    kill(w->pid, SIGKILL);
    int st;
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR) {
    }
    drain(w, 0);
    close(w->fd);
}

/* Every acknowledged id is there exactly once, read by a fresh process-like open. */
static void verify(const char *url, const char *cache_dir, writer *w, int n) {
    setenv("TWILL_CACHE_DIR", cache_dir, 1);
    twill_db *db = NULL;
    int rc = twill_open(url, NULL, &db);
    CHECK(rc == TWILL_OK);
    if (rc) {
        fprintf(stderr, "verify open: %s\n", twill_open_errmsg());
        return;
    }
    twill_session *s = NULL;
    twill_stmt *q = NULL, *cnt = NULL;
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_prepare(s, "SELECT count(*), min(w), max(w) FROM t WHERE id = $1", -1, &q, NULL) ==
          TWILL_OK);
    int missing = 0, dup = 0, wrong = 0, total = 0;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < w[i].nids; k++) {
            twill_bind_int64(q, 1, w[i].ids[k]);
            if (twill_step(q) != TWILL_ROW) {
                missing++;
                twill_reset(q);
                continue;
            }
            int64_t c = twill_column_int64(q, 0);
            missing += c == 0, dup += c > 1;
            wrong += c >= 1 && (twill_column_int64(q, 1) != w[i].first ||
                                twill_column_int64(q, 2) != w[i].first);
            total++;
            twill_reset(q);
        }
    CHECK(missing == 0 && dup == 0 && wrong == 0);
    int64_t rows = -1;
    if (twill_prepare(s, "SELECT count(*) FROM t", -1, &cnt, NULL) == TWILL_OK &&
        twill_step(cnt) == TWILL_ROW)
        rows = twill_column_int64(cnt, 0);
    CHECK(rows >= total);
    fprintf(stderr,
            "  verify (fresh cache): %d acknowledged ids, %d missing, %d duplicated, %d wrong "
            "writer; %" PRId64 " rows in all\n",
            total, missing, dup, wrong, rows);
    twill_finalize(q);
    twill_finalize(cnt);
    twill_session_close(s);
    CHECK(twill_close(db) == TWILL_OK);
}

static void create_table(const char *url) {
    twill_db *db = NULL;
    twill_session *s = NULL;
    int ok = twill_open(url, "create=1", &db) == TWILL_OK &&
             twill_session_open(db, &s) == TWILL_OK &&
             twill_exec(s, "CREATE TABLE t(id BIGINT PRIMARY KEY, w BIGINT)") == TWILL_OK;
    CHECK(ok);
    if (!ok) fprintf(stderr, "create: %s %s\n", twill_open_errmsg(), s ? twill_errmsg(s) : "");
    twill_session_close(s);
    if (db) twill_close(db);
}

static void takeover(const char *endpoint, const char *tmp) {
    char url[600], cache[1300];
    s3t_url(url, sizeof url, endpoint, "fence/takeover");
    create_table(url);
    writer w[2];
    start_writer(&w[0], url, 1000000000);
    while (!w[0].ready && !w[0].open_failed) drain(&w[0], 100);
    pump(w, 1, 300);
    int a_before = w[0].acked;
    start_writer(&w[1], url, 2000000000);
    wait_opened(w, 2);
    pump(w, 2, 1000);
    int b_mid = w[1].acked;
    pump(w, 2, 1000);
    stop_writer(&w[0]);
    stop_writer(&w[1]);
    fprintf(stderr,
            "takeover: A acked %d (%d before B opened), then %d failed commits (first: %s); B "
            "acked %d\n",
            w[0].acked, a_before, w[0].failed, twill_errstr(w[0].first_fail_code), w[1].acked);
    CHECK(a_before > 0);
    CHECK(w[1].ready && !w[1].open_failed);
    CHECK(w[0].failed > 0 && w[0].first_fail_code == TWILL_FENCED);
    CHECK(w[0].acked_after_fail == 0);
    CHECK(w[1].failed == 0 && w[1].acked > b_mid && b_mid > 0); /* B keeps writing */
    snprintf(cache, sizeof cache, "%s/cache-takeover", tmp);
    mkdir(cache, 0777);
    verify(url, cache, w, 2);
    free(w[0].ids);
    free(w[1].ids);
}

static void race(const char *endpoint, const char *tmp, int round) {
    char url[600], cache[1300], prefix[64];
    snprintf(prefix, sizeof prefix, "fence/race-%d", round);
    s3t_url(url, sizeof url, endpoint, prefix);
    create_table(url);
    writer w[2];
    start_writer(&w[0], url, 1000000000);
    start_writer(&w[1], url, 2000000000);
    wait_opened(w, 2);
    pump(w, 2, 1500);
    double t_end = s3t_now_ms();
    pump(w, 2, 1000);
    stop_writer(&w[0]);
    stop_writer(&w[1]);
    /* "still acknowledging": acked within the last second of the run */
    int alive = 0, loser = -1;
    for (int i = 0; i < 2; i++) {
        if (w[i].acked && w[i].last_ack_ms >= t_end)
            alive++;
        else
            loser = i;
    }
    fprintf(stderr,
            "race %d: A open %s acked %d failed %d (%s); B open %s acked %d failed %d (%s)\n",
            round, w[0].open_failed ? twill_errstr(w[0].open_code) : "ok", w[0].acked, w[0].failed,
            w[0].failed ? twill_errstr(w[0].first_fail_code) : "-",
            w[1].open_failed ? twill_errstr(w[1].open_code) : "ok", w[1].acked, w[1].failed,
            w[1].failed ? twill_errstr(w[1].first_fail_code) : "-");
    CHECK(alive == 1);
    if (alive == 1 && loser >= 0) {
        writer *l = &w[loser];
        /* the loser was refused: at open (lost the lease race) or fenced at a commit */
        CHECK(l->open_failed ? l->open_code == TWILL_BUSY || l->open_code == TWILL_FENCED
                             : l->failed > 0 && l->first_fail_code == TWILL_FENCED);
        CHECK(l->acked_after_fail == 0);
    }
    for (int i = 0; i < 2; i++) CHECK(w[i].acked_after_fail == 0);
    snprintf(cache, sizeof cache, "%s/cache-race-%d", tmp, round);
    mkdir(cache, 0777);
    verify(url, cache, w, 2);
    free(w[0].ids);
    free(w[1].ids);
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "--writer"))
        return writer_main(argv[2], atoi(argv[3]), strtoll(argv[4], NULL, 10));
    if (argc > 1) {
        printf("usage: test_s3_fence  (starts its own Ceph; rounds: TWILL_FENCE_ROUNDS, "
               "default 3)\n");
        return strcmp(argv[1], "--help") ? 2 : 0;
    }
    s3t_ceph c;
    if (s3t_ceph_up(&c) != 0) {
        printf("0 passed, 1 failed (the Ceph cluster did not start)\n");
        return 1;
    }
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.caches", c.dir);
    mkdir(tmp, 0777);
    const char *r = getenv("TWILL_FENCE_ROUNDS");
    int rounds = r && *r ? atoi(r) : 3;
    takeover(c.endpoint, tmp);
    for (int i = 1; i <= rounds; i++) race(c.endpoint, tmp, i);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    s3t_ceph_down(&c);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
