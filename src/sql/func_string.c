/*
 * func_string.c — string functions (PostgreSQL's semantics over UTF-8 text: positions
 * and lengths count characters, not bytes).
 */
#include "sql/func.h"

#include <openssl/evp.h>
#include <stdio.h>
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

/* ---- lpad, rpad, initcap, md5, chr, ascii, translate, to_hex, octet_length,
 * bit_length, quote_ident / quote_literal / quote_nullable, format ---- */

/* lpad / rpad(s, len [, fill]): to len characters, truncating a longer s (on the right
 * for both, as PostgreSQL does); an empty fill leaves s as it is. */
static int pad(const tw_val *a, int n, int left, tw_evalctx *c, tw_val *out, tw_err *err) {
    const tw_val sp = {.k = VK_TEXT, .s = " ", .n = 1};
    const tw_val *fill = n > 2 ? &a[2] : &sp;
    int64_t len = a[1].i < 0 ? 0 : a[1].i, have = (int64_t)tw_utf8_count(a[0].s, a[0].n);
    if (have >= len || fill->n == 0) {
        *out = (tw_val){.k = VK_TEXT, .s = a[0].s, .n = char_off(a[0].s, a[0].n, len)};
        return TWILL_OK;
    }
    if ((uint64_t)len * 4 > MAX_TEXT)
        return tw_err_set(err, TWILL_ERROR, "54000", "requested length too large");
    sbuf b = {.a = c->arena};
    if (!left && sb_put(&b, a[0].s, a[0].n)) return nomem(err);
    size_t fi = 0;
    for (int64_t k = have; k < len; k++) {
        size_t l = tw_utf8_len((const unsigned char *)fill->s + fi, fill->n - fi);
        if (sb_put(&b, fill->s + fi, l)) return nomem(err);
        fi += l;
        if (fi >= fill->n) fi = 0;
    }
    if (left && sb_put(&b, a[0].s, a[0].n)) return nomem(err);
    return sb_done(&b, out, err);
}

static int fn_lpad(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return pad(a, n, 1, c, out, err);
}
static int fn_rpad(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return pad(a, n, 0, c, out, err);
}

/* initcap: words are runs of ASCII letters and digits (the C locale's classes, as the
 * rest of Twill's case mapping); the first letter of each is upper-cased, the others
 * lower-cased. */
static int fn_initcap(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    char *p = tw_arena_alloc(c->arena, a[0].n + 1);
    if (!p) return nomem(err);
    int inword = 0;
    for (size_t i = 0; i < a[0].n; i++) {
        unsigned char ch = (unsigned char)a[0].s[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (alnum && !inword && ch >= 'a' && ch <= 'z')
            ch = (unsigned char)(ch - 32);
        else if (alnum && inword && ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + 32);
        p[i] = (char)ch;
        inword = alnum;
    }
    p[a[0].n] = 0;
    *out = (tw_val){.k = VK_TEXT, .s = p, .n = a[0].n};
    return TWILL_OK;
}

static int fn_md5(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(a[0].n ? a[0].s : "", a[0].n, md, &len, EVP_md5(), NULL))
        return tw_err_set(err, TWILL_ERROR, "XX000", "could not compute MD5 hash");
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return tw_func_text(c, hex, 2 * (size_t)len, out, err);
}

static int fn_chr(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    int64_t cp = a[0].i;
    if (cp < 0) return tw_err_set(err, TWILL_ERROR, "22023", "character number must be positive");
    if (cp == 0) return tw_err_set(err, TWILL_ERROR, "54000", "null character not permitted");
    if (cp > 0x10FFFF)
        return tw_err_set(err, TWILL_ERROR, "54000",
                          "requested character too large for encoding: %lld", (long long)cp);
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return tw_err_set(err, TWILL_ERROR, "54000",
                          "requested character not valid for encoding: %lld", (long long)cp);
    char u[4];
    size_t l;
    if (cp < 0x80) {
        u[0] = (char)cp, l = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), l = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), l = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), l = 4;
    }
    return tw_func_text(c, u, l, out, err);
}

static int fn_ascii(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    const unsigned char *s = (const unsigned char *)a[0].s;
    int64_t cp = 0;
    if (a[0].n) {
        size_t l = tw_utf8_len(s, a[0].n);
        cp = l == 1 ? s[0] : s[0] & (0x7F >> l);
        for (size_t i = 1; i < l; i++) cp = cp << 6 | (s[i] & 0x3F);
    }
    *out = (tw_val){.k = VK_INT, .i = cp};
    return TWILL_OK;
}

