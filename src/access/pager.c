/*
 * pager.c — the buffer pool over the storage seam's page store.
 *
 * Frames live in a chained hash table keyed by page number. Dirty frames (modified
 * since the last checkpoint) are on the dirty list and never evicted. Clean frames that
 * became unpinned join the replacement list, where they stay when pinned again: a hit
 * only bumps the pin count and sets a reference bit, so it never touches other frames'
 * memory. Eviction pops the list head: a pinned frame is dropped from the list (it
 * rejoins when unpinned), a referenced one gets a second chance at the tail (CLOCK),
 * anything else is evicted. Page 0 (the header) stays pinned for the pager's life.
 *
 * One mutex, `mu`, guards the frame table and lists and is held only for short, non-
 * blocking work. A miss inserts a LOADING frame, drops `mu` for the read and wakes
 * waiters when done, so hits (and misses on other pages: storage.h lets page_read run
 * concurrently with anything) are never stuck behind a slow read. The checkpoint's
 * writes are serialized by the caller's exclusive latch.
 */
#include "access/pager.h"
#include "access/btree_internal.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Header page (page 0) layout. */
#define HDR_MAGIC 0       /* 8 bytes */
#define HDR_VERSION 8     /* u32 */
#define HDR_PAGE_SIZE 12  /* u32 */
#define HDR_PAGE_COUNT 16 /* u32: pages 0..page_count-1 exist */
#define HDR_FREE_HEAD 20  /* u32: first free-list trunk page, 0 = empty list */
#define HDR_FREE_COUNT 24 /* u32: pages on the free list, trunks included */
#define HDR_ROOTS 32      /* u64[TW_PAGER_ROOT_SLOTS] */
#define PAGER_FORMAT 1
static const uint8_t pager_magic[8] = {'T', 'w', 'i', 'l', 'l', 'P', 'g', 0};

/* Free-list trunk page: a list of free page numbers plus a link to the next trunk.
 * Trunks (rather than a chain threaded through every free page) mean freeing a page
 * never reads it and allocating from the list reads one trunk per ~2000 pages. */
#define TRUNK_NEXT 4
#define TRUNK_COUNT 8
#define TRUNK_ENTRIES 12
#define TRUNK_CAP ((TW_PAGE_SIZE - TRUNK_ENTRIES) / 4)

#define CKPT_BATCH 256
#define MIN_CAPACITY 8

enum { F_READY, F_LOADING, F_FAILED };

struct tw_frame {
    uint32_t pgno;
    uint32_t pins;
    uint8_t dirty;
    uint8_t state;
    uint8_t ref;    /* used since it last got a second chance */
    uint8_t in_lru; /* on the replacement list (clean; maybe pinned again meanwhile) */
    uint8_t *data;
    tw_frame *hnext;
    tw_frame *prev, *next; /* replacement list or dirty list, see above */
};

typedef struct flist {
    tw_frame *head, *tail;
    size_t n;
} flist;

struct tw_pager {
    tw_storage *st;
    size_t cap;
    pthread_mutex_t mu;
    pthread_cond_t loaded;
    tw_frame **buckets;
    size_t nbuckets; /* power of two */
    size_t nframes;  /* frames in the hash table */
    flist lru, dirty;
    tw_frame *hdr;
    tw_frame *trunk; /* the free list's head trunk, pinned while the list is non-empty */
    /* Cached header fields; the header page is rewritten whenever they change. */
    uint32_t page_count, free_head, free_count;
    atomic_uint_fast64_t gen;
    tw_pager_stats stats;
};

/* ---- lists and hash table (callers hold mu) ----------------------------------------- */

static void list_remove(flist *l, tw_frame *f) {
    if (f->prev)
        f->prev->next = f->next;
    else
        l->head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        l->tail = f->prev;
    f->prev = f->next = NULL;
    l->n--;
}

static void list_push(flist *l, tw_frame *f) {
    f->next = NULL;
    f->prev = l->tail;
    if (l->tail)
        l->tail->next = f;
    else
        l->head = f;
    l->tail = f;
    l->n++;
}

static size_t bucket_of(const tw_pager *pg, uint32_t pgno) {
    uint32_t h = pgno * 2654435761u;
    h ^= h >> 15;
    return h & (pg->nbuckets - 1);
}

