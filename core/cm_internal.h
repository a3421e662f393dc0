/*
 * cm_internal.h — the world's insides, shared by the core's .c files only.
 *
 * Layers, from the bottom:
 *   kernel  (cm_kernel.c)   kernel ports ("kports") with receive rights,
 *                            FIFO queues with a queue limit, send-once
 *                            reply rights, dead names, bootstrap names;
 *   CF      (cm_port.c, cm_name.c, cm_send.c, cm_runloop.c, cm_dispatch.c)
 *                            CFMessagePort objects, CFMachPort wrappers,
 *                            run loops, sources, dispatch queues;
 *   threads (cm_thread.c)   the interpreter of programs, one frame stack
 *                            per thread;
 *   world   (cm_world.c)    allocation, the clock, timers, the scheduler
 *                            and its choice points, the trace.
 * Every object lives in a pool (a growable array) and is named by its
 * index, so the trace never depends on memory addresses.
 */
#ifndef CM_INTERNAL_H
#define CM_INTERNAL_H

#include "cm_world.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#define CM_SYM_LOST UINT64_MAX   /* sym_trail: the process took a non-local step */
#define CM_STACK_MAX 24        /* frames per thread */
#define CM_INLINE_DEPTH_MAX 8  /* nested inline callbacks */
#define CM_NAME_CAP 1024       /* distinct port names per world */

/* ---- pools ------------------------------------------------------------- */

typedef struct cm_pool {
    void *items;
    uint32_t count;
    uint32_t capacity;
    uint32_t item_size;
    int32_t free_head; /* first free item, -1 */
} cm_pool;

/* ---- kernel ------------------------------------------------------------ */

typedef enum cm_msg_kind {
    CM_MSG_REQUEST = 1,
    CM_MSG_REPLY = 2,
    CM_MSG_NOTIFY = 3, /* a send-once notification (the request died) */
} cm_msg_kind;

typedef struct cm_msg {
    int32_t next;
    int32_t serial;      /* world-unique, for the trace */
    uint8_t kind;
    uint8_t malformed;
    uint16_t src_process;
    int32_t msgid;
    int32_t convid;
    cm_data data;
    int32_t reply_kport; /* the send-once right it carries, -1 */
    cm_time_ns visible_ns;
} cm_msg;

typedef struct cm_kport {
    uint8_t alive;
    uint8_t is_reply;       /* a remote's reply port */
    uint8_t launchd_held;   /* R15: launchd holds the receive right */
    uint8_t checkin;        /* R15: a launchd MachServices port */
    uint16_t owner;         /* process holding the receive right */
    uint8_t owner_incarnation;
    uint8_t qlimit;
    int32_t q_head;
    int32_t q_tail;
    uint32_t q_count;
    int32_t port;           /* the CFMessagePort it belongs to, -1 */
    uint16_t dq_queue;      /* dispatch queue delivering it, CM_NONE16 */
    int32_t waiters;        /* blocked senders (waiter list), -1 */
} cm_kport;

typedef struct cm_waiter {
    int32_t next;
    uint32_t thread; /* global thread index */
} cm_waiter;

typedef enum cm_bootstrap_state {
    CM_BS_FREE = 0,
    CM_BS_REGISTERED = 1,
    CM_BS_RELEASING = 2, /* the right died; launchd has not noticed yet (R62) */
} cm_bootstrap_state;

typedef struct cm_bootstrap_entry {
    int32_t kport;     /* first: pool free-list link when free */
    uint8_t state;
    uint32_t name;
    uint32_t pid;      /* per-PID services (R20): the owner's pid, else 0 */
} cm_bootstrap_entry;

/* ---- CF objects -------------------------------------------------------- */

typedef struct cm_reply_entry {
    int32_t next;
    int32_t convid;
    uint8_t arrived;
    cm_data data;
} cm_reply_entry;

typedef struct cm_port {
    uint8_t state;
    uint8_t remote;
    uint8_t per_pid;
    uint8_t extra_refs;   /* R3: name came from bootstrap_check_in */
    uint8_t deallocating;
    uint8_t ctx_flags;    /* CM_OPF_CTX_* */
    uint8_t incarnation;
    uint16_t process;
    int32_t refcount;
    uint32_t name;        /* name id, CM_NONE32 */
    int32_t wrapper;      /* CFMachPort wrapper, -1 */
    int32_t reply_kport;  /* remote: reply port, -1 (R25, R27) */
    int32_t reply_source; /* remote: the reply port's run-loop source, -1 */
    int32_t source;       /* local: cached run-loop source, -1 (R47) */
    uint16_t queue;       /* local: dispatch queue, CM_NONE16 (R49) */
    uint16_t handler;     /* local: callout program */
    uint16_t icallback;   /* invalidation callback program, CM_NONE16 */
    int64_t info;         /* context info; NULL (0) after invalidation (R52) */
    int32_t conv_counter; /* remote (R27) */
    int32_t replies;      /* remote: reply entries, -1 */
    uint32_t retain_calls;
    uint32_t release_calls;
    uint32_t copydesc_calls;
    uint32_t icallback_calls;
} cm_port;

