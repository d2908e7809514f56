/*
 * engine.c (api) — the public C ABI of include/twill/engine.h over the SQL layer.
 *
 * Handle safety: every handle starts with a magic number checked on each call, so a
 * NULL, foreign or closed handle yields TWILL_MISUSE instead of undefined behaviour.
 * Closed handles are not returned to malloc: they go to a per-type free list and are
 * reused only for a new handle of the same type, so the memory a stale pointer
 * refers to stays a valid (dead) handle for the life of the process.
 */
#include "twill/engine.h"

#include "sql/sql.h"
#include "txn/engine_internal.h" /* only for the engine's storage handle (its stats) */
#include "txn/txn.h"
#include "util/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_DB 0x54574442u      /* "TWDB" */
#define MAGIC_SESSION 0x54575353u /* "TWSS" */
#define MAGIC_STMT 0x54575354u    /* "TWST" */
#define MAGIC_DEAD 0xDEADDEADu

struct twill_db {
    uint32_t magic;
    twill_db *free_next;
    tw_engine *eng;
    tw_sql_db *sql;
    pthread_mutex_t mu;
    int nsessions;
};

struct twill_session {
    uint32_t magic;
    twill_session *free_next;
    twill_db *db;
    tw_sql_session *sql;
    twill_stmt *stmts; /* open statements, to finalize on close */
    tw_err err;
    _Atomic int interrupt; /* twill_session_interrupt; read by the txn layer's cursors */
};

struct twill_stmt {
    uint32_t magic;
    twill_stmt *free_next;
    twill_session *s;
    tw_sql_stmt *sql;
    twill_stmt *prev, *next;
};

static pthread_mutex_t free_mu = PTHREAD_MUTEX_INITIALIZER;
static twill_db *free_dbs;
static twill_session *free_sessions;
static twill_stmt *free_stmts;

#define POP_FREE(list, type)                                                                       \
    do {                                                                                           \
        pthread_mutex_lock(&free_mu);                                                              \
        h = list;                                                                                  \
        if (h) list = h->free_next;                                                                \
        pthread_mutex_unlock(&free_mu);                                                            \
        if (!h) h = malloc(sizeof(type));                                                          \
        if (h) memset(h, 0, sizeof(type));                                                         \
    } while (0)

#define PUSH_FREE(list, h)                                                                         \
    do {                                                                                           \
        (h)->magic = MAGIC_DEAD;                                                                   \
        pthread_mutex_lock(&free_mu);                                                              \
        (h)->free_next = list;                                                                     \
        list = (h);                                                                                \
        pthread_mutex_unlock(&free_mu);                                                            \
    } while (0)

static _Thread_local tw_err open_err;

int twill_abi_version(void) {
    return TWILL_ENGINE_ABI_VERSION;
}

const char *twill_version(void) {
    return "0.1.0";
}

const char *twill_errstr(int code) {
    switch (code) {
    case TWILL_OK:
        return "ok";
    case TWILL_ERROR:
        return "SQL error";
    case TWILL_MISUSE:
        return "API misuse";
    case TWILL_NOMEM:
        return "out of memory";
    case TWILL_IOERR:
        return "I/O error";
    case TWILL_CORRUPT:
        return "database is damaged";
    case TWILL_BUSY:
        return "database is busy";
    case TWILL_CONFLICT:
        return "serialization failure";
    case TWILL_RANGE:
        return "index out of range";
    case TWILL_NOTSUP:
        return "not supported";
    case TWILL_FENCED:
        return "writer was fenced";
    case TWILL_ROW:
        return "row ready";
    case TWILL_DONE:
        return "done";
    default:
        return "unknown result code";
    }
}

/* ---- databases ---- */

