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

#ifdef PORTSIM_HAVE_CONFORM
#include "conf_cli.h" /* conform, mutants: conformance/ */
#endif
#include "rep_html.h"
#include "rep_junit.h"
#include "rep_tap.h"
#include "sim_cli_internal.h"
#include "sim_explore.h"
#include "sim_json.h"

#define MAX_FILES 100000u
#define SCHEDULE_MAX 65536u

static const char usage_text[] =
    "usage: portsim run [options] PATH...        run scenarios on the model and check them\n"
    "       portsim replay [options] FILE        rerun one scenario exactly, trace printed\n"
    "       portsim explore [options] PATH...    run scenarios under many schedules\n"
    "       portsim shrink [options] -o OUT FILE reduce a failing scenario\n"
    "       portsim coverage PATH...             which SEMANTICS.md rules the scenarios cover\n"
    "       portsim conform --backend NAME|--agent PATH [options] PATH...\n"
    "                                            the scenarios against a real implementation\n"
    "       portsim mutants [options] PATH...    the corpus against libcfmp's mutants\n"
    "                                            (portsim conform --help for their options)\n"
    "       portsim --help | --version\n"
    "\n"
    "PATH: a scenario file, or a folder searched recursively for *.yaml / *.yml\n"
    "(in byte order).\n"
    "\n"
    "options of run, replay, explore and shrink:\n"
    "  --seed N            seed (default 1); explore: the first seed\n"
    "  --strategy NAME     fifo (canonical order, default), random, pct,\n"
    "                      schedule (with --schedule); explore: random (default),\n"
    "                      pct or exhaustive\n"
    "  --profile NAME      ventura or cf-1153 (default: each scenario's own)\n"
    "  --pct-depth D       pct: bug depth, D-1 priority change points (default 3)\n"
    "  --pct-steps K       pct: expected number of choice points (default 1000)\n"
    "  --schedule PICKS    schedule: the picks a failure printed (e.g. _3.2._1.1)\n"
    "  --latency           deadline ties: also choose message latencies 1 ns before,\n"
    "                      at and 1 ns after pending deadlines\n"
    "options of run and replay:\n"
    "  --trace             print the canonical trace (replay: always)\n"
    "  --json FILE         write the results as versioned JSON to FILE\n"
    "  --junit FILE        write JUnit XML to FILE (one testcase per scenario)\n"
    "  --tap               write TAP to stdout (the result lines go to stderr)\n"
    "  --tap-version N     14 (default) or 13 (for Perl's prove, which rejects 14)\n"
    "  --html FILE         write a self-contained HTML report with sequence diagrams\n"
    "  --color, --no-color force colour on or off (default: on a terminal,\n"
    "                      unless NO_COLOR is set)\n"
    "options of explore:\n"
    "  --seeds N           runs per scenario for random and pct (default 1000)\n"
    "  --depth D           exhaustive: choice points branched (default 200, max 1024)\n"
    "  --schedules N       exhaustive: at most N runs per scenario (default 100000)\n"
    "  -j N, --jobs N      run on N threads; the results equal -j 1's\n"
    "  --shard K/N         run the K-th of N parts of the seeds (or, exhaustive,\n"
    "                      of the files) for CI matrices\n"
    "  --stop-at-failure   stop a scenario at its first failing run\n"
    "  --json FILE         as for run\n"
    "options of shrink:\n"
    "  -o FILE, --output FILE  where to write the smaller scenario (required)\n"
    "  --max-runs N        give up after N candidate runs (default 20000)\n"
    "\n"
    "exit status: 0 all passed, 1 a check failed, 2 a usage or input error.\n"
    "Every failure prints a replay command that reproduces it exactly.\n"
    "The scenario format: docs/scenario-format.md.\n";

void sim_cli_files_free(sim_file_list *f)
{
    for (size_t i = 0; i < f->count; i++) free(f->items[i]);
    free(f->items);
    memset(f, 0, sizeof *f);
}

static bool files_add(sim_file_list *f, char *path)
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

int sim_cli_usage_error(sim_cli *c, const char *what, const char *arg)
{
    fprintf(c->err, "portsim: %s%s%s%s\nTry 'portsim --help'.\n", what, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "");
    return SIM_EXIT_USAGE;
}

