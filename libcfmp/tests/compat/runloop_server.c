/*
 * runloop_server.c — a CFMessagePort server written the way Apple's documentation shows it
 * (Threading Programming Guide, "Configuring a Port-Based Input Source"): the main thread owns
 * a named local port on its run loop; a worker thread creates its own port, checks in with the
 * main thread by sending it its name, and serves the WORK requests the main thread forwards to
 * it. A repeating CFRunLoopTimer counts ticks; a one-shot timer ends the server when it has
 * been idle too long. Compiles unchanged on macOS and against libcfmp.
 *
 * usage: runloop_server NAME [IDLE_SECONDS]
 * Requests (msgid): 1 echo, 2 upper-case, 3 work (done by the worker thread), 4 stats,
 * 5 slow (sleeps the milliseconds in the data, then echoes), 99 quit.
 */
#include <CoreFoundation/CoreFoundation.h>
#include <pthread.h>

#define kCheckinMessage 100
#define kWorkMessage 7

enum { kEcho = 1, kUpper = 2, kWork = 3, kStats = 4, kSlow = 5, kQuit = 99 };

static CFMessagePortRef gWorkerPort = nil; /* the worker thread's port, after check-in */
static CFRunLoopRef gWorkerRunLoop = nil;   /* retained: the worker's run loop, to stop it */
static CFRunLoopTimerRef gIdleTimer = nil;
static CFTimeInterval gIdleSeconds = 10.0;
static long gRequests = 0;
static long gTicks = 0;

/* The C string of a CFString: the fast pointer when CF has one, else a copy in buffer. */
static const char *CStringOf(CFStringRef string, char *buffer, CFIndex size) {
    const char *fast = CFStringGetCStringPtr(string, kCFStringEncodingUTF8);
    if (fast != NULL) return fast;
    if (CFStringGetCString(string, buffer, size, kCFStringEncodingUTF8)) return buffer;
    return "?";
}

static CFDataRef DataFromString(CFStringRef string) {
    return CFStringCreateExternalRepresentation(NULL, string, kCFStringEncodingUTF8, '?');
}

/* The worker thread's handler: reverses the text of a WORK request. */
static CFDataRef ProcessClientRequest(CFMessagePortRef local __unused, SInt32 msgid,
                                      CFDataRef data, void *info __unused) {
    if (msgid != kWorkMessage || data == NULL) return NULL;
    CFIndex length = CFDataGetLength(data);
    UInt8 *reversed = CFAllocatorAllocate(kCFAllocatorDefault, length > 0 ? length : 1, 0);
    const UInt8 *bytes = CFDataGetBytePtr(data);
    for (CFIndex i = 0; i < length; i++) reversed[i] = bytes[length - 1 - i];
    CFStringRef text = CFStringCreateWithBytes(NULL, reversed, length, kCFStringEncodingASCII, FALSE);
    CFAllocatorDeallocate(kCFAllocatorDefault, reversed);
    if (text == NULL) text = CFSTR("(not ASCII)");
    CFStringRef reply = CFStringCreateWithFormat(NULL, NULL, CFSTR("worker: %@"), text);
    CFDataRef replyData = DataFromString(reply);
    CFRelease(reply);
    CFRelease(text);
    return replyData;
}

static void *ServerThreadEntryPoint(void *param) {
    CFStringRef mainPortName = (CFStringRef)param;
    CFMessagePortRef mainThreadPort = CFMessagePortCreateRemote(NULL, mainPortName);
    if (mainThreadPort == nil) return NULL;
    CFStringRef myPortName = CFStringCreateWithFormat(NULL, NULL, CFSTR("%@.thread-%d"),
                                                      mainPortName, (int)getpid());
    CFMessagePortContext context = {0, (void *)mainThreadPort, NULL, NULL, NULL};
    Boolean shouldFreeInfo = FALSE;
    CFMessagePortRef myPort = CFMessagePortCreateLocal(NULL, myPortName, &ProcessClientRequest,
                                                       &context, &shouldFreeInfo);
    if (myPort == nil || shouldFreeInfo) {
        fprintf(stderr, "server: could not create the worker port\n");
        exit(1);
    }
    CFRunLoopSourceRef rlSource = CFMessagePortCreateRunLoopSource(NULL, myPort, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), rlSource, kCFRunLoopDefaultMode);
    CFRelease(rlSource);
    gWorkerRunLoop = (CFRunLoopRef)CFRetain(CFRunLoopGetCurrent()); /* before the check-in */

    /* Package up the port name and send the check-in message. */
    CFIndex stringLength = CFStringGetLength(myPortName);
    UInt8 *buffer = CFAllocatorAllocate(NULL, stringLength, 0);
    CFStringGetBytes(myPortName, CFRangeMake(0, stringLength), kCFStringEncodingASCII, 0, FALSE,
                     buffer, stringLength, NULL);
    CFDataRef outData = CFDataCreate(NULL, buffer, stringLength);
    SInt32 status = CFMessagePortSendRequest(mainThreadPort, kCheckinMessage, outData, 1.0, 0.0,
                                             NULL, NULL);
    CFRelease(outData);
    CFAllocatorDeallocate(NULL, buffer);
    if (status != kCFMessagePortSuccess) fprintf(stderr, "server: check-in failed: %d\n", (int)status);

    CFRunLoopRun(); /* until the main thread stops it */
    CFMessagePortInvalidate(myPort);
    CFRelease(myPort);
    CFRelease(myPortName);
    CFMessagePortInvalidate(mainThreadPort);
    CFRelease(mainThreadPort);
    return NULL;
}

static void IdleTimerFired(CFRunLoopTimerRef timer __unused, void *info __unused) {
    fprintf(stderr, "server: idle for %.1f s, stopping\n", gIdleSeconds);
    CFRunLoopStop(CFRunLoopGetMain());
}

