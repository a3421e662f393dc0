/*
 * agent_exec.c — the step interpreter: one scenario step, one CF call (or
 * a sleep, a reply, a crash), reported as a call line before and a return
 * line after, with the real elapsed time. Handlers, invalidation
 * callbacks, timers and dispatch blocks are programs run where CF runs
 * them, on whatever thread that is.
 *
 * Faithfulness notes (see docs/agent-protocol.md §7):
 *   - a step on a NULL port variable is a precondition violation: the
 *     agent reports crash (reason precondition) and dies, without calling
 *     CF (CF would crash on the NULL object);
 *   - every other call is made, NULL names included (R13): a CF call that
 *     crashes is reported by the crash line of agent_crash_mark, made
 *     around each call with CF_CALL; callbacks from CF clear the mark while
 *     the agent's own code runs, so a crash there stays the agent's own;
 *   - get_context on a remote port reports "undefined" without calling
 *     CF (R6: the call reads past the object on macOS);
 *   - set_dispatch_queue's effect cannot be seen through the API: its
 *     result is reported unobservable;
 *   - context.info is a pointer to an agent_ctx record, so the context
 *     callbacks can say which port they belong to; for the scenario's
 *     info 0 it is NULL, as the scenario says (R9: CF skips
 *     copyDescription for NULL info), and callbacks given NULL name no
 *     port. Callouts find their record through the port (agent_object_ctx);
 *   - each callout has an id that its callout and callout_done events
 *     carry, so the runner pairs them even when parallel workers of one
 *     concurrent queue share a thread label (R50b).
 */
#define _POSIX_C_SOURCE 200809L
#include "agent.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SECONDS_FOREVER 1.0e10 /* ~317 years: past R28's 10 days, a finite CFTimeInterval */
#define DATA_MAP_THRESHOLD ((size_t)64 << 20)

static _Thread_local const char *tls_label;
static _Thread_local CFMessagePortRef tls_set_port;
static _Thread_local bool tls_via_set_ran;
static _Thread_local agent_ctx *tls_creating;
static _Thread_local uint32_t tls_depth;
static _Thread_local int64_t tls_exec; /* the execution this thread runs (0: none) */

/* One CF call of the current step: a crash inside it is reported as this execution's crash
 * (agent_platform.h), one outside any stays the agent's own failure. */
#define CF_CALL(...)                        \
    do {                                    \
        (void)agent_crash_mark(tls_exec);   \
        __VA_ARGS__;                        \
        (void)agent_crash_mark(0);          \
    } while (0)

void agent_exec_set_thread_label(const char *label)
{
    tls_label = label;
}

const char *agent_exec_thread_label(void)
{
    return tls_label;
}

static agent_event event_of(const char *kind)
{
    return (agent_event){.kind = kind, .thread = tls_label, .port = -2};
}

void agent_exec_crash(const char *reason)
{
    assert(reason != NULL);
    assert(strcmp(reason, "op") == 0 || strcmp(reason, "precondition") == 0 || strcmp(reason, "stack") == 0);
    agent_event e = event_of("crash");
    e.reason = reason;
    agent_out_event(&e);
    agent_die();
}

/* ---- values ------------------------------------------------------------------------ */

static double seconds_of(int64_t ns)
{
    if (ns == CONF_DUR_FOREVER) return SECONDS_FOREVER;
    if (ns == CONF_DUR_NAN) return NAN;
    return (double)ns / 1e9;
}

static bool bytes_of(const conf_data *d, const uint8_t **bytes, size_t *len)
{
    assert(d != NULL && bytes != NULL && len != NULL);
    assert(d->kind != CONF_DATA_BYTES || d->len <= CM_LIMIT_VALUE_BYTES); /* conf_step_validate */
    if (d->kind == CONF_DATA_BYTES) {
        *bytes = d->bytes;
        *len = d->len;
        return true;
    }
    if (d->kind == CONF_DATA_BLOB) return agent_blob_get(d->blob, bytes, len);
    return false;
}

/* A CFString from a name value; *bad when the bytes are not a string CF can hold. */
static CFStringRef string_of(const conf_data *d, bool *bad)
{
    assert(d != NULL);
    assert(bad != NULL);
    *bad = false;
    if (d->kind == CONF_DATA_NULL) return NULL;
    const uint8_t *bytes = NULL;
    size_t len = 0;
    if (!bytes_of(d, &bytes, &len)) {
        *bad = true;
        return NULL;
    }
    CFStringRef s = CFStringCreateWithBytes(NULL, bytes, (CFIndex)len, kCFStringEncodingUTF8, false);
    if (s == NULL) *bad = true;
    return s;
}

/* A CFData for a step's data. Huge untracked sizes map zero pages (unmapped by the caller). */
typedef struct made_data {
    CFDataRef data;
    void *map;
    size_t map_len;
    const char *unsupported;
} made_data;

