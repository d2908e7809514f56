#include "sql/parser.h"

#include "util/buf.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the parser threads ----
 *
 * PostgreSQL's grammar recurses as deep as the input nests, so parsing runs on threads
 * with big stacks rather than on the caller's. A small pool (one per CPU, at most
 * MAX_PARSERS, started as the load needs them) takes requests from one queue; each
 * request has its own condition variable, so a finished parse wakes only its caller. */

#define MAX_PARSERS 8

typedef struct preq {
    const char *text;
    PgQuery__ParseResult *pr;
    int rc;
    int cursorpos;
    char msg[256];
    int done;
    pthread_cond_t cv;
    struct preq *next;
} preq;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_work = PTHREAD_COND_INITIALIZER;
static preq *g_head, *g_tail;
static int g_nthreads, g_idle; /* parser threads running / waiting for work (under g_mu) */
static int g_max;              /* pool size: CPUs, 1..MAX_PARSERS */

static int msg_depth(const ProtobufCMessage *m, int d) {
    if (d > TW_PARSE_MAX_DEPTH) return d;
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    int max = d;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *base = (const char *)m;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof which);
            if (which != f->id) continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            ProtobufCMessage **arr;
            memcpy(&n, base + f->quantifier_offset, sizeof n);
            memcpy(&arr, base + f->offset, sizeof arr);
            for (size_t k = 0; k < n; k++) {
                if (!arr[k]) continue;
                int s = msg_depth(arr[k], d + 1);
                if (s > max) max = s;
                if (max > TW_PARSE_MAX_DEPTH) return max;
            }
        } else {
            ProtobufCMessage *sub;
            memcpy(&sub, base + f->offset, sizeof sub);
            if (!sub) continue;
            int s = msg_depth(sub, d + 1);
            if (s > max) max = s;
            if (max > TW_PARSE_MAX_DEPTH) return max;
        }
    }
    return max;
}

static void do_parse(preq *r) {
    PgQueryProtobufParseResult res = pg_query_parse_protobuf(r->text);
    if (res.error) {
        r->rc = TWILL_ERROR;
        r->cursorpos = res.error->cursorpos;
        snprintf(r->msg, sizeof r->msg, "%s", res.error->message ? res.error->message : "?");
    } else {
        r->pr = pg_query__parse_result__unpack(NULL, res.parse_tree.len,
                                               (const uint8_t *)res.parse_tree.data);
        if (!r->pr) {
            r->rc = TWILL_NOMEM;
            snprintf(r->msg, sizeof r->msg, "out of memory decoding the parse tree");
        } else if (msg_depth(&r->pr->base, 0) > TW_PARSE_MAX_DEPTH) {
            /* Freed here, on the big stack: freeing is recursive too. */
            pg_query__parse_result__free_unpacked(r->pr, NULL);
            r->pr = NULL;
            r->rc = TWILL_ERROR;
            snprintf(r->msg, sizeof r->msg, "statement too complex: nested too deeply");
            r->cursorpos = -54001;
        }
    }
    pg_query_free_protobuf_parse_result(res);
}

static void *parser_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g_mu);
    for (;;) {
        g_idle++;
        while (!g_head) pthread_cond_wait(&g_work, &g_mu);
        g_idle--;
        preq *r = g_head;
        g_head = r->next;
        if (!g_head) g_tail = NULL;
        pthread_mutex_unlock(&g_mu);
        do_parse(r);
        pthread_mutex_lock(&g_mu);
        r->done = 1;
        pthread_cond_signal(&r->cv);
    }
    return NULL;
}

/* A forked child has no parser thread and may have copied g_mu locked: the prepare
 * handler holds g_mu across fork, and the child starts over with fresh state. */
