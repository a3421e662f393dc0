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
#include "sim_util.h"

#define DG_NONE UINT32_MAX
#define DG_NO_ACTOR UINT16_MAX
#define DG_MAX_STACK 64u     /* nested calls tracked per lane */
#define DG_MAX_DRAWN_DEPTH 8u /* deeper calls are drawn at this depth */

/* Geometry, in px. */
#define DG_ROW_H 18u
#define DG_PX_PER_MS 2u      /* quiet time between rows is drawn to this scale ... */
#define DG_GAP_MIN 2u        /* (at least this much when time moves at all) */
#define DG_GAP_MAX 48u       /* ... up to this (24ms); a longer quiet gap is a break: */
#define DG_BREAK_H 56u       /* a fixed height with a zigzag and the gap's length */
#define DG_TICK_MIN 6u       /* a dotted rule across only where the gap is visible */
#define DG_HEAD_H 40u        /* lane names at the top */
#define DG_REPEAT_EVERY 40u  /* rows between repeated lane names */
#define DG_REPEAT_H 16u
#define DG_AXIS_MIN_W 78u    /* time labels: at least this wide, else sized from the longest */
#define DG_AXIS_CHAR_W 7u    /* px per character of a time label (11px monospace, rounded up) */
#define DG_LANE_W 300u
#define DG_LANE_PAD 28u      /* between the axis and the first lane */
#define DG_SPAN_W 6u
#define DG_SPAN_PITCH 8u
#define DG_FOOT_H 34u
/* Deadline brackets, in a gutter left of a lane's lifeline (only lanes that have some). */
#define DG_BRACKET_PITCH 6u  /* between nested brackets; the nearest is 8px left of the lifeline */
#define DG_MAX_SLOTS 6u      /* bracket columns per lane (deeper ones share the last) */
#define DG_NOTE_CHAR_W2 13u  /* 2 x px per character of a gutter note (10px sans-serif, bold) */
#define DG_NOTE_H 11u        /* notes on one lane closer than this are pushed down */
#define DG_GUTTER_MAX_W 300u
#define DG_MAX_TIMER_TICKS 16u /* due times drawn per add_timer */

typedef struct dg_lane {
    uint16_t process; /* DG_NO_ACTOR: the (system) lane */
    uint16_t thread;  /* DG_NO_ACTOR: the process itself */
    bool overflow;    /* "(other actors)": everything past REP_DIAGRAM_MAX_LANES */
} dg_lane;

enum { DG_ITEM_END = 0, DG_ITEM_EVENT = 1, DG_ITEM_START = 2, DG_ITEM_LIMIT = 3 };

typedef struct dg_item {
    int64_t time_ns;
    uint64_t seq;
    uint32_t ref; /* exec index (START, END), event index, or limit index (LIMIT) */
    uint8_t type;
} dg_item;

typedef struct dg_row {
    int64_t time_ns;
    uint32_t y;        /* centre of the row */
    uint32_t gap_px;   /* the space drawn above it for the time since the previous row */
    int64_t gap_ns;    /* that time */
    bool new_time;     /* first row, or time advanced since the previous row */
    bool brk;          /* the gap above is a compressed break (longer than DG_GAP_MAX) */
    bool limit_only;   /* a row of its own for a deadline nothing else happened at */
    bool repeat_names; /* lane names repeated just above this row */
} dg_row;

