/*
 * sim_load_step.c — steps (one CFMessagePort / CFRunLoop call each) and
 * their expectations. References are stored by name here and resolved in
 * sim_load_resolve.c once every section has been read.
 */
#include "sim_load_internal.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>

/* ---- the arguments each operation takes ---------------------------------- */

typedef struct op_spec {
    const char *keyword;
    const char *const *keys; /* allowed keys of the argument mapping */
    const char *shorthand;   /* the key a scalar argument stands for, or NULL */
    bool args_optional;      /* `- op` or `op:` with nothing is fine */
} op_spec;

static const char *const k_port[] = {"port", NULL};
static const char *const k_create_local[] = {"port", "name", "handler", "context", NULL};
static const char *const k_create_remote[] = {"port", "name", NULL};
static const char *const k_create_remote_pid[] = {"port", "name", "process", NULL};
static const char *const k_set_name[] = {"port", "name", NULL};
static const char *const k_set_callback[] = {"port", "callback", NULL};
static const char *const k_source[] = {"port", "mode", "thread", NULL};
static const char *const k_schedule[] = {"port", "mode", NULL};
static const char *const k_queue[] = {"port", "queue", NULL};
static const char *const k_send[] = {"port", "msgid", "data", "send_timeout", "recv_timeout",
                                     "reply_mode", "no_return_data", "malformed", NULL};
static const char *const k_run_loop[] = {"mode", "for", "return_after_source", NULL};
static const char *const k_none[] = {NULL};
static const char *const k_thread[] = {"thread", NULL};
static const char *const k_mode[] = {"mode", NULL};
static const char *const k_timer[] = {"mode", "after", "every", "timer", NULL};
static const char *const k_async[] = {"queue", "block", NULL};
static const char *const k_for[] = {"for", NULL};
static const char *const k_context[] = {"info", "retain", "release", "copy_description", NULL};
static const char *const k_signal[] = {"name", NULL};
static const char *const k_wait_for[] = {"signal", "ended", "count", "timeout", NULL};

static const op_spec op_specs[] = {
    {"create_local", k_create_local, NULL, false},
    {"create_local_per_pid", k_create_local, NULL, false},
    {"create_remote", k_create_remote, NULL, false},
    {"create_remote_per_pid", k_create_remote_pid, NULL, false},
    {"set_name", k_set_name, NULL, false},
    {"get_name", k_port, "port", false},
    {"is_valid", k_port, "port", false},
    {"is_remote", k_port, "port", false},
    {"get_context", k_port, "port", false},
    {"get_invalidation_callback", k_port, "port", false},
    {"set_invalidation_callback", k_set_callback, NULL, false},
    {"copy_description", k_port, "port", false},
    {"get_type_id", k_port, "port", false},
    {"invalidate", k_port, "port", false},
    {"retain", k_port, "port", false},
    {"release", k_port, "port", false},
    {"create_source", k_port, "port", false},
    {"add_source", k_source, NULL, false},
    {"remove_source", k_source, NULL, false},
    {"schedule", k_schedule, "port", false},
    {"set_dispatch_queue", k_queue, NULL, false},
    {"send", k_send, NULL, false},
    {"run_loop", k_run_loop, NULL, false},
    {"run", k_none, NULL, true},
    {"stop", k_thread, "thread", true},
    {"wake_up", k_thread, "thread", true},
    {"add_common_mode", k_mode, "mode", false},
    {"add_timer", k_timer, NULL, false},
    {"async", k_async, NULL, false},
    {"sleep", k_for, "for", false},
    {"work", k_for, "for", false},
    {"reply", NULL, NULL, true}, /* parsed as data */
    {"crash", k_none, NULL, true},
    {"exit", k_none, NULL, true},
    {"signal", k_signal, "name", false},
    {"wait_for", k_wait_for, "signal", false},
};

static const op_spec *spec_of(const char *keyword)
{
    for (size_t i = 0; i < sizeof op_specs / sizeof op_specs[0]; i++) {
        if (strcmp(op_specs[i].keyword, keyword) == 0) return &op_specs[i];
    }
    return NULL;
}

/* A step being parsed: the argument mapping or the scalar shorthand. */
typedef struct step_ctx {
    sim_step *step;
    const sim_program *program;
    const op_spec *spec;
    const char *keyword;
    uint32_t op_node;   /* the op key */
    uint32_t args;      /* argument mapping, or SIM_NONE */
    uint32_t shorthand; /* scalar argument, or SIM_NONE */
} step_ctx;

static uint32_t arg(const ld *L, const step_ctx *c, const char *key)
{
    if (c->shorthand != SIM_NONE) {
        return c->spec->shorthand && strcmp(c->spec->shorthand, key) == 0 ? c->shorthand : SIM_NONE;
    }
    return ld_get(L, c->args, key);
}

static uint32_t need(ld *L, const step_ctx *c, const char *key)
{
    uint32_t v = arg(L, c, key);
    if (v == SIM_NONE) ld_error(L, c->op_node, "%s needs '%s'", c->keyword, key);
    return v;
}

/* ---- references stored by name -------------------------------------------- */

