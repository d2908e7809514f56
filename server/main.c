/*
 * main.c — twill-server: command line, signals, the one shared database, and the
 * listener. Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when the
 * database cannot be opened or closed, 2 for bad usage or a listen failure.
 */
#include "listener.h"
#include "log.h"
#include "tls.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig) {
    (void)sig;
    int e = errno;
    /* The pipe is never drained: once readable it wakes every waiter for good. */
    ssize_t w = write(stop_pipe[1], "x", 1);
    (void)w;
    errno = e;
}

static void usage(FILE *f) {
    fprintf(f, "Usage: twill-server --listen HOST:PORT --db URL [options]\n"
               "\n"
               "Serves a Twill DB database to PostgreSQL clients (wire protocol v3).\n"
               "\n"
               "  --listen HOST:PORT        address to listen on, e.g. 127.0.0.1:5433\n"
               "  --db URL                  database URL, e.g. file://./twill-data\n"
               "  --db-options OPTS         twill_open options, e.g. \"cache_mb=512\"\n"
               "  --max-connections N       client limit (default 100); past it: 53300\n"
               "  --password-file FILE      require SCRAM-SHA-256 with the password on the\n"
               "                            file's first line (or set TWILL_PASSWORD)\n"
               "  --allow-insecure-remote   listen on a non-loopback address without a password\n"
               "  --tls-cert FILE           PEM certificate (chain): answer SSLRequest with TLS\n"
               "  --tls-key FILE            PEM private key of --tls-cert\n"
               "  --auth-over-tls METHOD    scram-sha-256 (default) or password: cleartext\n"
               "                            password authentication on TLS connections\n"
               "  --idle-in-transaction-timeout MS\n"
               "                            end sessions idle inside a transaction that long\n"
               "                            (default 0: never)\n"
               "  --slow-query-ms MS        log statements slower than MS (default 1000; -1 off)\n"
               "  --shutdown-grace MS       at SIGTERM, time running statements get before they\n"
               "                            are cancelled (default 10000)\n"
               "  --log-level LEVEL         error, warn, info (default) or debug\n"
               "  --help                    this text\n"
               "  --version                 version\n"
               "\n"
               "Connect with: psql \"host=127.0.0.1 port=5433 user=postgres sslmode=disable\"\n");
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int read_password(const char *path, char *out, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    out[strcspn(out, "\r\n")] = 0;
    return out[0] ? 0 : -1;
}

int main(int argc, char **argv) {
    static struct option opts[] = {
        {"listen", required_argument, 0, 'l'},
        {"db", required_argument, 0, 'd'},
        {"db-options", required_argument, 0, 'o'},
        {"max-connections", required_argument, 0, 'm'},
        {"password-file", required_argument, 0, 'p'},
        {"allow-insecure-remote", no_argument, 0, 'A'},
        {"tls-cert", required_argument, 0, 'c'},
        {"tls-key", required_argument, 0, 'k'},
        {"auth-over-tls", required_argument, 0, 'a'},
        {"idle-in-transaction-timeout", required_argument, 0, 'I'},
        {"slow-query-ms", required_argument, 0, 'S'},
        {"shutdown-grace", required_argument, 0, 'G'},
        {"log-level", required_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    tws_server srv;
    memset(&srv, 0, sizeof srv);
    srv.cfg.max_connections = 100;
    srv.cfg.slow_query_ms = 1000;
    srv.cfg.shutdown_grace = 10000;
    const char *password_file = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'l':
            srv.cfg.listen = optarg;
            break;
        case 'd':
            srv.cfg.db_url = optarg;
            break;
        case 'o':
            srv.cfg.db_opts = optarg;
            break;
        case 'm':
            bad = parse_int(optarg, 1, 100000, &srv.cfg.max_connections);
            break;
        case 'p':
            password_file = optarg;
            break;
        case 'A':
            srv.cfg.allow_insecure_remote = 1;
            break;
        case 'c':
            srv.cfg.tls_cert = optarg;
            break;
        case 'k':
            srv.cfg.tls_key = optarg;
            break;
        case 'a':
            if (!strcmp(optarg, "password"))
                srv.cfg.cleartext_over_tls = 1;
            else
                bad = strcmp(optarg, "scram-sha-256") != 0;
            break;
        case 'I':
            bad = parse_int(optarg, 0, 1 << 30, &srv.cfg.idle_tx_timeout);
            break;
        case 'S':
            bad = parse_int(optarg, -1, 1 << 30, &srv.cfg.slow_query_ms);
            break;
        case 'G':
            bad = parse_int(optarg, 0, 1 << 30, &srv.cfg.shutdown_grace);
            break;
        case 'L': {
            int lv = tws_log_parse_level(optarg);
            if (lv < 0)
                bad = 1;
            else
                tws_log_set_level(lv);
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("twill-server %s (PostgreSQL protocol 3.0, server_version 15.0)\n",
                   twill_version());
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "twill-server: bad value \"%s\" for --%s\n", optarg,
                    opts[0].name ? "option" : "");
            return 2;
        }
    }
    if (optind < argc || !srv.cfg.listen || !srv.cfg.db_url) {
        fprintf(stderr, "twill-server: --listen and --db are required\n\n");
        usage(stderr);
        return 2;
    }
    if (!srv.cfg.tls_cert != !srv.cfg.tls_key) {
        fprintf(stderr, "twill-server: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (srv.cfg.tls_cert && !(srv.tls_ctx = tws_tls_ctx_new(srv.cfg.tls_cert, srv.cfg.tls_key)))
        return 2;
    char password[1024] = "";
    const char *env = getenv("TWILL_PASSWORD");
    if (password_file) {
        if (read_password(password_file, password, sizeof password)) {
            fprintf(stderr, "twill-server: cannot read a password from %s\n", password_file);
            return 2;
        }
    } else if (env && *env) {
        snprintf(password, sizeof password, "%s", env);
    }
    if (password[0]) {
        if (tws_scram_secret_make(password, &srv.secret)) {
            fprintf(stderr, "twill-server: cannot derive the SCRAM secret\n");
            return 1;
        }
        srv.have_password = 1;
        memset(password, 0, sizeof password);
    }

    if (pipe2(stop_pipe, O_CLOEXEC)) {
        perror("twill-server: pipe");
        return 1;
    }
    srv.stop_fd = stop_pipe[0];
    pthread_mutex_init(&srv.mu, NULL);
    pthread_cond_init(&srv.idle, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    tws_listener l;
    char err[512] = "";
    if (tws_listen(&srv, &l, err, sizeof err)) {
        fprintf(stderr, "twill-server: %s\n", err);
        return 2;
    }
    if (twill_open(srv.cfg.db_url, srv.cfg.db_opts, &srv.db) != TWILL_OK) {
        fprintf(stderr, "twill-server: cannot open %s: %s (SQLSTATE %s)\n", srv.cfg.db_url,
                twill_open_errmsg(), twill_open_sqlstate());
        for (int i = 0; i < l.n; i++) close(l.fds[i]);
        return 1;
    }
    char q[300];
    tws_log(TWS_LOG_INFO, "listening", "addr=%s db=%s auth=%s tls=%s max_connections=%d version=%s",
            l.bound, tws_log_quote(srv.cfg.db_url, q, sizeof q),
            srv.have_password ? "scram-sha-256" : "trust", srv.tls_ctx ? "on" : "off",
            srv.cfg.max_connections, twill_version());
    tws_serve(&srv, &l);
    int rc = twill_close(srv.db);
    tws_log(rc == TWILL_OK ? TWS_LOG_INFO : TWS_LOG_ERROR, "shutdown_complete", "close=%s",
            twill_errstr(rc));
    pthread_cond_destroy(&srv.idle);
    pthread_mutex_destroy(&srv.mu);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    tws_tls_ctx_free(srv.tls_ctx);
    /* Frees libcrypto's algorithm caches now, so leak checkers see a clean exit. */
    OPENSSL_cleanup();
    return rc == TWILL_OK ? 0 : 1;
}
