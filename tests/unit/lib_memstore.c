#include "lib_memstore.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_version {
    uint64_t lsn;
    uint8_t *img;
} mem_version;

typedef struct mem_page {
    mem_version *v; /* ascending lsn: checkpoints publish in LSN order */
    size_t n, cap;
} mem_page;

typedef struct mem_batch {
    uint64_t lsn;
    size_t n;
    uint8_t **recs;
    size_t *lens;
} mem_batch;

typedef struct memstore {
    tw_storage base; /* first: the seam casts between the two */
    pthread_mutex_t mu;
    uint64_t epoch;
    int leased;
    uint64_t durable_lsn, ckpt_lsn;

    mem_page *pages;
    size_t npages;

    /* The checkpoint being staged. stage_of[pgno] indexes stage[] (or SIZE_MAX) so a
     * later image of the same page replaces the earlier one in O(1). */
    uint64_t stage_lsn;
    struct {
        uint32_t pgno;
        uint8_t *img;
    } * stage;
    size_t nstage, stage_cap;
    size_t *stage_of;
    size_t stage_of_len;

    mem_batch *log;
    size_t nlog, log_cap;

    int no_history;
    long fault[TW_MEMSTORE_FAULT_COUNT];
    tw_memstore_stats stats;
} memstore;

static memstore *ms(tw_storage *st) {
    return (memstore *)st;
}

