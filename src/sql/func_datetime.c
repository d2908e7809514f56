/*
 * func_datetime.c — date/time functions: to_char (dates, timestamps, intervals and
 * numbers), to_date, to_timestamp, make_date / make_timestamp[tz] / make_interval, age,
 * justify_*, isfinite, date_bin, clock_timestamp.
 *
 * The session time zone is always UTC (datetime.h), so timestamptz fields are UTC
 * fields and its zone prints as "UTC" / "+00".
 */
#include "sql/datetime.h"
#include "sql/func.h"
#include "sql/numeric.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USECS_PER_SEC INT64_C(1000000)
#define USECS_PER_HOUR INT64_C(3600000000)
#define JULIAN_2000 2451545 /* Julian day number of 2000-01-01 */

static int nomem(tw_err *err) {
    return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
}

/* ---- calendar arithmetic (proleptic Gregorian, astronomical years: 1 BC is 0) ---- */

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 2000-01-01 of y-m-d. */
static int64_t days_from_ymd(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = floordiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 730425; /* 0000-03-01 .. 2000-01-01 */
}

static void ymd_from_days(int64_t days, int64_t *y, int *m, int *d) {
    int64_t z = days + 730425;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m) {
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* Broken-down time. For an interval: year/mon/mday from months and days, hour may
 * exceed 23, and the fields carry the interval's signs. */
typedef struct tmx {
    int64_t year; /* astronomical */
    int mon, mday, hour, min, sec, usec;
    int wday, yday; /* 0 = Sunday; 1-based day of year */
    int64_t days;   /* since 2000-01-01 */
    int is_iv, is_tz;
} tmx;

static void ts_split(int64_t us, tmx *t) {
    memset(t, 0, sizeof *t);
    int64_t days = floordiv(us, TW_USECS_PER_DAY);
    int64_t tod = us - days * TW_USECS_PER_DAY;
    t->days = days;
    ymd_from_days(days, &t->year, &t->mon, &t->mday);
    t->hour = (int)(tod / USECS_PER_HOUR);
    t->min = (int)(tod / 60000000 % 60);
    t->sec = (int)(tod / USECS_PER_SEC % 60);
    t->usec = (int)(tod % USECS_PER_SEC);
    t->wday = (int)((days % 7 + 7 + 6) % 7); /* 2000-01-01 was a Saturday */
    t->yday = (int)(days - days_from_ymd(t->year, 1, 1) + 1);
}

/* ISO 8601 week-numbering year and week of day `days`. */
static void iso_week(int64_t days, int64_t *iyear, int *week, int *iyday) {
    int64_t y, wd;
    int m, d;
    ymd_from_days(days, &y, &m, &d);
    /* Monday of week 1 of year Y: the Monday on or before Jan 4 */
    for (int64_t yy = y + 1; yy >= y - 1; yy--) {
        int64_t j4 = days_from_ymd(yy, 1, 4);
        wd = ((j4 % 7) + 7 + 5) % 7; /* 0 = Monday */
        int64_t mon1 = j4 - wd;
        if (days >= mon1) {
            *iyear = yy;
            *week = (int)((days - mon1) / 7 + 1);
            *iyday = (int)(days - mon1 + 1);
            return;
        }
    }
    *iyear = y, *week = 1, *iyday = 1;
}

/* ---- to_char for dates, timestamps and intervals ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    tw_arena *a;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = tw_arena_alloc(b->a, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        if (b->len) memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(sbuf *b, const char *s) {
    put(b, s, strlen(s));
}

static int done(sbuf *b, tw_val *out, tw_err *err) {
    if (!b->p) put(b, "", 0);
    if (b->oom) return nomem(err);
    *out = (tw_val){.k = VK_TEXT, .s = b->p, .n = b->len};
    return TWILL_OK;
}

static const char *const MONTHS[] = {"January",   "February", "March",    "April",
                                     "May",       "June",     "July",     "August",
                                     "September", "October",  "November", "December"};
static const char *const DAYS[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                   "Thursday", "Friday", "Saturday"};
static const char *const ROMAN[] = {"I",   "II",   "III", "IV", "V",  "VI",
                                    "VII", "VIII", "IX",  "X",  "XI", "XII"};

enum {
    K_ERA,
    K_MER,
    K_CC,
    K_DAY,
    K_DY,
    K_DDD,
    K_DD,
    K_D,
    K_FX,
    K_HH24,
    K_HH12,
    K_HH,
    K_IDDD,
    K_ID,
    K_IW,
    K_IYYY,
    K_IYY,
    K_IY,
    K_I,
    K_J,
    K_MI,
    K_MM,
    K_MONTH,
    K_MON,
    K_MS,
    K_OF,
    K_Q,
    K_RM,
    K_SSSSS,
    K_SSSS,
    K_SS,
    K_TZH,
    K_TZM,
    K_TZ,
    K_US,
    K_WW,
    K_W,
    K_YCOMMA,
    K_YYYY,
    K_YYY,
    K_YY,
    K_Y,
    K_FF
};

typedef struct kw {
    const char *s;
    uint8_t id;
} kw;

/* Exact-case keywords, as PostgreSQL spells them (upper and lower variants; Day, Dy,
 * Month and Mon also capitalized). The longest match at a position wins. */
static const kw KW[] = {
    {"A.D.", K_ERA},    {"a.d.", K_ERA},    {"AD", K_ERA},       {"ad", K_ERA},
    {"B.C.", K_ERA},    {"b.c.", K_ERA},    {"BC", K_ERA},       {"bc", K_ERA},
    {"A.M.", K_MER},    {"a.m.", K_MER},    {"AM", K_MER},       {"am", K_MER},
    {"P.M.", K_MER},    {"p.m.", K_MER},    {"PM", K_MER},       {"pm", K_MER},
    {"CC", K_CC},       {"cc", K_CC},       {"DAY", K_DAY},      {"Day", K_DAY},
    {"day", K_DAY},     {"DY", K_DY},       {"Dy", K_DY},        {"dy", K_DY},
    {"DDD", K_DDD},     {"ddd", K_DDD},     {"DD", K_DD},        {"dd", K_DD},
    {"D", K_D},         {"d", K_D},         {"FX", K_FX},        {"fx", K_FX},
    {"HH24", K_HH24},   {"hh24", K_HH24},   {"HH12", K_HH12},    {"hh12", K_HH12},
    {"HH", K_HH},       {"hh", K_HH},       {"IDDD", K_IDDD},    {"iddd", K_IDDD},
    {"ID", K_ID},       {"id", K_ID},       {"IW", K_IW},        {"iw", K_IW},
    {"IYYY", K_IYYY},   {"iyyy", K_IYYY},   {"IYY", K_IYY},      {"iyy", K_IYY},
    {"IY", K_IY},       {"iy", K_IY},       {"I", K_I},          {"i", K_I},
    {"J", K_J},         {"j", K_J},         {"MI", K_MI},        {"mi", K_MI},
    {"MM", K_MM},       {"mm", K_MM},       {"MONTH", K_MONTH},  {"Month", K_MONTH},
    {"month", K_MONTH}, {"MON", K_MON},     {"Mon", K_MON},      {"mon", K_MON},
    {"MS", K_MS},       {"ms", K_MS},       {"OF", K_OF},        {"of", K_OF},
    {"Q", K_Q},         {"q", K_Q},         {"RM", K_RM},        {"rm", K_RM},
    {"SSSSS", K_SSSSS}, {"sssss", K_SSSSS}, {"SSSS", K_SSSS},    {"ssss", K_SSSS},
    {"SS", K_SS},       {"ss", K_SS},       {"TZH", K_TZH},      {"tzh", K_TZH},
    {"TZM", K_TZM},     {"tzm", K_TZM},     {"TZ", K_TZ},        {"tz", K_TZ},
    {"US", K_US},       {"us", K_US},       {"WW", K_WW},        {"ww", K_WW},
    {"W", K_W},         {"w", K_W},         {"Y,YYY", K_YCOMMA}, {"y,yyy", K_YCOMMA},
    {"YYYY", K_YYYY},   {"yyyy", K_YYYY},   {"YYY", K_YYY},      {"yyy", K_YYY},
    {"YY", K_YY},       {"yy", K_YY},       {"Y", K_Y},          {"y", K_Y},
    {"FF1", K_FF},      {"FF2", K_FF},      {"FF3", K_FF},       {"FF4", K_FF},
    {"FF5", K_FF},      {"FF6", K_FF},      {"ff1", K_FF},       {"ff2", K_FF},
    {"ff3", K_FF},      {"ff4", K_FF},      {"ff5", K_FF},       {"ff6", K_FF},
};

static const kw *match_kw(const char *f, size_t n) {
    const kw *best = NULL;
    size_t bl = 0;
    for (size_t i = 0; i < sizeof KW / sizeof KW[0]; i++) {
        size_t l = strlen(KW[i].s);
        if (l > bl && l <= n && !memcmp(f, KW[i].s, l)) best = &KW[i], bl = l;
    }
    return best;
}

/* Case of a word keyword: 0 UPPER, 1 Capitalized, 2 lower. */
static int kw_case(const char *s) {
    if (islower((unsigned char)s[0])) return 2;
    return isupper((unsigned char)s[1]) || s[1] == 0 || s[1] == '.' ? 0 : 1;
}

static void put_word(sbuf *b, const char *w, int cas, int pad, size_t len) {
    char tmp[16];
    size_t n = strlen(w);
    if (len && n > len) n = len;
    for (size_t i = 0; i < n; i++) {
        char ch = w[i];
        tmp[i] = (char)(cas == 0   ? toupper((unsigned char)ch)
                        : cas == 2 ? tolower((unsigned char)ch)
                        : i == 0   ? toupper((unsigned char)ch)
                                   : tolower((unsigned char)ch));
    }
    put(b, tmp, n);
    for (size_t i = n; pad && i < 9; i++) put(b, " ", 1);
}

/* A number: zero-padded to `width` (plus one for a minus sign when sign_width), or
 * plain under FM. */
static void put_num(sbuf *b, int64_t v, int width, int fm, int sign_width) {
    char tmp[32];
    int w = fm ? 0 : (width + (sign_width && v < 0)) & 15;
    snprintf(tmp, sizeof tmp, "%0*lld", w, (long long)v);
    puts_(b, tmp);
}

static void put_th(sbuf *b, int64_t v, int upper) {
    int64_t a = v < 0 ? -v : v;
    const char *s = (a % 100 >= 11 && a % 100 <= 13) ? "th"
                    : a % 10 == 1                    ? "st"
                    : a % 10 == 2                    ? "nd"
                    : a % 10 == 3                    ? "rd"
                                                     : "th";
    put_word(b, s, upper ? 0 : 2, 0, 0);
}

static int bad_iv_format(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "22007",
                      "invalid format specification for an interval value");
}

