/*
 * conf_judge.c — the verdict on one real run.
 *
 * 1. The run's own problems (an agent that died, hung, sent garbage, a
 *    step it could not perform) are failures of kind "run".
 * 2. sim_check (the same checker `portsim run` uses) runs on a *view* of
 *    the scenario: expectations the backend cannot observe are left out
 *    and listed as notes (event kinds the agent does not report
 *    completely; results an agent reports as unobservable), and for real
 *    clocks the elapsed windows are taken out, to be checked here with a
 *    tolerance.
 * 3. Timing (real clocks): every elapsed window is widened by
 *    tolerance(d) = max(tol_abs / time_scale, tol_rel x d) on each side;
 *    a result outside it fails, with its margin.
 * 4. Model-allowed outcomes: every execution's result must be one the
 *    model produced for that step in some explored schedule.
 * 5. Margins: for each call with a deadline (send and receive timeouts,
 *    run_loop's duration, sleep), how far it ended from the nearest one;
 *    the closest call is recorded, and a failing call whose margin is
 *    within the tolerance is marked timing-sensitive.
 */
#define _POSIX_C_SOURCE 200809L
#include "conf_runner.h"
#include "sim_explain.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- outcomes ------------------------------------------------------------------------ */

/* A formatted note on a result (notes are remarks, never failures). */
void conf_result_note(sim_result *r, const char *fmt, ...)
{
    assert(r != NULL);
    assert(fmt != NULL);
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_result_add_note(r, text);
}

static void put_word(base_buf *b, const char *s)
{
    assert(b != NULL);
    assert(s != NULL);
    bool plain = s[0] != '\0' && s[0] != '-';
    for (const char *p = s; *p && plain; p++) {
        char c = *p;
        plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                c == '.' || c == '_' || c == '-' || c == '+' || c == ',' || c == ':';
    }
    if (plain) {
        base_buf_puts(b, s);
        return;
    }
    base_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            base_buf_puts(b, "'\\''");
        } else {
            base_buf_append(b, p, 1);
        }
    }
    base_buf_puts(b, "'");
}

static char *replay_command(const sim_scenario *sc, const conf_options *opt)
{
    assert(sc != NULL && sc->file != NULL);
    assert(opt != NULL && opt->backend != NULL);
    base_buf b;
    base_buf_init(&b, 0);
    base_buf_puts(&b, "portsim conform ");
    if (opt->backend == &conf_backend_agent) {
        base_buf_puts(&b, "--agent ");
        put_word(&b, opt->agent_path);
    } else {
        base_buf_printf(&b, "--backend %s", opt->backend->name);
    }
    if (opt->time_scale != 1.0) base_buf_printf(&b, " --time-scale %g", opt->time_scale);
    if (opt->profile != 0) base_buf_printf(&b, " --profile %s", cm_profile_name(opt->profile));
    base_buf_puts(&b, " ");
    if (sc->file[0] == '-') base_buf_puts(&b, "./");
    put_word(&b, sc->file);
    return base_buf_take(&b);
}

void conf_result_describe(const sim_scenario *sc, const conf_options *opt,
                          const conf_agent_info *info, sim_result *res)
{
    assert(sc != NULL && sc->file != NULL);
    assert(opt != NULL && opt->backend != NULL);
    assert(res != NULL && res->file == NULL); /* sim_result_init'ed, not yet described */
    assert(info == NULL || conf_agent_info_validate(info));
    res->file = sim_strdup(sc->file);
    res->scenario = sc->name ? sim_strdup(sc->name) : NULL;
    res->line = sc->loc.line ? sc->loc.line : 1;
    res->col = sc->loc.col ? sc->loc.col : 1;
    res->about = sc->about ? sim_strdup(sc->about) : NULL;
    res->rules = calloc((size_t)sc->rule_count + 1, sizeof *res->rules);
    for (uint32_t i = 0; res->rules != NULL && i < sc->rule_count; i++) {
        res->rules[i] = sim_strdup(sc->rules[i]);
        res->rule_count++;
    }
    res->backend = opt->backend->name;
    res->seed = opt->seed;
    res->strategy = info != NULL && info->world ? "fifo" : "real-time";
    res->profile = cm_profile_name(sim_scenario_profile_id(sc, opt->profile));
    res->replay = replay_command(sc, opt);
    assert(res->line > 0 && res->col > 0); /* exit: a location a report can print */
}

/* ---- helpers ---------------------------------------------------------------------------- */

