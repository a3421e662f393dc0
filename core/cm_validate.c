/*
 * cm_validate.c — the world's invariants, checked at a step boundary
 * (cm_world_validate, cm_world.h): pools and their free lists, message and
 * dispatch queues, waiter, reply, registration and timer lists, thread
 * frames, the scheduler's candidates, the timer heap, every port
 * (cm_port_validate), and that every live message and block is held by
 * exactly the places that can hold one (nothing leaks within a run).
 *
 * Read-only and allocation-free; linear in the world's size. Every list
 * walk is bounded by its pool's size, so a cycle is reported, not looped.
 */
#include "cm_internal.h"

/* Records the first broken invariant and makes the caller return false. */
#define CHECK(cond, text)  \
    do {                   \
        if (!(cond)) {     \
            *why = (text); \
            return false;  \
        }                  \
    } while (0)

/* An index into a pool, or -1 (none). */
static bool ref_ok(const cm_pool *pool, int32_t index)
{
    return index == -1 || (index >= 0 && (uint32_t)index < pool->count);
}

/* A pool: sizes, room, and a free list that stays inside it and ends. Pools whose
 * items are never freed (ids are never reused) have no free list. */
static bool check_pool(const cm_pool *pool, size_t item_size, bool may_free, uint32_t *live,
                       const char **why)
{
    assert(pool != NULL && live != NULL && why != NULL);
    assert(item_size >= sizeof(int32_t)); /* the free list's link */
    CHECK(pool->item_size == item_size, "pool: item size");
    CHECK(pool->count <= pool->capacity, "pool: count above capacity");
    CHECK(pool->capacity == 0 || pool->items != NULL, "pool: room without memory");
    uint32_t free_count = 0;
    for (int32_t i = pool->free_head; i != -1; free_count++) {
        CHECK(i >= 0 && (uint32_t)i < pool->count, "pool: free list out of range");
        CHECK(free_count < pool->count, "pool: free list cycle");
        memcpy(&i, (const char *)pool->items + (size_t)i * pool->item_size, sizeof i);
    }
    CHECK(may_free || free_count == 0, "pool: an item freed from a pool that never frees");
    *live = pool->count - free_count;
    return true;
}

/* Every pool of the world; the live counts come back for the accounting below. */
typedef struct live_counts {
    uint32_t msgs, blocks, waiters, replies, regs;
} live_counts;

static bool check_pools(const cm_world *w, live_counts *live, const char **why)
{
    assert(w != NULL && live != NULL);
    assert(why != NULL);
    uint32_t unused = 0;
    if (!check_pool(&w->ports, sizeof(cm_port), false, &unused, why)) return false;
    if (!check_pool(&w->kports, sizeof(cm_kport), false, &unused, why)) return false;
    if (!check_pool(&w->wrappers, sizeof(cm_wrapper), false, &unused, why)) return false;
    if (!check_pool(&w->sources, sizeof(cm_source), false, &unused, why)) return false;
    if (!check_pool(&w->rltimers, sizeof(cm_rltimer), false, &unused, why)) return false;
    if (!check_pool(&w->perpid, sizeof(cm_bootstrap_entry), false, &unused, why)) return false;
    if (!check_pool(&w->msgs, sizeof(cm_msg), true, &live->msgs, why)) return false;
    if (!check_pool(&w->blocks, sizeof(cm_block), true, &live->blocks, why)) return false;
    if (!check_pool(&w->waiters, sizeof(cm_waiter), true, &live->waiters, why)) return false;
    if (!check_pool(&w->replies, sizeof(cm_reply_entry), true, &live->replies, why)) return false;
    return check_pool(&w->regs, sizeof(cm_reg), true, &live->regs, why);
}

/* What the lists hold, summed over the world, to compare with the live counts. */
typedef struct held_counts {
    uint32_t msgs, blocks, waiters, replies, regs;
} held_counts;

