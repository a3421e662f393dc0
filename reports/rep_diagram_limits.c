/*
 * rep_diagram_limits.c — the deadlines of a sequence diagram and what
 * decided each call (see rep_diagram_internal.h, dg_limit, dg_decision).
 *
 * From each call's step (sim_step_result's t1_ns / t2_ns) and its
 * observation: a send's send deadline (start + send_timeout, floored to
 * the millisecond as CF does, R65) while it is sending, its receive
 * deadline (the request queued + recv_timeout, R32) while it waits, a run
 * loop's `for:` limit, a wait_for's timeout, a timer's due times. A
 * deadline "reached" while it mattered gets a row of its own when nothing
 * else happened at that instant, and its bracket ends there; one that was
 * not reached (the call returned first) ends open at the return. A tie is
 * an event that could decide the call (a reply, the port invalid, a crash,
 * the request queued, a callout) at exactly a deadline's time: the
 * outcome then depends on which same-instant event goes first.
 *
 * Events are searched through an index sorted by time, each query bounded
 * (DG_SCAN_MAX events), so a huge observation stays linear-ish.
 */
#include "rep_diagram_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rep_diagram_text.h"
#include "rep_text.h"

#define DG_SCAN_MAX 20000u /* events looked at per query */

typedef struct ev_index {
    const sim_obs *o;
    const uint32_t *order; /* event indices sorted by (time, seq, index): dg_layout.by_time */
    uint32_t n;
} ev_index;

typedef struct time_key {
    int64_t time_ns;
    uint64_t seq;
    uint32_t index;
} time_key;

