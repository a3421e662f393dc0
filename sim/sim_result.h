/*
 * sim_result.h — the outcome of running one scenario once: the single
 * structure every report (terminal, JSON, JUnit, TAP, HTML) is made from.
 *
 * A result says which scenario ran (file, name, line), how (backend, seed,
 * strategy, profile), what happened (verdict, virtual time, trace hash,
 * event count, per-step observations) and what went wrong (failures, each
 * with file:line:col, expected and observed text), plus the one-line
 * command that replays it. Load errors of a file that could not be loaded
 * are failures of kind SIM_FAIL_LOAD with verdict SIM_VERDICT_ERROR.
 *
 * Ownership: a sim_result owns every string and array in it, all malloc'd;
 * sim_result_free releases them. Static strings are marked "static".
 * Strings are ASCII (data bytes appear escaped as \xNN) except `file`,
 * `scenario`, `about` and load-error messages, which come from the input.
 */
#ifndef SIM_RESULT_H
#define SIM_RESULT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum sim_verdict {
    SIM_VERDICT_PASS = 0,
    SIM_VERDICT_FAIL = 1,  /* an expectation or invariant failed */
    SIM_VERDICT_SKIP = 2,  /* skip:/only: excluded this backend or profile */
    SIM_VERDICT_ERROR = 3, /* the file could not be loaded or run */
} sim_verdict;

typedef enum sim_failure_kind {
    SIM_FAIL_EXPECT = 1,    /* a step's expect: */
    SIM_FAIL_EVENTS = 2,    /* an expect_events: count */
    SIM_FAIL_INVARIANT = 3, /* an always-on invariant */
    SIM_FAIL_RUN = 4,       /* the run itself (event budget, model out of memory) */
    SIM_FAIL_LOAD = 5,      /* the file: YAML, unknown key, bad reference... */
    SIM_FAIL_TIMING = 6,    /* lint: the verdict changes when the host is late (sim_lint.h) */
} sim_failure_kind;

#define SIM_RESULT_NONE UINT32_MAX
#define SIM_RESULT_NO_TIME INT64_MIN

typedef struct sim_failure {
    uint8_t kind;        /* sim_failure_kind */
    uint32_t line;       /* in the result's file, 1-based */
    uint32_t col;
    uint32_t step;       /* index into steps[], or SIM_RESULT_NONE */
    uint32_t execution;  /* which execution of that step (0-based), or SIM_RESULT_NONE */
    int64_t time_ns;     /* virtual time of the observation, or SIM_RESULT_NO_TIME */
    bool has_outcome;    /* a step's check: what that execution returned (its outcome class) */
    int32_t outcome;     /* the result value (status, bool, run result), or blocked / killed */
    int8_t side;         /* an elapsed-time check: -1 it returned too early, +1 too late; else 0 */
    char *message;       /* one line, e.g. "send result" or "callout count" */
    char *expected;      /* text, or NULL */
    char *observed;      /* text, or NULL */
} sim_failure;

typedef struct sim_step_result {
    uint32_t line;
    uint32_t col;
    const char *op;       /* static: the scenario keyword ("send", "run_loop", ...) */
    char *where;          /* "client/main", "handler echo", "callback on_gone"... */
    char *label;          /* the step's label:, or NULL */
    uint32_t executions;  /* how many times it ran */
    bool has_expect;
    bool failed;          /* some failure points at this step */
    bool unobserved;      /* real backends: its outcome is not observable there (not checked) */
    char *observed;       /* the first execution, e.g. "success reply=\"hi\" elapsed=3ms", or NULL */
    /* The step's time arguments, for reports that draw deadlines (scenario time, as written;
     * CM_DURATION_FOREVER / CM_DURATION_NAN kept): send_timeout / recv_timeout, run_loop for:,
     * wait_for timeout:, add_timer after: / every:, sleep for:. 0 when the op has none. */
    int64_t t1_ns;
    int64_t t2_ns;
    bool two_way;         /* a send with a reply_mode (it waits for a reply) */
} sim_step_result;

/*
 * What a real-time run (`portsim conform`) adds to a result: how many of its
 * --repeat runs failed, the call that came closest to one of its deadlines,
 * whether an expectation file expected it to fail, and how busy the host
 * was (host_notes: shown with failures, or always with --verbose).
 * runs == 0: a simulated result, the rest is unset.
 */
