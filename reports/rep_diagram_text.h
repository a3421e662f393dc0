/*
 * rep_diagram_text.h — the words of a sequence diagram (private to
 * reports/): lane names, call and event labels (short, drawn) and titles
 * (long, tooltips), and a call's colour class. Everything is appended,
 * unescaped, to a base_buf the caller owns; the drawing escapes it.
 */
#ifndef REP_DIAGRAM_TEXT_H
#define REP_DIAGRAM_TEXT_H

#include "rep_diagram_internal.h"
#include "sim_util.h"

/* "server/main", "server/worker2", "server" (process-level), "p3/t1", "(system)". */
void dg_actor_name(const sim_result *r, uint16_t process, uint16_t thread, base_buf *b);
void dg_lane_name(const dg_layout *l, uint32_t lane, base_buf *b);

/* "c-ok", "c-timeout", "c-invalid", "c-error" (sends); "c-run", "c-call"; "c-killed", "c-blocked". */
const char *dg_exec_class(const sim_result *r, const sim_exec *e);
/* "send msgid 7 → became_invalid (49ms)", "create_local → created", "sleep (300ms)". */
void dg_exec_label(const sim_result *r, const sim_exec *e, base_buf *b);
/* The label plus actor, step, times, message ids, reply and the failure (may be NULL). */
void dg_exec_title(const sim_result *r, const sim_exec *e, const sim_failure *failure, base_buf *b);

/* "reply sent", "CRASH (fault)", "invalidation callback #1 (at once, R8)". */
void dg_event_label(const sim_event *e, base_buf *b);
void dg_event_title(const sim_result *r, const sim_event *e, base_buf *b);
void dg_arrow_title(const dg_layout *l, const dg_arrow *a, base_buf *b);

#endif /* REP_DIAGRAM_TEXT_H */
