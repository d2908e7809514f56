/*
 * test_crash_torn_tail — a log whose last frame was torn by a crash loses exactly that
 * commit, and a log damaged before its tail refuses to open.
 *
 * A child process creates file://<tmp>/db, commits K rows one transaction each and
 * _exits without twill_close, as a crash right after the last acknowledgement would:
 * no checkpoint, every commit lives only in the log. The log format (docs/
 * storage-local.md): segment files that start with a 32-byte header whose first 8
 * bytes are "TWLOGSEG", followed by frames [u32 len][u32 crc32c(len ++ payload)]
 * [payload], little endian, one frame per commit batch. The test walks the frames from the start of
 * the newest segment to find where the last frame begins, then, for EVERY byte offset inside that
 * frame, on a fresh copy of the pristine directory:
 *   - truncates the segment there and opens the database: it must open, hold exactly
 *     rows 1..K-1 with their values (the last commit is gone, the rest intact);
 *   - commits a new row and reopens: the new commit must have survived, i.e. recovery
 *     cut the torn bytes off instead of appending after them.
 * Then it flips one byte inside an early frame (frames follow it, so this is damage,
 * not a torn tail): twill_open must fail with TWILL_CORRUPT and SQLSTATE XX001.
 */
#include "twill/engine.h"
#include "util/crc32c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_ROWS 20
#define SEG_MAGIC "TWLOGSEG"
#define SEG_HDR 32
#define FRAME_HDR 8
#define MAX_FRAMES 100000

/* Every check is one case: it passes unless it recorded a failure. */
static int g_failures;
static int g_passed, g_failed, g_failures_at_start;

static void case_begin(void) {
    g_failures_at_start = g_failures;
}

static void case_end(void) {
    if (g_failures > g_failures_at_start)
        g_failed++;
    else
        g_passed++;
}

__attribute__((format(printf, 1, 2))) static void failf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("  FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    g_failures++;
}

/* ---- files ---------------------------------------------------------------------- */

