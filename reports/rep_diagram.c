/*
 * rep_diagram.c — draws a dg_layout as inline SVG (see rep_diagram.h for
 * the visual language). Layers, bottom to top: process bands, lifelines and
 * lane names, time rules and labels, arrows, call bars, event marks; each
 * bar, arrow and mark is a <g> with its <title> tooltip (and its label, so
 * hovering the text works too).
 */
#include "rep_diagram.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rep_diagram_internal.h"
#include "rep_diagram_text.h"
#include "rep_text.h"

#define LABEL_MAX 46u
#define LANE_NAME_MAX 40u

#define NOTES_KEPT 16u /* recent notes per lane kept to push the next one clear of them */

typedef struct svg {
    FILE *out;
    const dg_layout *l;
    const char *prefix;
    base_buf text;
    uint32_t width;
    uint32_t height;
    uint32_t note_x[REP_DIAGRAM_MAX_LANES];                /* where a lane's gutter notes end */
    uint32_t note_y[REP_DIAGRAM_MAX_LANES][NOTES_KEPT]; /* the last notes' baselines */
    uint32_t note_count[REP_DIAGRAM_MAX_LANES];
    const char *run_labels[2]; /* a pair: the two runs' names ("real", "model") */
} svg;

/* ---- small writers ---------------------------------------------------------------- */

static void title(svg *s)
{
    fputs("<title>", s->out);
    rep_put(s->out, base_buf_str(&s->text), REP_ESC_XML_TEXT);
    fputs("</title>", s->out);
}

/* <text> with the buffer's text, capped. */
static void label(svg *s, const char *cls, uint32_t x, uint32_t y, size_t max, bool end_anchor)
{
    fprintf(s->out, "<text class=\"%s\" x=\"%u\" y=\"%u\"%s>", cls, x, y,
            end_anchor ? " text-anchor=\"end\"" : "");
    rep_put_max(s->out, base_buf_str(&s->text), REP_ESC_XML_TEXT, max);
    fputs("</text>", s->out);
}

static void line(svg *s, const char *cls, uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2)
{
    fprintf(s->out, "<line class=\"%s\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>", cls, x1, y1, x2, y2);
}

static void cross(svg *s, const char *cls, uint32_t x, uint32_t y, uint32_t r)
{
    fprintf(s->out, "<path class=\"%s\" d=\"M%u %uL%u %uM%u %uL%u %u\"/>", cls, x - r, y - r, x + r, y + r,
            x - r, y + r, x + r, y - r);
}

/* ---- frame: bands, lifelines, names, time --------------------------------------------- */

static void bands(svg *s)
{
    const dg_layout *l = s->l;
    uint32_t band = 0;
    for (uint32_t first = 0; first < l->lane_count;) {
        uint32_t end = first + 1;
        while (end < l->lane_count && l->lanes[end].process == l->lanes[first].process &&
               !l->lanes[end].overflow && !l->lanes[first].overflow) {
            end++;
        }
        uint32_t x0 = dg_lane_x(l, first) - l->gutter_w[first] - 22, x1 = dg_lane_x(l, end - 1) + DG_LANE_W - 34;
        fprintf(s->out, "<rect class=\"band band%u\" x=\"%u\" y=\"0\" width=\"%u\" height=\"%u\"/>\n",
                band++ % 2, x0, x1 - x0, l->bottom_y + 4);
        first = end;
    }
}

static void lane_names(svg *s, uint32_t y, const char *cls)
{
    for (uint32_t i = 0; i < s->l->lane_count; i++) {
        base_buf_clear(&s->text);
        dg_lane_name(s->l, i, &s->text);
        fputs("<g>", s->out);
        title(s);
        label(s, cls, dg_lane_x(s->l, i) - 8, y, LANE_NAME_MAX, false);
        fputs("</g>", s->out);
    }
    fputc('\n', s->out);
}

static void lifelines(svg *s)
{
    const dg_layout *l = s->l;
    for (uint32_t i = 0; i < l->lane_count; i++) {
        line(s, "life", dg_lane_x(l, i), DG_HEAD_H - 14, dg_lane_x(l, i), l->bottom_y);
    }
    fputc('\n', s->out);
    lane_names(s, 18, "lane");
    for (uint32_t r = 0; r < l->row_count; r++) {
        if (l->rows[r].repeat_names) lane_names(s, l->rows[r].y - DG_ROW_H / 2 - 4, "lane again");
    }
}

/* The middle of the gap above row r (r > 0). */
static uint32_t gap_mid_y(const dg_layout *l, uint32_t r)
{
    assert(r > 0 && r < l->row_count);
    return l->rows[r - 1].y + DG_ROW_H / 2 + l->rows[r].gap_px / 2;
}

