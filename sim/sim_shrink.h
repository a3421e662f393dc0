/*
 * sim_shrink.h — reduces a failing scenario to a smaller one that fails the
 * SAME way: what `portsim shrink` does, as a library call.
 *
 * "The same way" is the original's first failure, all three of:
 *   - the same check: failure kind and message ("send elapsed time"), and
 *     the same expected text;
 *   - at the same step of the original: the failing step (or, for a
 *     failure that is not about a step, the failure's position) is the same
 *     node of the original YAML tree, wherever the edits moved it;
 *   - with the same observed outcome class: for a step's check, what the
 *     failing execution returned (success, receive_timeout, killed...);
 *     for other checks the observed text, except for checks about time,
 *     whose observed duration may move (durations are what shrinks) but
 *     not cross its window: a call that returned too late stays too late.
 * So "expected exactly 20ms, observed 21ms" for a send that succeeded never
 * becomes "observed 0ns" for a send that now fails at once.
 *
 * Reductions, greedily, until a full pass changes nothing (or max_runs):
 *   - drop processes, threads, steps (thread programs, handlers,
 *     callbacks, timers, blocks), faults, expect_events entries, and step
 *     keys that are only expectations or labels;
 *   - shrink every duration by bisection to the smallest value that still
 *     fails the same way: towards the deadline boundary where it flips.
 * Every candidate is edited on the parsed tree (sim_yemit.h), loaded back
 * and run; only candidates that load and fail the same way are kept. The
 * output is renamed NAME-shrunk, its about: says what it was shrunk from
 * and what it still shows, and it is loaded and run once more before it is
 * handed back: a result with ok == true has been verified.
 */
#ifndef SIM_SHRINK_H
#define SIM_SHRINK_H

#include "sim_run.h"

typedef struct sim_shrink_options {
    sim_run_options run;   /* the seed, strategy and profile of the failure */
    uint64_t max_runs;     /* candidate runs at most */
    const char *out_name;  /* the output's file name, for the replay line in its header */
} sim_shrink_options;

typedef struct sim_shrink_result {
    bool ok;               /* text fails the same way (verified) */
    char error[320];       /* !ok: why ("does not fail with these options", ...) */
    char *text;            /* the smaller scenario (malloc'd), len bytes */
    size_t len;
    uint32_t steps_before;
    uint32_t steps_after;
    uint64_t runs;         /* candidate runs made */
    char *check;           /* the failure kept: "send elapsed time: expected exactly 20ms" */
    char *outcome;         /* its outcome class ("success"), or NULL */
    int8_t side;           /* an elapsed check: -1 too early, +1 too late, else 0 */
    uint32_t original_line; /* the failing step's line in the original */
    uint32_t line;          /* and in the output */
} sim_shrink_result;

/* Shrinks the scenario in file `path`; load errors go to diag. */
void sim_shrink_file(const char *path, const sim_shrink_options *opt, sim_shrink_result *out, sim_diag *diag);
void sim_shrink_result_free(sim_shrink_result *r);

#endif /* SIM_SHRINK_H */
