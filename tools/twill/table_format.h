/*
 * table_format.h — psql's "aligned" output format: a centered header, a dashed
 * separator, one line per row (numbers right-aligned, SQL NULL as nothing, embedded
 * newlines continued with '+'), and a "(N rows)" footer.
 *
 * The whole result is buffered because a column's width depends on its widest value.
 */
#ifndef TWILL_SHELL_TABLE_FORMAT_H
#define TWILL_SHELL_TABLE_FORMAT_H

#include <stdio.h>

typedef struct tf_table tf_table;

/* A table with `ncols` columns (0 is allowed, as in "SELECT;"). NULL when out of
 * memory. */
tf_table *tf_new(int ncols);
void tf_free(tf_table *t);
/* Names a column (the name is copied); 0 on success, -1 when out of memory. */
int tf_set_column(tf_table *t, int col, const char *name);
/* Right-aligns a column (numbers) or not. */
void tf_set_right(tf_table *t, int col, int right);
/* Appends a row of ncols NUL-terminated values (copied; NULL stands for SQL NULL).
 * 0 on success, -1 when out of memory. */
int tf_add_row(tf_table *t, const char *const *cells);
size_t tf_rows(const tf_table *t);
/* A title centered above the table (copied; NULL: none), as psql's describe commands
 * print. 0 on success, -1 when out of memory. */
int tf_set_title(tf_table *t, const char *title);
/* Whether tf_print ends with psql's "(N rows)" footer and blank line (the default). */
void tf_set_footer(tf_table *t, int footer);
/* Prints the table and its footer. 0 on success, -1 when out of memory or when the
 * stream reports a write error. */
int tf_print(const tf_table *t, FILE *out);

/* Columns the UTF-8 text s[0..len) takes on a terminal. */
size_t tf_display_width(const char *s, size_t len);

#endif
