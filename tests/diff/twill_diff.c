/*
 * twill-diff — differential test: the same generated SQL on a throwaway PostgreSQL 15
 * and on Twill, results compared as PostgreSQL text. See docs/testing-differential.md.
 */
#include "gen.h"
#include "pgtmp.h"

#include <twill/engine.h>

#include <libpq-fe.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef TWILL_PG_BINDIR
#define TWILL_PG_BINDIR "/usr/lib/postgresql/15/bin"
#endif

typedef struct opts {
    uint64_t seed;
    long queries;
    long only;
    int max_failures;
    int min_compared_pct;
    int timeout;
    int verbose;
    int keep;
    int print_setup;
    int print_queries;
    const char *exec_sql;
    const char *bindir;
    const char *pg_user;
    int feat[F_COUNT];
} opts;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: twill-diff [OPTION]...\n"
            "Runs the same generated SQL on a throwaway PostgreSQL 15 cluster and on Twill and\n"
            "compares the results. Exits 0 when every query agreed (or was unsupported by\n"
            "Twill, SQLSTATE 0A000), 1 on any difference, 2 on bad usage or setup failure.\n"
            "\n"
            "  --seed N            generator seed (default 1); the same seed gives the same\n"
            "                      data and queries\n"
            "  --queries M         number of queries (default 1000)\n"
            "  --only K            run only query number K of the sequence (1-based)\n"
            "  --enable LIST       turn on generator features (comma-separated, or \"all\")\n"
            "  --disable LIST      turn off generator features\n"
            "  --list-features     list the features and their defaults, then exit\n"
            "  --exec SQL          after loading the data, run SQL on both sides, show both\n"
            "                      results and compare them as multisets\n"
            "  --print-setup       print the schema and data statements, then exit\n"
            "  --print-queries     print the generated queries without running them, then exit\n"
            "  --max-failures N    report at most N failures in detail (default 10)\n"
            "  --min-compared PCT  fail unless at least PCT%% of the queries were compared,\n"
            "                      i.e. not unsupported (default 50)\n"
            "  --timeout SECS      give up (stopping PostgreSQL) after SECS seconds (default 0:\n"
            "                      no limit)\n"
            "  --pg-bindir DIR     PostgreSQL server programs (default %s)\n"
            "  --pg-user NAME      when run as root, run PostgreSQL as NAME (default postgres,\n"
            "                      else nobody)\n"
            "  --keep              keep the temporary directory (cluster and Twill database)\n"
            "  -v, --verbose       print every query and its outcome\n"
            "  -h, --help          show this help and exit\n",
            TWILL_PG_BINDIR);
}

static int set_features(int *feat, const char *list, int value) {
    char *copy = strdup(list);
    if (!copy) return -1;
    int rc = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "all")) {
            for (int i = 0; i < F_COUNT; i++) feat[i] = value;
            continue;
        }
        int found = 0;
        for (int i = 0; i < F_COUNT; i++)
            if (!strcmp(tok, GEN_FEATURES[i].name)) {
                feat[i] = value;
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "twill-diff: unknown feature \"%s\" (see --list-features)\n", tok);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

static int parse_long(const char *s, long min, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min) return -1;
    *out = v;
    return 0;
}

/* ---- results ------------------------------------------------------------------------ */

typedef struct result {
    int ok;
    char state[6];
    char *msg;
    int ncols;
    char **names;
    long nrows, cap;
    char **cells; /* nrows * ncols; NULL is SQL NULL */
} result;

static void oom(void) {
    fputs("twill-diff: out of memory\n", stderr);
    exit(2);
}

static char *xstrdup(const char *s) {
    char *p = strdup(s ? s : "");
    if (!p) oom();
    return p;
}

static void result_free(result *r) {
    free(r->msg);
    for (int i = 0; i < r->ncols; i++) free(r->names[i]);
    free(r->names);
    for (long i = 0; i < r->nrows * r->ncols; i++) free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof *r);
}

static void result_error(result *r, const char *state, const char *msg) {
    r->ok = 0;
    snprintf(r->state, sizeof r->state, "%s", state && *state ? state : "?????");
    free(r->msg);
    r->msg = xstrdup(msg);
}

static void result_cols(result *r, int n) {
    r->ncols = n;
    r->names = calloc((size_t)(n ? n : 1), sizeof *r->names);
    if (!r->names) oom();
}

