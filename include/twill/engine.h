/*
 * twill/engine.h — the public C ABI of Twill DB.
 *
 * Contract:
 *  - Opaque handles only: twill_db (one open database), twill_session (one stream of
 *    transactions), twill_stmt (one prepared statement of a session).
 *  - Every function that can fail returns an int result code (TWILL_OK on success).
 *    The message, SQLSTATE and error position of the last failure on a session are
 *    read with twill_errmsg / twill_sqlstate / twill_errpos.
 *  - Thread-safety: a twill_db may be shared by any number of threads. A twill_session,
 *    and every statement prepared on it, must be used by one thread at a time (use one
 *    session per thread for concurrency).
 *  - Ownership: pointers returned by twill_* functions belong to the library; they stay
 *    valid as documented per function and must not be freed by the caller.
 *  - The ABI is append-only: functions are added, never changed or removed.
 *    TWILL_ENGINE_ABI_VERSION is bumped on each addition; twill_abi_version() reports
 *    the version of the library actually loaded.
 */
#ifndef TWILL_ENGINE_H
#define TWILL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TWILL_API __attribute__((visibility("default")))
#else
#define TWILL_API
#endif

#define TWILL_ENGINE_ABI_VERSION 4

/* Result codes. */
#define TWILL_OK 0       /* success */
#define TWILL_ERROR 1    /* SQL error: see twill_sqlstate() for the class */
#define TWILL_MISUSE 2   /* API misuse: NULL or closed handle, bad argument, wrong state */
#define TWILL_NOMEM 3    /* out of memory */
#define TWILL_IOERR 4    /* storage I/O failed (SQLSTATE 58030) */
#define TWILL_CORRUPT 5  /* the database is damaged (SQLSTATE XX001) */
#define TWILL_BUSY 6     /* another process holds the database / sessions still open */
#define TWILL_CONFLICT 7 /* serialization failure: retry the transaction (SQLSTATE 40001) */
#define TWILL_RANGE 8    /* parameter or column index out of range */
#define TWILL_NOTSUP 9   /* not supported (SQLSTATE 0A000) */
#define TWILL_FENCED 10  /* this writer lost its lease; no more writes are accepted */
#define TWILL_ROW 100    /* twill_step: a row is ready */
#define TWILL_DONE 101   /* twill_step: the statement has finished */

/* Column and value types. */
#define TWILL_TYPE_NULL 0
#define TWILL_TYPE_INT64 1
#define TWILL_TYPE_DOUBLE 2
#define TWILL_TYPE_TEXT 3
#define TWILL_TYPE_BLOB 4
#define TWILL_TYPE_BOOL 5

typedef struct twill_db twill_db;
typedef struct twill_session twill_session;
typedef struct twill_stmt twill_stmt;

/* The ABI version of the loaded library (TWILL_ENGINE_ABI_VERSION it was built with). */
TWILL_API int twill_abi_version(void);
/* The library's version string, e.g. "0.1.0". Static storage. */
TWILL_API const char *twill_version(void);
/* A short English name for a result code. Static storage; never NULL. */
TWILL_API const char *twill_errstr(int code);

/* ---- databases ------------------------------------------------------------------ */

/*
 * Opens (creating on first open) the database at `url`:
 *   file://PATH     a local database directory (relative or absolute path)
 * `options` is NULL or a string of space-separated key=value pairs:
 *   cache_mb=N        buffer pool size in MiB (default 256)
 *   create=0|1        create the database if it does not exist (default 1)
 * On success *out is a new handle; close it with twill_close. On failure *out is NULL
 * and twill_open_errmsg() / twill_open_sqlstate() describe the failure on this thread.
 * Errors: TWILL_MISUSE (NULL argument, malformed URL), TWILL_BUSY (another process has
 * it open for writing), TWILL_CORRUPT, TWILL_IOERR, TWILL_NOTSUP (unknown scheme).
 */
