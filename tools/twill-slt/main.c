/*
 * twill-slt: runs sqllogictest scripts against Twill DB through its public C ABI.
 *
 * Each script runs in a child process on a fresh database in a temporary directory, so
 * that an engine crash or hang is reported against the script (and the line) that
 * caused it instead of ending the run. See --help and tests/slt/README.md.
 */
#include "slt.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: twill-slt [OPTIONS] PATH...\n"
    "Runs sqllogictest scripts against Twill DB. A PATH is a script, or a directory\n"
    "searched recursively for *.test files (run in name order). Each script runs in its\n"
    "own child process on a fresh temporary database (file://, under $TMPDIR or /tmp,\n"
    "removed afterwards). The engine is \"" SLT_ENGINE "\" for skipif/onlyif.\n"
    "\n"
    "For every script one line is printed:\n"
    "  FILE: N passed, M failed, K skipped\n"
    "where N, M and K count statement and query records. A crash of the engine (the child\n"
    "dying from a signal or exiting abnormally) or a timeout is reported on its own line\n"
    "and makes the run fail.\n"
    "\n"
    "Options:\n"
    "  -h, --help               show this help and exit\n"
    "  -v, --verbose            describe every failing record: file:line, what went wrong\n"
    "                           (SQLSTATE and message, or expected vs actual results), SQL\n"
    "      --max-failures N     stop after N failed records in total (default: no limit)\n"
    "      --timeout SECONDS    kill a script that runs longer (default 600; 0: no limit)\n"
    "      --summary            end with a total line:\n"
    "                           N passed, M failed, K skipped (P% of run records passed)\n"
    "      --baseline FILE      ratchet: fail if a script passes fewer records or fails more\n"
    "                           than FILE allows (failed records alone then do not fail)\n"
    "      --write-baseline FILE  record this run's counts in FILE (entries for scripts\n"
    "                           not run are kept)\n"
    "\n"
    "Baseline lines are \"SCRIPT MIN_PASSED MAX_FAILED\", SCRIPT named as printed (relative\n"
    "to the directory twill-slt runs in); '#' starts a comment.\n"
    "\n"
    "Exit status: 0 success; 1 a record failed (without --baseline), a script fell below\n"
    "its baseline, crashed or timed out; 2 bad usage or an unreadable path or baseline.\n";

/* ---- collecting scripts ------------------------------------------------------------ */

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static void strvec_push(strvec *sv, char *s) {
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 32;
        sv->v = slt_xrealloc(sv->v, sv->cap * sizeof *sv->v);
    }
    sv->v[sv->n++] = s;
}

static void strvec_free(strvec *sv) {
    for (size_t i = 0; i < sv->n; i++) free(sv->v[i]);
    free(sv->v);
    memset(sv, 0, sizeof *sv);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir/name, without a leading "./" so that names match the baseline however the
 * directory was spelled. */
static char *join_path(const char *dir, const char *name) {
    if (strcmp(dir, ".") == 0) return slt_xstrdup(name);
    size_t d = strlen(dir);
    while (d > 1 && dir[d - 1] == '/') d--;
    slt_buf b = {0};
    slt_buf_add(&b, dir, d);
    slt_buf_add(&b, "/", 1);
    slt_buf_adds(&b, name);
    return b.data;
}

static bool has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int collect(const char *path, bool top, strvec *out) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "twill-slt: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (top || has_suffix(path, ".test")) {
            const char *p = path;
            while (p[0] == '.' && p[1] == '/') p += 2;
            strvec_push(out, slt_xstrdup(p));
        }
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "twill-slt: %s: %s\n", path, strerror(errno));
        return -1;
    }
    strvec names = {0};
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        strvec_push(&names, join_path(path, de->d_name));
    }
    closedir(d);
    qsort(names.v, names.n, sizeof *names.v, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) rc = collect(names.v[i], false, out);
    strvec_free(&names);
    return rc;
}

/* ---- baselines --------------------------------------------------------------------- */

typedef struct {
    char *name;
    long passed, failed;
} base_entry;

typedef struct {
    base_entry *v;
    size_t n, cap;
} baseline;

static base_entry *base_find(baseline *b, const char *name) {
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->v[i].name, name) == 0) return &b->v[i];
    return NULL;
}

static void base_set(baseline *b, const char *name, long passed, long failed) {
    base_entry *e = base_find(b, name);
    if (!e) {
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 64;
            b->v = slt_xrealloc(b->v, b->cap * sizeof *b->v);
        }
        e = &b->v[b->n++];
        e->name = slt_xstrdup(name);
    }
    e->passed = passed;
    e->failed = failed;
}

