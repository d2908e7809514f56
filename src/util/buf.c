#include "util/buf.h"

#include "twill/engine.h"

#include <stdlib.h>

int tw_buf_reserve(tw_buf *b, size_t extra) {
    if (b->cap - b->len >= extra) return TWILL_OK;
    if (extra > SIZE_MAX / 2 - b->len) return TWILL_NOMEM;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return TWILL_NOMEM;
    b->p = p;
    b->cap = cap;
    return TWILL_OK;
}

int tw_buf_append(tw_buf *b, const void *data, size_t n) {
    if (n == 0) return TWILL_OK;
    if (tw_buf_reserve(b, n)) return TWILL_NOMEM;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return TWILL_OK;
}

int tw_buf_set(tw_buf *b, const void *data, size_t n) {
    b->len = 0;
    return tw_buf_append(b, data, n);
}

int tw_buf_put_u8(tw_buf *b, uint8_t v) {
    return tw_buf_append(b, &v, 1);
}

int tw_buf_put_u32(tw_buf *b, uint32_t v) {
    uint8_t t[4];
    tw_store_u32(t, v);
    return tw_buf_append(b, t, 4);
}

int tw_buf_put_u64(tw_buf *b, uint64_t v) {
    uint8_t t[8];
    tw_store_u64(t, v);
    return tw_buf_append(b, t, 8);
}

int tw_buf_put_varint(tw_buf *b, uint64_t v) {
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    return tw_buf_append(b, t, n);
}

void tw_buf_reset(tw_buf *b) {
    b->len = 0;
}

void tw_buf_free(tw_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int tw_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    const uint8_t *q = *p;
    for (int shift = 0; shift < 70; shift += 7) {
        if (q >= end) return -1;
        uint8_t c = *q++;
        if (shift == 63 && c > 1) return -1;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *p = q;
            *out = v;
            return 0;
        }
    }
    return -1;
}