typedef struct cm_wrapper {
    int32_t next;      /* in its process */
    int32_t kport;
    uint8_t valid;
    uint8_t receive;   /* holds the receive right (local) */
    uint8_t noticed;   /* dead name noticed (R56) */
} cm_wrapper;

typedef enum cm_source_kind {
    CM_SRC_LOCAL = 1, /* a local port's run-loop source */
    CM_SRC_REPLY = 2, /* a remote's reply-port source */
} cm_source_kind;

typedef struct cm_source {
    uint8_t kind;
    uint8_t valid;
    int32_t port;
} cm_source;

typedef struct cm_reg {
    int32_t next;       /* in its thread's run loop */
    int32_t source;
    int32_t kport;      /* read once when added (R41) */
    uint32_t modes;     /* bit per mode; CM_MODE_COMMON's bit: common modes */
} cm_reg;

typedef struct cm_rltimer {
    int32_t next;
    uint16_t program;
    uint16_t mode;
    cm_time_ns fire_ns;
    cm_duration_ns interval_ns;
    uint8_t valid;
} cm_rltimer;

typedef enum cm_block_kind {
    CM_BLK_PERFORM = 1,     /* a message for a port's callout (R49) */
    CM_BLK_DEATH = 2,       /* invalidate a remote whose server died (R56) */
    CM_BLK_PROGRAM = 3,     /* dispatch_async of a program */
} cm_block_kind;

typedef struct cm_block {
    int32_t next;
    uint8_t kind;
    int32_t port;
    int32_t msg;
    uint16_t program;
} cm_block;

typedef struct cm_queue {
    uint8_t kind;        /* 0: main queue, else cm_queue_kind */
    uint8_t width;
    uint16_t running;    /* blocks running now */
    int32_t head;
    int32_t tail;
    uint32_t count;
} cm_queue;

/* ---- threads ----------------------------------------------------------- */

typedef enum cm_frame_kind {
    CM_FR_PROGRAM = 1, /* a thread's own program */
    CM_FR_CALLOUT = 2, /* a local port's handler (R40) */
    CM_FR_TIMER = 3,   /* a run-loop timer's program */
    CM_FR_BLOCK = 4,   /* a dispatch block's program */
    CM_FR_SEND = 5,    /* CFMessagePortSendRequest (R27–R32) */
    CM_FR_RUNLOOP = 6, /* CFRunLoopRunInMode / CFRunLoopRun */
    CM_FR_SLEEP = 7,   /* sleep / work */
    CM_FR_WAIT = 8,    /* wait_for: until a signal's count (value) or the deadline */
} cm_frame_kind;

typedef enum cm_send_phase {
    CM_SEND_BLOCKED = 1, /* waiting for queue space (R28, R29) */
    CM_SEND_WAITING = 2, /* two-way: waiting for the reply (R32) */
} cm_send_phase;

#define CM_FRF_DID_REGISTER 0x01u /* send: added the reply source */
#define CM_FRF_HANDLED 0x02u      /* runloop: a source was handled */
#define CM_FRF_RETURN_AFTER 0x04u /* runloop: returnAfterSourceHandled */
#define CM_FRF_FOREVER 0x08u      /* runloop: CFRunLoopRun */
#define CM_FRF_REPLY_SET 0x10u    /* callout: a reply was chosen */
#define CM_FRF_ITERATED 0x20u     /* runloop: a pass ended (a timer fired): check again */
#define CM_FRF_HOLD 0x40u         /* sleep: a start delay, not a step (no events, no pc) */

/* cm_push sets every field one by one: a new field needs its value there. */
typedef struct cm_frame {
    uint8_t kind;
    uint8_t phase;
    uint8_t flags;
    uint16_t mode;
    uint16_t program;   /* program frames: the program; others: caller's */
    uint32_t pc;        /* program frames: next op; others: caller's op */
    cm_time_ns start_ns;
    cm_time_ns deadline_ns;
    int32_t port;       /* send: remote; callout: local; program: self */
    int32_t msg;        /* callout: the request (holds its reply right) */
    int32_t convid;
    int32_t kport;      /* send: destination */
    uint16_t queue;     /* block frames: the queue it runs on */
    cm_data reply;      /* callout: the callout's return value */
    int64_t value;      /* callout: the retained info (R40) */
    int32_t result;
} cm_frame;

