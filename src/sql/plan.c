#include "sql/plan.h"

#include "sql/array.h"
#include "sql/constraint.h"
#include "sql/func.h"
#include "sql/srf.h"
#include "sql/numeric.h"
#include "sql/pgcatalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef PgQuery__Node Node;

#define N_(x) PG_QUERY__NODE__NODE_##x

#define TW_MAX_FROM 64

typedef struct scope_ent {
    tw_table *t;
    const char *alias;
    int offset; /* of the table's first column in the combined row */
    /* JOIN ... USING / NATURAL JOIN: the left table's join columns, which an unqualified
     * `*` lists first, and per column of the right table whether it was merged into them
     * (then unqualified names and `*` skip it) */
    int nlead;
    const int *lead;
    const uint8_t *merged;
} scope_ent;

static const char *ent_name(const scope_ent *e) {
    return e->alias ? e->alias : e->t->name;
}

typedef struct actx {
    tw_plan *p;
    tw_arena *a;
    tw_parsetree *tree;
    size_t pos_base;
    tw_err *err;
    tw_catalog *cat;
    /* name scope: the FROM tables, laid out side by side in one combined row */
    scope_ent sc[TW_MAX_FROM];
    int nsc;
    int width;
    int depth;
    /* subqueries: the enclosing query's context, this query's row slot */
    struct actx *parent;
    int slot;
    int correlated;
    int outer_max;
    int sub_width;
    int view_depth;
    int alter_cmd; /* 1 + the only ALTER TABLE action to plan (ALT_MULTI), 0: all */
    /* aggregation */
    int agg_mode;             /* compiling over the aggregated row */
    int in_agg;               /* inside an aggregate's argument */
    const char *no_agg_where; /* non-NULL: aggregates not allowed here (clause name) */
    int ngroup;
    tw_expr **group;
    int naggs, capaggs;
    tw_aggdef *aggs;
    /* WITH: the CTEs in scope (innermost frame first) */
    const struct cte_frame *ctes;
    /* WITH RECURSIVE: the CTE whose body plan_select_body must plan as recursive, and,
     * while its recursive term is planned, the working table its self-references read
     * (table NULL: inside the non-recursive term, where a self-reference is an error) */
    const PgQuery__CommonTableExpr *rec_cte;
    struct wtref {
        const PgQuery__CommonTableExpr *cte;
        tw_table *table;
        tw_pnode *node;
    } wt;
    /* window functions of this query level (target list and ORDER BY only) */
    int win_mode, in_win;
    const PgQuery__SelectStmt *win_stmt; /* its WINDOW clause names windows */
    int nwfns, capwfns, nwspecs, capwspecs, nwexprs, capwexprs;
    tw_winfn *wfns;
    tw_winspec *wspecs;
    tw_expr **wexprs;
} actx;

/* One WITH clause: ctes[0, limit) of w are visible (a non-recursive CTE's body sees only
 * the ones before it). */
typedef struct cte_frame {
    const PgQuery__WithClause *w;
    const struct cte_frame *parent;
    size_t limit;
    uint8_t *used; /* per CTE: referenced (shared by the frame's copies) */
} cte_frame;

static int aerrv(actx *c, int loc, int code, const char *state, const char *fmt, va_list ap) {
    int had = c->err && c->err->code != TWILL_OK;
    tw_err_setv(c->err, code, state, fmt, ap);
    if (!had && c->err && loc >= 0) {
        size_t o = tw_parse_orig_offset(c->tree, (size_t)loc);
        c->err->pos = o >= c->pos_base ? (int)(o - c->pos_base) + 1 : 0;
    }
    return code;
}

__attribute__((format(printf, 4, 5))) static int aerr(actx *c, int loc, const char *state,
                                                      const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = aerrv(c, loc, TWILL_ERROR, state, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 3, 4))) static int notsup(actx *c, int loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = aerrv(c, loc, TWILL_NOTSUP, "0A000", fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(actx *c) {
    return tw_err_set(c->err, TWILL_NOMEM, NULL, "out of memory");
}

static const char *node_name(const Node *n) {
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &pg_query__node__descriptor, (unsigned)n->node_case);
    return f ? f->name : "?";
}

static tw_expr *mk(actx *c, int op, int nargs) {
    tw_expr *e = tw_arena_zalloc(c->a, sizeof *e);
    if (!e) return NULL;
    e->op = (uint8_t)op;
    e->type.mod = -1;
    e->nargs = nargs;
    if (nargs) {
        e->args = tw_arena_zalloc(c->a, sizeof(tw_expr *) * (size_t)nargs);
        if (!e->args) return NULL;
    }
    return e;
}

static char *lower_dup(actx *c, const char *s) {
    size_t n = strlen(s);
    char *d = tw_arena_strndup(c->a, s, n);
    if (d)
        for (size_t i = 0; i < n; i++) d[i] = (char)tolower((unsigned char)d[i]);
    return d;
}

static const char *str_of(const Node *n) {
    return n && n->node_case == N_(STRING) && n->string->sval ? n->string->sval : NULL;
}

/* ---- types ---- */

/* numeric / numeric(p) / numeric(p,s); PostgreSQL allows p up to 1000 and s down to
 * -1000, Twill's numeric holds 38 digits (numeric.h) and has no negative scales. */
static int resolve_numeric(actx *c, const PgQuery__TypeName *tn, tw_sqltype *out) {
    int loc = tn->location, m[2] = {0, 0};
    out->ty = TY_NUMERIC;
    out->mod = -1;
    if (!tn->n_typmods) return TWILL_OK;
    if (tn->n_typmods > 2) return aerr(c, loc, "22023", "invalid NUMERIC type modifier");
    for (size_t i = 0; i < tn->n_typmods; i++) {
        const Node *x = tn->typmods[i];
        if (x->node_case != N_(A_CONST) || x->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
            return aerr(c, loc, "22023", "invalid NUMERIC type modifier");
        m[i] = x->a_const->ival->ival;
    }
    if (m[0] < 1 || m[0] > 1000)
        return aerr(c, loc, "22023", "NUMERIC precision %d must be between 1 and 1000", m[0]);
    if (m[1] < -1000 || m[1] > 1000)
        return aerr(c, loc, "22023", "NUMERIC scale %d must be between -1000 and 1000", m[1]);
    if (m[0] > TW_NUM_MAX_DIGITS || m[1] < 0 || m[1] > m[0])
        return notsup(c, loc,
                      "numeric(%d,%d) is not supported (precision up to %d, scale 0..precision)",
                      m[0], m[1], TW_NUM_MAX_DIGITS);
    out->mod = tw_num_typmod(m[0], m[1]);
    return TWILL_OK;
}

static int resolve_type(actx *c, const PgQuery__TypeName *tn, tw_sqltype *out) {
    if (!tn || tn->n_names == 0) return notsup(c, -1, "type is not supported");
    const char *name = str_of(tn->names[tn->n_names - 1]);
    int loc = tn->location;
    if (!name) return notsup(c, loc, "type is not supported");
    if (tn->n_array_bounds) {
        /* int[], int[3], int[][] are all one type, as in PostgreSQL */
        PgQuery__TypeName et = *tn;
        et.n_array_bounds = 0;
        int rc = resolve_type(c, &et, out);
        if (rc) return rc;
        if (!tw_array_elem_ok(out->ty) || out->mod >= 0)
            return notsup(c, loc, "arrays of type %s are not supported",
                          tw_type_name(*out, (char[64]){0}, 64));
        out->mod = out->ty;
        out->ty = TY_ARRAY;
        return TWILL_OK;
    }
    if (tn->setof || tn->pct_type) return notsup(c, loc, "this type syntax is not supported");
    if (!strcmp(name, "numeric") || !strcmp(name, "decimal")) return resolve_numeric(c, tn, out);
    int32_t mod = -1;
    if (tn->n_typmods) {
        const Node *m = tn->typmods[0];
        if (tn->n_typmods != 1 || m->node_case != N_(A_CONST) ||
            m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
            return notsup(c, loc, "type modifiers of %s are not supported", name);
        mod = m->a_const->ival->ival;
    }
    out->mod = -1;
    static const struct {
        const char *n;
        int ty;
    } names[] = {
        {"int2", TY_INT2},         {"smallint", TY_INT2},       {"int4", TY_INT4},
        {"int", TY_INT4},          {"integer", TY_INT4},        {"int8", TY_INT8},
        {"bigint", TY_INT8},       {"float4", TY_FLOAT4},       {"real", TY_FLOAT4},
        {"float8", TY_FLOAT8},     {"text", TY_TEXT},           {"varchar", TY_VARCHAR},
        {"bpchar", TY_CHAR},       {"char", TY_CHAR},           {"bool", TY_BOOL},
        {"boolean", TY_BOOL},      {"bytea", TY_BYTEA},         {"float", TY_FLOAT8},
        {"date", TY_DATE},         {"timestamp", TY_TIMESTAMP}, {"timestamptz", TY_TIMESTAMPTZ},
        {"interval", TY_INTERVAL}, {"uuid", TY_UUID},           {"json", TY_JSON},
        {"jsonb", TY_JSONB}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].n, name)) continue;
        out->ty = (uint8_t)names[i].ty;
        if (out->ty == TY_VARCHAR || out->ty == TY_CHAR) {
            if (tn->n_typmods && mod < 1)
                return aerr(c, loc, "22023", "length for type %s must be at least 1", name);
            out->mod = mod;
        } else if (!strcmp(name, "float") && mod > 0) {
            if (mod > 53)
                return aerr(c, loc, "22023", "precision for type float must be less than 54 bits");
            out->ty = mod <= 24 ? TY_FLOAT4 : TY_FLOAT8;
        } else if (tn->n_typmods) {
            return notsup(c, loc, "type modifiers of %s are not supported", name);
        }
        return TWILL_OK;
    }
    if (strstr(name, "serial"))
        return notsup(c, loc, "type %s is not supported yet (use a bigint primary key)", name);
    return notsup(c, loc, "type %s is not supported", name);
}

static int same_class(int a, int b) {
    if (a == TY_UNKNOWN || b == TY_UNKNOWN) return 1;
    if (ty_is_num(a) && ty_is_num(b)) return 1;
    if (ty_is_text(a) && ty_is_text(b)) return 1;
    if (ty_is_datetime(a) && ty_is_datetime(b)) return 1;
    return a == b;
}

/* Parameter idx (0-based) meets type t: the first context to type it wins, as in
 * PostgreSQL's inference (what ParameterDescription reports). */
static int note_param_type(actx *c, int idx, tw_sqltype t) {
    tw_plan *p = c->p;
    if (idx < 0 || t.ty == TY_UNKNOWN) return TWILL_OK;
    if (idx >= p->nparamtypes) {
        int n = idx + 8;
        tw_sqltype *nt = tw_arena_zalloc(c->a, sizeof *nt * (size_t)n);
        if (!nt) return nomem(c);
        if (p->nparamtypes) memcpy(nt, p->paramtypes, sizeof *nt * (size_t)p->nparamtypes);
        p->paramtypes = nt;
        p->nparamtypes = n;
    }
    if (p->paramtypes[idx].ty == TY_UNKNOWN) p->paramtypes[idx] = t;
    return TWILL_OK;
}

/* Coerces an untyped literal or parameter to type t (literals fold now). */
static int coerce_unknown(actx *c, tw_expr **e, tw_sqltype t, int assign, int loc) {
    tw_expr *x = *e;
    if (x->type.ty != TY_UNKNOWN || t.ty == TY_UNKNOWN) return TWILL_OK;
    if (x->op == EX_PARAM && note_param_type(c, x->idx, t)) return TWILL_ERROR;
    if (x->op == EX_CONST) {
        tw_val v;
        int rc = tw_val_cast(&x->v, t, assign, c->a, &v, NULL);
        if (rc) {
            tw_err tmp;
            tw_err_clear(&tmp);
            tw_val_cast(&x->v, t, assign, c->a, &v, &tmp);
            return aerr(c, loc, tmp.sqlstate, "%s", tmp.msg);
        }
        tw_expr *n = mk(c, EX_CONST, 0);
        if (!n) return nomem(c);
        n->v = v;
        n->type = t;
        *e = n;
        return TWILL_OK;
    }
    tw_expr *n = mk(c, EX_COERCE, 1);
    if (!n) return nomem(c);
    n->args[0] = x;
    n->type = t;
    *e = n;
    return TWILL_OK;
}

static tw_sqltype plain(tw_sqltype t) {
    /* Comparisons ignore length modifiers. */
    if (ty_is_text(t.ty)) return (tw_sqltype){TY_TEXT, -1};
    return t;
}

static int unify(actx *c, tw_expr **a, tw_expr **b, int loc) {
    int rc = coerce_unknown(c, a, plain((*b)->type), 0, loc);
    if (!rc) rc = coerce_unknown(c, b, plain((*a)->type), 0, loc);
    return rc;
}

static int type_error(actx *c, int loc, const char *op, tw_sqltype a, tw_sqltype b) {
    char x[64], y[64];
    return aerr(c, loc, "42883", "operator does not exist: %s %s %s", tw_type_name(a, x, sizeof x),
                op, tw_type_name(b, y, sizeof y));
}

/* Assignment of an expression to a column of type t. */
static int assign_to(actx *c, tw_expr **e, tw_sqltype t, const char *colname, int loc) {
    tw_expr *x = *e;
    if (x->type.ty == TY_UNKNOWN) {
        if (x->op == EX_PARAM && note_param_type(c, x->idx, t)) return TWILL_ERROR;
        if (x->op == EX_CONST || t.ty == TY_UNKNOWN) return coerce_unknown(c, e, t, 1, loc);
    } else if (!same_class(x->type.ty, t.ty) &&
               !(ty_is_text(t.ty) && (ty_is_num(x->type.ty) || ty_is_datetime(x->type.ty) ||
                                      x->type.ty >= TY_INTERVAL))) {
        char a[64], b[64];
        return aerr(c, loc, "42804", "column \"%s\" is of type %s but expression is of type %s",
                    colname, tw_type_name(t, a, sizeof a), tw_type_name(x->type, b, sizeof b));
    }
    if (x->type.ty == t.ty && x->type.mod == t.mod) return TWILL_OK;
    if (x->op == EX_CONST) {
        tw_val v;
        tw_err tmp;
        tw_err_clear(&tmp);
        if (tw_val_cast(&x->v, t, 1, c->a, &v, &tmp))
            return aerr(c, loc, tmp.sqlstate, "%s", tmp.msg);
        tw_expr *n = mk(c, EX_CONST, 0);
        if (!n) return nomem(c);
        n->v = v;
        n->type = t;
        *e = n;
        return TWILL_OK;
    }
    tw_expr *n = mk(c, EX_CAST, 1);
    if (!n) return nomem(c);
    n->args[0] = x;
    n->type = t;
    n->aux = 1;
    *e = n;
    return TWILL_OK;
}

/* ---- expressions ---- */

static int cx(actx *c, Node *n, tw_expr **out);
static int has_agg(Node *n);

static int is_agg_name(const char *s) {
    return !strcmp(s, "count") || !strcmp(s, "sum") || !strcmp(s, "min") || !strcmp(s, "max") ||
           !strcmp(s, "avg") || !strcmp(s, "array_agg") || !strcmp(s, "json_agg") ||
           !strcmp(s, "jsonb_agg") || !strcmp(s, "string_agg") || !strcmp(s, "bool_and") ||
           !strcmp(s, "bool_or") || !strcmp(s, "every");
}

static int cx_const(actx *c, PgQuery__AConst *k, tw_expr **out) {
    tw_expr *e = mk(c, EX_CONST, 0);
    if (!e) return nomem(c);
    *out = e;
    if (k->isnull || k->val_case == PG_QUERY__A__CONST__VAL__NOT_SET) {
        e->v.k = VK_NULL;
        e->type.ty = TY_UNKNOWN;
        return TWILL_OK;
    }
    switch (k->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
        e->v.k = VK_INT;
        e->v.i = k->ival->ival;
        e->type.ty = TY_INT4;
        return TWILL_OK;
    case PG_QUERY__A__CONST__VAL_FVAL: {
        const char *s = k->fval->fval;
        int64_t iv;
        if (!strpbrk(s, ".eE") && tw_parse_int(s, strlen(s), TY_INT8, &iv, NULL) == TWILL_OK) {
            e->v.k = VK_INT;
            e->v.i = iv;
            e->type.ty = TY_INT8;
            return TWILL_OK;
        }
        /* decimal literals (1.5, 1e3) and integers beyond bigint are numeric */
        tw_err tmp;
        tw_err_clear(&tmp);
        tw_num nv;
        if (tw_num_parse(s, strlen(s), &nv, &tmp))
            return aerr(c, k->location, tmp.sqlstate, "%s", tmp.msg);
        tw_num_set(&e->v, nv);
        e->type.ty = TY_NUMERIC;
        e->type.mod = -1;
        return TWILL_OK;
    }
    case PG_QUERY__A__CONST__VAL_BOOLVAL:
        e->v.k = VK_BOOL;
        e->v.i = k->boolval->boolval != 0;
        e->type.ty = TY_BOOL;
        return TWILL_OK;
    case PG_QUERY__A__CONST__VAL_SVAL: {
        const char *s = k->sval->sval ? k->sval->sval : "";
        size_t n = strlen(s);
        e->v.k = VK_TEXT;
        e->v.s = tw_arena_strndup(c->a, s, n);
        e->v.n = n;
        if (!e->v.s) return nomem(c);
        e->type.ty = TY_UNKNOWN;
        return TWILL_OK;
    }
    default:
        return notsup(c, k->location, "bit string literals are not supported");
    }
}

static int cx_colref(actx *c, PgQuery__ColumnRef *r, tw_expr **out) {
    const char *qual = NULL, *name = NULL;
    if (r->n_fields == 1) {
        name = str_of(r->fields[0]);
    } else if (r->n_fields == 2) {
        qual = str_of(r->fields[0]);
        name = str_of(r->fields[1]);
    } else if (r->n_fields > 2) {
        return notsup(c, r->location, "qualified names with schema are not supported here");
    }
    if (!name) return notsup(c, r->location, "\"*\" is not allowed here");
    const scope_ent *found = NULL;
    int col = -1, qual_seen = 0;
    for (int i = 0; i < c->nsc; i++) {
        const scope_ent *e = &c->sc[i];
        if (qual && strcmp(qual, ent_name(e))) continue;
        qual_seen = 1;
        int k = tw_table_column(e->t, name);
        if (k < 0 || (!qual && e->merged && e->merged[k])) continue;
        if (found)
            return aerr(c, r->location, "42702", "column reference \"%s\" is ambiguous", name);
        found = e;
        col = k;
    }
    if (!found && c->parent) {
        /* A correlated reference: a column of the enclosing query's row. */
        actx *pc = c->parent;
        for (int i = 0; i < pc->nsc && !found; i++) {
            const scope_ent *e = &pc->sc[i];
            if (qual && strcmp(qual, ent_name(e))) continue;
            int k = tw_table_column(e->t, name);
            if (k < 0) continue;
            found = e;
            col = k;
        }
        if (found) {
            if (pc->agg_mode || pc->parent)
                return notsup(c, r->location,
                              "this correlated subquery form is not supported (outer reference "
                              "from an aggregate query or more than one level up)");
            c->correlated = 1;
            tw_expr *e = mk(c, EX_OUTER, 0);
            if (!e) return nomem(c);
            e->idx = found->offset + col;
            if (e->idx > c->outer_max) c->outer_max = e->idx;
            e->type = found->t->cols[col].type;
            *out = e;
            return TWILL_OK;
        }
        if (qual) {
            for (int i = 0; i < pc->nsc; i++) qual_seen |= !strcmp(qual, ent_name(&pc->sc[i]));
        }
    }
    if (qual && !qual_seen)
        return aerr(c, r->location, "42P01", "missing FROM-clause entry for table \"%s\"", qual);
    if (!found) {
        if (qual) return aerr(c, r->location, "42703", "column %s.%s does not exist", qual, name);
        return aerr(c, r->location, "42703", "column \"%s\" does not exist", name);
    }
    tw_expr *e = mk(c, EX_COL, 0);
    if (!e) return nomem(c);
    e->idx = found->offset + col;
    e->type = found->t->cols[col].type;
    *out = e;
    return TWILL_OK;
}

/* "alias.column" of a combined-row column, for messages. */
static void col_label(const actx *c, int idx, char *buf, size_t cap) {
    for (int i = 0; i < c->nsc; i++) {
        const scope_ent *e = &c->sc[i];
        if (idx >= e->offset && idx < e->offset + e->t->ncols) {
            snprintf(buf, cap, "%s.%s", ent_name(e), e->t->cols[idx - e->offset].name);
            return;
        }
    }
    snprintf(buf, cap, "?");
}

static int scope_has_column(const actx *c, const char *name) {
    for (int i = 0; i < c->nsc; i++)
        if (tw_table_column(c->sc[i].t, name) >= 0) return 1;
    return 0;
}

/* In aggregate mode, an expression over the input row must be a GROUP BY expression;
 * it becomes a reference to the group slot of the aggregated row. */
static int to_group_ref(actx *c, tw_expr **e, int loc, const char *what) {
    for (int i = 0; i < c->ngroup; i++) {
        if (tw_expr_equal(c->group[i], *e)) {
            tw_expr *r = mk(c, EX_COL, 0);
            if (!r) return nomem(c);
            r->idx = i;
            r->type = (*e)->type;
            *e = r;
            return TWILL_OK;
        }
    }
    return aerr(
        c, loc, "42803",
        "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function",
        what);
}

static int cx_agg(actx *c, PgQuery__FuncCall *f, const char *fname, tw_expr **out) {
    if (c->no_agg_where)
        return aerr(c, f->location, "42803", "aggregate functions are not allowed in %s",
                    c->no_agg_where);
    if (c->in_agg)
        return aerr(c, f->location, "42803", "aggregate function calls cannot be nested");
    if (!c->agg_mode) return aerr(c, f->location, "42803", "aggregate function not allowed here");
    if (f->n_agg_order || f->agg_filter || f->agg_within_group)
        return notsup(c, f->location, "ORDER BY / FILTER in aggregates is not supported");
    tw_aggdef d = {0};
    d.distinct = f->agg_distinct != 0;
    d.type.mod = -1;
    if (f->agg_star) {
        if (strcmp(fname, "count"))
            return aerr(c, f->location, "42809", "%s(*) is not an aggregate with a star argument",
                        fname);
        d.fn = AG_COUNT_STAR;
        d.type.ty = TY_INT8;
    } else if (!strcmp(fname, "string_agg")) {
        /* string_agg(text, delimiter) / string_agg(bytea, delimiter) */
        if (f->n_args != 2)
            return aerr(c, f->location, "42883",
                        "function string_agg with %zu arguments does not exist", f->n_args);
        c->in_agg = 1;
        int saved_mode = c->agg_mode;
        c->agg_mode = 0;
        int rc = cx(c, f->args[0], &d.arg);
        if (!rc) rc = cx(c, f->args[1], &d.arg2);
        c->agg_mode = saved_mode;
        c->in_agg = 0;
        if (rc) return rc;
        tw_sqltype want = d.arg->type.ty == TY_BYTEA || d.arg2->type.ty == TY_BYTEA
                              ? (tw_sqltype){TY_BYTEA, -1}
                              : (tw_sqltype){TY_TEXT, -1};
        if (coerce_unknown(c, &d.arg, want, 0, f->location) ||
            coerce_unknown(c, &d.arg2, want, 0, f->location))
            return TWILL_ERROR;
        int ok = want.ty == TY_BYTEA ? d.arg->type.ty == TY_BYTEA && d.arg2->type.ty == TY_BYTEA
                                     : ty_is_text(d.arg->type.ty) && ty_is_text(d.arg2->type.ty);
        if (!ok)
            return aerr(c, f->location, "42883", "function string_agg(%s, %s) does not exist",
                        tw_type_name(d.arg->type, (char[64]){0}, 64),
                        tw_type_name(d.arg2->type, (char[64]){0}, 64));
        d.fn = AG_STRING_AGG;
        d.type = want;
    } else {
        if (f->n_args != 1)
            return aerr(c, f->location, "42883", "function %s takes exactly one argument", fname);
        c->in_agg = 1;
        int saved_mode = c->agg_mode;
        c->agg_mode = 0;
        int rc = cx(c, f->args[0], &d.arg);
        c->agg_mode = saved_mode;
        c->in_agg = 0;
        if (rc) return rc;
        int at = d.arg->type.ty;
        if (!strcmp(fname, "count")) {
            d.fn = AG_COUNT;
            d.type.ty = TY_INT8;
        } else if (!strcmp(fname, "min") || !strcmp(fname, "max")) {
            d.fn = fname[1] == 'i' ? AG_MIN : AG_MAX;
            d.type = d.arg->type;
            if (at == TY_UUID || at == TY_JSON || at == TY_JSONB) /* none in PostgreSQL 15 */
                return aerr(c, f->location, "42883", "function %s(%s) does not exist", fname,
                            tw_type_name(d.arg->type, (char[64]){0}, 64));
            if (at == TY_UNKNOWN) d.type = (tw_sqltype){TY_TEXT, -1};
        } else if (!strcmp(fname, "bool_and") || !strcmp(fname, "bool_or") ||
                   !strcmp(fname, "every")) {
            if (at == TY_UNKNOWN &&
                coerce_unknown(c, &d.arg, (tw_sqltype){TY_BOOL, -1}, 0, f->location))
                return TWILL_ERROR;
            if (d.arg->type.ty != TY_BOOL)
                return aerr(c, f->location, "42883", "function %s(%s) does not exist", fname,
                            tw_type_name(d.arg->type, (char[64]){0}, 64));
            d.fn = !strcmp(fname, "bool_or") ? AG_BOOL_OR : AG_BOOL_AND;
            d.type = (tw_sqltype){TY_BOOL, -1};
        } else if (!strcmp(fname, "array_agg") || !strcmp(fname, "json_agg") ||
                   !strcmp(fname, "jsonb_agg")) {
            /* NULL inputs are kept; no rows give NULL (array.h, json.h) */
            if (d.distinct)
                return notsup(c, f->location, "%s(DISTINCT ...) is not supported", fname);
            if (at == TY_UNKNOWN) {
                if (coerce_unknown(c, &d.arg, (tw_sqltype){TY_TEXT, -1}, 0, f->location))
                    return TWILL_ERROR;
                at = TY_TEXT;
            }
            if (fname[0] == 'a') {
                int et = plain(d.arg->type).ty;
                if (!tw_array_elem_ok(et))
                    return notsup(c, f->location, "array_agg of type %s is not supported",
                                  tw_type_name(d.arg->type, (char[64]){0}, 64));
                d.fn = AG_ARRAY_AGG;
                d.type = (tw_sqltype){TY_ARRAY, et};
            } else {
                d.fn = fname[4] == 'b' ? AG_JSONB_AGG : AG_JSON_AGG;
                d.type = (tw_sqltype){fname[4] == 'b' ? TY_JSONB : TY_JSON, -1};
            }
        } else {
            if (at == TY_UNKNOWN) {
                if (coerce_unknown(c, &d.arg, (tw_sqltype){TY_FLOAT8, -1}, 0, f->location))
                    return TWILL_ERROR;
                at = TY_FLOAT8;
            }
            if (!ty_is_num(at))
                return aerr(c, f->location, "42883", "function %s(%s) does not exist", fname,
                            tw_type_name(d.arg->type, (char[64]){0}, 64));
            d.fn = fname[0] == 's' ? AG_SUM : AG_AVG;
            /* PostgreSQL: sum(int2/int4) is bigint; sum(int8), sum(numeric) and avg over
             * integers or numeric are numeric; floats stay float8 */
            if (ty_is_float(at))
                d.type.ty = TY_FLOAT8;
            else if (d.fn == AG_SUM && (at == TY_INT2 || at == TY_INT4))
                d.type.ty = TY_INT8;
            else
                d.type.ty = TY_NUMERIC;
        }
    }
    if (c->naggs == c->capaggs) {
        int nc = c->capaggs ? c->capaggs * 2 : 8;
        tw_aggdef *na = tw_arena_alloc(c->a, sizeof *na * (size_t)nc);
        if (!na) return nomem(c);
        if (c->naggs) memcpy(na, c->aggs, sizeof *na * (size_t)c->naggs);
        c->aggs = na;
        c->capaggs = nc;
    }
    /* Identical aggregates share a slot. */
    int slot = -1;
    for (int i = 0; i < c->naggs; i++)
        if (c->aggs[i].fn == d.fn && c->aggs[i].distinct == d.distinct &&
            ((!d.arg && !c->aggs[i].arg) ||
             (d.arg && c->aggs[i].arg && tw_expr_equal(d.arg, c->aggs[i].arg))) &&
            ((!d.arg2 && !c->aggs[i].arg2) ||
             (d.arg2 && c->aggs[i].arg2 && tw_expr_equal(d.arg2, c->aggs[i].arg2))))
            slot = i;
    if (slot < 0) {
        slot = c->naggs;
        c->aggs[c->naggs++] = d;
    }
    tw_expr *e = mk(c, EX_COL, 0);
    if (!e) return nomem(c);
    e->idx = c->ngroup + slot;
    e->type = d.type;
    *out = e;
    return TWILL_OK;
}

/* round/trunc(x [, places]), ceil/ceiling/floor(x). As in PostgreSQL, the one-argument
 * forms of an integer or float are the float8 functions and the two-argument forms exist
 * for numeric only. */
static int cx_round(actx *c, PgQuery__FuncCall *f, const char *name, tw_expr **out) {
    int fn = name[0] == 'r'   ? TW_FN_ROUND
             : name[0] == 't' ? TW_FN_TRUNC
             : name[0] == 'c' ? TW_FN_CEIL
                              : TW_FN_FLOOR;
    int two = fn == TW_FN_ROUND || fn == TW_FN_TRUNC;
    if (f->n_args < 1 || f->n_args > (two ? 2 : 1) || f->agg_star || f->agg_distinct)
        return aerr(c, f->location, "42883", "function %s with %d arguments does not exist", name,
                    (int)f->n_args);
    tw_expr *e = mk(c, EX_FUNC, (int)f->n_args);
    if (!e) return nomem(c);
    e->aux = (uint8_t)fn;
    for (int i = 0; i < (int)f->n_args; i++)
        if (cx(c, f->args[i], &e->args[i])) return TWILL_ERROR;
    tw_sqltype want = {f->n_args == 2 ? TY_NUMERIC : TY_FLOAT8, -1};
    if (coerce_unknown(c, &e->args[0], want, 0, f->location)) return TWILL_ERROR;
    int at = e->args[0]->type.ty;
    if (!ty_is_num(at) || (f->n_args == 2 && ty_is_float(at)))
        return aerr(c, f->location, "42883", "function %s(%s%s) does not exist", name,
                    tw_type_name(e->args[0]->type, (char[64]){0}, 64),
                    f->n_args == 2 ? ", integer" : "");
    if (f->n_args == 2) {
        if (coerce_unknown(c, &e->args[1], (tw_sqltype){TY_INT4, -1}, 0, f->location))
            return TWILL_ERROR;
        if (!ty_is_int(e->args[1]->type.ty))
            return aerr(c, f->location, "42883", "function %s(numeric, %s) does not exist", name,
                        tw_type_name(e->args[1]->type, (char[64]){0}, 64));
    }
    e->type.mod = -1;
    e->type.ty = at == TY_NUMERIC || f->n_args == 2 ? TY_NUMERIC : TY_FLOAT8;
    *out = e;
    return TWILL_OK;
}

/* nextval / currval / setval / lastval: EX_SUBQ nodes of kind TW_SQ_SEQ, evaluated by
 * the executor's callback. The sequence is named by text (PostgreSQL's regclass
 * argument, resolved at run time here). */
static int cx_seqfn(actx *c, PgQuery__FuncCall *f, const char *name, tw_expr **out) {
    int fn = !strcmp(name, "nextval")   ? TW_SEQ_NEXTVAL
             : !strcmp(name, "currval") ? TW_SEQ_CURRVAL
             : !strcmp(name, "setval")  ? TW_SEQ_SETVAL
                                        : TW_SEQ_LASTVAL;
    size_t lo = fn == TW_SEQ_LASTVAL ? 0 : fn == TW_SEQ_SETVAL ? 2 : 1;
    size_t hi = fn == TW_SEQ_SETVAL ? 3 : lo;
    if (f->n_args < lo || f->n_args > hi || f->agg_star || f->agg_distinct)
        return aerr(c, f->location, "42883", "function %s with %zu arguments does not exist", name,
                    f->n_args);
    tw_expr *e = mk(c, EX_SUBQ, (int)f->n_args);
    if (!e) return nomem(c);
    e->aux = TW_SQ_SEQ;
    e->idx = fn;
    static const int want[3] = {TY_TEXT, TY_INT8, TY_BOOL};
    for (size_t i = 0; i < f->n_args; i++) {
        int rc = cx(c, f->args[i], &e->args[i]);
        if (rc) return rc;
        tw_sqltype t = {want[i], -1};
        if (coerce_unknown(c, &e->args[i], t, 0, f->location)) return TWILL_ERROR;
        int at = e->args[i]->type.ty;
        int ok = at == TY_UNKNOWN ||
                 (i == 0   ? ty_is_text(at)
                  : i == 1 ? ty_is_num(at) && at != TY_FLOAT4 && at != TY_FLOAT8 && at != TY_NUMERIC
                           : at == TY_BOOL);
        if (!ok)
            return aerr(c, f->location, "42883", "function %s(%s) does not exist", name,
                        tw_type_name(e->args[i]->type, (char[64]){0}, 64));
    }
    e->type = (tw_sqltype){TY_INT8, -1};
    *out = e;
    return TWILL_OK;
}

/* now() and the SQL value functions: the transaction's start time (stable within a
 * transaction, as in PostgreSQL), read by the executor like a sequence function. */
static int mk_now(actx *c, int fn, int loc, tw_expr **out) {
    (void)loc;
    tw_expr *e = mk(c, EX_SUBQ, 0);
    if (!e) return nomem(c);
    e->aux = TW_SQ_SEQ;
    e->idx = fn;
    e->type = (tw_sqltype){fn == TW_SEQ_NOW_DATE ? TY_DATE
                           : fn == TW_SEQ_NOW_TS ? TY_TIMESTAMP
                                                 : TY_TIMESTAMPTZ,
                           -1};
    *out = e;
    return TWILL_OK;
}

/* ---- system catalogs (pgcatalog.h, func_catalog.c) ---- */

/* x::regclass / regtype / regnamespace / regproc / regrole: a name in, an oid out (the
 * registered function <type>in), an oid in, a name out (<type>out) — these types exist
 * only as the conversions; ::oid is bigint and ::name text (shown as oid / name). *done: 1 when
 * *out is built, 2 when *t is the type to cast to, 0 for any other type. */
static int catalog_cast(actx *c, PgQuery__TypeCast *tc, tw_sqltype *t, tw_expr **out, int *done) {
    const PgQuery__TypeName *tn = tc->type_name;
    *done = 0;
    if (!tn || !tn->n_names || tn->n_array_bounds || tn->n_typmods) return TWILL_OK;
    const char *name = str_of(tn->names[tn->n_names - 1]);
    const char *schema = tn->n_names > 1 ? str_of(tn->names[0]) : "pg_catalog";
    if (!name || !schema || strcmp(schema, "pg_catalog")) return TWILL_OK;
    if (!strcmp(name, "oid") || !strcmp(name, "name")) {
        *t =
            name[0] == 'o' ? (tw_sqltype){TY_INT8, TW_MOD_OID} : (tw_sqltype){TY_TEXT, TW_MOD_NAME};
        *done = 2;
        return TWILL_OK;
    }
    if (strcmp(name, "regclass") && strcmp(name, "regtype") && strcmp(name, "regnamespace") &&
        strcmp(name, "regproc") && strcmp(name, "regrole"))
        return TWILL_OK;
    tw_expr *a;
    int rc = cx(c, tc->arg, &a);
    if (rc) return rc;
    int in = a->type.ty == TY_UNKNOWN || ty_is_text(a->type.ty);
    if (!in && !ty_is_int(a->type.ty))
        return aerr(c, tc->location, "42846", "cannot cast type %s to %s",
                    tw_type_name(a->type, (char[64]){0}, 64), name);
    if (coerce_unknown(c, &a, (tw_sqltype){TY_TEXT, -1}, 0, tc->location)) return TWILL_ERROR;
    char fname[32];
    snprintf(fname, sizeof fname, "%s%s", name, in ? "in" : "out");
    const tw_func *fn = tw_func_resolve(fname, &a->type, 1);
    if (!fn) return notsup(c, tc->location, "type %s is not supported", name);
    tw_expr *e = mk(c, EX_CALL, 1);
    if (!e) return nomem(c);
    e->args[0] = a;
    e->fn = fn;
    e->type = (tw_sqltype){fn->ret, -1};
    *out = e;
    *done = 1;
    return TWILL_OK;
}

