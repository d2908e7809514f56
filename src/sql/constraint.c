#include "sql/constraint.h"

#include "sql/codec.h"
#include "sql/exec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

/* ---- CHECK ---- */

int tw_cons_check_row(const tw_table *t, int n, tw_expr *const *checks, const char *const *names,
                      tw_evalctx *ctx, tw_err *err) {
    for (int i = 0; i < n; i++) {
        tw_val v;
        int rc = tw_eval(checks[i], ctx, &v, err);
        if (rc) return rc;
        if (v.k == VK_BOOL && !v.i)
            return tw_err_set(err, TWILL_ERROR, "23514",
                              "new row for relation \"%s\" violates check constraint \"%s\"",
                              t->name, names[i]);
    }
    return TWILL_OK;
}

/* Skips a quoted token starting at s[i] (quote char q, doubled to escape; backslash
 * escapes too when bs). Returns the index after it. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, int bs) {
    for (i++; i < len; i++) {
        if (bs && s[i] == '\\') {
            i++;
            continue;
        }
        if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return len;
}

int tw_cons_check_text(const char *s, size_t len, size_t i, size_t *start, size_t *end) {
    int depth = 0, seen_check = 0;
    while (i < len) {
        char ch = s[i];
        if (ch == '\'') {
            int bs = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');
            i = skip_quoted(s, len, i, '\'', bs);
        } else if (ch == '"') {
            i = skip_quoted(s, len, i, '"', 0);
        } else if (ch == '-' && i + 1 < len && s[i + 1] == '-') {
            while (i < len && s[i] != '\n') i++;
        } else if (ch == '/' && i + 1 < len && s[i + 1] == '*') {
            int nest = 0;
            while (i < len) {
                if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
                    nest++;
                    i += 2;
                } else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
                    i += 2;
                    if (--nest == 0) break;
                } else {
                    i++;
                }
            }
        } else if (ch == '$' &&
                   (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))) {
            size_t k = i + 1;
            while (k < len && (isalpha((unsigned char)s[k]) || s[k] == '_' ||
                               (k > i + 1 && isdigit((unsigned char)s[k]))))
                k++;
            if (k < len && s[k] == '$') { /* $tag$ ... $tag$ */
                size_t tl = k + 1 - i;
                size_t j = k + 1;
                while (j + tl <= len && memcmp(s + j, s + i, tl)) j++;
                i = j + tl <= len ? j + tl : len;
            } else {
                i = k;
            }
        } else if (isalpha((unsigned char)ch) || ch == '_') {
            size_t k = i;
            while (k < len && (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '$')) k++;
            if (!depth && k - i == 5 && !strncasecmp(s + i, "check", 5)) seen_check = 1;
            i = k;
        } else if (ch == '(') {
            if (seen_check) {
                if (!depth) *start = i + 1;
                depth++;
            }
            i++;
        } else if (ch == ')') {
            if (seen_check && depth && --depth == 0) {
                *end = i;
                return 0;
            }
            i++;
        } else {
            i++;
        }
    }
    return -1;
}

/* ---- scanning helpers ---- */

typedef int (*row_fn)(void *ud, const uint8_t *pk, size_t pklen, tw_val *row, tw_err *err);

/* Calls fn for every row of t as txn sees it. */
static int scan_rows(tw_txn *txn, const tw_table *t, row_fn fn, void *ud, tw_err *err) {
    tw_cursor *cur = NULL;
    tw_val *row = calloc((size_t)t->ncols + 1, sizeof *row);
    tw_buf key = {0}, val = {0};
    int rc = row ? TWILL_OK : nomem(err);
    if (!rc) rc = tw_cursor_open(txn, t->id, &cur, err);
    if (!rc) rc = tw_cursor_seek(cur, "", 0, err);
    while (!rc && tw_cursor_valid(cur)) {
        size_t kl, vl;
        const void *k = tw_cursor_key(cur, &kl);
        const void *v = tw_cursor_value(cur, &vl);
        if (tw_buf_set(&key, k, kl) || tw_buf_set(&val, v, vl)) {
            rc = nomem(err);
            break;
        }
        if ((rc = tw_row_decode(val.p, val.len, row, t->kinds, t->ncols, err)) ||
            (rc = fn(ud, key.p, key.len, row, err)))
            break;
        rc = tw_cursor_next(cur, err);
    }
    if (cur) tw_cursor_close(cur);
    free(row);
    tw_buf_free(&key);
    tw_buf_free(&val);
    return rc;
}

