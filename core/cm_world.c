/*
 * cm_world.c — world life cycle, memory pools, the trace, timers and the
 * scheduler with its choice points.
 *
 * The scheduler: at the current instant, the options are the due world
 * events (faults, process starts, messages becoming visible, death
 * notices, deferred teardown) and the runnable threads, in canonical
 * order (events by timer order, then threads in the order they became
 * runnable; a thread that stays runnable keeps its place, so `fifo` runs
 * a thread until it blocks). With two or more options the strategy
 * chooses. When nothing can run, the clock jumps to the next timer.
 */
#include "cm_internal.h"

#include <string.h>

/* ---- memory ------------------------------------------------------------ */

void *cm_mem_realloc(cm_world *w, void *ptr, size_t old_size, size_t new_size)
{
    assert(w != NULL && w->cfg.alloc.realloc != NULL);
    assert(ptr != NULL || old_size == 0);
    void *p = w->cfg.alloc.realloc(w->cfg.alloc.ctx, ptr, old_size, new_size);
    if (new_size > 0 && p == NULL) cm_fail_nomem(w);
    return p;
}

void cm_fail_nomem(cm_world *w)
{
    w->nomem = 1;
}

void cm_pool_init(cm_pool *pool, uint32_t item_size)
{
    assert(pool != NULL);
    assert(item_size >= sizeof(int32_t));
    memset(pool, 0, sizeof *pool);
    pool->item_size = item_size;
    pool->free_head = -1;
}

/* Doubles the pool's room (cm_pool_alloc, cm_internal.h, when it is full). */
bool cm_pool_grow(cm_world *w, cm_pool *pool)
{
    assert(w != NULL && pool != NULL && pool->item_size >= sizeof(int32_t));
    assert(pool->count == pool->capacity);
    uint32_t capacity = pool->capacity ? pool->capacity * 2 : 16;
    if (capacity > (uint32_t)INT32_MAX / 2) return false;
    void *items = cm_mem_realloc(w, pool->items, (size_t)pool->capacity * pool->item_size,
                                 (size_t)capacity * pool->item_size);
    if (items == NULL) return false;
    pool->items = items;
    pool->capacity = capacity;
    return true;
}

void cm_pool_free(cm_pool *pool, int32_t index)
{
    assert(pool != NULL && pool->item_size >= sizeof(int32_t));
    assert(index != pool->free_head); /* not freed twice in a row */
    void *item = cm_pool_at(pool, index);
    memcpy(item, &pool->free_head, sizeof(int32_t));
    pool->free_head = index;
}

void cm_pool_clear(cm_pool *pool)
{
    pool->count = 0;
    pool->free_head = -1;
}

void cm_pool_fini(cm_world *w, cm_pool *pool)
{
    assert(w != NULL && pool != NULL);
    assert(pool->count <= pool->capacity && (pool->items != NULL || pool->capacity == 0));
    if (pool->items != NULL) {
        cm_mem_realloc(w, pool->items, (size_t)pool->capacity * pool->item_size, 0);
    }
    pool->items = NULL;
    pool->capacity = 0;
    pool->count = 0;
}

static void *alloc_array(cm_world *w, size_t count, size_t size)
{
    assert(w != NULL && size > 0);
    assert(count <= SIZE_MAX / size); /* count * size does not wrap */
    if (count == 0) count = 1;
    void *p = cm_mem_realloc(w, NULL, 0, count * size);
    if (p != NULL) memset(p, 0, count * size);
    return p;
}

static void free_array(cm_world *w, void *p, size_t count, size_t size)
{
    if (p == NULL) return;
    if (count == 0) count = 1;
    cm_mem_realloc(w, p, count * size, 0);
}

/* ---- trace ------------------------------------------------------------- */

