/*
 * guc.c — session parameters (see guc.h).
 *
 * The table below is the whole list: what clients set on connect or read back, and
 * the read-only facts they SHOW. Values live as normalised text because that is what
 * SHOW and ParameterStatus send; the few the server acts on (statement_timeout,
 * idle_in_transaction_session_timeout) are read back as milliseconds.
 */
#include "guc.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { F_REPORT = 1, F_RO = 2 };
enum { K_STR, K_BOOL, K_INT, K_MS, K_ENUM, K_ENC, K_DATESTYLE, K_TZ, K_ON_ONLY, K_HEX_ONLY };

static const char *const isolation_levels[] = {"serializable", "repeatable read", "read committed",
                                               "read uncommitted", NULL};
static const char *const interval_styles[] = {"postgres", "postgres_verbose", "sql_standard",
                                              "iso_8601", NULL};
static const char *const message_levels[] = {"debug5", "debug4", "debug3",  "debug2", "debug1",
                                             "log",    "notice", "warning", "error",  NULL};
static const char *const sync_commit[] = {"local", "remote_write", "remote_apply",
                                          "on",    "off",          NULL};

typedef struct def {
    const char *name; /* canonical spelling */
    const char *dflt; /* NULL: filled in by tws_guc_new */
    int flags;
    int kind;
    long min, max;             /* K_INT, K_MS */
    const char *const *values; /* K_ENUM */
    const char *desc;
} def;

/* Sorted by name (SHOW ALL lists them in this order). */
static const def defs[] = {
    {"application_name", "", F_REPORT, K_STR, 0, 0, NULL, "Sets the application name."},
    {"block_size", "8192", F_RO, K_STR, 0, 0, NULL, "Shows the size of a disk block."},
    {"bytea_output", "hex", 0, K_HEX_ONLY, 0, 0, NULL, "Sets the output format for bytea."},
    {"client_encoding", "UTF8", F_REPORT, K_ENC, 0, 0, NULL,
     "Sets the client's character set encoding (UTF8 only)."},
    {"client_min_messages", "notice", 0, K_ENUM, 0, 0, message_levels,
     "Sets the message levels that are sent to the client."},
    {"DateStyle", "ISO, MDY", F_REPORT, K_DATESTYLE, 0, 0, NULL,
     "Sets the display format for date and time values."},
    {"default_transaction_isolation", "read committed", 0, K_ENUM, 0, 0, isolation_levels,
     "Sets the transaction isolation level of each new transaction."},
    {"default_transaction_read_only", "off", F_REPORT, K_BOOL, 0, 0, NULL,
     "Sets the default read-only status of new transactions."},
    {"extra_float_digits", "1", 0, K_INT, -15, 3, NULL,
     "Sets the number of digits displayed for floating-point values."},
    {"idle_in_transaction_session_timeout", NULL, 0, K_MS, 0, INT_MAX, NULL,
     "Sets the maximum allowed idle time between queries, when in a transaction."},
    {"in_hot_standby", "off", F_REPORT | F_RO, K_STR, 0, 0, NULL,
     "Shows whether hot standby is currently active."},
    {"integer_datetimes", "on", F_REPORT | F_RO, K_STR, 0, 0, NULL,
     "Shows whether datetimes are integer based."},
    {"IntervalStyle", "postgres", F_REPORT, K_ENUM, 0, 0, interval_styles,
     "Sets the display format for interval values."},
    {"is_superuser", "on", F_REPORT | F_RO, K_STR, 0, 0, NULL,
     "Shows whether the current user is a superuser."},
    {"lc_messages", "C", 0, K_STR, 0, 0, NULL,
     "Sets the language in which messages are displayed."},
    {"lc_monetary", "C", 0, K_STR, 0, 0, NULL, "Sets the locale for formatting monetary amounts."},
    {"lc_numeric", "C", 0, K_STR, 0, 0, NULL, "Sets the locale for formatting numbers."},
    {"lc_time", "C", 0, K_STR, 0, 0, NULL, "Sets the locale for formatting date and time values."},
    {"lock_timeout", "0", 0, K_MS, 0, INT_MAX, NULL,
     "Sets the maximum allowed duration of any wait for a lock (no waits here)."},
    {"max_connections", NULL, F_RO, K_STR, 0, 0, NULL,
     "Sets the maximum number of concurrent connections."},
    {"max_identifier_length", "63", F_RO, K_STR, 0, 0, NULL,
     "Shows the maximum identifier length."},
    {"search_path", "\"$user\", public", 0, K_STR, 0, 0, NULL,
     "Sets the schema search order for names that are not schema-qualified."},
    {"server_encoding", "UTF8", F_REPORT | F_RO, K_STR, 0, 0, NULL,
     "Shows the server (database) character set encoding."},
    {"server_version", NULL, F_REPORT | F_RO, K_STR, 0, 0, NULL, "Shows the server version."},
    {"server_version_num", "150000", F_RO, K_STR, 0, 0, NULL,
     "Shows the server version as an integer."},
    {"session_authorization", NULL, F_REPORT | F_RO, K_STR, 0, 0, NULL,
     "Sets the session user name."},
    {"standard_conforming_strings", "on", F_REPORT, K_ON_ONLY, 0, 0, NULL,
     "Causes '...' strings to treat backslashes literally."},
    {"statement_timeout", "0", 0, K_MS, 0, INT_MAX, NULL,
     "Sets the maximum allowed duration of any statement."},
    {"synchronous_commit", "on", 0, K_ENUM, 0, 0, sync_commit,
     "Sets the current transaction's synchronization level (commits are always durable)."},
    {"TimeZone", "UTC", F_REPORT, K_TZ, 0, 0, NULL,
     "Sets the time zone for displaying and interpreting time stamps."},
    {"transaction_isolation", "read committed", F_RO, K_STR, 0, 0, NULL,
     "Shows the current transaction's isolation level."},
    {"transaction_read_only", "off", F_RO, K_STR, 0, 0, NULL,
     "Shows whether the current transaction is read-only."},
};
#define NDEFS ((int)(sizeof defs / sizeof defs[0]))

