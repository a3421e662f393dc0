/*
 * dispatch_queue.c — the <dispatch/dispatch.h> subset: serial and concurrent queues, the
 * global queues, the main queue, dispatch_after, semaphores, groups, dispatch_once,
 * dispatch_apply and dispatch_main.
 *
 * Every object starts with struct dispatch_object_s (reference count, kind, context,
 * finalizer). A queue runs its items on worker threads it starts when work arrives: at most one
 * for a serial queue, up to CFMP_QUEUE_WIDTH for a concurrent one (another starts while items
 * are runnable and no worker is idle). Items start in FIFO order; a barrier item starts only
 * when nothing else of its queue runs, and nothing starts while it runs. A worker holds a
 * reference to its queue and exits after CFMP_QUEUE_IDLE_NS without work, so an idle queue
 * owns no thread. The main queue has no worker: it is a version 0 run-loop source of the main
 * thread's run loop in the common modes (as on macOS), or dispatch_main() drains it.
 * dispatch_after keeps its items on one timer thread (started on demand, exits when idle).
 */
#include "cfmp_internal.h"

#include <dispatch/dispatch.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CFMP_QUEUE_IDLE_NS (200u * 1000u * 1000u)
#define CFMP_QUEUE_LABEL_MAX 64
#define CFMP_QUEUE_WIDTH 64u /* workers of a concurrent queue (libdispatch's pool is 64 too) */
#define CFMP_GLOBAL_QUEUES 5

enum cfmp_dispatch_kind {
    CFMP_DISPATCH_QUEUE = 0x71756575u,     /* "queu" */
    CFMP_DISPATCH_SEMAPHORE = 0x73656d61u, /* "sema" */
    CFMP_DISPATCH_GROUP = 0x67727075u,     /* "grpu" */
    CFMP_DISPATCH_ATTR = 0x61747472u,      /* "attr" */
};

struct dispatch_object_s {
    _Atomic int32_t refs; /* CFMP_REFS_IMMORTAL for the main and global queues */
    uint32_t kind;
    void *context;
    dispatch_function_t finalizer;
};

/* The object behind a dispatch_object_t (a transparent union with clang, void * with gcc). */
#if defined(__CFMP_DISPATCH_OBJECT_IS_UNION)
#define CFMP_DISPATCH_PTR(object) ((struct dispatch_object_s *)(object)._do)
#else
#define CFMP_DISPATCH_PTR(object) ((struct dispatch_object_s *)(object))
#endif

struct dispatch_queue_attr_s {
    struct dispatch_object_s header;
};

struct dispatch_queue_attr_s _dispatch_queue_attr_concurrent = {
    {CFMP_REFS_IMMORTAL, CFMP_DISPATCH_ATTR, NULL, NULL}};

struct cfmp_work {
    struct cfmp_work *next;
    dispatch_function_t function;
    void *context;
    bool barrier;
};

struct dispatch_queue_s {
    struct dispatch_object_s header;
    bool is_main;
    unsigned width; /* 1: serial */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: work became runnable (idle workers, dispatch_main) */
    struct cfmp_work *head;
    struct cfmp_work *tail;
    unsigned workers; /* live worker threads */
    unsigned idle;    /* workers waiting for work */
    unsigned running; /* items running */
    bool barrier_running;
    uint32_t suspend_count;
    char label[CFMP_QUEUE_LABEL_MAX];
};

/* Live threads of the library that exit can wait for (see cfmp_workers_wait_at_exit). */
static pthread_mutex_t cfmp_workers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cfmp_workers_cond = PTHREAD_COND_INITIALIZER;
static int cfmp_workers_live;
static pid_t cfmp_workers_pid;
static _Thread_local bool cfmp_on_worker;
static atomic_bool cfmp_exiting; /* exit() has begun: library threads stop taking work */
static _Thread_local dispatch_queue_t cfmp_current_queue;

static struct dispatch_queue_s cfmp_main_queue = {
    .header = {CFMP_REFS_IMMORTAL, CFMP_DISPATCH_QUEUE, NULL, NULL},
    .is_main = true,
    .width = 1,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .label = "com.apple.main-thread",
};

/* A queue (queue->lock held, or not yet shared): serial or CFMP_QUEUE_WIDTH wide, no more
 * items running and workers live than its width, idle workers among the live ones, a barrier
 * item running alone, head and tail set together. O(1). */
static bool cfmp_queue_validate(const struct dispatch_queue_s *queue) {
    if (queue == NULL || queue->header.kind != CFMP_DISPATCH_QUEUE) return false;
    if (queue->width != 1 && queue->width != CFMP_QUEUE_WIDTH) return false;
    if (queue->running > queue->width || queue->workers > queue->width) return false;
    if (queue->idle > queue->workers || (queue->barrier_running && queue->running != 1)) return false;
    if (queue->is_main && queue->workers != 0) return false;
    return (queue->head == NULL) == (queue->tail == NULL);
}

