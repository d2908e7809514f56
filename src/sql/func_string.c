/*
 * func_string.c — string functions (PostgreSQL's semantics over UTF-8 text: positions
 * and lengths count characters, not bytes).
 */
#include "sql/func.h"

#include <string.h>

/* Byte offset of character index `chars` (0-based) in s[0..n), clamped to n. */
static size_t char_off(const char *s, size_t n, int64_t chars) {
    size_t i = 0;
    while (chars > 0 && i < n) {
        i += tw_utf8_len((const unsigned char *)s + i, n - i);
        chars--;
    }
    return i;
}

/* Appends to an arena buffer that fn_* build their results in. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    tw_arena *a;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        char *np = tw_arena_alloc(b->a, cap + 1);
        if (!np) return -1;
        if (b->len) memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int sb_done(sbuf *b, tw_val *out, tw_err *err) {
    if (sb_put(b, "", 0) || (!b->p && !(b->p = tw_arena_alloc(b->a, 1))))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    b->p[b->len] = 0;
    *out = (tw_val){.k = VK_TEXT, .s = b->p, .n = b->len};
    return TWILL_OK;
}

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

/* Text output of any non-NULL value (concat's arguments may be of any type). */
static int as_text(const tw_val *v, tw_evalctx *c, const char **s, size_t *n, tw_err *err) {
    if (v->k == VK_TEXT) {
        *s = v->s;
        *n = v->n;
        return TWILL_OK;
    }
    tw_buf b = {0};
    if (tw_val_out(v, 0, &b)) {
        tw_buf_free(&b);
        return nomem(err);
    }
    tw_val t;
    int rc = tw_func_text(c, (const char *)b.p, b.len, &t, err);
    tw_buf_free(&b);
    *s = t.s;
    *n = t.n;
    return rc;
}

/* substr(text, from [, count]): 1-based; a count below zero is 22011. */
static int fn_substr(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    int64_t from = a[1].i, end = INT64_MAX;
    if (n == 3) {
        if (a[2].i < 0)
            return tw_err_set(err, TWILL_ERROR, "22011", "negative substring length not allowed");
        end = from > INT64_MAX - a[2].i ? INT64_MAX : from + a[2].i;
    }
    if (from < 1) from = 1;
    if (end <= from) return tw_func_text(c, "", 0, out, err);
    size_t b0 = char_off(a[0].s, a[0].n, from - 1);
    size_t b1 = end == INT64_MAX ? a[0].n : b0 + char_off(a[0].s + b0, a[0].n - b0, end - from);
    *out = (tw_val){.k = VK_TEXT, .s = a[0].s + b0, .n = b1 - b0};
    return TWILL_OK;
}

/* Byte offset of needle in hay, or -1. */
static long find(const char *hay, size_t hn, const char *nd, size_t nn, size_t from) {
    if (nn == 0) return (long)from;
    for (size_t i = from; i + nn <= hn; i++)
        if (!memcmp(hay + i, nd, nn)) return (long)i;
    return -1;
}

/* strpos(string, substring) / position(substring IN string): 1-based, 0 if absent. */
static int fn_strpos(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    long at = find(a[0].s, a[0].n, a[1].s, a[1].n, 0);
    *out = (tw_val){.k = VK_INT, .i = at < 0 ? 0 : (int64_t)tw_utf8_count(a[0].s, (size_t)at) + 1};
    return TWILL_OK;
}

static int fn_replace(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (a[1].n == 0) {
        *out = a[0];
        return TWILL_OK;
    }
    sbuf b = {.a = c->arena};
    size_t i = 0;
    long at;
    while ((at = find(a[0].s, a[0].n, a[1].s, a[1].n, i)) >= 0) {
        if (sb_put(&b, a[0].s + i, (size_t)at - i) || sb_put(&b, a[2].s, a[2].n)) return nomem(err);
        i = (size_t)at + a[1].n;
    }
    if (sb_put(&b, a[0].s + i, a[0].n - i)) return nomem(err);
    return sb_done(&b, out, err);
}