typedef struct custom {
    char *name, *value;
    struct custom *next;
} custom;

struct tws_gucs {
    char *val[NDEFS];
    char *reset[NDEFS];  /* the session default (startup packet or built-in) */
    char *saved[NDEFS];  /* the value before SET LOCAL; NULL when none */
    char *before[NDEFS]; /* the value before the block's first change; NULL when none */
    int pending[NDEFS];  /* a report is due */
    custom *customs;
};

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int find(const char *name) {
    for (int i = 0; i < NDEFS; i++)
        if (!strcasecmp(defs[i].name, name)) return i;
    return -1;
}

/* ---- values ---- */

static int bad_value(const char **st, char *err, size_t cap, const char *name, const char *v) {
    *st = "22023";
    snprintf(err, cap, "invalid value for parameter \"%s\": \"%.200s\"", name, v);
    return -1;
}

static int parse_bool(const char *v, int *out) {
    static const char *const on[] = {"on", "true", "yes", "1", "t", "y", "tr", "tru", "ye", NULL};
    static const char *const off[] = {"off", "false", "no",  "0",    "f",
                                      "n",   "fa",    "fal", "fals", NULL};
    for (int i = 0; on[i]; i++)
        if (!strcasecmp(v, on[i])) return *out = 1, 0;
    for (int i = 0; off[i]; i++)
        if (!strcasecmp(v, off[i])) return *out = 0, 0;
    return -1;
}

/* Milliseconds with PostgreSQL's time units (no unit: milliseconds). */
static int parse_ms(const char *v, long long *out) {
    char *end;
    while (isspace((unsigned char)*v)) v++;
    if (!*v) return -1;
    double d = strtod(v, &end);
    if (end == v) return -1;
    while (isspace((unsigned char)*end)) end++;
    static const struct {
        const char *u;
        double mul;
    } units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].u)) {
            double ms = d * units[i].mul + (d >= 0 ? 0.5 : -0.5);
            if (ms > (double)LLONG_MAX / 2 || ms < -(double)LLONG_MAX / 2) return -1;
            *out = (long long)ms;
            return 0;
        }
    return -1;
}

