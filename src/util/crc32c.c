/*
 * crc32c.c — CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * Two implementations with identical results: the SSE4.2 `crc32` instruction (chosen
 * at run time, so one binary runs on any x86-64) and a slicing-by-8 table walk for
 * other CPUs. The pre/post inversion lives in tw_crc32c so that both kernels work on
 * the raw register value and calls chain: tw_crc32c(tw_crc32c(0, a), b) == crc(a||b).
 */
#include "util/crc32c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    }
}

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_table(uint32_t c, const uint8_t *p, size_t n) {
    pthread_once(&table_once, table_init);
    while (n && ((uintptr_t)p & 7)) {
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xFF];
        n--;
    }
    while (n >= 8) {
        uint32_t lo = load_le32(p) ^ c, hi = load_le32(p + 4);
        c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
            table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
            table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xFF];
    return c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n) {
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        n--;
    }
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8); /* aligned here, but memcpy keeps it free of aliasing UB */
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = _mm_crc32_u8(c, *p++);
    return c;
}

/* 0 = not probed yet, 1 = table, 2 = SSE4.2. Racing probes store the same value. */
static atomic_int crc_impl;

static int have_hw(void) {
    int impl = atomic_load_explicit(&crc_impl, memory_order_relaxed);
    if (impl == 0) {
        __builtin_cpu_init();
        impl = __builtin_cpu_supports("sse4.2") ? 2 : 1;
        atomic_store_explicit(&crc_impl, impl, memory_order_relaxed);
    }
    return impl == 2;
}
#endif

uint32_t tw_crc32c(uint32_t crc, const void *p, size_t n) {
    crc = ~crc;
#if defined(__x86_64__)
    if (have_hw()) return ~crc_hw(crc, p, n);
#endif
    return ~crc_table(crc, p, n);
}

/* The table path regardless of the CPU, so tests can check both give the same result.
 * Not in crc32c.h on purpose: nothing but tests has a reason to call it. */
uint32_t tw_crc32c_portable(uint32_t crc, const void *p, size_t n);
uint32_t tw_crc32c_portable(uint32_t crc, const void *p, size_t n) {
    return ~crc_table(~crc, p, n);
}