static void base_free(baseline *b) {
    for (size_t i = 0; i < b->n; i++) free(b->v[i].name);
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* Reads a baseline; a missing file is an empty baseline only when `may_be_missing`. */
static int base_load(baseline *b, const char *path, bool may_be_missing) {
    FILE *f = fopen(path, "r");
    if (!f) {
        if (may_be_missing && errno == ENOENT) return 0;
        fprintf(stderr, "twill-slt: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    long lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char name[4096];
        long passed, failed;
        char extra;
        int n = sscanf(line, "%4095s %ld %ld %c", name, &passed, &failed, &extra);
        if (n == EOF || n == -1) continue;
        if (n != 3 || passed < 0 || failed < 0) {
            fprintf(stderr, "twill-slt: %s:%ld: expected \"SCRIPT MIN_PASSED MAX_FAILED\"\n", path,
                    lineno);
            rc = -1;
            break;
        }
        base_set(b, name, passed, failed);
    }
    fclose(f);
    return rc;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const base_entry *)a)->name, ((const base_entry *)b)->name);
}

static int base_write(baseline *b, const char *path) {
    qsort(b->v, b->n, sizeof *b->v, cmp_entry);
    slt_buf tmp = {0};
    slt_buf_addf(&tmp, "%s.tmp", path);
    FILE *f = fopen(tmp.data, "w");
    if (!f) {
        fprintf(stderr, "twill-slt: %s: %s\n", tmp.data, strerror(errno));
        slt_buf_free(&tmp);
        return -1;
    }
    fputs("# twill-slt ratchet baseline: SCRIPT MIN_PASSED MAX_FAILED, written by\n"
          "# twill-slt --write-baseline from a real run (see tests/slt/README.md).\n",
          f);
    for (size_t i = 0; i < b->n; i++)
        fprintf(f, "%s %ld %ld\n", b->v[i].name, b->v[i].passed, b->v[i].failed);
    int rc = 0;
    if (fclose(f) != 0 || rename(tmp.data, path) != 0) {
        fprintf(stderr, "twill-slt: %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    slt_buf_free(&tmp);
    return rc;
}

/* ---- running one script in a child process ----------------------------------------- */

typedef enum { OUT_OK, OUT_SETUP, OUT_CRASH, OUT_TIMEOUT } outcome;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return remove(path);
}

static void remove_tree(const char *dir) {
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "twill-slt: cannot remove %s: %s\n", dir, strerror(errno));
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    bool verbose;
    long max_failures;
    long timeout;
} options;

static outcome run_script(const char *name, const options *op, long failure_budget,
                          volatile slt_counts *c, int *status) {
    const char *tmproot = getenv("TMPDIR");
    if (!tmproot || !*tmproot) tmproot = "/tmp";
    slt_buf dir = {0};
    slt_buf_addf(&dir, "%s/twill-slt-XXXXXX", tmproot);
    if (!mkdtemp(dir.data)) {
        fprintf(stderr, "twill-slt: cannot create a directory in %s: %s\n", tmproot,
                strerror(errno));
        slt_buf_free(&dir);
        return OUT_SETUP;
    }
    slt_buf url = {0};
    slt_buf_addf(&url, "file://%s/db", dir.data);
    memset((void *)c, 0, sizeof *c);

    /* Buffered output would otherwise be written twice, once by each process. */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "twill-slt: fork: %s\n", strerror(errno));
        remove_tree(dir.data);
        slt_buf_free(&dir);
        slt_buf_free(&url);
        return OUT_SETUP;
    }
    if (pid == 0) {
        slt_run_opts ro = {.path = name,
                           .name = name,
                           .db_url = url.data,
                           .verbose = op->verbose,
                           .max_failures = failure_budget};
        int rc = slt_run_file(&ro, c);
        slt_buf_free(&dir);
        slt_buf_free(&url);
        fflush(stdout);
        /* exit, not _exit: the sanitizers' leak check runs at exit. */
        exit(rc == 0 ? 0 : 3);
    }

    outcome out = OUT_OK;
    double deadline = op->timeout > 0 ? now_seconds() + (double)op->timeout : 0;
    long nap_us = 1000;
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "twill-slt: waitpid: %s\n", strerror(errno));
            *status = 0;
            out = OUT_CRASH;
            break;
        }
        if (deadline > 0 && now_seconds() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
            }
            out = OUT_TIMEOUT;
            break;
        }
        struct timespec ts = {0, nap_us * 1000};
        nanosleep(&ts, NULL);
        if (nap_us < 50000) nap_us *= 2;
    }
    if (out == OUT_OK) {
        if (WIFEXITED(*status) && WEXITSTATUS(*status) == 3)
            out = OUT_SETUP;
        else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
            out = OUT_CRASH;
    }
    remove_tree(dir.data);
    slt_buf_free(&dir);
    slt_buf_free(&url);
    return out;
}

/* ---- main -------------------------------------------------------------------------- */

static bool parse_long(const char *s, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0) return false;
    *out = v;
    return true;
}