static void time_axis(svg *s)
{
    const dg_layout *l = s->l;
    for (uint32_t r = 0; r < l->row_count; r++) {
        const dg_row *row = &l->rows[r];
        if (!row->new_time) continue;
        if (r > 0 && !row->brk && row->gap_px >= DG_TICK_MIN) {
            uint32_t y = gap_mid_y(l, r);
            line(s, "tick", 4, y, s->width - 4, y);
        }
        char t[40];
        base_buf_clear(&s->text);
        base_buf_puts(&s->text, rep_duration(row->time_ns, t, sizeof t));
        label(s, row->limit_only ? "time dl-time" : "time", l->axis_w - 4, row->y + 4, 40, true);
    }
    fputc('\n', s->out);
}

/* A long quiet gap, compressed: a zigzag band across and its length in the time column. */
static void breaks(svg *s)
{
    const dg_layout *l = s->l;
    for (uint32_t r = 1; r < l->row_count; r++) {
        const dg_row *row = &l->rows[r];
        if (!row->brk) continue;
        uint32_t y = gap_mid_y(l, r), x1 = s->width - 4;
        char t[40];
        rep_duration(row->gap_ns, t, sizeof t);
        base_buf_clear(&s->text);
        base_buf_printf(&s->text, "%s with nothing recorded, compressed (drawn to scale up to %ums)", t,
                       DG_GAP_MAX / DG_PX_PER_MS);
        fputs("<g class=\"brk\">", s->out);
        title(s);
        fprintf(s->out, "<rect x=\"4\" y=\"%u\" width=\"%u\" height=\"10\"/><path d=\"", y - 5, x1 - 4);
        for (uint32_t edge = 0; edge < 2; edge++) { /* two zigzags, 10px apart */
            uint32_t ye = y - 5 + edge * 10;
            fprintf(s->out, "M4 %u", ye);
            for (uint32_t x = 10, up = 1; x <= x1; x += 6, up ^= 1u) fprintf(s->out, "L%u %u", x, up ? ye - 3 : ye);
        }
        fputs("\"/>", s->out);
        base_buf_clear(&s->text);
        base_buf_printf(&s->text, "+%s", t);
        label(s, "brk-label", l->axis_w - 4, y + 4, 40, true);
        fputs("</g>\n", s->out);
    }
}

/* ---- deadlines ---------------------------------------------------------------------------------- */

/* A note in a lane's gutter, right-aligned against its brackets, pushed below the notes near it. */
static void note(svg *s, uint32_t lane, uint32_t y, const char *cls)
{
    uint32_t *kept = s->note_y[lane], n = s->note_count[lane] < NOTES_KEPT ? s->note_count[lane] : NOTES_KEPT;
    for (uint32_t pass = 0; pass < NOTES_KEPT; pass++) {
        bool moved = false;
        for (uint32_t k = 0; k < n; k++) {
            if (y + DG_NOTE_H > kept[k] && y < kept[k] + DG_NOTE_H) {
                y = kept[k] + DG_NOTE_H;
                moved = true;
            }
        }
        if (!moved) break;
    }
    kept[s->note_count[lane]++ % NOTES_KEPT] = y;
    label(s, cls, s->note_x[lane], y, 80, true);
}

static void limit_title(svg *s, const dg_limit *m)
{
    const dg_layout *l = s->l;
    const sim_exec *e = &l->o->execs[m->exec];
    char t0[40], t1[40], t2[40];
    base_buf_clear(&s->text);
    dg_limit_label(l, m, &s->text);
    base_buf_puts(&s->text, "\n");
    dg_exec_label(l->r, e, &s->text);
    static const char *const since[] = {[DG_LIMIT_SEND] = "the call", [DG_LIMIT_RECV] = "the request queued (R32)",
                                        [DG_LIMIT_RUN] = "the run loop started", [DG_LIMIT_WAIT] = "wait_for started",
                                        [DG_LIMIT_TIMER] = "the timer was added"};
    int64_t length = (int64_t)((uint64_t)m->at_ns - (uint64_t)m->from_ns);
    if (m->kind == DG_LIMIT_TIMER && m->fire > 1) {
        base_buf_printf(&s->text, "\ndue time %u of the timer", m->fire);
    } else {
        base_buf_printf(&s->text, "\n%s after %s at t=%s", rep_duration(length, t0, sizeof t0), since[m->kind],
                       rep_duration(m->from_ns, t1, sizeof t1));
    }
    if (m->kind != DG_LIMIT_TIMER) {
        int64_t margin = (int64_t)((uint64_t)e->end_ns - (uint64_t)m->at_ns);
        if (m->reached && margin == 0) {
            base_buf_printf(&s->text, "\nreached; the call %s at that instant",
                           e->outcome == SIM_OUTCOME_RETURNED ? "returned" : "ended");
        } else if (m->reached) {
            base_buf_printf(&s->text, "\nreached; the call %s at t=%s, %s after it",
                           e->outcome == SIM_OUTCOME_RETURNED ? "returned" : "ended", rep_duration(e->end_ns, t2, sizeof t2),
                           rep_duration(margin, t0, sizeof t0));
        } else if (m->kind == DG_LIMIT_SEND) {
            base_buf_printf(&s->text, "\nnot reached: the request was queued at t=%s", rep_duration(m->until_ns, t2, sizeof t2));
        } else {
            base_buf_printf(&s->text, "\nnot reached: the call %s %s before it",
                           e->outcome == SIM_OUTCOME_RETURNED ? "returned" : "ended",
                           rep_duration(margin < 0 ? -margin : margin, t0, sizeof t0));
        }
    }
    if (m->decided) base_buf_puts(&s->text, "\nit decided the call's status");
    if (m->tie != DG_NONE) {
        base_buf_puts(&s->text, "\n");
        dg_tie_label(l, m, &s->text);
        base_buf_puts(&s->text, ": the same instant, so the outcome depends on which goes first\n");
        dg_event_title(l->r, &l->o->events[m->tie], &s->text);
    }
    title(s);
}

