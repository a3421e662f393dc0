/*
 * rep_diagram_layout.c — where everything of a sequence diagram goes (see
 * rep_diagram_internal.h): lanes from the actors seen, one ordered list of
 * records (call starts, call ends, events, and deadlines reached) sorted by
 * time, the run's order (seq) breaking ties, rows assigned in that order
 * with the quiet time between them drawn to scale up to DG_GAP_MAX and as
 * a break past it, call bars nested per lane, message arrows matched by
 * message id, and the widths (time labels, bracket gutters) measured from
 * the labels. Deterministic: every sort has a total order.
 */
#include "rep_diagram_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rep_text.h"
#include "sim_scenario.h"

uint32_t dg_lane_x(const dg_layout *l, uint32_t lane)
{
    assert(lane <= l->lane_count);
    if (lane < l->lane_count) return l->lane_x[lane];
    return lane == 0 ? l->axis_w + DG_LANE_PAD : l->lane_x[lane - 1] + DG_LANE_W;
}

uint32_t dg_span_end_y(const dg_layout *l, const dg_span *s)
{
    if (s->row1 == DG_NONE) return l->bottom_y;
    return l->rows[s->row1].y + DG_ROW_H / 3;
}

/* ---- lanes -------------------------------------------------------------------- */

static uint32_t lane_key(uint16_t process, uint16_t thread)
{
    return (uint32_t)process << 16 | thread;
}

static int u32_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Distinct (process, thread) keys of every record, sorted; *n of them. */
static uint32_t *actor_keys(const sim_obs *o, uint32_t *n)
{
    uint32_t total = o->exec_count + o->event_count;
    uint32_t *keys = malloc(((size_t)total + 1) * sizeof *keys);
    if (keys == NULL) return NULL;
    for (uint32_t i = 0; i < o->exec_count; i++) keys[i] = lane_key(o->execs[i].process, o->execs[i].thread);
    for (uint32_t i = 0; i < o->event_count; i++) {
        const sim_event *e = &o->events[i];
        uint16_t thread = e->process == DG_NO_ACTOR ? DG_NO_ACTOR : e->thread;
        keys[o->exec_count + i] = lane_key(e->process, thread);
    }
    qsort(keys, total, sizeof *keys, u32_cmp);
    uint32_t unique = 0;
    for (uint32_t i = 0; i < total; i++) {
        if (unique == 0 || keys[unique - 1] != keys[i]) keys[unique++] = keys[i];
    }
    *n = unique;
    return keys;
}

/* A process-level key is a lane only when its process has no thread lane. */
static bool process_has_threads(const uint32_t *keys, uint32_t n, uint16_t process)
{
    for (uint32_t i = 0; i < n; i++) {
        if (keys[i] >> 16 == process && (keys[i] & 0xFFFFu) != DG_NO_ACTOR) return true;
    }
    return false;
}

static bool collect_lanes(dg_layout *l)
{
    uint32_t n = 0;
    uint32_t *keys = actor_keys(l->o, &n);
    if (keys == NULL) return false;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t process = (uint16_t)(keys[i] >> 16), thread = (uint16_t)(keys[i] & 0xFFFFu);
        if (thread == DG_NO_ACTOR && process != DG_NO_ACTOR && process_has_threads(keys, n, process)) continue;
        if (l->lane_count == REP_DIAGRAM_MAX_LANES - 1 && i + 1 < n) {
            l->lanes[l->lane_count++] = (dg_lane){.process = DG_NO_ACTOR, .thread = DG_NO_ACTOR,
                                                  .overflow = true};
            break;
        }
        l->lanes[l->lane_count++] = (dg_lane){.process = process, .thread = thread};
    }
    free(keys);
    assert(l->lane_count <= REP_DIAGRAM_MAX_LANES);
    return true;
}

/* The lane of a record of (process, thread). */
static uint32_t find_lane(const dg_layout *l, uint16_t process, uint16_t thread)
{
    uint32_t fallback = DG_NONE;
    for (uint32_t i = 0; i < l->lane_count; i++) {
        const dg_lane *lane = &l->lanes[i];
        if (lane->overflow) return fallback != DG_NONE ? fallback : i;
        if (lane->process != process) continue;
        if (process == DG_NO_ACTOR || lane->thread == thread) return i;
        if (thread == DG_NO_ACTOR && fallback == DG_NONE) fallback = i; /* the process's first lane */
    }
    return fallback != DG_NONE ? fallback : 0;
}

