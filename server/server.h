/*
 * server.h — the state twill-server shares between its listener and its connection
 * threads: configuration, the one open database, the connection registry (for
 * CancelRequest, the connection limit and shutdown) and counters.
 *
 * Threads: the listener thread accepts and starts one detached thread per connection
 * (conn.h). Everything in tws_server that changes after start-up is guarded by `mu`,
 * except `stopping`, which is atomic. The database handle is shared; each connection
 * owns one twill_session.
 */
#ifndef TWS_SERVER_H
#define TWS_SERVER_H

#include "scram.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <twill/engine.h>

typedef struct tws_config {
    const char *listen;  /* HOST:PORT */
    const char *db_url;  /* file://... */
    const char *db_opts; /* twill_open options, or NULL */
    int max_connections; /* clients past this get 53300 */
    int idle_tx_timeout; /* ms; 0 = none */
    int slow_query_ms;   /* log statements slower than this; < 0 = never */
    int shutdown_grace;  /* ms in-flight statements get at SIGTERM before cancel */
    int allow_insecure_remote;
    const char *tls_cert, *tls_key; /* PEM files; NULL: no TLS */
    int cleartext_over_tls;         /* password auth on TLS connections is cleartext */
} tws_config;

/* One registered connection: what CancelRequest and shutdown need to reach it. */
typedef struct tws_reg {
    int32_t pid, key;
    int fd;
    twill_session *session; /* NULL until the session is open */
    struct tws_reg *prev, *next;
} tws_reg;

typedef struct tws_server {
    tws_config cfg;
    twill_db *db;
    int have_password;
    void *tls_ctx; /* SSL_CTX when --tls-cert is given: SSLRequest is answered 'S' */
    tws_scram_secret secret;
    int stop_fd; /* read end of the stop pipe: readable once shutdown begins */
    _Atomic int stopping;
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when a connection thread ends */
    int nthreads;        /* live connection threads (mu) */
    int nclients;        /* connections past startup, counted for the limit (mu) */
    tws_reg *regs;       /* (mu) */
    int32_t next_pid;    /* (mu) */
    uint64_t total_connections, rejected_connections; /* (mu) */
} tws_server;

/* Adds r to the registry with a fresh pid and random cancel key. */
void tws_register(tws_server *srv, tws_reg *r);
void tws_unregister(tws_server *srv, tws_reg *r);
/* Interrupts the session of the connection (pid, key), if registered. */
void tws_cancel(tws_server *srv, int32_t pid, int32_t key);

#endif
