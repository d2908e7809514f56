/*
 * twill — the interactive SQL shell of Twill DB, in the manner of psql.
 *
 * SQL comes from arguments, from -f files, from stdin when it is not a terminal, or
 * from a terminal with line editing and history (libedit). Text is accumulated until a
 * ';' ends a statement (outside quotes, comments and parentheses) and then run through
 * the public C ABI, exactly as an embedding application would.
 */
#include "shell.h"
#include "sqlscan.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef TWILL_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#define HISTORY_FILE ".twill_history"
#define HISTORY_LINES 2000

static void usage(FILE *out) {
    fprintf(out, "twill is the interactive SQL shell of Twill DB.\n"
                 "\n"
                 "Usage:\n"
                 "  twill [OPTION]... URL [SQL]...\n"
                 "\n"
                 "URL names the database, e.g. file://./my.db (created on first use).\n"
                 "Each SQL argument may hold several statements separated by ';'. Without SQL\n"
                 "arguments or -f, statements are read from stdin: interactively (with line\n"
                 "editing and history in ~/" HISTORY_FILE ") when it is a terminal.\n"
                 "\n"
                 "Options (before the URL):\n"
                 "  -f, --file=FILE          run the statements in FILE (\"-\" for stdin);\n"
                 "                           may be repeated; files run before SQL arguments\n"
                 "  -o, --open-options=OPTS  options for twill_open, e.g. \"cache_mb=64\"\n"
                 "      --on-error=stop|continue\n"
                 "                           after a failed statement, stop (default when not\n"
                 "                           interactive) or go on with the next one\n"
                 "  -q, --quiet              print no banner and no command tags\n"
                 "  -h, --help               show this help and exit\n"
                 "  -V, --version            show the shell and library versions and exit\n"
                 "\n"
                 "Meta-commands (on a line of their own):\n"
                 "  \\timing [on|off]  toggle or set printing each statement's time\n"
                 "  \\d [NAME]         list relations, or describe one (also \\dt \\di \\dv \\ds)\n"
                 "  \\q                quit\n"
                 "  \\?                list the meta-commands\n"
                 "\n"
                 "Exit status: 0 if every statement succeeded, 1 if a statement or\n"
                 "meta-command failed, 2 on bad usage, when the database cannot be opened, or\n"
                 "on a fatal error (out of memory, output not writable).\n");
}

static void meta_help(const shell *sh) {
    printf("General\n"
           "  \\q                quit twill\n"
           "  \\timing [on|off]  toggle or set timing of statements (now %s)\n"
           "  \\?                show this list\n"
           "\n"
           "Informational\n"
           "  \\d [NAME]         list tables, views and sequences, or describe NAME\n"
           "  \\dt, \\di, \\dv, \\ds [NAME]  list tables, indexes, views, sequences\n"
           "\n"
           "Statements end with ';' and may span lines. Errors show the SQLSTATE.\n",
           sh->timing ? "on" : "off");
}

static void general_help(void) {
    printf("You are using twill, the command-line interface to Twill DB.\n"
           "Type:  \\? for help with twill commands\n"
           "       \\q to quit\n"
           "       terminate a statement with ';' to run it\n");
}

