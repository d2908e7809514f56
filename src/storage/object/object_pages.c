/*
 * object_pages.c — the page store of the s3:// backend: immutable layer objects (one per
 * checkpoint, zstd-compressed page images with an index at the end) and a manifest,
 * advanced by compare-and-swap, naming the live layers. Formats and protocol:
 * docs/storage-object.md ("Page store").
 */
#include "storage/object/object_int.h"
#include "util/crc32c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define ZSTD_LEVEL 1 /* checkpoints are on the commit path's heels: favour speed */

/* ---- in-memory page index ----------------------------------------------------------------- */

int tw_obj_add_version(tw_object *o, uint32_t pgno, page_ver v) {
    if (pgno >= o->npages) {
        size_t n = o->npages ? o->npages : 64;
        while (n <= pgno) n *= 2;
        page_slot *p = realloc(o->pages, n * sizeof *p);
        if (!p) return TWILL_NOMEM;
        memset(p + o->npages, 0, (n - o->npages) * sizeof *p);
        o->pages = p, o->npages = n;
    }
    page_slot *s = &o->pages[pgno];
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 2;
        page_ver *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv) return TWILL_NOMEM;
        s->v = nv, s->cap = cap;
    }
    uint32_t i = s->n; /* keep ascending lsn; layers normally arrive in order */
    while (i > 0 && s->v[i - 1].lsn > v.lsn) {
        s->v[i] = s->v[i - 1];
        i--;
    }
    s->v[i] = v;
    s->n++;
    return TWILL_OK;
}

void tw_obj_pages_free(tw_object *o) {
    for (size_t i = 0; i < o->npages; i++) free(o->pages[i].v);
    free(o->pages);
    free(o->layers);
    free(o->stage);
    tw_buf_free(&o->stage_data);
    o->pages = NULL, o->layers = NULL, o->stage = NULL;
    o->npages = o->nlayers = o->nstage = 0;
}

void tw_obj_range_key(char *out, size_t cap, const char *layer, uint64_t off, uint64_t len) {
    snprintf(out, cap, "%s@%llu+%llu", layer, (unsigned long long)off, (unsigned long long)len);
}

static int layer_consistent(tw_object *o, const layer_ref *L, tw_err *err) {
    if (L->size < LAYER_HDR + FOOTER ||
        L->index_off + (uint64_t)L->count * INDEX_ENT + FOOTER != L->size)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: manifest entry for %s is inconsistent",
                          o->name, L->name);
    return TWILL_OK;
}

/* Checks a layer's index + footer bytes (b) against the manifest entry. */
static int check_layer_index(tw_object *o, const layer_ref *L, const tw_buf *b, tw_err *err) {
    if (b->len != L->size - L->index_off)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: layer %s is missing or truncated", o->name,
                          L->name);
    const uint8_t *f = b->p + (b->len - FOOTER);
    if (memcmp(f, FOOTER_MAGIC, 8) != 0 || tw_crc32c(0, f, 28) != tw_load_u32(f + 28) ||
        tw_load_u64(f + 8) != L->index_off || tw_load_u32(f + 16) != L->count ||
        tw_crc32c(0, b->p, (size_t)L->count * INDEX_ENT) != tw_load_u32(f + 20))
        return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: layer %s has a damaged index", o->name,
                          L->name);
    for (uint32_t i = 0; i < L->count; i++) {
        const uint8_t *e = b->p + (size_t)i * INDEX_ENT;
        if (tw_load_u64(e + 16) + tw_load_u32(e + 4) > L->index_off || tw_load_u64(e + 8) > L->lsn)
            return tw_err_set(err, TWILL_CORRUPT, NULL,
                              "%s: layer %s: index entry %u is out of range", o->name, L->name, i);
    }
    return TWILL_OK;
}

