/*
 * sim_check.c — expectations, expected events and invariants (see
 * sim_check.h). Every failure points at the YAML: the expectation's own
 * key where there is one, else the step, else the scenario.
 */
#include "sim_check.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct checker {
    const sim_scenario *sc;
    const sim_obs *obs;
    sim_result *res;
    uint32_t *order;  /* exec indices grouped by step */
    uint32_t *first;  /* [step]: offset into order; [step_count]: total */
    /* (object, var, process, exec) of every create that returned an object */
    struct binding {
        int64_t port;
        uint32_t var;
        uint16_t process;
        uint32_t exec;
    } *bindings;
    uint32_t binding_count;
    /* from one pass over the events */
    uint32_t *callouts;      /* indices of the SIM_EV_CALLOUT events, in order */
    uint32_t callout_count;
    bool any_callback;       /* an invalidation callback not run by Set (R8) */
    bool any_invalidated;
    bool any_anomaly;
} checker;

/*
 * The checker's arrays come from one block, on the stack when a run is
 * small (an explorer checks millions of them), else from malloc.
 */
#define CHECK_STACK_BYTES 8192u

static size_t round16(size_t n)
{
    return (n + 15u) & ~(size_t)15u;
}

static void *carve(char **p, size_t bytes)
{
    void *r = *p;
    *p += round16(bytes);
    return r;
}

/* ---- text ------------------------------------------------------------------ */

static void put_duration(base_buf *b, int64_t ns)
{
    char text[40];
    sim_format_duration(ns, text, sizeof text);
    base_buf_puts(b, text);
}

char *sim_exec_describe(const sim_scenario *sc, const sim_exec *e)
{
    base_buf b;
    base_buf_init(&b, 0);
    const sim_step *s = &sc->steps[e->step];
    sim_result_type type = sim_op_result_type(s->op);
    char num[24];
    if (e->outcome == SIM_OUTCOME_BLOCKED || e->outcome == SIM_OUTCOME_KILLED) {
        base_buf_puts(&b, e->outcome == SIM_OUTCOME_BLOCKED ? "blocked" : "killed");
        base_buf_puts(&b, " after ");
        put_duration(&b, e->end_ns - e->start_ns);
        return base_buf_take(&b);
    }
    switch (type) {
    case SIM_RT_NAME:
        base_buf_puts(&b, "name=");
        sim_data_format(&e->data, &b);
        break;
    case SIM_RT_INFO:
        if (e->info == SIM_INFO_UNDEFINED) {
            base_buf_puts(&b, "info=undefined");
        } else {
            base_buf_printf(&b, "info=%lld", (long long)e->info);
        }
        break;
    case SIM_RT_CALLBACK:
        base_buf_printf(&b, "callback=%s", e->callback < sc->program_count
                                              ? sc->programs[e->callback].name : "null");
        break;
    case SIM_RT_NONE:
        base_buf_puts(&b, s->op == CM_OP_REPLY ? "reply=" : "returned");
        if (s->op == CM_OP_REPLY) sim_data_format(&e->data, &b);
        break;
    default:
        base_buf_puts(&b, sim_result_text(type, e->value, num, sizeof num));
        break;
    }
    if (type == SIM_RT_CREATED && e->value) base_buf_printf(&b, " #%lld", (long long)e->port);
    if (s->op == CM_OP_CREATE_LOCAL || s->op == CM_OP_CREATE_LOCAL_PER_PID) {
        base_buf_printf(&b, " should_free_info=%s", e->should_free_info ? "true" : "false");
    }
    if (s->op == CM_OP_SEND && e->data.kind != SIM_DATA_NULL) {
        base_buf_puts(&b, " reply=");
        sim_data_format(&e->data, &b);
    }
    if (e->end_ns > e->start_ns) {
        base_buf_puts(&b, " elapsed=");
        put_duration(&b, e->end_ns - e->start_ns);
    }
    return base_buf_take(&b);
}

static const char *step_keyword(const sim_step *s)
{
    if (s->op == CM_OP_SLEEP && (s->flags & CM_OPF_WORK)) return "work";
    const char *k = sim_op_keyword(s->op);
    return k != NULL ? k : "?";
}

/* ---- grouping executions by step ----------------------------------------------- */

/* first: steps + 2 entries, fill: steps + 1, order: exec_count + 1 (carved by the caller). */
static void group_execs(checker *c, uint32_t *fill)
{
    uint32_t steps = c->sc->step_count, n = c->obs->exec_count;
    memset(c->first, 0, ((size_t)steps + 2) * sizeof *c->first);
    for (uint32_t i = 0; i < n; i++) {
        const sim_exec *e = &c->obs->execs[i];
        /* what sim_obs_validate says of executions, checked on the way */
        assert(e->step < steps);
        assert(e->outcome >= SIM_OUTCOME_RETURNED && e->outcome <= SIM_OUTCOME_KILLED);
        assert(e->end_ns >= e->start_ns && e->end_seq >= e->start_seq);
        if (e->step < steps) c->first[e->step + 1]++;
    }
    for (uint32_t s = 0; s < steps; s++) c->first[s + 1] += c->first[s];
    memset(fill, 0, ((size_t)steps + 1) * sizeof *fill);
    for (uint32_t i = 0; i < n; i++) { /* stable: executions stay in order */
        uint32_t step = c->obs->execs[i].step;
        if (step < steps) c->order[c->first[step] + fill[step]++] = i;
    }
}