static void *cfmp_dispatch_alloc(size_t size, enum cfmp_dispatch_kind kind) {
    assert(size >= sizeof(struct dispatch_object_s));
    assert(kind == CFMP_DISPATCH_QUEUE || kind == CFMP_DISPATCH_SEMAPHORE || kind == CFMP_DISPATCH_GROUP);
    struct dispatch_object_s *object = calloc(1, size);
    if (object == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    atomic_init(&object->refs, 1);
    object->kind = kind;
    assert(object->context == NULL && object->finalizer == NULL); /* exit: zeroed */
    return object;
}

static void cfmp_cond_init_monotonic(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* Absolute CLOCK_MONOTONIC timespec of a dispatch time (monotonic nanoseconds). */
static struct timespec cfmp_timespec_of(uint64_t deadline_ns) {
    struct timespec until;
    until.tv_sec = (time_t)(deadline_ns / CFMP_NS_PER_S);
    until.tv_nsec = (long)(deadline_ns % CFMP_NS_PER_S);
    assert(until.tv_nsec >= 0 && until.tv_nsec < (long)CFMP_NS_PER_S); /* else EINVAL */
    return until;
}

/* ---- time ------------------------------------------------------------------------------ */

dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta) {
    if (when == DISPATCH_TIME_FOREVER) return DISPATCH_TIME_FOREVER;
    uint64_t base = when == DISPATCH_TIME_NOW || when == DISPATCH_WALLTIME_NOW ? cfmp_now_ns()
                                                                               : when;
    if (delta >= 0) {
        uint64_t add = (uint64_t)delta;
        return base >= DISPATCH_TIME_FOREVER - 1 - add ? DISPATCH_TIME_FOREVER - 1 : base + add;
    }
    uint64_t sub = delta == INT64_MIN ? (uint64_t)INT64_MAX + 1 : (uint64_t)-delta;
    return base > sub + 1 ? base - sub : 1; /* 0 would mean "now" */
}

dispatch_time_t dispatch_walltime(const struct timespec *when, int64_t delta) {
    struct timespec now_wall;
    clock_gettime(CLOCK_REALTIME, &now_wall);
    const struct timespec *base = when != NULL ? when : &now_wall;
    double offset_ns = ((double)base->tv_sec - (double)now_wall.tv_sec) * 1e9 +
                       ((double)base->tv_nsec - (double)now_wall.tv_nsec) + (double)delta;
    if (offset_ns >= 9.0e18) return DISPATCH_TIME_FOREVER - 1;
    if (offset_ns <= -9.0e18) return 1;
    return dispatch_time(DISPATCH_TIME_NOW, (int64_t)offset_ns);
}

/* ---- objects ----------------------------------------------------------------------------- */

static struct dispatch_object_s *cfmp_dispatch_checked(dispatch_object_t object,
                                                       const char *function) {
    struct dispatch_object_s *header = CFMP_DISPATCH_PTR(object);
    if (header == NULL) cfmp_precondition_violation(function, "NULL object");
    if (header->kind != CFMP_DISPATCH_QUEUE && header->kind != CFMP_DISPATCH_SEMAPHORE &&
        header->kind != CFMP_DISPATCH_GROUP && header->kind != CFMP_DISPATCH_ATTR) {
        cfmp_precondition_violation(function, "not a dispatch object");
    }
    return header;
}

void dispatch_retain(dispatch_object_t object) {
    struct dispatch_object_s *header = cfmp_dispatch_checked(object, "dispatch_retain");
    if (atomic_load_explicit(&header->refs, memory_order_relaxed) == CFMP_REFS_IMMORTAL) return;
    int32_t before = atomic_fetch_add(&header->refs, 1);
    if (before <= 0) cfmp_precondition_violation("dispatch_retain", "object already released");
}

static void cfmp_queue_dispose(struct dispatch_queue_s *queue);
static void cfmp_semaphore_dispose(struct dispatch_semaphore_s *semaphore);
static void cfmp_group_dispose(struct dispatch_group_s *group);

void dispatch_release(dispatch_object_t object) {
    struct dispatch_object_s *header = cfmp_dispatch_checked(object, "dispatch_release");
    if (atomic_load_explicit(&header->refs, memory_order_relaxed) == CFMP_REFS_IMMORTAL) return;
    int32_t before = atomic_fetch_sub(&header->refs, 1);
    if (before <= 0) cfmp_precondition_violation("dispatch_release", "over-release");
    if (before != 1) return;
    if (header->finalizer != NULL) header->finalizer(header->context);
    switch (header->kind) {
    case CFMP_DISPATCH_QUEUE: cfmp_queue_dispose((struct dispatch_queue_s *)header); break;
    case CFMP_DISPATCH_SEMAPHORE:
        cfmp_semaphore_dispose((struct dispatch_semaphore_s *)header);
        break;
    case CFMP_DISPATCH_GROUP: cfmp_group_dispose((struct dispatch_group_s *)header); break;
    default: break;
    }
    header->kind = 0;
    free(header);
}

void *dispatch_get_context(dispatch_object_t object) {
    return cfmp_dispatch_checked(object, "dispatch_get_context")->context;
}

void dispatch_set_context(dispatch_object_t object, void *context) {
    struct dispatch_object_s *header = cfmp_dispatch_checked(object, "dispatch_set_context");
    if (header->refs != CFMP_REFS_IMMORTAL) header->context = context; /* ignored on globals */
}

void dispatch_set_finalizer_f(dispatch_object_t object, dispatch_function_t finalizer) {
    struct dispatch_object_s *header = cfmp_dispatch_checked(object, "dispatch_set_finalizer_f");
    if (header->refs != CFMP_REFS_IMMORTAL) header->finalizer = finalizer;
}

/* ---- queues ------------------------------------------------------------------------------ */

static void cfmp_queue_init(struct dispatch_queue_s *queue, const char *label, unsigned width) {
    assert(queue != NULL && width >= 1);
    queue->width = width;
    pthread_mutex_init(&queue->lock, NULL);
    cfmp_cond_init_monotonic(&queue->cond);
    if (label != NULL) snprintf(queue->label, sizeof queue->label, "%s", label);
    assert(cfmp_queue_validate(queue)); /* exit: empty, no workers */
}

static void cfmp_queue_dispose(struct dispatch_queue_s *queue) {
    assert(queue->head == NULL && queue->workers == 0);
    assert(queue->running == 0 && queue->idle == 0 && !queue->is_main);
    pthread_mutex_destroy(&queue->lock);
    pthread_cond_destroy(&queue->cond);
}

dispatch_queue_t dispatch_queue_create(const char *label, dispatch_queue_attr_t attr) {
    if (attr != NULL && attr != &_dispatch_queue_attr_concurrent) {
        cfmp_precondition_violation("dispatch_queue_create", "unknown queue attribute");
    }
    struct dispatch_queue_s *queue = cfmp_dispatch_alloc(sizeof *queue, CFMP_DISPATCH_QUEUE);
    cfmp_queue_init(queue, label, attr == NULL ? 1 : CFMP_QUEUE_WIDTH);
    return queue;
}

dispatch_queue_attr_t dispatch_queue_attr_make_with_qos_class(dispatch_queue_attr_t attr,
                                                              qos_class_t qos_class,
                                                              int relative_priority) {
    (void)qos_class;
    (void)relative_priority;
    return attr;
}

dispatch_queue_main_t dispatch_get_main_queue(void) { return &cfmp_main_queue; }

static struct dispatch_queue_s cfmp_global_queues[CFMP_GLOBAL_QUEUES];
static pthread_once_t cfmp_global_once = PTHREAD_ONCE_INIT;

static void cfmp_global_queues_init(void) {
    static const char *const labels[CFMP_GLOBAL_QUEUES] = {
        "com.apple.root.user-interactive-qos", "com.apple.root.user-initiated-qos",
        "com.apple.root.default-qos", "com.apple.root.utility-qos",
        "com.apple.root.background-qos"};
    for (int i = 0; i < CFMP_GLOBAL_QUEUES; i++) {
        struct dispatch_queue_s *queue = &cfmp_global_queues[i];
        atomic_init(&queue->header.refs, CFMP_REFS_IMMORTAL);
        queue->header.kind = CFMP_DISPATCH_QUEUE;
        cfmp_queue_init(queue, labels[i], CFMP_QUEUE_WIDTH);
    }
}

dispatch_queue_global_t dispatch_get_global_queue(intptr_t identifier, uintptr_t flags) {
    if ((flags & ~(uintptr_t)2) != 0) return NULL; /* 2: DISPATCH_QUEUE_OVERCOMMIT, accepted */
    int index;
    switch (identifier) {
    case QOS_CLASS_USER_INTERACTIVE: index = 0; break;
    case QOS_CLASS_USER_INITIATED:
    case DISPATCH_QUEUE_PRIORITY_HIGH: index = 1; break;
    case QOS_CLASS_DEFAULT:
    case DISPATCH_QUEUE_PRIORITY_DEFAULT: index = 2; break; /* also QOS_CLASS_UNSPECIFIED */
    case QOS_CLASS_UTILITY:
    case DISPATCH_QUEUE_PRIORITY_LOW: index = 3; break;
    case QOS_CLASS_BACKGROUND:
    case DISPATCH_QUEUE_PRIORITY_BACKGROUND: index = 4; break;
    default: return NULL;
    }
    pthread_once(&cfmp_global_once, cfmp_global_queues_init);
    assert(index >= 0 && index < CFMP_GLOBAL_QUEUES);
    assert(cfmp_global_queues[index].width == CFMP_QUEUE_WIDTH); /* initialized once */
    return &cfmp_global_queues[index];
}

static bool cfmp_is_global_queue(dispatch_queue_t queue) {
    return queue >= &cfmp_global_queues[0] && queue < &cfmp_global_queues[CFMP_GLOBAL_QUEUES];
}

const char *dispatch_queue_get_label(dispatch_queue_t queue) {
    if (queue == NULL) { /* DISPATCH_CURRENT_QUEUE_LABEL */
        if (cfmp_current_queue != NULL) return cfmp_current_queue->label;
        return cfmp_is_main_thread() ? cfmp_main_queue.label : "";
    }
    return queue->label;
}

dispatch_queue_t dispatch_get_current_queue(void) {
    if (cfmp_current_queue != NULL) return cfmp_current_queue;
    if (cfmp_is_main_thread()) return &cfmp_main_queue;
    return dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_DEFAULT, 0);
}

