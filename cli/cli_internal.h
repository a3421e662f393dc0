/*
 * cli_internal.h — what the portsim commands share (prefix cli_): one
 * option table and parser, one file collector, one result printer, one
 * report writer. Each command is a function over a cli_ctx:
 *
 *   cli.c           the command table, global and per-command help, dispatch
 *   cli_options.c   the options: one table (names, values, ranges, help), one parser
 *   cli_files.c     scenario files from PATH arguments
 *   cli_output.c    colour, loading a file with its errors shown, results, reports
 *   cli_parallel.c  tasks on -j threads, results handed back in order
 *   cli_run.c       run, replay          cli_explore.c   explore
 *   cli_shrink.c    shrink               cli_coverage.c  coverage
 *   cli_rules.c     rules (the table: cli_rules.h, made from docs/semantics.md by cli_rules_gen.c)
 *   cli_conform.c   conform, mutants
 */
#ifndef CLI_INTERNAL_H
#define CLI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "conf_suite.h"
#include "rep_terminal.h"
#include "sim_json.h"
#include "sim_load.h"
#include "sim_run.h"

/* ---- options --------------------------------------------------------------------------- */

/* Every option of every command lands here; each command reads the ones it takes. */
typedef struct cli_args {
    int color;                 /* -1 auto, 0 off, 1 on */
    /* the model */
    uint64_t seed;
    const char *strategy;      /* as given; each command knows which it accepts */
    uint8_t profile;           /* cm_profile_id, 0: each scenario's own */
    uint32_t pct_depth;
    uint64_t pct_steps;
    const char *schedule;      /* picks, as given */
    bool latency;
    int64_t max_latency_ns;    /* --latency (run, replay, explore, shrink) and conform's model runs */
    bool trace;
    /* reports: a path, "-" for stdout, or NULL */
    const char *json;
    const char *junit;
    const char *tap;
    const char *html;
    uint32_t tap_version;      /* 13 or 14 */
    /* explore */
    bool census;
    bool strict;
    uint64_t seeds;
    uint32_t depth;
    uint64_t schedules;
    bool no_reduction;         /* explore --strategy exhaustive: no sleep sets */
    uint32_t jobs;             /* explore: threads; conform, mutants: scenarios at once */
    uint32_t shard_index;      /* 0-based */
    uint32_t shard_count;
    bool stop_at_failure;
    /* shrink */
    const char *output;
    uint64_t max_runs;
    /* conform, mutants */
    const char *backend;
    const char *agent;
    double time_scale;
    double tolerance_ms;
    double tolerance_pct;
    uint32_t repeat;
    uint32_t explore;
    const char *expect;
    bool no_expect;
    double max_duration_s;
    double timeout_multiplier;
    bool verbose;
    const char *protocol_log;
    const char *agents_dir;
    bool first_kill;
    /* fuzz */
    uint64_t runs;
    double time_s;
    uint32_t expect_runs;      /* model runs that decide a generated scenario's expectations */
    uint8_t against_profile;   /* fuzz: cm_profile_id to check the model against, 0: none */
    /* rules, coverage */
    bool rules_list;
    bool coverage_summary;
    /* given explicitly (defaults differ per command) */
    bool seed_given;
    bool runs_given;
    bool explore_given;
    bool max_latency_given;    /* --max-latency on run, replay, explore, shrink */
} cli_args;

typedef struct cli_ctx cli_ctx;

typedef enum cli_value {
    CLI_V_FLAG = 1,   /* no value: sets a bool (or the custom parser runs with NULL) */
    CLI_V_TEXT,       /* a string */
    CLI_V_U32,        /* a decimal number in [lo, hi] */
    CLI_V_U64,
    CLI_V_DOUBLE,     /* a decimal number in [lo, hi] */
    CLI_V_DURATION,   /* a duration as scenarios write them ("5ms", "1.5us", "forever"), in ns in
                         [lo, hi] (forever always allowed); an int64_t field */
} cli_value;

typedef struct cli_option {
    const char *name;        /* "--seed" */
    const char *alias;       /* "-j", or NULL */
    uint8_t value;           /* cli_value */
    const char *metavar;     /* "N" in the help */
    const char *help;        /* one line (more lines with "\n") */
    size_t offset;           /* the field of cli_args */
    double lo, hi;           /* numbers: the range */
    /* Instead of storing: checks and stores the value; returns -1 or an exit code. */
    int (*parse)(cli_ctx *c, const char *value);
    size_t given_offset;     /* a bool of cli_args set when the option is given, or 0 */
} cli_option;

/* A command's options come in groups (a NULL-name entry ends a group). */
extern const cli_option cli_opts_color[];
extern const cli_option cli_opts_model[];
extern const cli_option cli_opts_profile[];
extern const cli_option cli_opts_timing[];
extern const cli_option cli_opts_trace[];
extern const cli_option cli_opts_reports[];
extern const cli_option cli_opts_explore[];
extern const cli_option cli_opts_shrink[];
extern const cli_option cli_opts_backend[];
extern const cli_option cli_opts_conform[];
extern const cli_option cli_opts_mutants[];
extern const cli_option cli_opts_fuzz[];
extern const cli_option cli_opts_rules[];
extern const cli_option cli_opts_coverage[];
extern const cli_option cli_opts_explain[];

