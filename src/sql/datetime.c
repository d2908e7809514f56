#include "sql/datetime.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days since 2000-01-01 of PostgreSQL's first date (Julian day 0, 4714-11-24 BC) and
 * of the first dates past its date and timestamp ranges. */
#define DAYS_MIN INT64_C(-2451545)
#define DATE_DAYS_END INT64_C(2145031949)
#define TS_DAYS_END INT64_C(106751983)
#define UNIX_EPOCH_DAYS INT64_C(-10957) /* 1970-01-01 */

/* Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (year 0 = 1 BC):
 * the usual 400-year-era decomposition, which needs no tables and no loops. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int64_t y, int m) {
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : n[m - 1];
}

static const char *kind_type(int kind) {
    return kind == VK_DATE ? "date" : kind == VK_TS ? "timestamp" : "timestamp with time zone";
}

static int syntax(tw_err *err, int kind, const char *s, size_t n) {
    return tw_err_set(err, TWILL_ERROR, "22007", "invalid input syntax for type %s: \"%.*s\"",
                      kind_type(kind), (int)(n > 200 ? 200 : n), s);
}

static int field_range(tw_err *err, const char *s, size_t n) {
    return tw_err_set(err, TWILL_ERROR, "22008", "date/time field value out of range: \"%.*s\"",
                      (int)(n > 200 ? 200 : n), s);
}

static int ci_eq(const char *s, size_t n, const char *w) {
    size_t m = strlen(w);
    if (n != m) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != w[i]) return 0;
    return 1;
}

/* Reads 1..maxd digits; returns the count (0: none). */
static int digits(const char *s, size_t n, size_t *i, int maxd, int64_t *out) {
    int k = 0;
    int64_t v = 0;
    while (*i < n && k < maxd && isdigit((unsigned char)s[*i])) v = v * 10 + (s[(*i)++] - '0'), k++;
    *out = v;
    return k;
}

