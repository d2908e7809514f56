/*
 * object_compact.c — compaction and garbage collection of the object backends' page
 * store (docs/storage-object.md, "Compaction and garbage collection").
 *
 * Every checkpoint adds its layer objects (one per TW_OBJ_LAYER_TARGET of pages, sharing
 * its LSN). Once a manifest lists TW_OBJ_COMPACT_LAYERS checkpoints, a background thread
 * merges the newest ones (size-tiered, whole checkpoints: at least the newest four, and
 * every older one that is not more than twice the size of everything newer than it) into
 * layer objects (again one per TW_OBJ_LAYER_TARGET) that keep only the newest image of
 * each page. They are written under fresh names, then a new manifest listing them in
 * place of their inputs is created with If-None-Match — the commit point, exactly as for
 * a checkpoint. A lost race (412) means another writer published: this one is fenced
 * and deletes nothing.
 *
 * Deletion only ever follows a publish, and waits one manifest more: the layers a
 * compaction replaced are deleted after the next manifest is out (a process that listed
 * the previous manifest just before may still read them), and only while no newer lease
 * epoch exists (HEAD lease/<epoch+1>: a newer writer may still be working from an older
 * manifest). Layers no manifest refers to (a checkpoint that crashed between its layer
 * PUT and its manifest PUT, or replaced layers a previous process never got to delete)
 * are found by a LIST after each compaction; they are deleted under the same lease check,
 * made after the LIST, so a layer a newer writer uploads later is never in the list.
 * Deletes go out in DeleteObjects batches (one request per 1,000 keys).
 *
 * The history floor: a merged layer keeps one version per page, so a read as of an LSN
 * below the merge's top LSN may have lost its answer; the manifest records that LSN as
 * the floor and page_read refuses (TWILL_NOTSUP) a read whose page changed between its
 * as_of and the floor. No snapshot or branch point of the engine needs older versions
 * yet (the engine reads as of its newest checkpoint); branch points will have to pin
 * versions here once branches exist.
 *
 * Locks: compaction runs with gc_mu (one at a time) and takes mu only to plan and to
 * publish; the layer GETs, the merge and the layer PUT run without it, so commits and
 * checkpoints go on meanwhile (a checkpoint published in between just stays in the list,
 * after the merged layer).
 */
#include "storage/object/object_int.h"
#include "util/crc32c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define MIN_MERGE 4 /* merge at least this many of the newest layers */

typedef struct plan_ent {
    uint32_t pgno;
    uint32_t part; /* which merged layer object it goes to */
    page_ver v;    /* where the image is now (v.layer: index in the manifest) */
    uint64_t off;  /* where it goes in that object */
} plan_ent;

typedef struct name_list {
    char (*names)[600]; /* full keys */
    size_t n, cap;
} name_list;

static int names_add(name_list *l, const char *key) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char(*nn)[600] = realloc(l->names, cap * sizeof *nn);
        if (!nn) return TWILL_NOMEM;
        l->names = nn, l->cap = cap;
    }
    snprintf(l->names[l->n++], sizeof l->names[0], "%s", key);
    return TWILL_OK;
}

/* The first layer of the checkpoint that ends just before layer `end` (a checkpoint's
 * layer objects share its LSN and sit next to each other). */
static size_t group_start(const tw_object *o, size_t end) {
    size_t j = end - 1;
    while (j > 0 && o->layers[j - 1].lsn == o->layers[end - 1].lsn) j--;
    return j;
}

/* The oldest layer of the merge (size-tiered, whole checkpoints: at least the newest
 * MIN_MERGE, plus every older one not more than twice the size of everything newer);
 * nlayers when there is nothing to do. */
static size_t choose_start(const tw_object *o, int force) {
    size_t n = o->nlayers, groups = n ? 1 : 0;
    for (size_t j = 1; j < n; j++) groups += o->layers[j].lsn != o->layers[j - 1].lsn;
    if (n < 2 || (!force && groups < TW_OBJ_COMPACT_LAYERS)) return n;
    if (force) return 0;
    size_t i = group_start(o, n), merged = 1;
    uint64_t newer = 0;
    for (size_t j = i; j < n; j++) newer += o->layers[j].size;
    while (i > 0) {
        size_t j = group_start(o, i);
        uint64_t size = 0;
        for (size_t k = j; k < i; k++) size += o->layers[k].size;
        if (merged >= MIN_MERGE && size > 2 * newer) break;
        i = j, newer += size, merged++;
    }
    return i;
}

