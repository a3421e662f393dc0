/*
 * cli_options.c — every option of every command, in one table per group,
 * and the one parser that reads them. The help text is made from the same
 * table, so --help cannot disagree with what is parsed.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim_explore.h"
#include "sim_load.h"

#define F(field) offsetof(cli_args, field)
#define END {NULL, NULL, 0, NULL, NULL, 0, 0, 0, NULL, 0}

static int set_color(cli_ctx *c, const char *value);
static int set_no_color(cli_ctx *c, const char *value);
static int set_profile(cli_ctx *c, const char *value);
static int set_shard(cli_ctx *c, const char *value);
static int set_against_profile(cli_ctx *c, const char *value);
static int set_tap_version(cli_ctx *c, const char *value);
static int set_max_latency_ms(cli_ctx *c, const char *value);

/* One help text for both commands' --max-latency: the same option, the same meaning. */
#define MAX_LATENCY_HELP "explored message latencies stay at or below D (default 2ms; forever: no bound)"

const cli_option cli_opts_color[] = {
    {"--color", NULL, CLI_V_FLAG, NULL, "colour the verdicts (default: on a terminal, unless NO_COLOR is set)",
     0, 0, 0, set_color, 0},
    {"--no-color", NULL, CLI_V_FLAG, NULL, "never colour", 0, 0, 0, set_no_color, 0},
    END};

const cli_option cli_opts_model[] = {
    {"--seed", NULL, CLI_V_U64, "N", "the seed (default 1; explore: the first seed)", F(seed), 0, 1.8e19, NULL,
     F(seed_given)},
    {"--strategy", NULL, CLI_V_TEXT, "NAME",
     "fifo (the canonical order, default), random, pct, or schedule (with --schedule);\n"
     "explore: random (default), pct or exhaustive",
     F(strategy), 0, 0, NULL, 0},
    {"--pct-depth", NULL, CLI_V_U32, "D", "pct: bug depth, D-1 priority change points (default 3)", F(pct_depth), 1,
     SIM_PCT_DEPTH_MAX, NULL, 0},
    {"--pct-steps", NULL, CLI_V_U64, "K", "pct: expected number of choice points (default 1000)", F(pct_steps), 1,
     1.8e19, NULL, 0},
    {"--schedule", NULL, CLI_V_TEXT, "PICKS", "schedule: the picks a failure printed (e.g. _3.2._1.1)", F(schedule),
     0, 0, NULL, 0},
    {"--latency", NULL, CLI_V_FLAG, NULL,
     "deadline ties: also choose message latencies 1 ns before, at and 1 ns after\npending deadlines",
     F(latency), 0, 0, NULL, 0},
    {"--max-latency", NULL, CLI_V_DURATION, "D", "--latency: " MAX_LATENCY_HELP, F(max_latency_ns), 0,
     1e15, NULL, F(max_latency_given)},
    END};

const cli_option cli_opts_trace[] = {
    {"--trace", NULL, CLI_V_FLAG, NULL, "print the canonical trace of each run (docs/trace.md)", F(trace), 0, 0, NULL,
     0},
    END};

const cli_option cli_opts_reports[] = {
    {"--json", NULL, CLI_V_TEXT, "FILE", "write the results as versioned JSON (- : stdout)", F(json), 0, 0, NULL, 0},
    {"--junit", NULL, CLI_V_TEXT, "FILE", "write JUnit XML, one testcase per scenario (- : stdout)", F(junit), 0, 0,
     NULL, 0},
    {"--tap", NULL, CLI_V_TEXT, "FILE", "write TAP (- : stdout)", F(tap), 0, 0, NULL, 0},
    {"--tap-version", NULL, CLI_V_U32, "N", "13 (default: what prove reads) or 14", 0, 0, 0, set_tap_version, 0},
    {"--html", NULL, CLI_V_TEXT, "FILE", "write a self-contained HTML report with sequence diagrams (- : stdout)",
     F(html), 0, 0, NULL, 0},
    END};

