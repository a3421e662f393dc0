/*
 * test_cfmp_process.c — CFMessagePort between real processes: the cfmp_peer helper is
 * started with fork/exec (through valgrind in the valgrind preset). Each test names its rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static CFMessagePortRef cfmp_connect(CFStringRef name) {
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(remote);
    return remote;
}

static void cfmp_stop_peer(CFMessagePortRef remote, struct cfmp_peer *peer) {
    assert_int_equal(CFMessagePortSendRequest(remote, 99, NULL, 5, 0, NULL, NULL),
                     kCFMessagePortSuccess);
    assert_int_equal(cfmp_peer_wait(peer, 30 * cfmp_test_scale()), 0); /* 99 = valgrind error */
}

static void test_R16_name_conflict_across_processes(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("conflict");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    /* Here: a second owner is refused (NULL, shouldFreeInfo true). */
    Boolean should_free = false;
    assert_null(CFMessagePortCreateLocal(NULL, name, NULL, NULL, &should_free));
    assert_true(should_free);
    /* And in a third process. */
    struct cfmp_peer claimer;
    assert_true(cfmp_peer_start(&claimer, "claim", name, NULL));
    assert_int_equal(cfmp_peer_wait(&claimer, 30 * cfmp_test_scale()), 0);
    CFMessagePortRef remote = cfmp_connect(name);
    cfmp_stop_peer(remote, &server);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
}

static void test_R15_R62_stale_name_of_crashed_process_is_reclaimed(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("stale");
    struct cfmp_peer dead;
    assert_true(cfmp_peer_start(&dead, "register-and-die", name, NULL));
    assert_int_equal(cfmp_peer_wait(&dead, 30 * cfmp_test_scale()), 128 + SIGKILL);
    assert_null(CFMessagePortCreateRemote(NULL, name)); /* the stale socket refuses */
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, NULL, NULL, NULL);
    assert_non_null(local);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(remote);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

/* R40 + R33: a local port with a NULL callout is valid and registered, but the first message
 * that arrives crashes its process (CF calls through NULL); the pending request gets -5. */
static void test_R40_R33_null_callout_crashes_the_server(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("nullcallout");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "null-callout-server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    assert_true(CFMessagePortIsValid(remote));
    CFDataRef data = cfmp_test_data("x");
    CFDataRef reply = NULL;
    double start = cfmp_test_now_s();
    SInt32 status = CFMessagePortSendRequest(remote, 1, data, 1.0, 10.0 * cfmp_test_scale(),
                                             kCFRunLoopDefaultMode, &reply);
    assert_int_equal(status, kCFMessagePortBecameInvalidError);
    assert_null(reply);
    assert_true(cfmp_test_now_s() - start < 5.0 * cfmp_test_scale()); /* not at the deadline */
    assert_int_equal(cfmp_peer_wait(&server, 20 * cfmp_test_scale()), 128 + SIGABRT);
    CFRelease(data);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
}

static void test_R32_R35_request_reply_between_processes(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("echo");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    size_t sizes[] = {0, 1, 64, 4000, 40000, 70000, 1u << 20, 5u << 20}; /* inline, bulk, memfd */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        UInt8 *bytes = malloc(sizes[i] + 1);
        for (size_t j = 0; j < sizes[i]; j++) bytes[j] = (UInt8)(j * 13 + i);
        CFDataRef data = CFDataCreate(NULL, bytes, (CFIndex)sizes[i]);
        CFDataRef reply = NULL;
        assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 5, 10 * cfmp_test_scale(),
                                                  kCFRunLoopDefaultMode, &reply),
                         kCFMessagePortSuccess);
        assert_int_equal(CFDataGetLength(reply), (CFIndex)sizes[i]);
        if (sizes[i] > 0) assert_memory_equal(CFDataGetBytePtr(reply), bytes, sizes[i]);
        CFRelease(reply);
        CFRelease(data);
        free(bytes);
    }
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 3, NULL, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_int_equal(CFDataGetLength(reply), 0); /* R35 */
    CFRelease(reply);
    cfmp_stop_peer(remote, &server);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
}

static int cfmp_invalidations;
static pthread_t cfmp_invalidated_on;

static void cfmp_on_invalidate(CFMessagePortRef ms, void *info) {
    (void)ms;
    (void)info;
    cfmp_invalidations++;
    cfmp_invalidated_on = pthread_self();
}

/* Starts a "server" peer for a fresh name (tag) and connects a remote to it whose
 * invalidation callback counts into cfmp_invalidations (reset to 0). */