static int parse_bool(const char *s, int *out) {
    if (strcmp(s, "on") == 0 || strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = 1;
        return 0;
    }
    if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Runs a meta-command line (starting with '\'). Returns -1 if it failed. */
static int run_meta(shell *sh, const char *line) {
    char cmd[32], arg[64], extra[2];
    const char *p = line + strspn(line, " \t") + 1; /* past the backslash */
    size_t cl = strcspn(p, " \t\r\n");
    int n;
    if (cl >= sizeof cmd) cl = sizeof cmd - 1;
    memcpy(cmd, p, cl);
    cmd[cl] = '\0';
    p += strcspn(p, " \t\r\n");
    arg[0] = '\0';
    n = sscanf(p, "%63s %1s", arg, extra);

    if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0) {
        sh->quit = 1;
        return 0;
    }
    if (strcmp(cmd, "?") == 0) {
        meta_help(sh);
        return 0;
    }
    if (strcmp(cmd, "timing") == 0) {
        int v = !sh->timing;
        if (n >= 1 && parse_bool(arg, &v) != 0) {
            shell_report(sh, "\\timing: unrecognized value \"%s\": expected on or off\n", arg);
            sh->errors++;
            return -1;
        }
        if (n == 2) shell_report(sh, "\\timing: extra argument ignored\n");
        sh->timing = v;
        printf("Timing is %s.\n", v ? "on" : "off");
        return 0;
    }
    if (cmd[0] == 'd') {
        int rc = shell_describe(sh, cmd, n >= 1 ? arg : NULL);
        if (rc <= 0) return rc;
    }
    shell_report(sh, "invalid command \\%s\nTry \\? for help.\n", cmd);
    sh->errors++;
    return -1;
}

/* True when s (ignoring surrounding blanks and a trailing ';') is the word w. */
static int line_is_word(const char *s, const char *w) {
    s += strspn(s, " \t");
    size_t wl = strlen(w);
    if (strncasecmp(s, w, wl) != 0) return 0;
    s += wl;
    s += strspn(s, " \t;\r\n");
    return *s == '\0';
}

/*
 * Feeds one line of input (with its newline, if any). Complete statements run as
 * they are found. Returns -1 when the session should stop: a failure with
 * stop_on_error, a fatal error, or \q.
 */
static int feed_line(shell *sh, sqlbuf *buf, const char *line, size_t len) {
    /* A meta-command is a line of its own, outside any literal or comment. */
    const char *first = line + strspn(line, " \t");
    if (*first == '\\' && buf->state == SQLSCAN_NORMAL) {
        int rc = run_meta(sh, first);
        if (sh->quit) return -1;
        return rc != 0 && sh->stop_on_error ? -1 : 0;
    }
    /* psql's bare words, which help newcomers who do not know the backslash. */
    if (sh->interactive && sqlbuf_blank(buf)) {
        if (line_is_word(line, "help")) {
            general_help();
            return 0;
        }
        if (line_is_word(line, "quit") || line_is_word(line, "exit")) {
            sh->quit = 1;
            return -1;
        }
    }
    if (sqlbuf_append(buf, line, len) != 0) {
        shell_oom(sh);
        return -1;
    }
    for (;;) {
        size_t end;
        int got = sqlbuf_next(buf, &end);
        if (got < 0) {
            shell_oom(sh);
            return -1;
        }
        if (got == 0) break;
        int rc = shell_run_sql(sh, buf->data, end);
        sqlbuf_consume(buf, end);
        if (sh->fatal) return -1;
        if (rc != 0 && sh->stop_on_error) return -1;
    }
    return 0;
}

/* Runs what is left at the end of an input: a last statement without ';'. */
static int flush_input(shell *sh, sqlbuf *buf) {
    int rc = 0;
    if (!sqlbuf_blank(buf)) rc = shell_run_sql(sh, buf->data, buf->len);
    sqlbuf_reset(buf);
    if (sh->fatal) return -1;
    return rc != 0 && sh->stop_on_error ? -1 : 0;
}

/* One SQL argument: its lines, then whatever is left as a last statement. */
static int run_argument(shell *sh, const char *text) {
    sqlbuf buf;
    sqlbuf_init(&buf);
    int rc = 0;
    const char *p = text;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        rc = feed_line(sh, &buf, p, len);
        p += len;
    }
    if (rc == 0) rc = flush_input(sh, &buf);
    sqlbuf_free(&buf);
    return rc;
}

