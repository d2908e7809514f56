/*
 * guc.h — session parameters ("GUCs") of one connection: SET / SET LOCAL / RESET /
 * SHOW as PostgreSQL clients use them, answered by the server because the SQL layer
 * has no settings of its own.
 *
 * Contract:
 *  - Names are case-insensitive; each parameter has PostgreSQL's canonical spelling
 *    (SHOW's column name, ParameterStatus's key). An unknown name is 42704; a name
 *    with a dot is a custom parameter and is accepted, as PostgreSQL does.
 *  - Values are checked the way PostgreSQL checks them (booleans, integers with their
 *    units, enums), normalised, and stored as text. A value the engine cannot honour
 *    (client_encoding other than UTF8, standard_conforming_strings off, bytea_output
 *    escape) is refused rather than silently ignored.
 *  - Parameters PostgreSQL reports (GUC_REPORT) are queued when their value changes;
 *    the connection sends them as ParameterStatus after the statement.
 *  - Settings are transactional, as in PostgreSQL: SET LOCAL lasts until the block
 *    ends, and every SET or RESET made inside a block that rolls back is undone
 *    (tws_guc_txn_end). Custom (dotted) parameters are not transactional.
 *  - Single-threaded: used only by its connection's thread.
 */
#ifndef TWS_GUC_H
#define TWS_GUC_H

#include <stddef.h>

typedef struct tws_gucs tws_gucs;

enum { TWS_GUC_NONE = 0, TWS_GUC_SET, TWS_GUC_SHOW, TWS_GUC_RESET };

/* One parsed SET / SHOW / RESET statement. */
typedef struct tws_guc_cmd {
    int kind;        /* TWS_GUC_* */
    int local;       /* SET LOCAL */
    int all;         /* SHOW ALL / RESET ALL */
    char name[128];  /* as written, lower-cased */
    char *value;     /* SET's value (malloc'ed); NULL for DEFAULT */
    const char *end; /* text after the statement (past its ';') */
} tws_guc_cmd;

/* Parses the statement at sql[0..len). Returns 0 if it is not a SET/SHOW/RESET the
 * server answers (e.g. SET TRANSACTION: the engine's), 1 on success (free with
 * tws_guc_cmd_free), -1 for a syntax error (message in err, SQLSTATE 42601). */
int tws_guc_parse(const char *sql, size_t len, tws_guc_cmd *cmd, char *err, size_t cap);
void tws_guc_cmd_free(tws_guc_cmd *cmd);

/* A session's parameters with their defaults; server_version etc. are fixed. */
tws_gucs *tws_guc_new(const char *user, const char *server_version, int idle_tx_timeout_ms,
                      int max_connections);
void tws_guc_free(tws_gucs *g);

/* Flags of tws_guc_set. */
#define TWS_GUC_LOCAL 1    /* SET LOCAL: the old value returns when the block ends */
#define TWS_GUC_STARTUP 2  /* a StartupMessage parameter: also the session default */
#define TWS_GUC_IN_BLOCK 4 /* inside a transaction block: undone if it rolls back */

/* Sets name to value (NULL: back to the session default), per `flags`. Returns 0, or
 * -1 with *sqlstate and err set. */
int tws_guc_set(tws_gucs *g, const char *name, const char *value, int flags, const char **sqlstate,
                char *err, size_t cap);
/* RESET ALL: every settable parameter back to its session default. */
void tws_guc_reset_all(tws_gucs *g, int in_block);
/* The end of a transaction block: SET LOCAL values are undone, and with committed ==
 * 0 every change made in the block. */
void tws_guc_txn_end(tws_gucs *g, int committed);

/* The value of name, or NULL if unknown; *canon receives the canonical name. */
const char *tws_guc_get(const tws_gucs *g, const char *name, const char **canon);
/* The parameters in SHOW ALL order: 0 past the end. */
int tws_guc_at(const tws_gucs *g, int i, const char **name, const char **value, const char **desc);
/* An integer parameter's value in milliseconds (statement_timeout, ...). */
int tws_guc_ms(const tws_gucs *g, const char *name);

/* Pops one pending report (a GUC_REPORT parameter whose value changed): 1 and its
 * canonical name and value, or 0 when none is pending. With `all`, queues every
 * reported parameter first (the ParameterStatus burst after authentication). */
int tws_guc_report(tws_gucs *g, int all, const char **name, const char **value);

#endif