TWILL_API int twill_open(const char *url, const char *options, twill_db **out);
/* Message / SQLSTATE of the last failed twill_open on the calling thread ("" if none). */
TWILL_API const char *twill_open_errmsg(void);
TWILL_API const char *twill_open_sqlstate(void);

/*
 * Checkpoints and closes the database. Fails with TWILL_BUSY (and closes nothing) while
 * sessions are still open. db == NULL is a no-op returning TWILL_OK.
 */
TWILL_API int twill_close(twill_db *db);

/* Creates a copy-on-write branch of the database as of now. Not yet implemented by any
 * backend: returns TWILL_NOTSUP. */
TWILL_API int twill_branch_create(twill_db *db, const char *name);

/* ---- sessions ------------------------------------------------------------------- */

/* Opens a session: one stream of transactions (autocommit unless BEGIN). */
TWILL_API int twill_session_open(twill_db *db, twill_session **out);
/* Rolls back any open transaction, finalizes the session's statements, frees it.
 * s == NULL is a no-op returning TWILL_OK. */
TWILL_API int twill_session_close(twill_session *s);

/* Runs every statement of `sql` in turn, discarding rows; stops at the first error. */
TWILL_API int twill_exec(twill_session *s, const char *sql);

/* The last error on this session: message, five-character SQLSTATE ("00000" after
 * success) and 1-based character position in the statement text (0 if unknown). The
 * strings stay valid until the next call on the session. s == NULL yields a message
 * saying so. */
TWILL_API const char *twill_errmsg(const twill_session *s);
TWILL_API const char *twill_sqlstate(const twill_session *s);
TWILL_API int twill_errpos(const twill_session *s);

/* 1 while the session is inside an explicit transaction block (BEGIN ... COMMIT). */
TWILL_API int twill_in_transaction(const twill_session *s);

/* ---- statements ----------------------------------------------------------------- */

/*
 * Prepares the first statement of sql[0..len) (len < 0: up to the NUL). If `tail` is
 * not NULL it receives a pointer to the text after that statement. An empty statement
 * (only whitespace or comments) gives *out == NULL and TWILL_OK. Placeholders are $1..$n
 * or ? (numbered left to right).
 */
TWILL_API int twill_prepare(twill_session *s, const char *sql, int len, twill_stmt **out,
                            const char **tail);
/* Frees the statement. st == NULL is a no-op returning TWILL_OK. */
TWILL_API int twill_finalize(twill_stmt *st);
/* Makes the statement ready to step again from the start; keeps the bindings. */
TWILL_API int twill_reset(twill_stmt *st);
/* Sets every parameter back to NULL. */
TWILL_API int twill_clear_bindings(twill_stmt *st);

/* Number of parameters ($n placeholders) the statement takes. */
TWILL_API int twill_bind_parameter_count(const twill_stmt *st);
/* Bind a parameter (1-based). Text and blob bytes are copied. len < 0 for text: up to
 * the NUL. Errors: TWILL_RANGE (index), TWILL_MISUSE (statement is running: reset it). */
TWILL_API int twill_bind_null(twill_stmt *st, int idx);
TWILL_API int twill_bind_int64(twill_stmt *st, int idx, int64_t v);
TWILL_API int twill_bind_double(twill_stmt *st, int idx, double v);
TWILL_API int twill_bind_bool(twill_stmt *st, int idx, int v);
TWILL_API int twill_bind_text(twill_stmt *st, int idx, const char *v, int len);
TWILL_API int twill_bind_blob(twill_stmt *st, int idx, const void *v, int len);

/* Runs the statement to its next row: TWILL_ROW, TWILL_DONE, or an error code. In
 * autocommit mode the statement's transaction commits (durably) before TWILL_DONE. */
TWILL_API int twill_step(twill_stmt *st);

/* Rows inserted, updated or deleted by the last run of the statement. */
TWILL_API int64_t twill_changes(const twill_stmt *st);

/* Result columns (valid after prepare). Index is 0-based. Name strings live as long as
 * the statement. */
