/*
 * cm_world.h — the world: everything one simulated run holds.
 *
 * A world is made from a cm_world_config (plain data the caller owns and
 * keeps alive for the world's lifetime: blobs, programs, processes). It
 * holds the processes with their threads, run loops and dispatch queues,
 * the CFMessagePort objects, the per-process name caches (R14, R23), the
 * machine-wide bootstrap registry (R15, R62), the kernel ports with their
 * message queues (R29), pending timers, the virtual clock and the trace.
 *
 * Usage:
 *     cm_world *w;
 *     if (cm_world_create(&config, &w) != CM_OK) ...;
 *     cm_world_run(w);             // or cm_world_step() in a loop
 *     hash = cm_world_trace_hash(w);
 *     cm_world_reset(w, strategy, ctx);  // run again, no reallocation
 *     cm_world_destroy(w);
 *
 * Thread safety: none; a world is used by one thread at a time. Different
 * worlds share nothing and may run on different threads.
 */
#ifndef CM_WORLD_H
#define CM_WORLD_H

#include "cm_profile.h"
#include "cm_program.h"
#include "cm_strategy.h"
#include "cm_trace.h"
#include "cm_types.h"

typedef struct cm_world cm_world;

/* Return codes of the world API (not CF status codes). */
typedef enum cm_result {
    CM_OK = 0,
    CM_ERR_CONFIG = 1, /* the configuration is invalid (see cm_config_error) */
    CM_ERR_NOMEM = 2,  /* the allocator failed */
} cm_result;

typedef enum cm_queue_kind {
    CM_QUEUE_SERIAL = 1,
    CM_QUEUE_CONCURRENT = 2,
} cm_queue_kind;

typedef struct cm_thread_config {
    uint32_t name;    /* blob */
    uint16_t program; /* program the thread runs; thread 0 is the main thread */
    cm_duration_ns start_delay_ns; /* 0; > 0: the thread begins this late (timing jitter, lint) */
} cm_thread_config;

/* Queue index 0 is the process's main queue; configured queues are 1..n. */
typedef struct cm_queue_config {
    uint32_t name;  /* blob */
    uint8_t kind;   /* cm_queue_kind */
    uint8_t width;  /* concurrent queues: how many blocks run at once */
} cm_queue_config;

typedef struct cm_process_config {
    uint32_t name; /* blob */
    uint16_t thread_count;
    const cm_thread_config *threads;
    uint16_t queue_count;
    const cm_queue_config *queues;
    uint16_t slot_count; /* port variables */
    cm_time_ns start_ns;
    uint32_t sandbox_group; /* R21: blob of the app group, CM_NONE32 */
    bool has_end_signal;    /* wait_for: {ended: P}: a signal raised each time it ends */
    uint16_t end_signal;    /* that signal (< signal_count) when has_end_signal */
} cm_process_config;

typedef enum cm_fault_kind {
    CM_FAULT_CRASH = 1,   /* SIGKILL the process */
    CM_FAULT_RESTART = 2, /* start a new incarnation (crashing a live one first) */
} cm_fault_kind;

typedef struct cm_fault {
    cm_time_ns at_ns;   /* a timed fault; unused when on_signal */
    uint8_t kind;
    uint16_t process;
    bool on_signal;     /* comes after_ns after the signal's first raise */
    uint16_t signal;
    cm_duration_ns after_ns;
} cm_fault;

