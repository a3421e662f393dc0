/*
 * cm_port.c — CFMessagePort objects: the life-cycle state machine,
 * reference counts and deallocation (R48, R54), IsValid with its side
 * effect (R7), the invalidation sequence (R52), CFMachPort wrappers shared
 * within a process (R26), and death notices (R56).
 */
#include "cm_internal.h"

/*
 * The port life cycle as data. NEW: allocated, not yet valid (R3).
 * VALID: created successfully. INVALID: a one-way latch (R3, R53).
 * DEALLOCATED: the last reference went away (R54); ids are never reused.
 */
static const bool port_transition_legal[CM_PS_COUNT][CM_PS_COUNT] = {
    [CM_PS_NEW] = {[CM_PS_VALID] = true, [CM_PS_INVALID] = true},
    [CM_PS_VALID] = {[CM_PS_INVALID] = true},
    [CM_PS_INVALID] = {[CM_PS_DEALLOCATED] = true},
    [CM_PS_DEALLOCATED] = {0},
};

void cm_port_set_state(cm_world *w, int32_t port, uint8_t to)
{
    assert(w != NULL && cm_port_in(w, port));
    cm_port *p = CM_PORT(w, port);
    uint8_t from = p->state;
    assert(from < CM_PS_COUNT && to < CM_PS_COUNT);
    assert(port_transition_legal[from][to]);
    p->state = to;
    cm_emit_process(w, CM_EV_STATE, p->process, port, CM_EVENT_VALUES(state, .from = from, .to = to));
}

bool cm_port_validate(const cm_world *w, int32_t port)
{
    if (port < 0 || (uint32_t)port >= w->ports.count) return false;
    const cm_port *p = CM_PORT(w, port);
    if (p->state >= CM_PS_COUNT) return false;
    if (p->refcount < 0) return false;
    if (p->state == CM_PS_VALID && p->refcount == 0) return false;
    if (p->remote && (p->source >= 0 || p->queue != CM_NONE16)) return false; /* R2 */
    if (!p->remote && p->reply_kport >= 0) return false;
    if (p->source >= 0 && p->queue != CM_NONE16) return false; /* R47, R49 */
    if (p->state != CM_PS_VALID && (p->source >= 0 || p->reply_kport >= 0)) return false;
    return true;
}

int32_t cm_port_new(cm_world *w, const cm_thread *t, bool remote)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(cm_process_in(w, t->process));
    int32_t index = cm_pool_alloc(w, &w->ports);
    if (index < 0) return CM_NO_PORT;
    cm_port *p = CM_PORT(w, index);
    p->state = CM_PS_NEW;
    p->remote = remote;
    p->process = t->process;
    p->incarnation = cm_process_at(w, t->process)->incarnation;
    p->refcount = 1;
    p->name = CM_NONE32;
    p->wrapper = -1;
    p->reply_kport = -1;
    p->source = -1;
    p->queue = CM_NONE16;
    p->handler = CM_NONE16;
    p->icallback = CM_NONE16;
    p->replies = -1;
    return index;
}

void cm_port_retain(cm_world *w, int32_t port)
{
    assert(w != NULL && cm_port_in(w, port));
    cm_port *p = CM_PORT(w, port);
    assert(p->state != CM_PS_DEALLOCATED && p->refcount > 0);
    p->refcount++;
}

/* R26c: a dying local probes the process's cached remotes. */
static void probe_cached_remotes(cm_world *w, cm_thread *t, uint16_t process)
{
    assert(w != NULL && (t == NULL || cm_thread_in(w, t)));
    assert(cm_process_in(w, process));
    for (uint32_t n = 0; n < w->name_count; n++) {
        int32_t remote = *cm_remote_table(w, process, n);
        if (remote >= 0) cm_port_is_valid(w, t, remote);
    }
}

/* R54: the last release invalidates (callbacks run now), then frees. */
void cm_port_release(cm_world *w, cm_thread *t, int32_t port)
{
    assert(w != NULL && cm_port_in(w, port));
    assert(t == NULL || cm_thread_in(w, t));
    cm_port *p = CM_PORT(w, port);
    assert(p->refcount > 0 && p->state != CM_PS_DEALLOCATED);
    if (--p->refcount > 0) return;
    p->deallocating = 1;
    bool local = !p->remote;
    uint16_t process = p->process;
    cm_port_invalidate(w, t, port);
    if (local) probe_cached_remotes(w, t, process);
    p = CM_PORT(w, port);
    if (p->state == CM_PS_NEW) cm_port_set_state(w, port, CM_PS_INVALID);
    cm_port_set_state(w, port, CM_PS_DEALLOCATED);
    cm_emit(w, CM_EV_DEALLOC, t, port, CM_EVENT_NO_VALUES);
    for (int32_t r = p->replies; r >= 0;) { /* R54: _replies freed only here */
        int32_t next = CM_REPLY(w, r)->next;
        cm_pool_free(&w->replies, r);
        r = next;
    }
    CM_PORT(w, port)->replies = -1;
}

