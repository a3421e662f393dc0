/*
 * cf_runloop.c — CFRunLoop and CFRunLoopSource.
 *
 * Each (run loop, mode) pair owns an epoll instance. A version 0 source is a flag checked at the
 * top of every pass; an internal fd source (a message port, a reply connection) registers its
 * fd in the epoll of every mode it is added to. An eventfd, present in every mode's epoll,
 * carries CFRunLoopWakeUp. Events carry an entry id that is looked up again under the lock, so
 * an event for a source removed meanwhile is ignored safely.
 * Sources keep weak back-pointers to the run loops they are in (one per mode entry) so that
 * CFRunLoopSourceInvalidate can remove them everywhere; a finalizing run loop removes itself.
 * Timers (CFRunLoopTimer) are kept per mode, retained; a timer is in at most one run loop (any
 * of its modes) and keeps a weak pointer to it. Each pass of a run waits no longer than the
 * mode's earliest timer and then fires the timers that are due, in fire-date order; a timer's
 * callout is not a handled source (returnAfterSourceHandled does not return for it), and a
 * mode holding only timers is not empty (CF's __CFRunLoopDoTimer, __CFRunLoopModeIsEmpty).
 */
#include <dlfcn.h>
#include "cfmp_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CFMP_WAKE_ID 0u
#define CFMP_EVENTS_PER_WAIT 8
#define CFMP_SPIN_PROBE_EVERY 64u /* cfmp_runloop_spin_begin */
#define CFMP_SPIN_CREDIT_MAX 16u
#define CFMP_SPIN_MISS_COST 4u

CFMP_STATIC_STRING(cfmp_default_mode_string, "kCFRunLoopDefaultMode");
CFMP_STATIC_STRING(cfmp_common_modes_string, "kCFRunLoopCommonModes");
const CFRunLoopMode kCFRunLoopDefaultMode = &cfmp_default_mode_string;
const CFRunLoopMode kCFRunLoopCommonModes = &cfmp_common_modes_string;

struct cfmp_rl_entry {
    CFRunLoopSourceRef source; /* retained */
    struct cfmp_fdref *fdref;  /* retained; NULL for version 0 sources */
    uint64_t id;
};

struct cfmp_rl_mode {
    CFStringRef name; /* retained */
    int epoll_fd;
    uint64_t hot_id; /* the entry of the fd source performed last: probed first while spinning */
    struct cfmp_rl_entry *entries;
    size_t count;
    size_t capacity;
    CFRunLoopTimerRef *timers; /* retained */
    size_t timer_count;
    size_t timer_capacity;
};

struct __CFRunLoop {
    struct cfmp_object base;
    pthread_mutex_t lock;
    int wake_fd;
    struct cfmp_rl_mode **modes;
    size_t mode_count;
    size_t mode_capacity;
    CFStringRef *common_modes; /* retained names */
    size_t common_count;
    size_t common_capacity;
    CFRunLoopSourceRef *common_items; /* retained sources added to kCFRunLoopCommonModes */
    size_t item_count;
    size_t item_capacity;
    CFRunLoopTimerRef *common_timers; /* retained timers added to kCFRunLoopCommonModes */
    size_t common_timer_count;
    size_t common_timer_capacity;
    _Atomic size_t timer_entries; /* timer entries in all modes: 0 keeps runs timer-free */
    CFStringRef current_mode; /* retained while running */
    uint64_t next_entry_id;
    _Atomic bool stop_requested;
    _Atomic bool poked;
    _Atomic bool waiting;
    /* Adaptive spinning (cfmp_runloop_spin_begin), touched only by the run loop's thread. */
    uint32_t spin_credit; /* 0..CFMP_SPIN_CREDIT_MAX: spin while > 0 */
    uint32_t spin_skips;  /* idle periods without spinning since the last probe */
};

struct __CFRunLoopSource {
    struct cfmp_object base;
    pthread_mutex_t lock;
    _Atomic bool valid;
    _Atomic bool signaled;
    CFIndex order;
    CFRunLoopSourceContext context;   /* version 0 sources */
    const struct cfmp_source_ops *ops; /* internal fd sources */
    void *fd_info;
    CFRunLoopRef *loops; /* weak; one per (run loop, mode) entry */
    size_t loop_count;
    size_t loop_capacity;
};

/* Fire dates are kept as monotonic deadlines, converted from CFAbsoluteTime when set (as CF
 * converts to mach_absolute_time), so a change of the wall clock does not move a timer. */
struct __CFRunLoopTimer {
    struct cfmp_object base;
    pthread_mutex_t lock; /* guards everything below but valid and fire_ns */
    _Atomic bool valid;
    _Atomic uint64_t fire_ns; /* CLOCK_MONOTONIC deadline of the next fire */
    bool firing;
    CFIndex order;
    CFTimeInterval interval; /* 0: fires once, then invalidates itself */
    CFTimeInterval tolerance;
    CFAbsoluteTime next_fire_date;
    CFRunLoopTimerCallBack callout;
    CFRunLoopTimerContext context; /* info NULL after invalidation */
    CFRunLoopRef rl;               /* weak: the run loop it is in, NULL when in none */
    size_t mode_count;             /* its entries in rl's modes */
};

#define CFMP_TIMER_INTERVAL_LIMIT 504911232.0 /* CF's cap on intervals and delays (16 years) */

/* A mode as its run loop keeps it (rl->lock held): a name, its epoll, sources and timers
 * within their arrays. O(1). */
static bool cfmp_mode_validate(const struct cfmp_rl_mode *mode) {
    if (mode == NULL || mode->name == NULL || mode->epoll_fd < 0) return false;
    return mode->count <= mode->capacity && mode->timer_count <= mode->timer_capacity;
}

/* A run loop (rl->lock held): its wake eventfd, every array within its capacity, entry ids
 * from 1. O(1). */
static bool cfmp_runloop_validate(const struct __CFRunLoop *rl) {
    if (!cfmp_object_is(rl, CFMP_TYPE_RUN_LOOP) || rl->wake_fd < 0 || rl->next_entry_id == 0) return false;
    if (rl->mode_count > rl->mode_capacity || rl->common_count > rl->common_capacity) return false;
    return rl->item_count <= rl->item_capacity && rl->common_timer_count <= rl->common_timer_capacity;
}

/* A source (source->lock held): an fd source has its ops and info, its loops within their
 * array. O(1). */
static bool cfmp_source_validate(const struct __CFRunLoopSource *source) {
    if (!cfmp_object_is(source, CFMP_TYPE_RUN_LOOP_SOURCE)) return false;
    if (source->loop_count > source->loop_capacity) return false;
    return source->ops == NULL || (source->fd_info != NULL && source->ops->perform != NULL);
}

/* A timer's entry in one of rl's modes goes away: forget rl with the last one. */
static void cfmp_timer_leave_mode(CFRunLoopTimerRef timer, CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&timer->lock);
    assert(timer->rl == rl && timer->mode_count > 0);
    if (--timer->mode_count == 0) timer->rl = NULL;
    pthread_mutex_unlock(&timer->lock);
}

static void cfmp_runloop_add_timer_to_mode(CFRunLoopRef rl, CFRunLoopTimerRef timer,
                                           CFStringRef mode_name);

static void *cfmp_grow(void *array, size_t *capacity, size_t needed, size_t element_size) {
    assert(capacity != NULL && element_size > 0);
    assert(array != NULL || *capacity == 0);
    if (needed <= *capacity) return array;
    size_t next = *capacity == 0 ? 4 : *capacity * 2;
    while (next < needed) next *= 2;
    void *grown = realloc(array, next * element_size);
    if (grown == NULL) abort();
    *capacity = next;
    assert(needed <= *capacity); /* exit */
    return grown;
}

static bool cfmp_mode_name_equal(CFStringRef a, CFStringRef b) {
    return a == b || CFEqual(a, b);
}

/* ---- sources ----------------------------------------------------------------------------- */

static void cfmp_source_finalize(void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_RUN_LOOP_SOURCE);
    struct __CFRunLoopSource *source = object;
    assert(source->loop_count == 0);
    if (source->ops != NULL) {
        CFRelease(source->fd_info);
    } else if (source->context.release != NULL) {
        source->context.release(source->context.info);
    }
    free(source->loops);
    pthread_mutex_destroy(&source->lock);
}