void dispatch_set_target_queue(dispatch_object_t object, dispatch_queue_t queue) {
    (void)cfmp_dispatch_checked(object, "dispatch_set_target_queue");
    if (queue == NULL || cfmp_is_global_queue(queue)) return; /* a priority: nothing to do */
    static atomic_bool warned;
    if (!atomic_exchange(&warned, true)) {
        fprintf(stderr, "libcfmp: dispatch_set_target_queue to a queue other than a global "
                        "queue is not supported; ignored\n");
    }
}

/* Whether the head item may start now (queue->lock held). */
static bool cfmp_queue_runnable(const struct dispatch_queue_s *queue) {
    assert(cfmp_queue_validate(queue)); /* queue->lock held */
    const struct cfmp_work *head = queue->head;
    if (head == NULL || queue->suspend_count > 0 || queue->barrier_running) return false;
    if (queue->running >= queue->width) return false;
    return !head->barrier || queue->running == 0;
}

static struct cfmp_work *cfmp_queue_pop(struct dispatch_queue_s *queue) {
    assert(cfmp_queue_validate(queue) && queue->head != NULL); /* runnable, lock held */
    struct cfmp_work *work = queue->head;
    if (work != NULL) {
        queue->head = work->next;
        if (queue->head == NULL) queue->tail = NULL;
    }
    assert(cfmp_queue_validate(queue));
    return work;
}