static int mkdir_p(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int rm_rf(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int write_file(const char *path, const unsigned char *data, size_t len, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

/* Copies the directory tree src to dst (which must not exist). */
static int copy_tree(const char *src, const char *dst) {
    struct stat sb;
    if (stat(src, &sb) != 0 || mkdir(dst, sb.st_mode & 0777) != 0) return -1;
    DIR *d = opendir(src);
    if (d == NULL) return -1;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char s[4096], t[4096];
        if (snprintf(s, sizeof s, "%s/%s", src, e->d_name) >= (int)sizeof s ||
            snprintf(t, sizeof t, "%s/%s", dst, e->d_name) >= (int)sizeof t || lstat(s, &sb) != 0) {
            rc = -1;
        } else if (S_ISDIR(sb.st_mode)) {
            rc = copy_tree(s, t);
        } else if (S_ISREG(sb.st_mode)) {
            size_t len = 0;
            unsigned char *data = read_file(s, &len);
            rc = data != NULL ? write_file(t, data, len, sb.st_mode) : -1;
            free(data);
        }
    }
    closedir(d);
    return rc;
}

/* ---- the log --------------------------------------------------------------------- */

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct segment {
    char name[256];
    size_t size;
    size_t nframes;
    size_t *starts; /* byte offset of each whole frame */
    size_t end;     /* end of the last whole frame */
    bool crc_ok;    /* every frame's crc32c matched its payload */
    bool tail_zero; /* every byte after the last whole frame is zero (preallocation) */
} segment;

/* Walks the frames of a segment from its header on; stops at the first frame that does
 * not fit (there should be none in a pristine log). */
static void walk_frames(const unsigned char *data, size_t size, segment *seg) {
    seg->size = size;
    seg->nframes = 0;
    seg->crc_ok = true;
    seg->end = SEG_HDR;
    size_t cap = 0;
    for (size_t off = SEG_HDR; off + FRAME_HDR <= size && seg->nframes < MAX_FRAMES;) {
        uint32_t len = le32(data + off);
        if (len == 0) break; /* preallocated zeros after the last frame */
        if (len > size - off - FRAME_HDR) break;
        /* The checksum covers the length field and the payload. */
        uint32_t crc = tw_crc32c(tw_crc32c(0, data + off, 4), data + off + FRAME_HDR, len);
        if (crc != le32(data + off + 4)) seg->crc_ok = false;
        if (seg->nframes == cap) {
            cap = cap ? cap * 2 : 64;
            size_t *ns = realloc(seg->starts, cap * sizeof *ns);
            if (ns == NULL) break;
            seg->starts = ns;
        }
        seg->starts[seg->nframes++] = off;
        off += FRAME_HDR + len;
        seg->end = off;
    }
    seg->tail_zero = true;
    for (size_t b = seg->end; b < size; b++)
        if (data[b] != 0) seg->tail_zero = false;
}

static int seg_name_cmp(const void *a, const void *b) {
    return strcmp(((const segment *)a)->name, ((const segment *)b)->name);
}

/* Finds every log segment of the database directory (by its magic, so the test does
 * not depend on the file naming) in name order, which is LSN order. */
static segment *find_segments(const char *dbdir, size_t *nseg) {
    DIR *d = opendir(dbdir);
    if (d == NULL) return NULL;
    segment *segs = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dbdir, e->d_name) >= (int)sizeof path) continue;
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        size_t len = 0;
        unsigned char *data = read_file(path, &len);
        if (data == NULL) continue;
        if (len >= SEG_HDR && memcmp(data, SEG_MAGIC, 8) == 0 && strlen(e->d_name) < 256) {
            segment *ns = realloc(segs, (n + 1) * sizeof *ns);
            if (ns != NULL) {
                segs = ns;
                memset(&segs[n], 0, sizeof segs[n]);
                snprintf(segs[n].name, sizeof segs[n].name, "%s", e->d_name);
                walk_frames(data, len, &segs[n]);
                n++;
            }
        }
        free(data);
    }
    closedir(d);
    qsort(segs, n, sizeof *segs, seg_name_cmp);
    *nseg = n;
    return segs;
}

static void free_segments(segment *segs, size_t n) {
    for (size_t i = 0; i < n; i++) free(segs[i].starts);
    free(segs);
}

/* ---- the database ---------------------------------------------------------------- */

static void fill_db(const char *url, int rows) {
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        twill_db *db = NULL;
        twill_session *s = NULL;
        twill_stmt *ins = NULL;
        int rc = twill_open(url, NULL, &db);
        if (rc != TWILL_OK) {
            fprintf(stderr, "child: twill_open: %s: %s\n", twill_errstr(rc), twill_open_errmsg());
            _exit(3);
        }
        if (twill_session_open(db, &s) != TWILL_OK ||
            twill_exec(s, "CREATE TABLE t(id BIGINT PRIMARY KEY, v TEXT)") != TWILL_OK ||
            twill_prepare(s, "INSERT INTO t(id, v) VALUES ($1, $2)", -1, &ins, NULL) != TWILL_OK) {
            fprintf(stderr, "child: setup: %s (SQLSTATE %s)\n", twill_errmsg(s), twill_sqlstate(s));
            _exit(3);
        }
        for (int id = 1; id <= rows; id++) {
            char v[32];
            snprintf(v, sizeof v, "row-%d", id);
            twill_bind_int64(ins, 1, id);
            twill_bind_text(ins, 2, v, -1);
            rc = twill_step(ins);
            if (rc != TWILL_DONE) {
                fprintf(stderr, "child: insert %d: %s (SQLSTATE %s)\n", id, twill_errmsg(s),
                        twill_sqlstate(s));
                _exit(3);
            }
            twill_reset(ins);
        }
        /* Every commit is durable now; leave without a checkpoint, like a crash. */
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("test_crash_torn_tail: could not build the database (child status %d)\n", status);
        exit(1);
    }
}

/* Checks that t holds exactly ids 1..rows with v = 'row-<id>' (a row inserted by this
 * test after recovery, `extra_id`, may be there too with v = 'again'). */
