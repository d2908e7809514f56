/*
 * test_api.c — the public C ABI as an application meets it: the example,
 * result codes and SQLSTATEs, misuse of handles (NULL, closed, finalized), open errors,
 * the single-writer lock, and the rule that a failed statement changes nothing.
 */
#include "twill/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static char dir[512], url[600];

static int64_t count_rows(twill_session *s, const char *sql) {
    twill_stmt *st = NULL;
    int64_t n = -1;
    if (twill_prepare(s, sql, -1, &st, NULL) == TWILL_OK && twill_step(st) == TWILL_ROW)
        n = twill_column_int64(st, 0);
    twill_finalize(st);
    return n;
}

static void test_example(void) {
    twill_db *db;
    twill_session *s;
    CHECK(twill_open(url, NULL, &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_exec(s, "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)") == TWILL_OK);
    twill_stmt *st;
    CHECK(twill_prepare(s, "INSERT INTO notes VALUES ($1, $2)", -1, &st, NULL) == TWILL_OK);
    CHECK(twill_bind_parameter_count(st) == 2);
    for (int i = 1; i <= 3; i++) {
        char body[32];
        snprintf(body, sizeof body, "note %d", i);
        CHECK(twill_bind_int64(st, 1, i) == TWILL_OK);
        CHECK(twill_bind_text(st, 2, body, -1) == TWILL_OK);
        CHECK(twill_step(st) == TWILL_DONE);
        CHECK(twill_changes(st) == 1);
        CHECK(twill_reset(st) == TWILL_OK);
    }
    CHECK(twill_bind_int64(st, 3, 1) == TWILL_RANGE);
    CHECK(twill_finalize(st) == TWILL_OK);

    CHECK(twill_prepare(s, "SELECT id, body FROM notes WHERE id >= ? ORDER BY id", -1, &st, NULL) ==
          TWILL_OK);
    CHECK(twill_column_count(st) == 2);
    CHECK(strcmp(twill_column_name(st, 0), "id") == 0);
    CHECK(strcmp(twill_column_name(st, 1), "body") == 0);
    CHECK(twill_bind_int64(st, 1, 2) == TWILL_OK);
    CHECK(twill_step(st) == TWILL_ROW);
    CHECK(twill_column_type(st, 0) == TWILL_TYPE_INT64);
    CHECK(twill_column_int64(st, 0) == 2);
    CHECK(strcmp(twill_column_text(st, 1), "note 2") == 0);
    CHECK(twill_column_bytes(st, 1) == 6);
    CHECK(twill_column_type(st, 7) == TWILL_TYPE_NULL); /* out of range reads as NULL */
    CHECK(twill_step(st) == TWILL_ROW);
    CHECK(twill_column_int64(st, 0) == 3);
    CHECK(twill_step(st) == TWILL_DONE);
    CHECK(twill_finalize(st) == TWILL_OK);

    CHECK(twill_session_close(s) == TWILL_OK);
    CHECK(twill_close(db) == TWILL_OK);
}

static void test_errors(void) {
    twill_db *db;
    twill_session *s;
    CHECK(twill_open(url, NULL, &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);

    /* Syntax error: 42601 with a position. */
    CHECK(twill_exec(s, "SELEC 1") == TWILL_ERROR);
    CHECK(strcmp(twill_sqlstate(s), "42601") == 0);
    CHECK(twill_errpos(s) == 1);
    CHECK(strlen(twill_errmsg(s)) > 0);
    CHECK(twill_exec(s, "SELECT 1") == TWILL_OK);
    CHECK(strcmp(twill_sqlstate(s), "00000") == 0);

    /* A failed statement changes nothing: the duplicate in the middle aborts it all. */
    int64_t before = count_rows(s, "SELECT count(*) FROM notes");
    CHECK(before == 3);
    CHECK(twill_exec(s, "INSERT INTO notes VALUES (10, 'a'), (1, 'dup'), (11, 'b')") ==
          TWILL_ERROR);
    CHECK(strcmp(twill_sqlstate(s), "23505") == 0);
    CHECK(count_rows(s, "SELECT count(*) FROM notes") == before);

    /* Inside a block, an error aborts the block until ROLLBACK. */
    CHECK(twill_exec(s, "BEGIN") == TWILL_OK);
    CHECK(twill_in_transaction(s) == 1);
    CHECK(twill_exec(s, "INSERT INTO notes VALUES (20, 'in block')") == TWILL_OK);
    CHECK(twill_exec(s, "SELECT * FROM no_such_table") == TWILL_ERROR);
    CHECK(strcmp(twill_sqlstate(s), "42P01") == 0);
    CHECK(twill_exec(s, "SELECT 1") == TWILL_ERROR);
    CHECK(strcmp(twill_sqlstate(s), "25P02") == 0);
    CHECK(twill_exec(s, "ROLLBACK") == TWILL_OK);
    CHECK(twill_in_transaction(s) == 0);
    CHECK(count_rows(s, "SELECT count(*) FROM notes WHERE id = 20") == 0);

    /* A statement too deeply nested or too long is refused cleanly. */
    size_t n = 200000;
    char *deep = malloc(n * 2 + 16);
    strcpy(deep, "SELECT ");
    size_t p = strlen(deep);
    for (size_t i = 0; i < n / 2; i++) deep[p++] = '(';
    deep[p++] = '1';
    for (size_t i = 0; i < n / 2; i++) deep[p++] = ')';
    deep[p] = 0;
    CHECK(twill_exec(s, deep) == TWILL_ERROR);
    CHECK(strncmp(twill_sqlstate(s), "54", 2) == 0);
    strcpy(deep, "SELECT 1");
    p = strlen(deep);
    for (size_t i = 0; i < n; i++) deep[p++] = i % 2 ? '1' : '+';
    deep[p] = 0;
    int rc = twill_exec(s, deep);
    CHECK(rc == TWILL_OK || strncmp(twill_sqlstate(s), "54", 2) == 0);
    free(deep);

    CHECK(twill_session_close(s) == TWILL_OK);
    CHECK(twill_close(db) == TWILL_OK);
}

static void test_misuse(void) {
    twill_db *db, *db2;
    twill_session *s;
    twill_stmt *st;
    CHECK(twill_abi_version() == TWILL_ENGINE_ABI_VERSION);
    CHECK(twill_open(NULL, NULL, &db) == TWILL_MISUSE);
    CHECK(twill_open("nosuch://x", NULL, &db) == TWILL_NOTSUP && db == NULL);
    CHECK(strstr(twill_open_errmsg(), "nosuch") != NULL);
    CHECK(twill_open(url, "cache_mb=banana", &db) == TWILL_MISUSE);
    CHECK(twill_open(url, "bogus=1", &db) == TWILL_MISUSE);
    CHECK(twill_open(url, "cache_mb=8", &db) == TWILL_OK);

    /* One writer per database: a second open is refused while the first is open. */
    CHECK(twill_open(url, NULL, &db2) == TWILL_BUSY && db2 == NULL);

    CHECK(twill_session_open(NULL, &s) == TWILL_MISUSE);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_close(db) == TWILL_BUSY); /* a session is still open */
    CHECK(twill_exec(NULL, "SELECT 1") == TWILL_MISUSE);
    CHECK(twill_prepare(s, NULL, -1, &st, NULL) == TWILL_MISUSE);
    CHECK(twill_step(NULL) == TWILL_MISUSE);
    CHECK(twill_prepare(s, "  -- nothing\n ", -1, &st, NULL) == TWILL_OK && st == NULL);

    CHECK(twill_prepare(s, "SELECT 1", -1, &st, NULL) == TWILL_OK);
    CHECK(twill_finalize(st) == TWILL_OK);
    CHECK(twill_step(st) == TWILL_MISUSE);     /* finalized */
    CHECK(twill_finalize(st) == TWILL_MISUSE); /* twice */

    CHECK(twill_prepare(s, "SELECT 2", -1, &st, NULL) == TWILL_OK);
    CHECK(twill_session_close(s) == TWILL_OK); /* finalizes st too */
    CHECK(twill_step(st) == TWILL_MISUSE);
    CHECK(twill_exec(s, "SELECT 1") == TWILL_MISUSE);
    CHECK(twill_session_close(s) == TWILL_MISUSE);
    CHECK(strcmp(twill_sqlstate(s), "55000") == 0);

    CHECK(twill_close(db) == TWILL_OK);
    CHECK(twill_close(db) == TWILL_MISUSE);
    CHECK(twill_session_open(db, &s) == TWILL_MISUSE);
    CHECK(twill_branch_create(NULL, "x") == TWILL_MISUSE);
    CHECK(strcmp(twill_errstr(TWILL_CONFLICT), "serialization failure") == 0);
}

/* A database many times larger than the buffer pool (cache_mb=1: 128 pages) loads,
 * survives a reopen, and reads back completely, by scan and by key. */
static void test_larger_than_cache(void) {
    char big_url[700];
    snprintf(big_url, sizeof big_url, "file://%s/big", dir);
    twill_db *db;
    twill_session *s;
    twill_stmt *st;
    enum { ROWS = 60000 };
    CHECK(twill_open(big_url, "cache_mb=1", &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_exec(s, "CREATE TABLE big (id BIGINT PRIMARY KEY, pad TEXT)") == TWILL_OK);
    CHECK(twill_exec(s, "BEGIN") == TWILL_OK);
    CHECK(twill_prepare(s, "INSERT INTO big VALUES ($1, $2)", -1, &st, NULL) == TWILL_OK);
    char pad[201];
    memset(pad, 'p', 200);
    pad[200] = 0;
    for (int i = 0; i < ROWS; i++) {
        twill_bind_int64(st, 1, (int64_t)i * 7919 % ROWS); /* scattered keys */
        twill_bind_text(st, 2, pad, -1);
        if (twill_step(st) != TWILL_DONE) {
            CHECK(!"insert failed");
            break;
        }
        twill_reset(st);
    }
    twill_finalize(st);
    CHECK(twill_exec(s, "COMMIT") == TWILL_OK);
    twill_session_close(s);
    CHECK(twill_close(db) == TWILL_OK);

    CHECK(twill_open(big_url, "cache_mb=1", &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(count_rows(s, "SELECT count(*) FROM big") == ROWS);
    CHECK(count_rows(s, "SELECT count(*) FROM big WHERE pad = repeat('p', 200)") == ROWS ||
          count_rows(s, "SELECT count(*) FROM big WHERE id >= 0") == ROWS);
    CHECK(twill_prepare(s, "SELECT pad FROM big WHERE id = $1", -1, &st, NULL) == TWILL_OK);
    int found = 0;
    for (int i = 0; i < ROWS; i += 997) {
        twill_bind_int64(st, 1, i);
        if (twill_step(st) == TWILL_ROW && twill_column_bytes(st, 0) == 200) found++;
        twill_reset(st);
    }
    CHECK(found == (ROWS + 996) / 997);
    twill_finalize(st);
    twill_session_close(s);
    CHECK(twill_close(db) == TWILL_OK);
}

/* A process forked after the library was used (and closed everything) can use it. */
static void test_fork(void) {
    twill_db *db;
    twill_session *s;
    CHECK(twill_open(url, NULL, &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_exec(s, "SELECT 1") == TWILL_OK);
    twill_session_close(s);
    twill_close(db);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20); /* a hang fails the test instead of stalling ctest */
        int ok = twill_open(url, NULL, &db) == TWILL_OK && twill_session_open(db, &s) == TWILL_OK &&
                 twill_exec(s, "SELECT count(*) FROM notes") == TWILL_OK;
        twill_session_close(s);
        twill_close(db);
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ABI 4: the type each parameter's context gives it, as PostgreSQL infers it. */
static void test_param_types(void) {
    twill_db *db;
    twill_session *s;
    twill_stmt *st;
    CHECK(twill_open(url, NULL, &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_exec(s, "CREATE TABLE pt (id bigint PRIMARY KEY, name varchar(20), n numeric, "
                        "d date)") == TWILL_OK);
    CHECK(twill_prepare(s, "SELECT * FROM pt WHERE id = $1 AND name = $2 OR n > $3", -1, &st,
                        NULL) == TWILL_OK);
    CHECK(twill_bind_parameter_pg_type(st, 1) == 20);
    CHECK(twill_bind_parameter_pg_type(st, 2) == 25); /* varchar = unknown compares as text */
    CHECK(twill_bind_parameter_pg_type(st, 3) == 1700);
    CHECK(twill_bind_parameter_pg_type(st, 0) == 0 && twill_bind_parameter_pg_type(st, 4) == 0);
    twill_finalize(st);
    CHECK(twill_prepare(s, "INSERT INTO pt VALUES ($1, $2, $3, $4)", -1, &st, NULL) == TWILL_OK);
    CHECK(twill_bind_parameter_pg_type(st, 1) == 20 &&
          twill_bind_parameter_pg_type(st, 2) == 1043 &&
          twill_bind_parameter_pg_type(st, 4) == 1082);
    twill_finalize(st);
    CHECK(twill_prepare(s, "SELECT substr($1, $2), $3", -1, &st, NULL) == TWILL_OK);
    CHECK(twill_bind_parameter_pg_type(st, 1) == 25 && twill_bind_parameter_pg_type(st, 2) == 23);
    CHECK(twill_bind_parameter_pg_type(st, 3) == 0); /* nothing types it */
    twill_finalize(st);
    CHECK(twill_bind_parameter_pg_type(NULL, 1) == 0);
    CHECK(twill_session_close(s) == TWILL_OK);
    CHECK(twill_close(db) == TWILL_OK);
}

int main(void) {
    const char *base = getenv("TWILL_TEST_TMP");
    char tmpl[512];
    if (base) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
        if (system(cmd) != 0) return 1;
    }
    snprintf(tmpl, sizeof tmpl, "%s/apiXXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpl)) return 1;
    snprintf(dir, sizeof dir, "%s", tmpl);
    snprintf(url, sizeof url, "file://%s/db", dir);
    test_example();
    test_errors();
    test_misuse();
    test_param_types();
    test_fork();
    test_larger_than_cache();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
