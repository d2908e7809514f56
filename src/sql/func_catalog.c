/*
 * func_catalog.c — the functions clients call against the system catalogs (psql's \d
 * family, pgbench, ORMs): session information, the reg* conversions, object
 * definitions as text, privileges (always granted: one role) — and the regular
 * expression operators ~ !~ ~* !~* (POSIX extended regular expressions from regex.h).
 *
 * Functions that read the catalog use the snapshot of the running plan (tw_evalctx.cat)
 * and are marked volatile so that nothing evaluates them before execution.
 */
#include "sql/func.h"
#include "sql/pgcatalog.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT (TW_FN_STRICT | TW_FN_VOLATILE)

static int text_out(tw_evalctx *c, const char *s, tw_val *out, tw_err *err) {
    return tw_func_text(c, s, strlen(s), out, err);
}

static int buf_out(tw_evalctx *c, tw_buf *b, tw_val *out, tw_err *err) {
    int rc = tw_func_text(c, b->len ? (const char *)b->p : "", b->len, out, err);
    tw_buf_free(b);
    return rc;
}

static int no_catalog(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "XX000", "catalog function called outside a query");
}

static int oom(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

/* ---- session ---- */

static int fn_current_schema(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n;
    return text_out(c, "public", out, err);
}

static int fn_current_schemas(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return text_out(c, a[0].i ? "{pg_catalog,public}" : "{public}", out, err);
}

static int fn_current_database(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n;
    return text_out(c, TW_PGCAT_DATABASE, out, err);
}

static int fn_version(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n;
    return text_out(c,
                    "PostgreSQL 15.0 (Twill DB 0.1.0) on "
#if defined(__x86_64__)
                    "x86_64"
#elif defined(__aarch64__)
                    "aarch64"
#else
                    "unknown"
#endif
                    "-linux, Twill DB, PostgreSQL 15 compatible, 64-bit",
                    out, err);
}

static int fn_true(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_BOOL, .i = 1};
    return TWILL_OK;
}

static int fn_false(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_BOOL, .i = 0};
    return TWILL_OK;
}

static int fn_null(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_NULL};
    return TWILL_OK;
}

/* ---- names ---- */

/* Splits a possibly qualified, possibly quoted name ("public"."T", pg_catalog.pg_class)
 * into at most two parts; unquoted parts fold to lower case. 0, or -1 on bad syntax. */
static int split_name(const char *s, size_t n, char parts[2][256], int *np) {
    size_t i = 0;
    *np = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    for (;;) {
        if (*np == 2) return -1;
        char *o = parts[(*np)++];
        size_t k = 0;
        if (i < n && s[i] == '"') {
            for (i++;; i++) {
                if (i >= n) return -1;
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        i++;
                    } else {
                        i++;
                        break;
                    }
                }
                if (k + 1 >= 256) return -1;
                o[k++] = s[i];
            }
        } else {
            while (i < n && s[i] != '.' && !isspace((unsigned char)s[i])) {
                if (k + 1 >= 256 || s[i] == '"') return -1;
                o[k++] = (char)tolower((unsigned char)s[i]);
                i++;
            }
        }
        o[k] = 0;
        if (!k) return -1;
        while (i < n && isspace((unsigned char)s[i])) i++;
        if (i >= n) return 0;
        if (s[i] != '.') return -1;
        i++;
    }
}

static uint64_t rel_oid(const tw_pgcat_obj *o) {
    switch (o->kind) {
    case PGCAT_TABLE:
        return tw_pgcat_table_oid(o->table);
    case PGCAT_PKEY:
        return tw_pgcat_pkey_oid(o->table);
    case PGCAT_INDEX:
        return tw_pgcat_index_oid(o->index);
    case PGCAT_VIEW:
        return tw_pgcat_view_oid(o->view);
    case PGCAT_SEQ:
        return tw_pgcat_seq_oid(o->seq);
    default:
        return 0;
    }
}

