/*
 * tls.h — TLS for client connections (OpenSSL): the server context loaded from
 * --tls-cert / --tls-key at start-up, and the handshake after an SSLRequest.
 *
 * Contract: tws_tls_ctx_new fails (NULL, message on stderr) when the certificate or
 * key cannot be loaded or do not match, so a misconfigured server never starts.
 * tws_tls_accept runs the handshake on the connection's socket within timeout_ms and
 * returns the session object that wire.c then reads and writes through; the socket
 * stays blocking (shutdown unblocks stuck reads by shutting the socket down).
 */
#ifndef TWS_TLS_H
#define TWS_TLS_H

#include <stddef.h>

/* An SSL_CTX for servers (TLS 1.2 or later), or NULL. */
void *tws_tls_ctx_new(const char *cert_file, const char *key_file);
void tws_tls_ctx_free(void *ctx);
/* The handshake on fd: an SSL object, or NULL (reason in err). */
void *tws_tls_accept(void *ctx, int fd, int timeout_ms, char *err, size_t cap);
/* Sends close_notify (best effort) and frees the session. */
void tws_tls_close(void *ssl);

#endif
