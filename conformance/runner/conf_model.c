/*
 * conf_model.c — what the model allows for each call of a scenario.
 *
 * The scenario is compiled once (sim_compile) and run on the core: once
 * with the canonical fifo strategy (its end time plans the real run), then
 * `explore` times with a seeded random strategy and latency exploration
 * (explore_latency: each message's delivery latency is the profile's, or
 * lands 1 ns before, at or after a pending deadline). Latency choices are
 * bounded by max_latency_ns, so the explored delays stay plausible for
 * real IPC on one machine (a 1 s latency would make every reply racy).
 * Every result any run produced for a step is allowed for that step; a
 * real outcome outside the set is one the model cannot produce.
 *
 * Then once per jitter of sim_lint.h's plan (a sleep longer, a thread or
 * process late, by the run's timing tolerance): an outcome a late host can
 * legitimately produce is allowed, and only where the outcome really depends
 * on timing does the set grow (a scenario ordered by signals gains nothing).
 *
 * The runs go through one sim_model_session (one world, reset between
 * runs); their observations (sim_obs) give each execution's value with the
 * conventions the checker uses: creates 1/0, other operations their
 * result, blocked and killed calls their own codes.
 */
#include "conf_runner.h"

#include "sim_compile.h"
#include "sim_lint.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define EXPLORE_EVENT_BUDGET UINT64_C(2000000)

bool conf_allowed_has(const conf_allowed *a, int32_t value)
{
    if (a->overflow) return true;
    for (uint32_t i = 0; i < a->count; i++) {
        if (a->values[i] == value) return true;
    }
    return false;
}

static void allow(conf_model *m, uint32_t step, int32_t value)
{
    if (step >= m->step_count) return;
    conf_allowed *a = &m->allowed[step];
    a->executions++;
    if (conf_allowed_has(a, value)) return;
    if (a->count == CONF_ALLOWED_MAX) {
        a->overflow = true;
        return;
    }
    a->values[a->count++] = value;
}

/* The value the checker compares, as conf_judge.c does for real runs. */
static int32_t value_of(const sim_scenario *sc, const sim_exec *e)
{
    if (e->outcome == SIM_OUTCOME_BLOCKED) return SIM_VALUE_BLOCKED;
    if (e->outcome == SIM_OUTCOME_KILLED) return SIM_VALUE_KILLED;
    switch (sim_op_result_type(sc->steps[e->step].op)) {
    case SIM_RT_CREATED:
    case SIM_RT_STATUS:
    case SIM_RT_BOOL:
    case SIM_RT_RUN:
    case SIM_RT_INT: return e->value;
    default: return 0; /* only blocked / killed are compared for these */
    }
}

static void collect(conf_model *m, const sim_scenario *sc, const sim_obs *obs)
{
    for (uint32_t i = 0; i < obs->exec_count; i++) allow(m, obs->execs[i].step, value_of(sc, &obs->execs[i]));
}

/* Random, but latency choices only among the plausible ones (option 0 always is). */
typedef struct bounded_random {
    cm_rng rng;
    int64_t max_latency_ns;
} bounded_random;

static uint32_t bounded_choose(void *ctx, const cm_choice *choice)
{
    bounded_random *b = ctx;
    if (choice->kind != CM_CHOICE_LATENCY) return (uint32_t)cm_rng_below(&b->rng, choice->count);
    uint32_t ok[16];
    uint32_t n = 0;
    for (uint32_t i = 0; i < choice->count && n < 16; i++) {
        if (i == 0 || choice->options[i].value <= b->max_latency_ns) ok[n++] = i;
    }
    return ok[cm_rng_below(&b->rng, n)];
}

static const cm_strategy bounded_random_strategy = {.name = "random-bounded-latency",
                                                    .choose = bounded_choose};