static bool check_rows(twill_session *s, int rows, int extra_id, const char *what) {
    twill_stmt *st = NULL;
    if (twill_prepare(s, "SELECT id, v FROM t", -1, &st, NULL) != TWILL_OK) {
        failf("%s: SELECT: %s (SQLSTATE %s)", what, twill_errmsg(s), twill_sqlstate(s));
        return false;
    }
    int expect = rows + (extra_id > 0 ? 1 : 0);
    char *seen = calloc((size_t)rows + 2, 1);
    bool extra_seen = false, ok = seen != NULL;
    int n = 0, rc;
    while (ok && (rc = twill_step(st)) == TWILL_ROW) {
        int64_t id = twill_column_int64(st, 0);
        const char *v = twill_column_text(st, 1);
        char want[32];
        n++;
        if (extra_id > 0 && id == extra_id) {
            if (extra_seen || v == NULL || strcmp(v, "again") != 0) {
                failf("%s: row %" PRId64 " is wrong or repeated (v '%s')", what, id,
                      v ? v : "NULL");
                ok = false;
            }
            extra_seen = true;
            continue;
        }
        snprintf(want, sizeof want, "row-%" PRId64, id);
        if (id < 1 || id > rows || seen[id] || v == NULL || strcmp(v, want) != 0) {
            failf("%s: unexpected row id=%" PRId64 " v='%s' (expected ids 1..%d%s)", what, id,
                  v ? v : "NULL", rows, extra_id > 0 ? " and the new row" : "");
            ok = false;
            break;
        }
        seen[id] = 1;
    }
    if (ok && rc != TWILL_DONE) {
        failf("%s: scan failed: %s (SQLSTATE %s)", what, twill_errmsg(s), twill_sqlstate(s));
        ok = false;
    }
    if (ok && (n != expect || (extra_id > 0 && !extra_seen))) {
        failf("%s: %d rows, expected %d", what, n, expect);
        ok = false;
    }
    free(seen);
    twill_finalize(st);
    return ok;
}

/* Opens the database at url and checks it; optionally commits row `new_id` first. */
static bool open_and_check(const char *url, int rows, int new_id, int extra_id, const char *what) {
    twill_db *db = NULL;
    twill_session *s = NULL;
    int rc = twill_open(url, NULL, &db);
    if (rc != TWILL_OK) {
        failf("%s: twill_open returned %s: %s (SQLSTATE %s)", what, twill_errstr(rc),
              twill_open_errmsg(), twill_open_sqlstate());
        return false;
    }
    bool ok = twill_session_open(db, &s) == TWILL_OK;
    if (!ok) failf("%s: twill_session_open failed", what);
    if (ok) ok = check_rows(s, rows, extra_id, what);
    if (ok && new_id > 0) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t(id, v) VALUES (%d, 'again')", new_id);
        rc = twill_exec(s, sql);
        if (rc != TWILL_OK) {
            failf("%s: a new commit after recovery failed: %s (SQLSTATE %s)", what, twill_errmsg(s),
                  twill_sqlstate(s));
            ok = false;
        }
    }
    twill_session_close(s);
    rc = twill_close(db);
    if (rc != TWILL_OK) {
        failf("%s: twill_close returned %s", what, twill_errstr(rc));
        ok = false;
    }
    return ok;
}

static bool expect_corrupt(const char *url, const char *what) {
    twill_db *db = NULL;
    int rc = twill_open(url, NULL, &db);
    if (rc == TWILL_CORRUPT && strcmp(twill_open_sqlstate(), "XX001") == 0) return true;
    if (rc == TWILL_OK) {
        failf("%s: twill_open succeeded on a damaged log", what);
        twill_close(db);
    } else {
        failf("%s: twill_open returned %s with SQLSTATE %s (%s), expected TWILL_CORRUPT / XX001",
              what, twill_errstr(rc), twill_open_sqlstate(), twill_open_errmsg());
    }
    return false;
}