static bool parse_u64(const char *text, uint64_t *out)
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

static int parse_strategy(sim_cli *c, const char *v)
{
    bool explore = strcmp(c->command, "explore") == 0;
    if (explore && strcmp(v, "exhaustive") == 0) {
        c->exhaustive = true;
        c->run.strategy = SIM_STRATEGY_SCHEDULE;
        return -1;
    }
    uint8_t s = sim_strategy_by_name(v);
    if (s == 0 || (explore && s != SIM_STRATEGY_RANDOM && s != SIM_STRATEGY_PCT)) {
        return sim_cli_usage_error(
            c, explore ? "unknown strategy (random, pct or exhaustive):"
                       : "unknown strategy (fifo, random, pct or schedule):", v);
    }
    c->run.strategy = s;
    return -1;
}

static int parse_schedule(sim_cli *c, const char *v)
{
    free(c->schedule);
    c->schedule = calloc(SCHEDULE_MAX, sizeof *c->schedule);
    uint32_t n = 0;
    if (c->schedule == NULL || !sim_schedule_parse(v, c->schedule, SCHEDULE_MAX, &n)) {
        return sim_cli_usage_error(c, "bad schedule (picks like _3.2._1.1):", v);
    }
    c->run.schedule = c->schedule;
    c->run.schedule_count = n;
    if (c->run.strategy == SIM_STRATEGY_FIFO) c->run.strategy = SIM_STRATEGY_SCHEDULE;
    return -1;
}

static int parse_shard(sim_cli *c, const char *v)
{
    unsigned k = 0, n = 0;
    char extra = 0;
    if (sscanf(v, "%u/%u%c", &k, &n, &extra) != 2 || n == 0 || k == 0 || k > n) {
        return sim_cli_usage_error(c, "bad shard (K/N with 1 <= K <= N):", v);
    }
    c->shard_index = k - 1;
    c->shard_count = n;
    return -1;
}

typedef struct option_spec {
    const char *name;
    uint32_t group;
} option_spec;

static const option_spec value_options[] = {
    {"--seed", SIM_OPT_RUN},         {"--strategy", SIM_OPT_RUN},
    {"--profile", SIM_OPT_RUN},      {"--pct-depth", SIM_OPT_RUN},
    {"--pct-steps", SIM_OPT_RUN},    {"--schedule", SIM_OPT_RUN},
    {"--json", SIM_OPT_REPORT},      {"--junit", SIM_OPT_REPORT},
    {"--html", SIM_OPT_REPORT},      {"--tap-version", SIM_OPT_REPORT},
    {"--seeds", SIM_OPT_EXPLORE},
    {"--depth", SIM_OPT_EXPLORE},    {"--schedules", SIM_OPT_EXPLORE},
    {"--jobs", SIM_OPT_EXPLORE},     {"-j", SIM_OPT_EXPLORE},
    {"--shard", SIM_OPT_EXPLORE},    {"--output", SIM_OPT_OUTPUT},
    {"-o", SIM_OPT_OUTPUT},          {"--max-runs", SIM_OPT_OUTPUT},
};

static int set_number(sim_cli *c, const char *name, const char *v)
{
    uint64_t n = 0;
    if (!parse_u64(v, &n)) {
        return sim_cli_usage_error(c, strcmp(name, "--seed") == 0 ? "bad seed (a decimal number):"
                                                                  : "not a number:", v);
    }
    if (strcmp(name, "--seed") == 0) c->run.seed = n;
    else if (strcmp(name, "--pct-depth") == 0 && n >= 1 && n <= SIM_PCT_DEPTH_MAX) c->run.pct_depth = (uint32_t)n;
    else if (strcmp(name, "--pct-steps") == 0 && n >= 1) c->run.pct_steps = n;
    else if (strcmp(name, "--seeds") == 0 && n >= 1) c->seeds = n;
    else if (strcmp(name, "--depth") == 0 && n >= 1 && n <= 1024) c->depth = (uint32_t)n;
    else if (strcmp(name, "--schedules") == 0 && n >= 1) c->schedules = n;
    else if ((strcmp(name, "--jobs") == 0 || strcmp(name, "-j") == 0) && n >= 1 && n <= 256) c->jobs = (uint32_t)n;
    else if (strcmp(name, "--max-runs") == 0 && n >= 1) c->max_runs = n;
    else if (strcmp(name, "--tap-version") == 0 && (n == 13 || n == 14)) c->tap_version = (uint32_t)n;
    else return sim_cli_usage_error(c, "value out of range for", name);
    return -1;
}