static sim_failure *fail_at(sim_result *o, const sim_scenario *sc, uint8_t kind, uint32_t step,
                            sim_loc loc, const char *message, const char *expected, const char *observed)
{
    assert(o != NULL && sc != NULL);
    assert(message != NULL);
    if (loc.line == 0) loc = step < sc->step_count ? sc->steps[step].loc : sc->loc;
    if (loc.line == 0) loc = (sim_loc){1, 1};
    sim_failure *f = sim_result_add_failure(o, kind, loc.line, loc.col ? loc.col : 1, message,
                                            expected, observed);
    if (f != NULL) f->step = step;
    if (step < o->step_count) o->steps[step].failed = true;
    assert(f == NULL || (f->line > 0 && f->col > 0)); /* exit: sim_result_validate's failure */
    return f;
}

static bool real_clock(const conf_agent_info *info)
{
    return info->clock != CONF_CLOCK_VIRTUAL;
}

/* Executions of a step, in order. */
static uint32_t exec_of_step(const conf_run *run, uint32_t step, uint32_t nth)
{
    assert(run != NULL);
    assert(run->obs.exec_count == 0 || run->obs.execs != NULL);
    uint32_t n = 0;
    for (uint32_t i = 0; i < run->obs.exec_count; i++) {
        if (run->obs.execs[i].step != step) continue;
        if (n++ == nth) return i;
    }
    return SIM_NONE;
}

/* ---- deadlines and margins ---------------------------------------------------------------- */

typedef struct deadline_set {
    int64_t at[3];
    const char *what[3];
    uint32_t count;
} deadline_set;

static void add_deadline(deadline_set *d, int64_t ns, const char *what)
{
    assert(d != NULL && d->count <= 3);
    assert(what != NULL);
    if (ns <= 0 || ns == CM_DURATION_FOREVER || ns == CM_DURATION_NAN || d->count >= 3) return;
    d->at[d->count] = ns;
    d->what[d->count++] = what;
}

/* The deadline that decided (or could have decided) a send's status: the send timeout for -1
 * and for a one-way send, the receive timeout for a two-way send's 0, -2 and -5. Other calls,
 * and -3/-4, have none (a run loop or a sleep ends at its deadline by design). */
static deadline_set deadlines_of(const sim_step *s, int32_t status)
{
    assert(s != NULL);
    deadline_set d = {.count = 0};
    if (s->op != CM_OP_SEND) return d;
    bool two_way = s->mode.name != NULL;
    if (status == CM_SEND_TIMEOUT || (!two_way && status == CM_SUCCESS)) {
        int64_t send = s->t1_ns;
        if (send != CM_DURATION_NAN && send < CM_SEND_TIMEOUT_FOREVER_NS) {
            add_deadline(&d, send / CM_NS_PER_MS * CM_NS_PER_MS, "send timeout"); /* R28: floored */
        }
    } else if (two_way && (status == CM_SUCCESS || status == CM_RECEIVE_TIMEOUT || status == CM_BECAME_INVALID)) {
        add_deadline(&d, s->t2_ns, "receive timeout");
    }
    assert(d.count <= 1); /* exit: one deadline decides a status */
    return d;
}

typedef struct margin {
    bool has;
    int64_t ns;      /* elapsed - deadline */
    int64_t deadline;
    const char *what;
} margin;

static margin margin_of(const sim_scenario *sc, const conf_options *opt, const sim_exec *e)
{
    assert(sc != NULL && opt != NULL && e != NULL);
    assert(e->step < sc->step_count);         /* sim_obs_validate */
    assert(e->end_ns >= e->start_ns);
    margin m = {.has = false};
    if (e->outcome != SIM_OUTCOME_RETURNED) return m;
    deadline_set d = deadlines_of(&sc->steps[e->step], e->value);
    int64_t elapsed = e->end_ns - e->start_ns;
    /* The receive deadline starts when the send returns, which the API does not show: a reply
     * later than the receive timeout after the call means the send blocked, and its margin is
     * unknown (margins to receive deadlines assume an unblocked send), unless it is within the
     * deadline's tolerance past it: an unblocked send whose reply came as its deadline passed
     * (fuzz posix seed 5998: a 9.999999 ms receive timeout, a 10 ms handler, a success). */
    if (e->value == CM_SUCCESS && d.count == 1 && d.what[0][0] == 'r' &&
        elapsed > d.at[0] + conf_tolerance_ns(opt, d.at[0])) {
        return m;
    }
    for (uint32_t i = 0; i < d.count; i++) {
        int64_t diff = elapsed - d.at[i];
        int64_t mag = diff < 0 ? -diff : diff;
        if (!m.has || mag < (m.ns < 0 ? -m.ns : m.ns)) {
            m = (margin){.has = true, .ns = diff, .deadline = d.at[i], .what = d.what[i]};
        }
    }
    return m;
}