static made_data data_make(const conf_data *d, bool for_reply)
{
    assert(d != NULL);
    assert(d->kind != CONF_DATA_SIZE || (d->size >= 0 && d->size <= CM_LIMIT_SIZE_BYTES)); /* conf_step_validate */
    made_data m = {0};
    const uint8_t *bytes = NULL;
    size_t len = 0;
    if (d->kind == CONF_DATA_NULL) return m;
    if (bytes_of(d, &bytes, &len)) {
        m.data = CFDataCreate(NULL, bytes, (CFIndex)len);
        return m;
    }
    if (d->kind != CONF_DATA_SIZE || d->size < 0) {
        m.unsupported = "an unknown blob";
        return m;
    }
    size_t size = (size_t)d->size;
    if (size <= DATA_MAP_THRESHOLD) {
        uint8_t *zeros = calloc(size ? size : 1, 1);
        if (zeros == NULL) {
            m.unsupported = "out of memory for the data";
            return m;
        }
        m.data = CFDataCreate(NULL, zeros, (CFIndex)size);
        free(zeros);
        return m;
    }
    m.map = agent_map_zeros(size); /* zero pages, reserved lazily: R27/R43's oversized data */
    if (m.map == NULL) {
        m.unsupported = "cannot map the data";
        return m;
    }
    m.map_len = size;
    m.data = CFDataCreateWithBytesNoCopy(NULL, m.map, (CFIndex)size, kCFAllocatorNull);
    if (for_reply) m.map = NULL, m.map_len = 0; /* CF consumes a reply: its mapping stays */
    return m;
}

static void data_free(made_data *m)
{
    if (m->data != NULL) CFRelease(m->data);
    agent_unmap(m->map, m->map_len);
    memset(m, 0, sizeof *m);
}

static conf_data view_of(CFDataRef d)
{
    if (d == NULL) return (conf_data){.kind = CONF_DATA_NULL};
    CFIndex len = CFDataGetLength(d);
    assert(len >= 0);
    if ((size_t)len > DATA_MAP_THRESHOLD) { /* reported by size: no digest over huge data */
        return (conf_data){.kind = CONF_DATA_SIZE, .size = len};
    }
    return (conf_data){.kind = CONF_DATA_BYTES, .bytes = CFDataGetBytePtr(d),
                       .len = (size_t)len, .size = len};
}

/* ---- ports ----------------------------------------------------------------------------------- */

static CFMessagePortRef port_of(agent_frame *f, const conf_step *s)
{
    assert(s != NULL);
    assert(s->port == NULL || s->port[0] != '\0'); /* "self" or a name (conf_step_validate) */
    if (s->port != NULL && strcmp(s->port, "self") == 0) return f != NULL ? f->self : NULL;
    if (s->port == NULL) return NULL;
    agent_var *v = agent_var_get(s->port);
    if (v == NULL) return NULL;
    agent_mutex_lock(agent_g.lock);
    CFMessagePortRef port = v->port;
    agent_mutex_unlock(agent_g.lock);
    return port;
}

static CFMessagePortRef need_port(agent_frame *f, const conf_step *s)
{
    CFMessagePortRef port = port_of(f, s);
    if (port == NULL) agent_exec_crash("precondition"); /* CF dereferences NULL */
    return port;
}

static void store_port(const conf_step *s, CFMessagePortRef port)
{
    assert(s != NULL);
    assert(s->op == CONF_OP_CREATE_LOCAL || s->op == CONF_OP_CREATE_REMOTE || s->op == CONF_OP_RELEASE);
    if (s->port == NULL || strcmp(s->port, "self") == 0) return;
    agent_var *v = agent_var_get(s->port);
    if (v == NULL) return;
    agent_mutex_lock(agent_g.lock);
    v->port = port; /* a reference it held before leaks, as in C */
    agent_mutex_unlock(agent_g.lock);
}

static void note_invalidated(CFMessagePortRef port)
{
    agent_event e = event_of("invalidated");
    e.port = agent_object_id(port, NULL);
    agent_out_event(&e);
}

static void set_port_result(agent_result *r, CFMessagePortRef port)
{
    r->has_port = true;
    r->port = agent_object_id(port, NULL);
}

/* ---- context callbacks (R18, R60) -------------------------------------------------------------- */

static void context_event(const char *kind, const void *info)
{
    assert(kind != NULL);
    assert(strncmp(kind, "context_", 8) == 0);
    const agent_ctx *c = info;
    int64_t in_cf = agent_crash_mark(0); /* the agent's own code, inside CF's call */
    agent_event e = event_of(kind);
    e.port = c != NULL ? c->port_id : -1;
    e.has_info = c != NULL;
    e.info = c != NULL ? c->value : 0;
    agent_out_event(&e);
    (void)agent_crash_mark(in_cf);
}

/* Retains inside CreateLocal are held back until the port is known (flush_pending_retains); a
 * NULL info there is the creating record's (info 0), since nothing else retains meanwhile. */
static const void *context_retain(const void *info)
{
    assert(tls_creating == NULL || tls_creating->port_id < 0); /* set only inside CreateLocal */
    assert(tls_depth <= AGENT_MAX_NEST);
    agent_ctx *c = (agent_ctx *)(uintptr_t)info;
    if (c == NULL) c = tls_creating;
    if (c != NULL && c == tls_creating && c->port_id < 0) { /* inside CreateLocal: port unknown */
        c->pending_retains++;
        c->pending_t_ns = agent_t_ns();
        return info;
    }
    context_event("context_retain", info);
    return info;
}

static void context_release(const void *info)
{
    context_event("context_release", info);
}

static CFStringRef context_copy_description(const void *info)
{
    context_event("context_copy_description", info);
    return CFStringCreateWithCString(NULL, "portsim agent context", kCFStringEncodingUTF8);
}

