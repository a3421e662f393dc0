/*
 * cm_api.c — the operations a program can perform: the CFMessagePort and
 * CFRunLoop calls, each with the exact rules of docs/semantics.md, plus sleep,
 * reply, crash and exit. One function per operation, dispatched through a
 * table indexed by cm_op_kind.
 */
#include "cm_internal.h"

/* ---- helpers ----------------------------------------------------------- */

cm_time_ns cm_time_add(cm_time_ns t, cm_duration_ns d)
{
    assert(t >= 0); /* times are virtual nanoseconds since the run began */
    cm_time_ns sum;
    if (d == CM_DURATION_FOREVER || d == CM_DURATION_NAN) sum = CM_DURATION_FOREVER;
    else if (d <= 0) sum = t;
    else if (t > CM_DURATION_FOREVER - d) sum = CM_DURATION_FOREVER;
    else sum = t + d;
    assert(sum >= t); /* saturates: never earlier than t */
    return sum;
}

cm_opr cm_precondition(cm_world *w, cm_thread *t)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(cm_process_in(w, t->process));
    cm_process_kill(w, t->process, CM_CRASH_PRECONDITION, true);
    return CM_OPR_DEAD;
}

static int32_t *slot_ref(cm_world *w, const cm_thread *t, uint16_t slot)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(cm_process_in(w, t->process));
    const cm_process *proc = &w->processes[t->process];
    if (slot >= w->cfg.processes[t->process].slot_count) return NULL;
    return &w->slots[proc->slot_base + slot];
}

static int32_t *source_ref(cm_world *w, const cm_thread *t, uint16_t slot)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(cm_process_in(w, t->process));
    const cm_process *proc = &w->processes[t->process];
    if (slot >= w->cfg.processes[t->process].slot_count) return NULL;
    return &w->slot_sources[proc->slot_base + slot];
}

/* The port an operation names, or CM_NO_PORT when it names nothing usable. */
static int32_t op_port(cm_world *w, const cm_thread *t, const cm_frame *f, uint16_t slot)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(f != NULL && (slot != CM_SLOT_SELF || f->port == CM_NO_PORT || cm_port_in(w, f->port)));
    int32_t port = CM_NO_PORT;
    if (slot == CM_SLOT_SELF) {
        port = f->port;
    } else {
        const int32_t *ref = slot_ref(w, t, slot);
        if (ref != NULL) port = *ref;
    }
    if (port < 0 || CM_PORT(w, port)->state == CM_PS_DEALLOCATED) return CM_NO_PORT;
    return port;
}

static void store_port(cm_world *w, const cm_thread *t, uint16_t slot, int32_t port)
{
    int32_t *ref = slot_ref(w, t, slot);
    if (ref != NULL) *ref = port; /* a reference it held before leaks, as in C */
}

static cm_opr done(cm_ret *ret, int32_t port, int32_t result, int32_t aux)
{
    assert(ret != NULL);
    assert(port == CM_NO_PORT || port >= 0);
    ret->port = port;
    ret->result = result;
    ret->aux = aux;
    return CM_OPR_DONE;
}

/*
 * A create that returns NULL: the variable holds NULL afterwards, as `r =
 * CFMessagePortCreateRemote(...)` does in C, so a later use of it is the
 * NULL-port precondition crash (the agents do the same). Found by portsim
 * fuzz: the variable kept the port of an earlier create.
 */
static cm_opr created_null(cm_world *w, cm_thread *t, const cm_op *op, cm_ret *ret, int32_t b)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind >= CM_OP_CREATE_LOCAL && op->kind <= CM_OP_CREATE_REMOTE_PER_PID);
    store_port(w, t, op->slot, CM_NO_PORT);
    return done(ret, CM_NO_PORT, CM_NO_PORT, b);
}

static bool valid_flag(cm_world *w, int32_t port)
{
    return CM_PORT(w, port)->state == CM_PS_VALID;
}

/* ---- creation (R11, R13–R18, R20–R24) ---------------------------------- */