const cli_option cli_opts_explore[] = {
    {"--seeds", NULL, CLI_V_U64, "N", "runs per scenario for random and pct (default 1000)", F(seeds), 1, 1.8e19, NULL,
     0},
    {"--depth", NULL, CLI_V_U32, "D", "exhaustive: choice points branched (default 200, at most 1024)", F(depth), 1,
     1024, NULL, 0},
    {"--schedules", NULL, CLI_V_U64, "N", "exhaustive: at most N runs per scenario (default 100000)", F(schedules), 1,
     1.8e19, NULL, 0},
    {"--no-reduction", NULL, CLI_V_FLAG, NULL,
     "exhaustive: every interleaving, without partial-order reduction (sleep sets)", F(no_reduction), 0, 0, NULL, 0},
    {"--jobs", "-j", CLI_V_U32, "N", "run on N threads; the results equal -j 1's (default 1)", F(jobs), 1, 256, NULL,
     0},
    {"--shard", NULL, CLI_V_TEXT, "K/N",
     "run the K-th of N parts of the seeds (exhaustive: of the files), for CI matrices", 0, 0, 0, set_shard, 0},
    {"--stop-at-failure", NULL, CLI_V_FLAG, NULL, "stop a scenario at its first failing run", F(stop_at_failure), 0,
     0, NULL, 0},
    {"--census", NULL, CLI_V_FLAG, NULL,
     "per step, every outcome reached and in how many schedules; a warning for an\n"
     "outcome expect: allows that neither a schedule nor conform's model runs\n"
     "(latencies up to --max-latency, a late host) reach",
     F(census), 0, 0, NULL, 0},
    {"--strict", NULL, CLI_V_FLAG, NULL, "--census: such an outcome fails its scenario (exit 1)", F(strict), 0, 0, NULL,
     0},
    END};

const cli_option cli_opts_shrink[] = {
    {"--output", "-o", CLI_V_TEXT, "FILE", "where to write the smaller scenario (required)", F(output), 0, 0, NULL, 0},
    {"--max-runs", NULL, CLI_V_U64, "N", "give up after N candidate runs (default 20000)", F(max_runs), 1, 1.8e19,
     NULL, 0},
    END};

const cli_option cli_opts_backend[] = {
    {"--backend", NULL, CLI_V_TEXT, "NAME", "model (the core behind the protocol), posix (libcfmp), apple (macOS)",
     F(backend), 0, 0, NULL, 0},
    {"--agent", NULL, CLI_V_TEXT, "PATH", "any executable that speaks the agent protocol", F(agent), 0, 0, NULL, 0},
    END};

const cli_option cli_opts_profile[] = {
    {"--profile", NULL, CLI_V_TEXT, "NAME", "ventura or cf-1153 (default: each scenario's own)", 0, 0, 0,
     set_profile, 0},
    END};

const cli_option cli_opts_timing[] = {
    {"--tolerance-ms", NULL, CLI_V_DOUBLE, "N", "timing tolerance, absolute part (default 15 ms)", F(tolerance_ms), 0,
     100000, NULL, 0},
    {"--tolerance-pct", NULL, CLI_V_DOUBLE, "P",
     "timing tolerance, relative part (default 15 %); an elapsed window [a, b] is\n"
     "checked as [a - tol(a), b + tol(b)], tol(d) = max(N ms / time-scale, P % of d);\n"
     "lint delays each sleep, thread and process by tol(d) and by a third of it",
     F(tolerance_pct), 0, 1000, NULL, 0},
    END};

