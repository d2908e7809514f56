/*
 * wire.h — message framing of the PostgreSQL frontend/backend protocol v3 over one
 * socket: buffered reads of whole messages (type byte + int32 length), a bounds-checked
 * reader over a message's fields, and a buffered writer that builds outgoing messages.
 *
 * Contract:
 *  - A message's length field is checked before anything is allocated for it: below 4
 *    or above the cap (TWS_MAX_MESSAGE) is refused. The payload buffer grows only as
 *    bytes actually arrive, so a client announcing a huge message and sending nothing
 *    costs nothing.
 *  - Waiting for input also watches the server's stop descriptor, so a connection
 *    blocked on a quiet client notices shutdown at once.
 *  - Writes are buffered and sent on tws_io_flush (or when the buffer grows large); a
 *    failed send marks the connection dead and later writes are dropped, so callers
 *    check once, at flush. A blocked send stalls only the connection's own thread.
 *  - After a TLS handshake (tls set) every read and write goes through OpenSSL.
 *  - The reader never reads past a message: a truncated field sets `bad` and yields
 *    zeros/empty strings, and the caller turns `bad` into a protocol violation.
 */
#ifndef TWS_WIRE_H
#define TWS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* PostgreSQL refuses messages over 1 GiB too (MaxAllocSize). */
#define TWS_MAX_MESSAGE (1u << 30)
/* The startup packet is small; PostgreSQL caps it at 10000 bytes. */
#define TWS_MAX_STARTUP 10000u

enum {
    TWS_IO_OK = 0,
    TWS_IO_EOF,     /* the client closed the socket (between or inside messages) */
    TWS_IO_TIMEOUT, /* nothing arrived within the timeout */
    TWS_IO_STOP,    /* the server is shutting down */
    TWS_IO_ERR,     /* socket error or out of memory */
    TWS_IO_BADLEN,  /* the length field is below 4 or above the cap */
};

typedef struct tws_io {
    int fd;
    int stop_fd; /* becomes readable at shutdown; -1 for none */
    int dead;    /* a send failed: output is dropped */
    uint8_t *rbuf;
    size_t rlen, rpos, rcap;
    uint8_t *msg; /* payload of the last message read */
    size_t msglen, msgcap;
    uint8_t *wbuf;
    size_t wlen, wcap, wstart; /* wstart: offset of the message being built */
    int nomem;                 /* an append failed: the connection must end */
    void *tls;                 /* the OpenSSL session after SSLRequest, else NULL */
} tws_io;

void tws_io_init(tws_io *io, int fd, int stop_fd);
/* Frees the buffers; does not close fd. */
void tws_io_free(tws_io *io);

/* Reads one message. With `typed`, a type byte comes first (*type receives it);
 * without it (the startup phase), the message is just int32 length + payload. On
 * TWS_IO_OK the payload is io->msg[0..io->msglen). timeout_ms < 0 waits forever; the
 * timeout applies to the wait for the first byte, and once a message has started,
 * each further wait is bounded by the same timeout (or 60 s when waiting forever). */
int tws_io_read(tws_io *io, int typed, char *type, uint32_t cap, int timeout_ms);
/* 1 if bytes of a next message are already buffered (pipelined input). */
int tws_io_pending(const tws_io *io);

/* ---- building messages ---- */
void tws_w_begin(tws_io *io, char type);
void tws_w_u8(tws_io *io, uint8_t v);
void tws_w_i16(tws_io *io, int16_t v);
void tws_w_i32(tws_io *io, int32_t v);
void tws_w_bytes(tws_io *io, const void *p, size_t n);
/* A C string including its terminating NUL. */
void tws_w_str(tws_io *io, const char *s);
/* Patches the length of the message begun last. */
void tws_w_end(tws_io *io);
/* A single byte with no framing (the answer to SSLRequest). */
void tws_w_raw(tws_io *io, const void *p, size_t n);
/* Position of the message being built, to patch values written before their count
 * is known (e.g. DataRow field lengths). */
size_t tws_w_mark(const tws_io *io);
void tws_w_patch_i32(tws_io *io, size_t at, int32_t v);
/* Sends everything buffered. 0, or -1 if the connection is dead / out of memory. */
int tws_io_flush(tws_io *io);
/* Flushes when the buffer has grown large (used while streaming rows). */
int tws_io_maybe_flush(tws_io *io);

/* ---- reading fields of a message ---- */
typedef struct tws_rd {
    const uint8_t *p;
    size_t n, pos;
    int bad;
} tws_rd;

void tws_rd_init(tws_rd *r, const void *p, size_t n);
uint8_t tws_rd_u8(tws_rd *r);
int16_t tws_rd_i16(tws_rd *r);
int32_t tws_rd_i32(tws_rd *r);
/* A NUL-terminated string inside the message ("" and bad if unterminated). */
const char *tws_rd_str(tws_rd *r);
/* n bytes (NULL and bad if fewer remain). */
const uint8_t *tws_rd_bytes(tws_rd *r, size_t n);
/* 1 when every byte was consumed and nothing was truncated. */
int tws_rd_done(const tws_rd *r);

#endif