static int fn_regclassin_common(const tw_val *a, tw_evalctx *c, tw_val *out, tw_err *err,
                                int missing_ok) {
    if (!c->cat) return no_catalog(err);
    char parts[2][256];
    int np;
    if (split_name(a->s, a->n, parts, &np)) {
        if (missing_ok) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
        return tw_err_set(err, TWILL_ERROR, "42602", "invalid name syntax");
    }
    /* digits: an oid as text */
    int digits = a->n > 0;
    for (size_t i = 0; i < a->n && digits; i++) digits = isdigit((unsigned char)a->s[i]) != 0;
    if (digits) {
        *out = (tw_val){.k = VK_INT, .i = strtoll(parts[0], NULL, 10)};
        return TWILL_OK;
    }
    tw_pgcat_obj o;
    tw_pgcat_find_name(c->cat, np == 2 ? parts[0] : NULL, parts[np - 1], &o);
    int64_t oid = 0;
    if (o.kind == PGCAT_VREL) {
        oid = tw_pgcat_vrel_oid(o.table);
    } else if (o.kind != PGCAT_NONE) {
        oid = (int64_t)rel_oid(&o);
    }
    if (!oid) {
        if (missing_ok) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
        if (np == 2)
            return tw_err_set(err, TWILL_ERROR, "42P01", "relation \"%s.%s\" does not exist",
                              parts[0], parts[1]);
        return tw_err_set(err, TWILL_ERROR, "42P01", "relation \"%s\" does not exist", parts[0]);
    }
    *out = (tw_val){.k = VK_INT, .i = oid};
    return TWILL_OK;
}

static int fn_regclassin(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return fn_regclassin_common(a, c, out, err, 0);
}

static int fn_to_regclass(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return fn_regclassin_common(a, c, out, err, 1);
}

static int put_ident(tw_buf *b, const char *s) {
    int plain = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
    for (const char *p = s; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (plain) return tw_buf_append(b, s, strlen(s));
    if (tw_buf_put_u8(b, '"')) return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '"' && tw_buf_put_u8(b, '"')) || tw_buf_put_u8(b, (uint8_t)*p)) return -1;
    return tw_buf_put_u8(b, '"');
}

static int fn_regclassout(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (!c->cat) return no_catalog(err);
    tw_pgcat_obj o;
    tw_pgcat_find_oid(c->cat, (uint64_t)a[0].i, &o);
    tw_buf b = {0};
    char nm[300];
    const char *name = o.name;
    if (o.kind == PGCAT_PKEY) {
        snprintf(nm, sizeof nm, "%s_pkey", o.table->name);
        name = nm;
    }
    int rc;
    if (o.kind == PGCAT_NONE || !name) {
        char num[24];
        snprintf(num, sizeof num, "%lld", (long long)a[0].i);
        rc = tw_buf_append(&b, num, strlen(num));
    } else {
        rc = (o.nsp == TW_PGCAT_NSP_INFO && tw_buf_append(&b, "information_schema.", 19)) ||
             put_ident(&b, name);
    }
    if (rc) {
        tw_buf_free(&b);
        return oom(err);
    }
    return buf_out(c, &b, out, err);
}

static int fn_regtypein(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    char name[256];
    size_t len = a->n < sizeof name - 1 ? a->n : sizeof name - 1;
    memcpy(name, a->s, len);
    name[len] = 0;
    uint32_t oid = tw_pgcat_type_by_name(name);
    if (!oid) return tw_err_set(err, TWILL_ERROR, "42704", "type \"%s\" does not exist", name);
    *out = (tw_val){.k = VK_INT, .i = oid};
    return TWILL_OK;
}

static int fn_regtypeout(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    char buf[128];
    const char *s = tw_pgcat_format_type((uint64_t)a[0].i, -1, buf, sizeof buf);
    if (!s) {
        snprintf(buf, sizeof buf, "%lld", (long long)a[0].i);
        s = buf;
    }
    return text_out(c, s, out, err);
}