static const char *limit_class(uint8_t kind)
{
    switch (kind) {
    case DG_LIMIT_SEND: return "dl-send";
    case DG_LIMIT_RECV: return "dl-recv";
    case DG_LIMIT_RUN: return "dl-run";
    case DG_LIMIT_WAIT: return "dl-wait";
    default: return "dl-timer";
    }
}

static void limit(svg *s, const dg_limit *m)
{
    const dg_layout *l = s->l;
    if (m->row0 == DG_NONE) return;
    uint32_t x = dg_limit_x(l, m), y0 = l->rows[m->row0].y, y1 = m->row1 != DG_NONE ? l->rows[m->row1].y : l->bottom_y;
    bool tick_only = m->kind == DG_LIMIT_TIMER && m->fire > 1;
    if (tick_only) y0 = y1;
    if (y1 < y0 + 4 && !tick_only) y1 = y0 + 4; /* a window shorter than a row still shows */
    fprintf(s->out, "<g class=\"dl %s%s%s%s\">", limit_class(m->kind), m->reached ? " reached" : " open",
            m->tie != DG_NONE ? " tie" : "", m->decided ? " decided" : "");
    limit_title(s, m);
    if (!tick_only && m->reached) {
        fprintf(s->out, "<path d=\"M%u %uH%uV%uH%u\"/>", x + 4, y0, x, y1, x + 4);
    } else if (!tick_only) {
        fprintf(s->out, "<path d=\"M%u %uH%uV%u\"/>", x + 4, y0, x, y1);
    }
    if (m->reached) { /* the instant, across the lifeline */
        line(s, "dl-at", x - 3, y1, dg_lane_x(l, m->lane) + 9, y1);
    }
    base_buf_clear(&s->text);
    dg_limit_label(l, m, &s->text);
    note(s, m->lane, y1 + 4, m->reached ? "dl-note" : "dl-note dl-open");
    if (m->tie != DG_NONE) {
        base_buf_clear(&s->text);
        dg_tie_label(l, m, &s->text);
        note(s, m->lane, y1 + 4, "tie-note");
    }
    fputs("</g>\n", s->out);
}

/* The place of what decided a call: a ring there, and a note on the caller's gutter. */
static void decision(svg *s, const dg_decision *d)
{
    const dg_layout *l = s->l;
    uint32_t x, y, lane = l->exec_lane[d->exec];
    if (d->limit != DG_NONE) {
        const dg_limit *m = &l->limits[d->limit];
        x = dg_lane_x(l, m->lane);
        y = l->rows[m->row1].y;
    } else {
        uint32_t row = l->event_row[d->event];
        if (row == DG_NONE) return;
        x = dg_lane_x(l, l->event_lane[d->event]);
        y = l->rows[row].y;
    }
    base_buf_clear(&s->text);
    dg_decision_label(l, d, &s->text);
    base_buf_puts(&s->text, "\n");
    dg_exec_label(l->r, &l->o->execs[d->exec], &s->text);
    fputs("<g class=\"decide\">", s->out);
    title(s);
    fprintf(s->out, "<circle cx=\"%u\" cy=\"%u\" r=\"9\"/>", x, y);
    base_buf_clear(&s->text);
    dg_decision_label(l, d, &s->text);
    note(s, lane, y + 4, "dec-note");
    fputs("</g>\n", s->out);
}

/* Where each lane's notes end: left of its outermost bracket. */
static void note_columns(svg *s)
{
    const dg_layout *l = s->l;
    uint32_t slots[REP_DIAGRAM_MAX_LANES] = {0};
    for (uint32_t k = 0; k < l->limit_count; k++) {
        const dg_limit *m = &l->limits[k];
        if (m->row0 != DG_NONE && (uint32_t)m->slot + 1 > slots[m->lane]) slots[m->lane] = m->slot + 1u;
    }
    for (uint32_t i = 0; i < l->lane_count; i++) {
        s->note_x[i] = dg_lane_x(l, i) - 8 - slots[i] * DG_BRACKET_PITCH - 2;
    }
}

/* ---- arrows ------------------------------------------------------------------------------- */

static const char *arrow_class(uint8_t kind)
{
    switch (kind) {
    case DG_ARROW_REQUEST: return "a-req";
    case DG_ARROW_REPLY: return "a-reply";
    case DG_ARROW_LATE: return "a-late";
    case DG_ARROW_LOST: return "a-lost";
    case DG_ARROW_PENDING: return "a-pending";
    default: return "a-undelivered";
    }
}

