/*
 * cm_send.c — CFMessagePortSendRequest (R27–R38) and the reply port's
 * callback (R33–R35).
 *
 * A send runs as a SEND frame: it may block for queue space (R28, R29),
 * then, when two-way, waits for its reply by running the caller's run
 * loop in replyMode (R32, R36), one RunInMode at a time, checking the
 * reply, the deadline and the remote's validity between runs.
 */
#include "cm_internal.h"

/* ---- pending replies (the remote's _replies) ---------------------------- */

static cm_reply_entry *find_entry(cm_world *w, int32_t remote, int32_t convid, int32_t **link)
{
    assert(w != NULL && cm_port_in(w, remote));
    int32_t *l = &CM_PORT(w, remote)->replies;
    for (uint32_t guard = 0; *l >= 0; guard++) {
        assert(guard <= w->replies.count);
        cm_reply_entry *e = CM_REPLY(w, *l);
        if (e->convid == convid) {
            if (link != NULL) *link = l;
            return e;
        }
        l = &e->next;
    }
    return NULL;
}

static void add_entry(cm_world *w, int32_t remote, int32_t convid)
{
    assert(w != NULL && cm_port_in(w, remote));
    assert(CM_PORT(w, remote)->remote); /* only a remote has _replies */
    int32_t index = cm_pool_alloc(w, &w->replies);
    if (index < 0) return;
    cm_reply_entry *e = CM_REPLY(w, index);
    e->convid = convid;
    e->arrived = 0;
    e->data = CM_DATA_NULL;
    e->next = CM_PORT(w, remote)->replies;
    CM_PORT(w, remote)->replies = index;
}

static void remove_entry(cm_world *w, int32_t remote, int32_t convid)
{
    assert(w != NULL && cm_port_in(w, remote));
    assert(CM_PORT(w, remote)->remote);
    int32_t *link = NULL;
    if (find_entry(w, remote, convid, &link) == NULL) return;
    int32_t index = *link;
    *link = CM_REPLY(w, index)->next;
    cm_pool_free(&w->replies, index);
}

/* R35: the reply callback files a reply under its convid, or drops it (R34). */
void cm_reply_port_receive(cm_world *w, cm_thread *t, int32_t remote, int32_t msg)
{
    assert(t->alive);
    assert(cm_port_in(w, remote) && cm_msg_in(w, msg));
    assert(CM_MSG(w, msg)->kind == CM_MSG_REPLY || CM_MSG(w, msg)->kind == CM_MSG_NOTIFY);
    cm_msg *m = CM_MSG(w, msg);
    uint8_t kind = m->kind;
    int32_t convid = -m->convid;
    int32_t serial = m->serial;
    cm_data data = m->data;
    cm_msg_free(w, msg);
    if (CM_PORT(w, remote)->state != CM_PS_VALID) return;
    if (kind == CM_MSG_NOTIFY) { /* "dropping corrupt reply Mach message" */
        cm_emit_msg(w, CM_EV_CORRUPT_REPLY_DROPPED, t, 0, remote, CM_EVENT_NO_VALUES, serial);
        return;
    }
    cm_reply_entry *e = find_entry(w, remote, convid, NULL);
    if (e == NULL || e->arrived) {
        cm_emit_msg(w, CM_EV_REPLY_DROPPED, t, 0, remote,
                    CM_EVENT_VALUES(reply, .convid = convid, .size_bytes = data.size_bytes), serial);
        return;
    }
    e->arrived = 1;
    e->data = data.size_bytes < 0 ? (cm_data){.size_bytes = 0, .blob = CM_NONE32} : data;
    cm_emit_msg(w, CM_EV_REPLY_FILED, t, 0, remote,
                CM_EVENT_VALUES(reply, .convid = convid, .size_bytes = e->data.size_bytes), serial);
}

/* ---- the send ---------------------------------------------------------- */

/* R25, R27 step 3: the reply port, made on the first send; it retains the remote. */
static bool ensure_reply_port(cm_world *w, int32_t remote)
{
    assert(w != NULL && cm_port_in(w, remote));
    assert(CM_PORT(w, remote)->remote && CM_PORT(w, remote)->state == CM_PS_VALID);
    cm_port *p = CM_PORT(w, remote);
    if (p->reply_kport >= 0) return true;
    int32_t kport = cm_kport_create(w, p->process, true);
    int32_t source = cm_pool_alloc(w, &w->sources);
    if (kport < 0 || source < 0) return false;
    CM_KPORT(w, kport)->port = remote;
    *CM_SOURCE(w, source) = (cm_source){.kind = CM_SRC_REPLY, .valid = 1, .port = remote};
    p = CM_PORT(w, remote);
    p->reply_kport = kport;
    p->reply_source = source;
    cm_port_retain(w, remote);
    return true;
}