/* concat(any...) skips NULLs; concat_ws(sep, any...) joins the non-NULL ones. */
static int fn_concat(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    sbuf b = {.a = c->arena};
    for (int i = 0; i < n; i++) {
        if (a[i].k == VK_NULL) continue;
        const char *s;
        size_t len;
        int rc = as_text(&a[i], c, &s, &len, err);
        if (rc) return rc;
        if (sb_put(&b, s, len)) return nomem(err);
    }
    return sb_done(&b, out, err);
}

static int fn_concat_ws(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (a[0].k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    sbuf b = {.a = c->arena};
    int first = 1;
    for (int i = 1; i < n; i++) {
        if (a[i].k == VK_NULL) continue;
        const char *s;
        size_t len;
        int rc = as_text(&a[i], c, &s, &len, err);
        if (rc) return rc;
        if ((!first && sb_put(&b, a[0].s, a[0].n)) || sb_put(&b, s, len)) return nomem(err);
        first = 0;
    }
    return sb_done(&b, out, err);
}

/* left(s, n) / right(s, n): a negative n means all but |n| characters. */
static int fn_left(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    int64_t k = a[1].i, len = (int64_t)tw_utf8_count(a[0].s, a[0].n);
    if (k < 0) k = len + k < 0 ? 0 : len + k;
    *out = (tw_val){.k = VK_TEXT, .s = a[0].s, .n = char_off(a[0].s, a[0].n, k)};
    return TWILL_OK;
}

static int fn_right(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    int64_t k = a[1].i, len = (int64_t)tw_utf8_count(a[0].s, a[0].n);
    int64_t skip = k < 0 ? (-k > len ? len : -k) : (k > len ? 0 : len - k);
    size_t off = char_off(a[0].s, a[0].n, skip);
    *out = (tw_val){.k = VK_TEXT, .s = a[0].s + off, .n = a[0].n - off};
    return TWILL_OK;
}

#define MAX_TEXT (1u << 30) /* PostgreSQL's 1 GB limit on a value */

static int fn_repeat(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    int64_t k = a[1].i < 0 ? 0 : a[1].i;
    if (a[0].n && (uint64_t)k > MAX_TEXT / a[0].n)
        return tw_err_set(err, TWILL_ERROR, "54000", "requested length too large");
    sbuf b = {.a = c->arena};
    for (int64_t i = 0; i < k; i++)
        if (sb_put(&b, a[0].s, a[0].n)) return nomem(err);
    return sb_done(&b, out, err);
}

static int fn_reverse(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    char *p = tw_arena_alloc(c->arena, a[0].n + 1);
    if (!p) return nomem(err);
    size_t i = 0;
    while (i < a[0].n) { /* whole characters, so multi-byte ones stay intact */
        size_t l = tw_utf8_len((const unsigned char *)a[0].s + i, a[0].n - i);
        memcpy(p + a[0].n - i - l, a[0].s + i, l);
        i += l;
    }
    p[a[0].n] = 0;
    *out = (tw_val){.k = VK_TEXT, .s = p, .n = a[0].n};
    return TWILL_OK;
}

/* Is character s[0..l) one of set's characters? */
static int in_set(const char *s, size_t l, const tw_val *set) {
    for (size_t i = 0; i < set->n;) {
        size_t m = tw_utf8_len((const unsigned char *)set->s + i, set->n - i);
        if (m == l && !memcmp(set->s + i, s, l)) return 1;
        i += m;
    }
    return 0;
}

/* btrim / ltrim / rtrim (and TRIM(... FROM ...)): characters of the set (default a
 * space) stripped from the chosen ends. */
static int trim(const tw_val *a, int n, int left, int right, tw_val *out) {
    const tw_val sp = {.k = VK_TEXT, .s = " ", .n = 1};
    const tw_val *set = n > 1 ? &a[1] : &sp;
    size_t b = 0, e = a[0].n;
    while (left && b < e) {
        size_t l = tw_utf8_len((const unsigned char *)a[0].s + b, e - b);
        if (!in_set(a[0].s + b, l, set)) break;
        b += l;
    }
    while (right && e > b) {
        size_t s = e - 1; /* back up to the start of the last character */
        while (s > b && ((unsigned char)a[0].s[s] & 0xC0) == 0x80) s--;
        if (!in_set(a[0].s + s, e - s, set)) break;
        e = s;
    }
    *out = (tw_val){.k = VK_TEXT, .s = a[0].s + b, .n = e - b};
    return TWILL_OK;
}

static int fn_btrim(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c, (void)err;
    return trim(a, n, 1, 1, out);
}
static int fn_ltrim(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c, (void)err;
    return trim(a, n, 1, 0, out);
}
static int fn_rtrim(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c, (void)err;
    return trim(a, n, 0, 1, out);
}

static int fn_starts_with(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_BOOL, .i = a[1].n <= a[0].n && !memcmp(a[0].s, a[1].s, a[1].n)};
    return TWILL_OK;
}

