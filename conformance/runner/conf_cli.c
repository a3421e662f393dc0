/*
 * conf_cli.c — `portsim conform` and `portsim mutants` (see conf_cli.h and
 * docs/agent-protocol.md §9).
 */
#define _POSIX_C_SOURCE 200809L
#include "conf_cli.h"

#include "conf_runner.h"
#include "rep_html.h"
#include "rep_junit.h"
#include "rep_tap.h"
#include "sim_json.h"
#include "sim_load.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Failing runs the host disturbed are made again, at most this many times per scenario. */
#define MAX_DISTURBED_RETRIES 2u

#ifndef CONF_EXPECT_DIR
#define CONF_EXPECT_DIR ""
#endif

static const char usage_text[] =
    "usage: portsim conform (--backend NAME | --agent PATH) [options] PATH...\n"
    "       portsim mutants [options] PATH...\n"
    "\n"
    "conform runs scenario files (or every *.yaml / *.yml under a folder) against a\n"
    "real implementation: one agent process per scenario process, one thread per\n"
    "scenario thread, real IPC, real time (docs/agent-protocol.md).\n"
    "\n"
    "backends: model (the core behind the protocol), posix (libcfmp), apple (macOS only);\n"
    "          --agent PATH runs any executable that speaks the agent protocol.\n"
    "\n"
    "options:\n"
    "  --time-scale X        real seconds per virtual second (default 1)\n"
    "  --tolerance-ms N      timing tolerance, absolute part (default 15 ms)\n"
    "  --tolerance-pct P     timing tolerance, relative part (default 15 %);\n"
    "                        an elapsed window [a, b] is checked as [a - tol(a), b + tol(b)]\n"
    "                        with tol(d) = max(N ms / time-scale, P % of d)\n"
    "  --repeat N            run each scenario N times: flaky (mixed) vs broken (always)\n"
    "  --explore N           random schedules the model explores for allowed outcomes (64)\n"
    "  --max-latency-ms N    explored message latencies stay below N ms (2)\n"
    "  --expect FILE         expectation file (default conformance/expect/BACKEND.yaml)\n"
    "  --no-expect           ignore expectation files\n"
    "  --profile NAME        ventura or cf-1153 (default: each scenario's own)\n"
    "  --seed N              seed of the model's exploration (default 1)\n"
    "  --max-duration S      skip scenarios that would take longer (default 60 s)\n"
    "  --timeout-multiplier X  scales handshake and grace times (slow builds)\n"
    "  --json FILE           write the results as versioned JSON (sim/sim_json.h)\n"
    "  --junit FILE, --tap FILE, --html FILE   the same results as JUnit XML, TAP 14, or a\n"
    "                        self-contained HTML report with sequence diagrams (reports/)\n"
    "  --verbose             show agents' logs and stderr\n"
    "  --protocol-log FILE   write every protocol line sent (<-) and received (->) to FILE\n"
    "  --color, --no-color\n"
    "mutants only:\n"
    "  --agents-dir DIR      where portsim_agent_posix_mN live (default: this build)\n"
    "  --first-kill          stop a mutant's run at the first scenario that kills it\n"
    "\n"
    "exit status: 0 all passed (or skipped or expected), 1 a check failed,\n"
    "2 a usage or input error, 130 interrupted.\n";

typedef struct cli {
    conf_options opt;
    const char *backend_name;
    bool agent_given;
    const char *agents_dir;
    const char *junit;
    const char *tap;
    const char *html;
    const char *protocol_log;
    bool first_kill;
    char **paths;
    size_t path_count;
    bool use_color;
} cli;

typedef struct files {
    char **items;
    size_t count;
    size_t cap;
} files;

/* ---- arguments -------------------------------------------------------------------------- */