static bool assign_lanes(dg_layout *l)
{
    const sim_obs *o = l->o;
    l->exec_lane = malloc(((size_t)o->exec_count + 1) * sizeof *l->exec_lane);
    l->event_lane = malloc(((size_t)o->event_count + 1) * sizeof *l->event_lane);
    if (l->exec_lane == NULL || l->event_lane == NULL) return false;
    for (uint32_t i = 0; i < o->exec_count; i++) {
        l->exec_lane[i] = find_lane(l, o->execs[i].process, o->execs[i].thread);
    }
    for (uint32_t i = 0; i < o->event_count; i++) {
        const sim_event *e = &o->events[i];
        l->event_lane[i] = find_lane(l, e->process, e->process == DG_NO_ACTOR ? DG_NO_ACTOR : e->thread);
    }
    return true;
}

/* ---- records in run order -------------------------------------------------------- */

static int item_cmp(const void *x, const void *y)
{
    const dg_item *a = x, *b = y;
    if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns ? -1 : 1; /* a monotonic axis */
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;                 /* ties: the run's order */
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    return a->ref < b->ref ? -1 : a->ref > b->ref;
}

static bool collect_items(dg_layout *l)
{
    const sim_obs *o = l->o;
    size_t cap = (size_t)o->exec_count * 2 + o->event_count + l->limit_count + 1;
    l->items = malloc(cap * sizeof *l->items);
    if (l->items == NULL) return false;
    for (uint32_t i = 0; i < o->exec_count; i++) {
        const sim_exec *e = &o->execs[i];
        l->items[l->item_count++] = (dg_item){.time_ns = e->start_ns, .seq = e->start_seq, .ref = i,
                                              .type = DG_ITEM_START};
        bool ended = e->outcome == SIM_OUTCOME_RETURNED || e->outcome == SIM_OUTCOME_KILLED;
        if (ended) {
            l->items[l->item_count++] = (dg_item){.time_ns = e->end_ns, .seq = e->end_seq, .ref = i,
                                                  .type = DG_ITEM_END};
        }
    }
    for (uint32_t i = 0; i < o->event_count; i++) {
        l->items[l->item_count++] = (dg_item){.time_ns = o->events[i].time_ns, .seq = o->events[i].seq, .ref = i,
                                              .type = DG_ITEM_EVENT};
    }
    /* a deadline reached comes after everything else at its instant: it only makes a row of its own
     * when nothing else happened then */
    for (uint32_t i = 0; i < l->limit_count; i++) {
        if (!l->limits[i].reached) continue;
        l->items[l->item_count++] = (dg_item){.time_ns = l->limits[i].at_ns, .seq = UINT64_MAX, .ref = i,
                                              .type = DG_ITEM_LIMIT};
    }
    qsort(l->items, l->item_count, sizeof *l->items, item_cmp);
    assert(l->item_count <= cap);
    return true;
}

static int64_t item_time(const dg_layout *l, const dg_item *it)
{
    (void)l;
    return it->time_ns;
}

/* ---- rows ------------------------------------------------------------------------ */

/* Whether an item shares the current row instead of starting one. */
static bool joins_row(const dg_layout *l, uint32_t index, uint64_t row_seq)
{
    const dg_item *it = &l->items[index];
    if (l->row_count == 0) return false;
    if (it->seq == row_seq) return true;
    if (item_time(l, it) != l->rows[l->row_count - 1].time_ns) return false; /* time moved: a new row */
    if (l->rows[l->row_count - 1].limit_only) return false;
    const dg_item *prev = &l->items[index - 1];
    if (it->type == DG_ITEM_END && prev->type == DG_ITEM_START && prev->ref == it->ref) return true; /* instant */
    return it->type == DG_ITEM_EVENT && l->o->events[it->ref].kind == SIM_EV_CALLOUT_DONE;
}

/* The space above a row for dt of quiet time: to scale up to DG_GAP_MAX, then a break. */
static uint32_t gap_px(int64_t dt_ns, bool *brk)
{
    *brk = false;
    if (dt_ns <= 0) return 0;
    int64_t px = dt_ns / (CM_NS_PER_MS / DG_PX_PER_MS);
    if (px > (int64_t)DG_GAP_MAX) {
        *brk = true;
        return DG_BREAK_H;
    }
    return px < (int64_t)DG_GAP_MIN ? DG_GAP_MIN : (uint32_t)px;
}

