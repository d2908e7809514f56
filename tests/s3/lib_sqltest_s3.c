/*
 * lib_sqltest_s3.c — tests/unit/lib_sqltest.c with one change: sqlt_create opens the
 * database on s3:// instead of file://, so the SQL unit tests (tests/unit/test_sql_*.c)
 * run unchanged against a real object store (ctest label s3, through s3run, which
 * exports TWILL_TEST_S3_ENDPOINT). The file:// helpers are compiled in from the unit
 * directory, not copied; only sqlt_create is replaced.
 */
#define sqlt_create sqlt_create_file
#include "lib_sqltest.c"
#undef sqlt_create

#include <unistd.h>

int sqlt_create(sqlt_db *d, const char *tag);

int sqlt_create(sqlt_db *d, const char *tag) {
    const char *ep = getenv("TWILL_TEST_S3_ENDPOINT");
    if (!ep || !*ep) {
        fprintf(stderr, "TWILL_TEST_S3_ENDPOINT is not set: run through s3run (ctest -L s3)\n");
        return 1;
    }
    static int seq;
    /* d->dir still names a local directory: sqlt_destroy removes it (nothing is in it) */
    if (sqlt_create_file(d, tag)) return 1;
    sqlt_close(d);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "sqltest/%s-%d-%d", tag, (int)getpid(), ++seq);
    snprintf(d->url, sizeof d->url, "s3://twill/%s?endpoint=%s", prefix, ep);
    return open_db(d);
}
