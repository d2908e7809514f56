/*
 * object_cache.c — the local on-disk cache of layer ranges. See object_cache.h.
 */
#include "storage/object/object_cache.h"

#include "util/crc32c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "TWCACHE1"
#define HDR 24
#define NAME_LEN 16
#define MAX_ENTRY (64u << 20) /* larger files are not ours */

typedef struct slot {
    uint64_t h;    /* 0: empty (a real hash of 0 is stored as 1) */
    uint64_t size; /* bytes on disk */
    uint64_t tick; /* last use */
} slot;

struct tw_ocache {
    char *dir;
    uint64_t max_bytes;
    pthread_mutex_t mu;
    slot *tab; /* open addressing, linear probing, power-of-two capacity */
    size_t cap, n;
    uint64_t bytes, tick;
    _Atomic uint64_t hits, misses, damaged, stores, evictions, tmpseq;
};

static uint64_t key_hash(const char *key) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *s = key; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h ? h : 1;
}

static void file_name(const tw_ocache *c, uint64_t h, char *out, size_t cap) {
    snprintf(out, cap, "%s/%016llx", c->dir, (unsigned long long)h);
}

/* ---- the index (caller holds mu) ------------------------------------------------------- */

static slot *find(tw_ocache *c, uint64_t h) {
    if (!c->cap) return NULL;
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        if (c->tab[i].h == h) return &c->tab[i];
        if (!c->tab[i].h) return NULL;
    }
}

static int grow(tw_ocache *c) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    slot *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->tab[i].h) continue;
        size_t j = c->tab[i].h & (cap - 1);
        while (t[j].h) j = (j + 1) & (cap - 1);
        t[j] = c->tab[i];
    }
    free(c->tab);
    c->tab = t, c->cap = cap;
    return 0;
}

/* Adds or updates h. */
static void upsert(tw_ocache *c, uint64_t h, uint64_t size, uint64_t tick) {
    slot *s = find(c, h);
    if (s) {
        c->bytes = c->bytes - s->size + size;
        s->size = size, s->tick = tick;
        return;
    }
    if ((c->n + 1) * 4 > c->cap * 3 && grow(c)) return; /* out of memory: just not tracked */
    size_t j = h & (c->cap - 1);
    while (c->tab[j].h) j = (j + 1) & (c->cap - 1);
    c->tab[j] = (slot){h, size, tick};
    c->n++;
    c->bytes += size;
}

/* Removes h (backward-shift deletion keeps probe chains intact). */
static void erase(tw_ocache *c, uint64_t h) {
    slot *s = find(c, h);
    if (!s) return;
    c->bytes -= s->size;
    c->n--;
    size_t i = (size_t)(s - c->tab);
    for (size_t j = (i + 1) & (c->cap - 1); c->tab[j].h; j = (j + 1) & (c->cap - 1)) {
        size_t home = c->tab[j].h & (c->cap - 1);
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            c->tab[i] = c->tab[j];
            i = j;
        }
    }
    c->tab[i].h = 0;
}

static int cmp_tick(const void *a, const void *b) {
    const slot *x = a, *y = b;
    return x->tick < y->tick ? -1 : x->tick > y->tick;
}

/* Deletes least recently used entries until the cache is at 90% of its bound. */
static void evict(tw_ocache *c) {
    if (c->bytes <= c->max_bytes) return;
    slot *all = malloc(c->n * sizeof *all);
    if (!all) return;
    size_t k = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->tab[i].h) all[k++] = c->tab[i];
    qsort(all, k, sizeof *all, cmp_tick);
    uint64_t target = c->max_bytes / 10 * 9;
    char path[4200];
    for (size_t i = 0; i < k && c->bytes > target; i++) {
        file_name(c, all[i].h, path, sizeof path);
        unlink(path);
        erase(c, all[i].h);
        atomic_fetch_add(&c->evictions, 1);
    }
    free(all);
}

/* ---- open / close --------------------------------------------------------------------------- */

static int mkdirs(const char *dir) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

static int is_entry_name(const char *n) {
    for (int i = 0; i < NAME_LEN; i++)
        if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f'))) return 0;
    return 1;
}

tw_ocache *tw_ocache_open(const char *dir, uint64_t max_bytes) {
    if (!dir || !*dir || !max_bytes || mkdirs(dir)) return NULL;
    /* a directory someone else owns (a shared /tmp) is not ours to read pages from or
     * to write them to: run without a cache */
    struct stat ds;
    if (lstat(dir, &ds) || !S_ISDIR(ds.st_mode) || ds.st_uid != geteuid()) return NULL;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    tw_ocache *c = calloc(1, sizeof *c);
    if (!c || !(c->dir = strdup(dir))) {
        free(c);
        closedir(d);
        return NULL;
    }
    c->max_bytes = max_bytes;
    pthread_mutex_init(&c->mu, NULL);
    c->tick = (uint64_t)time(NULL) << 20;
    struct dirent *e;
    char path[4200];
    time_t now = time(NULL);
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < NAME_LEN || !is_entry_name(e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode)) continue;
        if (nl > NAME_LEN) { /* a temporary file a crashed writer left behind */
            if (!strncmp(e->d_name + NAME_LEN, ".tmp", 4) && now - st.st_mtime > 60) unlink(path);
            continue;
        }
        uint64_t h = strtoull(e->d_name, NULL, 16);
        upsert(c, h ? h : 1, (uint64_t)st.st_size, (uint64_t)st.st_mtime << 20);
    }
    closedir(d);
    evict(c);
    return c;
}

