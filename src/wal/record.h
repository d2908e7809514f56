/*
 * record.h — the commit record: what one transaction changed, as stored in the log.
 *
 * A commit record is [u8 format = 1][varint n_ops] followed by n ops, each
 * [u8 kind][varint table][varint klen][key][varint vlen][value] (DROP ops carry empty
 * key and value). Ops are applied in order, so replaying the same records over the
 * same checkpoint always rebuilds the same state. The storage backend frames and
 * checksums whole batches; this codec still bounds-checks every field so a damaged
 * record is reported (TWILL_CORRUPT), never read past its end.
 */
#ifndef TW_WAL_RECORD_H
#define TW_WAL_RECORD_H

#include "util/buf.h"
#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

enum { TW_OP_PUT = 1, TW_OP_DELETE = 2, TW_OP_DROP_TABLE = 3 };

typedef struct tw_wal_op {
    int kind;
    uint64_t table;
    const uint8_t *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
} tw_wal_op;

/* Starts a record of n_ops ops in b (appending). */
int tw_wal_begin(tw_buf *b, uint64_t n_ops);
int tw_wal_append_op(tw_buf *b, int kind, uint64_t table, const void *key, size_t klen,
                     const void *val, size_t vlen);

typedef struct tw_wal_reader {
    const uint8_t *p, *end;
    uint64_t remaining;
} tw_wal_reader;

int tw_wal_reader_init(tw_wal_reader *r, const void *data, size_t len, tw_err *err);
/* 1: *op filled (pointers into the record); 0: no more ops; TWILL_CORRUPT (negated
 * as -TWILL_CORRUPT) on a damaged record, err filled. */
int tw_wal_next(tw_wal_reader *r, tw_wal_op *op, tw_err *err);

#endif