/* Everything of a thread but its frames, which depth bounds (cm_thread_clear). */
typedef struct cm_thread {
    uint16_t process;
    uint16_t index;     /* in the process */
    uint8_t alive;
    uint8_t executor;   /* a dispatch queue's worker */
    uint16_t queue;     /* executor: its queue */
    uint8_t depth;
    uint8_t candidate;  /* in the scheduler's candidate list */
    uint8_t stop_requested;
    uint8_t wake_requested;
    uint8_t inline_depth;
    uint8_t dirty;        /* stepped or woken since its runnability was cached */
    uint8_t cached_runnable;
    uint32_t cached_epoch;
    cm_time_ns wake_ns;   /* its one pending timer wake-up, CM_DURATION_FOREVER */
    uint32_t common_modes; /* R36: modes in the common set */
    int32_t regs;        /* run-loop source registrations */
    int32_t timers;      /* run-loop timers */
    cm_frame frames[CM_STACK_MAX]; /* last: only frames[0 .. depth) are meaningful */
} cm_thread;

/* Resets a thread to zero, frames aside (they are dead above depth 0). */
static inline void cm_thread_clear(cm_thread *t)
{
    memset(t, 0, offsetof(cm_thread, frames));
}

typedef enum cm_process_state {
    CM_PROC_NOT_STARTED = 0,
    CM_PROC_RUNNING = 1,
    CM_PROC_DEAD = 2,
} cm_process_state;

typedef struct cm_process {
    uint8_t state;
    uint8_t incarnation;
    uint32_t pid;
    uint32_t thread_base;   /* global index of thread 0 */
    uint16_t thread_count;  /* program threads + executors */
    uint16_t user_threads;
    uint32_t slot_base;     /* into w->slots / w->slot_sources */
    uint32_t queue_base;    /* into w->queues (0 = main queue) */
    uint16_t queue_count;   /* including the main queue */
    int32_t wrappers;
    int32_t leaked;         /* R44: leaked reply rights (message list) */
} cm_process;

/* ---- timers and the scheduler ----------------------------------------- */

typedef enum cm_timer_kind {
    CM_TM_WAKE = 1,         /* a = global thread: a deadline or sleep end */
    CM_TM_VISIBLE = 2,      /* a = kport: a message becomes visible */
    CM_TM_FAULT = 3,        /* a = fault index */
    CM_TM_START = 4,        /* a = process */
    CM_TM_DEATH_NOTICE = 5, /* a = process, b = wrapper (R56) */
    CM_TM_RIGHTS_GONE = 6,  /* a = kport: deferred receive-right teardown (R62) */
    CM_TM_NAME_FREE = 7,    /* a = bootstrap entry (R62) */
} cm_timer_kind;

typedef struct cm_timer {
    cm_time_ns at_ns;
    uint64_t seq;
    uint8_t kind;
    int32_t a;
    int32_t b;
} cm_timer;

struct cm_world {
    cm_world_config cfg;
    const cm_strategy *strategy;
    void *strategy_ctx;
    cm_time_ns now_ns;
    uint8_t end_reason;
    uint8_t nomem;
    uint64_t timer_seq;
    uint64_t choice_ordinal;
    uint64_t step_count;  /* scheduling steps taken this run (cm_world_step_count) */
    /* track_symmetry (cm_world_options_symmetric): [process] its class, and a digest of its
     * steps (thread, time, segment) or CM_SYM_LOST; segment: non-local steps so far */
    uint16_t *sym_class;
    uint64_t *sym_trail;
    uint64_t sym_segment;
    uint32_t pid_next;
    /*
     * Bumped whenever something can make a runnable thread unrunnable
     * without waking it: a message dequeued (another watcher may have
     * counted on it), a port destroyed, a queue slot taken from blocked
     * senders, a dispatch block taken by one of several workers. A cached
     * "runnable" is trusted only within the same epoch.
     */
    uint32_t epoch;
    int32_t msg_serial;
    uint32_t signals[CM_SIGNAL_MAX]; /* times each signal was raised this run */

    /* trace */
    uint64_t trace_hash;
    uint64_t history;     /* order-free digest of what was observed (state hash) */
    uint64_t event_count;
    cm_event *events;
    uint32_t events_kept;
    uint64_t event_skip;  /* kinds not passed to on_event (cm_world_set_event_skip) */

