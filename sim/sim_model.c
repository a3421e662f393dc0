/*
 * sim_model.c — runs a compiled scenario on the core and turns its trace
 * into observations (sim_obs.h), event by event, through the world's
 * on_event hook.
 *
 * Calls nest per thread (a callout runs inside a run loop, which may run
 * inside a send; invalidation callbacks run inside the call that
 * invalidated), so each thread keeps a stack of open executions: CALL
 * pushes, RETURN pops and must match, BLOCKED_AT_END marks, and a crash or
 * exit of the process closes them as killed. Callouts keep a stack too,
 * so each callout event learns its reply and whether it was delivered.
 */
#include "sim_run.h"

#include "sim_explore.h"
#include "base_alloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_MAX 64u
#define COPY_CACHE 16u

typedef struct thread_state {
    uint32_t calls[STACK_MAX];    /* exec indices */
    uint32_t call_depth;
    uint32_t callouts[STACK_MAX]; /* event indices */
    uint32_t callout_depth;
    uint32_t last_callout;        /* the callout that just finished, SIM_NONE */
} thread_state;

typedef struct observer {
    const sim_compiled *c;
    const sim_run_options *opt;
    sim_obs *obs;
    const cm_world *w;        /* set once the world exists */
    const sim_step *steps;    /* c->sc->steps, c->sc->step_count, c->cfg.process_count */
    uint32_t step_count;
    uint16_t process_count;
    uint32_t *thread_base;    /* [process] first thread_state */
    uint16_t *thread_count;   /* [process] threads incl. dispatch workers */
    thread_state *threads;
    /* this run's copies of blob bytes in the obs (own_blob_data) */
    struct data_copy {
        const uint8_t *src;
        uint32_t len;
        const uint8_t *copy;
    } copies[COPY_CACHE];
    uint32_t copy_count;
    bool want_request;        /* some expect_events filters on a callout's request data */
    char line[1024];
} observer;

/* ---- set-up --------------------------------------------------------------- */

static bool observer_init(observer *o, const sim_compiled *c, const sim_run_options *opt,
                          sim_obs *obs)
{
    memset(o, 0, sizeof *o);
    o->c = c;
    o->opt = opt;
    o->obs = obs;
    o->steps = c->sc->steps;
    o->step_count = c->sc->step_count;
    o->process_count = c->cfg.process_count;
    for (uint32_t i = 0; i < c->sc->event_expect_count; i++) {
        o->want_request = o->want_request || c->sc->event_expects[i].has_request;
    }
    const cm_world_config *cfg = &c->cfg;
    o->thread_base = calloc((size_t)cfg->process_count + 1, sizeof *o->thread_base);
    o->thread_count = calloc((size_t)cfg->process_count + 1, sizeof *o->thread_count);
    if (o->thread_base == NULL || o->thread_count == NULL) return false;
    uint32_t total = 0;
    for (uint16_t p = 0; p < cfg->process_count; p++) {
        const cm_process_config *pc = &cfg->processes[p];
        uint32_t n = pc->thread_count;
        for (uint16_t q = 0; q < pc->queue_count; q++) {
            n += pc->queues[q].kind == CM_QUEUE_CONCURRENT ? pc->queues[q].width : 1u;
        }
        o->thread_base[p] = total;
        o->thread_count[p] = (uint16_t)n;
        total += n;
    }
    o->threads = calloc((size_t)total + 1, sizeof *o->threads);
    if (o->threads == NULL) return false;
    for (uint32_t i = 0; i < total; i++) o->threads[i].last_callout = SIM_NONE;
    return true;
}

static void observer_fini(observer *o)
{
    free(o->thread_base);
    free(o->thread_count);
    free(o->threads);
}

static thread_state *thread_of(observer *o, uint16_t process, uint16_t thread)
{
    if (process >= o->process_count || thread >= o->thread_count[process]) return NULL;
    return &o->threads[o->thread_base[process] + thread];
}

/* ---- anomalies and closing calls ---------------------------------------------- */

