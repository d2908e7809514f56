#include "sql/value.h"

#include "sql/array.h"
#include "sql/datetime.h"
#include "sql/json.h"
#include "sql/numeric.h"
#include "sql/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tw_type_kind(int ty) {
    switch (ty) {
    case TY_BOOL:
        return VK_BOOL;
    case TY_INT2:
    case TY_INT4:
    case TY_INT8:
        return VK_INT;
    case TY_FLOAT4:
    case TY_FLOAT8:
        return VK_FLOAT;
    case TY_BYTEA:
        return VK_BYTEA;
    case TY_NUMERIC:
        return VK_NUMERIC;
    case TY_DATE:
        return VK_DATE;
    case TY_TIMESTAMP:
        return VK_TS;
    case TY_TIMESTAMPTZ:
        return VK_TSTZ;
    case TY_INTERVAL:
        return VK_INTERVAL;
    case TY_UUID:
        return VK_UUID;
    case TY_JSON:
        return VK_JSON;
    case TY_JSONB:
        return VK_JSONB;
    case TY_ARRAY:
        return VK_ARRAY;
    default:
        return VK_TEXT;
    }
}

int tw_type_abi(int ty) {
    switch (ty) {
    case TY_BOOL:
        return TWILL_TYPE_BOOL;
    case TY_INT2:
    case TY_INT4:
    case TY_INT8:
        return TWILL_TYPE_INT64;
    case TY_FLOAT4:
    case TY_FLOAT8:
        return TWILL_TYPE_DOUBLE;
    case TY_BYTEA:
        return TWILL_TYPE_BLOB;
    default:
        return TWILL_TYPE_TEXT;
    }
}

const char *tw_type_name(tw_sqltype t, char *buf, size_t cap) {
    const char *n = "unknown";
    switch (t.ty) {
    case TY_BOOL:
        n = "boolean";
        break;
    case TY_INT2:
        n = "smallint";
        break;
    case TY_INT4:
        n = "integer";
        break;
    case TY_INT8:
        n = "bigint";
        break;
    case TY_FLOAT4:
        n = "real";
        break;
    case TY_FLOAT8:
        n = "double precision";
        break;
    case TY_TEXT:
        n = "text";
        break;
    case TY_VARCHAR:
        n = "character varying";
        break;
    case TY_CHAR:
        n = "character";
        break;
    case TY_BYTEA:
        n = "bytea";
        break;
    case TY_NUMERIC:
        n = "numeric";
        break;
    case TY_DATE:
        n = "date";
        break;
    case TY_TIMESTAMP:
        n = "timestamp without time zone";
        break;
    case TY_TIMESTAMPTZ:
        n = "timestamp with time zone";
        break;
    case TY_INTERVAL:
        n = "interval";
        break;
    case TY_UUID:
        n = "uuid";
        break;
    case TY_JSON:
        n = "json";
        break;
    case TY_JSONB:
        n = "jsonb";
        break;
    case TY_ARRAY: {
        /* integer[], character varying[], ... */
        char eb[64];
        tw_type_name((tw_sqltype){(uint8_t)t.mod, -1}, eb, sizeof eb);
        snprintf(buf, cap, "%s[]", eb);
        return buf;
    }
    }
    if ((t.ty == TY_VARCHAR || t.ty == TY_CHAR) && t.mod >= 0)
        snprintf(buf, cap, "%s(%d)", n, (int)t.mod);
    else if (t.ty == TY_NUMERIC && t.mod >= 0)
        snprintf(buf, cap, "numeric(%d,%d)", (int)(t.mod >> 16), (int)(t.mod & 0xffff));
    else
        snprintf(buf, cap, "%s", n);
    return buf;
}

static const char *int_name(int ty) {
    return ty == TY_INT2 ? "smallint" : ty == TY_INT4 ? "integer" : "bigint";
}

int tw_int_check(int64_t v, int ty, tw_err *err) {
    if ((ty == TY_INT2 && (v < INT16_MIN || v > INT16_MAX)) ||
        (ty == TY_INT4 && (v < INT32_MIN || v > INT32_MAX)))
        return tw_err_set(err, TWILL_ERROR, "22003", "%s out of range", int_name(ty));
    return TWILL_OK;
}

