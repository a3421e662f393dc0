/*
 * sim_scenario.h — a loaded scenario as plain C data (no libfyaml).
 *
 * The format is documented in docs/scenario-format.md. Every step and
 * every expectation keeps the line and column it came from, so results
 * point back at the YAML. All programs (thread bodies, handlers,
 * invalidation callbacks, timers, dispatch blocks) share one step array;
 * program i owns steps [first_step, first_step + step_count).
 *
 * Ownership: a sim_scenario owns all its memory through its arena;
 * sim_scenario_free releases it. Nothing in it points outside it.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include "cm.h"
#include "cm_limits.h"
#include "sim_util.h"

/* Limits of a scenario (errors when exceeded). */
#define SIM_MAX_PROCESSES 64u
#define SIM_MAX_THREADS 64u   /* per process */
#define SIM_MAX_QUEUES 16u    /* per process, besides main */
#define SIM_MAX_PROGRAMS 4096u
#define SIM_MAX_STEPS 16384u
#define SIM_MAX_VARS 4096u
#define SIM_MAX_MODES (CM_MODE_MAX - 2u)
#define SIM_MAX_ALTERNATIVES 8u
#define SIM_MAX_DATA_BYTES CM_LIMIT_VALUE_BYTES /* one value; see cm_limits.h for the rest */

#define SIM_VAR_SELF (SIM_NONE - 1u) /* the port a handler / callback runs for */

typedef struct sim_loc {
    uint32_t line;
    uint32_t col;
} sim_loc;

/* A data value (a CFData, a name): NULL, known bytes, or a size only. */
typedef enum sim_data_kind {
    SIM_DATA_NULL = 0,  /* no CFData (or "not written" for replies) */
    SIM_DATA_BYTES = 1, /* content known: bytes[0..len) */
    SIM_DATA_SIZE = 2,  /* untracked content of `size` bytes (R27) */
} sim_data_kind;

typedef struct sim_data {
    uint8_t kind; /* sim_data_kind */
    const uint8_t *bytes;
    uint32_t len;
    int64_t size; /* SIM_DATA_SIZE: the size; SIM_DATA_BYTES: len */
} sim_data;

/* A reference by name, resolved after loading (index SIM_NONE until then). */
typedef struct sim_ref {
    const char *name; /* NULL: absent */
    sim_loc loc;
    uint32_t index;
} sim_ref;

/* What an operation returns, which decides what `expect:` may say. */
typedef enum sim_result_type {
    SIM_RT_NONE = 0,    /* nothing to compare (only blocked / killed) */
    SIM_RT_STATUS = 1,  /* send: success | send_timeout | ... */
    SIM_RT_CREATED = 2, /* creates: created | null */
    SIM_RT_BOOL = 3,    /* true | false */
    SIM_RT_RUN = 4,     /* run loops: finished | stopped | timed_out | handled_source */
    SIM_RT_NAME = 5,    /* get_name: {name: ...} */
    SIM_RT_INFO = 6,    /* get_context: {info: ...} */
    SIM_RT_CALLBACK = 7, /* get_invalidation_callback: {callback: ...} */
    SIM_RT_INT = 8,     /* an integer (get_type_id) */
} sim_result_type;

/* Outcome codes beyond an operation's own values. */
#define SIM_VALUE_BLOCKED (INT32_MIN + 1) /* still inside the call at the end */
#define SIM_VALUE_KILLED (INT32_MIN + 2)  /* its process died during the call */
#define SIM_INFO_UNDEFINED INT64_MIN      /* get_context on a remote port (R6) */