static int dt_to_char(const tmx *t, const char *f, size_t fn, tw_evalctx *c, tw_val *out,
                      tw_err *err) {
    sbuf b = {.a = c->arena};
    size_t i = 0;
    while (i < fn) {
        int fm = 0, th = 0;
        /* prefixes */
        for (;;) {
            if (i + 2 <= fn && (!strncmp(f + i, "FM", 2) || !strncmp(f + i, "fm", 2))) {
                fm = 1, i += 2;
            } else if (i + 2 <= fn && (!strncmp(f + i, "TM", 2) || !strncmp(f + i, "tm", 2))) {
                i += 2;
            } else {
                break;
            }
        }
        const kw *k = i < fn ? match_kw(f + i, fn - i) : NULL;
        if (!k) {
            if (i >= fn) break;
            if (f[i] == '"') { /* quoted literal text */
                for (i++; i < fn && f[i] != '"'; i++) {
                    if (f[i] == '\\' && i + 1 < fn) i++;
                    put(&b, f + i, 1);
                }
                i++;
            } else if (f[i] == '\\' && i + 1 < fn && f[i + 1] == '"') {
                put(&b, "\"", 1);
                i += 2;
            } else {
                put(&b, f + i, 1);
                i++;
            }
            continue;
        }
        const char *ks = k->s;
        i += strlen(ks);
        if (i + 2 <= fn && (!strncmp(f + i, "TH", 2) || !strncmp(f + i, "th", 2)))
            th = f[i] == 'T' ? 2 : 1, i += 2;
        else if (i + 2 <= fn && (!strncmp(f + i, "SP", 2) || !strncmp(f + i, "sp", 2)))
            i += 2;
        int64_t num = 0;
        int isnum = 1;
        int64_t byear = t->year > 0 ? t->year : 1 - t->year; /* year as written (BC positive) */
        if (t->is_iv) {
            byear = t->year;
            switch (k->id) {
            case K_YYYY:
            case K_YYY:
            case K_YY:
            case K_Y:
            case K_YCOMMA:
            case K_MM:
            case K_DD:
            case K_HH24:
            case K_HH12:
            case K_HH:
            case K_MI:
            case K_SS:
            case K_MS:
            case K_US:
            case K_FF:
            case K_SSSS:
            case K_SSSSS:
            case K_MER:
            case K_FX:
                break;
            case K_MON:
            case K_MONTH:
            case K_DAY:
            case K_DY:
            case K_D:
            case K_ID:
            case K_TZ:
            case K_TZH:
            case K_TZM:
            case K_OF:
            case K_ERA:
                return bad_iv_format(err);
            default:
                return tw_err_set(err, TWILL_ERROR, "0A000",
                                  "to_char of an interval with \"%s\" is not supported", ks);
            }
        }
        switch (k->id) {
        case K_ERA: {
            int bc = t->year <= 0, dots = strchr(ks, '.') != NULL;
            const char *w = bc ? (dots ? "b.c." : "bc") : (dots ? "a.d." : "ad");
            put_word(&b, w, islower((unsigned char)ks[0]) ? 2 : 0, 0, 0);
            isnum = 0;
            break;
        }
        case K_MER: {
            int pm = t->hour >= 12 && t->hour < 24, dots = strchr(ks, '.') != NULL;
            const char *w = pm ? (dots ? "p.m." : "pm") : (dots ? "a.m." : "am");
            put_word(&b, w, islower((unsigned char)ks[0]) ? 2 : 0, 0, 0);
            isnum = 0;
            break;
        }
        case K_CC:
            num = t->year <= 0 ? t->year / 100 - 1 : (t->year - 1) / 100 + 1;
            put_num(&b, num, 2, fm, 1);
            break;
        case K_DAY:
            put_word(&b, DAYS[t->wday], kw_case(ks), !fm, 0);
            isnum = 0;
            break;
        case K_DY:
            put_word(&b, DAYS[t->wday], kw_case(ks), 0, 3);
            isnum = 0;
            break;
        case K_DDD:
            put_num(&b, num = t->yday, 3, fm, 0);
            break;
        case K_DD:
            put_num(&b, num = t->mday, 2, fm, 0);
            break;
        case K_D:
            put_num(&b, num = t->wday + 1, 1, fm, 0);
            break;
        case K_FX:
            isnum = 0;
            break;
        case K_HH24:
            put_num(&b, num = t->hour, 2, fm, 1);
            break;
        case K_HH12:
        case K_HH:
            num = t->hour % 12 == 0 ? 12 : t->hour % 12;
            put_num(&b, num, 2, fm, 1);
            break;
        case K_IDDD:
        case K_ID:
        case K_IW:
        case K_IYYY:
        case K_IYY:
        case K_IY:
        case K_I: {
            int64_t iy;
            int wk, iyd;
            iso_week(t->days, &iy, &wk, &iyd);
            if (iy <= 0) iy = 1 - iy;
            if (k->id == K_IDDD) put_num(&b, num = iyd, 3, fm, 0);
            if (k->id == K_ID) put_num(&b, num = t->wday == 0 ? 7 : t->wday, 1, fm, 0);
            if (k->id == K_IW) put_num(&b, num = wk, 2, fm, 0);
            if (k->id == K_IYYY) put_num(&b, num = iy, 4, fm, 1);
            if (k->id == K_IYY) put_num(&b, num = iy % 1000, 3, fm, 1);
            if (k->id == K_IY) put_num(&b, num = iy % 100, 2, fm, 1);
            if (k->id == K_I) put_num(&b, num = iy % 10, 1, fm, 1);
            break;
        }
        case K_J:
            put_num(&b, num = t->days + JULIAN_2000, 0, fm, 0);
            break;
        case K_MI:
            put_num(&b, num = t->min, 2, fm, 1);
            break;
        case K_MM:
            put_num(&b, num = t->mon, 2, fm, 1);
            break;
        case K_MONTH:
            put_word(&b, MONTHS[t->mon - 1], kw_case(ks), !fm, 0);
            isnum = 0;
            break;
        case K_MON:
            put_word(&b, MONTHS[t->mon - 1], kw_case(ks), 0, 3);
            isnum = 0;
            break;
        case K_MS:
            put_num(&b, num = t->usec / 1000, 3, fm, 1);
            break;
        case K_US:
            put_num(&b, num = t->usec, 6, fm, 1);
            break;
        case K_FF: {
            int d = ks[2] - '0';
            int64_t v = t->usec;
            for (int j = d; j < 6; j++) v /= 10;
            put_num(&b, num = v, d, 0, 1);
            break;
        }
        case K_OF:
        case K_TZH:
            puts_(&b, "+00");
            isnum = 0;
            break;
        case K_TZM:
            puts_(&b, "00");
            isnum = 0;
            break;
        case K_TZ:
            if (t->is_tz) put_word(&b, "UTC", islower((unsigned char)ks[0]) ? 2 : 0, 0, 0);
            isnum = 0;
            break;
        case K_Q:
            put_num(&b, num = (t->mon - 1) / 3 + 1, 1, fm, 0);
            break;
        case K_RM: {
            int m = t->mon;
            if (t->is_iv && m == 0) {
                isnum = 0;
                break;
            }
            if (m < 0) m = -m;
            const char *r = ROMAN[m - 1];
            put_word(&b, r, islower((unsigned char)ks[0]) ? 2 : 0, 0, 0);
            for (size_t j = strlen(r); !fm && j < 4; j++) put(&b, " ", 1);
            isnum = 0;
            break;
        }
        case K_SSSSS:
        case K_SSSS:
            put_num(&b, num = (int64_t)t->hour * 3600 + t->min * 60 + t->sec, 0, 0, 0);
            break;
        case K_SS:
            put_num(&b, num = t->sec, 2, fm, 1);
            break;
        case K_WW:
            put_num(&b, num = (t->yday - 1) / 7 + 1, 2, fm, 0);
            break;
        case K_W:
            put_num(&b, num = (t->mday - 1) / 7 + 1, 1, fm, 0);
            break;
        case K_YCOMMA: {
            char tmp[48];
            snprintf(tmp, sizeof tmp, "%lld,%03lld", (long long)(byear / 1000),
                     (long long)(byear % 1000 < 0 ? -(byear % 1000) : byear % 1000));
            puts_(&b, tmp);
            num = byear;
            break;
        }
        case K_YYYY:
            put_num(&b, num = byear, 4, fm, 1);
            break;
        case K_YYY:
            put_num(&b, num = byear % 1000, 3, fm, 1);
            break;
        case K_YY:
            put_num(&b, num = byear % 100, 2, fm, 1);
            break;
        case K_Y:
            put_num(&b, num = byear % 10, 1, fm, 1);
            break;
        }
        if (th && isnum) put_th(&b, num, th == 2);
    }
    return done(&b, out, err);
}

