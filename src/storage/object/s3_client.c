/*
 * s3_client.c — S3 requests over libcurl with SigV4. See s3_client.h.
 */
#include "storage/object/s3_client.h"

#include "storage/object/sigv4.h"

#include <curl/curl.h>
#include <expat.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_ATTEMPTS 5
#define DEFAULT_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 3000
#define BACKOFF_BASE_MS 25
#define BACKOFF_CAP_MS 2000
#define BATCH_PARALLEL 16 /* requests in flight in one tw_s3_batch */
#define DELETE_BATCH 1000 /* keys per DeleteObjects request (the S3 limit) */

typedef struct pooled {
    CURL *h;
    struct pooled *next;
} pooled;

struct tw_s3 {
    char *endpoint; /* as configured, without a trailing '/' */
    char *scheme;   /* "http" / "https" */
    char *host;     /* host[:port] of the endpoint */
    char *region, *bucket, *access_key, *secret_key, *session_token;
    int virtual_hosted, max_attempts, dialect;
    long timeout_ms;
    pthread_mutex_t mu;
    pooled *idle;
    pthread_mutex_t multi_mu; /* one batch at a time uses `multi` */
    CURLM *multi;             /* kept open: its connection cache outlives a batch */
    _Atomic uint64_t n_put, n_get, n_head, n_list, n_del, n_retries, up, down;
    _Atomic uint64_t seed;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) {
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dupstr(const char *s) {
    return s ? strdup(s) : NULL;
}

int tw_s3_open(const tw_s3_config *cfg, tw_s3 **out, tw_err *err) {
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return tw_err_set(err, TWILL_IOERR, NULL, "libcurl initialization failed: %s",
                          curl_easy_strerror(curl_init_rc));
    if (!cfg->endpoint || !cfg->region || !cfg->bucket || !cfg->access_key || !cfg->secret_key)
        return tw_err_set(err, TWILL_MISUSE, NULL, "s3 client: incomplete configuration");
    const char *sep = strstr(cfg->endpoint, "://");
    if (!sep || sep == cfg->endpoint || !sep[3])
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "malformed S3 endpoint \"%s\": expected http://HOST[:PORT] or "
                          "https://HOST[:PORT]",
                          cfg->endpoint);
    tw_s3 *s = calloc(1, sizeof *s);
    if (!s) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    s->endpoint = strdup(cfg->endpoint);
    s->scheme = strndup(cfg->endpoint, (size_t)(sep - cfg->endpoint));
    const char *h = sep + 3;
    s->host = strndup(h, strcspn(h, "/"));
    s->region = dupstr(cfg->region);
    s->bucket = dupstr(cfg->bucket);
    s->access_key = dupstr(cfg->access_key);
    s->secret_key = dupstr(cfg->secret_key);
    s->session_token =
        cfg->session_token && *cfg->session_token ? strdup(cfg->session_token) : NULL;
    s->virtual_hosted = cfg->virtual_hosted;
    s->dialect = cfg->dialect;
    s->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : DEFAULT_ATTEMPTS;
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->multi_mu, NULL);
    atomic_store(&s->seed, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s);
    if (!s->endpoint || !s->scheme || !s->host || !*s->host || !s->region || !s->bucket ||
        !s->access_key || !s->secret_key ||
        (cfg->session_token && *cfg->session_token && !s->session_token)) {
        tw_s3_close(s);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory (or empty endpoint host)");
    }
    size_t n = strlen(s->endpoint);
    while (n > 0 && s->endpoint[n - 1] == '/') s->endpoint[--n] = '\0';
    *out = s;
    return TWILL_OK;
}

void tw_s3_close(tw_s3 *s) {
    if (!s) return;
    for (pooled *p = s->idle, *next; p; p = next) {
        next = p->next;
        curl_easy_cleanup(p->h);
        free(p);
    }
    if (s->multi) curl_multi_cleanup(s->multi);
    pthread_mutex_destroy(&s->multi_mu);
    pthread_mutex_destroy(&s->mu);
    free(s->endpoint), free(s->scheme), free(s->host), free(s->region), free(s->bucket);
    free(s->access_key), free(s->secret_key), free(s->session_token);
    free(s);
}

void tw_s3_get_stats(tw_s3 *s, tw_s3_stats *o) {
    o->put = atomic_load(&s->n_put), o->get = atomic_load(&s->n_get);
    o->head = atomic_load(&s->n_head), o->list = atomic_load(&s->n_list);
    o->del = atomic_load(&s->n_del), o->retries = atomic_load(&s->n_retries);
    o->bytes_up = atomic_load(&s->up), o->bytes_down = atomic_load(&s->down);
}