    /* names: interned sanitized names */
    uint32_t name_count;
    uint32_t *name_blob;      /* [name] source blob */
    uint32_t *name_size;      /* [name] bytes used */
    uint32_t *blob_name;      /* [blob] sanitized name id, CM_NONE32 (NUL) */
    uint8_t *blob_name128;    /* [blob] exactly 128 bytes after sanitizing */
    cm_bootstrap_entry *bootstrap; /* [name] */
    int32_t *local_table;     /* [process * name_count + name] port */
    int32_t *remote_table;    /* [process * name_count + name] port */

    /* processes, threads, queues */
    cm_process *processes;
    cm_thread *threads;
    uint32_t thread_total;
    cm_queue *queues;
    uint32_t queue_total;
    int32_t *slots;           /* port ids */
    int32_t *slot_sources;    /* source ids */
    uint32_t slot_total;

    /* pools */
    cm_pool ports;       /* cm_port */
    cm_pool kports;      /* cm_kport */
    cm_pool msgs;        /* cm_msg */
    cm_pool wrappers;    /* cm_wrapper */
    cm_pool sources;     /* cm_source */
    cm_pool regs;        /* cm_reg */
    cm_pool rltimers;    /* cm_rltimer */
    cm_pool blocks;      /* cm_block */
    cm_pool replies;     /* cm_reply_entry */
    cm_pool waiters;     /* cm_waiter */
    cm_pool perpid;      /* cm_bootstrap_entry with pid, plus name in kport field */

    /* timers: a binary min-heap on (at_ns, seq) */
    cm_timer *heap;
    uint32_t heap_count;
    uint32_t heap_capacity;

    /* scheduler */
    uint32_t *candidates;     /* global thread indices, in wake order */
    uint32_t candidate_count;
    cm_timer *due;            /* world events due now */
    uint32_t due_count;
    uint32_t due_capacity;
    cm_choice_option *options;
    uint32_t options_capacity;
    uint32_t *option_ref;     /* what each option stands for */
    uint32_t refs_capacity;
};

/* ---- cm_world.c: memory, trace, timers, scheduling ---------------------- */

void *cm_mem_realloc(cm_world *w, void *ptr, size_t old_size, size_t new_size);
void cm_pool_init(cm_pool *pool, uint32_t item_size);
static inline int32_t cm_pool_alloc(cm_world *w, cm_pool *pool); /* -1 on failure */
bool cm_pool_grow(cm_world *w, cm_pool *pool); /* cm_pool_alloc's slow path */
void cm_pool_free(cm_pool *pool, int32_t index);
void cm_pool_clear(cm_pool *pool);
void cm_pool_fini(cm_world *w, cm_pool *pool);
static inline void *cm_pool_at(const cm_pool *pool, int32_t index)
{
    assert(index >= 0 && (uint32_t)index < pool->count);
    return (char *)pool->items + (size_t)index * pool->item_size;
}

/*
 * Items are never moved between runs' logical ids: a freed item goes to a
 * free list whose first word is the link, and is handed out again first.
 * The allocation order is deterministic, so ids are too. Items come zeroed.
 */
static inline int32_t cm_pool_alloc(cm_world *w, cm_pool *pool)
{
    assert(w != NULL && pool != NULL && pool->count <= pool->capacity);
    assert(pool->free_head < 0 || (uint32_t)pool->free_head < pool->count);
    int32_t index;
    if (pool->free_head >= 0) {
        index = pool->free_head;
        memcpy(&pool->free_head, cm_pool_at(pool, index), sizeof(int32_t));
    } else {
        if (pool->count == pool->capacity && !cm_pool_grow(w, pool)) return -1;
        index = (int32_t)pool->count++;
    }
    memset(cm_pool_at(pool, index), 0, pool->item_size);
    return index;
}

static inline bool cm_kport_head_visible(const cm_world *w, int32_t kport);

/*
 * Typed, checked access to a pool's items: the item size is the type's,
 * known when compiling (cm_pool_at multiplies by the pool's).
 */
/* index names an item of the pool (allocated at some point: free items included). */
static inline bool cm_pool_has(const cm_pool *pool, int32_t index)
{
    return index >= 0 && (uint32_t)index < pool->count;
}

#define CM_POOL_ITEM_AT(fn, type)                                     \
    static inline type *fn(const cm_pool *pool, int32_t index)        \
    {                                                                 \
        assert(cm_pool_has(pool, index));                             \
        return (type *)pool->items + index;                           \
    }
