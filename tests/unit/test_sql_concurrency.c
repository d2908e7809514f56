/* SQL layer under concurrency: sessions on many threads sharing the catalog cache, the
 * parser thread, id and row-id counters; write conflicts retried on 40001; DDL racing
 * with DML. */
#include "lib_sqltest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define ROWS 150
#define INCS 40

static sqlt_db D;
static atomic_int errors;
static atomic_int conflicts;

static int run(tw_sql_session *s, const char *sql, tw_err *err) {
    tw_err_clear(err);
    return sqlt_exec(s, sql, err);
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    tw_sql_session *s;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(D.db, &s, &err)) {
        atomic_fetch_add(&errors, 1);
        return NULL;
    }
    char q[256];
    for (int i = 0; i < ROWS; i++) {
        snprintf(q, sizeof q, "INSERT INTO pk VALUES (%d, %d)", t * 100000 + i, t);
        if (run(s, q, &err)) atomic_fetch_add(&errors, 1), fprintf(stderr, "%s: %s\n", q, err.msg);
        snprintf(q, sizeof q, "INSERT INTO hid VALUES (%d, 'x')", t);
        if (run(s, q, &err)) atomic_fetch_add(&errors, 1), fprintf(stderr, "%s: %s\n", q, err.msg);
    }
    for (int i = 0; i < INCS; i++) {
        for (;;) {
            int rc = run(s, "BEGIN; UPDATE counter SET n = n + 1 WHERE id = 1; COMMIT", &err);
            if (rc == TWILL_OK) break;
            if (!strcmp(err.sqlstate, "40001")) {
                atomic_fetch_add(&conflicts, 1);
                if (tw_sql_in_transaction(s)) run(s, "ROLLBACK", &err);
                continue;
            }
            fprintf(stderr, "counter: %s %s\n", err.sqlstate, err.msg);
            atomic_fetch_add(&errors, 1);
            break;
        }
    }
    snprintf(q, sizeof q, "SELECT count(*) FROM hid WHERE t = %d", t);
    char out[64];
    if (sqlt_query(s, q, out, sizeof out, &err) || atoi(out) != ROWS) {
        fprintf(stderr, "thread %d sees %s rows\n", t, out);
        atomic_fetch_add(&errors, 1);
    }
    tw_sql_session_close(s);
    return NULL;
}

static void *ddl_worker(void *arg) {
    (void)arg;
    tw_sql_session *s;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(D.db, &s, &err)) return NULL;
    char q[256];
    for (int i = 0; i < 30; i++) {
        snprintf(q, sizeof q,
                 "CREATE TABLE ddl_%d (a int PRIMARY KEY, b text UNIQUE); "
                 "INSERT INTO ddl_%d VALUES (1, 'x'); CREATE INDEX ddl_%d_a ON ddl_%d (b)",
                 i, i, i, i);
        if (run(s, q, &err)) atomic_fetch_add(&errors, 1), fprintf(stderr, "%s: %s\n", q, err.msg);
        if (i % 2) {
            snprintf(q, sizeof q, "DROP TABLE ddl_%d", i);
            if (run(s, q, &err))
                atomic_fetch_add(&errors, 1), fprintf(stderr, "%s: %s\n", q, err.msg);
        }
    }
    tw_sql_session_close(s);
    return NULL;
}

int main(void) {
    if (sqlt_create(&D, "sqlconc")) return 1;
    tw_sql_session *s;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(D.db, &s, &err)) return 1;
    EXEC_OK(s, "CREATE TABLE pk (id bigint PRIMARY KEY, t int NOT NULL)");
    EXEC_OK(s, "CREATE TABLE hid (t int, v text)");
    EXEC_OK(s, "CREATE INDEX hid_t ON hid (t)");
    EXEC_OK(s, "CREATE TABLE counter (id int PRIMARY KEY, n bigint)");
    EXEC_OK(s, "INSERT INTO counter VALUES (1, 0)");
    pthread_t th[THREADS + 1];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    pthread_create(&th[THREADS], NULL, ddl_worker, NULL);
    for (int i = 0; i <= THREADS; i++) pthread_join(th[i], NULL);
    CHECK(atomic_load(&errors) == 0);
    char want[64];
    snprintf(want, sizeof want, "%d", THREADS * ROWS);
    QUERY(s, "SELECT count(*) FROM pk", want);
    QUERY(s, "SELECT count(*) FROM hid", want);
    snprintf(want, sizeof want, "%d", THREADS * INCS);
    QUERY(s, "SELECT n FROM counter", want);
    QUERY(s, "SELECT count(*) FROM ddl_28", "1");
    EXEC_ERR(s, "SELECT count(*) FROM ddl_29", "42P01");
    fprintf(stderr, "%d conflicts retried\n", atomic_load(&conflicts));
    tw_sql_session_close(s);
    /* everything is still there after a reopen */
    if (sqlt_reopen(&D) == 0 && tw_sql_session_open(D.db, &s, &err) == 0) {
        snprintf(want, sizeof want, "%d", THREADS * ROWS);
        QUERY(s, "SELECT count(*) FROM hid", want);
        QUERY(s, "SELECT b FROM ddl_0 WHERE b = 'x'", "x");
        tw_sql_session_close(s);
    } else {
        CHECK(0);
    }
    sqlt_destroy(&D);
    return sqlt_finish();
}
