/*
 * sim_explain.c — a model run consistent with a whole real run (sim_explain.h).
 *
 * Both runs become lists of keyed observations: an execution of a compared
 * step is keyed by (step, process, thread), a compared event by (process,
 * thread). On a declared thread the observations of a key are compared in
 * the order they began: one thread never reorders its own calls. On a
 * dispatch queue's workers (or off any thread) they are compared as a
 * multiset: workers are interchangeable (a real backend may label the
 * worker that ran a callout differently from the model) and their
 * callouts may commute. That is also what makes the comparison sound under
 * the exhaustive search's partial-order reduction: observations that may
 * commute are never compared by their order. A model run is consistent
 * when every real observation finds its match and the counts are equal;
 * the closest run is the one matching the longest prefix of the real
 * observations in the real run's order.
 */
#include "sim_explain.h"

#include "sim_util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPLAIN_EVENT_KEY UINT64_C(0x8000000000000000) /* events' keys; executions' have the top bit clear */
#define EXPLAIN_UNORDERED UINT64_C(0x4000000000000000) /* compared as a multiset (queue workers) */
#define EXPLAIN_ANY_WORKER 0xffffu                     /* the thread field of an unordered key */

typedef struct ex_entry {
    uint64_t key;   /* (step << 32 | process << 16 | thread), or EXPLAIN_EVENT_KEY | process << 16 | thread */
    uint32_t nth;   /* its number within the key (unordered keys: within the key and value), in the order
                       they began */
    uint32_t order; /* its index in the run's own order (ties in sorting) */
    int64_t value;  /* an execution's sim_exec_value; an event's kind << 32 | msgid or program */
    uint64_t seq;   /* real observations: when it became known, for the prefix order */
    uint32_t index; /* the execution's (or event's) index in its observation */
} ex_entry;

typedef struct ex_list {
    ex_entry *items;
    uint32_t count;
    uint32_t capacity;
} ex_list;

typedef struct explainer {
    const sim_scenario *sc;
    const sim_explain_plan *plan;
    ex_list real;       /* sorted by (key, nth): lookups */
    ex_list real_order; /* the same, in the real run's order (seq): the prefix */
    ex_list model;      /* scratch: the run being compared, sorted by (key, nth) */
    sim_explain *out;
    bool have_best;
    bool found;
    bool oom;
} explainer;

sim_explain_plan sim_explain_plan_default(void)
{
    return (sim_explain_plan){.allowed = sim_allowed_plan_default(), .schedules = SIM_EXPLAIN_SCHEDULES_DEFAULT,
                              .depth = SIM_EXPLAIN_DEPTH_DEFAULT, .compare = NULL,
                              .event_kinds = (1u << SIM_EV_CALLOUT) | (1u << SIM_EV_INVALIDATION_CALLBACK)};
}

static bool list_push(ex_list *l, ex_entry e)
{
    if (l->count == l->capacity) {
        uint32_t cap = l->capacity ? l->capacity * 2 : 64;
        ex_entry *grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (grown == NULL) return false;
        l->items = grown;
        l->capacity = cap;
    }
    l->items[l->count++] = e;
    return true;
}

