/*
 * session.c — sql.h: databases, sessions, prepared statements, transaction blocks.
 *
 * Catalog visibility: statements plan against the shared committed catalog snapshot
 * (reloaded when the db's catalog version moves), except inside a transaction block
 * that has itself changed the catalog, which plans against a private snapshot read
 * through its own transaction. A plan is rebuilt whenever the catalog it was built
 * against is no longer the one the session would use.
 */
#include "sql/sql.h"

#include "sql/array.h"
#include "sql/catalog.h"
#include "sql/codec.h"
#include "sql/constraint.h"
#include "sql/datetime.h"
#include "sql/exec.h"
#include "sql/explain.h"
#include "sql/parser.h"
#include "sql/plan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STMT_CACHE_MAX 64
#define STMT_CACHE_MAX_TEXT 65536 /* bulk statements are not worth keeping */

typedef struct rowid_ctr {
    uint64_t table;
    int64_t next;
} rowid_ctr;

struct tw_sql_db {
    tw_engine *eng;
    pthread_mutex_t mu;
    tw_catalog *cat;   /* shared committed snapshot (mu) */
    uint64_t version;  /* catalog version (atomic) */
    uint64_t next_id;  /* relation ids (mu) */
    rowid_ctr *rowids; /* (mu) */
    size_t nrowids, caprowids;
    pthread_mutex_t seq_mu;
    struct seqrt *seqs; /* (seq_mu) */
    size_t nseqs, capseqs;
};

typedef struct cache_ent {
    char *sql;
    size_t len;
    uint64_t hash;
    tw_parsetree *tree;
    uint64_t used;
} cache_ent;

/* A savepoint of the open block: the txn-layer mark, and whether the block had changed
 * the catalog by then (ROLLBACK TO restores it, so planning goes back to the shared
 * catalog when the DDL since is undone). */
typedef struct savepoint {
    char *name;
    uint32_t mark;
    int cat_dirty;
} savepoint;

typedef struct seqval {
    uint64_t id;
    int64_t v;
} seqval;

struct tw_sql_session {
    tw_sql_db *db;
    seqval *curvals; /* currval: the last nextval/setval of each sequence here */
    size_t ncurvals, capcurvals;
    int has_last;
    int64_t lastval;
    tw_txn *txn; /* the open transaction block's transaction */
    int in_block, aborted, cat_dirty;
    int iso, iso_default; /* TW_ISO_*: the block's level, and the level of new blocks */
    int block_used;       /* a statement other than transaction control ran in the block */
    int64_t txn_now;      /* the block's start time: now() is stable within a transaction */
    tw_catalog *private_cat;
    savepoint *sps; /* oldest first */
    int nsps, capsps;
    tw_sql_stmt *stmts;
    cache_ent cache[STMT_CACHE_MAX];
    int ncache;
    uint64_t tick;
    /* the rest of a multi-statement text being prepared piece by piece */
    tw_parsetree *script;
    const char *script_base;
    size_t script_len, script_next, script_off;
};

struct tw_sql_stmt {
    tw_sql_session *s;
    tw_sql_stmt *prev, *next;
    tw_parsetree *tree;
    size_t idx, pos_base;
    int kind; /* PL_* of transaction control, else -1 until planned */
    tw_plan *plan;
    tw_run *run;
    int nparams;
    tw_val *params;
    tw_buf *parambufs;
    int running;   /* a SELECT between its first row and DONE */
    int returning; /* streaming the RETURNING rows of a finished DML run */
    int killed;    /* its transaction ended while it was returning rows */
    size_t retpos;
    int finished;
    tw_txn *own_txn; /* autocommit SELECT */
    int64_t changes;
    const tw_val *row;
    uint64_t rowgen;
    tw_buf *coltext;
    uint64_t *colgen;
    /* EXPLAIN: the rendered lines, handed out one row each */
    int explaining;
    tw_buf xtext;
    size_t xpos;
    tw_val xrow;
};

/* ---- db ---- */

static int with_txn_load(tw_sql_db *db, uint64_t version, tw_catalog **out, tw_err *err) {
    tw_txn *t;
    int rc = tw_txn_begin(db->eng, &t, err);
    if (rc) return rc;
    rc = tw_catalog_load(t, version, out, err);
    tw_txn_rollback(t);
    return rc;
}

int tw_sql_db_open(tw_engine *eng, tw_sql_db **out, tw_err *err) {
    *out = NULL;
    tw_sql_db *db = calloc(1, sizeof *db);
    if (!db) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    db->eng = eng;
    db->version = 1;
    pthread_mutex_init(&db->mu, NULL);
    pthread_mutex_init(&db->seq_mu, NULL);
    int rc = with_txn_load(db, 1, &db->cat, err);
    if (rc) {
        pthread_mutex_destroy(&db->seq_mu);
        pthread_mutex_destroy(&db->mu);
        free(db);
        return rc;
    }
    db->next_id = db->cat->max_id + 1 > TW_FIRST_USER_ID ? db->cat->max_id + 1 : TW_FIRST_USER_ID;
    *out = db;
    return TWILL_OK;
}

void tw_sql_db_close(tw_sql_db *db) {
    if (!db) return;
    tw_catalog_unref(db->cat);
    free(db->rowids);
    free(db->seqs);
    pthread_mutex_destroy(&db->seq_mu);
    pthread_mutex_destroy(&db->mu);
    free(db);
}

static uint64_t db_version(tw_sql_db *db) {
    return __atomic_load_n(&db->version, __ATOMIC_ACQUIRE);
}

static int db_catalog(tw_sql_db *db, tw_catalog **out, tw_err *err) {
    uint64_t v = db_version(db);
    pthread_mutex_lock(&db->mu);
    if (db->cat && db->cat->version == v) {
        tw_catalog_ref(db->cat);
        *out = db->cat;
        pthread_mutex_unlock(&db->mu);
        return TWILL_OK;
    }
    pthread_mutex_unlock(&db->mu);
    tw_catalog *c;
    int rc = with_txn_load(db, v, &c, err);
    if (rc) return rc;
    pthread_mutex_lock(&db->mu);
    if (!db->cat || db->cat->version < v) {
        tw_catalog_unref(db->cat);
        db->cat = c;
        tw_catalog_ref(c);
    }
    pthread_mutex_unlock(&db->mu);
    *out = c;
    return TWILL_OK;
}

static uint64_t db_alloc_id(tw_sql_db *db) {
    pthread_mutex_lock(&db->mu);
    uint64_t id = db->next_id++;
    pthread_mutex_unlock(&db->mu);
    return id;
}

static int db_next_rowid(void *ud, tw_txn *t, uint64_t table, int64_t *out, tw_err *err) {
    tw_sql_db *db = ud;
    for (int pass = 0; pass < 2; pass++) {
        pthread_mutex_lock(&db->mu);
        for (size_t i = 0; i < db->nrowids; i++) {
            if (db->rowids[i].table == table) {
                *out = db->rowids[i].next++;
                pthread_mutex_unlock(&db->mu);
                return TWILL_OK;
            }
        }
        pthread_mutex_unlock(&db->mu);
        if (pass) break;
        /* Seed from the largest key ever written (deleted rows included), outside the
         * lock: it reads the tree. */
        tw_buf k = {0};
        int found, rc = tw_txn_max_key(t, table, &k, &found, err);
        if (rc) {
            tw_buf_free(&k);
            return rc;
        }
        int64_t seed = found && k.len == 8 ? tw_key_get_i64(k.p) + 1 : 1;
        tw_buf_free(&k);
        pthread_mutex_lock(&db->mu);
        int have = 0;
        for (size_t i = 0; i < db->nrowids; i++) have |= db->rowids[i].table == table;
        if (!have) {
            if (db->nrowids == db->caprowids) {
                size_t nc = db->caprowids ? db->caprowids * 2 : 16;
                rowid_ctr *n = realloc(db->rowids, nc * sizeof *n);
                if (!n) {
                    pthread_mutex_unlock(&db->mu);
                    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
                }
                db->rowids = n;
                db->caprowids = nc;
            }
            db->rowids[db->nrowids++] = (rowid_ctr){table, seed};
        }
        pthread_mutex_unlock(&db->mu);
    }
    return tw_err_set(err, TWILL_ERROR, "XX000", "row id allocation failed");
}

/* ---- sequences ----
 *
 * nextval is not transactional (as in PostgreSQL): values handed out are never given
 * again, whether the transaction that took them commits or not. A sequence's state is
 * one row in its own txn table (key "s": int64 last value, u8 is_called), written by a
 * separate transaction that commits durably before any value it covers is handed out.
 * nextval reserves a block (max(CACHE, 32) values) at a time: the row records the end of
 * the block, so after a restart (or a crash) numbering resumes after the block — values
 * may skip, but never repeat. setval writes its value the same way. */

#define SEQ_BLOCK 32

typedef struct seqrt {
    uint64_t id;
    int64_t last; /* last value handed out (or to hand out first, if !called) */
    int called;
    int reserved; /* values up to `limit` (in the direction of inc) are durable */
    int64_t limit;
} seqrt;

