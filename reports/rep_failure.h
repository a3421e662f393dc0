/*
 * rep_failure.h — failures as text, the same words in every report.
 *
 * Human text follows the terminal output of `portsim run`
 * (file:line:col, "expected X, observed Y", execution numbers from 1);
 * machine fields (TAP's YAML) follow sim_json's names and meanings.
 *
 * Every function returns a malloc'd, unescaped string (the caller escapes
 * it for its format and frees it), or NULL when out of memory.
 */
#ifndef REP_FAILURE_H
#define REP_FAILURE_H

#include "sim_result.h"

/* "send result: expected receive_timeout, observed success" (message alone if neither). */
char *rep_failure_line(const sim_failure *f);
/*
 * The one-line summary of a result's problems: the first failure's line,
 * then " (and N more)"; a skip's reason; "" for a pass.
 */
char *rep_failure_summary(const sim_result *r);
/*
 * A failure in full, over several lines:
 *   FILE:LINE:COL: KIND: MESSAGE
 *     expected: X
 *     observed: Y
 *     at: execution N, t=T
 * (lines without content are left out).
 */
char *rep_failure_text(const sim_result *r, const sim_failure *f);

#endif /* REP_FAILURE_H */