/* SHOW's form of a duration: the largest unit that divides it, as PostgreSQL prints. */
static void format_ms(long long ms, char *out, size_t cap) {
    static const struct {
        const char *u;
        long long div;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}};
    if (ms == 0) {
        snprintf(out, cap, "0");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].div == 0) {
            snprintf(out, cap, "%lld%s", ms / units[i].div, units[i].u);
            return;
        }
    snprintf(out, cap, "%lldms", ms);
}

/* Encoding names compare as PostgreSQL does: case and punctuation ignored. */
static int enc_eq(const char *a, const char *b) {
    for (;;) {
        while (*a && !isalnum((unsigned char)*a)) a++;
        while (*b && !isalnum((unsigned char)*b)) b++;
        if (!*a || !*b) return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
        a++, b++;
    }
}

static int check_encoding(const char *v, const char **st, char *err, size_t cap) {
    if (enc_eq(v, "UTF8") || enc_eq(v, "unicode")) return 0;
    static const char *const known[] = {
        "SQL_ASCII",  "LATIN1",         "LATIN2",     "LATIN3",  "LATIN4",        "LATIN5",
        "LATIN6",     "LATIN7",         "LATIN8",     "LATIN9",  "LATIN10",       "WIN1250",
        "WIN1251",    "WIN1252",        "WIN1253",    "WIN1254", "WIN1255",       "WIN1256",
        "WIN1257",    "WIN1258",        "WIN866",     "WIN874",  "KOI8R",         "KOI8U",
        "EUC_JP",     "EUC_CN",         "EUC_KR",     "EUC_TW",  "EUC_JIS_2004",  "ISO_8859_5",
        "ISO_8859_6", "ISO_8859_7",     "ISO_8859_8", "BIG5",    "GBK",           "GB18030",
        "SJIS",       "SHIFT_JIS_2004", "UHC",        "JOHAB",   "MULE_INTERNAL", NULL};
    for (int i = 0; known[i]; i++)
        if (enc_eq(v, known[i])) {
            *st = "0A000";
            snprintf(err, cap, "conversion between %s and UTF8 is not supported by twill-server",
                     known[i]);
            return -1;
        }
    return bad_value(st, err, cap, "client_encoding", v);
}