static void flush_pending_retains(agent_ctx *c, int64_t port_id)
{
    assert(c != NULL && tls_creating == NULL); /* after CreateLocal returned */
    assert(c->port_id == port_id); /* the new port's id, or -1 for none */
    for (uint32_t i = 0; i < c->pending_retains; i++) {
        agent_event e = event_of("context_retain");
        e.port = port_id;
        e.has_info = true;
        e.info = c->value;
        e.t_ns = c->pending_t_ns;
        agent_out_event(&e);
    }
    c->pending_retains = 0;
}

/* ---- the callout (R40) ---------------------------------------------------------------------------- */

static CFDataRef callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data, void *info)
{
    assert(tls_depth <= AGENT_MAX_NEST);
    agent_ctx *c = agent_object_ctx(local); /* info is NULL for the scenario's info 0 */
    assert(info == NULL || info == c); /* CF passes the info the create gave (retain returns it) */
    int64_t in_cf = agent_crash_mark(0); /* the agent's own code, inside CF's call */
    const char *saved = tls_label;
    if (tls_label == NULL) tls_label = agent_object_queue(local);
    if (tls_depth >= AGENT_MAX_NEST) agent_exec_crash("stack");
    tls_depth++;
    agent_mutex_lock(agent_g.lock);
    int64_t callout_id = agent_g.next_callout++;
    agent_mutex_unlock(agent_g.lock);
    agent_event e = event_of("callout");
    e.callout_id = callout_id;
    e.port = agent_object_id(local, NULL);
    e.has_msgid = true;
    e.msgid = msgid;
    e.has_size = true;
    e.size = data != NULL ? CFDataGetLength(data) : 0;
    e.has_request = true; /* R39: a NULL request is empty data */
    e.request = view_of(data);
    agent_out_event(&e);
    agent_frame f = {.self = local, .msgid = msgid, .request = data, .reply = NULL, .in_callout = true};
    if (c != NULL) agent_exec_program(&f, c->handler);
    agent_event done = event_of("callout_done");
    done.callout_id = callout_id;
    done.port = e.port;
    done.has_data = true;
    done.data = view_of(f.reply);
    agent_out_event(&done);
    assert(tls_depth >= 1 && tls_depth <= AGENT_MAX_NEST); /* balanced by the nested programs */
    tls_depth--;
    tls_label = saved;
    (void)agent_crash_mark(in_cf);
    return f.reply; /* consumed by CF */
}

/* ---- invalidation callbacks (R8, R52) --------------------------------------------------------------- */

void agent_exec_invalidation(uint32_t slot, CFMessagePortRef port, void *info)
{
    assert(slot < AGENT_MAX_CALLBACKS); /* one trampoline per slot */
    assert(tls_depth <= AGENT_MAX_NEST);
    (void)info; /* garbage for remote ports (R8): never read */
    int64_t in_cf = agent_crash_mark(0); /* the agent's own code, inside CF's call */
    uint32_t program = slot < agent_g.callback_count ? agent_g.callback_programs[slot] : AGENT_NONE;
    bool via_set = tls_set_port == port && port != NULL;
    if (via_set) tls_via_set_ran = true;
    if (!via_set) note_invalidated(port);
    agent_event e = event_of("invalidation_callback");
    e.port = agent_object_id(port, NULL);
    e.callback = program != AGENT_NONE ? agent_g.programs[program].name : "?";
    e.via_set = via_set;
    agent_out_event(&e);
    if (tls_depth >= AGENT_MAX_NEST) agent_exec_crash("stack");
    tls_depth++;
    agent_frame f = {.self = port};
    agent_exec_program(&f, program);
    assert(tls_depth >= 1 && tls_depth <= AGENT_MAX_NEST);
    tls_depth--;
    (void)agent_crash_mark(in_cf);
}

/* ---- blocks and timers --------------------------------------------------------------------------- */

typedef struct block_ctx {
    uint32_t program;
    const char *queue;       /* scenario name ("main", ...) */
    const char *queue_label; /* "queue:NAME", NULL for main */
} block_ctx;

static void run_block(void *p)
{
    assert(p != NULL);
    block_ctx *b = p;
    assert(b->program < agent_g.program_count); /* op_thread_ctl checked it */
    int64_t in_cf = agent_crash_mark(0); /* the agent's own code, run by CF */
    const char *saved = tls_label;
    if (tls_label == NULL) tls_label = b->queue_label;
    agent_event e = event_of("block");
    e.queue = b->queue;
    agent_out_event(&e);
    agent_frame f = {0};
    agent_exec_program(&f, b->program);
    tls_label = saved;
    free(b);
    (void)agent_crash_mark(in_cf);
}

static void fire_timer(void *p)
{
    assert((uintptr_t)p < agent_g.program_count); /* op_thread_ctl checked the program */
    uint32_t program = (uint32_t)(uintptr_t)p;
    assert(tls_depth <= AGENT_MAX_NEST);
    int64_t in_cf = agent_crash_mark(0); /* the agent's own code, run by CF */
    agent_event e = event_of("timer");
    agent_out_event(&e);
    agent_frame f = {0};
    agent_exec_program(&f, program);
    (void)agent_crash_mark(in_cf);
}

/* ---- operations ------------------------------------------------------------------------------------ */