static __attribute__((noinline, cold)) void anomaly(observer *o, const cm_event *ev, uint32_t step,
                                                   const char *note)
{
    sim_event e = {.kind = SIM_EV_ANOMALY, .process = ev->process, .thread = ev->thread,
                   .time_ns = ev->time_ns, .seq = ev->seq, .port = SIM_PORT_NONE, .msg = -1,
                   .step = step, .note = note};
    sim_obs_add_event(o->obs, &e);
}

static void close_exec(observer *o, uint32_t exec, uint8_t outcome, const cm_event *ev)
{
    sim_exec *e = &o->obs->execs[exec];
    if (e->outcome != SIM_OUTCOME_OPEN) return;
    e->outcome = outcome;
    e->end_ns = ev->time_ns;
    e->end_seq = ev->seq;
}

/* The process died: whatever its threads were doing never returns. */
static void kill_process(observer *o, const cm_event *ev)
{
    if (ev->process >= o->process_count) return;
    for (uint16_t t = 0; t < o->thread_count[ev->process]; t++) {
        thread_state *ts = thread_of(o, ev->process, t);
        for (uint32_t d = 0; d < ts->call_depth; d++) {
            close_exec(o, ts->calls[d], SIM_OUTCOME_KILLED, ev);
        }
        ts->call_depth = 0;
        ts->callout_depth = 0;
        ts->last_callout = SIM_NONE;
    }
}

/* The run ended: calls still open should all have been reported blocked. */
static void end_run(observer *o, const cm_event *ev)
{
    uint32_t total = o->thread_base[o->c->cfg.process_count];
    for (uint32_t i = 0; i < total; i++) {
        thread_state *ts = &o->threads[i];
        for (uint32_t d = 0; d < ts->call_depth; d++) {
            sim_exec *e = &o->obs->execs[ts->calls[d]];
            if (e->outcome == SIM_OUTCOME_OPEN) {
                anomaly(o, ev, e->step, "a call neither returned nor was reported blocked");
                close_exec(o, ts->calls[d], SIM_OUTCOME_BLOCKED, ev);
            }
        }
        ts->call_depth = 0;
    }
}

/* ---- calls and returns ------------------------------------------------------------ */

static uint8_t step_op(const observer *o, uint32_t step)
{
    return step < o->step_count ? o->steps[step].op : CM_OP_NONE;
}

/*
 * Data written field by field into the record: a sim_data built in a
 * temporary and copied whole stalls on store forwarding (narrow stores,
 * wide loads), on every call and return.
 */
static inline void set_data(sim_data *d, uint8_t kind, const uint8_t *bytes, uint32_t len,
                            int64_t size)
{
    d->kind = kind;
    d->bytes = bytes;
    d->len = len;
    d->size = size;
}

/*
 * Makes *d, data over the compiled scenario's blobs (sim_compiled_data),
 * point at the obs's own copy of its bytes; most data have none to copy.
 * Blobs do not change while a run lasts, so each is copied once per run:
 * the same request and reply bytes come back in several events and
 * executions. (Other bytes go through sim_obs_copy_data.)
 */
static void own_blob_bytes(observer *o, sim_data *d)
{
    const uint8_t *src = d->bytes;
    for (uint32_t i = 0; i < o->copy_count; i++) {
        if (o->copies[i].src == src && o->copies[i].len == d->len) {
            d->bytes = o->copies[i].copy;
            return;
        }
    }
    *d = sim_obs_copy_data(o->obs, d);
    if (d->bytes != NULL && o->copy_count < COPY_CACHE) {
        o->copies[o->copy_count++] = (struct data_copy){.src = src, .len = d->len, .copy = d->bytes};
    }
}

static inline void own_blob_data(observer *o, sim_data *d)
{
    if (d->kind == SIM_DATA_BYTES && d->len > 0) own_blob_bytes(o, d);
}

