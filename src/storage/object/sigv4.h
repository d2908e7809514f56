/*
 * sigv4.h — AWS Signature Version 4 for S3 requests (header-based authorization).
 *
 * Pure computation (OpenSSL libcrypto), no I/O: the caller hands in the request's
 * canonical pieces and gets the Authorization header value back. Kept apart from the
 * HTTP client so it can be checked against AWS's published examples without a network.
 */
#ifndef TW_OBJECT_SIGV4_H
#define TW_OBJECT_SIGV4_H

#include "util/buf.h"
#include "util/error.h"

#include <stddef.h>

#define TW_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct tw_sigv4_header {
    const char *name;  /* any case; signed as lowercase */
    const char *value; /* trimmed and inner runs of spaces collapsed when signed */
} tw_sigv4_header;

typedef struct tw_sigv4_req {
    const char *method;             /* "GET", "PUT", ... */
    const char *canonical_uri;      /* the URI-encoded path exactly as sent, e.g. "/b/k%24x" */
    const char *canonical_query;    /* sorted, URI-encoded "a=1&b=2"; "" when none */
    const tw_sigv4_header *headers; /* every header to sign (must include host and
                                       x-amz-date); at most TW_SIGV4_MAX_HEADERS */
    size_t nheaders;
    const char *payload_sha256; /* hex SHA-256 of the body: also sent as x-amz-content-sha256 */
    const char *amz_date;       /* "YYYYMMDDTHHMMSSZ" (UTC), equal to the x-amz-date header */
    const char *region;
    const char *service; /* "s3" */
    const char *access_key;
    const char *secret_key;
} tw_sigv4_req;

#define TW_SIGV4_MAX_HEADERS 16

/* Writes the Authorization header value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=...,Signature=...") into `out`. Fails with TWILL_MISUSE on missing
 * fields or too many headers, TWILL_NOMEM, or TWILL_ERROR if libcrypto fails. */
int tw_sigv4_authorization(const tw_sigv4_req *r, tw_buf *out, tw_err *err);

/* Hex SHA-256 of `n` bytes. Returns TWILL_OK or TWILL_ERROR (libcrypto failed). */
int tw_sha256_hex(const void *data, size_t n, char out[TW_SHA256_HEX]);

/* Appends `s[0..n)` URI-encoded as SigV4 wants: unreserved characters (A-Z a-z 0-9 - . _
 * ~) stay, '/' stays when keep_slash, every other byte becomes %XX (uppercase hex). */
int tw_uri_encode(tw_buf *out, const char *s, size_t n, int keep_slash);

#endif
