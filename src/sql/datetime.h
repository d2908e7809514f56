/*
 * datetime.h — date, timestamp and timestamptz.
 *
 * As in PostgreSQL, a date is a count of days and a timestamp a count of microseconds,
 * both since 2000-01-01 (00:00 UTC for timestamptz), carried in tw_val.i with kinds
 * VK_DATE / VK_TS / VK_TSTZ. The session time zone is always UTC, so a timestamptz and
 * a timestamp hold the same number for the same wall-clock text; only the output (the
 * "+00" suffix) and the input (an explicit zone is applied, not ignored) differ.
 * 'infinity' / '-infinity' are INT64_MAX / INT64_MIN (INT32_MAX / INT32_MIN for dates,
 * like PostgreSQL's DATEVAL_NOBEGIN/NOEND).
 *
 * Range: dates 4714-11-24 BC .. 5874897-12-31, timestamps 4714-11-24 BC .. 294276 AD,
 * PostgreSQL's limits (22008 beyond them).
 */
#ifndef TW_SQL_DATETIME_H
#define TW_SQL_DATETIME_H

#include "sql/value.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdint.h>

#define TW_USECS_PER_DAY INT64_C(86400000000)
#define TW_DATE_NOBEGIN INT32_MIN
#define TW_DATE_NOEND INT32_MAX
#define TW_TS_NOBEGIN INT64_MIN
#define TW_TS_NOEND INT64_MAX

/* Text input; kind is VK_DATE, VK_TS or VK_TSTZ. 22007 for bad syntax, 22008 for a
 * field or result out of range. */
int tw_dt_parse(const char *s, size_t n, int kind, int64_t *out, tw_err *err);
/* PostgreSQL's output with DateStyle ISO and TimeZone UTC. */
int tw_dt_out(int64_t v, int kind, tw_buf *out);
/* Converts between the three kinds (timestamp → date drops the time of day). */
int tw_dt_convert(int64_t v, int from, int to, int64_t *out, tw_err *err);
/* Orders values of two (possibly different) datetime kinds. */
int tw_dt_cmp(int64_t a, int ka, int64_t b, int kb);
/* date + n days (22008 beyond the date range; infinities stay). */
int tw_date_add(int64_t d, int64_t n, int64_t *out, tw_err *err);
/* date_part / extract of unit (text) from v of kind: the value is *micro / 10^*scale
 * (scale 0, 3 or 6); *isnull for a field of an infinity. Errors: 22023 unknown unit,
 * 0A000 a unit not supported here or a time-of-day unit of a date. */
int tw_dt_part(const char *unit, size_t n, int64_t v, int kind, int *isnull, int64_t *micro,
               int *scale, tw_err *err);
/* date_trunc(unit, v) of a timestamp(tz) (UTC). */
int tw_dt_trunc(const char *unit, size_t n, int64_t v, int kind, int64_t *out, tw_err *err);
/* interval: months, days and microseconds kept apart, as in PostgreSQL (a month is not
 * a fixed number of days, nor a day of hours across DST). */
typedef struct tw_iv {
    int32_t mon, day;
    int64_t us;
} tw_iv;

static inline tw_iv tw_iv_get(const tw_val *v) {
    return (tw_iv){v->iv_mon, v->iv_day, v->iv_us};
}
static inline void tw_iv_set(tw_val *v, tw_iv iv) {
    v->k = VK_INTERVAL;
    v->iv_mon = iv.mon;
    v->iv_day = iv.day;
    v->iv_us = iv.us;
}
/* Input: '1 day 02:03:04', '3 mons', '1 year 2 mons', '-1 days +01:00', '1.5 hours',
 * '@ 1 day ago', a bare number of seconds. 22007 bad syntax, 22008 out of range. */
int tw_iv_parse(const char *s, size_t n, tw_iv *out, tw_err *err);
/* Output in PostgreSQL's default IntervalStyle (postgres). */
int tw_iv_out(tw_iv iv, tw_buf *out);
/* The span PostgreSQL compares and orders intervals by (30-day months). */
__int128 tw_iv_span(tw_iv iv);
int tw_iv_addsub(tw_iv a, tw_iv b, int sub, tw_iv *out, tw_err *err);
/* timestamp ± interval (months first, clamping the day; then days; then time). */
int tw_ts_add_iv(int64_t ts, tw_iv iv, int sub, int64_t *out, tw_err *err);
/* timestamp − timestamp: days and time, no months (PostgreSQL's timestamp_mi). */
int tw_ts_diff(int64_t a, int64_t b, tw_iv *out, tw_err *err);
/* Microseconds since 2000-01-01 UTC of the wall clock now. */
int64_t tw_dt_now(void);

#endif