static void on_call(observer *o, const cm_event *ev)
{
    thread_state *ts = thread_of(o, ev->process, ev->thread);
    uint32_t step = sim_compiled_step(o->c, ev->program, ev->op_index);
    if (ts == NULL || step == SIM_NONE) {
        anomaly(o, ev, step, "a call on an unknown thread or step");
        return;
    }
    /* filled in place, field by field (a zeroed temporary and a copy cost more) */
    sim_exec *e = sim_obs_push_exec(o->obs);
    if (e == NULL) return;
    uint32_t exec = o->obs->exec_count - 1;
    e->step = step;
    e->outcome = SIM_OUTCOME_OPEN;
    e->should_free_info = false;
    e->value = 0;
    e->port = SIM_PORT_NONE;
    set_data(&e->data, SIM_DATA_NULL, NULL, 0, 0);
    e->info = 0;
    e->callback = SIM_NONE;
    e->convid = 0;
    e->request = -1;
    e->msgid = 0;
    e->start_ns = ev->time_ns;
    e->end_ns = ev->time_ns;
    e->start_seq = ev->seq;
    e->end_seq = ev->seq;
    e->process = ev->process;
    e->thread = ev->thread;
    if (ts->call_depth >= STACK_MAX) {
        anomaly(o, ev, step, "calls nested deeper than the observer tracks");
        return;
    }
    ts->calls[ts->call_depth++] = exec;
}

/* GetName's result: the sanitized name's bytes, or NULL. */
static sim_data name_of(observer *o, const cm_event *ev, uint8_t *bytes, size_t cap)
{
    cm_blob name = cm_world_name(o->w, ev->ret.result);
    if (name.bytes == NULL) return (sim_data){.kind = SIM_DATA_NULL};
    size_t n = name.size_bytes < cap ? name.size_bytes : cap;
    memcpy(bytes, name.bytes, n);
    return (sim_data){.kind = SIM_DATA_BYTES, .bytes = bytes, .len = (uint32_t)n, .size = (int64_t)n};
}

/* GetName's result, copied into the obs (out of line: its buffer stays off the hot path). */
static __attribute__((noinline)) void return_name(observer *o, sim_exec *e, const cm_event *ev)
{
    uint8_t name[CM_NAME_MAX_BYTES + 8];
    e->data = name_of(o, ev, name, sizeof name);
    e->data = sim_obs_copy_data(o->obs, &e->data);
}

static void fill_return(observer *o, sim_exec *e, const cm_event *ev)
{
    uint8_t op = step_op(o, e->step);
    e->value = ev->ret.result;
    e->port = ev->port == CM_NO_PORT ? SIM_PORT_NONE : ev->port;
    switch (op) {
    case CM_OP_SEND:
        if (ev->ret.aux == -1) {
            set_data(&e->data, SIM_DATA_NULL, NULL, 0, 0);
        } else {
            sim_compiled_data_into(o->c, ev->ret.aux, &e->data);
        }
        break;
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID:
    case CM_OP_CREATE_REMOTE:
    case CM_OP_CREATE_REMOTE_PER_PID:
        if (op == CM_OP_CREATE_LOCAL || op == CM_OP_CREATE_LOCAL_PER_PID) {
            e->should_free_info = ev->ret.aux != 0;
        }
        e->value = ev->ret.result >= 0;
        e->port = ev->ret.result >= 0 ? ev->ret.result : SIM_PORT_NONE;
        break;
    case CM_OP_CREATE_SOURCE: /* the source, or -1 for NULL (R47) */
        e->value = ev->ret.result >= 0;
        break;
    case CM_OP_GET_CONTEXT:
        e->info = ev->ret.aux == CM_INFO_UNDEFINED ? SIM_INFO_UNDEFINED : ev->ret.aux;
        break;
    case CM_OP_GET_INVALIDATION_CALLBACK:
        e->callback = ev->ret.result < 0 ? SIM_NONE : (uint32_t)ev->ret.result;
        break;
    case CM_OP_REPLY:
        sim_compiled_data_into(o->c, ev->ret.result, &e->data);
        break;
    default:
        break;
    }
}

