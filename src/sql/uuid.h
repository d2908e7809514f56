/*
 * uuid.h — the uuid type: 16 bytes (in tw_val.uuid), PostgreSQL's input forms and its
 * lower-case hyphenated output; ordered bytewise (memcmp), as in PostgreSQL.
 */
#ifndef TW_SQL_UUID_H
#define TW_SQL_UUID_H

#include "sql/value.h"

/* Input as PostgreSQL's uuid_in: 32 hex digits (any case), optionally in braces, with an
 * optional hyphen after any group of four digits. 22P02 otherwise. */
int tw_uuid_parse(const char *s, size_t n, uint8_t out[16], tw_err *err);
/* Output: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (36 characters and a NUL). */
void tw_uuid_out(const uint8_t u[16], char buf[37]);

#endif