static void arrow(svg *s, const dg_arrow *a)
{
    const dg_layout *l = s->l;
    uint32_t row0 = l->event_row[a->from];
    if (row0 == DG_NONE) return;
    uint32_t x1 = dg_lane_x(l, l->event_lane[a->from]), y1 = l->rows[row0].y, x2, y2;
    bool cut = false, stub = a->to == DG_NONE;
    if (stub) { /* to the left, where there are no labels */
        x2 = x1 - 34;
        y2 = y1 + DG_ROW_H / 2;
    } else {
        uint32_t row1 = l->event_row[a->to];
        cut = row1 == DG_NONE;
        x2 = dg_lane_x(l, l->event_lane[a->to]);
        y2 = cut ? l->bottom_y : l->rows[row1].y;
        if (x2 != x1 && !cut) x2 = x2 > x1 ? x2 - 5 : x2 + 5; /* the head stops beside the mark */
    }
    base_buf_clear(&s->text);
    dg_arrow_title(l, a, &s->text);
    fprintf(s->out, "<g class=\"arrow %s%s\">", arrow_class(a->kind), cut ? " a-cut" : "");
    title(s);
    if (!stub && l->event_lane[a->from] == l->event_lane[a->to]) { /* its own lane: a loop on the left */
        fprintf(s->out, "<path d=\"M%u %uC%u %u %u %u %u %u\"", x1, y1, x1 - 44, y1, x2 - 44, y2, x2 - 2, y2);
    } else {
        fprintf(s->out, "<path d=\"M%u %uL%u %u\"", x1, y1, x2, y2);
    }
    if (!cut && (a->kind == DG_ARROW_REQUEST || a->kind == DG_ARROW_REPLY)) {
        fprintf(s->out, " marker-end=\"url(#%s%s)\"", s->prefix, a->kind == DG_ARROW_REQUEST ? "req" : "rep");
    }
    fputs("/>", s->out);
    if (a->kind == DG_ARROW_PENDING) fprintf(s->out, "<circle class=\"stub\" cx=\"%u\" cy=\"%u\" r=\"3\"/>", x2, y2);
    if (a->kind == DG_ARROW_UNDELIVERED) cross(s, "x", x2, y2, 4);
    fputs("</g>\n", s->out);
}

/* ---- call bars ------------------------------------------------------------------------------ */

static uint32_t span_x(const dg_layout *l, const dg_span *sp)
{
    return dg_lane_x(l, sp->lane) + 3 + sp->depth * DG_SPAN_PITCH;
}

static void span(svg *s, const dg_span *sp)
{
    const dg_layout *l = s->l;
    uint32_t x = span_x(l, sp), y0 = l->rows[sp->row0].y - DG_ROW_H / 3, y1 = dg_span_end_y(l, sp);
    const char *cls;
    base_buf_clear(&s->text);
    if (sp->callout) {
        cls = "c-callout";
        dg_event_title(l->r, &l->o->events[sp->ref], &s->text);
    } else {
        cls = dg_exec_class(l->r, &l->o->execs[sp->ref]);
        dg_exec_title(l->r, &l->o->execs[sp->ref], sp->failure, &s->text);
    }
    if (sp->differs) {
        uint32_t other = 1u - dg_run_of(l, l->o->execs[sp->ref].process);
        base_buf_printf(&s->text, "\n\u2260 no call of the %s run has this outcome here", s->run_labels[other]);
    }
    fprintf(s->out, "<g class=\"call %s%s%s%s\">", cls, sp->failure != NULL ? " failed" : "",
            sp->differs ? " differs" : "", sp->row1 == DG_NONE ? " open" : "");
    title(s);
    fprintf(s->out, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\"/>", x, y0, DG_SPAN_W, y1 - y0);
    if (!sp->callout) {
        base_buf_clear(&s->text);
        if (sp->failure != NULL) base_buf_puts(&s->text, "\u2717 ");
        if (sp->differs) base_buf_puts(&s->text, "\u2260 ");
        dg_exec_label(l->r, &l->o->execs[sp->ref], &s->text);
        label(s, sp->failure != NULL ? "label bad" : sp->differs ? "label differs" : "label", x + DG_SPAN_PITCH + 4,
              l->rows[sp->row0].y + 4, LABEL_MAX, false);
    }
    fputs("</g>\n", s->out);
}

/* ---- event marks ------------------------------------------------------------------------------ */

/* The span of lanes a process occupies (for crash and exit rules). */
static void process_extent(const dg_layout *l, uint32_t lane, uint32_t *x0, uint32_t *x1)
{
    *x0 = *x1 = dg_lane_x(l, lane);
    uint16_t p = l->lanes[lane].process;
    for (uint32_t i = 0; i < l->lane_count && p != DG_NO_ACTOR; i++) {
        if (l->lanes[i].process != p || l->lanes[i].overflow) continue;
        if (dg_lane_x(l, i) < *x0) *x0 = dg_lane_x(l, i);
        if (dg_lane_x(l, i) > *x1) *x1 = dg_lane_x(l, i);
    }
}

