/*
 * agent_backend_cf.c — what the C agent does through the CF and dispatch API
 * in the same way on every implementation that has it: dispatch queues,
 * run-loop timers, CFCopyDescription. Both backends (libcfmp on Linux,
 * CoreFoundation on macOS) link it; each says in its own file what it is
 * and which capabilities it announces.
 */
#include "agent_backend.h"

#include <assert.h>
#include <stdlib.h>

/* width: like libdispatch, the implementation decides a concurrent queue's width */
dispatch_queue_t agent_backend_queue_create(const char *label, bool concurrent, unsigned width)
{
    assert(label != NULL);
    (void)width;
    return dispatch_queue_create(label, concurrent ? DISPATCH_QUEUE_CONCURRENT : DISPATCH_QUEUE_SERIAL);
}

typedef struct timer_ctx {
    void (*fire)(void *ctx);
    void *ctx;
} timer_ctx;

static void timer_fired(CFRunLoopTimerRef timer, void *info)
{
    assert(info != NULL);
    (void)timer;
    timer_ctx *t = info;
    assert(t->fire != NULL); /* agent_backend_add_timer's */
    t->fire(t->ctx);
}

bool agent_backend_add_timer(CFStringRef mode, double after_s, double every_s,
                             void (*fire)(void *ctx), void *ctx)
{
    assert(mode != NULL && fire != NULL);
    assert(after_s >= 0 && every_s >= 0); /* add_timer's durations are not negative (conf_step_validate) */
    timer_ctx *t = malloc(sizeof *t); /* lives as long as the process */
    if (t == NULL) return false;
    t->fire = fire;
    t->ctx = ctx;
    CFRunLoopTimerContext context = {0, t, NULL, NULL, NULL};
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent() + after_s,
                                                   every_s, 0, 0, timer_fired, &context);
    if (timer == NULL) return false;
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, mode);
    CFRelease(timer);
    return true;
}

bool agent_backend_copy_description(CFTypeRef object)
{
    CFStringRef description = CFCopyDescription(object);
    if (description != NULL) CFRelease(description);
    return true;
}