/* COLLATE "C" / "POSIX" / pg_catalog.default: text already compares bytewise (a no-op). */
static int cx_collate(actx *c, PgQuery__CollateClause *cc, tw_expr **out) {
    const char *coll = cc->n_collname ? str_of(cc->collname[cc->n_collname - 1]) : NULL;
    if (!coll || (strcmp(coll, "C") && strcmp(coll, "POSIX") && strcmp(coll, "default")))
        return notsup(c, cc->location, "collation \"%s\" is not supported (only \"C\")",
                      coll ? coll : "?");
    return cx(c, cc->arg, out);
}

static int text_const(actx *c, const char *v, tw_expr **out) {
    tw_expr *e = mk(c, EX_CONST, 0);
    if (!e) return nomem(c);
    e->v = (tw_val){.k = VK_TEXT, .s = v, .n = strlen(v)};
    e->type = (tw_sqltype){TY_TEXT, -1};
    *out = e;
    return TWILL_OK;
}

static int cx_sqlvalue(actx *c, const PgQuery__SQLValueFunction *f, tw_expr **out) {
    switch (f->op) {
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
        return mk_now(c, TW_SEQ_NOW_DATE, f->location, out);
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
        return mk_now(c, TW_SEQ_NOW_TSTZ, f->location, out);
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
        return mk_now(c, TW_SEQ_NOW_TS, f->location, out);
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
        return text_const(c, TW_PGCAT_USER, out);
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
        return text_const(c, TW_PGCAT_DATABASE, out);
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
        return text_const(c, "public", out);
    default:
        return notsup(c, f->location, "this SQL value function is not supported");
    }
}

/* nextval('name') as an expression (serial / identity column defaults). */
static tw_expr *seq_nextval(actx *c, const char *seqname) {
    tw_expr *e = mk(c, EX_SUBQ, 1), *a = mk(c, EX_CONST, 0);
    if (!e || !a) return NULL;
    e->aux = TW_SQ_SEQ;
    e->idx = TW_SEQ_NEXTVAL;
    e->type = (tw_sqltype){TY_INT8, -1};
    a->v.k = VK_TEXT;
    a->v.s = seqname;
    a->v.n = strlen(seqname);
    a->type = (tw_sqltype){TY_TEXT, -1};
    e->args[0] = a;
    return e;
}

/* A column's DEFAULT as an expression of its type. */
static int mk_now(actx *c, int fn, int loc, tw_expr **out);

static int default_expr(actx *c, const tw_column *col, tw_expr **out) {
    if (col->has_default == TW_DEF_SEQ) {
        if (!(*out = seq_nextval(c, col->seqname))) return nomem(c);
        return assign_to(c, out, col->type, col->name, -1);
    }
    if (col->has_default == TW_DEF_NOW && col->nowfn == TW_SEQ_GEN_UUID) {
        tw_expr *e = mk(c, EX_CALL, 0);
        if (!e) return nomem(c);
        e->fn = tw_func_resolve("gen_random_uuid", NULL, 0);
        e->type = (tw_sqltype){TY_UUID, -1};
        *out = e;
        return assign_to(c, out, col->type, col->name, -1);
    }
    if (col->has_default == TW_DEF_NOW) {
        if (mk_now(c, col->nowfn, -1, out)) return TWILL_ERROR;
        return assign_to(c, out, col->type, col->name, -1);
    }
    tw_expr *e = mk(c, EX_CONST, 0);
    if (!e) return nomem(c);
    e->v.k = VK_NULL;
    if (col->has_default) e->v = col->defval;
    e->type = col->type;
    *out = e;
    return TWILL_OK;
}

/* extract(unit FROM x) → numeric, date_part(unit, x) → double precision, date_trunc(unit,
 * x) → x's type. As in PostgreSQL, date_part and date_trunc have no date form: a date
 * becomes a timestamp / timestamptz (midnight UTC); extract has one. */
static int cx_dtfunc(actx *c, PgQuery__FuncCall *f, const char *name, tw_expr **out) {
    int fn = name[0] == 'e' ? TW_FN_EXTRACT : name[5] == 'p' ? TW_FN_DATE_PART : TW_FN_DATE_TRUNC;
    if (f->n_args != 2 || f->agg_star || f->agg_distinct)
        return aerr(c, f->location, "42883", "function %s with %zu arguments does not exist", name,
                    f->n_args);
    tw_expr *e = mk(c, EX_FUNC, 2);
    if (!e) return nomem(c);
    e->aux = (uint8_t)fn;
    for (int i = 0; i < 2; i++)
        if (cx(c, f->args[i], &e->args[i])) return TWILL_ERROR;
    if (coerce_unknown(c, &e->args[0], (tw_sqltype){TY_TEXT, -1}, 0, f->location) ||
        coerce_unknown(c, &e->args[1], (tw_sqltype){TY_TIMESTAMPTZ, -1}, 0, f->location))
        return TWILL_ERROR;
    int at = e->args[1]->type.ty;
    if (!ty_is_text(e->args[0]->type.ty) || !ty_is_datetime(at))
        return aerr(c, f->location, "42883", "function %s(%s, %s) does not exist", name,
                    tw_type_name(e->args[0]->type, (char[64]){0}, 64),
                    tw_type_name(e->args[1]->type, (char[64]){0}, 64));
    if (at == TY_DATE && fn != TW_FN_EXTRACT) {
        tw_expr *x = mk(c, EX_CAST, 1);
        if (!x) return nomem(c);
        x->args[0] = e->args[1];
        x->type = (tw_sqltype){fn == TW_FN_DATE_PART ? TY_TIMESTAMP : TY_TIMESTAMPTZ, -1};
        e->args[1] = x;
        at = x->type.ty;
    }
    e->type = (tw_sqltype){fn == TW_FN_EXTRACT     ? TY_NUMERIC
                           : fn == TW_FN_DATE_PART ? TY_FLOAT8
                                                   : (uint8_t)at,
                           -1};
    *out = e;
    return TWILL_OK;
}

static int unify_results(actx *c, tw_expr **v, int n, int loc, tw_sqltype *out);

/* Widens argument *e to type ty with an implicit cast (folded for a constant). */
static int widen(actx *c, tw_expr **e, int ty) {
    tw_sqltype t = {(uint8_t)ty, -1};
    if ((*e)->op == EX_CONST) {
        tw_val r;
        if ((*e)->v.k != VK_NULL && tw_val_cast(&(*e)->v, t, 0, c->a, &r, c->err))
            return TWILL_ERROR;
        tw_expr *k = mk(c, EX_CONST, 0);
        if (!k) return nomem(c);
        k->v = (*e)->v.k == VK_NULL ? (*e)->v : r;
        k->type = t;
        *e = k;
        return TWILL_OK;
    }
    tw_expr *w = mk(c, EX_CAST, 1);
    if (!w) return nomem(c);
    w->args[0] = *e;
    w->type = t;
    *e = w;
    return TWILL_OK;
}

/* The type an argument in a slot of signature letter l is converted to (TY_UNKNOWN: as
 * it is). */
static int letter_type(char l, int have) {
    switch (l) {
    case 't':
        return have == TY_UNKNOWN ? TY_TEXT : TY_UNKNOWN;
    case 'i':
        return have == TY_UNKNOWN ? TY_INT4 : TY_UNKNOWN;
    case 'f':
        return have == TY_FLOAT8 ? TY_UNKNOWN : TY_FLOAT8;
    case 'n':
    case 'N':
        return have == TY_NUMERIC ? TY_UNKNOWN : TY_NUMERIC;
    case 'b':
        return TY_BOOL;
    case 'd':
        return TY_DATE;
    case 's':
        return TY_TIMESTAMP;
    case 'z':
        return TY_TIMESTAMPTZ;
    case 'v':
        return TY_INTERVAL;
    case 'x':
        return TY_BYTEA;
    case 'u':
        return TY_UUID;
    case 'j':
        return TY_JSON;
    case 'J':
        return TY_JSONB;
    case 'T':
        return TY_ARRAY; /* of text */
    case 'a':
        return have == TY_UNKNOWN ? TY_TEXT : TY_UNKNOWN;
    }
    return TY_UNKNOWN;
}

/* A call of a registered built-in (func.h). */
static int cx_call(actx *c, PgQuery__FuncCall *f, const char *name, tw_expr **out) {
    if (!tw_func_known(name)) return notsup(c, f->location, "function %s() is not supported", name);
    if (f->agg_star || f->agg_distinct || f->n_agg_order || f->agg_filter)
        return aerr(c, f->location, "42809", "%s specified, but %s is not an aggregate function",
                    f->agg_star       ? "*"
                    : f->agg_distinct ? "DISTINCT"
                                      : "ORDER BY or FILTER",
                    name);
    if (f->n_args > TW_FUNC_MAX_ARGS)
        return aerr(c, f->location, "54023", "cannot pass more than %d arguments to a function",
                    TW_FUNC_MAX_ARGS);
    int n = (int)f->n_args, rc;
    tw_expr *e = mk(c, EX_CALL, n);
    tw_sqltype at[TW_FUNC_MAX_ARGS];
    if (!e) return nomem(c);
    for (int i = 0; i < n; i++) {
        if ((rc = cx(c, f->args[i], &e->args[i]))) return rc;
        at[i] = e->args[i]->type;
    }
    const tw_func *fn = tw_func_resolve(name, at, n);
    if (!fn) {
        char sig[512];
        int o = 0;
        for (int i = 0; i < n && o < (int)sizeof sig - 70; i++)
            o += snprintf(sig + o, sizeof sig - (size_t)o, "%s%s", i ? ", " : "",
                          at[i].ty == TY_UNKNOWN ? "unknown"
                                                 : tw_type_name(at[i], (char[64]){0}, 64));
        sig[o] = 0;
        return aerr(c, f->location, "42883", "function %s(%s) does not exist", name, sig);
    }
    e->fn = fn;
    int ncommon = 0;
    tw_expr *common[TW_FUNC_MAX_ARGS];
    for (int i = 0; i < n; i++) {
        char l = tw_func_arg_letter(fn, i);
        if (l == 'c') {
            common[ncommon++] = e->args[i];
            continue;
        }
        if (l == 'A' && e->args[i]->type.ty == TY_UNKNOWN) {
            /* an untyped array takes the type of another array argument */
            tw_sqltype pt = {TY_UNKNOWN, -1};
            for (int k = 0; k < n; k++)
                if (tw_func_arg_letter(fn, k) == 'A' && e->args[k]->type.ty == TY_ARRAY)
                    pt = e->args[k]->type;
            if (pt.ty == TY_UNKNOWN)
                return aerr(c, f->location, "42804",
                            "could not determine polymorphic type because input has type unknown");
            if ((rc = coerce_unknown(c, &e->args[i], pt, 0, f->location))) return rc;
            continue;
        }
        int want = letter_type(l, e->args[i]->type.ty);
        if (want == TY_UNKNOWN) continue;
        if (e->args[i]->type.ty == TY_UNKNOWN)
            rc =
                coerce_unknown(c, &e->args[i], (tw_sqltype){(uint8_t)want, l == 'T' ? TY_TEXT : -1},
                               0, f->location);
        else if (e->args[i]->type.ty != want)
            rc = widen(c, &e->args[i], want);
        if (rc) return rc;
    }
    tw_sqltype ct = {TY_UNKNOWN, -1};
    if (ncommon) {
        if ((rc = unify_results(c, common, ncommon, f->location, &ct))) return rc;
        for (int i = 0, k = 0; i < n; i++)
            if (tw_func_arg_letter(fn, i) == 'c') e->args[i] = common[k++];
    }
    if (fn->ret == TW_RET_COMMON)
        e->type = ct;
    else if (fn->ret == TW_RET_ELEM0)
        e->type = (tw_sqltype){(uint8_t)e->args[0]->type.mod, -1};
    else if (fn->ret == TW_RET_ARG0)
        e->type = n ? plain(e->args[0]->type) : (tw_sqltype){TY_TEXT, -1};
    else if (fn->ret == TW_RET_INTS || fn->ret == TW_RET_INTS4) {
        e->type = (tw_sqltype){fn->ret == TW_RET_INTS4 ? TY_INT4 : TY_INT2, -1};
        for (int i = 0; i < n; i++)
            if (ty_is_int(e->args[i]->type.ty) && e->args[i]->type.ty > e->type.ty)
                e->type.ty = e->args[i]->type.ty;
    } else
        e->type = (tw_sqltype){fn->ret, -1};
    *out = e;
    return TWILL_OK;
}

/* ASC/DESC and NULLS FIRST/LAST of a sort item: as in PostgreSQL, NULL sorts above every
 * value (last ascending, first descending) unless told otherwise. */
static void sort_dir(const PgQuery__SortBy *sb, tw_sortkey *k) {
    k->desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
    k->nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ||
                     (sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST && k->desc);
}

/* ---- window functions ---- */

/* A window function's value is column TW_WIN_MARK + k of the rows below the projection
 * until the window node's input width is known; win_remap then moves it there. */
#define TW_WIN_MARK (1 << 24)

static void win_remap(tw_expr *e, int base) {
    if (!e) return;
    if (e->op == EX_COL && e->idx >= TW_WIN_MARK) e->idx = base + (e->idx - TW_WIN_MARK);
    if (e->op == EX_SUBQ) return; /* another query level */
    for (int i = 0; i < e->nargs; i++) win_remap(e->args[i], base);
}

static int win_expr(actx *c, tw_expr *e) {
    if (c->nwexprs == c->capwexprs) {
        int nc = c->capwexprs ? c->capwexprs * 2 : 8;
        tw_expr **ne = tw_arena_alloc(c->a, sizeof *ne * (size_t)nc);
        if (!ne) return -1;
        if (c->nwexprs) memcpy(ne, c->wexprs, sizeof *ne * (size_t)c->nwexprs);
        c->wexprs = ne;
        c->capwexprs = nc;
    }
    c->wexprs[c->nwexprs] = e;
    return c->nwexprs++;
}

/* FRAMEOPTION_* bits of PostgreSQL's WindowDef.frameOptions */
enum {
    FO_NONDEFAULT = 0x1,
    FO_RANGE = 0x2,
    FO_ROWS = 0x4,
    FO_START_UNBOUNDED_PRECEDING = 0x20,
    FO_END_UNBOUNDED_FOLLOWING = 0x100,
    FO_END_CURRENT_ROW = 0x400,
    FO_EXCLUDE = 0x8000 | 0x10000 | 0x20000
};

static const PgQuery__WindowDef *named_window(actx *c, const char *name, int loc) {
    const PgQuery__SelectStmt *s = c->win_stmt;
    for (size_t i = 0; s && i < s->n_window_clause; i++) {
        const PgQuery__WindowDef *w = s->window_clause[i]->window_def;
        if (w->name && !strcmp(w->name, name)) return w;
    }
    aerr(c, loc, "42704", "window \"%s\" does not exist", name);
    return NULL;
}

/* The window (PARTITION BY, ORDER BY, frame) of an OVER clause, shared with an identical
 * earlier one so their functions are computed in one pass. */
static int win_spec(actx *c, const PgQuery__WindowDef *w, int loc, int *out) {
    const PgQuery__WindowDef *base = NULL;
    const char *ref = w->name && w->name[0]         ? w->name
                      : w->refname && w->refname[0] ? w->refname
                                                    : NULL;
    if (ref && !(base = named_window(c, ref, loc))) return TWILL_ERROR;
    const PgQuery__WindowDef *pw = w->n_partition_clause || !base ? w : base;
    const PgQuery__WindowDef *ow = w->n_order_clause || !base ? w : base;
    int fo = (w->frame_options & FO_NONDEFAULT) || !base ? w->frame_options : base->frame_options;
    if (fo & FO_NONDEFAULT) {
        int ok = (fo & (FO_ROWS | FO_RANGE)) && (fo & FO_START_UNBOUNDED_PRECEDING) &&
                 (fo & (FO_END_CURRENT_ROW | FO_END_UNBOUNDED_FOLLOWING)) && !(fo & FO_EXCLUDE) &&
                 !(fo & ~(FO_NONDEFAULT | FO_RANGE | FO_ROWS | 0x10 | FO_START_UNBOUNDED_PRECEDING |
                          FO_END_CURRENT_ROW | FO_END_UNBOUNDED_FOLLOWING));
        if (!ok)
            return notsup(c, loc,
                          "window frames other than {ROWS|RANGE} BETWEEN UNBOUNDED PRECEDING AND "
                          "{CURRENT ROW|UNBOUNDED FOLLOWING} are not supported");
    }
    tw_winspec sp = {0};
    sp.npart = (int)pw->n_partition_clause;
    sp.norder = (int)ow->n_order_clause;
    sp.frame = fo & FO_END_UNBOUNDED_FOLLOWING ? TW_FRAME_ALL
               : !sp.norder                    ? TW_FRAME_ALL
               : fo & FO_ROWS                  ? TW_FRAME_ROWS
                                               : TW_FRAME_PEERS;
    int nk = sp.npart + sp.norder;
    sp.keys = tw_arena_zalloc(c->a, sizeof *sp.keys * (size_t)(nk ? nk : 1));
    if (!sp.keys) return nomem(c);
    c->in_win = 1;
    int rc = TWILL_OK;
    for (int i = 0; i < nk && !rc; i++) {
        Node *kn;
        tw_sortkey *k = &sp.keys[i];
        if (i < sp.npart) {
            kn = pw->partition_clause[i];
        } else {
            PgQuery__SortBy *sb = ow->order_clause[i - sp.npart]->sort_by;
            if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING) {
                rc = notsup(c, sb->location, "ORDER BY USING is not supported");
                break;
            }
            kn = sb->node;
            sort_dir(sb, k);
        }
        tw_expr *e;
        if ((rc = cx(c, kn, &e))) break;
        if (e->type.ty == TY_UNKNOWN &&
            (rc = coerce_unknown(c, &e, (tw_sqltype){TY_TEXT, -1}, 0, loc)))
            break;
        int at = win_expr(c, e);
        if (at < 0) rc = nomem(c);
        k->col = at; /* an index into the window node's expressions for now */
    }
    c->in_win = 0;
    if (rc) return rc;
    /* share an identical window */
    for (int j = 0; j < c->nwspecs; j++) {
        const tw_winspec *o = &c->wspecs[j];
        int same = o->npart == sp.npart && o->norder == sp.norder && o->frame == sp.frame;
        for (int i = 0; same && i < nk; i++)
            same = o->keys[i].desc == sp.keys[i].desc &&
                   o->keys[i].nulls_first == sp.keys[i].nulls_first &&
                   tw_expr_equal(c->wexprs[o->keys[i].col], c->wexprs[sp.keys[i].col]);
        if (same) {
            *out = j;
            return TWILL_OK;
        }
    }
    if (c->nwspecs == c->capwspecs) {
        int nc = c->capwspecs ? c->capwspecs * 2 : 4;
        tw_winspec *ns = tw_arena_alloc(c->a, sizeof *ns * (size_t)nc);
        if (!ns) return nomem(c);
        if (c->nwspecs) memcpy(ns, c->wspecs, sizeof *ns * (size_t)c->nwspecs);
        c->wspecs = ns;
        c->capwspecs = nc;
    }
    c->wspecs[c->nwspecs] = sp;
    *out = c->nwspecs++;
    return TWILL_OK;
}

/* name(args) OVER (...): row_number, rank, dense_rank, percent_rank, cume_dist, ntile,
 * lag, lead, first_value, last_value, nth_value, and count/sum/avg/min/max as window
 * aggregates. */
static int cx_window(actx *c, PgQuery__FuncCall *f, const char *name, tw_expr **out) {
    static const struct {
        const char *name;
        uint8_t fn;
        int8_t min, max;
    } fns[] = {{"row_number", TW_WF_ROW_NUMBER, 0, 0},
               {"rank", TW_WF_RANK, 0, 0},
               {"dense_rank", TW_WF_DENSE_RANK, 0, 0},
               {"percent_rank", TW_WF_PERCENT_RANK, 0, 0},
               {"cume_dist", TW_WF_CUME_DIST, 0, 0},
               {"ntile", TW_WF_NTILE, 1, 1},
               {"lag", TW_WF_LAG, 1, 3},
               {"lead", TW_WF_LEAD, 1, 3},
               {"first_value", TW_WF_FIRST, 1, 1},
               {"last_value", TW_WF_LAST, 1, 1},
               {"nth_value", TW_WF_NTH, 2, 2},
               {"count", TW_WF_AGG, 0, 1},
               {"sum", TW_WF_AGG, 1, 1},
               {"avg", TW_WF_AGG, 1, 1},
               {"min", TW_WF_AGG, 1, 1},
               {"max", TW_WF_AGG, 1, 1}};
    if (c->in_win || c->in_agg)
        return aerr(c, f->location, "42P20", "window function calls cannot be nested");
    if (!c->win_mode)
        return aerr(c, f->location, "42P20", "window functions are not allowed in %s",
                    c->no_agg_where ? c->no_agg_where : "this context");
    int k = -1;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0] && k < 0; i++)
        if (!strcmp(fns[i].name, name)) k = (int)i;
    if (k < 0) return notsup(c, f->location, "window function %s() is not supported", name);
    if (f->agg_distinct)
        return notsup(c, f->location, "DISTINCT is not implemented for window functions");
    if (f->agg_filter || f->n_agg_order || f->agg_within_group)
        return notsup(c, f->location, "FILTER and ORDER BY in window aggregates are not supported");
    int star = f->agg_star != 0;
    if (star && strcmp(name, "count"))
        return aerr(c, f->location, "42809", "%s(*) is not a window function with a star argument",
                    name);
    if (!star && ((int)f->n_args < fns[k].min || (int)f->n_args > fns[k].max))
        return aerr(c, f->location, "42883", "function %s with %zu arguments does not exist", name,
                    f->n_args);
    tw_winfn w = {0};
    w.fn = fns[k].fn;
    w.nargs = star ? 0 : (int)f->n_args;
    int rc = win_spec(c, f->over, f->location, &w.spec);
    if (rc) return rc;
    tw_expr *args[3] = {NULL, NULL, NULL};
    c->in_win = 1;
    for (int i = 0; i < w.nargs && !rc; i++) rc = cx(c, f->args[i], &args[i]);
    c->in_win = 0;
    if (rc) return rc;
    tw_sqltype at = w.nargs ? args[0]->type : (tw_sqltype){TY_UNKNOWN, -1};
    switch (w.fn) {
    case TW_WF_ROW_NUMBER:
    case TW_WF_RANK:
    case TW_WF_DENSE_RANK:
        w.type = (tw_sqltype){TY_INT8, -1};
        break;
    case TW_WF_NTILE:
        w.type = (tw_sqltype){TY_INT4, -1};
        if (coerce_unknown(c, &args[0], (tw_sqltype){TY_INT4, -1}, 0, f->location))
            return TWILL_ERROR;
        if (!ty_is_int(args[0]->type.ty))
            return aerr(c, f->location, "42883", "function ntile(%s) does not exist",
                        tw_type_name(args[0]->type, (char[64]){0}, 64));
        break;
    case TW_WF_PERCENT_RANK:
    case TW_WF_CUME_DIST:
        w.type = (tw_sqltype){TY_FLOAT8, -1};
        break;
    case TW_WF_LAG:
    case TW_WF_LEAD:
    case TW_WF_FIRST:
    case TW_WF_LAST:
    case TW_WF_NTH:
        if (at.ty == TY_UNKNOWN) {
            if (coerce_unknown(c, &args[0], (tw_sqltype){TY_TEXT, -1}, 0, f->location))
                return TWILL_ERROR;
            at = args[0]->type;
        }
        w.type = plain(at);
        if (w.nargs >= 2) { /* the offset / position */
            if (coerce_unknown(c, &args[1], (tw_sqltype){TY_INT4, -1}, 0, f->location))
                return TWILL_ERROR;
            if (!ty_is_int(args[1]->type.ty))
                return aerr(c, f->location, "42883", "function %s(%s, %s) does not exist", name,
                            tw_type_name(at, (char[64]){0}, 64),
                            tw_type_name(args[1]->type, (char[64]){0}, 64));
        }
        if (w.nargs == 3 && (rc = assign_to(c, &args[2], w.type, name, f->location))) return rc;
        break;
    case TW_WF_AGG: {
        w.agg.type.mod = -1;
        if (star) {
            w.agg.fn = AG_COUNT_STAR;
            w.agg.type.ty = TY_INT8;
        } else if (!strcmp(name, "count")) {
            w.agg.fn = AG_COUNT;
            w.agg.type.ty = TY_INT8;
        } else if (!strcmp(name, "min") || !strcmp(name, "max")) {
            w.agg.fn = name[1] == 'i' ? AG_MIN : AG_MAX;
            if (at.ty == TY_UNKNOWN &&
                coerce_unknown(c, &args[0], (tw_sqltype){TY_TEXT, -1}, 0, f->location))
                return TWILL_ERROR;
            w.agg.type = args[0]->type;
        } else {
            if (at.ty == TY_UNKNOWN) {
                if (coerce_unknown(c, &args[0], (tw_sqltype){TY_FLOAT8, -1}, 0, f->location))
                    return TWILL_ERROR;
                at = args[0]->type;
            }
            if (!ty_is_num(at.ty))
                return aerr(c, f->location, "42883", "function %s(%s) does not exist", name,
                            tw_type_name(at, (char[64]){0}, 64));
            w.agg.fn = name[0] == 's' ? AG_SUM : AG_AVG;
            w.agg.type.ty = ty_is_float(at.ty) ? TY_FLOAT8
                            : w.agg.fn == AG_SUM && (at.ty == TY_INT2 || at.ty == TY_INT4)
                                ? TY_INT8
                                : TY_NUMERIC;
        }
        w.type = w.agg.type;
        break;
    }
    }
    w.argoff = c->nwexprs;
    for (int i = 0; i < w.nargs; i++)
        if (win_expr(c, args[i]) < 0) return nomem(c);
    if (c->nwfns == c->capwfns) {
        int nc = c->capwfns ? c->capwfns * 2 : 4;
        tw_winfn *nf = tw_arena_alloc(c->a, sizeof *nf * (size_t)nc);
        if (!nf) return nomem(c);
        if (c->nwfns) memcpy(nf, c->wfns, sizeof *nf * (size_t)c->nwfns);
        c->wfns = nf;
        c->capwfns = nc;
    }
    c->wfns[c->nwfns] = w;
    tw_expr *e = mk(c, EX_COL, 0);
    if (!e) return nomem(c);
    e->idx = TW_WIN_MARK + c->nwfns++;
    e->type = w.type;
    *out = e;
    return TWILL_OK;
}

static int cx_func(actx *c, PgQuery__FuncCall *f, tw_expr **out) {
    const char *raw = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
    if (!raw) return notsup(c, f->location, "this function call is not supported");
    char *name = lower_dup(c, raw);
    if (!name) return nomem(c);
    if (f->over) return cx_window(c, f, name, out);
    if (is_agg_name(name)) return cx_agg(c, f, name, out);
    if (!strcmp(name, "nextval") || !strcmp(name, "currval") || !strcmp(name, "setval") ||
        !strcmp(name, "lastval"))
        return cx_seqfn(c, f, name, out);
    if (!strcmp(name, "extract") || !strcmp(name, "date_part") || !strcmp(name, "date_trunc"))
        return cx_dtfunc(c, f, name, out);
    if (!strcmp(name, "now") || !strcmp(name, "transaction_timestamp")) {
        if (f->n_args || f->agg_star || f->agg_distinct)
            return aerr(c, f->location, "42883", "function %s with %zu arguments does not exist",
                        name, f->n_args);
        return mk_now(c, TW_SEQ_NOW_TSTZ, f->location, out);
    }
    int fn = -1;
    if (!strcmp(name, "abs"))
        fn = TW_FN_ABS;
    else if (!strcmp(name, "lower"))
        fn = TW_FN_LOWER;
    else if (!strcmp(name, "upper"))
        fn = TW_FN_UPPER;
    else if (!strcmp(name, "length") || !strcmp(name, "char_length") ||
             !strcmp(name, "character_length"))
        fn = TW_FN_LENGTH;
    else if (!strcmp(name, "round") || !strcmp(name, "trunc") || !strcmp(name, "ceil") ||
             !strcmp(name, "ceiling") || !strcmp(name, "floor"))
        return cx_round(c, f, name, out);
    if (fn < 0) return cx_call(c, f, name, out);
    if (f->n_args != 1 || f->agg_star || f->agg_distinct)
        return aerr(c, f->location, "42883", "function %s takes exactly one argument", name);
    tw_expr *e = mk(c, EX_FUNC, 1);
    if (!e) return nomem(c);
    e->aux = (uint8_t)fn;
    int rc = cx(c, f->args[0], &e->args[0]);
    if (rc) return rc;
    tw_sqltype at = e->args[0]->type;
    if (fn == TW_FN_ABS) {
        if (coerce_unknown(c, &e->args[0], (tw_sqltype){TY_FLOAT8, -1}, 0, f->location))
            return TWILL_ERROR;
        e->type = e->args[0]->type;
        if (!ty_is_num(e->type.ty) && e->type.ty != TY_UNKNOWN)
            return aerr(c, f->location, "42883", "function abs(%s) does not exist",
                        tw_type_name(at, (char[64]){0}, 64));
    } else {
        if (at.ty == TY_UNKNOWN &&
            coerce_unknown(c, &e->args[0], (tw_sqltype){TY_TEXT, -1}, 0, f->location))
            return TWILL_ERROR;
        at = e->args[0]->type;
        if (!ty_is_text(at.ty) && !(fn == TW_FN_LENGTH && at.ty == TY_BYTEA))
            return aerr(c, f->location, "42883", "function %s(%s) does not exist", name,
                        tw_type_name(at, (char[64]){0}, 64));
        e->type = fn == TW_FN_LENGTH ? (tw_sqltype){TY_INT4, -1} : (tw_sqltype){TY_TEXT, -1};
    }
    *out = e;
    return TWILL_OK;
}

static int cmp_op(const char *op) {
    if (!strcmp(op, "=")) return EX_EQ;
    if (!strcmp(op, "<>") || !strcmp(op, "!=")) return EX_NE;
    if (!strcmp(op, "<")) return EX_LT;
    if (!strcmp(op, "<=")) return EX_LE;
    if (!strcmp(op, ">")) return EX_GT;
    if (!strcmp(op, ">=")) return EX_GE;
    return -1;
}

static int arith_op(const char *op) {
    if (!strcmp(op, "+")) return EX_ADD;
    if (!strcmp(op, "-")) return EX_SUB;
    if (!strcmp(op, "*")) return EX_MUL;
    if (!strcmp(op, "/")) return EX_DIV;
    if (!strcmp(op, "%")) return EX_MOD;
    return -1;
}

static int mk_cmp(actx *c, int op, tw_expr *a, tw_expr *b, int loc, const char *opname,
                  tw_expr **out) {
    if (unify(c, &a, &b, loc)) return TWILL_ERROR;
    if (!same_class(a->type.ty, b->type.ty) ||
        (a->type.ty == TY_ARRAY && b->type.ty == TY_ARRAY && a->type.mod != b->type.mod &&
         !(ty_is_text(a->type.mod) && ty_is_text(b->type.mod))))
        return type_error(c, loc, opname, a->type, b->type);
    tw_expr *e = mk(c, op, 2);
    if (!e) return nomem(c);
    e->args[0] = a;
    e->args[1] = b;
    e->type.ty = TY_BOOL;
    *out = e;
    return TWILL_OK;
}

static int cx_quantified(actx *c, PgQuery__AExpr *x, const char *op, tw_expr **out);

