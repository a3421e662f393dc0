/*
 * sim_lint.c — timing-robustness of a scenario (sim_lint.h): the model
 * run once per jitter a late host could cause, each verdict compared with
 * the undisturbed one.
 */
#include "sim_lint.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINT_TOLERANCE_NS (15 * CM_NS_PER_MS)
#define LINT_TOLERANCE_PCT 15.0
#define LINT_MAX_JITTERS 4096u
#define LINT_MAX_FINDINGS 16u
#define LINT_EVENT_BUDGET UINT64_C(2000000)

sim_lint_options sim_lint_options_default(void)
{
    return (sim_lint_options){.tolerance_ns = LINT_TOLERANCE_NS, .tolerance_pct = LINT_TOLERANCE_PCT,
                              .profile = 0, .max_jitters = LINT_MAX_JITTERS};
}

bool sim_lint_options_validate(const sim_lint_options *o)
{
    return o != NULL && o->tolerance_ns > 0 && o->tolerance_ns <= 3600 * CM_NS_PER_S &&
           o->tolerance_pct >= 0 && o->tolerance_pct <= 1000 && o->max_jitters >= 1 &&
           o->max_jitters <= LINT_MAX_JITTERS;
}

/* tol(d) = max(tolerance, pct % of d): the same shape as the conformance judge's window. */
int64_t sim_lint_delay_ns(const sim_lint_options *o, int64_t duration_ns)
{
    assert(sim_lint_options_validate(o));
    if (duration_ns < 0 || duration_ns == CM_DURATION_FOREVER) duration_ns = 0;
    double pct = (double)duration_ns * o->tolerance_pct / 100.0;
    if (!(pct < 3.6e12)) pct = 3.6e12; /* an hour: beyond any time limit */
    int64_t d = (int64_t)pct;
    return d > o->tolerance_ns ? d : o->tolerance_ns;
}

/* Adds a jitter at the tolerance's end and one at a third of it, while there is room. */
static void plan_both(sim_jitter *out, uint32_t cap, uint32_t *n, sim_jitter j)
{
    assert(j.delay_ns > 0);
    int64_t full = j.delay_ns;
    if (*n < cap) {
        out[(*n)++] = j;
    }
    j.delay_ns = full / 3;
    if (j.delay_ns > 0 && *n < cap) out[(*n)++] = j;
}

uint32_t sim_lint_plan(const sim_scenario *sc, const sim_lint_options *o, sim_jitter *out, uint32_t cap)
{
    assert(sc != NULL && sim_lint_options_validate(o));
    assert(out != NULL || cap == 0);
    if (cap > o->max_jitters) cap = o->max_jitters;
    uint32_t n = 0;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        sim_jitter j = {.kind = SIM_JITTER_PROCESS_START, .process = p,
                        .delay_ns = sim_lint_delay_ns(o, sc->processes[p].start_ns)};
        plan_both(out, cap, &n, j);
        for (uint32_t t = 0; t < sc->processes[p].thread_count; t++) {
            j = (sim_jitter){.kind = SIM_JITTER_THREAD_START, .process = p, .thread = t,
                             .delay_ns = sim_lint_delay_ns(o, 0)};
            plan_both(out, cap, &n, j);
        }
    }
    bool any_sleep = false;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        if (s->op != CM_OP_SLEEP) continue;
        any_sleep = true;
        sim_jitter j = {.kind = SIM_JITTER_SLEEP, .step = i, .delay_ns = sim_lint_delay_ns(o, s->t1_ns)};
        plan_both(out, cap, &n, j);
    }
    if (any_sleep) {
        sim_jitter j = {.kind = SIM_JITTER_ALL_SLEEPS, .delay_ns = sim_lint_delay_ns(o, 0)};
        plan_both(out, cap, &n, j);
    }
    assert(n <= cap);
    return n;
}

uint32_t sim_lint_plan_size(const sim_scenario *sc, const sim_lint_options *o)
{
    assert(sc != NULL && sim_lint_options_validate(o));
    uint64_t n = 2; /* every sleep at once */
    for (uint32_t p = 0; p < sc->process_count; p++) n += 2 + 2 * (uint64_t)sc->processes[p].thread_count;
    for (uint32_t i = 0; i < sc->step_count; i++) n += sc->steps[i].op == CM_OP_SLEEP ? 2 : 0;
    uint32_t size = n < o->max_jitters ? (uint32_t)n : o->max_jitters;
    assert(size >= 1);
    return size;
}

