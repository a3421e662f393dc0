/*
 * blocks_check.c — the block forms of libcfmp's dispatch and run-loop API (issue 12, item 2),
 * compiled with clang -fblocks (as C and as C++) and linked with -lBlocksRuntime by
 * blocks_check.sh: dispatch_async, dispatch_sync, dispatch_after (on the main queue, drained by
 * CFRunLoopRun), dispatch_once, dispatch_group_async/notify, dispatch_barrier_async,
 * dispatch_apply, CFRunLoopTimerCreateWithHandler and CFRunLoopPerformBlock. Prints one line per
 * check and exits 0 only if all passed.
 */
#include <CoreFoundation/CoreFoundation.h>
#include <dispatch/dispatch.h>

static int failures;

static void check(bool ok, const char *what) {
    printf("%s %s\n", ok ? "ok" : "FAILED", what);
    if (!ok) failures++;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
    dispatch_queue_t queue = dispatch_queue_create("cfmp.blocks", DISPATCH_QUEUE_SERIAL);
    __block int counter = 0;
    for (int i = 1; i <= 10; i++) {
        dispatch_async(queue, ^{ counter += i; }); /* the block captures i by value */
    }
    dispatch_sync(queue, ^{ counter *= 2; });
    check(counter == 110, "dispatch_async then dispatch_sync, FIFO on a serial queue");

    double start = now_s();
    __block bool on_main = false;
    dispatch_after(dispatch_time(DISPATCH_TIME_NOW, 100 * (int64_t)NSEC_PER_MSEC),
                   dispatch_get_main_queue(), ^{
                       on_main = strcmp(dispatch_queue_get_label(DISPATCH_CURRENT_QUEUE_LABEL),
                                        "com.apple.main-thread") == 0;
                       CFRunLoopStop(CFRunLoopGetMain());
                   });
    CFRunLoopRun();
    double elapsed = now_s() - start;
    check(on_main && elapsed >= 0.09 && elapsed < 5.0, "dispatch_after on the main queue");

    static dispatch_once_t once;
    __block int once_runs = 0;
    for (int i = 0; i < 3; i++) dispatch_once(&once, ^{ once_runs++; });
    check(once_runs == 1, "dispatch_once");

    dispatch_queue_t concurrent = dispatch_queue_create("cfmp.blocks.c", DISPATCH_QUEUE_CONCURRENT);
    dispatch_group_t group = dispatch_group_create();
    __block int done = 0;
    dispatch_semaphore_t notified = dispatch_semaphore_create(0);
    for (int i = 0; i < 4; i++) {
        dispatch_group_async(group, concurrent, ^{ __sync_fetch_and_add(&done, 1); });
    }
    __block int seen_by_notify = -1;
    dispatch_group_notify(group, queue, ^{
        seen_by_notify = done;
        dispatch_semaphore_signal(notified);
    });
    long waited = dispatch_semaphore_wait(notified, dispatch_time(DISPATCH_TIME_NOW, 10 * (int64_t)NSEC_PER_SEC));
    check(waited == 0 && seen_by_notify == 4, "dispatch_group_async and dispatch_group_notify");

    __block int barrier_saw = -1;
    dispatch_barrier_async(concurrent, ^{ barrier_saw = done; });
    dispatch_barrier_sync(concurrent, ^{});
    check(barrier_saw == 4, "dispatch_barrier_async");

    __block long sum = 0;
    dispatch_apply(100, concurrent, ^(size_t i) { __sync_fetch_and_add(&sum, (long)i); });
    check(sum == 4950, "dispatch_apply");

    __block int fires = 0;
    CFRunLoopTimerRef timer = CFRunLoopTimerCreateWithHandler(
        kCFAllocatorDefault, CFAbsoluteTimeGetCurrent(), 0.01, 0, 0, ^(CFRunLoopTimerRef t) {
            if (++fires == 3) {
                CFRunLoopTimerInvalidate(t);
            }
        });
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, CFSTR("cfmp.blocks.mode"));
    CFRunLoopRunResult result = CFRunLoopRunInMode(CFSTR("cfmp.blocks.mode"), 5.0, false);
    check(fires == 3 && result == kCFRunLoopRunFinished, "CFRunLoopTimerCreateWithHandler");
    CFRelease(timer);

    __block bool performed = false;
    CFRunLoopPerformBlock(CFRunLoopGetCurrent(), CFSTR("cfmp.blocks.perform"), ^{ performed = true; });
    result = CFRunLoopRunInMode(CFSTR("cfmp.blocks.perform"), 5.0, false);
    check(performed && result == kCFRunLoopRunFinished, "CFRunLoopPerformBlock");

    dispatch_release(notified);
    dispatch_release(group);
    dispatch_release(concurrent);
    dispatch_release(queue);
    printf("blocks: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