static int fn_regnamespacein(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    char parts[2][256];
    int np;
    if (split_name(a->s, a->n, parts, &np) || np != 1)
        return tw_err_set(err, TWILL_ERROR, "42602", "invalid name syntax");
    static const uint32_t nsps[] = {TW_PGCAT_NSP_CATALOG, TW_PGCAT_NSP_PUBLIC, TW_PGCAT_NSP_INFO};
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(tw_pgcat_nsp_name(nsps[i]), parts[0])) {
            *out = (tw_val){.k = VK_INT, .i = nsps[i]};
            return TWILL_OK;
        }
    return tw_err_set(err, TWILL_ERROR, "3F000", "schema \"%s\" does not exist", parts[0]);
}

static int fn_regnamespaceout(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const char *s = tw_pgcat_nsp_name((uint64_t)a[0].i);
    char buf[24];
    if (!s) {
        snprintf(buf, sizeof buf, "%lld", (long long)a[0].i);
        s = buf;
    }
    return text_out(c, s, out, err);
}

static int fn_regrolein(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    if (a->n != strlen(TW_PGCAT_USER) || memcmp(a->s, TW_PGCAT_USER, a->n))
        return tw_err_set(err, TWILL_ERROR, "42704", "role \"%.*s\" does not exist", (int)a->n,
                          a->s);
    *out = (tw_val){.k = VK_INT, .i = TW_PGCAT_ROLE};
    return TWILL_OK;
}

static int fn_userbyid(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    char buf[48];
    if (a[0].i == TW_PGCAT_ROLE) return text_out(c, TW_PGCAT_USER, out, err);
    if (a[0].i == TW_PGCAT_ROLE_DBOWNER) return text_out(c, "pg_database_owner", out, err);
    snprintf(buf, sizeof buf, "unknown (OID=%lld)", (long long)a[0].i);
    return text_out(c, buf, out, err);
}

/* regproc: the registry's functions are pg_proc rows 8000 + i (pgcatalog.c). */
typedef struct procfind {
    int64_t want, i;
    const tw_func *f;
} procfind;

static int procfind_cb(const tw_func *f, void *ud) {
    procfind *p = ud;
    if (p->i++ == p->want) {
        p->f = f;
        return 1;
    }
    return 0;
}

static const tw_func *proc_by_oid(int64_t oid) {
    procfind p = {oid - 8000, 0, NULL};
    if (p.want < 0) return NULL;
    tw_func_each(procfind_cb, &p);
    return p.f;
}

static int fn_regprocout(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const tw_func *f = proc_by_oid(a[0].i);
    char buf[24];
    if (a[0].i == 0) return text_out(c, "-", out, err);
    if (f) return text_out(c, f->name, out, err);
    snprintf(buf, sizeof buf, "%lld", (long long)a[0].i);
    return text_out(c, buf, out, err);
}

/* ---- definitions ---- */

static int fn_table_is_visible(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (!c->cat) return no_catalog(err);
    tw_pgcat_obj o;
    tw_pgcat_find_oid(c->cat, (uint64_t)a[0].i, &o);
    *out = (tw_val){.k = VK_BOOL,
                    .i = o.kind != PGCAT_NONE &&
                         (o.nsp == TW_PGCAT_NSP_PUBLIC || o.nsp == TW_PGCAT_NSP_CATALOG)};
    return TWILL_OK;
}

static int fn_format_type(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (a[0].k == VK_NULL) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    int32_t tm = n > 1 && a[1].k == VK_INT ? (int32_t)a[1].i : -1;
    char buf[128];
    const char *s = tw_pgcat_format_type((uint64_t)a[0].i, tm, buf, sizeof buf);
    return text_out(c, s ? s : "???", out, err);
}

static int fn_indexdef(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (!c->cat) return no_catalog(err);
    tw_buf b = {0};
    int col = n > 1 ? (int)a[1].i : 0;
    if (tw_pgcat_indexdef(c->cat, (uint64_t)a[0].i, col, &b)) {
        tw_buf_free(&b);
        return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    }
    return buf_out(c, &b, out, err);
}

static int fn_constraintdef(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (!c->cat) return no_catalog(err);
    tw_buf b = {0};
    if (tw_pgcat_constraintdef(c->cat, (uint64_t)a[0].i, &b)) {
        tw_buf_free(&b);
        return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    }
    return buf_out(c, &b, out, err);
}