static const char *mark_class(uint8_t kind)
{
    switch (kind) {
    case SIM_EV_START: return "m-start";
    case SIM_EV_CALLOUT:
    case SIM_EV_ENQUEUE:
    case SIM_EV_REPLY_SENT:
    case SIM_EV_REPLY_FILED: return "m-msg";
    case SIM_EV_INVALIDATION_CALLBACK: return "m-inval";
    case SIM_EV_INVALIDATED: return "m-invalid";
    case SIM_EV_REPLY_DROPPED: return "m-late";
    case SIM_EV_CORRUPT_REPLY_DROPPED:
    case SIM_EV_MESSAGE_DESTROYED:
    case SIM_EV_REQUEST_DROPPED: return "m-lost";
    case SIM_EV_CRASH: return "m-crash";
    case SIM_EV_EXIT: return "m-exit";
    case SIM_EV_WARNING:
    case SIM_EV_SEND_BLOCKED: return "m-warn";
    case SIM_EV_ANOMALY: return "m-anomaly";
    case SIM_EV_PORT_DIED:
    case SIM_EV_DEATH_NOTICE:
    case SIM_EV_DEALLOC: return "m-port";
    default: return "m-minor";
    }
}

static void mark_shape(svg *s, uint32_t lane, uint8_t kind, uint32_t x, uint32_t y)
{
    FILE *out = s->out;
    uint32_t x0, x1;
    switch (kind) {
    case SIM_EV_START:
        fprintf(out, "<path d=\"M%u %uL%u %uL%u %uZ\"/>", x - 5, y - 5, x + 5, y - 5, x, y + 3);
        return;
    case SIM_EV_INVALIDATION_CALLBACK:
        fprintf(out, "<path d=\"M%u %uL%u %uL%u %uL%u %uZ\"/>", x, y - 6, x + 6, y, x, y + 6, x - 6, y);
        return;
    case SIM_EV_INVALIDATED:
        fprintf(out, "<circle cx=\"%u\" cy=\"%u\" r=\"4\"/>", x, y);
        line(s, "slash", x - 3, y + 3, x + 3, y - 3);
        return;
    case SIM_EV_REPLY_DROPPED:
    case SIM_EV_CORRUPT_REPLY_DROPPED:
    case SIM_EV_MESSAGE_DESTROYED:
    case SIM_EV_REQUEST_DROPPED:
        cross(s, "x", x, y, 4);
        return;
    case SIM_EV_CRASH:
    case SIM_EV_EXIT:
        process_extent(s->l, lane, &x0, &x1);
        line(s, "rule", x0 - 14, y, x1 + 14, y);
        if (kind == SIM_EV_CRASH) cross(s, "x", x, y, 6);
        return;
    case SIM_EV_WARNING:
    case SIM_EV_SEND_BLOCKED:
        fprintf(out, "<path d=\"M%u %uL%u %uL%u %uZ\"/>", x, y - 6, x + 6, y + 4, x - 6, y + 4);
        return;
    case SIM_EV_ANOMALY:
    case SIM_EV_PORT_DIED:
    case SIM_EV_DEATH_NOTICE:
    case SIM_EV_DEALLOC:
        fprintf(out, "<rect x=\"%u\" y=\"%u\" width=\"7\" height=\"7\"/>", x - 3, y - 3);
        return;
    default:
        fprintf(out, "<circle cx=\"%u\" cy=\"%u\" r=\"3\"/>", x, y);
        return;
    }
}

static void mark(svg *s, uint32_t index)
{
    const dg_layout *l = s->l;
    const sim_event *e = &l->o->events[index];
    uint32_t row = l->event_row[index];
    if (row == DG_NONE || e->kind == SIM_EV_CALLOUT_DONE) return;
    uint32_t lane = l->event_lane[index], x = dg_lane_x(l, lane), y = l->rows[row].y;
    uint32_t depth = l->event_depth[index] + (e->kind == SIM_EV_CALLOUT ? 1 : 0);
    if (depth > DG_MAX_DRAWN_DEPTH + 1) depth = DG_MAX_DRAWN_DEPTH + 1;
    base_buf_clear(&s->text);
    dg_event_title(l->r, e, &s->text);
    fprintf(s->out, "<g class=\"mark %s\">", mark_class(e->kind));
    title(s);
    mark_shape(s, lane, e->kind, x, y);
    base_buf_clear(&s->text);
    dg_event_label(e, &s->text);
    label(s, "label", x + 3 + depth * DG_SPAN_PITCH + 6, y + 4, LABEL_MAX, false);
    fputs("</g>\n", s->out);
}

/* ---- the whole picture ------------------------------------------------------------------------ */

