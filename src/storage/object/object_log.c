/*
 * object_log.c — the commit log of the s3:// backend: one object per batch, created
 * with If-None-Match: * under the next sequence number. Protocol and format:
 * docs/storage-object.md ("Commit log", "Fencing").
 */
#include "storage/object/object_int.h"
#include "util/crc32c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tw_obj_log_encode(tw_buf *out, int kind, uint64_t seq, uint64_t lsn, uint64_t epoch,
                      const tw_iov *recs, size_t n) {
    tw_buf_reset(out);
    if (n > UINT32_MAX) return TWILL_MISUSE;
    if (tw_buf_append(out, LOG_MAGIC, 8) || tw_buf_put_u32(out, 1) ||
        tw_buf_put_u32(out, (uint32_t)kind) || tw_buf_put_u64(out, seq) ||
        tw_buf_put_u64(out, lsn) || tw_buf_put_u64(out, epoch) || tw_buf_put_u32(out, (uint32_t)n))
        return TWILL_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].len > UINT32_MAX) return TWILL_MISUSE;
        if (tw_buf_put_u32(out, (uint32_t)recs[i].len) ||
            tw_buf_append(out, recs[i].data, recs[i].len))
            return TWILL_NOMEM;
    }
    return tw_buf_put_u32(out, tw_crc32c(0, out->p, out->len)) ? TWILL_NOMEM : TWILL_OK;
}

typedef struct log_hdr {
    uint32_t kind, count;
    uint64_t seq, lsn, epoch;
} log_hdr;

/* Checks the header (and, when `whole`, the length and the CRC of the whole object). */
static int decode_hdr(tw_object *o, const uint8_t *p, size_t len, int whole, uint64_t want_seq,
                      log_hdr *h, tw_err *err) {
    if (len < LOG_HDR || memcmp(p, LOG_MAGIC, 8) != 0 || tw_load_u32(p + 8) != 1)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: log object %llu has a bad header", o->name,
                          (unsigned long long)want_seq);
    h->kind = tw_load_u32(p + 12);
    h->seq = tw_load_u64(p + 16);
    h->lsn = tw_load_u64(p + 24);
    h->epoch = tw_load_u64(p + 32);
    h->count = tw_load_u32(p + 40);
    if (h->seq != want_seq || (h->kind != LOG_KIND_BATCH && h->kind != LOG_KIND_FENCE))
        return tw_err_set(err, TWILL_CORRUPT, NULL,
                          "%s: log object %llu names sequence %llu / kind %u", o->name,
                          (unsigned long long)want_seq, (unsigned long long)h->seq, h->kind);
    if (whole && (len < LOG_FENCE_SIZE || tw_crc32c(0, p, len - 4) != tw_load_u32(p + len - 4)))
        return tw_err_set(err, TWILL_CORRUPT, NULL, "%s: log object %llu fails its checksum",
                          o->name, (unsigned long long)want_seq);
    return TWILL_OK;
}

static int log_key(tw_object *o, uint64_t seq, char *key, size_t cap, tw_err *err) {
    if (tw_obj_key(o, key, cap, "log/%020llu", (unsigned long long)seq))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    return TWILL_OK;
}

static int push_ent(tw_object *o, uint64_t seq, uint64_t lsn, int fence, tw_err *err) {
    if (o->nlog == o->caplog) {
        size_t cap = o->caplog ? o->caplog * 2 : 64;
        log_ent *n = realloc(o->log, cap * sizeof *n);
        if (!n) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        o->log = n, o->caplog = cap;
    }
    o->log[o->nlog++] = (log_ent){seq, lsn, fence};
    return TWILL_OK;
}

/* ---- open: rebuild the log index from a LIST -------------------------------------------- */

typedef struct listed {
    tw_object *o;
    size_t skip;
    uint64_t *seq, *size;
    size_t n, cap;
    int oom;
} listed;