static int fn_viewdef(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (!c->cat) return no_catalog(err);
    tw_pgcat_obj o;
    tw_pgcat_find_oid(c->cat, (uint64_t)a[0].i, &o);
    if (o.kind != PGCAT_VIEW) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    return text_out(c, tw_pgcat_view_query(o.view), out, err);
}

static int fn_arg0(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = a[0];
    return TWILL_OK;
}

static int fn_encoding_to_char(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return text_out(c, a[0].i == 6 ? "UTF8" : a[0].i == 0 ? "SQL_ASCII" : "", out, err);
}

static int fn_serial_sequence(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (!c->cat) return no_catalog(err);
    char parts[2][256], col[256];
    int np;
    if (split_name(a[0].s, a[0].n, parts, &np))
        return tw_err_set(err, TWILL_ERROR, "42602", "invalid name syntax");
    size_t cl = a[1].n < sizeof col - 1 ? a[1].n : sizeof col - 1;
    memcpy(col, a[1].s, cl);
    col[cl] = 0;
    tw_pgcat_obj o;
    tw_pgcat_find_name(c->cat, np == 2 ? parts[0] : NULL, parts[np - 1], &o);
    if (o.kind != PGCAT_TABLE)
        return tw_err_set(err, TWILL_ERROR, "42P01", "relation \"%s\" does not exist",
                          parts[np - 1]);
    int k = tw_table_column(o.table, col);
    if (k < 0)
        return tw_err_set(err, TWILL_ERROR, "42703",
                          "column \"%s\" of relation \"%s\" does not exist", col, o.table->name);
    const tw_column *cd = &o.table->cols[k];
    if (cd->has_default != TW_DEF_SEQ || !cd->seqname) return *out = (tw_val){.k = VK_NULL}, 0;
    tw_buf b = {0};
    if (tw_buf_append(&b, "public.", 7) || put_ident(&b, cd->seqname)) {
        tw_buf_free(&b);
        return oom(err);
    }
    return buf_out(c, &b, out, err);
}

/* pg_get_function_result / _arguments: names of the registry's signature letters. */
static const char *letter_name(char l) {
    switch (l) {
    case 't':
        return "text";
    case 'i':
        return "bigint";
    case 'f':
        return "double precision";
    case 'n':
    case 'N':
        return "numeric";
    case 'b':
        return "boolean";
    case 'd':
        return "date";
    case 's':
        return "timestamp without time zone";
    case 'z':
        return "timestamp with time zone";
    case 'v':
        return "interval";
    case 'x':
        return "bytea";
    case 'u':
        return "uuid";
    case 'j':
        return "json";
    case 'J':
        return "jsonb";
    case 'A':
        return "anyarray";
    default:
        return "\"any\"";
    }
}

static int fn_function_arguments(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const tw_func *f = proc_by_oid(a[0].i);
    if (!f) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    tw_buf b = {0};
    int k = 0, rc = 0;
    for (const char *p = f->sig; *p && !rc; p++) {
        if (*p == '|') continue;
        if (*p == '*') {
            rc = tw_buf_append(&b, " ...", 4);
            continue;
        }
        const char *nm = letter_name(*p);
        rc = (k++ && tw_buf_append(&b, ", ", 2)) || tw_buf_append(&b, nm, strlen(nm));
    }
    if (rc) {
        tw_buf_free(&b);
        return oom(err);
    }
    return buf_out(c, &b, out, err);
}

static int fn_function_result(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    const tw_func *f = proc_by_oid(a[0].i);
    if (!f) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    if (f->ret >= 0xF0) return text_out(c, "anyelement", out, err);
    char buf[96];
    return text_out(c, tw_type_name((tw_sqltype){f->ret, -1}, buf, sizeof buf), out, err);
}

/* array_to_string over an array in its text form ('{a,b,"c d"}'): arrays of the catalog
 * relations are text (pgcatalog.h). NULL elements are skipped unless a third argument
 * replaces them. */
