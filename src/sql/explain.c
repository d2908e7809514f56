/*
 * explain.c — rendering a plan as PostgreSQL-style EXPLAIN text (see explain.h).
 */
#include "sql/explain.h"

#include "sql/func.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How EX_COL references read in the expressions being printed: a combined row (scan
 * columns by name), or the output of the node below (a projection's expressions, or an
 * aggregation's groups and aggregates), printed through that node's own context. */
typedef struct rctx {
    char **names; /* combined-row column names of the slot, or NULL */
    int nnames;
    tw_expr **exprs; /* EX_COL i → exprs[i] ... */
    int nexprs;
    const tw_pnode *agg; /* ... or group i / aggregate i - ngroup of this AGG node */
    const struct rctx *below;
} rctx;

typedef struct xout {
    tw_buf *b;
    int oom;
    char ***slotnames; /* per slot: combined-row column names */
    int *slotwidth;
    int nslots;
    const tw_plan *p;
    const tw_run *r;
} xout;

static void put(xout *x, const char *s, size_t n) {
    if (!x->oom && tw_buf_append(x->b, s, n)) x->oom = 1;
}

static void puts_(xout *x, const char *s) {
    put(x, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(xout *x, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) put(x, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void expr(xout *x, const tw_expr *e, const rctx *rc);

static const char *op_text(int op) {
    switch (op) {
    case EX_ADD:
        return "+";
    case EX_SUB:
        return "-";
    case EX_MUL:
        return "*";
    case EX_DIV:
        return "/";
    case EX_MOD:
        return "%";
    case EX_CONCAT:
        return "||";
    case EX_EQ:
        return "=";
    case EX_NE:
        return "<>";
    case EX_LT:
        return "<";
    case EX_LE:
        return "<=";
    case EX_GT:
        return ">";
    case EX_GE:
        return ">=";
    case EX_AND:
        return "AND";
    case EX_OR:
        return "OR";
    }
    return NULL;
}

static const char *fn_name(int fn) {
    static const char *const names[] = {"abs",     "lower",     "upper",     "length",
                                        "round",   "trunc",     "ceil",      "floor",
                                        "extract", "date_part", "date_trunc"};
    return fn >= 0 && fn < (int)(sizeof names / sizeof names[0]) ? names[fn] : "?";
}

static const char *agg_name(int fn) {
    switch (fn) {
    case AG_COUNT_STAR:
    case AG_COUNT:
        return "count";
    case AG_SUM:
        return "sum";
    case AG_MIN:
        return "min";
    case AG_MAX:
        return "max";
    case AG_AVG:
        return "avg";
    case AG_BOOL_AND:
        return "bool_and";
    case AG_BOOL_OR:
        return "bool_or";
    case AG_STRING_AGG:
        return "string_agg";
    case AG_ARRAY_AGG:
        return "array_agg";
    case AG_JSON_AGG:
        return "json_agg";
    case AG_JSONB_AGG:
        return "jsonb_agg";
    }
    return "?";
}

static void constant(xout *x, const tw_val *v, tw_sqltype t) {
    if (v->k == VK_NULL) {
        puts_(x, "NULL");
        return;
    }
    tw_buf b = {0};
    if (tw_val_out(v, t.ty == TY_FLOAT4, &b)) {
        x->oom = 1;
        return;
    }
    int quoted = !(v->k == VK_INT || v->k == VK_FLOAT || v->k == VK_NUMERIC);
    if (quoted) puts_(x, "'");
    for (size_t i = 0; i < b.len; i++) {
        if (quoted && b.p[i] == '\'') put(x, "'", 1);
        put(x, (const char *)b.p + i, 1);
    }
    if (quoted) {
        char tn[64];
        putf(x, "'::%s",
             tw_type_name(t.ty == TY_UNKNOWN ? (tw_sqltype){TY_TEXT, -1} : t, tn, sizeof tn));
    }
    tw_buf_free(&b);
}

static void column(xout *x, int idx, const rctx *rc) {
    if (rc->agg) {
        const tw_pnode *a = rc->agg;
        if (idx < a->ngroup) {
            expr(x, a->group[idx], rc->below);
            return;
        }
        const tw_aggdef *d = &a->aggs[idx - a->ngroup];
        putf(x, "%s(%s", agg_name(d->fn), d->distinct ? "DISTINCT " : "");
        if (d->arg)
            expr(x, d->arg, rc->below);
        else
            puts_(x, "*");
        puts_(x, ")");
        return;
    }
    if (rc->exprs && idx < rc->nexprs) {
        expr(x, rc->exprs[idx], rc->below);
        return;
    }
    if (rc->names && idx < rc->nnames && rc->names[idx]) {
        puts_(x, rc->names[idx]);
        return;
    }
    putf(x, "$col%d", idx + 1);
}

static void args(xout *x, const tw_expr *e, int from, const rctx *rc) {
    for (int i = from; i < e->nargs; i++) {
        if (i > from) puts_(x, ", ");
        expr(x, e->args[i], rc);
    }
}

static void expr(xout *x, const tw_expr *e, const rctx *rc) {
    char tn[64];
    const char *op = op_text(e->op);
    if (op) {
        puts_(x, "(");
        expr(x, e->args[0], rc);
        putf(x, " %s ", op);
        expr(x, e->args[1], rc);
        puts_(x, ")");
        return;
    }
    switch (e->op) {
    case EX_CONST:
        constant(x, &e->v, e->type);
        return;
    case EX_COL:
        column(x, e->idx, rc);
        return;
    case EX_OUTER: /* the enclosing query's row: named through the statement's slot */
        if (x->nslots && e->idx < x->slotwidth[0] && x->slotnames[0][e->idx])
            puts_(x, x->slotnames[0][e->idx]);
        else
            putf(x, "$outer%d", e->idx + 1);
        return;
    case EX_PARAM:
        putf(x, "$%d", e->idx + 1);
        return;
    case EX_AGG:
        column(x, e->idx, rc);
        return;
    case EX_CAST:
    case EX_COERCE:
        puts_(x, "(");
        expr(x, e->args[0], rc);
        putf(x, ")::%s", tw_type_name(e->type, tn, sizeof tn));
        return;
    case EX_NEG:
        puts_(x, "(- ");
        expr(x, e->args[0], rc);
        puts_(x, ")");
        return;
    case EX_NOT:
        puts_(x, "(NOT ");
        expr(x, e->args[0], rc);
        puts_(x, ")");
        return;
    case EX_DISTINCT:
        puts_(x, "(");
        expr(x, e->args[0], rc);
        puts_(x, e->aux ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
        expr(x, e->args[1], rc);
        puts_(x, ")");
        return;
    case EX_ISNULL:
        puts_(x, "(");
        expr(x, e->args[0], rc);
        puts_(x, e->aux ? " IS NOT NULL)" : " IS NULL)");
        return;
    case EX_BOOLTEST: {
        static const char *const t[] = {" IS TRUE)", " IS NOT TRUE)", " IS FALSE)",
                                        " IS NOT FALSE)"};
        puts_(x, "(");
        expr(x, e->args[0], rc);
        puts_(x, t[e->aux & 3]);
        return;
    }
    case EX_IN:
        puts_(x, "(");
        expr(x, e->args[0], rc);
        puts_(x, e->aux ? " NOT IN (" : " IN (");
        args(x, e, 1, rc);
        puts_(x, "))");
        return;
    case EX_LIKE:
        puts_(x, "(");
        expr(x, e->args[0], rc);
        putf(x, " %s%s ", e->aux & 1 ? "NOT " : "", e->aux & 2 ? "ILIKE" : "LIKE");
        expr(x, e->args[1], rc);
        puts_(x, ")");
        return;
    case EX_CASE: {
        puts_(x, "CASE");
        int pairs = (e->nargs - (e->aux ? 1 : 0)) / 2;
        for (int i = 0; i < pairs; i++) {
            puts_(x, " WHEN ");
            expr(x, e->args[2 * i], rc);
            puts_(x, " THEN ");
            expr(x, e->args[2 * i + 1], rc);
        }
        if (e->aux) {
            puts_(x, " ELSE ");
            expr(x, e->args[e->nargs - 1], rc);
        }
        puts_(x, " END");
        return;
    }
    case EX_COALESCE:
        puts_(x, "COALESCE(");
        args(x, e, 0, rc);
        puts_(x, ")");
        return;
    case EX_NULLIF:
        puts_(x, "NULLIF(");
        args(x, e, 0, rc);
        puts_(x, ")");
        return;
    case EX_FUNC:
        putf(x, "%s(", fn_name(e->aux));
        args(x, e, 0, rc);
        puts_(x, ")");
        return;
    case EX_CALL:
        putf(x, "%s(", e->fn->name);
        args(x, e, 0, rc);
        puts_(x, ")");
        return;
    case EX_SUBQ:
        if (e->aux == TW_SQ_SEQ) {
            puts_(x, "(sequence or time function)");
            return;
        }
        if (e->aux == TW_SQ_IN) {
            puts_(x, "(");
            expr(x, e->args[0], rc);
            putf(x, " = ANY (SubPlan %d))", e->idx + 1);
            return;
        }
        putf(x, "%s(SubPlan %d)", e->aux == TW_SQ_EXISTS ? "EXISTS " : "", e->idx + 1);
        return;
    }
    putf(x, "?%d", e->op);
}

/* "  ->  " before a child node's title, as PostgreSQL draws the tree. */
static int title(xout *x, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int title(xout *x, int level, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (level > 0) {
        for (int i = 0; i < level * 3 - 3; i++) puts_(x, "  ");
        puts_(x, "  ->  ");
    }
    puts_(x, tmp);
    return level * 6 + 2; /* where this node's detail lines start */
}

static void actual(xout *x, const tw_pnode *n) {
    const tw_node_stats *a = tw_run_node_stats(x->r, n->id);
    if (!a) {
        puts_(x, "\n");
        return;
    }
    if (!a->loops) {
        puts_(x, " (never executed)\n");
        return;
    }
    double loops = (double)a->loops;
    putf(x, " (actual time=%.3f..%.3f rows=%.0f loops=%llu)\n", (double)a->first_ns / 1e6 / loops,
         (double)a->total_ns / 1e6 / loops, (double)a->rows / loops, (unsigned long long)a->loops);
}

static void detail(xout *x, int col, const char *label, const tw_expr *e, const rctx *rc) {
    for (int i = 0; i < col; i++) put(x, " ", 1);
    putf(x, "%s: ", label);
    expr(x, e, rc);
    puts_(x, "\n");
}

static void node(xout *x, const tw_pnode *n, int level, const rctx *above);

static rctx row_ctx(xout *x, int slot) {
    rctx rc = {0};
    if (slot >= 0 && slot < x->nslots) {
        rc.names = x->slotnames[slot];
        rc.nnames = x->slotwidth[slot];
    }
    return rc;
}

static void subplan(xout *x, int idx, int level) {
    const tw_subq *q = &x->p->subs[idx];
    int col = level * 6 + 2;
    for (int i = 0; i < col; i++) put(x, " ", 1);
    putf(x, "SubPlan %d%s\n", idx + 1, q->correlated ? "" : " (runs once)");
    node(x, q->root, level + 1, NULL);
}

/* The subqueries (not FROM items) an expression runs, listed under its node. */
static void subplans_of(xout *x, const tw_expr *e, int level) {
    if (!e) return;
    if (e->op == EX_SUBQ && e->aux != TW_SQ_SEQ && e->aux != TW_SQ_FROM && e->idx >= 0 &&
        e->idx < x->p->nsubs)
        subplan(x, e->idx, level);
    for (int i = 0; i < e->nargs; i++) subplans_of(x, e->args[i], level);
}

static void scan_title(xout *x, const tw_pnode *n, int level, int *col) {
    const tw_table *t = n->table;
    const tw_access *a = &n->acc;
    char as[200] = "";
    if (n->alias && strcmp(n->alias, t->name)) snprintf(as, sizeof as, " %s", n->alias);
    if (n->wt) {
        *col = title(x, level, "WorkTable Scan on %s%s", t->name, as);
    } else if (n->srf) { /* the alias, unless none was written (" select-list ...") */
        int named = strcmp(t->name, "generate_series") && t->name[0] != ' ';
        *col = title(x, level, "Function Scan on generate_series%s%s", named ? " " : "",
                     named ? t->name : "");
    } else if (n->from_sub) {
        *col = title(x, level, "Subquery Scan on %s", t->name);
    } else if (a->kind == ACC_FULL) {
        *col = title(x, level, "Seq Scan on %s%s", t->name, as);
    } else if (a->kind == ACC_INDEX) {
        *col = title(x, level, "Index Scan using %s on %s%s", a->idx->name, t->name, as);
    } else {
        *col = title(x, level, "Index Scan using %s_pkey on %s%s", t->name, t->name, as);
    }
    actual(x, n);
}

/* The key condition an access path narrows the scan with: key = value, ..., range. */
static void index_cond(xout *x, const tw_pnode *n, int col, const rctx *rc) {
    const tw_access *a = &n->acc;
    if (a->kind == ACC_FULL || n->from_sub || (!a->neq && !a->lo && !a->hi)) return;
    for (int i = 0; i < col; i++) put(x, " ", 1);
    puts_(x, "Index Cond: (");
    for (int i = 0; i < a->neq + (a->lo != NULL) + (a->hi != NULL); i++) {
        int k = i < a->neq ? i : a->neq;
        const char *cname = n->table->cols[a->cols[k]].name;
        const char *rel = i < a->neq ? "=" : (i == a->neq && a->lo) ? ">=" : "<=";
        const tw_expr *v = i < a->neq ? a->eq[i] : (i == a->neq && a->lo) ? a->lo : a->hi;
        if (i) puts_(x, " AND ");
        putf(x, "%s %s ", cname, rel);
        expr(x, v, rc);
    }
    puts_(x, ")\n");
}

/* A node shown by its name only, then its child (and inner side, if any). */
static void pass_through(xout *x, const tw_pnode *n, int level, const char *name) {
    title(x, level, "%s", name);
    actual(x, n);
    node(x, n->child, level + 1, NULL);
    if (n->inner) node(x, n->inner, level + 1, NULL);
}

static void node(xout *x, const tw_pnode *n, int level, const rctx *above) {
    (void)above;
    if (!n || x->oom) return;
    rctx rc = row_ctx(x, n->slot);
    int col = 2;
    switch (n->kind) {
    case PN_SCAN:
        scan_title(x, n, level, &col);
        index_cond(x, n, col, &rc);
        if (n->filter) {
            detail(x, col, "Filter", n->filter, &rc);
            subplans_of(x, n->filter, level);
        }
        if (n->from_sub) node(x, x->p->subs[n->from_sub - 1].root, level + 1, NULL);
        return;
    case PN_ONEROW:
        col = title(x, level, "Result");
        actual(x, n);
        if (n->filter) {
            detail(x, col, "One-Time Filter", n->filter, &rc);
            subplans_of(x, n->filter, level);
        }
        return;
    case PN_JOIN:
        col = title(x, level, "%s%s", n->nhkeys ? "Hash Join" : "Nested Loop",
                    n->full   ? " (Full)"
                    : n->left ? n->nhkeys ? " (Left)" : " Left Join"
                              : "");
        actual(x, n);
        if (n->nhkeys) {
            for (int i = 0; i < col; i++) put(x, " ", 1);
            puts_(x, "Hash Cond: (");
            for (int i = 0; i < n->nhkeys; i++) {
                if (i) puts_(x, " AND ");
                expr(x, n->hkout[i], &rc);
                puts_(x, " = ");
                expr(x, n->hkin[i], &rc);
            }
            puts_(x, ")\n");
        }
        if (n->jfilter) detail(x, col, "Join Filter", n->jfilter, &rc);
        if (n->post) {
            detail(x, col, "Join Filter", n->post, &rc);
            subplans_of(x, n->post, level);
        }
        node(x, n->child, level + 1, NULL);
        node(x, n->inner, level + 1, NULL);
        return;
    case PN_AGG: {
        const tw_pnode *in = n->child;
        rctx below = rc;
        if (in && in->kind == PN_PROJECT) { /* DISTINCT: groups of the projected row */
            below.exprs = in->exprs;
            below.nexprs = in->ncols;
            below.below = &rc;
        }
        col = title(x, level, n->ngroup ? "HashAggregate" : "Aggregate");
        actual(x, n);
        if (n->ngroup) {
            for (int i = 0; i < col; i++) put(x, " ", 1);
            puts_(x, "Group Key: ");
            for (int i = 0; i < n->ngroup; i++) {
                if (i) puts_(x, ", ");
                expr(x, n->group[i], &below);
            }
            puts_(x, "\n");
        }
        if (n->having) {
            rctx hv = {.agg = n, .below = &below};
            detail(x, col, "Filter", n->having, &hv);
        }
        if (in && in->kind == PN_PROJECT) in = in->child;
        node(x, in, level + 1, NULL);
        return;
    }
    case PN_PROJECT: /* not a node of its own in PostgreSQL's output */
        node(x, n->child, level, NULL);
        for (int i = 0; i < n->ncols; i++) subplans_of(x, n->exprs[i], level);
        return;
    case PN_SORT: {
        const tw_pnode *pj = n->child;
        while (pj && pj->kind != PN_PROJECT && pj->kind != PN_SCAN) pj = pj->child;
        col = title(x, level, "Sort%s", n->limit ? " (top-N)" : "");
        actual(x, n);
        for (int i = 0; i < col; i++) put(x, " ", 1);
        puts_(x, "Sort Key: ");
        for (int i = 0; i < n->nkeys; i++) {
            const tw_sortkey *k = &n->keys[i];
            if (i) puts_(x, ", ");
            if (pj && pj->kind == PN_PROJECT && k->col < pj->ncols) {
                rctx in = row_ctx(x, pj->slot);
                if (pj->child && pj->child->kind == PN_AGG)
                    in = (rctx){.agg = pj->child, .below = &rc};
                expr(x, pj->exprs[k->col], &in);
            } else {
                putf(x, "%d", k->col + 1);
            }
            if (k->desc) puts_(x, " DESC");
            if (k->nulls_first != k->desc)
                puts_(x, k->nulls_first ? " NULLS FIRST" : " NULLS LAST");
        }
        puts_(x, "\n");
        node(x, n->child, level + 1, NULL);
        return;
    }
    case PN_LIMIT:
        pass_through(x, n, level, "Limit");
        return;
    case PN_UNIQUE:
        pass_through(x, n, level, "Unique");
        return;
    case PN_VALUES:
        title(x, level, "Values Scan (%d row%s)", n->nvrows, n->nvrows == 1 ? "" : "s");
        actual(x, n);
        return;
    case PN_WINDOW:
        pass_through(x, n, level, "WindowAgg");
        return;
    case PN_APPEND:
        pass_through(x, n, level, "Append");
        return;
    case PN_RECURSIVE:
        pass_through(x, n, level, n->setop & SETOP_ALL ? "Recursive Union All" : "Recursive Union");
        return;
    case PN_SETOP: {
        char what[64];
        snprintf(what, sizeof what, "HashSetOp %s%s",
                 n->setop & SETOP_EXCEPT ? "Except" : "Intersect",
                 n->setop & SETOP_ALL ? " All" : "");
        pass_through(x, n, level, what);
        return;
    }
    }
    title(x, level, "(node %d)", n->kind);
    actual(x, n);
}

/* Column names of each slot's combined row, from the scans that fill it. */
static void name_scans(xout *x, const tw_pnode *n) {
    for (; n && !x->oom; n = n->child) {
        if (n->kind == PN_SCAN && n->table && n->slot >= 0 && n->slot < x->nslots) {
            for (int i = 0; i < n->table->ncols; i++) {
                int idx = n->coloff + i;
                if (idx >= x->slotwidth[n->slot] || x->slotnames[n->slot][idx]) continue;
                const char *rel = n->alias ? n->alias : n->table->name;
                size_t len = strlen(rel) + strlen(n->table->cols[i].name) + 2;
                char *s = malloc(len);
                if (!s) {
                    x->oom = 1;
                    return;
                }
                snprintf(s, len, "%s.%s", rel, n->table->cols[i].name);
                x->slotnames[n->slot][idx] = s;
            }
        }
        if (n->inner) name_scans(x, n->inner);
    }
}

static void dml(xout *x, const char *what, const tw_pnode *scan) {
    const tw_plan *p = x->p;
    title(x, 0, "%s on %s", what, p->table->name);
    puts_(x, "\n");
    if (scan) node(x, scan, 1, NULL);
}

int tw_explain_render(const tw_plan *p, const tw_run *r, tw_buf *out) {
    xout x = {.b = out, .p = p, .r = r, .nslots = p->nsubs + 1};
    x.slotnames = calloc((size_t)x.nslots, sizeof *x.slotnames);
    x.slotwidth = calloc((size_t)x.nslots, sizeof *x.slotwidth);
    if (!x.slotnames || !x.slotwidth) x.oom = 1;
    for (int s = 0; !x.oom && s < x.nslots; s++) {
        int w = s ? p->subs[s - 1].width : p->width;
        if (s == 0 && p->table && p->table->ncols > w) w = p->table->ncols;
        x.slotwidth[s] = w;
        if (!(x.slotnames[s] = calloc((size_t)(w ? w : 1), sizeof(char *)))) x.oom = 1;
    }
    if (!x.oom) {
        name_scans(&x, p->root);
        name_scans(&x, p->scan);
        name_scans(&x, p->src);
        for (int i = 0; i < p->nsubs; i++) name_scans(&x, p->subs[i].root);
    }
    switch (p->kind) {
    case PL_SELECT:
        node(&x, p->root, 0, NULL);
        break;
    case PL_INSERT:
        dml(&x, "Insert", p->src);
        if (!p->src) {
            title(&x, 1, "Values Scan (%d row%s)", p->nrows, p->nrows == 1 ? "" : "s");
            puts_(&x, "\n");
        }
        break;
    case PL_UPDATE:
        dml(&x, "Update", p->scan);
        break;
    case PL_DELETE:
        dml(&x, "Delete", p->scan);
        break;
    }
    for (int s = 0; x.slotnames && s < x.nslots; s++) {
        for (int i = 0; x.slotnames[s] && i < x.slotwidth[s]; i++) free(x.slotnames[s][i]);
        free(x.slotnames[s]);
    }
    free(x.slotnames);
    free(x.slotwidth);
    return x.oom ? TWILL_NOMEM : TWILL_OK;
}
