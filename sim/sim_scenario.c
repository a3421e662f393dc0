/* sim_scenario.c — names, profiles and conditions of a loaded scenario. */
#include "sim_scenario.h"
#include "sim_util.h"

#include <assert.h>
#include <string.h>

void sim_scenario_free(sim_scenario *sc)
{
    if (sc == NULL) return;
    base_arena_fini(&sc->arena);
    memset(sc, 0, sizeof *sc);
}

/* ---- validation ---------------------------------------------------------- */

void sim_expect_init(sim_expect *e, sim_loc loc)
{
    assert(e != NULL);
    memset(e, 0, sizeof *e);
    e->loc = loc;
    e->should_free_info = -1;
    e->same_as.index = e->not_same_as.index = e->callback.index = SIM_NONE;
    assert(e->result_count == 0 && e->alt_count == 0);
}

void sim_event_expect_init(sim_event_expect *e, sim_loc loc)
{
    assert(e != NULL);
    memset(e, 0, sizeof *e);
    e->loc = loc;
    e->process.index = e->thread.index = e->port.index = SIM_NONE;
    assert(e->process.name == NULL);
}

static bool index_ok(uint32_t index, uint32_t count)
{
    return index == SIM_NONE || index < count;
}

static bool data_ok(const sim_data *d)
{
    if (d->kind == SIM_DATA_NULL) return true;
    if (d->kind == SIM_DATA_SIZE) return d->size >= 0;
    return d->kind == SIM_DATA_BYTES && (d->len == 0 || d->bytes != NULL) && d->size == d->len;
}

static bool step_ok(const sim_scenario *sc, const sim_step *s)
{
    if (s->program >= sc->program_count || s->op == CM_OP_NONE || s->op >= CM_OP_KIND_COUNT) {
        return false;
    }
    bool port_ok = s->port.index == SIM_VAR_SELF || index_ok(s->port.index, sc->var_count);
    bool mode_ok = index_ok(s->mode.index, 2u + sc->mode_count);
    bool refs_ok = index_ok(s->target.index, sc->program_count) &&
                   index_ok(s->process.index, sc->process_count) &&
                   index_ok(s->thread.index, SIM_MAX_THREADS) &&
                   index_ok(s->queue.index, SIM_MAX_QUEUES + 1u);
    bool expect_ok = s->expect == NULL || (s->expect->result_count <= SIM_MAX_ALTERNATIVES &&
                                           data_ok(&s->expect->reply) && data_ok(&s->expect->name) &&
                                           s->expect->alt_count <= SIM_MAX_ALTERNATIVES &&
                                           (s->expect->alt_count == 0 || s->expect->alts != NULL));
    return port_ok && mode_ok && refs_ok && expect_ok && data_ok(&s->data) && data_ok(&s->name);
}

bool sim_scenario_validate(const sim_scenario *sc)
{
    if (sc == NULL || sc->name == NULL || sc->process_count == 0) return false;
    if (sc->process_count > SIM_MAX_PROCESSES || sc->mode_count > SIM_MAX_MODES) return false;
    for (uint32_t p = 0; p < sc->program_count; p++) {
        const sim_program *prog = &sc->programs[p];
        if (prog->first_step > sc->step_count || prog->step_count > sc->step_count - prog->first_step) {
            return false;
        }
    }
    for (uint32_t i = 0; i < sc->step_count; i++) {
        if (!step_ok(sc, &sc->steps[i])) return false;
    }
    for (uint32_t p = 0; p < sc->process_count; p++) {
        const sim_process *proc = &sc->processes[p];
        if (proc->thread_count == 0 || proc->thread_count > SIM_MAX_THREADS) return false;
        for (uint32_t t = 0; t < proc->thread_count; t++) {
            if (proc->threads[t].program >= sc->program_count) return false;
        }
    }
    for (uint32_t f = 0; f < sc->fault_count; f++) {
        if (sc->faults[f].process.index >= sc->process_count) return false;
        if (sc->faults[f].on.name != NULL && sc->faults[f].on.index >= sc->signal_count) return false;
    }
    for (uint32_t o = 0; o < sc->order_count; o++) { /* expect_order: ranges of the patterns */
        const sim_order_expect *x = &sc->orders[o];
        if (x->count < 2 || x->first > sc->order_pattern_count || x->count > sc->order_pattern_count - x->first) {
            return false;
        }
    }
    for (uint32_t i = 0; i < sc->event_expect_count; i++) {
        const sim_event_expect *e = &sc->event_expects[i];
        if (e->kind == SIM_EV_NONE || e->kind >= SIM_EV_KIND_COUNT) return false;
        if (!index_ok(e->process.index, sc->process_count) || !index_ok(e->port.index, sc->var_count)) {
            return false;
        }
        if (e->count_min > e->count_max) return false;
    }
    return true;
}