/* 64x64 -> 128-bit multiply, folded (wyhash's "mum"). */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * The canonical encoding is these six 64-bit words, built from the fields
 * by value (never from struct memory), folded pairwise with wyhash's
 * multiply-fold and chained into the running hash:
 *   w0 time_ns
 *   w1 seq | kind << 32 | process << 48
 *   w2 thread | program << 16 | op_index << 32
 *   w3 (uint32_t)port | (uint32_t)slots.a << 32
 *   w4 (uint32_t)slots.b | (uint32_t)msg << 32
 *   w5 slots.c
 * (the slots of cm_event_kinds.h: each kind's named values live in them).
 */

static inline uint64_t hash_words(uint64_t hash, uint64_t w0, uint64_t w1, uint64_t w2,
                                  uint64_t w3, uint64_t w4, uint64_t w5)
{
    uint64_t d = mum(w0 ^ UINT64_C(0xA0761D6478BD642F), w1 ^ UINT64_C(0xE7037ED1A0B428DB)) ^
                 mum(w2 ^ UINT64_C(0x8EBC6AF09C88C6E3), w3 ^ UINT64_C(0x589965CC75374CC3)) ^
                 mum(w4 ^ UINT64_C(0x1D8E4E27C47D124F), w5 ^ UINT64_C(0x9E3779B97F4A7C15));
    return mum(hash ^ UINT64_C(0xA0761D6478BD642F), d ^ UINT64_C(0xE7037ED1A0B428DB));
}

uint64_t cm_trace_hash_event(uint64_t hash, const cm_event *ev)
{
    return hash_words(hash, (uint64_t)ev->time_ns, cm_ev_word1(ev->seq, ev->kind, ev->process),
                      cm_ev_word2(ev->thread, ev->program, ev->op_index),
                      cm_ev_word_pair(ev->port, ev->slots.a), cm_ev_word_pair(ev->slots.b, ev->msg),
                      (uint64_t)ev->slots.c);
}

/*
 * Every emitter (cm_internal.h) ends here, with the event's fields packed
 * into the words of the canonical encoding (w1 without the seq), six
 * arguments in registers. The hash is taken from them; the event handed
 * on is unpacked from them. (Hashing an event just written to memory
 * stalls on store forwarding: narrow stores, wide loads.)
 */
void cm_emit_words(cm_world *w, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5)
{
    static_assert(CM_EV_KIND_COUNT <= 64, "event_skip >> kind below is defined"); /* free */
    uint16_t kind = (uint16_t)(w1 >> 32);
    assert(kind > CM_EV_NONE && kind < CM_EV_KIND_COUNT);
    uint64_t w0 = (uint64_t)w->now_ns;
    uint32_t seq = (uint32_t)w->event_count;
    w->event_count++;
    w->trace_hash = hash_words(w->trace_hash, w0, w1 | seq, w2, w3, w4, w5);
    if (w->cfg.track_history && kind != CM_EV_CHOICE) {
        /* the same observations in another order give the same digest (seq 0) */
        w->history += hash_words(CM_TRACE_HASH_SEED, w0, w1, w2, w3, w4, w5);
    }
    bool notify = w->cfg.on_event != NULL && !((w->event_skip >> kind) & 1u);
    if (w->events_kept >= w->cfg.trace_capacity && !notify) return;
    cm_event ev = {.time_ns = (cm_time_ns)w0,
                   .seq = seq,
                   .kind = kind,
                   .process = (uint16_t)(w1 >> 48),
                   .thread = (uint16_t)w2,
                   .program = (uint16_t)(w2 >> 16),
                   .op_index = (uint32_t)(w2 >> 32),
                   .port = (int32_t)(uint32_t)w3,
                   .msg = (int32_t)(uint32_t)(w4 >> 32),
                   .slots = {.a = (int32_t)(uint32_t)(w3 >> 32),
                             .b = (int32_t)(uint32_t)w4,
                             .c = (int64_t)w5}};
    if (w->events_kept < w->cfg.trace_capacity) w->events[w->events_kept++] = ev;
    if (notify) w->cfg.on_event(w->cfg.on_event_ctx, w, &ev);
}

/* ---- timers: a binary min-heap on (at_ns, seq) -------------------------- */

static bool timer_before(const cm_timer *x, const cm_timer *y)
{
    if (x->at_ns != y->at_ns) return x->at_ns < y->at_ns;
    return x->seq < y->seq;
}

void cm_timer_add(cm_world *w, cm_time_ns at_ns, uint8_t kind, int32_t a, int32_t b)
{
    assert(w != NULL && w->heap_count <= w->heap_capacity);
    assert(kind >= CM_TM_WAKE && kind <= CM_TM_NAME_FREE && a >= 0);
    assert(at_ns >= w->now_ns);
    if (w->heap_count == w->heap_capacity) {
        uint32_t capacity = w->heap_capacity ? w->heap_capacity * 2 : 64;
        cm_timer *heap = cm_mem_realloc(w, w->heap, (size_t)w->heap_capacity * sizeof *heap,
                                        (size_t)capacity * sizeof *heap);
        if (heap == NULL) return;
        w->heap = heap;
        w->heap_capacity = capacity;
    }
    uint32_t i = w->heap_count++;
    cm_timer tm = {.at_ns = at_ns, .seq = w->timer_seq++, .kind = kind, .a = a, .b = b};
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!timer_before(&tm, &w->heap[parent])) break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = tm;
}

/*
 * Removes the first timer, copied to *out unless out is NULL. (Copied
 * memory to memory: a timer returned by value is written field by field
 * and then read back whole, which stalls on store forwarding.)
 */
static void timer_pop(cm_world *w, cm_timer *out)
{
    assert(w != NULL && w->heap_count <= w->heap_capacity);
    assert(w->heap_count > 0);
    if (out != NULL) *out = w->heap[0];
    cm_timer last = w->heap[--w->heap_count];
    uint32_t i = 0;
    uint32_t n = w->heap_count;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && timer_before(&w->heap[child + 1], &w->heap[child])) child++;
        if (!timer_before(&w->heap[child], &last)) break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    if (n > 0) w->heap[i] = last;
}

/* ---- scheduler --------------------------------------------------------- */

/*
 * A thread keeps at most one timer wake-up in the heap: the earliest one
 * asked for. When it fires, the thread is woken and a timer is set for its
 * next deadline, so deadlines that were never reached cost nothing.
 */
void cm_wake_at(cm_world *w, uint32_t thread, cm_time_ns at_ns)
{
    assert(w != NULL && thread < w->thread_total);
    assert(at_ns >= 0);
    if (at_ns == CM_DURATION_FOREVER) return;
    if (at_ns <= w->now_ns) {
        cm_wake(w, thread);
        return;
    }
    cm_thread *t = cm_thread_at(w, thread);
    if (at_ns >= t->wake_ns) return;
    t->wake_ns = at_ns;
    cm_timer_add(w, at_ns, CM_TM_WAKE, (int32_t)thread, 0);
}

/* The earliest deadline of the thread's frames and run-loop timers after now. */
static cm_time_ns next_deadline(const cm_world *w, const cm_thread *t)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(t->depth <= CM_STACK_MAX);
    cm_time_ns next = CM_DURATION_FOREVER;
    for (uint32_t d = 0; d < t->depth; d++) {
        cm_time_ns at = t->frames[d].deadline_ns;
        if (at > w->now_ns && at < next) next = at;
    }
    for (int32_t i = t->timers; i >= 0;) {
        const cm_rltimer *tm = CM_RLTIMER(w, i);
        if (tm->valid && tm->fire_ns > w->now_ns && tm->fire_ns < next) next = tm->fire_ns;
        i = tm->next;
    }
    return next;
}