/* translate(s, from, to): each character of s found in from becomes the character at
 * the same position of to, or is removed when to is shorter. */
static int fn_translate(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    sbuf b = {.a = c->arena};
    for (size_t i = 0; i < a[0].n;) {
        size_t l = tw_utf8_len((const unsigned char *)a[0].s + i, a[0].n - i);
        int64_t k = -1, idx = 0;
        for (size_t j = 0; j < a[1].n; idx++) {
            size_t m = tw_utf8_len((const unsigned char *)a[1].s + j, a[1].n - j);
            if (m == l && !memcmp(a[1].s + j, a[0].s + i, l)) {
                k = idx;
                break;
            }
            j += m;
        }
        if (k < 0) {
            if (sb_put(&b, a[0].s + i, l)) return nomem(err);
        } else {
            size_t off = char_off(a[2].s, a[2].n, k);
            if (off < a[2].n) {
                size_t m = tw_utf8_len((const unsigned char *)a[2].s + off, a[2].n - off);
                if (sb_put(&b, a[2].s + off, m)) return nomem(err);
            }
        }
        i += l;
    }
    return sb_done(&b, out, err);
}

/* to_hex: a negative value prints as its two's complement of the argument's width. */
static int to_hex(int64_t v, int wide, tw_evalctx *c, tw_val *out, tw_err *err) {
    char hex[20];
    int l = wide ? snprintf(hex, sizeof hex, "%llx", (unsigned long long)v)
                 : snprintf(hex, sizeof hex, "%x", (unsigned)(uint32_t)v);
    return tw_func_text(c, hex, (size_t)l, out, err);
}

static int fn_to_hex(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return to_hex(a[0].i, 0, c, out, err);
}

static int fn_to_hex8(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return to_hex(a[0].i, 1, c, out, err);
}

static int fn_octet_length(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_INT, .i = (int64_t)a[0].n};
    return TWILL_OK;
}

static int fn_bit_length(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_INT, .i = (int64_t)a[0].n * 8};
    return TWILL_OK;
}

/* PostgreSQL 15's keywords that are not "unreserved" (reserved, type/function-name
 * and column-name keywords): quote_ident and %I quote them. */
/* clang-format off */
static const char *const KEYWORDS[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column",
    "concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
    "current_role", "current_schema", "current_time", "current_timestamp", "current_user",
    "dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze",
    "from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
    "initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is",
    "isnull", "join", "lateral", "leading", "least", "left", "like", "limit", "localtime",
    "localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull",
    "null", "nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer",
    "overlaps", "overlay", "placing", "position", "precision", "primary", "real",
    "references", "returning", "right", "row", "select", "session_user", "setof",
    "similar", "smallint", "some", "substring", "symmetric", "table", "tablesample", "then",
    "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique",
    "user", "using", "values", "varchar", "variadic", "verbose", "when", "where", "window",
    "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest",
    "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
};
/* clang-format on */

static int quote_ident_to(sbuf *b, const char *s, size_t n) {
    int safe = n > 0 && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_');
    for (size_t i = 0; safe && i < n; i++)
        safe = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
    for (size_t k = 0; safe && k < sizeof KEYWORDS / sizeof KEYWORDS[0]; k++)
        if (strlen(KEYWORDS[k]) == n && !memcmp(KEYWORDS[k], s, n)) safe = 0;
    if (safe) return sb_put(b, s, n);
    if (sb_put(b, "\"", 1)) return -1;
    for (size_t i = 0; i < n; i++)
        if ((s[i] == '"' && sb_put(b, "\"", 1)) || sb_put(b, s + i, 1)) return -1;
    return sb_put(b, "\"", 1);
}

/* 'text' with quotes doubled; E'...' with backslashes doubled when there are any. */
static int quote_literal_to(sbuf *b, const char *s, size_t n) {
    if (memchr(s, '\\', n) && sb_put(b, "E", 1)) return -1;
    if (sb_put(b, "'", 1)) return -1;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == '\'' || s[i] == '\\') && sb_put(b, s + i, 1)) return -1;
        if (sb_put(b, s + i, 1)) return -1;
    }
    return sb_put(b, "'", 1);
}