/* What the invariants look for, from one pass over the events. */
static void scan_events(checker *c)
{
    const sim_obs *o = c->obs;
    for (uint32_t i = 0; i < o->event_count; i++) {
        const sim_event *ev = &o->events[i];
        /* what sim_obs_validate says of events, checked on the way */
        assert(ev->kind != SIM_EV_NONE && ev->kind < SIM_EV_KIND_COUNT);
        switch (ev->kind) {
        case SIM_EV_CALLOUT:
            c->callouts[c->callout_count++] = i;
            break;
        case SIM_EV_INVALIDATION_CALLBACK:
            if (!(ev->flags & SIM_EVF_VIA_SET)) c->any_callback = true;
            break;
        case SIM_EV_INVALIDATED:
            c->any_invalidated = true;
            break;
        case SIM_EV_ANOMALY:
            c->any_anomaly = true;
            break;
        default:
            break;
        }
    }
}

static int binding_cmp(const void *x, const void *y)
{
    const struct binding *a = x, *b = y;
    if (a->port != b->port) return a->port < b->port ? -1 : 1;
    return a->exec < b->exec ? -1 : (a->exec > b->exec);
}

static bool is_create(uint8_t op)
{
    return op == CM_OP_CREATE_LOCAL || op == CM_OP_CREATE_LOCAL_PER_PID ||
           op == CM_OP_CREATE_REMOTE || op == CM_OP_CREATE_REMOTE_PER_PID;
}

static bool binding_before(const struct binding *a, const struct binding *b)
{
    return binding_cmp(a, b) < 0;
}

/* bindings: exec_count + 1 entries (carved by the caller). */
static void collect_bindings(checker *c)
{
    const sim_obs *o = c->obs;
    for (uint32_t i = 0; i < o->exec_count; i++) {
        const sim_exec *e = &o->execs[i];
        if (e->step >= c->sc->step_count) continue;
        const sim_step *s = &c->sc->steps[e->step];
        if (!is_create(s->op) || e->outcome != SIM_OUTCOME_RETURNED || e->port == SIM_PORT_NONE ||
            s->port.index >= c->sc->var_count) {
            continue;
        }
        c->bindings[c->binding_count++] = (struct binding){
            .port = e->port, .var = s->port.index, .process = e->process, .exec = i};
    }
    if (c->binding_count > 16) {
        qsort(c->bindings, c->binding_count, sizeof *c->bindings, binding_cmp);
        return;
    }
    for (uint32_t i = 1; i < c->binding_count; i++) { /* a few: insertion sort, same order */
        struct binding b = c->bindings[i];
        uint32_t j = i;
        while (j > 0 && binding_before(&b, &c->bindings[j - 1])) {
            c->bindings[j] = c->bindings[j - 1];
            j--;
        }
        c->bindings[j] = b;
    }
}

/* First binding of an object, or NULL. */
static const struct binding *binding_of(const checker *c, int64_t port)
{
    uint32_t lo = 0, hi = c->binding_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->bindings[mid].port < port) lo = mid + 1; else hi = mid;
    }
    return lo < c->binding_count && c->bindings[lo].port == port ? &c->bindings[lo] : NULL;
}

static bool port_is_var(const checker *c, int64_t port, uint32_t var, uint32_t process)
{
    const struct binding *b = binding_of(c, port);
    const struct binding *end = c->bindings + c->binding_count;
    for (; b != NULL && b < end && b->port == port; b++) {
        if (b->var == var && (process == SIM_NONE || b->process == process)) return true;
    }
    return false;
}

/* The object var held in e's process when e started: the last create into it. */
static int64_t var_object_before(const checker *c, const sim_exec *e, uint32_t var)
{
    int64_t port = SIM_PORT_NONE;
    uint64_t best = 0;
    for (uint32_t i = 0; i < c->binding_count; i++) {
        const struct binding *b = &c->bindings[i];
        const sim_exec *x = &c->obs->execs[b->exec];
        if (b->var != var || b->process != e->process || x->end_seq >= e->start_seq) continue;
        if (port == SIM_PORT_NONE || x->end_seq > best) {
            best = x->end_seq;
            port = b->port;
        }
    }
    return port;
}

/* ---- failures ------------------------------------------------------------------- */

static sim_failure *fail(checker *c, uint8_t kind, sim_loc loc, uint32_t step, const char *message,
                         const char *expected, const char *observed)
{
    sim_failure *f = sim_result_add_failure(c->res, kind, loc.line, loc.col, message, expected,
                                            observed);
    if (f != NULL) f->step = step;
    if (step < c->res->step_count) c->res->steps[step].failed = true;
    return f;
}

/* One kind of check over all executions of a step: the first failure, and how many. */
typedef struct tally {
    uint32_t failed;
    uint32_t first_exec;
    int8_t side;      /* elapsed: of the first failure, -1 early / +1 late */
    char *expected;
    char *observed;
} tally;

static void tally_add(tally *t, uint32_t exec, char *expected, char *observed)
{
    if (t->failed++ == 0) {
        t->first_exec = exec;
        t->side = 0;
        t->expected = expected;
        t->observed = observed;
        return;
    }
    free(expected);
    free(observed);
}

static int32_t exec_value(const sim_exec *e);