static void port_arg(ld *L, const step_ctx *c, bool self_ok)
{
    uint32_t v = need(L, c, "port");
    if (v == SIM_NONE) return;
    sim_ref *ref = &c->step->port;
    if (!ld_ref(L, v, "port", false, ref)) return;
    if (strcmp(ref->name, "self") == 0) {
        uint8_t kind = c->program->kind;
        if (!self_ok || (kind != SIM_PROG_HANDLER && kind != SIM_PROG_CALLBACK)) {
            ld_error(L, v, "'self' names the port of a handler or invalidation callback; "
                           "it cannot be used %s",
                     self_ok ? "here (not in a handler or callback)" : "by this operation");
            ref->name = NULL;
            return;
        }
        ref->index = SIM_VAR_SELF;
        return;
    }
    bool added = false;
    ref->index = sim_strmap_intern(&L->vars, L->arena, ref->name, &added);
    if (ref->index == SIM_NONE) ld_oom(L);
}

static void mode_ref(ld *L, uint32_t node, const char *what, bool null_ok, sim_ref *out)
{
    if (!ld_ref(L, node, what, null_ok, out) || out->name == NULL) return;
    if (strcmp(out->name, "default") == 0) out->index = CM_MODE_DEFAULT;
    if (strcmp(out->name, "common") == 0) out->index = CM_MODE_COMMON;
}

static void mode_arg(ld *L, const step_ctx *c, bool required)
{
    uint32_t v = required ? need(L, c, "mode") : arg(L, c, "mode");
    if (v == SIM_NONE) {
        if (!required) c->step->mode = (sim_ref){.name = "default", .index = CM_MODE_DEFAULT};
        return;
    }
    mode_ref(L, v, "mode", false, &c->step->mode);
}

static void name_arg(ld *L, const step_ctx *c, bool required)
{
    uint32_t v = required ? need(L, c, "name") : arg(L, c, "name");
    if (v == SIM_NONE) return;
    c->step->has_name = ld_data(L, v, "name", LD_DATA_NULL, &c->step->name);
}

/* ---- per-operation arguments ----------------------------------------------- */

static void context_arg(ld *L, const step_ctx *c)
{
    uint32_t ctx = arg(L, c, "context");
    if (ctx == SIM_NONE || ld_is_null(L, ctx)) return;
    if (!ld_check_map(L, ctx, "context", k_context)) return;
    int64_t info = 0;
    uint32_t v = ld_get(L, ctx, "info");
    if (v != SIM_NONE && !ld_is_null(L, v) &&
        ld_int(L, v, "context info", CM_LIMIT_INFO_MIN, CM_LIMIT_INFO_MAX, &info)) {
        c->step->info = info;
    }
    static const struct {
        const char *key;
        uint8_t flag;
    } flags[] = {{"retain", CM_OPF_CTX_RETAIN},
                 {"release", CM_OPF_CTX_RELEASE},
                 {"copy_description", CM_OPF_CTX_COPYDESC}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        bool on = false;
        v = ld_get(L, ctx, flags[i].key);
        if (v != SIM_NONE && ld_bool(L, v, flags[i].key, &on) && on) c->step->flags |= flags[i].flag;
    }
}

static void args_create(ld *L, const step_ctx *c)
{
    sim_step *s = c->step;
    port_arg(L, c, false);
    bool local = s->op == CM_OP_CREATE_LOCAL || s->op == CM_OP_CREATE_LOCAL_PER_PID;
    name_arg(L, c, !local);
    if (local) {
        uint32_t h = arg(L, c, "handler");
        if (h != SIM_NONE) ld_ref(L, h, "handler", true, &s->target);
        context_arg(L, c);
    }
    if (s->op == CM_OP_CREATE_REMOTE_PER_PID) {
        uint32_t p = need(L, c, "process");
        if (p != SIM_NONE) ld_ref(L, p, "process", false, &s->process);
    }
}

static void args_send(ld *L, const step_ctx *c)
{
    sim_step *s = c->step;
    port_arg(L, c, true);
    int64_t v64 = 0;
    uint32_t v = arg(L, c, "msgid");
    if (v != SIM_NONE && ld_int(L, v, "msgid", CM_LIMIT_MSGID_MIN, CM_LIMIT_MSGID_MAX, &v64)) {
        s->msgid = (int32_t)v64;
    }
    v = arg(L, c, "data");
    if (v != SIM_NONE) ld_data(L, v, "data", LD_DATA_NULL | LD_DATA_SIZE, &s->data);
    uint32_t timeout_flags = SIM_DUR_NEGATIVE | SIM_DUR_FOREVER | SIM_DUR_NAN;
    v = need(L, c, "send_timeout");
    if (v != SIM_NONE) ld_duration(L, v, "send_timeout", timeout_flags, &s->t1_ns);
    v = arg(L, c, "reply_mode");
    if (v != SIM_NONE) mode_ref(L, v, "reply_mode", true, &s->mode);
    bool two_way = s->mode.name != NULL;
    v = two_way ? need(L, c, "recv_timeout") : arg(L, c, "recv_timeout");
    if (v != SIM_NONE) ld_duration(L, v, "recv_timeout", timeout_flags, &s->t2_ns);
    bool on = false;
    v = arg(L, c, "no_return_data");
    if (v != SIM_NONE && ld_bool(L, v, "no_return_data", &on) && on) s->flags |= CM_OPF_NO_RETURN_DATA;
    v = arg(L, c, "malformed");
    if (v != SIM_NONE && ld_bool(L, v, "malformed", &on) && on) s->flags |= CM_OPF_MALFORMED;
}