/* Kernel ports: a FIFO of messages whose length and tail match, and a waiter list. */
static bool check_kports(const cm_world *w, held_counts *held, const char **why)
{
    assert(w != NULL && held != NULL);
    assert(why != NULL);
    for (uint32_t i = 0; i < w->kports.count; i++) {
        const cm_kport *k = CM_KPORT(w, (int32_t)i);
        CHECK(k->owner == CM_NONE16 || k->owner < w->cfg.process_count, "kport: owner");
        CHECK(ref_ok(&w->ports, k->port), "kport: port out of range");
        CHECK(k->alive || k->q_head == -1, "kport: a dead port with a queue");
        CHECK(ref_ok(&w->msgs, k->q_head) && ref_ok(&w->msgs, k->q_tail), "kport: queue ends");
        uint32_t n = 0;
        int32_t last = -1;
        for (int32_t m = k->q_head; m != -1; n++) {
            CHECK(ref_ok(&w->msgs, m), "kport: queued message out of range");
            CHECK(n < w->msgs.count, "kport: queue cycle");
            const cm_msg *msg = CM_MSG(w, m);
            CHECK(msg->kind >= CM_MSG_REQUEST && msg->kind <= CM_MSG_NOTIFY, "msg: kind");
            CHECK(ref_ok(&w->kports, msg->reply_kport), "msg: reply right out of range");
            last = m;
            m = msg->next;
        }
        CHECK(n == k->q_count, "kport: q_count is not the queue's length");
        CHECK(last == k->q_tail, "kport: q_tail is not the queue's last message");
        held->msgs += n;
        uint32_t waiters = 0;
        for (int32_t i_w = k->waiters; i_w != -1; waiters++) {
            CHECK(ref_ok(&w->waiters, i_w), "kport: waiter out of range");
            CHECK(waiters < w->waiters.count, "kport: waiter list cycle");
            const cm_waiter *wt = CM_WAITER(w, i_w);
            CHECK(wt->thread < w->thread_total, "waiter: thread out of range");
            i_w = wt->next;
        }
        held->waiters += waiters;
    }
    return true;
}

/* Ports: cm_port_validate, references in range, the reply list of a remote. */
static bool check_ports(const cm_world *w, held_counts *held, const char **why)
{
    assert(w != NULL && held != NULL);
    assert(why != NULL);
    for (uint32_t i = 0; i < w->ports.count; i++) {
        const cm_port *p = CM_PORT(w, (int32_t)i);
        CHECK(cm_port_validate(w, (int32_t)i), "port: cm_port_validate");
        CHECK(p->process < w->cfg.process_count, "port: process");
        CHECK(ref_ok(&w->wrappers, p->wrapper), "port: wrapper out of range");
        CHECK(ref_ok(&w->kports, p->reply_kport), "port: reply port out of range");
        CHECK(ref_ok(&w->sources, p->source), "port: source out of range");
        CHECK(p->source == -1 || CM_SOURCE(w, p->source)->port == (int32_t)i,
              "port: its cached source belongs to another port");
        CHECK(p->remote || p->replies == -1, "port: a local port with reply entries");
        uint32_t n = 0;
        for (int32_t r = p->replies; r != -1; n++) {
            CHECK(ref_ok(&w->replies, r), "port: reply entry out of range");
            CHECK(n < w->replies.count, "port: reply list cycle");
            r = CM_REPLY(w, r)->next;
        }
        held->replies += n;
    }
    for (uint32_t i = 0; i < w->sources.count; i++) {
        const cm_source *s = CM_SOURCE(w, (int32_t)i);
        CHECK(s->kind == CM_SRC_LOCAL || s->kind == CM_SRC_REPLY, "source: kind");
        CHECK(ref_ok(&w->ports, s->port), "source: port out of range");
    }
    for (uint32_t i = 0; i < w->wrappers.count; i++) {
        const cm_wrapper *wr = CM_WRAPPER(w, (int32_t)i);
        CHECK(ref_ok(&w->kports, wr->kport) && wr->kport != -1, "wrapper: kport out of range");
        CHECK(ref_ok(&w->wrappers, wr->next), "wrapper: next out of range");
    }
    return true;
}