static void tally_report_failure(checker *c, tally *t, sim_loc loc, uint32_t step,
                                 const char *what)
{
    const sim_step *s = &c->sc->steps[step];
    char message[160];
    if (t->failed > 1) {
        snprintf(message, sizeof message, "%s %s (%u executions fail)", step_keyword(s), what,
                 t->failed);
    } else {
        snprintf(message, sizeof message, "%s %s", step_keyword(s), what);
    }
    uint32_t index = t->first_exec;
    const sim_exec *e = &c->obs->execs[c->order[c->first[step] + index]];
    sim_failure *f = fail(c, SIM_FAIL_EXPECT, loc, step, message, t->expected, t->observed);
    if (f != NULL) {
        f->execution = index;
        f->time_ns = e->end_ns;
        f->has_outcome = true;
        f->outcome = exec_value(e);
        f->side = t->side;
    }
    free(t->expected);
    free(t->observed);
    memset(t, 0, sizeof *t);
}

static inline void tally_report(checker *c, tally *t, sim_loc loc, uint32_t step, const char *what)
{
    if (t->failed > 0) tally_report_failure(c, t, loc, step, what);
}

/* ---- a step's expectations -------------------------------------------------------- */

static char *results_text(const sim_expect *x, sim_result_type type)
{
    base_buf b;
    base_buf_init(&b, 0);
    char num[24];
    for (uint32_t i = 0; i < x->result_count; i++) {
        if (i > 0) base_buf_puts(&b, i + 1 == x->result_count ? " or " : ", ");
        base_buf_puts(&b, sim_result_text(type, x->results[i], num, sizeof num));
    }
    return base_buf_take(&b);
}

static int32_t exec_value(const sim_exec *e)
{
    if (e->outcome == SIM_OUTCOME_BLOCKED) return SIM_VALUE_BLOCKED;
    if (e->outcome == SIM_OUTCOME_KILLED) return SIM_VALUE_KILLED;
    return e->value;
}

static bool value_allowed(const sim_expect *x, int32_t value)
{
    for (uint32_t i = 0; i < x->result_count; i++) {
        if (x->results[i] == value) return true;
    }
    return false;
}

static char *data_text(const sim_data *d)
{
    base_buf b;
    base_buf_init(&b, 0);
    sim_data_format(d, &b);
    return base_buf_take(&b);
}

static char *window_text(const sim_expect *x)
{
    char lo[40], hi[40];
    sim_format_duration(x->elapsed_min_ns, lo, sizeof lo);
    sim_format_duration(x->elapsed_max_ns, hi, sizeof hi);
    if (x->elapsed_max_ns == CM_DURATION_FOREVER) return sim_strdup_printf("at least %s", lo);
    if (x->elapsed_min_ns == x->elapsed_max_ns) return sim_strdup_printf("exactly %s", lo);
    if (x->elapsed_min_ns == 0) return sim_strdup_printf("at most %s", hi);
    return sim_strdup_printf("between %s and %s", lo, hi);
}

typedef struct step_tallies {
    tally result, returned, reply, elapsed, free_info, same, not_same, name, info, callback;
} step_tallies;

/*
 * Empty tallies. Only the counts need to be zero: tally_add sets the rest
 * with the first failure, tally_report reads nothing else without one.
 * (Zeroing the whole struct per step compiles to a slow rep stos.)
 */
static void tallies_clear(step_tallies *t)
{
    t->result.failed = t->returned.failed = t->reply.failed = t->elapsed.failed = 0;
    t->free_info.failed = t->same.failed = t->not_same.failed = t->name.failed = 0;
    t->info.failed = t->callback.failed = 0;
}

/* Checks of values that only exist when the call returned. */
static void check_returned(checker *c, const sim_exec *e, uint32_t n, const sim_expect *x,
                           step_tallies *t)
{
    const sim_scenario *sc = c->sc;
    char buf[40];
    if (x->has_reply && !sim_data_equal(&x->reply, &e->data)) {
        tally_add(&t->reply, n, data_text(&x->reply), data_text(&e->data));
    }
    int64_t elapsed = e->end_ns - e->start_ns;
    if (x->has_elapsed && (elapsed < x->elapsed_min_ns || elapsed > x->elapsed_max_ns)) {
        sim_format_duration(elapsed, buf, sizeof buf);
        tally_add(&t->elapsed, n, window_text(x), sim_strdup(buf));
        if (t->elapsed.failed == 1) t->elapsed.side = elapsed < x->elapsed_min_ns ? -1 : 1;
    }
    if (x->should_free_info >= 0 && (bool)x->should_free_info != e->should_free_info) {
        tally_add(&t->free_info, n, sim_strdup(x->should_free_info ? "true" : "false"),
                  sim_strdup(e->should_free_info ? "true" : "false"));
    }
    if (x->same_as.index < sc->var_count) {
        int64_t want = var_object_before(c, e, x->same_as.index);
        if (want == SIM_PORT_NONE || want != e->port) {
            tally_add(&t->same, n, sim_strdup_printf("the object in '%s' (#%lld)", x->same_as.name, (long long)want),
                      sim_strdup_printf("#%lld", (long long)e->port));
        }
    }
    if (x->not_same_as.index < sc->var_count) {
        int64_t other = var_object_before(c, e, x->not_same_as.index);
        if (e->port == SIM_PORT_NONE || other == e->port) {
            tally_add(&t->not_same, n,
                      sim_strdup_printf("a new object, not '%s' (#%lld)", x->not_same_as.name, (long long)other),
                      sim_strdup_printf("#%lld", (long long)e->port));
        }
    }
    if (x->has_name && !sim_data_equal(&x->name, &e->data)) {
        tally_add(&t->name, n, data_text(&x->name), data_text(&e->data));
    }
    if (x->has_info && x->info != e->info) {
        tally_add(&t->info, n,
                  x->info == SIM_INFO_UNDEFINED ? sim_strdup("undefined") : sim_strdup_printf("%lld", (long long)x->info),
                  e->info == SIM_INFO_UNDEFINED ? sim_strdup("undefined") : sim_strdup_printf("%lld", (long long)e->info));
    }
    if (x->has_callback) {
        uint32_t want = x->callback.name == NULL ? SIM_NONE : x->callback.index;
        if (want != e->callback) {
            tally_add(&t->callback, n, sim_strdup(x->callback.name ? x->callback.name : "null"),
                      sim_strdup(e->callback < sc->program_count ? sc->programs[e->callback].name : "null"));
        }
    }
}