/* CF's format, shortened: <CFRunLoopSource %p [%p]>{signalled = …, valid = …, order = …,
 * context = …}; a version 0 source's context is described by its copyDescription. */
static CFStringRef cfmp_source_copy_description(const void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_RUN_LOOP_SOURCE);
    const struct __CFRunLoopSource *source = object;
    CFStringRef context = NULL;
    if (source->ops == NULL && source->context.copyDescription != NULL) {
        context = source->context.copyDescription(source->context.info);
    }
    if (context == NULL) {
        context = CFStringCreateWithFormat(NULL, NULL, CFSTR("<CFRunLoopSource context %p>"),
                                           source->ops != NULL ? source->fd_info
                                                               : source->context.info);
    }
    CFStringRef result = CFStringCreateWithFormat(
        NULL, NULL,
        CFSTR("<CFRunLoopSource %p [%p]>{signalled = %s, valid = %s, order = %ld, context = %@}"),
        object, (const void *)kCFAllocatorSystemDefault,
        atomic_load(&source->signaled) ? "Yes" : "No", atomic_load(&source->valid) ? "Yes" : "No",
        (long)source->order, context);
    CFRelease(context);
    return result;
}

const struct cfmp_class cfmp_source_class = {"CFRunLoopSource", cfmp_source_finalize, NULL, NULL,
                                             cfmp_source_copy_description};

CFTypeID CFRunLoopSourceGetTypeID(void) { return CFMP_TYPE_RUN_LOOP_SOURCE; }

static struct __CFRunLoopSource *cfmp_source_alloc(CFIndex order) {
    struct __CFRunLoopSource *source =
        cfmp_object_create(sizeof *source, CFMP_TYPE_RUN_LOOP_SOURCE);
    pthread_mutex_init(&source->lock, NULL);
    atomic_init(&source->valid, true);
    atomic_init(&source->signaled, false);
    source->order = order;
    assert(cfmp_source_validate(source)); /* exit: no loops yet */
    return source;
}

CFRunLoopSourceRef CFRunLoopSourceCreate(CFAllocatorRef allocator, CFIndex order,
                                         CFRunLoopSourceContext *context) {
    (void)allocator;
    assert(context != NULL);
    if (context->version != 0) return NULL; /* version 1 (Mach) sources do not exist here */
    struct __CFRunLoopSource *source = cfmp_source_alloc(order);
    source->context = *context;
    if (context->retain != NULL) {
        source->context.info = (void *)context->retain(context->info);
    }
    assert(source->ops == NULL && cfmp_source_validate(source)); /* exit: a version 0 source */
    return source;
}

CFRunLoopSourceRef cfmp_source_create_fd(CFIndex order, const struct cfmp_source_ops *ops,
                                         CFTypeRef info) {
    assert(ops != NULL && ops->perform != NULL && ops->copy_fdref != NULL);
    assert(info != NULL);
    struct __CFRunLoopSource *source = cfmp_source_alloc(order);
    source->ops = ops;
    source->fd_info = (void *)(uintptr_t)CFRetain(info);
    return source;
}

CFIndex CFRunLoopSourceGetOrder(CFRunLoopSourceRef source) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    return source->order;
}

Boolean CFRunLoopSourceIsValid(CFRunLoopSourceRef source) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    return atomic_load(&source->valid);
}

void CFRunLoopSourceGetContext(CFRunLoopSourceRef source, CFRunLoopSourceContext *context) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    assert(context != NULL);
    *context = source->context;
}

void CFRunLoopSourceSignal(CFRunLoopSourceRef source) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    if (atomic_load(&source->valid)) atomic_store(&source->signaled, true);
}

static void cfmp_source_add_loop(CFRunLoopSourceRef source, CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&source->lock);
    source->loops = cfmp_grow(source->loops, &source->loop_capacity, source->loop_count + 1,
                              sizeof *source->loops);
    source->loops[source->loop_count++] = rl;
    assert(cfmp_source_validate(source));
    pthread_mutex_unlock(&source->lock);
}

static void cfmp_source_remove_loop(CFRunLoopSourceRef source, CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&source->lock);
    assert(cfmp_source_validate(source));
    for (size_t i = 0; i < source->loop_count; i++) {
        if (source->loops[i] == rl) {
            source->loops[i] = source->loops[--source->loop_count];
            break;
        }
    }
    pthread_mutex_unlock(&source->lock);
}

/* ---- run loop objects --------------------------------------------------------------------- */

static void cfmp_mode_destroy(struct cfmp_rl_mode *mode, CFRunLoopRef rl) {
    assert(cfmp_mode_validate(mode));
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    for (size_t i = 0; i < mode->count; i++) {
        cfmp_source_remove_loop(mode->entries[i].source, rl);
        cfmp_fdref_release(mode->entries[i].fdref);
        CFRelease(mode->entries[i].source);
    }
    for (size_t i = 0; i < mode->timer_count; i++) {
        cfmp_timer_leave_mode(mode->timers[i], rl);
        CFRelease(mode->timers[i]);
    }
    free(mode->timers);
    free(mode->entries);
    cfmp_close(mode->epoll_fd);
    CFRelease(mode->name);
    free(mode);
}

static void cfmp_runloop_finalize(void *object) {
    assert(cfmp_runloop_validate(object)); /* the last reference: no lock needed */
    struct __CFRunLoop *rl = object;
    for (size_t i = 0; i < rl->mode_count; i++) cfmp_mode_destroy(rl->modes[i], rl);
    for (size_t i = 0; i < rl->common_count; i++) CFRelease(rl->common_modes[i]);
    for (size_t i = 0; i < rl->item_count; i++) CFRelease(rl->common_items[i]);
    for (size_t i = 0; i < rl->common_timer_count; i++) CFRelease(rl->common_timers[i]);
    free(rl->modes);
    free(rl->common_modes);
    free(rl->common_items);
    free(rl->common_timers);
    cfmp_close(rl->wake_fd);
    pthread_mutex_destroy(&rl->lock);
}

/* CF's format, shortened: <CFRunLoop %p [%p]>{current mode = …, common modes = n, modes = n}. */
static CFStringRef cfmp_runloop_copy_description(const void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_RUN_LOOP);
    struct __CFRunLoop *rl = (struct __CFRunLoop *)(uintptr_t)object; /* only its lock changes */
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_runloop_validate(rl));
    CFStringRef current = rl->current_mode != NULL ? CFRetain(rl->current_mode) : NULL;
    size_t common = rl->common_count;
    size_t modes = rl->mode_count;
    pthread_mutex_unlock(&rl->lock);
    CFStringRef result = CFStringCreateWithFormat(
        NULL, NULL, CFSTR("<CFRunLoop %p [%p]>{current mode = %@, common modes = %zu, modes = %zu}"),
        object, (const void *)kCFAllocatorSystemDefault, current, common, modes);
    if (current != NULL) CFRelease(current);
    return result;
}

const struct cfmp_class cfmp_runloop_class = {"CFRunLoop", cfmp_runloop_finalize, NULL, NULL,
                                              cfmp_runloop_copy_description};

CFTypeID CFRunLoopGetTypeID(void) { return CFMP_TYPE_RUN_LOOP; }

/* Finds a mode by name, creating it when create is set. Called with rl->lock held. */
static struct cfmp_rl_mode *cfmp_runloop_mode(CFRunLoopRef rl, CFStringRef name, bool create) {
    assert(cfmp_runloop_validate(rl)); /* rl->lock held */
    assert(name != NULL && (create || rl->mode_count >= 1)); /* the default mode exists */
    for (size_t i = 0; i < rl->mode_count; i++) {
        if (cfmp_mode_name_equal(rl->modes[i]->name, name)) return rl->modes[i];
    }
    if (!create) return NULL;
    struct cfmp_rl_mode *mode = calloc(1, sizeof *mode);
    if (mode == NULL) abort();
    mode->name = CFRetain(name);
    mode->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (mode->epoll_fd < 0) {
        perror("libcfmp: epoll_create1");
        abort();
    }
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = CFMP_WAKE_ID};
    if (epoll_ctl(mode->epoll_fd, EPOLL_CTL_ADD, rl->wake_fd, &event) != 0) abort();
    rl->modes = cfmp_grow(rl->modes, &rl->mode_capacity, rl->mode_count + 1, sizeof *rl->modes);
    rl->modes[rl->mode_count++] = mode;
    assert(cfmp_mode_validate(mode) && cfmp_runloop_validate(rl)); /* exit: the new mode */
    return mode;
}