static bool margin_sensitive(const conf_options *opt, const margin *m)
{
    int64_t mag = m->ns < 0 ? -m->ns : m->ns;
    return m->has && mag <= conf_tolerance_ns(opt, m->deadline);
}

static void record_margins(const sim_scenario *sc, const conf_run *run, const conf_options *opt, sim_result *o)
{
    assert(sc != NULL && run != NULL && opt != NULL && o != NULL);
    assert(o->step_count <= sc->step_count);
    for (uint32_t i = 0; i < run->obs.exec_count; i++) {
        const sim_exec *e = &run->obs.execs[i];
        margin m = margin_of(sc, opt, e);
        if (!m.has) continue;
        int64_t mag = m.ns < 0 ? -m.ns : m.ns;
        sim_realtime *rt = &o->rt;
        if (!rt->has_margin || mag < (rt->margin_ns < 0 ? -rt->margin_ns : rt->margin_ns)) {
            rt->has_margin = true;
            rt->margin_ns = m.ns;
            rt->margin_line = sc->steps[e->step].loc.line;
        }
    }
    for (uint32_t s = 0; s < o->step_count; s++) { /* the first execution's margin, per step */
        uint32_t first = exec_of_step(run, s, 0);
        if (first == SIM_NONE || o->steps[s].observed == NULL) continue;
        margin m = margin_of(sc, opt, &run->obs.execs[first]);
        if (!m.has) continue;
        char mg[48], dl[48];
        sim_format_margin(m.ns, mg, sizeof mg);
        sim_format_duration(m.deadline, dl, sizeof dl);
        char *text = sim_strdup_printf("%s margin=%s to the %s %s", o->steps[s].observed, mg, dl, m.what);
        if (text != NULL) {
            free(o->steps[s].observed);
            o->steps[s].observed = text;
        }
    }
}

/* ---- the view --------------------------------------------------------------------------------- */

typedef struct view {
    sim_scenario sc;
    sim_step *steps;
    sim_expect *expects;
    sim_expect *alts; /* copies of joint alternatives, windows widened */
    sim_event_expect *event_expects;
    sim_order_expect *orders; /* the expect_order entries whose kinds the backend observes */
} view;

/*
 * How far below and above x's window a real run may land: the tolerance at each end, plus the
 * run's longest signal relay (the runner's latency, not the implementation's: 0 without
 * signals between processes). One computation for check_elapsed and widen_window.
 */
static void window_tolerances(const sim_expect *x, const conf_run *run, const conf_options *opt, int64_t *lo_tol,
                              int64_t *hi_tol)
{
    assert(x->has_elapsed && run != NULL && opt != NULL);
    int64_t relay_ns = run->relay_max_ns > 0 ? run->relay_max_ns : 0;
    *lo_tol = conf_tolerance_ns(opt, x->elapsed_min_ns) + relay_ns;
    *hi_tol = conf_tolerance_ns(opt, x->elapsed_max_ns == CM_DURATION_FOREVER ? 0 : x->elapsed_max_ns) + relay_ns;
}

/* The window of x as a real host may show it (window_tolerances); check_elapsed explains. */
static void widen_window(sim_expect *x, const conf_run *run, const conf_options *opt)
{
    assert(x->has_elapsed && x->elapsed_min_ns <= x->elapsed_max_ns);
    int64_t lo_tol = 0, hi_tol = 0;
    window_tolerances(x, run, opt, &lo_tol, &hi_tol);
    x->elapsed_min_ns = x->elapsed_min_ns > lo_tol ? x->elapsed_min_ns - lo_tol : 0;
    if (x->elapsed_max_ns != CM_DURATION_FOREVER) x->elapsed_max_ns += hi_tol;
}

/* A joint expectation's alternatives, copied: windows widened on real clocks, results dropped
 * where the backend cannot observe them (as for a plain expectation). */
static void view_alternatives(view *v, uint32_t step, const conf_run *run, const conf_options *opt, bool real,
                              bool unobservable, size_t *used)
{
    sim_expect *x = &v->expects[step];
    sim_expect *copies = &v->alts[*used];
    for (uint32_t a = 0; a < x->alt_count; a++) {
        copies[a] = x->alts[a];
        if (real && copies[a].has_elapsed) widen_window(&copies[a], run, opt);
        if (unobservable) copies[a].result_count = 0;
    }
    *used += x->alt_count;
    x->alts = copies;
}

