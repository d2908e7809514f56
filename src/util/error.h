/*
 * error.h — how failures travel inside the engine.
 *
 * Every internal function that can fail returns an int result code (the TWILL_*
 * codes of the public header) and, where it has something to say, fills a tw_err
 * with a message, a PostgreSQL SQLSTATE and a statement position. tw_err_set keeps
 * the first error: a later, vaguer failure up the stack does not overwrite it.
 */
#ifndef TW_UTIL_ERROR_H
#define TW_UTIL_ERROR_H

#include "twill/engine.h"

#include <stdarg.h>

#define TW_ERRMSG_MAX 512

typedef struct tw_err {
    int code;         /* TWILL_OK when no error */
    char sqlstate[6]; /* "00000" when no error */
    int pos;          /* 1-based position in the statement text, 0 unknown */
    char msg[TW_ERRMSG_MAX];
} tw_err;

void tw_err_clear(tw_err *e);
/* Records an error (if e has none yet) and returns code, so callers can
 * `return tw_err_set(e, TWILL_ERROR, "42601", "syntax error at %s", tok);`.
 * e may be NULL (the code is still returned). */
int tw_err_set(tw_err *e, int code, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int tw_err_setv(tw_err *e, int code, const char *sqlstate, const char *fmt, va_list ap);
/* Copies src into dst (if dst has no error yet). */
void tw_err_copy(tw_err *dst, const tw_err *src);
/* The default SQLSTATE for a result code (e.g. TWILL_IOERR -> "58030"). */
const char *tw_code_sqlstate(int code);

#endif
