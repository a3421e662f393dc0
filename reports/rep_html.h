/*
 * rep_html.h — results as ONE self-contained HTML file: inline CSS and
 * inline SVG, no network, no fonts, no script (filtering is pure CSS:
 * checkboxes that hide passed / skipped scenarios).
 *
 * Layout:
 *   - header: tool, command and run options; totals
 *     ("N passed, N failed, N skipped, N errors");
 *   - a legend of the diagrams (in a <details>);
 *   - the summary table, one row per result in the given order: verdict,
 *     scenario (a link to its section), file:line, backend, seed, trace
 *     hash, virtual time;
 *   - a section per result (id "r1", "r2", ... by position), inside a
 *     <details> that is open for failures and errors: about, rules and run
 *     facts, the replay command, the failures (file:line:col, expected,
 *     observed, execution and time), the steps (line, op, where, label,
 *     executions, expectation, first observation; failed ones marked), and
 *     the sequence diagram (rep_diagram.h) when the result kept its
 *     observation (sim_run_options.keep_obs), else a sentence saying there
 *     is none and why.
 *
 * The file is polyglot: well-formed XML as well as HTML5 (every element
 * closed, attributes quoted, no named entities), so `xmllint --noout`
 * checks it. Deterministic: no clock, no wall times, no host names — the
 * same results give the same bytes (golden-testable). Every string from a
 * result is escaped (rep_text.h).
 *
 * Ownership: reads results only. Returns false on a write error.
 */
#ifndef REP_HTML_H
#define REP_HTML_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_json.h"
#include "sim_result.h"

typedef struct rep_html_options {
    const char *title;     /* NULL: "portsim report" */
    uint32_t max_rows;     /* rows drawn per diagram; 0: REP_DIAGRAM_MAX_ROWS_DEFAULT */
    bool diagrams;         /* draw sequence diagrams where results have obs (default true) */
    bool open_all;         /* every section expanded (default: failures and errors only) */
} rep_html_options;

rep_html_options rep_html_options_default(void);

/* opt NULL: rep_html_options_default(). */
bool rep_html_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count,
                    const rep_html_options *opt);

#endif /* REP_HTML_H */
