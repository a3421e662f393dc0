/*
 * test_cfmp_dispatch.c — the <dispatch/dispatch.h> subset a macOS program uses (issue 12):
 * concurrent and global queues, barriers, dispatch_after and dispatch_time, semaphores,
 * groups, dispatch_once, dispatch_apply, suspend/resume, labels, contexts and finalizers, and
 * dispatch_main (in a helper process: it never returns). Each test checks libdispatch's
 * documented semantics (return values, NULL results, ordering).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <dispatch/dispatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static dispatch_time_t cfmp_after_s(double seconds) {
    return dispatch_time(DISPATCH_TIME_NOW, (int64_t)(seconds * (double)NSEC_PER_SEC));
}

struct cfmp_parallel {
    atomic_int running;
    atomic_int peak;
    atomic_int done;
    dispatch_semaphore_t finished;
};

static void cfmp_parallel_item(void *context) {
    struct cfmp_parallel *p = context;
    int now = atomic_fetch_add(&p->running, 1) + 1;
    int peak = atomic_load(&p->peak);
    while (now > peak && !atomic_compare_exchange_weak(&p->peak, &peak, now)) {
    }
    cfmp_test_sleep_s(0.05);
    atomic_fetch_sub(&p->running, 1);
    atomic_fetch_add(&p->done, 1);
    dispatch_semaphore_signal(p->finished);
}

static void test_issue12_concurrent_queue_runs_items_in_parallel(void **state) {
    (void)state;
    dispatch_queue_t queue = dispatch_queue_create("cfmp.concurrent", DISPATCH_QUEUE_CONCURRENT);
    assert_non_null(queue);
    struct cfmp_parallel p = {0, 0, 0, dispatch_semaphore_create(0)};
    for (int i = 0; i < 4; i++) dispatch_async_f(queue, &p, cfmp_parallel_item);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dispatch_semaphore_wait(p.finished, cfmp_after_s(10 * cfmp_test_scale())), 0);
    }
    assert_int_equal(atomic_load(&p.done), 4);
    assert_true(atomic_load(&p.peak) >= 2); /* four 50 ms items overlapped */
    /* The same items on a serial queue never overlap. */
    dispatch_queue_t serial = dispatch_queue_create("cfmp.serial", DISPATCH_QUEUE_SERIAL);
    atomic_store(&p.peak, 0);
    for (int i = 0; i < 3; i++) dispatch_async_f(serial, &p, cfmp_parallel_item);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dispatch_semaphore_wait(p.finished, cfmp_after_s(10 * cfmp_test_scale())), 0);
    }
    assert_int_equal(atomic_load(&p.peak), 1);
    dispatch_release(serial);
    dispatch_release(queue);
    dispatch_release(p.finished);
}

struct cfmp_barrier_probe {
    pthread_mutex_t lock;
    int running;
    int seen_by_barrier; /* items running when the barrier ran */
    int log[16];
    int count;
};

static void cfmp_barrier_record(struct cfmp_barrier_probe *probe, int value, int delta) {
    pthread_mutex_lock(&probe->lock);
    probe->running += delta;
    if (value >= 0) probe->log[probe->count++] = value;
    pthread_mutex_unlock(&probe->lock);
}

static struct cfmp_barrier_probe cfmp_barrier;

static void cfmp_barrier_reader(void *context) {
    cfmp_barrier_record(&cfmp_barrier, -1, +1);
    cfmp_test_sleep_s(0.03);
    cfmp_barrier_record(&cfmp_barrier, (int)(intptr_t)context, -1);
}

static void cfmp_barrier_writer(void *context) {
    (void)context;
    pthread_mutex_lock(&cfmp_barrier.lock);
    cfmp_barrier.seen_by_barrier = cfmp_barrier.running;
    cfmp_barrier.log[cfmp_barrier.count++] = 100;
    pthread_mutex_unlock(&cfmp_barrier.lock);
}

