/*
 * sqlscan.h — finds statement boundaries in SQL text as it arrives line by line.
 *
 * The shell must know when a statement is complete before sending it, and a ';'
 * only ends one outside string literals, quoted identifiers, dollar quotes, comments
 * and parentheses (as in psql). The scanner keeps its state between calls so that a
 * literal spanning lines is scanned once.
 */
#ifndef TWILL_SHELL_SQLSCAN_H
#define TWILL_SHELL_SQLSCAN_H

#include <stddef.h>

typedef enum sqlscan_state {
    SQLSCAN_NORMAL,
    SQLSCAN_SQUOTE,        /* '...' (standard-conforming: '' escapes a quote) */
    SQLSCAN_ESTRING,       /* E'...' (backslash escapes too) */
    SQLSCAN_DQUOTE,        /* "identifier" */
    SQLSCAN_DOLLAR,        /* $tag$ ... $tag$ */
    SQLSCAN_LINE_COMMENT,  /* -- to end of line */
    SQLSCAN_BLOCK_COMMENT, /* nested block comments */
} sqlscan_state;

/* A growing buffer of not-yet-executed SQL text plus the scanner's position in it. */
typedef struct sqlbuf {
    char *data; /* NUL-terminated */
    size_t len, cap;
    size_t scanned; /* bytes of data already scanned */
    sqlscan_state state;
    int paren_depth;
    int comment_depth;
    char *dollar_tag; /* the closing delimiter while in SQLSCAN_DOLLAR */
    size_t dollar_len;
} sqlbuf;

void sqlbuf_init(sqlbuf *b);
void sqlbuf_free(sqlbuf *b);
/* Appends text (0 on success, -1 when out of memory). */
int sqlbuf_append(sqlbuf *b, const char *text, size_t len);
/* Scans on; returns 1 and sets *end to the length of the first complete statement
 * (through its ';') when there is one, 0 otherwise, -1 when out of memory. */
int sqlbuf_next(sqlbuf *b, size_t *end);
/* Drops the first n bytes (a statement just taken) plus the blank space after them,
 * and restarts scanning at the new beginning. */
void sqlbuf_consume(sqlbuf *b, size_t n);
/* Forgets everything. */
void sqlbuf_reset(sqlbuf *b);
/* 1 when the buffer holds nothing but whitespace and comments. */
int sqlbuf_blank(const sqlbuf *b);
/* The state at the end of the scanned text, for the prompt: '=' (nothing pending),
 * '-' (a statement is pending), '\'', '"', '$', '*' (comment) or '(' (open
 * parenthesis). */
char sqlbuf_prompt_char(const sqlbuf *b);

#define SQL_WORD_MAX 24

/* Writes up to `max` upper-cased bare words of `sql` that stand outside parentheses,
 * literals and comments into words[] (longer words are truncated); returns how many
 * were written. Used to name a statement's command tag. */
int sql_top_words(const char *sql, size_t len, char (*words)[SQL_WORD_MAX], int max);

/* 1 if `sql` is only whitespace and comments. */
int sql_is_blank(const char *sql, size_t len);

#endif
