/*
 * cli_parallel.c — tasks over `jobs` threads whose results are handed back
 * in index order: what lets `conform -j`, `mutants -j` and `explore -j`
 * (exhaustive) print exactly what -j 1 prints, only sooner. The tasks may
 * be started in another order (longest first: the run then ends with short
 * tasks on every thread, not one long task on one).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

typedef struct pool {
    uint32_t count;
    cli_task_fn task;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t finished_one;
    const uint32_t *order; /* order[k]: the k-th index to start; NULL: index order */
    uint32_t next;         /* how many have been started */
    bool *finished;        /* [index] */
} pool;

/* A worker: takes the next index until there are none. */
static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        uint32_t k = p->next < p->count ? p->next++ : UINT32_MAX;
        pthread_mutex_unlock(&p->lock);
        if (k == UINT32_MAX) return NULL;
        uint32_t i = p->order != NULL ? p->order[k] : k;
        assert(i < p->count);
        p->task(p->ctx, i);
        pthread_mutex_lock(&p->lock);
        p->finished[i] = true;
        pthread_cond_broadcast(&p->finished_one);
        pthread_mutex_unlock(&p->lock);
    }
}

/* order, when not NULL, is a permutation of 0 .. count-1: the order tasks start in. */
void cli_parallel(uint32_t count, uint32_t jobs, const uint32_t *order, cli_task_fn task, cli_task_fn done,
                  void *ctx)
{
    assert(task != NULL && done != NULL);
    assert(jobs >= 1 && jobs <= CLI_JOBS_MAX);
    if (jobs == 1 || count <= 1) {
        for (uint32_t i = 0; i < count; i++) {
            task(ctx, i);
            done(ctx, i);
        }
        return;
    }
    pool p = {.count = count, .task = task, .ctx = ctx, .order = order, .finished = calloc(count, sizeof(bool))};
    pthread_t tid[CLI_JOBS_MAX];
    uint32_t started = 0;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.finished_one, NULL);
    for (uint32_t k = 0; p.finished != NULL && k < jobs && k < count; k++) {
        if (pthread_create(&tid[started], NULL, worker, &p) == 0) started++;
    }
    if (started == 0) { /* no thread (or no memory): all of it here, in order */
        pthread_mutex_destroy(&p.lock);
        pthread_cond_destroy(&p.finished_one);
        free(p.finished);
        cli_parallel(count, 1, NULL, task, done, ctx);
        return;
    }
    for (uint32_t i = 0; i < count; i++) { /* hand back in order, as each is ready */
        pthread_mutex_lock(&p.lock);
        while (!p.finished[i]) pthread_cond_wait(&p.finished_one, &p.lock);
        pthread_mutex_unlock(&p.lock);
        done(ctx, i);
    }
    for (uint32_t k = 0; k < started; k++) pthread_join(tid[k], NULL);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.finished_one);
    free(p.finished);
}
