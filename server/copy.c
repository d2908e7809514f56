/*
 * copy.c — COPY statement parser and the text/CSV data codecs (see copy.h).
 *
 * The parser works on tokens: words (lower-cased unless double-quoted), single-quoted
 * strings, and single-character punctuation. It never executes anything; the query of
 * COPY (query) TO is cut out by matching parentheses outside strings, quoted names and
 * comments, and left for the engine to parse.
 */
#include "copy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { T_END, T_WORD, T_QWORD, T_STR, T_PUNCT, T_BAD };

typedef struct lex {
    const char *p, *end;
    int type;
    char *text; /* malloc'ed value of WORD/QWORD/STR */
    char punct;
    const char *start; /* where the token began */
} lex;

static const char *skip_ws(const char *p, const char *end) {
    for (;;) {
        while (p < end && isspace((unsigned char)*p)) p++;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            while (p < end && *p != '\n') p++;
        } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
            int depth = 0; /* PostgreSQL's block comments nest */
            while (p < end) {
                if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (end - p >= 2 && p[0] == '*' && p[1] == '/') {
                    p += 2;
                    if (--depth == 0) break;
                } else {
                    p++;
                }
            }
        } else {
            return p;
        }
    }
}

/* Reads a quoted run closed by q (doubled q stands for itself) into a new string. */
static char *read_quoted(lex *l, char q) {
    const char *p = l->p + 1;
    size_t cap = (size_t)(l->end - p) + 1, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    while (p < l->end) {
        if (*p == q) {
            if (p + 1 < l->end && p[1] == q) {
                out[n++] = q;
                p += 2;
                continue;
            }
            out[n] = 0;
            l->p = p + 1;
            return out;
        }
        out[n++] = *p++;
    }
    free(out); /* unterminated */
    return NULL;
}

static void next(lex *l) {
    free(l->text);
    l->text = NULL;
    l->p = skip_ws(l->p, l->end);
    l->start = l->p;
    if (l->p >= l->end) {
        l->type = T_END;
        return;
    }
    char ch = *l->p;
    if (ch == '"' || ch == '\'') {
        l->text = read_quoted(l, ch);
        l->type = !l->text ? T_BAD : ch == '"' ? T_QWORD : T_STR;
        return;
    }
    if (isalnum((unsigned char)ch) || ch == '_' || (unsigned char)ch >= 0x80) {
        const char *s = l->p;
        while (l->p < l->end && (isalnum((unsigned char)*l->p) || *l->p == '_' || *l->p == '$' ||
                                 (unsigned char)*l->p >= 0x80))
            l->p++;
        size_t n = (size_t)(l->p - s);
        l->text = malloc(n + 1);
        if (!l->text) {
            l->type = T_BAD;
            return;
        }
        for (size_t i = 0; i < n; i++) l->text[i] = (char)tolower((unsigned char)s[i]);
        l->text[n] = 0;
        l->type = T_WORD;
        return;
    }
    l->punct = ch;
    l->p++;
    l->type = T_PUNCT;
}

static int is_word(const lex *l, const char *w) {
    return l->type == T_WORD && !strcmp(l->text, w);
}

static int is_punct(const lex *l, char ch) {
    return l->type == T_PUNCT && l->punct == ch;
}

/* A name token (plain or quoted) as a quoted SQL identifier. */
static char *quote_ident(const char *name) {
    size_t n = strlen(name), k = 0;
    char *out = malloc(2 * n + 3);
    if (!out) return NULL;
    out[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '"') out[k++] = '"';
        out[k++] = name[i];
    }
    out[k++] = '"';
    out[k] = 0;
    return out;
}

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int tws_copy_is(const char *sql, size_t len) {
    const char *p = skip_ws(sql, sql + len);
    size_t n = (size_t)(sql + len - p);
    return n >= 4 && !strncasecmp(p, "copy", 4) &&
           (n == 4 || !(isalnum((unsigned char)p[4]) || p[4] == '_' || p[4] == '$' ||
                        (unsigned char)p[4] >= 0x80));
}

