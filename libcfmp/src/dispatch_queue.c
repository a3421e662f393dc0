/*
 * dispatch_queue.c — a minimal serial dispatch queue (the <dispatch/dispatch.h> subset).
 *
 * A queue runs its work items one at a time, in FIFO order, on a worker thread it starts when
 * work arrives; the worker holds a reference while it runs and exits after a short idle time,
 * so an idle queue owns no thread. The main queue has no worker: it is a version 0 run-loop
 * source of the main thread's run loop in the common modes, as on macOS.
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

struct cfmp_work {
    struct cfmp_work *next;
    dispatch_function_t function;
    void *context;
};

struct dispatch_queue_s {
    _Atomic int32_t refs;
    bool is_main;
    bool worker_running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct cfmp_work *head;
    struct cfmp_work *tail;
    char label[CFMP_QUEUE_LABEL_MAX];
};

/* Live worker threads, so that exit can wait for them (see cfmp_workers_wait_at_exit). */
static pthread_mutex_t cfmp_workers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cfmp_workers_cond = PTHREAD_COND_INITIALIZER;
static int cfmp_workers_live;
static pid_t cfmp_workers_pid;

static struct dispatch_queue_s cfmp_main_queue = {
    .refs = CFMP_REFS_IMMORTAL,
    .is_main = true,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .label = "com.apple.main-thread",
};

dispatch_queue_t dispatch_get_main_queue(void) { return &cfmp_main_queue; }

dispatch_queue_t dispatch_queue_create(const char *label, dispatch_queue_attr_t attr) {
    (void)attr; /* only serial queues exist */
    struct dispatch_queue_s *queue = calloc(1, sizeof *queue);
    if (queue == NULL) abort();
    atomic_init(&queue->refs, 1);
    pthread_mutex_init(&queue->lock, NULL);
    pthread_condattr_t cond_attr;
    pthread_condattr_init(&cond_attr);
    pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
    pthread_cond_init(&queue->cond, &cond_attr);
    pthread_condattr_destroy(&cond_attr);
    if (label != NULL) snprintf(queue->label, sizeof queue->label, "%s", label);
    return queue;
}

const char *dispatch_queue_get_label(dispatch_queue_t queue) {
    assert(queue != NULL);
    return queue->label;
}

void dispatch_retain(dispatch_object_t object) {
    assert(object != NULL);
    if (object->is_main) return;
    int32_t before = atomic_fetch_add(&object->refs, 1);
    assert(before > 0);
    (void)before;
}

void dispatch_release(dispatch_object_t object) {
    assert(object != NULL);
    if (object->is_main) return;
    int32_t before = atomic_fetch_sub(&object->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    assert(object->head == NULL && !object->worker_running);
    pthread_mutex_destroy(&object->lock);
    pthread_cond_destroy(&object->cond);
    free(object);
}

static struct cfmp_work *cfmp_queue_pop(struct dispatch_queue_s *queue) {
    struct cfmp_work *work = queue->head;
    if (work != NULL) {
        queue->head = work->next;
        if (queue->head == NULL) queue->tail = NULL;
    }
    return work;
}

/* Waits up to the idle time for work; returns NULL (and marks the worker gone) when idle. */
static struct cfmp_work *cfmp_queue_next(struct dispatch_queue_s *queue) {
    pthread_mutex_lock(&queue->lock);
    struct cfmp_work *work = cfmp_queue_pop(queue);
    if (work == NULL) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += CFMP_QUEUE_IDLE_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec += 1;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (queue->head == NULL && rc != ETIMEDOUT) {
            rc = pthread_cond_timedwait(&queue->cond, &queue->lock, &until);
        }
        work = cfmp_queue_pop(queue);
    }
    if (work == NULL) queue->worker_running = false;
    pthread_mutex_unlock(&queue->lock);
    return work;
}

static void *cfmp_queue_worker(void *argument) {
    struct dispatch_queue_s *queue = argument;
    for (;;) { /* ends when the queue stays idle */
        struct cfmp_work *work = cfmp_queue_next(queue);
        if (work == NULL) break;
        work->function(work->context);
        free(work);
    }
    dispatch_release(queue); /* the worker's reference */
    pthread_mutex_lock(&cfmp_workers_lock);
    cfmp_workers_live--;
    pthread_cond_broadcast(&cfmp_workers_cond);
    pthread_mutex_unlock(&cfmp_workers_lock);
    return NULL;
}

