/*
 * listener.h — binds the listening sockets, accepts connections and hands each to its
 * own thread (conn.h), and runs the shutdown sequence.
 *
 * Contract: tws_listen resolves HOST:PORT and binds every address it names (refusing a
 * non-loopback address without a password unless allow_insecure_remote). tws_serve
 * accepts until the stop descriptor becomes readable, then stops accepting, waits up to
 * the shutdown grace for connections to finish their statements, cancels what still
 * runs, and returns when every connection thread has ended. Threads are bounded: past
 * max_connections plus a small reserve (for CancelRequests and the "too many clients"
 * answer) a new socket is closed at once.
 */
#ifndef TWS_LISTENER_H
#define TWS_LISTENER_H

#include "server.h"

#define TWS_MAX_LISTEN 8

typedef struct tws_listener {
    int fds[TWS_MAX_LISTEN];
    int n;
    char bound[128]; /* the first bound address, "host:port" */
} tws_listener;

/* 0, or -1 with a message in err. */
int tws_listen(tws_server *srv, tws_listener *l, char *err, size_t cap);
void tws_serve(tws_server *srv, tws_listener *l);

#endif