static bool view_make(view *v, const sim_scenario *sc, const conf_run *run, const conf_options *opt,
                      const conf_agent_info *info, sim_result *o)
{
    assert(v != NULL && sc != NULL && run != NULL && o != NULL);
    assert(conf_agent_info_validate(info));
    assert(run->step_flags == NULL || run->step_count == sc->step_count);
    memset(v, 0, sizeof *v);
    v->sc = *sc;
    size_t alt_total = 0, alt_used = 0;
    for (uint32_t i = 0; i < sc->step_count; i++) alt_total += sc->steps[i].expect ? sc->steps[i].expect->alt_count : 0;
    v->steps = malloc(((size_t)sc->step_count + 1) * sizeof *v->steps);
    v->expects = malloc(((size_t)sc->step_count + 1) * sizeof *v->expects);
    v->alts = malloc((alt_total + 1) * sizeof *v->alts);
    v->event_expects = malloc(((size_t)sc->event_expect_count + 1) * sizeof *v->event_expects);
    v->orders = malloc(((size_t)sc->order_count + 1) * sizeof *v->orders);
    if (v->steps == NULL || v->expects == NULL || v->alts == NULL || v->event_expects == NULL || v->orders == NULL) {
        return false;
    }
    for (uint32_t i = 0; i < sc->step_count; i++) {
        v->steps[i] = sc->steps[i];
        if (sc->steps[i].expect == NULL) continue;
        sim_expect *x = &v->expects[i];
        *x = *sc->steps[i].expect;
        v->steps[i].expect = x;
        uint8_t flags = run->step_flags != NULL ? run->step_flags[i] : 0;
        if (real_clock(info)) x->has_elapsed = false; /* checked with a tolerance below */
        if (x->alt_count > 0) {
            view_alternatives(v, i, run, opt, real_clock(info), (flags & CONF_STEPF_UNOBSERVABLE) != 0, &alt_used);
        }
        if ((flags & CONF_STEPF_UNOBSERVABLE) && x->result_count > 0) {
            x->result_count = 0;
            conf_result_note(o, "%s:%u: the %s result is not observable on this backend (not checked)",
                              sc->file, sc->steps[i].loc.line, sim_op_keyword(sc->steps[i].op));
        }
        if (flags & CONF_STEPF_UNSUPPORTED) v->steps[i].expect = NULL;
    }
    v->sc.steps = v->steps;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < sc->event_expect_count; i++) {
        const sim_event_expect *x = &sc->event_expects[i];
        if (info->world || (info->events & (UINT64_C(1) << x->kind))) {
            v->event_expects[kept++] = *x;
        } else {
            conf_result_note(o, "%s:%u: expect_events '%s' is not observable on this backend (not checked)",
                              sc->file, x->loc.line, sim_event_kind_name(x->kind));
        }
    }
    v->sc.event_expects = v->event_expects;
    v->sc.event_expect_count = kept;
    kept = 0;
    for (uint32_t i = 0; i < sc->order_count; i++) { /* an order is checked where all its kinds are seen */
        const sim_order_expect *x = &sc->orders[i];
        uint8_t hidden = SIM_EV_NONE;
        for (uint32_t k = 0; k < x->count && !info->world; k++) {
            uint8_t kind = sc->order_patterns[x->first + k].kind;
            if (!(info->events & (UINT64_C(1) << kind))) hidden = kind;
        }
        if (hidden == SIM_EV_NONE) {
            v->orders[kept++] = *x;
        } else {
            conf_result_note(o, "%s:%u: expect_order: '%s' is not observable on this backend (not checked)",
                              sc->file, x->loc.line, sim_event_kind_name(hidden));
        }
    }
    v->sc.orders = v->orders;
    v->sc.order_count = kept;
    return true;
}

static void view_free(view *v)
{
    free(v->steps);
    free(v->expects);
    free(v->alts);
    free(v->event_expects);
    free(v->orders);
}

/* ---- timing with a tolerance ------------------------------------------------------------------------ */

