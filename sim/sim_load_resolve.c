/*
 * sim_load_resolve.c — resolving the names a scenario uses: programs,
 * modes, processes, threads, queues and port variables. Threads and queues
 * are per process, and handlers, callbacks, timers and blocks run in
 * whichever processes use them, so this pass first works out which
 * programs run in which processes (a bounded worklist, no recursion).
 */
#include "sim_load_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct resolver {
    ld *L;
    uint32_t programs;
    uint32_t processes;
    uint8_t *runs_in;  /* [program * processes + process] */
    uint8_t *defines;  /* [var * processes + process]: a create step stores it there */
} resolver;

static const char *const kind_words[] = {
    [SIM_PROG_HANDLER] = "handler",
    [SIM_PROG_CALLBACK] = "callback",
    [SIM_PROG_TIMER] = "timer",
    [SIM_PROG_BLOCK] = "block",
};

/* The program kind a step's target names. */
static uint8_t target_kind(uint8_t op)
{
    switch (op) {
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID: return SIM_PROG_HANDLER;
    case CM_OP_SET_INVALIDATION_CALLBACK: return SIM_PROG_CALLBACK;
    case CM_OP_ADD_TIMER: return SIM_PROG_TIMER;
    case CM_OP_ASYNC: return SIM_PROG_BLOCK;
    default: return 0;
    }
}

static uint32_t find_program(const ld *L, uint8_t kind, const char *name)
{
    uint32_t slot = sim_strmap_find(&L->programs[kind], name);
    return slot == SIM_NONE ? SIM_NONE : L->kind_base[kind] + slot;
}

static void resolve_program_ref(ld *L, sim_ref *ref, uint8_t kind)
{
    if (ref->name == NULL) return;
    ref->index = find_program(L, kind, ref->name);
    if (ref->index != SIM_NONE) return;
    for (uint8_t other = SIM_PROG_HANDLER; other <= SIM_PROG_BLOCK; other++) {
        if (find_program(L, other, ref->name) != SIM_NONE) {
            ld_error_at(L, ref->loc, "'%s' is a %s, but a %s is needed here", ref->name,
                        kind_words[other], kind_words[kind]);
            return;
        }
    }
    ld_error_at(L, ref->loc, "unknown %s '%s' (define it under %ss:)", kind_words[kind], ref->name,
                kind_words[kind]);
}

static void resolve_mode(ld *L, sim_ref *ref)
{
    if (ref->name == NULL || ref->index != SIM_NONE) return;
    uint32_t m = sim_strmap_find(&L->modes, ref->name);
    if (m == SIM_NONE) {
        ld_error_at(L, ref->loc, "unknown mode '%s' (default, common, or one declared under modes:)",
                    ref->name);
        return;
    }
    ref->index = m + 2;
}

static void resolve_process(ld *L, sim_ref *ref)
{
    if (ref->name == NULL) return;
    ref->index = sim_strmap_find(&L->processes, ref->name);
    if (ref->index == SIM_NONE) ld_error_at(L, ref->loc, "unknown process '%s'", ref->name);
}

/* ---- which programs run in which processes ------------------------------- */

static void mark(resolver *r, uint32_t program, uint32_t process, uint32_t *work, uint32_t *count)
{
    uint8_t *cell = &r->runs_in[(size_t)program * r->processes + process];
    if (*cell) return;
    *cell = 1;
    assert(*count < r->programs * r->processes);
    work[(*count)++] = program * r->processes + process;
}

static void reachability(resolver *r)
{
    const sim_scenario *sc = r->L->sc;
    size_t cells = (size_t)r->programs * r->processes;
    uint32_t *work = malloc((cells + 1) * sizeof *work);
    if (work == NULL) {
        ld_oom(r->L);
        return;
    }
    uint32_t count = 0;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        for (uint32_t t = 0; t < sc->processes[p].thread_count; t++) {
            mark(r, sc->processes[p].threads[t].program, p, work, &count);
        }
    }
    for (uint32_t done = 0; done < count; done++) { /* each cell is queued at most once */
        uint32_t program = work[done] / r->processes, process = work[done] % r->processes;
        const sim_program *prog = &sc->programs[program];
        for (uint32_t i = 0; i < prog->step_count; i++) {
            const sim_step *s = &sc->steps[prog->first_step + i];
            if (target_kind(s->op) != 0 && s->target.index != SIM_NONE) {
                mark(r, s->target.index, process, work, &count);
            }
        }
    }
    free(work);
}

static bool runs_in(const resolver *r, uint32_t program, uint32_t process)
{
    return r->runs_in[(size_t)program * r->processes + process] != 0;
}

static bool runs_anywhere(const resolver *r, uint32_t program)
{
    for (uint32_t p = 0; p < r->processes; p++) {
        if (runs_in(r, program, p)) return true;
    }
    return false;
}