typedef struct sim_expect {
    sim_loc loc;
    /* allowed results (op values, SIM_VALUE_BLOCKED, SIM_VALUE_KILLED) */
    uint32_t result_count;
    int32_t results[SIM_MAX_ALTERNATIVES];
    sim_loc result_loc;
    bool has_reply;
    sim_data reply;
    sim_loc reply_loc;
    bool has_elapsed;
    int64_t elapsed_min_ns;
    int64_t elapsed_max_ns; /* CM_DURATION_FOREVER: no maximum */
    sim_loc elapsed_loc;
    int8_t should_free_info; /* -1: not checked */
    sim_loc should_free_info_loc;
    sim_ref same_as;     /* the object last created into this variable */
    sim_ref not_same_as;
    bool has_name;
    sim_data name;
    sim_loc name_loc;
    bool has_info;
    int64_t info; /* SIM_INFO_UNDEFINED for "undefined" */
    sim_loc info_loc;
    bool has_callback;
    sim_ref callback; /* name NULL: expect NULL */
    bool has_runs;
    uint32_t runs_min;
    uint32_t runs_max;
    sim_loc runs_loc;
    /* Joint alternatives (expect: a list of mappings): each a whole expectation, and an
     * execution passes when one of them holds in every field. Then this expectation's own
     * results are their union (what readers of results alone need: a step that may block),
     * its other fields are unset, and runs: may stand beside the list only as a step key. */
    uint32_t alt_count;
    const struct sim_expect *alts;
} sim_expect;

/* An expectation at loc with nothing expected yet (no result, should_free_info unset, no
 * reference): what the loader and sim_gen_build start each one from. */
void sim_expect_init(sim_expect *e, sim_loc loc);

/* when: {msgid, data, size}: a handler's step runs only for a request that matches all given. */
#define SIM_WHEN_DATA_MAX_BYTES ((uint32_t)CM_LIMIT_INLINE_DATA_BYTES) /* inline in the protocol: no blob */
typedef struct sim_when {
    sim_loc loc;
    bool has_msgid;
    int32_t msgid;
    bool has_data;
    sim_data data;      /* never NULL: a NULL request arrives as empty data (R39) */
    bool has_size;
    int64_t size_bytes; /* the request's CFData length (a NULL request has none) */
} sim_when;

typedef struct sim_step {
    sim_loc loc;
    uint8_t op;    /* cm_op_kind */
    uint8_t flags; /* CM_OPF_* for the op */
    uint32_t program;
    const char *label; /* NULL */
    sim_ref port;      /* variable; index SIM_VAR_SELF for `self` */
    sim_ref target;    /* handler / callback / timer / block program */
    sim_ref thread;    /* stop, wake_up, add_source, remove_source */
    sim_ref queue;     /* set_dispatch_queue, async ("main": index 0) */
    sim_ref process;   /* create_remote_per_pid; wait_for: {ended: PROCESS} */
    sim_ref mode;      /* a run-loop mode; send: reply mode (name NULL: one-way) */
    bool has_name;
    sim_data name;     /* port name (kind NULL: a NULL name) */
    sim_data data;     /* send data, reply data */
    int32_t msgid;
    int64_t t1_ns;     /* send timeout, run duration, sleep, first timer fire */
    int64_t t2_ns;     /* receive timeout, timer interval */
    int64_t info;      /* create_local context info */
    sim_ref signal;    /* signal, wait_for: index into the scenario's signals */
    uint32_t count;    /* wait_for: the total raises it waits for (>= 1) */
    const sim_expect *expect; /* NULL: none */
    bool has_when;
    sim_when when;            /* handlers only */
} sim_step;

typedef enum sim_program_kind {
    SIM_PROG_THREAD = 1,
    SIM_PROG_HANDLER = 2,
    SIM_PROG_CALLBACK = 3, /* invalidation callback: never blocks */
    SIM_PROG_TIMER = 4,
    SIM_PROG_BLOCK = 5,
} sim_program_kind;

typedef struct sim_program {
    const char *name; /* thread name, or the handler's / callback's / ... name */
    sim_loc loc;
    uint8_t kind;     /* sim_program_kind */
    uint32_t process; /* thread programs: the process; else SIM_NONE */
    uint32_t first_step;
    uint32_t step_count;
} sim_program;

typedef struct sim_thread {
    const char *name;
    sim_loc loc;
    uint32_t program;
} sim_thread;

typedef struct sim_queue {
    const char *name;
    sim_loc loc;
    uint8_t kind; /* cm_queue_kind */
    uint8_t width;
} sim_queue;

typedef struct sim_process {
    const char *name;
    sim_loc loc;
    int64_t start_ns;
    bool has_sandbox_group;
    sim_data sandbox_group;
    uint32_t thread_count;
    sim_thread *threads; /* [0] is the main thread */
    uint32_t queue_count;
    sim_queue *queues;   /* queue i is core queue i + 1; 0 is the main queue */
    uint32_t end_signal; /* the signal wait_for: {ended: P} waits on, or SIM_NONE */
} sim_process;