static void on_return(observer *o, const cm_event *ev)
{
    thread_state *ts = thread_of(o, ev->process, ev->thread);
    uint32_t step = sim_compiled_step(o->c, ev->program, ev->op_index);
    if (ts == NULL || ts->call_depth == 0) {
        anomaly(o, ev, step, "a return without a call");
        return;
    }
    uint32_t exec = ts->calls[ts->call_depth - 1];
    sim_exec *e = &o->obs->execs[exec];
    if (e->step != step || e->outcome != SIM_OUTCOME_OPEN) {
        anomaly(o, ev, step, "a return that does not match the innermost call");
        return;
    }
    ts->call_depth--;
    fill_return(o, e, ev);
    if (step_op(o, step) == CM_OP_GET_NAME) {
        return_name(o, e, ev);
    } else {
        own_blob_data(o, &e->data);
    }
    close_exec(o, exec, SIM_OUTCOME_RETURNED, ev);
}

static void on_blocked_at_end(observer *o, const cm_event *ev)
{
    thread_state *ts = thread_of(o, ev->process, ev->thread);
    uint32_t step = sim_compiled_step(o->c, ev->program, ev->op_index);
    if (ts == NULL) return;
    for (uint32_t d = ts->call_depth; d > 0; d--) {
        sim_exec *e = &o->obs->execs[ts->calls[d - 1]];
        if (e->step == step && e->outcome == SIM_OUTCOME_OPEN) {
            close_exec(o, ts->calls[d - 1], SIM_OUTCOME_BLOCKED, ev);
            return;
        }
    }
}

/* ---- events -------------------------------------------------------------------------- */

/* The scenario-level kind of each core kind: itself for COUNTED kinds (cm_event_kinds.h). */
static const uint8_t sim_kinds[CM_EV_KIND_COUNT] = {
#define SIM_KIND_OF(id, name, shape, counted, ta, tb, tc) CM_EVENT_IF_COUNTED(counted, [CM_EV_##id] = SIM_EV_##id,)
    CM_EVENT_KINDS(SIM_KIND_OF)
#undef SIM_KIND_OF
};

static uint8_t sim_kind_of(const cm_event *ev)
{
    if (ev->kind == CM_EV_STATE) return ev->state.to == CM_PS_INVALID ? SIM_EV_INVALIDATED : SIM_EV_NONE;
    return ev->kind < CM_EV_KIND_COUNT ? sim_kinds[ev->kind] : SIM_EV_NONE;
}

/* What each kind carries into the observation: ids, data, and its code (cm_event_kinds.h). */
static void fill_event_fields(const observer *o, sim_event *e, const cm_event *ev)
{
    switch (ev->kind) {
    case CM_EV_CALLOUT:
    case CM_EV_ENQUEUE:
    case CM_EV_SEND_BLOCKED:
    case CM_EV_MESSAGE_DESTROYED:
        e->msgid = ev->request.msgid;
        e->convid = ev->request.convid;
        e->size_bytes = ev->request.size_bytes;
        break;
    case CM_EV_CALLOUT_DONE:
        sim_compiled_data_into(o->c, ev->callout_done.reply, &e->data);
        break;
    case CM_EV_REPLY_SENT:
        e->convid = -ev->reply.convid; /* the request's */
        e->size_bytes = ev->reply.size_bytes;
        if (ev->reply.delivered) e->flags |= SIM_EVF_DELIVERED;
        break;
    case CM_EV_REPLY_FILED:
    case CM_EV_REPLY_DROPPED:
        e->convid = ev->reply.convid;
        e->size_bytes = ev->reply.size_bytes;
        break;
    case CM_EV_REQUEST_DROPPED:
        e->code = ev->drop.reason;
        e->convid = ev->drop.convid;
        break;
    case CM_EV_INVALIDATION_CALLBACK:
        e->code = ev->callback.callback;
        if (ev->callback.at_once == 1) e->flags |= SIM_EVF_VIA_SET; /* R8 */
        break;
    case CM_EV_WARNING:
        e->code = ev->warning.warning;
        break;
    default:
        /* the first slot, whatever it names: crash reason, timer, queue, name, incarnation */
        e->code = ev->slots.a;
        break;
    }
}