static int cx_aexpr(actx *c, PgQuery__AExpr *x, tw_expr **out) {
    const char *op = x->n_name ? str_of(x->name[x->n_name - 1]) : NULL;
    int loc = x->location, rc;
    if (!op) return notsup(c, loc, "this operator is not supported");
    tw_expr *a = NULL, *b = NULL;
    switch (x->kind) {
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP: {
        if (x->lexpr && cmp_op(op) < 0 && arith_op(op) < 0 && strcmp(op, "||") &&
            tw_func_known(op)) {
            /* json/jsonb operators (-> ->> #> #>> ? @> <@) are registered functions
             * named by the operator (json.c) */
            Node *args[2] = {x->lexpr, x->rexpr};
            PgQuery__FuncCall fc = PG_QUERY__FUNC_CALL__INIT;
            fc.n_args = 2;
            fc.args = args;
            fc.location = loc;
            return cx_call(c, &fc, op, out);
        }
        if (x->lexpr && (rc = cx(c, x->lexpr, &a))) return rc;
        if ((rc = cx(c, x->rexpr, &b))) return rc;
        if (!a) {
            if (strcmp(op, "-") && strcmp(op, "+"))
                return notsup(c, loc, "prefix operator %s is not supported", op);
            if (coerce_unknown(c, &b, (tw_sqltype){TY_FLOAT8, -1}, 0, loc)) return TWILL_ERROR;
            if (!ty_is_num(b->type.ty) && b->type.ty != TY_UNKNOWN &&
                !(b->type.ty == TY_INTERVAL && op[0] == '-'))
                return aerr(c, loc, "42883", "operator does not exist: %s %s", op,
                            tw_type_name(b->type, (char[64]){0}, 64));
            if (op[0] == '+') {
                *out = b;
                return TWILL_OK;
            }
            tw_expr *e = mk(c, EX_NEG, 1);
            if (!e) return nomem(c);
            e->args[0] = b;
            e->type = b->type;
            *out = e;
            return TWILL_OK;
        }
        int k = cmp_op(op);
        if (k >= 0) return mk_cmp(c, k, a, b, loc, op, out);
        k = arith_op(op);
        if (k >= 0) {
            if (a->type.ty == TY_UNKNOWN && b->type.ty == TY_UNKNOWN && a->op == EX_CONST &&
                b->op == EX_CONST)
                return aerr(c, loc, "42725", "operator is not unique: unknown %s unknown", op);
            /* timestamp + 'literal' is timestamp + interval (no timestamp + timestamp) */
            if (k == EX_ADD) {
                tw_sqltype iv = {TY_INTERVAL, -1};
                int da = a->type.ty == TY_TIMESTAMP || a->type.ty == TY_TIMESTAMPTZ;
                int db = b->type.ty == TY_TIMESTAMP || b->type.ty == TY_TIMESTAMPTZ;
                if ((da && coerce_unknown(c, &b, iv, 0, loc)) ||
                    (db && coerce_unknown(c, &a, iv, 0, loc)))
                    return TWILL_ERROR;
            }
            if (k == EX_SUB && a->type.ty == TY_JSONB &&
                (b->type.ty == TY_UNKNOWN || ty_is_text(b->type.ty) || ty_is_int(b->type.ty))) {
                /* jsonb - text / jsonb - integer (json.c); an untyped right side is text */
                tw_expr *e = mk(c, EX_CALL, 2);
                if (!e) return nomem(c);
                if (coerce_unknown(c, &b, (tw_sqltype){TY_TEXT, -1}, 0, loc)) return TWILL_ERROR;
                e->args[0] = a;
                e->args[1] = b;
                e->fn = tw_func_resolve("- jsonb", (tw_sqltype[]){a->type, b->type}, 2);
                if (!e->fn) return type_error(c, loc, op, a->type, b->type);
                e->type = a->type;
                *out = e;
                return TWILL_OK;
            }
            if (unify(c, &a, &b, loc)) return TWILL_ERROR;
            int ta = a->type.ty, tb = b->type.ty;
            if (ty_is_datetime(ta) || ty_is_datetime(tb) || ta == TY_INTERVAL ||
                tb == TY_INTERVAL) {
                /* date ± integer → date, date − date → integer, timestamp ± interval →
                 * timestamp (a date becomes a timestamp), timestamp − timestamp →
                 * interval, interval ± interval → interval */
                int rt = -1, pm = k == EX_ADD || k == EX_SUB;
                int tsa = ta == TY_TIMESTAMP || ta == TY_TIMESTAMPTZ;
                int tsb = tb == TY_TIMESTAMP || tb == TY_TIMESTAMPTZ;
                if ((tsa || ta == TY_DATE) && tb == TY_INTERVAL && pm)
                    rt = ta == TY_DATE ? TY_TIMESTAMP : ta;
                else if (ta == TY_INTERVAL && (tsb || tb == TY_DATE) && k == EX_ADD)
                    rt = tb == TY_DATE ? TY_TIMESTAMP : tb;
                else if (ta == TY_INTERVAL && tb == TY_INTERVAL && pm)
                    rt = TY_INTERVAL;
                else if (((tsa && (tsb || tb == TY_DATE)) || (ta == TY_DATE && tsb)) && k == EX_SUB)
                    rt = TY_INTERVAL;
                if (ta == TY_DATE && ty_is_int(tb) && tb != TY_INT8 && (k == EX_ADD || k == EX_SUB))
                    rt = TY_DATE;
                else if (ty_is_int(ta) && ta != TY_INT8 && tb == TY_DATE && k == EX_ADD)
                    rt = TY_DATE;
                else if (ta == TY_DATE && tb == TY_DATE && k == EX_SUB)
                    rt = TY_INT4;
                if (rt < 0) return type_error(c, loc, op, a->type, b->type);
                tw_expr *e = mk(c, k, 2);
                if (!e) return nomem(c);
                e->args[0] = a;
                e->args[1] = b;
                e->type = (tw_sqltype){(uint8_t)rt, -1};
                *out = e;
                return TWILL_OK;
            }
            if ((ta != TY_UNKNOWN && !ty_is_num(ta)) || (tb != TY_UNKNOWN && !ty_is_num(tb)))
                return type_error(c, loc, op, a->type, b->type);
            tw_expr *e = mk(c, k, 2);
            if (!e) return nomem(c);
            e->args[0] = a;
            e->args[1] = b;
            if (ty_is_int(ta) && ty_is_int(tb))
                e->type.ty = (uint8_t)(ta > tb ? ta : tb);
            else if ((ta == TY_NUMERIC && !ty_is_float(tb) && tb != TY_UNKNOWN) ||
                     (tb == TY_NUMERIC && !ty_is_float(ta) && ta != TY_UNKNOWN))
                e->type.ty = TY_NUMERIC;
            else if (ta == TY_FLOAT4 && tb == TY_FLOAT4)
                e->type.ty = TY_FLOAT4;
            else if (ta == TY_UNKNOWN || tb == TY_UNKNOWN)
                e->type.ty = TY_UNKNOWN;
            else
                e->type.ty = TY_FLOAT8;
            if (k == EX_MOD && (ty_is_float(ta) || ty_is_float(tb)))
                return type_error(c, loc, op, a->type, b->type);
            *out = e;
            return TWILL_OK;
        }
        if (!strcmp(op, "||")) {
            if (a->type.ty == TY_ARRAY || b->type.ty == TY_ARRAY) {
                /* array || array (an untyped side is an array, as in PostgreSQL), array ||
                 * element, element || array, over one element type */
                tw_expr **arr = a->type.ty == TY_ARRAY ? &a : &b, **oth = arr == &a ? &b : &a;
                tw_sqltype at = (*arr)->type, et = {(uint8_t)at.mod, -1};
                if ((*oth)->type.ty == TY_UNKNOWN && coerce_unknown(c, oth, at, 0, loc))
                    return TWILL_ERROR;
                int cat = (*oth)->type.ty == TY_ARRAY;
                if (cat ? (*oth)->type.mod != at.mod &&
                              !(ty_is_text((*oth)->type.mod) && ty_is_text(at.mod))
                        : (*oth)->type.ty != at.mod &&
                              !(ty_is_text((*oth)->type.ty) && ty_is_text(at.mod)))
                    return same_class(cat ? (*oth)->type.mod : (*oth)->type.ty, et.ty)
                               ? notsup(c, loc, "operator || on %s and %s is not supported",
                                        tw_type_name(a->type, (char[64]){0}, 64),
                                        tw_type_name(b->type, (char[64]){0}, 64))
                               : type_error(c, loc, op, a->type, b->type);
                tw_expr *e = mk(c, EX_CALL, cat ? 2 : 3);
                if (!e) return nomem(c);
                int o = 0;
                if (!cat) {
                    tw_expr *k = mk(c, EX_CONST, 0);
                    if (!k) return nomem(c);
                    k->v = (tw_val){.k = VK_INT, .i = at.mod};
                    k->type = (tw_sqltype){TY_INT4, -1};
                    e->args[o++] = k;
                }
                e->args[o] = a;
                e->args[o + 1] = b;
                tw_sqltype ft[3] = {{TY_INT4, -1}, a->type, b->type};
                e->fn = tw_func_resolve(cat         ? "array_cat"
                                        : arr == &a ? "|| append"
                                                    : "|| prepend",
                                        cat ? ft + 1 : ft, cat ? 2 : 3);
                if (!e->fn) return notsup(c, loc, "operator || on arrays is not supported here");
                e->type = at;
                *out = e;
                return TWILL_OK;
            }
            int ja = a->type.ty == TY_JSONB, jb = b->type.ty == TY_JSONB;
            if ((ja || jb) && (ja || a->type.ty == TY_UNKNOWN) &&
                (jb || b->type.ty == TY_UNKNOWN)) {
                /* jsonb || jsonb (json.c) */
                tw_sqltype jt = {TY_JSONB, -1};
                tw_expr *e = mk(c, EX_CALL, 2);
                if (!e) return nomem(c);
                if (coerce_unknown(c, &a, jt, 0, loc) || coerce_unknown(c, &b, jt, 0, loc))
                    return TWILL_ERROR;
                e->args[0] = a;
                e->args[1] = b;
                e->fn = tw_func_resolve("|| jsonb", (tw_sqltype[]){jt, jt}, 2);
                e->type = jt;
                *out = e;
                return TWILL_OK;
            }
            tw_expr *e = mk(c, EX_CONCAT, 2);
            if (!e) return nomem(c);
            e->args[0] = a;
            e->args[1] = b;
            e->type.ty = a->type.ty == TY_BYTEA && b->type.ty == TY_BYTEA ? TY_BYTEA : TY_TEXT;
            *out = e;
            return TWILL_OK;
        }
        return notsup(c, loc, "operator %s is not supported", op);
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
    case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE: {
        if ((rc = cx(c, x->lexpr, &a)) || (rc = cx(c, x->rexpr, &b))) return rc;
        tw_sqltype tt = {TY_TEXT, -1};
        if (coerce_unknown(c, &a, tt, 0, loc) || coerce_unknown(c, &b, tt, 0, loc))
            return TWILL_ERROR;
        if (!ty_is_text(a->type.ty) || !ty_is_text(b->type.ty))
            return type_error(c, loc, op, a->type, b->type);
        tw_expr *e = mk(c, EX_LIKE, 2);
        if (!e) return nomem(c);
        e->args[0] = a;
        e->args[1] = b;
        e->aux =
            (uint8_t)((op[0] == '!') | (x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE ? 2 : 0));
        e->type.ty = TY_BOOL;
        *out = e;
        return TWILL_OK;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
        if ((rc = cx(c, x->lexpr, &a))) return rc;
        if (!x->rexpr || x->rexpr->node_case != N_(LIST))
            return notsup(c, loc, "IN (subquery) is not supported");
        PgQuery__List *l = x->rexpr->list;
        tw_expr *e = mk(c, EX_IN, (int)l->n_items + 1);
        if (!e) return nomem(c);
        /* Literals take the left side's type; an unknown left side takes the first typed item's. */
        for (size_t i = 0; i < l->n_items; i++) {
            if ((rc = cx(c, l->items[i], &e->args[i + 1]))) return rc;
            if (a->type.ty == TY_UNKNOWN && e->args[i + 1]->type.ty != TY_UNKNOWN &&
                coerce_unknown(c, &a, plain(e->args[i + 1]->type), 0, loc))
                return TWILL_ERROR;
        }
        for (size_t i = 0; i < l->n_items; i++) {
            if (coerce_unknown(c, &e->args[i + 1], plain(a->type), 0, loc)) return TWILL_ERROR;
            if (!same_class(a->type.ty, e->args[i + 1]->type.ty))
                return type_error(c, loc, "=", a->type, e->args[i + 1]->type);
        }
        e->args[0] = a;
        e->aux = strcmp(op, "=") != 0;
        e->type.ty = TY_BOOL;
        *out = e;
        return TWILL_OK;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
        if ((rc = cx(c, x->lexpr, &a))) return rc;
        if (!x->rexpr || x->rexpr->node_case != N_(LIST) || x->rexpr->list->n_items != 2)
            return notsup(c, loc, "malformed BETWEEN");
        tw_expr *lo, *hi, *c1, *c2;
        if ((rc = cx(c, x->rexpr->list->items[0], &lo)) ||
            (rc = cx(c, x->rexpr->list->items[1], &hi)))
            return rc;
        int notb = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
        if ((rc = mk_cmp(c, notb ? EX_LT : EX_GE, a, lo, loc, notb ? "<" : ">=", &c1)) ||
            (rc = mk_cmp(c, notb ? EX_GT : EX_LE, a, hi, loc, notb ? ">" : "<=", &c2)))
            return rc;
        tw_expr *e = mk(c, notb ? EX_OR : EX_AND, 2);
        if (!e) return nomem(c);
        e->args[0] = c1;
        e->args[1] = c2;
        e->type.ty = TY_BOOL;
        *out = e;
        return TWILL_OK;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
        if ((rc = cx(c, x->lexpr, &a)) || (rc = cx(c, x->rexpr, &b))) return rc;
        if ((rc = mk_cmp(c, EX_DISTINCT, a, b, loc, "IS DISTINCT FROM", out))) return rc;
        (*out)->aux = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT;
        return TWILL_OK;
    case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF: {
        if ((rc = cx(c, x->lexpr, &a)) || (rc = cx(c, x->rexpr, &b))) return rc;
        if (unify(c, &a, &b, loc)) return TWILL_ERROR;
        if (!same_class(a->type.ty, b->type.ty)) return type_error(c, loc, "=", a->type, b->type);
        tw_expr *e = mk(c, EX_NULLIF, 2);
        if (!e) return nomem(c);
        e->args[0] = a;
        e->args[1] = b;
        e->type = a->type;
        *out = e;
        return TWILL_OK;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
        return cx_quantified(c, x, op, out);
    default:
        return notsup(c, loc, "operator %s in this form is not supported", op);
    }
}

static tw_sqltype common_type(tw_expr **v, int n) {
    tw_sqltype t = {TY_UNKNOWN, -1};
    for (int i = 0; i < n; i++) {
        int ty = v[i]->type.ty;
        if (ty == TY_UNKNOWN) continue;
        if (t.ty == TY_UNKNOWN)
            t = plain(v[i]->type);
        else if (ty_is_num(t.ty) && ty_is_num(ty)) {
            /* PostgreSQL: double precision (the category's preferred type) wins, else real
             * (every other number converts to it implicitly), else the widest */
            if (t.ty == TY_FLOAT8 || ty == TY_FLOAT8)
                t.ty = TY_FLOAT8;
            else if (t.ty == TY_FLOAT4 || ty == TY_FLOAT4)
                t.ty = TY_FLOAT4;
            else if (ty > t.ty)
                t.ty = (uint8_t)ty;
        }
    }
    return t;
}

static int unify_results(actx *c, tw_expr **v, int n, int loc, tw_sqltype *out) {
    tw_sqltype t = common_type(v, n);
    if (t.ty == TY_UNKNOWN) t.ty = TY_TEXT;
    for (int i = 0; i < n; i++) {
        if (coerce_unknown(c, &v[i], t, 0, loc)) return TWILL_ERROR;
        if (!same_class(v[i]->type.ty, t.ty)) {
            char a[64], b[64];
            return aerr(c, loc, "42804", "types %s and %s cannot be matched",
                        tw_type_name(t, a, 64), tw_type_name(v[i]->type, b, 64));
        }
        if (ty_is_num(t.ty) && v[i]->type.ty != t.ty && v[i]->op != EX_CONST) {
            tw_expr *w = mk(c, EX_CAST, 1);
            if (!w) return nomem(c);
            w->args[0] = v[i];
            w->type = t;
            v[i] = w;
        } else if (ty_is_num(t.ty) && v[i]->type.ty != t.ty) {
            tw_val r;
            if (tw_val_cast(&v[i]->v, t, 0, c->a, &r, c->err)) return TWILL_ERROR;
            v[i]->v = r;
            v[i]->type = t;
        }
    }
    *out = t;
    return TWILL_OK;
}

static int plan_select(actx *c, PgQuery__SelectStmt *s);

/* (SELECT ...), EXISTS (SELECT ...), x IN (SELECT ...): planned as a separate operator
 * tree with its own row slot; a reference to the enclosing query's columns makes it
 * correlated (rerun for each enclosing row), otherwise its result is computed once
 * per execution. */
static int cx_sublink(actx *c, PgQuery__SubLink *sl, tw_expr **out) {
    int kind;
    switch (sl->sub_link_type) {
    case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
        kind = TW_SQ_SCALAR;
        break;
    case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
        kind = TW_SQ_EXISTS;
        break;
    case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
        kind = TW_SQ_ARRAY;
        break;
    case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
        kind = TW_SQ_IN;
        if (sl->n_oper_name && (!str_of(sl->oper_name[sl->n_oper_name - 1]) ||
                                strcmp(str_of(sl->oper_name[sl->n_oper_name - 1]), "=")))
            return notsup(c, sl->location, "ANY/SOME with operators other than = is not supported");
        break;
    default:
        return notsup(c, sl->location, "this kind of subquery (ALL, ARRAY, row) is not supported");
    }
    if (!sl->subselect || sl->subselect->node_case != N_(SELECT_STMT))
        return notsup(c, sl->location, "malformed subquery");
    if (c->p->nsubs >= 1000) return notsup(c, sl->location, "too many subqueries");
    tw_plan *p = c->p;
    int idx = p->nsubs;
    /* grow the subquery table (plan arena: the old array is simply abandoned) */
    tw_subq *ns = tw_arena_zalloc(c->a, sizeof *ns * (size_t)(idx + 1));
    if (!ns) return nomem(c);
    if (idx) memcpy(ns, p->subs, sizeof *ns * (size_t)idx);
    p->subs = ns;
    p->nsubs = idx + 1;
    tw_expr *test = NULL;
    int rc;
    if (kind == TW_SQ_IN && (rc = cx(c, sl->testexpr, &test))) return rc;
    /* plan it in a child context; plan_select writes the plan's result fields, so keep
     * the enclosing statement's */
    actx sub = *c;
    sub.parent = c;
    sub.slot = idx + 1;
    sub.nsc = 0;
    sub.width = 0;
    sub.sub_width = 0;
    sub.correlated = 0;
    sub.outer_max = -1;
    sub.agg_mode = sub.in_agg = 0;
    sub.no_agg_where = NULL;
    sub.ngroup = sub.naggs = sub.capaggs = 0;
    sub.group = NULL;
    sub.aggs = NULL;
    tw_pnode *root = p->root;
    int ncols = p->ncols;
    char **names = p->colnames;
    tw_sqltype *types = p->coltypes;
    rc = plan_select(&sub, sl->subselect->select_stmt);
    c->depth = sub.depth;
    tw_subq q = {.root = p->root,
                 .slot = idx + 1,
                 .width = sub.sub_width,
                 .ncols = p->ncols,
                 .kind = (uint8_t)kind,
                 .correlated = (uint8_t)sub.correlated,
                 .outer_max = sub.outer_max};
    tw_sqltype t0 = p->ncols > 0 ? p->coltypes[0] : (tw_sqltype){TY_UNKNOWN, -1};
    p->root = root;
    p->ncols = ncols;
    p->colnames = names;
    p->coltypes = types;
    if (rc) return rc;
    p->subs[idx] = q;
    if (kind != TW_SQ_EXISTS && q.ncols != 1)
        return aerr(c, sl->location, "42601", "subquery must return only one column");
    tw_expr *e = mk(c, EX_SUBQ, kind == TW_SQ_IN ? 1 : 0);
    if (!e) return nomem(c);
    e->idx = idx;
    e->aux = (uint8_t)kind;
    if (kind == TW_SQ_IN) {
        if ((rc = coerce_unknown(c, &test, plain(t0), 0, sl->location))) return rc;
        if (!same_class(test->type.ty, t0.ty))
            return type_error(c, sl->location, "=", test->type, t0);
        e->args[0] = test;
    }
    e->type = kind == TW_SQ_SCALAR ? t0 : (tw_sqltype){TY_BOOL, -1};
    if (kind == TW_SQ_ARRAY) {
        int et = t0.ty == TY_UNKNOWN ? TY_TEXT : plain(t0).ty;
        if (!tw_array_elem_ok(et))
            return notsup(c, sl->location, "ARRAY() of type %s is not supported",
                          tw_type_name(t0, (char[64]){0}, 64));
        e->type = (tw_sqltype){TY_ARRAY, et};
    }
    *out = e;
    return TWILL_OK;
}

/* ---- arrays (array.h) ---- */

/* ARRAY[a, b, ...]: the elements unified to one type; the call gets that type as a
 * leading constant. ARRAY[] is an untyped '{}' (ARRAY[]::int[] casts it). */
static int cx_array_expr(actx *c, PgQuery__AArrayExpr *ae, tw_expr **out) {
    int n = (int)ae->n_elements, rc;
    tw_expr *e = mk(c, n ? EX_CALL : EX_CONST, n ? n + 1 : 0);
    if (!e) return nomem(c);
    if (!n) {
        e->v = (tw_val){.k = VK_TEXT, .s = "{}", .n = 2};
        *out = e;
        return TWILL_OK;
    }
    for (int i = 0; i < n; i++) {
        if (ae->elements[i]->node_case == N_(A_ARRAY_EXPR))
            return notsup(c, ae->location, "multidimensional arrays are not supported");
        if ((rc = cx(c, ae->elements[i], &e->args[i + 1]))) return rc;
    }
    tw_sqltype t;
    if ((rc = unify_results(c, e->args + 1, n, ae->location, &t))) return rc;
    if (!tw_array_elem_ok(t.ty))
        return notsup(c, ae->location, "arrays of type %s are not supported",
                      tw_type_name(t, (char[64]){0}, 64));
    tw_expr *k = mk(c, EX_CONST, 0);
    if (!k) return nomem(c);
    k->v = (tw_val){.k = VK_INT, .i = t.ty};
    k->type = (tw_sqltype){TY_INT4, -1};
    e->args[0] = k;
    e->fn = tw_func_resolve("array[]", NULL, 0);
    e->type = (tw_sqltype){TY_ARRAY, t.ty};
    *out = e;
    return TWILL_OK;
}

/* a[i]: 1-based, NULL out of range; one subscript, no slices. */
static int cx_subscript(actx *c, PgQuery__AIndirection *ind, tw_expr **out) {
    tw_expr *e = mk(c, EX_CALL, 2);
    int rc;
    if (!e) return nomem(c);
    if ((rc = cx(c, ind->arg, &e->args[0]))) return rc;
    if (ind->n_indirection != 1 || ind->indirection[0]->node_case != N_(A_INDICES))
        return notsup(c, -1, "this subscript or field selection is not supported");
    PgQuery__AIndices *ix = ind->indirection[0]->a_indices;
    if (ix->is_slice || !ix->uidx) return notsup(c, -1, "array slices are not supported");
    if (e->args[0]->type.ty != TY_ARRAY)
        return aerr(c, -1, "42804",
                    "cannot subscript type %s because it does not support subscripting",
                    tw_type_name(e->args[0]->type, (char[64]){0}, 64));
    if ((rc = cx(c, ix->uidx, &e->args[1])) ||
        (rc = coerce_unknown(c, &e->args[1], (tw_sqltype){TY_INT4, -1}, 0, -1)))
        return rc;
    if (!ty_is_int(e->args[1]->type.ty))
        return aerr(c, -1, "42804", "array subscript must have type integer");
    tw_sqltype at[2] = {e->args[0]->type, e->args[1]->type};
    e->fn = tw_func_resolve("[]", at, 2);
    e->type = (tw_sqltype){(uint8_t)e->args[0]->type.mod, -1};
    *out = e;
    return TWILL_OK;
}

static int cmp_op(const char *op);

/* x op ANY (array), x op ALL (array); an untyped right side ('{1,2}', $1) is an array
 * of x's type. */
static int cx_quantified(actx *c, PgQuery__AExpr *x, const char *op, tw_expr **out) {
    int loc = x->location, rc, all = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
    if (cmp_op(op) < 0)
        return notsup(c, loc, "operator %s with %s is not supported", op, all ? "ALL" : "ANY");
    tw_expr *e = mk(c, EX_CALL, 2);
    if (!e) return nomem(c);
    if ((rc = cx(c, x->lexpr, &e->args[0])) || (rc = cx(c, x->rexpr, &e->args[1]))) return rc;
    if (e->args[1]->type.ty == TY_UNKNOWN) {
        if ((rc = coerce_unknown(c, &e->args[0], (tw_sqltype){TY_TEXT, -1}, 0, loc))) return rc;
        tw_sqltype lt = plain(e->args[0]->type);
        if (!tw_array_elem_ok(lt.ty) || lt.mod >= 0)
            return notsup(c, loc, "arrays of type %s are not supported",
                          tw_type_name(lt, (char[64]){0}, 64));
        if ((rc = coerce_unknown(c, &e->args[1], (tw_sqltype){TY_ARRAY, lt.ty}, 0, loc))) return rc;
    }
    if (e->args[1]->type.ty != TY_ARRAY)
        return aerr(c, loc, "42809", "op %s ANY/ALL (array) requires array on right side", op);
    tw_sqltype et = {(uint8_t)e->args[1]->type.mod, -1};
    if ((rc = coerce_unknown(c, &e->args[0], et, 0, loc))) return rc;
    if (!same_class(e->args[0]->type.ty, et.ty))
        return type_error(c, loc, op, e->args[0]->type, et);
    char name[16];
    snprintf(name, sizeof name, "%s %s", strcmp(op, "!=") ? op : "<>", all ? "all" : "any");
    tw_sqltype at[2] = {e->args[0]->type, e->args[1]->type};
    if (!(e->fn = tw_func_resolve(name, at, 2)))
        return notsup(c, loc, "operator %s with %s is not supported", op, all ? "ALL" : "ANY");
    e->type = (tw_sqltype){TY_BOOL, -1};
    *out = e;
    return TWILL_OK;
}

static int cx_inner(actx *c, Node *n, tw_expr **out) {
    int rc;
    switch (n->node_case) {
    case N_(A_CONST):
        return cx_const(c, n->a_const, out);
    case N_(COLUMN_REF): {
        if ((rc = cx_colref(c, n->column_ref, out))) return rc;
        if (c->agg_mode && !c->in_agg) {
            char what[300];
            col_label(c, (*out)->idx, what, sizeof what);
            return to_group_ref(c, out, n->column_ref->location, what);
        }
        return TWILL_OK;
    }
    case N_(PARAM_REF): {
        int num = n->param_ref->number;
        if (num < 1 || num > 65535)
            return aerr(c, n->param_ref->location, "42P02", "there is no parameter $%d", num);
        tw_expr *e = mk(c, EX_PARAM, 0);
        if (!e) return nomem(c);
        e->idx = num - 1;
        if (num > c->p->nparams) c->p->nparams = num;
        *out = e;
        return TWILL_OK;
    }
    case N_(A_EXPR):
        return cx_aexpr(c, n->a_expr, out);
    case N_(BOOL_EXPR): {
        PgQuery__BoolExpr *b = n->bool_expr;
        int op = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR  ? EX_AND
                 : b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? EX_OR
                                                                  : EX_NOT;
        tw_expr *e = mk(c, op, (int)b->n_args);
        if (!e) return nomem(c);
        for (size_t i = 0; i < b->n_args; i++) {
            if ((rc = cx(c, b->args[i], &e->args[i]))) return rc;
            if (coerce_unknown(c, &e->args[i], (tw_sqltype){TY_BOOL, -1}, 0, b->location))
                return TWILL_ERROR;
            if (e->args[i]->type.ty != TY_BOOL && e->args[i]->type.ty != TY_UNKNOWN)
                return aerr(c, b->location, "42804",
                            "argument of %s must be type boolean, not type %s",
                            op == EX_AND  ? "AND"
                            : op == EX_OR ? "OR"
                                          : "NOT",
                            tw_type_name(e->args[i]->type, (char[64]){0}, 64));
        }
        e->type.ty = TY_BOOL;
        *out = e;
        return TWILL_OK;
    }
    case N_(NULL_TEST): {
        tw_expr *e = mk(c, EX_ISNULL, 1);
        if (!e) return nomem(c);
        if ((rc = cx(c, n->null_test->arg, &e->args[0]))) return rc;
        e->aux = n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
        e->type.ty = TY_BOOL;
        *out = e;
        return TWILL_OK;
    }
    case N_(BOOLEAN_TEST): {
        PgQuery__BooleanTest *bt = n->boolean_test;
        int t = bt->booltesttype;
        tw_expr *e = mk(c, t >= PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN ? EX_ISNULL : EX_BOOLTEST, 1);
        if (!e) return nomem(c);
        if ((rc = cx(c, bt->arg, &e->args[0]))) return rc;
        if (coerce_unknown(c, &e->args[0], (tw_sqltype){TY_BOOL, -1}, 0, bt->location))
            return TWILL_ERROR;
        e->aux = (uint8_t)(t >= PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN
                               ? t == PG_QUERY__BOOL_TEST_TYPE__IS_NOT_UNKNOWN
                               : t - PG_QUERY__BOOL_TEST_TYPE__IS_TRUE);
        e->type.ty = TY_BOOL;
        *out = e;
        return TWILL_OK;
    }
    case N_(TYPE_CAST): {
        tw_sqltype t;
        tw_expr *a;
        int done;
        if ((rc = catalog_cast(c, n->type_cast, &t, out, &done))) return rc;
        if (done == 1) return TWILL_OK;
        if (!done && (rc = resolve_type(c, n->type_cast->type_name, &t))) return rc;
        if ((rc = cx(c, n->type_cast->arg, &a))) return rc;
        if (a->op == EX_CONST) {
            tw_val v;
            tw_err tmp;
            tw_err_clear(&tmp);
            if (tw_val_cast(&a->v, t, 0, c->a, &v, &tmp))
                return aerr(c, n->type_cast->location, tmp.sqlstate, "%s", tmp.msg);
            tw_expr *e = mk(c, EX_CONST, 0);
            if (!e) return nomem(c);
            e->v = v;
            e->type = t;
            *out = e;
            return TWILL_OK;
        }
        tw_expr *e = mk(c, EX_CAST, 1);
        if (!e) return nomem(c);
        e->args[0] = a;
        e->type = t;
        *out = e;
        return TWILL_OK;
    }
    case N_(FUNC_CALL):
        return cx_func(c, n->func_call, out);
    case N_(COLLATE_CLAUSE):
        return cx_collate(c, n->collate_clause, out);
    case N_(SQLVALUE_FUNCTION):
        return cx_sqlvalue(c, n->sqlvalue_function, out);
    case N_(MIN_MAX_EXPR): { /* GREATEST / LEAST: a call over the unified arguments */
        PgQuery__MinMaxExpr *m = n->min_max_expr;
        tw_expr *e = mk(c, EX_CALL, (int)m->n_args);
        if (!e) return nomem(c);
        for (size_t i = 0; i < m->n_args; i++)
            if ((rc = cx(c, m->args[i], &e->args[i]))) return rc;
        if ((rc = unify_results(c, e->args, e->nargs, m->location, &e->type))) return rc;
        e->fn = m->op == PG_QUERY__MIN_MAX_OP__IS_LEAST ? &tw_func_least : &tw_func_greatest;
        *out = e;
        return TWILL_OK;
    }
    case N_(COALESCE_EXPR): {
        PgQuery__CoalesceExpr *ce = n->coalesce_expr;
        tw_expr *e = mk(c, EX_COALESCE, (int)ce->n_args);
        if (!e) return nomem(c);
        for (size_t i = 0; i < ce->n_args; i++)
            if ((rc = cx(c, ce->args[i], &e->args[i]))) return rc;
        if ((rc = unify_results(c, e->args, e->nargs, ce->location, &e->type))) return rc;
        *out = e;
        return TWILL_OK;
    }
    case N_(CASE_EXPR): {
        PgQuery__CaseExpr *ce = n->case_expr;
        int nw = (int)ce->n_args, has_else = ce->defresult != NULL;
        tw_expr *e = mk(c, EX_CASE, nw * 2 + has_else);
        if (!e) return nomem(c);
        tw_expr *arg = NULL;
        if (ce->arg && (rc = cx(c, ce->arg, &arg))) return rc;
        int nres = nw + has_else;
        tw_expr **res = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(nres ? nres : 1));
        if (!res) return nomem(c);
        for (int i = 0; i < nw; i++) {
            Node *wn = ce->args[i];
            if (wn->node_case != N_(CASE_WHEN)) return notsup(c, ce->location, "malformed CASE");
            tw_expr *cond;
            if ((rc = cx(c, wn->case_when->expr, &cond))) return rc;
            if (arg && (rc = mk_cmp(c, EX_EQ, arg, cond, wn->case_when->location, "=", &cond)))
                return rc;
            if (coerce_unknown(c, &cond, (tw_sqltype){TY_BOOL, -1}, 0, ce->location))
                return TWILL_ERROR;
            if (cond->type.ty != TY_BOOL && cond->type.ty != TY_UNKNOWN)
                return aerr(c, wn->case_when->location, "42804",
                            "argument of CASE/WHEN must be type boolean");
            e->args[2 * i] = cond;
            if ((rc = cx(c, wn->case_when->result, &res[i]))) return rc;
        }
        if (has_else && (rc = cx(c, ce->defresult, &res[nw]))) return rc;
        if ((rc = unify_results(c, res, nres, ce->location, &e->type))) return rc;
        for (int i = 0; i < nw; i++) e->args[2 * i + 1] = res[i];
        if (has_else) e->args[2 * nw] = res[nw];
        e->aux = (uint8_t)has_else;
        *out = e;
        return TWILL_OK;
    }
    case N_(SUB_LINK):
        return cx_sublink(c, n->sub_link, out);
    case N_(A_ARRAY_EXPR):
        return cx_array_expr(c, n->a_array_expr, out);
    case N_(A_INDIRECTION):
        return cx_subscript(c, n->a_indirection, out);
    case N_(SET_TO_DEFAULT):
        return notsup(c, -1, "DEFAULT is not allowed in this context");
    default:
        return notsup(c, -1, "expression type %s is not supported", node_name(n));
    }
}

static int cx(actx *c, Node *n, tw_expr **out) {
    if (!n) return notsup(c, -1, "missing expression");
    if (++c->depth > TW_EXPR_MAX_DEPTH) {
        c->depth--;
        return aerr(c, -1, "54001", "statement too complex: expression nested too deeply");
    }
    if (c->agg_mode && !c->in_agg && c->ngroup && n->node_case != N_(COLUMN_REF) &&
        n->node_case != N_(A_CONST) && n->node_case != N_(PARAM_REF) && !has_agg(n)) {
        /* The whole expression may be a GROUP BY expression (SELECT a / 7 ... GROUP BY
         * a / 7): compile it over the input row and look it up first. */
        tw_err tmp, *saved = c->err;
        tw_err_clear(&tmp);
        c->err = &tmp;
        c->agg_mode = 0;
        tw_expr *e;
        int trial = cx_inner(c, n, &e);
        c->agg_mode = 1;
        c->err = saved;
        for (int i = 0; trial == TWILL_OK && i < c->ngroup; i++) {
            if (!tw_expr_equal(c->group[i], e)) continue;
            tw_expr *r = mk(c, EX_COL, 0);
            if (!r) return nomem(c);
            r->idx = i;
            r->type = e->type;
            *out = r;
            c->depth--;
            return TWILL_OK;
        }
    }
    int rc = cx_inner(c, n, out);
    c->depth--;
    return rc;
}

/* Does the subtree call an aggregate? Generic walk over the protobuf tree; depth is
 * bounded by the parser's check. */
/* An aggregate call (not a window call) at this query level: subqueries are not
 * looked into. */
static int has_agg_visit(const ProtobufCMessage *m, void *ud) {
    (void)ud;
    if (m->descriptor == &pg_query__func_call__descriptor) {
        const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
        const char *nm = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
        if (nm && !f->over) {
            char low[16];
            size_t l = strlen(nm);
            if (l < sizeof low) {
                for (size_t i = 0; i <= l; i++) low[i] = (char)tolower((unsigned char)nm[i]);
                if (is_agg_name(low)) return 1;
            }
        }
    }
    return m->descriptor == &pg_query__sub_link__descriptor ? -1 : 0;
}

static int has_agg(Node *n) {
    return n && tw_pq_walk(&n->base, has_agg_visit, NULL);
}

/* ---- access paths ---- */

/* Which FROM table (scope index) holds combined-row column idx; -1 if none. */
static int table_of(const actx *c, int idx) {
    for (int i = 0; i < c->nsc; i++)
        if (idx >= c->sc[i].offset && idx < c->sc[i].offset + c->sc[i].t->ncols) return i;
    return -1;
}

/* The FROM tables an expression reads, one bit per scope index (a correlated subquery
 * counts as reading every table up to the last enclosing column it uses). */
static uint64_t expr_tables(const actx *c, const tw_expr *e) {
    uint64_t m = 0;
    if (e->op == EX_COL) {
        int t = table_of(c, e->idx);
        if (t >= 0) m |= 1ull << t;
    } else if (e->op == EX_SUBQ && e->aux != TW_SQ_SEQ) {
        int om = c->p->subs[e->idx].outer_max;
        for (int i = 0; i < c->nsc; i++)
            if (om >= c->sc[i].offset) m |= 1ull << i;
    }
    for (int i = 0; i < e->nargs; i++) m |= expr_tables(c, e->args[i]);
    return m;
}

static int has_agg_ref(const tw_expr *e) {
    if (e->op == EX_AGG) return 1;
    for (int i = 0; i < e->nargs; i++)
        if (has_agg_ref(e->args[i])) return 1;
    return 0;
}

/* Is e known before a scan runs, given the tables already scanned (avail)? */
static int row_free(const actx *c, const tw_expr *e, uint64_t avail) {
    return !(expr_tables(c, e) & ~avail) && !has_agg_ref(e);
}

typedef struct conj {
    int col, op;
    tw_expr *val;
} conj;

static int flip(int op) {
    switch (op) {
    case EX_LT:
        return EX_GT;
    case EX_LE:
        return EX_GE;
    case EX_GT:
        return EX_LT;
    case EX_GE:
        return EX_LE;
    default:
        return op;
    }
}

/* Conjuncts "column of table `self` <op> value known before its scan". */
static void collect(const actx *c, tw_expr *e, conj *out, int *n, int cap, int self,
                    uint64_t avail) {
    if (e->op == EX_AND) {
        for (int i = 0; i < e->nargs; i++) collect(c, e->args[i], out, n, cap, self, avail);
        return;
    }
    if (*n >= cap || e->op < EX_EQ || e->op > EX_GE || e->op == EX_NE) return;
    tw_expr *a = e->args[0], *b = e->args[1];
    int off = c->sc[self].offset;
#define MINE(x) ((x)->op == EX_COL && table_of(c, (x)->idx) == self)
    if (MINE(a) && row_free(c, b, avail))
        out[(*n)++] = (conj){a->idx - off, e->op, b};
    else if (MINE(b) && row_free(c, a, avail))
        out[(*n)++] = (conj){b->idx - off, flip(e->op), a};
#undef MINE
}

/* Binds key columns to equalities (then one range) from the WHERE conjuncts; returns
 * a score (bound columns, equality weighs more). */
static int match_key(actx *c, conj *cj, int ncj, const int *cols, int ncols, tw_access *acc) {
    int neq = 0;
    tw_expr *eqs[64];
    while (neq < ncols && neq < 64) {
        tw_expr *v = NULL;
        for (int i = 0; i < ncj && !v; i++)
            if (cj[i].col == cols[neq] && cj[i].op == EX_EQ) v = cj[i].val;
        if (!v) break;
        eqs[neq++] = v;
    }
    tw_expr *lo = NULL, *hi = NULL;
    if (neq < ncols) {
        for (int i = 0; i < ncj; i++) {
            if (cj[i].col != cols[neq]) continue;
            if ((cj[i].op == EX_GT || cj[i].op == EX_GE) && !lo) lo = cj[i].val;
            if ((cj[i].op == EX_LT || cj[i].op == EX_LE) && !hi) hi = cj[i].val;
        }
    }
    acc->neq = neq;
    acc->lo = lo;
    acc->hi = hi;
    acc->cols = cols;
    acc->ncols = ncols;
    if (neq) {
        acc->eq = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)neq);
        if (!acc->eq) return -1;
        memcpy(acc->eq, eqs, sizeof(tw_expr *) * (size_t)neq);
    }
    return neq * 4 + (lo != NULL) + (hi != NULL) + (neq == ncols ? 2 : 0);
}

