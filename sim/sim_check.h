/*
 * sim_check.h — checks what a run observed (sim_obs.h) against a
 * scenario: each step's expect:, the scenario's expect_events:, and the
 * always-on invariants:
 *   - an invalidation callback runs at most once per port (R52; the
 *     immediate call of SetInvalidationCallBack on an invalid port, R8,
 *     does not count);
 *   - no callout runs on a port after it became invalid (R44, R50c);
 *   - every send returns exactly once, or is still blocked at the end,
 *     which is only fine when its step says `expect: blocked`;
 *   - no reply is matched to the wrong request: a send's reply is what a
 *     callout for its own conversation id returned (R34, R35).
 * It never looks at the core, so a conformance backend can reuse it.
 *
 * Ownership: reads sc and obs; appends failures and step summaries to res.
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include "sim_obs.h"
#include "sim_result.h"
#include "sim_scenario.h"

/* Fills res->steps (one per scenario step) and appends every failure. */
void sim_check(const sim_scenario *sc, const sim_obs *obs, sim_result *res);

/* As sim_check; with SIM_CHECK_NO_STEPS the per-step summaries (res->steps)
 * are left out: explorers that only need the verdict and failures. */
#define SIM_CHECK_NO_STEPS 0x1u
void sim_check_ex(const sim_scenario *sc, const sim_obs *obs, sim_result *res, uint32_t flags);

/* Text of one execution ("success reply=\"hi\" elapsed=3ms"); malloc'd. */
char *sim_exec_describe(const sim_scenario *sc, const sim_exec *e);

#endif /* SIM_CHECK_H */