/* A new local port on kport (or unnamed when kport < 0): R18's retain. */
static int32_t make_local(cm_world *w, cm_thread *t, const cm_op *op, uint32_t name,
                          int32_t kport)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_CREATE_LOCAL || op->kind == CM_OP_CREATE_LOCAL_PER_PID);
    assert(kport < 0 || cm_kport_in(w, kport));
    assert(name == CM_NONE32 || name < w->name_count);
    int32_t port = cm_port_new(w, t, false);
    if (port < 0) return CM_NO_PORT;
    cm_port *p = CM_PORT(w, port);
    p->handler = op->target;
    p->ctx_flags = op->flags & (CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE | CM_OPF_CTX_COPYDESC);
    p->info = op->value;
    p->name = name;
    p->per_pid = op->kind == CM_OP_CREATE_LOCAL_PER_PID;
    if (kport >= 0) {
        p->wrapper = cm_wrapper_get(w, t->process, kport, true);
        CM_KPORT(w, kport)->port = port;
    }
    if (p->ctx_flags & CM_OPF_CTX_RETAIN) {
        p->retain_calls++;
        cm_emit(w, CM_EV_CONTEXT_RETAIN, t, port, CM_EVENT_VALUES(context, .info = p->info));
    }
    cm_port_set_state(w, port, CM_PS_VALID);
    if (name != CM_NONE32 && !CM_PORT(w, port)->per_pid) *cm_local_table(w, t->process, name) = port;
    return port;
}

/* A fresh receive right registered under name, or -1 (R15, R16, R20, R21). */
static int32_t register_name(cm_world *w, cm_thread *t, const cm_op *op, uint32_t name,
                             bool *extra_refs)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_CREATE_LOCAL || op->kind == CM_OP_CREATE_LOCAL_PER_PID);
    assert(name < w->name_count && extra_refs != NULL);
    bool per_pid = op->kind == CM_OP_CREATE_LOCAL_PER_PID;
    *extra_refs = false;
    if (!per_pid) {
        int32_t kport = cm_bootstrap_check_in(w, t->process, name);
        if (kport >= 0) {
            *extra_refs = true;
            return kport;
        }
    }
    int32_t kport = cm_kport_create(w, t->process, false);
    if (kport < 0) return -1;
    bool ok = per_pid ? cm_bootstrap_register_per_pid(w, t->process, name, kport)
                      : cm_bootstrap_register(w, t->process, name, kport);
    if (ok) return kport;
    CM_KPORT(w, kport)->alive = 0; /* never seen by anyone */
    cm_emit(w, CM_EV_WARNING, t, CM_NO_PORT,
            CM_EVENT_VALUES(warning, .warning = CM_WARN_REGISTER_FAILED, .name = (int32_t)name));
    return -1;
}

static cm_opr op_create_local(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                              cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_CREATE_LOCAL || op->kind == CM_OP_CREATE_LOCAL_PER_PID);
    assert(op->target == CM_NONE16 || op->target < w->cfg.program_count);
    (void)f;
    uint32_t name = op->name == CM_NONE32 ? CM_NONE32 : cm_name_of_blob(w, op->name);
    bool per_pid = op->kind == CM_OP_CREATE_LOCAL_PER_PID;
    if (per_pid && name == CM_NONE32) return created_null(w, t, op, ret, 1);
    if (name != CM_NONE32 && !per_pid) { /* R14: the existing port, or NULL */
        int32_t existing = *cm_local_table(w, t->process, name);
        if (existing >= 0) {
            if (!cm_port_is_valid(w, t, existing)) {
                if (!t->alive) return CM_OPR_DEAD;
                return created_null(w, t, op, ret, 1);
            }
            cm_port_retain(w, existing);
            store_port(w, t, op->slot, existing);
            return done(ret, existing, existing, 1);
        }
    }
    int32_t kport = -1;
    bool extra_refs = false;
    if (name != CM_NONE32) {
        kport = register_name(w, t, op, name, &extra_refs);
        if (kport < 0) return created_null(w, t, op, ret, 1); /* R15, R16 */
    }
    int32_t port = make_local(w, t, op, name, kport); /* R11, R13: maybe unnamed */
    if (port < 0) return created_null(w, t, op, ret, 1);
    CM_PORT(w, port)->extra_refs = extra_refs;
    store_port(w, t, op->slot, port);
    return done(ret, port, port, 0);
}

