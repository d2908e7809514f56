/*
 * s3run — runs one command against a throwaway Ceph cluster:
 *
 *   s3run [--prefix NAME] [--] COMMAND [ARGS...]
 *
 * starts the cluster (ceph-up.sh), creates the bucket, exports the AWS_* variables the
 * s3:// backend reads plus
 *   TWILL_TEST_S3_ENDPOINT  http://127.0.0.1:PORT of radosgw
 *   TWILL_TEST_URL          s3://twill/NAME?endpoint=... (NAME: --prefix, else "db")
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
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
            prefix = argv[++i];
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: s3run [--prefix NAME] [--] COMMAND [ARGS...]\n"
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
    s3t_url(url, sizeof url, c.endpoint, prefix);
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
    s3t_ceph_down(&c);
    return rc;
}
