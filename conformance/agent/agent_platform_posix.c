/* agent_platform_posix.c — agent_platform.h on POSIX systems (Linux, macOS). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE
#endif
#include "agent_platform.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif

struct agent_mutex {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
};

agent_mutex *agent_mutex_create(void)
{
    agent_mutex *m = calloc(1, sizeof *m);
    if (m == NULL) abort();
    pthread_mutex_init(&m->mutex, NULL);
    pthread_cond_init(&m->cond, NULL);
    return m;
}

void agent_mutex_lock(agent_mutex *m)
{
    pthread_mutex_lock(&m->mutex);
}

void agent_mutex_unlock(agent_mutex *m)
{
    pthread_mutex_unlock(&m->mutex);
}

void agent_mutex_wait(agent_mutex *m, int64_t timeout_ns)
{
    assert(m != NULL);
    assert(timeout_ns >= 0); /* 0: forever */
    if (timeout_ns <= 0) {
        pthread_cond_wait(&m->cond, &m->mutex);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + timeout_ns % 1000000000;
    ts.tv_sec += (time_t)(timeout_ns / 1000000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    assert(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000); /* else EINVAL: no wait at all */
    pthread_cond_timedwait(&m->cond, &m->mutex, &ts);
}

void agent_mutex_broadcast(agent_mutex *m)
{
    pthread_cond_broadcast(&m->cond);
}

typedef struct start_arg {
    void (*fn)(void *);
    void *arg;
} start_arg;

static void crash_thread_init(void);

static void *thread_main(void *p)
{
    assert(p != NULL);
    crash_thread_init();
    start_arg a = *(start_arg *)p;
    assert(a.fn != NULL);
    free(p);
    a.fn(a.arg);
    return NULL;
}

bool agent_thread_start(void (*fn)(void *), void *arg)
{
    assert(fn != NULL);
    start_arg *a = malloc(sizeof *a);
    if (a == NULL) return false;
    a->fn = fn;
    a->arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, (size_t)8 << 20); /* nested callouts recurse */
    pthread_t t;
    int rc = pthread_create(&t, &attr, thread_main, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) free(a);
    return rc == 0;
}

int64_t agent_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void agent_sleep_until_ns(int64_t deadline_ns)
{
    for (int guard = 0; guard < 1000000; guard++) {
        int64_t left = deadline_ns - agent_now_ns();
        if (left <= 0) return;
        struct timespec ts = {.tv_sec = (time_t)(left / 1000000000), .tv_nsec = (long)(left % 1000000000)};
        assert(ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
        nanosleep(&ts, NULL);
    }
}

/* The last part of a `work`, spun for precision (nanosleep may wake ~50-100 us late). */
#define AGENT_WORK_SPIN_NS 200000

void agent_work_until_ns(int64_t deadline_ns)
{
    /* Sleep through most of it: on a busy host a thread that spins for milliseconds is
     * preempted and notices its deadline only a time slice late (the overshoots of a run of
     * callouts add up), while a sleeping one is woken promptly. Either way the thread is busy
     * in its handler, which is all the scenario's `work` means. */
    agent_sleep_until_ns(deadline_ns - AGENT_WORK_SPIN_NS);
    volatile uint64_t spin = 0;
    while (agent_now_ns() < deadline_ns) spin++;
}

void *agent_map_zeros(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void agent_unmap(void *p, size_t size)
{
    if (p != NULL) munmap(p, size);
}

void agent_die(void)
{
    kill(getpid(), SIGKILL);
    for (;;) pause();
}

void agent_exit(int status)
{
    _exit(status);
}

long agent_read_stdin(char *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, cap);
        if (n >= 0) return (long)n;
        if (errno != EINTR) return -1;
    }
}

/* Who writes stdout: nobody, a line (agent_write_stdout, one at a time: its callers hold the
 * output lock), or a crash line, which then owns it until the process dies. */
enum { STDOUT_IDLE = 0, STDOUT_LINE = 1, STDOUT_CRASH = 2 };
static atomic_int stdout_owner;

static bool write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

