/*
 * sim_compile.h — a scenario turned into the core's world configuration.
 *
 * Program i of the configuration is program i of the scenario, and
 * operation j of a program is its step j, so (program, op_index) in any
 * trace event maps straight back to a step (and its file:line:col) with
 * sim_compiled_step. Byte strings (names, data) become deduplicated blobs.
 *
 * Ownership: a sim_compiled owns the configuration's arrays (sim_compiled_free)
 * and points at the scenario, which must outlive it. The caller fills in
 * cfg.alloc, cfg.strategy, cfg.on_event and cfg.trace_capacity before
 * making a world; everything else is set here.
 */
#ifndef SIM_COMPILE_H
#define SIM_COMPILE_H

#include "sim_scenario.h"

typedef struct sim_compiled {
    const sim_scenario *sc;
    cm_world_config cfg;
    uint8_t profile_id; /* the profile the configuration uses */
    base_arena arena;    /* every array below */
    cm_blob *blobs;
    uint32_t blob_count;
} sim_compiled;

/*
 * Compiles sc with the profile (0: the scenario's own). Returns false and a
 * message in err when the configuration is out of the core's limits or the
 * core rejects it (which a loaded scenario should never cause).
 */
bool sim_compile(const sim_scenario *sc, uint8_t profile_override, sim_compiled *out, char *err,
                 size_t err_cap);
void sim_compiled_free(sim_compiled *c);

/*
 * Timing jitter: what a busy host can do to a run without changing what the
 * scenario says. Real hosts only make things late: a sleep or work ends
 * later, a thread or a process begins later. sim_lint.h plans them.
 */
typedef enum sim_jitter_kind {
    SIM_JITTER_NONE = 0,
    SIM_JITTER_SLEEP = 1,         /* step (a sleep or work) lasts delay_ns longer */
    SIM_JITTER_THREAD_START = 2,  /* thread `thread` of `process` begins delay_ns late */
    SIM_JITTER_PROCESS_START = 3, /* process begins delay_ns late */
    SIM_JITTER_ALL_SLEEPS = 4,    /* every sleep and work lasts delay_ns longer */
} sim_jitter_kind;

typedef struct sim_jitter {
    uint8_t kind;      /* sim_jitter_kind */
    uint32_t step;     /* SLEEP */
    uint32_t process;  /* THREAD_START, PROCESS_START */
    uint32_t thread;   /* THREAD_START */
    int64_t delay_ns;  /* > 0 */
} sim_jitter;

/* Applies a jitter to a compiled scenario (its own arrays); false if it does not fit it. */
bool sim_compiled_jitter(sim_compiled *c, const sim_jitter *j);
/* Undoes sim_compiled_jitter(c, j): what it changed is as compiled from the scenario again,
 * so one compiled world serves every jitter of a plan (sim_lint.h's jitter session). */
void sim_compiled_unjitter(sim_compiled *c, const sim_jitter *j);

/* The step an event's (program, op_index) refers to, or SIM_NONE (inline: the observer's hot path). */
static inline uint32_t sim_compiled_step(const sim_compiled *c, uint16_t program, uint32_t op_index)
{
    const sim_scenario *sc = c->sc;
    if (program >= sc->program_count) return SIM_NONE;
    const sim_program *p = &sc->programs[program];
    return op_index < p->step_count ? p->first_step + op_index : SIM_NONE;
}

/*
 * A cm_data (as RETURN events encode it) as a sim_data over the blobs,
 * written field by field into *d: the observer's hot path (a 32-byte
 * sim_data built in a temporary and copied whole stalls on store
 * forwarding).
 */
static inline void sim_compiled_data_into(const sim_compiled *c, int32_t code, sim_data *d)
{
    cm_data x = cm_data_decode(code, c->blobs, c->blob_count);
    const cm_blob *b = NULL;
    if (x.size_bytes >= 0 && x.blob != CM_NONE32 && x.blob < c->blob_count) b = &c->blobs[x.blob];
    d->kind = x.size_bytes < 0 ? SIM_DATA_NULL : b != NULL ? SIM_DATA_BYTES : SIM_DATA_SIZE;
    d->bytes = b != NULL ? b->bytes : NULL;
    d->len = b != NULL ? b->size_bytes : 0;
    d->size = x.size_bytes < 0 ? 0 : b != NULL ? (int64_t)b->size_bytes : x.size_bytes;
}

/* The same, returned. */
static inline sim_data sim_compiled_data(const sim_compiled *c, int32_t code)
{
    sim_data d;
    sim_compiled_data_into(c, code, &d);
    return d;
}

#endif /* SIM_COMPILE_H */
