/*
 * conf_runner.h — the conformance runner's internals (prefix conf_):
 *
 *   conf_spawn_posix.c     agent processes: spawn in their own process group, kill, reap
 *   conf_platform_*.c      what only some systems have (Linux: child subreaper)
 *   conf_backend.c         backends as const ops tables, registered by name
 *   conf_model.c           the model's view of a scenario: allowed outcome sets per step,
 *                          the expected end time (many explored schedules)
 *   conf_session.c         one real run: agents, the protocol, the timeline, faults
 *   conf_observe.c         agent lines -> records -> a sim_obs (sim/'s observation)
 *   conf_judge.c           the verdict: sim_check on a view of the scenario, timing with a
 *                          tolerance, margins, model-allowed outcomes
 *   conf_expect.c          per-backend expectation files (expected failures, intermittents)
 *   conf_suite.c           a scenario file end to end: skips, model, --repeat, disturbed
 *                          runs made again, expectation files, flaky verdicts (conf_suite.h)
 *
 * Times: "virtual" nanoseconds are the scenario's; real = virtual x time_scale. Everything
 * the checker sees is virtual, so reports read like `portsim run`'s.
 *
 * Ownership: each struct with a *_free owns everything it points to. Nothing is
 * thread-safe: the runner is single-threaded (it multiplexes agents with poll).
 */
#ifndef CONF_RUNNER_H
#define CONF_RUNNER_H

#include "conf_proto.h"
#include "sim_allowed.h"
#include "sim_check.h"
#include "sim_obs.h"
#include "sim_result.h"
#include "sim_run.h"
#include "sim_scenario.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- platform ------------------------------------------------------------------- */

int64_t conf_now_ns(void); /* CLOCK_MONOTONIC: the agents' host clock */

typedef struct conf_child {
    pid_t pid; /* also its process group id */
    int in_fd; /* the agent's stdin (non-blocking) */
    int out_fd;
    int err_fd;
    bool exited;
    int status; /* waitpid status once exited */
} conf_child;

/* Starts path with the extra environment ("NAME=value", NULL-terminated) in a new process
 * group, with pipes for stdin/stdout/stderr. On Linux the child dies with the runner. */
bool conf_child_spawn(conf_child *c, const char *path, char *const *env_extra, char *err,
                      size_t err_cap);
/* Non-blocking: true once the agent process has exited (and was reaped). */
bool conf_child_try_reap(conf_child *c);
/* SIGKILLs the agent's group and reaps the agent, keeping its pipes open (to drain its last
 * lines). Idempotent. */
void conf_child_terminate(conf_child *c);
/* SIGKILLs the whole process group, reaps every member, closes the pipes. Idempotent. */
void conf_child_kill(conf_child *c);
/* Text for a wait status: "exit 0", "signal 9 (Killed)". */
void conf_child_status_text(int status, char *buf, size_t cap);

/* Runner-wide set-up: become a child subreaper (Linux) so orphaned agent descendants are
 * reparented to the runner and reaped with their group. */
void conf_platform_init(void);
void conf_platform_fini(void);

/* The folder of the running executable (for an installed portsim: PREFIX/bin); false when
 * the system cannot tell. */
bool conf_self_dir(char *dir, size_t cap);
/* PREFIX-relative install paths, for an installed portsim (CONF_BIN_TO_*: bin -> there):
 * an existing path made from the executable's folder and rel, or false. */
bool conf_installed_path(const char *rel, const char *file, char *path, size_t cap);

/* A private directory for one run (agents' runtime files); removed recursively after. */
bool conf_run_dir_make(char *out, size_t cap);
void conf_run_dir_remove(const char *dir);

/* SIGINT/SIGTERM: recorded, never fatal while agents run. */
void conf_signals_install(void);
void conf_signals_restore(void);
int conf_signal_fd(void);     /* readable when a signal arrived */
int conf_interrupted(void);   /* the signal number, or 0 */

/* ---- backends (nng-style: a const ops table per backend, found by name) --------------- */

typedef struct conf_backend_ops {
    const char *name;  /* "model", "posix", "apple", "agent" */
    const char *about;
    /* The agent executable of this build; false (with a reason) when there is none. */
    bool (*agent_path)(char *path, size_t cap, char *why, size_t why_cap);
    /* An environment variable the agent reads for its private runtime directory, or NULL. */
    const char *runtime_env;
} conf_backend_ops;

const conf_backend_ops *conf_backend_find(const char *name);
extern const conf_backend_ops conf_backend_agent; /* --agent PATH */

/* ---- what an agent said in its hello ----------------------------------------------------- */

typedef enum conf_clock {
    CONF_CLOCK_HOST = 1,    /* host monotonic ns since the runner's epoch */
    CONF_CLOCK_LOCAL = 2,   /* ns since the agent received start */
    CONF_CLOCK_VIRTUAL = 3, /* the scenario's virtual ns (world agents) */
} conf_clock;