static void args_run_loop(ld *L, const step_ctx *c)
{
    mode_arg(L, c, false);
    uint32_t v = need(L, c, "for");
    if (v != SIM_NONE) {
        ld_duration(L, v, "for", SIM_DUR_NEGATIVE | SIM_DUR_FOREVER, &c->step->t1_ns);
    }
    bool on = false;
    v = arg(L, c, "return_after_source");
    if (v != SIM_NONE && ld_bool(L, v, "return_after_source", &on) && on) {
        c->step->flags |= CM_OPF_RETURN_AFTER_SOURCE;
    }
}

static void args_timer(ld *L, const step_ctx *c)
{
    sim_step *s = c->step;
    mode_arg(L, c, false);
    uint32_t v = need(L, c, "after");
    if (v != SIM_NONE) ld_duration(L, v, "after", 0, &s->t1_ns);
    v = arg(L, c, "every");
    if (v != SIM_NONE) ld_duration(L, v, "every", 0, &s->t2_ns);
    v = arg(L, c, "timer");
    if (v != SIM_NONE) ld_ref(L, v, "timer", true, &s->target);
}

/* queue: main | null (where allowed) | a queue of the process. */
static void queue_arg(ld *L, const step_ctx *c, bool null_ok)
{
    uint32_t v = need(L, c, "queue");
    if (v == SIM_NONE) return;
    sim_ref *q = &c->step->queue;
    if (!ld_ref(L, v, "queue", null_ok, q)) return;
    if (q->name != NULL && strcmp(q->name, "main") == 0) q->index = CM_QUEUE_MAIN;
}

static void args_reply(ld *L, const step_ctx *c, uint32_t value)
{
    sim_step *s = c->step;
    if (c->program->kind != SIM_PROG_HANDLER) {
        ld_error(L, c->op_node, "reply is only allowed in handlers (callouts)");
    }
    if (ld_is_plain(L, value, "echo")) {
        s->flags |= CM_OPF_REPLY_ECHO;
        return;
    }
    if (value == SIM_NONE) return; /* `- reply` alone: NULL */
    ld_data(L, value, "reply", LD_DATA_NULL | LD_DATA_SIZE, &s->data);
}

/* The signal a signal / wait_for step names, interned in the scenario's one signal namespace. */
static void signal_arg(ld *L, const step_ctx *c, const char *key)
{
    uint32_t v = need(L, c, key);
    if (v == SIM_NONE) return;
    sim_ref *ref = &c->step->signal;
    if (!ld_ref(L, v, "signal", false, ref)) return;
    bool added = false;
    ref->index = sim_strmap_intern(&L->signals, L->arena, ref->name, &added);
    if (ref->index == SIM_NONE) ld_oom(L);
}

/*
 * wait_for: {ended: PROCESS}: the signal the end of that process raises (crash, exit, fault,
 * its main thread returning), once everything it held is gone. Its name, "ended:PROCESS", is
 * one no scenario can write (':' is not allowed in a name), so it cannot be raised by hand.
 */
static void ended_arg(ld *L, const step_ctx *c, uint32_t v)
{
    sim_step *s = c->step;
    if (arg(L, c, "signal") != SIM_NONE) {
        ld_error(L, c->op_node, "wait_for takes 'signal' or 'ended', not both");
        return;
    }
    if (!ld_ref(L, v, "process", false, &s->process)) return;
    size_t len = strlen(s->process.name);
    char *name = base_arena_alloc(L->arena, len + sizeof SIM_ENDED_SIGNAL_PREFIX);
    if (name == NULL) {
        ld_oom(L);
        return;
    }
    memcpy(name, SIM_ENDED_SIGNAL_PREFIX, sizeof SIM_ENDED_SIGNAL_PREFIX - 1);
    memcpy(name + sizeof SIM_ENDED_SIGNAL_PREFIX - 1, s->process.name, len + 1);
    bool added = false;
    s->signal = (sim_ref){.name = name, .loc = s->process.loc};
    s->signal.index = sim_strmap_intern(&L->signals, L->arena, name, &added);
    if (s->signal.index == SIM_NONE) ld_oom(L);
    assert(s->signal.name != NULL);
}

/* wait_for: {signal: NAME | ended: PROCESS, count: N (1), timeout: D (10s)} or wait_for: NAME. */
static void args_wait_for(ld *L, const step_ctx *c)
{
    sim_step *s = c->step;
    uint32_t ended = arg(L, c, "ended");
    if (ended != SIM_NONE) {
        ended_arg(L, c, ended);
    } else if (arg(L, c, "signal") == SIM_NONE) {
        ld_error(L, c->op_node, "wait_for needs 'signal' (or 'ended: PROCESS')");
    } else {
        signal_arg(L, c, "signal");
    }
    int64_t count = 1;
    uint32_t v = arg(L, c, "count");
    if (v != SIM_NONE) ld_int(L, v, "count", 1, SIM_WAIT_FOR_COUNT_MAX, &count);
    s->count = (uint32_t)count;
    s->t1_ns = SIM_WAIT_FOR_TIMEOUT_DEFAULT_NS;
    v = arg(L, c, "timeout");
    if (v != SIM_NONE) ld_duration(L, v, "timeout", SIM_DUR_FOREVER, &s->t1_ns);
    assert(s->count >= 1);
}