/* Checks one image of a fetched layer (decompresses it and compares its CRC). */
static int image_ok(const uint8_t *p, const page_ver *v, uint8_t *scratch) {
    if (v->flags & FLAG_ZSTD) {
        size_t got = ZSTD_decompress(scratch, TW_PAGE_SIZE, p, v->clen);
        if (ZSTD_isError(got) || got != TW_PAGE_SIZE) return 0;
        return tw_crc32c(0, scratch, TW_PAGE_SIZE) == v->crc;
    }
    return v->clen == TW_PAGE_SIZE && tw_crc32c(0, p, TW_PAGE_SIZE) == v->crc;
}

/* Deletes keys unless a newer writer exists (see the top of the file). */
static int gc_delete(tw_object *o, uint64_t held, name_list *keys, tw_err *err) {
    if (!keys->n) return TWILL_OK;
    char lk[600];
    tw_s3_result res;
    if (tw_obj_key(o, lk, sizeof lk, "lease/%020llu", (unsigned long long)held + 1))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    int rc = tw_s3_head(o->s3, lk, &res, err);
    if (rc) return rc;
    if (res.status != 404)
        return tw_err_set(err, TWILL_FENCED, NULL,
                          "%s: a newer writer exists (lease epoch %llu): nothing deleted", o->name,
                          (unsigned long long)held + 1);
    const char **ptrs = malloc(keys->n * sizeof *ptrs);
    if (!ptrs) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < keys->n; i++) ptrs[i] = keys->names[i];
    rc = tw_s3_delete_many(o->s3, ptrs, keys->n, err);
    free(ptrs);
    if (!rc) atomic_fetch_add(&o->n_gc_deleted, keys->n);
    return rc;
}

/* ---- orphans: LIST and compare with what the manifest and the retired list name -------- */

typedef struct sweep {
    tw_object *o;
    size_t skip; /* length of the prefix */
    const char *sub;
    uint64_t keep_from; /* manifests: keep versions >= this */
    name_list *out;
    int oom;
} sweep;

static int referenced(const tw_object *o, const char *name) {
    for (size_t i = 0; i < o->nlayers; i++)
        if (!strcmp(o->layers[i].name, name)) return 1;
    for (size_t i = 0; i < o->nretired; i++)
        if (!strcmp(o->retired[i].name, name)) return 1;
    return 0;
}

static int see_layer(void *arg, const char *key, uint64_t size) {
    sweep *s = arg;
    (void)size;
    if (!referenced(s->o, key + s->skip) && names_add(s->out, key)) s->oom = 1;
    return 0;
}

static int see_manifest(void *arg, const char *key, uint64_t size) {
    sweep *s = arg;
    (void)size;
    char *end;
    unsigned long long v = strtoull(key + s->skip + strlen("manifest/"), &end, 10);
    if (!*end && v < s->keep_from && names_add(s->out, key)) s->oom = 1;
    return 0;
}

/* Adds unreferenced layers and manifests older than the previous one to out. Called
 * with o->mu held (the LIST runs under it: it is one request after a compaction). */
static int find_orphans(tw_object *o, name_list *out, tw_err *err) {
    char pfx[600];
    sweep s = {.o = o, .skip = strlen(o->url.prefix), .out = out};
    int rc;
    if (tw_obj_key(o, pfx, sizeof pfx, "layer/"))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    if ((rc = tw_s3_list(o->s3, pfx, NULL, see_layer, &s, err))) return rc;
    tw_obj_key(o, pfx, sizeof pfx, "manifest/");
    s.keep_from = o->manifest_ver > 1 ? o->manifest_ver - 1 : 1;
    if ((rc = tw_s3_list(o->s3, pfx, NULL, see_manifest, &s, err))) return rc;
    return s.oom ? tw_err_set(err, TWILL_NOMEM, NULL, "out of memory") : TWILL_OK;
}

/* ---- one compaction ---------------------------------------------------------------------- */

