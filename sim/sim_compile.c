/* sim_compile.c — see sim_compile.h. */
#include "sim_compile.h"
#include "base_alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- blobs: byte strings interned in insertion order ----------------------- */

typedef struct blob_table {
    sim_compiled *c;
    uint32_t capacity;
    uint32_t *slots; /* blob + 1, 0 = empty; power-of-two size */
    uint32_t slot_count;
    bool failed;
} blob_table;

static uint32_t hash_bytes(const uint8_t *bytes, uint32_t len)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) h = (h ^ bytes[i]) * 16777619u;
    return h;
}

static uint32_t blob_intern(blob_table *t, const uint8_t *bytes, uint32_t len)
{
    sim_compiled *c = t->c;
    if (t->failed) return 0;
    uint32_t mask = t->slot_count - 1;
    uint32_t i = hash_bytes(bytes, len) & mask;
    for (; t->slots[i] != 0; i = (i + 1) & mask) {
        const cm_blob *b = &c->blobs[t->slots[i] - 1];
        if (b->size_bytes == len && (len == 0 || memcmp(b->bytes, bytes, len) == 0)) {
            return t->slots[i] - 1;
        }
    }
    assert(c->blob_count < t->capacity);
    uint8_t *copy = base_arena_alloc(&c->arena, len + 1);
    if (copy == NULL) {
        t->failed = true;
        return 0;
    }
    if (len > 0) memcpy(copy, bytes, len);
    uint32_t index = c->blob_count++;
    c->blobs[index] = (cm_blob){.bytes = copy, .size_bytes = len};
    t->slots[i] = index + 1;
    return index;
}

static uint32_t blob_text(blob_table *t, const char *s)
{
    return blob_intern(t, (const uint8_t *)s, (uint32_t)strlen(s));
}

static uint32_t blob_name(blob_table *t, const sim_step *s)
{
    if (!s->has_name || s->name.kind != SIM_DATA_BYTES) return CM_NONE32;
    return blob_intern(t, s->name.bytes, s->name.len);
}

static cm_data blob_data(blob_table *t, const sim_data *d)
{
    switch (d->kind) {
    case SIM_DATA_BYTES:
        return (cm_data){.size_bytes = d->len, .blob = blob_intern(t, d->bytes, d->len)};
    case SIM_DATA_SIZE:
        return (cm_data){.size_bytes = d->size, .blob = CM_NONE32};
    default:
        return CM_DATA_NULL;
    }
}

/* An upper bound on the blobs a scenario can need. */
static uint32_t blob_bound(const sim_scenario *sc)
{
    uint32_t n = sc->mode_count + sc->service_count + sc->program_count + 3 * sc->step_count;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        n += 2 + sc->processes[p].thread_count + sc->processes[p].queue_count;
    }
    return n + 8;
}

/* ---- operations ------------------------------------------------------------- */

static uint16_t index16(uint32_t index)
{
    return index == SIM_NONE ? CM_NONE16 : (uint16_t)index;
}

