/*
 * expr.h — compiled scalar expressions and their evaluator.
 *
 * The analyzer (plan.c) turns parse-tree expressions into tw_expr trees whose nodes
 * carry a static result type; literals are already coerced to their context's type.
 * Evaluation is over runtime values (tw_val) so that parameters bound with any
 * TWILL_TYPE work: int/float mixes compare numerically; text parameters meeting a
 * typed operand were wrapped in a coercion node at compile time.
 *
 * Evaluation never allocates except from ctx->arena (text results), which the
 * executor resets per row. Depth is bounded by the analyzer (TW_EXPR_MAX_DEPTH).
 */
#ifndef TW_SQL_EXPR_H
#define TW_SQL_EXPR_H

#include "sql/value.h"

#define TW_EXPR_MAX_DEPTH 1100

enum {
    EX_CONST,
    EX_COL,    /* idx: column of the input row */
    EX_PARAM,  /* idx: 0-based parameter */
    EX_AGG,    /* idx: aggregate / group slot of the aggregated row */
    EX_CAST,   /* args[0] to e->type; aux=1 assignment semantics */
    EX_COERCE, /* text-kind args[0] to e->type (a parameter meeting a typed operand) */
    EX_NEG,
    EX_ADD,
    EX_SUB,
    EX_MUL,
    EX_DIV,
    EX_MOD,
    EX_CONCAT,
    EX_EQ,
    EX_NE,
    EX_LT,
    EX_LE,
    EX_GT,
    EX_GE,
    EX_DISTINCT, /* IS DISTINCT FROM; aux=1 for IS NOT DISTINCT FROM */
    EX_AND,
    EX_OR,
    EX_NOT,
    EX_ISNULL,   /* aux=1: IS NOT NULL */
    EX_BOOLTEST, /* aux: 0 IS TRUE, 1 IS NOT TRUE, 2 IS FALSE, 3 IS NOT FALSE */
    EX_IN,       /* args[0] IN (args[1..]); aux=1: NOT IN */
    EX_LIKE,     /* aux bit0: NOT, bit1: ILIKE */
    EX_CASE,     /* args: cond0, res0, cond1, res1, ..., [else]; aux=1 has else */
    EX_COALESCE,
    EX_NULLIF,
    EX_FUNC,  /* aux: TW_FN_* */
    EX_OUTER, /* idx: column of the enclosing query's row (correlated subquery) */
    EX_SUBQ,  /* idx: subquery number; aux: TW_SQ_*; IN: args[0] = the tested value */
    EX_CALL,  /* fn: a registered built-in (func.h) over args */
};

/* TW_SQ_SEQ: not a subquery but a sequence function (idx: TW_SEQ_FN_*), which like a
 * subquery calls back into the executor (sequences live above expressions). */
enum { TW_SQ_SCALAR, TW_SQ_EXISTS, TW_SQ_IN, TW_SQ_FROM, TW_SQ_SEQ };
/* TW_SQ_ARRAY: ARRAY(subquery), its rows' values as an array of e->type (array.h). */
enum { TW_SQ_ARRAY = TW_SQ_SEQ + 16 };
/* TW_SEQ_NOW_*: now() / current_timestamp, localtimestamp, current_date (the
 * transaction's start time from the executor's environment). */
enum {
    TW_SEQ_NEXTVAL,
    TW_SEQ_CURRVAL,
    TW_SEQ_SETVAL,
    TW_SEQ_LASTVAL,
    TW_SEQ_NOW_TSTZ,
    TW_SEQ_NOW_TS,
    TW_SEQ_NOW_DATE
};
/* A column DEFAULT gen_random_uuid() is kept as a TW_DEF_NOW default with this nowfn
 * (a value of its own, stored in the catalog). */
enum { TW_SEQ_GEN_UUID = 64 };

/* ROUND/TRUNC take an optional second argument (places); CEIL/FLOOR one. */
enum {
    TW_FN_ABS,
    TW_FN_LOWER,
    TW_FN_UPPER,
    TW_FN_LENGTH,
    TW_FN_ROUND,
    TW_FN_TRUNC,
    TW_FN_CEIL,
    TW_FN_FLOOR,
    TW_FN_EXTRACT,   /* (unit, datetime) → numeric */
    TW_FN_DATE_PART, /* (unit, timestamp[tz]) → double precision */
    TW_FN_DATE_TRUNC /* (unit, timestamp[tz]) → the same type */
};

struct tw_func;

typedef struct tw_expr {
    uint8_t op;
    uint8_t aux;
    tw_sqltype type; /* static result type (TY_UNKNOWN: untyped literal / parameter) */
    int idx;
    int nargs;
    struct tw_expr **args;
    tw_val v;                 /* EX_CONST */
    const struct tw_func *fn; /* EX_CALL */
} tw_expr;

typedef struct tw_evalctx tw_evalctx;
struct tw_evalctx {
    const tw_val *row;
    const tw_val *params;
    const tw_val *aggs;
    tw_arena *arena;
    const tw_val *outer; /* EX_OUTER reads here */
    /* Runs subqueries (the executor supplies it; expressions sit below it). */
    int (*subq)(void *run, const tw_expr *e, const tw_evalctx *c, tw_val *out, tw_err *err);
    void *run;
    /* The catalog snapshot the plan was built against (catalog functions read it;
     * NULL outside the executor). */
    const struct tw_catalog *cat;
};

int tw_eval(const tw_expr *e, tw_evalctx *c, tw_val *out, tw_err *err);
/* WHERE semantics: *ok = 1 only for TRUE (NULL and FALSE reject). */
int tw_eval_pred(const tw_expr *e, tw_evalctx *c, int *ok, tw_err *err);
/* Structural equality (GROUP BY matching). */
int tw_expr_equal(const tw_expr *a, const tw_expr *b);
/* PostgreSQL LIKE: % and _ wildcards, backslash escapes; ci folds ASCII case. */
int tw_like(const char *s, size_t n, const char *p, size_t m, int ci);

#endif