static int seq_persist(tw_sql_db *db, uint64_t id, int64_t v, int called, tw_err *err) {
    uint8_t rec[9];
    for (int i = 0; i < 8; i++) rec[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    rec[8] = (uint8_t)called;
    tw_txn *t;
    int rc = tw_txn_begin(db->eng, &t, err);
    if (rc) return rc;
    if ((rc = tw_txn_put(t, id, "s", 1, rec, sizeof rec, err))) {
        tw_txn_rollback(t);
        return rc;
    }
    return tw_txn_commit(t, err);
}

/* The runtime state of sequence q, loaded on first use (seq_mu held). */
static int seq_state(tw_sql_db *db, const tw_seq *q, seqrt **out, tw_err *err) {
    for (size_t i = 0; i < db->nseqs; i++)
        if (db->seqs[i].id == q->id) {
            *out = &db->seqs[i];
            return TWILL_OK;
        }
    seqrt r = {.id = q->id, .last = q->start};
    tw_txn *t;
    int rc = tw_txn_begin(db->eng, &t, err);
    if (rc) return rc;
    tw_buf b = {0};
    int found;
    rc = tw_txn_get(t, q->id, "s", 1, TW_READ_SNAPSHOT, &b, &found, err);
    tw_txn_rollback(t);
    if (!rc && found && b.len == 9) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | b.p[i];
        r.last = (int64_t)v;
        r.called = b.p[8] != 0;
    }
    tw_buf_free(&b);
    if (rc) return rc;
    if (db->nseqs == db->capseqs) {
        size_t cap = db->capseqs ? db->capseqs * 2 : 8;
        seqrt *n = realloc(db->seqs, cap * sizeof *n);
        if (!n) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        db->seqs = n;
        db->capseqs = cap;
    }
    db->seqs[db->nseqs] = r;
    *out = &db->seqs[db->nseqs++];
    return TWILL_OK;
}

static int seq_next(tw_sql_db *db, const tw_seq *q, int64_t *out, tw_err *err) {
    seqrt *r;
    int rc = seq_state(db, q, &r, err);
    if (rc) return rc;
    int64_t v = r->last;
    if (r->called) {
        int over = __builtin_add_overflow(r->last, q->inc, &v);
        if (over || v > q->max || v < q->min) {
            if (!q->cycle)
                return tw_err_set(err, TWILL_ERROR, "2200H",
                                  "nextval: reached %s value of sequence \"%s\" (%lld)",
                                  q->inc > 0 ? "maximum" : "minimum", q->name,
                                  (long long)(q->inc > 0 ? q->max : q->min));
            v = q->inc > 0 ? q->min : q->max;
        }
    }
    if (!r->reserved || (q->inc > 0 ? v > r->limit || v < r->last : v < r->limit || v > r->last)) {
        int64_t block = q->cache > SEQ_BLOCK ? q->cache : SEQ_BLOCK, end;
        if (__builtin_mul_overflow(q->inc, block - 1, &end) ||
            __builtin_add_overflow(v, end, &end) || end > q->max || end < q->min)
            end = q->inc > 0 ? q->max : q->min;
        if ((rc = seq_persist(db, q->id, end, 1, err))) return rc;
        r->reserved = 1;
        r->limit = end;
    }
    r->last = v;
    r->called = 1;
    *out = v;
    return TWILL_OK;
}

static void set_curval(tw_sql_session *s, uint64_t id, int64_t v) {
    s->has_last = 1;
    s->lastval = v;
    for (size_t i = 0; i < s->ncurvals; i++)
        if (s->curvals[i].id == id) {
            s->curvals[i].v = v;
            return;
        }
    if (s->ncurvals == s->capcurvals) {
        size_t cap = s->capcurvals ? s->capcurvals * 2 : 8;
        seqval *n = realloc(s->curvals, cap * sizeof *n);
        if (!n) return; /* currval then reports "not yet defined": no wrong answer */
        s->curvals = n;
        s->capcurvals = cap;
    }
    s->curvals[s->ncurvals++] = (seqval){id, v};
}

static int seq_fn(void *ud, const tw_catalog *cat, int fn, const tw_val *args, int nargs,
                  tw_val *out, tw_err *err) {
    tw_sql_session *s = ud;
    tw_sql_db *db = s->db;
    out->k = VK_NULL;
    if (fn == TW_SEQ_LASTVAL) {
        if (!s->has_last)
            return tw_err_set(err, TWILL_ERROR, "55000",
                              "lastval is not yet defined in this session");
        out->k = VK_INT;
        out->i = s->lastval;
        return TWILL_OK;
    }
    for (int i = 0; i < nargs; i++)
        if (args[i].k == VK_NULL) return TWILL_OK; /* strict functions */
    char name[256];
    size_t n = args[0].n < sizeof name - 1 ? args[0].n : sizeof name - 1;
    if (n) memcpy(name, args[0].s, n);
    name[n] = '\0';
    const tw_seq *q = tw_catalog_seq(cat, name);
    if (!q) {
        if (tw_catalog_table(cat, name) || tw_catalog_index(cat, name) ||
            tw_catalog_view(cat, name))
            return tw_err_set(err, TWILL_ERROR, "42809", "\"%s\" is not a sequence", name);
        return tw_err_set(err, TWILL_ERROR, "42P01", "relation \"%s\" does not exist", name);
    }
    int64_t v = 0;
    int rc = TWILL_OK;
    if (fn == TW_SEQ_CURRVAL) {
        for (size_t i = 0; i < s->ncurvals; i++)
            if (s->curvals[i].id == q->id) {
                out->k = VK_INT;
                out->i = s->curvals[i].v;
                return TWILL_OK;
            }
        return tw_err_set(err, TWILL_ERROR, "55000",
                          "currval of sequence \"%s\" is not yet defined in this session", name);
    }
    pthread_mutex_lock(&db->seq_mu);
    if (fn == TW_SEQ_NEXTVAL) {
        rc = seq_next(db, q, &v, err);
    } else { /* setval */
        v = args[1].i;
        int called = nargs < 3 || args[2].i;
        seqrt *r;
        if (v < q->min || v > q->max)
            rc = tw_err_set(err, TWILL_ERROR, "22003",
                            "setval: value %lld is out of bounds for sequence \"%s\" (%lld..%lld)",
                            (long long)v, name, (long long)q->min, (long long)q->max);
        else if (!(rc = seq_state(db, q, &r, err)) &&
                 !(rc = seq_persist(db, q->id, v, called, err))) {
            r->last = v;
            r->called = called;
            r->reserved = 0;
        }
        if (!rc && !called) {
            pthread_mutex_unlock(&db->seq_mu);
            out->k = VK_INT;
            out->i = v; /* setval(..., false) does not set currval */
            return TWILL_OK;
        }
    }
    pthread_mutex_unlock(&db->seq_mu);
    if (rc) return rc;
    set_curval(s, q->id, v);
    out->k = VK_INT;
    out->i = v;
    return TWILL_OK;
}

/* ---- sessions ---- */

int tw_sql_session_open(tw_sql_db *db, tw_sql_session **out, tw_err *err) {
    tw_sql_session *s = calloc(1, sizeof *s);
    if (!s) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    s->db = db;
    s->iso = s->iso_default = TW_ISO_READ_COMMITTED;
    *out = s;
    return TWILL_OK;
}

static const char *const iso_names[] = {"read uncommitted", "read committed", "repeatable read",
                                        "serializable"};

const char *tw_sql_isolation_name(int level) {
    return level >= 0 && level <= TW_ISO_SERIALIZABLE ? iso_names[level] : "read committed";
}

int tw_sql_isolation_parse(const char *name) {
    for (int i = 0; name && i <= TW_ISO_SERIALIZABLE; i++)
        if (!strcasecmp(name, iso_names[i])) return i;
    return -1;
}

void tw_sql_set_default_isolation(tw_sql_session *s, int level) {
    if (s && level >= 0 && level <= TW_ISO_SERIALIZABLE) s->iso_default = level;
}

int tw_sql_isolation(const tw_sql_session *s) {
    return s->in_block ? s->iso : s->iso_default;
}

/* The isolation level named by BEGIN's / SET TRANSACTION's options (DefElem
 * transaction_isolation), or -1 when they name none. */
static int iso_option(PgQuery__Node **opts, size_t n) {
    int level = -1;
    for (size_t i = 0; i < n; i++) {
        if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) continue;
        const PgQuery__DefElem *d = opts[i]->def_elem;
        if (strcmp(d->defname, "transaction_isolation") || !d->arg ||
            d->arg->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            d->arg->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
            continue;
        level = tw_sql_isolation_parse(d->arg->a_const->sval->sval);
    }
    return level;
}

static void stop_stmt(tw_sql_stmt *st);

/* Forgets savepoints keep.. (newest ones). */
static void drop_savepoints(tw_sql_session *s, int keep) {
    while (s->nsps > keep) free(s->sps[--s->nsps].name);
}

/* Ends the block: every statement still streaming from its transaction stops. */
static void end_block(tw_sql_session *s) {
    for (tw_sql_stmt *st = s->stmts; st; st = st->next)
        if (st->running && !st->own_txn) {
            stop_stmt(st);
            st->killed = 1;
        }
    s->txn = NULL;
    s->in_block = s->aborted = s->cat_dirty = 0;
    tw_catalog_unref(s->private_cat);
    s->private_cat = NULL;
    drop_savepoints(s, 0);
}

static void clear_script(tw_sql_session *s) {
    tw_parsetree_unref(s->script);
    s->script = NULL;
}

void tw_sql_session_close(tw_sql_session *s) {
    if (!s) return;
    while (s->stmts) tw_sql_finalize(s->stmts);
    if (s->txn) tw_txn_rollback(s->txn);
    end_block(s);
    free(s->sps);
    free(s->curvals);
    for (int i = 0; i < s->ncache; i++) {
        free(s->cache[i].sql);
        tw_parsetree_unref(s->cache[i].tree);
    }
    clear_script(s);
    free(s);
}

int tw_sql_in_transaction(const tw_sql_session *s) {
    return s && s->in_block;
}