void tws_copy_free(tws_copy_stmt *cs) {
    free(cs->table);
    free(cs->label);
    free(cs->query);
    for (int i = 0; i < cs->ncols; i++) free(cs->cols[i]);
    free(cs->cols);
    free(cs->null);
    memset(cs, 0, sizeof *cs);
}

typedef struct perr {
    const char **sqlstate;
    char *err;
    size_t cap;
} perr;

static int fail(perr *e, const char *code, const char *msg, const char *arg) {
    *e->sqlstate = code;
    snprintf(e->err, e->cap, msg, arg ? arg : "");
    return -1;
}

/* A one-byte option value (DELIMITER, QUOTE, ESCAPE). */
static int one_char(perr *e, const lex *l, const char *what, char *out) {
    if (l->type != T_STR) return fail(e, "42601", "%s requires a string value", what);
    if (strlen(l->text) != 1)
        return fail(e, "0A000", "COPY %s must be a single one-byte character", what);
    if (l->text[0] == '\n' || l->text[0] == '\r')
        return fail(e, "22023", "COPY %s cannot be newline or carriage return", what);
    *out = l->text[0];
    return 0;
}

static int set_null(perr *e, tws_copy_stmt *cs, const lex *l) {
    if (l->type != T_STR) return fail(e, "42601", "NULL requires a string value", NULL);
    free(cs->null);
    cs->null = dup(l->text);
    return cs->null ? 0 : fail(e, "53200", "out of memory", NULL);
}

