/*
 * cfmp_send.c — CFMessagePortSendRequest (R27–R39), filing replies, and delivering requests
 * to callouts from a run loop or a dispatch queue (R40–R46, R49–R50).
 */
#include "cfmp_mutants.h" /* CFMP_MUTATE(...): compile-time mutants, off in real builds */
#include "cfmp_port.h"
#include "cfmp_wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFMP_SEND_FOREVER_S 864000.0 /* R28: 10 days and more (and NaN) block forever */
#define CFMP_REPLY_SEND_NS (1ull * CFMP_NS_PER_S)
#define CFMP_QUEUE_BATCH 64

/* ---- delivering requests (server side) ------------------------------------------------------ */

/* Reads one frame from conn; a bad or closed connection is dropped (the port keeps serving
 * others). Counts the request off the queue (R29). A corrupt request whose framing is intact
 * is a request too: cfmp_perform_request drops it where CF does (R45). */
static bool cfmp_serve_receive(struct cfmp_listener *listener, struct cfmp_conn *conn,
                               struct cfmp_message *message) {
    assert(listener != NULL && listener->queue != NULL);
    assert(conn != NULL && conn->fdref != NULL && message != NULL);
    pthread_mutex_lock(&conn->lock);
    enum cfmp_wire_result result = cfmp_wire_receive(conn->fdref->fd, message, &conn->region);
    cfmp_conn_forget_head(conn);
    pthread_mutex_unlock(&conn->lock);
    if (result == CFMP_WIRE_AGAIN || result == CFMP_WIRE_CONTROL) return false;
    if ((result == CFMP_WIRE_OK && message->header.kind == CFMP_FRAME_REQUEST) || result == CFMP_WIRE_CORRUPT) {
        cfmp_queue_dequeued(listener->queue);
        return true;
    }
    if (result == CFMP_WIRE_OK) cfmp_message_dispose(message);
    if (result != CFMP_WIRE_CLOSED) {
        cfmp_log("port %s: dropping corrupt request from pid %ld; closing that connection",
                 listener->name, (long)conn->peer_pid);
    }
    cfmp_listener_drop_conn(listener, conn);
    return false;
}

static void cfmp_send_reply(struct cfmp_conn *conn, int32_t convid, CFDataRef reply) {
    assert(conn != NULL && conn->fdref != NULL);
    assert(reply == NULL || cfmp_object_is(reply, CFMP_TYPE_DATA));
    const UInt8 *bytes = NULL;
    size_t length = 0;
    if (reply != NULL && CFDataGetLength(reply) <= CFMP_MAX_DATA_BYTES) { /* R43 */
        bytes = CFDataGetBytePtr(reply);
        length = (size_t)CFDataGetLength(reply);
    }
    assert(length <= (size_t)CFMP_MAX_DATA_BYTES && (length == 0 || bytes != NULL)); /* R43 */
    struct cfmp_frame_header header = cfmp_frame_header_make(CFMP_FRAME_REPLY, 0, convid);
    enum cfmp_wire_result result = cfmp_wire_send(conn->fdref->fd, header, bytes, length, NULL, 0,
                                                  cfmp_now_ns() + CFMP_REPLY_SEND_NS);
    if (result != CFMP_WIRE_OK) cfmp_log("reply for convid %d not delivered", (int)convid);
}

/* R40–R46: the callout runs with info retained; its result is sent as the reply even if the
 * port was invalidated meanwhile (R46). An invalid port drops the request unanswered, its reply
 * right (the connection) kept open (R44). A valid port created with a NULL callout crashes the
 * process when a message arrives, as CF calls through NULL (R40): the sender's pending request
 * then gets -5 (R33). A corrupt request is dropped after the retain, unanswered (R45). */
