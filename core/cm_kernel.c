/*
 * cm_kernel.c — the Mach layer the model needs: kernel ports with one
 * receive right, FIFO message queues with a queue limit (R29), send-once
 * reply rights that turn into notifications when their message dies
 * (R33, R45), dead names noticed by the holders of send rights (R56), and
 * the deferred teardown of a receive right (R62).
 */
#include "cm_internal.h"

int32_t cm_kport_create(cm_world *w, uint16_t owner, bool is_reply)
{
    assert(w != NULL);
    assert(owner == CM_NONE16 || cm_process_in(w, owner));
    int32_t index = cm_pool_alloc(w, &w->kports);
    if (index < 0) return -1;
    cm_kport *k = CM_KPORT(w, index);
    k->alive = 1;
    k->is_reply = is_reply;
    k->owner = owner;
    k->owner_incarnation = owner == CM_NONE16 ? 0 : cm_process_at(w, owner)->incarnation;
    k->qlimit = w->cfg.profile.qlimit;
    k->q_head = -1;
    k->q_tail = -1;
    k->port = CM_NO_PORT;
    k->dq_queue = CM_NONE16;
    k->waiters = -1;
    return index;
}

int32_t cm_msg_new(cm_world *w, uint8_t kind)
{
    assert(w != NULL && w->msg_serial >= 0);
    assert(kind == CM_MSG_REQUEST || kind == CM_MSG_REPLY || kind == CM_MSG_NOTIFY);
    int32_t index = cm_pool_alloc(w, &w->msgs);
    if (index < 0) return -1;
    cm_msg *m = CM_MSG(w, index);
    m->next = -1;
    m->serial = w->msg_serial++;
    m->kind = kind;
    m->reply_kport = -1;
    m->data = CM_DATA_NULL;
    m->src_process = CM_NONE16;
    return index;
}

void cm_msg_free(cm_world *w, int32_t msg)
{
    assert(w != NULL && cm_msg_in(w, msg));
    cm_pool_free(&w->msgs, msg);
}

/* R29: requests block at the queue limit; replies and notifications never do. */
bool cm_kport_has_space(const cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    const cm_kport *k = CM_KPORT(w, kport);
    return k->q_count < k->qlimit;
}

static void became_visible(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    assert(CM_KPORT(w, kport)->q_head >= 0);
    cm_kport *k = CM_KPORT(w, kport);
    if (k->dq_queue != CM_NONE16) {
        cm_dispatch_deliver(w, kport);
    } else {
        cm_rl_wake_watchers(w, kport);
    }
}

void cm_kport_enqueue(cm_world *w, int32_t kport, int32_t msg)
{
    assert(w != NULL && cm_kport_in(w, kport) && cm_msg_in(w, msg));
    cm_kport *k = CM_KPORT(w, kport);
    cm_msg *m = CM_MSG(w, msg);
    assert(k->alive);
    m->next = -1;
    if (k->q_tail >= 0) {
        CM_MSG(w, k->q_tail)->next = msg;
    } else {
        k->q_head = msg;
    }
    k->q_tail = msg;
    k->q_count++;
    if (k->waiters >= 0) w->epoch++; /* a blocked sender may have lost its slot */
    if (m->visible_ns <= w->now_ns) {
        became_visible(w, kport);
    } else {
        cm_timer_add(w, m->visible_ns, CM_TM_VISIBLE, kport, 0);
    }
}

int32_t cm_kport_dequeue(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    cm_kport *k = CM_KPORT(w, kport);
    assert(cm_kport_head_visible(w, kport));
    int32_t msg = k->q_head;
    cm_msg *m = CM_MSG(w, msg);
    w->epoch++; /* another watcher may have counted on this message */
    k->q_head = m->next;
    if (k->q_head < 0) k->q_tail = -1;
    assert(k->q_count > 0);
    k->q_count--;
    m->next = -1;
    cm_waiters_wake(w, kport); /* R29: room for one blocked sender */
    if (k->dq_queue == CM_NONE16 && cm_kport_head_visible(w, kport)) {
        cm_rl_wake_watchers(w, kport); /* the next one, for whoever watches */
    }
    return msg;
}