/* A CM_TM_WAKE timer for thread `thread` set for at_ns fired. */
static void wake_fired(cm_world *w, uint32_t thread, cm_time_ns at_ns)
{
    assert(w != NULL && thread < w->thread_total);
    assert(at_ns <= w->now_ns); /* it fired */
    cm_thread *t = cm_thread_at(w, thread);
    if (at_ns != t->wake_ns || !t->alive) return; /* superseded */
    t->wake_ns = CM_DURATION_FOREVER;
    cm_wake(w, thread);
    cm_wake_at(w, thread, next_deadline(w, t));
}

/* Room for count options (and their refs); NULL when out of memory. */
cm_choice_option *cm_options(cm_world *w, uint32_t count)
{
    assert(w != NULL && count > 0);
    if (count <= w->options_capacity && count <= w->refs_capacity) return w->options;
    uint32_t capacity = count < 64 ? 64 : count * 2;
    if (count > w->options_capacity) {
        cm_choice_option *options =
            cm_mem_realloc(w, w->options, (size_t)w->options_capacity * sizeof *options,
                           (size_t)capacity * sizeof *options);
        if (options == NULL) return NULL;
        w->options = options;
        w->options_capacity = capacity;
    }
    if (count > w->refs_capacity) {
        uint32_t *refs = cm_mem_realloc(w, w->option_ref, (size_t)w->refs_capacity * sizeof *refs,
                                        (size_t)capacity * sizeof *refs);
        if (refs == NULL) return NULL;
        w->option_ref = refs;
        w->refs_capacity = capacity;
    }
    assert(count <= w->options_capacity && count <= w->refs_capacity);
    return w->options;
}

/* Asks the strategy to pick one of the `count` options already filled in. */
uint32_t cm_choose(cm_world *w, uint8_t kind, uint32_t count)
{
    assert(count >= 2);
    cm_choice choice = {
        .kind = kind,
        .count = count,
        .options = w->options,
        .now_ns = w->now_ns,
        .ordinal = w->choice_ordinal++,
        .world = w,
    };
    uint32_t pick = w->strategy->choose(w->strategy_ctx, &choice);
    assert(pick < count);
    if (pick >= count) pick = 0;
    cm_emit(w, CM_EV_CHOICE, NULL, CM_NO_PORT,
            CM_EVENT_VALUES(choice, .choice_kind = kind, .picked = (int32_t)pick, .option_count = count));
    return pick;
}

/*
 * Before the clock jumps: a wake-up that no deadline of its thread needs
 * any more (the send or sleep it was for has returned) is dropped, so the
 * run ends at its last real event, not at a stale deadline.
 */
static void drop_stale_wakes(cm_world *w)
{
    assert(w != NULL);
    assert(w->due_count == 0 && w->candidate_count == 0); /* nothing can happen now */
    for (uint32_t guard = 0; w->heap_count > 0 && guard <= w->thread_total; guard++) {
        const cm_timer *top = &w->heap[0];
        if (top->kind != CM_TM_WAKE) return;
        cm_thread *t = cm_thread_at(w, (uint32_t)top->a);
        bool current = t->alive && top->at_ns == t->wake_ns;
        if (current && next_deadline(w, t) <= top->at_ns) return; /* still needed */
        timer_pop(w, NULL);
        if (current) {
            t->wake_ns = CM_DURATION_FOREVER;
            cm_wake_at(w, cm_thread_global(w, t), next_deadline(w, t));
        }
    }
}

/* Moves the first timer of the heap to the due events (dropped when out of memory). */
static void due_push_top(cm_world *w)
{
    assert(w != NULL && w->heap_count > 0);
    assert(w->heap[0].kind != CM_TM_WAKE && w->heap[0].at_ns <= w->now_ns);
    if (w->due_count == w->due_capacity) {
        uint32_t capacity = w->due_capacity ? w->due_capacity * 2 : 16;
        cm_timer *due = cm_mem_realloc(w, w->due, (size_t)w->due_capacity * sizeof *due,
                                       (size_t)capacity * sizeof *due);
        if (due == NULL) {
            timer_pop(w, NULL);
            return;
        }
        w->due = due;
        w->due_capacity = capacity;
    }
    timer_pop(w, &w->due[w->due_count++]);
}

/* Moves every timer due now out of the heap: wake-ups mark threads. */
static void collect_due(cm_world *w)
{
    assert(w != NULL && w->now_ns >= 0);
    assert(w->due_count <= w->due_capacity);
    while (w->heap_count > 0 && w->heap[0].at_ns <= w->now_ns) {
        const cm_timer *top = &w->heap[0];
        if (top->kind == CM_TM_WAKE) {
            uint32_t thread = (uint32_t)top->a;
            cm_time_ns at_ns = top->at_ns;
            timer_pop(w, NULL);
            wake_fired(w, thread, at_ns);
        } else {
            due_push_top(w);
        }
    }
}

