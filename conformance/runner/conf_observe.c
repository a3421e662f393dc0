/*
 * conf_observe.c — from agent lines to sim/'s observation (sim_obs.h).
 *
 * The session turns every call, return and event line (and the runner's
 * own start and death records) into a conf_rec stamped with virtual time.
 * Agents share the host's monotonic clock, so sorting all records by time
 * (arrival order breaking ties, which keeps each agent's own order and a
 * world agent's exact sequence) gives one timeline across processes.
 * conf_observer_finish replays it, as sim_model.c replays the core's
 * trace: calls open executions, returns close them, a process's death
 * closes its open calls as killed, calls still open at the end are
 * blocked, and callouts learn their reply from callout_done: the one with
 * the same callout_id when the agent gives ids (parallel workers of one
 * concurrent queue share a thread label, R50b), else the innermost open
 * callout on the done's thread of the done's process (nested callouts, R26;
 * a world agent's thread 0 of one process is not thread 0 of another).
 *
 * Agents that cannot know conversation ids (every real one) get a
 * stand-in: two-way sends and callouts carry convid 1, so the checker's
 * "no reply matched to the wrong request" invariant compares a reply with
 * the callouts of the same msgid that finished before the send returned.
 */
#include "conf_runner.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void conf_observer_init(conf_observer *o, const sim_scenario *sc)
{
    memset(o, 0, sizeof *o);
    o->sc = sc;
    base_arena_init(&o->arena, 0);
}

void conf_observer_fini(conf_observer *o)
{
    free(o->recs);
    base_arena_fini(&o->arena);
    memset(o, 0, sizeof *o);
}

#define MAX_RECORDS 4000000u

conf_rec *conf_observer_add(conf_observer *o)
{
    assert(o != NULL && o->sc != NULL);
    assert(o->count <= o->capacity && o->capacity <= MAX_RECORDS);
    if (o->count == o->capacity) {
        uint32_t cap = o->capacity ? o->capacity * 2 : 256;
        conf_rec *grown = cap <= MAX_RECORDS ? realloc(o->recs, cap * sizeof *grown) : NULL;
        if (grown == NULL) {
            o->failed = true;
            return NULL;
        }
        o->recs = grown;
        o->capacity = cap;
    }
    conf_rec *r = &o->recs[o->count++];
    memset(r, 0, sizeof *r);
    r->order = o->next_order++;
    r->port = SIM_PORT_NONE;
    r->callback = SIM_NONE;
    r->step = SIM_NONE;
    r->msg = -1;
    return r;
}

/* ---- data the scenario mentions -------------------------------------------------------------- */

static bool digest_matches(const sim_data *d, int64_t size, uint64_t digest)
{
    return d->kind == SIM_DATA_BYTES && (int64_t)d->len == size && conf_fnv1a64(d->bytes, d->len) == digest;
}

sim_data conf_resolve_digest(const sim_scenario *sc, int64_t size, uint64_t digest)
{
    assert(sc != NULL);
    assert(size >= 0 && size <= CM_LIMIT_SIZE_BYTES);
    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        if (digest_matches(&s->data, size, digest)) return s->data;
        if (s->has_name && digest_matches(&s->name, size, digest)) return s->name;
        const sim_expect *x = s->expect;
        if (x != NULL && x->has_reply && digest_matches(&x->reply, size, digest)) return x->reply;
        if (x != NULL && x->has_name && digest_matches(&x->name, size, digest)) return x->name;
    }
    return (sim_data){.kind = SIM_DATA_SIZE, .size = size};
}

/* ---- replay ------------------------------------------------------------------------------------- */