static void op_create_local(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_CREATE_LOCAL);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    (void)f;
    r->kind = CONF_RESULT_CREATED;
    bool bad = false;
    CFStringRef name = s->has_name ? string_of(&s->name, &bad) : NULL;
    if (bad) {
        r->unsupported = "a name that is not a UTF-8 string";
        return;
    }
    uint32_t handler = agent_program_find(s->program);
    agent_ctx *c = agent_ctx_new(s->info, handler);
    CFMessagePortContext context = {0, s->info != 0 ? c : NULL, s->ctx_retain ? context_retain : NULL,
                                    s->ctx_release ? context_release : NULL,
                                    s->ctx_copy_description ? context_copy_description : NULL};
    Boolean should_free = false;
    tls_creating = c;
    CFMessagePortRef port = NULL;
    CF_CALL(port = CFMessagePortCreateLocal(NULL, name, s->program != NULL ? callout : NULL, &context,
                                            &should_free));
    tls_creating = NULL;
    if (name != NULL) CFRelease(name);
    bool is_new = false;
    int64_t id = agent_object_id(port, &is_new);
    if (is_new) {
        c->port_id = id;
        agent_object_set_ctx(port, c);
    }
    flush_pending_retains(c, is_new ? id : -1);
    store_port(s, port);
    r->value = port != NULL;
    r->has_port = true;
    r->port = id;
    r->has_should_free_info = true;
    r->should_free_info = should_free;
}

static void op_create_remote(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_CREATE_REMOTE);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    (void)f;
    r->kind = CONF_RESULT_CREATED;
    bool bad = false;
    CFStringRef name = s->has_name ? string_of(&s->name, &bad) : NULL; /* NULL: CF crashes (R13) */
    if (bad) {
        r->unsupported = "a name that is not a UTF-8 string";
        return;
    }
    CFMessagePortRef port = NULL;
    CF_CALL(port = CFMessagePortCreateRemote(NULL, name));
    if (name != NULL) CFRelease(name);
    store_port(s, port);
    r->value = port != NULL;
    set_port_result(r, port);
}

static void op_set_name(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_SET_NAME);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    r->kind = CONF_RESULT_BOOL;
    CFMessagePortRef port = need_port(f, s);
    bool bad = false;
    CFStringRef name = s->has_name ? string_of(&s->name, &bad) : NULL; /* NULL: CF crashes (R13) */
    if (bad) {
        r->unsupported = "a name that is not a UTF-8 string";
        return;
    }
    CF_CALL(r->value = CFMessagePortSetName(port, name));
    if (name != NULL) CFRelease(name);
    set_port_result(r, port);
}

static void op_get_name(agent_frame *f, const conf_step *s, agent_result *r, uint8_t *buf, size_t cap)
{
    assert(s != NULL && s->op == CONF_OP_GET_NAME);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    assert(buf != NULL && cap > 0);
    r->kind = CONF_RESULT_NAME;
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    CFStringRef name = NULL;
    CF_CALL(name = CFMessagePortGetName(port));
    r->has_data = true;
    r->data = (conf_data){.kind = CONF_DATA_NULL};
    if (name == NULL) return;
    CFIndex used = 0;
    CFIndex length = CFStringGetLength(name);
    CFStringGetBytes(name, CFRangeMake(0, length), kCFStringEncodingUTF8, 0, false, buf,
                     (CFIndex)cap, &used);
    assert(used >= 0 && (size_t)used <= cap);
    r->data = (conf_data){.kind = CONF_DATA_BYTES, .bytes = buf, .len = (size_t)used, .size = used};
}

static void op_query(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && (s->op == CONF_OP_IS_VALID || s->op == CONF_OP_IS_REMOTE || s->op == CONF_OP_GET_TYPE_ID ||
                         s->op == CONF_OP_GET_CONTEXT || s->op == CONF_OP_GET_INVALIDATION_CALLBACK ||
                         s->op == CONF_OP_COPY_DESCRIPTION));
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    switch (s->op) {
    case CONF_OP_IS_VALID:
        r->kind = CONF_RESULT_BOOL;
        CF_CALL(r->value = CFMessagePortIsValid(port)); /* R7: may invalidate, here */
        if (!r->value) note_invalidated(port);
        return;
    case CONF_OP_IS_REMOTE:
        r->kind = CONF_RESULT_BOOL;
        CF_CALL(r->value = CFMessagePortIsRemote(port));
        return;
    case CONF_OP_GET_TYPE_ID: /* R4: 35 stands for "the CFMessagePort type" */
        r->kind = CONF_RESULT_INT;
        CFTypeID type_id = 0;
        CF_CALL(type_id = CFGetTypeID(port));
        r->value = type_id == CFMessagePortGetTypeID() ? 35 : (int64_t)type_id;
        return;
    case CONF_OP_GET_CONTEXT: {
        r->kind = CONF_RESULT_INFO;
        Boolean remote = false;
        CF_CALL(remote = CFMessagePortIsRemote(port));
        if (remote) { /* R6: undefined; not called */
            r->info_undefined = true;
            return;
        }
        CFMessagePortContext context;
        memset(&context, 0, sizeof context);
        CF_CALL(CFMessagePortGetContext(port, &context));
        const agent_ctx *c = context.info;
        r->value = c != NULL ? c->value : 0;
        return;
    }
    case CONF_OP_GET_INVALIDATION_CALLBACK: {
        r->kind = CONF_RESULT_CALLBACK;
        CFMessagePortInvalidationCallBack fn = NULL;
        CF_CALL(fn = CFMessagePortGetInvalidationCallBack(port));
        uint32_t slot = agent_callback_slot_of(fn);
        uint32_t program = slot < agent_g.callback_count ? agent_g.callback_programs[slot] : AGENT_NONE;
        r->callback = program != AGENT_NONE ? agent_g.programs[program].name : NULL;
        return;
    }
    case CONF_OP_COPY_DESCRIPTION: {
        bool described = false;
        CF_CALL(described = agent_backend_copy_description(port));
        if (!described) r->unsupported = "CFCopyDescription is not available";
        return;
    }
    default:
        return;
    }
}