static void add_row(dg_layout *l, int64_t time_ns, bool limit_only)
{
    assert(l->row_count < l->max_rows);
    dg_row *row = &l->rows[l->row_count];
    const dg_row *prev = l->row_count > 0 ? &l->rows[l->row_count - 1] : NULL;
    *row = (dg_row){.time_ns = time_ns, .limit_only = limit_only};
    row->new_time = prev == NULL || prev->time_ns != time_ns;
    row->repeat_names = prev != NULL && l->row_count % DG_REPEAT_EVERY == 0;
    uint32_t y = prev == NULL ? DG_HEAD_H + DG_ROW_H / 2 : prev->y + DG_ROW_H;
    if (prev != NULL && row->new_time) {
        /* odd input can go back in time within one seq group: never draw that as a gap */
        row->gap_ns = time_ns > prev->time_ns ? (int64_t)((uint64_t)time_ns - (uint64_t)prev->time_ns) : 0;
        row->gap_px = gap_px(row->gap_ns, &row->brk);
        y += row->gap_px;
    }
    if (row->repeat_names) y += DG_REPEAT_H;
    row->y = y;
    l->row_count++;
}

static void leave_out(dg_layout *l, const dg_item *it)
{
    if (it->type == DG_ITEM_END || it->type == DG_ITEM_LIMIT) return; /* its start was counted; not a record */
    int64_t t = item_time(l, it);
    if (l->left_out == 0) l->left_out_first_ns = t;
    l->left_out_last_ns = t;
    l->left_out++;
}

/* ---- spans (call bars) ------------------------------------------------------------- */

static uint32_t push_span(dg_layout *l, uint32_t lane, uint32_t row, uint32_t ref, bool callout)
{
    uint32_t depth = l->stack_depth[lane];
    dg_span *s = &l->spans[l->span_count];
    *s = (dg_span){.lane = lane, .depth = depth < DG_MAX_DRAWN_DEPTH ? depth : DG_MAX_DRAWN_DEPTH,
                   .row0 = row, .row1 = DG_NONE, .ref = ref, .callout = callout,
                   .differs = !callout && l->pair.differs != NULL && l->pair.differs[ref] != 0};
    if (depth < DG_MAX_STACK) l->stack[lane][l->stack_depth[lane]++] = l->span_count;
    return l->span_count++;
}

/* Removes stack entry k of a lane (the span ends at row). */
static void close_at(dg_layout *l, uint32_t lane, uint32_t k, uint32_t row)
{
    uint32_t *stack = l->stack[lane];
    l->spans[stack[k]].row1 = row;
    memmove(&stack[k], &stack[k + 1], (l->stack_depth[lane] - k - 1) * sizeof *stack);
    l->stack_depth[lane]--;
}

static void close_span(dg_layout *l, uint32_t span, uint32_t row)
{
    uint32_t lane = l->spans[span].lane;
    for (uint32_t k = l->stack_depth[lane]; k > 0; k--) {
        if (l->stack[lane][k - 1] == span) {
            close_at(l, lane, k - 1, row);
            return;
        }
    }
    l->spans[span].row1 = row; /* deeper than the stack tracks */
}

static void close_callout(dg_layout *l, uint32_t lane, uint32_t row)
{
    for (uint32_t k = l->stack_depth[lane]; k > 0; k--) {
        if (l->spans[l->stack[lane][k - 1]].callout) {
            close_at(l, lane, k - 1, row);
            return;
        }
    }
}

/* A process died or exited: its callouts end here (its calls end through their END records). */
static void close_process(dg_layout *l, uint16_t process, uint32_t row)
{
    for (uint32_t lane = 0; lane < l->lane_count; lane++) {
        if (l->lanes[lane].process != process || l->lanes[lane].overflow) continue;
        for (uint32_t k = l->stack_depth[lane]; k > 0; k--) {
            if (l->spans[l->stack[lane][k - 1]].callout) close_at(l, lane, k - 1, row);
        }
    }
}

