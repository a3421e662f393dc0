/*
 * cli_explore.c — `portsim explore PATH...`: each scenario under many
 * schedules (sim/sim_explore_run.h does the work). Random and pct split one
 * scenario's seeds over -j threads; exhaustive searches -j scenarios at
 * once. Results print in file order whatever -j is, and the reports are
 * those of `portsim run`, with what each exploration covered.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim_explore_run.h"

typedef struct explore_job {
    cli_ctx *c;
    const sim_explore_plan *plan;
    const char *path;
    sim_result result;
    bool shown;        /* a progress line is on the terminal */
    uint64_t started_ns;
    uint64_t last_ns;
} explore_job;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* A progress line on a terminal, for runs longer than two seconds. */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
    explore_job *j = ctx;
    uint64_t now = now_ns();
    if (now - j->started_ns < UINT64_C(2000000000) || now - j->last_ns < UINT64_C(500000000)) return;
    j->last_ns = now;
    j->shown = true;
    fprintf(j->c->err, "\rexplore: %s: %llu/%llu runs   ", j->path, (unsigned long long)done, (unsigned long long)total);
    fflush(j->c->err);
}

static void explore_file(explore_job *j)
{
    sim_scenario sc;
    if (!cli_load(j->c, j->path, &sc, &j->result)) return;
    sim_explore_plan plan = *j->plan;
    j->started_ns = now_ns();
    if (!plan.exhaustive && isatty(fileno(j->c->err))) {
        plan.progress = progress;
        plan.progress_ctx = j;
    }
    sim_explore_scenario(&sc, &plan, &j->result);
    if (j->shown) fputs("\r\033[K", j->c->err);
    sim_scenario_free(&sc);
}

static void explore_task(void *ctx, uint32_t i)
{
    explore_job *jobs = ctx;
    explore_file(&jobs[i]);
}

static void explore_done(void *ctx, uint32_t i)
{
    explore_job *jobs = ctx;
    rep_terminal term = cli_terminal(jobs[i].c);
    rep_terminal_result(&term, &jobs[i].result);
}

/* The plan from the options: strategy, bounds, shard, threads. */
static int make_plan(cli_ctx *c, sim_explore_plan *plan)
{
    *plan = sim_explore_plan_default();
    const cli_args *a = &c->a;
    if (a->schedule != NULL) return cli_usage_error(c, "explore takes no --schedule", NULL);
    if (a->strategy != NULL && strcmp(a->strategy, "exhaustive") == 0) {
        plan->exhaustive = true;
    } else if (a->strategy != NULL) {
        uint8_t s = sim_strategy_by_name(a->strategy);
        if (s != SIM_STRATEGY_RANDOM && s != SIM_STRATEGY_PCT) {
            return cli_usage_error(c, "unknown strategy (random, pct or exhaustive):", a->strategy);
        }
        plan->run.strategy = s;
    }
    plan->run.seed = a->seed;
    plan->run.profile = a->profile;
    plan->run.pct_depth = a->pct_depth;
    plan->run.pct_steps = a->pct_steps;
    plan->run.explore_latency = a->latency;
    plan->run.max_latency_ns = a->max_latency_ns;
    if (a->max_latency_given && !a->latency) {
        return cli_usage_error(c, "--max-latency bounds the latencies of --latency, which is not given", NULL);
    }
    if (a->strict && !a->census) return cli_usage_error(c, "--strict goes with --census", NULL);
    plan->census = a->census;
    plan->strict = a->strict;
    plan->run.keep_obs = a->html != NULL;
    plan->seeds = a->seeds;
    plan->depth = a->depth;
    plan->schedules = a->schedules;
    plan->no_reduction = a->no_reduction;
    plan->jobs = plan->exhaustive ? 1 : a->jobs; /* exhaustive: -j scenarios at once instead */
    plan->shard_index = plan->exhaustive ? 0 : a->shard_index;
    plan->shard_count = plan->exhaustive ? 1 : a->shard_count;
    plan->stop_at_failure = a->stop_at_failure;
    assert(sim_explore_plan_validate(plan));
    return -1;
}

int cli_cmd_explore(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "explore needs at least one PATH", NULL);
    sim_explore_plan plan;
    int code = make_plan(c, &plan);
    if (code < 0) code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    if (code >= 0) return code;
    explore_job *jobs = calloc((size_t)files.count + 1, sizeof *jobs);
    sim_result *results = calloc((size_t)files.count + 1, sizeof *results);
    uint32_t count = 0;
    for (uint32_t i = 0; jobs != NULL && i < files.count; i++) {
        if (plan.exhaustive && i % c->a.shard_count != c->a.shard_index) continue; /* shards of the files */
        jobs[count++] = (explore_job){.c = c, .plan = &plan, .path = files.items[i]};
    }
    if (jobs == NULL || results == NULL) {
        code = CLI_EXIT_USAGE;
    } else {
        /* exhaustive: -j scenarios at once; random and pct split each scenario's seeds instead */
        cli_parallel(count, plan.exhaustive ? c->a.jobs : 1, NULL, explore_task, explore_done, jobs);
        for (uint32_t i = 0; i < count; i++) results[i] = jobs[i].result; /* moved */
        code = cli_finish(c, results, count);
        sim_run_info info = {.command = "explore", .version = PORTSIM_VERSION, .seed = plan.run.seed,
                             .strategy = plan.exhaustive ? "exhaustive" : sim_strategy_name(plan.run.strategy),
                             .profile = plan.run.profile ? cm_profile_name(plan.run.profile) : NULL,
                             .backend = "model"};
        int written = cli_write_reports(c, &info, results, count);
        if (written >= 0) code = written;
        for (uint32_t i = 0; i < count; i++) sim_result_free(&results[i]);
    }
    free(results);
    free(jobs);
    cli_files_free(&files);
    return code;
}