static void cfmp_perform_request(CFMessagePortRef port, struct cfmp_conn *conn,
                                 struct cfmp_message *message) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(!port->remote && conn != NULL);
    assert(message != NULL && message->header.kind == CFMP_FRAME_REQUEST); /* cfmp_serve_receive */
    pthread_mutex_lock(&port->lock);
    bool valid = port->valid;
    CFMessagePortContext context = port->context;
    pthread_mutex_unlock(&port->lock);
    if (!valid && !CFMP_MUTATE(CALLOUT_AFTER_INVALID)) {
        if (!(message->header.flags & CFMP_FLAG_ONEWAY)) cfmp_conn_keep_reply_right(conn);
        cfmp_message_dispose(message);
        return;
    }
    if (port->callout == NULL) {
        fprintf(stderr, "libcfmp: a message (msgid %d) arrived for a local port created with a "
                        "NULL callout; CF calls through NULL and crashes (R40)\n",
                (int)message->header.msgid);
        abort();
    }
    void *info = context.info;
    bool retain = context.retain != NULL && !CFMP_MUTATE(NO_CALLOUT_RETAIN);
    if (retain) info = (void *)context.retain(context.info);
    if (message->corrupt) { /* R45: after the retain, which CF never releases; no callout */
        cfmp_log("port %p: dropping corrupt request from pid %ld (magic 0x%08x, msgid %d, convid %d)",
                 (void *)port, (long)conn->peer_pid, (unsigned)message->header.magic,
                 (int)message->header.msgid, (int)message->header.convid);
        cfmp_message_dispose(message);
        return;
    }
    CFDataRef data = cfmp_message_take_data(message);
    CFDataRef reply = port->callout(port, message->header.msgid, data, info);
    if (context.release != NULL && !CFMP_MUTATE(NO_CALLOUT_RETAIN)) context.release(info);
    CFRelease(data);
    if (!(message->header.flags & CFMP_FLAG_ONEWAY)) {
        cfmp_send_reply(conn, message->header.convid, reply); /* NULL → empty (R35) */
    }
    if (reply != NULL) CFRelease(reply); /* the callout's result is consumed */
    cfmp_message_dispose(message);
}

static struct cfmp_fdref *cfmp_local_copy_fdref(void *info) {
    CFMP_ASSERT_TYPE(info, CFMP_TYPE_MESSAGE_PORT);
    CFMessagePortRef port = info;
    pthread_mutex_lock(&port->lock);
    assert(cfmp_port_validate(port) && !port->remote);
    struct cfmp_fdref *fdref = port->listener != NULL && port->valid
                                   ? cfmp_fdref_retain(port->listener->pollset)
                                   : NULL; /* R41: an unnamed port's source watches nothing */
    pthread_mutex_unlock(&port->lock);
    return fdref;
}

/* One request per wake-up (R42). A source added before a rename watches the old listener,
 * which is closed, so it receives nothing more (R41). A probe tries only the connection of the
 * last request (a client in a request loop sends the next one there). */
static bool cfmp_local_perform(void *info, struct cfmp_fdref *fdref, bool probe) {
    CFMP_ASSERT_TYPE(info, CFMP_TYPE_MESSAGE_PORT);
    assert(fdref != NULL); /* what cfmp_local_copy_fdref gave the run loop */
    CFMessagePortRef port = info;
    pthread_mutex_lock(&port->lock);
    assert(cfmp_port_validate(port) && !port->remote);
    struct cfmp_listener *listener = port->listener != NULL && port->listener->pollset == fdref
                                         ? cfmp_listener_retain(port->listener)
                                         : NULL;
    pthread_mutex_unlock(&port->lock);
    if (listener == NULL) return false;
    struct cfmp_message message;
    struct cfmp_conn *conn = cfmp_listener_recent(listener);
    bool received = conn != NULL && cfmp_serve_receive(listener, conn, &message);
    if (!received && !probe) {
        cfmp_conn_release(conn);
        conn = cfmp_listener_next_ready(listener);
        received = conn != NULL && cfmp_serve_receive(listener, conn, &message);
    }
    if (received) {
        cfmp_listener_note_recent(listener, conn);
        cfmp_perform_request(port, conn, &message);
    }
    cfmp_conn_release(conn);
    cfmp_listener_release(listener);
    return received;
}

const struct cfmp_source_ops cfmp_local_source_ops = {cfmp_local_copy_fdref, cfmp_local_perform};

struct cfmp_queue_job {
    CFMessagePortRef port;
    struct cfmp_conn *conn;
    struct cfmp_message message;
};