char *sim_jitter_describe(const sim_scenario *sc, const sim_jitter *j)
{
    assert(sc != NULL && j != NULL);
    char delay[40], base[40];
    sim_format_duration(j->delay_ns, delay, sizeof delay);
    switch (j->kind) {
    case SIM_JITTER_SLEEP: {
        const sim_step *s = &sc->steps[j->step];
        char *where = sim_step_where(sc, s);
        sim_format_duration(s->t1_ns < 0 ? 0 : s->t1_ns, base, sizeof base);
        char *text = sim_strdup_printf("the %s at %u:%u (%s) lasts %s longer than its %s",
                                       (s->flags & CM_OPF_WORK) ? "work" : "sleep", s->loc.line,
                                       s->loc.col, where != NULL ? where : "?", delay, base);
        free(where);
        return text;
    }
    case SIM_JITTER_THREAD_START:
        return sim_strdup_printf("thread %s/%s begins %s late", sc->processes[j->process].name,
                                 sc->processes[j->process].threads[j->thread].name, delay);
    case SIM_JITTER_PROCESS_START:
        return sim_strdup_printf("process %s starts %s late", sc->processes[j->process].name, delay);
    case SIM_JITTER_ALL_SLEEPS:
        return sim_strdup_printf("every sleep and work lasts %s longer", delay);
    default:
        return sim_strdup("no jitter");
    }
}

bool sim_jitter_observe(const sim_scenario *sc, const sim_jitter *j, const sim_run_options *opt,
                        sim_obs *obs)
{
    assert(sc != NULL && j != NULL && opt != NULL && obs != NULL);
    char err[200];
    sim_compiled c;
    if (!sim_compile(sc, opt->profile, &c, err, sizeof err)) {
        sim_obs_init(obs);
        return false;
    }
    bool applied = sim_compiled_jitter(&c, j);
    assert(applied || j->kind == SIM_JITTER_NONE);
    (void)applied;
    bool ok = sim_model_observe(&c, opt, obs);
    sim_compiled_free(&c);
    return ok;
}

struct sim_jitter_session {
    sim_compiled *c;
    sim_run_options ro;
    sim_model_session *run;
};

sim_jitter_session *sim_jitter_session_new(sim_compiled *c, const sim_run_options *opt)
{
    assert(c != NULL && opt != NULL);
    sim_jitter_session *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->c = c;
    s->ro = *opt;
    s->run = sim_model_session_new(c, &s->ro);
    if (s->run == NULL) {
        free(s);
        return NULL;
    }
    assert(s->c == c && s->run != NULL);
    return s;
}

const sim_obs *sim_jitter_session_run(sim_jitter_session *s, const sim_jitter *j)
{
    assert(s != NULL && s->run != NULL && j != NULL);
    bool applied = sim_compiled_jitter(s->c, j);
    assert(applied || j->kind == SIM_JITTER_NONE);
    (void)applied;
    bool ok = sim_model_session_run(s->run, &s->ro);
    sim_compiled_unjitter(s->c, j);
    return ok ? sim_model_session_obs(s->run) : NULL;
}

void sim_jitter_session_free(sim_jitter_session *s)
{
    if (s == NULL) return;
    sim_model_session_free(s->run);
    free(s);
}

/* The fifo options lint runs with (no latency exploration: time is what varies). */
static sim_run_options lint_run_options(const sim_lint_options *o)
{
    sim_run_options ro = sim_run_options_default();
    ro.strategy = SIM_STRATEGY_FIFO;
    ro.profile = o->profile;
    ro.max_events = LINT_EVENT_BUDGET;
    return ro;
}

/*
 * The scenario as the conformance judge sees it: every elapsed window wider
 * by the tolerance on each side (a late host is allowed that much), the rest
 * as written. Steps and expectations are copies; the scenario is untouched.
 */
typedef struct lint_view {
    sim_scenario sc;
    sim_step *steps;
    sim_expect *expects;
    sim_expect *alts; /* copies of joint alternatives */
} lint_view;

static void widen(sim_expect *w, const sim_lint_options *o)
{
    assert(w->has_elapsed && w->elapsed_min_ns <= w->elapsed_max_ns);
    int64_t lo = w->elapsed_min_ns, hi = w->elapsed_max_ns;
    w->elapsed_min_ns = lo - sim_lint_delay_ns(o, lo);
    if (w->elapsed_min_ns < 0) w->elapsed_min_ns = 0;
    if (hi != CM_DURATION_FOREVER) {
        int64_t tol = sim_lint_delay_ns(o, hi);
        w->elapsed_max_ns = hi > CM_DURATION_FOREVER - 1 - tol ? CM_DURATION_FOREVER - 1 : hi + tol;
    }
}

static bool view_make(lint_view *v, const sim_scenario *sc, const sim_lint_options *o)
{
    memset(v, 0, sizeof *v);
    v->sc = *sc;
    size_t alt_total = 0, used = 0;
    for (uint32_t i = 0; i < sc->step_count; i++) alt_total += sc->steps[i].expect ? sc->steps[i].expect->alt_count : 0;
    v->steps = malloc(((size_t)sc->step_count + 1) * sizeof *v->steps);
    v->expects = malloc(((size_t)sc->step_count + 1) * sizeof *v->expects);
    v->alts = malloc((alt_total + 1) * sizeof *v->alts);
    if (v->steps == NULL || v->expects == NULL || v->alts == NULL) return false;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        v->steps[i] = sc->steps[i];
        const sim_expect *x = sc->steps[i].expect;
        if (x == NULL || (!x->has_elapsed && x->alt_count == 0)) continue;
        sim_expect *w = &v->expects[i];
        *w = *x;
        if (w->has_elapsed) widen(w, o);
        for (uint32_t a = 0; a < x->alt_count; a++) {
            v->alts[used + a] = x->alts[a];
            if (x->alts[a].has_elapsed) widen(&v->alts[used + a], o);
        }
        if (x->alt_count > 0) w->alts = &v->alts[used];
        used += x->alt_count;
        v->steps[i].expect = w;
    }
    v->sc.steps = v->steps;
    assert(sim_scenario_validate(&v->sc));
    return true;
}

