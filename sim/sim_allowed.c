/*
 * sim_allowed.c — the model's allowed outcomes per step (sim_allowed.h):
 * fifo, bounded-latency random schedules (the bound is the core's, as for
 * explore --latency), late-host jitters.
 */
#include "sim_allowed.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOWED_EVENT_BUDGET UINT64_C(2000000)

sim_allowed_plan sim_allowed_plan_default(void)
{
    return (sim_allowed_plan){.profile = 0, .seed = 1, .explore = 64, .max_latency_ns = SIM_MAX_LATENCY_DEFAULT_NS,
                              .jitter_ns = 0, .jitter_pct = 0, .max_events = ALLOWED_EVENT_BUDGET};
}

bool sim_allowed_has(const sim_allowed *a, int32_t value)
{
    assert(a != NULL && a->count <= SIM_ALLOWED_MAX);
    if (a->overflow) return true;
    for (uint32_t i = 0; i < a->count; i++) {
        if (a->values[i] == value) return true;
    }
    return false;
}

static void allow(sim_allowed_set *m, uint32_t step, int32_t value)
{
    if (step >= m->step_count) return;
    sim_allowed *a = &m->allowed[step];
    a->executions++;
    if (sim_allowed_has(a, value)) return;
    if (a->count == SIM_ALLOWED_MAX) {
        a->overflow = true;
        return;
    }
    a->values[a->count++] = value;
}

/* The value compared for an execution of a step whose operation returns a type's values. */
static int32_t exec_value_typed(sim_result_type type, const sim_exec *e)
{
    assert(e != NULL);
    if (e->outcome == SIM_OUTCOME_BLOCKED) return SIM_VALUE_BLOCKED;
    if (e->outcome == SIM_OUTCOME_KILLED) return SIM_VALUE_KILLED;
    switch (type) {
    case SIM_RT_CREATED:
    case SIM_RT_STATUS:
    case SIM_RT_BOOL:
    case SIM_RT_RUN:
    case SIM_RT_INT: return e->value;
    default: return 0; /* only blocked / killed are compared for these */
    }
}

int32_t sim_exec_value(const sim_scenario *sc, const sim_exec *e)
{
    assert(sc != NULL && e != NULL && e->step < sc->step_count);
    return exec_value_typed(sim_op_result_type(sc->steps[e->step].op), e);
}

/* One run's values, and its execution count per step folded into runs_min / runs_max. Each
 * operation's result type is looked up once a run (sim_op_result_type searches a table). */
static void collect(sim_allowed_set *m, const sim_scenario *sc, const sim_obs *obs)
{
    assert(m->step_count == sc->step_count && m->per_run != NULL);
    memset(m->per_run, 0, ((size_t)m->step_count + 1) * sizeof *m->per_run);
    uint8_t types[256];
    memset(types, 0xff, sizeof types); /* 0xff: not looked up yet */
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        uint32_t step = obs->execs[i].step;
        if (step >= sc->step_count) continue;
        uint8_t op = sc->steps[step].op;
        if (types[op] == 0xff) types[op] = (uint8_t)sim_op_result_type(op);
        allow(m, step, exec_value_typed((sim_result_type)types[op], &obs->execs[i]));
        m->per_run[step]++;
    }
    for (uint32_t s = 0; s < m->step_count; s++) {
        sim_allowed *a = &m->allowed[s];
        if (m->per_run[s] < a->runs_min) a->runs_min = m->per_run[s];
        if (m->per_run[s] > a->runs_max) a->runs_max = m->per_run[s];
    }
}

/* A value allowed for a step without counting an execution (killed_near_death). */
static void allow_also(sim_allowed_set *m, uint32_t step, int32_t value)
{
    assert(m != NULL && step < m->step_count);
    uint32_t executions = m->allowed[step].executions;
    allow(m, step, value);
    m->allowed[step].executions = executions;
}

