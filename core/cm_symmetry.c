/*
 * cm_symmetry.c — which processes of a configuration are interchangeable
 * (cm_world_config_symmetry, cm_world.h): the static half of the symmetry
 * reduction of sim_explore.c. The dynamic half (is the current state still
 * symmetric in two of them) is in cm_world.c, beside the footprints.
 *
 * Two processes p and q are symmetric when swapping them (and everything
 * they own) maps the configuration onto itself, so that the model, which
 * treats process, port, wrapper and pid numbers as opaque identities (the
 * premise sleep sets already rest on, cm_world.h), maps every run with p
 * and q onto a run with them swapped. What is required, conservatively:
 *   - the same start time, sandbox group, slots, queues, thread start
 *     delays, and thread programs equal operation by operation (every field,
 *     with the same handler / callback / timer / block programs, the same
 *     port names, times and `when` conditions), except the message id and
 *     the content (not the size) of data, and those only when no `when`
 *     condition anywhere compares message ids or data (then nothing in the
 *     model reads them but to copy them: they are opaque tokens);
 *   - no fault, end signal or per-PID operation naming either of them, and
 *     no per-PID operation in their programs (pids would stop being opaque);
 *   - at least two processes in the class (a class of one is no symmetry).
 * Anything else leaves the process alone (CM_NONE16): less reduction, never
 * a wrong one.
 */
#include "cm_internal.h"

static bool data_match(cm_data a, cm_data b, bool opaque)
{
    return a.size_bytes == b.size_bytes && (opaque || a.blob == b.blob);
}

/* Every field equal, but msgid and data content when they are opaque. */
static bool ops_match(const cm_op *a, const cm_op *b, bool opaque)
{
    assert(a != NULL && b != NULL);
    bool same = a->kind == b->kind && a->flags == b->flags && a->slot == b->slot && a->mode == b->mode &&
                a->target == b->target && a->name == b->name && a->t1_ns == b->t1_ns && a->t2_ns == b->t2_ns &&
                a->value == b->value && (opaque || a->msgid == b->msgid) && data_match(a->data, b->data, opaque);
    bool when = a->when.flags == b->when.flags && a->when.msgid == b->when.msgid &&
                a->when.data.size_bytes == b->when.data.size_bytes && a->when.data.blob == b->when.data.blob &&
                a->when.size_bytes == b->when.size_bytes;
    return same && when;
}

static bool programs_match(const cm_world_config *cfg, uint16_t a, uint16_t b, bool opaque)
{
    assert(a < cfg->program_count && b < cfg->program_count);
    const cm_program *pa = &cfg->programs[a], *pb = &cfg->programs[b];
    if (pa->count != pb->count) return false;
    for (uint32_t i = 0; i < pa->count; i++) { /* bounded by the program's length */
        if (!ops_match(&pa->ops[i], &pb->ops[i], opaque)) return false;
    }
    return true;
}

static bool per_pid(uint8_t kind)
{
    return kind == CM_OP_CREATE_LOCAL_PER_PID || kind == CM_OP_CREATE_REMOTE_PER_PID;
}

/* No `when` compares message ids or data: the model only copies them. */
static bool data_opaque(const cm_world_config *cfg)
{
    for (uint16_t p = 0; p < cfg->program_count; p++) {
        for (uint32_t i = 0; i < cfg->programs[p].count; i++) {
            if (cfg->programs[p].ops[i].when.flags & (CM_WHEN_MSGID | CM_WHEN_DATA)) return false;
        }
    }
    return true;
}

/* p may be in a class at all: nothing names it, its programs use no pids. */
static bool may_be_symmetric(const cm_world_config *cfg, uint16_t p)
{
    const cm_process_config *pc = &cfg->processes[p];
    if (pc->has_end_signal) return false;
    for (uint16_t f = 0; f < cfg->fault_count; f++) {
        if (cfg->faults[f].process == p) return false;
    }
    for (uint16_t g = 0; g < cfg->program_count; g++) {
        for (uint32_t i = 0; i < cfg->programs[g].count; i++) {
            const cm_op *op = &cfg->programs[g].ops[i];
            if (op->kind == CM_OP_CREATE_REMOTE_PER_PID && op->target == p) return false;
        }
    }
    for (uint16_t t = 0; t < pc->thread_count; t++) {
        const cm_program *prog = &cfg->programs[pc->threads[t].program];
        for (uint32_t i = 0; i < prog->count; i++) {
            if (per_pid(prog->ops[i].kind)) return false;
        }
    }
    return true;
}

static bool processes_match(const cm_world_config *cfg, uint16_t p, uint16_t q, bool opaque)
{
    const cm_process_config *a = &cfg->processes[p], *b = &cfg->processes[q];
    if (a->thread_count != b->thread_count || a->queue_count != b->queue_count || a->slot_count != b->slot_count ||
        a->start_ns != b->start_ns || a->sandbox_group != b->sandbox_group) {
        return false;
    }
    for (uint16_t k = 0; k < a->queue_count; k++) {
        if (a->queues[k].kind != b->queues[k].kind || a->queues[k].width != b->queues[k].width) return false;
    }
    for (uint16_t t = 0; t < a->thread_count; t++) {
        if (a->threads[t].start_delay_ns != b->threads[t].start_delay_ns) return false;
        if (!programs_match(cfg, a->threads[t].program, b->threads[t].program, opaque)) return false;
    }
    return true;
}

void cm_world_config_symmetry(const cm_world_config *cfg, uint16_t *cls)
{
    assert(cfg != NULL && cls != NULL);
    assert(cfg->process_count == 0 || cfg->processes != NULL);
    bool opaque = data_opaque(cfg);
    for (uint16_t p = 0; p < cfg->process_count; p++) {
        cls[p] = CM_NONE16;
        if (!may_be_symmetric(cfg, p)) continue;
        for (uint16_t q = 0; q < p; q++) { /* the first member of an earlier class that matches */
            if (cls[q] == q && processes_match(cfg, q, p, opaque)) {
                cls[p] = q;
                break;
            }
            if (cls[q] == CM_NONE16 && may_be_symmetric(cfg, q) && processes_match(cfg, q, p, opaque)) {
                cls[q] = q;
                cls[p] = q;
                break;
            }
        }
    }
    for (uint16_t p = 0; p < cfg->process_count; p++) assert(cls[p] == CM_NONE16 || cls[cls[p]] == cls[p]);
}