/* Trims PostgreSQL-style surrounding whitespace. */
static void trim(const char **s, size_t *n) {
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int bad_input(tw_err *err, const char *tname, const char *s, size_t n) {
    return tw_err_set(err, TWILL_ERROR, "22P02", "invalid input syntax for type %s: \"%.*s\"",
                      tname, (int)(n > 200 ? 200 : n), s);
}

int tw_parse_int(const char *s0, size_t n0, int ty, int64_t *out, tw_err *err) {
    const char *s = s0;
    size_t n = n0;
    trim(&s, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == n) return bad_input(err, int_name(ty), s0, n0);
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int overflow = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return bad_input(err, int_name(ty), s0, n0);
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (lim - d) / 10)
            overflow = 1;
        else
            acc = acc * 10 + d;
    }
    int64_t v = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
    if (overflow || tw_int_check(v, ty, NULL))
        return tw_err_set(err, TWILL_ERROR, "22003", "value \"%.*s\" is out of range for type %s",
                          (int)(n0 > 200 ? 200 : n0), s0, int_name(ty));
    *out = v;
    return TWILL_OK;
}

int tw_parse_float(const char *s0, size_t n0, int ty, double *out, tw_err *err) {
    const char *tn = ty == TY_FLOAT4 ? "real" : "double precision";
    const char *s = s0;
    size_t n = n0;
    trim(&s, &n);
    char tmp[128];
    if (n == 0 || n >= sizeof tmp) return bad_input(err, tn, s0, n0);
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    const char *p = tmp;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    double v;
    if (!strcasecmp(p, "nan") && p == tmp) {
        v = NAN;
    } else if (!strcasecmp(p, "infinity") || !strcasecmp(p, "inf")) {
        v = neg ? -INFINITY : INFINITY;
    } else {
        /* strtod accepts hex and "nan(...)"; PostgreSQL does not. */
        for (const char *q = p; *q; q++)
            if (!(isdigit((unsigned char)*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
                  *q == '-'))
                return bad_input(err, tn, s0, n0);
        char *end;
        errno = 0;
        v = strtod(tmp, &end);
        if (end == tmp || *end) return bad_input(err, tn, s0, n0);
        if (errno == ERANGE && (isinf(v) || v != 0))
            return tw_err_set(err, TWILL_ERROR, "22003", "\"%s\" is out of range for type %s", tmp,
                              tn);
    }
    if (ty == TY_FLOAT4 && isfinite(v)) {
        if (fabs(v) > FLT_MAX)
            return tw_err_set(err, TWILL_ERROR, "22003", "\"%s\" is out of range for type real",
                              tmp);
        v = (float)v;
    }
    *out = v;
    return TWILL_OK;
}

int tw_parse_bool(const char *s0, size_t n0, int *out, tw_err *err) {
    const char *s = s0;
    size_t n = n0;
    trim(&s, &n);
    static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"};
    static const char *const no[] = {"f", "false", "n", "no", "off", "0"};
    for (size_t i = 0; i < 6; i++) {
        if (n == strlen(yes[i]) && !strncasecmp(s, yes[i], n)) return *out = 1, TWILL_OK;
        if (n == strlen(no[i]) && !strncasecmp(s, no[i], n)) return *out = 0, TWILL_OK;
    }
    return bad_input(err, "boolean", s0, n0);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_bytea(const char *s, size_t n, tw_arena *a, tw_val *out, tw_err *err) {
    char *o = tw_arena_alloc(a, n + 1);
    if (!o) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    size_t m = 0;
    if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
        for (size_t i = 2; i < n;) {
            if (isspace((unsigned char)s[i])) {
                i++;
                continue;
            }
            int h = hexval((unsigned char)s[i]);
            if (h < 0)
                return tw_err_set(err, TWILL_ERROR, "22023", "invalid hexadecimal digit: \"%c\"",
                                  s[i]);
            if (i + 1 >= n)
                return tw_err_set(err, TWILL_ERROR, "22023",
                                  "invalid hexadecimal data: odd number of digits");
            int l = hexval((unsigned char)s[i + 1]);
            if (l < 0)
                return tw_err_set(err, TWILL_ERROR, "22023", "invalid hexadecimal digit: \"%c\"",
                                  s[i + 1]);
            o[m++] = (char)(h << 4 | l);
            i += 2;
        }
    } else {
        for (size_t i = 0; i < n;) {
            if (s[i] != '\\') {
                o[m++] = s[i++];
            } else if (i + 1 < n && s[i + 1] == '\\') {
                o[m++] = '\\';
                i += 2;
            } else if (i + 3 < n + 0 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                       s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                o[m++] = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
                i += 4;
            } else {
                return tw_err_set(err, TWILL_ERROR, "22P02", "invalid input syntax for type bytea");
            }
        }
    }
    out->k = VK_BYTEA;
    out->s = o;
    out->n = m;
    return TWILL_OK;
}

/* Number of characters (UTF-8 code points) in s. */
static size_t utf8_len(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte length of the first `chars` characters of s. */
static size_t utf8_prefix(const char *s, size_t n, size_t chars) {
    size_t i = 0, c = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == chars) break;
            c++;
        }
        i++;
    }
    return i;
}

