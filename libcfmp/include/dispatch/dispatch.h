/*
 * dispatch/dispatch.h — libcfmp: a subset of libdispatch with its names and semantics: serial
 * and concurrent queues, the global queues, the main queue, dispatch_after and dispatch_time,
 * barriers, semaphores, groups, dispatch_once, dispatch_apply and dispatch_main. Every function
 * has its function form (_f); the block forms (dispatch_async, dispatch_sync, dispatch_after,
 * …) are declared when the compiler has blocks (clang -fblocks; link with -lBlocksRuntime).
 * No dispatch sources, I/O channels or data objects (libcfmp/README.md).
 *
 * Ownership: dispatch_queue_create, dispatch_semaphore_create and dispatch_group_create return
 * +1; dispatch_retain/dispatch_release count references. The main queue and the global queues
 * are immortal (retain and release do nothing). Work submitted to a serial queue runs in FIFO
 * order, one item at a time; on a concurrent queue items start in FIFO order and run in
 * parallel (up to 64 threads per queue), except that a barrier item runs alone. Worker threads
 * are started on demand and end after a short idle time. dispatch_get_main_queue() is drained
 * by the main thread's run loop in the common modes (CFRunLoopRun on the main thread) or by
 * dispatch_main(), as on macOS.
 * Thread-safety: all functions may be called from any thread.
 */
#ifndef __DISPATCH_PUBLIC__
#define __DISPATCH_PUBLIC__ 1

/* The headers macOS's <dispatch/dispatch.h> brings in (so unistd's sleep and close, and
 * fcntl's open, are declared for a program that includes only this one). */
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>

#define DISPATCH_API_VERSION 20181008

#define DISPATCH_EXPORT extern __attribute__((visibility("default")))
#define DISPATCH_NORETURN __attribute__((__noreturn__))

/* Object types. With clang, dispatch_object_t is a transparent union of the object pointers
 * (as in Apple's header), so dispatch_retain(queue) and dispatch_release(semaphore) type-check;
 * gcc's -Wpedantic rejects passing one, so with gcc it is void * (any object converts); in C++
 * the object types derive from dispatch_object_s. */
#if defined(__cplusplus)
struct dispatch_object_s {};
struct dispatch_queue_s : public dispatch_object_s {};
struct dispatch_queue_attr_s : public dispatch_object_s {};
struct dispatch_semaphore_s : public dispatch_object_s {};
struct dispatch_group_s : public dispatch_object_s {};
typedef struct dispatch_object_s *dispatch_object_t;
extern "C" {
#elif !defined(__clang__)
struct dispatch_object_s;
struct dispatch_queue_s;
struct dispatch_queue_attr_s;
struct dispatch_semaphore_s;
struct dispatch_group_s;
typedef void *dispatch_object_t;
#else
#define __CFMP_DISPATCH_OBJECT_IS_UNION 1
struct dispatch_object_s;
struct dispatch_queue_s;
struct dispatch_queue_attr_s;
struct dispatch_semaphore_s;
struct dispatch_group_s;
typedef union {
    struct dispatch_object_s *_do;
    struct dispatch_queue_s *_dq;
    struct dispatch_queue_attr_s *_dqa;
    struct dispatch_semaphore_s *_dsema;
    struct dispatch_group_s *_dg;
} dispatch_object_t __attribute__((__transparent_union__));
#endif
typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_queue_s *dispatch_queue_global_t;
typedef struct dispatch_queue_s *dispatch_queue_main_t;
typedef struct dispatch_queue_s *dispatch_queue_serial_t;
typedef struct dispatch_queue_s *dispatch_queue_concurrent_t;
typedef struct dispatch_queue_attr_s *dispatch_queue_attr_t;
typedef struct dispatch_semaphore_s *dispatch_semaphore_t;
typedef struct dispatch_group_s *dispatch_group_t;
typedef void (*dispatch_function_t)(void *context);
typedef intptr_t dispatch_once_t;
struct timespec; /* <time.h> declares it only for POSIX or C11 */

/* ---- objects ---- */
DISPATCH_EXPORT void dispatch_retain(dispatch_object_t object);
/* The last release of a queue runs its finalizer (dispatch_set_finalizer_f) with its context. */
DISPATCH_EXPORT void dispatch_release(dispatch_object_t object);
DISPATCH_EXPORT void *dispatch_get_context(dispatch_object_t object);
DISPATCH_EXPORT void dispatch_set_context(dispatch_object_t object, void *context);
DISPATCH_EXPORT void dispatch_set_finalizer_f(dispatch_object_t object,
                                              dispatch_function_t finalizer);
/* A suspended queue starts no new item until resumed (the main queue cannot be suspended).
 * Resuming more often than suspending aborts, as libdispatch crashes. */
DISPATCH_EXPORT void dispatch_suspend(dispatch_object_t object);
DISPATCH_EXPORT void dispatch_resume(dispatch_object_t object);

/* ---- time ---- */
typedef uint64_t dispatch_time_t;
#define DISPATCH_TIME_NOW (0ull)
#define DISPATCH_TIME_FOREVER (~0ull)
#define DISPATCH_WALLTIME_NOW (~1ull)
#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC 1000000000ull
#endif
#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC 1000000ull
#endif
#ifndef USEC_PER_SEC
#define USEC_PER_SEC 1000000ull
#endif
#ifndef NSEC_PER_USEC
#define NSEC_PER_USEC 1000ull
#endif
/* when + delta nanoseconds on the monotonic clock (DISPATCH_TIME_NOW: now); saturates at
 * DISPATCH_TIME_FOREVER, which stays FOREVER. */
DISPATCH_EXPORT dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta);
/* A wall-clock time (NULL: now) + delta, converted to the monotonic clock when called (so a
 * later change of the wall clock does not move it, unlike libdispatch). */