int tw_dt_parse(const char *s0, size_t n0, int kind, int64_t *out, tw_err *err) {
    const char *s = s0;
    size_t n = n0;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    int is_date = kind == VK_DATE;
    if (ci_eq(s, n, "infinity") || ci_eq(s, n, "+infinity")) {
        *out = is_date ? TW_DATE_NOEND : TW_TS_NOEND;
        return TWILL_OK;
    }
    if (ci_eq(s, n, "-infinity")) {
        *out = is_date ? TW_DATE_NOBEGIN : TW_TS_NOBEGIN;
        return TWILL_OK;
    }
    if (ci_eq(s, n, "epoch")) {
        *out = is_date ? UNIX_EPOCH_DAYS : UNIX_EPOCH_DAYS * TW_USECS_PER_DAY;
        return TWILL_OK;
    }
    size_t i = 0;
    int64_t y, mo, d, hh = 0, mi = 0, ss = 0, us = 0, tz = 0;
    /* date part: Y-M-D with a year of up to 9 digits */
    if (!digits(s, n, &i, 9, &y) || i >= n || s[i] != '-') return syntax(err, kind, s0, n0);
    i++;
    if (!digits(s, n, &i, 2, &mo) || i >= n || s[i] != '-') return syntax(err, kind, s0, n0);
    i++;
    if (!digits(s, n, &i, 2, &d)) return syntax(err, kind, s0, n0);
    /* time part: ' ' or 'T', then HH:MM[:SS[.frac]] */
    size_t j = i;
    while (j < n && s[j] == ' ') j++;
    if (j < n && (s[j] == 'T' || s[j] == 't' || (j > i && isdigit((unsigned char)s[j])))) {
        if (s[j] == 'T' || s[j] == 't') j++;
        i = j;
        if (digits(s, n, &i, 2, &hh) != 2 || i >= n || s[i] != ':')
            return syntax(err, kind, s0, n0);
        i++;
        if (digits(s, n, &i, 2, &mi) != 2) return syntax(err, kind, s0, n0);
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &ss) != 2) return syntax(err, kind, s0, n0);
            if (i < n && s[i] == '.') {
                i++;
                int k = 0, round = 0;
                if (i >= n || !isdigit((unsigned char)s[i])) return syntax(err, kind, s0, n0);
                for (; i < n && isdigit((unsigned char)s[i]); i++, k++) {
                    if (k < 6)
                        us = us * 10 + (s[i] - '0');
                    else if (k == 6)
                        round = s[i] >= '5';
                }
                for (; k < 6; k++) us *= 10;
                us += round; /* PostgreSQL rounds to the microsecond; 1000000 carries */
            }
        }
    } else {
        i = j;
    }
    /* zone: Z, UTC/GMT, or +HH[[:]MM[[:]SS]] */
    while (i < n && s[i] == ' ') i++;
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && (i + 1 == n || s[i + 1] == ' ')) {
        i++;
    } else if (i + 3 <= n && (ci_eq(s + i, 3, "utc") || ci_eq(s + i, 3, "gmt"))) {
        i += 3;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int neg = s[i++] == '-';
        int64_t th, tm = 0, ts = 0;
        int k = digits(s, n, &i, 2, &th);
        if (!k) return syntax(err, kind, s0, n0);
        if (k == 2 && i < n && (s[i] == ':' || isdigit((unsigned char)s[i]))) {
            if (s[i] == ':') i++;
            if (digits(s, n, &i, 2, &tm) != 2) return syntax(err, kind, s0, n0);
            if (i < n && (s[i] == ':' || isdigit((unsigned char)s[i]))) {
                if (s[i] == ':') i++;
                if (digits(s, n, &i, 2, &ts) != 2) return syntax(err, kind, s0, n0);
            }
        }
        if (th > 15 || tm > 59 || ts > 59)
            return tw_err_set(err, TWILL_ERROR, "22009",
                              "time zone displacement out of range: \"%.*s\"",
                              (int)(n0 > 200 ? 200 : n0), s0);
        tz = (th * 3600 + tm * 60 + ts) * (neg ? -1 : 1);
    }
    while (i < n && s[i] == ' ') i++;
    int bc = 0;
    if (i + 2 <= n && ci_eq(s + i, 2, "bc"))
        bc = 1, i += 2;
    else if (i + 2 <= n && ci_eq(s + i, 2, "ad"))
        i += 2;
    if (i != n) return syntax(err, kind, s0, n0);
    if (y == 0 || mo < 1 || mo > 12 || d < 1 || d > mdays(bc ? 1 - y : y, (int)mo) || hh > 24 ||
        mi > 59 || ss > 60 || (hh == 24 && (mi || ss || us)))
        return field_range(err, s0, n0);
    if (bc) y = 1 - y;
    int64_t days = days_from_civil(y, (int)mo, (int)d) - days_from_civil(2000, 1, 1);
    if (is_date) {
        if (days < DAYS_MIN || days >= DATE_DAYS_END)
            return tw_err_set(err, TWILL_ERROR, "22008", "date out of range: \"%.*s\"",
                              (int)(n0 > 200 ? 200 : n0), s0);
        *out = days;
        return TWILL_OK;
    }
    /* A timestamp without time zone ignores a zone in its input, as PostgreSQL does. */
    if (kind == VK_TS) tz = 0;
    int64_t secs = hh * 3600 + mi * 60 + ss - tz;
    if (days < DAYS_MIN - 1 || days > TS_DAYS_END + 1) goto range;
    int64_t v = days * TW_USECS_PER_DAY + secs * INT64_C(1000000) + us;
    if (v < DAYS_MIN * TW_USECS_PER_DAY || v >= TS_DAYS_END * TW_USECS_PER_DAY) goto range;
    *out = v;
    return TWILL_OK;
