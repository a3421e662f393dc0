/*
 * agent.h — the C conformance agent (docs/agent-protocol.md): one process
 * of a scenario, driven over stdin/stdout by `portsim conform`, written
 * only against the CFMessagePort / CFRunLoop / CFData / CFString /
 * dispatch API. The same sources build the `posix` backend (libcfmp) and
 * the `apple` backend (CoreFoundation on macOS); what differs lives in
 * agent_backend_*.c, and OS services in agent_platform_*.c.
 *
 * Threads: the process's real main thread is the scenario's main thread
 * (so CFRunLoopGetMain and the main dispatch queue are the scenario's); a
 * reader thread parses stdin; every other scenario thread is a real
 * thread. Callouts, invalidation callbacks and dispatch blocks run where
 * CF runs them and report from there.
 *
 * Locking: agent_state.lock guards the command queues, variables, object
 * ids, contexts and blobs, and is never held while calling CF. Output has
 * its own lock (agent_out.c). No lock is held across a CF call, so CF's
 * callbacks may re-enter freely.
 */
#ifndef AGENT_H
#define AGENT_H

#include "agent_backend.h"
#include "agent_platform.h"
#include "conf_proto.h"

#include <stdint.h>

#define AGENT_MAX_THREADS 64u
#define AGENT_MAX_QUEUES 16u
#define AGENT_MAX_MODES 32u
#define AGENT_MAX_PROGRAMS 4096u
#define AGENT_MAX_VARS 4096u
#define AGENT_MAX_CALLBACKS 64u
#define AGENT_MAX_OBJECTS 65536u
#define AGENT_MAX_BLOBS 4096u
#define AGENT_MAX_NEST 48u /* callouts and callbacks nested on one thread */
#define AGENT_MAX_SIGNALS 64u /* as the model's CM_SIGNAL_MAX */
#define AGENT_NONE UINT32_MAX

typedef struct agent_cmd {
    conf_step step;
    int64_t id;
    struct agent_cmd *next;
} agent_cmd;

typedef struct agent_thread {
    char name[CONF_NAME_MAX + 1];
    uint32_t index;
    agent_cmd *head;
    agent_cmd *tail;
    bool closed;
    CFRunLoopRef run_loop; /* published when the thread starts */
} agent_thread;

typedef struct agent_queue {
    char name[CONF_NAME_MAX + 1];
    char label[CONF_NAME_MAX + 8]; /* "queue:NAME", how events name its worker */
    bool concurrent;
    unsigned width;
    dispatch_queue_t queue;
} agent_queue;

typedef struct agent_mode {
    char name[CONF_NAME_MAX + 1];
    CFStringRef string;
} agent_mode;

typedef enum agent_program_kind {
    AGENT_PROG_HANDLER = 1,
    AGENT_PROG_CALLBACK = 2,
    AGENT_PROG_TIMER = 3,
    AGENT_PROG_BLOCK = 4,
} agent_program_kind;

typedef struct agent_program {
    char name[CONF_NAME_MAX + 1];
    uint8_t kind;
    conf_step *steps;
    uint32_t count;
    uint32_t callback_slot; /* invalidation callbacks: their trampoline, else AGENT_NONE */
} agent_program;

/* The record of one create_local: CF's context.info points here, or is NULL when the
 * scenario's info is 0 (R9, R60: CF treats a NULL info differently); the port's object
 * keeps it too (agent_object_ctx), so a callout finds its handler either way. Lives until
 * exit. */
typedef struct agent_ctx {
    int64_t value;     /* the scenario's info integer */
    int64_t port_id;   /* -1 until the create returned a new port */
    uint32_t handler;  /* program, AGENT_NONE */
    uint32_t pending_retains; /* retains seen inside CreateLocal, before the port was known */
    int64_t pending_t_ns;
    struct agent_ctx *next;
} agent_ctx;

typedef struct agent_var {
    char name[CONF_NAME_MAX + 1];
    CFMessagePortRef port;      /* not owned: the scenario's reference */
    CFRunLoopSourceRef source;  /* create_source's result */
} agent_var;

typedef struct agent_object {
    const void *pointer;
    int64_t id;
    const char *queue_label; /* set_dispatch_queue: where its callouts run */
    agent_ctx *ctx;          /* a local port: its create_local's record, else NULL */
} agent_object;

typedef struct agent_blob {
    uint8_t *bytes;
    size_t len;
} agent_blob;

/* A scenario signal: raised here (local) and elsewhere (remote, as the runner relays it). */
typedef struct agent_signal {
    char name[CONF_SIGNAL_NAME_MAX + 1];
    uint32_t local;
    uint32_t remote;
} agent_signal;

typedef struct agent_state {
    agent_mutex *lock;
    base_arena arena; /* steps and names, for the process's life */
    char process[CONF_NAME_MAX + 1];
    bool declared;
    bool started;
    int64_t epoch_ns;
    int64_t start_at_ns;
    uint32_t thread_count;
    agent_thread threads[AGENT_MAX_THREADS];
    uint32_t queue_count;
    agent_queue queues[AGENT_MAX_QUEUES];
    uint32_t mode_count;
    agent_mode modes[AGENT_MAX_MODES];
    uint32_t program_count;
    agent_program programs[AGENT_MAX_PROGRAMS];
    uint32_t callback_count;
    uint32_t callback_programs[AGENT_MAX_CALLBACKS];
    uint32_t var_count;
    agent_var vars[AGENT_MAX_VARS];
    uint32_t object_count;
    agent_object *objects;
    int64_t next_object_id;
    agent_ctx *contexts;
    uint32_t blob_count;
    uint64_t blob_bytes; /* all blobs together: at most CM_LIMIT_SCENARIO_BYTES */
    agent_blob blobs[AGENT_MAX_BLOBS];
    int64_t next_exec;
    int64_t next_callout; /* callout ids: pair a callout with its callout_done */
    uint32_t signal_count;
    agent_signal signals[AGENT_MAX_SIGNALS];
} agent_state;

