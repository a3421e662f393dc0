/*
 * sim_cli.c — the `portsim` command line (see sim_cli.h): argument
 * parsing, finding scenario files, printing results, writing JSON.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim_cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_json.h"
#include "sim_load.h"
#include "sim_run.h"

#define MAX_FILES 100000u

static const char usage_text[] =
    "usage: portsim run [options] PATH...\n"
    "       portsim --help | --version\n"
    "\n"
    "Runs scenario files (or every *.yaml / *.yml under a folder, recursively,\n"
    "in byte order) on the CFMessagePort model and checks their expectations.\n"
    "\n"
    "options of run:\n"
    "  --seed N            seed for the random strategy (default 1)\n"
    "  --strategy NAME     fifo (canonical order, default) or random\n"
    "  --profile NAME      ventura or cf-1153 (default: each scenario's own)\n"
    "  --trace             print each scenario's canonical trace\n"
    "  --json FILE         write the results as versioned JSON to FILE\n"
    "  --color, --no-color force colour on or off (default: on a terminal,\n"
    "                      unless NO_COLOR is set)\n"
    "\n"
    "exit status: 0 all passed, 1 a check failed, 2 a usage or input error.\n"
    "Every failure prints a replay command that reproduces it exactly.\n"
    "The scenario format: docs/scenario-format.md.\n";

typedef struct cli {
    FILE *out;
    FILE *err;
    sim_run_options run;
    bool trace;
    const char *json;
    int color; /* -1 auto */
    bool use_color;
    char **paths;
    size_t path_count;
} cli;

typedef struct file_list {
    char **items;
    size_t count;
    size_t capacity;
} file_list;

static void files_free(file_list *f)
{
    for (size_t i = 0; i < f->count; i++) free(f->items[i]);
    free(f->items);
    memset(f, 0, sizeof *f);
}

static bool files_add(file_list *f, char *path)
{
    if (path == NULL) return false;
    if (f->count == f->capacity) {
        size_t capacity = f->capacity ? f->capacity * 2 : 16;
        char **items = realloc(f->items, capacity * sizeof *items);
        if (items == NULL) {
            free(path);
            return false;
        }
        f->items = items;
        f->capacity = capacity;
    }
    f->items[f->count++] = path;
    return true;
}

/* ---- arguments -------------------------------------------------------------- */

static int usage_error(cli *c, const char *what, const char *arg)
{
    fprintf(c->err, "portsim: %s%s%s%s\nTry 'portsim --help'.\n", what, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "");
    return SIM_EXIT_USAGE;
}

static bool parse_seed(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
}

/* "--name value" or "--name=value": returns the value or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0' || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_value_option(cli *c, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *names[] = {"--seed", "--strategy", "--profile", "--json"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (!is_option(arg, names[k])) continue;
        const char *v = option_value(argc, argv, i, names[k]);
        if (v == NULL) return usage_error(c, "this option needs a value:", names[k]);
        if (k == 0 && !parse_seed(v, &c->run.seed)) return usage_error(c, "bad seed (a decimal number):", v);
        if (k == 1 && (c->run.strategy = sim_strategy_by_name(v)) == 0) {
            return usage_error(c, "unknown strategy (fifo or random):", v);
        }
        if (k == 2 && (c->run.profile = (uint8_t)cm_profile_by_name(v)) == 0) {
            return usage_error(c, "unknown profile (ventura or cf-1153):", v);
        }
        if (k == 3) c->json = v;
        return -1;
    }
    return usage_error(c, "unknown option", arg);
}

/* Returns -1 to go on, or an exit code. */
static int parse_run_args(cli *c, int argc, char **argv)
{
    c->paths = calloc((size_t)argc + 1, sizeof *c->paths);
    if (c->paths == NULL) return SIM_EXIT_USAGE;
    bool options_done = false;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            c->paths[c->path_count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage_text, c->out);
            return SIM_EXIT_OK;
        } else if (strcmp(arg, "--trace") == 0) {
            c->trace = true;
        } else if (strcmp(arg, "--color") == 0 || strcmp(arg, "--no-color") == 0) {
            c->color = arg[2] == 'c';
        } else {
            int r = parse_value_option(c, argc, argv, &i);
            if (r >= 0) return r;
        }
    }
    if (c->path_count == 0) return usage_error(c, "run needs at least one PATH", NULL);
    return -1;
}

/* ---- finding files ------------------------------------------------------------ */

static bool has_yaml_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int path_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    bool slash = n > 0 && dir[n - 1] == '/';
    return sim_strdup_printf("%s%s%s", dir, slash ? "" : "/", name);
}

