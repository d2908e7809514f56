/*
 * array.c — one-dimensional arrays: encoding, text input/output, casts, comparison
 * (see array.h).
 */
#include "sql/array.h"

#include "sql/codec.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    uint8_t ty;
    uint32_t oid;
} arr_oids[] = {
    {TY_BOOL, 1000},        {TY_BYTEA, 1001},    {TY_INT2, 1005},      {TY_INT4, 1007},
    {TY_TEXT, 1009},        {TY_CHAR, 1014},     {TY_VARCHAR, 1015},   {TY_INT8, 1016},
    {TY_FLOAT4, 1021},      {TY_FLOAT8, 1022},   {TY_TIMESTAMP, 1115}, {TY_DATE, 1182},
    {TY_TIMESTAMPTZ, 1185}, {TY_INTERVAL, 1187}, {TY_NUMERIC, 1231},   {TY_UUID, 2951},
    {TY_JSON, 199},         {TY_JSONB, 3807},
};

uint32_t tw_array_oid(int elem_ty) {
    for (size_t i = 0; i < sizeof arr_oids / sizeof arr_oids[0]; i++)
        if (arr_oids[i].ty == elem_ty) return arr_oids[i].oid;
    return 0;
}

int tw_array_elem_ok(int elem_ty) {
    return tw_array_oid(elem_ty) != 0;
}

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

static int corrupt(tw_err *err) {
    return tw_err_set(err, TWILL_CORRUPT, "XX001", "corrupt array value");
}

/* Moves a tw_buf's bytes into the arena as an array value. */
static int finish(tw_buf *b, tw_arena *a, tw_val *out, tw_err *err) {
    char *p = tw_arena_alloc(a, b->len ? b->len : 1);
    if (!p) {
        tw_buf_free(b);
        return nomem(err);
    }
    if (b->len) memcpy(p, b->p, b->len);
    *out = (tw_val){.k = VK_ARRAY, .s = p, .n = b->len};
    tw_buf_free(b);
    return TWILL_OK;
}

static int put_elem(tw_buf *b, tw_buf *tmp, const tw_val *v, uint8_t kind) {
    tw_buf_reset(tmp);
    if (tw_row_encode(tmp, v, &kind, 1) || tw_buf_put_varint(b, tmp->len) ||
        tw_buf_append(b, tmp->p, tmp->len))
        return TWILL_NOMEM;
    return TWILL_OK;
}

int tw_array_elem_put(tw_buf *b, const tw_val *v, int elem_ty) {
    tw_buf tmp = {0};
    int rc = put_elem(b, &tmp, v, (uint8_t)tw_type_kind(elem_ty));
    tw_buf_free(&tmp);
    return rc;
}

int tw_array_build(int elem_ty, const tw_val *vals, size_t n, tw_arena *a, tw_val *out,
                   tw_err *err) {
    tw_buf b = {0}, tmp = {0};
    uint8_t kind = (uint8_t)tw_type_kind(elem_ty);
    int rc = tw_buf_put_u8(&b, (uint8_t)elem_ty) || tw_buf_put_varint(&b, n);
    for (size_t i = 0; i < n && !rc; i++) rc = put_elem(&b, &tmp, &vals[i], kind);
    tw_buf_free(&tmp);
    if (rc) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return finish(&b, a, out, err);
}

int tw_array_open(const tw_val *v, tw_arr_it *it, tw_err *err) {
    if (v->k != VK_ARRAY || v->n < 2) return corrupt(err);
    it->p = (const uint8_t *)v->s + 1;
    it->end = (const uint8_t *)v->s + v->n;
    it->elem_ty = (uint8_t)v->s[0];
    it->kind = (uint8_t)tw_type_kind(it->elem_ty);
    if (tw_get_varint(&it->p, it->end, &it->n)) return corrupt(err);
    it->left = it->n;
    return TWILL_OK;
}

int tw_array_next(tw_arr_it *it, tw_val *out, tw_err *err) {
    if (!it->left) return TWILL_DONE;
    uint64_t l;
    if (tw_get_varint(&it->p, it->end, &l) || l > (uint64_t)(it->end - it->p)) return corrupt(err);
    int rc = tw_row_decode(it->p, (size_t)l, out, &it->kind, 1, err);
    if (rc) return rc;
    it->p += l;
    it->left--;
    return TWILL_ROW;
}

