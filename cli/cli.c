/*
 * cli.c — the portsim command table, its help, and dispatch (cli.h).
 * A command is a row here: name, synopsis, help, option groups, function.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const cli_command commands[] = {
    {"run", "[options] PATH...", "run scenarios on the model and check them",
     "Runs each scenario on the model (core/) and checks every expectation. PATH is a\n"
     "scenario file, or a folder searched recursively for *.yaml / *.yml (in byte order).\n"
     "Each failure prints file:line:col and a replay command that reproduces it exactly.",
     {cli_opts_model, cli_opts_profile, cli_opts_trace, cli_opts_reports, cli_opts_color}, cli_cmd_run},
    {"replay", "[options] FILE", "rerun one scenario exactly, its trace printed",
     "Runs one scenario file as a failure's replay line says (seed, strategy, profile,\n"
     "schedule) and prints its canonical trace (docs/trace.md).",
     {cli_opts_model, cli_opts_profile, cli_opts_reports, cli_opts_color}, cli_cmd_replay},
    {"explore", "[options] PATH...", "run scenarios under many schedules",
     "Runs each scenario under many schedules: --seeds random or pct runs, or every\n"
     "schedule within bounds (--strategy exhaustive). A failing scenario prints its first\n"
     "failing run in full, with the command that replays it.",
     {cli_opts_model, cli_opts_profile, cli_opts_explore, cli_opts_reports, cli_opts_color}, cli_cmd_explore},
    {"lint", "[options] PATH...", "find scenarios whose verdict depends on host timing",
     "Runs each scenario on the model once as written, then once per delay a busy host can\n"
     "cause: each sleep or work lasting longer, each thread and each process beginning late,\n"
     "by the conformance tolerance (and a third of it). A scenario whose verdict changes is\n"
     "fragile: each finding names the check that flips and the delay that flips it. Fix it with\n"
     "signal / wait_for (docs/scenario-format.md 4.6), a wider window, or an expect: that\n"
     "accepts every outcome. Exit 1 when any scenario is fragile.",
     {cli_opts_profile, cli_opts_timing, cli_opts_reports, cli_opts_color}, cli_cmd_lint},
    {"fuzz", "[--backend NAME | --agent PATH] [options] -o DIR", "generated scenarios, checked on the model or a backend",
     "Generates scenarios from seeds (each seed draws a subset of features: swarm testing),\n"
     "writes the model's allowed outcomes into each as expect: lines, and checks them: on the\n"
     "model alone (determinism, invariants over explored schedules), or against a backend,\n"
     "where an outcome the model does not allow is run again (--repeat) to tell a flake from a\n"
     "divergence. Each distinct finding is saved once as DIR/SIGNATURE.yaml with the command\n"
     "that reproduces it. Exit 0 when nothing was found, 1 when something was.",
     {cli_opts_backend, cli_opts_fuzz, cli_opts_conform, cli_opts_profile, cli_opts_timing, cli_opts_color},
     cli_cmd_fuzz},
    {"shrink", "[options] -o OUT FILE", "reduce a failing scenario",
     "Reduces a scenario that fails with these options (--seed, --strategy, --profile, as\n"
     "its replay line says) to a smaller one that fails the same way: the same check, at the\n"
     "same step of the original, with the same observed outcome. The result is verified\n"
     "before it is written.",
     {cli_opts_model, cli_opts_profile, cli_opts_shrink, cli_opts_color}, cli_cmd_shrink},
    {"rules", "[--list] [RULE...]", "print the rules of CFMessagePort's semantics (R1-R67)",
     "Prints the rules of docs/semantics.md, built into portsim: every rule, or the ones\n"
     "named (R32, or a part such as R26b), each with its statement, sources, markers\n"
     "(SRC-ONLY, UNCERTAIN, DOC\xe2\x89\xa0SRC) and the profile option it maps to. An id the\n"
     "document does not have is a usage error.",
     {cli_opts_rules}, cli_cmd_rules},
    {"coverage", "[--summary] PATH...", "which rules the scenarios and the unit tests cite",
     "Lists, per rule of docs/semantics.md, the scenarios under PATH whose rules: cite it\n"
     "and the unit tests that cite it (R32 in a test's name, or in a comment of or above\n"
     "it, in the source tree portsim was built from), then the rules without a scenario,\n"
     "without a unit test, and cited by nobody.",
     {cli_opts_coverage, cli_opts_color}, cli_cmd_coverage},
    {"conform", "(--backend NAME | --agent PATH) [options] PATH...", "the scenarios against a real implementation",
     "Runs scenario files against a real implementation: one agent process per scenario\n"
     "process, one thread per scenario thread, real IPC, real time (docs/agent-protocol.md).\n"
     "Each run is judged by the checker of `portsim run`, with a timing tolerance and the\n"
     "outcomes the model allows. Exit status 130: interrupted (every agent reaped first).",
     {cli_opts_backend, cli_opts_conform, cli_opts_profile, cli_opts_timing, cli_opts_reports, cli_opts_color},
     cli_cmd_conform},
    {"explain", "[--schedules N] RESULT.json...", "find the model run a real run was, as a whole",
     "Reads the JSON of `portsim conform --json` and searches, for each real run in it, the\n"
     "model's runs for one consistent with the whole run at once: every call's outcome and the\n"
     "order of callouts and callbacks (conform's own model runs with the same options, then the\n"
     "exhaustive search with latency choices). Found: the `portsim replay` line that reproduces\n"
     "it in the simulator. None: the first observation no model run reaches, proven when every\n"
     "schedule was tried. Exit 0 when every run was explained, 1 when some was not.",
     {cli_opts_explain, cli_opts_color}, cli_cmd_explain},
    {"mutants", "[options] PATH...", "the corpus against libcfmp's mutants",
     "Runs the corpus on the unmutated posix agent, then on each of libcfmp's mutants\n"
     "(libcfmp/src/cfmp_mutants.h); a mutant is killed when a scenario fails on it twice.\n"
     "Exit 0 when every mutant is killed.",
     {cli_opts_conform, cli_opts_profile, cli_opts_timing, cli_opts_mutants, cli_opts_color}, cli_cmd_mutants},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void global_help(FILE *out)
{
    fputs("usage: portsim COMMAND [options] PATH...\n"
          "       portsim COMMAND --help      (portsim help COMMAND; portsim help --man: the man page)\n"
          "       portsim --help | --version\n\ncommands:\n",
          out);
    for (size_t i = 0; i < COMMAND_COUNT; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nPATH: a scenario file, or a folder searched recursively for *.yaml / *.yml.\n"
          "Options take their value as --name VALUE or --name=VALUE; short ones also as -j 2 or -j2.\n"
          "Scenarios: docs/scenario-format.md; the agent protocol: docs/agent-protocol.md.\n"
          "exit status: 0 all passed, 1 a check failed, 2 a usage or input error.\n",
          out);
}

/* Text for roff: backslashes and hyphens escaped, a leading dot or quote defused. */
static void roff_text(FILE *out, const char *s)
{
    if (s[0] == '.' || s[0] == '\'') fputs("\\&", out);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\\') fputs("\\e", out);
        else if (*p == '-') fputs("\\-", out);
        else if (*p == '\n') fputs(p[1] == '.' || p[1] == '\'' ? "\n\\&" : "\n", out);
        else fputc(*p, out);
    }
}