static void TickTimerFired(CFRunLoopTimerRef timer __unused, void *info __unused) { gTicks++; }

static CFDataRef MainThreadResponseHandler(CFMessagePortRef local __unused, SInt32 msgid,
                                           CFDataRef data, void *info __unused) {
    if (msgid == kCheckinMessage) {
        CFIndex bufferLength = CFDataGetLength(data);
        UInt8 *buffer = CFAllocatorAllocate(NULL, bufferLength, 0);
        CFDataGetBytes(data, CFRangeMake(0, bufferLength), buffer);
        CFStringRef threadPortName =
            CFStringCreateWithBytes(NULL, buffer, bufferLength, kCFStringEncodingASCII, FALSE);
        CFMessagePortRef messagePort = CFMessagePortCreateRemote(NULL, threadPortName);
        gWorkerPort = messagePort; /* read on this (the main) thread only */
        CFRelease(threadPortName);
        CFAllocatorDeallocate(NULL, buffer);
        return NULL;
    }
    gRequests++;
    CFRunLoopTimerSetNextFireDate(gIdleTimer, CFAbsoluteTimeGetCurrent() + gIdleSeconds);
    CFStringRef text = data != NULL ? CFStringCreateFromExternalRepresentation(NULL, data, kCFStringEncodingUTF8)
                                    : CFStringCreateCopy(NULL, CFSTR(""));
    if (text == NULL) text = CFStringCreateCopy(NULL, CFSTR(""));
    CFDataRef reply = NULL;
    switch (msgid) {
    case kEcho:
        reply = CFDataCreateCopy(NULL, data);
        break;
    case kUpper: {
        CFMutableStringRef upper = CFStringCreateMutableCopy(NULL, 0, text);
        CFStringUppercase(upper, NULL);
        reply = DataFromString(upper);
        CFRelease(upper);
        break;
    }
    case kWork: {
        CFDataRef workerReply = NULL;
        SInt32 status = gWorkerPort == nil ? kCFMessagePortIsInvalid
                                           : CFMessagePortSendRequest(gWorkerPort, kWorkMessage, data, 1.0, 5.0,
                                                                      kCFRunLoopDefaultMode, &workerReply);
        if (status == kCFMessagePortSuccess) {
            reply = workerReply;
        } else {
            CFStringRef failure = CFStringCreateWithFormat(NULL, NULL, CFSTR("worker failed: %d"), (int)status);
            reply = DataFromString(failure);
            CFRelease(failure);
        }
        break;
    }
    case kStats: {
        CFStringRef stats = CFStringCreateWithFormat(NULL, NULL, CFSTR("requests=%ld ticking=%s"),
                                                     gRequests, gTicks > 0 ? "yes" : "no");
        reply = DataFromString(stats);
        CFRelease(stats);
        break;
    }
    case kSlow: {
        struct timespec pause = {0, 0};
        long ms = (long)CFStringGetIntValue(text);
        pause.tv_sec = ms / 1000;
        pause.tv_nsec = (ms % 1000) * 1000000L;
        nanosleep(&pause, NULL);
        reply = CFDataCreateCopy(NULL, data);
        break;
    }
    case kQuit:
        CFRunLoopStop(CFRunLoopGetCurrent());
        reply = DataFromString(CFSTR("bye"));
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
    CFStringRef myPortName = CFStringCreateWithCString(NULL, argv[1], kCFStringEncodingUTF8);
    CFMessagePortContext context = {0, NULL, NULL, NULL, NULL};
    Boolean shouldFreeInfo = FALSE;
    CFMessagePortRef myPort = CFMessagePortCreateLocal(NULL, myPortName, &MainThreadResponseHandler,
                                                       &context, &shouldFreeInfo);
    if (myPort == NULL) {
        fprintf(stderr, "server: the name %s is taken\n", argv[1]);
        return 1;
    }
    CFRunLoopSourceRef rlSource = CFMessagePortCreateRunLoopSource(NULL, myPort, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), rlSource, kCFRunLoopDefaultMode);
    CFRelease(rlSource);

    gIdleTimer = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent() + gIdleSeconds, 0, 0, 0,
                                      IdleTimerFired, NULL);
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), gIdleTimer, kCFRunLoopDefaultMode);
    CFRunLoopTimerRef tick = CFRunLoopTimerCreate(NULL, CFAbsoluteTimeGetCurrent(), 0.05, 0, 0,
                                                  TickTimerFired, NULL);
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), tick, kCFRunLoopCommonModes);

    pthread_t worker;
    pthread_create(&worker, NULL, ServerThreadEntryPoint, (void *)myPortName);
    /* Serve the check-in before announcing ourselves, so WORK requests find the worker. */
    while (gWorkerPort == nil) CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0.1, TRUE);
    char nameBuffer[256];
    printf("ready %s\n", CStringOf(myPortName, nameBuffer, sizeof nameBuffer));
    fflush(stdout);

    CFRunLoopRun();

    CFRunLoopTimerInvalidate(tick);
    CFRelease(tick);
    CFRunLoopTimerInvalidate(gIdleTimer);
    CFRelease(gIdleTimer);
    CFMessagePortInvalidate(myPort);
    CFRelease(myPort);
    /* Stop the worker thread's run loop and wait for it to clean up. */
    CFMessagePortInvalidate(gWorkerPort);
    CFRelease(gWorkerPort);
    CFRunLoopStop(gWorkerRunLoop);
    pthread_join(worker, NULL);
    CFRelease(gWorkerRunLoop);
    CFRelease(myPortName);
    printf("server: handled %ld requests\n", gRequests);
    fflush(stdout);
    return 0;
}
