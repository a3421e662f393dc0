/* sim_census.c — see sim_census.h. */
#include "sim_census.h"

#include "sim_lint.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim_util.h"

#define RAN_BIT (UINT32_C(1) << 31)

bool sim_census_init(sim_census *c, uint32_t step_count)
{
    assert(c != NULL);
    memset(c, 0, sizeof *c);
    c->steps = calloc((size_t)step_count + 1, sizeof *c->steps);
    c->seen = calloc((size_t)step_count + 1, sizeof *c->seen);
    if (c->steps == NULL || c->seen == NULL) {
        sim_census_fini(c);
        return false;
    }
    c->step_count = step_count;
    return true;
}

void sim_census_fini(sim_census *c)
{
    free(c->steps);
    free(c->seen);
    memset(c, 0, sizeof *c);
}

/* The slot of value v in a step's counts, appended when new; SIM_CENSUS_VALUES_MAX when full. */
static uint32_t slot_of(sim_census_counts *k, int32_t v)
{
    for (uint32_t i = 0; i < k->count; i++) {
        if (k->values[i] == v) return i;
    }
    if (k->count == SIM_CENSUS_VALUES_MAX) {
        k->overflow = true;
        return SIM_CENSUS_VALUES_MAX;
    }
    k->values[k->count] = v;
    k->schedules[k->count] = 0;
    return k->count++;
}

void sim_census_add(sim_census *c, const sim_scenario *sc, const sim_obs *obs)
{
    assert(c != NULL && sc != NULL && obs != NULL);
    if (c->steps == NULL) return;
    assert(c->step_count == sc->step_count);
    memset(c->seen, 0, ((size_t)c->step_count + 1) * sizeof *c->seen);
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        uint32_t step = obs->execs[i].step;
        if (step >= c->step_count) continue;
        uint32_t k = slot_of(&c->steps[step], sim_exec_value(sc, &obs->execs[i]));
        c->seen[step] |= RAN_BIT | (k < SIM_CENSUS_VALUES_MAX ? UINT32_C(1) << k : 0);
    }
    for (uint32_t s = 0; s < c->step_count; s++) {
        if (c->seen[s] == 0) continue;
        c->steps[s].ran++;
        for (uint32_t k = 0; k < c->steps[s].count; k++) {
            if (c->seen[s] & UINT32_C(1) << k) c->steps[s].schedules[k]++;
        }
    }
    c->schedules++;
}

/* b's counts added into a's (values a has not are appended, as merge does). */
static void counts_add(sim_census_counts *a, const sim_census_counts *b)
{
    assert(a != NULL && b != NULL && b->count <= SIM_CENSUS_VALUES_MAX);
    a->ran += b->ran;
    a->overflow = a->overflow || b->overflow;
    for (uint32_t i = 0; i < b->count; i++) {
        uint32_t k = slot_of(a, b->values[i]);
        if (k < SIM_CENSUS_VALUES_MAX) a->schedules[k] += b->schedules[i];
    }
}

void sim_census_merge(sim_census *into, const sim_census *from)
{
    if (into->steps == NULL || from->steps == NULL) return;
    assert(into->step_count == from->step_count);
    into->schedules += from->schedules;
    for (uint32_t s = 0; s < into->step_count; s++) counts_add(&into->steps[s], &from->steps[s]);
}

void sim_census_fold(sim_census *c, const uint32_t *rep)
{
    assert(c != NULL && rep != NULL);
    if (c->steps == NULL) return;
    for (uint32_t s = 0; s < c->step_count; s++) { /* members into their rep */
        assert(rep[s] < c->step_count && rep[rep[s]] == rep[s]);
        if (rep[s] != s) counts_add(&c->steps[rep[s]], &c->steps[s]);
    }
    for (uint32_t s = 0; s < c->step_count; s++) { /* the rep's sums back to every member */
        if (rep[s] != s) c->steps[s] = c->steps[rep[s]];
    }
}