static void test_issue12_barrier_waits_for_earlier_items_and_runs_alone(void **state) {
    (void)state;
    dispatch_queue_t queue = dispatch_queue_create("cfmp.barrier", DISPATCH_QUEUE_CONCURRENT);
    memset(&cfmp_barrier, 0, sizeof cfmp_barrier);
    pthread_mutex_init(&cfmp_barrier.lock, NULL);
    for (intptr_t i = 0; i < 3; i++) dispatch_async_f(queue, (void *)i, cfmp_barrier_reader);
    dispatch_barrier_async_f(queue, NULL, cfmp_barrier_writer);
    for (intptr_t i = 3; i < 6; i++) dispatch_async_f(queue, (void *)i, cfmp_barrier_reader);
    dispatch_barrier_sync_f(queue, NULL, cfmp_barrier_writer); /* waits for all before it */
    assert_int_equal(cfmp_barrier.count, 8);
    assert_int_equal(cfmp_barrier.seen_by_barrier, 0);
    int barrier_at = -1;
    for (int i = 0; i < 8; i++) {
        if (cfmp_barrier.log[i] == 100 && barrier_at < 0) barrier_at = i;
    }
    assert_int_equal(barrier_at, 3); /* after the three earlier readers, before the later ones */
    for (int i = 0; i < 3; i++) assert_true(cfmp_barrier.log[i] < 3);
    for (int i = 4; i < 7; i++) assert_true(cfmp_barrier.log[i] >= 3 && cfmp_barrier.log[i] < 6);
    assert_int_equal(cfmp_barrier.log[7], 100);
    dispatch_release(queue);
    pthread_mutex_destroy(&cfmp_barrier.lock);
}

static void cfmp_record_label(void *context) {
    const char **label = context;
    *label = dispatch_queue_get_label(DISPATCH_CURRENT_QUEUE_LABEL);
}

static void test_issue12_global_queues_by_priority_and_qos(void **state) {
    (void)state;
    dispatch_queue_t normal = dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_DEFAULT, 0);
    assert_non_null(normal);
    assert_ptr_equal(normal, dispatch_get_global_queue(QOS_CLASS_DEFAULT, 0));
    assert_ptr_equal(dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_HIGH, 0),
                     dispatch_get_global_queue(QOS_CLASS_USER_INITIATED, 0));
    assert_ptr_not_equal(normal, dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_BACKGROUND, 0));
    assert_null(dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_DEFAULT, 1)); /* reserved flag */
    assert_null(dispatch_get_global_queue(12345, 0));
    assert_string_equal(dispatch_queue_get_label(normal), "com.apple.root.default-qos");
    dispatch_retain(normal); /* immortal: both do nothing */
    dispatch_release(normal);
    const char *label = NULL;
    dispatch_sync_f(normal, &label, cfmp_record_label);
    assert_string_equal(label, "com.apple.root.default-qos");
    dispatch_queue_t mine = dispatch_queue_create("cfmp.label", NULL);
    dispatch_sync_f(mine, &label, cfmp_record_label);
    assert_string_equal(label, "cfmp.label");
    dispatch_release(mine);
    assert_string_equal(dispatch_queue_get_label(DISPATCH_CURRENT_QUEUE_LABEL),
                        "com.apple.main-thread"); /* cmocka runs on the main thread */
}

struct cfmp_after_probe {
    dispatch_semaphore_t fired;
    double at_s[2];
    int order[2];
    atomic_int count;
};

static struct cfmp_after_probe cfmp_after;

static void cfmp_after_fire(void *context) {
    int index = atomic_fetch_add(&cfmp_after.count, 1);
    if (index < 2) {
        cfmp_after.at_s[index] = cfmp_test_now_s();
        cfmp_after.order[index] = (int)(intptr_t)context;
    }
    dispatch_semaphore_signal(cfmp_after.fired);
}

static void test_issue12_dispatch_after_and_dispatch_time(void **state) {
    (void)state;
    dispatch_time_t now = dispatch_time(DISPATCH_TIME_NOW, 0);
    assert_true(dispatch_time(now, (int64_t)NSEC_PER_SEC) - now == NSEC_PER_SEC);
    assert_true(dispatch_time(now, -1000) == now - 1000);
    assert_true(dispatch_time(DISPATCH_TIME_FOREVER, 5) == DISPATCH_TIME_FOREVER);
    assert_true(dispatch_walltime(NULL, 0) >= now);
    memset(&cfmp_after, 0, sizeof cfmp_after);
    cfmp_after.fired = dispatch_semaphore_create(0);
    dispatch_queue_t queue = dispatch_queue_create("cfmp.after", NULL);
    double start = cfmp_test_now_s();
    /* both deadlines first: the first call starts the timer thread, which under valgrind can
     * take longer than the time between them; and they are far enough from now that the second
     * call comes before the first deadline even on a loaded host under valgrind (with 100 ms, the
     * later one once fired before the sooner one was registered) */
    dispatch_time_t later = cfmp_after_s(0.60), sooner = cfmp_after_s(0.30);
    dispatch_after_f(later, queue, (void *)(intptr_t)2, cfmp_after_fire);
    dispatch_after_f(sooner, queue, (void *)(intptr_t)1, cfmp_after_fire);
    dispatch_after_f(DISPATCH_TIME_FOREVER, queue, (void *)(intptr_t)9, cfmp_after_fire); /* never */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dispatch_semaphore_wait(cfmp_after.fired, cfmp_after_s(10 * cfmp_test_scale())), 0);
    }
    assert_int_equal(cfmp_after.order[0], 1); /* the earlier deadline first */
    assert_int_equal(cfmp_after.order[1], 2);
    assert_true(cfmp_after.at_s[0] - start >= 0.295);
    assert_true(cfmp_after.at_s[1] - start >= 0.595);
    assert_int_not_equal(dispatch_semaphore_wait(cfmp_after.fired, cfmp_after_s(0.05)), 0);
    assert_int_equal(atomic_load(&cfmp_after.count), 2);
    dispatch_release(queue);
    dispatch_release(cfmp_after.fired);
}

