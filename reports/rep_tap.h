/*
 * rep_tap.h — results as TAP (version 13 by default: what `prove` and most
 * CI TAP consumers read; version 14 on request).
 *
 *   TAP version 13
 *   # portsim 0.1.0 run: backend model, seed 1, strategy fifo, profile scenario's own
 *   1..3
 *   ok 1 - send-echo-request-reply (scenarios/send/echo-request-reply.yaml:1, model)
 *   not ok 2 - timeouts-late-reply-dropped (scenarios/timeouts/late-reply-dropped.yaml:1, model)
 *     ---
 *     message: "send result: expected receive_timeout, observed success"
 *     severity: fail
 *     kind: expect
 *     at:
 *       file: "scenarios/timeouts/late-reply-dropped.yaml"
 *       line: 21
 *       column: 11
 *     expected: "receive_timeout"
 *     observed: "success"
 *     execution: 0
 *     time_ns: 101000000
 *     failures: (all of them, when more than one, each as above)
 *     backend: "model"
 *     seed: 1
 *     ...
 *     replay: "portsim run ..."
 *     ...
 *   ok 3 - naming-x (scenarios/naming/x.yaml:1, model) # SKIP reason
 *   # 1 passed, 1 failed, 1 skipped, 0 errors
 *
 * Skips are always "ok ... # SKIP reason" (prove counts "not ok # SKIP" as a
 * failure); load errors are "not ok" with severity "error". Descriptions
 * escape \ and # (TAP 14) and show other unsafe bytes as \xNN (rep_text.h);
 * they are capped at REP_TAP_DESCRIPTION_MAX characters. YAML values are
 * double-quoted strings (capped at REP_TAP_VALUE_MAX) or integers, and keys and numbers agree with
 * sim_json (execution is 0-based there too). No results: "1..0 # SKIP no scenarios".
 *
 * Two ways to write: rep_tap_write for a whole list (plan first), or, for
 * long runs that should stream, rep_tap_begin / rep_tap_result per result /
 * rep_tap_end (plan last, which TAP 14 allows).
 *
 * Version: the stream says "TAP version 13" by default. Perl's TAP::Harness
 * before 3.45 — `prove` on Debian 12 (3.44) — rejects "TAP version 14" as a
 * parse error and fails the whole run, even when every test passed; nothing
 * written here needs 14 (the YAML blocks are 13's, and a 13 parser reads
 * "\#" as text). options.version 14 heads the identical stream with 14,
 * for consumers that want it.
 *
 * Ownership: reads results only; no allocation beyond short scratch text.
 */
#ifndef REP_TAP_H
#define REP_TAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_json.h"
#include "sim_result.h"

#define REP_TAP_DESCRIPTION_MAX 300u
/*
 * YAML values are capped too: TAP::Parser's YAMLish reader (prove) gives
 * up on quoted strings past ~32K characters (a regex recursion limit).
 * The whole text is in the JSON and JUnit reports.
 */
#define REP_TAP_VALUE_MAX 4000u

typedef struct rep_tap_options {
    uint8_t version; /* 13 (default) or 14 */
} rep_tap_options;

rep_tap_options rep_tap_options_default(void);

typedef struct rep_tap {
    FILE *out;
    uint32_t written; /* test points so far */
    uint32_t passed;
    uint32_t failed;
    uint32_t skipped;
    uint32_t errors;
    bool plan_written;
} rep_tap;

/* The whole list: version, run comment, plan, points, summary comment. opt NULL: defaults. */
bool rep_tap_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count,
                   const rep_tap_options *opt);

/* Streaming: version and run comment now, one point per call, plan at the end. */
void rep_tap_begin(rep_tap *t, FILE *out, const sim_run_info *info, const rep_tap_options *opt);
void rep_tap_result(rep_tap *t, const sim_result *r);
/* Writes the plan (if not written yet) and the summary comment; false on a write error. */
bool rep_tap_end(rep_tap *t);

#endif /* REP_TAP_H */
