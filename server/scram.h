/*
 * scram.h — the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses
 * it in its SASL authentication exchange, without channel binding.
 *
 * Contract: a tws_scram_secret is derived once from the configured password (random
 * salt, 4096 iterations) and holds only StoredKey and ServerKey, never the password.
 * One tws_scram exchange per connection: feed it the client-first message, send what
 * it returns, feed it the client-final message; it verifies the proof in constant time
 * and produces the server-final message. Every malformed input is a failure, never a
 * crash or an out-of-bounds read. The user name inside the client message is ignored,
 * as PostgreSQL does (the startup packet's user is authoritative).
 */
#ifndef TWS_SCRAM_H
#define TWS_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#define TWS_SCRAM_ITERATIONS 4096

typedef struct tws_scram_secret {
    uint8_t salt[16];
    int iterations;
    uint8_t stored_key[32];
    uint8_t server_key[32];
} tws_scram_secret;

/* 0, or -1 if the crypto library fails. */
int tws_scram_secret_make(const char *password, tws_scram_secret *out);

typedef struct tws_scram {
    const tws_scram_secret *secret;
    char client_first_bare[512];
    char server_first[512];
    char nonce[160]; /* client nonce + server nonce */
} tws_scram;

/* Handles client-first-message data[0..n); writes server-first-message (NUL-terminated)
 * into out. 0, or -1 for a malformed message or one asking for channel binding. */
int tws_scram_first(tws_scram *x, const tws_scram_secret *secret, const char *data, size_t n,
                    char *out, size_t cap);
/* Handles client-final-message; on a correct proof writes server-final-message into out
 * and returns 0. -1 for a malformed message or a wrong password. */
int tws_scram_final(tws_scram *x, const char *data, size_t n, char *out, size_t cap);

/* Checks a cleartext password (AuthenticationCleartextPassword, over TLS only)
 * against the secret by deriving its StoredKey: 0 if it matches, -1 otherwise. */
int tws_scram_check_password(const tws_scram_secret *secret, const char *password);

#endif
