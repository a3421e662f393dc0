/*
 * conf_model.c — what the model allows for each call of a scenario, for a
 * conformance run: sim/sim_allowed.h with the run's options (profile,
 * seed, --explore, --max-latency-ms, and the timing tolerance as the
 * late-host jitter). Every result any model run produced for a step is
 * allowed for that step; a real outcome outside the set is one the model
 * cannot produce, and only where the outcome really depends on timing does
 * the jitter widen the set (a scenario ordered by signals gains nothing).
 */
#include "conf_runner.h"

#include <assert.h>
#include <string.h>

sim_allowed_plan conf_model_plan(const conf_options *opt)
{
    assert(conf_options_validate(opt));
    sim_allowed_plan plan = sim_allowed_plan_default();
    plan.profile = opt->profile;
    plan.seed = opt->seed;
    plan.explore = opt->explore;
    plan.max_latency_ns = opt->max_latency_ns;
    plan.jitter_ns = conf_tolerance_ns(opt, 0) > 0 ? conf_tolerance_ns(opt, 0) : 1;
    plan.jitter_pct = opt->tol_rel * 100.0;
    assert(plan.jitter_ns > 0);
    return plan;
}

bool conf_model_explore(const sim_scenario *sc, const conf_options *opt, conf_model *out)
{
    assert(sc != NULL && out != NULL);
    assert(conf_options_validate(opt));
    sim_allowed_plan plan = conf_model_plan(opt);
    return sim_allowed_explore(sc, &plan, out);
}

void conf_model_free(conf_model *m)
{
    sim_allowed_set_free(m);
}

bool conf_model_validate(const conf_model *m, const sim_scenario *sc)
{
    return sim_allowed_set_validate(m, sc);
}
