/*
 * btree_page.c — one B+tree node at a time (slotted-page primitives) and overflow
 * chains. The tree algorithms live in btree.c; the formats are in btree_internal.h and
 * docs/access.md.
 *
 * Pages come from storage and may be damaged, so everything here that follows an offset
 * or a length read from a page checks it against the page bounds first; hot paths pay
 * one compare per probe, O(n) work (compaction, splits) validates the whole node.
 */
#include "access/btree_internal.h"
#include "util/buf.h"

#include <string.h>

size_t bt_cell_size(const uint8_t *p, unsigned i) {
    unsigned off = bt_slot(p, i);
    if (off < bt_cell_lo(p) || off > TW_PAGE_SIZE - BT_CELL_HDR) return 0;
    const uint8_t *c = p + off;
    size_t klen = bt_cell_klen(c);
    if (klen > TW_BTREE_MAX_KEY) return 0;
    size_t sz = BT_CELL_HDR + klen;
    if (p[0] == TW_PAGE_LEAF) {
        uint32_t w = bt_cell_word(c);
        sz += (w & BT_VAL_OVF) ? 4 : w;
    }
    if (sz > (size_t)TW_PAGE_SIZE - off) return 0;
    return sz;
}

static size_t lcp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
    size_t n = al < bl ? al : bl, i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

static void put_slot(uint8_t *p, unsigned i, unsigned off, uint32_t head) {
    uint8_t *s = p + BT_HDR + BT_SLOT * i;
    tw_store_u16(s, (uint16_t)off);
    tw_store_u32(s + 2, head);
}

static uint32_t cell_head(const uint8_t *c, unsigned plen) {
    return bt_key_head(c + BT_CELL_HDR + plen, bt_cell_klen(c) - plen);
}

int bt_node_check(const uint8_t *p) {
    if (!bt_node_hdr_ok(p)) return -1;
    unsigned n = bt_n(p), plen = bt_plen(p);
    size_t sum = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t sz = bt_cell_size(p, i);
        if (!sz) return -1;
        sum += sz;
        const uint8_t *c = bt_cell(p, i);
        if (bt_cell_klen(c) < plen || bt_head(p, i) != cell_head(c, plen)) return -1;
        if (i > 0 && memcmp(c + BT_CELL_HDR, bt_cell(p, 0) + BT_CELL_HDR, plen) != 0) return -1;
    }
    if (sum + bt_frag(p) != (size_t)TW_PAGE_SIZE - bt_cell_lo(p)) return -1;
    return 0;
}

int bt_search(const uint8_t *p, const void *key_, size_t klen, unsigned *idx, int *eq) {
    const uint8_t *key = key_;
    unsigned n = bt_n(p), plen = bt_plen(p), cell_lo = bt_cell_lo(p);
    *eq = 0;
    if (n == 0) {
        *idx = 0;
        return 0;
    }
    if (plen) {
        /* Outside the node's prefix, the key sorts before or after every entry. */
        unsigned off = bt_slot(p, 0);
        if (off < cell_lo || off > TW_PAGE_SIZE - BT_CELL_HDR - plen) return -1;
        size_t m = klen < plen ? klen : plen;
        int r = m ? bt_bytecmp(key, p + off + BT_CELL_HDR, m) : 0;
        if (r == 0 && klen < plen) r = -1;
        if (r) {
            *idx = r < 0 ? 0 : n;
            return 0;
        }
        key += plen;
    }
    size_t ks = klen - plen;
    uint32_t h = bt_key_head(key, ks);
    unsigned lo = 0, hi = n;
    if (n >= 32) {
        /* Heads of keys under one prefix (row ids, timestamps, hashes) are often spread
         * evenly: one interpolation guess narrows the search to a few neighbouring slots,
         * which saves most of the cache misses of a plain binary search. Only head
         * comparisons narrow the range, so a poor guess costs a little, never an error. */
        uint32_t h0 = bt_head(p, 0), h1 = bt_head(p, n - 1);
        if (h0 < h1 && h > h0 && h < h1) {
            unsigned g = (unsigned)((uint64_t)(h - h0) * (n - 1) / (h1 - h0));
            unsigned a = g > 4 ? g - 4 : 0, b = g + 4 < n - 1 ? g + 4 : n - 1;
            if (bt_head(p, a) < h) lo = a + 1;
            if (bt_head(p, b) > h) hi = b;
        }
    }
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        uint32_t sh = bt_head(p, mid);
        int r;
        if (sh != h) {
            r = sh < h ? -1 : 1;
        } else {
            unsigned off = bt_slot(p, mid);
            if (off < cell_lo || off > TW_PAGE_SIZE - BT_CELL_HDR) return -1;
            const uint8_t *c = p + off;
            unsigned ck = bt_cell_klen(c);
            if (ck < plen || ck > TW_PAGE_SIZE - BT_CELL_HDR - off) return -1;
            r = bt_keycmp(c + BT_CELL_HDR + plen, ck - plen, key, ks);
        }
        if (r < 0) {
            lo = mid + 1;
        } else if (r > 0) {
            hi = mid;
        } else {
            *eq = 1;
            *idx = mid;
            return 0;
        }
    }
    *idx = lo;
    return 0;
}