static int retire(tw_object *o, const layer_ref *ls, size_t n, uint64_t ver) {
    if (o->nretired + n > o->capretired) {
        size_t cap = (o->nretired + n) * 2;
        retired_layer *r = realloc(o->retired, cap * sizeof *r);
        if (!r) return TWILL_NOMEM;
        o->retired = r, o->capretired = cap;
    }
    for (size_t i = 0; i < n; i++) {
        retired_layer *r = &o->retired[o->nretired++];
        memcpy(r->name, ls[i].name, sizeof r->name);
        r->ver = ver;
    }
    return TWILL_OK;
}

/* Replaces layers [i, i + m) by the nparts merged layers in the page index (page_lock held
 * for writing). Never allocates: every page of the plan loses at least its merged
 * version. */
static void swap_index(tw_object *o, size_t i, size_t m, size_t nparts, const plan_ent *plan,
                       size_t np) {
    size_t k = 0;
    for (uint32_t pg = 0; pg < o->npages; pg++) {
        page_slot *s = &o->pages[pg];
        const plan_ent *pe = k < np && plan[k].pgno == pg ? &plan[k++] : NULL;
        uint32_t w = 0;
        int placed = pe == NULL;
        for (uint32_t r = 0; r < s->n; r++) {
            page_ver u = s->v[r];
            if (u.layer >= i + m && !placed) {
                s->v[w++] = (page_ver){.lsn = pe->v.lsn,
                                       .off = pe->off,
                                       .layer = (uint32_t)(i + pe->part),
                                       .clen = pe->v.clen,
                                       .crc = pe->v.crc,
                                       .flags = pe->v.flags};
                placed = 1;
            }
            if (u.layer < i) {
                s->v[w++] = u;
            } else if (u.layer >= i + m) {
                u.layer = (uint32_t)(u.layer - m + nparts);
                s->v[w++] = u;
            }
        }
        if (!placed)
            s->v[w++] = (page_ver){.lsn = pe->v.lsn,
                                   .off = pe->off,
                                   .layer = (uint32_t)(i + pe->part),
                                   .clen = pe->v.clen,
                                   .crc = pe->v.crc,
                                   .flags = pe->v.flags};
        s->n = w;
    }
}

