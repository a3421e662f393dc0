/*
 * test_cfmp_cf.c — the CoreFoundation subset under libcfmp: strings, data, reference counts,
 * run loops (modes, common modes, returnAfterSourceHandled, stop, wake-up) and dispatch
 * queues (serial order; the main queue drained by the main run loop, as R36/R56 rely on).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <dispatch/dispatch.h>
#include <pthread.h>
#include <string.h>

static void test_string_utf8_roundtrip_and_utf16_length(void **state) {
    (void)state;
    CFStringRef s = CFStringCreateWithCString(NULL, "h\xc3\xa9llo \xf0\x9f\x98\x80", kCFStringEncodingUTF8);
    assert_non_null(s);
    assert_int_equal(CFStringGetLength(s), 8); /* 6 BMP characters + a surrogate pair */
    char buffer[32];
    assert_true(CFStringGetCString(s, buffer, sizeof buffer, kCFStringEncodingUTF8));
    assert_string_equal(buffer, "h\xc3\xa9llo \xf0\x9f\x98\x80");
    assert_false(CFStringGetCString(s, buffer, 4, kCFStringEncodingUTF8));
    assert_false(CFStringGetCString(s, buffer, sizeof buffer, kCFStringEncodingASCII));
    assert_null(CFStringCreateWithCString(NULL, "\xff\xfe", kCFStringEncodingUTF8));
    CFStringRef same = CFStringCreateWithCString(NULL, "h\xc3\xa9llo \xf0\x9f\x98\x80", kCFStringEncodingUTF8);
    assert_true(CFEqual(s, same));
    assert_int_equal(CFHash(s), CFHash(same));
    assert_int_equal(CFGetTypeID(s), CFStringGetTypeID());
    CFRelease(same);
    CFRelease(s);
}

static void test_cfstr_is_interned_and_immortal(void **state) {
    (void)state;
    CFStringRef a = CFSTR("cfmp.constant");
    CFStringRef b = CFSTR("cfmp.constant");
    assert_ptr_equal(a, b);
    CFRelease(a); /* harmless on a constant */
    assert_int_equal(CFStringGetLength(b), 13);
    assert_true(CFEqual(kCFRunLoopDefaultMode, CFSTR("kCFRunLoopDefaultMode")));
}

static void test_string_get_bytes_stops_at_whole_characters(void **state) {
    (void)state;
    CFStringRef s = CFStringCreateWithCString(NULL, "a\xc3\xa9\xc3\xa9", kCFStringEncodingUTF8);
    UInt8 buffer[4];
    CFIndex used = 0;
    CFIndex converted = CFStringGetBytes(s, CFRangeMake(0, CFStringGetLength(s)),
                                         kCFStringEncodingUTF8, 0, false, buffer, 4, &used);
    assert_int_equal(converted, 2);
    assert_int_equal(used, 3);
    CFRelease(s);
}

static void test_data_create_copy_mutable_nocopy(void **state) {
    (void)state;
    CFDataRef data = CFDataCreate(NULL, (const UInt8 *)"abc", 3);
    assert_int_equal(CFDataGetLength(data), 3);
    CFDataRef copy = CFDataCreateCopy(NULL, data);
    assert_true(CFEqual(data, copy));
    assert_ptr_not_equal(CFDataGetBytePtr(data), CFDataGetBytePtr(copy));
    static const UInt8 fixed[] = "static";
    CFDataRef nocopy = CFDataCreateWithBytesNoCopy(NULL, fixed, 6, kCFAllocatorNull);
    assert_ptr_equal(CFDataGetBytePtr(nocopy), fixed);
    CFMutableDataRef mutable_data = CFDataCreateMutable(NULL, 0);
    CFDataAppendBytes(mutable_data, (const UInt8 *)"ab", 2);
    CFDataAppendBytes(mutable_data, (const UInt8 *)"c", 1);
    assert_true(CFEqual(mutable_data, data));
    CFDataSetLength(mutable_data, 5);
    assert_int_equal(CFDataGetMutableBytePtr(mutable_data)[4], 0);
    CFIndex before = CFGetRetainCount(data);
    CFRetain(data);
    assert_int_equal(CFGetRetainCount(data), before + 1);
    CFRelease(data);
    CFRelease(mutable_data);
    CFRelease(nocopy);
    CFRelease(copy);
    CFRelease(data);
}

