/*
 * cm_thread.c — the interpreter of simulated threads, and process start,
 * exit and crash.
 *
 * Each thread has a bounded stack of frames. Program-like frames (the
 * thread's own program, a callout, a run-loop timer, a dispatch block)
 * execute one operation per step. Operation frames (a SendRequest, a run
 * loop, a sleep) sit on top of the program frame that called them and
 * report the operation's result when they pop. A thread is runnable when
 * its top frame can make progress now; otherwise it waits for a wake-up.
 */
#include "cm_internal.h"

#include <string.h>

cm_frame *cm_push(cm_world *w, cm_thread *t, uint8_t kind)
{
    assert(t->alive);
    assert(kind >= CM_FR_PROGRAM && kind <= CM_FR_WAIT);
    if (t->depth >= CM_STACK_MAX) {
        cm_process_kill(w, t->process, CM_CRASH_STACK, true);
        return NULL;
    }
    cm_frame *f = &t->frames[t->depth++];
    /* every field, one by one: a memset of the frame compiles to a slow rep stos */
    f->kind = kind;
    f->phase = 0;
    f->flags = 0;
    f->mode = CM_MODE_NONE;
    f->program = 0;
    f->pc = 0;
    f->start_ns = w->now_ns;
    f->deadline_ns = CM_DURATION_FOREVER;
    f->port = CM_NO_PORT;
    f->msg = -1;
    f->convid = 0;
    f->kport = -1;
    f->queue = CM_NONE16;
    f->reply = CM_DATA_NULL;
    f->value = 0;
    f->result = 0;
    return f;
}

cm_frame *cm_push_until(cm_world *w, cm_thread *t, uint8_t kind, const cm_frame *caller,
                        cm_time_ns deadline_ns)
{
    assert(t->alive);
    assert(deadline_ns >= 0);
    assert(caller != NULL && kind != CM_FR_PROGRAM);
    uint16_t program = caller->program; /* read before the push: caller is a frame of t */
    uint32_t pc = caller->pc;
    cm_frame *f = cm_push(w, t, kind);
    if (f == NULL) return NULL;
    f->program = program;
    f->pc = pc;
    f->deadline_ns = deadline_ns;
    cm_wake_at(w, cm_thread_global(w, t), deadline_ns);
    return f;
}

static bool is_program_frame(uint8_t kind)
{
    return kind == CM_FR_PROGRAM || kind == CM_FR_CALLOUT || kind == CM_FR_TIMER ||
           kind == CM_FR_BLOCK;
}

const cm_op *cm_frame_op(const cm_world *w, const cm_frame *f)
{
    assert(w != NULL && f != NULL);
    assert(f->program < w->cfg.program_count);
    const cm_program *prog = &w->cfg.programs[f->program];
    assert(f->pc < prog->count);
    return &prog->ops[f->pc];
}

/* An operation frame finished: report, pop, advance the caller. */
void cm_frame_return(cm_world *w, cm_thread *t, int32_t result, int32_t aux, int64_t elapsed_ns)
{
    assert(t->alive);
    assert(t->depth >= 2); /* an operation frame above a program-like one */
    cm_frame *f = cm_top(t);
    assert(!is_program_frame(f->kind));
    cm_emit_op(w, CM_EV_RETURN, t, f->program, f->pc, f->port,
               CM_EVENT_VALUES(ret, .result = result, .aux = aux, .elapsed_ns = elapsed_ns));
    t->depth--;
    assert(t->depth > 0);
    cm_frame *caller = cm_top(t);
    assert(is_program_frame(caller->kind) || caller->kind == CM_FR_SEND);
    if (is_program_frame(caller->kind)) caller->pc++;
}

/* ---- callouts (R40, R42, R43) ------------------------------------------ */

/* R44: no callout, no reply; the reply right leaks until the process dies. */
static void leak_request(cm_world *w, cm_thread *t, int32_t port, int32_t msg)
{
    assert(t->alive);
    assert(cm_port_in(w, port) && cm_msg_in(w, msg));
    cm_process *proc = cm_process_at(w, t->process);
    cm_msg *m = CM_MSG(w, msg);
    cm_emit_msg(w, CM_EV_REQUEST_DROPPED, t, 0, port,
                CM_EVENT_VALUES(drop, .reason = CM_DROP_INVALID_ON_ARRIVAL, .convid = m->convid),
                m->serial);
    m->next = proc->leaked;
    proc->leaked = msg;
}

