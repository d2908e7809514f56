/*
 * func.h — the registry of built-in scalar functions.
 *
 * A function is described once, in a table of its module (func_string.c, ...): its
 * name, an argument signature, a result-type rule and an evaluator over runtime
 * values. The analyzer looks a call up by name (tw_func_resolve), coerces the arguments
 * to the signature (untyped literals and parameters take the signature's type; numeric
 * arguments are widened as PostgreSQL's implicit casts do) and emits an EX_CALL node;
 * the evaluator evaluates the arguments and calls `eval`.
 *
 * Several entries may share a name (overloads); the first whose arity and argument
 * classes fit wins, so list the more specific signature first. A name with no fitting
 * entry is 42883 ("function f(integer) does not exist"); a name not registered at all
 * is 0A000 (PostgreSQL may have it; Twill does not).
 */
#ifndef TW_SQL_FUNC_H
#define TW_SQL_FUNC_H

#include "sql/expr.h"

#define TW_FUNC_MAX_ARGS 100 /* PostgreSQL's FUNC_MAX_ARGS */

/* Signature letters, one per argument:
 *   t text (varchar/char accepted)       i integer (any width; int64 at run time)
 *   f double precision (numbers widen)   n numeric (integers widen)
 *   b boolean   d date   s timestamp   z timestamptz (date/timestamp widen)
 *   v interval  x bytea  a any type (untyped → text)
 *   u uuid  j json  J jsonb  A any array (array.h)  T text[]
 *   c "common": every c argument is unified to one type (greatest, concat-like rules)
 *   N numeric exactly (not an integer, not unknown): lets a numeric overload precede a
 *     float8 one, as PostgreSQL prefers float8 for integer and unknown arguments
 *   I bigint exactly (not unknown): an int8 overload before an integer one
 * A '|' marks where optional arguments begin; a trailing '*' repeats the last letter
 * any number of times (variadic, zero or more). Examples: "ti|i" substr, "aa*" concat.
 */

/* Result rules besides a fixed TY_* type. */
enum { TW_RET_ARG0 = 0xFE, TW_RET_COMMON = 0xFF };
/* TW_RET_ELEM0: the element type of argument 0, an array (array.h). */
enum { TW_RET_ELEM0 = 0xFD };
/* The widest integer type among the arguments (TW_RET_INTS4: at least integer). The
 * evaluator range-checks an integer result against the call's result type. */
enum { TW_RET_INTS = 0xFA, TW_RET_INTS4 = 0xFB };

/* Flags. STRICT: any NULL argument gives NULL without calling eval (most functions).
 * VOLATILE: a new value per call (random()); never folded at plan time. */
enum { TW_FN_STRICT = 1, TW_FN_VOLATILE = 2 };

typedef struct tw_func tw_func;
struct tw_func {
    const char *name;
    const char *sig;
    uint8_t ret;   /* TY_* or TW_RET_* */
    uint8_t flags; /* TW_FN_* */
    /* Arguments arrive converted to the signature's types (t: VK_TEXT, i: VK_INT, f:
     * VK_FLOAT, n: VK_NUMERIC, ...). New bytes come from c->arena. */
    int (*eval)(const tw_val *args, int nargs, tw_evalctx *c, tw_val *out, tw_err *err);
};

/* The function table of each module: entries end at one with name == NULL. */
extern const tw_func tw_funcs_string[];
extern const tw_func tw_funcs_catalog[]; /* func_catalog.c: pg_catalog functions */
extern const tw_func tw_funcs_regex[];   /* func_catalog.c: ~ !~ ~* !~* (POSIX regex.h) */

/* Calls cb for every registered function (stops when cb returns non-zero: -1). */
int tw_func_each(int (*cb)(const tw_func *f, void *ud), void *ud);

extern const tw_func tw_funcs_math[];
extern const tw_func tw_funcs_datetime[];

/* GREATEST / LEAST (MinMaxExpr): not callable by name; the analyzer unifies the
 * arguments to one type and builds an EX_CALL to one of these. */
extern const tw_func tw_func_greatest, tw_func_least;
extern const tw_func tw_funcs_uuid[];  /* uuid.c */
extern const tw_func tw_funcs_json[];  /* json.c */
extern const tw_func tw_funcs_array[]; /* array.c */

/* 1 if some function of this name is registered. */
int tw_func_known(const char *name);
/* The first entry of `name` whose signature fits argument types at[0..n) (TY_UNKNOWN
 * fits anything), or NULL. */
const tw_func *tw_func_resolve(const char *name, const tw_sqltype *at, int n);
/* The signature letter that argument i of f takes ('\0' past the end). */
char tw_func_arg_letter(const tw_func *f, int i);

/* Helpers for evaluators. */
/* Copies n bytes of text into c's arena as a VK_TEXT value. */
int tw_func_text(tw_evalctx *c, const char *s, size_t n, tw_val *out, tw_err *err);
/* UTF-8: the byte length of the character starting at s (1 for a stray byte). */
size_t tw_utf8_len(const unsigned char *s, size_t n);
/* UTF-8: number of characters in s[0..n). */
size_t tw_utf8_count(const char *s, size_t n);

#endif
