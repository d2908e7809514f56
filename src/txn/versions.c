#include "txn/versions.h"

#include "twill/engine.h"

#include <stdlib.h>
#include <string.h>

struct tw_old_version {
    tw_old_version *older;     /* next in this key's chain (newest first) */
    tw_old_version *fifo_next; /* gc order */
    tw_vkey *owner;
    uint64_t from, to;
    int deleted;
    size_t vlen;
    uint8_t val[];
};

struct tw_vkey {
    tw_vkey *hnext;
    uint64_t hash;
    tw_old_version *chain;
    size_t klen;
    uint8_t key[];
};

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

int tw_versions_init(tw_versions *vs) {
    memset(vs, 0, sizeof *vs);
    vs->nbuckets = 1024;
    vs->buckets = calloc(vs->nbuckets, sizeof *vs->buckets);
    return vs->buckets ? TWILL_OK : TWILL_NOMEM;
}

void tw_versions_free(tw_versions *vs) {
    tw_versions_gc(vs, UINT64_MAX);
    free(vs->buckets);
    memset(vs, 0, sizeof *vs);
}

static tw_vkey *find_key(const tw_versions *vs, const uint8_t *k, size_t n, uint64_t h) {
    for (tw_vkey *e = vs->buckets[h & (vs->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == n && memcmp(e->key, k, n) == 0) return e;
    return NULL;
}

static void grow(tw_versions *vs) {
    size_t nb = vs->nbuckets * 2;
    tw_vkey **b = calloc(nb, sizeof *b);
    if (!b) return; /* keep the old table: slower, still correct */
    for (size_t i = 0; i < vs->nbuckets; i++) {
        tw_vkey *e = vs->buckets[i];
        while (e) {
            tw_vkey *n = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = n;
        }
    }
    free(vs->buckets);
    vs->buckets = b;
    vs->nbuckets = nb;
}

int tw_versions_push(tw_versions *vs, const uint8_t *ckey, size_t cklen, uint64_t from, uint64_t to,
                     int deleted, const void *val, size_t vlen) {
    uint64_t h = hash_bytes(ckey, cklen);
    tw_vkey *k = find_key(vs, ckey, cklen, h);
    if (!k) {
        k = malloc(sizeof *k + cklen);
        if (!k) return TWILL_NOMEM;
        k->hash = h;
        k->chain = NULL;
        k->klen = cklen;
        memcpy(k->key, ckey, cklen);
        k->hnext = vs->buckets[h & (vs->nbuckets - 1)];
        vs->buckets[h & (vs->nbuckets - 1)] = k;
        if (++vs->nkeys > vs->nbuckets) grow(vs);
    }
    tw_old_version *v = malloc(sizeof *v + vlen);
    if (!v) {
        if (!k->chain) { /* unlink the empty key again */
            tw_vkey **pp = &vs->buckets[h & (vs->nbuckets - 1)];
            while (*pp != k) pp = &(*pp)->hnext;
            *pp = k->hnext;
            free(k);
            vs->nkeys--;
        }
        return TWILL_NOMEM;
    }
    v->owner = k;
    v->from = from;
    v->to = to;
    v->deleted = deleted;
    v->vlen = vlen;
    if (vlen) memcpy(v->val, val, vlen);
    v->older = k->chain;
    k->chain = v;
    v->fifo_next = NULL;
    if (vs->fifo_tail)
        vs->fifo_tail->fifo_next = v;
    else
        vs->fifo_head = v;
    vs->fifo_tail = v;
    vs->nversions++;
    return TWILL_OK;
}

int tw_versions_lookup(const tw_versions *vs, const uint8_t *ckey, size_t cklen, uint64_t snapshot,
                       int *deleted, const uint8_t **val, size_t *vlen) {
    if (!vs->nkeys) return 0;
    tw_vkey *k = find_key(vs, ckey, cklen, hash_bytes(ckey, cklen));
    if (!k) return 0;
    for (tw_old_version *v = k->chain; v; v = v->older) {
        if (v->from <= snapshot && snapshot < v->to) {
            *deleted = v->deleted;
            *val = v->val;
            *vlen = v->vlen;
            return 1;
        }
    }
    return 0;
}

void tw_versions_gc(tw_versions *vs, uint64_t oldest) {
    while (vs->fifo_head && vs->fifo_head->to <= oldest) {
        tw_old_version *v = vs->fifo_head;
        vs->fifo_head = v->fifo_next;
        if (!vs->fifo_head) vs->fifo_tail = NULL;
        tw_vkey *k = v->owner;
        tw_old_version **pp = &k->chain;
        while (*pp != v) pp = &(*pp)->older;
        *pp = v->older;
        free(v);
        vs->nversions--;
        if (!k->chain) {
            tw_vkey **kp = &vs->buckets[k->hash & (vs->nbuckets - 1)];
            while (*kp != k) kp = &(*kp)->hnext;
            *kp = k->hnext;
            free(k);
            vs->nkeys--;
        }
    }
}