static int usage(const char *what, const char *arg)
{
    fprintf(stderr, "portsim: %s%s%s%s\nTry 'portsim conform --help'.\n", what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return CONF_EXIT_USAGE;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

static bool parse_u64(const char *s, uint64_t hi, uint64_t *out)
{
    if (s[0] < '0' || s[0] > '9') return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > hi) return false;
    *out = v;
    return true;
}

static const char *value_of(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0' || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

static bool is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Returns -1 to go on, or an exit code. */
static int parse_value(cli *c, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--backend", "--agent", "--time-scale", "--tolerance-ms",
                                        "--tolerance-pct", "--repeat", "--explore", "--max-latency-ms",
                                        "--expect", "--profile", "--seed", "--max-duration",
                                        "--timeout-multiplier", "--json", "--agents-dir",
                                        "--junit", "--tap", "--html", "--protocol-log"};
    const char *arg = argv[*i];
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (!is_opt(arg, names[k])) continue;
        const char *v = value_of(argc, argv, i, names[k]);
        if (v == NULL) return usage("this option needs a value:", names[k]);
        double d = 0;
        uint64_t u = 0;
        bool ok = true;
        switch (k) {
        case 0: c->backend_name = v; break;
        case 1:
            snprintf(c->opt.agent_path, sizeof c->opt.agent_path, "%s", v);
            c->agent_given = true;
            break;
        case 2: ok = parse_double(v, 0.01, 1000, &c->opt.time_scale); break;
        case 3: ok = parse_double(v, 0, 100000, &d), c->opt.tol_abs_ns = (int64_t)(d * 1e6); break;
        case 4: ok = parse_double(v, 0, 1000, &d), c->opt.tol_rel = d / 100.0; break;
        case 5: ok = parse_u64(v, 1000, &u) && u > 0, c->opt.repeat = (uint32_t)u; break;
        case 6: ok = parse_u64(v, 100000, &u), c->opt.explore = (uint32_t)u; break;
        case 7: ok = parse_double(v, 0, 100000, &d), c->opt.max_latency_ns = (int64_t)(d * 1e6); break;
        case 8: c->opt.expect_path = v; break;
        case 9: ok = (c->opt.profile = (uint8_t)cm_profile_by_name(v)) != 0; break;
        case 10: ok = parse_u64(v, UINT64_MAX, &c->opt.seed); break;
        case 11: ok = parse_double(v, 0.001, 86400, &d), c->opt.max_duration_ns = (int64_t)(d * 1e9); break;
        case 12: ok = parse_double(v, 0.1, 1000, &c->opt.timeout_multiplier); break;
        case 13: c->opt.json = v; break;
        case 14: c->agents_dir = v; break;
        case 15: c->junit = v; break;
        case 16: c->tap = v; break;
        case 17: c->html = v; break;
        case 18: c->protocol_log = v; break;
        default: break;
        }
        if (!ok) return usage("bad value for", names[k]);
        return -1;
    }
    return usage("unknown option", arg);
}

static int parse_args(cli *c, int argc, char **argv, bool mutants)
{
    c->paths = calloc((size_t)argc + 1, sizeof *c->paths);
    if (c->paths == NULL) return CONF_EXIT_USAGE;
    bool done = false;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            c->paths[c->path_count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            done = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage_text, stdout);
            return CONF_EXIT_OK;
        } else if (strcmp(arg, "--no-expect") == 0) {
            c->opt.no_expect = true;
        } else if (strcmp(arg, "--verbose") == 0) {
            c->opt.verbose = true;
        } else if (strcmp(arg, "--first-kill") == 0) {
            c->first_kill = true;
        } else if (strcmp(arg, "--color") == 0 || strcmp(arg, "--no-color") == 0) {
            c->opt.color = arg[2] == 'c';
        } else {
            int r = parse_value(c, argc, argv, &i);
            if (r >= 0) return r;
        }
    }
    if (c->path_count == 0) return usage(mutants ? "mutants needs at least one PATH" : "conform needs at least one PATH", NULL);
    if (mutants) {
        c->backend_name = "posix";
        c->opt.backend = conf_backend_find("posix");
        return -1;
    }
    if ((c->backend_name != NULL) == c->agent_given) return usage("give exactly one of --backend NAME and --agent PATH", NULL);
    if (c->agent_given) {
        c->opt.backend = &conf_backend_agent;
    } else if ((c->opt.backend = conf_backend_find(c->backend_name)) == NULL) {
        return usage("unknown backend (model, posix or apple):", c->backend_name);
    }
    return -1;
}

/* ---- files -------------------------------------------------------------------------------- */

static void files_free(files *f)
{
    for (size_t i = 0; i < f->count; i++) free(f->items[i]);
    free(f->items);
    memset(f, 0, sizeof *f);
}

static bool files_add(files *f, char *path)
{
    if (path == NULL) return false;
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        char **grown = realloc(f->items, cap * sizeof *grown);
        if (grown == NULL) {
            free(path);
            return false;
        }
        f->items = grown;
        f->cap = cap;
    }
    f->items[f->count++] = path;
    return true;
}