static void open_svg(svg *s)
{
    FILE *out = s->out;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\" width=\"%u\" height=\"%u\" "
                 "viewBox=\"0 0 %u %u\" role=\"img\" aria-labelledby=\"%stitle\">\n",
            s->width, s->height, s->width, s->height, s->prefix);
    fprintf(out, "<title id=\"%stitle\">Sequence diagram of ", s->prefix);
    rep_put(out, rep_result_name(s->l->r), REP_ESC_XML_TEXT);
    fputs("</title>\n<defs>", out);
    static const char *const heads[][2] = {{"req", "#333"}, {"rep", "#1565c0"}};
    for (size_t i = 0; i < 2; i++) {
        fprintf(out, "<marker id=\"%s%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
                     "markerHeight=\"8\" orient=\"auto\"><path d=\"M0 1L10 5L0 9Z\" fill=\"%s\"/></marker>",
                s->prefix, heads[i][0], heads[i][1]);
    }
    fputs("</defs>\n", out);
}

static void truncation_note(svg *s)
{
    const dg_layout *l = s->l;
    if (!l->truncated) return;
    char t0[40], t1[40];
    base_buf_clear(&s->text);
    base_buf_printf(&s->text, "Truncated: only the first %u rows are drawn; %u more calls and events (t=%s to t=%s) are not.",
                   l->row_count, l->left_out, rep_duration(l->left_out_first_ns, t0, sizeof t0),
                   rep_duration(l->left_out_last_ns, t1, sizeof t1));
    label(s, "trunc", 8, l->bottom_y + 22, 200, false);
    fputc('\n', s->out);
}

/* A pair: a rule between the two runs' lanes, and each run's name above its first lane. */
static void pair_split(svg *s)
{
    const dg_layout *l = s->l;
    if (l->pair.split == 0) return;
    uint32_t first = 0;
    while (first < l->lane_count && (l->lanes[first].overflow || dg_run_of(l, l->lanes[first].process) == 0)) first++;
    if (first == 0 || first == l->lane_count) return; /* one of the runs has no lane */
    uint32_t x = dg_lane_x(l, first) - l->gutter_w[first] - 26;
    fprintf(s->out, "<g class=\"split\"><line x1=\"%u\" y1=\"0\" x2=\"%u\" y2=\"%u\"/>", x, x, l->bottom_y + 4);
    for (uint32_t run = 0; run < 2; run++) {
        base_buf_clear(&s->text);
        base_buf_printf(&s->text, "%s run \u2192", s->run_labels[run]);
        label(s, "run-name", run == 0 ? l->axis_w + 4 : x + 6, 32, 40, false);
    }
    fputs("</g>\n", s->out);
}

static void draw(svg *s)
{
    const dg_layout *l = s->l;
    open_svg(s);
    bands(s);
    pair_split(s);
    time_axis(s);
    lifelines(s);
    breaks(s);
    note_columns(s);
    for (uint32_t i = 0; i < l->limit_count; i++) limit(s, &l->limits[i]);
    for (uint32_t i = 0; i < l->arrow_count; i++) arrow(s, &l->arrows[i]);
    for (uint32_t i = 0; i < l->span_count; i++) span(s, &l->spans[i]);
    for (uint32_t i = 0; i < l->o->event_count; i++) mark(s, i);
    for (uint32_t i = 0; i < l->decision_count; i++) decision(s, &l->decisions[i]);
    truncation_note(s);
    fputs("</svg>\n", s->out);
}

/* Lays out r->obs (one run, or a pair merged by rep_diagram_write_beside) and draws it. */
static bool write_layout(FILE *out, const sim_result *r, uint32_t max_rows, const char *id_prefix, const dg_pair *pair,
                         const char *const labels[2])
{
    assert(out != NULL && r != NULL && r->obs != NULL);
    assert(pair == NULL || (labels[0] != NULL && labels[1] != NULL));
    dg_layout *l = malloc(sizeof *l);
    if (l == NULL) return false;
    if (!dg_layout_build(l, r, max_rows ? max_rows : REP_DIAGRAM_MAX_ROWS_DEFAULT, pair)) {
        free(l);
        return false;
    }
    svg s = {.out = out, .l = l, .prefix = id_prefix != NULL ? id_prefix : ""};
    if (pair != NULL) {
        s.run_labels[0] = labels[0];
        s.run_labels[1] = labels[1];
    }
    base_buf_init(&s.text, 0);
    s.width = l->width;
    s.height = l->bottom_y + DG_FOOT_H;
    draw(&s);
    base_buf_fini(&s.text);
    dg_layout_free(l);
    free(l);
    return true;
}

bool rep_diagram_write(FILE *out, const sim_result *r, uint32_t max_rows, const char *id_prefix)
{
    assert(out != NULL && r != NULL);
    if (r->obs == NULL) return false;
    return write_layout(out, r, max_rows, id_prefix, NULL, NULL);
}

/* ---- two runs on one time axis ------------------------------------------------------------------ */

/*
 * r's own run and r->beside's as one result: process p of run k becomes k * (P + 1) + p, each
 * run's "(system)" records go to k * (P + 1) + P, and sequence numbers become 2 seq + k, so each
 * run keeps its own order and no record of one can be taken for one of the other's. Data, names
 * and thread tables are borrowed from r.
 */
