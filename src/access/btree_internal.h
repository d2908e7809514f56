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

/* ---- btree internals ---------------------------------------------------------------- */

/* Walks the whole tree and checks every invariant of docs/access.md: page types, key
 * order inside pages and against separators, uniform leaf depth, free-space accounting,
 * overflow chain lengths. Counts the pages it visits (tree + overflow) into *pages_out
 * (may be NULL). Returns TWILL_CORRUPT with a description on the first violation. */
int tw_btree_check(tw_pager *pg, uint32_t root, uint64_t *pages_out, tw_err *err);

#endif