/* Adds a checked layer index to the page index. */
static int add_layer_index(tw_object *o, uint32_t li, const tw_buf *b, tw_err *err) {
    const layer_ref *L = &o->layers[li];
    for (uint32_t i = 0; i < L->count; i++) {
        const uint8_t *e = b->p + (size_t)i * INDEX_ENT;
        page_ver v = {.lsn = tw_load_u64(e + 8),
                      .off = tw_load_u64(e + 16),
                      .layer = li,
                      .clen = tw_load_u32(e + 4),
                      .crc = tw_load_u32(e + 24),
                      .flags = tw_load_u32(e + 28)};
        if (tw_obj_add_version(o, tw_load_u32(e), v))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    return TWILL_OK;
}

/* Loads every layer's index: from the local cache where it has them, the rest with range
 * GETs sent in parallel. */
static int load_layer_indexes(tw_object *o, tw_err *err) {
    size_t n = o->nlayers;
    if (!n) return TWILL_OK;
    tw_buf *bufs = calloc(n, sizeof *bufs);
    tw_s3_op *ops = calloc(n, sizeof *ops);
    char(*keys)[600] = calloc(n, sizeof *keys);
    uint32_t *which = calloc(n, sizeof *which);
    int rc = TWILL_OK;
    if (!bufs || !ops || !keys || !which) {
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        goto out;
    }
    size_t nget = 0;
    for (uint32_t li = 0; li < n && !rc; li++) {
        layer_ref *L = &o->layers[li];
        if ((rc = layer_consistent(o, L, err))) break;
        char ck[200];
        tw_obj_range_key(ck, sizeof ck, L->name, L->index_off, L->size - L->index_off);
        if (tw_ocache_get(o->cache, ck, &bufs[li])) {
            if (!check_layer_index(o, L, &bufs[li], NULL)) {
                rc = add_layer_index(o, li, &bufs[li], err);
                continue;
            }
            tw_ocache_drop(o->cache, ck);
        }
        if (tw_obj_key(o, keys[nget], sizeof keys[nget], "%s", L->name)) {
            rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
            break;
        }
        ops[nget] = (tw_s3_op){.kind = TW_S3_OP_GET,
                               .key = keys[nget],
                               .off = L->index_off,
                               .len = L->size - L->index_off,
                               .out = &bufs[li]};
        which[nget++] = li;
    }
    if (!rc && nget) rc = tw_s3_batch(o->s3, ops, nget, err);
    for (size_t i = 0; i < nget && !rc; i++) {
        layer_ref *L = &o->layers[which[i]];
        if (ops[i].res.status == 404)
            rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: layer %s is missing", o->name, L->name);
        else if (!(rc = check_layer_index(o, L, &bufs[which[i]], err)) &&
                 !(rc = add_layer_index(o, which[i], &bufs[which[i]], err))) {
            char ck[200];
            tw_obj_range_key(ck, sizeof ck, L->name, L->index_off, L->size - L->index_off);
            tw_ocache_put(o->cache, ck, bufs[which[i]].p, bufs[which[i]].len);
        }
    }
out:
    for (size_t i = 0; bufs && i < n; i++) tw_buf_free(&bufs[i]);
    free(bufs), free(ops), free(keys), free(which);
    return rc;
}

/* ---- manifest ----------------------------------------------------------------------------- */

int tw_obj_encode_manifest(tw_buf *b, uint64_t ver, uint64_t ckpt, uint64_t epoch, uint64_t floor,
                           const layer_ref *ls, size_t n) {
    tw_buf_reset(b);
    int bad = tw_buf_append(b, MANIFEST_MAGIC, 8) || tw_buf_put_u32(b, 2) ||
              tw_buf_put_u32(b, (uint32_t)n) || tw_buf_put_u64(b, ver) || tw_buf_put_u64(b, ckpt) ||
              tw_buf_put_u64(b, epoch) || tw_buf_put_u64(b, floor);
    for (size_t i = 0; i < n && !bad; i++) {
        size_t nl = strlen(ls[i].name);
        bad = tw_buf_put_u64(b, ls[i].lsn) || tw_buf_put_u64(b, ls[i].size) ||
              tw_buf_put_u64(b, ls[i].index_off) || tw_buf_put_u32(b, ls[i].count) ||
              tw_buf_put_u32(b, (uint32_t)nl) || tw_buf_append(b, ls[i].name, nl);
    }
    return bad || tw_buf_put_u32(b, tw_crc32c(0, b->p, b->len)) ? TWILL_NOMEM : TWILL_OK;
}

static int decode_manifest(tw_object *o, const uint8_t *p, size_t len, uint64_t want_ver,
                           tw_err *err) {
    uint32_t fmt = len >= 12 ? tw_load_u32(p + 8) : 0;
    size_t hdr = fmt == 1 ? 40 : 48; /* version 2 adds the history floor */
    if (len < hdr + 4 || memcmp(p, MANIFEST_MAGIC, 8) != 0 || (fmt != 1 && fmt != 2) ||
        tw_crc32c(0, p, len - 4) != tw_load_u32(p + len - 4) || tw_load_u64(p + 16) != want_ver)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: manifest %llu is damaged", o->name,
                          (unsigned long long)want_ver);
    uint32_t n = tw_load_u32(p + 12);
    o->ckpt_lsn = tw_load_u64(p + 24);
    o->floor = fmt == 2 ? tw_load_u64(p + 40) : 0;
    layer_ref *ls = n ? calloc(n, sizeof *ls) : NULL;
    if (n && !ls) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    const uint8_t *q = p + hdr, *end = p + len - 4;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nl;
        if (end - q < 32 || (nl = tw_load_u32(q + 28)) >= sizeof ls[i].name ||
            (size_t)(end - q - 32) < nl) {
            free(ls);
            return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: manifest %llu is damaged", o->name,
                              (unsigned long long)want_ver);
        }
        ls[i].lsn = tw_load_u64(q), ls[i].size = tw_load_u64(q + 8);
        ls[i].index_off = tw_load_u64(q + 16), ls[i].count = tw_load_u32(q + 24);
        memcpy(ls[i].name, q + 32, nl);
        q += 32 + nl;
    }
    o->layers = ls;
    o->nlayers = n;
    o->manifest_ver = want_ver;
    return TWILL_OK;
}