static void fork_prepare(void) {
    pthread_mutex_lock(&g_mu);
}
static void fork_parent(void) {
    pthread_mutex_unlock(&g_mu);
}
static void fork_child(void) {
    pthread_mutex_init(&g_mu, NULL);
    pthread_cond_init(&g_work, NULL);
    g_head = g_tail = NULL; /* requests of parent threads that do not exist here */
    g_nthreads = g_idle = 0;
}
static void register_atfork(void) {
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Under g_mu: one more parser thread (0 on success). */
static int start_parser(void) {
    pthread_attr_t at;
    pthread_t th;
    if (pthread_attr_init(&at)) return -1;
    /* Address space only: pages are committed as the parser's recursion touches them. */
    pthread_attr_setstacksize(&at, (size_t)256 << 20);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &at, parser_main, NULL);
    pthread_attr_destroy(&at);
    if (rc) return -1;
    g_nthreads++;
    return 0;
}

static void register_atfork_and_size(void) {
    register_atfork();
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    g_max = n < 1 ? 1 : n > MAX_PARSERS ? MAX_PARSERS : (int)n;
}

static int run_parse(preq *r, tw_err *err) {
    pthread_once(&g_once, register_atfork_and_size);
    pthread_mutex_lock(&g_mu);
    /* another thread while every running one is busy, up to the pool size */
    if (g_idle == 0 && g_nthreads < g_max && start_parser() && g_nthreads == 0) {
        pthread_mutex_unlock(&g_mu);
        return tw_err_set(err, TWILL_NOMEM, "53000", "could not start the parser thread");
    }
    if (pthread_cond_init(&r->cv, NULL)) {
        pthread_mutex_unlock(&g_mu);
        return tw_err_set(err, TWILL_NOMEM, "53000", "out of memory");
    }
    r->next = NULL;
    if (g_tail)
        g_tail->next = r;
    else
        g_head = r;
    g_tail = r;
    pthread_cond_signal(&g_work);
    while (!r->done) pthread_cond_wait(&r->cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    pthread_cond_destroy(&r->cv);
    return r->rc;
}

/* ---- lexical pre-scan ---- */

static int ident_char(int c) {
    return isalnum(c) || c == '_' || c >= 0x80 || c == '$';
}

static int op_char(int c) {
    return strchr("+-*/%<>=~!@#^&|`", c) != NULL && c != 0;
}

typedef struct scan {
    const char *s;
    size_t n;
    tw_buf out;
    int nq;
    size_t nmap, capmap;
    size_t *map_at, *map_delta;
    size_t delta;
} scan;

static int add_map(scan *sc, size_t at, size_t delta) {
    if (sc->nmap == sc->capmap) {
        size_t c = sc->capmap ? sc->capmap * 2 : 16;
        size_t *a = realloc(sc->map_at, c * sizeof *a);
        if (!a) return TWILL_NOMEM;
        sc->map_at = a;
        size_t *d = realloc(sc->map_delta, c * sizeof *d);
        if (!d) return TWILL_NOMEM;
        sc->map_delta = d;
        sc->capmap = c;
    }
    sc->map_at[sc->nmap] = at;
    sc->map_delta[sc->nmap] = delta;
    sc->nmap++;
    return TWILL_OK;
}

/* Copies the text, rewriting `?` to $n and estimating the nesting depth: parentheses
 * plus chains of binary operators (which the grammar nests left-deep; AND/OR lists are
 * flat, so they end a chain). */
static int prescan(scan *sc, tw_err *err) {
    const char *s = sc->s;
    size_t n = sc->n, i = 0, last = 0;
    int depth = 0, chain = 0;
    int chains[TW_PARSE_MAX_NESTING + 2];
    int total = 0; /* sum of chains of enclosing levels */
#define FLUSH(upto)                                                                                \
    do {                                                                                           \
        if (tw_buf_append(&sc->out, s + last, (upto)-last)) goto nomem;                            \
        last = (upto);                                                                             \
    } while (0)
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0)
            return tw_err_set(err, TWILL_ERROR, "22021",
                              "invalid byte sequence for encoding \"UTF8\": 0x00");
        if (c == '\'') {
            int esc = i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E') &&
                      (i < 2 || !ident_char((unsigned char)s[i - 2]));
            i++;
            while (i < n) {
                if (esc && s[i] == '\\' && i + 1 < n)
                    i += 2;
                else if (s[i] == '\'' && i + 1 < n && s[i + 1] == '\'')
                    i += 2;
                else if (s[i] == '\'')
                    break;
                else
                    i++;
            }
            i++;
        } else if (c == '"') {
            i++;
            while (i < n && !(s[i] == '"' && !(i + 1 < n && s[i + 1] == '"')))
                i += s[i] == '"' ? 2 : 1;
            i++;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n') i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            int lvl = 1;
            i += 2;
            while (i < n && lvl) {
                if (s[i] == '/' && i + 1 < n && s[i + 1] == '*')
                    lvl++, i += 2;
                else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/')
                    lvl--, i += 2;
                else
                    i++;
            }
        } else if (c == '$' && !(i > 0 && ident_char((unsigned char)s[i - 1]))) {
            size_t j = i + 1;
            if (j < n && isdigit((unsigned char)s[j])) {
                while (j < n && isdigit((unsigned char)s[j])) j++;
                i = j;
                continue;
            }
            while (j < n &&
                   (isalnum((unsigned char)s[j]) || s[j] == '_' || (unsigned char)s[j] >= 0x80))
                j++;
            if (j < n && s[j] == '$' && !(j > i + 1 && isdigit((unsigned char)s[i + 1]))) {
                size_t tl = j + 1 - i;
                const char *tag = s + i;
                i = j + 1;
                while (i < n && !(s[i] == '$' && n - i >= tl && !memcmp(s + i, tag, tl))) i++;
                i = i < n ? i + tl : n;
            } else {
                i++;
            }
        } else if (c == '?') {
            FLUSH(i);
            char num[24];
            int k = snprintf(num, sizeof num, "$%d", ++sc->nq);
            if (tw_buf_append(&sc->out, num, (size_t)k)) goto nomem;
            sc->delta += (size_t)k - 1;
            if (add_map(sc, sc->out.len, sc->delta)) goto nomem;
            i++;
            last = i;
        } else if (c == '(' || c == '[') {
            if (depth >= TW_PARSE_MAX_NESTING) goto deep;
            chains[depth++] = chain;
            total += chain;
            chain = 0;
            i++;
        } else if (c == ')' || c == ']') {
            if (depth > 0) {
                chain = chains[--depth];
                total -= chain;
            }
            i++;
        } else if (c == ',' || c == ';') {
            chain = 0;
            i++;
        } else if (op_char(c)) {
            while (i < n && op_char((unsigned char)s[i]) &&
                   !(s[i] == '-' && i + 1 < n && s[i + 1] == '-') &&
                   !(s[i] == '/' && i + 1 < n && s[i + 1] == '*'))
                i++;
            if (++chain + total + depth > TW_PARSE_MAX_NESTING) goto deep;
        } else if (ident_char(c)) {
            size_t j = i;
            while (j < n && ident_char((unsigned char)s[j])) j++;
            size_t w = j - i;
            if ((w == 3 && !strncasecmp(s + i, "and", 3)) ||
                (w == 2 && !strncasecmp(s + i, "or", 2)))
                chain = 0;
            else if (w == 3 && !strncasecmp(s + i, "not", 3) &&
                     ++chain + total + depth > TW_PARSE_MAX_NESTING)
                goto deep;
            i = j;
        } else {
            i++;
        }
    }
    FLUSH(n);
    if (tw_buf_put_u8(&sc->out, 0)) goto nomem;
    sc->out.len--;
    return TWILL_OK;