/* The name of the signal a process's end raises: this prefix, then the process's name. */
#define SIM_ENDED_SIGNAL_PREFIX CM_ENDED_SIGNAL_PREFIX

typedef struct sim_fault {
    sim_loc loc;
    int64_t at_ns;    /* a timed fault's time; INT64_MAX for one on a signal */
    uint8_t kind;     /* cm_fault_kind */
    sim_ref process;
    sim_ref on;       /* {on: SIGNAL, after: D}: when the signal is first raised, D later */
    int64_t after_ns;
} sim_fault;

/*
 * Event kinds a scenario can count, with the trace's names: the core's
 * COUNTED kinds (core/cm_event_kinds.h), in its order, then two of the
 * simulator's own. sim_model.c maps a core event to its kind (SIM_EV_<ID>
 * for CM_EV_<ID>).
 */
typedef enum sim_event_kind {
    SIM_EV_NONE = 0,
#define SIM_EV_ENUM(id, name, shape, counted, ta, tb, tc) CM_EVENT_IF_COUNTED(counted, SIM_EV_##id,)
    CM_EVENT_KINDS(SIM_EV_ENUM)
#undef SIM_EV_ENUM
    SIM_EV_INVALIDATED, /* a port's state became invalid (a core state event) */
    SIM_EV_ANOMALY,     /* a call/return mismatch seen while observing (invariant) */
    SIM_EV_KIND_COUNT
} sim_event_kind;

/* The filters an expected event may have, by what its kind carries (sim_event_kind_filters). */
#define SIM_FILTER_PROCESS 0x01u
#define SIM_FILTER_THREAD 0x02u
#define SIM_FILTER_PORT 0x04u
#define SIM_FILTER_MSGID 0x08u
#define SIM_FILTER_WARNING 0x10u
#define SIM_FILTER_REASON 0x20u
#define SIM_FILTER_SIZE 0x40u    /* the request's (callout, enqueue, ...) or the reply's (reply_*) */
#define SIM_FILTER_REQUEST 0x80u /* callout: the request's data */
#define SIM_FILTER_REPLY 0x100u  /* callout, callout_done: the data the callout returned */

typedef struct sim_event_expect {
    sim_loc loc;
    uint8_t kind; /* sim_event_kind */
    sim_ref process;
    sim_ref thread; /* needs process */
    sim_ref port;   /* a variable */
    bool has_msgid;
    int32_t msgid;
    bool has_code; /* warning code / crash or drop reason */
    int32_t code;
    bool has_size;  /* size: N (SIM_FILTER_SIZE) */
    int64_t size_bytes;
    bool has_request; /* request: DATA (callout) */
    sim_data request;
    bool has_reply;   /* reply: DATA (what a callout returned) */
    sim_data reply;
    bool last;        /* expect_order patterns (which: last): the last such event, not the first */
    uint32_t count_min;
    uint32_t count_max;
    sim_loc count_loc;
} sim_event_expect;

/* An expected event at loc with no filter yet (no process, thread or port). */
void sim_event_expect_init(sim_event_expect *e, sim_loc loc);

/* expect_order: the first event matching each pattern comes after the first matching the one
 * before it (patterns first .. first+count-1 of the scenario's order_patterns, count >= 2). */
typedef struct sim_order_expect {
    sim_loc loc;
    uint32_t first;
    uint32_t count;
} sim_order_expect;

/* A skip: or only: entry. */
typedef struct sim_condition {
    sim_loc loc;
    const char *backend; /* NULL: any */
    uint8_t profile;     /* cm_profile_id, 0: any */
    const char *reason;
} sim_condition;

/* Profile fields a scenario overrides (options:). */
#define SIM_OPT_NAME_RELEASE_DELAY 0x001u
#define SIM_OPT_RIGHTS_RELEASE_DELAY 0x002u
#define SIM_OPT_DEATH_NOTICE_DELAY 0x004u
#define SIM_OPT_HOP_LATENCY 0x008u
#define SIM_OPT_QLIMIT 0x010u
#define SIM_OPT_NAME128 0x020u
#define SIM_OPT_SETNAME_REFUSED 0x040u
#define SIM_OPT_MAIN_QUEUE_DEATH 0x080u
#define SIM_OPT_CROSS_THREAD_WAKES 0x100u
#define SIM_OPT_REMOTE_SHARES 0x200u
#define SIM_OPT_DISPATCH_DEQUEUE_DELAY 0x400u

