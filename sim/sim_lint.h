/*
 * sim_lint.h — does a scenario's verdict depend on how busy the host is?
 *
 * A real host never runs a scenario exactly on time: sleeps end late,
 * threads and processes begin late. The model can run every such delay
 * within the conformance tolerance (tol(d) = max(tolerance, pct % of d),
 * as conf_judge.c uses for elapsed windows) and see whether the verdict
 * changes. Each jitter of the plan delays one thing: one sleep or work
 * step, one thread's start, one process's start, or every sleep at once,
 * at the tolerance's end and at a third of it (a window a full delay
 * would jump over). Orders within one instant are the explorer's business
 * (portsim explore); lint covers time.
 *
 *     sim_lint_options o = sim_lint_options_default();
 *     sim_result r;
 *     sim_lint_scenario(&sc, &o, &r);  // PASS: robust; FAIL: fragile, with findings
 *
 * A finding is a failure of kind SIM_FAIL_TIMING at the check that flips
 * (the step that depends on timing), naming the jitter that flips it; the
 * result's notes say how many jittered runs were made and what to do.
 * The same plan widens the conformance runner's model-allowed outcomes
 * (conf_model.c): an outcome a late host can produce is allowed there.
 *
 * Determinism: the plan and every run are fifo and seed-free, so the same
 * scenario always lints the same way.
 */
#ifndef SIM_LINT_H
#define SIM_LINT_H

#include "sim_run.h"

typedef struct sim_lint_options {
    int64_t tolerance_ns;  /* the smallest delay tried at the tolerance's end (15 ms) */
    double tolerance_pct;  /* or this % of the delayed duration, when larger (15) */
    uint8_t profile;       /* cm_profile_id; 0: the scenario's own */
    uint32_t max_jitters;  /* the plan's bound (4096) */
} sim_lint_options;

sim_lint_options sim_lint_options_default(void);
bool sim_lint_options_validate(const sim_lint_options *o);

/* The delay of the tolerance's end for something lasting duration_ns (>= 0). */
int64_t sim_lint_delay_ns(const sim_lint_options *o, int64_t duration_ns);

/* The jitters to try, at most cap of them, in a fixed order; returns how many. */
uint32_t sim_lint_plan(const sim_scenario *sc, const sim_lint_options *o, sim_jitter *out, uint32_t cap);
/* How many sim_lint_plan gives sc at most (<= o->max_jitters): the room to allocate for it. */
uint32_t sim_lint_plan_size(const sim_scenario *sc, const sim_lint_options *o);

/* "thread server/loop begins 15ms late", "sleep at 12:11 (client/main) lasts 17ms, not 2ms" (malloc'd). */
char *sim_jitter_describe(const sim_scenario *sc, const sim_jitter *j);

/* One fifo run of sc with the jitter applied, recorded in *obs (sim_obs_fini). False: no world. */
bool sim_jitter_observe(const sim_scenario *sc, const sim_jitter *j, const sim_run_options *opt,
                        sim_obs *obs);

/*
 * Many jittered runs of one compiled scenario on one world (reset between runs), each jitter
 * applied to the compiled arrays before its run and undone after it, so the compiled scenario
 * is as it was between runs (and may serve other sessions). A run gives the observation
 * sim_jitter_observe would (a reset world starts as a new one does); it stays valid until the
 * next run. What lint and the allowed sets (sim_allowed.h) run the plan on.
 */
typedef struct sim_jitter_session sim_jitter_session;
/* On c (borrowed: it outlives the session); NULL when memory is out. */
sim_jitter_session *sim_jitter_session_new(sim_compiled *c, const sim_run_options *opt);
/* One fifo run with j (SIM_JITTER_NONE: none); NULL when the world could not run. */
const sim_obs *sim_jitter_session_run(sim_jitter_session *s, const sim_jitter *j);
void sim_jitter_session_free(sim_jitter_session *s);

/* Lints sc; fills *out (initialised here; sim_result_free). */
void sim_lint_scenario(const sim_scenario *sc, const sim_lint_options *o, sim_result *out);

#endif /* SIM_LINT_H */