static bool needs_return(const sim_expect *x)
{
    return x->has_reply || x->has_elapsed || x->should_free_info >= 0 || x->same_as.name ||
           x->not_same_as.name || x->has_name || x->has_info || x->has_callback;
}

static void check_runs(checker *c, uint32_t step, const sim_expect *x, uint32_t runs)
{
    const sim_step *s = &c->sc->steps[step];
    const sim_program *p = &c->sc->programs[s->program];
    char message[96];
    if (x->has_runs) {
        if (runs >= x->runs_min && runs <= x->runs_max) return;
        char *want = x->runs_min == x->runs_max ? sim_strdup_printf("exactly %u", x->runs_min)
                     : x->runs_max == UINT32_MAX ? sim_strdup_printf("at least %u", x->runs_min)
                                                 : sim_strdup_printf("%u to %u", x->runs_min, x->runs_max);
        char *got = sim_strdup_printf("%u", runs);
        snprintf(message, sizeof message, "%s executions", step_keyword(s));
        fail(c, SIM_FAIL_EXPECT, x->runs_loc, step, message, want, got);
        free(want);
        free(got);
        return;
    }
    if (runs == 0 && p->kind == SIM_PROG_THREAD) {
        snprintf(message, sizeof message, "%s never ran (its expectation was not checked)",
                 step_keyword(s));
        fail(c, SIM_FAIL_EXPECT, x->loc, step, message, "at least 1 execution", "0");
    }
}

/* Execution n of step s against expectation x: each failing check goes to its tally in t. */
static void check_exec(checker *c, const sim_step *s, const sim_exec *e, uint32_t n, const sim_expect *x,
                       step_tallies *t)
{
    char num[24];
    int32_t value = exec_value(e);
    sim_result_type type = sim_op_result_type(s->op);
    if (x->result_count > 0 && !value_allowed(x, value)) {
        tally_add(&t->result, n, results_text(x, type), sim_strdup(sim_result_text(type, value, num, sizeof num)));
        return;
    }
    if (e->outcome != SIM_OUTCOME_RETURNED) {
        if (needs_return(x) && !value_allowed(x, value)) {
            tally_add(&t->returned, n, sim_strdup("the call to return"),
                      sim_strdup(sim_result_text(type, value, num, sizeof num)));
        }
        return;
    }
    check_returned(c, e, n, x, t);
}

static uint32_t tallies_failed(const step_tallies *t)
{
    return t->result.failed + t->returned.failed + t->reply.failed + t->elapsed.failed + t->free_info.failed +
           t->same.failed + t->not_same.failed + t->name.failed + t->info.failed + t->callback.failed;
}

/* Frees the texts of the failures in t (checks tried and not reported). */
static void tallies_free(step_tallies *t)
{
    tally *all[] = {&t->result, &t->returned, &t->reply, &t->elapsed, &t->free_info,
                    &t->same, &t->not_same, &t->name, &t->info, &t->callback};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i]->failed > 0) {
            free(all[i]->expected);
            free(all[i]->observed);
        }
        all[i]->failed = 0;
    }
}

/* One alternative of a joint expectation, as the failure shows it: "{receive_timeout, reply null}". */
/* Appends ", LABEL TEXT" (no comma first), and frees text (made for it). */
static void put_field(base_buf *b, const char **sep, const char *label, char *text)
{
    assert(b != NULL && label != NULL);
    base_buf_printf(b, "%s%s%s%s", *sep, label, *label ? " " : "", text != NULL ? text : "?");
    free(text);
    *sep = ", ";
}

static void alt_text(base_buf *b, const sim_expect *a, sim_result_type type)
{
    base_buf_puts(b, "{");
    const char *sep = "";
    if (a->result_count > 0) put_field(b, &sep, "", results_text(a, type));
    if (a->has_reply) put_field(b, &sep, "reply", data_text(&a->reply));
    if (a->has_elapsed) put_field(b, &sep, "elapsed", window_text(a));
    if (a->has_name) put_field(b, &sep, "name", data_text(&a->name));
    if (a->has_info || a->has_callback || a->should_free_info >= 0 || a->same_as.name || a->not_same_as.name) {
        base_buf_printf(b, "%s...", sep);
    }
    base_buf_puts(b, "}");
}

/* What execution e did, in the fields the alternatives of x look at. */
static char *observed_text(const sim_exec *e, const sim_expect *x, sim_result_type type)
{
    bool reply = false, elapsed = false, name = false;
    for (uint32_t a = 0; a < x->alt_count; a++) {
        reply = reply || x->alts[a].has_reply;
        elapsed = elapsed || x->alts[a].has_elapsed;
        name = name || x->alts[a].has_name;
    }
    base_buf b;
    base_buf_init(&b, 0);
    char num[24];
    base_buf_puts(&b, sim_result_text(type, exec_value(e), num, sizeof num));
    const char *sep = ", ";
    if (e->outcome == SIM_OUTCOME_RETURNED) {
        char buf[40];
        sim_format_duration(e->end_ns - e->start_ns, buf, sizeof buf);
        if (reply) put_field(&b, &sep, "reply", data_text(&e->data));
        if (elapsed) put_field(&b, &sep, "elapsed", sim_strdup(buf));
        if (name) put_field(&b, &sep, "name", data_text(&e->data));
    }
    return base_buf_take(&b);
}