static void parse_args(ld *L, step_ctx *c)
{
    sim_step *s = c->step;
    uint32_t v;
    switch (s->op) {
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID:
    case CM_OP_CREATE_REMOTE:
    case CM_OP_CREATE_REMOTE_PER_PID:
        args_create(L, c);
        return;
    case CM_OP_SET_NAME:
        port_arg(L, c, true);
        name_arg(L, c, true);
        return;
    case CM_OP_SET_INVALIDATION_CALLBACK:
        port_arg(L, c, true);
        v = need(L, c, "callback");
        if (v != SIM_NONE) ld_ref(L, v, "callback", true, &s->target);
        return;
    case CM_OP_ADD_SOURCE:
    case CM_OP_REMOVE_SOURCE:
        port_arg(L, c, true);
        mode_arg(L, c, false);
        v = arg(L, c, "thread");
        if (v != SIM_NONE) ld_ref(L, v, "thread", true, &s->thread);
        return;
    case CM_OP_SCHEDULE:
        port_arg(L, c, true);
        mode_arg(L, c, false);
        return;
    case CM_OP_SET_DISPATCH_QUEUE:
        port_arg(L, c, true);
        queue_arg(L, c, true);
        return;
    case CM_OP_SEND:
        args_send(L, c);
        return;
    case CM_OP_RUN_IN_MODE:
        args_run_loop(L, c);
        return;
    case CM_OP_STOP:
    case CM_OP_WAKE_UP:
        v = arg(L, c, "thread");
        if (v != SIM_NONE) ld_ref(L, v, "thread", true, &s->thread);
        return;
    case CM_OP_ADD_COMMON_MODE:
        mode_arg(L, c, true);
        return;
    case CM_OP_ADD_TIMER:
        args_timer(L, c);
        return;
    case CM_OP_ASYNC:
        queue_arg(L, c, false);
        v = need(L, c, "block");
        if (v != SIM_NONE) ld_ref(L, v, "block", false, &s->target);
        return;
    case CM_OP_SLEEP:
        v = need(L, c, "for");
        if (v != SIM_NONE) ld_duration(L, v, c->keyword, SIM_DUR_FOREVER, &s->t1_ns);
        return;
    case CM_OP_SIGNAL:
        signal_arg(L, c, "name");
        return;
    case CM_OP_WAIT_FOR:
        args_wait_for(L, c);
        return;
    case CM_OP_RUN:
    case CM_OP_CRASH:
    case CM_OP_EXIT:
        return;
    default: /* the operations that only name a port */
        port_arg(L, c, true);
        return;
    }
}

/* ---- expectations ------------------------------------------------------------ */

static const char *const k_expect[] = {"result", "status", "reply", "elapsed",
                                       "should_free_info", "same_as", "not_same_as", "name",
                                       "info", "callback", "runs", NULL};

static bool result_word(ld *L, uint32_t node, sim_result_type type, const char *keyword,
                        int32_t *out)
{
    static const struct {
        const char *word;
        uint8_t type;
        int32_t value;
    } words[] = {
        {"success", SIM_RT_STATUS, CM_SUCCESS},
        {"send_timeout", SIM_RT_STATUS, CM_SEND_TIMEOUT},
        {"receive_timeout", SIM_RT_STATUS, CM_RECEIVE_TIMEOUT},
        {"is_invalid", SIM_RT_STATUS, CM_IS_INVALID},
        {"transport_error", SIM_RT_STATUS, CM_TRANSPORT_ERROR},
        {"became_invalid", SIM_RT_STATUS, CM_BECAME_INVALID},
        {"created", SIM_RT_CREATED, 1},
        {"null", SIM_RT_CREATED, 0},
        {"~", SIM_RT_CREATED, 0},
        {"true", SIM_RT_BOOL, 1},
        {"false", SIM_RT_BOOL, 0},
        {"finished", SIM_RT_RUN, CM_RUN_FINISHED},
        {"stopped", SIM_RT_RUN, CM_RUN_STOPPED},
        {"timed_out", SIM_RT_RUN, CM_RUN_TIMED_OUT},
        {"handled_source", SIM_RT_RUN, CM_RUN_HANDLED_SOURCE},
    };
    if (!ld_is_scalar(L, node) || ld_node(L, node)->style != SIM_YS_PLAIN) {
        ld_error(L, node, "an expected result is a plain word or number");
        return false;
    }
    const char *text = ld_node(L, node)->text;
    if (strcmp(text, "blocked") == 0 || strcmp(text, "killed") == 0) {
        *out = text[0] == 'b' ? SIM_VALUE_BLOCKED : SIM_VALUE_KILLED;
        return true;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (words[i].type == type && strcmp(words[i].word, text) == 0) {
            *out = words[i].value;
            return true;
        }
    }
    int64_t v = 0;
    bool numeric = isdigit((unsigned char)text[0]) ||
                   ((text[0] == '-' || text[0] == '+') && isdigit((unsigned char)text[1]));
    if ((type == SIM_RT_STATUS || type == SIM_RT_INT) && numeric) {
        int64_t min = type == SIM_RT_STATUS ? -5 : INT32_MIN + 3;
        int64_t max = type == SIM_RT_STATUS ? 0 : INT32_MAX;
        if (ld_int(L, node, "expected result", min, max, &v)) {
            *out = (int32_t)v;
            return true;
        }
        return false;
    }
    /* a word this operation does not return: say which ones it does, and the likely one */
    const char *names[sizeof words / sizeof words[0] + 3];
    size_t n = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (words[i].type == type && words[i].word[0] != '~') names[n++] = words[i].word;
    }
    names[n++] = "blocked";
    names[n++] = "killed";
    assert(n <= sizeof names / sizeof names[0]);
    static const char *const tails[] = {
        [SIM_RT_NAME] = "; use {name: ...} for the name",
        [SIM_RT_INFO] = "; use {info: ...} for the info",
        [SIM_RT_CALLBACK] = "; use {callback: ...}",
    };
    const char *close = sim_closest_word(text, names, n);
    if (type == SIM_RT_STATUS) names[n++] = "a status from -5 to 0";
    if (type == SIM_RT_INT) names[n++] = "an integer";
    base_buf list;
    base_buf_init(&list, 0);
    for (size_t i = 0; i < n; i++) base_buf_printf(&list, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
    const char *tail = type < sizeof tails / sizeof tails[0] && tails[type] != NULL ? tails[type] : "";
    if (close != NULL) {
        ld_error(L, node, "unknown result '%.40s' for %s: did you mean '%s'? (expected %s%s)", text, keyword,
                 close, base_buf_str(&list), tail);
    } else {
        ld_error(L, node, "unknown result '%.40s' for %s (expected %s%s)", text, keyword, base_buf_str(&list),
                 tail);
    }
    base_buf_fini(&list);
    return false;
}