CM_POOL_ITEM_AT(cm_port_at_, cm_port)
CM_POOL_ITEM_AT(cm_kport_at_, cm_kport)
CM_POOL_ITEM_AT(cm_msg_at_, cm_msg)
CM_POOL_ITEM_AT(cm_wrapper_at_, cm_wrapper)
CM_POOL_ITEM_AT(cm_source_at_, cm_source)
CM_POOL_ITEM_AT(cm_reg_at_, cm_reg)
CM_POOL_ITEM_AT(cm_rltimer_at_, cm_rltimer)
CM_POOL_ITEM_AT(cm_block_at_, cm_block)
CM_POOL_ITEM_AT(cm_reply_at_, cm_reply_entry)
CM_POOL_ITEM_AT(cm_waiter_at_, cm_waiter)
#undef CM_POOL_ITEM_AT

#define CM_PORT(w, i) cm_port_at_(&(w)->ports, (i))
#define CM_KPORT(w, i) cm_kport_at_(&(w)->kports, (i))
#define CM_MSG(w, i) cm_msg_at_(&(w)->msgs, (i))
#define CM_WRAPPER(w, i) cm_wrapper_at_(&(w)->wrappers, (i))
#define CM_SOURCE(w, i) cm_source_at_(&(w)->sources, (i))
#define CM_REG(w, i) cm_reg_at_(&(w)->regs, (i))
#define CM_RLTIMER(w, i) cm_rltimer_at_(&(w)->rltimers, (i))
#define CM_BLOCK(w, i) cm_block_at_(&(w)->blocks, (i))
#define CM_REPLY(w, i) cm_reply_at_(&(w)->replies, (i))
#define CM_WAITER(w, i) cm_waiter_at_(&(w)->waiters, (i))

/*
 * Predicates for assertions: an index names an item of its pool (or a
 * process of the configuration), a thread pointer points into the world's
 * threads, a frame is one of a thread's live frames. O(1), so the hot paths
 * (cm_world_step, the emitters, send and receive) may assert them freely.
 */
static inline bool cm_port_in(const cm_world *w, int32_t port)
{
    return cm_pool_has(&w->ports, port);
}
static inline bool cm_kport_in(const cm_world *w, int32_t kport)
{
    return cm_pool_has(&w->kports, kport);
}
static inline bool cm_msg_in(const cm_world *w, int32_t msg)
{
    return cm_pool_has(&w->msgs, msg);
}
static inline bool cm_wrapper_in(const cm_world *w, int32_t wrapper)
{
    return cm_pool_has(&w->wrappers, wrapper);
}
static inline bool cm_source_in(const cm_world *w, int32_t source)
{
    return cm_pool_has(&w->sources, source);
}
static inline bool cm_block_in(const cm_world *w, int32_t block)
{
    return cm_pool_has(&w->blocks, block);
}
static inline bool cm_process_in(const cm_world *w, uint16_t process)
{
    return process < w->cfg.process_count;
}
static inline bool cm_thread_in(const cm_world *w, const cm_thread *t)
{
    return t != NULL && t >= w->threads && t < w->threads + w->thread_total;
}
static inline bool cm_frame_of(const cm_thread *t, const cm_frame *f)
{
    return f != NULL && f >= t->frames && f < t->frames + t->depth;
}

/* True when the first queued message of kport may be received now. */
static inline bool cm_kport_head_visible(const cm_world *w, int32_t kport)
{
    const cm_kport *k = CM_KPORT(w, kport);
    assert((k->q_head < 0) == (k->q_count == 0)); /* the queue's list and count agree */
    if (k->q_head < 0) return false;
    const cm_msg *m = CM_MSG(w, k->q_head);
    assert(m->visible_ns >= 0);
    return m->visible_ns <= w->now_ns;
}

/*
 * Events. The emitters pack an event's fields into the 64-bit words of
 * the trace hash's canonical encoding (cm_world.c) and hand them to
 * cm_emit_words, which counts, hashes, keeps and reports the event:
 *   w1 seq | kind << 32 | process << 48  (seq added by cm_emit_words)
 *   w2 thread | program << 16 | op_index << 32
 *   w3 (uint32_t)port | (uint32_t)slots.a << 32
 *   w4 (uint32_t)slots.b | (uint32_t)msg << 32
 *   w5 slots.c
 * Emitters take the values by name, CM_EVENT_VALUES(shape, .field = ...)
 * with the shape of the kind's row in cm_event_kinds.h (the union is
 * unpacked in registers: no memory is involved once inlined).
 */