static int fn_to_char_ts(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (a[0].i == TW_TS_NOBEGIN || a[0].i == TW_TS_NOEND) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    tmx t;
    ts_split(a[0].i, &t);
    t.is_tz = a[0].k == VK_TSTZ;
    return dt_to_char(&t, a[1].s, a[1].n, c, out, err);
}

/* A date is formatted as PostgreSQL does it: converted to timestamptz (so TZ is UTC). */
static int fn_to_char_date(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    if (a[0].i == TW_DATE_NOBEGIN || a[0].i == TW_DATE_NOEND) {
        out->k = VK_NULL;
        return TWILL_OK;
    }
    tmx t;
    ts_split(a[0].i * TW_USECS_PER_DAY, &t);
    t.is_tz = 1;
    return dt_to_char(&t, a[1].s, a[1].n, c, out, err);
}

static int fn_to_char_iv(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    tw_iv iv = tw_iv_get(&a[0]);
    tmx t;
    memset(&t, 0, sizeof t);
    t.is_iv = 1;
    t.year = iv.mon / 12;
    t.mon = iv.mon % 12;
    t.mday = iv.day;
    int64_t us = iv.us;
    t.hour = (int)(us / USECS_PER_HOUR);
    us %= USECS_PER_HOUR;
    t.min = (int)(us / 60000000);
    us %= 60000000;
    t.sec = (int)(us / USECS_PER_SEC);
    t.usec = (int)(us % USECS_PER_SEC);
    return dt_to_char(&t, a[1].s, a[1].n, c, out, err);
}

/* ---- to_char for numbers ---- */

/* A parsed numeric format: digit positions before / after the point, and options. */
typedef struct numfmt {
    int pre, post; /* 9/0 positions before and after the point */
    int zero_from; /* first pre position (0-based) that is a 0, or pre when none */
    int zero_last; /* last post position that is a 0 (-1 none): FM keeps zeros up to it */
    int point;     /* has a decimal point */
    int fm;        /* FM */
    int sign; /* 0 none (implicit), 'S' leading, 's' trailing, 'M' MI, 'P' PL, 'G' SG, 'R' PR */
    int sign_lead; /* S/PL/SG/MI written before the digits */
} numfmt;