static bool yaml_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int path_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool scan_tree(const char *root, files *out)
{
    files work = {0};
    size_t first = out->count;
    bool ok = files_add(&work, sim_strdup(root));
    while (ok && work.count > 0 && out->count < 100000) {
        char *dir = work.items[--work.count];
        DIR *d = opendir(dir);
        if (d == NULL) {
            fprintf(stderr, "portsim: %s: %s\n", dir, strerror(errno));
            ok = false;
        }
        struct dirent *ent;
        while (ok && d != NULL && (ent = readdir(d)) != NULL) {
            if (ent->d_name[0] == '.') continue;
            size_t n = strlen(dir);
            char *path = sim_strdup_printf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", ent->d_name);
            struct stat st;
            if (path == NULL || lstat(path, &st) != 0) {
                free(path);
                continue;
            }
            if (S_ISDIR(st.st_mode)) {
                ok = files_add(&work, path);
            } else if (yaml_name(ent->d_name) && S_ISREG(st.st_mode)) {
                ok = files_add(out, path);
            } else {
                free(path);
            }
        }
        if (d != NULL) closedir(d);
        free(dir);
    }
    files_free(&work);
    if (out->count - first > 1) qsort(out->items + first, out->count - first, sizeof *out->items, path_cmp);
    return ok;
}

static int collect(const cli *c, files *out)
{
    for (size_t i = 0; i < c->path_count; i++) {
        struct stat st;
        if (stat(c->paths[i], &st) != 0) {
            fprintf(stderr, "portsim: %s: %s\n", c->paths[i], strerror(errno));
            return CONF_EXIT_USAGE;
        }
        bool ok = S_ISDIR(st.st_mode) ? scan_tree(c->paths[i], out) : files_add(out, sim_strdup(c->paths[i]));
        if (!ok) return CONF_EXIT_USAGE;
    }
    if (out->count == 0) {
        fprintf(stderr, "portsim: no scenario files (*.yaml, *.yml) found\n");
        return CONF_EXIT_USAGE;
    }
    return -1;
}

/* ---- printing ------------------------------------------------------------------------------------ */

static const char *paint(const cli *c, uint8_t verdict)
{
    if (!c->use_color) return "";
    return verdict == SIM_VERDICT_PASS ? "\033[32m" : verdict == SIM_VERDICT_SKIP ? "\033[33m" : "\033[1;31m";
}

static void print_failure(const sim_result *r, const sim_failure *f)
{
    printf("    %s:%u:%u: %s: %s", r->file, f->line, f->col,
           f->kind == SIM_FAIL_INVARIANT ? "invariant" : f->kind == SIM_FAIL_RUN ? "run" : "fail",
           f->message ? f->message : "");
    if (f->expected != NULL || f->observed != NULL) {
        printf(": expected %s, observed %s", f->expected ? f->expected : "-", f->observed ? f->observed : "-");
    }
    if (f->execution != SIM_RESULT_NONE || f->time_ns != SIM_RESULT_NO_TIME) {
        printf(" (");
        if (f->execution != SIM_RESULT_NONE) printf("execution %u", f->execution + 1);
        if (f->time_ns != SIM_RESULT_NO_TIME) {
            char t[40];
            sim_format_duration(f->time_ns, t, sizeof t);
            printf("%sat t=%s", f->execution != SIM_RESULT_NONE ? ", " : "", t);
        }
        printf(")");
    }
    printf("\n");
}

