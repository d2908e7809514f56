/*
 * lib_storage_conformance.h — a backend-neutral test suite for the storage seam.
 *
 * Any backend passes it before it is used: tw_storage_conformance drives every op of
 * tw_storage_ops through `open_fn` and checks the contract in storage.h (LSN order,
 * batches, large and empty records, scan ranges, truncate, versioned page reads,
 * unpublished checkpoints, persistence across reopen, lease epochs and fencing, meta,
 * branches working or reporting TWILL_NOTSUP).
 *
 * open_fn(ctx, fresh): fresh != 0 must return a handle on a new, empty database
 * (discarding whatever the previous fresh call made); fresh == 0 must reopen that same
 * database. The suite closes every handle before asking for the next one. Return NULL
 * (after printing why) on failure.
 *
 * The TW_CHECK macros are shared with backend-specific tests so that one program
 * reports one "N passed, M failed" line.
 */
#ifndef TW_TEST_STORAGE_CONFORMANCE_H
#define TW_TEST_STORAGE_CONFORMANCE_H

#include "storage/storage.h"

#include <stdio.h>

typedef tw_storage *(*tw_conf_open_fn)(void *ctx, int fresh);

/* Runs the whole suite; returns the number of failed checks. */
int tw_storage_conformance(tw_conf_open_fn open_fn, void *ctx);

extern int tw_check_passed, tw_check_failed;

#define TW_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (cond) {                                                                                \
            tw_check_passed++;                                                                     \
        } else {                                                                                   \
            tw_check_failed++;                                                                     \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

/* Checks that `expr` returns `want`; on mismatch prints the tw_err `e`. */
#define TW_CHECK_RC(expr, want, e)                                                                 \
    do {                                                                                           \
        int tw_rc_ = (expr);                                                                       \
        if (tw_rc_ == (want)) {                                                                    \
            tw_check_passed++;                                                                     \
        } else {                                                                                   \
            tw_check_failed++;                                                                     \
            fprintf(stderr, "FAIL %s:%d: %s returned %d, expected %d (%s: %s)\n", __FILE__,        \
                    __LINE__, #expr, tw_rc_, (int)(want), (e)->sqlstate, (e)->msg);                \
        }                                                                                          \
    } while (0)

#endif
