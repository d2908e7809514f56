/*
 * writeset.h — a transaction's own uncommitted writes, in key order.
 *
 * A skiplist over composite keys (8-byte big-endian table id + row key), allocated
 * from an arena freed all at once when the transaction ends. Each key keeps a chain
 * of versions tagged with the command id that wrote them, newest first, so a
 * command sees only what earlier commands wrote (statement-level snapshots inside a
 * transaction). Nodes are never unlinked while the set lives, so an iterator stays
 * valid while the same transaction keeps writing. Appending keys in ascending order
 * (bulk loads) takes a fast path that skips the search.
 */
#ifndef TW_TXN_WRITESET_H
#define TW_TXN_WRITESET_H

#include <stddef.h>
#include <stdint.h>

#define TW_WS_MAX_HEIGHT 24

typedef struct tw_ws_version {
    struct tw_ws_version *next; /* older */
    uint32_t cid;
    uint8_t deleted;
    uint32_t vlen;
    uint8_t val[];
} tw_ws_version;

typedef struct tw_ws_node {
    tw_ws_version *ver; /* newest first */
    uint32_t klen;      /* composite key length (8 + row key) */
    uint8_t height;
    uint8_t *key;
    struct tw_ws_node *next[];
} tw_ws_node;

typedef struct tw_ws_chunk tw_ws_chunk;

typedef struct tw_writeset {
    tw_ws_node *head;
    tw_ws_node *tail[TW_WS_MAX_HEIGHT]; /* last node at each level (append fast path) */
    tw_ws_node *last;
    int height;
    uint64_t rng;
    size_t count; /* distinct keys with at least one version */
    size_t bytes; /* payload bytes, for sizing the commit record */
    tw_ws_chunk *chunks;
    uint8_t *arena_p, *arena_end;
} tw_writeset;

/* Composite key: table id big-endian, then the row key. */
#define TW_WS_PREFIX 8
static inline void tw_ws_make_prefix(uint8_t out[TW_WS_PREFIX], uint64_t table) {
    for (int i = 7; i >= 0; i--, table >>= 8) out[i] = (uint8_t)table;
}

int tw_ws_init(tw_writeset *ws);
void tw_ws_free(tw_writeset *ws);
/* Records a write of (ckey) at command cid. Returns TWILL_NOMEM on failure. */
int tw_ws_write(tw_writeset *ws, const uint8_t *ckey, size_t cklen, uint32_t cid, int deleted,
                const void *val, size_t vlen);
/* Savepoint rollback: discards every version written by a command >= mark. Nodes stay
 * linked (iterators and the append fast path keep working) but may be left with an
 * empty chain (ver == NULL); readers treat such a node as absent, and `count` only
 * counts nodes with a version. */
void tw_ws_rollback_to(tw_writeset *ws, uint32_t mark);
/* Exact lookup; NULL if absent. */
tw_ws_node *tw_ws_find(const tw_writeset *ws, const uint8_t *ckey, size_t cklen);
/* First node with key >= ckey (NULL if none). */
tw_ws_node *tw_ws_seek(const tw_writeset *ws, const uint8_t *ckey, size_t cklen);
/* Last node with key < ckey (NULL if none). */
tw_ws_node *tw_ws_seek_lt(const tw_writeset *ws, const uint8_t *ckey, size_t cklen);
static inline tw_ws_node *tw_ws_first(const tw_writeset *ws) {
    return ws->head->next[0];
}
/* The newest version with cid < limit (NULL if every version is newer). */
static inline tw_ws_version *tw_ws_visible(const tw_ws_node *n, uint32_t limit) {
    tw_ws_version *v = n->ver;
    while (v && v->cid >= limit) v = v->next;
    return v;
}

#endif
