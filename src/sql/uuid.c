/*
 * uuid.c — the uuid type's text forms and gen_random_uuid() (see uuid.h).
 */
#include "sql/uuid.h"

#include "sql/func.h"

#include <openssl/rand.h>
#include <string.h>

static int hexdig(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int tw_uuid_parse(const char *s, size_t n, uint8_t out[16], tw_err *err) {
    size_t i = 0;
    int braces = n > 0 && s[0] == '{';
    if (braces) i++;
    for (int b = 0; b < 16; b++) {
        if (i + 2 > n) goto bad;
        int h = hexdig((unsigned char)s[i]), l = hexdig((unsigned char)s[i + 1]);
        if (h < 0 || l < 0) goto bad;
        out[b] = (uint8_t)(h << 4 | l);
        i += 2;
        /* a hyphen may follow every second byte but the last */
        if (i < n && s[i] == '-' && (b % 2) == 1 && b < 15) i++;
    }
    if (braces) {
        if (i >= n || s[i] != '}') goto bad;
        i++;
    }
    if (i != n) goto bad;
    return TWILL_OK;
bad:
    return tw_err_set(err, TWILL_ERROR, "22P02", "invalid input syntax for type uuid: \"%.*s\"",
                      (int)(n > 200 ? 200 : n), s);
}

void tw_uuid_out(const uint8_t u[16], char buf[37]) {
    static const char hx[] = "0123456789abcdef";
    char *o = buf;
    for (int b = 0; b < 16; b++) {
        if (b == 4 || b == 6 || b == 8 || b == 10) *o++ = '-';
        *o++ = hx[u[b] >> 4];
        *o++ = hx[u[b] & 15];
    }
    *o = '\0';
}

/* gen_random_uuid(): a version 4 (random) UUID, RFC 4122 variant. */
static int fn_gen_random_uuid(const tw_val *a, int n, tw_evalctx *c, tw_val *out, tw_err *err) {
    (void)a, (void)n, (void)c;
    out->k = VK_UUID;
    if (RAND_bytes(out->uuid, 16) != 1)
        return tw_err_set(err, TWILL_ERROR, "XX000", "could not generate random values");
    out->uuid[6] = (uint8_t)((out->uuid[6] & 0x0F) | 0x40);
    out->uuid[8] = (uint8_t)((out->uuid[8] & 0x3F) | 0x80);
    return TWILL_OK;
}

const tw_func tw_funcs_uuid[] = {
    {"gen_random_uuid", "", TY_UUID, TW_FN_VOLATILE, fn_gen_random_uuid},
    {NULL, NULL, 0, 0, NULL},
};
