/*
 * copy.h — the COPY statement as the server handles it: a hand parser for
 * `COPY table [(cols)] FROM STDIN` and `COPY table [(cols)] | (query) TO STDOUT` with
 * their options (parenthesized list or the pre-9.0 keywords), and the text/CSV codecs
 * of the data stream.
 *
 * Why in the server: the SQL layer has no COPY (it answers 0A000); the server turns
 * COPY FROM into one prepared INSERT per row and COPY TO into a SELECT, so COPY is a
 * protocol feature built on the public API only.
 *
 * Contract: tws_copy_parse never reads past sql[len); names come back re-quoted as SQL
 * identifiers, ready to splice into generated statements. What COPY cannot do here (a
 * file or PROGRAM, BINARY format) is an error with SQLSTATE 0A000, a malformed
 * statement 42601.
 */
#ifndef TWS_COPY_H
#define TWS_COPY_H

#include <stddef.h>

enum { TWS_COPY_TEXT = 0, TWS_COPY_CSV = 1 };

typedef struct tws_copy_stmt {
    int from;        /* 1: FROM STDIN; 0: TO STDOUT */
    char *table;     /* quoted SQL name ("s"."t"), NULL for (query) */
    char *label;     /* the table's bare name, for "CONTEXT: COPY t, line n" */
    char *query;     /* the (query) of COPY (query) TO STDOUT, else NULL */
    int ncols;       /* 0: every column */
    char **cols;     /* quoted SQL identifiers */
    int format;      /* TWS_COPY_TEXT / _CSV */
    char delim;      /* '\t' text, ',' CSV by default */
    char quote;      /* CSV only */
    char escape;     /* CSV only */
    char *null;      /* "\N" text, "" CSV by default */
    int header;      /* first line holds column names */
    const char *end; /* text after the statement (past its ';') */
} tws_copy_stmt;

/* 1 if the statement at sql (after blanks/comments) starts with the keyword COPY. */
int tws_copy_is(const char *sql, size_t len);

/* Parses the COPY statement at sql[0..len). 0 on success (free with tws_copy_free);
 * -1 with *sqlstate and err set otherwise (nothing to free). */
int tws_copy_parse(const char *sql, size_t len, tws_copy_stmt *cs, const char **sqlstate, char *err,
                   size_t cap);
void tws_copy_free(tws_copy_stmt *cs);

/* Finds the end of the next record in buf[0..n): returns its length including the
 * newline, or 0 if no complete record is buffered (CSV records may hold quoted
 * newlines). */
size_t tws_copy_record_end(const tws_copy_stmt *cs, const char *buf, size_t n);

/* Splits one record rec[0..len) (its newline excluded) into at most max fields, in
 * place: fields[i] points into rec, NUL-terminated, isnull[i] set for the NULL marker.
 * rec[len] must be writable. Returns the number of fields, or -1 with err set (bad
 * escape or quoting; SQLSTATE 22P04 or 22021). */
int tws_copy_split(const tws_copy_stmt *cs, char *rec, size_t len, char **fields, int *isnull,
                   int max, char *err, size_t cap);

/* 1 if the record is the end-of-data marker "\." (text format, or an unquoted CSV
 * line). */
int tws_copy_is_eod(const char *rec, size_t len);

/* Growable output buffer for encoding CopyData rows. */
typedef struct tws_buf {
    char *p;
    size_t n, cap;
    int nomem;
} tws_buf;

void tws_buf_put(tws_buf *b, const char *s, size_t n);
/* Appends one field (NULL for SQL NULL) in the COPY's format; `first` omits the
 * delimiter before it. */
void tws_copy_put_field(tws_buf *b, const tws_copy_stmt *cs, const char *v, size_t n, int first);

#endif