static void run_world_event(cm_world *w, cm_timer tm)
{
    assert(w != NULL && tm.kind != CM_TM_WAKE && tm.a >= 0);
    assert(tm.at_ns <= w->now_ns);
    assert(tm.kind != CM_TM_FAULT || tm.a < w->cfg.fault_count);
    switch (tm.kind) {
    case CM_TM_START: /* a restart fault may have started it already: then the start is spent */
        if (cm_process_at(w, (uint16_t)tm.a)->incarnation == 0) cm_process_start(w, (uint16_t)tm.a);
        break;
    case CM_TM_FAULT: {
        const cm_fault *f = &w->cfg.faults[tm.a];
        cm_process *p = cm_process_at(w, f->process);
        if (p->state == CM_PROC_RUNNING) cm_process_kill(w, f->process, CM_CRASH_FAULT, true);
        if (f->kind == CM_FAULT_RESTART) cm_process_start(w, f->process);
        break;
    }
    case CM_TM_VISIBLE: {
        cm_kport *k = CM_KPORT(w, tm.a);
        if (!k->alive) break;
        if (k->dq_queue != CM_NONE16) {
            cm_dispatch_deliver(w, tm.a);
        } else {
            cm_rl_wake_watchers(w, tm.a);
        }
        break;
    }
    case CM_TM_DEATH_NOTICE:
        cm_process_notice_death(w, (uint16_t)tm.a, tm.b);
        break;
    case CM_TM_RIGHTS_GONE:
        cm_rights_gone(w, tm.a);
        break;
    case CM_TM_NAME_FREE:
        cm_name_free(w, tm.a);
        break;
    default:
        assert(0 && "unknown world event");
    }
}

static void end_run(cm_world *w, uint8_t reason)
{
    assert(w != NULL && reason != CM_END_NONE);
    assert(w->end_reason == CM_END_NONE);
    for (uint32_t i = 0; i < w->thread_total; i++) {
        cm_thread *t = &w->threads[i];
        if (!t->alive) continue;
        for (uint32_t d = 0; d < t->depth; d++) {
            const cm_frame *f = &t->frames[d];
            if (f->kind < CM_FR_SEND) continue;
            cm_emit_op(w, CM_EV_BLOCKED_AT_END, t, f->program, f->pc, f->port,
                       CM_EVENT_VALUES(blocked, .frame_kind = f->kind,
                                       .elapsed_ns = w->now_ns - f->start_ns));
        }
    }
    w->end_reason = reason;
    cm_emit(w, CM_EV_END, NULL, CM_NO_PORT, CM_EVENT_VALUES(end, .reason = reason));
}

/*
 * Drops the candidates that cannot run now (the survivors keep their
 * order) and returns how many options there are: the due world events,
 * then the runnable threads (0: nothing can happen now). The options
 * themselves are only filled in when there is a choice (fill_options).
 */
static uint32_t gather_options(cm_world *w)
{
    assert(w != NULL && w->candidate_count <= w->thread_total);
    assert(w->due_count <= w->due_capacity);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < w->candidate_count; i++) {
        uint32_t g = w->candidates[i];
        cm_thread *t = cm_thread_at(w, g);
        if (t->dirty || t->cached_epoch != w->epoch) {
            t->cached_runnable = t->alive && cm_thread_runnable(w, t);
            t->cached_epoch = w->epoch;
            t->dirty = 0;
        }
        if (!t->alive || !t->cached_runnable) {
            t->candidate = 0;
            continue;
        }
        w->candidates[kept++] = g;
    }
    w->candidate_count = kept;
    return w->due_count + kept;
}

/* The n options gather_options counted, in canonical order; false when out of memory. */
static bool fill_options(cm_world *w, uint32_t n)
{
    assert(w != NULL && n >= 2 && n == w->due_count + w->candidate_count);
    cm_choice_option *opt = n <= w->options_capacity && n <= w->refs_capacity
                                ? w->options
                                : cm_options(w, n);
    if (opt == NULL) return false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->due_count; i++) {
        opt[k] = (cm_choice_option){.actor = CM_ACTOR_EVENT,
                                    .process = CM_NONE16,
                                    .thread = CM_NONE16,
                                    .value = w->due[i].kind};
        w->option_ref[k++] = i;
    }
    for (uint32_t i = 0; i < w->candidate_count; i++) {
        uint32_t g = w->candidates[i];
        const cm_thread *t = &w->threads[g];
        opt[k] = (cm_choice_option){.actor = CM_ACTOR_THREAD,
                                    .process = t->process,
                                    .thread = t->index,
                                    .value = 0};
        w->option_ref[k++] = g | UINT32_C(0x80000000);
    }
    assert(k == n);
    return true;
}

static bool thread_step_local(const cm_world *w, const cm_thread *t);

static uint64_t sym_mix(uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
    return h * UINT64_C(0xFF51AFD7ED558CCD);
}

/* The process a world event concerns (its own, or the owner of the kport it names), or CM_NONE16. */
static uint16_t sym_timer_process(const cm_world *w, const cm_timer *tm)
{
    assert(w != NULL && tm != NULL);
    switch (tm->kind) {
    case CM_TM_START:
    case CM_TM_DEATH_NOTICE: return tm->a >= 0 && tm->a < w->cfg.process_count ? (uint16_t)tm->a : CM_NONE16;
    case CM_TM_FAULT: return tm->a >= 0 && tm->a < w->cfg.fault_count ? w->cfg.faults[tm->a].process : CM_NONE16;
    case CM_TM_VISIBLE:
    case CM_TM_RIGHTS_GONE: return cm_pool_has(&w->kports, tm->a) ? CM_KPORT(w, tm->a)->owner : CM_NONE16;
    default: return CM_NONE16;
    }
}

/* A first start: the one local world event (cm_world_option_footprint). */
static bool sym_first_start(const cm_world *w, const cm_timer *tm)
{
    if (tm->kind != CM_TM_START || tm->a < 0 || tm->a >= w->cfg.process_count) return false;
    const cm_process *proc = &w->processes[tm->a];
    return proc->incarnation == 0 && proc->state == CM_PROC_NOT_STARTED;
}

/*
 * track_symmetry, before the step `ref` runs (cm_world_options_symmetric
 * says what the trails are for): a local step of a process in a class
 * extends its trail with (thread, time, segment); a non-local step starts
 * a new segment, and loses its process's symmetry for the rest of the run.
 * Every step passes here, those with a single option too.
 */