/* The portsim(1) man page, from the same tables as --help. */
static void man_page(FILE *out)
{
    fprintf(out, ".TH PORTSIM 1 \"\" \"portsim %s\" \"User Commands\"\n.SH NAME\n"
                 "portsim \\- simulation and conformance tests of CFMessagePort semantics\n"
                 ".SH SYNOPSIS\n.B portsim\n.I COMMAND\n[options]\n.IR PATH ...\n.br\n"
                 ".B portsim\n.I COMMAND\n.B \\-\\-help\n"
                 ".SH DESCRIPTION\nportsim runs YAML scenarios of processes using Apple's CFMessagePort on a "
                 "deterministic model, explores their schedules, shrinks failures, and runs the same scenarios "
                 "against real implementations. PATH is a scenario file, or a folder searched recursively for "
                 "*.yaml and *.yml.\n.SH COMMANDS\n",
            PORTSIM_VERSION);
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        const cli_command *cmd = &commands[i];
        fprintf(out, ".SS \"portsim %s ", cmd->name);
        roff_text(out, cmd->synopsis);
        fputs("\"\n", out);
        roff_text(out, cmd->description);
        fputs("\n", out);
        for (uint32_t g = 0; g < CLI_GROUPS_MAX && cmd->groups[g] != NULL; g++) {
            for (const cli_option *o = cmd->groups[g]; o->name != NULL; o++) {
                fputs(".TP\n.B ", out);
                if (o->alias != NULL) {
                    roff_text(out, o->alias);
                    fputs(", ", out);
                }
                roff_text(out, o->name);
                if (o->metavar != NULL) {
                    fputs(" \\fI", out);
                    roff_text(out, o->metavar);
                    fputs("\\fR", out);
                }
                fputc('\n', out);
                roff_text(out, o->help);
                fputc('\n', out);
            }
        }
    }
    fputs(".SH EXIT STATUS\n0 all passed (or skipped, or expected), 1 a check failed, 2 a usage or input "
          "error, 130 interrupted (conform, mutants).\n"
          ".SH ENVIRONMENT\n.TP\n.B NO_COLOR\nwhen set and not empty, no colour unless \\-\\-color.\n"
          ".TP\n.B PORTSIM_AGENT_DIR\nwhere to look first for the conformance agents.\n"
          ".TP\n.B PORTSIM_EXPECT_DIR\nwhere to look for the backends' expectation files.\n"
          ".SH FILES\nPREFIX/libexec/portsim: the agents (and mutants); PREFIX/share/portsim/expect: the "
          "expectation files; PREFIX/share/doc/portsim: the scenario format, the agent protocol, the "
          "reports.\n.SH SEE ALSO\nscenario\\-format.md, agent\\-protocol.md, reports.md, trace.md in the "
          "documentation folder.\n",
          out);
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    }
    return NULL;
}