static CFRunLoopRef cfmp_runloop_create(bool is_main) {
    struct __CFRunLoop *rl = cfmp_object_create(sizeof *rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_init(&rl->lock, NULL);
    rl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rl->wake_fd < 0) {
        perror("libcfmp: eventfd");
        abort();
    }
    rl->next_entry_id = 1;
    rl->spin_credit = CFMP_SPIN_CREDIT_MAX; /* spin from the first wait */
    rl->common_modes = cfmp_grow(NULL, &rl->common_capacity, 1, sizeof *rl->common_modes);
    rl->common_modes[rl->common_count++] = CFRetain(kCFRunLoopDefaultMode);
    pthread_mutex_lock(&rl->lock);
    (void)cfmp_runloop_mode(rl, kCFRunLoopDefaultMode, true);
    assert(rl->mode_count == 1 && rl->common_count == 1); /* the default mode, common */
    pthread_mutex_unlock(&rl->lock);
    if (is_main) {
        atomic_store(&rl->base.refs, CFMP_REFS_IMMORTAL);
        CFRunLoopAddSource(rl, cfmp_main_queue_source(), kCFRunLoopCommonModes);
    }
    return rl;
}

static pthread_once_t cfmp_runloop_once = PTHREAD_ONCE_INIT;
static pthread_key_t cfmp_runloop_key;
static pthread_mutex_t cfmp_main_lock = PTHREAD_MUTEX_INITIALIZER;
static CFRunLoopRef cfmp_main_runloop;

static void cfmp_runloop_thread_exit(void *value) {
    assert(value == NULL || cfmp_object_is(value, CFMP_TYPE_RUN_LOOP));
    CFRunLoopRef rl = value;
    if (rl != NULL && rl != cfmp_main_runloop) CFRelease(rl);
}

static void cfmp_runloop_init_key(void) {
    if (pthread_key_create(&cfmp_runloop_key, cfmp_runloop_thread_exit) != 0) abort();
}

CFRunLoopRef CFRunLoopGetMain(void) {
    pthread_mutex_lock(&cfmp_main_lock);
    if (cfmp_main_runloop == NULL) cfmp_main_runloop = cfmp_runloop_create(true);
    CFRunLoopRef rl = cfmp_main_runloop;
    assert(atomic_load(&rl->base.refs) == CFMP_REFS_IMMORTAL); /* the main run loop never goes */
    pthread_mutex_unlock(&cfmp_main_lock);
    return rl;
}

CFRunLoopRef CFRunLoopGetCurrent(void) {
    pthread_once(&cfmp_runloop_once, cfmp_runloop_init_key);
    CFRunLoopRef rl = pthread_getspecific(cfmp_runloop_key);
    if (rl != NULL) return rl;
    rl = cfmp_is_main_thread() ? CFRunLoopGetMain() : cfmp_runloop_create(false);
    if (pthread_setspecific(cfmp_runloop_key, rl) != 0) abort();
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP); /* exit: this thread's, for its life */
    return rl;
}

CFRunLoopMode CFRunLoopCopyCurrentMode(CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_runloop_validate(rl));
    CFStringRef mode = rl->current_mode != NULL ? CFRetain(rl->current_mode) : NULL;
    pthread_mutex_unlock(&rl->lock);
    return mode;
}

Boolean CFRunLoopIsWaiting(CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    return atomic_load(&rl->waiting);
}

void CFRunLoopWakeUp(CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop will wake. Not asserted: under
     * Valgrind a wake can meet a run loop whose thread is tearing it down (the write then fails,
     * harmlessly: nobody waits on it), which the hostile and uid tests do. */
    ssize_t written = write(rl->wake_fd, &one, sizeof one);
    (void)written;
}

void CFRunLoopStop(CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    atomic_store(&rl->stop_requested, true);
    CFRunLoopWakeUp(rl);
}

void cfmp_runloop_poke(CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    atomic_store(&rl->poked, true);
    CFRunLoopWakeUp(rl);
}

/* ---- adding and removing sources ------------------------------------------------------- */

static ssize_t cfmp_mode_find_source(const struct cfmp_rl_mode *mode, CFRunLoopSourceRef source) {
    assert(cfmp_mode_validate(mode));
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    for (size_t i = 0; i < mode->count; i++) {
        if (mode->entries[i].source == source) return (ssize_t)i;
    }
    return -1;
}

static void cfmp_runloop_add_to_mode(CFRunLoopRef rl, CFRunLoopSourceRef source,
                                     CFStringRef mode_name) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    assert(mode_name != NULL && !cfmp_mode_name_equal(mode_name, kCFRunLoopCommonModes));
    if (!atomic_load(&source->valid)) return;
    struct cfmp_fdref *fdref = source->ops != NULL ? source->ops->copy_fdref(source->fd_info)
                                                   : NULL;
    pthread_mutex_lock(&rl->lock);
    struct cfmp_rl_mode *mode = cfmp_runloop_mode(rl, mode_name, true);
    assert(cfmp_mode_validate(mode));
    if (cfmp_mode_find_source(mode, source) >= 0) {
        pthread_mutex_unlock(&rl->lock);
        cfmp_fdref_release(fdref);
        return;
    }
    uint64_t id = rl->next_entry_id++;
    if (fdref != NULL) {
        struct epoll_event event = {.events = EPOLLIN, .data.u64 = id};
        if (epoll_ctl(mode->epoll_fd, EPOLL_CTL_ADD, fdref->fd, &event) != 0) {
            cfmp_log("run loop: epoll_ctl ADD fd %d failed: %s", fdref->fd, strerror(errno));
        }
    }
    mode->entries = cfmp_grow(mode->entries, &mode->capacity, mode->count + 1,
                              sizeof *mode->entries);
    mode->entries[mode->count++] = (struct cfmp_rl_entry){CFMP_RETAIN(source), fdref, id};
    assert(id != CFMP_WAKE_ID && cfmp_mode_validate(mode)); /* ids never collide with the wake fd */
    pthread_mutex_unlock(&rl->lock);
    cfmp_source_add_loop(source, rl);
    if (source->ops == NULL && source->context.schedule != NULL) {
        source->context.schedule(source->context.info, rl, mode_name);
    }
    CFRunLoopWakeUp(rl); /* a sleeping loop re-evaluates (e.g. an already signalled source) */
}

/* Detaches the entry of source from mode; the caller releases it outside the lock. */
static bool cfmp_mode_detach(struct cfmp_rl_mode *mode, CFRunLoopSourceRef source,
                             struct cfmp_rl_entry *detached) {
    assert(cfmp_mode_validate(mode) && detached != NULL);
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    ssize_t index = cfmp_mode_find_source(mode, source);
    if (index < 0) return false;
    *detached = mode->entries[index];
    memmove(&mode->entries[index], &mode->entries[index + 1],
            (mode->count - (size_t)index - 1) * sizeof *mode->entries);
    mode->count--;
    assert(detached->source == source); /* exit: its entry, removed */
    if (detached->fdref != NULL) {
        (void)epoll_ctl(mode->epoll_fd, EPOLL_CTL_DEL, detached->fdref->fd, NULL);
    }
    return true;
}

static void cfmp_entry_dispose(CFRunLoopRef rl, struct cfmp_rl_entry *entry, CFStringRef mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(entry != NULL && cfmp_object_is(entry->source, CFMP_TYPE_RUN_LOOP_SOURCE));
    CFRunLoopSourceRef source = entry->source;
    cfmp_source_remove_loop(source, rl);
    if (source->ops == NULL && source->context.cancel != NULL) {
        source->context.cancel(source->context.info, rl, mode);
    }
    cfmp_fdref_release(entry->fdref);
    CFRelease(source);
}

