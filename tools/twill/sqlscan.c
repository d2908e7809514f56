#include "sqlscan.h"

#include <stdlib.h>
#include <string.h>

/* Character classes by hand: the C library's are locale-dependent, and PostgreSQL
 * treats every byte >= 0x80 as a letter. */
static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_ident_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

/* Letters, digits and '$' continue an identifier (foo$bar is one word). */
static int is_ident_char(unsigned char c) {
    return is_ident_start(c) || is_digit(c) || c == '$';
}

void sqlbuf_init(sqlbuf *b) {
    memset(b, 0, sizeof *b);
    b->state = SQLSCAN_NORMAL;
}

void sqlbuf_free(sqlbuf *b) {
    free(b->data);
    free(b->dollar_tag);
    sqlbuf_init(b);
}

static void restart_scan(sqlbuf *b) {
    b->scanned = 0;
    b->state = SQLSCAN_NORMAL;
    b->paren_depth = 0;
    b->comment_depth = 0;
    free(b->dollar_tag);
    b->dollar_tag = NULL;
    b->dollar_len = 0;
}

void sqlbuf_reset(sqlbuf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
    restart_scan(b);
}

int sqlbuf_append(sqlbuf *b, const char *text, size_t len) {
    if (len > (size_t)-1 - b->len - 1) return -1;
    size_t need = b->len + len + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) cap = cap > (size_t)-1 / 2 ? need : cap * 2;
        char *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, text, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int sqlbuf_next(sqlbuf *b, size_t *end) {
    const unsigned char *d = (const unsigned char *)b->data;
    size_t len = b->len, i = b->scanned;

    /* Every construct that needs to look ahead stops the scan when the lookahead is
     * not there yet ("goto more"); it is rescanned once the next line arrives. */
    while (i < len) {
        unsigned char c = d[i];
        switch (b->state) {
        case SQLSCAN_NORMAL:
            if (c == '\'') {
                int e = i > 0 && (d[i - 1] == 'e' || d[i - 1] == 'E') &&
                        (i < 2 || !is_ident_char(d[i - 2]));
                b->state = e ? SQLSCAN_ESTRING : SQLSCAN_SQUOTE;
                i++;
            } else if (c == '"') {
                b->state = SQLSCAN_DQUOTE;
                i++;
            } else if (c == '-' || c == '/') {
                if (i + 1 >= len) goto more;
                if (c == '-' && d[i + 1] == '-') {
                    b->state = SQLSCAN_LINE_COMMENT;
                    i += 2;
                } else if (c == '/' && d[i + 1] == '*') {
                    b->state = SQLSCAN_BLOCK_COMMENT;
                    b->comment_depth = 1;
                    i += 2;
                } else {
                    i++;
                }
            } else if (c == '$') {
                /* $tag$ opens a dollar quote unless it continues a word (foo$1) or
                 * is a parameter ($1). */
                if (i > 0 && is_ident_char(d[i - 1])) {
                    i++;
                    break;
                }
                size_t j = i + 1;
                if (j < len && is_ident_start(d[j])) {
                    j++;
                    while (j < len && is_ident_char(d[j]) && d[j] != '$') j++;
                }
                if (j >= len) goto more;
                if (d[j] != '$') {
                    i++;
                    break;
                }
                size_t tlen = j + 1 - i;
                char *tag = malloc(tlen);
                if (!tag) {
                    b->scanned = i;
                    return -1;
                }
                memcpy(tag, d + i, tlen);
                free(b->dollar_tag);
                b->dollar_tag = tag;
                b->dollar_len = tlen;
                b->state = SQLSCAN_DOLLAR;
                i = j + 1;
            } else if (c == '(') {
                b->paren_depth++;
                i++;
            } else if (c == ')') {
                if (b->paren_depth > 0) b->paren_depth--;
                i++;
            } else if (c == ';' && b->paren_depth == 0) {
                b->scanned = i + 1;
                *end = i + 1;
                return 1;
            } else {
                i++;
            }
            break;
        case SQLSCAN_SQUOTE:
        case SQLSCAN_ESTRING:
        case SQLSCAN_DQUOTE: {
            unsigned char q = b->state == SQLSCAN_DQUOTE ? '"' : '\'';
            if (c == '\\' && b->state == SQLSCAN_ESTRING) {
                if (i + 1 >= len) goto more;
                i += 2;
            } else if (c == q) {
                if (i + 1 >= len) goto more;
                if (d[i + 1] == q) {
                    i += 2;
                } else {
                    b->state = SQLSCAN_NORMAL;
                    i++;
                }
            } else {
                i++;
            }
            break;
        }
        case SQLSCAN_DOLLAR:
            if (c == '$') {
                if (len - i < b->dollar_len) goto more;
                if (memcmp(d + i, b->dollar_tag, b->dollar_len) == 0) {
                    i += b->dollar_len;
                    b->state = SQLSCAN_NORMAL;
                    free(b->dollar_tag);
                    b->dollar_tag = NULL;
                    b->dollar_len = 0;
                    break;
                }
            }
            i++;
            break;
        case SQLSCAN_LINE_COMMENT:
            if (c == '\n') b->state = SQLSCAN_NORMAL;
            i++;
            break;
        case SQLSCAN_BLOCK_COMMENT:
            if (c == '/' || c == '*') {
                if (i + 1 >= len) goto more;
                if (c == '/' && d[i + 1] == '*') {
                    b->comment_depth++;
                    i += 2;
                    break;
                }
                if (c == '*' && d[i + 1] == '/') {
                    if (--b->comment_depth == 0) b->state = SQLSCAN_NORMAL;
                    i += 2;
                    break;
                }
            }
            i++;
            break;
        }
    }
more:
    b->scanned = i;
    return 0;
}