static void op_set_callback(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_SET_INVALIDATION_CALLBACK);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    r->kind = CONF_RESULT_BOOL;
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    CFMessagePortInvalidationCallBack fn = NULL;
    if (s->program != NULL) {
        uint32_t program = agent_program_find(s->program);
        uint32_t slot = program != AGENT_NONE ? agent_g.programs[program].callback_slot : AGENT_NONE;
        fn = agent_callback_function(slot);
        if (fn == NULL) {
            r->unsupported = "an unknown invalidation callback";
            return;
        }
    }
    CFMessagePortRef saved_port = tls_set_port;
    bool saved_ran = tls_via_set_ran;
    tls_set_port = port;
    tls_via_set_ran = false;
    CF_CALL(CFMessagePortSetInvalidationCallBack(port, fn)); /* R8: may call back at once */
    r->value = tls_via_set_ran;
    tls_set_port = saved_port;
    tls_via_set_ran = saved_ran;
}

static void op_lifecycle(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && (s->op == CONF_OP_INVALIDATE || s->op == CONF_OP_RETAIN || s->op == CONF_OP_RELEASE));
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    if (s->op == CONF_OP_INVALIDATE) {
        CF_CALL(CFMessagePortInvalidate(port));
        note_invalidated(port);
    } else if (s->op == CONF_OP_RETAIN) {
        CF_CALL(CFRetain(port));
    } else {
        store_port(s, NULL);
        /* The last reference: the object goes, and malloc may hand its address to the next
         * one, which must not inherit its id (same_as, invariants). CF's own references (a
         * cache, a source, R25's reply port) keep the count above 1 while it lives on. The
         * pointer is only compared after the release, never dereferenced. */
        bool last = CFGetRetainCount(port) <= 1;
        CF_CALL(CFRelease(port)); /* R54: the invalidation callbacks of a deallocation run in here */
        if (last) agent_object_forget(port);
    }
}

static CFRunLoopRef run_loop_of(const char *thread)
{
    assert(thread == NULL || thread[0] != '\0');
    assert(agent_g.thread_count <= AGENT_MAX_THREADS);
    if (thread == NULL) return CFRunLoopGetCurrent();
    agent_thread *t = agent_thread_find(thread);
    if (t == NULL) return NULL;
    CFRunLoopRef rl = NULL;
    int64_t deadline = agent_now_ns() + 5000000000; /* threads publish theirs as they start */
    agent_mutex_lock(agent_g.lock);
    while ((rl = t->run_loop) == NULL && agent_now_ns() < deadline) agent_mutex_wait(agent_g.lock, 10000000);
    agent_mutex_unlock(agent_g.lock);
    return rl;
}

static void op_source(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && (s->op == CONF_OP_CREATE_SOURCE || s->op == CONF_OP_SCHEDULE || s->op == CONF_OP_ADD_SOURCE ||
                         s->op == CONF_OP_REMOVE_SOURCE));
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    CFStringRef mode = agent_mode_string(s->mode != NULL ? s->mode : "default");
    if (s->op == CONF_OP_CREATE_SOURCE || s->op == CONF_OP_SCHEDULE) {
        CFRunLoopSourceRef source = NULL;
        CF_CALL(source = CFMessagePortCreateRunLoopSource(NULL, port, 0)); /* R47 */
        r->kind = s->op == CONF_OP_SCHEDULE ? CONF_RESULT_BOOL : CONF_RESULT_CREATED;
        r->value = source != NULL;
        if (s->op == CONF_OP_SCHEDULE) {
            if (source != NULL) {
                CF_CALL(CFRunLoopAddSource(CFRunLoopGetCurrent(), source, mode));
                CFRelease(source);
            }
            return;
        }
        agent_var *v = strcmp(s->port, "self") != 0 ? agent_var_get(s->port) : NULL;
        if (v != NULL) {
            agent_mutex_lock(agent_g.lock);
            v->source = source; /* a source it held before leaks, as in C */
            agent_mutex_unlock(agent_g.lock);
        }
        return;
    }
    r->kind = CONF_RESULT_BOOL;
    agent_var *v = strcmp(s->port, "self") != 0 ? agent_var_get(s->port) : NULL;
    CFRunLoopSourceRef source = NULL;
    if (v != NULL) {
        agent_mutex_lock(agent_g.lock);
        source = v->source;
        agent_mutex_unlock(agent_g.lock);
    }
    CFRunLoopRef rl = run_loop_of(s->thread);
    if (source == NULL || rl == NULL || mode == NULL) agent_exec_crash("precondition");
    bool had = false;
    CF_CALL(had = CFRunLoopContainsSource(rl, source, mode));
    if (s->op == CONF_OP_ADD_SOURCE) {
        if (!had) CF_CALL(CFRunLoopAddSource(rl, source, mode));
        r->value = !had;
    } else {
        if (had) CF_CALL(CFRunLoopRemoveSource(rl, source, mode));
        r->value = had;
    }
}