static void cfmp_runloop_remove_from_mode(CFRunLoopRef rl, CFRunLoopSourceRef source,
                                          CFStringRef mode_name) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode_name != NULL && !cfmp_mode_name_equal(mode_name, kCFRunLoopCommonModes));
    struct cfmp_rl_entry detached;
    pthread_mutex_lock(&rl->lock);
    struct cfmp_rl_mode *mode = cfmp_runloop_mode(rl, mode_name, false);
    bool found = mode != NULL && cfmp_mode_detach(mode, source, &detached);
    pthread_mutex_unlock(&rl->lock);
    if (found) cfmp_entry_dispose(rl, &detached, mode_name);
}

/* Copies the common mode names (retained) under the lock. */
static CFStringRef *cfmp_runloop_copy_common_modes(CFRunLoopRef rl, size_t *count) {
    assert(cfmp_runloop_validate(rl) && count != NULL); /* rl->lock held */
    assert(rl->common_count >= 1); /* the default mode is always common */
    CFStringRef *names = malloc((rl->common_count + 1) * sizeof *names);
    if (names == NULL) abort();
    for (size_t i = 0; i < rl->common_count; i++) names[i] = CFRetain(rl->common_modes[i]);
    *count = rl->common_count;
    assert(*count >= 1);
    return names;
}

static void cfmp_release_names(CFStringRef *names, size_t count) {
    assert(names != NULL || count == 0);
    for (size_t i = 0; i < count; i++) CFRelease(names[i]);
    free(names);
}

void CFRunLoopAddSource(CFRunLoopRef rl, CFRunLoopSourceRef source, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    assert(mode != NULL);
    if (!cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        cfmp_runloop_add_to_mode(rl, source, mode);
        return;
    }
    pthread_mutex_lock(&rl->lock);
    bool present = false;
    for (size_t i = 0; i < rl->item_count; i++) present = present || rl->common_items[i] == source;
    if (!present) {
        rl->common_items = cfmp_grow(rl->common_items, &rl->item_capacity, rl->item_count + 1,
                                     sizeof *rl->common_items);
        rl->common_items[rl->item_count++] = CFMP_RETAIN(source);
    }
    assert(cfmp_runloop_validate(rl));
    size_t count = 0;
    CFStringRef *names = cfmp_runloop_copy_common_modes(rl, &count);
    pthread_mutex_unlock(&rl->lock);
    for (size_t i = 0; i < count; i++) cfmp_runloop_add_to_mode(rl, source, names[i]);
    cfmp_release_names(names, count);
}

void cfmp_runloop_add_source_once(CFRunLoopRef rl, CFRunLoopSourceRef source, CFStringRef mode) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    assert(mode != NULL);
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    if (!cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        pthread_mutex_lock(&rl->lock);
        struct cfmp_rl_mode *found = cfmp_runloop_mode(rl, mode, false);
        bool present = found != NULL && cfmp_mode_find_source(found, source) >= 0;
        pthread_mutex_unlock(&rl->lock);
        if (present) return; /* the fast path of every two-way send after the first */
    }
    CFRunLoopAddSource(rl, source, mode);
}

static bool cfmp_runloop_drop_common_item(CFRunLoopRef rl, CFRunLoopSourceRef source) {
    assert(cfmp_runloop_validate(rl)); /* rl->lock held */
    assert(source != NULL);
    for (size_t i = 0; i < rl->item_count; i++) {
        if (rl->common_items[i] == source) {
            rl->common_items[i] = rl->common_items[--rl->item_count];
            return true;
        }
    }
    return false;
}

void CFRunLoopRemoveSource(CFRunLoopRef rl, CFRunLoopSourceRef source, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    if (!cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        cfmp_runloop_remove_from_mode(rl, source, mode);
        return;
    }
    pthread_mutex_lock(&rl->lock);
    bool was_item = cfmp_runloop_drop_common_item(rl, source);
    size_t count = 0;
    CFStringRef *names = cfmp_runloop_copy_common_modes(rl, &count);
    pthread_mutex_unlock(&rl->lock);
    for (size_t i = 0; i < count; i++) cfmp_runloop_remove_from_mode(rl, source, names[i]);
    cfmp_release_names(names, count);
    if (was_item) CFRelease(source);
}

void cfmp_runloop_remove_source_everywhere(CFRunLoopRef rl, CFRunLoopSourceRef source) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_runloop_validate(rl));
    bool was_item = cfmp_runloop_drop_common_item(rl, source);
    size_t count = 0;
    struct cfmp_rl_entry *detached = malloc((rl->mode_count + 1) * sizeof *detached);
    CFStringRef *names = malloc((rl->mode_count + 1) * sizeof *names);
    if (detached == NULL || names == NULL) abort();
    for (size_t i = 0; i < rl->mode_count; i++) {
        if (cfmp_mode_detach(rl->modes[i], source, &detached[count])) {
            names[count++] = CFRetain(rl->modes[i]->name);
        }
    }
    assert(count <= rl->mode_count); /* at most one entry per mode */
    pthread_mutex_unlock(&rl->lock);
    for (size_t i = 0; i < count; i++) cfmp_entry_dispose(rl, &detached[i], names[i]);
    cfmp_release_names(names, count);
    free(detached);
    if (was_item) CFRelease(source);
}

void CFRunLoopAddCommonMode(CFRunLoopRef rl, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_runloop_validate(rl));
    for (size_t i = 0; i < rl->common_count; i++) {
        if (cfmp_mode_name_equal(rl->common_modes[i], mode)) {
            pthread_mutex_unlock(&rl->lock);
            return;
        }
    }
    rl->common_modes = cfmp_grow(rl->common_modes, &rl->common_capacity, rl->common_count + 1,
                                 sizeof *rl->common_modes);
    rl->common_modes[rl->common_count++] = CFRetain(mode);
    size_t count = rl->item_count;
    CFRunLoopSourceRef *items = malloc((count + 1) * sizeof *items);
    if (items == NULL) abort();
    for (size_t i = 0; i < count; i++) items[i] = CFMP_RETAIN(rl->common_items[i]);
    size_t timer_count = rl->common_timer_count;
    CFRunLoopTimerRef *timers = malloc((timer_count + 1) * sizeof *timers);
    if (timers == NULL) abort();
    for (size_t i = 0; i < timer_count; i++) timers[i] = CFMP_RETAIN(rl->common_timers[i]);
    pthread_mutex_unlock(&rl->lock);
    for (size_t i = 0; i < count; i++) {
        cfmp_runloop_add_to_mode(rl, items[i], mode);
        CFRelease(items[i]);
    }
    free(items);
    for (size_t i = 0; i < timer_count; i++) {
        cfmp_runloop_add_timer_to_mode(rl, timers[i], mode);
        CFRelease(timers[i]);
    }
    free(timers);
}

Boolean CFRunLoopContainsSource(CFRunLoopRef rl, CFRunLoopSourceRef source, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_runloop_validate(rl));
    bool found = false;
    if (cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        for (size_t i = 0; i < rl->item_count; i++) found = found || rl->common_items[i] == source;
    } else {
        struct cfmp_rl_mode *entry_mode = cfmp_runloop_mode(rl, mode, false);
        found = entry_mode != NULL && cfmp_mode_find_source(entry_mode, source) >= 0;
    }
    pthread_mutex_unlock(&rl->lock);
    return found;
}

void CFRunLoopSourceInvalidate(CFRunLoopSourceRef source) {
    CFMP_ASSERT_TYPE(source, CFMP_TYPE_RUN_LOOP_SOURCE);
    if (!atomic_exchange(&source->valid, false)) return;
    CFMP_RETAIN(source);
    pthread_mutex_lock(&source->lock);
    assert(cfmp_source_validate(source));
    size_t count = 0;
    CFRunLoopRef *loops = malloc((source->loop_count + 1) * sizeof *loops);
    if (loops == NULL) abort();
    for (size_t i = 0; i < source->loop_count; i++) {
        if (cfmp_object_try_retain(source->loops[i])) loops[count++] = source->loops[i];
    }
    pthread_mutex_unlock(&source->lock);
    for (size_t i = 0; i < count; i++) {
        cfmp_runloop_remove_source_everywhere(loops[i], source); /* no wake-up (R52 step 8) */
        CFRelease(loops[i]);
    }
    free(loops);
    CFRelease(source);
}

/* ---- timers ------------------------------------------------------------------------------- */

