/*
 * object.h — the object-storage backend (s3://bucket/prefix): internal interface.
 *
 * The design (object layout, commit protocol, fencing, manifest CAS) is recorded in
 * docs/storage-object.md. The constructor is tw_object_open in storage/storage.h; this
 * header adds what tests and tools need beyond the seam.
 */
#ifndef TW_OBJECT_H
#define TW_OBJECT_H

#include "storage/object/s3_client.h"
#include "storage/storage.h"

/* Which service a URL names: s3:// (AWS or any S3-compatible store), r2:// (Cloudflare
 * R2), gs:// (Google Cloud Storage through its XML API with HMAC keys). */
enum { TW_OBJ_S3 = 0, TW_OBJ_R2 = 1, TW_OBJ_GCS = 2 };

/* Where and how to reach a database, from the URL plus the environment. */
typedef struct tw_object_url {
    int provider;   /* TW_OBJ_* */
    char scheme[4]; /* "s3", "r2", "gs" */
    char bucket[64];
    char prefix[512]; /* key prefix, "" or ending in '/' */
    char endpoint[512];
    char region[64];
    int virtual_hosted;
    /* the local cache: cache_dir is this database's own directory ("" : no cache) */
    char cache_dir[640];
    uint64_t cache_size; /* bytes */
    long timeout_ms;     /* per request attempt; 0: the client's default (30 s) */
} tw_object_url;

#define TW_OBJ_CACHE_SIZE_DEFAULT (1024ull << 20) /* 1 GiB */

/* Parses "bucket[/prefix][?endpoint=URL&region=R&addressing=path|virtual]" (what follows
 * "s3://"). Query parameters win over AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and
 * AWS_REGION / AWS_DEFAULT_REGION; the default is AWS itself in us-east-1. Addressing
 * defaults to virtual-hosted for AWS and path-style for any other endpoint (an IP
 * address has no bucket subdomains). Fails with TWILL_MISUSE naming the bad part. */
int tw_object_parse_url(const char *rest, tw_object_url *out, tw_err *err);
/* ?timeout_ms=N (else TWILL_S3_TIMEOUT_MS) bounds each request attempt (5 attempts). */
/* The same for any scheme ("s3", "r2", "gs"; case-insensitive). r2: the endpoint is
 * https://ACCOUNT.r2.cloudflarestorage.com (ACCOUNT from ?account= or R2_ACCOUNT_ID; a
 * missing one is an error naming both), region "auto". gs: https://storage.googleapis.com,
 * region "auto". ?endpoint= and ?region= win for every scheme; AWS_ENDPOINT_URL and
 * AWS_REGION apply to s3:// only. All schemes take ?cache=DIR|off and ?cache_size=N[KMG]
 * (else TWILL_CACHE_DIR / TWILL_CACHE_SIZE; default $XDG_CACHE_HOME/twill or
 * /tmp/twill-cache-UID, 1 GiB), the database's cache being a subdirectory named by a
 * hash of endpoint, bucket and prefix. */
int tw_object_parse_scheme_url(const char *scheme, const char *rest, tw_object_url *out,
                               tw_err *err);

/* The credentials for u: GOOGLE_ACCESS_KEY_ID / GOOGLE_SECRET_ACCESS_KEY (gs:// only, else
 * the AWS variables) or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; AWS_SESSION_TOKEN is
 * optional. TWILL_MISUSE naming the missing variables when there are none. */
int tw_object_credentials(const tw_object_url *u, const char **access, const char **secret,
                          const char **token, tw_err *err);

/* Opens any of the schemes above (tw_object_open is the s3:// case). */
int tw_object_open_scheme(const char *scheme, const char *rest, const tw_storage_opts *opts,
                          tw_storage **out, tw_err *err);

#define TW_OBJ_COMPACT_LAYERS 8 /* compact once a manifest lists this many checkpoints */

/* Merges all layers into one now and deletes what nothing needs any more (normally a
 * background thread does this once a manifest lists TW_OBJ_COMPACT_LAYERS checkpoints). Needs
 * the lease. */
int tw_object_compact(tw_storage *st, tw_err *err);

/* Object-store requests this handle has sent so far (st must be an "s3" handle). */
void tw_object_stats(tw_storage *st, tw_s3_stats *out);

#endif
