/*
 * func_math.c — mathematical functions, GREATEST / LEAST.
 *
 * As in PostgreSQL, most functions exist for double precision and for numeric; an
 * integer or unknown argument takes the double precision one (float8 is the preferred
 * numeric type) and a numeric argument the numeric one (signature letter 'N'). The
 * numeric forms are exact (sqrt, power to an integer exponent, mod, div, gcd, lcm,
 * sign); those that would need arbitrary-precision transcendental arithmetic (exp, ln,
 * log, power to a fractional exponent) are 0A000 rather than computed in double.
 */
#include "sql/func.h"
#include "sql/numeric.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef unsigned __int128 u128;

static int fail(tw_err *err, const char *state, const char *msg) {
    return tw_err_set(err, TWILL_ERROR, state, "%s", msg);
}

static int fl(double d, tw_val *out) {
    *out = (tw_val){.k = VK_FLOAT, .d = d};
    return TWILL_OK;
}

static int num(tw_num n, tw_val *out) {
    *out = (tw_val){0};
    tw_num_set(out, n);
    return TWILL_OK;
}

static int overflow(tw_err *err) {
    return fail(err, "22003", "value out of range: overflow");
}
static int underflow(tw_err *err) {
    return fail(err, "22003", "value out of range: underflow");
}
static int out_of_range(tw_err *err) {
    return fail(err, "22003", "input is out of range");
}

/* ---- double precision ---- */

static int fn_sqrt(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    if (a[0].d < 0) return fail(err, "2201F", "cannot take square root of a negative number");
    return fl(sqrt(a[0].d), out);
}

static int fn_cbrt(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(cbrt(a[0].d), out);
}

static int fn_exp(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double x = a[0].d, r = exp(x);
    if (isinf(r) && !isinf(x)) return overflow(err);
    if (r == 0 && !isinf(x)) return underflow(err);
    return fl(r, out);
}

static int log_arg(double x, tw_err *err) {
    if (x == 0) return fail(err, "2201E", "cannot take logarithm of zero");
    if (x < 0) return fail(err, "2201E", "cannot take logarithm of a negative number");
    return TWILL_OK;
}

static int fn_ln(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int rc = log_arg(a[0].d, err);
    return rc ? rc : fl(log(a[0].d), out);
}

static int fn_log10(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    int rc = log_arg(a[0].d, err);
    return rc ? rc : fl(log10(a[0].d), out);
}

static int fn_power(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double x = a[0].d, y = a[1].d;
    if (isnan(x)) return fl(y == 0 ? 1.0 : x, out);
    if (isnan(y)) return fl(x == 1 ? 1.0 : y, out);
    if (x == 0 && y < 0) return fail(err, "2201F", "zero raised to a negative power is undefined");
    if (x < 0 && isfinite(y) && floor(y) != y)
        return fail(err, "2201F",
                    "a negative number raised to a non-integer power yields a complex result");
    double r = pow(x, y);
    if (isinf(r) && !isinf(x) && !isinf(y)) return overflow(err);
    if (r == 0 && x != 0 && !isinf(x) && !isinf(y)) return underflow(err);
    return fl(r, out);
}

/* sin, cos, tan, cot: an infinite argument is out of range; NaN stays NaN. */
static int trig(double (*f)(double), const tw_val *a, tw_val *out, tw_err *err) {
    double x = a[0].d;
    if (isnan(x)) return fl(x, out);
    if (isinf(x)) return out_of_range(err);
    return fl(f(x), out);
}

static double cot(double x) {
    return 1.0 / tan(x);
}