DISPATCH_EXPORT dispatch_time_t dispatch_walltime(const struct timespec *when, int64_t delta);

/* ---- queues ---- */
#define DISPATCH_QUEUE_SERIAL ((dispatch_queue_attr_t)NULL)
DISPATCH_EXPORT struct dispatch_queue_attr_s _dispatch_queue_attr_concurrent;
#define DISPATCH_QUEUE_CONCURRENT (&_dispatch_queue_attr_concurrent)
#define DISPATCH_CURRENT_QUEUE_LABEL NULL

#define DISPATCH_QUEUE_PRIORITY_HIGH 2
#define DISPATCH_QUEUE_PRIORITY_DEFAULT 0
#define DISPATCH_QUEUE_PRIORITY_LOW (-2)
#define DISPATCH_QUEUE_PRIORITY_BACKGROUND INT16_MIN
typedef long dispatch_queue_priority_t;
/* Darwin's <sys/qos.h> classes (accepted by dispatch_get_global_queue). */
#ifndef QOS_CLASS_DEFAULT
typedef unsigned int qos_class_t;
#define QOS_CLASS_USER_INTERACTIVE 0x21u
#define QOS_CLASS_USER_INITIATED 0x19u
#define QOS_CLASS_DEFAULT 0x15u
#define QOS_CLASS_UTILITY 0x11u
#define QOS_CLASS_BACKGROUND 0x09u
#define QOS_CLASS_UNSPECIFIED 0x00u
#endif

/* label may be NULL (""); attr DISPATCH_QUEUE_SERIAL (NULL) or DISPATCH_QUEUE_CONCURRENT. */
DISPATCH_EXPORT dispatch_queue_t dispatch_queue_create(const char *label,
                                                       dispatch_queue_attr_t attr);
/* Returns attr (every queue runs at one priority here). */
DISPATCH_EXPORT dispatch_queue_attr_t dispatch_queue_attr_make_with_qos_class(
    dispatch_queue_attr_t attr, qos_class_t qos_class, int relative_priority);
DISPATCH_EXPORT dispatch_queue_main_t dispatch_get_main_queue(void);
/* A concurrent queue per priority (or QoS class); NULL for an unknown identifier or for flags
 * other than 0. All run at the same operating-system priority. */