static int32_t look_up(cm_world *w, const cm_thread *t, const cm_op *op, uint32_t name)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(op->kind == CM_OP_CREATE_REMOTE || op->kind == CM_OP_CREATE_REMOTE_PER_PID);
    assert(name < w->name_count);
    if (op->kind == CM_OP_CREATE_REMOTE) return cm_bootstrap_look_up(w, t->process, name);
    if (op->target >= w->cfg.process_count) return -1;
    const cm_process *other = &w->processes[op->target];
    if (other->state != CM_PROC_RUNNING) return -1;
    if (!cm_sandbox_allows(w, t->process, name)) return -1;
    return cm_bootstrap_look_up_per_pid(w, name, other->pid);
}

static cm_opr op_create_remote(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                               cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_CREATE_REMOTE || op->kind == CM_OP_CREATE_REMOTE_PER_PID);
    (void)f;
    if (op->name == CM_NONE32) return cm_precondition(w, t); /* R13 */
    uint32_t name = cm_name_of_blob(w, op->name);
    if (name == CM_NONE32) return created_null(w, t, op, ret, 0); /* R11 */
    bool per_pid = op->kind == CM_OP_CREATE_REMOTE_PER_PID;
    if (!per_pid) { /* R23: the cached object, or NULL once if it died */
        int32_t cached = *cm_remote_table(w, t->process, name);
        if (cached >= 0) {
            if (!cm_port_is_valid(w, t, cached)) {
                if (!t->alive) return CM_OPR_DEAD;
                return created_null(w, t, op, ret, 0);
            }
            cm_port_retain(w, cached);
            store_port(w, t, op->slot, cached);
            return done(ret, cached, cached, 0);
        }
    }
    int32_t kport = look_up(w, t, op, name); /* R22 */
    if (kport < 0 || !CM_KPORT(w, kport)->alive) return created_null(w, t, op, ret, 0);
    int32_t port = cm_port_new(w, t, true); /* R24 refused a dead name above */
    if (port < 0) return created_null(w, t, op, ret, 0);
    cm_port *p = CM_PORT(w, port);
    p->name = name;
    p->per_pid = per_pid;
    p->wrapper = cm_wrapper_get(w, t->process, kport, false); /* R26 */
    cm_port_set_state(w, port, CM_PS_VALID);
    if (!per_pid) *cm_remote_table(w, t->process, name) = port;
    store_port(w, t, op->slot, port);
    return done(ret, port, port, 0);
}

/* R19: SetName. */
static cm_opr op_set_name(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                          cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_SET_NAME && ret != NULL);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0 || op->name == CM_NONE32) return cm_precondition(w, t);
    cm_port *p = CM_PORT(w, port);
    uint32_t name = cm_name_of_blob(w, op->name);
    if (p->remote || p->per_pid || name == CM_NONE32) return done(ret, port, 0, 0);
    if (*cm_local_table(w, t->process, name) >= 0) return done(ret, port, 0, 0);
    if (p->queue != CM_NONE16 && w->cfg.profile.setname_refused_with_queue) {
        cm_emit(w, CM_EV_WARNING, t, port, CM_EVENT_VALUES(warning, .warning = CM_WARN_SETNAME_QUEUE));
        return done(ret, port, 0, 0);
    }
    if (p->name == name) return done(ret, port, 1, 0); /* invalid port, same name */
    cm_op reg = *op;
    reg.kind = CM_OP_CREATE_LOCAL;
    bool extra_refs = false;
    int32_t kport = register_name(w, t, &reg, name, &extra_refs);
    if (kport < 0) return done(ret, port, 0, 0);
    p = CM_PORT(w, port);
    int32_t old = p->wrapper;
    p->wrapper = cm_wrapper_get(w, t->process, kport, true);
    p->extra_refs = extra_refs;
    CM_KPORT(w, kport)->port = port;
    if (old >= 0) { /* the old right goes away, its name later (R62) */
        cm_wrapper *wr = CM_WRAPPER(w, old);
        int32_t old_kport = wr->kport;
        wr->valid = 0;
        CM_KPORT(w, old_kport)->port = CM_NO_PORT;
        cm_timer_add(w, cm_time_add(w->now_ns, w->cfg.profile.rights_release_delay_ns),
                     CM_TM_RIGHTS_GONE, old_kport, 0);
    }
    if (p->name != CM_NONE32 && *cm_local_table(w, t->process, p->name) == port) {
        *cm_local_table(w, t->process, p->name) = CM_NO_PORT;
    }
    p->name = name;
    *cm_local_table(w, t->process, name) = port;
    return done(ret, port, 1, 0);
}