#define TRIG(name, f)                                                                              \
    static int name(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {             \
        (void)n, (void)c;                                                                          \
        return trig(f, a, out, err);                                                               \
    }
TRIG(fn_sin, sin)
TRIG(fn_cos, cos)
TRIG(fn_tan, tan)
TRIG(fn_cot, cot)

/* asin, acos: |x| > 1 is out of range. */
static int fn_asin(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double x = a[0].d;
    if (isnan(x)) return fl(x, out);
    if (x < -1 || x > 1) return out_of_range(err);
    return fl(asin(x), out);
}

static int fn_acos(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double x = a[0].d;
    if (isnan(x)) return fl(x, out);
    if (x < -1 || x > 1) return out_of_range(err);
    return fl(acos(x), out);
}

static int fn_atan(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(atan(a[0].d), out);
}

static int fn_atan2(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(atan2(a[0].d, a[1].d), out);
}

static int fn_sinh(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(sinh(a[0].d), out);
}
static int fn_cosh(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(cosh(a[0].d), out);
}
static int fn_tanh(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(tanh(a[0].d), out);
}
static int fn_asinh(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    return fl(asinh(a[0].d), out);
}
static int fn_acosh(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    if (a[0].d < 1) return out_of_range(err);
    return fl(acosh(a[0].d), out);
}
static int fn_atanh(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double x = a[0].d;
    if (x < -1 || x > 1) return out_of_range(err);
    return fl(x == 1 ? INFINITY : x == -1 ? -INFINITY : atanh(x), out);
}

#define RADIANS_PER_DEGREE 0.0174532925199432957692

static int fn_degrees(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double r = a[0].d / RADIANS_PER_DEGREE;
    if (isinf(r) && !isinf(a[0].d)) return overflow(err);
    return fl(r, out);
}

static int fn_radians(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double r = a[0].d * RADIANS_PER_DEGREE;
    if (r == 0 && a[0].d != 0) return underflow(err);
    return fl(r, out);
}

static int fn_pi(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c, (void)err;
    return fl(3.14159265358979323846, out);
}

/* random(): a per-thread xoshiro256** generator seeded from the clock and the thread. */
static _Thread_local uint64_t rng[4];
static _Thread_local int rng_seeded;

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static int fn_random(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c, (void)err;
    if (!rng_seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t s = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        s ^= (uint64_t)(uintptr_t)&rng_seeded;
        for (int i = 0; i < 4; i++) rng[i] = splitmix(&s);
        rng_seeded = 1;
    }
    uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
    rng[2] ^= rng[0];
    rng[3] ^= rng[1];
    rng[1] ^= rng[2];
    rng[0] ^= rng[3];
    rng[2] ^= t;
    rng[3] = rotl(rng[3], 45);
    return fl((double)(r >> 11) * 0x1.0p-53, out);
}

static int fn_fsign(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    double x = a[0].d;
    return fl(x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0, out);
}

/* ---- integers ---- */

static int fn_imod(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    if (a[1].i == 0) return fail(err, "22012", "division by zero");
    *out = (tw_val){.k = VK_INT, .i = a[1].i == -1 ? 0 : a[0].i % a[1].i};
    return TWILL_OK;
}

/* The bitwise operators & | # of integers (the wider argument type). */
static int fn_band(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_INT, .i = a[0].i & a[1].i};
    return TWILL_OK;
}
static int fn_bor(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_INT, .i = a[0].i | a[1].i};
    return TWILL_OK;
}
static int fn_bxor(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    *out = (tw_val){.k = VK_INT, .i = a[0].i ^ a[1].i};
    return TWILL_OK;
}

static uint64_t umag(int64_t x) {
    return x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
}

static uint64_t ugcd(uint64_t x, uint64_t y) {
    while (y) {
        uint64_t t = x % y;
        x = y;
        y = t;
    }
    return x;
}

static int big_range(tw_err *err) {
    return fail(err, "22003", "bigint out of range");
}

static int fn_igcd(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    uint64_t g = ugcd(umag(a[0].i), umag(a[1].i));
    if (g > (uint64_t)INT64_MAX) return big_range(err);
    *out = (tw_val){.k = VK_INT, .i = (int64_t)g};
    return TWILL_OK;
}

static int fn_ilcm(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    uint64_t x = umag(a[0].i), y = umag(a[1].i), r;
    if (x == 0 || y == 0) {
        *out = (tw_val){.k = VK_INT, .i = 0};
        return TWILL_OK;
    }
    if (__builtin_mul_overflow(x / ugcd(x, y), y, &r) || r > (uint64_t)INT64_MAX)
        return big_range(err);
    *out = (tw_val){.k = VK_INT, .i = (int64_t)r};
    return TWILL_OK;
}

/* ---- numeric ---- */

#define NUM_LIM ((u128)10000000000000000000ull * 10000000000000000000ull) /* 10^38 */

static u128 p10(int k) {
    u128 r = 1;
    while (k-- > 0) r *= 10;
    return r;
}

static u128 nmag(tw_num x) {
    return x.c < 0 ? -(u128)x.c : (u128)x.c;
}

static int ndigits(u128 m) {
    int d = 1;
    while (m >= 10) m /= 10, d++;
    return d;
}

static int novf(tw_err *err) {
    return tw_err_set(err, TWILL_ERROR, "22003",
                      "value overflows numeric format (numeric values are limited to %d "
                      "significant digits)",
                      TW_NUM_MAX_DIGITS);
}

/* m * 10^k within the numeric range, or -1. */
static int scale_up(u128 *m, int k) {
    if (*m == 0 || k == 0) return 0;
    if (k >= TW_NUM_MAX_DIGITS) return -1;
    u128 p = p10(k);
    if (*m > (NUM_LIM - 1) / p) return -1;
    *m *= p;
    return 0;
}

static int mk_num(int neg, u128 m, int scale, tw_val *out, tw_err *err) {
    if (m >= NUM_LIM || scale > TW_NUM_MAX_SCALE) return novf(err);
    return num((tw_num){neg && m ? -(__int128)m : (__int128)m, scale}, out);
}

/* Both magnitudes at the larger scale. */
static int align(tw_num a, tw_num b, u128 *ma, u128 *mb, int *scale, tw_err *err) {
    int s = a.scale > b.scale ? a.scale : b.scale;
    *ma = nmag(a), *mb = nmag(b);
    if (scale_up(ma, s - a.scale) || scale_up(mb, s - b.scale)) return novf(err);
    *scale = s;
    return TWILL_OK;
}