static void *cfmp_signal_later(void *argument) {
    cfmp_test_sleep_s(0.03);
    dispatch_semaphore_signal(argument);
    return NULL;
}

static void test_issue12_semaphore_wait_timeout_and_signal_results(void **state) {
    (void)state;
    assert_null(dispatch_semaphore_create(-1));
    dispatch_semaphore_t sema = dispatch_semaphore_create(1);
    assert_int_equal(dispatch_semaphore_wait(sema, DISPATCH_TIME_NOW), 0); /* takes the 1 */
    assert_int_not_equal(dispatch_semaphore_wait(sema, DISPATCH_TIME_NOW), 0);
    double start = cfmp_test_now_s();
    assert_int_not_equal(dispatch_semaphore_wait(sema, cfmp_after_s(0.03)), 0);
    assert_true(cfmp_test_now_s() - start >= 0.025);
    assert_int_equal(dispatch_semaphore_signal(sema), 0); /* nobody waiting */
    assert_int_equal(dispatch_semaphore_wait(sema, DISPATCH_TIME_FOREVER), 0);
    pthread_t thread;
    pthread_create(&thread, NULL, cfmp_signal_later, sema);
    assert_int_equal(dispatch_semaphore_wait(sema, DISPATCH_TIME_FOREVER), 0);
    pthread_join(thread, NULL);
    dispatch_release(sema);
}

static atomic_int cfmp_group_done;
static atomic_int cfmp_group_notified_after;

static void cfmp_group_item(void *context) {
    (void)context;
    cfmp_test_sleep_s(0.01);
    atomic_fetch_add(&cfmp_group_done, 1);
}

static void cfmp_group_notify(void *context) {
    atomic_store(&cfmp_group_notified_after, atomic_load(&cfmp_group_done));
    dispatch_semaphore_signal(context);
}

static void test_issue12_group_wait_notify_enter_leave(void **state) {
    (void)state;
    dispatch_group_t group = dispatch_group_create();
    assert_int_equal(dispatch_group_wait(group, DISPATCH_TIME_NOW), 0); /* empty */
    dispatch_queue_t global = dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_DEFAULT, 0);
    atomic_store(&cfmp_group_done, 0);
    atomic_store(&cfmp_group_notified_after, -1);
    dispatch_semaphore_t notified = dispatch_semaphore_create(0);
    for (int i = 0; i < 5; i++) dispatch_group_async_f(group, global, NULL, cfmp_group_item);
    dispatch_group_notify_f(group, global, notified, cfmp_group_notify);
    assert_int_equal(dispatch_group_wait(group, cfmp_after_s(10 * cfmp_test_scale())), 0);
    assert_int_equal(atomic_load(&cfmp_group_done), 5);
    assert_int_equal(dispatch_semaphore_wait(notified, cfmp_after_s(10 * cfmp_test_scale())), 0);
    assert_int_equal(atomic_load(&cfmp_group_notified_after), 5);
    dispatch_group_enter(group);
    assert_int_not_equal(dispatch_group_wait(group, cfmp_after_s(0.02)), 0);
    dispatch_group_leave(group);
    assert_int_equal(dispatch_group_wait(group, DISPATCH_TIME_NOW), 0);
    dispatch_release(notified);
    dispatch_release(group);
}

static dispatch_once_t cfmp_once_predicate;
static atomic_int cfmp_once_runs;

static void cfmp_once_body(void *context) {
    (void)context;
    cfmp_test_sleep_s(0.02); /* the other threads must wait, not run it again */
    atomic_fetch_add(&cfmp_once_runs, 1);
}

static void *cfmp_once_thread(void *argument) {
    dispatch_once_f(&cfmp_once_predicate, NULL, cfmp_once_body);
    *(int *)argument = atomic_load(&cfmp_once_runs);
    return NULL;
}