/* Reads one folder: files into out, sub-folders onto the work stack. */
static bool scan_dir(cli *c, const char *dir, file_list *work, file_list *out)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(c->err, "portsim: %s: %s\n", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *ent;
    while (ok && (ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.') continue; /* ., .. and hidden entries */
        char *path = join(dir, ent->d_name);
        struct stat st;
        if (path == NULL || lstat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            ok = files_add(work, path); /* symbolic links to folders are not followed */
        } else if (has_yaml_suffix(ent->d_name) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            ok = out->count < MAX_FILES && files_add(out, path);
        } else {
            free(path);
        }
    }
    closedir(d);
    return ok;
}

/* A folder's scenario files, recursively (an explicit work list, no recursion). */
static bool scan_tree(cli *c, const char *root, file_list *out)
{
    file_list work = {0};
    size_t first = out->count;
    bool ok = files_add(&work, sim_strdup(root));
    while (ok && work.count > 0) {
        char *dir = work.items[--work.count];
        ok = scan_dir(c, dir, &work, out);
        free(dir);
    }
    files_free(&work);
    qsort(out->items + first, out->count - first, sizeof *out->items, path_cmp);
    return ok;
}

static int collect_files(cli *c, file_list *out)
{
    for (size_t i = 0; i < c->path_count; i++) {
        const char *path = c->paths[i];
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(c->err, "portsim: %s: %s\n", path, strerror(errno));
            return SIM_EXIT_USAGE;
        }
        bool ok = S_ISDIR(st.st_mode) ? scan_tree(c, path, out) : files_add(out, sim_strdup(path));
        if (!ok) {
            fprintf(c->err, "portsim: %s: cannot list the scenario files\n", path);
            return SIM_EXIT_USAGE;
        }
    }
    if (out->count == 0) {
        fprintf(c->err, "portsim: no scenario files (*.yaml, *.yml) found\n");
        return SIM_EXIT_USAGE;
    }
    return -1;
}

/* ---- printing ----------------------------------------------------------------- */

static const char *paint(const cli *c, uint8_t verdict)
{
    if (!c->use_color) return "";
    switch (verdict) {
    case SIM_VERDICT_PASS: return "\033[32m";
    case SIM_VERDICT_SKIP: return "\033[33m";
    default: return "\033[1;31m";
    }
}

static void print_failure(const cli *c, const sim_result *r, const sim_failure *f)
{
    fprintf(c->out, "    %s:%u:%u: %s: %s", r->file, f->line, f->col,
            f->kind == SIM_FAIL_INVARIANT ? "invariant" : "fail", f->message ? f->message : "");
    if (f->expected != NULL || f->observed != NULL) {
        fprintf(c->out, ": expected %s, observed %s", f->expected ? f->expected : "-",
                f->observed ? f->observed : "-");
    }
    if (f->execution != SIM_RESULT_NONE || f->time_ns != SIM_RESULT_NO_TIME) {
        fputs(" (", c->out);
        if (f->execution != SIM_RESULT_NONE) fprintf(c->out, "execution %u", f->execution + 1);
        if (f->time_ns != SIM_RESULT_NO_TIME) {
            char t[40];
            sim_format_duration(f->time_ns, t, sizeof t);
            fprintf(c->out, "%sat t=%s", f->execution != SIM_RESULT_NONE ? ", " : "", t);
        }
        fputs(")", c->out);
    }
    fputc('\n', c->out);
}

static void print_result(const cli *c, const sim_result *r)
{
    const char *on = paint(c, r->verdict), *off = c->use_color ? "\033[0m" : "";
    const char *word = r->verdict == SIM_VERDICT_PASS   ? "PASS "
                       : r->verdict == SIM_VERDICT_SKIP ? "SKIP "
                       : r->verdict == SIM_VERDICT_FAIL ? "FAIL "
                                                        : "ERROR";
    if (r->verdict == SIM_VERDICT_ERROR && r->scenario == NULL) {
        fprintf(c->out, "%s%s%s %s (%u error%s)\n", on, word, off, r->file, r->failure_count,
                r->failure_count == 1 ? "" : "s");
        return;
    }
    fprintf(c->out, "%s%s%s %s  %s:%u", on, word, off, r->scenario ? r->scenario : "?", r->file, r->line);
    if (r->verdict == SIM_VERDICT_SKIP) {
        fprintf(c->out, "  (skipped: %s)\n", r->skip_reason ? r->skip_reason : "");
        return;
    }
    char t[40];
    sim_format_duration(r->virtual_time_ns, t, sizeof t);
    fprintf(c->out, "  hash=0x%016llx events=%llu t=%s\n", (unsigned long long)r->trace_hash,
            (unsigned long long)r->event_count, t);
    for (uint32_t i = 0; i < r->failure_count; i++) print_failure(c, r, &r->failures[i]);
    if (r->verdict != SIM_VERDICT_PASS && r->replay != NULL) {
        fprintf(c->out, "    replay: %s\n", r->replay);
    }
}

