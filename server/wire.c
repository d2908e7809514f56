/*
 * wire.c — protocol v3 framing over a socket (see wire.h).
 */
#include "wire.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RBUF_SIZE 65536
#define WFLUSH_AT 65536

void tws_io_init(tws_io *io, int fd, int stop_fd) {
    memset(io, 0, sizeof *io);
    io->fd = fd;
    io->stop_fd = stop_fd;
}

void tws_io_free(tws_io *io) {
    free(io->rbuf);
    free(io->msg);
    free(io->wbuf);
    io->rbuf = io->msg = io->wbuf = NULL;
}

int tws_io_pending(const tws_io *io) {
    return io->rpos < io->rlen;
}

/* Waits until the socket is readable. */
static int wait_input(tws_io *io, int timeout_ms) {
    struct pollfd pf[2] = {{.fd = io->fd, .events = POLLIN}, {.fd = io->stop_fd, .events = POLLIN}};
    int n = io->stop_fd >= 0 ? 2 : 1;
    for (;;) {
        int r = poll(pf, (nfds_t)n, timeout_ms);
        if (r < 0) {
            if (errno == EINTR) continue;
            return TWS_IO_ERR;
        }
        if (r == 0) return TWS_IO_TIMEOUT;
        if (n == 2 && (pf[1].revents & POLLIN)) return TWS_IO_STOP;
        return TWS_IO_OK;
    }
}

/* Makes at least one more byte available in rbuf. */
static int fill(tws_io *io, int timeout_ms) {
    if (!io->rbuf) {
        io->rbuf = malloc(RBUF_SIZE);
        if (!io->rbuf) return TWS_IO_ERR;
        io->rcap = RBUF_SIZE;
    }
    if (io->rpos == io->rlen) io->rpos = io->rlen = 0;
    for (;;) {
        /* Bytes OpenSSL already decrypted do not show on the socket. */
        if (!io->tls || SSL_pending(io->tls) <= 0) {
            int rc = wait_input(io, timeout_ms);
            if (rc) return rc;
        }
        if (io->tls) {
            int got = SSL_read(io->tls, io->rbuf + io->rlen, (int)(io->rcap - io->rlen));
            if (got > 0) {
                io->rlen += (size_t)got;
                return TWS_IO_OK;
            }
            int e = SSL_get_error(io->tls, got);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
            ERR_clear_error();
            /* close_notify, a reset or a TLS failure: the client is gone either way. */
            return TWS_IO_EOF;
        }
        ssize_t got = recv(io->fd, io->rbuf + io->rlen, io->rcap - io->rlen, 0);
        if (got > 0) {
            io->rlen += (size_t)got;
            return TWS_IO_OK;
        }
        if (got == 0) return TWS_IO_EOF;
        if (errno == EINTR || errno == EAGAIN) continue;
        return errno == ECONNRESET ? TWS_IO_EOF : TWS_IO_ERR;
    }
}