typedef struct sim_scenario {
    base_arena arena;
    const char *file;  /* as given to the loader */
    const char *name;  /* scenario: */
    sim_loc loc;       /* of the scenario: key */
    const char *about; /* NULL */
    uint32_t rule_count;
    const char **rules;
    uint8_t profile;   /* cm_profile_id, 0: not given (ventura) */
    uint32_t option_mask;
    cm_profile options; /* the overriding values */
    int64_t time_limit_ns;
    uint32_t service_count;
    sim_data *services;
    uint32_t mode_count;
    const char **modes; /* mode i has id i + 2 */
    uint32_t var_count;
    const char **vars;
    uint32_t signal_count; /* signal: / wait_for: names, in order of first use */
    const char **signals;
    uint32_t process_count;
    sim_process *processes;
    uint32_t program_count;
    sim_program *programs;
    uint32_t step_count;
    sim_step *steps;
    uint32_t fault_count;
    sim_fault *faults;
    uint32_t event_expect_count;
    sim_event_expect *event_expects;
    uint32_t order_pattern_count;   /* expect_order: every pattern of every order, flat */
    sim_event_expect *order_patterns; /* a pattern's count fields are unused */
    uint32_t order_count;
    sim_order_expect *orders;
    uint32_t skip_count;
    sim_condition *skips;
    uint32_t only_count;
    sim_condition *onlys;
} sim_scenario;

#define SIM_TIME_LIMIT_DEFAULT_NS (INT64_C(3600) * CM_NS_PER_S)
/* wait_for without `timeout:` gives up after this long (a safety net, not a timing). */
#define SIM_WAIT_FOR_TIMEOUT_DEFAULT_NS (INT64_C(10) * CM_NS_PER_S)
#define SIM_WAIT_FOR_COUNT_MAX 1000000u

void sim_scenario_free(sim_scenario *sc);
/* Every index in range, every range inside its array (for assertions). */
bool sim_scenario_validate(const sim_scenario *sc);

/* Names of things, for messages and reports (static strings). */
const char *sim_event_kind_name(uint8_t kind);
uint8_t sim_event_kind_by_name(const char *name); /* SIM_EV_NONE if unknown */
/* The SIM_FILTER_* bits an event of this kind can match (0 for unknown kinds). */
uint32_t sim_event_kind_filters(uint8_t kind);
/* Every event kind a scenario may name, for messages ("did you mean"): count entries. */
const char *const *sim_event_kind_names(size_t *count);
const char *sim_program_kind_name(uint8_t kind);
/* Where a step runs: "process/thread" or "handler NAME" (malloc'd; NULL without memory). */
char *sim_step_where(const sim_scenario *sc, const sim_step *s);
/* The keyword a scenario uses for an operation ("create_local", "run_loop", ...). */
const char *sim_op_keyword(uint8_t op);
uint8_t sim_op_by_keyword(const char *keyword); /* CM_OP_NONE if unknown */
sim_result_type sim_op_result_type(uint8_t op);
/* Text of a result value for an op's result type ("success", "created", "true"...). */
const char *sim_result_text(sim_result_type type, int32_t value, char *buf, size_t cap);
const char *sim_warning_name(int32_t code);
int32_t sim_warning_by_name(const char *name); /* 0 if unknown */

/* The profile a run uses: the named one (0: the scenario's, then ventura) plus options. */
cm_profile sim_scenario_profile(const sim_scenario *sc, uint8_t profile_override);
uint8_t sim_scenario_profile_id(const sim_scenario *sc, uint8_t profile_override);

/* Whether a scenario runs on (backend, profile): NULL if it runs, else the reason. */
const char *sim_scenario_skip_reason(const sim_scenario *sc, const char *backend, uint8_t profile);

/* Data equality: a size-only side matches any content of that size. */
bool sim_data_equal(const sim_data *a, const sim_data *b);
void sim_data_format(const sim_data *d, base_buf *out);

#endif /* SIM_SCENARIO_H */
