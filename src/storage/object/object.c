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
#include <strings.h>
#include <unistd.h>

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

/* "256M" -> bytes; -1 when malformed. */
static int parse_size(const char *v, uint64_t *out) {
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v) return -1;
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10, end++;
    else if (*end == 'm' || *end == 'M')
        shift = 20, end++;
    else if (*end == 'g' || *end == 'G')
        shift = 30, end++;
    if (*end == 'i' || *end == 'B') end++; /* "MiB", "MB" */
    if (*end == 'B') end++;
    if (*end || n > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)n << shift;
    return 0;
}

static uint64_t fnv64(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static int is_off(const char *v) {
    return !strcmp(v, "off") || !strcmp(v, "none") || !strcmp(v, "0");
}

/* The database's own cache directory under the cache root. */
static int resolve_cache(tw_object_url *u, const char *qcache, const char *qsize, tw_err *err) {
    const char *root = *qcache ? qcache : env("TWILL_CACHE_DIR", NULL);
    const char *size = *qsize ? qsize : env("TWILL_CACHE_SIZE", NULL);
    u->cache_size = TW_OBJ_CACHE_SIZE_DEFAULT;
    if (size && parse_size(size, &u->cache_size))
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "%s:// cache size \"%s\" is not a number of bytes (suffix K, M or G)",
                          u->scheme, size);
    u->cache_dir[0] = '\0';
    if ((root && is_off(root)) || u->cache_size == 0) return TWILL_OK;
    char dflt[512];
    if (!root) {
        const char *xdg = env("XDG_CACHE_HOME", NULL);
        if (xdg)
            snprintf(dflt, sizeof dflt, "%s/twill", xdg);
        else
            snprintf(dflt, sizeof dflt, "/tmp/twill-cache-%lu", (unsigned long)getuid());
        root = dflt;
    }
    uint64_t h = fnv64(0xcbf29ce484222325ull, u->endpoint);
    h = fnv64(fnv64(fnv64(h, "|"), u->bucket), "|");
    h = fnv64(h, u->prefix);
    int n = snprintf(u->cache_dir, sizeof u->cache_dir, "%s/%016llx", root, (unsigned long long)h);
    if (n < 0 || (size_t)n >= sizeof u->cache_dir)
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s:// cache directory \"%s\" is too long",
                          u->scheme, root);
    return TWILL_OK;
}

int tw_object_parse_url(const char *rest, tw_object_url *u, tw_err *err) {
    return tw_object_parse_scheme_url("s3", rest, u, err);
}

