/*
 * value.h — SQL types and runtime values.
 *
 * A tw_sqltype is a declared type (integer widths, float widths, text flavours with
 * their length modifier). A tw_val is a runtime value: a small tagged union whose text
 * and bytea bytes are borrowed (from a row buffer, a bound parameter, the plan's
 * constants, or an evaluation arena) — whoever keeps a value beyond that lifetime
 * copies it. Integers of every width travel as int64 and are range-checked where a
 * width applies (storage, casts, arithmetic of that width), as in PostgreSQL.
 */
#ifndef TW_SQL_VALUE_H
#define TW_SQL_VALUE_H

#include "sql/arena.h"
#include "util/buf.h"
#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

/* Declared / static types. TY_UNKNOWN is an untyped literal or parameter whose type
 * comes from context (PostgreSQL's "unknown"). */
enum {
    TY_UNKNOWN = 0,
    TY_BOOL,
    TY_INT2,
    TY_INT4,
    TY_INT8,
    TY_FLOAT4,
    TY_FLOAT8,
    TY_TEXT,
    TY_VARCHAR,
    TY_CHAR,
    TY_BYTEA,
    TY_NUMERIC, /* mod: numeric(p,s) packed as p << 16 | s (tw_num_typmod), -1 none */
    TY_DATE,
    TY_TIMESTAMP,
    TY_TIMESTAMPTZ,
    TY_INTERVAL,
    TY_UUID,
    TY_JSON,
    TY_JSONB,
    TY_ARRAY, /* mod: the element type (TY_*); one-dimensional (array.h) */
};

typedef struct tw_sqltype {
    uint8_t ty;
    int32_t mod; /* max length for varchar/char, numeric(p,s); -1 when none */
} tw_sqltype;

/* Runtime value kinds. */
/* VK_DATE / VK_TS / VK_TSTZ: int64 in .i (datetime.h). */
enum {
    VK_NULL = 0,
    VK_BOOL,
    VK_INT,
    VK_FLOAT,
    VK_TEXT,
    VK_BYTEA,
    VK_NUMERIC,
    VK_DATE,
    VK_TS,
    VK_TSTZ,
    VK_INTERVAL,
    VK_UUID, /* 16 bytes in .uuid */
    VK_JSON, /* .s/.n: the JSON text (json: as entered; jsonb: normalized) */
    VK_JSONB,
    VK_ARRAY /* .s/.n: the array's encoding (array.h) */
};

typedef struct tw_val {
    uint8_t k;
    uint16_t nscale; /* VK_NUMERIC: display scale (see numeric.h) */
    union {
        int64_t i; /* VK_INT, VK_BOOL, VK_DATE, VK_TS, VK_TSTZ */
        double d;  /* VK_FLOAT */
        struct {
            const char *s; /* VK_TEXT, VK_BYTEA: borrowed bytes */
            size_t n;
        };
        struct {
            uint64_t nlo, nhi; /* VK_NUMERIC: two's-complement 128-bit coefficient */
        };
        struct {
            int64_t iv_us; /* VK_INTERVAL (datetime.h) */
            int32_t iv_mon, iv_day;
        };
        uint8_t uuid[16]; /* VK_UUID */
    };
} tw_val;

/* Kinds whose value is borrowed bytes in .s/.n (copy them to keep the value). */
static inline int vk_has_bytes(int k) {
    return k == VK_TEXT || k == VK_BYTEA || k == VK_JSON || k == VK_JSONB || k == VK_ARRAY;
}

static inline int ty_is_int(int ty) {
    return ty == TY_INT2 || ty == TY_INT4 || ty == TY_INT8;
}
static inline int ty_is_float(int ty) {
    return ty == TY_FLOAT4 || ty == TY_FLOAT8;
}
static inline int ty_is_num(int ty) {
    return ty_is_int(ty) || ty_is_float(ty) || ty == TY_NUMERIC;
}
static inline int ty_is_datetime(int ty) {
    return ty == TY_DATE || ty == TY_TIMESTAMP || ty == TY_TIMESTAMPTZ;
}
static inline int vk_is_datetime(int k) {
    return k == VK_DATE || k == VK_TS || k == VK_TSTZ;
}
/* PostgreSQL's name of a runtime kind (error messages). */
const char *tw_kind_name(int k);
static inline int ty_is_text(int ty) {
    return ty == TY_TEXT || ty == TY_VARCHAR || ty == TY_CHAR;
}

/* The runtime kind a declared type's values have. */
int tw_type_kind(int ty);
/* The TWILL_TYPE_* constant reported through the ABI. */
int tw_type_abi(int ty);
/* PostgreSQL's name for the type, e.g. "integer", "character varying(10)". */
const char *tw_type_name(tw_sqltype t, char *buf, size_t cap);
/* PostgreSQL's type OID of t (text 25 for anything without one of its own); *typmod (if not
 * NULL) receives its type modifier (-1 none; varchar(n) / char(n): n + 4). session.c. */
uint32_t tw_type_pgoid(tw_sqltype t, int32_t *typmod);
/* Modifiers that only rename a type on the wire (system catalog columns, pgcatalog.h):
 * bigint shown as oid (26), text as name (19) or "char" (18). Values and operators are
 * those of bigint / text. */
enum { TW_MOD_OID = -2, TW_MOD_NAME = -3, TW_MOD_CHAR1 = -4 };

/* Converts v to type t. `assign` selects assignment semantics (varchar overflow is
 * 22001) over explicit-cast semantics (silently truncates). New bytes come from a. */
int tw_val_cast(const tw_val *v, tw_sqltype t, int assign, tw_arena *a, tw_val *out, tw_err *err);
/* Range check of an int64 against an integer type: 22003 "<type> out of range". */
int tw_int_check(int64_t v, int ty, tw_err *err);
/* Orders two non-NULL values of comparable kinds (int/float mix allowed); *res <0/0/>0.
 * Incomparable kinds give 42883. */
int tw_val_cmp(const tw_val *a, const tw_val *b, int *res, tw_err *err);
/* Appends PostgreSQL's text output form of a non-NULL value (bool → t/f,
 * bytea → \x hex, floats shortest round-trip). float4 if is_f4. */
int tw_val_out(const tw_val *v, int is_f4, tw_buf *out);
/* Shortest round-trip text of a double as PostgreSQL prints float8 (float4 if is_f4). */
void tw_float_out(double d, int is_f4, char *buf, size_t cap);
/* Parses an integer / float / bool text as PostgreSQL's input functions do. */
int tw_parse_int(const char *s, size_t n, int ty, int64_t *out, tw_err *err);
int tw_parse_float(const char *s, size_t n, int ty, double *out, tw_err *err);
int tw_parse_bool(const char *s, size_t n, int *out, tw_err *err);

#endif