bool sim_census_allowed(const sim_scenario *sc, uint32_t step, int32_t *values, uint32_t *count)
{
    assert(sc != NULL && step < sc->step_count && values != NULL && count != NULL);
    const sim_expect *e = sc->steps[step].expect;
    *count = 0;
    if (e == NULL || e->result_count == 0) return false;
    for (uint32_t i = 0; i < e->result_count && i < SIM_MAX_ALTERNATIVES; i++) values[(*count)++] = e->results[i];
    return true;
}

sim_allowed_plan sim_census_account_plan(uint8_t profile, int64_t max_latency_ns)
{
    sim_allowed_plan plan = sim_allowed_plan_default(); /* conform's seed and --explore defaults */
    sim_lint_options lint = sim_lint_options_default(); /* the conformance tolerance: 15 ms, 15 % */
    plan.profile = profile;
    plan.max_latency_ns = max_latency_ns;
    plan.jitter_ns = lint.tolerance_ns;
    plan.jitter_pct = lint.tolerance_pct;
    return plan;
}

/* An outcome's word: the checker's, or "returned" for operations that have no result value. */
static char *outcome_text(const sim_scenario *sc, uint32_t step, int32_t v)
{
    sim_result_type type = sim_op_result_type(sc->steps[step].op);
    bool valued = type == SIM_RT_STATUS || type == SIM_RT_CREATED || type == SIM_RT_BOOL || type == SIM_RT_RUN ||
                  type == SIM_RT_INT;
    if (!valued && v != SIM_VALUE_BLOCKED && v != SIM_VALUE_KILLED) return sim_strdup("returned");
    char num[24];
    return sim_strdup(sim_result_text(type, v, num, sizeof num));
}

/* The schedules of value v at a step (0 when never met). */
static uint64_t schedules_of(const sim_census_counts *k, int32_t v)
{
    for (uint32_t i = 0; i < k->count; i++) {
        if (k->values[i] == v) return k->schedules[i];
    }
    return 0;
}

static bool in_list(const int32_t *values, uint32_t count, int32_t v)
{
    for (uint32_t i = 0; i < count; i++) {
        if (values[i] == v) return true;
    }
    return false;
}

/* One step's line: allowed outcomes in expect: order, then the reached ones that are not allowed. */
static bool describe_step(const sim_census_counts *k, const sim_scenario *sc, uint32_t step,
                          const sim_allowed_set *account, sim_census_step *line)
{
    int32_t allowed[SIM_MAX_ALTERNATIVES];
    uint32_t allowed_count = 0;
    bool restricted = sim_census_allowed(sc, step, allowed, &allowed_count);
    const sim_step *st = &sc->steps[step];
    const sim_expect *e = st->expect;
    sim_loc at = e != NULL && e->result_loc.line > 0 ? e->result_loc : (e != NULL ? e->loc : st->loc);
    *line = (sim_census_step){.step = step, .line = at.line, .col = at.col, .op = sim_op_keyword(st->op),
                              .ran = k->ran};
    line->outcomes = calloc((size_t)allowed_count + k->count + 1, sizeof *line->outcomes);
    if (line->outcomes == NULL) return false;
    const sim_allowed *acc = account != NULL && step < account->step_count ? &account->allowed[step] : NULL;
    for (uint32_t i = 0; i < allowed_count; i++) {
        if (in_list(allowed, i, allowed[i])) continue; /* listed twice */
        sim_census_outcome *o = &line->outcomes[line->outcome_count++];
        *o = (sim_census_outcome){.text = outcome_text(sc, step, allowed[i]), .schedules = schedules_of(k, allowed[i]),
                                  .allowed = true,
                                  .in_account = acc != NULL && acc->executions > 0 && sim_allowed_has(acc, allowed[i])};
        if (o->text == NULL) return false;
    }
    for (uint32_t i = 0; i < k->count; i++) {
        if (restricted && in_list(allowed, allowed_count, k->values[i])) continue;
        sim_census_outcome *o = &line->outcomes[line->outcome_count++];
        *o = (sim_census_outcome){.text = outcome_text(sc, step, k->values[i]), .schedules = k->schedules[i],
                                  .allowed = !restricted,
                                  .in_account = acc != NULL && acc->executions > 0 && sim_allowed_has(acc, k->values[i])};
        if (o->text == NULL) return false;
    }
    return true;
}