static tw_frame *hash_find(const tw_pager *pg, uint32_t pgno) {
    for (tw_frame *f = pg->buckets[bucket_of(pg, pgno)]; f; f = f->hnext)
        if (f->pgno == pgno) return f;
    return NULL;
}

static void hash_grow(tw_pager *pg) {
    size_t n = pg->nbuckets * 2;
    tw_frame **b = calloc(n, sizeof *b);
    if (!b) return; /* a longer chain is slower, not wrong */
    tw_frame **old = pg->buckets;
    size_t oldn = pg->nbuckets;
    pg->buckets = b;
    pg->nbuckets = n;
    for (size_t i = 0; i < oldn; i++) {
        for (tw_frame *f = old[i], *nx; f; f = nx) {
            nx = f->hnext;
            size_t k = bucket_of(pg, f->pgno);
            f->hnext = b[k];
            b[k] = f;
        }
    }
    free(old);
}

static void hash_insert(tw_pager *pg, tw_frame *f) {
    if (pg->nframes >= pg->nbuckets) hash_grow(pg);
    size_t k = bucket_of(pg, f->pgno);
    f->hnext = pg->buckets[k];
    pg->buckets[k] = f;
    pg->nframes++;
}

static void hash_remove(tw_pager *pg, tw_frame *f) {
    tw_frame **pp = &pg->buckets[bucket_of(pg, f->pgno)];
    while (*pp != f) pp = &(*pp)->hnext;
    *pp = f->hnext;
    f->hnext = NULL;
    pg->nframes--;
}

/* A frame and its page share one allocation, the header right before the data, so a
 * lookup that touches the frame also brings the page header's cache lines close. */
#define FRAME_HDR 64
_Static_assert(sizeof(tw_frame) <= FRAME_HDR, "frame header fits before the page");

static void frame_free(tw_frame *f) {
    free(f);
}

static tw_frame *frame_alloc(void) {
    tw_frame *f = aligned_alloc(64, FRAME_HDR + TW_PAGE_SIZE);
    if (!f) return NULL;
    memset(f, 0, sizeof *f);
    f->data = (uint8_t *)f + FRAME_HDR;
    return f;
}

static void lru_push(tw_pager *pg, tw_frame *f) {
    list_push(&pg->lru, f);
    f->in_lru = 1;
}

static void lru_remove(tw_pager *pg, tw_frame *f) {
    list_remove(&pg->lru, f);
    f->in_lru = 0;
}

/* Unhooks and returns one evictable frame, or NULL when none is. */
static tw_frame *evict_one(tw_pager *pg) {
    tw_frame *f;
    while ((f = pg->lru.head)) {
        lru_remove(pg, f);
        if (f->pins) continue; /* rejoins at unpin */
        if (f->ref) {
            f->ref = 0;
            lru_push(pg, f);
            continue;
        }
        hash_remove(pg, f);
        pg->stats.evictions++;
        return f;
    }
    return NULL;
}

/* Evicts clean unpinned frames until the pool is under capacity, recycling the first
 * victim's memory; allocates only when nothing is evictable. */
static tw_frame *take_frame(tw_pager *pg) {
    tw_frame *spare = NULL, *f;
    while (pg->nframes >= pg->cap && (f = evict_one(pg))) {
        if (!spare)
            spare = f;
        else
            frame_free(f);
    }
    if (!spare) spare = frame_alloc();
    if (spare) {
        spare->pins = 0;
        spare->dirty = 0;
        spare->ref = 0;
        spare->in_lru = 0;
        spare->state = F_READY;
        spare->prev = spare->next = spare->hnext = NULL;
    }
    return spare;
}

static void trim_lru(tw_pager *pg) {
    tw_frame *f;
    while (pg->nframes > pg->cap && (f = evict_one(pg))) frame_free(f);
}

static void mark_dirty_locked(tw_pager *pg, tw_frame *f) {
    if (f->dirty) return;
    if (f->in_lru) lru_remove(pg, f);
    f->dirty = 1;
    list_push(&pg->dirty, f);
}

static void pin_locked(tw_pager *pg, tw_frame *f) {
    f->pins++;
    f->ref = 1;
}

static void unpin_locked(tw_pager *pg, tw_frame *f) {
    if (--f->pins == 0 && !f->dirty && !f->in_lru) lru_push(pg, f);
}

