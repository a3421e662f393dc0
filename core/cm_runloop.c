/*
 * cm_runloop.c — run loops: modes and the common-mode set, run-loop
 * sources (R41, R47), timers, and CFRunLoopRunInMode as a frame (R32,
 * R36, R42).
 *
 * Each thread has one run loop. A registration says "this source, in
 * these modes, watching this kernel port"; the port is read when the
 * source is added (R41). A running RUNLOOP frame services one ready item
 * per step: a due timer, a message on a watched port, or (on the main
 * thread in a common mode) a main-queue block. With several ports ready
 * the strategy picks which one the port set hands out (R42).
 */
#include "cm_internal.h"

#define MODE_BIT(m) (UINT32_C(1) << (m))

bool cm_mode_matches(const cm_thread *rl, uint32_t reg_modes, uint16_t mode)
{
    if (mode == CM_MODE_COMMON || mode >= CM_MODE_MAX) return false; /* R36 */
    if (reg_modes & MODE_BIT(mode)) return true;
    return (reg_modes & MODE_BIT(CM_MODE_COMMON)) && (rl->common_modes & MODE_BIT(mode));
}

/* ---- sources ----------------------------------------------------------- */

/* R47: NULL if invalid (via IsValid), remote or queued; else the one cached source. */
int32_t cm_source_for_port(cm_world *w, cm_thread *t, int32_t port)
{
    assert(t->alive);
    assert(cm_port_in(w, port));
    if (!cm_port_is_valid(w, t, port)) return -1;
    cm_port *p = CM_PORT(w, port);
    if (p->remote || p->queue != CM_NONE16) return -1;
    if (p->source >= 0) return p->source;
    int32_t source = cm_pool_alloc(w, &w->sources);
    if (source < 0) return -1;
    *CM_SOURCE(w, source) = (cm_source){.kind = CM_SRC_LOCAL, .valid = 1, .port = port};
    CM_PORT(w, port)->source = source;
    cm_port_retain(w, port); /* R48: the source retains the port */
    return source;
}

static void unlink_regs(cm_world *w, cm_thread *rl, int32_t source, uint32_t clear_modes)
{
    assert(w != NULL && cm_thread_in(w, rl));
    assert(cm_source_in(w, source) && clear_modes != 0);
    int32_t *link = &rl->regs;
    w->epoch++; /* the run loop may lose a ready source without being woken */
    for (uint32_t guard = 0; *link >= 0; guard++) {
        assert(guard <= w->regs.count);
        cm_reg *r = CM_REG(w, *link);
        if (r->source == source) r->modes &= ~clear_modes;
        if (r->source == source && r->modes == 0) {
            int32_t index = *link;
            *link = r->next;
            cm_pool_free(&w->regs, index);
            continue;
        }
        link = &r->next;
    }
}

/* R52 step 8: removed from every run loop and mode; nobody is woken. */
void cm_source_invalidate(cm_world *w, int32_t source)
{
    assert(w != NULL && cm_source_in(w, source));
    assert(cm_port_in(w, CM_SOURCE(w, source)->port));
    cm_source *s = CM_SOURCE(w, source);
    if (!s->valid) return;
    s->valid = 0;
    cm_process *proc = cm_process_at(w, CM_PORT(w, s->port)->process);
    for (uint16_t i = 0; i < proc->thread_count; i++) {
        unlink_regs(w, cm_thread_at(w, proc->thread_base + i), source, UINT32_MAX);
    }
}

static int32_t source_kport(cm_world *w, cm_thread *rl, int32_t source)
{
    assert(w != NULL && cm_thread_in(w, rl));
    assert(cm_source_in(w, source));
    assert(CM_SOURCE(w, source)->kind == CM_SRC_LOCAL || CM_SOURCE(w, source)->kind == CM_SRC_REPLY);
    const cm_source *s = CM_SOURCE(w, source);
    const cm_port *p = CM_PORT(w, s->port);
    if (s->kind == CM_SRC_REPLY) return p->reply_kport;
    if (p->wrapper >= 0) return CM_WRAPPER(w, p->wrapper)->kport;
    if (p->state == CM_PS_VALID) { /* R41: "not been named yet ... a no-op" */
        cm_emit(w, CM_EV_WARNING, rl, s->port, CM_EVENT_VALUES(warning, .warning = CM_WARN_UNNAMED_SCHEDULED));
    }
    return -1;
}