static int run_stream(shell *sh, FILE *in, const char *name) {
    sqlbuf buf;
    sqlbuf_init(&buf);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    sh->src = name;
    sh->line = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        sh->line++;
        rc = feed_line(sh, &buf, line, strlen(line));
    }
    if (rc == 0 && ferror(in)) {
        shell_report(sh, "twill: could not read %s: %s\n", name, strerror(errno));
        sh->fatal = 1;
        rc = -1;
    }
    if (rc == 0) rc = flush_input(sh, &buf);
    free(line);
    sqlbuf_free(&buf);
    sh->src = NULL;
    return rc;
}

static int run_file(shell *sh, const char *path) {
    if (strcmp(path, "-") == 0) return run_stream(sh, stdin, "<stdin>");
    FILE *f = fopen(path, "r");
    if (!f) {
        shell_report(sh, "twill: could not open %s: %s\n", path, strerror(errno));
        sh->fatal = 1;
        return -1;
    }
    int rc = run_stream(sh, f, path);
    fclose(f);
    return rc;
}

/* ---- interactive mode ---- */

static char *history_path(void) {
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + sizeof(HISTORY_FILE) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", home, HISTORY_FILE);
    return p;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

/*
 * Ctrl-C at the prompt discards the pending input, as in psql. While a statement runs
 * SIGINT keeps its default action (it ends the shell): the ABI cannot cancel a
 * statement, and a handler would make the engine's system calls fail with EINTR.
 */
static void catch_sigint(int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_sigint : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the interrupted read must return */
    sigaction(SIGINT, &sa, NULL);
}

/* Reads one line with its newline (NULL at end of input, on Ctrl-C, or when out of
 * memory, which is reported); the caller frees it. */
static char *read_line(shell *sh, const char *prompt) {
#ifdef TWILL_HAVE_LIBEDIT
    char *l = readline(prompt);
    if (!l) return NULL;
    if (*l) add_history(l);
    size_t n = strlen(l);
    char *r = realloc(l, n + 2);
    if (!r) {
        free(l);
        shell_oom(sh);
        return NULL;
    }
    r[n] = '\n';
    r[n + 1] = '\0';
    return r;
#else
    char *l = NULL;
    size_t cap = 0;
    fputs(prompt, stdout);
    fflush(stdout);
    if (getline(&l, &cap, stdin) < 0) {
        if (errno == ENOMEM) shell_oom(sh);
        free(l);
        return NULL;
    }
    return l;
#endif
}

static void run_interactive(shell *sh) {
    char *hist = history_path();
#ifdef TWILL_HAVE_LIBEDIT
    rl_readline_name = "twill";
    using_history();
    stifle_history(HISTORY_LINES);
    if (hist) read_history(hist); /* a missing file is the normal first run */
#endif
    if (!sh->quiet) {
        printf("twill %s (libtwill %s, ABI %d)\n", TWILL_SHELL_VERSION, twill_version(),
               twill_abi_version());
        printf("Type \"help\" for help.\n\n");
    }
    sqlbuf buf;
    sqlbuf_init(&buf);
    for (;;) {
        char pc = sqlbuf_prompt_char(&buf);
        char prompt[32];
        snprintf(prompt, sizeof prompt, "twill%c%s> ", pc,
                 pc == '=' && twill_in_transaction(sh->sess) ? "*" : "");
        interrupted = 0;
        catch_sigint(1);
        char *line = read_line(sh, prompt);
        catch_sigint(0);
        if (!line && interrupted && !sh->fatal) {
            clearerr(stdin);
            sqlbuf_reset(&buf);
            printf("\n");
            continue;
        }
        if (!line) {
            printf("\n");
            break;
        }
        feed_line(sh, &buf, line, strlen(line));
        free(line);
        if (sh->quit || sh->fatal) break;
    }
    sqlbuf_free(&buf);
#ifdef TWILL_HAVE_LIBEDIT
    if (hist && write_history(hist) != 0)
        fprintf(stderr, "twill: could not save the history to %s\n", hist);
#endif
    free(hist);
}

int main(int argc, char **argv) {
    enum { OPT_ON_ERROR = 256 };
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"open-options", required_argument, NULL, 'o'},
        {"on-error", required_argument, NULL, OPT_ON_ERROR},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    shell sh = {0};
    const char *open_opts = NULL;
    int on_error = -1; /* -1: the mode's default */
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0, c;
    if (!files) {
        fprintf(stderr, "twill: out of memory\n");
        return SHELL_EXIT_FATAL;
    }

    setlocale(LC_CTYPE, ""); /* display widths of UTF-8 text */
    /* '+': options end at the URL, so SQL such as "-- note" is never an option. */
    while ((c = getopt_long(argc, argv, "+f:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            files[nfiles++] = optarg;
            break;
        case 'o':
            open_opts = optarg;
            break;
        case OPT_ON_ERROR:
            if (strcmp(optarg, "stop") == 0) {
                on_error = 1;
            } else if (strcmp(optarg, "continue") == 0) {
                on_error = 0;
            } else {
                fprintf(stderr, "twill: --on-error must be stop or continue, not \"%s\"\n", optarg);
                free(files);
                return SHELL_EXIT_FATAL;
            }
            break;
        case 'q':
            sh.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            free(files);
            return SHELL_EXIT_OK;
        case 'V':
            printf("twill %s (libtwill %s, ABI %d)\n", TWILL_SHELL_VERSION, twill_version(),
                   twill_abi_version());
            free(files);
            return SHELL_EXIT_OK;
        default:
            fprintf(stderr, "Try \"twill --help\" for more information.\n");
            free(files);
            return SHELL_EXIT_FATAL;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "twill: no database URL given (e.g. file://./my.db)\n"
                        "Try \"twill --help\" for more information.\n");
        free(files);
        return SHELL_EXIT_FATAL;
    }
    const char *url = argv[optind++];
    if (!strstr(url, "://")) {
        fprintf(stderr, "twill: \"%s\" is not a database URL; did you mean file://%s ?\n", url,
                url);
        free(files);
        return SHELL_EXIT_FATAL;
    }

    int rc = twill_open(url, open_opts, &sh.db);
    if (rc != TWILL_OK) {
        const char *msg = twill_open_errmsg();
        fprintf(stderr, "twill: could not open %s: %s\nSQLSTATE: %s\n", url,
                msg && *msg ? msg : twill_errstr(rc), twill_open_sqlstate());
        free(files);
        return SHELL_EXIT_FATAL;
    }
    rc = twill_session_open(sh.db, &sh.sess);
    if (rc != TWILL_OK) {
        fprintf(stderr, "twill: could not open a session on %s: %s\n", url, twill_errstr(rc));
        twill_close(sh.db);
        free(files);
        return SHELL_EXIT_FATAL;
    }

    int have_sql = nfiles > 0 || optind < argc;
    sh.interactive = !have_sql && isatty(STDIN_FILENO);
    sh.stop_on_error = on_error >= 0 ? on_error : !sh.interactive;

    if (sh.interactive) {
        run_interactive(&sh);
    } else if (!have_sql) {
        run_stream(&sh, stdin, "<stdin>");
    } else {
        int stop = 0;
        for (int i = 0; i < nfiles && !stop && !sh.quit; i++) stop = run_file(&sh, files[i]) != 0;
        for (int i = optind; i < argc && !stop && !sh.quit; i++)
            stop = run_argument(&sh, argv[i]) != 0;
    }
    free(files);

    int status = sh.fatal ? SHELL_EXIT_FATAL : sh.errors ? SHELL_EXIT_SQL : SHELL_EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "twill: could not write the output: %s\n", strerror(errno));
        status = SHELL_EXIT_FATAL;
    }
    /* Closing rolls back an unfinished transaction; what was committed is durable. */
    twill_session_close(sh.sess);
    rc = twill_close(sh.db);
    if (rc != TWILL_OK) {
        fprintf(stderr, "twill: closing the database failed: %s\n", twill_errstr(rc));
        if (status == SHELL_EXIT_OK) status = SHELL_EXIT_SQL;
    }
    return status;
}