static void hdr_sync_locked(tw_pager *pg) {
    uint8_t *d = pg->hdr->data;
    tw_store_u32(d + HDR_PAGE_COUNT, pg->page_count);
    tw_store_u32(d + HDR_FREE_HEAD, pg->free_head);
    tw_store_u32(d + HDR_FREE_COUNT, pg->free_count);
    mark_dirty_locked(pg, pg->hdr);
}

/* Makes `pgno` resident, pinned, zeroed and dirty without reading it: used for pages
 * whose old contents are meaningless (fresh allocations, new free-list trunks). `spare`
 * is a frame reserved by the caller; it is consumed or freed. */
static tw_frame *install_zeroed_locked(tw_pager *pg, uint32_t pgno, tw_frame *spare) {
    tw_frame *f = hash_find(pg, pgno);
    if (f) {
        frame_free(spare);
        pin_locked(pg, f);
    } else {
        f = spare;
        f->pgno = pgno;
        f->pins = 1;
        hash_insert(pg, f);
    }
    memset(f->data, 0, TW_PAGE_SIZE);
    mark_dirty_locked(pg, f);
    return f;
}

/* ---- public API ---------------------------------------------------------------------- */

int tw_pager_get(tw_pager *pg, uint32_t pgno, tw_frame **out, tw_err *err) {
    pthread_mutex_lock(&pg->mu);
    if (pgno >= pg->page_count) {
        uint32_t n = pg->page_count;
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, TWILL_CORRUPT, NULL, "page %u is past the end of the database (%u)",
                          pgno, n);
    }
    tw_frame *f = hash_find(pg, pgno);
    if (f) {
        pin_locked(pg, f);
        while (f->state == F_LOADING) pthread_cond_wait(&pg->loaded, &pg->mu);
        if (f->state == F_FAILED) {
            /* The loader already unhooked it; the last waiter frees it. */
            if (--f->pins == 0) frame_free(f);
            pthread_mutex_unlock(&pg->mu);
            return tw_err_set(err, TWILL_IOERR, NULL, "reading page %u failed", pgno);
        }
        pg->stats.hits++;
        pthread_mutex_unlock(&pg->mu);
        *out = f;
        return TWILL_OK;
    }
    f = take_frame(pg);
    if (!f) {
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory for page %u", pgno);
    }
    f->pgno = pgno;
    f->pins = 1;
    f->state = F_LOADING;
    hash_insert(pg, f);
    pg->stats.misses++;
    pthread_mutex_unlock(&pg->mu);

    int found = 0;
    int rc = pg->st->ops->page_read(pg->st, pgno, TW_LSN_MAX, f->data, &found, NULL, err);
    if (rc == TWILL_OK && !found) memset(f->data, 0, TW_PAGE_SIZE);

    pthread_mutex_lock(&pg->mu);
    if (rc != TWILL_OK) {
        f->state = F_FAILED;
        hash_remove(pg, f);
        pthread_cond_broadcast(&pg->loaded);
        if (--f->pins == 0) frame_free(f);
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, rc, NULL, "reading page %u failed", pgno);
    }
    f->state = F_READY;
    pthread_cond_broadcast(&pg->loaded);
    pthread_mutex_unlock(&pg->mu);
    *out = f;
    return TWILL_OK;
}

void tw_pager_unpin(tw_pager *pg, tw_frame *f) {
    if (!f) return;
    pthread_mutex_lock(&pg->mu);
    unpin_locked(pg, f);
    pthread_mutex_unlock(&pg->mu);
}

uint8_t *tw_frame_data(tw_frame *f) {
    return f->data;
}

uint32_t tw_frame_pgno(const tw_frame *f) {
    return f->pgno;
}

void tw_pager_mark_dirty(tw_pager *pg, tw_frame *f) {
    pthread_mutex_lock(&pg->mu);
    mark_dirty_locked(pg, f);
    pthread_mutex_unlock(&pg->mu);
}

/* Pins and checks the free-list trunk `pgno`. */
static int trunk_get(tw_pager *pg, uint32_t pgno, tw_frame **out, tw_err *err) {
    int rc = tw_pager_get(pg, pgno, out, err);
    if (rc) return rc;
    const uint8_t *d = (*out)->data;
    if (d[0] != TW_PAGE_FREE_TRUNK || tw_load_u32(d + TRUNK_COUNT) > TRUNK_CAP) {
        tw_pager_unpin(pg, *out);
        return tw_err_set(err, TWILL_CORRUPT, NULL, "free-list trunk page %u is damaged", pgno);
    }
    return TWILL_OK;
}