/*
 * A joint expectation (expect: a list of mappings): each execution must satisfy one
 * alternative in every field; one that satisfies none fails with all of them named.
 */
static void check_joint(checker *c, uint32_t step, const sim_expect *x, uint32_t runs)
{
    const sim_step *s = &c->sc->steps[step];
    assert(x->alt_count >= 1 && x->alts != NULL);
    sim_result_type type = sim_op_result_type(s->op);
    tally joint = {0};
    for (uint32_t n = 0; n < runs; n++) {
        const sim_exec *e = &c->obs->execs[c->order[c->first[step] + n]];
        bool held = false;
        for (uint32_t a = 0; a < x->alt_count && !held; a++) {
            step_tallies t;
            tallies_clear(&t);
            check_exec(c, s, e, n, &x->alts[a], &t);
            held = tallies_failed(&t) == 0;
            tallies_free(&t);
        }
        if (held) continue;
        if (joint.failed > 0) { /* only the first failure's texts are kept: count this one */
            tally_add(&joint, n, NULL, NULL);
            continue;
        }
        base_buf b;
        base_buf_init(&b, 0);
        base_buf_puts(&b, "one of ");
        for (uint32_t a = 0; a < x->alt_count; a++) {
            if (a > 0) base_buf_puts(&b, " | ");
            alt_text(&b, &x->alts[a], type);
        }
        tally_add(&joint, n, base_buf_take(&b), observed_text(e, x, type));
    }
    tally_report(c, &joint, x->loc, step, "outcome (no alternative holds)");
}

static void check_step(checker *c, uint32_t step)
{
    const sim_step *s = &c->sc->steps[step];
    const sim_expect *x = s->expect;
    uint32_t runs = c->first[step + 1] - c->first[step];
    check_runs(c, step, x, runs);
    if (x->alt_count > 0) {
        check_joint(c, step, x, runs);
        return;
    }
    step_tallies t;
    tallies_clear(&t);
    for (uint32_t n = 0; n < runs; n++) {
        check_exec(c, s, &c->obs->execs[c->order[c->first[step] + n]], n, x, &t);
    }
    tally_report(c, &t.result, x->result_loc, step, "result");
    tally_report(c, &t.returned, x->loc, step, "did not return");
    tally_report(c, &t.reply, x->reply_loc, step, "reply");
    tally_report(c, &t.elapsed, x->elapsed_loc, step, "elapsed time");
    tally_report(c, &t.free_info, x->should_free_info_loc, step, "should_free_info");
    tally_report(c, &t.same, x->same_as.loc, step, "object identity (same_as)");
    tally_report(c, &t.not_same, x->not_same_as.loc, step, "object identity (not_same_as)");
    tally_report(c, &t.name, x->name_loc, step, "name");
    tally_report(c, &t.info, x->info_loc, step, "context info");
    tally_report(c, &t.callback, x->callback.loc, step, "invalidation callback");
}

/* ---- expected events ------------------------------------------------------------------ */

static bool event_matches(const checker *c, const sim_event_expect *x, const sim_event *ev)
{
    if (ev->kind != x->kind) return false;
    if (x->process.index != SIM_NONE && ev->process != x->process.index) return false;
    if (x->thread.index != SIM_NONE && ev->thread != x->thread.index) return false;
    if (x->has_msgid && ev->msgid != x->msgid) return false;
    if (x->has_code && ev->code != x->code) return false;
    if (x->port.index != SIM_NONE && !port_is_var(c, ev->port, x->port.index, x->process.index)) {
        return false;
    }
    if (x->has_size && ev->size_bytes != x->size_bytes) return false; /* -1 (unknown) never matches */
    if (x->has_request && (!(ev->flags & SIM_EVF_REQUEST) || !sim_data_equal(&x->request, &ev->request))) {
        return false;
    }
    if (x->has_reply && !((ev->kind == SIM_EV_CALLOUT_DONE || (ev->flags & SIM_EVF_DONE)) &&
                          sim_data_equal(&x->reply, &ev->data))) {
        return false;
    }
    return true;
}

static void check_event_expect(checker *c, const sim_event_expect *x)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < c->obs->event_count; i++) {
        if (event_matches(c, x, &c->obs->events[i])) count++;
    }
    if (count >= x->count_min && count <= x->count_max) return;
    char *want = x->count_min == x->count_max ? sim_strdup_printf("%u", x->count_min)
                 : x->count_max == UINT32_MAX ? sim_strdup_printf("at least %u", x->count_min)
                                              : sim_strdup_printf("%u to %u", x->count_min, x->count_max);
    char *got = sim_strdup_printf("%u", count);
    char message[96];
    snprintf(message, sizeof message, "%s count", sim_event_kind_name(x->kind));
    fail(c, SIM_FAIL_EVENTS, x->count_loc.line ? x->count_loc : x->loc, SIM_NONE, message, want, got);
    free(want);
    free(got);
}

/* ---- expected order ------------------------------------------------------------------------ */