static int cfmp_performed;

static void cfmp_count_perform(void *info) {
    (void)info;
    cfmp_performed++;
}

static void test_runloop_v0_source_handled_and_modes(void **state) {
    (void)state;
    CFRunLoopSourceContext context;
    memset(&context, 0, sizeof context);
    context.perform = cfmp_count_perform;
    CFRunLoopSourceRef source = CFRunLoopSourceCreate(NULL, 0, &context);
    CFRunLoopRef rl = CFRunLoopGetCurrent();
    CFStringRef private_mode = CFSTR("cfmp.private");
    /* An empty mode finishes at once. */
    assert_int_equal(CFRunLoopRunInMode(private_mode, 1.0, true), kCFRunLoopRunFinished);
    CFRunLoopAddSource(rl, source, private_mode);
    assert_true(CFRunLoopContainsSource(rl, source, private_mode));
    cfmp_performed = 0;
    CFRunLoopSourceSignal(source);
    assert_int_equal(CFRunLoopRunInMode(private_mode, 1.0, true), kCFRunLoopRunHandledSource);
    assert_int_equal(cfmp_performed, 1);
    /* Not signalled: times out. */
    double start = cfmp_test_now_s();
    assert_int_equal(CFRunLoopRunInMode(private_mode, 0.05, true), kCFRunLoopRunTimedOut);
    assert_true(cfmp_test_now_s() - start >= 0.04);
    /* Another mode does not see the source. */
    CFRunLoopSourceSignal(source);
    assert_int_equal(CFRunLoopRunInMode(CFSTR("cfmp.other"), 0.01, true), kCFRunLoopRunFinished);
    assert_int_equal(cfmp_performed, 1);
    CFRunLoopRemoveSource(rl, source, private_mode);
    assert_false(CFRunLoopContainsSource(rl, source, private_mode));
    CFRunLoopSourceInvalidate(source);
    assert_false(CFRunLoopSourceIsValid(source));
    CFRelease(source);
}

static void test_runloop_common_modes_and_R36_common_pseudo_mode(void **state) {
    (void)state;
    CFRunLoopSourceContext context;
    memset(&context, 0, sizeof context);
    context.perform = cfmp_count_perform;
    CFRunLoopSourceRef source = CFRunLoopSourceCreate(NULL, 0, &context);
    CFRunLoopRef rl = CFRunLoopGetCurrent();
    CFRunLoopAddSource(rl, source, kCFRunLoopCommonModes);
    assert_true(CFRunLoopContainsSource(rl, source, kCFRunLoopDefaultMode));
    CFRunLoopAddCommonMode(rl, CFSTR("cfmp.common2"));
    assert_true(CFRunLoopContainsSource(rl, source, CFSTR("cfmp.common2")));
    cfmp_performed = 0;
    CFRunLoopSourceSignal(source);
    assert_int_equal(CFRunLoopRunInMode(CFSTR("cfmp.common2"), 1.0, true),
                     kCFRunLoopRunHandledSource);
    assert_int_equal(cfmp_performed, 1);
    /* Running the pseudo-mode itself returns at once (R36). */
    assert_int_equal(CFRunLoopRunInMode(kCFRunLoopCommonModes, 1.0, true), kCFRunLoopRunFinished);
    CFRunLoopRemoveSource(rl, source, kCFRunLoopCommonModes);
    assert_false(CFRunLoopContainsSource(rl, source, kCFRunLoopDefaultMode));
    CFRelease(source);
}

struct cfmp_stopper {
    CFRunLoopRef rl;
};

static void *cfmp_stop_later(void *argument) {
    struct cfmp_stopper *stopper = argument;
    cfmp_test_sleep_s(0.05);
    CFRunLoopStop(stopper->rl);
    return NULL;
}