typedef struct beside_view {
    sim_result v;
    sim_obs obs;
    char **names;    /* owned strings: "real \u00b7 server" */
    char ***threads; /* borrowed rows */
    uint32_t *counts;
    uint8_t *differs;
} beside_view;

static uint16_t beside_process(uint32_t count, uint32_t run, uint16_t process)
{
    uint32_t p = process < count ? process : count; /* (system), or an actor the result does not name */
    return (uint16_t)(run * (count + 1) + p);
}

static void beside_free(beside_view *b)
{
    for (uint32_t i = 0; b->names != NULL && i < b->v.process_count; i++) free(b->names[i]);
    free(b->names);
    free(b->threads);
    free(b->counts);
    free(b->differs);
    sim_obs_fini(&b->obs);
}

static bool beside_make(beside_view *b, const sim_result *r)
{
    const sim_beside *bs = &r->beside;
    assert(sim_beside_validate(bs, r->obs) && bs->obs != NULL && r->obs != NULL);
    uint32_t count = r->process_count, total = 2 * (count + 1);
    assert(total < DG_NO_ACTOR);
    memset(b, 0, sizeof *b);
    sim_obs_init(&b->obs);
    const sim_obs *runs[2] = {r->obs, bs->obs};
    const uint8_t *differs[2] = {bs->own_differs, bs->other_differs};
    uint32_t execs = runs[0]->exec_count + runs[1]->exec_count, events = runs[0]->event_count + runs[1]->event_count;
    b->names = calloc(total, sizeof *b->names);
    b->threads = calloc(total, sizeof *b->threads);
    b->counts = calloc(total, sizeof *b->counts);
    b->differs = calloc((size_t)execs + 1, 1);
    b->obs.execs = malloc(((size_t)execs + 1) * sizeof *b->obs.execs);
    b->obs.events = malloc(((size_t)events + 1) * sizeof *b->obs.events);
    b->v = *r;
    b->v.process_count = total;
    if (b->names == NULL || b->threads == NULL || b->counts == NULL || b->differs == NULL || b->obs.execs == NULL ||
        b->obs.events == NULL) {
        return false;
    }
    const char *labels[2] = {bs->own_label, bs->other_label};
    for (uint32_t run = 0; run < 2; run++) {
        for (uint32_t p = 0; p <= count; p++) {
            uint32_t at = run * (count + 1) + p;
            b->names[at] = sim_strdup_printf("%s \u00b7 %s", labels[run], p < count ? r->process_names[p] : "(system)");
            if (b->names[at] == NULL) return false;
            b->threads[at] = p < count && r->thread_names != NULL ? r->thread_names[p] : NULL;
            b->counts[at] = p < count && r->thread_counts != NULL && b->threads[at] != NULL ? r->thread_counts[p] : 0;
        }
        for (uint32_t i = 0; i < runs[run]->exec_count; i++) {
            sim_exec *e = &b->obs.execs[b->obs.exec_count];
            *e = runs[run]->execs[i];
            e->process = beside_process(count, run, e->process);
            e->start_seq = 2 * e->start_seq + run;
            e->end_seq = 2 * e->end_seq + run;
            b->differs[b->obs.exec_count++] = differs[run][i];
        }
        for (uint32_t i = 0; i < runs[run]->event_count; i++) {
            sim_event *e = &b->obs.events[b->obs.event_count++];
            *e = runs[run]->events[i];
            e->process = beside_process(count, run, e->process);
            e->seq = 2 * e->seq + run;
        }
    }
    b->obs.exec_capacity = b->obs.exec_count;
    b->obs.event_capacity = b->obs.event_count;
    b->obs.end_ns = runs[0]->end_ns > runs[1]->end_ns ? runs[0]->end_ns : runs[1]->end_ns;
    b->v.obs = &b->obs;
    b->v.process_names = b->names;
    b->v.thread_names = b->threads;
    b->v.thread_counts = b->counts;
    assert(b->obs.exec_count == execs && b->obs.event_count == events);
    return true;
}

bool rep_diagram_write_beside(FILE *out, const sim_result *r, uint32_t max_rows, const char *id_prefix)
{
    assert(out != NULL && r != NULL);
    if (r->obs == NULL || r->beside.obs == NULL || r->process_names == NULL) return false;
    beside_view *b = malloc(sizeof *b);
    if (b == NULL) return false;
    bool ok = beside_make(b, r);
    if (ok) {
        dg_pair pair = {.split = beside_process(r->process_count, 1, 0), .differs = b->differs};
        const char *const labels[2] = {r->beside.own_label, r->beside.other_label};
        ok = write_layout(out, &b->v, max_rows, id_prefix, &pair, labels);
    }
    beside_free(b);
    free(b);
    return ok;
}