/* Picks the access path of the scan of FROM table `self` from its filter; returns the
 * path's score (0: full scan), or -1 on allocation failure. */
static int access_for(actx *c, tw_pnode *scan, tw_expr *filter, int self, uint64_t avail) {
    tw_table *t = scan->table;
    scan->acc.kind = ACC_FULL;
    if (!filter) return 0;
    conj cj[64];
    int ncj = 0;
    collect(c, filter, cj, &ncj, 64, self, avail);
    if (!ncj) return 0;
    int best = 0;
    if (t->npk) {
        tw_access a = {0};
        int s = match_key(c, cj, ncj, t->pk, t->npk, &a);
        if (s < 0) return -1;
        if (s > 0) {
            a.kind = a.neq == t->npk ? ACC_PK_POINT : ACC_PK_RANGE;
            scan->acc = a;
            best = s + 1; /* the primary key wins ties: no second lookup */
        }
    }
    for (int i = 0; i < t->nidx; i++) {
        tw_access a = {0};
        int s = match_key(c, cj, ncj, t->idx[i]->cols, t->idx[i]->ncols, &a);
        if (s < 0) return -1;
        if (s > best) {
            a.kind = ACC_INDEX;
            a.idx = t->idx[i];
            scan->acc = a;
            best = s;
        }
    }
    return best;
}

static int choose_access(actx *c, tw_pnode *scan) {
    return access_for(c, scan, scan->filter, 0, 0) < 0 ? nomem(c) : TWILL_OK;
}

/* ---- statements ---- */

static tw_pnode *mk_node(actx *c, int kind, tw_pnode *child) {
    tw_pnode *n = tw_arena_zalloc(c->a, sizeof *n);
    if (!n) return NULL;
    n->kind = (uint8_t)kind;
    n->child = child;
    n->id = c->p->nnodes++;
    n->slot = c->slot;
    return n;
}

static int lookup_table(actx *c, PgQuery__RangeVar *rv, tw_table **out) {
    if (rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public"))
        return aerr(c, rv->location, "42P01", "relation \"%s.%s\" does not exist", rv->schemaname,
                    rv->relname);
    tw_table *t = tw_catalog_table(c->cat, rv->relname);
    if (!t) return aerr(c, rv->location, "42P01", "relation \"%s\" does not exist", rv->relname);
    *out = t;
    return TWILL_OK;
}

static const char *rv_alias(const PgQuery__RangeVar *rv) {
    return rv->alias && rv->alias->aliasname && rv->alias->aliasname[0] ? rv->alias->aliasname
                                                                        : NULL;
}

/* Adds a table to the scope; its columns follow the previous tables'. */
static int scope_push(actx *c, tw_table *t, const char *alias, int loc) {
    if (c->nsc == TW_MAX_FROM)
        return notsup(c, loc, "more than %d tables in FROM are not supported", TW_MAX_FROM);
    scope_ent e = {.t = t, .alias = alias, .offset = c->width};
    for (int i = 0; i < c->nsc; i++)
        if (!strcmp(ent_name(&c->sc[i]), ent_name(&e)))
            return aerr(c, loc, "42712", "table name \"%s\" specified more than once",
                        ent_name(&e));
    c->sc[c->nsc++] = e;
    c->width += t->ncols;
    if (c->slot == 0 && c->width > c->p->width) c->p->width = c->width;
    if (c->width > c->sub_width) c->sub_width = c->width;
    return TWILL_OK;
}

static void scope_single(actx *c, tw_table *t, const char *alias) {
    c->nsc = 0;
    c->width = 0;
    scope_push(c, t, alias, -1);
}

/* The target table of a single-table statement: the whole scope. */
static int open_table(actx *c, PgQuery__RangeVar *rv, tw_table **out) {
    if (tw_catalog_view(c->cat, rv->relname))
        return notsup(c, rv->location, "cannot change or index view \"%s\": views are read-only",
                      rv->relname);
    int vrel;
    if (tw_pgcat_lookup(rv->schemaname, rv->relname, &vrel))
        return notsup(c, rv->location, "system catalog \"%s\" is read-only", rv->relname);
    int rc = lookup_table(c, rv, out);
    if (!rc) scope_single(c, *out, rv_alias(rv));
    return rc;
}

static int compile_where(actx *c, Node *w, const char *clause, tw_expr **out) {
    *out = NULL;
    if (!w) return TWILL_OK;
    c->no_agg_where = clause;
    int rc = cx(c, w, out);
    c->no_agg_where = NULL;
    if (rc) return rc;
    if (coerce_unknown(c, out, (tw_sqltype){TY_BOOL, -1}, 0, -1)) return TWILL_ERROR;
    if ((*out)->type.ty != TY_BOOL && (*out)->type.ty != TY_UNKNOWN)
        return aerr(c, -1, "42804", "argument of %s must be type boolean, not type %s", clause,
                    tw_type_name((*out)->type, (char[64]){0}, 64));
    return TWILL_OK;
}

/* PostgreSQL's output-column naming (FigureColname): names have strengths — a column
 * or function name (2) beats a cast's type name (1), which beats "?column?" (0). */
static int figure_name(Node *v, const char **out) {
    if (!v) return 0;
    switch (v->node_case) {
    case N_(COLUMN_REF): {
        PgQuery__ColumnRef *r = v->column_ref;
        const char *s = r->n_fields ? str_of(r->fields[r->n_fields - 1]) : NULL;
        if (!s) return 0;
        *out = s;
        return 2;
    }
    case N_(FUNC_CALL): {
        PgQuery__FuncCall *f = v->func_call;
        const char *s = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
        if (!s) return 0;
        *out = s;
        return 2;
    }
    case N_(SQLVALUE_FUNCTION):
        switch (v->sqlvalue_function->op) {
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
            *out = "current_date";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
            *out = "current_timestamp";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
            *out = "localtimestamp";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
            *out = "current_user";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
            *out = "current_role";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
            *out = "session_user";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
            *out = "user";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
            *out = "current_catalog";
            return 2;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
            *out = "current_schema";
            return 2;
        default:
            return 0;
        }
    case N_(A_ARRAY_EXPR):
        *out = "array";
        return 2;
    case N_(A_INDIRECTION):
        return figure_name(v->a_indirection->arg, out);
    case N_(A_EXPR):
        if (v->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF) {
            *out = "nullif";
            return 2;
        }
        return 0;
    case N_(TYPE_CAST): {
        int st = figure_name(v->type_cast->arg, out);
        if (st <= 1) {
            PgQuery__TypeName *tn = v->type_cast->type_name;
            const char *s = tn && tn->n_names ? str_of(tn->names[tn->n_names - 1]) : NULL;
            if (s) *out = s;
            return 1;
        }
        return st;
    }
    case N_(CASE_EXPR): {
        int st = figure_name(v->case_expr->defresult, out);
        if (st <= 1) {
            *out = "case";
            return 1;
        }
        return st;
    }
    case N_(COALESCE_EXPR):
        *out = "coalesce";
        return 2;
    case N_(MIN_MAX_EXPR):
        *out = v->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_LEAST ? "least" : "greatest";
        return 2;
    case N_(SUB_LINK): {
        PgQuery__SubLink *sl = v->sub_link;
        if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK) {
            *out = "exists";
            return 2;
        }
        if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK) {
            *out = "array";
            return 2;
        }
        if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK && sl->subselect &&
            sl->subselect->node_case == N_(SELECT_STMT)) {
            PgQuery__SelectStmt *ss = sl->subselect->select_stmt;
            while (ss->op != PG_QUERY__SET_OPERATION__SETOP_NONE && ss->larg) ss = ss->larg;
            if (ss->n_target_list && ss->target_list[0]->node_case == N_(RES_TARGET)) {
                PgQuery__ResTarget *rt = ss->target_list[0]->res_target;
                if (rt->name && rt->name[0]) {
                    *out = rt->name;
                    return 2;
                }
                return figure_name(rt->val, out);
            }
        }
        return 0;
    }
    default:
        return 0;
    }
}

static const char *derive_name(Node *v) {
    const char *name = "?column?";
    figure_name(v, &name);
    return name;
}

typedef struct tlist {
    int n, cap;
    tw_expr **e;
    char **names;
} tlist;

static int tl_add(actx *c, tlist *t, tw_expr *e, const char *name) {
    if (t->n == t->cap) {
        int nc = t->cap ? t->cap * 2 : 16;
        tw_expr **ne = tw_arena_alloc(c->a, sizeof *ne * (size_t)nc);
        char **nn = tw_arena_alloc(c->a, sizeof *nn * (size_t)nc);
        if (!ne || !nn) return nomem(c);
        if (t->n) {
            memcpy(ne, t->e, sizeof *ne * (size_t)t->n);
            memcpy(nn, t->names, sizeof *nn * (size_t)t->n);
        }
        t->e = ne;
        t->names = nn;
        t->cap = nc;
    }
    t->e[t->n] = e;
    t->names[t->n] = name ? tw_arena_strndup(c->a, name, strlen(name)) : NULL;
    if (name && !t->names[t->n]) return nomem(c);
    t->n++;
    return TWILL_OK;
}

static int eval_const_int(actx *c, tw_expr *e, const char *what, int loc, int64_t *out) {
    (void)c, (void)what, (void)loc;
    if (e->op == EX_CONST && e->v.k == VK_INT) {
        *out = e->v.i;
        return 1;
    }
    return 0;
}

/* ---- FROM: tables and joins ---- */

typedef struct fromitem {
    PgQuery__RangeVar *rv;
    PgQuery__RangeSubselect *sub; /* instead of rv: a subquery in FROM */
    int left;
    Node *quals;
    PgQuery__RangeFunction *fn; /* instead of rv: a function in FROM (srf.h) */
    /* RIGHT JOIN: this item is the preserved side and is scanned before the one to its
     * left (which then carries `left` and the ON condition) */
    uint8_t first;
    uint8_t full; /* FULL JOIN with the item before it (this one also carries `left`) */
    /* JOIN ... USING (names) / NATURAL JOIN with the item just before it */
    uint8_t natural;
    PgQuery__Node **using_names;
    size_t n_using;
} fromitem;

/* Left-deep joins only: each join's right side is a table. */
static int flatten_from(actx *c, Node *n, fromitem *items, int *ni) {
    if (n->node_case == N_(RANGE_FUNCTION)) {
        if (*ni == TW_MAX_FROM)
            return notsup(c, -1, "more than %d tables in FROM are not supported", TW_MAX_FROM);
        items[(*ni)++] = (fromitem){.fn = n->range_function};
        return TWILL_OK;
    }
    if (n->node_case == N_(RANGE_SUBSELECT)) {
        if (*ni == TW_MAX_FROM)
            return notsup(c, -1, "more than %d tables in FROM are not supported", TW_MAX_FROM);
        items[(*ni)++] = (fromitem){.sub = n->range_subselect};
        return TWILL_OK;
    }
    if (n->node_case == N_(RANGE_VAR)) {
        if (*ni == TW_MAX_FROM)
            return notsup(c, n->range_var->location,
                          "more than %d tables in FROM are not supported", TW_MAX_FROM);
        items[(*ni)++] = (fromitem){.rv = n->range_var};
        return TWILL_OK;
    }
    if (n->node_case != N_(JOIN_EXPR))
        return notsup(c, -1, "%s in FROM is not supported", node_name(n));
    PgQuery__JoinExpr *j = n->join_expr;
    if (j->alias) return notsup(c, -1, "aliases on joins are not supported");
    int right = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT;
    int full = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
    int single_left = j->larg && j->larg->node_case != N_(JOIN_EXPR);
    if (j->jointype != PG_QUERY__JOIN_TYPE__JOIN_INNER &&
        j->jointype != PG_QUERY__JOIN_TYPE__JOIN_LEFT && !right && !full)
        return notsup(c, -1, "this join type is not supported");
    /* A RIGHT JOIN runs as the mirrored LEFT JOIN, a FULL JOIN as a hash join that also
     * emits the unmatched inner rows: both only as the first join of FROM, with one
     * table on each side */
    if ((right || full) && (!single_left || *ni != 0))
        return notsup(c, -1, "%s JOIN is only supported between two tables at the start of FROM",
                      right ? "RIGHT" : "FULL");
    if ((j->is_natural || j->n_using_clause) && (!single_left || right || full))
        return notsup(c, -1,
                      "NATURAL JOIN and JOIN ... USING are supported as an inner or left join "
                      "of two tables only (use ON)");
    int rc = flatten_from(c, j->larg, items, ni);
    if (rc) return rc;
    if (!j->rarg ||
        (j->rarg->node_case != N_(RANGE_VAR) && j->rarg->node_case != N_(RANGE_SUBSELECT) &&
         j->rarg->node_case != N_(RANGE_FUNCTION)))
        return notsup(c, -1, "joins whose right side is another join are not supported yet");
    if ((rc = flatten_from(c, j->rarg, items, ni))) return rc;
    fromitem *it = &items[*ni - 1];
    if (right) { /* the ON condition is compiled with this item, for the left one */
        items[*ni - 2].left = 1;
        it->quals = j->quals;
        it->first = 1;
        return TWILL_OK;
    }
    if (full) {
        it->left = 1;
        it->full = 1;
        it->quals = j->quals;
        return TWILL_OK;
    }
    it->left = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT;
    it->quals = j->quals;
    it->natural = (uint8_t)j->is_natural;
    it->using_names = j->using_clause;
    it->n_using = j->n_using_clause;
    return TWILL_OK;
}

typedef struct conjlist {
    int n, cap;
    tw_expr **e;
} conjlist;

static int conj_add(actx *c, conjlist *l, tw_expr *e) {
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 8;
        tw_expr **ne = tw_arena_alloc(c->a, sizeof *ne * (size_t)nc);
        if (!ne) return nomem(c);
        if (l->n) memcpy(ne, l->e, sizeof *ne * (size_t)l->n);
        l->e = ne;
        l->cap = nc;
    }
    l->e[l->n++] = e;
    return TWILL_OK;
}

static int conj_split(actx *c, tw_expr *e, conjlist *out) {
    if (e->op == EX_AND) {
        for (int i = 0; i < e->nargs; i++) {
            int rc = conj_split(c, e->args[i], out);
            if (rc) return rc;
        }
        return TWILL_OK;
    }
    return conj_add(c, out, e);
}

static tw_expr *conj_and(actx *c, conjlist *l) {
    if (l->n == 0) return NULL;
    if (l->n == 1) return l->e[0];
    tw_expr *e = mk(c, EX_AND, l->n);
    if (!e) return NULL;
    memcpy(e->args, l->e, sizeof(tw_expr *) * (size_t)l->n);
    e->type.ty = TY_BOOL;
    return e;
}

/* A subquery in FROM: planned in its own slot, its rows materialized once per
 * execution and presented as a table named by its alias. */
static int plan_derived(actx *c, PgQuery__RangeSubselect *rs, tw_table **out, int *from_sub);

/* A view used in FROM: its stored CREATE VIEW text is parsed again and its query planned
 * as a subquery in FROM named like the view (or its alias). */
static int plan_view(actx *c, const tw_view *v, PgQuery__RangeVar *rv, tw_table **out,
                     int *from_sub) {
    if (c->view_depth >= 32)
        return aerr(c, rv->location, "54001", "views nested too deeply (or recursive)");
    tw_parsetree *vt;
    tw_err perr;
    tw_err_clear(&perr);
    if (tw_parse(v->sql, strlen(v->sql), &vt, &perr) != TWILL_OK)
        return aerr(c, rv->location, "XX001", "view \"%s\" has an unreadable definition: %s",
                    v->name, perr.msg);
    int rc;
    Node *n = vt->pr->n_stmts ? vt->pr->stmts[0]->stmt : NULL;
    if (!n || n->node_case != N_(VIEW_STMT)) {
        rc = aerr(c, rv->location, "XX001", "view \"%s\" has an unreadable definition", v->name);
    } else {
        PgQuery__ViewStmt *vs = n->view_stmt;
        PgQuery__Alias al = PG_QUERY__ALIAS__INIT;
        al.aliasname = (char *)(rv_alias(rv) ? rv_alias(rv) : v->name);
        al.n_colnames = vs->n_aliases;
        al.colnames = vs->aliases;
        PgQuery__RangeSubselect rs = PG_QUERY__RANGE_SUBSELECT__INIT;
        rs.subquery = vs->query;
        rs.alias = &al;
        tw_parsetree *saved_tree = c->tree;
        size_t saved_base = c->pos_base;
        c->tree = vt;
        c->pos_base = SIZE_MAX; /* positions inside the view's text mean nothing here */
        c->view_depth++;
        rc = plan_derived(c, &rs, out, from_sub);
        c->view_depth--;
        c->tree = saved_tree;
        c->pos_base = saved_base;
    }
    tw_parsetree_unref(vt); /* the plan keeps copies of everything it needs */
    return rc;
}

static int plan_derived(actx *c, PgQuery__RangeSubselect *rs, tw_table **out, int *from_sub) {
    if (!rs->alias || !rs->alias->aliasname || !rs->alias->aliasname[0])
        return aerr(c, -1, "42601", "subquery in FROM must have an alias");
    if (!rs->subquery || rs->subquery->node_case != N_(SELECT_STMT))
        return notsup(c, -1, "this subquery in FROM is not supported");
    tw_plan *p = c->p;
    if (p->nsubs >= 1000) return notsup(c, -1, "too many subqueries");
    int idx = p->nsubs;
    tw_subq *ns = tw_arena_zalloc(c->a, sizeof *ns * (size_t)(idx + 1));
    if (!ns) return nomem(c);
    if (idx) memcpy(ns, p->subs, sizeof *ns * (size_t)idx);
    p->subs = ns;
    p->nsubs = idx + 1;
    actx sub = *c;
    /* LATERAL: it reads the FROM items before it (as a correlated subquery reads its
     * enclosing row) and runs again for each of their rows; otherwise it sees none */
    sub.parent = rs->lateral ? c : NULL;
    sub.slot = idx + 1;
    sub.nsc = sub.width = sub.sub_width = 0;
    sub.correlated = 0;
    sub.outer_max = -1;
    tw_pnode *root = p->root;
    int ncols = p->ncols;
    char **names = p->colnames;
    tw_sqltype *types = p->coltypes;
    int rc = plan_select(&sub, rs->subquery->select_stmt);
    c->depth = sub.depth;
    tw_subq q = {.root = p->root,
                 .slot = idx + 1,
                 .width = sub.sub_width,
                 .ncols = p->ncols,
                 .kind = TW_SQ_FROM,
                 .correlated = (uint8_t)sub.correlated,
                 .outer_max = sub.outer_max};
    int n = p->ncols;
    char **snames = p->colnames;
    tw_sqltype *stypes = p->coltypes;
    p->root = root;
    p->ncols = ncols;
    p->colnames = names;
    p->coltypes = types;
    if (rc) return rc;
    p->subs[idx] = q;
    if ((int)rs->alias->n_colnames > n)
        return aerr(c, -1, "42P10",
                    "table \"%s\" has %d columns available but %d columns specified",
                    rs->alias->aliasname, n, (int)rs->alias->n_colnames);
    tw_table *t = tw_arena_zalloc(c->a, sizeof *t);
    if (!t) return nomem(c);
    t->name = tw_arena_strndup(c->a, rs->alias->aliasname, strlen(rs->alias->aliasname));
    t->ncols = n;
    t->cols = tw_arena_zalloc(c->a, sizeof(tw_column) * (size_t)(n ? n : 1));
    t->kinds = tw_arena_zalloc(c->a, (size_t)(n ? n : 1));
    t->pk = tw_arena_zalloc(c->a, sizeof(int));
    if (!t->name || !t->cols || !t->kinds || !t->pk) return nomem(c);
    for (int i = 0; i < n; i++) {
        const char *nm = i < (int)rs->alias->n_colnames ? str_of(rs->alias->colnames[i]) : NULL;
        if (!nm) nm = snames[i] ? snames[i] : "?column?";
        t->cols[i].name = tw_arena_strndup(c->a, nm, strlen(nm));
        if (!t->cols[i].name) return nomem(c);
        t->cols[i].type = stypes[i];
        t->kinds[i] = (uint8_t)tw_type_kind(stypes[i].ty);
    }
    *out = t;
    *from_sub = idx + 1;
    return TWILL_OK;
}

/* A function in FROM: generate_series(start, stop [, step]) as a one-column table whose
 * rows srf.c produces when the scan runs. Its arguments are evaluated once per scan
 * (re)start; as in PostgreSQL they may read the FROM items before it (an implicit
 * LATERAL), and plan_from then scans it after them. */
static int plan_srf(actx *c, PgQuery__RangeFunction *rf, tw_table **out, tw_srf **srf_out) {
    if (rf->is_rowsfrom || rf->n_functions != 1 || rf->n_coldeflist)
        return notsup(c, -1, "ROWS FROM and column definition lists are not supported");
    Node *fnode = rf->functions[0];
    if (fnode->node_case == N_(LIST) && fnode->list->n_items >= 1) {
        if (fnode->list->n_items > 1 && fnode->list->items[1]->node_case != 0)
            return notsup(c, -1, "column definition lists are not supported");
        fnode = fnode->list->items[0];
    }
    if (fnode->node_case != N_(FUNC_CALL)) return notsup(c, -1, "this FROM item is not supported");
    PgQuery__FuncCall *f = fnode->func_call;
    const char *raw = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
    char *name = raw ? lower_dup(c, raw) : NULL;
    if (!name)
        return raw ? nomem(c) : notsup(c, f->location, "this function call is not supported");
    int unnest = !strcmp(name, "unnest"), ancestors = !strcmp(name, "pg_partition_ancestors");
    if (strcmp(name, "generate_series") && !unnest && !ancestors)
        return notsup(c, f->location, "function %s() in FROM is not supported", name);
    if (f->agg_star || f->agg_distinct || f->over)
        return aerr(c, f->location, "42883", "function %s does not exist", name);
    tw_srf *srf = tw_arena_zalloc(c->a, sizeof *srf);
    if (!srf) return nomem(c);
    int n = (int)f->n_args, rc;
    tw_sqltype at[3];
    for (int i = 0; i < n && i < 3; i++) {
        if ((rc = cx(c, f->args[i], &srf->args[i]))) return rc;
        at[i] = srf->args[i]->type;
    }
    int amb = 0, ty = TY_UNKNOWN;
    if (ancestors) {
        /* Twill has no partitioned tables, and for any other relation PostgreSQL's
         * pg_partition_ancestors(regclass) returns no rows (psql's \d asks it) */
        if (n != 1)
            return aerr(c, f->location, "42883", "function pg_partition_ancestors does not exist");
        srf->kind = TW_SRF_EMPTY;
        ty = TY_INT8;
        n = 0;
    } else if (unnest) {
        /* unnest(array): its elements (one array argument only) */
        if (n != 1) return notsup(c, f->location, "unnest() of %d arrays is not supported", n);
        if (at[0].ty == TY_UNKNOWN)
            return aerr(c, f->location, "42725", "function unnest(unknown) is not unique");
        if (at[0].ty != TY_ARRAY)
            return aerr(c, f->location, "42883", "function unnest(%s) does not exist",
                        tw_type_name(at[0], (char[64]){0}, 64));
        srf->kind = TW_SRF_UNNEST;
        ty = at[0].mod;
    } else if (n >= 2 && n <= 3) {
        ty = tw_srf_series_type(at, n, &srf->kind, &amb);
    }
    if (ty == TY_UNKNOWN) {
        char sig[256];
        int o = 0;
        for (int i = 0; i < n && i < 3; i++)
            o += snprintf(sig + o, sizeof sig - (size_t)o, "%s%s", i ? ", " : "",
                          at[i].ty == TY_UNKNOWN ? "unknown"
                                                 : tw_type_name(at[i], (char[64]){0}, 64));
        return aerr(c, f->location, amb ? "42725" : "42883", "function generate_series(%s) %s", sig,
                    amb ? "is not unique" : "does not exist");
    }
    srf->nargs = n;
    for (int i = 0; i < n && !unnest; i++) {
        int want = i == 2 && srf->kind == TW_SRF_TS ? TY_INTERVAL : ty;
        if (srf->args[i]->type.ty == TY_UNKNOWN)
            rc = coerce_unknown(c, &srf->args[i], (tw_sqltype){(uint8_t)want, -1}, 0, f->location);
        else if (srf->args[i]->type.ty != want)
            rc = widen(c, &srf->args[i], want);
        if (rc) return rc;
    }
    const char *tname = rf->alias && rf->alias->aliasname ? rf->alias->aliasname : name;
    const char *cname = tname, *oname = "ordinality";
    int ncols = rf->ordinality ? 2 : 1;
    srf->ordinality = rf->ordinality != 0;
    if (rf->alias && rf->alias->n_colnames) {
        if ((int)rf->alias->n_colnames > ncols)
            return aerr(c, -1, "42P10",
                        "table \"%s\" has %d columns available but %d columns specified", tname,
                        ncols, (int)rf->alias->n_colnames);
        cname = str_of(rf->alias->colnames[0]);
        if (!cname) cname = tname;
        if (rf->alias->n_colnames > 1 && str_of(rf->alias->colnames[1]))
            oname = str_of(rf->alias->colnames[1]);
    }
    tw_table *t = tw_arena_zalloc(c->a, sizeof *t);
    if (!t) return nomem(c);
    t->name = tw_arena_strndup(c->a, tname, strlen(tname));
    t->ncols = ncols;
    t->cols = tw_arena_zalloc(c->a, sizeof(tw_column) * 2);
    t->kinds = tw_arena_zalloc(c->a, 2);
    t->pk = tw_arena_zalloc(c->a, sizeof(int));
    if (!t->name || !t->cols || !t->kinds || !t->pk) return nomem(c);
    if (!(t->cols[0].name = tw_arena_strndup(c->a, cname, strlen(cname))) ||
        !(t->cols[1].name = tw_arena_strndup(c->a, oname, strlen(oname))))
        return nomem(c);
    t->cols[0].type = (tw_sqltype){(uint8_t)ty, -1};
    t->kinds[0] = (uint8_t)tw_type_kind(ty);
    t->cols[1].type = (tw_sqltype){TY_INT8, -1};
    t->kinds[1] = (uint8_t)tw_type_kind(TY_INT8);
    *out = t;
    *srf_out = srf;
    return TWILL_OK;
}

/* Is n a call of generate_series? */
static int is_srf_call(const Node *n) {
    if (!n || n->node_case != N_(FUNC_CALL)) return 0;
    const PgQuery__FuncCall *f = n->func_call;
    const char *nm = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
    return nm && (!strcasecmp(nm, "generate_series") || !strcasecmp(nm, "unnest") ||
                  !strcasecmp(nm, "pg_partition_ancestors"));
}

/* SELECT generate_series(...) [AS x], ... [FROM ...]: the call becomes the last FROM item
 * (a function scan, run for each row of the others, as PostgreSQL's ProjectSet does) and
 * the select-list entry a reference to its column. Only the plain form: one such call,
 * as a whole select-list entry, without aggregates, GROUP BY, DISTINCT or windows (0A000
 * otherwise). *out is a rewritten copy of s (the parse tree is shared), or NULL. */
static int srf_target_rewrite(actx *c, PgQuery__SelectStmt *s, PgQuery__SelectStmt **out) {
    *out = NULL;
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE) return TWILL_OK;
    int at = -1;
    for (size_t i = 0; i < s->n_target_list; i++) {
        const Node *t = s->target_list[i];
        if (t->node_case != N_(RES_TARGET) || !is_srf_call(t->res_target->val)) continue;
        if (at >= 0)
            return notsup(c, t->res_target->location,
                          "more than one set-returning function in the select list is not "
                          "supported");
        at = (int)i;
    }
    if (at < 0) return TWILL_OK;
    const PgQuery__ResTarget *rt = s->target_list[at]->res_target;
    int agg = 0;
    for (size_t i = 0; i < s->n_target_list && !agg; i++)
        agg = (int)i != at && has_agg(s->target_list[i]);
    if (agg || s->n_group_clause || s->having_clause || s->n_distinct_clause ||
        s->n_window_clause || s->n_values_lists || rt->val->func_call->over)
        return notsup(c, rt->location,
                      "set-returning functions in the select list are only supported without "
                      "aggregates, GROUP BY, DISTINCT and window functions");
    PgQuery__SelectStmt *ns = tw_arena_alloc(c->a, sizeof *ns);
    Node **from = tw_arena_alloc(c->a, sizeof(Node *) * (s->n_from_clause + 1));
    Node **targets = tw_arena_alloc(c->a, sizeof(Node *) * s->n_target_list);
    Node *fnode = tw_arena_alloc(c->a, sizeof *fnode), *cnode = tw_arena_alloc(c->a, sizeof *cnode),
         *tnode = tw_arena_alloc(c->a, sizeof *tnode),
         **fields = tw_arena_alloc(c->a, 2 * sizeof(Node *)),
         **fns = tw_arena_alloc(c->a, sizeof(Node *));
    Node *snodes = tw_arena_alloc(c->a, 2 * sizeof(Node));
    PgQuery__String *strs = tw_arena_alloc(c->a, 2 * sizeof(PgQuery__String));
    PgQuery__RangeFunction *rf = tw_arena_alloc(c->a, sizeof *rf);
    PgQuery__Alias *al = tw_arena_alloc(c->a, sizeof *al);
    PgQuery__ColumnRef *cr = tw_arena_alloc(c->a, sizeof *cr);
    PgQuery__ResTarget *nrt = tw_arena_alloc(c->a, sizeof *nrt);
    if (!ns || !from || !targets || !fnode || !cnode || !tnode || !fields || !fns || !snodes ||
        !strs || !rf || !al || !cr || !nrt)
        return nomem(c);
    static const char TNAME[] = " select-list function";
    const char *fnm = str_of(rt->val->func_call->funcname[rt->val->func_call->n_funcname - 1]);
    const char *CNAME = fnm && !strcasecmp(fnm, "unnest") ? "unnest"
                        : fnm && !strcasecmp(fnm, "pg_partition_ancestors")
                            ? "pg_partition_ancestors"
                            : "generate_series";
    *al = (PgQuery__Alias)PG_QUERY__ALIAS__INIT;
    al->aliasname = (char *)TNAME;
    al->n_colnames = 1;
    al->colnames = &fields[1];
    *rf = (PgQuery__RangeFunction)PG_QUERY__RANGE_FUNCTION__INIT;
    rf->n_functions = 1;
    rf->functions = fns;
    fns[0] = rt->val;
    rf->alias = al;
    *fnode = (Node)PG_QUERY__NODE__INIT;
    fnode->node_case = N_(RANGE_FUNCTION);
    fnode->range_function = rf;
    for (int i = 0; i < 2; i++) {
        strs[i] = (PgQuery__String)PG_QUERY__STRING__INIT;
        strs[i].sval = (char *)(i ? CNAME : TNAME);
        snodes[i] = (Node)PG_QUERY__NODE__INIT;
        snodes[i].node_case = N_(STRING);
        snodes[i].string = &strs[i];
        fields[i] = &snodes[i];
    }
    *cr = (PgQuery__ColumnRef)PG_QUERY__COLUMN_REF__INIT;
    cr->n_fields = 2;
    cr->fields = fields;
    cr->location = rt->location;
    *cnode = (Node)PG_QUERY__NODE__INIT;
    cnode->node_case = N_(COLUMN_REF);
    cnode->column_ref = cr;
    *nrt = *rt;
    nrt->val = cnode;
    if (!nrt->name || !nrt->name[0]) nrt->name = (char *)CNAME;
    *tnode = *s->target_list[at];
    tnode->res_target = nrt;
    *ns = *s;
    if (s->n_from_clause) memcpy(from, s->from_clause, sizeof(Node *) * s->n_from_clause);
    from[s->n_from_clause] = fnode;
    ns->from_clause = from;
    ns->n_from_clause = s->n_from_clause + 1;
    memcpy(targets, s->target_list, sizeof(Node *) * s->n_target_list);
    targets[at] = tnode;
    ns->target_list = targets;
    *out = ns;
    return TWILL_OK;
}

/* Builds the scans (one per FROM table, each filling its slice of the combined row)
 * joined left-deep by nested loops. Without outer joins the scan order is chosen
 * greedily: next comes the table whose key (primary key, else an index) is best bound
 * by constants and the tables already scanned, so `FROM a, b, c WHERE ...` never
 * degenerates into a cross product when the conditions connect the tables.
 * Predicates go to the first scan after which everything they read is available; a
 * LEFT JOIN's ON conjuncts filter its inner scan (non-matching rows are NULL-extended),
 * while WHERE conjuncts that read a LEFT JOIN's table run after the extension. */
/* A query's plan is made: its operator tree and its result columns. */
static int set_result(tw_plan *p, tw_pnode *root, int n, char **names, tw_sqltype *types) {
    p->root = root;
    p->ncols = n;
    p->colnames = names;
    p->coltypes = types;
    return TWILL_OK;
}

/* ---- WITH ---- */

/* A RangeVar named `name` without a schema (a reference to that CTE)? */
static int refs_name_visit(const ProtobufCMessage *m, void *name) {
    if (m->descriptor != &pg_query__range_var__descriptor) return 0;
    const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
    return !(rv->schemaname && rv->schemaname[0]) && rv->relname && !strcmp(rv->relname, name);
}

static int refs_name(const ProtobufCMessage *m, const char *name) {
    return tw_pq_walk(m, refs_name_visit, (void *)name);
}

static const PgQuery__CommonTableExpr *cte_at(const PgQuery__WithClause *w, size_t i) {
    return w->ctes[i]->node_case == N_(COMMON_TABLE_EXPR) ? w->ctes[i]->common_table_expr : NULL;
}

