/*
 * btree_internal.h — access-module internals shared by pager.c, btree.c and the unit
 * tests. Nothing outside src/access/ (and its tests) should include this.
 *
 * See docs/access.md for the page formats these constants describe.
 */
#ifndef TW_ACCESS_BTREE_INTERNAL_H
#define TW_ACCESS_BTREE_INTERNAL_H

#include "access/btree.h"

#include <stdint.h>
#include <string.h>

/* ---- pager internals ---------------------------------------------------------------- */

/* The pager-wide modification generation that btree.h promises: every put, delete and
 * drop bumps it so that cursors parked between moves know their saved path may be stale.
 * Atomic, so a cursor may read it without the pool mutex. */
uint64_t tw_pager_generation(tw_pager *pg);
void tw_pager_bump_generation(tw_pager *pg);

/* Pages currently on the free list (for tests and space accounting). */
uint32_t tw_pager_free_count(tw_pager *pg);

/* Type tags in byte 0 of every non-header page, so a stray pointer is caught early. */
#define TW_PAGE_LEAF 1
#define TW_PAGE_INTERNAL 2
#define TW_PAGE_OVERFLOW 3
#define TW_PAGE_FREE_TRUNK 4

/* ---- btree node format (docs/access.md) -------------------------------------------- */

/* Node header. */
#define BT_HDR 16
#define BT_OFF_N 2       /* u16 number of cells */
#define BT_OFF_CELL_LO 4 /* u16 start of the cell area (cells grow down from the page end) */
#define BT_OFF_FRAG 6    /* u16 bytes of dead cells inside the cell area */
#define BT_OFF_RIGHT 8   /* u32 internal: the rightmost child */
#define BT_OFF_PLEN 12   /* u16 length of a prefix every key in the node shares */
#define BT_USABLE (TW_PAGE_SIZE - BT_HDR)

/* Slot array entry: u16 cell offset | u32 head. The head is the four key bytes after the
 * node's shared prefix, big-endian and zero-padded, so a binary search compares integers
 * inside the slot array and touches a cell only when heads tie. Heads order like keys:
 * a head that differs decides, an equal head needs the full comparison. */
#define BT_SLOT 6

/* Cells, leaf and internal alike: u16 klen | u32 word | key bytes | ...
 * Leaf: word = value length, BT_VAL_OVF set when the value lives in an overflow chain;
 * then comes the inline value, or the u32 first overflow page. Internal: word = the
 * child page holding keys below this cell's key (and >= the previous cell's key). */
#define BT_CELL_HDR 6
#define BT_VAL_OVF 0x80000000u
/* Four maximal leaf cells (plus slots) fill a page exactly, so a split of any full leaf
 * yields two halves that fit. Bigger entries move their value to overflow pages. */
#define BT_LEAF_MAX_CELL (BT_USABLE / 4 - BT_SLOT)
#define BT_INT_MAX_CELL (BT_CELL_HDR + TW_BTREE_MAX_KEY)
#define BT_MAX_CELLS (BT_USABLE / (BT_CELL_HDR + BT_SLOT))
#define BT_MAX_DEPTH 32

/* Overflow page: u8 type | 3 pad | u32 next page (0 = last) | data. */
#define BT_OVF_NEXT 4
#define BT_OVF_DATA 8
#define BT_OVF_CAP (TW_PAGE_SIZE - BT_OVF_DATA)

static inline unsigned bt_n(const uint8_t *p) {
    return tw_load_u16(p + BT_OFF_N);
}
static inline unsigned bt_cell_lo(const uint8_t *p) {
    return tw_load_u16(p + BT_OFF_CELL_LO);
}
static inline unsigned bt_frag(const uint8_t *p) {
    return tw_load_u16(p + BT_OFF_FRAG);
}
static inline unsigned bt_plen(const uint8_t *p) {
    return tw_load_u16(p + BT_OFF_PLEN);
}
static inline unsigned bt_slot(const uint8_t *p, unsigned i) {
    return tw_load_u16(p + BT_HDR + BT_SLOT * i);
}
static inline uint32_t bt_head(const uint8_t *p, unsigned i) {
    return tw_load_u32(p + BT_HDR + BT_SLOT * i + 2);
}
/* The head of a key suffix: its first four bytes, big-endian, zero-padded. */
static inline uint32_t bt_key_head(const uint8_t *k, size_t len) {
    if (len >= 4) return (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
    uint32_t h = 0;
    for (size_t i = 0; i < len; i++) h |= (uint32_t)k[i] << (24 - 8 * i);
    return h;
}
static inline const uint8_t *bt_cell(const uint8_t *p, unsigned i) {
    return p + bt_slot(p, i);
}
static inline unsigned bt_cell_klen(const uint8_t *c) {
    return tw_load_u16(c);
}
static inline uint32_t bt_cell_word(const uint8_t *c) {
    return tw_load_u32(c + 2);
}

/* memcmp's sign. Keys are mostly short, and a call into libc costs more than the
 * comparison itself, so short runs compare 8 bytes at a time inline. */
static inline int bt_bytecmp(const void *a_, const void *b_, size_t n) {
    const uint8_t *a = a_, *b = b_;
    if (n > 32) return memcmp(a, b, n);
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x = (uint64_t)bt_key_head(a, 4) << 32 | bt_key_head(a + 4, 4);
        uint64_t y = (uint64_t)bt_key_head(b, 4) << 32 | bt_key_head(b + 4, 4);
        if (x != y) return x < y ? -1 : 1;
    }
    for (; n > 0; a++, b++, n--)
        if (*a != *b) return *a < *b ? -1 : 1;
    return 0;
}

