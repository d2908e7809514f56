/*
 * s3_client.h — a small S3 client: the requests the object backend needs, nothing more.
 *
 * libcurl over HTTP(S), SigV4-signed (sigv4.h) with x-amz-content-sha256 on every
 * request, path-style (http://host/bucket/key) or virtual-hosted-style
 * (https://bucket.host/key) addressing. A client is thread-safe: each call borrows an
 * idle curl handle from a pool, so concurrent calls run in parallel and each handle keeps
 * its connections alive between calls (no TCP/TLS handshake per request).
 *
 * Results: a call returns TWILL_OK when S3 gave an answer — 2xx, and also 404 (no such
 * key) and 412 (precondition failed), which are answers the callers act on; res->status
 * says which. Everything else fails with TWILL_IOERR and a message naming the request,
 * the key, the HTTP status and S3's error code (403 mentions the credentials, a missing
 * bucket is named as such). Transport failures (connect, reset, timeout), 5xx and 429
 * are retried with jittered exponential backoff up to max_attempts; a retried
 * conditional PUT that then sees 412 may have been written by its own earlier attempt —
 * res->attempts > 1 tells the caller to check.
 */
#ifndef TW_OBJECT_S3_CLIENT_H
#define TW_OBJECT_S3_CLIENT_H

#include "util/buf.h"
#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tw_s3 tw_s3;

/* Which flavour of the S3 API the store speaks. GCS's XML API differs where it matters
 * here: "create if absent" is x-goog-if-generation-match: 0 and there is no
 * DeleteObjects (tw_s3_delete_many falls back to parallel DELETEs). */
enum { TW_S3_DIALECT_AWS = 0, TW_S3_DIALECT_GCS = 1 };

typedef struct tw_s3_config {
    const char *endpoint; /* "http://127.0.0.1:8000", "https://s3.eu-west-1.amazonaws.com" */
    const char *region;
    const char *bucket;
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL unless temporary credentials */
    int virtual_hosted;        /* nonzero: bucket.host addressing */
    int max_attempts;          /* 0: 5 */
    long timeout_ms;           /* per attempt; 0: 30000 */
    int dialect;               /* TW_S3_DIALECT_* */
} tw_s3_config;

/* Requests sent (each attempt counts), for cost accounting. */
typedef struct tw_s3_stats {
    uint64_t put, get, head, list, del, retries;
    uint64_t bytes_up, bytes_down;
} tw_s3_stats;

typedef struct tw_s3_result {
    long status;   /* HTTP status of the last attempt */
    int attempts;  /* 1 unless retried */
    uint64_t size; /* HEAD: the object's size */
} tw_s3_result;

/* Copies the configuration; no request is sent. */
int tw_s3_open(const tw_s3_config *cfg, tw_s3 **out, tw_err *err);
void tw_s3_close(tw_s3 *s3);
void tw_s3_get_stats(tw_s3 *s3, tw_s3_stats *out);
const char *tw_s3_bucket(const tw_s3 *s3);
const char *tw_s3_endpoint(const tw_s3 *s3);
const char *tw_s3_region(const tw_s3 *s3);
/* The header a create-only PUT carries: "If-None-Match: *", or for GCS
 * "x-goog-if-generation-match: 0". */
const char *tw_s3_create_only_header(const tw_s3 *s3);
/* Nonzero when the store has DeleteObjects (POST ?delete). */
int tw_s3_has_multi_delete(const tw_s3 *s3);

#define TW_S3_IF_NONE_MATCH 1 /* create only: 412 if the key exists */

int tw_s3_put(tw_s3 *s3, const char *key, const void *data, size_t len, int flags,
              tw_s3_result *res, tw_err *err);
/* Whole object (len == 0) or bytes [off, off + len). The body replaces `out`'s contents. */
int tw_s3_get(tw_s3 *s3, const char *key, uint64_t off, uint64_t len, tw_buf *out,
              tw_s3_result *res, tw_err *err);
int tw_s3_head(tw_s3 *s3, const char *key, tw_s3_result *res, tw_err *err);
/* 204 and 404 both mean the key is gone. */
int tw_s3_delete(tw_s3 *s3, const char *key, tw_s3_result *res, tw_err *err);
/* Creates the bucket (200, or 409 when it already exists: both TWILL_OK). */
int tw_s3_create_bucket(tw_s3 *s3, tw_err *err);

/* Several requests at once over the curl multi interface (up to 16 in flight, on kept-alive
 * connections); a request that needs a retry is retried on its own afterwards. Each op
 * gets its own rc and res; the call returns the first failure (err describes it). */
enum { TW_S3_OP_GET = 1, TW_S3_OP_PUT, TW_S3_OP_DELETE };
typedef struct tw_s3_op {
    int kind;
    const char *key;
    uint64_t off, len; /* GET: range (len 0: whole object) */
    tw_buf *out;       /* GET: the body */
    const void *data;  /* PUT */
    size_t data_len;   /* PUT */
    int flags;         /* PUT: TW_S3_IF_NONE_MATCH */
    tw_s3_result res;  /* out */
    int rc;            /* out */
} tw_s3_op;
int tw_s3_batch(tw_s3 *s3, tw_s3_op *ops, size_t n, tw_err *err);

/* Deletes keys with DeleteObjects (POST ?delete with Content-MD5, up to 1,000 keys per
 * request; missing keys count as deleted). Fails if any key was not deleted. */
int tw_s3_delete_many(tw_s3 *s3, const char *const *keys, size_t n, tw_err *err);
/* The DeleteObjects request body for keys (exposed for tests). */
int tw_s3_encode_delete(tw_buf *body, const char *const *keys, size_t n);

/* Called per key in lexicographic order; nonzero stops the listing and is returned. */
typedef int (*tw_s3_list_fn)(void *arg, const char *key, uint64_t size);
/* ListObjectsV2 of keys under `prefix` strictly after `start_after` (NULL: from the
 * start), following continuation tokens to the end. */
int tw_s3_list(tw_s3 *s3, const char *prefix, const char *start_after, tw_s3_list_fn fn, void *arg,
               tw_err *err);

/* Parses one ListObjectsV2 response body (exposed for tests). *truncated and `token`
 * (NextContinuationToken) tell whether and how to continue. */
int tw_s3_parse_list(const void *xml, size_t len, tw_s3_list_fn fn, void *arg, int *truncated,
                     tw_buf *token, tw_err *err);

#endif