static int num_fmt_unsupported(tw_err *err, const char *what) {
    return tw_err_set(err, TWILL_ERROR, "0A000",
                      "to_char number format element %s is not supported", what);
}

/* Renders digits through the format: `ip` the integer digits of the absolute value
 * ("0" for none), `fp` its fraction digits (`avail` of them; positions beyond print
 * nothing, as for floats beyond 15 significant digits), `zero` when the value is 0. */
static int num_render(const char *f, size_t fn, const numfmt *nf, int neg, int zero, const char *ip,
                      const char *fp, int avail, tw_evalctx *c, tw_val *out, tw_err *err) {
    sbuf b = {.a = c->arena};
    size_t il = strlen(ip);
    int overflow = (int)il > nf->pre && !(il == 1 && ip[0] == '0');
    if (il == 1 && ip[0] == '0') il = 0; /* a zero integer part has no digits */
    int first_shown = nf->pre;           /* the first integer position that shows a digit */
    for (int p = 0; p < nf->pre; p++)
        if (p >= nf->zero_from || nf->pre - p <= (int)il) {
            first_shown = p;
            break;
        }
    /* a zero integer part shows one 0 when there are no fraction positions (or the
     * value is 0 under FM) */
    int zero_digit = il == 0 && first_shown == nf->pre && nf->pre > 0 &&
                     (!(nf->point && nf->post > 0) || (nf->fm && zero));
    if (zero_digit) first_shown = nf->pre - 1;
    /* the anchored sign: implicit ('-' or ' '), S before the digits ('-' or '+'), PR */
    char anch = 0;
    if (nf->sign == 0 || nf->sign == 'P') anch = neg ? '-' : ' ';
    if (nf->sign == 'S') anch = neg ? '-' : '+';
    if (nf->sign == 'R') anch = neg ? '<' : ' ';
    int flast = avail - 1; /* last fraction digit shown (FM drops trailing 9-zeros) */
    if (nf->fm)
        while (flast >= 0 && flast > nf->zero_last && fp[flast] == '0') flast--;
    int pos = 0, fpos = 0, after = 0, started = 0;
    for (size_t i = 0; i < fn; i++) {
        char ch = f[i], up = (char)toupper((unsigned char)ch);
        char nx = i + 1 < fn ? (char)toupper((unsigned char)f[i + 1]) : 0;
        if (up == 'F' && nx == 'M') {
            i++;
            continue;
        }
        int digit = ch == '9' || ch == '0';
        if (anch && ((digit && !after && pos == first_shown) || ch == '.' || up == 'D')) {
            if (!(nf->fm && anch == ' ')) put(&b, &anch, 1);
            anch = 0;
        }
        if (digit && !after) {
            int p = pos++;
            if (overflow) {
                put(&b, "#", 1);
            } else if (p < first_shown) {
                if (!nf->fm) put(&b, " ", 1);
            } else {
                int k = (int)il - (nf->pre - p);
                put(&b, k < 0 ? "0" : ip + k, 1);
                started = 1;
            }
        } else if (digit) {
            int p = fpos++;
            if (overflow)
                put(&b, "#", 1);
            else if (p <= flast)
                put(&b, fp + p, 1);
        } else if (ch == '.' || up == 'D') {
            put(&b, ".", 1);
            after = 1;
        } else if (ch == ',' || up == 'G') {
            if (started || after)
                put(&b, ",", 1);
            else if (!nf->fm)
                put(&b, " ", 1);
        } else if (up == 'S' && nx == 'G') {
            put(&b, neg ? "-" : "+", 1);
            i++;
        } else if (up == 'S') {
            if (nf->sign == 's') put(&b, neg ? "-" : "+", 1);
        } else if (up == 'M' && nx == 'I') {
            if (neg || !nf->fm) put(&b, neg ? "-" : " ", 1);
            i++;
        } else if (up == 'P' && nx == 'L') {
            if (!neg || !nf->fm) put(&b, neg ? " " : "+", 1);
            i++;
        } else if (up == 'P' && nx == 'R') {
            if (neg || !nf->fm) put(&b, neg ? ">" : " ", 1);
            i++;
        } else if (up == 'T' && nx == 'H') {
            if (!overflow) {
                int64_t v = 0;
                for (size_t j = 0; j < il; j++) v = (v * 10 + (ip[j] - '0')) % 1000;
                put_th(&b, v, ch == 'T');
            }
            i++;
        } else if (ch == '"') {
            for (i++; i < fn && f[i] != '"'; i++) {
                if (f[i] == '\\' && i + 1 < fn) i++;
                put(&b, f + i, 1);
            }
        } else if (ch == '\\' && i + 1 < fn) {
            put(&b, f + ++i, 1);
        } else {
            put(&b, &f[i], 1);
        }
    }
    return done(&b, out, err);
}

/* Parses the numeric format; 0A000 for elements not supported here. */
static int num_parse_fmt(const char *f, size_t fn, numfmt *nf, tw_err *err) {
    memset(nf, 0, sizeof *nf);
    nf->zero_last = -1;
    nf->zero_from = -1;
    for (size_t i = 0; i < fn; i++) {
        char ch = f[i], up = (char)toupper((unsigned char)ch);
        char nx = i + 1 < fn ? (char)toupper((unsigned char)f[i + 1]) : 0;
        if (up == 'F' && nx == 'M') {
            nf->fm = 1, i++;
        } else if (ch == '9' || ch == '0') {
            if (nf->point) {
                if (ch == '0') nf->zero_last = nf->post;
                nf->post++;
            } else {
                if (ch == '0' && nf->zero_from < 0) nf->zero_from = nf->pre;
                nf->pre++;
            }
        } else if (ch == '.' || up == 'D') {
            if (nf->point) return tw_err_set(err, TWILL_ERROR, "42601", "multiple decimal points");
            nf->point = 1;
        } else if (ch == ',' || up == 'G') {
        } else if (up == 'S' && nx == 'G') {
            nf->sign = 'G', i++;
        } else if (up == 'S') {
            nf->sign = nf->pre || nf->point ? 's' : 'S';
        } else if (up == 'M' && nx == 'I') {
            nf->sign = 'M', i++;
        } else if (up == 'P' && nx == 'L') {
            nf->sign = 'P', i++;
        } else if (up == 'P' && nx == 'R') {
            nf->sign = 'R', i++;
        } else if (up == 'T' && nx == 'H') {
            i++;
        } else if (ch == '"') {
            for (i++; i < fn && f[i] != '"'; i++)
                if (f[i] == '\\' && i + 1 < fn) i++;
        } else if (ch == '\\' && i + 1 < fn) {
            i++;
        } else if (up == 'L' || up == 'V' || up == 'E' || (up == 'R' && nx == 'N') || up == 'B') {
            char w[3] = {ch, (up == 'R' || up == 'E') && i + 1 < fn ? f[i + 1] : 0, 0};
            return num_fmt_unsupported(err, w);
        }
    }
    if (nf->zero_from < 0) nf->zero_from = nf->pre;
    return TWILL_OK;
}

