/*
 * parser.h — PostgreSQL's grammar (libpg_query) behind a safety wrapper.
 *
 * libpg_query has no stack-depth guard and leaks a pthread key per calling thread, so
 * every parse runs on one process-wide parser thread with a large (lazily committed)
 * stack; callers hand requests over and wait. Before parsing, a lexical pre-scan
 * rewrites `?` placeholders to $n (outside literals, quoted identifiers, comments and
 * dollar quotes), rejects oversized text (54000) and obviously over-deep nesting
 * (54001); after parsing, the tree's depth is measured on the parser thread so no
 * caller ever walks (or frees) a tree deeper than TW_PARSE_MAX_DEPTH messages.
 *
 * A tw_parsetree is immutable and reference-counted: prepared statements and the
 * session's statement cache share it.
 */
#ifndef TW_SQL_PARSER_H
#define TW_SQL_PARSER_H

#include "util/error.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stddef.h>

#define TW_PARSE_MAX_BYTES ((size_t)64 << 20)
#define TW_PARSE_MAX_NESTING 1000
#define TW_PARSE_MAX_DEPTH 2400 /* protobuf messages; about two per expression level */

typedef struct tw_parsetree {
    int refs; /* guarded by the owner's thread discipline (see .c) */
    PgQuery__ParseResult *pr;
    char *text; /* the text as parsed (after ? rewriting), NUL-terminated */
    size_t text_len;
    size_t orig_len;
    int nqmarks; /* number of ? placeholders rewritten */
    /* rewrite map: at rewritten offset map_at[i] the text grew by map_delta[i] total */
    size_t nmap;
    size_t *map_at;
    size_t *map_delta;
} tw_parsetree;

/* Parses sql[0..len). On a syntax error returns TWILL_ERROR with 42601 and err->pos. */
int tw_parse(const char *sql, size_t len, tw_parsetree **out, tw_err *err);
/* Original-text byte offset of a rewritten-text offset. */
size_t tw_parse_orig_offset(const tw_parsetree *t, size_t off);
/* Original-text byte offset just past statement i, including a following ';'. */
size_t tw_parse_stmt_end(const tw_parsetree *t, size_t i);
/* Highest $n used by statement i (0 if none). */
int tw_parse_max_param(const tw_parsetree *t, size_t i);
/* Walks parse-tree message m depth first, calling visit on every message: visit returns
 * 1 to stop the walk (tw_pq_walk then returns 1), -1 to skip that message's children,
 * 0 to go on. Returns 0 when the walk ran to the end. */
int tw_pq_walk(const ProtobufCMessage *m, int (*visit)(const ProtobufCMessage *m, void *ud),
               void *ud);
void tw_parsetree_ref(tw_parsetree *t);
void tw_parsetree_unref(tw_parsetree *t);

#endif
