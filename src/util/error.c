#include "util/error.h"

#include <stdio.h>
#include <string.h>

void tw_err_clear(tw_err *e) {
    if (!e) return;
    e->code = TWILL_OK;
    memcpy(e->sqlstate, "00000", 6);
    e->pos = 0;
    e->msg[0] = '\0';
}

int tw_err_setv(tw_err *e, int code, const char *sqlstate, const char *fmt, va_list ap) {
    if (!e || e->code != TWILL_OK) return code;
    e->code = code;
    if (!sqlstate) sqlstate = tw_code_sqlstate(code);
    snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return code;
}

int tw_err_set(tw_err *e, int code, const char *sqlstate, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tw_err_setv(e, code, sqlstate, fmt, ap);
    va_end(ap);
    return code;
}

void tw_err_copy(tw_err *dst, const tw_err *src) {
    if (!dst || !src || dst->code != TWILL_OK || src->code == TWILL_OK) return;
    *dst = *src;
}

const char *tw_code_sqlstate(int code) {
    switch (code) {
    case TWILL_OK:
        return "00000";
    case TWILL_NOMEM:
        return "53200";
    case TWILL_IOERR:
        return "58030";
    case TWILL_CORRUPT:
        return "XX001";
    case TWILL_BUSY:
        return "55006";
    case TWILL_CONFLICT:
        return "40001";
    case TWILL_NOTSUP:
        return "0A000";
    case TWILL_FENCED:
        return "25006";
    case TWILL_RANGE:
        return "22023";
    case TWILL_MISUSE:
        return "55000";
    default:
        return "XX000";
    }
}