static void check_elapsed(const sim_scenario *sc, const conf_run *run, const conf_options *opt,
                          sim_result *o, uint32_t step)
{
    assert(sc != NULL && run != NULL && opt != NULL && o != NULL);
    assert(step < sc->step_count);
    assert(sc->steps[step].expect != NULL && sc->steps[step].expect->has_elapsed);
    const sim_expect *x = sc->steps[step].expect;
    int64_t lo_tol = 0, hi_tol = 0;
    window_tolerances(x, run, opt, &lo_tol, &hi_tol);
    int64_t lo = x->elapsed_min_ns - lo_tol;
    int64_t hi = x->elapsed_max_ns == CM_DURATION_FOREVER ? CM_DURATION_FOREVER : x->elapsed_max_ns + hi_tol;
    uint32_t failed = 0, first = SIM_NONE, nth = 0;
    int64_t first_elapsed = 0, first_margin = 0;
    for (uint32_t i = 0; i < run->obs.exec_count; i++) {
        const sim_exec *e = &run->obs.execs[i];
        if (e->step != step) continue;
        uint32_t n = nth++;
        if (e->outcome != SIM_OUTCOME_RETURNED) continue; /* results checked by sim_check */
        int64_t elapsed = e->end_ns - e->start_ns;
        if (elapsed >= lo && elapsed <= hi) continue;
        if (failed++ == 0) {
            first = n;
            first_elapsed = elapsed;
            first_margin = elapsed < lo ? elapsed - lo : hi - elapsed;
        }
    }
    if (failed == 0) return;
    char a[48], b[48], t1[48], t2[48], got[48], mg[48];
    sim_format_duration(x->elapsed_min_ns, a, sizeof a);
    sim_format_duration(x->elapsed_max_ns, b, sizeof b);
    sim_format_duration(lo_tol, t1, sizeof t1);
    sim_format_duration(hi_tol, t2, sizeof t2);
    sim_format_duration(first_elapsed, got, sizeof got);
    sim_format_margin(first_margin, mg, sizeof mg);
    char *expected = x->elapsed_max_ns == CM_DURATION_FOREVER
                         ? sim_strdup_printf("at least %s (tolerance %s)", a, t1)
                         : sim_strdup_printf("between %s and %s (tolerance -%s/+%s)", a, b, t1, t2);
    int64_t mag = first_margin < 0 ? -first_margin : first_margin;
    bool sensitive = mag <= (lo_tol > hi_tol ? lo_tol : hi_tol);
    char *observed = sim_strdup_printf("%s, %s outside the window%s", got, mg + 1,
                                       sensitive ? " [timing-sensitive]" : " [not timing-sensitive]");
    char message[160];
    snprintf(message, sizeof message, "%s elapsed time%s", sim_op_keyword(sc->steps[step].op),
             failed > 1 ? " (several executions fail)" : "");
    sim_failure *f = fail_at(o, sc, SIM_FAIL_EXPECT, step, x->elapsed_loc, message, expected, observed);
    if (f != NULL) {
        f->execution = first;
        uint32_t e = exec_of_step(run, step, first);
        if (e != SIM_NONE) f->time_ns = run->obs.execs[e].end_ns;
    }
    o->rt.timing_failures += sensitive;
    free(expected);
    free(observed);
}

/* Whether the backend saw this step's outcome: the per-call sets, the joint check and the JSON's
 * "observable" all compare exactly these steps. */
static bool outcome_observed(const conf_run *run, uint32_t step)
{
    uint8_t flags = run->step_flags != NULL && step < run->step_count ? run->step_flags[step] : 0;
    return !(flags & (CONF_STEPF_UNOBSERVABLE | CONF_STEPF_UNSUPPORTED));
}

/* ---- model-allowed outcomes -------------------------------------------------------------------------- */

static char *allowed_text(const sim_scenario *sc, uint32_t step, const conf_allowed *a)
{
    assert(sc != NULL && a != NULL);
    assert(step < sc->step_count);
    base_buf b;
    base_buf_init(&b, 0);
    sim_result_type type = sim_op_result_type(sc->steps[step].op);
    char num[24];
    if (a->count == 0) base_buf_puts(&b, "no execution at all");
    for (uint32_t i = 0; i < a->count; i++) {
        if (i > 0) base_buf_puts(&b, i + 1 == a->count ? " or " : ", ");
        base_buf_puts(&b, sim_result_text(type, a->values[i], num, sizeof num));
    }
    return base_buf_take(&b);
}

/* Fails each step with an outcome outside its allowed set; returns how many of those failures it
 * counted as timing-sensitive (o->rt.timing_failures). */