static void print_outcome(const cli *c, const conf_outcome *o)
{
    const sim_result *r = &o->res;
    const char *on = paint(c, r->verdict), *off = c->use_color ? "\033[0m" : "";
    const char *word = r->verdict == SIM_VERDICT_PASS ? "PASS "
                       : r->verdict == SIM_VERDICT_SKIP ? (o->expected_failure ? "XFAIL" : "SKIP ")
                       : r->verdict == SIM_VERDICT_FAIL ? "FAIL "
                                                        : "ERROR";
    if (r->scenario == NULL) {
        printf("%s%s%s %s (%u error%s)\n", on, word, off, r->file, r->failure_count, r->failure_count == 1 ? "" : "s");
    } else {
        printf("%s%s%s %s  %s:%u  %s", on, word, off, r->scenario, r->file, r->line, r->backend ? r->backend : "?");
        if (r->verdict == SIM_VERDICT_SKIP) {
            printf("  (%s)\n", r->skip_reason ? r->skip_reason : "");
        } else {
            char t[40], w[40];
            sim_format_duration(r->virtual_time_ns, t, sizeof t);
            sim_format_duration((int64_t)r->wall_time_ns, w, sizeof w);
            printf("  t=%s wall=%s", t, w);
            if (r->trace_hash != 0) printf(" hash=0x%016llx", (unsigned long long)r->trace_hash);
            const sim_realtime *rt = &r->rt;
            if (rt->has_margin) {
                char m[48];
                sim_format_margin(rt->margin_ns, m, sizeof m);
                printf("  closest deadline margin %s (line %u)", m, rt->margin_line);
            }
            if (rt->runs > 1) printf("  [%u/%u runs failed%s]", rt->failed_runs, rt->runs,
                                     rt->failed_runs > 0 && rt->failed_runs < rt->runs ? ": FLAKY" : "");
            printf("\n");
        }
    }
    for (uint32_t i = 0; i < r->failure_count; i++) print_failure(r, &r->failures[i]);
    for (uint32_t i = 0; i < r->rt.note_count; i++) printf("    note: %s\n", r->rt.notes[i]);
    bool show_load = c->opt.verbose || r->verdict == SIM_VERDICT_FAIL || r->verdict == SIM_VERDICT_ERROR;
    for (uint32_t i = 0; show_load && i < o->load_note_count; i++) printf("    note: %s\n", o->load_notes[i]);
    if ((r->verdict == SIM_VERDICT_FAIL || (r->verdict == SIM_VERDICT_SKIP && o->expected_failure)) && r->replay) {
        if (r->rt.timing_failures > 0) {
            printf("    %u failure(s) look timing-sensitive (close to a deadline)\n", r->rt.timing_failures);
        }
        printf("    replay: %s\n", r->replay);
    }
    fflush(stdout);
}

/* ---- one scenario ------------------------------------------------------------------------------ */

typedef struct context {
    cli *c;
    conf_agent_info info;
    conf_expectations expect;
    bool have_expect;
} context;

static void skip_outcome(const context *x, const sim_scenario *sc, conf_outcome *o, const char *reason)
{
    conf_result_describe(sc, &x->c->opt, &x->info, &o->res);
    o->res.verdict = SIM_VERDICT_SKIP;
    o->res.skip_reason = sim_strdup(reason);
}

static void error_outcome(const context *x, const sim_scenario *sc, conf_outcome *o, const char *message)
{
    conf_result_describe(sc, &x->c->opt, &x->info, &o->res);
    sim_result_add_failure(&o->res, SIM_FAIL_RUN, sc->loc.line ? sc->loc.line : 1, 1, message, NULL, NULL);
    o->res.verdict = SIM_VERDICT_ERROR;
}

/* Why a scenario does not run here, or NULL. */
static const char *skip_reason(const context *x, const sim_scenario *sc, char *buf, size_t cap)
{
    const conf_options *opt = &x->c->opt;
    const char *backend = opt->backend->name;
    const char *reason = sim_scenario_skip_reason(sc, backend, sim_scenario_profile_id(sc, opt->profile));
    if (reason != NULL) return reason;
    const conf_expect_entry *e = x->have_expect ? conf_expect_skip(&x->expect, sc) : NULL;
    if (e != NULL) {
        snprintf(buf, cap, "skipped on %s by %s:%u: %s", backend, x->expect.path, e->src_line, e->reason);
        return buf;
    }
    uint32_t missing = conf_scenario_needs(sc) & ~x->info.caps;
    if (!x->info.world && missing != 0) {
        uint32_t bit = missing & (~missing + 1);
        snprintf(buf, cap, "needs capability '%s', which %s %s does not have", conf_cap_name(bit),
                 x->info.implementation, x->info.version);
        return buf;
    }
    return NULL;
}

static void aggregate_flaky(context *x, const sim_scenario *sc, conf_outcome *o)
{
    (void)x;
    const sim_realtime *rt = &o->res.rt;
    if (rt->failed_runs == 0 || rt->failed_runs == rt->runs) return;
    char text[160];
    snprintf(text, sizeof text, "flaky: failed %u of %u runs (the failures above are from a failing run)",
             rt->failed_runs, rt->runs);
    sim_result_add_failure(&o->res, SIM_FAIL_RUN, sc->loc.line ? sc->loc.line : 1, 1, text, NULL, NULL);
    o->res.verdict = SIM_VERDICT_FAIL;
}

