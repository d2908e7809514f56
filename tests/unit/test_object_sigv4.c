/*
 * test_object_sigv4.c — the S3 client's pure parts, no network: SigV4 against the
 * example requests AWS publishes in its S3 documentation ("Signature calculations for
 * the Authorization header"), URI encoding, and ListObjectsV2 XML parsing.
 */
#include "lib_storage_conformance.h"
#include "storage/object/s3_client.h"
#include "storage/object/sigv4.h"

#include <string.h>

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void check_auth(const tw_sigv4_req *r, const char *want) {
    tw_buf out = {0};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_sigv4_authorization(r, &out, &e), TWILL_OK, &e);
    int ok = out.len == strlen(want) && memcmp(out.p, want, out.len) == 0;
    TW_CHECK(ok);
    if (!ok) fprintf(stderr, "  got  %.*s\n  want %s\n", (int)out.len, (const char *)out.p, want);
    tw_buf_free(&out);
}

static void test_aws_examples(void) {
    /* GET Object: first 10 bytes of test.txt */
    tw_sigv4_header get_h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                               {"Range", "bytes=0-9"},
                               {"x-amz-content-sha256", EMPTY_SHA},
                               {"x-amz-date", "20130524T000000Z"}};
    tw_sigv4_req get = {"GET",       "/test.txt", "", get_h, 4, EMPTY_SHA, "20130524T000000Z",
                        "us-east-1", "s3",        AK, SK};
    check_auth(&get, "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_request,"
                     "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                     "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

    /* PUT Object: test$file.text with a storage class; headers deliberately unsorted */
    char body_sha[TW_SHA256_HEX];
    const char *body = "Welcome to Amazon S3.";
    TW_CHECK(tw_sha256_hex(body, strlen(body), body_sha) == TWILL_OK);
    TW_CHECK(strcmp(body_sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072") ==
             0);
    tw_buf uri = {0};
    TW_CHECK(tw_uri_encode(&uri, "/test$file.text", 15, 1) == TWILL_OK &&
             tw_buf_put_u8(&uri, 0) == TWILL_OK);
    TW_CHECK(strcmp((const char *)uri.p, "/test%24file.text") == 0);
    tw_sigv4_header put_h[] = {{"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                               {"Host", "examplebucket.s3.amazonaws.com"},
                               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                               {"x-amz-date", "20130524T000000Z"},
                               {"x-amz-content-sha256", body_sha}};
    tw_sigv4_req put = {"PUT",    (const char *)uri.p, "",          put_h, 5,
                        body_sha, "20130524T000000Z",  "us-east-1", "s3",  AK,
                        SK};
    check_auth(&put, "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_request,"
                     "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                     "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    tw_buf_free(&uri);

    /* GET Bucket (List Objects): max-keys=2, prefix=J */
    tw_sigv4_header list_h[] = {{"host", "examplebucket.s3.amazonaws.com"},
                                {"x-amz-date", "20130524T000000Z"},
                                {"x-amz-content-sha256", "  " EMPTY_SHA " "}}; /* trimmed */
    tw_sigv4_req list = {"GET",
                         "/",
                         "max-keys=2&prefix=J",
                         list_h,
                         3,
                         EMPTY_SHA,
                         "20130524T000000Z",
                         "us-east-1",
                         "s3",
                         AK,
                         SK};
    check_auth(&list, "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_request,"
                      "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                      "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");

    /* incomplete descriptions are refused, not signed */
    tw_sigv4_req bad = list;
    bad.secret_key = NULL;
    tw_buf out = {0};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_sigv4_authorization(&bad, &out, &e), TWILL_MISUSE, &e);
    tw_buf_free(&out);
}

static void test_uri_encode(void) {
    tw_buf b = {0};
    TW_CHECK(tw_uri_encode(&b, "a b/c~d_e.f-g=h&é", strlen("a b/c~d_e.f-g=h&é"), 0) == 0);
    TW_CHECK(tw_buf_put_u8(&b, 0) == 0);
    TW_CHECK(strcmp((const char *)b.p, "a%20b%2Fc~d_e.f-g%3Dh%26%C3%A9") == 0);
    tw_buf_free(&b);
}

typedef struct seen {
    char keys[4][64];
    uint64_t sizes[4];
    int n;
} seen;

static int see(void *arg, const char *key, uint64_t size) {
    seen *s = arg;
    if (s->n < 4) {
        snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
        s->sizes[s->n] = size;
    }
    s->n++;
    return 0;
}

static void test_list_xml(void) {
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b</Name><Prefix>db/log/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
        "<IsTruncated>true</IsTruncated><NextContinuationToken>tok/1=</NextContinuationToken>"
        "<Contents><Key>db/log/0001</Key><LastModified>x</LastModified><ETag>&quot;e&quot;</ETag>"
        "<Size>44</Size><StorageClass>STANDARD</StorageClass></Contents>"
        "<Contents><Key>db/log/a&amp;b</Key><Size>1234567890123</Size></Contents>"
        "</ListBucketResult>";
    seen s = {0};
    int truncated = 0;
    tw_buf tok = {0};
    tw_err e;
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_parse_list(xml, strlen(xml), see, &s, &truncated, &tok, &e), TWILL_OK, &e);
    TW_CHECK(s.n == 2 && truncated == 1);
    TW_CHECK(strcmp(s.keys[0], "db/log/0001") == 0 && s.sizes[0] == 44);
    TW_CHECK(strcmp(s.keys[1], "db/log/a&b") == 0 && s.sizes[1] == 1234567890123ull);
    TW_CHECK(tok.len == 6 && memcmp(tok.p, "tok/1=", 6) == 0);
    tw_err_clear(&e);
    TW_CHECK_RC(tw_s3_parse_list("<ListBucketResult><Contents>", 28, see, &s, &truncated, &tok, &e),
                TWILL_IOERR, &e);
    TW_CHECK(strstr(e.msg, "XML") != NULL);
    tw_buf_free(&tok);
}

int main(void) {
    test_aws_examples();
    test_uri_encode();
    test_list_xml();
    printf("%d passed, %d failed\n", tw_check_passed, tw_check_failed);
    return tw_check_failed ? 1 : 0;
}
