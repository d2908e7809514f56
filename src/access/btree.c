/*
 * btree.c — B+tree algorithms over the slotted nodes of btree_page.c: lookups, inserts
 * with splits, deletes with merges, drop, cursors and the invariant checker.
 *
 * Failure atomicity: put and delete first gather everything that can fail (overflow
 * chain for the new value, page reservations for a split cascade, sibling pages for a
 * merge) while the tree is untouched; only then do they modify pages, in steps that
 * cannot fail. Freeing pages that left the tree comes last: if that fails, the pages
 * leak, but the tree is intact. An error therefore means "not applied", except for
 * such trailing frees and damage detected on an already corrupt page.
 */
#include "access/btree.h"
#include "access/btree_internal.h"

#include <stdlib.h>
#include <string.h>

/* A node under a quarter full tries to merge with a sibling. */
#define UNDERFLOW (BT_USABLE / 4)

static int corrupt(tw_err *err, uint32_t pgno, const char *what) {
    return tw_err_set(err, TWILL_CORRUPT, NULL, "btree page %u: %s", pgno, what);
}

/* Pins a tree node, checking its header. */
static int node_get(tw_pager *pg, uint32_t pgno, tw_frame **f, tw_err *err) {
    if (pgno == 0) return corrupt(err, 0, "null child pointer");
    int rc = tw_pager_get(pg, pgno, f, err);
    if (rc) return rc;
    if (!bt_node_hdr_ok(tw_frame_data(*f))) {
        tw_pager_unpin(pg, *f);
        return corrupt(err, pgno, "not a btree node");
    }
    return TWILL_OK;
}

static size_t node_used(const uint8_t *p) {
    return BT_USABLE - bt_node_free(p);
}

typedef struct leafval {
    const uint8_t *inl; /* inline value, or NULL when it lives in an overflow chain */
    size_t vlen;
    uint32_t ovf;
} leafval;

static int leaf_value(const uint8_t *p, unsigned i, leafval *v) {
    if (!bt_cell_size(p, i)) return -1;
    const uint8_t *c = bt_cell(p, i);
    size_t klen = bt_cell_klen(c);
    uint32_t w = bt_cell_word(c);
    if (w & BT_VAL_OVF) {
        v->inl = NULL;
        v->vlen = w & ~BT_VAL_OVF;
        v->ovf = tw_load_u32(c + BT_CELL_HDR + klen);
        if (v->vlen > TW_BTREE_MAX_VALUE || v->ovf == 0) return -1;
    } else {
        v->inl = c + BT_CELL_HDR + klen;
        v->vlen = w;
        v->ovf = 0;
    }
    return 0;
}

/* Frees the pages listed (u32 each) in list. */
static int free_pages(tw_pager *pg, const tw_buf *list, tw_err *err) {
    int rc = TWILL_OK;
    for (size_t i = 0; i + sizeof(uint32_t) <= list->len && !rc; i += sizeof(uint32_t)) {
        uint32_t pgno;
        memcpy(&pgno, list->p + i, sizeof pgno);
        rc = tw_pager_free(pg, pgno, err);
    }
    return rc;
}

/* ---- create / get -------------------------------------------------------------------- */

int tw_btree_create(tw_pager *pg, uint32_t *root_out, tw_err *err) {
    tw_frame *f;
    int rc = tw_pager_alloc(pg, &f, err);
    if (rc) return rc;
    bt_node_init(tw_frame_data(f), TW_PAGE_LEAF);
    *root_out = tw_frame_pgno(f);
    tw_pager_unpin(pg, f);
    return TWILL_OK;
}

int tw_btree_get(tw_pager *pg, uint32_t root, const void *key, size_t klen, tw_buf *val, int *found,
                 tw_err *err) {
    *found = 0;
    if (klen > TW_BTREE_MAX_KEY) return TWILL_OK; /* cannot be stored, so is not */
    uint32_t pgno = root;
    for (int depth = 0; depth < BT_MAX_DEPTH; depth++) {
        tw_frame *f;
        int rc = node_get(pg, pgno, &f, err);
        if (rc) return rc;
        const uint8_t *p = tw_frame_data(f);
        unsigned idx;
        int eq;
        if (bt_search(p, key, klen, &idx, &eq)) {
            tw_pager_unpin(pg, f);
            return corrupt(err, pgno, "cell out of bounds");
        }
        if (p[0] == TW_PAGE_INTERNAL) {
            pgno = bt_child(p, idx + (unsigned)eq);
            tw_pager_unpin(pg, f);
            continue;
        }
        if (!eq) {
            tw_pager_unpin(pg, f);
            return TWILL_OK;
        }
        leafval v;
        if (leaf_value(p, idx, &v)) {
            tw_pager_unpin(pg, f);
            return corrupt(err, pgno, "bad leaf cell");
        }
        if (v.inl) {
            rc = tw_buf_set(val, v.inl, v.vlen);
            tw_pager_unpin(pg, f);
            if (rc) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory copying a value");
        } else {
            tw_pager_unpin(pg, f);
            if ((rc = bt_ovf_read(pg, v.ovf, v.vlen, val, err))) return rc;
        }
        *found = 1;
        return TWILL_OK;
    }
    return corrupt(err, root, "tree deeper than the depth limit");
}

/* ---- root-to-leaf paths ------------------------------------------------------------- */

typedef struct bt_path {
    tw_frame *f[BT_MAX_DEPTH];
    unsigned idx[BT_MAX_DEPTH]; /* internal: child taken; leaf: slot (lower bound) */
    int depth;
} bt_path;

static void path_release(tw_pager *pg, bt_path *path) {
    for (int i = 0; i < path->depth; i++) tw_pager_unpin(pg, path->f[i]);
    path->depth = 0;
}