/* For the HTML report's sequence diagrams: the run's observation and the actors' names. */
static void keep_obs(const sim_scenario *sc, conf_run *run, sim_result *res)
{
    res->obs = malloc(sizeof *res->obs);
    res->process_names = calloc((size_t)sc->process_count + 1, sizeof *res->process_names);
    res->thread_names = calloc((size_t)sc->process_count + 1, sizeof *res->thread_names);
    res->thread_counts = calloc((size_t)sc->process_count + 1, sizeof *res->thread_counts);
    if (res->obs == NULL || res->process_names == NULL || res->thread_names == NULL || res->thread_counts == NULL) {
        free(res->obs);
        res->obs = NULL;
        return;
    }
    *res->obs = run->obs; /* moved */
    sim_obs_init(&run->obs);
    res->process_count = sc->process_count;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        const sim_process *proc = &sc->processes[p];
        res->process_names[p] = sim_strdup(proc->name);
        res->thread_names[p] = calloc((size_t)proc->thread_count + 1, sizeof *res->thread_names[p]);
        if (res->thread_names[p] == NULL) continue;
        res->thread_counts[p] = proc->thread_count;
        for (uint32_t t = 0; t < proc->thread_count; t++) res->thread_names[p][t] = sim_strdup(proc->threads[t].name);
    }
}

static void run_one(context *x, const sim_scenario *sc, conf_outcome *out)
{
    cli *c = x->c;
    char buf[512];
    const char *why = skip_reason(x, sc, buf, sizeof buf);
    if (why != NULL) {
        skip_outcome(x, sc, out, why);
        return;
    }
    conf_model model;
    if (!conf_model_explore(sc, &c->opt, &model)) {
        error_outcome(x, sc, out, model.error);
        conf_model_free(&model);
        return;
    }
    double real_s = (double)model.end_ns * c->opt.time_scale / 1e9;
    if (!x->info.world && real_s * 1e9 > (double)c->opt.max_duration_ns) {
        snprintf(buf, sizeof buf, "would take %.1f s of real time (over --max-duration); use --time-scale", real_s);
        skip_outcome(x, sc, out, buf);
        conf_model_free(&model);
        return;
    }
    bool have = false;
    uint32_t retries = 0, runs = 0, failed_runs = 0;
    for (uint32_t r = 0; r < c->opt.repeat; r++) {
        conf_run run;
        conf_run_scenario(sc, &model, &c->opt, &x->info, &run);
        conf_outcome o;
        conf_judge(sc, &model, &run, &c->opt, &x->info, &o);
        if (x->have_expect) conf_expect_apply(&x->expect, sc, &o);
        bool bad = o.res.verdict == SIM_VERDICT_FAIL || o.res.verdict == SIM_VERDICT_ERROR;
        if (bad && run.disturbed && !run.interrupted && retries < MAX_DISTURBED_RETRIES) {
            /* A failure in a run the host disturbed (a process began late) measures the load,
             * not the backend: that run is discarded and made again, and says so. */
            retries++;
            r--;
            conf_outcome_free(&o);
            conf_run_free(&run);
            continue;
        }
        if (retries > 0) {
            conf_outcome_note(&o, "%u earlier run(s) failed while the host was busy (a process began late) and "
                                  "were made again", retries);
        }
        if (c->html != NULL) keep_obs(sc, &run, &o.res);
        runs++;
        bool failed = o.res.verdict == SIM_VERDICT_FAIL || o.res.verdict == SIM_VERDICT_ERROR;
        failed_runs += failed;
        /* keep the first failing run's outcome, else the last */
        if (!have || (failed && failed_runs == 1)) {
            if (have) conf_outcome_free(out);
            *out = o;
            have = true;
        } else {
            conf_outcome_free(&o);
        }
        int interrupted = run.interrupted;
        conf_run_free(&run);
        if (interrupted) break;
    }
    out->res.rt.runs = runs;
    out->res.rt.failed_runs = failed_runs;
    aggregate_flaky(x, sc, out);
    conf_model_free(&model);
}