static inline uint64_t cm_ev_word1(uint32_t seq, uint16_t kind, uint16_t process)
{
    return (uint64_t)seq | (uint64_t)kind << 32 | (uint64_t)process << 48;
}
static inline uint64_t cm_ev_word2(uint16_t thread, uint16_t program, uint32_t op_index)
{
    return (uint64_t)thread | (uint64_t)program << 16 | (uint64_t)op_index << 32;
}
static inline uint64_t cm_ev_word_pair(int32_t lo, int32_t hi)
{
    return (uint64_t)(uint32_t)lo | (uint64_t)(uint32_t)hi << 32;
}
void cm_emit_words(cm_world *w, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5);

/* No values: an event of a kind of shape `none`. */
#define CM_EVENT_NO_VALUES CM_EVENT_VALUES(none, 0)

/* Records an event of an operation (process/thread from t, may be NULL). */
static inline void cm_emit_op(cm_world *w, uint16_t kind, const cm_thread *t, uint16_t program,
                              uint32_t op_index, int32_t port, cm_event_values v)
{
    cm_emit_words(w, cm_ev_word1(0, kind, t ? t->process : CM_NONE16),
                  cm_ev_word2(t ? t->index : CM_NONE16, program, op_index),
                  cm_ev_word_pair(port, v.slots.a), cm_ev_word_pair(v.slots.b, -1),
                  (uint64_t)v.slots.c);
}
/* Records an event (process/thread from t, may be NULL). */
static inline void cm_emit(cm_world *w, uint16_t kind, const cm_thread *t, int32_t port,
                           cm_event_values v)
{
    cm_emit_op(w, kind, t, CM_NONE16, CM_NONE32, port, v);
}
static inline void cm_emit_process(cm_world *w, uint16_t kind, uint16_t process, int32_t port,
                                   cm_event_values v)
{
    cm_emit_words(w, cm_ev_word1(0, kind, process), cm_ev_word2(CM_NONE16, CM_NONE16, CM_NONE32),
                  cm_ev_word_pair(port, v.slots.a), cm_ev_word_pair(v.slots.b, -1),
                  (uint64_t)v.slots.c);
}
/* A message event: as cm_emit (t may be NULL: then process), with the serial. */
static inline void cm_emit_msg(cm_world *w, uint16_t kind, const cm_thread *t, uint16_t process,
                               int32_t port, cm_event_values v, int32_t serial)
{
    cm_emit_words(w, cm_ev_word1(0, kind, t ? t->process : process),
                  cm_ev_word2(t ? t->index : CM_NONE16, CM_NONE16, CM_NONE32),
                  cm_ev_word_pair(port, v.slots.a), cm_ev_word_pair(v.slots.b, serial),
                  (uint64_t)v.slots.c);
}
void cm_timer_add(cm_world *w, cm_time_ns at_ns, uint8_t kind, int32_t a, int32_t b);
static inline void cm_wake(cm_world *w, uint32_t thread); /* below: marks it a candidate */
void cm_wake_at(cm_world *w, uint32_t thread, cm_time_ns at_ns);
uint32_t cm_choose(cm_world *w, uint8_t kind, uint32_t count);
cm_choice_option *cm_options(cm_world *w, uint32_t count);
void cm_fail_nomem(cm_world *w);

static inline cm_thread *cm_thread_at(cm_world *w, uint32_t global)
{
    assert(global < w->thread_total);
    return &w->threads[global];
}
/* The thread may be able to run: it is a candidate again and its runnability is rechecked. */
static inline void cm_wake(cm_world *w, uint32_t thread)
{
    assert(w != NULL && thread < w->thread_total);
    cm_thread *t = cm_thread_at(w, thread);
    t->dirty = 1;
    if (!t->alive || t->candidate) return;
    t->candidate = 1;
    w->candidates[w->candidate_count++] = thread;
    assert(w->candidate_count <= w->thread_total);
}
static inline uint32_t cm_thread_global(const cm_world *w, const cm_thread *t)
{
    return (uint32_t)(t - w->threads);
}
static inline cm_process *cm_process_at(cm_world *w, uint16_t p)
{
    assert(p < w->cfg.process_count);
    return &w->processes[p];
}
static inline cm_queue *cm_queue_at(cm_world *w, uint16_t p, uint16_t q)
{
    cm_process *proc = cm_process_at(w, p);
    assert(q < proc->queue_count);
    return &w->queues[proc->queue_base + q];
}
static inline cm_frame *cm_top(cm_thread *t)
{
    assert(t->depth > 0);
    return &t->frames[t->depth - 1];
}

/* ---- cm_api.c: the operations ----------------------------------------- */

typedef enum cm_opr {
    CM_OPR_DONE = 1,   /* finished now: *ret holds the result */
    CM_OPR_PUSHED = 2, /* an operation frame was pushed; it reports later */
    CM_OPR_DEAD = 3,   /* the process died in the operation */
} cm_opr;