static int fn_nmod(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num r;
    int rc = tw_num_mod(tw_num_get(&a[0]), tw_num_get(&a[1]), &r, err);
    return rc ? rc : num(r, out);
}

/* div(a, b): the integral quotient, truncated toward zero (scale 0). */
static int fn_ndiv(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num x = tw_num_get(&a[0]), y = tw_num_get(&a[1]);
    if (y.c == 0) return fail(err, "22012", "division by zero");
    u128 mx, my;
    int s, rc = align(x, y, &mx, &my, &s, err);
    if (rc) return rc;
    return mk_num((x.c < 0) != (y.c < 0), mx / my, 0, out, err);
}

static u128 gcd128(u128 x, u128 y) {
    while (y) {
        u128 t = x % y;
        x = y;
        y = t;
    }
    return x;
}

static int fn_ngcd(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    u128 mx, my;
    int s, rc = align(tw_num_get(&a[0]), tw_num_get(&a[1]), &mx, &my, &s, err);
    if (rc) return rc;
    return mk_num(0, gcd128(mx, my), s, out, err);
}

static int fn_nlcm(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    u128 mx, my, r;
    int s, rc = align(tw_num_get(&a[0]), tw_num_get(&a[1]), &mx, &my, &s, err);
    if (rc) return rc;
    if (mx == 0 || my == 0) return mk_num(0, 0, s, out, err);
    if (__builtin_mul_overflow(mx / gcd128(mx, my), my, &r)) return novf(err);
    return mk_num(0, r, s, out, err);
}

static int fn_nsign(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c, (void)err;
    tw_num x = tw_num_get(&a[0]);
    return num((tw_num){x.c > 0 ? 1 : x.c < 0 ? -1 : 0, 0}, out);
}

/* PostgreSQL's base-10000 weight of a numeric (0 for zero). */
static int weight10k(tw_num x) {
    u128 m = nmag(x);
    if (!m) return 0;
    int e10 = ndigits(m) - 1 - x.scale;
    return e10 >= 0 ? e10 / 4 : -((-e10 + 3) / 4);
}

/* A 256-bit unsigned integer for the square root's radicand. */
typedef struct u256 {
    u128 hi, lo;
} u256;

static int u256_ge(u256 a, u256 b) {
    return a.hi != b.hi ? a.hi > b.hi : a.lo >= b.lo;
}
static u256 u256_sub(u256 a, u256 b) {
    u256 r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}
static u256 u256_add(u256 a, u256 b) {
    u256 r = {a.hi + b.hi, a.lo + b.lo};
    r.hi += r.lo < a.lo;
    return r;
}
static u256 u256_shr(u256 a, int k) { /* 0 < k < 128 */
    return (u256){a.hi >> k, (a.lo >> k) | (a.hi << (128 - k))};
}
/* a * 10 (a < 2^252, so it cannot overflow). */
static int u256_mul10(u256 *a) {
    if (a->hi >> 124) return -1;
    u256 a8 = {(a->hi << 3) | (a->lo >> 125), a->lo << 3};
    u256 a2 = {(a->hi << 1) | (a->lo >> 127), a->lo << 1};
    *a = u256_add(a8, a2);
    return 0;
}

/* sqrt(numeric): the scale PostgreSQL chooses (at least 16 significant digits, at least
 * the argument's scale), rounded half away from zero, computed exactly. */
static int fn_nsqrt(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num x = tw_num_get(&a[0]);
    if (x.c < 0) return fail(err, "2201F", "cannot take square root of a negative number");
    int sweight = (weight10k(x) + 1) * 2 - 1;
    int rscale = 16 - sweight;
    if (rscale < x.scale) rscale = x.scale;
    if (rscale < 0) rscale = 0;
    if (rscale > TW_NUM_MAX_SCALE) rscale = TW_NUM_MAX_SCALE;
    /* radicand: x * 10^(2 * rscale) as an integer */
    u256 v = {0, nmag(x)};
    int k = 2 * rscale - x.scale;
    if (v.lo && ndigits(v.lo) + k > 76) return novf(err); /* root >= 10^38 */
    for (int i = 0; i < k && v.lo | v.hi; i++)
        if (u256_mul10(&v)) return novf(err);
    u256 res = {0, 0}, bit = {(u128)1 << 126, 0};
    while (bit.hi | bit.lo && !u256_ge(v, bit)) bit = u256_shr(bit, 2);
    while (bit.hi | bit.lo) {
        u256 t = u256_add(res, bit);
        if (u256_ge(v, t)) {
            v = u256_sub(v, t);
            res = u256_add(u256_shr(res, 1), bit);
        } else {
            res = u256_shr(res, 1);
        }
        bit = u256_shr(bit, 2);
    }
    /* v is now the remainder radicand - res^2; round up when it exceeds res */
    if (res.hi) return novf(err);
    if (v.hi || v.lo > res.lo) res.lo++;
    return mk_num(0, res.lo, rscale, out, err);
}