/* Descends to the leaf for `key`, keeping the whole path pinned (writers only: the
 * exclusive latch makes holding several pins harmless, and the split or merge that may
 * follow needs the ancestors without another fetch that could fail). */
static int descend(tw_pager *pg, uint32_t root, const void *key, size_t klen, bt_path *path,
                   int *eq, tw_err *err) {
    path->depth = 0;
    uint32_t pgno = root;
    for (;;) {
        if (path->depth == BT_MAX_DEPTH) {
            path_release(pg, path);
            return corrupt(err, root, "tree deeper than the depth limit");
        }
        tw_frame *f;
        int rc = node_get(pg, pgno, &f, err);
        if (rc) {
            path_release(pg, path);
            return rc;
        }
        int d = path->depth++;
        path->f[d] = f;
        const uint8_t *p = tw_frame_data(f);
        unsigned idx;
        if (bt_search(p, key, klen, &idx, eq)) {
            path_release(pg, path);
            return corrupt(err, pgno, "cell out of bounds");
        }
        if (p[0] == TW_PAGE_LEAF) {
            path->idx[d] = idx;
            return TWILL_OK;
        }
        path->idx[d] = idx + (unsigned)*eq;
        pgno = bt_child(p, path->idx[d]);
    }
}

/* ---- put ------------------------------------------------------------------------------ */

/* Picks the split point of m cells (sizes in lens) after inserting at `idx`: the left
 * node gets cells [0, k). For internal nodes cell k moves up and the right node gets
 * [k+1, m). Inserting at an edge keeps the old cells together, so sequential (or
 * reverse-sequential) inserts leave full nodes behind instead of half-empty ones. */
static unsigned choose_split(const uint16_t *lens, unsigned m, unsigned idx, int leaf,
                             int at_edge) {
    size_t total = 0;
    for (unsigned i = 0; i < m; i++) total += lens[i] + (size_t)BT_SLOT;
    if (at_edge && leaf) return idx == 0 ? 1 : m - 1;
    if (at_edge) return idx == 0 ? 1 : m - 2;
    unsigned best = 1, lo = 1, hi = leaf ? m - 1 : m - 2;
    size_t best_max = SIZE_MAX, left = 0;
    for (unsigned k = 0; k < lo; k++) left += lens[k] + (size_t)BT_SLOT;
    for (unsigned k = lo; k <= hi; k++) {
        size_t right = total - left - (leaf ? 0 : lens[k] + (size_t)BT_SLOT);
        size_t mx = left > right ? left : right;
        if (left <= BT_USABLE && right <= BT_USABLE && mx < best_max) {
            best_max = mx;
            best = k;
        }
        left += lens[k] + (size_t)BT_SLOT;
    }
    return best;
}

static void make_int_cell(uint8_t *cell, uint32_t child, const uint8_t *key, size_t klen) {
    tw_store_u16(cell, (uint16_t)klen);
    tw_store_u32(cell + 2, child);
    memcpy(cell + BT_CELL_HDR, key, klen);
}

/* Inserts (or, with `replace`, substitutes) the leaf cell at the path's leaf, splitting
 * up the path as needed with pages taken from resv. */
static int apply_insert(tw_pager *pg, bt_path *path, int replace, const uint8_t *cell, size_t clen,
                        tw_frame **resv, int *nres_used, tw_err *err) {
    _Static_assert(BT_INT_MAX_CELL <= BT_LEAF_MAX_CELL, "separator cells fit any node");
    uint8_t upcell[BT_INT_MAX_CELL];
    uint8_t sep[TW_BTREE_MAX_KEY];
    const uint8_t *cells[BT_MAX_CELLS + 1];
    uint16_t lens[BT_MAX_CELLS + 1];
    uint8_t L[TW_PAGE_SIZE], R[TW_PAGE_SIZE];
    int d = path->depth - 1;
    unsigned idx = path->idx[d];
    for (;; d--) {
        tw_frame *f = path->f[d];
        uint8_t *p = tw_frame_data(f);
        uint32_t pgno = tw_frame_pgno(f);
        tw_pager_mark_dirty(pg, f);
        size_t oldsz = replace ? bt_cell_size(p, idx) : 0;
        if (bt_node_free(p) + (replace ? oldsz + BT_SLOT : 0) >= clen + BT_SLOT) {
            if (replace) bt_node_remove(p, idx, oldsz);
            if (bt_node_insert(p, idx, cell, clen)) return corrupt(err, pgno, "damaged node");
            return TWILL_OK;
        }
        if (bt_node_check(p)) return corrupt(err, pgno, "damaged node");
        unsigned n = bt_n(p), m = 0;
        for (unsigned i = 0; i < n; i++) {
            if (i == idx) {
                cells[m] = cell;
                lens[m++] = (uint16_t)clen;
                if (replace) continue;
            }
            cells[m] = bt_cell(p, i);
            lens[m++] = (uint16_t)bt_cell_size(p, i);
        }
        if (idx == n) {
            cells[m] = cell;
            lens[m++] = (uint16_t)clen;
        }
        int leaf = p[0] == TW_PAGE_LEAF;
        int at_edge = !replace && (idx == 0 || idx == n);
        unsigned k = choose_split(lens, m, idx, leaf, at_edge);
        size_t seplen;
        if (leaf) {
            bt_node_build(L, TW_PAGE_LEAF, cells, lens, k, 0);
            bt_node_build(R, TW_PAGE_LEAF, cells + k, lens + k, m - k, 0);
            /* The shortest separator s with max(left) < s <= min(right): a prefix of
             * min(right) one byte longer than its common prefix with max(left). */
            const uint8_t *a = cells[k - 1] + BT_CELL_HDR, *b = cells[k] + BT_CELL_HDR;
            size_t al = bt_cell_klen(cells[k - 1]), bl = bt_cell_klen(cells[k]), lcp = 0;
            while (lcp < al && lcp < bl && a[lcp] == b[lcp]) lcp++;
            seplen = lcp + 1 <= bl ? lcp + 1 : bl;
            memcpy(sep, b, seplen);
        } else {
            bt_node_build(L, TW_PAGE_INTERNAL, cells, lens, k, bt_cell_word(cells[k]));
            bt_node_build(R, TW_PAGE_INTERNAL, cells + k + 1, lens + k + 1, m - k - 1,
                          tw_load_u32(p + BT_OFF_RIGHT));
            seplen = bt_cell_klen(cells[k]);
            memcpy(sep, cells[k] + BT_CELL_HDR, seplen);
        }
        if (d == 0) {
            /* The root never moves: both halves go down into new pages. */
            tw_frame *a = resv[(*nres_used)++], *b = resv[(*nres_used)++];
            memcpy(tw_frame_data(a), L, TW_PAGE_SIZE);
            memcpy(tw_frame_data(b), R, TW_PAGE_SIZE);
            bt_node_init(p, TW_PAGE_INTERNAL);
            make_int_cell(upcell, tw_frame_pgno(a), sep, seplen);
            bt_node_insert(p, 0, upcell, BT_CELL_HDR + seplen);
            tw_store_u32(p + BT_OFF_RIGHT, tw_frame_pgno(b));
            return TWILL_OK;
        }
        tw_frame *rf = resv[(*nres_used)++];
        memcpy(p, L, TW_PAGE_SIZE);
        memcpy(tw_frame_data(rf), R, TW_PAGE_SIZE);
        /* In the parent, the pointer that led here now leads to the right half, and the
         * left half (this page) goes in before it under the new separator. */
        unsigned pi = path->idx[d - 1];
        bt_set_child(tw_frame_data(path->f[d - 1]), pi, tw_frame_pgno(rf));
        make_int_cell(upcell, pgno, sep, seplen);
        cell = upcell;
        clen = BT_CELL_HDR + seplen;
        idx = pi;
        replace = 0;
    }
}

