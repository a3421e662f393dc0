/*
 * cfmp_testing.h — libcfmp's private test hooks. Not part of the CoreFoundation API, not
 * installed, not declared in any public header: only portsim's conformance agent
 * (conformance/agent/agent_backend_libcfmp.c) and libcfmp's own tests use them.
 */
#ifndef CFMP_TESTING_H
#define CFMP_TESTING_H

#include <stdbool.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* on: the next request frame this thread sends inline (CFMessagePortSendRequest with a payload
 * of at most 64 KiB) goes out with a wrong magic, its framing intact, so the server drops it
 * as corrupt (R45: no callout, the connection stays; a two-way sender then gets -2 at its
 * deadline). One-shot: that frame consumes it. off: cancels it if no frame did (call it after
 * the send, which may fail before sending). Thread-local, so other threads' sends and the
 * requests of callouts nested in this send's wait are untouched. */
__attribute__((visibility("default"))) void cfmp_testing_corrupt_next_request(bool on);

#if defined(__cplusplus)
}
#endif

#endif /* CFMP_TESTING_H */