bool cm_perform(cm_world *w, cm_thread *t, int32_t port, int32_t msg, uint16_t queue)
{
    assert(t->alive);
    assert(cm_port_in(w, port) && cm_msg_in(w, msg));
    assert(CM_MSG(w, msg)->kind == CM_MSG_REQUEST && !CM_PORT(w, port)->remote);
    cm_port *p = CM_PORT(w, port);
    const cm_msg *m = CM_MSG(w, msg);
    if (p->state != CM_PS_VALID) {
        leak_request(w, t, port, msg);
        return false;
    }
    if (p->handler == CM_NONE16) { /* R40: a NULL callout crashes */
        cm_msg_destroy(w, msg);
        cm_precondition(w, t);
        return false;
    }
    int64_t info = p->info;
    bool retain = p->ctx_flags & CM_OPF_CTX_RETAIN;
    uint16_t handler = p->handler;
    if (retain) { /* R40, R60: retained for the callout */
        p->retain_calls++;
        cm_emit(w, CM_EV_CONTEXT_RETAIN, t, port, CM_EVENT_VALUES(context, .info = info));
    }
    if (m->malformed) { /* R45: dropped after the retain, never released */
        cm_emit_msg(w, CM_EV_REQUEST_DROPPED, t, 0, port,
                    CM_EVENT_VALUES(drop, .reason = CM_DROP_MALFORMED, .convid = m->convid),
                    m->serial);
        cm_msg_destroy(w, msg);
        return false;
    }
    if (m->data.size_bytes < 0) { /* R39: "length -1" arrives as an empty CFData */
        CM_MSG(w, msg)->data = (cm_data){.size_bytes = 0, .blob = CM_NONE32};
    }
    cm_emit_msg(w, CM_EV_CALLOUT, t, 0, port,
                CM_EVENT_VALUES(request, .msgid = m->msgid, .convid = m->convid,
                                .size_bytes = m->data.size_bytes),
                m->serial);
    cm_frame *f = cm_push(w, t, CM_FR_CALLOUT);
    if (f == NULL) { /* past the nesting bound: the process is gone, and with it this request */
        cm_msg_destroy(w, msg);
        return false;
    }
    f->program = handler;
    f->pc = 0;
    f->port = port;
    f->msg = msg;
    f->queue = queue;
    f->value = info;
    return true;
}

/* The reply goes out right after the callout (R42), always when asked (R43). */
static void callout_finish(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_CALLOUT);
    assert(cm_port_in(w, f->port) && cm_msg_in(w, f->msg));
    cm_port *p = CM_PORT(w, f->port);
    cm_msg *m = CM_MSG(w, f->msg);
    cm_data reply = f->reply;
    int32_t reply_kport = m->reply_kport;
    int32_t convid = m->convid;
    int32_t msgid = m->msgid;
    bool retain = p->ctx_flags & CM_OPF_CTX_RETAIN;
    bool release = retain && (p->ctx_flags & CM_OPF_CTX_RELEASE);
    cm_emit(w, CM_EV_CALLOUT_DONE, t, f->port,
            CM_EVENT_VALUES(callout_done, .reply = cm_data_encode(reply),
                            .reply_size_bytes = reply.size_bytes));
    m->reply_kport = -1;
    cm_msg_free(w, f->msg);
    f->msg = -1;
    if (reply.size_bytes > CM_MAX_DATA_BYTES) { /* R43: an empty reply instead */
        cm_emit(w, CM_EV_WARNING, t, f->port,
                CM_EVENT_VALUES(warning, .warning = CM_WARN_REPLY_TOO_BIG, .size_bytes = reply.size_bytes));
        reply = (cm_data){.size_bytes = 0, .blob = CM_NONE32};
    }
    if (reply_kport >= 0) {
        bool delivered = CM_KPORT(w, reply_kport)->alive;
        int32_t rmsg = cm_msg_new(w, CM_MSG_REPLY);
        int32_t serial = rmsg >= 0 ? CM_MSG(w, rmsg)->serial : -1;
        cm_emit_msg(w, CM_EV_REPLY_SENT, t, 0, f->port,
                    CM_EVENT_VALUES(reply, .convid = -convid, .delivered = delivered,
                                    .size_bytes = reply.size_bytes),
                    serial);
        if (rmsg >= 0 && !delivered) cm_msg_free(w, rmsg);
        if (rmsg >= 0 && delivered) {
            cm_msg *r = CM_MSG(w, rmsg);
            r->convid = -convid;
            r->msgid = msgid;
            r->data = reply;
            r->src_process = t->process;
            r->visible_ns = w->now_ns + cm_message_latency(w, t->process, reply_kport);
            cm_kport_enqueue(w, reply_kport, rmsg);
        }
    }
    if (release) {
        CM_PORT(w, f->port)->release_calls++;
        cm_emit(w, CM_EV_CONTEXT_RELEASE, t, f->port, CM_EVENT_VALUES(context, .info = f->value));
    }
}