static void op_set_queue(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_SET_DISPATCH_QUEUE);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    r->kind = CONF_RESULT_BOOL;
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    dispatch_queue_t q = NULL;
    const char *label = NULL;
    if (s->queue != NULL && strcmp(s->queue, "main") == 0) {
        q = dispatch_get_main_queue();
    } else if (s->queue != NULL) {
        agent_queue *aq = agent_queue_find(s->queue);
        if (aq == NULL || aq->queue == NULL) agent_exec_crash("precondition");
        q = aq->queue;
        label = aq->label;
    }
    CF_CALL(CFMessagePortSetDispatchQueue(port, q)); /* R49: whether it took effect is not visible */
    agent_object_set_queue(port, label);
    r->unobservable = true;
}

static void op_send(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_SEND);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    r->kind = CONF_RESULT_STATUS;
    CFMessagePortRef port = need_port(f, s);
    set_port_result(r, port);
    made_data m = data_make(&s->data, false);
    if (m.unsupported != NULL) {
        r->unsupported = m.unsupported;
        return;
    }
    if (s->malformed && !agent_backend_corrupt_next_request(true)) { /* R45 */
        data_free(&m);
        r->unsupported = "a malformed request cannot be sent through the API";
        return;
    }
    CFStringRef mode = s->mode != NULL ? agent_mode_string(s->mode) : NULL;
    static const UInt8 sentinel_bytes[1] = {0};
    CFDataRef sentinel = (CFDataRef)(uintptr_t)sentinel_bytes; /* never dereferenced */
    CFDataRef reply = sentinel;
    SInt32 status = 0;
    CF_CALL(status = CFMessagePortSendRequest(port, s->msgid, m.data, seconds_of(s->t1_ns), seconds_of(s->t2_ns),
                                              mode, s->no_return_data ? NULL : &reply));
    if (s->malformed) (void)agent_backend_corrupt_next_request(false); /* unused if it sent nothing */
    data_free(&m);
    r->value = status;
    r->has_data = true;
    r->data = (conf_data){.kind = CONF_DATA_NULL}; /* returnData not written (R31) or NULL */
    if (reply != sentinel && reply != NULL) {
        r->data = view_of(reply);
        r->owned = reply; /* released after the return line is written */
    }
}

static void op_run_loop(const conf_step *s, agent_result *r)
{
    assert(s != NULL && (s->op == CONF_OP_RUN || s->op == CONF_OP_RUN_LOOP));
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    r->kind = CONF_RESULT_RUN;
    if (s->op == CONF_OP_RUN) { /* CFRunLoopRun is this loop in CF */
        CFRunLoopRunResult result;
        int guard = 0;
        do {
            CF_CALL(result = CFRunLoopRunInMode(kCFRunLoopDefaultMode, SECONDS_FOREVER, false));
        } while (result != kCFRunLoopRunStopped && result != kCFRunLoopRunFinished && ++guard < 1000000);
        r->value = result;
        return;
    }
    CFStringRef mode = agent_mode_string(s->mode);
    if (mode == NULL) agent_exec_crash("precondition");
    CF_CALL(r->value = CFRunLoopRunInMode(mode, seconds_of(s->t1_ns), s->return_after_source));
}

static void op_thread_ctl(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && (s->op == CONF_OP_STOP || s->op == CONF_OP_WAKE_UP || s->op == CONF_OP_ADD_COMMON_MODE ||
                         s->op == CONF_OP_ADD_TIMER || s->op == CONF_OP_ASYNC));
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    (void)f;
    switch (s->op) {
    case CONF_OP_STOP:
    case CONF_OP_WAKE_UP: {
        CFRunLoopRef rl = run_loop_of(s->thread);
        if (rl == NULL) agent_exec_crash("precondition");
        if (s->op == CONF_OP_STOP) {
            CF_CALL(CFRunLoopStop(rl));
        } else {
            CF_CALL(CFRunLoopWakeUp(rl));
        }
        return;
    }
    case CONF_OP_ADD_COMMON_MODE: {
        CFStringRef mode = agent_mode_string(s->mode);
        if (mode == NULL) agent_exec_crash("precondition");
        CF_CALL(CFRunLoopAddCommonMode(CFRunLoopGetCurrent(), mode));
        return;
    }
    case CONF_OP_ADD_TIMER: {
        CFStringRef mode = agent_mode_string(s->mode);
        uint32_t program = agent_program_find(s->program);
        if (mode == NULL || program == AGENT_NONE) agent_exec_crash("precondition");
        double every = s->t2_ns > 0 ? seconds_of(s->t2_ns) : 0;
        bool added = false;
        CF_CALL(added = agent_backend_add_timer(mode, seconds_of(s->t1_ns), every, fire_timer,
                                                (void *)(uintptr_t)program));
        if (!added) r->unsupported = "run-loop timers are not available";
        return;
    }
    case CONF_OP_ASYNC: {
        uint32_t program = agent_program_find(s->program);
        block_ctx *b = calloc(1, sizeof *b);
        if (b == NULL || program == AGENT_NONE) agent_exec_crash("precondition");
        b->program = program;
        dispatch_queue_t q = NULL;
        if (strcmp(s->queue, "main") == 0) {
            q = dispatch_get_main_queue();
            b->queue = "main";
        } else {
            agent_queue *aq = agent_queue_find(s->queue);
            if (aq == NULL || aq->queue == NULL) agent_exec_crash("precondition");
            q = aq->queue;
            b->queue = aq->name;
            b->queue_label = aq->label;
        }
        CF_CALL(dispatch_async_f(q, b, run_block));
        return;
    }
    default:
        return;
    }
}