static int session_catalog(tw_sql_session *s, tw_catalog **out, tw_err *err) {
    if (s->in_block && s->cat_dirty && s->txn) {
        if (!s->private_cat) {
            int rc = tw_catalog_load(s->txn, 0, &s->private_cat, err);
            if (rc) return rc;
        }
        tw_catalog_ref(s->private_cat);
        *out = s->private_cat;
        return TWILL_OK;
    }
    return db_catalog(s->db, out, err);
}

/* ---- the statement cache ---- */

static uint64_t hash_text(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

static tw_parsetree *cache_get(tw_sql_session *s, const char *sql, size_t len, uint64_t h) {
    for (int i = 0; i < s->ncache; i++) {
        cache_ent *e = &s->cache[i];
        if (e->hash == h && e->len == len && !memcmp(e->sql, sql, len)) {
            e->used = ++s->tick;
            return e->tree;
        }
    }
    return NULL;
}

static void cache_put(tw_sql_session *s, const char *sql, size_t len, uint64_t h, tw_parsetree *t) {
    char *copy = malloc(len ? len : 1);
    if (!copy) return; /* caching is an optimisation */
    memcpy(copy, sql, len);
    cache_ent *e;
    if (s->ncache < STMT_CACHE_MAX) {
        e = &s->cache[s->ncache++];
    } else {
        e = &s->cache[0];
        for (int i = 1; i < s->ncache; i++)
            if (s->cache[i].used < e->used) e = &s->cache[i];
        free(e->sql);
        tw_parsetree_unref(e->tree);
    }
    e->sql = copy;
    e->len = len;
    e->hash = h;
    e->tree = t;
    e->used = ++s->tick;
    tw_parsetree_ref(t);
}

/* ---- statements ---- */

static void free_coltext(tw_sql_stmt *st, int n) {
    if (st->coltext)
        for (int i = 0; i < n; i++) tw_buf_free(&st->coltext[i]);
    free(st->coltext);
    free(st->colgen);
    st->coltext = NULL;
    st->colgen = NULL;
}

static int plan_stmt(tw_sql_stmt *st, tw_err *err) {
    tw_catalog *cat;
    int rc = session_catalog(st->s, &cat, err);
    if (rc) return rc;
    if (st->plan && st->plan->cat == cat) {
        tw_catalog_unref(cat);
        return TWILL_OK;
    }
    tw_plan *p;
    rc = tw_plan_build(st->tree, st->idx, cat, st->pos_base, &p, err);
    tw_catalog_unref(cat);
    if (rc) return rc;
    tw_run *run;
    if ((rc = tw_run_new(p->kind == PL_EXPLAIN ? p->inner : p, &run, err))) {
        tw_plan_free(p);
        return rc;
    }
    if (st->run) tw_run_free(st->run);
    free_coltext(st, st->plan ? st->plan->ncols : 0);
    tw_plan_free(st->plan);
    st->plan = p;
    st->run = run;
    return TWILL_OK;
}

static int ensure_plan(tw_sql_stmt *st, tw_err *err) {
    tw_sql_session *s = st->s;
    if (st->plan && !(s->in_block && s->cat_dirty) && st->plan->cat->version == db_version(s->db))
        return TWILL_OK;
    return plan_stmt(st, err);
}

/* Any error inside a transaction block aborts it (PostgreSQL semantics), including
 * errors found while parsing or planning. With a savepoint the transaction is kept:
 * ROLLBACK TO discards the failed work and resumes the block. */
static void abort_block(tw_sql_session *s) {
    if (!s->in_block || s->aborted) return;
    if (!s->nsps) {
        if (s->txn) tw_txn_rollback(s->txn);
        s->txn = NULL;
    }
    for (tw_sql_stmt *o = s->stmts; o; o = o->next)
        if (o->running && !o->own_txn) {
            stop_stmt(o);
            o->killed = 1;
        }
    s->aborted = 1;
    s->cat_dirty = 0;
    tw_catalog_unref(s->private_cat);
    s->private_cat = NULL;
}

int tw_sql_prepare(tw_sql_session *s, const char *sql, size_t len, tw_sql_stmt **out,
                   size_t *consumed, tw_err *err) {
    *out = NULL;
    *consumed = 0;
    tw_parsetree *tree = NULL;
    size_t idx = 0, pos_base = 0;
    int rc;
    /* Continuing a multi-statement text? */
    if (s->script && s->script_next < s->script->pr->n_stmts &&
        sql == s->script_base + s->script_off && len == s->script_len - s->script_off) {
        size_t end = tw_parse_stmt_end(s->script, s->script_next);
        size_t start = s->script_off;
        if (end >= start && !memcmp(sql, s->script->text + start, end - start)) {
            tree = s->script;
            tw_parsetree_ref(tree);
            idx = s->script_next;
            pos_base = start;
            *consumed = end - start;
            s->script_next++;
            s->script_off = end;
            if (s->script_next >= s->script->pr->n_stmts) clear_script(s);
        }
    }
    if (!tree) {
        clear_script(s);
        uint64_t h = hash_text(sql, len);
        tree = cache_get(s, sql, len, h);
        if (tree) {
            tw_parsetree_ref(tree);
            *consumed = len;
        } else {
            if ((rc = tw_parse(sql, len, &tree, err))) {
                abort_block(s);
                return rc;
            }
            if (tree->pr->n_stmts == 0) {
                *consumed = len;
                tw_parsetree_unref(tree);
                return TWILL_OK;
            }
            *consumed = tw_parse_stmt_end(tree, 0);
            if (tree->pr->n_stmts == 1) {
                if (len <= STMT_CACHE_MAX_TEXT) cache_put(s, sql, len, h, tree);
                *consumed = len;
            } else if (tree->nmap == 0) {
                /* Keep the parse of the rest: exec prepares it statement by statement. */
                s->script = tree;
                tw_parsetree_ref(tree);
                s->script_base = sql;
                s->script_len = len;
                s->script_next = 1;
                s->script_off = *consumed;
            }
        }
    }
    tw_sql_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        tw_parsetree_unref(tree);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    st->s = s;
    st->tree = tree;
    st->idx = idx;
    st->pos_base = pos_base;
    st->kind = tw_plan_peek_kind(tree, idx);
    st->nparams = tw_parse_max_param(tree, idx);
    if (st->nparams) {
        st->params = calloc((size_t)st->nparams, sizeof *st->params);
        st->parambufs = calloc((size_t)st->nparams, sizeof *st->parambufs);
        if (!st->params || !st->parambufs) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            goto fail;
        }
    }
    /* Plan now (errors such as unknown tables surface at prepare, as in PostgreSQL),
     * except where the block is aborted: then only the step reports 25P02. */
    if (st->kind < 0 && !(s->in_block && s->aborted) && (rc = plan_stmt(st, err))) goto fail;
    st->next = s->stmts;
    if (s->stmts) s->stmts->prev = st;
    s->stmts = st;
    *out = st;
    return TWILL_OK;
fail:
    abort_block(s);
    free(st->params);
    free(st->parambufs);
    tw_parsetree_unref(tree);
    free(st);
    return rc;
}

static void stop_stmt(tw_sql_stmt *st) {
    if (st->run) tw_run_stop(st->run);
    if (st->own_txn) {
        tw_txn_rollback(st->own_txn); /* read-only: nothing to keep */
        st->own_txn = NULL;
    }
    st->running = 0;
    st->returning = 0;
    st->explaining = 0;
    st->row = NULL;
}

int tw_sql_reset(tw_sql_stmt *st) {
    if (!st) return TWILL_MISUSE;
    stop_stmt(st);
    st->killed = 0;
    st->finished = 0;
    return TWILL_OK;
}

void tw_sql_finalize(tw_sql_stmt *st) {
    if (!st) return;
    stop_stmt(st);
    tw_sql_session *s = st->s;
    if (st->prev)
        st->prev->next = st->next;
    else
        s->stmts = st->next;
    if (st->next) st->next->prev = st->prev;
    free_coltext(st, st->plan ? st->plan->ncols : 0);
    tw_run_free(st->run);
    tw_plan_free(st->plan);
    tw_buf_free(&st->xtext);
    for (int i = 0; st->parambufs && i < st->nparams; i++) tw_buf_free(&st->parambufs[i]);
    free(st->parambufs);
    free(st->params);
    tw_parsetree_unref(st->tree);
    free(st);
}

int tw_sql_param_count(const tw_sql_stmt *st) {
    return st ? st->nparams : 0;
}

int tw_sql_bind(tw_sql_stmt *st, int idx, const tw_sql_arg *v, tw_err *err) {
    if (!st || !v) return tw_err_set(err, TWILL_MISUSE, NULL, "NULL argument");
    if (idx < 1 || idx > st->nparams)
        return tw_err_set(err, TWILL_RANGE, "42P02", "there is no parameter $%d", idx);
    if (st->running)
        return tw_err_set(err, TWILL_MISUSE, NULL, "statement is running: reset it before binding");
    tw_val *p = &st->params[idx - 1];
    tw_buf *b = &st->parambufs[idx - 1];
    switch (v->type) {
    case TWILL_TYPE_NULL:
        p->k = VK_NULL;
        break;
    case TWILL_TYPE_INT64:
        p->k = VK_INT, p->i = v->i;
        break;
    case TWILL_TYPE_BOOL:
        p->k = VK_BOOL, p->i = v->i != 0;
        break;
    case TWILL_TYPE_DOUBLE:
        p->k = VK_FLOAT, p->d = v->d;
        break;
    case TWILL_TYPE_TEXT:
    case TWILL_TYPE_BLOB:
        if (tw_buf_set(b, v->p, v->len) || tw_buf_put_u8(b, 0))
            return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        b->len--;
        p->k = v->type == TWILL_TYPE_TEXT ? VK_TEXT : VK_BYTEA;
        p->s = (const char *)b->p;
        p->n = v->len;
        break;
    default:
        return tw_err_set(err, TWILL_MISUSE, NULL, "unknown value type %d", v->type);
    }
    return TWILL_OK;
}