static void test_runloop_stop_from_another_thread(void **state) {
    (void)state;
    CFRunLoopSourceContext context;
    memset(&context, 0, sizeof context);
    context.perform = cfmp_count_perform;
    CFRunLoopSourceRef source = CFRunLoopSourceCreate(NULL, 0, &context);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    struct cfmp_stopper stopper = {CFRunLoopGetCurrent()};
    pthread_t thread;
    pthread_create(&thread, NULL, cfmp_stop_later, &stopper);
    double start = cfmp_test_now_s();
    CFRunLoopRun();
    assert_true(cfmp_test_now_s() - start < 5.0 * cfmp_test_scale());
    pthread_join(thread, NULL);
    CFRunLoopRemoveSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    CFRelease(source);
}

struct cfmp_order {
    pthread_mutex_t lock;
    int next;
    int seen[100];
    int count;
};

struct cfmp_order_item {
    struct cfmp_order *order;
    int value;
};

static void cfmp_order_work(void *context) {
    struct cfmp_order_item *item = context;
    pthread_mutex_lock(&item->order->lock);
    item->order->seen[item->order->count++] = item->value;
    pthread_mutex_unlock(&item->order->lock);
}

static void cfmp_noop(void *context) { (void)context; }

static void test_dispatch_serial_queue_runs_fifo(void **state) {
    (void)state;
    dispatch_queue_t queue = dispatch_queue_create("cfmp.test", DISPATCH_QUEUE_SERIAL);
    assert_string_equal(dispatch_queue_get_label(queue), "cfmp.test");
    struct cfmp_order order = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, 0};
    struct cfmp_order_item items[100];
    for (int i = 0; i < 100; i++) {
        items[i] = (struct cfmp_order_item){&order, i};
        dispatch_async_f(queue, &items[i], cfmp_order_work);
    }
    dispatch_sync_f(queue, NULL, cfmp_noop);
    assert_int_equal(order.count, 100);
    for (int i = 0; i < 100; i++) assert_int_equal(order.seen[i], i);
    dispatch_release(queue);
}

static pthread_t cfmp_main_ran_on;
static int cfmp_main_ran;

static void cfmp_on_main(void *context) {
    (void)context;
    cfmp_main_ran_on = pthread_self();
    cfmp_main_ran++;
    CFRunLoopStop(CFRunLoopGetMain());
}

static void *cfmp_post_to_main(void *argument) {
    (void)argument;
    cfmp_test_sleep_s(0.02);
    dispatch_async_f(dispatch_get_main_queue(), NULL, cfmp_on_main);
    return NULL;
}

static void test_main_queue_drained_by_main_run_loop_in_common_modes(void **state) {
    (void)state;
    assert_ptr_equal(CFRunLoopGetMain(), CFRunLoopGetCurrent()); /* cmocka runs on main */
    cfmp_main_ran = 0;
    pthread_t thread;
    pthread_create(&thread, NULL, cfmp_post_to_main, NULL);
    CFRunLoopRun(); /* the main queue keeps the default mode non-empty; the block stops it */
    pthread_join(thread, NULL);
    assert_int_equal(cfmp_main_ran, 1);
    assert_true(pthread_equal(cfmp_main_ran_on, pthread_self()));
    /* Servicing the main queue counts as a handled source (R36). */
    dispatch_async_f(dispatch_get_main_queue(), NULL, cfmp_noop);
    assert_int_equal(CFRunLoopRunInMode(kCFRunLoopDefaultMode, 1.0, true),
                     kCFRunLoopRunHandledSource);
}

/* ---- CFRunLoopTimer (issue 12: CF's documented timer semantics) ------------------------------ */

struct cfmp_timer_probe {
    int fired;
    int stop_after;          /* CFRunLoopStop on this fire (0: never) */
    double set_next_after_s; /* > 0: SetNextFireDate(now + this) from inside the callout */
    double first_fire_s;
    int releases;
    int retains;
};

static void cfmp_timer_count(CFRunLoopTimerRef timer, void *info) {
    struct cfmp_timer_probe *probe = info;
    if (probe->fired++ == 0) probe->first_fire_s = cfmp_test_now_s();
    if (probe->stop_after != 0 && probe->fired == probe->stop_after) {
        CFRunLoopStop(CFRunLoopGetCurrent());
    }
    if (probe->set_next_after_s > 0 && probe->fired == 1) {
        CFRunLoopTimerSetNextFireDate(timer, CFAbsoluteTimeGetCurrent() + probe->set_next_after_s);
    }
}