static int parse_value_option(sim_cli *c, int argc, char **argv, int *i, uint32_t allowed)
{
    const char *arg = argv[*i];
    for (size_t k = 0; k < sizeof value_options / sizeof value_options[0]; k++) {
        const char *name = value_options[k].name;
        if (!is_option(arg, name)) continue;
        if (!(value_options[k].group & allowed)) break;
        const char *v = option_value(argc, argv, i, name);
        if (v == NULL) return sim_cli_usage_error(c, "this option needs a value:", name);
        if (strcmp(name, "--strategy") == 0) return parse_strategy(c, v);
        if (strcmp(name, "--schedule") == 0) return parse_schedule(c, v);
        if (strcmp(name, "--shard") == 0) return parse_shard(c, v);
        if (strcmp(name, "--profile") == 0) {
            c->run.profile = (uint8_t)cm_profile_by_name(v);
            return c->run.profile ? -1 : sim_cli_usage_error(c, "unknown profile (ventura or cf-1153):", v);
        }
        if (strcmp(name, "--json") == 0) c->json = v;
        else if (strcmp(name, "--junit") == 0) c->junit = v;
        else if (strcmp(name, "--html") == 0) c->html = v;
        else if (strcmp(name, "--output") == 0 || strcmp(name, "-o") == 0) c->output = v;
        else return set_number(c, name, v);
        return -1;
    }
    return sim_cli_usage_error(c, "unknown option", arg);
}

static int parse_flag(sim_cli *c, const char *arg, uint32_t allowed, bool *matched)
{
    *matched = true;
    if ((allowed & SIM_OPT_REPORT) && strcmp(arg, "--trace") == 0) {
        c->trace = true;
    } else if ((allowed & SIM_OPT_REPORT) && strcmp(arg, "--tap") == 0) {
        c->tap = true;
    } else if ((allowed & (SIM_OPT_REPORT | SIM_OPT_EXPLORE)) &&
               (strcmp(arg, "--color") == 0 || strcmp(arg, "--no-color") == 0)) {
        c->color = arg[2] == 'c';
    } else if ((allowed & SIM_OPT_RUN) && strcmp(arg, "--latency") == 0) {
        c->run.explore_latency = true;
    } else if ((allowed & SIM_OPT_EXPLORE) && strcmp(arg, "--stop-at-failure") == 0) {
        c->stop_at_failure = true;
    } else {
        *matched = false;
    }
    return -1;
}

int sim_cli_parse(sim_cli *c, int argc, char **argv, uint32_t allowed, const char *usage)
{
    c->paths = calloc((size_t)argc + 1, sizeof *c->paths);
    if (c->paths == NULL) return SIM_EXIT_USAGE;
    bool options_done = false;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        bool matched = false;
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            c->paths[c->path_count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, c->out);
            return SIM_EXIT_OK;
        } else {
            parse_flag(c, arg, allowed, &matched);
            if (matched) continue;
            int r = parse_value_option(c, argc, argv, &i, allowed);
            if (r >= 0) return r;
        }
    }
    if (c->run.strategy == SIM_STRATEGY_SCHEDULE && c->run.schedule == NULL && !c->exhaustive) {
        return sim_cli_usage_error(c, "the schedule strategy needs --schedule", NULL);
    }
    if (c->path_count == 0) {
        char what[64];
        snprintf(what, sizeof what, "%s needs at least one PATH", c->command);
        return sim_cli_usage_error(c, what, NULL);
    }
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
static bool scan_dir(sim_cli *c, const char *dir, sim_file_list *work, sim_file_list *out)
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
static bool scan_tree(sim_cli *c, const char *root, sim_file_list *out)
{
    sim_file_list work = {0};
    size_t first = out->count;
    bool ok = files_add(&work, sim_strdup(root));
    while (ok && work.count > 0) {
        char *dir = work.items[--work.count];
        ok = scan_dir(c, dir, &work, out);
        free(dir);
    }
    sim_cli_files_free(&work);
    qsort(out->items + first, out->count - first, sizeof *out->items, path_cmp);
    return ok;
}

