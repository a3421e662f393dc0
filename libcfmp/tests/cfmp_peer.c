/*
 * cfmp_peer.c — the helper process of libcfmp's tests. Usage: cfmp_peer ROLE NAME [ARG].
 * It prints "READY" on stdout once set up, so the test knows when to go on.
 *
 *   server NAME        local port on the main run loop (default mode); the callout below
 *   queue-server NAME  the same, delivered through a serial dispatch queue (R49)
 *   null-callout-server NAME  the server with a NULL callout: the first message crashes it (R40)
 *   claim NAME         exit 0 if CreateLocal(NAME) fails (name in use, R16), 1 if it works
 *   register-and-die NAME   CreateLocal(NAME), print READY, then SIGKILL itself (stale name)
 *   refused-client NAME MODE   drop to uid 65534 (MODE "full", or "fsuid": keep file access as
 *                      root so the connection reaches the server) and check the server refuses
 *   dispatch-main NAME  dispatch_main(); 50 ms later an item on the main queue exits 42 if it
 *                      runs on the main thread with the main queue's label (3 otherwise)
 *   exit-from-worker NAME  dispatch_main(); an item on a global queue calls exit(43)
 *   oneway NAME MSGIDS  one remote, a one-way send (empty data, 1 s send timeout) of each msgid
 *                      of the comma list in order; READY only once all were sent, then exit 0
 *
 * Server callout by msgid: 1 echo; 2 sleep ARG ms (data, decimal) then echo; 3 reply NULL;
 * 4 SIGKILL itself before replying (a crash during a request); 5 invalidate the port, then
 * echo (R46); 6 count and reply the count; 7 invalidate the port, sleep ARG ms (data), then
 * echo and exit 0 (R46 with the death notice out first); 99 stop the run loop (one-way), then exit 0.
 */
#include <CoreFoundation/CoreFoundation.h>
#include <dispatch/dispatch.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int cfmp_peer_count;

static void cfmp_peer_sleep_ms(long ms) {
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
    }
}

static CFDataRef cfmp_peer_callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                   void *info) {
    (void)info;
    switch (msgid) {
    case 7:
        CFMessagePortInvalidate(local);
        CFRunLoopStop(CFRunLoopGetMain()); /* once the reply is out: nothing more to serve */
        __attribute__((fallthrough));     /* the reply goes out after the sleep */
    case 2: {
        char text[32] = "";
        CFIndex length = CFDataGetLength(data) < 31 ? CFDataGetLength(data) : 31;
        memcpy(text, CFDataGetBytePtr(data), (size_t)length);
        cfmp_peer_sleep_ms(atol(text));
        return CFDataCreateCopy(NULL, data);
    }
    case 3:
        return NULL;
    case 4:
        kill(getpid(), SIGKILL);
        return NULL;
    case 5:
        CFMessagePortInvalidate(local);
        return CFDataCreateCopy(NULL, data);
    case 6: {
        char text[32];
        snprintf(text, sizeof text, "%d", ++cfmp_peer_count);
        return CFDataCreate(NULL, (const UInt8 *)text, (CFIndex)strlen(text));
    }
    case 99:
        CFRunLoopStop(CFRunLoopGetMain());
        return NULL;
    default:
        return CFDataCreateCopy(NULL, data);
    }
}

static void cfmp_peer_ready(void) {
    printf("READY\n");
    fflush(stdout);
}

static int cfmp_peer_server(CFStringRef name, bool use_queue, bool null_callout) {
    Boolean should_free = true;
    CFMessagePortRef port = CFMessagePortCreateLocal(
        NULL, name, null_callout ? NULL : cfmp_peer_callout, NULL, &should_free);
    if (port == NULL) return 2;
    dispatch_queue_t queue = NULL;
    if (use_queue) {
        queue = dispatch_queue_create("cfmp.peer", DISPATCH_QUEUE_SERIAL);
        CFMessagePortSetDispatchQueue(port, queue);
    } else {
        CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, port, 0);
        CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
        CFRelease(source);
    }
    cfmp_peer_ready();
    CFRunLoopRun();
    CFMessagePortInvalidate(port);
    CFRelease(port);
    if (queue != NULL) dispatch_release(queue);
    return 0;
}

static int cfmp_peer_claim(CFStringRef name) {
    Boolean should_free = false;
    cfmp_peer_ready();
    CFMessagePortRef port = CFMessagePortCreateLocal(NULL, name, cfmp_peer_callout, NULL,
                                                     &should_free);
    if (port == NULL) return should_free ? 0 : 3;
    CFMessagePortInvalidate(port);
    CFRelease(port);
    return 1;
}

static int cfmp_peer_register_and_die(CFStringRef name) {
    CFMessagePortRef port = CFMessagePortCreateLocal(NULL, name, cfmp_peer_callout, NULL, NULL);
    if (port == NULL) return 2;
    cfmp_peer_ready();
    kill(getpid(), SIGKILL);
    return 3;
}

