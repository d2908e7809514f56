/*
 * listener.c — accept loop, connection registry and shutdown (see listener.h).
 */
#include "listener.h"

#include "conn.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define THREAD_RESERVE 16

/* ---- registry ---- */

void tws_register(tws_server *srv, tws_reg *r) {
    int32_t key = 0;
    if (RAND_bytes((unsigned char *)&key, sizeof key) != 1) key = (int32_t)time(NULL);
    pthread_mutex_lock(&srv->mu);
    r->pid = ++srv->next_pid;
    r->key = key;
    r->prev = NULL;
    r->next = srv->regs;
    if (srv->regs) srv->regs->prev = r;
    srv->regs = r;
    pthread_mutex_unlock(&srv->mu);
}

void tws_unregister(tws_server *srv, tws_reg *r) {
    pthread_mutex_lock(&srv->mu);
    if (r->prev)
        r->prev->next = r->next;
    else if (srv->regs == r)
        srv->regs = r->next;
    if (r->next) r->next->prev = r->prev;
    r->prev = r->next = NULL;
    r->session = NULL;
    pthread_mutex_unlock(&srv->mu);
}

void tws_cancel(tws_server *srv, int32_t pid, int32_t key) {
    int found = 0;
    pthread_mutex_lock(&srv->mu);
    for (tws_reg *r = srv->regs; r; r = r->next)
        if (r->pid == pid && r->key == key && r->session) {
            /* Under mu: the session cannot be closed while we interrupt it. */
            twill_session_interrupt(r->session, 1);
            found = 1;
        }
    pthread_mutex_unlock(&srv->mu);
    tws_log(TWS_LOG_INFO, "cancel_request", "pid=%d matched=%d", pid, found);
}

/* ---- listening ---- */

static int is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

static void addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t cap) {
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV)) {
        snprintf(out, cap, "?");
        return;
    }
    snprintf(out, cap, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

int tws_listen(tws_server *srv, tws_listener *l, char *err, size_t cap) {
    memset(l, 0, sizeof *l);
    const char *spec = srv->cfg.listen;
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        snprintf(err, cap, "--listen wants HOST:PORT, got \"%s\"", spec);
        return -1;
    }
    char host[256];
    size_t hl = (size_t)(colon - spec);
    if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
        spec++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        snprintf(err, cap, "--listen: host name too long");
        return -1;
    }
    memcpy(host, spec, hl);
    host[hl] = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int g = getaddrinfo(host, colon + 1, &hints, &res);
    if (g) {
        snprintf(err, cap, "--listen %s: %s", srv->cfg.listen, gai_strerror(g));
        return -1;
    }
    for (struct addrinfo *a = res; a; a = a->ai_next)
        if (!is_loopback(a->ai_addr) && !srv->have_password && !srv->cfg.allow_insecure_remote) {
            freeaddrinfo(res);
            snprintf(err, cap,
                     "refusing to listen on non-loopback address %s without a password "
                     "(--password-file) — pass --allow-insecure-remote to do it anyway",
                     srv->cfg.listen);
            return -1;
        }
    for (struct addrinfo *a = res; a && l->n < TWS_MAX_LISTEN; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 128)) {
            snprintf(err, cap, "cannot listen on %s: %s", srv->cfg.listen, strerror(errno));
            close(fd);
            continue;
        }
        if (l->n == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
                addr_text((struct sockaddr *)&ss, sl, l->bound, sizeof l->bound);
        }
        l->fds[l->n++] = fd;
    }
    freeaddrinfo(res);
    return l->n ? 0 : -1;
}

static void start_conn(tws_server *srv, int fd, const struct sockaddr *sa, socklen_t sl) {
    pthread_mutex_lock(&srv->mu);
    int ok = srv->nthreads < srv->cfg.max_connections + THREAD_RESERVE;
    if (ok) {
        srv->nthreads++;
        srv->total_connections++;
    } else {
        srv->rejected_connections++;
    }
    pthread_mutex_unlock(&srv->mu);
    char peer[64];
    addr_text(sa, sl, peer, sizeof peer);
    if (!ok) {
        tws_log(TWS_LOG_WARN, "connection_refused", "remote=%s reason=thread_limit", peer);
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    tws_conn_arg *arg = calloc(1, sizeof *arg);
    pthread_t th;
    pthread_attr_t at;
    int started = 0;
    if (arg && !pthread_attr_init(&at)) {
        arg->srv = srv;
        arg->fd = fd;
        snprintf(arg->peer, sizeof arg->peer, "%s", peer);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&th, &at, tws_conn_main, arg) == 0;
        pthread_attr_destroy(&at);
    }
    if (!started) {
        tws_log(TWS_LOG_ERROR, "connection_refused", "remote=%s reason=no_thread", peer);
        free(arg);
        close(fd);
        pthread_mutex_lock(&srv->mu);
        srv->nthreads--;
        pthread_cond_broadcast(&srv->idle);
        pthread_mutex_unlock(&srv->mu);
        return;
    }
    tws_log(TWS_LOG_DEBUG, "connection_open", "remote=%s", peer);
}

/* Waits until no connection thread is left or the deadline passes; 1 if none left. */
static int wait_threads(tws_server *srv, int64_t ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&srv->mu);
    while (srv->nthreads > 0)
        if (pthread_cond_timedwait(&srv->idle, &srv->mu, &dl)) break;
    int none = srv->nthreads == 0;
    pthread_mutex_unlock(&srv->mu);
    return none;
}

void tws_serve(tws_server *srv, tws_listener *l) {
    struct pollfd pf[TWS_MAX_LISTEN + 1];
    for (int i = 0; i < l->n; i++) pf[i] = (struct pollfd){.fd = l->fds[i], .events = POLLIN};
    pf[l->n] = (struct pollfd){.fd = srv->stop_fd, .events = POLLIN};
    for (;;) {
        int r = poll(pf, (nfds_t)l->n + 1, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            tws_log(TWS_LOG_ERROR, "poll_failed", "errno=%d", errno);
            break;
        }
        if (pf[l->n].revents & POLLIN) break;
        for (int i = 0; i < l->n; i++) {
            if (!(pf[i].revents & POLLIN)) continue;
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            int fd = accept4(l->fds[i], (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE) {
                    tws_log(TWS_LOG_ERROR, "accept_failed", "errno=%d", errno);
                    struct timespec ts = {0, 50 * 1000000};
                    nanosleep(&ts, NULL); /* let connections end and free descriptors */
                }
                continue;
            }
            start_conn(srv, fd, (struct sockaddr *)&ss, sl);
        }
    }
    atomic_store(&srv->stopping, 1);
    for (int i = 0; i < l->n; i++) close(l->fds[i]);
    pthread_mutex_lock(&srv->mu);
    int n = srv->nthreads;
    pthread_mutex_unlock(&srv->mu);
    tws_log(TWS_LOG_INFO, "shutdown_begin", "connections=%d grace_ms=%d", n,
            srv->cfg.shutdown_grace);
    if (wait_threads(srv, srv->cfg.shutdown_grace)) return;
    /* Grace is over: cancel running statements and unblock stuck sends and reads. */
    pthread_mutex_lock(&srv->mu);
    for (tws_reg *r = srv->regs; r; r = r->next) {
        if (r->session) twill_session_interrupt(r->session, 1);
        shutdown(r->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&srv->mu);
    tws_log(TWS_LOG_WARN, "shutdown_cancel", "connections=%d", n);
    while (!wait_threads(srv, 1000)) {
    }
}