range:
    return tw_err_set(err, TWILL_ERROR, "22008", "timestamp out of range: \"%.*s\"",
                      (int)(n0 > 200 ? 200 : n0), s0);
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int tw_dt_out(int64_t v, int kind, tw_buf *out) {
    char buf[96];
    int n;
    if (kind == VK_DATE ? v == TW_DATE_NOEND : v == TW_TS_NOEND)
        return tw_buf_append(out, "infinity", 8);
    if (kind == VK_DATE ? v == TW_DATE_NOBEGIN : v == TW_TS_NOBEGIN)
        return tw_buf_append(out, "-infinity", 9);
    int64_t days = kind == VK_DATE ? v : floor_div(v, TW_USECS_PER_DAY);
    int64_t y;
    int m, d;
    civil_from_days(days + days_from_civil(2000, 1, 1), &y, &m, &d);
    int bc = y <= 0;
    n = snprintf(buf, sizeof buf, "%04lld-%02d-%02d", (long long)(bc ? 1 - y : y), m, d);
    if (kind != VK_DATE) {
        int64_t t = v - days * TW_USECS_PER_DAY, secs = t / 1000000, us = t % 1000000;
        n += snprintf(buf + n, sizeof buf - (size_t)n, " %02d:%02d:%02d", (int)(secs / 3600),
                      (int)(secs / 60 % 60), (int)(secs % 60));
        if (us) {
            /* PostgreSQL prints the fraction without trailing zeros */
            char f[8];
            snprintf(f, sizeof f, "%06d", (int)us);
            int k = 6;
            while (f[k - 1] == '0') k--;
            n += snprintf(buf + n, sizeof buf - (size_t)n, ".%.*s", k, f);
        }
        if (kind == VK_TSTZ) n += snprintf(buf + n, sizeof buf - (size_t)n, "+00");
    }
    if (bc) n += snprintf(buf + n, sizeof buf - (size_t)n, " BC");
    return tw_buf_append(out, buf, (size_t)n);
}

int tw_dt_convert(int64_t v, int from, int to, int64_t *out, tw_err *err) {
    if (from == to || (from != VK_DATE && to != VK_DATE)) {
        *out = v;
        return TWILL_OK;
    }
    if (from == VK_DATE) {
        if (v == TW_DATE_NOBEGIN || v == TW_DATE_NOEND) {
            *out = v == TW_DATE_NOEND ? TW_TS_NOEND : TW_TS_NOBEGIN;
            return TWILL_OK;
        }
        if (v >= TS_DAYS_END)
            return tw_err_set(err, TWILL_ERROR, "22008", "date out of range for timestamp");
        *out = v * TW_USECS_PER_DAY;
        return TWILL_OK;
    }
    if (v == TW_TS_NOBEGIN || v == TW_TS_NOEND)
        *out = v == TW_TS_NOEND ? TW_DATE_NOEND : TW_DATE_NOBEGIN;
    else
        *out = floor_div(v, TW_USECS_PER_DAY);
    return TWILL_OK;
}

int tw_dt_cmp(int64_t a, int ka, int64_t b, int kb) {
    /* A date meets a timestamp as the timestamp of its midnight (never out of range
     * here: the infinities map to the infinities and a date beyond the timestamp
     * range is later than every finite timestamp). */
    if (ka == VK_DATE && kb != VK_DATE) return -tw_dt_cmp(b, kb, a, ka);
    if (ka != VK_DATE && kb == VK_DATE) {
        int64_t bt;
        if (b >= TS_DAYS_END && b != TW_DATE_NOEND)
            bt = a == TW_TS_NOEND ? TW_TS_NOEND : TW_TS_NOEND - 1;
        else
            tw_dt_convert(b, VK_DATE, VK_TS, &bt, NULL);
        b = bt;
    }
    return a < b ? -1 : a > b;
}

int64_t tw_dt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((int64_t)ts.tv_sec + UNIX_EPOCH_DAYS * 86400) * 1000000 + ts.tv_nsec / 1000;
}

int tw_date_add(int64_t d, int64_t n, int64_t *out, tw_err *err) {
    /* infinite dates stay infinite, as in PostgreSQL */
    if (d == TW_DATE_NOBEGIN || d == TW_DATE_NOEND) {
        *out = d;
        return TWILL_OK;
    }
    int64_t r = d + n; /* |d| < 2^31 and |n| < 2^63 / 2 for integer operands of date */
    if (n > INT32_MAX || n < INT32_MIN || r < DAYS_MIN || r >= DATE_DAYS_END)
        return tw_err_set(err, TWILL_ERROR, "22008", "date out of range");
    *out = r;
    return TWILL_OK;
}

/* The units date_part / extract / date_trunc know; lower case as PostgreSQL folds them. */
enum {
    U_US,
    U_MS,
    U_SEC,
    U_MIN,
    U_HOUR,
    U_DAY,
    U_WEEK,
    U_MON,
    U_QUARTER,
    U_YEAR,
    U_EPOCH,
    U_DOW,
    U_DOY,
    U_ISODOW,
    U_OTHER,
    U_BAD
};