/* ---- queries (R1, R5–R9) ------------------------------------------------ */

static cm_opr op_query(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind >= CM_OP_GET_NAME && op->kind <= CM_OP_GET_TYPE_ID &&
           op->kind != CM_OP_SET_INVALIDATION_CALLBACK);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0) return cm_precondition(w, t);
    cm_port *p = CM_PORT(w, port);
    switch (op->kind) {
    case CM_OP_GET_NAME: /* R5: the sanitized copy, also after invalidation */
        return done(ret, port, p->name == CM_NONE32 ? -1 : (int32_t)p->name, 0);
    case CM_OP_IS_REMOTE: /* R1 */
        return done(ret, port, p->remote, 0);
    case CM_OP_GET_TYPE_ID: /* R4: shared by local and remote ports */
        return done(ret, port, CM_TYPE_ID, 0);
    case CM_OP_GET_CONTEXT: /* R6: info NULL after invalidation; remote: garbage */
        return done(ret, port, 0, p->remote ? CM_INFO_UNDEFINED : (int32_t)p->info);
    case CM_OP_GET_INVALIDATION_CALLBACK: /* R8 */
        return done(ret, port, p->icallback == CM_NONE16 ? -1 : p->icallback, 0);
    case CM_OP_IS_VALID: { /* R7: may invalidate, on this thread */
        bool valid = cm_port_is_valid(w, t, port);
        if (!t->alive) return CM_OPR_DEAD;
        return done(ret, port, valid, 0);
    }
    case CM_OP_COPY_DESCRIPTION: /* R9: copyDescription(info) for a local port */
        if (!p->remote && (p->ctx_flags & CM_OPF_CTX_COPYDESC) && p->info != 0) {
            p->copydesc_calls++;
            cm_emit(w, CM_EV_CONTEXT_COPY_DESCRIPTION, t, port, CM_EVENT_VALUES(context, .info = p->info));
        }
        return done(ret, port, 1, 0);
    default:
        assert(0 && "not a query");
        return cm_precondition(w, t);
    }
}

/* R8: on an invalid port a non-NULL callback runs at once and is not kept. */
static cm_opr op_set_callback(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                              cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_SET_INVALIDATION_CALLBACK);
    assert(op->target == CM_NONE16 || op->target < w->cfg.program_count);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0) return cm_precondition(w, t);
    cm_port *p = CM_PORT(w, port);
    if (!valid_flag(w, port) && op->target != CM_NONE16) {
        int64_t info = p->remote ? CM_INFO_UNDEFINED : p->info;
        p->icallback_calls++;
        cm_emit(w, CM_EV_INVALIDATION_CALLBACK, t, port,
                CM_EVENT_VALUES(callback, .callback = op->target, .at_once = 1, .info = info));
        cm_run_callback(w, t, op->target, port);
        if (!t->alive) return CM_OPR_DEAD;
        return done(ret, port, 1, 0);
    }
    p->icallback = op->target;
    return done(ret, port, 0, 0);
}

/* ---- life cycle (R48, R52, R54) ---------------------------------------- */

static cm_opr op_lifecycle(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                           cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind >= CM_OP_INVALIDATE && op->kind <= CM_OP_RELEASE);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0) return cm_precondition(w, t);
    switch (op->kind) {
    case CM_OP_INVALIDATE:
        cm_port_invalidate(w, t, port);
        break;
    case CM_OP_RETAIN:
        cm_port_retain(w, port);
        break;
    case CM_OP_RELEASE:
        if (op->slot != CM_SLOT_SELF) store_port(w, t, op->slot, CM_NO_PORT);
        cm_port_release(w, t, port);
        break;
    default:
        assert(0 && "not a life-cycle operation");
    }
    if (!t->alive) return CM_OPR_DEAD;
    return done(ret, port, 0, 0);
}