/* Callouts learn their reply (CALLOUT_DONE) and delivery (REPLY_SENT). */
static void track_callout(observer *o, thread_state *ts, const cm_event *ev, uint32_t index)
{
    if (ts == NULL) return;
    if (ev->kind == CM_EV_CALLOUT && index != SIM_NONE && ts->callout_depth < STACK_MAX) {
        ts->callouts[ts->callout_depth++] = index;
    } else if (ev->kind == CM_EV_CALLOUT_DONE && ts->callout_depth > 0) {
        sim_event *callout = &o->obs->events[ts->callouts[--ts->callout_depth]];
        callout->flags |= SIM_EVF_DONE;
        callout->data = o->obs->events[index].data; /* already a copy owned by obs */
        ts->last_callout = ts->callouts[ts->callout_depth];
    } else if (ev->kind == CM_EV_REPLY_SENT && ts->last_callout != SIM_NONE && ev->reply.delivered) {
        o->obs->events[ts->last_callout].flags |= SIM_EVF_DELIVERED;
    }
}

static void on_sim_event(observer *o, const cm_event *ev, uint8_t kind)
{
    thread_state *ts = thread_of(o, ev->process, ev->thread);
    if ((kind == SIM_EV_ENQUEUE || kind == SIM_EV_SEND_BLOCKED) && ts != NULL && ts->call_depth > 0) {
        sim_exec *top = &o->obs->execs[ts->calls[ts->call_depth - 1]];
        if (step_op(o, top->step) == CM_OP_SEND && top->convid == 0) {
            top->convid = ev->request.convid;
            top->msgid = ev->request.msgid;
            top->request = ev->msg < 0 ? -1 : ev->msg;
        }
    }
    /* filled in place, field by field (a zeroed temporary and a copy cost more) */
    sim_event *e = sim_obs_push_event(o->obs);
    if (e == NULL) return;
    uint32_t index = o->obs->event_count - 1;
    e->kind = kind;
    e->flags = 0;
    e->process = ev->process;
    e->thread = ev->thread;
    e->time_ns = ev->time_ns;
    e->seq = ev->seq;
    e->port = ev->port == CM_NO_PORT ? SIM_PORT_NONE : ev->port;
    e->msgid = 0;
    e->convid = 0;
    e->code = 0;
    e->msg = ev->msg < 0 ? -1 : ev->msg;
    set_data(&e->data, SIM_DATA_NULL, NULL, 0, 0);
    set_data(&e->request, SIM_DATA_NULL, NULL, 0, 0); /* known only with SIM_EVF_REQUEST, below */
    e->size_bytes = -1;
    e->step = SIM_NONE;
    e->note = NULL;
    fill_event_fields(o, e, ev);
    own_blob_data(o, &e->data);
    if (kind == SIM_EV_CALLOUT && o->want_request) { /* only then: a scan of the messages */
        sim_compiled_data_into(o->c, cm_world_message_data(o->w, ev->msg), &e->request);
        own_blob_data(o, &e->request);
        e->flags |= SIM_EVF_REQUEST;
    }
    track_callout(o, ts, ev, index);
    if (kind == SIM_EV_CRASH || kind == SIM_EV_EXIT) kill_process(o, ev);
}

static void observe(observer *o, const cm_event *ev)
{
    switch (ev->kind) {
    case CM_EV_CALL:
        on_call(o, ev);
        return;
    case CM_EV_RETURN:
        on_return(o, ev);
        return;
    case CM_EV_BLOCKED_AT_END:
        on_blocked_at_end(o, ev);
        return;
    case CM_EV_END:
        end_run(o, ev);
        return;
    default:
        break;
    }
    uint8_t kind = sim_kind_of(ev);
    if (kind != SIM_EV_NONE) on_sim_event(o, ev, kind);
}

/* ---- the trace text ------------------------------------------------------------------------ */

static void print_line(observer *o, const cm_event *ev)
{
    cm_event_format(o->w, ev, o->line, sizeof o->line);
    o->opt->trace_line(o->opt->trace_ctx, o->line);
}

static void on_event(void *ctx, const cm_world *w, const cm_event *ev)
{
    observer *o = ctx;
    o->w = w;
    if (o->opt->trace_line != NULL) print_line(o, ev);
    observe(o, ev);
}

/*
 * Kinds observe() does nothing with: not COUNTED (sim_kind_of gives
 * SIM_EV_NONE) and not one it handles itself. The world need not call
 * on_event for them unless the trace is printed.
 */