const char *tw_s3_bucket(const tw_s3 *s) {
    return s->bucket;
}
const char *tw_s3_endpoint(const tw_s3 *s) {
    return s->endpoint;
}
const char *tw_s3_region(const tw_s3 *s) {
    return s->region;
}

const char *tw_s3_create_only_header(const tw_s3 *s) {
    /* GCS's XML API: "create if absent" is generation 0 (it has no If-None-Match: *) */
    return s->dialect == TW_S3_DIALECT_GCS ? "x-goog-if-generation-match: 0" : "If-None-Match: *";
}

int tw_s3_has_multi_delete(const tw_s3 *s) {
    return s->dialect != TW_S3_DIALECT_GCS; /* GCS's XML API has no DeleteObjects */
}

static pooled *borrow(tw_s3 *s) {
    pthread_mutex_lock(&s->mu);
    pooled *p = s->idle;
    if (p) s->idle = p->next;
    pthread_mutex_unlock(&s->mu);
    if (p) return p;
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (!(p->h = curl_easy_init())) {
        free(p);
        return NULL;
    }
    return p;
}

static void give_back(tw_s3 *s, pooled *p) {
    pthread_mutex_lock(&s->mu);
    p->next = s->idle;
    s->idle = p;
    pthread_mutex_unlock(&s->mu);
}

/* ---- one request ---------------------------------------------------------------------- */

typedef struct request {
    const char *op;     /* for messages: "PUT", "GET", "LIST", ... */
    const char *method; /* HTTP method */
    const char *key;    /* object key, or NULL for a bucket-level request */
    const char *query;  /* canonical query string ("" when none) */
    const void *body;
    size_t body_len;
    const char *extra[4]; /* unsigned headers ("If-None-Match: *", "Range: ...") */
    int head;             /* HEAD: no response body */
    tw_buf *out;          /* response body (2xx); NULL: discard */
} request;

typedef struct upload {
    const uint8_t *base, *p;
    size_t total, left;
} upload;

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg) {
    upload *u = arg;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;
    if (!n) return 0;
    memcpy(dst, u->p, n);
    u->p += n, u->left -= n;
    return n;
}

typedef struct sink {
    tw_buf *b;
    int oom;
} sink;

static size_t write_cb(char *src, size_t size, size_t nmemb, void *arg) {
    sink *k = arg;
    if (tw_buf_append(k->b, src, size * nmemb)) {
        k->oom = 1;
        return 0;
    }
    return size * nmemb;
}

