/*
 * test_object_url.c — the parts of the object backends that need no object store:
 * s3:// / r2:// / gs:// URL parsing and endpoint derivation (r2:// and gs:// cannot be
 * reached from here, so this is what checks them), credential selection and the
 * messages that name what is missing, the create-only header per dialect, the
 * DeleteObjects body, and the local cache (hits, damage, a wiped directory, eviction).
 */
#include "lib_storage_conformance.h"
#include "storage/object/object.h"
#include "storage/object/object_cache.h"
#include "storage/object/s3_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ENV_VARS[] = {
    "AWS_ENDPOINT_URL",     "AWS_ENDPOINT_URL_S3",      "AWS_REGION",        "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",    "AWS_SECRET_ACCESS_KEY",    "AWS_SESSION_TOKEN", "R2_ACCOUNT_ID",
    "GOOGLE_ACCESS_KEY_ID", "GOOGLE_SECRET_ACCESS_KEY", "TWILL_CACHE_DIR",   "TWILL_CACHE_SIZE",
    "XDG_CACHE_HOME",       "TWILL_S3_TIMEOUT_MS"};

static void clear_env(void) {
    for (size_t i = 0; i < sizeof ENV_VARS / sizeof *ENV_VARS; i++) unsetenv(ENV_VARS[i]);
}

static int parse(const char *scheme, const char *rest, tw_object_url *u, tw_err *e) {
    tw_err_clear(e);
    return tw_object_parse_scheme_url(scheme, rest, u, e);
}