static int fn_array_to_string(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    const char *s = a[0].s, *end = a[0].s + a[0].n;
    if (a[0].n < 2 || s[0] != '{' || end[-1] != '}')
        return tw_err_set(err, TWILL_ERROR, "22P02", "malformed array literal: \"%.*s\"",
                          (int)a[0].n, a[0].s);
    tw_buf b = {0}, el = {0};
    int first = 1, rc = 0;
    const char *p = s + 1;
    end--;
    while (p < end && !rc) {
        tw_buf_reset(&el);
        int quoted = *p == '"';
        if (quoted) {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end) p++;
                rc |= tw_buf_put_u8(&el, (uint8_t)*p);
            }
            p++;
        } else {
            while (p < end && *p != ',') rc |= tw_buf_put_u8(&el, (uint8_t)*p++);
        }
        if (p < end && *p == ',') p++;
        int isnull = !quoted && el.len == 4 && !memcmp(el.p, "NULL", 4);
        if (isnull && (n < 3 || a[2].k == VK_NULL)) continue;
        if (!first) rc |= tw_buf_append(&b, a[1].s, a[1].n);
        first = 0;
        if (isnull)
            rc |= tw_buf_append(&b, a[2].s, a[2].n);
        else if (el.len)
            rc |= tw_buf_append(&b, el.p, el.len);
    }
    tw_buf_free(&el);
    if (rc) {
        tw_buf_free(&b);
        return oom(err);
    }
    return buf_out(c, &b, out, err);
}

/* array_position over an array in its text form (current_schemas is text here):
 * 1-based position of the first element equal to the value, from `start`; NULL if none. */
static int fn_array_position(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c;
    *out = (tw_val){.k = VK_NULL};
    if (a[0].k == VK_NULL) return TWILL_OK;
    const char *s = a[0].s, *end = a[0].s + a[0].n;
    if (a[0].n < 2 || s[0] != '{' || end[-1] != '}')
        return tw_err_set(err, TWILL_ERROR, "22P02", "malformed array literal: \"%.*s\"",
                          (int)a[0].n, a[0].s);
    int64_t start = n > 2 && a[2].k == VK_INT ? a[2].i : 1;
    if (n > 2 && a[2].k == VK_NULL)
        return tw_err_set(err, TWILL_ERROR, "22004", "initial position must not be null");
    tw_buf el = {0};
    int rc = 0;
    int64_t pos = 0;
    const char *p = s + 1;
    end--;
    while (p < end && !rc) {
        tw_buf_reset(&el);
        int quoted = *p == '"';
        if (quoted) {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end) p++;
                rc |= tw_buf_put_u8(&el, (uint8_t)*p);
            }
            p++;
        } else {
            while (p < end && *p != ',') rc |= tw_buf_put_u8(&el, (uint8_t)*p++);
        }
        if (p < end && *p == ',') p++;
        pos++;
        int isnull = !quoted && el.len == 4 && !memcmp(el.p, "NULL", 4);
        if (pos < start || rc) continue;
        if (a[1].k == VK_NULL
                ? isnull
                : !isnull && el.len == a[1].n && (!el.len || !memcmp(el.p, a[1].s, el.len))) {
            *out = (tw_val){.k = VK_INT, .i = pos};
            break;
        }
    }
    tw_buf_free(&el);
    return rc ? oom(err) : TWILL_OK;
}

static int fn_array_to_string_ns(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (a[0].k == VK_NULL || a[1].k == VK_NULL) return *out = (tw_val){.k = VK_NULL}, TWILL_OK;
    return fn_array_to_string(a, n, c, out, err);
}

/* pg_size_pretty(bigint) as PostgreSQL 15 prints it: bytes below 10 kB, then kB, MB, GB,
 * TB, PB, each rounded half away from zero (one extra bit kept for the rounding). */
static int64_t floor_div(int64_t x, int64_t d) {
    return x >= 0 ? x / d : -((-(x + 1)) / d) - 1;
}

