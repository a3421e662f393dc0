/*
 * sim_json.h — the versioned JSON form of a run's results: the single
 * source of truth other report formats can be derived from.
 *
 * Shape (schema_version 4; 3 added "census"; 4 added realtime "explain", steps' "observable"
 * and "observation"):
 *   {"schema_version": 4,
 *    "tool": {"name": "portsim", "version": "0.1.0"},
 *    "command": "run",
 *    "options": {"seed": 1, "strategy": "fifo", "profile": null | "ventura", "backend": "model",
 *                "model": null | {"seed": N, "explore": N, "max_latency_ns": N, "jitter_ns": N,
 *                "jitter_pct": X}}   (model: conform's model runs, sim_allowed.h),
 *    "summary": {"passed": N, "failed": N, "skipped": N, "errors": N},
 *    "scenarios": [
 *      {"id": "name" | null, "file": "...", "line": N, "column": N,
 *       "verdict": "pass" | "fail" | "skip" | "error", "skip_reason": "..." | null,
 *       "about": ... | null, "rules": ["R33", ...],
 *       "backend": "model", "seed": N, "strategy": "...", "profile": "...",
 *       "trace_hash": "0x0123456789abcdef" | null (a real run: none), "event_count": N,
 *       "virtual_time_ns": N, "end_reason": "quiescent", "wall_time_ns": N,
 *       "replay": "portsim run ...",
 *       "notes": ["..."]   (remarks that are not failures),
 *       "realtime": null (simulated, nothing to say) | {"runs": N, "failed_runs": N, "flaky": bool,
 *                    "timing_failures": N, "margin_ns": N | null, "margin_line": N | null,
 *                    "expected_failure": bool, "host_notes": ["..."],
 *                    "explain": null | {"verdict": "explained" | "not_found" | "diverged",
 *                    "text": "...", "replay": "portsim replay ..." | null}}   (portsim conform:
 *                    margin_ns is the signed distance of the closest call to one of its
 *                    deadlines; host_notes say how busy the host was; explain is the joint
 *                    check, sim_explain.h),
 *       "explore": null (not explored) | {"method": "random" | "pct" | "exhaustive",
 *                    "latency": bool, "runs": N, "failing_runs": N, "distinct_traces": N,
 *                    then for random and pct: "first_seed": N, "failing_seed": N | null;
 *                    for exhaustive: "states": N, "complete": bool, "cut_by_depth": bool,
 *                    "cut_by_schedules": bool},
 *       "census": null (no --census) | {"method": "random" | "pct" | "exhaustive", "latency": bool,
 *                    "strict": bool, "schedules": N, "account_runs": N, "account_jittered": N,
 *                    "unreached": N, "steps": [{"step": N, "line": N, "column": N, "op": "send",
 *                    "ran": N, "outcomes": [{"outcome": "success", "schedules": N, "allowed": bool,
 *                    "in_account": bool}]}]}   (explore --census: per step with more than one
 *                    allowed or reached outcome, the explored schedules that reached each;
 *                    in_account: conform's model runs reach it; unreached: allowed outcomes
 *                    reached by neither, sim_census.h),
 *       "failures": [{"kind": "expect" | "events" | "invariant" | "run" | "load",
 *                     "file": "...", "line": N, "column": N, "step": N | null,
 *                     "execution": N | null, "time_ns": N | null,
 *                     "message": "...", "expected": ... | null, "observed": ... | null}],
 *       "steps": [{"index": N, "op": "send", "where": "client/main", "label": ... | null,
 *                  "line": N, "column": N, "executions": N, "has_expect": bool,
 *                  "failed": bool, "observable": bool (false: a real backend cannot see its
 *                  outcome), "observed": "..." | null}],
 *       "observation": null | {"event_kinds": ["callout", ...] (those the backend observes),
 *                  "executions": [[step, process, thread, "returned" | "blocked" | "killed",
 *                  value, end_seq]], "events": [["callout", process, thread, msgid, code, seq]]}   (a real run's, when conform keeps it: --json or --html;
 *                  what `portsim explain` reads)}]}
 * Object keys always appear in this order; the trace hash is a string (64
 * bits do not fit a JSON number safely). Non-UTF-8 bytes are written as
 * \u00XX escapes so the output is always valid JSON. Written with base/'s
 * JSON writer (base_json.h, BASE_JSON_CHECK_UTF8).
 */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stdio.h>

#include "sim_allowed.h"
#include "sim_result.h"

#define SIM_JSON_SCHEMA_VERSION 4

typedef struct sim_run_info {
    const char *command;  /* "run" */
    const char *version;  /* the tool's version */
    uint64_t seed;
    const char *strategy;
    const char *profile;  /* NULL: each scenario's own */
    const char *backend;
    const sim_allowed_plan *model; /* conform: the model runs it judged by (what explain repeats), or NULL */
} sim_run_info;

/* Writes the document; returns false on a write error. */
bool sim_json_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count);

#endif /* SIM_JSON_H */