static void place_event(dg_layout *l, uint32_t index, uint32_t row)
{
    const sim_event *e = &l->o->events[index];
    uint32_t lane = l->event_lane[index];
    l->event_row[index] = row;
    l->event_depth[index] = l->stack_depth[lane];
    switch (e->kind) {
    case SIM_EV_CALLOUT:
        push_span(l, lane, row, index, true);
        break;
    case SIM_EV_CALLOUT_DONE:
        close_callout(l, lane, row);
        break;
    case SIM_EV_CRASH:
    case SIM_EV_EXIT:
        if (e->process != DG_NO_ACTOR) close_process(l, e->process, row);
        break;
    default:
        break;
    }
}

static void place_item(dg_layout *l, const dg_item *it, uint32_t row)
{
    switch (it->type) {
    case DG_ITEM_START:
        l->exec_span[it->ref] = push_span(l, l->exec_lane[it->ref], row, it->ref, false);
        break;
    case DG_ITEM_END:
        if (l->exec_span[it->ref] != DG_NONE) close_span(l, l->exec_span[it->ref], row);
        break;
    default:
        place_event(l, it->ref, row);
        break;
    }
}

static void assign_rows(dg_layout *l)
{
    uint64_t row_seq = 0;
    for (uint32_t i = 0; i < l->item_count; i++) {
        const dg_item *it = &l->items[i];
        if (l->truncated) {
            leave_out(l, it);
            continue;
        }
        if (it->type == DG_ITEM_LIMIT) { /* a row of its own only when nothing else is at its instant */
            if (l->row_count > 0 && l->rows[l->row_count - 1].time_ns == it->time_ns) continue;
            if (l->row_count == l->max_rows) continue; /* past the cap: the next record says so */
            add_row(l, it->time_ns, true);
            row_seq = UINT64_MAX;
            continue;
        }
        if (!joins_row(l, i, row_seq)) {
            if (l->row_count == l->max_rows) {
                l->truncated = true;
                leave_out(l, it);
                continue;
            }
            add_row(l, item_time(l, it), false);
            row_seq = it->seq;
        }
        place_item(l, it, l->row_count - 1);
    }
    uint32_t last_y = l->row_count > 0 ? l->rows[l->row_count - 1].y : DG_HEAD_H;
    l->bottom_y = last_y + DG_ROW_H;
}

/* ---- failures onto calls ------------------------------------------------------------ */

/* The first failure naming this call's step (and its execution, or every execution). */
static void mark_failures(dg_layout *l)
{
    const sim_result *r = l->r;
    uint32_t steps = r->step_count;
    if (r->failure_count == 0 || steps == 0) return;
    uint32_t *seen = calloc((size_t)steps + 1, sizeof *seen); /* executions of each step so far */
    if (seen == NULL) return;
    for (uint32_t i = 0; i < l->o->exec_count; i++) {
        uint32_t step = l->o->execs[i].step;
        if (step >= steps || dg_run_of(l, l->o->execs[i].process) != 0) continue; /* the result's own run */
        uint32_t execution = seen[step]++;
        if (l->exec_span[i] == DG_NONE) continue;
        for (uint32_t k = 0; k < r->failure_count; k++) {
            const sim_failure *f = &r->failures[k];
            if (f->step == step && (f->execution == SIM_RESULT_NONE || f->execution == execution)) {
                l->spans[l->exec_span[i]].failure = f;
                break;
            }
        }
    }
    free(seen);
}

/* ---- message arrows --------------------------------------------------------------------- */

typedef struct msg_ref {
    uint8_t cls; /* 1 request, 2 reply */
    uint8_t run; /* a pair: message ids are each run's own */
    int64_t msg;
    uint64_t seq;
    uint32_t event;
} msg_ref;

static uint8_t msg_class(uint8_t kind)
{
    switch (kind) {
    case SIM_EV_ENQUEUE:
    case SIM_EV_CALLOUT:
    case SIM_EV_REQUEST_DROPPED:
    case SIM_EV_MESSAGE_DESTROYED:
        return 1;
    case SIM_EV_REPLY_SENT:
    case SIM_EV_REPLY_FILED:
    case SIM_EV_REPLY_DROPPED:
    case SIM_EV_CORRUPT_REPLY_DROPPED:
        return 2;
    default:
        return 0;
    }
}

static int msg_cmp(const void *x, const void *y)
{
    const msg_ref *a = x, *b = y;
    if (a->cls != b->cls) return a->cls < b->cls ? -1 : 1;
    if (a->run != b->run) return a->run < b->run ? -1 : 1;
    if (a->msg != b->msg) return a->msg < b->msg ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return a->event < b->event ? -1 : a->event > b->event;
}