static uint64_t next_rand(tw_s3 *s) {
    /* splitmix64 over an atomic counter: only for backoff jitter */
    uint64_t z = atomic_fetch_add(&s->seed, 0x9E3779B97F4A7C15ull) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void backoff(tw_s3 *s, int attempt) {
    uint64_t cap = (uint64_t)BACKOFF_BASE_MS << (attempt < 7 ? attempt : 7);
    if (cap > BACKOFF_CAP_MS) cap = BACKOFF_CAP_MS;
    uint64_t ms = cap / 2 + next_rand(s) % (cap / 2 + 1); /* "equal jitter" */
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int retryable_curl(CURLcode c) {
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    /* A kept-alive connection turned out dead after the body went out: libcurl would
     * resend it but cannot rewind (deliberately no CURLOPT_SEEKFUNCTION: its silent
     * resend would hide that an earlier send may have landed, and a create-only PUT
     * must know - res.attempts > 1 - to read back a 412). Our own retry re-prepares
     * the body and counts the attempt. */
    case CURLE_SEND_FAIL_REWIND:
        return 1;
    default:
        return 0;
    }
}

static int retryable_status(long st) {
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* ---- XML (expat): error bodies and ListObjectsV2 ---------------------------------------- */

typedef struct xml_ctx {
    int depth;
    char path[4][32]; /* element names from the root, 4 levels */
    tw_buf text;
    /* error */
    char code[64], message[160];
    /* list */
    tw_s3_list_fn fn;
    void *arg;
    int stop_rc, truncated, oom;
    char key[1024];
    uint64_t size;
    tw_buf *token;
    /* DeleteObjects result: keys that were not deleted */
    int del_errors;
    char del_key[256], del_code[64];
} xml_ctx;

static void XMLCALL xml_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
    xml_ctx *x = ud;
    if (x->depth < 4) {
        snprintf(x->path[x->depth], sizeof x->path[0], "%s", name);
        if (x->depth == 1 && strcmp(name, "Contents") == 0) x->key[0] = '\0', x->size = 0;
    }
    x->depth++;
    tw_buf_reset(&x->text);
}

static void XMLCALL xml_text(void *ud, const XML_Char *s, int len) {
    xml_ctx *x = ud;
    if (tw_buf_append(&x->text, s, (size_t)len)) x->oom = 1;
}

static void XMLCALL xml_end(void *ud, const XML_Char *name) {
    xml_ctx *x = ud;
    x->depth--;
    const char *t = x->text.p ? (const char *)x->text.p : "";
    int tl = (int)x->text.len;
    if (x->depth == 1 && strcmp(x->path[0], "DeleteResult") == 0) {
        if (strcmp(name, "Error") == 0) x->del_errors++;
    } else if (x->depth == 2 && strcmp(x->path[0], "DeleteResult") == 0 &&
               strcmp(x->path[1], "Error") == 0) {
        if (strcmp(name, "Key") == 0 && !x->del_errors)
            snprintf(x->del_key, sizeof x->del_key, "%.*s", tl, t);
        if (strcmp(name, "Code") == 0 && !x->del_errors)
            snprintf(x->del_code, sizeof x->del_code, "%.*s", tl, t);
    } else if (x->depth == 1 && strcmp(x->path[0], "Error") == 0) {
        if (strcmp(name, "Code") == 0) snprintf(x->code, sizeof x->code, "%.*s", tl, t);
        if (strcmp(name, "Message") == 0) snprintf(x->message, sizeof x->message, "%.*s", tl, t);
    } else if (x->depth == 1 && strcmp(x->path[0], "ListBucketResult") == 0) {
        if (strcmp(name, "IsTruncated") == 0) x->truncated = tl == 4 && !memcmp(t, "true", 4);
        if (strcmp(name, "NextContinuationToken") == 0 && x->token &&
            tw_buf_set(x->token, t, x->text.len))
            x->oom = 1;
        if (strcmp(name, "Contents") == 0 && x->fn && !x->stop_rc && x->key[0])
            x->stop_rc = x->fn(x->arg, x->key, x->size);
    } else if (x->depth == 2 && strcmp(x->path[1], "Contents") == 0) {
        if (strcmp(name, "Key") == 0) {
            if (x->text.len >= sizeof x->key)
                x->oom = 1; /* keys we write are short */
            else
                snprintf(x->key, sizeof x->key, "%.*s", tl, t);
        }
        if (strcmp(name, "Size") == 0) {
            char num[24]; /* the text is not NUL-terminated */
            snprintf(num, sizeof num, "%.*s", tl, t);
            x->size = strtoull(num, NULL, 10);
        }
    }
    tw_buf_reset(&x->text);
}

static int xml_parse(xml_ctx *x, const void *data, size_t len, tw_err *err) {
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory (XML parser)");
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, xml_start, xml_end);
    XML_SetCharacterDataHandler(p, xml_text);
    int ok = XML_Parse(p, data, (int)len, 1) == XML_STATUS_OK;
    int rc = TWILL_OK;
    if (!ok)
        rc = tw_err_set(
            err, TWILL_IOERR, NULL, "malformed XML from the object store: %s at line %lu",
            XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p));
    else if (x->oom)
        rc = tw_err_set(err, TWILL_IOERR, NULL,
                        "object store listing: out of memory or key too long");
    XML_ParserFree(p);
    tw_buf_free(&x->text);
    return rc;
}

int tw_s3_parse_list(const void *xml, size_t len, tw_s3_list_fn fn, void *arg, int *truncated,
                     tw_buf *token, tw_err *err) {
    xml_ctx x = {.fn = fn, .arg = arg, .token = token};
    if (token) tw_buf_reset(token);
    int rc = xml_parse(&x, xml, len, err);
    *truncated = x.truncated;
    if (rc) return rc;
    return x.stop_rc;
}

/* ---- the request loop ------------------------------------------------------------------- */

