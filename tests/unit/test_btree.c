/* Unit tests of the B+tree (src/access/btree*.c) over the pager and the in-memory store.
 * The central test drives a long random mix of puts, replacements and deletes against a
 * simple reference model with a tiny buffer pool, so pages are evicted and re-read all
 * the time, and checks every tree invariant along the way. */
#include "access/btree.h"
#include "access/btree_internal.h"
#include "lib_memstore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

/* Runs a call that must succeed (it reports into the global `err`); on failure prints
 * the message and leaves the test function. */
static tw_err err;
#define OK(call)                                                                                   \
    do {                                                                                           \
        tw_err_clear(&err);                                                                        \
        int rc_ = (call);                                                                          \
        if (rc_ != TWILL_OK) {                                                                     \
            failed++;                                                                              \
            fprintf(stderr, "%s:%d: %s -> %d (%s)\n", __FILE__, __LINE__, #call, rc_, err.msg);    \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* ---- deterministic data --------------------------------------------------------------- */

static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t rng_state = 1;
static uint64_t rnd(void) {
    return mix(rng_state++);
}

static void fill_bytes(uint8_t *p, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = mix(seed + i);
        size_t k = n - i < 8 ? n - i : 8;
        memcpy(p + i, &r, k);
    }
}

/* A key for id: a mix of shapes (tiny, fixed big-endian, long shared prefixes, up to
 * TW_BTREE_MAX_KEY) so that ordering, prefix truncation and big cells all get used.
 * Different ids may map to the same bytes (tiny keys); the model is keyed by bytes. */
static size_t make_key(uint64_t id, uint8_t *k) {
    uint64_t r = mix(id * 31 + 7);
    unsigned cls = (unsigned)(r % 100);
    if (cls < 40) {
        size_t n = 1 + (r >> 8) % 12;
        fill_bytes(k, n, r);
        return n;
    }
    if (cls < 70) {
        for (int i = 0; i < 8; i++) k[i] = (uint8_t)(id >> (56 - 8 * i));
        return 8;
    }
    if (cls < 95) {
        memset(k, 'p', 100);
        for (int i = 0; i < 8; i++) k[100 + i] = (uint8_t)(id >> (56 - 8 * i));
        size_t extra = (r >> 8) % 20;
        fill_bytes(k + 108, extra, r);
        return 108 + extra;
    }
    if (cls < 99) {
        size_t n = 1 + (r >> 8) % TW_BTREE_MAX_KEY;
        fill_bytes(k, n, r);
        return n;
    }
    memset(k, 'z', 1000);
    fill_bytes(k + 1000, TW_BTREE_MAX_KEY - 1000, r);
    return TW_BTREE_MAX_KEY;
}

static size_t pick_vlen(void) {
    uint64_t r = rnd();
    unsigned cls = (unsigned)(r % 10000);
    r >>= 16;
    if (cls < 6500) return r % 50;
    if (cls < 9300) return 50 + r % 450;
    if (cls < 9900) return 500 + r % 2500;
    if (cls < 9999) return 3000 + r % 17000;
    return 20000 + r % (1u << 20);
}

static uint8_t *vbuf; /* scratch for generated values, 1 MB + slack */

static const uint8_t *make_val(uint32_t seed, size_t vlen) {
    fill_bytes(vbuf, vlen, (uint64_t)seed << 20);
    return vbuf;
}

/* ---- reference model: a hash table keyed by key bytes ---------------------------------- */

typedef struct ment {
    uint8_t *key; /* NULL: empty slot */
    size_t klen;
    uint32_t vseed;
    size_t vlen;
} ment;

#define MODEL_CAP (1u << 20)
static ment *model;
static size_t model_n;

static size_t mhash(const uint8_t *k, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
    return (size_t)mix(h) & (MODEL_CAP - 1);
}

static ment *mfind(const uint8_t *k, size_t n) {
    for (size_t i = mhash(k, n);; i = (i + 1) & (MODEL_CAP - 1)) {
        ment *e = &model[i];
        if (!e->key || (e->klen == n && memcmp(e->key, k, n) == 0)) return e;
    }
}

static void mput(const uint8_t *k, size_t n, uint32_t vseed, size_t vlen) {
    ment *e = mfind(k, n);
    if (!e->key) {
        e->key = malloc(n ? n : 1);
        memcpy(e->key, k, n);
        e->klen = n;
        model_n++;
    }
    e->vseed = vseed;
    e->vlen = vlen;
}

/* Linear probing deletion: shift later members of the cluster back into the hole. */
static void mdel(ment *e) {
    free(e->key);
    e->key = NULL;
    model_n--;
    size_t hole = (size_t)(e - model);
    for (size_t i = (hole + 1) & (MODEL_CAP - 1); model[i].key; i = (i + 1) & (MODEL_CAP - 1)) {
        size_t home = mhash(model[i].key, model[i].klen);
        /* Move i into the hole unless its home lies cyclically in (hole, i]. */
        int stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            model[hole] = model[i];
            model[i].key = NULL;
            hole = i;
        }
    }
}

/* A uniformly random present entry (the model is not empty). */
static ment *mrandom(void) {
    for (;;) {
        ment *e = &model[rnd() & (MODEL_CAP - 1)];
        if (e->key) return e;
    }
}

static void model_clear(void) {
    for (size_t i = 0; i < MODEL_CAP; i++) {
        free(model[i].key);
        model[i].key = NULL;
    }
    model_n = 0;
}

static int ment_cmp(const void *a, const void *b) {
    const ment *x = *(ment *const *)a, *y = *(ment *const *)b;
    return bt_keycmp(x->key, x->klen, y->key, y->klen);
}

/* The model's entries in key order (caller frees the array). */
static ment **model_sorted(void) {
    ment **v = malloc((model_n + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < MODEL_CAP; i++)
        if (model[i].key) v[n++] = &model[i];
    qsort(v, n, sizeof *v, ment_cmp);
    return v;
}

/* ---- helpers -------------------------------------------------------------------------- */

static int checkpoint(tw_storage *st, tw_pager *pg, tw_err *e) {
    uint64_t lsn;
    int rc = tw_memstore_next_lsn(st, &lsn, e);
    return rc ? rc : tw_pager_checkpoint(pg, lsn, e);
}

static int same_value(const tw_buf *b, const ment *m) {
    return b->len == m->vlen &&
           (m->vlen == 0 || memcmp(b->p, make_val(m->vseed, m->vlen), m->vlen) == 0);
}

/* Full scans both ways, a sample of values, and seeks on present and absent keys, all
 * against the sorted model. Returns the number of mismatches. */
static int verify_ordered(tw_pager *pg, uint32_t root, int with_values, tw_err *e) {
    int bad = 0, rc;
    ment **v = model_sorted();
    size_t n = model_n, i = 0;
    tw_btcursor *c = NULL;
    tw_buf val = {0};
    uint8_t k[TW_BTREE_MAX_KEY + 1];
    if ((rc = tw_btcursor_open(pg, root, &c, e))) goto done;
    for (rc = tw_btcursor_first(c, e); !rc && tw_btcursor_valid(c); rc = tw_btcursor_next(c, e)) {
        size_t kl;
        const uint8_t *key = tw_btcursor_key(c, &kl);
        if (i >= n || bt_keycmp(key, kl, v[i]->key, v[i]->klen) != 0) {
            bad++;
            break;
        }
        if (with_values && i % 7 == 0) {
            if ((rc = tw_btcursor_value(c, &val, e))) break;
            bad += !same_value(&val, v[i]);
        }
        i++;
    }
    if (rc) goto done;
    bad += i != n;
    i = n;
    for (rc = tw_btcursor_last(c, e); !rc && tw_btcursor_valid(c); rc = tw_btcursor_prev(c, e)) {
        size_t kl;
        const uint8_t *key = tw_btcursor_key(c, &kl);
        if (i == 0 || bt_keycmp(key, kl, v[i - 1]->key, v[i - 1]->klen) != 0) {
            bad++;
            break;
        }
        i--;
    }
    if (rc) goto done;
    bad += i != 0;
    /* Seeks: present keys, and absent ones made by perturbing a present key. */
    for (int t = 0; t < 300 && n; t++) {
        ment *m = v[rnd() % n];
        size_t kl = m->klen;
        memcpy(k, m->key, kl);
        int kind = (int)(rnd() % 4);
        if (kind == 1 && kl < TW_BTREE_MAX_KEY) k[kl++] = 0;          /* just above */
        if (kind == 2 && kl > 0) kl--;                                /* a prefix: below */
        if (kind == 3) k[kl - 1 < kl ? kl - 1 : 0] ^= (uint8_t)rnd(); /* anywhere */
        /* Expected: lower bound and its predecessor in the sorted model. */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (bt_keycmp(v[mid]->key, v[mid]->klen, k, kl) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        int exact = lo < n && bt_keycmp(v[lo]->key, v[lo]->klen, k, kl) == 0;
        if ((rc = tw_btcursor_seek(c, k, kl, e))) goto done;
        size_t gl;
        const uint8_t *g = tw_btcursor_key(c, &gl);
        if (lo == n ? tw_btcursor_valid(c)
                    : !tw_btcursor_valid(c) || bt_keycmp(g, gl, v[lo]->key, v[lo]->klen) != 0)
            bad++;
        if ((rc = tw_btcursor_seek_le(c, k, kl, e))) goto done;
        size_t want = exact ? lo : lo - 1; /* wraps to SIZE_MAX when lo == 0 */
        g = tw_btcursor_key(c, &gl);
        if (want == SIZE_MAX
                ? tw_btcursor_valid(c)
                : !tw_btcursor_valid(c) || bt_keycmp(g, gl, v[want]->key, v[want]->klen) != 0)
            bad++;
    }
done:
    tw_buf_free(&val);
    tw_btcursor_close(c);
    free(v);
    return rc ? -1 : bad;
}

/* Every model entry is found with the right value. */
static int verify_gets(tw_pager *pg, uint32_t root, tw_err *e) {
    int bad = 0;
    tw_buf val = {0};
    for (size_t i = 0; i < MODEL_CAP; i++) {
        ment *m = &model[i];
        if (!m->key) continue;
        int found;
        if (tw_btree_get(pg, root, m->key, m->klen, &val, &found, e)) {
            bad = -1;
            break;
        }
        bad += !found || !same_value(&val, m);
    }
    tw_buf_free(&val);
    return bad;
}

/* ---- tests ------------------------------------------------------------------------------ */

static int sign(int x) {
    return (x > 0) - (x < 0);
}

/* The inline comparison agrees with memcmp order on every length and byte value. */
static void test_keycmp(void) {
    uint8_t a[80], b[80];
    int bad = 0;
    for (int t = 0; t < 200000; t++) {
        size_t al = rnd() % 70, bl = rnd() % 70, common = rnd() % 70;
        fill_bytes(a, sizeof a, rnd());
        fill_bytes(b, sizeof b, rnd());
        memcpy(b, a, common); /* long shared prefixes, like real keys */
        if (rnd() % 4 == 0 && common < sizeof b) b[common] = (uint8_t)(a[common] ^ 0x80);
        size_t n = al < bl ? al : bl;
        int want = n ? sign(memcmp(a, b, n)) : 0;
        if (!want) want = sign((int)al - (int)bl);
        bad += sign(bt_keycmp(a, al, b, bl)) != want;
        bad += sign(bt_keycmp(b, bl, a, al)) != -want;
    }
    CHECK(bad == 0);
}

static void test_basic(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    tw_btcursor *c = NULL;
    tw_buf val = {0};
    uint32_t root;
    int found;
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 64, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    CHECK(root == 1);
    OK(tw_btcursor_open(pg, root, &c, &err));
    OK(tw_btcursor_first(c, &err));
    CHECK(!tw_btcursor_valid(c));
    OK(tw_btcursor_last(c, &err));
    CHECK(!tw_btcursor_valid(c));
    OK(tw_btcursor_seek(c, "a", 1, &err));
    CHECK(!tw_btcursor_valid(c));
    OK(tw_btree_get(pg, root, "a", 1, &val, &found, &err));
    CHECK(!found);

    OK(tw_btree_put(pg, root, "b", 1, "2", 1, &err));
    OK(tw_btree_put(pg, root, "a", 1, "1", 1, &err));
    OK(tw_btree_put(pg, root, "ab", 2, "", 0, &err));
    OK(tw_btree_put(pg, root, "", 0, "empty", 5, &err));
    OK(tw_btree_get(pg, root, "ab", 2, &val, &found, &err));
    CHECK(found && val.len == 0);
    OK(tw_btree_get(pg, root, "", 0, &val, &found, &err));
    CHECK(found && val.len == 5 && memcmp(val.p, "empty", 5) == 0);
    OK(tw_btree_put(pg, root, "a", 1, "one", 3, &err));
    OK(tw_btree_get(pg, root, "a", 1, &val, &found, &err));
    CHECK(found && val.len == 3 && memcmp(val.p, "one", 3) == 0);

    /* Order: "" < "a" < "ab" < "b". */
    const char *want[] = {"", "a", "ab", "b"};
    int i = 0, order_ok = 1;
    OK(tw_btcursor_first(c, &err));
    while (tw_btcursor_valid(c)) {
        size_t kl;
        const char *k = tw_btcursor_key(c, &kl);
        order_ok &= i < 4 && kl == strlen(want[i]) && memcmp(k, want[i], kl) == 0;
        i++;
        OK(tw_btcursor_next(c, &err));
    }
    CHECK(order_ok && i == 4);
    OK(tw_btcursor_seek(c, "aa", 2, &err));
    size_t kl;
    const char *k = tw_btcursor_key(c, &kl);
    CHECK(tw_btcursor_valid(c) && kl == 2 && memcmp(k, "ab", 2) == 0);
    OK(tw_btcursor_seek_le(c, "aa", 2, &err));
    k = tw_btcursor_key(c, &kl);
    CHECK(tw_btcursor_valid(c) && kl == 1 && k[0] == 'a');
    OK(tw_btcursor_seek_le(c, "c", 1, &err));
    k = tw_btcursor_key(c, &kl);
    CHECK(tw_btcursor_valid(c) && kl == 1 && k[0] == 'b');
    OK(tw_btcursor_seek(c, "c", 1, &err));
    CHECK(!tw_btcursor_valid(c));
    CHECK(tw_btcursor_key(c, &kl) == NULL && kl == 0);
    tw_err e;
    tw_err_clear(&e);
    CHECK(tw_btcursor_value(c, &val, &e) == TWILL_MISUSE);

    OK(tw_btree_delete(pg, root, "a", 1, &found, &err));
    CHECK(found);
    OK(tw_btree_delete(pg, root, "a", 1, &found, &err));
    CHECK(!found);
    OK(tw_btree_delete(pg, root, "zz", 2, NULL, &err));
    OK(tw_btree_get(pg, root, "a", 1, &val, &found, &err));
    CHECK(!found);

    static uint8_t longkey[TW_BTREE_MAX_KEY + 1];
    tw_err_clear(&e);
    CHECK(tw_btree_put(pg, root, longkey, sizeof longkey, "x", 1, &e) == TWILL_MISUSE);
    tw_err_clear(&e);
    CHECK(tw_btree_put(pg, root, "k", 1, NULL, (size_t)TW_BTREE_MAX_VALUE + 1, &e) == TWILL_MISUSE);
    OK(tw_btree_put(pg, root, longkey, TW_BTREE_MAX_KEY, "max", 3, &err));
    OK(tw_btree_get(pg, root, longkey, TW_BTREE_MAX_KEY, &val, &found, &err));
    CHECK(found && val.len == 3);
    OK(tw_btree_check(pg, root, NULL, &err));
out:
    tw_buf_free(&val);
    tw_btcursor_close(c);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

/* Values around the inline/overflow boundary and across overflow page boundaries, and
 * replacement between the two forms, with the page count staying bounded. */
static void test_values(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    tw_buf val = {0};
    uint32_t root;
    int found;
    OK(tw_memstore_open(&st, &err));
    tw_memstore_keep_history(st, 0);
    OK(tw_pager_open(st, 32, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    static const size_t sizes[] = {0,    1,    2029, 2030, 2031, 2033,  2034,  2035,   2036,
                                   2040, 3000, 8183, 8184, 8185, 16368, 16369, 100000, 1u << 20};
    const size_t ns = sizeof sizes / sizeof sizes[0];
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < ns; i++) {
            uint8_t key[8] = {'v', (uint8_t)i};
            size_t vl = sizes[(i + (size_t)round * 5) % ns];
            OK(tw_btree_put(pg, root, key, 2, make_val((uint32_t)(i * 3 + round), vl), vl, &err));
        }
        int bad = 0;
        for (size_t i = 0; i < ns; i++) {
            uint8_t key[8] = {'v', (uint8_t)i};
            size_t vl = sizes[(i + (size_t)round * 5) % ns];
            OK(tw_btree_get(pg, root, key, 2, &val, &found, &err));
            bad += !found || val.len != vl ||
                   (vl && memcmp(val.p, make_val((uint32_t)(i * 3 + round), vl), vl) != 0);
        }
        CHECK(bad == 0);
        OK(tw_btree_check(pg, root, NULL, &err));
        OK(checkpoint(st, pg, &err));
    }
    /* Churn: replacing 1 MB values over and over reuses freed overflow pages. */
    uint32_t before = tw_pager_page_count(pg);
    for (int i = 0; i < 20; i++) {
        OK(tw_btree_put(pg, root, "big", 3, make_val((uint32_t)i, 1u << 20), 1u << 20, &err));
        if (i % 5 == 4) OK(checkpoint(st, pg, &err));
    }
    CHECK(tw_pager_page_count(pg) <= before + 2 * ((1u << 20) / BT_OVF_CAP + 2));
    OK(tw_btree_get(pg, root, "big", 3, &val, &found, &err));
    CHECK(found && val.len == 1u << 20 && memcmp(val.p, make_val(19, 1u << 20), 1u << 20) == 0);
    /* Delete everything: all pages but the root leaf go back to the free list. */
    for (size_t i = 0; i < ns; i++) {
        uint8_t key[8] = {'v', (uint8_t)i};
        OK(tw_btree_delete(pg, root, key, 2, &found, &err));
        CHECK(found);
    }
    OK(tw_btree_delete(pg, root, "big", 3, &found, &err));
    uint64_t pages;
    OK(tw_btree_check(pg, root, &pages, &err));
    CHECK(pages == 1);
    CHECK(tw_pager_free_count(pg) == tw_pager_page_count(pg) - 2);
out:
    tw_buf_free(&val);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void test_random_model(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    tw_buf val = {0};
    uint32_t root;
    uint8_t key[TW_BTREE_MAX_KEY];
    enum { OPS = 660000, KEYSPACE = 1000000 };
    rng_state = 12345;
    OK(tw_memstore_open(&st, &err));
    tw_memstore_keep_history(st, 0);
    OK(tw_pager_open(st, 64, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    tw_pager_set_root(pg, 0, root);
    int bad_get = 0, bad_found = 0;
    long puts = 0, dels = 0, gets = 0;
    size_t peak = 0;
    for (long op = 1; op <= OPS; op++) {
        /* First half grows the tree towards ~200k keys; the second half churns and
         * shrinks it, so merges and root collapses get their turn. */
        unsigned what = (unsigned)(rnd() % 100);
        int grow = op <= OPS / 2;
        enum { PUT_NEW, PUT_OLD, DEL_OLD, DEL_ANY, GET } kind;
        if (grow)
            kind = what < 80   ? PUT_NEW
                   : what < 85 ? PUT_OLD
                   : what < 90 ? DEL_OLD
                   : what < 95 ? DEL_ANY
                               : GET;
        else
            kind = what < 30 ? PUT_NEW : what < 45 ? PUT_OLD : what < 90 ? DEL_OLD : GET;
        if (model_n == 0 && (kind == PUT_OLD || kind == DEL_OLD)) kind = PUT_NEW;
        size_t kl;
        if (kind == PUT_OLD || kind == DEL_OLD || (kind == GET && what % 2)) {
            ment *m = mrandom();
            kl = m->klen;
            memcpy(key, m->key, kl);
        } else {
            kl = make_key(rnd() % KEYSPACE, key);
        }
        if (kind == DEL_OLD || kind == DEL_ANY) {
            int found;
            OK(tw_btree_delete(pg, root, key, kl, &found, &err));
            ment *m = mfind(key, kl);
            bad_found += found != (m->key != NULL);
            if (m->key) mdel(m);
            dels++;
        } else if (kind == PUT_NEW || kind == PUT_OLD) {
            size_t vl = pick_vlen();
            uint32_t vs = (uint32_t)rnd();
            OK(tw_btree_put(pg, root, key, kl, make_val(vs, vl), vl, &err));
            mput(key, kl, vs, vl);
            puts++;
        } else {
            int found;
            OK(tw_btree_get(pg, root, key, kl, &val, &found, &err));
            ment *m = mfind(key, kl);
            bad_found += found != (m->key != NULL);
            if (found && m->key) bad_get += !same_value(&val, m);
            gets++;
        }
        if (model_n > peak) peak = model_n;
        if (op % 25000 == 0) OK(checkpoint(st, pg, &err));
        if (op % 165000 == 0) {
            uint64_t pages;
            OK(tw_btree_check(pg, root, &pages, &err));
            int bad = verify_ordered(pg, root, 1, &err);
            CHECK(bad == 0);
            if (bad < 0) goto out;
            /* No page leaks: every page is the header, in the tree, or free. */
            CHECK(pages + tw_pager_free_count(pg) + 1 == tw_pager_page_count(pg));
            tw_pager_stats ps;
            tw_pager_get_stats(pg, &ps);
            printf("  random: %ld ops, %zu keys, %llu tree pages, %u free, %llu misses, "
                   "%llu evictions\n",
                   op, model_n, (unsigned long long)pages, tw_pager_free_count(pg),
                   (unsigned long long)ps.misses, (unsigned long long)ps.evictions);
        }
    }
    CHECK(peak >= 200000);
    CHECK(bad_get == 0);
    CHECK(bad_found == 0);
    CHECK(puts > 0 && dels > 0 && gets > 0);
    int bad = verify_gets(pg, root, &err);
    CHECK(bad == 0);
    tw_pager_stats s;
    tw_pager_get_stats(pg, &s);
    CHECK(s.evictions > 10000); /* the tiny pool really was exercised */

    /* Persistence: checkpoint, reopen over the same store, everything is still there. */
    OK(checkpoint(st, pg, &err));
    tw_pager_close(pg);
    pg = NULL;
    OK(tw_pager_open(st, 64, &pg, &err));
    CHECK(tw_pager_root(pg, 0) == root);
    OK(tw_btree_check(pg, root, NULL, &err));
    bad = verify_gets(pg, root, &err);
    CHECK(bad == 0);
    bad = verify_ordered(pg, root, 0, &err);
    CHECK(bad == 0);

    /* Delete everything that is left: the tree shrinks back to its root leaf. */
    ment **v = model_sorted();
    size_t n = model_n;
    for (size_t i = 0; i < n; i++) {
        size_t j = i + rnd() % (n - i); /* shuffle as we go */
        ment *t = v[i];
        v[i] = v[j];
        v[j] = t;
        int found;
        if (tw_btree_delete(pg, root, v[i]->key, v[i]->klen, &found, &err) || !found) {
            CHECK(0);
            break;
        }
    }
    free(v);
    model_clear();
    uint64_t pages;
    OK(tw_btree_check(pg, root, &pages, &err));
    CHECK(pages == 1);
    CHECK(tw_pager_free_count(pg) + 2 == tw_pager_page_count(pg));
out:
    model_clear();
    tw_buf_free(&val);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

/* Appending in key order fills leaves (nearly) completely; so does descending order. */
static void test_sequential_fill(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    uint32_t up, down;
    enum { N = 100000 };
    OK(tw_memstore_open(&st, &err));
    tw_memstore_keep_history(st, 0);
    OK(tw_pager_open(st, 4096, &pg, &err));
    OK(tw_btree_create(pg, &up, &err));
    OK(tw_btree_create(pg, &down, &err));
    for (uint32_t i = 0; i < N; i++) {
        uint8_t k[8], v[16];
        for (int b = 0; b < 8; b++) k[b] = (uint8_t)((uint64_t)i >> (56 - 8 * b));
        memset(v, (int)i, sizeof v);
        OK(tw_btree_put(pg, up, k, 8, v, 16, &err));
        uint32_t r = N - 1 - i;
        for (int b = 0; b < 8; b++) k[b] = (uint8_t)((uint64_t)r >> (56 - 8 * b));
        OK(tw_btree_put(pg, down, k, 8, v, 16, &err));
    }
    /* Each entry takes a cell header, key, value and slot. */
    uint64_t ideal = (uint64_t)N / (BT_USABLE / (BT_CELL_HDR + 8 + 16 + BT_SLOT)) + 1, pu, pd;
    OK(tw_btree_check(pg, up, &pu, &err));
    OK(tw_btree_check(pg, down, &pd, &err));
    CHECK(pu <= ideal + ideal / 50 + 3);
    CHECK(pd <= ideal + ideal / 50 + 3);
    if (pu > ideal + ideal / 50 + 3 || pd > ideal + ideal / 50 + 3)
        fprintf(stderr, "fill: ideal %llu leaves, ascending %llu pages, descending %llu\n",
                (unsigned long long)ideal, (unsigned long long)pu, (unsigned long long)pd);
    /* Drop one tree; rebuilding it reuses its pages instead of growing the file. */
    uint32_t count = tw_pager_page_count(pg);
    OK(tw_btree_drop(pg, up, &err));
    CHECK(tw_pager_free_count(pg) == pu);
    OK(tw_btree_create(pg, &up, &err));
    for (uint32_t i = 0; i < N; i++) {
        uint8_t k[8], v[16];
        for (int b = 0; b < 8; b++) k[b] = (uint8_t)((uint64_t)i >> (56 - 8 * b));
        memset(v, (int)i, sizeof v);
        OK(tw_btree_put(pg, up, k, 8, v, 16, &err));
    }
    CHECK(tw_pager_page_count(pg) <= count + 2);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

/* Drop frees every page, overflow chains included, and a reopened pager sees the free
 * list. */
static void test_drop(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    uint32_t a, b;
    uint8_t key[TW_BTREE_MAX_KEY];
    OK(tw_memstore_open(&st, &err));
    tw_memstore_keep_history(st, 0);
    OK(tw_pager_open(st, 64, &pg, &err));
    OK(tw_btree_create(pg, &a, &err));
    OK(tw_btree_create(pg, &b, &err));
    OK(tw_btree_put(pg, b, "keep", 4, "me", 2, &err));
    rng_state = 99;
    for (uint64_t id = 0; id < 30000; id++) {
        size_t kl = make_key(id, key), vl = pick_vlen();
        if (vl > 100000) vl = 100000;
        OK(tw_btree_put(pg, a, key, kl, make_val((uint32_t)id, vl), vl, &err));
    }
    uint64_t pa;
    OK(tw_btree_check(pg, a, &pa, &err));
    CHECK(pa > 100);
    OK(checkpoint(st, pg, &err));
    uint32_t count = tw_pager_page_count(pg);
    CHECK(tw_pager_free_count(pg) + pa + 2 == count); /* + header + tree b */
    OK(tw_btree_drop(pg, a, &err));
    CHECK(tw_pager_free_count(pg) + 2 == count); /* header and tree b remain */
    OK(checkpoint(st, pg, &err));
    tw_pager_close(pg);
    pg = NULL;
    OK(tw_pager_open(st, 64, &pg, &err));
    CHECK(tw_pager_free_count(pg) + 2 == count);
    OK(tw_btree_check(pg, b, NULL, &err));
    tw_buf val = {0};
    int found;
    OK(tw_btree_get(pg, b, "keep", 4, &val, &found, &err));
    CHECK(found && val.len == 2);
    tw_buf_free(&val);
    /* Dropping the last tree empties the database down to its header. */
    OK(tw_btree_drop(pg, b, &err));
    CHECK(tw_pager_free_count(pg) + 1 == count);
    OK(tw_btree_create(pg, &a, &err));
    CHECK(tw_pager_page_count(pg) == count);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

static void put_u32(tw_pager *pg, uint32_t root, uint32_t k, tw_err *e, int *rc) {
    uint8_t kb[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
    if (!*rc) *rc = tw_btree_put(pg, root, kb, 4, kb, 4, e);
}

static void del_u32(tw_pager *pg, uint32_t root, uint32_t k, tw_err *e, int *rc) {
    uint8_t kb[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
    if (!*rc) *rc = tw_btree_delete(pg, root, kb, 4, NULL, e);
}

static uint32_t cur_u32(tw_btcursor *c) {
    size_t kl;
    const uint8_t *k = tw_btcursor_key(c, &kl);
    return kl == 4 ? (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3]
                   : UINT32_MAX;
}

/* A cursor keeps its place by key across modifications between moves. */
static void test_cursor_stability(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    tw_btcursor *c = NULL;
    tw_buf val = {0};
    uint32_t root;
    int rc = 0;
    enum { N = 20000 }; /* even keys 0, 2, ..., 2N-2: a few hundred leaves */
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 32, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    for (uint32_t i = 0; i < N; i++) put_u32(pg, root, 2 * i, &err, &rc);
    OK(rc);
    OK(tw_btcursor_open(pg, root, &c, &err));

    /* Forward: at key k, delete k and k+2, insert k-1 (behind) and k+3 (ahead). The
     * cursor must visit 0, 3, 4?.. computed by the same rule on a plain array. */
    static uint8_t present[2 * N + 8];
    memset(present, 0, sizeof present);
    for (uint32_t i = 0; i < N; i++) present[2 * i] = 1;
    int bad = 0, steps = 0;
    uint32_t expect = 0;
    OK(tw_btcursor_first(c, &err));
    while (tw_btcursor_valid(c)) {
        uint32_t k = cur_u32(c);
        if (k != expect) {
            fprintf(stderr, "forward: at step %d got %u, expected %u\n", steps, k, expect);
            bad++;
            break;
        }
        if (steps % 3 == 0) {
            OK(tw_btcursor_value(c, &val, &err));
            bad += val.len != 4;
        }
        del_u32(pg, root, k, &err, &rc);
        present[k] = 0;
        del_u32(pg, root, k + 2, &err, &rc);
        present[k + 2] = 0;
        if (k > 0) {
            put_u32(pg, root, k - 1, &err, &rc);
            present[k - 1] = 1;
        }
        if (k + 3 < 2 * N) {
            put_u32(pg, root, k + 3, &err, &rc);
            present[k + 3] = 1;
        }
        OK(rc);
        expect = k + 1;
        while (expect < sizeof present && !present[expect]) expect++;
        steps++;
        OK(tw_btcursor_next(c, &err));
    }
    CHECK(bad == 0);
    CHECK(steps > N / 3);
    CHECK(expect >= 2 * N);
    OK(tw_btree_check(pg, root, NULL, &err));

    /* Backward over what is left: delete the current key and its predecessor each step. */
    uint32_t last = 0;
    for (uint32_t k = 0; k < sizeof present; k++)
        if (present[k]) last = k;
    expect = last;
    bad = 0;
    steps = 0;
    OK(tw_btcursor_last(c, &err));
    while (tw_btcursor_valid(c)) {
        uint32_t k = cur_u32(c);
        if (k != expect) {
            bad++;
            break;
        }
        del_u32(pg, root, k, &err, &rc);
        present[k] = 0;
        uint32_t p = k;
        while (p > 0 && !present[--p]) {
        }
        if (present[p] && p < k) {
            del_u32(pg, root, p, &err, &rc);
            present[p] = 0;
        }
        OK(rc);
        expect = UINT32_MAX;
        for (uint32_t q = k; q-- > 0;)
            if (present[q]) {
                expect = q;
                break;
            }
        steps++;
        OK(tw_btcursor_prev(c, &err));
    }
    CHECK(bad == 0);
    CHECK(expect == UINT32_MAX);
    CHECK(steps > 100);

    /* value() on an entry deleted behind the cursor's back is refused, and the cursor
     * still moves on correctly afterwards. */
    for (uint32_t i = 0; i < 100; i++) put_u32(pg, root, 10 * i, &err, &rc);
    OK(rc);
    OK(tw_btcursor_seek(c, "\0\0\0\x32", 4, &err)); /* 50 */
    CHECK(tw_btcursor_valid(c) && cur_u32(c) == 50);
    del_u32(pg, root, 50, &err, &rc);
    OK(rc);
    tw_err e;
    tw_err_clear(&e);
    CHECK(tw_btcursor_value(c, &val, &e) == TWILL_MISUSE);
    CHECK(tw_btcursor_valid(c) && cur_u32(c) == 50);
    OK(tw_btcursor_next(c, &err));
    CHECK(tw_btcursor_valid(c) && cur_u32(c) == 60);
    OK(tw_btcursor_prev(c, &err));
    CHECK(tw_btcursor_valid(c) && cur_u32(c) == 40);
    /* A drop-everything between moves leaves the cursor at the end. */
    for (uint32_t i = 0; i < 100; i++) del_u32(pg, root, 10 * i, &err, &rc);
    OK(rc);
    OK(tw_btcursor_next(c, &err));
    CHECK(!tw_btcursor_valid(c));
    uint64_t pages;
    OK(tw_btree_check(pg, root, &pages, &err));
    CHECK(pages == 1);
out:
    tw_buf_free(&val);
    tw_btcursor_close(c);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

/* Without a checkpoint, changes are gone after reopen; the last checkpoint's tree is
 * intact. */
static void test_unflushed_lost(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    tw_buf val = {0};
    uint32_t root;
    int rc = 0, found;
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 16, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    for (uint32_t i = 0; i < 3000; i++) put_u32(pg, root, i, &err, &rc);
    OK(rc);
    OK(checkpoint(st, pg, &err));
    for (uint32_t i = 3000; i < 6000; i++) put_u32(pg, root, i, &err, &rc);
    for (uint32_t i = 0; i < 1000; i++) del_u32(pg, root, i, &err, &rc);
    OK(rc);
    tw_pager_close(pg);
    pg = NULL;
    OK(tw_pager_open(st, 16, &pg, &err));
    uint64_t pages;
    OK(tw_btree_check(pg, root, &pages, &err));
    int bad = 0;
    for (uint32_t i = 0; i < 6000; i += 7) {
        uint8_t kb[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        OK(tw_btree_get(pg, root, kb, 4, &val, &found, &err));
        bad += found != (i < 3000);
    }
    CHECK(bad == 0);
    CHECK(pages + tw_pager_free_count(pg) + 1 == tw_pager_page_count(pg));
out:
    tw_buf_free(&val);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

/* Failures while writing leave the tree as it was. */
static void test_io_failure(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    tw_buf val = {0};
    uint32_t root;
    int rc = 0;
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 8, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    for (uint32_t i = 0; i < 5000; i++) put_u32(pg, root, i * 2, &err, &rc);
    OK(rc);
    OK(checkpoint(st, pg, &err));
    /* Reads now fail one at a time at varying points; every failed put or delete must
     * leave a valid tree with the same contents. */
    int failures = 0;
    for (uint32_t i = 0; i < 400; i++) {
        tw_memstore_fail(st, TW_MEMSTORE_FAIL_PAGE_READ, (long)(i % 4));
        uint32_t k = (uint32_t)(rnd() % 10000);
        uint8_t kb[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        tw_err e;
        tw_err_clear(&e);
        int found;
        int r = i % 2 ? tw_btree_delete(pg, root, kb, 4, &found, &e)
                      : tw_btree_put(pg, root, kb, 4, make_val(k, 3000), 3000, &e);
        tw_memstore_fail(st, TW_MEMSTORE_FAIL_PAGE_READ, -1);
        if (r) {
            failures++;
            CHECK(r == TWILL_IOERR && e.msg[0]);
        }
        if (i % 50 == 0) OK(checkpoint(st, pg, &err));
    }
    CHECK(failures > 0);
    uint64_t pages;
    OK(tw_btree_check(pg, root, &pages, &err));
    /* Pages reserved by a failed operation went back to the free list. */
    CHECK(pages + tw_pager_free_count(pg) + 1 == tw_pager_page_count(pg));
out:
    tw_buf_free(&val);
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

typedef struct reader_arg {
    tw_pager *pg;
    uint32_t root;
    uint32_t n;
    uint64_t seed;
    int bad, errors;
} reader_arg;

/* Readers share the tree as under the engine's shared latch: point gets and cursor
 * walks, with a pool small enough that misses and evictions race. */
static void *reader(void *p) {
    reader_arg *a = p;
    tw_buf val = {0};
    tw_btcursor *c = NULL;
    if (tw_btcursor_open(a->pg, a->root, &c, NULL)) {
        a->errors++;
        return NULL;
    }
    for (int i = 0; i < 4000; i++) {
        uint32_t k = (uint32_t)(mix(a->seed + (uint64_t)i) % a->n);
        uint8_t kb[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        int found;
        if (i % 8) {
            if (tw_btree_get(a->pg, a->root, kb, 4, &val, &found, NULL)) {
                a->errors++;
                continue;
            }
            a->bad += !found || val.len != 100 || memcmp(val.p, kb, 4) != 0;
            continue;
        }
        /* A short range walk from k. */
        if (tw_btcursor_seek(c, kb, 4, NULL)) {
            a->errors++;
            continue;
        }
        for (uint32_t j = k; j < k + 50 && j < a->n; j++) {
            size_t kl;
            const uint8_t *g = tw_btcursor_key(c, &kl);
            uint32_t got =
                kl == 4 ? (uint32_t)g[0] << 24 | (uint32_t)g[1] << 16 | (uint32_t)g[2] << 8 | g[3]
                        : UINT32_MAX;
            a->bad += !tw_btcursor_valid(c) || got != j;
            if (tw_btcursor_next(c, NULL)) {
                a->errors++;
                break;
            }
        }
    }
    tw_btcursor_close(c);
    tw_buf_free(&val);
    return NULL;
}

static void test_concurrent_readers(void) {
    tw_storage *st = NULL;
    tw_pager *pg = NULL;
    uint32_t root;
    enum { N = 20000, T = 4 };
    uint8_t v[100];
    OK(tw_memstore_open(&st, &err));
    OK(tw_pager_open(st, 16, &pg, &err));
    OK(tw_btree_create(pg, &root, &err));
    for (uint32_t k = 0; k < N; k++) {
        uint8_t kb[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        memset(v, (int)k, sizeof v);
        memcpy(v, kb, 4);
        OK(tw_btree_put(pg, root, kb, 4, v, sizeof v, &err));
    }
    OK(checkpoint(st, pg, &err)); /* clean pages can be evicted while readers run */
    pthread_t th[T];
    reader_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i] = (reader_arg){pg, root, N, (uint64_t)i * 1000003u, 0, 0};
        CHECK(pthread_create(&th[i], NULL, reader, &args[i]) == 0);
    }
    int bad = 0, errors = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        bad += args[i].bad;
        errors += args[i].errors;
    }
    CHECK(bad == 0 && errors == 0);
out:
    tw_pager_close(pg);
    if (st) st->ops->close(st);
}

int main(void) {
    tw_err_clear(&err);
    model = calloc(MODEL_CAP, sizeof *model);
    vbuf = malloc((1u << 20) + 64);
    if (!model || !vbuf) return 1;
    test_keycmp();
    test_basic();
    test_values();
    test_cursor_stability();
    test_unflushed_lost();
    test_drop();
    test_sequential_fill();
    test_io_failure();
    test_concurrent_readers();
    test_random_model();
    free(model);
    free(vbuf);
    printf("test_btree: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