/* "Key (a, b)=(1, x)" for columns cols[0..n) of t holding vals[0..n). */
static void describe(const tw_table *t, const int *cols, int n, const tw_val *vals, char *buf,
                     size_t cap) {
    tw_buf vb = {0};
    size_t o = (size_t)snprintf(buf, cap, "Key (");
    for (int i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", t->cols[cols[i]].name);
    if (o < cap) o += (size_t)snprintf(buf + o, cap - o, ")=(");
    for (int i = 0; i < n && o < cap; i++) {
        tw_buf_reset(&vb);
        if (vals[i].k == VK_NULL)
            tw_buf_append(&vb, "null", 4);
        else
            tw_val_out(&vals[i], t->cols[cols[i]].type.ty == TY_FLOAT4, &vb);
        o += (size_t)snprintf(buf + o, cap - o, "%s%.*s", i ? ", " : "",
                              (int)(vb.len > 100 ? 100 : vb.len), vb.p ? (const char *)vb.p : "");
    }
    if (o < cap) snprintf(buf + o, cap - o, ")");
    tw_buf_free(&vb);
}

static int fk_missing(const tw_fkey *f, const tw_val *vals, tw_err *err) {
    char key[400];
    describe(f->table, f->cols, f->ncols, vals, key, sizeof key);
    return tw_err_set(err, TWILL_ERROR, "23503",
                      "insert or update on table \"%s\" violates foreign key constraint \"%s\" "
                      "(%s is not present in table \"%s\".)",
                      f->table->name, f->name, key, f->ref->name);
}

static int fk_referenced(const tw_fkey *f, const tw_val *vals, tw_err *err) {
    char key[400];
    describe(f->ref, f->refcols, f->ncols, vals, key, sizeof key);
    return tw_err_set(err, TWILL_ERROR, "23503",
                      "update or delete on table \"%s\" violates foreign key constraint \"%s\" on "
                      "table \"%s\" (%s is still referenced from table \"%s\".)",
                      f->ref->name, f->name, f->table->name, key, f->table->name);
}

/* ---- the queue ---- */

typedef struct fkitem {
    const tw_fkey *f;
    uint8_t side; /* 'c': a referencing key must exist; 'p': a referenced key went away */
    uint8_t upd;  /* 'p' by an UPDATE: the new key follows the old one */
    size_t off, len, off2, len2;
} fkitem;

typedef struct reput {
    uint8_t *p; /* table id (8 bytes) + key; NULL: empty slot */
    size_t n;
} reput;

struct tw_fkq {
    fkitem *items;
    size_t n, cap, pos;
    tw_buf data;
    tw_buf key, val, k1, k2, pks, pk2, rec;
    reput *set; /* referenced rows already written back by this statement */
    size_t nset, capset;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static reput *set_slot(reput *set, size_t cap, const uint8_t *p, size_t n) {
    size_t i = (size_t)hash_bytes(p, n) & (cap - 1);
    while (set[i].p && !(set[i].n == n && !memcmp(set[i].p, p, n))) i = (i + 1) & (cap - 1);
    return &set[i];
}

/* Adds (table, key) to the written-back set; *seen when it was there already. */
static int set_add(tw_fkq *q, uint64_t table, const tw_buf *key, int *seen, tw_err *err) {
    uint8_t stackbuf[256];
    size_t n = 8 + key->len;
    uint8_t *k = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!k) return nomem(err);
    memcpy(k, &table, 8);
    memcpy(k + 8, key->p, key->len);
    *seen = 0;
    int rc = TWILL_OK;
    if ((q->nset + 1) * 2 > q->capset) {
        size_t cap = q->capset ? q->capset * 2 : 64;
        reput *ns = calloc(cap, sizeof *ns);
        if (!ns) {
            rc = nomem(err);
            goto out;
        }
        for (size_t i = 0; i < q->capset; i++)
            if (q->set[i].p) *set_slot(ns, cap, q->set[i].p, q->set[i].n) = q->set[i];
        free(q->set);
        q->set = ns;
        q->capset = cap;
    }
    reput *s = set_slot(q->set, q->capset, k, n);
    if (s->p) {
        *seen = 1;
        goto out;
    }
    if (!(s->p = malloc(n))) {
        rc = nomem(err);
        goto out;
    }
    memcpy(s->p, k, n);
    s->n = n;
    q->nset++;
out:
    if (k != stackbuf) free(k);
    return rc;
}

static int q_get(tw_fkq **qp, tw_err *err) {
    if (!*qp && !(*qp = calloc(1, sizeof **qp))) return nomem(err);
    return TWILL_OK;
}

/* Copies row[cols[i]] into out[i] (kinds too); *has_null if any is NULL. */
static void gather(const tw_table *t, const int *cols, int n, const tw_val *row, tw_val *out,
                   uint8_t *kinds, int *has_null) {
    *has_null = 0;
    for (int i = 0; i < n; i++) {
        out[i] = row[cols[i]];
        kinds[i] = t->kinds[cols[i]];
        if (out[i].k == VK_NULL) *has_null = 1;
    }
}

static int same_key(tw_fkq *q, const tw_val *a, const tw_val *b, const uint8_t *kinds, int n,
                    int *same, tw_err *err) {
    tw_buf_reset(&q->k1);
    tw_buf_reset(&q->k2);
    for (int i = 0; i < n; i++)
        if (tw_key_put(&q->k1, &a[i], kinds[i]) || tw_key_put(&q->k2, &b[i], kinds[i]))
            return nomem(err);
    *same = q->k1.len == q->k2.len && !memcmp(q->k1.p, q->k2.p, q->k1.len);
    return TWILL_OK;
}

static int push(tw_fkq *q, const tw_fkey *f, int side, int upd, const tw_val *v, const tw_val *v2,
                const uint8_t *kinds, tw_err *err) {
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 32;
        fkitem *ni = realloc(q->items, nc * sizeof *ni);
        if (!ni) return nomem(err);
        q->items = ni;
        q->cap = nc;
    }
    fkitem *it = &q->items[q->n];
    it->f = f;
    it->side = (uint8_t)side;
    it->upd = (uint8_t)upd;
    it->off = q->data.len;
    if (tw_row_encode(&q->data, v, kinds, f->ncols)) return nomem(err);
    it->len = q->data.len - it->off;
    it->off2 = q->data.len;
    if (v2 && tw_row_encode(&q->data, v2, kinds, f->ncols)) return nomem(err);
    it->len2 = q->data.len - it->off2;
    q->n++;
    return TWILL_OK;
}

