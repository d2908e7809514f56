/*
 * test_server.c — twill-server over libpq: starts the server binary (argv[1]) on
 * 127.0.0.1 on a free port with a database in a temporary directory, talks to it as a
 * PostgreSQL client would, and stops it with SIGTERM.
 *
 * Covered: simple query with several statements and their command tags, errors with
 * SQLSTATE and position, PQexecParams with text and binary parameters and results,
 * prepared statements and Describe, pipelining, transaction status, a raw-socket client
 * sending malformed or oversized messages (only that connection ends), a client that
 * drops mid-transaction (rolled back), the connection limit, CancelRequest of a long
 * query, SCRAM-SHA-256, and SIGTERM exiting 0 with committed data durable on restart;
 * pipelines as implicit transactions, 40001 on a write-write conflict, binary
 * date/timestamp/timestamptz/interval/numeric, bad input inside an open block.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int checks, failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

static const char *server_bin;
static char tmpdir[512];
static pid_t running = -1; /* killed if the test exits early */

static void kill_running(void) {
    if (running > 0) kill(running, SIGKILL);
}

typedef struct server {
    pid_t pid;
    int port;
    char conninfo[256];
} server;

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &l)) {
        perror("free_port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Starts twill-server with the database `db` and extra arguments; waits until it
 * accepts connections. */
static void start_server(server *s, const char *db, const char *extra1, const char *extra2,
                         const char *password) {
    s->port = free_port();
    snprintf(s->conninfo, sizeof s->conninfo,
             "host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable%s%s", s->port,
             password ? " password=" : "", password ? password : "");
    char listen[64], url[700], logp[600];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    snprintf(url, sizeof url, "file://%s/%s", tmpdir, db);
    snprintf(logp, sizeof logp, "%s/server.log", tmpdir);
    s->pid = fork();
    if (s->pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            /* Not the test's stdout: ctest waits for every holder of its pipe. */
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const char *argv[12] = {server_bin, "--listen",         listen, "--db",
                                url,        "--shutdown-grace", "3000"};
        int n = 7;
        if (extra1) argv[n++] = extra1;
        if (extra2) argv[n++] = extra2;
        argv[n] = NULL;
        execv(server_bin, (char *const *)argv);
        _exit(127);
    }
    running = s->pid;
    for (int i = 0; i < 200; i++) {
        char pinfo[300];
        snprintf(pinfo, sizeof pinfo, "host=127.0.0.1 port=%d user=postgres sslmode=disable",
                 s->port);
        PGPing ping = PQping(pinfo);
        if (ping == PQPING_OK || ping == PQPING_REJECT) {
            /* The ping's connection ends asynchronously on the server: let it go before
             * tests that count connections. */
            sleep_ms(100);
            return;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "server did not start (see %s)\n", logp);
    exit(1);
}

/* SIGTERM; returns the exit status (-1 if it did not exit normally). */
static int stop_server(server *s) {
    kill(s->pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 400; i++) {
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            running = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    running = -1;
    return -1;
}

static PGconn *connect_ok(const server *s) {
    PGconn *c = PQconnectdb(s->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "connect failed: %s\n", PQerrorMessage(c));
        exit(1);
    }
    return c;
}

static void exec_ok(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        failures++;
        fprintf(stderr, "exec failed: %s: %s", sql, PQerrorMessage(c));
    }
    checks++;
    PQclear(r);
}

/* The single value of a one-row query, as text, into out. */
static void query1(PGconn *c, const char *sql, char *out, size_t cap) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(out, cap, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    else
        snprintf(out, cap, "<error: %s>", PQerrorMessage(c));
    PQclear(r);
}

static const char *sqlstate(const PGresult *r) {
    const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return s ? s : "";
}

/* ---- tests ---- */

static void test_simple(const server *s) {
    PGconn *c = connect_ok(s);
    CHECK(PQserverVersion(c) >= 150000 && PQserverVersion(c) < 160000);
    CHECK(!strcmp(PQparameterStatus(c, "server_encoding"), "UTF8"));
    CHECK(!strcmp(PQparameterStatus(c, "standard_conforming_strings"), "on"));
    CHECK(PQbackendPID(c) > 0);
    CHECK(PQsendQuery(c, "CREATE TABLE kv (k INT PRIMARY KEY, v TEXT); INSERT INTO kv VALUES "
                         "(1, 'one'), (2, 'two'); UPDATE kv SET v = 'TWO' WHERE k = 2; "
                         "SELECT k, v FROM kv ORDER BY k; DELETE FROM kv WHERE k > 5; BEGIN; "
                         "COMMIT"));
    const char *tags[] = {"CREATE TABLE", "INSERT 0 2", "UPDATE 1", "SELECT 2",
                          "DELETE 0",     "BEGIN",      "COMMIT"};
    int i = 0;
    PGresult *r;
    while ((r = PQgetResult(c))) {
        if (i < 7) {
            CHECK(!strcmp(PQcmdStatus(r), tags[i]));
            if (strcmp(PQcmdStatus(r), tags[i]))
                fprintf(stderr, "  tag %d: %s (want %s)\n", i, PQcmdStatus(r), tags[i]);
        }
        if (i == 3) {
            CHECK(PQntuples(r) == 2 && PQnfields(r) == 2);
            CHECK(PQftype(r, 0) == 23 && PQftype(r, 1) == 25);
            CHECK(!strcmp(PQfname(r, 1), "v"));
            CHECK(!strcmp(PQgetvalue(r, 1, 1), "TWO"));
        }
        i++;
        PQclear(r);
    }
    CHECK(i == 7);
    /* An empty query. */
    r = PQexec(c, "  -- nothing\n");
    CHECK(PQresultStatus(r) == PGRES_EMPTY_QUERY);
    PQclear(r);
    /* Errors: SQLSTATE and position in the whole query text. */
    r = PQexec(c, "SELECT 1; SELECT * FROM missing_table");
    CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR);
    CHECK(!strcmp(sqlstate(r), "42P01"));
    const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
    CHECK(pos && atoi(pos) == 25);
    PQclear(r);
    r = PQexec(c, "SELECT 1 +");
    CHECK(!strcmp(sqlstate(r), "42601"));
    PQclear(r);
    /* Statements after a failed one in the same query do not run. */
    r = PQexec(c, "INSERT INTO kv VALUES (1, 'dup'); INSERT INTO kv VALUES (3, 'three')");
    CHECK(!strcmp(sqlstate(r), "23505"));
    PQclear(r);
    char v[64];
    query1(c, "SELECT count(*) FROM kv", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* Several statements form one implicit transaction: a later error undoes the
     * earlier ones, and the session is idle afterwards. */
    r = PQexec(c, "INSERT INTO kv VALUES (10, 'ten'); SELECT 1/0");
    CHECK(!strcmp(sqlstate(r), "22012"));
    PQclear(r);
    CHECK(PQtransactionStatus(c) == PQTRANS_IDLE);
    query1(c, "SELECT count(*) FROM kv", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    exec_ok(c, "INSERT INTO kv VALUES (10, 'ten'); DELETE FROM kv WHERE k = 10");
    query1(c, "SELECT count(*) FROM kv", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* Types and NULLs. */
    exec_ok(c, "CREATE TABLE ty (i2 SMALLINT, i8 BIGINT, f4 REAL, f8 FLOAT8, b BOOL, "
               "by BYTEA, vc VARCHAR(10))");
    exec_ok(c, "INSERT INTO ty VALUES (-2, 9000000000, 1.5, 0.1, true, '\\x00ff', 'abc'), "
               "(NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    r = PQexec(c, "SELECT * FROM ty ORDER BY i2 NULLS LAST");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 2);
    if (PQntuples(r) == 2) {
        CHECK(PQftype(r, 0) == 21 && PQftype(r, 1) == 20 && PQftype(r, 2) == 700 &&
              PQftype(r, 3) == 701 && PQftype(r, 4) == 16 && PQftype(r, 5) == 17 &&
              PQftype(r, 6) == 1043);
        CHECK(PQfmod(r, 6) == 14);
        CHECK(!strcmp(PQgetvalue(r, 0, 1), "9000000000"));
        CHECK(!strcmp(PQgetvalue(r, 0, 3), "0.1"));
        CHECK(!strcmp(PQgetvalue(r, 0, 4), "t"));
        CHECK(!strcmp(PQgetvalue(r, 0, 5), "\\x00ff"));
        CHECK(PQgetisnull(r, 1, 0) && PQgetisnull(r, 1, 6));
    }
    PQclear(r);
    PQfinish(c);
}

static uint32_t be32(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void test_params(const server *s) {
    PGconn *c = connect_ok(s);
    exec_ok(c, "CREATE TABLE p (id INT PRIMARY KEY, big BIGINT, f FLOAT8, ok BOOL, t TEXT, "
               "raw BYTEA)");
    /* Text parameters, types unspecified. */
    const char *tv[] = {"1", "12345678901", "2.5", "true", "hello", "\\xdeadbeef"};
    PGresult *r = PQexecParams(c, "INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6)", 6, NULL, tv,
                               NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "INSERT 0 1"));
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fprintf(stderr, "  %s", PQerrorMessage(c));
    PQclear(r);
    /* Binary parameters with declared types. */
    Oid types[] = {23, 20, 701, 16, 25, 17};
    uint32_t id = htonl(2);
    int64_t big = -5;
    unsigned char bigbe[8], fbe[8];
    for (int i = 0; i < 8; i++) bigbe[i] = (unsigned char)((uint64_t)big >> (56 - 8 * i));
    double f = -0.25;
    uint64_t fu;
    memcpy(&fu, &f, 8);
    for (int i = 0; i < 8; i++) fbe[i] = (unsigned char)(fu >> (56 - 8 * i));
    char okb = 0;
    const char raw[] = {0, 1, 2, (char)0xff};
    const char *bv[] = {
        (const char *)&id, (const char *)bigbe, (const char *)fbe, &okb, "bin", raw};
    int lens[] = {4, 8, 8, 1, 3, 4};
    int fmts[] = {1, 1, 1, 1, 1, 1};
    r = PQexecParams(c, "INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6)", 6, types, bv, lens, fmts,
                     0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fprintf(stderr, "  %s", PQerrorMessage(c));
    PQclear(r);
    /* Text results. */
    const char *one[] = {"2"};
    r = PQexecParams(c, "SELECT big, f, ok, t, raw FROM p WHERE id = $1", 1, NULL, one, NULL, NULL,
                     0);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1);
    if (PQntuples(r) == 1) {
        CHECK(!strcmp(PQgetvalue(r, 0, 0), "-5"));
        CHECK(!strcmp(PQgetvalue(r, 0, 1), "-0.25"));
        CHECK(!strcmp(PQgetvalue(r, 0, 2), "f"));
        CHECK(!strcmp(PQgetvalue(r, 0, 3), "bin"));
        CHECK(!strcmp(PQgetvalue(r, 0, 4), "\\x000102ff"));
    }
    PQclear(r);
    /* Binary results. */
    r = PQexecParams(c, "SELECT id, big, f, ok, t, raw FROM p WHERE id = 1", 0, NULL, NULL, NULL,
                     NULL, 1);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1);
    if (PQntuples(r) == 1) {
        CHECK(PQfformat(r, 0) == 1 && PQgetlength(r, 0, 0) == 4 && be32(PQgetvalue(r, 0, 0)) == 1);
        CHECK(PQgetlength(r, 0, 1) == 8);
        const char *b = PQgetvalue(r, 0, 1);
        CHECK(be32(b) == 2 && be32(b + 4) == (uint32_t)(12345678901ull - (2ull << 32)));
        CHECK(PQgetlength(r, 0, 2) == 8);
        uint64_t du = (uint64_t)be32(PQgetvalue(r, 0, 2)) << 32 | be32(PQgetvalue(r, 0, 2) + 4);
        double d;
        memcpy(&d, &du, 8);
        CHECK(d == 2.5);
        CHECK(PQgetlength(r, 0, 3) == 1 && PQgetvalue(r, 0, 3)[0] == 1);
        CHECK(PQgetlength(r, 0, 4) == 5 && !memcmp(PQgetvalue(r, 0, 4), "hello", 5));
        CHECK(PQgetlength(r, 0, 5) == 4 && !memcmp(PQgetvalue(r, 0, 5), "\xde\xad\xbe\xef", 4));
    }
    PQclear(r);
    /* numeric: text is exact; binary is numeric_send's layout (bytes as PostgreSQL 15 sends) */
    r = PQexecParams(c, "SELECT -123.4500, 1.0/3, 0::numeric, 0.0001", 0, NULL, NULL, NULL, NULL,
                     1);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1);
    if (PQntuples(r) == 1) {
        static const char n0[] = "\x00\x02\x00\x00\x40\x00\x00\x04\x00\x7b\x11\x94";
        static const char n1[] =
            "\x00\x05\xff\xff\x00\x00\x00\x14\x0d\x05\x0d\x05\x0d\x05\x0d\x05\x0d\x05";
        static const char n3[] = "\x00\x01\xff\xff\x00\x00\x00\x04\x00\x01";
        CHECK(PQftype(r, 0) == 1700);
        CHECK(PQgetlength(r, 0, 0) == 12 && !memcmp(PQgetvalue(r, 0, 0), n0, 12));
        CHECK(PQgetlength(r, 0, 1) == 18 && !memcmp(PQgetvalue(r, 0, 1), n1, 18));
        CHECK(PQgetlength(r, 0, 2) == 8 && !memcmp(PQgetvalue(r, 0, 2), "\0\0\0\0\0\0\0\0", 8));
        CHECK(PQgetlength(r, 0, 3) == 10 && !memcmp(PQgetvalue(r, 0, 3), n3, 10));
    }
    PQclear(r);
    char nv[64];
    query1(c, "SELECT 0.1 + 0.2", nv, sizeof nv);
    CHECK(!strcmp(nv, "0.3"));
    /* A binary value of the wrong size: an error, and the connection goes on. */
    uint32_t shortv = 0;
    const char *sv[] = {(const char *)&shortv};
    int sl[] = {2};
    int sf[] = {1};
    Oid st[] = {20};
    r = PQexecParams(c, "SELECT $1", 1, st, sv, sl, sf, 0);
    CHECK(!strcmp(sqlstate(r), "22P03"));
    PQclear(r);
    char v[64];
    query1(c, "SELECT count(*) FROM p", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    PQfinish(c);
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint64_t be64(const char *p) {
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put64(char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (char)(v >> (56 - 8 * i));
}

/* Binary date, timestamp, timestamptz, interval and numeric, both ways (PostgreSQL's
 * send/recv layouts: days / microseconds since 2000-01-01, interval as microseconds,
 * days, months; numeric in base-10000 digits). */
static void test_binary_datetime(const server *s) {
    PGconn *c = connect_ok(s);
    PGresult *r = PQexecParams(
        c,
        "SELECT '2024-01-02'::date, 'infinity'::date, '2000-01-01 00:00:01.5'::timestamp, "
        "'1999-12-31 23:59:59'::timestamp, '2024-01-02 03:04:05.5+02'::timestamptz, "
        "'1 year 2 mons -3 days +04:05:06.7'::interval, '-1 days +02:03:00'::interval, "
        "'-infinity'::timestamp, '0044-03-15 BC'::date",
        0, NULL, NULL, NULL, NULL, 1);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        CHECK(PQftype(r, 0) == 1082 && PQftype(r, 2) == 1114 && PQftype(r, 4) == 1184 &&
              PQftype(r, 5) == 1186);
        CHECK(PQgetlength(r, 0, 0) == 4 && be32(PQgetvalue(r, 0, 0)) == 8767);
        CHECK(PQgetlength(r, 0, 1) == 4 && be32(PQgetvalue(r, 0, 1)) == 0x7fffffff);
        CHECK(PQgetlength(r, 0, 2) == 8 && be64(PQgetvalue(r, 0, 2)) == 1500000);
        CHECK(PQgetlength(r, 0, 3) == 8 && (int64_t)be64(PQgetvalue(r, 0, 3)) == -1000000);
        CHECK(PQgetlength(r, 0, 4) == 8 && be64(PQgetvalue(r, 0, 4)) == 757472645500000ull);
        const char *iv = PQgetvalue(r, 0, 5);
        CHECK(PQgetlength(r, 0, 5) == 16 && be64(iv) == 14706700000ull &&
              (int32_t)be32(iv + 8) == -3 && be32(iv + 12) == 14);
        iv = PQgetvalue(r, 0, 6);
        CHECK(be64(iv) == 7380000000ull && (int32_t)be32(iv + 8) == -1 && be32(iv + 12) == 0);
        CHECK(be64(PQgetvalue(r, 0, 7)) == 0x8000000000000000ull);
        /* 44 BC is year -43; PostgreSQL 15 sends -746117. */
        int32_t bc = (int32_t)be32(PQgetvalue(r, 0, 8));
        CHECK(bc == -746117);
    }
    PQclear(r);
    exec_ok(c, "CREATE TABLE bdt (id INT PRIMARY KEY, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, "
               "iv INTERVAL, n NUMERIC(20,6))");
    /* The same values back in: binary parameters of declared types. */
    char d[4], ts[8], tz[8], iv[16], num[16];
    put32((unsigned char *)d, 8767);
    put64(ts, 1500000);
    put64(tz, 757472645500000ull);
    put64(iv, 14706700000ull);
    put32((unsigned char *)iv + 8, (uint32_t)-3);
    put32((unsigned char *)iv + 12, 14);
    /* -123.4500: two digits 123, 4500; weight 0; negative; dscale 4. */
    const unsigned char nbin[] = {0, 2, 0, 0, 0x40, 0, 0, 4, 0, 123, 0x11, 0x94};
    memcpy(num, nbin, sizeof nbin);
    const char *vals[] = {"1", d, ts, tz, iv, num};
    int lens[] = {1, 4, 8, 8, 16, (int)sizeof nbin};
    int fmts[] = {0, 1, 1, 1, 1, 1};
    Oid types[] = {23, 1082, 1114, 1184, 1186, 1700};
    r = PQexecParams(c, "INSERT INTO bdt VALUES ($1, $2, $3, $4, $5, $6)", 6, types, vals, lens,
                     fmts, 0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fprintf(stderr, "  %s", PQerrorMessage(c));
    PQclear(r);
    /* 0.0012 (weight -1, digit 12), 100000000 (weight 2, digit 1), and a BC date. */
    const unsigned char small[] = {0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 12};
    const unsigned char large[] = {0, 1, 0, 2, 0, 0, 0, 0, 0, 1};
    put32((unsigned char *)d, (uint32_t)-746117); /* 0044-03-15 BC, as PostgreSQL sends it */
    const char *v2[] = {"2", d, (const char *)small};
    int l2[] = {1, 4, (int)sizeof small};
    int f2[] = {0, 1, 1};
    Oid t2[] = {23, 1082, 1700};
    r = PQexecParams(c, "INSERT INTO bdt (id, d, n) VALUES ($1, $2, $3)", 3, t2, v2, l2, f2, 0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    const char *v3[] = {(const char *)large};
    int l3[] = {(int)sizeof large};
    int f3[] = {1};
    Oid t3[] = {1700};
    r = PQexecParams(c, "SELECT $1::numeric + 1", 1, t3, v3, l3, f3, 0);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "100000001"));
    PQclear(r);
    r = PQexec(c, "SELECT d, ts, tz, iv, n FROM bdt ORDER BY id");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 2);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 2) {
        CHECK(!strcmp(PQgetvalue(r, 0, 0), "2024-01-02"));
        CHECK(!strcmp(PQgetvalue(r, 0, 1), "2000-01-01 00:00:01.5"));
        CHECK(!strcmp(PQgetvalue(r, 0, 2), "2024-01-02 01:04:05.5+00"));
        CHECK(!strcmp(PQgetvalue(r, 0, 3), "1 year 2 mons -3 days +04:05:06.7"));
        CHECK(!strcmp(PQgetvalue(r, 0, 4), "-123.450000"));
        CHECK(!strcmp(PQgetvalue(r, 1, 0), "0044-03-15 BC"));
        CHECK(!strcmp(PQgetvalue(r, 1, 4), "0.001200"));
    }
    PQclear(r);
    /* The table's values out in binary match what went in. */
    int one = 1;
    r = PQexecParams(c, "SELECT d, ts, tz, iv, n FROM bdt WHERE id = 1", 0, NULL, NULL, NULL, NULL,
                     one);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        CHECK(be32(PQgetvalue(r, 0, 0)) == 8767);
        CHECK(!memcmp(PQgetvalue(r, 0, 1), ts, 8) && !memcmp(PQgetvalue(r, 0, 2), tz, 8) &&
              !memcmp(PQgetvalue(r, 0, 3), iv, 16));
        /* -123.450000 with the column's scale 6. */
        const unsigned char n6[] = {0, 2, 0, 0, 0x40, 0, 0, 6, 0, 123, 0x11, 0x94};
        CHECK(PQgetlength(r, 0, 4) == (int)sizeof n6 &&
              !memcmp(PQgetvalue(r, 0, 4), n6, sizeof n6));
    }
    PQclear(r);
    /* A malformed binary numeric is 22P03. */
    const unsigned char badn[] = {0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}; /* digit 10000 */
    const char *v4[] = {(const char *)badn};
    int l4[] = {(int)sizeof badn};
    r = PQexecParams(c, "SELECT $1::numeric", 1, t3, v4, l4, f3, 0);
    CHECK(!strcmp(sqlstate(r), "22P03"));
    PQclear(r);
    PQfinish(c);
}

static void test_prepared(const server *s) {
    PGconn *c = connect_ok(s);
    exec_ok(c, "CREATE TABLE pr (id INT PRIMARY KEY, name TEXT)");
    PGresult *r = PQprepare(c, "ins", "INSERT INTO pr VALUES ($1, $2)", 2, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    for (int i = 1; i <= 20; i++) {
        char id[16], name[16];
        snprintf(id, sizeof id, "%d", i);
        snprintf(name, sizeof name, "n%d", i);
        const char *pv[] = {id, name};
        r = PQexecPrepared(c, "ins", 2, pv, NULL, NULL, 0);
        CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
        PQclear(r);
    }
    r = PQprepare(c, "sel", "SELECT id, name FROM pr WHERE id <= $1 ORDER BY id", 1, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    r = PQdescribePrepared(c, "sel");
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    CHECK(PQnparams(r) == 1 && PQnfields(r) == 2 && PQftype(r, 0) == 23 &&
          !strcmp(PQfname(r, 1), "name"));
    CHECK(PQparamtype(r, 0) == 23); /* inferred from `id <= $1`, as PostgreSQL does */
    PQclear(r);
    r = PQdescribePrepared(c, "ins");
    CHECK(PQnparams(r) == 2 && PQparamtype(r, 0) == 23 && PQparamtype(r, 1) == 25);
    PQclear(r);
    /* a parameter typed by its context takes binary values of that type */
    uint32_t be = htonl(3);
    const char *bv[] = {(const char *)&be};
    int blen[] = {4}, bfmt[] = {1};
    r = PQexecPrepared(c, "sel", 1, bv, blen, bfmt, 0);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 3);
    PQclear(r);
    const char *lim[] = {"5"};
    r = PQexecPrepared(c, "sel", 1, lim, NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 5);
    CHECK(!strcmp(PQcmdStatus(r), "SELECT 5"));
    PQclear(r);
    /* Preparing the same name twice is 42P05; an unknown statement is 26000. */
    r = PQprepare(c, "sel", "SELECT 1", 0, NULL);
    CHECK(!strcmp(sqlstate(r), "42P05"));
    PQclear(r);
    r = PQexecPrepared(c, "nope", 0, NULL, NULL, NULL, 0);
    CHECK(!strcmp(sqlstate(r), "26000"));
    PQclear(r);
    /* Several commands in one prepared statement are refused. */
    r = PQprepare(c, "two", "SELECT 1; SELECT 2", 0, NULL);
    CHECK(!strcmp(sqlstate(r), "42601"));
    PQclear(r);
    /* The unnamed statement is replaced by the next one. */
    r = PQprepare(c, "", "SELECT count(*) FROM pr", 0, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    r = PQexecPrepared(c, "", 0, NULL, NULL, NULL, 0);
    CHECK(PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "20"));
    PQclear(r);
    /* A parameter count mismatch. */
    r = PQexecPrepared(c, "ins", 0, NULL, NULL, NULL, 0);
    CHECK(!strcmp(sqlstate(r), "08P01"));
    PQclear(r);
    CHECK(PQstatus(c) == CONNECTION_OK);
    PQfinish(c);
}

static void test_pipeline(const server *s) {
    PGconn *c = connect_ok(s);
    exec_ok(c, "CREATE TABLE pl (id INT PRIMARY KEY)");
    CHECK(PQenterPipelineMode(c));
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        const char *pv[] = {id};
        CHECK(PQsendQueryParams(c, "INSERT INTO pl VALUES ($1)", 1, NULL, pv, NULL, NULL, 0));
    }
    CHECK(PQsendQueryParams(c, "SELECT count(*) FROM pl", 0, NULL, NULL, NULL, NULL, 0));
    CHECK(PQpipelineSync(c));
    /* After an error the rest of the pipeline up to the sync is skipped. */
    CHECK(PQsendQueryParams(c, "SELECT 1/0", 0, NULL, NULL, NULL, NULL, 0));
    CHECK(PQsendQueryParams(c, "INSERT INTO pl VALUES (100)", 0, NULL, NULL, NULL, NULL, 0));
    CHECK(PQpipelineSync(c));
    int inserts = 0, count_ok = 0, syncs = 0, errors = 0, aborted = 0;
    while (syncs < 2) {
        PGresult *r = PQgetResult(c);
        if (!r) continue; /* end of one query's results */
        switch (PQresultStatus(r)) {
        case PGRES_COMMAND_OK:
            inserts += !strcmp(PQcmdStatus(r), "INSERT 0 1");
            break;
        case PGRES_TUPLES_OK:
            count_ok = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "10");
            break;
        case PGRES_PIPELINE_SYNC:
            syncs++;
            break;
        case PGRES_FATAL_ERROR:
            errors += !strcmp(sqlstate(r), "22012");
            break;
        case PGRES_PIPELINE_ABORTED:
            aborted++;
            break;
        default:
            break;
        }
        PQclear(r);
    }
    CHECK(inserts == 10 && count_ok && errors == 1 && aborted == 1);
    CHECK(PQexitPipelineMode(c));
    char v[64];
    query1(c, "SELECT count(*) FROM pl", v, sizeof v);
    CHECK(!strcmp(v, "10"));
    PQfinish(c);
}

/* A write-write conflict is 40001 (first committer wins), reported the way PostgreSQL
 * reports it, so that clients that retry (pgbench --max-tries) can: at the statement
 * (the block is then failed, 25P02, until ROLLBACK) or at COMMIT (ErrorResponse, then
 * ReadyForQuery idle: the transaction is gone). Either way nothing of it is kept. */
static void test_conflict(const server *s) {
    PGconn *a = connect_ok(s), *b = connect_ok(s);
    exec_ok(a, "CREATE TABLE cf (k INT PRIMARY KEY, v INT); INSERT INTO cf VALUES (1, 0), (2, 0)");
    for (int round = 0; round < 2; round++) {
        int k = round + 1;
        char sql[128], v[64];
        exec_ok(a, "BEGIN ISOLATION LEVEL REPEATABLE READ"); /* READ COMMITTED would re-read */
        snprintf(sql, sizeof sql, "SELECT v FROM cf WHERE k = %d", k);
        query1(a, sql, v, sizeof v); /* the snapshot */
        if (round == 1) {
            /* Both write before either commits. */
            snprintf(sql, sizeof sql, "UPDATE cf SET v = v + 10 WHERE k = %d", k);
            PGresult *r = PQexec(a, sql);
            CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
            PQclear(r);
        }
        snprintf(sql, sizeof sql, "UPDATE cf SET v = v + 1 WHERE k = %d", k);
        exec_ok(b, sql); /* autocommit: commits first */
        snprintf(sql, sizeof sql, "UPDATE cf SET v = v + 100 WHERE k = %d", k);
        PGresult *r = PQexec(a, sql);
        int at_stmt = PQresultStatus(r) == PGRES_FATAL_ERROR;
        if (at_stmt) {
            CHECK(!strcmp(sqlstate(r), "40001"));
            CHECK(PQtransactionStatus(a) == PQTRANS_INERROR);
            PQclear(r);
            r = PQexec(a, "SELECT 1");
            CHECK(!strcmp(sqlstate(r), "25P02"));
            PQclear(r);
            r = PQexec(a, "ROLLBACK");
            CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
        } else {
            CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
            CHECK(PQtransactionStatus(a) == PQTRANS_INTRANS);
            PQclear(r);
            r = PQexec(a, "COMMIT");
            CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR && !strcmp(sqlstate(r), "40001"));
            const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            CHECK(m && !strcmp(m, "could not serialize access due to concurrent update"));
        }
        PQclear(r);
        CHECK(PQtransactionStatus(a) == PQTRANS_IDLE);
        snprintf(sql, sizeof sql, "SELECT v FROM cf WHERE k = %d", k);
        query1(b, sql, v, sizeof v);
        CHECK(!strcmp(v, "1")); /* b's update only */
        /* The retry succeeds. */
        snprintf(sql, sizeof sql, "BEGIN; UPDATE cf SET v = v + 100 WHERE k = %d; COMMIT", k);
        exec_ok(a, sql);
        snprintf(sql, sizeof sql, "SELECT v FROM cf WHERE k = %d", k);
        query1(b, sql, v, sizeof v);
        CHECK(!strcmp(v, "101"));
    }
    PQfinish(a);
    PQfinish(b);
}