static void test_s3_urls(void) {
    tw_object_url u;
    tw_err e;
    clear_env();
    TW_CHECK_RC(parse("s3", "bkt/a/b", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.provider == TW_OBJ_S3 && !strcmp(u.bucket, "bkt") && !strcmp(u.prefix, "a/b/"));
    TW_CHECK(!strcmp(u.endpoint, "https://s3.us-east-1.amazonaws.com") && u.virtual_hosted);
    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
    TW_CHECK_RC(parse("S3", "bkt", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strcmp(u.region, "eu-west-3") && !strcmp(u.endpoint, "http://127.0.0.1:9000"));
    TW_CHECK(!u.virtual_hosted && !strcmp(u.prefix, ""));
    /* the URL wins over the environment */
    TW_CHECK_RC(parse("s3", "bkt/p?region=ap-south-1&endpoint=http%3A%2F%2Fh%3A1", &u, &e),
                TWILL_OK, &e);
    TW_CHECK(!strcmp(u.region, "ap-south-1") && !strcmp(u.endpoint, "http://h:1"));
    TW_CHECK_RC(parse("s3", "bkt?account=x", &u, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "unknown query parameter \"account\"") != NULL);
    TW_CHECK_RC(parse("s3", "bkt?addressing=sideways", &u, &e), TWILL_MISUSE, &e);
    TW_CHECK_RC(parse("s3", "bkt?timeout_ms=250", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.timeout_ms == 250);
    TW_CHECK_RC(parse("s3", "bkt", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.timeout_ms == 0);
    setenv("TWILL_S3_TIMEOUT_MS", "1500", 1);
    TW_CHECK_RC(parse("gs", "bkt", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.timeout_ms == 1500);
    TW_CHECK_RC(parse("s3", "bkt?timeout_ms=0", &u, &e), TWILL_MISUSE, &e);
    unsetenv("TWILL_S3_TIMEOUT_MS");
    clear_env();
}

static void test_r2_urls(void) {
    tw_object_url u;
    tw_err e;
    clear_env();
    /* a missing account id names both ways to give it */
    TW_CHECK_RC(parse("r2", "bkt/db", &u, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "R2_ACCOUNT_ID") && strstr(e.msg, "?account="));
    TW_CHECK_RC(parse("r2", "bkt/db?account=0123abcd", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.provider == TW_OBJ_R2 && !strcmp(u.scheme, "r2"));
    TW_CHECK(!strcmp(u.endpoint, "https://0123abcd.r2.cloudflarestorage.com"));
    TW_CHECK(!strcmp(u.region, "auto") && !u.virtual_hosted && !strcmp(u.prefix, "db/"));
    setenv("R2_ACCOUNT_ID", "feedbeef", 1);
    setenv("AWS_REGION", "us-west-2", 1);                   /* s3:// only */
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1); /* s3:// only */
    TW_CHECK_RC(parse("r2", "bkt", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strcmp(u.endpoint, "https://feedbeef.r2.cloudflarestorage.com"));
    TW_CHECK(!strcmp(u.region, "auto"));
    TW_CHECK_RC(parse("r2", "bkt?account=a.b", &u, &e), TWILL_MISUSE, &e); /* no host games */
    TW_CHECK_RC(parse("r2", "bkt?endpoint=http://127.0.0.1:1&addressing=virtual", &u, &e), TWILL_OK,
                &e);
    TW_CHECK(!strcmp(u.endpoint, "http://127.0.0.1:1") && u.virtual_hosted);
    clear_env();
}

static void test_gs_urls(void) {
    tw_object_url u;
    tw_err e;
    clear_env();
    TW_CHECK_RC(parse("gs", "bkt/x/y/", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.provider == TW_OBJ_GCS && !strcmp(u.endpoint, "https://storage.googleapis.com"));
    TW_CHECK(!strcmp(u.region, "auto") && !strcmp(u.prefix, "x/y/") && !u.virtual_hosted);
    TW_CHECK_RC(parse("gs", "bkt?account=1", &u, &e), TWILL_MISUSE, &e);
    /* credentials: GOOGLE_* first, else the AWS variables, else a message naming them */
    const char *ak, *sk, *tok;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_credentials(&u, &ak, &sk, &tok, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "GOOGLE_ACCESS_KEY_ID") && strstr(e.msg, "AWS_ACCESS_KEY_ID"));
    setenv("AWS_ACCESS_KEY_ID", "aws-a", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "aws-s", 1);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_credentials(&u, &ak, &sk, &tok, &e), TWILL_OK, &e);
    TW_CHECK(ak && !strcmp(ak, "aws-a") && sk && !strcmp(sk, "aws-s"));
    setenv("GOOGLE_ACCESS_KEY_ID", "goog-a", 1);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_credentials(&u, &ak, &sk, &tok, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "GOOGLE_SECRET_ACCESS_KEY is not set") != NULL);
    setenv("GOOGLE_SECRET_ACCESS_KEY", "goog-s", 1);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_credentials(&u, &ak, &sk, &tok, &e), TWILL_OK, &e);
    TW_CHECK(ak && !strcmp(ak, "goog-a") && sk && !strcmp(sk, "goog-s"));
    /* s3:// and r2:// never read the GOOGLE_* variables */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    TW_CHECK_RC(parse("r2", "bkt?account=a", &u, &e), TWILL_OK, &e);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_object_credentials(&u, &ak, &sk, &tok, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "AWS_SECRET_ACCESS_KEY is not set") && strstr(e.msg, "R2"));
    clear_env();

    /* open fails before any request, naming what is missing */
    tw_storage *st = NULL;
    tw_storage_opts o = {.create = 1};
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open("gs://bkt/db?cache=off", &o, &st, &e), TWILL_MISUSE, &e);
    TW_CHECK(st == NULL && strstr(e.msg, "GOOGLE_ACCESS_KEY_ID"));
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open("r2://bkt/db", &o, &st, &e), TWILL_MISUSE, &e);
    TW_CHECK(st == NULL && strstr(e.msg, "R2_ACCOUNT_ID"));
    /* an unreachable endpoint: the message names it (r2:// with a test endpoint) */
    setenv("AWS_ACCESS_KEY_ID", "a", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_storage_open("r2://bkt/db?endpoint=http://127.0.0.1:1&cache=off", &o, &st, &e),
                TWILL_IOERR, &e);
    TW_CHECK(st == NULL && strstr(e.msg, "cannot reach") && strstr(e.msg, "127.0.0.1:1"));
    clear_env();
}