static int fn_size_pretty(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    static const char *const units[] = {"kB", "MB", "GB", "TB", "PB"};
    const int64_t limit = 10 * 1024, limit2 = limit * 2 - 1;
    int64_t size = a[0].i;
    char buf[48];
    if (size > -limit && size < limit) {
        snprintf(buf, sizeof buf, "%lld bytes", (long long)size);
    } else {
        size = floor_div(size, 512);
        int u = 0;
        while (u < 4 && !(size > -limit2 && size < limit2)) {
            size = floor_div(size, 1024);
            u++;
        }
        int64_t r = size < 0 ? (size - 1) / 2 : (size + 1) / 2;
        snprintf(buf, sizeof buf, "%lld %s", (long long)r, units[u]);
    }
    return text_out(c, buf, out, err);
}

const tw_func tw_funcs_catalog[] = {
    {"current_schema", "", TY_TEXT, 0, fn_current_schema},
    {"current_schemas", "b", TY_TEXT, TW_FN_STRICT, fn_current_schemas},
    {"current_database", "", TY_TEXT, 0, fn_current_database},
    {"version", "", TY_TEXT, 0, fn_version},
    {"pg_table_is_visible", "i", TY_BOOL, CAT, fn_table_is_visible},
    {"pg_type_is_visible", "i", TY_BOOL, TW_FN_STRICT, fn_true},
    {"pg_function_is_visible", "i", TY_BOOL, TW_FN_STRICT, fn_true},
    {"format_type", "ii", TY_TEXT, 0, fn_format_type},
    {"pg_get_indexdef", "i|ib", TY_TEXT, CAT, fn_indexdef},
    {"pg_get_constraintdef", "i|b", TY_TEXT, CAT, fn_constraintdef},
    {"pg_get_viewdef", "i|b", TY_TEXT, CAT, fn_viewdef},
    {"pg_get_userbyid", "i", TY_TEXT, TW_FN_STRICT, fn_userbyid},
    {"pg_get_expr", "ti|b", TY_TEXT, TW_FN_STRICT, fn_arg0},
    {"pg_get_serial_sequence", "tt", TY_TEXT, CAT, fn_serial_sequence},
    {"pg_get_function_result", "i", TY_TEXT, TW_FN_STRICT, fn_function_result},
    {"pg_get_function_arguments", "i", TY_TEXT, TW_FN_STRICT, fn_function_arguments},
    {"pg_get_function_identity_arguments", "i", TY_TEXT, TW_FN_STRICT, fn_function_arguments},
    {"pg_get_partkeydef", "i", TY_TEXT, 0, fn_null},
    {"pg_get_statisticsobjdef_columns", "i", TY_TEXT, 0, fn_null},
    {"obj_description", "i|t", TY_TEXT, 0, fn_null},
    {"col_description", "ii", TY_TEXT, 0, fn_null},
    {"shobj_description", "it", TY_TEXT, 0, fn_null},
    {"pg_encoding_to_char", "i", TY_TEXT, TW_FN_STRICT, fn_encoding_to_char},
    {"pg_relation_is_publishable", "i", TY_BOOL, TW_FN_STRICT, fn_false},
    {"pg_is_in_recovery", "", TY_BOOL, 0, fn_false},
    {"pg_size_pretty", "i", TY_TEXT, TW_FN_STRICT, fn_size_pretty},
    /* Twill does not know its relations' sizes in bytes (pages are shared by the store's
     * layers): NULL, as PostgreSQL answers for a relation it cannot size */
    {"pg_table_size", "i", TY_INT8, 0, fn_null},
    {"pg_relation_size", "i|t", TY_INT8, 0, fn_null},
    {"pg_total_relation_size", "i", TY_INT8, 0, fn_null},
    {"pg_indexes_size", "i", TY_INT8, 0, fn_null},
    {"pg_database_size", "a", TY_INT8, 0, fn_null},
    {"has_table_privilege", "aa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"has_column_privilege", "aaa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"has_schema_privilege", "aa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"has_database_privilege", "aa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"has_sequence_privilege", "aa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"has_function_privilege", "aa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"pg_has_role", "aa|a", TY_BOOL, TW_FN_STRICT, fn_true},
    {"array_to_string", "tt|t", TY_TEXT, 0, fn_array_to_string_ns},
    {"array_position", "tt|i", TY_INT4, 0, fn_array_position},
    {"regclassin", "t", TY_INT8, CAT, fn_regclassin},
    {"to_regclass", "t", TY_INT8, CAT, fn_to_regclass},
    {"regclassout", "i", TY_TEXT, CAT, fn_regclassout},
    {"regtypein", "t", TY_INT8, TW_FN_STRICT, fn_regtypein},
    {"regtypeout", "i", TY_TEXT, TW_FN_STRICT, fn_regtypeout},
    {"regnamespacein", "t", TY_INT8, TW_FN_STRICT, fn_regnamespacein},
    {"regnamespaceout", "i", TY_TEXT, TW_FN_STRICT, fn_regnamespaceout},
    {"regrolein", "t", TY_INT8, TW_FN_STRICT, fn_regrolein},
    {"regroleout", "i", TY_TEXT, TW_FN_STRICT, fn_userbyid},
    {"regprocout", "i", TY_TEXT, TW_FN_STRICT, fn_regprocout},
    {NULL, NULL, 0, 0, NULL},
};