/* m1 / m2 rounded half away from zero to `digits` decimal places of the integer quotient
 * (long division, one digit per step). */
static int div_digits(u128 m1, u128 m2, int digits, u128 *q_out, tw_err *err) {
    u128 q = m1 / m2, r = m1 % m2;
    for (int i = 0; i < digits; i++) {
        if (q >= NUM_LIM / 10) return novf(err);
        u128 x = 0;
        unsigned d = 0;
        for (int j = 0; j < 10; j++) { /* 10 * r mod m2 without overflow (r < m2) */
            x += r;
            if (x >= m2) x -= m2, d++;
        }
        q = q * 10 + d;
        r = x;
    }
    if (r >= m2 - r) q++;
    *q_out = q;
    return TWILL_OK;
}

/* bm^ei exactly (base-10^9 limbs) with `rs` decimal places, rounded half away from
 * zero to `rscale` places: the coefficient at scale rscale in *q. For powers whose
 * exact value does not fit 128 bits (1.05^30). */
#define BIG_LIMBS 2300
static int big_pow_round(u128 bm, u128 ei, int rs, int rscale, u128 *q, tw_err *err) {
    uint32_t *l = malloc(sizeof *l * BIG_LIMBS), *tmp = malloc(sizeof *tmp * BIG_LIMBS), bl[6];
    char *dig = malloc(BIG_LIMBS * 9 + 16);
    int n = 1, nb = 0, rc = TWILL_OK;
    if (!l || !tmp || !dig) {
        free(l), free(tmp), free(dig);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
    }
    l[0] = 1;
    for (u128 x = bm; x; x /= 1000000000u) bl[nb++] = (uint32_t)(x % 1000000000u);
    for (u128 k = 0; k < ei && rc == TWILL_OK; k++) {
        if (n + nb + 1 > BIG_LIMBS) {
            rc = novf(err);
            break;
        }
        /* tmp = l * bl */
        memset(tmp, 0, sizeof(uint32_t) * (size_t)(n + nb + 1));
        for (int i = 0; i < n; i++) {
            uint64_t carry = 0;
            for (int j = 0; j < nb; j++) {
                uint64_t t = (uint64_t)l[i] * bl[j] + tmp[i + j] + carry;
                tmp[i + j] = (uint32_t)(t % 1000000000u);
                carry = t / 1000000000u;
            }
            for (int j = i + nb; carry; j++) {
                uint64_t t = tmp[j] + carry;
                tmp[j] = (uint32_t)(t % 1000000000u);
                carry = t / 1000000000u;
            }
        }
        n = n + nb + 1;
        while (n > 1 && tmp[n - 1] == 0) n--;
        memcpy(l, tmp, sizeof(uint32_t) * (size_t)n);
    }
    if (rc == TWILL_OK) {
        int len = snprintf(dig, 16, "%u", l[n - 1]);
        for (int i = n - 2; i >= 0; i--) len += snprintf(dig + len, 16, "%09u", l[i]);
        int drop = rs - rscale, keep = len - drop;
        u128 v = 0;
        if (drop <= 0) {
            if (len - drop > TW_NUM_MAX_DIGITS) rc = novf(err);
            for (int i = 0; rc == TWILL_OK && i < len - drop; i++)
                v = v * 10 + (unsigned)(i < len ? dig[i] - '0' : 0);
        } else if (keep > TW_NUM_MAX_DIGITS) {
            rc = novf(err);
        } else if (keep >= 0) {
            for (int i = 0; i < keep; i++) v = v * 10 + (unsigned)(dig[i] - '0');
            if (dig[keep] >= '5') v++;
        }
        *q = v;
    }
    free(l);
    free(tmp);
    free(dig);
    return rc;
}

static int npower_frac(tw_num b, tw_num e, tw_val *out, tw_err *err);

/* power(numeric, numeric) for an integral exponent: exact, rounded to PostgreSQL's
 * scale (16, or the base's scale if larger). */
