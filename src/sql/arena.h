/*
 * arena.h — bump allocation for memory whose lifetime is a phase (a plan, one row of
 * evaluation, a sort run). Freed all at once; tw_arena_reset keeps the first chunk so
 * a per-row arena stops calling malloc after warm-up.
 */
#ifndef TW_SQL_ARENA_H
#define TW_SQL_ARENA_H

#include <stddef.h>

typedef struct tw_arena_chunk tw_arena_chunk;
typedef struct tw_arena {
    tw_arena_chunk *head;
    size_t used; /* bytes used in head */
} tw_arena;

/* NULL on allocation failure. Memory is 16-byte aligned, not zeroed. */
void *tw_arena_alloc(tw_arena *a, size_t n);
void *tw_arena_zalloc(tw_arena *a, size_t n);
char *tw_arena_strndup(tw_arena *a, const char *s, size_t n);
void tw_arena_reset(tw_arena *a);
void tw_arena_free(tw_arena *a);

#endif