static void cfmp_queue_job_run(void *context) {
    assert(context != NULL);
    struct cfmp_queue_job *job = context;
    CFMP_ASSERT_TYPE(job->port, CFMP_TYPE_MESSAGE_PORT);
    assert(job->conn != NULL);
    cfmp_perform_request(job->port, job->conn, &job->message); /* R50c: invalid → dropped */
    cfmp_conn_release(job->conn);
    CFRelease(job->port);
    free(job);
}

/* Manager thread: every request is taken off the socket at once and queued (R50a). */
void cfmp_port_queue_readable(CFMessagePortRef port, struct cfmp_listener *listener) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(!port->remote && listener != NULL);
    for (int i = 0; i < CFMP_QUEUE_BATCH; i++) {
        pthread_mutex_lock(&port->lock);
        dispatch_queue_t queue = port->valid ? port->queue : NULL;
        if (queue != NULL) dispatch_retain(queue);
        pthread_mutex_unlock(&port->lock);
        if (queue == NULL) return;
        struct cfmp_conn *conn = cfmp_listener_next_ready(listener);
        struct cfmp_message message;
        bool received = conn != NULL && cfmp_serve_receive(listener, conn, &message);
        if (received) {
            struct cfmp_queue_job *job = malloc(sizeof *job);
            if (job == NULL) abort();
            job->port = CFMP_RETAIN(port);
            job->conn = cfmp_conn_retain(conn);
            job->message = message;
            dispatch_async_f(queue, job, cfmp_queue_job_run);
        }
        cfmp_conn_release(conn);
        dispatch_release(queue);
        if (conn == NULL) return;
    }
}

/* ---- replies (client side) ------------------------------------------------------------------ */

static struct cfmp_fdref *cfmp_reply_copy_fdref(void *info) {
    CFMP_ASSERT_TYPE(info, CFMP_TYPE_MESSAGE_PORT);
    CFMessagePortRef port = info;
    pthread_mutex_lock(&port->lock);
    assert(cfmp_port_validate(port) && port->remote);
    struct cfmp_fdref *fdref = port->client ? cfmp_fdref_retain(port->client->fdref) : NULL;
    pthread_mutex_unlock(&port->lock);
    return fdref;
}

/* Files a reply for its waiter, or drops it when nobody waits any more (R34). */
static void cfmp_file_reply(CFMessagePortRef port, struct cfmp_message *message) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(port->remote);
    assert(message != NULL && message->header.kind == CFMP_FRAME_REPLY);
    CFRunLoopRef waiter = NULL;
    pthread_mutex_lock(&port->lock);
    assert(cfmp_port_validate(port));
    for (size_t i = 0; i < port->pending_count; i++) {
        struct cfmp_pending *pending = &port->pending[i];
        if (pending->convid != message->header.convid || pending->arrived) continue;
        pending->arrived = true;
        pending->data = cfmp_message_take_data(message);
        waiter = CFMP_RETAIN(pending->waiter);
        break;
    }
    for (size_t i = 0; CFMP_MUTATE(LATE_REPLY_ACCEPTED) && waiter == NULL && i < port->pending_count; i++) {
        struct cfmp_pending *pending = &port->pending[i]; /* a stale reply taken by the next call */
        if (pending->arrived) continue;
        pending->arrived = true;
        pending->data = cfmp_message_take_data(message);
        waiter = CFMP_RETAIN(pending->waiter);
    }
    pthread_mutex_unlock(&port->lock);
    cfmp_message_dispose(message);
    if (waiter == NULL) return;
    /* Wake the waiter if it is another thread (an improvement on R37's late wake-up). */
    if (waiter != CFRunLoopGetCurrent()) cfmp_runloop_poke(waiter);
    CFRelease(waiter);
}

/* The server end closed or sent garbage: mark the connection dead and stop watching it on this
 * run loop (it would stay readable forever). The waiting SendRequest then sees the port
 * invalid (R33: −5); otherwise the main queue invalidates it (R56). */
