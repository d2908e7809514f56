#include "pgtmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Everything the stop path needs is prepared while starting, in static storage, so that
 * stopping from a signal handler only spawns and waits (no allocation, no stdio). */
static struct {
    volatile sig_atomic_t have_dir, running, stopping;
    int keep, as_user;
    char root[256], datadir[300], setup_log[300], server_log[300];
    char pg_ctl[600], initdb[600];
    char reuid[48], regid[48];
    char *stop_argv[16];
    char *rm_argv[5];
} P;

static const int FATAL_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGABRT};

/* Builds argv in `out`: when running as root, the command is prefixed with setpriv so
 * that it runs with the unprivileged user's uid/gid and no supplementary groups. */
static int wrap_argv(char **out, int cap, char *const *cmd) {
    int n = 0;
    if (P.as_user) {
        out[n++] = "setpriv";
        out[n++] = P.reuid;
        out[n++] = P.regid;
        out[n++] = "--clear-groups";
        out[n++] = "--";
    }
    for (int i = 0; cmd[i]; i++) {
        if (n >= cap - 1) return -1;
        out[n++] = cmd[i];
    }
    out[n] = NULL;
    return 0;
}

/* Runs argv with stdin from /dev/null and stdout+stderr appended to `log` (NULL: to
 * /dev/null); returns the exit status, or -1 if it could not be run. posix_spawn rather
 * than fork: the Twill library registers fork handlers, which must not run here (this
 * may be called from a signal handler). */
static int spawn_wait(char *const *argv, const char *log) {
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa)) return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

void pgtmp_stop(void) {
    if (P.stopping) return;
    P.stopping = 1;
    if (P.running) {
        spawn_wait(P.stop_argv, NULL);
        P.running = 0;
    }
    if (P.have_dir && !P.keep) {
        spawn_wait(P.rm_argv, NULL);
        P.have_dir = 0;
    }
    P.stopping = 0;
}

static void on_fatal_signal(int sig) {
    pgtmp_stop();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Appends the last `max` bytes of a log file to err (the reason PostgreSQL gave). */
static void append_tail(char *err, size_t cap, const char *title, const char *path, long max) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t used = strlen(err);
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > max)
            fseek(f, size - max, SEEK_SET);
        else
            fseek(f, 0, SEEK_SET);
    }
    if (used + 1 < cap) {
        snprintf(err + used, cap - used, "\n--- %s (tail) ---\n", title);
        used = strlen(err);
    }
    size_t n = used + 1 < cap ? fread(err + used, 1, cap - used - 1, f) : 0;
    err[used + n] = '\0';
    fclose(f);
}

static int fail(char *err, size_t cap, const char *fmt, const char *arg) {
    snprintf(err, cap, fmt, arg);
    append_tail(err, cap, "initdb / pg_ctl output", P.setup_log, 1500);
    append_tail(err, cap, "server log", P.server_log, 1500);
    pgtmp_stop();
    return -1;
}

