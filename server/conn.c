/*
 * conn.c — protocol v3 for one connection (see conn.h).
 *
 * Extended protocol model: a prepared statement (Parse) owns a twill_stmt; a portal
 * (Bind) borrows its statement's twill_stmt when no other portal is using it and
 * prepares a private one otherwise, so the common Parse/Bind/Execute cycle of a
 * driver re-runs one engine statement without re-parsing. Closing a statement hands a
 * borrowed twill_stmt over to the portal still using it. After an error the
 * connection discards messages until Sync, as PostgreSQL does.
 */
#include "conn.h"

#include "copy.h"
#include "guc.h"
#include "log.h"
#include "pgvalue.h"
#include "tls.h"
#include "wire.h"

#include <ctype.h>
#include <pthread.h>
#include <semaphore.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CODE_SSL 80877103
#define CODE_GSSENC 80877104
#define CODE_CANCEL 80877102
#define AUTH_TIMEOUT_MS 60000
#define MAX_PARAMS 65535
#define GUC_STATS 2

typedef struct pstmt {
    char *name;
    char *sql;
    twill_stmt *st;
    int nparams;
    uint32_t *ptypes; /* declared by Parse (0: unspecified) */
    int busy;         /* a portal is using st */
    int guc;          /* SET/SHOW/RESET (1) or SHOW twill.stats (GUC_STATS): answered by
                       * the server, st is NULL */
    struct pstmt *next;
} pstmt;

typedef struct portal {
    char *name;
    pstmt *ps;      /* the statement whose twill_stmt is borrowed; NULL if own */
    twill_stmt *st; /* borrowed from ps or owned */
    char *sql;      /* for the command tag and the log */
    int nfmts;
    int16_t *fmts; /* result formats */
    int done;
    int guc;      /* SET/SHOW/RESET (see pstmt) */
    int64_t rows; /* rows sent so far */
    struct portal *next;
} portal;

typedef struct conn {
    tws_server *srv;
    tws_io io;
    tws_reg reg;
    twill_session *s;
    char peer[64];
    char user[64];
    char database[64];
    char appname[64];
    pstmt *stmts;
    portal *portals;
    char *startup_params; /* "k\0v\0...\0" of the StartupMessage, until the session opens */
    size_t startup_len;
    tws_gucs *gucs;
    /* statement_timeout: a watchdog thread, started on first use, interrupts the
     * session when the running statement's deadline passes. */
    pthread_t wd_thread;
    int wd_started, wd_quit, wd_fired;
    int64_t wd_deadline; /* 0: nothing armed */
    pthread_mutex_t wd_mu;
    pthread_cond_t wd_cv;
    int skip_to_sync;   /* an extended-protocol error happened */
    int ext_implicit;   /* an Execute opened the implicit transaction that Sync ends */
    twill_stmt *ctl[3]; /* BEGIN, COMMIT, ROLLBACK, prepared once (see run_ctl) */
    char iso_sent[24];  /* default_transaction_isolation as the engine has it */
    int counted;        /* counts against max_connections */
    uint64_t queries, errors;
} conn;

/* ---- parsing admission ----
 *
 * The engine parses every statement on one process-wide parser thread and wakes all
 * sessions waiting for a parse whenever one finishes. With many connections busy at
 * once that is a thundering herd: every parse wakes every waiter, and all but one go
 * back to sleep. The server lets only PARSE_SLOTS connections into twill_prepare at a
 * time; the others wait on a semaphore, which wakes exactly one of them per release.
 * (Uncontended, sem_wait/sem_post are atomic operations, no system call.) */
#define PARSE_SLOTS 2

static sem_t parse_slots;
static pthread_once_t parse_once = PTHREAD_ONCE_INIT;

static void parse_slots_init(void) {
    sem_init(&parse_slots, 0, PARSE_SLOTS);
}

static int prepare(conn *c, const char *sql, int len, twill_stmt **st, const char **tail) {
    pthread_once(&parse_once, parse_slots_init);
    while (sem_wait(&parse_slots) != 0) {
    }
    int rc = twill_prepare(c->s, sql, len, st, tail);
    sem_post(&parse_slots);
    return rc;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- messages to the client ---- */

static void send_error_fields(conn *c, char type, const char *sev, const char *code,
                              const char *msg, int pos, const char *detail, const char *where) {
    tws_w_begin(&c->io, type);
    tws_w_u8(&c->io, 'S');
    tws_w_str(&c->io, sev);
    tws_w_u8(&c->io, 'V');
    tws_w_str(&c->io, sev);
    tws_w_u8(&c->io, 'C');
    tws_w_str(&c->io, code);
    tws_w_u8(&c->io, 'M');
    tws_w_str(&c->io, msg);
    if (detail && *detail) {
        tws_w_u8(&c->io, 'D');
        tws_w_str(&c->io, detail);
    }
    if (pos > 0) {
        char p[16];
        snprintf(p, sizeof p, "%d", pos);
        tws_w_u8(&c->io, 'P');
        tws_w_str(&c->io, p);
    }
    if (where && *where) {
        tws_w_u8(&c->io, 'W');
        tws_w_str(&c->io, where);
    }
    tws_w_u8(&c->io, 0);
    tws_w_end(&c->io);
}

/* An ERROR; `where` is the CONTEXT line (NULL for none). */
static void send_error_where(conn *c, const char *code, const char *msg, int pos,
                             const char *where) {
    char q[256];
    c->errors++;
    tws_log(TWS_LOG_INFO, "query_error", "pid=%d sqlstate=%s msg=%s", c->reg.pid, code,
            tws_log_quote(msg, q, sizeof q));
    send_error_fields(c, 'E', "ERROR", code, msg, pos, NULL, where);
}

static void send_error(conn *c, const char *code, const char *msg, int pos) {
    send_error_where(c, code, msg, pos, NULL);
}

static void send_fatal(conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_fatal(conn *c, const char *code, const char *fmt, ...) {
    char msg[512], q[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tws_log(TWS_LOG_WARN, "connection_fatal", "pid=%d remote=%s sqlstate=%s msg=%s", c->reg.pid,
            c->peer, code, tws_log_quote(msg, q, sizeof q));
    send_error_fields(c, 'E', "FATAL", code, msg, 0, NULL, NULL);
    tws_io_flush(&c->io);
}

static void send_notice(conn *c, const char *code, const char *msg) {
    send_error_fields(c, 'N', "WARNING", code, msg, 0, NULL, NULL);
}

static void send_param_status(conn *c, const char *k, const char *v) {
    tws_w_begin(&c->io, 'S');
    tws_w_str(&c->io, k);
    tws_w_str(&c->io, v);
    tws_w_end(&c->io);
}

static char txn_char(conn *c) {
    switch (twill_transaction_status(c->s)) {
    case TWILL_TXN_BLOCK:
        return 'T';
    case TWILL_TXN_FAILED:
        return 'E';
    default:
        return 'I';
    }
}

/* ParameterStatus for every reported parameter that changed. */
static void send_reports(conn *c, int all) {
    const char *k, *v;
    while (tws_guc_report(c->gucs, all, &k, &v)) {
        send_param_status(c, k, v);
        all = 0;
    }
}

/* The engine keeps the session's default isolation level itself (it starts each
 * transaction with it), the server keeps the parameter (SHOW, RESET, startup options,
 * rollback of a block's SET): hands the server's value to the engine when they differ. */
static void sync_isolation(conn *c) {
    if (twill_transaction_status(c->s) == TWILL_TXN_FAILED) return;
    const char *canon;
    const char *v = tws_guc_get(c->gucs, "default_transaction_isolation", &canon);
    if (!v || !strcmp(v, c->iso_sent)) return;
    char sql[96];
    snprintf(sql, sizeof sql, "SET default_transaction_isolation = '%s'", v);
    if (twill_exec(c->s, sql) == TWILL_OK) snprintf(c->iso_sent, sizeof c->iso_sent, "%s", v);
}

static void send_ready(conn *c) {
    /* As in PostgreSQL, changed parameters are reported just before ReadyForQuery,
     * after SET LOCAL values have lapsed with their block. */
    if (twill_transaction_status(c->s) == TWILL_TXN_IDLE) tws_guc_txn_end(c->gucs, 1);
    sync_isolation(c);
    send_reports(c, 0);
    tws_w_begin(&c->io, 'Z');
    tws_w_u8(&c->io, (uint8_t)txn_char(c));
    tws_w_end(&c->io);
}

static void send_simple(conn *c, char type) {
    tws_w_begin(&c->io, type);
    tws_w_end(&c->io);
}

/* The engine's error on the session; pos_shift moves the statement-relative position
 * into the client's query text. */
static int wd_fired(conn *c);

static void send_session_error(conn *c, int pos_shift) {
    int pos = twill_errpos(c->s);
    const char *msg = twill_errmsg(c->s);
    /* The engine knows only "user request"; the interrupt was the timeout's. */
    if (!strcmp(twill_sqlstate(c->s), "57014") && wd_fired(c))
        msg = "canceling statement due to statement timeout";
    send_error(c, twill_sqlstate(c->s), msg, pos > 0 ? pos + pos_shift : 0);
}

/* Format of result column i given Bind's format codes (none: text; one: all). */
static int col_format(const int16_t *fmts, int nfmts, int i) {
    if (nfmts == 0) return 0;
    return nfmts == 1 ? fmts[0] : fmts[i];
}

static void send_row_description(conn *c, twill_stmt *st, const int16_t *fmts, int nfmts) {
    int n = twill_column_count(st);
    tws_w_begin(&c->io, 'T');
    tws_w_i16(&c->io, (int16_t)n);
    for (int i = 0; i < n; i++) {
        int32_t typmod;
        uint32_t oid = twill_column_pg_type(st, i, &typmod);
        const char *name = twill_column_name(st, i);
        tws_w_str(&c->io, name ? name : "?column?");
        tws_w_i32(&c->io, 0); /* table OID: no catalog OIDs yet */
        tws_w_i16(&c->io, 0);
        tws_w_i32(&c->io, (int32_t)oid);
        tws_w_i16(&c->io, (int16_t)tws_oid_typlen(oid));
        tws_w_i32(&c->io, typmod);
        tws_w_i16(&c->io, (int16_t)col_format(fmts, nfmts, i));
    }
    tws_w_end(&c->io);
}

static void send_data_row(conn *c, twill_stmt *st, const int16_t *fmts, int nfmts) {
    int n = twill_column_count(st);
    tws_w_begin(&c->io, 'D');
    tws_w_i16(&c->io, (int16_t)n);
    for (int i = 0; i < n; i++)
        tws_put_column(&c->io, st, i, twill_column_pg_type(st, i, NULL),
                       col_format(fmts, nfmts, i));
    tws_w_end(&c->io);
}

/* ---- command tags ---- */

/* Skips blanks and SQL comments. */
static const char *skip_blank(const char *p) {
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

/* The tag of a statement the engine has none for: its first keyword, upper-cased
 * (an accepted SET reports "SET", as PostgreSQL does). */
static void tag_from_text(const char *sql, char *out, size_t cap) {
    const char *p = skip_blank(sql);
    size_t n = 0;
    while (p[n] && isalpha((unsigned char)p[n]) && n + 1 < cap) {
        out[n] = (char)toupper((unsigned char)p[n]);
        n++;
    }
    out[n] = 0;
    if (n == 0) snprintf(out, cap, "OK");
}

static void send_complete(conn *c, twill_stmt *st, const char *sql, int before, int64_t rows) {
    char tag[64];
    const char *cmd = twill_stmt_command(st);
    if (!cmd) {
        tag_from_text(sql, tag, sizeof tag);
    } else if (!strcmp(cmd, "SELECT")) {
        snprintf(tag, sizeof tag, "SELECT %lld", (long long)rows);
    } else if (!strcmp(cmd, "INSERT")) {
        snprintf(tag, sizeof tag, "INSERT 0 %lld", (long long)twill_changes(st));
    } else if (!strcmp(cmd, "UPDATE") || !strcmp(cmd, "DELETE")) {
        snprintf(tag, sizeof tag, "%s %lld", cmd, (long long)twill_changes(st));
    } else if (!strcmp(cmd, "COMMIT") && before == TWILL_TXN_FAILED) {
        snprintf(tag, sizeof tag, "ROLLBACK"); /* COMMIT of an aborted block rolls back */
    } else {
        snprintf(tag, sizeof tag, "%s", cmd);
    }
    tws_w_begin(&c->io, 'C');
    tws_w_str(&c->io, tag);
    tws_w_end(&c->io);
}

/* PostgreSQL's warnings for transaction control that has nothing to do. */
static void txn_notices(conn *c, twill_stmt *st, int before) {
    const char *cmd = twill_stmt_command(st);
    if (!cmd) return;
    if (!strcmp(cmd, "BEGIN") && before != TWILL_TXN_IDLE)
        send_notice(c, "25001", "there is already a transaction in progress");
    else if ((!strcmp(cmd, "COMMIT") || !strcmp(cmd, "ROLLBACK")) && before == TWILL_TXN_IDLE)
        send_notice(c, "25P01", "there is no transaction in progress");
}

static void log_slow(conn *c, int64_t t0, const char *sql, size_t len) {
    int64_t ms = now_ms() - t0;
    if (c->srv->cfg.slow_query_ms < 0 || ms < c->srv->cfg.slow_query_ms) return;
    char buf[256], q[300];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 200 ? len : 200), sql);
    tws_log(TWS_LOG_WARN, "slow_query", "pid=%d ms=%lld sql=%s", c->reg.pid, (long long)ms,
            tws_log_quote(buf, q, sizeof q));
}

/* Characters (UTF-8 code points) in p[0..n): error positions count characters. */
static int char_count(const char *p, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)p[i] & 0xC0) != 0x80;
    return k;
}