static int fn_npower(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num b = tw_num_get(&a[0]), e = tw_num_get(&a[1]);
    u128 em = nmag(e);
    if (em % p10(e.scale > 38 ? 38 : e.scale) != 0 || e.scale > 38)
        return b.c < 0 ? fail(err, "2201F",
                              "a negative number raised to a non-integer power yields a complex "
                              "result")
               : b.c == 0 && e.c < 0
                   ? fail(err, "2201F", "zero raised to a negative power is undefined")
                   : npower_frac(b, e, out, err);
    u128 ei = em / p10(e.scale);
    if (b.c == 0 && e.c < 0)
        return fail(err, "2201F", "zero raised to a negative power is undefined");
    int rscale = b.scale > 16 ? b.scale : 16;
    if (rscale > TW_NUM_MAX_SCALE) rscale = TW_NUM_MAX_SCALE;
    u128 bm = nmag(b);
    while (bm && bm % 10 == 0 && b.scale > 0) bm /= 10, b.scale--; /* 10.0 is 10 */
    int neg = b.c < 0 && (ei & 1);
    /* |b|^ei exactly, with scale b.scale * ei */
    u128 r = 1;
    if (bm == 1 && b.scale == 0) {
        r = 1;
        ei = 0;
    } else if (bm == 0) {
        r = ei == 0;
        ei = 0;
    }
    if (ei > 100000) return novf(err);
    int rs = b.scale * (int)ei;
    for (u128 i = 0; i < ei; i++)
        if (__builtin_mul_overflow(r, bm, &r) || r >= NUM_LIM) {
            if (e.c < 0) return novf(err);
            u128 q = 0;
            int rc = big_pow_round(bm, ei, rs, rscale, &q, err);
            return rc ? rc : mk_num(neg, q, rscale, out, err);
        }
    if (e.c >= 0 || r == 0) {
        tw_num x = {(__int128)r, rs}, y;
        if (rs > TW_NUM_MAX_SCALE) x = (tw_num){0, 0}, rs = 0;
        int rc = tw_num_round(x, rscale, 0, &y, err);
        if (rc) return rc;
        if (neg) y.c = -y.c;
        return num(y, out);
    }
    /* 1 / (r / 10^rs) = 10^rs / r, to rscale places */
    u128 q = 0;
    int rc;
    if (rs + rscale <= 0) {
        q = 0;
    } else {
        u128 num1 = 1;
        int extra = rs + rscale;
        /* start the long division from 10^k with as many digits pre-multiplied as fit */
        int pre = 0;
        while (pre < extra && num1 <= NUM_LIM / 10) num1 *= 10, pre++;
        if ((rc = div_digits(num1, r, extra - pre, &q, err))) return rc;
    }
    return mk_num(neg, q, rscale, out, err);
}

/* ---- exp, ln, log and fractional powers of numeric ----
 *
 * Computed in binary128 (__float128: about 34 significant digits, arithmetic from
 * libgcc) with PostgreSQL's choice of result scale, then rounded half away from zero.
 * A result that would need more than 30 significant digits is 0A000 rather than risk
 * a last digit PostgreSQL would print differently. */

typedef __float128 q128;

#define Q_DIGITS 30

static q128 q_pow10(int k) { /* by squaring: few roundings */
    q128 r = 1, b = 10;
    int neg = k < 0;
    unsigned u = (unsigned)(neg ? -k : k);
    while (u) {
        if (u & 1) r *= b;
        b *= b;
        u >>= 1;
    }
    return neg ? 1 / r : r;
}

static q128 q_of(tw_num n) {
    q128 v = (q128)(n.c < 0 ? -(u128)n.c : (u128)n.c);
    v /= q_pow10(n.scale);
    return n.c < 0 ? -v : v;
}

/* 2 atanh(z) by its series (|z| small). */
static q128 q_atanh2(q128 z) {
    q128 z2 = z * z, term = z, sum = z;
    for (int k = 3; k < 400; k += 2) {
        term *= z2;
        q128 t = term / k;
        sum += t;
        if ((t < 0 ? -t : t) < sum * (q128)1e-38 || t == 0) break;
    }
    return 2 * sum;
}

static q128 q_ln2(void) {
    return q_atanh2((q128)1 / 3);
}

static q128 q_ln(q128 x) { /* x > 0 */
    int64_t e = 0;
    q128 two64 = (q128)18446744073709551616.0;
    while (x > two64) x /= two64, e += 64;
    while (x < 1 / two64) x *= two64, e -= 64;
    while (x > (q128)1.4142135623730951) x /= 2, e++;
    while (x < (q128)0.7071067811865476) x *= 2, e--;
    return q_atanh2((x - 1) / (x + 1)) + (q128)e * q_ln2();
}

static q128 q_exp(q128 x) { /* |x| < 12000 */
    q128 ln2 = q_ln2();
    int64_t k = (int64_t)(x / ln2 + (x < 0 ? -0.5 : 0.5));
    q128 r = x - (q128)k * ln2, term = 1, sum = 1;
    for (int n = 1; n < 200; n++) {
        term = term * r / n;
        sum += term;
        if ((term < 0 ? -term : term) < sum * (q128)1e-38) break;
    }
    for (; k > 0; k--) sum *= 2;
    for (; k < 0; k++) sum /= 2;
    return sum;
}

/* v rounded half away from zero to rscale places, as a numeric. */
static int q_result(q128 v, int rscale, tw_val *out, tw_err *err) {
    int neg = v < 0;
    if (neg) v = -v;
    if (v != 0) {
        /* significant digits the result needs: its leading digit's position + rscale */
        int lead = 0;
        q128 t = v;
        while (t >= 10) t /= 10, lead++;
        while (t < 1) t *= 10, lead--;
        if (lead + 1 > TW_NUM_MAX_DIGITS) return novf(err);
        if (lead + 1 + rscale > Q_DIGITS)
            return tw_err_set(err, TWILL_ERROR, "0A000",
                              "this numeric result needs more than %d significant digits "
                              "(cast to double precision)",
                              Q_DIGITS);
    }
    q128 scaled = v * q_pow10(rscale) + (q128)0.5;
    if (scaled >= (q128)1e38) return novf(err);
    u128 m = (u128)scaled;
    return mk_num(neg, m, rscale, out, err);
}

