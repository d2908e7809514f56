#include "wal/record.h"

#define TW_WAL_FORMAT 1

int tw_wal_begin(tw_buf *b, uint64_t n_ops) {
    int rc = tw_buf_put_u8(b, TW_WAL_FORMAT);
    if (!rc) rc = tw_buf_put_varint(b, n_ops);
    return rc;
}

int tw_wal_append_op(tw_buf *b, int kind, uint64_t table, const void *key, size_t klen,
                     const void *val, size_t vlen) {
    if (tw_buf_reserve(b, 1 + 10 * 3 + klen + vlen)) return TWILL_NOMEM;
    tw_buf_put_u8(b, (uint8_t)kind);
    tw_buf_put_varint(b, table);
    tw_buf_put_varint(b, klen);
    tw_buf_append(b, key, klen);
    tw_buf_put_varint(b, vlen);
    tw_buf_append(b, val, vlen);
    return TWILL_OK;
}

static int corrupt(tw_err *err, const char *what) {
    tw_err_set(err, TWILL_CORRUPT, "XX001", "damaged commit record: %s", what);
    return -TWILL_CORRUPT;
}

int tw_wal_reader_init(tw_wal_reader *r, const void *data, size_t len, tw_err *err) {
    r->p = data;
    r->end = r->p + len;
    if (len < 2 || r->p[0] != TW_WAL_FORMAT) {
        corrupt(err, "unknown format");
        return TWILL_CORRUPT;
    }
    r->p++;
    if (tw_get_varint(&r->p, r->end, &r->remaining)) {
        corrupt(err, "bad op count");
        return TWILL_CORRUPT;
    }
    return TWILL_OK;
}

int tw_wal_next(tw_wal_reader *r, tw_wal_op *op, tw_err *err) {
    if (r->remaining == 0) return r->p == r->end ? 0 : corrupt(err, "trailing bytes");
    uint64_t klen, vlen;
    if (r->p >= r->end) return corrupt(err, "truncated op");
    op->kind = *r->p++;
    if (op->kind < TW_OP_PUT || op->kind > TW_OP_DROP_TABLE) return corrupt(err, "bad op kind");
    if (tw_get_varint(&r->p, r->end, &op->table)) return corrupt(err, "bad table");
    if (tw_get_varint(&r->p, r->end, &klen) || klen > (size_t)(r->end - r->p))
        return corrupt(err, "bad key length");
    op->key = r->p;
    op->klen = (size_t)klen;
    r->p += klen;
    if (tw_get_varint(&r->p, r->end, &vlen) || vlen > (size_t)(r->end - r->p))
        return corrupt(err, "bad value length");
    op->val = r->p;
    op->vlen = (size_t)vlen;
    r->p += vlen;
    r->remaining--;
    return 1;
}
