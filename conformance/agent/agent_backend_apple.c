/*
 * agent_backend_apple.c — backend `apple`: the agent built against
 * CoreFoundation.framework on macOS (CMake option PORTSIM_AGENT_APPLE,
 * only on APPLE; see docs/agent-protocol.md "Running the apple backend").
 * Not built on Linux.
 */
#include "agent_backend.h"

#include "conf_proto.h"

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

/* CoreFoundation sends only well-formed requests: `malformed: true` is unsupported here. */
bool agent_backend_corrupt_next_request(bool on)
{
    (void)on;
    return false;
}
