/*
 * buf.h — a growable byte buffer and little-endian / varint codecs.
 *
 * tw_buf owns its bytes (malloc). A zeroed tw_buf is empty and valid. Appends return
 * TWILL_NOMEM on allocation failure and leave the buffer unchanged.
 */
#ifndef TW_UTIL_BUF_H
#define TW_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct tw_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
} tw_buf;

int tw_buf_reserve(tw_buf *b, size_t extra);
int tw_buf_append(tw_buf *b, const void *data, size_t n);
int tw_buf_set(tw_buf *b, const void *data, size_t n); /* replace contents */
int tw_buf_put_u8(tw_buf *b, uint8_t v);
int tw_buf_put_u32(tw_buf *b, uint32_t v); /* little-endian */
int tw_buf_put_u64(tw_buf *b, uint64_t v); /* little-endian */
int tw_buf_put_varint(tw_buf *b, uint64_t v);
void tw_buf_reset(tw_buf *b); /* len = 0, keeps memory */
void tw_buf_free(tw_buf *b);

static inline void tw_store_u32(void *p, uint32_t v) {
    uint8_t *b = p;
    b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)(v >> 16),
    b[3] = (uint8_t)(v >> 24);
}
static inline uint32_t tw_load_u32(const void *p) {
    const uint8_t *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline void tw_store_u64(void *p, uint64_t v) {
    tw_store_u32(p, (uint32_t)v);
    tw_store_u32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t tw_load_u64(const void *p) {
    return (uint64_t)tw_load_u32(p) | (uint64_t)tw_load_u32((const uint8_t *)p + 4) << 32;
}
static inline void tw_store_u16(void *p, uint16_t v) {
    uint8_t *b = p;
    b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8);
}
static inline uint16_t tw_load_u16(const void *p) {
    const uint8_t *b = p;
    return (uint16_t)(b[0] | b[1] << 8);
}

/* Reads a varint from [*p, end); advances *p. Returns 0 on success, -1 if truncated or
 * longer than 10 bytes. */
int tw_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

#endif