static int to_text(const tw_val *v, tw_sqltype t, int assign, tw_arena *a, tw_val *out,
                   tw_err *err) {
    tw_val r = *v;
    if (v->k != VK_TEXT) {
        char tmp[64];
        const char *s = tmp;
        size_t n;
        tw_buf b = {0};
        if (v->k == VK_BOOL) {
            s = v->i ? "true" : "false";
            n = strlen(s);
        } else if (v->k == VK_BYTEA) {
            if (tw_val_out(v, 0, &b)) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            s = (const char *)b.p;
            n = b.len;
        } else if (v->k == VK_INT) {
            n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
        } else if (v->k == VK_NUMERIC || vk_is_datetime(v->k) || v->k >= VK_INTERVAL) {
            if (tw_val_out(v, 0, &b)) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            s = (const char *)b.p;
            n = b.len;
        } else {
            tw_float_out(v->d, 0, tmp, sizeof tmp);
            n = strlen(tmp);
        }
        char *c = tw_arena_strndup(a, s, n);
        tw_buf_free(&b);
        if (!c) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        r.k = VK_TEXT;
        r.s = c;
        r.n = n;
    }
    if ((t.ty == TY_VARCHAR || t.ty == TY_CHAR) && t.mod >= 0) {
        size_t chars = utf8_len(r.s, r.n);
        if (chars > (size_t)t.mod) {
            size_t keep = utf8_prefix(r.s, r.n, (size_t)t.mod);
            int only_spaces = 1;
            for (size_t i = keep; i < r.n; i++) only_spaces &= r.s[i] == ' ';
            if (assign && !only_spaces) {
                char nb[64];
                return tw_err_set(err, TWILL_ERROR, "22001", "value too long for type %s",
                                  tw_type_name(t, nb, sizeof nb));
            }
            r.n = keep;
        } else if (t.ty == TY_CHAR && chars < (size_t)t.mod) {
            size_t pad = (size_t)t.mod - chars;
            char *c = tw_arena_alloc(a, r.n + pad + 1);
            if (!c) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            memcpy(c, r.s, r.n);
            memset(c + r.n, ' ', pad);
            c[r.n + pad] = '\0';
            r.s = c;
            r.n += pad;
        }
    }
    *out = r;
    return TWILL_OK;
}

