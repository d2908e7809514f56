/*
 * versions.h — committed row versions that active snapshots still need.
 *
 * The B+tree holds only the newest committed version of each row. When a commit
 * overwrites or deletes a row while some transaction's snapshot predates it, the
 * commit first moves the old version here, tagged with the LSN range during which it
 * was current [from, to). A reader whose snapshot is older than the tree's version
 * asks for the version current at its snapshot. Versions leave (gc) once every live
 * snapshot is >= their `to`; they are never durable — snapshots do not outlive the
 * process. Guarded by the engine's tree latch (writers exclusive, readers shared).
 */
#ifndef TW_TXN_VERSIONS_H
#define TW_TXN_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tw_old_version tw_old_version;
typedef struct tw_vkey tw_vkey;

typedef struct tw_versions {
    tw_vkey **buckets;
    size_t nbuckets, nkeys, nversions;
    tw_old_version *fifo_head, *fifo_tail; /* ascending `to` */
} tw_versions;

int tw_versions_init(tw_versions *vs);
void tw_versions_free(tw_versions *vs);
/* Saves the version of ckey that was current in [from, to). */
int tw_versions_push(tw_versions *vs, const uint8_t *ckey, size_t cklen, uint64_t from, uint64_t to,
                     int deleted, const void *val, size_t vlen);
/* The version of ckey current at `snapshot`: 1 and (*deleted, *val, *vlen) if saved, 0 if
 * no saved version covers it (the row did not exist at the snapshot). */
int tw_versions_lookup(const tw_versions *vs, const uint8_t *ckey, size_t cklen, uint64_t snapshot,
                       int *deleted, const uint8_t **val, size_t *vlen);
/* Drops versions with to <= oldest (no live snapshot can need them). */
void tw_versions_gc(tw_versions *vs, uint64_t oldest);

#endif