/* ---- events ------------------------------------------------------------ */

static const char *const event_names[SIM_EV_KIND_COUNT] = {
    [SIM_EV_NONE] = "none",
#define SIM_EV_NAME(id, name, shape, counted, ta, tb, tc) CM_EVENT_IF_COUNTED(counted, [SIM_EV_##id] = name,)
    CM_EVENT_KINDS(SIM_EV_NAME)
#undef SIM_EV_NAME
    [SIM_EV_INVALIDATED] = "invalidated",
    [SIM_EV_ANOMALY] = "anomaly",
};

const char *sim_event_kind_name(uint8_t kind)
{
    return kind < SIM_EV_KIND_COUNT && event_names[kind] ? event_names[kind] : "?";
}

uint8_t sim_event_kind_by_name(const char *name)
{
    for (uint8_t k = 1; k < SIM_EV_KIND_COUNT; k++) {
        if (k != SIM_EV_ANOMALY && strcmp(event_names[k], name) == 0) return k;
    }
    return SIM_EV_NONE;
}

/*
 * What each kind carries, so what a filter on it can match: the fields the
 * model's events fill (core/'s emitters, sim_model.c fill_event_fields) and
 * agents report (docs/agent-protocol.md §6). A filter outside these would
 * match nothing (issue 9: msgid on callout_done), so the loader refuses it.
 */
uint32_t sim_event_kind_filters(uint8_t kind)
{
    enum { P = SIM_FILTER_PROCESS, T = SIM_FILTER_THREAD, O = SIM_FILTER_PORT, M = SIM_FILTER_MSGID,
           S = SIM_FILTER_SIZE, Q = SIM_FILTER_REQUEST, R = SIM_FILTER_REPLY };
    static const uint16_t filters[SIM_EV_KIND_COUNT] = {
        [SIM_EV_START] = P,
        [SIM_EV_CALLOUT] = P | T | O | M | S | Q | R,
        [SIM_EV_CALLOUT_DONE] = P | T | O | R,
        [SIM_EV_INVALIDATION_CALLBACK] = P | T | O,
        [SIM_EV_CONTEXT_RETAIN] = P | T | O,
        [SIM_EV_CONTEXT_RELEASE] = P | T | O,
        [SIM_EV_CONTEXT_COPY_DESCRIPTION] = P | T | O,
        [SIM_EV_ENQUEUE] = P | T | O | M | S,
        [SIM_EV_SEND_BLOCKED] = P | T | O | M,
        [SIM_EV_REPLY_SENT] = P | T | O | S,
        [SIM_EV_REPLY_FILED] = P | T | O | S,
        [SIM_EV_REPLY_DROPPED] = P | T | O | S,
        [SIM_EV_CORRUPT_REPLY_DROPPED] = P | T | O,
        [SIM_EV_MESSAGE_DESTROYED] = P | M | S,
        [SIM_EV_REQUEST_DROPPED] = P | T | O | SIM_FILTER_REASON,
        [SIM_EV_INVALIDATED] = P | O,
        [SIM_EV_DEALLOC] = P | T | O,
        [SIM_EV_TIMER] = P | T,
        [SIM_EV_BLOCK] = P | T | O,
        [SIM_EV_CRASH] = P | SIM_FILTER_REASON,
        [SIM_EV_EXIT] = P,
        [SIM_EV_WARNING] = P | T | O | SIM_FILTER_WARNING,
        [SIM_EV_DEATH_NOTICE] = P,
        [SIM_EV_PORT_DIED] = P | O,
        [SIM_EV_NAME_REGISTERED] = P,
        [SIM_EV_NAME_RELEASED] = 0, /* the name server's: no process, thread or port */
    };
    return kind < SIM_EV_KIND_COUNT ? filters[kind] : 0;
}