static int see_log(void *arg, const char *key, uint64_t size) {
    listed *l = arg;
    char *end;
    unsigned long long v = strtoull(key + l->skip, &end, 10);
    if (*end || end == key + l->skip) return 0; /* not a log object: not ours */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        uint64_t *a = realloc(l->seq, cap * sizeof *a), *b;
        if (!a) return l->oom = 1;
        l->seq = a;
        if (!(b = realloc(l->size, cap * sizeof *b))) return l->oom = 1;
        l->size = b, l->cap = cap;
    }
    l->seq[l->n] = v, l->size[l->n] = size, l->n++;
    return 0;
}

int tw_obj_log_load(tw_object *o, tw_err *err) {
    char pfx[600];
    if (tw_obj_key(o, pfx, sizeof pfx, "log/"))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    listed l = {.o = o, .skip = strlen(pfx)};
    int rc = tw_s3_list(o->s3, pfx, NULL, see_log, &l, err);
    if (!rc && l.oom) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    o->nlog = 0;
    o->durable_lsn = o->ckpt_lsn;
    o->next_seq = 1;
    if (rc || l.n == 0) goto out;
    /* A batched truncation (DeleteObjects) that failed for some keys can leave a gap below
     * the checkpoint: what precedes the last gap is then leftovers, acceptable only if the
     * object after the gap starts at or below the checkpoint (checked below). */
    size_t g = 0;
    for (size_t i = 1; i < l.n; i++)
        if (l.seq[i] != l.seq[i - 1] + 1) g = i;
    /* one anchor: the oldest object's header (after the last gap) says which LSN the log
     * starts at; after it a fence (exactly LOG_FENCE_SIZE bytes) keeps the LSN, every batch
     * adds one */
    char key[600];
    tw_buf hb = {0};
    tw_s3_result res;
    log_hdr h;
    if ((rc = log_key(o, l.seq[g], key, sizeof key, err)) ||
        (rc = tw_s3_get(o->s3, key, 0, LOG_HDR, &hb, &res, err)) ||
        (res.status == 404 &&
         (rc = tw_err_set(err, TWILL_IOERR, NULL,
                          "%s: log object %llu vanished while opening (a concurrent truncation?)",
                          o->name, (unsigned long long)l.seq[g]))) ||
        (rc = decode_hdr(o, hb.p, hb.len, 0, l.seq[g], &h, err))) {
        tw_buf_free(&hb);
        goto out;
    }
    tw_buf_free(&hb);
    uint64_t lsn = h.lsn;
    if ((h.kind == LOG_KIND_FENCE) != (l.size[g] == LOG_FENCE_SIZE)) {
        rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: log object %llu has the wrong size", o->name,
                        (unsigned long long)l.seq[g]);
        goto out;
    }
    if (g > 0 && (h.kind == LOG_KIND_FENCE ? h.lsn > o->ckpt_lsn : h.lsn > o->ckpt_lsn + 1)) {
        rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: log objects %llu..%llu are missing", o->name,
                        (unsigned long long)l.seq[g - 1] + 1, (unsigned long long)l.seq[g] - 1);
        goto out;
    }
    /* leftovers before the gap: below the checkpoint, never scanned (kept as fences with
     * LSN 0), deleted by the next truncation */
    for (size_t i = 0; i < g && !rc; i++) rc = push_ent(o, l.seq[i], 0, 1, err);
    for (size_t i = g; i < l.n && !rc; i++) {
        int fence = l.size[i] == LOG_FENCE_SIZE;
        if (i > g && !fence) lsn++;
        rc = push_ent(o, l.seq[i], lsn, fence, err);
    }
    if (rc) goto out;
    o->durable_lsn = lsn;
    o->next_seq = l.seq[l.n - 1] + 1;
out:
    free(l.seq);
    free(l.size);
    return rc;
}

/* ---- fence ------------------------------------------------------------------------------- */

/* A conditional PUT of `body` at `seq`. *won = 1 if this body is there now (a 412 after a
 * retry may be our own first attempt: the object is read back and compared). */