typedef struct sim_realtime {
    uint32_t runs;
    uint32_t failed_runs;     /* 0 < failed_runs < runs: flaky */
    uint32_t timing_failures; /* failures that look timing-sensitive (near a deadline) */
    bool has_margin;
    int64_t margin_ns;        /* signed distance to the closest deadline, scenario time */
    uint32_t margin_line;     /* the step's line */
    bool expected_failure;    /* an expectation file said it fails, and it did (XFAIL) */
    char **host_notes;
    uint32_t host_note_count;
    /* The joint check (sim_explain.h): a model run consistent with the whole run, or where none is. */
    uint8_t explain;          /* sim_explain_verdict, 0: not made */
    uint32_t explain_kinds;   /* the event kinds (1u << sim_event_kind) the backend observes and the check compared */
    char *explain_text;       /* explained: which model run; else the divergence */
    char *explain_replay;     /* explained by a replayable run: its replay command, else NULL */
} sim_realtime;

/*
 * What `portsim explore` adds to a result: how many schedules ran and how
 * many failed. The result itself is the representative run (the first
 * failing one, or the first run). runs == 0: not explored.
 */
typedef struct sim_explored {
    uint64_t runs;
    uint64_t failing_runs;
    uint64_t distinct_traces;
    const char *method;       /* static: "random", "pct", "exhaustive" */
    bool latency;             /* deadline-tie latencies were explored too */
    uint64_t first_seed;      /* random, pct: the seeds S .. S+runs-1 (this shard's) */
    bool has_failing_seed;
    uint64_t failing_seed;    /* the first failing seed */
    uint64_t states;          /* exhaustive: distinct states seen */
    bool complete;            /* exhaustive: every schedule within the bounds ran */
    bool cut_by_depth;
    bool cut_by_schedules;
} sim_explored;

/*
 * What `portsim explore --census` adds to a result: per step that has more
 * than one allowed or reached outcome, every outcome with the number of
 * explored schedules that reached it, and the allowed ones no schedule
 * reached. The explored schedules are not the only account of what the
 * model can do: conform allows the outcomes of its own model runs (bounded
 * latencies, a late host, sim_allowed.h), and an allowed outcome those runs
 * reach is justified too (in_account). present == false: no census.
 */
typedef struct sim_census_outcome {
    char *text;          /* "success", "receive_timeout", "created", "blocked", ... */
    uint64_t schedules;  /* explored schedules in which the step had this outcome */
    bool allowed;        /* named in the step's expect: (or the step has no result expectation) */
    bool in_account;     /* conform's model runs reach it */
} sim_census_outcome;

typedef struct sim_census_step {
    uint32_t step;       /* index into steps[] */
    uint32_t line;       /* of its expected result (else of the step) */
    uint32_t col;
    const char *op;      /* static: the scenario keyword */
    uint64_t ran;        /* explored schedules in which the step ran */
    sim_census_outcome *outcomes; /* the allowed ones in expect: order, then the others */
    uint32_t outcome_count;
} sim_census_step;

typedef struct sim_census_part {
    bool present;
    bool strict;              /* unreached allowed outcomes are failures (else warnings) */
    uint64_t schedules;       /* explored schedules counted */
    const char *method;       /* static: "random", "pct", "exhaustive" */
    bool latency;             /* the schedules chose latencies too */
    uint32_t account_runs;    /* conform's model runs made (fifo, random with latencies, jittered) */
    uint32_t account_jittered;
    uint32_t unreached;       /* allowed outcomes reached neither by a schedule nor in the account */
    sim_census_step *steps;
    uint32_t step_count;
} sim_census_part;

/*
 * A second run of the same scenario to draw beside the result's own (obs): for `portsim conform`,
 * the model's run closest to the real one (the joint check's explained run, or the one matching
 * the longest prefix of the real observations); for `portsim explore`, a passing schedule beside
 * the failing one. Both observations use the scenario's process and thread indices, so the
 * result's actor names serve both. differs[k] marks the calls (executions, by index) whose
 * outcome has no equal in the other run (sim_explain_differences). obs == NULL: none.
 */
