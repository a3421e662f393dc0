/*
 * sim_obs.h — what a run observed, independent of where it came from.
 *
 * A backend (the model through sim_model.c; later, real agents through
 * conformance/) records two lists while a scenario runs:
 *   - executions: one record per execution of a step (a step in a handler
 *     runs once per callout, a thread step once per process incarnation),
 *     with its outcome, result, data and timing;
 *   - events: callouts, invalidation callbacks, context calls, replies,
 *     crashes, warnings... (sim_event_kind), in the order they happened.
 * The checker (sim_check.h) compares them with the scenario's
 * expectations and the always-on invariants. It never looks at the core.
 *
 * Identity: `port` values are object ids and `msg` / `request` values
 * message ids chosen by the backend; they only need to be equal for the
 * same object or message within one run (-1: unknown). `seq` orders all
 * records of one run (the model uses the trace's event sequence numbers).
 *
 * Ownership: a sim_obs owns its arrays and copies of all data bytes
 * (sim_obs_fini).
 */
#ifndef SIM_OBS_H
#define SIM_OBS_H

#include "sim_scenario.h"

typedef enum sim_outcome {
    SIM_OUTCOME_OPEN = 0,     /* only while recording */
    SIM_OUTCOME_RETURNED = 1, /* the call returned */
    SIM_OUTCOME_BLOCKED = 2,  /* still inside the call when the run ended */
    SIM_OUTCOME_KILLED = 3,   /* its process died during the call */
} sim_outcome;

#define SIM_PORT_NONE INT64_C(-1)

typedef struct sim_exec {
    uint32_t step;
    uint8_t outcome;        /* sim_outcome */
    bool should_free_info;  /* create_local* */
    int32_t value;          /* status, bool, run result, created (1/0), int */
    int64_t port;           /* the object returned or used, SIM_PORT_NONE */
    sim_data data;          /* send: reply (NULL: not written); get_name: name; reply: data */
    int64_t info;           /* get_context; SIM_INFO_UNDEFINED */
    uint32_t callback;      /* get_invalidation_callback: program, SIM_NONE */
    int32_t convid;         /* send: the request's conversation id, 0 if none */
    int64_t request;        /* send: the request message's id (backend-chosen), -1 if unknown */
    int32_t msgid;
    int64_t start_ns;
    int64_t end_ns;         /* when it returned, or when the run ended / process died */
    uint64_t start_seq;
    uint64_t end_seq;
    uint16_t process;
    uint16_t thread;
} sim_exec;

#define SIM_EVF_VIA_SET 0x01u   /* invalidation callback run at once by Set (R8) */
#define SIM_EVF_DELIVERED 0x02u /* callout: its reply was sent to a live reply port */
#define SIM_EVF_DONE 0x04u      /* callout: it returned */
#define SIM_EVF_REQUEST 0x08u   /* callout: its request data is known (request) */

typedef struct sim_event {
    uint8_t kind;  /* sim_event_kind */
    uint8_t flags; /* SIM_EVF_* */
    uint16_t process;
    uint16_t thread; /* UINT16_MAX when not on a thread */
    int64_t time_ns;
    uint64_t seq;
    int64_t port;    /* object id, SIM_PORT_NONE */
    int32_t msgid;
    int32_t convid;
    int32_t code;    /* warning code, crash / drop reason */
    int64_t msg;     /* message events: the message's id (backend-chosen), -1 */
    sim_data data;   /* callout: the callout's reply */
    sim_data request; /* callout: the request's data when SIM_EVF_REQUEST (a scenario filters on it) */
    int64_t size_bytes; /* callout, enqueue, ...: the request's size; reply_*: the reply's; -1 */
    uint32_t step;   /* anomalies: the step involved, else SIM_NONE */
    const char *note; /* anomalies: static text */
} sim_event;

typedef struct sim_obs {
    sim_exec *execs;
    uint32_t exec_count;
    uint32_t exec_capacity;
    sim_event *events;
    uint32_t event_count;
    uint32_t event_capacity;
    base_arena bytes; /* copies of data */
    bool failed;     /* out of memory: the observation is incomplete */
    /* the run as a whole */
    int64_t end_ns;
    const char *end_reason; /* static: "quiescent", "time_limit", "event_budget", ... */
    uint64_t trace_hash;
    uint64_t trace_events;
} sim_obs;

void sim_obs_init(sim_obs *o);
void sim_obs_fini(sim_obs *o);
/* Empties o for another run, keeping its arrays. */
void sim_obs_clear(sim_obs *o);
/* Appends a copy (data bytes are copied); returns its index or SIM_NONE. */
uint32_t sim_obs_add_exec(sim_obs *o, const sim_exec *e);
uint32_t sim_obs_add_event(sim_obs *o, const sim_event *e);
/*
 * Appends one record left for the caller to fill in completely (every
 * field, data bytes copied with sim_obs_copy_data): a pointer to it, or
 * NULL (and o->failed) when out of memory. For recorders on a hot path.
 */
static inline sim_exec *sim_obs_push_exec(sim_obs *o);
static inline sim_event *sim_obs_push_event(sim_obs *o);
/* Room for more (the slow path of the two above); false (and o->failed) when out of memory. */
bool sim_obs_grow_execs(sim_obs *o);
bool sim_obs_grow_events(sim_obs *o);
/* Every execution names a step of sc, has a final outcome and ends after it starts. */
bool sim_obs_validate(const sim_obs *o, const sim_scenario *sc);
/* A copy of d whose bytes live in o. */
sim_data sim_obs_copy_data(sim_obs *o, const sim_data *d);
/* dst (initialised; its records are replaced) becomes a copy of src, bytes and all; false when
 * out of memory (dst->failed). */
bool sim_obs_copy(sim_obs *dst, const sim_obs *src);

static inline sim_exec *sim_obs_push_exec(sim_obs *o)
{
    if (o->exec_count == o->exec_capacity && !sim_obs_grow_execs(o)) return NULL;
    return &o->execs[o->exec_count++];
}

static inline sim_event *sim_obs_push_event(sim_obs *o)
{
    if (o->event_count == o->event_capacity && !sim_obs_grow_events(o)) return NULL;
    return &o->events[o->event_count++];
}

#endif /* SIM_OBS_H */