/* 1 if a block of c reads b's commit made after its first statement (a fresh
 * snapshot per statement: READ COMMITTED); 0 if it keeps its snapshot. */
static int sees_concurrent_commit(PGconn *c, PGconn *b) {
    char v1[64], v2[64];
    exec_ok(c, "BEGIN");
    query1(c, "SELECT v FROM iso WHERE k = 1", v1, sizeof v1);
    exec_ok(b, "UPDATE iso SET v = v + 1 WHERE k = 1");
    query1(c, "SELECT v FROM iso WHERE k = 1", v2, sizeof v2);
    exec_ok(c, "COMMIT");
    return strcmp(v1, v2) != 0;
}

/* default_transaction_isolation is the server's parameter (SHOW, RESET, startup
 * options, rolled back with its block) and reaches the engine, which starts each
 * transaction at that level; SET transaction_isolation is the engine's. */
static void test_isolation(const server *s) {
    PGconn *a = connect_ok(s), *b = connect_ok(s);
    exec_ok(a, "CREATE TABLE iso (k INT PRIMARY KEY, v INT); INSERT INTO iso VALUES (1, 0)");
    char v[64];
    query1(a, "SHOW transaction_isolation", v, sizeof v);
    CHECK(!strcmp(v, "read committed"));
    CHECK(sees_concurrent_commit(a, b) == 1);
    exec_ok(a, "SET default_transaction_isolation = 'repeatable read'");
    query1(a, "SHOW transaction_isolation", v, sizeof v);
    CHECK(!strcmp(v, "repeatable read"));
    CHECK(sees_concurrent_commit(a, b) == 0);
    /* A SET in a block that rolls back is undone, in the engine too. */
    PGresult *r = PQexec(a, "BEGIN; SET default_transaction_isolation = 'read committed'; "
                            "SELECT 1/0");
    PQclear(r);
    exec_ok(a, "ROLLBACK");
    query1(a, "SHOW default_transaction_isolation", v, sizeof v);
    CHECK(!strcmp(v, "repeatable read"));
    CHECK(sees_concurrent_commit(a, b) == 0);
    exec_ok(a, "RESET ALL");
    CHECK(sees_concurrent_commit(a, b) == 1);
    /* SET transaction_isolation inside a block, as SET TRANSACTION ISOLATION LEVEL. */
    char v1[64], v2[64];
    exec_ok(a, "BEGIN; SET transaction_isolation = 'repeatable read'");
    query1(a, "SELECT v FROM iso WHERE k = 1", v1, sizeof v1);
    exec_ok(b, "UPDATE iso SET v = v + 1 WHERE k = 1");
    query1(a, "SELECT v FROM iso WHERE k = 1", v2, sizeof v2);
    char lv[64];
    query1(a, "SHOW transaction_isolation", lv, sizeof lv); /* the engine knows the block's */
    CHECK(!strcmp(lv, "repeatable read"));
    query1(a, "SHOW TRANSACTION ISOLATION LEVEL", lv, sizeof lv);
    CHECK(!strcmp(lv, "repeatable read"));
    exec_ok(a, "COMMIT");
    CHECK(!strcmp(v1, v2));
    query1(a, "SHOW transaction_isolation", lv, sizeof lv);
    CHECK(!strcmp(lv, "read committed"));
    PQfinish(a);
    /* A startup option (PGOPTIONS) sets it for the whole session. */
    char ci[400];
    snprintf(ci, sizeof ci, "%s options='-c default_transaction_isolation=repeatable\\\\ read'",
             s->conninfo);
    a = PQconnectdb(ci);
    CHECK(PQstatus(a) == CONNECTION_OK);
    if (PQstatus(a) == CONNECTION_OK) CHECK(sees_concurrent_commit(a, b) == 0);
    PQfinish(a);
    PQfinish(b);
}