int tw_val_cast(const tw_val *v, tw_sqltype t, int assign, tw_arena *a, tw_val *out, tw_err *err) {
    if (v->k == VK_NULL || t.ty == TY_UNKNOWN) {
        *out = *v;
        return TWILL_OK;
    }
    char nb[64];
    if (v->k == VK_JSONB && !assign && (ty_is_num(t.ty) || t.ty == TY_BOOL))
        return tw_jsonb_cast(v, t, a, out, err);
    switch (t.ty) {
    case TY_INT2:
    case TY_INT4:
    case TY_INT8:
        out->k = VK_INT;
        switch (v->k) {
        case VK_INT:
            out->i = v->i;
            return tw_int_check(v->i, t.ty, err);
        case VK_FLOAT: {
            double r = rint(v->d);
            if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
                return tw_err_set(err, TWILL_ERROR, "22003", "%s out of range", int_name(t.ty));
            out->i = (int64_t)r;
            return tw_int_check(out->i, t.ty, err);
        }
        case VK_BOOL:
            if (assign) break;
            out->i = v->i;
            return TWILL_OK;
        case VK_TEXT:
            return tw_parse_int(v->s, v->n, t.ty, &out->i, err);
        case VK_NUMERIC:
            return tw_num_to_int(tw_num_get(v), t.ty, &out->i, err);
        }
        break;
    case TY_FLOAT4:
    case TY_FLOAT8:
        out->k = VK_FLOAT;
        switch (v->k) {
        case VK_INT:
            out->d = (double)v->i;
            break;
        case VK_FLOAT:
            out->d = v->d;
            break;
        case VK_TEXT:
            return tw_parse_float(v->s, v->n, t.ty, &out->d, err);
        case VK_NUMERIC:
            tw_num_to_double(tw_num_get(v), &out->d);
            break;
        default:
            goto bad;
        }
        if (t.ty == TY_FLOAT4 && isfinite(out->d)) {
            if (fabs(out->d) > FLT_MAX)
                return tw_err_set(err, TWILL_ERROR, "22003", "value out of range: overflow");
            out->d = (float)out->d;
        }
        return TWILL_OK;
    case TY_BOOL:
        out->k = VK_BOOL;
        switch (v->k) {
        case VK_BOOL:
            out->i = v->i;
            return TWILL_OK;
        case VK_INT:
            if (assign) break;
            out->i = v->i != 0;
            return TWILL_OK;
        case VK_TEXT: {
            int b;
            int rc = tw_parse_bool(v->s, v->n, &b, err);
            out->i = b;
            return rc;
        }
        }
        break;
    case TY_BYTEA:
        if (v->k == VK_BYTEA) {
            *out = *v;
            return TWILL_OK;
        }
        if (v->k == VK_TEXT) return parse_bytea(v->s, v->n, a, out, err);
        break;
    case TY_NUMERIC: {
        tw_num n;
        int rc;
        switch (v->k) {
        case VK_NUMERIC:
            n = tw_num_get(v);
            rc = TWILL_OK;
            break;
        case VK_INT:
            n = tw_num_from_int(v->i);
            rc = TWILL_OK;
            break;
        case VK_FLOAT:
            rc = tw_num_from_double(v->d, &n, err);
            break;
        case VK_TEXT:
            rc = tw_num_parse(v->s, v->n, &n, err);
            break;
        default:
            goto bad;
        }
        if (!rc) rc = tw_num_apply_typmod(n, t.mod, &n, err);
        if (!rc) tw_num_set(out, n);
        return rc;
    }
    case TY_DATE:
    case TY_TIMESTAMP:
    case TY_TIMESTAMPTZ: {
        int k = tw_type_kind(t.ty);
        out->k = (uint8_t)k;
        if (v->k == VK_TEXT) return tw_dt_parse(v->s, v->n, k, &out->i, err);
        if (vk_is_datetime(v->k)) return tw_dt_convert(v->i, v->k, k, &out->i, err);
        break;
    }
    case TY_INTERVAL:
        if (v->k == VK_INTERVAL) {
            *out = *v;
            return TWILL_OK;
        }
        if (v->k == VK_TEXT) {
            tw_iv iv;
            int rc = tw_iv_parse(v->s, v->n, &iv, err);
            if (!rc) tw_iv_set(out, iv);
            return rc;
        }
        break;
    case TY_UUID:
        if (v->k == VK_UUID) {
            *out = *v;
            return TWILL_OK;
        }
        if (v->k == VK_TEXT) {
            out->k = VK_UUID;
            return tw_uuid_parse(v->s, v->n, out->uuid, err);
        }
        break;
    case TY_ARRAY:
        if (v->k == VK_ARRAY || v->k == VK_TEXT) return tw_array_cast(v, t, assign, a, out, err);
        break;
    case TY_JSON:
        if (v->k == VK_JSON || v->k == VK_JSONB) {
            *out = *v;
            out->k = VK_JSON;
            return TWILL_OK;
        }
        if (v->k == VK_TEXT) {
            int rc = tw_json_check(v->s, v->n, err);
            if (rc) return rc;
            *out = *v;
            out->k = VK_JSON;
            return TWILL_OK;
        }
        break;
    case TY_JSONB:
        if (v->k == VK_JSONB) {
            *out = *v;
            return TWILL_OK;
        }
        if (v->k == VK_TEXT || v->k == VK_JSON) return tw_jsonb_from_text(v->s, v->n, a, out, err);
        break;
    default: /* text flavours: everything has a text form */
        if (assign && v->k != VK_TEXT && v->k != VK_INT && v->k != VK_FLOAT && v->k != VK_NUMERIC &&
            !vk_is_datetime(v->k) && v->k < VK_INTERVAL)
            break;
        return to_text(v, t, assign, a, out, err);
    }
bad:;
    return tw_err_set(err, TWILL_ERROR, assign ? "42804" : "42846",
                      assign ? "column is of type %s but expression is of type %s"
                             : "cannot cast type %2$s to %1$s",
                      tw_type_name(t, nb, sizeof nb), tw_kind_name(v->k));
}