static CFMessagePortRef cfmp_watched_remote(const char *tag, struct cfmp_peer *server,
                                            CFStringRef *name) {
    *name = cfmp_test_name(tag);
    assert_true(cfmp_peer_start(server, "server", *name, NULL));
    CFMessagePortRef remote = cfmp_connect(*name);
    cfmp_invalidations = 0;
    CFMessagePortSetInvalidationCallBack(remote, cfmp_on_invalidate);
    return remote;
}

/* R33: the server dies during the callout; the waiting client gets -5 long before its
 * receive timeout, and its invalidation callback runs on the waiting thread. */
static void test_R33_server_crash_during_request_gives_became_invalid(void **state) {
    (void)state;
    CFStringRef name = NULL;
    struct cfmp_peer server;
    CFMessagePortRef remote = cfmp_watched_remote("crash1", &server, &name);
    double rcv_timeout = 30 * cfmp_test_scale();
    double start = cfmp_test_now_s();
    assert_int_equal(CFMessagePortSendRequest(remote, 4, NULL, 5, rcv_timeout, CFSTR("cfmp.wait"),
                                              NULL),
                     kCFMessagePortBecameInvalidError);
    assert_true(cfmp_test_now_s() - start < rcv_timeout / 2);
    assert_int_equal(cfmp_invalidations, 1);
    assert_true(pthread_equal(cfmp_invalidated_on, pthread_self()));
    assert_int_equal(cfmp_peer_wait(&server, 30 * cfmp_test_scale()), 128 + SIGKILL);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFRelease(remote);
    CFRelease(name);
}

/* R33 then R56: the remote's server is dead but the remote not yet invalidated, so a one-way
 * send gives -4 and runs no callback; the main queue, drained by this (main) thread's run loop
 * in the default mode, then invalidates it, and the callback runs here once. */
static void cfmp_expect_minus4_then_main_queue_invalidates(CFMessagePortRef remote) {
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortTransportError);
    assert_int_equal(cfmp_invalidations, 0);
    double deadline = cfmp_test_now_s() + 10 * cfmp_test_scale();
    while (cfmp_invalidations == 0 && cfmp_test_now_s() < deadline) {
        CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0.05, true);
    }
    assert_int_equal(cfmp_invalidations, 1);
    assert_true(pthread_equal(cfmp_invalidated_on, pthread_self()));
}

/* R46 + R56: the server invalidates its port inside the callout, then works 1 s (x scale)
 * before it replies. The port's death is noticed at once: a waiter whose run loop drains the
 * main queue (the main thread in the default mode, a common mode) runs the invalidation there
 * and gets -5 without waiting for the reply; a waiter in a private mode does not run the main
 * queue and gets the reply (0), as CF's loop checks for a reply before validity; its remote is
 * dead but valid until the main queue runs (a send gives -4, R33). Either way the remote ends
 * invalid (-3). */
static void cfmp_invalidating_server_request(CFStringRef reply_mode, SInt32 expected) {
    CFStringRef name = NULL;
    struct cfmp_peer server;
    CFMessagePortRef remote = cfmp_watched_remote("invalidating", &server, &name);
    char work_ms[32];
    snprintf(work_ms, sizeof work_ms, "%ld", (long)(1000 * cfmp_test_scale()));
    CFDataRef data = cfmp_test_data(work_ms);
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 7, data, 5, 30 * cfmp_test_scale(),
                                              reply_mode, &reply),
                     expected);
    assert_int_equal(cfmp_peer_wait(&server, 30 * cfmp_test_scale()), 0);
    if (expected == kCFMessagePortSuccess) {
        assert_true(cfmp_test_data_equals(reply, work_ms)); /* R46: the reply still went out */
        CFRelease(reply);
        /* Dead (the server has exited: a fact, not a wait for the death notice). */
        cfmp_expect_minus4_then_main_queue_invalidates(remote);
    } else {
        assert_null(reply);
        assert_int_equal(cfmp_invalidations, 1); /* on the main queue, on this thread */
        assert_true(pthread_equal(cfmp_invalidated_on, pthread_self()));
    }
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    assert_int_equal(cfmp_invalidations, 1);
    CFRelease(data);
    CFRelease(remote);
    CFRelease(name);
}

static void test_R46_R56_server_invalidating_in_callout_main_thread_default_mode(void **state) {
    (void)state;
    cfmp_invalidating_server_request(kCFRunLoopDefaultMode, kCFMessagePortBecameInvalidError);
}