/* Sends the statements of one pipeline (each through Parse/Bind/Execute, no Sync in
 * between), then Sync; drains the results. Returns the number of errors; *status
 * receives the transaction status after the Sync. */
static int pipeline_run(PGconn *c, const char *const *sqls, int n,
                        PGTransactionStatusType *status) {
    CHECK(PQenterPipelineMode(c));
    for (int i = 0; i < n; i++) CHECK(PQsendQueryParams(c, sqls[i], 0, NULL, NULL, NULL, NULL, 0));
    CHECK(PQpipelineSync(c));
    int errors = 0;
    for (;;) {
        PGresult *r = PQgetResult(c);
        if (!r) continue;
        ExecStatusType st = PQresultStatus(r);
        errors += st == PGRES_FATAL_ERROR;
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC) break;
    }
    *status = PQtransactionStatus(c);
    CHECK(PQexitPipelineMode(c));
    return errors;
}

/* The Executes of a pipeline up to Sync form one implicit transaction, as in
 * PostgreSQL: an error anywhere rolls back the ones before it. */
static void test_pipeline_implicit_txn(const server *s) {
    PGconn *c = connect_ok(s), *d = connect_ok(s);
    exec_ok(c, "CREATE TABLE pit (id INT PRIMARY KEY)");
    PGTransactionStatusType st;
    char v[64];
    const char *ok[] = {"INSERT INTO pit VALUES (1)", "INSERT INTO pit VALUES (2)",
                        "SELECT count(*) FROM pit"};
    CHECK(pipeline_run(c, ok, 3, &st) == 0 && st == PQTRANS_IDLE);
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* An engine error after two inserts: both are rolled back. */
    const char *bad[] = {"INSERT INTO pit VALUES (3)", "INSERT INTO pit VALUES (4)", "SELECT 1/0",
                         "INSERT INTO pit VALUES (5)"};
    CHECK(pipeline_run(c, bad, 4, &st) == 1 && st == PQTRANS_IDLE);
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* A duplicate key in the middle: the same. */
    const char *dup[] = {"INSERT INTO pit VALUES (6)", "INSERT INTO pit VALUES (1)"};
    CHECK(pipeline_run(c, dup, 2, &st) == 1 && st == PQTRANS_IDLE);
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* An error the server finds itself (a Bind of a missing statement) after an insert. */
    CHECK(PQenterPipelineMode(c));
    CHECK(PQsendQueryParams(c, "INSERT INTO pit VALUES (7)", 0, NULL, NULL, NULL, NULL, 0));
    CHECK(PQsendQueryPrepared(c, "no_such_stmt", 0, NULL, NULL, NULL, 0));
    CHECK(PQpipelineSync(c));
    int errors = 0;
    for (;;) {
        PGresult *r = PQgetResult(c);
        if (!r) continue;
        ExecStatusType rs = PQresultStatus(r);
        if (rs == PGRES_FATAL_ERROR) errors += !strcmp(sqlstate(r), "26000");
        PQclear(r);
        if (rs == PGRES_PIPELINE_SYNC) break;
    }
    CHECK(errors == 1 && PQtransactionStatus(c) == PQTRANS_IDLE);
    CHECK(PQexitPipelineMode(c));
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* BEGIN inside the pipeline makes a block of it, the statements before included. */
    const char *blk[] = {"INSERT INTO pit VALUES (8)", "BEGIN", "INSERT INTO pit VALUES (9)"};
    CHECK(pipeline_run(c, blk, 3, &st) == 0 && st == PQTRANS_INTRANS);
    exec_ok(c, "ROLLBACK");
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    /* COMMIT inside the pipeline ends its implicit transaction; later ones start anew. */
    const char *cm[] = {"INSERT INTO pit VALUES (10)", "COMMIT", "INSERT INTO pit VALUES (11)",
                        "SELECT 1/0"};
    CHECK(pipeline_run(c, cm, 4, &st) == 1 && st == PQTRANS_IDLE);
    query1(d, "SELECT count(*) FROM pit WHERE id IN (1, 2, 10)", v, sizeof v);
    CHECK(!strcmp(v, "3"));
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "3"));
    /* An Execute that Sync follows directly (PQexecParams) commits on its own. */
    const char *pv[] = {"12"};
    PGresult *r = PQexecParams(c, "INSERT INTO pit VALUES ($1)", 1, NULL, pv, NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    CHECK(PQtransactionStatus(c) == PQTRANS_IDLE);
    query1(d, "SELECT count(*) FROM pit", v, sizeof v);
    CHECK(!strcmp(v, "4"));
    PQfinish(c);
    PQfinish(d);
}

