/*
 * json.c — json / jsonb: a small parser, jsonb's normalized text, comparison and
 * containment, and the operators and functions (see json.h).
 */
#include "sql/json.h"

#include "sql/array.h"
#include "sql/func.h"
#include "sql/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value types, numbered in PostgreSQL's jsonb order (null < string < number < boolean
 * < array < object). */
enum { J_NULL = 0, J_STRING = 1, J_NUMBER = 2, J_BOOL = 3, J_ARRAY = 0x10, J_OBJECT = 0x11 };

#define J_MAX_DEPTH 6400

typedef struct jv jv;
struct jv {
    uint8_t t, b;      /* type; J_BOOL value */
    const char *raw;   /* the value's text in the source */
    size_t rawn;       /* its length */
    const char *s;     /* J_STRING: decoded bytes; J_NUMBER: the token (jsonb: normalized) */
    size_t n;          /* length of s */
    size_t nk;         /* J_ARRAY elements, J_OBJECT pairs */
    jv *kids;          /* elements / values */
    const char **keys; /* J_OBJECT keys (decoded) */
    size_t *keyn;
};

typedef struct jp {
    const char *s;
    size_t n, i;
    tw_arena *a;
    tw_err *err;
    int depth;
    int jsonb; /* normalize (sort and dedupe keys, numbers), refuse \u0000 */
    int text;  /* strings are converted (operators on json): \u0000 and lone surrogates
                  are errors, as they are for jsonb; plain json input only validates */
} jp;

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

static int syntax(jp *p) {
    return tw_err_set(p->err, TWILL_ERROR, "22P02", "invalid input syntax for type json");
}