static cm_op compile_op(blob_table *t, const sim_step *s)
{
    cm_op op = {.kind = s->op, .flags = s->flags, .slot = 0, .mode = CM_MODE_NONE,
                .target = CM_NONE16, .msgid = s->msgid, .name = blob_name(t, s),
                .data = blob_data(t, &s->data), .t1_ns = s->t1_ns, .t2_ns = s->t2_ns,
                .value = 0};
    if (s->port.index == SIM_VAR_SELF) {
        op.slot = CM_SLOT_SELF;
    } else if (s->port.index != SIM_NONE) {
        op.slot = (uint16_t)s->port.index;
    }
    if (s->mode.index != SIM_NONE) op.mode = (uint16_t)s->mode.index;
    if (s->has_when) {
        op.when = (cm_when){.flags = 0, .msgid = s->when.msgid, .data = CM_DATA_NULL,
                            .size_bytes = s->when.size_bytes};
        if (s->when.has_msgid) op.when.flags |= CM_WHEN_MSGID;
        if (s->when.has_size) op.when.flags |= CM_WHEN_SIZE;
        if (s->when.has_data) {
            op.when.flags |= CM_WHEN_DATA;
            op.when.data = blob_data(t, &s->when.data);
        }
    }
    switch (s->op) {
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID:
        op.target = index16(s->target.index);
        op.value = s->info;
        break;
    case CM_OP_CREATE_REMOTE_PER_PID:
        op.target = index16(s->process.index);
        break;
    case CM_OP_SET_INVALIDATION_CALLBACK:
    case CM_OP_ADD_TIMER:
        op.target = index16(s->target.index);
        break;
    case CM_OP_ASYNC:
        op.target = index16(s->queue.index);
        op.value = s->target.index;
        break;
    case CM_OP_SET_DISPATCH_QUEUE:
        op.target = index16(s->queue.index);
        break;
    case CM_OP_ADD_SOURCE:
    case CM_OP_REMOVE_SOURCE:
    case CM_OP_STOP:
    case CM_OP_WAKE_UP:
        op.target = index16(s->thread.index);
        break;
    case CM_OP_SIGNAL:
    case CM_OP_WAIT_FOR:
        op.target = index16(s->signal.index);
        op.value = s->count;
        break;
    default:
        break;
    }
    return op;
}

static bool compile_programs(blob_table *t, sim_compiled *c)
{
    const sim_scenario *sc = c->sc;
    cm_program *programs = base_arena_alloc(&c->arena, (sc->program_count + 1) * sizeof *programs);
    cm_op *ops = base_arena_alloc(&c->arena, (sc->step_count + 1) * sizeof *ops);
    if (programs == NULL || ops == NULL) return false;
    for (uint32_t i = 0; i < sc->step_count; i++) ops[i] = compile_op(t, &sc->steps[i]);
    for (uint32_t p = 0; p < sc->program_count; p++) {
        const sim_program *prog = &sc->programs[p];
        programs[p] = (cm_program){.ops = ops + prog->first_step, .count = prog->step_count,
                                   .name = blob_text(t, prog->name)};
    }
    c->cfg.programs = programs;
    c->cfg.program_count = (uint16_t)sc->program_count;
    return true;
}

static bool compile_process(blob_table *t, sim_compiled *c, const sim_process *p,
                            cm_process_config *out)
{
    const sim_scenario *sc = c->sc;
    cm_thread_config *threads =
        base_arena_alloc(&c->arena, (p->thread_count + 1) * sizeof *threads);
    cm_queue_config *queues = base_arena_alloc(&c->arena, (p->queue_count + 1) * sizeof *queues);
    if (threads == NULL || queues == NULL) return false;
    for (uint32_t i = 0; i < p->thread_count; i++) {
        threads[i] = (cm_thread_config){.name = blob_text(t, p->threads[i].name),
                                        .program = (uint16_t)p->threads[i].program};
    }
    for (uint32_t i = 0; i < p->queue_count; i++) {
        queues[i] = (cm_queue_config){.name = blob_text(t, p->queues[i].name),
                                      .kind = p->queues[i].kind, .width = p->queues[i].width};
    }
    uint32_t group = CM_NONE32;
    if (p->has_sandbox_group) group = blob_intern(t, p->sandbox_group.bytes, p->sandbox_group.len);
    *out = (cm_process_config){.name = blob_text(t, p->name), .thread_count = (uint16_t)p->thread_count,
                               .threads = threads, .queue_count = (uint16_t)p->queue_count,
                               .queues = queues,
                               .slot_count = (uint16_t)(sc->var_count ? sc->var_count : 1),
                               .start_ns = p->start_ns, .sandbox_group = group,
                               .has_end_signal = p->end_signal != SIM_NONE,
                               .end_signal = p->end_signal != SIM_NONE ? index16(p->end_signal) : 0};
    return true;
}

