/*
 * rep_diagram_internal.h — the layout of one sequence diagram: lanes,
 * rows, call bars (spans), message arrows and per-record positions, built
 * from a result's observation by rep_diagram_layout.c and drawn as SVG by
 * rep_diagram.c. Private to reports/ (and its tests).
 *
 * Ownership: a dg_layout owns its arrays (dg_layout_free); it points into
 * the result it was built from, which must outlive it.
 */
#ifndef REP_DIAGRAM_INTERNAL_H
#define REP_DIAGRAM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "rep_diagram.h"
#include "sim_obs.h"
#include "sim_result.h"

#define DG_NONE UINT32_MAX
#define DG_NO_ACTOR UINT16_MAX
#define DG_MAX_STACK 64u     /* nested calls tracked per lane */
#define DG_MAX_DRAWN_DEPTH 8u /* deeper calls are drawn at this depth */

/* Geometry, in px. */
#define DG_ROW_H 18u
#define DG_GAP_H 8u          /* before a row whose time differs from the last */
#define DG_HEAD_H 40u        /* lane names at the top */
#define DG_REPEAT_EVERY 40u  /* rows between repeated lane names */
#define DG_REPEAT_H 16u
#define DG_AXIS_W 78u        /* time labels */
#define DG_LANE_W 300u
#define DG_LANE_X0 (DG_AXIS_W + 28u)
#define DG_SPAN_W 6u
#define DG_SPAN_PITCH 8u
#define DG_FOOT_H 34u

typedef struct dg_lane {
    uint16_t process; /* DG_NO_ACTOR: the (system) lane */
    uint16_t thread;  /* DG_NO_ACTOR: the process itself */
    bool overflow;    /* "(other actors)": everything past REP_DIAGRAM_MAX_LANES */
} dg_lane;

enum { DG_ITEM_END = 0, DG_ITEM_EVENT = 1, DG_ITEM_START = 2 };

typedef struct dg_item {
    uint64_t seq;
    uint32_t ref; /* exec index (START, END) or event index */
    uint8_t type;
} dg_item;

typedef struct dg_row {
    int64_t time_ns;
    uint32_t y;        /* centre of the row */
    bool new_time;     /* first row, or time advanced since the previous row */
    bool repeat_names; /* lane names repeated just above this row */
} dg_row;

typedef struct dg_span {
    uint32_t lane;
    uint32_t depth;
    uint32_t row0;
    uint32_t row1; /* DG_NONE: open to the bottom (blocked, or past the cap) */
    uint32_t ref;  /* exec index; for a callout, its event index */
    bool callout;
    const sim_failure *failure; /* the first failure pointing at this call, or NULL */
} dg_span;

typedef enum dg_arrow_kind {
    DG_ARROW_REQUEST = 1, /* enqueue -> callout */
    DG_ARROW_REPLY,       /* reply_sent -> reply_filed */
    DG_ARROW_LATE,        /* reply_sent -> reply_dropped (a late reply) */
    DG_ARROW_LOST,        /* -> request_dropped / message_destroyed / corrupt reply dropped */
    DG_ARROW_PENDING,     /* a request never delivered before the end: a stub */
    DG_ARROW_UNDELIVERED, /* a reply never filed nor dropped: a stub */
} dg_arrow_kind;

typedef struct dg_arrow {
    uint32_t from; /* event index */
    uint32_t to;   /* event index, DG_NONE for stubs */
    uint8_t kind;  /* dg_arrow_kind */
} dg_arrow;

typedef struct dg_layout {
    const sim_result *r;
    const sim_obs *o;
    dg_lane lanes[REP_DIAGRAM_MAX_LANES];
    uint32_t lane_count;
    uint32_t *event_lane; /* [event] */
    uint32_t *exec_lane;  /* [exec] */
    dg_item *items;
    uint32_t item_count;
    dg_row *rows;
    uint32_t row_count;
    uint32_t max_rows;
    uint32_t *event_row;   /* [event] row or DG_NONE (not drawn) */
    uint32_t *event_depth; /* [event] calls open on its lane when it happened */
    uint32_t *exec_span;   /* [exec] span or DG_NONE */
    dg_span *spans;
    uint32_t span_count;
    dg_arrow *arrows;
    uint32_t arrow_count;
    uint32_t stack[REP_DIAGRAM_MAX_LANES][DG_MAX_STACK]; /* open spans per lane */
    uint32_t stack_depth[REP_DIAGRAM_MAX_LANES];
    /* truncation */
    bool truncated;
    uint32_t left_out; /* calls and events not drawn */
    int64_t left_out_first_ns;
    int64_t left_out_last_ns;
    uint32_t bottom_y; /* where open bars end */
} dg_layout;

/* Builds the layout of r->obs (which must be set); false when out of memory. */
bool dg_layout_build(dg_layout *l, const sim_result *r, uint32_t max_rows);
void dg_layout_free(dg_layout *l);
/* x of a lane's lifeline. */
uint32_t dg_lane_x(uint32_t lane);
/* The y of a span's end: its end row, or the bottom. */
uint32_t dg_span_end_y(const dg_layout *l, const dg_span *s);

#endif /* REP_DIAGRAM_INTERNAL_H */