static uint32_t check_allowed(const sim_scenario *sc, const conf_model *model, const conf_run *run,
                              const conf_options *opt, sim_result *o)
{
    uint32_t sensitive_added = 0;
    assert(sc != NULL && run != NULL && opt != NULL && o != NULL);
    assert(conf_model_validate(model, sc));
    for (uint32_t step = 0; step < sc->step_count; step++) {
        if (!outcome_observed(run, step)) continue;
        const conf_allowed *a = &model->allowed[step];
        uint32_t bad = 0, first = SIM_NONE, nth = 0;
        int32_t first_value = 0;
        for (uint32_t i = 0; i < run->obs.exec_count; i++) {
            const sim_exec *e = &run->obs.execs[i];
            if (e->step != step) continue;
            uint32_t n = nth++;
            int32_t v = sim_exec_value(sc, e); /* as the model's runs count it */
            if (a->executions > 0 && sim_allowed_has(a, v)) continue;
            if (bad++ == 0) {
                first = n;
                first_value = v;
            }
        }
        if (bad == 0) continue;
        char num[24];
        char *values = allowed_text(sc, step, a);
        char *expected = sim_strdup_printf("%s (what the model produced in %u runs: %u explored schedules, "
                                           "%u with a late host)",
                                           values ? values : "?", model->runs, model->runs - model->jittered,
                                           model->jittered);
        free(values);
        const char *got = a->executions == 0 && first_value == 0
                              ? "an execution"
                              : sim_result_text(sim_op_result_type(sc->steps[step].op), first_value, num, sizeof num);
        uint32_t e = exec_of_step(run, step, first);
        margin m = e != SIM_NONE ? margin_of(sc, opt, &run->obs.execs[e]) : (margin){.has = false};
        bool sensitive = margin_sensitive(opt, &m);
        char detail[160] = "";
        if (m.has) {
            char mg[48], dl[48];
            sim_format_margin(m.ns, mg, sizeof mg);
            sim_format_duration(m.deadline, dl, sizeof dl);
            snprintf(detail, sizeof detail, ", margin %s to the %s %s%s", mg, dl, m.what,
                     sensitive ? " [timing-sensitive]" : "");
        }
        const char *how = e != SIM_NONE && run->obs.execs[e].outcome == SIM_OUTCOME_KILLED && run->crashes != NULL
                              ? run->crashes[step] /* conf_session's on_crashed */
                              : NULL;
        char *observed = sim_strdup_printf("%s%s%s%s%s", got, how ? " (" : "", how ? how : "", how ? ")" : "", detail);
        char message[160];
        snprintf(message, sizeof message, "%s outcome the model does not allow%s", sim_op_keyword(sc->steps[step].op),
                 bad > 1 ? " (several executions)" : "");
        sim_failure *f = fail_at(o, sc, SIM_FAIL_INVARIANT, step, (sim_loc){0, 0}, message, expected, observed);
        if (f != NULL) {
            f->execution = first;
            if (e != SIM_NONE) f->time_ns = run->obs.execs[e].end_ns;
        }
        o->rt.timing_failures += sensitive;
        sensitive_added += sensitive;
        free(expected);
        free(observed);
    }
    return sensitive_added;
}

/* Marks sim_check's failures about calls that ended close to a deadline. */
static void mark_timing(const sim_scenario *sc, const conf_run *run, const conf_options *opt, sim_result *o,
                        uint32_t count)
{
    assert(sc != NULL && run != NULL && opt != NULL && o != NULL);
    assert(count <= o->failure_count);
    for (uint32_t i = 0; i < count && i < o->failure_count; i++) {
        sim_failure *f = &o->failures[i];
        if (f->step == SIM_RESULT_NONE || f->execution == SIM_RESULT_NONE || f->step >= sc->step_count) continue;
        uint32_t e = exec_of_step(run, f->step, f->execution);
        if (e == SIM_NONE) continue;
        margin m = margin_of(sc, opt, &run->obs.execs[e]);
        if (!m.has) continue;
        char mg[48], dl[48];
        sim_format_margin(m.ns, mg, sizeof mg);
        sim_format_duration(m.deadline, dl, sizeof dl);
        bool sensitive = margin_sensitive(opt, &m);
        char *text = sim_strdup_printf("%s (margin %s to the %s %s; %s)", f->observed ? f->observed : "-", mg, dl,
                                       m.what, sensitive ? "timing-sensitive" : "not timing-sensitive");
        if (text != NULL) {
            free(f->observed);
            f->observed = text;
        }
        o->rt.timing_failures += sensitive;
    }
}

/*
 * The joint check found a model run consistent with the whole real run, so every outcome of it is
 * one the model produces: the per-call failures "outcome the model does not allow" (those
 * check_allowed added, from failures[first] on) only said that conform's sampled runs missed it.
 * They are taken back, with a note naming the schedule that gives them (a replay line).
 */