int tw_btree_put(tw_pager *pg, uint32_t root, const void *key, size_t klen, const void *val,
                 size_t vlen, tw_err *err) {
    if (klen > TW_BTREE_MAX_KEY)
        return tw_err_set(err, TWILL_MISUSE, NULL, "key of %zu bytes exceeds the %d-byte limit",
                          klen, TW_BTREE_MAX_KEY);
    if (vlen > TW_BTREE_MAX_VALUE)
        return tw_err_set(err, TWILL_MISUSE, NULL, "value of %zu bytes exceeds the limit", vlen);

    uint8_t cell[BT_LEAF_MAX_CELL];
    size_t clen;
    uint32_t ovf = 0;
    tw_store_u16(cell, (uint16_t)klen);
    if (klen) memcpy(cell + BT_CELL_HDR, key, klen);
    if (BT_CELL_HDR + klen + vlen <= BT_LEAF_MAX_CELL) {
        tw_store_u32(cell + 2, (uint32_t)vlen);
        if (vlen) memcpy(cell + BT_CELL_HDR + klen, val, vlen);
        clen = BT_CELL_HDR + klen + vlen;
    } else {
        int rc = bt_ovf_write(pg, val, vlen, &ovf, err);
        if (rc) return rc;
        tw_store_u32(cell + 2, (uint32_t)vlen | BT_VAL_OVF);
        tw_store_u32(cell + BT_CELL_HDR + klen, ovf);
        clen = BT_CELL_HDR + klen + 4;
    }

    bt_path path;
    int eq, rc;
    tw_frame *resv[2 * BT_MAX_DEPTH + 2];
    int nres = 0, used = 0;
    leafval old = {0};
    tw_buf oldchain = {0};
    if ((rc = descend(pg, root, key, klen, &path, &eq, err))) goto fail;
    int d = path.depth - 1;
    uint8_t *leaf = tw_frame_data(path.f[d]);
    size_t oldsz = 0;
    if (eq) {
        oldsz = bt_cell_size(leaf, path.idx[d]);
        if (!oldsz || leaf_value(leaf, path.idx[d], &old)) {
            rc = corrupt(err, tw_frame_pgno(path.f[d]), "bad leaf cell");
            goto fail;
        }
        /* The replaced value's chain is listed now, so freeing it later cannot fail. */
        if (old.ovf && (rc = bt_ovf_collect(pg, old.ovf, old.vlen, &oldchain, err))) goto fail;
    }
    if (bt_node_free(leaf) + (eq ? oldsz + BT_SLOT : 0) < clen + BT_SLOT) {
        /* A split cascade: reserve a page per level that may split (two at the root),
         * assuming the largest separator, so that applying it cannot fail. */
        int need = d == 0 ? 2 : 1;
        for (int a = d - 1; a >= 0; a--) {
            if (bt_node_free(tw_frame_data(path.f[a])) >= BT_INT_MAX_CELL + BT_SLOT) break;
            need += a == 0 ? 2 : 1;
        }
        for (; nres < need; nres++)
            if ((rc = tw_pager_alloc(pg, &resv[nres], err))) goto fail;
    }

    tw_pager_bump_generation(pg);
    rc = apply_insert(pg, &path, eq, cell, clen, resv, &used, err);
    path_release(pg, &path);
    for (int i = 0; i < used; i++) tw_pager_unpin(pg, resv[i]);
    for (int i = used; i < nres; i++) {
        uint32_t pgno = tw_frame_pgno(resv[i]);
        tw_pager_unpin(pg, resv[i]);
        int frc = tw_pager_free(pg, pgno, err);
        if (!rc) rc = frc;
    }
    if (rc == TWILL_OK) rc = free_pages(pg, &oldchain, err);
    tw_buf_free(&oldchain);
    return rc;

fail:
    tw_buf_free(&oldchain);
    path_release(pg, &path);
    for (int i = 0; i < nres; i++) {
        uint32_t pgno = tw_frame_pgno(resv[i]);
        tw_pager_unpin(pg, resv[i]);
        tw_pager_free(pg, pgno, NULL);
    }
    if (ovf) bt_ovf_free(pg, ovf, vlen, NULL);
    return rc;
}