void sqlbuf_consume(sqlbuf *b, size_t n) {
    if (n > b->len) n = b->len;
    while (n < b->len && is_space((unsigned char)b->data[n])) n++;
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    if (b->data) b->data[b->len] = '\0';
    restart_scan(b);
}

int sqlbuf_blank(const sqlbuf *b) {
    return sql_is_blank(b->data, b->len);
}

char sqlbuf_prompt_char(const sqlbuf *b) {
    switch (b->state) {
    case SQLSCAN_SQUOTE:
    case SQLSCAN_ESTRING:
        return '\'';
    case SQLSCAN_DQUOTE:
        return '"';
    case SQLSCAN_DOLLAR:
        return '$';
    case SQLSCAN_BLOCK_COMMENT:
        return '*';
    case SQLSCAN_NORMAL:
    case SQLSCAN_LINE_COMMENT:
        break;
    }
    if (b->paren_depth > 0) return '(';
    return sqlbuf_blank(b) ? '=' : '-';
}

/* ---- one-shot tokenizer over a complete statement ---- */

typedef enum { TOK_END, TOK_WORD, TOK_OPEN, TOK_CLOSE, TOK_OTHER } tok_kind;

/* Skips whitespace and comments from *pos; 1 if something else follows. */
static int skip_blank(const unsigned char *s, size_t len, size_t *pos) {
    size_t i = *pos;
    for (;;) {
        while (i < len && is_space(s[i])) i++;
        if (i + 1 < len && s[i] == '-' && s[i + 1] == '-') {
            while (i < len && s[i] != '\n') i++;
        } else if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
            int depth = 1;
            i += 2;
            while (i < len && depth > 0) {
                if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (i + 1 < len && s[i] == '*' && s[i + 1] == '/') {
                    depth--;
                    i += 2;
                } else {
                    i++;
                }
            }
        } else {
            break;
        }
    }
    *pos = i;
    return i < len;
}

/* Skips a quoted token starting at s[i] (the opening quote) and returns the index
 * after it (or len when it is unterminated). */
static size_t skip_quoted(const unsigned char *s, size_t len, size_t i, unsigned char q,
                          int backslash) {
    i++;
    while (i < len) {
        if (backslash && s[i] == '\\') {
            i += 2;
        } else if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i++;
        }
    }
    return len;
}

static tok_kind next_token(const unsigned char *s, size_t len, size_t *pos, size_t *start) {
    if (!skip_blank(s, len, pos)) return TOK_END;
    size_t i = *pos;
    *start = i;
    unsigned char c = s[i];
    if ((c == 'e' || c == 'E') && i + 1 < len && s[i + 1] == '\'') {
        *pos = skip_quoted(s, len, i + 1, '\'', 1);
        return TOK_OTHER;
    }
    if (is_ident_start(c)) {
        while (i < len && is_ident_char(s[i])) i++;
        *pos = i;
        return TOK_WORD;
    }
    if (c == '\'' || c == '"') {
        *pos = skip_quoted(s, len, i, c, 0);
        return TOK_OTHER;
    }
    if (c == '$' && i + 1 < len && (s[i + 1] == '$' || is_ident_start(s[i + 1]))) {
        size_t j = i + 1;
        while (j < len && is_ident_char(s[j]) && s[j] != '$') j++;
        if (j < len && s[j] == '$') {
            size_t tlen = j + 1 - i;
            size_t k = j + 1;
            while (k + tlen <= len && memcmp(s + k, s + i, tlen) != 0) k++;
            *pos = k + tlen <= len ? k + tlen : len;
            return TOK_OTHER;
        }
    }
    *pos = i + 1;
    if (c == '(') return TOK_OPEN;
    if (c == ')') return TOK_CLOSE;
    return TOK_OTHER;
}

int sql_is_blank(const char *sql, size_t len) {
    size_t pos = 0;
    return !sql || !skip_blank((const unsigned char *)sql, len, &pos);
}

int sql_top_words(const char *sql, size_t len, char (*words)[SQL_WORD_MAX], int max) {
    const unsigned char *s = (const unsigned char *)sql;
    size_t pos = 0, start = 0;
    int depth = 0, n = 0;
    tok_kind k;
    while (n < max && (k = next_token(s, len, &pos, &start)) != TOK_END) {
        if (k == TOK_OPEN) {
            depth++;
        } else if (k == TOK_CLOSE) {
            if (depth > 0) depth--;
        } else if (k == TOK_WORD && depth == 0) {
            size_t wl = pos - start;
            if (wl > SQL_WORD_MAX - 1) wl = SQL_WORD_MAX - 1;
            for (size_t j = 0; j < wl; j++) {
                unsigned char c = s[start + j];
                words[n][j] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
            }
            words[n][wl] = '\0';
            n++;
        }
    }
    return n;
}