static int time_key_cmp(const void *x, const void *y)
{
    const time_key *a = x, *b = y;
    if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* l->by_time: the events in time order; false when out of memory. */
static bool index_build(dg_layout *l)
{
    const sim_obs *o = l->o;
    time_key *keys = malloc(((size_t)o->event_count + 1) * sizeof *keys);
    l->by_time = malloc(((size_t)o->event_count + 1) * sizeof *l->by_time);
    if (keys == NULL || l->by_time == NULL) {
        free(keys);
        return false;
    }
    for (uint32_t i = 0; i < o->event_count; i++) {
        keys[i] = (time_key){.time_ns = o->events[i].time_ns, .seq = o->events[i].seq, .index = i};
    }
    qsort(keys, o->event_count, sizeof *keys, time_key_cmp);
    for (uint32_t i = 0; i < o->event_count; i++) l->by_time[i] = keys[i].index;
    free(keys);
    assert(o->event_count == 0 ||
           o->events[l->by_time[0]].time_ns <= o->events[l->by_time[o->event_count - 1]].time_ns);
    return true;
}

static ev_index index_of(const dg_layout *l)
{
    return (ev_index){.o = l->o, .order = l->by_time, .n = l->o->event_count};
}

/* The first position in the index whose event is at or after t. */
static uint32_t index_lower(const ev_index *ix, int64_t t)
{
    uint32_t lo = 0, hi = ix->n;
    while (lo < hi) { /* halves every pass */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ix->o->events[ix->order[mid]].time_ns < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    assert(lo <= ix->n);
    return lo;
}

/* ---- which steps have limits ------------------------------------------------------------ */

static bool op_is(const sim_result *r, const sim_exec *e, const char *keyword)
{
    return e->step < r->step_count && r->steps[e->step].op != NULL && strcmp(r->steps[e->step].op, keyword) == 0;
}

/* A duration that makes a deadline: positive, finite (0 waits not at all: no window to draw). */
static bool usable(int64_t ns)
{
    return ns > 0 && ns != CM_DURATION_FOREVER && ns != CM_DURATION_NAN && ns < CM_SEND_TIMEOUT_FOREVER_NS;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    return a + b;
}

/* The event at which a send queued its request (R32's "after the send"), or DG_NONE. */
static uint32_t find_enqueue(const dg_layout *l, const ev_index *ix, const sim_exec *e)
{
    bool ended = e->outcome == SIM_OUTCOME_RETURNED || e->outcome == SIM_OUTCOME_KILLED;
    uint32_t fallback = DG_NONE, scanned = 0;
    for (uint32_t k = index_lower(ix, e->start_ns); k < ix->n && scanned < DG_SCAN_MAX; k++, scanned++) {
        const sim_event *ev = &l->o->events[ix->order[k]];
        if (ev->time_ns > e->end_ns) break;
        if (ev->kind != SIM_EV_ENQUEUE || ev->seq < e->start_seq || (ended && ev->seq > e->end_seq)) continue;
        if (dg_run_of(l, ev->process) != dg_run_of(l, e->process)) continue;
        if (e->request >= 0 && ev->msg == e->request) return ix->order[k];
        if (fallback == DG_NONE && ev->process == e->process && ev->thread == e->thread && ev->msgid == e->msgid) {
            fallback = ix->order[k];
        }
    }
    return e->request >= 0 ? DG_NONE : fallback;
}

static bool same_conversation(const sim_exec *e, const sim_event *ev)
{
    return e->convid == 0 || ev->convid == 0 || ev->convid == e->convid || ev->convid == -e->convid;
}

/* Whether ev, at a deadline of e's, could have decided e's status. */
static bool could_decide(const dg_layout *l, const dg_limit *m, const sim_exec *e, const sim_event *ev)
{
    bool same_thread = ev->process == e->process && ev->thread == e->thread;
    switch (ev->kind) {
    case SIM_EV_REPLY_SENT:
    case SIM_EV_REPLY_FILED:
    case SIM_EV_REPLY_DROPPED:
    case SIM_EV_CORRUPT_REPLY_DROPPED:
        return m->kind == DG_LIMIT_RECV && same_conversation(e, ev);
    case SIM_EV_CALLOUT_DONE:
        return m->kind == DG_LIMIT_RECV || (m->kind == DG_LIMIT_RUN && same_thread);
    case SIM_EV_INVALIDATED:
    case SIM_EV_INVALIDATION_CALLBACK:
    case SIM_EV_PORT_DIED:
        return (m->kind == DG_LIMIT_SEND || m->kind == DG_LIMIT_RECV) &&
               (e->port == SIM_PORT_NONE || ev->port == e->port || ev->port == SIM_PORT_NONE);
    case SIM_EV_CRASH:
        return m->kind == DG_LIMIT_SEND || m->kind == DG_LIMIT_RECV;
    case SIM_EV_ENQUEUE:
        return m->kind == DG_LIMIT_SEND && (e->request < 0 || ev->msg == e->request) && ev->msgid == e->msgid;
    case SIM_EV_CALLOUT:
        return m->kind == DG_LIMIT_SEND || (m->kind == DG_LIMIT_RUN && same_thread);
    case SIM_EV_TIMER:
    case SIM_EV_BLOCK:
        return m->kind == DG_LIMIT_RUN && same_thread;
    default:
        (void)l;
        return false;
    }
}

/* Which of several same-instant events names a tie best (lower first): the reply itself. */
static uint32_t tie_rank(uint8_t kind)
{
    static const uint8_t order[] = {SIM_EV_REPLY_FILED, SIM_EV_REPLY_SENT, SIM_EV_REPLY_DROPPED,
                                    SIM_EV_CORRUPT_REPLY_DROPPED, SIM_EV_INVALIDATED, SIM_EV_PORT_DIED,
                                    SIM_EV_CRASH, SIM_EV_INVALIDATION_CALLBACK, SIM_EV_ENQUEUE, SIM_EV_CALLOUT,
                                    SIM_EV_TIMER, SIM_EV_BLOCK, SIM_EV_CALLOUT_DONE};
    for (uint32_t i = 0; i < sizeof order; i++) {
        if (order[i] == kind) return i;
    }
    return sizeof order;
}

/* An event exactly at m's deadline that could have decided its call, or DG_NONE. */
static uint32_t find_tie(const dg_layout *l, const ev_index *ix, const dg_limit *m)
{
    if (!m->reached || m->kind == DG_LIMIT_TIMER || m->kind == DG_LIMIT_WAIT) return DG_NONE;
    const sim_exec *e = &l->o->execs[m->exec];
    uint32_t scanned = 0, best = DG_NONE;
    for (uint32_t k = index_lower(ix, m->at_ns); k < ix->n && scanned < DG_SCAN_MAX; k++, scanned++) {
        const sim_event *ev = &l->o->events[ix->order[k]];
        if (ev->time_ns != m->at_ns) break;
        if (dg_run_of(l, ev->process) != dg_run_of(l, e->process) || !could_decide(l, m, e, ev)) continue;
        if (best == DG_NONE || tie_rank(ev->kind) < tie_rank(l->o->events[best].kind)) best = ix->order[k];
    }
    return best;
}

/* When the process of e dies (crash or exit) at or after t, or INT64_MAX. */
static int64_t death_after(const dg_layout *l, const ev_index *ix, const sim_exec *e, int64_t t)
{
    uint32_t scanned = 0;
    for (uint32_t k = index_lower(ix, t); k < ix->n && scanned < DG_SCAN_MAX; k++, scanned++) {
        const sim_event *ev = &l->o->events[ix->order[k]];
        if ((ev->kind == SIM_EV_CRASH || ev->kind == SIM_EV_EXIT) && ev->process == e->process) return ev->time_ns;
    }
    return INT64_MAX;
}

static dg_limit *add_limit(dg_layout *l, uint32_t exec, uint8_t kind, int64_t from_ns, int64_t at_ns,
                           int64_t watch_end_ns)
{
    dg_limit *m = &l->limits[l->limit_count++];
    bool reached = at_ns <= watch_end_ns;
    *m = (dg_limit){.exec = exec, .lane = l->exec_lane[exec], .kind = kind, .reached = reached,
                    .from_ns = from_ns, .at_ns = at_ns, .until_ns = reached ? at_ns : watch_end_ns,
                    .from_event = DG_NONE, .tie = DG_NONE, .row0 = DG_NONE, .row1 = DG_NONE};
    if (m->until_ns < m->from_ns) m->until_ns = m->from_ns; /* a return before its start (odd input) */
    return m;
}

/* A send's two windows: sending (send_timeout), then waiting for the reply (recv_timeout). */
static void send_limits(dg_layout *l, const ev_index *ix, uint32_t i)
{
    const sim_exec *e = &l->o->execs[i];
    const sim_step_result *s = &l->r->steps[e->step];
    uint32_t enq = find_enqueue(l, ix, e);
    bool sent = enq != DG_NONE || (e->outcome == SIM_OUTCOME_RETURNED &&
                                   (e->value == CM_SUCCESS || e->value == CM_RECEIVE_TIMEOUT ||
                                    e->value == CM_BECAME_INVALID));
    /* when it stopped sending: the request queued; sent without an enqueue seen (a real agent
     * reports none): as if at once, as conf_judge's margins assume; else it sent until the end */
    int64_t sent_ns = enq != DG_NONE ? l->o->events[enq].time_ns : sent ? e->start_ns : e->end_ns;
    int64_t send_ns = s->t1_ns / CM_NS_PER_MS * CM_NS_PER_MS; /* R65: 1ms resolution, floored */
    if (usable(s->t1_ns) && send_ns > 0) {
        add_limit(l, i, DG_LIMIT_SEND, e->start_ns, add_sat(e->start_ns, send_ns), sent_ns);
    }
    if (!s->two_way || !usable(s->t2_ns) || !sent) return; /* one-way, or it never got past sending */
    dg_limit *m = add_limit(l, i, DG_LIMIT_RECV, sent_ns, add_sat(sent_ns, s->t2_ns), e->end_ns);
    m->from_event = enq;
}

static void timer_limits(dg_layout *l, const ev_index *ix, uint32_t i, int64_t horizon_ns)
{
    const sim_exec *e = &l->o->execs[i];
    const sim_step_result *s = &l->r->steps[e->step];
    if (e->outcome != SIM_OUTCOME_RETURNED || s->t1_ns < 0 || s->t1_ns == CM_DURATION_FOREVER) return;
    int64_t end = death_after(l, ix, e, e->end_ns);
    if (end > horizon_ns) end = horizon_ns;
    int64_t due = add_sat(e->end_ns, s->t1_ns);
    for (uint32_t k = 0; k < DG_MAX_TIMER_TICKS && due <= end; k++) {
        dg_limit *m = add_limit(l, i, DG_LIMIT_TIMER, k == 0 ? e->end_ns : due, due, due);
        m->fire = k + 1;
        if (!usable(s->t2_ns)) break; /* once */
        due = add_sat(due, s->t2_ns);
    }
}

bool dg_limits_collect(dg_layout *l)
{
    const sim_obs *o = l->o;
    const sim_result *r = l->r;
    size_t cap = 1;
    for (uint32_t i = 0; i < o->exec_count; i++) cap += op_is(r, &o->execs[i], "add_timer") ? DG_MAX_TIMER_TICKS : 2;
    l->limits = malloc(cap * sizeof *l->limits);
    if (l->limits == NULL || !index_build(l)) return false;
    ev_index ix = index_of(l);
    int64_t horizon = o->end_ns;
    if (ix.n > 0 && o->events[ix.order[ix.n - 1]].time_ns > horizon) horizon = o->events[ix.order[ix.n - 1]].time_ns;
    for (uint32_t i = 0; i < o->exec_count; i++) {
        const sim_exec *e = &o->execs[i];
        if (e->step >= r->step_count || e->end_ns < e->start_ns) continue;
        const sim_step_result *s = &r->steps[e->step];
        if (op_is(r, e, "send")) {
            send_limits(l, &ix, i);
        } else if ((op_is(r, e, "run_loop") || op_is(r, e, "wait_for")) && usable(s->t1_ns)) {
            uint8_t kind = op_is(r, e, "run_loop") ? DG_LIMIT_RUN : DG_LIMIT_WAIT;
            add_limit(l, i, kind, e->start_ns, add_sat(e->start_ns, s->t1_ns), e->end_ns);
        } else if (op_is(r, e, "add_timer")) {
            timer_limits(l, &ix, i, horizon);
        }
    }
    for (uint32_t k = 0; k < l->limit_count; k++) l->limits[k].tie = find_tie(l, &ix, &l->limits[k]);
    assert(l->limit_count < cap);
    return true;
}

/* ---- after the rows: where each limit is drawn ---------------------------------------------- */

uint32_t dg_row_at(const dg_layout *l, int64_t t)
{
    uint32_t lo = 0, hi = l->row_count;
    while (lo < hi) { /* halves every pass */
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->rows[mid].time_ns < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < l->row_count ? lo : DG_NONE;
}

typedef struct slot_key {
    uint32_t row0;
    uint32_t limit;
} slot_key;

static int slot_key_cmp(const void *x, const void *y)
{
    const slot_key *a = x, *b = y;
    if (a->row0 != b->row0) return a->row0 < b->row0 ? -1 : 1;
    return a->limit < b->limit ? -1 : a->limit > b->limit;
}

/* Bracket columns: top to bottom, each bracket takes the column nearest the lifeline that is free
 * by its first row (a later timer due time is a tick: no column of its own). */
static void assign_slots(dg_layout *l)
{
    slot_key *keys = malloc(((size_t)l->limit_count + 1) * sizeof *keys);
    uint32_t n = 0;
    for (uint32_t k = 0; k < l->limit_count; k++) {
        l->limits[k].slot = 0;
        if (l->limits[k].row0 == DG_NONE || (l->limits[k].kind == DG_LIMIT_TIMER && l->limits[k].fire > 1)) continue;
        if (keys != NULL) keys[n++] = (slot_key){.row0 = l->limits[k].row0, .limit = k};
    }
    if (keys == NULL) return; /* out of memory: every bracket in the first column */
    qsort(keys, n, sizeof *keys, slot_key_cmp);
    static const uint32_t never = UINT32_MAX - 1; /* open to the bottom */
    uint32_t busy_until[REP_DIAGRAM_MAX_LANES][DG_MAX_SLOTS]; /* last row used, DG_NONE: free */
    memset(busy_until, 0xFF, sizeof busy_until);
    for (uint32_t i = 0; i < n; i++) {
        dg_limit *m = &l->limits[keys[i].limit];
        uint32_t slot = DG_MAX_SLOTS - 1;
        for (uint32_t c = 0; c < DG_MAX_SLOTS; c++) {
            if (busy_until[m->lane][c] == DG_NONE || busy_until[m->lane][c] < m->row0) {
                slot = c;
                break;
            }
        }
        m->slot = (uint8_t)slot;
        busy_until[m->lane][slot] = m->row1 != DG_NONE ? m->row1 : never;
    }
    free(keys);
}

void dg_limits_place(dg_layout *l)
{
    for (uint32_t k = 0; k < l->limit_count; k++) {
        dg_limit *m = &l->limits[k];
        uint32_t span = l->exec_span[m->exec];
        if (span == DG_NONE) continue; /* its call is past the cap */
        const dg_span *sp = &l->spans[span];
        if (m->kind == DG_LIMIT_TIMER) {
            m->row0 = m->fire == 1 ? sp->row0 : dg_row_at(l, m->from_ns);
        } else if (m->from_event != DG_NONE) {
            m->row0 = l->event_row[m->from_event];
        } else {
            m->row0 = sp->row0;
        }
        if (m->row0 == DG_NONE) continue;
        if (m->reached) {
            m->row1 = dg_row_at(l, m->at_ns); /* the first row at that instant: its own, or a tie's */
            if (m->row1 != DG_NONE && l->rows[m->row1].time_ns != m->at_ns) m->row1 = DG_NONE; /* past the cap */
        } else if (m->kind == DG_LIMIT_SEND && m->until_ns < l->o->execs[m->exec].end_ns) {
            m->row1 = dg_row_at(l, m->until_ns); /* it stopped sending: the request queued */
        } else {
            m->row1 = sp->row1; /* the return; DG_NONE: still blocked at the end */
        }
        if (m->row1 != DG_NONE && m->row1 < m->row0) m->row1 = m->row0;
    }
    assign_slots(l);
}

uint32_t dg_limit_x(const dg_layout *l, const dg_limit *m)
{
    assert(m->lane < l->lane_count);
    return dg_lane_x(l, m->lane) - 8 - m->slot * DG_BRACKET_PITCH;
}

/* ---- what decided a call ----------------------------------------------------------------------- */

static uint32_t limit_of(const dg_layout *l, uint32_t exec, uint8_t kind)
{
    for (uint32_t k = 0; k < l->limit_count; k++) { /* limits are in exec order: a short scan */
        if (l->limits[k].exec == exec && l->limits[k].kind == kind) return k;
        if (l->limits[k].exec > exec) break;
    }
    return DG_NONE;
}

/* The last drawn event of a kind within e's call (by time and seq) that matches it, preferring
 * e's own thread (R37: another thread's run loop may file the reply). */
static uint32_t last_event_in_call(const dg_layout *l, const sim_exec *e, uint8_t kind, bool by_port)
{
    ev_index ix = index_of(l);
    uint32_t best = DG_NONE, best_other = DG_NONE, scanned = 0;
    uint64_t end_seq = e->outcome == SIM_OUTCOME_RETURNED || e->outcome == SIM_OUTCOME_KILLED ? e->end_seq : UINT64_MAX;
    for (uint32_t k = index_lower(&ix, e->start_ns); k < ix.n && scanned < DG_SCAN_MAX; k++, scanned++) {
        uint32_t i = ix.order[k];
        const sim_event *ev = &l->o->events[i];
        if (ev->time_ns > e->end_ns) break;
        if (ev->kind != kind || ev->seq < e->start_seq || ev->seq > end_seq || l->event_row[i] == DG_NONE) continue;
        if (ev->process != e->process) continue;
        if (by_port && e->port != SIM_PORT_NONE && ev->port != e->port) continue;
        if (!by_port && !same_conversation(e, ev)) continue;
        if (kind == SIM_EV_ENQUEUE && e->request >= 0 && ev->msg != e->request) continue;
        if (ev->thread == e->thread) {
            best = i;
        } else {
            best_other = i;
        }
    }
    return best != DG_NONE ? best : best_other;
}

static dg_decision decide(const dg_layout *l, uint32_t i)
{
    const sim_exec *e = &l->o->execs[i];
    const sim_result *r = l->r;
    dg_decision d = {.exec = i, .event = DG_NONE, .limit = DG_NONE};
    if (e->outcome != SIM_OUTCOME_RETURNED || e->step >= r->step_count) return d;
    if (op_is(r, e, "send")) {
        switch (e->value) {
        case CM_SUCCESS:
            d.event = r->steps[e->step].two_way ? last_event_in_call(l, e, SIM_EV_REPLY_FILED, false)
                                                : last_event_in_call(l, e, SIM_EV_ENQUEUE, false);
            break;
        case CM_SEND_TIMEOUT: d.limit = limit_of(l, i, DG_LIMIT_SEND); break;
        case CM_RECEIVE_TIMEOUT: d.limit = limit_of(l, i, DG_LIMIT_RECV); break;
        case CM_BECAME_INVALID:
            d.event = last_event_in_call(l, e, SIM_EV_INVALIDATED, true);
            if (d.event == DG_NONE) d.event = last_event_in_call(l, e, SIM_EV_INVALIDATION_CALLBACK, true);
            break;
        default: break;
        }
    } else if (op_is(r, e, "run_loop") && e->value == CM_RUN_TIMED_OUT) {
        d.limit = limit_of(l, i, DG_LIMIT_RUN);
    } else if (op_is(r, e, "wait_for") && e->value == 0) {
        d.limit = limit_of(l, i, DG_LIMIT_WAIT);
    }
    return d;
}

bool dg_decisions_collect(dg_layout *l)
{
    const sim_obs *o = l->o;
    l->decisions = malloc(((size_t)o->exec_count + 1) * sizeof *l->decisions);
    if (l->decisions == NULL) return false;
    for (uint32_t i = 0; i < o->exec_count; i++) {
        if (l->exec_span[i] == DG_NONE) continue;
        dg_decision d = decide(l, i);
        if (d.limit != DG_NONE && (!l->limits[d.limit].reached || l->limits[d.limit].row1 == DG_NONE)) {
            d.limit = DG_NONE; /* a timeout whose deadline is not drawn (odd input, or past the cap) */
        }
        if (d.limit != DG_NONE) l->limits[d.limit].decided = true;
        if (d.event != DG_NONE || d.limit != DG_NONE) l->decisions[l->decision_count++] = d;
    }
    assert(l->decision_count <= o->exec_count);
    return true;
}

/* ---- words -------------------------------------------------------------------------------------- */

static const char *limit_noun(uint8_t kind)
{
    switch (kind) {
    case DG_LIMIT_SEND: return "send deadline";
    case DG_LIMIT_RECV: return "recv deadline";
    case DG_LIMIT_RUN: return "run_loop limit";
    case DG_LIMIT_WAIT: return "wait_for timeout";
    default: return "timer due";
    }
}

void dg_limit_label(const dg_layout *l, const dg_limit *m, base_buf *b)
{
    char t[40];
    if (m->kind == DG_LIMIT_TIMER) { /* which add_timer: its line */
        const sim_exec *e = &l->o->execs[m->exec];
        base_buf_printf(b, "timer line %u due", e->step < l->r->step_count ? l->r->steps[e->step].line : 0);
        if (m->fire > 1) base_buf_printf(b, " #%u", m->fire);
    } else {
        base_buf_puts(b, limit_noun(m->kind));
    }
    base_buf_printf(b, " %s", rep_duration(m->at_ns, t, sizeof t));
    if (!m->reached) base_buf_puts(b, m->kind == DG_LIMIT_SEND ? " (sent in time)" : " (not reached)");
}

/* "reply received", "port invalid", "CRASH": the short name of an event that can tie. */
static void event_noun(const sim_event *ev, base_buf *b)
{
    switch (ev->kind) {
    case SIM_EV_ENQUEUE: base_buf_puts(b, "request queued"); break;
    case SIM_EV_CALLOUT: base_buf_puts(b, "callout"); break;
    case SIM_EV_CALLOUT_DONE: base_buf_puts(b, "handler returned"); break;
    case SIM_EV_INVALIDATED: base_buf_puts(b, "port invalid"); break;
    case SIM_EV_INVALIDATION_CALLBACK: base_buf_puts(b, "invalidation callback"); break;
    case SIM_EV_PORT_DIED: base_buf_puts(b, "port died"); break;
    case SIM_EV_CRASH: base_buf_puts(b, "crash"); break;
    default: dg_event_label(ev, b); break;
    }
}

void dg_tie_label(const dg_layout *l, const dg_limit *m, base_buf *b)
{
    if (m->tie == DG_NONE) return;
    base_buf_puts(b, "TIE: ");
    event_noun(&l->o->events[m->tie], b);
    base_buf_printf(b, " at the %s", limit_noun(m->kind));
}

void dg_decision_label(const dg_layout *l, const dg_decision *d, base_buf *b)
{
    base_buf_puts(b, "decided: ");
    if (d->limit != DG_NONE) {
        base_buf_puts(b, limit_noun(l->limits[d->limit].kind));
    } else {
        event_noun(&l->o->events[d->event], b);
    }
}