static void op_reply(agent_frame *f, const conf_step *s, agent_result *r)
{
    assert(s != NULL && s->op == CONF_OP_REPLY);
    assert(r != NULL && r->kind == CONF_RESULT_NONE);
    if (f == NULL || !f->in_callout) agent_exec_crash("precondition");
    CFDataRef reply = NULL;
    if (s->echo) {
        reply = f->request != NULL ? CFDataCreateCopy(NULL, f->request) : NULL;
    } else {
        made_data m = data_make(&s->data, true);
        if (m.unsupported != NULL) {
            r->unsupported = m.unsupported;
            return;
        }
        reply = m.data; /* never mapped for replies */
    }
    if (f->reply != NULL) CFRelease(f->reply);
    f->reply = reply;
    r->has_data = true;
    r->data = view_of(reply);
    set_port_result(r, f->self);
}

static void op_die(const conf_step *s)
{
    assert(s != NULL);
    assert(s->op == CONF_OP_CRASH || s->op == CONF_OP_EXIT);
    if (s->op == CONF_OP_CRASH) agent_exec_crash("op");
    agent_event e = event_of("exit");
    agent_out_event(&e);
    agent_exit(0);
}

/* ---- one step ------------------------------------------------------------------------------------- */

static void dispatch_op(agent_frame *f, const conf_step *s, agent_result *r, uint8_t *name_buf,
                        size_t name_cap)
{
    assert(s != NULL && r != NULL && r->kind == CONF_RESULT_NONE);
    assert(name_buf != NULL && name_cap > 0);
    switch (s->op) {
    case CONF_OP_CREATE_LOCAL: op_create_local(f, s, r); break;
    case CONF_OP_CREATE_REMOTE: op_create_remote(f, s, r); break;
    case CONF_OP_CREATE_LOCAL_PER_PID:
    case CONF_OP_CREATE_REMOTE_PER_PID: r->unsupported = "the per-PID SPI is not available"; break;
    case CONF_OP_SET_NAME: op_set_name(f, s, r); break;
    case CONF_OP_GET_NAME: op_get_name(f, s, r, name_buf, name_cap); break;
    case CONF_OP_IS_VALID:
    case CONF_OP_IS_REMOTE:
    case CONF_OP_GET_CONTEXT:
    case CONF_OP_GET_INVALIDATION_CALLBACK:
    case CONF_OP_COPY_DESCRIPTION:
    case CONF_OP_GET_TYPE_ID: op_query(f, s, r); break;
    case CONF_OP_SET_INVALIDATION_CALLBACK: op_set_callback(f, s, r); break;
    case CONF_OP_INVALIDATE:
    case CONF_OP_RETAIN:
    case CONF_OP_RELEASE: op_lifecycle(f, s, r); break;
    case CONF_OP_CREATE_SOURCE:
    case CONF_OP_ADD_SOURCE:
    case CONF_OP_REMOVE_SOURCE:
    case CONF_OP_SCHEDULE: op_source(f, s, r); break;
    case CONF_OP_SET_DISPATCH_QUEUE: op_set_queue(f, s, r); break;
    case CONF_OP_SEND: op_send(f, s, r); break;
    case CONF_OP_RUN_LOOP:
    case CONF_OP_RUN: op_run_loop(s, r); break;
    case CONF_OP_STOP:
    case CONF_OP_WAKE_UP:
    case CONF_OP_ADD_COMMON_MODE:
    case CONF_OP_ADD_TIMER:
    case CONF_OP_ASYNC: op_thread_ctl(f, s, r); break;
    case CONF_OP_SLEEP: agent_sleep_until_ns(agent_now_ns() + (s->t1_ns > 0 ? s->t1_ns : 0)); break;
    case CONF_OP_WORK: agent_work_until_ns(agent_now_ns() + (s->t1_ns > 0 ? s->t1_ns : 0)); break;
    case CONF_OP_REPLY: op_reply(f, s, r); break;
    case CONF_OP_SIGNAL:
        /* raised by agent_exec_step after the return line: see there */
        if (!agent_signal_reserve(s->signal)) r->unsupported = "more signals than the agent keeps";
        break;
    case CONF_OP_WAIT_FOR:
        r->kind = CONF_RESULT_BOOL;
        r->value = agent_signal_wait(s->signal, s->count, s->t1_ns == CONF_DUR_FOREVER ? INT64_MAX : s->t1_ns);
        break;
    case CONF_OP_CRASH:
    case CONF_OP_EXIT: op_die(s); break;
    default: r->unsupported = "an unknown operation"; break;
    }
}