int tw_fkq_insert(tw_fkq **qp, const tw_table *t, const tw_val *row, tw_err *err) {
    tw_val v[TW_FK_MAX_COLS];
    uint8_t kinds[TW_FK_MAX_COLS];
    int rc;
    for (int i = 0; i < t->nfks; i++) {
        const tw_fkey *f = &t->fks[i];
        int has_null;
        if (!f->ref) continue;
        gather(t, f->cols, f->ncols, row, v, kinds, &has_null);
        if (has_null) continue; /* MATCH SIMPLE */
        if ((rc = q_get(qp, err)) || (rc = push(*qp, f, 'c', 0, v, NULL, kinds, err))) return rc;
    }
    return TWILL_OK;
}

int tw_fkq_update(tw_fkq **qp, const tw_table *t, const tw_val *oldrow, const tw_val *newrow,
                  tw_err *err) {
    tw_val a[TW_FK_MAX_COLS], b[TW_FK_MAX_COLS];
    uint8_t kinds[TW_FK_MAX_COLS];
    int rc, has_null, same;
    if (!t->nfks && !t->nrefby) return TWILL_OK;
    if ((rc = q_get(qp, err))) return rc;
    tw_fkq *q = *qp;
    for (int i = 0; i < t->nfks; i++) {
        const tw_fkey *f = &t->fks[i];
        if (!f->ref) continue;
        gather(t, f->cols, f->ncols, newrow, b, kinds, &has_null);
        if (has_null) continue;
        gather(t, f->cols, f->ncols, oldrow, a, kinds, &has_null);
        if ((rc = same_key(q, a, b, kinds, f->ncols, &same, err))) return rc;
        if (same) continue;
        if ((rc = push(q, f, 'c', 0, b, NULL, kinds, err))) return rc;
    }
    for (int i = 0; i < t->nrefby; i++) {
        const tw_fkey *f = t->refby[i];
        gather(t, f->refcols, f->ncols, oldrow, a, kinds, &has_null);
        if (has_null) continue;
        gather(t, f->refcols, f->ncols, newrow, b, kinds, &has_null);
        if ((rc = same_key(q, a, b, kinds, f->ncols, &same, err))) return rc;
        if (same) continue;
        if ((rc = push(q, f, 'p', 1, a, b, kinds, err))) return rc;
    }
    return TWILL_OK;
}