/* ---- sources and queues (R41, R47, R49) --------------------------------- */

static cm_thread *target_thread(cm_world *w, cm_thread *t, uint16_t target)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(cm_process_in(w, t->process));
    if (target == CM_NONE16) return t;
    const cm_process *proc = &w->processes[t->process];
    if (target >= proc->user_threads) return NULL;
    return cm_thread_at(w, proc->thread_base + target);
}

static cm_opr op_source(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind >= CM_OP_CREATE_SOURCE && op->kind <= CM_OP_SCHEDULE);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0) return cm_precondition(w, t);
    int32_t *src = op->slot == CM_SLOT_SELF ? NULL : source_ref(w, t, op->slot);
    if (op->kind == CM_OP_CREATE_SOURCE || op->kind == CM_OP_SCHEDULE) {
        int32_t source = cm_source_for_port(w, t, port); /* R47 */
        if (!t->alive) return CM_OPR_DEAD;
        if (op->kind == CM_OP_CREATE_SOURCE) {
            if (src != NULL) *src = source;
            return done(ret, port, source, 0); /* the source, or -1 for NULL */
        }
        if (source >= 0) cm_rl_add_source(w, t, source, op->mode);
        return done(ret, port, source >= 0, 0);
    }
    cm_thread *rl = target_thread(w, t, op->target);
    if (src == NULL || *src < 0 || rl == NULL) return cm_precondition(w, t);
    bool changed = op->kind == CM_OP_ADD_SOURCE ? cm_rl_add_source(w, rl, *src, op->mode)
                                                : cm_rl_remove_source(w, rl, *src, op->mode);
    return done(ret, port, changed, 0);
}

static void detach_queue(cm_world *w, cm_port *p)
{
    assert(w != NULL && p != NULL);
    assert(p->wrapper < 0 || cm_wrapper_in(w, p->wrapper));
    if (p->queue == CM_NONE16) return;
    if (p->wrapper >= 0) CM_KPORT(w, CM_WRAPPER(w, p->wrapper)->kport)->dq_queue = CM_NONE16;
    p->queue = CM_NONE16;
}

static cm_opr op_set_queue(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                           cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_SET_DISPATCH_QUEUE);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0) return cm_precondition(w, t);
    if (op->target != CM_NONE16 && op->target >= w->processes[t->process].queue_count) {
        return cm_precondition(w, t);
    }
    cm_port *p = CM_PORT(w, port);
    uint8_t warning = 0;
    if (!valid_flag(w, port)) warning = CM_WARN_QUEUE_INVALID;
    else if (p->remote) warning = CM_WARN_QUEUE_REMOTE;
    else if (p->source >= 0) warning = CM_WARN_QUEUE_HAS_SOURCE;
    if (warning) {
        cm_emit(w, CM_EV_WARNING, t, port, CM_EVENT_VALUES(warning, .warning = warning));
        return done(ret, port, 0, 0);
    }
    detach_queue(w, p); /* NULL unschedules, another queue reschedules */
    if (op->target == CM_NONE16) return done(ret, port, 1, 0);
    if (p->wrapper < 0) {
        cm_emit(w, CM_EV_WARNING, t, port, CM_EVENT_VALUES(warning, .warning = CM_WARN_QUEUE_UNNAMED));
        return done(ret, port, 0, 0);
    }
    int32_t kport = CM_WRAPPER(w, p->wrapper)->kport;
    p->queue = op->target;
    CM_KPORT(w, kport)->dq_queue = op->target;
    w->epoch++; /* its queued messages are no longer the run loops' */
    cm_dispatch_deliver(w, kport); /* what already waits is handed over now */
    return done(ret, port, 1, 0);
}

/* ---- messaging and run loops -------------------------------------------- */

static cm_opr op_send(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->alive);
    assert(op->kind == CM_OP_SEND);
    int32_t port = op_port(w, t, f, op->slot);
    if (port < 0) return cm_precondition(w, t);
    int32_t status = 0;
    cm_opr r = cm_send_start(w, t, f, op, port, &status);
    if (r != CM_OPR_DONE) return r;
    return done(ret, port, status, -1);
}