static char **result_add_row(result *r) {
    if (r->nrows == r->cap) {
        long nc = r->cap ? r->cap * 2 : 16;
        char **n = realloc(r->cells, sizeof *n * (size_t)(nc * (r->ncols ? r->ncols : 1)));
        if (!n) oom();
        r->cells = n;
        r->cap = nc;
    }
    return r->cells + r->nrows++ * r->ncols;
}

static void run_pg(PGconn *pg, const char *sql, result *r) {
    memset(r, 0, sizeof *r);
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        result_error(r, PQresultErrorField(res, PG_DIAG_SQLSTATE),
                     res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
        PQclear(res);
        return;
    }
    r->ok = 1;
    result_cols(r, PQnfields(res));
    for (int c = 0; c < r->ncols; c++) r->names[c] = xstrdup(PQfname(res, c));
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        char **row = result_add_row(r);
        for (int c = 0; c < r->ncols; c++)
            row[c] = PQgetisnull(res, i, c) ? NULL : xstrdup(PQgetvalue(res, i, c));
    }
    PQclear(res);
}

static void run_twill(twill_session *s, const char *sql, result *r) {
    memset(r, 0, sizeof *r);
    twill_stmt *st = NULL;
    if (twill_prepare(s, sql, -1, &st, NULL) != TWILL_OK) {
        result_error(r, twill_sqlstate(s), twill_errmsg(s));
        return;
    }
    if (!st) {
        result_error(r, "?????", "empty statement");
        return;
    }
    result_cols(r, twill_column_count(st));
    for (int c = 0; c < r->ncols; c++) r->names[c] = xstrdup(twill_column_name(st, c));
    int rc;
    while ((rc = twill_step(st)) == TWILL_ROW) {
        char **row = result_add_row(r);
        for (int c = 0; c < r->ncols; c++)
            row[c] = twill_column_type(st, c) == TWILL_TYPE_NULL
                         ? NULL
                         : xstrdup(twill_column_text(st, c));
    }
    r->ok = rc == TWILL_DONE;
    if (!r->ok) result_error(r, twill_sqlstate(s), twill_errmsg(s));
    twill_finalize(st);
}

/* avg() is numeric in PostgreSQL and float8 in Twill; the generator casts it to float8,
 * and the two can still differ in the last bit (PostgreSQL rounds the exact quotient to
 * ~17 digits, then to binary). Such columns are compared at 12 significant digits. */
static void round_approx(result *r, const unsigned char *approx, int ncols) {
    for (long i = 0; i < r->nrows; i++)
        for (int c = 0; c < r->ncols && c < ncols && c < 64; c++) {
            char **cell = &r->cells[i * r->ncols + c];
            if (!approx[c] || !*cell) continue;
            char *end;
            double v = strtod(*cell, &end);
            if (end == *cell || *end) continue;
            char buf[64];
            snprintf(buf, sizeof buf, "%.12g", v == 0 ? 0.0 : v);
            free(*cell);
            *cell = xstrdup(buf);
        }
}

/* -0 and 0 are the same value; see gen_query.zero_ambiguous. */
static void unsign_zeros(result *r, const unsigned char *floatcol, int ncols) {
    for (long i = 0; i < r->nrows; i++)
        for (int c = 0; c < r->ncols && c < ncols && c < 64; c++) {
            char **cell = &r->cells[i * r->ncols + c];
            if (floatcol[c] && *cell && !strcmp(*cell, "-0")) (*cell)[0] = '0', (*cell)[1] = 0;
        }
}

static int g_sort_ncols;