const cli_option cli_opts_conform[] = {
    {"--time-scale", NULL, CLI_V_DOUBLE, "X", "real seconds per virtual second (default 1)", F(time_scale), 0.01, 1000,
     NULL, 0},
    {"--repeat", NULL, CLI_V_U32, "N", "run each scenario N times: flaky (mixed) vs broken (always)", F(repeat), 1,
     1000, NULL, 0},
    {"--explore", NULL, CLI_V_U32, "N", "random schedules the model explores for allowed outcomes (default 64)",
     F(explore), 0, 100000, NULL, F(explore_given)},
    {"--max-latency", NULL, CLI_V_DURATION, "D", "the model's runs: " MAX_LATENCY_HELP, F(max_latency_ns), 0,
     1e15, NULL, 0},
    {"--max-latency-ms", NULL, CLI_V_DOUBLE, "N", "the same in ms, as a number (the older spelling)", 0, 0, 100000,
     set_max_latency_ms, 0},
    {"--expect", NULL, CLI_V_TEXT, "FILE", "expectation file (default conformance/expect/BACKEND.yaml)", F(expect), 0,
     0, NULL, 0},
    {"--no-expect", NULL, CLI_V_FLAG, NULL, "ignore expectation files", F(no_expect), 0, 0, NULL, 0},
    {"--seed", NULL, CLI_V_U64, "N", "seed of the model's exploration (default 1)", F(seed), 0, 1.8e19, NULL,
     F(seed_given)},
    {"--max-duration", NULL, CLI_V_DOUBLE, "S", "skip scenarios that would take longer (default 60 s)",
     F(max_duration_s), 0.001, 86400, NULL, 0},
    {"--timeout-multiplier", NULL, CLI_V_DOUBLE, "X", "scales handshake and grace times (slow builds)",
     F(timeout_multiplier), 0.1, 1000, NULL, 0},
    {"--jobs", "-j", CLI_V_U32, "N",
     "run N scenarios at once, each in its own agents and runtime directory; the\nresults are printed in file order, as with -j 1 (default 1)",
     F(jobs), 1, 256, NULL, 0},
    {"--verbose", NULL, CLI_V_FLAG, NULL, "show agents' logs, and host notes of passing runs", F(verbose), 0, 0, NULL,
     0},
    {"--protocol-log", NULL, CLI_V_TEXT, "FILE", "write every protocol line sent (<-) and received (->) to FILE",
     F(protocol_log), 0, 0, NULL, 0},
    END};

const cli_option cli_opts_fuzz[] = {
    {"--runs", NULL, CLI_V_U64, "N", "generated scenarios to try (default 1000, or no limit with --time)", F(runs),
     1, 1.8e19, NULL, F(runs_given)},
    {"--time", NULL, CLI_V_DOUBLE, "S", "stop after S seconds (default: no limit)", F(time_s), 0.001, 1e9, NULL, 0},
    {"--output", "-o", CLI_V_TEXT, "DIR", "the findings folder (required): DIR/SIGNATURE.yaml, shared by shards",
     F(output), 0, 0, NULL, 0},
    {"--shard", NULL, CLI_V_TEXT, "K/N", "try the K-th of N parts of the seeds, for CI matrices and job arrays", 0,
     0, 0, set_shard, 0},
    {"--expect-runs", NULL, CLI_V_U32, "N", "model runs that decide each scenario's expectations (default 32)",
     F(expect_runs), 1, 100000, NULL, 0},
    {"--against-profile", NULL, CLI_V_TEXT, "NAME",
     "model against model: check each scenario, with the expectations of --profile (or\nventura), under this "
     "profile too (its fifo run: a failure is a difference of the profiles)",
     0, 0, 0, set_against_profile, 0},
    END};

const cli_option cli_opts_explain[] = {
    {"--schedules", NULL, CLI_V_U64, "N", "the exhaustive search: at most N runs per real run (default 100000)",
     F(schedules), 1, 1.8e19, NULL, 0},
    END};

const cli_option cli_opts_mutants[] = {
    {"--agents-dir", NULL, CLI_V_TEXT, "DIR", "where portsim_agent_posix_mN live (default: this build's)",
     F(agents_dir), 0, 0, NULL, 0},
    {"--first-kill", NULL, CLI_V_FLAG, NULL, "stop a mutant's run at the first scenario that kills it",
     F(first_kill), 0, 0, NULL, 0},
    END};

const cli_option cli_opts_rules[] = {
    {"--list", NULL, CLI_V_FLAG, NULL, "one line per rule: its id and title", F(rules_list), 0, 0, NULL, 0},
    END};