static int put_slot(tw_object *o, uint64_t seq, const tw_buf *body, int *won, tw_err *err) {
    char key[600];
    tw_s3_result res;
    int rc = log_key(o, seq, key, sizeof key, err);
    if (!rc) rc = tw_s3_put(o->s3, key, body->p, body->len, TW_S3_IF_NONE_MATCH, &res, err);
    if (rc) return rc;
    *won = res.status != 412;
    if (res.status == 412 && res.attempts > 1) {
        tw_buf got = {0};
        if (!(rc = tw_s3_get(o->s3, key, 0, 0, &got, &res, err)))
            *won = res.status != 404 && got.len == body->len && !memcmp(got.p, body->p, got.len);
        tw_buf_free(&got);
    }
    return rc;
}

/* The slot at o->next_seq is taken: the previous writer appended since we looked. One
 * LIST of everything from that slot on adopts it all (sizes tell fences from batches, as
 * at open) — a writer that commits back to back appends faster than a slot-by-slot probe
 * (PUT 412 + GET per slot) could follow, so probing alone never catches up. *last_seq is
 * the newest adopted object, checked by the caller. */
static int catch_up(tw_object *o, uint64_t *last_seq, tw_err *err) {
    char pfx[600], after[600];
    if (tw_obj_key(o, pfx, sizeof pfx, "log/") ||
        (o->next_seq > 1 && log_key(o, o->next_seq - 1, after, sizeof after, err)))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    listed l = {.o = o, .skip = strlen(pfx)};
    int rc = tw_s3_list(o->s3, pfx, o->next_seq > 1 ? after : NULL, see_log, &l, err);
    if (!rc && l.oom) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    if (!rc && (l.n == 0 || l.seq[0] != o->next_seq))
        rc = tw_err_set(err, TWILL_IOERR, NULL,
                        "%s: log object %llu was taken but is not listed (a concurrent "
                        "truncation?)",
                        o->name, (unsigned long long)o->next_seq);
    for (size_t i = 0; i < l.n && !rc; i++) {
        if (l.seq[i] != o->next_seq) {
            rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: log object %llu is missing", o->name,
                            (unsigned long long)o->next_seq);
            break;
        }
        int fence = l.size[i] == LOG_FENCE_SIZE;
        uint64_t lsn = fence ? o->durable_lsn : o->durable_lsn + 1;
        if ((rc = push_ent(o, o->next_seq, lsn, fence, err))) break;
        o->durable_lsn = lsn;
        *last_seq = o->next_seq++;
    }
    free(l.seq);
    free(l.size);
    return rc;
}

int tw_obj_log_fence(tw_object *o, uint64_t epoch, tw_err *err) {
    tw_buf body = {0}, hb = {0};
    int rc = TWILL_OK;
    uint64_t adopted = 0; /* newest object adopted by catch_up, 0: none */
    int placed = 0;
    for (int tries = 0; tries < 1000 && !placed; tries++) {
        if (tw_obj_log_encode(&body, LOG_KIND_FENCE, o->next_seq, o->durable_lsn, epoch, NULL, 0)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            break;
        }
        int won = 0;
        if ((rc = put_slot(o, o->next_seq, &body, &won, err))) break;
        if (!won) {
            if ((rc = catch_up(o, &adopted, err))) break;
            continue;
        }
        if ((rc = push_ent(o, o->next_seq, o->durable_lsn, 1, err))) break;
        o->next_seq++;
        placed = 1;
        if (!adopted) break;
        /* Check what was adopted by size alone, after the fence is in (checking first would
         * widen the window in which a busy writer takes the slot again): the newest adopted
         * object's header must agree, and must not come from a newer writer. */
        char key[600];
        tw_s3_result res;
        log_hdr h;
        uint64_t want = 0;
        int fence = 0;
        for (size_t i = o->nlog; i-- > 0;)
            if (o->log[i].seq == adopted) {
                want = o->log[i].lsn, fence = o->log[i].fence;
                break;
            }
        if ((rc = log_key(o, adopted, key, sizeof key, err)) ||
            (rc = tw_s3_get(o->s3, key, 0, LOG_HDR, &hb, &res, err)) ||
            (rc = decode_hdr(o, hb.p, hb.len, 0, adopted, &h, err)))
            break;
        if (h.epoch > epoch) {
            o->fenced = 1;
            rc = tw_err_set(err, TWILL_FENCED, NULL,
                            "%s: a newer writer (epoch %llu) took over while this one was "
                            "acquiring epoch %llu",
                            o->name, (unsigned long long)h.epoch, (unsigned long long)epoch);
        } else if (h.lsn != want || (h.kind == LOG_KIND_FENCE) != fence) {
            rc = tw_err_set(err, TWILL_CORRUPT, NULL, "%s: log object %llu has LSN %llu, not %llu",
                            o->name, (unsigned long long)adopted, (unsigned long long)h.lsn,
                            (unsigned long long)want);
        }
        break;
    }
    if (!rc && !placed)
        rc = tw_err_set(err, TWILL_BUSY, NULL,
                        "%s: could not place the fence of epoch %llu: the log kept growing",
                        o->name, (unsigned long long)epoch);
    tw_buf_free(&body);
    tw_buf_free(&hb);
    return rc;
}