static void expect_results(ld *L, uint32_t node, sim_result_type type, const char *keyword,
                           sim_expect *e)
{
    e->result_loc = ld_loc(L, node);
    const sim_ynode *n = ld_node(L, node);
    if (n->type == SIM_Y_SCALAR) {
        if (result_word(L, node, type, keyword, &e->results[0])) e->result_count = 1;
        return;
    }
    if (n->type != SIM_Y_SEQ || n->count == 0) {
        ld_error(L, node, "an expected result is a word or a non-empty list of words");
        return;
    }
    if (n->count > SIM_MAX_ALTERNATIVES) {
        ld_error(L, node, "at most %u allowed results", SIM_MAX_ALTERNATIVES);
        return;
    }
    for (uint32_t item = n->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        int32_t v = 0;
        if (result_word(L, item, type, keyword, &v)) e->results[e->result_count++] = v;
    }
}

static void expect_elapsed(ld *L, uint32_t node, sim_expect *e)
{
    static const char *const keys[] = {"min", "max", NULL};
    e->elapsed_loc = ld_loc(L, node);
    e->elapsed_min_ns = 0;
    e->elapsed_max_ns = CM_DURATION_FOREVER;
    if (ld_is_scalar(L, node)) { /* an exact duration */
        if (ld_duration(L, node, "elapsed", 0, &e->elapsed_min_ns)) {
            e->elapsed_max_ns = e->elapsed_min_ns;
            e->has_elapsed = true;
        }
        return;
    }
    if (!ld_check_map(L, node, "elapsed", keys)) return;
    uint32_t min = ld_get(L, node, "min"), max = ld_get(L, node, "max");
    bool ok = min != SIM_NONE || max != SIM_NONE;
    if (!ok) ld_error(L, node, "elapsed needs 'min', 'max' or both");
    if (min != SIM_NONE) ok = ld_duration(L, min, "elapsed min", 0, &e->elapsed_min_ns) && ok;
    if (max != SIM_NONE) ok = ld_duration(L, max, "elapsed max", SIM_DUR_FOREVER, &e->elapsed_max_ns) && ok;
    if (ok && e->elapsed_min_ns > e->elapsed_max_ns) {
        ld_error(L, node, "elapsed min is larger than max");
        ok = false;
    }
    e->has_elapsed = ok;
}

/* runs: N | {min: N, max: N} (also used for event counts). */
static bool count_range(ld *L, uint32_t node, const char *what, uint32_t *min, uint32_t *max)
{
    static const char *const keys[] = {"min", "max", NULL};
    int64_t lo = 0, hi = UINT32_MAX;
    if (ld_is_scalar(L, node)) {
        if (!ld_int(L, node, what, 0, UINT32_MAX, &lo)) return false;
        *min = *max = (uint32_t)lo;
        return true;
    }
    if (!ld_check_map(L, node, what, keys)) return false;
    uint32_t a = ld_get(L, node, "min"), b = ld_get(L, node, "max");
    bool ok = a != SIM_NONE || b != SIM_NONE;
    if (!ok) ld_error(L, node, "%s needs 'min', 'max' or both", what);
    if (a != SIM_NONE) ok = ld_int(L, a, "min", 0, UINT32_MAX, &lo) && ok;
    if (b != SIM_NONE) ok = ld_int(L, b, "max", 0, UINT32_MAX, &hi) && ok;
    if (ok && lo > hi) {
        ld_error(L, node, "%s min is larger than max", what);
        ok = false;
    }
    *min = (uint32_t)lo;
    *max = (uint32_t)hi;
    return ok;
}