/* ---- CFMachPort wrappers ---------------------------------------------- */

bool cm_wrapper_is_valid(const cm_world *w, int32_t wrapper)
{
    assert(w != NULL && cm_wrapper_in(w, wrapper));
    assert(cm_kport_in(w, CM_WRAPPER(w, wrapper)->kport));
    const cm_wrapper *wr = CM_WRAPPER(w, wrapper);
    if (!wr->valid) return false;
    const cm_kport *k = CM_KPORT(w, wr->kport);
    return k->alive; /* a dead name fails mach_port_type's check (R7) */
}

/*
 * CFMachPortCreateWithPort caches wrappers by port name within a process,
 * so a same-process remote gets the local port's own wrapper (R26).
 */
int32_t cm_wrapper_get(cm_world *w, uint16_t process, int32_t kport, bool receive)
{
    assert(w != NULL && cm_process_in(w, process));
    assert(cm_kport_in(w, kport));
    cm_process *proc = cm_process_at(w, process);
    bool share = w->cfg.profile.same_process_remote_shares_wrapper || receive;
    for (int32_t i = proc->wrappers; share && i >= 0; i = CM_WRAPPER(w, i)->next) {
        cm_wrapper *wr = CM_WRAPPER(w, i);
        if (wr->kport == kport && wr->valid) return i;
    }
    int32_t index = cm_pool_alloc(w, &w->wrappers);
    if (index < 0) return -1;
    cm_wrapper *wr = CM_WRAPPER(w, index);
    wr->kport = kport;
    wr->valid = 1;
    wr->receive = receive;
    wr->next = proc->wrappers;
    proc->wrappers = index;
    return index;
}

/* ---- IsValid (R7) ------------------------------------------------------ */

bool cm_port_is_valid(cm_world *w, cm_thread *t, int32_t port)
{
    assert(w != NULL && cm_port_in(w, port));
    assert(t == NULL || cm_thread_in(w, t));
    cm_port *p = CM_PORT(w, port);
    if (p->state != CM_PS_VALID) return false;
    bool ok = true;
    if (p->wrapper >= 0 && !cm_wrapper_is_valid(w, p->wrapper)) ok = false;
    if (p->reply_kport >= 0 && !CM_KPORT(w, p->reply_kport)->alive) ok = false;
    if (ok) return true;
    cm_port_invalidate(w, t, port); /* on the calling thread */
    return false;
}

/* ---- Invalidate (R52) -------------------------------------------------- */

static void remove_from_tables(cm_world *w, const cm_port *p, int32_t port)
{
    assert(w != NULL && p != NULL && cm_port_in(w, port));
    assert(p->name == CM_NONE32 || p->name < w->name_count);
    if (p->per_pid || p->name == CM_NONE32) return;
    int32_t *slot = p->remote ? cm_remote_table(w, p->process, p->name)
                              : cm_local_table(w, p->process, p->name);
    if (*slot == port) *slot = CM_NO_PORT;
}

/* Step 10: a local port's receive right goes away (later, R62). */
static void drop_receive_right(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    assert(CM_KPORT(w, kport)->alive && !CM_KPORT(w, kport)->launchd_held);
    cm_kport *k = CM_KPORT(w, kport);
    k->port = CM_NO_PORT;
    k->dq_queue = CM_NONE16;
    if (k->checkin) { /* R15: launchd gets its service port back */
        k->launchd_held = 1;
        k->owner = CM_NONE16;
        return;
    }
    cm_duration_ns delay = w->cfg.profile.rights_release_delay_ns;
    if (delay <= 0) {
        cm_kport_destroy(w, kport);
    } else {
        cm_timer_add(w, w->now_ns + delay, CM_TM_RIGHTS_GONE, kport, 0);
    }
}

static void run_invalidation_callback(cm_world *w, cm_thread *t, int32_t port,
                                      uint16_t callback, int64_t info)
{
    assert(w != NULL && cm_port_in(w, port));
    assert(callback < w->cfg.program_count);
    cm_port *p = CM_PORT(w, port);
    p->icallback_calls++;
    cm_emit(w, CM_EV_INVALIDATION_CALLBACK, t, port, CM_EVENT_VALUES(callback, .callback = callback, .info = info));
    cm_run_callback(w, t, callback, port);
}

