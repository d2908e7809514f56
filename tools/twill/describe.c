/*
 * describe.c — psql's describe meta-commands (\d, \dt, \di, \dv, \ds, \d NAME) for the
 * twill shell. Like psql, they are queries over the system catalogs (the engine's
 * pg_catalog), sent through the public C ABI; the output follows psql 15's layout.
 */
#include "shell.h"
#include "table_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qres {
    int ncols;
    size_t nrows, cap;
    char **cells; /* row-major; NULL is SQL NULL */
} qres;

static void qres_free(qres *q) {
    for (size_t i = 0; i < q->nrows * (size_t)q->ncols; i++) free(q->cells[i]);
    free(q->cells);
    memset(q, 0, sizeof *q);
}

static const char *cell(const qres *q, size_t r, int c) {
    return q->cells[r * (size_t)q->ncols + (size_t)c];
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Runs one query; 0 with its rows in *q, -1 after reporting the error. */
static int query(shell *sh, const char *sql, qres *q) {
    twill_stmt *st = NULL;
    memset(q, 0, sizeof *q);
    int rc = twill_prepare(sh->sess, sql, (int)strlen(sql), &st, NULL);
    if (rc != TWILL_OK || !st) {
        shell_report(sh, "ERROR:  %s\n", twill_errmsg(sh->sess));
        sh->errors++;
        return -1;
    }
    q->ncols = twill_column_count(st);
    if (q->ncols < 0) q->ncols = 0;
    while ((rc = twill_step(st)) == TWILL_ROW) {
        if (q->nrows == q->cap) {
            size_t nc = q->cap ? q->cap * 2 : 16;
            char **n = realloc(q->cells, nc * (size_t)(q->ncols ? q->ncols : 1) * sizeof *n);
            if (!n) goto oom;
            q->cells = n;
            q->cap = nc;
        }
        for (int j = 0; j < q->ncols; j++) {
            char **c = &q->cells[q->nrows * (size_t)q->ncols + (size_t)j];
            *c = NULL;
            if (twill_column_type(st, j) == TWILL_TYPE_NULL) continue;
            const char *t = twill_column_text(st, j);
            if (!t || !(*c = dup_str(t))) {
                for (int k = 0; k < j; k++) free(q->cells[q->nrows * (size_t)q->ncols + (size_t)k]);
                goto oom;
            }
        }
        q->nrows++;
    }
    if (rc != TWILL_DONE) {
        shell_report(sh, "ERROR:  %s\n", twill_errmsg(sh->sess));
        sh->errors++;
        twill_finalize(st);
        qres_free(q);
        return -1;
    }
    twill_finalize(st);
    return 0;
oom:
    twill_finalize(st);
    qres_free(q);
    shell_oom(sh);
    return -1;
}

/* Appends s to the SQL text as a string literal. */
static void put_literal(char *buf, size_t cap, const char *s) {
    size_t o = strlen(buf);
    if (o + 1 < cap) buf[o++] = '\'';
    for (; *s && o + 2 < cap; s++) {
        if (*s == '\'') buf[o++] = '\'';
        buf[o++] = *s;
    }
    if (o + 1 < cap) buf[o++] = '\'';
    buf[o < cap ? o : cap - 1] = '\0';
}

/* Prints q as a table under a centered title; footer: psql's "(N rows)" or none. */
static int print_table(shell *sh, const qres *q, const char *const *names, const char *title,
                       const int *right, int footer) {
    tf_table *t = tf_new(q->ncols);
    if (!t) goto oom;
    for (int j = 0; j < q->ncols; j++) {
        if (tf_set_column(t, j, names[j])) goto oom;
        if (right) tf_set_right(t, j, right[j]);
    }
    for (size_t r = 0; r < q->nrows; r++)
        if (tf_add_row(t, (const char *const *)&q->cells[r * (size_t)q->ncols])) goto oom;
    if (tf_set_title(t, title)) goto oom;
    tf_set_footer(t, footer);
    if (tf_print(t, stdout)) goto oom;
    tf_free(t);
    return 0;
oom:
    tf_free(t);
    shell_oom(sh);
    return -1;
}

/* \d, \dt, \di, \dv, \ds [NAME]: the relations of the given kinds. */
static int list_relations(shell *sh, const char *kinds, const char *name) {
    char sql[2048];
    int with_table = strchr(kinds, 'i') != NULL;
    snprintf(sql, sizeof sql,
             "SELECT n.nspname, c.relname, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN "
             "'view' WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' ELSE 'other' END, "
             "pg_get_userbyid(c.relowner)%s FROM pg_class c JOIN pg_namespace n ON n.oid = "
             "c.relnamespace%s WHERE n.nspname <> 'pg_catalog' AND n.nspname <> "
             "'information_schema' AND c.relkind IN (",
             with_table ? ", t.relname" : "",
             with_table ? " LEFT JOIN pg_index x ON x.indexrelid = c.oid LEFT JOIN pg_class t ON "
                          "t.oid = x.indrelid"
                        : "");
    for (const char *k = kinds; *k; k++) {
        size_t o = strlen(sql);
        snprintf(sql + o, sizeof sql - o, "%s'%c'", k == kinds ? "" : ", ", *k);
    }
    strncat(sql, ")", sizeof sql - strlen(sql) - 1);
    if (name) {
        strncat(sql, " AND c.relname = ", sizeof sql - strlen(sql) - 1);
        put_literal(sql, sizeof sql, name);
    }
    strncat(sql, " ORDER BY 1, 2", sizeof sql - strlen(sql) - 1);
    qres q;
    if (query(sh, sql, &q)) return -1;
    int rc = 0;
    if (!q.nrows) {
        if (name)
            shell_report(sh, "Did not find any relation named \"%s\".\n", name);
        else
            shell_report(sh, "Did not find any relations.\n");
        sh->errors++;
        rc = -1;
    } else {
        static const char *const names[] = {"Schema", "Name", "Type", "Owner", "Table"};
        rc = print_table(sh, &q, names, "List of relations", NULL, 1);
    }
    qres_free(&q);
    return rc;
}

/* The column list of an index definition: "(a, b)" at the end of pg_get_indexdef. */
static const char *index_cols(const char *def) {
    const char *p = strstr(def, " USING ");
    if (!p) return def;
    p += 7;
    return p;
}

/* \d NAME for a table or view: its columns, then (tables) indexes and constraints. */
static int describe_table(shell *sh, const char *oid, const char *nsp, const char *name, int view) {
    char sql[2048], title[600];
    snprintf(sql, sizeof sql,
             "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NULL, CASE WHEN "
             "a.attnotnull THEN 'not null' END, pg_get_expr(d.adbin, d.adrelid) FROM "
             "pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = "
             "a.attnum WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
             "a.attnum",
             oid);
    qres q;
    if (query(sh, sql, &q)) return -1;
    snprintf(title, sizeof title, "%s \"%s.%s\"", view ? "View" : "Table", nsp, name);
    static const char *const names[] = {"Column", "Type", "Collation", "Nullable", "Default"};
    int rc = print_table(sh, &q, names, title, NULL, 0);
    qres_free(&q);
    if (rc || view) {
        if (!rc) printf("\n");
        return rc;
    }
    /* indexes: the primary key first, then by name */
    snprintf(sql, sizeof sql,
             "SELECT c2.relname, i.indisprimary, i.indisunique, pg_get_indexdef(i.indexrelid), "
             "(SELECT count(*) FROM pg_constraint k WHERE k.conindid = i.indexrelid AND "
             "k.contype = 'u') FROM pg_index i JOIN pg_class c2 ON c2.oid = i.indexrelid WHERE "
             "i.indrelid = %s ORDER BY i.indisprimary DESC, c2.relname",
             oid);
    if (query(sh, sql, &q)) return -1;
    if (q.nrows) printf("Indexes:\n");
    for (size_t r = 0; r < q.nrows; r++) {
        const char *kind = !strcmp(cell(&q, r, 1), "t")   ? "PRIMARY KEY, "
                           : !strcmp(cell(&q, r, 2), "f") ? ""
                           : strcmp(cell(&q, r, 4), "0")  ? "UNIQUE CONSTRAINT, "
                                                          : "UNIQUE, ";
        printf("    \"%s\" %s%s\n", cell(&q, r, 0), kind, index_cols(cell(&q, r, 3)));
    }
    qres_free(&q);
    /* CHECK, then FOREIGN KEY constraints, then the foreign keys that reference it */
    static const struct {
        const char *head, *where;
        int referenced;
    } parts[] = {{"Check constraints:", "k.conrelid = %s AND k.contype = 'c'", 0},
                 {"Foreign-key constraints:", "k.conrelid = %s AND k.contype = 'f'", 0},
                 {"Referenced by:", "k.confrelid = %s AND k.contype = 'f'", 1}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char where[256];
        snprintf(where, sizeof where, parts[i].where, oid);
        snprintf(sql, sizeof sql,
                 "SELECT k.conname, pg_get_constraintdef(k.oid), c.relname FROM pg_constraint k "
                 "JOIN pg_class c ON c.oid = k.conrelid WHERE %s ORDER BY k.conname",
                 where);
        if (query(sh, sql, &q)) return -1;
        if (q.nrows) printf("%s\n", parts[i].head);
        for (size_t r = 0; r < q.nrows; r++) {
            if (parts[i].referenced)
                printf("    TABLE \"%s\" CONSTRAINT \"%s\" %s\n", cell(&q, r, 2), cell(&q, r, 0),
                       cell(&q, r, 1));
            else
                printf("    \"%s\" %s\n", cell(&q, r, 0), cell(&q, r, 1));
        }
        qres_free(&q);
    }
    printf("\n");
    return 0;
}

/* \d NAME for a sequence. */
static int describe_sequence(shell *sh, const char *oid, const char *nsp, const char *name) {
    char sql[1024], title[600];
    snprintf(sql, sizeof sql,
             "SELECT format_type(seqtypid, NULL), seqstart, seqmin, seqmax, seqincrement, CASE "
             "WHEN seqcycle THEN 'yes' ELSE 'no' END, seqcache FROM pg_sequence WHERE seqrelid = "
             "%s",
             oid);
    qres q;
    if (query(sh, sql, &q)) return -1;
    snprintf(title, sizeof title, "Sequence \"%s.%s\"", nsp, name);
    static const char *const names[] = {"Type",      "Start",   "Minimum", "Maximum",
                                        "Increment", "Cycles?", "Cache"};
    static const int right[] = {0, 1, 1, 1, 1, 0, 1};
    int rc = print_table(sh, &q, names, title, right, 0);
    qres_free(&q);
    if (!rc) printf("\n");
    return rc;
}

static int describe_relation(shell *sh, const char *name) {
    char sql[1024] = "SELECT c.oid, c.relkind, n.nspname, c.relname FROM pg_class c JOIN "
                     "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'pg_catalog' "
                     "AND n.nspname <> 'information_schema' AND c.relname = ";
    put_literal(sql, sizeof sql, name);
    qres q;
    if (query(sh, sql, &q)) return -1;
    int rc;
    if (!q.nrows) {
        shell_report(sh, "Did not find any relation named \"%s\".\n", name);
        sh->errors++;
        rc = -1;
    } else {
        const char *kind = cell(&q, 0, 1);
        if (!strcmp(kind, "r") || !strcmp(kind, "v"))
            rc = describe_table(sh, cell(&q, 0, 0), cell(&q, 0, 2), cell(&q, 0, 3), kind[0] == 'v');
        else if (!strcmp(kind, "S"))
            rc = describe_sequence(sh, cell(&q, 0, 0), cell(&q, 0, 2), cell(&q, 0, 3));
        else
            rc = list_relations(sh, "i", name); /* an index: its line in the list */
    }
    qres_free(&q);
    return rc;
}

int shell_describe(shell *sh, const char *cmd, const char *arg) {
    const char *name = arg && arg[0] ? arg : NULL;
    if (!strcmp(cmd, "d"))
        return name ? describe_relation(sh, name) : list_relations(sh, "rvS", NULL);
    if (!strcmp(cmd, "dt")) return list_relations(sh, "r", name);
    if (!strcmp(cmd, "di")) return list_relations(sh, "i", name);
    if (!strcmp(cmd, "dv")) return list_relations(sh, "v", name);
    if (!strcmp(cmd, "ds")) return list_relations(sh, "S", name);
    return 1; /* not a describe command */
}