/* A program-like frame ran past its last operation. */
static void program_end(cm_world *w, cm_thread *t)
{
    assert(t->alive);
    assert(t->depth > 0 && is_program_frame(cm_top(t)->kind));
    cm_frame *f = cm_top(t);
    uint8_t kind = f->kind;
    uint16_t queue = f->queue;
    if (kind == CM_FR_CALLOUT) callout_finish(w, t, f);
    t->depth--;
    if (kind == CM_FR_PROGRAM) {
        assert(t->depth == 0);
        cm_emit(w, CM_EV_THREAD_END, t, CM_NO_PORT, CM_EVENT_NO_VALUES);
        if (t->index == 0 && !t->executor) cm_process_kill(w, t->process, 0, false);
        return;
    }
    if ((kind == CM_FR_CALLOUT || kind == CM_FR_BLOCK) && queue != CM_NONE16) {
        cm_queue *q = cm_queue_at(w, t->process, queue);
        assert(q->running > 0);
        q->running--;
        cm_wake(w, cm_thread_global(w, t));
        return;
    }
    if (t->depth > 0 && cm_top(t)->kind == CM_FR_RUNLOOP) {
        /* a source handled ends the pass for returnAfterSourceHandled; a
         * timer does not (R36), but both end a pass of the loop */
        cm_top(t)->flags |= kind == CM_FR_TIMER ? CM_FRF_ITERATED : CM_FRF_HANDLED;
    }
}

/* ---- stepping (cm_thread_runnable is inline in cm_internal.h) --------- */

/* Two data values are the same bytes (content the model does not keep is zeros). */
static bool data_same(const cm_world *w, cm_data a, cm_data b)
{
    assert(w != NULL);
    assert(a.blob == CM_NONE32 || a.blob < w->cfg.blob_count);
    assert(b.blob == CM_NONE32 || b.blob < w->cfg.blob_count);
    if (a.size_bytes != b.size_bytes) return false;
    if (a.size_bytes <= 0 || a.blob == b.blob) return true;
    const cm_blob *x = a.blob != CM_NONE32 ? &w->cfg.blobs[a.blob] : NULL;
    const cm_blob *y = b.blob != CM_NONE32 ? &w->cfg.blobs[b.blob] : NULL;
    assert(x != NULL || y != NULL);
    if (x != NULL && y != NULL) return memcmp(x->bytes, y->bytes, (size_t)a.size_bytes) == 0;
    const cm_blob *known = x != NULL ? x : y;
    for (int64_t i = 0; i < a.size_bytes; i++) {
        if (known->bytes[i] != 0) return false;
    }
    return true;
}

/* when: does the callout's request match? (Only handlers have conditions: the loader's rule.) */
static bool when_holds(const cm_world *w, const cm_frame *f, const cm_when *when)
{
    assert(w != NULL && f != NULL && when != NULL);
    assert(when->flags != 0);
    if (f->kind != CM_FR_CALLOUT || f->msg < 0) return false;
    const cm_msg *m = CM_MSG(w, f->msg);
    if ((when->flags & CM_WHEN_MSGID) && m->msgid != when->msgid) return false;
    if ((when->flags & CM_WHEN_SIZE) && m->data.size_bytes != when->size_bytes) return false;
    if ((when->flags & CM_WHEN_DATA) && !data_same(w, m->data, when->data)) return false;
    return true;
}

