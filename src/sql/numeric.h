/*
 * numeric.h — PostgreSQL's exact decimal type `numeric`, within a fixed precision.
 *
 * A value is a signed 128-bit coefficient c and a display scale s (0..TW_NUM_MAX_SCALE):
 * value = c / 10^s. The scale is PostgreSQL's dscale: it is what the value prints with
 * (1.50 keeps two places) and what the arithmetic rules derive result scales from.
 *
 * Limit: |c| < 10^38, i.e. at most 38 significant digits counting the digits of the
 * scale (1.50 uses 3). PostgreSQL's numeric is much wider; anything that would need
 * more digits fails with 22003 "value overflows numeric format" instead of losing
 * digits. NaN and ±Infinity are not supported (0A000).
 *
 * Inside a tw_val (kind VK_NUMERIC) the coefficient travels as two 64-bit halves so
 * that tw_val keeps its 8-byte alignment (arena memory is not 16-byte aligned).
 */
#ifndef TW_SQL_NUMERIC_H
#define TW_SQL_NUMERIC_H

#include "sql/value.h"
#include "util/buf.h"
#include "util/error.h"

#define TW_NUM_MAX_DIGITS 38
#define TW_NUM_MAX_SCALE 1000

typedef struct tw_num {
    __int128 c;
    int scale;
} tw_num;

/* tw_val <-> tw_num (v must be VK_NUMERIC). */
tw_num tw_num_get(const tw_val *v);
void tw_num_set(tw_val *v, tw_num n);
tw_num tw_num_from_int(int64_t i);

/* PostgreSQL numeric input: blanks, sign, digits, point, exponent. */
int tw_num_parse(const char *s, size_t n, tw_num *out, tw_err *err);
/* PostgreSQL output form; buf needs TW_NUM_MAX_SCALE + 48 bytes. Returns the length. */
size_t tw_num_out(tw_num n, char *buf, size_t cap);
int tw_num_to_double(tw_num n, double *out);
int tw_num_from_double(double d, tw_num *out, tw_err *err);
/* Rounds half away from zero to an integer; 22003 "<type> out of range" for ty. */
int tw_num_to_int(tw_num n, int ty, int64_t *out, tw_err *err);

int tw_num_cmp(tw_num a, tw_num b);
int tw_num_add(tw_num a, tw_num b, tw_num *out, tw_err *err);
int tw_num_sub(tw_num a, tw_num b, tw_num *out, tw_err *err);
int tw_num_mul(tw_num a, tw_num b, tw_num *out, tw_err *err);
/* Scale chosen as PostgreSQL's select_div_scale (at least 16 significant digits). */
int tw_num_div(tw_num a, tw_num b, tw_num *out, tw_err *err);
int tw_num_mod(tw_num a, tw_num b, tw_num *out, tw_err *err);
tw_num tw_num_neg(tw_num a);

/* round / trunc to `scale` places (negative: to tens, hundreds, ...); the result has
 * display scale max(scale, 0). mode: 0 round half away from zero, 1 trunc,
 * 2 ceil, 3 floor. */
int tw_num_round(tw_num a, int scale, int mode, tw_num *out, tw_err *err);

/* numeric(p,s) type modifier: packed as p << 16 | s; -1 when none. */
static inline int32_t tw_num_typmod(int p, int s) {
    return (int32_t)((p << 16) | s);
}
/* Applies a column's typmod: round to s, 22003 "numeric field overflow" beyond p. */
int tw_num_apply_typmod(tw_num a, int32_t mod, tw_num *out, tw_err *err);

/* Order-preserving key encoding (equal values, e.g. 1.0 and 1.00, encode the same). */
int tw_num_key_put(tw_buf *b, tw_num n);
/* Row record encoding. */
int tw_num_row_put(tw_buf *b, tw_num n);
int tw_num_row_get(const uint8_t **p, const uint8_t *end, tw_num *out);

#endif