static void test_dialect_headers(void) {
    tw_s3_config cfg = {.endpoint = "https://storage.googleapis.com",
                        .region = "auto",
                        .bucket = "b",
                        .access_key = "a",
                        .secret_key = "s",
                        .dialect = TW_S3_DIALECT_GCS};
    tw_s3 *gcs = NULL, *aws = NULL;
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_open(&cfg, &gcs, &e), TWILL_OK, &e);
    cfg.dialect = TW_S3_DIALECT_AWS;
    cfg.endpoint = "https://s3.us-east-1.amazonaws.com";
    TW_CHECK_RC(tw_s3_open(&cfg, &aws, &e), TWILL_OK, &e);
    if (gcs && aws) {
        TW_CHECK(!strcmp(tw_s3_create_only_header(gcs), "x-goog-if-generation-match: 0"));
        TW_CHECK(!strcmp(tw_s3_create_only_header(aws), "If-None-Match: *"));
        TW_CHECK(!tw_s3_has_multi_delete(gcs) && tw_s3_has_multi_delete(aws));
    }
    tw_s3_close(gcs);
    tw_s3_close(aws);

    /* the DeleteObjects body: quiet, keys XML-escaped */
    const char *keys[] = {"p/log/00000000000000000001", "odd&<key>\"'"};
    tw_buf b = {0};
    TW_CHECK(tw_s3_encode_delete(&b, keys, 2) == TWILL_OK && tw_buf_put_u8(&b, 0) == TWILL_OK);
    const char *x = (const char *)b.p;
    TW_CHECK(strstr(x, "<Delete><Quiet>true</Quiet>") != NULL);
    TW_CHECK(strstr(x, "<Object><Key>p/log/00000000000000000001</Key></Object>") != NULL);
    TW_CHECK(strstr(x, "<Key>odd&amp;&lt;key&gt;&quot;&apos;</Key>") != NULL);
    TW_CHECK(strstr(x, "</Delete>") != NULL);
    tw_buf_free(&b);
}

/* ---- the cache ---------------------------------------------------------------------------- */

static char tmpdir[512];

