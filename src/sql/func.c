/*
 * func.c — looking up built-in functions by name and signature (see func.h).
 */
#include "sql/func.h"

#include <string.h>

/* Every module's table; add a module here and its extern in func.h. */
static const tw_func *const modules[] = {tw_funcs_string,  tw_funcs_uuid, tw_funcs_json,
                                         tw_funcs_array,   tw_funcs_math, tw_funcs_datetime,
                                         tw_funcs_catalog, tw_funcs_regex};

#define NMODULES (sizeof modules / sizeof modules[0])

int tw_func_each(int (*cb)(const tw_func *f, void *ud), void *ud) {
    for (size_t m = 0; m < NMODULES; m++)
        for (const tw_func *f = modules[m]; f->name; f++)
            if (cb(f, ud)) return -1;
    return 0;
}

int tw_func_known(const char *name) {
    for (size_t m = 0; m < NMODULES; m++)
        for (const tw_func *f = modules[m]; f->name; f++)
            if (!strcmp(f->name, name)) return 1;
    return 0;
}

char tw_func_arg_letter(const tw_func *f, int i) {
    int k = 0;
    const char *p = f->sig;
    char last = 0;
    for (; *p; p++) {
        if (*p == '|') continue;
        if (*p == '*') return last;
        if (k == i) return *p;
        last = *p;
        k++;
    }
    return 0;
}

/* Arity bounds of a signature; max -1 when variadic. */
static void arity(const char *sig, int *min, int *max) {
    int n = 0, opt = -1;
    for (const char *p = sig; *p; p++) {
        if (*p == '|') {
            opt = n;
        } else if (*p == '*') {
            *min = (opt >= 0 ? opt : n) - 1; /* the repeated letter may occur zero times */
            if (*min < 0) *min = 0;
            *max = -1;
            return;
        } else {
            n++;
        }
    }
    *min = opt >= 0 ? opt : n;
    *max = n;
}

static int fits(char letter, int ty) {
    if (ty == TY_UNKNOWN) return letter != 'N' && letter != 'I';
    switch (letter) {
    case 't':
        return ty_is_text(ty);
    case 'i':
        return ty_is_int(ty);
    case 'f':
        return ty_is_num(ty);
    case 'n':
        return ty_is_int(ty) || ty == TY_NUMERIC;
    case 'N':
        return ty == TY_NUMERIC;
    case 'I':
        return ty == TY_INT8;
    case 'b':
        return ty == TY_BOOL;
    case 'd':
        return ty == TY_DATE;
    case 's':
        return ty == TY_DATE || ty == TY_TIMESTAMP;
    case 'z':
        return ty_is_datetime(ty);
    case 'v':
        return ty == TY_INTERVAL;
    case 'x':
        return ty == TY_BYTEA;
    case 'u':
        return ty == TY_UUID;
    case 'j':
        return ty == TY_JSON;
    case 'J':
        return ty == TY_JSONB;
    case 'A':
    case 'T':
        return ty == TY_ARRAY;
    case 'a':
    case 'c':
        return 1;
    }
    return 0;
}

const tw_func *tw_func_resolve(const char *name, const tw_sqltype *at, int n) {
    for (size_t m = 0; m < NMODULES; m++)
        for (const tw_func *f = modules[m]; f->name; f++) {
            if (strcmp(f->name, name)) continue;
            int min, max, ok = 1;
            arity(f->sig, &min, &max);
            if (n < min || (max >= 0 && n > max)) continue;
            for (int i = 0; i < n && ok; i++) ok = fits(tw_func_arg_letter(f, i), at[i].ty);
            if (ok) return f;
        }
    return NULL;
}

int tw_func_text(tw_evalctx *c, const char *s, size_t n, tw_val *out, tw_err *err) {
    char *p = tw_arena_alloc(c->arena, n + 1);
    if (!p) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    if (n) memcpy(p, s, n);
    p[n] = 0;
    *out = (tw_val){.k = VK_TEXT, .s = p, .n = n};
    return TWILL_OK;
}

size_t tw_utf8_len(const unsigned char *s, size_t n) {
    size_t want = s[0] < 0x80         ? 1
                  : (s[0] >> 5) == 6  ? 2
                  : (s[0] >> 4) == 14 ? 3
                  : (s[0] >> 3) == 30 ? 4
                                      : 1;
    return want <= n ? want : 1;
}

size_t tw_utf8_count(const char *s, size_t n) {
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) chars++;
    return chars;
}