static void ws(jp *p) {
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int c = (unsigned char)s[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string token at p->i (the opening quote); its decoded bytes into *s / *n. */
static int parse_string(jp *p, const char **s, size_t *n) {
    size_t start = ++p->i;
    int esc = 0;
    for (;;) {
        if (p->i >= p->n) return syntax(p);
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') break;
        if (c < 0x20) return syntax(p);
        if (c == '\\') {
            esc = 1;
            if (p->i + 1 >= p->n) return syntax(p);
            char e = p->s[p->i + 1];
            if (e == 'u') {
                if (p->i + 6 > p->n) return syntax(p);
                unsigned cp;
                if (hex4(p->s + p->i + 2, &cp)) return syntax(p);
                p->i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e)) return syntax(p);
            p->i += 2;
            continue;
        }
        p->i++;
    }
    size_t end = p->i++;
    if (!esc) {
        *s = p->s + start;
        *n = end - start;
        return TWILL_OK;
    }
    char *o = tw_arena_alloc(p->a, end - start + 1);
    if (!o) return nomem(p->err);
    size_t m = 0;
    for (size_t i = start; i < end;) {
        if (p->s[i] != '\\') {
            o[m++] = p->s[i++];
            continue;
        }
        char e = p->s[i + 1];
        if (e != 'u') {
            o[m++] = e == 'b'   ? '\b'
                     : e == 'f' ? '\f'
                     : e == 'n' ? '\n'
                     : e == 'r' ? '\r'
                     : e == 't' ? '\t'
                                : e;
            i += 2;
            continue;
        }
        unsigned cp;
        hex4(p->s + i + 2, &cp);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (i + 6 > end || p->s[i] != '\\' || p->s[i + 1] != 'u' || hex4(p->s + i + 2, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF) {
                if (p->jsonb || p->text) return syntax(p);
            } else {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF && (p->jsonb || p->text)) {
            return syntax(p);
        }
        if (cp == 0 && (p->jsonb || p->text))
            return tw_err_set(p->err, TWILL_ERROR, "22P05", "unsupported Unicode escape sequence");
        m += utf8_put(o + m, cp);
    }
    *s = o;
    *n = m;
    return TWILL_OK;
}

static int parse_number(jp *p, jv *v) {
    size_t st = p->i;
    if (p->s[p->i] == '-') p->i++;
    if (p->i >= p->n) return syntax(p);
    if (p->s[p->i] == '0') {
        p->i++;
    } else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    } else {
        return syntax(p);
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        size_t d = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
        if (p->i == d) return syntax(p);
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        size_t d = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
        if (p->i == d) return syntax(p);
    }
    /* a number runs into a following letter or digit: "1x" is one bad token */
    if (p->i < p->n) {
        char c = p->s[p->i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.')
            return syntax(p);
    }
    v->t = J_NUMBER;
    v->s = p->s + st;
    v->n = p->i - st;
    if (p->jsonb) {
        tw_num x;
        tw_err tmp;
        tw_err_clear(&tmp);
        if (tw_num_parse(v->s, v->n, &x, &tmp))
            return tw_err_set(p->err, TWILL_NOTSUP, "0A000",
                              "jsonb number %.*s is outside the supported numeric range",
                              (int)(v->n > 60 ? 60 : v->n), v->s);
        char nb[TW_NUM_MAX_SCALE + 48];
        size_t k = tw_num_out(x, nb, sizeof nb);
        char *c = tw_arena_strndup(p->a, nb, k);
        if (!c) return nomem(p->err);
        v->s = c;
        v->n = k;
    }
    return TWILL_OK;
}

static int keycmp(const char *a, size_t an, const char *b, size_t bn) {
    /* jsonb's storage order: shorter keys first, then bytes */
    if (an != bn) return an < bn ? -1 : 1;
    int c = an ? memcmp(a, b, an) : 0;
    return c < 0 ? -1 : c > 0;
}

typedef struct pair {
    const char *k;
    size_t kn, idx;
    jv v;
} pair;

static int pair_cmp(const void *x, const void *y) {
    const pair *a = x, *b = y;
    int c = keycmp(a->k, a->kn, b->k, b->kn);
    if (c) return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int parse_value(jp *p, jv *v);

/* Grows an arena vector of elements by one. */
static void *grow(tw_arena *a, void *old, size_t n, size_t *cap, size_t sz) {
    if (n < *cap) return old;
    size_t nc = *cap ? *cap * 2 : 4;
    void *nv = tw_arena_alloc(a, nc * sz);
    if (!nv) return NULL;
    if (n) memcpy(nv, old, n * sz);
    *cap = nc;
    return nv;
}

static int parse_container(jp *p, jv *v) {
    int obj = p->s[p->i] == '{';
    if (++p->depth > J_MAX_DEPTH)
        return tw_err_set(p->err, TWILL_ERROR, "54001", "stack depth limit exceeded");
    p->i++;
    pair *pairs = NULL;
    size_t np = 0, cap = 0;
    ws(p);
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
        p->i++;
    } else {
        for (;;) {
            if (!(pairs = grow(p->a, pairs, np, &cap, sizeof *pairs))) return nomem(p->err);
            pair *q = &pairs[np];
            memset(q, 0, sizeof *q);
            q->idx = np++;
            ws(p);
            if (obj) {
                if (p->i >= p->n || p->s[p->i] != '"') return syntax(p);
                int rc = parse_string(p, &q->k, &q->kn);
                if (rc) return rc;
                ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return syntax(p);
                p->i++;
            }
            int rc = parse_value(p, &q->v);
            if (rc) return rc;
            ws(p);
            if (p->i >= p->n) return syntax(p);
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] != (obj ? '}' : ']')) return syntax(p);
            p->i++;
            break;
        }
    }
    p->depth--;
    if (obj && p->jsonb && np > 1) {
        /* sort; of equal keys the last one written wins */
        qsort(pairs, np, sizeof *pairs, pair_cmp);
        size_t m = 0;
        for (size_t i = 0; i < np; i++) {
            if (m && !keycmp(pairs[m - 1].k, pairs[m - 1].kn, pairs[i].k, pairs[i].kn)) m--;
            pairs[m++] = pairs[i];
        }
        np = m;
    }
    v->t = obj ? J_OBJECT : J_ARRAY;
    v->nk = np;
    v->kids = tw_arena_alloc(p->a, (np ? np : 1) * sizeof *v->kids);
    if (!v->kids) return nomem(p->err);
    if (obj) {
        v->keys = tw_arena_alloc(p->a, (np ? np : 1) * sizeof *v->keys);
        v->keyn = tw_arena_alloc(p->a, (np ? np : 1) * sizeof *v->keyn);
        if (!v->keys || !v->keyn) return nomem(p->err);
    }
    for (size_t i = 0; i < np; i++) {
        v->kids[i] = pairs[i].v;
        if (obj) {
            v->keys[i] = pairs[i].k;
            v->keyn[i] = pairs[i].kn;
        }
    }
    return TWILL_OK;
}

static int parse_value(jp *p, jv *v) {
    ws(p);
    if (p->i >= p->n) return syntax(p);
    size_t st = p->i;
    int rc = TWILL_OK;
    char c = p->s[p->i];
    memset(v, 0, sizeof *v);
    if (c == '{' || c == '[') {
        rc = parse_container(p, v);
    } else if (c == '"') {
        v->t = J_STRING;
        rc = parse_string(p, &v->s, &v->n);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        rc = parse_number(p, v);
    } else {
        static const char *const lit[] = {"true", "false", "null"};
        int k = 0;
        for (; k < 3; k++) {
            size_t l = strlen(lit[k]);
            if (p->n - p->i >= l && !memcmp(p->s + p->i, lit[k], l)) {
                p->i += l;
                break;
            }
        }
        if (k == 3) return syntax(p);
        if (p->i < p->n) {
            char d = p->s[p->i];
            if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') ||
                d == '_')
                return syntax(p);
        }
        v->t = k == 2 ? J_NULL : J_BOOL;
        v->b = k == 0;
    }
    if (rc) return rc;
    v->raw = p->s + st;
    v->rawn = p->i - st;
    return TWILL_OK;
}