static bool run_file(context *x, const char *path, conf_outcome *out)
{
    conf_outcome_init(out);
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_scenario sc;
    if (!sim_load_file(path, &sc, &diag)) {
        sim_diag_sort(&diag);
        sim_diag_print(&diag, stderr);
        sim_result_free(&out->res);
        sim_result_from_diag(&diag, &out->res);
        out->res.backend = x->c->opt.backend->name;
        sim_diag_fini(&diag);
        return false;
    }
    sim_diag_fini(&diag);
    run_one(x, &sc, out);
    sim_scenario_free(&sc);
    return true;
}

/* ---- the commands --------------------------------------------------------------------------------- */

static bool load_expectations(context *x)
{
    const conf_options *opt = &x->c->opt;
    if (opt->no_expect) return true;
    char path[4096];
    if (opt->expect_path != NULL) {
        snprintf(path, sizeof path, "%s", opt->expect_path);
    } else {
        const char *dir = getenv("PORTSIM_EXPECT_DIR");
        if (dir == NULL || dir[0] == '\0') dir = CONF_EXPECT_DIR;
        if (dir[0] == '\0' || opt->backend == &conf_backend_agent) return true;
        snprintf(path, sizeof path, "%s/%s.yaml", dir, opt->backend->name);
        if (access(path, R_OK) != 0) return true;
    }
    sim_diag diag;
    sim_diag_init(&diag, path);
    bool ok = conf_expect_load(path, &x->expect, &diag);
    if (!ok) {
        sim_diag_sort(&diag);
        sim_diag_print(&diag, stderr);
        conf_expect_free(&x->expect);
    }
    sim_diag_fini(&diag);
    x->have_expect = ok;
    return ok;
}

static bool color_wanted(const cli *c)
{
    if (c->opt.color >= 0) return c->opt.color == 1;
    const char *nc = getenv("NO_COLOR");
    if (nc != NULL && nc[0] != '\0') return false;
    return isatty(STDOUT_FILENO);
}

static void print_agent(const conf_agent_info *info, const char *backend)
{
    printf("backend %s: %s %s (%s clock%s); capabilities:", backend, info->implementation, info->version,
           info->clock == CONF_CLOCK_HOST ? "host" : info->clock == CONF_CLOCK_VIRTUAL ? "virtual" : "local",
           info->world ? ", world agent" : "");
    bool any = false;
    for (uint32_t bit = 1; bit <= CONF_CAPF_SANDBOX; bit <<= 1) {
        if (info->caps & bit) {
            printf(" %s", conf_cap_name(bit));
            any = true;
        }
    }
    printf("%s\n", any ? "" : " none");
}

typedef enum report_kind { REPORT_JSON, REPORT_JUNIT, REPORT_TAP, REPORT_HTML } report_kind;

/* Writes one report over the results (the same struct `portsim run` reports from). */
static int write_report(const cli *c, const conf_outcome *outs, size_t n, report_kind kind, const char *path)
{
    sim_result *results = calloc(n + 1, sizeof *results);
    if (results == NULL) return CONF_EXIT_USAGE;
    for (size_t i = 0; i < n; i++) results[i] = outs[i].res; /* shallow: written, not freed */
    FILE *f = fopen(path, "w");
    bool ok = f != NULL;
    if (ok) {
        sim_run_info info = {.command = "conform", .version = PORTSIM_VERSION, .seed = c->opt.seed,
                             .strategy = "real-time", .profile = c->opt.profile ? cm_profile_name(c->opt.profile) : NULL,
                             .backend = c->opt.backend->name};
        switch (kind) {
        case REPORT_JSON: ok = sim_json_write(f, &info, results, (uint32_t)n); break;
        case REPORT_JUNIT: ok = rep_junit_write(f, &info, results, (uint32_t)n); break;
        case REPORT_TAP: ok = rep_tap_write(f, &info, results, (uint32_t)n, NULL); break;
        case REPORT_HTML: ok = rep_html_write(f, &info, results, (uint32_t)n, NULL); break;
        }
        ok = fclose(f) == 0 && ok;
    }
    free(results);
    if (!ok) {
        fprintf(stderr, "portsim: %s: cannot write\n", path);
        return CONF_EXIT_USAGE;
    }
    return -1;
}