/* Settings follow the block: when a statement ended it (status back to idle), its
 * SETs stay only if it was a COMMIT of a healthy block. */
static void block_ended(conn *c, int before, const char *cmd) {
    if (before == TWILL_TXN_IDLE || twill_transaction_status(c->s) != TWILL_TXN_IDLE) return;
    tws_guc_txn_end(c->gucs, before == TWILL_TXN_BLOCK && cmd && !strcmp(cmd, "COMMIT"));
}

/* Steps st, streaming rows, until done, an error, or max_rows rows (max_rows <= 0: no
 * limit). Returns 0 done (CommandComplete sent), 1 suspended (PortalSuspended sent),
 * -1 error (ErrorResponse sent), -2 connection dead. */
static int run_rows(conn *c, twill_stmt *st, const char *sql, const int16_t *fmts, int nfmts,
                    int64_t *rows, int64_t max_rows, int pos_shift, int notice_before) {
    int before = twill_transaction_status(c->s);
    if (notice_before < 0) notice_before = before;
    int64_t sent = 0;
    for (;;) {
        int rc = twill_step(st);
        if (rc == TWILL_ROW) {
            send_data_row(c, st, fmts, nfmts);
            (*rows)++;
            if (tws_io_maybe_flush(&c->io)) return -2;
            if (max_rows > 0 && ++sent >= max_rows) {
                send_simple(c, 's');
                return 1;
            }
            continue;
        }
        if (rc == TWILL_DONE) {
            txn_notices(c, st, notice_before);
            send_complete(c, st, sql, before, *rows);
            block_ended(c, before, twill_stmt_command(st));
            return 0;
        }
        send_session_error(c, pos_shift);
        twill_reset(st);
        block_ended(c, before, NULL);
        return -1;
    }
}

/* ---- SHOW twill.stats (answered by the server, simple protocol only) ---- */

/* If the statement at p is `SHOW twill.stats`, returns the text after it (past its
 * ';'), else NULL. */
static const char *match_show_stats(const char *p) {
    p = skip_blank(p);
    if (strncasecmp(p, "show", 4) || !isspace((unsigned char)p[4])) return NULL;
    p = skip_blank(p + 4);
    if (strncasecmp(p, "twill.stats", 11)) return NULL;
    p = skip_blank(p + 11);
    if (*p == ';') return p + 1;
    return *p ? NULL : p;
}

static void stats_row(conn *c, const char *name, size_t nlen, const char *val, size_t vlen) {
    tws_w_begin(&c->io, 'D');
    tws_w_i16(&c->io, 2);
    tws_w_i32(&c->io, (int32_t)nlen);
    tws_w_bytes(&c->io, name, nlen);
    tws_w_i32(&c->io, (int32_t)vlen);
    tws_w_bytes(&c->io, val, vlen);
    tws_w_end(&c->io);
}

static void stats_describe(conn *c) {
    tws_w_begin(&c->io, 'T');
    tws_w_i16(&c->io, 2);
    const char *cols[] = {"name", "value"};
    for (int i = 0; i < 2; i++) {
        tws_w_str(&c->io, cols[i]);
        tws_w_i32(&c->io, 0);
        tws_w_i16(&c->io, 0);
        tws_w_i32(&c->io, TWS_OID_TEXT);
        tws_w_i16(&c->io, -1);
        tws_w_i32(&c->io, -1);
        tws_w_i16(&c->io, 0);
    }
    tws_w_end(&c->io);
}

/* Engine counters (twill_db_stats) plus the server's own, as rows (name, value); the
 * RowDescription first when `describe` (a simple Query). */
static void show_stats(conn *c, int describe) {
    char small[2048], *text = small;
    int n = twill_db_stats(c->srv->db, text, sizeof small);
    if (n >= (int)sizeof small) {
        /* The storage backend may add many lines (the object store's counters). */
        text = malloc((size_t)n + 1);
        if (!text || twill_db_stats(c->srv->db, text, (size_t)n + 1) != n) n = 0;
        if (!text) text = small;
    }
    if (n < 0) n = 0;
    if (describe) stats_describe(c);
    double commits = -1, batches = -1;
    for (char *line = text; line < text + n;) {
        char *nl = memchr(line, '\n', (size_t)(text + n - line));
        char *end = nl ? nl : text + n;
        char *sp = memchr(line, ' ', (size_t)(end - line));
        if (sp) {
            size_t klen = (size_t)(sp - line);
            stats_row(c, line, klen, sp + 1, (size_t)(end - sp - 1));
            if (klen == 7 && !memcmp(line, "commits", 7)) commits = strtod(sp + 1, NULL);
            if (klen == 14 && !memcmp(line, "commit_batches", 14)) batches = strtod(sp + 1, NULL);
        }
        line = end + 1;
    }
    if (commits >= 0 && batches > 0) {
        /* The mean group-commit batch: commits acknowledged per log append. */
        char mean[32];
        int k = snprintf(mean, sizeof mean, "%.2f", commits / batches);
        stats_row(c, "commit_batch_mean", 17, mean, (size_t)k);
    }
    tws_server *srv = c->srv;
    pthread_mutex_lock(&srv->mu);
    long long v[] = {srv->nclients, (long long)srv->total_connections,
                     (long long)srv->rejected_connections};
    pthread_mutex_unlock(&srv->mu);
    const char *names[] = {"connections_active", "connections_total", "connections_rejected"};
    for (int i = 0; i < 3; i++) {
        char num[32];
        int k = snprintf(num, sizeof num, "%lld", v[i]);
        stats_row(c, names[i], strlen(names[i]), num, (size_t)k);
    }
    tws_w_begin(&c->io, 'C');
    tws_w_str(&c->io, "SHOW");
    tws_w_end(&c->io);
    if (text != small) free(text);
}

/* ---- statement_timeout ---- */

static void *wd_main(void *arg) {
    conn *c = arg;
    pthread_mutex_lock(&c->wd_mu);
    while (!c->wd_quit) {
        if (!c->wd_deadline) {
            pthread_cond_wait(&c->wd_cv, &c->wd_mu);
            continue;
        }
        int64_t now = now_ms();
        if (now >= c->wd_deadline) {
            c->wd_deadline = 0;
            c->wd_fired = 1;
            twill_session_interrupt(c->s, 1);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t left = c->wd_deadline - now;
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&c->wd_cv, &c->wd_mu, &ts);
    }
    pthread_mutex_unlock(&c->wd_mu);
    return NULL;
}

/* Starts the statement's clock (statement_timeout; nothing when it is 0). */
static void wd_arm(conn *c) {
    int ms = tws_guc_ms(c->gucs, "statement_timeout");
    if (ms <= 0 && !c->wd_started) return;
    if (!c->wd_started) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&c->wd_cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&c->wd_mu, NULL);
        if (pthread_create(&c->wd_thread, NULL, wd_main, c)) {
            pthread_cond_destroy(&c->wd_cv);
            pthread_mutex_destroy(&c->wd_mu);
            tws_log(TWS_LOG_WARN, "statement_timeout", "pid=%d msg=\"no watchdog thread\"",
                    c->reg.pid);
            return;
        }
        c->wd_started = 1;
    }
    pthread_mutex_lock(&c->wd_mu);
    /* A timeout that fired after its statement ended must not hit this one. */
    if (c->wd_fired) twill_session_interrupt(c->s, 0);
    c->wd_fired = 0;
    c->wd_deadline = ms > 0 ? now_ms() + ms : 0;
    pthread_cond_signal(&c->wd_cv);
    pthread_mutex_unlock(&c->wd_mu);
}