TWILL_API int twill_column_count(const twill_stmt *st);
TWILL_API const char *twill_column_name(const twill_stmt *st, int col);
/* Declared type of the column (a TWILL_TYPE_* constant; TWILL_TYPE_NULL if unknown). */
TWILL_API int twill_column_decltype(const twill_stmt *st, int col);

/* Values of the current row (after TWILL_ROW). Pointers stay valid until the next
 * step, reset or finalize. Out-of-range columns read as NULL. Conversions: int64 and
 * bool read as double and vice versa; text of any value is its PostgreSQL text form. */
TWILL_API int twill_column_type(const twill_stmt *st, int col);
TWILL_API int64_t twill_column_int64(twill_stmt *st, int col);
TWILL_API double twill_column_double(twill_stmt *st, int col);
TWILL_API int twill_column_bool(twill_stmt *st, int col);
TWILL_API const char *twill_column_text(twill_stmt *st, int col);
TWILL_API const void *twill_column_blob(twill_stmt *st, int col);
/* Length in bytes of the text or blob value of the column. */
TWILL_API int twill_column_bytes(twill_stmt *st, int col);

/* ---- additions of ABI version 2 (for clients of the PostgreSQL wire server) ------ */

/* Transaction states reported by twill_transaction_status. */
#define TWILL_TXN_IDLE 0   /* not inside a transaction block */
#define TWILL_TXN_BLOCK 1  /* inside BEGIN ... COMMIT */
#define TWILL_TXN_FAILED 2 /* inside a block aborted by an error (25P02 until ROLLBACK) */

/* The session's transaction state: TWILL_TXN_IDLE, _BLOCK or _FAILED (IDLE for a bad
 * handle). */
TWILL_API int twill_transaction_status(const twill_session *s);

/* PostgreSQL type OID of result column `col` (0-based; valid after prepare; 0 for a bad
 * column): 16 bool, 17 bytea, 20 int8, 21 int2, 23 int4, 25 text, 700 float4, 701 float8,
 * 1042 char(n), 1043 varchar(n). If typmod is not NULL it receives PostgreSQL's type
 * modifier (-1 when none; n + 4 for varchar(n) / char(n)). */
TWILL_API uint32_t twill_column_pg_type(const twill_stmt *st, int col, int32_t *typmod);

/* The statement's command tag as PostgreSQL names it, without counts: "SELECT",
 * "INSERT", "UPDATE", "DELETE", "CREATE TABLE", "DROP TABLE", "CREATE INDEX",
 * "DROP INDEX", "BEGIN", "COMMIT", "ROLLBACK". NULL when the statement has no tag of its
 * own (an accepted and ignored statement such as a harmless SET, or one prepared inside
 * an aborted block). Static storage. */
TWILL_API const char *twill_stmt_command(const twill_stmt *st);

/* Requests (on != 0) or withdraws (on == 0) the interruption of the session's running
 * statement. Unlike every other session function this one may be called from any
 * thread while another thread is using the session. While the request stands, the
 * session's statements fail at their next row with SQLSTATE 57014 ("canceling
 * statement due to user request"); a block they run in is aborted as by any error.
 * The request stays until withdrawn. Errors: TWILL_MISUSE (bad handle). */
TWILL_API int twill_session_interrupt(twill_session *s, int on);

/* Writes the database's engine counters as text, one "name value" line each
 * (commits, commit_batches, commit_batch_max, conflicts, checkpoints, cache_hits,
 * cache_misses, sessions), NUL-terminated, into buf[0..cap). Returns the length the
 * whole text needs (excluding the NUL), like snprintf; a negative value for a bad
 * handle. */
TWILL_API int twill_db_stats(twill_db *db, char *buf, size_t cap);