/* A pattern as a failure shows it: "callout {process: server, msgid: 1}". */
static char *pattern_text(const sim_event_expect *x)
{
    base_buf b;
    base_buf_init(&b, 0);
    base_buf_printf(&b, "%s%s {", x->last ? "the last " : "", sim_event_kind_name(x->kind));
    const char *sep = "";
    if (x->process.name != NULL) {
        base_buf_printf(&b, "process: %s", x->process.name);
        sep = ", ";
    }
    if (x->thread.name != NULL) {
        base_buf_printf(&b, "%sthread: %s", sep, x->thread.name);
        sep = ", ";
    }
    if (x->port.name != NULL) {
        base_buf_printf(&b, "%sport: %s", sep, x->port.name);
        sep = ", ";
    }
    if (x->has_msgid) {
        base_buf_printf(&b, "%smsgid: %d", sep, x->msgid);
        sep = ", ";
    }
    if (x->has_size) {
        base_buf_printf(&b, "%ssize: %lld", sep, (long long)x->size_bytes);
        sep = ", ";
    }
    if (x->has_code || x->has_request || x->has_reply) base_buf_printf(&b, "%s...", sep);
    base_buf_puts(&b, "}");
    return base_buf_take(&b);
}

/* The index of the first (x->last: the last) event matching x, or SIM_NONE. */
static uint32_t first_match(const checker *c, const sim_event_expect *x)
{
    uint32_t found = SIM_NONE;
    for (uint32_t i = 0; i < c->obs->event_count; i++) {
        if (!event_matches(c, x, &c->obs->events[i])) continue;
        found = i;
        if (!x->last) break;
    }
    return found;
}

/*
 * expect_order: the first event of each pattern comes after the first of the one before it, in
 * the run's order of events (seq). The first pattern that does not happen, or happens too early,
 * is the failure.
 */
static void check_order(checker *c, const sim_order_expect *o)
{
    const sim_event_expect *p = &c->sc->order_patterns[o->first];
    assert(o->count >= 2 && o->first + o->count <= c->sc->order_pattern_count);
    uint32_t prev = SIM_NONE;
    for (uint32_t k = 0; k < o->count; k++) {
        uint32_t at = first_match(c, &p[k]);
        char *want = k == 0 ? pattern_text(&p[k]) : NULL;
        if (k > 0) {
            char *a = pattern_text(&p[k - 1]), *b = pattern_text(&p[k]);
            want = sim_strdup_printf("%s before %s", a, b);
            free(a);
            free(b);
        }
        char *got = NULL;
        if (at == SIM_NONE) {
            char *b = pattern_text(&p[k]);
            got = sim_strdup_printf("no %s event", b);
            free(b);
        } else if (k > 0 && c->obs->events[at].seq <= c->obs->events[prev].seq) {
            char when[40];
            sim_format_duration(c->obs->events[at].time_ns, when, sizeof when);
            got = sim_strdup_printf("the second first, at %s", when);
        }
        if (got != NULL) {
            sim_failure *f = fail(c, SIM_FAIL_EVENTS, p[k].loc, SIM_NONE, "event order", want, got);
            if (f != NULL && at != SIM_NONE) f->time_ns = c->obs->events[at].time_ns;
            free(want);
            free(got);
            return;
        }
        free(want);
        prev = at;
    }
}

/* ---- invariants --------------------------------------------------------------------------- */

/* Where to point for a port object: the step that created it, else the scenario. */
static sim_loc port_loc(const checker *c, int64_t port)
{
    const struct binding *b = binding_of(c, port);
    if (b != NULL) return c->sc->steps[c->obs->execs[b->exec].step].loc;
    return c->sc->loc;
}

static int i64_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : (a > b);
}

static void invariant_callback_once(checker *c)
{
    const sim_obs *o = c->obs;
    int64_t *ports = malloc(((size_t)o->event_count + 1) * sizeof *ports);
    if (ports == NULL) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->event_count; i++) {
        const sim_event *ev = &o->events[i];
        if (ev->kind == SIM_EV_INVALIDATION_CALLBACK && !(ev->flags & SIM_EVF_VIA_SET)) {
            ports[n++] = ev->port;
        }
    }
    qsort(ports, n, sizeof *ports, i64_cmp);
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && ports[j] == ports[i]) j++;
        if (j - i > 1) {
            char *got = sim_strdup_printf("%u times on port #%lld", j - i, (long long)ports[i]);
            fail(c, SIM_FAIL_INVARIANT, port_loc(c, ports[i]), SIM_NONE,
                 "an invalidation callback runs at most once per port", "at most once", got);
            free(got);
        }
        i = j;
    }
    free(ports);
}