int tw_pager_alloc(tw_pager *pg, tw_frame **out, tw_err *err) {
    /* Reserve the frame first so nothing below can fail after the free list changed. */
    pthread_mutex_lock(&pg->mu);
    tw_frame *spare = take_frame(pg);
    uint32_t head = pg->free_head;
    pthread_mutex_unlock(&pg->mu);
    if (!spare) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory allocating a page");

    uint32_t pgno;
    tw_frame *old_trunk = NULL;
    if (head != 0) {
        uint8_t *d = pg->trunk->data;
        uint32_t n = tw_load_u32(d + TRUNK_COUNT);
        if (n > 0) {
            pgno = tw_load_u32(d + TRUNK_ENTRIES + 4 * (n - 1));
            if (pgno == 0 || pgno >= pg->page_count) {
                frame_free(spare);
                return tw_err_set(err, TWILL_CORRUPT, NULL,
                                  "free-list trunk page %u lists invalid page %u", head, pgno);
            }
            tw_store_u32(d + TRUNK_COUNT, n - 1);
            pthread_mutex_lock(&pg->mu);
            mark_dirty_locked(pg, pg->trunk);
        } else {
            /* An empty trunk is itself the last free page it describes. The next trunk
             * is pinned before anything changes, as reading it may fail. */
            uint32_t next = tw_load_u32(d + TRUNK_NEXT);
            tw_frame *nt = NULL;
            if (next != 0) {
                int rc = trunk_get(pg, next, &nt, err);
                if (rc) {
                    frame_free(spare);
                    return rc;
                }
            }
            pgno = head;
            old_trunk = pg->trunk;
            pg->trunk = nt;
            pthread_mutex_lock(&pg->mu);
            pg->free_head = next;
        }
        pg->free_count--;
    } else {
        pthread_mutex_lock(&pg->mu);
        if (pg->page_count == UINT32_MAX) {
            pthread_mutex_unlock(&pg->mu);
            frame_free(spare);
            return tw_err_set(err, TWILL_ERROR, "53100", "database is full (%u pages)", UINT32_MAX);
        }
        pgno = pg->page_count++;
    }
    if (old_trunk) unpin_locked(pg, old_trunk);
    tw_frame *f = install_zeroed_locked(pg, pgno, spare);
    hdr_sync_locked(pg);
    pthread_mutex_unlock(&pg->mu);
    *out = f;
    return TWILL_OK;
}

int tw_pager_free(tw_pager *pg, uint32_t pgno, tw_err *err) {
    pthread_mutex_lock(&pg->mu);
    if (pgno == 0 || pgno >= pg->page_count) {
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, TWILL_MISUSE, NULL, "freeing invalid page %u", pgno);
    }
    if (pgno == pg->free_head) {
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, TWILL_CORRUPT, NULL, "page %u is freed twice", pgno);
    }
    tw_frame *f = hash_find(pg, pgno);
    if (f && f->pins) {
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, TWILL_MISUSE, NULL, "freeing pinned page %u", pgno);
    }
    /* The contents of a free page are meaningless: drop its frame (dirty or not) so it
     * is not written at the next checkpoint. The frame is recycled below if needed. */
    if (f) {
        if (f->dirty)
            list_remove(&pg->dirty, f);
        else if (f->in_lru)
            lru_remove(pg, f);
        hash_remove(pg, f);
        f->dirty = 0;
    }
    /* The head trunk stays pinned, so freeing never reads: callers free pages after
     * they changed the tree, when failing would leak them. */
    if (pg->free_head != 0) {
        uint8_t *d = pg->trunk->data;
        uint32_t n = tw_load_u32(d + TRUNK_COUNT);
        if (n < TRUNK_CAP) {
            tw_store_u32(d + TRUNK_ENTRIES + 4 * n, pgno);
            tw_store_u32(d + TRUNK_COUNT, n + 1);
            mark_dirty_locked(pg, pg->trunk);
            pg->free_count++;
            hdr_sync_locked(pg);
            pthread_mutex_unlock(&pg->mu);
            frame_free(f);
            return TWILL_OK;
        }
    }
    /* No trunk with room: the freed page becomes the new head trunk. */
    if (!f) f = take_frame(pg);
    if (!f) {
        pthread_mutex_unlock(&pg->mu);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory freeing page %u", pgno);
    }
    tw_frame *t = install_zeroed_locked(pg, pgno, f);
    t->data[0] = TW_PAGE_FREE_TRUNK;
    tw_store_u32(t->data + TRUNK_NEXT, pg->free_head);
    tw_store_u32(t->data + TRUNK_COUNT, 0);
    tw_frame *old = pg->trunk;
    if (old) unpin_locked(pg, old);
    pg->trunk = t; /* keeps the pin install_zeroed_locked took */
    pg->free_head = pgno;
    pg->free_count++;
    hdr_sync_locked(pg);
    pthread_mutex_unlock(&pg->mu);
    return TWILL_OK;
}