int tw_fkq_delete(tw_fkq **qp, const tw_table *t, const tw_val *oldrow, tw_err *err) {
    tw_val a[TW_FK_MAX_COLS];
    uint8_t kinds[TW_FK_MAX_COLS];
    int rc, has_null;
    for (int i = 0; i < t->nrefby; i++) {
        const tw_fkey *f = t->refby[i];
        gather(t, f->refcols, f->ncols, oldrow, a, kinds, &has_null);
        if (has_null) continue;
        if ((rc = q_get(qp, err)) || (rc = push(*qp, f, 'p', 0, a, NULL, kinds, err))) return rc;
    }
    return TWILL_OK;
}

void tw_fkq_reset(tw_fkq *q) {
    if (!q) return;
    q->n = q->pos = 0;
    tw_buf_reset(&q->data);
    for (size_t i = 0; i < q->capset; i++) {
        free(q->set[i].p);
        q->set[i].p = NULL;
    }
    q->nset = 0;
}

void tw_fkq_free(tw_fkq *q) {
    if (!q) return;
    tw_fkq_reset(q);
    free(q->set);
    free(q->items);
    tw_buf_free(&q->data);
    tw_buf_free(&q->key);
    tw_buf_free(&q->val);
    tw_buf_free(&q->k1);
    tw_buf_free(&q->k2);
    tw_buf_free(&q->pks);
    tw_buf_free(&q->pk2);
    tw_buf_free(&q->rec);
    free(q);
}

/* Looks the referenced key vals (in FK column order) up in f->ref; when found and
 * reput, writes the entry back unchanged (the conflict that makes a concurrent delete
 * of it lose, see the header). */
static int parent_probe(tw_fkq *q, tw_txn *txn, const tw_fkey *f, const tw_val *vals, int reput,
                        int *found, tw_err *err) {
    const tw_table *p = f->ref;
    const int *kc = f->refidx ? f->refidx->cols : p->pk;
    int nk = f->refidx ? f->refidx->ncols : p->npk;
    uint64_t id = f->refidx ? f->refidx->id : p->id;
    int rc;
    tw_buf_reset(&q->key);
    for (int k = 0; k < nk; k++)
        if (tw_key_put(&q->key, &vals[f->perm[k]], p->kinds[kc[k]])) return nomem(err);
    if (q->key.len > TW_TXN_MAX_KEY) {
        *found = 0;
        return TWILL_OK;
    }
    if ((rc = tw_txn_get(txn, id, q->key.p, q->key.len, TW_READ_SNAPSHOT, &q->val, found, err)))
        return rc;
    if (!*found || !reput) return TWILL_OK;
    int seen;
    if ((rc = set_add(q, id, &q->key, &seen, err)) || seen) return rc;
    return tw_txn_put(txn, id, q->key.p, q->key.len, q->val.p, q->val.len, err);
}

/* Appends the primary keys of f->table's rows whose FK columns equal vals to q->pks
 * (varint length + bytes each); stops after the first when first_only. */
typedef struct findctx {
    tw_fkq *q;
    const tw_fkey *f;
    int first_only, count;
} findctx;

static int find_fn(void *ud, const uint8_t *pk, size_t pklen, tw_val *row, tw_err *err) {
    findctx *fc = ud;
    const tw_fkey *f = fc->f;
    tw_fkq *q = fc->q;
    if (fc->first_only && fc->count) return TWILL_OK;
    tw_buf_reset(&q->k2);
    for (int i = 0; i < f->ncols; i++)
        if (tw_key_put(&q->k2, &row[f->cols[i]], f->table->kinds[f->cols[i]])) return nomem(err);
    if (q->k2.len != q->k1.len || memcmp(q->k2.p, q->k1.p, q->k1.len)) return TWILL_OK;
    if (tw_buf_put_varint(&q->pks, pklen) || tw_buf_append(&q->pks, pk, pklen)) return nomem(err);
    fc->count++;
    return TWILL_OK;
}

/* Position of column col in the FK's columns, -1 if absent. */
static int fk_pos(const tw_fkey *f, int col) {
    for (int i = 0; i < f->ncols; i++)
        if (f->cols[i] == col) return i;
    return -1;
}

/* Whether the first f->ncols of kc[0..nk) are the FK's columns (in any order). */
static int leads_with(const tw_fkey *f, const int *kc, int nk) {
    if (nk < f->ncols) return 0;
    for (int i = 0; i < f->ncols; i++)
        if (fk_pos(f, kc[i]) < 0) return 0;
    return 1;
}