int main(int argc, char **argv) {
    enum { OPT_MAXF = 256, OPT_TIMEOUT, OPT_SUMMARY, OPT_BASELINE, OPT_WRITE };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"verbose", no_argument, NULL, 'v'},
        {"max-failures", required_argument, NULL, OPT_MAXF},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"write-baseline", required_argument, NULL, OPT_WRITE},
        {NULL, 0, NULL, 0},
    };
    options op = {.timeout = 600};
    bool summary = false;
    const char *baseline_path = NULL, *write_path = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'v':
            op.verbose = true;
            break;
        case OPT_MAXF:
            if (!parse_long(optarg, &op.max_failures)) {
                fprintf(stderr, "twill-slt: --max-failures needs a number, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_TIMEOUT:
            if (!parse_long(optarg, &op.timeout)) {
                fprintf(stderr, "twill-slt: --timeout needs seconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_SUMMARY:
            summary = true;
            break;
        case OPT_BASELINE:
            baseline_path = optarg;
            break;
        case OPT_WRITE:
            write_path = optarg;
            break;
        default:
            fputs("Try 'twill-slt --help'.\n", stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fputs("twill-slt: no script or directory given\nTry 'twill-slt --help'.\n", stderr);
        return 2;
    }

    strvec files = {0};
    for (int i = optind; i < argc; i++) {
        if (collect(argv[i], true, &files) != 0) {
            strvec_free(&files);
            return 2;
        }
    }
    baseline base = {0}, written = {0};
    if ((baseline_path && base_load(&base, baseline_path, false) != 0) ||
        (write_path && base_load(&written, write_path, true) != 0)) {
        strvec_free(&files);
        base_free(&base);
        base_free(&written);
        return 2;
    }

    /* The counters live in shared memory so a crashed child still tells how far it got. */
    volatile slt_counts *c =
        mmap(NULL, sizeof(slt_counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED) {
        fprintf(stderr, "twill-slt: mmap: %s\n", strerror(errno));
        return 2;
    }

    long passed = 0, failed = 0, skipped = 0;
    int bad_scripts = 0;
    bool failure = false;
    for (size_t i = 0; i < files.n; i++) {
        const char *name = files.v[i];
        long budget = op.max_failures > 0 ? op.max_failures - failed : 0;
        int status = 0;
        outcome out = run_script(name, &op, budget, c, &status);
        slt_counts got = *c;
        if (out == OUT_CRASH || out == OUT_TIMEOUT) got.failed++; /* the record it died on */
        printf("%s: %ld passed, %ld failed, %ld skipped\n", name, got.passed, got.failed,
               got.skipped);
        if (out == OUT_CRASH) {
            if (WIFSIGNALED(status))
                printf("%s:%ld: CRASH: the engine died from signal %d (%s)\n", name, got.line,
                       WTERMSIG(status), strsignal(WTERMSIG(status)));
            else
                printf("%s:%ld: CRASH: the child process exited with status %d\n", name, got.line,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        } else if (out == OUT_TIMEOUT) {
            printf("%s:%ld: TIMEOUT: killed after %ld s\n", name, got.line, op.timeout);
        } else if (out == OUT_SETUP) {
            printf("%s: ERROR: the script could not be run (see above)\n", name);
        }
        if (out != OUT_OK) {
            failure = true;
            bad_scripts++;
        }
        passed += got.passed;
        failed += got.failed;
        skipped += got.skipped;

        if (baseline_path) {
            base_entry *e = base_find(&base, name);
            if (!e) {
                printf("%s: note: not in the baseline %s\n", name, baseline_path);
            } else if (got.passed < e->passed || got.failed > e->failed) {
                printf("%s: REGRESSION: %ld passed, %ld failed; the baseline allows no fewer "
                       "than %ld passed and no more than %ld failed\n",
                       name, got.passed, got.failed, e->passed, e->failed);
                failure = true;
            } else if (got.passed > e->passed) {
                printf("%s: note: %ld passed, baseline %ld: raise the baseline (see "
                       "tests/slt/README.md)\n",
                       name, got.passed, e->passed);
            }
        } else if (got.failed > 0) {
            failure = true;
        }
        if (write_path && out != OUT_SETUP) base_set(&written, name, got.passed, got.failed);
        fflush(stdout);
        if (op.max_failures > 0 && failed >= op.max_failures) {
            printf("twill-slt: stopping after %ld failures (--max-failures)\n", failed);
            break;
        }
    }

    if (summary) {
        long run = passed + failed;
        /* Rounded down, so that 98.999% never shows as 99.00%. */
        double pct = run ? floor(10000.0 * (double)passed / (double)run) / 100.0 : 100.0;
        printf("%ld passed, %ld failed, %ld skipped (%.2f%% of run records passed)\n", passed,
               failed, skipped, pct);
        if (bad_scripts) printf("%d script(s) crashed, timed out or could not run\n", bad_scripts);
    }
    int rc = failure ? 1 : 0;
    if (write_path && base_write(&written, write_path) != 0) rc = 2;
    munmap((void *)c, sizeof(slt_counts));
    strvec_free(&files);
    base_free(&base);
    base_free(&written);
    return rc;
}
