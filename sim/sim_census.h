/*
 * sim_census.h — which outcomes each step reached over many schedules
 * (`portsim explore --census`), and which outcomes a scenario allows that
 * nothing reached.
 *
 * A racy expectation such as `expect: [success, receive_timeout]` passes
 * even when every schedule gives `success`: the check alone cannot say that
 * `receive_timeout` is reachable at all. The census counts, per step and
 * outcome, the explored schedules in which the step had that outcome (an
 * outcome met twice in one schedule counts once). An allowed outcome no
 * schedule reached is then looked up in the model's other account of what a
 * run may give: the runs conform allows outcomes from (sim_allowed.h: fifo,
 * random schedules with latencies up to the bound, a late host at the
 * conformance tolerance). Reached there, it is justified by the model (a
 * deadline tie or a loaded host gives it); reached nowhere, it is an
 * expectation wider than the model can justify: a warning, or with strict a
 * failure of the result.
 *
 * Outcomes are the values the checker and conform compare (sim_exec_value):
 * results, created / null, blocked, killed. A step with more than
 * SIM_CENSUS_VALUES_MAX distinct outcomes keeps the first ones and says so.
 *
 * Determinism: counts are sums over schedules, so the same schedules give
 * the same census whatever order they ran in (merge is commutative).
 */
#ifndef SIM_CENSUS_H
#define SIM_CENSUS_H

#include "sim_allowed.h"
#include "sim_result.h"

#define SIM_CENSUS_VALUES_MAX 16u

typedef struct sim_census_counts {
    uint64_t ran;        /* schedules in which the step ran */
    uint8_t count;
    bool overflow;       /* more distinct outcomes than kept */
    int32_t values[SIM_CENSUS_VALUES_MAX];
    uint64_t schedules[SIM_CENSUS_VALUES_MAX];
} sim_census_counts;

typedef struct sim_census {
    uint64_t schedules;
    uint32_t step_count;
    sim_census_counts *steps; /* [step] */
    uint32_t *seen;           /* scratch: per step, the outcomes met in the schedule being added */
} sim_census;

/* False when out of memory (then c is empty and adding does nothing). */
bool sim_census_init(sim_census *c, uint32_t step_count);
void sim_census_fini(sim_census *c);
/* Counts one schedule's observation. */
void sim_census_add(sim_census *c, const sim_scenario *sc, const sim_obs *obs);
/* into += from (same scenario); values from has that into has not are appended. */
void sim_census_merge(sim_census *into, const sim_census *from);

/*
 * Symmetry folding (sim_explore.h, sim_symmetry_reps): each step's counts
 * become the sums over the steps of its rep, so every step of a class has
 * the outcomes any of them reached. What a search with symmetry covers
 * exactly is these folded sets.
 */
void sim_census_fold(sim_census *c, const uint32_t *rep);

/* The outcomes a step's expect: allows (its result list), into values; false when it allows any. */
bool sim_census_allowed(const sim_scenario *sc, uint32_t step, int32_t *values, uint32_t *count);

/* The model's other account: conform's model runs at their defaults, latencies up to max_latency_ns. */
sim_allowed_plan sim_census_account_plan(uint8_t profile, int64_t max_latency_ns);

typedef struct sim_census_how {
    const char *method;      /* static: "random", "pct", "exhaustive" */
    bool latency;            /* the schedules chose latencies */
    bool strict;             /* unreached allowed outcomes fail the result */
} sim_census_how;

/*
 * Fills out->census from the counts and the account (NULL: none made): a step
 * with more than one allowed or reached outcome gets a line. Each allowed
 * outcome reached neither by a schedule nor in the account is counted in
 * census.unreached, and with how->strict is also a failure of *out (an
 * expectation failure at the expected result; the result's replay command is
 * dropped when nothing else failed, since no run fails). False: out of memory.
 */
bool sim_census_describe(const sim_census *c, const sim_scenario *sc, const sim_allowed_set *account,
                         const sim_census_how *how, sim_result *out);

/* "allowed outcome receive_timeout never reached in 1000 schedules (random), nor in conform's 80
 * model runs" (malloc'd): the text of a census warning or failure. */
char *sim_census_unreached_text(const sim_census_part *p, const sim_census_outcome *o);

#endif /* SIM_CENSUS_H */