int tw_sql_clear_bindings(tw_sql_stmt *st) {
    if (!st) return TWILL_MISUSE;
    if (st->running) return TWILL_MISUSE;
    for (int i = 0; i < st->nparams; i++) st->params[i].k = VK_NULL;
    return TWILL_OK;
}

int64_t tw_sql_changes(const tw_sql_stmt *st) {
    return st ? st->changes : 0;
}

/* ---- DDL ---- */

static int relation_exists(tw_catalog *c, const char *name) {
    return tw_catalog_table(c, name) || tw_catalog_index(c, name) || tw_catalog_view(c, name) ||
           tw_catalog_seq(c, name);
}

/* Rewrites every row of table `old` into the layout of `def` (ALTER TABLE ADD/DROP
 * COLUMN): new column `add` (-1: none) takes its default; column `drop` (-1: none) goes.
 * The cursor never sees this command's own writes, so rewriting while scanning is safe. */
static int rewrite_rows(tw_txn *t, const tw_table *old, const tw_table *def, int add, int drop,
                        tw_err *err) {
    tw_cursor *cur;
    int rc = tw_cursor_open(t, old->id, &cur, err);
    if (rc) return rc;
    tw_val *vals = calloc((size_t)old->ncols + 2, sizeof *vals);
    tw_buf key = {0}, rec = {0};
    if (!vals) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    if (!rc) rc = tw_cursor_seek(cur, "", 0, err);
    while (!rc && tw_cursor_valid(cur)) {
        size_t kl, vl;
        const void *k = tw_cursor_key(cur, &kl);
        const void *v = tw_cursor_value(cur, &vl);
        if ((rc = tw_row_decode(v, vl, vals, old->kinds, old->ncols, err))) break;
        if (add >= 0) {
            vals[add] = def->cols[add].has_default ? def->cols[add].defval : (tw_val){.k = VK_NULL};
            if (vals[add].k == VK_NULL && def->cols[add].notnull) {
                rc = tw_err_set(err, TWILL_ERROR, "23502",
                                "column \"%s\" of relation \"%s\" contains null values",
                                def->cols[add].name, old->name);
                break;
            }
        }
        if (drop >= 0)
            memmove(vals + drop, vals + drop + 1, sizeof *vals * (size_t)(old->ncols - drop - 1));
        tw_buf_reset(&rec);
        if (tw_buf_set(&key, k, kl) || tw_row_encode(&rec, vals, def->kinds, def->ncols)) {
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            break;
        }
        if ((rc = tw_txn_put(t, old->id, key.p, key.len, rec.p, rec.len, err))) break;
        rc = tw_cursor_next(cur, err);
    }
    tw_cursor_close(cur);
    free(vals);
    tw_buf_free(&key);
    tw_buf_free(&rec);
    return rc;
}

/* ADD PRIMARY KEY: copies old's rows into def's new tree keyed by def's primary key
 * (old was keyed by a hidden row id), rejecting NULL and duplicate keys as PostgreSQL
 * does when it builds the constraint's index, and fills def's rebuilt indexes idx[] on
 * the way (a cursor would not see this command's own writes to scan them later). */
static int rekey_rows(tw_txn *t, const tw_table *old, const tw_table *def, tw_index *const *idx,
                      tw_err *err) {
    tw_cursor *cur;
    int rc = tw_cursor_open(t, old->id, &cur, err);
    if (rc) return rc;
    tw_val *vals = calloc((size_t)old->ncols + 1, sizeof *vals);
    tw_buf key = {0}, tmp = {0}, xkey = {0};
    if (!vals) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    if (!rc) rc = tw_cursor_seek(cur, "", 0, err);
    while (!rc && tw_cursor_valid(cur)) {
        size_t kl, vl;
        (void)tw_cursor_key(cur, &kl);
        const void *v = tw_cursor_value(cur, &vl);
        if ((rc = tw_row_decode(v, vl, vals, old->kinds, old->ncols, err))) break;
        tw_buf_reset(&key);
        for (int i = 0; i < def->npk && !rc; i++) {
            int col = def->pk[i];
            if (vals[col].k == VK_NULL)
                rc = tw_err_set(err, TWILL_ERROR, "23502",
                                "column \"%s\" of relation \"%s\" contains null values",
                                def->cols[col].name, old->name);
            else if (tw_key_put(&key, &vals[col], def->kinds[col]))
                rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        }
        if (rc) break;
        if (key.len > TW_TXN_MAX_KEY) {
            rc = tw_err_set(err, TWILL_ERROR, "54000",
                            "index row size %zu exceeds maximum %d for index \"%s_pkey\"", key.len,
                            TW_TXN_MAX_KEY, old->name);
            break;
        }
        int found;
        if ((rc = tw_txn_get(t, def->id, key.p, key.len, TW_READ_OWN_CURRENT, &tmp, &found, err)))
            break;
        if (found) {
            rc = tw_err_set(err, TWILL_ERROR, "23505",
                            "could not create unique index \"%s_pkey\": the key is duplicated",
                            old->name);
            break;
        }
        if ((rc = tw_txn_put(t, def->id, key.p, key.len, v, vl, err))) break;
        for (int i = 0; i < def->nidx && !rc; i++)
            rc = tw_exec_index_entry(t, def, idx[i], vals, &key, &xkey, &tmp, err);
        if (!rc) rc = tw_cursor_next(cur, err);
    }
    tw_cursor_close(cur);
    free(vals);
    tw_buf_free(&key);
    tw_buf_free(&tmp);
    tw_buf_free(&xkey);
    return rc;
}

static int exec_alter(tw_sql_stmt *st, tw_plan *p, tw_txn *t, int *wrote_cat, tw_err *err);

/* ALTER TABLE with several actions: each is planned against the catalog as the ones
 * before it left it (read through this transaction) and run in turn. */
static int exec_alter_multi(tw_sql_stmt *st, tw_txn *t, int *wrote_cat, tw_err *err) {
    const PgQuery__AlterTableStmt *as = st->tree->pr->stmts[st->idx]->stmt->alter_table_stmt;
    int rc = TWILL_OK;
    for (size_t i = 0; i < as->n_cmds && !rc; i++) {
        tw_catalog *cat = st->plan->cat;
        if (i) {
            tw_txn_next_command(t);
            if ((rc = tw_catalog_load(t, 0, &cat, err))) break;
        } else {
            tw_catalog_ref(cat);
        }
        tw_plan *sub;
        rc = tw_plan_build_alter_cmd(st->tree, st->idx, (int)i, cat, st->pos_base, &sub, err);
        tw_catalog_unref(cat);
        if (rc) break;
        if (sub->kind == PL_ALTER_TABLE) rc = exec_alter(st, sub, t, wrote_cat, err);
        tw_plan_free(sub);
    }
    return rc;
}

