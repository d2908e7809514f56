/*
 * btree.h — B+trees of byte-string keys and values over the pager.
 *
 * Keys compare with memcmp (shorter-is-smaller on a tie); callers encode typed keys
 * order-preservingly first. Keys are at most TW_BTREE_MAX_KEY bytes; values of any
 * size up to TW_BTREE_MAX_VALUE (large ones spill to overflow page chains). A tree
 * is named by its root page, which never moves for the tree's life (a root split
 * moves the old root's contents down), so the layer above can record it once.
 *
 * Concurrency: the caller holds the engine's tree latch — shared for get and cursor
 * moves, exclusive for create/put/delete/drop. A cursor may outlive the latch between
 * moves: every modification bumps the pager-wide generation, and a cursor that sees a
 * new generation re-seeks from its saved key, so it never reads a freed page.
 */
#ifndef TW_ACCESS_BTREE_H
#define TW_ACCESS_BTREE_H

#include "access/pager.h"
#include "util/buf.h"

#define TW_BTREE_MAX_KEY 1024
#define TW_BTREE_MAX_VALUE (1u << 30)

int tw_btree_create(tw_pager *pg, uint32_t *root_out, tw_err *err);
/* Frees every page of the tree, root included. */
int tw_btree_drop(tw_pager *pg, uint32_t root, tw_err *err);

/* Copies the value of `key` into *val (replacing its contents); *found = 0 if absent. */
int tw_btree_get(tw_pager *pg, uint32_t root, const void *key, size_t klen, tw_buf *val, int *found,
                 tw_err *err);
/* Inserts or replaces. */
int tw_btree_put(tw_pager *pg, uint32_t root, const void *key, size_t klen, const void *val,
                 size_t vlen, tw_err *err);
/* Removes `key`; *found (may be NULL) tells whether it was there. */
int tw_btree_delete(tw_pager *pg, uint32_t root, const void *key, size_t klen, int *found,
                    tw_err *err);

typedef struct tw_btcursor tw_btcursor;

int tw_btcursor_open(tw_pager *pg, uint32_t root, tw_btcursor **out, tw_err *err);
void tw_btcursor_close(tw_btcursor *c);
/* Positions at the first key >= key (seek) / first key / last key / last key <= key
 * (seek_le). Then valid() tells whether the cursor is on an entry. */
int tw_btcursor_seek(tw_btcursor *c, const void *key, size_t klen, tw_err *err);
int tw_btcursor_seek_le(tw_btcursor *c, const void *key, size_t klen, tw_err *err);
int tw_btcursor_first(tw_btcursor *c, tw_err *err);
int tw_btcursor_last(tw_btcursor *c, tw_err *err);
int tw_btcursor_next(tw_btcursor *c, tw_err *err);
int tw_btcursor_prev(tw_btcursor *c, tw_err *err);
int tw_btcursor_valid(const tw_btcursor *c);
/* The current entry. The key pointer is valid until the next move or close; the value
 * is copied into *val (it may live in overflow pages). */
const void *tw_btcursor_key(const tw_btcursor *c, size_t *klen);
int tw_btcursor_value(tw_btcursor *c, tw_buf *val, tw_err *err);

/* Visits entries from the cursor's position forward within its current leaf under one
 * page pin: fn(arg, key, klen, val, vlen) per entry; pointers are valid only during the
 * call. Stops at the end of the leaf, after an entry for which fn returns nonzero, or
 * before an entry whose value lives in overflow pages (read that one with
 * tw_btcursor_value). Afterwards the cursor is on the first entry not visited (moved to
 * the next leaf when the leaf was consumed; invalid at the end). For fast scans. */
typedef int (*tw_btscan_fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen);
int tw_btcursor_scan(tw_btcursor *c, tw_btscan_fn fn, void *arg, size_t *visited, tw_err *err);

#endif