void agent_exec_step(agent_frame *frame, const conf_step *step, int64_t cmd_id)
{
    assert(step != NULL);
    assert(conf_step_validate(step)); /* decoded (conf_step_read) or declared: complete */
    agent_mutex_lock(agent_g.lock);
    int64_t exec = agent_g.next_exec++;
    agent_mutex_unlock(agent_g.lock);
    int64_t t0 = agent_t_ns();
    agent_out_call(exec, step->ref, cmd_id, tls_label, t0);
    agent_result r = {.kind = CONF_RESULT_NONE, .port = -1};
    uint8_t name_buf[4 * 256];
    int64_t start = agent_now_ns();
    int64_t outer_exec = tls_exec; /* a step of a callout runs inside its caller's step */
    tls_exec = exec;
    dispatch_op(frame, step, &r, name_buf, sizeof name_buf);
    tls_exec = outer_exec;
    int64_t end = agent_now_ns();
    assert(end >= start); /* CLOCK_MONOTONIC */
    agent_out_return(exec, end - agent_g.epoch_ns, end - start, &r);
    /* A signal counts here only once its return line is out: a thread of this process that
     * waits for it and then ends the process must not cut the line off (the runner relays the
     * raise to other processes from that line, and judges the step by it). */
    if (step->op == CONF_OP_SIGNAL && r.unsupported == NULL) (void)agent_signal_raise(step->signal);
    if (r.owned != NULL) CFRelease(r.owned);
}

/* when: does the callout's request match the step's condition? (Handlers only: the loader's rule.) */
static bool when_holds(const agent_frame *frame, const conf_step *s)
{
    assert(s->when != 0 && frame != NULL);
    if (!frame->in_callout) return false;
    CFIndex len = frame->request != NULL ? CFDataGetLength(frame->request) : 0; /* R39: NULL is empty */
    const UInt8 *bytes = frame->request != NULL ? CFDataGetBytePtr(frame->request) : NULL;
    if ((s->when & CM_WHEN_MSGID) && frame->msgid != s->when_msgid) return false;
    if ((s->when & CM_WHEN_SIZE) && (int64_t)len != s->when_size) return false;
    if (s->when & CM_WHEN_DATA) {
        const conf_data *d = &s->when_data;
        if (d->kind == CONF_DATA_BYTES) {
            if ((size_t)len != d->len || (len > 0 && memcmp(bytes, d->bytes, d->len) != 0)) return false;
        } else {
            if ((int64_t)len != d->size) return false;
            for (CFIndex i = 0; i < len; i++) {
                if (bytes[i] != 0) return false; /* {size: N}: N zero bytes */
            }
        }
    }
    return true;
}

void agent_exec_program(agent_frame *frame, uint32_t program)
{
    if (program == AGENT_NONE || program >= agent_g.program_count) return;
    const agent_program *p = &agent_g.programs[program];
    for (uint32_t i = 0; i < p->count; i++) {
        if (p->steps[i].when != 0 && !when_holds(frame, &p->steps[i])) continue; /* not for this request */
        agent_exec_step(frame, &p->steps[i], -1);
    }
}

/* ---- a scenario thread ------------------------------------------------------------------------------ */

static agent_cmd *next_command(agent_thread *t)
{
    assert(t != NULL);
    assert(t >= agent_g.threads && t < agent_g.threads + AGENT_MAX_THREADS);
    agent_cmd *c = NULL;
    agent_mutex_lock(agent_g.lock);
    while (t->head == NULL && !t->closed) agent_mutex_wait(agent_g.lock, 0);
    c = t->head;
    if (c != NULL) {
        t->head = c->next;
        if (t->head == NULL) t->tail = NULL;
    }
    assert(c != NULL || t->closed); /* exit: a command, or none left ever */
    agent_mutex_unlock(agent_g.lock);
    return c;
}

void agent_exec_thread(agent_thread *t)
{
    assert(t != NULL && t->index < AGENT_MAX_THREADS);
    assert(&agent_g.threads[t->index] == t);
    agent_exec_set_thread_label(t->name);
    /* retained for the process's life: another thread's stop / wake_up / add_source may name
     * this thread's run loop after the thread has ended (a use after free in libcfmp, seen as
     * an assertion in CFRunLoopStop when `stop: worker` came after the worker's `run` ended) */
    CFRunLoopRef rl = (CFRunLoopRef)CFRetain(CFRunLoopGetCurrent());
    agent_mutex_lock(agent_g.lock);
    t->run_loop = rl;
    agent_mutex_broadcast(agent_g.lock);
    while (!agent_g.started) agent_mutex_wait(agent_g.lock, 0);
    int64_t start_at = agent_g.epoch_ns + agent_g.start_at_ns;
    agent_mutex_unlock(agent_g.lock);
    /* Start on time: sleep to just before, then spin (a woken thread can be late by a lot
     * more than the scenarios' 1 ms gaps on a loaded machine). */
    agent_sleep_until_ns(start_at - 300000);
    agent_work_until_ns(start_at);
    for (;;) {
        agent_cmd *c = next_command(t);
        if (c == NULL) break;
        agent_exec_step(NULL, &c->step, c->id);
        free(c);
    }
    if (t->index == 0) { /* the main thread's program ended: the process exits (as main returning) */
        agent_event e = event_of("exit");
        agent_out_event(&e);
        agent_exit(0);
    }
}