/* DateStyle: an output style and/or a field order, e.g. "iso, mdy", "German". */
static int norm_datestyle(const char *cur, const char *v, char *out, size_t cap) {
    char style[16], order[8];
    if (sscanf(cur, "%15[^,], %7s", style, order) != 2) {
        snprintf(style, sizeof style, "ISO");
        snprintf(order, sizeof order, "MDY");
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    int nstyle = 0, norder = 0;
    for (char *save, *tok = strtok_r(buf, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (!strcasecmp(tok, "iso"))
            snprintf(style, sizeof style, "ISO"), nstyle++;
        else if (!strcasecmp(tok, "sql"))
            snprintf(style, sizeof style, "SQL"), nstyle++;
        else if (!strcasecmp(tok, "postgres"))
            snprintf(style, sizeof style, "Postgres"), nstyle++;
        else if (!strcasecmp(tok, "german"))
            snprintf(style, sizeof style, "German"), nstyle++;
        else if (!strcasecmp(tok, "ymd"))
            snprintf(order, sizeof order, "YMD"), norder++;
        else if (!strcasecmp(tok, "dmy") || !strcasecmp(tok, "euro") ||
                 !strcasecmp(tok, "european"))
            snprintf(order, sizeof order, "DMY"), norder++;
        else if (!strcasecmp(tok, "mdy") || !strcasecmp(tok, "us") || !strcasecmp(tok, "noneuro") ||
                 !strcasecmp(tok, "noneuropean"))
            snprintf(order, sizeof order, "MDY"), norder++;
        else
            return -1;
    }
    if (nstyle > 1 || norder > 1 || nstyle + norder == 0) return -1;
    snprintf(out, cap, "%s, %s", style, order);
    return 0;
}

/* Time zone names and offsets are stored as given: no date/time type uses them yet. */
static int check_tz(const char *v) {
    if (!*v || strlen(v) > 64) return -1;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_+-:.", *p)) return -1;
    return 0;
}

/* Checks v for parameter i and writes its normalised form to out. */
static int normalise(const tws_gucs *g, int i, const char *v, char *out, size_t cap,
                     const char **st, char *err, size_t ecap) {
    const def *d = &defs[i];
    int b;
    long long ms;
    switch (d->kind) {
    case K_BOOL:
    case K_ON_ONLY:
        if (parse_bool(v, &b)) {
            *st = "22023";
            snprintf(err, ecap, "parameter \"%s\" requires a Boolean value", d->name);
            return -1;
        }
        if (d->kind == K_ON_ONLY && !b) {
            *st = "0A000";
            snprintf(err, ecap, "%s = off is not supported: string literals are always standard",
                     d->name);
            return -1;
        }
        snprintf(out, cap, "%s", b ? "on" : "off");
        return 0;
    case K_INT:
    case K_MS: {
        if (parse_ms(v, &ms) || (d->kind == K_INT && strspn(v, "+-0123456789 ") != strlen(v))) {
            *st = "22023";
            snprintf(err, ecap, "invalid value for parameter \"%s\": \"%.200s\"", d->name, v);
            return -1;
        }
        if (ms < d->min || ms > d->max) {
            *st = "22023";
            snprintf(err, ecap,
                     "%lld%s is outside the valid range for parameter \"%s\" (%ld .. %ld)", ms,
                     d->kind == K_MS ? " ms" : "", d->name, d->min, d->max);
            return -1;
        }
        if (d->kind == K_MS)
            format_ms(ms, out, cap);
        else
            snprintf(out, cap, "%lld", ms);
        return 0;
    }
    case K_ENUM:
        for (int k = 0; d->values[k]; k++)
            if (!strcasecmp(v, d->values[k])) {
                snprintf(out, cap, "%s", d->values[k]);
                return 0;
            }
        return bad_value(st, err, ecap, d->name, v);
    case K_ENC:
        if (check_encoding(v, st, err, ecap)) return -1;
        snprintf(out, cap, "UTF8");
        return 0;
    case K_DATESTYLE:
        if (norm_datestyle(g->val[i], v, out, cap)) return bad_value(st, err, ecap, d->name, v);
        return 0;
    case K_TZ:
        if (check_tz(v)) return bad_value(st, err, ecap, d->name, v);
        snprintf(out, cap, "%s", v);
        return 0;
    case K_HEX_ONLY:
        if (!strcasecmp(v, "hex")) {
            snprintf(out, cap, "hex");
            return 0;
        }
        if (!strcasecmp(v, "escape")) {
            *st = "0A000";
            snprintf(err, ecap, "bytea_output = escape is not supported: bytea is sent as hex");
            return -1;
        }
        return bad_value(st, err, ecap, d->name, v);
    default:
        snprintf(out, cap, "%s", v);
        return 0;
    }
}

/* ---- state ---- */

tws_gucs *tws_guc_new(const char *user, const char *server_version, int idle_tx_timeout_ms,
                      int max_connections) {
    tws_gucs *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    char idle[32], maxc[32];
    format_ms(idle_tx_timeout_ms > 0 ? idle_tx_timeout_ms : 0, idle, sizeof idle);
    snprintf(maxc, sizeof maxc, "%d", max_connections);
    for (int i = 0; i < NDEFS; i++) {
        const char *v = defs[i].dflt;
        if (!strcmp(defs[i].name, "server_version")) v = server_version;
        if (!strcmp(defs[i].name, "session_authorization")) v = user;
        if (!strcmp(defs[i].name, "idle_in_transaction_session_timeout")) v = idle;
        if (!strcmp(defs[i].name, "max_connections")) v = maxc;
        g->val[i] = dup(v);
        g->reset[i] = dup(v);
        if (!g->val[i] || !g->reset[i]) {
            tws_guc_free(g);
            return NULL;
        }
    }
    return g;
}

void tws_guc_free(tws_gucs *g) {
    if (!g) return;
    for (int i = 0; i < NDEFS; i++) {
        free(g->val[i]);
        free(g->reset[i]);
        free(g->saved[i]);
        free(g->before[i]);
    }
    while (g->customs) {
        custom *c = g->customs;
        g->customs = c->next;
        free(c->name);
        free(c->value);
        free(c);
    }
    free(g);
}

/* Replaces parameter i's value, queueing a report if it changed. */
static int assign(tws_gucs *g, int i, const char *v) {
    if (!strcmp(g->val[i], v)) return 0;
    char *n = dup(v);
    if (!n) return -1;
    free(g->val[i]);
    g->val[i] = n;
    if (defs[i].flags & F_REPORT) g->pending[i] = 1;
    return 0;
}

static int set_custom(tws_gucs *g, const char *name, const char *v) {
    custom *c;
    for (c = g->customs; c; c = c->next)
        if (!strcasecmp(c->name, name)) break;
    char *nv = dup(v ? v : "");
    if (!nv) return -1;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c || !(c->name = dup(name))) {
            free(c);
            free(nv);
            return -1;
        }
        for (char *p = c->name; *p; p++) *p = (char)tolower((unsigned char)*p);
        c->next = g->customs;
        g->customs = c;
    }
    free(c->value);
    c->value = nv;
    return 0;
}

