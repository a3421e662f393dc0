/*
 * queue_server.c — a CFMessagePort server driven by dispatch queues instead of a run loop, as
 * a modern macOS daemon is written: requests arrive on a serial queue
 * (CFMessagePortSetDispatchQueue), WORK requests fan out over a concurrent queue with
 * dispatch_apply, a watchdog on a global queue (dispatch_after) ends an idle server, and the
 * main thread parks in dispatch_main(). Compiles unchanged on macOS and against libcfmp, with
 * the function forms of libdispatch (no blocks, so gcc builds it too).
 *
 * usage: queue_server NAME [IDLE_SECONDS]
 * Requests (msgid): 1 echo, 2 upper-case, 3 work (checksum of the data, computed in parallel),
 * 4 stats, 5 slow (sleeps the milliseconds in the data), 99 quit (replies, then exits 0).
 */
#include <CoreFoundation/CoreFoundation.h>
#include <dispatch/dispatch.h>

enum { kEcho = 1, kUpper = 2, kWork = 3, kStats = 4, kSlow = 5, kQuit = 99 };

static dispatch_queue_t gRequestQueue;  /* serial: one request at a time */
static dispatch_queue_t gComputeQueue;  /* concurrent: parallel work */
static dispatch_semaphore_t gStatsLock; /* a semaphore used as a lock, a common idiom */
static long gRequests;
static double gIdleSeconds = 10.0;
static CFAbsoluteTime gLastRequest;
static CFMessagePortRef gPort;

struct Checksum {
    const UInt8 *bytes;
    CFIndex length;
    UInt32 parts[8];
};

static void ChecksumPart(void *context, size_t part) {
    struct Checksum *work = context;
    UInt32 sum = 0;
    for (CFIndex i = (CFIndex)part; i < work->length; i += 8) sum += work->bytes[i] * (UInt32)(i + 1);
    work->parts[part] = sum;
}

static void Quit(void *context __unused) {
    dispatch_semaphore_wait(gStatsLock, DISPATCH_TIME_FOREVER);
    long handled = gRequests;
    dispatch_semaphore_signal(gStatsLock);
    CFMessagePortInvalidate(gPort);
    printf("server: handled %ld requests\n", handled);
    fflush(stdout);
    exit(0);
}

static void Watchdog(void *context __unused) {
    dispatch_semaphore_wait(gStatsLock, DISPATCH_TIME_FOREVER);
    CFTimeInterval idle = CFAbsoluteTimeGetCurrent() - gLastRequest;
    dispatch_semaphore_signal(gStatsLock);
    if (idle >= gIdleSeconds) {
        fprintf(stderr, "server: idle for %.1f s, exiting\n", idle);
        dispatch_async_f(dispatch_get_main_queue(), NULL, Quit);
        return;
    }
    dispatch_after_f(dispatch_time(DISPATCH_TIME_NOW, (int64_t)(0.2 * NSEC_PER_SEC)),
                     dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_LOW, 0), NULL, Watchdog);
}

static CFDataRef Reply(CFStringRef text) {
    return CFStringCreateExternalRepresentation(NULL, text, kCFStringEncodingUTF8, '?');
}

static CFDataRef HandleRequest(CFMessagePortRef local __unused, SInt32 msgid, CFDataRef data,
                               void *info __unused) {
    dispatch_semaphore_wait(gStatsLock, DISPATCH_TIME_FOREVER);
    long count = ++gRequests;
    gLastRequest = CFAbsoluteTimeGetCurrent();
    dispatch_semaphore_signal(gStatsLock);
    const char *label = dispatch_queue_get_label(DISPATCH_CURRENT_QUEUE_LABEL);
    if (strcmp(label, "com.example.cfmp.requests") != 0) {
        fprintf(stderr, "server: request on queue %s\n", label);
    }
    CFStringRef text = CFStringCreateFromExternalRepresentation(NULL, data, kCFStringEncodingUTF8);
    if (text == NULL) text = CFStringCreateCopy(NULL, CFSTR(""));
    CFDataRef reply = NULL;
    switch (msgid) {
    case kEcho:
        reply = CFDataCreateCopy(NULL, data);
        break;
    case kUpper: {
        CFMutableStringRef upper = CFStringCreateMutableCopy(NULL, 0, text);
        CFStringUppercase(upper, NULL);
        reply = Reply(upper);
        CFRelease(upper);
        break;
    }
    case kWork: {
        struct Checksum work = {CFDataGetBytePtr(data), CFDataGetLength(data), {0}};
        dispatch_apply_f(8, gComputeQueue, &work, ChecksumPart);
        UInt32 total = 0;
        for (int i = 0; i < 8; i++) total += work.parts[i];
        CFStringRef result = CFStringCreateWithFormat(NULL, NULL, CFSTR("checksum %u of %ld bytes"),
                                                      (unsigned)total, (long)work.length);
        reply = Reply(result);
        CFRelease(result);
        break;
    }
    case kStats: {
        CFStringRef stats = CFStringCreateWithFormat(NULL, NULL, CFSTR("requests=%ld queue=%s"),
                                                     count, label);
        reply = Reply(stats);
        CFRelease(stats);
        break;
    }
    case kSlow:
        usleep((useconds_t)CFStringGetIntValue(text) * 1000);
        reply = CFDataCreateCopy(NULL, data);
        break;
    case kQuit:
        /* Reply first; the main queue exits once this callout has returned. */
        dispatch_after_f(dispatch_time(DISPATCH_TIME_NOW, 50 * (int64_t)NSEC_PER_MSEC),
                         dispatch_get_main_queue(), NULL, Quit);
        reply = Reply(CFSTR("bye"));
        break;
    default:
        break;
    }
    CFRelease(text);
    return reply;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME [IDLE_SECONDS]\n", argv[0]);
        return 2;
    }
    if (argc > 2) gIdleSeconds = atof(argv[2]);
    gStatsLock = dispatch_semaphore_create(1);
    gRequestQueue = dispatch_queue_create("com.example.cfmp.requests", DISPATCH_QUEUE_SERIAL);
    gComputeQueue = dispatch_queue_create("com.example.cfmp.compute", DISPATCH_QUEUE_CONCURRENT);
    CFStringRef name = CFStringCreateWithCString(NULL, argv[1], kCFStringEncodingUTF8);
    gPort = CFMessagePortCreateLocal(NULL, name, HandleRequest, NULL, NULL);
    CFRelease(name);
    if (gPort == NULL) {
        fprintf(stderr, "server: the name %s is taken\n", argv[1]);
        return 1;
    }
    CFMessagePortSetDispatchQueue(gPort, gRequestQueue);
    gLastRequest = CFAbsoluteTimeGetCurrent();
    dispatch_after_f(dispatch_time(DISPATCH_TIME_NOW, (int64_t)(0.2 * NSEC_PER_SEC)),
                     dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_LOW, 0), NULL, Watchdog);
    printf("ready %s\n", argv[1]);
    fflush(stdout);
    dispatch_main();
}
