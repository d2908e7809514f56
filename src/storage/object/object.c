/*
 * object.c — the s3:// backend: URL and configuration, open, lease, meta, close.
 * The commit log is in object_log.c, the page store in object_pages.c; the design is
 * recorded in docs/storage-object.md.
 */
#include "storage/object/object_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tw_obj_key(const tw_object *o, char *out, size_t cap, const char *fmt, ...) {
    int n = snprintf(out, cap, "%s", o->url.prefix);
    if (n < 0 || (size_t)n >= cap) return TWILL_MISUSE;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(out + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    return m < 0 || (size_t)m >= cap - (size_t)n ? TWILL_MISUSE : TWILL_OK;
}

/* ---- URL ------------------------------------------------------------------------------ */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes). */
static int pct_decode(const char *s, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap) return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static const char *env(const char *a, const char *b) {
    const char *v = getenv(a);
    if ((!v || !*v) && b) v = getenv(b);
    return v && *v ? v : NULL;
}

int tw_object_parse_url(const char *rest, tw_object_url *u, tw_err *err) {
    memset(u, 0, sizeof *u);
    size_t blen = strcspn(rest, "/?");
    if (blen == 0 || blen >= sizeof u->bucket)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "malformed s3:// URL \"s3://%s\": expected s3://BUCKET[/PREFIX] with a "
                          "bucket name of 1..63 characters",
                          rest);
    memcpy(u->bucket, rest, blen);
    const char *p = rest + blen;
    const char *q = strchr(p, '?');
    size_t plen = q ? (size_t)(q - p) : strlen(p);
    while (plen && *p == '/') p++, plen--;
    while (plen && p[plen - 1] == '/') plen--;
    if (plen) {
        if (pct_decode(p, plen, u->prefix, sizeof u->prefix - 1))
            return tw_err_set(err, TWILL_MISUSE, NULL, "s3:// URL: prefix too long in \"%s\"",
                              rest);
        strcat(u->prefix, "/");
    }
    const char *ep = env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    const char *region = env("AWS_REGION", "AWS_DEFAULT_REGION");
    char qendpoint[sizeof u->endpoint] = "", qregion[sizeof u->region] = "", qaddr[16] = "";
    for (const char *s = q ? q + 1 : NULL; s && *s;) {
        size_t len = strcspn(s, "&");
        const char *eq = memchr(s, '=', len);
        if (!eq)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "s3:// URL: query parameter \"%.*s\" has no value", (int)len, s);
        size_t klen = (size_t)(eq - s), vlen = len - klen - 1;
        char *dst = NULL;
        size_t cap = 0;
        if (klen == 8 && !memcmp(s, "endpoint", 8))
            dst = qendpoint, cap = sizeof qendpoint;
        else if (klen == 6 && !memcmp(s, "region", 6))
            dst = qregion, cap = sizeof qregion;
        else if (klen == 10 && !memcmp(s, "addressing", 10))
            dst = qaddr, cap = sizeof qaddr;
        else
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "s3:// URL: unknown query parameter \"%.*s\" (known: endpoint, "
                              "region, addressing)",
                              (int)klen, s);
        if (pct_decode(eq + 1, vlen, dst, cap) || !*dst)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "s3:// URL: value of \"%.*s\" is empty or too long", (int)klen, s);
        s += len;
        if (*s == '&') s++;
    }
    if (*qendpoint) ep = qendpoint;
    if (*qregion) region = qregion;
    if (!region) region = "us-east-1";
    if (strlen(region) >= sizeof u->region)
        return tw_err_set(err, TWILL_MISUSE, NULL, "s3:// URL: region \"%s\" too long", region);
    strcpy(u->region, region);
    int custom = ep != NULL;
    if (ep) {
        if (strlen(ep) >= sizeof u->endpoint)
            return tw_err_set(err, TWILL_MISUSE, NULL, "s3:// endpoint too long");
        strcpy(u->endpoint, ep);
    } else {
        snprintf(u->endpoint, sizeof u->endpoint, "https://s3.%s.amazonaws.com", u->region);
    }
    if (strncmp(u->endpoint, "http://", 7) != 0 && strncmp(u->endpoint, "https://", 8) != 0)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "s3:// endpoint \"%s\" must start with http:// or https://", u->endpoint);
    if (!*qaddr)
        u->virtual_hosted = !custom;
    else if (!strcmp(qaddr, "path"))
        u->virtual_hosted = 0;
    else if (!strcmp(qaddr, "virtual"))
        u->virtual_hosted = 1;
    else
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "s3:// URL: addressing must be \"path\" or \"virtual\", not \"%s\"",
                          qaddr);
    return TWILL_OK;
}