const char *const *sim_event_kind_names(size_t *count)
{
    *count = SIM_EV_ANOMALY - 1; /* start .. invalidated: not none, not anomaly */
    return &event_names[1];
}

const char *sim_program_kind_name(uint8_t kind)
{
    switch (kind) {
    case SIM_PROG_THREAD: return "thread";
    case SIM_PROG_HANDLER: return "handler";
    case SIM_PROG_CALLBACK: return "callback";
    case SIM_PROG_TIMER: return "timer";
    case SIM_PROG_BLOCK: return "block";
    default: return "?";
    }
}

/* ---- operations -------------------------------------------------------- */

typedef struct op_keyword {
    const char *keyword;
    uint8_t op;
    uint8_t result_type;
} op_keyword;

static const op_keyword op_keywords[] = {
    {"create_local", CM_OP_CREATE_LOCAL, SIM_RT_CREATED},
    {"create_local_per_pid", CM_OP_CREATE_LOCAL_PER_PID, SIM_RT_CREATED},
    {"create_remote", CM_OP_CREATE_REMOTE, SIM_RT_CREATED},
    {"create_remote_per_pid", CM_OP_CREATE_REMOTE_PER_PID, SIM_RT_CREATED},
    {"set_name", CM_OP_SET_NAME, SIM_RT_BOOL},
    {"get_name", CM_OP_GET_NAME, SIM_RT_NAME},
    {"is_valid", CM_OP_IS_VALID, SIM_RT_BOOL},
    {"is_remote", CM_OP_IS_REMOTE, SIM_RT_BOOL},
    {"get_context", CM_OP_GET_CONTEXT, SIM_RT_INFO},
    {"get_invalidation_callback", CM_OP_GET_INVALIDATION_CALLBACK, SIM_RT_CALLBACK},
    {"set_invalidation_callback", CM_OP_SET_INVALIDATION_CALLBACK, SIM_RT_BOOL},
    {"copy_description", CM_OP_COPY_DESCRIPTION, SIM_RT_NONE},
#ifdef CM_TYPE_ID
    {"get_type_id", CM_OP_GET_TYPE_ID, SIM_RT_INT},
#endif
    {"invalidate", CM_OP_INVALIDATE, SIM_RT_NONE},
    {"retain", CM_OP_RETAIN, SIM_RT_NONE},
    {"release", CM_OP_RELEASE, SIM_RT_NONE},
    {"create_source", CM_OP_CREATE_SOURCE, SIM_RT_CREATED},
    {"add_source", CM_OP_ADD_SOURCE, SIM_RT_BOOL},
    {"remove_source", CM_OP_REMOVE_SOURCE, SIM_RT_BOOL},
    {"schedule", CM_OP_SCHEDULE, SIM_RT_BOOL},
    {"set_dispatch_queue", CM_OP_SET_DISPATCH_QUEUE, SIM_RT_BOOL},
    {"send", CM_OP_SEND, SIM_RT_STATUS},
    {"run_loop", CM_OP_RUN_IN_MODE, SIM_RT_RUN},
    {"run", CM_OP_RUN, SIM_RT_RUN},
    {"stop", CM_OP_STOP, SIM_RT_NONE},
    {"wake_up", CM_OP_WAKE_UP, SIM_RT_NONE},
    {"add_common_mode", CM_OP_ADD_COMMON_MODE, SIM_RT_NONE},
    {"add_timer", CM_OP_ADD_TIMER, SIM_RT_NONE},
    {"async", CM_OP_ASYNC, SIM_RT_NONE},
    {"sleep", CM_OP_SLEEP, SIM_RT_NONE},
    {"work", CM_OP_SLEEP, SIM_RT_NONE}, /* sleep with CM_OPF_WORK */
    {"reply", CM_OP_REPLY, SIM_RT_NONE},
    {"crash", CM_OP_CRASH, SIM_RT_NONE},
    {"exit", CM_OP_EXIT, SIM_RT_NONE},
    {"signal", CM_OP_SIGNAL, SIM_RT_NONE},
    {"wait_for", CM_OP_WAIT_FOR, SIM_RT_BOOL},
};