/* PostgreSQL's estimate of the decimal weight of ln(x), x > 0: for x near 1 that of
 * x - 1, else log10(|ln x|) from x's leading base-10000 digits. */
static int ln_dweight(tw_num x) {
    tw_num one = {1, 0}, d;
    tw_num p9 = {9, 1}, p11 = {11, 1};
    if (tw_num_cmp(x, p9) >= 0 && tw_num_cmp(x, p11) <= 0) {
        if (tw_num_sub(x, one, &d, NULL) || d.c == 0) return 0;
        return ndigits(nmag(d)) - 1 - d.scale;
    }
    u128 m = nmag(x);
    if (!m) return 0;
    char dg[48];
    int nd = 0;
    for (u128 t = m; t; t /= 10) dg[nd++] = (char)(t % 10); /* dg[i]: the digit at 10^i */
    int lowpos = -x.scale, e10 = nd - 1 - x.scale;          /* positions of last / first digit */
    int w = e10 >= 0 ? e10 / 4 : -((-e10 + 3) / 4);         /* base-10000 weight */
    int last = lowpos;
    for (int i = 0; i < nd && dg[i] == 0; i++) last++; /* the last nonzero digit */
    /* base-10000 digit g: decimal positions 4g .. 4g+3 */
    double digits = 0;
    int dweight = 4 * w, groups = last < 4 * w ? 2 : 1;
    for (int g = w; g > w - groups; g--) {
        int v = 0;
        for (int pos = 4 * g + 3; pos >= 4 * g; pos--) {
            int i = pos - lowpos;
            v = v * 10 + (i >= 0 && i < nd ? dg[i] : 0);
        }
        digits = digits * 10000 + v;
    }
    if (groups == 2) dweight -= 4;
    double lnv = log(digits) + dweight * 2.302585092994046;
    return (int)log10(fabs(lnv));
}

static int clamp_scale(int r) {
    return r < 0 ? 0 : r > TW_NUM_MAX_SCALE ? TW_NUM_MAX_SCALE : r;
}

static int fn_nexp(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num x = tw_num_get(&a[0]);
    double xd;
    tw_num_to_double(x, &xd);
    if (xd > 100) return novf(err);
    if (xd < -11000)
        return tw_err_set(err, TWILL_ERROR, "0A000",
                          "this numeric result needs more than %d significant digits", Q_DIGITS);
    double val = xd * 0.434294481903252;
    int rscale = 16 - (int)val;
    if (rscale < x.scale) rscale = x.scale;
    return q_result(q_exp(q_of(x)), clamp_scale(rscale), out, err);
}

static int ln_arg(tw_num x, tw_err *err) {
    if (x.c == 0) return fail(err, "2201E", "cannot take logarithm of zero");
    if (x.c < 0) return fail(err, "2201E", "cannot take logarithm of a negative number");
    return TWILL_OK;
}

static int fn_nln(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num x = tw_num_get(&a[0]);
    int rc = ln_arg(x, err);
    if (rc) return rc;
    int rscale = 16 - ln_dweight(x);
    if (rscale < x.scale) rscale = x.scale;
    return q_result(q_ln(q_of(x)), clamp_scale(rscale), out, err);
}

/* log(b, x) = ln(x) / ln(b); log(x) and log10(x) are log(10, x). */
static int nlog(tw_num b, tw_num x, tw_val *out, tw_err *err) {
    int rc = ln_arg(b, err);
    if (rc || (rc = ln_arg(x, err))) return rc;
    int rscale = 16 - (ln_dweight(x) - ln_dweight(b));
    if (rscale < b.scale) rscale = b.scale;
    if (rscale < x.scale) rscale = x.scale;
    q128 lb = q_ln(q_of(b));
    if (b.c == 1 * (__int128)p10(b.scale) || lb == 0) return fail(err, "22012", "division by zero");
    return q_result(q_ln(q_of(x)) / lb, clamp_scale(rscale), out, err);
}

static int fn_nlog(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c;
    if (n == 2) return nlog(tw_num_get(&a[0]), tw_num_get(&a[1]), out, err);
    return nlog((tw_num){10, 0}, tw_num_get(&a[0]), out, err);
}

/* power(b, e) of numeric for a fractional e: exp(e * ln(b)). */
static int npower_frac(tw_num b, tw_num e, tw_val *out, tw_err *err) {
    int rscale;
    if (b.c == 0) { /* 0 ^ positive fraction */
        rscale = 16;
        if (rscale < b.scale) rscale = b.scale;
        if (rscale < e.scale) rscale = e.scale;
        return mk_num(0, 0, clamp_scale(rscale), out, err);
    }
    q128 lnv = q_ln(q_of(b)) * q_of(e);
    double val = (double)lnv;
    if (val > 90) return novf(err);
    if (val < -25000)
        return tw_err_set(err, TWILL_ERROR, "0A000",
                          "this numeric result needs more than %d significant digits", Q_DIGITS);
    val *= 0.434294481903252;
    rscale = 16 - (int)val;
    if (rscale < b.scale) rscale = b.scale;
    if (rscale < e.scale) rscale = e.scale;
    return q_result(q_exp(lnv), clamp_scale(rscale), out, err);
}