static void test_R46_R56_server_invalidating_in_callout_private_mode_gets_reply(void **state) {
    (void)state;
    cfmp_invalidating_server_request(CFSTR("cfmp.private"), kCFMessagePortSuccess);
}

/* R33, R56: the server dies between requests. A send before the death is processed gives -4;
 * the main queue (drained by this main thread's run loop) then invalidates the remote, the
 * callback runs on the main thread, and sends give -3. */
static void test_R33_R56_server_crash_after_request_gives_transport_then_invalid(void **state) {
    (void)state;
    CFStringRef name = NULL;
    struct cfmp_peer server;
    CFMessagePortRef remote = cfmp_watched_remote("crash2", &server, &name);
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    CFRelease(reply);
    cfmp_peer_kill(&server);
    cfmp_test_sleep_s(0.1);
    cfmp_expect_minus4_then_main_queue_invalidates(remote);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFRelease(remote);
    CFRelease(name);
}

/* R54, R26c, R7: a local port's deallocation probes every cached remote with IsValid, so a
 * remote whose server died unnoticed (the main queue never ran) is invalidated inside that
 * CFRelease, on the releasing thread. */
static void test_R54_R26c_local_dealloc_probes_a_remote_with_a_dead_server(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("probe");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    cfmp_invalidations = 0;
    CFMessagePortSetInvalidationCallBack(remote, cfmp_on_invalidate);
    CFStringRef mine_name = cfmp_test_name("probe-mine");
    CFMessagePortRef mine = CFMessagePortCreateLocal(NULL, mine_name, cfmp_test_echo, NULL, NULL);
    assert_non_null(mine);
    cfmp_peer_kill(&server);
    cfmp_test_sleep_s(0.1); /* the death is seen by the manager; the main queue is not run */
    assert_int_equal(cfmp_invalidations, 0);
    CFRelease(mine);
    assert_int_equal(cfmp_invalidations, 1); /* inside the CFRelease */
    assert_true(pthread_equal(cfmp_invalidated_on, pthread_self()));
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFRelease(remote);
    CFRelease(mine_name);
    CFRelease(name);
}

static CFStringRef cfmp_recreate_name;
static CFMessagePortRef cfmp_recreated;
static bool cfmp_recreated_valid_in_callback;

static void cfmp_recreate_on_invalidate(CFMessagePortRef ms, void *info) {
    (void)ms;
    (void)info;
    cfmp_recreated = CFMessagePortCreateRemote(NULL, cfmp_recreate_name);
    cfmp_recreated_valid_in_callback = cfmp_recreated != NULL && CFMessagePortIsValid(cfmp_recreated);
}

/* R52, R26, R7: a remote made inside the invalidation callback (step 6, the name already out of
 * the table) reaches the same server port as the one being invalidated and shares its still
 * valid wrapper; step 10 invalidates that wrapper without telling the new remote, whose next
 * IsValid invalidates it, so a send gets -3. A look-up after that is independent and works. */