/* Opens WITH clause w's scope (f lives until the caller pops it: c->ctes = f->parent). */
static int with_push(actx *c, const PgQuery__WithClause *w, cte_frame *f) {
    for (size_t i = 0; i < w->n_ctes; i++) {
        const PgQuery__CommonTableExpr *e = cte_at(w, i);
        if (!e) return notsup(c, w->location, "malformed WITH clause");
        if (!e->ctequery || e->ctequery->node_case != N_(SELECT_STMT))
            return notsup(c, e->location, "data-modifying statements in WITH are not supported");
        if (e->search_clause || e->cycle_clause)
            return notsup(c, e->location, "SEARCH and CYCLE clauses are not supported");
        for (size_t k = 0; k < i; k++)
            if (!strcmp(cte_at(w, k)->ctename, e->ctename))
                return aerr(c, e->location, "42712",
                            "WITH query name \"%s\" specified more than once", e->ctename);
    }
    *f = (cte_frame){.w = w, .parent = c->ctes, .limit = w->n_ctes};
    if (!(f->used = tw_arena_zalloc(c->a, w->n_ctes + 1))) return nomem(c);
    c->ctes = f;
    return TWILL_OK;
}

/* The CTE a FROM item names, if any (innermost WITH first; CTEs hide tables). */
static const PgQuery__CommonTableExpr *cte_find(const actx *c, const PgQuery__RangeVar *rv,
                                                const cte_frame **fout, size_t *iout) {
    if (rv->schemaname && rv->schemaname[0]) return NULL;
    for (const cte_frame *f = c->ctes; f; f = f->parent)
        for (size_t i = 0; i < f->limit; i++)
            if (!strcmp(cte_at(f->w, i)->ctename, rv->relname)) {
                f->used[i] = 1;
                *fout = f;
                *iout = i;
                return cte_at(f->w, i);
            }
    return NULL;
}

/* A reference to CTE i of frame f: its query planned as a subquery in FROM named by the
 * reference's alias or the CTE's name. Each reference is planned on its own; for the
 * queries WITH allows here (SELECTs) that gives the same rows as PostgreSQL's single
 * evaluation, volatile functions aside. */
static int plan_cte(actx *c, const cte_frame *f, size_t i, PgQuery__RangeVar *rv, tw_table **out,
                    int *from_sub) {
    const PgQuery__CommonTableExpr *cte = cte_at(f->w, i);
    if (c->depth > 200 || c->view_depth >= 64)
        return aerr(c, rv->location, "54001", "WITH queries nested too deeply");
    PgQuery__Alias al = PG_QUERY__ALIAS__INIT;
    al.aliasname = (char *)(rv_alias(rv) ? rv_alias(rv) : cte->ctename);
    al.n_colnames = cte->n_aliascolnames;
    al.colnames = cte->aliascolnames;
    PgQuery__RangeSubselect rs = PG_QUERY__RANGE_SUBSELECT__INIT;
    rs.subquery = cte->ctequery;
    rs.alias = &al;
    int recursive = f->w->recursive && refs_name(&cte->ctequery->base, cte->ctename);
    cte_frame inner = {.w = f->w,
                       .parent = f->parent,
                       .limit = f->w->recursive ? f->w->n_ctes : i,
                       .used = f->used};
    const cte_frame *saved = c->ctes;
    const PgQuery__CommonTableExpr *saved_rec = c->rec_cte;
    c->ctes = &inner;
    c->rec_cte = recursive ? cte : NULL;
    c->view_depth++;
    int rc = plan_derived(c, &rs, out, from_sub);
    c->view_depth--;
    c->rec_cte = saved_rec;
    c->ctes = saved;
    return rc;
}

/* PostgreSQL analyzes every CTE, referenced or not, so an unreferenced one with an error
 * fails the statement: plan those too (the plan is kept but never runs). */
static int with_check_unused(actx *c, const cte_frame *f) {
    tw_plan *p = c->p;
    for (size_t i = 0; i < f->w->n_ctes; i++) {
        if (f->used[i]) continue;
        f->used[i] = 1;
        PgQuery__RangeVar rv = PG_QUERY__RANGE_VAR__INIT;
        rv.relname = cte_at(f->w, i)->ctename;
        rv.location = -1;
        tw_table *t;
        int from_sub, nsc = c->nsc, width = c->width;
        tw_pnode *root = p->root;
        int rc = plan_cte(c, f, i, &rv, &t, &from_sub);
        c->nsc = nsc;
        c->width = width;
        p->root = root;
        if (rc) return rc;
    }
    return TWILL_OK;
}

/* WITH RECURSIVE's body: non-recursive-term UNION [ALL] recursive-term, run by a
 * PN_RECURSIVE node whose working table the recursive term's self-reference reads. As in
 * PostgreSQL, the recursive term's columns must have the non-recursive term's types. */
static int plan_recursive(actx *c, PgQuery__SelectStmt *s) {
    const PgQuery__CommonTableExpr *cte = c->rec_cte;
    c->rec_cte = NULL;
    tw_plan *p = c->p;
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_UNION || !s->larg || !s->rarg)
        return aerr(c, cte->location, "42P19",
                    "recursive query \"%s\" does not have the form non-recursive-term UNION "
                    "[ALL] recursive-term",
                    cte->ctename);
    if (s->n_sort_clause || s->limit_count || s->limit_offset || s->with_clause)
        return notsup(c, cte->location,
                      "ORDER BY, LIMIT, OFFSET and WITH in a recursive query are not supported");
    struct wtref saved = c->wt;
    c->wt.cte = cte;
    c->wt.table = NULL;
    c->wt.node = NULL;
    int rc = plan_select(c, s->larg);
    c->wt = saved;
    if (rc) return rc;
    int n = p->ncols;
    char **names = p->colnames;
    tw_sqltype *types = p->coltypes;
    if ((int)cte->n_aliascolnames > n)
        return aerr(c, cte->location, "42P10",
                    "WITH query \"%s\" has %d columns available but %d columns specified",
                    cte->ctename, n, (int)cte->n_aliascolnames);
    tw_table *t = tw_arena_zalloc(c->a, sizeof *t);
    if (!t) return nomem(c);
    t->name = tw_arena_strndup(c->a, cte->ctename, strlen(cte->ctename));
    t->ncols = n;
    t->cols = tw_arena_zalloc(c->a, sizeof(tw_column) * (size_t)(n ? n : 1));
    t->kinds = tw_arena_zalloc(c->a, (size_t)(n ? n : 1));
    t->pk = tw_arena_zalloc(c->a, sizeof(int));
    if (!t->name || !t->cols || !t->kinds || !t->pk) return nomem(c);
    for (int i = 0; i < n; i++) {
        const char *nm = i < (int)cte->n_aliascolnames ? str_of(cte->aliascolnames[i]) : NULL;
        if (!nm) nm = names[i] ? names[i] : "?column?";
        if (!(t->cols[i].name = tw_arena_strndup(c->a, nm, strlen(nm)))) return nomem(c);
        t->cols[i].type = types[i];
        t->kinds[i] = (uint8_t)tw_type_kind(types[i].ty);
    }
    tw_pnode *rec = mk_node(c, PN_RECURSIVE, p->root);
    if (!rec) return nomem(c);
    rec->ncols = n;
    rec->setop = s->all ? SETOP_ALL : 0;
    c->wt.cte = cte;
    c->wt.table = t;
    c->wt.node = rec;
    rc = plan_select(c, s->rarg);
    c->wt = saved;
    if (rc) return rc;
    if (p->ncols != n)
        return aerr(c, -1, "42601", "each UNION query must have the same number of columns");
    for (int i = 0; i < n; i++) {
        tw_sqltype a = plain(types[i]), b = plain(p->coltypes[i]);
        if (a.ty != b.ty && b.ty != TY_UNKNOWN) {
            char x[64], y[64];
            return aerr(c, cte->location, "42804",
                        "recursive query \"%s\" column %d has type %s in non-recursive term but "
                        "type %s overall",
                        cte->ctename, i + 1, tw_type_name(a, x, sizeof x),
                        tw_type_name(b, y, sizeof y));
        }
    }
    rec->inner = p->root;
    return set_result(p, rec, n, names, types);
}

/* JOIN ... USING (cols) / NATURAL JOIN between scope entries k-1 and k: the equalities
 * go to `into`; the left table's columns are the joined ones (listed first by `*`), the
 * right table's copies are hidden from unqualified names and `*`, as in PostgreSQL. */
static int join_using(actx *c, const fromitem *it, int k, conjlist *into) {
    scope_ent *l = &c->sc[k - 1], *r = &c->sc[k];
    int n = it->natural ? l->t->ncols : (int)it->n_using, m = 0;
    int *lead = tw_arena_alloc(c->a, sizeof(int) * (size_t)(n ? n : 1));
    uint8_t *merged = tw_arena_zalloc(c->a, (size_t)(r->t->ncols ? r->t->ncols : 1));
    if (!lead || !merged) return nomem(c);
    for (int i = 0; i < n; i++) {
        const char *nm = it->natural ? l->t->cols[i].name : str_of(it->using_names[i]);
        if (!nm) return notsup(c, -1, "malformed USING clause");
        int lc = tw_table_column(l->t, nm), rc = tw_table_column(r->t, nm);
        if (it->natural && rc < 0) continue;
        if (lc < 0)
            return aerr(c, -1, "42703",
                        "column \"%s\" specified in USING clause does not exist in left table", nm);
        if (rc < 0)
            return aerr(c, -1, "42703",
                        "column \"%s\" specified in USING clause does not exist in right table",
                        nm);
        for (int j = 0; j < m; j++)
            if (lead[j] == lc)
                return aerr(c, -1, "42701",
                            "column name \"%s\" appears more than once in USING "
                            "clause",
                            nm);
        tw_expr *a = mk(c, EX_COL, 0), *b = mk(c, EX_COL, 0), *eq;
        if (!a || !b) return nomem(c);
        a->idx = l->offset + lc;
        a->type = l->t->cols[lc].type;
        b->idx = r->offset + rc;
        b->type = r->t->cols[rc].type;
        int st = mk_cmp(c, EX_EQ, a, b, -1, "=", &eq);
        if (st) return st;
        if ((st = conj_add(c, into, eq))) return st;
        lead[m++] = lc;
        merged[rc] = 1;
    }
    l->nlead = m;
    l->lead = lead;
    r->merged = merged;
    return TWILL_OK;
}

/* Can equality a = b be decided on the bytes of the two values' key encodings? Only for
 * kinds whose equal values encode identically (not floats: -0 and 0; not char(n), which
 * compares without trailing blanks). */
static int hashable(tw_sqltype a, tw_sqltype b) {
    int ka = tw_type_kind(a.ty), kb = tw_type_kind(b.ty);
    if (ka != kb || a.ty == TY_CHAR || b.ty == TY_CHAR) return 0;
    return ka == VK_BOOL || ka == VK_INT || ka == VK_TEXT || ka == VK_BYTEA || ka == VK_NUMERIC ||
           ka == VK_DATE || ka == VK_TS || ka == VK_TSTZ || ka == VK_UUID;
}

static int has_subq(const tw_expr *e);

/* A join whose inner scan has no key bound by the tables before it: rather than scan the
 * inner table once per outer row, read it once into a hash table keyed by the columns
 * the join condition equates with the outer tables' values (a hash join). The inner scan
 * keeps only its own conditions (none for a FULL join, whose unmatched inner rows are
 * emitted too); the rest of the join condition becomes jfilter. */
static int hash_join(actx *c, tw_pnode *j, tw_pnode *sn, const conjlist *on, int t, uint64_t before,
                     int full) {
    conjlist local = {0}, rest = {0};
    tw_expr *kin[16], *kout[16];
    int nk = 0, rc;
    for (int i = 0; i < on->n; i++) {
        tw_expr *e = on->e[i];
        uint64_t m = expr_tables(c, e), self = 1ull << t;
        if (m == self && !full) { /* FULL: an inner row failing them is still emitted */
            if ((rc = conj_add(c, &local, e))) return rc;
            continue;
        }
        if (e->op == EX_EQ && nk < 16 && !has_subq(e)) {
            tw_expr *a = e->args[0], *b = e->args[1], *in = NULL, *out = NULL;
            uint64_t ma = expr_tables(c, a), mb = expr_tables(c, b);
            if (ma == self && mb && !(mb & ~before)) in = a, out = b;
            if (mb == self && ma && !(ma & ~before)) in = b, out = a;
            if (in && hashable(in->type, out->type)) {
                kin[nk] = in;
                kout[nk++] = out;
                continue;
            }
        }
        if ((rc = conj_add(c, &rest, e))) return rc;
    }
    if (!nk) return TWILL_OK;
    j->nhkeys = nk;
    j->hkin = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)nk);
    j->hkout = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)nk);
    if (!j->hkin || !j->hkout) return nomem(c);
    memcpy(j->hkin, kin, sizeof(tw_expr *) * (size_t)nk);
    memcpy(j->hkout, kout, sizeof(tw_expr *) * (size_t)nk);
    j->jfilter = conj_and(c, &rest);
    sn->filter = conj_and(c, &local);
    if ((rest.n && !j->jfilter) || (local.n && !sn->filter)) return nomem(c);
    /* its own conditions may now give the inner scan a key of its own */
    if (access_for(c, sn, sn->filter, t, 0) < 0) return nomem(c);
    return TWILL_OK;
}

static int plan_from(actx *c, PgQuery__SelectStmt *s, tw_pnode **out) {
    fromitem items[TW_MAX_FROM];
    int ni = 0, rc, has_left = 0;
    for (size_t i = 0; i < s->n_from_clause; i++)
        if ((rc = flatten_from(c, s->from_clause[i], items, &ni))) return rc;
    tw_pnode *scans[TW_MAX_FROM];
    uint64_t deps[TW_MAX_FROM]; /* a function's arguments read these earlier items */
    conjlist free_conj = {0}, left_on[TW_MAX_FROM];
    memset(left_on, 0, sizeof left_on);
    for (int k = 0; k < ni; k++) {
        tw_table *t = NULL;
        int from_sub = 0, vrel = 0;
        tw_srf *srf = NULL;
        const PgQuery__CommonTableExpr *cte;
        const cte_frame *cf;
        size_t ci;
        tw_pnode *wt = NULL;
        if (items[k].fn) {
            if ((rc = plan_srf(c, items[k].fn, &t, &srf)) || (rc = scope_push(c, t, NULL, -1)))
                return rc;
        } else if (items[k].sub) {
            if ((rc = plan_derived(c, items[k].sub, &t, &from_sub)) ||
                (rc = scope_push(c, t, NULL, -1)))
                return rc;
        } else if ((cte = cte_find(c, items[k].rv, &cf, &ci))) {
            if (c->wt.cte == cte) { /* WITH RECURSIVE: the working table */
                if (!c->wt.table)
                    return aerr(c, items[k].rv->location, "42P19",
                                "recursive reference to query \"%s\" must not appear within its "
                                "non-recursive term",
                                cte->ctename);
                t = c->wt.table;
                wt = c->wt.node;
                if ((rc = scope_push(c, t, rv_alias(items[k].rv), items[k].rv->location)))
                    return rc;
            } else if ((rc = plan_cte(c, cf, ci, items[k].rv, &t, &from_sub)) ||
                       (rc = scope_push(c, t, NULL, items[k].rv->location))) {
                return rc;
            }
        } else if ((t = (tw_table *)tw_pgcat_lookup(items[k].rv->schemaname, items[k].rv->relname,
                                                    &vrel))) {
            if ((rc = scope_push(c, t, rv_alias(items[k].rv), items[k].rv->location))) return rc;
        } else if (tw_catalog_view(c->cat, items[k].rv->relname) &&
                   !(items[k].rv->schemaname && items[k].rv->schemaname[0] &&
                     strcmp(items[k].rv->schemaname, "public"))) {
            if ((rc = plan_view(c, tw_catalog_view(c->cat, items[k].rv->relname), items[k].rv, &t,
                                &from_sub)) ||
                (rc = scope_push(c, t, NULL, items[k].rv->location)))
                return rc;
        } else if ((rc = lookup_table(c, items[k].rv, &t)) ||
                   (rc = scope_push(c, t, rv_alias(items[k].rv), items[k].rv->location))) {
            return rc;
        }
        tw_pnode *sn = mk_node(c, PN_SCAN, NULL);
        if (!sn) return nomem(c);
        sn->table = t;
        sn->alias = items[k].rv ? rv_alias(items[k].rv) : NULL;
        sn->wt = wt;
        sn->from_sub = from_sub;
        sn->vrel = vrel;
        sn->srf = srf;
        deps[k] = 0;
        for (int i = 0; srf && i < srf->nargs; i++) deps[k] |= expr_tables(c, srf->args[i]);
        sn->coloff = c->sc[k].offset;
        scans[k] = sn;
        has_left |= items[k].left || (items[k].sub && items[k].sub->lateral);
        if (items[k].quals) {
            tw_expr *q;
            if ((rc = compile_where(c, items[k].quals, "JOIN conditions", &q)) ||
                (rc = conj_split(c, q,
                                 items[k].first  ? &left_on[k - 1]
                                 : items[k].left ? &left_on[k]
                                                 : &free_conj)))
                return rc;
        }
        if ((items[k].natural || items[k].n_using) &&
            (rc = join_using(c, &items[k], k, items[k].left ? &left_on[k] : &free_conj)))
            return rc;
    }
    if (s->where_clause) {
        tw_expr *w;
        if ((rc = compile_where(c, s->where_clause, "WHERE", &w)) ||
            (rc = conj_split(c, w, &free_conj)))
            return rc;
    }
    uint64_t *masks = tw_arena_alloc(c->a, sizeof(uint64_t) * (size_t)(free_conj.n + 1));
    if (!masks) return nomem(c);
    for (int i = 0; i < free_conj.n; i++) masks[i] = expr_tables(c, free_conj.e[i]);
    /* scan order */
    int order[TW_MAX_FROM], pos_of[TW_MAX_FROM];
    uint64_t placed = 0;
    for (int pos = 0; pos < ni; pos++) {
        int best = -1, best_score = -1;
        for (int t = 0; t < ni; t++) {
            if (placed >> t & 1 || deps[t] & ~placed) continue;
            if (has_left) { /* outer joins keep the written order */
                best = t;
                break;
            }
            conjlist l = {0};
            int connected = 0;
            for (int i = 0; i < free_conj.n; i++) {
                if ((masks[i] & ~(placed | 1ull << t)) || !(masks[i] >> t & 1)) continue;
                connected |= (masks[i] & placed) != 0;
                if ((rc = conj_add(c, &l, free_conj.e[i]))) return rc;
            }
            tw_pnode probe = *scans[t];
            int score = access_for(c, &probe, conj_and(c, &l), t, placed);
            if (score < 0) return nomem(c);
            score = score * 2 + connected;
            if (score > best_score) best = t, best_score = score;
        }
        order[pos] = best;
        pos_of[best] = pos;
        placed |= 1ull << best;
    }
    if (ni > 1 && items[1].first) { /* RIGHT JOIN: the preserved side drives the loop */
        order[0] = 1, order[1] = 0;
        pos_of[0] = 1, pos_of[1] = 0;
    }
    /* predicate placement */
    conjlist onscan[TW_MAX_FROM], post[TW_MAX_FROM];
    memset(onscan, 0, sizeof onscan);
    memset(post, 0, sizeof post);
    for (int i = 0; i < free_conj.n; i++) {
        int pos = 0;
        for (int t = 0; t < ni; t++)
            if ((masks[i] >> t & 1) && pos_of[t] > pos) pos = pos_of[t];
        int t = order[pos];
        if (ni > 1 && items[1].full) /* FULL JOIN: both sides are NULL-extended first */
            t = order[pos = pos ? pos : 1];
        if ((rc = conj_add(c, items[t].left ? &post[pos] : &onscan[pos], free_conj.e[i])))
            return rc;
    }
    for (int k = 0; k < ni; k++)
        for (int i = 0; i < left_on[k].n; i++)
            if ((rc = conj_add(c, &onscan[pos_of[k]], left_on[k].e[i]))) return rc;
    tw_pnode *top = NULL;
    placed = 0;
    for (int pos = 0; pos < ni; pos++) {
        int t = order[pos];
        tw_pnode *sn = scans[t];
        sn->filter = conj_and(c, &onscan[pos]);
        if (onscan[pos].n && !sn->filter) return nomem(c);
        sn->ncols = c->width;
        if (access_for(c, sn, sn->filter, t, placed) < 0) return nomem(c);
        uint64_t before = placed;
        placed |= 1ull << t;
        if (!top) {
            top = sn;
            continue;
        }
        tw_pnode *j = mk_node(c, PN_JOIN, top);
        if (!j) return nomem(c);
        j->inner = sn;
        if (items[t].full) {
            j->full = 1;
            if ((rc = hash_join(c, j, sn, &onscan[pos], t, before, 1))) return rc;
            if (!j->nhkeys)
                return notsup(c, -1,
                              "FULL JOIN is only supported with an equality between columns of "
                              "the two tables");
        } else if (sn->acc.kind == ACC_FULL && !deps[t] && !sn->wt &&
                   (rc = hash_join(c, j, sn, &onscan[pos], t, before, 0))) {
            return rc;
        }
        j->left = (uint8_t)items[t].left;
        j->post = conj_and(c, &post[pos]);
        if (post[pos].n && !j->post) return nomem(c);
        j->ncols = c->width;
        top = j;
    }
    *out = top;
    return TWILL_OK;
}

/* UNION / INTERSECT / EXCEPT [ALL]: each side is planned as a query of its own (over
 * the same row slot: they run one after the other); columns are unified to common
 * types; ORDER BY / LIMIT of the whole refer to output columns. */
static int plan_setop(actx *c, PgQuery__SelectStmt *s) {
    tw_plan *p = c->p;
    int rc;
    if (s->with_clause) return notsup(c, -1, "WITH queries are not supported");
    if (!s->larg || !s->rarg) return notsup(c, -1, "malformed set operation");
    tw_pnode *arm[2];
    int ncols[2];
    char **names = NULL;
    tw_sqltype *types[2];
    PgQuery__SelectStmt *side[2] = {s->larg, s->rarg};
    for (int i = 0; i < 2; i++) {
        if ((rc = plan_select(c, side[i]))) return rc;
        arm[i] = p->root;
        ncols[i] = p->ncols;
        types[i] = p->coltypes;
        if (!i) names = p->colnames;
    }
    const char *opname = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION       ? "UNION"
                         : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT ? "INTERSECT"
                                                                             : "EXCEPT";
    if (ncols[0] != ncols[1])
        return aerr(c, -1, "42601", "each %s query must have the same number of columns", opname);
    int n = ncols[0];
    tw_sqltype *ut = tw_arena_alloc(c->a, sizeof *ut * (size_t)(n ? n : 1));
    if (!ut) return nomem(c);
    for (int k = 0; k < n; k++) {
        tw_sqltype a = plain(types[0][k]), b = plain(types[1][k]);
        if (!same_class(a.ty, b.ty)) {
            char x[64], y[64];
            return aerr(c, -1, "42804", "%s types %s and %s cannot be matched", opname,
                        tw_type_name(a, x, 64), tw_type_name(b, y, 64));
        }
        tw_sqltype t = a.ty == TY_UNKNOWN ? b : a;
        if (ty_is_num(a.ty) && ty_is_num(b.ty) && a.ty != b.ty)
            t.ty = ty_is_float(a.ty) || ty_is_float(b.ty) ? TY_FLOAT8 : (a.ty > b.ty ? a.ty : b.ty);
        if (t.ty == TY_UNKNOWN) t.ty = TY_TEXT;
        ut[k] = t;
    }
    /* cast a side whose column types differ from the unified ones */
    for (int i = 0; i < 2; i++) {
        int need = 0;
        for (int k = 0; k < n; k++) need |= types[i][k].ty != ut[k].ty;
        if (!need) continue;
        tw_pnode *pj = mk_node(c, PN_PROJECT, arm[i]);
        if (!pj) return nomem(c);
        pj->ncols = n;
        pj->exprs = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)n);
        if (!pj->exprs) return nomem(c);
        for (int k = 0; k < n; k++) {
            tw_expr *e = mk(c, EX_COL, 0);
            if (!e) return nomem(c);
            e->idx = k;
            e->type = types[i][k];
            if (types[i][k].ty != ut[k].ty) {
                tw_expr *w = mk(c, EX_CAST, 1);
                if (!w) return nomem(c);
                w->args[0] = e;
                w->type = ut[k];
                e = w;
            }
            pj->exprs[k] = e;
        }
        arm[i] = pj;
    }
    int all = s->all;
    tw_pnode *top;
    if (s->op == PG_QUERY__SET_OPERATION__SETOP_UNION) {
        top = mk_node(c, PN_APPEND, arm[0]);
        if (!top) return nomem(c);
        top->inner = arm[1];
        top->ncols = n;
        if (!all) { /* distinct rows = grouping by every column */
            tw_pnode *an = mk_node(c, PN_AGG, top);
            if (!an) return nomem(c);
            an->ngroup = n;
            an->ncols = n;
            an->group = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(n ? n : 1));
            if (!an->group) return nomem(c);
            for (int k = 0; k < n; k++) {
                if (!(an->group[k] = mk(c, EX_COL, 0))) return nomem(c);
                an->group[k]->idx = k;
                an->group[k]->type = ut[k];
            }
            top = an;
        }
    } else {
        top = mk_node(c, PN_SETOP, arm[0]);
        if (!top) return nomem(c);
        top->inner = arm[1];
        top->ncols = n;
        top->setop = (uint8_t)((s->op == PG_QUERY__SET_OPERATION__SETOP_EXCEPT ? SETOP_EXCEPT : 0) |
                               (all ? SETOP_ALL : 0));
    }
    /* ORDER BY output columns (by name or position), then LIMIT / OFFSET */
    c->nsc = 0;
    int nkeys = (int)s->n_sort_clause;
    if (nkeys) {
        tw_sortkey *keys = tw_arena_zalloc(c->a, sizeof *keys * (size_t)nkeys);
        if (!keys) return nomem(c);
        for (int i = 0; i < nkeys; i++) {
            PgQuery__SortBy *sb = s->sort_clause[i]->sort_by;
            Node *v = sb->node;
            int col = -1;
            if (v->node_case == N_(A_CONST) &&
                v->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
                col = v->a_const->ival->ival - 1;
                if (col < 0 || col >= n)
                    return aerr(c, v->a_const->location, "42P10",
                                "ORDER BY position %d is not in select list", col + 1);
            } else if (v->node_case == N_(COLUMN_REF) && v->column_ref->n_fields == 1 &&
                       str_of(v->column_ref->fields[0])) {
                const char *nm = str_of(v->column_ref->fields[0]);
                for (int k = 0; k < n && col < 0; k++)
                    if (names[k] && !strcmp(names[k], nm)) col = k;
            }
            if (col < 0)
                return notsup(c, -1, "ORDER BY on a %s result must name an output column", opname);
            keys[i].col = col;
            sort_dir(sb, &keys[i]);
        }
        tw_pnode *sn = mk_node(c, PN_SORT, top);
        if (!sn) return nomem(c);
        sn->nkeys = nkeys;
        sn->keys = keys;
        sn->ncols = n;
        top = sn;
    }
    tw_expr *limit = NULL, *offset = NULL;
    if (s->limit_count &&
        !(s->limit_count->node_case == N_(A_CONST) && s->limit_count->a_const->isnull)) {
        if ((rc = cx(c, s->limit_count, &limit))) return rc;
        if (coerce_unknown(c, &limit, (tw_sqltype){TY_INT8, -1}, 0, -1)) return TWILL_ERROR;
    }
    if (s->limit_offset) {
        if ((rc = cx(c, s->limit_offset, &offset))) return rc;
        if (coerce_unknown(c, &offset, (tw_sqltype){TY_INT8, -1}, 0, -1)) return TWILL_ERROR;
    }
    if (limit || offset) {
        if (top->kind == PN_SORT) top->limit = limit, top->offset = offset;
        tw_pnode *ln = mk_node(c, PN_LIMIT, top);
        if (!ln) return nomem(c);
        ln->limit = limit;
        ln->offset = offset;
        ln->ncols = n;
        top = ln;
    }
    return set_result(p, top, n, names, ut);
}

/* Does FROM item n produce no rows because an always-empty system catalog (pg_inherits,
 * pg_policy, ...: Twill has no such objects) is joined in without an outer join? */
static int empty_from_item(const Node *n) {
    if (!n) return 0;
    if (n->node_case == N_(RANGE_VAR)) {
        int v;
        return tw_pgcat_lookup(n->range_var->schemaname, n->range_var->relname, &v) &&
               tw_pgcat_always_empty(v);
    }
    if (n->node_case != N_(JOIN_EXPR)) return 0;
    const PgQuery__JoinExpr *j = n->join_expr;
    int l = empty_from_item(j->larg), r = empty_from_item(j->rarg);
    switch (j->jointype) {
    case PG_QUERY__JOIN_TYPE__JOIN_INNER:
        return l || r;
    case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
        return l;
    case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
        return r;
    default:
        return l && r;
    }
}

static int plan_select_body(actx *c, PgQuery__SelectStmt *s);

/* A query that reads an always-empty system catalog but uses something Twill cannot
 * plan (psql's \d asks pg_policy with ARRAY(...) and = ANY, pg_publication with
 * string_agg over generate_series, ...): whatever its expressions mean, its answer is no
 * rows, so it is planned as an empty result whose columns are text, named as
 * PostgreSQL names them. Anything else keeps its 0A000. */
static int plan_select(actx *c, PgQuery__SelectStmt *s) {
    PgQuery__SelectStmt *srf_s;
    int rc = srf_target_rewrite(c, s, &srf_s);
    if (rc) return rc;
    if (srf_s) s = srf_s;
    rc = plan_select_body(c, s);
    if ((rc != TWILL_NOTSUP && rc != TWILL_ERROR) || s->op != PG_QUERY__SET_OPERATION__SETOP_NONE ||
        s->n_group_clause || s->having_clause)
        return rc;
    int empty = 0;
    for (size_t i = 0; i < s->n_from_clause && !empty; i++)
        empty = empty_from_item(s->from_clause[i]);
    for (size_t i = 0; i < s->n_target_list && empty; i++) empty = !has_agg(s->target_list[i]);
    if (!empty) return rc;
    tw_err_clear(c->err);
    tw_plan *p = c->p;
    int n = (int)s->n_target_list;
    tw_pnode *src = mk_node(c, PN_ONEROW, NULL);
    tw_pnode *pj = src ? mk_node(c, PN_PROJECT, src) : NULL;
    tw_expr *no = mk(c, EX_CONST, 0);
    char **names = tw_arena_alloc(c->a, sizeof(char *) * (size_t)(n ? n : 1));
    tw_sqltype *types = tw_arena_alloc(c->a, sizeof(tw_sqltype) * (size_t)(n ? n : 1));
    tw_expr **exprs = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(n ? n : 1));
    if (!pj || !no || !names || !types || !exprs) return nomem(c);
    no->v = (tw_val){.k = VK_BOOL, .i = 0};
    no->type = (tw_sqltype){TY_BOOL, -1};
    src->filter = no;
    for (int i = 0; i < n; i++) {
        const PgQuery__ResTarget *rt =
            s->target_list[i]->node_case == N_(RES_TARGET) ? s->target_list[i]->res_target : NULL;
        const char *nm = rt && rt->name && rt->name[0] ? rt->name
                         : rt                          ? derive_name(rt->val)
                                                       : "?column?";
        if (!(names[i] = tw_arena_strndup(c->a, nm, strlen(nm))) ||
            !(exprs[i] = mk(c, EX_CONST, 0)))
            return nomem(c);
        exprs[i]->type = types[i] = (tw_sqltype){TY_TEXT, -1};
    }
    pj->exprs = exprs;
    pj->ncols = n;
    return set_result(p, pj, n, names, types);
}

/* An ORDER BY or DISTINCT ON item, resolved as PostgreSQL does: an output position, an
 * output column's name, or an expression — an equal select-list entry, else a hidden
 * column added for it. *col: its column in the projected row. */
static int output_item(actx *c, tlist *tl, int nvisible, Node *v, const char *clause, int *col) {
    *col = -1;
    if (v->node_case == N_(A_CONST) && v->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
        int k = v->a_const->ival->ival;
        if (k < 1 || k > nvisible)
            return aerr(c, v->a_const->location, "42P10", "%s position %d is not in select list",
                        clause, k);
        *col = k - 1;
        return TWILL_OK;
    }
    if (v->node_case == N_(COLUMN_REF) && v->column_ref->n_fields == 1 &&
        str_of(v->column_ref->fields[0])) {
        const char *nm = str_of(v->column_ref->fields[0]);
        for (int k = 0; k < nvisible && *col < 0; k++)
            if (tl->names[k] && !strcmp(tl->names[k], nm)) *col = k;
        if (*col >= 0) return TWILL_OK;
    }
    tw_expr *e;
    int rc = cx(c, v, &e);
    if (rc) return rc;
    for (int k = 0; k < tl->n && *col < 0; k++)
        if (tw_expr_equal(tl->e[k], e)) *col = k;
    if (*col >= 0) return TWILL_OK;
    *col = tl->n;
    return tl_add(c, tl, e, NULL);
}

/* VALUES (...), (...) as a query (alone, in FROM, in a set operation): each column
 * takes the common type of its values, as PostgreSQL resolves it; columns are named
 * column1, column2, ... */
static int plan_values(actx *c, PgQuery__SelectStmt *s) {
    tw_plan *p = c->p;
    if (s->n_sort_clause || s->limit_count || s->limit_offset)
        return notsup(c, -1, "ORDER BY, LIMIT and OFFSET on a bare VALUES are not supported");
    int nr = (int)s->n_values_lists, nc = -1, rc;
    for (int r = 0; r < nr; r++) {
        const Node *l = s->values_lists[r];
        int n = l->node_case == N_(LIST) ? (int)l->list->n_items : -1;
        if (n < 0) return notsup(c, -1, "malformed VALUES");
        if (nc >= 0 && n != nc)
            return aerr(c, -1, "42601", "VALUES lists must all be the same length");
        nc = n;
    }
    c->nsc = 0;
    c->width = 0;
    tw_expr **vals = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(nr * nc + 1));
    tw_expr **col = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(nr + 1));
    char **names = tw_arena_alloc(c->a, sizeof(char *) * (size_t)(nc + 1));
    tw_sqltype *types = tw_arena_alloc(c->a, sizeof(tw_sqltype) * (size_t)(nc + 1));
    if (!vals || !col || !names || !types) return nomem(c);
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nc; k++) {
            Node *v = s->values_lists[r]->list->items[k];
            if (v->node_case == N_(SET_TO_DEFAULT))
                return aerr(c, -1, "42601", "DEFAULT is not allowed in this context");
            if ((rc = cx(c, v, &vals[r * nc + k]))) return rc;
        }
    for (int k = 0; k < nc; k++) {
        for (int r = 0; r < nr; r++) col[r] = vals[r * nc + k];
        if ((rc = unify_results(c, col, nr, -1, &types[k]))) return rc;
        for (int r = 0; r < nr; r++) vals[r * nc + k] = col[r];
        char nm[24];
        snprintf(nm, sizeof nm, "column%d", k + 1);
        if (!(names[k] = tw_arena_strndup(c->a, nm, strlen(nm)))) return nomem(c);
    }
    tw_pnode *vn = mk_node(c, PN_VALUES, NULL);
    if (!vn) return nomem(c);
    vn->nvrows = nr;
    vn->vals = vals;
    vn->ncols = nc;
    return set_result(p, vn, nc, names, types);
}