/* Parses "key=value key=value". */
static int parse_options(const char *opts, tw_engine_opts *eo, tw_err *err) {
    memset(eo, 0, sizeof *eo);
    eo->create = 1;
    if (!opts) return TWILL_OK;
    const char *p = opts;
    while (*p) {
        while (*p == ' ' || *p == '&' || *p == ',') p++;
        if (!*p) break;
        const char *eq = strchr(p, '=');
        size_t klen = eq ? (size_t)(eq - p) : 0;
        if (!eq || klen == 0)
            return tw_err_set(err, TWILL_MISUSE, "22023", "malformed option near \"%s\"", p);
        const char *v = eq + 1;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (end == v || errno || (*end && *end != ' ' && *end != '&' && *end != ','))
            return tw_err_set(err, TWILL_MISUSE, "22023", "option %.*s needs a number", (int)klen,
                              p);
        if (klen == 8 && !memcmp(p, "cache_mb", 8)) {
            if (n == 0 || n > (1ull << 20))
                return tw_err_set(err, TWILL_MISUSE, "22023", "cache_mb must be 1..1048576");
            eo->cache_pages = (size_t)(n * 1024 * 1024 / 8192);
        } else if (klen == 6 && !memcmp(p, "create", 6)) {
            eo->create = n != 0;
        } else {
            return tw_err_set(err, TWILL_MISUSE, "22023", "unknown option \"%.*s\"", (int)klen, p);
        }
        p = end;
    }
    return TWILL_OK;
}