static void program_step(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && is_program_frame(f->kind));
    assert(f->program < w->cfg.program_count);
    const cm_program *prog = &w->cfg.programs[f->program];
    if (f->pc >= prog->count) {
        program_end(w, t);
        return;
    }
    const cm_op *op = &prog->ops[f->pc];
    if (op->when.flags != 0 && !when_holds(w, f, &op->when)) { /* not for this request: skipped */
        f->pc++;
        return;
    }
    uint16_t program = f->program;
    uint32_t pc = f->pc;
    cm_ret ret = {0, 0, 0};
    cm_emit_op(w, CM_EV_CALL, t, program, pc, CM_NO_PORT, CM_EVENT_VALUES(call, .op = op->kind));
    cm_opr r = cm_exec_op(w, t, f, op, &ret);
    if (r != CM_OPR_DONE) return;
    cm_emit_op(w, CM_EV_RETURN, t, program, pc, ret.port,
               CM_EVENT_VALUES(ret, .result = ret.result, .aux = ret.aux));
    f->pc++;
}

void cm_thread_step(cm_world *w, cm_thread *t)
{
    assert(t->depth <= CM_STACK_MAX);
    assert(t->alive);
    if (t->depth == 0) {
        cm_executor_step(w, t);
        return;
    }
    cm_frame *f = cm_top(t);
    switch (f->kind) {
    case CM_FR_PROGRAM:
    case CM_FR_CALLOUT:
    case CM_FR_TIMER:
    case CM_FR_BLOCK:
        program_step(w, t, f);
        break;
    case CM_FR_SLEEP:
        if (f->flags & CM_FRF_HOLD) { /* a delayed start is over: the program begins */
            assert(t->depth == 2);
            t->depth--;
            break;
        }
        cm_frame_return(w, t, 0, 0, w->now_ns - f->start_ns);
        break;
    case CM_FR_WAIT: /* true: the signal was raised often enough; false: timed out */
        cm_frame_return(w, t, w->signals[f->convid] >= (uint64_t)f->value, 0,
                        w->now_ns - f->start_ns);
        break;
    case CM_FR_SEND:
        cm_send_step(w, t, f);
        break;
    case CM_FR_RUNLOOP:
        cm_rl_step(w, t, f);
        break;
    default:
        assert(0 && "unknown frame");
    }
}

/*
 * Invalidation callbacks run synchronously inside the call that
 * invalidated (R52), so their programs run inline; the configuration
 * guarantees they never block.
 */
void cm_run_callback(cm_world *w, cm_thread *t, uint16_t program, int32_t self_port)
{
    assert(w != NULL && (t == NULL || cm_thread_in(w, t)));
    assert(program == CM_NONE16 || program < w->cfg.program_count);
    if (program == CM_NONE16 || t == NULL || !t->alive) return;
    if (t->inline_depth >= CM_INLINE_DEPTH_MAX) {
        cm_process_kill(w, t->process, CM_CRASH_STACK, true);
        return;
    }
    t->inline_depth++;
    cm_frame f = {.kind = CM_FR_PROGRAM, .program = program, .port = self_port,
                  .msg = -1, .kport = -1, .queue = CM_NONE16, .reply = CM_DATA_NULL};
    const cm_program *prog = &w->cfg.programs[program];
    for (f.pc = 0; f.pc < prog->count && t->alive; f.pc++) {
        const cm_op *op = &prog->ops[f.pc];
        cm_ret ret = {0, 0, 0};
        cm_emit_op(w, CM_EV_CALL, t, program, f.pc, CM_NO_PORT, CM_EVENT_VALUES(call, .op = op->kind));
        cm_opr r = cm_exec_op(w, t, &f, op, &ret);
        assert(r != CM_OPR_PUSHED);
        if (r != CM_OPR_DONE) break;
        cm_emit_op(w, CM_EV_RETURN, t, program, f.pc, ret.port,
                   CM_EVENT_VALUES(ret, .result = ret.result, .aux = ret.aux));
    }
    t->inline_depth--;
}