static void wd_disarm(conn *c) {
    if (!c->wd_started) return;
    pthread_mutex_lock(&c->wd_mu);
    c->wd_deadline = 0;
    pthread_mutex_unlock(&c->wd_mu);
}

static int wd_fired(conn *c) {
    if (!c->wd_started) return 0;
    pthread_mutex_lock(&c->wd_mu);
    int f = c->wd_fired;
    pthread_mutex_unlock(&c->wd_mu);
    return f;
}

static void wd_stop(conn *c) {
    if (!c->wd_started) return;
    pthread_mutex_lock(&c->wd_mu);
    c->wd_quit = 1;
    pthread_cond_signal(&c->wd_cv);
    pthread_mutex_unlock(&c->wd_mu);
    pthread_join(c->wd_thread, NULL);
    pthread_cond_destroy(&c->wd_cv);
    pthread_mutex_destroy(&c->wd_mu);
    c->wd_started = 0;
}

/* ---- SET / SHOW / RESET (answered by the server) ---- */

static void text_columns(conn *c, const char *const *names, int n) {
    tws_w_begin(&c->io, 'T');
    tws_w_i16(&c->io, (int16_t)n);
    for (int i = 0; i < n; i++) {
        tws_w_str(&c->io, names[i]);
        tws_w_i32(&c->io, 0);
        tws_w_i16(&c->io, 0);
        tws_w_i32(&c->io, TWS_OID_TEXT);
        tws_w_i16(&c->io, -1);
        tws_w_i32(&c->io, -1);
        tws_w_i16(&c->io, 0);
    }
    tws_w_end(&c->io);
}

static void text_row(conn *c, const char *const *vals, int n) {
    tws_w_begin(&c->io, 'D');
    tws_w_i16(&c->io, (int16_t)n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(vals[i]);
        tws_w_i32(&c->io, (int32_t)len);
        tws_w_bytes(&c->io, vals[i], len);
    }
    tws_w_end(&c->io);
}

static void send_tag(conn *c, const char *tag) {
    tws_w_begin(&c->io, 'C');
    tws_w_str(&c->io, tag);
    tws_w_end(&c->io);
}

/* The SHOW columns of cmd (its RowDescription). Returns -1 for an unknown name. */
static int guc_describe(conn *c, const tws_guc_cmd *cmd, int send) {
    if (cmd->all) {
        const char *cols[] = {"name", "setting", "description"};
        if (send) text_columns(c, cols, 3);
        return 0;
    }
    const char *canon;
    if (!tws_guc_get(c->gucs, cmd->name, &canon)) return -1;
    if (send) text_columns(c, &canon, 1);
    return 0;
}

/* Runs a parsed SET/SHOW/RESET; the RowDescription of a SHOW only when `describe`
 * (the extended protocol sent it at Describe). 0, or -1 after an error. */
static int run_guc(conn *c, const tws_guc_cmd *cmd, int describe) {
    char err[300];
    const char *code = "42601";
    if (twill_transaction_status(c->s) == TWILL_TXN_FAILED) {
        send_error(c, "25P02",
                   "current transaction is aborted, commands ignored until end of transaction "
                   "block",
                   0);
        return -1;
    }
    if (cmd->kind == TWS_GUC_SHOW) {
        if (guc_describe(c, cmd, describe)) {
            snprintf(err, sizeof err, "unrecognized configuration parameter \"%.100s\"", cmd->name);
            send_error(c, "42704", err, 0);
            return -1;
        }
        const char *canon, *v[3];
        if (cmd->all) {
            for (int i = 0; tws_guc_at(c->gucs, i, &v[0], &v[1], &v[2]); i++) text_row(c, v, 3);
        } else {
            v[0] = tws_guc_get(c->gucs, cmd->name, &canon);
            text_row(c, v, 1);
        }
        send_tag(c, "SHOW");
        return 0;
    }
    if (cmd->kind == TWS_GUC_RESET && cmd->all) {
        tws_guc_reset_all(c->gucs, twill_transaction_status(c->s) != TWILL_TXN_IDLE);
        sync_isolation(c);
        send_tag(c, "RESET");
        return 0;
    }
    int local = cmd->local;
    if (local && twill_transaction_status(c->s) == TWILL_TXN_IDLE) {
        /* PostgreSQL: a warning, and the SET has no effect. */
        send_notice(c, "25P01", "SET LOCAL can only be used in transaction blocks");
        send_tag(c, "SET");
        return 0;
    }
    int flags = (local ? TWS_GUC_LOCAL : 0) |
                (twill_transaction_status(c->s) != TWILL_TXN_IDLE ? TWS_GUC_IN_BLOCK : 0);
    if (tws_guc_set(c->gucs, cmd->name, cmd->kind == TWS_GUC_SET ? cmd->value : NULL, flags, &code,
                    err, sizeof err)) {
        send_error(c, code, err, 0);
        return -1;
    }
    sync_isolation(c); /* a BEGIN later in the same Query must see it */
    send_tag(c, cmd->kind == TWS_GUC_SET ? "SET" : "RESET");
    return 0;
}

/* ---- COPY (handled here: the SQL layer has none) ---- */

/* Marks an open block failed after an error the engine did not see (a malformed COPY
 * row, CopyFail), so the rows already inserted in it cannot be committed: PostgreSQL
 * aborts the block too. The public API has no call for this, so a statement that
 * always fails does it; its own error message is never shown. */
static void abort_block(conn *c) {
    if (twill_transaction_status(c->s) == TWILL_TXN_BLOCK)
        twill_exec(c->s, "SELECT 1 / 0 /* twill-server: abort the block after a COPY error */");
}

/* Ends a failed COPY FROM: the implicit transaction rolls back, a block is aborted. */
static void copy_in_failed(conn *c, int implicit) {
    if (implicit)
        twill_exec(c->s, "ROLLBACK");
    else
        abort_block(c);
}

static void quote_name(tws_buf *b, const char *name) {
    tws_buf_put(b, "\"", 1);
    for (const char *p = name; *p; p++) {
        if (*p == '"') tws_buf_put(b, "\"", 1);
        tws_buf_put(b, p, 1);
    }
    tws_buf_put(b, "\"", 1);
}

typedef struct copy_in_state {
    tws_copy_stmt *cs;
    twill_stmt *ins;
    int ncols;
    char **names; /* quoted column names, for "missing data for column" */
    char **fields;
    int *isnull;
    int64_t line, rows;
    int eod; /* "\." seen: the rest is ignored */
} copy_in_state;

/* The session's error with a CONTEXT line (a COPY row). */
static void send_session_error_where(conn *c, const char *where) {
    const char *msg = twill_errmsg(c->s);
    if (!strcmp(twill_sqlstate(c->s), "57014") && wd_fired(c))
        msg = "canceling statement due to statement timeout";
    send_error_where(c, twill_sqlstate(c->s), msg, 0, where);
}

/* Inserts one record (newline excluded). 0, or -1 after sending the error. */
static int copy_in_record(conn *c, copy_in_state *x, char *rec, size_t len) {
    char err[200], where[200];
    x->line++;
    snprintf(where, sizeof where, "COPY %s, line %lld", x->cs->label ? x->cs->label : "",
             (long long)x->line);
    if (x->eod) return 0;
    if (tws_copy_is_eod(rec, len)) {
        x->eod = 1;
        return 0;
    }
    if (x->line == 1 && x->cs->header) return 0;
    int n = tws_copy_split(x->cs, rec, len, x->fields, x->isnull, x->ncols, err, sizeof err);
    if (n < 0) {
        send_error_where(c, strstr(err, "0x00") ? "22021" : "22P04", err, 0, where);
        return -1;
    }
    if (n < x->ncols) {
        snprintf(err, sizeof err, "missing data for column %.100s", x->names[n]);
        send_error_where(c, "22P04", err, 0, where);
        return -1;
    }
    twill_reset(x->ins);
    for (int i = 0; i < n; i++) {
        int rc = x->isnull[i] ? twill_bind_null(x->ins, i + 1)
                              : twill_bind_text(x->ins, i + 1, x->fields[i], -1);
        if (rc != TWILL_OK) {
            send_session_error_where(c, where);
            return -1;
        }
    }
    if (twill_step(x->ins) != TWILL_DONE) {
        send_session_error_where(c, where);
        twill_reset(x->ins);
        return -1;
    }
    x->rows++;
    return 0;
}

/* The column names of the target table, from an empty SELECT (no catalog yet). */
static int table_columns(conn *c, const tws_copy_stmt *cs, char ***names, int *n) {
    tws_buf q = {0};
    tws_buf_put(&q, "SELECT * FROM ", 14);
    tws_buf_put(&q, cs->table, strlen(cs->table));
    tws_buf_put(&q, " LIMIT 0", 9); /* with its NUL */
    twill_stmt *st = NULL;
    int rc = q.nomem ? TWILL_NOMEM : prepare(c, q.p, -1, &st, NULL);
    if (rc != TWILL_OK || !st) {
        if (rc == TWILL_OK || q.nomem)
            send_error(c, "53200", "out of memory", 0);
        else
            send_error(c, twill_sqlstate(c->s), twill_errmsg(c->s), 0);
        free(q.p);
        twill_finalize(st);
        return -1;
    }
    free(q.p);
    *n = twill_column_count(st);
    *names = calloc((size_t)(*n ? *n : 1), sizeof **names);
    for (int i = 0; *names && i < *n; i++) {
        tws_buf b = {0};
        quote_name(&b, twill_column_name(st, i));
        tws_buf_put(&b, "", 1);
        (*names)[i] = b.p;
        if (b.nomem) break;
    }
    twill_finalize(st);
    return 0;
}