static void cfmp_reply_connection_lost(CFMessagePortRef port, struct cfmp_fdref *fdref) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(port->remote && fdref != NULL);
    pthread_mutex_lock(&port->lock);
    struct cfmp_client *client = port->client;
    if (client != NULL && client->fdref == fdref) atomic_store(&client->dead, true);
    CFRunLoopSourceRef source = port->reply_source ? CFMP_RETAIN(port->reply_source) : NULL;
    pthread_mutex_unlock(&port->lock);
    if (source != NULL) {
        cfmp_runloop_remove_source_everywhere(CFRunLoopGetCurrent(), source);
        CFRelease(source);
    }
}

/* A probe is the same non-blocking read. */
static bool cfmp_reply_perform(void *info, struct cfmp_fdref *fdref, bool probe) {
    CFMP_ASSERT_TYPE(info, CFMP_TYPE_MESSAGE_PORT);
    assert(fdref != NULL); /* what cfmp_reply_copy_fdref gave the run loop */
    (void)probe;
    CFMessagePortRef port = info;
    struct cfmp_message message;
    enum cfmp_wire_result result = cfmp_wire_receive(fdref->fd, &message, NULL);
    if (result == CFMP_WIRE_AGAIN) return false;
    if (result == CFMP_WIRE_OK && message.header.kind == CFMP_FRAME_REPLY) {
        cfmp_file_reply(port, &message);
        return true;
    }
    if (result == CFMP_WIRE_OK) cfmp_message_dispose(&message);
    cfmp_reply_connection_lost(port, fdref);
    return true;
}

const struct cfmp_source_ops cfmp_reply_source_ops = {cfmp_reply_copy_fdref, cfmp_reply_perform};

/* Files replies already delivered to the socket before the remote is torn down, so a reply
 * that arrived before the server's death wins over the death (R32, R46). */
void cfmp_port_drain_replies(CFMessagePortRef remote) {
    CFMP_ASSERT_TYPE(remote, CFMP_TYPE_MESSAGE_PORT);
    assert(remote->remote);
    pthread_mutex_lock(&remote->lock);
    struct cfmp_client *client = remote->valid && remote->client && remote->pending_count > 0
                                     ? cfmp_client_retain(remote->client)
                                     : NULL;
    pthread_mutex_unlock(&remote->lock);
    if (client == NULL) return;
    for (int i = 0; i < CFMP_QUEUE_BATCH; i++) {
        struct cfmp_message message;
        enum cfmp_wire_result result = cfmp_wire_receive(client->fdref->fd, &message, NULL);
        if (result != CFMP_WIRE_OK) break;
        if (message.header.kind != CFMP_FRAME_REPLY) {
            cfmp_message_dispose(&message);
            break;
        }
        cfmp_file_reply(remote, &message);
    }
    cfmp_client_release(client);
}

/* ---- SendRequest ---------------------------------------------------------------------------- */

/* R28: floor to milliseconds; under 1 ms fails at once on a full queue; ≥ 10 days or NaN never
 * time out. */
static uint64_t cfmp_send_deadline(double send_timeout_s) {
    if (isnan(send_timeout_s) || send_timeout_s >= CFMP_SEND_FOREVER_S) return CFMP_DEADLINE_NEVER;
    double ms = CFMP_MUTATE(SEND_TIMEOUT_SECONDS) ? floor(send_timeout_s) * 1000.0
                                                  : floor(send_timeout_s * 1000.0);
    uint64_t now_ns = cfmp_now_ns();
    assert(ms < CFMP_SEND_FOREVER_S * 1000.0); /* R28's forever returned above: no overflow */
    return ms < 1.0 ? now_ns : now_ns + (uint64_t)ms * 1000000ull;
}