static bool compile_world(blob_table *t, sim_compiled *c)
{
    const sim_scenario *sc = c->sc;
    cm_world_config *cfg = &c->cfg;
    cm_process_config *procs = base_arena_alloc(&c->arena, (sc->process_count + 1) * sizeof *procs);
    uint32_t *modes = base_arena_alloc(&c->arena, (sc->mode_count + 1) * sizeof *modes);
    cm_fault *faults = base_arena_alloc(&c->arena, (sc->fault_count + 1) * sizeof *faults);
    uint32_t *services = base_arena_alloc(&c->arena, (sc->service_count + 1) * sizeof *services);
    if (procs == NULL || modes == NULL || faults == NULL || services == NULL) return false;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        if (!compile_process(t, c, &sc->processes[p], &procs[p])) return false;
    }
    for (uint32_t m = 0; m < sc->mode_count; m++) modes[m] = blob_text(t, sc->modes[m]);
    for (uint32_t f = 0; f < sc->fault_count; f++) {
        faults[f] = (cm_fault){.at_ns = sc->faults[f].at_ns, .kind = sc->faults[f].kind,
                               .process = (uint16_t)sc->faults[f].process.index,
                               .on_signal = sc->faults[f].on.name != NULL,
                               .signal = sc->faults[f].on.name != NULL ? index16(sc->faults[f].on.index) : 0,
                               .after_ns = sc->faults[f].after_ns};
    }
    for (uint32_t s = 0; s < sc->service_count; s++) {
        services[s] = blob_intern(t, sc->services[s].bytes, sc->services[s].len);
    }
    cfg->processes = procs;
    cfg->process_count = (uint16_t)sc->process_count;
    cfg->mode_names = modes;
    cfg->mode_count = (uint16_t)sc->mode_count;
    cfg->faults = faults;
    cfg->fault_count = (uint16_t)sc->fault_count;
    cfg->mach_services = services;
    cfg->mach_service_count = (uint16_t)sc->service_count;
    cfg->signal_count = (uint16_t)sc->signal_count;
    cfg->time_limit_ns = sc->time_limit_ns;
    return compile_programs(t, c);
}

bool sim_compile(const sim_scenario *sc, uint8_t profile_override, sim_compiled *out, char *err,
                 size_t err_cap)
{
    assert(sc != NULL && out != NULL && sim_scenario_validate(sc));
    memset(out, 0, sizeof *out);
    out->sc = sc;
    base_arena_init(&out->arena, 0);
    out->profile_id = sim_scenario_profile_id(sc, profile_override);
    out->cfg.profile = sim_scenario_profile(sc, profile_override);
    uint32_t bound = blob_bound(sc);
    blob_table t = {.c = out, .capacity = bound};
    t.slot_count = 64;
    while (t.slot_count < 2 * bound) t.slot_count *= 2;
    t.slots = calloc(t.slot_count, sizeof *t.slots);
    out->blobs = base_arena_alloc(&out->arena, (size_t)bound * sizeof *out->blobs);
    bool ok = t.slots != NULL && out->blobs != NULL && compile_world(&t, out) && !t.failed;
    free(t.slots);
    if (!ok) {
        snprintf(err, err_cap, "out of memory compiling the scenario");
        sim_compiled_free(out);
        return false;
    }
    out->cfg.blobs = out->blobs;
    out->cfg.blob_count = out->blob_count;
    out->cfg.alloc = (cm_alloc){.realloc = base_libc_realloc, .ctx = NULL};
    out->cfg.strategy = &cm_strategy_fifo;
    cm_config_error cerr;
    if (!cm_world_config_validate(&out->cfg, &cerr)) {
        uint32_t step = cerr.program != CM_NONE16 ? sim_compiled_step(out, cerr.program, cerr.op_index)
                                                  : SIM_NONE;
        if (step != SIM_NONE) {
            snprintf(err, err_cap, "%u:%u: the core rejects this step: %s", sc->steps[step].loc.line,
                     sc->steps[step].loc.col, cerr.message);
        } else {
            snprintf(err, err_cap, "the core rejects the scenario: %s", cerr.message);
        }
        sim_compiled_free(out);
        return false;
    }
    return true;
}

void sim_compiled_free(sim_compiled *c)
{
    if (c == NULL) return;
    base_arena_fini(&c->arena);
    memset(c, 0, sizeof *c);
}


/* ---- timing jitter ------------------------------------------------------------ */

