/*
 * Running one sqllogictest script against a fresh database through the public C ABI,
 * formatting values the way the reference runner does so that results and hashes
 * compare with the corpus.
 */
#include "slt.h"

#include <twill/engine.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Values the reference runner prints for a query, in result order. */
typedef struct {
    slt_buf text;   /* every value, NUL-terminated, back to back */
    size_t *offs;   /* start of each value in text */
    size_t n, cap;  /* number of values */
    const char **v; /* after finish_values: pointers to each value, sorted */
} values;

static void values_reset(values *vs) {
    vs->text.len = 0;
    vs->n = 0;
}

static void values_free(values *vs) {
    slt_buf_free(&vs->text);
    free(vs->offs);
    free(vs->v);
    memset(vs, 0, sizeof *vs);
}

/* Starts a new value; the caller appends its bytes and then calls value_end. */
static void value_begin(values *vs) {
    if (vs->n == vs->cap) {
        vs->cap = vs->cap ? vs->cap * 2 : 64;
        vs->offs = slt_xrealloc(vs->offs, vs->cap * sizeof *vs->offs);
    }
    vs->offs[vs->n++] = vs->text.len;
}

static void value_end(values *vs) {
    slt_buf_add(&vs->text, "", 1);
}

/* SQLite's text-to-number reading: the longest numeric prefix, 0 if there is none. */
static double text_number(const char *s) {
    char tmp[64];
    size_t n = 0;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '+' || *s == '-') tmp[n++] = *s++;
    while (*s >= '0' && *s <= '9' && n < sizeof tmp - 8) tmp[n++] = *s++;
    if (*s == '.') {
        tmp[n++] = *s++;
        while (*s >= '0' && *s <= '9' && n < sizeof tmp - 8) tmp[n++] = *s++;
    }
    if ((*s == 'e' || *s == 'E') &&
        ((s[1] >= '0' && s[1] <= '9') ||
         ((s[1] == '+' || s[1] == '-') && s[2] >= '0' && s[2] <= '9'))) {
        tmp[n++] = *s++;
        if (*s == '+' || *s == '-') tmp[n++] = *s++;
        while (*s >= '0' && *s <= '9' && n < sizeof tmp - 1) tmp[n++] = *s++;
    }
    tmp[n] = '\0';
    return strtod(tmp, NULL);
}

/* Float to integer as SQLite's column_int64 does it: truncation toward zero, saturating
 * at the int64 range (a plain cast would be undefined there), NaN as 0. */
