/*
 * codec.h — byte encodings of SQL values for the key-value layer.
 *
 * Keys: an order-preserving encoding, so memcmp order of encoded keys equals SQL order
 * of the values (column by column, NULLs after every value as in PostgreSQL's default
 * ASC order). Each column is self-delimiting, so an encoded prefix of columns is a
 * byte prefix of every key that starts with those values (used for prefix scans).
 *
 * Rows: a compact record (column count, null bitmap, values); a record with fewer
 * columns than the table reads the missing trailing ones as NULL, which leaves room for
 * ALTER TABLE ADD COLUMN.
 */
#ifndef TW_SQL_CODEC_H
#define TW_SQL_CODEC_H

#include "sql/value.h"
#include "util/buf.h"

/* Appends the key encoding of v; `kind` is the column's runtime kind (VK_*), which v
 * must have unless it is NULL. */
int tw_key_put(tw_buf *b, const tw_val *v, int kind);
/* Appends the encoding of a bare int64 (hidden row ids). */
int tw_key_put_i64(tw_buf *b, int64_t v);
int64_t tw_key_get_i64(const uint8_t *p);

/* Encodes vals[0..n) (kinds[i] = runtime kind of column i) into b (appending). */
int tw_row_encode(tw_buf *b, const tw_val *vals, const uint8_t *kinds, int n);
/* Decodes into vals[0..n); text/bytea point into data. TWILL_CORRUPT on bad bytes. */
int tw_row_decode(const uint8_t *data, size_t len, tw_val *vals, const uint8_t *kinds, int n,
                  tw_err *err);

#endif