static int cmp_cell(const char *a, const char *b) {
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_row(const void *pa, const void *pb) {
    char *const *a = *(char *const *const *)pa, *const *b = *(char *const *const *)pb;
    for (int c = 0; c < g_sort_ncols; c++) {
        int k = cmp_cell(a[c], b[c]);
        if (k) return k;
    }
    return 0;
}

/* Row pointers of r, sorted unless the order is significant. */
static char ***rows_of(const result *r, int ordered) {
    char ***rows = malloc(sizeof *rows * (size_t)(r->nrows ? r->nrows : 1));
    if (!rows) oom();
    for (long i = 0; i < r->nrows; i++) rows[i] = r->cells + i * r->ncols;
    if (!ordered) {
        g_sort_ncols = r->ncols;
        qsort(rows, (size_t)r->nrows, sizeof *rows, cmp_row);
    }
    return rows;
}

/* Compares two successful results; writes the first difference to why. */
static int same_result(const result *p, const result *t, int ordered, int names, char *why,
                       size_t cap) {
    if (p->ncols != t->ncols) {
        snprintf(why, cap, "column count: PostgreSQL %d, Twill %d", p->ncols, t->ncols);
        return 0;
    }
    if (names)
        for (int c = 0; c < p->ncols; c++)
            if (strcmp(p->names[c], t->names[c])) {
                snprintf(why, cap, "column %d name: PostgreSQL \"%s\", Twill \"%s\"", c + 1,
                         p->names[c], t->names[c]);
                return 0;
            }
    if (p->nrows != t->nrows) {
        snprintf(why, cap, "row count: PostgreSQL %ld, Twill %ld", p->nrows, t->nrows);
        return 0;
    }
    char ***pr = rows_of(p, ordered), ***tr = rows_of(t, ordered);
    int same = 1;
    for (long i = 0; i < p->nrows && same; i++)
        for (int c = 0; c < p->ncols; c++)
            if (cmp_cell(pr[i][c], tr[i][c])) {
                snprintf(why, cap, "%s row %ld, column %d: PostgreSQL %s%s%s, Twill %s%s%s",
                         ordered ? "" : "sorted", i + 1, c + 1, pr[i][c] ? "\"" : "",
                         pr[i][c] ? pr[i][c] : "NULL", pr[i][c] ? "\"" : "", tr[i][c] ? "\"" : "",
                         tr[i][c] ? tr[i][c] : "NULL", tr[i][c] ? "\"" : "");
                same = 0;
                break;
            }
    free(pr);
    free(tr);
    return same;
}

static void print_result(FILE *f, const char *who, const result *r, int ordered) {
    if (!r->ok) {
        fprintf(f, "  %s: ERROR %s: %s\n", who, r->state, r->msg);
        return;
    }
    fprintf(f, "  %s: %ld row(s)%s\n    ", who, r->nrows, ordered ? "" : " (sorted)");
    for (int c = 0; c < r->ncols; c++) fprintf(f, "%s%s", c ? " | " : "", r->names[c]);
    fputc('\n', f);
    char ***rows = rows_of(r, ordered);
    long shown = r->nrows < 40 ? r->nrows : 40;
    for (long i = 0; i < shown; i++) {
        fputs("    ", f);
        for (int c = 0; c < r->ncols; c++)
            fprintf(f, "%s%s", c ? " | " : "", rows[i][c] ? rows[i][c] : "NULL");
        fputc('\n', f);
    }
    if (shown < r->nrows) fprintf(f, "    ... %ld more\n", r->nrows - shown);
    free(rows);
}

/* ---- main ---------------------------------------------------------------------------- */

typedef struct counts {
    long run, passed, unsupported, both_error, state_mismatch, failed;
} counts;

static int setup_both(PGconn *pg, twill_session *tw, gen *g, int echo) {
    int n;
    const char *const *stmts = gen_setup(g, &n);
    for (int i = 0; i < n; i++) {
        if (echo) printf("%s;\n", stmts[i]);
        result p, t;
        run_pg(pg, stmts[i], &p);
        run_twill(tw, stmts[i], &t);
        int ok = p.ok && t.ok;
        if (!ok) {
            fprintf(stderr, "twill-diff: loading the data failed:\n  %s\n", stmts[i]);
            print_result(stderr, "PostgreSQL", &p, 1);
            print_result(stderr, "Twill", &t, 1);
        }
        result_free(&p);
        result_free(&t);
        if (!ok) return -1;
    }
    return 0;
}

/* Runs one query on both sides and classifies the outcome. Returns 1 on a failure. */
static int compare_one(PGconn *pg, twill_session *tw, const opts *o, long idx, const gen_query *q,
                       counts *k) {
    result p, t;
    run_pg(pg, q->sql, &p);
    run_twill(tw, q->sql, &t);
    k->run++;
    char why[1024] = "";
    int failed = 0;
    const char *outcome;
    if (!t.ok && !strcmp(t.state, "0A000")) {
        k->unsupported++;
        outcome = "unsupported";
    } else if (!p.ok && !t.ok) {
        /* the generator avoids run-time errors, so this is rare; both refusing is
         * agreement, even when the SQLSTATEs differ (evaluation order is unspecified) */
        k->both_error++;
        if (strcmp(p.state, t.state)) k->state_mismatch++;
        outcome = "both failed";
    } else if (!p.ok || !t.ok) {
        snprintf(why, sizeof why, "only %s failed", p.ok ? "Twill" : "PostgreSQL");
        failed = 1;
        outcome = "FAIL";
    } else {
        round_approx(&p, q->approx, q->ncols);
        round_approx(&t, q->approx, q->ncols);
        if (q->zero_ambiguous) {
            unsign_zeros(&p, q->floatcol, q->ncols);
            unsign_zeros(&t, q->floatcol, q->ncols);
        }
        if (same_result(&p, &t, q->ordered, o->feat[F_COLNAMES], why, sizeof why)) {
            k->passed++;
            outcome = "ok";
        } else {
            failed = 1;
            outcome = "FAIL";
        }
    }
    if (o->verbose) printf("[%ld] %s: %s\n", idx, outcome, q->sql);
    if (failed) {
        k->failed++;
        if (k->failed <= o->max_failures) {
            fprintf(stderr,
                    "\nFAIL seed=%" PRIu64 " query=%ld (rerun: twill-diff --seed %" PRIu64
                    " --only %ld)\n  SQL: %s;\n  %s\n",
                    o->seed, idx, o->seed, idx, q->sql, why);
            print_result(stderr, "PostgreSQL", &p, q->ordered);
            print_result(stderr, "Twill", &t, q->ordered);
        }
    }
    result_free(&p);
    result_free(&t);
    return failed;
}

static int parse_args(int argc, char **argv, opts *o) {
    enum {
        O_SEED = 256,
        O_QUERIES,
        O_ONLY,
        O_ENABLE,
        O_DISABLE,
        O_LIST,
        O_EXEC,
        O_PRINT_SETUP,
        O_PRINT_QUERIES,
        O_MAXFAIL,
        O_MINCMP,
        O_TIMEOUT,
        O_BINDIR,
        O_USER,
        O_KEEP
    };
    static const struct option LONG[] = {
        {"seed", required_argument, NULL, O_SEED},
        {"queries", required_argument, NULL, O_QUERIES},
        {"only", required_argument, NULL, O_ONLY},
        {"enable", required_argument, NULL, O_ENABLE},
        {"disable", required_argument, NULL, O_DISABLE},
        {"list-features", no_argument, NULL, O_LIST},
        {"exec", required_argument, NULL, O_EXEC},
        {"print-setup", no_argument, NULL, O_PRINT_SETUP},
        {"print-queries", no_argument, NULL, O_PRINT_QUERIES},
        {"max-failures", required_argument, NULL, O_MAXFAIL},
        {"min-compared", required_argument, NULL, O_MINCMP},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"pg-bindir", required_argument, NULL, O_BINDIR},
        {"pg-user", required_argument, NULL, O_USER},
        {"keep", no_argument, NULL, O_KEEP},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (opts){.seed = 1,
                .queries = 1000,
                .max_failures = 10,
                .min_compared_pct = 50,
                .bindir = TWILL_PG_BINDIR};
    gen_features_default(o->feat);
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "vh", LONG, NULL)) != -1) {
        switch (c) {
        case O_SEED: {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') goto bad;
            o->seed = s;
            break;
        }
        case O_QUERIES:
            if (parse_long(optarg, 0, &o->queries)) goto bad;
            break;
        case O_ONLY:
            if (parse_long(optarg, 1, &o->only)) goto bad;
            break;
        case O_ENABLE:
        case O_DISABLE:
            if (set_features(o->feat, optarg, c == O_ENABLE)) return 2;
            break;
        case O_LIST:
            for (int i = 0; i < F_COUNT; i++) {
                int def[F_COUNT];
                gen_features_default(def);
                printf("%-14s %-4s %s\n", GEN_FEATURES[i].name, def[i] ? "on" : "off",
                       GEN_FEATURES[i].what);
            }
            return 0;
        case O_EXEC:
            o->exec_sql = optarg;
            break;
        case O_PRINT_SETUP:
            o->print_setup = 1;
            break;
        case O_PRINT_QUERIES:
            o->print_queries = 1;
            break;
        case O_MAXFAIL:
            if (parse_long(optarg, 0, &v) || v > 1000000) goto bad;
            o->max_failures = (int)v;
            break;
        case O_MINCMP:
            if (parse_long(optarg, 0, &v) || v > 100) goto bad;
            o->min_compared_pct = (int)v;
            break;
        case O_TIMEOUT:
            if (parse_long(optarg, 0, &v) || v > 86400) goto bad;
            o->timeout = (int)v;
            break;
        case O_BINDIR:
            o->bindir = optarg;
            break;
        case O_USER:
            o->pg_user = optarg;
            break;
        case O_KEEP:
            o->keep = 1;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto usage_error;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "twill-diff: unexpected argument \"%s\"\n", argv[optind]);
        goto usage_error;
    }
    if (o->only && o->only > o->queries) o->queries = o->only;
    return -1;