static void sym_note(cm_world *w, uint32_t ref)
{
    assert(w->sym_trail != NULL && w->sym_class != NULL);
    uint16_t p;
    bool local;
    uint64_t label;
    if (ref & UINT32_C(0x80000000)) {
        const cm_thread *t = &w->threads[ref & UINT32_C(0x7FFFFFFF)];
        p = t->process;
        local = thread_step_local(w, t);
        label = t->index;
    } else {
        const cm_timer *tm = &w->due[ref];
        p = sym_timer_process(w, tm);
        local = sym_first_start(w, tm);
        label = CM_NONE16;
    }
    bool tracked = p < w->cfg.process_count && w->sym_class[p] != CM_NONE16;
    if (!local) {
        w->sym_segment++;
        if (tracked) w->sym_trail[p] = CM_SYM_LOST;
        return;
    }
    if (!tracked || w->sym_trail[p] == CM_SYM_LOST) return;
    uint64_t h = sym_mix(sym_mix(sym_mix(w->sym_trail[p], label), (uint64_t)w->now_ns), w->sym_segment);
    w->sym_trail[p] = h == CM_SYM_LOST ? h - 1 : h;
    assert(w->sym_trail[p] != CM_SYM_LOST);
}

bool cm_world_step(cm_world *w)
{
    assert(w != NULL && w->strategy != NULL);
    assert(w->candidate_count <= w->thread_total);
    for (uint32_t guard = 0; guard < 4; guard++) {
        if (w->end_reason != CM_END_NONE) return false;
        if (w->nomem) {
            w->end_reason = CM_END_ERROR;
            return false;
        }
        if (w->cfg.max_events > 0 && w->event_count >= w->cfg.max_events) {
            end_run(w, CM_END_BUDGET);
            return false;
        }
        collect_due(w);
        uint32_t n = gather_options(w);
        if (n == 0) {
            drop_stale_wakes(w);
            if (w->heap_count == 0) {
                end_run(w, CM_END_QUIESCENT);
                return false;
            }
            cm_time_ns next = w->heap[0].at_ns;
            if (w->cfg.time_limit_ns > 0 && next > w->cfg.time_limit_ns) {
                w->now_ns = w->cfg.time_limit_ns;
                end_run(w, CM_END_TIME_LIMIT);
                return false;
            }
            w->now_ns = next;
            continue;
        }
        uint32_t ref;
        if (n == 1) { /* no choice: the one option, without filling it in */
            ref = w->due_count == 1 ? 0 : w->candidates[0] | UINT32_C(0x80000000);
        } else {
            if (!fill_options(w, n)) continue; /* out of memory: the run ends */
            ref = w->option_ref[cm_choose(w, CM_CHOICE_NEXT, n)];
        }
        if (w->sym_trail != NULL) sym_note(w, ref);
        if (ref & UINT32_C(0x80000000)) {
            cm_thread *t = cm_thread_at(w, ref & UINT32_C(0x7FFFFFFF));
            t->dirty = 1;
            cm_thread_step(w, t);
        } else {
            cm_timer tm = w->due[ref];
            w->due[ref] = w->due[--w->due_count];
            /* keep the remaining due events in timer order */
            for (uint32_t i = ref; i + 1 < w->due_count; i++) {
                if (timer_before(&w->due[i + 1], &w->due[i])) {
                    cm_timer x = w->due[i];
                    w->due[i] = w->due[i + 1];
                    w->due[i + 1] = x;
                }
            }
            run_world_event(w, tm);
        }
        w->step_count++;
        return true;
    }
    /* Only reached after repeated jumps in time: the loop resumes next call. */
    return w->end_reason == CM_END_NONE;
}

cm_end_reason cm_world_run(cm_world *w)
{
    while (cm_world_step(w)) {
    }
    return (cm_end_reason)w->end_reason;
}

/* ---- life cycle -------------------------------------------------------- */

static cm_result allocate_processes(cm_world *w)
{
    assert(w != NULL && w->cfg.process_count > 0);
    assert(w->processes == NULL && w->threads == NULL); /* once, in cm_world_create */
    const cm_world_config *cfg = &w->cfg;
    uint32_t threads = 0, queues = 0, slots = 0;
    for (uint16_t p = 0; p < cfg->process_count; p++) {
        const cm_process_config *pc = &cfg->processes[p];
        threads += pc->thread_count;
        queues += 1u + pc->queue_count;
        slots += pc->slot_count;
        for (uint16_t q = 0; q < pc->queue_count; q++) {
            threads += pc->queues[q].kind == CM_QUEUE_CONCURRENT ? pc->queues[q].width : 1u;
        }
    }
    w->thread_total = threads;
    w->queue_total = queues;
    w->slot_total = slots;
    w->processes = alloc_array(w, cfg->process_count, sizeof *w->processes);
    w->threads = alloc_array(w, threads, sizeof *w->threads);
    w->queues = alloc_array(w, queues, sizeof *w->queues);
    w->slots = alloc_array(w, slots, sizeof *w->slots);
    w->slot_sources = alloc_array(w, slots, sizeof *w->slot_sources);
    w->candidates = alloc_array(w, threads, sizeof *w->candidates);
    return w->nomem ? CM_ERR_NOMEM : CM_OK;
}