typedef struct dg_span {
    uint32_t lane;
    uint32_t depth;
    uint32_t row0;
    uint32_t row1; /* DG_NONE: open to the bottom (blocked, or past the cap) */
    uint32_t ref;  /* exec index; for a callout, its event index */
    bool callout;
    bool differs;  /* a pair: the call has no equal outcome in the other run */
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

/* A deadline of a call (rep_diagram_limits.c): a bracket from when it starts counting to when it
 * expires, on the caller's lane. */
typedef enum dg_limit_kind {
    DG_LIMIT_SEND = 1, /* send_timeout: from the call until the request is queued */
    DG_LIMIT_RECV,     /* recv_timeout: from the request queued (R32) */
    DG_LIMIT_RUN,      /* run_loop for: */
    DG_LIMIT_WAIT,     /* wait_for timeout: */
    DG_LIMIT_TIMER,    /* add_timer: a due time (after:, then every:) */
} dg_limit_kind;

typedef struct dg_limit {
    uint32_t exec;     /* the call it belongs to */
    uint32_t lane;
    uint8_t kind;      /* dg_limit_kind */
    uint8_t slot;      /* bracket column, 0 nearest the lifeline */
    bool reached;      /* the deadline came while it mattered (then the bracket ends at it) */
    bool decided;      /* it decided the call's status (a timeout) */
    uint32_t fire;     /* timers: 1 for the first due time, 2 for the next... */
    int64_t from_ns;   /* when it started counting */
    int64_t at_ns;     /* when it expires */
    int64_t until_ns;  /* when it stopped mattering: at_ns if reached, else the send queued / the return */
    uint32_t from_event; /* an event the window starts at (the request queued), or DG_NONE */
    uint32_t tie;      /* an event exactly at at_ns that could decide the call, or DG_NONE */
    uint32_t row0;     /* resolved after the rows: DG_NONE when not drawn */
    uint32_t row1;     /* DG_NONE: past the last row (open to the bottom) */
} dg_limit;

/* What decided a call's status: an event (the reply, the port invalid) or one of its limits. */
typedef struct dg_decision {
    uint32_t exec;
    uint32_t event; /* or DG_NONE */
    uint32_t limit; /* or DG_NONE */
} dg_decision;

/*
 * Two runs of one scenario in one diagram (rep_diagram_write_beside): one observation whose
 * processes below split are the first run's and the rest the second's, so both share one time
 * axis. Records of different runs never pair up (arrows, deadlines, ties, decisions), failures
 * belong to the first run, and differs[exec] (may be NULL) marks calls with no equal in the other.
 */
typedef struct dg_pair {
    uint16_t split;         /* the first process of the second run (> 0) */
    const uint8_t *differs; /* [exec] of the merged observation, or NULL */
} dg_pair;

typedef struct dg_layout {
    const sim_result *r;
    const sim_obs *o;
    dg_pair pair;         /* pair.split == 0: one run */
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
    /* deadlines and decisions (rep_diagram_limits.c) */
    uint32_t *by_time; /* event indices in time order */
    dg_limit *limits;
    uint32_t limit_count;
    dg_decision *decisions;
    uint32_t decision_count;
    /* horizontal geometry, from the labels */
    uint32_t axis_w;                         /* the time-label column */
    uint32_t gutter_w[REP_DIAGRAM_MAX_LANES]; /* bracket gutter left of each lifeline, 0: none */
    uint32_t lane_x[REP_DIAGRAM_MAX_LANES];
    uint32_t width;
} dg_layout;

/* Builds the layout of r->obs (which must be set), pair NULL for one run; false when out of memory. */
bool dg_layout_build(dg_layout *l, const sim_result *r, uint32_t max_rows, const dg_pair *pair);
/* Which run (0, 1) a process's records belong to: always 0 for one run. */
static inline uint32_t dg_run_of(const dg_layout *l, uint16_t process)
{
    return l->pair.split != 0 && process >= l->pair.split;
}
void dg_layout_free(dg_layout *l);
/* x of a lane's lifeline (lane == lane_count: where a next lane would be). */
uint32_t dg_lane_x(const dg_layout *l, uint32_t lane);
/* The first row at or after t, DG_NONE if none (rows are in time order). */
uint32_t dg_row_at(const dg_layout *l, int64_t t);

/* rep_diagram_limits.c: the calls' deadlines (before the rows: they add rows of their own) and,
 * once rows exist, where each is drawn and what decided each call. False when out of memory. */
bool dg_limits_collect(dg_layout *l);
void dg_limits_place(dg_layout *l);
bool dg_decisions_collect(dg_layout *l);
/* The x of a limit's bracket. */
uint32_t dg_limit_x(const dg_layout *l, const dg_limit *m);
/* "recv deadline 30ms", "run_loop limit 110ms", "timer line 12 due #2 20ms" (unescaped, into b). */
void dg_limit_label(const dg_layout *l, const dg_limit *m, base_buf *b);
/* "reply received at the recv deadline" when m has a tie, else nothing. */
void dg_tie_label(const dg_layout *l, const dg_limit *m, base_buf *b);
/* "decided: reply received" / "decided: recv deadline". */
void dg_decision_label(const dg_layout *l, const dg_decision *d, base_buf *b);
/* The y of a span's end: its end row, or the bottom. */
uint32_t dg_span_end_y(const dg_layout *l, const dg_span *s);

#endif /* REP_DIAGRAM_INTERNAL_H */
