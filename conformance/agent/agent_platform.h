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

/*
 * Crashes inside CF calls. A real CF crashes on a broken precondition (R13, R38, R40) by a
 * signal, which must reach the runner as that step's crash, while a crash in the agent's own
 * code stays the agent's failure. Each thread carries a mark: the execution whose CF call it
 * is inside, or 0 (the agent's own code; callbacks from CF clear it while they run). On
 * SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGTRAP or SIGFPE a marked thread writes one line,
 * {"type": "crashed", "exec": N, "signal": "SIGABRT", "t_ns": T}, with write(2) alone (after
 * any line another thread is writing), and the process then dies of the signal; an unmarked
 * thread writes nothing. Handlers run on an alternate stack (a stack overflow still reports)
 * given to the main thread by agent_crash_init and to every agent_thread_start thread.
 */
/* Installs the handlers; once, on the main thread, before any CF call. */
void agent_crash_init(void);
/* The runner's epoch (host CLOCK_MONOTONIC of t_ns 0), for the crash line's t_ns. */
void agent_crash_set_epoch(int64_t epoch_ns);
/* Sets the calling thread's mark (an execution id >= 1, or 0) and returns the previous one. */
int64_t agent_crash_mark(int64_t exec);

/* Reads up to cap bytes from stdin; 0 at end of file, -1 on error. */
long agent_read_stdin(char *buf, size_t cap);
/* Writes all bytes to stdout; false when the runner is gone. */
bool agent_write_stdout(const char *buf, size_t len);

#endif /* AGENT_PLATFORM_H */
