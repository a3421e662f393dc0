/*
 * sim_explore.h — exploration strategies over the core's choice points.
 *
 *   pct         probabilistic concurrency testing (Burckhardt et al. 2010):
 *               random actor priorities, the highest runnable one runs, and
 *               at `depth - 1` random choice points the running actor drops
 *               to the lowest priority. Finds bugs of depth d with
 *               probability >= 1 / (n * k^(d-1)).
 *   schedule    replays a recorded list of picks; past its end it takes
 *               option 0 (fifo). Records every choice it sees, so a run can
 *               be printed as a schedule and replayed exactly.
 *   exhaustive  bounded depth-first search over every choice point, one
 *               run per schedule (stateless model checking), pruning
 *               states already seen (cm_world_state_hash), with a depth and
 *               a schedule bound, and saying when a bound cut it short;
 *               optionally with sleep sets, and for callers that need only
 *               per-step outcome sets, symmetry reduction (sim_explore.c).
 *
 * Everything here is deterministic: the same seed and scenario give the
 * same schedules, on any machine.
 */
#ifndef SIM_EXPLORE_H
#define SIM_EXPLORE_H

#include "cm.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- pct --------------------------------------------------------------- */

#define SIM_PCT_ACTORS_MAX 256
#define SIM_PCT_DEPTH_MAX 16

typedef struct sim_pct {
    cm_rng rng;
    uint32_t depth;            /* d: number of priority change points + 1 */
    uint64_t change_at[SIM_PCT_DEPTH_MAX]; /* choice ordinals */
    uint32_t actor_count;
    uint64_t actor_key[SIM_PCT_ACTORS_MAX];
    int64_t actor_priority[SIM_PCT_ACTORS_MAX];
    int64_t lowest;            /* next priority handed out at a change point */
} sim_pct;

/* depth >= 1; steps_estimate: the expected number of choice points (k). */
void sim_pct_init(sim_pct *p, uint64_t seed, uint32_t depth, uint64_t steps_estimate);
extern const cm_strategy sim_strategy_pct;

/* ---- a set of 64-bit hashes (visited states, distinct traces) ---------- */

typedef struct sim_hashset {
    uint64_t *slots; /* 0 = empty; a hash of 0 is stored as 1 */
    uint64_t capacity;
    uint64_t count;
} sim_hashset;

/* Inserts h; true when it was already there. (Out of memory: false, not kept.) */
bool sim_hashset_insert(sim_hashset *s, uint64_t h);
bool sim_hashset_contains(const sim_hashset *s, uint64_t h);
void sim_hashset_fini(sim_hashset *s);

/* ---- sleep sets (partial-order reduction of the exhaustive search) ------ */

#define SIM_POR_OPTIONS_MAX 64u /* NEXT choices with more options are not reduced */
#define SIM_POR_SLEEP_MAX 64u

/*
 * The search's memory of each branched choice point (by ordinal) and the
 * sleep set of the run in progress (sim_explore.c explains the method).
 */
typedef struct sim_por {
    uint64_t *done;      /* [ordinal] options explored there (a bit each) */
    uint64_t *asleep;    /* [ordinal] options asleep there */
    uint64_t *twin;      /* [ordinal] symmetry: options whose subtree is a twin's image there */
    uint8_t *reduced;    /* [ordinal] the masks above hold (a NEXT choice, <= 64 options) */
    uint32_t capacity;   /* ordinals */
    uint64_t sleep[SIM_POR_SLEEP_MAX]; /* keys (cm_option_footprint) asleep now */
    uint32_t sleep_count;
    uint64_t mark;       /* cm_world_step_count at the last NEXT choice */
    bool have_mark;
    uint32_t blocked_at; /* first ordinal where every option was asleep */
    bool symmetry;       /* skip options symmetric to a lower one (cm_world_options_symmetric) */
    uint64_t twins;      /* options skipped so (at choice points met first) */
} sim_por;

/* ---- schedules --------------------------------------------------------- */

typedef struct sim_choice_record {
    uint32_t pick;
    uint32_t count;
    uint8_t kind;
} sim_choice_record;

