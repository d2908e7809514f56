/*
 * json.h — the json and jsonb types.
 *
 * Both are stored as text (VK_JSON / VK_JSONB, bytes borrowed like text). json keeps
 * the input text exactly, after validation. jsonb keeps PostgreSQL's normalized text
 * form: `{"a": 1, "b": [1, 2]}` — one space after ':' and ',', object keys sorted by
 * (length, bytes) with the last of duplicate keys kept, strings with their escapes
 * decoded and re-escaped as PostgreSQL prints them, numbers in numeric's output form.
 * Because the normalized form is canonical for everything except numbers' display
 * scale, a jsonb sub-value is a slice of its parent's text.
 *
 * Operators (`->`, `->>`, `#>`, `#>>`, `?`, `@>`, `<@`) are registered in the function
 * table under their operator names and looked up by plan.c for an operator it does
 * not know; functions (json_build_object, to_jsonb, jsonb_typeof, ...) under theirs.
 */
#ifndef TW_SQL_JSON_H
#define TW_SQL_JSON_H

#include "sql/value.h"

/* Validates JSON text (22P02 "invalid input syntax for type json"). */
int tw_json_check(const char *s, size_t n, tw_err *err);
/* JSON text → jsonb's normalized text, in a (VK_JSONB value). */
int tw_jsonb_from_text(const char *s, size_t n, tw_arena *a, tw_val *out, tw_err *err);
/* jsonb scalar → numeric, an integer, a float or boolean type (22023 for another JSON
 * type, as PostgreSQL's jsonb casts). */
int tw_jsonb_cast(const tw_val *v, tw_sqltype t, tw_arena *a, tw_val *out, tw_err *err);
/* Orders two jsonb values as PostgreSQL's jsonb btree does. */
int tw_jsonb_cmp(const tw_val *a, const tw_val *b, int *res, tw_err *err);
/* Appends the JSON form of any non-NULL value (to_json; arrays without spaces). */
int tw_json_of_value(const tw_val *v, tw_buf *out);

#endif