int tw_array_get(const tw_val *v, int64_t i, tw_val *out, tw_err *err) {
    tw_arr_it it;
    int rc = tw_array_open(v, &it, err);
    if (rc) return rc;
    out->k = VK_NULL;
    if (i < 1 || (uint64_t)i > it.n) return TWILL_OK;
    for (int64_t k = 1; k < i; k++) {
        uint64_t l;
        if (tw_get_varint(&it.p, it.end, &l) || l > (uint64_t)(it.end - it.p)) return corrupt(err);
        it.p += l;
        it.left--;
    }
    rc = tw_array_next(&it, out, err);
    return rc == TWILL_ROW ? TWILL_OK : rc;
}

/* ---- text input ---- */

static int is_space(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int malformed(tw_err *err, const char *s, size_t n) {
    return tw_err_set(err, TWILL_ERROR, "22P02", "malformed array literal: \"%.*s\"",
                      (int)(n > 200 ? 200 : n), s);
}

int tw_array_parse(const char *s, size_t n, int elem_ty, tw_arena *a, tw_val *out, tw_err *err) {
    size_t i = 0;
    while (i < n && is_space((unsigned char)s[i])) i++;
    if (i < n && s[i] == '[')
        return tw_err_set(err, TWILL_NOTSUP, "0A000",
                          "array dimension decorations are not supported");
    if (i >= n || s[i] != '{') return malformed(err, s, n);
    i++;
    tw_val *vals = NULL;
    size_t nv = 0, cap = 0;
    char *tmp = tw_arena_alloc(a, n + 1); /* unescaped element text */
    if (!tmp) return nomem(err);
    int rc = TWILL_OK, done = 0;
    while (i < n && is_space((unsigned char)s[i])) i++;
    if (i < n && s[i] == '}') {
        i++;
        done = 1;
    }
    while (!done) {
        while (i < n && is_space((unsigned char)s[i])) i++;
        if (i >= n) goto bad;
        if (s[i] == '{') {
            rc =
                tw_err_set(err, TWILL_NOTSUP, "0A000", "multidimensional arrays are not supported");
            goto out;
        }
        size_t m = 0;
        int quoted = 0, escaped = 0;
        if (s[i] == '"') {
            quoted = 1;
            i++;
            for (;;) {
                if (i >= n) goto bad;
                if (s[i] == '\\') {
                    if (++i >= n) goto bad;
                    tmp[m++] = s[i++];
                } else if (s[i] == '"') {
                    i++;
                    break;
                } else {
                    tmp[m++] = s[i++];
                }
            }
            while (i < n && is_space((unsigned char)s[i])) i++;
        } else {
            size_t keep = 0; /* length up to the last non-space or escaped character */
            for (;;) {
                if (i >= n) goto bad;
                char ch = s[i];
                if (ch == ',' || ch == '}') break;
                if (ch == '"' || ch == '{') goto bad;
                if (ch == '\\') {
                    if (++i >= n) goto bad;
                    tmp[m++] = s[i++];
                    keep = m;
                    escaped = 1;
                } else {
                    tmp[m++] = ch;
                    i++;
                    if (!is_space((unsigned char)ch)) keep = m;
                }
            }
            m = keep;
            if (m == 0 && !escaped) goto bad; /* empty element */
        }
        if (i >= n || (s[i] != ',' && s[i] != '}')) goto bad;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 8;
            tw_val *nvp = tw_arena_alloc(a, nc * sizeof *nvp);
            if (!nvp) {
                rc = nomem(err);
                goto out;
            }
            if (nv) memcpy(nvp, vals, nv * sizeof *nvp);
            vals = nvp;
            cap = nc;
        }
        tw_val *v = &vals[nv++];
        if (!quoted && !escaped && m == 4 && !strncasecmp(tmp, "NULL", 4)) {
            v->k = VK_NULL;
        } else {
            char *copy = tw_arena_strndup(a, tmp, m);
            if (!copy) {
                rc = nomem(err);
                goto out;
            }
            tw_val t = {.k = VK_TEXT, .s = copy, .n = m};
            if ((rc = tw_val_cast(&t, (tw_sqltype){(uint8_t)elem_ty, -1}, 0, a, v, err))) goto out;
        }
        if (s[i++] == '}') done = 1;
    }
    while (i < n && is_space((unsigned char)s[i])) i++;
    if (i != n) goto bad;
    rc = tw_array_build(elem_ty, vals, nv, a, out, err);
    goto out;
bad:
    rc = malformed(err, s, n);
out:
    return rc;
}