static void test_txn_status(const server *s) {
    PGconn *c = connect_ok(s);
    PGconn *d = connect_ok(s);
    exec_ok(c, "CREATE TABLE tx (id INT PRIMARY KEY)");
    CHECK(PQtransactionStatus(c) == PQTRANS_IDLE);
    exec_ok(c, "BEGIN");
    CHECK(PQtransactionStatus(c) == PQTRANS_INTRANS);
    exec_ok(c, "INSERT INTO tx VALUES (1)");
    char v[64];
    query1(d, "SELECT count(*) FROM tx", v, sizeof v);
    CHECK(!strcmp(v, "0")); /* not committed yet */
    PGresult *r = PQexec(c, "SELECT 1/0");
    PQclear(r);
    CHECK(PQtransactionStatus(c) == PQTRANS_INERROR);
    r = PQexec(c, "SELECT 1");
    CHECK(!strcmp(sqlstate(r), "25P02"));
    PQclear(r);
    r = PQexec(c, "COMMIT");
    CHECK(!strcmp(PQcmdStatus(r), "ROLLBACK"));
    PQclear(r);
    CHECK(PQtransactionStatus(c) == PQTRANS_IDLE);
    exec_ok(c, "BEGIN; INSERT INTO tx VALUES (2); COMMIT");
    query1(d, "SELECT count(*) FROM tx", v, sizeof v);
    CHECK(!strcmp(v, "1"));
    /* A client that vanishes mid-transaction: its work is rolled back and its row
     * locks (first-committer-wins keys) do not linger. */
    exec_ok(c, "BEGIN; INSERT INTO tx VALUES (3)");
    shutdown(PQsocket(c), SHUT_RDWR);
    PQfinish(c);
    sleep_ms(100);
    query1(d, "SELECT count(*) FROM tx", v, sizeof v);
    CHECK(!strcmp(v, "1"));
    exec_ok(d, "INSERT INTO tx VALUES (3)");
    PQfinish(d);
}