uint64_t tw_pager_root(tw_pager *pg, int slot) {
    if (slot < 0 || slot >= TW_PAGER_ROOT_SLOTS) return 0;
    return tw_load_u64(pg->hdr->data + HDR_ROOTS + 8 * slot);
}

void tw_pager_set_root(tw_pager *pg, int slot, uint64_t v) {
    if (slot < 0 || slot >= TW_PAGER_ROOT_SLOTS) return;
    pthread_mutex_lock(&pg->mu);
    tw_store_u64(pg->hdr->data + HDR_ROOTS + 8 * slot, v);
    mark_dirty_locked(pg, pg->hdr);
    pthread_mutex_unlock(&pg->mu);
}

size_t tw_pager_dirty_count(tw_pager *pg) {
    pthread_mutex_lock(&pg->mu);
    size_t n = pg->dirty.n;
    pthread_mutex_unlock(&pg->mu);
    return n;
}

uint32_t tw_pager_page_count(tw_pager *pg) {
    pthread_mutex_lock(&pg->mu);
    uint32_t n = pg->page_count;
    pthread_mutex_unlock(&pg->mu);
    return n;
}

uint32_t tw_pager_free_count(tw_pager *pg) {
    pthread_mutex_lock(&pg->mu);
    uint32_t n = pg->free_count;
    pthread_mutex_unlock(&pg->mu);
    return n;
}

int tw_pager_checkpoint(tw_pager *pg, uint64_t lsn, tw_err *err) {
    /* The caller's exclusive latch keeps the dirty list and page contents still while
     * `mu` is dropped for the storage calls. */
    tw_page_image batch[CKPT_BATCH];
    int rc = TWILL_OK;
    pthread_mutex_lock(&pg->mu);
    tw_frame *f = pg->dirty.head;
    pthread_mutex_unlock(&pg->mu);
    while (f && rc == TWILL_OK) {
        size_t n = 0;
        pthread_mutex_lock(&pg->mu);
        for (; f && n < CKPT_BATCH; f = f->next) {
            batch[n].pgno = f->pgno;
            batch[n].data = f->data;
            n++;
        }
        pthread_mutex_unlock(&pg->mu);
        rc = pg->st->ops->ckpt_write(pg->st, lsn, batch, n, err);
    }
    if (rc == TWILL_OK) rc = pg->st->ops->ckpt_finish(pg->st, lsn, err);
    if (rc != TWILL_OK)
        return tw_err_set(err, rc, NULL, "checkpoint at lsn %llu failed", (unsigned long long)lsn);

    pthread_mutex_lock(&pg->mu);
    while ((f = pg->dirty.head)) {
        list_remove(&pg->dirty, f);
        f->dirty = 0;
        if (f->pins == 0) lru_push(pg, f);
        pg->stats.pages_written++;
    }
    trim_lru(pg);
    pthread_mutex_unlock(&pg->mu);
    return TWILL_OK;
}

void tw_pager_get_stats(tw_pager *pg, tw_pager_stats *out) {
    pthread_mutex_lock(&pg->mu);
    *out = pg->stats;
    pthread_mutex_unlock(&pg->mu);
}

uint64_t tw_pager_generation(tw_pager *pg) {
    return atomic_load_explicit(&pg->gen, memory_order_acquire);
}

void tw_pager_bump_generation(tw_pager *pg) {
    atomic_fetch_add_explicit(&pg->gen, 1, memory_order_acq_rel);
}

