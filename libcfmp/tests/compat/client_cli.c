/*
 * client_cli.c — a command-line client for a CFMessagePort server, with the timeouts a macOS
 * tool would offer: how long to wait for the server to appear, and the send and receive
 * timeouts of CFMessagePortSendRequest. Compiles unchanged on macOS and against libcfmp.
 *
 * usage: client_cli [-w WAIT_S] [-t TIMEOUT_S] NAME COMMAND [TEXT]
 *   COMMAND: echo | upper | work | stats | slow | quit | oneway (echo without a reply)
 * Prints "reply: TEXT" (or "sent" for oneway). Exit status: 0 success, 1 the request failed
 * (the message says which kCFMessagePort error), 2 usage, 3 no server appeared in time.
 */
#include <CoreFoundation/CoreFoundation.h>
#include <getopt.h>

static const char *StatusName(SInt32 status) {
    switch (status) {
    case kCFMessagePortSuccess: return "success";
    case kCFMessagePortSendTimeout: return "send timeout";
    case kCFMessagePortReceiveTimeout: return "receive timeout";
    case kCFMessagePortIsInvalid: return "port invalid";
    case kCFMessagePortTransportError: return "transport error";
    case kCFMessagePortBecameInvalidError: return "port became invalid";
    default: return "unknown error";
    }
}

static SInt32 MessageIDFor(const char *command) {
    static const struct { const char *name; SInt32 msgid; } table[] = {
        {"echo", 1}, {"upper", 2}, {"work", 3}, {"stats", 4}, {"slow", 5}, {"quit", 99},
        {"oneway", 1}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].name, command) == 0) return table[i].msgid;
    }
    return -1;
}

/* Waits up to wait seconds for the server's port to exist, polling as a launchd-less tool
 * must. */
static CFMessagePortRef ConnectWithin(CFStringRef name, CFTimeInterval wait) {
    CFAbsoluteTime deadline = CFAbsoluteTimeGetCurrent() + wait;
    for (;;) {
        CFMessagePortRef remote = CFMessagePortCreateRemote(kCFAllocatorDefault, name);
        if (remote != NULL) return remote;
        if (CFAbsoluteTimeGetCurrent() >= deadline) return NULL;
        usleep(20 * 1000);
    }
}

int main(int argc, char **argv) {
    CFTimeInterval wait = 2.0, timeout = 5.0;
    int option;
    while ((option = getopt(argc, argv, "w:t:")) != -1) {
        switch (option) {
        case 'w': wait = strtod(optarg, NULL); break;
        case 't': timeout = strtod(optarg, NULL); break;
        default:
            fprintf(stderr, "usage: %s [-w WAIT_S] [-t TIMEOUT_S] NAME COMMAND [TEXT]\n", argv[0]);
            return 2;
        }
    }
    if (argc - optind < 2 || MessageIDFor(argv[optind + 1]) < 0) {
        fprintf(stderr, "usage: %s [-w WAIT_S] [-t TIMEOUT_S] NAME COMMAND [TEXT]\n", argv[0]);
        return 2;
    }
    const char *command = argv[optind + 1];
    const char *text = argc - optind > 2 ? argv[optind + 2] : "";
    CFStringRef name = CFStringCreateWithCString(kCFAllocatorDefault, argv[optind], kCFStringEncodingUTF8);
    CFMessagePortRef remote = ConnectWithin(name, wait);
    if (remote == NULL) {
        CFStringRef message = CFStringCreateWithFormat(NULL, NULL,
                                                       CFSTR("error: no server named %@ after %.1f s"),
                                                       name, wait);
        char buffer[512];
        if (CFStringGetCString(message, buffer, sizeof buffer, kCFStringEncodingUTF8)) {
            fprintf(stderr, "%s\n", buffer);
        }
        CFRelease(message);
        CFRelease(name);
        return 3;
    }
    CFDataRef data = CFDataCreate(NULL, (const UInt8 *)text, (CFIndex)strlen(text));
    CFDataRef reply = NULL;
    bool oneway = strcmp(command, "oneway") == 0;
    SInt32 status = CFMessagePortSendRequest(remote, MessageIDFor(command), data, timeout,
                                             oneway ? 0 : timeout,
                                             oneway ? NULL : kCFRunLoopDefaultMode,
                                             oneway ? NULL : &reply);
    int exitStatus = 0;
    if (status != kCFMessagePortSuccess) {
        fprintf(stderr, "error: %s (%d)\n", StatusName(status), (int)status);
        exitStatus = 1;
    } else if (oneway) {
        printf("sent\n");
    } else {
        CFStringRef replyText = reply != NULL
                                    ? CFStringCreateFromExternalRepresentation(NULL, reply, kCFStringEncodingUTF8)
                                    : NULL;
        char buffer[1024] = "";
        if (replyText != NULL) {
            CFStringGetCString(replyText, buffer, sizeof buffer, kCFStringEncodingUTF8);
            CFRelease(replyText);
        }
        printf("reply: %s\n", buffer);
    }
    if (reply != NULL) CFRelease(reply);
    CFRelease(data);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
    return exitStatus;
}