#undef FLUSH
deep:
    return tw_err_set(err, TWILL_ERROR, "54001",
                      "statement too complex: nested more than %d levels deep",
                      TW_PARSE_MAX_NESTING);
nomem:
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

size_t tw_parse_orig_offset(const tw_parsetree *t, size_t off) {
    /* Find the last rewrite that ends at or before off. */
    size_t lo = 0, hi = t->nmap;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->map_at[mid] <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t d = lo ? t->map_delta[lo - 1] : 0;
    return off >= d ? off - d : 0;
}

size_t tw_parse_stmt_end(const tw_parsetree *t, size_t i) {
    const PgQuery__RawStmt *rs = t->pr->stmts[i];
    size_t end = rs->stmt_len ? (size_t)rs->stmt_location + (size_t)rs->stmt_len : t->text_len;
    if (end > t->text_len) end = t->text_len;
    size_t j = end;
    while (j < t->text_len && isspace((unsigned char)t->text[j])) j++;
    if (j < t->text_len && t->text[j] == ';')
        end = j + 1;
    else if (i + 1 == t->pr->n_stmts)
        end = t->text_len;
    return tw_parse_orig_offset(t, end);
}

int tw_parse(const char *sql, size_t len, tw_parsetree **out, tw_err *err) {
    *out = NULL;
    if (len > TW_PARSE_MAX_BYTES)
        return tw_err_set(err, TWILL_ERROR, "54000", "statement too large: %zu bytes (limit %zu)",
                          len, TW_PARSE_MAX_BYTES);
    scan sc = {.s = sql, .n = len};
    int rc = prescan(&sc, err);
    if (rc) goto fail;
    preq r = {.text = (const char *)sc.out.p};
    rc = run_parse(&r, NULL);
    if (rc) {
        if (r.cursorpos == -54001) {
            rc = tw_err_set(err, TWILL_ERROR, "54001", "%s", r.msg);
        } else {
            rc = tw_err_set(err, rc, rc == TWILL_ERROR ? "42601" : NULL, "%s", r.msg);
            if (err && r.cursorpos > 0)
                err->pos = (int)tw_parse_orig_offset(&(tw_parsetree){.nmap = sc.nmap,
                                                                     .map_at = sc.map_at,
                                                                     .map_delta = sc.map_delta},
                                                     (size_t)r.cursorpos - 1) +
                           1;
        }
        goto fail;
    }
    tw_parsetree *t = calloc(1, sizeof *t);
    if (!t) {
        pg_query__parse_result__free_unpacked(r.pr, NULL);
        rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        goto fail;
    }
    t->refs = 1;
    t->pr = r.pr;
    t->text = (char *)sc.out.p;
    t->text_len = sc.out.len;
    t->orig_len = len;
    t->nqmarks = sc.nq;
    t->nmap = sc.nmap;
    t->map_at = sc.map_at;
    t->map_delta = sc.map_delta;
    *out = t;
    return TWILL_OK;
fail:
    tw_buf_free(&sc.out);
    free(sc.map_at);
    free(sc.map_delta);
    return rc;
}

