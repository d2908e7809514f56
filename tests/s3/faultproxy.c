/*
 * faultproxy.c — a fault-injecting HTTP/1.1 proxy between the s3:// backend and RGW
 * (see s3test.h for the faults). One thread accepts; each client connection gets a
 * thread and its own upstream connection. Requests on a connection are sequential (curl
 * does not pipeline), so the proxy reads a whole request, decides its fault, and for a
 * forwarded request reads the whole response (Content-Length, chunked, or to EOF)
 * before it answers: every fault hits exactly one request.
 */
#include "s3test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD 65536

typedef struct conn {
    struct fp_proxy *p;
    int cfd, ufd;
    struct conn *next;
} conn;

struct fp_proxy {
    int lfd, port, upstream_port;
    char endpoint[64];
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* stop / down changes; the last connection thread leaving */
    fp_faults f;
    int force_kind, force_n;
    unsigned force_methods;
    int down, stopping, nconns;
    uint64_t rng;
    fp_stats st;
    conn *conns;
};

const char *fp_kind_name(int kind) {
    static const char *names[FP_NKINDS] = {"pass",        "5xx-before", "5xx-after", "reset-before",
                                           "reset-after", "stall",      "slow"};
    return kind >= 0 && kind < FP_NKINDS ? names[kind] : "?";
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- buffers and sockets ------------------------------------------------------------------ */

typedef struct bytes {
    char *p;
    size_t len, cap;
} bytes;

static int bytes_add(bytes *b, const void *d, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return -1;
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

static void bytes_drop(bytes *b, size_t n) {
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* Reads more into b; 0 on EOF or error. */
static int fill(int fd, bytes *b) {
    char tmp[16384];
    ssize_t n;
    do {
        n = recv(fd, tmp, sizeof tmp, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0 || bytes_add(b, tmp, (size_t)n)) return 0;
    return 1;
}

static int send_all(int fd, const void *d, size_t n) {
    const char *p = d;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

static void reset_fd(int fd) {
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* Offset just past "\r\n\r\n" in b, or 0 if the head is not complete. */
static size_t head_end(const bytes *b) {
    for (size_t i = 3; i < b->len; i++)
        if (b->p[i] == '\n' && b->p[i - 1] == '\r' && b->p[i - 2] == '\n' && b->p[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* Value of header `name` in head[0..len) (case-insensitive), or NULL. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    const char *end = head + len;
    for (const char *l = memchr(head, '\n', len); l && l + 1 < end;
         l = memchr(l + 1, '\n', (size_t)(end - l - 1))) {
        const char *s = l + 1;
        if ((size_t)(end - s) > nl && !strncasecmp(s, name, nl) && s[nl] == ':') {
            const char *v = s + nl + 1;
            while (v < end && (*v == ' ' || *v == '\t')) v++;
            const char *e = v;
            while (e < end && *e != '\r' && *e != '\n') e++;
            *vlen = (size_t)(e - v);
            return v;
        }
    }
    return NULL;
}

/* Reads a complete head into b (keeps any extra bytes after it). Returns its length,
 * 0 on EOF/error/oversize. */
static size_t read_head(int fd, bytes *b) {
    size_t h;
    while (!(h = head_end(b))) {
        if (b->len > MAX_HEAD || !fill(fd, b)) return 0;
    }
    return h;
}

/* Moves exactly n bytes from fd (after what b already holds past `from`) into out. */
static int read_n(int fd, bytes *b, size_t n, bytes *out) {
    while (b->len < n)
        if (!fill(fd, b)) return -1;
    if (bytes_add(out, b->p, n)) return -1;
    bytes_drop(b, n);
    return 0;
}

/* A chunked body from fd (b holds what was read past the head), raw, into out. */
static int read_chunked(int fd, bytes *b, bytes *out) {
    for (;;) {
        size_t eol;
        for (;;) {
            char *nl = b->len ? memchr(b->p, '\n', b->len) : NULL;
            if (nl) {
                eol = (size_t)(nl - b->p) + 1;
                break;
            }
            if (b->len > MAX_HEAD || !fill(fd, b)) return -1;
        }
        unsigned long size = strtoul(b->p, NULL, 16);
        if (read_n(fd, b, eol, out)) return -1;
        if (size == 0) { /* trailers up to an empty line */
            for (;;) {
                char *nl;
                while (!(nl = b->len ? memchr(b->p, '\n', b->len) : NULL))
                    if (b->len > MAX_HEAD || !fill(fd, b)) return -1;
                size_t l = (size_t)(nl - b->p) + 1;
                int empty = l <= 2;
                if (read_n(fd, b, l, out)) return -1;
                if (empty) return 0;
            }
        }
        if (read_n(fd, b, size + 2, out)) return -1;
    }
}

/* ---- the proxy --------------------------------------------------------------------------------
 */

static unsigned method_bit(const char *head) {
    if (!strncmp(head, "GET ", 4)) return FP_M_GET;
    if (!strncmp(head, "PUT ", 4)) return FP_M_PUT;
    if (!strncmp(head, "HEAD ", 5)) return FP_M_HEAD;
    if (!strncmp(head, "DELETE ", 7)) return FP_M_DELETE;
    if (!strncmp(head, "POST ", 5)) return FP_M_POST;
    return 0;
}

/* The fault for one request (and, for a stall or a slow answer, its duration, read under
 * the lock like everything fp_set changes). */
static int decide(fp_proxy *p, unsigned m, int *ms) {
    pthread_mutex_lock(&p->mu);
    int kind = FP_PASS;
    p->st.requests++;
    if (p->force_n > 0 && (!p->force_methods || (p->force_methods & m))) {
        kind = p->force_kind;
        p->force_n--;
    } else if (!p->f.methods || (p->f.methods & m)) {
        uint64_t r = rng_next(&p->rng) % 1000000, acc = 0;
        for (int k = 1; k < FP_NKINDS && kind == FP_PASS; k++) {
            acc += p->f.ppm[k];
            if (r < acc) kind = k;
        }
    }
    p->st.injected[kind]++;
    *ms = kind == FP_STALL ? (p->f.stall_ms > 0 ? p->f.stall_ms : 1000)
                           : (p->f.slow_ms > 0 ? p->f.slow_ms : 200);
    pthread_mutex_unlock(&p->mu);
    return kind;
}

/* Sleeps ms, or less if the proxy stops or goes down. Returns nonzero if it did. */
static int nap(fp_proxy *p, int ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    while (!p->stopping && !p->down && rc == 0) rc = pthread_cond_timedwait(&p->cv, &p->mu, &until);
    int cut = p->stopping || p->down;
    pthread_mutex_unlock(&p->mu);
    return cut;
}

static int connect_upstream(fp_proxy *p) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->upstream_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void set_ufd(conn *c, int fd) {
    pthread_mutex_lock(&c->p->mu);
    c->ufd = fd;
    pthread_mutex_unlock(&c->p->mu);
}

static void drop_upstream(conn *c) {
    int fd = c->ufd;
    if (fd < 0) return;
    set_ufd(c, -1);
    close(fd);
}

/* Forwards req to the upstream and reads the whole response into resp. A reused
 * connection the store closed while idle is reconnected once. */
static int forward(conn *c, const bytes *req, int is_head, bytes *resp, int *close_after) {
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = c->ufd < 0;
        if (fresh) {
            int fd = connect_upstream(c->p);
            if (fd < 0) return -1;
            set_ufd(c, fd);
        }
        resp->len = 0;
        bytes in = {0};
        int ok = send_all(c->ufd, req->p, req->len) == 0;
        size_t h = ok ? read_head(c->ufd, &in) : 0;
        if (!h) {
            free(in.p);
            drop_upstream(c);
            if (fresh) return -1;
            continue;
        }
        int rc = bytes_add(resp, in.p, h);
        bytes_drop(&in, h);
        int status = resp->len > 12 ? atoi(resp->p + 9) : 0;
        size_t vl;
        const char *v;
        *close_after = 0;
        if ((v = header(resp->p, h, "Connection", &vl)) && vl == 5 && !strncasecmp(v, "close", 5))
            *close_after = 1;
        if (rc || is_head || status == 204 || status == 304 || (status >= 100 && status < 200)) {
        } else if ((v = header(resp->p, h, "Transfer-Encoding", &vl)) && vl >= 7 &&
                   !strncasecmp(v, "chunked", 7)) {
            rc = read_chunked(c->ufd, &in, resp);
        } else if ((v = header(resp->p, h, "Content-Length", &vl))) {
            rc = read_n(c->ufd, &in, strtoull(v, NULL, 10), resp);
        } else {
            while (fill(c->ufd, &in)) {
            }
            rc = bytes_add(resp, in.p, in.len);
            in.len = 0;
            *close_after = 1;
        }
        free(in.p);
        if (rc) {
            drop_upstream(c);
            return -1;
        }
        if (*close_after) drop_upstream(c);
        return 0;
    }
    return -1;
}

static int send_error(int fd, int status) {
    const char *code = status == 503 ? "SlowDown" : "InternalError";
    const char *reason = status == 503 ? "Service Unavailable" : "Internal Server Error";
    char body[256], msg[512];
    int bl = snprintf(body, sizeof body,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                      "<Message>injected by faultproxy</Message></Error>",
                      code);
    int ml = snprintf(msg, sizeof msg,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: "
                      "%d\r\nConnection: keep-alive\r\n\r\n%s",
                      status, reason, bl, body);
    return send_all(fd, msg, (size_t)ml);
}

static void *conn_main(void *arg) {
    conn *c = arg;
    fp_proxy *p = c->p;
    bytes in = {0}, req = {0}, resp = {0};
    int reset = 0;
    for (;;) {
        size_t h = read_head(c->cfd, &in);
        if (!h) break;
        pthread_mutex_lock(&p->mu);
        int down = p->down || p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (down) {
            reset = 1;
            break;
        }
        req.len = 0;
        size_t vl;
        const char *v = header(in.p, h, "Content-Length", &vl);
        size_t body = v ? strtoull(v, NULL, 10) : 0;
        unsigned m = method_bit(in.p);
        int is_head = m == FP_M_HEAD;
        if (bytes_add(&req, in.p, h)) break;
        bytes_drop(&in, h);
        if (read_n(c->cfd, &in, body, &req)) break;
        int ms;
        int kind = decide(p, m, &ms);
        if (kind == FP_ERR_BEFORE) {
            if (send_error(c->cfd, 503)) break;
            continue;
        }
        if (kind == FP_RESET_BEFORE) {
            reset = 1;
            break;
        }
        if (kind == FP_STALL) {
            nap(p, ms);
            reset = 1;
            break;
        }
        int close_after = 0;
        if (forward(c, &req, is_head, &resp, &close_after)) {
            reset = 1; /* the store is gone: so is the connection */
            break;
        }
        if (kind == FP_ERR_AFTER) {
            if (send_error(c->cfd, 500)) break;
            continue;
        }
        if (kind == FP_RESET_AFTER) {
            reset = 1;
            break;
        }
        if (kind == FP_SLOW) {
            size_t hl = head_end(&(bytes){resp.p, resp.len, resp.cap});
            if (nap(p, ms / 2) || send_all(c->cfd, resp.p, hl) || nap(p, ms - ms / 2) ||
                send_all(c->cfd, resp.p + hl, resp.len - hl)) {
                reset = 1;
                break;
            }
        } else if (send_all(c->cfd, resp.p, resp.len)) {
            break;
        }
        if (close_after) break;
    }
    free(in.p);
    free(req.p);
    free(resp.p);
    pthread_mutex_lock(&p->mu);
    for (conn **pp = &p->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    int ufd = c->ufd;
    c->ufd = -1;
    p->nconns--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (ufd >= 0) close(ufd);
    if (reset)
        reset_fd(c->cfd);
    else
        close(c->cfd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg) {
    fp_proxy *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int stop = p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        struct pollfd pfd = {.fd = p->lfd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0) continue;
        int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&p->mu);
        if (p->down || p->stopping) {
            p->st.refused++;
            pthread_mutex_unlock(&p->mu);
            reset_fd(fd);
            continue;
        }
        conn *c = calloc(1, sizeof *c);
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (c) {
            *c = (conn){.p = p, .cfd = fd, .ufd = -1, .next = p->conns};
            p->conns = c;
            p->nconns++;
        }
        if (!c || pthread_create(&t, &at, conn_main, c) != 0) {
            if (c) p->conns = c->next, p->nconns--;
            free(c);
            reset_fd(fd);
        }
        pthread_attr_destroy(&at);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

fp_proxy *fp_start(int upstream_port, uint64_t seed) {
    fp_proxy *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->upstream_port = upstream_port;
    p->rng = seed;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(p->lfd, 128) != 0 || getsockname(p->lfd, (struct sockaddr *)&a, &al) != 0) {
        fprintf(stderr, "faultproxy: cannot listen on 127.0.0.1: %s\n", strerror(errno));
        if (p->lfd >= 0) close(p->lfd);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    p->port = ntohs(a.sin_port);
    snprintf(p->endpoint, sizeof p->endpoint, "http://127.0.0.1:%d", p->port);
    if (pthread_create(&p->acceptor, NULL, accept_main, p) != 0) {
        fprintf(stderr, "faultproxy: pthread_create failed\n");
        close(p->lfd);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

int fp_port(const fp_proxy *p) {
    return p->port;
}

const char *fp_endpoint(const fp_proxy *p) {
    return p->endpoint;
}

void fp_set(fp_proxy *p, const fp_faults *f) {
    pthread_mutex_lock(&p->mu);
    p->f = *f;
    pthread_mutex_unlock(&p->mu);
}

void fp_force(fp_proxy *p, int kind, int n, unsigned methods) {
    pthread_mutex_lock(&p->mu);
    p->force_kind = kind;
    p->force_n = n;
    p->force_methods = methods;
    pthread_mutex_unlock(&p->mu);
}

/* Under mu: cut every client connection (its thread sees EOF and resets it). */
static void cut_all(fp_proxy *p) {
    for (conn *c = p->conns; c; c = c->next) {
        shutdown(c->cfd, SHUT_RDWR);
        if (c->ufd >= 0) shutdown(c->ufd, SHUT_RDWR);
    }
}

void fp_set_down(fp_proxy *p, int down) {
    pthread_mutex_lock(&p->mu);
    p->down = down;
    if (down) cut_all(p);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void fp_get_stats(fp_proxy *p, fp_stats *out) {
    pthread_mutex_lock(&p->mu);
    *out = p->st;
    pthread_mutex_unlock(&p->mu);
}

void fp_stop(fp_proxy *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->acceptor, NULL);
    close(p->lfd);
    pthread_mutex_lock(&p->mu);
    cut_all(p);
    while (p->nconns > 0) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
