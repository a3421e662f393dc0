/*
 * cm_config.c — checks a world configuration before a world is made, and
 * hashes a world's state for explorers that prune visited states.
 */
#include "cm_internal.h"

static bool fail(cm_config_error *err, uint16_t program, uint32_t op, uint16_t process,
                 const char *message)
{
    assert(err != NULL && message != NULL);
    assert(process == CM_NONE16 || program == CM_NONE16);
    err->program = program;
    err->op_index = op;
    err->process = process;
    err->message = message;
    return false;
}

static bool blob_ok(const cm_world_config *cfg, uint32_t blob)
{
    return blob == CM_NONE32 || blob < cfg->blob_count;
}

static bool data_ok(const cm_world_config *cfg, cm_data d)
{
    if (d.blob == CM_NONE32) return d.size_bytes >= -1;
    return d.blob < cfg->blob_count && d.size_bytes == cfg->blobs[d.blob].size_bytes;
}

static bool mode_ok(const cm_world_config *cfg, uint16_t mode, bool none_ok)
{
    if (mode == CM_MODE_NONE) return none_ok;
    return mode < 2u + cfg->mode_count;
}

static bool program_ok(const cm_world_config *cfg, uint16_t program, bool none_ok)
{
    if (program == CM_NONE16) return none_ok;
    return program < cfg->program_count;
}

/* The references an operation makes, by kind. */
static const char *op_problem(const cm_world_config *cfg, const cm_op *op)
{
    assert(cfg != NULL && op != NULL);
    assert(cfg->blob_count == 0 || cfg->blobs != NULL);
    if (op->kind == CM_OP_NONE || op->kind >= CM_OP_KIND_COUNT) return "unknown operation";
    if (!blob_ok(cfg, op->name)) return "name blob out of range";
    if (!data_ok(cfg, op->data)) return "data blob out of range or size mismatch";
    if ((op->when.flags & CM_WHEN_DATA) && !data_ok(cfg, op->when.data)) return "when data out of range";
    if (op->when.flags & ~(CM_WHEN_MSGID | CM_WHEN_DATA | CM_WHEN_SIZE)) return "unknown when condition";
    switch (op->kind) {
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID:
        return program_ok(cfg, op->target, true) ? NULL : "handler program out of range";
    case CM_OP_SET_INVALIDATION_CALLBACK:
    case CM_OP_ADD_TIMER:
        if (op->kind == CM_OP_ADD_TIMER && !mode_ok(cfg, op->mode, false)) return "bad mode";
        return program_ok(cfg, op->target, true) ? NULL : "callback program out of range";
    case CM_OP_ASYNC:
        return op->value >= 0 && op->value < cfg->program_count ? NULL
                                                                : "block program out of range";
    case CM_OP_SEND:
        return mode_ok(cfg, op->mode, true) ? NULL : "bad reply mode";
    case CM_OP_ADD_SOURCE:
    case CM_OP_REMOVE_SOURCE:
    case CM_OP_SCHEDULE:
    case CM_OP_RUN_IN_MODE:
    case CM_OP_ADD_COMMON_MODE:
        return mode_ok(cfg, op->mode, false) ? NULL : "bad mode";
    case CM_OP_SIGNAL:
        return op->target < cfg->signal_count ? NULL : "signal out of range";
    case CM_OP_WAIT_FOR:
        if (op->target >= cfg->signal_count) return "signal out of range";
        return op->value >= 1 && op->value <= UINT32_MAX ? NULL : "wait count out of range";
    default:
        return NULL;
    }
}

/* Invalidation callbacks run inline: they must never block or reply. */
static bool callbacks_ok(const cm_world_config *cfg, cm_config_error *err)
{
    assert(cfg != NULL && err != NULL);
    assert(cfg->program_count == 0 || cfg->programs != NULL);
    for (uint16_t p = 0; p < cfg->program_count; p++) {
        const cm_program *prog = &cfg->programs[p];
        for (uint32_t i = 0; i < prog->count; i++) {
            const cm_op *op = &prog->ops[i];
            if (op->kind != CM_OP_SET_INVALIDATION_CALLBACK || op->target == CM_NONE16) continue;
            const cm_program *cb = &cfg->programs[op->target];
            for (uint32_t j = 0; j < cb->count; j++) {
                uint8_t k = cb->ops[j].kind;
                if (cm_op_kind_blocks(k) || k == CM_OP_REPLY) {
                    return fail(err, op->target, j, CM_NONE16,
                                "an invalidation callback may not block or reply");
                }
            }
        }
    }
    return true;
}

