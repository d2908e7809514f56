/*
 * object.h — the object-storage backend (s3://bucket/prefix): internal interface.
 *
 * The design (object layout, commit protocol, fencing, manifest CAS) is recorded in
 * docs/storage-object.md. The constructor is tw_object_open in storage/storage.h; this
 * header adds what tests and tools need beyond the seam.
 */
#ifndef TW_OBJECT_H
#define TW_OBJECT_H

#include "storage/object/s3_client.h"
#include "storage/storage.h"

/* Where and how to reach a database, from the URL plus the environment. */
typedef struct tw_object_url {
    char bucket[64];
    char prefix[512]; /* key prefix, "" or ending in '/' */
    char endpoint[512];
    char region[64];
    int virtual_hosted;
} tw_object_url;

/* Parses "bucket[/prefix][?endpoint=URL&region=R&addressing=path|virtual]" (what follows
 * "s3://"). Query parameters win over AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and
 * AWS_REGION / AWS_DEFAULT_REGION; the default is AWS itself in us-east-1. Addressing
 * defaults to virtual-hosted for AWS and path-style for any other endpoint (an IP
 * address has no bucket subdomains). Fails with TWILL_MISUSE naming the bad part. */
int tw_object_parse_url(const char *rest, tw_object_url *out, tw_err *err);

/* Object-store requests this handle has sent so far (st must be an "s3" handle). */
void tw_object_stats(tw_storage *st, tw_s3_stats *out);

#endif