static int by_key(const void *a, const void *b)
{
    const ex_entry *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if ((x->key & EXPLAIN_UNORDERED) && x->value != y->value) return x->value < y->value ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The key's thread part: a declared thread of the process keeps its order, others are one pool. */
static uint64_t thread_part(const explainer *x, uint16_t process, uint16_t thread)
{
    bool declared = process < x->sc->process_count && thread < x->sc->processes[process].thread_count;
    return declared ? thread : (EXPLAIN_UNORDERED | EXPLAIN_ANY_WORKER);
}

static int by_seq(const void *a, const void *b)
{
    const ex_entry *x = a, *y = b;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool compared_step(const explainer *x, uint32_t step)
{
    return step < x->sc->step_count && (x->plan->compare == NULL || x->plan->compare[step]);
}

static bool compared_event(const explainer *x, const sim_event *ev)
{
    return ev->kind < 32 && (x->plan->event_kinds & (1u << ev->kind)) && ev->process < x->sc->process_count;
}

static int64_t event_value(const sim_event *ev)
{
    int32_t what = ev->kind == SIM_EV_CALLOUT ? ev->msgid : ev->code;
    return (int64_t)((uint64_t)ev->kind << 32 | (uint32_t)what);
}

/*
 * One run's compared observations, sorted by (key, nth). An execution becomes known when it
 * ends (its value), an event when it happens: that is the real run's order for the prefix.
 */
static bool list_of_run(const explainer *x, const sim_obs *obs, ex_list *l)
{
    assert(x != NULL && obs != NULL && l != NULL);
    l->count = 0;
    uint32_t order = 0;
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        const sim_exec *e = &obs->execs[i];
        if (!compared_step(x, e->step)) continue;
        ex_entry it = {.key = (uint64_t)e->step << 32 | (uint64_t)e->process << 16 | thread_part(x, e->process, e->thread),
                       .order = order++,
                       .value = sim_exec_value(x->sc, e), .seq = e->end_seq, .index = i};
        if (!list_push(l, it)) return false;
    }
    for (uint32_t i = 0; i < obs->event_count; i++) {
        const sim_event *ev = &obs->events[i];
        if (!compared_event(x, ev)) continue;
        ex_entry it = {.key = EXPLAIN_EVENT_KEY | (uint64_t)ev->process << 16 | thread_part(x, ev->process, ev->thread),
                       .order = order++,
                       .value = event_value(ev), .seq = ev->seq, .index = i};
        if (!list_push(l, it)) return false;
    }
    if (l->count > 1) qsort(l->items, l->count, sizeof *l->items, by_key);
    for (uint32_t i = 0; i < l->count; i++) {
        const ex_entry *prev = i > 0 ? &l->items[i - 1] : NULL, *it = &l->items[i];
        bool same = prev != NULL && prev->key == it->key && (!(it->key & EXPLAIN_UNORDERED) || prev->value == it->value);
        l->items[i].nth = same ? prev->nth + 1 : 0;
    }
    return true;
}

/* In a list sorted by by_key: is a before (key, value)? (The value counts for unordered keys only.) */
static bool before(const ex_entry *a, uint64_t key, int64_t value)
{
    if (a->key != key) return a->key < key;
    return (key & EXPLAIN_UNORDERED) && a->value < value;
}

/* The entry matching r's key (and, unordered, its value) numbered r->nth, or NULL; an ordered key's
 * entry may hold another value (a mismatch the caller sees). */
static const ex_entry *lookup(const ex_list *l, const ex_entry *r)
{
    uint32_t lo = 0, hi = l->count;
    while (lo < hi) { /* the first entry not before r's group */
        uint32_t mid = lo + (hi - lo) / 2;
        if (before(&l->items[mid], r->key, r->value)) lo = mid + 1;
        else hi = mid;
    }
    if ((uint64_t)lo + r->nth >= l->count) return NULL;
    const ex_entry *e = &l->items[lo + r->nth];
    if (e->key != r->key || ((r->key & EXPLAIN_UNORDERED) && e->value != r->value)) return NULL;
    return e;
}

/* The longest prefix of the real observations (in their order) the model run matches. */
static uint32_t matched_prefix(const explainer *x)
{
    for (uint32_t k = 0; k < x->real_order.count; k++) {
        const ex_entry *r = &x->real_order.items[k];
        const ex_entry *m = lookup(&x->model, r);
        if (m == NULL || m->value != r->value) return k;
    }
    return x->real_order.count;
}

/* A value as the scenario writes it: a step's result, or an event. */
static void value_text(const explainer *x, uint64_t key, int64_t value, char *buf, size_t cap)
{
    if (key & EXPLAIN_EVENT_KEY) {
        uint8_t kind = (uint8_t)((uint64_t)value >> 32);
        int32_t what = (int32_t)(uint32_t)value;
        if (kind == SIM_EV_CALLOUT) {
            snprintf(buf, cap, "a callout of msgid %d", what);
        } else if (kind == SIM_EV_INVALIDATION_CALLBACK && what >= 0 && (uint32_t)what < x->sc->program_count) {
            snprintf(buf, cap, "invalidation callback %s", x->sc->programs[what].name);
        } else {
            snprintf(buf, cap, "%s", sim_event_kind_name(kind));
        }
        return;
    }
    uint32_t step = (uint32_t)(key >> 32) & 0x3fffffffu;
    char num[24];
    snprintf(buf, cap, "%s", sim_result_text(sim_op_result_type(x->sc->steps[step].op), (int32_t)value, num, sizeof num));
}

/* Where a key lives, for messages: "the step at 12:11 (send, client/main)" or "process p, thread t". */
static void key_text(const explainer *x, uint64_t key, char *buf, size_t cap)
{
    uint32_t process = (uint32_t)(key >> 16) & 0xffffu, thread = (uint32_t)key & 0xffffu;
    const sim_process *p = process < x->sc->process_count ? &x->sc->processes[process] : NULL;
    if (key & EXPLAIN_EVENT_KEY) {
        if (p != NULL && thread < p->thread_count) {
            snprintf(buf, cap, "the callouts and callbacks of %s/%s", p->name, p->threads[thread].name);
        } else {
            snprintf(buf, cap, "the callouts and callbacks of %s's queues", p != NULL ? p->name : "?");
        }
        return;
    }
    uint32_t step = (uint32_t)(key >> 32) & 0x3fffffffu;
    const sim_step *s = &x->sc->steps[step];
    char *where = sim_step_where(x->sc, s);
    snprintf(buf, cap, "the %s at %u:%u (%s)", sim_op_keyword(s->op), s->loc.line, s->loc.col, where ? where : "?");
    free(where);
}

/* The closest run so far: what the real run observed where it stopped matching. */
static void describe(explainer *x, uint32_t prefix, const char *how)
{
    sim_explain *o = x->out;
    snprintf(o->how, sizeof o->how, "%s", how);
    o->matched = prefix;
    o->step = SIM_NONE;
    o->execution = 0;
    char place[240], real[96], model[96];
    if (prefix < x->real_order.count) {
        const ex_entry *r = &x->real_order.items[prefix];
        const ex_entry *m = lookup(&x->model, r);
        key_text(x, r->key, place, sizeof place);
        value_text(x, r->key, r->value, real, sizeof real);
        if (m != NULL) value_text(x, r->key, m->value, model, sizeof model);
        else snprintf(model, sizeof model, "nothing (no such execution)");
        if (!(r->key & EXPLAIN_EVENT_KEY)) {
            o->step = (uint32_t)(r->key >> 32) & 0x3fffffffu;
            o->execution = r->nth;
        }
        snprintf(o->where, sizeof o->where, "%s, %s %u: the real run gave %s, the closest model run (%s) %s",
                 place, r->key & EXPLAIN_EVENT_KEY ? "event" : "execution", r->nth + 1, real, how, model);
        return;
    }
    /* every real observation matched: the model run has more of some key */
    for (uint32_t i = 0; i < x->model.count; i++) {
        const ex_entry *m = &x->model.items[i];
        if (lookup(&x->real, m) != NULL) continue;
        key_text(x, m->key, place, sizeof place);
        value_text(x, m->key, m->value, model, sizeof model);
        if (!(m->key & EXPLAIN_EVENT_KEY)) {
            o->step = (uint32_t)(m->key >> 32) & 0x3fffffffu;
            o->execution = m->nth;
        }
        snprintf(o->where, sizeof o->where, "%s, %s %u: the real run has none, the closest model run (%s) %s", place,
                 m->key & EXPLAIN_EVENT_KEY ? "event" : "execution", m->nth + 1, how, model);
        return;
    }
    snprintf(o->where, sizeof o->where, "?");
}

/* plan->keep_obs: the run that explains (or is the closest so far) kept for the report to draw. */
static void keep(explainer *x, const sim_obs *obs)
{
    if (!x->plan->keep_obs) return;
    if (x->out->obs == NULL) {
        x->out->obs = malloc(sizeof *x->out->obs);
        if (x->out->obs == NULL) return;
        sim_obs_init(x->out->obs);
    }
    if (!sim_obs_copy(x->out->obs, obs)) sim_explain_fini(x->out); /* out of memory: nothing drawn beside */
}

/* Compares one model run; true when it is consistent with the whole real run. */
static bool consider(explainer *x, const sim_obs *obs, const char *how)
{
    if (!list_of_run(x, obs, &x->model)) {
        x->oom = true;
        return false;
    }
    uint32_t prefix = matched_prefix(x);
    bool consistent = prefix == x->real_order.count && x->model.count == x->real.count;
    if (consistent) {
        snprintf(x->out->how, sizeof x->out->how, "%s", how);
        x->out->matched = prefix;
        x->out->step = SIM_NONE;
        x->out->where[0] = '\0';
        x->found = true;
        keep(x, obs);
        return true;
    }
    if (!x->have_best || prefix > x->out->matched) {
        x->have_best = true;
        describe(x, prefix, how);
        keep(x, obs);
    }
    return false;
}

/* What a run of the allowed plan changed besides the schedule (for "the closest model run"). */
static const char *late_note(const sim_allowed_run *run)
{
    assert(run != NULL);
    assert(!(run->dequeue_delayed && run->prompt_release)); /* one kind of run each */
    if (run->dequeue_delayed) return ", dispatch dequeues late (R50a)";
    return run->prompt_release ? ", names and rights freed at once (R62)" : "";
}

/* conform's model runs, in their order. */
static bool visit_allowed_run(void *ctx, const sim_obs *obs, const sim_allowed_run *run)
{
    explainer *x = ctx;
    assert(x != NULL && obs != NULL && run != NULL);
    x->out->runs++;
    char how[200];
    char *jitter = run->jitter != NULL ? sim_jitter_describe(x->sc, run->jitter) : NULL;
    if (jitter != NULL) {
        snprintf(how, sizeof how, "a late host: %s", jitter);
    } else if (run->strategy == SIM_STRATEGY_FIFO) {
        snprintf(how, sizeof how, "the fifo run%s", late_note(run));
    } else {
        snprintf(how, sizeof how, "random seed %llu with latency choices%s", (unsigned long long)run->seed,
                 late_note(run));
    }
    free(jitter);
    if (!consider(x, obs, how)) return !x->oom;
    x->out->replayable = run->jitter == NULL && !run->dequeue_delayed && !run->prompt_release;
    x->out->run.strategy = run->strategy;
    x->out->run.seed = run->strategy == SIM_STRATEGY_RANDOM ? run->seed : 1;
    return false; /* found: stop */
}

typedef struct ex_search {
    explainer *x;
    sim_model_session *session;
    sim_run_options opt;
} ex_search;

/* One schedule of the exhaustive search; "passes" unless consistent (so the search stops there). */
static bool visit_schedule(void *user, const cm_strategy *strategy, void *ctx)
{
    ex_search *s = user;
    assert(s != NULL && strategy != NULL);
    sim_run_options opt = s->opt;
    opt.custom = strategy;
    opt.custom_ctx = ctx;
    if (!sim_model_session_run(s->session, &opt)) {
        s->x->oom = true;
        return true;
    }
    s->x->out->runs++;
    s->x->out->schedules++;
    return !consider(s->x, sim_model_session_obs(s->session), "an exhaustive schedule");
}

static bool search_exhaustive(explainer *x, char *err, size_t err_size)
{
    const sim_explain_plan *plan = x->plan;
    sim_compiled c;
    char why[200];
    if (!sim_compile(x->sc, plan->allowed.profile, &c, why, sizeof why)) {
        snprintf(err, err_size, "the model cannot run it: %s", why);
        return false;
    }
    ex_search s = {.x = x, .opt = sim_run_options_default()};
    s.opt.profile = plan->allowed.profile;
    s.opt.max_events = plan->allowed.max_events;
    s.opt.explore_latency = true;
    s.opt.max_latency_ns = plan->allowed.max_latency_ns;
    s.opt.track_history = true; /* prune only states with the same past */
    s.opt.strategy = SIM_STRATEGY_SCHEDULE;
    s.session = sim_model_session_new(&c, &s.opt);
    sim_exhaustive_limits lim = {.depth_max = plan->depth, .schedules_max = plan->schedules, .prune_states = true,
                                 .stop_at_failure = true, .reduce = true};
    sim_exhaustive_result *ex = calloc(1, sizeof *ex);
    bool ok = s.session != NULL && ex != NULL && sim_explore_exhaustive(visit_schedule, &s, &lim, ex) && !x->oom;
    if (ok) {
        x->out->complete = ex->complete;
        if (x->found) {
            x->out->replayable = true;
            x->out->run.strategy = SIM_STRATEGY_SCHEDULE;
            x->out->pick_count = ex->failing_count;
            memcpy(x->out->picks, ex->failing, ex->failing_count * sizeof ex->failing[0]);
            char picks[160];
            sim_schedule_format_picks(ex->failing, ex->failing_count, picks, sizeof picks);
            snprintf(x->out->how, sizeof x->out->how, "the exhaustive schedule %s", picks[0] ? picks : "(fifo)");
        }
    } else {
        snprintf(err, err_size, "the model could not run it (out of memory)");
    }
    free(ex);
    if (s.session != NULL) sim_model_session_free(s.session);
    sim_compiled_free(&c);
    return ok;
}

bool sim_explain_run(const sim_scenario *sc, const sim_obs *real, const sim_explain_plan *plan, sim_explain *out,
                     char *err, size_t err_size)
{
    assert(sc != NULL && real != NULL && plan != NULL && out != NULL);
    assert(err != NULL && err_size > 0 && plan->depth <= 1024);
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    out->step = SIM_NONE;
    out->run = sim_run_options_default();
    out->run.profile = plan->allowed.profile;
    out->run.explore_latency = true;
    out->run.max_latency_ns = plan->allowed.max_latency_ns;
    explainer x = {.sc = sc, .plan = plan, .out = out};
    bool ok = list_of_run(&x, real, &x.real);
    if (ok) {
        x.real_order.items = malloc(((size_t)x.real.count + 1) * sizeof *x.real_order.items);
        ok = x.real_order.items != NULL;
    }
    if (ok) {
        memcpy(x.real_order.items, x.real.items, (size_t)x.real.count * sizeof *x.real.items);
        x.real_order.count = x.real_order.capacity = x.real.count;
        if (x.real_order.count > 1) qsort(x.real_order.items, x.real_order.count, sizeof *x.real_order.items, by_seq);
        out->observations = x.real.count;
        ok = sim_allowed_each_run(sc, &plan->allowed, visit_allowed_run, &x, err, err_size) && !x.oom;
    } else {
        snprintf(err, err_size, "out of memory");
    }
    if (ok && !x.found && plan->schedules > 0) ok = search_exhaustive(&x, err, err_size);
    if (ok) out->verdict = x.found ? SIM_EXPLAINED : out->complete ? SIM_EXPLAIN_DIVERGED : SIM_EXPLAIN_NOT_FOUND;
    free(x.real.items);
    free(x.real_order.items);
    free(x.model.items);
    assert(!ok || sim_explain_validate(out));
    return ok;
}

void sim_explain_fini(sim_explain *x)
{
    if (x == NULL || x->obs == NULL) return;
    sim_obs_fini(x->obs);
    free(x->obs);
    x->obs = NULL;
}

/* Marks the entries of `of` with no equal in `in` (lookups as matched_prefix makes them). */
static void mark_unmatched(const ex_list *of, const ex_list *in, uint8_t *of_differs, uint8_t *in_differs)
{
    for (uint32_t i = 0; i < of->count; i++) {
        const ex_entry *e = &of->items[i];
        if (e->key & EXPLAIN_EVENT_KEY) continue; /* calls only */
        const ex_entry *m = lookup(in, e);
        if (m != NULL && m->value == e->value) continue;
        of_differs[e->index] = 1;
        if (m != NULL && in_differs != NULL) in_differs[m->index] = 1;
    }
}

bool sim_explain_differences(const sim_scenario *sc, const sim_explain_plan *plan, const sim_obs *a, const sim_obs *b,
                             uint8_t *a_differs, uint8_t *b_differs)
{
    assert(sc != NULL && plan != NULL && a != NULL && b != NULL);
    assert((a_differs != NULL || a->exec_count == 0) && (b_differs != NULL || b->exec_count == 0));
    if (a->exec_count > 0) memset(a_differs, 0, a->exec_count);
    if (b->exec_count > 0) memset(b_differs, 0, b->exec_count);
    explainer x = {.sc = sc, .plan = plan};
    ex_list la = {0}, lb = {0};
    bool ok = list_of_run(&x, a, &la) && list_of_run(&x, b, &lb);
    if (ok) {
        mark_unmatched(&la, &lb, a_differs, b_differs);
        mark_unmatched(&lb, &la, b_differs, NULL);
    }
    free(la.items);
    free(lb.items);
    return ok;
}

bool sim_explain_beside(sim_beside *b, const sim_scenario *sc, const sim_explain_plan *plan, const sim_obs *own,
                        sim_obs **other, const char *how, const char *own_label, const char *other_label)
{
    assert(b != NULL && b->obs == NULL && own != NULL && other != NULL && *other != NULL);
    assert(how != NULL && own_label != NULL && other_label != NULL);
    b->own_count = own->exec_count;
    b->other_count = (*other)->exec_count;
    b->own_differs = calloc((size_t)b->own_count + 1, 1);
    b->other_differs = calloc((size_t)b->other_count + 1, 1);
    b->how = sim_strdup(how);
    if (b->own_differs == NULL || b->other_differs == NULL || b->how == NULL ||
        !sim_explain_differences(sc, plan, own, *other, b->own_differs, b->other_differs)) {
        sim_beside_free(b);
        return false;
    }
    b->obs = *other; /* moved */
    *other = NULL;
    b->own_label = own_label;
    b->other_label = other_label;
    assert(sim_beside_validate(b, own));
    return true;
}

char *sim_explain_replay(const sim_explain *x, const char *file, const char *profile)
{
    assert(x != NULL && file != NULL && profile != NULL);
    if (x->verdict != SIM_EXPLAINED || !x->replayable) return NULL;
    sim_run_options opt = x->run;
    if (opt.strategy == SIM_STRATEGY_SCHEDULE) {
        opt.schedule = x->picks;
        opt.schedule_count = x->pick_count;
    }
    char *run = sim_replay_command(file, &opt, profile); /* "portsim run FILE ..." */
    if (run == NULL || strncmp(run, "portsim run ", 12) != 0) return run;
    char *replay = sim_strdup_printf("portsim replay %s", run + 12);
    free(run);
    return replay;
}

bool sim_explain_validate(const sim_explain *x)
{
    if (x == NULL || x->verdict < SIM_EXPLAINED || x->verdict > SIM_EXPLAIN_DIVERGED) return false;
    if (x->schedules > x->runs || x->matched > x->observations || x->pick_count > 1024) return false;
    if (x->verdict == SIM_EXPLAINED) return x->matched == x->observations && x->how[0] != '\0';
    return x->where[0] != '\0' && (x->verdict != SIM_EXPLAIN_DIVERGED || x->complete);
}