bool agent_write_stdout(const char *buf, size_t len)
{
    assert(buf != NULL || len == 0);
    int idle = STDOUT_IDLE;
    while (!atomic_compare_exchange_weak(&stdout_owner, &idle, STDOUT_LINE)) {
        if (idle == STDOUT_CRASH) for (;;) pause(); /* the process is dying of a crash */
        idle = STDOUT_IDLE;
    }
    bool ok = write_all(buf, len);
    atomic_store(&stdout_owner, STDOUT_IDLE);
    return ok;
}

/* ---- crashes inside CF calls ---------------------------------------------------------------------- */

#define CRASH_ALT_STACK_BYTES ((size_t)64 << 10)
#define CRASH_WAIT_FOR_LINE_MS 1000 /* a line another thread is writing: its pipe may be full */

/* Written by the thread itself, read by its own signal handler: volatile suffices. A thread
 * made by CF (a dispatch worker) starts unmarked. */
static _Thread_local volatile int64_t crash_exec;
static volatile int64_t crash_epoch_ns;
static const int crash_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE};

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGFPE: return "SIGFPE";
    default: return "?";
    }
}

/* Appends text at *at (async-signal-safe: no library calls); stops at cap. */
static void put_text(char *buf, size_t cap, size_t *at, const char *text)
{
    while (*text != '\0' && *at < cap) buf[(*at)++] = *text++;
}

static void put_int(char *buf, size_t cap, size_t *at, int64_t v)
{
    char digits[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0 && n < sizeof digits);
    if (v < 0 && *at < cap) buf[(*at)++] = '-';
    while (n > 0 && *at < cap) buf[(*at)++] = digits[--n];
}

/* Only async-signal-safe calls: clock_gettime, nanosleep, write, raise; lock-free atomics. */
static void crash_handler(int sig)
{
    int saved_errno = errno;
    int64_t exec = crash_exec;
    if (exec > 0) {
        int idle = STDOUT_IDLE;
        bool owner = false;
        for (int ms = 0; ms < CRASH_WAIT_FOR_LINE_MS && !owner; ms++) {
            idle = STDOUT_IDLE;
            owner = atomic_compare_exchange_strong(&stdout_owner, &idle, STDOUT_CRASH);
            if (owner || idle == STDOUT_CRASH) break; /* another thread's crash reports */
            struct timespec pause_ts = {0, 1000000};
            nanosleep(&pause_ts, NULL);
        }
        if (owner) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t t_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - crash_epoch_ns;
            char line[160];
            size_t at = 0;
            put_text(line, sizeof line, &at, "{\"type\": \"crashed\", \"exec\": ");
            put_int(line, sizeof line, &at, exec);
            put_text(line, sizeof line, &at, ", \"signal\": \"");
            put_text(line, sizeof line, &at, signal_name(sig));
            put_text(line, sizeof line, &at, "\", \"t_ns\": ");
            put_int(line, sizeof line, &at, t_ns);
            put_text(line, sizeof line, &at, "}\n");
            (void)write_all(line, at);
        }
    }
    errno = saved_errno;
    /* The default action (SA_RESETHAND set it, except where a system keeps SIGILL and SIGTRAP
     * caught): the signal, pending until the handler returns, ends the process. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

/*
 * The thread's alternate signal stack, for a crash on a stack overflow. A thread that has one
 * already keeps it: AddressSanitizer gives each thread its own and unmaps it when the thread
 * ends, so replacing it made ASan unmap our buffer and abort at every thread's exit.
 */
static void crash_thread_init(void)
{
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_sp != NULL) return;
    stack_t ss = {.ss_sp = malloc(CRASH_ALT_STACK_BYTES), .ss_size = CRASH_ALT_STACK_BYTES, .ss_flags = 0};
    if (ss.ss_sp != NULL && sigaltstack(&ss, NULL) != 0) free(ss.ss_sp); /* else kept for the thread's life */
}

void agent_crash_init(void)
{
    assert(atomic_is_lock_free(&stdout_owner)); /* the handler's atomics must be lock-free */
    crash_thread_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash_handler;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        sigaddset(&sa.sa_mask, crash_signals[i]); /* one crash report at a time per thread */
    }
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        sigaction(crash_signals[i], &sa, NULL);
    }
}

void agent_crash_set_epoch(int64_t epoch_ns)
{
    crash_epoch_ns = epoch_ns;
}

int64_t agent_crash_mark(int64_t exec)
{
    assert(exec >= 0);
    int64_t previous = crash_exec;
    crash_exec = exec;
    return previous;
}
