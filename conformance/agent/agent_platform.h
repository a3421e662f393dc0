/*
 * agent_platform.h — what the C agent needs from the operating system:
 * threads, a lock and a condition, the host's monotonic clock, sleeping,
 * busy work, zero-filled mappings and dying. One implementation per
 * platform family, chosen by the build (agent_platform_posix.c serves
 * Linux and macOS). Nothing here touches CoreFoundation.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef AGENT_PLATFORM_H
#define AGENT_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct agent_mutex agent_mutex; /* opaque, made by agent_mutex_create */

agent_mutex *agent_mutex_create(void);
void agent_mutex_lock(agent_mutex *m);
void agent_mutex_unlock(agent_mutex *m);
/* Waits on the mutex's condition (the mutex must be held); 0 ns: forever. */
void agent_mutex_wait(agent_mutex *m, int64_t timeout_ns);
void agent_mutex_broadcast(agent_mutex *m);

/* Starts fn(arg) on a new thread; false when it cannot. Threads are never joined. */
bool agent_thread_start(void (*fn)(void *), void *arg);

/* The host's monotonic clock (CLOCK_MONOTONIC): the same clock in every process. */
int64_t agent_now_ns(void);
/* Sleeps until the monotonic time (no-op if it has passed). */
void agent_sleep_until_ns(int64_t deadline_ns);
/* Keeps the thread busy until the monotonic time (sleeping, then spinning the last 200 us). */
void agent_work_until_ns(int64_t deadline_ns);

/* A zero-filled read-only mapping of size bytes, reserving no memory (for huge data). */
void *agent_map_zeros(size_t size);
void agent_unmap(void *p, size_t size);

/* Dies at once with SIGKILL, as a crash fault would. */
void agent_die(void) __attribute__((noreturn));
/* Ends the process now with status (no atexit handlers: as the model's exit). */
void agent_exit(int status) __attribute__((noreturn));

/* Reads up to cap bytes from stdin; 0 at end of file, -1 on error. */
long agent_read_stdin(char *buf, size_t cap);
/* Writes all bytes to stdout; false when the runner is gone. */
bool agent_write_stdout(const char *buf, size_t len);

#endif /* AGENT_PLATFORM_H */
