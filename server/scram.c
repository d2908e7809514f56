/*
 * scram.c — SCRAM-SHA-256 server exchange over OpenSSL's libcrypto (see scram.h).
 */
#include "scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static int hmac(const uint8_t *key, size_t klen, const void *msg, size_t n, uint8_t out[32]) {
    unsigned int olen = 32;
    return HMAC(EVP_sha256(), key, (int)klen, msg, n, out, &olen) && olen == 32 ? 0 : -1;
}

static void b64(const uint8_t *p, size_t n, char *out) {
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* Decodes standard base64 into out[0..cap); returns the byte count or -1. */
static int unb64(const char *s, size_t n, uint8_t *out, size_t cap) {
    if (n == 0 || n % 4 || n / 4 * 3 > cap) return -1;
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0) return -1;
    if (s[n - 1] == '=') len--;
    if (s[n - 2] == '=') len--;
    return len;
}

int tws_scram_secret_make(const char *password, tws_scram_secret *out) {
    uint8_t salted[32], client_key[32];
    out->iterations = TWS_SCRAM_ITERATIONS;
    if (RAND_bytes(out->salt, sizeof out->salt) != 1) return -1;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), out->salt, sizeof out->salt,
                          out->iterations, EVP_sha256(), 32, salted) != 1)
        return -1;
    if (hmac(salted, 32, "Client Key", 10, client_key) ||
        hmac(salted, 32, "Server Key", 10, out->server_key))
        return -1;
    SHA256(client_key, 32, out->stored_key);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    return 0;
}

int tws_scram_check_password(const tws_scram_secret *secret, const char *password) {
    uint8_t salted[32], client_key[32], stored[32];
    int ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), secret->salt, sizeof secret->salt,
                               secret->iterations, EVP_sha256(), 32, salted) == 1 &&
             !hmac(salted, 32, "Client Key", 10, client_key);
    if (ok) {
        SHA256(client_key, 32, stored);
        ok = CRYPTO_memcmp(stored, secret->stored_key, 32) == 0;
    }
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    return ok ? 0 : -1;
}

/* Finds attribute `a=` at the start of s or after a comma; returns its value and length. */
static const char *attr(const char *s, size_t n, char a, size_t *vlen) {
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ',') j++;
        if (j - i >= 2 && s[i] == a && s[i + 1] == '=') {
            *vlen = j - i - 2;
            return s + i + 2;
        }
        i = j + 1;
    }
    return NULL;
}

int tws_scram_first(tws_scram *x, const tws_scram_secret *secret, const char *data, size_t n,
                    char *out, size_t cap) {
    memset(x, 0, sizeof *x);
    x->secret = secret;
    if (memchr(data, 0, n)) return -1;
    /* gs2-header: "n,," (no channel binding) or "y,," (client could but thinks we can't). */
    if (n < 3 || (data[0] != 'n' && data[0] != 'y') || data[1] != ',') return -1;
    const char *comma = memchr(data + 2, ',', n - 2);
    if (!comma) return -1;
    const char *bare = comma + 1;
    size_t blen = n - (size_t)(bare - data);
    if (blen >= sizeof x->client_first_bare) return -1;
    memcpy(x->client_first_bare, bare, blen);
    size_t clen;
    const char *cnonce = attr(bare, blen, 'r', &clen);
    if (!cnonce || clen == 0 || clen > 100) return -1;
    for (size_t i = 0; i < clen; i++)
        if (cnonce[i] < 0x21 || cnonce[i] > 0x7e || cnonce[i] == ',') return -1;
    uint8_t raw[18];
    if (RAND_bytes(raw, sizeof raw) != 1) return -1;
    char snonce[32];
    b64(raw, sizeof raw, snonce);
    snprintf(x->nonce, sizeof x->nonce, "%.*s%s", (int)clen, cnonce, snonce);
    char salt[32];
    b64(secret->salt, sizeof secret->salt, salt);
    int w = snprintf(x->server_first, sizeof x->server_first, "r=%s,s=%s,i=%d", x->nonce, salt,
                     secret->iterations);
    if (w < 0 || (size_t)w >= sizeof x->server_first || (size_t)w >= cap) return -1;
    memcpy(out, x->server_first, (size_t)w + 1);
    return 0;
}

int tws_scram_final(tws_scram *x, const char *data, size_t n, char *out, size_t cap) {
    if (memchr(data, 0, n)) return -1;
    /* client-final-message-without-proof is everything before ",p=". */
    const char *p = NULL;
    for (size_t i = 0; i + 3 <= n; i++)
        if (!memcmp(data + i, ",p=", 3)) p = data + i;
    if (!p) return -1;
    size_t wlen = (size_t)(p - data);
    size_t vlen;
    const char *cb = attr(data, wlen, 'c', &vlen);
    /* "biws" and "eSws" are base64 of "n,," and "y,,": no channel binding data. */
    if (!cb || vlen != 4 || (memcmp(cb, "biws", 4) && memcmp(cb, "eSws", 4))) return -1;
    const char *r = attr(data, wlen, 'r', &vlen);
    if (!r || vlen != strlen(x->nonce) || memcmp(r, x->nonce, vlen)) return -1;
    uint8_t proof[36];
    if (unb64(p + 3, n - wlen - 3, proof, sizeof proof) != 32) return -1;
    char auth[1600];
    int alen = snprintf(auth, sizeof auth, "%s,%s,%.*s", x->client_first_bare, x->server_first,
                        (int)wlen, data);
    if (alen < 0 || (size_t)alen >= sizeof auth) return -1;
    uint8_t sig[32], client_key[32], stored[32];
    if (hmac(x->secret->stored_key, 32, auth, (size_t)alen, sig)) return -1;
    for (int i = 0; i < 32; i++) client_key[i] = proof[i] ^ sig[i];
    SHA256(client_key, 32, stored);
    if (CRYPTO_memcmp(stored, x->secret->stored_key, 32) != 0) return -1;
    uint8_t ssig[32];
    if (hmac(x->secret->server_key, 32, auth, (size_t)alen, ssig)) return -1;
    char s64[48];
    b64(ssig, 32, s64);
    int w = snprintf(out, cap, "v=%s", s64);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}