/* Starts one more worker when work is runnable and nobody idle can take it (lock held);
 * returns whether the caller must start the thread (after unlocking). */
static bool cfmp_queue_needs_worker(struct dispatch_queue_s *queue) {
    assert(cfmp_queue_validate(queue)); /* queue->lock held */
    if (queue->is_main || !cfmp_queue_runnable(queue)) return false;
    if (queue->idle > 0) {
        pthread_cond_signal(&queue->cond);
        return false;
    }
    if (queue->workers >= queue->width) return false;
    queue->workers++;
    assert(queue->workers <= queue->width);
    return true;
}

static void cfmp_queue_start_worker(struct dispatch_queue_s *queue);

static void *cfmp_queue_worker(void *argument) {
    assert(argument != NULL);
    assert(!((struct dispatch_queue_s *)argument)->is_main); /* the main queue has no worker */
    struct dispatch_queue_s *queue = argument;
    cfmp_on_worker = true;
    cfmp_current_queue = queue;
    pthread_mutex_lock(&queue->lock);
    for (;;) { /* ends when the queue has had nothing runnable for the idle time, or at exit */
        if (atomic_load(&cfmp_exiting)) break;
        if (cfmp_queue_runnable(queue)) {
            struct cfmp_work *work = cfmp_queue_pop(queue);
            assert(work != NULL && work->function != NULL); /* runnable: a head item */
            queue->running++;
            if (work->barrier) queue->barrier_running = true;
            bool another = cfmp_queue_needs_worker(queue); /* parallelism on concurrent queues */
            pthread_mutex_unlock(&queue->lock);
            if (another) cfmp_queue_start_worker(queue);
            work->function(work->context);
            pthread_mutex_lock(&queue->lock);
            queue->running--;
            if (work->barrier) {
                queue->barrier_running = false;
                pthread_cond_broadcast(&queue->cond); /* items behind it may start */
            }
            free(work);
            assert(cfmp_queue_validate(queue));
            continue;
        }
        struct timespec until = cfmp_timespec_of(cfmp_now_ns() + CFMP_QUEUE_IDLE_NS);
        queue->idle++;
        int rc = pthread_cond_timedwait(&queue->cond, &queue->lock, &until);
        queue->idle--;
        if (rc == ETIMEDOUT && !cfmp_queue_runnable(queue)) break;
    }
    queue->workers--;
    pthread_mutex_unlock(&queue->lock);
    cfmp_current_queue = NULL;
    dispatch_release(queue); /* the worker's reference */
    pthread_mutex_lock(&cfmp_workers_lock);
    cfmp_workers_live--;
    pthread_cond_broadcast(&cfmp_workers_cond);
    pthread_mutex_unlock(&cfmp_workers_lock);
    return NULL;
}

static pthread_mutex_t cfmp_after_lock;
static pthread_cond_t cfmp_after_cond;

/* At exit, library threads stop taking work: idle workers end within CFMP_QUEUE_IDLE_NS (the
 * global queues' at once), the dispatch_after thread at once (its pending items are dropped,
 * as the process ends), and exit waits (bounded) for them so none is left running (Valgrind
 * reports live threads' stacks as possibly lost). A worker calling exit() does not wait for
 * itself; one busy in an item is waited for up to 2 s. */
static void cfmp_workers_wait_at_exit(void) {
    if (getpid() != cfmp_workers_pid) return;
    atomic_store(&cfmp_exiting, true);
    pthread_mutex_lock(&cfmp_after_lock);
    pthread_cond_broadcast(&cfmp_after_cond);
    pthread_mutex_unlock(&cfmp_after_lock);
    for (int i = 0; i < CFMP_GLOBAL_QUEUES && cfmp_global_queues[i].width > 0; i++) {
        pthread_mutex_lock(&cfmp_global_queues[i].lock);
        pthread_cond_broadcast(&cfmp_global_queues[i].cond);
        pthread_mutex_unlock(&cfmp_global_queues[i].lock);
    }
    int self = cfmp_on_worker ? 1 : 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&cfmp_workers_lock);
    int rc = 0;
    while (cfmp_workers_live > self && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&cfmp_workers_cond, &cfmp_workers_lock, &until);
    }
    pthread_mutex_unlock(&cfmp_workers_lock);
}

static pthread_once_t cfmp_workers_once = PTHREAD_ONCE_INIT;

static void cfmp_workers_init(void) {
    cfmp_workers_pid = getpid();
    atexit(cfmp_workers_wait_at_exit);
}

/* Starts a detached library thread counted in cfmp_workers_live. */
static void cfmp_start_thread(void *(*body)(void *), void *argument) {
    assert(body != NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    pthread_once(&cfmp_workers_once, cfmp_workers_init);
    pthread_mutex_lock(&cfmp_workers_lock);
    cfmp_workers_live++;
    assert(cfmp_workers_live > 0);
    pthread_mutex_unlock(&cfmp_workers_lock);
    int rc = pthread_create(&thread, &attr, body, argument);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "libcfmp: pthread_create: %s\n", strerror(rc));
        abort();
    }
}

static void cfmp_queue_start_worker(struct dispatch_queue_s *queue) {
    dispatch_retain(queue); /* the worker's reference */
    cfmp_start_thread(cfmp_queue_worker, queue);
}

