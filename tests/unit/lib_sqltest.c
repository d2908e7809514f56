#include "lib_sqltest.h"

#include <stdlib.h>
#include <string.h>

int sqlt_checks, sqlt_failures;

static int open_db(sqlt_db *d) {
    tw_err err;
    tw_err_clear(&err);
    tw_engine_opts o = {.create = 1};
    if (tw_engine_open(d->url, &o, &d->eng, &err)) {
        fprintf(stderr, "engine open %s: %s\n", d->url, err.msg);
        return 1;
    }
    if (tw_sql_db_open(d->eng, &d->db, &err)) {
        fprintf(stderr, "sql open: %s\n", err.msg);
        tw_engine_close(d->eng);
        return 1;
    }
    return 0;
}

tw_sql_session *sqlt_session(sqlt_db *d) {
    tw_sql_session *s = NULL;
    tw_err err;
    tw_err_clear(&err);
    if (tw_sql_session_open(d->db, &s, &err)) {
        fprintf(stderr, "session: %s\n", err.msg);
        return NULL;
    }
    return s;
}

int sqlt_create(sqlt_db *d, const char *tag) {
    const char *base = getenv("TWILL_TEST_TMP");
    if (base) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
        if (system(cmd) != 0) return 1;
    }
    snprintf(d->dir, sizeof d->dir, "%s/%sXXXXXX", base ? base : "/tmp", tag);
    if (!mkdtemp(d->dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(d->url, sizeof d->url, "file://%s/db", d->dir);
    return open_db(d);
}

int sqlt_reopen(sqlt_db *d) {
    sqlt_close(d);
    return open_db(d);
}

void sqlt_close(sqlt_db *d) {
    if (d->db) tw_sql_db_close(d->db);
    if (d->eng) tw_engine_close(d->eng);
    d->db = NULL;
    d->eng = NULL;
}

void sqlt_destroy(sqlt_db *d) {
    sqlt_close(d);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", d->dir);
}

int sqlt_exec(tw_sql_session *s, const char *sql, tw_err *err) {
    size_t len = strlen(sql), off = 0;
    while (off < len) {
        tw_sql_stmt *st;
        size_t used;
        int rc = tw_sql_prepare(s, sql + off, len - off, &st, &used, err);
        if (rc) return rc;
        off += used;
        if (!st) {
            if (!used) break;
            continue;
        }
        while ((rc = tw_sql_step(st, err)) == TWILL_ROW) {
        }
        tw_sql_finalize(st);
        if (rc != TWILL_DONE) return rc;
        if (!used) break;
    }
    return TWILL_OK;
}

int sqlt_query(tw_sql_session *s, const char *sql, char *out, size_t cap, tw_err *err) {
    out[0] = '\0';
    tw_sql_stmt *st;
    size_t used, o = 0;
    int rc = tw_sql_prepare(s, sql, strlen(sql), &st, &used, err);
    if (rc) return rc;
    if (!st) return TWILL_OK;
    int n = tw_sql_column_count(st), rows = 0;
    while ((rc = tw_sql_step(st, err)) == TWILL_ROW) {
        if (rows++ && o < cap) out[o++] = '\n';
        for (int i = 0; i < n && o < cap; i++) {
            size_t l;
            const char *t = tw_sql_column_text(st, i, &l);
            o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "|" : "", t ? t : "NULL");
        }
    }
    if (o >= cap) o = cap - 1;
    out[o] = '\0';
    tw_sql_finalize(st);
    return rc == TWILL_DONE ? TWILL_OK : rc;
}

int sqlt_finish(void) {
    printf("%d passed, %d failed\n", sqlt_checks - sqlt_failures, sqlt_failures);
    return sqlt_failures ? 1 : 0;
}