static void cfmp_timer_finalize(void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_RUN_LOOP_TIMER);
    struct __CFRunLoopTimer *timer = object;
    assert(timer->rl == NULL); /* a run loop holding it would keep it alive */
    if (atomic_exchange(&timer->valid, false) && timer->context.release != NULL) {
        timer->context.release(timer->context.info); /* deallocation invalidates (CF) */
    }
    pthread_mutex_destroy(&timer->lock);
}

/* The symbol of a function pointer (CF names callouts in descriptions), "???" when unknown. */
static const char *cfmp_symbol_name(const void *address) {
    Dl_info symbol;
    if (address != NULL && dladdr(address, &symbol) != 0 && symbol.dli_saddr == address &&
        symbol.dli_sname != NULL) {
        return symbol.dli_sname;
    }
    return "???";
}

/* CF's format: <CFRunLoopTimer %p [%p]>{valid = …, firing = …, interval = …, tolerance = …,
 * next fire date = … (… @ …), callout = name (%p), context = …}. */
static CFStringRef cfmp_timer_copy_description(const void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_RUN_LOOP_TIMER);
    struct __CFRunLoopTimer *timer = (struct __CFRunLoopTimer *)(uintptr_t)object; /* lock only */
    pthread_mutex_lock(&timer->lock);
    bool firing = timer->firing;
    CFAbsoluteTime next = timer->next_fire_date;
    void *info = timer->context.info;
    CFStringRef (*describe)(const void *) = timer->context.copyDescription;
    pthread_mutex_unlock(&timer->lock);
    CFStringRef context = describe != NULL ? describe(info) : NULL;
    if (context == NULL) {
        context = CFStringCreateWithFormat(NULL, NULL, CFSTR("<CFRunLoopTimer context %p>"), info);
    }
    void *address = NULL;
    memcpy(&address, &timer->callout, sizeof address);
    CFStringRef result = CFStringCreateWithFormat(
        NULL, NULL,
        CFSTR("<CFRunLoopTimer %p [%p]>{valid = %s, firing = %s, interval = %0.09g, tolerance = "
              "%0.09g, next fire date = %0.09g (%0.09g @ %llu), callout = %s (%p), context = %@}"),
        object, (const void *)kCFAllocatorSystemDefault, atomic_load(&timer->valid) ? "Yes" : "No",
        firing ? "Yes" : "No", timer->interval, timer->tolerance, next,
        next - CFAbsoluteTimeGetCurrent(), (unsigned long long)atomic_load(&timer->fire_ns),
        cfmp_symbol_name(address), address, context);
    CFRelease(context);
    return result;
}

const struct cfmp_class cfmp_timer_class = {"CFRunLoopTimer", cfmp_timer_finalize, NULL, NULL,
                                            cfmp_timer_copy_description};

CFTypeID CFRunLoopTimerGetTypeID(void) { return CFMP_TYPE_RUN_LOOP_TIMER; }

/* The monotonic deadline of a CFAbsoluteTime: now for a past date, capped at 16 years. */
static uint64_t cfmp_timer_deadline_of(CFAbsoluteTime fire_date) {
    double delay_s = fire_date - CFAbsoluteTimeGetCurrent();
    if (!(delay_s > 0)) return cfmp_now_ns(); /* also NaN */
    if (delay_s > CFMP_TIMER_INTERVAL_LIMIT) delay_s = CFMP_TIMER_INTERVAL_LIMIT;
    assert(delay_s > 0 && delay_s <= CFMP_TIMER_INTERVAL_LIMIT); /* 16 years of ns fit 64 bits */
    return cfmp_now_ns() + (uint64_t)(delay_s * 1e9);
}

CFRunLoopTimerRef CFRunLoopTimerCreate(CFAllocatorRef allocator, CFAbsoluteTime fireDate,
                                       CFTimeInterval interval, CFOptionFlags flags, CFIndex order,
                                       CFRunLoopTimerCallBack callout,
                                       CFRunLoopTimerContext *context) {
    (void)allocator;
    (void)flags;
    if (isnan(interval)) {
        fprintf(stderr, "libcfmp: NaN was used as an interval for a CFRunLoopTimer\n");
        abort(); /* CF halts too */
    }
    struct __CFRunLoopTimer *timer = cfmp_object_create(sizeof *timer, CFMP_TYPE_RUN_LOOP_TIMER);
    pthread_mutex_init(&timer->lock, NULL);
    atomic_init(&timer->valid, true);
    timer->order = order;
    timer->interval = interval > 0 ? interval : 0.0;
    timer->next_fire_date = fireDate;
    atomic_init(&timer->fire_ns, cfmp_timer_deadline_of(fireDate));
    timer->callout = callout;
    if (context != NULL) {
        timer->context = *context;
        if (context->retain != NULL) timer->context.info = (void *)context->retain(context->info);
    }
    assert(timer->rl == NULL && timer->interval >= 0); /* exit: in no run loop yet */
    return timer;
}

CFAbsoluteTime CFRunLoopTimerGetNextFireDate(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    pthread_mutex_lock(&timer->lock);
    CFAbsoluteTime next = timer->next_fire_date;
    pthread_mutex_unlock(&timer->lock);
    return next;
}

void CFRunLoopTimerSetNextFireDate(CFRunLoopTimerRef timer, CFAbsoluteTime fireDate) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    if (!atomic_load(&timer->valid)) return;
    pthread_mutex_lock(&timer->lock);
    timer->next_fire_date = fireDate;
    atomic_store(&timer->fire_ns, cfmp_timer_deadline_of(fireDate));
    CFRunLoopRef rl = timer->rl != NULL && cfmp_object_try_retain(timer->rl) ? timer->rl : NULL;
    pthread_mutex_unlock(&timer->lock);
    if (rl != NULL) {
        CFRunLoopWakeUp(rl); /* its wait may now be too long, as CF wakes it */
        CFRelease(rl);
    }
}

CFTimeInterval CFRunLoopTimerGetInterval(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    return timer->interval;
}

Boolean CFRunLoopTimerDoesRepeat(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    return timer->interval > 0;
}

CFIndex CFRunLoopTimerGetOrder(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    return timer->order;
}

Boolean CFRunLoopTimerIsValid(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    return atomic_load(&timer->valid);
}

void CFRunLoopTimerGetContext(CFRunLoopTimerRef timer, CFRunLoopTimerContext *context) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    assert(context != NULL);
    pthread_mutex_lock(&timer->lock);
    *context = timer->context;
    pthread_mutex_unlock(&timer->lock);
}

CFTimeInterval CFRunLoopTimerGetTolerance(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    return timer->tolerance;
}

void CFRunLoopTimerSetTolerance(CFRunLoopTimerRef timer, CFTimeInterval tolerance) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    /* Kept for GetTolerance; timers fire as early as they can (a tolerance only allows late). */
    timer->tolerance = tolerance > 0 ? tolerance : 0.0;
}

static ssize_t cfmp_mode_find_timer(const struct cfmp_rl_mode *mode, CFRunLoopTimerRef timer) {
    assert(cfmp_mode_validate(mode));
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    for (size_t i = 0; i < mode->timer_count; i++) {
        if (mode->timers[i] == timer) return (ssize_t)i;
    }
    return -1;
}

static void cfmp_runloop_add_timer_to_mode(CFRunLoopRef rl, CFRunLoopTimerRef timer,
                                           CFStringRef mode_name) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    assert(mode_name != NULL && !cfmp_mode_name_equal(mode_name, kCFRunLoopCommonModes));
    if (!atomic_load(&timer->valid)) return;
    pthread_mutex_lock(&rl->lock);
    struct cfmp_rl_mode *mode = cfmp_runloop_mode(rl, mode_name, true);
    assert(cfmp_mode_validate(mode));
    if (cfmp_mode_find_timer(mode, timer) >= 0) {
        pthread_mutex_unlock(&rl->lock);
        return;
    }
    pthread_mutex_lock(&timer->lock);
    bool elsewhere = timer->rl != NULL && timer->rl != rl; /* one run loop per timer (CF) */
    if (!elsewhere) {
        timer->rl = rl;
        timer->mode_count++;
    }
    pthread_mutex_unlock(&timer->lock);
    if (elsewhere) {
        pthread_mutex_unlock(&rl->lock);
        cfmp_log("CFRunLoopAddTimer: the timer is already in another run loop");
        return;
    }
    mode->timers = cfmp_grow(mode->timers, &mode->timer_capacity, mode->timer_count + 1,
                             sizeof *mode->timers);
    mode->timers[mode->timer_count++] = CFMP_RETAIN(timer);
    atomic_fetch_add(&rl->timer_entries, 1);
    assert(cfmp_mode_validate(mode));
    pthread_mutex_unlock(&rl->lock);
    CFRunLoopWakeUp(rl); /* a sleeping loop recomputes how long to wait */
}

