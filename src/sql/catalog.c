#include "sql/catalog.h"

#include "sql/codec.h"

#include <stdlib.h>
#include <string.h>

void tw_catalog_ref(tw_catalog *c) {
    __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void tw_catalog_unref(tw_catalog *c) {
    if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    tw_arena_free(&c->mem);
    free(c->tables);
    free(c->indexes);
    free(c->views);
    free(c->seqs);
    free(c);
}

tw_table *tw_catalog_table(const tw_catalog *c, const char *name) {
    for (int i = 0; i < c->ntables; i++)
        if (!strcmp(c->tables[i]->name, name)) return c->tables[i];
    return NULL;
}

tw_index *tw_catalog_index(const tw_catalog *c, const char *name) {
    for (int i = 0; i < c->nindexes; i++)
        if (!strcmp(c->indexes[i]->name, name)) return c->indexes[i];
    return NULL;
}

tw_view *tw_catalog_view(const tw_catalog *c, const char *name) {
    for (int i = 0; i < c->nviews; i++)
        if (!strcmp(c->views[i]->name, name)) return c->views[i];
    return NULL;
}

tw_seq *tw_catalog_seq(const tw_catalog *c, const char *name) {
    for (int i = 0; i < c->nseqs; i++)
        if (!strcmp(c->seqs[i]->name, name)) return c->seqs[i];
    return NULL;
}

int tw_table_column(const tw_table *t, const char *name) {
    for (int i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i].name, name)) return i;
    return -1;
}

static int put_str(tw_buf *b, const char *s) {
    size_t n = strlen(s);
    return tw_buf_put_varint(b, n) || tw_buf_append(b, s, n);
}

/* Trailing sections of a table record: u8 tag, varint length, payload. Readers skip
 * tags they do not know. 'K': CHECK and FOREIGN KEY constraints. */
static int put_constraints(tw_buf *b, const tw_table *def) {
    tw_buf k = {0};
    int rc = tw_buf_put_varint(&k, (uint64_t)def->nchecks);
    for (int i = 0; !rc && i < def->nchecks; i++)
        rc = put_str(&k, def->checks[i].name) || put_str(&k, def->checks[i].expr);
    rc = rc || tw_buf_put_varint(&k, (uint64_t)def->nfks);
    for (int i = 0; !rc && i < def->nfks; i++) {
        const tw_fkey *f = &def->fks[i];
        rc = put_str(&k, f->name) || put_str(&k, f->reftable) ||
             tw_buf_put_varint(&k, (uint64_t)f->ncols);
        for (int j = 0; !rc && j < f->ncols; j++)
            rc = tw_buf_put_varint(&k, (uint64_t)f->cols[j]) || put_str(&k, f->refnames[j]);
        rc = rc || tw_buf_put_u8(&k, f->on_delete) || tw_buf_put_u8(&k, f->on_update);
    }
    rc = rc || tw_buf_put_u8(b, 'K') || tw_buf_put_varint(b, k.len) || tw_buf_append(b, k.p, k.len);
    tw_buf_free(&k);
    return rc;
}

