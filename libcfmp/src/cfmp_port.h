/*
 * cfmp_port.h — the CFMessagePort object, shared by cfmp_port.c (life cycle, names, caches,
 * invalidation) and cfmp_send.c (sending, replies, request delivery).
 */
#ifndef CFMP_PORT_H
#define CFMP_PORT_H

#include "cfmp_internal.h"
#include "cfmp_transport.h"

#include <dispatch/dispatch.h>

/* One two-way request waiting for its reply (R32); convid is unique per remote (R34). */
struct cfmp_pending {
    int32_t convid;
    bool arrived;
    CFDataRef data;     /* +1 once arrived */
    CFRunLoopRef waiter; /* retained: the run loop of the waiting thread */
};

/* The stand-in for the CFMachPort object CF keeps per Mach port name in a process (R26). CF's
 * CFMachPortCreateWithPort hands out the existing valid wrapper for a port name, so a remote
 * to a local port of the same process, and a remote made while an older remote to the same
 * server is still being invalidated, hold the same wrapper as that other port. Whichever
 * holder is invalidated first invalidates the wrapper without telling the others (its hook is
 * cleared first, R52 step 10); each other holder finds out at its next IsValid (R26b, R7).
 * Kept in cfmp_port.c's registry, keyed by endpoint, only while valid (weakly: a wrapper lives
 * as long as a port holds it). refs counts the holding ports; valid is a one-way latch. */
struct cfmp_wrapper {
    _Atomic int32_t refs;
    _Atomic bool valid;
    bool receive; /* made by a local port for its listener: the receive side of the port */
    struct cfmp_endpoint endpoint;
};

struct __CFMessagePort {
    struct cfmp_object base;
    pthread_mutex_t lock; /* guards everything below except the immutable kind and callout */
    bool remote;          /* fixed at creation (R1) */
    bool valid;           /* one-way latch (R3) */
    _Atomic bool deallocating;
    CFStringRef name; /* sanitized (R5), NULL for an unnamed local port */
    CFMessagePortCallBack callout;
    CFMessagePortInvalidationCallBack icallout; /* unlocked, benign race as in CF (R61) */
    CFMessagePortContext context;               /* local only; info NULL after invalidation */
    /* CF's _port: a named local's own wrapper, or the one a remote found or made (R26). NULL
     * for an unnamed local and once invalidation has begun (R52 step 4). */
    struct cfmp_wrapper *wrapper;
    /* local */
    struct cfmp_listener *listener;
    CFRunLoopSourceRef source; /* cached run-loop source (R47) */
    dispatch_queue_t queue;    /* R49 */
    uint64_t accept_watch;
    uint64_t queue_watch;
    struct cfmp_client *self_client; /* one-way sends to itself (R38) */
    /* remote */
    struct cfmp_client *client;
    CFRunLoopSourceRef reply_source; /* made by the first send; retains the port (R25) */
    uint64_t peer_watch;
    uint64_t death_watch; /* remote: its client's death notice, if the server sent one */
    struct cfmp_pending *pending;
    size_t pending_count;
    size_t pending_capacity;
    int32_t conv_counter;
};

CFMP_HIDDEN bool cfmp_port_validate(CFMessagePortRef port);

/* cfmp_send.c */
extern CFMP_HIDDEN const struct cfmp_source_ops cfmp_local_source_ops;
extern CFMP_HIDDEN const struct cfmp_source_ops cfmp_reply_source_ops;
/* Manager thread: the listener of a port with a dispatch queue has requests (R49, R50a). */
CFMP_HIDDEN void cfmp_port_drain_replies(CFMessagePortRef remote);
CFMP_HIDDEN void cfmp_port_queue_readable(CFMessagePortRef port, struct cfmp_listener *listener);

/* cfmp_port.c */
/* Manager thread: the server end of a remote's connection is gone (R56). */
CFMP_HIDDEN void cfmp_port_peer_died(CFMessagePortRef port);

/* cfmp_manager.c: the process's background thread. Watches return an id for unwatch; 0 means
 * the watch could not be installed. The manager holds its own references to listener and
 * client, and a weak one to the port (retained only while an event is handled). */
CFMP_HIDDEN uint64_t cfmp_manager_watch_accept(struct cfmp_listener *listener);
/* A remote's peer watch is on one of its client's two signs of death: the socket (the server
 * process gone) or the death notice (the server port invalidated). */
CFMP_HIDDEN uint64_t cfmp_manager_watch_peer(CFMessagePortRef port, struct cfmp_client *client,
                                             struct cfmp_fdref *fdref);
CFMP_HIDDEN uint64_t cfmp_manager_watch_queue(CFMessagePortRef port,
                                              struct cfmp_listener *listener);
CFMP_HIDDEN void cfmp_manager_unwatch(uint64_t id);

#endif /* CFMP_PORT_H */
