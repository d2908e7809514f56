/*
 * pgvalue.c — wire encodings of values (see pgvalue.h).
 */
#include "pgvalue.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dates and times: PostgreSQL counts from 2000-01-01 ---- */

#define USECS_PER_DAY INT64_C(86400000000)
#define DAYS_1970_TO_2000 10957

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (astronomical year: 0 is
 * 1 BC), by counting whole 400-year eras (146097 days each) from 0000-03-01. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365, from March */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Reads an unsigned decimal of at most maxd digits; -1 if there is none. */
static int64_t read_uint(const char **pp, int maxd) {
    const char *p = *pp;
    int64_t v = 0;
    int n = 0;
    while (isdigit((unsigned char)*p) && n < maxd) v = v * 10 + (*p++ - '0'), n++;
    if (!n) return -1;
    *pp = p;
    return v;
}

typedef struct ymd {
    int64_t y;
    int m, d;
} ymd;

/* "YYYY-MM-DD" (the year may have more digits). 0 on success. */
static int read_ymd(const char **pp, ymd *v) {
    const char *p = *pp;
    int64_t y = read_uint(&p, 9);
    if (y < 0 || *p++ != '-') return -1;
    int64_t m = read_uint(&p, 2);
    if (m < 1 || m > 12 || *p++ != '-') return -1;
    int64_t d = read_uint(&p, 2);
    if (d < 1 || d > 31) return -1;
    v->y = y;
    v->m = (int)m;
    v->d = (int)d;
    *pp = p;
    return 0;
}

/* Days since 2000-01-01 of v, after an optional " BC" at *pp (year y BC is the
 * astronomical year 1 - y). */
static int64_t ymd_days(const ymd *v, const char **pp) {
    int64_t y = v->y;
    if (!strncmp(*pp, " BC", 3)) {
        *pp += 3;
        y = 1 - y;
    }
    return days_from_civil(y, v->m, v->d) - DAYS_1970_TO_2000;
}

/* date text → int32 days (PostgreSQL's date_send). 0 on success. */
static int parse_date(const char *t, int32_t *out) {
    if (!strcmp(t, "infinity")) return *out = INT32_MAX, 0;
    if (!strcmp(t, "-infinity")) return *out = INT32_MIN, 0;
    ymd v;
    if (read_ymd(&t, &v)) return -1;
    int64_t days = ymd_days(&v, &t);
    if (*t || days <= INT32_MIN || days >= INT32_MAX) return -1;
    *out = (int32_t)days;
    return 0;
}

/* "HH:MM:SS[.ffffff]" (hours may be long) → microseconds. */
static int read_time(const char **pp, int64_t *us) {
    const char *p = *pp;
    int64_t h = read_uint(&p, 12);
    if (h < 0 || *p++ != ':') return -1;
    int64_t mi = read_uint(&p, 2);
    if (mi < 0 || *p++ != ':') return -1;
    int64_t se = read_uint(&p, 2);
    if (se < 0) return -1;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n < 6) frac = frac * 10 + (*p - '0');
            p++, n++;
        }
        if (!n) return -1;
        for (; n < 6; n++) frac *= 10;
    }
    if (h > INT64_MAX / 3600000000 - 1) return -1;
    *us = ((h * 60 + mi) * 60 + se) * 1000000 + frac;
    *pp = p;
    return 0;
}

/* timestamp / timestamptz text → int64 microseconds (timestamp_send). With tz, the
 * "+HH[:MM[:SS]]" offset is taken off (the value sent is UTC). 0 on success. */
