/*
 * cm_dispatch.c — dispatch queues (R49, R50, R56).
 *
 * Queue 0 of every process is its main queue, drained by the main
 * thread's run loop when it runs in a common mode (R36). Other queues have
 * their own worker threads ("executors"): one for a serial queue, `width`
 * for a concurrent one. A port with a dispatch queue has its messages
 * taken off the kernel queue at once (R49: no back-pressure, R50a) and
 * handed to the queue as blocks.
 */
#include "cm_internal.h"

void cm_queue_push(cm_world *w, uint16_t process, uint16_t queue, uint8_t kind, int32_t port,
                   int32_t msg, uint16_t program)
{
    assert(w != NULL && cm_process_in(w, process));
    assert(kind == CM_BLK_PERFORM || kind == CM_BLK_DEATH || kind == CM_BLK_PROGRAM);
    assert((kind == CM_BLK_PERFORM) == (msg >= 0) && (msg < 0 || cm_msg_in(w, msg)));
    assert(kind == CM_BLK_PROGRAM ? program < w->cfg.program_count : cm_port_in(w, port));
    int32_t index = cm_pool_alloc(w, &w->blocks);
    if (index < 0) return;
    cm_block *b = CM_BLOCK(w, index);
    b->next = -1;
    b->kind = kind;
    b->port = port;
    b->msg = msg;
    b->program = program;
    cm_queue *q = cm_queue_at(w, process, queue);
    if (q->tail >= 0) {
        CM_BLOCK(w, q->tail)->next = index;
    } else {
        q->head = index;
    }
    q->tail = index;
    q->count++;
    const cm_process *proc = &w->processes[process];
    for (uint16_t i = 0; i < proc->thread_count; i++) {
        cm_thread *t = cm_thread_at(w, proc->thread_base + i);
        bool serves = queue == CM_QUEUE_MAIN ? (t->index == 0 && !t->executor)
                                             : (t->executor && t->queue == queue);
        if (serves) cm_wake(w, proc->thread_base + i);
    }
}

static int32_t queue_pop(cm_world *w, cm_queue *q)
{
    assert(w != NULL && q != NULL);
    assert(q->head < 0 || cm_block_in(w, q->head));
    int32_t index = q->head;
    assert(index >= 0 && q->count > 0);
    if (q->width > 1) w->epoch++; /* another worker may have counted on it */
    q->head = CM_BLOCK(w, index)->next;
    if (q->head < 0) q->tail = -1;
    q->count--;
    return index;
}

/*
 * R49: the private CF queue dequeues each message and hands it over: at once, or (R50a, the
 * profile's dispatch_dequeue_delay) once it has been visible that long, meanwhile holding its
 * place in the Mach queue, so that a sender can meet a full queue (-1) as senders seldom do.
 */
void cm_dispatch_deliver(cm_world *w, int32_t kport)
{
    assert(w != NULL && cm_kport_in(w, kport));
    cm_duration_ns delay_ns = w->cfg.profile.dispatch_dequeue_delay_ns;
    assert(delay_ns >= 0);
    for (uint32_t guard = 0; guard <= w->msgs.count; guard++) {
        const cm_kport *k = CM_KPORT(w, kport);
        if (!k->alive || k->dq_queue == CM_NONE16 || !cm_kport_head_visible(w, kport)) return;
        /* Renamed (R19, allowed with a queue by cf-1153): its port moved to a new Mach port and
         * this one's rights are about to go (R62). As for a run-loop source (R41), the queue's
         * source still watches this one, but what it holds is for no port now: it dies with the
         * right, not performed. */
        if (k->port == CM_NO_PORT) return;
        if (delay_ns > 0) {
            cm_time_ns due_ns = cm_time_add(CM_MSG(w, k->q_head)->visible_ns, delay_ns);
            if (due_ns > w->now_ns) {
                cm_timer_add(w, due_ns, CM_TM_VISIBLE, kport, 0); /* comes back here then */
                return;
            }
        }
        uint16_t queue = k->dq_queue;
        uint16_t process = k->owner;
        int32_t port = k->port;
        int32_t msg = cm_kport_dequeue(w, kport);
        cm_queue_push(w, process, queue, CM_BLK_PERFORM, port, msg, CM_NONE16);
    }
}

bool cm_executor_runnable(cm_world *w, cm_thread *t)
{
    assert(t->depth <= CM_STACK_MAX);
    assert(t->executor && t->depth == 0);
    const cm_queue *q = cm_queue_at(w, t->process, t->queue);
    return q->count > 0 && q->running < q->width;
}

/* The block is done: a worker may take the next one. */
static void block_done(cm_world *w, cm_thread *t, uint16_t queue)
{
    assert(t->alive);
    if (queue == CM_NONE16) return;
    cm_queue *q = cm_queue_at(w, t->process, queue);
    assert(q->running > 0);
    q->running--;
    cm_wake(w, cm_thread_global(w, t));
}

/*
 * Runs one block on thread t. `queue` is the queue whose worker t is, for
 * accounting; CM_NONE16 when the main thread's run loop runs it.
 */
void cm_block_run(cm_world *w, cm_thread *t, uint16_t queue, int32_t block)
{
    assert(t->alive);
    assert(cm_block_in(w, block));
    cm_block b = *CM_BLOCK(w, block);
    cm_pool_free(&w->blocks, block);
    cm_emit(w, CM_EV_BLOCK, t, b.port,
            CM_EVENT_VALUES(block, .queue = queue == CM_NONE16 ? CM_QUEUE_MAIN : queue, .block_kind = b.kind));
    switch (b.kind) {
    case CM_BLK_PERFORM: /* R50c: an invalidated port drops it (R44) */
        if (!cm_perform(w, t, b.port, b.msg, queue) && t->alive) block_done(w, t, queue);
        return;
    case CM_BLK_DEATH: /* R56: unless IsValid & co. got there first */
        cm_port_invalidate(w, t, b.port);
        if (t->alive) block_done(w, t, queue);
        return;
    case CM_BLK_PROGRAM: {
        cm_frame *f = cm_push(w, t, CM_FR_BLOCK);
        if (f == NULL) return;
        f->program = b.program;
        f->queue = queue;
        return;
    }
    default:
        assert(0 && "unknown block");
    }
}

void cm_executor_step(cm_world *w, cm_thread *t)
{
    assert(t->alive);
    cm_queue *q = cm_queue_at(w, t->process, t->queue);
    assert(cm_executor_runnable(w, t));
    int32_t block = queue_pop(w, q);
    q->running++;
    cm_block_run(w, t, t->queue, block);
}

bool cm_main_queue_ready(cm_world *w, const cm_thread *t, uint16_t mode)
{
    assert(t->alive);
    assert(cm_process_in(w, t->process));
    if (t->index != 0 || t->executor || mode >= CM_MODE_MAX || mode == CM_MODE_COMMON) {
        return false;
    }
    if (!(t->common_modes & (UINT32_C(1) << mode))) return false;
    return cm_queue_at(w, t->process, CM_QUEUE_MAIN)->count > 0;
}

void cm_main_queue_service(cm_world *w, cm_thread *t)
{
    assert(t->alive);
    assert(t->index == 0 && !t->executor); /* only the main thread drains the main queue */
    cm_queue *q = cm_queue_at(w, t->process, CM_QUEUE_MAIN);
    cm_block_run(w, t, CM_NONE16, queue_pop(w, q));
}
