/*
 * array.h — one-dimensional arrays of the scalar types (PostgreSQL's int4[], text[], ...).
 *
 * The declared type is TY_ARRAY with the element type (TY_*) in .mod (element type
 * modifiers such as varchar(n)[] or numeric(p,s)[] are not kept: 0A000). A value is
 * VK_ARRAY whose bytes are self-describing:
 *
 *   u8 element type (TY_*), varint count, then per element: varint length + a one-column
 *   row record (codec.h), which carries NULL elements in its null bitmap.
 *
 * The bytes are borrowed like text (vk_has_bytes); rows store them as they are. Arrays
 * are never key columns (0A000 for PRIMARY KEY / index). Lower bound is always 1;
 * multi-dimensional input is 0A000.
 */
#ifndef TW_SQL_ARRAY_H
#define TW_SQL_ARRAY_H

#include "sql/value.h"

/* PostgreSQL's OID of the array type of element type ty (0 when there is none). */
uint32_t tw_array_oid(int elem_ty);
/* 1 if arrays of ty are supported. */
int tw_array_elem_ok(int elem_ty);

/* Builds an array of n values (each NULL or already of the element type's kind). */
int tw_array_build(int elem_ty, const tw_val *vals, size_t n, tw_arena *a, tw_val *out,
                   tw_err *err);

/* Appends one element's encoding (v NULL or of elem_ty's kind): an array is the header
 * (u8 elem_ty, varint count) followed by these (array_agg builds arrays this way). */
int tw_array_elem_put(tw_buf *b, const tw_val *v, int elem_ty);

typedef struct tw_arr_it {
    const uint8_t *p, *end;
    uint64_t n, left;
    int elem_ty;
    uint8_t kind;
} tw_arr_it;
/* Opens an array value for reading its elements in order. */
int tw_array_open(const tw_val *v, tw_arr_it *it, tw_err *err);
/* The next element (borrowing the array's bytes): TWILL_ROW, or TWILL_DONE at the end. */
int tw_array_next(tw_arr_it *it, tw_val *out, tw_err *err);
/* Element i (1-based); NULL when out of range. */
int tw_array_get(const tw_val *v, int64_t i, tw_val *out, tw_err *err);

/* PostgreSQL's array input ('{1,2,NULL}', '{"a b","c\"d"}'); 22P02 on bad syntax. */
int tw_array_parse(const char *s, size_t n, int elem_ty, tw_arena *a, tw_val *out, tw_err *err);
/* PostgreSQL's array output (quoting elements that need it). */
int tw_array_out(const tw_val *v, tw_buf *out);
/* Array to array of another element type (element casts), or text input. */
int tw_array_cast(const tw_val *v, tw_sqltype t, int assign, tw_arena *a, tw_val *out, tw_err *err);
/* PostgreSQL's btree order: element by element (NULL elements last), then length. */
int tw_array_cmp(const tw_val *a, const tw_val *b, int *res, tw_err *err);

/* Function tables (array functions; func.h). */

#endif