static int build_url(tw_s3 *s, const request *r, tw_buf *path, tw_buf *url, tw_buf *host) {
    int rc = TWILL_OK;
    if (s->virtual_hosted) {
        rc = tw_buf_append(host, s->bucket, strlen(s->bucket)) || tw_buf_put_u8(host, '.');
    }
    rc = rc || tw_buf_append(host, s->host, strlen(s->host)) || tw_buf_put_u8(host, 0);
    if (!s->virtual_hosted)
        rc = rc || tw_buf_put_u8(path, '/') || tw_uri_encode(path, s->bucket, strlen(s->bucket), 0);
    rc = rc || tw_buf_put_u8(path, '/');
    if (r->key) rc = rc || tw_uri_encode(path, r->key, strlen(r->key), 1);
    rc = rc || tw_buf_put_u8(path, 0);
    if (rc) return TWILL_NOMEM;
    path->len--, host->len--;
    rc = tw_buf_append(url, s->scheme, strlen(s->scheme)) || tw_buf_append(url, "://", 3) ||
         tw_buf_append(url, host->p, host->len) || tw_buf_append(url, path->p, path->len);
    if (!rc && r->query[0])
        rc = tw_buf_put_u8(url, '?') || tw_buf_append(url, r->query, strlen(r->query));
    rc = rc || tw_buf_put_u8(url, 0);
    return rc ? TWILL_NOMEM : TWILL_OK;
}

static _Atomic uint64_t *counter(tw_s3 *s, const char *op) {
    if (!strcmp(op, "PUT")) return &s->n_put;
    if (!strcmp(op, "GET")) return &s->n_get;
    if (!strcmp(op, "HEAD")) return &s->n_head;
    if (!strcmp(op, "LIST")) return &s->n_list;
    if (!strcmp(op, "DELETE") || !strcmp(op, "DELETE OBJECTS")) return &s->n_del;
    return &s->n_put; /* CREATE BUCKET: a PUT, for billing too */
}

/* One request in flight: what is sent, what came back. Attempts reuse it. */
typedef struct xfer {
    const request *r;
    tw_buf path, url, host, auth, resp;
    char payload_hash[TW_SHA256_HEX];
    char curl_msg[CURL_ERROR_SIZE];
    struct curl_slist *hl;
    upload up;
    sink sk;
    CURLcode cc;
    long status;
    int attempts;
    uint64_t size; /* HEAD: Content-Length */
    pooled *ph;
} xfer;

static void xfer_free(xfer *x) {
    curl_slist_free_all(x->hl);
    x->hl = NULL;
    tw_buf_free(&x->path), tw_buf_free(&x->url), tw_buf_free(&x->host), tw_buf_free(&x->auth);
    tw_buf_free(&x->resp);
}

static int xfer_init(tw_s3 *s, xfer *x, const request *r, tw_err *err) {
    memset(x, 0, sizeof *x);
    x->r = r;
    if (tw_sha256_hex(r->body ? r->body : "", r->body_len, x->payload_hash))
        return tw_err_set(err, TWILL_IOERR, NULL, "SHA-256 of the request body failed");
    if (build_url(s, r, &x->path, &x->url, &x->host))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    return TWILL_OK;
}