extern agent_state agent_g;

/* ---- agent_out.c: lines to the runner ------------------------------------------ */

void agent_out_init(void);
int64_t agent_t_ns(void); /* now, relative to the runner's epoch */
void agent_out_hello(void);
void agent_out_error(const char *message, bool fatal);
void agent_out_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void agent_out_call(int64_t exec, uint32_t ref, int64_t cmd_id, const char *thread, int64_t t_ns);

/* The result of one step, for its return line. */
typedef struct agent_result {
    uint8_t kind;        /* conf_result_kind of what was filled, CONF_RESULT_NONE */
    int64_t value;       /* status, bool, run result, int */
    bool has_port;
    int64_t port;        /* -1: NULL */
    bool has_should_free_info;
    bool should_free_info;
    bool has_data;       /* reply (send, reply) or name (get_name) */
    conf_data data;
    bool info_undefined;
    const char *callback; /* get_invalidation_callback: NULL = null */
    bool unobservable;
    const char *unsupported; /* static reason */
    CFTypeRef owned;         /* released after the return line (send's reply) */
} agent_result;

void agent_out_return(int64_t exec, int64_t t_ns, int64_t elapsed_ns, const agent_result *r);

/* Events: kind is a trace event name ("callout", "invalidation_callback", ...). */
typedef struct agent_event {
    const char *kind;
    const char *thread;
    int64_t port; /* -1: none */
    bool has_msgid;
    int32_t msgid;
    bool has_size;
    int64_t size;
    bool has_data;
    conf_data data;
    bool has_request; /* callout: the request's data */
    conf_data request;
    const char *callback;
    bool has_info;
    int64_t info;
    bool via_set;
    const char *queue;
    const char *reason;
    int64_t callout_id; /* callout, callout_done: the pair's id (0: none) */
    int64_t t_ns; /* 0: now */
} agent_event;

void agent_out_event(const agent_event *e);

/* ---- agent_state.c: variables, objects, contexts, programs ------------------------ */

void agent_state_init(void);
/* The tables within their bounds (AGENT_MAX_*, CM_LIMIT_SCENARIO_BYTES), started only once
 * declared. O(1); call with agent_g.lock held once threads run. */
bool agent_state_validate(void);
agent_var *agent_var_get(const char *name); /* created on first use; NULL when full */
int64_t agent_object_id(const void *pointer, bool *is_new);
/* The object is about to be deallocated: a later object at the same address gets a new id. */
void agent_object_forget(const void *pointer);
void agent_object_set_queue(const void *pointer, const char *queue_label);
const char *agent_object_queue(const void *pointer);
/* A local port's create_local record (the side table behind a NULL context.info); NULL if
 * none. */
void agent_object_set_ctx(const void *pointer, agent_ctx *ctx);
agent_ctx *agent_object_ctx(const void *pointer);
agent_ctx *agent_ctx_new(int64_t value, uint32_t handler);
/* Signals (signal / wait_for): false when the table is full or the name unknown. */
bool agent_signal_reserve(const char *name);
bool agent_signal_raise(const char *name);
bool agent_signal_set_remote(const char *name, uint32_t count);
/* Waits until the signal's total reaches count; false on timeout (or a full table). */
bool agent_signal_wait(const char *name, uint32_t count, int64_t timeout_ns);
uint32_t agent_program_find(const char *name);
agent_thread *agent_thread_find(const char *name);
agent_queue *agent_queue_find(const char *name);
CFStringRef agent_mode_string(const char *name); /* NULL if unknown */
bool agent_blob_append(uint32_t id, const uint8_t *bytes, size_t len);
bool agent_blob_get(uint32_t id, const uint8_t **bytes, size_t *len);
/* Invalidation-callback trampolines: one distinct C function per callback program. */
CFMessagePortInvalidationCallBack agent_callback_function(uint32_t slot);
uint32_t agent_callback_slot_of(CFMessagePortInvalidationCallBack fn); /* AGENT_NONE */

/* ---- agent_exec.c: the step interpreter ------------------------------------------ */

/* Where a program runs: the port it serves (self) and, in a callout, the request and reply. */
typedef struct agent_frame {
    CFMessagePortRef self;
    int32_t msgid;     /* in a callout: the request's */
    CFDataRef request;
    CFDataRef reply; /* +1 */
    bool in_callout;
} agent_frame;

/* Sets how this thread is named in events ("main", "queue:work", ...); NULL: unnamed. */
void agent_exec_set_thread_label(const char *label);
const char *agent_exec_thread_label(void);
void agent_exec_step(agent_frame *frame, const conf_step *step, int64_t cmd_id);
void agent_exec_program(agent_frame *frame, uint32_t program);
/* The scenario thread body: its commands, in order, until closed. */
void agent_exec_thread(agent_thread *t);
/* The callback trampolines land here. */
void agent_exec_invalidation(uint32_t slot, CFMessagePortRef port, void *info);
/* Dies as the process would: reason "op" or "precondition". */
void agent_exec_crash(const char *reason) __attribute__((noreturn));

#endif /* AGENT_H */