static void view_free(lint_view *v)
{
    free(v->steps);
    free(v->expects);
    free(v->alts);
}

/* The first failure of a jittered run, as a finding of the lint result. */
static void add_finding(sim_result *out, const sim_scenario *sc, const sim_jitter *j,
                        const sim_failure *f)
{
    char *jitter = sim_jitter_describe(sc, j);
    char *message = sim_strdup_printf("the verdict depends on timing: when %s, %s fails",
                                      jitter != NULL ? jitter : "?", f->message);
    sim_failure *g = sim_result_add_failure(out, SIM_FAIL_TIMING, f->line, f->col, message,
                                            f->expected, f->observed);
    if (g != NULL) {
        g->step = f->step;
        g->time_ns = f->time_ns;
    }
    free(message);
    free(jitter);
}

/* Whether a finding at this check is already reported (one per check: the first jitter). */
static bool reported(const sim_result *out, const sim_failure *f)
{
    for (uint32_t i = 0; i < out->failure_count; i++) {
        const sim_failure *g = &out->failures[i];
        if (g->kind == SIM_FAIL_TIMING && g->line == f->line && g->col == f->col) return true;
    }
    return false;
}

void sim_lint_scenario(const sim_scenario *sc, const sim_lint_options *o, sim_result *out)
{
    assert(sc != NULL && out != NULL && sim_lint_options_validate(o));
    sim_run_options ro = lint_run_options(o);
    sim_run_model(sc, &ro, out);
    if (out->verdict == SIM_VERDICT_SKIP || out->verdict == SIM_VERDICT_ERROR) return;
    if (out->verdict != SIM_VERDICT_PASS) {
        sim_result_add_note(out, "lint: the scenario fails without any jitter; fix that first");
        return;
    }
    uint32_t room = sim_lint_plan_size(sc, o);
    sim_jitter *plan = calloc(room, sizeof *plan);
    lint_view view;
    bool viewed = view_make(&view, sc, o);
    if (plan == NULL || !viewed) {
        free(plan);
        view_free(&view);
        sim_result_add_failure(out, SIM_FAIL_RUN, sc->loc.line, sc->loc.col, "lint: out of memory", NULL, NULL);
        return;
    }
    uint32_t n = sim_lint_plan(sc, o, plan, room);
    uint32_t flipped = 0, more = 0;
    char err[200];
    sim_compiled c;
    bool compiled = n > 0 && sim_compile(sc, ro.profile, &c, err, sizeof err);
    sim_jitter_session *session = compiled ? sim_jitter_session_new(&c, &ro) : NULL;
    for (uint32_t i = 0; i < n; i++) {
        const sim_obs *obs = session != NULL ? sim_jitter_session_run(session, &plan[i]) : NULL;
        if (obs == NULL) {
            sim_result_add_failure(out, SIM_FAIL_RUN, sc->loc.line, sc->loc.col,
                                   "lint: the model could not run a jittered run", NULL, NULL);
            break;
        }
        sim_result tmp;
        sim_result_init(&tmp);
        sim_check(&view.sc, obs, &tmp);
        if (tmp.failure_count > 0) {
            flipped++;
            const sim_failure *f = &tmp.failures[0];
            if (reported(out, f) || out->failure_count >= LINT_MAX_FINDINGS) {
                more++;
            } else {
                add_finding(out, sc, &plan[i], f);
            }
        }
        sim_result_free(&tmp);
    }
    sim_jitter_session_free(session);
    if (compiled) sim_compiled_free(&c);
    free(plan);
    view_free(&view);
    char tol[40];
    sim_format_duration(o->tolerance_ns, tol, sizeof tol);
    char *note = sim_strdup_printf("lint: %u jittered run%s (delays up to max(%s, %g%%)), %u changed the verdict%s",
                                   n, n == 1 ? "" : "s", tol, o->tolerance_pct, flipped,
                                   more > 0 ? " (findings at an already reported check are not repeated)" : "");
    if (note != NULL) sim_result_add_note(out, note);
    free(note);
    if (flipped > 0) {
        sim_result_add_note(out, "lint: order steps with signal / wait_for instead of sleep "
                                 "(docs/scenario-format.md 4.6), widen the window that is missed, or "
                                 "accept every outcome a late host gives in expect:");
    }
    assert(sim_result_validate(out));
}