/* COPY ... FROM STDIN. Returns 0 done, -1 error reported, -2 connection ends. */
static int copy_in(conn *c, tws_copy_stmt *cs) {
    copy_in_state x = {.cs = cs};
    char **own = NULL;
    if (cs->ncols) {
        x.ncols = cs->ncols;
        x.names = cs->cols;
    } else {
        if (table_columns(c, cs, &own, &x.ncols)) return -1;
        x.names = own;
    }
    int ret = -1, implicit = 0;
    tws_buf sql = {0}, in = {0};
    x.fields = calloc((size_t)x.ncols + 1, sizeof *x.fields);
    x.isnull = calloc((size_t)x.ncols + 1, sizeof *x.isnull);
    tws_buf_put(&sql, "INSERT INTO ", 12);
    tws_buf_put(&sql, cs->table, strlen(cs->table));
    tws_buf_put(&sql, " (", 2);
    for (int i = 0; i < x.ncols; i++) {
        if (i) tws_buf_put(&sql, ", ", 2);
        if (x.names && x.names[i]) tws_buf_put(&sql, x.names[i], strlen(x.names[i]));
    }
    tws_buf_put(&sql, ") VALUES (", 10);
    for (int i = 0; i < x.ncols; i++) {
        char ph[16];
        int k = snprintf(ph, sizeof ph, "%s$%d", i ? ", " : "", i + 1);
        tws_buf_put(&sql, ph, (size_t)k);
    }
    tws_buf_put(&sql, ")", 2);
    if (sql.nomem || !x.fields || !x.isnull || !x.names || x.ncols == 0) {
        send_error(c, x.ncols ? "53200" : "42601",
                   x.ncols ? "out of memory" : "COPY needs a table with columns", 0);
        goto out;
    }
    if (prepare(c, sql.p, -1, &x.ins, NULL) != TWILL_OK || !x.ins) {
        send_error(c, twill_sqlstate(c->s), twill_errmsg(c->s), 0);
        goto out;
    }
    if (twill_transaction_status(c->s) == TWILL_TXN_FAILED) {
        send_error(c, "25P02",
                   "current transaction is aborted, commands ignored until end of transaction "
                   "block",
                   0);
        goto out;
    }
    if (twill_transaction_status(c->s) == TWILL_TXN_IDLE) {
        if (twill_exec(c->s, "BEGIN") != TWILL_OK) {
            send_error(c, twill_sqlstate(c->s), twill_errmsg(c->s), 0);
            goto out;
        }
        implicit = 1;
    }
    tws_w_begin(&c->io, 'G'); /* CopyInResponse: text, every column text */
    tws_w_u8(&c->io, 0);
    tws_w_i16(&c->io, (int16_t)x.ncols);
    for (int i = 0; i < x.ncols; i++) tws_w_i16(&c->io, 0);
    tws_w_end(&c->io);
    if (tws_io_flush(&c->io)) {
        copy_in_failed(c, implicit);
        ret = -2;
        goto out;
    }
    size_t pos = 0;
    char tag_err[200];
    for (;;) {
        char type = 0;
        int rc = tws_io_read(&c->io, 1, &type, TWS_MAX_MESSAGE, -1);
        if (rc == TWS_IO_STOP) {
            copy_in_failed(c, implicit);
            send_fatal(c, "57P01", "terminating connection due to administrator command");
            ret = -2;
            goto out;
        }
        if (rc) {
            copy_in_failed(c, implicit);
            if (rc == TWS_IO_BADLEN) send_fatal(c, "08P01", "invalid message length");
            ret = -2;
            goto out;
        }
        if (type == 'd') {
            /* One record may span messages, but not without bound. */
            if (in.n + c->io.msglen > TWS_MAX_MESSAGE) {
                snprintf(tag_err, sizeof tag_err, "COPY %s, line %lld", cs->label ? cs->label : "",
                         (long long)x.line + 1);
                send_error_where(c, "54000", "COPY record is longer than 1 GiB", 0, tag_err);
                copy_in_failed(c, implicit);
                goto out;
            }
            tws_buf_put(&in, (const char *)c->io.msg, c->io.msglen);
            if (in.nomem) {
                send_error(c, "53200", "out of memory", 0);
                copy_in_failed(c, implicit);
                goto out;
            }
            size_t k;
            while ((k = tws_copy_record_end(cs, in.p + pos, in.n - pos)) > 0) {
                if (copy_in_record(c, &x, in.p + pos, k - 1)) {
                    copy_in_failed(c, implicit);
                    goto out;
                }
                pos += k;
            }
            /* Keep only the incomplete record. */
            memmove(in.p, in.p + pos, in.n - pos);
            in.n -= pos;
            pos = 0;
        } else if (type == 'c') {
            if (in.n > 0) {
                /* A last record without its newline; the byte after it is writable
                 * once the buffer has grown by one. */
                tws_buf_put(&in, "\n", 1);
                if (in.nomem || copy_in_record(c, &x, in.p, in.n - 1)) {
                    if (in.nomem) send_error(c, "53200", "out of memory", 0);
                    copy_in_failed(c, implicit);
                    goto out;
                }
            }
            if (implicit && twill_exec(c->s, "COMMIT") != TWILL_OK) {
                send_session_error(c, 0);
                goto out;
            }
            char tag[40];
            snprintf(tag, sizeof tag, "COPY %lld", (long long)x.rows);
            tws_w_begin(&c->io, 'C');
            tws_w_str(&c->io, tag);
            tws_w_end(&c->io);
            ret = 0;
            goto out;
        } else if (type == 'f') {
            tws_rd r;
            tws_rd_init(&r, c->io.msg, c->io.msglen);
            char msg[300];
            snprintf(msg, sizeof msg, "COPY from stdin failed: %.250s", tws_rd_str(&r));
            copy_in_failed(c, implicit);
            send_error(c, "57014", msg, 0);
            goto out;
        } else if (type == 'H' || type == 'S') {
            /* PostgreSQL ignores Flush and Sync during COPY IN (libpq sends them). */
        } else if (type == 'X') {
            copy_in_failed(c, implicit);
            ret = -2;
            goto out;
        } else {
            copy_in_failed(c, implicit);
            send_fatal(c, "08P01", "unexpected message type 0x%02X during COPY from stdin",
                       (unsigned char)type);
            ret = -2;
            goto out;
        }
    }
out:
    twill_finalize(x.ins);
    free(sql.p);
    free(in.p);
    free(x.fields);
    free(x.isnull);
    if (own) {
        for (int i = 0; i < x.ncols; i++) free(own[i]);
        free(own);
    }
    return ret;
}

/* Sends one CopyData message of the buffered row. */
static void send_copy_data(conn *c, const tws_buf *b) {
    tws_w_begin(&c->io, 'd');
    tws_w_bytes(&c->io, b->p, b->n);
    tws_w_end(&c->io);
}

/* COPY table|(query) TO STDOUT. Returns 0 done, -1 error reported, -2 connection dead. */
static int copy_out(conn *c, tws_copy_stmt *cs) {
    tws_buf sql = {0}, row = {0};
    if (cs->query) {
        tws_buf_put(&sql, cs->query, strlen(cs->query) + 1);
    } else {
        tws_buf_put(&sql, "SELECT ", 7);
        for (int i = 0; i < cs->ncols; i++) {
            if (i) tws_buf_put(&sql, ", ", 2);
            tws_buf_put(&sql, cs->cols[i], strlen(cs->cols[i]));
        }
        if (!cs->ncols) tws_buf_put(&sql, "*", 1);
        tws_buf_put(&sql, " FROM ", 6);
        tws_buf_put(&sql, cs->table, strlen(cs->table) + 1);
    }
    twill_stmt *st = NULL;
    const char *tail = NULL;
    int ret = -1;
    if (sql.nomem) {
        send_error(c, "53200", "out of memory", 0);
        goto out;
    }
    if (prepare(c, sql.p, -1, &st, &tail) != TWILL_OK) {
        send_error(c, twill_sqlstate(c->s), twill_errmsg(c->s), 0);
        goto out;
    }
    if (!st || twill_column_count(st) == 0 || *skip_blank(tail)) {
        send_error(c, "42601", "COPY (query) TO needs exactly one query that returns rows", 0);
        goto out;
    }
    int n = twill_column_count(st);
    tws_w_begin(&c->io, 'H'); /* CopyOutResponse: text, every column text */
    tws_w_u8(&c->io, 0);
    tws_w_i16(&c->io, (int16_t)n);
    for (int i = 0; i < n; i++) tws_w_i16(&c->io, 0);
    tws_w_end(&c->io);
    if (cs->header) {
        for (int i = 0; i < n; i++) {
            const char *name = twill_column_name(st, i);
            name = name ? name : "?column?";
            tws_copy_put_field(&row, cs, name, strlen(name), i == 0);
        }
        tws_buf_put(&row, "\n", 1);
        send_copy_data(c, &row);
    }
    int64_t rows = 0;
    for (;;) {
        int rc = twill_step(st);
        if (rc == TWILL_DONE) break;
        if (rc != TWILL_ROW) {
            send_session_error(c, 0);
            goto out;
        }
        row.n = 0;
        for (int i = 0; i < n; i++) {
            const char *t = NULL;
            size_t len = 0;
            int vt = twill_column_type(st, i);
            if (vt != TWILL_TYPE_NULL && (t = twill_column_text(st, i)) != NULL)
                len = vt == TWILL_TYPE_TEXT ? (size_t)twill_column_bytes(st, i) : strlen(t);
            tws_copy_put_field(&row, cs, t, len, i == 0);
        }
        tws_buf_put(&row, "\n", 1);
        if (row.nomem) {
            send_error(c, "53200", "out of memory", 0);
            goto out;
        }
        send_copy_data(c, &row);
        rows++;
        if (tws_io_maybe_flush(&c->io)) {
            ret = -2;
            goto out;
        }
    }
    send_simple(c, 'c');
    char tag[40];
    snprintf(tag, sizeof tag, "COPY %lld", (long long)rows);
    tws_w_begin(&c->io, 'C');
    tws_w_str(&c->io, tag);
    tws_w_end(&c->io);
    ret = 0;
out:
    twill_finalize(st);
    free(sql.p);
    free(row.p);
    return ret;
}

/* Runs the COPY statement at p[0..end). *next receives the text after it. Returns 0,
 * -1 (error reported: the Query stops), -2 (the connection ends). */
static int run_copy(conn *c, const char *p, const char *end, const char **next) {
    tws_copy_stmt cs;
    const char *code = "42601";
    char err[300];
    if (tws_copy_parse(p, (size_t)(end - p), &cs, &code, err, sizeof err)) {
        send_error(c, code, err, 0);
        return -1;
    }
    *next = cs.end;
    int rc = cs.from ? copy_in(c, &cs) : copy_out(c, &cs);
    tws_copy_free(&cs);
    return rc;
}

/* ---- simple query ---- */

static void close_unnamed(conn *c);

static int is_txn_control(const char *cmd) {
    return cmd && (!strcmp(cmd, "BEGIN") || !strcmp(cmd, "COMMIT") || !strcmp(cmd, "ROLLBACK"));
}

enum { CTL_BEGIN, CTL_COMMIT, CTL_ROLLBACK };

/* Runs BEGIN, COMMIT or ROLLBACK through a statement prepared once per connection:
 * the implicit transactions of pipelines and multi-statement Queries open and close
 * often, and a prepare costs a trip through the parser. TWILL_OK or the error code
 * (the error is on the session). */