/* Returns nonzero when an armed fault fires for this call (caller holds mu). */
static int fault_fires(memstore *m, tw_memstore_fault f) {
    if (m->fault[f] < 0) return 0;
    if (m->fault[f] == 0) {
        m->fault[f] = -1;
        return 1;
    }
    m->fault[f]--;
    return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void stage_clear(memstore *m) {
    for (size_t i = 0; i < m->nstage; i++) {
        m->stage_of[m->stage[i].pgno] = SIZE_MAX;
        free(m->stage[i].img);
    }
    m->nstage = 0;
    m->stage_lsn = 0;
}

static int ms_lease_acquire(tw_storage *st, uint64_t *epoch_out, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    m->epoch++;
    m->leased = 1;
    *epoch_out = m->epoch;
    pthread_mutex_unlock(&m->mu);
    return TWILL_OK;
}

static int ms_lease_renew(tw_storage *st, uint64_t epoch, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    int ok = m->leased && epoch == m->epoch;
    pthread_mutex_unlock(&m->mu);
    return ok ? TWILL_OK : tw_err_set(err, TWILL_FENCED, NULL, "memstore: lease lost");
}

static int ms_lease_release(tw_storage *st, uint64_t epoch, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    if (epoch == m->epoch) m->leased = 0;
    pthread_mutex_unlock(&m->mu);
    return TWILL_OK;
}

static int ms_log_append(tw_storage *st, uint64_t epoch, const tw_iov *recs, size_t n,
                         uint64_t *lsn_out, tw_err *err) {
    memstore *m = ms(st);
    if (n == 0) return tw_err_set(err, TWILL_MISUSE, NULL, "memstore: empty log batch");
    pthread_mutex_lock(&m->mu);
    int rc = TWILL_OK;
    if (!m->leased || epoch != m->epoch) {
        rc = tw_err_set(err, TWILL_FENCED, NULL, "memstore: append from stale epoch %llu",
                        (unsigned long long)epoch);
        goto out;
    }
    if (fault_fires(m, TW_MEMSTORE_FAIL_LOG_APPEND)) {
        rc = tw_err_set(err, TWILL_IOERR, NULL, "memstore: injected log_append failure");
        goto out;
    }
    if (grow((void **)&m->log, &m->log_cap, m->nlog + 1, sizeof *m->log)) goto nomem;
    mem_batch b = {.lsn = m->durable_lsn + 1, .n = n};
    b.recs = calloc(n, sizeof *b.recs);
    b.lens = calloc(n, sizeof *b.lens);
    if (!b.recs || !b.lens) goto nomem_b;
    for (size_t i = 0; i < n; i++) {
        b.recs[i] = malloc(recs[i].len ? recs[i].len : 1);
        if (!b.recs[i]) goto nomem_b;
        if (recs[i].len) memcpy(b.recs[i], recs[i].data, recs[i].len);
        b.lens[i] = recs[i].len;
    }
    m->log[m->nlog++] = b;
    m->durable_lsn = b.lsn;
    *lsn_out = b.lsn;
    goto out;
nomem_b:
    if (b.recs)
        for (size_t i = 0; i < n; i++) free(b.recs[i]);
    free(b.recs);
    free(b.lens);
nomem:
    rc = tw_err_set(err, TWILL_NOMEM, NULL, "memstore: out of memory");
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int ms_log_scan(tw_storage *st, uint64_t from, uint64_t to, tw_log_visit_fn fn, void *arg,
                       tw_err *err) {
    memstore *m = ms(st);
    /* The visitor may call back into the store, so walk without holding the lock; tests
     * never append concurrently with a scan. */
    for (size_t i = 0; i < m->nlog; i++) {
        mem_batch *b = &m->log[i];
        if (b->lsn <= from || b->lsn > to) continue;
        for (size_t r = 0; r < b->n; r++) {
            int rc = fn(arg, b->lsn, (uint32_t)r, b->recs[r], b->lens[r]);
            if (rc) return rc;
        }
    }
    return TWILL_OK;
}

static void batch_free(mem_batch *b) {
    for (size_t r = 0; r < b->n; r++) free(b->recs[r]);
    free(b->recs);
    free(b->lens);
}

static int ms_log_truncate(tw_storage *st, uint64_t below, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    size_t keep = 0;
    for (size_t i = 0; i < m->nlog; i++) {
        if (m->log[i].lsn <= below)
            batch_free(&m->log[i]);
        else
            m->log[keep++] = m->log[i];
    }
    m->nlog = keep;
    pthread_mutex_unlock(&m->mu);
    return TWILL_OK;
}

static int ms_page_read(tw_storage *st, uint32_t pgno, uint64_t as_of, void *buf, int *found_out,
                        uint64_t *version_out, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    m->stats.page_reads++;
    if (fault_fires(m, TW_MEMSTORE_FAIL_PAGE_READ)) {
        pthread_mutex_unlock(&m->mu);
        return tw_err_set(err, TWILL_IOERR, NULL, "memstore: injected page_read failure (page %u)",
                          pgno);
    }
    const mem_version *hit = NULL;
    if (pgno < m->npages) {
        const mem_page *p = &m->pages[pgno];
        for (size_t i = p->n; i-- > 0;)
            if (p->v[i].lsn <= as_of) {
                hit = &p->v[i];
                break;
            }
    }
    if (hit) {
        memcpy(buf, hit->img, TW_PAGE_SIZE);
        if (version_out) *version_out = hit->lsn;
    } else {
        memset(buf, 0, TW_PAGE_SIZE);
        if (version_out) *version_out = 0;
    }
    *found_out = hit != NULL;
    pthread_mutex_unlock(&m->mu);
    return TWILL_OK;
}

static int ms_ckpt_write(tw_storage *st, uint64_t lsn, const tw_page_image *pages, size_t n,
                         tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    int rc = TWILL_OK;
    if (lsn <= m->ckpt_lsn || lsn > m->durable_lsn) {
        rc = tw_err_set(err, TWILL_MISUSE, NULL,
                        "memstore: checkpoint lsn %llu outside (%llu, %llu]",
                        (unsigned long long)lsn, (unsigned long long)m->ckpt_lsn,
                        (unsigned long long)m->durable_lsn);
        goto out;
    }
    if (fault_fires(m, TW_MEMSTORE_FAIL_CKPT_WRITE)) {
        rc = tw_err_set(err, TWILL_IOERR, NULL, "memstore: injected ckpt_write failure");
        goto out;
    }
    /* Staged images of an abandoned checkpoint at another LSN never get published. */
    if (m->stage_lsn != lsn) {
        stage_clear(m);
        m->stage_lsn = lsn;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t pgno = pages[i].pgno;
        if (pgno >= m->stage_of_len) {
            size_t old = m->stage_of_len;
            if (grow((void **)&m->stage_of, &m->stage_of_len, (size_t)pgno + 1,
                     sizeof *m->stage_of))
                goto nomem;
            for (size_t j = old; j < m->stage_of_len; j++) m->stage_of[j] = SIZE_MAX;
        }
        size_t at = m->stage_of[pgno];
        if (at == SIZE_MAX) {
            if (grow((void **)&m->stage, &m->stage_cap, m->nstage + 1, sizeof *m->stage))
                goto nomem;
            uint8_t *img = malloc(TW_PAGE_SIZE);
            if (!img) goto nomem;
            at = m->nstage++;
            m->stage[at].pgno = pgno;
            m->stage[at].img = img;
            m->stage_of[pgno] = at;
        }
        memcpy(m->stage[at].img, pages[i].data, TW_PAGE_SIZE);
        m->stats.page_writes++;
    }
    goto out;
nomem:
    rc = tw_err_set(err, TWILL_NOMEM, NULL, "memstore: out of memory");
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int ms_ckpt_finish(tw_storage *st, uint64_t lsn, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    int rc = TWILL_OK;
    if (lsn <= m->ckpt_lsn || lsn > m->durable_lsn) {
        rc = tw_err_set(err, TWILL_MISUSE, NULL,
                        "memstore: checkpoint lsn %llu outside (%llu, %llu]",
                        (unsigned long long)lsn, (unsigned long long)m->ckpt_lsn,
                        (unsigned long long)m->durable_lsn);
        goto out;
    }
    if (fault_fires(m, TW_MEMSTORE_FAIL_CKPT_FINISH)) {
        rc = tw_err_set(err, TWILL_IOERR, NULL, "memstore: injected ckpt_finish failure");
        goto out;
    }
    if (m->stage_lsn != lsn) stage_clear(m);
    /* Reserve everything first so that publishing cannot fail half-way. */
    for (size_t i = 0; i < m->nstage; i++) {
        uint32_t pgno = m->stage[i].pgno;
        if (pgno >= m->npages) {
            size_t cap = m->npages, old = m->npages;
            if (grow((void **)&m->pages, &cap, (size_t)pgno + 1, sizeof *m->pages)) goto nomem;
            memset(m->pages + old, 0, (cap - old) * sizeof *m->pages);
            m->npages = cap;
        }
        mem_page *p = &m->pages[pgno];
        if (grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v)) goto nomem;
    }
    for (size_t i = 0; i < m->nstage; i++) {
        mem_page *p = &m->pages[m->stage[i].pgno];
        if (m->no_history) {
            for (size_t j = 0; j < p->n; j++) free(p->v[j].img);
            m->stats.pages_stored -= p->n;
            p->n = 0;
        }
        p->v[p->n].lsn = lsn;
        p->v[p->n].img = m->stage[i].img;
        p->n++;
        m->stage[i].img = NULL;
        m->stats.pages_stored++;
    }
    stage_clear(m);
    m->ckpt_lsn = lsn;
    m->stats.ckpts++;
    goto out;
nomem:
    rc = tw_err_set(err, TWILL_NOMEM, NULL, "memstore: out of memory");
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int ms_branch_create(tw_storage *st, const char *name, uint64_t at_lsn, tw_err *err) {
    return tw_err_set(err, TWILL_NOTSUP, NULL, "memstore: branches are not supported");
}

static int ms_branch_open(tw_storage *st, const char *name, tw_storage **out, tw_err *err) {
    return tw_err_set(err, TWILL_NOTSUP, NULL, "memstore: branches are not supported");
}

static int ms_branch_list(tw_storage *st, tw_branch_visit_fn fn, void *arg, tw_err *err) {
    return TWILL_OK;
}

static int ms_branch_delete(tw_storage *st, const char *name, tw_err *err) {
    return tw_err_set(err, TWILL_NOTSUP, NULL, "memstore: branches are not supported");
}

static int ms_meta(tw_storage *st, tw_storage_meta *out, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    out->durable_lsn = m->durable_lsn;
    out->checkpoint_lsn = m->ckpt_lsn;
    out->epoch = m->epoch;
    pthread_mutex_unlock(&m->mu);
    return TWILL_OK;
}

static void ms_close(tw_storage *st) {
    memstore *m = ms(st);
    if (!m) return;
    stage_clear(m);
    free(m->stage);
    free(m->stage_of);
    for (size_t i = 0; i < m->npages; i++) {
        for (size_t j = 0; j < m->pages[i].n; j++) free(m->pages[i].v[j].img);
        free(m->pages[i].v);
    }
    free(m->pages);
    for (size_t i = 0; i < m->nlog; i++) batch_free(&m->log[i]);
    free(m->log);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const tw_storage_ops memstore_ops = {
    .version = TW_STORAGE_VERSION,
    .name = "mem",
    .lease_acquire = ms_lease_acquire,
    .lease_renew = ms_lease_renew,
    .lease_release = ms_lease_release,
    .log_append = ms_log_append,
    .log_scan = ms_log_scan,
    .log_truncate = ms_log_truncate,
    .page_read = ms_page_read,
    .ckpt_write = ms_ckpt_write,
    .ckpt_finish = ms_ckpt_finish,
    .branch_create = ms_branch_create,
    .branch_open = ms_branch_open,
    .branch_list = ms_branch_list,
    .branch_delete = ms_branch_delete,
    .meta = ms_meta,
    .close = ms_close,
};

int tw_memstore_open(tw_storage **out, tw_err *err) {
    memstore *m = calloc(1, sizeof *m);
    if (!m) return tw_err_set(err, TWILL_NOMEM, NULL, "memstore: out of memory");
    if (pthread_mutex_init(&m->mu, NULL)) {
        free(m);
        return tw_err_set(err, TWILL_NOMEM, NULL, "memstore: mutex init failed");
    }
    m->base.ops = &memstore_ops;
    for (int i = 0; i < TW_MEMSTORE_FAULT_COUNT; i++) m->fault[i] = -1;
    *out = &m->base;
    return TWILL_OK;
}

void tw_memstore_fail(tw_storage *st, tw_memstore_fault f, long skip) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    m->fault[f] = skip < 0 ? -1 : skip;
    pthread_mutex_unlock(&m->mu);
}

void tw_memstore_keep_history(tw_storage *st, int on) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    m->no_history = !on;
    pthread_mutex_unlock(&m->mu);
}

void tw_memstore_crash(tw_storage *st) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    stage_clear(m);
    pthread_mutex_unlock(&m->mu);
}

int tw_memstore_next_lsn(tw_storage *st, uint64_t *lsn_out, tw_err *err) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    int leased = m->leased;
    uint64_t epoch = m->epoch;
    pthread_mutex_unlock(&m->mu);
    if (!leased) {
        int rc = st->ops->lease_acquire(st, &epoch, err);
        if (rc) return rc;
    }
    static const char rec[] = "tick";
    tw_iov iov = {rec, sizeof rec};
    return st->ops->log_append(st, epoch, &iov, 1, lsn_out, err);
}

void tw_memstore_get_stats(tw_storage *st, tw_memstore_stats *out) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    *out = m->stats;
    pthread_mutex_unlock(&m->mu);
}

size_t tw_memstore_page_versions(tw_storage *st, uint32_t pgno) {
    memstore *m = ms(st);
    pthread_mutex_lock(&m->mu);
    size_t n = pgno < m->npages ? m->pages[pgno].n : 0;
    pthread_mutex_unlock(&m->mu);
    return n;
}