/* Sends one request frame, waiting for queue room first (R29, R30). Returns a CF status. */
static SInt32 cfmp_send_frame(struct cfmp_client *client, int32_t msgid, int32_t convid,
                              CFDataRef data, bool one_way, uint64_t deadline_ns) {
    assert(client != NULL && client->fdref != NULL);
    assert(data == NULL || CFDataGetLength(data) <= CFMP_MAX_DATA_BYTES); /* R27 step 1 */
    enum cfmp_slot_result slot = cfmp_client_acquire_slot(client, deadline_ns);
    if (slot == CFMP_SLOT_TIMEOUT) return kCFMessagePortSendTimeout;
    if (slot == CFMP_SLOT_PEER_DEAD) return kCFMessagePortTransportError;
    struct cfmp_frame_header header = cfmp_frame_header_make(CFMP_FRAME_REQUEST, msgid, convid);
    if (one_way) header.flags |= CFMP_FLAG_ONEWAY;
    if (data == NULL) header.flags |= CFMP_FLAG_NO_DATA; /* R39 */
    const UInt8 *bytes = data ? CFDataGetBytePtr(data) : NULL;
    size_t length = data ? (size_t)CFDataGetLength(data) : 0;
    uint64_t offset = 0;
    enum cfmp_wire_result result;
    if (length > cfmp_wire_inline_max() &&
        cfmp_client_bulk_put(client, bytes, length, deadline_ns, &offset)) {
        header.flags |= CFMP_FLAG_SHARED; /* one copy, into memory the server already maps */
        result = cfmp_wire_send_shared(client->fdref->fd, header, offset, length, deadline_ns);
        if (result != CFMP_WIRE_OK) cfmp_client_bulk_abandon(client, offset);
    } else {
        result = cfmp_wire_send(client->fdref->fd, header, bytes, length, NULL, 0, deadline_ns);
    }
    if (result == CFMP_WIRE_OK) return kCFMessagePortSuccess;
    cfmp_client_return_slot(client);
    /* A broken pipe is Mach's dead name: not invalid yet (R33), but the next probe sees it. */
    if (result == CFMP_WIRE_BROKEN) atomic_store(&client->dead, true);
    return result == CFMP_WIRE_TIMEOUT ? kCFMessagePortSendTimeout : kCFMessagePortTransportError;
}

/* R38: a one-way send to a named local port goes to itself; anything else crashes on macOS (a
 * two-way send dereferences the local port's NULL _replies; an unnamed port has no Mach port)
 * and is a precondition violation here too. */
static SInt32 cfmp_send_to_local(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                 double send_timeout_s, CFStringRef reply_mode) {
    CFMP_ASSERT_TYPE(local, CFMP_TYPE_MESSAGE_PORT);
    assert(!local->remote);
    if (reply_mode != NULL) {
        cfmp_precondition_violation("CFMessagePortSendRequest",
                                    "a two-way send on a local port (R38: its _replies is NULL)");
    }
    if (local->name == NULL) {
        cfmp_precondition_violation("CFMessagePortSendRequest", "a send on an unnamed local port (R38)");
    }
    pthread_mutex_lock(&local->lock);
    struct cfmp_client *client = local->self_client ? cfmp_client_retain(local->self_client)
                                                    : NULL;
    pthread_mutex_unlock(&local->lock);
    if (client == NULL) {
        size_t length = 0;
        const char *bytes = cfmp_string_utf8(local->name, &length);
        client = cfmp_client_connect(bytes, length);
        if (client == NULL) return kCFMessagePortTransportError;
        pthread_mutex_lock(&local->lock);
        if (local->valid && local->self_client == NULL) {
            local->self_client = cfmp_client_retain(client);
        }
        pthread_mutex_unlock(&local->lock);
    }
    SInt32 status = cfmp_send_frame(client, msgid, 1, data, true, cfmp_send_deadline(send_timeout_s));
    cfmp_client_release(client);
    return status;
}

static void cfmp_pending_add(CFMessagePortRef remote, int32_t convid, CFRunLoopRef waiter) {
    assert(remote->remote && remote->pending_count <= remote->pending_capacity); /* lock held */
    assert(convid >= 1 && waiter != NULL);
    if (remote->pending_count == remote->pending_capacity) {
        size_t capacity = remote->pending_capacity ? remote->pending_capacity * 2 : 4;
        struct cfmp_pending *grown = realloc(remote->pending, capacity * sizeof *grown);
        if (grown == NULL) abort();
        remote->pending = grown;
        remote->pending_capacity = capacity;
    }
    remote->pending[remote->pending_count++] =
        (struct cfmp_pending){convid, false, NULL, CFMP_RETAIN(waiter)};
    assert(remote->pending_count <= remote->pending_capacity);
}