/* ---- text output ---- */

int tw_array_out(const tw_val *v, tw_buf *out) {
    tw_arr_it it;
    tw_err err;
    tw_err_clear(&err);
    if (tw_array_open(v, &it, &err)) return TWILL_CORRUPT;
    if (tw_buf_put_u8(out, '{')) return TWILL_NOMEM;
    tw_buf el = {0};
    int rc, first = 1;
    tw_val e;
    while ((rc = tw_array_next(&it, &e, &err)) == TWILL_ROW) {
        if (!first && tw_buf_put_u8(out, ',')) goto nomem;
        first = 0;
        if (e.k == VK_NULL) {
            if (tw_buf_append(out, "NULL", 4)) goto nomem;
            continue;
        }
        tw_buf_reset(&el);
        if (tw_val_out(&e, it.elem_ty == TY_FLOAT4, &el)) goto nomem;
        int q = el.len == 0 || (el.len == 4 && !strncasecmp((const char *)el.p, "NULL", 4));
        for (size_t k = 0; k < el.len && !q; k++) {
            int ch = el.p[k];
            q = ch == '"' || ch == '\\' || ch == '{' || ch == '}' || ch == ',' || is_space(ch);
        }
        if (!q) {
            if (tw_buf_append(out, el.p, el.len)) goto nomem;
            continue;
        }
        if (tw_buf_put_u8(out, '"')) goto nomem;
        for (size_t k = 0; k < el.len; k++) {
            if ((el.p[k] == '"' || el.p[k] == '\\') && tw_buf_put_u8(out, '\\')) goto nomem;
            if (tw_buf_put_u8(out, el.p[k])) goto nomem;
        }
        if (tw_buf_put_u8(out, '"')) goto nomem;
    }
    tw_buf_free(&el);
    if (rc != TWILL_DONE) return rc;
    return tw_buf_put_u8(out, '}');
nomem:
    tw_buf_free(&el);
    return TWILL_NOMEM;
}

/* ---- casts and comparison ---- */

int tw_array_cast(const tw_val *v, tw_sqltype t, int assign, tw_arena *a, tw_val *out,
                  tw_err *err) {
    int et = (int)t.mod;
    if (v->k == VK_TEXT) return tw_array_parse(v->s, v->n, et, a, out, err);
    if (v->k != VK_ARRAY) {
        char nb[64];
        return tw_err_set(err, TWILL_ERROR, assign ? "42804" : "42846",
                          assign ? "column is of type %s but expression is of type %s"
                                 : "cannot cast type %2$s to %1$s",
                          tw_type_name(t, nb, sizeof nb), tw_kind_name(v->k));
    }
    tw_arr_it it;
    int rc = tw_array_open(v, &it, err);
    if (rc) return rc;
    if (it.elem_ty == et) {
        *out = *v;
        return TWILL_OK;
    }
    tw_val *vals = tw_arena_alloc(a, (it.n ? it.n : 1) * sizeof *vals);
    if (!vals) return nomem(err);
    tw_val e;
    size_t k = 0;
    while ((rc = tw_array_next(&it, &e, err)) == TWILL_ROW)
        if ((rc = tw_val_cast(&e, (tw_sqltype){(uint8_t)et, -1}, assign, a, &vals[k++], err)))
            return rc;
    if (rc != TWILL_DONE) return rc;
    return tw_array_build(et, vals, k, a, out, err);
}