/* The first event of a kind in a group, or DG_NONE. */
static uint32_t first_of(const dg_layout *l, const msg_ref *group, uint32_t n, uint8_t kind)
{
    for (uint32_t i = 0; i < n; i++) {
        if (l->o->events[group[i].event].kind == kind) return group[i].event;
    }
    return DG_NONE;
}

static void arrow_for_group(dg_layout *l, const msg_ref *g, uint32_t n)
{
    bool request = g[0].cls == 1;
    uint32_t from = first_of(l, g, n, request ? SIM_EV_ENQUEUE : SIM_EV_REPLY_SENT);
    if (from == DG_NONE) return;
    static const uint8_t request_ends[][2] = {{SIM_EV_CALLOUT, DG_ARROW_REQUEST},
                                              {SIM_EV_REQUEST_DROPPED, DG_ARROW_LOST},
                                              {SIM_EV_MESSAGE_DESTROYED, DG_ARROW_LOST}};
    static const uint8_t reply_ends[][2] = {{SIM_EV_REPLY_FILED, DG_ARROW_REPLY},
                                            {SIM_EV_REPLY_DROPPED, DG_ARROW_LATE},
                                            {SIM_EV_CORRUPT_REPLY_DROPPED, DG_ARROW_LOST}};
    const uint8_t(*ends)[2] = request ? request_ends : reply_ends;
    dg_arrow *a = &l->arrows[l->arrow_count++];
    *a = (dg_arrow){.from = from, .to = DG_NONE, .kind = request ? DG_ARROW_PENDING : DG_ARROW_UNDELIVERED};
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t to = first_of(l, g, n, ends[k][0]);
        if (to != DG_NONE) {
            a->to = to;
            a->kind = ends[k][1];
            return;
        }
    }
}

static bool match_messages(dg_layout *l)
{
    const sim_obs *o = l->o;
    msg_ref *refs = malloc(((size_t)o->event_count + 1) * sizeof *refs);
    l->arrows = malloc(((size_t)o->event_count + 1) * sizeof *l->arrows);
    if (refs == NULL || l->arrows == NULL) {
        free(refs);
        return false;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->event_count; i++) {
        const sim_event *e = &o->events[i];
        uint8_t cls = msg_class(e->kind);
        if (cls != 0 && e->msg >= 0) {
            refs[n++] = (msg_ref){.cls = cls, .run = (uint8_t)dg_run_of(l, e->process), .msg = e->msg, .seq = e->seq,
                                  .event = i};
        }
    }
    qsort(refs, n, sizeof *refs, msg_cmp);
    for (uint32_t i = 0; i < n;) {
        uint32_t end = i + 1;
        while (end < n && refs[end].cls == refs[i].cls && refs[end].run == refs[i].run && refs[end].msg == refs[i].msg) {
            end++;
        }
        arrow_for_group(l, &refs[i], end - i);
        i = end;
    }
    free(refs);
    return true;
}

/* ---- the whole layout -------------------------------------------------------------------- */

static bool allocate(dg_layout *l)
{
    const sim_obs *o = l->o;
    size_t spans = (size_t)o->exec_count + o->event_count + 1;
    l->rows = malloc(((size_t)l->max_rows + 1) * sizeof *l->rows);
    l->event_row = malloc(((size_t)o->event_count + 1) * sizeof *l->event_row);
    l->event_depth = calloc((size_t)o->event_count + 1, sizeof *l->event_depth);
    l->exec_span = malloc(((size_t)o->exec_count + 1) * sizeof *l->exec_span);
    l->spans = malloc(spans * sizeof *l->spans);
    if (l->rows == NULL || l->event_row == NULL || l->event_depth == NULL || l->exec_span == NULL ||
        l->spans == NULL) {
        return false;
    }
    for (uint32_t i = 0; i < o->event_count; i++) l->event_row[i] = DG_NONE;
    for (uint32_t i = 0; i < o->exec_count; i++) l->exec_span[i] = DG_NONE;
    return true;
}

/* ---- widths, from the labels ---------------------------------------------------------------- */

/* Characters of a label (UTF-8 continuation bytes do not count). */
static uint32_t chars_of(const char *text)
{
    uint32_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && n < 4096; p++) {
        if ((*p & 0xC0u) != 0x80u) n++;
    }
    return n;
}