static int write_reports(const cli *c, const conf_outcome *outs, size_t n)
{
    const char *paths[] = {c->opt.json, c->junit, c->tap, c->html};
    int code = -1;
    for (int k = 0; k < 4; k++) {
        if (paths[k] == NULL) continue;
        int r = write_report(c, outs, n, (report_kind)k, paths[k]);
        if (r >= 0) code = r;
    }
    return code;
}

/* Runs every file; fills outs; returns the exit code. */
static int run_all(context *x, const files *list, conf_outcome *outs, bool print)
{
    uint32_t passed = 0, failed = 0, skipped = 0, errors = 0;
    size_t done = 0;
    for (size_t i = 0; i < list->count && !conf_interrupted(); i++, done++) {
        run_file(x, list->items[i], &outs[i]);
        if (print) print_outcome(x->c, &outs[i]);
        switch (outs[i].res.verdict) {
        case SIM_VERDICT_PASS: passed++; break;
        case SIM_VERDICT_SKIP: skipped++; break;
        case SIM_VERDICT_ERROR: errors++; break;
        default: failed++; break;
        }
    }
    for (size_t i = done; i < list->count; i++) conf_outcome_init(&outs[i]);
    if (print) printf("%u passed, %u failed, %u skipped\n", passed, failed + errors, skipped);
    if (conf_interrupted()) return CONF_EXIT_INTERRUPTED;
    if (errors > 0 && failed == 0) return CONF_EXIT_USAGE;
    return failed + errors > 0 ? CONF_EXIT_FAILED : CONF_EXIT_OK;
}

static int command_conform(cli *c)
{
    context x = {.c = c};
    char err[600];
    if (!conf_probe_agent(&c->opt, &x.info, err, sizeof err)) {
        fprintf(stderr, "portsim: backend %s: %s\n", c->opt.backend->name, err);
        return CONF_EXIT_USAGE;
    }
    if (!load_expectations(&x)) return CONF_EXIT_USAGE;
    files list = {0};
    int code = collect(c, &list);
    if (code >= 0) return code;
    print_agent(&x.info, c->opt.backend->name);
    conf_outcome *outs = calloc(list.count + 1, sizeof *outs);
    if (outs == NULL) {
        files_free(&list);
        return CONF_EXIT_USAGE;
    }
    code = run_all(&x, &list, outs, true);
    for (uint32_t i = 0; x.have_expect && i < x.expect.count; i++) {
        const conf_expect_entry *e = &x.expect.entries[i];
        if (c->opt.verbose && e->hits == 0 && e->runs > 0 && e->status == CONF_EXPECT_INTERMITTENT) {
            printf("note: %s:%u (%s) did not match a failure in this run\n", x.expect.path, e->src_line, e->scenario);
        }
    }
    int rc = write_reports(c, outs, list.count);
    if (rc >= 0) code = rc;
    for (size_t i = 0; i < list.count; i++) conf_outcome_free(&outs[i]);
    free(outs);
    files_free(&list);
    if (x.have_expect) conf_expect_free(&x.expect);
    return code;
}

/* ---- mutants ------------------------------------------------------------------------------------------ */

#include "cfmp_mutants.h"

typedef struct mutant {
    int id;
    const char *name;
    const char *rule;
    const char *about;
} mutant;

#define MUTANT_ROW(id, name, rule, about) {id, #name, rule, about},
static const mutant mutants[] = {CFMP_MUTANT_LIST(MUTANT_ROW)};

#ifndef CONF_MUTANT_DIR
#define CONF_MUTANT_DIR ""
#endif