static void cfmp_queue_submit(dispatch_queue_t queue, void *context, dispatch_function_t work,
                              bool barrier, const char *function) {
    if (queue == NULL || work == NULL) cfmp_precondition_violation(function, "NULL queue or work");
    if (queue->header.kind != CFMP_DISPATCH_QUEUE) cfmp_precondition_violation(function, "not a queue");
    struct cfmp_work *item = malloc(sizeof *item);
    if (item == NULL) abort();
    *item = (struct cfmp_work){NULL, work, context, barrier && queue->width > 1};
    pthread_mutex_lock(&queue->lock);
    if (queue->tail != NULL) {
        queue->tail->next = item;
    } else {
        queue->head = item;
    }
    queue->tail = item;
    assert(cfmp_queue_validate(queue));
    bool start = cfmp_queue_needs_worker(queue);
    if (queue->is_main) pthread_cond_signal(&queue->cond); /* dispatch_main */
    pthread_mutex_unlock(&queue->lock);
    if (start) cfmp_queue_start_worker(queue);
    if (queue->is_main) {
        CFRunLoopSourceSignal(cfmp_main_queue_source());
        CFRunLoopWakeUp(CFRunLoopGetMain());
    }
}

void dispatch_async_f(dispatch_queue_t queue, void *context, dispatch_function_t work) {
    cfmp_queue_submit(queue, context, work, false, "dispatch_async_f");
}

void dispatch_barrier_async_f(dispatch_queue_t queue, void *context, dispatch_function_t work) {
    cfmp_queue_submit(queue, context, work, true, "dispatch_barrier_async_f");
}

void dispatch_suspend(dispatch_object_t object) {
    struct dispatch_object_s *header = cfmp_dispatch_checked(object, "dispatch_suspend");
    if (header->kind != CFMP_DISPATCH_QUEUE) return;
    struct dispatch_queue_s *queue = (struct dispatch_queue_s *)header;
    if (queue->is_main || cfmp_is_global_queue(queue)) return; /* as libdispatch: no effect */
    pthread_mutex_lock(&queue->lock);
    assert(cfmp_queue_validate(queue));
    queue->suspend_count++;
    pthread_mutex_unlock(&queue->lock);
}

void dispatch_resume(dispatch_object_t object) {
    struct dispatch_object_s *header = cfmp_dispatch_checked(object, "dispatch_resume");
    if (header->kind != CFMP_DISPATCH_QUEUE) return;
    struct dispatch_queue_s *queue = (struct dispatch_queue_s *)header;
    if (queue->is_main || cfmp_is_global_queue(queue)) return;
    pthread_mutex_lock(&queue->lock);
    if (queue->suspend_count == 0) {
        pthread_mutex_unlock(&queue->lock);
        cfmp_precondition_violation("dispatch_resume", "over-resume of a queue");
    }
    queue->suspend_count--;
    assert(cfmp_queue_validate(queue));
    bool start = cfmp_queue_needs_worker(queue);
    pthread_mutex_unlock(&queue->lock);
    if (start) cfmp_queue_start_worker(queue);
}

