/*
 * sim_run.h — running a scenario on the model (core/) and checking it.
 *
 *     sim_run_options opt = sim_run_options_default();
 *     opt.seed = 7; opt.strategy = SIM_STRATEGY_RANDOM;
 *     sim_result res;
 *     sim_run_model(&scenario, &opt, &res);   // compile, run, observe, check
 *     ... res.verdict, res.trace_hash, res.failures ...
 *     sim_result_free(&res);
 *
 * The lower layers are public too, for explorers and tests:
 * sim_model_observe runs one compiled world and records a sim_obs.
 *
 * Determinism: same scenario, seed, strategy and profile give the same
 * trace hash, events and result (wall_time_ns aside).
 */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include "sim_check.h"
#include "sim_compile.h"
#include "sim_obs.h"
#include "sim_result.h"

typedef enum sim_strategy_id {
    SIM_STRATEGY_FIFO = 1,     /* the canonical order */
    SIM_STRATEGY_RANDOM = 2,   /* uniform at every choice point, seeded */
    SIM_STRATEGY_PCT = 3,      /* probabilistic concurrency testing (sim_explore.h) */
    SIM_STRATEGY_SCHEDULE = 4, /* a recorded list of picks, then fifo */
} sim_strategy_id;

#define SIM_PCT_DEPTH_DEFAULT 3u
#define SIM_PCT_STEPS_DEFAULT UINT64_C(1000)

/* Trace events before a run stops and fails: 1,500 times the corpus's longest run (169),
 * and what keeps a runaway run (a timer every ns) under 64 MiB (5,000,000 took 510 MB). */
#define SIM_MAX_EVENTS_DEFAULT UINT64_C(250000)

/* --latency: explored message latencies stay at or below this, as conform's model runs do
 * (sim_allowed.h): a message 190 ms late is no timing one machine gives. */
#define SIM_MAX_LATENCY_DEFAULT_NS (INT64_C(2) * CM_NS_PER_MS)

typedef struct sim_run_options {
    uint64_t seed;
    uint8_t strategy;    /* sim_strategy_id */
    uint8_t profile;     /* cm_profile_id; 0: the scenario's own */
    uint64_t max_events; /* a run stops (and fails) after this many trace events */
    uint32_t pct_depth;  /* pct: d, one more than the priority change points */
    uint64_t pct_steps;  /* pct: k, the expected number of choice points */
    const uint32_t *schedule; /* schedule: the picks (caller-owned) */
    uint32_t schedule_count;
    bool explore_latency;     /* choice points for message latencies near deadlines */
    int64_t max_latency_ns;   /* explore_latency: no latency above this is chosen (the profile's
                                 always may be); CM_DURATION_FOREVER: no bound */
    bool track_history;       /* state hashes cover what was observed (exhaustive search) */
    bool track_symmetry;      /* the world answers cm_world_options_symmetric (exhaustive search) */
    /* Explorers: a strategy to use instead of the one named by `strategy`
     * (which still names it in results and replay commands). */
    const cm_strategy *custom;
    void *custom_ctx;
    bool keep_obs;       /* keep the observation and actor names in the result */
    /* Called with each canonical trace line (no newline), when set. */
    void (*trace_line)(void *ctx, const char *line);
    void *trace_ctx;
} sim_run_options;

sim_run_options sim_run_options_default(void);
const char *sim_strategy_name(uint8_t strategy);
uint8_t sim_strategy_by_name(const char *name); /* 0 if unknown */

/*
 * Runs a compiled scenario once and records what happened in *obs
 * (initialised here; the caller frees it with sim_obs_fini).
 * Returns false only when the world could not be made (out of memory).
 */
bool sim_model_observe(const sim_compiled *c, const sim_run_options *opt, sim_obs *obs);

/*
 * A session runs one compiled scenario many times on one world (reset
 * between runs, no reallocation): what explorers use. The options' seed,
 * strategy and custom strategy may change from run to run; the rest
 * (latency, history, budget) are those of the first run. The observation
 * of the last run stays in the session until the next one.
 */
typedef struct sim_model_session sim_model_session;
sim_model_session *sim_model_session_new(const sim_compiled *c, const sim_run_options *opt);
/* Runs once; false only when the world could not be made or run. */
bool sim_model_session_run(sim_model_session *s, const sim_run_options *opt);
const sim_obs *sim_model_session_obs(const sim_model_session *s);
void sim_model_session_free(sim_model_session *s);

/* Skip check, compile, observe, check: a complete result (sim_result_free). */
void sim_run_model(const sim_scenario *sc, const sim_run_options *opt, sim_result *res);

/* The result of a file that did not load: verdict error, one failure per diagnostic. */
void sim_result_from_diag(const sim_diag *diag, sim_result *res);

/* "portsim run FILE --seed N --strategy S --profile P", shell-quoted; malloc'd. */
char *sim_replay_command(const char *file, const sim_run_options *opt, const char *profile);

#endif /* SIM_RUN_H */