/* Signs the next attempt and sets every option on h. */
static int xfer_prepare(tw_s3 *s, xfer *x, CURL *h, tw_err *err) {
    const request *r = x->r;
    x->attempts++;
    atomic_fetch_add(counter(s, r->op), 1);
    if (x->attempts > 1) atomic_fetch_add(&s->n_retries, 1);
    curl_slist_free_all(x->hl);
    x->hl = NULL;

    char amz_date[17];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    tw_sigv4_header sh[4] = {{"host", (const char *)x->host.p},
                             {"x-amz-content-sha256", x->payload_hash},
                             {"x-amz-date", amz_date},
                             {"x-amz-security-token", s->session_token}};
    tw_sigv4_req sr = {.method = r->method,
                       .canonical_uri = (const char *)x->path.p,
                       .canonical_query = r->query,
                       .headers = sh,
                       .nheaders = s->session_token ? 4 : 3,
                       .payload_sha256 = x->payload_hash,
                       .amz_date = amz_date,
                       .region = s->region,
                       .service = "s3",
                       .access_key = s->access_key,
                       .secret_key = s->secret_key};
    tw_buf_reset(&x->auth);
    int rc = tw_sigv4_authorization(&sr, &x->auth, err);
    if (rc) return rc;

    char hbuf[6][1200];
    struct curl_slist *tmp;
    int nh = 0;
    snprintf(hbuf[nh++], sizeof hbuf[0], "Host: %s", (const char *)x->host.p);
    snprintf(hbuf[nh++], sizeof hbuf[0], "x-amz-content-sha256: %s", x->payload_hash);
    snprintf(hbuf[nh++], sizeof hbuf[0], "x-amz-date: %s", amz_date);
    snprintf(hbuf[nh++], sizeof hbuf[0], "Authorization: %.*s", (int)x->auth.len,
             (const char *)x->auth.p);
    if (s->session_token)
        snprintf(hbuf[nh++], sizeof hbuf[0], "x-amz-security-token: %s", s->session_token);
    snprintf(hbuf[nh++], sizeof hbuf[0], "Expect:"); /* no 100-continue round trip */
    for (int i = 0; i < nh; i++) {
        if (!(tmp = curl_slist_append(x->hl, hbuf[i])))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        x->hl = tmp;
    }
    for (int i = 0; i < 4 && r->extra[i]; i++) {
        if (!(tmp = curl_slist_append(x->hl, r->extra[i])))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        x->hl = tmp;
    }

    x->up = (upload){r->body, r->body, r->body_len, r->body_len};
    tw_buf_reset(&x->resp);
    if (r->out) tw_buf_reset(r->out);
    x->sk = (sink){&x->resp, 0};
    x->size = 0;
    curl_easy_reset(h);
    x->curl_msg[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, (const char *)x->url.p);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hl);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_msg);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->sk);
    curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    if (!strcmp(r->method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(h, CURLOPT_READDATA, &x->up);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
    } else if (!strcmp(r->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else if (r->head) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    }
    return TWILL_OK;
}

/* Records the outcome of an attempt; nonzero when it should be retried. */
static int xfer_collect(tw_s3 *s, xfer *x, CURL *h, CURLcode cc) {
    x->cc = cc;
    x->status = 0;
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
    if (cc == CURLE_OK && x->r->head) {
        curl_off_t cl = -1;
        curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        x->size = cl > 0 ? (uint64_t)cl : 0;
    }
    atomic_fetch_add(&s->up, x->r->body_len);
    atomic_fetch_add(&s->down, x->resp.len);
    if (x->sk.oom) return 0;
    return cc != CURLE_OK ? retryable_curl(cc) : retryable_status(x->status);
}

/* The final answer of a request: TWILL_OK for 2xx/404/412, an error naming it otherwise. */
static int xfer_result(tw_s3 *s, xfer *x, tw_s3_result *res, tw_err *err) {
    const request *r = x->r;
    const char *what = r->key ? r->key : "";
    memset(res, 0, sizeof *res);
    res->status = x->status;
    res->attempts = x->attempts;
    res->size = x->size;
    long status = x->status;
    if (x->sk.oom)
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory reading %s %s", r->op, what);
    if (x->cc != CURLE_OK)
        return tw_err_set(err, TWILL_IOERR, NULL,
                          "cannot reach the object store at %s: %s %s/%s failed: %s (after %d "
                          "attempt%s)",
                          s->endpoint, r->op, s->bucket, what,
                          x->curl_msg[0] ? x->curl_msg : curl_easy_strerror(x->cc), x->attempts,
                          x->attempts == 1 ? "" : "s");
    if ((status >= 200 && status < 300) || status == 404 || status == 412) {
        xml_ctx xc = {0};
        if (status == 404 && x->resp.len && xml_parse(&xc, x->resp.p, x->resp.len, NULL) == 0 &&
            strcmp(xc.code, "NoSuchBucket") == 0)
            return tw_err_set(err, TWILL_IOERR, "58P01",
                              "bucket \"%s\" does not exist at %s (create it first)", s->bucket,
                              s->endpoint);
        if (status >= 200 && status < 300 && r->out && tw_buf_set(r->out, x->resp.p, x->resp.len))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        return TWILL_OK;
    }
    xml_ctx xc = {0};
    if (x->resp.len) xml_parse(&xc, x->resp.p, x->resp.len, NULL);
    const char *hint = status == 403 ? " (check the access key / secret key variables and the "
                                       "region)"
                                     : "";
    return tw_err_set(err, TWILL_IOERR, NULL,
                      "object store %s %s/%s at %s failed: HTTP %ld %s%s%s%s (after %d attempt%s)",
                      r->op, s->bucket, what, s->endpoint, status, xc.code[0] ? xc.code : "",
                      xc.message[0] ? ": " : "", xc.message, hint, x->attempts,
                      x->attempts == 1 ? "" : "s");
}

/* Attempts x on its own (easy) handle until it succeeds, fails for good or runs out of
 * attempts; x may already have made attempts (a batch's first one). */
static int xfer_finish_sync(tw_s3 *s, xfer *x, CURL *h, int retry, tw_err *err) {
    while (retry && x->attempts < s->max_attempts) {
        backoff(s, x->attempts - 1);
        int rc = xfer_prepare(s, x, h, err);
        if (rc) return rc;
        retry = xfer_collect(s, x, h, curl_easy_perform(h));
    }
    return TWILL_OK;
}

static int run(tw_s3 *s, const request *r, tw_s3_result *res, tw_err *err) {
    memset(res, 0, sizeof *res);
    xfer x;
    int rc = xfer_init(s, &x, r, err);
    pooled *ph = rc ? NULL : borrow(s);
    if (!rc && !ph) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory (curl handle)");
    if (!rc && !(rc = xfer_prepare(s, &x, ph->h, err))) {
        int retry = xfer_collect(s, &x, ph->h, curl_easy_perform(ph->h));
        rc = xfer_finish_sync(s, &x, ph->h, retry, err);
    }
    if (!rc) rc = xfer_result(s, &x, res, err);
    if (ph) give_back(s, ph);
    xfer_free(&x);
    return rc;
}

/* ---- batches: the multi interface ---------------------------------------------------------- */

static void op_request(const tw_s3 *s, tw_s3_op *op, request *r, char *range, size_t rcap) {
    memset(r, 0, sizeof *r);
    r->key = op->key;
    r->query = "";
    switch (op->kind) {
    case TW_S3_OP_GET:
        r->op = r->method = "GET";
        r->out = op->out;
        if (op->len) {
            snprintf(range, rcap, "Range: bytes=%llu-%llu", (unsigned long long)op->off,
                     (unsigned long long)(op->off + op->len - 1));
            r->extra[0] = range;
        }
        break;
    case TW_S3_OP_PUT:
        r->op = r->method = "PUT";
        r->body = op->data;
        r->body_len = op->data_len;
        if (op->flags & TW_S3_IF_NONE_MATCH) r->extra[0] = tw_s3_create_only_header(s);
        break;
    default:
        r->op = r->method = "DELETE";
        break;
    }
}

int tw_s3_batch(tw_s3 *s, tw_s3_op *ops, size_t n, tw_err *err) {
    if (n == 0) return TWILL_OK;
    request *rq = calloc(n, sizeof *rq);
    xfer *xs = calloc(n, sizeof *xs);
    char(*ranges)[80] = calloc(n, sizeof *ranges);
    int rc = TWILL_OK;
    if (!rq || !xs || !ranges) {
        free(rq), free(xs), free(ranges);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ops[i].rc = TWILL_OK;
        memset(&ops[i].res, 0, sizeof ops[i].res);
        op_request(s, &ops[i], &rq[i], ranges[i], sizeof ranges[i]);
    }
    pthread_mutex_lock(&s->multi_mu);
    if (!s->multi && !(s->multi = curl_multi_init())) {
        pthread_mutex_unlock(&s->multi_mu);
        free(rq), free(xs), free(ranges);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory (curl multi handle)");
    }
    CURLM *m = s->multi;
    size_t next = 0, active = 0, done = 0;
    int *retry = calloc(n, sizeof *retry);
    if (!retry) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    /* first attempts in parallel, at most BATCH_PARALLEL at a time */
    while (!rc && done < n) {
        while (next < n && active < BATCH_PARALLEL) {
            size_t i = next++;
            tw_err e;
            tw_err_clear(&e);
            int r1 = xfer_init(s, &xs[i], &rq[i], &e);
            xs[i].ph = r1 ? NULL : borrow(s);
            if (!r1 && !xs[i].ph) r1 = tw_err_set(&e, TWILL_NOMEM, NULL, "out of memory");
            if (!r1) r1 = xfer_prepare(s, &xs[i], xs[i].ph->h, &e);
            if (!r1 && curl_multi_add_handle(m, xs[i].ph->h) != CURLM_OK)
                r1 = tw_err_set(&e, TWILL_NOMEM, NULL, "curl_multi_add_handle failed");
            if (r1) {
                ops[i].rc = r1;
                if (!rc) rc = r1, tw_err_copy(err, &e);
                done++;
                continue;
            }
            active++;
        }
        if (rc) break;
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            rc = tw_err_set(err, TWILL_IOERR, NULL, "curl_multi_perform failed");
            break;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *h = msg->easy_handle;
            CURLcode cc = msg->data.result;
            xfer *x = NULL;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&x);
            curl_multi_remove_handle(m, h);
            size_t i = (size_t)(x - xs);
            retry[i] = xfer_collect(s, x, h, cc);
            active--, done++;
        }
        if (active && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK) {
            rc = tw_err_set(err, TWILL_IOERR, NULL, "curl_multi_poll failed");
            break;
        }
    }
    if (rc) /* detach whatever is still in flight */
        for (size_t i = 0; i < next; i++)
            if (xs[i].ph) curl_multi_remove_handle(m, xs[i].ph->h);
    pthread_mutex_unlock(&s->multi_mu);
    /* retries (rare) one by one on the same handles, then the answers */
    for (size_t i = 0; i < next && !rc; i++) {
        tw_err e;
        tw_err_clear(&e);
        if (!xs[i].ph || ops[i].rc) continue;
        int r1 = xfer_finish_sync(s, &xs[i], xs[i].ph->h, retry[i], &e);
        if (!r1) r1 = xfer_result(s, &xs[i], &ops[i].res, &e);
        ops[i].rc = r1;
        if (r1 && !rc) rc = r1, tw_err_copy(err, &e);
    }
    for (size_t i = 0; i < n; i++) {
        if (xs[i].ph) give_back(s, xs[i].ph);
        xfer_free(&xs[i]);
    }
    free(retry), free(rq), free(xs), free(ranges);
    return rc;
}

