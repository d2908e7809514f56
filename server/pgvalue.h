/*
 * pgvalue.h — PostgreSQL wire formats of values: type OIDs, text and binary encodings
 * of result columns, and decoding of Bind parameters into twill_bind_* calls.
 *
 * Contract: binary formats follow PostgreSQL's send/receive functions for bool, int2,
 * int4, int8, oid, float4, float8, text-like types and bytea (big-endian integers,
 * IEEE 754 floats, raw bytes), numeric (base-10000 digits), date (int32 days since
 * 2000-01-01), timestamp and timestamptz (int64 microseconds since 2000-01-01, UTC) and
 * interval (int64 microseconds, int32 days, int32 months). The engine's API carries
 * these types as text, so binary results are computed from the engine's text output
 * and binary parameters are turned into text the engine reads. Other types travel as
 * text. A binary value of the wrong size (or a malformed numeric) is 22P03
 * (invalid_binary_representation); binary for a type without a binary form here is
 * 0A000. Nothing is read outside the given bytes.
 */
#ifndef TWS_PGVALUE_H
#define TWS_PGVALUE_H

#include "wire.h"

#include <twill/engine.h>

#define TWS_OID_BOOL 16
#define TWS_OID_BYTEA 17
#define TWS_OID_NAME 19
#define TWS_OID_INT8 20
#define TWS_OID_INT2 21
#define TWS_OID_INT4 23
#define TWS_OID_TEXT 25
#define TWS_OID_OID 26
#define TWS_OID_FLOAT4 700
#define TWS_OID_FLOAT8 701
#define TWS_OID_UNKNOWN 705
#define TWS_OID_BPCHAR 1042
#define TWS_OID_VARCHAR 1043
#define TWS_OID_NUMERIC 1700
#define TWS_OID_DATE 1082
#define TWS_OID_TIMESTAMP 1114
#define TWS_OID_TIMESTAMPTZ 1184
#define TWS_OID_INTERVAL 1186
#define TWS_OID_UUID 2950
#define TWS_OID_JSONB 3802
/* 1 if oid is an array type (their binary format is not supported: 0A000 at Bind). */
int tws_oid_is_array(uint32_t oid);

/* 1 if oid names a type a client may declare for a parameter: 0 (unspecified) or a
 * built-in type (below PostgreSQL's FirstNormalObjectId, 16384). */
int tws_oid_acceptable(uint32_t oid);
/* Wire size of a fixed-size type (PostgreSQL's typlen), or -1 for variable length. */
int tws_oid_typlen(uint32_t oid);

/* Binds wire value p[0..len) (len < 0: NULL) to parameter idx (1-based) of st, read as
 * type `oid` in format `fmt` (0 text, 1 binary). On failure returns the TWILL_* code
 * and, for a value the server itself rejects, sets *sqlstate / msg (otherwise the
 * session holds the error). */
int tws_bind_param(twill_stmt *st, int idx, uint32_t oid, int fmt, const uint8_t *p, int32_t len,
                   const char **sqlstate, char *msg, size_t cap);

/* Appends column col of st's current row to the DataRow being built: int32 length (-1
 * for NULL) and the bytes in format fmt for the column's type oid. */
void tws_put_column(tws_io *io, twill_stmt *st, int col, uint32_t oid, int fmt);

#endif