/* ---- processes --------------------------------------------------------- */

static void reset_process_state(cm_world *w, uint16_t process)
{
    assert(w != NULL && cm_process_in(w, process));
    assert(w->name_count == 0 || (w->local_table != NULL && w->remote_table != NULL));
    cm_process *proc = cm_process_at(w, process);
    const cm_process_config *pc = &w->cfg.processes[process];
    for (uint16_t s = 0; s < pc->slot_count; s++) {
        w->slots[proc->slot_base + s] = CM_NO_PORT;
        w->slot_sources[proc->slot_base + s] = -1;
    }
    if (w->name_count > 0) { /* the process's rows of both tables */
        int32_t *local = cm_local_table(w, process, 0);
        int32_t *remote = cm_remote_table(w, process, 0);
        for (uint32_t n = 0; n < w->name_count; n++) {
            local[n] = CM_NO_PORT;
            remote[n] = CM_NO_PORT;
        }
    }
    proc->wrappers = -1;
    proc->leaked = -1;
    for (uint16_t q = 0; q < proc->queue_count; q++) {
        cm_queue *queue = &w->queues[proc->queue_base + q];
        queue->head = -1;
        queue->tail = -1;
        queue->count = 0;
        queue->running = 0;
    }
}

void cm_process_start(cm_world *w, uint16_t process)
{
    assert(w != NULL && cm_process_in(w, process));
    cm_process *proc = cm_process_at(w, process);
    const cm_process_config *pc = &w->cfg.processes[process];
    assert(proc->state != CM_PROC_RUNNING);
    proc->state = CM_PROC_RUNNING;
    proc->incarnation++;
    proc->pid = w->pid_next++;
    reset_process_state(w, process);
    cm_emit_process(w, CM_EV_START, process, CM_NO_PORT,
                    CM_EVENT_VALUES(start, .incarnation = proc->incarnation, .pid = (int32_t)proc->pid));
    for (uint16_t i = 0; i < proc->thread_count; i++) {
        uint32_t g = proc->thread_base + i;
        cm_thread *t = cm_thread_at(w, g);
        uint16_t index = t->index, queue = t->queue;
        uint8_t executor = t->executor;
        uint8_t candidate = t->candidate; /* still listed by the scheduler: listing it again duplicates it */
        cm_thread_clear(t);
        t->process = process;
        t->index = index;
        t->queue = queue;
        t->executor = executor;
        t->candidate = candidate;
        t->alive = 1;
        t->regs = -1;
        t->timers = -1;
        t->wake_ns = CM_DURATION_FOREVER;
        t->common_modes = UINT32_C(1) << CM_MODE_DEFAULT;
        if (!executor) {
            cm_frame *f = cm_push(w, t, CM_FR_PROGRAM);
            f->program = pc->threads[i].program;
            cm_duration_ns delay_ns = pc->threads[i].start_delay_ns;
            cm_frame *hold = delay_ns > 0 ? cm_push_until(w, t, CM_FR_SLEEP, f, cm_time_add(w->now_ns, delay_ns))
                                          : NULL;
            if (hold != NULL) hold->flags = CM_FRF_HOLD;
        }
        cm_wake(w, g);
    }
}

/* Whatever the dead process held in memory dies with it. */
static void drop_thread_messages(cm_world *w, cm_thread *t)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(t->depth <= CM_STACK_MAX);
    for (uint32_t d = 0; d < t->depth; d++) {
        cm_frame *f = &t->frames[d];
        if (f->kind == CM_FR_CALLOUT && f->msg >= 0) cm_msg_destroy(w, f->msg);
        if (f->kind == CM_FR_SEND && f->phase == CM_SEND_BLOCKED && f->kport >= 0) {
            cm_waiter_remove(w, f->kport, cm_thread_global(w, t));
        }
        /* a request blocked on a full queue was never queued: it is the sender's memory,
         * and its reply right is the dying sender's own; it goes silently */
        if (f->kind == CM_FR_SEND && f->msg >= 0) cm_msg_free(w, f->msg);
        f->msg = -1;
    }
    t->alive = 0;
    t->depth = 0;
}