/* ---- DeleteObjects ----------------------------------------------------------------------------
 */

static int xml_escape(tw_buf *b, const char *s) {
    int bad = 0;
    for (; *s && !bad; s++) {
        switch (*s) {
        case '&':
            bad = tw_buf_append(b, "&amp;", 5);
            break;
        case '<':
            bad = tw_buf_append(b, "&lt;", 4);
            break;
        case '>':
            bad = tw_buf_append(b, "&gt;", 4);
            break;
        case '"':
            bad = tw_buf_append(b, "&quot;", 6);
            break;
        case '\'':
            bad = tw_buf_append(b, "&apos;", 6);
            break;
        default:
            bad = tw_buf_put_u8(b, (uint8_t)*s);
        }
    }
    return bad;
}

/* Base64 of the MD5 of data: the Content-MD5 header DeleteObjects requires. */
static int content_md5(const void *data, size_t len, char out[32]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    if (!EVP_Digest(data, len, md, &mlen, EVP_md5(), NULL) || mlen != 16) return -1;
    EVP_EncodeBlock((unsigned char *)out, md, 16); /* 24 characters + NUL */
    return 0;
}

int tw_s3_encode_delete(tw_buf *body, const char *const *keys, size_t n) {
    tw_buf_reset(body);
    int bad = tw_buf_append(body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) ||
              tw_buf_append(body, "<Delete><Quiet>true</Quiet>", 27);
    for (size_t i = 0; i < n && !bad; i++)
        bad = tw_buf_append(body, "<Object><Key>", 13) || xml_escape(body, keys[i]) ||
              tw_buf_append(body, "</Key></Object>", 15);
    bad = bad || tw_buf_append(body, "</Delete>", 9);
    return bad ? TWILL_NOMEM : TWILL_OK;
}