#define UNCOUNTED_BIT(id, name, shape, counted, ta, tb, tc) CM_EVENT_IF_UNCOUNTED(counted, | UINT64_C(1) << CM_EV_##id)
#define OBSERVED_UNCOUNTED                                                                        \
    (UINT64_C(1) << CM_EV_CALL | UINT64_C(1) << CM_EV_RETURN | UINT64_C(1) << CM_EV_STATE |       \
     UINT64_C(1) << CM_EV_BLOCKED_AT_END | UINT64_C(1) << CM_EV_END)
#define UNOBSERVED_KINDS ((0 CM_EVENT_KINDS(UNCOUNTED_BIT)) & ~OBSERVED_UNCOUNTED)

/* ---- a run ----------------------------------------------------------------------------------- */

static const char *end_reason_name(cm_end_reason reason)
{
    switch (reason) {
    case CM_END_QUIESCENT: return "quiescent";
    case CM_END_TIME_LIMIT: return "time_limit";
    case CM_END_ERROR: return "error";
    case CM_END_BUDGET: return "event_budget";
    default: return "none";
    }
}

/* The strategy a run uses, and its state (which lives on the caller's stack). */
typedef struct strategy_state {
    sim_pct pct;
    sim_schedule schedule;
} strategy_state;

static void choose_strategy(const sim_run_options *opt, cm_rng *rng, strategy_state *st,
                            cm_world_config *cfg)
{
    switch (opt->strategy) {
    case SIM_STRATEGY_RANDOM:
        cfg->strategy = &cm_strategy_random;
        cfg->strategy_ctx = rng;
        break;
    case SIM_STRATEGY_PCT:
        sim_pct_init(&st->pct, opt->seed, opt->pct_depth ? opt->pct_depth : 1, opt->pct_steps);
        cfg->strategy = &sim_strategy_pct;
        cfg->strategy_ctx = &st->pct;
        break;
    case SIM_STRATEGY_SCHEDULE:
        sim_schedule_init(&st->schedule, opt->schedule, opt->schedule_count, NULL, 0);
        cfg->strategy = &sim_strategy_schedule;
        cfg->strategy_ctx = &st->schedule;
        break;
    default:
        cfg->strategy = &cm_strategy_fifo;
        cfg->strategy_ctx = NULL;
        break;
    }
    if (opt->custom != NULL) {
        cfg->strategy = opt->custom;
        cfg->strategy_ctx = opt->custom_ctx;
    }
}

struct sim_model_session {
    const sim_compiled *c;
    observer o;
    sim_obs obs;
    cm_rng rng;
    strategy_state st;
    cm_world_config cfg;
    cm_world *w;
    uint32_t thread_total;
};

static void observer_reset(sim_model_session *s, const sim_run_options *opt)
{
    s->o.opt = opt;
    s->o.obs = &s->obs;
    s->o.w = NULL;
    s->o.copy_count = 0;
    for (uint32_t i = 0; i < s->thread_total; i++) { /* the stacks are dead above their depths */
        s->o.threads[i].call_depth = 0;
        s->o.threads[i].callout_depth = 0;
        s->o.threads[i].last_callout = SIM_NONE;
    }
    sim_obs_clear(&s->obs);
}

sim_model_session *sim_model_session_new(const sim_compiled *c, const sim_run_options *opt)
{
    sim_model_session *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->c = c;
    sim_obs_init(&s->obs);
    if (!observer_init(&s->o, c, opt, &s->obs)) {
        sim_model_session_free(s);
        return NULL;
    }
    s->thread_total = s->o.thread_base[c->cfg.process_count];
    s->cfg = c->cfg;
    s->cfg.alloc = (cm_alloc){.realloc = base_libc_realloc, .ctx = NULL};
    s->cfg.explore_latency = opt->explore_latency;
    /* the core's bound is exclusive, 0 meaning none (a zeroed config has no bound) */
    s->cfg.latency_below_ns = opt->max_latency_ns == CM_DURATION_FOREVER || opt->max_latency_ns < 0
                                  ? 0
                                  : opt->max_latency_ns + 1;
    s->cfg.track_history = opt->track_history;
    s->cfg.track_symmetry = opt->track_symmetry;
    s->cfg.trace_capacity = 0;
    s->cfg.max_events = opt->max_events ? opt->max_events : SIM_MAX_EVENTS_DEFAULT;
    s->cfg.on_event = on_event;
    s->cfg.on_event_ctx = &s->o;
    cm_rng_seed(&s->rng, opt->seed);
    choose_strategy(opt, &s->rng, &s->st, &s->cfg);
    observer_reset(s, opt); /* world creation already emits events */
    if (cm_world_create(&s->cfg, &s->w) != CM_OK) {
        sim_model_session_free(s);
        return NULL;
    }
    return s;
}