/* ---- delete --------------------------------------------------------------------------- */

enum { ACT_NONE, ACT_REMOVE, ACT_MERGE };
enum { ROOT_KEEP, ROOT_EMPTY, ROOT_COLLAPSE };

/* Merges node `right` into `left` (same type); for internal nodes the parent's
 * separator `sep` (an internal cell of the parent) comes down between them. */
static void merge_nodes(uint8_t *left, const uint8_t *right, const uint8_t *sepcell) {
    const uint8_t *cells[2 * BT_MAX_CELLS + 1];
    uint16_t lens[2 * BT_MAX_CELLS + 1];
    uint8_t down[BT_INT_MAX_CELL];
    uint8_t tmp[TW_PAGE_SIZE];
    unsigned m = 0, nl = bt_n(left), nr = bt_n(right);
    int leaf = left[0] == TW_PAGE_LEAF;
    for (unsigned i = 0; i < nl; i++) {
        cells[m] = bt_cell(left, i);
        lens[m++] = (uint16_t)bt_cell_size(left, i);
    }
    if (!leaf) {
        size_t kl = bt_cell_klen(sepcell);
        make_int_cell(down, tw_load_u32(left + BT_OFF_RIGHT), sepcell + BT_CELL_HDR, kl);
        cells[m] = down;
        lens[m++] = (uint16_t)(BT_CELL_HDR + kl);
    }
    for (unsigned i = 0; i < nr; i++) {
        cells[m] = bt_cell(right, i);
        lens[m++] = (uint16_t)bt_cell_size(right, i);
    }
    bt_node_build(tmp, left[0], cells, lens, m, leaf ? 0 : tw_load_u32(right + BT_OFF_RIGHT));
    memcpy(left, tmp, TW_PAGE_SIZE);
}

/* Removes child i from internal node p (its key range joins a neighbour's). */
static void remove_child(uint8_t *p, unsigned i) {
    unsigned n = bt_n(p);
    if (i < n) {
        bt_node_remove(p, i, bt_cell_size(p, i));
    } else {
        tw_store_u32(p + BT_OFF_RIGHT, bt_child(p, n - 1));
        bt_node_remove(p, n - 1, bt_cell_size(p, n - 1));
    }
}