/* An operation's results, as its RETURN event carries them (cm_event_kinds.h, shape ret). */
typedef struct cm_ret {
    int32_t port;
    int32_t result;
    int32_t aux;
} cm_ret;

/* Executes one operation of the program frame f on thread t. */
cm_opr cm_exec_op(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret);
/* A CF precondition violation (R13, R38, a NULL port): the process dies. */
cm_opr cm_precondition(cm_world *w, cm_thread *t);
/*
 * The latency of a message from process `from` to kport `to`: the
 * profile's, or a choice (CM_CHOICE_LATENCY) among landing 1 ns before,
 * at or 1 ns after a pending deadline of a thread of either process.
 */
cm_duration_ns cm_message_latency(cm_world *w, uint16_t from, int32_t to);
cm_time_ns cm_time_add(cm_time_ns t, cm_duration_ns d);

/* ---- cm_kernel.c ------------------------------------------------------- */

int32_t cm_kport_create(cm_world *w, uint16_t owner, bool is_reply);
/* Queues a message; returns false when the queue is full (requests only). */
bool cm_kport_has_space(const cm_world *w, int32_t kport);
void cm_kport_enqueue(cm_world *w, int32_t kport, int32_t msg);
int32_t cm_kport_dequeue(cm_world *w, int32_t kport);
/* Destroys the receive right: queued messages die, senders see dead names. */
void cm_kport_destroy(cm_world *w, int32_t kport);
/* Destroys a message: its reply right turns into a send-once notification. */
void cm_msg_destroy(cm_world *w, int32_t msg);
int32_t cm_msg_new(cm_world *w, uint8_t kind);
void cm_msg_free(cm_world *w, int32_t msg);
void cm_send_once_notify(cm_world *w, int32_t reply_kport, int32_t serial);
void cm_waiter_add(cm_world *w, int32_t kport, uint32_t thread);
void cm_waiter_remove(cm_world *w, int32_t kport, uint32_t thread);
void cm_waiters_wake(cm_world *w, int32_t kport);
void cm_rights_gone(cm_world *w, int32_t kport);
void cm_name_free(cm_world *w, int32_t entry);

/* ---- cm_name.c --------------------------------------------------------- */

/* Interns the sanitized names of all blobs; allocates the name tables. */
cm_result cm_names_init(cm_world *w);
/* Empties the tables and the registry; registers launchd's services. */
void cm_names_reset(cm_world *w);
void cm_names_fini(cm_world *w);
/* Sanitized name id of a blob (R10–R12), CM_NONE32 for an embedded NUL. */
uint32_t cm_name_of_blob(const cm_world *w, uint32_t blob);
int32_t *cm_local_table(cm_world *w, uint16_t process, uint32_t name);
int32_t *cm_remote_table(cm_world *w, uint16_t process, uint32_t name);
/* bootstrap */
bool cm_bootstrap_register(cm_world *w, uint16_t process, uint32_t name, int32_t kport);
int32_t cm_bootstrap_look_up(cm_world *w, uint16_t process, uint32_t name);
int32_t cm_bootstrap_check_in(cm_world *w, uint16_t process, uint32_t name);
bool cm_bootstrap_register_per_pid(cm_world *w, uint16_t process, uint32_t name,
                                   int32_t kport);
int32_t cm_bootstrap_look_up_per_pid(cm_world *w, uint32_t name, uint32_t pid);
void cm_bootstrap_port_died(cm_world *w, int32_t kport);
void cm_signal_raise(cm_world *w, uint16_t signal);
bool cm_sandbox_allows(const cm_world *w, uint16_t process, uint32_t name);

/* ---- cm_port.c --------------------------------------------------------- */

void cm_port_set_state(cm_world *w, int32_t port, uint8_t to);
bool cm_port_validate(const cm_world *w, int32_t port);
int32_t cm_port_new(cm_world *w, const cm_thread *t, bool remote);
void cm_port_retain(cm_world *w, int32_t port);
void cm_port_release(cm_world *w, cm_thread *t, int32_t port);
bool cm_port_is_valid(cm_world *w, cm_thread *t, int32_t port); /* R7 */
void cm_port_invalidate(cm_world *w, cm_thread *t, int32_t port); /* R52 */
bool cm_wrapper_is_valid(const cm_world *w, int32_t wrapper);
int32_t cm_wrapper_get(cm_world *w, uint16_t process, int32_t kport, bool receive);
void cm_process_notice_death(cm_world *w, uint16_t process, int32_t wrapper);
void cm_run_callback(cm_world *w, cm_thread *t, uint16_t program, int32_t self_port);

/* ---- cm_runloop.c ------------------------------------------------------ */