#define OP_KEYWORD_COUNT (sizeof op_keywords / sizeof op_keywords[0])

const char *sim_op_keyword(uint8_t op)
{
    for (size_t i = 0; i < OP_KEYWORD_COUNT; i++) {
        if (op_keywords[i].op == op) return op_keywords[i].keyword;
    }
    return NULL;
}

uint8_t sim_op_by_keyword(const char *keyword)
{
    for (size_t i = 0; i < OP_KEYWORD_COUNT; i++) {
        if (strcmp(op_keywords[i].keyword, keyword) == 0) return op_keywords[i].op;
    }
    return CM_OP_NONE;
}

sim_result_type sim_op_result_type(uint8_t op)
{
    for (size_t i = 0; i < OP_KEYWORD_COUNT; i++) {
        if (op_keywords[i].op == op) return (sim_result_type)op_keywords[i].result_type;
    }
    return SIM_RT_NONE;
}

const char *sim_result_text(sim_result_type type, int32_t value, char *buf, size_t cap)
{
    if (value == SIM_VALUE_BLOCKED) return "blocked";
    if (value == SIM_VALUE_KILLED) return "killed";
    switch (type) {
    case SIM_RT_STATUS:
        if (value <= 0 && value >= -5) return cm_status_name(value);
        break;
    case SIM_RT_CREATED:
        return value ? "created" : "null";
    case SIM_RT_BOOL:
        return value ? "true" : "false";
    case SIM_RT_RUN:
        switch (value) {
        case CM_RUN_FINISHED: return "finished";
        case CM_RUN_STOPPED: return "stopped";
        case CM_RUN_TIMED_OUT: return "timed_out";
        case CM_RUN_HANDLED_SOURCE: return "handled_source";
        default: break;
        }
        break;
    default:
        break;
    }
    snprintf(buf, cap, "%d", (int)value);
    return buf;
}

static const char *const warning_names[] = {
    [CM_WARN_UNNAMED_SCHEDULED] = "unnamed_scheduled",
    [CM_WARN_QUEUE_INVALID] = "queue_invalid",
    [CM_WARN_QUEUE_REMOTE] = "queue_remote",
    [CM_WARN_QUEUE_HAS_SOURCE] = "queue_has_source",
    [CM_WARN_QUEUE_UNNAMED] = "queue_unnamed",
    [CM_WARN_REGISTER_FAILED] = "register_failed",
    [CM_WARN_DATA_TOO_BIG] = "data_too_big",
    [CM_WARN_REPLY_TOO_BIG] = "reply_too_big",
    [CM_WARN_SETNAME_QUEUE] = "setname_queue",
};

#define WARNING_NAME_COUNT (sizeof warning_names / sizeof warning_names[0])

const char *sim_warning_name(int32_t code)
{
    if (code > 0 && (size_t)code < WARNING_NAME_COUNT && warning_names[code]) {
        return warning_names[code];
    }
    return "?";
}

int32_t sim_warning_by_name(const char *name)
{
    for (size_t i = 1; i < WARNING_NAME_COUNT; i++) {
        if (warning_names[i] != NULL && strcmp(warning_names[i], name) == 0) return (int32_t)i;
    }
    return 0;
}

/* ---- profiles and conditions ------------------------------------------- */

uint8_t sim_scenario_profile_id(const sim_scenario *sc, uint8_t profile_override)
{
    if (profile_override != 0) return profile_override;
    if (sc->profile != 0) return sc->profile;
    return CM_PROFILE_VENTURA;
}

