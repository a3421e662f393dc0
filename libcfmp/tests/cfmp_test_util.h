/*
 * cfmp_test_util.h — helpers for libcfmp's tests: an isolated runtime directory, time scaling
 * for slow runs (valgrind), unique port names, spawning the cfmp_peer helper (through valgrind
 * when the suite runs under it), reading its READY line, and counting open fds.
 */
#ifndef CFMP_TEST_UTIL_H
#define CFMP_TEST_UTIL_H

#include <CoreFoundation/CoreFoundation.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* cmocka group fixtures: setup creates a private temporary runtime dir and points
 * CFMP_RUNTIME_DIR at it; teardown removes the files left in it and the dir itself. */
int cfmp_test_runtime_dir_setup(void **state);
int cfmp_test_runtime_dir_teardown(void **state);
const char *cfmp_test_runtime_dir(void);

/* Multiplier for real-time waits (PORTSIM_TIMEOUT_MULTIPLIER of the build, or the
 * CFMP_TEST_TIME_SCALE environment variable). */
double cfmp_test_scale(void);
double cfmp_test_now_s(void);
void cfmp_test_sleep_s(double seconds);

/* A fresh name "cfmp.test.<pid>.<tag>.<n>" (+1). */
CFStringRef cfmp_test_name(const char *tag);
/* The socket path libcfmp uses for a simple (unescaped) name. */
void cfmp_test_sock_path(CFStringRef name, char *path, size_t size);

struct cfmp_peer {
    pid_t pid;
    int stdout_fd;
};
/* Starts cfmp_peer ROLE NAME [ARG] and waits for its "READY" line (false if it never came). */
bool cfmp_peer_start(struct cfmp_peer *peer, const char *role, CFStringRef name,
                     const char *argument);
/* Waits for the peer to exit; returns its exit status, 128+signal, or -1 on timeout (then it
 * is killed). */
int cfmp_peer_wait(struct cfmp_peer *peer, double timeout_s);
void cfmp_peer_kill(struct cfmp_peer *peer);

int cfmp_test_count_fds(void);

CFDataRef cfmp_test_data(const char *text);
/* A callout that answers every request with a copy of its data. */
CFDataRef cfmp_test_echo(CFMessagePortRef local, SInt32 msgid, CFDataRef data, void *info);
bool cfmp_test_data_equals(CFDataRef data, const char *text);

/* A server in a thread of this process: a local port scheduled on that thread's run loop. */
struct cfmp_thread_server {
    CFStringRef name;
    CFMessagePortCallBack callout;
    void *info;
    const CFMessagePortContext *context; /* NULL: {0, info, NULL, NULL, NULL} */
    CFRunLoopMode mode;
    CFMessagePortRef port;
    CFRunLoopRef run_loop;
    uint64_t thread;
    volatile int ready;
};
void cfmp_thread_server_start(struct cfmp_thread_server *server);
/* Stops the run loop, joins the thread, invalidates and releases the port. */
void cfmp_thread_server_stop(struct cfmp_thread_server *server);

#endif