static int unit_of(const char *s, size_t n) {
    static const struct {
        const char *n;
        int u;
    } units[] = {{"microseconds", U_US},
                 {"microsecond", U_US},
                 {"us", U_US},
                 {"milliseconds", U_MS},
                 {"millisecond", U_MS},
                 {"ms", U_MS},
                 {"second", U_SEC},
                 {"seconds", U_SEC},
                 {"sec", U_SEC},
                 {"secs", U_SEC},
                 {"s", U_SEC},
                 {"minute", U_MIN},
                 {"minutes", U_MIN},
                 {"min", U_MIN},
                 {"mins", U_MIN},
                 {"m", U_MIN},
                 {"hour", U_HOUR},
                 {"hours", U_HOUR},
                 {"h", U_HOUR},
                 {"hr", U_HOUR},
                 {"hrs", U_HOUR},
                 {"day", U_DAY},
                 {"days", U_DAY},
                 {"d", U_DAY},
                 {"week", U_WEEK},
                 {"weeks", U_WEEK},
                 {"w", U_WEEK},
                 {"month", U_MON},
                 {"months", U_MON},
                 {"mon", U_MON},
                 {"mons", U_MON},
                 {"quarter", U_QUARTER},
                 {"qtr", U_QUARTER},
                 {"year", U_YEAR},
                 {"years", U_YEAR},
                 {"y", U_YEAR},
                 {"yr", U_YEAR},
                 {"yrs", U_YEAR},
                 {"epoch", U_EPOCH},
                 {"dow", U_DOW},
                 {"doy", U_DOY},
                 {"isodow", U_ISODOW},
                 {"decade", U_OTHER},
                 {"century", U_OTHER},
                 {"millennium", U_OTHER},
                 {"julian", U_OTHER},
                 {"isoyear", U_OTHER},
                 {"timezone", U_OTHER},
                 {"timezone_hour", U_OTHER},
                 {"timezone_minute", U_OTHER}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ci_eq(s, n, units[i].n)) return units[i].u;
    return U_BAD;
}

static int bad_unit(tw_err *err, const char *s, size_t n, int kind) {
    return tw_err_set(err, TWILL_ERROR, "22023", "unit \"%.*s\" not recognized for type %s",
                      (int)(n > 60 ? 60 : n), s,
                      kind == VK_DATE ? "date"
                      : kind == VK_TS ? "timestamp without time zone"
                                      : "timestamp with time zone");
}

static int unsup_unit(tw_err *err, const char *s, size_t n, int kind) {
    return tw_err_set(err, TWILL_NOTSUP, "0A000", "unit \"%.*s\" not supported for type %s",
                      (int)(n > 60 ? 60 : n), s,
                      kind == VK_DATE ? "date"
                      : kind == VK_TS ? "timestamp without time zone"
                                      : "timestamp with time zone");
}