static int compact_once(tw_object *o, int force, tw_err *err) {
    pthread_mutex_lock(&o->gc_mu);
    pthread_mutex_lock(&o->mu);
    int rc = TWILL_OK;
    name_list due = {0}, orphans = {0};
    plan_ent *plan = NULL;
    layer_ref *merge = NULL, *ls = NULL;
    tw_buf *data = NULL, *bodies = NULL, man = {0};
    tw_s3_op *ops = NULL, *pops = NULL;
    char(*keys)[600] = NULL, (*pkeys)[600] = NULL;
    layer_ref *parts = NULL;
    size_t m = 0, np = 0, nparts = 0;
    uint64_t held = o->held;
    if (!held || o->fenced || o->failed) {
        pthread_mutex_unlock(&o->mu);
        pthread_mutex_unlock(&o->gc_mu);
        return force ? tw_err_set(err, TWILL_FENCED, NULL,
                                  "%s: compaction needs the lease (this handle is not the writer)",
                                  o->name)
                     : TWILL_OK;
    }
    /* replaced layers whose grace (one more manifest) is over */
    size_t ndue = 0;
    for (size_t j = 0; j < o->nretired && !rc; j++)
        if (o->retired[j].ver < o->manifest_ver) {
            char k[600];
            if (tw_obj_key(o, k, sizeof k, "%s", o->retired[j].name) || names_add(&due, k))
                rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            ndue++;
        }
    /* the plan: layers [i, n) merge; per page, its newest version if it lies in them */
    size_t n = o->nlayers, i = choose_start(o, force);
    m = n - i;
    if (!rc && m >= 2) {
        merge = malloc(m * sizeof *merge);
        size_t cnt = 0;
        for (uint32_t pg = 0; pg < o->npages; pg++)
            cnt += o->pages[pg].n && o->pages[pg].v[o->pages[pg].n - 1].layer >= i;
        plan = cnt ? malloc(cnt * sizeof *plan) : NULL;
        if (!merge || (cnt && !plan)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        } else {
            memcpy(merge, o->layers + i, m * sizeof *merge);
            for (uint32_t pg = 0; pg < o->npages; pg++) {
                const page_slot *s = &o->pages[pg];
                if (s->n && s->v[s->n - 1].layer >= i)
                    plan[np++] = (plan_ent){.pgno = pg, .v = s->v[s->n - 1]};
            }
        }
    } else {
        m = 0;
    }
    pthread_mutex_unlock(&o->mu);
    if (rc) goto out;

    if (m) {
        /* fetch the page bytes of the merged layers, in parallel */
        data = calloc(m, sizeof *data);
        ops = calloc(m, sizeof *ops);
        keys = calloc(m, sizeof *keys);
        if (!data || !ops || !keys) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto out;
        }
        for (size_t j = 0; j < m; j++) {
            if (tw_obj_key(o, keys[j], sizeof keys[j], "%s", merge[j].name)) {
                rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
                goto out;
            }
            ops[j] = (tw_s3_op){.kind = TW_S3_OP_GET,
                                .key = keys[j],
                                .off = LAYER_HDR,
                                .len = merge[j].index_off - LAYER_HDR,
                                .out = &data[j]};
        }
        if ((rc = tw_s3_batch(o->s3, ops, m, err))) goto out;
        for (size_t j = 0; j < m; j++)
            if (ops[j].res.status == 404 || data[j].len != merge[j].index_off - LAYER_HDR) {
                rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: layer %s is missing or short",
                                o->name, merge[j].name);
                goto out;
            }
        /* the merged layers: the newest image of each page, as stored (no recompression),
         * each checked on the way, cut into objects of about TW_OBJ_LAYER_TARGET like a
         * checkpoint's, PUT in parallel */
        uint64_t top = merge[m - 1].lsn;
        static _Thread_local uint8_t scratch[TW_PAGE_SIZE];
        uint64_t fill = 0;
        for (size_t k = 0; k < np; k++) {
            if (k == 0 || fill + plan[k].v.clen > TW_OBJ_LAYER_TARGET) nparts++, fill = 0;
            fill += plan[k].v.clen;
            plan[k].part = (uint32_t)(nparts - 1);
        }
        bodies = nparts ? calloc(nparts, sizeof *bodies) : NULL;
        parts = nparts ? calloc(nparts, sizeof *parts) : NULL;
        pops = nparts ? calloc(nparts, sizeof *pops) : NULL;
        pkeys = nparts ? calloc(nparts, sizeof *pkeys) : NULL;
        if (nparts && (!bodies || !parts || !pops || !pkeys)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto out;
        }
        int bad = 0;
        for (size_t k = 0, first = 0; np && k <= np && !bad && !rc; k++) {
            if (k < np && (k == 0 || plan[k].part == plan[k - 1].part)) continue;
            /* plan[first, k) is part plan[first].part */
            size_t pi = plan[first].part;
            tw_buf *L = &bodies[pi];
            bad = tw_buf_append(L, LAYER_MAGIC, 8) || tw_buf_put_u32(L, 1) ||
                  tw_buf_put_u32(L, 0) || tw_buf_put_u64(L, top);
            for (size_t q = first; q < k && !bad; q++) {
                const page_ver *v = &plan[q].v;
                const uint8_t *pp = data[v->layer - i].p + (v->off - LAYER_HDR);
                if (v->off < LAYER_HDR || v->off - LAYER_HDR + v->clen > data[v->layer - i].len ||
                    !image_ok(pp, v, scratch)) {
                    rc = tw_err_set(err, TWILL_CORRUPT, NULL,
                                    "%s: page %u in layer %s fails its checksum; not compacting",
                                    o->name, plan[q].pgno, merge[v->layer - i].name);
                    break;
                }
                plan[q].off = L->len;
                bad = tw_buf_append(L, pp, v->clen);
            }
            if (rc) break;
            uint64_t index_off = L->len;
            for (size_t q = first; q < k && !bad; q++) {
                const page_ver *v = &plan[q].v;
                bad = tw_buf_put_u32(L, plan[q].pgno) || tw_buf_put_u32(L, v->clen) ||
                      tw_buf_put_u64(L, v->lsn) || tw_buf_put_u64(L, plan[q].off) ||
                      tw_buf_put_u32(L, v->crc) || tw_buf_put_u32(L, v->flags);
            }
            bad = bad || tw_obj_layer_footer(L, index_off, (uint32_t)(k - first));
            parts[pi] = (layer_ref){
                .lsn = top, .size = L->len, .index_off = index_off, .count = (uint32_t)(k - first)};
            snprintf(parts[pi].name, sizeof parts[pi].name, "layer/%020llu-%016llx",
                     (unsigned long long)top, (unsigned long long)tw_obj_layer_nonce(o));
            if (!bad && tw_obj_key(o, pkeys[pi], sizeof pkeys[pi], "%s", parts[pi].name)) {
                rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
                break;
            }
            pops[pi] = (tw_s3_op){
                .kind = TW_S3_OP_PUT, .key = pkeys[pi], .data = L->p, .data_len = L->len};
            first = k;
        }
        if (!rc && bad) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        if (rc) goto out;
        for (size_t j = 0; j < m; j++) tw_buf_free(&data[j]);
        tw_s3_result res;
        if ((rc = tw_s3_batch(o->s3, pops, nparts, err))) goto out;

        /* A writer that has been superseded but does not know it yet must not publish: its
         * manifest would make the new writer's next checkpoint fail (412). One HEAD per
         * compaction narrows that window to the time between this HEAD and the PUT. */
        char lk[600];
        if (tw_obj_key(o, lk, sizeof lk, "lease/%020llu", (unsigned long long)held + 1)) {
            rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
            goto drop_parts;
        }
        if ((rc = tw_s3_head(o->s3, lk, &res, err))) goto drop_parts;
        if (res.status != 404) {
            pthread_mutex_lock(&o->mu);
            o->fenced = 1;
            pthread_mutex_unlock(&o->mu);
            rc = tw_err_set(err, TWILL_FENCED, NULL,
                            "%s: a newer writer exists (lease epoch %llu): this writer is fenced "
                            "and does not publish its compaction",
                            o->name, (unsigned long long)held + 1);
            goto drop_parts;
        }
        /* publish: the current list with [i, i + m) replaced by the merged layers */
        pthread_mutex_lock(&o->mu);
        if (!o->held || o->held != held || o->fenced || o->failed || o->nlayers < i + m ||
            strcmp(o->layers[i].name, merge[0].name) != 0) {
            pthread_mutex_unlock(&o->mu);
            rc = tw_err_set(err, TWILL_FENCED, NULL,
                            "%s: the writer changed while compacting; nothing published", o->name);
            goto drop_parts;
        }
        size_t total = o->nlayers - m + nparts;
        ls = malloc(total * sizeof *ls);
        if (!ls) {
            pthread_mutex_unlock(&o->mu);
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto drop_parts;
        }
        memcpy(ls, o->layers, i * sizeof *ls);
        memcpy(ls + i, parts, nparts * sizeof *ls);
        memcpy(ls + i + nparts, o->layers + i + m, (o->nlayers - i - m) * sizeof *ls);
        uint64_t ver = o->manifest_ver + 1;
        uint64_t floor = o->floor > top ? o->floor : top;
        char mkey[600];
        if (tw_obj_encode_manifest(&man, ver, o->ckpt_lsn, held, floor, ls, total)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        } else if (!(rc = tw_obj_manifest_key(o, ver, mkey, sizeof mkey, err)) &&
                   !(rc = tw_s3_put(o->s3, mkey, man.p, man.len, TW_S3_IF_NONE_MATCH, &res, err)) &&
                   res.status == 412) {
            tw_buf got = {0};
            int ours = 0;
            if (res.attempts > 1 && !tw_s3_get(o->s3, mkey, 0, 0, &got, &res, NULL))
                ours = got.len == man.len && !memcmp(got.p, man.p, man.len);
            tw_buf_free(&got);
            if (!ours) {
                o->fenced = 1;
                rc = tw_err_set(err, TWILL_FENCED, NULL,
                                "%s: manifest %llu was published by another writer; this writer "
                                "is fenced",
                                o->name, (unsigned long long)ver);
            }
        }
        if (rc) {
            pthread_mutex_unlock(&o->mu);
            goto out; /* the manifest PUT's outcome is unknown: the parts may be named */
        }
        pthread_rwlock_wrlock(&o->page_lock);
        swap_index(o, i, m, nparts, plan, np);
        layer_ref *old = o->layers;
        o->layers = ls;
        ls = old;
        o->nlayers = total;
        o->manifest_ver = ver;
        o->floor = floor;
        pthread_rwlock_unlock(&o->page_lock);
        atomic_fetch_add(&o->n_compactions, 1);
        /* the inputs stay until one more manifest is out; a failed retire leaves them to
         * the orphan sweep */
        (void)retire(o, merge, m, ver);
        /* what no manifest names any more: crashed checkpoints, old manifests */
        tw_err ignore;
        tw_err_clear(&ignore);
        (void)find_orphans(o, &orphans, &ignore);
        pthread_mutex_unlock(&o->mu);

        if (o->cache) { /* write-through, as for a checkpoint */
            char ck[200];
            for (size_t pi = 0; pi < nparts; pi++) {
                const layer_ref *L = &parts[pi];
                tw_obj_range_key(ck, sizeof ck, L->name, L->index_off, L->size - L->index_off);
                tw_ocache_put(o->cache, ck, bodies[pi].p + L->index_off, L->size - L->index_off);
            }
            for (size_t k = 0; k < np; k++) {
                const plan_ent *pe = &plan[k];
                tw_obj_range_key(ck, sizeof ck, parts[pe->part].name, pe->off, pe->v.clen);
                tw_ocache_put(o->cache, ck, bodies[pe->part].p + pe->off, pe->v.clen);
            }
        }
    }

    /* deletes: replaced layers past their grace, orphans */
    for (size_t j = 0; j < orphans.n && !rc; j++)
        if (names_add(&due, orphans.names[j])) rc = tw_err_set(err, TWILL_NOMEM, NULL, "oom");
    if (!rc && due.n) {
        tw_err derr;
        tw_err_clear(&derr);
        int drc = gc_delete(o, held, &due, &derr);
        if (!drc && ndue) { /* the due ones were the oldest: a prefix of the list */
            pthread_mutex_lock(&o->mu);
            memmove(o->retired, o->retired + ndue, (o->nretired - ndue) * sizeof *o->retired);
            o->nretired -= ndue;
            pthread_mutex_unlock(&o->mu);
        }
        if (drc && force) {
            rc = drc;
            tw_err_copy(err, &derr);
        }
    }
    goto out;