/* split_part(s, delim, k): field k (1-based; negative counts from the end). */
static int fn_split_part(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int64_t k = a[2].i;
    if (k == 0) return tw_err_set(err, TWILL_ERROR, "22023", "field position must not be zero");
    *out = (tw_val){.k = VK_TEXT, .s = a[0].s, .n = 0};
    if (a[1].n == 0) { /* the whole string is the only field */
        if (k == 1 || k == -1) *out = a[0];
        return TWILL_OK;
    }
    size_t starts[2] = {0, 0};
    int64_t nfields = 1;
    for (long at = 0; (at = find(a[0].s, a[0].n, a[1].s, a[1].n, (size_t)at)) >= 0;
         at += (long)a[1].n)
        nfields++;
    if (k < 0) k = nfields + k + 1;
    if (k < 1 || k > nfields) return TWILL_OK;
    size_t i = 0;
    for (int64_t f = 1; f < k; f++) i = (size_t)find(a[0].s, a[0].n, a[1].s, a[1].n, i) + a[1].n;
    long e = find(a[0].s, a[0].n, a[1].s, a[1].n, i);
    starts[0] = i;
    starts[1] = e < 0 ? a[0].n : (size_t)e;
    *out = (tw_val){.k = VK_TEXT, .s = a[0].s + starts[0], .n = starts[1] - starts[0]};
    return TWILL_OK;
}

const tw_func tw_funcs_string[] = {
    {"substr", "ti|i", TY_TEXT, TW_FN_STRICT, fn_substr},
    {"substring", "ti|i", TY_TEXT, TW_FN_STRICT, fn_substr},
    {"strpos", "tt", TY_INT4, TW_FN_STRICT, fn_strpos},
    {"position", "tt", TY_INT4, TW_FN_STRICT, fn_strpos}, /* position(sub IN s) = (s, sub) */
    {"replace", "ttt", TY_TEXT, TW_FN_STRICT, fn_replace},
    {"concat", "a*", TY_TEXT, 0, fn_concat},
    {"concat_ws", "ta*", TY_TEXT, 0, fn_concat_ws},
    {"left", "ti", TY_TEXT, TW_FN_STRICT, fn_left},
    {"right", "ti", TY_TEXT, TW_FN_STRICT, fn_right},
    {"repeat", "ti", TY_TEXT, TW_FN_STRICT, fn_repeat},
    {"reverse", "t", TY_TEXT, TW_FN_STRICT, fn_reverse},
    {"btrim", "t|t", TY_TEXT, TW_FN_STRICT, fn_btrim},
    {"ltrim", "t|t", TY_TEXT, TW_FN_STRICT, fn_ltrim},
    {"rtrim", "t|t", TY_TEXT, TW_FN_STRICT, fn_rtrim},
    {"starts_with", "tt", TY_BOOL, TW_FN_STRICT, fn_starts_with},
    {"split_part", "tti", TY_TEXT, TW_FN_STRICT, fn_split_part},
    {NULL, NULL, 0, 0, NULL},
};