const char *rep_diagram_css(void)
{
    return
        "svg.seq{font-family:sans-serif;font-size:11px;background:#fff}\n"
        "svg.seq text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}\n"
        ".seq .band0{fill:#f6f8fb}.seq .band1{fill:#fdfcf7}\n"
        ".seq .life{stroke:#b8c0c8;stroke-width:1}\n"
        ".seq .lane{font-weight:bold;fill:#222}.seq .lane.again{font-weight:normal;fill:#98a2ad}\n"
        ".seq .tick{stroke:#e3e7eb;stroke-dasharray:2 3}.seq .time{fill:#555;font-family:monospace}\n"
        ".seq .label{fill:#222}.seq .label.bad{fill:#c00;font-weight:bold}\n"
        ".seq .trunc{fill:#e65100;font-weight:bold;font-size:12px}\n"
        ".seq .call rect{stroke:#7a8591;stroke-width:0.6}\n"
        ".seq .c-ok rect{fill:#6db6fe}.seq .c-timeout rect{fill:#ffaa26}\n"
        ".seq .c-invalid rect{fill:#f06292}.seq .c-error rect{fill:#b71c1c}\n"
        ".seq .c-killed rect{fill:#9e9e9e}.seq .c-blocked rect{fill:#feb5da}\n"
        ".seq .c-run rect{fill:#eef1f4}.seq .c-call rect{fill:#d0d7de}\n"
        ".seq .c-callout rect{fill:#fff0a8;stroke:#c9a800}\n"
        ".seq .open rect{stroke-dasharray:3 2}\n"
        ".seq .failed rect{stroke:#d50000;stroke-width:2.5}\n"
        ".seq .differs rect{stroke:#aa00ff;stroke-width:3}.seq .label.differs{fill:#7b00c4;font-weight:bold}\n"
        ".seq .split line{stroke:#37474f;stroke-width:2;stroke-dasharray:8 4}\n"
        ".seq .run-name{fill:#37474f;font-weight:bold;font-size:12px;text-transform:uppercase}\n"
        ".seq .arrow path{fill:none;stroke-width:1.4}\n"
        ".seq .a-req path{stroke:#333}.seq .a-reply path{stroke:#1565c0;stroke-dasharray:5 3}\n"
        ".seq .a-late path{stroke:#ef6c00;stroke-dasharray:5 3}.seq .a-lost path{stroke:#ff1e90}\n"
        ".seq .a-pending path{stroke:#999;stroke-dasharray:2 2}\n"
        ".seq .a-undelivered path{stroke:#ff1e90;stroke-dasharray:2 2}\n"
        ".seq .a-cut path{stroke-dasharray:1 3}\n"
        ".seq .stub{fill:#fff;stroke:#999}\n"
        ".seq .x{stroke:#ff1e90;stroke-width:2;fill:none}\n"
        ".seq .mark circle,.seq .mark path,.seq .mark rect{stroke-width:1}\n"
        ".seq .m-msg circle{fill:#333}.seq .m-start path{fill:#2e7d32}\n"
        ".seq .m-inval path{fill:#7b1fa2}.seq .m-invalid circle{fill:#fff;stroke:#7b1fa2}\n"
        ".seq .slash{stroke:#7b1fa2;stroke-width:1.2}\n"
        ".seq .m-late .x{stroke:#ef6c00}.seq .m-crash .x{stroke:#d50000;stroke-width:2.5}\n"
        ".seq .rule{stroke:#222;stroke-width:3}.seq .m-crash .rule{stroke:#d50000;stroke-dasharray:6 3}\n"
        ".seq .m-crash .label{fill:#d50000;font-weight:bold}\n"
        ".seq .m-warn path{fill:#ffb300}.seq .m-anomaly rect{fill:#d50000}\n"
        ".seq .m-port rect{fill:#78909c}.seq .m-minor circle{fill:#fff;stroke:#78909c}\n"
        ".seq .m-minor .label,.seq .m-port .label{fill:#607080}\n"
        ".seq .brk rect{fill:#fff}.seq .brk path{fill:none;stroke:#8a96a3;stroke-width:1}\n"
        ".seq .brk-label{fill:#555;font-family:monospace;font-style:italic}\n"
        ".seq .dl path{fill:none;stroke:#5e35b1;stroke-width:1.6}.seq .dl-send path{stroke:#8e6cc9}\n"
        ".seq .dl-run path,.seq .dl-wait path,.seq .dl-timer path{stroke:#00838f}\n"
        ".seq .dl.open path{stroke-dasharray:3 2}\n"
        ".seq .dl-at{stroke:#5e35b1;stroke-width:1.2;stroke-dasharray:4 2}.seq .dl-timer .dl-at{stroke:#00838f}\n"
        ".seq .tie .dl-at{stroke:#d50000;stroke-width:2.5;stroke-dasharray:none}\n"
        ".seq .dl-note{fill:#4527a0;font-size:10px}.seq .dl-open{fill:#8a96a3}\n"
        ".seq .dl-timer .dl-note,.seq .dl-run .dl-note,.seq .dl-wait .dl-note{fill:#00695c}\n"
        ".seq .tie-note{fill:#d50000;font-size:10px;font-weight:bold}\n"
        ".seq .decide circle{fill:none;stroke:#2e7d32;stroke-width:2}\n"
        ".seq .dec-note{fill:#2e7d32;font-size:10px;font-weight:bold}\n"
        ".seq .dl-time{fill:#4527a0}\n";
}