/* ---- append -------------------------------------------------------------------------------- */

int tw_obj_log_append(tw_storage *st, uint64_t epoch, const tw_iov *recs, size_t n,
                      uint64_t *lsn_out, tw_err *err) {
    tw_object *o = (tw_object *)st;
    if (n == 0) return tw_err_set(err, TWILL_MISUSE, NULL, "log_append: empty batch");
    pthread_mutex_lock(&o->mu);
    tw_buf body = {0};
    int rc = TWILL_OK;
    if (o->failed) {
        rc = tw_err_set(err, TWILL_IOERR, NULL,
                        "%s: an earlier commit-log write failed with an unknown outcome; reopen "
                        "the database",
                        o->name);
        goto out;
    }
    if (o->fenced || !o->held || epoch != o->held) {
        rc = tw_err_set(err, TWILL_FENCED, NULL,
                        "%s: epoch %llu may not append (lease epoch %llu%s)", o->name,
                        (unsigned long long)epoch, (unsigned long long)o->epoch,
                        o->fenced ? ", fenced by a newer writer"
                        : o->held ? ""
                                  : ", not held");
        goto out;
    }
    uint64_t lsn = o->durable_lsn + 1, seq = o->next_seq;
    if ((rc = tw_obj_log_encode(&body, LOG_KIND_BATCH, seq, lsn, epoch, recs, n))) {
        rc = tw_err_set(err, rc, NULL, "log_append: %s",
                        rc == TWILL_NOMEM ? "out of memory" : "record larger than 4 GiB");
        goto out;
    }
    int won = 0;
    if ((rc = put_slot(o, seq, &body, &won, err))) {
        o->failed = 1; /* the PUT may or may not have landed */
        goto out;
    }
    if (!won) {
        o->fenced = 1;
        rc = tw_err_set(err, TWILL_FENCED, NULL,
                        "%s: log slot %llu was taken by another writer; this writer (epoch %llu) "
                        "is fenced and accepts no more writes",
                        o->name, (unsigned long long)seq, (unsigned long long)epoch);
        goto out;
    }
    if ((rc = push_ent(o, seq, lsn, 0, err))) {
        o->failed = 1;
        goto out;
    }
    o->next_seq = seq + 1;
    o->durable_lsn = lsn;
    *lsn_out = lsn;
out:
    pthread_mutex_unlock(&o->mu);
    tw_buf_free(&body);
    return rc;
}

/* ---- scan ---------------------------------------------------------------------------------- */