/* ---- lease ------------------------------------------------------------------------------ */

typedef struct max_seen {
    size_t skip;
    uint64_t max;
    int bad;
} max_seen;

static int see_numbered(void *arg, const char *key, uint64_t size) {
    max_seen *m = arg;
    char *end;
    unsigned long long v = strtoull(key + m->skip, &end, 10);
    if (*end || end == key + m->skip)
        m->bad = 1; /* not ours: ignored */
    else if (v > m->max)
        m->max = v;
    return 0;
}

/* The newest number among keys PREFIX+sub+<20 digits>. */
int tw_obj_newest(tw_object *o, const char *sub, uint64_t *out, tw_err *err) {
    char pfx[600];
    if (tw_obj_key(o, pfx, sizeof pfx, "%s", sub))
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
    max_seen m = {.skip = strlen(pfx)};
    int rc = tw_s3_list(o->s3, pfx, NULL, see_numbered, &m, err);
    *out = m.max;
    return rc;
}

static int obj_lease_acquire(tw_storage *st, uint64_t *epoch_out, tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    uint64_t cur = 0;
    int rc = tw_obj_newest(o, "lease/", &cur, err);
    if (rc) goto out;
    if (cur < o->epoch) cur = o->epoch;
    uint64_t e = cur + 1;
    char key[600];
    if (tw_obj_key(o, key, sizeof key, "lease/%020llu", (unsigned long long)e)) {
        rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
        goto out;
    }
    char body[64];
    int blen = snprintf(body, sizeof body, "twill lease epoch %llu\n", (unsigned long long)e);
    tw_s3_result res;
    if ((rc = tw_s3_put(o->s3, key, body, (size_t)blen, TW_S3_IF_NONE_MATCH, &res, err))) goto out;
    if (res.status == 412 && res.attempts == 1) {
        rc = tw_err_set(err, TWILL_BUSY, NULL,
                        "%s: another writer acquired lease epoch %llu at the same time", o->name,
                        (unsigned long long)e);
        goto out;
    }
    /* (412 after a retry: our own first attempt landed; epochs are never reused) */
    o->epoch = e;
    o->held = 0;
    o->fenced = 0;
    /* The fence object makes the previous writer's next append fail: from here on the log
     * slot it would write is taken. */
    if ((rc = tw_obj_log_fence(o, e, err))) goto out;
    o->held = e;
    *epoch_out = e;
    /* older lease objects are history: keep the listing short (best effort) */
    for (uint64_t old = e > 8 ? e - 8 : 1; old < e; old++) {
        tw_err ignore;
        tw_err_clear(&ignore);
        if (!tw_obj_key(o, key, sizeof key, "lease/%020llu", (unsigned long long)old))
            tw_s3_delete(o->s3, key, &res, &ignore);
    }
out:
    pthread_mutex_unlock(&o->mu);
    return rc;
}

static int check_held(tw_object *o, uint64_t epoch, tw_err *err) {
    if (o->fenced)
        return tw_err_set(err, TWILL_FENCED, NULL,
                          "%s: this writer (epoch %llu) was fenced by a newer writer", o->name,
                          (unsigned long long)epoch);
    if (!o->held || epoch != o->held)
        return tw_err_set(err, TWILL_FENCED, NULL,
                          "%s: epoch %llu does not hold the lease (current epoch %llu%s)", o->name,
                          (unsigned long long)epoch, (unsigned long long)o->epoch,
                          o->held ? "" : ", released");
    return TWILL_OK;
}

static int obj_lease_renew(tw_storage *st, uint64_t epoch, tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    int rc = check_held(o, epoch, err);
    if (!rc) {
        /* a newer lease object means a newer writer exists, even before it fences us */
        char key[600];
        tw_s3_result res;
        if (tw_obj_key(o, key, sizeof key, "lease/%020llu", (unsigned long long)epoch + 1))
            rc = tw_err_set(err, TWILL_MISUSE, NULL, "%s: prefix too long", o->name);
        else if (!(rc = tw_s3_head(o->s3, key, &res, err)) && res.status != 404) {
            o->fenced = 1;
            rc = tw_err_set(err, TWILL_FENCED, NULL,
                            "%s: epoch %llu was superseded by a newer writer", o->name,
                            (unsigned long long)epoch);
        }
    }
    pthread_mutex_unlock(&o->mu);
    return rc;
}

static int obj_lease_release(tw_storage *st, uint64_t epoch, tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    int rc = check_held(o, epoch, err);
    if (!rc) o->held = 0;
    pthread_mutex_unlock(&o->mu);
    return rc;
}

/* ---- meta, branches, close ---------------------------------------------------------------- */