struct cfmp_sync_call {
    dispatch_function_t function;
    void *context;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void cfmp_sync_trampoline(void *argument) {
    assert(argument != NULL);
    struct cfmp_sync_call *call = argument;
    assert(call->function != NULL);
    call->function(call->context);
    pthread_mutex_lock(&call->lock);
    assert(!call->done); /* run once */
    call->done = true;
    pthread_cond_signal(&call->cond);
    pthread_mutex_unlock(&call->lock);
}

static void cfmp_queue_sync(dispatch_queue_t queue, void *context, dispatch_function_t work,
                            bool barrier, const char *function) {
    if (queue == NULL || work == NULL) cfmp_precondition_violation(function, "NULL queue or work");
    if (queue->is_main && cfmp_is_main_thread()) {
        work(context); /* the main thread is the main queue's only executor */
        return;
    }
    struct cfmp_sync_call call = {work, context, PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_COND_INITIALIZER, false};
    cfmp_queue_submit(queue, &call, cfmp_sync_trampoline, barrier, function);
    pthread_mutex_lock(&call.lock);
    while (!call.done) pthread_cond_wait(&call.cond, &call.lock);
    pthread_mutex_unlock(&call.lock);
    pthread_mutex_destroy(&call.lock);
    pthread_cond_destroy(&call.cond);
}

void dispatch_sync_f(dispatch_queue_t queue, void *context, dispatch_function_t work) {
    cfmp_queue_sync(queue, context, work, false, "dispatch_sync_f");
}

void dispatch_barrier_sync_f(dispatch_queue_t queue, void *context, dispatch_function_t work) {
    cfmp_queue_sync(queue, context, work, true, "dispatch_barrier_sync_f");
}

/* ---- dispatch_apply ------------------------------------------------------------------------ */

struct cfmp_apply {
    size_t iterations;
    _Atomic size_t next;
    void *context;
    void (*work)(void *context, size_t iteration);
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned helpers_left; /* helper items not yet finished */
};

/* Takes iterations until none is left (bounded by iterations). */
static void cfmp_apply_take(struct cfmp_apply *apply) {
    for (;;) {
        size_t i = atomic_fetch_add(&apply->next, 1);
        if (i >= apply->iterations) return;
        apply->work(apply->context, i);
    }
}

static void cfmp_apply_helper(void *argument) {
    struct cfmp_apply *apply = argument;
    cfmp_apply_take(apply);
    pthread_mutex_lock(&apply->lock);
    apply->helpers_left--;
    pthread_cond_signal(&apply->cond);
    pthread_mutex_unlock(&apply->lock);
}

static void cfmp_apply_serial(void *argument) { cfmp_apply_take(argument); }

void dispatch_apply_f(size_t iterations, dispatch_queue_t queue, void *context,
                      void (*work)(void *context, size_t iteration)) {
    if (work == NULL) cfmp_precondition_violation("dispatch_apply_f", "NULL work");
    if (iterations == 0) return;
    if (queue == NULL) queue = dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_DEFAULT, 0);
    struct cfmp_apply apply = {iterations, 0, context, work, PTHREAD_MUTEX_INITIALIZER,
                               PTHREAD_COND_INITIALIZER, 0};
    if (queue->width == 1) {
        dispatch_sync_f(queue, &apply, cfmp_apply_serial);
        return;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t helpers = cpus > 1 ? (size_t)cpus - 1 : 0;
    if (helpers > iterations - 1) helpers = iterations - 1;
    apply.helpers_left = (unsigned)helpers;
    for (size_t i = 0; i < helpers; i++) dispatch_async_f(queue, &apply, cfmp_apply_helper);
    cfmp_apply_take(&apply); /* the caller helps, as libdispatch's does */
    pthread_mutex_lock(&apply.lock);
    while (apply.helpers_left > 0) pthread_cond_wait(&apply.cond, &apply.lock);
    pthread_mutex_unlock(&apply.lock);
    pthread_mutex_destroy(&apply.lock);
    pthread_cond_destroy(&apply.cond);
}

/* ---- dispatch_after ---------------------------------------------------------------------- */

struct cfmp_timed {
    struct cfmp_timed *next;
    uint64_t when_ns;
    dispatch_queue_t queue; /* retained */
    void *context;
    dispatch_function_t work;
};

static pthread_mutex_t cfmp_after_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfmp_timed *cfmp_after_list; /* sorted by when_ns */
static bool cfmp_after_running;
static pthread_once_t cfmp_after_once = PTHREAD_ONCE_INIT;

static void cfmp_after_init(void) { cfmp_cond_init_monotonic(&cfmp_after_cond); }

/* Submits due items to their queues; waits for the next; exits after an idle time. */
static void *cfmp_after_thread(void *argument) {
    (void)argument;
    cfmp_on_worker = true;
    pthread_mutex_lock(&cfmp_after_lock);
    for (;;) { /* ends when the list stays empty for the idle time, or at exit */
        if (atomic_load(&cfmp_exiting)) break;
        uint64_t now_ns = cfmp_now_ns();
        while (cfmp_after_list != NULL && cfmp_after_list->when_ns <= now_ns) {
            struct cfmp_timed *due = cfmp_after_list;
            cfmp_after_list = due->next;
            pthread_mutex_unlock(&cfmp_after_lock);
            dispatch_async_f(due->queue, due->context, due->work);
            dispatch_release(due->queue);
            free(due);
            pthread_mutex_lock(&cfmp_after_lock);
        }
        bool idle = cfmp_after_list == NULL;
        uint64_t until_ns = idle ? cfmp_now_ns() + CFMP_QUEUE_IDLE_NS : cfmp_after_list->when_ns;
        struct timespec until = cfmp_timespec_of(until_ns);
        int rc = pthread_cond_timedwait(&cfmp_after_cond, &cfmp_after_lock, &until);
        if (rc == ETIMEDOUT && idle && cfmp_after_list == NULL) break;
    }
    cfmp_after_running = false;
    pthread_mutex_unlock(&cfmp_after_lock);
    pthread_mutex_lock(&cfmp_workers_lock);
    cfmp_workers_live--;
    pthread_cond_broadcast(&cfmp_workers_cond);
    pthread_mutex_unlock(&cfmp_workers_lock);
    return NULL;
}

void dispatch_after_f(dispatch_time_t when, dispatch_queue_t queue, void *context,
                      void (*work)(void *context)) {
    if (queue == NULL || work == NULL) cfmp_precondition_violation("dispatch_after_f", "NULL queue or work");
    if (when == DISPATCH_TIME_FOREVER) return; /* never */
    if (when == DISPATCH_TIME_NOW) {
        dispatch_async_f(queue, context, work);
        return;
    }
    pthread_once(&cfmp_after_once, cfmp_after_init);
    struct cfmp_timed *item = malloc(sizeof *item);
    if (item == NULL) abort();
    dispatch_retain(queue);
    *item = (struct cfmp_timed){NULL, when, queue, context, work};
    pthread_mutex_lock(&cfmp_after_lock);
    struct cfmp_timed **link = &cfmp_after_list;
    while (*link != NULL && (*link)->when_ns <= when) link = &(*link)->next; /* FIFO on ties */
    item->next = *link;
    *link = item;
    bool start = !cfmp_after_running;
    cfmp_after_running = true;
    pthread_cond_signal(&cfmp_after_cond);
    pthread_mutex_unlock(&cfmp_after_lock);
    if (start) cfmp_start_thread(cfmp_after_thread, NULL);
}

/* ---- dispatch_once ------------------------------------------------------------------------- */

static pthread_mutex_t cfmp_once_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cfmp_once_cond = PTHREAD_COND_INITIALIZER;
#define CFMP_ONCE_DONE (~(intptr_t)0) /* libdispatch's "done" value */
#define CFMP_ONCE_RUNNING ((intptr_t)1)

void dispatch_once_f(dispatch_once_t *predicate, void *context, dispatch_function_t function) {
    if (predicate == NULL || function == NULL) cfmp_precondition_violation("dispatch_once_f", "NULL");
    if (__atomic_load_n(predicate, __ATOMIC_ACQUIRE) == CFMP_ONCE_DONE) return;
    pthread_mutex_lock(&cfmp_once_lock);
    while (__atomic_load_n(predicate, __ATOMIC_ACQUIRE) == CFMP_ONCE_RUNNING) {
        pthread_cond_wait(&cfmp_once_cond, &cfmp_once_lock);
    }
    if (__atomic_load_n(predicate, __ATOMIC_ACQUIRE) == CFMP_ONCE_DONE) {
        pthread_mutex_unlock(&cfmp_once_lock);
        return;
    }
    __atomic_store_n(predicate, CFMP_ONCE_RUNNING, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&cfmp_once_lock);
    function(context);
    pthread_mutex_lock(&cfmp_once_lock);
    __atomic_store_n(predicate, CFMP_ONCE_DONE, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&cfmp_once_cond);
    pthread_mutex_unlock(&cfmp_once_lock);
}

/* ---- semaphores -------------------------------------------------------------------------- */

struct dispatch_semaphore_s {
    struct dispatch_object_s header;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long value;
    long waiters;
};

dispatch_semaphore_t dispatch_semaphore_create(long value) {
    if (value < 0) return NULL;
    struct dispatch_semaphore_s *semaphore =
        cfmp_dispatch_alloc(sizeof *semaphore, CFMP_DISPATCH_SEMAPHORE);
    pthread_mutex_init(&semaphore->lock, NULL);
    cfmp_cond_init_monotonic(&semaphore->cond);
    semaphore->value = value;
    return semaphore;
}

static void cfmp_semaphore_dispose(struct dispatch_semaphore_s *semaphore) {
    assert(semaphore->waiters == 0);
    pthread_mutex_destroy(&semaphore->lock);
    pthread_cond_destroy(&semaphore->cond);
}

/* Waits on cond until ready() or the dispatch-time deadline; returns whether ready. */
static bool cfmp_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, dispatch_time_t timeout,
                            bool (*ready)(void *), void *argument) {
    if (timeout == DISPATCH_TIME_NOW) return ready(argument);
    struct timespec until = cfmp_timespec_of(timeout == DISPATCH_TIME_FOREVER ? 0 : timeout);
    int rc = 0;
    while (!ready(argument) && rc != ETIMEDOUT) {
        rc = timeout == DISPATCH_TIME_FOREVER ? pthread_cond_wait(cond, lock)
                                              : pthread_cond_timedwait(cond, lock, &until);
    }
    return ready(argument);
}