static int cmp_double(double a, double b) {
    /* PostgreSQL: NaN equals NaN and sorts above every other value. */
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return a < b ? -1 : a > b;
}

const char *tw_kind_name(int k) {
    static const char *const kn[] = {"unknown",
                                     "boolean",
                                     "bigint",
                                     "double precision",
                                     "text",
                                     "bytea",
                                     "numeric",
                                     "date",
                                     "timestamp without time zone",
                                     "timestamp with time zone",
                                     "interval",
                                     "uuid",
                                     "json",
                                     "jsonb",
                                     "anyarray"};
    return k >= 0 && k < (int)(sizeof kn / sizeof kn[0]) ? kn[k] : "unknown";
}

int tw_val_cmp(const tw_val *a, const tw_val *b, int *res, tw_err *err) {
    if (vk_is_datetime(a->k) && vk_is_datetime(b->k)) {
        *res = tw_dt_cmp(a->i, a->k, b->i, b->k);
        return TWILL_OK;
    }
    if (a->k == b->k) {
        switch (a->k) {
        case VK_INT:
        case VK_BOOL:
            *res = a->i < b->i ? -1 : a->i > b->i;
            return TWILL_OK;
        case VK_FLOAT:
            *res = cmp_double(a->d, b->d);
            return TWILL_OK;
        case VK_NUMERIC:
            *res = tw_num_cmp(tw_num_get(a), tw_num_get(b));
            return TWILL_OK;
        case VK_INTERVAL: {
            __int128 x = tw_iv_span(tw_iv_get(a)), y = tw_iv_span(tw_iv_get(b));
            *res = x < y ? -1 : x > y;
            return TWILL_OK;
        }
        case VK_UUID: {
            int c = memcmp(a->uuid, b->uuid, 16);
            *res = c < 0 ? -1 : c > 0;
            return TWILL_OK;
        }
        case VK_ARRAY:
            return tw_array_cmp(a, b, res, err);
        case VK_JSONB:
            return tw_jsonb_cmp(a, b, res, err);
        case VK_TEXT:
        case VK_BYTEA: {
            size_t m = a->n < b->n ? a->n : b->n;
            int c = m ? memcmp(a->s, b->s, m) : 0;
            *res = c ? (c < 0 ? -1 : 1) : (a->n < b->n ? -1 : a->n > b->n);
            return TWILL_OK;
        }
        }
    }
    if (a->k == VK_INT && b->k == VK_FLOAT) {
        *res = cmp_double((double)a->i, b->d);
        return TWILL_OK;
    }
    if (a->k == VK_FLOAT && b->k == VK_INT) {
        *res = cmp_double(a->d, (double)b->i);
        return TWILL_OK;
    }
    /* numeric meets an integer exactly and a float as float8, as PostgreSQL casts */
    if ((a->k == VK_NUMERIC && (b->k == VK_INT || b->k == VK_FLOAT)) ||
        (b->k == VK_NUMERIC && (a->k == VK_INT || a->k == VK_FLOAT))) {
        const tw_val *x[2] = {a, b};
        if (a->k == VK_FLOAT || b->k == VK_FLOAT) {
            double d[2];
            for (int i = 0; i < 2; i++)
                if (x[i]->k == VK_NUMERIC)
                    tw_num_to_double(tw_num_get(x[i]), &d[i]);
                else
                    d[i] = x[i]->d;
            *res = cmp_double(d[0], d[1]);
        } else {
            tw_num n[2];
            for (int i = 0; i < 2; i++)
                n[i] = x[i]->k == VK_NUMERIC ? tw_num_get(x[i]) : tw_num_from_int(x[i]->i);
            *res = tw_num_cmp(n[0], n[1]);
        }
        return TWILL_OK;
    }
    return tw_err_set(err, TWILL_ERROR, "42883", "operator does not exist: %s = %s",
                      tw_kind_name(a->k), tw_kind_name(b->k));
}