static void test_R52_R26_remote_made_in_the_callback_shares_the_dying_wrapper(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("recreate");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    cfmp_recreate_name = name;
    cfmp_recreated = NULL;
    cfmp_recreated_valid_in_callback = false;
    CFMessagePortSetInvalidationCallBack(remote, cfmp_recreate_on_invalidate);
    CFMessagePortInvalidate(remote);
    assert_non_null(cfmp_recreated);
    assert_ptr_not_equal(cfmp_recreated, remote);
    assert_true(cfmp_recreated_valid_in_callback);
    assert_false(CFMessagePortIsValid(cfmp_recreated)); /* the shared wrapper is gone */
    assert_int_equal(CFMessagePortSendRequest(cfmp_recreated, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFMessagePortRef fresh = cfmp_connect(name);
    assert_ptr_not_equal(fresh, cfmp_recreated);
    assert_true(CFMessagePortIsValid(fresh));
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(fresh, 1, NULL, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    if (reply != NULL) CFRelease(reply);
    cfmp_stop_peer(fresh, &server);
    CFMessagePortInvalidate(fresh);
    CFRelease(fresh);
    CFRelease(cfmp_recreated);
    CFRelease(remote);
    CFRelease(name);
}

/* R23: after a server restart a cached remote gives NULL once, then a fresh look-up works. */
static void test_R23_server_restart_first_reconnect_fails_then_works(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("restart");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 5, 10 * cfmp_test_scale(),
                                              CFSTR("cfmp.private"), &reply),
                     kCFMessagePortSuccess);
    CFRelease(reply);
    cfmp_peer_kill(&server);
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    assert_null(CFMessagePortCreateRemote(NULL, name));
    CFMessagePortRef fresh = cfmp_connect(name);
    assert_ptr_not_equal(fresh, remote);
    cfmp_stop_peer(fresh, &server);
    CFMessagePortInvalidate(fresh);
    CFRelease(fresh);
    CFRelease(remote);
    CFRelease(name);
}

struct cfmp_sender {
    CFMessagePortRef remote;
    SInt32 status;
    double send_timeout;
    SInt32 msgid;
    const char *payload;
};

static void *cfmp_sender_main(void *argument) {
    struct cfmp_sender *sender = argument;
    CFDataRef data = cfmp_test_data(sender->payload);
    sender->status = CFMessagePortSendRequest(sender->remote, sender->msgid, data,
                                              sender->send_timeout, 0, NULL, NULL);
    CFRelease(data);
    return NULL;
}

/* R29, R42: a server busy in its callout (1 request) with 5 queued: the 7th sender waits its
 * send timeout and gets -1. Replies are exempt: the busy request still completes. */
static void test_R29_queue_full_across_processes(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("busy");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    char busy_ms[32];
    snprintf(busy_ms, sizeof busy_ms, "%d", (int)(1500 * cfmp_test_scale()));
    struct cfmp_sender first = {remote, 99, 5, 2, busy_ms};
    cfmp_sender_main(&first); /* one-way: the server sleeps in its callout */
    assert_int_equal(first.status, kCFMessagePortSuccess);
    cfmp_test_sleep_s(0.3 * cfmp_test_scale()); /* let it be dequeued */
    for (int i = 0; i < 5; i++) {
        struct cfmp_sender queued = {remote, 99, 0.5, 1, "q"};
        cfmp_sender_main(&queued);
        assert_int_equal(queued.status, kCFMessagePortSuccess);
    }
    struct cfmp_sender seventh = {remote, 99, 0.2, 1, "late"};
    double start = cfmp_test_now_s();
    cfmp_sender_main(&seventh);
    double elapsed = cfmp_test_now_s() - start;
    assert_int_equal(seventh.status, kCFMessagePortSendTimeout);
    assert_true(elapsed >= 0.19);
    /* Once the callout returns, the queue drains and a two-way request works. */
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 30 * cfmp_test_scale(),
                                              30 * cfmp_test_scale(), kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    CFRelease(reply);
    cfmp_stop_peer(remote, &server);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
}

static void test_R49_dispatch_queue_server_process(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("qserver");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "queue-server", name, NULL));
    CFMessagePortRef remote = cfmp_connect(name);
    for (int i = 1; i <= 20; i++) {
        CFDataRef reply = NULL;
        assert_int_equal(CFMessagePortSendRequest(remote, 6, NULL, 5, 10 * cfmp_test_scale(),
                                                  kCFRunLoopDefaultMode, &reply),
                         kCFMessagePortSuccess);
        char expected[16];
        snprintf(expected, sizeof expected, "%d", i);
        assert_true(cfmp_test_data_equals(reply, expected)); /* serial, in order */
        CFRelease(reply);
    }
    cfmp_stop_peer(remote, &server);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
}

struct cfmp_client_thread {
    CFStringRef name;
    int requests;
    int thread_index;
    int failures;
};

static void *cfmp_client_thread_main(void *argument) {
    struct cfmp_client_thread *client = argument;
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, client->name);
    if (remote == NULL) {
        client->failures = client->requests;
        return NULL;
    }
    for (int i = 0; i < client->requests; i++) {
        char text[32];
        snprintf(text, sizeof text, "%d:%d", client->thread_index, i);
        CFDataRef data = cfmp_test_data(text);
        CFDataRef reply = NULL;
        SInt32 status = CFMessagePortSendRequest(remote, 1, data, 30, 30, kCFRunLoopDefaultMode,
                                                 &reply);
        if (status != 0 || !cfmp_test_data_equals(reply, text)) client->failures++;
        if (reply != NULL) CFRelease(reply);
        CFRelease(data);
    }
    CFRelease(remote);
    return NULL;
}