bool ld_count_range(ld *L, uint32_t node, const char *what, uint32_t *min, uint32_t *max)
{
    return count_range(L, node, what, min, max);
}

/* A key only some operations accept. */
static uint32_t expect_key(ld *L, uint32_t map, const char *key, bool applies, const char *keyword)
{
    uint32_t v = ld_get(L, map, key);
    if (v != SIM_NONE && !applies) {
        ld_error(L, ld_key_node(L, map, key), "'%s' does not apply to %s", key, keyword);
        return SIM_NONE;
    }
    return v;
}

static void expect_info(ld *L, uint32_t v, sim_expect *e)
{
    e->info_loc = ld_loc(L, v);
    if (ld_is_null(L, v)) {
        e->has_info = true;
        return;
    }
    if (ld_is_plain(L, v, "undefined")) {
        e->info = SIM_INFO_UNDEFINED;
        e->has_info = true;
        return;
    }
    e->has_info = ld_int(L, v, "info", CM_LIMIT_INFO_MIN, CM_LIMIT_INFO_MAX, &e->info);
}

static void expect_map(ld *L, uint32_t node, const sim_step *s, const char *keyword, sim_expect *e)
{
    if (!ld_check_map(L, node, "expect", k_expect)) return;
    sim_result_type type = sim_op_result_type(s->op);
    bool create = type == SIM_RT_CREATED && s->op != CM_OP_CREATE_SOURCE;
    uint32_t result = ld_get(L, node, "result"), status = ld_get(L, node, "status");
    if (result != SIM_NONE && status != SIM_NONE) {
        ld_error(L, status, "give 'result' or 'status', not both");
    } else if (result != SIM_NONE || status != SIM_NONE) {
        expect_results(L, result != SIM_NONE ? result : status, type, keyword, e);
    }
    uint32_t v = expect_key(L, node, "reply", s->op == CM_OP_SEND, keyword);
    if (v != SIM_NONE) {
        e->reply_loc = ld_loc(L, v);
        e->has_reply = ld_data(L, v, "reply", LD_DATA_NULL | LD_DATA_SIZE, &e->reply);
    }
    v = ld_get(L, node, "elapsed");
    if (v != SIM_NONE) expect_elapsed(L, v, e);
    bool local = s->op == CM_OP_CREATE_LOCAL || s->op == CM_OP_CREATE_LOCAL_PER_PID;
    v = expect_key(L, node, "should_free_info", local, keyword);
    bool flag = false;
    if (v != SIM_NONE && ld_bool(L, v, "should_free_info", &flag)) {
        e->should_free_info = flag;
        e->should_free_info_loc = ld_loc(L, v);
    }
    v = expect_key(L, node, "same_as", create, keyword);
    if (v != SIM_NONE) ld_ref(L, v, "same_as", false, &e->same_as);
    v = expect_key(L, node, "not_same_as", create, keyword);
    if (v != SIM_NONE) ld_ref(L, v, "not_same_as", false, &e->not_same_as);
    v = expect_key(L, node, "name", type == SIM_RT_NAME, keyword);
    if (v != SIM_NONE) {
        e->name_loc = ld_loc(L, v);
        e->has_name = ld_data(L, v, "name", LD_DATA_NULL, &e->name);
    }
    v = expect_key(L, node, "info", type == SIM_RT_INFO, keyword);
    if (v != SIM_NONE) expect_info(L, v, e);
    v = expect_key(L, node, "callback", type == SIM_RT_CALLBACK, keyword);
    if (v != SIM_NONE) e->has_callback = ld_ref(L, v, "callback", true, &e->callback);
    v = ld_get(L, node, "runs");
    if (v != SIM_NONE) {
        e->runs_loc = ld_loc(L, v);
        e->has_runs = count_range(L, v, "runs", &e->runs_min, &e->runs_max);
    }
}

/* The union of the alternatives' results, or none (any result) when one leaves it open. */
static void union_results(sim_expect *e, const sim_expect *alts, uint32_t count)
{
    e->result_count = 0;
    for (uint32_t a = 0; a < count; a++) {
        if (alts[a].result_count == 0) {
            e->result_count = 0;
            return;
        }
        for (uint32_t i = 0; i < alts[a].result_count; i++) {
            bool seen = false;
            for (uint32_t j = 0; j < e->result_count; j++) seen = seen || e->results[j] == alts[a].results[i];
            if (!seen && e->result_count < SIM_MAX_ALTERNATIVES) e->results[e->result_count++] = alts[a].results[i];
        }
    }
    if (e->result_count > 0) e->result_loc = alts[0].result_loc;
}

/*
 * expect: [{status: success, reply: "x"}, {status: receive_timeout, reply: null}]: joint
 * alternatives, each a whole expectation (a result alone says nothing of the reply).
 */
