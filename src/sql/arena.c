#include "sql/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tw_arena_chunk {
    tw_arena_chunk *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

#define ARENA_MIN_CHUNK 4096

void *tw_arena_alloc(tw_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (a->head && a->head->cap - a->used >= n) {
        void *p = a->head->data + a->used;
        a->used += n;
        return p;
    }
    size_t cap = a->head ? a->head->cap * 2 : ARENA_MIN_CHUNK;
    if (cap > (1u << 20)) cap = 1u << 20;
    if (cap < n) cap = n;
    if (cap > SIZE_MAX - sizeof(tw_arena_chunk)) return NULL;
    tw_arena_chunk *c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->cap = cap;
    c->next = a->head;
    a->head = c;
    a->used = n;
    return c->data;
}

void *tw_arena_zalloc(tw_arena *a, size_t n) {
    void *p = tw_arena_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

char *tw_arena_strndup(tw_arena *a, const char *s, size_t n) {
    char *p = tw_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void tw_arena_reset(tw_arena *a) {
    if (!a->head) return;
    /* Keep the largest (newest) chunk: it is what the phase needed at its peak. */
    tw_arena_chunk *keep = a->head, *c = keep->next;
    while (c) {
        tw_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    keep->next = NULL;
    a->used = 0;
}

void tw_arena_free(tw_arena *a) {
    tw_arena_chunk *c = a->head;
    while (c) {
        tw_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->used = 0;
}
