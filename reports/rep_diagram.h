/*
 * rep_diagram.h — a run's observation (sim_obs) as an inline SVG sequence
 * diagram, in the style of Maelstrom's messages.svg and Jepsen's timeline:
 *
 *   - one lifeline per actor (a process's thread or dispatch worker; a
 *     process-level lane only for a process without thread activity; a
 *     "(system)" lane for events of no process, like a name released by the
 *     registry), grouped by process on alternating bands;
 *   - time runs down by row: one row per drawn record (a call, an event; a
 *     call that returns at once shares its row), in time order (the run's
 *     order, seq, for records at the same instant), so the axis never goes
 *     back; the new time in the left margin where it advances (the column
 *     is as wide as its longest label). The quiet time between rows is
 *     drawn to scale (DG_PX_PER_MS) up to DG_GAP_MAX; a longer gap is a
 *     compressed zigzag break with its length. The same rules for model and
 *     real runs: a 1ns race and a 10s timeout read equally well;
 *   - deadlines are brackets in a gutter left of the caller's lifeline,
 *     from when they start counting to when they expire (a send's send and
 *     receive deadlines, a run loop's for: limit, a wait_for's timeout, a
 *     timer's due times), dashed and open when the call returned first; the
 *     event (or deadline) that decided the call's status has a green ring
 *     and a "decided:" note; an event that could decide it at exactly a
 *     deadline is a tie: a red rule and a "TIE:" note;
 *   - calls are bars on their lane from start to return, nested calls (a
 *     callout inside a run loop, a handler's steps inside the callout) set
 *     to the right; a send's bar is coloured by its status: success blue,
 *     send/receive timeout orange, is/became invalid pink, transport error
 *     dark red; killed calls grey, calls still blocked at the end light pink
 *     and open to the bottom; a callout (handler running) is a pale yellow
 *     bar; a call a failure points at has a red outline and a ✗;
 *   - messages are arrows: a request from its enqueue to its callout (solid),
 *     a reply from reply_sent to reply_filed (dashed blue); a late reply
 *     dropped by the client (dashed orange), a request destroyed or dropped
 *     without a callout (pink), a reply never received end in ×; a request
 *     still queued at the end is a grey stub;
 *   - marks: invalidation callback (purple diamond), port invalid, crash
 *     (red × and a red rule across the process), exit (black rule), port
 *     death, warnings, anomalies, process start, context and name events;
 *   - every bar, arrow and mark has a <title> tooltip with the details;
 *   - past max_rows rows drawing stops with a visible orange note saying
 *     how many records were left out and up to what time.
 *
 * Output is deterministic (a function of the result; no clock) and uses
 * CSS classes: embed rep_diagram_css() once in the page that holds the
 * diagrams (rep_html.c does). All text is escaped (rep_text.h). Element ids
 * start with id_prefix so several diagrams can share one page.
 *
 * Ownership: reads r; scratch memory is freed before returning.
 */
#ifndef REP_DIAGRAM_H
#define REP_DIAGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_result.h"

#define REP_DIAGRAM_MAX_ROWS_DEFAULT 500u
#define REP_DIAGRAM_MAX_LANES 48u

/*
 * Writes the <svg> for r->obs. Returns false (writing nothing) when r->obs
 * is NULL or scratch memory ran out; I/O errors surface through ferror(out).
 * max_rows 0: REP_DIAGRAM_MAX_ROWS_DEFAULT. id_prefix: [A-Za-z0-9_-]*.
 */
bool rep_diagram_write(FILE *out, const sim_result *r, uint32_t max_rows, const char *id_prefix);

/*
 * Writes one <svg> of r's own run (r->obs) and r->beside's run side by side on one time axis: the
 * own run's lanes on the left ("real · server/main"), the other's on the right, a dashed rule
 * between them, each run's arrows, deadlines and decisions its own, failures on the own run, and
 * the calls with no equal outcome in the other run (r->beside's flags) outlined in violet with ≠.
 * False (writing nothing) when either observation is missing or memory ran out.
 */
bool rep_diagram_write_beside(FILE *out, const sim_result *r, uint32_t max_rows, const char *id_prefix);

/* The style sheet the diagrams' classes need (static text, no '<' or '&'). */
const char *rep_diagram_css(void);

#endif /* REP_DIAGRAM_H */