bool cm_rl_add_source(cm_world *w, cm_thread *rl, int32_t source, uint16_t mode)
{
    assert(w != NULL && cm_thread_in(w, rl));
    assert(cm_source_in(w, source));
    if (!CM_SOURCE(w, source)->valid || mode >= CM_MODE_MAX) return false;
    int32_t kport = source_kport(w, rl, source); /* read now, once (R41) */
    int32_t *link = &rl->regs;
    for (uint32_t guard = 0; *link >= 0; guard++) {
        assert(guard <= w->regs.count);
        cm_reg *r = CM_REG(w, *link);
        if (r->source == source && (r->modes & MODE_BIT(mode))) return false;
        if (r->source == source && r->kport == kport) {
            r->modes |= MODE_BIT(mode);
            cm_wake(w, cm_thread_global(w, rl));
            return true;
        }
        link = &r->next;
    }
    int32_t index = cm_pool_alloc(w, &w->regs);
    if (index < 0) return false;
    *CM_REG(w, index) = (cm_reg){.next = -1, .source = source, .kport = kport,
                                 .modes = MODE_BIT(mode)};
    *link = index; /* appended: registration order is the canonical order */
    cm_wake(w, cm_thread_global(w, rl));
    return true;
}

bool cm_rl_remove_source(cm_world *w, cm_thread *rl, int32_t source, uint16_t mode)
{
    assert(w != NULL && cm_thread_in(w, rl));
    assert(cm_source_in(w, source));
    if (mode >= CM_MODE_MAX || !cm_rl_contains_source(w, rl, source, mode)) return false;
    unlink_regs(w, rl, source, MODE_BIT(mode));
    return true;
}

bool cm_rl_contains_source(cm_world *w, const cm_thread *rl, int32_t source, uint16_t mode)
{
    assert(w != NULL && cm_thread_in(w, rl));
    assert(cm_source_in(w, source));
    if (mode >= CM_MODE_MAX) return false;
    for (int32_t i = rl->regs; i >= 0; i = CM_REG(w, i)->next) {
        const cm_reg *r = CM_REG(w, i);
        if (r->source == source && (r->modes & MODE_BIT(mode))) return true;
    }
    return false;
}

static bool is_main_thread(const cm_thread *t)
{
    return t->index == 0 && !t->executor;
}

/* CF: a mode with no sources and no timers; the main thread's common modes never are. */
bool cm_rl_mode_empty(cm_world *w, const cm_thread *rl, uint16_t mode)
{
    assert(w != NULL && cm_thread_in(w, rl));
    assert(rl->regs < 0 || (uint32_t)rl->regs < w->regs.count);
    if (mode == CM_MODE_COMMON || mode >= CM_MODE_MAX) return true;
    if (is_main_thread(rl) && (rl->common_modes & MODE_BIT(mode))) return false;
    for (int32_t i = rl->regs; i >= 0; i = CM_REG(w, i)->next) {
        if (cm_mode_matches(rl, CM_REG(w, i)->modes, mode)) return false;
    }
    for (int32_t i = rl->timers; i >= 0; i = CM_RLTIMER(w, i)->next) {
        const cm_rltimer *tm = CM_RLTIMER(w, i);
        if (tm->valid && cm_mode_matches(rl, MODE_BIT(tm->mode), mode)) return false;
    }
    return true;
}

/* ---- timers ------------------------------------------------------------ */

void cm_rl_add_timer(cm_world *w, cm_thread *t, const cm_op *op)
{
    assert(w != NULL && cm_thread_in(w, t) && t->alive);
    assert(op->kind == CM_OP_ADD_TIMER && op->mode < 2u + w->cfg.mode_count);
    assert(op->target == CM_NONE16 || op->target < w->cfg.program_count);
    int32_t index = cm_pool_alloc(w, &w->rltimers);
    if (index < 0) return;
    cm_rltimer *tm = CM_RLTIMER(w, index);
    tm->program = op->target;
    tm->mode = op->mode;
    tm->fire_ns = cm_time_add(w->now_ns, op->t1_ns < 0 ? 0 : op->t1_ns);
    tm->interval_ns = op->t2_ns > 0 ? op->t2_ns : 0;
    tm->valid = 1;
    tm->next = -1;
    int32_t *link = &t->timers;
    for (uint32_t guard = 0; *link >= 0; guard++) {
        assert(guard <= w->rltimers.count);
        link = &CM_RLTIMER(w, *link)->next;
    }
    *link = index;
    cm_wake_at(w, cm_thread_global(w, t), tm->fire_ns);
}

static int32_t due_timer(cm_world *w, const cm_thread *t, uint16_t mode)
{
    assert(t->alive);
    assert(t->timers < 0 || (uint32_t)t->timers < w->rltimers.count);
    for (int32_t i = t->timers; i >= 0; i = CM_RLTIMER(w, i)->next) {
        const cm_rltimer *tm = CM_RLTIMER(w, i);
        if (!tm->valid || tm->fire_ns > w->now_ns) continue;
        if (cm_mode_matches(t, MODE_BIT(tm->mode), mode)) return i;
    }
    return -1;
}