int tw_obj_manifest_key(tw_object *o, uint64_t ver, char *key, size_t cap, tw_err *err) {
    if (tw_obj_key(o, key, cap, "manifest/%020llu", (unsigned long long)ver))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    return TWILL_OK;
}

int tw_obj_manifest_load(tw_object *o, int create, tw_err *err) {
    uint64_t ver = 0;
    int rc = tw_obj_newest(o, "manifest/", &ver, err);
    if (rc) return rc;
    char key[600];
    tw_buf b = {0};
    tw_s3_result res;
    if (ver == 0) {
        if (!create)
            return tw_err_set(err, TWILL_IOERR, "58P01",
                              "no database at %s (at endpoint %s); open with create=1 to make one",
                              o->name, o->url.endpoint);
        /* a racing creator may win: its empty manifest is as good as ours */
        if ((rc = tw_obj_manifest_key(o, 1, key, sizeof key, err)) ||
            (rc = tw_obj_encode_manifest(&b, 1, 0, 0, 0, NULL, 0)
                      ? tw_err_set(err, TWILL_NOMEM, NULL, "out of memory")
                      : 0) ||
            (rc = tw_s3_put(o->s3, key, b.p, b.len, TW_S3_IF_NONE_MATCH, &res, err))) {
            tw_buf_free(&b);
            return rc;
        }
        ver = 1;
    }
    if (!(rc = tw_obj_manifest_key(o, ver, key, sizeof key, err)) &&
        !(rc = tw_s3_get(o->s3, key, 0, 0, &b, &res, err))) {
        if (res.status == 404)
            rc = tw_err_set(err, TWILL_IOERR, NULL,
                            "%s: manifest %llu vanished while opening (a concurrent checkpoint?)",
                            o->name, (unsigned long long)ver);
        else
            rc = decode_manifest(o, b.p, b.len, ver, err);
    }
    tw_buf_free(&b);
    if (!rc) rc = load_layer_indexes(o, err);
    return rc;
}

/* ---- page_read ------------------------------------------------------------------------------ */