void bt_node_init(uint8_t *p, unsigned type) {
    memset(p, 0, BT_HDR);
    p[0] = (uint8_t)type;
    tw_store_u16(p + BT_OFF_CELL_LO, (uint16_t)TW_PAGE_SIZE);
}

size_t bt_node_free(const uint8_t *p) {
    return bt_cell_lo(p) - (BT_HDR + BT_SLOT * bt_n(p)) + bt_frag(p);
}

void bt_node_build(uint8_t *dst, unsigned type, const uint8_t *const *cells, const uint16_t *lens,
                   unsigned n, uint32_t right) {
    bt_node_init(dst, type);
    unsigned plen = 0;
    if (n > 0)
        plen = (unsigned)lcp(cells[0] + BT_CELL_HDR, bt_cell_klen(cells[0]),
                             cells[n - 1] + BT_CELL_HDR, bt_cell_klen(cells[n - 1]));
    unsigned lo = TW_PAGE_SIZE;
    for (unsigned i = 0; i < n; i++) {
        lo -= lens[i];
        memcpy(dst + lo, cells[i], lens[i]);
        put_slot(dst, i, lo, cell_head(cells[i], plen));
    }
    tw_store_u16(dst + BT_OFF_N, (uint16_t)n);
    tw_store_u16(dst + BT_OFF_CELL_LO, (uint16_t)lo);
    tw_store_u32(dst + BT_OFF_RIGHT, right);
    tw_store_u16(dst + BT_OFF_PLEN, (uint16_t)plen);
}

/* Squeezes out dead cell bytes so the free space is one gap. */
static int node_compact(uint8_t *p) {
    if (bt_node_check(p)) return -1;
    uint8_t tmp[TW_PAGE_SIZE];
    unsigned n = bt_n(p), lo = TW_PAGE_SIZE;
    for (unsigned i = 0; i < n; i++) {
        size_t sz = bt_cell_size(p, i);
        lo -= (unsigned)sz;
        memcpy(tmp + lo, bt_cell(p, i), sz);
        tw_store_u16(p + BT_HDR + BT_SLOT * i, (uint16_t)lo);
    }
    memcpy(p + lo, tmp + lo, TW_PAGE_SIZE - lo);
    tw_store_u16(p + BT_OFF_CELL_LO, (uint16_t)lo);
    tw_store_u16(p + BT_OFF_FRAG, 0);
    return 0;
}

int bt_node_insert(uint8_t *p, unsigned idx, const void *cell_, size_t len) {
    const uint8_t *cell = cell_;
    unsigned n = bt_n(p), plen = bt_plen(p);
    if (n == 0) {
        plen = 0; /* a node's prefix is chosen when it is built from several keys */
    } else if (plen) {
        unsigned off = bt_slot(p, 0);
        if (off < bt_cell_lo(p) || off > TW_PAGE_SIZE - BT_CELL_HDR - plen) return -1;
        unsigned keep =
            (unsigned)lcp(cell + BT_CELL_HDR, bt_cell_klen(cell), p + off + BT_CELL_HDR, plen);
        if (keep < plen) {
            /* The new key leaves the prefix: shorten it and re-derive every head. */
            if (bt_node_check(p)) return -1;
            plen = keep;
            for (unsigned i = 0; i < n; i++)
                put_slot(p, i, bt_slot(p, i), cell_head(bt_cell(p, i), plen));
        }
    }
    tw_store_u16(p + BT_OFF_PLEN, (uint16_t)plen);
    if (bt_cell_lo(p) - (BT_HDR + BT_SLOT * n) < len + BT_SLOT && node_compact(p)) return -1;
    unsigned lo = bt_cell_lo(p) - (unsigned)len;
    memcpy(p + lo, cell, len);
    uint8_t *slots = p + BT_HDR;
    memmove(slots + BT_SLOT * (idx + 1), slots + BT_SLOT * idx, BT_SLOT * (n - idx));
    put_slot(p, idx, lo, cell_head(cell, plen));
    tw_store_u16(p + BT_OFF_N, (uint16_t)(n + 1));
    tw_store_u16(p + BT_OFF_CELL_LO, (uint16_t)lo);
    return 0;
}

void bt_node_remove(uint8_t *p, unsigned idx, size_t size) {
    unsigned n = bt_n(p), off = bt_slot(p, idx);
    if (off == bt_cell_lo(p))
        tw_store_u16(p + BT_OFF_CELL_LO, (uint16_t)(off + size));
    else
        tw_store_u16(p + BT_OFF_FRAG, (uint16_t)(bt_frag(p) + size));
    uint8_t *slots = p + BT_HDR;
    memmove(slots + BT_SLOT * idx, slots + BT_SLOT * (idx + 1), BT_SLOT * (n - idx - 1));
    tw_store_u16(p + BT_OFF_N, (uint16_t)(n - 1));
    if (n == 1) {
        tw_store_u16(p + BT_OFF_CELL_LO, (uint16_t)TW_PAGE_SIZE);
        tw_store_u16(p + BT_OFF_FRAG, 0);
    }
}