int tw_dt_part(const char *us, size_t un, int64_t v, int kind, int *isnull, int64_t *micro,
               int *scale, tw_err *err) {
    int u = unit_of(us, un);
    if (u == U_BAD) return bad_unit(err, us, un, kind);
    if (u == U_OTHER) return unsup_unit(err, us, un, kind);
    /* PostgreSQL's extract from a date has no time-of-day units */
    if (kind == VK_DATE && (u == U_US || u == U_MS || u == U_SEC || u == U_MIN || u == U_HOUR))
        return unsup_unit(err, us, un, kind);
    *isnull = 0;
    int inf = kind == VK_DATE ? (v == TW_DATE_NOBEGIN || v == TW_DATE_NOEND)
                              : (v == TW_TS_NOBEGIN || v == TW_TS_NOEND);
    if (inf) {
        /* year and epoch of an infinity are infinite (not representable here), the
         * other fields NULL, as in PostgreSQL */
        if (u == U_YEAR || u == U_EPOCH)
            return tw_err_set(err, TWILL_NOTSUP, "0A000", "an infinite %s part is not supported",
                              "year/epoch");
        *isnull = 1;
        return TWILL_OK;
    }
    int64_t days = kind == VK_DATE ? v : floor_div(v, TW_USECS_PER_DAY);
    int64_t t = kind == VK_DATE ? 0 : v - days * TW_USECS_PER_DAY; /* µs into the day */
    int64_t y;
    int m, d;
    civil_from_days(days + days_from_civil(2000, 1, 1), &y, &m, &d);
    int64_t r; /* the result in millionths, except for integer-valued units */
    int scaled = 0;
    switch (u) {
    case U_US:
        r = t % 60000000;
        break;
    case U_MS:
        r = t % 60000000, scaled = 3; /* thousandths */
        break;
    case U_SEC:
        r = t % 60000000, scaled = 6;
        break;
    case U_MIN:
        r = t / 60000000 % 60;
        break;
    case U_HOUR:
        r = t / INT64_C(3600000000);
        break;
    case U_DAY:
        r = d;
        break;
    case U_WEEK: {
        /* ISO 8601 week number: the week with the year's first Thursday is week 1 */
        int64_t wd = ((days + 5) % 7 + 7) % 7; /* 0 = Monday (2000-01-01 was a Saturday) */
        int64_t thu = days - wd + 3;           /* the Thursday of this week */
        int64_t ty;
        int tm, td;
        civil_from_days(thu + days_from_civil(2000, 1, 1), &ty, &tm, &td);
        int64_t jan1 = days_from_civil(ty, 1, 1) - days_from_civil(2000, 1, 1);
        r = (thu - jan1) / 7 + 1;
        break;
    }
    case U_MON:
        r = m;
        break;
    case U_QUARTER:
        r = (m - 1) / 3 + 1;
        break;
    case U_YEAR:
        r = y > 0 ? y : y - 1; /* no year 0: 1 BC is -1 */
        break;
    case U_EPOCH:
        r = kind == VK_DATE ? (days - UNIX_EPOCH_DAYS) * 86400
                            : v - UNIX_EPOCH_DAYS * TW_USECS_PER_DAY;
        scaled = kind == VK_DATE ? 0 : 6;
        break;
    case U_DOW:
    case U_ISODOW:
        r = ((days + 6) % 7 + 7) % 7; /* 0 = Sunday */
        if (u == U_ISODOW && r == 0) r = 7;
        break;
    default: /* U_DOY */
        r = days - (days_from_civil(y, 1, 1) - days_from_civil(2000, 1, 1)) + 1;
        break;
    }
    *micro = r;
    *scale = scaled;
    return TWILL_OK;
}

int tw_dt_trunc(const char *us, size_t un, int64_t v, int kind, int64_t *out, tw_err *err) {
    int u = unit_of(us, un);
    if (u == U_BAD) return bad_unit(err, us, un, kind);
    if (u == U_OTHER || u == U_EPOCH || u == U_DOW || u == U_DOY || u == U_ISODOW)
        return u == U_OTHER ? unsup_unit(err, us, un, kind) : bad_unit(err, us, un, kind);
    if (v == TW_TS_NOBEGIN || v == TW_TS_NOEND) {
        *out = v;
        return TWILL_OK;
    }
    int64_t days = floor_div(v, TW_USECS_PER_DAY), t = v - days * TW_USECS_PER_DAY;
    static const int64_t step[] = {1, 1000, 1000000, 60000000, INT64_C(3600000000)};
    if (u <= U_HOUR) {
        *out = days * TW_USECS_PER_DAY + t / step[u] * step[u];
        return TWILL_OK;
    }
    if (u == U_WEEK) {
        int64_t wd = ((days + 5) % 7 + 7) % 7; /* back to Monday */
        days -= wd;
    } else if (u != U_DAY) {
        int64_t y;
        int m, d;
        int64_t base = days_from_civil(2000, 1, 1);
        civil_from_days(days + base, &y, &m, &d);
        if (u == U_QUARTER) m = (m - 1) / 3 * 3 + 1;
        if (u == U_YEAR) m = 1;
        days = days_from_civil(y, m, 1) - base;
    }
    if (days < DAYS_MIN) return tw_err_set(err, TWILL_ERROR, "22008", "timestamp out of range");
    *out = days * TW_USECS_PER_DAY;
    return TWILL_OK;
}

/* ---- interval ---- */

static int iv_syntax(tw_err *err, const char *s, size_t n) {
    return tw_err_set(err, TWILL_ERROR, "22007", "invalid input syntax for type interval: \"%.*s\"",
                      (int)(n > 200 ? 200 : n), s);
}