int tw_btree_delete(tw_pager *pg, uint32_t root, const void *key, size_t klen, int *found,
                    tw_err *err) {
    if (found) *found = 0;
    if (klen > TW_BTREE_MAX_KEY) return TWILL_OK;
    bt_path path;
    int eq;
    int rc = descend(pg, root, key, klen, &path, &eq, err);
    if (rc) return rc;
    if (!eq) {
        path_release(pg, &path);
        return TWILL_OK;
    }
    int d = path.depth - 1;
    uint8_t *leaf = tw_frame_data(path.f[d]);
    unsigned li = path.idx[d];
    size_t oldsz = bt_cell_size(leaf, li);
    leafval old = {0};
    uint32_t tofree[BT_MAX_DEPTH + 1];
    int nfree = 0;
    tw_buf oldchain = {0};
    if (!oldsz || leaf_value(leaf, li, &old)) {
        path_release(pg, &path);
        return corrupt(err, tw_frame_pgno(path.f[d]), "bad leaf cell");
    }
    if (old.ovf && (rc = bt_ovf_collect(pg, old.ovf, old.vlen, &oldchain, err))) {
        path_release(pg, &path);
        tw_buf_free(&oldchain);
        return rc;
    }

    /* Plan, bottom-up, with nothing modified yet: an emptied node leaves its parent; an
     * underfull one merges with a sibling when both fit in one page. */
    int act[BT_MAX_DEPTH] = {0};
    tw_frame *sib[BT_MAX_DEPTH] = {0};
    int sib_left[BT_MAX_DEPTH] = {0};
    tw_frame *collapse = NULL;
    int root_act = ROOT_KEEP;
    int x_empty = bt_n(leaf) == 1;
    size_t x_used = node_used(leaf) - oldsz - BT_SLOT;
    int lv = d;
    while (lv > 0) {
        uint8_t *p = tw_frame_data(path.f[lv - 1]);
        unsigned pi = path.idx[lv - 1], pn = bt_n(p);
        if (x_empty) {
            act[lv] = ACT_REMOVE;
            lv--;
            if (pn == 0) continue; /* the parent's only child: it empties too */
            unsigned j = pi < pn ? pi : pn - 1;
            x_used = node_used(p) - bt_cell_size(p, j) - BT_SLOT;
            x_empty = 0;
            continue;
        }
        if (x_used >= UNDERFLOW || pn == 0) break;
        unsigned si = pi > 0 ? pi - 1 : pi + 1, j = pi < si ? pi : si;
        tw_frame *sf;
        if ((rc = node_get(pg, bt_child(p, si), &sf, err))) goto fail;
        const uint8_t *s = tw_frame_data(sf), *x = tw_frame_data(path.f[lv]);
        if (s[0] != x[0] || bt_node_check(s) || bt_node_check(x) || !bt_cell_size(p, j)) {
            tw_pager_unpin(pg, sf);
            rc = corrupt(err, tw_frame_pgno(sf), "damaged sibling");
            goto fail;
        }
        size_t merged =
            x_used + node_used(s) + (x[0] == TW_PAGE_INTERNAL ? bt_cell_size(p, j) + BT_SLOT : 0);
        if (merged > BT_USABLE) {
            tw_pager_unpin(pg, sf);
            break;
        }
        act[lv] = ACT_MERGE;
        sib[lv] = sf;
        sib_left[lv] = si < pi;
        x_used = node_used(p) - bt_cell_size(p, j) - BT_SLOT;
        lv--;
    }
    if (d > 0 && act[1] != ACT_NONE) {
        const uint8_t *r = tw_frame_data(path.f[0]);
        unsigned rn = bt_n(r), pi = path.idx[0];
        if (rn == 0) {
            root_act = ROOT_EMPTY; /* its only subtree emptied */
        } else if (rn == 1) {
            /* Down to one child: pull it up into the root, which never moves. */
            unsigned keep = act[1] == ACT_MERGE ? (sib_left[1] ? pi - 1 : pi) : (pi == 0 ? 1 : 0);
            if ((rc = node_get(pg, bt_child(r, keep), &collapse, err))) goto fail;
            root_act = ROOT_COLLAPSE;
        }
    }

    /* Apply. */
    tw_pager_bump_generation(pg);
    tw_pager_mark_dirty(pg, path.f[d]);
    bt_node_remove(leaf, li, oldsz);
    for (lv = d; lv > 0 && act[lv] != ACT_NONE; lv--) {
        tw_frame *pf = path.f[lv - 1];
        uint8_t *p = tw_frame_data(pf);
        unsigned pi = path.idx[lv - 1];
        tw_pager_mark_dirty(pg, pf);
        if (act[lv] == ACT_REMOVE) {
            if (bt_n(p) > 0) remove_child(p, pi);
            tofree[nfree++] = tw_frame_pgno(path.f[lv]);
            continue;
        }
        tw_frame *lf = sib_left[lv] ? sib[lv] : path.f[lv];
        tw_frame *rf = sib_left[lv] ? path.f[lv] : sib[lv];
        unsigned j = sib_left[lv] ? pi - 1 : pi;
        tw_pager_mark_dirty(pg, lf);
        merge_nodes(tw_frame_data(lf), tw_frame_data(rf), bt_cell(p, j));
        bt_set_child(p, j + 1, tw_frame_pgno(lf));
        bt_node_remove(p, j, bt_cell_size(p, j));
        tofree[nfree++] = tw_frame_pgno(rf);
    }
    uint8_t *r = tw_frame_data(path.f[0]);
    if (root_act == ROOT_EMPTY) {
        bt_node_init(r, TW_PAGE_LEAF);
    } else if (root_act == ROOT_COLLAPSE) {
        memcpy(r, tw_frame_data(collapse), TW_PAGE_SIZE);
        tofree[nfree++] = tw_frame_pgno(collapse);
    }
    rc = TWILL_OK;
    if (found) *found = 1;

fail:
    path_release(pg, &path);
    for (int i = 0; i < BT_MAX_DEPTH; i++)
        if (sib[i]) tw_pager_unpin(pg, sib[i]);
    if (collapse) tw_pager_unpin(pg, collapse);
    for (int i = 0; i < nfree && !rc; i++) rc = tw_pager_free(pg, tofree[i], err);
    if (!rc) rc = free_pages(pg, &oldchain, err);
    tw_buf_free(&oldchain);
    return rc;
}

/* ---- drop ----------------------------------------------------------------------------- */

/* Lists every page of the subtree (overflow chains included), children first. */
static int collect(tw_pager *pg, uint32_t pgno, int depth, tw_buf *list, tw_err *err) {
    if (depth >= BT_MAX_DEPTH) return corrupt(err, pgno, "tree deeper than the depth limit");
    tw_frame *f;
    int rc = node_get(pg, pgno, &f, err);
    if (rc) return rc;
    const uint8_t *p = tw_frame_data(f);
    unsigned n = bt_n(p);
    if (p[0] == TW_PAGE_INTERNAL) {
        for (unsigned i = 0; i <= n && !rc; i++)
            rc = collect(pg, bt_child(p, i), depth + 1, list, err);
    } else {
        for (unsigned i = 0; i < n && !rc; i++) {
            leafval v;
            if (leaf_value(p, i, &v))
                rc = corrupt(err, pgno, "bad leaf cell");
            else if (v.ovf)
                rc = bt_ovf_collect(pg, v.ovf, v.vlen, list, err);
        }
    }
    tw_pager_unpin(pg, f);
    if (!rc && tw_buf_append(list, &pgno, sizeof pgno))
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    return rc;
}

int tw_btree_drop(tw_pager *pg, uint32_t root, tw_err *err) {
    /* Collect first, free second: a read error leaves the tree whole. */
    tw_buf list = {0};
    int rc = collect(pg, root, 0, &list, err);
    if (!rc) {
        tw_pager_bump_generation(pg);
        rc = free_pages(pg, &list, err);
    }
    tw_buf_free(&list);
    return rc;
}

/* ---- cursors --------------------------------------------------------------------------- */

struct tw_btcursor {
    tw_pager *pg;
    uint32_t root;
    int valid;
    int stale;    /* the saved position is unusable: re-seek even if gen matches */
    int depth;    /* levels in pgno/idx, leaf last */
    uint64_t gen; /* pager generation the path was taken at */
    uint32_t pgno[BT_MAX_DEPTH];
    unsigned idx[BT_MAX_DEPTH];
    size_t klen;
    uint8_t key[TW_BTREE_MAX_KEY];
};