int tw_s3_delete_many(tw_s3 *s, const char *const *keys, size_t n, tw_err *err) {
    if (!tw_s3_has_multi_delete(s)) { /* one DELETE per key, in parallel */
        tw_s3_op *ops = n ? calloc(n, sizeof *ops) : NULL;
        if (n && !ops) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        for (size_t i = 0; i < n; i++) ops[i] = (tw_s3_op){.kind = TW_S3_OP_DELETE, .key = keys[i]};
        int rc = tw_s3_batch(s, ops, n, err);
        free(ops);
        return rc;
    }
    tw_buf body = {0}, out = {0};
    int rc = TWILL_OK;
    for (size_t at = 0; at < n && !rc; at += DELETE_BATCH) {
        size_t k = n - at < DELETE_BATCH ? n - at : DELETE_BATCH;
        char md5[32], md5h[64];
        if (tw_s3_encode_delete(&body, keys + at, k)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            break;
        }
        if (content_md5(body.p, body.len, md5)) {
            rc = tw_err_set(err, TWILL_IOERR, NULL, "MD5 of the DeleteObjects body failed");
            break;
        }
        snprintf(md5h, sizeof md5h, "Content-MD5: %s", md5);
        request r = {.op = "DELETE OBJECTS",
                     .method = "POST",
                     .key = NULL,
                     .query = "delete=",
                     .body = body.p,
                     .body_len = body.len,
                     .extra = {md5h, "Content-Type: application/xml"},
                     .out = &out};
        tw_s3_result res;
        if ((rc = run(s, &r, &res, err))) break;
        if (res.status != 200) {
            rc = tw_err_set(err, TWILL_IOERR, NULL,
                            "object store DeleteObjects in %s at %s failed: HTTP %ld", s->bucket,
                            s->endpoint, res.status);
            break;
        }
        xml_ctx x = {0};
        if ((rc = xml_parse(&x, out.p, out.len, err))) break;
        if (x.del_errors)
            rc = tw_err_set(err, TWILL_IOERR, NULL,
                            "object store DeleteObjects in %s: %d of %zu keys not deleted (first: "
                            "%s, %s)",
                            s->bucket, x.del_errors, k, x.del_key, x.del_code);
    }
    tw_buf_free(&body);
    tw_buf_free(&out);
    return rc;
}