void tw_ocache_close(tw_ocache *c) {
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    free(c->tab);
    free(c->dir);
    free(c);
}

const char *tw_ocache_dir(const tw_ocache *c) {
    return c ? c->dir : "";
}

void tw_ocache_get_stats(tw_ocache *c, tw_ocache_stats *o) {
    memset(o, 0, sizeof *o);
    if (!c) return;
    o->hits = atomic_load(&c->hits), o->misses = atomic_load(&c->misses);
    o->damaged = atomic_load(&c->damaged), o->stores = atomic_load(&c->stores);
    o->evictions = atomic_load(&c->evictions);
    pthread_mutex_lock(&c->mu);
    o->bytes = c->bytes, o->files = c->n, o->max_bytes = c->max_bytes;
    pthread_mutex_unlock(&c->mu);
}

/* ---- get / put / drop ----------------------------------------------------------------------- */

static void forget(tw_ocache *c, uint64_t h, const char *path) {
    unlink(path);
    pthread_mutex_lock(&c->mu);
    erase(c, h);
    pthread_mutex_unlock(&c->mu);
}

int tw_ocache_get(tw_ocache *c, const char *key, tw_buf *out) {
    if (!c) return 0;
    uint64_t h = key_hash(key);
    char path[4200];
    file_name(c, h, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) { /* wiped behind our back */
            pthread_mutex_lock(&c->mu);
            erase(c, h);
            pthread_mutex_unlock(&c->mu);
        }
        atomic_fetch_add(&c->misses, 1);
        return 0;
    }
    struct stat st;
    size_t klen = strlen(key);
    int ok = !fstat(fd, &st) && st.st_size >= (off_t)(HDR + klen) && st.st_size <= MAX_ENTRY;
    size_t size = ok ? (size_t)st.st_size : 0;
    uint8_t *p = ok ? malloc(size) : NULL;
    size_t got = 0;
    while (p && got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    ok = p && got == size && !memcmp(p, MAGIC, 8) && tw_load_u32(p + 8) == klen &&
         HDR + klen + (size_t)tw_load_u32(p + 12) == size && !memcmp(p + HDR, key, klen) &&
         tw_crc32c(0, p + HDR, size - HDR) == tw_load_u32(p + 16);
    if (ok) ok = !tw_buf_set(out, p + HDR + klen, size - HDR - klen);
    free(p);
    if (!ok) {
        /* damaged, truncated, or another key with the same hash: gone, and a miss */
        if (p && got == size) atomic_fetch_add(&c->damaged, 1);
        forget(c, h, path);
        atomic_fetch_add(&c->misses, 1);
        return 0;
    }
    pthread_mutex_lock(&c->mu);
    upsert(c, h, size, ++c->tick); /* another process may have written it */
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add(&c->hits, 1);
    return 1;
}

void tw_ocache_put(tw_ocache *c, const char *key, const void *data, size_t len) {
    if (!c) return;
    size_t klen = strlen(key);
    uint64_t size = HDR + klen + len;
    if (size > MAX_ENTRY || size > c->max_bytes / 4) return;
    uint64_t h = key_hash(key);
    char path[4200], tmp[4300];
    file_name(c, h, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld.%llu", path, (long)getpid(),
             (unsigned long long)atomic_fetch_add(&c->tmpseq, 1));
    uint8_t hdr[HDR];
    memcpy(hdr, MAGIC, 8);
    tw_store_u32(hdr + 8, (uint32_t)klen);
    tw_store_u32(hdr + 12, (uint32_t)len);
    tw_store_u32(hdr + 16, tw_crc32c(tw_crc32c(0, key, klen), data, len));
    tw_store_u32(hdr + 20, 0);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ENOENT && !mkdirs(c->dir)) /* the directory was wiped: recreate it */
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return;
    }
    struct iovec iov[3] = {{hdr, HDR}, {(void *)key, klen}, {(void *)data, len}};
    ssize_t w = writev(fd, iov, 3);
    int ok = w == (ssize_t)size;
    ok = !close(fd) && ok;
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return;
    }
    atomic_fetch_add(&c->stores, 1);
    pthread_mutex_lock(&c->mu);
    upsert(c, h, size, ++c->tick);
    evict(c);
    pthread_mutex_unlock(&c->mu);
}

void tw_ocache_drop(tw_ocache *c, const char *key) {
    if (!c) return;
    uint64_t h = key_hash(key);
    char path[4200];
    file_name(c, h, path, sizeof path);
    atomic_fetch_add(&c->damaged, 1);
    forget(c, h, path);
}