/* The kernel's MACH_NOTIFY_SEND_ONCE when a reply right dies unused. */
void cm_send_once_notify(cm_world *w, int32_t reply_kport, int32_t serial)
{
    assert(w != NULL && (reply_kport < 0 || cm_kport_in(w, reply_kport)));
    assert(serial >= -1);
    if (reply_kport < 0 || !CM_KPORT(w, reply_kport)->alive) return;
    int32_t msg = cm_msg_new(w, CM_MSG_NOTIFY);
    if (msg < 0) return;
    CM_MSG(w, msg)->visible_ns = w->now_ns;
    if (serial >= 0) CM_MSG(w, msg)->serial = serial; /* the request that died */
    cm_kport_enqueue(w, reply_kport, msg);
}

void cm_msg_destroy(cm_world *w, int32_t msg)
{
    assert(w != NULL && cm_msg_in(w, msg));
    assert(CM_MSG(w, msg)->kind >= CM_MSG_REQUEST && CM_MSG(w, msg)->kind <= CM_MSG_NOTIFY);
    cm_msg *m = CM_MSG(w, msg);
    int32_t reply = m->reply_kport;
    int32_t serial = m->serial;
    if (m->kind == CM_MSG_REQUEST) {
        cm_emit_msg(w, CM_EV_MESSAGE_DESTROYED, NULL, m->src_process, CM_NO_PORT,
                    CM_EVENT_VALUES(request, .msgid = m->msgid, .convid = m->convid,
                                    .size_bytes = m->data.size_bytes),
                    serial);
    }
    cm_msg_free(w, msg);
    cm_send_once_notify(w, reply, serial);
}

/* Every process holding a send right to the port notices its death (R56). */
static void notify_dead_name(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    assert(!CM_KPORT(w, kport)->alive); /* only a dead right is noticed */
    for (uint16_t p = 0; p < w->cfg.process_count; p++) {
        cm_process *proc = cm_process_at(w, p);
        if (proc->state != CM_PROC_RUNNING) continue;
        for (int32_t i = proc->wrappers; i >= 0; i = CM_WRAPPER(w, i)->next) {
            cm_wrapper *wr = CM_WRAPPER(w, i);
            if (wr->kport != kport || wr->receive) continue;
            cm_timer_add(w, w->now_ns + w->cfg.profile.death_notice_delay_ns,
                         CM_TM_DEATH_NOTICE, p, i);
        }
    }
}

void cm_kport_destroy(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    cm_kport *k = CM_KPORT(w, kport);
    if (!k->alive) return;
    k->alive = 0;
    w->epoch++;
    cm_emit_process(w, CM_EV_PORT_DIED, k->owner, k->port, CM_EVENT_VALUES(kport, .kport = kport));
    for (uint32_t guard = 0; k->q_head >= 0; guard++) {
        assert(guard <= w->msgs.count);
        int32_t msg = k->q_head;
        k->q_head = CM_MSG(w, msg)->next;
        k->q_count--;
        cm_msg_destroy(w, msg);
        k = CM_KPORT(w, kport); /* the pool may have moved */
    }
    k->q_tail = -1;
    assert(k->q_count == 0);
    cm_waiters_wake(w, kport); /* blocked senders now fail: INVALID_DEST */
    cm_bootstrap_port_died(w, kport);
    notify_dead_name(w, kport);
}

/* R62: the receive right of an invalidated port goes away a little later. */
void cm_rights_gone(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    cm_kport_destroy(w, kport);
}

/* ---- blocked senders --------------------------------------------------- */

void cm_waiter_add(cm_world *w, int32_t kport, uint32_t thread)
{
    assert(w != NULL && cm_kport_in(w, kport));
    assert(thread < w->thread_total);
    int32_t index = cm_pool_alloc(w, &w->waiters);
    if (index < 0) return;
    cm_waiter *wt = CM_WAITER(w, index);
    cm_kport *k = CM_KPORT(w, kport);
    wt->thread = thread;
    wt->next = -1;
    /* append: the first to block is the first woken */
    if (k->waiters < 0) {
        k->waiters = index;
        return;
    }
    int32_t last = k->waiters;
    for (uint32_t guard = 0; CM_WAITER(w, last)->next >= 0; guard++) {
        assert(guard <= w->waiters.count);
        last = CM_WAITER(w, last)->next;
    }
    CM_WAITER(w, last)->next = index;
}