DISPATCH_EXPORT dispatch_queue_global_t dispatch_get_global_queue(intptr_t identifier,
                                                                  uintptr_t flags);
/* DISPATCH_CURRENT_QUEUE_LABEL: the label of the queue running the caller ("" if none; the
 * main queue's on the main thread). */
DISPATCH_EXPORT const char *dispatch_queue_get_label(dispatch_queue_t queue);
/* Deprecated on macOS; the queue running the caller, else the main or default global queue. */
DISPATCH_EXPORT dispatch_queue_t dispatch_get_current_queue(void);
/* Targeting a global queue (or NULL) only sets a priority, which changes nothing here; any
 * other target is not supported (logged to stderr once, then ignored). */
DISPATCH_EXPORT void dispatch_set_target_queue(dispatch_object_t object, dispatch_queue_t queue);

DISPATCH_EXPORT void dispatch_async_f(dispatch_queue_t queue, void *context,
                                      dispatch_function_t work);
/* Runs work on the queue and waits for it. Calling it on a serial queue from that queue's own
 * work deadlocks (libdispatch crashes); on the main thread, the main queue runs it at once. */
DISPATCH_EXPORT void dispatch_sync_f(dispatch_queue_t queue, void *context,
                                     dispatch_function_t work);
/* On a concurrent queue the item waits for the items before it and runs alone; on a serial
 * queue it is an ordinary item. */
DISPATCH_EXPORT void dispatch_barrier_async_f(dispatch_queue_t queue, void *context,
                                              dispatch_function_t work);
DISPATCH_EXPORT void dispatch_barrier_sync_f(dispatch_queue_t queue, void *context,
                                             dispatch_function_t work);
/* Submits work to queue at when (DISPATCH_TIME_NOW: at once; DISPATCH_TIME_FOREVER: never). */
DISPATCH_EXPORT void dispatch_after_f(dispatch_time_t when, dispatch_queue_t queue, void *context,
                                      void (*work)(void *context));
/* Runs work(context, i) for i in [0, iterations) and returns when all are done; on a
 * concurrent queue (or NULL, DISPATCH_APPLY_AUTO) in parallel with the caller helping. */
#define DISPATCH_APPLY_AUTO ((dispatch_queue_t)NULL)
DISPATCH_EXPORT void dispatch_apply_f(size_t iterations, dispatch_queue_t queue, void *context,
                                      void (*work)(void *context, size_t iteration));
/* Parks the main thread to run the main queue, forever (main thread only, as libdispatch). */
DISPATCH_EXPORT void dispatch_main(void) DISPATCH_NORETURN;

/* ---- dispatch_once ---- */
/* Runs function once per predicate (a static or global dispatch_once_t, zero at first);
 * concurrent callers wait until it has returned. */
DISPATCH_EXPORT void dispatch_once_f(dispatch_once_t *predicate, void *context,
                                     dispatch_function_t function);

/* ---- semaphores ---- */
/* NULL for a negative value. */
DISPATCH_EXPORT dispatch_semaphore_t dispatch_semaphore_create(long value);
/* 0 once the count could be decremented, non-zero at timeout. */
DISPATCH_EXPORT long dispatch_semaphore_wait(dispatch_semaphore_t dsema, dispatch_time_t timeout);
/* Non-zero when a waiting thread was woken. */
DISPATCH_EXPORT long dispatch_semaphore_signal(dispatch_semaphore_t dsema);

/* ---- groups ---- */
DISPATCH_EXPORT dispatch_group_t dispatch_group_create(void);
DISPATCH_EXPORT void dispatch_group_enter(dispatch_group_t group);
/* Leaving more often than entering aborts, as libdispatch crashes. */
DISPATCH_EXPORT void dispatch_group_leave(dispatch_group_t group);
/* 0 when every item of the group has finished, non-zero at timeout. */
DISPATCH_EXPORT long dispatch_group_wait(dispatch_group_t group, dispatch_time_t timeout);
DISPATCH_EXPORT void dispatch_group_async_f(dispatch_group_t group, dispatch_queue_t queue,
                                            void *context, dispatch_function_t work);