static const void *cfmp_timer_retain(const void *info) {
    ((struct cfmp_timer_probe *)(uintptr_t)info)->retains++;
    return info;
}

static void cfmp_timer_release(const void *info) {
    ((struct cfmp_timer_probe *)(uintptr_t)info)->releases++;
}

static void test_issue12_timer_one_shot_fires_once_then_invalidates(void **state) {
    (void)state;
    struct cfmp_timer_probe probe = {0};
    CFRunLoopTimerContext context = {0, &probe, cfmp_timer_retain, cfmp_timer_release, NULL};
    double start = cfmp_test_now_s();
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent() + 0.05, 0, 0,
                                                   0, cfmp_timer_count, &context);
    assert_non_null(timer);
    assert_int_equal(probe.retains, 1); /* the context's info is retained by the timer */
    assert_false(CFRunLoopTimerDoesRepeat(timer));
    CFStringRef mode = CFSTR("cfmp.timer.once");
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, mode);
    assert_true(CFRunLoopContainsTimer(CFRunLoopGetCurrent(), timer, mode));
    assert_int_equal(CFGetRetainCount(timer), 2); /* the run loop retains it */
    assert_true(CFRunLoopGetNextTimerFireDate(CFRunLoopGetCurrent(), mode) > 0);
    /* A mode holding only a timer is not empty; the fire is not a handled source, and once the
     * one-shot timer has invalidated itself the mode is empty: Finished. */
    CFRunLoopRunResult result = CFRunLoopRunInMode(mode, 5.0 * cfmp_test_scale(), true);
    assert_int_equal(result, kCFRunLoopRunFinished);
    assert_int_equal(probe.fired, 1);
    assert_true(probe.first_fire_s - start >= 0.045);
    assert_false(CFRunLoopTimerIsValid(timer));
    assert_false(CFRunLoopContainsTimer(CFRunLoopGetCurrent(), timer, mode));
    assert_int_equal(CFGetRetainCount(timer), 1);
    assert_int_equal(probe.releases, probe.retains); /* invalidation released the info */
    CFRunLoopTimerContext got;
    CFRunLoopTimerGetContext(timer, &got);
    assert_null(got.info);
    CFRelease(timer);
    assert_int_equal(probe.releases, probe.retains);
}

/* The run loop's adaptive busy-poll (cf_runloop.c) must not change what a run returns: a timer
 * due at once fires inside the spin window, and the mode it leaves empty finishes the run then
 * (Finished at once, not a sleep until the 5 s deadline); the same after the window ran out. */
static void test_runloop_spinning_run_finishes_when_its_mode_empties(void **state) {
    (void)state;
    for (int round = 0; round < 3; round++) { /* the first spins, later ones may not */
        struct cfmp_timer_probe probe = {0};
        CFRunLoopTimerContext context = {0, &probe, cfmp_timer_retain, cfmp_timer_release, NULL};
        CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, 0.0, 0, 0, 0, cfmp_timer_count, &context);
        CFStringRef mode = CFSTR("cfmp.spin.empties");
        CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, mode);
        double start = cfmp_test_now_s();
        CFRunLoopRunResult result = CFRunLoopRunInMode(mode, 5.0 * cfmp_test_scale(), false);
        double elapsed_s = cfmp_test_now_s() - start;
        assert_int_equal(result, kCFRunLoopRunFinished);
        assert_int_equal(probe.fired, 1);
        assert_true(elapsed_s < 1.0 * cfmp_test_scale());
        CFRelease(timer);
    }
}

