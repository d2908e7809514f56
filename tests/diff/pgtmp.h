/*
 * pgtmp.h — a throwaway PostgreSQL cluster for the differential test: initdb in a
 * temporary directory, started with pg_ctl on 127.0.0.1 and a free port, stopped and
 * removed at the end (also when the program dies of a signal or calls exit()).
 *
 * PostgreSQL refuses to run as root. When the calling process is root, every
 * PostgreSQL program runs through setpriv(1) as an unprivileged user (by default
 * "postgres", which Debian's postgresql-common creates, else "nobody"), and the
 * temporary directory is handed to that user.
 */
#ifndef TWILL_DIFF_PGTMP_H
#define TWILL_DIFF_PGTMP_H

#include <stddef.h>

typedef struct pgtmp_opts {
    const char *bindir; /* initdb, pg_ctl, postgres */
    const char *user;   /* run as this user when root; NULL: postgres, else nobody */
    int keep;           /* leave the (stopped) cluster's directory in place */
} pgtmp_opts;

/* Creates `root` (an empty temp directory the caller may also use for its own files),
 * initializes a cluster in root/pg and starts it. On success fills `conninfo` (a libpq
 * connection string) and returns 0; on failure writes a message — with the tail of the
 * PostgreSQL logs — to `err` and returns -1, having cleaned up. Only one cluster per
 * process. */
int pgtmp_start(const pgtmp_opts *o, char *root, size_t rootcap, char *conninfo,
                size_t conninfo_cap, char *err, size_t errcap);

/* Stops the server (immediate mode: it holds nothing worth keeping) and removes the
 * directory unless opts.keep. Idempotent; also runs from atexit and fatal signals. */
void pgtmp_stop(void);

#endif