static bool cfmp_semaphore_ready(void *argument) {
    return ((struct dispatch_semaphore_s *)argument)->value > 0;
}

long dispatch_semaphore_wait(dispatch_semaphore_t dsema, dispatch_time_t timeout) {
    if (dsema == NULL || dsema->header.kind != CFMP_DISPATCH_SEMAPHORE) {
        cfmp_precondition_violation("dispatch_semaphore_wait", "not a semaphore");
    }
    pthread_mutex_lock(&dsema->lock);
    dsema->waiters++;
    bool got = cfmp_wait_until(&dsema->cond, &dsema->lock, timeout, cfmp_semaphore_ready, dsema);
    dsema->waiters--;
    if (got) dsema->value--;
    pthread_mutex_unlock(&dsema->lock);
    return got ? 0 : 49; /* KERN_OPERATION_TIMED_OUT, libdispatch's non-zero */
}

long dispatch_semaphore_signal(dispatch_semaphore_t dsema) {
    if (dsema == NULL || dsema->header.kind != CFMP_DISPATCH_SEMAPHORE) {
        cfmp_precondition_violation("dispatch_semaphore_signal", "not a semaphore");
    }
    pthread_mutex_lock(&dsema->lock);
    dsema->value++;
    bool woke = dsema->waiters > 0;
    if (woke) pthread_cond_signal(&dsema->cond);
    pthread_mutex_unlock(&dsema->lock);
    return woke ? 1 : 0;
}

/* ---- groups ------------------------------------------------------------------------------- */

struct cfmp_notify {
    struct cfmp_notify *next;
    dispatch_queue_t queue; /* retained */
    void *context;
    dispatch_function_t work;
};

struct dispatch_group_s {
    struct dispatch_object_s header;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long count;
    struct cfmp_notify *notify_head;
    struct cfmp_notify *notify_tail;
};

static struct dispatch_group_s *cfmp_group_checked(dispatch_group_t group, const char *function) {
    if (group == NULL || group->header.kind != CFMP_DISPATCH_GROUP) {
        cfmp_precondition_violation(function, "not a group");
    }
    return group;
}

dispatch_group_t dispatch_group_create(void) {
    struct dispatch_group_s *group = cfmp_dispatch_alloc(sizeof *group, CFMP_DISPATCH_GROUP);
    pthread_mutex_init(&group->lock, NULL);
    cfmp_cond_init_monotonic(&group->cond);
    return group;
}

static void cfmp_group_dispose(struct dispatch_group_s *group) {
    assert(group->count == 0 && group->notify_head == NULL);
    pthread_mutex_destroy(&group->lock);
    pthread_cond_destroy(&group->cond);
}

void dispatch_group_enter(dispatch_group_t group) {
    cfmp_group_checked(group, "dispatch_group_enter");
    pthread_mutex_lock(&group->lock);
    group->count++;
    pthread_mutex_unlock(&group->lock);
}

void dispatch_group_leave(dispatch_group_t group) {
    cfmp_group_checked(group, "dispatch_group_leave");
    pthread_mutex_lock(&group->lock);
    if (group->count == 0) {
        pthread_mutex_unlock(&group->lock);
        cfmp_precondition_violation("dispatch_group_leave", "unbalanced call");
    }
    struct cfmp_notify *notify = NULL;
    if (--group->count == 0) {
        pthread_cond_broadcast(&group->cond);
        notify = group->notify_head;
        group->notify_head = group->notify_tail = NULL;
    }
    pthread_mutex_unlock(&group->lock);
    while (notify != NULL) { /* in the order they were added */
        struct cfmp_notify *next = notify->next;
        dispatch_async_f(notify->queue, notify->context, notify->work);
        dispatch_release(notify->queue);
        free(notify);
        notify = next;
    }
}