/* Detaches timer from mode (rl->lock held); the caller releases the returned reference. */
static CFRunLoopTimerRef cfmp_mode_detach_timer(CFRunLoopRef rl, struct cfmp_rl_mode *mode,
                                                CFRunLoopTimerRef timer) {
    assert(cfmp_runloop_validate(rl) && cfmp_mode_validate(mode)); /* rl->lock held */
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    ssize_t index = cfmp_mode_find_timer(mode, timer);
    if (index < 0) return NULL;
    memmove(&mode->timers[index], &mode->timers[index + 1],
            (mode->timer_count - (size_t)index - 1) * sizeof *mode->timers);
    mode->timer_count--;
    assert(atomic_load(&rl->timer_entries) > 0);
    atomic_fetch_sub(&rl->timer_entries, 1);
    cfmp_timer_leave_mode(timer, rl);
    return timer;
}

static bool cfmp_runloop_drop_common_timer(CFRunLoopRef rl, CFRunLoopTimerRef timer) {
    assert(cfmp_runloop_validate(rl)); /* rl->lock held */
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    for (size_t i = 0; i < rl->common_timer_count; i++) {
        if (rl->common_timers[i] == timer) {
            rl->common_timers[i] = rl->common_timers[--rl->common_timer_count];
            return true;
        }
    }
    return false;
}

static void cfmp_runloop_remove_timer_from_mode(CFRunLoopRef rl, CFRunLoopTimerRef timer,
                                                CFStringRef mode_name) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode_name != NULL && !cfmp_mode_name_equal(mode_name, kCFRunLoopCommonModes));
    pthread_mutex_lock(&rl->lock);
    struct cfmp_rl_mode *mode = cfmp_runloop_mode(rl, mode_name, false);
    CFRunLoopTimerRef detached = mode != NULL ? cfmp_mode_detach_timer(rl, mode, timer) : NULL;
    pthread_mutex_unlock(&rl->lock);
    if (detached != NULL) CFRelease(detached);
}

void CFRunLoopAddTimer(CFRunLoopRef rl, CFRunLoopTimerRef timer, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    assert(mode != NULL);
    if (!cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        cfmp_runloop_add_timer_to_mode(rl, timer, mode);
        return;
    }
    if (!atomic_load(&timer->valid)) return;
    pthread_mutex_lock(&rl->lock);
    bool present = false;
    for (size_t i = 0; i < rl->common_timer_count; i++) {
        present = present || rl->common_timers[i] == timer;
    }
    if (!present) {
        rl->common_timers = cfmp_grow(rl->common_timers, &rl->common_timer_capacity,
                                      rl->common_timer_count + 1, sizeof *rl->common_timers);
        rl->common_timers[rl->common_timer_count++] = CFMP_RETAIN(timer);
    }
    size_t count = 0;
    CFStringRef *names = cfmp_runloop_copy_common_modes(rl, &count);
    pthread_mutex_unlock(&rl->lock);
    for (size_t i = 0; i < count; i++) cfmp_runloop_add_timer_to_mode(rl, timer, names[i]);
    cfmp_release_names(names, count);
}

void CFRunLoopRemoveTimer(CFRunLoopRef rl, CFRunLoopTimerRef timer, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    if (!cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        cfmp_runloop_remove_timer_from_mode(rl, timer, mode);
        return;
    }
    pthread_mutex_lock(&rl->lock);
    bool was_common = cfmp_runloop_drop_common_timer(rl, timer);
    size_t count = 0;
    CFStringRef *names = cfmp_runloop_copy_common_modes(rl, &count);
    pthread_mutex_unlock(&rl->lock);
    if (was_common) {
        for (size_t i = 0; i < count; i++) cfmp_runloop_remove_timer_from_mode(rl, timer, names[i]);
        CFRelease(timer);
    }
    cfmp_release_names(names, count);
}

Boolean CFRunLoopContainsTimer(CFRunLoopRef rl, CFRunLoopTimerRef timer, CFRunLoopMode mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    pthread_mutex_lock(&rl->lock);
    bool found = false;
    if (cfmp_mode_name_equal(mode, kCFRunLoopCommonModes)) {
        for (size_t i = 0; i < rl->common_timer_count; i++) {
            found = found || rl->common_timers[i] == timer;
        }
    } else {
        struct cfmp_rl_mode *entry_mode = cfmp_runloop_mode(rl, mode, false);
        found = entry_mode != NULL && cfmp_mode_find_timer(entry_mode, timer) >= 0;
    }
    pthread_mutex_unlock(&rl->lock);
    return found;
}

CFAbsoluteTime CFRunLoopGetNextTimerFireDate(CFRunLoopRef rl, CFRunLoopMode mode_name) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFAbsoluteTime earliest = 0.0;
    pthread_mutex_lock(&rl->lock);
    struct cfmp_rl_mode *mode = cfmp_runloop_mode(rl, mode_name, false);
    for (size_t i = 0; mode != NULL && i < mode->timer_count; i++) {
        CFRunLoopTimerRef timer = mode->timers[i];
        if (!atomic_load(&timer->valid)) continue;
        pthread_mutex_lock(&timer->lock);
        CFAbsoluteTime next = timer->next_fire_date;
        pthread_mutex_unlock(&timer->lock);
        if (earliest == 0.0 || next < earliest) earliest = next;
    }
    pthread_mutex_unlock(&rl->lock);
    return earliest;
}

void CFRunLoopTimerInvalidate(CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    if (!atomic_exchange(&timer->valid, false)) return;
    CFMP_RETAIN(timer); /* the run loops' references go below */
    pthread_mutex_lock(&timer->lock);
    CFRunLoopRef rl = timer->rl != NULL && cfmp_object_try_retain(timer->rl) ? timer->rl : NULL;
    void *info = timer->context.info;
    timer->context.info = NULL;
    pthread_mutex_unlock(&timer->lock);
    if (rl != NULL) {
        /* Out of every mode and the common items, references released outside the lock. */
        pthread_mutex_lock(&rl->lock);
        size_t count = 0;
        CFRunLoopTimerRef *detached = malloc((rl->mode_count + 2) * sizeof *detached);
        if (detached == NULL) abort();
        for (size_t i = 0; i < rl->mode_count; i++) {
            CFRunLoopTimerRef entry = cfmp_mode_detach_timer(rl, rl->modes[i], timer);
            if (entry != NULL) detached[count++] = entry;
        }
        if (cfmp_runloop_drop_common_timer(rl, timer)) detached[count++] = timer;
        pthread_mutex_unlock(&rl->lock);
        for (size_t i = 0; i < count; i++) CFRelease(detached[i]);
        free(detached);
        CFRelease(rl);
    }
    if (timer->context.release != NULL) timer->context.release(info);
    CFRelease(timer);
}

/* Earliest deadline of a valid, not-firing timer of mode (rl->lock held); NEVER if none. */
static uint64_t cfmp_mode_next_timer_ns(const struct cfmp_rl_mode *mode) {
    assert(cfmp_mode_validate(mode)); /* rl->lock held */
    uint64_t earliest = CFMP_DEADLINE_NEVER;
    for (size_t i = 0; i < mode->timer_count; i++) {
        CFRunLoopTimerRef timer = mode->timers[i];
        if (!atomic_load(&timer->valid)) continue;
        uint64_t fire_ns = atomic_load(&timer->fire_ns);
        if (fire_ns < earliest) earliest = fire_ns;
    }
    return earliest;
}

static uint64_t cfmp_runloop_next_timer_ns(CFRunLoopRef rl, struct cfmp_rl_mode *mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode != NULL);
    if (atomic_load_explicit(&rl->timer_entries, memory_order_relaxed) == 0) {
        return CFMP_DEADLINE_NEVER;
    }
    pthread_mutex_lock(&rl->lock);
    uint64_t earliest = cfmp_mode_next_timer_ns(mode);
    pthread_mutex_unlock(&rl->lock);
    return earliest;
}

