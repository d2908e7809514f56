/*
 * crc32c.h — CRC-32C (Castagnoli), the checksum of every log frame and page image.
 * Uses the SSE4.2 instruction when the CPU has it, a table otherwise; same result.
 */
#ifndef TW_UTIL_CRC32C_H
#define TW_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (start with 0) over p[0..n). tw_crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t tw_crc32c(uint32_t crc, const void *p, size_t n);

#endif