typedef struct cm_world_config {
    cm_alloc alloc;
    const cm_strategy *strategy;
    void *strategy_ctx;
    cm_profile profile;
    const cm_blob *blobs;
    uint32_t blob_count;
    const uint32_t *mode_names; /* blobs of modes 2.. (0: default, 1: common) */
    uint16_t mode_count;        /* entries in mode_names */
    const cm_program *programs;
    uint16_t program_count;
    const cm_process_config *processes;
    uint16_t process_count;
    const cm_fault *faults;
    uint16_t fault_count;
    uint16_t signal_count;         /* signals 0 .. signal_count-1 (<= CM_SIGNAL_MAX) */
    const uint32_t *mach_services; /* R15: names launchd pre-declares (blobs) */
    uint16_t mach_service_count;
    cm_time_ns time_limit_ns;      /* 0: no limit */
    uint32_t trace_capacity;       /* events kept in memory; 0: hash only */
    uint64_t max_events;           /* the run ends (CM_END_BUDGET) after this many; 0: none */
    bool explore_latency;          /* CM_CHOICE_LATENCY choice points */
    /* explore_latency: latencies of latency_below_ns or more are not offered (option 0, the
     * profile's, always is), so explored delays stay plausible; 0: no bound. (A bound of
     * D ns inclusive is D + 1 here, so that 0 can mean none in a zeroed config.) */
    cm_duration_ns latency_below_ns;
    bool track_history;            /* fold what was observed into cm_world_state_hash */
    bool track_symmetry;           /* keep what cm_world_options_symmetric needs (below) */
    /* Called for every event, the world included (also during cm_world_create). */
    void (*on_event)(void *ctx, const struct cm_world *w, const cm_event *ev);
    void *on_event_ctx;
} cm_world_config;

/* Where a configuration is wrong. */
typedef struct cm_config_error {
    uint16_t program; /* CM_NONE16 when not about an operation */
    uint32_t op_index;
    uint16_t process;
    const char *message; /* static text */
} cm_config_error;

/* Checks indices, kinds and placement rules; fills *err on failure. */
bool cm_world_config_validate(const cm_world_config *cfg, cm_config_error *err);

cm_result cm_world_create(const cm_world_config *cfg, cm_world **out);
void cm_world_destroy(cm_world *w);
/* Starts over from time 0 with another strategy; keeps the memory. */
cm_result cm_world_reset(cm_world *w, const cm_strategy *strategy, void *strategy_ctx);

/*
 * Kinds of events not passed to on_event from now on, a bit (1 << kind)
 * each (0, the default: every event is). They are still counted, hashed
 * and kept. For observers that ignore some kinds anyway.
 */
void cm_world_set_event_skip(cm_world *w, uint64_t kinds);

/* One scheduling step. Returns true while the run goes on. */
bool cm_world_step(cm_world *w);
/* Runs to the end; returns why it ended. */
cm_end_reason cm_world_run(cm_world *w);

cm_time_ns cm_world_now_ns(const cm_world *w);
cm_end_reason cm_world_end_reason(const cm_world *w);
uint64_t cm_world_trace_hash(const cm_world *w);
uint64_t cm_world_event_count(const cm_world *w);
uint64_t cm_world_choice_count(const cm_world *w);
/* The kept events (at most trace_capacity; the hash covers all of them). */
const cm_event *cm_world_events(const cm_world *w, uint32_t *count);
/* A hash of the world's state (for pruning states already explored); with
 * track_history it also covers what was observed so far, as a multiset. */
uint64_t cm_world_state_hash(const cm_world *w);
const cm_world_config *cm_world_config_of(const cm_world *w);

/*
 * Partial-order reduction support (sim_explore.c's sleep sets).
 *
 * cm_world_step_count: scheduling steps taken this run (a thread step or a
 * world event), counted after each one, so a strategy can tell whether
 * steps it was not asked about (a single option) happened between two
 * choice points.
 *
 * cm_world_option_footprint: called from a strategy's choose() during a
 * CM_CHOICE_NEXT choice, what option `option` would touch. `key` names the
 * option's actor while it waits (a thread, or a due world event by its
 * timer), unique among the options. `local` is true only for steps that
 * write nothing but their own process's state, fresh objects taken from the
 * pools (port, wrapper and pid numbers, which the checker treats as opaque
 * identities) and the order-free trace digest, and that read, besides their
 * own process, only shared state (the bootstrap registry, kernel ports'
 * liveness) that no local step writes: a process's first start, a
 * CreateRemote that finds no cached remote, the end of a sleep or a delayed
 * start. Every other step is not local: it may touch anything. Two local
 * steps of different processes therefore commute and neither enables nor
 * disables the other; anything else is taken as dependent. The list is
 * short on purpose: a step put here wrongly makes reduction miss schedules.
 */