const cli_option cli_opts_coverage[] = {
    {"--summary", NULL, CLI_V_FLAG, NULL, "one line per rule: how many scenarios and unit tests cite it",
     F(coverage_summary), 0, 0, NULL, 0},
    END};

/* ---- custom values ----------------------------------------------------------------------- */

static int set_color(cli_ctx *c, const char *value)
{
    (void)value;
    c->a.color = 1;
    return -1;
}

static int set_no_color(cli_ctx *c, const char *value)
{
    (void)value;
    c->a.color = 0;
    return -1;
}

static int set_profile(cli_ctx *c, const char *value)
{
    c->a.profile = (uint8_t)cm_profile_by_name(value);
    return c->a.profile != 0 ? -1 : cli_usage_error(c, "unknown profile (ventura or cf-1153):", value);
}

static int set_against_profile(cli_ctx *c, const char *value)
{
    c->a.against_profile = (uint8_t)cm_profile_by_name(value);
    return c->a.against_profile != 0 ? -1 : cli_usage_error(c, "unknown profile (ventura or cf-1153):", value);
}

static int set_shard(cli_ctx *c, const char *value)
{
    unsigned k = 0, n = 0;
    char extra = 0;
    if (sscanf(value, "%u/%u%c", &k, &n, &extra) != 2 || n == 0 || k == 0 || k > n) {
        return cli_usage_error(c, "bad shard (K/N with 1 <= K <= N):", value);
    }
    c->a.shard_index = k - 1;
    c->a.shard_count = n;
    return -1;
}

static int set_tap_version(cli_ctx *c, const char *value)
{
    if (strcmp(value, "13") != 0 && strcmp(value, "14") != 0) {
        return cli_usage_error(c, "--tap-version is 13 or 14, not", value);
    }
    c->a.tap_version = (uint32_t)atoi(value);
    return -1;
}

/* The older spelling of --max-latency: a number of milliseconds (0 to 100000). */
static int set_max_latency_ms(cli_ctx *c, const char *value)
{
    errno = 0;
    char *end = NULL;
    double ms = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !(ms >= 0 && ms <= 100000)) {
        return cli_usage_error(c, "--max-latency-ms takes a number of ms from 0 to 100000, not", value);
    }
    c->a.max_latency_ns = (int64_t)(ms * 1e6);
    return -1;
}

/* ---- the parser ---------------------------------------------------------------------------- */

int cli_usage_error(cli_ctx *c, const char *what, const char *arg)
{
    fprintf(c->err, "portsim: %s%s%s%s\nTry 'portsim %s --help'.\n", what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "", c->cmd != NULL ? c->cmd->name : "");
    return CLI_EXIT_USAGE;
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

static bool parse_double(const char *text, double *out)
{
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || v != v) return false;
    *out = v;
    return true;
}

/* Stores a value into its field, within its range (memcpy: the field is
 * found by offset, and a byte pointer cast to it would claim an alignment). */
static int store(cli_ctx *c, const cli_option *o, const char *value)
{
    char *base = (char *)&c->a;
    uint64_t u = 0;
    double d = 0;
    switch (o->value) {
    case CLI_V_TEXT: memcpy(base + o->offset, &value, sizeof value); return -1;
    case CLI_V_U32:
    case CLI_V_U64:
        if (!parse_u64(value, &u)) return cli_usage_error(c, "not a decimal number:", value);
        if ((double)u < o->lo || (double)u > o->hi) return cli_usage_error(c, "value out of range for", o->name);
        if (o->value == CLI_V_U32) {
            uint32_t u32 = (uint32_t)u;
            memcpy(base + o->offset, &u32, sizeof u32);
        } else {
            memcpy(base + o->offset, &u, sizeof u);
        }
        return -1;
    case CLI_V_DOUBLE:
        if (!parse_double(value, &d)) return cli_usage_error(c, "not a number:", value);
        if (!(d >= o->lo && d <= o->hi)) return cli_usage_error(c, "value out of range for", o->name);
        memcpy(base + o->offset, &d, sizeof d);
        return -1;
    case CLI_V_DURATION: {
        int64_t ns = 0;
        const char *problem = sim_parse_duration(value, SIM_DUR_FOREVER, &ns);
        if (problem != NULL) {
            fprintf(c->err, "portsim: %s: %s\n", o->name, problem);
            return cli_usage_error(c, "not a duration (like 5ms):", value);
        }
        if (ns != CM_DURATION_FOREVER && ((double)ns < o->lo || (double)ns > o->hi)) {
            return cli_usage_error(c, "value out of range for", o->name);
        }
        memcpy(base + o->offset, &ns, sizeof ns);
        return -1;
    }
    default: assert(false); return CLI_EXIT_USAGE;
    }
}