/* ---- raw socket clients ---- */

static int raw_connect(const server *s) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)s->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        perror("raw_connect");
        exit(1);
    }
    return fd;
}

/* Sends a startup packet and reads until ReadyForQuery. 0 on success. */
static int raw_startup(int fd) {
    unsigned char pkt[64];
    const char params[] = "user\0postgres\0\0";
    uint32_t len = 8 + sizeof params - 1;
    put32(pkt, len);
    put32(pkt + 4, 196608);
    memcpy(pkt + 8, params, sizeof params - 1);
    if (write(fd, pkt, len) != (ssize_t)len) return -1;
    char buf[4096];
    size_t have = 0;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0) return -1;
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0) return -1;
        have += (size_t)n;
        /* ReadyForQuery is the last message of the startup answer. */
        if (have >= 6 && buf[have - 6] == 'Z') return 0;
    }
}

/* Reads what the server sends until it closes the socket; returns 1 if it sent a
 * FATAL ErrorResponse with SQLSTATE `code` and then closed. */
static int raw_expect_fatal(int fd, const char *code) {
    char buf[8192];
    size_t have = 0;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0) return 0;
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n < 0) return 0;
        if (n == 0) break;
        have += (size_t)n;
        if (have >= sizeof buf - 1) return 0;
    }
    buf[have] = 0;
    for (size_t i = 0; i + 6 < have; i++)
        if (buf[i] == 'C' && !memcmp(buf + i + 1, code, 5))
            return memmem(buf, have, "FATAL", 5) != 0;
    return 0;
}

/* Sends one typed message. */
static int raw_msg(int fd, char type, const void *payload, size_t n) {
    unsigned char hdr[5] = {(unsigned char)type};
    put32(hdr + 1, (uint32_t)(n + 4));
    if (write(fd, hdr, 5) != 5) return -1;
    return n && write(fd, payload, n) != (ssize_t)n ? -1 : 0;
}

static int raw_query(int fd, const char *sql) {
    return raw_msg(fd, 'Q', sql, strlen(sql) + 1);
}

/* Reads messages until ReadyForQuery. *status gets its transaction status, code the
 * SQLSTATE of the first ErrorResponse ("" if none), *rows the DataRows seen. 0, or -1
 * if the socket closed or stalled first. */
static int raw_until_ready(int fd, char *status, char code[6], int *rows) {
    unsigned char buf[65536];
    size_t have = 0;
    code[0] = 0;
    *rows = 0;
    for (;;) {
        size_t off = 0;
        while (have - off >= 5) {
            uint32_t len = (uint32_t)buf[off + 1] << 24 | (uint32_t)buf[off + 2] << 16 |
                           (uint32_t)buf[off + 3] << 8 | buf[off + 4];
            if (len < 4 || len > sizeof buf - 1) return -1;
            if (have - off < 1 + (size_t)len) break;
            unsigned char t = buf[off];
            if (t == 'D') (*rows)++;
            if (t == 'E' && !code[0]) {
                for (size_t i = off + 5; i < off + 1 + len && buf[i];) {
                    if (buf[i] == 'C') {
                        memcpy(code, buf + i + 1, 5);
                        code[5] = 0;
                    }
                    i += strlen((const char *)buf + i) + 1;
                }
            }
            if (t == 'Z') {
                *status = (char)buf[off + 5];
                return 0;
            }
            off += 1 + (size_t)len;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0) return -1;
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0) return -1;
        have += (size_t)n;
    }
}

/* A raw connection inside a transaction block that inserted `id` into bi. */
static int raw_in_block(const server *s, int id) {
    int fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    char sql[96], st = 0, code[6];
    int rows;
    snprintf(sql, sizeof sql, "BEGIN; INSERT INTO bi VALUES (%d)", id);
    CHECK(raw_query(fd, sql) == 0);
    CHECK(raw_until_ready(fd, &st, code, &rows) == 0 && st == 'T' && !code[0]);
    return fd;
}

/* Bad input from clients inside a transaction block: each ends its own connection
 * (FATAL 08P01) and rolls its block back; the rows it inserted are gone and its key
 * does not block anyone. Errors that PostgreSQL reports without closing the connection
 * (an unknown type OID, an Execute of a portal never bound) do the same here. */
static void test_bad_input_in_txn(const server *s) {
    PGconn *good = connect_ok(s);
    /* A message out of order: a PasswordMessage after authentication. */
    int fd = raw_in_block(s, 100);
    CHECK(raw_msg(fd, 'p', "secret", 7) == 0);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);
    /* A message truncated by its length field (a Parse without its parameter count). */
    fd = raw_in_block(s, 101);
    CHECK(raw_msg(fd, 'P', "\0SELECT 1", 10) == 0);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);
    /* An oversized length field. */
    fd = raw_in_block(s, 102);
    unsigned char big[5] = {'P', 0x50, 0, 0, 0};
    CHECK(write(fd, big, 5) == 5);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);
    /* A client that hangs up in the middle of a message. */
    fd = raw_in_block(s, 103);
    unsigned char half[] = {'Q', 0, 0, 0, 50, 'I', 'N'};
    CHECK(write(fd, half, sizeof half) == (ssize_t)sizeof half);
    close(fd);
    /* A client that just disconnects. */
    fd = raw_in_block(s, 104);
    close(fd);
    /* Unknown parameter type OID in Parse: 42704, not fatal (as in PostgreSQL), and
     * the block is aborted; the connection goes on after ROLLBACK. */
    fd = raw_in_block(s, 105);
    unsigned char parse[] = {0,   'S', 'E', 'L', 'E', 'C', 'T',  ' ', '$',
                             '1', 0,   0,   1,   0,   1,   0x86, 0x9f}; /* OID 99999 */
    CHECK(raw_msg(fd, 'P', parse, sizeof parse) == 0);
    CHECK(raw_msg(fd, 'S', NULL, 0) == 0);
    char st = 0, code[6];
    int rows;
    CHECK(raw_until_ready(fd, &st, code, &rows) == 0 && !strcmp(code, "42704") && st == 'E');
    /* Execute of a portal that was never bound: 34000. */
    CHECK(raw_msg(fd, 'E', "nope\0\0\0\0\0", 9) == 0);
    CHECK(raw_msg(fd, 'S', NULL, 0) == 0);
    CHECK(raw_until_ready(fd, &st, code, &rows) == 0 && !strcmp(code, "34000") && st == 'E');
    CHECK(raw_query(fd, "ROLLBACK") == 0);
    CHECK(raw_until_ready(fd, &st, code, &rows) == 0 && !code[0] && st == 'I');
    CHECK(raw_query(fd, "SELECT 1") == 0);
    CHECK(raw_until_ready(fd, &st, code, &rows) == 0 && !code[0] && rows == 1);
    CHECK(raw_msg(fd, 'X', NULL, 0) == 0);
    close(fd);
    /* A pipeline's Executes without their Sync, then a hang-up: the implicit
     * transaction they ran in is rolled back. */
    fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    for (int id = 106; id <= 107; id++) {
        char pm[64];
        int n = snprintf(pm, sizeof pm, "%cINSERT INTO bi VALUES (%d)", 0, id);
        pm[n] = 0;
        pm[n + 1] = 0;
        pm[n + 2] = 0; /* no parameter types */
        CHECK(raw_msg(fd, 'P', pm, (size_t)n + 3) == 0);
        CHECK(raw_msg(fd, 'B', "\0\0\0\0\0\0\0\0", 8) == 0);
        CHECK(raw_msg(fd, 'E', "\0\0\0\0\0", 5) == 0);
    }
    CHECK(raw_msg(fd, 'H', NULL, 0) == 0); /* Flush: both INSERTs have run */
    {
        /* ParseComplete, BindComplete, CommandComplete, twice. */
        unsigned char buf[256];
        size_t have = 0;
        int tags = 0;
        while (tags < 2) {
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            if (poll(&pf, 1, 5000) <= 0) break;
            ssize_t n = read(fd, buf + have, sizeof buf - have);
            if (n <= 0) break;
            have += (size_t)n;
            tags = 0;
            for (size_t i = 0; i + 5 <= have;) {
                uint32_t len = be32((const char *)buf + i + 1);
                if (i + 1 + len > have) break;
                tags += buf[i] == 'C';
                i += 1 + len;
            }
        }
        CHECK(tags == 2);
    }
    close(fd);
    sleep_ms(200);
    /* Nothing of theirs is left, and nothing of theirs is in the way. */
    char v[64];
    query1(good, "SELECT count(*) FROM bi WHERE id >= 100", v, sizeof v);
    CHECK(!strcmp(v, "0"));
    exec_ok(good, "INSERT INTO bi VALUES (100), (101), (102), (103), (104), (105), (106), (107)");
    query1(good, "SELECT count(*) FROM bi WHERE id >= 100", v, sizeof v);
    CHECK(!strcmp(v, "8"));
    /* Nothing committed before was lost (test_bad_input committed 1 and 2). */
    query1(good, "SELECT count(*) FROM bi WHERE id < 100", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    PQfinish(good);
}

