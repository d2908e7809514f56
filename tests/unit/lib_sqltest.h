/*
 * lib_sqltest.h — helpers for SQL-layer tests: a real engine in a temp directory,
 * statement runners over sql.h that render results as text, and check macros.
 */
#ifndef TW_LIB_SQLTEST_H
#define TW_LIB_SQLTEST_H

#include "sql/sql.h"

#include <stdio.h>

extern int sqlt_checks, sqlt_failures;

typedef struct sqlt_db {
    char dir[512];
    char url[600];
    tw_engine *eng;
    tw_sql_db *db;
} sqlt_db;

/* Creates a fresh temp directory (under $TWILL_TEST_TMP) and opens a database in it. */
int sqlt_create(sqlt_db *d, const char *tag);
int sqlt_reopen(sqlt_db *d);
void sqlt_close(sqlt_db *d);   /* closes, keeps files */
void sqlt_destroy(sqlt_db *d); /* closes and removes the directory */
/* Opens a session on d (NULL on failure, with the reason on stderr). */
tw_sql_session *sqlt_session(sqlt_db *d);

/* Runs every statement of sql; returns the first failure's code (err filled). */
int sqlt_exec(tw_sql_session *s, const char *sql, tw_err *err);
/* Runs the first statement of sql and renders its rows as "v1|v2\n..." (NULL as
 * "NULL"), without the trailing newline. */
int sqlt_query(tw_sql_session *s, const char *sql, char *out, size_t cap, tw_err *err);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        sqlt_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            sqlt_failures++;                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

/* Statement(s) must succeed. */
#define EXEC_OK(s, sql)                                                                            \
    do {                                                                                           \
        tw_err e_;                                                                                 \
        tw_err_clear(&e_);                                                                         \
        int rc_ = sqlt_exec((s), (sql), &e_);                                                      \
        sqlt_checks++;                                                                             \
        if (rc_) {                                                                                 \
            sqlt_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s\n  failed: %d %s %s\n", __FILE__, __LINE__, (sql), rc_,     \
                    e_.sqlstate, e_.msg);                                                          \
        }                                                                                          \
    } while (0)

/* Statement must fail with the given SQLSTATE. */
#define EXEC_ERR(s, sql, state)                                                                    \
    do {                                                                                           \
        tw_err e_;                                                                                 \
        tw_err_clear(&e_);                                                                         \
        int rc_ = sqlt_exec((s), (sql), &e_);                                                      \
        sqlt_checks++;                                                                             \
        if (!rc_ || strcmp(e_.sqlstate, (state))) {                                                \
            sqlt_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s\n  expected %s, got rc=%d %s %s\n", __FILE__, __LINE__,     \
                    (sql), (state), rc_, e_.sqlstate, e_.msg);                                     \
        }                                                                                          \
    } while (0)

/* Query result must render exactly as `want`. */
#define QUERY(s, sql, want)                                                                        \
    do {                                                                                           \
        tw_err e_;                                                                                 \
        tw_err_clear(&e_);                                                                         \
        static char out_[65536];                                                                   \
        int rc_ = sqlt_query((s), (sql), out_, sizeof out_, &e_);                                  \
        sqlt_checks++;                                                                             \
        if (rc_ || strcmp(out_, (want))) {                                                         \
            sqlt_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s\n  want: %s\n  got:  %s (rc=%d %s %s)\n", __FILE__,         \
                    __LINE__, (sql), (want), out_, rc_, e_.sqlstate, e_.msg);                      \
        }                                                                                          \
    } while (0)

int sqlt_finish(void);

#endif