/* to_char of a numeric: rounded (half away from zero) to the format's places. */
static int num_to_char(tw_num v, const char *f, size_t fn, tw_evalctx *c, tw_val *out,
                       tw_err *err) {
    numfmt nf;
    int rc = num_parse_fmt(f, fn, &nf, err);
    if (rc) return rc;
    if (nf.post > TW_NUM_MAX_SCALE) return num_fmt_unsupported(err, "(more than 1000 places)");
    tw_num r;
    r = v; /* more places than the value has: its digits, then zeros */
    if (nf.post < v.scale && (rc = tw_num_round(v, nf.post, 0, &r, err))) return rc;
    char buf[TW_NUM_MAX_SCALE + 48];
    tw_num_out((tw_num){r.c < 0 ? -r.c : r.c, r.scale}, buf, sizeof buf);
    char *dot = strchr(buf, '.');
    const char *fp = "";
    if (dot) *dot = 0, fp = dot + 1;
    char fbuf[TW_NUM_MAX_SCALE + 8];
    snprintf(fbuf, sizeof fbuf, "%-*s", nf.post, fp);
    for (int i = 0; i < nf.post; i++)
        if (fbuf[i] == ' ') fbuf[i] = '0';
    return num_render(f, fn, &nf, r.c < 0, r.c == 0, buf, fbuf, nf.post, c, out, err);
}

static int fn_to_char_num(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return num_to_char(tw_num_get(&a[0]), a[1].s, a[1].n, c, out, err);
}

static int fn_to_char_int(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    return num_to_char(tw_num_from_int(a[0].i), a[1].s, a[1].n, c, out, err);
}

/* Floats print with at most 15 significant digits (DBL_DIG), as PostgreSQL does. */
static int fn_to_char_float(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    double d = a[0].d;
    numfmt nf;
    int rc = num_parse_fmt(a[1].s, a[1].n, &nf, err);
    if (rc) return rc;
    if (isnan(d) || isinf(d))
        return tw_err_set(err, TWILL_ERROR, "0A000", "to_char of NaN or Infinity is not supported");
    char ibuf[400];
    snprintf(ibuf, sizeof ibuf, "%.0f", fabs(d));
    int prelen = (int)strlen(ibuf), post = nf.post;
    if (prelen >= DBL_DIG)
        post = 0;
    else if (prelen + post > DBL_DIG)
        post = DBL_DIG - prelen;
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", post, fabs(d));
    int neg = d < 0;
    char *dot = strchr(buf, '.');
    const char *fp = "";
    if (dot) *dot = 0, fp = dot + 1;
    char fbuf[64];
    snprintf(fbuf, sizeof fbuf, "%-*s", nf.post > 60 ? 60 : nf.post, fp);
    for (int i = 0; fbuf[i]; i++)
        if (fbuf[i] == ' ') fbuf[i] = '0';
    if (nf.post > 60) return num_fmt_unsupported(err, "(more than 60 places)");
    return num_render(a[1].s, a[1].n, &nf, neg, d == 0, buf, fbuf, post, c, out, err);
}

/* ---- constructors ---- */

static int dt_range(tw_err *err, const char *what) {
    return tw_err_set(err, TWILL_ERROR, "22008", "%s out of range", what);
}

/* y-m-d to days; PostgreSQL's make_date takes a negative year as BC. */
static int mk_days(int64_t y, int64_t m, int64_t d, int64_t *days, tw_err *err) {
    if (y == 0)
        return tw_err_set(err, TWILL_ERROR, "22008",
                          "date field value out of range: %lld-%02lld-%02lld", (long long)y,
                          (long long)m, (long long)d);
    int64_t ay = y < 0 ? y + 1 : y;
    if (m < 1 || m > 12 || d < 1 || d > month_days(ay, (int)m) || ay < -4713 || ay > 5874897)
        return tw_err_set(err, TWILL_ERROR, "22008",
                          "date field value out of range: %lld-%02lld-%02lld", (long long)y,
                          (long long)m, (long long)d);
    if (ay == -4713 && (m < 11 || (m == 11 && d < 24))) return dt_range(err, "date");
    *days = days_from_ymd(ay, (int)m, (int)d);
    return TWILL_OK;
}

static int fn_make_date(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int64_t days;
    int rc = mk_days(a[0].i, a[1].i, a[2].i, &days, err);
    if (rc) return rc;
    *out = (tw_val){.k = VK_DATE, .i = days};
    return TWILL_OK;
}

static int mk_ts(const tw_val *a, int kind, tw_val *out, tw_err *err) {
    int64_t days;
    int rc = mk_days(a[0].i, a[1].i, a[2].i, &days, err);
    if (rc) return rc;
    int64_t h = a[3].i, mi = a[4].i;
    double s = a[5].d;
    if (h < 0 || h > 24 || mi < 0 || mi > 59 || !(s >= 0) || s > 60 ||
        (h == 24 && (mi > 0 || s > 0)))
        return tw_err_set(err, TWILL_ERROR, "22008",
                          "date field value out of range: %lld-%02lld-%02lld", (long long)a[0].i,
                          (long long)a[1].i, (long long)a[2].i);
    if (a[0].i > 294276) return dt_range(err, "timestamp");
    int64_t us = (int64_t)llround(s * 1e6);
    int64_t v = days * TW_USECS_PER_DAY + h * USECS_PER_HOUR + mi * 60000000 + us;
    *out = (tw_val){.k = (uint8_t)kind, .i = v};
    return TWILL_OK;
}

static int fn_make_timestamp(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return mk_ts(a, VK_TS, out, err);
}

static int fn_make_timestamptz(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return mk_ts(a, VK_TSTZ, out, err);
}

static int iv_overflow(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "22008", "interval out of range");
}

/* make_interval(years, months, weeks, days, hours, mins, secs), all optional. */
static int fn_make_interval(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c;
    int64_t f[6] = {0, 0, 0, 0, 0, 0};
    double secs = 0;
    for (int i = 0; i < n && i < 6; i++) f[i] = a[i].i;
    if (n == 7) secs = a[6].d;
    int64_t mon, day, us, t;
    if (__builtin_mul_overflow(f[0], 12, &mon) || __builtin_add_overflow(mon, f[1], &mon) ||
        mon > INT32_MAX || mon < INT32_MIN)
        return iv_overflow(err);
    if (__builtin_mul_overflow(f[2], 7, &day) || __builtin_add_overflow(day, f[3], &day) ||
        day > INT32_MAX || day < INT32_MIN)
        return iv_overflow(err);
    if (isnan(secs) || fabs(secs) > 9.2e12) return iv_overflow(err);
    us = (int64_t)llround(secs * 1e6);
    if (__builtin_mul_overflow(f[4], USECS_PER_HOUR, &t) || __builtin_add_overflow(us, t, &us) ||
        __builtin_mul_overflow(f[5], 60000000, &t) || __builtin_add_overflow(us, t, &us))
        return iv_overflow(err);
    *out = (tw_val){0};
    tw_iv_set(out, (tw_iv){(int32_t)mon, (int32_t)day, us});
    return TWILL_OK;
}

/* ---- justify_*, isfinite ---- */

static int fn_justify_days(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_iv v = tw_iv_get(&a[0]);
    int64_t mon = (int64_t)v.mon + v.day / 30, day = v.day % 30;
    if (mon > 0 && day < 0)
        day += 30, mon--;
    else if (mon < 0 && day > 0)
        day -= 30, mon++;
    if (mon > INT32_MAX || mon < INT32_MIN) return iv_overflow(err);
    *out = (tw_val){0};
    tw_iv_set(out, (tw_iv){(int32_t)mon, (int32_t)day, v.us});
    return TWILL_OK;
}