uint32_t bt_child(const uint8_t *p, unsigned i) {
    if (i >= bt_n(p)) return tw_load_u32(p + BT_OFF_RIGHT);
    unsigned off = bt_slot(p, i);
    if (off < bt_cell_lo(p) || off > TW_PAGE_SIZE - BT_CELL_HDR) return 0;
    return bt_cell_word(p + off);
}

void bt_set_child(uint8_t *p, unsigned i, uint32_t pgno) {
    if (i >= bt_n(p))
        tw_store_u32(p + BT_OFF_RIGHT, pgno);
    else
        tw_store_u32(p + bt_slot(p, i) + 2, pgno);
}

/* ---- overflow chains ----------------------------------------------------------------- */

static size_t ovf_pages(size_t vlen) {
    return (vlen + BT_OVF_CAP - 1) / BT_OVF_CAP;
}

/* Fetches overflow page `pgno`, checking its tag. */
static int ovf_get(tw_pager *pg, uint32_t pgno, tw_frame **f, tw_err *err) {
    if (pgno == 0) return tw_err_set(err, TWILL_CORRUPT, NULL, "overflow chain ends early");
    int rc = tw_pager_get(pg, pgno, f, err);
    if (rc) return rc;
    if (tw_frame_data(*f)[0] != TW_PAGE_OVERFLOW) {
        tw_pager_unpin(pg, *f);
        return tw_err_set(err, TWILL_CORRUPT, NULL, "page %u is not an overflow page", pgno);
    }
    return TWILL_OK;
}

int bt_ovf_write(tw_pager *pg, const uint8_t *val, size_t vlen, uint32_t *head, tw_err *err) {
    tw_frame *prev = NULL;
    uint32_t first = 0;
    size_t off = 0;
    while (off < vlen) {
        tw_frame *f;
        int rc = tw_pager_alloc(pg, &f, err);
        if (rc) {
            if (prev) tw_pager_unpin(pg, prev);
            /* Best effort: the chain is unreachable either way, the first error wins. */
            if (first) bt_ovf_free(pg, first, off, NULL);
            return rc;
        }
        uint8_t *d = tw_frame_data(f);
        size_t chunk = vlen - off < BT_OVF_CAP ? vlen - off : BT_OVF_CAP;
        d[0] = TW_PAGE_OVERFLOW;
        tw_store_u32(d + BT_OVF_NEXT, 0);
        memcpy(d + BT_OVF_DATA, val + off, chunk);
        if (prev) {
            tw_store_u32(tw_frame_data(prev) + BT_OVF_NEXT, tw_frame_pgno(f));
            tw_pager_unpin(pg, prev);
        } else {
            first = tw_frame_pgno(f);
        }
        prev = f;
        off += chunk;
    }
    if (prev) tw_pager_unpin(pg, prev);
    *head = first;
    return TWILL_OK;
}

int bt_ovf_read(tw_pager *pg, uint32_t head, size_t vlen, tw_buf *out, tw_err *err) {
    out->len = 0;
    if (tw_buf_reserve(out, vlen))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory reading a %zu-byte value", vlen);
    uint32_t pgno = head;
    for (size_t off = 0; off < vlen;) {
        tw_frame *f;
        int rc = ovf_get(pg, pgno, &f, err);
        if (rc) return rc;
        const uint8_t *d = tw_frame_data(f);
        size_t chunk = vlen - off < BT_OVF_CAP ? vlen - off : BT_OVF_CAP;
        memcpy(out->p + off, d + BT_OVF_DATA, chunk);
        pgno = tw_load_u32(d + BT_OVF_NEXT);
        tw_pager_unpin(pg, f);
        off += chunk;
    }
    out->len = vlen;
    return TWILL_OK;
}

int bt_ovf_collect(tw_pager *pg, uint32_t head, size_t vlen, tw_buf *list, tw_err *err) {
    uint32_t pgno = head;
    for (size_t i = ovf_pages(vlen); i > 0; i--) {
        tw_frame *f;
        int rc = ovf_get(pg, pgno, &f, err);
        if (rc) return rc;
        if (tw_buf_append(list, &pgno, sizeof pgno)) {
            tw_pager_unpin(pg, f);
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        }
        pgno = tw_load_u32(tw_frame_data(f) + BT_OVF_NEXT);
        tw_pager_unpin(pg, f);
    }
    return TWILL_OK;
}

int bt_ovf_free(tw_pager *pg, uint32_t head, size_t vlen, tw_err *err) {
    uint32_t pgno = head;
    for (size_t i = ovf_pages(vlen); i > 0; i--) {
        tw_frame *f;
        int rc = ovf_get(pg, pgno, &f, err);
        if (rc) return rc;
        uint32_t next = tw_load_u32(tw_frame_data(f) + BT_OVF_NEXT);
        tw_pager_unpin(pg, f);
        if ((rc = tw_pager_free(pg, pgno, err))) return rc;
        pgno = next;
    }
    return TWILL_OK;
}