static bool processes_ok(const cm_world_config *cfg, cm_config_error *err)
{
    assert(cfg != NULL && err != NULL);
    assert(cfg->process_count > 0 && cfg->processes != NULL);
    for (uint16_t p = 0; p < cfg->process_count; p++) {
        const cm_process_config *pc = &cfg->processes[p];
        if (pc->thread_count == 0) return fail(err, CM_NONE16, 0, p, "a process needs a thread");
        if (pc->start_ns < 0) return fail(err, CM_NONE16, 0, p, "negative start time");
        if (!blob_ok(cfg, pc->sandbox_group)) return fail(err, CM_NONE16, 0, p, "bad group");
        if (pc->has_end_signal && pc->end_signal >= cfg->signal_count) {
            return fail(err, CM_NONE16, 0, p, "end signal out of range");
        }
        for (uint16_t t = 0; t < pc->thread_count; t++) {
            if (!program_ok(cfg, pc->threads[t].program, false)) {
                return fail(err, CM_NONE16, 0, p, "thread program out of range");
            }
        }
        for (uint16_t q = 0; q < pc->queue_count; q++) {
            const cm_queue_config *qc = &pc->queues[q];
            bool kind_ok = qc->kind == CM_QUEUE_SERIAL || qc->kind == CM_QUEUE_CONCURRENT;
            if (!kind_ok || (qc->kind == CM_QUEUE_CONCURRENT && qc->width == 0)) {
                return fail(err, CM_NONE16, 0, p, "bad dispatch queue");
            }
        }
    }
    return true;
}

bool cm_world_config_validate(const cm_world_config *cfg, cm_config_error *err)
{
    assert(cfg != NULL && err != NULL);
    if (cfg->alloc.realloc == NULL || cfg->strategy == NULL || cfg->strategy->choose == NULL) {
        return fail(err, CM_NONE16, 0, CM_NONE16, "missing allocator or strategy");
    }
    if (!cm_profile_validate(&cfg->profile)) {
        return fail(err, CM_NONE16, 0, CM_NONE16, "invalid profile");
    }
    if (cfg->process_count == 0 || cfg->process_count >= CM_NONE16) {
        return fail(err, CM_NONE16, 0, CM_NONE16, "process count out of range");
    }
    if (cfg->signal_count > CM_SIGNAL_MAX) {
        return fail(err, CM_NONE16, 0, CM_NONE16, "too many signals");
    }
    if (cfg->latency_below_ns < 0) {
        return fail(err, CM_NONE16, 0, CM_NONE16, "negative latency bound");
    }
    if (2u + cfg->mode_count > CM_MODE_MAX) {
        return fail(err, CM_NONE16, 0, CM_NONE16, "too many run-loop modes");
    }
    for (uint16_t m = 0; m < cfg->mode_count; m++) {
        if (cfg->mode_names[m] >= cfg->blob_count) {
            return fail(err, CM_NONE16, 0, CM_NONE16, "mode name out of range");
        }
    }
    for (uint16_t p = 0; p < cfg->program_count; p++) {
        const cm_program *prog = &cfg->programs[p];
        for (uint32_t i = 0; i < prog->count; i++) {
            const char *problem = op_problem(cfg, &prog->ops[i]);
            if (problem != NULL) return fail(err, p, i, CM_NONE16, problem);
        }
    }
    for (uint16_t f = 0; f < cfg->fault_count; f++) {
        const cm_fault *fault = &cfg->faults[f];
        bool kind_ok = fault->kind == CM_FAULT_CRASH || fault->kind == CM_FAULT_RESTART;
        bool when_ok = fault->on_signal ? fault->signal < cfg->signal_count && fault->after_ns >= 0 : fault->at_ns >= 0;
        if (!kind_ok || fault->process >= cfg->process_count || !when_ok) {
            return fail(err, CM_NONE16, 0, CM_NONE16, "bad fault");
        }
    }
    for (uint16_t s = 0; s < cfg->mach_service_count; s++) {
        if (cfg->mach_services[s] >= cfg->blob_count) {
            return fail(err, CM_NONE16, 0, CM_NONE16, "mach service name out of range");
        }
    }
    return processes_ok(cfg, err) && callbacks_ok(cfg, err);
}