/*
 * A model call takes no virtual time, a real one does (a create_remote's connect, a send's
 * write): a call that returned within window_ns before its process died (a crash, or main's
 * end killing the other threads) could still be inside the call on a late host, and be
 * killed there. For each such call of this run: killed is allowed for its step, and the later
 * steps of its thread, which then never run, may run that many times fewer (runs_min).
 */
static void killed_near_death(sim_allowed_set *m, const sim_obs *obs, int64_t window_ns)
{
    assert(m != NULL && obs != NULL && window_ns >= 0);
    for (uint32_t k = 0; k < obs->exec_count; k++) {
        const sim_exec *death = &obs->execs[k];
        if (death->outcome != SIM_OUTCOME_KILLED) continue;
        bool first = true; /* one death per process: its first killed call stands for it */
        for (uint32_t j = 0; j < k && first; j++) {
            first = !(obs->execs[j].outcome == SIM_OUTCOME_KILLED && obs->execs[j].process == death->process &&
                      obs->execs[j].end_ns == death->end_ns);
        }
        for (uint32_t i = 0; first && i < obs->exec_count; i++) {
            const sim_exec *e = &obs->execs[i];
            if (e->process != death->process || e->outcome != SIM_OUTCOME_RETURNED || e->step >= m->step_count) continue;
            if (e->end_ns > death->end_ns || death->end_ns - e->end_ns > window_ns) continue;
            allow_also(m, e->step, SIM_VALUE_KILLED);
            for (uint32_t s = 0; s < m->step_count; s++) m->per_run[s] = 0; /* the later steps, per step */
            for (uint32_t l = 0; l < obs->exec_count; l++) {
                const sim_exec *later = &obs->execs[l];
                bool after = later->thread == e->thread && later->process == e->process && later->start_seq > e->end_seq;
                if (after && later->step < m->step_count) m->per_run[later->step]++;
            }
            for (uint32_t s = 0; s < m->step_count; s++) {
                if (m->per_run[s] == 0) continue;
                uint32_t ran = 0; /* this run's count of step s, less the later ones */
                for (uint32_t l = 0; l < obs->exec_count; l++) ran += obs->execs[l].step == s;
                uint32_t fewer = ran - m->per_run[s];
                if (fewer < m->allowed[s].runs_min) m->allowed[s].runs_min = fewer;
            }
        }
    }
    assert(m->per_run != NULL);
}

/* The fifo run and the random runs of the compiled c, on one session (one world, reset between
 * runs). False: the model could not run it (err), or the visitor stopped (*stopped). */
static bool each_schedule(const sim_compiled *c, const sim_allowed_plan *plan, bool dequeue_delayed,
                          bool prompt_release, sim_allowed_visit_fn visit, void *ctx, bool *stopped, char *err,
                          size_t err_size)
{
    assert(c != NULL && plan != NULL && visit != NULL && stopped != NULL);
    /* Latency choice points are on for all runs, bounded as explore --latency bounds them (the
     * core offers none above the bound); the fifo run always takes option 0. */
    sim_run_options ro = sim_run_options_default();
    ro.profile = plan->profile;
    ro.max_events = plan->max_events;
    ro.explore_latency = true;
    ro.max_latency_ns = plan->max_latency_ns;
    ro.strategy = SIM_STRATEGY_FIFO;
    sim_model_session *session = sim_model_session_new(c, &ro);
    bool ok = session != NULL && sim_model_session_run(session, &ro);
    sim_allowed_run run = {.strategy = SIM_STRATEGY_FIFO, .seed = 0, .dequeue_delayed = dequeue_delayed,
                           .prompt_release = prompt_release};
    if (ok) *stopped = !visit(ctx, sim_model_session_obs(session), &run);
    for (uint32_t i = 0; ok && !*stopped && i < plan->explore; i++) {
        ro.strategy = SIM_STRATEGY_RANDOM;
        ro.seed = plan->seed * UINT64_C(1000003) + i;
        ok = sim_model_session_run(session, &ro);
        run = (sim_allowed_run){.strategy = SIM_STRATEGY_RANDOM, .seed = ro.seed, .dequeue_delayed = dequeue_delayed,
                                .prompt_release = prompt_release};
        if (ok) *stopped = !visit(ctx, sim_model_session_obs(session), &run);
    }
    if (session != NULL) sim_model_session_free(session);
    if (!ok) snprintf(err, err_size, "the model could not run it (out of memory)");
    return ok;
}