/* One thread: its frames, run-loop registrations and timers. */
static bool check_thread(const cm_world *w, const cm_thread *t, held_counts *held,
                         uint32_t *flagged, const char **why)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(held != NULL && flagged != NULL && why != NULL);
    CHECK(t->process < w->cfg.process_count, "thread: process");
    CHECK(t->depth <= CM_STACK_MAX, "thread: frame stack overflow");
    CHECK(t->inline_depth <= CM_INLINE_DEPTH_MAX, "thread: inline callbacks too deep");
    CHECK(!t->alive || w->processes[t->process].state == CM_PROC_RUNNING,
          "thread: alive in a process that is not running");
    CHECK(t->alive || t->depth == 0 || w->processes[t->process].state != CM_PROC_DEAD,
          "thread: frames left in a dead process");
    *flagged += t->candidate ? 1u : 0u;
    for (uint32_t d = 0; d < t->depth; d++) {
        const cm_frame *f = &t->frames[d];
        CHECK(f->kind >= CM_FR_PROGRAM && f->kind <= CM_FR_WAIT, "frame: kind");
        CHECK(!(f->flags & CM_FRF_HOLD) || (f->kind == CM_FR_SLEEP && d == 1),
              "frame: a start delay not right above the thread's program");
        CHECK(d > 0 || f->kind == CM_FR_PROGRAM || t->executor,
              "frame: a program thread's first frame is not its program");
        CHECK(ref_ok(&w->msgs, f->msg), "frame: message out of range");
        CHECK(f->msg == -1 || f->kind == CM_FR_CALLOUT || f->kind == CM_FR_SEND,
              "frame: a message held by a frame that holds none");
        held->msgs += f->msg >= 0 ? 1u : 0u;
        if (f->kind == CM_FR_SEND) {
            CHECK(ref_ok(&w->ports, f->port) && f->port != -1, "send frame: remote port");
            CHECK(ref_ok(&w->kports, f->kport) && f->kport != -1, "send frame: destination");
            CHECK(f->phase <= CM_SEND_WAITING, "send frame: phase");
            CHECK(f->msg == -1 || f->phase == CM_SEND_BLOCKED,
                  "send frame: holds its request after it was queued");
        }
        if (f->kind == CM_FR_CALLOUT) {
            CHECK(ref_ok(&w->ports, f->port) && f->port != -1, "callout frame: port");
        }
        if (f->kind == CM_FR_WAIT) {
            CHECK(f->convid >= 0 && (uint32_t)f->convid < w->cfg.signal_count, "wait frame: signal");
            CHECK(f->value >= 1, "wait frame: count");
        }
    }
    /* Registrations and timers are set up when the process starts; a dead process's
     * are left as they were (its next start drops the lists without freeing). */
    if (w->processes[t->process].state != CM_PROC_RUNNING) return true;
    uint32_t n = 0;
    for (int32_t r = t->regs; r != -1; n++) {
        CHECK(ref_ok(&w->regs, r), "thread: registration out of range");
        CHECK(n < w->regs.count, "thread: registration list cycle");
        const cm_reg *reg = CM_REG(w, r);
        CHECK(ref_ok(&w->sources, reg->source) && reg->source != -1, "registration: source");
        CHECK(reg->modes != 0, "registration: in no mode");
        r = reg->next;
    }
    held->regs += n;
    n = 0;
    for (int32_t i = t->timers; i != -1; n++) {
        CHECK(ref_ok(&w->rltimers, i), "thread: run-loop timer out of range");
        CHECK(n < w->rltimers.count, "thread: run-loop timer list cycle");
        const cm_rltimer *tm = CM_RLTIMER(w, i);
        CHECK(tm->program == CM_NONE16 || tm->program < w->cfg.program_count,
              "run-loop timer: program"); /* none: a timer that only wakes */
        i = tm->next;
    }
    return true;
}

/* Processes, their threads and queues, and the scheduler's candidate list. */
static bool check_processes(const cm_world *w, held_counts *held, const char **why)
{
    assert(w != NULL && held != NULL);
    assert(why != NULL);
    uint32_t flagged = 0;
    for (uint16_t p = 0; p < w->cfg.process_count; p++) {
        const cm_process *proc = &w->processes[p];
        CHECK(proc->state <= CM_PROC_DEAD, "process: state");
        CHECK(proc->thread_base + proc->thread_count <= w->thread_total, "process: threads");
        CHECK(proc->queue_base + proc->queue_count <= w->queue_total, "process: queues");
        CHECK(proc->queue_count >= 1, "process: no main queue");
        uint32_t n = 0;
        for (int32_t i = proc->wrappers; i != -1; n++) {
            CHECK(ref_ok(&w->wrappers, i), "process: wrapper out of range");
            CHECK(n < w->wrappers.count, "process: wrapper list cycle");
            i = CM_WRAPPER(w, i)->next;
        }
        n = 0;
        for (int32_t m = proc->leaked; m != -1; n++) {
            CHECK(ref_ok(&w->msgs, m), "process: leaked message out of range");
            CHECK(n < w->msgs.count, "process: leaked list cycle");
            m = CM_MSG(w, m)->next;
        }
        held->msgs += n;
        for (uint16_t q = 0; q < proc->queue_count; q++) {
            const cm_queue *queue = &w->queues[proc->queue_base + q];
            CHECK(queue->width >= 1 && queue->running <= queue->width, "queue: running blocks");
            CHECK(ref_ok(&w->blocks, queue->head) && ref_ok(&w->blocks, queue->tail),
                  "queue: ends");
            uint32_t count = 0;
            int32_t last = -1;
            for (int32_t b = queue->head; b != -1; count++) {
                CHECK(ref_ok(&w->blocks, b), "queue: block out of range");
                CHECK(count < w->blocks.count, "queue: block list cycle");
                const cm_block *blk = CM_BLOCK(w, b);
                CHECK(blk->kind >= CM_BLK_PERFORM && blk->kind <= CM_BLK_PROGRAM, "block: kind");
                CHECK(ref_ok(&w->msgs, blk->msg), "block: message out of range");
                CHECK(blk->kind != CM_BLK_PROGRAM || blk->program < w->cfg.program_count,
                      "block: program");
                held->msgs += blk->msg >= 0 ? 1u : 0u;
                last = b;
                b = blk->next;
            }
            CHECK(count == queue->count, "queue: count is not the queue's length");
            CHECK(last == queue->tail, "queue: tail is not the queue's last block");
            held->blocks += count;
        }
        for (uint16_t i = 0; i < proc->thread_count; i++) {
            const cm_thread *t = &w->threads[proc->thread_base + i];
            CHECK(t->process == p && t->index == i, "thread: not where its process says");
            if (!check_thread(w, t, held, &flagged, why)) return false;
        }
    }
    CHECK(w->candidate_count <= w->thread_total, "scheduler: too many candidates");
    for (uint32_t i = 0; i < w->candidate_count; i++) {
        CHECK(w->candidates[i] < w->thread_total, "scheduler: candidate out of range");
        CHECK(w->threads[w->candidates[i]].candidate, "scheduler: a listed thread not flagged");
    }
    CHECK(flagged == w->candidate_count, "scheduler: flagged threads are not the list");
    return true;
}

