/*
 * CFMessagePort.h — libcfmp: Apple's CFMessagePort API on Linux (Unix-domain sockets).
 *
 * Same names, signatures and status codes as macOS. Behaviour follows portsim's
 * docs/semantics.md (rules R1–R67); libcfmp/README.md lists where it differs and why.
 * Ownership: CreateLocal, CreateRemote and CreateRunLoopSource return +1 (a cached object may
 * be returned again, retained). GetName returns the port's own sanitized name (Get rule).
 * The data passed to a callout is valid only during the callout (copy it to keep it); the
 * callout's return value is consumed. A reply from SendRequest is +1.
 * Thread-safety: every function may be called from any thread; no library lock is held while
 * a callout, an invalidation callback or a context callback runs, so callbacks may re-enter.
 * Do not use the library in a forked child before exec (as with CF on macOS).
 */
#ifndef __COREFOUNDATION_CFMESSAGEPORT__
#define __COREFOUNDATION_CFMESSAGEPORT__ 1

#include <CoreFoundation/CFString.h>
#include <CoreFoundation/CFRunLoop.h>
#include <CoreFoundation/CFData.h>
#include <dispatch/dispatch.h>

CF_IMPLICIT_BRIDGING_ENABLED
CF_EXTERN_C_BEGIN

typedef struct CF_BRIDGED_MUTABLE_TYPE(NSMessagePort) __CFMessagePort *CFMessagePortRef;

CF_ENUM(SInt32) {
    kCFMessagePortSuccess = 0,
    kCFMessagePortSendTimeout = -1,
    kCFMessagePortReceiveTimeout = -2,
    kCFMessagePortIsInvalid = -3,
    kCFMessagePortTransportError = -4,
    kCFMessagePortBecameInvalidError = -5
};

typedef struct {
    CFIndex version;
    void *info;
    const void *(*retain)(const void *info);
    void (*release)(const void *info);
    CFStringRef (*copyDescription)(const void *info);
} CFMessagePortContext;

typedef CFDataRef (*CFMessagePortCallBack)(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                           void *info);
typedef void (*CFMessagePortInvalidationCallBack)(CFMessagePortRef ms, void *info);

CF_EXPORT CFTypeID CFMessagePortGetTypeID(void);

CF_EXPORT CFMessagePortRef CFMessagePortCreateLocal(CFAllocatorRef allocator, CFStringRef name,
                                                    CFMessagePortCallBack callout,
                                                    CFMessagePortContext *context,
                                                    Boolean *shouldFreeInfo);
CF_EXPORT CFMessagePortRef CFMessagePortCreateRemote(CFAllocatorRef allocator, CFStringRef name);

CF_EXPORT Boolean CFMessagePortIsRemote(CFMessagePortRef ms);
CF_EXPORT CFStringRef CFMessagePortGetName(CFMessagePortRef ms);
CF_EXPORT Boolean CFMessagePortSetName(CFMessagePortRef ms, CFStringRef newName);
CF_EXPORT void CFMessagePortGetContext(CFMessagePortRef ms, CFMessagePortContext *context);
CF_EXPORT void CFMessagePortInvalidate(CFMessagePortRef ms);
CF_EXPORT Boolean CFMessagePortIsValid(CFMessagePortRef ms);
CF_EXPORT CFMessagePortInvalidationCallBack CFMessagePortGetInvalidationCallBack(CFMessagePortRef ms);
CF_EXPORT void CFMessagePortSetInvalidationCallBack(CFMessagePortRef ms,
                                                    CFMessagePortInvalidationCallBack callout);

/* NULL replyMode means no reply is expected: a one-way send that does not wait (R31). */
CF_EXPORT SInt32 CFMessagePortSendRequest(CFMessagePortRef remote, SInt32 msgid, CFDataRef data,
                                          CFTimeInterval sendTimeout, CFTimeInterval rcvTimeout,
                                          CFStringRef replyMode, CFDataRef *returnData);

CF_EXPORT CFRunLoopSourceRef CFMessagePortCreateRunLoopSource(CFAllocatorRef allocator,
                                                              CFMessagePortRef local,
                                                              CFIndex order);

CF_EXPORT void CFMessagePortSetDispatchQueue(CFMessagePortRef ms, dispatch_queue_t queue)
    API_AVAILABLE(macos(10.6), ios(4.0), watchos(2.0), tvos(9.0));

CF_EXTERN_C_END
CF_IMPLICIT_BRIDGING_DISABLED

#endif /* __COREFOUNDATION_CFMESSAGEPORT__ */
