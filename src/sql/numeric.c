#include "sql/numeric.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

#define LIM (p10(TW_NUM_MAX_DIGITS))

static u128 p10(int k) {
    u128 r = 1;
    for (int i = 0; i < k; i++) r *= 10;
    return r;
}

static int ovf(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "22003",
                      "value overflows numeric format (numeric values are limited to %d "
                      "significant digits)",
                      TW_NUM_MAX_DIGITS);
}

static u128 mag(tw_num n) {
    return n.c < 0 ? -(u128)n.c : (u128)n.c;
}

static int ndig(u128 m) {
    int d = 1;
    while (m >= 10) m /= 10, d++;
    return d;
}

/* m * 10^k, or -1 when that leaves the representable range. */
static int up(u128 *m, int k) {
    if (*m == 0 || k == 0) return 0;
    if (k >= TW_NUM_MAX_DIGITS) return -1;
    u128 p = p10(k);
    if (*m > (LIM - 1) / p) return -1;
    *m *= p;
    return 0;
}

static int make(int neg, u128 m, int scale, tw_num *out, tw_err *err) {
    if (m >= LIM || scale > TW_NUM_MAX_SCALE) return ovf(err);
    out->c = neg ? -(__int128)m : (__int128)m;
    out->scale = scale < 0 ? 0 : scale;
    return TWILL_OK;
}

tw_num tw_num_get(const tw_val *v) {
    tw_num n;
    n.c = (__int128)(((u128)v->nhi << 64) | v->nlo);
    n.scale = v->nscale;
    return n;
}

void tw_num_set(tw_val *v, tw_num n) {
    v->k = VK_NUMERIC;
    v->nscale = (uint16_t)n.scale;
    v->nlo = (uint64_t)(u128)n.c;
    v->nhi = (uint64_t)((u128)n.c >> 64);
}

tw_num tw_num_from_int(int64_t i) {
    return (tw_num){(__int128)i, 0};
}

static int bad(tw_err *err, const char *s, size_t n) {
    return tw_err_set(err, TWILL_ERROR, "22P02", "invalid input syntax for type numeric: \"%.*s\"",
                      (int)(n > 200 ? 200 : n), s);
}

int tw_num_parse(const char *s0, size_t n0, tw_num *out, tw_err *err) {
    const char *s = s0;
    size_t n = n0;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    const char *w = s + i;
    size_t wn = n - i;
    if ((wn == 3 && !strncasecmp(w, "nan", 3)) || (wn == 8 && !strncasecmp(w, "infinity", 8)) ||
        (wn == 3 && !strncasecmp(w, "inf", 3)))
        return tw_err_set(err, TWILL_ERROR, "0A000", "numeric NaN and Infinity are not supported");
    u128 m = 0;
    int digits = 0, frac = 0, point = 0, toolong = 0;
    for (; i < n; i++) {
        if (s[i] == '.') {
            if (point) return bad(err, s0, n0);
            point = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') break;
        digits++;
        if (point) frac++;
        if (m == 0 && s[i] == '0') continue; /* leading zeros cost nothing */
        if (m >= p10(TW_NUM_MAX_DIGITS - 1))
            toolong = 1;
        else
            m = m * 10 + (unsigned)(s[i] - '0');
    }
    if (!digits) return bad(err, s0, n0);
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i == n) return bad(err, s0, n0);
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return bad(err, s0, n0);
            exp = exp * 10 + (s[i] - '0');
            /* PostgreSQL's own bound on the exponent */
            if (exp > 1000) return bad(err, s0, n0);
        }
        if (eneg) exp = -exp;
    }
    if (i != n) return bad(err, s0, n0);
    if (toolong) return ovf(err);
    long scale = frac - exp;
    if (scale < 0) {
        if (up(&m, (int)-scale)) return ovf(err);
        scale = 0;
    }
    return make(neg, m, (int)scale, out, err);
}