/* ---- main --------------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: test_crash_torn_tail [--rows K] [--keep]\n"
            "\n"
            "Commits K rows (default %d), one per transaction, then for every byte offset\n"
            "inside the log's last frame truncates a copy of the database there and checks\n"
            "that it opens with exactly K-1 rows and accepts a new commit; then flips a byte\n"
            "in an early frame and checks that the open fails with TWILL_CORRUPT / XX001.\n"
            "\n"
            "  --rows K  rows to commit (at least 3)\n"
            "  --keep    keep the temporary directory even when every check passed\n"
            "  --help    show this help\n"
            "\n"
            "The temporary directory is created under $TWILL_TEST_TMP (else $TMPDIR, else\n"
            "/tmp) and kept when a check fails.\n",
            DEFAULT_ROWS);
}

int main(int argc, char **argv) {
    int rows = DEFAULT_ROWS;
    bool keep = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 3 || v > 1000000) {
                fprintf(stderr, "test_crash_torn_tail: --rows needs an integer in 3..1000000\n");
                return 2;
            }
            rows = (int)v;
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = true;
        } else {
            fprintf(stderr, "test_crash_torn_tail: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    const char *base = getenv("TWILL_TEST_TMP");
    if (base == NULL || *base == '\0') base = getenv("TMPDIR");
    if (base == NULL || *base == '\0') base = "/tmp";
    char dir[3000];
    if (mkdir_p(base) != 0 ||
        snprintf(dir, sizeof dir, "%s/crash_torn_tail.XXXXXX", base) >= (int)sizeof dir ||
        mkdtemp(dir) == NULL) {
        fprintf(stderr, "test_crash_torn_tail: cannot create a temp dir under %s: %s\n", base,
                strerror(errno));
        return 2;
    }
    char pristine[3100], work[3100], url[3200], seg_path[3400];
    snprintf(pristine, sizeof pristine, "%s/pristine", dir);
    snprintf(work, sizeof work, "%s/work", dir);
    snprintf(url, sizeof url, "file://%s", work);
    printf("test_crash_torn_tail: %d rows in %s\n", rows, dir);

    char pristine_url[3200];
    snprintf(pristine_url, sizeof pristine_url, "file://%s", pristine);
    fill_db(pristine_url, rows);

    size_t nseg = 0;
    segment *segs = find_segments(pristine, &nseg);
    const segment *last = NULL;
    for (size_t i = 0; i < nseg; i++)
        if (segs[i].nframes > 0) last = &segs[i];
    if (last == NULL) {
        printf("test_crash_torn_tail: no log segment with frames (magic %s) in %s\n", SEG_MAGIC,
               pristine);
        printf("test_crash_torn_tail: 0 passed, 1 failed (kept %s)\n", dir);
        free_segments(segs, nseg);
        return 1;
    }
    size_t total_frames = 0;
    case_begin();
    for (size_t i = 0; i < nseg; i++) {
        total_frames += segs[i].nframes;
        printf("  segment %s: %zu bytes, %zu frames%s\n", segs[i].name, segs[i].size,
               segs[i].nframes, segs[i].crc_ok ? "" : " (some crc32c mismatch)");
        if (!segs[i].crc_ok)
            failf("pristine segment %s has frames whose crc32c does not match their payload",
                  segs[i].name);
        /* Only the last segment may carry preallocated space, and only zeros. */
        if (segs[i].end != segs[i].size && (i + 1 < nseg || !segs[i].tail_zero))
            failf("pristine segment %s has %zu unexpected bytes after its last whole frame",
                  segs[i].name, segs[i].size - segs[i].end);
    }
    /* One frame per commit, at least the K inserts (plus the CREATE TABLE). */
    if (total_frames < (size_t)rows)
        failf("only %zu frames for %d committed rows: one commit per frame expected", total_frames,
              rows);
    case_end();

    size_t frame_start = last->starts[last->nframes - 1], frame_end = last->end;
    printf("  last frame: bytes [%zu, %zu) of %s\n", frame_start, frame_end, last->name);

    /* The untouched copy has all K rows. */
    if (rm_rf(work) != 0 || copy_tree(pristine, work) != 0) {
        printf("test_crash_torn_tail: cannot copy %s: %s\n", pristine, strerror(errno));
        return 2;
    }
    case_begin();
    open_and_check(url, rows, 0, 0, "pristine copy");
    case_end();

    snprintf(seg_path, sizeof seg_path, "%s/%s", work, last->name);
    int torn_ok = 0, torn_total = 0;
    for (size_t off = frame_start; off < frame_end; off++) {
        char what[128];
        snprintf(what, sizeof what, "log cut at byte %zu (frame + %zu)", off, off - frame_start);
        torn_total++;
        case_begin();
        if (rm_rf(work) != 0 || copy_tree(pristine, work) != 0) {
            printf("test_crash_torn_tail: cannot copy %s: %s\n", pristine, strerror(errno));
            return 2;
        }
        bool ok = truncate(seg_path, (off_t)off) == 0;
        if (!ok) failf("%s: truncate: %s", what, strerror(errno));
        if (ok) ok = open_and_check(url, rows - 1, rows + 1, 0, what);
        if (ok) {
            char again[160];
            snprintf(again, sizeof again, "%s, reopened after a new commit", what);
            ok = open_and_check(url, rows - 1, 0, rows + 1, again);
        }
        if (ok) torn_ok++;
        case_end();
    }
    printf("  torn tail: %d of %d cut points recovered correctly\n", torn_ok, torn_total);

    /* Damage before the tail, in a payload, a checksum and a length field. A damaged
     * length cannot be trusted to find the next frame, but valid frames still follow,
     * so this is not a torn tail either. */
    const segment *first = NULL;
    for (size_t i = 0; i < nseg && first == NULL; i++)
        if (segs[i].nframes >= 3) first = &segs[i];
    if (first == NULL) {
        case_begin();
        failf("no segment with 3 frames to damage");
        case_end();
    } else {
        struct {
            size_t frame;
            size_t at; /* offset inside the frame */
            const char *what;
        } flips[] = {
            {1, FRAME_HDR + 1, "flipped a payload byte of frame 1"},
            {0, 5, "flipped a crc32c byte of frame 0"},
            {1, 0, "flipped a length byte of frame 1"},
        };
        for (size_t f = 0; f < sizeof flips / sizeof flips[0]; f++) {
            size_t fr = flips[f].frame;
            size_t frame_len =
                (fr + 1 < first->nframes ? first->starts[fr + 1] : first->end) - first->starts[fr];
            if (flips[f].at >= frame_len) continue;
            case_begin();
            if (rm_rf(work) != 0 || copy_tree(pristine, work) != 0) {
                printf("test_crash_torn_tail: cannot copy %s: %s\n", pristine, strerror(errno));
                return 2;
            }
            snprintf(seg_path, sizeof seg_path, "%s/%s", work, first->name);
            size_t len = 0;
            unsigned char *data = read_file(seg_path, &len);
            size_t at = first->starts[fr] + flips[f].at;
            if (data == NULL || at >= len) {
                failf("%s: cannot read %s", flips[f].what, seg_path);
                free(data);
                case_end();
                continue;
            }
            data[at] ^= 0x5a;
            if (write_file(seg_path, data, len, 0644) != 0)
                failf("%s: cannot rewrite %s", flips[f].what, seg_path);
            else if (expect_corrupt(url, flips[f].what))
                printf("  %s: open refused with TWILL_CORRUPT / XX001\n", flips[f].what);
            free(data);
            case_end();
        }
    }
    free_segments(segs, nseg);

    printf("test_crash_torn_tail: %d passed, %d failed\n", g_passed, g_failed);
    if (g_failed || keep)
        printf("test_crash_torn_tail: kept %s\n", dir);
    else if (rm_rf(dir) != 0)
        fprintf(stderr, "test_crash_torn_tail: could not remove %s: %s\n", dir, strerror(errno));
    return g_failed ? 1 : 0;
}