/* Idle workers end within CFMP_QUEUE_IDLE_NS; exit waits (bounded) so none is left running
 * (Valgrind reports live threads' stacks as possibly lost). */
static void cfmp_workers_wait_at_exit(void) {
    if (getpid() != cfmp_workers_pid) return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&cfmp_workers_lock);
    int rc = 0;
    while (cfmp_workers_live > 0 && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&cfmp_workers_cond, &cfmp_workers_lock, &until);
    }
    pthread_mutex_unlock(&cfmp_workers_lock);
}

static pthread_once_t cfmp_workers_once = PTHREAD_ONCE_INIT;

static void cfmp_workers_init(void) {
    cfmp_workers_pid = getpid();
    atexit(cfmp_workers_wait_at_exit);
}

static void cfmp_queue_start_worker(struct dispatch_queue_s *queue) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    pthread_once(&cfmp_workers_once, cfmp_workers_init);
    dispatch_retain(queue);
    pthread_mutex_lock(&cfmp_workers_lock);
    cfmp_workers_live++;
    pthread_mutex_unlock(&cfmp_workers_lock);
    int rc = pthread_create(&thread, &attr, cfmp_queue_worker, queue);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "libcfmp: pthread_create: %s\n", strerror(rc));
        abort();
    }
}

void dispatch_async_f(dispatch_queue_t queue, void *context, dispatch_function_t work) {
    assert(queue != NULL && work != NULL);
    struct cfmp_work *item = malloc(sizeof *item);
    if (item == NULL) abort();
    *item = (struct cfmp_work){NULL, work, context};
    pthread_mutex_lock(&queue->lock);
    if (queue->tail != NULL) {
        queue->tail->next = item;
    } else {
        queue->head = item;
    }
    queue->tail = item;
    bool start = !queue->is_main && !queue->worker_running;
    if (start) queue->worker_running = true;
    pthread_cond_signal(&queue->cond);
    pthread_mutex_unlock(&queue->lock);
    if (start) cfmp_queue_start_worker(queue);
    if (queue->is_main) {
        CFRunLoopSourceSignal(cfmp_main_queue_source());
        CFRunLoopWakeUp(CFRunLoopGetMain());
    }
}

struct cfmp_sync_call {
    dispatch_function_t function;
    void *context;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void cfmp_sync_trampoline(void *argument) {
    struct cfmp_sync_call *call = argument;
    call->function(call->context);
    pthread_mutex_lock(&call->lock);
    call->done = true;
    pthread_cond_signal(&call->cond);
    pthread_mutex_unlock(&call->lock);
}

void dispatch_sync_f(dispatch_queue_t queue, void *context, dispatch_function_t work) {
    assert(queue != NULL && work != NULL);
    if (queue->is_main && cfmp_is_main_thread()) {
        work(context); /* the main thread is the main queue's only executor */
        return;
    }
    struct cfmp_sync_call call = {work, context, PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_COND_INITIALIZER, false};
    dispatch_async_f(queue, &call, cfmp_sync_trampoline);
    pthread_mutex_lock(&call.lock);
    while (!call.done) pthread_cond_wait(&call.cond, &call.lock);
    pthread_mutex_unlock(&call.lock);
    pthread_mutex_destroy(&call.lock);
    pthread_cond_destroy(&call.cond);
}

/* ---- the main queue as a run-loop source -------------------------------------------------- */

/* Runs the items queued at entry (not ones they enqueue), as one pass of the main queue. */
void cfmp_main_queue_drain(void) {
    struct dispatch_queue_s *queue = &cfmp_main_queue;
    pthread_mutex_lock(&queue->lock);
    struct cfmp_work *batch = queue->head;
    queue->head = queue->tail = NULL;
    pthread_mutex_unlock(&queue->lock);
    while (batch != NULL) {
        struct cfmp_work *next = batch->next;
        batch->function(batch->context);
        free(batch);
        batch = next;
    }
}

bool cfmp_main_queue_pending(void) {
    pthread_mutex_lock(&cfmp_main_queue.lock);
    bool pending = cfmp_main_queue.head != NULL;
    pthread_mutex_unlock(&cfmp_main_queue.lock);
    return pending;
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
    atomic_store(&((struct cfmp_object *)cfmp_main_source)->refs, CFMP_REFS_IMMORTAL);
}

CFRunLoopSourceRef cfmp_main_queue_source(void) {
    pthread_once(&cfmp_main_source_once, cfmp_main_source_create);
    return cfmp_main_source;
}