typedef struct cm_option_footprint {
    uint64_t key;
    uint16_t process; /* local: the process it changes; else CM_NONE16 */
    bool local;
} cm_option_footprint;

uint64_t cm_world_step_count(const cm_world *w);
cm_option_footprint cm_world_option_footprint(const cm_world *w, uint32_t option);

/*
 * Symmetry reduction support (sim_explore.c).
 *
 * cm_world_config_symmetry: the configuration's classes of interchangeable
 * processes (cm_symmetry.c says when two are): cls[p] is the first process
 * of p's class, or CM_NONE16 when p is in none. Pure; cls has
 * process_count entries.
 *
 * cm_world_options_symmetric: called from a strategy's choose() during a
 * CM_CHOICE_NEXT choice of a world made with track_symmetry, true when
 * options a and b are the same step (a first start, or the thread of the
 * same index) of two processes p != q of one class, *and* the current
 * state is invariant under swapping p and q. The second half is kept per
 * run from what p and q did, not by comparing states: every step of either
 * so far was a local one (cm_option_footprint), p's j-th and q's j-th step
 * were by the same thread (or both a first start), at the same virtual time
 * and with no non-local step of anyone between them. Then the run so far,
 * with p and q swapped, is the same run up to reordering adjacent local
 * steps of different processes (which commute, see above), so it reaches
 * the same state: swapping p and q maps the state onto itself, and the
 * subtree below option b is the image of the subtree below option a. A
 * non-local step of p or q, or any step concerning them that is not theirs
 * (a timer naming them), ends it for the run: false from then on.
 */
void cm_world_config_symmetry(const cm_world_config *cfg, uint16_t *cls);
bool cm_world_options_symmetric(const cm_world *w, uint32_t a, uint32_t b);

/*
 * The world's invariants, between steps (cm_validate.c): pools and free lists,
 * message and dispatch queues, waiter/reply/registration/timer lists, thread
 * frames, the scheduler's candidates, the timer heap, every port
 * (cm_port_validate), and every live message, block, waiter, reply entry and
 * registration held by exactly one list. True when all hold; otherwise false,
 * with *broken (when not NULL) naming the first broken one (static text).
 * Read-only, allocation-free, linear in the world's size: tests call it after
 * every step, the simulator on a sample of steps in builds with assertions.
 */
bool cm_world_validate(const cm_world *w, const char **broken);

/*
 * Canonical text of one event, without a newline, NUL-terminated.
 * Returns the length it needed (as snprintf: may exceed cap - 1).
 */
size_t cm_event_format(const cm_world *w, const cm_event *ev, char *buf, size_t cap);
/* The name of a mode, process or thread, from the configuration. */
cm_blob cm_world_mode_name(const cm_world *w, uint16_t mode);

/*
 * The bytes of a sanitized name id, as GET_NAME's RETURN (a), NAME_*
 * events (a) and cm_port_info carry them; {NULL, 0} for an unknown id.
 * The bytes belong to the configuration's blobs.
 */
cm_blob cm_world_name(const cm_world *w, int32_t name_id);
/* The data (a cm_data_encode code) of the message with this serial, as an observer asks at its
 * CALLOUT event (the request being performed, R39's NULL already made empty); the code of
 * CM_DATA_NULL when no message has it. O(messages): for observers that need it only. */
int32_t cm_world_message_data(const cm_world *w, int32_t serial);

/* Per-port counters for tests and reports (R60). */
typedef struct cm_port_info {
    bool exists;
    bool remote;
    bool valid;
    bool deallocated;
    uint16_t process;
    int32_t refcount;
    uint32_t name_id;   /* sanitized name (see cm_world_name), CM_NONE32 */
    uint32_t retain_calls;
    uint32_t release_calls;
    uint32_t copydesc_calls;
    uint32_t invalidation_callbacks;
    int32_t conv_counter;
} cm_port_info;
cm_port_info cm_world_port_info(const cm_world *w, int32_t port);
uint32_t cm_world_port_count(const cm_world *w);

#endif /* CM_WORLD_H */