static int plan_select_body(actx *c, PgQuery__SelectStmt *s) {
    int rc;
    /* aggregation state is per query level */
    c->agg_mode = c->in_agg = 0;
    c->ngroup = c->naggs = c->capaggs = 0;
    c->group = NULL;
    c->aggs = NULL;
    c->win_mode = c->in_win = 0;
    c->nwfns = c->capwfns = c->nwspecs = c->capwspecs = c->nwexprs = c->capwexprs = 0;
    c->wfns = NULL;
    c->wspecs = NULL;
    c->wexprs = NULL;
    c->win_stmt = s;
    if (c->rec_cte && c->rec_cte->ctequery && c->rec_cte->ctequery->node_case == N_(SELECT_STMT) &&
        c->rec_cte->ctequery->select_stmt == s)
        return plan_recursive(c, s);
    if (s->with_clause) {
        PgQuery__WithClause *w = s->with_clause;
        cte_frame f;
        if ((rc = with_push(c, w, &f))) return rc;
        s->with_clause = NULL; /* planned now; restored below (the tree is shared) */
        rc = plan_select(c, s);
        s->with_clause = w;
        if (!rc) rc = with_check_unused(c, &f);
        c->ctes = f.parent;
        return rc;
    }
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE) return plan_setop(c, s);
    tw_plan *p = c->p;
    if (s->n_values_lists) return plan_values(c, s);
    if (s->with_clause) return notsup(c, -1, "WITH queries are not supported");
    if (s->into_clause) return notsup(c, -1, "SELECT INTO is not supported");
    int distinct = s->n_distinct_clause > 0;
    int distinct_on = distinct && s->distinct_clause[0]->node_case != 0;
    if (distinct_on) distinct = 0;
    if (s->n_locking_clause) return notsup(c, -1, "FOR UPDATE / FOR SHARE is not supported");
    if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
        return notsup(c, -1, "FETCH ... WITH TIES is not supported");
    tw_pnode *src = NULL;
    c->nsc = 0;
    c->width = 0;
    if (s->n_from_clause == 0) {
        src = mk_node(c, PN_ONEROW, NULL);
        if (!src) return nomem(c);
        if (s->where_clause && (rc = compile_where(c, s->where_clause, "WHERE", &src->filter)))
            return rc;
    } else if ((rc = plan_from(c, s, &src))) {
        return rc;
    }
    /* Aggregation? */
    int agg = s->n_group_clause > 0 || s->having_clause != NULL;
    for (size_t i = 0; !agg && i < s->n_target_list; i++) agg = has_agg(s->target_list[i]);
    for (size_t i = 0; !agg && i < s->n_sort_clause; i++) agg = has_agg(s->sort_clause[i]);
    tw_pnode *top = src;
    if (agg) {
        c->ngroup = (int)s->n_group_clause;
        c->group = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(c->ngroup + 1));
        if (!c->group) return nomem(c);
        for (int i = 0; i < c->ngroup; i++) {
            Node *g = s->group_clause[i];
            c->no_agg_where = "GROUP BY";
            if (g->node_case == N_(A_CONST) &&
                g->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
                int k = g->a_const->ival->ival;
                if (k < 1 || (size_t)k > s->n_target_list ||
                    s->target_list[k - 1]->node_case != N_(RES_TARGET))
                    return aerr(c, g->a_const->location, "42P10",
                                "GROUP BY position %d is not in select list", k);
                g = s->target_list[k - 1]->res_target->val;
            } else if (g->node_case == N_(COLUMN_REF) && g->column_ref->n_fields == 1 && c->nsc) {
                /* An output alias may be grouped by name if it is not a column. */
                const char *nm = str_of(g->column_ref->fields[0]);
                if (nm && !scope_has_column(c, nm))
                    for (size_t k = 0; k < s->n_target_list; k++) {
                        PgQuery__ResTarget *rt = s->target_list[k]->res_target;
                        if (rt->name && rt->name[0] && !strcmp(rt->name, nm)) g = rt->val;
                    }
            }
            rc = cx(c, g, &c->group[i]);
            c->no_agg_where = NULL;
            if (rc) return rc;
            if (c->group[i]->type.ty == TY_JSON) /* json has no equality (jsonb has) */
                return aerr(c, -1, "42883",
                            "could not identify an equality operator for type json");
        }
        c->agg_mode = 1;
    }
    /* Target list. */
    tlist tl = {0};
    c->win_mode = 1;
    for (size_t i = 0; i < s->n_target_list; i++) {
        Node *tn = s->target_list[i];
        if (tn->node_case != N_(RES_TARGET)) return notsup(c, -1, "malformed target list");
        PgQuery__ResTarget *rt = tn->res_target;
        Node *v = rt->val;
        if (v->node_case == N_(COLUMN_REF) && v->column_ref->n_fields >= 1 &&
            v->column_ref->fields[v->column_ref->n_fields - 1]->node_case == N_(A_STAR)) {
            PgQuery__ColumnRef *r = v->column_ref;
            if (!c->nsc)
                return aerr(c, r->location, "42601",
                            "SELECT * with no tables specified is not valid");
            const char *q = NULL;
            if (r->n_fields == 2) {
                q = str_of(r->fields[0]);
                int seen = 0;
                for (int k = 0; k < c->nsc; k++) seen |= q && !strcmp(q, ent_name(&c->sc[k]));
                if (!seen)
                    return aerr(c, r->location, "42P01",
                                "missing FROM-clause entry for table \"%s\"", q ? q : "?");
            } else if (r->n_fields > 2) {
                return notsup(c, r->location, "schema-qualified * is not supported");
            }
            for (int t = 0; t < c->nsc; t++) {
                const scope_ent *se = &c->sc[t];
                if (q && strcmp(q, ent_name(se))) continue;
                int lead = q ? 0 : se->nlead; /* USING columns first, then the rest */
                for (int kk = 0; kk < lead + se->t->ncols; kk++) {
                    int k = kk < lead ? se->lead[kk] : kk - lead, dup = 0;
                    for (int j = 0; kk >= lead && j < lead; j++) dup |= se->lead[j] == k;
                    if (dup || (!q && se->merged && se->merged[k])) continue;
                    tw_expr *e = mk(c, EX_COL, 0);
                    if (!e) return nomem(c);
                    e->idx = se->offset + k;
                    e->type = se->t->cols[k].type;
                    if (agg) {
                        char what[300];
                        col_label(c, e->idx, what, sizeof what);
                        if ((rc = to_group_ref(c, &e, r->location, what))) return rc;
                    }
                    if ((rc = tl_add(c, &tl, e, se->t->cols[k].name))) return rc;
                }
            }
            continue;
        }
        tw_expr *e;
        if ((rc = cx(c, v, &e))) return rc;
        if ((rc = tl_add(c, &tl, e, rt->name && rt->name[0] ? rt->name : derive_name(v))))
            return rc;
    }
    int nvisible = tl.n;
    /* Untyped literals in the output are text. */
    for (int i = 0; i < nvisible; i++)
        if (tl.e[i]->type.ty == TY_UNKNOWN && tl.e[i]->op == EX_CONST &&
            coerce_unknown(c, &tl.e[i], (tw_sqltype){TY_TEXT, -1}, 0, -1))
            return TWILL_ERROR;
    /* ORDER BY: output alias, ordinal, or an expression (added as a hidden column). */
    int nkeys = (int)s->n_sort_clause;
    tw_sortkey *keys = NULL;
    if (nkeys) {
        keys = tw_arena_zalloc(c->a, sizeof *keys * (size_t)nkeys);
        if (!keys) return nomem(c);
    }
    for (int i = 0; i < nkeys; i++) {
        Node *sn = s->sort_clause[i];
        if (sn->node_case != N_(SORT_BY)) return notsup(c, -1, "malformed ORDER BY");
        PgQuery__SortBy *sb = sn->sort_by;
        if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
            return notsup(c, sb->location, "ORDER BY USING is not supported");
        sort_dir(sb, &keys[i]);
        if ((rc = output_item(c, &tl, nvisible, sb->node, "ORDER BY", &keys[i].col))) return rc;
    }
    /* DISTINCT ON (exprs): the first row of each group in ORDER BY order. As in
     * PostgreSQL the expressions are resolved like ORDER BY items and must match the
     * leftmost ORDER BY items; the sort then continues with any it does not cover. */
    int ndon = distinct_on ? (int)s->n_distinct_clause : 0;
    tw_sortkey *don = NULL;
    if (ndon) {
        if (!(don = tw_arena_zalloc(c->a, sizeof *don * (size_t)ndon))) return nomem(c);
        for (int i = 0; i < ndon; i++)
            if ((rc = output_item(c, &tl, nvisible, s->distinct_clause[i], "DISTINCT ON",
                                  &don[i].col)))
                return rc;
        for (int i = 0; i < nkeys && i < ndon; i++) {
            int in = 0;
            for (int k = 0; k < ndon; k++) in |= don[k].col == keys[i].col;
            if (!in)
                return aerr(c, -1, "42P10",
                            "SELECT DISTINCT ON expressions must match initial ORDER BY "
                            "expressions");
        }
        tw_sortkey *all = tw_arena_zalloc(c->a, sizeof *all * (size_t)(nkeys + ndon));
        if (!all) return nomem(c);
        if (nkeys) memcpy(all, keys, sizeof *all * (size_t)nkeys);
        int n = nkeys;
        for (int k = 0; k < ndon; k++) {
            int seen = 0;
            for (int i = 0; i < n; i++) seen |= all[i].col == don[k].col;
            if (!seen) all[n++] = don[k];
        }
        keys = all;
        nkeys = n;
    }
    c->win_mode = 0;
    tw_expr *having = NULL;
    if (agg && s->having_clause) {
        if ((rc = cx(c, s->having_clause, &having))) return rc;
        if (having->type.ty != TY_BOOL)
            return aerr(c, -1, "42804", "argument of HAVING must be type boolean");
    }
    c->agg_mode = 0;
    if (agg) {
        tw_pnode *an = mk_node(c, PN_AGG, top);
        if (!an) return nomem(c);
        an->ngroup = c->ngroup;
        an->group = c->group;
        an->naggs = c->naggs;
        an->aggs = c->aggs;
        an->having = having;
        an->ncols = c->ngroup + c->naggs;
        top = an;
    }
    if (c->nwfns) { /* window functions: computed over the (aggregated) rows */
        int in = agg ? c->ngroup + c->naggs : c->width;
        tw_pnode *wn = mk_node(c, PN_WINDOW, top);
        if (!wn) return nomem(c);
        wn->win_in = in;
        wn->nwfns = c->nwfns;
        wn->wfns = c->wfns;
        wn->nwspecs = c->nwspecs;
        wn->wspecs = c->wspecs;
        wn->nwexprs = c->nwexprs;
        wn->wexprs = c->wexprs;
        wn->ncols = in + c->nwfns;
        top = wn;
        for (int i = 0; i < tl.n; i++) win_remap(tl.e[i], in);
    }
    tw_pnode *pj = mk_node(c, PN_PROJECT, top);
    if (!pj) return nomem(c);
    pj->exprs = tl.e;
    pj->ncols = tl.n;
    top = pj;
    if (distinct) {
        /* DISTINCT = grouping the projected rows by every output column. */
        if (tl.n > nvisible)
            return aerr(c, -1, "42P10",
                        "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
        tw_pnode *an = mk_node(c, PN_AGG, top);
        if (!an) return nomem(c);
        an->ngroup = nvisible;
        an->ncols = nvisible;
        an->group = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)(nvisible ? nvisible : 1));
        if (!an->group) return nomem(c);
        for (int i = 0; i < nvisible; i++) {
            if (!(an->group[i] = mk(c, EX_COL, 0))) return nomem(c);
            an->group[i]->idx = i;
            an->group[i]->type = tl.e[i]->type;
        }
        top = an;
    }
    /* LIMIT / OFFSET: row-independent expressions. */
    tw_expr *limit = NULL, *offset = NULL;
    int saved_nsc = c->nsc;
    c->nsc = 0;
    if (s->limit_count &&
        !(s->limit_count->node_case == N_(A_CONST) && s->limit_count->a_const->isnull)) {
        if ((rc = cx(c, s->limit_count, &limit))) return rc;
        if (coerce_unknown(c, &limit, (tw_sqltype){TY_INT8, -1}, 0, -1)) return TWILL_ERROR;
    }
    if (s->limit_offset) {
        if ((rc = cx(c, s->limit_offset, &offset))) return rc;
        if (coerce_unknown(c, &offset, (tw_sqltype){TY_INT8, -1}, 0, -1)) return TWILL_ERROR;
    }
    c->nsc = saved_nsc;
    if (nkeys) {
        /* The primary-key scan already yields pk order: skip the sort when ORDER BY is
         * an ascending prefix of the primary key. */
        int skip = !agg && !distinct && !ndon && !c->nwfns && src->kind == PN_SCAN &&
                   src->table->npk && src->acc.kind != ACC_INDEX && nkeys <= src->table->npk;
        for (int i = 0; skip && i < nkeys; i++) {
            tw_expr *e = tl.e[keys[i].col];
            skip = !keys[i].desc && e->op == EX_COL && e->idx == src->table->pk[i];
        }
        if (!skip) {
            tw_pnode *sn = mk_node(c, PN_SORT, top);
            if (!sn) return nomem(c);
            sn->nkeys = nkeys;
            sn->keys = keys;
            sn->ncols = tl.n;
            sn->limit = ndon ? NULL : limit; /* top-N would cut before the de-duplication */
            sn->offset = ndon ? NULL : offset;
            top = sn;
        }
    }
    if (ndon) {
        tw_pnode *un = mk_node(c, PN_UNIQUE, top);
        if (!un) return nomem(c);
        un->nkeys = ndon;
        un->keys = don;
        un->ncols = tl.n;
        top = un;
    }
    if (limit || offset) {
        int64_t v;
        tw_pnode *ln = mk_node(c, PN_LIMIT, top);
        if (!ln) return nomem(c);
        ln->limit = limit;
        ln->offset = offset;
        ln->ncols = tl.n;
        if (limit && eval_const_int(c, limit, "LIMIT", -1, &v) && v < 0)
            return aerr(c, -1, "2201W", "LIMIT must not be negative");
        if (offset && eval_const_int(c, offset, "OFFSET", -1, &v) && v < 0)
            return aerr(c, -1, "2201X", "OFFSET must not be negative");
        top = ln;
    }
    p->root = top;
    p->ncols = nvisible;
    p->colnames = tl.names;
    p->coltypes = tw_arena_alloc(c->a, sizeof(tw_sqltype) * (size_t)(nvisible ? nvisible : 1));
    if (!p->coltypes) return nomem(c);
    for (int i = 0; i < nvisible; i++) p->coltypes[i] = tl.e[i]->type;
    return TWILL_OK;
}

static int plan_select(actx *c, PgQuery__SelectStmt *s);

/* RETURNING list of INSERT / UPDATE / DELETE: expressions over the written row. */
static int plan_returning(actx *c, Node **list, size_t n) {
    if (!n) return TWILL_OK;
    tw_plan *p = c->p;
    tlist tl = {0};
    int rc;
    c->no_agg_where = "RETURNING";
    for (size_t i = 0; i < n; i++) {
        PgQuery__ResTarget *rt = list[i]->res_target;
        Node *v = rt->val;
        if (v->node_case == N_(COLUMN_REF) && v->column_ref->n_fields >= 1 &&
            v->column_ref->fields[v->column_ref->n_fields - 1]->node_case == N_(A_STAR)) {
            /* UPDATE ... FROM / DELETE ... USING: every table's columns (or the named
             * table's), as PostgreSQL */
            const char *qual =
                v->column_ref->n_fields == 2 ? str_of(v->column_ref->fields[0]) : NULL;
            int nstar = 0;
            for (int si = 0; si < (p->dmljoin ? c->nsc : 1); si++) {
                if (qual && p->dmljoin && strcmp(ent_name(&c->sc[si]), qual)) continue;
                nstar++;
                tw_table *rt_table = c->sc[si].t;
                for (int k = 0; k < rt_table->ncols; k++) {
                    tw_expr *e = mk(c, EX_COL, 0);
                    if (!e) return nomem(c);
                    e->idx = c->sc[si].offset + k;
                    e->type = rt_table->cols[k].type;
                    if ((rc = tl_add(c, &tl, e, rt_table->cols[k].name))) return rc;
                }
            }
            if (!nstar)
                return aerr(c, v->column_ref->location, "42P01",
                            "missing FROM-clause entry for table \"%s\"", qual);
            continue;
        }
        tw_expr *e;
        if ((rc = cx(c, v, &e))) return rc;
        if (e->type.ty == TY_UNKNOWN && e->op == EX_CONST &&
            coerce_unknown(c, &e, (tw_sqltype){TY_TEXT, -1}, 0, -1))
            return TWILL_ERROR;
        if ((rc = tl_add(c, &tl, e, rt->name && rt->name[0] ? rt->name : derive_name(v))))
            return rc;
    }
    c->no_agg_where = NULL;
    p->ret = tl.e;
    p->ncols = tl.n;
    p->colnames = tl.names;
    p->coltypes = tw_arena_alloc(c->a, sizeof(tw_sqltype) * (size_t)(tl.n ? tl.n : 1));
    if (!p->coltypes) return nomem(c);
    for (int i = 0; i < tl.n; i++) p->coltypes[i] = tl.e[i]->type;
    return TWILL_OK;
}

static int plan_insert_rows(actx *c, PgQuery__InsertStmt *s);
static int plan_on_conflict(actx *c, PgQuery__InsertStmt *s);

static int plan_table_checks(actx *c, tw_table *t);

static int plan_insert(actx *c, PgQuery__InsertStmt *s) {
    int rc = plan_insert_rows(c, s);
    if (rc || (rc = plan_table_checks(c, c->p->table))) return rc;
    /* Sequence defaults (serial, identity) become nextval() per row; explicit values
     * for GENERATED ALWAYS need OVERRIDING SYSTEM VALUE, as in PostgreSQL. */
    tw_plan *p = c->p;
    tw_table *t = p->table;
    for (int i = 0; i < t->ncols; i++) {
        const tw_column *col = &t->cols[i];
        if (col->has_default != TW_DEF_SEQ && col->has_default != TW_DEF_NOW) continue;
        for (int r = 0; r < p->nrows; r++) {
            if (p->rows[r][i]) {
                if (col->identity == 'a' &&
                    s->override != PG_QUERY__OVERRIDING_KIND__OVERRIDING_SYSTEM_VALUE)
                    return aerr(c, -1, "428C9",
                                "cannot insert a non-DEFAULT value into column \"%s\"", col->name);
                continue;
            }
            if ((rc = default_expr(c, col, &p->rows[r][i]))) return rc;
        }
    }
    if (!s->on_conflict_clause) return TWILL_OK;
    return plan_on_conflict(c, s);
}

static int plan_insert_rows(actx *c, PgQuery__InsertStmt *s) {
    tw_plan *p = c->p;
    int rc;
    if (s->with_clause) { /* WITH ... INSERT: the CTEs are in scope of the source query */
        PgQuery__WithClause *w = s->with_clause;
        cte_frame f;
        if ((rc = with_push(c, w, &f))) return rc;
        s->with_clause = NULL;
        rc = plan_insert_rows(c, s);
        s->with_clause = w;
        if (!rc) rc = with_check_unused(c, &f);
        c->ctes = f.parent;
        return rc;
    }
    tw_table *t;
    if ((rc = open_table(c, s->relation, &t))) return rc;
    p->table = t;
    c->nsc = 0; /* VALUES cannot reference the target's columns */
    int ncols = s->n_cols ? (int)s->n_cols : t->ncols;
    int *map = tw_arena_alloc(c->a, sizeof(int) * (size_t)(ncols ? ncols : 1));
    if (!map) return nomem(c);
    for (int i = 0; i < ncols; i++) {
        if (!s->n_cols) {
            map[i] = i;
            continue;
        }
        PgQuery__ResTarget *rt = s->cols[i]->res_target;
        if (rt->n_indirection)
            return notsup(c, rt->location, "subscripted INSERT targets are not supported");
        map[i] = tw_table_column(t, rt->name);
        if (map[i] < 0)
            return aerr(c, rt->location, "42703", "column \"%s\" of relation \"%s\" does not exist",
                        rt->name, t->name);
        for (int k = 0; k < i; k++)
            if (map[k] == map[i])
                return aerr(c, rt->location, "42701", "column \"%s\" specified more than once",
                            rt->name);
    }
    if (!s->select_stmt) { /* DEFAULT VALUES */
        p->nrows = 1;
        p->rows = tw_arena_zalloc(c->a, sizeof(tw_expr **));
        if (!p->rows ||
            !(p->rows[0] = tw_arena_zalloc(c->a, sizeof(tw_expr *) * (size_t)(t->ncols + 1))))
            return nomem(c);
        scope_single(c, t, NULL);
        return plan_returning(c, s->returning_list, s->n_returning_list);
    }
    if (s->select_stmt->node_case != N_(SELECT_STMT))
        return notsup(c, -1, "unsupported INSERT source");
    PgQuery__SelectStmt *sel = s->select_stmt->select_stmt;
    if (!sel->n_values_lists) {
        /* INSERT ... SELECT: the source rows feed one row of assignment expressions. */
        if ((rc = plan_select(c, sel))) return rc;
        int nsrc = p->ncols;
        tw_sqltype *types = p->coltypes;
        p->src = p->root;
        p->root = NULL;
        p->ncols = 0;
        p->colnames = NULL;
        p->coltypes = NULL;
        if (nsrc > ncols)
            return aerr(c, -1, "42601", "INSERT has more expressions than target columns");
        if (s->n_cols && nsrc < ncols)
            return aerr(c, -1, "42601", "INSERT has more target columns than expressions");
        p->nrows = 1;
        p->rows = tw_arena_alloc(c->a, sizeof(tw_expr **));
        if (!p->rows ||
            !(p->rows[0] = tw_arena_zalloc(c->a, sizeof(tw_expr *) * (size_t)(t->ncols + 1))))
            return nomem(c);
        for (int i = 0; i < nsrc; i++) {
            tw_expr *e = mk(c, EX_COL, 0);
            if (!e) return nomem(c);
            e->idx = i;
            e->type = types[i];
            const tw_column *col = &t->cols[map[i]];
            if ((rc = assign_to(c, &e, col->type, col->name, -1))) return rc;
            p->rows[0][map[i]] = e;
        }
        scope_single(c, t, NULL);
        return plan_returning(c, s->returning_list, s->n_returning_list);
    }
    p->nrows = (int)sel->n_values_lists;
    p->rows = tw_arena_alloc(c->a, sizeof(tw_expr **) * sel->n_values_lists);
    if (!p->rows) return nomem(c);
    for (size_t r = 0; r < sel->n_values_lists; r++) {
        Node *ln = sel->values_lists[r];
        if (ln->node_case != N_(LIST)) return notsup(c, -1, "malformed VALUES");
        PgQuery__List *l = ln->list;

        if (!s->n_cols && r == 0) ncols = (int)l->n_items; /* fills the leading columns */
        if (!s->n_cols && (int)l->n_items != ncols)
            return aerr(c, -1, "42601", "VALUES lists must all be the same length");
        if ((int)l->n_items > (s->n_cols ? ncols : t->ncols))
            return aerr(c, -1, "42601", "INSERT has more expressions than target columns");
        if ((int)l->n_items < ncols)
            return aerr(c, -1, "42601", "INSERT has more target columns than expressions");
        tw_expr **row = tw_arena_zalloc(c->a, sizeof(tw_expr *) * (size_t)(t->ncols + 1));
        if (!row) return nomem(c);
        for (int i = 0; i < ncols; i++) {
            Node *v = l->items[i];
            if (v->node_case == N_(SET_TO_DEFAULT)) continue;
            tw_expr *e;
            c->no_agg_where = "VALUES";
            rc = cx(c, v, &e);
            c->no_agg_where = NULL;
            if (rc) return rc;
            const tw_column *col = &t->cols[map[i]];
            if ((rc = assign_to(c, &e, col->type, col->name, -1))) return rc;
            row[map[i]] = e;
        }
        p->rows[r] = row;
    }
    scope_single(c, t, NULL);
    return plan_returning(c, s->returning_list, s->n_returning_list);
}

/* Whether the column sets a[0..na) and b[0..nb) are equal (ON CONFLICT inference
 * ignores column order, as PostgreSQL does). */
static int same_colset(const int *a, int na, const int *b, int nb) {
    if (na != nb) return 0;
    for (int i = 0; i < na; i++) {
        int hit = 0;
        for (int k = 0; k < nb && !hit; k++) hit = a[i] == b[k];
        if (!hit) return 0;
    }
    return 1;
}

/* Compiles an UPDATE-style SET list (UPDATE, ON CONFLICT DO UPDATE) against table t:
 * the target column of each item and its value expression, coerced to the column. */
static int compile_set_list(actx *c, tw_table *t, PgQuery__Node **list, size_t n, int *nout,
                            int **cols_out, tw_expr ***exprs_out) {
    int rc;
    int *cols = tw_arena_alloc(c->a, sizeof(int) * (n + 1));
    tw_expr **exprs = tw_arena_alloc(c->a, sizeof(tw_expr *) * (n + 1));
    if (!cols || !exprs) return nomem(c);
    for (size_t i = 0; i < n; i++) {
        PgQuery__ResTarget *rt = list[i]->res_target;
        if (rt->n_indirection)
            return notsup(c, rt->location, "subscripted UPDATE targets are not supported");
        if (rt->val && rt->val->node_case == N_(MULTI_ASSIGN_REF))
            return notsup(c, rt->location, "multiple-column UPDATE assignments are not supported");
        int col = tw_table_column(t, rt->name);
        if (col < 0)
            return aerr(c, rt->location, "42703", "column \"%s\" of relation \"%s\" does not exist",
                        rt->name, t->name);
        for (size_t k = 0; k < i; k++)
            if (cols[k] == col)
                return aerr(c, rt->location, "42601", "multiple assignments to same column \"%s\"",
                            rt->name);
        cols[i] = col;
        tw_expr *e;
        if (rt->val->node_case == N_(SET_TO_DEFAULT)) {
            if ((rc = default_expr(c, &t->cols[col], &e))) return rc;
        } else {
            c->no_agg_where = "UPDATE";
            rc = cx(c, rt->val, &e);
            c->no_agg_where = NULL;
            if (rc) return rc;
            if ((rc = assign_to(c, &e, t->cols[col].type, t->cols[col].name, rt->location)))
                return rc;
        }
        exprs[i] = e;
    }
    *nout = (int)n;
    *cols_out = cols;
    *exprs_out = exprs;
    return TWILL_OK;
}

/* ON CONFLICT [(cols) | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET ... [WHERE ...].
 * Planned after the rows and RETURNING, which see only the target table. */