/* sc compiled for the plan's profile; false with err when it does not compile. */
static bool compile_for(const sim_scenario *sc, const sim_allowed_plan *plan, sim_compiled *c, char *err,
                        size_t err_size)
{
    char why[200];
    if (sim_compile(sc, plan->profile, c, why, sizeof why)) return true;
    snprintf(err, err_size, "the model cannot run it: %s", why);
    return false;
}

/* The lint plan's jittered runs (fifo) on the compiled c, one world for them all (each jitter
 * applied, run, undone; c is as compiled after). False: out of memory (err), or the visitor
 * stopped. */
static bool each_jitter(sim_compiled *c, const sim_allowed_plan *plan, sim_allowed_visit_fn visit, void *ctx,
                        bool *stopped, char *err, size_t err_size)
{
    assert(c != NULL && plan != NULL && visit != NULL && stopped != NULL);
    const sim_scenario *sc = c->sc;
    sim_lint_options lo = sim_lint_options_default();
    lo.tolerance_ns = plan->jitter_ns;
    lo.tolerance_pct = plan->jitter_pct;
    lo.profile = plan->profile;
    if (!sim_lint_options_validate(&lo)) return true; /* a tolerance lint cannot express: no jitter */
    uint32_t room = sim_lint_plan_size(sc, &lo);
    sim_jitter *jitters = calloc(room, sizeof *jitters);
    if (jitters == NULL) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    uint32_t n = sim_lint_plan(sc, &lo, jitters, room);
    sim_run_options ro = sim_run_options_default();
    ro.profile = plan->profile;
    ro.max_events = plan->max_events;
    ro.strategy = SIM_STRATEGY_FIFO;
    sim_jitter_session *session = n > 0 ? sim_jitter_session_new(c, &ro) : NULL;
    bool ok = n == 0 || session != NULL;
    for (uint32_t i = 0; ok && !*stopped && i < n; i++) {
        const sim_obs *obs = sim_jitter_session_run(session, &jitters[i]);
        ok = obs != NULL;
        sim_allowed_run run = {.strategy = SIM_STRATEGY_FIFO, .jitter = &jitters[i]};
        if (ok) *stopped = !visit(ctx, obs, &run);
    }
    sim_jitter_session_free(session);
    free(jitters);
    if (!ok) snprintf(err, err_size, "the model could not run a jittered run (out of memory)");
    return ok;
}

/* A quarter of the plan's schedules on the compiled c with the options of variant (a shallow
 * copy of c's scenario that differs only in them): they reach the world only through its
 * profile, so c with variant's profile is variant compiled, without compiling it again (a
 * session copies the configuration it is made with). */
static bool each_schedule_of_variant(sim_compiled *c, const sim_scenario *variant, const sim_allowed_plan *plan,
                                     bool dequeue_delayed, bool prompt_release, sim_allowed_visit_fn visit,
                                     void *ctx, bool *stopped, char *err, size_t err_size)
{
    assert(c != NULL && variant != NULL && variant->step_count == c->sc->step_count);
    sim_allowed_plan p = *plan;
    p.explore = plan->explore / 4;
    cm_profile was = c->cfg.profile;
    c->cfg.profile = sim_scenario_profile(variant, plan->profile);
    bool ok = each_schedule(c, &p, dequeue_delayed, prompt_release, visit, ctx, stopped, err, err_size);
    c->cfg.profile = was;
    assert(p.explore <= plan->explore && c->sc->step_count == variant->step_count);
    return ok;
}

