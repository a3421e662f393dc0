/* sim_obs.c — see sim_obs.h. */
#include "sim_obs.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void sim_obs_init(sim_obs *o)
{
    memset(o, 0, sizeof *o);
    base_arena_init(&o->bytes, 0);
    o->end_reason = "none";
}

void sim_obs_clear(sim_obs *o)
{
    base_arena_reset(&o->bytes);
    o->exec_count = 0;
    o->event_count = 0;
    o->failed = false;
    o->end_ns = 0;
    o->end_reason = "none";
    o->trace_hash = 0;
    o->trace_events = 0;
}

void sim_obs_fini(sim_obs *o)
{
    free(o->execs);
    free(o->events);
    base_arena_fini(&o->bytes);
    memset(o, 0, sizeof *o);
}

sim_data sim_obs_copy_data(sim_obs *o, const sim_data *d)
{
    sim_data copy = *d;
    if (d->kind != SIM_DATA_BYTES || d->len == 0) return copy;
    uint8_t *bytes = base_arena_alloc(&o->bytes, d->len);
    if (bytes == NULL) {
        o->failed = true;
        copy.bytes = NULL;
        copy.len = 0;
        return copy;
    }
    memcpy(bytes, d->bytes, d->len);
    copy.bytes = bytes;
    return copy;
}

static bool grow(void **items, uint32_t *capacity, size_t item_size)
{
    uint32_t n = *capacity ? *capacity * 2 : 64;
    if (n < *capacity) return false;
    void *p = realloc(*items, (size_t)n * item_size);
    if (p == NULL) return false;
    *items = p;
    *capacity = n;
    return true;
}

bool sim_obs_grow_execs(sim_obs *o)
{
    if (grow((void **)&o->execs, &o->exec_capacity, sizeof *o->execs)) return true;
    o->failed = true;
    return false;
}

bool sim_obs_grow_events(sim_obs *o)
{
    if (grow((void **)&o->events, &o->event_capacity, sizeof *o->events)) return true;
    o->failed = true;
    return false;
}

uint32_t sim_obs_add_exec(sim_obs *o, const sim_exec *e)
{
    sim_exec *x = sim_obs_push_exec(o);
    if (x == NULL) return SIM_NONE;
    *x = *e;
    x->data = sim_obs_copy_data(o, &e->data);
    return o->exec_count - 1;
}

uint32_t sim_obs_add_event(sim_obs *o, const sim_event *e)
{
    sim_event *x = sim_obs_push_event(o);
    if (x == NULL) return SIM_NONE;
    *x = *e;
    x->data = sim_obs_copy_data(o, &e->data);
    /* a real run's bytes live in its session; without SIM_EVF_REQUEST the field is not set */
    if (e->flags & SIM_EVF_REQUEST) x->request = sim_obs_copy_data(o, &e->request);
    else x->request = (sim_data){.kind = SIM_DATA_NULL};
    return o->event_count - 1;
}

/* A whole observation copied record by record, so its data bytes move into dst's own arena (a
 * report keeps a model run's observation after the session that made it is reused). */
bool sim_obs_copy(sim_obs *dst, const sim_obs *src)
{
    assert(dst != NULL && src != NULL && dst != src);
    sim_obs_clear(dst);
    for (uint32_t i = 0; i < src->exec_count && !dst->failed; i++) sim_obs_add_exec(dst, &src->execs[i]);
    for (uint32_t i = 0; i < src->event_count && !dst->failed; i++) sim_obs_add_event(dst, &src->events[i]);
    dst->failed |= src->failed;
    dst->end_ns = src->end_ns;
    dst->end_reason = src->end_reason;
    dst->trace_hash = src->trace_hash;
    dst->trace_events = src->trace_events;
    assert(dst->failed || (dst->exec_count == src->exec_count && dst->event_count == src->event_count));
    return !dst->failed;
}

bool sim_obs_validate(const sim_obs *o, const sim_scenario *sc)
{
    for (uint32_t i = 0; i < o->exec_count; i++) {
        const sim_exec *e = &o->execs[i];
        if (e->step >= sc->step_count) return false;
        if (e->outcome < SIM_OUTCOME_RETURNED || e->outcome > SIM_OUTCOME_KILLED) return false;
        if (e->end_ns < e->start_ns || e->end_seq < e->start_seq) return false;
    }
    for (uint32_t i = 0; i < o->event_count; i++) {
        if (o->events[i].kind == SIM_EV_NONE || o->events[i].kind >= SIM_EV_KIND_COUNT) return false;
    }
    return true;
}