static void test_issue12_dispatch_once_runs_once_and_others_wait(void **state) {
    (void)state;
    pthread_t threads[8];
    int seen[8];
    for (int i = 0; i < 8; i++) pthread_create(&threads[i], NULL, cfmp_once_thread, &seen[i]);
    for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&cfmp_once_runs), 1);
    for (int i = 0; i < 8; i++) assert_int_equal(seen[i], 1); /* nobody returned early */
    assert_true(cfmp_once_predicate == ~(dispatch_once_t)0);
}

static atomic_int cfmp_apply_hits[100];

static void cfmp_apply_body(void *context, size_t i) {
    (void)context;
    atomic_fetch_add(&cfmp_apply_hits[i], 1);
}

static void test_issue12_dispatch_apply_runs_every_index_once(void **state) {
    (void)state;
    dispatch_apply_f(100, dispatch_get_global_queue(0, 0), NULL, cfmp_apply_body);
    dispatch_queue_t serial = dispatch_queue_create("cfmp.apply", NULL);
    dispatch_apply_f(100, serial, NULL, cfmp_apply_body);
    dispatch_apply_f(0, serial, NULL, cfmp_apply_body); /* nothing */
    for (int i = 0; i < 100; i++) assert_int_equal(atomic_load(&cfmp_apply_hits[i]), 2);
    dispatch_release(serial);
}

static atomic_int cfmp_suspended_ran;
static void *cfmp_finalized_with;

static void cfmp_suspended_item(void *context) {
    (void)context;
    atomic_fetch_add(&cfmp_suspended_ran, 1);
}

static void cfmp_finalizer(void *context) { cfmp_finalized_with = context; }

static void test_issue12_suspend_resume_context_and_finalizer(void **state) {
    (void)state;
    dispatch_queue_t queue = dispatch_queue_create("cfmp.suspend", NULL);
    int marker = 7;
    dispatch_set_context(queue, &marker);
    assert_ptr_equal(dispatch_get_context(queue), &marker);
    dispatch_set_finalizer_f(queue, cfmp_finalizer);
    dispatch_suspend(queue);
    dispatch_async_f(queue, NULL, cfmp_suspended_item);
    cfmp_test_sleep_s(0.05);
    assert_int_equal(atomic_load(&cfmp_suspended_ran), 0);
    dispatch_resume(queue);
    dispatch_sync_f(queue, NULL, cfmp_suspended_item);
    assert_int_equal(atomic_load(&cfmp_suspended_ran), 2);
    cfmp_finalized_with = NULL;
    dispatch_release(queue);
    /* The last release runs the finalizer with the context (once the worker has let go). */
    for (int i = 0; i < 400 && cfmp_finalized_with == NULL; i++) cfmp_test_sleep_s(0.005);
    assert_ptr_equal(cfmp_finalized_with, &marker);
}

static void test_issue12_dispatch_main_runs_the_main_queue_on_the_main_thread(void **state) {
    (void)state;
    struct cfmp_peer peer;
    assert_true(cfmp_peer_start(&peer, "dispatch-main", NULL, NULL));
    assert_int_equal(cfmp_peer_wait(&peer, 20.0 * cfmp_test_scale()), 42);
    /* exit() from a worker thread does not wait for itself (libcfmp waits for its threads at
     * exit, up to 2 s). */
    assert_true(cfmp_peer_start(&peer, "exit-from-worker", NULL, NULL));
    double start = cfmp_test_now_s();
    assert_int_equal(cfmp_peer_wait(&peer, 20.0 * cfmp_test_scale()), 43);
    assert_true(cfmp_test_now_s() - start < 1.5 * cfmp_test_scale());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue12_concurrent_queue_runs_items_in_parallel),
        cmocka_unit_test(test_issue12_barrier_waits_for_earlier_items_and_runs_alone),
        cmocka_unit_test(test_issue12_global_queues_by_priority_and_qos),
        cmocka_unit_test(test_issue12_dispatch_after_and_dispatch_time),
        cmocka_unit_test(test_issue12_semaphore_wait_timeout_and_signal_results),
        cmocka_unit_test(test_issue12_group_wait_notify_enter_leave),
        cmocka_unit_test(test_issue12_dispatch_once_runs_once_and_others_wait),
        cmocka_unit_test(test_issue12_dispatch_apply_runs_every_index_once),
        cmocka_unit_test(test_issue12_suspend_resume_context_and_finalizer),
        cmocka_unit_test(test_issue12_dispatch_main_runs_the_main_queue_on_the_main_thread),
    };
    return cmocka_run_group_tests_name("libcfmp_dispatch", tests, NULL, NULL);
}