static bool uses_dispatch_queues(const sim_scenario *sc)
{
    for (uint32_t i = 0; i < sc->step_count; i++) {
        if (sc->steps[i].op == CM_OP_SET_DISPATCH_QUEUE) return true;
    }
    return false;
}

/*
 * R50a: a port's dispatch queue takes messages off "at once" in the model, while a late host
 * (its dequeuing thread descheduled) can leave them queued long enough for a sender to meet a
 * full queue: -1, which senders seldom see. Those outcomes are allowed too, from runs with the
 * dequeue delayed by the jitter (unless the scenario sets that delay itself).
 */
static bool each_dequeue_delay(sim_compiled *c, const sim_allowed_plan *plan, sim_allowed_visit_fn visit,
                               void *ctx, bool *stopped, char *err, size_t err_size)
{
    assert(c != NULL && plan->jitter_ns > 0);
    const sim_scenario *sc = c->sc;
    if (!uses_dispatch_queues(sc) || (sc->option_mask & SIM_OPT_DISPATCH_DEQUEUE_DELAY)) return true;
    sim_scenario late = *sc; /* shallow: only the options differ, nothing is freed through it */
    late.option_mask |= SIM_OPT_DISPATCH_DEQUEUE_DELAY;
    late.options.dispatch_dequeue_delay_ns = plan->jitter_ns;
    return each_schedule_of_variant(c, &late, plan, true, false, visit, ctx, stopped, err, err_size);
}

/*
 * R62: how long a dead port's rights and name stay registered is UNCERTAIN ("a short window",
 * the profile's 1 ms + 1 ms is a default), and a host may free them at once (libcfmp does, and
 * so does Mach whenever the teardown wins the race). A lookup, send or IsValid probe right
 * after an invalidation or a crash may then see the port gone sooner than the default window
 * lets the model show: these runs, with both delays 0, allow it. A scenario that sets either
 * delay in its options chose its window and is left as it is.
 */
static bool each_prompt_release(sim_compiled *c, const sim_allowed_plan *plan, sim_allowed_visit_fn visit,
                                void *ctx, bool *stopped, char *err, size_t err_size)
{
    assert(c != NULL && plan->jitter_ns > 0);
    const sim_scenario *sc = c->sc;
    if (sc->option_mask & (SIM_OPT_NAME_RELEASE_DELAY | SIM_OPT_RIGHTS_RELEASE_DELAY)) return true;
    sim_scenario prompt = *sc; /* shallow: only the options differ, nothing is freed through it */
    prompt.option_mask |= SIM_OPT_NAME_RELEASE_DELAY | SIM_OPT_RIGHTS_RELEASE_DELAY;
    prompt.options.name_release_delay_ns = 0;
    prompt.options.rights_release_delay_ns = 0;
    return each_schedule_of_variant(c, &prompt, plan, false, true, visit, ctx, stopped, err, err_size);
}

bool sim_allowed_each_run(const sim_scenario *sc, const sim_allowed_plan *plan, sim_allowed_visit_fn visit,
                          void *ctx, char *err, size_t err_size)
{
    assert(sc != NULL && plan != NULL && visit != NULL);
    assert(err != NULL && err_size > 0);
    err[0] = '\0';
    bool stopped = false;
    sim_compiled c; /* one compilation for the schedules, the jitters, the late dequeues and prompt releases */
    if (!compile_for(sc, plan, &c, err, err_size)) return false;
    bool ok = each_schedule(&c, plan, false, false, visit, ctx, &stopped, err, err_size);
    if (ok && !stopped && plan->jitter_ns > 0) ok = each_jitter(&c, plan, visit, ctx, &stopped, err, err_size);
    if (ok && !stopped && plan->jitter_ns > 0) ok = each_dequeue_delay(&c, plan, visit, ctx, &stopped, err, err_size);
    if (ok && !stopped && plan->jitter_ns > 0) ok = each_prompt_release(&c, plan, visit, ctx, &stopped, err, err_size);
    sim_compiled_free(&c);
    return ok;
}