static void test_issue12_timer_repeats_at_its_interval_and_not_as_handled_source(void **state) {
    (void)state;
    struct cfmp_timer_probe probe = {0, 4, 0, 0, 0, 0};
    CFRunLoopTimerContext context = {0, &probe, NULL, NULL, NULL};
    /* Measured from before the first fire date: the fires keep to that date's grid, so a slow
     * start (valgrind, a busy host) shortens the time from a later start, never from this one. */
    double start = cfmp_test_now_s();
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent(), 0.02, 0, 0,
                                                   cfmp_timer_count, &context);
    assert_true(CFRunLoopTimerDoesRepeat(timer));
    assert_true(CFRunLoopTimerGetInterval(timer) == 0.02);
    CFStringRef mode = CFSTR("cfmp.timer.repeat");
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, mode);
    /* The fourth fire stops the run loop: 0, 20, 40, 60 ms. */
    assert_int_equal(CFRunLoopRunInMode(mode, 10.0 * cfmp_test_scale(), true),
                     kCFRunLoopRunStopped);
    double elapsed = cfmp_test_now_s() - start;
    assert_int_equal(probe.fired, 4);
    assert_true(elapsed >= 0.055);
    assert_true(elapsed < 5.0 * cfmp_test_scale());
    /* returnAfterSourceHandled does not return for a timer: the run times out. */
    probe.stop_after = 0;
    int before = probe.fired;
    assert_int_equal(CFRunLoopRunInMode(mode, 0.15, true), kCFRunLoopRunTimedOut);
    assert_true(probe.fired - before >= 3);
    assert_true(CFRunLoopTimerGetNextFireDate(timer) > CFAbsoluteTimeGetCurrent() - 0.02);
    CFStringRef description = CFCopyDescription(timer);
    char text[512];
    assert_true(CFStringGetCString(description, text, sizeof text, kCFStringEncodingUTF8));
    assert_int_equal(strncmp(text, "<CFRunLoopTimer 0x", 18), 0);
    assert_non_null(strstr(text, "valid = Yes, firing = No, interval = 0.02,"));
    CFRelease(description);
    CFRunLoopTimerInvalidate(timer);
    assert_false(CFRunLoopTimerIsValid(timer));
    assert_int_equal(CFRunLoopRunInMode(mode, 0.05, true), kCFRunLoopRunFinished);
    CFRelease(timer);
}

static void test_issue12_timer_modes_common_modes_and_removal(void **state) {
    (void)state;
    struct cfmp_timer_probe probe = {0};
    CFRunLoopTimerContext context = {0, &probe, NULL, NULL, NULL};
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent(), 0.01, 0, 0,
                                                   cfmp_timer_count, &context);
    CFRunLoopRef rl = CFRunLoopGetCurrent();
    CFRunLoopAddCommonMode(rl, CFSTR("cfmp.timer.common"));
    CFRunLoopAddTimer(rl, timer, kCFRunLoopCommonModes);
    assert_true(CFRunLoopContainsTimer(rl, timer, kCFRunLoopCommonModes));
    assert_true(CFRunLoopContainsTimer(rl, timer, CFSTR("cfmp.timer.common")));
    assert_false(CFRunLoopContainsTimer(rl, timer, CFSTR("cfmp.timer.elsewhere")));
    /* Another mode does not run it (and is empty). */
    assert_int_equal(CFRunLoopRunInMode(CFSTR("cfmp.timer.elsewhere"), 0.05, false),
                     kCFRunLoopRunFinished);
    assert_int_equal(probe.fired, 0);
    assert_int_equal(CFRunLoopRunInMode(CFSTR("cfmp.timer.common"), 0.05, false),
                     kCFRunLoopRunTimedOut);
    assert_true(probe.fired >= 2);
    CFRunLoopRemoveTimer(rl, timer, kCFRunLoopCommonModes);
    assert_false(CFRunLoopContainsTimer(rl, timer, CFSTR("cfmp.timer.common")));
    assert_int_equal(CFGetRetainCount(timer), 1);
    assert_true(CFRunLoopTimerIsValid(timer)); /* removed, not invalidated */
    assert_int_equal(CFRunLoopGetNextTimerFireDate(rl, CFSTR("cfmp.timer.common")), 0);
    CFRunLoopTimerInvalidate(timer);
    CFRelease(timer);
}

struct cfmp_timer_mover {
    CFRunLoopTimerRef timer;
    CFRunLoopRef other;
};

static void *cfmp_move_timer_later(void *argument) {
    struct cfmp_timer_mover *mover = argument;
    mover->other = (CFRunLoopRef)(uintptr_t)CFRetain(CFRunLoopGetCurrent()); /* its own */
    cfmp_test_sleep_s(0.05);
    CFRunLoopTimerSetNextFireDate(mover->timer, CFAbsoluteTimeGetCurrent());
    return NULL;
}