int sim_cli_collect(sim_cli *c, sim_file_list *out)
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

const char *sim_cli_paint(const sim_cli *c, uint8_t verdict)
{
    if (!c->use_color) return "";
    switch (verdict) {
    case SIM_VERDICT_PASS: return "\033[32m";
    case SIM_VERDICT_SKIP: return "\033[33m";
    default: return "\033[1;31m";
    }
}

const char *sim_cli_plain(const sim_cli *c)
{
    return c->use_color ? "\033[0m" : "";
}

void sim_cli_print_failure(const sim_cli *c, const sim_result *r, const sim_failure *f)
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

void sim_cli_print_result(const sim_cli *c, const sim_result *r)
{
    const char *on = sim_cli_paint(c, r->verdict), *off = sim_cli_plain(c);
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
    for (uint32_t i = 0; i < r->failure_count; i++) sim_cli_print_failure(c, r, &r->failures[i]);
    if (r->verdict != SIM_VERDICT_PASS && r->replay != NULL) {
        fprintf(c->out, "    replay: %s\n", r->replay);
    }
}

static void trace_to_out(void *ctx, const char *line)
{
    const sim_cli *c = ctx;
    fprintf(c->out, "%s\n", line);
}

/* ---- running ------------------------------------------------------------------- */

bool sim_cli_load(sim_cli *c, const char *path, sim_scenario *sc, sim_result *res)
{
    sim_diag diag;
    sim_diag_init(&diag, path);
    bool ok = sim_load_file(path, sc, &diag);
    if (!ok) {
        sim_diag_sort(&diag);
        sim_diag_print(&diag, c->err);
        sim_result_from_diag(&diag, res);
    }
    sim_diag_fini(&diag);
    return ok;
}

static void run_file(sim_cli *c, const char *path, sim_result *res)
{
    sim_scenario sc;
    if (!sim_cli_load(c, path, &sc, res)) return;
    sim_run_options opt = c->run;
    if (c->trace) {
        opt.trace_line = trace_to_out;
        opt.trace_ctx = c;
    }
    opt.keep_obs = c->html != NULL;
    sim_run_model(&sc, &opt, res);
    sim_scenario_free(&sc);
}

typedef enum report_kind { REPORT_JSON, REPORT_JUNIT, REPORT_HTML, REPORT_TAP } report_kind;

static bool write_report(const sim_cli *c, report_kind kind, FILE *f, const sim_result *results,
                         uint32_t count)
{
    sim_run_info info = {.command = c->command, .version = PORTSIM_VERSION, .seed = c->run.seed,
                         .strategy = sim_strategy_name(c->run.strategy),
                         .profile = c->run.profile ? cm_profile_name(c->run.profile) : NULL,
                         .backend = "model"};
    switch (kind) {
    case REPORT_JSON: return sim_json_write(f, &info, results, count);
    case REPORT_JUNIT: return rep_junit_write(f, &info, results, count);
    case REPORT_HTML: {
        rep_html_options o = rep_html_options_default();
        return rep_html_write(f, &info, results, count, &o);
    }
    case REPORT_TAP: {
        rep_tap_options o = rep_tap_options_default();
        if (c->tap_version != 0) o.version = c->tap_version;
        return rep_tap_write(f, &info, results, count, &o);
    }
    }
    return false;
}

/* Writes one report file; returns -1 to go on, or an exit code. */
static int write_file(sim_cli *c, report_kind kind, const char *path, const sim_result *results,
                      uint32_t count)
{
    if (path == NULL) return -1;
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(c->err, "portsim: %s: %s\n", path, strerror(errno));
        return SIM_EXIT_USAGE;
    }
    bool ok = write_report(c, kind, f, results, count);
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(c->err, "portsim: %s: write error\n", path);
        return SIM_EXIT_USAGE;
    }
    return -1;
}

static int write_reports(sim_cli *c, const sim_result *results, uint32_t count, FILE *stdout_stream)
{
    int code = write_file(c, REPORT_JSON, c->json, results, count);
    if (code < 0) code = write_file(c, REPORT_JUNIT, c->junit, results, count);
    if (code < 0) code = write_file(c, REPORT_HTML, c->html, results, count);
    if (code < 0 && c->tap && !write_report(c, REPORT_TAP, stdout_stream, results, count)) {
        fprintf(c->err, "portsim: stdout: write error\n");
        code = SIM_EXIT_USAGE;
    }
    return code;
}