int tw_obj_page_read(tw_storage *st, uint32_t pgno, uint64_t as_of, void *buf, int *found_out,
                     uint64_t *version_out, tw_err *err) {
    tw_object *o = (tw_object *)st;
    *found_out = 0;
    memset(buf, 0, TW_PAGE_SIZE);
    pthread_rwlock_rdlock(&o->page_lock);
    page_ver v = {0};
    int have = 0;
    char key[600] = "";
    if (pgno < o->npages) {
        page_slot *s = &o->pages[pgno];
        for (uint32_t i = s->n; i-- > 0;)
            if (s->v[i].lsn <= as_of) {
                v = s->v[i];
                have = 1;
                break;
            }
    }
    int rc = TWILL_OK;
    /* below the history floor a compaction may have merged away the answer: if the page
     * changed between as_of and the floor, refuse rather than guess */
    if (as_of < o->floor && pgno < o->npages) {
        const page_slot *s = &o->pages[pgno];
        for (uint32_t i = 0; i < s->n && !rc; i++)
            if (s->v[i].lsn > as_of && s->v[i].lsn <= o->floor)
                rc = tw_err_set(err, TWILL_NOTSUP, NULL,
                                "%s: page %u as of lsn %llu: history before lsn %llu was merged "
                                "away by compaction",
                                o->name, pgno, (unsigned long long)as_of,
                                (unsigned long long)o->floor);
    }
    char ck[200] = "";
    if (rc) have = 0;
    if (have && tw_obj_key(o, key, sizeof key, "%s", o->layers[v.layer].name))
        rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    if (have) tw_obj_range_key(ck, sizeof ck, o->layers[v.layer].name, v.off, v.clen);
    pthread_rwlock_unlock(&o->page_lock);
    if (rc || !have) return rc;

    tw_buf b = {0};
    /* the local cache first; a cached copy that fails the checks is dropped and fetched */
    int cached = tw_ocache_get(o->cache, ck, &b);
    for (;;) {
        const char *why = NULL;
        if (!cached) {
            tw_s3_result res;
            if ((rc = tw_s3_get(o->s3, key, v.off, v.clen, &b, &res, err))) goto out;
            if (res.status == 404 || b.len != v.clen) {
                rc = tw_err_set(err, TWILL_CORRUPT, NULL,
                                "%s: page %u: layer object %s is missing or short", o->name, pgno,
                                key);
                goto out;
            }
        }
        if (b.len != v.clen) {
            why = "has the wrong size";
        } else if (v.flags & FLAG_ZSTD) {
            size_t got = ZSTD_decompress(buf, TW_PAGE_SIZE, b.p, b.len);
            if (ZSTD_isError(got) || got != TW_PAGE_SIZE) why = "does not decompress";
        } else if (b.len == TW_PAGE_SIZE) {
            memcpy(buf, b.p, TW_PAGE_SIZE);
        } else {
            why = "has the wrong size";
        }
        if (!why && tw_crc32c(0, buf, TW_PAGE_SIZE) != v.crc) why = "fails its checksum";
        if (!why) break;
        if (cached) { /* a damaged cache entry: only slower */
            tw_ocache_drop(o->cache, ck);
            cached = 0;
            continue;
        }
        rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: page %u in %s %s", o->name, pgno, key, why);
        goto out;
    }
    if (!cached) tw_ocache_put(o->cache, ck, b.p, b.len);
    *found_out = 1;
    if (version_out) *version_out = v.lsn;
out:
    if (rc) memset(buf, 0, TW_PAGE_SIZE);
    tw_buf_free(&b);
    return rc;
}

/* ---- checkpoints -------------------------------------------------------------------------------
 */

static int check_ckpt_lsn(tw_object *o, uint64_t lsn, tw_err *err) {
    if (lsn <= o->ckpt_lsn || lsn > o->durable_lsn)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "checkpoint LSN %llu must be above the published checkpoint %llu and at "
                          "most the durable LSN %llu",
                          (unsigned long long)lsn, (unsigned long long)o->ckpt_lsn,
                          (unsigned long long)o->durable_lsn);
    if (o->fenced)
        return tw_err_set(err, TWILL_FENCED, NULL,
                          "%s: this writer was fenced; it may not checkpoint", o->name);
    return TWILL_OK;
}

