#include "table_format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct tf_table {
    int ncols;
    char **names;
    int *right;
    char **cells; /* nrows * ncols, row-major; NULL is SQL NULL */
    size_t nrows, cap;
    char *title;
    int no_footer;
};

tf_table *tf_new(int ncols) {
    if (ncols < 0) return NULL;
    tf_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ncols = ncols;
    /* One extra slot keeps calloc's size nonzero for a table without columns. */
    t->names = calloc((size_t)ncols + 1, sizeof *t->names);
    t->right = calloc((size_t)ncols + 1, sizeof *t->right);
    if (!t->names || !t->right) {
        tf_free(t);
        return NULL;
    }
    return t;
}

void tf_free(tf_table *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    if (t->names)
        for (int c = 0; c < t->ncols; c++) free(t->names[c]);
    free(t->names);
    free(t->right);
    free(t->title);
    free(t);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int tf_set_column(tf_table *t, int col, const char *name) {
    if (col < 0 || col >= t->ncols) return -1;
    char *d = dup_str(name ? name : "");
    if (!d) return -1;
    free(t->names[col]);
    t->names[col] = d;
    return 0;
}

int tf_set_title(tf_table *t, const char *title) {
    free(t->title);
    t->title = NULL;
    return title && !(t->title = dup_str(title)) ? -1 : 0;
}

void tf_set_footer(tf_table *t, int footer) {
    t->no_footer = !footer;
}

void tf_set_right(tf_table *t, int col, int right) {
    if (col >= 0 && col < t->ncols) t->right[col] = right != 0;
}

size_t tf_rows(const tf_table *t) {
    return t->nrows;
}

int tf_add_row(tf_table *t, const char *const *cells) {
    size_t nc = (size_t)t->ncols;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        if (nc && cap > SIZE_MAX / sizeof(char *) / nc) return -1;
        char **c = realloc(t->cells, cap * (nc ? nc : 1) * sizeof(char *));
        if (!c) return -1;
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * nc;
    for (size_t j = 0; j < nc; j++) {
        row[j] = NULL;
        if (cells[j] && !(row[j] = dup_str(cells[j]))) {
            for (size_t k = 0; k < j; k++) free(row[k]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

/* Decodes one UTF-8 sequence at s[0..len); returns its length (1 for a bad byte,
 * which then counts as one column) and the code point in *cp (-1 if bad). */
static size_t utf8_decode(const unsigned char *s, size_t len, long *cp) {
    unsigned char c = s[0];
    size_t n;
    long v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        v = c & 0x07;
    } else {
        *cp = -1;
        return 1;
    }
    if (n > len) {
        *cp = -1;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

size_t tf_display_width(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, i = 0;
    while (i < len) {
        long cp;
        i += utf8_decode(p + i, len - i, &cp);
        if (cp < 0 || cp > 0x10FFFF) {
            w++;
            continue;
        }
        /* wcwidth knows wide (CJK) and zero-width characters when the locale is
         * UTF-8; otherwise it gives -1 and the character counts as one column. */
        int cw = wcwidth((wchar_t)cp);
        w += cw < 0 ? 1 : (size_t)cw;
    }
    return w;
}

/* Finds the k-th line (0-based) of s in start and len; 0 when s has fewer lines. */
static int nth_line(const char *s, size_t k, const char **start, size_t *len) {
    const char *p = s;
    for (size_t i = 0; i < k; i++) {
        p = strchr(p, '\n');
        if (!p) return 0;
        p++;
    }
    const char *nl = strchr(p, '\n');
    *start = p;
    *len = nl ? (size_t)(nl - p) : strlen(p);
    return 1;
}

static size_t line_count(const char *s) {
    size_t n = 1;
    if (!s) return 1;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Widest line of s. */
static size_t text_width(const char *s) {
    size_t w = 0, k = 0;
    const char *l;
    size_t ll;
    if (!s) return 0;
    while (nth_line(s, k++, &l, &ll)) {
        size_t lw = tf_display_width(l, ll);
        if (lw > w) w = lw;
    }
    return w;
}

static void pad(FILE *out, size_t n) {
    for (size_t i = 0; i < n; i++) fputc(' ', out);
}

int tf_print(const tf_table *t, FILE *out) {
    int nc = t->ncols;
    size_t *w = calloc((size_t)nc + 1, sizeof *w);
    if (!w) return -1;
    for (int j = 0; j < nc; j++) {
        w[j] = text_width(t->names[j]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = text_width(t->cells[r * (size_t)nc + (size_t)j]);
            if (cw > w[j]) w[j] = cw;
        }
    }

    /* Title: centered over the whole width (psql's print_aligned_text) */
    if (t->title) {
        size_t total = nc ? (size_t)(3 * nc - 1) : 0, tw = text_width(t->title);
        for (int j = 0; j < nc; j++) total += w[j];
        if (total > tw) pad(out, (total - tw) / 2);
        fprintf(out, "%s\n", t->title);
    }
    /* Header: names centered; the line keeps psql's trailing space. */
    if (nc > 0) {
        fputc(' ', out);
        for (int j = 0; j < nc; j++) {
            const char *name = t->names[j] ? t->names[j] : "";
            size_t hw = tf_display_width(name, strlen(name));
            size_t left = (w[j] - hw) / 2;
            pad(out, left);
            fputs(name, out);
            pad(out, w[j] - hw - left);
            fputs(j + 1 < nc ? " | " : " ", out);
        }
        fputc('\n', out);
    }
    if (nc == 0) fputs("--", out);
    for (int j = 0; j < nc; j++) {
        if (j > 0) fputc('+', out);
        for (size_t i = 0; i < w[j] + 2; i++) fputc('-', out);
    }
    fputc('\n', out);

    for (size_t r = 0; r < t->nrows; r++) {
        char *const *row = t->cells + r * (size_t)nc;
        size_t height = 1;
        for (int j = 0; j < nc; j++) {
            size_t h = line_count(row[j]);
            if (h > height) height = h;
        }
        for (size_t k = 0; k < height; k++) {
            fputc(' ', out);
            for (int j = 0; j < nc; j++) {
                const char *l = "";
                size_t ll = 0;
                if (row[j]) nth_line(row[j], k, &l, &ll);
                int more = row[j] && k + 1 < line_count(row[j]);
                int last = j + 1 == nc;
                size_t lw = tf_display_width(l, ll);
                if (t->right[j]) pad(out, w[j] - lw);
                fwrite(l, 1, ll, out);
                /* psql pads a left-aligned last column only to place a '+'. */
                if (!t->right[j] && (!last || more)) pad(out, w[j] - lw);
                if (!last)
                    fputs(more ? "+| " : " | ", out);
                else if (more)
                    fputc('+', out);
            }
            fputc('\n', out);
        }
    }
    if (!t->no_footer) fprintf(out, "(%zu %s)\n\n", t->nrows, t->nrows == 1 ? "row" : "rows");
    free(w);
    return ferror(out) ? -1 : 0;
}