static int parse_timestamp(const char *t, int tz, int64_t *out) {
    if (!strcmp(t, "infinity")) return *out = INT64_MAX, 0;
    if (!strcmp(t, "-infinity")) return *out = INT64_MIN, 0;
    ymd v;
    int64_t us, off = 0;
    if (read_ymd(&t, &v) || *t++ != ' ' || read_time(&t, &us)) return -1;
    if (tz && (*t == '+' || *t == '-')) {
        int neg = *t++ == '-';
        int64_t h = read_uint(&t, 2), mi = 0, se = 0;
        if (h < 0) return -1;
        if (*t == ':' && (t++, (mi = read_uint(&t, 2)) < 0)) return -1;
        if (*t == ':' && (t++, (se = read_uint(&t, 2)) < 0)) return -1;
        off = ((h * 60 + mi) * 60 + se) * 1000000;
        if (neg) off = -off;
    }
    int64_t days = ymd_days(&v, &t);
    if (*t || days > INT64_MAX / USECS_PER_DAY - 1 || days < INT64_MIN / USECS_PER_DAY + 1)
        return -1;
    *out = days * USECS_PER_DAY + us - off;
    return 0;
}

/* interval text in IntervalStyle postgres ("1 year 2 mons -3 days +04:05:06.7") →
 * microseconds, days, months (interval_send). 0 on success. */
static int parse_interval(const char *t, int64_t *us, int32_t *days, int32_t *months) {
    int64_t mon = 0, day = 0, time = 0;
    const char *p = t;
    for (;;) {
        while (*p == ' ') p++;
        if (!*p) break;
        int neg = 0;
        const char *q = p;
        if (*q == '+' || *q == '-') neg = *q++ == '-';
        const char *e = q;
        while (isdigit((unsigned char)*e)) e++;
        if (*e == ':') {
            int64_t v;
            if (read_time(&q, &v)) return -1;
            time += neg ? -v : v;
            p = q;
            continue;
        }
        int64_t n = read_uint(&q, 12);
        if (n < 0 || *q++ != ' ') return -1;
        if (neg) n = -n;
        const char *u = q;
        while (isalpha((unsigned char)*q)) q++;
        size_t ul = (size_t)(q - u);
        if (ul >= 4 && !strncmp(u, "year", 4))
            mon += n * 12;
        else if (ul >= 3 && !strncmp(u, "mon", 3))
            mon += n;
        else if (ul >= 3 && !strncmp(u, "day", 3))
            day += n;
        else
            return -1;
        p = q;
    }
    if (mon < INT32_MIN || mon > INT32_MAX || day < INT32_MIN || day > INT32_MAX) return -1;
    *us = time;
    *days = (int32_t)day;
    *months = (int32_t)mon;
    return 0;
}

/* Floor division (b > 0). */
static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return a % b != 0 && a < 0 ? q - 1 : q;
}

