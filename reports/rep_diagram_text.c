/*
 * rep_diagram_text.c — the words of a sequence diagram: lane names, the
 * label and tooltip of each call and event, and the colour class of a
 * call (see rep_diagram_text.h). Unescaped text into a base_buf; the
 * drawing escapes it.
 */
#include "rep_diagram_text.h"

#include <assert.h>
#include <stdlib.h>

#include "rep_failure.h"
#include "rep_text.h"
#include "sim_scenario.h"

/* ---- names -------------------------------------------------------------------- */

void dg_actor_name(const sim_result *r, uint16_t process, uint16_t thread, base_buf *b)
{
    if (process == DG_NO_ACTOR) {
        base_buf_puts(b, "(system)");
        return;
    }
    if (process >= r->process_count || r->process_names == NULL) {
        base_buf_printf(b, "p%u", process);
        if (thread != DG_NO_ACTOR) base_buf_printf(b, "/t%u", thread);
        return;
    }
    char *name = sim_result_actor_name(r, process, thread);
    base_buf_puts(b, name != NULL ? name : "?");
    free(name);
}

void dg_lane_name(const dg_layout *l, uint32_t lane, base_buf *b)
{
    assert(lane < l->lane_count);
    const dg_lane *ln = &l->lanes[lane];
    if (ln->overflow) {
        base_buf_puts(b, "(other actors)");
        return;
    }
    dg_actor_name(l->r, ln->process, ln->thread, b);
}

/* ---- calls -------------------------------------------------------------------------- */

static const char *exec_op(const sim_result *r, const sim_exec *e)
{
    return e->step < r->step_count && r->steps[e->step].op != NULL ? r->steps[e->step].op : NULL;
}

static sim_result_type exec_type(const sim_result *r, const sim_exec *e)
{
    const char *op = exec_op(r, e);
    return op != NULL ? sim_op_result_type(sim_op_by_keyword(op)) : SIM_RT_NONE;
}

const char *dg_exec_class(const sim_result *r, const sim_exec *e)
{
    if (e->outcome == SIM_OUTCOME_KILLED) return "c-killed";
    if (e->outcome != SIM_OUTCOME_RETURNED) return "c-blocked";
    switch (exec_type(r, e)) {
    case SIM_RT_STATUS:
        switch (e->value) {
        case 0: return "c-ok";
        case -1:
        case -2: return "c-timeout";
        case -3:
        case -5: return "c-invalid";
        default: return "c-error";
        }
    case SIM_RT_RUN:
        return "c-run";
    default:
        return "c-call";
    }
}

static void put_data(base_buf *b, const sim_data *d)
{
    switch (d->kind) {
    case SIM_DATA_BYTES:
        base_buf_quote_bytes(b, d->bytes, d->len, 64);
        break;
    case SIM_DATA_SIZE:
        base_buf_printf(b, "<%lld bytes>", (long long)d->size);
        break;
    default:
        base_buf_puts(b, "NULL");
        break;
    }
}

/* " → created", " → success", or nothing for ops without a result. */
static void put_result(const sim_result *r, const sim_exec *e, base_buf *b)
{
    if (e->outcome == SIM_OUTCOME_KILLED) {
        base_buf_puts(b, " \u2192 killed");
        return;
    }
    if (e->outcome != SIM_OUTCOME_RETURNED) {
        base_buf_puts(b, " \u2192 blocked at the end");
        return;
    }
    sim_result_type type = exec_type(r, e);
    char text[32];
    switch (type) {
    case SIM_RT_NONE:
    case SIM_RT_CALLBACK:
        return;
    case SIM_RT_NAME:
        base_buf_puts(b, " \u2192 ");
        put_data(b, &e->data);
        return;
    case SIM_RT_INFO:
        if (e->info == SIM_INFO_UNDEFINED) {
            base_buf_puts(b, " \u2192 undefined");
        } else {
            base_buf_printf(b, " \u2192 %lld", (long long)e->info);
        }
        return;
    default:
        base_buf_printf(b, " \u2192 %s", sim_result_text(type, e->value, text, sizeof text));
        return;
    }
}

void dg_exec_label(const sim_result *r, const sim_exec *e, base_buf *b)
{
    const char *op = exec_op(r, e);
    if (op != NULL) {
        base_buf_puts(b, op);
    } else {
        base_buf_printf(b, "step %u", e->step);
    }
    if (exec_type(r, e) == SIM_RT_STATUS && (e->convid != 0 || e->request >= 0)) base_buf_printf(b, " msgid %d", e->msgid);
    put_result(r, e, b);
    if (e->outcome == SIM_OUTCOME_RETURNED && e->end_ns > e->start_ns) {
        int64_t elapsed = (int64_t)((uint64_t)e->end_ns - (uint64_t)e->start_ns);
        char t[40];
        sim_format_duration(elapsed, t, sizeof t);
        base_buf_printf(b, " (%s)", t);
    }
}

