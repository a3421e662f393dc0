/*
 * CFRunLoop.h — libcfmp: per-thread run loops, modes, run-loop sources and timers, with CF's
 * names and semantics (no observers).
 *
 * Each thread has at most one run loop, made on first use by CFRunLoopGetCurrent (Get rule:
 * not retained). CFRunLoopGetMain returns the main thread's run loop from any thread; on the
 * main thread it also drains dispatch_get_main_queue() in the common modes, as on macOS.
 * Thread-safety: CFRunLoopAddSource, CFRunLoopRemoveSource, CFRunLoopStop, CFRunLoopWakeUp and
 * CFRunLoopSourceSignal may be called from any thread; CFRunLoopRun and CFRunLoopRunInMode run
 * the calling thread's run loop only, and may be nested (called from inside a callout).
 * Timers: CFRunLoopAddTimer, RemoveTimer, TimerInvalidate and TimerSetNextFireDate may be called
 * from any thread; a timer's callout runs on the thread running its run loop.
 */
#ifndef __COREFOUNDATION_CFRUNLOOP__
#define __COREFOUNDATION_CFRUNLOOP__ 1

#include <CoreFoundation/CFBase.h>
#include <CoreFoundation/CFDate.h>
#include <CoreFoundation/CFString.h>

CF_EXTERN_C_BEGIN

typedef struct __CFRunLoop *CFRunLoopRef;
typedef struct __CFRunLoopSource *CFRunLoopSourceRef;
typedef struct __CFRunLoopTimer *CFRunLoopTimerRef;
typedef CFStringRef CFRunLoopMode;

typedef CF_ENUM(SInt32, CFRunLoopRunResult) {
    kCFRunLoopRunFinished = 1,
    kCFRunLoopRunStopped = 2,
    kCFRunLoopRunTimedOut = 3,
    kCFRunLoopRunHandledSource = 4
};

CF_EXPORT const CFRunLoopMode kCFRunLoopDefaultMode;
CF_EXPORT const CFRunLoopMode kCFRunLoopCommonModes;

CF_EXPORT CFTypeID CFRunLoopGetTypeID(void);
CF_EXPORT CFRunLoopRef CFRunLoopGetCurrent(void);
CF_EXPORT CFRunLoopRef CFRunLoopGetMain(void);
CF_EXPORT CFRunLoopMode CFRunLoopCopyCurrentMode(CFRunLoopRef rl);
CF_EXPORT void CFRunLoopAddCommonMode(CFRunLoopRef rl, CFRunLoopMode mode);
CF_EXPORT void CFRunLoopRun(void);
CF_EXPORT CFRunLoopRunResult CFRunLoopRunInMode(CFRunLoopMode mode, CFTimeInterval seconds,
                                                Boolean returnAfterSourceHandled);
CF_EXPORT Boolean CFRunLoopIsWaiting(CFRunLoopRef rl);
CF_EXPORT void CFRunLoopWakeUp(CFRunLoopRef rl);
CF_EXPORT void CFRunLoopStop(CFRunLoopRef rl);
CF_EXPORT Boolean CFRunLoopContainsSource(CFRunLoopRef rl, CFRunLoopSourceRef source,
                                          CFRunLoopMode mode);
CF_EXPORT void CFRunLoopAddSource(CFRunLoopRef rl, CFRunLoopSourceRef source,
                                  CFRunLoopMode mode);
CF_EXPORT void CFRunLoopRemoveSource(CFRunLoopRef rl, CFRunLoopSourceRef source,
                                     CFRunLoopMode mode);

/* Version 0 (signalled) sources. Version 1 sources are Mach-port based on macOS and exist here
 * only as the internal sources made by CFMessagePortCreateRunLoopSource. */
typedef struct {
    CFIndex version;
    void *info;
    const void *(*retain)(const void *info);
    void (*release)(const void *info);
    CFStringRef (*copyDescription)(const void *info);
    Boolean (*equal)(const void *info1, const void *info2);
    CFHashCode (*hash)(const void *info);
    void (*schedule)(void *info, CFRunLoopRef rl, CFRunLoopMode mode);
    void (*cancel)(void *info, CFRunLoopRef rl, CFRunLoopMode mode);
    void (*perform)(void *info);
} CFRunLoopSourceContext;

CF_EXPORT CFTypeID CFRunLoopSourceGetTypeID(void);
CF_EXPORT CFRunLoopSourceRef CFRunLoopSourceCreate(CFAllocatorRef allocator, CFIndex order,
                                                   CFRunLoopSourceContext *context);
CF_EXPORT CFIndex CFRunLoopSourceGetOrder(CFRunLoopSourceRef source);
CF_EXPORT void CFRunLoopSourceInvalidate(CFRunLoopSourceRef source);
CF_EXPORT Boolean CFRunLoopSourceIsValid(CFRunLoopSourceRef source);
CF_EXPORT void CFRunLoopSourceGetContext(CFRunLoopSourceRef source,
                                         CFRunLoopSourceContext *context);
CF_EXPORT void CFRunLoopSourceSignal(CFRunLoopSourceRef source);

/* Timers. A timer fires first at fireDate (at once if that is past), then every interval
 * seconds if interval > 0, skipping fires it missed (the next date is the first multiple of
 * interval after now); with interval <= 0 it fires once and invalidates itself. It is in at
 * most one run loop (in any of its modes); adding it to a second one does nothing. The run loop
 * retains it while it is added. A callout is not a "handled source": RunInMode(…, true) keeps
 * running after one, and a mode holding only timers is not empty. Invalidate removes it from
 * its run loop and calls the context's release. With blocks (clang -fblocks),
 * CFRunLoopTimerCreateWithHandler and CFRunLoopPerformBlock are declared below. */