/* The lint plan's jittered runs (fifo), their outcomes allowed too. False: out of memory. */
static bool explore_jitter(const sim_scenario *sc, const conf_options *opt, conf_model *out)
{
    assert(sc != NULL && opt != NULL && out->allowed != NULL);
    sim_lint_options lo = sim_lint_options_default();
    lo.tolerance_ns = conf_tolerance_ns(opt, 0) > 0 ? conf_tolerance_ns(opt, 0) : 1;
    lo.tolerance_pct = opt->tol_rel * 100.0;
    lo.profile = opt->profile;
    if (!sim_lint_options_validate(&lo)) return true; /* a tolerance lint cannot express: no jitter */
    sim_jitter *plan = calloc(lo.max_jitters, sizeof *plan);
    if (plan == NULL) return false;
    uint32_t n = sim_lint_plan(sc, &lo, plan, lo.max_jitters);
    sim_run_options ro = sim_run_options_default();
    ro.profile = opt->profile;
    ro.max_events = EXPLORE_EVENT_BUDGET;
    ro.strategy = SIM_STRATEGY_FIFO;
    bool ok = true;
    for (uint32_t i = 0; ok && i < n; i++) {
        sim_obs obs;
        ok = sim_jitter_observe(sc, &plan[i], &ro, &obs);
        if (ok) collect(out, sc, &obs);
        out->runs += ok;
        out->jittered += ok;
        sim_obs_fini(&obs);
    }
    free(plan);
    return ok;
}

bool conf_model_explore(const sim_scenario *sc, const conf_options *opt, conf_model *out)
{
    memset(out, 0, sizeof *out);
    out->step_count = sc->step_count;
    out->allowed = calloc((size_t)sc->step_count + 1, sizeof *out->allowed);
    if (out->allowed == NULL) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return false;
    }
    sim_compiled c;
    char err[200];
    if (!sim_compile(sc, opt->profile, &c, err, sizeof err)) {
        snprintf(out->error, sizeof out->error, "the model cannot run it: %s", err);
        return false;
    }
    /* One session, one world reset between runs. Latency choice points are on for all runs;
     * the first run is fifo, which always takes the profile's latency (option 0). */
    sim_run_options ro = sim_run_options_default();
    ro.profile = opt->profile;
    ro.max_events = EXPLORE_EVENT_BUDGET;
    ro.explore_latency = true;
    ro.strategy = SIM_STRATEGY_FIFO;
    sim_model_session *session = sim_model_session_new(&c, &ro);
    bool ok = session != NULL && sim_model_session_run(session, &ro);
    if (ok) {
        const sim_obs *obs = sim_model_session_obs(session);
        out->end_ns = obs->end_ns;
        out->time_limited = strcmp(obs->end_reason, "time_limit") == 0;
        collect(out, sc, obs);
        out->runs = 1;
    }
    for (uint32_t i = 0; ok && i < opt->explore; i++) {
        bounded_random b = {.max_latency_ns = opt->max_latency_ns};
        cm_rng_seed(&b.rng, opt->seed * UINT64_C(1000003) + i);
        ro.strategy = SIM_STRATEGY_RANDOM;
        ro.seed = opt->seed * UINT64_C(1000003) + i;
        ro.custom = &bounded_random_strategy;
        ro.custom_ctx = &b;
        ok = sim_model_session_run(session, &ro);
        if (ok) collect(out, sc, sim_model_session_obs(session));
        out->runs += ok;
    }
    if (session != NULL) sim_model_session_free(session);
    sim_compiled_free(&c);
    if (ok) ok = explore_jitter(sc, opt, out);
    if (!ok) {
        snprintf(out->error, sizeof out->error, "the model could not run it (out of memory)");
        return false;
    }
    out->ok = true;
    return true;
}

void conf_model_free(conf_model *m)
{
    free(m->allowed);
    memset(m, 0, sizeof *m);
}

bool conf_model_validate(const conf_model *m, const sim_scenario *sc)
{
    if (m == NULL || !m->ok || m->allowed == NULL || m->step_count != sc->step_count || m->runs == 0) return false;
    for (uint32_t i = 0; i < m->step_count; i++) {
        if (m->allowed[i].count > CONF_ALLOWED_MAX) return false;
    }
    return m->end_ns >= 0;
}