int tw_object_parse_scheme_url(const char *scheme, const char *rest, tw_object_url *u,
                               tw_err *err) {
    memset(u, 0, sizeof *u);
    if (!strcasecmp(scheme, "s3"))
        u->provider = TW_OBJ_S3;
    else if (!strcasecmp(scheme, "r2"))
        u->provider = TW_OBJ_R2;
    else if (!strcasecmp(scheme, "gs"))
        u->provider = TW_OBJ_GCS;
    else
        return tw_err_set(err, TWILL_NOTSUP, NULL, "unknown object-store scheme \"%s\"", scheme);
    static const char *const names[] = {"s3", "r2", "gs"};
    const char *sc = names[u->provider];
    strcpy(u->scheme, sc);
    size_t blen = strcspn(rest, "/?");
    if (blen == 0 || blen >= sizeof u->bucket)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "malformed %s:// URL \"%s://%s\": expected %s://BUCKET[/PREFIX] with a "
                          "bucket name of 1..63 characters",
                          sc, sc, rest, sc);
    memcpy(u->bucket, rest, blen);
    const char *p = rest + blen;
    const char *q = strchr(p, '?');
    size_t plen = q ? (size_t)(q - p) : strlen(p);
    while (plen && *p == '/') p++, plen--;
    while (plen && p[plen - 1] == '/') plen--;
    if (plen) {
        if (pct_decode(p, plen, u->prefix, sizeof u->prefix - 1))
            return tw_err_set(err, TWILL_MISUSE, NULL, "%s:// URL: prefix too long in \"%s\"", sc,
                              rest);
        strcat(u->prefix, "/");
    }
    const char *ep = NULL, *region = NULL;
    if (u->provider == TW_OBJ_S3) {
        ep = env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
        region = env("AWS_REGION", "AWS_DEFAULT_REGION");
    }
    char qendpoint[sizeof u->endpoint] = "", qregion[sizeof u->region] = "", qaddr[16] = "";
    char qaccount[64] = "", qcache[512] = "", qsize[32] = "", qtimeout[24] = "";
    for (const char *s = q ? q + 1 : NULL; s && *s;) {
        size_t len = strcspn(s, "&");
        const char *eq = memchr(s, '=', len);
        if (!eq)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "%s:// URL: query parameter \"%.*s\" has no value", sc, (int)len, s);
        size_t klen = (size_t)(eq - s), vlen = len - klen - 1;
        static const struct {
            const char *name;
            int r2_only;
        } known[] = {{"endpoint", 0}, {"region", 0},     {"addressing", 0}, {"account", 1},
                     {"cache", 0},    {"cache_size", 0}, {"timeout_ms", 0}};
        char *dsts[] = {qendpoint, qregion, qaddr, qaccount, qcache, qsize, qtimeout};
        size_t caps[] = {sizeof qendpoint, sizeof qregion, sizeof qaddr,   sizeof qaccount,
                         sizeof qcache,    sizeof qsize,   sizeof qtimeout};
        int k = -1;
        for (int i = 0; i < 7; i++)
            if (strlen(known[i].name) == klen && !memcmp(s, known[i].name, klen) &&
                (!known[i].r2_only || u->provider == TW_OBJ_R2))
                k = i;
        if (k < 0)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "%s:// URL: unknown query parameter \"%.*s\" (known: endpoint, "
                              "region, addressing, cache, cache_size, timeout_ms%s)",
                              sc, (int)klen, s, u->provider == TW_OBJ_R2 ? ", account" : "");
        if (pct_decode(eq + 1, vlen, dsts[k], caps[k]) || !*dsts[k])
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "%s:// URL: value of \"%.*s\" is empty or too long", sc, (int)klen,
                              s);
        s += len;
        if (*s == '&') s++;
    }
    if (*qendpoint) ep = qendpoint;
    if (*qregion) region = qregion;
    if (!region) region = u->provider == TW_OBJ_S3 ? "us-east-1" : "auto";
    if (strlen(region) >= sizeof u->region)
        return tw_err_set(err, TWILL_MISUSE, NULL, "%s:// URL: region \"%s\" too long", sc, region);
    strcpy(u->region, region);
    int custom = ep != NULL;
    if (ep) {
        if (strlen(ep) >= sizeof u->endpoint)
            return tw_err_set(err, TWILL_MISUSE, NULL, "%s:// endpoint too long", sc);
        strcpy(u->endpoint, ep);
    } else if (u->provider == TW_OBJ_R2) {
        const char *acct = *qaccount ? qaccount : env("R2_ACCOUNT_ID", NULL);
        if (!acct)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "r2://%s: no Cloudflare account id: add ?account=ID to the URL or "
                              "set R2_ACCOUNT_ID",
                              u->bucket);
        for (const char *c = acct; *c; c++)
            if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= 'A' && *c <= 'Z') || *c == '-'))
                return tw_err_set(err, TWILL_MISUSE, NULL,
                                  "r2:// account id \"%s\" must be letters, digits and '-'", acct);
        snprintf(u->endpoint, sizeof u->endpoint, "https://%s.r2.cloudflarestorage.com", acct);
    } else if (u->provider == TW_OBJ_GCS) {
        strcpy(u->endpoint, "https://storage.googleapis.com");
    } else {
        snprintf(u->endpoint, sizeof u->endpoint, "https://s3.%s.amazonaws.com", u->region);
    }
    if (strncmp(u->endpoint, "http://", 7) != 0 && strncmp(u->endpoint, "https://", 8) != 0)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "%s:// endpoint \"%s\" must start with http:// or https://", sc,
                          u->endpoint);
    if (!*qaddr)
        u->virtual_hosted = u->provider == TW_OBJ_S3 && !custom;
    else if (!strcmp(qaddr, "path"))
        u->virtual_hosted = 0;
    else if (!strcmp(qaddr, "virtual"))
        u->virtual_hosted = 1;
    else
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "%s:// URL: addressing must be \"path\" or \"virtual\", not \"%s\"", sc,
                          qaddr);
    const char *to = *qtimeout ? qtimeout : env("TWILL_S3_TIMEOUT_MS", NULL);
    if (to) {
        char *end;
        long v = strtol(to, &end, 10);
        if (*end || v < 1 || v > 3600000)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "%s:// timeout_ms \"%s\" must be 1..3600000 (milliseconds per "
                              "request attempt)",
                              sc, to);
        u->timeout_ms = v;
    }
    return resolve_cache(u, qcache, qsize, err);
}