static void reset_stage(tw_object *o, uint64_t lsn) {
    o->stage_lsn = lsn;
    o->nstage = 0;
    tw_buf_reset(&o->stage_data);
}

int tw_obj_ckpt_write(tw_storage *st, uint64_t lsn, const tw_page_image *pages, size_t n,
                      tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    int rc = check_ckpt_lsn(o, lsn, err);
    if (rc) goto out;
    if (o->stage_lsn != lsn) reset_stage(o, lsn);
    size_t bound = ZSTD_compressBound(TW_PAGE_SIZE);
    for (size_t i = 0; i < n; i++) {
        if (o->nstage == o->capstage) {
            size_t cap = o->capstage ? o->capstage * 2 : 256;
            staged *s = realloc(o->stage, cap * sizeof *s);
            if (!s) {
                rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
                goto out;
            }
            o->stage = s, o->capstage = cap;
        }
        if (tw_buf_reserve(&o->stage_data, bound)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto out;
        }
        uint8_t *dst = o->stage_data.p + o->stage_data.len;
        size_t c = ZSTD_compress(dst, bound, pages[i].data, TW_PAGE_SIZE, ZSTD_LEVEL);
        uint32_t flags = FLAG_ZSTD;
        if (ZSTD_isError(c) || c >= TW_PAGE_SIZE) { /* incompressible: store it as is */
            memcpy(dst, pages[i].data, TW_PAGE_SIZE);
            c = TW_PAGE_SIZE;
            flags = 0;
        }
        o->stage[o->nstage] = (staged){.pgno = pages[i].pgno,
                                       .clen = (uint32_t)c,
                                       .crc = tw_crc32c(0, pages[i].data, TW_PAGE_SIZE),
                                       .flags = flags,
                                       .off = o->stage_data.len,
                                       .order = o->nstage};
        o->nstage++;
        o->stage_data.len += c;
    }
out:
    pthread_mutex_unlock(&o->mu);
    return rc;
}

/* A layer name's random part: names are never reused, which is what lets the local cache
 * keep layer ranges without ever checking them for staleness. */
uint64_t tw_obj_layer_nonce(tw_object *o) {
    uint64_t r = 0;
    if (getentropy(&r, sizeof r) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) * 0x9E3779B97F4A7C15ull;
    }
    return r ^ (uintptr_t)o ^ o->manifest_ver << 32 ^ o->epoch;
}