cm_profile sim_scenario_profile(const sim_scenario *sc, uint8_t profile_override)
{
    cm_profile p;
    bool ok = cm_profile_init(&p, (cm_profile_id)sim_scenario_profile_id(sc, profile_override));
    assert(ok);
    (void)ok;
    uint32_t m = sc->option_mask;
    const cm_profile *o = &sc->options;
    if (m & SIM_OPT_NAME_RELEASE_DELAY) p.name_release_delay_ns = o->name_release_delay_ns;
    if (m & SIM_OPT_RIGHTS_RELEASE_DELAY) p.rights_release_delay_ns = o->rights_release_delay_ns;
    if (m & SIM_OPT_DEATH_NOTICE_DELAY) p.death_notice_delay_ns = o->death_notice_delay_ns;
    if (m & SIM_OPT_HOP_LATENCY) p.hop_latency_ns = o->hop_latency_ns;
    if (m & SIM_OPT_DISPATCH_DEQUEUE_DELAY) p.dispatch_dequeue_delay_ns = o->dispatch_dequeue_delay_ns;
    if (m & SIM_OPT_QLIMIT) p.qlimit = o->qlimit;
    if (m & SIM_OPT_NAME128) p.name128 = o->name128;
    if (m & SIM_OPT_SETNAME_REFUSED) p.setname_refused_with_queue = o->setname_refused_with_queue;
    if (m & SIM_OPT_MAIN_QUEUE_DEATH) p.main_queue_death_callbacks = o->main_queue_death_callbacks;
    if (m & SIM_OPT_CROSS_THREAD_WAKES) {
        p.cross_thread_invalidate_wakes = o->cross_thread_invalidate_wakes;
    }
    if (m & SIM_OPT_REMOTE_SHARES) {
        p.same_process_remote_shares_wrapper = o->same_process_remote_shares_wrapper;
    }
    assert(cm_profile_validate(&p));
    return p;
}

static bool condition_matches(const sim_condition *c, const char *backend, uint8_t profile)
{
    if (c->backend != NULL && (backend == NULL || strcmp(c->backend, backend) != 0)) return false;
    if (c->profile != 0 && c->profile != profile) return false;
    return true;
}

const char *sim_scenario_skip_reason(const sim_scenario *sc, const char *backend, uint8_t profile)
{
    for (uint32_t i = 0; i < sc->skip_count; i++) {
        if (condition_matches(&sc->skips[i], backend, profile)) return sc->skips[i].reason;
    }
    if (sc->only_count == 0) return NULL;
    for (uint32_t i = 0; i < sc->only_count; i++) {
        if (condition_matches(&sc->onlys[i], backend, profile)) return NULL;
    }
    return sc->onlys[0].reason;
}

/* ---- data -------------------------------------------------------------- */

bool sim_data_equal(const sim_data *a, const sim_data *b)
{
    if (a->kind == SIM_DATA_NULL || b->kind == SIM_DATA_NULL) return a->kind == b->kind;
    int64_t size_a = a->kind == SIM_DATA_BYTES ? (int64_t)a->len : a->size;
    int64_t size_b = b->kind == SIM_DATA_BYTES ? (int64_t)b->len : b->size;
    if (size_a != size_b) return false;
    if (a->kind == SIM_DATA_BYTES && b->kind == SIM_DATA_BYTES && a->len > 0) {
        return memcmp(a->bytes, b->bytes, a->len) == 0;
    }
    return true; /* a size-only side matches any content of that size */
}

void sim_data_format(const sim_data *d, base_buf *out)
{
    switch (d->kind) {
    case SIM_DATA_NULL:
        base_buf_puts(out, "null");
        return;
    case SIM_DATA_BYTES:
        base_buf_quote_bytes(out, d->bytes, d->len, 80);
        return;
    default:
        if (d->size == 0) {
            base_buf_puts(out, "\"\"");
        } else {
            base_buf_printf(out, "{size: %lld}", (long long)d->size);
        }
        return;
    }
}

/* Where a step runs, as every report names it: a thread as process/thread, else its program. */
char *sim_step_where(const sim_scenario *sc, const sim_step *s)
{
    assert(sc != NULL && s != NULL && s->program < sc->program_count);
    const sim_program *p = &sc->programs[s->program];
    if (p->kind == SIM_PROG_THREAD && p->process < sc->process_count) {
        return sim_strdup_printf("%s/%s", sc->processes[p->process].name, p->name);
    }
    return sim_strdup_printf("%s %s", sim_program_kind_name(p->kind), p->name);
}