enum { SEEK_GE, SEEK_GT, SEEK_LE, SEEK_LT, SEEK_FIRST, SEEK_LAST };

int tw_btcursor_open(tw_pager *pg, uint32_t root, tw_btcursor **out, tw_err *err) {
    tw_btcursor *c = malloc(sizeof *c);
    if (!c) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory opening a cursor");
    c->pg = pg;
    c->root = root;
    c->valid = 0;
    c->stale = 0;
    c->depth = 0;
    c->gen = 0;
    c->klen = 0;
    *out = c;
    return TWILL_OK;
}

void tw_btcursor_close(tw_btcursor *c) {
    free(c);
}

static int cur_load(tw_btcursor *c, const uint8_t *p, unsigned i, tw_err *err) {
    if (!bt_cell_size(p, i)) {
        c->valid = 0;
        return corrupt(err, c->pgno[c->depth - 1], "bad leaf cell");
    }
    const uint8_t *cell = bt_cell(p, i);
    c->klen = bt_cell_klen(cell);
    memcpy(c->key, cell + BT_CELL_HDR, c->klen);
    c->valid = 1;
    c->stale = 0;
    return TWILL_OK;
}

/* Moves from the current leaf to the next (dir > 0) or previous non-empty leaf and onto
 * its first / last entry; invalid past either end. */
static int step_leaf(tw_btcursor *c, int dir, tw_err *err) {
    for (;;) {
        int d = c->depth - 2;
        uint32_t child = 0;
        for (; d >= 0; d--) {
            tw_frame *f;
            int rc = node_get(c->pg, c->pgno[d], &f, err);
            if (rc) return c->valid = 0, rc;
            const uint8_t *p = tw_frame_data(f);
            unsigned n = bt_n(p);
            int can = dir > 0 ? c->idx[d] < n : c->idx[d] > 0;
            if (can) {
                c->idx[d] = dir > 0 ? c->idx[d] + 1 : c->idx[d] - 1;
                child = bt_child(p, c->idx[d]);
            }
            tw_pager_unpin(c->pg, f);
            if (can) break;
        }
        if (d < 0) {
            c->valid = 0;
            return TWILL_OK;
        }
        for (d++;; d++) {
            if (d >= BT_MAX_DEPTH) return c->valid = 0, corrupt(err, c->root, "too deep");
            tw_frame *f;
            int rc = node_get(c->pg, child, &f, err);
            if (rc) return c->valid = 0, rc;
            c->pgno[d] = child;
            const uint8_t *p = tw_frame_data(f);
            unsigned n = bt_n(p);
            if (p[0] == TW_PAGE_INTERNAL) {
                c->idx[d] = dir > 0 ? 0 : n;
                child = bt_child(p, c->idx[d]);
                tw_pager_unpin(c->pg, f);
                continue;
            }
            c->depth = d + 1;
            if (n == 0) { /* only a damaged or root leaf is empty; keep walking */
                c->idx[d] = 0;
                tw_pager_unpin(c->pg, f);
                break;
            }
            c->idx[d] = dir > 0 ? 0 : n - 1;
            rc = cur_load(c, p, c->idx[d], err);
            tw_pager_unpin(c->pg, f);
            return rc;
        }
    }
}

static int cur_seek(tw_btcursor *c, int mode, const void *key, size_t klen, tw_err *err) {
    c->valid = 0;
    c->gen = tw_pager_generation(c->pg);
    uint32_t pgno = c->root;
    for (int d = 0; d < BT_MAX_DEPTH; d++) {
        tw_frame *f;
        int rc = node_get(c->pg, pgno, &f, err);
        if (rc) return rc;
        const uint8_t *p = tw_frame_data(f);
        unsigned n = bt_n(p), lb = 0;
        int eq = 0;
        if (mode < SEEK_FIRST && bt_search(p, key, klen, &lb, &eq)) {
            tw_pager_unpin(c->pg, f);
            return corrupt(err, pgno, "cell out of bounds");
        }
        c->pgno[d] = pgno;
        if (p[0] == TW_PAGE_INTERNAL) {
            unsigned ci = mode == SEEK_FIRST ? 0 : mode == SEEK_LAST ? n : lb + (unsigned)eq;
            c->idx[d] = ci;
            pgno = bt_child(p, ci);
            tw_pager_unpin(c->pg, f);
            continue;
        }
        c->depth = d + 1;
        long i;
        switch (mode) {
        case SEEK_GE:
            i = lb;
            break;
        case SEEK_GT:
            i = (long)lb + eq;
            break;
        case SEEK_LE:
            i = (long)lb + eq - 1;
            break;
        case SEEK_LT:
            i = (long)lb - 1;
            break;
        case SEEK_FIRST:
            i = 0;
            break;
        default:
            i = (long)n - 1;
            break;
        }
        if (i >= 0 && i < (long)n) {
            c->idx[d] = (unsigned)i;
            rc = cur_load(c, p, (unsigned)i, err);
            tw_pager_unpin(c->pg, f);
            return rc;
        }
        tw_pager_unpin(c->pg, f);
        c->idx[d] = 0;
        return step_leaf(c, i < 0 ? -1 : 1, err);
    }
    return corrupt(err, c->root, "tree deeper than the depth limit");
}

int tw_btcursor_seek(tw_btcursor *c, const void *key, size_t klen, tw_err *err) {
    return cur_seek(c, SEEK_GE, key, klen, err);
}

int tw_btcursor_seek_le(tw_btcursor *c, const void *key, size_t klen, tw_err *err) {
    return cur_seek(c, SEEK_LE, key, klen, err);
}