/* ---- state hashing ----------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
    return h * UINT64_C(0xFF51AFD7ED558CCD);
}

static uint64_t hash_threads(const cm_world *w, uint64_t h)
{
    assert(w != NULL && w->now_ns >= 0);
    assert(w->thread_total == 0 || w->threads != NULL);
    for (uint32_t i = 0; i < w->thread_total; i++) {
        const cm_thread *t = &w->threads[i];
        h = mix(h, (uint64_t)t->alive | (uint64_t)t->depth << 8 | (uint64_t)t->stop_requested << 16);
        for (uint32_t d = 0; d < t->depth; d++) {
            const cm_frame *f = &t->frames[d];
            h = mix(h, (uint64_t)f->kind | (uint64_t)f->phase << 8 | (uint64_t)f->flags << 16 |
                           (uint64_t)f->program << 32);
            h = mix(h, (uint64_t)f->pc | (uint64_t)(uint32_t)f->port << 32);
            h = mix(h, (uint64_t)(f->deadline_ns == CM_DURATION_FOREVER
                                      ? -1
                                      : f->deadline_ns - w->now_ns));
            h = mix(h, (uint64_t)(w->now_ns - f->start_ns)); /* elapsed so far */
        }
    }
    return h;
}

static uint64_t hash_objects(const cm_world *w, uint64_t h)
{
    assert(w != NULL);
    assert(w->queue_total == 0 || w->queues != NULL);
    for (uint32_t i = 0; i < w->ports.count; i++) {
        const cm_port *p = cm_pool_at(&w->ports, (int32_t)i);
        h = mix(h, (uint64_t)p->state | (uint64_t)(uint32_t)p->refcount << 8 |
                       (uint64_t)(uint32_t)p->conv_counter << 32);
    }
    for (uint32_t i = 0; i < w->kports.count; i++) {
        const cm_kport *k = cm_pool_at(&w->kports, (int32_t)i);
        h = mix(h, (uint64_t)k->alive | (uint64_t)k->q_count << 8 | (uint64_t)k->owner << 40);
        for (int32_t m = k->q_head; m >= 0; m = ((const cm_msg *)cm_pool_at(&w->msgs, m))->next) {
            const cm_msg *msg = cm_pool_at(&w->msgs, m);
            h = mix(h, (uint64_t)(uint32_t)msg->convid | (uint64_t)msg->kind << 32);
        }
    }
    for (uint32_t q = 0; q < w->queue_total; q++) {
        h = mix(h, (uint64_t)w->queues[q].count | (uint64_t)w->queues[q].running << 32);
    }
    return h;
}

/*
 * Two runs that reach the same state hash have the same future *and* have
 * observed the same things so far (as a multiset: results, callouts,
 * callbacks with their times), so an explorer may prune one of them
 * without missing a failure that depends on the past.
 */
uint64_t cm_world_state_hash(const cm_world *w)
{
    assert(w != NULL && w->now_ns >= 0);
    assert(w->heap_count <= w->heap_capacity);
    uint64_t h = mix(w->history, (uint64_t)w->now_ns);
    for (uint16_t s = 0; s < w->cfg.signal_count; s++) h = mix(h, w->signals[s]);
    for (uint16_t p = 0; p < w->cfg.process_count; p++) {
        h = mix(h, (uint64_t)w->processes[p].state | (uint64_t)w->processes[p].incarnation << 8);
    }
    h = hash_threads(w, h);
    h = hash_objects(w, h);
    for (uint32_t i = 0; i < w->heap_count; i++) {
        h ^= mix(w->heap[i].kind, (uint64_t)(w->heap[i].at_ns - w->now_ns)); /* order-free */
    }
    return h;
}