static int command_mutants(cli *c)
{
    context x = {.c = c};
    if (!load_expectations(&x)) return CONF_EXIT_USAGE;
    files list = {0};
    int code = collect(c, &list);
    if (code >= 0) return code;
    const char *dir = c->agents_dir != NULL ? c->agents_dir : CONF_MUTANT_DIR;
    size_t n = sizeof mutants / sizeof mutants[0];
    conf_outcome *outs = calloc(list.count + 1, sizeof *outs);
    bool *baseline_ok = calloc(list.count + 1, sizeof *baseline_ok);
    uint32_t killed = 0, tested = 0;
    char err[600];
    /* The unmutated agent first: a scenario that fails there kills nothing. */
    if (outs == NULL || baseline_ok == NULL || !conf_probe_agent(&c->opt, &x.info, err, sizeof err)) {
        fprintf(stderr, "portsim: the posix agent: %s\n", outs ? err : "out of memory");
        code = CONF_EXIT_USAGE;
        goto done;
    }
    printf("baseline (libcfmp, no mutant):\n");
    run_all(&x, &list, outs, false);
    uint32_t usable = 0;
    for (size_t i = 0; i < list.count; i++) {
        baseline_ok[i] = outs[i].res.verdict == SIM_VERDICT_PASS;
        usable += baseline_ok[i];
        if (outs[i].res.verdict == SIM_VERDICT_FAIL || outs[i].res.verdict == SIM_VERDICT_ERROR) {
            printf("  baseline fails %s: it cannot kill mutants\n", list.items[i]);
        }
        conf_outcome_free(&outs[i]);
    }
    printf("  %u of %zu scenarios pass on the baseline\n", usable, list.count);
    c->opt.backend = &conf_backend_agent;
    for (size_t m = 0; m < n && !conf_interrupted(); m++) {
        snprintf(c->opt.agent_path, sizeof c->opt.agent_path, "%s/portsim_agent_posix_m%d", dir, mutants[m].id);
        conf_agent_info info;
        if (!conf_probe_agent(&c->opt, &info, err, sizeof err)) {
            printf("M%-2d %-28s (%s)  NOT BUILT: %s\n", mutants[m].id, mutants[m].name, mutants[m].rule, err);
            continue;
        }
        x.info = info;
        tested++;
        printf("M%-2d %-28s (%s) %s\n", mutants[m].id, mutants[m].name, mutants[m].rule, mutants[m].about);
        uint32_t kills = 0;
        for (size_t i = 0; i < list.count && !conf_interrupted(); i++) {
            if (!baseline_ok[i]) continue;
            conf_outcome o;
            run_file(&x, list.items[i], &o);
            if (o.res.verdict == SIM_VERDICT_FAIL || o.res.verdict == SIM_VERDICT_ERROR) {
                /* A kill must reproduce: the scenario runs once more on the same mutant. */
                conf_outcome again;
                run_file(&x, list.items[i], &again);
                bool confirmed = again.res.verdict == SIM_VERDICT_FAIL || again.res.verdict == SIM_VERDICT_ERROR;
                conf_outcome_free(&again);
                kills += confirmed;
                printf("    %s %s (%s:%u: %s)\n", confirmed ? "killed by" : "one failure (not reproduced) in",
                       o.res.scenario ? o.res.scenario : list.items[i], o.res.file,
                       o.res.failure_count ? o.res.failures[0].line : 0,
                       o.res.failure_count ? o.res.failures[0].message : "?");
            }
            conf_outcome_free(&o);
            if (kills > 0 && c->first_kill) break;
        }
        if (kills > 0) {
            killed++;
        } else {
            printf("    SURVIVED: no scenario kills it\n");
        }
        fflush(stdout);
    }
    printf("kill rate: %u of %u mutants killed (%.1f%%)\n", killed, tested, tested ? 100.0 * killed / tested : 0.0);
    code = conf_interrupted() ? CONF_EXIT_INTERRUPTED : (killed == tested && tested == n ? CONF_EXIT_OK : CONF_EXIT_FAILED);
done:
    free(outs);
    free(baseline_ok);
    files_free(&list);
    if (x.have_expect) conf_expect_free(&x.expect);
    return code;
}

int conf_cli_main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    conf_options_default(&c.opt);
    if (argc < 2) {
        fputs(usage_text, stderr);
        return CONF_EXIT_USAGE;
    }
    bool mutants_cmd = strcmp(argv[1], "mutants") == 0;
    if (!mutants_cmd && strcmp(argv[1], "conform") != 0) return usage("unknown command", argv[1]);
    int code = parse_args(&c, argc, argv, mutants_cmd);
    if (code < 0) {
        c.use_color = color_wanted(&c);
        conf_platform_init();
        conf_signals_install();
        if (c.protocol_log != NULL && (c.opt.protocol_log = fopen(c.protocol_log, "w")) == NULL) {
            fprintf(stderr, "portsim: %s: cannot write\n", c.protocol_log);
            code = CONF_EXIT_USAGE;
        } else {
            code = mutants_cmd ? command_mutants(&c) : command_conform(&c);
        }
        if (c.opt.protocol_log != NULL) fclose(c.opt.protocol_log);
        conf_signals_restore();
        conf_platform_fini();
    }
    free(c.paths);
    fflush(stdout);
    fflush(stderr);
    return code;
}