static int fn_quote_ident(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    sbuf b = {.a = c->arena};
    if (quote_ident_to(&b, a[0].s, a[0].n)) return nomem(err);
    return sb_done(&b, out, err);
}

static int fn_quote_literal(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (a[0].k == VK_NULL) return tw_func_text(c, "NULL", 4, out, err); /* quote_nullable */
    const char *s;
    size_t len;
    int rc = as_text(&a[0], c, &s, &len, err);
    if (rc) return rc;
    sbuf b = {.a = c->arena};
    if (quote_literal_to(&b, s, len)) return nomem(err);
    return sb_done(&b, out, err);
}

static int fmt_err(tw_err *err, const char *msg) {
    return tw_err_set(err, TWILL_ERROR, "22023", "%s", msg);
}

/* Reads a decimal number at f[*i]; -1 if none. */
static long fmt_num(const char *f, size_t n, size_t *i) {
    if (*i >= n || f[*i] < '0' || f[*i] > '9') return -1;
    long v = 0;
    while (*i < n && f[*i] >= '0' && f[*i] <= '9') {
        v = v * 10 + (f[*i] - '0');
        if (v > 100000000) v = 100000000;
        (*i)++;
    }
    return v;
}

/* format(fmt, args...): %s, %I, %L with optional position (n$), flag -, and width (a
 * number, * or *n$); %% is a percent sign. */