int pgtmp_start(const pgtmp_opts *o, char *root, size_t rootcap, char *conninfo,
                size_t conninfo_cap, char *err, size_t errcap) {
    memset((void *)&P, 0, sizeof P);
    P.keep = o->keep;
    uid_t uid = 0;
    gid_t gid = 0;
    if (geteuid() == 0) {
        const char *name = o->user;
        struct passwd *pw = getpwnam(name ? name : "postgres");
        if (!pw && !name) pw = getpwnam(name = "nobody");
        if (!pw || pw->pw_uid == 0) {
            snprintf(err, errcap,
                     "running as root, and PostgreSQL refuses to run as root: no unprivileged "
                     "user \"%s\" to run it as (use --pg-user NAME)",
                     name ? name : "postgres");
            return -1;
        }
        uid = pw->pw_uid;
        gid = pw->pw_gid;
        P.as_user = 1;
        snprintf(P.reuid, sizeof P.reuid, "--reuid=%u", (unsigned)uid);
        snprintf(P.regid, sizeof P.regid, "--regid=%u", (unsigned)gid);
    }

    /* The cluster lives under $TMPDIR (or /tmp), not the build tree: the unprivileged
     * user must be able to reach it, and the Unix socket path must stay short. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 100 || strpbrk(tmp, "' \"\\")) tmp = "/tmp";
    snprintf(P.root, sizeof P.root, "%s/twill-diff-XXXXXX", tmp);
    if (!mkdtemp(P.root)) {
        snprintf(err, errcap, "mkdtemp %s: %s", P.root, strerror(errno));
        return -1;
    }
    P.have_dir = 1;
    snprintf(P.datadir, sizeof P.datadir, "%s/pg", P.root);
    snprintf(P.setup_log, sizeof P.setup_log, "%s/setup.log", P.root);
    snprintf(P.server_log, sizeof P.server_log, "%s/server.log", P.root);
    snprintf(P.pg_ctl, sizeof P.pg_ctl, "%s/pg_ctl", o->bindir);
    snprintf(P.initdb, sizeof P.initdb, "%s/initdb", o->bindir);
    P.rm_argv[0] = "rm";
    P.rm_argv[1] = "-rf";
    P.rm_argv[2] = "--";
    P.rm_argv[3] = P.root;
    P.rm_argv[4] = NULL;
    char *stop[] = {P.pg_ctl, "-D", P.datadir, "-m", "immediate", "-w", "-s", "stop", NULL};
    wrap_argv(P.stop_argv, 16, stop);

    atexit(pgtmp_stop);
    for (size_t i = 0; i < sizeof FATAL_SIGNALS / sizeof FATAL_SIGNALS[0]; i++) {
        struct sigaction sa = {.sa_handler = on_fatal_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(FATAL_SIGNALS[i], &sa, NULL);
    }
    snprintf(root, rootcap, "%s", P.root);

    if (P.as_user && chown(P.root, uid, gid) != 0)
        return fail(err, errcap, "chown %s: cannot hand the directory to the PostgreSQL user",
                    P.root);
    if (access(P.initdb, X_OK) != 0 || access(P.pg_ctl, X_OK) != 0)
        return fail(err, errcap,
                    "PostgreSQL server programs not found in %s (install postgresql-15: "
                    "scripts/install-deps.sh, or pass --pg-bindir)",
                    o->bindir);

    /* C locale: Twill compares text by bytes, as COLLATE "C" does. */
    char *init[] = {P.initdb,   "-D", P.datadir, "-A",         "trust",     "-U",
                    "postgres", "-E", "UTF8",    "--locale=C", "--no-sync", NULL};
    char *argv[32];
    wrap_argv(argv, 32, init);
    int rc = spawn_wait(argv, P.setup_log);
    if (rc != 0)
        return fail(err, errcap, rc < 0 ? "could not run initdb (%s)" : "initdb failed (%s)",
                    P.initdb);

    for (int attempt = 0; attempt < 3; attempt++) {
        int port = free_port();
        if (port < 0) return fail(err, errcap, "no free TCP port on %s", "127.0.0.1");
        char opts[700];
        snprintf(opts, sizeof opts,
                 "-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='%s' "
                 "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                 "-c autovacuum=off -c max_connections=10 -c statement_timeout=60s "
                 "-c extra_float_digits=1 -c TimeZone=UTC",
                 port, P.root);
        char *start[] = {P.pg_ctl, "-D", P.datadir, "-l", P.server_log, "-o", opts,
                         "-w",     "-t", "60",      "-s", "start",      NULL};
        wrap_argv(argv, 32, start);
        P.running = 1; /* pg_ctl may have started it even if it reports failure */
        rc = spawn_wait(argv, P.setup_log);
        if (rc == 0) {
            snprintf(conninfo, conninfo_cap,
                     "host=127.0.0.1 port=%d user=postgres dbname=postgres connect_timeout=20",
                     port);
            return 0;
        }
        spawn_wait(P.stop_argv, NULL);
        P.running = 0;
    }
    return fail(err, errcap, "pg_ctl could not start PostgreSQL (%s)", P.datadir);
}