static cm_opr op_run(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->alive);
    assert(op->kind == CM_OP_RUN_IN_MODE || op->kind == CM_OP_RUN);
    assert(op->kind == CM_OP_RUN || op->mode < 2u + w->cfg.mode_count);
    bool forever = op->kind == CM_OP_RUN;
    uint16_t mode = forever ? CM_MODE_DEFAULT : op->mode;
    if (cm_rl_mode_empty(w, t, mode)) return done(ret, CM_NO_PORT, CM_RUN_FINISHED, 0);
    cm_time_ns deadline_ns =
        forever ? CM_DURATION_FOREVER : cm_time_add(w->now_ns, op->t1_ns < 0 ? 0 : op->t1_ns);
    cm_frame *rl = cm_push_until(w, t, CM_FR_RUNLOOP, f, deadline_ns);
    if (rl == NULL) return CM_OPR_DEAD;
    rl->mode = mode;
    if (forever) {
        rl->flags = CM_FRF_FOREVER;
    } else if (op->flags & CM_OPF_RETURN_AFTER_SOURCE) {
        rl->flags = CM_FRF_RETURN_AFTER;
    }
    cm_wake(w, cm_thread_global(w, t));
    return CM_OPR_PUSHED;
}

static cm_opr op_thread_ctl(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                            cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind >= CM_OP_STOP && op->kind <= CM_OP_ASYNC);
    (void)f;
    cm_thread *target = target_thread(w, t, op->target);
    switch (op->kind) {
    case CM_OP_STOP: /* CFRunLoopStop: the innermost run of that run loop returns */
        if (target == NULL) return cm_precondition(w, t);
        target->stop_requested = 1;
        cm_wake(w, cm_thread_global(w, target));
        return done(ret, CM_NO_PORT, 0, 0);
    case CM_OP_WAKE_UP: /* wakes a sleeping run loop; it does not return by itself */
        if (target == NULL) return cm_precondition(w, t);
        return done(ret, CM_NO_PORT, 0, 0);
    case CM_OP_ADD_COMMON_MODE:
        if (op->mode != CM_MODE_COMMON) t->common_modes |= UINT32_C(1) << op->mode;
        return done(ret, CM_NO_PORT, 0, 0);
    case CM_OP_ADD_TIMER:
        cm_rl_add_timer(w, t, op);
        return done(ret, CM_NO_PORT, 0, 0);
    case CM_OP_ASYNC:
        if (op->target >= w->processes[t->process].queue_count) return cm_precondition(w, t);
        cm_queue_push(w, t->process, op->target, CM_BLK_PROGRAM, CM_NO_PORT, -1,
                      (uint16_t)op->value);
        return done(ret, CM_NO_PORT, 0, 0);
    default:
        assert(0 && "not a run-loop control");
        return cm_precondition(w, t);
    }
}

static cm_opr op_sleep(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->alive);
    assert(op->kind == CM_OP_SLEEP && w->now_ns >= 0);
    (void)ret;
    cm_time_ns deadline_ns = cm_time_add(w->now_ns, op->t1_ns < 0 ? 0 : op->t1_ns);
    return cm_push_until(w, t, CM_FR_SLEEP, f, deadline_ns) != NULL ? CM_OPR_PUSHED : CM_OPR_DEAD;
}

/*
 * A signal is raised once: every thread waiting on it re-checks its count.
 * No CF call and no virtual time: it only orders the scenario's threads.
 */
static cm_opr op_signal(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->depth <= CM_STACK_MAX);
    (void)f;
    assert(op->target < w->cfg.signal_count && t->alive);
    cm_signal_raise(w, op->target);
    return done(ret, CM_NO_PORT, (int32_t)w->signals[op->target], 0);
}

/* Waits until the signal has been raised value times in all, or its timeout passes. */
static cm_opr op_wait_for(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->alive);
    (void)ret;
    assert(op->target < w->cfg.signal_count && op->value >= 1);
    cm_time_ns deadline_ns = cm_time_add(w->now_ns, op->t1_ns < 0 ? 0 : op->t1_ns);
    cm_frame *s = cm_push_until(w, t, CM_FR_WAIT, f, deadline_ns);
    if (s == NULL) return CM_OPR_DEAD;
    s->convid = op->target;
    s->value = op->value;
    return CM_OPR_PUSHED;
}

