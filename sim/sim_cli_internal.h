/*
 * sim_cli_internal.h — what the `portsim` subcommands share: options,
 * finding scenario files, loading one, printing a result.
 * (sim_cli.c: run and replay; sim_cli_explore.c; sim_cli_shrink.c;
 * sim_cli_coverage.c.)
 */
#ifndef SIM_CLI_INTERNAL_H
#define SIM_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_cli.h"
#include "sim_load.h"
#include "sim_run.h"

/* Which options a command takes. */
#define SIM_OPT_RUN 0x01u     /* --seed --strategy --profile --pct-* --schedule --latency */
#define SIM_OPT_REPORT 0x02u  /* --trace --json --junit --tap --html --color */
#define SIM_OPT_EXPLORE 0x04u /* --seeds --depth --schedules -j --shard --stop-at-failure */
#define SIM_OPT_OUTPUT 0x08u  /* -o / --output */

typedef struct sim_cli {
    FILE *out;
    FILE *err;
    const char *command;
    sim_run_options run;
    uint32_t *schedule;   /* parsed --schedule picks (owned) */
    bool trace;
    const char *json;
    const char *junit;
    const char *html;
    bool tap;
    uint32_t tap_version; /* 14, or 13 for prove */
    FILE *tap_out;        /* where --tap goes: the caller's out; the results go to err */
    int color;            /* -1 auto */
    bool use_color;
    char **paths;
    size_t path_count;
    /* explore */
    uint64_t seeds;
    bool exhaustive;
    uint32_t depth;
    uint64_t schedules;
    uint32_t jobs;
    uint32_t shard_index; /* 0-based */
    uint32_t shard_count;
    bool stop_at_failure;
    /* shrink */
    const char *output;
    uint64_t max_runs;
} sim_cli;

typedef struct sim_file_list {
    char **items;
    size_t count;
    size_t capacity;
} sim_file_list;

int sim_cli_usage_error(sim_cli *c, const char *what, const char *arg);
/* Parses argv[2..]; returns -1 to go on, or an exit code. */
int sim_cli_parse(sim_cli *c, int argc, char **argv, uint32_t allowed, const char *usage);
/* The scenario files named by c->paths, folders searched recursively. */
int sim_cli_collect(sim_cli *c, sim_file_list *out);
void sim_cli_files_free(sim_file_list *f);
/* Loads a scenario; on failure prints its located errors and fills *res. */
bool sim_cli_load(sim_cli *c, const char *path, sim_scenario *sc, sim_result *res);
void sim_cli_print_result(const sim_cli *c, const sim_result *r);
void sim_cli_print_failure(const sim_cli *c, const sim_result *r, const sim_failure *f);
const char *sim_cli_paint(const sim_cli *c, uint8_t verdict);
const char *sim_cli_plain(const sim_cli *c);
bool sim_cli_color_wanted(const sim_cli *c);

const char *sim_cli_usage(void);
int sim_cli_explore(sim_cli *c, int argc, char **argv);
int sim_cli_shrink(sim_cli *c, int argc, char **argv);
int sim_cli_coverage(sim_cli *c, int argc, char **argv);

#endif /* SIM_CLI_INTERNAL_H */
