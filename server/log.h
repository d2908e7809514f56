/*
 * log.h — structured log lines on stderr for twill-server.
 *
 * One line per event in logfmt (`ts=... level=... event=... key=value ...`) so that
 * operators can grep and machines can parse the same output. Lines are written with a
 * single write(2) each, so concurrent connection threads never interleave within a line.
 */
#ifndef TWS_LOG_H
#define TWS_LOG_H

enum { TWS_LOG_ERROR = 0, TWS_LOG_WARN, TWS_LOG_INFO, TWS_LOG_DEBUG };

/* Sets the threshold; events above it are dropped. Default TWS_LOG_INFO. */
void tws_log_set_level(int level);
/* Parses "error", "warn", "info", "debug"; -1 if unknown. */
int tws_log_parse_level(const char *s);
int tws_log_enabled(int level);
/* Logs `event` with extra logfmt fields given as printf-style text ("" for none). The
 * caller quotes values that may contain blanks with tws_log_quote. */
void tws_log(int level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes s as a logfmt double-quoted value (escaping quotes, backslashes and control
 * characters; cut to cap - 1 bytes) into buf. Returns buf. */
const char *tws_log_quote(const char *s, char *buf, unsigned cap);

#endif