static int fn_justify_hours(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_iv v = tw_iv_get(&a[0]);
    int64_t day = (int64_t)v.day + v.us / TW_USECS_PER_DAY, us = v.us % TW_USECS_PER_DAY;
    if (day > 0 && us < 0)
        us += TW_USECS_PER_DAY, day--;
    else if (day < 0 && us > 0)
        us -= TW_USECS_PER_DAY, day++;
    if (day > INT32_MAX || day < INT32_MIN) return iv_overflow(err);
    *out = (tw_val){0};
    tw_iv_set(out, (tw_iv){v.mon, (int32_t)day, us});
    return TWILL_OK;
}

static int fn_justify_interval(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_iv v = tw_iv_get(&a[0]);
    int64_t mon = v.mon, day = v.day, us = v.us;
    mon += day / 30;
    day %= 30;
    day += us / TW_USECS_PER_DAY;
    us %= TW_USECS_PER_DAY;
    mon += day / 30;
    day %= 30;
    if (mon > 0 && (day < 0 || (day == 0 && us < 0)))
        day += 30, mon--;
    else if (mon < 0 && (day > 0 || (day == 0 && us > 0)))
        day -= 30, mon++;
    if (day > 0 && us < 0)
        us += TW_USECS_PER_DAY, day--;
    else if (day < 0 && us > 0)
        us -= TW_USECS_PER_DAY, day++;
    if (mon > INT32_MAX || mon < INT32_MIN) return iv_overflow(err);
    *out = (tw_val){0};
    tw_iv_set(out, (tw_iv){(int32_t)mon, (int32_t)day, us});
    return TWILL_OK;
}

static int fn_isfinite(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    int fin = 1;
    if (a[0].k == VK_DATE)
        fin = a[0].i != TW_DATE_NOBEGIN && a[0].i != TW_DATE_NOEND;
    else if (a[0].k == VK_TS || a[0].k == VK_TSTZ)
        fin = a[0].i != TW_TS_NOBEGIN && a[0].i != TW_TS_NOEND;
    *out = (tw_val){.k = VK_BOOL, .i = fin};
    return TWILL_OK;
}

static int fn_isfinite_any(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    if (a[0].k == VK_INTERVAL) {
        *out = (tw_val){.k = VK_BOOL, .i = 1};
        return TWILL_OK;
    }
    return fn_isfinite(a, n, c, out, err);
}

/* ---- age ---- */

/* age(a, b): a - b in years, months and days (then time), field by field with borrows,
 * as PostgreSQL's age does (symbolic, not a plain subtraction of spans). */
static int age_of(int64_t a, int64_t b, tw_val *out, tw_err *err) {
    if (a == TW_TS_NOBEGIN || a == TW_TS_NOEND || b == TW_TS_NOBEGIN || b == TW_TS_NOEND)
        return tw_err_set(err, TWILL_ERROR, "22008", "interval out of range");
    tmx x, y;
    ts_split(a, &x);
    ts_split(b, &y);
    int flip = a < b;
    int64_t usec = (int64_t)x.usec - y.usec, sec = x.sec - y.sec, min = x.min - y.min,
            hour = x.hour - y.hour, mday = x.mday - y.mday, mon = x.mon - y.mon,
            year = x.year - y.year;
    if (flip)
        usec = -usec, sec = -sec, min = -min, hour = -hour, mday = -mday, mon = -mon, year = -year;
    while (usec < 0) usec += USECS_PER_SEC, sec--;
    while (sec < 0) sec += 60, min--;
    while (min < 0) min += 60, hour--;
    while (hour < 0) hour += 24, mday--;
    while (mday < 0) {
        if (flip)
            mday += month_days(x.year, x.mon);
        else
            mday += month_days(y.year, y.mon);
        mon--;
    }
    while (mon < 0) mon += 12, year--;
    if (flip)
        usec = -usec, sec = -sec, min = -min, hour = -hour, mday = -mday, mon = -mon, year = -year;
    int64_t months = year * 12 + mon;
    if (months > INT32_MAX || months < INT32_MIN) return iv_overflow(err);
    *out = (tw_val){0};
    tw_iv_set(out, (tw_iv){(int32_t)months, (int32_t)mday,
                           ((hour * 60 + min) * 60 + sec) * USECS_PER_SEC + usec});
    return TWILL_OK;
}

static int fn_age2(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    return age_of(a[0].i, a[1].i, out, err);
}

/* The transaction's current date (midnight), read like current_date. */
static int today(tw_evalctx *c, int64_t *us, tw_err *err) {
    tw_expr e = {.op = EX_SUBQ, .aux = TW_SQ_SEQ, .idx = TW_SEQ_NOW_DATE};
    e.type = (tw_sqltype){TY_DATE, -1};
    tw_val v;
    if (!c->subq) return tw_err_set(err, TWILL_ERROR, "0A000", "age(x) needs the current date");
    int rc = c->subq(c->run, &e, c, &v, err);
    if (rc) return rc;
    return tw_dt_convert(v.i, VK_DATE, VK_TS, us, err);
}

static int fn_age1(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n;
    int64_t now;
    int rc = today(c, &now, err);
    return rc ? rc : age_of(now, a[0].i, out, err);
}

/* ---- to_timestamp(epoch), clock_timestamp() ---- */

static int fn_to_timestamp1(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double s = a[0].d;
    if (isnan(s)) return tw_err_set(err, TWILL_ERROR, "22008", "timestamp cannot be NaN");
    if (isinf(s)) {
        *out = (tw_val){.k = VK_TSTZ, .i = s > 0 ? TW_TS_NOEND : TW_TS_NOBEGIN};
        return TWILL_OK;
    }
    /* PostgreSQL's bounds: 4714-11-24 BC .. 294277-01-01 (epoch seconds) */
    if (s < -210866803200.0 || s >= 9224318016000.0)
        return tw_err_set(err, TWILL_ERROR, "22008", "timestamp out of range: \"%g\"", s);
    double us = rint((s - 946684800.0) * 1e6);
    *out = (tw_val){.k = VK_TSTZ, .i = (int64_t)us};
    return TWILL_OK;
}

static int fn_clock_timestamp(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_TSTZ, .i = tw_dt_now()};
    return TWILL_OK;
}

/* ---- to_date / to_timestamp(text, format) ---- */

static int parse_err(tw_err *err, const char *fmt_kw) {
    return tw_err_set(err, TWILL_ERROR, "22007", "invalid value for \"%s\" in the input string",
                      fmt_kw);
}

/* Reads up to `maxd` digits (with an optional sign when `sign`); *got 0 if none. */
static int64_t read_int(const char *s, size_t n, size_t *i, int maxd, int sign, int *got) {
    int neg = 0;
    size_t j = *i;
    if (sign && j < n && (s[j] == '-' || s[j] == '+')) neg = s[j++] == '-';
    int64_t v = 0;
    int d = 0;
    while (j < n && d < maxd && isdigit((unsigned char)s[j])) v = v * 10 + (s[j++] - '0'), d++;
    *got = d;
    if (d) *i = j;
    return neg ? -v : v;
}