/* The timer heap: ordered on (at_ns, seq), nothing in the past, references in range. */
static bool check_timers(const cm_world *w, const char **why)
{
    assert(w != NULL);
    assert(why != NULL);
    CHECK(w->heap_count <= w->heap_capacity, "timers: count above capacity");
    CHECK(w->heap_count == 0 || w->heap[0].at_ns >= w->now_ns, "timers: one in the past");
    for (uint32_t i = 0; i < w->heap_count; i++) {
        const cm_timer *tm = &w->heap[i];
        CHECK(tm->seq < w->timer_seq, "timers: sequence number not yet handed out");
        if (i > 0) {
            const cm_timer *parent = &w->heap[(i - 1) / 2];
            bool ordered =
                parent->at_ns < tm->at_ns || (parent->at_ns == tm->at_ns && parent->seq < tm->seq);
            CHECK(ordered, "timers: heap order");
        }
        switch (tm->kind) {
        case CM_TM_WAKE: CHECK((uint32_t)tm->a < w->thread_total, "timer: thread"); break;
        case CM_TM_VISIBLE:
        case CM_TM_RIGHTS_GONE:
            CHECK(tm->a >= 0 && (uint32_t)tm->a < w->kports.count, "timer: kport");
            break;
        case CM_TM_FAULT: CHECK((uint32_t)tm->a < w->cfg.fault_count, "timer: fault"); break;
        case CM_TM_START: CHECK((uint32_t)tm->a < w->cfg.process_count, "timer: process"); break;
        case CM_TM_DEATH_NOTICE:
            CHECK((uint32_t)tm->a < w->cfg.process_count, "timer: process");
            CHECK(tm->b >= 0 && (uint32_t)tm->b < w->wrappers.count, "timer: wrapper");
            break;
        case CM_TM_NAME_FREE:
            CHECK(tm->a >= 0 && (uint32_t)tm->a < w->name_count + w->perpid.count,
                  "timer: bootstrap entry");
            break;
        default: CHECK(false, "timer: kind");
        }
    }
    return true;
}

bool cm_world_validate(const cm_world *w, const char **broken)
{
    const char *unused = NULL;
    const char **why = broken != NULL ? broken : &unused;
    *why = NULL;
    CHECK(w != NULL, "no world");
    CHECK(w->events_kept <= w->cfg.trace_capacity && w->events_kept <= w->event_count,
          "trace: kept events");
    CHECK(w->due_count <= w->due_capacity, "scheduler: due events above capacity");
    CHECK(w->now_ns >= 0, "clock: negative time");
    for (uint32_t n = 0; n < w->name_count; n++) {
        const cm_bootstrap_entry *e = &w->bootstrap[n];
        CHECK(e->state <= CM_BS_RELEASING, "bootstrap: state");
        CHECK(e->state == CM_BS_FREE || ref_ok(&w->kports, e->kport), "bootstrap: kport");
    }
    live_counts live = {0};
    held_counts held = {0};
    if (!check_pools(w, &live, why)) return false;
    if (!check_kports(w, &held, why)) return false;
    if (!check_ports(w, &held, why)) return false;
    if (!check_processes(w, &held, why)) return false;
    if (!check_timers(w, why)) return false;
    CHECK(held.msgs == live.msgs, "messages: a live message that nothing holds (or held twice)");
    CHECK(held.blocks == live.blocks, "blocks: a live block in no queue");
    CHECK(held.waiters == live.waiters, "waiters: a live waiter on no port");
    CHECK(held.replies == live.replies, "replies: a live reply entry on no port");
    /* a dead process's registrations stay allocated (see check_thread): at most */
    CHECK(held.regs <= live.regs, "registrations: listed more often than allocated");
    return true;
}
