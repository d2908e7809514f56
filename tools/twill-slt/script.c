/*
 * Reading sqllogictest scripts. A record is a run of non-blank lines: optional
 * skipif/onlyif conditions, a command line, then SQL, and for a query "----" and the
 * expected results up to the next blank line. Lines starting with '#' between records
 * are comments.
 */
#include "slt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void *slt_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("twill-slt: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

void *slt_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("twill-slt: out of memory\n", stderr);
        exit(2);
    }
    return q;
}

char *slt_xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(slt_xmalloc(n), s, n);
}

void slt_buf_add(slt_buf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->data = slt_xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void slt_buf_adds(slt_buf *b, const char *s) {
    slt_buf_add(b, s, strlen(s));
}

void slt_buf_addf(slt_buf *b, const char *fmt, ...) {
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        slt_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = slt_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    slt_buf_add(b, big, (size_t)n);
    free(big);
}

void slt_buf_free(slt_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int slt_script_load(slt_script *sc, const char *path) {
    memset(sc, 0, sizeof *sc);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    slt_buf text = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) slt_buf_add(&text, chunk, n);
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        slt_buf_free(&text);
        errno = err;
        return -1;
    }
    if (!text.data) slt_buf_add(&text, "", 0);

    size_t cap = 1024;
    sc->lines = slt_xmalloc(cap * sizeof *sc->lines);
    char *p = text.data, *end = text.data + text.len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        /* Trailing blanks carry no meaning in the format, and some corpus files have
         * CRLF line ends. */
        char *q = eol;
        while (q > p && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t')) q--;
        *q = '\0';
        if (sc->nlines == cap) {
            cap *= 2;
            sc->lines = slt_xrealloc(sc->lines, cap * sizeof *sc->lines);
        }
        sc->lines[sc->nlines++] = p;
        p = nl ? nl + 1 : end;
    }
    sc->text = text.data;
    return 0;
}

void slt_script_free(slt_script *sc) {
    free(sc->text);
    free(sc->lines);
    slt_buf_free(&sc->sql);
    memset(sc, 0, sizeof *sc);
}

/* Splits a line into at most `max` blank-separated words, in place. */
static int split_words(char *line, char **words, int max) {
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        words[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = '\0';
    }
    return n;
}

/* The engine named by a skipif/onlyif line: its second word, whatever comment follows. */
static bool names_this_engine(const char *line) {
    const char *p = line + strlen("skipif");
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strlen(SLT_ENGINE);
    return strncmp(p, SLT_ENGINE, n) == 0 && (p[n] == '\0' || p[n] == ' ' || p[n] == '\t');
}

static bool starts_word(const char *line, const char *word) {
    size_t n = strlen(word);
    return strncmp(line, word, n) == 0 && (line[n] == '\0' || line[n] == ' ' || line[n] == '\t');
}

/* Joins lines [from, to) into sc->sql. */
static void join_sql(slt_script *sc, size_t from, size_t to) {
    sc->sql.len = 0;
    slt_buf_add(&sc->sql, "", 0);
    for (size_t i = from; i < to; i++) {
        if (i > from) slt_buf_add(&sc->sql, "\n", 1);
        slt_buf_adds(&sc->sql, sc->lines[i]);
    }
}

/* Skips to the blank line ending the current record. */
static size_t record_end(const slt_script *sc, size_t i) {
    while (i < sc->nlines && sc->lines[i][0] != '\0') i++;
    return i;
}

bool slt_script_next(slt_script *sc, slt_record *r) {
    memset(r, 0, sizeof *r);
    size_t i = sc->next;
    while (i < sc->nlines && (sc->lines[i][0] == '\0' || sc->lines[i][0] == '#')) i++;
    if (i >= sc->nlines) {
        sc->next = i;
        return false;
    }
    for (; i < sc->nlines; i++) {
        const char *l = sc->lines[i];
        if (starts_word(l, "skipif")) {
            if (names_this_engine(l)) r->skip = true;
        } else if (starts_word(l, "onlyif")) {
            if (!names_this_engine(l)) r->skip = true;
        } else if (l[0] != '#') {
            break;
        }
    }
    r->line = (long)i + 1;
    if (i >= sc->nlines || sc->lines[i][0] == '\0') {
        r->kind = SLT_BAD;
        r->bad = "condition without a record";
        sc->next = i;
        return true;
    }

    char *w[5];
    int nw = split_words(sc->lines[i], w, 5);
    size_t body = i + 1;
    if (strcmp(w[0], "statement") == 0) {
        r->kind = SLT_STATEMENT;
        if (nw >= 2 && strcmp(w[1], "ok") == 0) {
            r->expect_error = false;
        } else if (nw >= 2 && strcmp(w[1], "error") == 0) {
            r->expect_error = true;
        } else {
            r->kind = SLT_BAD;
            r->bad = "statement must be followed by ok or error";
        }
        size_t end = record_end(sc, body);
        join_sql(sc, body, end);
        r->sql = sc->sql.data;
        sc->next = end;
        return true;
    }
    if (strcmp(w[0], "query") == 0) {
        r->kind = SLT_QUERY;
        r->types = nw >= 2 ? w[1] : "";
        r->sort = SLT_NOSORT;
        if (nw >= 3) {
            if (strcmp(w[2], "rowsort") == 0) {
                r->sort = SLT_ROWSORT;
            } else if (strcmp(w[2], "valuesort") == 0) {
                r->sort = SLT_VALUESORT;
            } else if (strcmp(w[2], "nosort") != 0) {
                r->kind = SLT_BAD;
                r->bad = "unknown sort mode";
            }
        }
        r->label = nw >= 4 ? w[3] : NULL;
        if (!r->types[0] || strspn(r->types, "ITR") != strlen(r->types)) {
            r->kind = SLT_BAD;
            r->bad = "query needs column types made of I, T and R";
        }
        size_t sep = body;
        while (sep < sc->nlines && sc->lines[sep][0] != '\0' && strcmp(sc->lines[sep], "----"))
            sep++;
        join_sql(sc, body, sep);
        r->sql = sc->sql.data;
        if (sep < sc->nlines && strcmp(sc->lines[sep], "----") == 0) {
            size_t end = record_end(sc, sep + 1);
            r->expected = &sc->lines[sep + 1];
            r->nexpected = end - (sep + 1);
            sc->next = end;
        } else {
            sc->next = sep;
        }
        return true;
    }
    if (strcmp(w[0], "hash-threshold") == 0) {
        char *endp = NULL;
        r->kind = SLT_HASH_THRESHOLD;
        r->threshold = nw >= 2 ? strtol(w[1], &endp, 10) : -1;
        if (nw < 2 || *endp || r->threshold < 0) {
            r->kind = SLT_BAD;
            r->bad = "hash-threshold needs a number";
        }
        sc->next = record_end(sc, body);
        return true;
    }
    if (strcmp(w[0], "halt") == 0) {
        r->kind = SLT_HALT;
        sc->next = record_end(sc, body);
        return true;
    }
    r->kind = SLT_BAD;
    r->bad = "unknown record type";
    sc->next = record_end(sc, body);
    return true;
}