static void refuted_by_joint(sim_result *o, uint32_t first, uint32_t sensitive, const sim_explain *x)
{
    assert(o != NULL && x != NULL && x->verdict == SIM_EXPLAINED);
    assert(first <= o->failure_count && sensitive <= o->rt.timing_failures);
    uint32_t taken = o->failure_count - first;
    for (uint32_t i = first; i < o->failure_count; i++) {
        free(o->failures[i].message);
        free(o->failures[i].expected);
        free(o->failures[i].observed);
    }
    o->failure_count = first;
    o->rt.timing_failures -= sensitive;
    for (uint32_t s = 0; s < o->step_count; s++) o->steps[s].failed = false;
    for (uint32_t i = 0; i < o->failure_count; i++) {
        if (o->failures[i].step < o->step_count) o->steps[o->failures[i].step].failed = true;
    }
    conf_result_note(o, "%u outcome(s) outside conform's sampled model runs are the model's all the same: %s gives "
                        "this whole run",
                     taken, x->how);
}

/* ---- the joint check ---------------------------------------------------------------------------------- */

/*
 * The model run the joint check settled on (the explained one, else the closest), moved into the
 * result to be drawn beside the real run, with the calls of each that have no equal in the other
 * (the joint check's own comparison, so the picture and the verdict agree).
 */
static void keep_beside(const sim_scenario *sc, const conf_run *run, const sim_explain_plan *plan, sim_explain *x,
                        sim_result *o)
{
    assert(sc != NULL && run != NULL && plan != NULL && x != NULL && o != NULL);
    assert(o->beside.obs == NULL);
    if (x->obs == NULL) return;
    if (!sim_explain_beside(&o->beside, sc, plan, &run->obs, &x->obs, x->how, "real", "model")) return;
    o->beside.consistent = x->verdict == SIM_EXPLAINED;
    o->beside.closest = !o->beside.consistent;
}

/*
 * Outcomes each allowed (check_allowed) can still be impossible together. Searches the model's runs
 * for one consistent with the whole run (sim_explain.h): found, the result says which (and how to
 * replay it); none and the exhaustive search complete, that is a proven divergence, a failure at
 * the first observation no model run reaches (unless check_allowed already failed an outcome: the
 * same cause, said once); none within the bounds, a note (not a proof, not a failure).
 */
static void check_joint(const sim_scenario *sc, const conf_run *run, const conf_options *opt,
                        const conf_agent_info *info, uint32_t allowed_first, uint32_t allowed_sensitive,
                        sim_result *o)
{
    bool outcome_failed = o->failure_count > allowed_first;
    assert(sc != NULL && run != NULL && opt != NULL && o != NULL);
    assert(info != NULL);
    bool *compare = calloc((size_t)sc->step_count + 1, sizeof *compare);
    if (compare == NULL) return;
    for (uint32_t s = 0; s < sc->step_count; s++) compare[s] = outcome_observed(run, s);
    sim_explain_plan plan = sim_explain_plan_default();
    plan.allowed = conf_model_plan(opt);
    plan.compare = compare;
    plan.event_kinds = 0;
    static const uint8_t kinds[] = {SIM_EV_CALLOUT, SIM_EV_INVALIDATION_CALLBACK};
    for (size_t k = 0; k < sizeof kinds; k++) {
        if (info->world || (info->events & (UINT64_C(1) << kinds[k]))) plan.event_kinds |= 1u << kinds[k];
    }
    plan.keep_obs = opt->keep_obs; /* the HTML report draws the model's run beside the real one */
    sim_explain *x = calloc(1, sizeof *x);
    char err[256];
    if (x != NULL && sim_explain_run(sc, &run->obs, &plan, x, err, sizeof err)) {
        keep_beside(sc, run, &plan, x, o);
        o->rt.explain = x->verdict;
        o->rt.explain_kinds = plan.event_kinds;
        if (x->verdict == SIM_EXPLAINED) {
            const char *profile = cm_profile_name(sim_scenario_profile_id(sc, opt->profile));
            o->rt.explain_replay = sim_explain_replay(x, sc->file, profile);
            o->rt.explain_text = sim_strdup_printf("consistent with the model: %s", x->how);
        } else {
            o->rt.explain_text = sim_strdup_printf(
                "%s among %" PRIu64 " model runs (%" PRIu64 " exhaustive schedules%s) is consistent with the whole run; "
                "the closest matches %u of %u observations, then %s",
                x->verdict == SIM_EXPLAIN_DIVERGED ? "none" : "no run found", x->runs, x->schedules,
                x->complete ? ", every schedule" : ", cut short by a bound", x->matched, x->observations, x->where);
        }
        if (o->rt.explain_text == NULL) o->rt.explain = 0;
        if (x->verdict == SIM_EXPLAINED && outcome_failed) refuted_by_joint(o, allowed_first, allowed_sensitive, x);
        if (x->verdict == SIM_EXPLAIN_DIVERGED && !outcome_failed) {
            sim_failure *f = fail_at(o, sc, SIM_FAIL_INVARIANT, x->step, (sim_loc){0, 0},
                                     "outcomes the model cannot produce together (no schedule gives this whole run)",
                                     "a model run consistent with every outcome and callout order at once", x->where);
            if (f != NULL && x->step != SIM_NONE) f->execution = x->execution;
        } else if (x->verdict == SIM_EXPLAIN_NOT_FOUND) {
            conf_result_note(o, "joint check: %s (not a proof: a bound cut the search short)", o->rt.explain_text);
        }
    }
    if (x != NULL) sim_explain_fini(x);
    free(x);
    free(compare);
}