static int rec_cmp(const void *x, const void *y)
{
    const conf_rec *a = x, *b = y;
    if (a->t_ns != b->t_ns) return a->t_ns < b->t_ns ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

typedef struct exec_slot {
    uint64_t key; /* 0: empty */
    uint32_t exec;
    uint16_t agent;
    uint16_t process;
} exec_slot;

typedef struct callout_open {
    uint16_t agent;
    uint16_t process; /* a world agent speaks for every process, and thread labels repeat across them */
    uint16_t thread;
    uint32_t event;
    int64_t id; /* the agent's callout_id, 0 none */
} callout_open;

typedef struct replay {
    conf_observer *o;
    sim_obs *obs;
    bool world;
    exec_slot *slots;
    uint32_t slot_cap; /* a power of two */
    callout_open *callouts;
    uint32_t callout_count;
    uint32_t callout_cap;
} replay;

static uint64_t exec_key(uint16_t agent, int64_t exec)
{
    uint64_t k = ((uint64_t)agent << 48) ^ (uint64_t)exec ^ UINT64_C(0x9E3779B97F4A7C15);
    return k == 0 ? 1 : k;
}

/* A record the session made: a known kind, a step of the scenario or none (calls and returns
 * always name one, checked when the agent's line was read). */
static bool rec_validate(const conf_observer *o, const conf_rec *r)
{
    if (o == NULL || r == NULL || r->kind < CONF_REC_CALL || r->kind > CONF_REC_DEATH) return false;
    if (r->step != SIM_NONE && r->step >= o->sc->step_count) return false;
    if ((r->kind == CONF_REC_CALL || r->kind == CONF_REC_RETURN) && r->step == SIM_NONE) return false;
    return r->order < o->next_order;
}

static exec_slot *slot_find(replay *r, uint64_t key, bool insert)
{
    assert(r != NULL && key != 0); /* 0 marks an empty slot */
    assert(r->slot_cap > 0 && (r->slot_cap & (r->slot_cap - 1)) == 0);
    uint64_t h = key * UINT64_C(0xff51afd7ed558ccd);
    for (uint32_t i = 0; i < r->slot_cap; i++) {
        exec_slot *s = &r->slots[(h + i) & (r->slot_cap - 1)];
        if (s->key == key) return s;
        if (s->key == 0) return insert ? s : NULL;
    }
    return NULL;
}

static void anomaly(replay *r, const conf_rec *rec, uint64_t seq, const char *note)
{
    sim_event e = {.kind = SIM_EV_ANOMALY, .process = rec->process, .thread = rec->thread,
                   .time_ns = rec->t_ns, .seq = seq, .port = SIM_PORT_NONE, .msg = -1,
                   .step = rec->step, .note = note};
    sim_obs_add_event(r->obs, &e);
}

static void on_call(replay *r, const conf_rec *rec, uint64_t seq)
{
    assert(rec_validate(r->o, rec) && rec->kind == CONF_REC_CALL);
    assert(rec->step < r->o->sc->step_count); /* the session checked the ref */
    uint64_t key = exec_key(rec->agent, rec->exec);
    exec_slot *slot = slot_find(r, key, true);
    if (slot == NULL || slot->key != 0) {
        anomaly(r, rec, seq, "an agent reused an execution id");
        return;
    }
    sim_exec e = {.step = rec->step, .outcome = SIM_OUTCOME_OPEN, .port = SIM_PORT_NONE,
                  .callback = SIM_NONE, .request = -1, .start_ns = rec->t_ns, .end_ns = rec->t_ns,
                  .start_seq = seq, .end_seq = seq, .process = rec->process, .thread = rec->thread};
    uint32_t index = sim_obs_add_exec(r->obs, &e);
    if (index == SIM_NONE) return;
    *slot = (exec_slot){.key = key, .exec = index, .agent = rec->agent, .process = rec->process};
}

static void on_return(replay *r, const conf_rec *rec, uint64_t seq)
{
    assert(rec_validate(r->o, rec) && rec->kind == CONF_REC_RETURN);
    assert(rec->step < r->o->sc->step_count); /* the step of an open call */
    exec_slot *slot = slot_find(r, exec_key(rec->agent, rec->exec), false);
    if (slot == NULL || r->obs->execs[slot->exec].outcome != SIM_OUTCOME_OPEN) {
        anomaly(r, rec, seq, "a return without an open call");
        return;
    }
    sim_exec *e = &r->obs->execs[slot->exec];
    const sim_step *step = &r->o->sc->steps[e->step];
    e->outcome = SIM_OUTCOME_RETURNED;
    e->value = rec->value;
    e->port = rec->port;
    e->should_free_info = rec->should_free_info;
    e->info = rec->info;
    e->callback = rec->callback;
    e->data = sim_obs_copy_data(r->obs, &rec->data);
    bool two_way = step->op == CM_OP_SEND && step->mode.name != NULL;
    e->convid = rec->has_convid ? rec->convid : (two_way ? 1 : 0);
    e->request = rec->msg;
    e->msgid = rec->has_msgid ? rec->msgid : step->msgid;
    int64_t start = rec->t_ns - rec->elapsed_ns;
    if (rec->elapsed_ns >= 0 && start >= e->start_ns) e->start_ns = start;
    e->end_ns = rec->t_ns >= e->start_ns ? rec->t_ns : e->start_ns;
    e->end_seq = seq;
}

/* Open calls of a dead process (world: by process; else by the agent that died) end killed. */
static void close_killed(replay *r, const conf_rec *rec, uint64_t seq)
{
    assert(rec_validate(r->o, rec));
    assert(r->callout_count <= r->callout_cap);
    for (uint32_t i = 0; i < r->slot_cap; i++) {
        exec_slot *s = &r->slots[i];
        if (s->key == 0) continue;
        if (r->world ? s->process != rec->process : s->agent != rec->agent) continue;
        sim_exec *e = &r->obs->execs[s->exec];
        if (e->outcome != SIM_OUTCOME_OPEN) continue;
        e->outcome = SIM_OUTCOME_KILLED;
        e->end_ns = rec->t_ns >= e->start_ns ? rec->t_ns : e->start_ns;
        e->end_seq = seq;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < r->callout_count; i++) {
        bool dead = r->world ? r->callouts[i].process == rec->process : r->callouts[i].agent == rec->agent;
        if (!dead) r->callouts[kept++] = r->callouts[i];
    }
    r->callout_count = kept;
}

static void track_callout(replay *r, const conf_rec *rec, uint32_t index)
{
    assert(rec->ev_kind == SIM_EV_CALLOUT || rec->ev_kind == SIM_EV_CALLOUT_DONE);
    assert(index < r->obs->event_count);
    assert(r->callout_count <= r->callout_cap);
    if (rec->ev_kind == SIM_EV_CALLOUT) {
        if (r->callout_count == r->callout_cap) {
            uint32_t cap = r->callout_cap ? r->callout_cap * 2 : 32;
            callout_open *grown = realloc(r->callouts, cap * sizeof *grown);
            if (grown == NULL) return;
            r->callouts = grown;
            r->callout_cap = cap;
        }
        r->callouts[r->callout_count++] =
            (callout_open){rec->agent, rec->process, rec->thread, index, rec->callout_id};
        return;
    }
    for (uint32_t i = r->callout_count; i > 0; i--) { /* callout_done: its id, else the innermost on its thread */
        callout_open *c = &r->callouts[i - 1];
        if (c->agent != rec->agent || c->process != rec->process) continue;
        if (rec->callout_id != 0 ? c->id != rec->callout_id : c->thread != rec->thread) continue;
        sim_event *callout = &r->obs->events[c->event];
        callout->flags |= SIM_EVF_DONE;
        callout->data = r->obs->events[index].data;
        memmove(c, c + 1, (r->callout_count - i) * sizeof *c);
        r->callout_count--;
        return;
    }
}

static void on_event(replay *r, const conf_rec *rec, uint64_t seq)
{
    assert(rec_validate(r->o, rec));
    assert(rec->kind != CONF_REC_CALL && rec->kind != CONF_REC_RETURN);
    sim_event e = {.kind = rec->ev_kind, .flags = rec->ev_flags, .process = rec->process,
                   .thread = rec->thread, .time_ns = rec->t_ns, .seq = seq, .port = rec->port,
                   .msgid = rec->msgid, .convid = rec->convid, .code = rec->code, .msg = rec->msg,
                   .data = rec->data, .request = rec->request, .size_bytes = rec->size_bytes,
                   .step = rec->step, .note = rec->note};
    if (rec->has_request) e.flags |= SIM_EVF_REQUEST;
    if (rec->ev_kind == SIM_EV_CALLOUT) {
        if (!rec->has_convid) e.convid = 1;
        if (!rec->flags_given) e.flags |= SIM_EVF_DELIVERED; /* unknown: assume delivered */
    }
    uint32_t index = sim_obs_add_event(r->obs, &e);
    if (index == SIM_NONE) return;
    if (rec->ev_kind == SIM_EV_CALLOUT || rec->ev_kind == SIM_EV_CALLOUT_DONE) track_callout(r, rec, index);
    if (rec->ev_kind == SIM_EV_CRASH || rec->ev_kind == SIM_EV_EXIT) close_killed(r, rec, seq);
}

void conf_observer_finish(conf_observer *o, bool world, int64_t end_ns, sim_obs *obs)
{
    assert(o != NULL && o->sc != NULL && obs != NULL);
    assert(o->count <= o->capacity);
    sim_obs_init(obs);
    if (o->count > 1) qsort(o->recs, o->count, sizeof *o->recs, rec_cmp);
    replay r = {.o = o, .obs = obs, .world = world};
    uint32_t calls = 0;
    for (uint32_t i = 0; i < o->count; i++) calls += o->recs[i].kind == CONF_REC_CALL;
    r.slot_cap = 64;
    while (r.slot_cap < 2 * calls + 2) r.slot_cap *= 2;
    r.slots = calloc(r.slot_cap, sizeof *r.slots);
    if (r.slots == NULL) {
        obs->failed = true;
        return;
    }
    uint64_t seq = 0;
    for (uint32_t i = 0; i < o->count; i++, seq++) {
        const conf_rec *rec = &o->recs[i];
        switch (rec->kind) {
        case CONF_REC_CALL: on_call(&r, rec, seq); break;
        case CONF_REC_RETURN: on_return(&r, rec, seq); break;
        case CONF_REC_EVENT:
        case CONF_REC_START:
        case CONF_REC_DEATH: on_event(&r, rec, seq); break;
        default: break;
        }
    }
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        sim_exec *e = &obs->execs[i];
        if (e->outcome != SIM_OUTCOME_OPEN) continue;
        e->outcome = SIM_OUTCOME_BLOCKED;
        e->end_ns = end_ns >= e->start_ns ? end_ns : e->start_ns;
        e->end_seq = seq;
    }
    obs->failed = obs->failed || o->failed;
    obs->end_ns = end_ns;
    free(r.slots);
    free(r.callouts);
    assert(obs->failed || sim_obs_validate(obs, o->sc)); /* exit: what sim_check asserts */
}
