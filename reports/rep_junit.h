/*
 * rep_junit.h — results as JUnit XML, the de facto format Jenkins, GitLab
 * and the GitHub Actions reporters read (schema: reports/junit.xsd).
 *
 *   <testsuites name="portsim" tests failures errors skipped time>
 *     <testsuite name="model/timeouts" tests failures errors skipped time>
 *       <properties> backend, tool, command </properties>
 *       <testcase name="timeouts-late-reply-dropped" classname="portsim.model.timeouts"
 *                 file="scenarios/timeouts/late-reply-dropped.yaml" line="1" time="0.000120">
 *         <properties> seed, strategy, profile, trace_hash, event_count,
 *                      virtual_time_ns, virtual_time, end_reason, rules, replay </properties>
 *         <failure type="expect" message="first failure (and N more)">every failure,
 *           as file:line:col, expected, observed; then the replay command</failure>
 *         | <error type="load" ...>...</error> | <skipped message="reason"/>
 *       </testcase> ...
 *
 * Grouping: one testsuite per (backend, topic), the topic being the
 * scenario file's folder (scenarios/<topic>/x.yaml, as the corpus is laid
 * out); classname "portsim.<backend>.<topic>" (GitLab shows it as the
 * suite). Suites are ordered by backend then topic (bytewise); testcases
 * keep the order of `results` inside their suite. Names that repeat within a
 * classname (the same scenario under several seeds) get " [k/n seed=S]"
 * appended, since GitLab keeps only the first of equal names.
 *
 * Verdicts: fail -> <failure>, error -> <error> (load errors and runs that
 * could not start), skip -> <skipped message=reason>; pass has none. `time`
 * is the wall time in seconds (the only non-deterministic value; virtual
 * time is a property). Text is escaped per rep_text.h (no CDATA); message
 * attributes are capped at REP_JUNIT_MESSAGE_MAX characters, bodies are not.
 *
 * Ownership: reads results only; allocates a little scratch, freed before
 * returning. Returns false on a write error (or out of memory).
 */
#ifndef REP_JUNIT_H
#define REP_JUNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_json.h"
#include "sim_result.h"

#define REP_JUNIT_MESSAGE_MAX 480u

/* info: the run (sim_json's; its version and command go in suite properties). */
bool rep_junit_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count);

#endif /* REP_JUNIT_H */
