/*
 * tls.c — OpenSSL server contexts and handshakes (see tls.h).
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>

static void errstr(char *out, size_t cap) {
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, out, cap);
    else
        snprintf(out, cap, "unknown TLS error");
    ERR_clear_error();
}

void *tws_tls_ctx_new(const char *cert_file, const char *key_file) {
    char err[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        errstr(err, sizeof err);
        fprintf(stderr, "twill-server: cannot create a TLS context: %s\n", err);
        return NULL;
    }
    /* PostgreSQL's default floor (ssl_min_protocol_version) is TLS 1.2. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No renegotiation or session tickets to keep per-connection state bounded. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        errstr(err, sizeof err);
        fprintf(stderr, "twill-server: cannot load certificate %s: %s\n", cert_file, err);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        errstr(err, sizeof err);
        fprintf(stderr, "twill-server: cannot load private key %s: %s\n", key_file, err);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void tws_tls_ctx_free(void *ctx) {
    SSL_CTX_free(ctx);
}

static void set_timeout(int fd, int ms) {
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void *tws_tls_accept(void *ctx, int fd, int timeout_ms, char *err, size_t cap) {
    SSL *ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        errstr(err, cap);
        SSL_free(ssl);
        return NULL;
    }
    /* The handshake is bounded like the rest of startup; a client that stalls in it
     * is dropped. Afterwards reads are bounded by wire.c's poll, so the socket goes
     * back to no timeout. */
    set_timeout(fd, timeout_ms);
    int rc = SSL_accept(ssl);
    set_timeout(fd, 0);
    if (rc != 1) {
        errstr(err, cap);
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

void tws_tls_close(void *ssl) {
    if (!ssl) return;
    SSL_shutdown(ssl);
    SSL_free(ssl);
}
