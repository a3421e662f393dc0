/*
 * agent_backend.h — what differs between the CoreFoundation
 * implementations the one C agent is built against. Exactly one
 * implementation is linked: agent_backend_libcfmp.c (backend `posix`,
 * libcfmp on Linux) or agent_backend_apple.c (backend `apple`,
 * CoreFoundation.framework on macOS).
 *
 * Everything else in the agent uses only the public CFMessagePort,
 * CFRunLoop, CFData, CFString and dispatch API, identically on both.
 */
#ifndef AGENT_BACKEND_H
#define AGENT_BACKEND_H

#include <CoreFoundation/CoreFoundation.h>
#include <dispatch/dispatch.h>
#include <stdbool.h>

typedef struct agent_backend_info {
    const char *implementation; /* "libcfmp", "CoreFoundation" */
    const char *version;
    const char *backend;        /* "posix", "apple" */
    const char *const *capabilities; /* NULL-terminated CONF_CAP_* names */
} agent_backend_info;

const agent_backend_info *agent_backend(void);

/* A dispatch queue for a scenario queue; NULL when the kind is unsupported. +1. */
dispatch_queue_t agent_backend_queue_create(const char *label, bool concurrent, unsigned width);

/* A run-loop timer on the current run loop; false when timers are unsupported. fire runs
 * on this thread's run loop. */
bool agent_backend_add_timer(CFStringRef mode, double after_s, double every_s,
                             void (*fire)(void *ctx), void *ctx);

/* CFCopyDescription(port), released at once; false when unsupported. */
bool agent_backend_copy_description(CFTypeRef object);

/* on: the next request this thread sends is corrupt, its framing intact (a `malformed: true`
 * send, R45); off: cancelled if not used. False when the implementation has no way to do it
 * (the public API cannot: libcfmp has a private test hook, CoreFoundation none). */
bool agent_backend_corrupt_next_request(bool on);

#endif /* AGENT_BACKEND_H */
