/*
 * s3run — runs one command against a throwaway Ceph cluster:
 *
 *   s3run [--prefix NAME] [--faults PPM] [--] COMMAND [ARGS...]
 *
 * starts the cluster (ceph-up.sh), creates the bucket, exports the AWS_* variables the
 * s3:// backend reads plus
 *   TWILL_TEST_S3_ENDPOINT  http://127.0.0.1:PORT of radosgw
 *   TWILL_TEST_URL          s3://twill/NAME?endpoint=... (NAME: --prefix, else "db")
 * With --faults, TWILL_TEST_URL goes through a fault-injecting proxy (faultproxy.c, a
 * thread of s3run) that hits about PPM per million requests with each of: 503, 500
 * after the store acted, reset before, reset after, a 100 ms stall, a slow answer —
 * always within what the client's retries absorb, so COMMAND sees slow, flaky storage.
 * runs COMMAND, stops the cluster (also when s3run itself is killed: see s3test.c) and
 * exits with COMMAND's status. A cluster that does not start is a failure (exit 1),
 * never a skip. Used by ctest (label s3) to run the file:// engine tests on s3://.
 */
#include "s3test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *prefix = "db";
    long faults = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
            prefix = argv[++i];
        else if (!strcmp(argv[i], "--faults") && i + 1 < argc) {
            faults = strtol(argv[++i], NULL, 10);
            if (faults <= 0 || faults > 100000) {
                fprintf(stderr, "s3run: --faults wants 1..100000 (per million, per kind)\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--help")) {
            printf("usage: s3run [--prefix NAME] [--faults PPM] [--] COMMAND [ARGS...]\n"
                   "Starts a throwaway Ceph (tests/s3/ceph-up.sh), exports AWS_*,\n"
                   "TWILL_TEST_S3_ENDPOINT and TWILL_TEST_URL, runs COMMAND, stops Ceph.\n");
            return 0;
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "s3run: no command (see --help)\n");
        return 2;
    }
    s3t_ceph c;
    if (s3t_ceph_up(&c) != 0) {
        fprintf(stderr, "s3run: the Ceph cluster did not start: FAILED\n");
        return 1;
    }
    fprintf(stderr, "s3run: radosgw at %s (started in %.0f ms)\n", c.endpoint, c.up_ms);
    char url[600];
    fp_proxy *proxy = NULL;
    if (faults) {
        proxy = fp_start(c.port, (uint64_t)getpid());
        if (!proxy) {
            s3t_ceph_down(&c);
            return 1;
        }
        uint32_t f = (uint32_t)faults;
        fp_set(proxy, &(fp_faults){.ppm = {0, f, f, f, f, f, f}, .stall_ms = 100, .slow_ms = 20});
        fprintf(stderr, "s3run: fault proxy at %s, %ld ppm per fault kind\n", fp_endpoint(proxy),
                faults);
    }
    s3t_url(url, sizeof url, proxy ? fp_endpoint(proxy) : c.endpoint, prefix);
    setenv("TWILL_TEST_S3_ENDPOINT", c.endpoint, 1);
    setenv("TWILL_TEST_URL", url, 1);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        execvp(argv[i], argv + i);
        fprintf(stderr, "s3run: cannot run %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    int st = 0, rc = 1;
    if (pid < 0)
        fprintf(stderr, "s3run: fork: %s\n", strerror(errno));
    else {
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(st))
            rc = WEXITSTATUS(st);
        else {
            fprintf(stderr, "s3run: %s died of signal %d\n", argv[i], WTERMSIG(st));
            rc = 1;
        }
    }
    if (proxy) {
        fp_stats st;
        fp_get_stats(proxy, &st);
        fprintf(stderr, "s3run: proxy: %llu requests", (unsigned long long)st.requests);
        for (int k = 1; k < FP_NKINDS; k++)
            fprintf(stderr, ", %s %llu", fp_kind_name(k), (unsigned long long)st.injected[k]);
        fprintf(stderr, "\n");
        fp_stop(proxy);
    }
    s3t_ceph_down(&c);
    return rc;
}