/* Removes the entry for convid; returns whether the reply had arrived (and hands it over). */
static bool cfmp_pending_take(CFMessagePortRef remote, int32_t convid, CFDataRef *data) {
    CFMP_ASSERT_TYPE(remote, CFMP_TYPE_MESSAGE_PORT);
    assert(remote->remote && data != NULL);
    bool arrived = false;
    CFRunLoopRef waiter = NULL;
    pthread_mutex_lock(&remote->lock);
    assert(cfmp_port_validate(remote));
    for (size_t i = 0; i < remote->pending_count; i++) {
        if (remote->pending[i].convid != convid) continue;
        arrived = remote->pending[i].arrived;
        *data = remote->pending[i].data;
        waiter = remote->pending[i].waiter;
        remote->pending[i] = remote->pending[--remote->pending_count];
        break;
    }
    pthread_mutex_unlock(&remote->lock);
    if (waiter != NULL) CFRelease(waiter);
    return arrived;
}

static bool cfmp_pending_arrived(CFMessagePortRef remote, int32_t convid) {
    CFMP_ASSERT_TYPE(remote, CFMP_TYPE_MESSAGE_PORT);
    assert(remote->remote && convid >= 1);
    bool arrived = false;
    pthread_mutex_lock(&remote->lock);
    for (size_t i = 0; i < remote->pending_count; i++) {
        if (remote->pending[i].convid == convid) arrived = remote->pending[i].arrived;
    }
    pthread_mutex_unlock(&remote->lock);
    return arrived;
}

/* R32: run the current run loop in reply_mode until the reply, the deadline or invalidity. */
static SInt32 cfmp_wait_reply(CFMessagePortRef remote, int32_t convid, double rcv_timeout_s,
                              CFStringRef reply_mode, CFDataRef *returnData, uint64_t call_start_ns) {
    CFMP_ASSERT_TYPE(remote, CFMP_TYPE_MESSAGE_PORT);
    assert(remote->remote && convid >= 1);
    assert(reply_mode != NULL); /* only a two-way send waits (R31) */
    uint64_t deadline_ns = cfmp_deadline_after_s(rcv_timeout_s > 0 ? rcv_timeout_s : 0);
    if (CFMP_MUTATE(RCV_FROM_BEFORE_SEND) && deadline_ns != CFMP_DEADLINE_NEVER) {
        deadline_ns -= cfmp_now_ns() - call_start_ns;
    }
    for (;;) { /* bounded by deadline_ns */
        uint64_t now_ns = cfmp_now_ns();
        double left_s = deadline_ns > now_ns ? (double)(deadline_ns - now_ns) / 1e9 : 0;
        /* The run loop spins before it sleeps while events come fast (cf_runloop.c). */
        (void)CFRunLoopRunInMode(reply_mode, left_s, true);
        if (cfmp_pending_arrived(remote, convid) || cfmp_now_ns() > deadline_ns) break;
        if (!CFMessagePortIsValid(remote)) break;
    }
    CFDataRef data = NULL;
    if (cfmp_pending_take(remote, convid, &data)) { /* a reply wins even if invalid now */
        if (CFMP_MUTATE(NULL_REPLY_NULL) && data != NULL && CFDataGetLength(data) == 0) {
            CFRelease(data);
            data = NULL;
        }
        if (returnData != NULL) {
            *returnData = data; /* +1 (R35) */
        } else if (data != NULL) {
            CFRelease(data);
        }
        return kCFMessagePortSuccess;
    }
    /* A live probe, as CF's final CFMessagePortIsValid (R32, R7): a remote whose server died
     * unnoticed is invalidated here, and the wait ends -5, not -2 (R44). */
    return CFMessagePortIsValid(remote) ? kCFMessagePortReceiveTimeout
                                        : kCFMessagePortBecameInvalidError;
}