static int parse_doc(const char *s, size_t n, int jsonb, tw_arena *a, jv *v, tw_err *err) {
    jp p = {.s = s, .n = n, .a = a, .err = err, .jsonb = jsonb == 1, .text = jsonb == 2};
    int rc = parse_value(&p, v);
    if (rc) return rc;
    ws(&p);
    if (p.i != p.n) return syntax(&p);
    return TWILL_OK;
}

int tw_json_check(const char *s, size_t n, tw_err *err) {
    tw_arena a = {0};
    jv v;
    int rc = parse_doc(s, n, 0, &a, &v, err);
    tw_arena_free(&a);
    return rc;
}

/* ---- output ---- */

static int put_str(tw_buf *b, const char *s, size_t n) {
    if (tw_buf_put_u8(b, '"')) return TWILL_NOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char tmp[8];
        switch (c) {
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof tmp, "\\u%04x", c);
                e = tmp;
            }
        }
        if (e ? tw_buf_append(b, e, strlen(e)) : tw_buf_put_u8(b, c)) return TWILL_NOMEM;
    }
    return tw_buf_put_u8(b, '"');
}

/* jsonb's text form of a parsed (normalized) value. */
static int put_jsonb(tw_buf *b, const jv *v) {
    switch (v->t) {
    case J_NULL:
        return tw_buf_append(b, "null", 4);
    case J_BOOL:
        return v->b ? tw_buf_append(b, "true", 4) : tw_buf_append(b, "false", 5);
    case J_NUMBER:
        return tw_buf_append(b, v->s, v->n);
    case J_STRING:
        return put_str(b, v->s, v->n);
    }
    int obj = v->t == J_OBJECT;
    if (tw_buf_put_u8(b, obj ? '{' : '[')) return TWILL_NOMEM;
    for (size_t i = 0; i < v->nk; i++) {
        if (i && tw_buf_append(b, ", ", 2)) return TWILL_NOMEM;
        if (obj && (put_str(b, v->keys[i], v->keyn[i]) || tw_buf_append(b, ": ", 2)))
            return TWILL_NOMEM;
        if (put_jsonb(b, &v->kids[i])) return TWILL_NOMEM;
    }
    return tw_buf_put_u8(b, obj ? '}' : ']');
}

static int buf_to_val(tw_buf *b, int kind, tw_arena *a, tw_val *out, tw_err *err) {
    char *p = tw_arena_strndup(a, b->len ? (const char *)b->p : "", b->len);
    size_t n = b->len;
    tw_buf_free(b);
    if (!p) return nomem(err);
    *out = (tw_val){.k = (uint8_t)kind, .s = p, .n = n};
    return TWILL_OK;
}

int tw_jsonb_from_text(const char *s, size_t n, tw_arena *a, tw_val *out, tw_err *err) {
    tw_arena tmp = {0};
    jv v;
    tw_buf b = {0};
    int rc = parse_doc(s, n, 1, &tmp, &v, err);
    if (!rc && put_jsonb(&b, &v)) rc = nomem(err);
    tw_arena_free(&tmp);
    if (rc) {
        tw_buf_free(&b);
        return rc;
    }
    return buf_to_val(&b, VK_JSONB, a, out, err);
}

/* ---- comparison and containment ---- */

static int num_cmp(const jv *a, const jv *b) {
    tw_num x, y;
    tw_num_parse(a->s, a->n, &x, NULL);
    tw_num_parse(b->s, b->n, &y, NULL);
    return tw_num_cmp(x, y);
}

static int scalar_cmp(const jv *a, const jv *b) {
    switch (a->t) {
    case J_NULL:
        return 0;
    case J_BOOL:
        return a->b == b->b ? 0 : a->b ? 1 : -1;
    case J_NUMBER:
        return num_cmp(a, b);
    default: {
        size_t m = a->n < b->n ? a->n : b->n;
        int c = m ? memcmp(a->s, b->s, m) : 0;
        return c ? (c < 0 ? -1 : 1) : (a->n < b->n ? -1 : a->n > b->n);
    }
    }
}

/* PostgreSQL's compareJsonbContainers, over values where a top-level scalar is a
 * one-element "raw scalar" array (raw_a / raw_b at the top only). */