static int match_name(const char *s, size_t n, size_t *i, const char *const *names, int count,
                      int abbrev) {
    for (int k = 0; k < count; k++) {
        size_t l = abbrev ? 3 : strlen(names[k]);
        if (*i + l <= n && !strncasecmp(s + *i, names[k], l)) {
            *i += l;
            return k;
        }
    }
    return -1;
}

/* Parses s by format f into a timestamp (microseconds since 2000-01-01). The fields
 * understood: YYYY YYY YY Y Y,YYY MM DD DDD HH HH12 HH24 MI SS MS US FF1-6 AM/PM
 * Mon Month Dy Day (names ignored) J TZH TZM; separators in the format match any one
 * non-alphanumeric input character; FM and FX are accepted. */
static int parse_by_format(const char *s, size_t n, const char *f, size_t fn, int is_date,
                           int64_t *out, tw_err *err) {
    int64_t year = 0, mon = 1, mday = 1, hour = 0, min = 0, sec = 0, usec = 0, doy = -1, jd = -1;
    int pm = -1, hh12 = 0, have_year = 0, bc = 0, tzh = 0, tzm = 0, tzsign = 1;
    size_t i = 0, fi = 0;
    while (fi < fn) {
        while (fi + 2 <= fn && (!strncasecmp(f + fi, "FM", 2) || !strncasecmp(f + fi, "FX", 2) ||
                                !strncasecmp(f + fi, "TM", 2)))
            fi += 2;
        if (fi >= fn) break;
        const kw *k = match_kw(f + fi, fn - fi);
        if (!k) {
            char fc = f[fi++];
            if (fc == '"') {
                while (fi < fn && f[fi] != '"') fi++, i += i < n;
                fi++;
                continue;
            }
            if (fc == ' ') {
                while (i < n && s[i] == ' ') i++;
                continue;
            }
            if (i < n && !isalnum((unsigned char)s[i]))
                i++;
            else if (i < n && !isalnum((unsigned char)fc) && isdigit((unsigned char)s[i])) {
                /* a separator in the format with none in the input: tolerated */
            } else if (i < n && s[i] == fc) {
                i++;
            }
            continue;
        }
        const char *ks = k->s;
        fi += strlen(ks);
        if (fi + 2 <= fn && (!strncmp(f + fi, "TH", 2) || !strncmp(f + fi, "th", 2))) fi += 2;
        while (i < n && s[i] == ' ' && k->id != K_MER && k->id != K_ERA) i++;
        int got = 1;
        /* a field followed directly by another digit field reads its nominal width */
        switch (k->id) {
        case K_YYYY:
        case K_IYYY:
            /* directly followed by another field (YYYYMMDD): exactly four digits */
            year = read_int(s, n, &i, fi < fn && isalpha((unsigned char)f[fi]) ? 4 : 9, 1, &got);
            have_year = 1;
            break;
        case K_YCOMMA: {
            int64_t th = read_int(s, n, &i, 3, 0, &got);
            if (got && i < n && s[i] == ',') {
                i++;
                int64_t r = read_int(s, n, &i, 3, 0, &got);
                year = th * 1000 + r;
            } else {
                year = th;
            }
            have_year = 1;
            break;
        }
        case K_YYY:
        case K_IYY:
            year = read_int(s, n, &i, 3, 0, &got);
            if (got) year += year < 70 ? 2000 : year < 100 ? 1900 : 1000;
            have_year = 1;
            break;
        case K_YY:
        case K_IY:
            year = read_int(s, n, &i, 2, 0, &got);
            if (got) year += year < 70 ? 2000 : 1900;
            have_year = 1;
            break;
        case K_Y:
        case K_I:
            year = read_int(s, n, &i, 1, 0, &got) + 2000;
            have_year = 1;
            break;
        case K_MM:
            mon = read_int(s, n, &i, 2, 0, &got);
            break;
        case K_DD:
            mday = read_int(s, n, &i, 2, 0, &got);
            break;
        case K_DDD:
        case K_IDDD:
            doy = read_int(s, n, &i, 3, 0, &got);
            break;
        case K_HH:
        case K_HH12:
            hour = read_int(s, n, &i, 2, 0, &got);
            hh12 = 1;
            break;
        case K_HH24:
            hour = read_int(s, n, &i, 2, 0, &got);
            break;
        case K_MI:
            min = read_int(s, n, &i, 2, 0, &got);
            break;
        case K_SS:
            sec = read_int(s, n, &i, 2, 0, &got);
            break;
        case K_MS: {
            size_t st = i;
            usec = read_int(s, n, &i, 3, 0, &got);
            for (size_t d = i - st; got && d < 3; d++) usec *= 10;
            usec *= 1000;
            break;
        }
        case K_US:
        case K_FF: {
            size_t st = i;
            int maxd = k->id == K_FF ? ks[2] - '0' : 6;
            usec = read_int(s, n, &i, maxd, 0, &got);
            for (size_t d = i - st; got && d < 6; d++) usec *= 10;
            break;
        }
        case K_SSSS:
        case K_SSSSS: {
            int64_t v = read_int(s, n, &i, 5, 0, &got);
            hour = v / 3600, min = v / 60 % 60, sec = v % 60;
            break;
        }
        case K_J:
            jd = read_int(s, n, &i, 9, 0, &got);
            break;
        case K_MER: {
            got = 0;
            static const char *const m[] = {"a.m.", "p.m.", "am", "pm"};
            for (int j = 0; j < 4; j++) {
                size_t l = strlen(m[j]);
                if (i + l <= n && !strncasecmp(s + i, m[j], l)) {
                    pm = j & 1, i += l, got = 1;
                    break;
                }
            }
            break;
        }
        case K_ERA: {
            got = 0;
            static const char *const e[] = {"a.d.", "b.c.", "ad", "bc"};
            for (int j = 0; j < 4; j++) {
                size_t l = strlen(e[j]);
                if (i + l <= n && !strncasecmp(s + i, e[j], l)) {
                    bc = j & 1, i += l, got = 1;
                    break;
                }
            }
            break;
        }
        case K_MONTH:
        case K_MON: {
            int m = match_name(s, n, &i, MONTHS, 12, k->id == K_MON);
            got = m >= 0;
            if (got) mon = m + 1;
            break;
        }
        case K_DAY:
        case K_DY:
            got = match_name(s, n, &i, DAYS, 7, k->id == K_DY) >= 0;
            break;
        case K_D:
        case K_ID:
        case K_Q:
        case K_W:
            read_int(s, n, &i, 1, 0, &got);
            break;
        case K_WW:
        case K_IW:
        case K_CC:
            read_int(s, n, &i, 2, 0, &got);
            break;
        case K_TZH:
            if (i < n && (s[i] == '+' || s[i] == '-')) tzsign = s[i++] == '-' ? -1 : 1;
            tzh = (int)read_int(s, n, &i, 2, 0, &got);
            break;
        case K_TZM:
            tzm = (int)read_int(s, n, &i, 2, 0, &got);
            break;
        case K_FX:
            break;
        default:
            return tw_err_set(err, TWILL_ERROR, "0A000",
                              "formatting field \"%s\" is only supported in to_char", ks);
        }
        if (!got) {
            if (i >= n)
                return tw_err_set(err, TWILL_ERROR, "22007",
                                  "source string too short for \"%s\" formatting field", ks);
            return parse_err(err, ks);
        }
    }
    (void)have_year;
    if (hh12) {
        if (hour < 1 || hour > 12)
            return tw_err_set(err, TWILL_ERROR, "22008",
                              "hour \"%lld\" is invalid for the 12-hour clock", (long long)hour);
        if (pm == 1 && hour < 12)
            hour += 12;
        else if (pm == 0 && hour == 12)
            hour = 0;
    } else if (pm == 1 && hour < 12) {
        hour += 12;
    }
    if (bc)
        year = 1 - year;
    else if (year < 0)
        year = year + 1; /* a negative year is BC */
    int64_t days;
    if (jd >= 0) {
        days = jd - JULIAN_2000;
    } else if (doy >= 0) {
        if (doy < 1 || doy > (is_leap(year) ? 366 : 365))
            return tw_err_set(err, TWILL_ERROR, "22008", "date/time field value out of range");
        days = days_from_ymd(year, 1, 1) + doy - 1;
    } else {
        if (mon < 1 || mon > 12 || mday < 1 || mday > month_days(year, (int)mon))
            return tw_err_set(err, TWILL_ERROR, "22008",
                              "date/time field value out of range: \"%.*s\"",
                              (int)(n > 100 ? 100 : n), s);
        days = days_from_ymd(year, (int)mon, (int)mday);
    }
    if (!is_date && (hour > 24 || min > 59 || sec > 60 || (hour == 24 && (min || sec || usec))))
        return tw_err_set(err, TWILL_ERROR, "22008", "date/time field value out of range: \"%.*s\"",
                          (int)(n > 100 ? 100 : n), s);
    if (!is_date && (days < -2451545 || days >= 106751983))
        return tw_err_set(err, TWILL_ERROR, "22008", "timestamp out of range");
    int64_t us = days * TW_USECS_PER_DAY;
    if (!is_date)
        us += ((hour * 60 + min) * 60 + sec) * USECS_PER_SEC + usec -
              tzsign * ((int64_t)tzh * 60 + tzm) * 60000000;
    *out = is_date ? days : us;
    return TWILL_OK;
}