/* The callout's return value (R35, R40): data, the request's data, or NULL. */
static cm_opr op_reply(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->alive);
    assert(op->kind == CM_OP_REPLY && f != NULL);
    assert(f->msg < 0 || cm_msg_in(w, f->msg));
    if (f->kind != CM_FR_CALLOUT || f->msg < 0) return cm_precondition(w, t);
    f->reply = (op->flags & CM_OPF_REPLY_ECHO) ? CM_MSG(w, f->msg)->data : op->data;
    f->flags |= CM_FRF_REPLY_SET;
    return done(ret, f->port, cm_data_encode(f->reply), 0);
}

static cm_opr op_die(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_CRASH || op->kind == CM_OP_EXIT);
    (void)f;
    (void)ret;
    bool crash = op->kind == CM_OP_CRASH;
    cm_process_kill(w, t->process, crash ? CM_CRASH_OP : 0, crash);
    return CM_OPR_DEAD;
}

/* ---- dispatch ---------------------------------------------------------- */

typedef cm_opr (*cm_op_fn)(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op,
                           cm_ret *ret);

static const cm_op_fn op_table[CM_OP_KIND_COUNT] = {
    [CM_OP_CREATE_LOCAL] = op_create_local,
    [CM_OP_CREATE_LOCAL_PER_PID] = op_create_local,
    [CM_OP_CREATE_REMOTE] = op_create_remote,
    [CM_OP_CREATE_REMOTE_PER_PID] = op_create_remote,
    [CM_OP_SET_NAME] = op_set_name,
    [CM_OP_GET_NAME] = op_query,
    [CM_OP_IS_VALID] = op_query,
    [CM_OP_IS_REMOTE] = op_query,
    [CM_OP_GET_CONTEXT] = op_query,
    [CM_OP_GET_INVALIDATION_CALLBACK] = op_query,
    [CM_OP_SET_INVALIDATION_CALLBACK] = op_set_callback,
    [CM_OP_COPY_DESCRIPTION] = op_query,
    [CM_OP_GET_TYPE_ID] = op_query,
    [CM_OP_INVALIDATE] = op_lifecycle,
    [CM_OP_RETAIN] = op_lifecycle,
    [CM_OP_RELEASE] = op_lifecycle,
    [CM_OP_CREATE_SOURCE] = op_source,
    [CM_OP_ADD_SOURCE] = op_source,
    [CM_OP_REMOVE_SOURCE] = op_source,
    [CM_OP_SCHEDULE] = op_source,
    [CM_OP_SET_DISPATCH_QUEUE] = op_set_queue,
    [CM_OP_SEND] = op_send,
    [CM_OP_RUN_IN_MODE] = op_run,
    [CM_OP_RUN] = op_run,
    [CM_OP_STOP] = op_thread_ctl,
    [CM_OP_WAKE_UP] = op_thread_ctl,
    [CM_OP_ADD_COMMON_MODE] = op_thread_ctl,
    [CM_OP_ADD_TIMER] = op_thread_ctl,
    [CM_OP_ASYNC] = op_thread_ctl,
    [CM_OP_SLEEP] = op_sleep,
    [CM_OP_REPLY] = op_reply,
    [CM_OP_CRASH] = op_die,
    [CM_OP_EXIT] = op_die,
    [CM_OP_SIGNAL] = op_signal,
    [CM_OP_WAIT_FOR] = op_wait_for,
};

cm_opr cm_exec_op(cm_world *w, cm_thread *t, cm_frame *f, const cm_op *op, cm_ret *ret)
{
    assert(t->depth <= CM_STACK_MAX && f != NULL && ret != NULL);
    assert(t->alive && op->kind > CM_OP_NONE && op->kind < CM_OP_KIND_COUNT);
    cm_op_fn fn = op_table[op->kind];
    assert(fn != NULL);
    ret->port = CM_NO_PORT;
    cm_opr r = fn(w, t, f, op, ret);
    assert(r != CM_OPR_DONE || t->alive);
    return r;
}
