/*
 * pgvalue.c — wire encodings of values (see pgvalue.h).
 */
#include "pgvalue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tws_oid_acceptable(uint32_t oid) {
    return oid < 16384;
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

static uint64_t be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
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
        default:
            break; /* text-like: the binary form is the text */
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
