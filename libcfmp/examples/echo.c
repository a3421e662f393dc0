/* echo.c — a request/reply between two processes using only CoreFoundation calls.
 *   echo server NAME    serve one request, reply with the same bytes, exit
 *   echo client NAME    send "hello", print the reply */
#include <CoreFoundation/CoreFoundation.h>
#include <stdio.h>
#include <string.h>

static CFDataRef echo(CFMessagePortRef port, SInt32 msgid, CFDataRef data, void *info) {
    (void)port; (void)msgid; (void)info;
    CFRunLoopStop(CFRunLoopGetCurrent());
    return CFDataCreateCopy(NULL, data);
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    CFStringRef name = CFStringCreateWithCString(NULL, argv[2], kCFStringEncodingUTF8);
    if (strcmp(argv[1], "server") == 0) {
        CFMessagePortRef port = CFMessagePortCreateLocal(NULL, name, echo, NULL, NULL);
        CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, port, 0);
        CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
        printf("ready\n");
        fflush(stdout);
        CFRunLoopRun();
        CFMessagePortInvalidate(port);
        CFRelease(source);
        CFRelease(port);
    } else {
        CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
        CFDataRef request = CFDataCreate(NULL, (const UInt8 *)"hello", 5), reply = NULL;
        SInt32 status = remote ? CFMessagePortSendRequest(remote, 1, request, 5, 5,
                                                          kCFRunLoopDefaultMode, &reply) : -99;
        printf("status %d reply %.*s\n", (int)status, reply ? (int)CFDataGetLength(reply) : 0,
               reply ? (const char *)CFDataGetBytePtr(reply) : "");
        if (reply) CFRelease(reply);
        if (remote) { CFMessagePortInvalidate(remote); CFRelease(remote); }
        CFRelease(request);
        if (status != 0) return 1;
    }
    CFRelease(name);
    return 0;
}