/* ---- regular expressions ---- */

/* PostgreSQL's ~ family over POSIX extended regular expressions (regex.h, REG_EXTENDED):
 * the common syntax is the same; ARE extensions (\d \w \s classes, non-greedy
 * quantifiers, lookahead, embedded options) are not. A pattern regcomp rejects is 2201B. */
static int regex_match(const tw_val *a, int icase, int negate, tw_val *out, tw_err *err) {
    char *pat = malloc(a[1].n + 1), *subj = malloc(a[0].n + 1);
    if (!pat || !subj) {
        free(pat);
        free(subj);
        return oom(err);
    }
    memcpy(pat, a[1].s, a[1].n);
    pat[a[1].n] = 0;
    memcpy(subj, a[0].s, a[0].n);
    subj[a[0].n] = 0;
    int rc = TWILL_OK;
    if (strlen(pat) != a[1].n || strlen(subj) != a[0].n) {
        rc = tw_err_set(err, TWILL_ERROR, "22021",
                        "invalid byte sequence for encoding \"UTF8\": 0x00");
    } else {
        regex_t re;
        int e = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
        if (e) {
            char msg[200];
            regerror(e, &re, msg, sizeof msg);
            rc = tw_err_set(err, TWILL_ERROR, "2201B", "invalid regular expression: %s", msg);
        } else {
            int m = regexec(&re, subj, 0, NULL, 0) == 0;
            regfree(&re);
            *out = (tw_val){.k = VK_BOOL, .i = negate ? !m : m};
        }
    }
    free(pat);
    free(subj);
    return rc;
}

static int fn_re(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return regex_match(a, 0, 0, out, err);
}
static int fn_nre(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return regex_match(a, 0, 1, out, err);
}
static int fn_ire(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return regex_match(a, 1, 0, out, err);
}
static int fn_nire(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return regex_match(a, 1, 1, out, err);
}

const tw_func tw_funcs_regex[] = {
    {"~", "tt", TY_BOOL, TW_FN_STRICT, fn_re},
    {"!~", "tt", TY_BOOL, TW_FN_STRICT, fn_nre},
    {"~*", "tt", TY_BOOL, TW_FN_STRICT, fn_ire},
    {"!~*", "tt", TY_BOOL, TW_FN_STRICT, fn_nire},
    {"textregexeq", "tt", TY_BOOL, TW_FN_STRICT, fn_re},
    {"textregexne", "tt", TY_BOOL, TW_FN_STRICT, fn_nre},
    {"texticregexeq", "tt", TY_BOOL, TW_FN_STRICT, fn_ire},
    {"texticregexne", "tt", TY_BOOL, TW_FN_STRICT, fn_nire},
    {NULL, NULL, 0, 0, NULL},
};