static int64_t truncate_double(double d) {
    if (isnan(d)) return 0;
    if (d >= 9223372036854775808.0) return INT64_MAX;
    if (d < -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

/* Appends column `col` of the current row as the reference runner prints it for a
 * column of type letter `type`: the letter, not the value's own type, decides the
 * format, so an I column holding a real prints truncated and an R column holding an
 * integer prints with three decimals. */
static void format_value(twill_stmt *st, int col, char type, values *vs) {
    value_begin(vs);
    int t = twill_column_type(st, col);
    if (t == TWILL_TYPE_NULL) {
        slt_buf_adds(&vs->text, "NULL");
    } else if (type == 'I' || type == 'R') {
        double d;
        int64_t i;
        switch (t) {
        case TWILL_TYPE_INT64:
            i = twill_column_int64(st, col);
            d = (double)i;
            break;
        case TWILL_TYPE_DOUBLE:
        case TWILL_TYPE_BOOL:
            d = twill_column_double(st, col);
            i = truncate_double(d);
            break;
        default:
            d = text_number(twill_column_text(st, col));
            i = truncate_double(d);
            break;
        }
        if (type == 'I')
            slt_buf_addf(&vs->text, "%" PRId64, i);
        else
            slt_buf_addf(&vs->text, "%.3f", d);
    } else {
        const char *s = twill_column_text(st, col);
        int len = twill_column_bytes(st, col);
        if (!s || len <= 0) {
            slt_buf_adds(&vs->text, "(empty)");
        } else {
            /* The reference runner shows control and non-ASCII bytes as '@', which
             * keeps every value on one line of the script. */
            size_t at = vs->text.len;
            slt_buf_add(&vs->text, s, (size_t)len);
            for (size_t k = at; k < vs->text.len; k++) {
                unsigned char c = (unsigned char)vs->text.data[k];
                if (c < ' ' || c > '~') vs->text.data[k] = '@';
            }
        }
    }
    value_end(vs);
}

typedef struct {
    const char *const *v;
    int ncols;
} row_ref;

static int cmp_rows(const void *a, const void *b) {
    const row_ref *x = a, *y = b;
    for (int i = 0; i < x->ncols; i++) {
        int c = strcmp(x->v[i], y->v[i]);
        if (c) return c;
    }
    return 0;
}

static int cmp_strings(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds vs->v in the order the sort mode asks for. */
static void finish_values(values *vs, int ncols, slt_sort sort) {
    free(vs->v);
    vs->v = slt_xmalloc((vs->n ? vs->n : 1) * sizeof *vs->v);
    for (size_t i = 0; i < vs->n; i++) vs->v[i] = vs->text.data + vs->offs[i];
    if (sort == SLT_VALUESORT) {
        qsort(vs->v, vs->n, sizeof *vs->v, cmp_strings);
    } else if (sort == SLT_ROWSORT && ncols > 0) {
        size_t nrows = vs->n / (size_t)ncols;
        row_ref *rows = slt_xmalloc((nrows ? nrows : 1) * sizeof *rows);
        for (size_t r = 0; r < nrows; r++) rows[r] = (row_ref){vs->v + r * (size_t)ncols, ncols};
        qsort(rows, nrows, sizeof *rows, cmp_rows);
        const char **sorted = slt_xmalloc((vs->n ? vs->n : 1) * sizeof *sorted);
        for (size_t r = 0; r < nrows; r++)
            memcpy(sorted + r * (size_t)ncols, rows[r].v, (size_t)ncols * sizeof *sorted);
        free(rows);
        free(vs->v);
        vs->v = sorted;
    }
}

/* md5 of the values, each followed by a newline, as lowercase hex. */
static void hash_values(const values *vs, char hex[33]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
        fputs("twill-slt: cannot initialize MD5 (OpenSSL)\n", stderr);
        exit(2);
    }
    for (size_t i = 0; i < vs->n; i++) {
        EVP_DigestUpdate(ctx, vs->v[i], strlen(vs->v[i]));
        EVP_DigestUpdate(ctx, "\n", 1);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (unsigned int i = 0; i < mdlen && i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[32] = '\0';
}

/* "N values hashing to <md5>": the form a long result takes in a script. */
static bool is_hash_line(const char *s) {
    const char *p = s;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    const char *mid = " values hashing to ";
    if (strncmp(p, mid, strlen(mid))) return false;
    p += strlen(mid);
    return strspn(p, "0123456789abcdef") == 32 && p[32] == '\0';
}

/* ---- labels: queries sharing a label must give the same result --------------------- */

typedef struct {
    char *label;
    char hash[33];
    long line;
} label_entry;

typedef struct {
    label_entry *slots;
    size_t cap, n;
} label_table;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The entry for `label`, or a new empty one (hash[0] == '\0'). */
static label_entry *label_find(label_table *t, const char *label) {
    if (t->n * 2 >= t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        label_entry *ns = slt_xmalloc(ncap * sizeof *ns);
        memset(ns, 0, ncap * sizeof *ns);
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slots[i].label) continue;
            size_t j = hash_str(t->slots[i].label) & (ncap - 1);
            while (ns[j].label) j = (j + 1) & (ncap - 1);
            ns[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
    }
    size_t j = hash_str(label) & (t->cap - 1);
    while (t->slots[j].label) {
        if (strcmp(t->slots[j].label, label) == 0) return &t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j].label = slt_xstrdup(label);
    t->n++;
    return &t->slots[j];
}

static void label_free(label_table *t) {
    for (size_t i = 0; i < t->cap; i++) free(t->slots[i].label);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- reporting ------------------------------------------------------------------- */

static void print_sql(const char *sql) {
    const char *p = sql;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        printf("    %.*s\n", (int)n, p);
        p = nl ? nl + 1 : p + n;
    }
}

/* Prints a result the way the script would hold it: the values, or their hash when
 * they are many. */
static void print_values(const char *what, const char *const *v, size_t n, bool hashed,
                         const char *hash) {
    if (hashed) {
        printf("  %s %zu values hashing to %s", what, n, hash);
        if (n) printf(" (first:");
        for (size_t i = 0; i < n && i < 12; i++) printf(" %s", v[i]);
        printf("%s\n", n > 12 ? " ...)" : n ? ")" : "");
        return;
    }
    printf("  %s", what);
    for (size_t i = 0; i < n && i < 40; i++) printf(" %s", v[i]);
    if (n > 40) printf(" ... (%zu values)", n);
    if (n == 0) printf(" (no rows)");
    printf("\n");
}

/* ---- running ---------------------------------------------------------------------- */

typedef struct {
    const slt_run_opts *o;
    twill_session *s;
    values vs;
    label_table labels;
    long threshold;
} runner;

static bool run_statement(runner *R, const slt_record *r) {
    int rc = twill_exec(R->s, r->sql);
    bool ok = (rc == TWILL_OK) != r->expect_error;
    if (!ok && R->o->verbose) {
        if (r->expect_error)
            printf("%s:%ld: statement succeeded, error expected\n", R->o->name, r->line);
        else
            printf("%s:%ld: statement failed: SQLSTATE %s: %s\n", R->o->name, r->line,
                   twill_sqlstate(R->s), twill_errmsg(R->s));
        print_sql(r->sql);
    }
    return ok;
}

static bool run_query(runner *R, const slt_record *r) {
    const slt_run_opts *o = R->o;
    twill_stmt *st = NULL;
    const char *tail = NULL;
    int ncols_expected = (int)strlen(r->types);
    values_reset(&R->vs);

    int rc = twill_prepare(R->s, r->sql, -1, &st, &tail);
    int ncols = 0;
    if (rc == TWILL_OK && st) {
        ncols = twill_column_count(st);
        if (ncols != ncols_expected) {
            if (o->verbose) {
                printf("%s:%ld: wrong column count: expected %d, got %d\n", o->name, r->line,
                       ncols_expected, ncols);
                print_sql(r->sql);
            }
            twill_finalize(st);
            return false;
        }
        while ((rc = twill_step(st)) == TWILL_ROW)
            for (int c = 0; c < ncols; c++) format_value(st, c, r->types[c], &R->vs);
        if (rc == TWILL_DONE) rc = TWILL_OK;
    } else if (rc == TWILL_OK) {
        if (o->verbose) {
            printf("%s:%ld: query record without a statement\n", o->name, r->line);
            print_sql(r->sql);
        }
        return false;
    }
    if (rc != TWILL_OK) {
        if (o->verbose) {
            printf("%s:%ld: query failed: SQLSTATE %s: %s\n", o->name, r->line,
                   twill_sqlstate(R->s), twill_errmsg(R->s));
            print_sql(r->sql);
        }
        twill_finalize(st);
        return false;
    }
    twill_finalize(st);

    finish_values(&R->vs, ncols, r->sort);
    char hash[33];
    hash_values(&R->vs, hash);
    const char *const *got = R->vs.v;
    size_t n = R->vs.n;
    bool ok;
    bool hashed_expected = r->nexpected == 1 && is_hash_line(r->expected[0]);
    if (hashed_expected) {
        char line[128];
        snprintf(line, sizeof line, "%zu values hashing to %s", n, hash);
        ok = strcmp(line, r->expected[0]) == 0;
    } else if (r->nexpected == n) {
        ok = true;
        for (size_t i = 0; ok && i < n; i++) ok = strcmp(got[i], r->expected[i]) == 0;
    } else if (ncols > 1 && (size_t)ncols * r->nexpected == n) {
        /* Some scripts write one row per line, values separated by blanks. */
        slt_buf row = {0};
        ok = true;
        for (size_t i = 0; ok && i < r->nexpected; i++) {
            row.len = 0;
            for (int c = 0; c < ncols; c++) {
                if (c) slt_buf_add(&row, " ", 1);
                slt_buf_adds(&row, got[i * (size_t)ncols + (size_t)c]);
            }
            ok = strcmp(row.data, r->expected[i]) == 0;
        }
        slt_buf_free(&row);
    } else {
        ok = false;
    }
    if (!ok) {
        if (o->verbose) {
            printf("%s:%ld: result mismatch\n", o->name, r->line);
            print_sql(r->sql);
            bool long_result = R->threshold > 0 && n > (size_t)R->threshold;
            print_values("expected:", (const char *const *)r->expected, r->nexpected, false, NULL);
            print_values("got:     ", got, n, hashed_expected || long_result, hash);
        }
        return false;
    }
    if (r->label) {
        label_entry *e = label_find(&R->labels, r->label);
        if (!e->hash[0]) {
            memcpy(e->hash, hash, sizeof e->hash);
            e->line = r->line;
        } else if (strcmp(e->hash, hash)) {
            if (o->verbose) {
                printf("%s:%ld: label mismatch: %s gave another result at line %ld\n", o->name,
                       r->line, r->label, e->line);
                print_sql(r->sql);
            }
            return false;
        }
    }
    return true;
}

int slt_run_file(const slt_run_opts *o, volatile slt_counts *c) {
    slt_script sc;
    if (slt_script_load(&sc, o->path) != 0) {
        fprintf(stderr, "twill-slt: %s: cannot read: %s\n", o->name, strerror(errno));
        return -1;
    }
    twill_db *db = NULL;
    if (twill_open(o->db_url, NULL, &db) != TWILL_OK) {
        fprintf(stderr, "twill-slt: %s: cannot open %s: %s (SQLSTATE %s)\n", o->name, o->db_url,
                twill_open_errmsg(), twill_open_sqlstate());
        slt_script_free(&sc);
        return -1;
    }
    runner R = {.o = o};
    if (twill_session_open(db, &R.s) != TWILL_OK) {
        fprintf(stderr, "twill-slt: %s: cannot open a session\n", o->name);
        twill_close(db);
        slt_script_free(&sc);
        return -1;
    }

    slt_record r;
    while (slt_script_next(&sc, &r)) {
        c->line = r.line;
        if (r.kind == SLT_BAD) {
            fprintf(stderr, "twill-slt: %s:%ld: malformed record: %s\n", o->name, r.line, r.bad);
            c->failed++;
        } else if (r.skip) {
            /* Conditional halt and hash-threshold records are directives, not tests. */
            if (r.kind == SLT_STATEMENT || r.kind == SLT_QUERY) c->skipped++;
        } else if (r.kind == SLT_HALT) {
            break;
        } else if (r.kind == SLT_HASH_THRESHOLD) {
            R.threshold = r.threshold;
        } else {
            bool ok = r.kind == SLT_STATEMENT ? run_statement(&R, &r) : run_query(&R, &r);
            if (ok) {
                c->passed++;
            } else {
                c->failed++;
                /* Keep what was said so far if the engine crashes on a later record. */
                if (o->verbose) fflush(stdout);
            }
        }
        if (o->max_failures > 0 && c->failed >= o->max_failures) break;
    }
    c->line = 0;

    values_free(&R.vs);
    label_free(&R.labels);
    twill_session_close(R.s);
    int rc = twill_close(db);
    slt_script_free(&sc);
    if (rc != TWILL_OK) {
        fprintf(stderr, "twill-slt: %s: closing the database failed: %s\n", o->name,
                twill_errstr(rc));
        return -1;
    }
    return 0;
}