/* Fires timer if it is still due in rl, then schedules its next fire: the first multiple of
 * the interval after now, counted from the fire that was due (missed fires are skipped, as
 * CF does), unless the callout set a later date itself. */
static void cfmp_timer_fire(CFRunLoopRef rl, CFRunLoopTimerRef timer) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    CFMP_ASSERT_TYPE(timer, CFMP_TYPE_RUN_LOOP_TIMER);
    pthread_mutex_lock(&timer->lock);
    uint64_t due_ns = atomic_load(&timer->fire_ns);
    if (!atomic_load(&timer->valid) || timer->firing || timer->rl != rl || due_ns > cfmp_now_ns()) {
        pthread_mutex_unlock(&timer->lock);
        return;
    }
    timer->firing = true;
    void *info = timer->context.info;
    void (*release)(const void *) = NULL;
    if (timer->context.retain != NULL) {
        info = (void *)timer->context.retain(info); /* kept alive across the callout */
        release = timer->context.release;
    }
    bool once = timer->interval <= 0;
    pthread_mutex_unlock(&timer->lock);
    if (timer->callout != NULL) timer->callout(timer, info);
    if (once) CFRunLoopTimerInvalidate(timer);
    if (release != NULL) release(info);
    pthread_mutex_lock(&timer->lock);
    timer->firing = false;
    uint64_t now_ns = cfmp_now_ns();
    if (atomic_load(&timer->valid) && atomic_load(&timer->fire_ns) <= due_ns) {
        double interval = timer->interval < CFMP_TIMER_INTERVAL_LIMIT ? timer->interval
                                                                       : CFMP_TIMER_INTERVAL_LIMIT;
        uint64_t interval_ns = (uint64_t)(interval * 1e9);
        if (interval_ns == 0) interval_ns = 1;
        uint64_t next_ns = due_ns + interval_ns;
        if (next_ns <= now_ns) next_ns = due_ns + ((now_ns - due_ns) / interval_ns + 1) * interval_ns;
        atomic_store(&timer->fire_ns, next_ns);
        timer->next_fire_date = CFAbsoluteTimeGetCurrent() + (double)(next_ns - now_ns) * 1e-9;
        assert(next_ns > now_ns && next_ns > due_ns); /* exit: the next fire is in the future */
    }
    pthread_mutex_unlock(&timer->lock);
}

#define CFMP_TIMERS_PER_PASS 16

static int cfmp_timer_compare(const void *a, const void *b) {
    assert(a != NULL && b != NULL);
    CFRunLoopTimerRef left = *(CFRunLoopTimerRef const *)a;
    CFRunLoopTimerRef right = *(CFRunLoopTimerRef const *)b;
    uint64_t left_ns = atomic_load(&left->fire_ns);
    uint64_t right_ns = atomic_load(&right->fire_ns);
    if (left_ns != right_ns) return left_ns < right_ns ? -1 : 1;
    return left->order < right->order ? -1 : left->order > right->order;
}

/* Fires the timers of mode that are due, earliest first (up to CFMP_TIMERS_PER_PASS; the rest
 * stay due, so the next pass does not wait). */
static void cfmp_runloop_do_timers(CFRunLoopRef rl, struct cfmp_rl_mode *mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode != NULL);
    if (atomic_load_explicit(&rl->timer_entries, memory_order_relaxed) == 0) return;
    CFRunLoopTimerRef due[CFMP_TIMERS_PER_PASS];
    size_t count = 0;
    uint64_t now_ns = cfmp_now_ns();
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_mode_validate(mode));
    for (size_t i = 0; i < mode->timer_count && count < CFMP_TIMERS_PER_PASS; i++) {
        CFRunLoopTimerRef timer = mode->timers[i];
        if (atomic_load(&timer->valid) && atomic_load(&timer->fire_ns) <= now_ns) {
            due[count++] = CFMP_RETAIN(timer);
        }
    }
    pthread_mutex_unlock(&rl->lock);
    qsort(due, count, sizeof *due, cfmp_timer_compare);
    for (size_t i = 0; i < count; i++) {
        cfmp_timer_fire(rl, due[i]);
        CFRelease(due[i]);
    }
}

/* ---- running ------------------------------------------------------------------------------ */

/* Performs every signalled version 0 source of mode; returns whether any ran. */
static bool cfmp_runloop_do_v0(CFRunLoopRef rl, struct cfmp_rl_mode *mode) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode != NULL);
    CFRunLoopSourceRef ready[16];
    size_t count = 0;
    pthread_mutex_lock(&rl->lock);
    assert(cfmp_mode_validate(mode));
    for (size_t i = 0; i < mode->count && count < 16; i++) {
        CFRunLoopSourceRef source = mode->entries[i].source;
        if (source->ops == NULL && atomic_load(&source->signaled)) ready[count++] = CFMP_RETAIN(source);
    }
    pthread_mutex_unlock(&rl->lock);
    bool handled = false;
    for (size_t i = 0; i < count; i++) {
        CFRunLoopSourceRef source = ready[i];
        if (atomic_load(&source->valid) && atomic_exchange(&source->signaled, false)) {
            if (source->context.perform != NULL) source->context.perform(source->context.info);
            handled = true;
        }
        CFRelease(source);
    }
    return handled;
}

/* Performs the fd source of entry id (if it is still in mode); returns whether it ran. With
 * probe (id 0: the mode's hot entry), the fd was not reported readable: the source only tries
 * a non-blocking read, and it counts as handled only if it took a message. */
static bool cfmp_runloop_do_fd(CFRunLoopRef rl, struct cfmp_rl_mode *mode, uint64_t id, bool probe) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode != NULL && (probe || id != CFMP_WAKE_ID));
    CFRunLoopSourceRef source = NULL;
    struct cfmp_fdref *fdref = NULL;
    pthread_mutex_lock(&rl->lock);
    if (probe) id = mode->hot_id;
    for (size_t i = 0; id != CFMP_WAKE_ID && i < mode->count; i++) {
        if (mode->entries[i].id == id) {
            source = CFMP_RETAIN(mode->entries[i].source);
            fdref = cfmp_fdref_retain(mode->entries[i].fdref);
            break;
        }
    }
    pthread_mutex_unlock(&rl->lock);
    if (source == NULL) return false;
    assert(source->ops != NULL && fdref != NULL); /* only fd entries are in the epoll */
    bool handled = false;
    if (atomic_load(&source->valid)) {
        handled = source->ops->perform(source->fd_info, fdref, probe) || !probe;
        if (handled && !probe) {
            pthread_mutex_lock(&rl->lock);
            mode->hot_id = id;
            pthread_mutex_unlock(&rl->lock);
        }
    }
    cfmp_fdref_release(fdref);
    CFRelease(source);
    return handled;
}

static void cfmp_runloop_drain_wake(CFRunLoopRef rl) {
    uint64_t value = 0;
    ssize_t got = read(rl->wake_fd, &value, sizeof value);
    (void)got;
}

/* One wait on the mode's epoll, and the first fd source it reports that runs; returns whether
 * one ran. */
static bool cfmp_runloop_wait_once(CFRunLoopRef rl, struct cfmp_rl_mode *mode, int timeout_ms) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode != NULL && mode->epoll_fd >= 0 && timeout_ms >= -1);
    struct epoll_event events[CFMP_EVENTS_PER_WAIT];
    atomic_store(&rl->waiting, timeout_ms != 0);
    int count = epoll_wait(mode->epoll_fd, events, CFMP_EVENTS_PER_WAIT, timeout_ms);
    atomic_store(&rl->waiting, false);
    if (count < 0) {
        if (errno != EINTR) cfmp_log("run loop: epoll_wait: %s", strerror(errno));
        return false;
    }
    bool handled = false;
    for (int i = 0; i < count; i++) {
        if (events[i].data.u64 == CFMP_WAKE_ID) {
            cfmp_runloop_drain_wake(rl);
            continue;
        }
        /* One source per pass, as CF takes one port message and then checks its deadline and
         * stop flag; level-triggered, the others stay ready for the next pass. */
        if (handled) continue;
        handled = cfmp_runloop_do_fd(rl, mode, events[i].data.u64, false) || handled;
    }
    return handled;
}