int tw_obj_log_scan(tw_storage *st, uint64_t from, uint64_t to, tw_log_visit_fn fn, void *arg,
                    tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    size_t n = 0;
    log_ent *want = o->nlog ? malloc(o->nlog * sizeof *want) : NULL;
    if (o->nlog && !want) {
        pthread_mutex_unlock(&o->mu);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < o->nlog; i++)
        if (!o->log[i].fence && o->log[i].lsn > from && o->log[i].lsn <= to) want[n++] = o->log[i];
    pthread_mutex_unlock(&o->mu);

    /* fetched SCAN_WINDOW objects at a time in parallel (replay at open), visited in order */
    enum { SCAN_WINDOW = 32 };
    tw_buf bufs[SCAN_WINDOW] = {{0}};
    tw_s3_op ops[SCAN_WINDOW];
    char keys[SCAN_WINDOW][600];
    int rc = TWILL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t slot = i % SCAN_WINDOW;
        if (slot == 0) {
            size_t k = n - i < SCAN_WINDOW ? n - i : SCAN_WINDOW;
            for (size_t j = 0; j < k && !rc; j++) {
                rc = log_key(o, want[i + j].seq, keys[j], sizeof keys[j], err);
                ops[j] = (tw_s3_op){.kind = TW_S3_OP_GET, .key = keys[j], .out = &bufs[j]};
            }
            if (rc || (rc = tw_s3_batch(o->s3, ops, k, err))) break;
        }
        tw_buf b = bufs[slot];
        tw_s3_result res = ops[slot].res;
        log_hdr h;
        if (res.status == 404) {
            rc = tw_err_set(err, TWILL_IOERR, NULL,
                            "%s: log object %llu (LSN %llu) is gone (truncated by another "
                            "writer?)",
                            o->name, (unsigned long long)want[i].seq,
                            (unsigned long long)want[i].lsn);
            break;
        }
        if ((rc = decode_hdr(o, b.p, b.len, 1, want[i].seq, &h, err))) break;
        if (h.kind != LOG_KIND_BATCH || h.lsn != want[i].lsn) {
            rc = tw_err_set(err, TWILL_CORRUPT, NULL,
                            "%s: log object %llu holds LSN %llu, expected batch %llu", o->name,
                            (unsigned long long)want[i].seq, (unsigned long long)h.lsn,
                            (unsigned long long)want[i].lsn);
            break;
        }
        const uint8_t *p = b.p + LOG_HDR, *end = b.p + b.len - 4;
        for (uint32_t r = 0; r < h.count; r++) {
            if (end - p < 4 || (size_t)(end - p - 4) < tw_load_u32(p)) {
                rc = tw_err_set(err, TWILL_CORRUPT, NULL,
                                "%s: log object %llu: record %u runs past the end", o->name,
                                (unsigned long long)want[i].seq, r);
                break;
            }
            uint32_t len = tw_load_u32(p);
            if ((rc = fn(arg, h.lsn, r, p + 4, len))) break;
            p += 4 + len;
        }
    }
    for (size_t j = 0; j < SCAN_WINDOW; j++) tw_buf_free(&bufs[j]);
    free(want);
    return rc;
}

/* ---- truncate ---------------------------------------------------------------------------- */

int tw_obj_log_truncate(tw_storage *st, uint64_t below, tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    int rc = TWILL_OK;
    if (below > o->ckpt_lsn) {
        rc = tw_err_set(err, TWILL_MISUSE, NULL,
                        "log_truncate(%llu) above the published checkpoint %llu",
                        (unsigned long long)below, (unsigned long long)o->ckpt_lsn);
        goto out;
    }
    /* never the newest object: it anchors the next sequence number and LSN. One
     * DeleteObjects request per 1,000 objects; a partial failure can leave a gap, which
     * open accepts below the checkpoint (tw_obj_log_load). */
    size_t k = 0;
    while (k + 1 < o->nlog && o->log[k].lsn <= below) k++;
    char(*keys)[600] = k ? malloc(k * sizeof *keys) : NULL;
    const char **ptrs = k ? malloc(k * sizeof *ptrs) : NULL;
    if (k && (!keys || !ptrs)) {
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        k = 0;
    }
    for (size_t i = 0; i < k && !rc; i++) {
        rc = log_key(o, o->log[i].seq, keys[i], sizeof keys[i], err);
        ptrs[i] = keys[i];
    }
    if (!rc && k) rc = tw_s3_delete_many(o->s3, ptrs, k, err);
    free(keys);
    free(ptrs);
    if (rc) k = 0; /* some may be gone: the next truncation deletes them again */
    memmove(o->log, o->log + k, (o->nlog - k) * sizeof *o->log);
    o->nlog -= k;
out:
    pthread_mutex_unlock(&o->mu);
    return rc;
}
