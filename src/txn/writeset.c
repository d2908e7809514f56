#include "txn/writeset.h"

#include "twill/engine.h"

#include <stdlib.h>
#include <string.h>

struct tw_ws_chunk {
    tw_ws_chunk *next;
    size_t size;
    uint8_t data[];
};

#define CHUNK_MIN (256 * 1024)

static void *arena_alloc(tw_writeset *ws, size_t n) {
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(ws->arena_end - ws->arena_p) < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        tw_ws_chunk *c = malloc(sizeof *c + size);
        if (!c) return NULL;
        c->next = ws->chunks;
        c->size = size;
        ws->chunks = c;
        ws->arena_p = c->data;
        ws->arena_end = c->data + size;
    }
    void *p = ws->arena_p;
    ws->arena_p += n;
    return p;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

int tw_ws_init(tw_writeset *ws) {
    memset(ws, 0, sizeof *ws);
    ws->rng = 0x9E3779B97F4A7C15ull;
    ws->head = arena_alloc(ws, sizeof(tw_ws_node) + TW_WS_MAX_HEIGHT * sizeof(tw_ws_node *));
    if (!ws->head) return TWILL_NOMEM;
    memset(ws->head, 0, sizeof(tw_ws_node) + TW_WS_MAX_HEIGHT * sizeof(tw_ws_node *));
    ws->head->height = TW_WS_MAX_HEIGHT;
    ws->height = 1;
    for (int i = 0; i < TW_WS_MAX_HEIGHT; i++) ws->tail[i] = ws->head;
    ws->last = NULL;
    return TWILL_OK;
}

void tw_ws_free(tw_writeset *ws) {
    tw_ws_chunk *c = ws->chunks;
    while (c) {
        tw_ws_chunk *n = c->next;
        free(c);
        c = n;
    }
    memset(ws, 0, sizeof *ws);
}

static int random_height(tw_writeset *ws) {
    /* xorshift64; a node reaches level k with probability 4^-k. */
    uint64_t x = ws->rng;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ws->rng = x;
    int h = 1;
    while (h < TW_WS_MAX_HEIGHT && (x & 3) == 0) h++, x >>= 2;
    return h;
}

/* Fills prev[] with, per level, the last node whose key < ckey. */
static tw_ws_node *search(const tw_writeset *ws, const uint8_t *ckey, size_t cklen,
                          tw_ws_node **prev) {
    tw_ws_node *x = ws->head;
    for (int lvl = ws->height - 1; lvl >= 0; lvl--) {
        tw_ws_node *n;
        while ((n = x->next[lvl]) && key_cmp(n->key, n->klen, ckey, cklen) < 0) x = n;
        if (prev) prev[lvl] = x;
    }
    return x->next[0];
}

tw_ws_node *tw_ws_find(const tw_writeset *ws, const uint8_t *ckey, size_t cklen) {
    if (!ws->last || key_cmp(ws->last->key, ws->last->klen, ckey, cklen) < 0) return NULL;
    tw_ws_node *n = search(ws, ckey, cklen, NULL);
    return n && key_cmp(n->key, n->klen, ckey, cklen) == 0 ? n : NULL;
}

tw_ws_node *tw_ws_seek(const tw_writeset *ws, const uint8_t *ckey, size_t cklen) {
    return search(ws, ckey, cklen, NULL);
}

tw_ws_node *tw_ws_seek_lt(const tw_writeset *ws, const uint8_t *ckey, size_t cklen) {
    tw_ws_node *prev[TW_WS_MAX_HEIGHT];
    search(ws, ckey, cklen, prev);
    return prev[0] == ws->head ? NULL : prev[0];
}

int tw_ws_write(tw_writeset *ws, const uint8_t *ckey, size_t cklen, uint32_t cid, int deleted,
                const void *val, size_t vlen) {
    tw_ws_node *prev[TW_WS_MAX_HEIGHT];
    tw_ws_node *n = NULL;
    int append = !ws->last || key_cmp(ws->last->key, ws->last->klen, ckey, cklen) < 0;
    if (!append) {
        n = search(ws, ckey, cklen, prev);
        if (n && key_cmp(n->key, n->klen, ckey, cklen) != 0) n = NULL;
    }
    if (n && n->ver && n->ver->cid == cid) {
        /* Rewritten by the same command: replace in place when it fits. */
        tw_ws_version *v = n->ver;
        if (v->vlen >= vlen) {
            ws->bytes -= v->vlen;
            v->deleted = (uint8_t)deleted;
            v->vlen = (uint32_t)vlen;
            if (vlen) memcpy(v->val, val, vlen);
            ws->bytes += vlen;
            return TWILL_OK;
        }
    }
    tw_ws_version *v = arena_alloc(ws, sizeof *v + vlen);
    if (!v) return TWILL_NOMEM;
    v->cid = cid;
    v->deleted = (uint8_t)deleted;
    v->vlen = (uint32_t)vlen;
    if (vlen) memcpy(v->val, val, vlen);
    ws->bytes += vlen;
    if (n) {
        if (!n->ver) ws->count++; /* emptied by a savepoint rollback: live again */
        if (n->ver && n->ver->cid == cid) {
            ws->bytes -= n->ver->vlen;
            v->next = n->ver->next; /* the same command's older value is dead */
        } else {
            v->next = n->ver;
        }
        n->ver = v;
        return TWILL_OK;
    }
    v->next = NULL;
    int h = random_height(ws);
    n = arena_alloc(ws, sizeof *n + (size_t)h * sizeof(tw_ws_node *) + cklen);
    if (!n) return TWILL_NOMEM;
    n->ver = v;
    n->klen = (uint32_t)cklen;
    n->height = (uint8_t)h;
    n->key = (uint8_t *)&n->next[h];
    memcpy(n->key, ckey, cklen);
    for (int i = ws->height; i < h; i++) prev[i] = ws->head;
    if (h > ws->height) ws->height = h;
    if (append) {
        for (int i = 0; i < h; i++) {
            n->next[i] = NULL;
            ws->tail[i]->next[i] = n;
            ws->tail[i] = n;
        }
        ws->last = n;
    } else {
        for (int i = 0; i < h; i++) {
            tw_ws_node *p = prev[i];
            n->next[i] = p->next[i];
            p->next[i] = n;
            if (!n->next[i]) ws->tail[i] = n;
        }
    }
    ws->count++;
    return TWILL_OK;
}

void tw_ws_rollback_to(tw_writeset *ws, uint32_t mark) {
    for (tw_ws_node *n = tw_ws_first(ws); n; n = n->next[0]) {
        if (!n->ver) continue;
        /* Chains are newest first and command ids only grow, so the discarded versions
         * are a prefix of the chain. Their memory stays in the arena until the end. */
        while (n->ver && n->ver->cid >= mark) {
            ws->bytes -= n->ver->vlen;
            n->ver = n->ver->next;
        }
        if (!n->ver) ws->count--;
    }
}
