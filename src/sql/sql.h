/*
 * sql.h — the SQL layer's interface to the public C ABI (src/api/engine.c).
 *
 * A tw_sql_db is the SQL state of one open database (catalog cache, parser, id
 * counters) over a tw_engine. A tw_sql_session is one stream of transactions:
 * autocommit unless BEGIN; inside a block a failed statement aborts the block
 * (25P02 until ROLLBACK/COMMIT), as in PostgreSQL. A statement is prepared once and
 * run many times: bind, step until TWILL_DONE, reset.
 *
 * Execution model: a data-changing statement (INSERT/UPDATE/DELETE/DDL) does all of
 * its work on the first step; in autocommit mode its transaction has durably
 * committed before that step returns. A SELECT streams rows; in autocommit mode its
 * read-only transaction ends at TWILL_DONE or reset.
 *
 * Threads: a tw_sql_db is shared; a session and its statements are used by one
 * thread at a time.
 */
#ifndef TW_SQL_H
#define TW_SQL_H

#include "txn/txn.h"
#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tw_sql_db tw_sql_db;
typedef struct tw_sql_session tw_sql_session;
typedef struct tw_sql_stmt tw_sql_stmt;

/* A value crossing the ABI: type is a TWILL_TYPE_* constant. Text and blob point to
 * bytes owned by someone else (the caller when binding; the statement when reading a
 * column, valid until the next step/reset/finalize). Text is NUL-terminated when read
 * from a column. */
typedef struct tw_sql_arg {
    int type;
    int64_t i; /* INT64 and BOOL (0/1) */
    double d;  /* DOUBLE */
    const void *p;
    size_t len; /* TEXT / BLOB bytes */
} tw_sql_arg;

int tw_sql_db_open(tw_engine *eng, tw_sql_db **out, tw_err *err);
void tw_sql_db_close(tw_sql_db *db);

int tw_sql_session_open(tw_sql_db *db, tw_sql_session **out, tw_err *err);
/* Rolls back an open transaction and frees the session. The caller has finalized the
 * session's statements first. */
void tw_sql_session_close(tw_sql_session *s);
int tw_sql_in_transaction(const tw_sql_session *s);

/* Prepares the first statement of sql[0..len). *consumed = bytes used (through the
 * terminating ';' if any). *out = NULL when there is no statement (only blanks and
 * comments). Malformed SQL → 42601 with position. */
int tw_sql_prepare(tw_sql_session *s, const char *sql, size_t len, tw_sql_stmt **out,
                   size_t *consumed, tw_err *err);
void tw_sql_finalize(tw_sql_stmt *st);
/* Ends the current run (an autocommit read ends its transaction). Keeps bindings. */
int tw_sql_reset(tw_sql_stmt *st);

int tw_sql_param_count(const tw_sql_stmt *st);
/* idx is 1-based. The value is copied. TWILL_RANGE for a bad index. */
int tw_sql_bind(tw_sql_stmt *st, int idx, const tw_sql_arg *v, tw_err *err);
int tw_sql_clear_bindings(tw_sql_stmt *st);

/* TWILL_ROW, TWILL_DONE or an error code (err filled). */
int tw_sql_step(tw_sql_stmt *st, tw_err *err);
int64_t tw_sql_changes(const tw_sql_stmt *st);

int tw_sql_column_count(const tw_sql_stmt *st);
const char *tw_sql_column_name(const tw_sql_stmt *st, int col);
int tw_sql_column_decltype(const tw_sql_stmt *st, int col);
/* The current row's value (out->type TWILL_TYPE_NULL for NULL or a bad column). */
void tw_sql_column_value(tw_sql_stmt *st, int col, tw_sql_arg *out);
/* PostgreSQL text form of the current row's value (NUL-terminated); NULL for SQL
 * NULL. Valid until the next step/reset/finalize. */
const char *tw_sql_column_text(tw_sql_stmt *st, int col, size_t *len);

/* ---- for the wire server (public ABI version 2) ---- */

/* PostgreSQL type OID of result column col (0 for a bad column); *typmod (if not NULL)
 * receives PostgreSQL's type modifier (-1 when none; varchar(n) / char(n): n + 4).
 * Untyped results (NULL, a bare literal) are text, as PostgreSQL resolves them. */
uint32_t tw_sql_column_pgtype(const tw_sql_stmt *st, int col, int32_t *typmod);
/* The statement's command tag word(s) as PostgreSQL names them ("SELECT", "INSERT",
 * "CREATE TABLE", "BEGIN", ...), or NULL when it has none of its own (an accepted and
 * ignored statement, or one not planned because the block is aborted). */
const char *tw_sql_command(const tw_sql_stmt *st);
/* PostgreSQL type OID parameter idx (1-based) takes from its context; 0 if none. */
uint32_t tw_sql_param_pgtype(const tw_sql_stmt *st, int idx);
/* 0 outside a block, 1 inside a block, 2 inside a block aborted by an error. */
int tw_sql_txn_state(const tw_sql_session *s);

/* Isolation levels. READ COMMITTED (the default, as in PostgreSQL; READ UNCOMMITTED
 * behaves the same): each statement of a block sees what was committed before it
 * started. REPEATABLE READ and SERIALIZABLE: the block sees one snapshot, taken at its
 * start (snapshot isolation; SERIALIZABLE does not prevent write skew). At every level
 * a write-write conflict with a concurrent commit is 40001 (first committer wins). */
enum {
    TW_ISO_READ_UNCOMMITTED,
    TW_ISO_READ_COMMITTED,
    TW_ISO_REPEATABLE_READ,
    TW_ISO_SERIALIZABLE
};
/* The level new blocks start with (SET default_transaction_isolation). */
void tw_sql_set_default_isolation(tw_sql_session *s, int level);
/* The current block's level, or the default outside a block. */
int tw_sql_isolation(const tw_sql_session *s);
/* PostgreSQL's name of a level ("read committed", ...), and back (-1: unknown name). */
const char *tw_sql_isolation_name(int level);
int tw_sql_isolation_parse(const char *name);

#endif