/* ---- additions of ABI version 3 (packed values, for FFI bindings) ----------------- *
 *
 * Binding and reading one value per call costs an FFI transition per value; these
 * functions move a statement's parameters or a whole result row in one call, as a
 * packed buffer. Layout (native byte order; the buffer must be 8-byte aligned):
 *
 *   value record, 16 bytes:
 *     uint8_t  type    TWILL_TYPE_NULL / _INT64 / _DOUBLE / _TEXT / _BLOB / _BOOL
 *     uint8_t  flags   in rows: TWILL_PACK_ASCII on a TEXT value whose bytes are all
 *                      < 0x80 (so a binding may skip UTF-8 decoding); ignored in
 *                      parameters (write 0)
 *     uint16_t 0       reserved
 *     uint32_t len     bytes of a TEXT or BLOB value (0 otherwise)
 *     8 bytes  value   int64_t (INT64; BOOL as 0/1), double (DOUBLE), or for TEXT and
 *                      BLOB a uint64_t offset of the bytes from the start of the buffer
 *
 *   row buffer (twill_step_packed / twill_row_packed):
 *     uint32_t size    bytes the whole row needs (header + records + data)
 *     uint32_t ncols   number of columns
 *     uint64_t 0       reserved
 *     ncols value records, then the TEXT / BLOB bytes; each TEXT value is followed by
 *     a NUL that `len` does not count.
 *
 *   parameter buffer (twill_bind_packed): n value records, then any bytes they point
 *     at (offsets relative to the start of the buffer; TEXT needs no NUL).
 *
 * Values read with their native type (no conversion), so a row reads back exactly what
 * twill_column_type / _int64 / _double / _bool / _text / _blob report.
 */

/* Value record flag: the TEXT value is pure ASCII. */
#define TWILL_PACK_ASCII 1

/* twill_step_packed flag: once a row has been packed (or the statement is done),
 * reset the statement — one call fetches a single row and releases its cursor. */
#define TWILL_PACK_RESET 1

/*
 * Resets `st` (as twill_reset), sets every parameter to NULL (as twill_clear_bindings),
 * then binds parameter i + 1 from record i of buf[0..len) for i < n. Bytes are copied.
 * Errors: TWILL_MISUSE (bad handle, buf NULL with n > 0, n < 0, a record whose type is
 * unknown or whose bytes lie outside buf[0..len)); TWILL_RANGE (n exceeds the
 * statement's parameter count). On error the message is on the session; parameters
 * bound before the failing record stay bound. Threads: as every statement function.
 */
TWILL_API int twill_bind_packed(twill_stmt *st, int n, const void *buf, size_t len);

/*
 * Runs the statement to its next row, as twill_step, and on TWILL_ROW packs the row into
 * buf[0..cap) in the row-buffer layout above. When the row needs more than cap bytes
 * only the 16-byte header is written (if cap >= 16; its `size` tells how much is
 * needed): read the row with twill_row_packed into a larger buffer. With
 * TWILL_PACK_RESET in `flags` the statement is reset after a row that fit and after
 * TWILL_DONE (not after a row that did not fit, nor after an error). Returns TWILL_ROW,
 * TWILL_DONE or an error code (message on the session). The buffer belongs to the
 * caller; the library keeps no pointer into it. Threads: as every statement function.
 */
TWILL_API int twill_step_packed(twill_stmt *st, void *buf, size_t cap, int flags);

/*
 * Packs the current row (after TWILL_ROW) into buf[0..cap) in the row-buffer layout.
 * Returns the number of bytes the row needs; the row is written only if that is <= cap
 * (otherwise the header only, if cap >= 16). Returns -1 for a bad handle or misaligned
 * buffer; with no current row the result is a row of NULLs.
 */
TWILL_API int64_t twill_row_packed(twill_stmt *st, void *buf, size_t cap);

/* ---- additions of ABI version 4 --------------------------------------------------- */

/* PostgreSQL type OID that parameter idx (1-based) takes from its context in the
 * statement — the column it is compared with or assigned to, the function argument it
 * fills — as PostgreSQL infers it (what a wire server reports in ParameterDescription);
 * 0 when the context gives none (e.g. `SELECT $1`) or for a bad index. Valid after
 * prepare. */
TWILL_API uint32_t twill_bind_parameter_pg_type(const twill_stmt *st, int idx);

#ifdef __cplusplus
}
#endif
#endif /* TWILL_ENGINE_H */