static void drop_queues(cm_world *w, cm_process *proc)
{
    assert(w != NULL && proc != NULL);
    assert(proc->state == CM_PROC_DEAD && proc >= w->processes && proc < w->processes + w->cfg.process_count);
    for (uint16_t q = 0; q < proc->queue_count; q++) {
        cm_queue *queue = &w->queues[proc->queue_base + q];
        for (int32_t b = queue->head; b >= 0;) {
            cm_block *blk = CM_BLOCK(w, b);
            int32_t next = blk->next;
            if (blk->msg >= 0) cm_msg_destroy(w, blk->msg);
            cm_pool_free(&w->blocks, b);
            b = next;
        }
        queue->head = queue->tail = -1;
        queue->count = 0;
        queue->running = 0;
    }
    for (int32_t m = proc->leaked; m >= 0;) { /* R44: leaked reply rights die now */
        int32_t next = CM_MSG(w, m)->next;
        cm_msg_destroy(w, m);
        m = next;
    }
    proc->leaked = -1;
}

/* The kernel tears down every receive right the process held. */
static void drop_receive_rights(cm_world *w, uint16_t process, uint8_t incarnation)
{
    assert(w != NULL && cm_process_in(w, process));
    assert(w->processes[process].state == CM_PROC_DEAD);
    for (uint32_t i = 0; i < w->kports.count; i++) {
        cm_kport *k = CM_KPORT(w, (int32_t)i);
        if (!k->alive || k->launchd_held) continue;
        if (k->owner != process || k->owner_incarnation != incarnation) continue;
        if (k->checkin) { /* R15: back to launchd, queue kept */
            k->launchd_held = 1;
            k->owner = CM_NONE16;
            k->port = CM_NO_PORT;
            k->dq_queue = CM_NONE16;
            continue;
        }
        cm_kport_destroy(w, (int32_t)i);
    }
}

/*
 * A signal is raised once: every thread waiting on it re-checks its count. Raised by signal
 * steps and, for wait_for: {ended: P}, by the end of P (after everything it held is gone).
 */
void cm_signal_raise(cm_world *w, uint16_t signal)
{
    assert(w != NULL);
    assert(signal < w->cfg.signal_count && signal < CM_SIGNAL_MAX);
    if (w->signals[signal] < UINT32_MAX) w->signals[signal]++;
    for (uint16_t f = 0; w->signals[signal] == 1 && f < w->cfg.fault_count; f++) { /* faults on it */
        const cm_fault *x = &w->cfg.faults[f];
        if (x->on_signal && x->signal == signal) {
            cm_timer_add(w, cm_time_add(w->now_ns, x->after_ns), CM_TM_FAULT, f, 0);
        }
    }
    for (uint32_t g = 0; g < w->thread_total; g++) {
        cm_thread *other = &w->threads[g];
        if (!other->alive || other->depth == 0) continue;
        const cm_frame *top = cm_top(other);
        if (top->kind == CM_FR_WAIT && top->convid == signal) cm_wake(w, g);
    }
    assert(w->signals[signal] > 0);
}

void cm_process_kill(cm_world *w, uint16_t process, uint8_t reason, bool crash)
{
    assert(w != NULL && cm_process_in(w, process));
    assert(reason == 0 || crash); /* an exit has no crash reason */
    cm_process *proc = cm_process_at(w, process);
    if (proc->state != CM_PROC_RUNNING) return;
    proc->state = CM_PROC_DEAD;
    cm_emit_process(w, crash ? CM_EV_CRASH : CM_EV_EXIT, process, CM_NO_PORT,
                    CM_EVENT_VALUES(process_end, .reason = reason));
    for (uint16_t i = 0; i < proc->thread_count; i++) {
        drop_thread_messages(w, cm_thread_at(w, proc->thread_base + i));
    }
    drop_queues(w, proc);
    drop_receive_rights(w, process, proc->incarnation);
    proc->wrappers = -1;
    /* Its end is complete (every right it held is gone): wait_for: {ended: P} may return. */
    const cm_process_config *pc = &w->cfg.processes[process];
    if (pc->has_end_signal) cm_signal_raise(w, pc->end_signal);
}