char *sim_census_unreached_text(const sim_census_part *p, const sim_census_outcome *o)
{
    assert(p != NULL && o != NULL);
    if (p->account_runs == 0) {
        return sim_strdup_printf("allowed outcome %s never reached in %llu schedules (%s%s)", o->text,
                                 (unsigned long long)p->schedules, p->method, p->latency ? "+latency" : "");
    }
    return sim_strdup_printf("allowed outcome %s never reached in %llu schedules (%s%s), nor in conform's %u model "
                             "runs (bounded latencies, %u with a late host)",
                             o->text, (unsigned long long)p->schedules, p->method, p->latency ? "+latency" : "",
                             p->account_runs, p->account_jittered);
}

/* The strict census's failures, one per unreached allowed outcome, at its step's expected result. */
static bool fail_unreached(sim_result *out)
{
    sim_census_part *p = &out->census;
    bool others = out->failure_count > 0;
    for (uint32_t i = 0; i < p->step_count; i++) {
        const sim_census_step *line = &p->steps[i];
        for (uint32_t k = 0; k < line->outcome_count; k++) {
            const sim_census_outcome *o = &line->outcomes[k];
            if (!o->allowed || o->schedules > 0 || o->in_account) continue;
            char *text = sim_census_unreached_text(p, o);
            sim_failure *f = text != NULL ? sim_result_add_failure(out, SIM_FAIL_EXPECT, line->line, line->col, text,
                                                                   NULL, NULL)
                                          : NULL;
            free(text);
            if (f == NULL) return false;
            f->step = line->step;
            if (line->step < out->step_count) out->steps[line->step].failed = true;
        }
    }
    if (out->failure_count > 0 && out->verdict == SIM_VERDICT_PASS) out->verdict = SIM_VERDICT_FAIL;
    if (!others && out->failure_count > 0) { /* no run fails: there is nothing to replay */
        free(out->replay);
        out->replay = NULL;
    }
    return true;
}

bool sim_census_describe(const sim_census *c, const sim_scenario *sc, const sim_allowed_set *account,
                         const sim_census_how *how, sim_result *out)
{
    assert(c != NULL && sc != NULL && how != NULL && out != NULL);
    sim_census_part *p = &out->census;
    *p = (sim_census_part){.present = true, .strict = how->strict, .schedules = c->schedules,
                           .method = how->method, .latency = how->latency};
    if (account != NULL && account->ok) {
        p->account_runs = account->runs;
        p->account_jittered = account->jittered;
    } else {
        account = NULL;
    }
    if (c->steps == NULL) return false;
    p->steps = calloc((size_t)c->step_count + 1, sizeof *p->steps);
    if (p->steps == NULL) return false;
    for (uint32_t s = 0; s < c->step_count; s++) {
        const sim_census_counts *k = &c->steps[s];
        int32_t allowed[SIM_MAX_ALTERNATIVES];
        uint32_t allowed_count = 0;
        sim_census_allowed(sc, s, allowed, &allowed_count);
        if (k->ran == 0 || (allowed_count < 2 && k->count < 2)) continue; /* one outcome: nothing to count */
        sim_census_step *line = &p->steps[p->step_count++];
        if (!describe_step(k, sc, s, account, line)) return false;
        for (uint32_t i = 0; i < line->outcome_count; i++) {
            const sim_census_outcome *o = &line->outcomes[i];
            p->unreached += o->allowed && o->schedules == 0 && !o->in_account;
        }
    }
    return !how->strict || p->unreached == 0 || fail_unreached(out);
}
