/*
 * agent_backend_libcfmp.c — backend `posix`: the agent built against
 * libcfmp (see libcfmp/README.md). libcfmp has serial dispatch queues
 * only, no run-loop timers and no CFCopyDescription, and no per-PID SPI,
 * launchd MachServices or sandbox: those capabilities are not announced,
 * so the runner skips scenarios that need them.
 */
#include "agent_backend.h"

#include "conf_proto.h"

#ifndef AGENT_IMPLEMENTATION_VERSION
#define AGENT_IMPLEMENTATION_VERSION "0.1.0"
#endif

static const char *const capabilities[] = {CONF_CAP_DISPATCH_QUEUES, NULL};

static const agent_backend_info info = {
    .implementation = "libcfmp",
    .version = AGENT_IMPLEMENTATION_VERSION,
    .backend = "posix",
    .capabilities = capabilities,
};

const agent_backend_info *agent_backend(void)
{
    return &info;
}

dispatch_queue_t agent_backend_queue_create(const char *label, bool concurrent, unsigned width)
{
    (void)width;
    if (concurrent) return NULL;
    return dispatch_queue_create(label, DISPATCH_QUEUE_SERIAL);
}

bool agent_backend_add_timer(CFStringRef mode, double after_s, double every_s,
                             void (*fire)(void *ctx), void *ctx)
{
    (void)mode;
    (void)after_s;
    (void)every_s;
    (void)fire;
    (void)ctx;
    return false;
}

bool agent_backend_copy_description(CFTypeRef object)
{
    (void)object;
    return false;
}