static void layout_processes(cm_world *w)
{
    assert(w != NULL && w->processes != NULL && w->threads != NULL && w->queues != NULL);
    const cm_world_config *cfg = &w->cfg;
    uint32_t thread = 0, queue = 0, slot = 0;
    for (uint16_t p = 0; p < cfg->process_count; p++) {
        const cm_process_config *pc = &cfg->processes[p];
        cm_process *proc = &w->processes[p];
        proc->thread_base = thread;
        proc->user_threads = pc->thread_count;
        proc->slot_base = slot;
        proc->queue_base = queue;
        proc->queue_count = (uint16_t)(1u + pc->queue_count);
        proc->wrappers = -1;
        proc->leaked = -1;
        for (uint16_t i = 0; i < pc->thread_count; i++) {
            cm_thread *t = &w->threads[thread++];
            t->process = p;
            t->index = i;
            t->queue = CM_NONE16;
        }
        w->queues[queue++] = (cm_queue){.kind = 0, .width = 1, .head = -1, .tail = -1};
        for (uint16_t q = 0; q < pc->queue_count; q++) {
            const cm_queue_config *qc = &pc->queues[q];
            uint8_t width = qc->kind == CM_QUEUE_CONCURRENT ? qc->width : 1;
            w->queues[queue++] =
                (cm_queue){.kind = qc->kind, .width = width, .head = -1, .tail = -1};
            for (uint8_t k = 0; k < width; k++) {
                cm_thread *t = &w->threads[thread];
                t->process = p;
                t->index = (uint16_t)(thread - proc->thread_base);
                t->executor = 1;
                t->queue = (uint16_t)(q + 1);
                thread++;
            }
        }
        proc->thread_count = (uint16_t)(thread - proc->thread_base);
        slot += pc->slot_count;
    }
    assert(thread == w->thread_total && queue == w->queue_total); /* allocate_processes' counts */
    assert(slot == w->slot_total);
}

static void init_pools(cm_world *w)
{
    assert(w != NULL);
    assert(w->ports.items == NULL && w->kports.items == NULL); /* once, in cm_world_create */
    cm_pool_init(&w->ports, sizeof(cm_port));
    cm_pool_init(&w->kports, sizeof(cm_kport));
    cm_pool_init(&w->msgs, sizeof(cm_msg));
    cm_pool_init(&w->wrappers, sizeof(cm_wrapper));
    cm_pool_init(&w->sources, sizeof(cm_source));
    cm_pool_init(&w->regs, sizeof(cm_reg));
    cm_pool_init(&w->rltimers, sizeof(cm_rltimer));
    cm_pool_init(&w->blocks, sizeof(cm_block));
    cm_pool_init(&w->replies, sizeof(cm_reply_entry));
    cm_pool_init(&w->waiters, sizeof(cm_waiter));
    cm_pool_init(&w->perpid, sizeof(cm_bootstrap_entry));
}

#define POOL_COUNT 11u

/* Fills pools[POOL_COUNT] with the world's pools. */
static void pool_list(cm_world *w, cm_pool **pools)
{
    cm_pool *list[POOL_COUNT] = {&w->ports,   &w->kports, &w->msgs,     &w->wrappers,
                                 &w->sources, &w->regs,   &w->rltimers, &w->blocks,
                                 &w->replies, &w->waiters, &w->perpid};
    memcpy(pools, list, sizeof list);
}

/* Puts every piece of run state back to time 0 and schedules the starts. */
static void start_run(cm_world *w)
{
    assert(w != NULL && w->processes != NULL && w->threads != NULL);
    const cm_world_config *cfg = &w->cfg;
    cm_pool *pools[POOL_COUNT];
    pool_list(w, pools);
    for (uint32_t i = 0; i < POOL_COUNT; i++) cm_pool_clear(pools[i]);
    w->now_ns = 0;
    w->end_reason = CM_END_NONE;
    w->timer_seq = 0;
    w->choice_ordinal = 0;
    w->step_count = 0;
    w->sym_segment = 0;
    if (w->sym_trail != NULL) memset(w->sym_trail, 0, (size_t)cfg->process_count * sizeof *w->sym_trail);
    w->pid_next = 100;
    w->epoch = 0;
    w->msg_serial = 0;
    memset(w->signals, 0, sizeof w->signals);
    w->trace_hash = CM_TRACE_HASH_SEED;
    w->history = 0;
    w->event_count = 0;
    w->events_kept = 0;
    w->heap_count = 0;
    w->due_count = 0;
    w->candidate_count = 0;
    for (uint32_t i = 0; i < w->thread_total; i++) cm_thread_clear(&w->threads[i]);
    memset(w->processes, 0, (size_t)cfg->process_count * sizeof *w->processes);
    layout_processes(w);
    for (uint32_t s = 0; s < w->slot_total; s++) {
        w->slots[s] = CM_NO_PORT;
        w->slot_sources[s] = -1;
    }
    cm_names_reset(w);
    for (uint16_t p = 0; p < cfg->process_count; p++) {
        cm_timer_add(w, cfg->processes[p].start_ns, CM_TM_START, p, 0);
    }
    for (uint16_t f = 0; f < cfg->fault_count; f++) {
        if (!cfg->faults[f].on_signal) cm_timer_add(w, cfg->faults[f].at_ns, CM_TM_FAULT, f, 0);
    }
    assert(w->heap_count >= cfg->process_count || w->nomem); /* every process has its start */
}