static void test_bad_input(const server *s) {
    PGconn *good = connect_ok(s);
    exec_ok(good, "CREATE TABLE bi (id INT PRIMARY KEY)");
    exec_ok(good, "BEGIN; INSERT INTO bi VALUES (1)");

    /* An unknown message type. */
    int fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    unsigned char m[5] = {'!', 0, 0, 0, 4};
    CHECK(write(fd, m, 5) == 5);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);

    /* An oversized length field. */
    fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    unsigned char big[5] = {'Q', 0x7f, 0xff, 0xff, 0xff};
    CHECK(write(fd, big, 5) == 5);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);

    /* A length below the header size. */
    fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    unsigned char tiny[5] = {'Q', 0, 0, 0, 2};
    CHECK(write(fd, tiny, 5) == 5);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);

    /* A Bind whose fields run past the end of the message. */
    fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    unsigned char bind[] = {'B', 0, 0, 0, 9, 0, 0, 0, 5, 0};
    CHECK(write(fd, bind, sizeof bind) == (ssize_t)sizeof bind);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);

    /* A Query without its terminating NUL. */
    fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    unsigned char q[] = {'Q', 0, 0, 0, 12, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1'};
    CHECK(write(fd, q, sizeof q) == (ssize_t)sizeof q);
    CHECK(raw_expect_fatal(fd, "08P01"));
    close(fd);

    /* A truncated message followed by a hang-up. */
    fd = raw_connect(s);
    CHECK(raw_startup(fd) == 0);
    unsigned char half[] = {'Q', 0, 0, 0, 100, 'S', 'E'};
    CHECK(write(fd, half, sizeof half) == (ssize_t)sizeof half);
    close(fd);

    /* A garbage startup packet. */
    fd = raw_connect(s);
    unsigned char junk[8] = {0, 0, 0, 8, 0x12, 0x34, 0x56, 0x78};
    CHECK(write(fd, junk, 8) == 8);
    CHECK(raw_expect_fatal(fd, "0A000"));
    close(fd);

    /* The other client never noticed. */
    CHECK(PQtransactionStatus(good) == PQTRANS_INTRANS);
    exec_ok(good, "INSERT INTO bi VALUES (2); COMMIT");
    char v[64];
    query1(good, "SELECT count(*) FROM bi", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    PQfinish(good);
}

static void test_cancel(const server *s) {
    PGconn *c = connect_ok(s);
    exec_ok(c, "CREATE TABLE big (id INT PRIMARY KEY)");
    char sql[20000];
    size_t n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO big VALUES (0)");
    for (int i = 1; i < 1000; i++) n += (size_t)snprintf(sql + n, sizeof sql - n, ",(%d)", i);
    exec_ok(c, sql);
    /* 10^12 combinations: only a cancel ends it in reasonable time. */
    CHECK(PQsendQuery(c, "SELECT count(*) FROM big a, big b, big c, big d"));
    sleep_ms(300);
    PGcancel *cn = PQgetCancel(c);
    char err[256];
    CHECK(cn && PQcancel(cn, err, sizeof err));
    PQfreeCancel(cn);
    PGresult *r;
    int cancelled = 0;
    while ((r = PQgetResult(c))) {
        cancelled |= !strcmp(sqlstate(r), "57014");
        PQclear(r);
    }
    CHECK(cancelled);
    /* The connection goes on; the next query is not cancelled. */
    char v[64];
    query1(c, "SELECT count(*) FROM big", v, sizeof v);
    CHECK(!strcmp(v, "1000"));
    /* A cancel with the wrong key does nothing. */
    PQfinish(c);
}

static void test_connection_limit(void) {
    server s;
    start_server(&s, "limitdb", "--max-connections", "2", NULL);
    PGconn *a = connect_ok(&s), *b = connect_ok(&s);
    PGconn *c = PQconnectdb(s.conninfo);
    CHECK(PQstatus(c) == CONNECTION_BAD);
    CHECK(strstr(PQerrorMessage(c), "too many clients") != NULL);
    PQfinish(c);
    PQfinish(b);
    /* b's slot frees when the server has seen it go: retry briefly. */
    for (int i = 0; i < 50; i++) {
        c = PQconnectdb(s.conninfo);
        if (PQstatus(c) == CONNECTION_OK) break;
        PQfinish(c);
        c = NULL;
        sleep_ms(20);
    }
    CHECK(c && PQstatus(c) == CONNECTION_OK);
    PQfinish(c);
    PQfinish(a);
    CHECK(stop_server(&s) == 0);
}

static void test_scram(void) {
    char pw[600];
    snprintf(pw, sizeof pw, "%s/pw", tmpdir);
    FILE *f = fopen(pw, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("s3cret pass\n", f);
    fclose(f);
    server s;
    start_server(&s, "scramdb", "--password-file", pw, "'s3cret pass'");
    PGconn *c = PQconnectdb(s.conninfo);
    CHECK(PQstatus(c) == CONNECTION_OK);
    if (PQstatus(c) != CONNECTION_OK) fprintf(stderr, "  %s", PQerrorMessage(c));
    PQfinish(c);
    char bad[300];
    snprintf(bad, sizeof bad, "host=127.0.0.1 port=%d user=postgres password=wrong sslmode=disable",
             s.port);
    c = PQconnectdb(bad);
    CHECK(PQstatus(c) == CONNECTION_BAD);
    CHECK(strstr(PQerrorMessage(c), "password authentication failed") != NULL);
    PQfinish(c);
    CHECK(stop_server(&s) == 0);
}

static void test_stats_and_idle_timeout(void) {
    server s;
    start_server(&s, "idledb", "--idle-in-transaction-timeout", "200", NULL);
    PGconn *c = connect_ok(&s);
    exec_ok(c, "CREATE TABLE it (id INT PRIMARY KEY)");
    PGresult *r = PQexec(c, "SHOW twill.stats");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) == 2 && PQntuples(r) >= 8);
    int commits = -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (!strcmp(PQgetvalue(r, i, 0), "commits")) commits = atoi(PQgetvalue(r, i, 1));
    CHECK(commits >= 1);
    PQclear(r);
    /* The same through the extended protocol (what postgres.js and Bun.sql send), with
     * the group-commit, cache and connection counters. */
    r = PQprepare(c, "st", "SHOW twill.stats", 0, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    r = PQdescribePrepared(c, "st");
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && PQnfields(r) == 2 && PQnparams(r) == 0 &&
          !strcmp(PQfname(r, 1), "value"));
    PQclear(r);
    r = PQexecPrepared(c, "st", 0, NULL, NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) == 2 && PQntuples(r) >= 8);
    int seen = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *k = PQgetvalue(r, i, 0);
        seen += !strcmp(k, "commits") + !strcmp(k, "commit_batches") +
                !strcmp(k, "commit_batch_max") + !strcmp(k, "cache_hits") +
                !strcmp(k, "connections_active") + !strcmp(k, "commit_batch_mean");
        if (!strcmp(k, "commit_batch_mean")) CHECK(atof(PQgetvalue(r, i, 1)) >= 1.0);
        if (!strcmp(k, "connections_active")) CHECK(atoi(PQgetvalue(r, i, 1)) >= 1);
    }
    CHECK(seen == 6);
    CHECK(!strcmp(PQcmdStatus(r), "SHOW"));
    PQclear(r);
    /* Idle outside a block is fine; idle inside one ends the session, rolled back. */
    sleep_ms(400);
    exec_ok(c, "BEGIN; INSERT INTO it VALUES (1)");
    sleep_ms(600);
    r = PQexec(c, "COMMIT");
    CHECK(PQresultStatus(r) != PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
    c = connect_ok(&s);
    char v[64];
    query1(c, "SELECT count(*) FROM it", v, sizeof v);
    CHECK(!strcmp(v, "0"));
    PQfinish(c);
    CHECK(stop_server(&s) == 0);
}