void cm_waiter_remove(cm_world *w, int32_t kport, uint32_t thread)
{
    assert(w != NULL && cm_kport_in(w, kport));
    assert(thread < w->thread_total);
    cm_kport *k = CM_KPORT(w, kport);
    int32_t *link = &k->waiters;
    for (uint32_t guard = 0; *link >= 0; guard++) {
        assert(guard <= w->waiters.count);
        cm_waiter *wt = CM_WAITER(w, *link);
        if (wt->thread == thread) {
            int32_t index = *link;
            *link = wt->next;
            cm_pool_free(&w->waiters, index);
            return;
        }
        link = &wt->next;
    }
}

void cm_waiters_wake(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    const cm_kport *k = CM_KPORT(w, kport);
    for (int32_t i = k->waiters; i >= 0; i = CM_WAITER(w, i)->next) {
        cm_wake(w, CM_WAITER(w, i)->thread);
    }
}

/* Does the timer wake a thread of process p or q? */
static bool wakes_one_of(const cm_world *w, const cm_timer *tm, uint16_t p, uint16_t q)
{
    assert(w != NULL && tm != NULL);
    assert(tm->kind != CM_TM_WAKE || (tm->a >= 0 && (uint32_t)tm->a < w->thread_total));
    if (tm->kind != CM_TM_WAKE) return false;
    const cm_thread *t = &w->threads[tm->a];
    return t->process == p || t->process == q;
}

/*
 * The hop latency of a message. With explore_latency, a choice point: the
 * profile's latency, or one landing 1 ns before, at, or 1 ns after one of
 * the three nearest pending deadlines of the sender's or the receiver's
 * threads (where timeout bugs live), but none of latency_below_ns or more:
 * a message 190 ms late is no timing a real host gives, and only makes
 * unrelated failures.
 */
cm_duration_ns cm_message_latency(cm_world *w, uint16_t from, int32_t to)
{
    assert(w != NULL && cm_process_in(w, from));
    assert(to < 0 || cm_kport_in(w, to));
    assert(w->cfg.profile.hop_latency_ns >= 0);
    cm_duration_ns base = w->cfg.profile.hop_latency_ns;
    if (!w->cfg.explore_latency) return base;
    uint16_t receiver = to >= 0 ? CM_KPORT(w, to)->owner : CM_NONE16;
    cm_time_ns nearest[3] = {CM_DURATION_FOREVER, CM_DURATION_FOREVER, CM_DURATION_FOREVER};
    for (uint32_t i = 0; i < w->heap_count; i++) {
        cm_time_ns at = w->heap[i].at_ns;
        if (!wakes_one_of(w, &w->heap[i], from, receiver) || at <= w->now_ns) continue;
        for (uint32_t j = 0; j < 3; j++) {
            if (at == nearest[j]) break;
            if (at < nearest[j]) {
                for (uint32_t k = 2; k > j; k--) nearest[k] = nearest[k - 1];
                nearest[j] = at;
                break;
            }
        }
    }
    cm_choice_option *opt = cm_options(w, 10);
    if (opt == NULL) return base;
    uint32_t n = 0;
    opt[n++] = (cm_choice_option){.actor = CM_ACTOR_LATENCY, .value = base};
    for (uint32_t j = 0; j < 3 && nearest[j] != CM_DURATION_FOREVER; j++) {
        for (int64_t delta = -1; delta <= 1; delta++) {
            cm_duration_ns latency = nearest[j] + delta - w->now_ns;
            bool plausible = w->cfg.latency_below_ns <= 0 || latency < w->cfg.latency_below_ns;
            if (latency >= 0 && latency != base && plausible) {
                opt[n++] = (cm_choice_option){.actor = CM_ACTOR_LATENCY, .value = latency};
            }
        }
    }
    assert(n <= 10); /* the base and three deadlines, each -1, 0, +1 */
    if (n < 2) return base;
    return opt[cm_choose(w, CM_CHOICE_LATENCY, n)].value;
}