/* Every option's default, in one place. */
static cli_args default_args(void)
{
    return (cli_args){.color = -1, .seed = 1, .pct_depth = SIM_PCT_DEPTH_DEFAULT, .pct_steps = SIM_PCT_STEPS_DEFAULT,
                      .seeds = 1000, .depth = 200, .schedules = 100000, .jobs = 1, .shard_count = 1,
                      .max_runs = 20000, .time_scale = 1.0, .tolerance_ms = 15.0, .tolerance_pct = 15.0,
                      .repeat = 1, .explore = 64, .max_latency_ns = SIM_MAX_LATENCY_DEFAULT_NS, .max_duration_s = 60.0,
                      .timeout_multiplier = 1.0, .runs = 1000, .expect_runs = 32};
}

static int dispatch(cli_ctx *c, int argc, char **argv)
{
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        global_help(c->out);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        fprintf(c->out, "portsim %s\n", PORTSIM_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc == 3 && strcmp(argv[2], "--man") == 0) {
            man_page(c->out);
            return CLI_EXIT_OK;
        }
        if (argc < 3) {
            global_help(c->out);
            return CLI_EXIT_OK;
        }
        c->cmd = find_command(argv[2]);
        if (c->cmd == NULL) return cli_usage_error(c, "unknown command", argv[2]);
        cli_print_help(c, c->out);
        return CLI_EXIT_OK;
    }
    c->cmd = find_command(name);
    if (c->cmd == NULL) {
        fprintf(c->err, "portsim: unknown command '%s'\nTry 'portsim --help'.\n", name);
        return CLI_EXIT_USAGE;
    }
    int code = cli_parse(c, argc, argv);
    return code >= 0 ? code : c->cmd->run(c);
}

int cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    assert(argv != NULL && out != NULL && err != NULL);
    cli_ctx c = {.out = out, .err = err, .stdout_stream = out, .a = default_args()};
    int code;
    if (argc < 2) {
        global_help(err);
        code = CLI_EXIT_USAGE;
    } else {
        code = dispatch(&c, argc, argv);
    }
    free(c.paths);
    fflush(out);
    fflush(err);
    return code;
}