static int jcmp(const jv *a, int raw_a, const jv *b, int raw_b) {
    int ta = raw_a ? J_ARRAY : a->t, tb = raw_b ? J_ARRAY : b->t;
    if (ta != tb) return ta > tb ? 1 : -1;
    if (ta == J_ARRAY) {
        size_t na = raw_a ? 1 : a->nk, nb = raw_b ? 1 : b->nk;
        int res = 0;
        if (raw_a != raw_b) res = raw_a ? -1 : 1;
        if (na != nb) res = na > nb ? 1 : -1;
        if (res) return res;
        for (size_t i = 0; i < na; i++) {
            int c = jcmp(raw_a ? a : &a->kids[i], 0, raw_b ? b : &b->kids[i], 0);
            if (c) return c;
        }
        return 0;
    }
    if (ta == J_OBJECT) {
        if (a->nk != b->nk) return a->nk > b->nk ? 1 : -1;
        for (size_t i = 0; i < a->nk; i++) {
            jv ka = {.t = J_STRING, .s = a->keys[i], .n = a->keyn[i]};
            jv kb = {.t = J_STRING, .s = b->keys[i], .n = b->keyn[i]};
            int c = scalar_cmp(&ka, &kb);
            if (!c) c = jcmp(&a->kids[i], 0, &b->kids[i], 0);
            if (c) return c;
        }
        return 0;
    }
    return scalar_cmp(a, b);
}

static int is_container(const jv *v) {
    return v->t == J_ARRAY || v->t == J_OBJECT;
}

static const jv *obj_get(const jv *o, const char *k, size_t kn) {
    /* the last of equal keys: json keeps duplicates, jsonb has none */
    for (size_t i = o->nk; i-- > 0;)
        if (o->keyn[i] == kn && (!kn || !memcmp(o->keys[i], k, kn))) return &o->kids[i];
    return NULL;
}

/* JsonbDeepContains: does val contain cont? (both containers; raw flags at the top) */
static int jcontains(const jv *val, int raw_v, const jv *cont, int raw_c) {
    int tv = raw_v ? J_ARRAY : val->t, tc = raw_c ? J_ARRAY : cont->t;
    if (tv != tc) return 0;
    if (tv == J_OBJECT) {
        if (val->nk < cont->nk) return 0;
        for (size_t i = 0; i < cont->nk; i++) {
            const jv *lv = obj_get(val, cont->keys[i], cont->keyn[i]), *cv = &cont->kids[i];
            if (!lv) return 0;
            if (is_container(lv) != is_container(cv)) return 0;
            if (!is_container(cv)) {
                if (lv->t != cv->t || scalar_cmp(lv, cv)) return 0;
            } else if (!jcontains(lv, 0, cv, 0)) {
                return 0;
            }
        }
        return 1;
    }
    if (raw_v && !raw_c) return 0;
    size_t nv = raw_v ? 1 : val->nk, nc = raw_c ? 1 : cont->nk;
    for (size_t i = 0; i < nc; i++) {
        const jv *cv = raw_c ? cont : &cont->kids[i];
        int found = 0;
        for (size_t j = 0; j < nv && !found; j++) {
            const jv *lv = raw_v ? val : &val->kids[j];
            if (!is_container(cv))
                found = !is_container(lv) && lv->t == cv->t && !scalar_cmp(lv, cv);
            else
                found = is_container(lv) && jcontains(lv, 0, cv, 0);
        }
        if (!found) return 0;
    }
    return 1;
}

int tw_jsonb_cmp(const tw_val *a, const tw_val *b, int *res, tw_err *err) {
    tw_arena tmp = {0};
    jv x, y;
    int rc = parse_doc(a->s, a->n, 1, &tmp, &x, err);
    if (!rc) rc = parse_doc(b->s, b->n, 1, &tmp, &y, err);
    if (!rc) *res = jcmp(&x, !is_container(&x), &y, !is_container(&y));
    tw_arena_free(&tmp);
    return rc;
}

/* jsonb → numeric / integer / float / boolean (PostgreSQL 11+): a scalar of the right
 * JSON type only, else 22023 "cannot cast jsonb string to type integer". */
int tw_jsonb_cast(const tw_val *v, tw_sqltype t, tw_arena *a, tw_val *out, tw_err *err) {
    tw_arena tmp = {0};
    jv d;
    int rc = parse_doc(v->s, v->n, 1, &tmp, &d, err);
    if (rc) {
        tw_arena_free(&tmp);
        return rc;
    }
    int want = t.ty == TY_BOOL ? J_BOOL : J_NUMBER;
    if (d.t == want && want == J_BOOL) {
        *out = (tw_val){.k = VK_BOOL, .i = d.b};
    } else if (d.t == want) {
        tw_num x;
        if (!(rc = tw_num_parse(d.s, d.n, &x, err))) {
            tw_val nv;
            tw_num_set(&nv, x);
            rc = tw_val_cast(&nv, t, 0, a, out, err);
        }
    } else {
        const char *what = d.t == J_OBJECT   ? "object"
                           : d.t == J_ARRAY  ? "array"
                           : d.t == J_STRING ? "string"
                           : d.t == J_NUMBER ? "numeric"
                           : d.t == J_BOOL   ? "boolean"
                                             : "null";
        rc = tw_err_set(err, TWILL_ERROR, "22023", "cannot cast jsonb %s to type %s", what,
                        tw_type_name(t, (char[64]){0}, 64));
    }
    tw_arena_free(&tmp);
    return rc;
}