/* R55 UNCERTAIN: whether waiters on other threads are woken (an option). */
static void wake_other_waiters(cm_world *w, const cm_thread *t, int32_t port)
{
    assert(w != NULL && cm_port_in(w, port));
    assert(t == NULL || cm_thread_in(w, t));
    if (!w->cfg.profile.cross_thread_invalidate_wakes) return;
    const cm_process *proc = &w->processes[CM_PORT(w, port)->process];
    for (uint16_t i = 0; i < proc->thread_count; i++) {
        cm_thread *other = cm_thread_at(w, proc->thread_base + i);
        if (other == t || !other->alive) continue;
        for (uint32_t d = 0; d < other->depth; d++) {
            const cm_frame *f = &other->frames[d];
            if (f->kind != CM_FR_SEND || f->port != port || d + 2 != other->depth) continue;
            if (other->frames[d + 1].kind != CM_FR_RUNLOOP) continue;
            other->frames[d + 1].flags |= CM_FRF_HANDLED; /* its RunInMode returns */
            cm_wake(w, proc->thread_base + i);
        }
    }
}

void cm_port_invalidate(cm_world *w, cm_thread *t, int32_t port)
{
    assert(w != NULL && cm_port_in(w, port));
    assert(t == NULL || cm_thread_in(w, t));
    cm_port *p = CM_PORT(w, port);
    if (p->state != CM_PS_VALID) return; /* step 2: idempotent */
    bool keep = !p->deallocating;
    if (keep) cm_port_retain(w, port); /* step 1 */
    if (p->queue != CM_NONE16) {        /* step 3: cancel the dispatch source */
        if (p->wrapper >= 0) CM_KPORT(w, CM_WRAPPER(w, p->wrapper)->kport)->dq_queue = CM_NONE16;
        p->queue = CM_NONE16;
    }
    /* step 4: snapshot, clear */
    uint16_t callback = p->icallback;
    int32_t source = p->source, reply_kport = p->reply_kport, wrapper = p->wrapper;
    int64_t info = p->remote ? 0 : p->info;
    bool local = !p->remote, release = local && (p->ctx_flags & CM_OPF_CTX_RELEASE);
    p->info = 0;
    p->source = -1;
    p->reply_kport = -1;
    p->wrapper = -1;
    cm_port_set_state(w, port, CM_PS_INVALID);
    remove_from_tables(w, CM_PORT(w, port), port); /* step 5 */
    if (callback != CM_NONE16) run_invalidation_callback(w, t, port, callback, info); /* 6 */
    if (release) { /* step 7: even when info is NULL */
        CM_PORT(w, port)->release_calls++;
        cm_emit(w, CM_EV_CONTEXT_RELEASE, t, port, CM_EVENT_VALUES(context, .info = info));
    }
    if (source >= 0) { /* step 8: the source retained the port (R48) */
        cm_source_invalidate(w, source);
        cm_port_release(w, t, port);
    }
    if (reply_kport >= 0) { /* step 9: the reply port retained the remote (R25) */
        cm_source_invalidate(w, CM_PORT(w, port)->reply_source); /* out of every run loop */
        cm_kport_destroy(w, reply_kport);
        cm_port_release(w, t, port);
    }
    if (wrapper >= 0) { /* step 10 */
        cm_wrapper *wr = CM_WRAPPER(w, wrapper);
        int32_t kport = wr->kport;
        bool receive = local && wr->receive && CM_KPORT(w, kport)->port == port;
        wr->valid = 0; /* shared with a same-process local port: R26b */
        if (receive) drop_receive_right(w, kport);
    }
    wake_other_waiters(w, t, port);
    if (keep) cm_port_release(w, t, port);
}

/* ---- death notices (R56) ----------------------------------------------- */

void cm_process_notice_death(cm_world *w, uint16_t process, int32_t wrapper)
{
    assert(w != NULL && cm_process_in(w, process));
    assert(cm_wrapper_in(w, wrapper));
    cm_process *proc = cm_process_at(w, process);
    if (proc->state != CM_PROC_RUNNING) return;
    cm_wrapper *wr = CM_WRAPPER(w, wrapper);
    if (!wr->valid || wr->noticed) return;
    wr->noticed = 1;
    cm_emit_process(w, CM_EV_DEATH_NOTICE, process, CM_NO_PORT, CM_EVENT_VALUES(kport, .kport = wr->kport));
    if (!w->cfg.profile.main_queue_death_callbacks) return;
    for (uint32_t i = 0; i < w->ports.count; i++) {
        const cm_port *p = CM_PORT(w, (int32_t)i);
        if (p->process != process || p->incarnation != proc->incarnation) continue;
        if (p->state != CM_PS_VALID || p->wrapper != wrapper || !p->remote) continue;
        cm_queue_push(w, process, CM_QUEUE_MAIN, CM_BLK_DEATH, (int32_t)i, -1, CM_NONE16);
    }
}