/* R28: the send timeout in whole milliseconds; NaN or >= 10 days: forever. */
static cm_time_ns send_deadline(const cm_world *w, cm_duration_ns timeout_ns)
{
    assert(w != NULL && w->now_ns >= 0);
    if (timeout_ns == CM_DURATION_NAN || timeout_ns >= CM_SEND_TIMEOUT_FOREVER_NS) {
        return CM_DURATION_FOREVER;
    }
    cm_duration_ns ms = timeout_ns < CM_NS_PER_MS ? 0 : timeout_ns / CM_NS_PER_MS;
    assert(ms >= 0 && ms < CM_SEND_TIMEOUT_FOREVER_NS / CM_NS_PER_MS); /* no overflow below */
    return w->now_ns + ms * CM_NS_PER_MS;
}

static void enqueue_request(cm_world *w, cm_thread *t, int32_t remote, int32_t kport,
                            int32_t msg)
{
    assert(t->alive);
    assert(cm_port_in(w, remote) && cm_kport_in(w, kport) && cm_msg_in(w, msg));
    assert(CM_MSG(w, msg)->kind == CM_MSG_REQUEST);
    cm_msg *m = CM_MSG(w, msg);
    m->visible_ns = cm_time_add(w->now_ns, cm_message_latency(w, t->process, kport));
    cm_emit_msg(w, CM_EV_ENQUEUE, t, 0, remote,
                CM_EVENT_VALUES(request, .msgid = m->msgid, .convid = m->convid,
                                .size_bytes = m->data.size_bytes),
                m->serial);
    cm_kport_enqueue(w, kport, msg);
}

/* The wait loop's next RunInMode (R32). */
static bool push_wait(cm_world *w, cm_thread *t, const cm_frame *send)
{
    assert(t->alive);
    assert(send == cm_top(t) && send->kind == CM_FR_SEND && send->phase == CM_SEND_WAITING);
    uint16_t mode = send->mode; /* read before the push: send is a frame of t */
    cm_frame *rl = cm_push_until(w, t, CM_FR_RUNLOOP, send, send->deadline_ns);
    if (rl == NULL) return false;
    rl->mode = mode;
    rl->flags = CM_FRF_RETURN_AFTER;
    cm_wake(w, cm_thread_global(w, t));
    return true;
}

/* R32: the receive deadline starts after the send went through. */
static void start_waiting(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_SEND && f->msg < 0);
    cm_duration_ns rcv = cm_frame_op(w, f)->t2_ns;
    f->phase = CM_SEND_WAITING;
    f->deadline_ns = cm_time_add(w->now_ns, rcv < 0 || rcv == CM_DURATION_NAN ? 0 : rcv);
    push_wait(w, t, f);
}

/* A failed mach_msg (R30): the counter stays, the reply source goes. */
static int32_t send_failed(cm_world *w, cm_thread *t, int32_t remote, int32_t msg,
                           uint16_t mode, bool did_register, int32_t status)
{
    assert(t->alive);
    assert(cm_port_in(w, remote) && cm_msg_in(w, msg));
    assert(status == CM_SEND_TIMEOUT || status == CM_TRANSPORT_ERROR);
    cm_msg *m = CM_MSG(w, msg);
    int32_t reply_kport = m->reply_kport;
    cm_msg_free(w, msg);
    /* A timed-out send hands back the reply right; CF deallocates it. */
    if (status == CM_SEND_TIMEOUT) cm_send_once_notify(w, reply_kport, -1);
    if (did_register) cm_rl_remove_source(w, t, CM_PORT(w, remote)->reply_source, mode);
    return status;
}