static int exec_alter(tw_sql_stmt *st, tw_plan *p, tw_txn *t, int *wrote_cat, tw_err *err) {
    tw_catalog *cat = p->cat;
    const tw_table *tb = p->table;
    int rc = TWILL_OK, n = tb->ncols;
    tw_table def = *tb;
    tw_column *cols = calloc((size_t)n + 1, sizeof *cols);
    uint8_t *kinds = calloc((size_t)n + 1, 1);
    int *pk = calloc((size_t)n + 1, sizeof *pk);
    if (!cols || !kinds || !pk) {
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        goto out;
    }
    memcpy(cols, tb->cols, sizeof *cols * (size_t)n);
    memcpy(kinds, tb->kinds, (size_t)n);
    memcpy(pk, tb->pk, sizeof *pk * (size_t)tb->npk);
    def.cols = cols;
    def.kinds = kinds;
    def.pk = pk;
    switch (p->alter) {
    case ALT_RENAME_TABLE: {
        const char *nn = p->names[0];
        if (relation_exists(cat, nn)) {
            rc = tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists", nn);
            goto out;
        }
        def.name = (char *)nn;
        *wrote_cat = 1;
        if ((rc = tw_catalog_delete(t, tb->name, err)) || (rc = tw_catalog_put_table(t, &def, err)))
            goto out;
        for (int i = 0; i < tb->nidx && !rc; i++) {
            tw_index x = *tb->idx[i];
            x.table_name = (char *)nn;
            rc = tw_catalog_put_index(t, &x, err);
        }
        if (!rc) rc = tw_cons_rename_table(t, tb, &def, err);
        for (int i = 0; i < cat->nseqs && !rc; i++)
            if (!strcmp(cat->seqs[i]->owner, tb->name)) {
                tw_seq q = *cat->seqs[i];
                q.owner = (char *)nn;
                rc = tw_catalog_put_seq(t, &q, err);
            }
        goto out;
    }
    case ALT_RENAME_COLUMN:
        cols[tw_table_column(tb, p->names[0])].name = p->names[1];
        *wrote_cat = 1;
        rc = tw_catalog_put_table(t, &def, err);
        goto out;
    case ALT_ADD_COLUMN:
        if (tw_table_column(tb, p->names[0]) >= 0) goto out; /* IF NOT EXISTS */
        cols[n] = p->newtable->cols[0];
        kinds[n] = (uint8_t)tw_type_kind(cols[n].type.ty);
        def.ncols = n + 1;
        *wrote_cat = 1;
        if ((rc = tw_catalog_put_table(t, &def, err))) goto out;
        /* A record shorter than the table reads as NULLs: only a default or NOT NULL
         * needs the rows rewritten. */
        if (cols[n].has_default || cols[n].notnull) rc = rewrite_rows(t, tb, &def, n, -1, err);
        goto out;
    case ALT_DROP_COLUMN: {
        int col = tw_table_column(tb, p->names[0]);
        if (col < 0) goto out; /* IF EXISTS */
        memmove(cols + col, cols + col + 1, sizeof *cols * (size_t)(n - col - 1));
        memmove(kinds + col, kinds + col + 1, (size_t)(n - col - 1));
        for (int i = 0; i < def.npk; i++)
            if (pk[i] > col) pk[i]--;
        def.ncols = n - 1;
        if (p->newtable) { /* CHECKs and FKs without the column */
            def.nchecks = p->newtable->nchecks;
            def.checks = p->newtable->checks;
            def.nfks = p->newtable->nfks;
            def.fks = p->newtable->fks;
        }
        *wrote_cat = 1;
        if ((rc = tw_catalog_put_table(t, &def, err))) goto out;
        /* Indexes on the column go (as in PostgreSQL); the others are renumbered. */
        for (int i = 0; i < tb->nidx && !rc; i++) {
            const tw_index *x = tb->idx[i];
            int uses = 0;
            for (int k = 0; k < x->ncols; k++) uses |= x->cols[k] == col;
            if (uses) {
                if (!(rc = tw_catalog_delete(t, x->name, err)))
                    rc = tw_txn_drop_table(t, x->id, err);
                continue;
            }
            int xc[TW_MAX_COLUMNS];
            tw_index nx = *x;
            for (int k = 0; k < x->ncols; k++)
                xc[k] = x->cols[k] > col ? x->cols[k] - 1 : x->cols[k];
            nx.cols = xc;
            rc = tw_catalog_put_index(t, &nx, err);
        }
        const tw_column *dc = &tb->cols[col];
        if (!rc && dc->has_default == TW_DEF_SEQ) {
            const tw_seq *q = tw_catalog_seq(cat, dc->seqname);
            if (q && !strcmp(q->owner, tb->name) && !(rc = tw_catalog_delete(t, q->name, err)))
                rc = tw_txn_drop_table(t, q->id, err);
        }
        if (!rc) rc = rewrite_rows(t, tb, &def, -1, col, err);
        goto out;
    }
    case ALT_ADD_PK: {
        /* The rows move to a new tree under the new key; every index maps its keys to
         * the primary key, so each is rebuilt too (under a new id, the old tree dropped). */
        def.npk = p->newtable->npk;
        memcpy(pk, p->newtable->pk, sizeof *pk * (size_t)def.npk);
        for (int i = 0; i < def.npk; i++) cols[pk[i]].notnull = 1;
        def.id = db_alloc_id(st->s->db);
        tw_index *xs = calloc((size_t)tb->nidx + 1, sizeof *xs);
        tw_index **xp = calloc((size_t)tb->nidx + 1, sizeof *xp);
        if (!xs || !xp) rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        for (int i = 0; i < tb->nidx && !rc; i++) {
            xs[i] = *tb->idx[i];
            xs[i].id = db_alloc_id(st->s->db);
            xp[i] = &xs[i];
            if (!(rc = tw_catalog_put_index(t, &xs[i], err)))
                rc = tw_txn_drop_table(t, tb->idx[i]->id, err);
        }
        def.idx = xp;
        *wrote_cat = 1;
        if (!rc && !(rc = tw_catalog_put_table(t, &def, err)) &&
            !(rc = rekey_rows(t, tb, &def, xp, err)))
            rc = tw_txn_drop_table(t, tb->id, err);
        free(xs);
        free(xp);
        goto out;
    }
    case ALT_ADD_UNIQUE: {
        tw_index x = *p->newidx;
        if (relation_exists(cat, x.name)) {
            rc = tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists", x.name);
            goto out;
        }
        x.id = db_alloc_id(st->s->db);
        *wrote_cat = 1;
        if (!(rc = tw_catalog_put_index(t, &x, err))) rc = tw_exec_build_index(t, tb, &x, err);
        goto out;
    }
    case ALT_ADD_CHECK:
    case ALT_ADD_FK:
    case ALT_DROP_CONSTRAINT:
        def.nchecks = p->newtable->nchecks;
        def.checks = p->newtable->checks;
        def.nfks = p->newtable->nfks;
        def.fks = p->newtable->fks;
        *wrote_cat = 1;
        if (p->alter == ALT_DROP_CONSTRAINT && p->restart) { /* a UNIQUE constraint's index */
            const tw_index *x = tw_catalog_index(cat, p->names[0]);
            if (x && !(rc = tw_catalog_delete(t, x->name, err)))
                rc = tw_txn_drop_table(t, x->id, err);
            goto out;
        }
        if ((rc = tw_catalog_put_table(t, &def, err)) || p->not_valid) goto out;
        if (p->alter == ALT_ADD_CHECK)
            rc = tw_check_validate(t, tb, p->checks[0], p->checknames[0], err);
        else if (p->alter == ALT_ADD_FK)
            rc = tw_fk_validate(t, &p->newtable->fks[p->newtable->nfks - 1], err);
        goto out;
    case ALT_COL_DEFAULT:
    case ALT_COL_NOTNULL:
    case ALT_COL_TYPE: {
        int col = tw_table_column(tb, p->names[0]);
        const tw_column *nc = &p->newtable->cols[0];
        if (p->alter == ALT_COL_DEFAULT) {
            cols[col].has_default = nc->has_default;
            cols[col].defval = nc->defval;
            cols[col].seqname = nc->seqname;
            cols[col].nowfn = nc->nowfn;
        } else if (p->alter == ALT_COL_NOTNULL) {
            if (nc->notnull && !cols[col].notnull && (rc = tw_notnull_validate(t, tb, col, err)))
                goto out;
            cols[col].notnull = nc->notnull;
        } else {
            cols[col].type = nc->type;
        }
        *wrote_cat = 1;
        rc = tw_catalog_put_table(t, &def, err);
        goto out;
    }
    case ALT_MULTI:
        break;
    }
    rc = tw_err_set(err, TWILL_ERROR, "XX000", "unknown ALTER TABLE action");
out:
    free(cols);
    free(kinds);
    free(pk);
    return rc;
}

static int exec_truncate(tw_sql_stmt *st, tw_txn *t, tw_err *err) {
    tw_plan *p = st->plan;
    tw_catalog *cat = p->cat;
    int rc = TWILL_OK;
    for (int i = 0; i < p->nnames && !rc; i++) {
        const tw_table *tb = tw_catalog_table(cat, p->names[i]);
        if (!tb) continue;
        if (tb->nrefby && (rc = tw_cons_truncate(tb, p->names, p->nnames, err))) break;
        rc = tw_txn_drop_table(t, tb->id, err);
        for (int k = 0; k < tb->nidx && !rc; k++) rc = tw_txn_drop_table(t, tb->idx[k]->id, err);
        if (!p->restart) continue;
        /* RESTART IDENTITY: like nextval, not undone by a rollback here (PostgreSQL's
         * is transactional). */
        tw_sql_db *db = st->s->db;
        for (int k = 0; k < cat->nseqs && !rc; k++) {
            const tw_seq *q = cat->seqs[k];
            if (strcmp(q->owner, tb->name)) continue;
            seqrt *r;
            pthread_mutex_lock(&db->seq_mu);
            if (!(rc = seq_state(db, q, &r, err)) &&
                !(rc = seq_persist(db, q->id, q->start, 0, err))) {
                r->last = q->start;
                r->called = 0;
                r->reserved = 0;
            }
            pthread_mutex_unlock(&db->seq_mu);
        }
    }
    return rc;
}