/* R27 steps 3, 4 and 6 under the port lock: the reply source, the convid, the pending entry. */
static bool cfmp_send_prepare(CFMessagePortRef remote, bool two_way, CFRunLoopRef rl,
                              int32_t *convid, struct cfmp_client **client,
                              CFRunLoopSourceRef *reply_source) {
    CFMP_ASSERT_TYPE(remote, CFMP_TYPE_MESSAGE_PORT);
    assert(remote->remote && rl != NULL);
    assert(convid != NULL && client != NULL && reply_source != NULL);
    pthread_mutex_lock(&remote->lock);
    if (!remote->valid) {
        pthread_mutex_unlock(&remote->lock);
        return false;
    }
    if (remote->reply_source == NULL) { /* retains the port: R25's cycle */
        remote->reply_source = cfmp_source_create_fd(-100, &cfmp_reply_source_ops, remote);
    }
    remote->conv_counter = remote->conv_counter == INT32_MAX ? 1 : remote->conv_counter + 1;
    *convid = remote->conv_counter;
    if (two_way) cfmp_pending_add(remote, *convid, rl);
    *client = cfmp_client_retain(remote->client);
    *reply_source = CFMP_RETAIN(remote->reply_source);
    assert(*convid >= 1 && *client != NULL); /* exit: a valid remote has its client */
    assert(cfmp_port_validate(remote));
    pthread_mutex_unlock(&remote->lock);
    return true;
}

SInt32 CFMessagePortSendRequest(CFMessagePortRef remote, SInt32 msgid, CFDataRef data,
                                CFTimeInterval sendTimeout, CFTimeInterval rcvTimeout,
                                CFStringRef replyMode, CFDataRef *returnData) {
    CFMP_ASSERT_TYPE(remote, CFMP_TYPE_MESSAGE_PORT);
    if (data != NULL && CFDataGetLength(data) > CFMP_MAX_DATA_BYTES) {
        return kCFMessagePortTransportError; /* R27 step 1, before the validity check */
    }
    assert(data == NULL || CFDataGetLength(data) <= CFMP_MAX_DATA_BYTES);
    if (!remote->remote) {
        pthread_mutex_lock(&remote->lock);
        bool valid = remote->valid;
        pthread_mutex_unlock(&remote->lock);
        if (!valid) return kCFMessagePortIsInvalid;
        return cfmp_send_to_local(remote, msgid, data, sendTimeout, replyMode);
    }
    uint64_t call_start_ns = CFMP_MUTATE(RCV_FROM_BEFORE_SEND) ? cfmp_now_ns() : 0;
    if (CFMP_MUTATE(ONEWAY_WAITS) && replyMode == NULL) replyMode = kCFRunLoopDefaultMode;
    bool two_way = replyMode != NULL; /* R31: only replyMode decides */
    CFRunLoopRef rl = CFRunLoopGetCurrent();
    int32_t convid = 0;
    struct cfmp_client *client = NULL;
    CFRunLoopSourceRef reply_source = NULL;
    CFMP_RETAIN(remote);
    if (!cfmp_send_prepare(remote, two_way, rl, &convid, &client, &reply_source)) {
        CFRelease(remote);
        if (CFMP_MUTATE(TRANSPORT_FOR_INVALID)) return kCFMessagePortTransportError;
        return kCFMessagePortIsInvalid; /* R27 step 2: the flag only, no probe */
    }
    if (two_way) cfmp_runloop_add_source_once(rl, reply_source, replyMode);
    SInt32 status = cfmp_send_frame(client, msgid, convid, data, !two_way,
                                    cfmp_send_deadline(sendTimeout));
    if (status != kCFMessagePortSuccess && two_way) { /* R30: the counter is not rolled back */
        CFDataRef unused = NULL;
        (void)cfmp_pending_take(remote, convid, &unused);
        if (unused != NULL) CFRelease(unused);
        CFRunLoopRemoveSource(rl, reply_source, replyMode);
    }
    if (status == kCFMessagePortSuccess && two_way) {
        status = cfmp_wait_reply(remote, convid, rcvTimeout, replyMode, returnData, call_start_ns);
    }
    CFRelease(reply_source);
    cfmp_client_release(client);
    CFRelease(remote);
    assert(status <= kCFMessagePortSuccess && status >= kCFMessagePortBecameInvalidError); /* exit */
    return status;
}