/* Keeps parameter i's value from before the block, the first time the block changes
 * it, so a rollback can restore it. */
static int remember(tws_gucs *g, int i, int in_block) {
    if (!in_block || g->before[i]) return 0;
    return (g->before[i] = dup(g->val[i])) ? 0 : -1;
}

int tws_guc_set(tws_gucs *g, const char *name, const char *value, int flags, const char **sqlstate,
                char *err, size_t cap) {
    int local = flags & TWS_GUC_LOCAL, startup = flags & TWS_GUC_STARTUP;
    int i = find(name);
    if (i < 0) {
        if (strchr(name, '.') && name[0] != '.' && name[strlen(name) - 1] != '.') {
            /* Custom parameters (prefix.name) hold any text, as in PostgreSQL. */
            if (!set_custom(g, name, value)) return 0;
            *sqlstate = "53200";
            snprintf(err, cap, "out of memory");
            return -1;
        }
        *sqlstate = "42704";
        snprintf(err, cap, "unrecognized configuration parameter \"%.100s\"", name);
        return -1;
    }
    if (defs[i].flags & F_RO) {
        *sqlstate = "55P02";
        snprintf(err, cap, "parameter \"%s\" cannot be changed", defs[i].name);
        return -1;
    }
    char norm[256];
    if (value) {
        if (normalise(g, i, value, norm, sizeof norm, sqlstate, err, cap)) return -1;
    } else {
        snprintf(norm, sizeof norm, "%s", g->reset[i]);
    }
    if (remember(g, i, flags & TWS_GUC_IN_BLOCK)) goto oom;
    if (local && !g->saved[i] && !(g->saved[i] = dup(g->val[i]))) goto oom;
    if (startup) {
        char *r = dup(norm);
        if (!r) goto oom;
        free(g->reset[i]);
        g->reset[i] = r;
    }
    if (!local && g->saved[i]) {
        /* A plain SET after SET LOCAL in the same block outlives the block. */
        free(g->saved[i]);
        g->saved[i] = NULL;
    }
    if (assign(g, i, norm)) goto oom;
    return 0;
oom:
    *sqlstate = "53200";
    snprintf(err, cap, "out of memory");
    return -1;
}

void tws_guc_reset_all(tws_gucs *g, int in_block) {
    for (int i = 0; i < NDEFS; i++) {
        if (defs[i].flags & F_RO) continue;
        remember(g, i, in_block);
        free(g->saved[i]);
        g->saved[i] = NULL;
        assign(g, i, g->reset[i]);
    }
}