int twill_open(const char *url, const char *options, twill_db **out) {
    tw_err_clear(&open_err);
    if (!out) return tw_err_set(&open_err, TWILL_MISUSE, NULL, "twill_open: out is NULL");
    *out = NULL;
    if (!url) return tw_err_set(&open_err, TWILL_MISUSE, NULL, "twill_open: url is NULL");
    tw_engine_opts eo;
    int rc = parse_options(options, &eo, &open_err);
    if (rc) return rc;
    twill_db *h;
    POP_FREE(free_dbs, twill_db);
    if (!h) return tw_err_set(&open_err, TWILL_NOMEM, NULL, "out of memory");
    if ((rc = tw_engine_open(url, &eo, &h->eng, &open_err))) {
        PUSH_FREE(free_dbs, h);
        return rc;
    }
    if ((rc = tw_sql_db_open(h->eng, &h->sql, &open_err))) {
        tw_engine_close(h->eng);
        PUSH_FREE(free_dbs, h);
        return rc;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->magic = MAGIC_DB;
    *out = h;
    return TWILL_OK;
}

const char *twill_open_errmsg(void) {
    return open_err.msg;
}

const char *twill_open_sqlstate(void) {
    return open_err.code ? open_err.sqlstate : "00000";
}

static int db_ok(const twill_db *db) {
    return db && db->magic == MAGIC_DB;
}

int twill_close(twill_db *db) {
    if (!db) return TWILL_OK;
    if (!db_ok(db)) return TWILL_MISUSE;
    pthread_mutex_lock(&db->mu);
    int busy = db->nsessions > 0;
    if (!busy) db->magic = MAGIC_DEAD;
    pthread_mutex_unlock(&db->mu);
    if (busy) return TWILL_BUSY;
    tw_sql_db_close(db->sql);
    tw_engine_close(db->eng);
    pthread_mutex_destroy(&db->mu);
    PUSH_FREE(free_dbs, db);
    return TWILL_OK;
}

int twill_branch_create(twill_db *db, const char *name) {
    if (!db_ok(db) || !name) return TWILL_MISUSE;
    return TWILL_NOTSUP;
}

/* ---- sessions ---- */

static int session_ok(const twill_session *s) {
    return s && s->magic == MAGIC_SESSION;
}

int twill_session_open(twill_db *db, twill_session **out) {
    if (!out) return TWILL_MISUSE;
    *out = NULL;
    if (!db_ok(db)) return TWILL_MISUSE;
    twill_session *h;
    POP_FREE(free_sessions, twill_session);
    if (!h) return TWILL_NOMEM;
    tw_err_clear(&h->err);
    int rc = tw_sql_session_open(db->sql, &h->sql, &h->err);
    if (rc) {
        PUSH_FREE(free_sessions, h);
        return rc;
    }
    h->db = db;
    pthread_mutex_lock(&db->mu);
    db->nsessions++;
    pthread_mutex_unlock(&db->mu);
    h->magic = MAGIC_SESSION;
    *out = h;
    return TWILL_OK;
}

static void stmt_release(twill_stmt *st) {
    twill_session *s = st->s;
    if (st->prev)
        st->prev->next = st->next;
    else
        s->stmts = st->next;
    if (st->next) st->next->prev = st->prev;
    tw_sql_finalize(st->sql);
    PUSH_FREE(free_stmts, st);
}

int twill_session_close(twill_session *s) {
    if (!s) return TWILL_OK;
    if (!session_ok(s)) return TWILL_MISUSE;
    while (s->stmts) stmt_release(s->stmts);
    tw_sql_session_close(s->sql);
    s->magic = MAGIC_DEAD;
    twill_db *db = s->db;
    pthread_mutex_lock(&db->mu);
    db->nsessions--;
    pthread_mutex_unlock(&db->mu);
    PUSH_FREE(free_sessions, s);
    return TWILL_OK;
}

const char *twill_errmsg(const twill_session *s) {
    if (!session_ok(s)) return "invalid or closed session handle";
    return s->err.code ? s->err.msg : "";
}

const char *twill_sqlstate(const twill_session *s) {
    if (!session_ok(s)) return "55000";
    return s->err.code ? s->err.sqlstate : "00000";
}

int twill_errpos(const twill_session *s) {
    return session_ok(s) && s->err.code ? s->err.pos : 0;
}

int twill_in_transaction(const twill_session *s) {
    return session_ok(s) ? tw_sql_in_transaction(s->sql) : 0;
}

/* ---- statements ---- */

int twill_prepare(twill_session *s, const char *sql, int len, twill_stmt **out, const char **tail) {
    if (out) *out = NULL;
    if (tail) *tail = sql;
    if (!session_ok(s)) return TWILL_MISUSE;
    tw_err_clear(&s->err);
    if (!sql || !out)
        return tw_err_set(&s->err, TWILL_MISUSE, NULL, "twill_prepare: NULL argument");
    size_t n = len < 0 ? strlen(sql) : (size_t)len;
    tw_sql_stmt *q = NULL;
    size_t consumed = 0;
    int rc = tw_sql_prepare(s->sql, sql, n, &q, &consumed, &s->err);
    if (rc) return rc;
    if (tail) *tail = sql + consumed;
    if (!q) return TWILL_OK;
    twill_stmt *h;
    POP_FREE(free_stmts, twill_stmt);
    if (!h) {
        tw_sql_finalize(q);
        return tw_err_set(&s->err, TWILL_NOMEM, NULL, "out of memory");
    }
    h->s = s;
    h->sql = q;
    h->next = s->stmts;
    if (s->stmts) s->stmts->prev = h;
    s->stmts = h;
    h->magic = MAGIC_STMT;
    *out = h;
    return TWILL_OK;
}

static int stmt_ok(const twill_stmt *st) {
    return st && st->magic == MAGIC_STMT;
}

int twill_finalize(twill_stmt *st) {
    if (!st) return TWILL_OK;
    if (!stmt_ok(st)) return TWILL_MISUSE;
    stmt_release(st);
    return TWILL_OK;
}

int twill_reset(twill_stmt *st) {
    if (!stmt_ok(st)) return TWILL_MISUSE;
    return tw_sql_reset(st->sql);
}

int twill_clear_bindings(twill_stmt *st) {
    if (!stmt_ok(st)) return TWILL_MISUSE;
    return tw_sql_clear_bindings(st->sql);
}

int twill_bind_parameter_count(const twill_stmt *st) {
    return stmt_ok(st) ? tw_sql_param_count(st->sql) : 0;
}

static int bind(twill_stmt *st, int idx, const tw_sql_arg *a) {
    if (!stmt_ok(st)) return TWILL_MISUSE;
    tw_err_clear(&st->s->err);
    return tw_sql_bind(st->sql, idx, a, &st->s->err);
}

int twill_bind_null(twill_stmt *st, int idx) {
    tw_sql_arg a = {.type = TWILL_TYPE_NULL};
    return bind(st, idx, &a);
}

int twill_bind_int64(twill_stmt *st, int idx, int64_t v) {
    tw_sql_arg a = {.type = TWILL_TYPE_INT64, .i = v};
    return bind(st, idx, &a);
}

int twill_bind_double(twill_stmt *st, int idx, double v) {
    tw_sql_arg a = {.type = TWILL_TYPE_DOUBLE, .d = v};
    return bind(st, idx, &a);
}

int twill_bind_bool(twill_stmt *st, int idx, int v) {
    tw_sql_arg a = {.type = TWILL_TYPE_BOOL, .i = v != 0};
    return bind(st, idx, &a);
}

int twill_bind_text(twill_stmt *st, int idx, const char *v, int len) {
    if (!v) return twill_bind_null(st, idx);
    tw_sql_arg a = {.type = TWILL_TYPE_TEXT, .p = v, .len = len < 0 ? strlen(v) : (size_t)len};
    return bind(st, idx, &a);
}

int twill_bind_blob(twill_stmt *st, int idx, const void *v, int len) {
    if (len < 0) return stmt_ok(st) ? TWILL_RANGE : TWILL_MISUSE;
    if (!v && len > 0) return TWILL_MISUSE;
    tw_sql_arg a = {.type = TWILL_TYPE_BLOB, .p = v ? v : "", .len = (size_t)len};
    return bind(st, idx, &a);
}

int twill_step(twill_stmt *st) {
    if (!stmt_ok(st)) return TWILL_MISUSE;
    tw_err_clear(&st->s->err);
    tw_txn_set_interrupt(&st->s->interrupt);
    int rc = tw_sql_step(st->sql, &st->s->err);
    tw_txn_set_interrupt(NULL);
    return rc;
}

int64_t twill_changes(const twill_stmt *st) {
    return stmt_ok(st) ? tw_sql_changes(st->sql) : 0;
}

int twill_column_count(const twill_stmt *st) {
    return stmt_ok(st) ? tw_sql_column_count(st->sql) : 0;
}

const char *twill_column_name(const twill_stmt *st, int col) {
    if (!stmt_ok(st) || col < 0 || col >= tw_sql_column_count(st->sql)) return NULL;
    return tw_sql_column_name(st->sql, col);
}

int twill_column_decltype(const twill_stmt *st, int col) {
    if (!stmt_ok(st) || col < 0 || col >= tw_sql_column_count(st->sql)) return TWILL_TYPE_NULL;
    return tw_sql_column_decltype(st->sql, col);
}

static void column(twill_stmt *st, int col, tw_sql_arg *a) {
    memset(a, 0, sizeof *a);
    if (!stmt_ok(st) || col < 0 || col >= tw_sql_column_count(st->sql)) return;
    tw_sql_column_value(st->sql, col, a);
}

int twill_column_type(const twill_stmt *st, int col) {
    tw_sql_arg a;
    column((twill_stmt *)st, col, &a);
    return a.type;
}

int64_t twill_column_int64(twill_stmt *st, int col) {
    tw_sql_arg a;
    column(st, col, &a);
    switch (a.type) {
    case TWILL_TYPE_INT64:
    case TWILL_TYPE_BOOL:
        return a.i;
    case TWILL_TYPE_DOUBLE:
        /* Saturate instead of the undefined out-of-range conversion. */
        if (a.d != a.d) return 0;
        if (a.d >= 9223372036854775807.0) return INT64_MAX;
        if (a.d <= -9223372036854775808.0) return INT64_MIN;
        return (int64_t)a.d;
    case TWILL_TYPE_TEXT: {
        const char *t = twill_column_text(st, col);
        return t ? strtoll(t, NULL, 10) : 0;
    }
    default:
        return 0;
    }
}

double twill_column_double(twill_stmt *st, int col) {
    tw_sql_arg a;
    column(st, col, &a);
    switch (a.type) {
    case TWILL_TYPE_INT64:
    case TWILL_TYPE_BOOL:
        return (double)a.i;
    case TWILL_TYPE_DOUBLE:
        return a.d;
    case TWILL_TYPE_TEXT: {
        const char *t = twill_column_text(st, col);
        return t ? strtod(t, NULL) : 0.0;
    }
    default:
        return 0.0;
    }
}

int twill_column_bool(twill_stmt *st, int col) {
    tw_sql_arg a;
    column(st, col, &a);
    if (a.type == TWILL_TYPE_DOUBLE) return a.d != 0.0;
    if (a.type == TWILL_TYPE_TEXT) {
        const char *t = twill_column_text(st, col);
        return t && (t[0] == 't' || t[0] == 'T' || t[0] == '1' || t[0] == 'y' || t[0] == 'Y');
    }
    return a.i != 0;
}

const char *twill_column_text(twill_stmt *st, int col) {
    if (!stmt_ok(st) || col < 0 || col >= tw_sql_column_count(st->sql)) return NULL;
    size_t len;
    return tw_sql_column_text(st->sql, col, &len);
}

const void *twill_column_blob(twill_stmt *st, int col) {
    tw_sql_arg a;
    column(st, col, &a);
    if (a.type == TWILL_TYPE_BLOB || a.type == TWILL_TYPE_TEXT) return a.p;
    return twill_column_text(st, col);
}

int twill_column_bytes(twill_stmt *st, int col) {
    tw_sql_arg a;
    column(st, col, &a);
    if (a.type == TWILL_TYPE_BLOB || a.type == TWILL_TYPE_TEXT) return (int)a.len;
    if (a.type == TWILL_TYPE_NULL || !stmt_ok(st)) return 0;
    size_t len = 0;
    tw_sql_column_text(st->sql, col, &len);
    return (int)len;
}

/* ---- scripts ---- */

int twill_exec(twill_session *s, const char *sql) {
    if (!session_ok(s)) return TWILL_MISUSE;
    tw_err_clear(&s->err);
    if (!sql) return tw_err_set(&s->err, TWILL_MISUSE, NULL, "twill_exec: sql is NULL");
    const char *p = sql;
    while (*p) {
        twill_stmt *st;
        const char *tail;
        int rc = twill_prepare(s, p, -1, &st, &tail);
        if (rc) {
            /* Positions are relative to the statement; report them in the whole script. */
            if (s->err.pos) s->err.pos += (int)(p - sql);
            return rc;
        }
        if (!st) {
            if (tail == p) break;
            p = tail;
            continue;
        }
        while ((rc = twill_step(st)) == TWILL_ROW) {
        }
        if (rc != TWILL_DONE) {
            if (s->err.pos) s->err.pos += (int)(p - sql);
            tw_err saved = s->err;
            twill_finalize(st);
            s->err = saved;
            return rc;
        }
        twill_finalize(st);
        if (tail == p) break;
        p = tail;
    }
    return TWILL_OK;
}

/* ---- ABI version 2 ---- */

int twill_transaction_status(const twill_session *s) {
    return session_ok(s) ? tw_sql_txn_state(s->sql) : TWILL_TXN_IDLE;
}

uint32_t twill_column_pg_type(const twill_stmt *st, int col, int32_t *typmod) {
    if (typmod) *typmod = -1;
    if (!stmt_ok(st)) return 0;
    return tw_sql_column_pgtype(st->sql, col, typmod);
}

uint32_t twill_bind_parameter_pg_type(const twill_stmt *st, int idx) {
    return stmt_ok(st) ? tw_sql_param_pgtype(st->sql, idx) : 0;
}

const char *twill_stmt_command(const twill_stmt *st) {
    return stmt_ok(st) ? tw_sql_command(st->sql) : NULL;
}

int twill_session_interrupt(twill_session *s, int on) {
    if (!session_ok(s)) return TWILL_MISUSE;
    atomic_store(&s->interrupt, on != 0);
    return TWILL_OK;
}

static tw_storage *db_storage(tw_engine *eng) {
    return eng->st;
}

int twill_db_stats(twill_db *db, char *buf, size_t cap) {
    if (!db_ok(db) || (!buf && cap)) return -1;
    tw_engine_stats es;
    tw_engine_get_stats(db->eng, &es);
    pthread_mutex_lock(&db->mu);
    int nsessions = db->nsessions;
    pthread_mutex_unlock(&db->mu);
    int n = snprintf(buf, cap,
                     "commits %llu\ncommit_batches %llu\ncommit_batch_max %llu\n"
                     "conflicts %llu\ncheckpoints %llu\ncache_hits %llu\ncache_misses %llu\n"
                     "sessions %d\n",
                     (unsigned long long)es.commits, (unsigned long long)es.batches,
                     (unsigned long long)es.max_batch, (unsigned long long)es.conflicts,
                     (unsigned long long)es.checkpoints, (unsigned long long)es.cache_hits,
                     (unsigned long long)es.cache_misses, nsessions);
    /* the storage backend's own counters (s3://: requests, bytes, local cache) */
    tw_storage *st = db_storage(db->eng);
    if (n >= 0 && st && st->ops->version >= 2 && st->ops->stats_text) {
        size_t used = (size_t)n;
        int m = used < cap ? st->ops->stats_text(st, buf + used, cap - used)
                           : st->ops->stats_text(st, NULL, 0);
        if (m > 0) n += m;
    }
    return n;
}

/* ---- ABI version 3: packed parameters and rows (for FFI bindings) ---- */

#define PACK_HDR 16u
#define PACK_REC 16u

int twill_bind_packed(twill_stmt *st, int n, const void *buf, size_t len) {
    if (!stmt_ok(st)) return TWILL_MISUSE;
    twill_session *s = st->s;
    tw_err_clear(&s->err);
    if (n < 0 || (n > 0 && !buf) || ((uintptr_t)buf & 7u))
        return tw_err_set(&s->err, TWILL_MISUSE, NULL,
                          "twill_bind_packed: bad arguments (n < 0, NULL or misaligned buffer)");
    if ((size_t)n > len / PACK_REC)
        return tw_err_set(&s->err, TWILL_MISUSE, NULL,
                          "twill_bind_packed: %d records do not fit in %zu bytes", n, len);
    int rc = tw_sql_reset(st->sql);
    if (!rc) rc = tw_sql_clear_bindings(st->sql);
    if (rc) return rc;
    int np = tw_sql_param_count(st->sql);
    if (n > np)
        return tw_err_set(&s->err, TWILL_RANGE, "08P01",
                          "%d parameters supplied but the statement takes %d", n, np);
    const unsigned char *b = buf;
    for (int i = 0; i < n; i++) {
        const unsigned char *r = b + (size_t)i * PACK_REC;
        int type = r[0];
        uint32_t vlen;
        memcpy(&vlen, r + 4, 4);
        tw_sql_arg a = {.type = type};
        switch (type) {
        case TWILL_TYPE_NULL:
            break;
        case TWILL_TYPE_INT64:
            memcpy(&a.i, r + 8, 8);
            break;
        case TWILL_TYPE_BOOL:
            memcpy(&a.i, r + 8, 8);
            a.i = a.i != 0;
            break;
        case TWILL_TYPE_DOUBLE:
            memcpy(&a.d, r + 8, 8);
            break;
        case TWILL_TYPE_TEXT:
        case TWILL_TYPE_BLOB: {
            uint64_t off;
            memcpy(&off, r + 8, 8);
            if (off > len || vlen > len - off)
                return tw_err_set(&s->err, TWILL_MISUSE, NULL,
                                  "twill_bind_packed: parameter %d lies outside the buffer", i + 1);
            a.p = b + off;
            a.len = vlen;
            break;
        }
        default:
            return tw_err_set(&s->err, TWILL_MISUSE, NULL,
                              "twill_bind_packed: parameter %d has unknown type %d", i + 1,
                              (int)type);
        }
        if ((rc = tw_sql_bind(st->sql, i + 1, &a, &s->err))) return rc;
    }
    return TWILL_OK;
}

int64_t twill_row_packed(twill_stmt *st, void *buf, size_t cap) {
    if (!stmt_ok(st) || (!buf && cap) || ((uintptr_t)buf & 7u)) return -1;
    int ncols = tw_sql_column_count(st->sql);
    unsigned char *b = buf;
    size_t need = PACK_HDR + (size_t)ncols * PACK_REC;
    tw_sql_arg a;
    /* First pass: the size; values are cheap to re-read (text is cached per row). */
    for (int c = 0; c < ncols; c++) {
        tw_sql_column_value(st->sql, c, &a);
        if (a.type == TWILL_TYPE_TEXT)
            need += a.len + 1;
        else if (a.type == TWILL_TYPE_BLOB)
            need += a.len;
    }
    if (cap >= PACK_HDR) {
        uint32_t size32 = need > UINT32_MAX ? UINT32_MAX : (uint32_t)need, nc = (uint32_t)ncols;
        memcpy(b, &size32, 4);
        memcpy(b + 4, &nc, 4);
        memset(b + 8, 0, 8);
    }
    if (need > cap) return (int64_t)need;
    size_t data = PACK_HDR + (size_t)ncols * PACK_REC;
    for (int c = 0; c < ncols; c++) {
        unsigned char *r = b + PACK_HDR + (size_t)c * PACK_REC;
        tw_sql_column_value(st->sql, c, &a);
        unsigned char type = (unsigned char)a.type, flags = 0;
        uint32_t vlen = 0;
        uint64_t v = 0;
        switch (a.type) {
        case TWILL_TYPE_INT64:
        case TWILL_TYPE_BOOL:
            memcpy(&v, &a.i, 8);
            break;
        case TWILL_TYPE_DOUBLE:
            memcpy(&v, &a.d, 8);
            break;
        case TWILL_TYPE_TEXT:
        case TWILL_TYPE_BLOB:
            vlen = (uint32_t)a.len;
            v = data;
            if (a.len) memcpy(b + data, a.p, a.len);
            if (a.type == TWILL_TYPE_TEXT) {
                unsigned char any = 0;
                for (size_t k = 0; k < a.len; k++) any |= b[data + k];
                if (!(any & 0x80)) flags = TWILL_PACK_ASCII;
            }
            data += a.len;
            if (a.type == TWILL_TYPE_TEXT) b[data++] = 0;
            break;
        default:
            type = TWILL_TYPE_NULL;
            break;
        }
        r[0] = type;
        r[1] = flags;
        r[2] = r[3] = 0;
        memcpy(r + 4, &vlen, 4);
        memcpy(r + 8, &v, 8);
    }
    return (int64_t)need;
}

int twill_step_packed(twill_stmt *st, void *buf, size_t cap, int flags) {
    if (!stmt_ok(st)) return TWILL_MISUSE;
    if ((!buf && cap) || ((uintptr_t)buf & 7u))
        return tw_err_set(&st->s->err, TWILL_MISUSE, NULL,
                          "twill_step_packed: NULL or misaligned buffer");
    int rc = twill_step(st);
    if (rc == TWILL_ROW) {
        int64_t need = twill_row_packed(st, buf, cap);
        if (need >= 0 && (size_t)need <= cap && (flags & TWILL_PACK_RESET)) tw_sql_reset(st->sql);
    } else if (rc == TWILL_DONE && (flags & TWILL_PACK_RESET)) {
        tw_sql_reset(st->sql);
    }
    return rc;
}
