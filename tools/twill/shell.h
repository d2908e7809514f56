/*
 * shell.h — state shared by the twill shell's modules.
 */
#ifndef TWILL_SHELL_H
#define TWILL_SHELL_H

#include <twill/engine.h>

#include <stddef.h>

/* Exit codes, as documented in --help. */
#define SHELL_EXIT_OK 0
#define SHELL_EXIT_SQL 1   /* a statement or meta-command failed */
#define SHELL_EXIT_FATAL 2 /* bad usage, the database would not open, out of memory */

typedef struct shell {
    twill_db *db;
    twill_session *sess;
    int interactive;   /* reading from a terminal: errors never end the session */
    int quiet;         /* no banner, no command tags */
    int timing;        /* \timing: print each statement's elapsed time */
    int stop_on_error; /* --on-error=stop (the default outside interactive mode) */
    int errors;        /* statements and meta-commands that failed */
    int fatal;         /* out of memory or broken output: stop everything */
    int quit;          /* \q */
    const char *src;   /* input name for error prefixes ("<stdin>", a file), or NULL */
    long line;         /* current line of src */
} shell;

/*
 * Runs every statement of sql[0..len) in turn and prints each result (a table, a
 * command tag, the timing). Returns 0 when all succeeded; -1 after the first failure,
 * which has been reported on stderr and counted in sh->errors (or sets sh->fatal).
 */
int shell_run_sql(shell *sh, const char *sql, size_t len);

/* Prints "twill:SRC:LINE: " (when reading a file or stdin) and the formatted message
 * to stderr, after flushing stdout so that the two streams interleave in order. */
void shell_report(const shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* psql's describe commands: \d [NAME], \dt, \di, \dv, \ds [NAME] (describe.c).
 * Returns 0 on success, -1 after reporting a failure, 1 if cmd is not one of them. */
int shell_describe(shell *sh, const char *cmd, const char *arg);

/* Reports running out of memory and marks the shell fatally failed. */
void shell_oom(shell *sh);

#endif
