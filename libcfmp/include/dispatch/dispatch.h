/*
 * dispatch/dispatch.h — libcfmp: a minimal subset of libdispatch, enough for
 * CFMessagePortSetDispatchQueue. Only serial queues and function (not block) submission.
 *
 * dispatch_queue_create returns +1; dispatch_retain/dispatch_release count references. Work
 * submitted to a queue runs in FIFO order, one item at a time, on a worker thread owned by
 * the queue. dispatch_get_main_queue() is drained by the main thread's run loop in the common
 * modes (CFRunLoopRun on the main thread), as on macOS; retain/release on it do nothing.
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

#if defined(__cplusplus)
extern "C" {
#endif

#define DISPATCH_EXPORT extern __attribute__((visibility("default")))

typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_queue_s *dispatch_object_t;
typedef struct dispatch_queue_attr_s *dispatch_queue_attr_t;
typedef void (*dispatch_function_t)(void *context);

#define DISPATCH_QUEUE_SERIAL ((dispatch_queue_attr_t)NULL)

DISPATCH_EXPORT dispatch_queue_t dispatch_queue_create(const char *label,
                                                       dispatch_queue_attr_t attr);
DISPATCH_EXPORT dispatch_queue_t dispatch_get_main_queue(void);
DISPATCH_EXPORT const char *dispatch_queue_get_label(dispatch_queue_t queue);
DISPATCH_EXPORT void dispatch_async_f(dispatch_queue_t queue, void *context,
                                      dispatch_function_t work);
/* Runs work on the queue and waits for it. Calling it on the queue being waited for, from its
 * own worker, deadlocks (as in libdispatch). */
DISPATCH_EXPORT void dispatch_sync_f(dispatch_queue_t queue, void *context,
                                     dispatch_function_t work);
DISPATCH_EXPORT void dispatch_retain(dispatch_object_t object);
DISPATCH_EXPORT void dispatch_release(dispatch_object_t object);

#if defined(__cplusplus)
}
#endif

#endif /* __DISPATCH_PUBLIC__ */