drop_parts: /* written but never named by a manifest: nobody else knows them */
    if (nparts) {
        const char **ptrs = malloc(nparts * sizeof *ptrs);
        tw_err ignore;
        tw_err_clear(&ignore);
        for (size_t pi = 0; ptrs && pi < nparts; pi++) ptrs[pi] = pkeys[pi];
        if (ptrs) tw_s3_delete_many(o->s3, ptrs, nparts, &ignore);
        free(ptrs);
    }
out:
    for (size_t j = 0; data && j < m; j++) tw_buf_free(&data[j]);
    for (size_t j = 0; bodies && j < nparts; j++) tw_buf_free(&bodies[j]);
    free(data), free(ops), free(keys), free(plan), free(merge), free(ls);
    free(bodies), free(parts), free(pops), free(pkeys);
    free(due.names), free(orphans.names);
    tw_buf_free(&man);
    pthread_mutex_unlock(&o->gc_mu);
    return rc;
}

/* ---- the background thread ---------------------------------------------------------------- */

static void *gc_main(void *arg) {
    tw_object *o = arg;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->gc_want && !o->gc_stop) pthread_cond_wait(&o->gc_cv, &o->mu);
        if (o->gc_stop) break;
        o->gc_want = 0;
        pthread_mutex_unlock(&o->mu);
        tw_err ignore; /* best effort: the next checkpoint tries again */
        tw_err_clear(&ignore);
        (void)compact_once(o, 0, &ignore);
        pthread_mutex_lock(&o->mu);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

void tw_obj_compact_kick(tw_object *o) {
    int due = 0;
    for (size_t j = 0; j < o->nretired && !due; j++) due = o->retired[j].ver < o->manifest_ver;
    if (!due && o->nlayers < TW_OBJ_COMPACT_LAYERS) return;
    if (!o->gc_started) {
        if (pthread_create(&o->gc_thread, NULL, gc_main, o) != 0) return;
        o->gc_started = 1;
    }
    o->gc_want = 1;
    pthread_cond_signal(&o->gc_cv);
}

void tw_obj_compact_stop(tw_object *o) {
    pthread_mutex_lock(&o->mu);
    int started = o->gc_started;
    o->gc_stop = 1;
    pthread_cond_signal(&o->gc_cv);
    pthread_mutex_unlock(&o->mu);
    if (started) pthread_join(o->gc_thread, NULL);
    free(o->retired);
    o->retired = NULL;
    o->nretired = o->capretired = 0;
}

int tw_object_compact(tw_storage *st, tw_err *err) {
    return compact_once((tw_object *)st, 1, err);
}