int tw_array_cmp(const tw_val *a, const tw_val *b, int *res, tw_err *err) {
    tw_arr_it x, y;
    int rc;
    if ((rc = tw_array_open(a, &x, err)) || (rc = tw_array_open(b, &y, err))) return rc;
    for (;;) {
        tw_val u, v;
        int ra = tw_array_next(&x, &u, err), rb = tw_array_next(&y, &v, err);
        if (ra != TWILL_ROW && ra != TWILL_DONE) return ra;
        if (rb != TWILL_ROW && rb != TWILL_DONE) return rb;
        if (ra == TWILL_DONE || rb == TWILL_DONE) {
            *res = ra == rb ? 0 : ra == TWILL_DONE ? -1 : 1;
            return TWILL_OK;
        }
        if (u.k == VK_NULL || v.k == VK_NULL) {
            /* NULL elements equal each other and sort after every value */
            if (u.k != v.k) {
                *res = u.k == VK_NULL ? 1 : -1;
                return TWILL_OK;
            }
            continue;
        }
        if ((rc = tw_val_cmp(&u, &v, res, err))) return rc;
        if (*res) return TWILL_OK;
    }
}

/* ---- functions and operators ---- */

#include "sql/func.h"

/* ARRAY[...]: args[0] is the element type (a constant the analyzer adds), then the
 * elements, each converted to it. */
static int fn_array(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    int et = (int)a[0].i;
    tw_sqltype t = {(uint8_t)et, -1};
    tw_val *vals = tw_arena_alloc(c->arena, (size_t)(n > 1 ? n - 1 : 1) * sizeof *vals);
    if (!vals) return nomem(err);
    for (int i = 1; i < n; i++) {
        int rc = tw_val_cast(&a[i], t, 0, c->arena, &vals[i - 1], err);
        if (rc) return rc;
    }
    return tw_array_build(et, vals, (size_t)(n - 1), c->arena, out, err);
}

static int fn_subscript(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return tw_array_get(&a[0], a[1].i, out, err);
}

static int count_of(const tw_val *v, uint64_t *n, tw_err *err) {
    tw_arr_it it;
    int rc = tw_array_open(v, &it, err);
    *n = rc ? 0 : it.n;
    return rc;
}

/* array_length(a, dim), array_upper(a, dim): NULL for an empty array or another
 * dimension; array_lower: 1. */
static int dim_fn(const tw_val *a, int which, tw_val *out, tw_err *err) {
    uint64_t k;
    int rc = count_of(&a[0], &k, err);
    if (rc) return rc;
    if (k == 0 || a[1].i != 1) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    *out = (tw_val){.k = VK_INT, .i = which == 0 ? 1 : (int64_t)k};
    return TWILL_OK;
}

static int fn_array_length(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return dim_fn(a, 1, out, err);
}

static int fn_array_lower(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return dim_fn(a, 0, out, err);
}

static int fn_cardinality(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    uint64_t k;
    int rc = count_of(&a[0], &k, err);
    if (!rc) *out = (tw_val){.k = VK_INT, .i = (int64_t)k};
    return rc;
}

/* array_to_string(a, delimiter [, null_string]): NULL elements are skipped unless a
 * null_string is given. */