static int iv_range(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "22008", "interval out of range");
}

/* Adds whole units plus a fraction cascaded to smaller fields the way PostgreSQL does
 * (a fraction of a month becomes 30-day days, of a day microseconds). */
static int iv_add_field(tw_iv *iv, double val, int unit_months, int unit_days, double unit_us) {
    double whole = val < 0 ? -floor(-val) : floor(val), frac = val - whole;
    double mon = (double)iv->mon, day = (double)iv->day, us = (double)iv->us;
    if (unit_months) {
        mon += whole * unit_months;
        double fm = frac * unit_months;
        double fmw = fm < 0 ? -floor(-fm) : floor(fm);
        mon += fmw;
        double fd = (fm - fmw) * 30;
        double fdw = fd < 0 ? -floor(-fd) : floor(fd);
        day += fdw;
        us += nearbyint((fd - fdw) * 86400e6);
    } else if (unit_days) {
        day += whole * unit_days;
        double fd = frac * unit_days;
        double fdw = fd < 0 ? -floor(-fd) : floor(fd);
        day += fdw;
        us += nearbyint((fd - fdw) * 86400e6);
    } else {
        us += nearbyint(val * unit_us);
    }
    if (!(fabs(mon) <= INT32_MAX && fabs(day) <= INT32_MAX && fabs(us) < 9.2e18)) return -1;
    iv->mon = (int32_t)mon;
    iv->day = (int32_t)day;
    iv->us = (int64_t)us;
    return 0;
}