int tw_object_credentials(const tw_object_url *u, const char **ak, const char **sk,
                          const char **tok, tw_err *err) {
    *ak = *sk = *tok = NULL;
    if (u->provider == TW_OBJ_GCS) {
        *ak = env("GOOGLE_ACCESS_KEY_ID", NULL);
        *sk = env("GOOGLE_SECRET_ACCESS_KEY", NULL);
        if (*ak && *sk) return TWILL_OK;
        if (!*ak && !*sk) {
            *ak = env("AWS_ACCESS_KEY_ID", NULL);
            *sk = env("AWS_SECRET_ACCESS_KEY", NULL);
            *tok = env("AWS_SESSION_TOKEN", NULL);
            if (*ak && *sk) return TWILL_OK;
        }
        const char *miss =
            !env("GOOGLE_ACCESS_KEY_ID", NULL) && env("GOOGLE_SECRET_ACCESS_KEY", NULL)
                ? "GOOGLE_ACCESS_KEY_ID"
            : env("GOOGLE_ACCESS_KEY_ID", NULL) ? "GOOGLE_SECRET_ACCESS_KEY"
                                                : "GOOGLE_ACCESS_KEY_ID and "
                                                  "GOOGLE_SECRET_ACCESS_KEY (or "
                                                  "AWS_ACCESS_KEY_ID and "
                                                  "AWS_SECRET_ACCESS_KEY)";
        *ak = *sk = *tok = NULL;
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "gs://%s: no HMAC credentials for Cloud Storage: %s %s not set",
                          u->bucket, miss, strchr(miss, ' ') ? "are" : "is");
    }
    *ak = env("AWS_ACCESS_KEY_ID", NULL), *sk = env("AWS_SECRET_ACCESS_KEY", NULL);
    *tok = env("AWS_SESSION_TOKEN", NULL);
    if (*ak && *sk) return TWILL_OK;
    int both = !*ak && !*sk;
    const char *a = *ak ? "" : "AWS_ACCESS_KEY_ID", *s = *sk ? "" : "AWS_SECRET_ACCESS_KEY";
    *ak = *sk = *tok = NULL;
    return tw_err_set(
        err, TWILL_MISUSE, NULL, "%s://%s/%s: no object-store credentials: %s%s%s %s not set%s",
        u->scheme, u->bucket, u->prefix, a, both ? " and " : "", s, both ? "are" : "is",
        u->provider == TW_OBJ_R2 ? " (an R2 API token's S3 access key and secret)" : "");
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
    /* older lease objects are history: keep the listing short (best effort, one
     * DeleteObjects request) */
    char olds[8][600];
    const char *ptrs[8];
    size_t nold = 0;
    for (uint64_t old = e > 8 ? e - 8 : 1; old < e && nold < 8; old++)
        if (!tw_obj_key(o, olds[nold], sizeof olds[nold], "lease/%020llu", (unsigned long long)old))
            ptrs[nold] = olds[nold], nold++;
    tw_err ignore;
    tw_err_clear(&ignore);
    if (nold) tw_s3_delete_many(o->s3, ptrs, nold, &ignore);
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
    tw_obj_compact_stop(o);
    tw_obj_pages_free(o);
    free(o->log);
    tw_s3_close(o->s3);
    tw_ocache_close(o->cache);
    pthread_rwlock_destroy(&o->page_lock);
    pthread_cond_destroy(&o->gc_cv);
    pthread_mutex_destroy(&o->gc_mu);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