int tw_s3_put(tw_s3 *s, const char *key, const void *data, size_t len, int flags, tw_s3_result *res,
              tw_err *err) {
    request r = {
        .op = "PUT", .method = "PUT", .key = key, .query = "", .body = data, .body_len = len};
    if (flags & TW_S3_IF_NONE_MATCH) r.extra[0] = tw_s3_create_only_header(s);
    return run(s, &r, res, err);
}

int tw_s3_get(tw_s3 *s, const char *key, uint64_t off, uint64_t len, tw_buf *out, tw_s3_result *res,
              tw_err *err) {
    char range[80];
    request r = {.op = "GET", .method = "GET", .key = key, .query = "", .out = out};
    if (len) {
        snprintf(range, sizeof range, "Range: bytes=%llu-%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1));
        r.extra[0] = range;
    }
    return run(s, &r, res, err);
}

int tw_s3_head(tw_s3 *s, const char *key, tw_s3_result *res, tw_err *err) {
    request r = {.op = "HEAD", .method = "HEAD", .key = key, .query = "", .head = 1};
    return run(s, &r, res, err);
}

int tw_s3_delete(tw_s3 *s, const char *key, tw_s3_result *res, tw_err *err) {
    request r = {.op = "DELETE", .method = "DELETE", .key = key, .query = ""};
    return run(s, &r, res, err);
}

int tw_s3_create_bucket(tw_s3 *s, tw_err *err) {
    request r = {.op = "CREATE BUCKET", .method = "PUT", .key = NULL, .query = ""};
    tw_s3_result res;
    tw_err e;
    tw_err_clear(&e);
    int rc = run(s, &r, &res, &e);
    if (rc && res.status == 409) return TWILL_OK; /* BucketAlreadyOwnedByYou / Exists */
    if (rc) tw_err_copy(err, &e);
    return rc;
}

int tw_s3_list(tw_s3 *s, const char *prefix, const char *start_after, tw_s3_list_fn fn, void *arg,
               tw_err *err) {
    tw_buf token = {0}, q = {0}, body = {0};
    int rc = TWILL_OK;
    for (;;) {
        /* parameters in sorted order, as the canonical query string needs them */
        tw_buf_reset(&q);
        int bad = 0;
        if (token.len)
            bad = tw_buf_append(&q, "continuation-token=", 19) ||
                  tw_uri_encode(&q, (const char *)token.p, token.len, 0) || tw_buf_put_u8(&q, '&');
        bad = bad || tw_buf_append(&q, "list-type=2&prefix=", 19) ||
              tw_uri_encode(&q, prefix, strlen(prefix), 0);
        if (start_after && !token.len)
            bad = bad || tw_buf_append(&q, "&start-after=", 13) ||
                  tw_uri_encode(&q, start_after, strlen(start_after), 0);
        bad = bad || tw_buf_put_u8(&q, 0);
        if (bad) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            break;
        }
        request r = {
            .op = "LIST", .method = "GET", .key = NULL, .query = (const char *)q.p, .out = &body};
        tw_s3_result res;
        if ((rc = run(s, &r, &res, err))) break;
        if (res.status == 404) {
            rc = tw_err_set(err, TWILL_IOERR, "58P01", "bucket \"%s\" does not exist at %s",
                            s->bucket, s->endpoint);
            break;
        }
        int truncated = 0;
        rc = tw_s3_parse_list(body.p, body.len, fn, arg, &truncated, &token, err);
        if (rc || !truncated) break;
        if (!token.len) {
            rc = tw_err_set(err, TWILL_IOERR, NULL,
                            "object store listing of %s/%s is truncated without a continuation "
                            "token",
                            s->bucket, prefix);
            break;
        }
    }
    tw_buf_free(&token), tw_buf_free(&q), tw_buf_free(&body);
    return rc;
}