/* Submits work to queue once the group is empty (at once if it already is). */
DISPATCH_EXPORT void dispatch_group_notify_f(dispatch_group_t group, dispatch_queue_t queue,
                                             void *context, dispatch_function_t work);

#if defined(__cplusplus)
}
#endif

/* ---- blocks (clang -fblocks; link -lBlocksRuntime) ------------------------------------------
 * Each block form copies the block (Block_copy) and submits it through its function form,
 * which calls and releases it; synchronous forms call the block without copying it. They are
 * inline functions here, so libcfmp itself needs no blocks support to build. */
#if defined(__BLOCKS__)
#if defined(__has_include)
#if __has_include(<Block.h>)
#include <Block.h>
#define __CFMP_HAVE_BLOCK_H 1
#endif
#endif
#if !defined(__CFMP_HAVE_BLOCK_H)
#if defined(__cplusplus)
extern "C" {
#endif
extern void *_Block_copy(const void *block);
extern void _Block_release(const void *block);
#if defined(__cplusplus)
}
#endif
#define Block_copy(...) ((__typeof(__VA_ARGS__))_Block_copy((const void *)(__VA_ARGS__)))
#define Block_release(...) _Block_release((const void *)(__VA_ARGS__))
#endif

typedef void (^dispatch_block_t)(void);

static __inline__ void __cfmp_dispatch_call_block_and_release(void *context) {
    dispatch_block_t block = (dispatch_block_t)context;
    block();
    Block_release(block);
}

static __inline__ void __cfmp_dispatch_call_block(void *context) {
    dispatch_block_t block = (dispatch_block_t)context;
    block();
}

static __inline__ void dispatch_async(dispatch_queue_t queue, dispatch_block_t block) {
    dispatch_async_f(queue, (void *)Block_copy(block), __cfmp_dispatch_call_block_and_release);
}

static __inline__ void dispatch_sync(dispatch_queue_t queue, dispatch_block_t block) {
    dispatch_sync_f(queue, (void *)block, __cfmp_dispatch_call_block);
}

static __inline__ void dispatch_barrier_async(dispatch_queue_t queue, dispatch_block_t block) {
    dispatch_barrier_async_f(queue, (void *)Block_copy(block),
                             __cfmp_dispatch_call_block_and_release);
}

static __inline__ void dispatch_barrier_sync(dispatch_queue_t queue, dispatch_block_t block) {
    dispatch_barrier_sync_f(queue, (void *)block, __cfmp_dispatch_call_block);
}

static __inline__ void dispatch_after(dispatch_time_t when, dispatch_queue_t queue,
                                      dispatch_block_t block) {
    dispatch_after_f(when, queue, (void *)Block_copy(block),
                     __cfmp_dispatch_call_block_and_release);
}

static __inline__ void dispatch_once(dispatch_once_t *predicate, dispatch_block_t block) {
    dispatch_once_f(predicate, (void *)block, __cfmp_dispatch_call_block);
}

static __inline__ void dispatch_group_async(dispatch_group_t group, dispatch_queue_t queue,
                                            dispatch_block_t block) {
    dispatch_group_async_f(group, queue, (void *)Block_copy(block),
                           __cfmp_dispatch_call_block_and_release);
}

static __inline__ void dispatch_group_notify(dispatch_group_t group, dispatch_queue_t queue,
                                             dispatch_block_t block) {
    dispatch_group_notify_f(group, queue, (void *)Block_copy(block),
                            __cfmp_dispatch_call_block_and_release);
}

static __inline__ void __cfmp_dispatch_apply_block(void *context, size_t iteration) {
    void (^block)(size_t) = (void (^)(size_t))context;
    block(iteration);
}

static __inline__ void dispatch_apply(size_t iterations, dispatch_queue_t queue,
                                      void (^block)(size_t iteration)) {
    dispatch_apply_f(iterations, queue, (void *)block, __cfmp_dispatch_apply_block);
}
#endif /* __BLOCKS__ */

#endif /* __DISPATCH_PUBLIC__ */