/* A duration made longer, saturating (forever stays forever). */
static int64_t later(int64_t ns, int64_t delay_ns)
{
    if (ns == CM_DURATION_FOREVER || ns == CM_DURATION_NAN) return ns;
    if (ns < 0) ns = 0;
    return ns > CM_DURATION_FOREVER - 1 - delay_ns ? CM_DURATION_FOREVER - 1 : ns + delay_ns;
}

/* The op of step i, writable: the compiled arrays belong to c (its arena). */
static cm_op *op_of_step(sim_compiled *c, uint32_t step)
{
    const sim_scenario *sc = c->sc;
    assert(step < sc->step_count);
    const sim_step *s = &sc->steps[step];
    const sim_program *p = &sc->programs[s->program];
    assert(step >= p->first_step && step - p->first_step < p->step_count);
    return (cm_op *)&c->cfg.programs[s->program].ops[step - p->first_step];
}

bool sim_compiled_jitter(sim_compiled *c, const sim_jitter *j)
{
    assert(c != NULL && j != NULL);
    const sim_scenario *sc = c->sc;
    if (j->delay_ns <= 0) return false;
    switch (j->kind) {
    case SIM_JITTER_SLEEP: {
        if (j->step >= sc->step_count || sc->steps[j->step].op != CM_OP_SLEEP) return false;
        cm_op *op = op_of_step(c, j->step);
        op->t1_ns = later(op->t1_ns, j->delay_ns);
        return true;
    }
    case SIM_JITTER_ALL_SLEEPS:
        for (uint32_t i = 0; i < sc->step_count; i++) {
            if (sc->steps[i].op != CM_OP_SLEEP) continue;
            cm_op *op = op_of_step(c, i);
            op->t1_ns = later(op->t1_ns, j->delay_ns);
        }
        return true;
    case SIM_JITTER_THREAD_START: {
        if (j->process >= sc->process_count || j->thread >= sc->processes[j->process].thread_count) return false;
        cm_process_config *pc = (cm_process_config *)&c->cfg.processes[j->process];
        cm_thread_config *tc = (cm_thread_config *)&pc->threads[j->thread];
        tc->start_delay_ns = later(tc->start_delay_ns, j->delay_ns);
        return true;
    }
    case SIM_JITTER_PROCESS_START: {
        if (j->process >= sc->process_count) return false;
        cm_process_config *pc = (cm_process_config *)&c->cfg.processes[j->process];
        pc->start_ns = later(pc->start_ns, j->delay_ns);
        return true;
    }
    default:
        return false;
    }
}

/* The scenario's own values back (compile_op, compile_process: t1_ns, start_ns, no delay). */
void sim_compiled_unjitter(sim_compiled *c, const sim_jitter *j)
{
    assert(c != NULL && j != NULL);
    const sim_scenario *sc = c->sc;
    switch (j->kind) {
    case SIM_JITTER_SLEEP:
        if (j->step < sc->step_count && sc->steps[j->step].op == CM_OP_SLEEP) {
            op_of_step(c, j->step)->t1_ns = sc->steps[j->step].t1_ns;
        }
        break;
    case SIM_JITTER_ALL_SLEEPS:
        for (uint32_t i = 0; i < sc->step_count; i++) {
            if (sc->steps[i].op == CM_OP_SLEEP) op_of_step(c, i)->t1_ns = sc->steps[i].t1_ns;
        }
        break;
    case SIM_JITTER_THREAD_START:
        if (j->process < sc->process_count && j->thread < sc->processes[j->process].thread_count) {
            cm_process_config *pc = (cm_process_config *)&c->cfg.processes[j->process];
            ((cm_thread_config *)&pc->threads[j->thread])->start_delay_ns = 0;
        }
        break;
    case SIM_JITTER_PROCESS_START:
        if (j->process < sc->process_count) {
            ((cm_process_config *)&c->cfg.processes[j->process])->start_ns = sc->processes[j->process].start_ns;
        }
        break;
    default:
        break;
    }
    assert(j->kind != SIM_JITTER_PROCESS_START || j->process >= sc->process_count ||
           c->cfg.processes[j->process].start_ns == sc->processes[j->process].start_ns);
}
