#include "sql/expr.h"

#include "sql/datetime.h"
#include "sql/func.h"
#include "sql/numeric.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

static const char *kind_name(int k) {
    return tw_kind_name(k);
}

static int no_operator(const char *op, const tw_val *a, const tw_val *b, tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "42883", "operator does not exist: %s %s %s",
                      kind_name(a->k), op, kind_name(b->k));
}

static int arith(const tw_expr *e, const tw_val *a, const tw_val *b, tw_val *out, tw_err *err) {
    static const char *const opn[] = {"+", "-", "*", "/", "%"};
    int op = e->op - EX_ADD;
    /* interval arithmetic; a date meeting an interval or a timestamp is its midnight */
    if (a->k == VK_INTERVAL || b->k == VK_INTERVAL ||
        ((a->k == VK_TS || a->k == VK_TSTZ) && vk_is_datetime(b->k)) ||
        (a->k == VK_DATE && (b->k == VK_TS || b->k == VK_TSTZ))) {
        int rc;
        if (a->k == VK_INTERVAL && b->k == VK_INTERVAL && (e->op == EX_ADD || e->op == EX_SUB)) {
            tw_iv r;
            if ((rc = tw_iv_addsub(tw_iv_get(a), tw_iv_get(b), e->op == EX_SUB, &r, err)))
                return rc;
            tw_iv_set(out, r);
            return TWILL_OK;
        }
        const tw_val *t = vk_is_datetime(a->k) ? a : b, *iv = t == a ? b : a;
        if (iv->k == VK_INTERVAL && vk_is_datetime(t->k) &&
            (e->op == EX_ADD || (e->op == EX_SUB && t == a))) {
            int k = t->k == VK_DATE ? VK_TS : t->k;
            int64_t ts;
            if ((rc = tw_dt_convert(t->i, t->k, k, &ts, err))) return rc;
            out->k = (uint8_t)k;
            return tw_ts_add_iv(ts, tw_iv_get(iv), e->op == EX_SUB, &out->i, err);
        }
        if (vk_is_datetime(a->k) && vk_is_datetime(b->k) && e->op == EX_SUB) {
            int64_t x, y;
            tw_iv r;
            if ((rc = tw_dt_convert(a->i, a->k, VK_TS, &x, err)) ||
                (rc = tw_dt_convert(b->i, b->k, VK_TS, &y, err)) ||
                (rc = tw_ts_diff(x, y, &r, err)))
                return rc;
            tw_iv_set(out, r);
            return TWILL_OK;
        }
        return no_operator(opn[op], a, b, err);
    }
    /* date ± integer days, date − date (an integer count of days) */
    if (a->k == VK_DATE && b->k == VK_DATE && e->op == EX_SUB) {
        if (a->i == TW_DATE_NOBEGIN || a->i == TW_DATE_NOEND || b->i == TW_DATE_NOBEGIN ||
            b->i == TW_DATE_NOEND)
            return tw_err_set(err, TWILL_ERROR, "22008", "cannot subtract infinite dates");
        out->k = VK_INT;
        out->i = a->i - b->i;
        return TWILL_OK;
    }
    if ((a->k == VK_DATE && b->k == VK_INT && (e->op == EX_ADD || e->op == EX_SUB)) ||
        (a->k == VK_INT && b->k == VK_DATE && e->op == EX_ADD)) {
        const tw_val *d = a->k == VK_DATE ? a : b, *n = a->k == VK_DATE ? b : a;
        out->k = VK_DATE;
        if (e->op == EX_SUB && n->i == INT64_MIN)
            return tw_err_set(err, TWILL_ERROR, "22008", "date out of range");
        return tw_date_add(d->i, e->op == EX_SUB ? -n->i : n->i, &out->i, err);
    }
    if (a->k == VK_INT && b->k == VK_INT) {
        int64_t r = 0;
        int ovf = 0;
        switch (e->op) {
        case EX_ADD:
            ovf = __builtin_add_overflow(a->i, b->i, &r);
            break;
        case EX_SUB:
            ovf = __builtin_sub_overflow(a->i, b->i, &r);
            break;
        case EX_MUL:
            ovf = __builtin_mul_overflow(a->i, b->i, &r);
            break;
        case EX_DIV:
            if (b->i == 0) return tw_err_set(err, TWILL_ERROR, "22012", "division by zero");
            if (a->i == INT64_MIN && b->i == -1)
                ovf = 1;
            else
                r = a->i / b->i;
            break;
        case EX_MOD:
            if (b->i == 0) return tw_err_set(err, TWILL_ERROR, "22012", "division by zero");
            r = b->i == -1 ? 0 : a->i % b->i;
            break;
        }
        int ty = ty_is_int(e->type.ty) ? e->type.ty : TY_INT8;
        if (ovf)
            return tw_err_set(err, TWILL_ERROR, "22003", "%s out of range",
                              ty == TY_INT2   ? "smallint"
                              : ty == TY_INT4 ? "integer"
                                              : "bigint");
        int rc = tw_int_check(r, ty, err);
        if (rc) return rc;
        out->k = VK_INT;
        out->i = r;
        return TWILL_OK;
    }
    /* numeric with numeric or an integer stays exact; any float makes it float8 */
    if ((a->k == VK_NUMERIC || b->k == VK_NUMERIC) && a->k != VK_FLOAT && b->k != VK_FLOAT &&
        (a->k == VK_INT || a->k == VK_NUMERIC) && (b->k == VK_INT || b->k == VK_NUMERIC)) {
        tw_num x = a->k == VK_INT ? tw_num_from_int(a->i) : tw_num_get(a);
        tw_num y = b->k == VK_INT ? tw_num_from_int(b->i) : tw_num_get(b);
        tw_num r;
        int rc = e->op == EX_ADD   ? tw_num_add(x, y, &r, err)
                 : e->op == EX_SUB ? tw_num_sub(x, y, &r, err)
                 : e->op == EX_MUL ? tw_num_mul(x, y, &r, err)
                 : e->op == EX_DIV ? tw_num_div(x, y, &r, err)
                                   : tw_num_mod(x, y, &r, err);
        if (rc) return rc;
        tw_num_set(out, r);
        return TWILL_OK;
    }
    if ((a->k == VK_INT || a->k == VK_FLOAT || a->k == VK_NUMERIC) &&
        (b->k == VK_INT || b->k == VK_FLOAT || b->k == VK_NUMERIC) && e->op != EX_MOD) {
        double x = a->k == VK_INT ? (double)a->i : a->d;
        double y = b->k == VK_INT ? (double)b->i : b->d;
        if (a->k == VK_NUMERIC) tw_num_to_double(tw_num_get(a), &x);
        if (b->k == VK_NUMERIC) tw_num_to_double(tw_num_get(b), &y);
        double r = 0;
        switch (e->op) {
        case EX_ADD:
            r = x + y;
            break;
        case EX_SUB:
            r = x - y;
            break;
        case EX_MUL:
            r = x * y;
            break;
        case EX_DIV:
            if (y == 0) return tw_err_set(err, TWILL_ERROR, "22012", "division by zero");
            r = x / y;
            break;
        }
        if (isinf(r) && isfinite(x) && isfinite(y))
            return tw_err_set(err, TWILL_ERROR, "22003", "value out of range: overflow");
        if (e->type.ty == TY_FLOAT4) r = (float)r;
        out->k = VK_FLOAT;
        out->d = r;
        return TWILL_OK;
    }
    return no_operator(opn[op], a, b, err);
}