/* Connects to the socket without libcfmp and reports whether the server said HELLO. */
static bool cfmp_peer_raw_hello(CFStringRef name) {
    char text[256];
    char path[512];
    CFStringGetCString(name, text, sizeof text, kCFStringEncodingUTF8);
    snprintf(path, sizeof path, "%s/p-%s.sock", getenv("CFMP_RUNTIME_DIR"), text);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) return false;
    memcpy(address.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return false;
    }
    struct timeval timeout = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[512];
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    close(fd);
    return got > 0;
}

/* Exit 0: refused as expected; 1: connected (a failure); 4: could not drop privileges. */
static int cfmp_peer_refused_client(CFStringRef name, const char *mode) {
    if (setresgid(65534, 65534, 65534) != 0) return 4;
    bool keep_files = strcmp(mode, "fsuid") == 0;
    if (setresuid(65534, 65534, keep_files ? 0 : 65534) != 0) return 4;
    if (keep_files) {
        setfsuid(0);
        if ((int)setfsuid((uid_t)-1) != 0) return 4;
    }
    /* Changing credentials clears "dumpable", which stops LeakSanitizer's exit-time scan
     * (it attaches to its own threads); this process has nothing to hide. */
    prctl(PR_SET_DUMPABLE, 1);
    cfmp_peer_ready();
    bool greeted = keep_files && cfmp_peer_raw_hello(name); /* the server must not greet us */
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    bool connected = remote != NULL;
    if (connected) {
        CFMessagePortInvalidate(remote);
        CFRelease(remote);
    }
    /* Drop the saved root uid too, so that LeakSanitizer may attach at exit. */
    if (setresuid(65534, 65534, 65534) != 0) return 4;
    prctl(PR_SET_DUMPABLE, 1);
    return greeted || connected ? 1 : 0;
}

static pthread_t cfmp_peer_main_thread;

static void cfmp_peer_on_main_queue(void *context) {
    (void)context;
    bool on_main = pthread_equal(pthread_self(), cfmp_peer_main_thread) != 0;
    bool labelled = strcmp(dispatch_queue_get_label(DISPATCH_CURRENT_QUEUE_LABEL),
                           "com.apple.main-thread") == 0;
    exit(on_main && labelled ? 42 : 3);
}

static void cfmp_peer_hop_to_main(void *context) {
    (void)context;
    dispatch_async_f(dispatch_get_main_queue(), NULL, cfmp_peer_on_main_queue);
}

static void cfmp_peer_exit_43(void *context) {
    (void)context;
    exit(43);
}

static int cfmp_peer_dispatch_main(bool exit_from_worker) {
    cfmp_peer_main_thread = pthread_self();
    cfmp_peer_ready();
    dispatch_queue_t global = dispatch_get_global_queue(DISPATCH_QUEUE_PRIORITY_DEFAULT, 0);
    if (exit_from_worker) {
        dispatch_async_f(global, NULL, cfmp_peer_exit_43);
    } else {
        dispatch_after_f(dispatch_time(DISPATCH_TIME_NOW, 50 * (int64_t)NSEC_PER_MSEC), global,
                         NULL, cfmp_peer_hop_to_main);
    }
    dispatch_main();
}

/* Exit 0: every one-way send returned success; 2: no remote; 3: a send failed. */
static int cfmp_peer_oneway(CFStringRef name, const char *msgids) {
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    if (remote == NULL) return 2;
    int status = 0;
    for (const char *at = msgids; *at != '\0' && status == 0;) {
        char *end = NULL;
        long msgid = strtol(at, &end, 10);
        if (end == at) status = 64;
        if (status == 0 &&
            CFMessagePortSendRequest(remote, (SInt32)msgid, NULL, 1.0, 0, NULL, NULL) != 0) {
            status = 3;
        }
        at = *end == ',' ? end + 1 : end;
    }
    if (status == 0) cfmp_peer_ready();
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    return status;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: cfmp_peer ROLE NAME [ARG]\n");
        return 64;
    }
    CFStringRef name = CFStringCreateWithCString(NULL, argv[2], kCFStringEncodingUTF8);
    int status = 64;
    if (strcmp(argv[1], "server") == 0) status = cfmp_peer_server(name, false, false);
    if (strcmp(argv[1], "queue-server") == 0) status = cfmp_peer_server(name, true, false);
    if (strcmp(argv[1], "null-callout-server") == 0) status = cfmp_peer_server(name, false, true);
    if (strcmp(argv[1], "claim") == 0) status = cfmp_peer_claim(name);
    if (strcmp(argv[1], "register-and-die") == 0) status = cfmp_peer_register_and_die(name);
    if (strcmp(argv[1], "dispatch-main") == 0) status = cfmp_peer_dispatch_main(false);
    if (strcmp(argv[1], "exit-from-worker") == 0) status = cfmp_peer_dispatch_main(true);
    if (strcmp(argv[1], "oneway") == 0 && argc > 3) status = cfmp_peer_oneway(name, argv[3]);
    if (strcmp(argv[1], "refused-client") == 0 && argc > 3) {
        status = cfmp_peer_refused_client(name, argv[3]);
    }
    CFRelease(name);
    return status;
}
