/*
 * open.c — tw_storage_open: picks a backend by the URL's scheme.
 *
 * A URL is SCHEME "://" REST. The scheme is matched case-insensitively (RFC 3986);
 * REST is handed to the backend verbatim (no percent-decoding), so file://./app.db
 * opens the relative path "./app.db" and file:///var/db the absolute "/var/db".
 */
#include "storage/object/object.h"
#include "storage/storage.h"

#include <string.h>
#include <strings.h>

#define SUPPORTED_SCHEMES "file://, s3://, r2://, gs://"

static int is_scheme_char(char c, int first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return !first && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
}

int tw_storage_open(const char *url, const tw_storage_opts *opts, tw_storage **out, tw_err *err) {
    if (out) *out = NULL;
    if (!url || !out)
        return tw_err_set(err, TWILL_MISUSE, NULL, "storage URL and output must not be NULL");

    size_t n = 0;
    while (url[n] && is_scheme_char(url[n], n == 0)) n++;
    if (n == 0 || strncmp(url + n, "://", 3) != 0)
        return tw_err_set(err, TWILL_MISUSE, NULL,
                          "malformed storage URL \"%s\": expected SCHEME://PATH (supported: %s)",
                          url, SUPPORTED_SCHEMES);
    const char *rest = url + n + 3;

    if (n == 4 && strncasecmp(url, "file", 4) == 0) {
        if (!*rest)
            return tw_err_set(err, TWILL_MISUSE, NULL,
                              "malformed storage URL \"%s\": file:// needs a path, e.g. "
                              "file://./app.db or file:///var/lib/app.db",
                              url);
        return tw_local_open(rest, opts, out, err);
    }
    if (n == 2 && (strncasecmp(url, "s3", 2) == 0 || strncasecmp(url, "r2", 2) == 0 ||
                   strncasecmp(url, "gs", 2) == 0)) {
        char scheme[3] = {url[0], url[1], 0};
        return tw_object_open_scheme(scheme, rest, opts, out, err);
    }
    return tw_err_set(err, TWILL_NOTSUP, NULL,
                      "unsupported storage scheme \"%.*s\" in URL \"%s\" (supported: %s)", (int)n,
                      url, url, SUPPORTED_SCHEMES);
}