static void test_cache_config(void) {
    tw_object_url u;
    tw_err e;
    clear_env();
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    TW_CHECK_RC(parse("s3", "bkt/db?endpoint=http://h:1", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strncmp(u.cache_dir, "/x/cache/twill/", 15) && strlen(u.cache_dir) == 15 + 16);
    TW_CHECK(u.cache_size == TW_OBJ_CACHE_SIZE_DEFAULT);
    char first[sizeof u.cache_dir];
    strcpy(first, u.cache_dir);
    /* another prefix, another directory; the same database, the same one */
    TW_CHECK_RC(parse("s3", "bkt/db2?endpoint=http://h:1", &u, &e), TWILL_OK, &e);
    TW_CHECK(strcmp(first, u.cache_dir) != 0);
    TW_CHECK_RC(parse("s3", "bkt/db/?endpoint=http://h:1", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strcmp(first, u.cache_dir));
    unsetenv("XDG_CACHE_HOME");
    TW_CHECK_RC(parse("s3", "bkt", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strncmp(u.cache_dir, "/tmp/twill-cache-", 17));
    setenv("TWILL_CACHE_DIR", "/env/dir", 1);
    setenv("TWILL_CACHE_SIZE", "64M", 1);
    TW_CHECK_RC(parse("s3", "bkt", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strncmp(u.cache_dir, "/env/dir/", 9) && u.cache_size == 64ull << 20);
    TW_CHECK_RC(parse("s3", "bkt?cache=%2Furl%2Fdir&cache_size=2GiB", &u, &e), TWILL_OK, &e);
    TW_CHECK(!strncmp(u.cache_dir, "/url/dir/", 9) && u.cache_size == 2ull << 30);
    TW_CHECK_RC(parse("s3", "bkt?cache=off", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.cache_dir[0] == '\0');
    TW_CHECK_RC(parse("s3", "bkt?cache_size=0", &u, &e), TWILL_OK, &e);
    TW_CHECK(u.cache_dir[0] == '\0');
    TW_CHECK_RC(parse("s3", "bkt?cache_size=lots", &u, &e), TWILL_MISUSE, &e);
    TW_CHECK(strstr(e.msg, "cache size") != NULL);
    clear_env();
}

/* Flips one byte of the only cache file in dir whose name is 16 hex digits. */
static int damage_all(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "for f in '%s'/????????????????; do printf 'X' | dd of=\"$f\" bs=1 seek=30 "
             "conv=notrunc status=none; done",
             dir);
    return system(cmd);
}

static void test_cache_ops(void) {
    char dir[700];
    snprintf(dir, sizeof dir, "%s/cache-ops/db", tmpdir);
    tw_ocache *c = tw_ocache_open(dir, 1 << 20);
    TW_CHECK(c != NULL);
    if (!c) return;
    tw_buf b = {0};
    TW_CHECK(tw_ocache_get(c, "layer/1@24+100", &b) == 0);
    char data[100];
    memset(data, 'a', sizeof data);
    tw_ocache_put(c, "layer/1@24+100", data, sizeof data);
    TW_CHECK(tw_ocache_get(c, "layer/1@24+100", &b) == 1 && b.len == 100 &&
             !memcmp(b.p, data, 100));
    TW_CHECK(tw_ocache_get(c, "layer/1@24+101", &b) == 0);
    /* a damaged file is a miss, and gone */
    TW_CHECK(damage_all(dir) == 0);
    TW_CHECK(tw_ocache_get(c, "layer/1@24+100", &b) == 0);
    tw_ocache_stats s;
    tw_ocache_get_stats(c, &s);
    TW_CHECK(s.damaged == 1 && s.files == 0 && s.bytes == 0);
    /* a wiped directory: misses, then stores again */
    tw_ocache_put(c, "k", data, 10);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    TW_CHECK(system(cmd) == 0);
    TW_CHECK(tw_ocache_get(c, "k", &b) == 0);
    tw_ocache_put(c, "k", data, 10);
    TW_CHECK(tw_ocache_get(c, "k", &b) == 1 && b.len == 10);
    /* the caller's own check failed: drop */
    tw_ocache_drop(c, "k");
    TW_CHECK(tw_ocache_get(c, "k", &b) == 0);
    tw_ocache_close(c);

    /* eviction: 1 MiB bound, 200 entries of 16 KiB; the newest survive, least recently
     * used go first; the bound holds across a reopen (the scan counts what is there) */
    c = tw_ocache_open(dir, 1 << 20);
    TW_CHECK(c != NULL);
    if (!c) return;
    static char big[16384];
    char key[64];
    for (int i = 0; i < 200; i++) {
        memset(big, i, sizeof big);
        snprintf(key, sizeof key, "layer/x@%d+16384", i);
        tw_ocache_put(c, key, big, sizeof big);
        if (i >= 1) TW_CHECK(tw_ocache_get(c, "layer/x@0+16384", &b) == 1); /* kept warm */
    }
    tw_ocache_get_stats(c, &s);
    TW_CHECK(s.bytes <= 1 << 20 && s.evictions > 100 && s.files > 40);
    TW_CHECK(tw_ocache_get(c, "layer/x@0+16384", &b) == 1 && b.p[0] == 0);     /* recently used */
    TW_CHECK(tw_ocache_get(c, "layer/x@199+16384", &b) == 1 && b.p[0] == 199); /* newest */
    TW_CHECK(tw_ocache_get(c, "layer/x@1+16384", &b) == 0); /* oldest, unused: evicted */
    uint64_t files = s.files;
    tw_ocache_close(c);
    c = tw_ocache_open(dir, 1 << 20);
    TW_CHECK(c != NULL);
    if (c) {
        tw_ocache_get_stats(c, &s);
        TW_CHECK(s.files == files && s.bytes <= 1 << 20);
        tw_ocache_close(c);
    }
    c = tw_ocache_open(dir, 256 << 10); /* a smaller bound evicts at open */
    TW_CHECK(c != NULL);
    if (c) {
        tw_ocache_get_stats(c, &s);
        TW_CHECK(s.bytes <= 256 << 10 && s.files > 0);
        tw_ocache_close(c);
    }
    tw_buf_free(&b);
    /* a directory that cannot be created: no cache (NULL), never a failure */
    TW_CHECK(tw_ocache_open("/proc/twill-no-such/dir", 1 << 20) == NULL);
    /* nor one that is a symlink (a shared /tmp: someone else's directory) */
    char real[800], link[800];
    snprintf(real, sizeof real, "%s/real", tmpdir);
    snprintf(link, sizeof link, "%s/link", tmpdir);
    TW_CHECK(mkdir(real, 0700) == 0 && symlink(real, link) == 0);
    TW_CHECK(tw_ocache_open(link, 1 << 20) == NULL);
    tw_ocache *rc = tw_ocache_open(real, 1 << 20);
    TW_CHECK(rc != NULL);
    tw_ocache_close(rc);
    tw_ocache_put(NULL, "k", data, 1);
    TW_CHECK(tw_ocache_get(NULL, "k", &b) == 0);
}

int main(void) {
    const char *base = getenv("TWILL_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0777);
    snprintf(tmpdir, sizeof tmpdir, "%s/objurl.XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_s3_urls();
    test_r2_urls();
    test_gs_urls();
    test_dialect_headers();
    test_cache_config();
    test_cache_ops();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", tw_check_passed, tw_check_failed);
    return tw_check_failed ? 1 : 0;
}
