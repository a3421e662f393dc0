/*
 * cm_trace.h — the event trace: every observable event of a run.
 *
 * Each event has its virtual time, the process and thread it happened on,
 * the program operation that caused it (when there is one), the port
 * object involved, three values named by its kind (cm_event_kinds.h:
 * ev->request.msgid, ev->ret.elapsed_ns, ...), and for message events the
 * message's serial, so a request's enqueue can be matched with its callout
 * and a reply's sending with its filing. The canonical text form
 * is one line per event (cm_event_format); the trace hash is a stable
 * 64-bit hash over the canonical binary encoding of the same fields
 * (cm_trace_hash_event): little-endian, field by field, independent of
 * struct layout, compiler, optimisation level and machine.
 */
#ifndef CM_TRACE_H
#define CM_TRACE_H

#include "cm_event_kinds.h"
#include "cm_types.h"

/* Port life-cycle states, as CM_EV_STATE carries them (state.from, state.to). */
typedef enum cm_port_state {
    CM_PS_NEW = 0,         /* allocated, not yet valid (R3) */
    CM_PS_VALID = 1,
    CM_PS_INVALID = 2,     /* a one-way latch (R3, R53) */
    CM_PS_DEALLOCATED = 3, /* the last reference went away (R54) */
    CM_PS_COUNT
} cm_port_state;

/* The event kinds, in the order of cm_event_kinds.h (the order is part of the hash). */
typedef enum cm_event_kind {
    CM_EV_NONE = 0,
#define CM_EV_ENUM(id, name, shape, counted, ta, tb, tc) CM_EV_##id,
    CM_EVENT_KINDS(CM_EV_ENUM)
#undef CM_EV_ENUM
    CM_EV_KIND_COUNT
} cm_event_kind;

/* CM_EV_CRASH reasons. */
typedef enum cm_crash_reason {
    CM_CRASH_FAULT = 1,        /* a scenario fault */
    CM_CRASH_OP = 2,           /* the program crashed itself */
    CM_CRASH_PRECONDITION = 3, /* a CF precondition violation (R13, R38, NULL port) */
    CM_CRASH_STACK = 4,        /* nesting deeper than the model's bound */
} cm_crash_reason;

/* CM_EV_REQUEST_DROPPED reasons. */
typedef enum cm_drop_reason {
    CM_DROP_INVALID_ON_ARRIVAL = 1, /* R44 */
    CM_DROP_MALFORMED = 2,          /* R45 */
} cm_drop_reason;

/* CM_EV_WARNING codes: messages CF logs. */
typedef enum cm_warning {
    CM_WARN_UNNAMED_SCHEDULED = 1, /* R41 */
    CM_WARN_QUEUE_INVALID = 2,     /* R49 */
    CM_WARN_QUEUE_REMOTE = 3,      /* R49 */
    CM_WARN_QUEUE_HAS_SOURCE = 4,  /* R49 */
    CM_WARN_QUEUE_UNNAMED = 5,     /* R49 */
    CM_WARN_REGISTER_FAILED = 6,   /* R15 */
    CM_WARN_DATA_TOO_BIG = 7,      /* R27 */
    CM_WARN_REPLY_TOO_BIG = 8,     /* R43 */
    CM_WARN_SETNAME_QUEUE = 9,     /* R19 [S] */
} cm_warning;

typedef enum cm_end_reason {
    CM_END_NONE = 0,
    CM_END_QUIESCENT = 1,  /* nothing can happen any more */
    CM_END_TIME_LIMIT = 2, /* the configured time limit was reached */
    CM_END_ERROR = 3,      /* the model ran out of memory */
    CM_END_BUDGET = 4,     /* the configured event budget was spent */
} cm_end_reason;

/*
 * An event's three values, by name: one member per shape of
 * cm_event_kinds.h, all over the same three slots (a, b: 32 bits; c: 64
 * bits), which `slots` names as the trace hash encodes them.
 */
#define CM_EV_SHAPE_MEMBER(shape, fa, fb, fc) \
    struct {                                  \
        int32_t fa;                           \
        int32_t fb;                           \
        int64_t fc;                           \
    } shape;
#define CM_EVENT_VALUE_MEMBERS                \
    struct {                                  \
        int32_t a;                            \
        int32_t b;                            \
        int64_t c;                            \
    } slots;                                  \
    CM_EVENT_SHAPES(CM_EV_SHAPE_MEMBER)

/* The values an emitter gives (CM_EVENT_VALUES), the same members as in cm_event. */
typedef union cm_event_values {
    CM_EVENT_VALUE_MEMBERS
} cm_event_values;
/* CM_EVENT_VALUES(request, .msgid = 3, .convid = 1): an event's values by shape and field. */
#define CM_EVENT_VALUES(shape, ...) ((cm_event_values){.shape = {__VA_ARGS__}})

typedef struct cm_event {
    cm_time_ns time_ns;
    uint32_t seq;        /* 0, 1, 2, ... in order */
    uint16_t kind;       /* cm_event_kind */
    uint16_t process;    /* process index, CM_NONE16 for world events */
    uint16_t thread;     /* thread index in the process, CM_NONE16 */
    uint16_t program;    /* program of the operation, CM_NONE16 */
    uint32_t op_index;   /* operation index in that program */
    int32_t port;        /* port object id, CM_NO_PORT */
    int32_t msg;         /* the message involved (a world-unique serial), -1 */
    union {              /* the kind's values: ev->request.msgid, ev->ret.elapsed_ns, ... */
        CM_EVENT_VALUE_MEMBERS
    };
} cm_event;

const char *cm_event_kind_name(uint16_t kind);
/* Folds one event into a running trace hash (start from CM_TRACE_HASH_SEED). */
uint64_t cm_trace_hash_event(uint64_t hash, const cm_event *ev);
#define CM_TRACE_HASH_SEED UINT64_C(0x9E3779B97F4A7C15)

#endif /* CM_TRACE_H */