/* memcmp order, the shorter key first when one is a prefix of the other. */
static inline int bt_keycmp(const void *a, size_t alen, const void *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? bt_bytecmp(a, b, n) : 0;
    if (c) return c;
    return (alen > blen) - (alen < blen);
}

/* Cheap O(1) header sanity check done on every page a tree operation touches. */
static inline int bt_node_hdr_ok(const uint8_t *p) {
    unsigned n = bt_n(p), lo = bt_cell_lo(p);
    return (p[0] == TW_PAGE_LEAF || p[0] == TW_PAGE_INTERNAL) && n <= BT_MAX_CELLS &&
           lo >= BT_HDR + BT_SLOT * n && lo <= TW_PAGE_SIZE && bt_frag(p) <= TW_PAGE_SIZE - lo &&
           bt_plen(p) <= TW_BTREE_MAX_KEY;
}

/* Size of cell i in bytes, or 0 when the cell runs outside the page (corruption). */
size_t bt_cell_size(const uint8_t *p, unsigned i);
/* Full O(n) structural check of one node: every cell inside the cell area, sizes adding
 * up with the fragment count, keys within TW_BTREE_MAX_KEY and sharing the node prefix,
 * heads matching their keys. 0 when sound. */
int bt_node_check(const uint8_t *p);
/* Lower-bound search: *idx = first cell with key >= key, *eq when equal. -1 when a probed
 * cell is out of bounds (corruption). */
int bt_search(const uint8_t *p, const void *key, size_t klen, unsigned *idx, int *eq);

void bt_node_init(uint8_t *p, unsigned type);
/* Free bytes (contiguous gap plus fragments). */
size_t bt_node_free(const uint8_t *p);
/* Inserts a cell at slot idx; the caller checked bt_node_free >= len + BT_SLOT. A key
 * outside the node prefix shortens the prefix (rewriting the heads). Returns -1 (page
 * untouched) when the O(n) work this may need finds the node damaged. */
int bt_node_insert(uint8_t *p, unsigned idx, const void *cell, size_t len);
/* Removes cell idx whose size (bt_cell_size) is `size`. */
void bt_node_remove(uint8_t *p, unsigned idx, size_t size);
/* Writes a node made of the given cells (in key order) into dst, which must not hold any
 * of them; the prefix is the one its first and last keys share. */
void bt_node_build(uint8_t *dst, unsigned type, const uint8_t *const *cells, const uint16_t *lens,
                   unsigned n, uint32_t right);
/* Child i of an internal node, i == n meaning the rightmost child; 0 (never a valid
 * child) when the cell is out of bounds. */
uint32_t bt_child(const uint8_t *p, unsigned i);
void bt_set_child(uint8_t *p, unsigned i, uint32_t pgno);

/* Overflow chains of `vlen` bytes (vlen fixes the chain length, which bounds walks). */
int bt_ovf_write(tw_pager *pg, const uint8_t *val, size_t vlen, uint32_t *head, tw_err *err);
int bt_ovf_read(tw_pager *pg, uint32_t head, size_t vlen, tw_buf *out, tw_err *err);
int bt_ovf_free(tw_pager *pg, uint32_t head, size_t vlen, tw_err *err);
/* Appends the chain's page numbers (u32, native order) to *list. */
int bt_ovf_collect(tw_pager *pg, uint32_t head, size_t vlen, tw_buf *list, tw_err *err);

/* ---- btree internals ---------------------------------------------------------------- */

/* Walks the whole tree and checks every invariant of docs/access.md: page types, key
 * order inside pages and against separators, uniform leaf depth, free-space accounting,
 * overflow chain lengths. Counts the pages it visits (tree + overflow) into *pages_out
 * (may be NULL). Returns TWILL_CORRUPT with a description on the first violation. */
int tw_btree_check(tw_pager *pg, uint32_t root, uint64_t *pages_out, tw_err *err);

#endif