static int fn_format(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (a[0].k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    const char *f = a[0].s;
    size_t fn = a[0].n;
    sbuf b = {.a = c->arena};
    int next = 1; /* the next argument (1-based among the values) */
    for (size_t i = 0; i < fn; i++) {
        if (f[i] != '%') {
            if (sb_put(&b, f + i, 1)) return nomem(err);
            continue;
        }
        if (++i >= fn) return fmt_err(err, "unterminated format() type specifier");
        if (f[i] == '%') {
            if (sb_put(&b, "%", 1)) return nomem(err);
            continue;
        }
        /* [argpos$] [flags] [width] type */
        size_t save = i;
        long pos = fmt_num(f, fn, &i);
        if (pos >= 0 && i < fn && f[i] == '$') {
            if (pos == 0)
                return fmt_err(err,
                               "format specifies argument 0, but arguments are numbered from 1");
            i++;
        } else {
            i = save;
            pos = -1;
        }
        int minus = 0;
        while (i < fn && f[i] == '-') minus = 1, i++;
        long width = -1;
        if (i < fn && f[i] == '*') {
            i++;
            size_t s2 = i;
            long wpos = fmt_num(f, fn, &i);
            int warg;
            if (wpos >= 0 && i < fn && f[i] == '$') {
                if (wpos == 0)
                    return fmt_err(
                        err, "format specifies argument 0, but arguments are numbered from 1");
                warg = (int)wpos;
                i++;
            } else {
                i = s2;
                warg = next++;
            }
            if (warg >= n) return fmt_err(err, "too few arguments for format()");
            const tw_val *wv = &a[warg];
            if (wv->k != VK_NULL) {
                int64_t w;
                if (wv->k == VK_INT) {
                    w = wv->i;
                } else {
                    const char *ws;
                    size_t wl;
                    int rc = as_text(wv, c, &ws, &wl, err);
                    if (rc || (rc = tw_parse_int(ws, wl, TY_INT4, &w, err))) return rc;
                }
                if (w < 0) minus = 1, w = -w;
                width = w > 100000000 ? 100000000 : (long)w;
            }
            if (pos < 0) pos = next; /* the value follows the width argument */
        } else {
            width = fmt_num(f, fn, &i);
        }
        if (i >= fn) return fmt_err(err, "unterminated format() type specifier");
        char type = f[i];
        if (type != 's' && type != 'I' && type != 'L')
            return tw_err_set(err, TWILL_ERROR, "22023",
                              "unrecognized format() type specifier \"%c\"", type);
        int arg = pos >= 0 ? (int)pos : next;
        next = arg + 1;
        if (arg >= n) return fmt_err(err, "too few arguments for format()");
        const tw_val *v = &a[arg];
        sbuf item = {.a = c->arena};
        if (v->k == VK_NULL) {
            if (type == 'I')
                return tw_err_set(err, TWILL_ERROR, "22004",
                                  "null values cannot be formatted as an SQL identifier");
            if (type == 'L' && sb_put(&item, "NULL", 4)) return nomem(err);
        } else {
            const char *s;
            size_t len;
            int rc = as_text(v, c, &s, &len, err);
            if (rc) return rc;
            if ((type == 's'   ? sb_put(&item, s, len)
                 : type == 'I' ? quote_ident_to(&item, s, len)
                               : quote_literal_to(&item, s, len)))
                return nomem(err);
        }
        size_t chars = tw_utf8_count(item.p ? item.p : "", item.len);
        size_t padn = width > 0 && (size_t)width > chars ? (size_t)width - chars : 0;
        for (size_t k = 0; !minus && k < padn; k++)
            if (sb_put(&b, " ", 1)) return nomem(err);
        if (item.len && sb_put(&b, item.p, item.len)) return nomem(err);
        for (size_t k = 0; minus && k < padn; k++)
            if (sb_put(&b, " ", 1)) return nomem(err);
    }
    return sb_done(&b, out, err);
}

const tw_func tw_funcs_string[] = {
    {"substr", "ti|i", TY_TEXT, TW_FN_STRICT, fn_substr},
    {"substring", "ti|i", TY_TEXT, TW_FN_STRICT, fn_substr},
    {"strpos", "tt", TY_INT4, TW_FN_STRICT, fn_strpos},
    {"position", "tt", TY_INT4, TW_FN_STRICT, fn_strpos}, /* position(sub IN s) = (s, sub) */
    {"replace", "ttt", TY_TEXT, TW_FN_STRICT, fn_replace},
    {"concat", "aa*", TY_TEXT, 0, fn_concat}, /* VARIADIC: at least one argument */
    {"concat_ws", "taa*", TY_TEXT, 0, fn_concat_ws},
    {"left", "ti", TY_TEXT, TW_FN_STRICT, fn_left},
    {"right", "ti", TY_TEXT, TW_FN_STRICT, fn_right},
    {"repeat", "ti", TY_TEXT, TW_FN_STRICT, fn_repeat},
    {"reverse", "t", TY_TEXT, TW_FN_STRICT, fn_reverse},
    {"btrim", "t|t", TY_TEXT, TW_FN_STRICT, fn_btrim},
    {"ltrim", "t|t", TY_TEXT, TW_FN_STRICT, fn_ltrim},
    {"rtrim", "t|t", TY_TEXT, TW_FN_STRICT, fn_rtrim},
    {"starts_with", "tt", TY_BOOL, TW_FN_STRICT, fn_starts_with},
    {"split_part", "tti", TY_TEXT, TW_FN_STRICT, fn_split_part},
    {"lpad", "ti|t", TY_TEXT, TW_FN_STRICT, fn_lpad},
    {"rpad", "ti|t", TY_TEXT, TW_FN_STRICT, fn_rpad},
    {"initcap", "t", TY_TEXT, TW_FN_STRICT, fn_initcap},
    {"md5", "t", TY_TEXT, TW_FN_STRICT, fn_md5},
    {"md5", "x", TY_TEXT, TW_FN_STRICT, fn_md5},
    {"chr", "i", TY_TEXT, TW_FN_STRICT, fn_chr},
    {"ascii", "t", TY_INT4, TW_FN_STRICT, fn_ascii},
    {"translate", "ttt", TY_TEXT, TW_FN_STRICT, fn_translate},
    {"to_hex", "I", TY_TEXT, TW_FN_STRICT, fn_to_hex8},
    {"to_hex", "i", TY_TEXT, TW_FN_STRICT, fn_to_hex},
    {"octet_length", "t", TY_INT4, TW_FN_STRICT, fn_octet_length},
    {"octet_length", "x", TY_INT4, TW_FN_STRICT, fn_octet_length},
    {"bit_length", "t", TY_INT4, TW_FN_STRICT, fn_bit_length},
    {"bit_length", "x", TY_INT4, TW_FN_STRICT, fn_bit_length},
    {"quote_ident", "t", TY_TEXT, TW_FN_STRICT, fn_quote_ident},
    {"quote_literal", "a", TY_TEXT, TW_FN_STRICT, fn_quote_literal},
    {"quote_nullable", "a", TY_TEXT, 0, fn_quote_literal},
    {"format", "ta*", TY_TEXT, 0, fn_format},
    {NULL, NULL, 0, 0, NULL},
};
