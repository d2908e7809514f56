/*
 * twill-slt internals: the sqllogictest script reader (script.c) and the runner of one
 * script against one database (run.c). main.c drives them, one child process per file.
 */
#ifndef TWILL_SLT_H
#define TWILL_SLT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- growable byte buffer ----------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} slt_buf;

/* Appends n bytes (keeping data NUL-terminated); exits on out-of-memory, since a
 * runner that cannot allocate cannot report anything useful. */
void slt_buf_add(slt_buf *b, const void *p, size_t n);
void slt_buf_adds(slt_buf *b, const char *s);
void slt_buf_addf(slt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void slt_buf_free(slt_buf *b);
void *slt_xmalloc(size_t n);
void *slt_xrealloc(void *p, size_t n);
char *slt_xstrdup(const char *s);

/* ---- scripts ------------------------------------------------------------------------ */

typedef enum { SLT_STATEMENT, SLT_QUERY, SLT_HASH_THRESHOLD, SLT_HALT, SLT_BAD } slt_kind;
typedef enum { SLT_NOSORT, SLT_ROWSORT, SLT_VALUESORT } slt_sort;

/* One record. Every pointer refers to the script's buffers and stays valid until the
 * next slt_script_next call. */
typedef struct {
    slt_kind kind;
    long line;         /* line of the command (statement / query / ...) */
    bool skip;         /* a skipif/onlyif condition excludes this engine */
    bool expect_error; /* statement error */
    const char *sql;   /* lines joined with '\n' */
    const char *types; /* query: one letter per result column (I, T, R) */
    slt_sort sort;
    const char *label;     /* query: NULL when unlabelled */
    char *const *expected; /* query: the result lines after "----" */
    size_t nexpected;      /* number of result lines */
    long threshold;        /* hash-threshold */
    const char *bad;       /* SLT_BAD: what is wrong with the record */
} slt_record;

typedef struct {
    char *text;   /* the whole file, cut into NUL-terminated lines */
    char **lines; /* trailing blanks (including '\r') removed */
    size_t nlines;
    size_t next; /* index of the next unread line */
    slt_buf sql;
} slt_script;

/* The engine name this runner answers to in skipif / onlyif. */
#define SLT_ENGINE "postgresql"

/* Reads a script; -1 with errno set on failure. */
int slt_script_load(slt_script *sc, const char *path);
/* The next record; false at the end of the script. */
bool slt_script_next(slt_script *sc, slt_record *r);
void slt_script_free(slt_script *sc);

/* ---- running one script ------------------------------------------------------------- */

/* A file's progress. The child process running the file keeps it in memory shared with
 * the parent, so the parent still knows how far the file got if the engine crashes. */
typedef struct {
    long passed, failed, skipped;
    long line; /* line of the record being run */
} slt_counts;

typedef struct {
    const char *path;   /* the script to read */
    const char *name;   /* how to name it in messages */
    const char *db_url; /* a fresh database for this script */
    bool verbose;       /* describe each failing record on stdout */
    long max_failures;  /* stop the script after this many failures; 0: no limit */
} slt_run_opts;

/* Runs every record of a script. Returns 0, or -1 when the script cannot be read or
 * the database cannot be opened (reported on stderr). */
int slt_run_file(const slt_run_opts *o, volatile slt_counts *c);

#endif /* TWILL_SLT_H */