static int ctl_stmt(conn *c, int which) {
    static const char *const sql[] = {"BEGIN", "COMMIT", "ROLLBACK"};
    if (!c->ctl[which]) {
        int rc = prepare(c, sql[which], -1, &c->ctl[which], NULL);
        if (rc != TWILL_OK) return rc;
        if (!c->ctl[which]) return TWILL_MISUSE;
    }
    return TWILL_OK;
}

/* A Query statement that is exactly BEGIN, COMMIT / END or ROLLBACK (any case, then
 * blanks, an optional ';'): its CTL_* index, *tail set after it; else -1. Such a
 * statement runs on the connection's prepared copy instead of being parsed again
 * (pgbench sends BEGIN and END around every transaction). */
static int match_ctl(const char *p, const char **tail) {
    static const struct {
        const char *word;
        int which;
    } words[] = {{"begin", CTL_BEGIN},
                 {"commit", CTL_COMMIT},
                 {"end", CTL_COMMIT},
                 {"rollback", CTL_ROLLBACK}};
    p = skip_blank(p);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if (strncasecmp(p, words[i].word, n)) continue;
        const char *q = p + n;
        if (*q && *q != ';' && !isspace((unsigned char)*q)) return -1;
        q = skip_blank(q);
        if (*q == ';')
            q++;
        else if (*q)
            return -1;
        *tail = q;
        return words[i].which;
    }
    return -1;
}

static int run_ctl(conn *c, int which) {
    int rc = ctl_stmt(c, which);
    if (rc != TWILL_OK) return rc;
    rc = twill_step(c->ctl[which]);
    twill_reset(c->ctl[which]);
    return rc == TWILL_DONE ? TWILL_OK : rc;
}

/* Ends the implicit block of a multi-statement Query or of a pipeline: commits it, or
 * rolls it back if a statement failed (or `abort` is set). Returns 0, or -1 after
 * reporting a failed commit. */
static int end_implicit_ex(conn *c, int abort) {
    int failed = abort || twill_transaction_status(c->s) == TWILL_TXN_FAILED;
    if (run_ctl(c, failed ? CTL_ROLLBACK : CTL_COMMIT) != TWILL_OK) {
        tws_guc_txn_end(c->gucs, 0);
        send_session_error(c, 0);
        return -1;
    }
    tws_guc_txn_end(c->gucs, !failed);
    return 0;
}

static int end_implicit(conn *c) {
    return end_implicit_ex(c, 0);
}

/* Runs every statement of a Query. As in PostgreSQL, several statements outside a
 * block run as one implicit transaction: an error rolls back the earlier ones too. An
 * explicit BEGIN/COMMIT/ROLLBACK inside the Query first ends the implicit block. */
static int simple_query(conn *c, const char *sql, size_t len) {
    close_unnamed(c);
    twill_session_interrupt(c->s, 0);
    c->queries++;
    const char *p = sql, *end = sql + len;
    int implicit = 0;
    while (p < end) {
        /* Only blanks and comments left: done, without asking the engine to parse them. */
        if (!*skip_blank(p)) break;
        int64_t t0 = now_ms();
        const char *after = match_show_stats(p);
        if (after) {
            show_stats(c, 1);
            p = after;
            continue;
        }
        tws_guc_cmd gc;
        char gerr[200];
        int g = tws_guc_parse(p, (size_t)(end - p), &gc, gerr, sizeof gerr);
        if (g < 0) {
            send_error(c, "42601", gerr, 0);
            break;
        }
        if (g > 0) {
            /* Part of the Query's implicit transaction like any statement, so a later
             * error undoes the setting too. */
            if (!implicit && twill_transaction_status(c->s) == TWILL_TXN_IDLE &&
                *skip_blank(gc.end)) {
                if (run_ctl(c, CTL_BEGIN) != TWILL_OK) {
                    send_session_error(c, 0);
                    tws_guc_cmd_free(&gc);
                    break;
                }
                implicit = 1;
            }
            int rc = run_guc(c, &gc, 1);
            tws_guc_cmd_free(&gc);
            if (rc) break;
            p = gc.end;
            continue;
        }
        if (tws_copy_is(p, (size_t)(end - p))) {
            const char *next = end;
            wd_arm(c);
            int rc = run_copy(c, p, end, &next);
            wd_disarm(c);
            log_slow(c, t0, p, (size_t)(next - p));
            if (rc == -2) {
                if (implicit) twill_exec(c->s, "ROLLBACK");
                return -1;
            }
            if (rc < 0) break;
            p = next;
            continue;
        }
        twill_stmt *st = NULL;
        const char *tail = p;
        int shift = char_count(sql, (size_t)(p - sql));
        int which = match_ctl(p, &tail);
        int cached = which >= 0 && ctl_stmt(c, which) == TWILL_OK;
        if (cached) {
            st = c->ctl[which];
        } else if (prepare(c, p, (int)(end - p), &st, &tail) != TWILL_OK) {
            send_session_error(c, shift);
            break;
        }
        if (!st) break; /* only blanks and comments remain */
        int ctl = is_txn_control(twill_stmt_command(st));
        if (ctl && implicit) {
            implicit = 0;
            if (end_implicit(c)) {
                if (!cached) twill_finalize(st);
                break;
            }
        } else if (!ctl && !implicit && twill_transaction_status(c->s) == TWILL_TXN_IDLE &&
                   tail > p && *skip_blank(tail)) {
            if (run_ctl(c, CTL_BEGIN) != TWILL_OK) {
                send_session_error(c, 0);
                twill_finalize(st);
                break;
            }
            implicit = 1;
        }
        if (twill_column_count(st) > 0) send_row_description(c, st, NULL, 0);
        int64_t rows = 0;
        wd_arm(c);
        int rc = run_rows(c, st, p, NULL, 0, &rows, 0, shift, -1);
        wd_disarm(c);
        log_slow(c, t0, p, (size_t)(tail - p));
        if (cached)
            twill_reset(st);
        else
            twill_finalize(st);
        if (rc == -2) {
            if (implicit) twill_exec(c->s, "ROLLBACK");
            return -1;
        }
        if (rc < 0) break;
        if (tail <= p) break;
        p = tail;
    }
    if (implicit) end_implicit(c);
    return 0;
}

/* ---- extended protocol: statements and portals ---- */

static pstmt *find_stmt(conn *c, const char *name) {
    for (pstmt *s = c->stmts; s; s = s->next)
        if (!strcmp(s->name, name)) return s;
    return NULL;
}