static void put_time(base_buf *b, const char *before, int64_t ns)
{
    char t[40];
    sim_format_duration(ns, t, sizeof t);
    base_buf_printf(b, "%st=%s", before, t);
}

void dg_exec_title(const sim_result *r, const sim_exec *e, const sim_failure *failure, base_buf *b)
{
    dg_actor_name(r, e->process, e->thread, b);
    base_buf_puts(b, " \u00b7 ");
    dg_exec_label(r, e, b);
    if (e->step < r->step_count) {
        const sim_step_result *s = &r->steps[e->step];
        base_buf_printf(b, "\nstep %u at line %u, column %u", e->step, s->line, s->col);
        if (s->where != NULL) base_buf_printf(b, " (%s)", s->where);
        if (s->label != NULL) base_buf_printf(b, "\nlabel: %s", s->label);
    }
    put_time(b, "\nstarted ", e->start_ns);
    if (e->outcome == SIM_OUTCOME_RETURNED) {
        put_time(b, "; returned ", e->end_ns);
    } else if (e->outcome == SIM_OUTCOME_KILLED) {
        put_time(b, "; its process died ", e->end_ns);
    } else {
        put_time(b, "; still inside the call when the run ended at ", e->end_ns);
    }
    if (exec_type(r, e) == SIM_RT_STATUS && (e->convid != 0 || e->request >= 0)) {
        base_buf_printf(b, "\nmsgid %d, conversation %d", e->msgid, e->convid);
        if (e->request >= 0) base_buf_printf(b, ", request m%lld", (long long)e->request);
    }
    if (exec_type(r, e) == SIM_RT_STATUS && e->outcome == SIM_OUTCOME_RETURNED) {
        base_buf_puts(b, "\nreply: ");
        put_data(b, &e->data);
    }
    if (e->port != SIM_PORT_NONE) base_buf_printf(b, "\nport #%lld", (long long)e->port);
    if (failure != NULL) {
        char *line = rep_failure_line(failure);
        base_buf_printf(b, "\nFAILED: %s", line != NULL ? line : "");
        free(line);
    }
}

/* ---- events ----------------------------------------------------------------------------- */

/* " #3", or nothing when the port is not known. */
static void put_port(base_buf *b, int64_t port)
{
    if (port != SIM_PORT_NONE) base_buf_printf(b, " #%lld", (long long)port);
}

/* "port #3 died", "port died". */
static void port_then(base_buf *b, int64_t port, const char *what)
{
    base_buf_puts(b, "port");
    put_port(b, port);
    base_buf_puts(b, what);
}

void dg_event_label(const sim_event *e, base_buf *b)
{
    switch (e->kind) {
    case SIM_EV_START: base_buf_puts(b, "start"); break;
    case SIM_EV_CALLOUT: base_buf_printf(b, "callout msgid %d", e->msgid); break;
    case SIM_EV_CALLOUT_DONE: base_buf_puts(b, "callout returned"); break;
    case SIM_EV_INVALIDATION_CALLBACK:
        base_buf_puts(b, "invalidation callback");
        put_port(b, e->port);
        if (e->flags & SIM_EVF_VIA_SET) base_buf_puts(b, " (at once, R8)");
        break;
    case SIM_EV_CONTEXT_RETAIN: base_buf_puts(b, "context retain"); break;
    case SIM_EV_CONTEXT_RELEASE: base_buf_puts(b, "context release"); break;
    case SIM_EV_CONTEXT_COPY_DESCRIPTION: base_buf_puts(b, "context copyDescription"); break;
    case SIM_EV_ENQUEUE: base_buf_printf(b, "request msgid %d", e->msgid); break;
    case SIM_EV_SEND_BLOCKED: base_buf_puts(b, "send blocked: queue full"); break;
    case SIM_EV_REPLY_SENT:
        base_buf_puts(b, e->flags & SIM_EVF_DELIVERED ? "reply sent" : "reply sent, not delivered");
        break;
    case SIM_EV_REPLY_FILED: base_buf_puts(b, "reply received"); break;
    case SIM_EV_REPLY_DROPPED: base_buf_puts(b, "late reply dropped"); break;
    case SIM_EV_CORRUPT_REPLY_DROPPED: base_buf_puts(b, "corrupt reply dropped"); break;
    case SIM_EV_MESSAGE_DESTROYED: base_buf_puts(b, "request destroyed"); break;
    case SIM_EV_REQUEST_DROPPED: base_buf_printf(b, "request dropped (%s)", rep_drop_reason(e->code)); break;
    case SIM_EV_INVALIDATED: port_then(b, e->port, " invalid"); break;
    case SIM_EV_DEALLOC: port_then(b, e->port, " freed"); break;
    case SIM_EV_TIMER: base_buf_puts(b, "timer fired"); break;
    case SIM_EV_BLOCK: base_buf_puts(b, "dispatch block"); break;
    case SIM_EV_CRASH: base_buf_printf(b, "CRASH (%s)", rep_crash_reason(e->code)); break;
    case SIM_EV_EXIT: base_buf_puts(b, "exit"); break;
    case SIM_EV_WARNING: base_buf_printf(b, "warning: %s", sim_warning_name(e->code)); break;
    case SIM_EV_DEATH_NOTICE:
        base_buf_puts(b, "death notice");
        put_port(b, e->port);
        break;
    case SIM_EV_PORT_DIED: port_then(b, e->port, " died"); break;
    case SIM_EV_NAME_REGISTERED: base_buf_puts(b, "name registered"); break;
    case SIM_EV_NAME_RELEASED: base_buf_puts(b, "name released"); break;
    case SIM_EV_ANOMALY: base_buf_printf(b, "ANOMALY: %s", e->note != NULL ? e->note : "?"); break;
    default: base_buf_printf(b, "event %u", e->kind); break;
    }
}