typedef struct sim_beside {
    struct sim_obs *obs;    /* the other run (owned) */
    char *how;              /* which run it is: "the fifo run", "random seed 7 ...", "seed 12" */
    const char *own_label;  /* static: the result's run, "real" / "failing" */
    const char *other_label; /* static: this one, "model" / "passing" */
    bool consistent;        /* the other run gives every compared outcome of the result's own */
    bool closest;           /* none does: the other run matches the longest prefix of them */
    uint8_t *own_differs;   /* [result obs exec] 1: no equal outcome in the other run */
    uint32_t own_count;
    uint8_t *other_differs; /* [obs exec] 1: no equal outcome in the result's run */
    uint32_t other_count;
} sim_beside;

typedef struct sim_result {
    /* what */
    char *file;
    char *scenario;       /* the scenario: name; NULL if the file did not load */
    uint32_t line;        /* of the scenario: key (1 if unknown) */
    uint32_t col;
    char *about;          /* NULL */
    char **rules;         /* "R33", ... */
    uint32_t rule_count;
    /* how */
    const char *backend;  /* static: "model" */
    uint64_t seed;
    const char *strategy; /* static: "fifo", "random" */
    const char *profile;  /* static: "ventura", "cf-1153" */
    /* what happened */
    uint8_t verdict;      /* sim_verdict */
    char *skip_reason;    /* SIM_VERDICT_SKIP */
    bool has_trace_hash;  /* false: the backend gave none (a real run) */
    uint64_t trace_hash;
    uint64_t event_count;
    int64_t virtual_time_ns;
    const char *end_reason; /* static: "quiescent", "time_limit", "event_budget", "error", "none" */
    uint64_t wall_time_ns;  /* not deterministic; for reports only */
    sim_failure *failures;
    uint32_t failure_count;
    sim_step_result *steps;
    uint32_t step_count;
    char *replay;         /* "portsim run FILE --seed N --strategy S --profile P" */
    char **notes;         /* remarks that are not failures (a run that hit its time limit,
                             an expectation this backend cannot observe, ...) */
    uint32_t note_count;
    sim_realtime rt;      /* real-time runs only (rt.runs > 0) */
    sim_explored explored; /* explored results only (explored.runs > 0) */
    sim_census_part census; /* explore --census only (census.present) */
    /*
     * Optional (sim_run_options.keep_obs): what the run observed, for
     * reports that draw it (the HTML sequence diagrams), and the names of
     * its processes and declared threads. obs->events / obs->execs carry
     * (process, thread) indices into these; a thread index at or past
     * thread_counts[process] is a dispatch queue's worker.
     */
    struct sim_obs *obs;
    char **process_names;
    uint32_t process_count;
    char ***thread_names;   /* [process][thread] */
    uint32_t *thread_counts;
    sim_beside beside;      /* optional: another run to draw beside obs (beside.obs == NULL: none) */
} sim_result;

/* "server/main", "server/worker2" or "p3/t1": the name of an actor (malloc'd). */
char *sim_result_actor_name(const sim_result *r, uint32_t process, uint32_t thread);

void sim_result_init(sim_result *r);
void sim_result_free(sim_result *r);
/* Frees what b holds and empties it. */
void sim_beside_free(sim_beside *b);
/* Either empty, or an observation with its labels and one flag per call of each run (own may be NULL). */
bool sim_beside_validate(const sim_beside *b, const struct sim_obs *own);
/* Appends a failure (strings copied; expected/observed may be NULL). */
sim_failure *sim_result_add_failure(sim_result *r, uint8_t kind, uint32_t line, uint32_t col,
                                    const char *message, const char *expected,
                                    const char *observed);

/* Appends a note (text copied); a host note goes to rt.host_notes. */
void sim_result_add_note(sim_result *r, const char *text);
void sim_result_add_host_note(sim_result *r, const char *text);

/* How many results have each verdict (errors count as failed in the summary line),
 * and their summed wall time. */
typedef struct sim_tally {
    uint32_t passed;
    uint32_t failed;
    uint32_t skipped;
    uint32_t errors;
    uint64_t wall_time_ns;
} sim_tally;
sim_tally sim_tally_results(const sim_result *results, uint32_t count);

/*
 * Consistency, for assertions and report writers: a file; a known verdict;
 * pass has no failures, fail and error have some; skip has a reason; every
 * failure has a position and a message; step indices are in range.
 */
bool sim_result_validate(const sim_result *r);

const char *sim_verdict_name(uint8_t verdict);        /* "pass", "fail", "skip", "error" */
const char *sim_failure_kind_name(uint8_t kind);      /* "expect", "events", ... */

#endif /* SIM_RESULT_H */