/* ---- width_bucket ---- */

static int wb_err(tw_err *err, const char *msg) {
    return tw_err_set(err, TWILL_ERROR, "2201G", "%s", msg);
}

static int wb_result(int64_t r, tw_val *out, tw_err *err) {
    if (r > INT32_MAX) return fail(err, "22003", "integer out of range");
    *out = (tw_val){.k = VK_INT, .i = r};
    return TWILL_OK;
}

static int fn_width_bucket(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    double x = a[0].d, lo = a[1].d, hi = a[2].d;
    int64_t count = a[3].i;
    if (count <= 0) return wb_err(err, "count must be greater than zero");
    if (isnan(x) || isnan(lo) || isnan(hi))
        return wb_err(err, "operand, lower bound, and upper bound cannot be NaN");
    if (isinf(lo) || isinf(hi)) return wb_err(err, "lower and upper bounds must be finite");
    if (lo == hi) return wb_err(err, "lower bound cannot equal upper bound");
    if (lo < hi) {
        if (x < lo) return wb_result(0, out, err);
        if (x >= hi) return wb_result(count + 1, out, err);
        return wb_result((int64_t)floor((double)count * (x - lo) / (hi - lo)) + 1, out, err);
    }
    if (x > lo) return wb_result(0, out, err);
    if (x <= hi) return wb_result(count + 1, out, err);
    return wb_result((int64_t)floor((double)count * (lo - x) / (lo - hi)) + 1, out, err);
}

/* The numeric form, exactly: floor((x - lo) * count / (hi - lo)) + 1. */
static int fn_nwidth_bucket(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)n, (void)c;
    tw_num x = tw_num_get(&a[0]), lo = tw_num_get(&a[1]), hi = tw_num_get(&a[2]), d1, d2;
    int64_t count = a[3].i;
    if (count <= 0) return wb_err(err, "count must be greater than zero");
    int cmp = tw_num_cmp(lo, hi);
    if (cmp == 0) return wb_err(err, "lower bound cannot equal upper bound");
    if (cmp < 0 ? tw_num_cmp(x, lo) < 0 : tw_num_cmp(x, lo) > 0) return wb_result(0, out, err);
    if (cmp < 0 ? tw_num_cmp(x, hi) >= 0 : tw_num_cmp(x, hi) <= 0)
        return wb_result(count + 1, out, err);
    int rc = cmp < 0 ? tw_num_sub(x, lo, &d1, err) : tw_num_sub(lo, x, &d1, err);
    if (rc || (rc = cmp < 0 ? tw_num_sub(hi, lo, &d2, err) : tw_num_sub(lo, hi, &d2, err)))
        return rc;
    u128 m1, m2, p;
    int s;
    if ((rc = align(d1, d2, &m1, &m2, &s, err))) return rc;
    if (__builtin_mul_overflow(m1, (u128)count, &p)) return novf(err);
    return wb_result((int64_t)(p / m2) + 1, out, err);
}

/* ---- GREATEST / LEAST: NULLs ignored; NULL only when every argument is ---- */

static int minmax(const tw_val *a, int n, int want, tw_val *out, tw_err *err) {
    out->k = VK_NULL;
    for (int i = 0; i < n; i++) {
        if (a[i].k == VK_NULL) continue;
        int r = 0;
        if (out->k != VK_NULL) {
            int rc = tw_val_cmp(&a[i], out, &r, err);
            if (rc) return rc;
        }
        if (out->k == VK_NULL || r * want > 0) *out = a[i];
    }
    return TWILL_OK;
}

static int fn_greatest(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c;
    return minmax(a, n, 1, out, err);
}
static int fn_least(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)c;
    return minmax(a, n, -1, out, err);
}

const tw_func tw_func_greatest = {"greatest", "c*", TW_RET_COMMON, 0, fn_greatest};
const tw_func tw_func_least = {"least", "c*", TW_RET_COMMON, 0, fn_least};