int tw_like(const char *s, size_t n, const char *p, size_t m, int ci) {
    /* Iterative matcher with single-star backtracking: linear-ish, no recursion. */
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < n) {
        if (pi < m && p[pi] == '%') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < m) {
            char pc = p[pi];
            size_t adv = 1;
            int lit = 0;
            if (pc == '\\' && pi + 1 < m) pc = p[pi + 1], adv = 2, lit = 1;
            char sc = s[si];
            int eq = ci ? tolower((unsigned char)pc) == tolower((unsigned char)sc) : pc == sc;
            if ((!lit && pc == '_') || eq) {
                /* '_' matches one character: skip a whole UTF-8 sequence */
                si++;
                if (!lit && pc == '_')
                    while (si < n && ((unsigned char)s[si] & 0xC0) == 0x80) si++;
                pi += adv;
                continue;
            }
        }
        if (star_p == (size_t)-1) return 0;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < m && p[pi] == '%') pi++;
    return pi == m;
}

static int text_of(const tw_val *v, tw_arena *a, tw_val *out, tw_err *err) {
    if (v->k == VK_TEXT) {
        *out = *v;
        return TWILL_OK;
    }
    return tw_val_cast(v, (tw_sqltype){TY_TEXT, -1}, 0, a, out, err);
}