/* Timers fire without making RunInMode return (R36). */
static void fire_timer(cm_world *w, cm_thread *t, int32_t timer)
{
    assert(t->alive);
    assert(timer >= 0 && (uint32_t)timer < w->rltimers.count && CM_RLTIMER(w, timer)->valid);
    assert(t->depth > 0 && cm_top(t)->kind == CM_FR_RUNLOOP);
    cm_rltimer *tm = CM_RLTIMER(w, timer);
    uint16_t program = tm->program;
    cm_emit(w, CM_EV_TIMER, t, CM_NO_PORT, CM_EVENT_VALUES(timer, .timer = timer));
    if (tm->interval_ns > 0) {
        for (uint32_t guard = 0; tm->fire_ns <= w->now_ns && guard < 1000000; guard++) {
            tm->fire_ns = cm_time_add(tm->fire_ns, tm->interval_ns);
        }
        cm_wake_at(w, cm_thread_global(w, t), tm->fire_ns);
    } else {
        tm->valid = 0;
    }
    if (program == CM_NONE16) {
        cm_top(t)->flags |= CM_FRF_ITERATED;
        return;
    }
    cm_frame *f = cm_push(w, t, CM_FR_TIMER);
    if (f != NULL) f->program = program;
}

/* ---- the run-loop frame ------------------------------------------------ */

static bool reg_ready(cm_world *w, const cm_thread *t, const cm_reg *r, uint16_t mode)
{
    if (r->kport < 0 || !cm_mode_matches(t, r->modes, mode)) return false;
    const cm_kport *k = CM_KPORT(w, r->kport);
    return k->alive && k->dq_queue == CM_NONE16 && cm_kport_head_visible(w, r->kport);
}

/* R36: a wait in kCFRunLoopCommonModes "spins": it returns at once, always. */
static bool spinning(const cm_frame *f)
{
    return f->mode == CM_MODE_COMMON;
}

static bool send_remote_invalid(cm_world *w, const cm_thread *t)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(t->depth >= 2);
    const cm_frame *send = &t->frames[t->depth - 2];
    if (send->kind != CM_FR_SEND) return false;
    const cm_port *p = CM_PORT(w, send->port);
    return p->state != CM_PS_VALID || (p->wrapper >= 0 && !cm_wrapper_is_valid(w, p->wrapper));
}

bool cm_rl_frame_runnable(cm_world *w, cm_thread *t, const cm_frame *f)
{
    assert(f->kind == CM_FR_RUNLOOP && t->alive); /* cheap: asked ~once per candidate per step */
    assert(f->mode != CM_MODE_NONE);          /* a run loop runs in a mode */
    if ((f->flags & (CM_FRF_HANDLED | CM_FRF_ITERATED)) || t->stop_requested) return true;
    if (w->now_ns >= f->deadline_ns) return true;
    if (spinning(f)) return send_remote_invalid(w, t);
    for (int32_t i = t->regs; i >= 0; i = CM_REG(w, i)->next) {
        if (reg_ready(w, t, CM_REG(w, i), f->mode)) return true;
    }
    if (due_timer(w, t, f->mode) >= 0) return true;
    return cm_main_queue_ready(w, t, f->mode);
}

/* Pops the frame: a SendRequest's wait loop reads no result (R32). */
static void rl_return(cm_world *w, cm_thread *t, int32_t result)
{
    assert(t->alive);
    assert(t->depth >= 2 && cm_top(t)->kind == CM_FR_RUNLOOP);
    cm_frame *f = cm_top(t);
    t->stop_requested = result == CM_RUN_STOPPED ? 0 : t->stop_requested;
    if (t->depth >= 2 && t->frames[t->depth - 2].kind == CM_FR_SEND) {
        t->depth--;
        return;
    }
    cm_frame_return(w, t, result, 0, w->now_ns - f->start_ns);
}

/* Services one message of a watched port. */
static void handle_port(cm_world *w, cm_thread *t, cm_frame *f, const cm_reg *r)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_RUNLOOP);
    assert(r != NULL && cm_kport_in(w, r->kport) && cm_source_in(w, r->source));
    int32_t kport = r->kport;
    const cm_source *s = CM_SOURCE(w, r->source);
    int32_t port = s->port;
    uint8_t kind = s->kind;
    int32_t msg = cm_kport_dequeue(w, kport);
    if (kind == CM_SRC_REPLY) {
        f->flags |= CM_FRF_HANDLED;
        cm_reply_port_receive(w, t, port, msg);
        return;
    }
    if (!cm_perform(w, t, port, msg, CM_NONE16)) {
        if (t->alive && t->depth > 0) cm_top(t)->flags |= CM_FRF_HANDLED;
    }
}

