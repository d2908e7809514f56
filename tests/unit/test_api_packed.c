/*
 * test_api_packed.c — the packed-value calls of ABI 3 (twill_bind_packed,
 * twill_step_packed, twill_row_packed) against the one-value-per-call functions: the
 * same row must read back the same, a row larger than the buffer reports its size, and
 * malformed parameter buffers are refused, not read out of bounds.
 */
#include "twill/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures, checks;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                  \
        }                                                                                          \
    } while (0)

typedef struct {
    uint8_t type, flags;
    uint16_t reserved;
    uint32_t len;
    union {
        int64_t i;
        double d;
        uint64_t off;
    } v;
} rec;

_Static_assert(sizeof(rec) == 16, "value record is 16 bytes");

typedef struct {
    uint32_t size, ncols;
    uint64_t reserved;
} row_hdr;

int main(void) {
    const char *base = getenv("TWILL_TEST_TMP");
    char dir[512], url[600];
    if (base) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
        if (system(cmd) != 0) return 1;
    }
    snprintf(dir, sizeof dir, "%s/packedXXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir)) return 1;
    snprintf(url, sizeof url, "file://%s/db", dir);

    twill_db *db;
    twill_session *s;
    twill_stmt *ins, *sel;
    CHECK(twill_open(url, NULL, &db) == TWILL_OK);
    CHECK(twill_session_open(db, &s) == TWILL_OK);
    CHECK(twill_exec(s, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE "
                        "PRECISION, ok BOOLEAN, raw BYTEA)") == TWILL_OK);
    CHECK(twill_prepare(s, "INSERT INTO t VALUES ($1, $2, $3, $4, $5)", -1, &ins, NULL) ==
          TWILL_OK);

    /* Parameters: five records, then the text and blob bytes. */
    _Alignas(8) uint8_t pbuf[256];
    memset(pbuf, 0, sizeof pbuf);
    rec *p = (rec *)pbuf;
    p[0] = (rec){.type = TWILL_TYPE_INT64, .v.i = 42};
    p[1] = (rec){.type = TWILL_TYPE_TEXT, .len = 5, .v.off = 5 * 16};
    memcpy(pbuf + 5 * 16, "héllo", 6); /* 6 bytes: é is two */
    p[1].len = 6;
    p[2] = (rec){.type = TWILL_TYPE_DOUBLE, .v.d = 2.5};
    p[3] = (rec){.type = TWILL_TYPE_BOOL, .v.i = 1};
    p[4] = (rec){.type = TWILL_TYPE_BLOB, .len = 3, .v.off = 5 * 16 + 6};
    memcpy(pbuf + 5 * 16 + 6, "\x00\x01\xff", 3);
    size_t plen = 5 * 16 + 9;
    CHECK(twill_bind_packed(ins, 5, pbuf, plen) == TWILL_OK);
    CHECK(twill_step(ins) == TWILL_DONE);

    /* Out-of-bounds offsets and unknown types are refused. */
    p[1].v.off = 1000;
    CHECK(twill_bind_packed(ins, 5, pbuf, plen) == TWILL_MISUSE);
    p[1].v.off = 5 * 16;
    p[0].type = 77;
    CHECK(twill_bind_packed(ins, 5, pbuf, plen) == TWILL_MISUSE);
    p[0].type = TWILL_TYPE_INT64;
    CHECK(twill_bind_packed(ins, 6, pbuf, sizeof pbuf) == TWILL_RANGE);
    CHECK(twill_bind_packed(ins, -1, pbuf, plen) == TWILL_MISUSE);
    /* A second row with NULLs in every nullable column. */
    p[0].v.i = 43;
    for (int i = 1; i < 5; i++) p[i] = (rec){.type = TWILL_TYPE_NULL};
    CHECK(twill_bind_packed(ins, 5, pbuf, plen) == TWILL_OK);
    CHECK(twill_step(ins) == TWILL_DONE);
    twill_finalize(ins);

    CHECK(twill_prepare(s, "SELECT id, name, score, ok, raw FROM t ORDER BY id", -1, &sel, NULL) ==
          TWILL_OK);
    _Alignas(8) uint8_t rbuf[512];
    CHECK(twill_step_packed(sel, rbuf, sizeof rbuf, 0) == TWILL_ROW);
    row_hdr *h = (row_hdr *)rbuf;
    rec *r = (rec *)(rbuf + 16);
    CHECK(h->ncols == 5 && h->size <= sizeof rbuf);
    CHECK(r[0].type == TWILL_TYPE_INT64 && r[0].v.i == 42);
    CHECK(r[0].v.i == twill_column_int64(sel, 0));
    CHECK(r[1].type == TWILL_TYPE_TEXT && r[1].len == 6 && !(r[1].flags & TWILL_PACK_ASCII));
    CHECK(memcmp(rbuf + r[1].v.off, "héllo", 7) == 0); /* NUL-terminated */
    CHECK(r[2].type == TWILL_TYPE_DOUBLE && r[2].v.d == 2.5);
    CHECK(r[3].type == TWILL_TYPE_BOOL && r[3].v.i == 1);
    CHECK(r[4].type == TWILL_TYPE_BLOB && r[4].len == 3 &&
          memcmp(rbuf + r[4].v.off, "\x00\x01\xff", 3) == 0);
    CHECK(r[4].len == (uint32_t)twill_column_bytes(sel, 4));

    /* Too small a buffer: header only, with the size needed; twill_row_packed reads it. */
    _Alignas(8) uint8_t small[32];
    int64_t need = twill_row_packed(sel, small, sizeof small);
    CHECK(need == (int64_t)h->size);
    CHECK(((row_hdr *)small)->size == h->size);
    CHECK(twill_row_packed(sel, rbuf + 1, 100) == -1); /* misaligned */

    CHECK(twill_step_packed(sel, rbuf, sizeof rbuf, TWILL_PACK_RESET) == TWILL_ROW);
    CHECK(r[0].v.i == 43 && r[1].type == TWILL_TYPE_NULL && r[4].type == TWILL_TYPE_NULL);
    /* TWILL_PACK_RESET reset the statement: the next step starts over at id 42. */
    CHECK(twill_step_packed(sel, rbuf, sizeof rbuf, 0) == TWILL_ROW && r[0].v.i == 42);
    twill_finalize(sel);
    CHECK(twill_bind_packed(NULL, 0, NULL, 0) == TWILL_MISUSE);

    twill_session_close(s);
    CHECK(twill_close(db) == TWILL_OK);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