bad:
    fprintf(stderr, "twill-diff: invalid value \"%s\"\n", optarg);
usage_error:
    fprintf(stderr, "Try \"twill-diff --help\" for more information.\n");
    return 2;
}

int main(int argc, char **argv) {
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);

    gen *g = gen_new(o.seed, o.feat);
    if (o.print_setup || o.print_queries) {
        int n;
        const char *const *stmts = gen_setup(g, &n);
        for (int i = 0; o.print_setup && i < n; i++) printf("%s;\n", stmts[i]);
        for (long i = 1; o.print_queries && i <= o.queries; i++) {
            gen_query q;
            gen_next(g, &q);
            if (!o.only || i == o.only) printf("-- %ld\n%s;\n", i, q.sql);
            gen_query_free(&q);
        }
        gen_free(g);
        return 0;
    }

    if (o.timeout) alarm((unsigned)o.timeout);
    char root[256], conninfo[256], err[4096];
    pgtmp_opts po = {.bindir = o.bindir, .user = o.pg_user, .keep = o.keep};
    if (pgtmp_start(&po, root, sizeof root, conninfo, sizeof conninfo, err, sizeof err)) {
        fprintf(stderr, "twill-diff: cannot start the reference PostgreSQL: %s\n", err);
        gen_free(g);
        return 2;
    }
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "twill-diff: cannot connect to PostgreSQL (%s): %s", conninfo,
                PQerrorMessage(pg));
        PQfinish(pg);
        gen_free(g);
        return 2;
    }
    int ver = PQserverVersion(pg);
    if (ver / 10000 != 15) {
        fprintf(stderr, "twill-diff: the reference must be PostgreSQL 15, %s has %d\n", o.bindir,
                ver);
        PQfinish(pg);
        gen_free(g);
        return 2;
    }

    char url[400];
    snprintf(url, sizeof url, "file://%s/twill", root);
    twill_db *db = NULL;
    twill_session *tw = NULL;
    if (twill_open(url, "cache_mb=32", &db) != TWILL_OK ||
        twill_session_open(db, &tw) != TWILL_OK) {
        fprintf(stderr, "twill-diff: cannot open the Twill database %s: %s\n", url,
                db ? "session" : twill_open_errmsg());
        twill_close(db);
        PQfinish(pg);
        gen_free(g);
        return 2;
    }

    int status = 0;
    counts k = {0};
    time_t t0 = time(NULL);
    if (setup_both(pg, tw, g, o.verbose)) {
        status = 2;
    } else if (o.exec_sql) {
        gen_query q = {.sql = (char *)o.exec_sql, .ncols = -1};
        o.max_failures = 1;
        if (compare_one(pg, tw, &o, 1, &q, &k)) {
            status = 1;
        } else {
            result p, t;
            run_pg(pg, q.sql, &p);
            run_twill(tw, q.sql, &t);
            print_result(stdout, "PostgreSQL", &p, 0);
            print_result(stdout, "Twill", &t, 0);
            result_free(&p);
            result_free(&t);
        }
    } else {
        for (long i = 1; i <= o.queries; i++) {
            gen_query q;
            gen_next(g, &q);
            if (!o.only || i == o.only) compare_one(pg, tw, &o, i, &q, &k);
            gen_query_free(&q);
        }
        long compared = k.passed + k.both_error;
        printf("twill-diff: seed %" PRIu64 ": %ld queries in %lds: %ld passed, %ld unsupported "
               "(0A000), %ld failed both (%ld with different SQLSTATEs), %ld FAILED\n",
               o.seed, k.run, (long)(time(NULL) - t0), k.passed, k.unsupported, k.both_error,
               k.state_mismatch, k.failed);
        if (k.failed)
            status = 1;
        else if (k.run && compared * 100 < (long)o.min_compared_pct * k.run) {
            fprintf(stderr,
                    "twill-diff: only %ld of %ld queries were compared (the rest were "
                    "unsupported); below --min-compared %d%%\n",
                    compared, k.run, o.min_compared_pct);
            status = 1;
        }
    }

    twill_session_close(tw);
    if (twill_close(db) != TWILL_OK) {
        fprintf(stderr, "twill-diff: closing the Twill database failed\n");
        status = status ? status : 2;
    }
    PQfinish(pg);
    gen_free(g);
    pgtmp_stop();
    return status;
}