static int run_all(sim_cli *c, const sim_file_list *files)
{
    sim_result *results = calloc(files->count + 1, sizeof *results);
    if (results == NULL) return SIM_EXIT_USAGE;
    uint32_t passed = 0, failed = 0, skipped = 0, errors = 0;
    for (size_t i = 0; i < files->count; i++) {
        run_file(c, files->items[i], &results[i]);
        sim_cli_print_result(c, &results[i]);
        switch (results[i].verdict) {
        case SIM_VERDICT_PASS: passed++; break;
        case SIM_VERDICT_SKIP: skipped++; break;
        case SIM_VERDICT_ERROR: errors++; break;
        default: failed++; break;
        }
    }
    fprintf(c->out, "%u passed, %u failed, %u skipped\n", passed, failed + errors, skipped);
    fflush(c->out);
    int code = write_reports(c, results, (uint32_t)files->count, c->tap_out);
    for (size_t i = 0; i < files->count; i++) sim_result_free(&results[i]);
    free(results);
    if (code >= 0) return code;
    if (errors > 0) return SIM_EXIT_USAGE;
    return failed > 0 ? SIM_EXIT_FAILED : SIM_EXIT_OK;
}

bool sim_cli_color_wanted(const sim_cli *c)
{
    if (c->color >= 0) return c->color == 1;
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0') return false;
    int fd = fileno(c->out);
    return fd >= 0 && isatty(fd);
}

/* run, and replay (one file, the trace printed). */
static int command_run(sim_cli *c, int argc, char **argv)
{
    int code = sim_cli_parse(c, argc, argv, SIM_OPT_RUN | SIM_OPT_REPORT, usage_text);
    if (code >= 0) return code;
    if (strcmp(c->command, "replay") == 0) {
        if (c->path_count != 1) return sim_cli_usage_error(c, "replay takes exactly one FILE", NULL);
        c->trace = true;
    }
    c->tap_out = c->out;
    if (c->tap) {
        if (c->trace) return sim_cli_usage_error(c, "--tap and --trace both want stdout", NULL);
        c->out = c->err; /* stdout is the TAP stream */
    }
    c->use_color = sim_cli_color_wanted(c);
    sim_file_list files = {0};
    code = sim_cli_collect(c, &files);
    if (code < 0) code = run_all(c, &files);
    sim_cli_files_free(&files);
    return code;
}

static int dispatch(sim_cli *c, int argc, char **argv)
{
    const char *cmd = argv[1];
    c->command = cmd;
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, c->out);
        return SIM_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        fprintf(c->out, "portsim %s\n", PORTSIM_VERSION);
        return SIM_EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "replay") == 0) return command_run(c, argc, argv);
    if (strcmp(cmd, "explore") == 0) return sim_cli_explore(c, argc, argv);
    if (strcmp(cmd, "shrink") == 0) return sim_cli_shrink(c, argc, argv);
    if (strcmp(cmd, "coverage") == 0) return sim_cli_coverage(c, argc, argv);
#ifdef PORTSIM_HAVE_CONFORM
    if (strcmp(cmd, "conform") == 0 || strcmp(cmd, "mutants") == 0) {
        fflush(c->out);
        fflush(c->err);
        return conf_cli_main(argc, argv); /* writes to stdout / stderr itself */
    }
#endif
    return sim_cli_usage_error(c, "unknown command", cmd);
}

const char *sim_cli_usage(void)
{
    return usage_text;
}

int sim_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    sim_cli c = {.out = out, .err = err, .command = "run", .run = sim_run_options_default(),
                 .color = -1, .seeds = 1000, .depth = 200, .schedules = 100000, .jobs = 1,
                 .shard_count = 1, .max_runs = 20000};
    int code;
    if (argc < 2) {
        fputs(usage_text, err);
        code = SIM_EXIT_USAGE;
    } else {
        code = dispatch(&c, argc, argv);
    }
    free(c.paths);
    free(c.schedule);
    fflush(out);
    fflush(err);
    return code;
}