static void expect_joint(ld *L, uint32_t node, const sim_step *s, const char *keyword, sim_expect *e)
{
    const sim_ynode *n = ld_node(L, node);
    assert(n->type == SIM_Y_SEQ && n->count > 0);
    if (n->count > SIM_MAX_ALTERNATIVES) {
        ld_error(L, node, "at most %u alternatives", SIM_MAX_ALTERNATIVES);
        return;
    }
    sim_expect *alts = ld_alloc(L, n->count * sizeof *alts);
    if (alts == NULL) return;
    uint32_t count = 0;
    for (uint32_t item = n->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        if (ld_node(L, item)->type != SIM_Y_MAP) {
            ld_error(L, item, "a list of alternatives is all mappings or all words, not both");
            return;
        }
        sim_expect *a = &alts[count++];
        sim_expect_init(a, ld_loc(L, item));
        expect_map(L, item, s, keyword, a);
        if (a->has_runs) ld_error(L, item, "runs: counts the step's executions, not an alternative's: "
                                           "give one expectation with runs: instead");
    }
    e->alts = alts;
    e->alt_count = count;
    union_results(e, alts, count);
    assert(e->alt_count >= 1 && e->alt_count <= SIM_MAX_ALTERNATIVES);
}

static bool has_map_item(const ld *L, const sim_ynode *n)
{
    for (uint32_t item = n->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        if (ld_node(L, item)->type == SIM_Y_MAP) return true;
    }
    return false;
}

static const sim_expect *parse_expect(ld *L, uint32_t node, const sim_step *s, const char *keyword)
{
    sim_expect *e = ld_alloc(L, sizeof *e);
    if (e == NULL) return NULL;
    sim_expect_init(e, ld_loc(L, node));
    const sim_ynode *n = ld_node(L, node);
    if (n->type == SIM_Y_SEQ && n->count > 0 && has_map_item(L, n)) {
        expect_joint(L, node, s, keyword, e);
    } else if (n->type == SIM_Y_MAP) {
        expect_map(L, node, s, keyword, e);
    } else if (n->type == SIM_Y_SCALAR && n->style == SIM_YS_PLAIN && n->len == 0) {
        ld_error(L, node, "empty expectation");
    } else {
        expect_results(L, node, sim_op_result_type(s->op), keyword, e);
    }
    return e;
}

/* ---- one step -------------------------------------------------------------------- */

static bool plain_step(ld *L, uint32_t node, step_ctx *c)
{
    const sim_ynode *n = ld_node(L, node);
    const op_spec *spec = n->style == SIM_YS_PLAIN ? spec_of(n->text) : NULL;
    if (spec == NULL) {
        ld_error(L, node, "unknown operation '%.40s'", n->text);
        return false;
    }
    if (!spec->args_optional) {
        ld_error(L, node, "%s needs arguments: write '- %s: ...'", spec->keyword, spec->keyword);
        return false;
    }
    c->spec = spec;
    c->keyword = spec->keyword;
    c->op_node = node;
    return true;
}

/* Finds the one operation key of a step mapping; checks the other keys. */
static uint32_t find_op_key(ld *L, uint32_t node)
{
    uint32_t found = SIM_NONE;
    bool unknown = false;
    const sim_ynode *m = ld_node(L, node);
    for (uint32_t k = m->first; k != SIM_NONE;) {
        const sim_ynode *key = ld_node(L, k);
        uint32_t value = key->next;
        if (key->type == SIM_Y_SCALAR && strcmp(key->text, "expect") != 0 &&
            strcmp(key->text, "label") != 0 && strcmp(key->text, "when") != 0) {
            if (spec_of(key->text) == NULL) {
                ld_error(L, k, "unknown key '%.40s' in a step (an operation, 'expect', 'label' or 'when')",
                         key->text);
                unknown = true;
            } else if (found != SIM_NONE) {
                ld_error(L, k, "a step has exactly one operation ('%s' and '%s')",
                         ld_node(L, found)->text, key->text);
            } else {
                found = k;
            }
        }
        k = value == SIM_NONE ? SIM_NONE : ld_node(L, value)->next;
    }
    if (found == SIM_NONE && !unknown) ld_error(L, node, "a step needs an operation");
    return found;
}

/* Sets up c->args / c->shorthand from the value of the operation key. */
static bool step_args(ld *L, uint32_t value, step_ctx *c)
{
    const op_spec *spec = c->spec;
    if (spec->keys == NULL) return true; /* reply: parsed separately */
    if (value == SIM_NONE || ld_is_null(L, value)) {
        if (!spec->args_optional) {
            ld_error(L, c->op_node, "%s needs arguments", c->keyword);
            return false;
        }
        return true;
    }
    const sim_ynode *v = ld_node(L, value);
    if (v->type == SIM_Y_MAP) {
        char what[64];
        snprintf(what, sizeof what, "%s", c->keyword);
        /* reports unknown keys (the known ones still count); false: keys not readable */
        if (!ld_check_map(L, value, what, spec->keys)) return false;
        c->args = value;
        return true;
    }
    if (v->type == SIM_Y_SCALAR && spec->shorthand != NULL) {
        c->shorthand = value;
        return true;
    }
    ld_error(L, value, "%s takes a mapping of arguments%s", c->keyword,
             spec->shorthand ? " or a single value" : "");
    return false;
}

/*
 * when: {msgid: N, data: DATA, size: N}: the step runs only when the callout's request matches
 * every key given (so one handler can route requests, and a port that sends to itself can stop).
 * Only in handlers: nothing else has a request.
 */