static portal *find_portal(conn *c, const char *name) {
    for (portal *p = c->portals; p; p = p->next)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

static void portal_free(conn *c, portal *p) {
    for (portal **pp = &c->portals; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (p->ps) {
        twill_reset(p->st);
        p->ps->busy = 0;
    } else {
        twill_finalize(p->st);
    }
    free(p->name);
    free(p->sql);
    free(p->fmts);
    free(p);
}

static void stmt_free(conn *c, pstmt *s) {
    for (pstmt **pp = &c->stmts; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    int handed = 0;
    for (portal *p = c->portals; p; p = p->next)
        if (p->ps == s) {
            p->ps = NULL; /* the portal keeps running on the statement it borrowed */
            handed = 1;
        }
    if (!handed) twill_finalize(s->st);
    free(s->name);
    free(s->sql);
    free(s->ptypes);
    free(s);
}

static void close_unnamed(conn *c) {
    portal *p = find_portal(c, "");
    if (p) portal_free(c, p);
    pstmt *s = find_stmt(c, "");
    if (s) stmt_free(c, s);
}

static void drop_all(conn *c) {
    while (c->portals) portal_free(c, c->portals);
    while (c->stmts) stmt_free(c, c->stmts);
    for (int i = 0; i < 3; i++) {
        twill_finalize(c->ctl[i]);
        c->ctl[i] = NULL;
    }
}

/* An extended-protocol error: report it and discard input until Sync. As in
 * PostgreSQL, an error inside a transaction block (explicit, or the implicit one of a
 * pipeline) aborts it, also when the server found it and the engine did not. */
static void ext_error(conn *c, const char *code, const char *msg) {
    send_error(c, code, msg, 0);
    abort_block(c);
    c->skip_to_sync = 1;
}

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Returns -1 for a protocol violation (connection ends), else 0. */
static int msg_parse(conn *c, tws_rd *r) {
    const char *name = tws_rd_str(r);
    const char *sql = tws_rd_str(r);
    int n = tws_rd_i16(r);
    if (n < 0 || r->bad) return -1;
    uint32_t *types = n ? calloc((size_t)n, sizeof *types) : NULL;
    if (n && !types) return -1;
    for (int i = 0; i < n; i++) types[i] = (uint32_t)tws_rd_i32(r);
    if (!tws_rd_done(r)) {
        free(types);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!tws_oid_acceptable(types[i])) {
            char msg[96];
            snprintf(msg, sizeof msg, "type with OID %u does not exist", types[i]);
            free(types);
            ext_error(c, "42704", msg);
            return 0;
        }
    if (*name && find_stmt(c, name)) {
        char msg[160];
        snprintf(msg, sizeof msg, "prepared statement \"%.100s\" already exists", name);
        free(types);
        ext_error(c, "42P05", msg);
        return 0;
    }
    if (!*name) {
        pstmt *old = find_stmt(c, "");
        if (old) stmt_free(c, old);
    }
    twill_stmt *st = NULL;
    const char *tail = sql;
    tws_guc_cmd gc;
    char gerr[200];
    const char *stats_end = match_show_stats(sql);
    /* SHOW twill.stats is answered by the server (GUC_STATS), like SET/SHOW/RESET. */
    int guc = stats_end && !*skip_blank(stats_end)
                  ? GUC_STATS
                  : tws_guc_parse(sql, strlen(sql), &gc, gerr, sizeof gerr);
    if (guc == 1) tws_guc_cmd_free(&gc);
    if (guc < 0 || (guc == 1 && *skip_blank(gc.end))) {
        free(types);
        ext_error(c, "42601",
                  guc < 0 ? gerr : "cannot insert multiple commands into a prepared statement");
        return 0;
    }
    if (!guc && prepare(c, sql, -1, &st, &tail) != TWILL_OK) {
        free(types);
        send_session_error(c, 0);
        c->skip_to_sync = 1;
        return 0;
    }
    if (st && tail && *skip_blank(tail)) {
        /* Something follows the statement: a second statement is 42601 (blanks and
         * comments are skipped here without a trip through the parser). */
        twill_stmt *more = NULL;
        const char *t2;
        if (prepare(c, tail, -1, &more, &t2) == TWILL_OK && more) {
            twill_finalize(more);
            twill_finalize(st);
            free(types);
            ext_error(c, "42601", "cannot insert multiple commands into a prepared statement");
            return 0;
        }
    }
    pstmt *s = calloc(1, sizeof *s);
    if (s) {
        s->name = dupstr(name);
        s->sql = dupstr(sql);
    }
    if (!s || !s->name || !s->sql) {
        if (s) {
            free(s->name);
            free(s->sql);
            free(s);
        }
        twill_finalize(st);
        free(types);
        ext_error(c, "53200", "out of memory");
        return 0;
    }
    s->st = st; /* NULL for an empty query or a SET/SHOW/RESET */
    s->guc = guc;
    s->nparams = st ? twill_bind_parameter_count(st) : 0;
    if (n > s->nparams) s->nparams = n;
    s->ptypes = calloc((size_t)(s->nparams ? s->nparams : 1), sizeof *s->ptypes);
    if (!s->ptypes) {
        twill_finalize(st);
        free(s->name);
        free(s->sql);
        free(s);
        free(types);
        ext_error(c, "53200", "out of memory");
        return 0;
    }
    for (int i = 0; i < n; i++) s->ptypes[i] = types[i];
    /* Parameters the client left unspecified take the type their context gives them
     * (as PostgreSQL infers it): Describe reports it and Bind decodes binary values as
     * that type. */
    for (int i = 0; st && i < s->nparams; i++)
        if (!s->ptypes[i]) s->ptypes[i] = twill_bind_parameter_pg_type(st, i + 1);
    free(types);
    s->next = c->stmts;
    c->stmts = s;
    tws_w_begin(&c->io, '1');
    tws_w_end(&c->io);
    return 0;
}

static int msg_bind(conn *c, tws_rd *r) {
    const char *pname = tws_rd_str(r);
    const char *sname = tws_rd_str(r);
    int nf = tws_rd_i16(r);
    if (nf < 0 || r->bad) return -1;
    const uint8_t *fmtp = tws_rd_bytes(r, (size_t)nf * 2);
    int np = tws_rd_i16(r);
    if (np < 0 || r->bad) return -1;
    pstmt *s = find_stmt(c, sname);
    if (!s) {
        char msg[160];
        snprintf(msg, sizeof msg, "prepared statement \"%.100s\" does not exist", sname);
        ext_error(c, "26000", msg);
        return 0;
    }
    if (*pname && find_portal(c, pname)) {
        char msg[160];
        snprintf(msg, sizeof msg, "portal \"%.100s\" already exists", pname);
        ext_error(c, "42P03", msg);
        return 0;
    }
    if ((nf > 1 && nf != np) || np != s->nparams) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "bind message supplies %d parameters, but prepared statement \"%.60s\" "
                 "requires %d",
                 np, sname, s->nparams);
        ext_error(c, "08P01", msg);
        return 0;
    }
    if (!*pname) {
        portal *old = find_portal(c, "");
        if (old) portal_free(c, old);
    }
    portal *p = calloc(1, sizeof *p);
    if (!p || !(p->name = dupstr(pname)) || !(p->sql = dupstr(s->sql))) {
        if (p) free(p->name);
        free(p);
        ext_error(c, "53200", "out of memory");
        return 0;
    }
    p->guc = s->guc;
    if (s->st && !s->busy) {
        p->ps = s;
        p->st = s->st;
        s->busy = 1;
        twill_reset(p->st);
    } else if (s->st) {
        /* Another portal runs this statement: this one gets its own copy. */
        if (prepare(c, s->sql, -1, &p->st, NULL) != TWILL_OK) {
            free(p->name);
            free(p->sql);
            free(p);
            send_session_error(c, 0);
            c->skip_to_sync = 1;
            return 0;
        }
    }
    p->next = c->portals;
    c->portals = p;
    const char *err_state = NULL;
    char err_msg[160] = "";
    for (int i = 0; i < np; i++) {
        int32_t len = tws_rd_i32(r);
        const uint8_t *v = NULL;
        if (len >= 0) v = tws_rd_bytes(r, (size_t)len);
        if (r->bad) return -1;
        int fmt = nf == 0   ? 0
                  : nf == 1 ? (fmtp[0] << 8 | fmtp[1])
                            : (fmtp[2 * i] << 8 | fmtp[2 * i + 1]);
        if (fmt != 0 && fmt != 1) return -1;
        if (!p->st || err_state) continue;
        int rc = tws_bind_param(p->st, i + 1, s->ptypes[i], fmt, v, len, &err_state, err_msg,
                                sizeof err_msg);
        if (rc != TWILL_OK && !err_state) {
            err_state = twill_sqlstate(c->s);
            snprintf(err_msg, sizeof err_msg, "%s", twill_errmsg(c->s));
        }
    }
    int nr = tws_rd_i16(r);
    if (nr < 0 || r->bad) return -1;
    if (nr) {
        p->fmts = calloc((size_t)nr, sizeof *p->fmts);
        if (!p->fmts) return -1;
    }
    for (int i = 0; i < nr; i++) {
        p->fmts[i] = tws_rd_i16(r);
        if (p->fmts[i] != 0 && p->fmts[i] != 1) return -1;
    }
    p->nfmts = nr;
    if (!tws_rd_done(r)) return -1;
    int ncols = p->st ? twill_column_count(p->st) : 0;
    if (nr > 1 && nr != ncols) {
        portal_free(c, p);
        ext_error(c, "08P01", "bind message has the wrong number of result formats");
        return 0;
    }
    for (int i = 0; !err_state && i < ncols; i++) {
        uint32_t oid = twill_column_pg_type(p->st, i, NULL);
        if (col_format(p->fmts, nr, i) == 1 && tws_oid_is_array(oid)) {
            err_state = "0A000";
            snprintf(err_msg, sizeof err_msg,
                     "binary format for result column %d of type %u is not supported", i + 1, oid);
        }
    }
    if (err_state) {
        portal_free(c, p);
        ext_error(c, err_state, err_msg);
        return 0;
    }
    tws_w_begin(&c->io, '2');
    tws_w_end(&c->io);
    return 0;
}

/* Describe of a SET/SHOW/RESET: a SHOW's one text column, else NoData. An unknown
 * SHOW name is reported at Execute, as the statement runs. */
static void describe_guc(conn *c, const char *sql) {
    tws_guc_cmd gc;
    char err[200];
    int sent = 0;
    if (tws_guc_parse(sql, strlen(sql), &gc, err, sizeof err) == 1) {
        if (gc.kind == TWS_GUC_SHOW) sent = !guc_describe(c, &gc, 1);
        tws_guc_cmd_free(&gc);
    }
    if (!sent) send_simple(c, 'n');
}

static int msg_describe(conn *c, tws_rd *r) {
    char kind = (char)tws_rd_u8(r);
    const char *name = tws_rd_str(r);
    if (!tws_rd_done(r) || (kind != 'S' && kind != 'P')) return -1;
    if (kind == 'S') {
        pstmt *s = find_stmt(c, name);
        if (!s) {
            char msg[160];
            snprintf(msg, sizeof msg, "prepared statement \"%.100s\" does not exist", name);
            ext_error(c, "26000", msg);
            return 0;
        }
        tws_w_begin(&c->io, 't');
        tws_w_i16(&c->io, (int16_t)s->nparams);
        /* A parameter no context typed (SELECT $1) is described as text: the engine
         * converts a text value to whatever it meets. */
        for (int i = 0; i < s->nparams; i++)
            tws_w_i32(&c->io, (int32_t)(s->ptypes[i] ? s->ptypes[i] : TWS_OID_TEXT));
        tws_w_end(&c->io);
        if (s->guc == GUC_STATS)
            stats_describe(c);
        else if (s->guc)
            describe_guc(c, s->sql);
        else if (s->st && twill_column_count(s->st) > 0)
            send_row_description(c, s->st, NULL, 0);
        else
            send_simple(c, 'n');
        return 0;
    }
    portal *p = find_portal(c, name);
    if (!p) {
        char msg[160];
        snprintf(msg, sizeof msg, "portal \"%.100s\" does not exist", name);
        ext_error(c, "34000", msg);
        return 0;
    }
    if (p->guc == GUC_STATS)
        stats_describe(c);
    else if (p->guc)
        describe_guc(c, p->sql);
    else if (p->st && twill_column_count(p->st) > 0)
        send_row_description(c, p->st, p->fmts, p->nfmts);
    else
        send_simple(c, 'n');
    return 0;
}

/* 1 if the next message, already received, is a Sync. */
static int next_is_sync(const conn *c) {
    return tws_io_pending(&c->io) && c->io.rbuf[c->io.rpos] == 'S';
}

static int msg_execute(conn *c, tws_rd *r) {
    const char *name = tws_rd_str(r);
    int32_t max_rows = tws_rd_i32(r);
    if (!tws_rd_done(r)) return -1;
    portal *p = find_portal(c, name);
    if (!p) {
        char msg[160];
        snprintf(msg, sizeof msg, "portal \"%.100s\" does not exist", name);
        ext_error(c, "34000", msg);
        return 0;
    }
    if (p->guc == GUC_STATS) {
        if (p->done) {
            send_tag(c, "SHOW");
        } else {
            c->queries++;
            show_stats(c, 0);
            p->done = 1;
        }
        return 0;
    }
    if (p->guc && !p->done) {
        tws_guc_cmd gc;
        char err[200];
        int rc = -1;
        c->queries++;
        if (tws_guc_parse(p->sql, strlen(p->sql), &gc, err, sizeof err) == 1) {
            rc = run_guc(c, &gc, 0);
            tws_guc_cmd_free(&gc);
        }
        p->done = 1;
        if (rc) c->skip_to_sync = 1;
        return 0;
    }
    if (!p->st) {
        if (p->guc) {
            send_tag(c, "SET");
            return 0;
        }
        send_simple(c, 'I'); /* EmptyQueryResponse */
        return 0;
    }
    if (p->done) {
        /* PostgreSQL answers a finished portal with an empty completion. */
        send_complete(c, p->st, p->sql, twill_transaction_status(c->s), 0);
        return 0;
    }
    twill_session_interrupt(c->s, 0);
    c->queries++;
    int notice_before = -1;
    int ctl = is_txn_control(twill_stmt_command(p->st));
    if (c->ext_implicit && ctl) {
        /* BEGIN turns the implicit transaction into a block (the statements before it
         * join it); COMMIT / ROLLBACK end it, with PostgreSQL's 25P01 warning. */
        c->ext_implicit = 0;
        notice_before = TWILL_TXN_IDLE;
    } else if (!ctl && !c->ext_implicit && twill_transaction_status(c->s) == TWILL_TXN_IDLE &&
               !next_is_sync(c)) {
        /* As in PostgreSQL, the Executes up to Sync form one implicit transaction. An
         * Execute that Sync directly follows (libpq's PQexecParams, most drivers) is
         * that whole transaction: it runs in autocommit, with no BEGIN/COMMIT. */
        if (run_ctl(c, CTL_BEGIN) != TWILL_OK) {
            send_session_error(c, 0);
            c->skip_to_sync = 1;
            return 0;
        }
        c->ext_implicit = 1;
    }
    int64_t t0 = now_ms();
    wd_arm(c);
    int rc = run_rows(c, p->st, p->sql, p->fmts, p->nfmts, &p->rows, max_rows, 0, notice_before);
    wd_disarm(c);
    log_slow(c, t0, p->sql, strlen(p->sql));
    if (rc == -2) return -1;
    if (rc == 0) p->done = 1;
    if (rc == -1) {
        p->done = 1;
        c->skip_to_sync = 1;
    }
    return 0;
}

static int msg_close(conn *c, tws_rd *r) {
    char kind = (char)tws_rd_u8(r);
    const char *name = tws_rd_str(r);
    if (!tws_rd_done(r) || (kind != 'S' && kind != 'P')) return -1;
    if (kind == 'S') {
        pstmt *s = find_stmt(c, name);
        if (s) stmt_free(c, s);
    } else {
        portal *p = find_portal(c, name);
        if (p) portal_free(c, p);
    }
    tws_w_begin(&c->io, '3');
    tws_w_end(&c->io);
    return 0;
}

static void msg_sync(conn *c) {
    if (c->ext_implicit) {
        c->ext_implicit = 0;
        /* Commits the pipeline's Executes, or rolls them back after an error (one the
         * server found, too: the engine's block is then still healthy). */
        if (twill_transaction_status(c->s) != TWILL_TXN_IDLE) end_implicit_ex(c, c->skip_to_sync);
    }
    c->skip_to_sync = 0;
    /* Outside a block, portals end with the implicit transaction of the Sync (a
     * suspended SELECT would otherwise hold its snapshot open). */
    if (twill_transaction_status(c->s) == TWILL_TXN_IDLE)
        while (c->portals) portal_free(c, c->portals);
    send_ready(c);
}

/* ---- startup and authentication ---- */

/* Reads one typed message during authentication; -1 on anything unexpected. */
static int auth_read(conn *c, char want, tws_rd *r) {
    char type = 0;
    int rc = tws_io_read(&c->io, 1, &type, TWS_MAX_STARTUP, AUTH_TIMEOUT_MS);
    if (rc) return -1;
    if (type != want) {
        send_fatal(c, "08P01", "expected password response, got message type %d", type);
        return -1;
    }
    tws_rd_init(r, c->io.msg, c->io.msglen);
    return 0;
}

static int authenticate_scram(conn *c) {
    tws_w_begin(&c->io, 'R');
    tws_w_i32(&c->io, 10); /* AuthenticationSASL */
    tws_w_str(&c->io, "SCRAM-SHA-256");
    tws_w_u8(&c->io, 0);
    tws_w_end(&c->io);
    if (tws_io_flush(&c->io)) return -1;
    tws_rd r;
    if (auth_read(c, 'p', &r)) return -1;
    const char *mech = tws_rd_str(&r);
    int32_t n = tws_rd_i32(&r);
    const uint8_t *data = n >= 0 ? tws_rd_bytes(&r, (size_t)n) : NULL;
    if (!tws_rd_done(&r) || !data) {
        send_fatal(c, "08P01", "malformed SASL initial response");
        return -1;
    }
    if (strcmp(mech, "SCRAM-SHA-256")) {
        send_fatal(c, "28000", "client selected an invalid SASL authentication mechanism");
        return -1;
    }
    tws_scram x;
    char out[600];
    if (tws_scram_first(&x, &c->srv->secret, (const char *)data, (size_t)n, out, sizeof out)) {
        send_fatal(c, "08P01", "malformed SCRAM message");
        return -1;
    }
    tws_w_begin(&c->io, 'R');
    tws_w_i32(&c->io, 11); /* AuthenticationSASLContinue */
    tws_w_bytes(&c->io, out, strlen(out));
    tws_w_end(&c->io);
    if (tws_io_flush(&c->io)) return -1;
    if (auth_read(c, 'p', &r)) return -1;
    if (tws_scram_final(&x, (const char *)c->io.msg, c->io.msglen, out, sizeof out)) {
        send_fatal(c, "28P01", "password authentication failed for user \"%s\"", c->user);
        return -1;
    }
    tws_w_begin(&c->io, 'R');
    tws_w_i32(&c->io, 12); /* AuthenticationSASLFinal */
    tws_w_bytes(&c->io, out, strlen(out));
    tws_w_end(&c->io);
    return 0;
}

/* AuthenticationCleartextPassword: only ever on a TLS connection, where the password
 * is encrypted on the wire; it is checked against the SCRAM secret. */
static int authenticate_cleartext(conn *c) {
    tws_w_begin(&c->io, 'R');
    tws_w_i32(&c->io, 3);
    tws_w_end(&c->io);
    if (tws_io_flush(&c->io)) return -1;
    tws_rd r;
    if (auth_read(c, 'p', &r)) return -1;
    const char *pw = tws_rd_str(&r);
    if (!tws_rd_done(&r)) {
        send_fatal(c, "08P01", "malformed password message");
        return -1;
    }
    int bad = tws_scram_check_password(&c->srv->secret, pw);
    OPENSSL_cleanse(c->io.msg, c->io.msglen);
    if (bad) {
        send_fatal(c, "28P01", "password authentication failed for user \"%s\"", c->user);
        return -1;
    }
    return 0;
}

static void copy_param(char *dst, size_t cap, const char *v) {
    snprintf(dst, cap, "%s", v);
}

/* Keeps a StartupMessage parameter for the session's settings (applied once the
 * session exists). -1 after a fatal error. */
static int keep_startup_param(conn *c, const char *k, const char *v) {
    size_t kn = strlen(k) + 1, vn = strlen(v) + 1;
    char *p = realloc(c->startup_params, c->startup_len + kn + vn);
    if (!p) {
        send_fatal(c, "53200", "out of memory");
        return -1;
    }
    memcpy(p + c->startup_len, k, kn);
    memcpy(p + c->startup_len + kn, v, vn);
    c->startup_params = p;
    c->startup_len += kn + vn;
    return 0;
}

/* Applies one startup setting. Unknown names are ignored (drivers send extras); a
 * value the server refuses ends the connection, as in PostgreSQL. */
static int apply_startup_param(conn *c, const char *k, const char *v) {
    const char *code;
    char err[300];
    if (!strcmp(k, "replication")) return 0;
    if (tws_guc_set(c->gucs, k, v, TWS_GUC_STARTUP, &code, err, sizeof err) == 0 ||
        !strcmp(code, "42704") || !strcmp(code, "55P02"))
        return 0;
    send_fatal(c, code, "%s", err);
    return -1;
}

/* The "options" startup parameter: command-line switches "-c name=value" (or
 * "--name=value"), as libpq's PGOPTIONS sends them; backslash escapes a space. */
static int apply_startup_options(conn *c, const char *opts) {
    char *buf = malloc(strlen(opts) + 1);
    if (!buf) return -1;
    const char *p = opts;
    int want_c = 0, rc = 0;
    while (*p && !rc) {
        while (isspace((unsigned char)*p)) p++;
        size_t n = 0;
        while (*p && !isspace((unsigned char)*p)) {
            if (*p == '\\' && p[1]) p++;
            buf[n++] = *p++;
        }
        buf[n] = 0;
        if (!n) break;
        const char *kv = NULL;
        if (want_c) {
            kv = buf;
            want_c = 0;
        } else if (!strcmp(buf, "-c")) {
            want_c = 1;
        } else if (!strncmp(buf, "-c", 2)) {
            kv = buf + 2;
        } else if (!strncmp(buf, "--", 2)) {
            kv = buf + 2;
        }
        char *eq = kv ? strchr(kv, '=') : NULL;
        if (eq) {
            *eq = 0;
            /* Dashes stand for underscores in switch names. */
            for (char *q = (char *)kv; *q; q++)
                if (*q == '-') *q = '_';
            rc = apply_startup_param(c, kv, eq + 1);
        }
    }
    free(buf);
    return rc;
}

/* Returns 1 to go on to queries, 0 to close quietly, -1 after a fatal error. */
static int startup(conn *c) {
    for (int round = 0; round < 3; round++) {
        int rc = tws_io_read(&c->io, 0, NULL, TWS_MAX_STARTUP, AUTH_TIMEOUT_MS);
        if (rc == TWS_IO_BADLEN) {
            send_fatal(c, "08P01", "invalid length of startup packet");
            return -1;
        }
        if (rc) return 0;
        tws_rd r;
        tws_rd_init(&r, c->io.msg, c->io.msglen);
        int32_t code = tws_rd_i32(&r);
        if (r.bad) {
            send_fatal(c, "08P01", "invalid length of startup packet");
            return -1;
        }
        if (code == CODE_SSL && c->srv->tls_ctx && !c->io.tls) {
            /* Bytes pipelined behind SSLRequest were sent in the clear and could be
             * injected by a man in the middle (CVE-2021-23222): refuse them. */
            if (tws_io_pending(&c->io)) {
                send_fatal(c, "08P01", "received unencrypted data after SSL request");
                return -1;
            }
            tws_w_raw(&c->io, "S", 1);
            if (tws_io_flush(&c->io)) return 0;
            char err[256];
            c->io.tls = tws_tls_accept(c->srv->tls_ctx, c->io.fd, AUTH_TIMEOUT_MS, err, sizeof err);
            if (!c->io.tls) {
                char q[300];
                tws_log(TWS_LOG_INFO, "tls_handshake_failed", "pid=%d remote=%s err=%s", c->reg.pid,
                        c->peer, tws_log_quote(err, q, sizeof q));
                return 0;
            }
            continue;
        }
        if (code == CODE_SSL || code == CODE_GSSENC) {
            /* No TLS configured (or already on), no GSS: the client goes on in the
             * clear or gives up. */
            tws_w_raw(&c->io, "N", 1);
            if (tws_io_flush(&c->io)) return 0;
            continue;
        }
        if (code == CODE_CANCEL) {
            int32_t pid = tws_rd_i32(&r), key = tws_rd_i32(&r);
            if (tws_rd_done(&r)) tws_cancel(c->srv, pid, key);
            return 0;
        }
        int major = (int)((uint32_t)code >> 16), minor = code & 0xffff;
        if (major != 3) {
            send_fatal(c, "0A000",
                       "unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major,
                       minor);
            return -1;
        }
        int nunknown = 0;
        const char *unknown[16];
        for (;;) {
            const char *k = tws_rd_str(&r);
            if (r.bad) {
                send_fatal(c, "08P01", "invalid startup packet layout: expected terminator");
                return -1;
            }
            if (!*k) break;
            const char *v = tws_rd_str(&r);
            if (r.bad) {
                send_fatal(c, "08P01", "invalid startup packet layout");
                return -1;
            }
            if (strcmp(k, "user") && strcmp(k, "database") && strncmp(k, "_pq_.", 5) &&
                keep_startup_param(c, k, v))
                return -1;
            if (!strcmp(k, "user"))
                copy_param(c->user, sizeof c->user, v);
            else if (!strcmp(k, "database"))
                copy_param(c->database, sizeof c->database, v);
            else if (!strcmp(k, "application_name"))
                copy_param(c->appname, sizeof c->appname, v);
            else if (!strncmp(k, "_pq_.", 5) && nunknown < 16)
                unknown[nunknown++] = k;
        }
        if (!tws_rd_done(&r)) {
            send_fatal(c, "08P01", "invalid startup packet layout: expected terminator");
            return -1;
        }
        if (!c->user[0]) {
            send_fatal(c, "28000", "no PostgreSQL user name specified in startup packet");
            return -1;
        }
        if (!c->database[0]) copy_param(c->database, sizeof c->database, c->user);
        if (minor > 0 || nunknown) {
            tws_w_begin(&c->io, 'v'); /* NegotiateProtocolVersion: we speak 3.0 */
            tws_w_i32(&c->io, 3 << 16);
            tws_w_i32(&c->io, nunknown);
            for (int i = 0; i < nunknown; i++) tws_w_str(&c->io, unknown[i]);
            tws_w_end(&c->io);
        }
        tws_server *srv = c->srv;
        pthread_mutex_lock(&srv->mu);
        int full = srv->nclients >= srv->cfg.max_connections;
        if (full)
            srv->rejected_connections++;
        else
            srv->nclients++;
        pthread_mutex_unlock(&srv->mu);
        if (full) {
            send_fatal(c, "53300", "sorry, too many clients already");
            return -1;
        }
        c->counted = 1;
        if (srv->have_password) {
            int rc = c->io.tls && srv->cfg.cleartext_over_tls ? authenticate_cleartext(c)
                                                              : authenticate_scram(c);
            if (rc) return -1;
        }
        tws_w_begin(&c->io, 'R');
        tws_w_i32(&c->io, 0); /* AuthenticationOk */
        tws_w_end(&c->io);
        return 1;
    }
    send_fatal(c, "08P01", "too many negotiation requests");
    return -1;
}

static int open_session(conn *c) {
    tws_server *srv = c->srv;
    twill_session *s;
    if (twill_session_open(srv->db, &s) != TWILL_OK) {
        send_fatal(c, "53000", "could not open a database session");
        return -1;
    }
    pthread_mutex_lock(&srv->mu);
    c->reg.session = s;
    pthread_mutex_unlock(&srv->mu);
    c->s = s;
    c->iso_sent[0] = 0; /* unknown: the first ReadyForQuery tells the engine */
    char ver[64];
    snprintf(ver, sizeof ver, "15.0 (Twill DB %s)", twill_version());
    c->gucs = tws_guc_new(c->user, ver, srv->cfg.idle_tx_timeout, srv->cfg.max_connections);
    if (!c->gucs) {
        send_fatal(c, "53200", "out of memory");
        return -1;
    }
    for (size_t off = 0; off < c->startup_len;) {
        const char *k = c->startup_params + off;
        const char *v = k + strlen(k) + 1;
        off += strlen(k) + strlen(v) + 2;
        if (!strcmp(k, "options") ? apply_startup_options(c, v) : apply_startup_param(c, k, v))
            return -1;
    }
    free(c->startup_params);
    c->startup_params = NULL;
    send_reports(c, 1);
    tws_w_begin(&c->io, 'K');
    tws_w_i32(&c->io, c->reg.pid);
    tws_w_i32(&c->io, c->reg.key);
    tws_w_end(&c->io);
    send_ready(c);
    return tws_io_flush(&c->io);
}

/* ---- the message loop ---- */

static const char *io_reason(int rc) {
    switch (rc) {
    case TWS_IO_EOF:
        return "client_closed";
    case TWS_IO_TIMEOUT:
        return "idle_in_transaction_timeout";
    case TWS_IO_STOP:
        return "shutdown";
    case TWS_IO_BADLEN:
        return "bad_length";
    default:
        return "socket_error";
    }
}

/* Returns the reason the connection ended. */
static const char *serve(conn *c) {
    for (;;) {
        int timeout = -1;
        int idle_ms = tws_guc_ms(c->gucs, "idle_in_transaction_session_timeout");
        if (idle_ms > 0 && twill_transaction_status(c->s) != TWILL_TXN_IDLE &&
            !tws_io_pending(&c->io))
            timeout = idle_ms;
        /* Output is sent before waiting, so a pipelining client sees its answers. */
        if (!tws_io_pending(&c->io) && tws_io_flush(&c->io)) return "client_gone";
        char type = 0;
        int rc = tws_io_read(&c->io, 1, &type, TWS_MAX_MESSAGE, timeout);
        if (rc == TWS_IO_TIMEOUT) {
            send_fatal(c, "25P03", "terminating connection due to idle-in-transaction timeout");
            return io_reason(rc);
        }
        if (rc == TWS_IO_STOP) {
            send_fatal(c, "57P01", "terminating connection due to administrator command");
            return io_reason(rc);
        }
        if (rc == TWS_IO_BADLEN) {
            send_fatal(c, "08P01", "invalid message length");
            return io_reason(rc);
        }
        if (rc) return io_reason(rc);
        tws_rd r;
        tws_rd_init(&r, c->io.msg, c->io.msglen);
        if (type == 'X') return "terminate";
        if (c->skip_to_sync && type != 'S') continue;
        int bad = 0;
        switch (type) {
        case 'Q': {
            const char *sql = tws_rd_str(&r);
            if (!tws_rd_done(&r)) {
                bad = 1;
                break;
            }
            size_t len = strlen(sql);
            if (c->ext_implicit) {
                /* A Query inside a pipeline first ends the pipeline's transaction. */
                c->ext_implicit = 0;
                if (twill_transaction_status(c->s) != TWILL_TXN_IDLE) end_implicit(c);
            }
            if (*skip_blank(sql) == 0) {
                send_simple(c, 'I');
            } else if (simple_query(c, sql, len)) {
                return "client_gone";
            }
            send_ready(c);
            break;
        }
        case 'P':
            bad = msg_parse(c, &r);
            break;
        case 'B':
            bad = msg_bind(c, &r);
            break;
        case 'D':
            bad = msg_describe(c, &r);
            break;
        case 'E':
            bad = msg_execute(c, &r);
            break;
        case 'C':
            bad = msg_close(c, &r);
            break;
        case 'H':
            bad = !tws_rd_done(&r) || tws_io_flush(&c->io);
            break;
        case 'S':
            if (!tws_rd_done(&r)) {
                bad = 1;
                break;
            }
            msg_sync(c);
            break;
        case 'd':
        case 'c':
        case 'f':
            /* COPY data outside COPY is ignored, as PostgreSQL does. */
            break;
        default:
            send_fatal(c, "08P01", "invalid frontend message type %d", (unsigned char)type);
            return "protocol_violation";
        }
        if (bad) {
            if (!c->io.dead)
                send_fatal(c, "08P01", "invalid message format (type '%c')",
                           isprint((unsigned char)type) ? type : '?');
            return "protocol_violation";
        }
        if (c->io.dead || c->io.nomem) return "client_gone";
    }
}

void *tws_conn_main(void *argp) {
    tws_conn_arg *arg = argp;
    tws_server *srv = arg->srv;
    conn *c = calloc(1, sizeof *c);
    const char *reason = "out_of_memory";
    int64_t t0 = now_ms();
    if (c) {
        c->srv = srv;
        snprintf(c->peer, sizeof c->peer, "%s", arg->peer);
        tws_io_init(&c->io, arg->fd, srv->stop_fd);
        c->reg.fd = arg->fd;
        tws_register(srv, &c->reg);
        int st = startup(c);
        if (st == 1 && open_session(c) == 0) {
            char u[100], d[100], a[100];
            const char *auth = !srv->have_password                        ? "trust"
                               : c->io.tls && srv->cfg.cleartext_over_tls ? "password"
                                                                          : "scram-sha-256";
            tws_log(TWS_LOG_INFO, "connection_authorized",
                    "pid=%d remote=%s user=%s database=%s app=%s tls=%s auth=%s", c->reg.pid,
                    c->peer, tws_log_quote(c->user, u, sizeof u),
                    tws_log_quote(c->database, d, sizeof d), tws_log_quote(c->appname, a, sizeof a),
                    c->io.tls ? "on" : "off", auth);
            reason = serve(c);
        } else {
            reason = st == 0 ? "startup_closed" : "startup_failed";
        }
        drop_all(c);
        wd_stop(c);
        tws_unregister(srv, &c->reg);
        /* Rolls back an open transaction: a dropped client is a Terminate. */
        if (c->s) twill_session_close(c->s);
        if (c->s)
            tws_log(TWS_LOG_INFO, "connection_close",
                    "pid=%d remote=%s reason=%s duration_ms=%lld queries=%llu errors=%llu",
                    c->reg.pid, c->peer, reason, (long long)(now_ms() - t0),
                    (unsigned long long)c->queries, (unsigned long long)c->errors);
        else
            tws_log(TWS_LOG_DEBUG, "connection_close", "pid=%d remote=%s reason=%s", c->reg.pid,
                    c->peer, reason);
        tws_io_free(&c->io);
        tws_tls_close(c->io.tls);
        c->io.tls = NULL;
        tws_guc_free(c->gucs);
        free(c->startup_params);
    }
    close(arg->fd);
    int counted = c && c->counted;
    free(c);
    free(arg);
    /* The cancel key and SCRAM nonces came from this thread's random generator; free
     * it before the count below lets the main thread shut libcrypto down. */
    OPENSSL_thread_stop();
    pthread_mutex_lock(&srv->mu);
    if (counted) srv->nclients--;
    srv->nthreads--;
    pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}
