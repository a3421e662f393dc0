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
#include <stdlib.h>
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

static void *thread_main(void *p)
{
    assert(p != NULL);
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

bool agent_write_stdout(const char *buf, size_t len)
{
    assert(buf != NULL || len == 0);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        assert((size_t)n <= len);
        buf += n;
        len -= (size_t)n;
    }
    return true;
}