int tw_iv_parse(const char *s0, size_t n0, tw_iv *out, tw_err *err) {
    static const struct {
        const char *n;
        int mon, day;
        double us;
    } units[] = {{"microseconds", 0, 0, 1},
                 {"microsecond", 0, 0, 1},
                 {"us", 0, 0, 1},
                 {"usec", 0, 0, 1},
                 {"usecs", 0, 0, 1},
                 {"milliseconds", 0, 0, 1e3},
                 {"millisecond", 0, 0, 1e3},
                 {"ms", 0, 0, 1e3},
                 {"msec", 0, 0, 1e3},
                 {"msecs", 0, 0, 1e3},
                 {"seconds", 0, 0, 1e6},
                 {"second", 0, 0, 1e6},
                 {"secs", 0, 0, 1e6},
                 {"sec", 0, 0, 1e6},
                 {"s", 0, 0, 1e6},
                 {"minutes", 0, 0, 60e6},
                 {"minute", 0, 0, 60e6},
                 {"mins", 0, 0, 60e6},
                 {"min", 0, 0, 60e6},
                 {"m", 0, 0, 60e6},
                 {"hours", 0, 0, 3600e6},
                 {"hour", 0, 0, 3600e6},
                 {"hrs", 0, 0, 3600e6},
                 {"hr", 0, 0, 3600e6},
                 {"h", 0, 0, 3600e6},
                 {"days", 0, 1, 0},
                 {"day", 0, 1, 0},
                 {"d", 0, 1, 0},
                 {"weeks", 0, 7, 0},
                 {"week", 0, 7, 0},
                 {"w", 0, 7, 0},
                 {"months", 1, 0, 0},
                 {"month", 1, 0, 0},
                 {"mons", 1, 0, 0},
                 {"mon", 1, 0, 0},
                 {"years", 12, 0, 0},
                 {"year", 12, 0, 0},
                 {"yrs", 12, 0, 0},
                 {"yr", 12, 0, 0},
                 {"y", 12, 0, 0},
                 {"decades", 120, 0, 0},
                 {"decade", 120, 0, 0},
                 {"centuries", 1200, 0, 0},
                 {"century", 1200, 0, 0},
                 {"millennia", 12000, 0, 0},
                 {"millennium", 12000, 0, 0}};
    const char *s = s0;
    size_t n = n0, i = 0;
    tw_iv iv = {0, 0, 0};
    int any = 0, ago = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    if (i < n && s[i] == '@') i++;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i])) i++;
        if (i == n) break;
        if (ago) return iv_syntax(err, s0, n0);
        /* a word: only "ago" may stand alone */
        if (isalpha((unsigned char)s[i])) {
            size_t j = i;
            while (j < n && isalpha((unsigned char)s[j])) j++;
            if (!ci_eq(s + i, j - i, "ago")) return iv_syntax(err, s0, n0);
            ago = 1;
            i = j;
            continue;
        }
        int neg = 0;
        size_t st = i;
        if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
        if (i >= n || !(isdigit((unsigned char)s[i]) || s[i] == '.')) return iv_syntax(err, s0, n0);
        /* time form [-]H:MM[:SS[.frac]] */
        size_t j = i;
        while (j < n && isdigit((unsigned char)s[j])) j++;
        if (j < n && s[j] == ':') {
            int64_t h, m = 0, sec = 0, us = 0;
            if (j - i > 9 || !digits(s, n, &i, 9, &h) || i >= n || s[i] != ':')
                return iv_syntax(err, s0, n0);
            i++;
            if (digits(s, n, &i, 2, &m) != 2) return iv_syntax(err, s0, n0);
            if (i < n && s[i] == ':') {
                i++;
                if (digits(s, n, &i, 2, &sec) != 2) return iv_syntax(err, s0, n0);
                if (i < n && s[i] == '.') {
                    i++;
                    int k = 0, round = 0;
                    for (; i < n && isdigit((unsigned char)s[i]); i++, k++) {
                        if (k < 6)
                            us = us * 10 + (s[i] - '0');
                        else if (k == 6)
                            round = s[i] >= '5';
                    }
                    for (; k < 6; k++) us *= 10;
                    us += round;
                }
            }
            if (m > 59 || sec > 59) return field_range(err, s0, n0);
            int64_t t = (h * 3600 + m * 60 + sec) * 1000000 + us;
            if (__builtin_add_overflow(iv.us, neg ? -t : t, &iv.us)) return iv_range(err);
            any = 1;
            continue;
        }
        char num[64];
        size_t k = 0;
        while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.') && k < sizeof num - 1)
            num[k++] = s[i++];
        num[k] = '\0';
        char *end;
        double val = strtod(num, &end);
        if (*end || k == 0 || (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.')))
            return iv_syntax(err, s0, n0);
        if (neg) val = -val;
        (void)st;
        while (i < n && isspace((unsigned char)s[i])) i++;
        size_t w = i;
        while (w < n && isalpha((unsigned char)s[w])) w++;
        int u = -1;
        if (w > i) {
            for (size_t q = 0; q < sizeof units / sizeof units[0]; q++)
                if (ci_eq(s + i, w - i, units[q].n)) {
                    u = (int)q;
                    break;
                }
            if (u < 0) {
                if (ci_eq(s + i, w - i, "ago")) {
                    u = 10; /* a bare number is seconds */
                } else {
                    return iv_syntax(err, s0, n0);
                }
            } else {
                i = w;
            }
        } else {
            u = 10; /* "seconds" */
        }
        if (iv_add_field(&iv, val, units[u].mon, units[u].day, units[u].us)) return iv_range(err);
        any = 1;
    }
    if (!any) return iv_syntax(err, s0, n0);
    if (ago) {
        if (iv.mon == INT32_MIN || iv.day == INT32_MIN || iv.us == INT64_MIN) return iv_range(err);
        iv.mon = -iv.mon, iv.day = -iv.day, iv.us = -iv.us;
    }
    *out = iv;
    return TWILL_OK;
}

int tw_iv_out(tw_iv iv, tw_buf *out) {
    /* PostgreSQL's IntervalStyle "postgres": "1 year 2 mons -3 days +04:05:06.5"; a
     * field after a negative one carries an explicit sign. */
    char buf[160];
    int n = 0, before_neg = 0, printed = 0;
    int64_t fields[3] = {iv.mon / 12, iv.mon % 12, iv.day};
    static const char *const names[3] = {"year", "mon", "day"};
    for (int f = 0; f < 3; f++) {
        int64_t v = fields[f];
        if (!v) continue;
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s%lld %s%s", printed ? " " : "",
                      before_neg && v > 0 ? "+" : "", (long long)v, names[f], v == 1 ? "" : "s");
        before_neg = v < 0;
        printed = 1;
    }
    if (iv.us || !printed) {
        int neg = iv.us < 0;
        uint64_t t = neg ? (uint64_t)0 - (uint64_t)iv.us : (uint64_t)iv.us;
        uint64_t secs = t / 1000000, us = t % 1000000;
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s%02llu:%02d:%02d", printed ? " " : "",
                      neg          ? "-"
                      : before_neg ? "+"
                                   : "",
                      (unsigned long long)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
        if (us) {
            char f[8];
            snprintf(f, sizeof f, "%06d", (int)us);
            int k = 6;
            while (f[k - 1] == '0') k--;
            n += snprintf(buf + n, sizeof buf - (size_t)n, ".%.*s", k, f);
        }
    }
    return tw_buf_append(out, buf, (size_t)n);
}