int tw_pq_walk(const ProtobufCMessage *m, int (*visit)(const ProtobufCMessage *m, void *ud),
               void *ud) {
    int v = visit(m, ud);
    if (v) return v > 0;
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *base = (const char *)m;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof which);
            if (which != f->id) continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            ProtobufCMessage **arr;
            memcpy(&n, base + f->quantifier_offset, sizeof n);
            memcpy(&arr, base + f->offset, sizeof arr);
            for (size_t k = 0; k < n; k++)
                if (arr[k] && tw_pq_walk(arr[k], visit, ud)) return 1;
        } else {
            ProtobufCMessage *sub;
            memcpy(&sub, base + f->offset, sizeof sub);
            if (sub && tw_pq_walk(sub, visit, ud)) return 1;
        }
    }
    return 0;
}

static int max_param_visit(const ProtobufCMessage *m, void *ud) {
    if (m->descriptor == &pg_query__param_ref__descriptor) {
        int *best = ud, v = ((const PgQuery__ParamRef *)m)->number;
        if (v > *best) *best = v;
    }
    return 0;
}

int tw_parse_max_param(const tw_parsetree *t, size_t i) {
    const PgQuery__RawStmt *rs = t->pr->stmts[i];
    int best = 0;
    if (rs->stmt) tw_pq_walk(&rs->stmt->base, max_param_visit, &best);
    return best;
}

void tw_parsetree_ref(tw_parsetree *t) {
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void tw_parsetree_unref(tw_parsetree *t) {
    if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    pg_query__parse_result__free_unpacked(t->pr, NULL);
    free(t->text);
    free(t->map_at);
    free(t->map_delta);
    free(t);
}