static int find_children(tw_fkq *q, tw_txn *txn, const tw_fkey *f, const tw_val *vals,
                         int first_only, int *count, tw_err *err) {
    const tw_table *c = f->table;
    int rc;
    tw_buf_reset(&q->pks);
    *count = 0;
    /* an index or the primary key that starts with the FK's columns: a prefix scan */
    const int *kc = NULL;
    uint64_t id = 0;
    int via_index = 0;
    for (int i = 0; i < c->nidx && !kc; i++)
        if (leads_with(f, c->idx[i]->cols, c->idx[i]->ncols)) {
            kc = c->idx[i]->cols;
            id = c->idx[i]->id;
            via_index = 1;
        }
    if (!kc && c->npk && leads_with(f, c->pk, c->npk)) {
        kc = c->pk;
        id = c->id;
    }
    if (!kc) {
        tw_buf_reset(&q->k1);
        for (int i = 0; i < f->ncols; i++)
            if (tw_key_put(&q->k1, &vals[i], c->kinds[f->cols[i]])) return nomem(err);
        findctx fc = {q, f, first_only, 0};
        rc = scan_rows(txn, c, find_fn, &fc, err);
        *count = fc.count;
        return rc;
    }
    tw_buf_reset(&q->k1);
    for (int i = 0; i < f->ncols; i++)
        if (tw_key_put(&q->k1, &vals[fk_pos(f, kc[i])], c->kinds[kc[i]])) return nomem(err);
    tw_cursor *cur;
    if ((rc = tw_cursor_open(txn, id, &cur, err))) return rc;
    rc = tw_cursor_seek(cur, q->k1.p, q->k1.len, err);
    while (!rc && tw_cursor_valid(cur)) {
        size_t kl, vl;
        const uint8_t *k = tw_cursor_key(cur, &kl);
        if (kl < q->k1.len || memcmp(k, q->k1.p, q->k1.len)) break;
        const void *pk = via_index ? tw_cursor_value(cur, &vl) : (const void *)k;
        if (!via_index) vl = kl;
        if (tw_buf_put_varint(&q->pks, vl) || tw_buf_append(&q->pks, pk, vl)) {
            rc = nomem(err);
            break;
        }
        if (++*count && first_only) break;
        rc = tw_cursor_next(cur, err);
    }
    tw_cursor_close(cur);
    return rc;
}

static int pk_of(const tw_table *t, const tw_val *row, tw_buf *out, tw_err *err) {
    tw_buf_reset(out);
    for (int i = 0; i < t->npk; i++)
        if (tw_key_put(out, &row[t->pk[i]], t->kinds[t->pk[i]])) return nomem(err);
    if (out->len > TW_TXN_MAX_KEY)
        return tw_err_set(err, TWILL_ERROR, "54000", "index row size %zu exceeds maximum %d",
                          out->len, TW_TXN_MAX_KEY);
    return TWILL_OK;
}

static int dup_key(const char *name, tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "23505",
                      "duplicate key value violates unique constraint \"%s\"", name);
}

/* ON DELETE CASCADE: one referencing row goes, with its index entries. */
static int cascade_delete(tw_fkq *q, tw_txn *txn, const tw_table *t, const uint8_t *pk,
                          size_t pklen, const tw_val *row, tw_err *err) {
    int rc, has_null;
    tw_buf pkb = {(uint8_t *)pk, pklen, pklen};
    if ((rc = tw_txn_delete(txn, t->id, pk, pklen, err))) return rc;
    for (int i = 0; i < t->nidx; i++)
        if ((rc = tw_exec_index_key(t, t->idx[i], row, &pkb, &q->k1, &has_null, err)) ||
            (rc = tw_txn_delete(txn, t->idx[i]->id, q->k1.p, q->k1.len, err)))
            return rc;
    return tw_fkq_delete(&q, t, row, err);
}

/* ON DELETE / UPDATE SET NULL / SET DEFAULT / ON UPDATE CASCADE: one referencing row
 * gets new FK column values (nrow), with NOT NULL, key and index maintenance. */