cm_result cm_world_create(const cm_world_config *cfg, cm_world **out)
{
    assert(cfg != NULL && out != NULL);
    *out = NULL;
    cm_config_error err;
    if (!cm_world_config_validate(cfg, &err)) return CM_ERR_CONFIG;
    cm_world *w = cfg->alloc.realloc(cfg->alloc.ctx, NULL, 0, sizeof *w);
    if (w == NULL) return CM_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    w->strategy = cfg->strategy;
    w->strategy_ctx = cfg->strategy_ctx;
    init_pools(w);
    if (cfg->trace_capacity > 0) {
        w->events = alloc_array(w, cfg->trace_capacity, sizeof *w->events);
    }
    if (cfg->track_symmetry) {
        w->sym_class = alloc_array(w, cfg->process_count, sizeof *w->sym_class);
        w->sym_trail = alloc_array(w, cfg->process_count, sizeof *w->sym_trail);
        if (w->sym_class != NULL) cm_world_config_symmetry(cfg, w->sym_class);
    }
    if (allocate_processes(w) != CM_OK || cm_names_init(w) != CM_OK || w->nomem) {
        cm_world_destroy(w);
        return CM_ERR_NOMEM;
    }
    start_run(w);
    if (w->nomem) {
        cm_world_destroy(w);
        return CM_ERR_NOMEM;
    }
    assert(w->end_reason == CM_END_NONE && w->now_ns == 0);
    *out = w;
    return CM_OK;
}

cm_result cm_world_reset(cm_world *w, const cm_strategy *strategy, void *strategy_ctx)
{
    assert(w != NULL && strategy != NULL);
    assert(w->processes != NULL && w->threads != NULL); /* made by cm_world_create */
    w->strategy = strategy;
    w->strategy_ctx = strategy_ctx;
    w->nomem = 0;
    start_run(w);
    return w->nomem ? CM_ERR_NOMEM : CM_OK;
}

void cm_world_destroy(cm_world *w)
{
    if (w == NULL) return;
    assert(w->cfg.alloc.realloc != NULL);
    assert(w->heap_count <= w->heap_capacity && w->due_count <= w->due_capacity);
    const cm_world_config *cfg = &w->cfg;
    cm_pool *pools[POOL_COUNT];
    pool_list(w, pools);
    for (uint32_t i = 0; i < POOL_COUNT; i++) cm_pool_fini(w, pools[i]);
    cm_names_fini(w);
    free_array(w, w->events, cfg->trace_capacity, sizeof *w->events);
    free_array(w, w->processes, cfg->process_count, sizeof *w->processes);
    free_array(w, w->threads, w->thread_total, sizeof *w->threads);
    free_array(w, w->queues, w->queue_total, sizeof *w->queues);
    free_array(w, w->slots, w->slot_total, sizeof *w->slots);
    free_array(w, w->slot_sources, w->slot_total, sizeof *w->slot_sources);
    free_array(w, w->candidates, w->thread_total, sizeof *w->candidates);
    free_array(w, w->sym_class, cfg->process_count, sizeof *w->sym_class);
    free_array(w, w->sym_trail, cfg->process_count, sizeof *w->sym_trail);
    if (w->heap) cm_mem_realloc(w, w->heap, (size_t)w->heap_capacity * sizeof *w->heap, 0);
    if (w->due) cm_mem_realloc(w, w->due, (size_t)w->due_capacity * sizeof *w->due, 0);
    if (w->options) {
        cm_mem_realloc(w, w->options, (size_t)w->options_capacity * sizeof *w->options, 0);
    }
    if (w->option_ref) {
        cm_mem_realloc(w, w->option_ref, (size_t)w->refs_capacity * sizeof *w->option_ref, 0);
    }
    cm_alloc alloc = cfg->alloc;
    alloc.realloc(alloc.ctx, w, sizeof *w, 0);
}

/* ---- accessors --------------------------------------------------------- */

_Static_assert(CM_EV_KIND_COUNT <= 64, "event kinds fit the skip mask");

void cm_world_set_event_skip(cm_world *w, uint64_t kinds)
{
    w->event_skip = kinds;
}

cm_time_ns cm_world_now_ns(const cm_world *w) { return w->now_ns; }
cm_end_reason cm_world_end_reason(const cm_world *w) { return (cm_end_reason)w->end_reason; }
uint64_t cm_world_trace_hash(const cm_world *w) { return w->trace_hash; }
uint64_t cm_world_event_count(const cm_world *w) { return w->event_count; }
uint64_t cm_world_choice_count(const cm_world *w) { return w->choice_ordinal; }
uint64_t cm_world_step_count(const cm_world *w) { return w->step_count; }

/* A thread's next step is local (cm_world.h): the short list, checked against the state. */
static bool thread_step_local(const cm_world *w, const cm_thread *t)
{
    assert(w != NULL && cm_thread_in(w, t));
    assert(t->depth <= CM_STACK_MAX);
    if (!t->alive || t->depth == 0) return false; /* executors take blocks from shared queues */
    const cm_frame *f = &t->frames[t->depth - 1];
    if (f->kind == CM_FR_SLEEP) { /* the end of a sleep: pops, the caller's pc moves on */
        if (f->flags & CM_FRF_HOLD) return true;
        if (w->now_ns < f->deadline_ns || t->depth < 2) return false;
        uint8_t caller = t->frames[t->depth - 2].kind;
        return caller == CM_FR_PROGRAM || caller == CM_FR_CALLOUT || caller == CM_FR_TIMER ||
               caller == CM_FR_BLOCK;
    }
    if (f->kind != CM_FR_PROGRAM && f->kind != CM_FR_CALLOUT && f->kind != CM_FR_TIMER &&
        f->kind != CM_FR_BLOCK) {
        return false;
    }
    const cm_program *prog = &w->cfg.programs[f->program];
    if (f->pc >= prog->count) return false; /* the program's end: a process may exit */
    const cm_op *op = &prog->ops[f->pc];
    if (op->when.flags != 0 || op->kind != CM_OP_CREATE_REMOTE) return false;
    if (op->name == CM_NONE32) return false; /* R13: the process dies */
    uint32_t name = cm_name_of_blob(w, op->name);
    if (name == CM_NONE32) return false;
    /* R23: a cached remote is checked with IsValid, which may invalidate it */
    return w->remote_table[(size_t)t->process * w->name_count + name] < 0;
}