static int fn_to_date(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int64_t d;
    int rc = parse_by_format(a[0].s, a[0].n, a[1].s, a[1].n, 1, &d, err);
    if (rc) return rc;
    if (d < -2451508 || d > INT64_C(2145031948))
        return tw_err_set(err, TWILL_ERROR, "22008", "date out of range: \"%.*s\"",
                          (int)(a[0].n > 100 ? 100 : a[0].n), a[0].s);
    *out = (tw_val){.k = VK_DATE, .i = d};
    return TWILL_OK;
}

static int fn_to_timestamp2(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int64_t us;
    int rc = parse_by_format(a[0].s, a[0].n, a[1].s, a[1].n, 0, &us, err);
    if (rc) return rc;
    *out = (tw_val){.k = VK_TSTZ, .i = us};
    return TWILL_OK;
}

/* ---- date_bin(stride, source, origin) ---- */

static int fn_date_bin(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_iv st = tw_iv_get(&a[0]);
    if (st.mon != 0)
        return tw_err_set(err, TWILL_ERROR, "0A000",
                          "timestamps cannot be binned into intervals containing months or years");
    int64_t stride;
    if (__builtin_mul_overflow((int64_t)st.day, TW_USECS_PER_DAY, &stride) ||
        __builtin_add_overflow(stride, st.us, &stride))
        return tw_err_set(err, TWILL_ERROR, "22008", "interval out of range");
    if (stride <= 0)
        return tw_err_set(err, TWILL_ERROR, "22023", "stride must be greater than zero");
    int64_t src = a[1].i, org = a[2].i, diff;
    if (src == TW_TS_NOBEGIN || src == TW_TS_NOEND || org == TW_TS_NOBEGIN || org == TW_TS_NOEND)
        return tw_err_set(err, TWILL_ERROR, "22008", "timestamp out of range");
    if (__builtin_sub_overflow(src, org, &diff))
        return tw_err_set(err, TWILL_ERROR, "22008", "interval out of range");
    int64_t r = org + (diff / stride) * stride;
    if (diff < 0 && diff % stride) r -= stride;
    *out = (tw_val){.k = a[1].k, .i = r};
    return TWILL_OK;
}

const tw_func tw_funcs_datetime[] = {
    {"to_char", "dt", TY_TEXT, TW_FN_STRICT, fn_to_char_date},
    {"to_char", "st", TY_TEXT, TW_FN_STRICT, fn_to_char_ts},
    {"to_char", "zt", TY_TEXT, TW_FN_STRICT, fn_to_char_ts},
    {"to_char", "vt", TY_TEXT, TW_FN_STRICT, fn_to_char_iv},
    {"to_char", "Nt", TY_TEXT, TW_FN_STRICT, fn_to_char_num},
    {"to_char", "it", TY_TEXT, TW_FN_STRICT, fn_to_char_int},
    {"to_char", "ft", TY_TEXT, TW_FN_STRICT, fn_to_char_float},
    {"to_date", "tt", TY_DATE, TW_FN_STRICT, fn_to_date},
    {"to_timestamp", "tt", TY_TIMESTAMPTZ, TW_FN_STRICT, fn_to_timestamp2},
    {"to_timestamp", "f", TY_TIMESTAMPTZ, TW_FN_STRICT, fn_to_timestamp1},
    {"make_date", "iii", TY_DATE, TW_FN_STRICT, fn_make_date},
    {"make_timestamp", "iiiiif", TY_TIMESTAMP, TW_FN_STRICT, fn_make_timestamp},
    {"make_timestamptz", "iiiiif", TY_TIMESTAMPTZ, TW_FN_STRICT, fn_make_timestamptz},
    {"make_interval", "|iiiiiif", TY_INTERVAL, TW_FN_STRICT, fn_make_interval},
    {"justify_days", "v", TY_INTERVAL, TW_FN_STRICT, fn_justify_days},
    {"justify_hours", "v", TY_INTERVAL, TW_FN_STRICT, fn_justify_hours},
    {"justify_interval", "v", TY_INTERVAL, TW_FN_STRICT, fn_justify_interval},
    {"isfinite", "v", TY_BOOL, TW_FN_STRICT, fn_isfinite_any},
    {"isfinite", "d", TY_BOOL, TW_FN_STRICT, fn_isfinite},
    {"isfinite", "z", TY_BOOL, TW_FN_STRICT, fn_isfinite},
    {"age", "ss", TY_INTERVAL, TW_FN_STRICT, fn_age2},
    {"age", "zz", TY_INTERVAL, TW_FN_STRICT, fn_age2},
    {"age", "s", TY_INTERVAL, TW_FN_STRICT, fn_age1},
    {"age", "z", TY_INTERVAL, TW_FN_STRICT, fn_age1},
    {"date_bin", "vss", TY_TIMESTAMP, TW_FN_STRICT, fn_date_bin},
    {"date_bin", "vzz", TY_TIMESTAMPTZ, TW_FN_STRICT, fn_date_bin},
    {"clock_timestamp", "", TY_TIMESTAMPTZ, TW_FN_VOLATILE, fn_clock_timestamp},
    {NULL, NULL, 0, 0, NULL},
};