typedef struct {
    CFIndex version;
    void *info;
    const void *(*retain)(const void *info);
    void (*release)(const void *info);
    CFStringRef (*copyDescription)(const void *info);
} CFRunLoopTimerContext;

typedef void (*CFRunLoopTimerCallBack)(CFRunLoopTimerRef timer, void *info);

CF_EXPORT CFTypeID CFRunLoopTimerGetTypeID(void);
/* flags is ignored (reserved, as in CF); NaN interval aborts, as CF halts. context may be NULL. */
CF_EXPORT CFRunLoopTimerRef CFRunLoopTimerCreate(CFAllocatorRef allocator, CFAbsoluteTime fireDate,
                                                 CFTimeInterval interval, CFOptionFlags flags,
                                                 CFIndex order, CFRunLoopTimerCallBack callout,
                                                 CFRunLoopTimerContext *context);
CF_EXPORT CFAbsoluteTime CFRunLoopTimerGetNextFireDate(CFRunLoopTimerRef timer);
/* Also from inside the callout: a later date then replaces the interval's next one. */
CF_EXPORT void CFRunLoopTimerSetNextFireDate(CFRunLoopTimerRef timer, CFAbsoluteTime fireDate);
CF_EXPORT CFTimeInterval CFRunLoopTimerGetInterval(CFRunLoopTimerRef timer);
CF_EXPORT Boolean CFRunLoopTimerDoesRepeat(CFRunLoopTimerRef timer);
CF_EXPORT CFIndex CFRunLoopTimerGetOrder(CFRunLoopTimerRef timer);
CF_EXPORT void CFRunLoopTimerInvalidate(CFRunLoopTimerRef timer);
CF_EXPORT Boolean CFRunLoopTimerIsValid(CFRunLoopTimerRef timer);
CF_EXPORT void CFRunLoopTimerGetContext(CFRunLoopTimerRef timer, CFRunLoopTimerContext *context);
/* Stored and returned; timers fire as soon as they are due (a tolerance only permits later). */
CF_EXPORT CFTimeInterval CFRunLoopTimerGetTolerance(CFRunLoopTimerRef timer);
CF_EXPORT void CFRunLoopTimerSetTolerance(CFRunLoopTimerRef timer, CFTimeInterval tolerance);

CF_EXPORT void CFRunLoopAddTimer(CFRunLoopRef rl, CFRunLoopTimerRef timer, CFRunLoopMode mode);
CF_EXPORT void CFRunLoopRemoveTimer(CFRunLoopRef rl, CFRunLoopTimerRef timer,
                                    CFRunLoopMode mode);
CF_EXPORT Boolean CFRunLoopContainsTimer(CFRunLoopRef rl, CFRunLoopTimerRef timer,
                                         CFRunLoopMode mode);
/* The earliest next fire date of the mode's valid timers, 0 when it has none. */
CF_EXPORT CFAbsoluteTime CFRunLoopGetNextTimerFireDate(CFRunLoopRef rl, CFRunLoopMode mode);

CF_EXTERN_C_END

/* ---- blocks (clang -fblocks; link -lBlocksRuntime) ------------------------------------------
 * Inline, over the function API: libcfmp itself builds without blocks. */
#if defined(__BLOCKS__)
#include <dispatch/dispatch.h> /* Block_copy, Block_release */

static __inline__ void __cfmp_timer_call_block(CFRunLoopTimerRef timer, void *info) {
    void (^block)(CFRunLoopTimerRef) = (void (^)(CFRunLoopTimerRef))info;
    block(timer);
}

static __inline__ void __cfmp_release_block(const void *info) { Block_release(info); }

/* CFRunLoopTimerCreate with a block for callout (copied; released when the timer is
 * invalidated or deallocated). */
static __inline__ CFRunLoopTimerRef CFRunLoopTimerCreateWithHandler(
    CFAllocatorRef allocator, CFAbsoluteTime fireDate, CFTimeInterval interval, CFOptionFlags flags,
    CFIndex order, void (^block)(CFRunLoopTimerRef timer)) {
    CFRunLoopTimerContext context = {0, (void *)Block_copy(block), NULL, __cfmp_release_block,
                                     NULL};
    return CFRunLoopTimerCreate(allocator, fireDate, interval, flags, order,
                                __cfmp_timer_call_block, &context);
}

static __inline__ void __cfmp_perform_block(CFRunLoopTimerRef timer, void *info) {
    (void)timer;
    void (^block)(void) = (void (^)(void))info;
    block();
}

/* Runs block the next time rl runs in mode (a mode name or kCFRunLoopCommonModes), once; like
 * CF's, it is not a handled source. Made of a one-shot timer due at once (so, unlike CF, it also
 * wakes rl). */
static __inline__ void CFRunLoopPerformBlock(CFRunLoopRef rl, CFTypeRef mode, void (^block)(void)) {
    CFRunLoopTimerContext context = {0, (void *)Block_copy(block), NULL, __cfmp_release_block,
                                     NULL};
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(NULL, 0.0, 0.0, 0, 0, __cfmp_perform_block,
                                                   &context);
    CFRunLoopAddTimer(rl, timer, (CFRunLoopMode)mode);
    CFRelease(timer);
}
#endif /* __BLOCKS__ */

#endif /* __COREFOUNDATION_CFRUNLOOP__ */