/* R37: threads sharing one cached remote each get their own reply, none lost or swapped. */
static void test_R37_concurrent_threads_on_one_remote_get_their_own_replies(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("many");
    struct cfmp_peer server;
    assert_true(cfmp_peer_start(&server, "server", name, NULL));
    enum { threads = 8 };
    struct cfmp_client_thread clients[threads];
    pthread_t ids[threads];
    for (int i = 0; i < threads; i++) {
        clients[i] = (struct cfmp_client_thread){name, 100, i, 0};
        pthread_create(&ids[i], NULL, cfmp_client_thread_main, &clients[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        assert_int_equal(clients[i].failures, 0);
    }
    CFMessagePortRef remote = cfmp_connect(name);
    cfmp_stop_peer(remote, &server);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(name);
}

enum { cfmp_fifo_count = 5 }; /* the queue limit (R29): one more would block its sender */
static SInt32 cfmp_fifo_msgids[cfmp_fifo_count];
static int cfmp_fifo_seen;

static CFDataRef cfmp_fifo_record(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                  void *info) {
    (void)local;
    (void)data;
    (void)info;
    assert_true(cfmp_fifo_seen < cfmp_fifo_count);
    cfmp_fifo_msgids[cfmp_fifo_seen++] = msgid;
    if (cfmp_fifo_seen == cfmp_fifo_count) CFRunLoopStop(CFRunLoopGetCurrent());
    return NULL;
}

/* Sends one-way msgid to this process's own named port: through its socket, as another
 * sender's would go (R38). */
static void cfmp_fifo_send_self(CFMessagePortRef local, SInt32 msgid) {
    assert_int_equal(CFMessagePortSendRequest(local, msgid, NULL, 1.0, 0, NULL, NULL),
                     kCFMessagePortSuccess);
}

/* Runs the peer that sends the one-way msgids of the list, until it has exited. */
static void cfmp_fifo_send_peer(CFStringRef name, const char *msgids) {
    struct cfmp_peer sender;
    assert_true(cfmp_peer_start(&sender, "oneway", name, msgids));
    assert_int_equal(cfmp_peer_wait(&sender, 30 * cfmp_test_scale()), 0);
}

/* R42 + R29: one Mach queue keeps the order in which requests were sent over all senders. Two
 * senders, ordered by facts (each send has returned before the next one starts): this process
 * (1), another process (2, 3), this one (4), a third process (5). The port is scheduled only
 * once the queue holds all five, so the server chooses among its connections: taking them in
 * turns (1 2 4 3 5) or first draining the one used last (1 4 2 3 5) breaks the order; 1..5 is
 * the only right answer. The other processes have exited by then: what they sent is still
 * delivered. */
static void test_R42_requests_of_several_processes_are_served_in_send_order(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("fifo");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_fifo_record, NULL, NULL);
    assert_non_null(local);
    cfmp_fifo_seen = 0;
    cfmp_fifo_send_self(local, 1);
    cfmp_fifo_send_peer(name, "2,3");
    cfmp_fifo_send_self(local, 4);
    cfmp_fifo_send_peer(name, "5");
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    CFRunLoopRunInMode(kCFRunLoopDefaultMode, 10 * cfmp_test_scale(), false);
    assert_int_equal(cfmp_fifo_seen, cfmp_fifo_count);
    for (int i = 0; i < cfmp_fifo_count; i++) assert_int_equal(cfmp_fifo_msgids[i], i + 1);
    CFRunLoopRemoveSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    CFRelease(source);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R16_name_conflict_across_processes),
        cmocka_unit_test(test_R15_R62_stale_name_of_crashed_process_is_reclaimed),
        cmocka_unit_test(test_R32_R35_request_reply_between_processes),
        cmocka_unit_test(test_R40_R33_null_callout_crashes_the_server),
        cmocka_unit_test(test_R33_server_crash_during_request_gives_became_invalid),
        cmocka_unit_test(test_R33_R56_server_crash_after_request_gives_transport_then_invalid),
        cmocka_unit_test(test_R46_R56_server_invalidating_in_callout_main_thread_default_mode),
        cmocka_unit_test(test_R46_R56_server_invalidating_in_callout_private_mode_gets_reply),
        cmocka_unit_test(test_R23_server_restart_first_reconnect_fails_then_works),
        cmocka_unit_test(test_R54_R26c_local_dealloc_probes_a_remote_with_a_dead_server),
        cmocka_unit_test(test_R52_R26_remote_made_in_the_callback_shares_the_dying_wrapper),
        cmocka_unit_test(test_R29_queue_full_across_processes),
        cmocka_unit_test(test_R49_dispatch_queue_server_process),
        cmocka_unit_test(test_R37_concurrent_threads_on_one_remote_get_their_own_replies),
        cmocka_unit_test(test_R42_requests_of_several_processes_are_served_in_send_order),
    };
    return cmocka_run_group_tests_name("libcfmp_process", tests, cfmp_test_runtime_dir_setup, cfmp_test_runtime_dir_teardown);
}