static int32_t new_request(cm_world *w, cm_thread *t, const cm_op *op, int32_t remote,
                           bool two_way)
{
    assert(t->alive);
    assert(op->kind == CM_OP_SEND && cm_port_in(w, remote));
    cm_port *p = CM_PORT(w, remote);
    p->conv_counter = (int32_t)((uint32_t)p->conv_counter + 1u); /* R27 step 4 */
    int32_t msg = cm_msg_new(w, CM_MSG_REQUEST);
    if (msg < 0) return -1;
    cm_msg *m = CM_MSG(w, msg);
    m->msgid = op->msgid;
    m->convid = CM_PORT(w, remote)->conv_counter;
    m->data = op->data;
    m->malformed = (op->flags & CM_OPF_MALFORMED) != 0;
    m->src_process = t->process;
    m->reply_kport = two_way ? CM_PORT(w, remote)->reply_kport : -1;
    return msg;
}

cm_opr cm_send_start(cm_world *w, cm_thread *t, const cm_frame *caller, const cm_op *op,
                     int32_t remote, int32_t *status)
{
    assert(t->alive);
    assert(op->kind == CM_OP_SEND && cm_port_in(w, remote));
    assert(caller != NULL && status != NULL);
    cm_port *p = CM_PORT(w, remote);
    bool two_way = op->mode != CM_MODE_NONE;
    if (op->data.size_bytes > CM_MAX_DATA_BYTES) { /* R27 step 1: before validity */
        cm_emit(w, CM_EV_WARNING, t, remote,
                CM_EVENT_VALUES(warning, .warning = CM_WARN_DATA_TOO_BIG, .size_bytes = op->data.size_bytes));
        *status = CM_TRANSPORT_ERROR;
        return CM_OPR_DONE;
    }
    if (p->state != CM_PS_VALID) { /* step 2: the flag only */
        *status = CM_IS_INVALID;
        return CM_OPR_DONE;
    }
    if (!p->remote && (two_way || p->wrapper < 0)) return cm_precondition(w, t); /* R38 */
    if (p->remote && !ensure_reply_port(w, remote)) return cm_precondition(w, t);
    int32_t kport = CM_WRAPPER(w, CM_PORT(w, remote)->wrapper)->kport;
    int32_t msg = new_request(w, t, op, remote, two_way && CM_PORT(w, remote)->remote);
    if (msg < 0) return cm_precondition(w, t);
    int32_t convid = CM_MSG(w, msg)->convid;
    bool did_register = false;
    if (two_way) { /* step 6 */
        int32_t source = CM_PORT(w, remote)->reply_source;
        add_entry(w, remote, convid);
        did_register = !cm_rl_contains_source(w, t, source, op->mode);
        if (did_register) cm_rl_add_source(w, t, source, op->mode);
    }
    cm_time_ns send_deadline_ns = send_deadline(w, op->t1_ns);
    bool alive = CM_KPORT(w, kport)->alive;
    bool space = alive && cm_kport_has_space(w, kport);
    if (!alive || (!space && send_deadline_ns <= w->now_ns)) {
        *status = send_failed(w, t, remote, msg, op->mode, did_register,
                              alive ? CM_SEND_TIMEOUT : CM_TRANSPORT_ERROR);
        return CM_OPR_DONE;
    }
    if (space && !two_way) {
        enqueue_request(w, t, remote, kport, msg);
        *status = CM_SUCCESS; /* R31: enqueued, returnData untouched */
        return CM_OPR_DONE;
    }
    uint16_t program = caller->program;
    uint32_t pc = caller->pc;
    cm_frame *f = cm_push(w, t, CM_FR_SEND);
    if (f == NULL) { /* past the nesting bound: the process is gone; the request never left */
        cm_msg_free(w, msg);
        return CM_OPR_DEAD;
    }
    cm_port_retain(w, remote); /* held for the duration of the call */
    f->program = program;
    f->pc = pc;
    f->port = remote;
    f->msg = msg;
    f->convid = convid;
    f->kport = kport;
    f->mode = op->mode;
    f->flags = did_register ? CM_FRF_DID_REGISTER : 0;
    if (space) {
        enqueue_request(w, t, remote, kport, msg);
        f->msg = -1;
        start_waiting(w, t, f);
        return CM_OPR_PUSHED;
    }
    f->phase = CM_SEND_BLOCKED;
    f->deadline_ns = send_deadline_ns;
    cm_waiter_add(w, kport, cm_thread_global(w, t));
    cm_emit_msg(w, CM_EV_SEND_BLOCKED, t, 0, remote,
                CM_EVENT_VALUES(request, .msgid = op->msgid, .convid = convid),
                CM_MSG(w, f->msg)->serial);
    cm_wake_at(w, cm_thread_global(w, t), send_deadline_ns);
    return CM_OPR_PUSHED;
}