/* "YYYY-MM-DD" of days since 2000-01-01; *bc set for years before 1 AD. */
static int fmt_date(char *out, size_t cap, int64_t days, int *bc) {
    int64_t y;
    int m, d;
    civil_from_days(days + DAYS_1970_TO_2000, &y, &m, &d);
    *bc = y <= 0;
    if (*bc) y = 1 - y;
    return snprintf(out, cap, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* "HH:MM:SS.ffffff" of a non-negative microsecond count. */
static int fmt_time(char *out, size_t cap, uint64_t us) {
    uint64_t s = us / 1000000;
    return snprintf(out, cap, "%02llu:%02llu:%02llu.%06llu", (unsigned long long)(s / 3600),
                    (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
                    (unsigned long long)(us % 1000000));
}

static uint64_t be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* The text a binary date / timestamp / timestamptz / interval parameter stands for,
 * which the engine then reads as its context needs (p holds typlen bytes). */
static void datetime_text(uint32_t oid, const uint8_t *p, char *out, size_t cap) {
    int bc = 0, n;
    if (oid == TWS_OID_DATE) {
        int32_t d = (int32_t)(uint32_t)be(p, 4);
        if (d == INT32_MAX || d == INT32_MIN) {
            snprintf(out, cap, "%s", d == INT32_MAX ? "infinity" : "-infinity");
            return;
        }
        n = fmt_date(out, cap, d, &bc);
        snprintf(out + n, cap - (size_t)n, "%s", bc ? " BC" : "");
        return;
    }
    if (oid == TWS_OID_INTERVAL) {
        int64_t us = (int64_t)be(p, 8);
        int32_t days = (int32_t)(uint32_t)be(p + 8, 4), mons = (int32_t)(uint32_t)be(p + 12, 4);
        n = snprintf(out, cap, "%d mons %d days %s", mons, days, us < 0 ? "-" : "");
        fmt_time(out + n, cap - (size_t)n, us < 0 ? 0 - (uint64_t)us : (uint64_t)us);
        return;
    }
    int64_t ts = (int64_t)be(p, 8);
    if (ts == INT64_MAX || ts == INT64_MIN) {
        snprintf(out, cap, "%s", ts == INT64_MAX ? "infinity" : "-infinity");
        return;
    }
    int64_t days = floordiv(ts, USECS_PER_DAY);
    n = fmt_date(out, cap, days, &bc);
    out[n++] = ' ';
    n += fmt_time(out + n, cap - (size_t)n, (uint64_t)(ts - days * USECS_PER_DAY));
    snprintf(out + n, cap - (size_t)n, "%s%s", oid == TWS_OID_TIMESTAMPTZ ? "+00" : "",
             bc ? " BC" : "");
}

/* numeric_recv: int16 ndigits, int16 weight, uint16 sign, int16 dscale, base-10000
 * digits; to the exact decimal text the engine reads. NULL (and *bad) for a malformed
 * value; NaN and infinities are spelled as PostgreSQL spells them. Malloc'd. */
static char *numeric_text(const uint8_t *p, int32_t len, int *bad) {
    *bad = 1;
    if (len < 8) return NULL;
    int nd = (int16_t)(uint16_t)be(p, 2), weight = (int16_t)(uint16_t)be(p + 2, 2);
    unsigned sign = (unsigned)be(p + 4, 2);
    int dscale = (int16_t)(uint16_t)be(p + 6, 2);
    if (nd < 0 || dscale < 0 || len != 8 + 2 * nd) return NULL;
    const char *special = sign == 0xC000   ? "NaN"
                          : sign == 0xD000 ? "Infinity"
                          : sign == 0xF000 ? "-Infinity"
                                           : NULL;
    if (!special && sign != 0 && sign != 0x4000) return NULL;
    for (int i = 0; i < nd; i++)
        if (be(p + 8 + 2 * i, 2) > 9999) return NULL;
    size_t cap = (size_t)(weight >= 0 ? weight + 1 : 1) * 4 + (size_t)dscale + 16;
    char *out = malloc(cap);
    if (!out) return NULL;
    *bad = 0;
    if (special) {
        snprintf(out, cap, "%s", special);
        return out;
    }
    size_t n = 0;
    if (sign == 0x4000) out[n++] = '-';
    if (weight < 0) {
        out[n++] = '0';
    } else {
        for (int i = 0; i <= weight; i++) {
            unsigned g = i < nd ? (unsigned)be(p + 8 + 2 * i, 2) : 0;
            n += (size_t)snprintf(out + n, cap - n, i == 0 ? "%u" : "%04u", g);
        }
    }
    if (dscale > 0) {
        out[n++] = '.';
        int left = dscale;
        for (int i = weight + 1; left > 0; i++) {
            unsigned g = i >= 0 && i < nd ? (unsigned)be(p + 8 + 2 * i, 2) : 0;
            char four[8];
            snprintf(four, sizeof four, "%04u", g);
            for (int k = 0; k < 4 && left > 0; k++, left--) out[n++] = four[k];
        }
    }
    out[n] = 0;
    return out;
}

int tws_oid_acceptable(uint32_t oid) {
    return oid < 16384;
}

int tws_oid_is_array(uint32_t oid) {
    static const uint32_t arr[] = {199,  1000, 1001, 1005, 1007, 1009, 1014, 1015, 1016,
                                   1021, 1022, 1115, 1182, 1185, 1187, 1231, 2951, 3807};
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++)
        if (arr[i] == oid) return 1;
    return 0;
}

int tws_oid_typlen(uint32_t oid) {
    switch (oid) {
    case TWS_OID_BOOL:
        return 1;
    case TWS_OID_INT2:
        return 2;
    case TWS_OID_INT4:
    case TWS_OID_OID:
    case TWS_OID_FLOAT4:
        return 4;
    case TWS_OID_DATE:
        return 4;
    case TWS_OID_INT8:
    case TWS_OID_FLOAT8:
    case TWS_OID_TIMESTAMP:
    case TWS_OID_TIMESTAMPTZ:
        return 8;
    case TWS_OID_INTERVAL:
        return 16;
    default:
        return -1;
    }
}

int tws_bind_param(twill_stmt *st, int idx, uint32_t oid, int fmt, const uint8_t *p, int32_t len,
                   const char **sqlstate, char *msg, size_t cap) {
    if (len < 0) return twill_bind_null(st, idx);
    if (fmt == 0) {
        if (oid == TWS_OID_BYTEA && len >= 2 && p[0] == '\\' && p[1] == 'x') {
            /* bytea's text input is hex; decode here so the engine gets bytes. */
            size_t n = ((size_t)len - 2) / 2;
            uint8_t small[256];
            uint8_t *buf = n <= sizeof small ? small : malloc(n ? n : 1);
            if (!buf) return TWILL_NOMEM;
            int ok = ((size_t)len - 2) % 2 == 0;
            for (size_t i = 0; ok && i < n; i++) {
                unsigned hi, lo;
                char h[3] = {(char)p[2 + 2 * i], (char)p[3 + 2 * i], 0};
                ok = sscanf(h, "%1x%1x", &hi, &lo) == 2;
                buf[i] = (uint8_t)(hi << 4 | lo);
            }
            int rc = TWILL_ERROR;
            if (ok) {
                rc = twill_bind_blob(st, idx, buf, (int)n);
            } else {
                *sqlstate = "22P02";
                snprintf(msg, cap, "invalid hexadecimal data in bytea parameter $%d", idx);
            }
            if (buf != small) free(buf);
            return rc;
        }
        return twill_bind_text(st, idx, (const char *)p, len);
    }
    int want = tws_oid_typlen(oid);
    if (want >= 0 && len != want) {
        *sqlstate = "22P03";
        snprintf(msg, cap, "incorrect binary data format in bind parameter %d", idx);
        return TWILL_ERROR;
    }
    switch (oid) {
    case TWS_OID_BOOL:
        return twill_bind_bool(st, idx, p[0] != 0);
    case TWS_OID_INT2:
        return twill_bind_int64(st, idx, (int16_t)(uint16_t)be(p, 2));
    case TWS_OID_INT4:
        return twill_bind_int64(st, idx, (int32_t)(uint32_t)be(p, 4));
    case TWS_OID_OID:
        return twill_bind_int64(st, idx, (int64_t)be(p, 4));
    case TWS_OID_INT8:
        return twill_bind_int64(st, idx, (int64_t)be(p, 8));
    case TWS_OID_FLOAT4: {
        uint32_t u = (uint32_t)be(p, 4);
        float f;
        memcpy(&f, &u, 4);
        return twill_bind_double(st, idx, f);
    }
    case TWS_OID_FLOAT8: {
        uint64_t u = be(p, 8);
        double d;
        memcpy(&d, &u, 8);
        return twill_bind_double(st, idx, d);
    }
    case TWS_OID_BYTEA:
        return twill_bind_blob(st, idx, p, len);
    case TWS_OID_DATE:
    case TWS_OID_TIMESTAMP:
    case TWS_OID_TIMESTAMPTZ:
    case TWS_OID_INTERVAL: {
        char text[96];
        datetime_text(oid, p, text, sizeof text);
        return twill_bind_text(st, idx, text, -1);
    }
    case TWS_OID_NUMERIC: {
        int bad;
        char *text = numeric_text(p, len, &bad);
        if (!text) {
            *sqlstate = bad ? "22P03" : "53200";
            snprintf(msg, cap,
                     bad ? "invalid numeric binary data in bind parameter %d" : "out of memory",
                     idx);
            return bad ? TWILL_ERROR : TWILL_NOMEM;
        }
        int rc = twill_bind_text(st, idx, text, -1);
        free(text);
        return rc;
    }
    case 0:
    case TWS_OID_TEXT:
    case TWS_OID_VARCHAR:
    case TWS_OID_BPCHAR:
    case TWS_OID_NAME:
    case TWS_OID_UNKNOWN:
        /* text's binary form is its bytes. */
        return twill_bind_text(st, idx, (const char *)p, len);
    default:
        *sqlstate = "0A000";
        snprintf(msg, cap, "binary format for parameter %d of type %u is not supported", idx, oid);
        return TWILL_ERROR;
    }
}

static void put_be(tws_io *io, uint64_t v, int n) {
    uint8_t b[8];
    for (int i = n - 1; i >= 0; i--, v >>= 8) b[i] = (uint8_t)v;
    tws_w_i32(io, n);
    tws_w_bytes(io, b, (size_t)n);
}

/* numeric_send's layout from the exact text form ("-123.4500"): int16 ndigits, int16
 * weight, uint16 sign, int16 dscale, then base-10000 digits grouped from the point,
 * without leading or trailing zero groups (zero has none). */
#define TWS_NUMERIC_MAX_TEXT 1040 /* Twill's numeric: sign, 1001 digits, point */

static void w16(tws_io *io, int v) {
    uint8_t b[2] = {(uint8_t)((unsigned)v >> 8), (uint8_t)v};
    tws_w_bytes(io, b, 2);
}

static void put_numeric(tws_io *io, const char *t) {
    int neg = *t == '-';
    if (neg) t++;
    const char *pt = strchr(t, '.');
    int ni = pt ? (int)(pt - t) : (int)strlen(t);
    const char *fr = pt ? pt + 1 : "";
    int nf = (int)strlen(fr);
    int gi = (ni + 3) / 4, gf = (nf + 3) / 4, ng = gi + gf;
    uint16_t g[(TWS_NUMERIC_MAX_TEXT + 7) / 4 + 2];
    if (ng > (int)(sizeof g / sizeof g[0])) ng = gi = gf = 0;
    for (int k = 0; k < ng; k++) {
        int v = 0;
        for (int j = 0; j < 4; j++) {
            /* decimal position of this digit: integer digits count back from the point */
            int pos = k * 4 + j - (gi * 4 - ni);
            char ch = pos < 0 ? '0' : pos < ni ? t[pos] : pos - ni < nf ? fr[pos - ni] : '0';
            v = v * 10 + (ch - '0');
        }
        g[k] = (uint16_t)v;
    }
    int first = 0, last = ng;
    while (first < last && g[first] == 0) first++;
    while (last > first && g[last - 1] == 0) last--;
    int nd = last - first, weight = nd ? gi - 1 - first : 0;
    tws_w_i32(io, 8 + 2 * nd);
    w16(io, nd);
    w16(io, weight & 0xFFFF);
    w16(io, neg && nd ? 0x4000 : 0);
    w16(io, nf);
    for (int k = first; k < last; k++) w16(io, g[k]);
}

void tws_put_column(tws_io *io, twill_stmt *st, int col, uint32_t oid, int fmt) {
    int vt = twill_column_type(st, col);
    if (vt == TWILL_TYPE_NULL) {
        tws_w_i32(io, -1);
        return;
    }
    if (fmt == 1) {
        switch (oid) {
        case TWS_OID_BOOL:
            tws_w_i32(io, 1);
            tws_w_u8(io, twill_column_bool(st, col) ? 1 : 0);
            return;
        case TWS_OID_INT2:
            put_be(io, (uint64_t)twill_column_int64(st, col), 2);
            return;
        case TWS_OID_INT4:
        case TWS_OID_OID:
            put_be(io, (uint64_t)twill_column_int64(st, col), 4);
            return;
        case TWS_OID_INT8:
            put_be(io, (uint64_t)twill_column_int64(st, col), 8);
            return;
        case TWS_OID_FLOAT4: {
            float f = (float)twill_column_double(st, col);
            uint32_t u;
            memcpy(&u, &f, 4);
            put_be(io, u, 4);
            return;
        }
        case TWS_OID_FLOAT8: {
            double d = twill_column_double(st, col);
            uint64_t u;
            memcpy(&u, &d, 8);
            put_be(io, u, 8);
            return;
        }
        case TWS_OID_BYTEA: {
            const void *b = twill_column_blob(st, col);
            int n = twill_column_bytes(st, col);
            tws_w_i32(io, n);
            tws_w_bytes(io, b, (size_t)n);
            return;
        }
        case TWS_OID_NUMERIC: {
            const char *t = twill_column_text(st, col);
            if (t && strlen(t) <= TWS_NUMERIC_MAX_TEXT) {
                put_numeric(io, t);
                return;
            }
            break;
        }
        case TWS_OID_DATE: {
            const char *t = twill_column_text(st, col);
            int32_t d;
            if (t && !parse_date(t, &d)) {
                put_be(io, (uint32_t)d, 4);
                return;
            }
            break; /* not expected: the engine's output is ISO */
        }
        case TWS_OID_TIMESTAMP:
        case TWS_OID_TIMESTAMPTZ: {
            const char *t = twill_column_text(st, col);
            int64_t v;
            if (t && !parse_timestamp(t, oid == TWS_OID_TIMESTAMPTZ, &v)) {
                put_be(io, (uint64_t)v, 8);
                return;
            }
            break;
        }
        case TWS_OID_INTERVAL: {
            const char *t = twill_column_text(st, col);
            int64_t us;
            int32_t days, mons;
            if (t && !parse_interval(t, &us, &days, &mons)) {
                uint8_t b[16];
                for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)us >> (56 - 8 * i));
                for (int i = 0; i < 4; i++) {
                    b[8 + i] = (uint8_t)((uint32_t)days >> (24 - 8 * i));
                    b[12 + i] = (uint8_t)((uint32_t)mons >> (24 - 8 * i));
                }
                tws_w_i32(io, 16);
                tws_w_bytes(io, b, 16);
                return;
            }
            break;
        }
        case TWS_OID_UUID: { /* uuid_send: the 16 bytes */
            const char *t = twill_column_text(st, col);
            uint8_t u[16];
            int ok = t && strlen(t) == 36;
            for (int i = 0, k = 0; ok && i < 16; i++, k += 2) {
                if (t[k] == '-') k++;
                unsigned hi, lo;
                char h[3] = {t[k], t[k + 1], 0};
                ok = sscanf(h, "%1x%1x", &hi, &lo) == 2;
                u[i] = (uint8_t)(hi << 4 | lo);
            }
            if (ok) {
                tws_w_i32(io, 16);
                tws_w_bytes(io, u, 16);
                return;
            }
            break;
        }
        case TWS_OID_JSONB: { /* jsonb_send: version 1, then the text */
            const char *t = twill_column_text(st, col);
            if (t) {
                size_t n = strlen(t);
                tws_w_i32(io, (int32_t)n + 1);
                tws_w_u8(io, 1);
                tws_w_bytes(io, t, n);
                return;
            }
            break;
        }
        default:
            break; /* text-like (json too): the binary form is the text */
        }
    }
    const char *t = twill_column_text(st, col);
    if (!t) {
        tws_w_i32(io, -1);
        return;
    }
    /* A text value's length is its byte count (it may not be NUL-free in general);
     * every other value's text form is a NUL-free string. */
    size_t n = vt == TWILL_TYPE_TEXT ? (size_t)twill_column_bytes(st, col) : strlen(t);
    tws_w_i32(io, (int32_t)n);
    tws_w_bytes(io, t, n);
}