static void test_sigterm_durable(void) {
    server s;
    start_server(&s, "durabledb", NULL, NULL, NULL);
    PGconn *c = connect_ok(&s);
    exec_ok(c, "CREATE TABLE d (id INT PRIMARY KEY, v TEXT)");
    exec_ok(c, "INSERT INTO d VALUES (1, 'a'), (2, 'b')");
    exec_ok(c, "BEGIN; INSERT INTO d VALUES (3, 'uncommitted')");
    CHECK(stop_server(&s) == 0);
    /* The client in a transaction was told why it was disconnected. */
    PGresult *r = PQexec(c, "SELECT 1");
    CHECK(PQresultStatus(r) != PGRES_TUPLES_OK);
    PQclear(r);
    PQfinish(c);
    start_server(&s, "durabledb", NULL, NULL, NULL);
    c = connect_ok(&s);
    char v[64];
    query1(c, "SELECT count(*) FROM d", v, sizeof v);
    CHECK(!strcmp(v, "2"));
    PQfinish(c);
    CHECK(stop_server(&s) == 0);
}

/* ---- session parameters ---- */

static void expect_state(PGconn *c, const char *sql, const char *state) {
    PGresult *r = PQexec(c, sql);
    int ok = !strcmp(sqlstate(r), state);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "%s: expected %s, got %s %s", sql, state, sqlstate(r), PQerrorMessage(c));
    PQclear(r);
}

static void test_gucs(const server *s) {
    char ci[400], v[128];
    snprintf(ci, sizeof ci, "%s application_name=tapp options='-c statement_timeout=7s'",
             s->conninfo);
    PGconn *c = PQconnectdb(ci);
    CHECK(PQstatus(c) == CONNECTION_OK);
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "tapp"));
    CHECK(!strcmp(PQparameterStatus(c, "client_encoding"), "UTF8"));
    CHECK(!strcmp(PQparameterStatus(c, "TimeZone"), "UTC"));
    CHECK(!strcmp(PQparameterStatus(c, "DateStyle"), "ISO, MDY"));
    query1(c, "SHOW statement_timeout", v, sizeof v);
    CHECK(!strcmp(v, "7s"));

    /* SET reports what PostgreSQL reports; SHOW names the column canonically. */
    exec_ok(c, "SET application_name TO 'renamed'");
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "renamed"));
    exec_ok(c, "set datestyle = iso, dmy");
    CHECK(!strcmp(PQparameterStatus(c, "DateStyle"), "ISO, DMY"));
    PGresult *r = PQexec(c, "show DATESTYLE");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQfname(r, 0), "DateStyle") &&
          !strcmp(PQgetvalue(r, 0, 0), "ISO, DMY") && !strcmp(PQcmdStatus(r), "SHOW"));
    PQclear(r);
    exec_ok(c, "SET SESSION TIME ZONE 'Europe/Paris'");
    CHECK(!strcmp(PQparameterStatus(c, "TimeZone"), "Europe/Paris"));
    exec_ok(c, "SET client_encoding = 'utf-8'");
    exec_ok(c, "SET NAMES 'UTF8'");
    exec_ok(c, "SET extra_float_digits = 3");
    exec_ok(c, "SET search_path = \"$user\", public");
    query1(c, "SHOW search_path", v, sizeof v);
    CHECK(!strcmp(v, "\"$user\", public"));
    exec_ok(c, "SET myapp.user_id = '42'");
    query1(c, "SHOW myapp.user_id", v, sizeof v);
    CHECK(!strcmp(v, "42"));
    query1(c, "SHOW TRANSACTION ISOLATION LEVEL", v, sizeof v);
    CHECK(!strcmp(v, "read committed"));
    query1(c, "SHOW server_version_num", v, sizeof v);
    CHECK(!strcmp(v, "150000"));

    r = PQexec(c, "SET nosuch = 1");
    CHECK(!strcmp(sqlstate(r), "42704"));
    CHECK(strstr(PQresultErrorMessage(r), "unrecognized configuration parameter \"nosuch\""));
    PQclear(r);
    expect_state(c, "SHOW nosuch", "42704");
    expect_state(c, "SET client_encoding = 'LATIN1'", "0A000");
    expect_state(c, "SET client_encoding = 'klingon'", "22023");
    expect_state(c, "SET standard_conforming_strings = off", "0A000");
    expect_state(c, "SET server_version = '9.6'", "55P02");
    expect_state(c, "SET in_hot_standby = on", "55P02");
    expect_state(c, "SET statement_timeout = 'soon'", "22023");
    expect_state(c, "SET extra_float_digits = 9", "22023");
    expect_state(c, "SET statement_timeout =", "42601");

    /* SET LOCAL lapses with its block (and its report with it); RESET restores the
     * session default, which the startup packet set. */
    exec_ok(c, "BEGIN");
    exec_ok(c, "SET LOCAL application_name = 'in-block'");
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "in-block"));
    exec_ok(c, "COMMIT");
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "renamed"));
    /* A block that rolls back (explicitly, or after an error) undoes its SETs; one that
     * commits keeps them. */
    exec_ok(c, "BEGIN");
    exec_ok(c, "SET application_name = 'rolled-back'");
    exec_ok(c, "ROLLBACK");
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "renamed"));
    exec_ok(c, "BEGIN");
    exec_ok(c, "SET extra_float_digits = 0");
    expect_state(c, "SELECT 1 / 0", "22012");
    exec_ok(c, "ROLLBACK");
    query1(c, "SHOW extra_float_digits", v, sizeof v);
    CHECK(!strcmp(v, "3"));
    exec_ok(c, "BEGIN");
    exec_ok(c, "SET extra_float_digits = 1");
    exec_ok(c, "COMMIT");
    query1(c, "SHOW extra_float_digits", v, sizeof v);
    CHECK(!strcmp(v, "1"));
    /* A multi-statement Query is one implicit transaction: its error undoes its SET. */
    r = PQexec(c, "SET extra_float_digits = 2; SELECT 1 / 0");
    CHECK(!strcmp(sqlstate(r), "22012"));
    PQclear(r);
    query1(c, "SHOW extra_float_digits", v, sizeof v);
    CHECK(!strcmp(v, "1"));
    exec_ok(c, "RESET application_name");
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "tapp"));
    exec_ok(c, "RESET ALL");
    CHECK(!strcmp(PQparameterStatus(c, "DateStyle"), "ISO, MDY"));
    query1(c, "SHOW statement_timeout", v, sizeof v);
    CHECK(!strcmp(v, "7s"));

    /* Several statements: SET/SHOW split out with the same care as the engine's; a
     * "SET" inside a string or comment is not one. */
    CHECK(PQsendQuery(c, "SET extra_float_digits = 2; SELECT 'SET x = 1; SHOW y' AS s; "
                         "/* SHOW z; */ SHOW extra_float_digits"));
    const char *want[] = {"SET", "SELECT 1", "SHOW"};
    int i = 0;
    while ((r = PQgetResult(c))) {
        if (i < 3) CHECK(!strcmp(PQcmdStatus(r), want[i]));
        if (i == 1) CHECK(!strcmp(PQgetvalue(r, 0, 0), "SET x = 1; SHOW y"));
        if (i == 2) CHECK(!strcmp(PQgetvalue(r, 0, 0), "2"));
        i++;
        PQclear(r);
    }
    CHECK(i == 3);

    /* Extended protocol: SHOW described as one text column; SET through Parse. */
    r = PQprepare(c, "show_tz", "SHOW TimeZone", 0, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    r = PQdescribePrepared(c, "show_tz");
    CHECK(PQnfields(r) == 1 && !strcmp(PQfname(r, 0), "TimeZone") && PQftype(r, 0) == 25);
    PQclear(r);
    r = PQexecPrepared(c, "show_tz", 0, NULL, NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "UTC"));
    PQclear(r);
    r = PQexecParams(c, "SET application_name = 'extended'", 0, NULL, NULL, NULL, NULL, 0);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "SET"));
    PQclear(r);
    CHECK(!strcmp(PQparameterStatus(c, "application_name"), "extended"));

    /* statement_timeout cancels a 10^12-row join with 57014 and its own message. */
    exec_ok(c, "SET statement_timeout = 300");
    time_t t0 = time(NULL);
    r = PQexec(c, "SELECT count(*) FROM big a, big b, big c, big d");
    CHECK(!strcmp(sqlstate(r), "57014"));
    CHECK(strstr(PQresultErrorMessage(r), "canceling statement due to statement timeout"));
    PQclear(r);
    CHECK(time(NULL) - t0 < 10);
    query1(c, "SELECT count(*) FROM big", v, sizeof v);
    CHECK(!strcmp(v, "1000"));
    r = PQexecParams(c, "SELECT count(*) FROM big a, big b, big c, big d", 0, NULL, NULL, NULL,
                     NULL, 0);
    CHECK(!strcmp(sqlstate(r), "57014"));
    PQclear(r);
    exec_ok(c, "SET statement_timeout = 0");
    query1(c, "SELECT count(*) FROM big", v, sizeof v);
    CHECK(!strcmp(v, "1000"));

    /* A session's own idle_in_transaction_session_timeout ends it. */
    exec_ok(c, "SET idle_in_transaction_session_timeout = '300ms'");
    exec_ok(c, "BEGIN");
    sleep_ms(900);
    r = PQexec(c, "SELECT 1");
    CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR);
    PQclear(r);
    PQfinish(c);
}