static void trace_to_out(void *ctx, const char *line)
{
    const cli *c = ctx;
    fprintf(c->out, "%s\n", line);
}

/* ---- running ------------------------------------------------------------------- */

static void run_file(cli *c, const char *path, sim_result *res)
{
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_scenario sc;
    if (!sim_load_file(path, &sc, &diag)) {
        sim_diag_sort(&diag);
        sim_diag_print(&diag, c->err);
        sim_result_from_diag(&diag, res);
        sim_diag_fini(&diag);
        return;
    }
    sim_diag_fini(&diag);
    sim_run_options opt = c->run;
    if (c->trace) {
        opt.trace_line = trace_to_out;
        opt.trace_ctx = c;
    }
    sim_run_model(&sc, &opt, res);
    sim_scenario_free(&sc);
}

static int write_json(cli *c, const sim_result *results, uint32_t count)
{
    FILE *f = fopen(c->json, "w");
    if (f == NULL) {
        fprintf(c->err, "portsim: %s: %s\n", c->json, strerror(errno));
        return SIM_EXIT_USAGE;
    }
    sim_run_info info = {.command = "run", .version = PORTSIM_VERSION, .seed = c->run.seed,
                         .strategy = sim_strategy_name(c->run.strategy),
                         .profile = c->run.profile ? cm_profile_name(c->run.profile) : NULL,
                         .backend = "model"};
    bool ok = sim_json_write(f, &info, results, count);
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(c->err, "portsim: %s: write error\n", c->json);
        return SIM_EXIT_USAGE;
    }
    return -1;
}

static int run_all(cli *c, const file_list *files)
{
    sim_result *results = calloc(files->count + 1, sizeof *results);
    if (results == NULL) return SIM_EXIT_USAGE;
    uint32_t passed = 0, failed = 0, skipped = 0, errors = 0;
    for (size_t i = 0; i < files->count; i++) {
        run_file(c, files->items[i], &results[i]);
        print_result(c, &results[i]);
        switch (results[i].verdict) {
        case SIM_VERDICT_PASS: passed++; break;
        case SIM_VERDICT_SKIP: skipped++; break;
        case SIM_VERDICT_ERROR: errors++; break;
        default: failed++; break;
        }
    }
    fprintf(c->out, "%u passed, %u failed, %u skipped\n", passed, failed + errors, skipped);
    fflush(c->out);
    int code = c->json != NULL ? write_json(c, results, (uint32_t)files->count) : -1;
    for (size_t i = 0; i < files->count; i++) sim_result_free(&results[i]);
    free(results);
    if (code >= 0) return code;
    if (errors > 0) return SIM_EXIT_USAGE;
    return failed > 0 ? SIM_EXIT_FAILED : SIM_EXIT_OK;
}

static bool color_wanted(const cli *c)
{
    if (c->color >= 0) return c->color == 1;
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0') return false;
    int fd = fileno(c->out);
    return fd >= 0 && isatty(fd);
}

static int command_run(cli *c, int argc, char **argv)
{
    int code = parse_run_args(c, argc, argv);
    if (code >= 0) return code;
    c->use_color = color_wanted(c);
    file_list files = {0};
    code = collect_files(c, &files);
    if (code < 0) code = run_all(c, &files);
    files_free(&files);
    return code;
}

int sim_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    cli c = {.out = out, .err = err, .run = sim_run_options_default(), .color = -1};
    int code;
    if (argc < 2) {
        fputs(usage_text, err);
        code = SIM_EXIT_USAGE;
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
               strcmp(argv[1], "help") == 0) {
        fputs(usage_text, out);
        code = SIM_EXIT_OK;
    } else if (strcmp(argv[1], "--version") == 0) {
        fprintf(out, "portsim %s\n", PORTSIM_VERSION);
        code = SIM_EXIT_OK;
    } else if (strcmp(argv[1], "run") == 0) {
        code = command_run(&c, argc, argv);
    } else {
        code = usage_error(&c, "unknown command", argv[1]);
    }
    free(c.paths);
    fflush(out);
    fflush(err);
    return code;
}