static int fn_array_to_string(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (a[0].k == VK_NULL || a[1].k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    int with_null = n > 2 && a[2].k != VK_NULL;
    tw_arr_it it;
    int rc = tw_array_open(&a[0], &it, err), first = 1;
    if (rc) return rc;
    tw_buf b = {0};
    tw_val e;
    while ((rc = tw_array_next(&it, &e, err)) == TWILL_ROW) {
        if (e.k == VK_NULL && !with_null) continue;
        if (!first && tw_buf_append(&b, a[1].s, a[1].n)) goto nomem;
        first = 0;
        if (e.k == VK_NULL ? tw_buf_append(&b, a[2].s, a[2].n)
                           : tw_val_out(&e, it.elem_ty == TY_FLOAT4, &b))
            goto nomem;
    }
    if (rc != TWILL_DONE) {
        tw_buf_free(&b);
        return rc;
    }
    rc = tw_func_text(c, b.len ? (const char *)b.p : "", b.len, out, err);
    tw_buf_free(&b);
    return rc;
nomem:
    tw_buf_free(&b);
    return nomem(err);
}

/* x op ANY (array) / x op ALL (array), with SQL's three-valued logic: an empty array
 * gives false (ANY) or true (ALL) whatever x is. */
static int quantified(const tw_val *a, int op, int all, tw_val *out, tw_err *err) {
    if (a[1].k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    tw_arr_it it;
    int rc = tw_array_open(&a[1], &it, err), saw_null = 0;
    if (rc) return rc;
    tw_val e;
    while ((rc = tw_array_next(&it, &e, err)) == TWILL_ROW) {
        if (a[0].k == VK_NULL || e.k == VK_NULL) {
            saw_null = 1;
            continue;
        }
        int r;
        if ((rc = tw_val_cmp(&a[0], &e, &r, err))) return rc;
        int t = op == 0   ? r == 0
                : op == 1 ? r != 0
                : op == 2 ? r < 0
                : op == 3 ? r <= 0
                : op == 4 ? r > 0
                          : r >= 0;
        if (t != all) {
            /* ANY found a true, ALL found a false: decided */
            *out = (tw_val){.k = VK_BOOL, .i = !all};
            return TWILL_OK;
        }
    }
    if (rc != TWILL_DONE) return rc;
    if (saw_null)
        out->k = VK_NULL;
    else
        *out = (tw_val){.k = VK_BOOL, .i = all};
    return TWILL_OK;
}

#define QFN(nm, op, all)                                                                           \
    static int nm(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {               \
        (void)n, (void)c;                                                                          \
        return quantified(a, op, all, out, err);                                                   \
    }
QFN(any_eq, 0, 0)
QFN(any_ne, 1, 0)
QFN(any_lt, 2, 0)
QFN(any_le, 3, 0)
QFN(any_gt, 4, 0)
QFN(any_ge, 5, 0)
QFN(all_eq, 0, 1)
QFN(all_ne, 1, 1)
QFN(all_lt, 2, 1)
QFN(all_le, 3, 1)
QFN(all_gt, 4, 1)
QFN(all_ge, 5, 1)

/* The element bytes of an array value (after its header). */
static int body_of(const tw_val *v, tw_arr_it *it, tw_err *err) {
    return tw_array_open(v, it, err);
}

/* Builds header(et, n) + the given element byte runs. */
static int assemble(int et, uint64_t n, const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2,
                    tw_arena *a, tw_val *out, tw_err *err) {
    tw_buf b = {0};
    if (tw_buf_put_u8(&b, (uint8_t)et) || tw_buf_put_varint(&b, n) || tw_buf_append(&b, p1, l1) ||
        tw_buf_append(&b, p2, l2)) {
        tw_buf_free(&b);
        return nomem(err);
    }
    return finish(&b, a, out, err);
}

/* array_cat(a, b) / a || b: a NULL side gives the other. */
static int fn_array_cat(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (a[0].k == VK_NULL || a[1].k == VK_NULL) {
        *out = a[0].k == VK_NULL ? a[1] : a[0];
        return TWILL_OK;
    }
    tw_arr_it x, y;
    int rc;
    if ((rc = body_of(&a[0], &x, err)) || (rc = body_of(&a[1], &y, err))) return rc;
    return assemble(x.elem_ty, x.n + y.n, x.p, (size_t)(x.end - x.p), y.p, (size_t)(y.end - y.p),
                    c->arena, out, err);
}

/* array_append(a, e) / array_prepend(e, a): the element converted to the array's type; a
 * NULL array is an empty one. */
static int add_elem(const tw_val *arr, const tw_val *e, int prepend, int et, tw_evalctx *c,
                    tw_val *out, tw_err *err) {
    tw_arr_it x = {0};
    int rc;
    if (arr->k != VK_NULL) {
        if ((rc = body_of(arr, &x, err))) return rc;
        et = x.elem_ty;
    }
    tw_val ev;
    if ((rc = tw_val_cast(e, (tw_sqltype){(uint8_t)et, -1}, 0, c->arena, &ev, err))) return rc;
    tw_buf eb = {0};
    if (tw_array_elem_put(&eb, &ev, et)) {
        tw_buf_free(&eb);
        return nomem(err);
    }
    size_t bl = arr->k != VK_NULL ? (size_t)(x.end - x.p) : 0;
    const uint8_t *bp = arr->k != VK_NULL ? x.p : NULL;
    rc = prepend ? assemble(et, x.n + 1, eb.p, eb.len, bp, bl, c->arena, out, err)
                 : assemble(et, x.n + 1, bp, bl, eb.p, eb.len, c->arena, out, err);
    tw_buf_free(&eb);
    return rc;
}

/* The || forms carry the array type's element type as a leading constant (for a NULL
 * array); array_append(a, e) called by name gives NULL for a NULL array. */
static int fn_append_op(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return add_elem(&a[1], &a[2], 0, (int)a[0].i, c, out, err);
}

static int fn_prepend_op(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return add_elem(&a[2], &a[1], 1, (int)a[0].i, c, out, err);
}

/* array_append(a, e) by name: for a NULL array the element's kind names the type (the
 * text forms of all integer widths are the same). */
static int fn_array_append(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    static const struct {
        uint8_t k, ty;
    } kt[] = {{VK_BOOL, TY_BOOL},    {VK_INT, TY_INT8},         {VK_FLOAT, TY_FLOAT8},
              {VK_BYTEA, TY_BYTEA},  {VK_NUMERIC, TY_NUMERIC},  {VK_DATE, TY_DATE},
              {VK_TS, TY_TIMESTAMP}, {VK_TSTZ, TY_TIMESTAMPTZ}, {VK_INTERVAL, TY_INTERVAL},
              {VK_UUID, TY_UUID},    {VK_JSON, TY_JSON},        {VK_JSONB, TY_JSONB}};
    int et = TY_TEXT;
    for (size_t i = 0; i < sizeof kt / sizeof kt[0]; i++)
        if (kt[i].k == a[1].k) et = kt[i].ty;
    return add_elem(&a[0], &a[1], 0, et, c, out, err);
}

/* Elements compared as IS NOT DISTINCT FROM (array_position, array_remove). */
static int same_elem(const tw_val *x, const tw_val *y, int *same, tw_err *err) {
    if (x->k == VK_NULL || y->k == VK_NULL) {
        *same = x->k == y->k;
        return TWILL_OK;
    }
    int r, rc = tw_val_cmp(x, y, &r, err);
    *same = !rc && r == 0;
    return rc;
}

static int fn_array_position(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    out->k = VK_NULL;
    if (a[0].k == VK_NULL) return TWILL_OK;
    tw_arr_it it;
    int rc = tw_array_open(&a[0], &it, err);
    if (rc) return rc;
    tw_val e, want;
    if ((rc = tw_val_cast(&a[1], (tw_sqltype){(uint8_t)it.elem_ty, -1}, 0, c->arena, &want, err)))
        return rc;
    for (int64_t i = 1; (rc = tw_array_next(&it, &e, err)) == TWILL_ROW; i++) {
        int same;
        if ((rc = same_elem(&e, &want, &same, err))) return rc;
        if (same) {
            *out = (tw_val){.k = VK_INT, .i = i};
            return TWILL_OK;
        }
    }
    return rc == TWILL_DONE ? TWILL_OK : rc;
}

static int fn_array_remove(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (a[0].k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    tw_arr_it it;
    int rc = tw_array_open(&a[0], &it, err);
    if (rc) return rc;
    tw_val e, want;
    if ((rc = tw_val_cast(&a[1], (tw_sqltype){(uint8_t)it.elem_ty, -1}, 0, c->arena, &want, err)))
        return rc;
    tw_val *vals = tw_arena_alloc(c->arena, (it.n ? it.n : 1) * sizeof *vals);
    if (!vals) return nomem(err);
    size_t k = 0;
    while ((rc = tw_array_next(&it, &e, err)) == TWILL_ROW) {
        int same;
        if ((rc = same_elem(&e, &want, &same, err))) return rc;
        if (!same) vals[k++] = e;
    }
    if (rc != TWILL_DONE) return rc;
    return tw_array_build(it.elem_ty, vals, k, c->arena, out, err);
}

/* Is every non-NULL... element of sub equal to some element of sup? (PostgreSQL: a NULL
 * element matches nothing.) With any = 1: does some element of sub occur in sup? */
static int contains(const tw_val *sup, const tw_val *sub, int any, int *res, tw_err *err) {
    tw_arr_it x, y;
    tw_val u, v;
    int rc;
    if ((rc = tw_array_open(sub, &y, err))) return rc;
    *res = !any;
    while ((rc = tw_array_next(&y, &v, err)) == TWILL_ROW) {
        int found = 0;
        if (v.k != VK_NULL) {
            if ((rc = tw_array_open(sup, &x, err))) return rc;
            while (!found && (rc = tw_array_next(&x, &u, err)) == TWILL_ROW) {
                int r, crc;
                if (u.k == VK_NULL) continue;
                if ((crc = tw_val_cmp(&u, &v, &r, err))) return crc;
                found = r == 0;
            }
            if (rc != TWILL_ROW && rc != TWILL_DONE) return rc;
        }
        if (any && found) {
            *res = 1;
            return TWILL_OK;
        }
        if (!any && !found) {
            *res = 0;
            return TWILL_OK;
        }
    }
    return rc == TWILL_DONE ? TWILL_OK : rc;
}

static int op_contains(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int r, rc = contains(&a[0], &a[1], 0, &r, err);
    if (!rc) *out = (tw_val){.k = VK_BOOL, .i = r};
    return rc;
}

static int op_contained(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int r, rc = contains(&a[1], &a[0], 0, &r, err);
    if (!rc) *out = (tw_val){.k = VK_BOOL, .i = r};
    return rc;
}

static int op_overlap(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int r, rc = contains(&a[0], &a[1], 1, &r, err);
    if (!rc) *out = (tw_val){.k = VK_BOOL, .i = r};
    return rc;
}

/* Names with brackets or spaces are the analyzer's internal entries (not callable by
 * name from SQL: such a name would need quoting). */
const tw_func tw_funcs_array[] = {
    {"array[]", "a*", TY_ARRAY, 0, fn_array},
    {"[]", "Ai", TW_RET_ELEM0, TW_FN_STRICT, fn_subscript},
    {"= any", "aA", TY_BOOL, 0, any_eq},
    {"<> any", "aA", TY_BOOL, 0, any_ne},
    {"< any", "aA", TY_BOOL, 0, any_lt},
    {"<= any", "aA", TY_BOOL, 0, any_le},
    {"> any", "aA", TY_BOOL, 0, any_gt},
    {">= any", "aA", TY_BOOL, 0, any_ge},
    {"= all", "aA", TY_BOOL, 0, all_eq},
    {"<> all", "aA", TY_BOOL, 0, all_ne},
    {"< all", "aA", TY_BOOL, 0, all_lt},
    {"<= all", "aA", TY_BOOL, 0, all_le},
    {"> all", "aA", TY_BOOL, 0, all_gt},
    {">= all", "aA", TY_BOOL, 0, all_ge},
    {"array_length", "Ai", TY_INT4, TW_FN_STRICT, fn_array_length},
    {"array_upper", "Ai", TY_INT4, TW_FN_STRICT, fn_array_length},
    {"array_lower", "Ai", TY_INT4, TW_FN_STRICT, fn_array_lower},
    {"cardinality", "A", TY_INT4, TW_FN_STRICT, fn_cardinality},
    {"array_to_string", "At|t", TY_TEXT, 0, fn_array_to_string},
    {"array_cat", "AA", TW_RET_ARG0, 0, fn_array_cat},
    {"array_append", "Aa", TW_RET_ARG0, 0, fn_array_append},
    {"|| append", "iAa", TY_ARRAY, 0, fn_append_op},
    {"|| prepend", "iaA", TY_ARRAY, 0, fn_prepend_op},
    {"array_position", "Aa", TY_INT4, 0, fn_array_position},
    {"array_remove", "Aa", TW_RET_ARG0, 0, fn_array_remove},
    {"@>", "AA", TY_BOOL, TW_FN_STRICT, op_contains},
    {"<@", "AA", TY_BOOL, TW_FN_STRICT, op_contained},
    {"&&", "AA", TY_BOOL, TW_FN_STRICT, op_overlap},
    {NULL, NULL, 0, 0, NULL},
};