void tw_float_out(double d, int is_f4, char *buf, size_t cap) {
    if (isnan(d)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, cap, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        snprintf(buf, cap, signbit(d) ? "-0" : "0");
        return;
    }
    /* Shortest digit string that reads back to the same value, then PostgreSQL's
     * layout: scientific when the exponent is < -4 or >= the type's digit count. */
    char tmp[64];
    int maxp = is_f4 ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        double back = strtod(tmp, NULL);
        if (is_f4 ? (float)back == (float)d : back == d) break;
    }
    /* tmp: [-]D[.DDD]e[+-]XX */
    const char *p = tmp;
    int neg = *p == '-';
    if (neg) p++;
    char digits[32];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    size_t o = 0;
    char out[64];
    if (neg) out[o++] = '-';
    if (exp < -4 || exp >= (is_f4 ? FLT_DIG : DBL_DIG)) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, (size_t)nd - 1);
            o += (size_t)nd - 1;
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    } else if (exp < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -exp - 1; i++) out[o++] = '0';
        memcpy(out + o, digits, (size_t)nd);
        o += (size_t)nd;
    } else {
        for (int i = 0; i <= exp; i++) out[o++] = i < nd ? digits[i] : '0';
        if (nd > exp + 1) {
            out[o++] = '.';
            memcpy(out + o, digits + exp + 1, (size_t)(nd - exp - 1));
            o += (size_t)(nd - exp - 1);
        }
    }
    out[o] = '\0';
    snprintf(buf, cap, "%s", out);
}

int tw_val_out(const tw_val *v, int is_f4, tw_buf *out) {
    char tmp[64];
    switch (v->k) {
    case VK_BOOL:
        return tw_buf_append(out, v->i ? "t" : "f", 1);
    case VK_INT: {
        int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
        return tw_buf_append(out, tmp, (size_t)n);
    }
    case VK_FLOAT:
        tw_float_out(v->d, is_f4, tmp, sizeof tmp);
        return tw_buf_append(out, tmp, strlen(tmp));
    case VK_TEXT:
        return tw_buf_append(out, v->s, v->n);
    case VK_NUMERIC: {
        char nb[TW_NUM_MAX_SCALE + 48];
        size_t n = tw_num_out(tw_num_get(v), nb, sizeof nb);
        return tw_buf_append(out, nb, n);
    }
    case VK_DATE:
    case VK_TS:
    case VK_TSTZ:
        return tw_dt_out(v->i, v->k, out);
    case VK_INTERVAL:
        return tw_iv_out(tw_iv_get(v), out);
    case VK_UUID: {
        char ub[37];
        tw_uuid_out(v->uuid, ub);
        return tw_buf_append(out, ub, 36);
    }
    case VK_ARRAY:
        return tw_array_out(v, out);
    case VK_JSON:
    case VK_JSONB:
        return tw_buf_append(out, v->s, v->n);
    case VK_BYTEA: {
        static const char hx[] = "0123456789abcdef";
        if (v->n > (SIZE_MAX - 2) / 2 || tw_buf_reserve(out, 2 + 2 * v->n)) return TWILL_NOMEM;
        uint8_t *o = out->p + out->len;
        *o++ = '\\';
        *o++ = 'x';
        for (size_t i = 0; i < v->n; i++) {
            uint8_t c = (uint8_t)v->s[i];
            *o++ = (uint8_t)hx[c >> 4];
            *o++ = (uint8_t)hx[c & 15];
        }
        out->len += 2 + 2 * v->n;
        return TWILL_OK;
    }
    }
    return TWILL_OK;
}
