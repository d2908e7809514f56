/*
 * s3test.c — the throwaway Ceph cluster for object-storage tests and benchmarks
 * (see s3test.h). The fault-injecting proxy is in faultproxy.c.
 */
#include "s3test.h"

#include "storage/object/s3_client.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef S3T_SCRIPT_DIR
#error "S3T_SCRIPT_DIR must name tests/s3 (set by tests/s3/CMakeLists.txt)"
#endif

double s3t_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void s3t_url(char *out, size_t cap, const char *endpoint, const char *prefix) {
    snprintf(out, cap, "s3://" S3T_BUCKET "/%s?endpoint=%s", prefix, endpoint);
}

static const char *script(const char *env, const char *name, char *buf, size_t cap) {
    const char *v = getenv(env);
    if (v && *v) return v;
    snprintf(buf, cap, "%s/%s", S3T_SCRIPT_DIR, name);
    return buf;
}

static int mkdir_p(const char *path) {
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* The reaper: a child that waits for SIGTERM — sent by s3t_ceph_down, or by the kernel
 * when the parent dies (PR_SET_PDEATHSIG) — then runs the stop command. It leaves the
 * process group first: whoever kills the test's group (a harness, a terminal's ^C) must
 * not take the reaper along, since the daemons themselves are detached and would stay.
 * Between fork and exec only async-signal-safe calls: the parent may have threads. */
static pid_t start_reaper(const char *cmd) {
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == parent) {
            int sig;
            sigwait(&set, &sig);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid;
}

static int ceph_up_once(s3t_ceph *c);

/* A start can fail on a loaded machine (a mon that answers late); two more tries with a
 * fresh directory before giving up, which is then a failure, never a skip. */
int s3t_ceph_up(s3t_ceph *c) {
    for (int i = 1; i <= 3; i++) {
        if (ceph_up_once(c) == 0) return 0;
        if (i < 3) fprintf(stderr, "s3test: the Ceph cluster did not start (try %d of 3)\n", i);
    }
    return -1;
}

static int ceph_up_once(s3t_ceph *c) {
    memset(c, 0, sizeof *c);
    c->reaper = -1;
    char ub[600], db[600];
    const char *up = script("TWILL_CEPH_UP", "ceph-up.sh", ub, sizeof ub);
    const char *down = script("TWILL_CEPH_DOWN", "ceph-down.sh", db, sizeof db);
    const char *base = getenv("TWILL_TEST_TMP");
    if (!base || !*base) base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    if (mkdir_p(base) != 0) {
        fprintf(stderr, "s3test: cannot create %s: %s\n", base, strerror(errno));
        return -1;
    }
    snprintf(c->dir, sizeof c->dir, "%s/ceph.XXXXXX", base);
    if (!mkdtemp(c->dir)) {
        fprintf(stderr, "s3test: mkdtemp %s: %s\n", c->dir, strerror(errno));
        c->dir[0] = '\0';
        return -1;
    }
    /* The data lives in RAM and is thrown away: SIGKILL by pid file at once (ceph-down.sh's
     * polite SIGTERM and wait takes ~7 s, mostly radosgw), wait until the pids are gone,
     * remove the directory. ceph-down.sh is the fallback if the pid files are missing. */
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "d='%s'; if ls \"$d\"/run/*.pid >/dev/null 2>&1; then "
             "for f in \"$d\"/run/*.pid; do kill -KILL \"$(cat \"$f\")\" 2>/dev/null; done; "
             "for i in $(seq 1 100); do a=0; for f in \"$d\"/run/*.pid; do "
             "kill -0 \"$(cat \"$f\")\" 2>/dev/null && a=1; done; [ $a = 0 ] && break; "
             "sleep 0.05; done; else '%s' \"$d\" >/dev/null 2>&1; fi; rm -rf \"$d\"",
             c->dir, down);
    c->reaper = start_reaper(cmd);
    if (c->reaper < 0) {
        fprintf(stderr, "s3test: fork: %s\n", strerror(errno));
        return -1;
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s'", up, c->dir);
    double t0 = s3t_now_ms();
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    char line[120] = "";
    int ok = p && fgets(line, sizeof line, p);
    if (p && pclose(p) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "s3test: %s failed (logs were in %s/log)\n", up, c->dir);
        s3t_ceph_down(c);
        return -1;
    }
    c->up_ms = s3t_now_ms() - t0;
    line[strcspn(line, "\r\n")] = '\0';
    snprintf(c->endpoint, sizeof c->endpoint, "%s", line);
    const char *colon = strrchr(c->endpoint, ':');
    c->port = colon ? atoi(colon + 1) : 0;
    if (c->port <= 0) {
        fprintf(stderr, "s3test: ceph-up.sh printed no endpoint (\"%s\")\n", line);
        s3t_ceph_down(c);
        return -1;
    }
    if (!getenv("TWILL_CACHE_DIR")) { /* the local cache goes with the cluster's directory */
        char cache[600];
        snprintf(cache, sizeof cache, "%s/cache", c->dir);
        setenv("TWILL_CACHE_DIR", cache, 1);
    }
    setenv("AWS_ACCESS_KEY_ID", S3T_ACCESS, 1);
    setenv("AWS_SECRET_ACCESS_KEY", S3T_SECRET, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_SESSION_TOKEN");
    tw_s3_config cfg = {.endpoint = c->endpoint,
                        .region = "us-east-1",
                        .bucket = S3T_BUCKET,
                        .access_key = S3T_ACCESS,
                        .secret_key = S3T_SECRET};
    tw_s3 *s3 = NULL;
    tw_err e;
    tw_err_clear(&e);
    if (tw_s3_open(&cfg, &s3, &e) || tw_s3_create_bucket(s3, &e)) {
        fprintf(stderr, "s3test: creating bucket %s: %s\n", S3T_BUCKET, e.msg);
        tw_s3_close(s3);
        s3t_ceph_down(c);
        return -1;
    }
    tw_s3_close(s3);
    return 0;
}

void s3t_ceph_down(s3t_ceph *c) {
    if (c->reaper > 0) {
        kill(c->reaper, SIGTERM);
        int st;
        while (waitpid(c->reaper, &st, 0) < 0 && errno == EINTR) {
        }
        c->reaper = -1;
    }
    c->dir[0] = '\0';
}