/* Ready items in canonical order: ports by registration, then the main queue. */
static uint32_t gather_ready(cm_world *w, cm_thread *t, const cm_frame *f, int32_t *regs,
                             uint32_t cap)
{
    assert(t->alive && f->kind == CM_FR_RUNLOOP);
    assert(regs != NULL && cap > 0);
    uint32_t n = 0;
    for (int32_t i = t->regs; i >= 0 && n < cap; i = CM_REG(w, i)->next) {
        const cm_reg *r = CM_REG(w, i);
        if (!reg_ready(w, t, r, f->mode)) continue;
        bool seen = false;
        for (uint32_t j = 0; j < n; j++) seen = seen || CM_REG(w, regs[j])->kport == r->kport;
        if (!seen) regs[n++] = i;
    }
    if (n < cap && cm_main_queue_ready(w, t, f->mode)) regs[n++] = -1;
    return n;
}

/* ready[0 .. n): what gather_ready found, n > 0. */
static void service_one(cm_world *w, cm_thread *t, cm_frame *f, const int32_t *ready, uint32_t n)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_RUNLOOP && ready != NULL);
    assert(n > 0);
    uint32_t pick = 0;
    if (n > 1) {
        cm_choice_option *opt = cm_options(w, n);
        if (opt == NULL) return;
        for (uint32_t i = 0; i < n; i++) {
            int64_t value = ready[i] < 0 ? -1 : CM_REG(w, ready[i])->kport;
            opt[i] = (cm_choice_option){.actor = CM_ACTOR_SOURCE, .process = t->process,
                                        .thread = t->index, .value = value};
        }
        pick = cm_choose(w, CM_CHOICE_SOURCE, n);
    }
    if (ready[pick] < 0) {
        f->flags |= CM_FRF_HANDLED; /* servicing the main queue returns too (R36) */
        cm_main_queue_service(w, t);
        return;
    }
    cm_reg r = *CM_REG(w, ready[pick]);
    handle_port(w, t, f, &r);
}

/*
 * CFRunLoopRunInMode's loop. A pass ends after a source was handled or a
 * timer fired; then, in CF's order: handled with returnAfterSourceHandled,
 * timed out, stopped, mode empty ([A] __CFRunLoopRun's tail).
 */
void cm_rl_step(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_RUNLOOP);
    if (f->flags & (CM_FRF_HANDLED | CM_FRF_ITERATED)) {
        bool handled = f->flags & CM_FRF_HANDLED;
        f->flags &= (uint8_t)~(CM_FRF_HANDLED | CM_FRF_ITERATED);
        if (handled && (f->flags & CM_FRF_RETURN_AFTER)) {
            rl_return(w, t, CM_RUN_HANDLED_SOURCE);
            return;
        }
        if (w->now_ns >= f->deadline_ns) {
            rl_return(w, t, CM_RUN_TIMED_OUT);
            return;
        }
        if (cm_rl_mode_empty(w, t, f->mode)) {
            rl_return(w, t, CM_RUN_FINISHED);
            return;
        }
    }
    if (t->stop_requested) {
        rl_return(w, t, CM_RUN_STOPPED);
        return;
    }
    if (spinning(f)) {
        rl_return(w, t, CM_RUN_FINISHED);
        return;
    }
    int32_t timer = due_timer(w, t, f->mode);
    if (timer >= 0) {
        fire_timer(w, t, timer);
        return;
    }
    int32_t ready[16];
    uint32_t n = gather_ready(w, t, f, ready, 16);
    if (n > 0) {
        service_one(w, t, f, ready, n);
        return;
    }
    if (w->now_ns >= f->deadline_ns) rl_return(w, t, CM_RUN_TIMED_OUT);
    /* else: a source was handled and nothing else is ready; sleep again */
}

/* A message is visible on kport: wake the threads whose run loops watch it. */
void cm_rl_wake_watchers(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    assert(CM_KPORT(w, kport)->alive); /* a message just became visible on it */
    const cm_kport *k = CM_KPORT(w, kport);
    if (k->owner == CM_NONE16 || k->launchd_held) return;
    const cm_process *proc = &w->processes[k->owner];
    if (proc->state != CM_PROC_RUNNING) return;
    for (uint16_t i = 0; i < proc->thread_count; i++) {
        cm_thread *t = cm_thread_at(w, proc->thread_base + i);
        for (int32_t r = t->regs; r >= 0; r = CM_REG(w, r)->next) {
            if (CM_REG(w, r)->kport != kport) continue;
            cm_wake(w, proc->thread_base + i);
            break;
        }
    }
}
