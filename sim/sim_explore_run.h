/*
 * sim_explore_run.h — one scenario under many schedules: what `portsim
 * explore` does, as a library call.
 *
 *   random, pct  seeds S .. S+N-1 (only this shard's), split over `jobs`
 *                threads by seed index; the totals, the distinct trace
 *                hashes and the first failing seed do not depend on jobs.
 *   exhaustive   the bounded depth-first search of sim_explore.h over every
 *                choice point, pruning states already seen, saying whether a
 *                bound cut it short.
 *
 * The outcome is an ordinary sim_result: the representative run (the first
 * failing one, run again in full for its failures and replay command, or
 * the scenario's first run when none failed), with result.explored saying
 * what was covered. So every report writer shows explorations as they show
 * runs. With census, result.census says which outcomes each step reached
 * over the schedules, and which allowed ones nothing reached (sim_census.h:
 * the explored schedules, then conform's model runs with latencies up to
 * run.max_latency_ns and a late host).
 *
 * With plan.symmetry the census is folded over symmetric processes
 * (sim_census_fold): the exact per-step outcome sets, from fewer schedules.
 *
 * Threads: sim_explore_scenario may start `jobs` threads and joins them
 * before it returns; `progress` is called from the calling thread only.
 */
#ifndef SIM_EXPLORE_RUN_H
#define SIM_EXPLORE_RUN_H

#include "sim_explore.h"
#include "sim_run.h"

typedef struct sim_explore_plan {
    sim_run_options run;   /* strategy random or pct (the seeds' first is run.seed) */
    bool exhaustive;       /* instead: every schedule within the bounds */
    uint64_t seeds;        /* random, pct: runs (before sharding) */
    uint32_t depth;        /* exhaustive: choice points branched (at most 1024) */
    uint64_t schedules;    /* exhaustive: at most this many runs */
    bool no_reduction;     /* exhaustive: every interleaving, no sleep sets */
    /* exhaustive, with reduction: symmetry reduction too (sim_explore.h), for callers that need
     * only each step's outcome set (the census, folded over symmetric processes; a failure found
     * is real, but whole-run expectations of the runs not made are not checked). `portsim
     * explore` does not set it. */
    bool symmetry;
    uint32_t jobs;         /* random, pct: threads (1..256) */
    uint32_t shard_index;  /* random, pct: this shard's seeds, i % shard_count == shard_index */
    uint32_t shard_count;
    bool stop_at_failure;
    bool census;           /* count each step's outcomes over the schedules (sim_census.h) */
    bool strict;           /* census: an allowed outcome nothing reached fails the result */
    /* Called about every 10 ms while seeds run (done, total), or NULL. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} sim_explore_plan;

sim_explore_plan sim_explore_plan_default(void);
/* Bounds in range, a strategy explore can use, a shard that exists. */
bool sim_explore_plan_validate(const sim_explore_plan *p);

/* Explores sc; fills *out (initialised here; sim_result_free). */
void sim_explore_scenario(const sim_scenario *sc, const sim_explore_plan *plan, sim_result *out);

#endif /* SIM_EXPLORE_RUN_H */
