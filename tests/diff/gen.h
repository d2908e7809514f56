/*
 * gen.h — the differential test's SQL generator: a seeded, deterministic source of a
 * schema with data and of random SELECT statements that PostgreSQL 15 and Twill must
 * answer identically.
 *
 * Every statement is valid PostgreSQL and cannot raise a run-time error by design
 * (values are bounded so that no arithmetic overflows, divisors are non-zero constants
 * or NULLIF(x, 0)): SQL does not fix the order in which a WHERE clause is evaluated, so
 * an error that depends on it would not be a difference between the engines.
 */
#ifndef TWILL_DIFF_GEN_H
#define TWILL_DIFF_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Feature switches: what the generator may use. The defaults (gen_features_default)
 * are what Twill supports today without known wrong answers; docs/diff-findings.md
 * says why a switch is off. */
enum {
    F_WHERE,            /* WHERE with AND/OR/NOT, comparisons, IS NULL, ... */
    F_ARITH,            /* + - * / % and unary minus on integers and floats */
    F_FLOAT_DIV,        /* float division (inexact results, formatted by both engines) */
    F_NEG_ZERO_SUM,     /* sum() over float expressions that can be -0 */
    F_IN_LIST,          /* x [NOT] IN (list) */
    F_BETWEEN,          /* [NOT] BETWEEN */
    F_LIKE,             /* [NOT] LIKE / ILIKE */
    F_IS_BOOL,          /* IS [NOT] TRUE / FALSE / UNKNOWN */
    F_DISTINCT_FROM,    /* IS [NOT] DISTINCT FROM */
    F_CASE,             /* searched and simple CASE */
    F_COALESCE,         /* COALESCE and NULLIF */
    F_FUNCS,            /* abs, lower, upper, length */
    F_CONCAT,           /* || */
    F_CASTS,            /* float8 -> int, int -> float8, int -> text, bool -> int */
    F_BOOL_TEXT,        /* boolean -> text casts ('true' / 'false') */
    F_FLOAT_TEXT,       /* float8 -> text casts */
    F_ORDER,            /* ORDER BY (all output columns, or the primary keys) */
    F_LIMIT,            /* LIMIT / OFFSET under a deterministic ORDER BY */
    F_STAR,             /* SELECT * / alias.* */
    F_DISTINCT,         /* SELECT DISTINCT */
    F_AGG,              /* count / sum / min / max / avg without GROUP BY */
    F_GROUP_BY,         /* GROUP BY columns */
    F_GROUP_EXPR,       /* GROUP BY expressions, repeated in the select list */
    F_HAVING,           /* HAVING */
    F_JOIN,             /* [INNER] JOIN ... ON and comma joins */
    F_LEFT_JOIN,        /* LEFT JOIN ... ON */
    F_INNER_AFTER_LEFT, /* an inner join after a LEFT JOIN */
    F_SELF_JOIN,        /* a table joined with itself */
    F_NO_FROM,          /* SELECT of constant expressions without FROM */
    F_SUBQUERY,         /* scalar subqueries, EXISTS, IN (SELECT ...) */
    F_CORRELATED,       /* subqueries that reference the outer query */
    F_DERIVED,          /* subqueries in FROM */
    F_SETOPS,           /* UNION / INTERSECT / EXCEPT [ALL] */
    F_NUMERIC,          /* numeric literals and arithmetic, shown as text */
    F_COLNAMES,         /* compare output column names, not just values */
    F_COUNT
};

typedef struct gen_feature {
    const char *name;
    const char *what;
} gen_feature;

extern const gen_feature GEN_FEATURES[F_COUNT];

/* Sets feat[i] to the default of each switch. */
void gen_features_default(int *feat);

typedef struct gen gen;

typedef struct gen_query {
    char *sql;                  /* malloc'ed; freed by gen_query_free */
    int ordered;                /* the ORDER BY fixes the order of the whole result */
    int ncols;                  /* output columns (-1 if the generator does not know) */
    unsigned char approx[64];   /* column i is avg()-derived float: compare rounded */
    unsigned char floatcol[64]; /* column i is a float */
    /* 0 and -0 are equal, so where the engine picks one of several equal values (ORDER
     * BY over ties, DISTINCT, GROUP BY, min/max) either may be printed: compare float
     * columns with -0 read as 0 */
    int zero_ambiguous;
} gen_query;

gen *gen_new(uint64_t seed, const int *feat);
void gen_free(gen *g);

/* The statements that create the schema and load the data (same on both sides). The
 * array and strings belong to g. */
const char *const *gen_setup(gen *g, int *n);

/* The next random query. */
void gen_next(gen *g, gen_query *q);
void gen_query_free(gen_query *q);

#endif