static bool in_sorted(const int64_t *set, uint32_t n, int64_t v)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (set[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo < n && set[lo] == v;
}

/* Inserts v keeping set sorted (n < capacity). */
static void sorted_insert(int64_t *set, uint32_t *n, int64_t v)
{
    uint32_t i = *n;
    while (i > 0 && set[i - 1] > v) {
        set[i] = set[i - 1];
        i--;
    }
    set[i] = v;
    (*n)++;
}

static void invariant_no_callout_after_invalid(checker *c)
{
    const sim_obs *o = c->obs;
    int64_t *invalid = malloc(((size_t)o->event_count + 1) * sizeof *invalid);
    int64_t *reported = malloc(((size_t)o->event_count + 1) * sizeof *reported);
    uint32_t n = 0, r = 0;
    for (uint32_t i = 0; invalid != NULL && reported != NULL && i < o->event_count; i++) {
        const sim_event *ev = &o->events[i];
        if (ev->kind == SIM_EV_INVALIDATED && !in_sorted(invalid, n, ev->port)) {
            sorted_insert(invalid, &n, ev->port);
        } else if (ev->kind == SIM_EV_CALLOUT && in_sorted(invalid, n, ev->port) &&
                   !in_sorted(reported, r, ev->port)) {
            sorted_insert(reported, &r, ev->port);
            char *got = sim_strdup_printf("a callout on port #%lld (msgid %d) after it became invalid",
                                          (long long)ev->port, ev->msgid);
            sim_failure *f = fail(c, SIM_FAIL_INVARIANT, port_loc(c, ev->port), SIM_NONE,
                                  "no callout runs after a port became invalid", "no callout", got);
            if (f != NULL) f->time_ns = ev->time_ns;
            free(got);
        }
    }
    free(invalid);
    free(reported);
}

static void invariant_anomalies(checker *c)
{
    for (uint32_t i = 0; i < c->obs->event_count; i++) {
        const sim_event *ev = &c->obs->events[i];
        if (ev->kind != SIM_EV_ANOMALY) continue;
        uint32_t step = ev->step < c->sc->step_count ? ev->step : SIM_NONE;
        sim_loc loc = step != SIM_NONE ? c->sc->steps[step].loc : c->sc->loc;
        sim_failure *f = fail(c, SIM_FAIL_INVARIANT, loc, step, "every call returns exactly once",
                              "one return per call", ev->note ? ev->note : "a mismatch");
        if (f != NULL) f->time_ns = ev->time_ns;
    }
}

static void invariant_blocked_sends(checker *c)
{
    for (uint32_t i = 0; i < c->obs->exec_count; i++) {
        const sim_exec *e = &c->obs->execs[i];
        if (e->step >= c->sc->step_count || e->outcome != SIM_OUTCOME_BLOCKED) continue;
        const sim_step *s = &c->sc->steps[e->step];
        if (s->op != CM_OP_SEND) continue;
        if (s->expect != NULL && s->expect->result_count > 0) continue; /* checked there */
        char *got = sim_strdup_printf("still blocked after %lldns", (long long)(e->end_ns - e->start_ns));
        sim_failure *f = fail(c, SIM_FAIL_INVARIANT, s->loc, e->step,
                              "every send returns (or says expect: blocked)", "a return", got);
        if (f != NULL) f->time_ns = e->end_ns;
        free(got);
    }
}

/*
 * A wait_for orders the scenario; one that gave up means the order it stood
 * for did not happen, so it fails unless the step expects that (expect: false).
 */
static void invariant_waits_satisfied(checker *c)
{
    for (uint32_t i = 0; i < c->obs->exec_count; i++) {
        const sim_exec *e = &c->obs->execs[i];
        if (e->step >= c->sc->step_count) continue;
        const sim_step *s = &c->sc->steps[e->step];
        if (s->op != CM_OP_WAIT_FOR || (s->expect != NULL && s->expect->result_count > 0)) continue;
        if (e->outcome == SIM_OUTCOME_RETURNED && e->value != 0) continue;
        assert(s->signal.name != NULL && s->count >= 1);
        char *where = sim_step_where(c->sc, s);
        char *want = s->process.name != NULL /* wait_for: {ended: P} */
                         ? sim_strdup_printf("process '%s' ended %u time%s", s->process.name, s->count,
                                             s->count == 1 ? "" : "s")
                         : sim_strdup_printf("signal '%s' raised %u time%s", s->signal.name, s->count,
                                             s->count == 1 ? "" : "s");
        char waited[40];
        sim_format_duration(e->end_ns - e->start_ns, waited, sizeof waited);
        char *got = e->outcome == SIM_OUTCOME_RETURNED
                        ? sim_strdup_printf("timed out after %s (%s was waiting)", waited, where)
                        : sim_strdup_printf("%s after %s while %s was waiting",
                                            e->outcome == SIM_OUTCOME_KILLED ? "killed" : "still waiting",
                                            waited, where);
        sim_failure *f = fail(c, SIM_FAIL_INVARIANT, s->loc, e->step,
                              "every wait_for is satisfied (or says expect: false)", want, got);
        if (f != NULL) f->time_ns = e->end_ns;
        free(where);
        free(want);
        free(got);
    }
}

/* What the client must get for a callout's reply (R35, R43). */
static sim_data delivered_reply(const sim_data *callout_reply)
{
    if (callout_reply->kind == SIM_DATA_NULL) return (sim_data){.kind = SIM_DATA_BYTES};
    int64_t size = callout_reply->kind == SIM_DATA_BYTES ? (int64_t)callout_reply->len
                                                         : callout_reply->size;
    if (size > CM_MAX_DATA_BYTES) return (sim_data){.kind = SIM_DATA_BYTES};
    return *callout_reply;
}

/*
 * The callout that handled a send's request: by message id when the backend
 * reports one, else (weaker) any callout with the same conversation id and
 * message id that replied before the send returned.
 */
static bool callout_for(const sim_exec *e, const sim_event *ev)
{
    if (ev->kind != SIM_EV_CALLOUT) return false;
    if (e->request >= 0 && ev->msg >= 0) return ev->msg == e->request;
    return ev->convid == e->convid && ev->msgid == e->msgid;
}

static void check_reply_match(checker *c, const sim_exec *e, uint32_t exec)
{
    const sim_obs *o = c->obs;
    uint32_t candidates = 0;
    for (uint32_t k = 0; k < c->callout_count; k++) { /* callout_for wants a callout */
        const sim_event *ev = &o->events[c->callouts[k]];
        if (!callout_for(e, ev)) continue;
        if ((ev->flags & (SIM_EVF_DONE | SIM_EVF_DELIVERED)) != (SIM_EVF_DONE | SIM_EVF_DELIVERED)) continue;
        if (ev->seq > e->end_seq) continue;
        candidates++;
        sim_data want = delivered_reply(&ev->data);
        if (sim_data_equal(&want, &e->data)) return;
    }
    const sim_step *s = &c->sc->steps[e->step];
    char *got = data_text(&e->data);
    char *want = sim_strdup_printf(candidates ? "the reply of a callout for convid %d"
                                              : "a callout that replied to convid %d", e->convid);
    sim_failure *f = fail(c, SIM_FAIL_INVARIANT, s->loc, e->step,
                          "no reply is matched to the wrong request", want, got);
    if (f != NULL) {
        f->time_ns = e->end_ns;
        f->execution = exec;
    }
    free(got);
    free(want);
}

static void invariant_replies(checker *c)
{
    for (uint32_t i = 0; i < c->obs->exec_count; i++) {
        const sim_exec *e = &c->obs->execs[i];
        if (e->step >= c->sc->step_count || e->outcome != SIM_OUTCOME_RETURNED) continue;
        if (c->sc->steps[e->step].op != CM_OP_SEND || e->value != CM_SUCCESS) continue;
        if (e->convid == 0 || e->data.kind == SIM_DATA_NULL) continue; /* one-way, not written */
        uint32_t n = 0;
        for (uint32_t k = c->first[e->step]; k < c->first[e->step + 1] && c->order[k] != i; k++) n++;
        check_reply_match(c, e, n);
    }
}

/* ---- steps summary and the whole check ----------------------------------------------------- */

static bool fill_steps(checker *c)
{
    const sim_scenario *sc = c->sc;
    sim_result *res = c->res;
    res->steps = calloc((size_t)sc->step_count + 1, sizeof *res->steps);
    if (res->steps == NULL) return false;
    res->step_count = sc->step_count;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        sim_step_result *r = &res->steps[i];
        r->line = s->loc.line;
        r->col = s->loc.col;
        r->op = step_keyword(s);
        r->where = sim_step_where(sc, s);
        r->label = s->label ? sim_strdup(s->label) : NULL;
        r->executions = c->first[i + 1] - c->first[i];
        r->has_expect = s->expect != NULL;
        r->t1_ns = s->t1_ns;
        r->t2_ns = s->t2_ns;
        r->two_way = s->op == CM_OP_SEND && s->mode.name != NULL;
        if (r->executions > 0) r->observed = sim_exec_describe(sc, &c->obs->execs[c->order[c->first[i]]]);
    }
    return true;
}

