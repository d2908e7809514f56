#include "sql/codec.h"

#include "sql/datetime.h"
#include "sql/numeric.h"

#include <math.h>
#include <string.h>

static void be64(uint8_t *o, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) o[i] = (uint8_t)v;
}

int tw_key_put_i64(tw_buf *b, int64_t v) {
    uint8_t t[8];
    be64(t, (uint64_t)v ^ (1ull << 63));
    return tw_buf_append(b, t, 8);
}

int64_t tw_key_get_i64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return (int64_t)(v ^ (1ull << 63));
}

int tw_key_put(tw_buf *b, const tw_val *v, int kind) {
    if (v->k == VK_NULL) return tw_buf_put_u8(b, 0x02);
    if (tw_buf_put_u8(b, 0x01)) return TWILL_NOMEM;
    switch (kind) {
    case VK_INT:
    case VK_DATE:
    case VK_TS:
    case VK_TSTZ:
        return tw_key_put_i64(b, v->i);
    case VK_BOOL:
        return tw_buf_put_u8(b, v->i ? 1 : 0);
    case VK_FLOAT: {
        double d = v->d;
        if (d == 0) d = 0; /* -0 and 0 are equal: one encoding */
        uint64_t u;
        if (isnan(d))
            u = 0x7ff8000000000000ull;
        else
            memcpy(&u, &d, 8);
        u = (u >> 63) ? ~u : u ^ (1ull << 63);
        uint8_t t[8];
        be64(t, u);
        return tw_buf_append(b, t, 8);
    }
    case VK_NUMERIC:
        return tw_num_key_put(b, tw_num_get(v));
    case VK_INTERVAL: {
        /* the comparison span as a 128-bit big-endian number with the sign flipped, so
         * intervals PostgreSQL calls equal ('1 mon', '30 days') are one key */
        unsigned __int128 u =
            (unsigned __int128)tw_iv_span(tw_iv_get(v)) ^ ((unsigned __int128)1 << 127);
        uint8_t t[16];
        for (int i = 15; i >= 0; i--, u >>= 8) t[i] = (uint8_t)u;
        return tw_buf_append(b, t, 16);
    }
    case VK_UUID: /* bytewise, as PostgreSQL orders uuids */
        return tw_buf_append(b, v->uuid, 16);
    default: {
        /* 0x00 is escaped as 00 FF and the value ends with 00 01, so a shorter string
         * sorts first and no value is a byte prefix of another. */
        if (tw_buf_reserve(b, v->n * 2 + 2)) return TWILL_NOMEM;
        uint8_t *o = b->p + b->len;
        for (size_t i = 0; i < v->n; i++) {
            uint8_t c = (uint8_t)v->s[i];
            *o++ = c;
            if (c == 0) *o++ = 0xFF;
        }
        *o++ = 0;
        *o++ = 1;
        b->len = (size_t)(o - b->p);
        return TWILL_OK;
    }
    }
}

int tw_row_encode(tw_buf *b, const tw_val *vals, const uint8_t *kinds, int n) {
    if (tw_buf_put_varint(b, (uint64_t)n)) return TWILL_NOMEM;
    size_t nb = ((size_t)n + 7) / 8;
    if (tw_buf_reserve(b, nb)) return TWILL_NOMEM;
    uint8_t *bm = b->p + b->len;
    memset(bm, 0, nb);
    for (int i = 0; i < n; i++)
        if (vals[i].k == VK_NULL) bm[i / 8] |= (uint8_t)(1u << (i % 8));
    b->len += nb;
    for (int i = 0; i < n; i++) {
        const tw_val *v = &vals[i];
        if (v->k == VK_NULL) continue;
        int rc = TWILL_OK;
        switch (kinds[i]) {
        case VK_INT:
        case VK_DATE:
        case VK_TS:
        case VK_TSTZ:
            rc = tw_buf_put_varint(b, ((uint64_t)v->i << 1) ^ (uint64_t)(v->i >> 63));
            break;
        case VK_BOOL:
            rc = tw_buf_put_u8(b, v->i ? 1 : 0);
            break;
        case VK_FLOAT: {
            uint64_t u;
            memcpy(&u, &v->d, 8);
            rc = tw_buf_put_u64(b, u);
            break;
        }
        case VK_NUMERIC:
            rc = tw_num_row_put(b, tw_num_get(v));
            break;
        case VK_INTERVAL: {
            tw_iv iv = tw_iv_get(v);
            int64_t f[3] = {iv.mon, iv.day, iv.us};
            for (int j = 0; j < 3 && !rc; j++)
                rc = tw_buf_put_varint(b, ((uint64_t)f[j] << 1) ^ (uint64_t)(f[j] >> 63));
            break;
        }
        case VK_UUID:
            rc = tw_buf_append(b, v->uuid, 16);
            break;
        default:
            rc = tw_buf_put_varint(b, v->n);
            if (!rc) rc = tw_buf_append(b, v->s, v->n);
        }
        if (rc) return rc;
    }
    return TWILL_OK;
}

int tw_row_decode(const uint8_t *data, size_t len, tw_val *vals, const uint8_t *kinds, int n,
                  tw_err *err) {
    const uint8_t *p = data, *end = data + len;
    uint64_t stored;
    if (tw_get_varint(&p, end, &stored)) goto corrupt;
    size_t nb = (size_t)((stored + 7) / 8);
    if (stored > 100000 || (size_t)(end - p) < nb) goto corrupt;
    const uint8_t *bm = p;
    p += nb;
    for (int i = 0; i < n; i++) {
        tw_val *v = &vals[i];
        if ((uint64_t)i >= stored || (bm[i / 8] >> (i % 8) & 1)) {
            v->k = VK_NULL;
            continue;
        }
        v->k = kinds[i];
        switch (kinds[i]) {
        case VK_INT:
        case VK_DATE:
        case VK_TS:
        case VK_TSTZ: {
            uint64_t z;
            if (tw_get_varint(&p, end, &z)) goto corrupt;
            v->i = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            break;
        }
        case VK_BOOL:
            if (p >= end) goto corrupt;
            v->i = *p++ != 0;
            break;
        case VK_FLOAT: {
            if (end - p < 8) goto corrupt;
            uint64_t u = tw_load_u64(p);
            memcpy(&v->d, &u, 8);
            p += 8;
            break;
        }
        case VK_INTERVAL: {
            int64_t f[3];
            for (int j = 0; j < 3; j++) {
                uint64_t z;
                if (tw_get_varint(&p, end, &z)) goto corrupt;
                f[j] = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            }
            if (f[0] < INT32_MIN || f[0] > INT32_MAX || f[1] < INT32_MIN || f[1] > INT32_MAX)
                goto corrupt;
            tw_iv_set(v, (tw_iv){(int32_t)f[0], (int32_t)f[1], f[2]});
            break;
        }
        case VK_UUID:
            if (end - p < 16) goto corrupt;
            memcpy(v->uuid, p, 16);
            p += 16;
            break;
        case VK_NUMERIC: {
            tw_num nv;
            if (tw_num_row_get(&p, end, &nv)) goto corrupt;
            tw_num_set(v, nv);
            break;
        }
        default: {
            uint64_t l;
            if (tw_get_varint(&p, end, &l) || (uint64_t)(end - p) < l) goto corrupt;
            v->s = (const char *)p;
            v->n = (size_t)l;
            p += l;
        }
        }
    }
    return TWILL_OK;
corrupt:
    return tw_err_set(err, TWILL_CORRUPT, "XX001", "corrupt row record");
}