static int plan_on_conflict(actx *c, PgQuery__InsertStmt *s) {
    tw_plan *p = c->p;
    tw_table *t = p->table;
    const PgQuery__OnConflictClause *oc = s->on_conflict_clause;
    int loc = oc->location, rc;
    if (oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING)
        p->onconf = ONCONF_NOTHING;
    else if (oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE)
        p->onconf = ONCONF_UPDATE;
    else
        return notsup(c, loc, "this ON CONFLICT action is not supported");
    p->conf_arb = CONF_ANY;
    const PgQuery__InferClause *inf = oc->infer;
    if (inf && inf->conname && inf->conname[0]) {
        char pk[300];
        snprintf(pk, sizeof pk, "%s_pkey", t->name);
        int found = 0;
        if (t->npk && !strcmp(inf->conname, pk)) {
            p->conf_arb = CONF_PK;
            found = 1;
        }
        for (int i = 0; !found && i < t->nidx; i++)
            if (t->idx[i]->unique && !strcmp(t->idx[i]->name, inf->conname)) {
                p->conf_arb = i;
                found = 1;
            }
        if (!found)
            return aerr(c, inf->location, "42704",
                        "constraint \"%s\" for table \"%s\" does not exist", inf->conname, t->name);
    } else if (inf && inf->n_index_elems) {
        if (inf->where_clause)
            return notsup(c, inf->location,
                          "ON CONFLICT with a partial-index predicate is not supported");
        int n = (int)inf->n_index_elems;
        int *cols = tw_arena_alloc(c->a, sizeof(int) * (size_t)n);
        if (!cols) return nomem(c);
        for (int i = 0; i < n; i++) {
            const Node *e = inf->index_elems[i];
            if (e->node_case != N_(INDEX_ELEM) || !e->index_elem->name || !e->index_elem->name[0])
                return notsup(c, inf->location, "ON CONFLICT on expressions is not supported");
            cols[i] = tw_table_column(t, e->index_elem->name);
            if (cols[i] < 0)
                return aerr(c, inf->location, "42703", "column \"%s\" does not exist",
                            e->index_elem->name);
        }
        int found = 0;
        if (t->npk && same_colset(cols, n, t->pk, t->npk)) {
            p->conf_arb = CONF_PK;
            found = 1;
        }
        for (int i = 0; !found && i < t->nidx; i++)
            if (t->idx[i]->unique && same_colset(cols, n, t->idx[i]->cols, t->idx[i]->ncols)) {
                p->conf_arb = i;
                found = 1;
            }
        if (!found)
            return aerr(c, inf->location, "42P10",
                        "there is no unique or exclusion constraint matching the ON CONFLICT "
                        "specification");
    } else if (p->onconf == ONCONF_UPDATE) {
        return aerr(c, loc, "42601",
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name");
    }
    if (p->onconf != ONCONF_UPDATE) return TWILL_OK;
    /* DO UPDATE: the existing row under the target's name, the proposed one as EXCLUDED */
    scope_single(c, t, rv_alias(s->relation));
    if ((rc = scope_push(c, t, "excluded", loc))) return rc;
    if ((rc = compile_set_list(c, t, oc->target_list, oc->n_target_list, &p->nconfset,
                               &p->confsetcols, &p->confsetexprs)))
        return rc;
    return compile_where(c, oc->where_clause, "WHERE", &p->conf_where);
}

static int plan_from(actx *c, PgQuery__SelectStmt *s, tw_pnode **out);

/* UPDATE ... FROM / DELETE ... USING: the target joined with the other tables, planned
 * as a SELECT's FROM list whose first item is the target (so the combined row starts
 * with the target's columns). The executor writes each target row once. */
static int plan_dml_join(actx *c, PgQuery__RangeVar *target, Node **from, size_t nfrom,
                         Node *where) {
    tw_plan *p = c->p;
    int rc;
    if (tw_catalog_view(c->cat, target->relname))
        return notsup(c, target->location, "cannot change view \"%s\": views are read-only",
                      target->relname);
    Node tn = PG_QUERY__NODE__INIT;
    tn.node_case = N_(RANGE_VAR);
    tn.range_var = target;
    Node **fl = tw_arena_alloc(c->a, sizeof(Node *) * (nfrom + 1));
    if (!fl) return nomem(c);
    fl[0] = &tn;
    for (size_t i = 0; i < nfrom; i++) fl[i + 1] = from[i];
    PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
    sel.n_from_clause = nfrom + 1;
    sel.from_clause = fl;
    sel.where_clause = where;
    c->nsc = 0;
    c->width = 0;
    if ((rc = plan_from(c, &sel, &p->scan))) return rc;
    p->table = c->sc[0].t;
    if (!p->table->npk)
        return notsup(c, target->location,
                      "UPDATE ... FROM / DELETE ... USING on a table without a primary key is "
                      "not supported");
    p->dmljoin = 1;
    return TWILL_OK;
}

static int plan_update(actx *c, PgQuery__UpdateStmt *s) {
    tw_plan *p = c->p;
    int rc;
    if (s->with_clause) return notsup(c, -1, "WITH queries are not supported");
    if (s->n_from_clause) {
        if ((rc = plan_dml_join(c, s->relation, s->from_clause, s->n_from_clause,
                                s->where_clause)) ||
            (rc = compile_set_list(c, p->table, s->target_list, s->n_target_list, &p->nset,
                                   &p->setcols, &p->setexprs)) ||
            (rc = plan_table_checks(c, p->table)))
            return rc;
        return plan_returning(c, s->returning_list, s->n_returning_list);
    }
    tw_pnode *scan = mk_node(c, PN_SCAN, NULL);
    if (!scan) return nomem(c);
    if ((rc = open_table(c, s->relation, &scan->table))) return rc;
    tw_table *t = scan->table;
    p->table = t;
    scan->ncols = t->ncols;
    if ((rc = compile_where(c, s->where_clause, "WHERE", &scan->filter))) return rc;
    if ((rc = choose_access(c, scan))) return rc;
    p->scan = scan;
    if ((rc = compile_set_list(c, t, s->target_list, s->n_target_list, &p->nset, &p->setcols,
                               &p->setexprs)) ||
        (rc = plan_table_checks(c, t)))
        return rc;
    return plan_returning(c, s->returning_list, s->n_returning_list);
}

static int plan_delete(actx *c, PgQuery__DeleteStmt *s) {
    int rc;
    if (s->with_clause) return notsup(c, -1, "WITH queries are not supported");
    if (s->n_using_clause) {
        if ((rc = plan_dml_join(c, s->relation, s->using_clause, s->n_using_clause,
                                s->where_clause)))
            return rc;
        return plan_returning(c, s->returning_list, s->n_returning_list);
    }
    tw_pnode *scan = mk_node(c, PN_SCAN, NULL);
    if (!scan) return nomem(c);
    if ((rc = open_table(c, s->relation, &scan->table))) return rc;
    c->p->table = scan->table;
    scan->ncols = scan->table->ncols;
    if ((rc = compile_where(c, s->where_clause, "WHERE", &scan->filter))) return rc;
    if ((rc = choose_access(c, scan))) return rc;
    c->p->scan = scan;
    return plan_returning(c, s->returning_list, s->n_returning_list);
}

/* json, jsonb and arrays are not key columns (their key encodings are not ordered). */
static int key_type_ok(actx *c, const tw_column *col, int loc) {
    int ty = col->type.ty;
    if (ty == TY_JSON || ty == TY_JSONB || ty == TY_ARRAY)
        return notsup(c, loc, "a column of type %s cannot be part of a key or index",
                      tw_type_name(col->type, (char[64]){0}, 64));
    return TWILL_OK;
}

static int key_list(actx *c, tw_table *t, Node **keys, size_t n, int **out, int loc) {
    int *cols = tw_arena_alloc(c->a, sizeof(int) * (n ? n : 1));
    if (!cols) return nomem(c);
    for (size_t i = 0; i < n; i++) {
        const char *nm = str_of(keys[i]);
        if (!nm && keys[i]->node_case == N_(INDEX_ELEM)) {
            PgQuery__IndexElem *ie = keys[i]->index_elem;
            if (ie->expr) return notsup(c, loc, "expression indexes are not supported");
            if (ie->n_collation || ie->n_opclass)
                return notsup(c, loc, "index collations and operator classes are not supported");
            /* DESC / NULLS FIRST only change an index's physical order, which no plan
             * relies on (sorts are explicit): the ascending index serves them. */
            nm = ie->name;
        }
        int k = nm ? tw_table_column(t, nm) : -1;
        if (k < 0)
            return aerr(c, loc, "42703", "column \"%s\" named in key does not exist",
                        nm ? nm : "?");
        for (size_t j = 0; j < i; j++)
            if (cols[j] == k)
                return aerr(c, loc, "42701", "column \"%s\" appears twice in key", nm);
        int krc = key_type_ok(c, &t->cols[k], loc);
        if (krc) return krc;
        cols[i] = k;
    }
    *out = cols;
    return TWILL_OK;
}

static int add_unique(actx *c, tw_table *t, int *cols, int n, const char *conname) {
    tw_plan *p = c->p;
    tw_index *ni = tw_arena_alloc(c->a, sizeof *ni * (size_t)(p->nnewidx + 1));
    if (!ni) return nomem(c);
    if (p->nnewidx) memcpy(ni, p->newidx, sizeof *ni * (size_t)p->nnewidx);
    tw_index *x = &ni[p->nnewidx];
    memset(x, 0, sizeof *x);
    x->unique = 1;
    x->ncols = n;
    x->cols = cols;
    x->table_name = t->name;
    char buf[512];
    if (conname && conname[0]) {
        snprintf(buf, sizeof buf, "%s", conname);
    } else {
        int o = snprintf(buf, sizeof buf, "%s", t->name);
        for (int i = 0; i < n && o < (int)sizeof buf; i++)
            o += snprintf(buf + o, sizeof buf - (size_t)o, "_%s", t->cols[cols[i]].name);
        snprintf(buf + (o < (int)sizeof buf ? o : (int)sizeof buf - 1),
                 sizeof buf - (size_t)(o < (int)sizeof buf ? o : (int)sizeof buf - 1), "_key");
    }
    x->name = tw_arena_strndup(c->a, buf, strlen(buf));
    if (!x->name) return nomem(c);
    p->newidx = ni;
    p->nnewidx++;
    return TWILL_OK;
}

/* ---- sequences ---- */

/* DEFAULT nextval('name') (as pg_dump writes serial columns): kept as a sequence default
 * instead of being evaluated once like a constant default. */
static const char *nextval_arg(const Node *n) {
    while (n && n->node_case == N_(TYPE_CAST)) n = n->type_cast->arg;
    if (!n || n->node_case != N_(A_CONST) || n->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
        return NULL;
    return n->a_const->sval->sval;
}

static int is_nextval_call(const Node *n) {
    if (!n || n->node_case != N_(FUNC_CALL)) return 0;
    const PgQuery__FuncCall *f = n->func_call;
    const char *nm = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
    return nm && !strcmp(nm, "nextval") && f->n_args == 1 && nextval_arg(f->args[0]);
}

static int seq_int(actx *c, const PgQuery__DefElem *d, int64_t *out);

/* Applies CREATE SEQUENCE / identity options to q, whose value type is `ty` (INT2/4/8),
 * then fills PostgreSQL's defaults and checks the bounds (22023). */
static int seq_options(actx *c, Node **opts, size_t n, int ty, tw_seq *q, int loc) {
    int have_start = 0, have_min = 0, have_max = 0, rc;
    q->inc = 1;
    q->cache = 1;
    for (size_t i = 0; i < n; i++) {
        if (opts[i]->node_case != N_(DEF_ELEM)) return notsup(c, loc, "malformed sequence option");
        const PgQuery__DefElem *d = opts[i]->def_elem;
        const char *nm = d->defname;
        if (!strcmp(nm, "as")) {
            if (!d->arg || d->arg->node_case != N_(TYPE_NAME))
                return notsup(c, loc, "malformed AS");
            tw_sqltype t;
            if ((rc = resolve_type(c, d->arg->type_name, &t))) return rc;
            if (t.ty != TY_INT2 && t.ty != TY_INT4 && t.ty != TY_INT8)
                return aerr(c, loc, "22023", "sequence type must be smallint, integer, or bigint");
            ty = t.ty;
        } else if (!strcmp(nm, "increment")) {
            if ((rc = seq_int(c, d, &q->inc))) return rc;
            if (q->inc == 0) return aerr(c, loc, "22023", "INCREMENT must not be zero");
        } else if (!strcmp(nm, "start")) {
            if ((rc = seq_int(c, d, &q->start))) return rc;
            have_start = 1;
        } else if (!strcmp(nm, "minvalue")) {
            if (d->arg && (rc = seq_int(c, d, &q->min))) return rc;
            have_min = d->arg != NULL;
        } else if (!strcmp(nm, "maxvalue")) {
            if (d->arg && (rc = seq_int(c, d, &q->max))) return rc;
            have_max = d->arg != NULL;
        } else if (!strcmp(nm, "cache")) {
            if ((rc = seq_int(c, d, &q->cache))) return rc;
            if (q->cache < 1)
                return aerr(c, loc, "22023", "CACHE (%lld) must be greater than zero",
                            (long long)q->cache);
        } else if (!strcmp(nm, "cycle")) {
            q->cycle = !d->arg || (d->arg->node_case == N_(BOOLEAN) && d->arg->boolean->boolval) ||
                       (d->arg->node_case == N_(INTEGER) && d->arg->integer->ival);
        } else if (!strcmp(nm, "owned_by") || !strcmp(nm, "sequence_name")) {
            return notsup(c, loc, "sequence option %s is not supported", nm);
        } else {
            return notsup(c, loc, "sequence option %s is not supported", nm);
        }
    }
    int64_t tmax = ty == TY_INT2 ? INT16_MAX : ty == TY_INT4 ? INT32_MAX : INT64_MAX;
    int64_t tmin = ty == TY_INT2 ? INT16_MIN : ty == TY_INT4 ? INT32_MIN : INT64_MIN;
    if (!have_max) q->max = q->inc > 0 ? tmax : -1;
    if (!have_min) q->min = q->inc > 0 ? 1 : tmin;
    if (q->max > tmax || q->max < tmin)
        return aerr(c, loc, "22023", "MAXVALUE (%lld) is out of range for sequence data type",
                    (long long)q->max);
    if (q->min > tmax || q->min < tmin)
        return aerr(c, loc, "22023", "MINVALUE (%lld) is out of range for sequence data type",
                    (long long)q->min);
    if (q->min >= q->max)
        return aerr(c, loc, "22023", "MINVALUE (%lld) must be less than MAXVALUE (%lld)",
                    (long long)q->min, (long long)q->max);
    if (!have_start) q->start = q->inc > 0 ? q->min : q->max;
    if (q->start < q->min)
        return aerr(c, loc, "22023", "START value (%lld) cannot be less than MINVALUE (%lld)",
                    (long long)q->start, (long long)q->min);
    if (q->start > q->max)
        return aerr(c, loc, "22023", "START value (%lld) cannot be greater than MAXVALUE (%lld)",
                    (long long)q->start, (long long)q->max);
    return TWILL_OK;
}

static int seq_int(actx *c, const PgQuery__DefElem *d, int64_t *out) {
    const Node *a = d->arg;
    if (a && a->node_case == N_(INTEGER)) {
        *out = a->integer->ival;
        return TWILL_OK;
    }
    if (a && a->node_case == N_(FLOAT) && a->float_->fval) {
        char *end;
        errno = 0;
        long long v = strtoll(a->float_->fval, &end, 10);
        if (!errno && !*end) {
            *out = v;
            return TWILL_OK;
        }
    }
    return aerr(c, d->location, "22023", "%s requires an integer value", d->defname);
}

static int plan_create_seq(actx *c, PgQuery__CreateSeqStmt *s) {
    tw_plan *p = c->p;
    PgQuery__RangeVar *rv = s->sequence;
    if (rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public"))
        return notsup(c, rv->location, "schemas other than public are not supported");
    if (rv->relpersistence && rv->relpersistence[0] == 't')
        return notsup(c, rv->location, "temporary sequences are not supported");
    tw_seq *q = tw_arena_zalloc(c->a, sizeof *q);
    if (!q || !(q->name = tw_arena_strndup(c->a, rv->relname, strlen(rv->relname))) ||
        !(q->owner = tw_arena_strndup(c->a, "", 0)))
        return nomem(c);
    if (strlen(q->name) > 200) return aerr(c, rv->location, "42622", "sequence name is too long");
    p->newseq = q;
    p->nnewseq = 1;
    p->if_exists = s->if_not_exists;
    return seq_options(c, s->options, s->n_options, TY_INT8, q, rv->location);
}

/* serial types: the integer type, or 0 if `tn` is not one. */
static int serial_type(const PgQuery__TypeName *tn) {
    if (!tn || !tn->n_names || tn->n_array_bounds) return 0;
    const char *nm = str_of(tn->names[tn->n_names - 1]);
    if (!nm) return 0;
    if (!strcmp(nm, "serial") || !strcmp(nm, "serial4")) return TY_INT4;
    if (!strcmp(nm, "bigserial") || !strcmp(nm, "serial8")) return TY_INT8;
    if (!strcmp(nm, "smallserial") || !strcmp(nm, "serial2")) return TY_INT2;
    return 0;
}

/* Makes `col` of table t take its values from a new owned sequence t_col_seq. */
static int add_owned_seq(actx *c, tw_table *t, tw_column *col, Node **opts, size_t nopts, int loc) {
    tw_plan *p = c->p;
    if (p->nnewseq >= TW_MAX_COLUMNS) return nomem(c);
    if (!p->newseq && !(p->newseq = tw_arena_zalloc(c->a, sizeof(tw_seq) * TW_MAX_COLUMNS)))
        return nomem(c);
    tw_seq *q = &p->newseq[p->nnewseq++];
    char nm[512];
    snprintf(nm, sizeof nm, "%s_%s_seq", t->name, col->name);
    if (!(q->name = tw_arena_strndup(c->a, nm, strlen(nm))) ||
        !(q->owner = tw_arena_strndup(c->a, t->name, strlen(t->name))))
        return nomem(c);
    col->has_default = TW_DEF_SEQ;
    col->seqname = q->name;
    col->notnull = 1;
    return seq_options(c, opts, nopts, col->type.ty, q, loc);
}

static int has_volatile(const tw_expr *e) {
    if (e->op == EX_CALL && e->fn && (e->fn->flags & TW_FN_VOLATILE)) return 1;
    for (int i = 0; i < e->nargs; i++)
        if (has_volatile(e->args[i])) return 1;
    return 0;
}

static int has_subq(const tw_expr *e) {
    if (e->op == EX_SUBQ) return 1;
    for (int i = 0; i < e->nargs; i++)
        if (has_subq(e->args[i])) return 1;
    return 0;
}

/* A column's DEFAULT constraint: nextval('s') stays a sequence default, now() and the
 * SQL time functions a time default; anything else must be a constant expression,
 * evaluated now. */
static int column_default(actx *c, tw_table *t, tw_column *col, PgQuery__Constraint *cn) {
    int rc;
    if (col->has_default == TW_DEF_SEQ)
        return aerr(c, cn->location, "42601",
                    "multiple default values specified for column \"%s\" of table "
                    "\"%s\"",
                    col->name, t->name);
    if (is_nextval_call(cn->raw_expr)) {
        const char *sn = nextval_arg(cn->raw_expr->func_call->args[0]);
        col->has_default = TW_DEF_SEQ;
        if (!(col->seqname = tw_arena_strndup(c->a, sn, strlen(sn)))) return nomem(c);
        return TWILL_OK;
    }
    tw_expr *e;
    int saved_nsc = c->nsc;
    c->nsc = 0;
    c->no_agg_where = "DEFAULT expressions";
    rc = cx(c, cn->raw_expr, &e);
    c->no_agg_where = NULL;
    c->nsc = saved_nsc;
    if (rc) return rc;
    if (c->p->nparams) return aerr(c, cn->location, "42P02", "there is no parameter $1");
    if (e->op == EX_SUBQ && e->aux == TW_SQ_SEQ && e->idx >= TW_SEQ_NOW_TSTZ) {
        /* DEFAULT now() and friends: evaluated per statement, converted on assignment */
        tw_expr *chk = e;
        if ((rc = assign_to(c, &chk, col->type, col->name, cn->location))) return rc;
        col->has_default = TW_DEF_NOW;
        col->nowfn = (uint8_t)e->idx;
        return TWILL_OK;
    }
    if (e->op == EX_CALL && e->nargs == 0 && e->fn && !strcmp(e->fn->name, "gen_random_uuid")) {
        /* DEFAULT gen_random_uuid(): a new value per row (kept like a now() default) */
        tw_expr *chk = e;
        if ((rc = assign_to(c, &chk, col->type, col->name, cn->location))) return rc;
        col->has_default = TW_DEF_NOW;
        col->nowfn = TW_SEQ_GEN_UUID;
        return TWILL_OK;
    }
    if (has_volatile(e))
        return notsup(c, cn->location,
                      "a DEFAULT with a volatile function other than gen_random_uuid() is not "
                      "supported");
    if (has_subq(e))
        return notsup(c, cn->location,
                      "this DEFAULT expression is not supported (constants, nextval() and "
                      "now() / current_timestamp / current_date / localtimestamp are)");
    if ((rc = assign_to(c, &e, col->type, col->name, cn->location))) return rc;
    tw_arena tmp = {0};
    tw_evalctx ec = {.arena = &tmp};
    tw_val v;
    rc = tw_eval(e, &ec, &v, c->err);
    if (!rc && vk_has_bytes(v.k)) {
        char *copy = tw_arena_strndup(c->a, v.s, v.n);
        if (!copy) rc = nomem(c);
        v.s = copy;
    }
    tw_arena_free(&tmp);
    if (rc) return rc;
    col->has_default = v.k != VK_NULL;
    col->defval = v;
    return TWILL_OK;
}

/* ---- ALTER TABLE / TRUNCATE ---- */

static int set_names(actx *c, const char *a, const char *b) {
    tw_plan *p = c->p;
    p->nnames = 2;
    p->names = tw_arena_zalloc(c->a, sizeof(char *) * 2);
    if (!p->names || !(p->names[0] = tw_arena_strndup(c->a, a, strlen(a))) ||
        (b && !(p->names[1] = tw_arena_strndup(c->a, b, strlen(b)))))
        return nomem(c);
    return TWILL_OK;
}

/* The ALTER target; *skip when it is missing and IF EXISTS was given (a no-op). */
static int alter_target(actx *c, PgQuery__RangeVar *rv, int missing_ok, int *skip) {
    *skip = 0;
    if (!tw_catalog_table(c->cat, rv->relname) && missing_ok &&
        !(rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public"))) {
        *skip = 1;
        c->p->kind = PL_NOOP;
        return TWILL_OK;
    }
    return lookup_table(c, rv, &c->p->table);
}

static int expr_uses_col(const tw_expr *e, int col);
static const tw_fkey *col_referenced(const tw_table *t, int col);

static int plan_rename(actx *c, PgQuery__RenameStmt *s) {
    tw_plan *p = c->p;
    if (s->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
        s->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN)
        return notsup(c, -1, "this RENAME is not supported");
    if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
        s->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        return notsup(c, -1, "this RENAME is not supported");
    if (!s->relation) return notsup(c, -1, "this RENAME is not supported");
    int skip, rc;
    p->kind = PL_ALTER_TABLE;
    if ((rc = alter_target(c, s->relation, s->missing_ok, &skip)) || skip) return rc;
    if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        p->alter = ALT_RENAME_TABLE;
        if (strlen(s->newname) > 200) return aerr(c, -1, "42622", "table name is too long");
        return set_names(c, s->newname, NULL);
    }
    p->alter = ALT_RENAME_COLUMN;
    int col = tw_table_column(p->table, s->subname);
    if (col < 0) return aerr(c, -1, "42703", "column \"%s\" does not exist", s->subname);
    /* CHECK texts and other tables' FKs name the column */
    if (col_referenced(p->table, col))
        return notsup(c, -1, "renaming a column that a foreign key references is not supported");
    if (p->table->nchecks) {
        if ((rc = plan_table_checks(c, p->table))) return rc;
        for (int i = 0; i < p->nchecks; i++)
            if (expr_uses_col(p->checks[i], col))
                return notsup(c, -1,
                              "renaming a column used by a CHECK constraint is not supported");
        p->nchecks = 0;
    }
    if (tw_table_column(p->table, s->newname) >= 0)
        return aerr(c, -1, "42701", "column \"%s\" of relation \"%s\" already exists", s->newname,
                    p->table->name);
    return set_names(c, s->subname, s->newname);
}

/* What a column definition says about the column itself once its type is set: char's
 * default length of 1, NOT NULL, and COLLATE (refused). Shared by CREATE TABLE and ALTER
 * TABLE ADD COLUMN. */
static int column_def_basics(actx *c, const PgQuery__ColumnDef *cd, tw_column *col) {
    if (col->type.ty == TY_CHAR && col->type.mod < 0) col->type.mod = 1;
    if (cd->is_not_null) col->notnull = 1;
    if (cd->coll_clause) return notsup(c, cd->location, "COLLATE is not supported");
    return TWILL_OK;
}

/* The column constraints every column definition takes: NOT NULL, NULL and DEFAULT.
 * *handled = 0 for any other kind, which the caller decides on. */
static int column_constraint_common(actx *c, tw_table *t, tw_column *col, PgQuery__Constraint *cn,
                                    int *handled) {
    *handled = 1;
    switch (cn->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
        col->notnull = 1;
        return TWILL_OK;
    case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
        col->notnull = 0;
        return TWILL_OK;
    case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
        return column_default(c, t, col, cn);
    default:
        *handled = 0;
        return TWILL_OK;
    }
}

/* ---- CHECK and FOREIGN KEY constraints (enforcement: constraint.c) ---- */

/* Columns an expression reads: the first one in *first and the number of distinct ones
 * (counted up to 2) in *n. */
static void expr_cols(const tw_expr *e, int *first, int *n) {
    if (e->op == EX_COL) {
        if (!*n) {
            *first = e->idx;
            *n = 1;
        } else if (*n == 1 && *first != e->idx) {
            *n = 2;
        }
    }
    for (int i = 0; i < e->nargs; i++) expr_cols(e->args[i], first, n);
}

/* Whether `name` is taken by a constraint (or index) of t or of the CREATE TABLE being
 * planned. */
static int conname_used(actx *c, const tw_table *t, const char *name) {
    for (int i = 0; i < t->nchecks; i++)
        if (!strcmp(t->checks[i].name, name)) return 1;
    for (int i = 0; i < t->nfks; i++)
        if (!strcmp(t->fks[i].name, name)) return 1;
    for (int i = 0; i < t->nidx; i++)
        if (!strcmp(t->idx[i]->name, name)) return 1;
    for (int i = 0; i < c->p->nnewidx; i++)
        if (!strcmp(c->p->newidx[i].name, name)) return 1;
    return 0;
}

/* PostgreSQL's automatic constraint name: table_[cols_]label, with a number appended
 * while it is taken. */
static char *choose_conname(actx *c, const tw_table *t, const char *cols, const char *label) {
    char buf[600];
    for (int k = 0;; k++) {
        if (k)
            snprintf(buf, sizeof buf, "%s%s%s_%s%d", t->name, cols[0] ? "_" : "", cols, label, k);
        else
            snprintf(buf, sizeof buf, "%s%s%s_%s", t->name, cols[0] ? "_" : "", cols, label);
        if (strlen(buf) > 63) buf[63] = '\0';
        if (!conname_used(c, t, buf)) break;
    }
    return tw_arena_strndup(c->a, buf, strlen(buf));
}

/* Compiles a CHECK expression over t's row (t alone in scope): boolean, no subqueries,
 * aggregates or parameters. */
static int compile_check(actx *c, tw_table *t, Node *raw, int loc, tw_expr **out) {
    int saved_nsc = c->nsc, saved_width = c->width, nparams = c->p->nparams, rc;
    scope_ent saved[TW_MAX_FROM];
    memcpy(saved, c->sc, sizeof saved);
    scope_single(c, t, NULL);
    c->no_agg_where = "check constraints";
    rc = cx(c, raw, out);
    c->no_agg_where = NULL;
    memcpy(c->sc, saved, sizeof saved);
    c->nsc = saved_nsc;
    c->width = saved_width;
    if (rc) return rc;
    if (c->p->nparams != nparams)
        return aerr(c, loc, "42P02", "there is no parameter $%d", c->p->nparams);
    if (has_subq(*out)) {
        if ((*out)->op == EX_SUBQ && (*out)->aux == TW_SQ_SEQ)
            return notsup(c, loc, "functions with side effects or time in CHECK are not supported");
        return notsup(c, loc, "cannot use subquery in check constraint");
    }
    if ((*out)->type.ty == TY_UNKNOWN &&
        (rc = coerce_unknown(c, out, (tw_sqltype){TY_BOOL, -1}, 0, loc)))
        return rc;
    if ((*out)->type.ty != TY_BOOL) {
        char tn[64];
        return aerr(c, loc, "42804",
                    "argument of CHECK constraint must be type boolean, not type %s",
                    tw_type_name((*out)->type, tn, sizeof tn));
    }
    return TWILL_OK;
}

/* A CHECK constraint of a CREATE TABLE or ALTER TABLE ADD CONSTRAINT on t: checked
 * now, stored as its text, appended to t->checks (arena copy). *e: the compiled form. */
static int plan_check_cons(actx *c, tw_table *t, PgQuery__Constraint *cn, tw_expr **e) {
    int rc;
    if ((rc = compile_check(c, t, cn->raw_expr, cn->location, e))) return rc;
    size_t from, to;
    if (cn->location < 0 ||
        tw_cons_check_text(c->tree->text, c->tree->text_len, (size_t)cn->location, &from, &to))
        return notsup(c, cn->location, "this CHECK constraint text cannot be stored");
    tw_check *nc = tw_arena_alloc(c->a, sizeof *nc * (size_t)(t->nchecks + 1));
    if (!nc) return nomem(c);
    if (t->nchecks) memcpy(nc, t->checks, sizeof *nc * (size_t)t->nchecks);
    tw_check *k = &nc[t->nchecks];
    while (from < to && isspace((unsigned char)c->tree->text[from])) from++;
    while (to > from && isspace((unsigned char)c->tree->text[to - 1])) to--;
    if (!(k->expr = tw_arena_strndup(c->a, c->tree->text + from, to - from))) return nomem(c);
    if (cn->conname && cn->conname[0]) {
        if (conname_used(c, t, cn->conname))
            return aerr(c, cn->location, "42710",
                        "constraint \"%s\" for relation \"%s\" already exists", cn->conname,
                        t->name);
        k->name = tw_arena_strndup(c->a, cn->conname, strlen(cn->conname));
    } else {
        int first = -1, n = 0;
        expr_cols(*e, &first, &n);
        k->name = choose_conname(c, t, n == 1 ? t->cols[first].name : "", "check");
    }
    if (!k->name) return nomem(c);
    t->checks = nc;
    t->nchecks++;
    return TWILL_OK;
}

/* The CHECK constraints of `t`, compiled from their stored text for a plan that writes
 * its rows (p->checks, in name order, as PostgreSQL evaluates them). */
static int plan_table_checks(actx *c, tw_table *t) {
    tw_plan *p = c->p;
    if (!t->nchecks) return TWILL_OK;
    int n = t->nchecks, rc = TWILL_OK;
    p->checks = tw_arena_alloc(c->a, sizeof(tw_expr *) * (size_t)n);
    p->checknames = tw_arena_alloc(c->a, sizeof(char *) * (size_t)n);
    tw_parsetree **xt = realloc(p->xtrees, sizeof *xt * (size_t)(p->nxtrees + n));
    if (!p->checks || !p->checknames || !xt) return nomem(c);
    p->xtrees = xt;
    int *order = tw_arena_alloc(c->a, sizeof(int) * (size_t)n);
    if (!order) return nomem(c);
    for (int i = 0; i < n; i++) {
        int k = i;
        while (k > 0 && strcmp(t->checks[order[k - 1]].name, t->checks[i].name) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    tw_parsetree *saved_tree = c->tree;
    size_t saved_base = c->pos_base;
    for (int i = 0; i < n && !rc; i++) {
        const tw_check *ck = &t->checks[order[i]];
        size_t len = strlen(ck->expr);
        char *sql = malloc(len + 16);
        if (!sql) return nomem(c);
        int sl = snprintf(sql, len + 16, "SELECT (%s)", ck->expr);
        tw_parsetree *tree;
        rc = tw_parse(sql, (size_t)sl, &tree, c->err);
        free(sql);
        if (rc) break;
        p->xtrees[p->nxtrees++] = tree;
        Node *st = tree->pr->n_stmts == 1 ? tree->pr->stmts[0]->stmt : NULL;
        if (!st || st->node_case != N_(SELECT_STMT) || st->select_stmt->n_target_list != 1) {
            rc = tw_err_set(c->err, TWILL_CORRUPT, "XX001", "bad CHECK constraint text");
            break;
        }
        c->tree = tree;
        c->pos_base = 0;
        rc = compile_check(c, t, st->select_stmt->target_list[0]->res_target->val, -1,
                           &p->checks[i]);
        c->tree = saved_tree;
        c->pos_base = saved_base;
        p->checknames[i] = ck->name;
    }
    if (!rc) p->nchecks = n;
    return rc;
}

/* A FOREIGN KEY of t (REFERENCES on column col, or a table constraint when col < 0),
 * resolved against the referenced table and appended to t->fks. self: t is being
 * created (a self-reference resolves to it and to its new unique constraints). */
static int plan_fkey_cons(actx *c, tw_table *t, PgQuery__Constraint *cn, int col, int self) {
    int loc = cn->location, rc;
    if (cn->fk_matchtype && cn->fk_matchtype[0] && cn->fk_matchtype[0] != 's')
        return notsup(c, loc, "MATCH FULL / MATCH PARTIAL foreign keys are not supported");
    if (cn->deferrable || cn->initdeferred)
        return notsup(c, loc, "DEFERRABLE foreign keys are not supported");
    if (cn->n_fk_del_set_cols)
        return notsup(c, loc, "SET NULL / SET DEFAULT with a column list is not supported");
    PgQuery__RangeVar *rv = cn->pktable;
    tw_table *ref = NULL;
    if (self && !strcmp(rv->relname, t->name) &&
        !(rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public")))
        ref = t;
    else if (tw_catalog_view(c->cat, rv->relname))
        return aerr(c, rv->location, "42809", "referenced relation \"%s\" is not a table",
                    rv->relname);
    else if ((rc = lookup_table(c, rv, &ref)))
        return rc;
    tw_fkey f = {0};
    f.ncols = col >= 0 ? 1 : (int)cn->n_fk_attrs;
    if (f.ncols > TW_FK_MAX_COLS)
        return aerr(c, loc, "54011", "cannot have more than %d keys in a foreign key",
                    TW_FK_MAX_COLS);
    f.cols = tw_arena_alloc(c->a, sizeof(int) * (size_t)(f.ncols + 1));
    f.refcols = tw_arena_alloc(c->a, sizeof(int) * (size_t)(f.ncols + 1));
    f.perm = tw_arena_alloc(c->a, sizeof(int) * (size_t)(f.ncols + 1));
    f.refnames = tw_arena_alloc(c->a, sizeof(char *) * (size_t)(f.ncols + 1));
    if (!f.cols || !f.refcols || !f.perm || !f.refnames) return nomem(c);
    for (int i = 0; i < f.ncols; i++) {
        if (col >= 0) {
            f.cols[i] = col;
            continue;
        }
        const char *nm = str_of(cn->fk_attrs[i]);
        f.cols[i] = nm ? tw_table_column(t, nm) : -1;
        if (f.cols[i] < 0)
            return aerr(c, loc, "42703",
                        "column \"%s\" referenced in foreign key constraint does not exist",
                        nm ? nm : "?");
    }
    /* the referenced columns: given, or the primary key */
    int nref = (int)cn->n_pk_attrs;
    if (!nref) {
        if (!ref->npk)
            return aerr(c, loc, "42830", "there is no primary key for referenced table \"%s\"",
                        ref->name);
        nref = ref->npk;
    }
    if (nref != f.ncols)
        return aerr(c, loc, "42830",
                    "number of referencing and referenced columns for foreign key disagree");
    for (int i = 0; i < nref; i++) {
        if (!cn->n_pk_attrs) {
            f.refcols[i] = ref->pk[i];
            continue;
        }
        const char *nm = str_of(cn->pk_attrs[i]);
        f.refcols[i] = nm ? tw_table_column(ref, nm) : -1;
        if (f.refcols[i] < 0)
            return aerr(c, loc, "42703",
                        "column \"%s\" referenced in foreign key constraint does not exist",
                        nm ? nm : "?");
    }
    for (int i = 0; i < f.ncols; i++) f.refnames[i] = ref->cols[f.refcols[i]].name;
    /* the key that serves lookups: the primary key or a unique index on exactly them */
    int found = 0;
    const tw_index *xs = NULL;
    for (int pass = 0; pass < 3 && !found; pass++) {
        const int *kc = NULL;
        int nk = 0;
        int nx = pass == 0 ? 1 : pass == 1 ? ref->nidx : (self && ref == t ? c->p->nnewidx : 0);
        for (int x = 0; x < nx && !found; x++) {
            if (pass == 0) {
                kc = ref->pk;
                nk = ref->npk;
            } else if (pass == 1) {
                if (!ref->idx[x]->unique) continue;
                kc = ref->idx[x]->cols;
                nk = ref->idx[x]->ncols;
                xs = ref->idx[x];
            } else {
                kc = c->p->newidx[x].cols;
                nk = c->p->newidx[x].ncols;
                xs = NULL;
            }
            if (nk != f.ncols || !nk) continue;
            int ok = 1;
            for (int k = 0; k < nk && ok; k++) {
                f.perm[k] = -1;
                for (int j = 0; j < nk; j++)
                    if (f.refcols[j] == kc[k]) f.perm[k] = j;
                ok = f.perm[k] >= 0;
            }
            if (ok) {
                found = 1;
                f.refidx = pass == 1 ? (tw_index *)xs : NULL;
            }
        }
    }
    if (!found)
        return aerr(c, loc, "42830",
                    "there is no unique constraint matching given keys for referenced table \"%s\"",
                    ref->name);
    for (int i = 0; i < f.ncols; i++)
        if (tw_type_kind(t->cols[f.cols[i]].type.ty) !=
            tw_type_kind(ref->cols[f.refcols[i]].type.ty))
            return notsup(c, loc,
                          "a foreign key between columns \"%s\" and \"%s\" of different types is "
                          "not supported",
                          t->cols[f.cols[i]].name, ref->cols[f.refcols[i]].name);
    f.on_delete = cn->fk_del_action && cn->fk_del_action[0] ? (uint8_t)cn->fk_del_action[0] : 'a';
    f.on_update = cn->fk_upd_action && cn->fk_upd_action[0] ? (uint8_t)cn->fk_upd_action[0] : 'a';
    if (!strchr("arcnd", f.on_delete) || !strchr("arcnd", f.on_update))
        return notsup(c, loc, "this referential action is not supported");
    f.reftable = ref->name;
    f.table = t;
    f.ref = ref;
    if (cn->conname && cn->conname[0]) {
        if (conname_used(c, t, cn->conname))
            return aerr(c, loc, "42710", "constraint \"%s\" for relation \"%s\" already exists",
                        cn->conname, t->name);
        f.name = tw_arena_strndup(c->a, cn->conname, strlen(cn->conname));
    } else {
        char cols[400];
        size_t o = 0;
        cols[0] = '\0';
        for (int i = 0; i < f.ncols && o < sizeof cols; i++)
            o += (size_t)snprintf(cols + o, sizeof cols - o, "%s%s", i ? "_" : "",
                                  t->cols[f.cols[i]].name);
        f.name = choose_conname(c, t, cols, "fkey");
    }
    if (!f.name) return nomem(c);
    tw_fkey *nf = tw_arena_alloc(c->a, sizeof *nf * (size_t)(t->nfks + 1));
    if (!nf) return nomem(c);
    if (t->nfks) memcpy(nf, t->fks, sizeof *nf * (size_t)t->nfks);
    nf[t->nfks] = f;
    t->fks = nf;
    t->nfks++;
    return TWILL_OK;
}

static int expr_uses_col(const tw_expr *e, int col) {
    if (e->op == EX_COL && e->idx == col) return 1;
    for (int i = 0; i < e->nargs; i++)
        if (expr_uses_col(e->args[i], col)) return 1;
    return 0;
}

static int plan_drop_column_cons(actx *c, tw_table *t, int col);
static int plan_drop_constraint(actx *c, tw_table *t, const PgQuery__AlterTableCmd *cmd);
static int plan_alter_column(actx *c, tw_table *t, const PgQuery__AlterTableCmd *cmd);

/* ADD PRIMARY KEY / ADD UNIQUE on an existing table: the executor rebuilds the rows
 * under the new key (or builds the index), failing with 23505 / 23502 on bad data. */
static int plan_add_constraint(actx *c, tw_table *t, PgQuery__Constraint *cn) {
    tw_plan *p = c->p;
    int *cols, rc;
    if (cn->n_including || cn->indexname[0])
        return notsup(c, cn->location, "this form of ADD CONSTRAINT is not supported");
    switch (cn->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        if (t->npk)
            return aerr(c, cn->location, "42P16",
                        "multiple primary keys for table \"%s\" are not allowed", t->name);
        if ((rc = key_list(c, t, cn->keys, cn->n_keys, &cols, cn->location))) return rc;
        if (!(p->newtable = tw_arena_zalloc(c->a, sizeof *p->newtable))) return nomem(c);
        p->newtable->npk = (int)cn->n_keys;
        p->newtable->pk = cols;
        p->alter = ALT_ADD_PK;
        return set_names(c, cn->conname && cn->conname[0] ? cn->conname : "", NULL);
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        if ((rc = key_list(c, t, cn->keys, cn->n_keys, &cols, cn->location))) return rc;
        if ((rc = add_unique(c, t, cols, (int)cn->n_keys, cn->conname))) return rc;
        p->alter = ALT_ADD_UNIQUE;
        return TWILL_OK;
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: {
        /* the table's constraint lists with the new one appended */
        tw_table *nt = tw_arena_zalloc(c->a, sizeof *nt);
        if (!nt) return nomem(c);
        *nt = *t;
        p->newtable = nt;
        p->not_valid = cn->skip_validation;
        if (cn->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
            p->alter = ALT_ADD_FK;
            if ((rc = plan_fkey_cons(c, nt, cn, -1, 0))) return rc;
            nt->fks[nt->nfks - 1].table = t;
            return TWILL_OK;
        }
        p->alter = ALT_ADD_CHECK;
        tw_expr *e;
        if ((rc = plan_check_cons(c, nt, cn, &e))) return rc;
        p->nchecks = 1;
        p->checks = tw_arena_alloc(c->a, sizeof(tw_expr *));
        p->checknames = tw_arena_alloc(c->a, sizeof(char *));
        if (!p->checks || !p->checknames) return nomem(c);
        p->checks[0] = e;
        p->checknames[0] = nt->checks[nt->nchecks - 1].name;
        return TWILL_OK;
    }
    default:
        return notsup(c, cn->location, "this kind of ADD CONSTRAINT is not supported");
    }
}

/* Whether a FOREIGN KEY of another table references column col of t. */
static const tw_fkey *col_referenced(const tw_table *t, int col) {
    for (int i = 0; i < t->nrefby; i++)
        for (int k = 0; k < t->refby[i]->ncols; k++)
            if (t->refby[i]->refcols[k] == col) return t->refby[i];
    return NULL;
}

/* DROP COLUMN: CHECKs and FOREIGN KEYs on the column go with it (as in PostgreSQL); the
 * remaining FKs are renumbered. A column another FK references cannot go. */
static int plan_drop_column_cons(actx *c, tw_table *t, int col) {
    tw_plan *p = c->p;
    int rc;
    const tw_fkey *rf = col_referenced(t, col);
    if (rf)
        return aerr(c, -1, "2BP01",
                    "cannot drop column %s of table %s because other objects depend on it "
                    "(constraint %s on table %s depends on column %s of table %s)",
                    t->cols[col].name, t->name, rf->name, rf->table->name, t->cols[col].name,
                    t->name);
    tw_table *nt = tw_arena_zalloc(c->a, sizeof *nt);
    if (!nt) return nomem(c);
    *nt = *t;
    p->newtable = nt;
    nt->nchecks = 0;
    nt->nfks = 0;
    if (t->nchecks) {
        if (!(nt->checks = tw_arena_alloc(c->a, sizeof *nt->checks * (size_t)t->nchecks)))
            return nomem(c);
        if ((rc = plan_table_checks(c, t))) return rc;
        for (int i = 0; i < p->nchecks; i++) {
            if (expr_uses_col(p->checks[i], col)) continue;
            for (int k = 0; k < t->nchecks; k++)
                if (!strcmp(t->checks[k].name, p->checknames[i]))
                    nt->checks[nt->nchecks++] = t->checks[k];
        }
        p->nchecks = 0;
    }
    if (t->nfks) {
        if (!(nt->fks = tw_arena_alloc(c->a, sizeof *nt->fks * (size_t)t->nfks))) return nomem(c);
        for (int i = 0; i < t->nfks; i++) {
            tw_fkey f = t->fks[i];
            int uses = 0;
            for (int k = 0; k < f.ncols; k++) uses |= f.cols[k] == col;
            if (uses) continue;
            int *nc = tw_arena_alloc(c->a, sizeof(int) * (size_t)f.ncols);
            if (!nc) return nomem(c);
            for (int k = 0; k < f.ncols; k++) nc[k] = f.cols[k] > col ? f.cols[k] - 1 : f.cols[k];
            f.cols = nc;
            nt->fks[nt->nfks++] = f;
        }
    }
    return TWILL_OK;
}

/* ALTER TABLE DROP CONSTRAINT [IF EXISTS] name: a CHECK, a FOREIGN KEY, or a UNIQUE
 * constraint (its index). */
static int plan_drop_constraint(actx *c, tw_table *t, const PgQuery__AlterTableCmd *cmd) {
    tw_plan *p = c->p;
    int rc;
    p->alter = ALT_DROP_CONSTRAINT;
    if ((rc = set_names(c, cmd->name, NULL))) return rc;
    tw_table *nt = tw_arena_zalloc(c->a, sizeof *nt);
    if (!nt) return nomem(c);
    *nt = *t;
    p->newtable = nt;
    int found = 0;
    nt->nchecks = nt->nfks = 0;
    if (t->nchecks && !(nt->checks = tw_arena_alloc(c->a, sizeof *nt->checks * (size_t)t->nchecks)))
        return nomem(c);
    if (t->nfks && !(nt->fks = tw_arena_alloc(c->a, sizeof *nt->fks * (size_t)t->nfks)))
        return nomem(c);
    for (int i = 0; i < t->nchecks; i++) {
        if (!found && !strcmp(t->checks[i].name, cmd->name)) {
            found = 1;
            continue;
        }
        nt->checks[nt->nchecks++] = t->checks[i];
    }
    for (int i = 0; i < t->nfks; i++) {
        if (!found && !strcmp(t->fks[i].name, cmd->name)) {
            found = 1;
            continue;
        }
        nt->fks[nt->nfks++] = t->fks[i];
    }
    for (int i = 0; i < t->nidx && !found; i++)
        if (t->idx[i]->unique && !strcmp(t->idx[i]->name, cmd->name)) {
            for (int k = 0; k < t->nrefby; k++)
                if (t->refby[k]->refidx == t->idx[i])
                    return aerr(c, -1, "2BP01",
                                "cannot drop constraint %s on table %s because other objects "
                                "depend on it",
                                cmd->name, t->name);
            found = 2;
        }
    char pk[300];
    snprintf(pk, sizeof pk, "%s_pkey", t->name);
    if (!found && t->npk && !strcmp(cmd->name, pk))
        return notsup(c, -1, "dropping a primary key is not supported");
    if (!found) {
        if (cmd->missing_ok) {
            p->kind = PL_NOOP;
            return TWILL_OK;
        }
        return aerr(c, -1, "42704", "constraint \"%s\" of relation \"%s\" does not exist",
                    cmd->name, t->name);
    }
    p->restart = found == 2; /* the constraint is a unique index: drop it */
    return TWILL_OK;
}

/* ALTER COLUMN c SET DEFAULT e / DROP DEFAULT / SET NOT NULL / DROP NOT NULL / TYPE t
 * (the last only where the stored values stay valid as they are). */
static int plan_alter_column(actx *c, tw_table *t, const PgQuery__AlterTableCmd *cmd) {
    tw_plan *p = c->p;
    int rc, col = cmd->name ? tw_table_column(t, cmd->name) : -1;
    if (col < 0)
        return aerr(c, -1, "42703", "column \"%s\" of relation \"%s\" does not exist",
                    cmd->name ? cmd->name : "?", t->name);
    if ((rc = set_names(c, cmd->name, NULL))) return rc;
    tw_table *nt = tw_arena_zalloc(c->a, sizeof *nt);
    if (!nt || !(nt->cols = tw_arena_zalloc(c->a, sizeof(tw_column)))) return nomem(c);
    nt->name = t->name;
    nt->ncols = 1;
    p->newtable = nt;
    tw_column *nc = &nt->cols[0];
    *nc = t->cols[col];
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault: {
        p->alter = ALT_COL_DEFAULT;
        if (nc->identity)
            return aerr(c, -1, "55000", "column \"%s\" of relation \"%s\" is an identity column",
                        nc->name, t->name);
        nc->has_default = TW_DEF_NONE;
        nc->seqname = NULL;
        nc->nowfn = 0;
        if (!cmd->def) return TWILL_OK; /* DROP DEFAULT */
        PgQuery__Constraint cn = PG_QUERY__CONSTRAINT__INIT;
        cn.contype = PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT;
        cn.raw_expr = cmd->def;
        cn.location = -1;
        return column_default(c, t, nc, &cn);
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
        p->alter = ALT_COL_NOTNULL;
        nc->notnull = 1;
        return TWILL_OK;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        p->alter = ALT_COL_NOTNULL;
        for (int i = 0; i < t->npk; i++)
            if (t->pk[i] == col)
                return aerr(c, -1, "42P16", "column \"%s\" is in a primary key", nc->name);
        if (nc->identity)
            return aerr(c, -1, "55000", "column \"%s\" of relation \"%s\" is an identity column",
                        nc->name, t->name);
        nc->notnull = 0;
        return TWILL_OK;
    default: {
        p->alter = ALT_COL_TYPE;
        const PgQuery__ColumnDef *cd =
            cmd->def && cmd->def->node_case == N_(COLUMN_DEF) ? cmd->def->column_def : NULL;
        if (!cd || cd->raw_default || cd->coll_clause)
            return notsup(c, -1, "ALTER COLUMN TYPE with USING or COLLATE is not supported");
        tw_sqltype nty;
        if ((rc = resolve_type(c, cd->type_name, &nty))) return rc;
        if (nty.ty == TY_CHAR && nty.mod < 0) nty.mod = 1;
        tw_sqltype o = nc->type;
        /* no stored value changes: the same type, a wider integer, a longer (or no)
         * varchar limit, or varchar to text */
        int same = o.ty == nty.ty && o.mod == nty.mod;
        int wider_int = (o.ty == TY_INT2 && (nty.ty == TY_INT4 || nty.ty == TY_INT8)) ||
                        (o.ty == TY_INT4 && nty.ty == TY_INT8);
        int longer = o.ty == TY_VARCHAR &&
                     (nty.ty == TY_TEXT ||
                      (nty.ty == TY_VARCHAR && (nty.mod < 0 || (o.mod >= 0 && nty.mod >= o.mod))));
        if (!same && !wider_int && !longer)
            return notsup(c, -1,
                          "this ALTER COLUMN TYPE is not supported (it would convert the "
                          "stored values)");
        for (int i = 0; i < t->nfks && !same; i++)
            for (int k = 0; k < t->fks[i].ncols; k++)
                if (t->fks[i].cols[k] == col)
                    return notsup(c, -1,
                                  "changing the type of a foreign-key column is not supported");
        if (col_referenced(t, col) && !same)
            return notsup(c, -1, "changing the type of a referenced column is not supported");
        nc->type = nty;
        return TWILL_OK;
    }
    }
}

/* VACUUM / ANALYZE: the storage reclaims space on its own (checkpoints), and the planner
 * keeps no statistics, so there is nothing to do beyond checking the names. */
static int plan_vacuum(actx *c, PgQuery__VacuumStmt *s) {
    tw_plan *p = c->p;
    p->kind = PL_NOOP;
    p->noop_tag = s->is_vacuumcmd ? "VACUUM" : "ANALYZE";
    for (size_t i = 0; i < s->n_rels; i++) {
        if (s->rels[i]->node_case != N_(VACUUM_RELATION)) continue;
        const PgQuery__VacuumRelation *vr = s->rels[i]->vacuum_relation;
        tw_table *t;
        int rc;
        if (vr->relation && (rc = lookup_table(c, vr->relation, &t))) return rc;
        for (size_t k = 0; vr->relation && k < vr->n_va_cols; k++) {
            const char *col = str_of(vr->va_cols[k]);
            if (col && tw_table_column(t, col) < 0)
                return aerr(c, -1, "42703", "column \"%s\" of relation \"%s\" does not exist", col,
                            t->name);
        }
    }
    return TWILL_OK;
}

static int plan_alter(actx *c, PgQuery__AlterTableStmt *s) {
    tw_plan *p = c->p;
    if (s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        return notsup(c, -1, "ALTER of this object type is not supported");
    if (!s->n_cmds) return notsup(c, -1, "malformed ALTER TABLE");
    int skip, rc;
    p->kind = PL_ALTER_TABLE;
    if ((rc = alter_target(c, s->relation, s->missing_ok, &skip)) || skip) return rc;
    if (s->n_cmds > 1 && !c->alter_cmd) {
        /* several actions: session.c plans and runs each in turn, each against the
         * catalog as the previous ones left it */
        p->alter = ALT_MULTI;
        for (size_t i = 0; i < s->n_cmds; i++)
            if (s->cmds[i]->node_case != N_(ALTER_TABLE_CMD))
                return notsup(c, -1, "malformed ALTER TABLE");
        return TWILL_OK;
    }
    const PgQuery__AlterTableCmd *cmd =
        s->cmds[c->alter_cmd ? c->alter_cmd - 1 : 0]->alter_table_cmd;
    tw_table *t = p->table;
    p->col_missing_ok = cmd->missing_ok;
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn) {
        p->alter = ALT_DROP_COLUMN;
        int col = tw_table_column(t, cmd->name);
        if (col < 0 && !cmd->missing_ok)
            return aerr(c, -1, "42703", "column \"%s\" of relation \"%s\" does not exist",
                        cmd->name, t->name);
        for (int i = 0; col >= 0 && i < t->npk; i++)
            if (t->pk[i] == col)
                return notsup(c, -1, "dropping a primary-key column is not supported");
        if ((rc = set_names(c, cmd->name, NULL))) return rc;
        return col >= 0 ? plan_drop_column_cons(c, t, col) : TWILL_OK;
    }
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
        cmd->def->node_case == N_(CONSTRAINT))
        return plan_add_constraint(c, t, cmd->def->constraint);
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint)
        return plan_drop_constraint(c, t, cmd);
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault ||
        cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull ||
        cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull ||
        cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType)
        return plan_alter_column(c, t, cmd);
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !cmd->def ||
        cmd->def->node_case != N_(COLUMN_DEF))
        return notsup(c, -1, "this ALTER TABLE action is not supported");
    p->alter = ALT_ADD_COLUMN;
    const PgQuery__ColumnDef *cd = cmd->def->column_def;
    tw_table *nt = tw_arena_zalloc(c->a, sizeof *nt);
    if (!nt || !(nt->cols = tw_arena_zalloc(c->a, sizeof(tw_column)))) return nomem(c);
    nt->name = t->name;
    nt->ncols = 1;
    p->newtable = nt;
    tw_column *col = &nt->cols[0];
    if (!(col->name = tw_arena_strndup(c->a, cd->colname, strlen(cd->colname)))) return nomem(c);
    if ((rc = set_names(c, cd->colname, NULL))) return rc;
    if (tw_table_column(t, cd->colname) >= 0) {
        if (cmd->missing_ok) return TWILL_OK; /* IF NOT EXISTS: executed as a notice */
        return aerr(c, cd->location, "42701", "column \"%s\" of relation \"%s\" already exists",
                    cd->colname, t->name);
    }
    if (t->ncols >= TW_MAX_COLUMNS)
        return aerr(c, cd->location, "54011", "tables can have at most %d columns", TW_MAX_COLUMNS);
    if (serial_type(cd->type_name))
        return notsup(c, cd->location, "adding a serial column is not supported");
    if ((rc = resolve_type(c, cd->type_name, &col->type)) || (rc = column_def_basics(c, cd, col)))
        return rc;
    for (size_t k = 0; k < cd->n_constraints; k++) {
        PgQuery__Constraint *cn = cd->constraints[k]->constraint;
        int handled;
        if ((rc = column_constraint_common(c, t, col, cn, &handled))) return rc;
        if (!handled)
            return notsup(c, cn->location,
                          "ADD COLUMN supports NOT NULL, NULL and DEFAULT constraints only");
        if (col->has_default == TW_DEF_SEQ || col->has_default == TW_DEF_NOW)
            return notsup(c, cn->location,
                          "adding a column with a nextval() or now() default is not supported");
    }
    return TWILL_OK;
}

static int plan_truncate(actx *c, PgQuery__TruncateStmt *s) {
    tw_plan *p = c->p;
    p->restart = s->restart_seqs;
    p->nnames = (int)s->n_relations;
    p->names = tw_arena_zalloc(c->a, sizeof(char *) * (s->n_relations + 1));
    if (!p->names) return nomem(c);
    for (size_t i = 0; i < s->n_relations; i++) {
        if (s->relations[i]->node_case != N_(RANGE_VAR)) return notsup(c, -1, "malformed TRUNCATE");
        tw_table *t;
        int rc = lookup_table(c, s->relations[i]->range_var, &t);
        if (rc) return rc;
        p->names[i] = t->name;
    }
    return TWILL_OK;
}

static int plan_create_table(actx *c, PgQuery__CreateStmt *s) {
    tw_plan *p = c->p;
    int rc;
    PgQuery__RangeVar *rv = s->relation;
    if (rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public"))
        return notsup(c, rv->location, "schemas other than public are not supported");
    if (rv->relpersistence && rv->relpersistence[0] == 't')
        return notsup(c, rv->location, "temporary tables are not supported");
    if (s->n_inh_relations || s->partbound || s->partspec || s->of_typename)
        return notsup(c, rv->location,
                      "inheritance, partitioning and typed tables are not supported");
    tw_table *t = tw_arena_zalloc(c->a, sizeof *t);
    if (!t) return nomem(c);
    t->name = tw_arena_strndup(c->a, rv->relname, strlen(rv->relname));
    if (!t->name) return nomem(c);
    if (strlen(t->name) > 200) return aerr(c, rv->location, "42622", "table name is too long");
    size_t ne = s->n_table_elts;
    t->cols = tw_arena_zalloc(c->a, sizeof(tw_column) * (ne ? ne : 1));
    if (!t->cols) return nomem(c);
    Node *pkn[TW_MAX_COLUMNS];
    size_t npkn = 0;
    int have_pk = 0;
    p->newtable = t;
    p->if_exists = s->if_not_exists;
    /* Columns first, so table constraints can name any of them. */
    for (size_t i = 0; i < ne; i++) {
        Node *el = s->table_elts[i];
        if (el->node_case == N_(CONSTRAINT)) continue;
        if (el->node_case != N_(COLUMN_DEF))
            return notsup(c, -1, "%s in CREATE TABLE is not supported", node_name(el));
        PgQuery__ColumnDef *cd = el->column_def;
        if (t->ncols >= TW_MAX_COLUMNS)
            return aerr(c, cd->location, "54011", "tables can have at most %d columns",
                        TW_MAX_COLUMNS);
        if (tw_table_column(t, cd->colname) >= 0)
            return aerr(c, cd->location, "42701", "column \"%s\" specified more than once",
                        cd->colname);
        tw_column *col = &t->cols[t->ncols++];
        col->name = tw_arena_strndup(c->a, cd->colname, strlen(cd->colname));
        if (!col->name) return nomem(c);
        int sty = serial_type(cd->type_name);
        if (sty) {
            col->type = (tw_sqltype){sty, -1};
            if ((rc = add_owned_seq(c, t, col, NULL, 0, cd->location))) return rc;
        } else if ((rc = resolve_type(c, cd->type_name, &col->type))) {
            return rc;
        }
        if ((rc = column_def_basics(c, cd, col))) return rc;
        for (size_t k = 0; k < cd->n_constraints; k++) {
            PgQuery__Constraint *cn = cd->constraints[k]->constraint;
            int handled;
            if ((rc = column_constraint_common(c, t, col, cn, &handled))) return rc;
            if (handled) continue;
            switch (cn->contype) {
            case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
                if (key_type_ok(c, col, cn->location)) return TWILL_NOTSUP;
                if (have_pk++)
                    return aerr(c, cn->location, "42P16",
                                "multiple primary keys for table \"%s\" are not allowed", t->name);
                pkn[npkn++] = NULL; /* marker: this column */
                t->pk = tw_arena_alloc(c->a, sizeof(int));
                if (!t->pk) return nomem(c);
                t->pk[0] = t->ncols - 1;
                t->npk = 1;
                break;
            case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE: {
                if (key_type_ok(c, col, cn->location)) return TWILL_NOTSUP;
                int *cols = tw_arena_alloc(c->a, sizeof(int));
                if (!cols) return nomem(c);
                cols[0] = t->ncols - 1;
                if ((rc = add_unique(c, t, cols, 1, cn->conname))) return rc;
                break;
            }
            case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
            case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
                break; /* after the keys (below) */
            case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
                if (col->has_default)
                    return aerr(c, cn->location, "42601",
                                "both default and identity specified for column \"%s\" of "
                                "table \"%s\"",
                                col->name, t->name);
                if (col->type.ty != TY_INT2 && col->type.ty != TY_INT4 && col->type.ty != TY_INT8)
                    return aerr(c, cn->location, "22023",
                                "identity column type must be smallint, integer, or bigint");
                if ((rc = add_owned_seq(c, t, col, cn->options, cn->n_options, cn->location)))
                    return rc;
                col->identity = cn->generated_when && cn->generated_when[0] == 'a' ? 'a' : 'd';
                break;
            case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
                return notsup(c, cn->location,
                              "identity and generated columns are not supported yet");
            default:
                return notsup(c, cn->location, "this column constraint is not supported");
            }
        }
    }
    (void)pkn;
    for (size_t i = 0; i < ne; i++) {
        Node *el = s->table_elts[i];
        if (el->node_case != N_(CONSTRAINT)) continue;
        PgQuery__Constraint *cn = el->constraint;
        int *cols;
        switch (cn->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
            if (have_pk++)
                return aerr(c, cn->location, "42P16",
                            "multiple primary keys for table \"%s\" are not allowed", t->name);
            if (cn->n_including) return notsup(c, cn->location, "INCLUDE is not supported");
            if ((rc = key_list(c, t, cn->keys, cn->n_keys, &cols, cn->location))) return rc;
            t->pk = cols;
            t->npk = (int)cn->n_keys;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
            if (cn->n_including) return notsup(c, cn->location, "INCLUDE is not supported");
            if ((rc = key_list(c, t, cn->keys, cn->n_keys, &cols, cn->location))) return rc;
            if ((rc = add_unique(c, t, cols, (int)cn->n_keys, cn->conname))) return rc;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
            break; /* below */
        default:
            return notsup(c, cn->location, "this table constraint is not supported");
        }
    }
    for (int i = 0; i < t->npk; i++) t->cols[t->pk[i]].notnull = 1;
    t->kinds = tw_arena_alloc(c->a, (size_t)(t->ncols ? t->ncols : 1));
    if (!t->kinds) return nomem(c);
    for (int i = 0; i < t->ncols; i++) t->kinds[i] = (uint8_t)tw_type_kind(t->cols[i].type.ty);
    /* CHECK and FOREIGN KEY constraints, in the order written (which is how PostgreSQL
     * numbers automatic names), once every column and key is known */
    for (size_t i = 0, colno = 0; i < ne; i++) {
        Node *el = s->table_elts[i];
        size_t ncn = el->node_case == N_(COLUMN_DEF) ? el->column_def->n_constraints : 1;
        int col = el->node_case == N_(COLUMN_DEF) ? (int)colno++ : -1;
        for (size_t k = 0; k < ncn; k++) {
            PgQuery__Constraint *cn =
                col >= 0 ? el->column_def->constraints[k]->constraint : el->constraint;
            tw_expr *e;
            if (cn->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
                rc = plan_check_cons(c, t, cn, &e);
            else if (cn->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
                rc = plan_fkey_cons(c, t, cn, col, 1);
            else
                continue;
            if (rc) return rc;
        }
    }
    return TWILL_OK;
}

static int plan_create_index(actx *c, PgQuery__IndexStmt *s) {
    tw_plan *p = c->p;
    int rc;
    if (s->where_clause) return notsup(c, -1, "partial indexes are not supported");
    if (s->n_index_including_params) return notsup(c, -1, "INCLUDE is not supported");
    if (s->access_method && s->access_method[0] && strcmp(s->access_method, "btree"))
        return notsup(c, -1, "index access method \"%s\" is not supported", s->access_method);
    tw_table *t;
    if ((rc = open_table(c, s->relation, &t))) return rc;
    int *cols;
    if ((rc = key_list(c, t, s->index_params, s->n_index_params, &cols, s->relation->location)))
        return rc;
    tw_index *x = tw_arena_zalloc(c->a, sizeof *x);
    if (!x) return nomem(c);
    x->unique = s->unique;
    x->ncols = (int)s->n_index_params;
    x->cols = cols;
    x->table_name = t->name;
    x->table = t;
    char buf[512];
    if (s->idxname && s->idxname[0]) {
        snprintf(buf, sizeof buf, "%s", s->idxname);
    } else {
        int o = snprintf(buf, sizeof buf, "%s", t->name);
        for (int i = 0; i < x->ncols && o < 400; i++)
            o += snprintf(buf + o, sizeof buf - (size_t)o, "_%s", t->cols[cols[i]].name);
        snprintf(buf + (o < 400 ? o : 400), 100, "_idx");
    }
    x->name = tw_arena_strndup(c->a, buf, strlen(buf));
    if (!x->name) return nomem(c);
    p->newidx = x;
    p->nnewidx = 1;
    p->table = t;
    p->if_exists = s->if_not_exists;
    return TWILL_OK;
}

/* Schemas: only the built-in ones exist (public, pg_catalog, information_schema), so
 * CREATE SCHEMA IF NOT EXISTS public is a no-op, DROP SCHEMA IF EXISTS of another name
 * too (as in PostgreSQL); creating other schemas or dropping these is 0A000. */
static int builtin_schema(const char *n) {
    return !strcmp(n, "public") || !strcmp(n, "pg_catalog") || !strcmp(n, "information_schema");
}

static int plan_create_schema(actx *c, PgQuery__CreateSchemaStmt *s) {
    tw_plan *p = c->p;
    if (!s->schemaname || !s->schemaname[0])
        return notsup(c, -1, "CREATE SCHEMA AUTHORIZATION is not supported");
    if (!builtin_schema(s->schemaname))
        return notsup(c, -1, "schemas other than public are not supported");
    if (!s->if_not_exists)
        return aerr(c, -1, "42P06", "schema \"%s\" already exists", s->schemaname);
    if (s->n_schema_elts) return notsup(c, -1, "CREATE SCHEMA with elements is not supported");
    p->kind = PL_NOOP;
    p->noop_tag = "CREATE SCHEMA";
    return TWILL_OK;
}

static int plan_drop_schema(actx *c, PgQuery__DropStmt *s) {
    tw_plan *p = c->p;
    p->kind = PL_NOOP;
    p->noop_tag = "DROP SCHEMA";
    for (size_t i = 0; i < s->n_objects; i++) {
        const char *nm = str_of(s->objects[i]);
        if (!nm) return notsup(c, -1, "malformed DROP SCHEMA");
        if (builtin_schema(nm)) return notsup(c, -1, "dropping schema \"%s\" is not supported", nm);
        if (!s->missing_ok) return aerr(c, -1, "3F000", "schema \"%s\" does not exist", nm);
    }
    return TWILL_OK;
}

static int plan_drop(actx *c, PgQuery__DropStmt *s) {
    tw_plan *p = c->p;
    if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) return plan_drop_schema(c, s);
    if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        p->kind = PL_DROP_TABLE;
    else if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
        p->kind = PL_DROP_INDEX;
    else if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW)
        p->kind = PL_DROP_VIEW;
    else if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE)
        p->kind = PL_DROP_SEQ;
    else
        return notsup(c, -1, "DROP of this object type is not supported");
    if (s->concurrent) return notsup(c, -1, "DROP INDEX CONCURRENTLY is not supported");
    p->if_exists = s->missing_ok;
    p->cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    p->nnames = (int)s->n_objects;
    p->names = tw_arena_alloc(c->a, sizeof(char *) * (s->n_objects + 1));
    if (!p->names) return nomem(c);
    for (size_t i = 0; i < s->n_objects; i++) {
        Node *o = s->objects[i];
        if (o->node_case != N_(LIST) || o->list->n_items == 0)
            return notsup(c, -1, "malformed DROP");
        PgQuery__List *l = o->list;
        if (l->n_items > 2) return notsup(c, -1, "cross-database references are not supported");
        if (l->n_items == 2 && (!str_of(l->items[0]) || strcmp(str_of(l->items[0]), "public")))
            return notsup(c, -1, "schemas other than public are not supported");
        const char *nm = str_of(l->items[l->n_items - 1]);
        if (!nm) return notsup(c, -1, "malformed DROP");
        p->names[i] = tw_arena_strndup(c->a, nm, strlen(nm));
        if (!p->names[i]) return nomem(c);
    }
    return TWILL_OK;
}

static int plan_derived(actx *c, PgQuery__RangeSubselect *rs, tw_table **out, int *from_sub);

static int plan_create_view(actx *c, PgQuery__ViewStmt *vs) {
    tw_plan *p = c->p;
    PgQuery__RangeVar *rv = vs->view;
    if (rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public"))
        return notsup(c, rv->location, "schemas other than public are not supported");
    if (rv->relpersistence && rv->relpersistence[0] == 't')
        return notsup(c, rv->location, "temporary views are not supported");
    if (vs->n_options || vs->with_check_option > PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION)
        return notsup(c, rv->location, "view options are not supported");
    if (!vs->query || vs->query->node_case != N_(SELECT_STMT))
        return notsup(c, rv->location, "this view definition is not supported");
    /* plan the query once now, so a broken definition fails here */
    PgQuery__Alias al = PG_QUERY__ALIAS__INIT;
    al.aliasname = rv->relname;
    al.n_colnames = vs->n_aliases;
    al.colnames = vs->aliases;
    PgQuery__RangeSubselect rs = PG_QUERY__RANGE_SUBSELECT__INIT;
    rs.subquery = vs->query;
    rs.alias = &al;
    tw_table *t;
    int from_sub, rc = plan_derived(c, &rs, &t, &from_sub);
    if (rc) return rc;
    if (c->p->nparams) return aerr(c, -1, "42P02", "views cannot have parameters");
    p->nnames = 1;
    p->names = tw_arena_alloc(c->a, sizeof(char *));
    if (!p->names || !(p->names[0] = tw_arena_strndup(c->a, rv->relname, strlen(rv->relname))))
        return nomem(c);
    p->if_exists = vs->replace; /* OR REPLACE */
    return TWILL_OK;
}

int tw_plan_peek_kind(tw_parsetree *tree, size_t i) {
    Node *n = tree->pr->stmts[i]->stmt;
    if (n && n->node_case == N_(VARIABLE_SET_STMT) && n->variable_set_stmt->name) {
        const char *v = n->variable_set_stmt->name;
        if (!strcmp(v, "TRANSACTION") || !strcmp(v, "SESSION CHARACTERISTICS") ||
            !strcmp(v, "default_transaction_isolation") || !strcmp(v, "transaction_isolation"))
            return PL_SET_ISOLATION;
    }
    if (n && n->node_case == N_(TRANSACTION_STMT)) {
        switch (n->transaction_stmt->kind) {
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
            return PL_BEGIN;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
            return PL_COMMIT;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
            return PL_ROLLBACK;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
            return PL_SAVEPOINT;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
            return PL_RELEASE;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
            return PL_ROLLBACK_TO;
        default:
            return -1;
        }
    }
    return -1;
}

static int plan_explain(actx *c, PgQuery__ExplainStmt *s);

/* Plans one statement node into c->p. */
static int plan_node(actx *c, Node *n) {
    tw_plan *p = c->p;
    int rc;
    switch (n ? n->node_case : 0) {
    case N_(SELECT_STMT):
        p->kind = PL_SELECT;
        rc = plan_select(c, n->select_stmt);
        break;
    case N_(INSERT_STMT):
        p->kind = PL_INSERT;
        rc = plan_insert(c, n->insert_stmt);
        break;
    case N_(UPDATE_STMT):
        p->kind = PL_UPDATE;
        rc = plan_update(c, n->update_stmt);
        break;
    case N_(DELETE_STMT):
        p->kind = PL_DELETE;
        rc = plan_delete(c, n->delete_stmt);
        break;
    case N_(CREATE_STMT):
        p->kind = PL_CREATE_TABLE;
        rc = plan_create_table(c, n->create_stmt);
        break;
    case N_(INDEX_STMT):
        p->kind = PL_CREATE_INDEX;
        rc = plan_create_index(c, n->index_stmt);
        break;
    case N_(TRUNCATE_STMT):
        p->kind = PL_TRUNCATE;
        rc = plan_truncate(c, n->truncate_stmt);
        break;
    case N_(ALTER_TABLE_STMT):
        rc = plan_alter(c, n->alter_table_stmt);
        break;
    case N_(RENAME_STMT):
        rc = plan_rename(c, n->rename_stmt);
        break;
    case N_(CREATE_SEQ_STMT):
        p->kind = PL_CREATE_SEQ;
        rc = plan_create_seq(c, n->create_seq_stmt);
        break;
    case N_(VIEW_STMT):
        p->kind = PL_CREATE_VIEW;
        rc = plan_create_view(c, n->view_stmt);
        break;
    case N_(DROP_STMT):
        rc = plan_drop(c, n->drop_stmt);
        break;
    case N_(VACUUM_STMT):
        rc = plan_vacuum(c, n->vacuum_stmt);
        break;
    case N_(CREATE_SCHEMA_STMT):
        rc = plan_create_schema(c, n->create_schema_stmt);
        break;
    case N_(EXPLAIN_STMT):
        rc = plan_explain(c, n->explain_stmt);
        break;
    case N_(VARIABLE_SHOW_STMT): {
        /* the session's isolation levels (the wire server answers other SHOWs itself) */
        const char *v = n->variable_show_stmt->name;
        if (!v ||
            (strcmp(v, "transaction_isolation") && strcmp(v, "default_transaction_isolation"))) {
            rc = notsup(c, -1, "SHOW %s is not supported here", v ? v : "?");
            break;
        }
        p->kind = PL_SHOW_ISOLATION;
        p->ncols = 1;
        p->colnames = tw_arena_alloc(c->a, sizeof(char *));
        p->coltypes = tw_arena_alloc(c->a, sizeof(tw_sqltype));
        if (!p->colnames || !p->coltypes ||
            !(p->colnames[0] = tw_arena_strndup(c->a, v, strlen(v)))) {
            rc = nomem(c);
            break;
        }
        p->coltypes[0] = (tw_sqltype){TY_TEXT, -1};
        rc = TWILL_OK;
        break;
    }
    default:
        rc = notsup(c, -1, "statement type %s is not supported", n ? node_name(n) : "?");
    }
    return rc;
}

/* EXPLAIN [ANALYZE] [(options)] statement: the statement is planned as usual into a
 * plan of its own (p->inner); the EXPLAIN plan has one text column of lines. */
static int plan_explain(actx *c, PgQuery__ExplainStmt *s) {
    tw_plan *p = c->p;
    p->kind = PL_EXPLAIN;
    for (size_t i = 0; i < s->n_options; i++) {
        const PgQuery__DefElem *d = s->options[i]->def_elem;
        const char *v = d->arg ? str_of(d->arg) : NULL;
        int on = !v || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1");
        if (d->arg && d->arg->node_case == N_(BOOLEAN)) on = d->arg->boolean->boolval;
        if (!strcmp(d->defname, "analyze")) {
            p->analyze = (uint8_t)on;
        } else if (!strcmp(d->defname, "format")) {
            if (!v || strcmp(v, "text"))
                return notsup(c, d->location, "EXPLAIN (FORMAT %s) is not supported; only TEXT",
                              v ? v : "?");
        } else if (strcmp(d->defname, "verbose") && strcmp(d->defname, "costs") &&
                   strcmp(d->defname, "buffers") && strcmp(d->defname, "timing") &&
                   strcmp(d->defname, "summary") && strcmp(d->defname, "settings") &&
                   strcmp(d->defname, "wal")) {
            return aerr(c, d->location, "42601", "unrecognized EXPLAIN option \"%s\"", d->defname);
        }
    }
    Node *q = s->query;
    int qk = q ? q->node_case : 0;
    if (qk != N_(SELECT_STMT) && qk != N_(INSERT_STMT) && qk != N_(UPDATE_STMT) &&
        qk != N_(DELETE_STMT))
        return notsup(c, -1, "EXPLAIN of this statement is not supported");
    tw_plan *in = calloc(1, sizeof *in);
    if (!in) return nomem(c);
    actx ic = {.p = in,
               .a = &in->mem,
               .tree = c->tree,
               .pos_base = c->pos_base,
               .err = c->err,
               .cat = c->cat};
    int rc = plan_node(&ic, q);
    in->cat = c->cat;
    if (in->cat) tw_catalog_ref(in->cat);
    p->inner = in; /* freed with p, also on error */
    if (rc) return rc;
    p->nparams = in->nparams;
    p->nparamtypes = in->nparamtypes;
    p->paramtypes = in->paramtypes;
    p->ncols = 1;
    p->colnames = tw_arena_alloc(c->a, sizeof(char *));
    p->coltypes = tw_arena_alloc(c->a, sizeof(tw_sqltype));
    if (!p->colnames || !p->coltypes ||
        !(p->colnames[0] = tw_arena_strndup(c->a, "QUERY PLAN", 10)))
        return nomem(c);
    p->coltypes[0] = (tw_sqltype){TY_TEXT, -1};
    return TWILL_OK;
}

int tw_plan_build(tw_parsetree *tree, size_t i, tw_catalog *cat, size_t pos_base, tw_plan **out,
                  tw_err *err) {
    *out = NULL;
    tw_plan *p = calloc(1, sizeof *p);
    if (!p) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    actx c = {.p = p, .a = &p->mem, .tree = tree, .pos_base = pos_base, .err = err, .cat = cat};
    Node *n = tree->pr->stmts[i]->stmt;
    int rc;
    if (n && n->node_case == N_(TRANSACTION_STMT)) {
        p->kind = tw_plan_peek_kind(tree, i);
        rc = p->kind < 0 ? notsup(&c, -1, "two-phase commit is not supported") : TWILL_OK;
    } else {
        rc = plan_node(&c, n);
    }
    if (rc) {
        tw_plan_free(p);
        return rc;
    }
    p->cat = cat;
    if (cat) tw_catalog_ref(cat);
    *out = p;
    return TWILL_OK;
}

int tw_plan_build_alter_cmd(tw_parsetree *tree, size_t i, int cmd, tw_catalog *cat, size_t pos_base,
                            tw_plan **out, tw_err *err) {
    *out = NULL;
    tw_plan *p = calloc(1, sizeof *p);
    if (!p) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    actx c = {.p = p,
              .a = &p->mem,
              .tree = tree,
              .pos_base = pos_base,
              .err = err,
              .cat = cat,
              .alter_cmd = cmd + 1};
    Node *n = tree->pr->stmts[i]->stmt;
    int rc = n && n->node_case == N_(ALTER_TABLE_STMT) && cmd >= 0 &&
                     (size_t)cmd < n->alter_table_stmt->n_cmds
                 ? plan_alter(&c, n->alter_table_stmt)
                 : tw_err_set(err, TWILL_ERROR, "XX000", "not an ALTER TABLE action");
    if (rc) {
        tw_plan_free(p);
        return rc;
    }
    p->cat = cat;
    if (cat) tw_catalog_ref(cat);
    *out = p;
    return TWILL_OK;
}

void tw_plan_free(tw_plan *p) {
    if (!p) return;
    tw_plan_free(p->inner);
    for (int i = 0; i < p->nxtrees; i++) tw_parsetree_unref(p->xtrees[i]);
    free(p->xtrees);
    tw_arena_free(&p->mem);
    if (p->cat) tw_catalog_unref(p->cat);
    free(p);
}