/* ---- to_json ---- */

int tw_json_of_value(const tw_val *v, tw_buf *out) {
    tw_buf t = {0};
    int rc = TWILL_OK;
    switch (v->k) {
    case VK_NULL:
        return tw_buf_append(out, "null", 4);
    case VK_BOOL:
        return v->i ? tw_buf_append(out, "true", 4) : tw_buf_append(out, "false", 5);
    case VK_INT:
    case VK_NUMERIC:
        return tw_val_out(v, 0, out);
    case VK_FLOAT:
        if (v->d != v->d || v->d == 1.0 / 0.0 || v->d == -1.0 / 0.0) {
            if ((rc = tw_val_out(v, 0, &t))) break;
            rc = put_str(out, (const char *)t.p, t.len);
            break;
        }
        return tw_val_out(v, 0, out);
    case VK_JSON:
    case VK_JSONB:
        return tw_buf_append(out, v->s, v->n);
    case VK_TEXT:
        return put_str(out, v->s, v->n);
    case VK_ARRAY: {
        tw_arr_it it;
        tw_val e;
        tw_err err;
        tw_err_clear(&err);
        if (tw_array_open(v, &it, &err)) return TWILL_CORRUPT;
        if (tw_buf_put_u8(out, '[')) return TWILL_NOMEM;
        int first = 1;
        while ((rc = tw_array_next(&it, &e, &err)) == TWILL_ROW) {
            if (!first && tw_buf_put_u8(out, ',')) return TWILL_NOMEM;
            first = 0;
            if ((rc = tw_json_of_value(&e, out))) return rc;
        }
        if (rc != TWILL_DONE) return rc;
        return tw_buf_put_u8(out, ']');
    }
    default: {
        /* dates and timestamps in ISO 8601 ("T", a full offset); other types as strings */
        if ((rc = tw_val_out(v, 0, &t))) break;
        if ((v->k == VK_TS || v->k == VK_TSTZ) && t.len > 10 && t.p[10] == ' ') {
            t.p[10] = 'T';
            if (v->k == VK_TSTZ && t.len >= 3 && (t.p[t.len - 3] == '+' || t.p[t.len - 3] == '-'))
                rc = tw_buf_append(&t, ":00", 3);
        }
        if (!rc) rc = put_str(out, (const char *)t.p, t.len);
    }
    }
    tw_buf_free(&t);
    return rc;
}

/* ---- operators and functions ---- */

/* An argument of an operator (strings converted) or, with !text, of a function that
 * only looks at the structure. */
static int parse_arg(const tw_val *v, tw_evalctx *c, jv *out, tw_err *err) {
    return parse_doc(v->s, v->n, 2, c->arena, out, err);
}

static int parse_shape(const tw_val *v, tw_evalctx *c, jv *out, tw_err *err) {
    return parse_doc(v->s, v->n, 0, c->arena, out, err);
}

/* The result of -> / #>: a slice of the argument's text, of its kind. */
static int slice(const tw_val *src, const jv *v, tw_val *out) {
    if (!v) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    *out = (tw_val){.k = src->k, .s = v->raw, .n = v->rawn};
    return TWILL_OK;
}