/* Copies n bytes of input into dst. */
static int take(tws_io *io, uint8_t *dst, size_t n, int timeout_ms) {
    while (n) {
        if (io->rpos == io->rlen) {
            int rc = fill(io, timeout_ms);
            if (rc) return rc;
        }
        size_t k = io->rlen - io->rpos;
        if (k > n) k = n;
        memcpy(dst, io->rbuf + io->rpos, k);
        io->rpos += k;
        dst += k;
        n -= k;
    }
    return TWS_IO_OK;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int tws_io_read(tws_io *io, int typed, char *type, uint32_t cap, int timeout_ms) {
    uint8_t hdr[5];
    int inner = timeout_ms < 0 ? 60000 : timeout_ms;
    size_t hlen = typed ? 5 : 4;
    int rc = take(io, hdr, 1, timeout_ms);
    if (rc) return rc;
    /* Inside a message a stall is a dead client, not an idle one. */
    rc = take(io, hdr + 1, hlen - 1, inner);
    if (rc) return rc == TWS_IO_TIMEOUT ? TWS_IO_EOF : rc;
    if (typed) *type = (char)hdr[0];
    uint32_t len = be32(hdr + hlen - 4);
    if (len < 4 || len > cap) return TWS_IO_BADLEN;
    size_t need = len - 4;
    io->msglen = 0;
    /* Grow with what arrives, never to the announced size up front. */
    while (io->msglen < need) {
        size_t chunk = need - io->msglen;
        if (chunk > RBUF_SIZE) chunk = RBUF_SIZE;
        if (io->msglen + chunk > io->msgcap) {
            size_t nc = io->msgcap ? io->msgcap : 256;
            while (nc < io->msglen + chunk) nc *= 2;
            uint8_t *m = realloc(io->msg, nc);
            if (!m) return TWS_IO_ERR;
            io->msg = m;
            io->msgcap = nc;
        }
        rc = take(io, io->msg + io->msglen, chunk, inner);
        if (rc) return rc == TWS_IO_TIMEOUT ? TWS_IO_EOF : rc;
        io->msglen += chunk;
    }
    return TWS_IO_OK;
}

/* ---- writing ---- */

static int wreserve(tws_io *io, size_t n) {
    if (io->nomem) return -1;
    if (io->wlen + n <= io->wcap) return 0;
    size_t nc = io->wcap ? io->wcap : 8192;
    while (nc < io->wlen + n) nc *= 2;
    uint8_t *p = realloc(io->wbuf, nc);
    if (!p) {
        io->nomem = 1;
        return -1;
    }
    io->wbuf = p;
    io->wcap = nc;
    return 0;
}

void tws_w_raw(tws_io *io, const void *p, size_t n) {
    if (!n || wreserve(io, n)) return;
    memcpy(io->wbuf + io->wlen, p, n);
    io->wlen += n;
}

void tws_w_begin(tws_io *io, char type) {
    io->wstart = io->wlen;
    uint8_t h[5] = {(uint8_t)type, 0, 0, 0, 0};
    tws_w_raw(io, h, 5);
}

void tws_w_u8(tws_io *io, uint8_t v) {
    tws_w_raw(io, &v, 1);
}

void tws_w_i16(tws_io *io, int16_t v) {
    uint16_t u = (uint16_t)v;
    uint8_t b[2] = {(uint8_t)(u >> 8), (uint8_t)u};
    tws_w_raw(io, b, 2);
}

void tws_w_i32(tws_io *io, int32_t v) {
    uint32_t u = (uint32_t)v;
    uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    tws_w_raw(io, b, 4);
}

void tws_w_bytes(tws_io *io, const void *p, size_t n) {
    tws_w_raw(io, p, n);
}

void tws_w_str(tws_io *io, const char *s) {
    tws_w_raw(io, s, strlen(s) + 1);
}

size_t tws_w_mark(const tws_io *io) {
    return io->wlen;
}

void tws_w_patch_i32(tws_io *io, size_t at, int32_t v) {
    if (io->nomem || at + 4 > io->wlen) return;
    uint32_t u = (uint32_t)v;
    io->wbuf[at] = (uint8_t)(u >> 24);
    io->wbuf[at + 1] = (uint8_t)(u >> 16);
    io->wbuf[at + 2] = (uint8_t)(u >> 8);
    io->wbuf[at + 3] = (uint8_t)u;
}

void tws_w_end(tws_io *io) {
    if (io->nomem) return;
    size_t len = io->wlen - io->wstart - 1;
    if (len > TWS_MAX_MESSAGE) {
        /* Never emit a frame the client must refuse; end the connection instead. */
        io->nomem = 1;
        return;
    }
    tws_w_patch_i32(io, io->wstart + 1, (int32_t)len);
}

int tws_io_flush(tws_io *io) {
    if (io->nomem) io->dead = 1;
    size_t off = 0;
    while (!io->dead && off < io->wlen) {
        if (io->tls) {
            size_t chunk = io->wlen - off > INT_MAX ? INT_MAX : io->wlen - off;
            int w = SSL_write(io->tls, io->wbuf + off, (int)chunk);
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            int e = SSL_get_error(io->tls, w);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
            ERR_clear_error();
            io->dead = 1;
            break;
        }
        ssize_t w = send(io->fd, io->wbuf + off, io->wlen - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        } else {
            io->dead = 1;
        }
    }
    io->wlen = io->wstart = 0;
    return io->dead ? -1 : 0;
}

int tws_io_maybe_flush(tws_io *io) {
    return io->wlen >= WFLUSH_AT ? tws_io_flush(io) : (io->dead || io->nomem ? -1 : 0);
}

/* ---- reading fields ---- */

void tws_rd_init(tws_rd *r, const void *p, size_t n) {
    r->p = p;
    r->n = n;
    r->pos = 0;
    r->bad = 0;
}

const uint8_t *tws_rd_bytes(tws_rd *r, size_t n) {
    if (r->bad || n > r->n - r->pos) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t tws_rd_u8(tws_rd *r) {
    const uint8_t *p = tws_rd_bytes(r, 1);
    return p ? p[0] : 0;
}

int16_t tws_rd_i16(tws_rd *r) {
    const uint8_t *p = tws_rd_bytes(r, 2);
    return p ? (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]) : 0;
}

int32_t tws_rd_i32(tws_rd *r) {
    const uint8_t *p = tws_rd_bytes(r, 4);
    return p ? (int32_t)be32(p) : 0;
}

const char *tws_rd_str(tws_rd *r) {
    if (r->bad || r->pos >= r->n) {
        r->bad = 1;
        return "";
    }
    const uint8_t *s = r->p + r->pos;
    const uint8_t *z = memchr(s, 0, r->n - r->pos);
    if (!z) {
        r->bad = 1;
        return "";
    }
    r->pos += (size_t)(z - s) + 1;
    return (const char *)s;
}

int tws_rd_done(const tws_rd *r) {
    return !r->bad && r->pos == r->n;
}