typedef struct sim_schedule {
    const uint32_t *follow; /* picks to replay; may be NULL */
    uint32_t follow_count;
    sim_choice_record *seen; /* every choice met, caller-owned storage */
    uint32_t seen_capacity;
    uint32_t seen_count;     /* may exceed capacity: then records stop */
    bool diverged;           /* a replayed pick was out of range */
    /* exhaustive search hooks */
    uint32_t branch_depth;   /* choices past this are not branched */
    sim_hashset *visited;    /* states seen (exhaustive search), or NULL */
    uint32_t pruned_at;      /* first ordinal below a state already seen */
    sim_por *por;            /* sleep sets (exhaustive search with reduction), or NULL */
    const struct cm_world *world;
} sim_schedule;

void sim_schedule_init(sim_schedule *s, const uint32_t *follow, uint32_t follow_count,
                       sim_choice_record *seen, uint32_t seen_capacity);
extern const cm_strategy sim_strategy_schedule;

/* Text form of a schedule: picks separated by '.', e.g. "0.2.1" ("" = fifo).
 * Returns the length needed (as snprintf). */
size_t sim_schedule_format(const sim_choice_record *seen, uint32_t count, char *buf, size_t cap);
size_t sim_schedule_format_picks(const uint32_t *picks, uint32_t count, char *buf, size_t cap);
/* Parses the text form into picks; returns false on a malformed string. */
bool sim_schedule_parse(const char *text, uint32_t *picks, uint32_t cap, uint32_t *count);

/* ---- exhaustive search ------------------------------------------------- */

/*
 * Runs one schedule: make a world for the scenario with `strategy`/`ctx`,
 * run it to the end, and return true when it passed. The explorer calls it
 * once per schedule. `user` is passed through.
 */
typedef bool (*sim_run_fn)(void *user, const cm_strategy *strategy, void *ctx);

typedef struct sim_exhaustive_limits {
    uint32_t depth_max;     /* choice points that are branched (at most 1024) */
    uint64_t schedules_max; /* runs */
    bool prune_states;      /* skip subtrees below a state already seen */
    bool stop_at_failure;
    bool reduce;            /* partial-order reduction: sleep sets over CM_CHOICE_NEXT */
    /*
     * With reduce: symmetry reduction too (sim_explore.c), for callers that
     * need only each step's set of outcomes, folded over the symmetric
     * processes' corresponding steps (sim_symmetry_fold). The run callback
     * must run worlds with track_symmetry. Runs are real runs, so a failure
     * found is real; but whole-run properties (event counts, orders, which
     * process did what) of the runs not made are not covered.
     */
    bool symmetry;
} sim_exhaustive_limits;

typedef struct sim_exhaustive_result {
    uint64_t schedules;        /* runs made */
    uint64_t failures;
    uint64_t states;           /* distinct states seen at choice points */
    uint64_t pruned;           /* runs whose subtree was cut by a seen state */
    uint64_t sleep_blocked;    /* reduce: runs that met a choice with every option asleep */
    uint64_t twins;            /* symmetry: options not branched as a twin's image */
    bool cut_by_depth;         /* some choice past depth_max had options */
    bool cut_by_schedules;     /* schedules_max was reached */
    bool complete;             /* every schedule within the bounds was run */
    /* the first failing schedule, as picks (valid when failures > 0) */
    uint32_t failing[1024];
    uint32_t failing_count;
} sim_exhaustive_result;

/*
 * Symmetry folding: rep[step] for the steps of a compiled configuration
 * (sim step i is op i - first_step of program `program`, sim_compile.c):
 * the step of the first process of its class (cm_world_config_symmetry) at
 * the same thread and operation, or the step itself. An explorer with
 * symmetry unions each step's outcomes over the steps of the same rep.
 * *moved (or NULL): how many steps have a rep other than themselves. False:
 * out of memory (then the search must not use symmetry).
 */
struct sim_scenario;
bool sim_symmetry_reps(const struct sim_scenario *sc, const cm_world_config *cfg, uint32_t *rep, uint32_t *moved);

/* Explores; allocation through malloc (sim/ may use libc). */
bool sim_explore_exhaustive(sim_run_fn run, void *user, const sim_exhaustive_limits *limits,
                            sim_exhaustive_result *out);

#endif /* SIM_EXPLORE_H */