static int eval_dt_func(const tw_expr *e, tw_evalctx *c, tw_val *out, tw_err *err) {
    tw_val u, v;
    int rc = tw_eval(e->args[0], c, &u, err);
    if (!rc) rc = tw_eval(e->args[1], c, &v, err);
    if (rc) return rc;
    if (u.k == VK_NULL || v.k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    if (u.k != VK_TEXT || !vk_is_datetime(v.k))
        return tw_err_set(err, TWILL_ERROR, "42883", "function %s(%s, %s) does not exist",
                          e->aux == TW_FN_DATE_TRUNC ? "date_trunc" : "date_part", kind_name(u.k),
                          kind_name(v.k));
    if (e->aux == TW_FN_DATE_TRUNC) {
        out->k = v.k;
        return tw_dt_trunc(u.s, u.n, v.i, v.k, &out->i, err);
    }
    int isnull = 0, scale = 0;
    int64_t m = 0;
    if ((rc = tw_dt_part(u.s, u.n, v.i, v.k, &isnull, &m, &scale, err))) return rc;
    if (isnull) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    if (e->aux == TW_FN_EXTRACT) {
        tw_num_set(out, (tw_num){.c = m, .scale = scale});
    } else {
        out->k = VK_FLOAT;
        out->d = (double)m / (scale == 6 ? 1e6 : scale == 3 ? 1e3 : 1);
    }
    return TWILL_OK;
}

static int eval_func(const tw_expr *e, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (e->aux == TW_FN_EXTRACT || e->aux == TW_FN_DATE_PART || e->aux == TW_FN_DATE_TRUNC)
        return eval_dt_func(e, c, out, err);
    tw_val a;
    int rc = tw_eval(e->args[0], c, &a, err);
    if (rc) return rc;
    if (a.k == VK_NULL) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    switch (e->aux) {
    case TW_FN_ABS:
        if (a.k == VK_INT) {
            if (a.i == INT64_MIN || tw_int_check(-a.i, e->type.ty, NULL))
                return tw_err_set(err, TWILL_ERROR, "22003", "integer out of range");
            out->k = VK_INT;
            out->i = a.i < 0 ? -a.i : a.i;
            return TWILL_OK;
        }
        if (a.k == VK_FLOAT) {
            out->k = VK_FLOAT;
            out->d = fabs(a.d);
            return TWILL_OK;
        }
        if (a.k == VK_NUMERIC) {
            tw_num n = tw_num_get(&a);
            tw_num_set(out, n.c < 0 ? tw_num_neg(n) : n);
            return TWILL_OK;
        }
        break;
    case TW_FN_ROUND:
    case TW_FN_TRUNC:
    case TW_FN_CEIL:
    case TW_FN_FLOOR: {
        int64_t places = 0;
        if (e->nargs > 1) {
            tw_val p;
            if ((rc = tw_eval(e->args[1], c, &p, err))) return rc;
            if (p.k == VK_NULL) {
                out->k = VK_NULL;
                return TWILL_OK;
            }
            if (p.k != VK_INT) break;
            places = p.i;
            if ((rc = tw_int_check(places, TY_INT4, err))) return rc;
        }
        int mode = e->aux == TW_FN_ROUND   ? 0
                   : e->aux == TW_FN_TRUNC ? 1
                   : e->aux == TW_FN_CEIL  ? 2
                                           : 3;
        if (a.k == VK_INT && e->type.ty == TY_NUMERIC) tw_num_set(&a, tw_num_from_int(a.i));
        if (a.k == VK_INT) a.k = VK_FLOAT, a.d = (double)a.i;
        if (a.k == VK_NUMERIC) {
            tw_num r;
            if ((rc = tw_num_round(tw_num_get(&a), (int)places, mode, &r, err))) return rc;
            tw_num_set(out, r);
            return TWILL_OK;
        }
        if (a.k == VK_FLOAT) {
            /* the float8 forms: round() is rint (half to even), as in PostgreSQL */
            out->k = VK_FLOAT;
            out->d = mode == 0   ? rint(a.d)
                     : mode == 1 ? trunc(a.d)
                     : mode == 2 ? ceil(a.d)
                                 : floor(a.d);
            return TWILL_OK;
        }
        break;
    }
    case TW_FN_LOWER:
    case TW_FN_UPPER: {
        if (a.k != VK_TEXT) break;
        char *s = tw_arena_alloc(c->arena, a.n + 1);
        if (!s) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        for (size_t i = 0; i < a.n; i++)
            s[i] = (char)(e->aux == TW_FN_LOWER ? tolower((unsigned char)a.s[i])
                                                : toupper((unsigned char)a.s[i]));
        out->k = VK_TEXT;
        out->s = s;
        out->n = a.n;
        return TWILL_OK;
    }
    case TW_FN_LENGTH:
        if (a.k == VK_TEXT) {
            size_t chars = 0;
            for (size_t i = 0; i < a.n; i++) chars += ((unsigned char)a.s[i] & 0xC0) != 0x80;
            out->k = VK_INT;
            out->i = (int64_t)chars;
            return TWILL_OK;
        }
        if (a.k == VK_BYTEA) {
            out->k = VK_INT;
            out->i = (int64_t)a.n;
            return TWILL_OK;
        }
        break;
    }
    return tw_err_set(err, TWILL_ERROR, "42883", "function does not exist for argument type %s",
                      kind_name(a.k));
}

/* A registered built-in: arguments evaluated left to right; a strict function of a NULL
 * is NULL. Up to 8 arguments live on the stack (the evaluator recurses, so no big
 * frames); more come from the arena. */
/* not inlined: its argument array would grow every tw_eval frame, and tw_eval recurses */
__attribute__((noinline)) static int eval_call(const tw_expr *e, tw_evalctx *c, tw_val *out,
                                               tw_err *err) {
    tw_val small[8], *av = small;
    if (e->nargs > 8 && !(av = tw_arena_alloc(c->arena, sizeof *av * (size_t)e->nargs)))
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    for (int i = 0; i < e->nargs; i++) {
        int rc = tw_eval(e->args[i], c, &av[i], err);
        if (rc) return rc;
        if (av[i].k == VK_NULL && (e->fn->flags & TW_FN_STRICT)) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
    }
    int rc = e->fn->eval(av, e->nargs, c, out, err);
    if (rc == TWILL_OK && out->k == VK_INT && ty_is_int(e->type.ty) && e->type.ty != TY_INT8)
        rc = tw_int_check(out->i, e->type.ty, err);
    return rc;
}

int tw_eval(const tw_expr *e, tw_evalctx *c, tw_val *out, tw_err *err) {
    tw_val a, b;
    int rc, r;
    switch (e->op) {
    case EX_CONST:
        *out = e->v;
        return TWILL_OK;
    case EX_COL:
        *out = c->row[e->idx];
        return TWILL_OK;
    case EX_PARAM:
        *out = c->params[e->idx];
        return TWILL_OK;
    case EX_AGG:
        *out = c->aggs[e->idx];
        return TWILL_OK;
    case EX_CAST:
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        return tw_val_cast(&a, e->type, e->aux, c->arena, out, err);
    case EX_COERCE:
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        if (ty_is_num(e->type.ty) && e->type.ty != TY_NUMERIC &&
            (a.k == VK_INT || a.k == VK_FLOAT)) {
            *out = a;
            return TWILL_OK;
        }
        return tw_val_cast(&a, e->type, 0, c->arena, out, err);
    case EX_NEG:
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        if (a.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        if (a.k == VK_INT) {
            int ty = ty_is_int(e->type.ty) ? e->type.ty : TY_INT8;
            if (a.i == INT64_MIN || tw_int_check(-a.i, ty, NULL))
                return tw_err_set(err, TWILL_ERROR, "22003", "%s out of range",
                                  ty == TY_INT2   ? "smallint"
                                  : ty == TY_INT4 ? "integer"
                                                  : "bigint");
            out->k = VK_INT;
            out->i = -a.i;
            return TWILL_OK;
        }
        if (a.k == VK_FLOAT) {
            out->k = VK_FLOAT;
            out->d = -a.d;
            return TWILL_OK;
        }
        if (a.k == VK_NUMERIC) {
            tw_num_set(out, tw_num_neg(tw_num_get(&a)));
            return TWILL_OK;
        }
        if (a.k == VK_INTERVAL) {
            tw_iv r;
            if ((rc = tw_iv_addsub((tw_iv){0, 0, 0}, tw_iv_get(&a), 1, &r, err))) return rc;
            tw_iv_set(out, r);
            return TWILL_OK;
        }
        return tw_err_set(err, TWILL_ERROR, "42883", "operator does not exist: - %s",
                          kind_name(a.k));
    case EX_ADD:
    case EX_SUB:
    case EX_MUL:
    case EX_DIV:
    case EX_MOD:
        if ((rc = tw_eval(e->args[0], c, &a, err)) || (rc = tw_eval(e->args[1], c, &b, err)))
            return rc;
        if (a.k == VK_NULL || b.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        return arith(e, &a, &b, out, err);
    case EX_CONCAT: {
        if ((rc = tw_eval(e->args[0], c, &a, err)) || (rc = tw_eval(e->args[1], c, &b, err)))
            return rc;
        if (a.k == VK_NULL || b.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        int k = VK_TEXT;
        if (a.k == VK_BYTEA && b.k == VK_BYTEA)
            k = VK_BYTEA;
        else if ((rc = text_of(&a, c->arena, &a, err)) || (rc = text_of(&b, c->arena, &b, err)))
            return rc;
        char *s = tw_arena_alloc(c->arena, a.n + b.n + 1);
        if (!s) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        if (a.n) memcpy(s, a.s, a.n);
        if (b.n) memcpy(s + a.n, b.s, b.n);
        s[a.n + b.n] = '\0';
        out->k = (uint8_t)k;
        out->s = s;
        out->n = a.n + b.n;
        return TWILL_OK;
    }
    case EX_EQ:
    case EX_NE:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE:
        if ((rc = tw_eval(e->args[0], c, &a, err)) || (rc = tw_eval(e->args[1], c, &b, err)))
            return rc;
        if (a.k == VK_NULL || b.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        if ((rc = tw_val_cmp(&a, &b, &r, err))) return rc;
        out->k = VK_BOOL;
        switch (e->op) {
        case EX_EQ:
            out->i = r == 0;
            break;
        case EX_NE:
            out->i = r != 0;
            break;
        case EX_LT:
            out->i = r < 0;
            break;
        case EX_LE:
            out->i = r <= 0;
            break;
        case EX_GT:
            out->i = r > 0;
            break;
        default:
            out->i = r >= 0;
            break;
        }
        return TWILL_OK;
    case EX_DISTINCT:
        if ((rc = tw_eval(e->args[0], c, &a, err)) || (rc = tw_eval(e->args[1], c, &b, err)))
            return rc;
        if (a.k == VK_NULL || b.k == VK_NULL)
            r = (a.k == VK_NULL) != (b.k == VK_NULL);
        else if ((rc = tw_val_cmp(&a, &b, &r, err)))
            return rc;
        out->k = VK_BOOL;
        out->i = (r != 0) != (e->aux == 1);
        return TWILL_OK;
    case EX_AND:
    case EX_OR: {
        /* Three-valued: AND is FALSE if any FALSE, else NULL if any NULL. */
        int saw_null = 0, stop = e->op == EX_OR;
        for (int i = 0; i < e->nargs; i++) {
            if ((rc = tw_eval(e->args[i], c, &a, err))) return rc;
            if (a.k == VK_NULL) {
                saw_null = 1;
                continue;
            }
            if (a.k != VK_BOOL)
                return tw_err_set(err, TWILL_ERROR, "42804",
                                  "argument of %s must be type boolean, not type %s",
                                  e->op == EX_AND ? "AND" : "OR", kind_name(a.k));
            if ((a.i != 0) == stop) {
                out->k = VK_BOOL;
                out->i = stop;
                return TWILL_OK;
            }
        }
        if (saw_null)
            out->k = VK_NULL;
        else
            out->k = VK_BOOL, out->i = !stop;
        return TWILL_OK;
    }
    case EX_NOT:
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        if (a.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        if (a.k != VK_BOOL)
            return tw_err_set(err, TWILL_ERROR, "42804",
                              "argument of NOT must be type boolean, not type %s", kind_name(a.k));
        out->k = VK_BOOL;
        out->i = !a.i;
        return TWILL_OK;
    case EX_ISNULL:
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        out->k = VK_BOOL;
        out->i = (a.k == VK_NULL) != (e->aux == 1);
        return TWILL_OK;
    case EX_BOOLTEST: {
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        int is_true = a.k == VK_BOOL && a.i, is_false = a.k == VK_BOOL && !a.i;
        out->k = VK_BOOL;
        switch (e->aux) {
        case 0:
            out->i = is_true;
            break;
        case 1:
            out->i = !is_true;
            break;
        case 2:
            out->i = is_false;
            break;
        default:
            out->i = !is_false;
            break;
        }
        return TWILL_OK;
    }
    case EX_IN: {
        if ((rc = tw_eval(e->args[0], c, &a, err))) return rc;
        if (a.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        int saw_null = 0;
        for (int i = 1; i < e->nargs; i++) {
            if ((rc = tw_eval(e->args[i], c, &b, err))) return rc;
            if (b.k == VK_NULL) {
                saw_null = 1;
                continue;
            }
            if ((rc = tw_val_cmp(&a, &b, &r, err))) return rc;
            if (r == 0) {
                out->k = VK_BOOL;
                out->i = e->aux != 1;
                return TWILL_OK;
            }
        }
        if (saw_null)
            out->k = VK_NULL;
        else
            out->k = VK_BOOL, out->i = e->aux == 1;
        return TWILL_OK;
    }
    case EX_LIKE:
        if ((rc = tw_eval(e->args[0], c, &a, err)) || (rc = tw_eval(e->args[1], c, &b, err)))
            return rc;
        if (a.k == VK_NULL || b.k == VK_NULL) {
            out->k = VK_NULL;
            return TWILL_OK;
        }
        if (a.k != VK_TEXT || b.k != VK_TEXT) return no_operator("~~", &a, &b, err);
        out->k = VK_BOOL;
        out->i = tw_like(a.s, a.n, b.s, b.n, e->aux & 2) != (e->aux & 1);
        return TWILL_OK;
    case EX_CASE: {
        int n = e->nargs - (e->aux ? 1 : 0);
        for (int i = 0; i + 1 < n; i += 2) {
            int ok;
            if ((rc = tw_eval_pred(e->args[i], c, &ok, err))) return rc;
            if (ok) return tw_eval(e->args[i + 1], c, out, err);
        }
        if (e->aux) return tw_eval(e->args[e->nargs - 1], c, out, err);
        out->k = VK_NULL;
        return TWILL_OK;
    }
    case EX_COALESCE:
        for (int i = 0; i < e->nargs; i++) {
            if ((rc = tw_eval(e->args[i], c, out, err))) return rc;
            if (out->k != VK_NULL) return TWILL_OK;
        }
        return TWILL_OK;
    case EX_NULLIF:
        if ((rc = tw_eval(e->args[0], c, &a, err)) || (rc = tw_eval(e->args[1], c, &b, err)))
            return rc;
        *out = a;
        if (a.k != VK_NULL && b.k != VK_NULL) {
            if ((rc = tw_val_cmp(&a, &b, &r, err))) return rc;
            if (r == 0) out->k = VK_NULL;
        }
        return TWILL_OK;
    case EX_FUNC:
        return eval_func(e, c, out, err);
    case EX_CALL:
        return eval_call(e, c, out, err);
    case EX_OUTER:
        *out = c->outer[e->idx];
        return TWILL_OK;
    case EX_SUBQ:
        if (!c->subq) return tw_err_set(err, TWILL_ERROR, "XX000", "subquery without an executor");
        return c->subq(c->run, e, c, out, err);
    }
    return tw_err_set(err, TWILL_ERROR, "XX000", "unknown expression node %d", e->op);
}

int tw_eval_pred(const tw_expr *e, tw_evalctx *c, int *ok, tw_err *err) {
    tw_val v;
    int rc = tw_eval(e, c, &v, err);
    if (rc) return rc;
    if (v.k == VK_NULL) {
        *ok = 0;
        return TWILL_OK;
    }
    if (v.k != VK_BOOL)
        return tw_err_set(err, TWILL_ERROR, "42804",
                          "argument of WHERE must be type boolean, not type %s", kind_name(v.k));
    *ok = v.i != 0;
    return TWILL_OK;
}

int tw_expr_equal(const tw_expr *a, const tw_expr *b) {
    if (a->op != b->op || a->aux != b->aux || a->nargs != b->nargs || a->type.ty != b->type.ty ||
        a->fn != b->fn)
        return 0;
    if (a->fn && (a->fn->flags & TW_FN_VOLATILE)) return a == b; /* random() <> random() */
    switch (a->op) {
    case EX_CONST: {
        if (a->v.k != b->v.k) return 0;
        if (a->v.k == VK_NULL) return 1;
        int r;
        return tw_val_cmp(&a->v, &b->v, &r, NULL) == TWILL_OK && r == 0;
    }
    case EX_COL:
    case EX_PARAM:
    case EX_OUTER:
    case EX_AGG:
        return a->idx == b->idx;
    case EX_SUBQ:
        return a == b;
    }
    for (int i = 0; i < a->nargs; i++)
        if (!tw_expr_equal(a->args[i], b->args[i])) return 0;
    return 1;
}