/* ... and of ->> / #>>: strings decoded, JSON null as SQL NULL, others as text. */
static int slice_text(const jv *v, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (!v || v->t == J_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    if (v->t == J_STRING) {
        for (size_t i = 0; i < v->n; i++)
            if (!v->s[i])
                return tw_err_set(err, TWILL_ERROR, "22P05", "unsupported Unicode escape sequence");
        return tw_func_text(c, v->s, v->n, out, err);
    }
    *out = (tw_val){.k = VK_TEXT, .s = v->raw, .n = v->rawn};
    return TWILL_OK;
}

static const jv *field(const jv *v, const char *k, size_t kn) {
    return v->t == J_OBJECT ? obj_get(v, k, kn) : NULL;
}

static const jv *elem(const jv *v, int64_t i) {
    if (v->t != J_ARRAY) return NULL;
    if (i < 0) i += (int64_t)v->nk;
    return i >= 0 && (uint64_t)i < v->nk ? &v->kids[i] : NULL;
}

/* One step of a path: a key of an object or an integer index of an array. */
static const jv *step(const jv *v, const char *s, size_t n) {
    if (v->t == J_OBJECT) return obj_get(v, s, n);
    if (v->t != J_ARRAY || n == 0 || n > 20) return NULL;
    char tmp[24];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    long long i = strtoll(tmp, &end, 10);
    if (*end) return NULL;
    return elem(v, i);
}

static int path_get(const tw_val *a, tw_evalctx *c, const jv **res, tw_err *err) {
    jv *doc = tw_arena_alloc(c->arena, sizeof *doc);
    if (!doc) return nomem(err);
    int rc = parse_arg(&a[0], c, doc, err);
    if (rc) return rc;
    tw_arr_it it;
    if ((rc = tw_array_open(&a[1], &it, err))) return rc;
    const jv *v = doc;
    tw_val e;
    while (v && (rc = tw_array_next(&it, &e, err)) == TWILL_ROW) {
        if (e.k != VK_TEXT) {
            v = NULL;
            break;
        }
        v = step(v, e.s, e.n);
    }
    if (rc != TWILL_ROW && rc != TWILL_DONE) return rc;
    *res = v;
    return TWILL_OK;
}

static int op_field(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    jv d;
    int rc = parse_arg(&a[0], c, &d, err);
    if (rc) return rc;
    return slice(&a[0], a[1].k == VK_INT ? elem(&d, a[1].i) : field(&d, a[1].s, a[1].n), out);
}

static int op_field_text(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    jv d;
    int rc = parse_arg(&a[0], c, &d, err);
    if (rc) return rc;
    return slice_text(a[1].k == VK_INT ? elem(&d, a[1].i) : field(&d, a[1].s, a[1].n), c, out, err);
}

static int op_path(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const jv *v;
    int rc = path_get(a, c, &v, err);
    return rc ? rc : slice(&a[0], v, out);
}

static int op_path_text(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const jv *v;
    int rc = path_get(a, c, &v, err);
    return rc ? rc : slice_text(v, c, out, err);
}

/* jsonb ? text: a top-level key, or a string element of a top-level array. */
static int op_exists(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    jv d;
    int rc = parse_arg(&a[0], c, &d, err);
    if (rc) return rc;
    int found = 0;
    if (d.t == J_OBJECT)
        found = obj_get(&d, a[1].s, a[1].n) != NULL;
    else if (d.t == J_ARRAY)
        for (size_t i = 0; i < d.nk && !found; i++)
            found = d.kids[i].t == J_STRING && d.kids[i].n == a[1].n &&
                    (!a[1].n || !memcmp(d.kids[i].s, a[1].s, a[1].n));
    else
        found = d.t == J_STRING && d.n == a[1].n && (!d.n || !memcmp(d.s, a[1].s, d.n));
    *out = (tw_val){.k = VK_BOOL, .i = found};
    return TWILL_OK;
}

static int contains(const tw_val *x, const tw_val *y, tw_evalctx *c, tw_val *out, tw_err *err) {
    jv a, b;
    int rc = parse_doc(x->s, x->n, 1, c->arena, &a, err);
    if (!rc) rc = parse_doc(y->s, y->n, 1, c->arena, &b, err);
    if (rc) return rc;
    *out = (tw_val){.k = VK_BOOL, .i = jcontains(&a, !is_container(&a), &b, !is_container(&b))};
    return TWILL_OK;
}

static int op_contains(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return contains(&a[0], &a[1], c, out, err);
}

static int op_contained(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return contains(&a[1], &a[0], c, out, err);
}

static int fn_typeof(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    jv d;
    int rc = parse_shape(&a[0], c, &d, err);
    if (rc) return rc;
    const char *t = d.t == J_OBJECT   ? "object"
                    : d.t == J_ARRAY  ? "array"
                    : d.t == J_STRING ? "string"
                    : d.t == J_NUMBER ? "number"
                    : d.t == J_BOOL   ? "boolean"
                                      : "null";
    return tw_func_text(c, t, strlen(t), out, err);
}

static int fn_array_length(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    jv d;
    int rc = parse_shape(&a[0], c, &d, err);
    if (rc) return rc;
    if (d.t != J_ARRAY)
        return tw_err_set(err, TWILL_ERROR, "22023", "cannot get array length of a %s",
                          a[0].k == VK_JSONB && d.t != J_OBJECT ? "scalar" : "non-array");
    *out = (tw_val){.k = VK_INT, .i = (int64_t)d.nk};
    return TWILL_OK;
}

static int finish(tw_buf *b, int jsonb, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (!jsonb) return buf_to_val(b, VK_JSON, c->arena, out, err);
    int rc = tw_jsonb_from_text(b->len ? (const char *)b->p : "", b->len, c->arena, out, err);
    tw_buf_free(b);
    return rc;
}

static int to_json_common(const tw_val *a, int jsonb, tw_evalctx *c, tw_val *out, tw_err *err) {
    tw_buf b = {0};
    if (tw_json_of_value(&a[0], &b)) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return finish(&b, jsonb, c, out, err);
}

static int fn_to_json(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return to_json_common(a, 0, c, out, err);
}

static int fn_to_jsonb(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return to_json_common(a, 1, c, out, err);
}

static int build_object(const tw_val *a, int n, int jsonb, const char *fname, tw_evalctx *c,
                        tw_val *out, tw_err *err) {
    if (n % 2)
        return tw_err_set(err, TWILL_ERROR, "22023",
                          "argument list must have even number of elements");
    tw_buf b = {0}, k = {0};
    int rc = TWILL_OK;
    (void)fname;
    if (tw_buf_put_u8(&b, '{')) rc = TWILL_NOMEM;
    for (int i = 0; i < n && !rc; i += 2) {
        if (a[i].k == VK_NULL) {
            tw_buf_free(&b);
            return tw_err_set(err, TWILL_ERROR, "22023", "argument %d cannot be null", i + 1);
        }
        tw_buf_reset(&k);
        if ((i && tw_buf_append(&b, ", ", 2)) || tw_val_out(&a[i], 0, &k) ||
            put_str(&b, k.len ? (const char *)k.p : "", k.len) || tw_buf_append(&b, " : ", 3) ||
            tw_json_of_value(&a[i + 1], &b))
            rc = TWILL_NOMEM;
    }
    tw_buf_free(&k);
    if (!rc && tw_buf_put_u8(&b, '}')) rc = TWILL_NOMEM;
    if (rc) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return finish(&b, jsonb, c, out, err);
}

static int fn_json_build_object(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return build_object(a, n, 0, "json_build_object", c, out, err);
}

static int fn_jsonb_build_object(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return build_object(a, n, 1, "jsonb_build_object", c, out, err);
}

static int build_array(const tw_val *a, int n, int jsonb, tw_evalctx *c, tw_val *out, tw_err *err) {
    tw_buf b = {0};
    int rc = tw_buf_put_u8(&b, '[');
    for (int i = 0; i < n && !rc; i++)
        rc = (i && tw_buf_append(&b, ", ", 2)) || tw_json_of_value(&a[i], &b);
    if (!rc) rc = tw_buf_put_u8(&b, ']');
    if (rc) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return finish(&b, jsonb, c, out, err);
}

static int fn_json_build_array(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return build_array(a, n, 0, c, out, err);
}

static int fn_jsonb_build_array(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return build_array(a, n, 1, c, out, err);
}

/* json_extract_path(j, VARIADIC text): the #> path as separate arguments. */
static int extract_path(const tw_val *a, int n, int text, tw_evalctx *c, tw_val *out, tw_err *err) {
    for (int i = 0; i < n; i++)
        if (a[i].k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
    jv d;
    int rc = parse_arg(&a[0], c, &d, err);
    if (rc) return rc;
    const jv *v = &d;
    for (int i = 1; i < n && v; i++) v = step(v, a[i].s, a[i].n);
    return text ? slice_text(v, c, out, err) : slice(&a[0], v, out);
}

static int fn_extract_path(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return extract_path(a, n, 0, c, out, err);
}

static int fn_extract_path_text(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    return extract_path(a, n, 1, c, out, err);
}

/* jsonb || jsonb: objects merge (the right side's keys win), arrays concatenate, a
 * non-array side becomes one element. Built as text and normalized (the last of
 * duplicate keys wins). */
static int op_concat(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const tw_val *l = &a[0], *r = &a[1];
    char lt = l->n ? l->s[0] : 0, rt = r->n ? r->s[0] : 0;
    int obj = lt == '{' && rt == '{';
    tw_buf b = {0};
    /* the inner text of a container side, or the whole value as one element */
    int li = obj || lt == '[', ri = obj || rt == '[';
    const char *ls = li ? l->s + 1 : l->s, *rs = ri ? r->s + 1 : r->s;
    size_t ln = li ? l->n - 2 : l->n, rn = ri ? r->n - 2 : r->n;
    int rc = tw_buf_put_u8(&b, obj ? '{' : '[') || tw_buf_append(&b, ls, ln) ||
             (ln && rn && tw_buf_append(&b, ", ", 2)) || tw_buf_append(&b, rs, rn) ||
             tw_buf_put_u8(&b, obj ? '}' : ']');
    if (rc) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return finish(&b, 1, c, out, err);
}

/* jsonb - text (a key of an object, string elements of an array) / jsonb - integer (an
 * array element, negative from the end). */
static int op_delete(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    jv d;
    int rc = parse_doc(a[0].s, a[0].n, 1, c->arena, &d, err);
    if (rc) return rc;
    if (!is_container(&d))
        return tw_err_set(err, TWILL_ERROR, "22023", "cannot delete from scalar");
    if (a[1].k == VK_INT && d.t == J_OBJECT)
        return tw_err_set(err, TWILL_ERROR, "22023",
                          "cannot delete from object using integer index");
    int64_t idx = a[1].k == VK_INT ? a[1].i : -1;
    if (idx < 0 && a[1].k == VK_INT) idx += (int64_t)d.nk;
    size_t m = 0;
    for (size_t i = 0; i < d.nk; i++) {
        int drop;
        if (a[1].k == VK_INT)
            drop = (int64_t)i == idx;
        else if (d.t == J_OBJECT)
            drop = d.keyn[i] == a[1].n && (!a[1].n || !memcmp(d.keys[i], a[1].s, a[1].n));
        else
            drop = d.kids[i].t == J_STRING && d.kids[i].n == a[1].n &&
                   (!a[1].n || !memcmp(d.kids[i].s, a[1].s, a[1].n));
        if (drop) continue;
        d.kids[m] = d.kids[i];
        if (d.t == J_OBJECT) d.keys[m] = d.keys[i], d.keyn[m] = d.keyn[i];
        m++;
    }
    d.nk = m;
    tw_buf b = {0};
    if (put_jsonb(&b, &d)) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return buf_to_val(&b, VK_JSONB, c->arena, out, err);
}

/* Operators first (plan.c looks an unknown operator up under its name). */
const tw_func tw_funcs_json[] = {
    {"->", "jt", TW_RET_ARG0, TW_FN_STRICT, op_field},
    {"->", "ji", TW_RET_ARG0, TW_FN_STRICT, op_field},
    {"->", "Jt", TW_RET_ARG0, TW_FN_STRICT, op_field},
    {"->", "Ji", TW_RET_ARG0, TW_FN_STRICT, op_field},
    {"->>", "jt", TY_TEXT, TW_FN_STRICT, op_field_text},
    {"->>", "ji", TY_TEXT, TW_FN_STRICT, op_field_text},
    {"->>", "Jt", TY_TEXT, TW_FN_STRICT, op_field_text},
    {"->>", "Ji", TY_TEXT, TW_FN_STRICT, op_field_text},
    {"#>", "jT", TW_RET_ARG0, TW_FN_STRICT, op_path},
    {"#>", "JT", TW_RET_ARG0, TW_FN_STRICT, op_path},
    {"#>>", "jT", TY_TEXT, TW_FN_STRICT, op_path_text},
    {"#>>", "JT", TY_TEXT, TW_FN_STRICT, op_path_text},
    {"?", "Jt", TY_BOOL, TW_FN_STRICT, op_exists},
    {"jsonb_exists", "Jt", TY_BOOL, TW_FN_STRICT, op_exists},
    {"@>", "JJ", TY_BOOL, TW_FN_STRICT, op_contains},
    {"<@", "JJ", TY_BOOL, TW_FN_STRICT, op_contained},
    {"|| jsonb", "JJ", TY_JSONB, TW_FN_STRICT, op_concat},
    {"- jsonb", "Jt", TY_JSONB, TW_FN_STRICT, op_delete},
    {"- jsonb", "Ji", TY_JSONB, TW_FN_STRICT, op_delete},
    {"json_typeof", "j", TY_TEXT, TW_FN_STRICT, fn_typeof},
    {"jsonb_typeof", "J", TY_TEXT, TW_FN_STRICT, fn_typeof},
    {"json_array_length", "j", TY_INT4, TW_FN_STRICT, fn_array_length},
    {"jsonb_array_length", "J", TY_INT4, TW_FN_STRICT, fn_array_length},
    {"to_json", "a", TY_JSON, TW_FN_STRICT, fn_to_json},
    {"to_jsonb", "a", TY_JSONB, TW_FN_STRICT, fn_to_jsonb},
    {"json_build_object", "a*", TY_JSON, 0, fn_json_build_object},
    {"jsonb_build_object", "a*", TY_JSONB, 0, fn_jsonb_build_object},
    {"json_build_array", "a*", TY_JSON, 0, fn_json_build_array},
    {"jsonb_build_array", "a*", TY_JSONB, 0, fn_jsonb_build_array},
    {"json_extract_path", "jt*", TY_JSON, 0, fn_extract_path},
    {"jsonb_extract_path", "Jt*", TY_JSONB, 0, fn_extract_path},
    {"json_extract_path_text", "jt*", TY_TEXT, 0, fn_extract_path_text},
    {"jsonb_extract_path_text", "Jt*", TY_TEXT, 0, fn_extract_path_text},
    {NULL, NULL, 0, 0, NULL},
};