cm_option_footprint cm_world_option_footprint(const cm_world *w, uint32_t option)
{
    assert(w != NULL);
    cm_option_footprint fp = {.key = 0, .process = CM_NONE16, .local = false};
    assert(option < w->due_count + w->candidate_count);
    uint32_t ref = w->option_ref[option];
    if (!(ref & UINT32_C(0x80000000))) {
        const cm_timer *tm = &w->due[ref];
        fp.key = UINT64_C(1) << 63 | tm->seq; /* a pending timer keeps its seq */
        if (tm->kind == CM_TM_START && tm->a >= 0 && tm->a < w->cfg.process_count) {
            const cm_process *proc = &w->processes[tm->a];
            if (proc->incarnation == 0 && proc->state == CM_PROC_NOT_STARTED) {
                fp.local = true; /* a first start: no earlier incarnation to tear down */
                fp.process = (uint16_t)tm->a;
            }
        }
        return fp;
    }
    const cm_thread *t = &w->threads[ref & UINT32_C(0x7FFFFFFF)];
    fp.key = (uint64_t)t->process << 16 | t->index;
    fp.local = thread_step_local(w, t);
    fp.process = fp.local ? t->process : CM_NONE16;
    return fp;
}
/* Option i's process and step label for the symmetry predicate; false: not a step it compares. */
static bool sym_option(const cm_world *w, uint32_t option, uint16_t *process, uint32_t *label)
{
    assert(option < w->due_count + w->candidate_count);
    uint32_t ref = w->option_ref[option];
    if (!(ref & UINT32_C(0x80000000))) {
        const cm_timer *tm = &w->due[ref];
        if (!sym_first_start(w, tm)) return false;
        *process = (uint16_t)tm->a;
        *label = CM_NONE16;
        return true;
    }
    const cm_thread *t = &w->threads[ref & UINT32_C(0x7FFFFFFF)];
    *process = t->process;
    *label = t->index;
    return true;
}

bool cm_world_options_symmetric(const cm_world *w, uint32_t a, uint32_t b)
{
    assert(w != NULL);
    if (w->sym_trail == NULL || w->sym_class == NULL || a == b) return false;
    uint16_t p = CM_NONE16, q = CM_NONE16;
    uint32_t la = 0, lb = 0;
    if (!sym_option(w, a, &p, &la) || !sym_option(w, b, &q, &lb)) return false;
    assert(p < w->cfg.process_count && q < w->cfg.process_count);
    if (p == q || la != lb || w->sym_class[p] == CM_NONE16 || w->sym_class[p] != w->sym_class[q]) return false;
    return w->sym_trail[p] != CM_SYM_LOST && w->sym_trail[p] == w->sym_trail[q];
}

const cm_world_config *cm_world_config_of(const cm_world *w) { return &w->cfg; }

const cm_event *cm_world_events(const cm_world *w, uint32_t *count)
{
    *count = w->events_kept;
    return w->events;
}

uint32_t cm_world_port_count(const cm_world *w) { return w->ports.count; }

cm_port_info cm_world_port_info(const cm_world *w, int32_t port)
{
    assert(w != NULL && w->ports.count <= w->ports.capacity);
    cm_port_info info = {.exists = false, .name_id = CM_NONE32};
    if (port < 0 || (uint32_t)port >= w->ports.count) return info;
    const cm_port *p = CM_PORT(w, port);
    info.exists = true;
    info.remote = p->remote;
    info.valid = p->state == CM_PS_VALID;
    info.deallocated = p->state == CM_PS_DEALLOCATED;
    info.process = p->process;
    info.refcount = p->refcount;
    info.name_id = p->name;
    info.retain_calls = p->retain_calls;
    info.release_calls = p->release_calls;
    info.copydesc_calls = p->copydesc_calls;
    info.invalidation_callbacks = p->icallback_calls;
    info.conv_counter = p->conv_counter;
    assert(info.refcount >= 0 && (info.valid ? info.refcount > 0 : true));
    return info;
}

int32_t cm_world_message_data(const cm_world *w, int32_t serial)
{
    assert(w != NULL && w->msgs.count <= w->msgs.capacity);
    assert(w->msg_serial >= 0);
    for (uint32_t i = 0; serial >= 0 && i < w->msgs.count; i++) {
        const cm_msg *m = CM_MSG(w, (int32_t)i);
        if (m->serial == serial) return cm_data_encode(m->data); /* serials are never reused */
    }
    return cm_data_encode(CM_DATA_NULL);
}

cm_blob cm_world_name(const cm_world *w, int32_t name_id)
{
    if (name_id < 0 || (uint32_t)name_id >= w->name_count) return (cm_blob){NULL, 0};
    const cm_blob *b = &w->cfg.blobs[w->name_blob[name_id]];
    return (cm_blob){b->bytes, w->name_size[name_id]};
}

cm_blob cm_world_mode_name(const cm_world *w, uint16_t mode)
{
    assert(w != NULL);
    assert(w->cfg.mode_count == 0 || w->cfg.mode_names != NULL);
    static const uint8_t def[] = "kCFRunLoopDefaultMode";
    static const uint8_t common[] = "kCFRunLoopCommonModes";
    static const uint8_t none[] = "NULL";
    if (mode == CM_MODE_DEFAULT) return (cm_blob){def, sizeof def - 1};
    if (mode == CM_MODE_COMMON) return (cm_blob){common, sizeof common - 1};
    if (mode == CM_MODE_NONE || mode - 2u >= w->cfg.mode_count) return (cm_blob){none, 4};
    return w->cfg.blobs[w->cfg.mode_names[mode - 2u]];
}