size_t tw_num_out(tw_num n, char *buf, size_t cap) {
    char d[48];
    int nd = 0;
    u128 m = mag(n);
    do {
        d[nd++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    /* at least one digit before the point */
    int total = nd > n.scale ? nd : n.scale + 1;
    size_t o = 0;
    char tmp[TW_NUM_MAX_SCALE + 48];
    if (n.c < 0) tmp[o++] = '-';
    for (int pos = total - 1; pos >= 0; pos--) {
        tmp[o++] = pos < nd ? d[pos] : '0';
        if (pos == n.scale && pos > 0) tmp[o++] = '.';
    }
    tmp[o] = '\0';
    snprintf(buf, cap, "%s", tmp);
    return o < cap ? o : cap ? cap - 1 : 0;
}

int tw_num_to_double(tw_num n, double *out) {
    /* via the decimal text, so strtod rounds correctly once */
    char b[TW_NUM_MAX_SCALE + 48];
    tw_num_out(n, b, sizeof b);
    *out = strtod(b, NULL);
    return TWILL_OK;
}

int tw_num_from_double(double d, tw_num *out, tw_err *err) {
    if (!isfinite(d))
        return tw_err_set(err, TWILL_ERROR, "0A000", "numeric NaN and Infinity are not supported");
    /* PostgreSQL converts float8 with DBL_DIG significant digits. */
    char b[64];
    snprintf(b, sizeof b, "%.15g", d);
    return tw_num_parse(b, strlen(b), out, err);
}

static const char *int_name(int ty) {
    return ty == TY_INT2 ? "smallint" : ty == TY_INT4 ? "integer" : "bigint";
}

int tw_num_to_int(tw_num n, int ty, int64_t *out, tw_err *err) {
    tw_num r;
    if (tw_num_round(n, 0, 0, &r, NULL) || r.c > INT64_MAX || r.c < INT64_MIN ||
        tw_int_check((int64_t)r.c, ty, NULL))
        return tw_err_set(err, TWILL_ERROR, "22003", "%s out of range", int_name(ty));
    *out = (int64_t)r.c;
    return TWILL_OK;
}

/* Strips trailing fractional zeros (value unchanged). */
static tw_num norm(tw_num n) {
    while (n.scale > 0 && n.c % 10 == 0) n.c /= 10, n.scale--;
    if (n.c == 0) n.scale = 0;
    return n;
}

static int sgn(tw_num n) {
    return n.c < 0 ? -1 : n.c > 0;
}

int tw_num_cmp(tw_num a, tw_num b) {
    int sa = sgn(a), sb = sgn(b);
    if (sa != sb || sa == 0) return sa < sb ? -1 : sa > sb;
    a = norm(a), b = norm(b);
    u128 ma = mag(a), mb = mag(b);
    int ea = ndig(ma) - 1 - a.scale, eb = ndig(mb) - 1 - b.scale;
    int c;
    if (ea != eb) {
        c = ea < eb ? -1 : 1;
    } else {
        /* same leading-digit position: at the larger scale both have as many digits
         * as the longer one, so neither overflows */
        if (a.scale < b.scale)
            up(&ma, b.scale - a.scale);
        else
            up(&mb, a.scale - b.scale);
        c = ma < mb ? -1 : ma > mb;
    }
    return sa < 0 ? -c : c;
}

static int addsub(tw_num a, tw_num b, int sub, tw_num *out, tw_err *err) {
    int rs = a.scale > b.scale ? a.scale : b.scale;
    u128 ma = mag(a), mb = mag(b);
    if (up(&ma, rs - a.scale) || up(&mb, rs - b.scale)) return ovf(err);
    __int128 x = a.c < 0 ? -(__int128)ma : (__int128)ma;
    __int128 y = b.c < 0 ? -(__int128)mb : (__int128)mb;
    if (sub) y = -y;
    __int128 r;
    if (__builtin_add_overflow(x, y, &r)) return ovf(err);
    return make(r < 0, r < 0 ? -(u128)r : (u128)r, rs, out, err);
}

int tw_num_add(tw_num a, tw_num b, tw_num *out, tw_err *err) {
    return addsub(a, b, 0, out, err);
}

int tw_num_sub(tw_num a, tw_num b, tw_num *out, tw_err *err) {
    return addsub(a, b, 1, out, err);
}

int tw_num_mul(tw_num a, tw_num b, tw_num *out, tw_err *err) {
    u128 r;
    if (__builtin_mul_overflow(mag(a), mag(b), &r)) return ovf(err);
    return make((a.c < 0) != (b.c < 0) && r != 0, r, a.scale + b.scale, out, err);
}

tw_num tw_num_neg(tw_num a) {
    a.c = -a.c;
    return a;
}

/* PostgreSQL's base-10000 weight and first base-10000 digit of a value, which its
 * select_div_scale uses to estimate the quotient's magnitude. */
static void weight_first(tw_num n, int *weight, int *first) {
    u128 m = mag(n);
    if (m == 0) {
        *weight = 0, *first = 0;
        return;
    }
    int nd = ndig(m), e10 = nd - 1 - n.scale;
    int w = e10 >= 0 ? e10 / 4 : -((-e10 + 3) / 4);
    int g = e10 - 4 * w + 1; /* decimal digits in the first base-10000 digit */
    u128 f = nd >= g ? m / p10(nd - g) : m * p10(g - nd);
    *weight = w;
    *first = (int)f;
}

int tw_num_div(tw_num a, tw_num b, tw_num *out, tw_err *err) {
    if (b.c == 0) return tw_err_set(err, TWILL_ERROR, "22012", "division by zero");
    int w1, f1, w2, f2;
    weight_first(a, &w1, &f1);
    weight_first(b, &w2, &f2);
    int qw = w1 - w2;
    if (f1 <= f2) qw--;
    int rscale = 16 - qw * 4;
    if (rscale < a.scale) rscale = a.scale;
    if (rscale < b.scale) rscale = b.scale;
    if (rscale < 0) rscale = 0;
    if (rscale > TW_NUM_MAX_SCALE) rscale = TW_NUM_MAX_SCALE;
    /* quotient of a.c / b.c * 10^k by long division, one decimal digit per step */
    int k = rscale - a.scale + b.scale;
    u128 ma = mag(a), mb = mag(b);
    u128 q = ma / mb, r = ma % mb;
    for (int i = 0; i < k; i++) {
        if (q >= p10(TW_NUM_MAX_DIGITS - 1)) return ovf(err);
        /* 10*r mod mb by repeated addition: r < mb < 10^38, so x + r stays below 2^128 */
        u128 x = 0;
        unsigned d = 0;
        for (int j = 0; j < 10; j++) {
            x += r;
            if (x >= mb) x -= mb, d++;
        }
        q = q * 10 + d;
        r = x;
    }
    if (r * 2 >= mb) q++; /* half away from zero */
    return make((a.c < 0) != (b.c < 0) && q != 0, q, rscale, out, err);
}

int tw_num_mod(tw_num a, tw_num b, tw_num *out, tw_err *err) {
    if (b.c == 0) return tw_err_set(err, TWILL_ERROR, "22012", "division by zero");
    int rs = a.scale > b.scale ? a.scale : b.scale;
    u128 ma = mag(a), mb = mag(b);
    if (up(&ma, rs - a.scale) || up(&mb, rs - b.scale)) return ovf(err);
    u128 r = ma % mb;
    return make(a.c < 0 && r != 0, r, rs, out, err);
}

int tw_num_round(tw_num a, int scale, int mode, tw_num *out, tw_err *err) {
    if (scale > TW_NUM_MAX_SCALE) scale = TW_NUM_MAX_SCALE;
    if (scale < -TW_NUM_MAX_SCALE) scale = -TW_NUM_MAX_SCALE;
    int neg = a.c < 0;
    u128 m = mag(a);
    if (scale >= a.scale) {
        if (up(&m, scale - a.scale)) return ovf(err);
        return make(neg && m, m, scale, out, err);
    }
    int drop = a.scale - scale;
    u128 q, r, half_ok;
    if (drop >= TW_NUM_MAX_DIGITS + 1) {
        q = 0, r = m;
        half_ok = 0; /* 10^drop > 2 * m */
    } else {
        u128 p = p10(drop);
        q = m / p, r = m % p;
        half_ok = r * 2 >= p;
    }
    int inc = mode == 0 ? half_ok != 0 : mode == 2 ? r != 0 && !neg : mode == 3 ? r != 0 && neg : 0;
    q += (u128)inc;
    if (scale < 0) {
        if (up(&q, -scale)) return ovf(err);
        scale = 0;
    }
    return make(neg && q, q, scale, out, err);
}

int tw_num_apply_typmod(tw_num a, int32_t mod, tw_num *out, tw_err *err) {
    if (mod < 0) {
        *out = a;
        return TWILL_OK;
    }
    int p = (int)(mod >> 16), s = (int)(mod & 0xffff);
    tw_num r;
    if (tw_num_round(a, s, 0, &r, NULL) || mag(r) >= p10(p))
        return tw_err_set(err, TWILL_ERROR, "22003", "numeric field overflow");
    *out = r;
    return TWILL_OK;
}

int tw_num_key_put(tw_buf *b, tw_num n) {
    /* class byte (negative < zero < positive), then for non-zero values the decimal
     * exponent of the leading digit and the significant digits (1..10 per digit, 0
     * ends them), all complemented for negatives so larger magnitudes sort first */
    n = norm(n);
    if (n.c == 0) return tw_buf_put_u8(b, 0x02);
    int neg = n.c < 0;
    uint8_t flip = neg ? 0xFF : 0x00;
    u128 m = mag(n);
    int nd = ndig(m);
    uint16_t e = (uint16_t)(nd - 1 - n.scale + 0x8000);
    uint8_t t[48];
    size_t o = 0;
    t[o++] = neg ? 0x01 : 0x03;
    t[o++] = (uint8_t)(e >> 8) ^ flip;
    t[o++] = (uint8_t)e ^ flip;
    char d[48];
    for (int i = nd - 1; i >= 0; i--, m /= 10) d[i] = (char)(m % 10);
    for (int i = 0; i < nd; i++) t[o++] = (uint8_t)(d[i] + 1) ^ flip;
    t[o++] = flip;
    return tw_buf_append(b, t, o);
}

int tw_num_row_put(tw_buf *b, tw_num n) {
    u128 m = mag(n);
    if (tw_buf_put_varint(b, (uint64_t)n.scale << 1 | (n.c < 0)) ||
        tw_buf_put_varint(b, (uint64_t)m) || tw_buf_put_varint(b, (uint64_t)(m >> 64)))
        return TWILL_NOMEM;
    return TWILL_OK;
}

int tw_num_row_get(const uint8_t **p, const uint8_t *end, tw_num *out) {
    uint64_t h, lo, hi;
    if (tw_get_varint(p, end, &h) || tw_get_varint(p, end, &lo) || tw_get_varint(p, end, &hi))
        return TWILL_CORRUPT;
    u128 m = (u128)hi << 64 | lo;
    if ((h >> 1) > TW_NUM_MAX_SCALE || m >= LIM) return TWILL_CORRUPT;
    out->c = (h & 1) ? -(__int128)m : (__int128)m;
    out->scale = (int)(h >> 1);
    return TWILL_OK;
}