static bool cfmp_group_empty(void *argument) {
    return ((struct dispatch_group_s *)argument)->count == 0;
}

long dispatch_group_wait(dispatch_group_t group, dispatch_time_t timeout) {
    cfmp_group_checked(group, "dispatch_group_wait");
    pthread_mutex_lock(&group->lock);
    bool empty = cfmp_wait_until(&group->cond, &group->lock, timeout, cfmp_group_empty, group);
    pthread_mutex_unlock(&group->lock);
    return empty ? 0 : 49;
}

void dispatch_group_notify_f(dispatch_group_t group, dispatch_queue_t queue, void *context,
                             dispatch_function_t work) {
    cfmp_group_checked(group, "dispatch_group_notify_f");
    if (queue == NULL || work == NULL) cfmp_precondition_violation("dispatch_group_notify_f", "NULL");
    pthread_mutex_lock(&group->lock);
    if (group->count == 0) {
        pthread_mutex_unlock(&group->lock);
        dispatch_async_f(queue, context, work);
        return;
    }
    struct cfmp_notify *notify = malloc(sizeof *notify);
    if (notify == NULL) abort();
    dispatch_retain(queue);
    *notify = (struct cfmp_notify){NULL, queue, context, work};
    if (group->notify_tail != NULL) {
        group->notify_tail->next = notify;
    } else {
        group->notify_head = notify;
    }
    group->notify_tail = notify;
    pthread_mutex_unlock(&group->lock);
}

struct cfmp_group_item {
    dispatch_group_t group; /* retained */
    void *context;
    dispatch_function_t work;
};

static void cfmp_group_item_run(void *argument) {
    assert(argument != NULL);
    struct cfmp_group_item *item = argument;
    assert(item->work != NULL && item->group != NULL);
    item->work(item->context);
    dispatch_group_leave(item->group);
    dispatch_release(item->group);
    free(item);
}

void dispatch_group_async_f(dispatch_group_t group, dispatch_queue_t queue, void *context,
                            dispatch_function_t work) {
    cfmp_group_checked(group, "dispatch_group_async_f");
    if (work == NULL) cfmp_precondition_violation("dispatch_group_async_f", "NULL work");
    struct cfmp_group_item *item = malloc(sizeof *item);
    if (item == NULL) abort();
    dispatch_retain(group);
    dispatch_group_enter(group);
    *item = (struct cfmp_group_item){group, context, work};
    dispatch_async_f(queue, item, cfmp_group_item_run);
}

/* ---- the main queue as a run-loop source, and dispatch_main -------------------------------- */

/* Runs the items queued at entry (not ones they enqueue), as one pass of the main queue. */
void cfmp_main_queue_drain(void) {
    struct dispatch_queue_s *queue = &cfmp_main_queue;
    pthread_mutex_lock(&queue->lock);
    assert(cfmp_queue_validate(queue) && queue->is_main);
    struct cfmp_work *batch = queue->head;
    queue->head = queue->tail = NULL;
    pthread_mutex_unlock(&queue->lock);
    dispatch_queue_t saved = cfmp_current_queue;
    cfmp_current_queue = queue;
    while (batch != NULL) {
        struct cfmp_work *next = batch->next;
        batch->function(batch->context);
        free(batch);
        batch = next;
    }
    cfmp_current_queue = saved;
}

bool cfmp_main_queue_pending(void) {
    pthread_mutex_lock(&cfmp_main_queue.lock);
    assert(cfmp_queue_validate(&cfmp_main_queue));
    bool pending = cfmp_main_queue.head != NULL;
    pthread_mutex_unlock(&cfmp_main_queue.lock);
    return pending;
}

void dispatch_main(void) {
    if (!cfmp_is_main_thread()) {
        cfmp_precondition_violation("dispatch_main", "must be called on the main thread");
    }
    for (;;) { /* never returns: the program ends with exit() from some item */
        pthread_mutex_lock(&cfmp_main_queue.lock);
        while (cfmp_main_queue.head == NULL) {
            pthread_cond_wait(&cfmp_main_queue.cond, &cfmp_main_queue.lock);
        }
        pthread_mutex_unlock(&cfmp_main_queue.lock);
        cfmp_main_queue_drain();
    }
}

static void cfmp_main_queue_perform(void *info) {
    (void)info;
    cfmp_main_queue_drain();
    if (cfmp_main_queue_pending()) CFRunLoopSourceSignal(cfmp_main_queue_source());
}

static pthread_once_t cfmp_main_source_once = PTHREAD_ONCE_INIT;
static CFRunLoopSourceRef cfmp_main_source;

static void cfmp_main_source_create(void) {
    CFRunLoopSourceContext context;
    memset(&context, 0, sizeof context);
    context.perform = cfmp_main_queue_perform;
    cfmp_main_source = CFRunLoopSourceCreate(NULL, 0, &context);
    assert(cfmp_main_source != NULL); /* a version 0 context */
    atomic_store(&((struct cfmp_object *)cfmp_main_source)->refs, CFMP_REFS_IMMORTAL);
}

CFRunLoopSourceRef cfmp_main_queue_source(void) {
    pthread_once(&cfmp_main_source_once, cfmp_main_source_create);
    return cfmp_main_source;
}