#define CLI_GROUPS_MAX 8

typedef struct cli_command {
    const char *name;
    const char *synopsis;     /* "[options] PATH..." */
    const char *summary;      /* one line for `portsim --help` */
    const char *description;  /* a paragraph for `portsim NAME --help` */
    const cli_option *groups[CLI_GROUPS_MAX]; /* NULL-terminated */
    int (*run)(cli_ctx *c);
} cli_command;

struct cli_ctx {
    FILE *out;                /* results (stderr when a report goes to stdout) */
    FILE *err;                /* diagnostics */
    FILE *stdout_stream;      /* the caller's out: where "-" reports go */
    const cli_command *cmd;
    cli_args a;
    bool use_color;
    char **paths;
    uint32_t path_count;
};

/* Prints "portsim: WHAT 'ARG'" and the help hint; returns CLI_EXIT_USAGE. */
int cli_usage_error(cli_ctx *c, const char *what, const char *arg);
/* Parses argv[2..] against the command's groups; -1 to go on, or an exit code. */
int cli_parse(cli_ctx *c, int argc, char **argv);
/* The command's help: synopsis, description, options from the table. */
void cli_print_help(const cli_ctx *c, FILE *out);
/* The strategy named by --strategy among the allowed ones (0 when not given). */
int cli_strategy(cli_ctx *c, const uint8_t *allowed, uint32_t count, uint8_t *out);
/* --seed, --strategy (fifo, random, pct, schedule), --pct-*, --schedule, --latency into opt. */
int cli_run_options(cli_ctx *c, sim_run_options *opt, uint32_t *schedule, uint32_t schedule_cap);

/* ---- files ------------------------------------------------------------------------------ */

#define CLI_FILES_MAX 100000u

typedef struct cli_files {
    char **items;
    uint32_t count;
    uint32_t capacity;
} cli_files;

/* The scenario files of c->paths (folders searched recursively, in byte order, a file met
 * twice kept once); -1 to go on, or an exit code (with the reason on c->err). */
int cli_collect(cli_ctx *c, cli_files *out);
void cli_files_free(cli_files *f);

/* ---- output ------------------------------------------------------------------------------ */

/* Decides colour and where results go; -1 to go on, or an exit code. Call after parsing. */
int cli_setup_output(cli_ctx *c);
rep_terminal cli_terminal(const cli_ctx *c);
/* Loads a scenario; on failure prints its located errors (after flushing the results) and
 * fills *res with the error result. */
bool cli_load(cli_ctx *c, const char *path, sim_scenario *sc, sim_result *res);
/* Writes every report asked for (--json, --junit, --tap, --html); -1 or an exit code. */
int cli_write_reports(cli_ctx *c, const sim_run_info *info, const sim_result *results, uint32_t count);
/* Prints the summary line and returns the exit code the results call for. */
int cli_finish(cli_ctx *c, const sim_result *results, uint32_t count);
/*
 * One file after another: each loaded, handed to fn (which fills its result), and printed as it
 * comes; then the summary and the reports. Returns the exit code. (run, replay, lint)
 */
typedef void (*cli_scenario_fn)(void *ctx, const sim_scenario *sc, sim_result *out);
int cli_each_scenario(cli_ctx *c, const cli_files *files, cli_scenario_fn fn, void *ctx,
                      const sim_run_info *info);

/* ---- parallel work ------------------------------------------------------------------------ */

#define CLI_JOBS_MAX 256u

typedef void (*cli_task_fn)(void *ctx, uint32_t index);
/* task(ctx, i) for every i < count on `jobs` threads; done(ctx, i) on the calling thread, in
 * index order, as soon as task i and every earlier one have finished. jobs 1: in order, here. */
void cli_parallel(uint32_t count, uint32_t jobs, const uint32_t *order, cli_task_fn task, cli_task_fn done,
                  void *ctx);

/* ---- commands ----------------------------------------------------------------------------- */

int cli_cmd_run(cli_ctx *c);
int cli_cmd_replay(cli_ctx *c);
int cli_cmd_explore(cli_ctx *c);
int cli_cmd_lint(cli_ctx *c);
int cli_cmd_explain(cli_ctx *c);
int cli_cmd_fuzz(cli_ctx *c);
/* cli_conform.c, shared with fuzz: conf_options from the command line (-1 to go on, or an
 * exit code), the suite opened (-1, or exit 2 with the reason printed), the agent's hello. */
int cli_conform_options(cli_ctx *c, bool mutants, conf_options *o);
int cli_open_suite(cli_ctx *c, conf_suite *s, const conf_options *o);
void cli_print_agent(cli_ctx *c, const conf_agent_info *info, const char *backend);
int cli_cmd_shrink(cli_ctx *c);
int cli_cmd_coverage(cli_ctx *c);
int cli_cmd_rules(cli_ctx *c);
int cli_cmd_conform(cli_ctx *c);
int cli_cmd_mutants(cli_ctx *c);

#endif /* CLI_INTERNAL_H */