#define CONF_CAPF_DISPATCH_QUEUES 0x01u
#define CONF_CAPF_CONCURRENT_QUEUES 0x02u
#define CONF_CAPF_TIMERS 0x04u
#define CONF_CAPF_PER_PID 0x08u
#define CONF_CAPF_MALFORMED_SEND 0x10u
#define CONF_CAPF_COPY_DESCRIPTION 0x20u
#define CONF_CAPF_MACH_SERVICES 0x40u
#define CONF_CAPF_SANDBOX 0x80u

typedef struct conf_agent_info {
    char implementation[64];
    char version[64];
    char backend[32];
    uint8_t clock; /* conf_clock */
    bool world;
    uint32_t caps; /* CONF_CAPF_* */
    uint64_t events; /* bit (1 << sim_event_kind): kinds reported completely */
} conf_agent_info;

/* A known clock, and world agents exactly the virtual-clock ones. */
bool conf_agent_info_validate(const conf_agent_info *info);
/* Fills info from a decoded hello line; false (with err) when it is unusable. */
bool conf_agent_info_read(const conf_msg *hello, conf_agent_info *info, char *err, size_t cap);
/* Capabilities a scenario needs (CONF_CAPF_*), and their names for messages. */
uint32_t conf_scenario_needs(const sim_scenario *sc);
const char *conf_cap_name(uint32_t cap_flag);

/* ---- options ------------------------------------------------------------------------------ */

typedef struct conf_options {
    const conf_backend_ops *backend;
    char agent_path[4096];
    double time_scale;      /* real seconds per virtual second */
    int64_t tol_abs_ns;     /* timing tolerance: max(tol_abs, tol_rel x duration) */
    double tol_rel;
    uint32_t repeat;
    uint32_t explore;       /* random schedules explored by the model (besides fifo) */
    int64_t max_latency_ns; /* explored message latencies stay below this (virtual) */
    uint8_t profile;        /* cm_profile_id, 0: each scenario's own */
    uint64_t seed;
    const char *expect_path; /* NULL: the backend's default file */
    bool no_expect;
    int64_t max_duration_ns; /* real: longer scenarios are skipped */
    int64_t handshake_ns;    /* real: an agent must say hello within this */
    double timeout_multiplier; /* scales handshake and grace times (valgrind, asan) */
    bool verbose;       /* agents' log lines to stderr */
    bool keep_obs;      /* keep each result's observation (the HTML report draws it) */
    FILE *protocol_log; /* every line sent and received, or NULL (--protocol-log) */
} conf_options;

void conf_options_default(conf_options *o);
/* Sane values: a backend, positive scale and repeat, non-negative tolerances and times. */
bool conf_options_validate(const conf_options *o);
/* The tolerance for an expected duration (virtual ns). */
int64_t conf_tolerance_ns(const conf_options *o, int64_t duration_ns);

/* ---- the model's view of a scenario --------------------------------------------------------- */

/* The model's allowed outcomes per step (sim/sim_allowed.h), explored with the run's options. */
typedef sim_allowed conf_allowed;
typedef sim_allowed_set conf_model;

bool conf_model_explore(const sim_scenario *sc, const conf_options *opt, conf_model *out);
/* The model runs conform makes for a scenario (its seed, --explore, latency bound, tolerance):
 * the allowed sets above and the joint check of a whole run (conf_judge) use the same. */
sim_allowed_plan conf_model_plan(const conf_options *opt);
/* An explored model: allowed sets for its steps, each within its bound. */
bool conf_model_validate(const conf_model *m, const sim_scenario *sc);
void conf_model_free(conf_model *m);

/* ---- one real run ----------------------------------------------------------------------------- */

typedef struct conf_issue {
    uint8_t kind;   /* sim_failure_kind (SIM_FAIL_RUN mostly) */
    uint32_t step;  /* SIM_NONE, or the step it is about */
    int64_t t_ns;   /* virtual, or SIM_RESULT_NO_TIME */
    char *message;
    char *observed;
} conf_issue;

typedef struct conf_run {
    sim_obs obs;
    bool observed;          /* obs holds a run (even a partial one) */
    conf_issue *issues;
    uint32_t issue_count;
    int interrupted;        /* signal number */
    int64_t end_ns;         /* virtual */
    const char *end_reason; /* static */
    uint64_t wall_ns;
    bool has_trace_hash;    /* world agents report one; real agents cannot */
    uint64_t trace_hash;
    uint64_t events;
    uint32_t step_count;
    uint8_t *step_flags;    /* [step] CONF_STEPF_* */
    char **unsupported;     /* [step] the agent's reason, or NULL */
    char **crashes;         /* [step] how its process crashed inside its CF call ("SIGABRT"), or NULL */
    uint32_t agents;        /* processes started */
    bool disturbed;         /* a process began late: the host was busy (a failing run is retried) */
    char **notes;           /* remarks that are not failures (late starts) */
    uint32_t note_count;
    int64_t relay_max_ns;   /* virtual: the longest a signal took from its raise to its relay */
} conf_run;

#define CONF_STEPF_UNOBSERVABLE 0x01u /* the agent cannot see this step's result */
#define CONF_STEPF_UNSUPPORTED 0x02u

bool conf_run_scenario(const sim_scenario *sc, const conf_model *model, const conf_options *opt,
                       const conf_agent_info *info, conf_run *out);