void tws_guc_txn_end(tws_gucs *g, int committed) {
    for (int i = 0; i < NDEFS; i++) {
        const char *back = !committed && g->before[i] ? g->before[i] : g->saved[i];
        if (back) assign(g, i, back);
        free(g->saved[i]);
        free(g->before[i]);
        g->saved[i] = g->before[i] = NULL;
    }
}

/* The value of parameter i. transaction_isolation shows the level new transactions
 * get (default_transaction_isolation): the engine does not tell the server the level
 * of a block begun with BEGIN ISOLATION LEVEL or SET TRANSACTION. */
static const char *value_at(const tws_gucs *g, int i) {
    if (!strcmp(defs[i].name, "transaction_isolation")) {
        int d = find("default_transaction_isolation");
        if (d >= 0) return g->val[d];
    }
    return g->val[i];
}

const char *tws_guc_get(const tws_gucs *g, const char *name, const char **canon) {
    int i = find(name);
    if (i >= 0) {
        *canon = defs[i].name;
        return value_at(g, i);
    }
    for (custom *c = g->customs; c; c = c->next)
        if (!strcasecmp(c->name, name)) {
            *canon = c->name;
            return c->value;
        }
    return NULL;
}

int tws_guc_at(const tws_gucs *g, int i, const char **name, const char **value, const char **desc) {
    if (i < 0 || i >= NDEFS) return 0;
    *name = defs[i].name;
    *value = value_at(g, i);
    *desc = defs[i].desc;
    return 1;
}

