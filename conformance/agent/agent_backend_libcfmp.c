/*
 * agent_backend_libcfmp.c — backend `posix`: the agent built against
 * libcfmp (see libcfmp/README.md), with serial and concurrent dispatch
 * queues, run-loop timers and CFCopyDescription (agent_backend_cf.c), and
 * corrupt requests through libcfmp's private test hook (cfmp_testing.h). It
 * has no per-PID SPI, launchd MachServices or sandbox: those capabilities
 * are not announced, so the runner skips scenarios that need them.
 */
#include "agent_backend.h"

#include "cfmp_testing.h"
#include "conf_proto.h"

#ifndef AGENT_IMPLEMENTATION_VERSION
#define AGENT_IMPLEMENTATION_VERSION "0.1.0"
#endif

static const char *const capabilities[] = {CONF_CAP_DISPATCH_QUEUES, CONF_CAP_CONCURRENT_QUEUES,
                                           CONF_CAP_TIMERS, CONF_CAP_COPY_DESCRIPTION,
                                           CONF_CAP_MALFORMED_SEND, NULL};

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

/* libcfmp's hook changes the next request frame's magic (R45's "bad magic"). */
bool agent_backend_corrupt_next_request(bool on)
{
    cfmp_testing_corrupt_next_request(on);
    return true;
}
