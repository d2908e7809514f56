/*
 * conn.h — one client connection speaking protocol v3: startup (SSLRequest answered
 * 'N', CancelRequest, StartupMessage), authentication (trust or SCRAM-SHA-256), then
 * the simple and extended query protocols over the connection's own twill_session.
 *
 * Contract: the thread owns the socket and closes it. Any protocol violation
 * (malformed, truncated or oversized message, a message out of place) ends this
 * connection with a FATAL ErrorResponse (08P01) and rolls its transaction back; the
 * server and other connections are unaffected. A client that disappears is treated
 * like Terminate.
 */
#ifndef TWS_CONN_H
#define TWS_CONN_H

#include "server.h"

typedef struct tws_conn_arg {
    tws_server *srv;
    int fd;
    char peer[64]; /* "host:port" for the log */
} tws_conn_arg;

/* Thread entry: takes ownership of arg (malloc'ed) and of arg->fd. */
void *tws_conn_main(void *arg);

#endif