/* ---- the whole judgement ------------------------------------------------------------------------------- */

static void run_failures(const sim_scenario *sc, const conf_run *run, sim_result *o)
{
    assert(sc != NULL && run != NULL && o != NULL);
    assert(run->issue_count == 0 || run->issues != NULL);
    for (uint32_t i = 0; i < run->issue_count; i++) {
        const conf_issue *is = &run->issues[i];
        sim_failure *f = fail_at(o, sc, is->kind, is->step, is->step < sc->step_count ? sc->steps[is->step].loc : sc->loc,
                                 is->message, NULL, is->observed);
        if (f != NULL) f->time_ns = is->t_ns;
    }
    for (uint32_t s = 0; run->unsupported != NULL && s < sc->step_count; s++) {
        if (run->unsupported[s] == NULL) continue;
        char message[300];
        snprintf(message, sizeof message, "the agent could not perform this %s: %s", sim_op_keyword(sc->steps[s].op),
                 run->unsupported[s]);
        fail_at(o, sc, SIM_FAIL_RUN, s, sc->steps[s].loc, message, NULL, NULL);
    }
    if (run->end_reason != NULL && strcmp(run->end_reason, "event_budget") == 0) {
        fail_at(o, sc, SIM_FAIL_RUN, SIM_NONE, sc->loc, "the run exceeded its event budget (a timer firing too often?)",
                "the run to end", NULL);
    } else if (run->end_reason != NULL && strcmp(run->end_reason, "error") == 0) {
        fail_at(o, sc, SIM_FAIL_RUN, SIM_NONE, sc->loc, "the model ran out of memory", NULL, NULL);
    }
}

void conf_judge(const sim_scenario *sc, const conf_model *model, const conf_run *run,
                const conf_options *opt, const conf_agent_info *info, sim_result *out)
{
    assert(sc != NULL && run != NULL && out != NULL);
    assert(conf_model_validate(model, sc));
    assert(conf_options_validate(opt));
    assert(conf_agent_info_validate(info));
    assert(sim_obs_validate(&run->obs, sc)); /* conf_observer_finish's output */
    sim_result_init(out);
    sim_result *res = out;
    conf_result_describe(sc, opt, info, res);
    res->has_trace_hash = run->has_trace_hash;
    res->trace_hash = run->has_trace_hash ? run->trace_hash : 0;
    res->event_count = run->events;
    res->virtual_time_ns = run->end_ns;
    res->end_reason = run->end_reason;
    res->wall_time_ns = run->wall_ns;
    for (uint32_t i = 0; i < run->note_count; i++) {
        sim_result_add_host_note(res, run->notes[i]);
    }
    view v;
    if (!view_make(&v, sc, run, opt, info, out)) {
        sim_result_add_failure(res, SIM_FAIL_RUN, sc->loc.line, sc->loc.col, "out of memory", NULL, NULL);
    } else {
        sim_check(&v.sc, &run->obs, res);
        for (uint32_t i = 0; i < res->step_count; i++) res->steps[i].unobserved = !outcome_observed(run, i); /* explain reads it */
        if (real_clock(info)) mark_timing(sc, run, opt, out, res->failure_count);
        run_failures(sc, run, out);
        if (real_clock(info)) {
            for (uint32_t s = 0; s < sc->step_count; s++) {
                const sim_expect *x = sc->steps[s].expect;
                if (x != NULL && x->has_elapsed && v.steps[s].expect != NULL) check_elapsed(sc, run, opt, out, s);
            }
        }
        if (run->issue_count == 0) {
            uint32_t before = out->failure_count;
            uint32_t sensitive = check_allowed(sc, model, run, opt, out);
            check_joint(sc, run, opt, info, before, sensitive, out);
        }
        record_margins(sc, run, opt, out);
    }
    view_free(&v);
    res->verdict = res->failure_count > 0 ? SIM_VERDICT_FAIL : SIM_VERDICT_PASS;
    assert(sim_result_validate(res)); /* exit: a consistent result */
}
