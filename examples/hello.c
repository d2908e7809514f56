/*
 * hello — a complete Twill DB program in one file: open a database, create a table,
 * insert rows with a prepared statement and bound parameters inside a transaction,
 * and read them back. Every call's result is checked; a failure prints the message
 * and its SQLSTATE.
 *
 * Build against an installed Twill DB:
 *     cc -std=c17 hello.c $(pkg-config --cflags --libs twill) -o hello
 * Run:
 *     ./hello [URL]          (default file://./app.db; run it twice to see it grow)
 */
#include <twill/engine.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const notes[] = {
    "Hello from Twill DB",
    "Parameters are bound to $1 and $2",
    "A commit returns once it is durable",
};

/* Prints why a call on session `s` failed. */
static int report(twill_session *s, const char *what) {
    fprintf(stderr, "hello: %s: %s (SQLSTATE %s)\n", what, twill_errmsg(s), twill_sqlstate(s));
    return 1;
}

/* Inserts the notes with ids first, first+1, ... in one transaction. */
static int insert_notes(twill_session *s, int64_t first) {
    twill_stmt *ins = NULL;
    if (twill_exec(s, "BEGIN") != TWILL_OK) return report(s, "BEGIN");
    if (twill_prepare(s, "INSERT INTO notes (id, body) VALUES ($1, $2)", -1, &ins, NULL) !=
        TWILL_OK) {
        report(s, "prepare INSERT");
        goto rollback;
    }
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) {
        /* A statement is prepared once and reused: reset, bind, step. */
        if (twill_reset(ins) != TWILL_OK ||
            twill_bind_int64(ins, 1, first + (int64_t)i) != TWILL_OK ||
            twill_bind_text(ins, 2, notes[i], -1) != TWILL_OK) {
            report(s, "bind");
            goto rollback;
        }
        if (twill_step(ins) != TWILL_DONE) {
            report(s, "INSERT");
            goto rollback;
        }
    }
    twill_finalize(ins);
    /* Durable once COMMIT returns: the commit record is on disk. */
    if (twill_exec(s, "COMMIT") != TWILL_OK) return report(s, "COMMIT");
    return 0;

rollback:
    twill_finalize(ins);
    if (twill_exec(s, "ROLLBACK") != TWILL_OK) report(s, "ROLLBACK");
    return 1;
}

/* The next free id: one past the largest (max() of an empty table is NULL). */
static int next_id(twill_session *s, int64_t *out) {
    twill_stmt *st = NULL;
    if (twill_prepare(s, "SELECT max(id) FROM notes", -1, &st, NULL) != TWILL_OK)
        return report(s, "prepare SELECT max(id)");
    if (twill_step(st) != TWILL_ROW) {
        report(s, "SELECT max(id)");
        twill_finalize(st);
        return 1;
    }
    *out = twill_column_type(st, 0) == TWILL_TYPE_NULL ? 1 : twill_column_int64(st, 0) + 1;
    twill_finalize(st);
    return 0;
}

static int print_notes(twill_session *s) {
    twill_stmt *st = NULL;
    int rc;
    if (twill_prepare(s, "SELECT id, body FROM notes ORDER BY id", -1, &st, NULL) != TWILL_OK)
        return report(s, "prepare SELECT");
    while ((rc = twill_step(st)) == TWILL_ROW) {
        const char *body = twill_column_text(st, 1);
        printf("%" PRId64 "  %s\n", twill_column_int64(st, 0), body ? body : "(null)");
    }
    if (rc != TWILL_DONE) report(s, "SELECT");
    twill_finalize(st);
    return rc == TWILL_DONE ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 2 || (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))) {
        fprintf(argc > 2 ? stderr : stdout,
                "Usage: hello [URL]\n"
                "Stores three notes in the database at URL (default file://./app.db)\n"
                "and prints every note it holds.\n");
        return argc > 2 ? 2 : 0;
    }
    const char *url = argc == 2 ? argv[1] : "file://./app.db";

    twill_db *db = NULL;
    if (twill_open(url, NULL, &db) != TWILL_OK) {
        fprintf(stderr, "hello: cannot open %s: %s (SQLSTATE %s)\n", url, twill_open_errmsg(),
                twill_open_sqlstate());
        return 1;
    }
    twill_session *s = NULL;
    int rc = twill_session_open(db, &s);
    if (rc != TWILL_OK) {
        fprintf(stderr, "hello: cannot open a session: %s\n", twill_errstr(rc));
        twill_close(db);
        return 1;
    }

    int64_t first = 0;
    int failed = 0;
    if (twill_exec(s, "CREATE TABLE IF NOT EXISTS notes (id BIGINT PRIMARY KEY, body TEXT)") !=
        TWILL_OK)
        failed = report(s, "CREATE TABLE");
    if (!failed) failed = next_id(s, &first);
    if (!failed) failed = insert_notes(s, first);
    if (!failed) failed = print_notes(s);

    twill_session_close(s);
    rc = twill_close(db);
    if (rc != TWILL_OK) {
        fprintf(stderr, "hello: closing the database failed: %s\n", twill_errstr(rc));
        failed = 1;
    }
    return failed;
}
