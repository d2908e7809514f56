/*
 * exec.c — runs statements through the public C ABI and prints their results the
 * way psql does: a table for rows, a command tag ("INSERT 0 1") otherwise, and
 * errors as "ERROR:  message" with the statement line and a caret at the position.
 */
#include "shell.h"
#include "sqlscan.h"
#include "table_format.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void shell_report(const shell *sh, const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    if (sh->src) fprintf(stderr, "twill:%s:%ld: ", sh->src, sh->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

void shell_oom(shell *sh) {
    shell_report(sh, "twill: out of memory\n");
    sh->fatal = 1;
}

static double elapsed_ms(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Byte offset of the 1-based character position `pos` in text[0..len) (the engine
 * counts characters, like PostgreSQL). */
static size_t char_to_byte(const char *text, size_t len, int pos) {
    size_t off = 0;
    for (int c = 1; c < pos && off < len; c++) {
        off++;
        while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80) off++;
    }
    return off;
}

/* Byte offset of the character n characters after s[i] (stopping at end). */
static size_t skip_chars(const char *s, size_t i, size_t end, size_t n) {
    while (n > 0 && i < end) {
        i++;
        while (i < end && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        n--;
    }
    return i;
}

static size_t count_chars(const char *s, size_t from, size_t to) {
    size_t n = 0;
    for (size_t i = from; i < to; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Writes s[from..to) with control characters (tabs) as spaces, so that the caret
 * line below counts the same columns. */
static void put_plain(const char *s, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], stderr);
}

#define CONTEXT_CHARS 60

/* psql's error context: the statement line holding the error and a caret under it;
 * a long line is cut to a window around the error, marked with "...". */
static void print_position(const char *text, size_t len, int pos) {
    size_t off = char_to_byte(text, len, pos);
    size_t start = off, end = off;
    long lineno = 1;
    for (size_t i = 0; i < off; i++) lineno += text[i] == '\n';
    while (start > 0 && text[start - 1] != '\n') start--;
    while (end < len && text[end] != '\n') end++;
    size_t shown = end;
    if (shown > start && text[shown - 1] == '\r') shown--;
    if (off > shown) off = shown;

    size_t total = count_chars(text, start, shown), caret = count_chars(text, start, off);
    size_t ws = 0, we = total;
    if (total > CONTEXT_CHARS) {
        ws = caret > CONTEXT_CHARS * 2 / 3 ? caret - CONTEXT_CHARS * 2 / 3 : 0;
        we = ws + CONTEXT_CHARS < total ? ws + CONTEXT_CHARS : total;
    }
    size_t from = skip_chars(text, start, shown, ws), to = skip_chars(text, start, shown, we);

    char label[32];
    int ll = snprintf(label, sizeof label, "LINE %ld: %s", lineno, ws > 0 ? "..." : "");
    fputs(label, stderr);
    put_plain(text, from, to);
    fputs(we < total ? "...\n" : "\n", stderr);
    size_t col = (size_t)(ll > 0 ? ll : 0) + tf_display_width(text + from, off - from);
    fprintf(stderr, "%*s^\n", (int)(col < INT_MAX ? col : 0), "");
}

static void report_sql_error(shell *sh, int rc, const char *text, size_t len) {
    const char *msg = twill_errmsg(sh->sess);
    const char *state = twill_sqlstate(sh->sess);
    int pos = twill_errpos(sh->sess);
    if (rc == TWILL_NOMEM) sh->fatal = 1;
    sh->errors++;
    shell_report(sh, "ERROR:  %s\n", msg && *msg ? msg : twill_errstr(rc));
    if (pos > 0) print_position(text, len, pos);
    if (state && *state && strcmp(state, "00000") != 0) fprintf(stderr, "SQLSTATE: %s\n", state);
}

static int is_word(const char *w, const char *s) {
    return strcmp(w, s) == 0;
}

/* The statement's verb: its first word, or for WITH the command after the CTEs. */
static const char *verb_of(char (*w)[SQL_WORD_MAX], int n) {
    if (n == 0) return "";
    if (!is_word(w[0], "WITH")) return w[0];
    static const char *const main_verbs[] = {"SELECT", "INSERT", "UPDATE", "DELETE",
                                             "MERGE",  "VALUES", "TABLE"};
    for (int i = 1; i < n; i++)
        for (size_t k = 0; k < sizeof main_verbs / sizeof main_verbs[0]; k++)
            if (is_word(w[i], main_verbs[k])) return main_verbs[k];
    return "SELECT";
}

static int is_dml(const char *verb) {
    return is_word(verb, "INSERT") || is_word(verb, "UPDATE") || is_word(verb, "DELETE") ||
           is_word(verb, "MERGE");
}

/*
 * The PostgreSQL command tag of a statement that ran. The ABI reports only the row
 * count, so the tag's name comes from the statement's leading words.
 */
static void command_tag(const char *sql, size_t len, long long changes, char *out, size_t outsz) {
    char w[32][SQL_WORD_MAX];
    int n = sql_top_words(sql, len, w, 32);
    const char *verb = verb_of(w, n);

    if (is_word(verb, "INSERT")) {
        snprintf(out, outsz, "INSERT 0 %lld", changes);
    } else if (is_dml(verb) || is_word(verb, "COPY") || is_word(verb, "FETCH") ||
               is_word(verb, "MOVE") || is_word(verb, "SELECT")) {
        snprintf(out, outsz, "%s %lld", verb, changes);
    } else if (is_word(verb, "CREATE") || is_word(verb, "DROP") || is_word(verb, "ALTER")) {
        /* Modifiers are not part of the tag: CREATE UNIQUE INDEX → CREATE INDEX. */
        static const char *const skip[] = {"OR",     "REPLACE", "TEMP",  "TEMPORARY", "UNLOGGED",
                                           "UNIQUE", "GLOBAL",  "LOCAL", "TRUSTED",   "PROCEDURAL"};
        int i = 1;
        for (; i < n; i++) {
            size_t k = 0;
            while (k < sizeof skip / sizeof skip[0] && !is_word(w[i], skip[k])) k++;
            if (k == sizeof skip / sizeof skip[0]) break;
        }
        if (i >= n) {
            snprintf(out, outsz, "%s", verb);
            return;
        }
        /* CREATE TABLE ... AS SELECT reports the rows it wrote, as in PostgreSQL. */
        if (is_word(verb, "CREATE") && is_word(w[i], "TABLE"))
            for (int j = i + 1; j < n; j++)
                if (is_word(w[j], "AS")) {
                    snprintf(out, outsz, "SELECT %lld", changes);
                    return;
                }
        int two = (is_word(w[i], "MATERIALIZED") || is_word(w[i], "FOREIGN") ||
                   is_word(w[i], "EVENT") || is_word(w[i], "ACCESS")) &&
                  i + 1 < n;
        if (two)
            snprintf(out, outsz, "%s %s %s", verb, w[i], w[i + 1]);
        else
            snprintf(out, outsz, "%s %s", verb, w[i]);
    } else if (is_word(verb, "START")) {
        snprintf(out, outsz, "START TRANSACTION");
    } else if (is_word(verb, "END")) {
        snprintf(out, outsz, "COMMIT");
    } else if (is_word(verb, "ABORT")) {
        snprintf(out, outsz, "ROLLBACK");
    } else if (is_word(verb, "TRUNCATE")) {
        snprintf(out, outsz, "TRUNCATE TABLE");
    } else if (is_word(verb, "LOCK")) {
        snprintf(out, outsz, "LOCK TABLE");
    } else {
        snprintf(out, outsz, "%s", verb);
    }
}

/* Steps one prepared statement to the end and prints what it produced. */
static int run_stmt(shell *sh, twill_stmt *st, const char *text, size_t len,
                    const struct timespec *t0) {
    int ncols = twill_column_count(st);
    if (ncols < 0) ncols = 0;
    tf_table *tab = NULL;
    const char **cells = calloc((size_t)ncols + 1, sizeof *cells);
    /* Per column: -1 no declared type yet, 0 text-like, 1 numeric (right-aligned). */
    int *numeric = calloc((size_t)ncols + 1, sizeof *numeric);
    int rc = TWILL_OK;
    if (!cells || !numeric) goto oom;

    for (int j = 0; j < ncols; j++) {
        int t = twill_column_decltype(st, j);
        numeric[j] = t == TWILL_TYPE_NULL ? -1 : (t == TWILL_TYPE_INT64 || t == TWILL_TYPE_DOUBLE);
    }
    if (ncols > 0) {
        if (!(tab = tf_new(ncols))) goto oom;
        for (int j = 0; j < ncols; j++)
            if (tf_set_column(tab, j, twill_column_name(st, j)) != 0) goto oom;
    }

    while ((rc = twill_step(st)) == TWILL_ROW) {
        if (!tab && !(tab = tf_new(0))) goto oom;
        for (int j = 0; j < ncols; j++) {
            int t = twill_column_type(st, j);
            cells[j] = NULL;
            if (t == TWILL_TYPE_NULL) continue;
            /* Without a declared type, a column is numeric if all its values are. */
            int num = t == TWILL_TYPE_INT64 || t == TWILL_TYPE_DOUBLE;
            if (numeric[j] == -1 || (numeric[j] == 2 && !num)) numeric[j] = num ? 2 : 0;
            /* Converting a non-NULL value to text fails only when memory runs out;
             * printing it as empty would show a wrong value. */
            if (!(cells[j] = twill_column_text(st, j))) goto oom;
        }
        if (tf_add_row(tab, cells) != 0) goto oom;
    }
    if (rc != TWILL_DONE) {
        report_sql_error(sh, rc, text, len);
        tf_free(tab);
        free(cells);
        free(numeric);
        return -1;
    }
    double ms = elapsed_ms(t0);

    char w[32][SQL_WORD_MAX];
    int nw = sql_top_words(text, len, w, 32);
    const char *verb = verb_of(w, nw);
    if (tab) {
        for (int j = 0; j < ncols; j++) tf_set_right(tab, j, numeric[j] > 0);
        if (tf_print(tab, stdout) != 0) goto oom;
    }
    /* A row-returning command shows only its rows, as in psql; INSERT ... RETURNING
     * and friends show both. */
    if (!sh->quiet && (!tab || is_dml(verb))) {
        char tag[128];
        command_tag(text, len, (long long)twill_changes(st), tag, sizeof tag);
        if (*tag) printf("%s\n", tag);
    }
    if (sh->timing) printf("Time: %.3f ms\n", ms);
    tf_free(tab);
    free(cells);
    free(numeric);
    return 0;

oom:
    tf_free(tab);
    free(cells);
    free(numeric);
    shell_oom(sh);
    return -1;
}

int shell_run_sql(shell *sh, const char *sql, size_t len) {
    const char *p = sql, *end = sql + len;
    while (p < end && !sql_is_blank(p, (size_t)(end - p))) {
        size_t rem = (size_t)(end - p);
        if (rem > INT_MAX) {
            shell_report(sh, "twill: statement text longer than %d bytes\n", INT_MAX);
            sh->errors++;
            return -1;
        }
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        twill_stmt *st = NULL;
        const char *tail = NULL;
        int rc = twill_prepare(sh->sess, p, (int)rem, &st, &tail);
        if (rc != TWILL_OK) {
            report_sql_error(sh, rc, p, rem);
            return -1;
        }
        if (!st) break;
        /* The engine says where this statement ended; distrust a tail outside it. */
        size_t stmt_len = tail && tail > p && tail <= end ? (size_t)(tail - p) : rem;
        rc = run_stmt(sh, st, p, stmt_len, &t0);
        twill_finalize(st);
        if (rc != 0) return -1;
        p += stmt_len;
    }
    return 0;
}