int32_t cm_source_for_port(cm_world *w, cm_thread *t, int32_t port);
void cm_source_invalidate(cm_world *w, int32_t source);
bool cm_rl_add_source(cm_world *w, cm_thread *rl, int32_t source, uint16_t mode);
bool cm_rl_remove_source(cm_world *w, cm_thread *rl, int32_t source, uint16_t mode);
bool cm_rl_contains_source(cm_world *w, const cm_thread *rl, int32_t source, uint16_t mode);
bool cm_rl_mode_empty(cm_world *w, const cm_thread *rl, uint16_t mode);
bool cm_rl_frame_runnable(cm_world *w, cm_thread *t, const cm_frame *f);
void cm_rl_step(cm_world *w, cm_thread *t, cm_frame *f);
void cm_rl_wake_watchers(cm_world *w, int32_t kport);
void cm_rl_add_timer(cm_world *w, cm_thread *t, const cm_op *op);
bool cm_mode_matches(const cm_thread *rl, uint32_t reg_modes, uint16_t mode);

/* ---- cm_dispatch.c ----------------------------------------------------- */

void cm_queue_push(cm_world *w, uint16_t process, uint16_t queue, uint8_t kind,
                   int32_t port, int32_t msg, uint16_t program);
bool cm_executor_runnable(cm_world *w, cm_thread *t);
void cm_executor_step(cm_world *w, cm_thread *t);
bool cm_main_queue_ready(cm_world *w, const cm_thread *t, uint16_t mode);
void cm_main_queue_service(cm_world *w, cm_thread *t);
void cm_dispatch_deliver(cm_world *w, int32_t kport);
void cm_block_run(cm_world *w, cm_thread *t, uint16_t queue, int32_t block);

/* ---- cm_send.c --------------------------------------------------------- */

/* Starts a SendRequest: CM_OPR_DONE with *status when it finished at once. */
cm_opr cm_send_start(cm_world *w, cm_thread *t, const cm_frame *caller, const cm_op *op,
                     int32_t remote, int32_t *status);
bool cm_send_frame_runnable(cm_world *w, cm_thread *t, const cm_frame *f);
void cm_send_step(cm_world *w, cm_thread *t, cm_frame *f);
void cm_reply_port_receive(cm_world *w, cm_thread *t, int32_t remote, int32_t msg);

/* ---- cm_thread.c ------------------------------------------------------- */

cm_frame *cm_push(cm_world *w, cm_thread *t, uint8_t kind);
/* A frame that waits for something until deadline_ns (CM_DURATION_FOREVER: no deadline),
 * returning to the caller's program and pc; the thread wakes at the deadline. NULL: died. */
cm_frame *cm_push_until(cm_world *w, cm_thread *t, uint8_t kind, const cm_frame *caller,
                        cm_time_ns deadline_ns);
void cm_frame_return(cm_world *w, cm_thread *t, int32_t result, int32_t aux, int64_t elapsed_ns);
void cm_thread_step(cm_world *w, cm_thread *t);
/*
 * A port's perform function (R40, R44, R45): pushes a callout frame and
 * returns true, or drops the request (invalid port, malformed) and
 * returns false.
 */
bool cm_perform(cm_world *w, cm_thread *t, int32_t port, int32_t msg, uint16_t queue);
void cm_process_start(cm_world *w, uint16_t process);
void cm_process_kill(cm_world *w, uint16_t process, uint8_t reason, bool crash);
const cm_op *cm_frame_op(const cm_world *w, const cm_frame *f);

/* Whether the thread can make progress now (inline: the scheduler asks ~once per step). */
static inline bool cm_thread_runnable(cm_world *w, cm_thread *t)
{
    assert(t->depth <= CM_STACK_MAX);
    if (!t->alive) return false;
    if (t->depth == 0) return t->executor && cm_executor_runnable(w, t);
    cm_frame *f = cm_top(t);
    switch (f->kind) {
    case CM_FR_PROGRAM:
    case CM_FR_CALLOUT:
    case CM_FR_TIMER:
    case CM_FR_BLOCK:
        return true;
    case CM_FR_SLEEP:
        return w->now_ns >= f->deadline_ns;
    case CM_FR_WAIT:
        return w->signals[f->convid] >= (uint64_t)f->value || w->now_ns >= f->deadline_ns;
    case CM_FR_SEND:
        return cm_send_frame_runnable(w, t, f);
    case CM_FR_RUNLOOP:
        return cm_rl_frame_runnable(w, t, f);
    default:
        assert(0 && "unknown frame");
        return false;
    }
}

#endif /* CM_INTERNAL_H */