int tw_catalog_put_table(tw_txn *t, const tw_table *def, tw_err *err) {
    tw_buf b = {0};
    int rc = tw_buf_put_u8(&b, 'T') || tw_buf_put_varint(&b, def->id) ||
             tw_buf_put_varint(&b, (uint64_t)def->ncols);
    for (int i = 0; !rc && i < def->ncols; i++) {
        const tw_column *c = &def->cols[i];
        rc = put_str(&b, c->name) || tw_buf_put_u8(&b, c->type.ty) ||
             tw_buf_put_varint(&b, (uint64_t)(c->type.mod + 1)) || tw_buf_put_u8(&b, c->notnull) ||
             tw_buf_put_u8(&b, c->has_default);
        if (!rc && c->has_default == TW_DEF_SEQ)
            rc = put_str(&b, c->seqname) || tw_buf_put_u8(&b, c->identity);
        else if (!rc && c->has_default == TW_DEF_NOW)
            rc = tw_buf_put_u8(&b, c->nowfn);
        else if (!rc && c->has_default) {
            tw_buf v = {0};
            uint8_t kind = (uint8_t)tw_type_kind(c->type.ty);
            rc = tw_row_encode(&v, &c->defval, &kind, 1) || tw_buf_put_varint(&b, v.len) ||
                 tw_buf_append(&b, v.p, v.len);
            tw_buf_free(&v);
        }
    }
    rc = rc || tw_buf_put_varint(&b, (uint64_t)def->npk);
    for (int i = 0; !rc && i < def->npk; i++) rc = tw_buf_put_varint(&b, (uint64_t)def->pk[i]);
    if (!rc && (def->nchecks || def->nfks)) rc = put_constraints(&b, def);
    if (rc) {
        tw_buf_free(&b);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    rc = tw_txn_put(t, TW_CATALOG_TABLE, def->name, strlen(def->name), b.p, b.len, err);
    tw_buf_free(&b);
    return rc;
}

int tw_catalog_put_index(tw_txn *t, const tw_index *def, tw_err *err) {
    tw_buf b = {0};
    int rc = tw_buf_put_u8(&b, 'I') || tw_buf_put_varint(&b, def->id) ||
             put_str(&b, def->table_name) || tw_buf_put_u8(&b, def->unique) ||
             tw_buf_put_varint(&b, (uint64_t)def->ncols);
    for (int i = 0; !rc && i < def->ncols; i++) rc = tw_buf_put_varint(&b, (uint64_t)def->cols[i]);
    if (rc) {
        tw_buf_free(&b);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    rc = tw_txn_put(t, TW_CATALOG_TABLE, def->name, strlen(def->name), b.p, b.len, err);
    tw_buf_free(&b);
    return rc;
}

int tw_catalog_put_view(tw_txn *t, const char *name, const char *sql, size_t len, tw_err *err) {
    tw_buf b = {0};
    if (tw_buf_put_u8(&b, 'V') || tw_buf_append(&b, sql, len)) {
        tw_buf_free(&b);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    int rc = tw_txn_put(t, TW_CATALOG_TABLE, name, strlen(name), b.p, b.len, err);
    tw_buf_free(&b);
    return rc;
}

int tw_catalog_put_seq(tw_txn *t, const tw_seq *def, tw_err *err) {
    tw_buf b = {0};
    int rc =
        tw_buf_put_u8(&b, 'S') || tw_buf_put_varint(&b, def->id) ||
        tw_buf_put_varint(&b, (uint64_t)def->start) || tw_buf_put_varint(&b, (uint64_t)def->inc) ||
        tw_buf_put_varint(&b, (uint64_t)def->min) || tw_buf_put_varint(&b, (uint64_t)def->max) ||
        tw_buf_put_varint(&b, (uint64_t)def->cache) || tw_buf_put_u8(&b, def->cycle) ||
        put_str(&b, def->owner ? def->owner : "");
    if (rc) {
        tw_buf_free(&b);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    rc = tw_txn_put(t, TW_CATALOG_TABLE, def->name, strlen(def->name), b.p, b.len, err);
    tw_buf_free(&b);
    return rc;
}

int tw_catalog_delete(tw_txn *t, const char *name, tw_err *err) {
    return tw_txn_delete(t, TW_CATALOG_TABLE, name, strlen(name), err);
}

/* ---- decoding ---- */

typedef struct rd {
    const uint8_t *p, *end;
    int bad;
} rd;

static uint64_t rd_varint(rd *r) {
    uint64_t v = 0;
    if (tw_get_varint(&r->p, r->end, &v)) r->bad = 1;
    return v;
}

static uint8_t rd_u8(rd *r) {
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

static char *rd_str(rd *r, tw_arena *a) {
    uint64_t n = rd_varint(r);
    if (r->bad || (uint64_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    char *s = tw_arena_strndup(a, (const char *)r->p, (size_t)n);
    r->p += n;
    if (!s) r->bad = 1;
    return s;
}

static int decode_constraints(tw_table *t, rd *r, tw_arena *a) {
    uint64_t n = rd_varint(r);
    if (r->bad || n > 100000) return 1;
    t->nchecks = (int)n;
    t->checks = tw_arena_zalloc(a, sizeof *t->checks * (n ? n : 1));
    if (!t->checks) return 1;
    for (int i = 0; i < t->nchecks && !r->bad; i++) {
        t->checks[i].name = rd_str(r, a);
        t->checks[i].expr = rd_str(r, a);
    }
    n = rd_varint(r);
    if (r->bad || n > 100000) return 1;
    t->nfks = (int)n;
    t->fks = tw_arena_zalloc(a, sizeof *t->fks * (n ? n : 1));
    if (!t->fks) return 1;
    for (int i = 0; i < t->nfks && !r->bad; i++) {
        tw_fkey *f = &t->fks[i];
        f->name = rd_str(r, a);
        f->reftable = rd_str(r, a);
        uint64_t nc = rd_varint(r);
        if (r->bad || nc == 0 || nc > TW_MAX_COLUMNS) return 1;
        f->ncols = (int)nc;
        f->cols = tw_arena_alloc(a, sizeof(int) * nc);
        f->refnames = tw_arena_alloc(a, sizeof(char *) * nc);
        if (!f->cols || !f->refnames) return 1;
        for (int j = 0; j < f->ncols; j++) {
            uint64_t col = rd_varint(r);
            if (col >= (uint64_t)t->ncols) return 1;
            f->cols[j] = (int)col;
            f->refnames[j] = rd_str(r, a);
        }
        f->on_delete = rd_u8(r);
        f->on_update = rd_u8(r);
        f->table = t;
    }
    return r->bad;
}

/* Whether key columns a[0..n) are the set of the FK's referenced columns; fills perm. */
static int key_matches(const tw_fkey *f, const int *a, int n, int *perm) {
    if (n != f->ncols) return 0;
    for (int k = 0; k < n; k++) {
        perm[k] = -1;
        for (int j = 0; j < n; j++)
            if (f->refcols[j] == a[k]) perm[k] = j;
        if (perm[k] < 0) return 0;
    }
    return 1;
}

/* Resolves every foreign key against the referenced table (columns and the key that
 * serves lookups) and lists it on that table's refby. */
static int link_fkeys(tw_catalog *c) {
    for (int i = 0; i < c->ntables; i++) {
        tw_table *tb = c->tables[i];
        for (int k = 0; k < tb->nfks; k++) {
            tw_fkey *f = &tb->fks[k];
            f->table = tb;
            tw_table *ref = tw_catalog_table(c, f->reftable);
            if (!ref) continue;
            f->refcols = tw_arena_alloc(&c->mem, sizeof(int) * (size_t)f->ncols);
            f->perm = tw_arena_alloc(&c->mem, sizeof(int) * (size_t)f->ncols);
            if (!f->refcols || !f->perm) return TWILL_NOMEM;
            int ok = 1;
            for (int j = 0; j < f->ncols && ok; j++)
                ok = (f->refcols[j] = tw_table_column(ref, f->refnames[j])) >= 0;
            if (!ok) continue;
            if (ref->npk && key_matches(f, ref->pk, ref->npk, f->perm)) {
                f->ref = ref;
            } else {
                for (int x = 0; x < ref->nidx && !f->ref; x++)
                    if (ref->idx[x]->unique &&
                        key_matches(f, ref->idx[x]->cols, ref->idx[x]->ncols, f->perm)) {
                        f->refidx = ref->idx[x];
                        f->ref = ref;
                    }
            }
            if (f->ref) ref->nrefby++;
        }
    }
    for (int i = 0; i < c->ntables; i++) {
        tw_table *tb = c->tables[i];
        tb->refby = tw_arena_alloc(&c->mem, sizeof(tw_fkey *) * (size_t)(tb->nrefby + 1));
        if (!tb->refby) return TWILL_NOMEM;
        tb->nrefby = 0;
    }
    for (int i = 0; i < c->ntables; i++)
        for (int k = 0; k < c->tables[i]->nfks; k++) {
            tw_fkey *f = &c->tables[i]->fks[k];
            if (f->ref) f->ref->refby[f->ref->nrefby++] = f;
        }
    return TWILL_OK;
}

static int decode_table(tw_catalog *c, const char *name, rd *r, tw_table **out) {
    tw_arena *a = &c->mem;
    tw_table *t = tw_arena_zalloc(a, sizeof *t);
    if (!t) return TWILL_NOMEM;
    t->name = tw_arena_strndup(a, name, strlen(name));
    t->id = rd_varint(r);
    uint64_t nc = rd_varint(r);
    if (r->bad || nc > TW_MAX_COLUMNS) return TWILL_CORRUPT;
    t->ncols = (int)nc;
    t->cols = tw_arena_zalloc(a, sizeof *t->cols * (nc ? nc : 1));
    t->kinds = tw_arena_zalloc(a, nc ? nc : 1);
    if (!t->cols || !t->kinds || !t->name) return TWILL_NOMEM;
    for (int i = 0; i < t->ncols && !r->bad; i++) {
        tw_column *col = &t->cols[i];
        col->name = rd_str(r, a);
        col->type.ty = rd_u8(r);
        col->type.mod = (int32_t)rd_varint(r) - 1;
        col->notnull = rd_u8(r);
        col->has_default = rd_u8(r);
        t->kinds[i] = (uint8_t)tw_type_kind(col->type.ty);
        if (col->has_default == TW_DEF_SEQ && !r->bad) {
            col->seqname = rd_str(r, a);
            col->identity = rd_u8(r);
        } else if (col->has_default == TW_DEF_NOW && !r->bad) {
            col->nowfn = rd_u8(r);
        } else if (col->has_default && !r->bad) {
            uint64_t n = rd_varint(r);
            if (r->bad || (uint64_t)(r->end - r->p) < n) return TWILL_CORRUPT;
            /* Copy so the value outlives the cursor's buffer. */
            uint8_t *copy = tw_arena_alloc(a, (size_t)n);
            if (!copy) return TWILL_NOMEM;
            memcpy(copy, r->p, (size_t)n);
            r->p += n;
            if (tw_row_decode(copy, (size_t)n, &col->defval, &t->kinds[i], 1, NULL))
                return TWILL_CORRUPT;
        }
    }
    uint64_t npk = rd_varint(r);
    if (r->bad || npk > nc) return TWILL_CORRUPT;
    t->npk = (int)npk;
    t->pk = tw_arena_alloc(a, sizeof(int) * (npk ? npk : 1));
    if (!t->pk) return TWILL_NOMEM;
    for (int i = 0; i < t->npk; i++) {
        uint64_t k = rd_varint(r);
        if (k >= nc) return TWILL_CORRUPT;
        t->pk[i] = (int)k;
    }
    while (!r->bad && r->p < r->end) {
        uint8_t tag = rd_u8(r);
        uint64_t len = rd_varint(r);
        if (r->bad || (uint64_t)(r->end - r->p) < len) return TWILL_CORRUPT;
        rd sec = {r->p, r->p + len, 0};
        r->p += len;
        if (tag == 'K' && decode_constraints(t, &sec, a)) return TWILL_CORRUPT;
    }
    if (r->bad) return TWILL_CORRUPT;
    *out = t;
    return TWILL_OK;
}

static int decode_index(tw_catalog *c, const char *name, rd *r, tw_index **out) {
    tw_arena *a = &c->mem;
    tw_index *x = tw_arena_zalloc(a, sizeof *x);
    if (!x) return TWILL_NOMEM;
    x->name = tw_arena_strndup(a, name, strlen(name));
    x->id = rd_varint(r);
    x->table_name = rd_str(r, a);
    x->unique = rd_u8(r);
    uint64_t n = rd_varint(r);
    if (r->bad || n > TW_MAX_COLUMNS || !x->name) return TWILL_CORRUPT;
    x->ncols = (int)n;
    x->cols = tw_arena_alloc(a, sizeof(int) * (n ? n : 1));
    if (!x->cols) return TWILL_NOMEM;
    for (int i = 0; i < x->ncols; i++) x->cols[i] = (int)rd_varint(r);
    if (r->bad) return TWILL_CORRUPT;
    *out = x;
    return TWILL_OK;
}

static int push(void ***arr, int *n, int *cap, void *p) {
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        void **na = realloc(*arr, sizeof(void *) * (size_t)nc);
        if (!na) return TWILL_NOMEM;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = p;
    return TWILL_OK;
}

int tw_catalog_load(tw_txn *t, uint64_t version, tw_catalog **out, tw_err *err) {
    *out = NULL;
    tw_catalog *c = calloc(1, sizeof *c);
    if (!c) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    c->refs = 1;
    c->version = version;
    int tcap = 0, icap = 0, vcap = 0, scap = 0, rc;
    tw_cursor *cur = NULL;
    if ((rc = tw_cursor_open(t, TW_CATALOG_TABLE, &cur, err))) goto fail;
    if ((rc = tw_cursor_seek(cur, "", 0, err))) goto fail;
    while (tw_cursor_valid(cur)) {
        size_t kl, vl;
        const void *k = tw_cursor_key(cur, &kl);
        const void *v = tw_cursor_value(cur, &vl);
        char name[TW_TXN_MAX_KEY + 1];
        if (kl > TW_TXN_MAX_KEY) kl = TW_TXN_MAX_KEY;
        memcpy(name, k, kl);
        name[kl] = '\0';
        rd r = {v, (const uint8_t *)v + vl, 0};
        uint8_t kind = rd_u8(&r);
        if (kind == 'T') {
            tw_table *tb;
            if ((rc = decode_table(c, name, &r, &tb))) goto bad;
            if (push((void ***)&c->tables, &c->ntables, &tcap, tb)) goto nomem;
            if (tb->id > c->max_id) c->max_id = tb->id;
        } else if (kind == 'I') {
            tw_index *x;
            if ((rc = decode_index(c, name, &r, &x))) goto bad;
            if (push((void ***)&c->indexes, &c->nindexes, &icap, x)) goto nomem;
            if (x->id > c->max_id) c->max_id = x->id;
        } else if (kind == 'S') {
            tw_seq *q = tw_arena_zalloc(&c->mem, sizeof *q);
            if (!q || !(q->name = tw_arena_strndup(&c->mem, name, strlen(name)))) goto nomem;
            q->id = rd_varint(&r);
            q->start = (int64_t)rd_varint(&r);
            q->inc = (int64_t)rd_varint(&r);
            q->min = (int64_t)rd_varint(&r);
            q->max = (int64_t)rd_varint(&r);
            q->cache = (int64_t)rd_varint(&r);
            q->cycle = rd_u8(&r);
            q->owner = rd_str(&r, &c->mem);
            if (r.bad) {
                rc = TWILL_CORRUPT;
                goto bad;
            }
            if (push((void ***)&c->seqs, &c->nseqs, &scap, q)) goto nomem;
            if (q->id > c->max_id) c->max_id = q->id;
        } else if (kind == 'V') {
            tw_view *v = tw_arena_zalloc(&c->mem, sizeof *v);
            if (!v || !(v->name = tw_arena_strndup(&c->mem, name, strlen(name))) ||
                !(v->sql = tw_arena_strndup(&c->mem, (const char *)r.p, (size_t)(r.end - r.p))))
                goto nomem;
            if (push((void ***)&c->views, &c->nviews, &vcap, v)) goto nomem;
        } else {
            rc = TWILL_CORRUPT;
            goto bad;
        }
        if ((rc = tw_cursor_next(cur, err))) goto fail;
    }
    tw_cursor_close(cur);
    cur = NULL;
    /* Link indexes to their tables. */
    for (int i = 0; i < c->nindexes; i++) {
        tw_index *x = c->indexes[i];
        tw_table *tb = tw_catalog_table(c, x->table_name);
        if (!tb) continue; /* orphan: ignored */
        for (int k = 0; k < x->ncols; k++)
            if (x->cols[k] < 0 || x->cols[k] >= tb->ncols) {
                rc = TWILL_CORRUPT;
                goto bad;
            }
        x->table = tb;
        tb->nidx++;
    }
    for (int i = 0; i < c->ntables; i++) {
        tw_table *tb = c->tables[i];
        tb->idx = tw_arena_alloc(&c->mem, sizeof(tw_index *) * (size_t)(tb->nidx + 1));
        if (!tb->idx) goto nomem;
        tb->nidx = 0;
    }
    for (int i = 0; i < c->nindexes; i++) {
        tw_index *x = c->indexes[i];
        if (x->table) x->table->idx[x->table->nidx++] = x;
    }
    if (link_fkeys(c)) goto nomem;
    *out = c;
    return TWILL_OK;
nomem:
    rc = tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    goto fail;
bad:
    rc = rc == TWILL_NOMEM ? tw_err_set(err, rc, NULL, "out of memory")
                           : tw_err_set(err, TWILL_CORRUPT, "XX001", "corrupt catalog entry");
fail:
    if (cur) tw_cursor_close(cur);
    tw_catalog_unref(c);
    return rc;
}