/* ---- COPY ---- */

/* Sends `data` in CopyData chunks of `chunk` bytes (so records straddle messages),
 * then CopyDone, or CopyFail when fail_msg is set; returns the final result. */
static PGresult *copy_in(PGconn *c, const char *sql, const char *data, size_t n, size_t chunk,
                         const char *fail_msg) {
    PGresult *r = PQexec(c, sql);
    CHECK(PQresultStatus(r) == PGRES_COPY_IN);
    if (PQresultStatus(r) != PGRES_COPY_IN) return r;
    PQclear(r);
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        CHECK(PQputCopyData(c, data + off, (int)k) == 1);
    }
    CHECK(PQputCopyEnd(c, fail_msg) == 1);
    r = PQgetResult(c);
    PGresult *extra;
    while ((extra = PQgetResult(c)) != NULL) PQclear(extra);
    return r;
}

/* Everything COPY ... TO STDOUT sends, concatenated (caller frees), and the tag. */
static char *copy_out(PGconn *c, const char *sql, char *tag, size_t cap) {
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COPY_OUT;
    CHECK(ok);
    if (!ok) fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    size_t len = 0;
    char *all = calloc(1, 1);
    char *buf;
    int k;
    while (ok && (k = PQgetCopyData(c, &buf, 0)) > 0) {
        char *grown = realloc(all, len + (size_t)k + 1);
        CHECK(grown != NULL);
        if (!grown) break;
        all = grown;
        memcpy(all + len, buf, (size_t)k);
        all[len += (size_t)k] = 0;
        PQfreemem(buf);
    }
    r = PQgetResult(c);
    snprintf(tag, cap, "%s", PQresultStatus(r) == PGRES_COMMAND_OK ? PQcmdStatus(r) : "error");
    PQclear(r);
    while ((r = PQgetResult(c)) != NULL) PQclear(r);
    return all;
}

static void test_copy(const server *s) {
    PGconn *c = connect_ok(s);
    char v[64], tag[64];
    exec_ok(c, "CREATE TABLE cp (id INT PRIMARY KEY, name TEXT, note TEXT)");

    /* 100k rows in 1000-byte messages; an escaped tab, \N, CRLF endings and "\." end. */
    size_t cap = 4 << 20, n = 0;
    char *data = malloc(cap);
    for (int i = 1; i <= 100000; i++)
        n += (size_t)snprintf(data + n, cap - n, "%d\tname %d\t%s\n", i, i,
                              i % 10 == 0 ? "\\N"
                              : i == 7    ? "a\\tb\\\\c"
                                          : "x");
    n += (size_t)snprintf(data + n, cap - n, "\\.\n");
    PGresult *r = copy_in(c, "COPY cp FROM STDIN", data, n, 1000, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COPY 100000"));
    PQclear(r);
    query1(c, "SELECT count(*) FROM cp WHERE note IS NULL", v, sizeof v);
    CHECK(!strcmp(v, "10000"));
    query1(c, "SELECT note FROM cp WHERE id = 7", v, sizeof v);
    CHECK(!strcmp(v, "a\tb\\c"));
    CHECK(PQtransactionStatus(c) == PQTRANS_IDLE);

    /* A malformed row: nothing of the COPY stays, the error names the line. */
    const char *bad = "200001\tok\tx\n200002\tok\tx\nnot-a-number\tbad\tx\n200004\tok\tx\n";
    r = copy_in(c, "copy \"cp\" (id, name, note) from stdin with (freeze on)", bad, strlen(bad), 7,
                NULL);
    CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR && !strcmp(sqlstate(r), "22P02"));
    const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);
    CHECK(ctx && !strcmp(ctx, "COPY cp, line 3"));
    PQclear(r);
    query1(c, "SELECT count(*) FROM cp", v, sizeof v);
    CHECK(!strcmp(v, "100000"));
    const char *few = "300001\tonly-two\n";
    r = copy_in(c, "COPY cp FROM STDIN", few, strlen(few), 100, NULL);
    CHECK(!strcmp(sqlstate(r), "22P04"));
    PQclear(r);

    /* Inside a block: the rows are part of it; CopyFail aborts the block. */
    exec_ok(c, "BEGIN");
    const char *two = "400001\tin-block\tx\n400002\tin-block\tx\n";
    r = copy_in(c, "COPY cp FROM STDIN", two, strlen(two), 100, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COPY 2"));
    PQclear(r);
    CHECK(PQtransactionStatus(c) == PQTRANS_INTRANS);
    exec_ok(c, "ROLLBACK");
    query1(c, "SELECT count(*) FROM cp WHERE id > 400000", v, sizeof v);
    CHECK(!strcmp(v, "0"));
    exec_ok(c, "BEGIN");
    exec_ok(c, "INSERT INTO cp VALUES (500000, 'before', NULL)");
    r = copy_in(c, "COPY cp FROM STDIN", two, strlen(two), 100, "client gave up");
    CHECK(!strcmp(sqlstate(r), "57014"));
    PQclear(r);
    CHECK(PQtransactionStatus(c) == PQTRANS_INERROR);
    exec_ok(c, "ROLLBACK");
    query1(c, "SELECT count(*) FROM cp WHERE id >= 400000", v, sizeof v);
    CHECK(!strcmp(v, "0"));

    /* CSV in: quoted delimiters, doubled quotes, a quoted newline, "" versus NULL. */
    exec_ok(c, "CREATE TABLE cv (id INT, s TEXT)");
    const char *csv = "id,s\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,\n5,\"\"\n";
    r = copy_in(c, "COPY cv FROM STDIN WITH (FORMAT csv, HEADER true)", csv, strlen(csv), 3, NULL);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COPY 5"));
    PQclear(r);
    query1(c, "SELECT s FROM cv WHERE id = 3", v, sizeof v);
    CHECK(!strcmp(v, "two\nlines"));
    query1(c, "SELECT count(*) FROM cv WHERE s IS NULL", v, sizeof v);
    CHECK(!strcmp(v, "1"));

    /* Out: text escaping and \N, CSV quoting, a query, a header, a delimiter option. */
    char *out = copy_out(c, "COPY cp (id, note) TO STDOUT", tag, sizeof tag);
    CHECK(!strcmp(tag, "COPY 100000"));
    CHECK(strstr(out, "\n7\ta\\tb\\\\c\n") && strstr(out, "\n10\t\\N\n"));
    free(out);
    out = copy_out(c, "COPY (SELECT id, s FROM cv ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)",
                   tag, sizeof tag);
    CHECK(!strcmp(tag, "COPY 5"));
    CHECK(!strcmp(out, "id,s\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,\n5,\"\"\n"));
    free(out);
    out = copy_out(c, "COPY cv TO STDOUT DELIMITER '|' NULL 'nil'", tag, sizeof tag);
    CHECK(strstr(out, "4|nil\n") && strstr(out, "3|two\\nlines\n"));
    free(out);

    /* What the server does not do is 0A000; a bad statement is 42601; a missing table
     * is the engine's 42P01. */
    const char *nots[] = {"COPY cp FROM '/tmp/x'", "COPY cp TO STDOUT (FORMAT binary)",
                          "COPY BINARY cp TO STDOUT", "COPY cp TO PROGRAM 'cat'"};
    for (int i = 0; i < 4; i++) {
        r = PQexec(c, nots[i]);
        CHECK(!strcmp(sqlstate(r), "0A000"));
        PQclear(r);
    }
    r = PQexec(c, "COPY cp FROM STDIN WITH (FORMAT csv, BOGUS 1)");
    CHECK(!strcmp(sqlstate(r), "42601"));
    PQclear(r);
    r = PQexec(c, "COPY nope FROM STDIN");
    CHECK(!strcmp(sqlstate(r), "42P01"));
    PQclear(r);
    free(data);
    PQfinish(c);
}

/* ---- main ---- */

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_server PATH-TO-twill-server\n");
        return 2;
    }
    server_bin = argv[1];
    const char *base = getenv("TWILL_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/server-XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_running);
    server s;
    start_server(&s, "db", NULL, NULL, NULL);
    test_simple(&s);
    test_params(&s);
    test_binary_datetime(&s);
    test_prepared(&s);
    test_pipeline(&s);
    test_pipeline_implicit_txn(&s);
    test_conflict(&s);
    test_isolation(&s);
    test_txn_status(&s);
    test_bad_input(&s);
    test_bad_input_in_txn(&s);
    test_cancel(&s);
    test_copy(&s);
    test_gucs(&s);
    CHECK(stop_server(&s) == 0);
    test_connection_limit();
    test_scram();
    test_stats_and_idle_timeout();
    test_sigterm_durable();
    printf("%d checks, %d failures (server log: %s/server.log)\n", checks, failures, tmpdir);
    if (failures == 0) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return failures ? 1 : 0;
}