/* ---- threads and queues, per process ------------------------------------- */

static uint32_t thread_in(const sim_process *p, const char *name)
{
    for (uint32_t t = 0; t < p->thread_count; t++) {
        if (strcmp(p->threads[t].name, name) == 0) return t;
    }
    return SIM_NONE;
}

static uint32_t queue_in(const sim_process *p, const char *name)
{
    if (strcmp(name, "main") == 0) return CM_QUEUE_MAIN;
    for (uint32_t q = 0; q < p->queue_count; q++) {
        if (strcmp(p->queues[q].name, name) == 0) return q + 1;
    }
    return SIM_NONE;
}

/*
 * A thread or queue name used by a program must mean the same index in
 * every process the program runs in.
 */
static void resolve_local(resolver *r, const sim_step *s, sim_ref *ref, bool queue)
{
    if (ref->name == NULL) return;
    const sim_scenario *sc = r->L->sc;
    const char *what = queue ? "queue" : "thread";
    uint32_t index = SIM_NONE;
    bool anywhere = runs_anywhere(r, s->program);
    for (uint32_t p = 0; p < sc->process_count; p++) {
        if (anywhere && !runs_in(r, s->program, p)) continue;
        const sim_process *proc = &sc->processes[p];
        uint32_t here = queue ? queue_in(proc, ref->name) : thread_in(proc, ref->name);
        if (here == SIM_NONE) {
            if (!anywhere) continue;
            ld_error_at(r->L, ref->loc, "process '%s' has no %s '%s' (this step runs there)",
                        proc->name, what, ref->name);
            return;
        }
        if (index != SIM_NONE && here != index) {
            ld_error_at(r->L, ref->loc,
                        "%s '%s' is not the same %s in every process this step runs in", what,
                        ref->name, what);
            return;
        }
        index = here;
    }
    if (index == SIM_NONE) ld_error_at(r->L, ref->loc, "unknown %s '%s'", what, ref->name);
    ref->index = index;
}

/* ---- port variables ------------------------------------------------------ */

static bool creates(uint8_t op)
{
    return op == CM_OP_CREATE_LOCAL || op == CM_OP_CREATE_LOCAL_PER_PID ||
           op == CM_OP_CREATE_REMOTE || op == CM_OP_CREATE_REMOTE_PER_PID;
}

static void collect_definitions(resolver *r)
{
    const sim_scenario *sc = r->L->sc;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        if (!creates(s->op) || s->port.index >= sc->var_count) continue;
        for (uint32_t p = 0; p < r->processes; p++) {
            if (runs_in(r, s->program, p)) r->defines[(size_t)s->port.index * r->processes + p] = 1;
        }
    }
}

static bool defined_anywhere(const resolver *r, uint32_t var)
{
    for (uint32_t p = 0; p < r->processes; p++) {
        if (r->defines[(size_t)var * r->processes + p]) return true;
    }
    return false;
}

/* A variable used in a program must be created in each process it runs in. */
static void check_use(resolver *r, uint32_t program, const sim_ref *ref)
{
    const sim_scenario *sc = r->L->sc;
    if (ref->name == NULL || ref->index >= sc->var_count) return;
    if (!defined_anywhere(r, ref->index)) {
        ld_error_at(r->L, ref->loc, "port variable '%s' is never created (by a create_* step)",
                    ref->name);
        return;
    }
    for (uint32_t p = 0; p < r->processes; p++) {
        if (!runs_in(r, program, p) || r->defines[(size_t)ref->index * r->processes + p]) continue;
        ld_error_at(r->L, ref->loc, "port variable '%s' is never created in process '%s'",
                    ref->name, sc->processes[p].name);
        return;
    }
}

static void resolve_var(ld *L, sim_ref *ref)
{
    if (ref->name == NULL) return;
    ref->index = sim_strmap_find(&L->vars, ref->name);
    if (ref->index == SIM_NONE) {
        ld_error_at(L, ref->loc, "unknown port variable '%s'", ref->name);
    }
}

/* ---- the passes ------------------------------------------------------------ */

