/*
 * test_txn.c — the transactional key-value layer: snapshots, first-committer-wins,
 * command visibility, cursors merging own writes, drops, group commit, recovery.
 */
#include "txn/txn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures, checks;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                  \
        }                                                                                          \
    } while (0)
#define OK(expr)                                                                                   \
    do {                                                                                           \
        tw_err_clear(&err);                                                                        \
        int rc_ = (expr);                                                                          \
        checks++;                                                                                  \
        if (rc_ != TWILL_OK) {                                                                     \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: %s -> %d: %s\n", __FILE__, __LINE__, #expr, rc_, err.msg);     \
        }                                                                                          \
    } while (0)

static tw_err err;
static char url[600];
static char dir[512];

static tw_engine *open_db(void) {
    tw_engine *e = NULL;
    tw_engine_opts o = {.create = 1, .cache_pages = 64, .ckpt_dirty = 32};
    OK(tw_engine_open(url, &o, &e, &err));
    return e;
}

static void put(tw_txn *t, uint64_t table, const char *k, const char *v) {
    OK(tw_txn_put(t, table, k, strlen(k), v, strlen(v), &err));
}

/* Returns the value as a static string, or "<none>". */
static const char *get(tw_txn *t, uint64_t table, const char *k, int mode) {
    static char out[256];
    tw_buf b = {0};
    int found = 0;
    OK(tw_txn_get(t, table, k, strlen(k), mode, &b, &found, &err));
    if (!found)
        snprintf(out, sizeof out, "<none>");
    else
        snprintf(out, sizeof out, "%.*s", (int)b.len, b.p);
    tw_buf_free(&b);
    return out;
}

/* Concatenates "k=v;" of a full scan. */
static const char *scan(tw_txn *t, uint64_t table, const char *from) {
    static char out[4096];
    out[0] = 0;
    tw_cursor *c;
    OK(tw_cursor_open(t, table, &c, &err));
    OK(tw_cursor_seek(c, from, strlen(from), &err));
    while (tw_cursor_valid(c)) {
        size_t kl, vl;
        const char *k = tw_cursor_key(c, &kl), *v = tw_cursor_value(c, &vl);
        size_t n = strlen(out);
        snprintf(out + n, sizeof out - n, "%.*s=%.*s;", (int)kl, k, (int)vl, v);
        OK(tw_cursor_next(c, &err));
    }
    tw_cursor_close(c);
    return out;
}

static void test_basic_and_reopen(void) {
    tw_engine *e = open_db();
    tw_txn *t;
    OK(tw_txn_begin(e, &t, &err));
    put(t, 5, "a", "1");
    put(t, 5, "b", "2");
    CHECK(strcmp(get(t, 5, "a", TW_READ_SNAPSHOT), "<none>") == 0); /* same command */
    CHECK(strcmp(get(t, 5, "a", TW_READ_OWN_CURRENT), "1") == 0);
    tw_txn_next_command(t);
    CHECK(strcmp(get(t, 5, "a", TW_READ_SNAPSHOT), "1") == 0);
    OK(tw_txn_commit(t, &err));
    tw_engine_close(e);

    e = open_db();
    OK(tw_txn_begin(e, &t, &err));
    CHECK(strcmp(get(t, 5, "b", 0), "2") == 0);
    CHECK(strcmp(scan(t, 5, ""), "a=1;b=2;") == 0);
    tw_txn_rollback(t);
    tw_engine_close(e);
}

static void test_snapshot_and_conflict(void) {
    tw_engine *e = open_db();
    tw_txn *t1, *t2, *t3;
    OK(tw_txn_begin(e, &t1, &err));
    put(t1, 6, "k", "old");
    put(t1, 6, "gone", "x");
    OK(tw_txn_commit(t1, &err));

    OK(tw_txn_begin(e, &t1, &err)); /* old snapshot */
    OK(tw_txn_begin(e, &t2, &err));
    put(t2, 6, "k", "new");
    put(t2, 6, "n", "inserted");
    OK(tw_txn_delete(t2, 6, "gone", 4, &err));
    OK(tw_txn_commit(t2, &err));

    CHECK(strcmp(get(t1, 6, "k", 0), "old") == 0);
    CHECK(strcmp(get(t1, 6, "gone", 0), "x") == 0);
    CHECK(strcmp(get(t1, 6, "n", 0), "<none>") == 0);
    CHECK(strcmp(scan(t1, 6, ""), "gone=x;k=old;") == 0);
    OK(tw_txn_begin(e, &t3, &err));
    CHECK(strcmp(scan(t3, 6, ""), "k=new;n=inserted;") == 0);
    tw_txn_rollback(t3);

    /* t1 writes k, which t2 changed (and committed) after t1's snapshot: first committer
     * wins, and t1 learns it at the write, not only at its commit */
    tw_err_clear(&err);
    CHECK(tw_txn_put(t1, 6, "k", 1, "lost", 4, &err) == TWILL_CONFLICT);
    CHECK(strcmp(err.sqlstate, "40001") == 0);
    tw_txn_rollback(t1);
    OK(tw_txn_begin(e, &t3, &err));
    CHECK(strcmp(get(t3, 6, "k", 0), "new") == 0);
    tw_txn_rollback(t3);
    /* both write before either commits: the second commit fails */
    OK(tw_txn_begin(e, &t1, &err));
    OK(tw_txn_begin(e, &t2, &err));
    put(t1, 6, "k", "t1");
    put(t2, 6, "k", "t2");
    OK(tw_txn_commit(t2, &err));
    tw_err_clear(&err);
    CHECK(tw_txn_commit(t1, &err) == TWILL_CONFLICT);
    CHECK(strcmp(err.sqlstate, "40001") == 0);
    OK(tw_txn_begin(e, &t3, &err));
    CHECK(strcmp(get(t3, 6, "k", 0), "t2") == 0);
    tw_txn_rollback(t3);

    /* Disjoint keys do not conflict. */
    OK(tw_txn_begin(e, &t1, &err));
    OK(tw_txn_begin(e, &t2, &err));
    put(t1, 6, "p", "1");
    put(t2, 6, "q", "2");
    OK(tw_txn_commit(t2, &err));
    OK(tw_txn_commit(t1, &err));
    tw_engine_close(e);
}

static void test_cursor_merge_and_drop(void) {
    tw_engine *e = open_db();
    tw_txn *t;
    OK(tw_txn_begin(e, &t, &err));
    put(t, 7, "b", "tree-b");
    put(t, 7, "d", "tree-d");
    put(t, 7, "f", "tree-f");
    put(t, 8, "other", "x");
    OK(tw_txn_commit(t, &err));

    OK(tw_txn_begin(e, &t, &err));
    put(t, 7, "a", "ws-a");
    put(t, 7, "d", "ws-d");
    OK(tw_txn_delete(t, 7, "f", 1, &err));
    put(t, 7, "g", "ws-g");
    /* Same command: the cursor does not see them yet (statement snapshot). */
    CHECK(strcmp(scan(t, 7, ""), "b=tree-b;d=tree-d;f=tree-f;") == 0);
    tw_txn_next_command(t);
    CHECK(strcmp(scan(t, 7, ""), "a=ws-a;b=tree-b;d=ws-d;g=ws-g;") == 0);
    CHECK(strcmp(scan(t, 7, "c"), "d=ws-d;g=ws-g;") == 0);
    tw_buf k = {0};
    int found;
    OK(tw_txn_max_key(t, 7, &k, &found, &err));
    CHECK(found && k.len == 1 && k.p[0] == 'g');
    tw_buf_free(&k);
    OK(tw_txn_drop_table(t, 7, &err));
    tw_txn_next_command(t);
    CHECK(strcmp(scan(t, 7, ""), "") == 0);
    put(t, 7, "z", "after-drop");
    tw_txn_next_command(t);
    CHECK(strcmp(scan(t, 7, ""), "z=after-drop;") == 0);
    OK(tw_txn_commit(t, &err));

    OK(tw_txn_begin(e, &t, &err));
    CHECK(strcmp(scan(t, 7, ""), "z=after-drop;") == 0);
    CHECK(strcmp(scan(t, 8, ""), "other=x;") == 0);
    tw_txn_rollback(t);
    tw_engine_close(e);
    e = open_db();
    OK(tw_txn_begin(e, &t, &err));
    CHECK(strcmp(scan(t, 7, ""), "z=after-drop;") == 0);
    tw_txn_rollback(t);
    tw_engine_close(e);
}

/* Many keys through a tiny cache: checkpoints under pressure, reopen, model check. */
static void test_model(void) {
    enum { N = 20000 };
    static int model[N]; /* 0 absent, else value */
    memset(model, 0, sizeof model);
    tw_engine *e = open_db();
    unsigned seed = 12345;
    for (int round = 0; round < 20; round++) {
        tw_txn *t;
        OK(tw_txn_begin(e, &t, &err));
        for (int i = 0; i < 2000; i++) {
            seed = seed * 1103515245 + 12345;
            int k = (int)((seed >> 8) % N);
            char key[16], val[32];
            snprintf(key, sizeof key, "%08d", k);
            if ((seed >> 4) % 4 == 0) {
                OK(tw_txn_delete(t, 9, key, 8, &err));
                model[k] = 0;
            } else {
                int v = (int)(seed % 100000) + 1;
                snprintf(val, sizeof val, "v%d", v);
                OK(tw_txn_put(t, 9, key, 8, val, strlen(val), &err));
                model[k] = v;
            }
        }
        OK(tw_txn_commit(t, &err));
        if (round % 7 == 6) {
            tw_engine_close(e);
            e = open_db();
        }
    }
    tw_txn *t;
    OK(tw_txn_begin(e, &t, &err));
    tw_cursor *c;
    OK(tw_cursor_open(t, 9, &c, &err));
    OK(tw_cursor_seek(c, "", 0, &err));
    int expect = 0, bad = 0;
    for (int k = 0; k < N; k++) {
        if (!model[k]) continue;
        expect++;
        char key[16], val[32];
        snprintf(key, sizeof key, "%08d", k);
        snprintf(val, sizeof val, "v%d", model[k]);
        size_t kl, vl;
        const char *ck = tw_cursor_valid(c) ? tw_cursor_key(c, &kl) : NULL;
        const char *cv = ck ? tw_cursor_value(c, &vl) : NULL;
        if (!ck || kl != 8 || memcmp(ck, key, 8) || vl != strlen(val) || memcmp(cv, val, vl)) {
            bad++;
            break;
        }
        OK(tw_cursor_next(c, &err));
    }
    CHECK(bad == 0);
    CHECK(!tw_cursor_valid(c));
    tw_cursor_close(c);
    tw_txn_rollback(t);
    tw_engine_close(e);
    (void)expect;
}

/* Scans cross leaves and overflow values (read the long way) in key order. */
static void test_cursor_overflow(void) {
    tw_engine *e = open_db();
    tw_txn *t;
    enum { N = 3000, BIG = 70000 };
    static char big[BIG];
    memset(big, 'b', sizeof big);
    OK(tw_txn_begin(e, &t, &err));
    for (int i = 0; i < N; i++) {
        char key[16];
        snprintf(key, sizeof key, "%06d", i);
        size_t vlen = i % 500 == 7 ? (size_t)BIG - (size_t)i : (size_t)(i % 40);
        OK(tw_txn_put(t, 11, key, 6, big, vlen, &err));
    }
    OK(tw_txn_commit(t, &err));
    OK(tw_txn_begin(e, &t, &err));
    tw_cursor *c;
    OK(tw_cursor_open(t, 11, &c, &err));
    OK(tw_cursor_seek(c, "", 0, &err));
    int i = 0, bad = 0;
    while (tw_cursor_valid(c)) {
        char key[16];
        snprintf(key, sizeof key, "%06d", i);
        size_t kl, vl;
        const char *k = tw_cursor_key(c, &kl);
        tw_cursor_value(c, &vl);
        size_t want = i % 500 == 7 ? (size_t)BIG - (size_t)i : (size_t)(i % 40);
        if (kl != 6 || memcmp(k, key, 6) || vl != want) bad++;
        i++;
        OK(tw_cursor_next(c, &err));
    }
    CHECK(bad == 0);
    CHECK(i == N);
    tw_cursor_close(c);
    tw_txn_rollback(t);
    tw_engine_close(e);
}

typedef struct {
    tw_engine *e;
    int id, n, fails;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    tw_err werr;
    for (int i = 0; i < a->n; i++) {
        tw_txn *t;
        tw_err_clear(&werr);
        if (tw_txn_begin(a->e, &t, &werr)) {
            a->fails++;
            continue;
        }
        char key[32];
        snprintf(key, sizeof key, "w%02d-%06d", a->id, i);
        if (tw_txn_put(t, 10, key, strlen(key), "v", 1, &werr) || tw_txn_commit(t, &werr))
            a->fails++;
    }
    return NULL;
}

static void test_group_commit(void) {
    tw_engine *e = open_db();
    enum { THREADS = 8, PER = 100 };
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){e, i, PER, 0};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    int fails = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        fails += args[i].fails;
    }
    CHECK(fails == 0);
    tw_engine_stats st;
    tw_engine_get_stats(e, &st);
    printf("group commit: %llu commits in %llu log appends (max batch %llu)\n",
           (unsigned long long)st.commits, (unsigned long long)st.batches,
           (unsigned long long)st.max_batch);
    tw_engine_close(e);
    e = open_db();
    tw_txn *t;
    OK(tw_txn_begin(e, &t, &err));
    tw_cursor *c;
    OK(tw_cursor_open(t, 10, &c, &err));
    OK(tw_cursor_seek(c, "", 0, &err));
    int n = 0;
    while (tw_cursor_valid(c)) {
        n++;
        OK(tw_cursor_next(c, &err));
    }
    CHECK(n == THREADS * PER);
    tw_cursor_close(c);
    tw_txn_rollback(t);
    tw_engine_close(e);
}

int main(void) {
    const char *base = getenv("TWILL_TEST_TMP");
    char tmpl[512];
    if (base) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
        if (system(cmd) != 0) return 1;
    }
    snprintf(tmpl, sizeof tmpl, "%s/txnXXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s", tmpl);
    snprintf(url, sizeof url, "file://%s/db", dir);
    test_basic_and_reopen();
    test_snapshot_and_conflict();
    test_cursor_merge_and_drop();
    test_model();
    test_cursor_overflow();
    test_group_commit();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