void dg_event_title(const sim_result *r, const sim_event *e, base_buf *b)
{
    put_time(b, "", e->time_ns);
    base_buf_puts(b, " \u00b7 ");
    dg_actor_name(r, e->process, e->process == DG_NO_ACTOR ? DG_NO_ACTOR : e->thread, b);
    base_buf_puts(b, "\n");
    dg_event_label(e, b);
    base_buf_printf(b, "\nevent %s, seq %llu", sim_event_kind_name(e->kind), (unsigned long long)e->seq);
    if (e->port != SIM_PORT_NONE) base_buf_printf(b, ", port #%lld", (long long)e->port);
    if (e->msg >= 0) base_buf_printf(b, ", message m%lld", (long long)e->msg);
    if (e->convid != 0) base_buf_printf(b, ", conversation %d", e->convid);
    if (e->kind == SIM_EV_CALLOUT && (e->flags & SIM_EVF_DONE)) {
        base_buf_puts(b, "\nthe handler returned ");
        put_data(b, &e->data);
        if (!(e->flags & SIM_EVF_DELIVERED)) base_buf_puts(b, " (not delivered)");
    }
    if (e->step != SIM_NONE && e->step < r->step_count) {
        base_buf_printf(b, "\nstep %u at line %u", e->step, r->steps[e->step].line);
    }
}

void dg_arrow_title(const dg_layout *l, const dg_arrow *a, base_buf *b)
{
    const sim_event *from = &l->o->events[a->from];
    static const char *const what[] = {
        [DG_ARROW_REQUEST] = "request, delivered to a callout",
        [DG_ARROW_REPLY] = "reply, received by the sender",
        [DG_ARROW_LATE] = "late reply, dropped by the sender",
        [DG_ARROW_LOST] = "lost: never handled",
        [DG_ARROW_PENDING] = "request never delivered before the run ended",
        [DG_ARROW_UNDELIVERED] = "reply never received",
    };
    base_buf_printf(b, "message m%lld: %s", (long long)from->msg, what[a->kind]);
    if (from->kind == SIM_EV_ENQUEUE) base_buf_printf(b, "\nmsgid %d, conversation %d", from->msgid, from->convid);
    if (from->kind == SIM_EV_REPLY_SENT) base_buf_printf(b, "\nconversation %d", -from->convid);
    base_buf_puts(b, "\nfrom ");
    dg_actor_name(l->r, from->process, from->thread, b);
    put_time(b, " at ", from->time_ns);
    if (a->to != DG_NONE) {
        const sim_event *to = &l->o->events[a->to];
        base_buf_puts(b, "\nto ");
        dg_actor_name(l->r, to->process, to->process == DG_NO_ACTOR ? DG_NO_ACTOR : to->thread, b);
        put_time(b, " at ", to->time_ns);
        base_buf_puts(b, ": ");
        dg_event_label(to, b);
        if (l->event_row[a->to] == DG_NONE) base_buf_puts(b, " (past the drawing cap)");
    }
}