static int cascade_update(tw_fkq *q, tw_txn *txn, const tw_table *t, const uint8_t *pk,
                          size_t pklen, const tw_val *row, tw_val *nrow, tw_err *err) {
    int rc, hn1, hn2, found;
    for (int i = 0; i < t->ncols; i++)
        if (nrow[i].k == VK_NULL && t->cols[i].notnull)
            return tw_err_set(
                err, TWILL_ERROR, "23502",
                "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                t->cols[i].name, t->name);
    if (t->nchecks)
        return tw_err_set(err, TWILL_NOTSUP, "0A000",
                          "a referential action that updates table \"%s\", which has CHECK "
                          "constraints, is not supported",
                          t->name);
    tw_buf oldpk = {(uint8_t *)pk, pklen, pklen};
    tw_buf *newpk = &q->pk2;
    if (t->npk) {
        if ((rc = pk_of(t, nrow, newpk, err))) return rc;
    } else if (tw_buf_set(newpk, pk, pklen)) {
        return nomem(err);
    }
    int moved = newpk->len != pklen || memcmp(newpk->p, pk, pklen);
    if (moved) {
        if ((rc = tw_txn_get(txn, t->id, newpk->p, newpk->len, TW_READ_OWN_CURRENT, &q->val, &found,
                             err)))
            return rc;
        if (found) {
            char nm[300];
            snprintf(nm, sizeof nm, "%s_pkey", t->name);
            return dup_key(nm, err);
        }
        if ((rc = tw_txn_delete(txn, t->id, pk, pklen, err))) return rc;
    }
    for (int i = 0; i < t->nidx; i++) {
        const tw_index *x = t->idx[i];
        if ((rc = tw_exec_index_key(t, x, row, &oldpk, &q->k1, &hn1, err)) ||
            (rc = tw_exec_index_key(t, x, nrow, newpk, &q->k2, &hn2, err)))
            return rc;
        int same = q->k1.len == q->k2.len && !memcmp(q->k1.p, q->k2.p, q->k1.len);
        if (same && !moved) continue;
        if ((rc = tw_txn_delete(txn, x->id, q->k1.p, q->k1.len, err))) return rc;
        if (!same && x->unique && !hn2) {
            if ((rc = tw_txn_get(txn, x->id, q->k2.p, q->k2.len, TW_READ_OWN_CURRENT, &q->val,
                                 &found, err)))
                return rc;
            if (found) return dup_key(x->name, err);
        }
        if ((rc = tw_txn_put(txn, x->id, q->k2.p, q->k2.len, newpk->p, newpk->len, err))) return rc;
    }
    tw_buf_reset(&q->rec);
    if (tw_row_encode(&q->rec, nrow, t->kinds, t->ncols)) return nomem(err);
    if ((rc = tw_txn_put(txn, t->id, newpk->p, newpk->len, q->rec.p, q->rec.len, err))) return rc;
    return tw_fkq_update(&q, t, row, nrow, err);
}

/* A referenced key went away (it.upd: changed to nvals): NO ACTION / RESTRICT fail if
 * rows still reference it; the other actions change those rows. */
static int run_parent(tw_fkq *q, tw_txn *txn, const fkitem *it, const tw_val *vals,
                      const tw_val *nvals, tw_err *err) {
    const tw_fkey *f = it->f;
    const tw_table *c = f->table;
    uint8_t act = it->upd ? f->on_update : f->on_delete;
    int rc, found, count;
    if (act == TW_FK_NOACTION) {
        /* NO ACTION: fine if the key is back (another row now has it) */
        if ((rc = parent_probe(q, txn, f, vals, 0, &found, err))) return rc;
        if (found) return TWILL_OK;
    }
    int check_only = act == TW_FK_NOACTION || act == TW_FK_RESTRICT;
    if ((rc = find_children(q, txn, f, vals, check_only, &count, err))) return rc;
    if (!count) return TWILL_OK;
    if (check_only) return fk_referenced(f, vals, err);
    /* the actions: copy the found keys, since the work below reuses the buffers */
    tw_buf pks = {0};
    tw_val *row = calloc((size_t)c->ncols * 2 + 2, sizeof *row);
    tw_buf rec = {0};
    if (!row || tw_buf_set(&pks, q->pks.p, q->pks.len)) {
        free(row);
        tw_buf_free(&pks);
        return nomem(err);
    }
    tw_val *nrow = row + c->ncols + 1;
    const uint8_t *p = pks.p, *end = pks.p + pks.len;
    while (!rc && p < end) {
        uint64_t n;
        if (tw_get_varint(&p, end, &n) || (uint64_t)(end - p) < n) {
            rc = tw_err_set(err, TWILL_CORRUPT, "XX001", "bad key list");
            break;
        }
        const uint8_t *pk = p;
        p += n;
        if ((rc = tw_txn_get(txn, c->id, pk, (size_t)n, TW_READ_SNAPSHOT, &rec, &found, err)))
            break;
        if (!found) continue;
        if ((rc = tw_row_decode(rec.p, rec.len, row, c->kinds, c->ncols, err))) break;
        if (act == TW_FK_CASCADE && !it->upd) {
            rc = cascade_delete(q, txn, c, pk, (size_t)n, row, err);
            continue;
        }
        memcpy(nrow, row, sizeof *row * (size_t)c->ncols);
        for (int i = 0; i < f->ncols && !rc; i++) {
            int col = f->cols[i];
            const tw_column *cd = &c->cols[col];
            if (act == TW_FK_CASCADE)
                nrow[col] = nvals[i];
            else if (act == TW_FK_SETNULL || cd->has_default == TW_DEF_NONE)
                nrow[col] = (tw_val){.k = VK_NULL};
            else if (cd->has_default == TW_DEF_CONST)
                nrow[col] = cd->defval;
            else
                rc = tw_err_set(err, TWILL_NOTSUP, "0A000",
                                "ON DELETE / ON UPDATE SET DEFAULT with a non-constant default "
                                "is not supported");
        }
        if (!rc) rc = cascade_update(q, txn, c, pk, (size_t)n, row, nrow, err);
    }
    free(row);
    tw_buf_free(&pks);
    tw_buf_free(&rec);
    /* later checks must see these changes */
    if (!rc) tw_txn_next_command(txn);
    /* SET DEFAULT may have written the very key that went away (the rows' new values
     * then look unchanged to their own check): look again, as PostgreSQL does */
    if (!rc && act == TW_FK_SETDEFAULT) {
        if ((rc = find_children(q, txn, f, vals, 1, &count, err))) return rc;
        if (count) rc = fk_referenced(f, vals, err);
    }
    return rc;
}

int tw_fkq_run(tw_fkq *q, tw_txn *txn, tw_err *err) {
    if (!q || q->pos >= q->n) return TWILL_OK;
    tw_txn_next_command(txn); /* everything this statement wrote is visible now */
    int rc = TWILL_OK;
    uint8_t *copy = NULL;
    size_t capcopy = 0;
    while (!rc && q->pos < q->n) {
        fkitem it = q->items[q->pos++];
        const tw_fkey *f = it.f;
        tw_val vals[TW_FK_MAX_COLS], nvals[TW_FK_MAX_COLS];
        uint8_t kinds[TW_FK_MAX_COLS];
        size_t need = it.len + it.len2;
        if (need > capcopy) {
            uint8_t *nc = realloc(copy, need);
            if (!nc) {
                rc = nomem(err);
                break;
            }
            copy = nc;
            capcopy = need;
        }
        /* a copy: running this item may queue more and move q->data */
        if (need) memcpy(copy, q->data.p + it.off, need);
        const tw_table *kt = it.side == 'c' ? f->table : f->ref;
        const int *kc = it.side == 'c' ? f->cols : f->refcols;
        for (int i = 0; i < f->ncols; i++) kinds[i] = kt->kinds[kc[i]];
        if ((rc = tw_row_decode(copy, it.len, vals, kinds, f->ncols, err))) break;
        if (it.len2 && (rc = tw_row_decode(copy + it.len, it.len2, nvals, kinds, f->ncols, err)))
            break;
        if (it.side == 'c') {
            int found;
            if ((rc = parent_probe(q, txn, f, vals, 1, &found, err))) break;
            if (!found) rc = fk_missing(f, vals, err);
        } else {
            rc = run_parent(q, txn, &it, vals, nvals, err);
        }
    }
    free(copy);
    tw_fkq_reset(q);
    return rc;
}

/* ---- validation of existing rows (ALTER TABLE ADD CONSTRAINT / SET NOT NULL) ---- */

typedef struct fkval {
    tw_fkq *q;
    tw_txn *txn;
    const tw_fkey *f;
} fkval;

static int fk_validate_fn(void *ud, const uint8_t *pk, size_t pklen, tw_val *row, tw_err *err) {
    (void)pk;
    (void)pklen;
    fkval *fv = ud;
    tw_val v[TW_FK_MAX_COLS];
    uint8_t kinds[TW_FK_MAX_COLS];
    int has_null, found, rc;
    gather(fv->f->table, fv->f->cols, fv->f->ncols, row, v, kinds, &has_null);
    if (has_null) return TWILL_OK;
    if ((rc = parent_probe(fv->q, fv->txn, fv->f, v, 1, &found, err))) return rc;
    return found ? TWILL_OK : fk_missing(fv->f, v, err);
}

int tw_fk_validate(tw_txn *txn, const tw_fkey *f, tw_err *err) {
    tw_fkq *q = NULL;
    int rc = q_get(&q, err);
    if (rc) return rc;
    fkval fv = {q, txn, f};
    rc = scan_rows(txn, f->table, fk_validate_fn, &fv, err);
    tw_fkq_free(q);
    return rc;
}

typedef struct chkval {
    const tw_table *t;
    const tw_expr *e;
    const char *name;
    int col;
    tw_arena mem;
} chkval;

static int check_validate_fn(void *ud, const uint8_t *pk, size_t pklen, tw_val *row, tw_err *err) {
    (void)pk;
    (void)pklen;
    chkval *cv = ud;
    tw_arena_reset(&cv->mem);
    tw_evalctx ec = {.row = row, .arena = &cv->mem};
    tw_val v;
    int rc = tw_eval(cv->e, &ec, &v, err);
    if (rc) return rc;
    if (v.k == VK_BOOL && !v.i)
        return tw_err_set(err, TWILL_ERROR, "23514",
                          "check constraint \"%s\" of relation \"%s\" is violated by some row",
                          cv->name, cv->t->name);
    return TWILL_OK;
}

int tw_check_validate(tw_txn *txn, const tw_table *t, const tw_expr *e, const char *name,
                      tw_err *err) {
    chkval cv = {t, e, name, -1, {0}};
    int rc = scan_rows(txn, t, check_validate_fn, &cv, err);
    tw_arena_free(&cv.mem);
    return rc;
}

static int notnull_fn(void *ud, const uint8_t *pk, size_t pklen, tw_val *row, tw_err *err) {
    (void)pk;
    (void)pklen;
    chkval *cv = ud;
    if (row[cv->col].k == VK_NULL)
        return tw_err_set(err, TWILL_ERROR, "23502",
                          "column \"%s\" of relation \"%s\" contains null values",
                          cv->t->cols[cv->col].name, cv->t->name);
    return TWILL_OK;
}

int tw_notnull_validate(tw_txn *txn, const tw_table *t, int col, tw_err *err) {
    chkval cv = {t, NULL, NULL, col, {0}};
    return scan_rows(txn, t, notnull_fn, &cv, err);
}

/* ---- DDL that other tables' foreign keys depend on ---- */

static int name_in(const char *name, char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return 1;
    return 0;
}

/* Writes table c again with its foreign keys that reference `ref` removed (drop) or
 * pointed at the name newname. */
static int rewrite_fks(tw_txn *txn, const tw_table *c, const char *ref, const char *newname,
                       tw_err *err) {
    tw_table def = *c;
    tw_fkey *fks = calloc((size_t)c->nfks + 1, sizeof *fks);
    if (!fks) return nomem(err);
    def.fks = fks;
    def.nfks = 0;
    for (int i = 0; i < c->nfks; i++) {
        tw_fkey f = c->fks[i];
        if (!strcmp(f.reftable, ref)) {
            if (!newname) continue;
            f.reftable = (char *)newname;
        }
        fks[def.nfks++] = f;
    }
    int rc = tw_catalog_put_table(txn, &def, err);
    free(fks);
    return rc;
}

int tw_cons_drop_table(tw_txn *txn, const tw_table *tb, char *const *dropping, int ndropping,
                       int cascade, tw_err *err) {
    for (int i = 0; i < tb->nrefby; i++) {
        const tw_fkey *f = tb->refby[i];
        const tw_table *c = f->table;
        if (c == tb || name_in(c->name, dropping, ndropping)) continue;
        if (!cascade)
            return tw_err_set(err, TWILL_ERROR, "2BP01",
                              "cannot drop table %s because other objects depend on it "
                              "(constraint %s on table %s depends on table %s)",
                              tb->name, f->name, c->name, tb->name);
        int rc = rewrite_fks(txn, c, tb->name, NULL, err);
        if (rc) return rc;
    }
    return TWILL_OK;
}

int tw_cons_rename_table(tw_txn *txn, const tw_table *tb, const tw_table *def, tw_err *err) {
    int self = 0, rc;
    for (int i = 0; i < tb->nrefby; i++) {
        const tw_table *c = tb->refby[i]->table;
        if (c == tb) {
            self = 1;
            continue;
        }
        int done = 0; /* one rewrite per referencing table */
        for (int k = 0; k < i; k++) done |= tb->refby[k]->table == c;
        if (!done && (rc = rewrite_fks(txn, c, tb->name, def->name, err))) return rc;
    }
    return self ? rewrite_fks(txn, def, tb->name, def->name, err) : TWILL_OK;
}

int tw_cons_truncate(const tw_table *tb, char *const *names, int n, tw_err *err) {
    for (int i = 0; i < tb->nrefby; i++) {
        const tw_table *c = tb->refby[i]->table;
        if (c == tb || name_in(c->name, names, n)) continue;
        return tw_err_set(err, TWILL_NOTSUP, "0A000",
                          "cannot truncate a table referenced in a foreign key constraint (Table "
                          "\"%s\" references \"%s\".)",
                          c->name, tb->name);
    }
    return TWILL_OK;
}