__int128 tw_iv_span(tw_iv iv) {
    /* PostgreSQL orders intervals by this span: a month is 30 days, a day 24 hours */
    return ((__int128)iv.mon * 30 + iv.day) * TW_USECS_PER_DAY + iv.us;
}

int tw_iv_addsub(tw_iv a, tw_iv b, int sub, tw_iv *out, tw_err *err) {
    int32_t m, d;
    int64_t u;
    if (sub ? (__builtin_sub_overflow(a.mon, b.mon, &m) ||
               __builtin_sub_overflow(a.day, b.day, &d) || __builtin_sub_overflow(a.us, b.us, &u))
            : (__builtin_add_overflow(a.mon, b.mon, &m) ||
               __builtin_add_overflow(a.day, b.day, &d) || __builtin_add_overflow(a.us, b.us, &u)))
        return iv_range(err);
    *out = (tw_iv){m, d, u};
    return TWILL_OK;
}

int tw_ts_add_iv(int64_t ts, tw_iv iv, int sub, int64_t *out, tw_err *err) {
    if (ts == TW_TS_NOBEGIN || ts == TW_TS_NOEND) {
        *out = ts;
        return TWILL_OK;
    }
    int64_t mon = sub ? -(int64_t)iv.mon : iv.mon, day = sub ? -(int64_t)iv.day : iv.day;
    int64_t us = iv.us;
    if (sub && us == INT64_MIN) goto range;
    if (sub) us = -us;
    int64_t days = floor_div(ts, TW_USECS_PER_DAY), t = ts - days * TW_USECS_PER_DAY;
    int64_t base = days_from_civil(2000, 1, 1);
    if (mon) {
        /* add calendar months, clamping the day to the new month's last (Jan 31 + 1 mon
         * = Feb 29 in a leap year), as PostgreSQL does */
        int64_t y;
        int m, d;
        civil_from_days(days + base, &y, &m, &d);
        int64_t mm = y * 12 + (m - 1) + mon;
        int64_t ny = mm >= 0 ? mm / 12 : -((-mm + 11) / 12);
        int nm = (int)(mm - ny * 12) + 1;
        if (ny < -4713 || ny > 5874898) goto range;
        int md = mdays(ny, nm);
        days = days_from_civil(ny, nm, d > md ? md : d) - base;
    }
    days += day;
    if (days < DAYS_MIN - 1 || days > TS_DAYS_END + 1) goto range;
    int64_t r = days * TW_USECS_PER_DAY + t;
    if (__builtin_add_overflow(r, us, &r)) goto range;
    if (r < DAYS_MIN * TW_USECS_PER_DAY || r >= TS_DAYS_END * TW_USECS_PER_DAY) goto range;
    *out = r;
    return TWILL_OK;
range:
    return tw_err_set(err, TWILL_ERROR, "22008", "timestamp out of range");
}

int tw_ts_diff(int64_t a, int64_t b, tw_iv *out, tw_err *err) {
    if (a == TW_TS_NOBEGIN || a == TW_TS_NOEND || b == TW_TS_NOBEGIN || b == TW_TS_NOEND)
        return tw_err_set(err, TWILL_ERROR, "22008", "cannot subtract infinite timestamps");
    int64_t d;
    if (__builtin_sub_overflow(a, b, &d)) return iv_range(err);
    /* PostgreSQL's timestamp_mi: whole 24-hour days move to the day field */
    out->mon = 0;
    out->day = (int32_t)(d / TW_USECS_PER_DAY);
    out->us = d % TW_USECS_PER_DAY;
    return TWILL_OK;
}