void conf_run_free(conf_run *r);
void conf_run_issue(conf_run *r, uint8_t kind, uint32_t step, int64_t t_ns, const char *message,
                    const char *observed);

/* Asks an agent for its hello (spawn, handshake, kill): what it can do. */
bool conf_probe_agent(const conf_options *opt, conf_agent_info *info, char *err, size_t cap);

/* ---- records and observation (conf_observe.c) ------------------------------------------------------ */

typedef enum conf_rec_kind {
    CONF_REC_CALL = 1,
    CONF_REC_RETURN = 2,
    CONF_REC_EVENT = 3,
    CONF_REC_START = 4, /* the runner started a process */
    CONF_REC_DEATH = 5, /* a process died (crash event, fault, exit, or unexpectedly) */
} conf_rec_kind;

typedef struct conf_rec {
    int64_t t_ns;      /* virtual */
    uint64_t order;    /* arrival order, breaks ties */
    uint8_t kind;      /* conf_rec_kind */
    uint16_t agent;    /* incarnation index */
    uint16_t process;
    uint16_t thread;
    int64_t exec;
    uint32_t step;
    int64_t elapsed_ns;
    bool has_result;
    int32_t value;
    int64_t port;      /* SIM_PORT_NONE */
    bool should_free_info;
    int64_t info;
    uint32_t callback; /* program, SIM_NONE */
    sim_data data;     /* bytes in the observer's arena */
    bool has_request;  /* callout events: the request's data */
    sim_data request;
    int64_t size_bytes; /* the event's size (callout: the request's; reply_*: the reply's), -1 */
    bool has_convid;
    int32_t convid;
    int64_t msg;
    bool has_msgid;
    int32_t msgid;
    int64_t callout_id; /* callout, callout_done: the agent's id pairing them, 0 none */
    uint8_t ev_kind;   /* sim_event_kind */
    uint8_t ev_flags;  /* SIM_EVF_* given explicitly */
    bool flags_given;
    int32_t code;
    const char *note;  /* static or arena */
} conf_rec;

typedef struct conf_observer {
    const sim_scenario *sc;
    base_arena arena;   /* record bytes and notes */
    conf_rec *recs;
    uint32_t count;
    uint32_t capacity;
    uint64_t next_order;
    bool failed;
} conf_observer;

void conf_observer_init(conf_observer *o, const sim_scenario *sc);
void conf_observer_fini(conf_observer *o);
conf_rec *conf_observer_add(conf_observer *o);
/* Sorts the records by time and builds obs; blocked calls end at end_ns. world: deaths
 * close calls by process (one agent), else by agent. */
void conf_observer_finish(conf_observer *o, bool world, int64_t end_ns, sim_obs *obs);

/* Data the scenario mentions, to resolve {size, fnv1a64} reports to exact bytes. */
sim_data conf_resolve_digest(const sim_scenario *sc, int64_t size, uint64_t digest);

/* ---- judging ------------------------------------------------------------------------------------ */

/* A formatted note on a result (sim_result_add_note). */
void conf_result_note(sim_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Judges one real run: fills *out (initialised here; sim_result_free). Its rt carries the
 * closest deadline margin, timing-sensitive failures and the host notes of the run. */
void conf_judge(const sim_scenario *sc, const conf_model *model, const conf_run *run,
                const conf_options *opt, const conf_agent_info *info, sim_result *out);
/* The result of a scenario that did not run (skipped or failed before running). */
void conf_result_describe(const sim_scenario *sc, const conf_options *opt,
                          const conf_agent_info *info, sim_result *res);

/* ---- expectation files --------------------------------------------------------------------------- */

typedef enum conf_expect_status {
    CONF_EXPECT_FAIL = 1,         /* must fail (an unexpected pass is a failure) */
    CONF_EXPECT_INTERMITTENT = 2, /* may fail or pass */
    CONF_EXPECT_SKIP = 3,         /* not run */
} conf_expect_status;

typedef struct conf_expect_entry {
    char *scenario;   /* scenario name */
    uint32_t line;    /* 0: the whole scenario; else failures at this line of its file */
    char *message;    /* line entries: only failures whose message contains this, or NULL */
    uint8_t status;
    char *reason;
    char **rules;
    uint32_t rule_count;
    uint32_t src_line; /* in the expectation file */
    uint32_t hits;     /* how often it matched (for stale-entry reports) */
    uint32_t runs;     /* how often its scenario was judged */
} conf_expect_entry;

typedef struct conf_expectations {
    char *path;
    char *backend;
    conf_expect_entry *entries;
    uint32_t count;
} conf_expectations;

bool conf_expect_load(const char *path, conf_expectations *out, sim_diag *diag);
void conf_expect_free(conf_expectations *e);
/* The skip entry for a scenario, or NULL. */
const conf_expect_entry *conf_expect_skip(const conf_expectations *e, const sim_scenario *sc);
/* Applies fail/intermittent entries to a judged outcome (may change its verdict). */
void conf_expect_apply(conf_expectations *e, const sim_scenario *sc, sim_result *o);

#endif /* CONF_RUNNER_H */
