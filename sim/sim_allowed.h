/*
 * sim_allowed.h — what the model allows for each step of a scenario: the
 * outcome sets the conformance judge checks real runs against, and the
 * expectations `portsim fuzz` writes into generated scenarios.
 *
 * The scenario is compiled once and run on the core: once with the
 * canonical fifo strategy (its end time plans a real run), then `explore`
 * times with a seeded random strategy and latency choice points bounded by
 * max_latency_ns (explored delays stay plausible for IPC on one machine),
 * then, with a jitter tolerance, once per jitter of sim_lint.h's plan (a
 * sleep longer, a thread or process late). Every value any run produced for
 * a step is allowed for that step: creates 1/0, other operations their
 * result, blocked and killed calls their own codes (sim_exec_value).
 *
 * Determinism: the same scenario and plan give the same sets.
 */
#ifndef SIM_ALLOWED_H
#define SIM_ALLOWED_H

#include "sim_lint.h"
#include "sim_run.h"

#define SIM_ALLOWED_MAX 16u

typedef struct sim_allowed {
    uint32_t executions; /* over all runs */
    uint32_t runs_min;   /* executions in one run: the fewest and the most seen */
    uint32_t runs_max;
    uint8_t count;
    bool overflow;       /* more distinct values than kept: accept anything */
    int32_t values[SIM_ALLOWED_MAX];
} sim_allowed;

typedef struct sim_allowed_plan {
    uint8_t profile;        /* cm_profile_id; 0: the scenario's own */
    uint64_t seed;          /* of the random runs */
    uint32_t explore;       /* random runs after the fifo one */
    int64_t max_latency_ns; /* latency choices above this are not taken */
    int64_t jitter_ns;      /* > 0: also the lint plan's jitters at max(jitter_ns, jitter_pct %) */
    double jitter_pct;
    uint64_t max_events;    /* per run */
} sim_allowed_plan;

typedef struct sim_allowed_set {
    bool ok;
    char error[256];
    uint32_t runs;         /* runs made (fifo + random + jittered) */
    uint32_t jittered;     /* of which with a late-host jitter */
    int64_t end_ns;        /* the fifo run's end (virtual) */
    int64_t latest_end_ns; /* the latest end of a run not cut at the time limit (virtual; >= 0) */
    bool time_limited;     /* the fifo run ended at the time limit */
    /* Runs in which a thread nested callouts and waits past the model's bound (CM_STACK_MAX
     * frames) and its process was killed for it (a "stack" crash): CF's real stack goes on,
     * so what such a run allows is the bound's outcome, not CF's. */
    uint32_t nesting_bound_runs;
    uint32_t step_count;
    sim_allowed *allowed;  /* [step] */
    uint32_t *per_run;     /* scratch: executions per step in the run being collected */
} sim_allowed_set;

/* One of the plan's model runs, as sim_allowed_each_run hands it over. */
typedef struct sim_allowed_run {
    uint8_t strategy;        /* SIM_STRATEGY_FIFO or SIM_STRATEGY_RANDOM */
    uint64_t seed;           /* random: the seed, with latency choice points (replayable) */
    const sim_jitter *jitter; /* a late-host run (fifo, not a replay), or NULL */
    bool dequeue_delayed;    /* R50a: dispatch-queue dequeues late by the jitter (not a replay) */
    bool prompt_release;     /* R62: names and rights freed at once, no release window (not a replay) */
} sim_allowed_run;

/* Called once per model run with its observation; return false to stop the runs. */
typedef bool (*sim_allowed_visit_fn)(void *ctx, const sim_obs *obs, const sim_allowed_run *run);

sim_allowed_plan sim_allowed_plan_default(void);
/*
 * Every model run of the plan, in order (fifo, random seeds, the lint plan's jitters, the
 * late dequeues), each handed to visit: the one list of runs both the allowed sets and a joint
 * explanation (sim_explain.h) are made of. False with err when the model cannot run sc (or out
 * of memory); a visitor that stops the runs is not an error.
 */
bool sim_allowed_each_run(const sim_scenario *sc, const sim_allowed_plan *plan, sim_allowed_visit_fn visit,
                          void *ctx, char *err, size_t err_size);
/* Fills *out (sim_allowed_set_free); false with out->error when the model cannot run it. */
bool sim_allowed_explore(const sim_scenario *sc, const sim_allowed_plan *plan, sim_allowed_set *out);
/* The same, handing each run to also (when not NULL) after its values are taken: what else a
 * caller gathers from the runs (sim_gen.h: replies, names) costs no second set of runs. */
bool sim_allowed_explore_also(const sim_scenario *sc, const sim_allowed_plan *plan, sim_allowed_visit_fn also,
                              void *also_ctx, sim_allowed_set *out);
void sim_allowed_set_free(sim_allowed_set *s);
/* An explored set: one entry per step, each within its bound, at least one run. */
bool sim_allowed_set_validate(const sim_allowed_set *s, const sim_scenario *sc);
bool sim_allowed_has(const sim_allowed *a, int32_t value);
/* The value the checker compares for an execution (results, or blocked / killed codes). */
int32_t sim_exec_value(const sim_scenario *sc, const sim_exec *e);

#endif /* SIM_ALLOWED_H */