static int obj_meta(tw_storage *st, tw_storage_meta *out, tw_err *err) {
    tw_object *o = (tw_object *)st;
    pthread_mutex_lock(&o->mu);
    out->durable_lsn = o->durable_lsn;
    out->checkpoint_lsn = o->ckpt_lsn;
    out->epoch = o->epoch;
    pthread_mutex_unlock(&o->mu);
    return TWILL_OK;
}

static int notsup(tw_err *err) {
    return tw_err_set(err, TWILL_NOTSUP, NULL,
                      "branches are not supported by the s3:// backend yet");
}
static int obj_branch_create(tw_storage *st, const char *name, uint64_t at, tw_err *err) {
    return notsup(err);
}
static int obj_branch_open(tw_storage *st, const char *name, tw_storage **out, tw_err *err) {
    return notsup(err);
}
static int obj_branch_list(tw_storage *st, tw_branch_visit_fn fn, void *arg, tw_err *err) {
    return notsup(err);
}
static int obj_branch_delete(tw_storage *st, const char *name, tw_err *err) {
    return notsup(err);
}

static void obj_close(tw_storage *st) {
    tw_object *o = (tw_object *)st;
    if (!o) return;
    tw_obj_pages_free(o);
    free(o->log);
    tw_s3_close(o->s3);
    pthread_rwlock_destroy(&o->page_lock);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

void tw_object_stats(tw_storage *st, tw_s3_stats *out) {
    tw_s3_get_stats(((tw_object *)st)->s3, out);
}

static const tw_storage_ops OBJECT_OPS = {
    .version = TW_STORAGE_VERSION,
    .name = "s3",
    .lease_acquire = obj_lease_acquire,
    .lease_renew = obj_lease_renew,
    .lease_release = obj_lease_release,
    .log_append = tw_obj_log_append,
    .log_scan = tw_obj_log_scan,
    .log_truncate = tw_obj_log_truncate,
    .page_read = tw_obj_page_read,
    .ckpt_write = tw_obj_ckpt_write,
    .ckpt_finish = tw_obj_ckpt_finish,
    .branch_create = obj_branch_create,
    .branch_open = obj_branch_open,
    .branch_list = obj_branch_list,
    .branch_delete = obj_branch_delete,
    .meta = obj_meta,
    .close = obj_close,
};

int tw_object_open(const char *rest, const tw_storage_opts *opts, tw_storage **out, tw_err *err) {
    *out = NULL;
    tw_object *o = calloc(1, sizeof *o);
    if (!o) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    o->base.ops = &OBJECT_OPS;
    pthread_mutex_init(&o->mu, NULL);
    pthread_rwlock_init(&o->page_lock, NULL);
    int rc = tw_object_parse_url(rest, &o->url, err);
    if (rc) goto fail;
    snprintf(o->name, sizeof o->name, "s3://%s/%s", o->url.bucket, o->url.prefix);
    const char *ak = env("AWS_ACCESS_KEY_ID", NULL), *sk = env("AWS_SECRET_ACCESS_KEY", NULL);
    if (!ak || !sk) {
        rc = tw_err_set(err, TWILL_MISUSE, NULL,
                        "%s: no object-store credentials: %s%s%s is not set", o->name,
                        ak ? "" : "AWS_ACCESS_KEY_ID", !ak && !sk ? " and " : "",
                        sk ? "" : "AWS_SECRET_ACCESS_KEY");
        goto fail;
    }
    tw_s3_config cfg = {.endpoint = o->url.endpoint,
                        .region = o->url.region,
                        .bucket = o->url.bucket,
                        .access_key = ak,
                        .secret_key = sk,
                        .session_token = env("AWS_SESSION_TOKEN", NULL),
                        .virtual_hosted = o->url.virtual_hosted};
    if ((rc = tw_s3_open(&cfg, &o->s3, err))) goto fail;
    /* the first request also proves the endpoint, the credentials and the bucket */
    if ((rc = tw_obj_manifest_load(o, opts ? opts->create : 1, err)) ||
        (rc = tw_obj_log_load(o, err)) || (rc = tw_obj_newest(o, "lease/", &o->epoch, err)))
        goto fail;
    if (o->durable_lsn < o->ckpt_lsn) {
        rc = tw_err_set(err, TWILL_CORRUPT, NULL,
                        "%s: the commit log ends at LSN %llu, below the published checkpoint "
                        "%llu",
                        o->name, (unsigned long long)o->durable_lsn,
                        (unsigned long long)o->ckpt_lsn);
        goto fail;
    }
    *out = &o->base;
    return TWILL_OK;
fail:
    obj_close(&o->base);
    return rc;
}