typedef struct allowed_ctx {
    const sim_scenario *sc;
    sim_allowed_set *out;
    int64_t kill_window_ns; /* killed_near_death: the plan's jitter (0: none) */
    sim_allowed_visit_fn also; /* or NULL */
    void *also_ctx;
} allowed_ctx;

/* A run's values into the sets; the plain fifo run's end plans a real run. */
static bool allowed_visit(void *ctx, const sim_obs *obs, const sim_allowed_run *run)
{
    allowed_ctx *x = ctx;
    assert(x != NULL && obs != NULL && run != NULL);
    bool late = run->jitter != NULL || run->dequeue_delayed || run->prompt_release;
    /* an allowed outcome may need the longest of the runs to happen (a restarted server whose
     * run loop runs, where the fifo run's NULL create killed it at once) */
    if (obs->end_ns > x->out->latest_end_ns && strcmp(obs->end_reason, "time_limit") != 0) {
        x->out->latest_end_ns = obs->end_ns;
    }
    if (x->out->runs == 0) { /* the plain fifo run comes first */
        assert(run->strategy == SIM_STRATEGY_FIFO && !late);
        x->out->end_ns = obs->end_ns;
        x->out->time_limited = strcmp(obs->end_reason, "time_limit") == 0;
    }
    collect(x->out, x->sc, obs);
    if (x->kill_window_ns > 0) killed_near_death(x->out, obs, x->kill_window_ns);
    bool bounded = false;
    for (uint32_t i = 0; i < obs->event_count && !bounded; i++) {
        bounded = obs->events[i].kind == SIM_EV_CRASH && obs->events[i].code == CM_CRASH_STACK;
    }
    x->out->nesting_bound_runs += bounded;
    x->out->runs++;
    x->out->jittered += late;
    return x->also == NULL || x->also(x->also_ctx, obs, run);
}

bool sim_allowed_explore(const sim_scenario *sc, const sim_allowed_plan *plan, sim_allowed_set *out)
{
    return sim_allowed_explore_also(sc, plan, NULL, NULL, out);
}

bool sim_allowed_explore_also(const sim_scenario *sc, const sim_allowed_plan *plan, sim_allowed_visit_fn also,
                              void *also_ctx, sim_allowed_set *out)
{
    assert(sc != NULL && plan != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->step_count = sc->step_count;
    out->allowed = calloc((size_t)sc->step_count + 1, sizeof *out->allowed);
    out->per_run = calloc((size_t)sc->step_count + 1, sizeof *out->per_run);
    for (uint32_t s = 0; out->allowed != NULL && s < sc->step_count; s++) out->allowed[s].runs_min = UINT32_MAX;
    if (out->allowed == NULL || out->per_run == NULL) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return false;
    }
    allowed_ctx x = {.sc = sc, .out = out, .kill_window_ns = plan->jitter_ns, .also = also, .also_ctx = also_ctx};
    bool ok = sim_allowed_each_run(sc, plan, allowed_visit, &x, out->error, sizeof out->error);
    out->ok = ok && out->runs > 0;
    assert(!out->ok || sim_allowed_set_validate(out, sc));
    return out->ok;
}

void sim_allowed_set_free(sim_allowed_set *s)
{
    free(s->allowed);
    free(s->per_run);
    memset(s, 0, sizeof *s);
}

bool sim_allowed_set_validate(const sim_allowed_set *s, const sim_scenario *sc)
{
    if (s == NULL || !s->ok || s->allowed == NULL || s->step_count != sc->step_count || s->runs == 0) return false;
    if (s->jittered > s->runs) return false;
    for (uint32_t i = 0; i < s->step_count; i++) {
        if (s->allowed[i].count > SIM_ALLOWED_MAX) return false;
    }
    return s->end_ns >= 0;
}