void tw_object_stats(tw_storage *st, tw_s3_stats *out) {
    tw_s3_get_stats(((tw_object *)st)->s3, out);
}

static int obj_stats_text(tw_storage *st, char *buf, size_t cap) {
    tw_object *o = (tw_object *)st;
    tw_s3_stats s;
    tw_s3_get_stats(o->s3, &s);
    tw_ocache_stats c;
    tw_ocache_get_stats(o->cache, &c);
    return snprintf(
        buf, cap,
        "s3_put %llu\ns3_get %llu\ns3_list %llu\ns3_head %llu\ns3_delete %llu\n"
        "s3_retries %llu\ns3_bytes_up %llu\ns3_bytes_down %llu\n"
        "s3_cache_hits %llu\ns3_cache_misses %llu\ns3_cache_bytes %llu\n"
        "s3_cache_max_bytes %llu\ns3_compactions %llu\ns3_gc_deleted %llu\n",
        (unsigned long long)s.put, (unsigned long long)s.get, (unsigned long long)s.list,
        (unsigned long long)s.head, (unsigned long long)s.del, (unsigned long long)s.retries,
        (unsigned long long)s.bytes_up, (unsigned long long)s.bytes_down,
        (unsigned long long)c.hits, (unsigned long long)c.misses, (unsigned long long)c.bytes,
        (unsigned long long)c.max_bytes, (unsigned long long)atomic_load(&o->n_compactions),
        (unsigned long long)atomic_load(&o->n_gc_deleted));
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
    .stats_text = obj_stats_text,
};

int tw_object_open(const char *rest, const tw_storage_opts *opts, tw_storage **out, tw_err *err) {
    return tw_object_open_scheme("s3", rest, opts, out, err);
}

int tw_object_open_scheme(const char *scheme, const char *rest, const tw_storage_opts *opts,
                          tw_storage **out, tw_err *err) {
    *out = NULL;
    tw_object *o = calloc(1, sizeof *o);
    if (!o) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    o->base.ops = &OBJECT_OPS;
    pthread_mutex_init(&o->mu, NULL);
    pthread_mutex_init(&o->gc_mu, NULL);
    pthread_cond_init(&o->gc_cv, NULL);
    pthread_rwlock_init(&o->page_lock, NULL);
    int rc = tw_object_parse_scheme_url(scheme, rest, &o->url, err);
    if (rc) goto fail;
    snprintf(o->name, sizeof o->name, "%s://%s/%s", o->url.scheme, o->url.bucket, o->url.prefix);
    const char *ak, *sk, *tok;
    if ((rc = tw_object_credentials(&o->url, &ak, &sk, &tok, err))) goto fail;
    tw_s3_config cfg = {.endpoint = o->url.endpoint,
                        .region = o->url.region,
                        .bucket = o->url.bucket,
                        .access_key = ak,
                        .secret_key = sk,
                        .session_token = tok,
                        .virtual_hosted = o->url.virtual_hosted,
                        .timeout_ms = o->url.timeout_ms,
                        .dialect =
                            o->url.provider == TW_OBJ_GCS ? TW_S3_DIALECT_GCS : TW_S3_DIALECT_AWS};
    if ((rc = tw_s3_open(&cfg, &o->s3, err))) goto fail;
    /* a cache that cannot be created only makes reads slower: run without one */
    if (o->url.cache_dir[0]) o->cache = tw_ocache_open(o->url.cache_dir, o->url.cache_size);
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