/* The time column fits its longest label: "101.667823ms" is never cut. */
static void measure_axis(dg_layout *l)
{
    uint32_t longest = 0;
    char t[40];
    for (uint32_t r = 0; r < l->row_count; r++) {
        const dg_row *row = &l->rows[r];
        uint32_t n = row->new_time ? chars_of(rep_duration(row->time_ns, t, sizeof t)) : 0;
        if (row->brk) {
            uint32_t gap = chars_of(rep_duration(row->gap_ns, t, sizeof t)) + 1; /* "+4.95s" */
            if (gap > n) n = gap;
        }
        if (n > longest) longest = n;
    }
    uint32_t w = longest * DG_AXIS_CHAR_W + 10;
    l->axis_w = w > DG_AXIS_MIN_W ? w : DG_AXIS_MIN_W;
}

static void widen_note(uint32_t *chars, const base_buf *b)
{
    uint32_t n = chars_of(base_buf_str(b));
    if (n > *chars) *chars = n;
}

/* Each lane with brackets gets a gutter left of its lifeline wide enough for its bracket columns
 * and its longest note. */
static void measure_gutters(dg_layout *l)
{
    uint32_t chars[REP_DIAGRAM_MAX_LANES] = {0}, slots[REP_DIAGRAM_MAX_LANES] = {0};
    base_buf b;
    base_buf_init(&b, 0);
    for (uint32_t k = 0; k < l->limit_count; k++) {
        const dg_limit *m = &l->limits[k];
        if (m->row0 == DG_NONE) continue;
        if ((uint32_t)m->slot + 1 > slots[m->lane]) slots[m->lane] = m->slot + 1u;
        base_buf_clear(&b);
        dg_limit_label(l, m, &b);
        widen_note(&chars[m->lane], &b);
        base_buf_clear(&b);
        dg_tie_label(l, m, &b);
        widen_note(&chars[m->lane], &b);
    }
    for (uint32_t k = 0; k < l->decision_count; k++) {
        uint32_t lane = l->exec_lane[l->decisions[k].exec];
        base_buf_clear(&b);
        dg_decision_label(l, &l->decisions[k], &b);
        widen_note(&chars[lane], &b);
        if (slots[lane] == 0) slots[lane] = 1;
    }
    base_buf_fini(&b);
    uint32_t x = l->axis_w + DG_LANE_PAD;
    for (uint32_t i = 0; i < l->lane_count; i++) {
        if (chars[i] > 0) {
            uint32_t w = 16 + slots[i] * DG_BRACKET_PITCH + (chars[i] * DG_NOTE_CHAR_W2 + 1) / 2;
            l->gutter_w[i] = w < DG_GUTTER_MAX_W ? w : DG_GUTTER_MAX_W;
        }
        x += l->gutter_w[i];
        l->lane_x[i] = x;
        x += DG_LANE_W;
    }
    l->width = x - 20 > 480 ? x - 20 : 480;
    assert(l->lane_count == 0 || l->lane_x[0] >= l->axis_w + DG_LANE_PAD);
}

bool dg_layout_build(dg_layout *l, const sim_result *r, uint32_t max_rows, const dg_pair *pair)
{
    assert(l != NULL && r != NULL && r->obs != NULL && max_rows > 0);
    assert(pair == NULL || pair->split > 0);
    memset(l, 0, sizeof *l);
    l->r = r;
    l->o = r->obs;
    l->max_rows = max_rows;
    if (pair != NULL) l->pair = *pair;
    bool ok = collect_lanes(l) && assign_lanes(l) && allocate(l) && dg_limits_collect(l) && collect_items(l);
    if (ok) {
        assign_rows(l);
        dg_limits_place(l);
        mark_failures(l);
        ok = match_messages(l) && dg_decisions_collect(l);
    }
    if (ok) {
        measure_axis(l);
        measure_gutters(l);
    }
    if (!ok) dg_layout_free(l);
    assert(!ok || (l->row_count <= l->max_rows && l->span_count <= l->o->exec_count + l->o->event_count));
    return ok;
}

void dg_layout_free(dg_layout *l)
{
    if (l == NULL) return;
    free(l->event_lane);
    free(l->exec_lane);
    free(l->items);
    free(l->rows);
    free(l->event_row);
    free(l->event_depth);
    free(l->exec_span);
    free(l->spans);
    free(l->arrows);
    free(l->by_time);
    free(l->limits);
    free(l->decisions);
    memset(l, 0, sizeof *l);
}
