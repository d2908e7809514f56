/*
 * s3test.h — what the object-storage tests and bench/object share: a throwaway Ceph
 * cluster (tests/s3/ceph-up.sh) that is stopped even when the process using it dies,
 * the environment the s3:// backend reads, and a fault-injecting HTTP proxy.
 */
#ifndef TW_S3TEST_H
#define TW_S3TEST_H

#include <stdint.h>
#include <sys/types.h>

#define S3T_BUCKET "twill"
#define S3T_ACCESS "twilltest"
#define S3T_SECRET "twilltestsecret"

typedef struct s3t_ceph {
    char dir[512];      /* cluster state (removed by s3t_ceph_down) */
    char endpoint[128]; /* http://127.0.0.1:PORT */
    int port;
    pid_t reaper; /* stops the cluster if this process dies first */
    double up_ms; /* how long ceph-up.sh took */
} s3t_ceph;

/* Starts a cluster with ceph-up.sh (from $TWILL_CEPH_UP, else the script next to this
 * file at build time) under $TWILL_TEST_TMP (else $TMPDIR, else /tmp), creates the
 * bucket S3T_BUCKET and sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION
 * (AWS_ENDPOINT_URL* and AWS_SESSION_TOKEN are unset: URLs name the endpoint). Also
 * forks a small reaper process that runs ceph-down.sh if this process is killed before
 * s3t_ceph_down. Returns 0, or -1 with the reason on stderr. */
int s3t_ceph_up(s3t_ceph *c);
/* Stops the cluster and removes its directory. Idempotent. */
void s3t_ceph_down(s3t_ceph *c);

/* s3://BUCKET/<prefix>?endpoint=<endpoint> into out. */
void s3t_url(char *out, size_t cap, const char *endpoint, const char *prefix);

double s3t_now_ms(void);

/* ---- fault-injecting HTTP/1.1 proxy ------------------------------------------------------
 *
 * Listens on 127.0.0.1 (a free port), forwards each request to the upstream (RGW) on its
 * own connection, and per request decides on a fault. Probabilities are in parts per
 * million and apply to requests whose method is in `methods` (a mask of FP_M_*; 0 =
 * all). A forced fault (fp_force) applies to the next matching request before any
 * probability. Faults:
 *   ERR_BEFORE    answer 503 SlowDown without forwarding (the store did nothing)
 *   ERR_AFTER     forward, wait for the store's answer, then answer 500 instead (the
 *                 store did it, the client is told it failed)
 *   RESET_BEFORE  reset the client connection without forwarding
 *   RESET_AFTER   forward, let the store finish, reset instead of answering
 *   STALL         hold the request for stall_ms, then reset without forwarding (with a
 *                 client timeout below stall_ms this is a timeout)
 *   SLOW          forward, then hold the answer for slow_ms and send it in small pieces
 * fp_set_down(1) makes the store unreachable: new and idle connections are reset. */
enum {
    FP_PASS = 0,
    FP_ERR_BEFORE,
    FP_ERR_AFTER,
    FP_RESET_BEFORE,
    FP_RESET_AFTER,
    FP_STALL,
    FP_SLOW,
    FP_NKINDS
};
enum { FP_M_GET = 1, FP_M_PUT = 2, FP_M_HEAD = 4, FP_M_DELETE = 8, FP_M_POST = 16 };

typedef struct fp_faults {
    uint32_t ppm[FP_NKINDS]; /* per kind, parts per million (ppm[FP_PASS] unused) */
    unsigned methods;        /* FP_M_* mask; 0: every method */
    int stall_ms, slow_ms;
} fp_faults;

typedef struct fp_stats {
    uint64_t requests, injected[FP_NKINDS], refused; /* refused: while down */
} fp_stats;

typedef struct fp_proxy fp_proxy;

/* Starts the proxy in front of 127.0.0.1:upstream_port; seed makes the draws
 * reproducible (per request, in arrival order). NULL on failure (stderr says why). */
fp_proxy *fp_start(int upstream_port, uint64_t seed);
int fp_port(const fp_proxy *p);
/* "http://127.0.0.1:PORT" of the proxy. */
const char *fp_endpoint(const fp_proxy *p);
void fp_set(fp_proxy *p, const fp_faults *f);
/* The next n requests whose method matches `methods` (0: any) get fault `kind`. */
void fp_force(fp_proxy *p, int kind, int n, unsigned methods);
void fp_set_down(fp_proxy *p, int down);
void fp_get_stats(fp_proxy *p, fp_stats *out);
/* Stops accepting, resets every open connection, waits for its threads, frees. */
void fp_stop(fp_proxy *p);
const char *fp_kind_name(int kind);

#endif