int tw_btcursor_first(tw_btcursor *c, tw_err *err) {
    return cur_seek(c, SEEK_FIRST, NULL, 0, err);
}

int tw_btcursor_last(tw_btcursor *c, tw_err *err) {
    return cur_seek(c, SEEK_LAST, NULL, 0, err);
}

static int cur_moved_under(const tw_btcursor *c) {
    return c->stale || tw_pager_generation(c->pg) != c->gen;
}

static int cur_step(tw_btcursor *c, int dir, tw_err *err) {
    if (!c->valid) return TWILL_OK;
    if (cur_moved_under(c)) {
        /* The path may name freed or rewritten pages: find our place again by key. The
         * seek overwrites c->key only once it has found the new entry. */
        uint8_t saved[TW_BTREE_MAX_KEY];
        size_t sl = c->klen;
        memcpy(saved, c->key, sl);
        return cur_seek(c, dir > 0 ? SEEK_GT : SEEK_LT, saved, sl, err);
    }
    int d = c->depth - 1;
    tw_frame *f;
    int rc = node_get(c->pg, c->pgno[d], &f, err);
    if (rc) return c->valid = 0, rc;
    const uint8_t *p = tw_frame_data(f);
    unsigned n = bt_n(p), i = c->idx[d];
    if (dir > 0 ? i + 1 < n : i > 0 && i - 1 < n) {
        c->idx[d] = dir > 0 ? i + 1 : i - 1;
        rc = cur_load(c, p, c->idx[d], err);
        tw_pager_unpin(c->pg, f);
        return rc;
    }
    tw_pager_unpin(c->pg, f);
    return step_leaf(c, dir, err);
}

int tw_btcursor_next(tw_btcursor *c, tw_err *err) {
    return cur_step(c, 1, err);
}

int tw_btcursor_prev(tw_btcursor *c, tw_err *err) {
    return cur_step(c, -1, err);
}

int tw_btcursor_valid(const tw_btcursor *c) {
    return c->valid;
}

const void *tw_btcursor_key(const tw_btcursor *c, size_t *klen) {
    if (!c->valid) {
        *klen = 0;
        return NULL;
    }
    *klen = c->klen;
    return c->key;
}

int tw_btcursor_value(tw_btcursor *c, tw_buf *val, tw_err *err) {
    if (!c->valid) return tw_err_set(err, TWILL_MISUSE, NULL, "cursor is not on an entry");
    if (cur_moved_under(c)) {
        uint8_t saved[TW_BTREE_MAX_KEY];
        size_t sl = c->klen;
        memcpy(saved, c->key, sl);
        int rc = cur_seek(c, SEEK_GE, saved, sl, err);
        if (rc) return rc;
        if (!c->valid || bt_keycmp(c->key, c->klen, saved, sl) != 0) {
            /* Stay where the caller thinks we are; the next move re-seeks from there. */
            memcpy(c->key, saved, sl);
            c->klen = sl;
            c->valid = 1;
            c->stale = 1;
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "the cursor's entry was deleted; move the cursor first");
        }
    }
    int d = c->depth - 1;
    tw_frame *f;
    int rc = node_get(c->pg, c->pgno[d], &f, err);
    if (rc) return rc;
    const uint8_t *p = tw_frame_data(f);
    leafval v;
    if (p[0] != TW_PAGE_LEAF || c->idx[d] >= bt_n(p) || leaf_value(p, c->idx[d], &v)) {
        tw_pager_unpin(c->pg, f);
        return corrupt(err, c->pgno[d], "bad leaf cell");
    }
    if (v.inl) {
        rc = tw_buf_set(val, v.inl, v.vlen);
        tw_pager_unpin(c->pg, f);
        if (rc) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory copying a value");
        return TWILL_OK;
    }
    tw_pager_unpin(c->pg, f);
    return bt_ovf_read(c->pg, v.ovf, v.vlen, val, err);
}

int tw_btcursor_scan(tw_btcursor *c, tw_btscan_fn fn, void *arg, size_t *visited, tw_err *err) {
    *visited = 0;
    if (!c->valid) return TWILL_OK;
    if (cur_moved_under(c)) {
        uint8_t saved[TW_BTREE_MAX_KEY];
        size_t sl = c->klen;
        memcpy(saved, c->key, sl);
        int rc = cur_seek(c, SEEK_GE, saved, sl, err);
        if (rc || !c->valid) return rc;
    }
    int d = c->depth - 1;
    tw_frame *f;
    int rc = node_get(c->pg, c->pgno[d], &f, err);
    if (rc) return c->valid = 0, rc;
    const uint8_t *p = tw_frame_data(f);
    unsigned n = bt_n(p), i = c->idx[d];
    if (p[0] != TW_PAGE_LEAF) {
        tw_pager_unpin(c->pg, f);
        return c->valid = 0, corrupt(err, c->pgno[d], "cursor path does not end at a leaf");
    }
    if (n == 0) { /* only an empty root leaf; nothing here */
        tw_pager_unpin(c->pg, f);
        return step_leaf(c, 1, err);
    }
    for (; i < n; i++) {
        leafval v;
        if (!bt_cell_size(p, i) || leaf_value(p, i, &v)) {
            tw_pager_unpin(c->pg, f);
            return c->valid = 0, corrupt(err, c->pgno[d], "bad leaf cell");
        }
        if (!v.inl) break; /* overflow: the caller reads it with tw_btcursor_value */
        const uint8_t *cell = bt_cell(p, i);
        (*visited)++;
        if (fn(arg, cell + BT_CELL_HDR, bt_cell_klen(cell), v.inl, v.vlen)) {
            i++;
            break;
        }
    }
    if (i < n) {
        c->idx[d] = i;
        rc = cur_load(c, p, i, err);
        tw_pager_unpin(c->pg, f);
        return rc;
    }
    /* The whole leaf is consumed: stand on its last entry and step to the next leaf. */
    c->idx[d] = n - 1;
    rc = cur_load(c, p, n - 1, err);
    tw_pager_unpin(c->pg, f);
    return rc ? rc : step_leaf(c, 1, err);
}