/* The option of this command called `arg` ("--name", "--name=value", "-x", "-xVALUE"), or NULL. */
static const cli_option *find(const cli_ctx *c, const char *arg, const char **inline_value)
{
    for (uint32_t g = 0; g < CLI_GROUPS_MAX && c->cmd->groups[g] != NULL; g++) {
        for (const cli_option *o = c->cmd->groups[g]; o->name != NULL; o++) {
            const char *names[2] = {o->name, o->alias};
            for (int k = 0; k < 2; k++) {
                if (names[k] == NULL) continue;
                size_t n = strlen(names[k]);
                if (strncmp(arg, names[k], n) != 0) continue;
                if (arg[n] == '\0') return o;
                if (arg[n] == '=' && o->value != CLI_V_FLAG) {
                    *inline_value = arg + n + 1;
                    return o;
                }
                if (k == 1 && n == 2 && names[k][1] != '-' && o->value != CLI_V_FLAG) {
                    *inline_value = arg + n; /* a short option's value may be attached: -j2 */
                    return o;
                }
            }
        }
    }
    return NULL;
}

/* Is `arg` an option some other command takes? (For a clearer error.) */
static bool known_elsewhere(const char *arg)
{
    static const cli_option *const all[] = {cli_opts_color, cli_opts_model, cli_opts_profile, cli_opts_trace,
                                            cli_opts_reports, cli_opts_explore, cli_opts_shrink, cli_opts_backend,
                                            cli_opts_conform, cli_opts_timing, cli_opts_mutants, cli_opts_fuzz,
                                            cli_opts_rules, cli_opts_coverage, cli_opts_explain};
    for (size_t g = 0; g < sizeof all / sizeof all[0]; g++) {
        for (const cli_option *o = all[g]; o->name != NULL; o++) {
            size_t n = strlen(o->name);
            if (strncmp(arg, o->name, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) return true;
        }
    }
    return false;
}

/* One option at argv[*i]; -1 to go on, or an exit code. */
static int parse_option(cli_ctx *c, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *value = NULL;
    const cli_option *o = find(c, arg, &value);
    if (o == NULL) {
        return cli_usage_error(c, known_elsewhere(arg) ? "this command does not take the option"
                                                      : "unknown option", arg);
    }
    if (o->value != CLI_V_FLAG && value == NULL) {
        if (*i + 1 >= argc) return cli_usage_error(c, "this option needs a value:", o->name);
        value = argv[++*i];
    }
    if (o->given_offset != 0) *(bool *)((char *)&c->a + o->given_offset) = true;
    if (o->parse != NULL) return o->parse(c, value);
    if (o->value == CLI_V_FLAG) {
        *(bool *)((char *)&c->a + o->offset) = true;
        return -1;
    }
    return store(c, o, value);
}

int cli_parse(cli_ctx *c, int argc, char **argv)
{
    assert(c != NULL && c->cmd != NULL);
    assert(argc >= 2);
    c->paths = calloc((size_t)argc + 1, sizeof *c->paths);
    if (c->paths == NULL) return CLI_EXIT_USAGE;
    bool options_done = false;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            c->paths[c->path_count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(c, c->out);
            return CLI_EXIT_OK;
        } else {
            int code = parse_option(c, argc, argv, &i);
            if (code >= 0) return code;
        }
    }
    return -1;
}

