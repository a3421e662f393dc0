/*
 * sim_explain.h — is a real run, as a whole, one the model can produce?
 *
 * The conformance judge checks each call's outcome against what the model
 * allows for that call alone (sim_allowed.h). Outcomes that are each
 * allowed can still be impossible together. sim_explain searches the
 * model's runs for one consistent with the whole observation at once:
 *   - every execution of every compared step, in the order the step's
 *     executions began, with the same value (sim_exec_value: results,
 *     created / NULL, blocked, killed), and no execution more or fewer;
 *   - per process, the order of its callouts (by msgid) and invalidation
 *     callbacks (by program), for the event kinds the backend observes.
 * Times are not compared (the per-call judge checks them, with its
 * tolerance).
 *
 * The runs searched: conform's own model runs (sim_allowed_each_run:
 * fifo, random seeds with latency choices, late hosts), then, while none
 * fits, the exhaustive search over every choice point with latency
 * choices (sim_explore.h), within a schedule budget.
 *   explained   the first consistent run, and how to replay it (the late-
 *               host runs are not replayable: they change the scenario's
 *               timing; the explanation says which jitter it was);
 *   diverged    none fits and the exhaustive search completed: no schedule
 *               of the model gives these outcomes together (late hosts: the
 *               lint plan's jitters were tried). The divergence is the first
 *               observation, in the real run's order, after the longest
 *               prefix any run matched;
 *   not found   none fits but a bound cut the search short: the same
 *               divergence, without the proof.
 *
 * Determinism: the same scenario, observation and plan give the same answer.
 */
#ifndef SIM_EXPLAIN_H
#define SIM_EXPLAIN_H

#include "sim_allowed.h"
#include "sim_explore.h"

typedef enum sim_explain_verdict {
    SIM_EXPLAINED = 1,
    SIM_EXPLAIN_NOT_FOUND = 2,
    SIM_EXPLAIN_DIVERGED = 3,
} sim_explain_verdict;

#define SIM_EXPLAIN_SCHEDULES_DEFAULT UINT64_C(20000)
#define SIM_EXPLAIN_DEPTH_DEFAULT 1024u

typedef struct sim_explain_plan {
    sim_allowed_plan allowed; /* conform's model runs, with its seed, bound and tolerance */
    uint64_t schedules;       /* exhaustive: at most this many runs (0: no exhaustive search) */
    uint32_t depth;           /* exhaustive: choice points branched (at most 1024) */
    const bool *compare;      /* [step]: its outcome is compared (the backend observes it); NULL: all */
    uint32_t event_kinds;     /* bits (1u << sim_event_kind): whose per-process order is compared */
    bool keep_obs;            /* keep the explained (else the closest) run's observation in out->obs */
} sim_explain_plan;

typedef struct sim_explain {
    uint8_t verdict;            /* sim_explain_verdict; 0 when the model could not run */
    uint64_t runs;              /* model runs compared */
    uint64_t schedules;         /* of which exhaustive */
    bool complete;              /* the exhaustive search covered every schedule within its bounds */
    uint32_t observations;      /* the real run's compared observations */
    /* explained: the run */
    sim_run_options run;        /* strategy, seed, schedule (picks below), latency: replayable */
    bool replayable;            /* false for a late-host run */
    uint32_t picks[1024];       /* exhaustive: the schedule */
    uint32_t pick_count;
    char how[200];              /* the explained (else the closest) run: "the fifo run", "random seed 7 ...",
                                   "a late host: ..." */
    /* not found / diverged: the closest run */
    uint32_t matched;           /* observations, in the real run's order, the closest run matched */
    uint32_t step;              /* the step of the first one it did not, or SIM_NONE */
    uint32_t execution;         /* which execution of that step */
    char where[800];            /* what the real run observed there and the closest run gave */
    /* plan->keep_obs: the explained run's observation, else the closest run's (owned: sim_explain_fini) */
    struct sim_obs *obs;
} sim_explain;

sim_explain_plan sim_explain_plan_default(void);
/* Searches; false with err when the model cannot run sc or memory ran out. out is overwritten
 * (sim_explain_fini it first if it holds an observation). */
bool sim_explain_run(const sim_scenario *sc, const sim_obs *real, const sim_explain_plan *plan, sim_explain *out,
                     char *err, size_t err_size);
/* Frees out->obs (what plan->keep_obs kept). */
void sim_explain_fini(sim_explain *x);
/*
 * Which calls of two runs of sc have no equal in the other, compared as the search compares them
 * (the plan's compared steps, keyed by step, process and thread, in each key's order; a queue's
 * workers as a multiset): a_differs[k] / b_differs[k] set to 1 for such an execution k of a / b
 * (arrays of a->exec_count / b->exec_count, zeroed here). False when out of memory.
 */
bool sim_explain_differences(const sim_scenario *sc, const sim_explain_plan *plan, const sim_obs *a, const sim_obs *b,
                             uint8_t *a_differs, uint8_t *b_differs);
/*
 * b (empty) takes *other (a malloc'd observation; *other becomes NULL) as the run to draw beside
 * own, with how and the two runs' labels (static), and the calls of each with no equal in the other
 * marked (sim_explain_differences). False when out of memory: b stays empty, *other untouched.
 */
bool sim_explain_beside(sim_beside *b, const sim_scenario *sc, const sim_explain_plan *plan, const sim_obs *own,
                        struct sim_obs **other, const char *how, const char *own_label, const char *other_label);
/* "portsim replay FILE ..." reproducing an explained, replayable run (malloc'd), else NULL. */
char *sim_explain_replay(const sim_explain *x, const char *file, const char *profile);
/* A finished explanation: a verdict, counts within their bounds, a divergence only without one. */
bool sim_explain_validate(const sim_explain *x);

#endif /* SIM_EXPLAIN_H */