static int exec_ddl(tw_sql_stmt *st, tw_txn *t, int *wrote_cat, tw_err *err) {
    tw_sql_session *s = st->s;
    tw_plan *p = st->plan;
    tw_catalog *cat = p->cat;
    int rc = TWILL_OK;
    switch (p->kind) {
    case PL_CREATE_TABLE: {
        tw_table def = *p->newtable;
        if (relation_exists(cat, def.name)) {
            if (p->if_exists) return TWILL_OK;
            return tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists",
                              def.name);
        }
        for (int i = 0; i < p->nnewidx; i++) {
            int dup =
                relation_exists(cat, p->newidx[i].name) || !strcmp(p->newidx[i].name, def.name);
            for (int k = 0; k < i; k++) dup |= !strcmp(p->newidx[i].name, p->newidx[k].name);
            if (dup)
                return tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists",
                                  p->newidx[i].name);
        }
        for (int i = 0; i < p->nnewseq; i++)
            if (relation_exists(cat, p->newseq[i].name))
                return tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists",
                                  p->newseq[i].name);
        def.id = db_alloc_id(s->db);
        *wrote_cat = 1;
        if ((rc = tw_catalog_put_table(t, &def, err))) return rc;
        for (int i = 0; i < p->nnewseq; i++) {
            tw_seq q = p->newseq[i];
            q.id = db_alloc_id(s->db);
            if ((rc = tw_catalog_put_seq(t, &q, err))) return rc;
        }
        for (int i = 0; i < p->nnewidx; i++) {
            tw_index x = p->newidx[i];
            x.id = db_alloc_id(s->db);
            x.table_name = def.name;
            if ((rc = tw_catalog_put_index(t, &x, err))) return rc;
        }
        return TWILL_OK;
    }
    case PL_CREATE_INDEX: {
        tw_index x = *p->newidx;
        if (relation_exists(cat, x.name)) {
            if (p->if_exists) return TWILL_OK;
            return tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists", x.name);
        }
        x.id = db_alloc_id(s->db);
        *wrote_cat = 1;
        if ((rc = tw_catalog_put_index(t, &x, err))) return rc;
        return tw_exec_build_index(t, p->table, &x, err);
    }
    case PL_CREATE_VIEW: {
        const char *name = p->names[0];
        if (relation_exists(cat, name) && !(p->if_exists && tw_catalog_view(cat, name)))
            return tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists", name);
        /* the view is stored as its own CREATE VIEW text */
        const PgQuery__RawStmt *rs = st->tree->pr->stmts[st->idx];
        size_t from = (size_t)rs->stmt_location,
               len = rs->stmt_len ? (size_t)rs->stmt_len : st->tree->text_len - from;
        if (from > st->tree->text_len || len > st->tree->text_len - from)
            return tw_err_set(err, TWILL_ERROR, "XX000", "bad statement bounds");
        *wrote_cat = 1;
        return tw_catalog_put_view(t, name, st->tree->text + from, len, err);
    }
    case PL_DROP_VIEW:
        for (int i = 0; i < p->nnames; i++) {
            if (!tw_catalog_view(cat, p->names[i])) {
                if (tw_catalog_table(cat, p->names[i]) || tw_catalog_index(cat, p->names[i]))
                    return tw_err_set(err, TWILL_ERROR, "42809", "\"%s\" is not a view",
                                      p->names[i]);
                if (p->if_exists) continue;
                return tw_err_set(err, TWILL_ERROR, "42P01", "view \"%s\" does not exist",
                                  p->names[i]);
            }
            *wrote_cat = 1;
            if ((rc = tw_catalog_delete(t, p->names[i], err))) return rc;
        }
        return TWILL_OK;
    case PL_DROP_TABLE:
        for (int i = 0; i < p->nnames; i++) {
            tw_table *tb = tw_catalog_table(cat, p->names[i]);
            if (!tb) {
                if (tw_catalog_index(cat, p->names[i]) || tw_catalog_view(cat, p->names[i]))
                    return tw_err_set(err, TWILL_ERROR, "42809", "\"%s\" is not a table",
                                      p->names[i]);
                if (p->if_exists) continue;
                return tw_err_set(err, TWILL_ERROR, "42P01", "table \"%s\" does not exist",
                                  p->names[i]);
            }
            if (tb->nrefby &&
                (rc = tw_cons_drop_table(t, tb, p->names, p->nnames, p->cascade, err)))
                return rc;
            *wrote_cat = 1;
            for (int k = 0; k < tb->nidx; k++) {
                if ((rc = tw_catalog_delete(t, tb->idx[k]->name, err)) ||
                    (rc = tw_txn_drop_table(t, tb->idx[k]->id, err)))
                    return rc;
            }
            if ((rc = tw_catalog_delete(t, tb->name, err)) ||
                (rc = tw_txn_drop_table(t, tb->id, err)))
                return rc;
            for (int k = 0; k < cat->nseqs; k++) /* its serial / identity sequences */
                if (!strcmp(cat->seqs[k]->owner, tb->name) &&
                    ((rc = tw_catalog_delete(t, cat->seqs[k]->name, err)) ||
                     (rc = tw_txn_drop_table(t, cat->seqs[k]->id, err))))
                    return rc;
        }
        return TWILL_OK;
    case PL_TRUNCATE:
        return exec_truncate(st, t, err);
    case PL_ALTER_TABLE:
        if (p->alter == ALT_MULTI) return exec_alter_multi(st, t, wrote_cat, err);
        return exec_alter(st, p, t, wrote_cat, err);
    case PL_CREATE_SEQ: {
        tw_seq q = *p->newseq;
        if (relation_exists(cat, q.name)) {
            if (p->if_exists) return TWILL_OK;
            return tw_err_set(err, TWILL_ERROR, "42P07", "relation \"%s\" already exists", q.name);
        }
        q.id = db_alloc_id(s->db);
        *wrote_cat = 1;
        return tw_catalog_put_seq(t, &q, err);
    }
    case PL_DROP_SEQ:
        for (int i = 0; i < p->nnames; i++) {
            tw_seq *q = tw_catalog_seq(cat, p->names[i]);
            if (!q) {
                if (relation_exists(cat, p->names[i]))
                    return tw_err_set(err, TWILL_ERROR, "42809", "\"%s\" is not a sequence",
                                      p->names[i]);
                if (p->if_exists) continue;
                return tw_err_set(err, TWILL_ERROR, "42P01", "sequence \"%s\" does not exist",
                                  p->names[i]);
            }
            if (q->owner[0] && tw_catalog_table(cat, q->owner))
                return tw_err_set(err, TWILL_ERROR, "2BP01",
                                  "cannot drop sequence %s because other objects depend on it",
                                  q->name);
            *wrote_cat = 1;
            if ((rc = tw_catalog_delete(t, q->name, err)) ||
                (rc = tw_txn_drop_table(t, q->id, err)))
                return rc;
        }
        return TWILL_OK;
    case PL_DROP_INDEX:
        for (int i = 0; i < p->nnames; i++) {
            tw_index *x = tw_catalog_index(cat, p->names[i]);
            if (!x) {
                if (tw_catalog_table(cat, p->names[i]))
                    return tw_err_set(err, TWILL_ERROR, "42809", "\"%s\" is not an index",
                                      p->names[i]);
                if (p->if_exists) continue;
                return tw_err_set(err, TWILL_ERROR, "42704", "index \"%s\" does not exist",
                                  p->names[i]);
            }
            for (int k = 0; x->table && k < x->table->nrefby; k++)
                if (x->table->refby[k]->refidx == x)
                    return tw_err_set(err, TWILL_ERROR, "2BP01",
                                      "cannot drop index %s because constraint %s on table %s "
                                      "requires it",
                                      x->name, x->table->refby[k]->name,
                                      x->table->refby[k]->table->name);
            *wrote_cat = 1;
            if ((rc = tw_catalog_delete(t, x->name, err)) ||
                (rc = tw_txn_drop_table(t, x->id, err)))
                return rc;
        }
        return TWILL_OK;
    }
    return tw_err_set(err, TWILL_ERROR, "XX000", "not a DDL plan");
}

/* ---- stepping ---- */

static int commit_err(int rc, tw_err *err) {
    if (rc == TWILL_CONFLICT && err && err->code == TWILL_OK)
        tw_err_set(err, TWILL_CONFLICT, "40001",
                   "could not serialize access due to concurrent update");
    if (rc == TWILL_CONFLICT && err) {
        memcpy(err->sqlstate, "40001", 6);
    }
    return rc;
}

static void bump_version(tw_sql_db *db) {
    __atomic_add_fetch(&db->version, 1, __ATOMIC_ACQ_REL);
}

/* SAVEPOINT / RELEASE / ROLLBACK TO, as PostgreSQL: names may repeat (the newest
 * wins); RELEASE and ROLLBACK TO also forget the savepoints made after the named one;
 * ROLLBACK TO keeps the named savepoint and ends an aborted state. */
static int savepoint_control(tw_sql_stmt *st, tw_err *err) {
    tw_sql_session *s = st->s;
    int kind = st->kind;
    const char *what = kind == PL_SAVEPOINT ? "SAVEPOINT"
                       : kind == PL_RELEASE ? "RELEASE SAVEPOINT"
                                            : "ROLLBACK TO SAVEPOINT";
    if (!s->in_block)
        return tw_err_set(err, TWILL_ERROR, "25P01", "%s can only be used in transaction blocks",
                          what);
    if (s->aborted && kind != PL_ROLLBACK_TO)
        return tw_err_set(
            err, TWILL_ERROR, "25P02",
            "current transaction is aborted, commands ignored until end of transaction block");
    const char *name = st->tree->pr->stmts[st->idx]->stmt->transaction_stmt->savepoint_name;
    if (!name) name = "";
    int i = s->nsps - 1;
    while (i >= 0 && strcmp(s->sps[i].name, name)) i--;
    if (kind == PL_SAVEPOINT) {
        if (!s->txn) return tw_err_set(err, TWILL_ERROR, "XX000", "no transaction");
        if (s->nsps == s->capsps) {
            int cap = s->capsps ? s->capsps * 2 : 4;
            savepoint *n = realloc(s->sps, (size_t)cap * sizeof *n);
            if (!n) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
            s->sps = n;
            s->capsps = cap;
        }
        char *copy = strdup(name);
        if (!copy) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        s->sps[s->nsps++] =
            (savepoint){.name = copy, .mark = tw_txn_savepoint(s->txn), .cat_dirty = s->cat_dirty};
        return TWILL_DONE;
    }
    if (i < 0) {
        abort_block(s);
        return tw_err_set(err, TWILL_ERROR, "3B001", "savepoint \"%s\" does not exist", name);
    }
    if (kind == PL_RELEASE) {
        drop_savepoints(s, i);
        return TWILL_DONE;
    }
    drop_savepoints(s, i + 1);
    tw_txn_rollback_to(s->txn, s->sps[i].mark);
    s->aborted = 0;
    s->cat_dirty = s->sps[i].cat_dirty;
    /* The private catalog may hold DDL that was just undone: read it again. */
    tw_catalog_unref(s->private_cat);
    s->private_cat = NULL;
    return TWILL_DONE;
}