void sim_check(const sim_scenario *sc, const sim_obs *obs, sim_result *res)
{
    assert(sim_scenario_validate(sc)); /* explorers checking millions of runs skip this */
    sim_check_ex(sc, obs, res, 0);
}

void sim_check_ex(const sim_scenario *sc, const sim_obs *obs, sim_result *res, uint32_t flags)
{
    assert(sc != NULL && obs != NULL && res != NULL);
    /* sim_obs_validate(obs, sc) is asserted element by element in group_execs and scan_events */
    checker c = {.sc = sc, .obs = obs, .res = res};
    uint32_t steps = sc->step_count, n = obs->exec_count;
    size_t need = round16(((size_t)steps + 2) * sizeof *c.first) +
                  round16(((size_t)steps + 1) * sizeof *c.first) +
                  round16(((size_t)n + 1) * sizeof *c.order) +
                  round16(((size_t)n + 1) * sizeof *c.bindings) +
                  round16(((size_t)obs->event_count + 1) * sizeof *c.callouts);
    _Alignas(16) char stack[CHECK_STACK_BYTES];
    char *heap = need > sizeof stack ? malloc(need) : NULL;
    char *p = need > sizeof stack ? heap : stack;
    bool ok = p != NULL;
    if (ok) {
        c.first = carve(&p, ((size_t)steps + 2) * sizeof *c.first);
        uint32_t *fill = carve(&p, ((size_t)steps + 1) * sizeof *fill);
        c.order = carve(&p, ((size_t)n + 1) * sizeof *c.order);
        c.bindings = carve(&p, ((size_t)n + 1) * sizeof *c.bindings);
        c.callouts = carve(&p, ((size_t)obs->event_count + 1) * sizeof *c.callouts);
        group_execs(&c, fill);
        collect_bindings(&c);
        scan_events(&c);
    }
    assert(ok || sim_obs_validate(obs, sc));
    if (!ok || (!(flags & SIM_CHECK_NO_STEPS) && !fill_steps(&c))) {
        sim_result_add_failure(res, SIM_FAIL_RUN, sc->loc.line, sc->loc.col,
                               "out of memory checking the run", NULL, NULL);
    } else {
        if (obs->failed) {
            sim_result_add_failure(res, SIM_FAIL_RUN, sc->loc.line, sc->loc.col,
                                   "out of memory observing the run", NULL, NULL);
        }
        for (uint32_t i = 0; i < sc->step_count; i++) {
            if (sc->steps[i].expect != NULL) check_step(&c, i);
        }
        for (uint32_t i = 0; i < sc->event_expect_count; i++) check_event_expect(&c, &sc->event_expects[i]);
        for (uint32_t i = 0; i < sc->order_count; i++) check_order(&c, &sc->orders[i]);
        /* each of these can only fail on events of its kind */
        if (c.any_callback) invariant_callback_once(&c);
        if (c.any_invalidated) invariant_no_callout_after_invalid(&c);
        if (c.any_anomaly) invariant_anomalies(&c);
        invariant_blocked_sends(&c);
        invariant_waits_satisfied(&c);
        invariant_replies(&c);
    }
    free(heap);
}
