/*
 * agent_backend_apple.c — backend `apple`: the agent built against
 * CoreFoundation.framework on macOS (CMake option PORTSIM_AGENT_APPLE,
 * only on APPLE; see docs/agent-protocol.md "Running the apple backend").
 * Not built on Linux.
 */
#include "agent_backend.h"

#include "conf_proto.h"

#include <stdlib.h>

static const char *const capabilities[] = {CONF_CAP_DISPATCH_QUEUES, CONF_CAP_CONCURRENT_QUEUES,
                                           CONF_CAP_TIMERS, CONF_CAP_COPY_DESCRIPTION, NULL};

static const agent_backend_info info = {
    .implementation = "CoreFoundation",
    .version = "system",
    .backend = "apple",
    .capabilities = capabilities,
};

const agent_backend_info *agent_backend(void)
{
    return &info;
}

dispatch_queue_t agent_backend_queue_create(const char *label, bool concurrent, unsigned width)
{
    (void)width; /* libdispatch decides a concurrent queue's width */
    return dispatch_queue_create(label, concurrent ? DISPATCH_QUEUE_CONCURRENT : DISPATCH_QUEUE_SERIAL);
}

typedef struct timer_ctx {
    void (*fire)(void *ctx);
    void *ctx;
} timer_ctx;

static void timer_fired(CFRunLoopTimerRef timer, void *info)
{
    (void)timer;
    timer_ctx *t = info;
    t->fire(t->ctx);
}

bool agent_backend_add_timer(CFStringRef mode, double after_s, double every_s,
                             void (*fire)(void *ctx), void *ctx)
{
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