static void parse_when(ld *L, uint32_t node, const sim_program *prog, sim_step *s)
{
    static const char *const keys[] = {"msgid", "data", "size", NULL};
    s->when.loc = ld_loc(L, node);
    if (prog->kind != SIM_PROG_HANDLER) {
        ld_error(L, node, "when: is only for handler steps (it tests the callout's request)");
        return;
    }
    if (!ld_check_map(L, node, "when", keys)) return;
    int64_t v = 0;
    uint32_t k = ld_get(L, node, "msgid");
    if (k != SIM_NONE && ld_int(L, k, "when msgid", CM_LIMIT_MSGID_MIN, CM_LIMIT_MSGID_MAX, &v)) {
        s->when.has_msgid = true;
        s->when.msgid = (int32_t)v;
    }
    k = ld_get(L, node, "data");
    if (k != SIM_NONE && ld_is_null(L, k)) { /* R39 */
        ld_error(L, k, "a callout's request is never NULL (R39: a NULL request arrives as empty data): "
                       "write 'size: 0'");
    } else if (k != SIM_NONE) {
        s->when.has_data = ld_data(L, k, "when data", LD_DATA_SIZE, &s->when.data);
        if (s->when.has_data && s->when.data.kind == SIM_DATA_BYTES && s->when.data.len > SIM_WHEN_DATA_MAX_BYTES) {
            ld_error(L, k, "when data is at most %u bytes (test a larger request with 'size:')", SIM_WHEN_DATA_MAX_BYTES);
        }
    }
    k = ld_get(L, node, "size");
    if (k != SIM_NONE && ld_int(L, k, "when size", 0, CM_LIMIT_SIZE_BYTES, &v)) {
        s->when.has_size = true;
        s->when.size_bytes = v;
    }
    s->has_when = s->when.has_msgid || s->when.has_data || s->when.has_size;
    bool any_key = ld_get(L, node, "msgid") != SIM_NONE || ld_get(L, node, "data") != SIM_NONE || k != SIM_NONE;
    if (!any_key) ld_error(L, node, "when needs 'msgid', 'data' or 'size'");
}

static void parse_step(ld *L, uint32_t node, sim_program *prog, sim_step *s)
{
    step_ctx c = {.step = s, .program = prog, .args = SIM_NONE, .shorthand = SIM_NONE};
    uint32_t value = SIM_NONE, map = SIM_NONE;
    s->loc = ld_loc(L, node);
    const sim_ynode *n = ld_node(L, node);
    if (n->type == SIM_Y_SCALAR) {
        if (!plain_step(L, node, &c)) return;
    } else if (n->type == SIM_Y_MAP) {
        if (!ld_check_map(L, node, "a step", NULL)) return;
        map = node;
        c.op_node = find_op_key(L, node);
        if (c.op_node == SIM_NONE) return;
        c.spec = spec_of(ld_node(L, c.op_node)->text);
        if (c.spec == NULL) return; /* find_op_key only returns known operations */
        c.keyword = c.spec->keyword;
        value = ld_node(L, c.op_node)->next;
        s->loc = ld_loc(L, c.op_node);
    } else {
        ld_error(L, node, "a step is a mapping like '- send: {...}' or an operation word");
        return;
    }
    s->op = sim_op_by_keyword(c.keyword);
    if (strcmp(c.keyword, "work") == 0) s->flags |= CM_OPF_WORK;
    if (s->op == CM_OP_REPLY) {
        args_reply(L, &c, value);
    } else if (step_args(L, value, &c)) {
        parse_args(L, &c);
    }
    if (prog->kind == SIM_PROG_CALLBACK && (cm_op_kind_blocks(s->op) || s->op == CM_OP_REPLY)) {
        ld_error(L, c.op_node,
                 "invalidation callback '%s' may not %s: callbacks run inline and never block",
                 prog->name, s->op == CM_OP_REPLY ? "reply" : c.keyword);
    }
    if (map == SIM_NONE) return;
    uint32_t label = ld_get(L, map, "label");
    if (label != SIM_NONE) ld_ident(L, label, "label", &s->label);
    uint32_t expect = ld_get(L, map, "expect");
    if (expect != SIM_NONE) s->expect = parse_expect(L, expect, s, c.keyword);
    uint32_t when = ld_get(L, map, "when");
    if (when != SIM_NONE) parse_when(L, when, prog, s);
}

void ld_program_steps(ld *L, uint32_t node, uint32_t program)
{
    sim_program *prog = &L->sc->programs[program];
    prog->first_step = L->next_step;
    prog->step_count = 0;
    if (ld_is_null(L, node)) return; /* an empty body */
    if (!ld_check_seq(L, node, "a step list")) return;
    const sim_ynode *seq = ld_node(L, node);
    if (L->next_step + seq->count > L->step_capacity) {
        ld_error(L, node, "too many steps (the limit is %u)", SIM_MAX_STEPS);
        return;
    }
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        sim_step *s = &L->sc->steps[L->next_step++];
        memset(s, 0, sizeof *s);
        s->program = program;
        s->port.index = s->target.index = s->thread.index = SIM_NONE;
        s->queue.index = s->process.index = s->mode.index = SIM_NONE;
        s->signal.index = SIM_NONE;
        parse_step(L, item, prog, s);
        prog->step_count++;
    }
}