const tw_func tw_funcs_math[] = {
    {"sqrt", "N", TY_NUMERIC, TW_FN_STRICT, fn_nsqrt},
    {"sqrt", "f", TY_FLOAT8, TW_FN_STRICT, fn_sqrt},
    {"cbrt", "f", TY_FLOAT8, TW_FN_STRICT, fn_cbrt},
    {"exp", "N", TY_NUMERIC, TW_FN_STRICT, fn_nexp},
    {"exp", "f", TY_FLOAT8, TW_FN_STRICT, fn_exp},
    {"ln", "N", TY_NUMERIC, TW_FN_STRICT, fn_nln},
    {"ln", "f", TY_FLOAT8, TW_FN_STRICT, fn_ln},
    {"log", "N", TY_NUMERIC, TW_FN_STRICT, fn_nlog},
    {"log", "f", TY_FLOAT8, TW_FN_STRICT, fn_log10},
    {"log", "nn", TY_NUMERIC, TW_FN_STRICT, fn_nlog}, /* log(base, x) exists for numeric only */
    {"log10", "N", TY_NUMERIC, TW_FN_STRICT, fn_nlog},
    {"log10", "f", TY_FLOAT8, TW_FN_STRICT, fn_log10},
    {"power", "Nn", TY_NUMERIC, TW_FN_STRICT, fn_npower},
    {"power", "nN", TY_NUMERIC, TW_FN_STRICT, fn_npower},
    {"power", "ff", TY_FLOAT8, TW_FN_STRICT, fn_power},
    /* the ^ operator (plan.c calls a registered function named by a binary operator) */
    {"^", "Nn", TY_NUMERIC, TW_FN_STRICT, fn_npower},
    {"^", "nN", TY_NUMERIC, TW_FN_STRICT, fn_npower},
    {"^", "ff", TY_FLOAT8, TW_FN_STRICT, fn_power},
    {"&", "ii", TW_RET_INTS, TW_FN_STRICT, fn_band},
    {"|", "ii", TW_RET_INTS, TW_FN_STRICT, fn_bor},
    {"#", "ii", TW_RET_INTS, TW_FN_STRICT, fn_bxor},
    {"pow", "Nn", TY_NUMERIC, TW_FN_STRICT, fn_npower},
    {"pow", "nN", TY_NUMERIC, TW_FN_STRICT, fn_npower},
    {"pow", "ff", TY_FLOAT8, TW_FN_STRICT, fn_power},
    {"mod", "Nn", TY_NUMERIC, TW_FN_STRICT, fn_nmod},
    {"mod", "nN", TY_NUMERIC, TW_FN_STRICT, fn_nmod},
    {"mod", "ii", TW_RET_INTS, TW_FN_STRICT, fn_imod},
    {"div", "nn", TY_NUMERIC, TW_FN_STRICT, fn_ndiv},
    {"gcd", "Nn", TY_NUMERIC, TW_FN_STRICT, fn_ngcd},
    {"gcd", "nN", TY_NUMERIC, TW_FN_STRICT, fn_ngcd},
    {"gcd", "ii", TW_RET_INTS4, TW_FN_STRICT, fn_igcd},
    {"lcm", "Nn", TY_NUMERIC, TW_FN_STRICT, fn_nlcm},
    {"lcm", "nN", TY_NUMERIC, TW_FN_STRICT, fn_nlcm},
    {"lcm", "ii", TW_RET_INTS4, TW_FN_STRICT, fn_ilcm},
    {"sign", "N", TY_NUMERIC, TW_FN_STRICT, fn_nsign},
    {"sign", "f", TY_FLOAT8, TW_FN_STRICT, fn_fsign},
    {"sin", "f", TY_FLOAT8, TW_FN_STRICT, fn_sin},
    {"cos", "f", TY_FLOAT8, TW_FN_STRICT, fn_cos},
    {"tan", "f", TY_FLOAT8, TW_FN_STRICT, fn_tan},
    {"cot", "f", TY_FLOAT8, TW_FN_STRICT, fn_cot},
    {"asin", "f", TY_FLOAT8, TW_FN_STRICT, fn_asin},
    {"acos", "f", TY_FLOAT8, TW_FN_STRICT, fn_acos},
    {"atan", "f", TY_FLOAT8, TW_FN_STRICT, fn_atan},
    {"atan2", "ff", TY_FLOAT8, TW_FN_STRICT, fn_atan2},
    {"sinh", "f", TY_FLOAT8, TW_FN_STRICT, fn_sinh},
    {"cosh", "f", TY_FLOAT8, TW_FN_STRICT, fn_cosh},
    {"tanh", "f", TY_FLOAT8, TW_FN_STRICT, fn_tanh},
    {"asinh", "f", TY_FLOAT8, TW_FN_STRICT, fn_asinh},
    {"acosh", "f", TY_FLOAT8, TW_FN_STRICT, fn_acosh},
    {"atanh", "f", TY_FLOAT8, TW_FN_STRICT, fn_atanh},
    {"degrees", "f", TY_FLOAT8, TW_FN_STRICT, fn_degrees},
    {"radians", "f", TY_FLOAT8, TW_FN_STRICT, fn_radians},
    {"width_bucket", "Nnni", TY_INT4, TW_FN_STRICT, fn_nwidth_bucket},
    {"width_bucket", "nNni", TY_INT4, TW_FN_STRICT, fn_nwidth_bucket},
    {"width_bucket", "nnNi", TY_INT4, TW_FN_STRICT, fn_nwidth_bucket},
    {"width_bucket", "fffi", TY_INT4, TW_FN_STRICT, fn_width_bucket},
    {"pi", "", TY_FLOAT8, 0, fn_pi},
    {"random", "", TY_FLOAT8, TW_FN_VOLATILE, fn_random},
    {NULL, NULL, 0, 0, NULL},
};