/* ---- invariant checker --------------------------------------------------------------- */

typedef struct checker {
    tw_pager *pg;
    tw_err *err;
    uint8_t *seen; /* one bit per page: catches a page reachable twice */
    uint32_t npages;
    uint64_t pages;
    int leaf_depth;
} checker;

static int mark_seen(checker *ck, uint32_t pgno) {
    if (pgno == 0 || pgno >= ck->npages) return corrupt(ck->err, pgno, "page number out of range");
    if (ck->seen[pgno / 8] & (1u << (pgno % 8)))
        return corrupt(ck->err, pgno, "page reached twice");
    ck->seen[pgno / 8] |= (uint8_t)(1u << (pgno % 8));
    ck->pages++;
    return TWILL_OK;
}

static int check_overlap(const uint8_t *p) {
    uint8_t used[TW_PAGE_SIZE / 8] = {0};
    for (unsigned i = 0, n = bt_n(p); i < n; i++) {
        unsigned off = bt_slot(p, i);
        size_t sz = bt_cell_size(p, i);
        for (size_t b = off; b < off + sz; b++) {
            if (used[b / 8] & (1u << (b % 8))) return -1;
            used[b / 8] |= (uint8_t)(1u << (b % 8));
        }
    }
    return 0;
}

static int check_node(checker *ck, uint32_t pgno, int depth, const uint8_t *lo, size_t lolen,
                      const uint8_t *hi, size_t hilen) {
    tw_err *err = ck->err;
    if (depth >= BT_MAX_DEPTH) return corrupt(err, pgno, "too deep");
    int rc = mark_seen(ck, pgno);
    if (rc) return rc;
    tw_frame *f;
    if ((rc = node_get(ck->pg, pgno, &f, err))) return rc;
    const uint8_t *p = tw_frame_data(f);
    unsigned n = bt_n(p);
    if (bt_node_check(p) || check_overlap(p)) {
        rc = corrupt(err, pgno, "cell area inconsistent");
        goto out;
    }
    const uint8_t *prev = lo;
    size_t prevlen = lolen;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *c = bt_cell(p, i);
        const uint8_t *k = c + BT_CELL_HDR;
        size_t kl = bt_cell_klen(c);
        /* Keys ascend strictly inside a node and stay within the parent's bounds:
         * lo <= key (lo is the separator before this subtree) and key < hi. */
        if (prev &&
            (i == 0 ? bt_keycmp(prev, prevlen, k, kl) > 0 : bt_keycmp(prev, prevlen, k, kl) >= 0)) {
            rc = corrupt(err, pgno, "keys out of order");
            goto out;
        }
        if (hi && bt_keycmp(k, kl, hi, hilen) >= 0) {
            rc = corrupt(err, pgno, "key above the parent's separator");
            goto out;
        }
        prev = k;
        prevlen = kl;
    }
    if (p[0] == TW_PAGE_LEAF) {
        if (ck->leaf_depth < 0) ck->leaf_depth = depth;
        if (ck->leaf_depth != depth) {
            rc = corrupt(err, pgno, "leaves at different depths");
            goto out;
        }
        if (n == 0 && depth > 0) {
            rc = corrupt(err, pgno, "empty non-root leaf");
            goto out;
        }
        for (unsigned i = 0; i < n && !rc; i++) {
            leafval v;
            if (leaf_value(p, i, &v)) {
                rc = corrupt(err, pgno, "bad value");
                break;
            }
            if (!v.ovf) continue;
            if (BT_CELL_HDR + bt_cell_klen(bt_cell(p, i)) + v.vlen <= BT_LEAF_MAX_CELL) {
                rc = corrupt(err, pgno, "small value stored out of line");
                break;
            }
            tw_buf chain = {0};
            rc = bt_ovf_collect(ck->pg, v.ovf, v.vlen, &chain, err);
            for (size_t b = 0; !rc && b < chain.len; b += 4) {
                uint32_t o;
                memcpy(&o, chain.p + b, 4);
                rc = mark_seen(ck, o);
            }
            tw_buf_free(&chain);
        }
        goto out;
    }
    for (unsigned i = 0; i <= n && !rc; i++) {
        const uint8_t *clo = lo, *chi = hi;
        size_t clol = lolen, chil = hilen;
        if (i > 0) {
            clo = bt_cell(p, i - 1) + BT_CELL_HDR;
            clol = bt_cell_klen(bt_cell(p, i - 1));
        }
        if (i < n) {
            chi = bt_cell(p, i) + BT_CELL_HDR;
            chil = bt_cell_klen(bt_cell(p, i));
        }
        rc = check_node(ck, bt_child(p, i), depth + 1, clo, clol, chi, chil);
    }
out:
    tw_pager_unpin(ck->pg, f);
    return rc;
}

int tw_btree_check(tw_pager *pg, uint32_t root, uint64_t *pages_out, tw_err *err) {
    checker ck = {.pg = pg, .err = err, .npages = tw_pager_page_count(pg), .leaf_depth = -1};
    ck.seen = calloc((size_t)ck.npages / 8 + 1, 1);
    if (!ck.seen) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    int rc = check_node(&ck, root, 0, NULL, 0, NULL, 0);
    free(ck.seen);
    if (!rc && pages_out) *pages_out = ck.pages;
    return rc;
}