#ifndef NDEBUG
/* True when the model's invariants hold; otherwise says which broke (a bug in core/). */
static bool world_valid(const cm_world *w, uint64_t step)
{
    const char *broken = NULL;
    if (cm_world_validate(w, &broken)) return true;
    fprintf(stderr, "portsim: model invariant broken after step %llu: %s\n",
            (unsigned long long)step, broken ? broken : "?");
    return false;
}
#endif

/*
 * Runs the world to its end. With assertions (no NDEBUG: the default preset, debug
 * builds) the model's invariants (cm_world_validate) are checked after the reset, at
 * the end, and after every SIM_VALIDATE_PERIOD-th step from an offset the seed picks,
 * so that over many explored seeds every step position is checked, for ~6% of the
 * time of a run (measured: README, Tests). Core's own tests check after every step
 * (tb_world_run). Release builds (NDEBUG) skip it all.
 */
#define SIM_VALIDATE_PERIOD 64
static void run_world(cm_world *w, uint64_t seed)
{
#ifdef NDEBUG
    (void)seed;
    cm_world_run(w);
#else
    uint64_t step = 0, phase = seed % SIM_VALIDATE_PERIOD;
    assert(world_valid(w, step));
    while (cm_world_step(w)) {
        step++;
        if (step % SIM_VALIDATE_PERIOD == phase) assert(world_valid(w, step));
    }
    assert(world_valid(w, step));
#endif
}

static const char *end_reason_of(cm_world *w)
{
    cm_end_reason reason = cm_world_end_reason(w);
    return reason == CM_END_BUDGET ? "event_budget" : end_reason_name(reason);
}

bool sim_model_session_run(sim_model_session *s, const sim_run_options *opt)
{
    cm_world_config cfg = s->cfg;
    cm_rng_seed(&s->rng, opt->seed);
    choose_strategy(opt, &s->rng, &s->st, &cfg);
    observer_reset(s, opt);
    cm_world_set_event_skip(s->w, opt->trace_line != NULL ? 0 : UNOBSERVED_KINDS);
    if (cm_world_reset(s->w, cfg.strategy, cfg.strategy_ctx) != CM_OK) return false;
    s->o.w = s->w;
    run_world(s->w, opt->seed);
    s->obs.end_reason = end_reason_of(s->w);
    s->obs.end_ns = cm_world_now_ns(s->w);
    s->obs.trace_hash = cm_world_trace_hash(s->w);
    s->obs.trace_events = cm_world_event_count(s->w);
    return strcmp(s->obs.end_reason, "error") != 0;
}

const sim_obs *sim_model_session_obs(const sim_model_session *s)
{
    return &s->obs;
}

void sim_model_session_free(sim_model_session *s)
{
    if (s == NULL) return;
    cm_world_destroy(s->w);
    observer_fini(&s->o);
    sim_obs_fini(&s->obs);
    free(s);
}

bool sim_model_observe(const sim_compiled *c, const sim_run_options *opt, sim_obs *obs)
{
    sim_model_session *s = sim_model_session_new(c, opt);
    bool ok = s != NULL && sim_model_session_run(s, opt);
    if (s != NULL) {
        *obs = s->obs; /* moved out */
        sim_obs_init(&s->obs);
    } else {
        sim_obs_init(obs);
    }
    sim_model_session_free(s);
    return ok;
}