static int cmp_staged(const void *a, const void *b) {
    const staged *x = a, *y = b;
    if (x->pgno != y->pgno) return x->pgno < y->pgno ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int tw_obj_layer_footer(tw_buf *out, uint64_t index_off, uint32_t count) {
    uint32_t icrc = tw_crc32c(0, out->p + index_off, out->len - index_off);
    int bad = tw_buf_append(out, FOOTER_MAGIC, 8) || tw_buf_put_u64(out, index_off) ||
              tw_buf_put_u32(out, count) || tw_buf_put_u32(out, icrc) || tw_buf_put_u32(out, 0);
    if (bad || tw_buf_put_u32(out, tw_crc32c(0, out->p + out->len - 28, 28))) return TWILL_NOMEM;
    return TWILL_OK;
}

/* Sorts the staged pages by page number; the last image of each page wins. */
static void dedupe_stage(tw_object *o) {
    qsort(o->stage, o->nstage, sizeof *o->stage, cmp_staged);
    size_t keep = 0;
    for (size_t i = 0; i < o->nstage; i++) {
        if (i + 1 < o->nstage && o->stage[i + 1].pgno == o->stage[i].pgno) continue;
        o->stage[keep++] = o->stage[i];
    }
    o->nstage = keep;
}

/* Builds one layer object from staged pages [a, b). */
static int build_layer(tw_object *o, uint64_t lsn, size_t a, size_t b, uint32_t part, tw_buf *out,
                       uint64_t *index_off) {
    int bad = tw_buf_append(out, LAYER_MAGIC, 8) || tw_buf_put_u32(out, 1) ||
              tw_buf_put_u32(out, 0) || tw_buf_put_u64(out, lsn);
    for (size_t i = a; i < b && !bad; i++) {
        uint64_t at = out->len; /* from here on .off is the offset in the layer */
        bad = tw_buf_append(out, o->stage_data.p + o->stage[i].off, o->stage[i].clen);
        o->stage[i].off = at;
        o->stage[i].part = part;
    }
    *index_off = out->len;
    for (size_t i = a; i < b && !bad; i++) {
        const staged *s = &o->stage[i];
        bad = tw_buf_put_u32(out, s->pgno) || tw_buf_put_u32(out, s->clen) ||
              tw_buf_put_u64(out, lsn) || tw_buf_put_u64(out, s->off) ||
              tw_buf_put_u32(out, s->crc) || tw_buf_put_u32(out, s->flags);
    }
    return bad || tw_obj_layer_footer(out, *index_off, (uint32_t)(b - a)) ? TWILL_NOMEM : TWILL_OK;
}

int tw_obj_ckpt_finish(tw_storage *st, uint64_t lsn, tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    tw_buf *bodies = NULL, man = {0};
    tw_s3_op *ops = NULL;
    char(*keys)[600] = NULL;
    size_t parts = 0;
    layer_ref *ls = NULL;
    int rc = check_ckpt_lsn(o, lsn, err);
    if (rc) goto out;
    if (o->stage_lsn != lsn) reset_stage(o, lsn); /* images staged for another LSN: dropped */
    size_t n = o->nlayers;
    dedupe_stage(o);
    /* the pages go to `parts` layer objects of about TW_OBJ_LAYER_TARGET each */
    parts = 0;
    uint64_t fill = 0;
    for (size_t i = 0; i < o->nstage; i++) {
        if (i == 0 || fill + o->stage[i].clen > TW_OBJ_LAYER_TARGET) parts++, fill = 0;
        fill += o->stage[i].clen;
    }
    ls = malloc((n + parts + 1) * sizeof *ls);
    bodies = parts ? calloc(parts, sizeof *bodies) : NULL;
    ops = parts ? calloc(parts, sizeof *ops) : NULL;
    keys = parts ? calloc(parts, sizeof *keys) : NULL;
    if (!ls || (parts && (!bodies || !ops || !keys))) {
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (n) memcpy(ls, o->layers, n * sizeof *ls);
    tw_s3_result res;
    char key[600];
    for (size_t p = 0, a = 0; p < parts; p++) {
        size_t b = a;
        fill = 0;
        while (b < o->nstage && (b == a || fill + o->stage[b].clen <= TW_OBJ_LAYER_TARGET))
            fill += o->stage[b++].clen;
        layer_ref *L = &ls[n + p];
        memset(L, 0, sizeof *L);
        snprintf(L->name, sizeof L->name, "layer/%020llu-%016llx", (unsigned long long)lsn,
                 (unsigned long long)tw_obj_layer_nonce(o));
        L->lsn = lsn;
        L->count = (uint32_t)(b - a);
        if (build_layer(o, lsn, a, b, (uint32_t)p, &bodies[p], &L->index_off)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto out;
        }
        L->size = bodies[p].len;
        /* unique name, nothing refers to it yet: a plain PUT */
        if (tw_obj_key(o, keys[p], sizeof keys[p], "%s", L->name)) {
            rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
            goto out;
        }
        ops[p] = (tw_s3_op){
            .kind = TW_S3_OP_PUT, .key = keys[p], .data = bodies[p].p, .data_len = bodies[p].len};
        a = b;
    }
    if (parts && (rc = tw_s3_batch(o->s3, ops, parts, err))) goto out;
    n += parts;
    /* the commit point: manifest version+1 created only if nobody else created it */
    uint64_t ver = o->manifest_ver + 1, mine = o->held ? o->held : o->epoch;
    for (int tries = 0;; tries++) {
        if (tw_obj_encode_manifest(&man, ver, lsn, mine, o->floor, ls, n)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto out;
        }
        if ((rc = tw_obj_manifest_key(o, ver, key, sizeof key, err)) ||
            (rc = tw_s3_put(o->s3, key, man.p, man.len, TW_S3_IF_NONE_MATCH, &res, err)))
            goto out;
        if (res.status != 412) break;
        tw_buf got = {0};
        int ours = 0, stale = 0;
        if (!tw_s3_get(o->s3, key, 0, 0, &got, &res, NULL)) {
            ours = res.attempts > 1 && got.len == man.len && !memcmp(got.p, man.p, man.len);
            /* A writer this one replaced can still publish a checkpoint before it learns
             * it is fenced. Its pages are all at or below this checkpoint's LSN (it could
             * commit nothing after the takeover, and this writer replayed all it did), so
             * this manifest supersedes it: publish at the next version instead. */
            stale = got.len >= 48 && !memcmp(got.p, MANIFEST_MAGIC, 8) &&
                    tw_load_u64(got.p + 32) < mine && tw_load_u64(got.p + 24) <= lsn;
        }
        tw_buf_free(&got);
        if (ours) break;
        if (!stale || tries >= 8) {
            o->fenced = 1;
            rc = tw_err_set(err, TWILL_FENCED, NULL,
                            "%s: manifest %llu was published by another writer; this writer is "
                            "fenced",
                            o->name, (unsigned long long)ver);
            goto out;
        }
        ver++;
    }
    pthread_rwlock_wrlock(&o->page_lock);
    layer_ref *old = o->layers;
    o->layers = ls;
    ls = old;
    size_t had = o->nlayers;
    o->nlayers = n;
    o->manifest_ver = ver;
    o->ckpt_lsn = lsn;
    for (size_t i = 0; i < o->nstage && n > had; i++) {
        const staged *s = &o->stage[i];
        page_ver v = {.lsn = lsn,
                      .off = s->off,
                      .layer = (uint32_t)(had + s->part),
                      .clen = s->clen,
                      .crc = s->crc,
                      .flags = s->flags};
        rc = rc ? rc : tw_obj_add_version(o, s->pgno, v);
    }
    pthread_rwlock_unlock(&o->page_lock);
    if (rc) { /* published, but this handle's index is incomplete: refuse reads from it */
        o->failed = 1;
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory indexing checkpoint %llu",
                        (unsigned long long)lsn);
    }
    if (!rc && n > had && o->cache) { /* write-through: this writer reads its pages back */
        char ck[200];
        for (size_t p = 0; p < parts; p++) {
            const layer_ref *L = &o->layers[had + p];
            tw_obj_range_key(ck, sizeof ck, L->name, L->index_off, L->size - L->index_off);
            tw_ocache_put(o->cache, ck, bodies[p].p + L->index_off, L->size - L->index_off);
        }
        for (size_t i = 0; i < o->nstage; i++) {
            const staged *s = &o->stage[i];
            const layer_ref *L = &o->layers[had + s->part];
            tw_obj_range_key(ck, sizeof ck, L->name, s->off, s->clen);
            tw_ocache_put(o->cache, ck, bodies[s->part].p + s->off, s->clen);
        }
    }
    reset_stage(o, 0);
    if (!rc) tw_obj_compact_kick(o); /* compaction / deletes, in the background */
    /* keep the previous manifest (a reader that listed just before may still fetch it) */
    if (ver > 2 && !tw_obj_manifest_key(o, ver - 2, key, sizeof key, NULL)) {
        tw_err ignore;
        tw_err_clear(&ignore);
        tw_s3_delete(o->s3, key, &res, &ignore);
    }
out:
    pthread_mutex_unlock(&o->mu);
    free(ls);
    for (size_t p = 0; bodies && p < parts; p++) tw_buf_free(&bodies[p]);
    free(bodies), free(ops), free(keys);
    tw_buf_free(&man);
    return rc;
}