/* HEADER's boolean: true/false/on/off/1/0 (MATCH is PostgreSQL 15's and not here). */
static int bool_value(const lex *l, int *out) {
    if (l->type != T_WORD && l->type != T_STR) return -1;
    const char *v = l->text;
    if (!strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* One option of the parenthesized list: the name is current; leaves the lexer on the
 * token after the option. */
static int paren_option(perr *e, lex *l, tws_copy_stmt *cs) {
    if (l->type != T_WORD) return fail(e, "42601", "syntax error in COPY options", NULL);
    char name[32];
    snprintf(name, sizeof name, "%s", l->text);
    next(l);
    int has_value = !is_punct(l, ',') && !is_punct(l, ')');
    if (!strcmp(name, "format")) {
        if (!has_value || (l->type != T_WORD && l->type != T_STR))
            return fail(e, "42601", "FORMAT requires a value", NULL);
        if (!strcmp(l->text, "text"))
            cs->format = TWS_COPY_TEXT;
        else if (!strcmp(l->text, "csv"))
            cs->format = TWS_COPY_CSV;
        else if (!strcmp(l->text, "binary"))
            return fail(e, "0A000", "COPY BINARY is not supported by twill-server", NULL);
        else
            return fail(e, "22023", "COPY format \"%s\" not recognized", l->text);
    } else if (!strcmp(name, "delimiter")) {
        if (one_char(e, l, "delimiter", &cs->delim)) return -1;
    } else if (!strcmp(name, "null")) {
        if (set_null(e, cs, l)) return -1;
    } else if (!strcmp(name, "header")) {
        cs->header = 1;
        if (has_value && bool_value(l, &cs->header))
            return fail(e, "22023", "header requires a Boolean value", NULL);
        if (!has_value) return 0;
    } else if (!strcmp(name, "quote")) {
        if (one_char(e, l, "quote", &cs->quote)) return -1;
    } else if (!strcmp(name, "escape")) {
        if (one_char(e, l, "escape", &cs->escape)) return -1;
    } else if (!strcmp(name, "freeze")) {
        /* A load-time hint (pgbench -i sends it): rows are visible as usual. */
        int on = 1;
        if (has_value && bool_value(l, &on))
            return fail(e, "22023", "freeze requires a Boolean value", NULL);
        if (!has_value) return 0;
    } else if (!strcmp(name, "force_quote") || !strcmp(name, "force_not_null") ||
               !strcmp(name, "force_null")) {
        return fail(e, "0A000", "COPY option \"%s\" is not supported by twill-server", name);
    } else if (!strcmp(name, "encoding")) {
        if (l->type != T_STR || (strcasecmp(l->text, "utf8") && strcasecmp(l->text, "utf-8")))
            return fail(e, "0A000", "COPY ENCODING other than UTF8 is not supported", NULL);
    } else {
        return fail(e, "42601", "option \"%s\" not recognized", name);
    }
    next(l);
    return 0;
}

/* The pre-9.0 option keywords: [BINARY] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [CSV
 * [HEADER] [QUOTE [AS] 'c'] [ESCAPE [AS] 'c']] — psql's \copy passes them through. */
static int legacy_options(perr *e, lex *l, tws_copy_stmt *cs) {
    while (l->type == T_WORD) {
        char name[32];
        snprintf(name, sizeof name, "%s", l->text);
        next(l);
        if (!strcmp(name, "csv")) {
            cs->format = TWS_COPY_CSV;
            continue;
        }
        if (!strcmp(name, "header")) {
            cs->header = 1;
            continue;
        }
        if (!strcmp(name, "freeze")) continue;
        if (!strcmp(name, "binary"))
            return fail(e, "0A000", "COPY BINARY is not supported by twill-server", NULL);
        if (is_word(l, "as")) next(l);
        int rc;
        if (!strcmp(name, "delimiter"))
            rc = one_char(e, l, "delimiter", &cs->delim);
        else if (!strcmp(name, "null"))
            rc = set_null(e, cs, l);
        else if (!strcmp(name, "quote"))
            rc = one_char(e, l, "quote", &cs->quote);
        else if (!strcmp(name, "escape"))
            rc = one_char(e, l, "escape", &cs->escape);
        else
            return fail(e, "42601", "syntax error at or near \"%s\" in COPY", name);
        if (rc) return -1;
        next(l);
    }
    return 0;
}

/* Cuts the parenthesized query starting after '(' at l->p; leaves l after ')'. */
static int cut_query(perr *e, lex *l, tws_copy_stmt *cs) {
    const char *s = l->p, *p = l->p;
    int depth = 1;
    while (p < l->end) {
        const char *q = skip_ws(p, l->end);
        if (q != p) {
            p = q;
            continue;
        }
        char ch = *p;
        if (ch == '\'' || ch == '"') {
            for (p++; p < l->end && *p != ch; p++) {
            }
            if (p >= l->end) break;
            p++;
        } else if (ch == '(') {
            depth++;
            p++;
        } else if (ch == ')') {
            if (--depth == 0) {
                size_t n = (size_t)(p - s);
                cs->query = malloc(n + 1);
                if (!cs->query) return fail(e, "53200", "out of memory", NULL);
                memcpy(cs->query, s, n);
                cs->query[n] = 0;
                l->p = p + 1;
                next(l);
                return 0;
            }
            p++;
        } else {
            p++;
        }
    }
    return fail(e, "42601", "unterminated query in COPY", NULL);
}

static int parse(perr *e, lex *l, tws_copy_stmt *cs) {
    next(l);
    if (!is_word(l, "copy")) return fail(e, "42601", "not a COPY statement", NULL);
    next(l);
    if (is_word(l, "binary"))
        return fail(e, "0A000", "COPY BINARY is not supported by twill-server", NULL);
    if (is_punct(l, '(')) {
        if (cut_query(e, l, cs)) return -1;
    } else {
        /* [schema.]table: each part plain or quoted. */
        char *parts[3];
        int np = 0;
        for (;;) {
            if ((l->type != T_WORD && l->type != T_QWORD) || np == 3) {
                for (int i = 0; i < np; i++) free(parts[i]);
                return fail(e, "42601", "syntax error in COPY: expected a table name", NULL);
            }
            parts[np++] = l->text;
            l->text = NULL;
            next(l);
            if (!is_punct(l, '.')) break;
            next(l);
        }
        size_t total = 1;
        char *q[3] = {0};
        int oom = 0;
        for (int i = 0; i < np; i++) {
            q[i] = quote_ident(parts[i]);
            oom |= !q[i];
            total += (q[i] ? strlen(q[i]) : 0) + 1;
        }
        cs->label = dup(parts[np - 1]);
        cs->table = malloc(total);
        if (oom || !cs->label || !cs->table) {
            for (int i = 0; i < np; i++) free(q[i]), free(parts[i]);
            return fail(e, "53200", "out of memory", NULL);
        }
        cs->table[0] = 0;
        for (int i = 0; i < np; i++) {
            if (i) strcat(cs->table, ".");
            strcat(cs->table, q[i]);
            free(q[i]);
            free(parts[i]);
        }
        if (is_punct(l, '(')) {
            next(l);
            for (;;) {
                if (l->type != T_WORD && l->type != T_QWORD)
                    return fail(e, "42601", "syntax error in COPY column list", NULL);
                char **nc = realloc(cs->cols, (size_t)(cs->ncols + 1) * sizeof *nc);
                if (!nc) return fail(e, "53200", "out of memory", NULL);
                cs->cols = nc;
                if (!(cs->cols[cs->ncols] = quote_ident(l->text)))
                    return fail(e, "53200", "out of memory", NULL);
                cs->ncols++;
                next(l);
                if (is_punct(l, ')')) break;
                if (!is_punct(l, ','))
                    return fail(e, "42601", "syntax error in COPY column list", NULL);
                next(l);
            }
            next(l);
        }
    }
    if (is_word(l, "from"))
        cs->from = 1;
    else if (!is_word(l, "to"))
        return fail(e, "42601", "syntax error in COPY: expected FROM or TO", NULL);
    if (cs->query && cs->from)
        return fail(e, "42601", "COPY (query) FROM is not valid: a query can only be copied TO",
                    NULL);
    next(l);
    if (l->type == T_STR || is_word(l, "program"))
        return fail(e, "0A000",
                    "COPY to or from a file or program is not supported by twill-server: use "
                    "STDIN/STDOUT (psql's \\copy)",
                    NULL);
    if (!is_word(l, cs->from ? "stdin" : "stdout"))
        return fail(e, "42601", "syntax error in COPY: expected %s", cs->from ? "STDIN" : "STDOUT");
    next(l);
    if (is_word(l, "with")) next(l);
    if (is_punct(l, '(')) {
        next(l);
        for (;;) {
            if (paren_option(e, l, cs)) return -1;
            if (is_punct(l, ')')) break;
            if (!is_punct(l, ',')) return fail(e, "42601", "syntax error in COPY options", NULL);
            next(l);
        }
        next(l);
    } else if (legacy_options(e, l, cs)) {
        return -1;
    }
    if (is_word(l, "where")) return fail(e, "0A000", "COPY FROM ... WHERE is not supported", NULL);
    if (is_punct(l, ';')) {
        cs->end = l->p;
    } else if (l->type == T_END) {
        cs->end = l->end;
    } else {
        return fail(e, "42601", "syntax error at end of COPY statement", NULL);
    }
    return 0;
}

int tws_copy_parse(const char *sql, size_t len, tws_copy_stmt *cs, const char **sqlstate, char *err,
                   size_t cap) {
    memset(cs, 0, sizeof *cs);
    cs->quote = '"';
    lex l = {.p = sql, .end = sql + len};
    perr e = {sqlstate, err, cap};
    int rc = parse(&e, &l, cs);
    free(l.text);
    if (!rc && l.type == T_BAD) rc = fail(&e, "42601", "unterminated quoted string", NULL);
    if (!rc) {
        if (!cs->delim) cs->delim = cs->format == TWS_COPY_CSV ? ',' : '\t';
        if (!cs->escape) cs->escape = cs->quote;
        if (!cs->null) cs->null = dup(cs->format == TWS_COPY_CSV ? "" : "\\N");
        if (!cs->null)
            rc = fail(&e, "53200", "out of memory", NULL);
        else if (cs->format == TWS_COPY_TEXT && (cs->delim == '\\' || isalnum(cs->delim)))
            rc = fail(&e, "22023", "COPY delimiter cannot be \"%s\"",
                      cs->delim == '\\' ? "\\" : "a letter or digit");
        else if (cs->format == TWS_COPY_CSV && cs->delim == cs->quote)
            rc = fail(&e, "22023", "COPY delimiter and quote must be different", NULL);
        else if (strchr(cs->null, cs->delim))
            rc =
                fail(&e, "22023", "COPY delimiter must not appear in the NULL specification", NULL);
    }
    if (rc) tws_copy_free(cs);
    return rc;
}

/* ---- data ---- */

size_t tws_copy_record_end(const tws_copy_stmt *cs, const char *buf, size_t n) {
    if (cs->format == TWS_COPY_TEXT) {
        const char *nl = memchr(buf, '\n', n);
        return nl ? (size_t)(nl - buf) + 1 : 0;
    }
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = buf[i];
        if (inq) {
            if (ch == cs->escape && cs->escape != cs->quote && i + 1 < n &&
                (buf[i + 1] == cs->quote || buf[i + 1] == cs->escape))
                i++;
            else if (ch == cs->quote)
                inq = 0; /* a doubled quote re-enters at once: harmless for finding ends */
        } else if (ch == cs->quote) {
            inq = 1;
        } else if (ch == '\n') {
            return i + 1;
        }
    }
    return 0;
}

int tws_copy_is_eod(const char *rec, size_t len) {
    if (len && rec[len - 1] == '\r') len--;
    return len == 2 && rec[0] == '\\' && rec[1] == '.';
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decodes the backslash escapes of one text-format field in place (PostgreSQL's
 * CopyReadAttributesText): \b \f \n \r \t \v, octal \ooo, hex \xhh, \c for c. */
static int text_unescape(char *f, char *err, size_t cap) {
    char *w = f;
    for (char *r = f; *r;) {
        if (*r != '\\' || !r[1]) {
            *w++ = *r++;
            continue;
        }
        r++;
        char ch = *r++;
        int v;
        switch (ch) {
        case 'b':
            v = '\b';
            break;
        case 'f':
            v = '\f';
            break;
        case 'n':
            v = '\n';
            break;
        case 'r':
            v = '\r';
            break;
        case 't':
            v = '\t';
            break;
        case 'v':
            v = '\v';
            break;
        case 'x':
            if (hexval(*r) < 0) {
                v = 'x';
                break;
            }
            v = hexval(*r++);
            if (hexval(*r) >= 0) v = v * 16 + hexval(*r++);
            break;
        default:
            if (ch >= '0' && ch <= '7') {
                v = ch - '0';
                for (int k = 0; k < 2 && *r >= '0' && *r <= '7'; k++) v = v * 8 + (*r++ - '0');
                v &= 0xff;
            } else {
                v = (unsigned char)ch;
            }
        }
        if (v == 0) {
            snprintf(err, cap, "invalid byte sequence for encoding \"UTF8\": 0x00");
            return -1;
        }
        *w++ = (char)v;
    }
    *w = 0;
    return 0;
}

int tws_copy_split(const tws_copy_stmt *cs, char *rec, size_t len, char **fields, int *isnull,
                   int max, char *err, size_t cap) {
    if (len && rec[len - 1] == '\r') len--;
    rec[len] = 0;
    int n = 0;
    if (memchr(rec, 0, len)) {
        /* A raw NUL would silently cut the record short below. */
        snprintf(err, cap, "invalid byte sequence for encoding \"UTF8\": 0x00");
        return -1;
    }
    if (cs->format == TWS_COPY_TEXT) {
        char *p = rec;
        for (;;) {
            /* A delimiter escaped by a backslash belongs to the field. */
            char *s = p;
            while (*p && *p != cs->delim) {
                if (*p == '\\' && p[1]) p++;
                p++;
            }
            int last = !*p;
            *p = 0;
            if (n == max) {
                snprintf(err, cap, "extra data after last expected column");
                return -1;
            }
            fields[n] = s;
            isnull[n] = !strcmp(s, cs->null);
            if (!isnull[n] && text_unescape(s, err, cap)) return -1;
            n++;
            if (last) return n;
            p++;
        }
    }
    char *r = rec, *end = rec + len;
    for (;;) {
        char *w = r, *s = r;
        int quoted = 0, inq = 0;
        while (r < end) {
            char ch = *r;
            if (inq) {
                if (ch == cs->escape && r + 1 < end &&
                    (r[1] == cs->quote || (cs->escape != cs->quote && r[1] == cs->escape))) {
                    *w++ = r[1];
                    r += 2;
                } else if (ch == cs->quote) {
                    inq = 0;
                    r++;
                } else {
                    *w++ = *r++;
                }
            } else if (ch == cs->quote) {
                inq = quoted = 1;
                r++;
            } else if (ch == cs->delim) {
                break;
            } else {
                *w++ = *r++;
            }
        }
        if (inq) {
            snprintf(err, cap, "unterminated CSV quoted field");
            return -1;
        }
        int last = r >= end;
        *w = 0;
        if (n == max) {
            snprintf(err, cap, "extra data after last expected column");
            return -1;
        }
        fields[n] = s;
        /* Only an unquoted field equal to the NULL string is NULL ("" stays empty). */
        isnull[n] = !quoted && !strcmp(s, cs->null);
        if (memchr(s, 0, (size_t)(w - s))) {
            snprintf(err, cap, "invalid byte sequence for encoding \"UTF8\": 0x00");
            return -1;
        }
        n++;
        if (last) return n;
        r++;
    }
}

void tws_buf_put(tws_buf *b, const char *s, size_t n) {
    if (b->nomem) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void put_char(tws_buf *b, char ch) {
    tws_buf_put(b, &ch, 1);
}

void tws_copy_put_field(tws_buf *b, const tws_copy_stmt *cs, const char *v, size_t n, int first) {
    if (!first) put_char(b, cs->delim);
    if (!v) {
        tws_buf_put(b, cs->null, strlen(cs->null));
        return;
    }
    if (cs->format == TWS_COPY_TEXT) {
        for (size_t i = 0; i < n; i++) {
            char ch = v[i], esc = 0;
            switch (ch) {
            case '\\':
                esc = '\\';
                break;
            case '\n':
                esc = 'n';
                break;
            case '\r':
                esc = 'r';
                break;
            case '\t':
                esc = 't';
                break;
            case '\b':
                esc = 'b';
                break;
            case '\f':
                esc = 'f';
                break;
            case '\v':
                esc = 'v';
                break;
            default:
                if (ch == cs->delim) esc = ch;
            }
            if (esc) {
                put_char(b, '\\');
                put_char(b, esc);
            } else {
                put_char(b, ch);
            }
        }
        return;
    }
    /* CSV: quote when the value could be misread — it holds the delimiter, a quote, a
     * line break, equals the NULL string, or is the end-of-data marker. */
    int need = (n == strlen(cs->null) && !memcmp(v, cs->null, n)) ||
               (n == 2 && v[0] == '\\' && v[1] == '.');
    for (size_t i = 0; i < n && !need; i++)
        need = v[i] == cs->delim || v[i] == cs->quote || v[i] == '\n' || v[i] == '\r';
    if (!need) {
        tws_buf_put(b, v, n);
        return;
    }
    put_char(b, cs->quote);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == cs->quote || v[i] == cs->escape) put_char(b, cs->escape);
        put_char(b, v[i]);
    }
    put_char(b, cs->quote);
}