/* ---- help ------------------------------------------------------------------------------------ */

static void print_option(FILE *out, const cli_option *o)
{
    char head[64];
    snprintf(head, sizeof head, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name,
             o->metavar ? " " : "", o->metavar ? o->metavar : "");
    fprintf(out, "  %-26s", head);
    if (strlen(head) > 26) fprintf(out, "\n  %-26s", "");
    for (const char *p = o->help; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(out, "%.*s\n", n, p);
        if (nl == NULL) break;
        p = nl + 1;
        fprintf(out, "  %-26s", "");
    }
}

void cli_print_help(const cli_ctx *c, FILE *out)
{
    const cli_command *cmd = c->cmd;
    fprintf(out, "usage: portsim %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->description);
    if (cmd->groups[0] != NULL) fputs("\noptions:\n", out);
    for (uint32_t g = 0; g < CLI_GROUPS_MAX && cmd->groups[g] != NULL; g++) {
        for (const cli_option *o = cmd->groups[g]; o->name != NULL; o++) print_option(out, o);
    }
    fputs("  -h, --help                 this help\n\n"
          "exit status: 0 all passed, 1 a check failed, 2 a usage or input error.\n",
          out);
}

/* ---- the model's run options ------------------------------------------------------------------ */

int cli_strategy(cli_ctx *c, const uint8_t *allowed, uint32_t count, uint8_t *out)
{
    *out = 0;
    if (c->a.strategy == NULL) return -1;
    uint8_t s = sim_strategy_by_name(c->a.strategy);
    for (uint32_t i = 0; s != 0 && i < count; i++) {
        if (allowed[i] == s) {
            *out = s;
            return -1;
        }
    }
    char what[96] = "unknown strategy (";
    for (uint32_t i = 0; i < count; i++) {
        strncat(what, sim_strategy_name(allowed[i]), sizeof what - strlen(what) - 1);
        strncat(what, i + 1 < count ? ", " : "):", sizeof what - strlen(what) - 1);
    }
    return cli_usage_error(c, what, c->a.strategy);
}

int cli_run_options(cli_ctx *c, sim_run_options *opt, uint32_t *schedule, uint32_t schedule_cap)
{
    static const uint8_t strategies[] = {SIM_STRATEGY_FIFO, SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
                                         SIM_STRATEGY_SCHEDULE};
    *opt = sim_run_options_default();
    uint8_t s = 0;
    int code = cli_strategy(c, strategies, 4, &s);
    if (code >= 0) return code;
    opt->seed = c->a.seed;
    opt->profile = c->a.profile;
    opt->pct_depth = c->a.pct_depth;
    opt->pct_steps = c->a.pct_steps;
    opt->explore_latency = c->a.latency;
    opt->max_latency_ns = c->a.max_latency_ns;
    if (c->a.max_latency_given && !c->a.latency) {
        return cli_usage_error(c, "--max-latency bounds the latencies of --latency, which is not given", NULL);
    }
    if (s != 0) opt->strategy = s;
    if (c->a.schedule != NULL) {
        uint32_t n = 0;
        if (schedule == NULL || !sim_schedule_parse(c->a.schedule, schedule, schedule_cap, &n)) {
            return cli_usage_error(c, "bad schedule (picks like _3.2._1.1):", c->a.schedule);
        }
        opt->schedule = schedule;
        opt->schedule_count = n;
        if (s == 0) opt->strategy = SIM_STRATEGY_SCHEDULE;
        if (opt->strategy != SIM_STRATEGY_SCHEDULE) {
            return cli_usage_error(c, "--schedule goes with the schedule strategy, not", sim_strategy_name(opt->strategy));
        }
    } else if (opt->strategy == SIM_STRATEGY_SCHEDULE) {
        return cli_usage_error(c, "the schedule strategy needs --schedule", NULL);
    }
    return -1;
}