static void test_issue12_timer_set_next_fire_date_from_another_thread_wakes_the_loop(void **state) {
    (void)state;
    struct cfmp_timer_probe probe = {0, 1, 0, 0, 0, 0};
    CFRunLoopTimerContext context = {0, &probe, NULL, NULL, NULL};
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent() + 1.0e6, 0,
                                                   0, 0, cfmp_timer_count, &context);
    CFStringRef mode = CFSTR("cfmp.timer.moved");
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, mode);
    struct cfmp_timer_mover mover = {timer, NULL};
    pthread_t thread;
    pthread_create(&thread, NULL, cfmp_move_timer_later, &mover);
    double start = cfmp_test_now_s();
    CFRunLoopRunResult result = CFRunLoopRunInMode(mode, 10.0 * cfmp_test_scale(), false);
    assert_true(result == kCFRunLoopRunStopped || result == kCFRunLoopRunFinished);
    assert_int_equal(probe.fired, 1);
    assert_true(cfmp_test_now_s() - start < 5.0 * cfmp_test_scale());
    pthread_join(thread, NULL);
    /* A timer is in one run loop at most: adding it to another does nothing. */
    CFRunLoopTimerRef again = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent() + 100, 1, 0,
                                                   0, cfmp_timer_count, &context);
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), again, mode);
    CFRunLoopAddTimer(mover.other, again, mode);
    assert_false(CFRunLoopContainsTimer(mover.other, again, mode));
    assert_true(CFRunLoopContainsTimer(CFRunLoopGetCurrent(), again, mode));
    CFRunLoopTimerInvalidate(again);
    CFRelease(again);
    CFRelease(mover.other);
    CFRelease(timer);
}

static void test_issue12_timer_callout_sets_a_later_date(void **state) {
    (void)state;
    struct cfmp_timer_probe probe = {0, 2, 0.1, 0, 0, 0};
    CFRunLoopTimerContext context = {0, &probe, NULL, NULL, NULL};
    /* Interval 10 ms, but the first callout moves the next fire 100 ms away. */
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent(), 0.01, 0, 0,
                                                   cfmp_timer_count, &context);
    CFStringRef mode = CFSTR("cfmp.timer.later");
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, mode);
    double start = cfmp_test_now_s();
    assert_int_equal(CFRunLoopRunInMode(mode, 10.0 * cfmp_test_scale(), false),
                     kCFRunLoopRunStopped);
    assert_int_equal(probe.fired, 2);
    assert_true(cfmp_test_now_s() - start >= 0.09);
    CFRunLoopTimerInvalidate(timer);
    CFRelease(timer);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_utf8_roundtrip_and_utf16_length),
        cmocka_unit_test(test_cfstr_is_interned_and_immortal),
        cmocka_unit_test(test_string_get_bytes_stops_at_whole_characters),
        cmocka_unit_test(test_data_create_copy_mutable_nocopy),
        cmocka_unit_test(test_runloop_v0_source_handled_and_modes),
        cmocka_unit_test(test_runloop_common_modes_and_R36_common_pseudo_mode),
        cmocka_unit_test(test_runloop_stop_from_another_thread),
        cmocka_unit_test(test_dispatch_serial_queue_runs_fifo),
        cmocka_unit_test(test_main_queue_drained_by_main_run_loop_in_common_modes),
        cmocka_unit_test(test_issue12_timer_one_shot_fires_once_then_invalidates),
        cmocka_unit_test(test_runloop_spinning_run_finishes_when_its_mode_empties),
        cmocka_unit_test(test_issue12_timer_repeats_at_its_interval_and_not_as_handled_source),
        cmocka_unit_test(test_issue12_timer_modes_common_modes_and_removal),
        cmocka_unit_test(test_issue12_timer_set_next_fire_date_from_another_thread_wakes_the_loop),
        cmocka_unit_test(test_issue12_timer_callout_sets_a_later_date),
    };
    return cmocka_run_group_tests_name("libcfmp_cf", tests, NULL, NULL);
}