/* Adaptive spinning, per run loop (so per thread): each idle period (the start of a run, and
 * every time a run that goes on has handled a source) first polls instead of sleeping, for up
 * to the spin window, while the run loop has credit; an event within the window earns one
 * credit (up to CFMP_SPIN_CREDIT_MAX), a window that runs out costs CFMP_SPIN_MISS_COST. With
 * no credit left it sleeps at once, and probes with one window every CFMP_SPIN_PROBE_EVERY
 * idle periods. The wake-up of a sleeping thread costs more than a short round trip on an idle
 * CPU, so a server answering a client in a request loop, and that client's reply wait, both
 * stay on the fast path, and an occasional slow period (the thread preempted on a busy host)
 * does not throw them off it; a run loop whose events come slower than the window (32 clients
 * queued behind one server on 2 CPUs, an idle server, a timer-only loop) stops burning the CPU
 * after a few windows. Returns the deadline of the window, or 0 for no spinning. */
static uint64_t cfmp_runloop_spin_begin(CFRunLoopRef rl) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(rl->spin_skips < CFMP_SPIN_PROBE_EVERY && rl->spin_credit <= CFMP_SPIN_CREDIT_MAX);
    uint64_t window_ns = cfmp_runloop_spin_ns();
    if (window_ns == 0) return 0;
    if (rl->spin_credit == 0 && ++rl->spin_skips < CFMP_SPIN_PROBE_EVERY) return 0;
    rl->spin_skips = 0;
    return cfmp_now_ns() + window_ns;
}

/* The spin window of this idle period saw an event (hit) or ran out. */
static void cfmp_runloop_spin_end(CFRunLoopRef rl, bool hit) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(rl->spin_credit <= CFMP_SPIN_CREDIT_MAX);
    if (hit) {
        if (rl->spin_credit < CFMP_SPIN_CREDIT_MAX) rl->spin_credit++;
    } else {
        rl->spin_credit = rl->spin_credit > CFMP_SPIN_MISS_COST ? rl->spin_credit - CFMP_SPIN_MISS_COST : 0;
    }
    assert(rl->spin_credit <= CFMP_SPIN_CREDIT_MAX);
}

static CFRunLoopRunResult cfmp_runloop_run_mode(CFRunLoopRef rl, struct cfmp_rl_mode *mode,
                                                uint64_t deadline_ns, bool stop_after_handle) {
    CFMP_ASSERT_TYPE(rl, CFMP_TYPE_RUN_LOOP);
    assert(mode != NULL && rl->current_mode != NULL); /* cfmp_runloop_run_in_mode set it */
    uint64_t spin_until_ns = cfmp_runloop_spin_begin(rl);
    for (;;) { /* ends by stop, deadline, a handled source or an empty mode */
        if (atomic_exchange(&rl->stop_requested, false)) return kCFRunLoopRunStopped;
        bool handled = cfmp_runloop_do_v0(rl, mode);
        handled = atomic_exchange(&rl->poked, false) || handled;
        if (handled && spin_until_ns != 0) {
            cfmp_runloop_spin_end(rl, true);
            spin_until_ns = 0;
        }
        if (handled && stop_after_handle) return kCFRunLoopRunHandledSource;
        /* While spinning, poll instead of sleeping (cfmp_runloop_spin_begin). */
        bool spinning = spin_until_ns != 0 && cfmp_now_ns() < spin_until_ns;
        if (spin_until_ns != 0 && !spinning) { /* the window ran out: sleep */
            cfmp_runloop_spin_end(rl, false);
            spin_until_ns = 0;
        }
        uint64_t timer_ns = cfmp_runloop_next_timer_ns(rl, mode);
        uint64_t wake_ns = timer_ns < deadline_ns ? timer_ns : deadline_ns;
        int timeout_ms = handled || spinning ? 0 : cfmp_timeout_ms_until(wake_ns);
        /* Spinning, the source that had the last event is tried first with a plain read, which
         * saves the epoll_wait on the way to its next message (a reply, a client's next
         * request); the wait below still sees every other source and wake-up. */
        if (spinning && !handled) handled = cfmp_runloop_do_fd(rl, mode, CFMP_WAKE_ID, true);
        /* CF takes one port message per pass, then checks its deadline and stop flag: a message
         * the probe took may have run a callout past the deadline or stopped the run loop, and
         * then no other is taken (fuzz posix seed 7550: a 9th callout 19 ms past the deadline). */
        bool over = handled && (cfmp_now_ns() >= deadline_ns || atomic_load(&rl->stop_requested));
        if ((!handled || !stop_after_handle) && !over) {
            handled = cfmp_runloop_wait_once(rl, mode, timeout_ms) || handled;
        }
        cfmp_runloop_do_timers(rl, mode); /* not a handled source, as in CF */
        handled = atomic_exchange(&rl->poked, false) || handled;
        if (handled) {
            if (spin_until_ns != 0) cfmp_runloop_spin_end(rl, true);
            spin_until_ns = 0;
            if (stop_after_handle) return kCFRunLoopRunHandledSource;
            spin_until_ns = cfmp_runloop_spin_begin(rl); /* the next idle period */
        }
        if (atomic_load(&rl->stop_requested)) continue;
        if (cfmp_now_ns() >= deadline_ns) return kCFRunLoopRunTimedOut;
        pthread_mutex_lock(&rl->lock); /* spinning too: a mode emptied meanwhile is finished */
        bool empty = mode->count == 0 && mode->timer_count == 0;
        pthread_mutex_unlock(&rl->lock);
        if (empty) return kCFRunLoopRunFinished;
    }
}

uint64_t cfmp_runloop_spin_ns(void) {
    static _Atomic int64_t cached = -1;
    int64_t value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value >= 0) return (uint64_t)value;
    value = CFMP_SPIN_NS_DEFAULT;
    const char *override = getenv("CFMP_SPIN_US");
    if (override != NULL) value = (int64_t)strtol(override, NULL, 10) * 1000;
    if (value < 0) value = 0;
    atomic_store(&cached, value);
    return (uint64_t)value;
}

static CFRunLoopRunResult cfmp_runloop_run_in_mode(CFRunLoopMode mode_name, CFTimeInterval seconds,
                                                   bool stop_after_handle) {
    assert(mode_name != NULL);
    CFRunLoopRef rl = CFRunLoopGetCurrent();
    uint64_t deadline_ns = seconds > 0 ? cfmp_deadline_after_s(seconds) : cfmp_now_ns();
    pthread_mutex_lock(&rl->lock);
    struct cfmp_rl_mode *mode = cfmp_runloop_mode(rl, mode_name, false);
    if (mode == NULL || (mode->count == 0 && mode->timer_count == 0)) { /* also R36's pseudo-mode */
        pthread_mutex_unlock(&rl->lock);
        return kCFRunLoopRunFinished;
    }
    assert(cfmp_mode_validate(mode));
    CFStringRef previous = rl->current_mode;
    rl->current_mode = CFMP_RETAIN(mode->name);
    pthread_mutex_unlock(&rl->lock);
    CFRunLoopRunResult result = cfmp_runloop_run_mode(rl, mode, deadline_ns, stop_after_handle);
    pthread_mutex_lock(&rl->lock);
    CFStringRef running = rl->current_mode;
    rl->current_mode = previous;
    pthread_mutex_unlock(&rl->lock);
    CFRelease(running);
    assert(result >= kCFRunLoopRunFinished && result <= kCFRunLoopRunHandledSource); /* exit */
    return result;
}

CFRunLoopRunResult CFRunLoopRunInMode(CFRunLoopMode mode_name, CFTimeInterval seconds,
                                      Boolean returnAfterSourceHandled) {
    return cfmp_runloop_run_in_mode(mode_name, seconds, returnAfterSourceHandled);
}

void CFRunLoopRun(void) {
    CFRunLoopRunResult result;
    do {
        result = CFRunLoopRunInMode(kCFRunLoopDefaultMode, 1.0e10, false);
    } while (result != kCFRunLoopRunStopped && result != kCFRunLoopRunFinished);
}