int tws_guc_ms(const tws_gucs *g, const char *name) {
    int i = find(name);
    long long ms = 0;
    if (i < 0 || parse_ms(g->val[i], &ms) || ms < 0) return 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int tws_guc_report(tws_gucs *g, int all, const char **name, const char **value) {
    if (all)
        for (int i = 0; i < NDEFS; i++)
            if (defs[i].flags & F_REPORT) g->pending[i] = 1;
    for (int i = 0; i < NDEFS; i++)
        if (g->pending[i]) {
            g->pending[i] = 0;
            *name = defs[i].name;
            *value = g->val[i];
            return 1;
        }
    return 0;
}

/* ---- statements ---- */

enum { T_END, T_WORD, T_QWORD, T_STR, T_NUM, T_PUNCT, T_BAD };

typedef struct tok {
    int type;
    char text[256]; /* lower-cased for T_WORD; truncated values are refused */
    char punct;
} tok;

static const char *skip_ws(const char *p, const char *end) {
    for (;;) {
        while (p < end && isspace((unsigned char)*p)) p++;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            while (p < end && *p != '\n') p++;
        } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
            int depth = 0; /* block comments nest */
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

/* Reads one token at *pp; advances it. */
static void lex(const char **pp, const char *end, tok *t) {
    const char *p = skip_ws(*pp, end);
    size_t n = 0;
    t->text[0] = 0;
    if (p >= end) {
        t->type = T_END;
        *pp = p;
        return;
    }
    char ch = *p;
    /* E'...' strings take backslash escapes; the plain form does not. */
    int estr = (ch == 'e' || ch == 'E') && p + 1 < end && p[1] == '\'';
    if (ch == '\'' || ch == '"' || estr) {
        if (estr) p++;
        char q = *p++;
        t->type = q == '"' ? T_QWORD : T_STR;
        for (;;) {
            if (p >= end || n + 1 >= sizeof t->text) {
                t->type = T_BAD;
                *pp = end;
                return;
            }
            if (estr && *p == '\\' && p + 1 < end) {
                char e = p[1];
                t->text[n++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                p += 2;
                continue;
            }
            if (*p == q) {
                if (p + 1 < end && p[1] == q) {
                    t->text[n++] = q;
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            t->text[n++] = *p++;
        }
        t->text[n] = 0;
        *pp = p;
        return;
    }
    if (isdigit((unsigned char)ch) || ((ch == '-' || ch == '+' || ch == '.') && p + 1 < end &&
                                       (isdigit((unsigned char)p[1]) || p[1] == '.'))) {
        t->type = T_NUM;
        while (p < end && n + 1 < sizeof t->text &&
               (isalnum((unsigned char)*p) || *p == '.' || ((*p == '-' || *p == '+') && n == 0)))
            t->text[n++] = *p++;
        t->text[n] = 0;
        *pp = p;
        return;
    }
    if (isalpha((unsigned char)ch) || ch == '_' || (unsigned char)ch >= 0x80) {
        t->type = T_WORD;
        while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
                           (unsigned char)*p >= 0x80)) {
            if (n + 1 >= sizeof t->text) {
                t->type = T_BAD;
                break;
            }
            t->text[n++] = (char)tolower((unsigned char)*p++);
        }
        t->text[n] = 0;
        *pp = p;
        return;
    }
    t->type = T_PUNCT;
    t->punct = ch;
    *pp = p + 1;
}

static int word(const tok *t, const char *w) {
    return t->type == T_WORD && !strcmp(t->text, w);
}

static int punct(const tok *t, char ch) {
    return t->type == T_PUNCT && t->punct == ch;
}

void tws_guc_cmd_free(tws_guc_cmd *cmd) {
    free(cmd->value);
    cmd->value = NULL;
}

static int syntax(char *err, size_t cap, const tok *t) {
    if (t->type == T_END)
        snprintf(err, cap, "syntax error at end of input");
    else if (t->type == T_PUNCT)
        snprintf(err, cap, "syntax error at or near \"%c\"", t->punct);
    else
        snprintf(err, cap, "syntax error at or near \"%.100s\"", t->text);
    return -1;
}

/* name [. name ...] into cmd->name; the first part is already in t. */
static int read_name(const char **pp, const char *end, tok *t, tws_guc_cmd *cmd, char *err,
                     size_t cap) {
    size_t n = 0;
    for (;;) {
        if (t->type != T_WORD && t->type != T_QWORD) return syntax(err, cap, t);
        size_t k = strlen(t->text);
        if (n + k + 2 > sizeof cmd->name) return syntax(err, cap, t);
        memcpy(cmd->name + n, t->text, k);
        n += k;
        cmd->name[n] = 0;
        lex(pp, end, t);
        if (!punct(t, '.')) return 0;
        cmd->name[n++] = '.';
        lex(pp, end, t);
    }
}

/* The statement must end here: ';' or the end of the text. */
static int finish(const char **pp, const char *end, const tok *t, tws_guc_cmd *cmd, char *err,
                  size_t cap) {
    if (punct(t, ';')) {
        cmd->end = *pp;
        return 1;
    }
    if (t->type == T_END) {
        cmd->end = end;
        return 1;
    }
    return syntax(err, cap, t);
}

/* value [, value ...] | DEFAULT, then the end of the statement. */
static int read_value(const char **pp, const char *end, tok *t, tws_guc_cmd *cmd, char *err,
                      size_t cap) {
    if (word(t, "default")) {
        lex(pp, end, t);
        return finish(pp, end, t, cmd, err, cap);
    }
    char buf[1024];
    size_t n = 0;
    for (;;) {
        if (t->type != T_WORD && t->type != T_QWORD && t->type != T_STR && t->type != T_NUM)
            return syntax(err, cap, t);
        /* A quoted name keeps its quotes in a list (search_path = "$user", public). */
        int q = t->type == T_QWORD;
        int k = snprintf(buf + n, sizeof buf - n, "%s%s%s%s", n ? ", " : "", q ? "\"" : "", t->text,
                         q ? "\"" : "");
        if (k < 0 || (size_t)k >= sizeof buf - n) return syntax(err, cap, t);
        n += (size_t)k;
        lex(pp, end, t);
        if (!punct(t, ',')) break;
        lex(pp, end, t);
    }
    if (!(cmd->value = dup(buf))) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    int rc = finish(pp, end, t, cmd, err, cap);
    if (rc != 1) tws_guc_cmd_free(cmd);
    return rc;
}

int tws_guc_parse(const char *sql, size_t len, tws_guc_cmd *cmd, char *err, size_t cap) {
    memset(cmd, 0, sizeof *cmd);
    const char *p = sql, *end = sql + len;
    tok t;
    lex(&p, end, &t);
    if (word(&t, "set")) {
        cmd->kind = TWS_GUC_SET;
        lex(&p, end, &t);
        if (word(&t, "session") || word(&t, "local")) {
            const char *save = p;
            tok peek;
            lex(&save, end, &peek);
            /* SET SESSION CHARACTERISTICS / AUTHORIZATION are not parameters. */
            if (word(&t, "session") &&
                (word(&peek, "characteristics") || word(&peek, "authorization")))
                return 0;
            cmd->local = word(&t, "local");
            lex(&p, end, &t);
        }
        if (word(&t, "transaction") || word(&t, "constraints") || word(&t, "role") ||
            word(&t, "session"))
            return 0; /* the engine's (or not supported there) */
        if (word(&t, "time")) {
            lex(&p, end, &t);
            if (!word(&t, "zone")) return syntax(err, cap, &t);
            snprintf(cmd->name, sizeof cmd->name, "timezone");
            lex(&p, end, &t);
            if (word(&t, "local")) {
                lex(&p, end, &t);
                return finish(&p, end, &t, cmd, err, cap);
            }
            return read_value(&p, end, &t, cmd, err, cap);
        }
        if (word(&t, "names")) {
            snprintf(cmd->name, sizeof cmd->name, "client_encoding");
            lex(&p, end, &t);
            if (t.type == T_END || punct(&t, ';')) return finish(&p, end, &t, cmd, err, cap);
            return read_value(&p, end, &t, cmd, err, cap);
        }
        if (word(&t, "schema")) {
            snprintf(cmd->name, sizeof cmd->name, "search_path");
            lex(&p, end, &t);
            if (t.type != T_STR) return syntax(err, cap, &t);
            return read_value(&p, end, &t, cmd, err, cap);
        }
        if (read_name(&p, end, &t, cmd, err, cap)) return -1;
        /* SET transaction_isolation is SET TRANSACTION ISOLATION LEVEL: the engine's. */
        if (!strcasecmp(cmd->name, "transaction_isolation")) return 0;
        if (!word(&t, "to") && !punct(&t, '=')) return syntax(err, cap, &t);
        lex(&p, end, &t);
        return read_value(&p, end, &t, cmd, err, cap);
    }
    if (word(&t, "show") || word(&t, "reset")) {
        cmd->kind = word(&t, "show") ? TWS_GUC_SHOW : TWS_GUC_RESET;
        lex(&p, end, &t);
        if (word(&t, "all")) {
            cmd->all = 1;
            lex(&p, end, &t);
            return finish(&p, end, &t, cmd, err, cap);
        }
        if (word(&t, "role") && cmd->kind == TWS_GUC_RESET) return 0; /* the engine's */
        if (word(&t, "session")) {
            lex(&p, end, &t);
            if (!word(&t, "authorization")) return syntax(err, cap, &t);
            if (cmd->kind == TWS_GUC_RESET) return 0;
            snprintf(cmd->name, sizeof cmd->name, "session_authorization");
            lex(&p, end, &t);
            return finish(&p, end, &t, cmd, err, cap);
        }
        if (word(&t, "time")) {
            lex(&p, end, &t);
            if (!word(&t, "zone")) return syntax(err, cap, &t);
            snprintf(cmd->name, sizeof cmd->name, "timezone");
            lex(&p, end, &t);
            return finish(&p, end, &t, cmd, err, cap);
        }
        /* SHOW TRANSACTION ISOLATION LEVEL / transaction_isolation: the engine knows the
         * open block's level */
        if (word(&t, "transaction") && cmd->kind == TWS_GUC_SHOW) return 0;
        if (read_name(&p, end, &t, cmd, err, cap)) return -1;
        if (cmd->kind == TWS_GUC_SHOW && !strcasecmp(cmd->name, "transaction_isolation")) return 0;
        return finish(&p, end, &t, cmd, err, cap);
    }
    return 0;
}