static void resolve_names(ld *L)
{
    sim_scenario *sc = L->sc;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        sim_step *s = &sc->steps[i];
        uint8_t kind = target_kind(s->op);
        if (kind != 0) resolve_program_ref(L, &s->target, kind);
        resolve_mode(L, &s->mode);
        if (s->op == CM_OP_CREATE_REMOTE_PER_PID) resolve_process(L, &s->process);
        if (s->op == CM_OP_WAIT_FOR && s->process.name != NULL) { /* wait_for: {ended: P} */
            resolve_process(L, &s->process);
            if (s->process.index < sc->process_count) sc->processes[s->process.index].end_signal = s->signal.index;
        }
        sim_expect *e = (sim_expect *)s->expect;
        if (e == NULL) continue;
        for (uint32_t a = 0; a <= e->alt_count; a++) { /* the expectation, then its alternatives */
            sim_expect *x = a == 0 ? e : (sim_expect *)&e->alts[a - 1];
            resolve_var(L, &x->same_as);
            resolve_var(L, &x->not_same_as);
            if (x->has_callback) resolve_program_ref(L, &x->callback, SIM_PROG_CALLBACK);
        }
    }
    for (uint32_t f = 0; f < sc->fault_count; f++) {
        sim_fault *fault = &sc->faults[f];
        resolve_process(L, &fault->process);
        /* a fault acts on a process that runs: before its start, a real run has no agent to act on */
        if (fault->process.index < sc->process_count && fault->at_ns < sc->processes[fault->process.index].start_ns) {
            char at[40], start[40];
            sim_format_duration(fault->at_ns, at, sizeof at);
            sim_format_duration(sc->processes[fault->process.index].start_ns, start, sizeof start);
            ld_error_at(L, fault->loc, "the fault at %s comes before process '%s' starts (at %s)", at,
                        fault->process.name, start);
        }
    }
    for (uint32_t i = 0; i < sc->event_expect_count; i++) {
        sim_event_expect *e = &sc->event_expects[i];
        resolve_process(L, &e->process);
        resolve_var(L, &e->port);
        if (e->thread.name == NULL || e->process.index == SIM_NONE) continue;
        e->thread.index = thread_in(&sc->processes[e->process.index], e->thread.name);
        if (e->thread.index == SIM_NONE) {
            ld_error_at(L, e->thread.loc, "process '%s' has no thread '%s'", e->process.name,
                        e->thread.name);
        }
    }
}

static void resolve_per_process(resolver *r)
{
    sim_scenario *sc = r->L->sc;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        sim_step *s = &sc->steps[i];
        resolve_local(r, s, &s->thread, false);
        if (s->queue.name != NULL && s->queue.index == SIM_NONE) resolve_local(r, s, &s->queue, true);
        if (!creates(s->op) && s->port.index != SIM_VAR_SELF) check_use(r, s->program, &s->port);
        if (s->expect == NULL) continue;
        for (uint32_t a = 0; a <= s->expect->alt_count; a++) {
            const sim_expect *x = a == 0 ? s->expect : &s->expect->alts[a - 1];
            check_use(r, s->program, &x->same_as);
            check_use(r, s->program, &x->not_same_as);
        }
    }
    for (uint32_t i = 0; i < sc->event_expect_count; i++) {
        const sim_event_expect *e = &sc->event_expects[i];
        if (e->port.index >= sc->var_count) continue;
        if (!defined_anywhere(r, e->port.index)) {
            ld_error_at(r->L, e->port.loc, "port variable '%s' is never created", e->port.name);
        } else if (e->process.index < sc->process_count &&
                   !r->defines[(size_t)e->port.index * r->processes + e->process.index]) {
            ld_error_at(r->L, e->port.loc, "port variable '%s' is never created in process '%s'",
                        e->port.name, e->process.name);
        }
    }
}

/*
 * A wait_for on a signal that no reachable step raises can never be
 * satisfied: that is decidable here, so it is a load error, not a timeout.
 */
static void check_signals(resolver *r)
{
    const sim_scenario *sc = r->L->sc;
    assert(sc->signal_count <= CM_SIGNAL_MAX || r->L->diag != NULL);
    uint8_t raised[CM_SIGNAL_MAX] = {0};
    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        if (s->op != CM_OP_SIGNAL || s->signal.index >= CM_SIGNAL_MAX) continue;
        if (runs_anywhere(r, s->program)) raised[s->signal.index] = 1;
    }

    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        if (s->op != CM_OP_WAIT_FOR || s->signal.index >= CM_SIGNAL_MAX) continue;
        if (s->process.name != NULL) continue; /* wait_for: {ended: P}: every process may end */
        if (!raised[s->signal.index]) {
            ld_error_at(r->L, s->signal.loc,
                        "wait_for '%s' can never return true: no step that runs raises it "
                        "(add '- signal: %s' where the awaited thing happens)",
                        s->signal.name, s->signal.name);
        }
    }
}

void ld_resolve(ld *L)
{
    sim_scenario *sc = L->sc;
    resolve_names(L);
    if (sc->process_count == 0 || sc->program_count == 0) return;
    resolver r = {.L = L, .programs = sc->program_count, .processes = sc->process_count};
    size_t vars = sc->var_count ? sc->var_count : 1;
    r.runs_in = calloc((size_t)r.programs * r.processes, 1);
    r.defines = calloc(vars * r.processes, 1);
    if (r.runs_in == NULL || r.defines == NULL) {
        ld_oom(L);
    } else {
        reachability(&r);
        collect_definitions(&r);
        resolve_per_process(&r);
        check_signals(&r);
    }
    free(r.runs_in);
    free(r.defines);
}
