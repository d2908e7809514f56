/*
 * sigv4.c — AWS Signature Version 4. See sigv4.h.
 */
#include "storage/object/sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) out[2 * i] = HEX[d[i] >> 4], out[2 * i + 1] = HEX[d[i] & 15];
    out[2 * n] = '\0';
}

int tw_sha256_hex(const void *data, size_t n, char out[TW_SHA256_HEX]) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof md)
        return TWILL_ERROR;
    to_hex(md, sizeof md, out);
    return TWILL_OK;
}

int tw_uri_encode(tw_buf *out, const char *s, size_t n, int keep_slash) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep =
            isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
        if (keep) {
            if (tw_buf_put_u8(out, c)) return TWILL_NOMEM;
        } else {
            static const char UHEX[] = "0123456789ABCDEF";
            char esc[3] = {'%', UHEX[c >> 4], UHEX[c & 15]};
            if (tw_buf_append(out, esc, 3)) return TWILL_NOMEM;
        }
    }
    return TWILL_OK;
}

static int hmac(const void *key, size_t klen, const char *msg, size_t mlen,
                unsigned char out[SHA256_DIGEST_LENGTH]) {
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &len) ||
        len != SHA256_DIGEST_LENGTH)
        return TWILL_ERROR;
    return TWILL_OK;
}

typedef struct sorted_header {
    char name[64];
    const char *value;
} sorted_header;

static int cmp_header(const void *a, const void *b) {
    return strcmp(((const sorted_header *)a)->name, ((const sorted_header *)b)->name);
}

/* Appends a header value trimmed, with inner runs of spaces collapsed to one. */
static int put_trimmed(tw_buf *b, const char *v) {
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    for (size_t i = 0; i < n; i++) {
        int sp = v[i] == ' ' || v[i] == '\t';
        if (sp && i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t')) continue;
        if (tw_buf_put_u8(b, sp ? ' ' : (uint8_t)v[i])) return TWILL_NOMEM;
    }
    return TWILL_OK;
}

#define PUT(b, s) tw_buf_append((b), (s), strlen(s))

int tw_sigv4_authorization(const tw_sigv4_req *r, tw_buf *out, tw_err *err) {
    if (!r->method || !r->canonical_uri || !r->canonical_query || !r->payload_sha256 ||
        !r->amz_date || strlen(r->amz_date) != 16 || !r->region || !r->service || !r->access_key ||
        !r->secret_key)
        return tw_err_set(err, TWILL_MISUSE, NULL, "sigv4: incomplete request description");
    if (r->nheaders > TW_SIGV4_MAX_HEADERS)
        return tw_err_set(err, TWILL_MISUSE, NULL, "sigv4: more than %d headers to sign",
                          TW_SIGV4_MAX_HEADERS);
    sorted_header hs[TW_SIGV4_MAX_HEADERS];
    for (size_t i = 0; i < r->nheaders; i++) {
        size_t n = strlen(r->headers[i].name);
        if (n == 0 || n >= sizeof hs[i].name)
            return tw_err_set(err, TWILL_MISUSE, NULL, "sigv4: bad header name \"%s\"",
                              r->headers[i].name);
        for (size_t j = 0; j <= n; j++)
            hs[i].name[j] = (char)tolower((unsigned char)r->headers[i].name[j]);
        hs[i].value = r->headers[i].value;
    }
    qsort(hs, r->nheaders, sizeof *hs, cmp_header);

    char date[9];
    memcpy(date, r->amz_date, 8);
    date[8] = '\0';
    tw_buf creq = {0}, signed_names = {0}, sts = {0};
    int rc = TWILL_NOMEM;
    for (size_t i = 0; i < r->nheaders; i++)
        if ((i && tw_buf_put_u8(&signed_names, ';')) || PUT(&signed_names, hs[i].name)) goto out;
    if (tw_buf_put_u8(&signed_names, 0)) goto out;

    /* canonical request: method, uri, query, "name:value\n" lines, blank, names, hash */
    if (PUT(&creq, r->method) || tw_buf_put_u8(&creq, '\n') || PUT(&creq, r->canonical_uri) ||
        tw_buf_put_u8(&creq, '\n') || PUT(&creq, r->canonical_query) || tw_buf_put_u8(&creq, '\n'))
        goto out;
    for (size_t i = 0; i < r->nheaders; i++)
        if (PUT(&creq, hs[i].name) || tw_buf_put_u8(&creq, ':') ||
            put_trimmed(&creq, hs[i].value) || tw_buf_put_u8(&creq, '\n'))
            goto out;
    if (tw_buf_put_u8(&creq, '\n') || PUT(&creq, (char *)signed_names.p) ||
        tw_buf_put_u8(&creq, '\n') || PUT(&creq, r->payload_sha256))
        goto out;

    char creq_hash[TW_SHA256_HEX];
    if (tw_sha256_hex(creq.p, creq.len, creq_hash)) {
        rc = tw_err_set(err, TWILL_ERROR, NULL, "sigv4: SHA-256 failed in libcrypto");
        goto out;
    }
    char scope[160];
    if (snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, r->region, r->service) >=
        (int)sizeof scope) {
        rc = tw_err_set(err, TWILL_MISUSE, NULL, "sigv4: region or service name too long");
        goto out;
    }
    if (PUT(&sts, "AWS4-HMAC-SHA256\n") || PUT(&sts, r->amz_date) || tw_buf_put_u8(&sts, '\n') ||
        PUT(&sts, scope) || tw_buf_put_u8(&sts, '\n') || PUT(&sts, creq_hash))
        goto out;

    /* signing key = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request" */
    unsigned char k[SHA256_DIGEST_LENGTH], sig[SHA256_DIGEST_LENGTH];
    size_t slen = strlen(r->secret_key);
    char *k0 = malloc(slen + 5);
    if (!k0) goto out;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, r->secret_key, slen + 1);
    int bad = hmac(k0, slen + 4, date, 8, k) ||
              hmac(k, sizeof k, r->region, strlen(r->region), k) ||
              hmac(k, sizeof k, r->service, strlen(r->service), k) ||
              hmac(k, sizeof k, "aws4_request", 12, k) ||
              hmac(k, sizeof k, (const char *)sts.p, sts.len, sig);
    free(k0);
    if (bad) {
        rc = tw_err_set(err, TWILL_ERROR, NULL, "sigv4: HMAC-SHA256 failed in libcrypto");
        goto out;
    }
    char sighex[2 * SHA256_DIGEST_LENGTH + 1];
    to_hex(sig, sizeof sig, sighex);
    tw_buf_reset(out);
    if (PUT(out, "AWS4-HMAC-SHA256 Credential=") || PUT(out, r->access_key) ||
        tw_buf_put_u8(out, '/') || PUT(out, scope) || PUT(out, ",SignedHeaders=") ||
        PUT(out, (char *)signed_names.p) || PUT(out, ",Signature=") || PUT(out, sighex) ||
        tw_buf_put_u8(out, 0))
        goto out;
    out->len--; /* the NUL terminates, it is not content */
    rc = TWILL_OK;
out:
    if (rc == TWILL_NOMEM) tw_err_set(err, TWILL_NOMEM, NULL, "sigv4: out of memory");
    tw_buf_free(&creq);
    tw_buf_free(&signed_names);
    tw_buf_free(&sts);
    return rc;
}
