#include "sql/datetime.h"

#include <ctype.h>
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