static int load_header(tw_pager *pg, tw_err *err) {
    tw_frame *f = frame_alloc();
    if (!f) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory opening the pager");
    int found = 0;
    int rc = pg->st->ops->page_read(pg->st, 0, TW_LSN_MAX, f->data, &found, NULL, err);
    if (rc) {
        frame_free(f);
        return tw_err_set(err, rc, NULL, "reading the database header failed");
    }
    f->pgno = 0;
    f->pins = 1;
    f->state = F_READY;
    pthread_mutex_lock(&pg->mu);
    hash_insert(pg, f);
    pthread_mutex_unlock(&pg->mu);
    pg->hdr = f;
    uint8_t *d = f->data;
    if (!found) {
        memset(d, 0, TW_PAGE_SIZE);
        memcpy(d + HDR_MAGIC, pager_magic, sizeof pager_magic);
        tw_store_u32(d + HDR_VERSION, PAGER_FORMAT);
        tw_store_u32(d + HDR_PAGE_SIZE, TW_PAGE_SIZE);
        pthread_mutex_lock(&pg->mu);
        pg->page_count = 1;
        hdr_sync_locked(pg);
        pthread_mutex_unlock(&pg->mu);
        return TWILL_OK;
    }
    if (memcmp(d + HDR_MAGIC, pager_magic, sizeof pager_magic) != 0)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "not a Twill database (bad header magic)");
    uint32_t ver = tw_load_u32(d + HDR_VERSION);
    if (ver != PAGER_FORMAT)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "unsupported page format version %u", ver);
    uint32_t psz = tw_load_u32(d + HDR_PAGE_SIZE);
    if (psz != TW_PAGE_SIZE)
        return tw_err_set(err, TWILL_CORRUPT, NULL, "page size %u, this build uses %u", psz,
                          (unsigned)TW_PAGE_SIZE);
    uint32_t count = tw_load_u32(d + HDR_PAGE_COUNT);
    uint32_t head = tw_load_u32(d + HDR_FREE_HEAD);
    uint32_t nfree = tw_load_u32(d + HDR_FREE_COUNT);
    if (count == 0 || head >= count || nfree >= count || (head == 0) != (nfree == 0))
        return tw_err_set(err, TWILL_CORRUPT, NULL, "database header is inconsistent");
    pg->page_count = count;
    pg->free_head = head;
    pg->free_count = nfree;
    if (head != 0) return trunk_get(pg, head, &pg->trunk, err);
    return TWILL_OK;
}

int tw_pager_open(tw_storage *st, size_t cache_pages, tw_pager **out, tw_err *err) {
    tw_pager *pg = calloc(1, sizeof *pg);
    if (!pg) return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory opening the pager");
    pg->st = st;
    pg->cap = cache_pages < MIN_CAPACITY ? MIN_CAPACITY : cache_pages;
    /* The table grows with the frames actually resident, not with the capacity: a big,
     * mostly empty bucket array would cost a cache miss on every lookup. */
    pg->nbuckets = 64;
    pg->buckets = calloc(pg->nbuckets, sizeof *pg->buckets);
    atomic_init(&pg->gen, 0);
    if (!pg->buckets) {
        free(pg);
        return tw_err_set(err, TWILL_NOMEM, NULL, "out of memory opening the pager");
    }
    int locks = 0;
    if (pthread_mutex_init(&pg->mu, NULL) == 0) locks++;
    if (locks == 1 && pthread_cond_init(&pg->loaded, NULL) == 0) locks++;
    if (locks != 2) {
        if (locks > 0) pthread_mutex_destroy(&pg->mu);
        free(pg->buckets);
        free(pg);
        return tw_err_set(err, TWILL_NOMEM, NULL, "cannot initialize pager locks");
    }
    int rc = load_header(pg, err);
    if (rc) {
        tw_pager_close(pg);
        return rc;
    }
    *out = pg;
    return TWILL_OK;
}

void tw_pager_close(tw_pager *pg) {
    if (!pg) return;
    for (size_t i = 0; i < pg->nbuckets; i++) {
        for (tw_frame *f = pg->buckets[i], *nx; f; f = nx) {
            nx = f->hnext;
            frame_free(f);
        }
    }
    free(pg->buckets);
    pthread_cond_destroy(&pg->loaded);
    pthread_mutex_destroy(&pg->mu);
    free(pg);
}