static int txn_control(tw_sql_stmt *st, tw_err *err) {
    tw_sql_session *s = st->s;
    int rc = TWILL_OK;
    switch (st->kind) {
    case PL_BEGIN: {
        if (s->in_block) return TWILL_DONE; /* PostgreSQL: a warning, not an error */
        const PgQuery__TransactionStmt *ts = st->tree->pr->stmts[st->idx]->stmt->transaction_stmt;
        int level = iso_option(ts->options, ts->n_options);
        if ((rc = tw_txn_begin(s->db->eng, &s->txn, err))) return rc;
        s->iso = level >= 0 ? level : s->iso_default;
        s->block_used = 0;
        s->in_block = 1;
        s->txn_now = tw_dt_now();
        return TWILL_DONE;
    }
    case PL_SET_ISOLATION: {
        /* SET TRANSACTION / SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL x,
         * SET default_transaction_isolation / transaction_isolation = 'x' */
        const PgQuery__VariableSetStmt *vs = st->tree->pr->stmts[st->idx]->stmt->variable_set_stmt;
        int level = -1, dflt = !strcmp(vs->name, "SESSION CHARACTERISTICS") ||
                               !strcmp(vs->name, "default_transaction_isolation");
        if (vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI)
            level = iso_option(vs->args, vs->n_args);
        else if (vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT ||
                 vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET)
            level = TW_ISO_READ_COMMITTED;
        else if (vs->n_args == 1 && vs->args[0]->node_case == PG_QUERY__NODE__NODE_A_CONST &&
                 vs->args[0]->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
            level = tw_sql_isolation_parse(vs->args[0]->a_const->sval->sval);
        if (level < 0)
            return tw_err_set(err, TWILL_ERROR, "22023",
                              "invalid value for parameter \"transaction_isolation\"");
        if (dflt) {
            s->iso_default = level;
            return TWILL_DONE;
        }
        if (!s->in_block) return TWILL_DONE; /* PostgreSQL: a warning, no effect */
        if (s->block_used && level != s->iso)
            return tw_err_set(err, TWILL_ERROR, "25001",
                              "SET TRANSACTION ISOLATION LEVEL must be called before any query");
        s->iso = level;
        return TWILL_DONE;
    }
    case PL_COMMIT:
        if (!s->in_block) return TWILL_DONE;
        if (s->aborted || !s->txn) {
            if (s->txn) tw_txn_rollback(s->txn);
            end_block(s);
            return TWILL_DONE;
        }
        {
            tw_txn *t = s->txn;
            int dirty = s->cat_dirty;
            end_block(s);
            rc = tw_txn_commit(t, err);
            if (rc) return commit_err(rc, err);
            if (dirty) bump_version(s->db);
        }
        return TWILL_DONE;
    case PL_ROLLBACK:
        if (s->txn) tw_txn_rollback(s->txn);
        end_block(s);
        return TWILL_DONE;
    case PL_SAVEPOINT:
    case PL_RELEASE:
    case PL_ROLLBACK_TO:
        return savepoint_control(st, err);
    }
    return tw_err_set(err, TWILL_ERROR, "XX000", "not a transaction statement");
}

/* A statement failed: a block is aborted; autocommit work is rolled back. */
static int fail_stmt(tw_sql_stmt *st, int rc) {
    tw_sql_session *s = st->s;
    int own = st->own_txn != NULL;
    stop_stmt(st);
    if (!own) abort_block(s);
    st->finished = 1;
    return rc;
}

static void note_row(tw_sql_stmt *st, const tw_val *row) {
    st->row = row;
    st->rowgen++;
}

static int next_row(tw_sql_stmt *st, tw_err *err) {
    const tw_val *row;
    int rc = tw_run_next(st->run, &row, err);
    if (rc == TWILL_ROW) {
        note_row(st, row);
        return TWILL_ROW;
    }
    if (rc != TWILL_DONE) return fail_stmt(st, rc);
    stop_stmt(st);
    st->finished = 1;
    return TWILL_DONE;
}

/* EXPLAIN [ANALYZE]: renders the inner plan into st->xtext; with ANALYZE, first runs
 * the statement to its end on an instrumented run of its own. */
static int run_explain(tw_sql_stmt *st, const tw_exec_env *env, tw_err *err) {
    const tw_plan *q = st->plan->inner;
    tw_buf_reset(&st->xtext);
    if (!st->plan->analyze)
        return tw_explain_render(q, NULL, &st->xtext)
                   ? tw_err_set(err, TWILL_NOMEM, NULL, "out of memory")
                   : TWILL_OK;
    tw_run *r;
    int rc = tw_run_new(q, &r, err);
    if (rc) return rc;
    uint64_t t0 = tw_dt_now();
    if (!(rc = tw_run_instrument(r, err))) {
        if (q->kind == PL_SELECT) {
            rc = tw_run_start(r, env, err);
            while (!rc) {
                const tw_val *row;
                rc = tw_run_next(r, &row, err);
                if (rc == TWILL_ROW)
                    rc = TWILL_OK;
                else if (rc == TWILL_DONE)
                    break;
            }
            if (rc == TWILL_DONE) rc = TWILL_OK;
        } else {
            int64_t changes;
            rc = tw_run_dml(r, env, &changes, err);
        }
    }
    double ms = (double)(tw_dt_now() - t0) / 1000.0;
    if (!rc) {
        char tail[64];
        int n = snprintf(tail, sizeof tail, "Execution Time: %.3f ms\n", ms);
        if (tw_explain_render(q, r, &st->xtext) || tw_buf_append(&st->xtext, tail, (size_t)n))
            rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    tw_run_free(r);
    return rc;
}

int tw_sql_step(tw_sql_stmt *st, tw_err *err) {
    if (!st) return tw_err_set(err, TWILL_MISUSE, NULL, "NULL statement");
    tw_sql_session *s = st->s;
    if (st->killed) {
        /* Its rows came from a transaction that has ended: no silent truncation, and no
         * silent rerun either. A reset clears this. */
        st->killed = 0;
        st->finished = 1;
        return tw_err_set(err, TWILL_ERROR, "34000",
                          "the transaction ended while this statement was returning rows");
    }
    if (st->running) return next_row(st, err);
    if (st->explaining) {
        if (st->xpos >= st->xtext.len) {
            stop_stmt(st);
            st->finished = 1;
            return TWILL_DONE;
        }
        const char *line = (const char *)st->xtext.p + st->xpos;
        const char *nl = memchr(line, '\n', st->xtext.len - st->xpos);
        size_t n = nl ? (size_t)(nl - line) : st->xtext.len - st->xpos;
        st->xrow = (tw_val){.k = VK_TEXT, .s = line, .n = n};
        st->xpos += n + 1;
        note_row(st, &st->xrow);
        return TWILL_ROW;
    }
    if (st->returning) {
        const tw_val *row;
        if (tw_run_returned(st->run, st->retpos++, &row) == TWILL_ROW) {
            note_row(st, row);
            return TWILL_ROW;
        }
        stop_stmt(st);
        st->finished = 1;
        return TWILL_DONE;
    }
    if (st->finished) tw_sql_reset(st);
    st->changes = 0;
    st->row = NULL;
    if (st->kind >= 0) {
        int rc = txn_control(st, err);
        st->finished = 1;
        return rc;
    }
    if (s->in_block && s->aborted) {
        st->finished = 1;
        return tw_err_set(
            err, TWILL_ERROR, "25P02",
            "current transaction is aborted, commands ignored until end of transaction block");
    }
    int rc;
    tw_txn *t;
    int autocommit = !s->in_block;
    if (autocommit) {
        if ((rc = tw_txn_begin(s->db->eng, &t, err))) return rc;
    } else {
        t = s->txn;
        tw_txn_next_command(t);
        /* READ COMMITTED: each statement sees what has committed before it starts
         * (unless another statement's rows are still being read from this block) */
        int others = 0;
        for (tw_sql_stmt *o = s->stmts; o; o = o->next) others |= o != st && o->running;
        if (s->iso <= TW_ISO_READ_COMMITTED && !others) tw_txn_refresh_snapshot(t);
        s->block_used = 1;
    }
    if ((rc = ensure_plan(st, err))) {
        if (autocommit) tw_txn_rollback(t);
        return fail_stmt(st, rc);
    }
    tw_exec_env env = {.txn = t,
                       .params = st->params,
                       .next_rowid = db_next_rowid,
                       .ud = s->db,
                       .seq = seq_fn,
                       .seq_ud = s,
                       .now = autocommit ? tw_dt_now() : s->txn_now};
    tw_plan *p = st->plan;
    if (p->kind == PL_SHOW_ISOLATION) { /* one row: the level's name */
        if (autocommit) tw_txn_rollback(t);
        tw_buf_reset(&st->xtext);
        const char *lv = tw_sql_isolation_name(!strcmp(p->colnames[0], "transaction_isolation")
                                                   ? tw_sql_isolation(s)
                                                   : s->iso_default);
        if (tw_buf_append(&st->xtext, lv, strlen(lv)))
            return fail_stmt(st, tw_err_set(err, TWILL_NOMEM, NULL, "out of memory"));
        st->explaining = 1;
        st->xpos = 0;
        return tw_sql_step(st, err);
    }
    if (p->kind == PL_EXPLAIN) {
        rc = run_explain(st, &env, err);
        /* EXPLAIN ANALYZE of a DML statement has done its writes: they commit as the
         * statement would have (PostgreSQL's behaviour too). */
        if (autocommit) {
            if (rc || !p->analyze || p->inner->kind == PL_SELECT)
                tw_txn_rollback(t);
            else if ((rc = tw_txn_commit(t, err)))
                return commit_err(rc, err);
        }
        if (rc) return fail_stmt(st, rc);
        st->explaining = 1;
        st->xpos = 0;
        return tw_sql_step(st, err);
    }
    if (p->kind == PL_SELECT) {
        if ((rc = tw_run_start(st->run, &env, err))) {
            if (autocommit) tw_txn_rollback(t);
            return fail_stmt(st, rc);
        }
        st->own_txn = autocommit ? t : NULL;
        st->running = 1;
        return next_row(st, err);
    }
    int wrote_cat = 0;
    if (p->kind == PL_INSERT || p->kind == PL_UPDATE || p->kind == PL_DELETE)
        rc = tw_run_dml(st->run, &env, &st->changes, err);
    else if (p->kind == PL_NOOP)
        rc = TWILL_OK;
    else
        rc = exec_ddl(st, t, &wrote_cat, err);
    if (rc) {
        st->changes = 0;
        if (autocommit) tw_txn_rollback(t);
        return fail_stmt(st, rc);
    }
    if (autocommit) {
        rc = tw_txn_commit(t, err);
        if (rc) {
            st->changes = 0;
            st->finished = 1;
            return commit_err(rc, err);
        }
        if (wrote_cat) bump_version(s->db);
    } else if (wrote_cat) {
        /* The next statement's plan reads the catalog through this transaction. */
        tw_txn_next_command(t);
        s->cat_dirty = 1;
        tw_catalog_unref(s->private_cat);
        s->private_cat = NULL;
    }
    if (p->ret) {
        /* The work is done (and committed); now hand out the RETURNING rows. */
        st->returning = 1;
        st->retpos = 0;
        return tw_sql_step(st, err);
    }
    st->finished = 1;
    return TWILL_DONE;
}

/* ---- result columns ---- */

int tw_sql_column_count(const tw_sql_stmt *st) {
    return st && st->plan ? st->plan->ncols : 0;
}

const char *tw_sql_column_name(const tw_sql_stmt *st, int col) {
    if (col < 0 || col >= tw_sql_column_count(st)) return NULL;
    return st->plan->colnames[col] ? st->plan->colnames[col] : "?column?";
}

int tw_sql_column_decltype(const tw_sql_stmt *st, int col) {
    if (col < 0 || col >= tw_sql_column_count(st)) return TWILL_TYPE_NULL;
    return tw_type_abi(st->plan->coltypes[col].ty);
}

uint32_t tw_sql_param_pgtype(const tw_sql_stmt *st, int idx) {
    const tw_plan *p = st ? st->plan : NULL;
    if (p && p->kind == PL_EXPLAIN) p = p->inner;
    if (!p || idx < 1 || idx > p->nparamtypes || p->paramtypes[idx - 1].ty == TY_UNKNOWN) return 0;
    return tw_type_pgoid(p->paramtypes[idx - 1], NULL);
}

uint32_t tw_sql_column_pgtype(const tw_sql_stmt *st, int col, int32_t *typmod) {
    if (typmod) *typmod = -1;
    if (col < 0 || col >= tw_sql_column_count(st)) return 0;
    return tw_type_pgoid(st->plan->coltypes[col], typmod);
}

uint32_t tw_type_pgoid(tw_sqltype t, int32_t *typmod) {
    if (typmod) *typmod = -1;
    if (t.ty == TY_INT8 && t.mod == TW_MOD_OID) return 26;
    if (t.ty == TY_TEXT && t.mod == TW_MOD_NAME) return 19;
    if (t.ty == TY_TEXT && t.mod == TW_MOD_CHAR1) return 18;
    switch (t.ty) {
    case TY_BOOL:
        return 16;
    case TY_INT2:
        return 21;
    case TY_INT4:
        return 23;
    case TY_INT8:
        return 20;
    case TY_FLOAT4:
        return 700;
    case TY_FLOAT8:
        return 701;
    case TY_BYTEA:
        return 17;
    case TY_NUMERIC:
        /* PostgreSQL's numeric typmod: ((p << 16) | s) + 4 */
        if (typmod && t.mod >= 0) *typmod = t.mod + 4;
        return 1700;
    case TY_DATE:
        return 1082;
    case TY_TIMESTAMP:
        return 1114;
    case TY_TIMESTAMPTZ:
        return 1184;
    case TY_INTERVAL:
        return 1186;
    case TY_UUID:
        return 2950;
    case TY_JSON:
        return 114;
    case TY_JSONB:
        return 3802;
    case TY_ARRAY:
        return tw_array_oid(t.mod);
    case TY_VARCHAR:
    case TY_CHAR:
        /* PostgreSQL's typmod for character types counts its 4-byte varlena header. */
        if (typmod && t.mod >= 0) *typmod = t.mod + 4;
        return t.ty == TY_VARCHAR ? 1043 : 1042;
    default:
        return 25;
    }
}

const char *tw_sql_command(const tw_sql_stmt *st) {
    int kind = st->kind >= 0 ? st->kind : st->plan ? st->plan->kind : -1;
    switch (kind) {
    case PL_SELECT:
        return "SELECT";
    case PL_INSERT:
        return "INSERT";
    case PL_UPDATE:
        return "UPDATE";
    case PL_DELETE:
        return "DELETE";
    case PL_CREATE_TABLE:
        return "CREATE TABLE";
    case PL_DROP_TABLE:
        return "DROP TABLE";
    case PL_CREATE_INDEX:
        return "CREATE INDEX";
    case PL_DROP_INDEX:
        return "DROP INDEX";
    case PL_TRUNCATE:
        return "TRUNCATE TABLE";
    case PL_ALTER_TABLE:
        return "ALTER TABLE";
    case PL_CREATE_SEQ:
        return "CREATE SEQUENCE";
    case PL_DROP_SEQ:
        return "DROP SEQUENCE";
    case PL_CREATE_VIEW:
        return "CREATE VIEW";
    case PL_DROP_VIEW:
        return "DROP VIEW";
    case PL_BEGIN:
        return "BEGIN";
    case PL_COMMIT:
        return "COMMIT";
    case PL_ROLLBACK:
    case PL_ROLLBACK_TO:
        return "ROLLBACK";
    case PL_SAVEPOINT:
        return "SAVEPOINT";
    case PL_RELEASE:
        return "RELEASE";
    case PL_SET_ISOLATION:
        return "SET";
    case PL_NOOP:
        return st->plan ? st->plan->noop_tag : NULL;
    case PL_EXPLAIN:
        return "EXPLAIN";
    case PL_SHOW_ISOLATION:
        return "SHOW";
    default:
        return NULL;
    }
}

int tw_sql_txn_state(const tw_sql_session *s) {
    if (!s || !s->in_block) return 0;
    return s->aborted ? 2 : 1;
}

static tw_buf *col_buf(tw_sql_stmt *st, int col) {
    int n = st->plan->ncols;
    if (!st->coltext) {
        st->coltext = calloc((size_t)n, sizeof *st->coltext);
        st->colgen = calloc((size_t)n, sizeof *st->colgen);
        if (!st->coltext || !st->colgen) {
            free_coltext(st, 0);
            return NULL;
        }
    }
    return &st->coltext[col];
}

void tw_sql_column_value(tw_sql_stmt *st, int col, tw_sql_arg *out) {
    memset(out, 0, sizeof *out);
    out->type = TWILL_TYPE_NULL;
    if (!st || !st->row || col < 0 || col >= tw_sql_column_count(st)) return;
    const tw_val *v = &st->row[col];
    switch (v->k) {
    case VK_INT:
        out->type = TWILL_TYPE_INT64, out->i = v->i;
        break;
    case VK_BOOL:
        out->type = TWILL_TYPE_BOOL, out->i = v->i;
        break;
    case VK_FLOAT:
        out->type = TWILL_TYPE_DOUBLE, out->d = v->d;
        break;
    case VK_BYTEA:
        out->type = TWILL_TYPE_BLOB, out->p = v->s ? v->s : "", out->len = v->n;
        break;
    case VK_TEXT: {
        tw_buf *b = col_buf(st, col);
        if (!b) return;
        if (st->colgen[col] != st->rowgen || b->len == 0) {
            tw_buf_reset(b);
            if (tw_buf_append(b, v->s, v->n) || tw_buf_put_u8(b, 0)) return;
            st->colgen[col] = st->rowgen;
        }
        out->type = TWILL_TYPE_TEXT;
        out->p = b->p;
        out->len = v->n;
        break;
    }
    case VK_NUMERIC:
    case VK_DATE:
    case VK_TS:
    case VK_TSTZ:
    case VK_INTERVAL:
    case VK_UUID:
    case VK_JSON:
    case VK_JSONB:
    case VK_ARRAY: {
        /* numeric and the datetime types reach clients as their exact text, as
         * PostgreSQL's text protocol sends them (uuid, json and arrays too) */
        size_t n;
        const char *t = tw_sql_column_text(st, col, &n);
        if (!t) return;
        out->type = TWILL_TYPE_TEXT;
        out->p = t;
        out->len = n;
        break;
    }
    }
}

const char *tw_sql_column_text(tw_sql_stmt *st, int col, size_t *len) {
    if (len) *len = 0;
    if (!st || !st->row || col < 0 || col >= tw_sql_column_count(st)) return NULL;
    const tw_val *v = &st->row[col];
    if (v->k == VK_NULL) return NULL;
    tw_buf *b = col_buf(st, col);
    if (!b) return NULL;
    if (st->colgen[col] != st->rowgen || b->len == 0) {
        tw_buf_reset(b);
        if (tw_val_out(v, st->plan->coltypes[col].ty == TY_FLOAT4, b) || tw_buf_put_u8(b, 0))
            return NULL;
        st->colgen[col] = st->rowgen;
    }
    if (len) *len = b->len - 1;
    return (const char *)b->p;
}