bool cm_send_frame_runnable(cm_world *w, cm_thread *t, const cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_SEND);
    assert(f->phase == CM_SEND_WAITING || cm_kport_in(w, f->kport));
    (void)t;
    if (f->phase == CM_SEND_WAITING) return true; /* its RunInMode just returned */
    const cm_kport *k = CM_KPORT(w, f->kport);
    return !k->alive || cm_kport_has_space(w, f->kport) || w->now_ns >= f->deadline_ns;
}

/* Ends the call: the frame reports, the call's retain goes. */
static void send_return(cm_world *w, cm_thread *t, int32_t status, int32_t data_code)
{
    assert(t->alive);
    assert(t->depth >= 2); /* the send frame above its caller */
    cm_frame *f = cm_top(t);
    assert(f->kind == CM_FR_SEND);
    cm_port_release(w, t, f->port);
    if (!t->alive) return;
    cm_frame_return(w, t, status, data_code, w->now_ns - cm_top(t)->start_ns);
}

static void blocked_step(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_SEND && f->phase == CM_SEND_BLOCKED);
    assert(cm_kport_in(w, f->kport) && cm_msg_in(w, f->msg));
    bool two_way = f->mode != CM_MODE_NONE;
    bool did_register = f->flags & CM_FRF_DID_REGISTER;
    cm_waiter_remove(w, f->kport, cm_thread_global(w, t));
    bool alive = CM_KPORT(w, f->kport)->alive;
    if (alive && cm_kport_has_space(w, f->kport)) {
        enqueue_request(w, t, f->port, f->kport, f->msg);
        f->msg = -1;
        if (!two_way) {
            send_return(w, t, CM_SUCCESS, -1);
            return;
        }
        start_waiting(w, t, f);
        return;
    }
    int32_t msg = f->msg;
    f->msg = -1;
    int32_t status = send_failed(w, t, f->port, msg, f->mode, did_register,
                                 alive ? CM_SEND_TIMEOUT : CM_TRANSPORT_ERROR);
    send_return(w, t, status, -1);
}

/* After the loop (R32): the reply wins; else -2 while valid, -5 once invalid. */
static void wait_finish(cm_world *w, cm_thread *t, cm_frame *f, bool replied)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_SEND && f->phase == CM_SEND_WAITING);
    int32_t remote = f->port;
    int32_t convid = f->convid;
    if (f->flags & CM_FRF_DID_REGISTER) {
        cm_rl_remove_source(w, t, CM_PORT(w, remote)->reply_source, f->mode);
    }
    if (replied) {
        const cm_reply_entry *e = find_entry(w, remote, convid, NULL);
        assert(e != NULL && e->arrived); /* replied means filed (R35) */
        cm_data data = e != NULL ? e->data : CM_DATA_NULL;
        remove_entry(w, remote, convid);
        bool keep = !(cm_frame_op(w, f)->flags & CM_OPF_NO_RETURN_DATA);
        send_return(w, t, CM_SUCCESS, keep ? cm_data_encode(data) : -1);
        return;
    }
    remove_entry(w, remote, convid);
    bool valid = cm_port_is_valid(w, t, remote);
    if (!t->alive) return;
    send_return(w, t, valid ? CM_RECEIVE_TIMEOUT : CM_BECAME_INVALID, -1);
}

static void waiting_step(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_SEND && f->phase == CM_SEND_WAITING);
    assert(f->msg < 0 && cm_port_in(w, f->port)); /* the request went out */
    const cm_reply_entry *e = find_entry(w, f->port, f->convid, NULL);
    if (e != NULL && e->arrived) {
        wait_finish(w, t, f, true);
        return;
    }
    if (w->now_ns >= f->deadline_ns) {
        wait_finish(w, t, f, false);
        return;
    }
    bool valid = cm_port_is_valid(w, t, f->port); /* the live probe (R7, R33) */
    if (!t->alive) return;
    if (!valid) {
        wait_finish(w, t, f, false);
        return;
    }
    push_wait(w, t, f);
}

void cm_send_step(cm_world *w, cm_thread *t, cm_frame *f)
{
    assert(t->alive);
    assert(f == cm_top(t) && f->kind == CM_FR_SEND);
    if (f->phase == CM_SEND_BLOCKED) {
        blocked_step(w, t, f);
    } else {
        waiting_step(w, t, f);
    }
}
