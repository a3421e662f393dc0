/*
 * test_cfmp_port.c — CFMessagePort within one process: servers on other threads (or on the
 * test's own thread for re-entrancy), real sockets underneath. Each test names its rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <dispatch/dispatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static CFDataRef cfmp_echo(CFMessagePortRef local, SInt32 msgid, CFDataRef data, void *info) {
    (void)local;
    (void)info;
    if (msgid == 3) return NULL;
    if (msgid == 7) { /* report the length the callout saw */
        char text[32];
        snprintf(text, sizeof text, "len=%ld", (long)CFDataGetLength(data));
        return cfmp_test_data(text);
    }
    return CFDataCreateCopy(NULL, data);
}

static int cfmp_invalidations;
static void *cfmp_invalidation_info;
static CFMessagePortRef cfmp_invalidated_port;

static void cfmp_on_invalidate(CFMessagePortRef ms, void *info) {
    cfmp_invalidations++;
    cfmp_invalidation_info = info;
    cfmp_invalidated_port = ms;
}

static void cfmp_reset_invalidations(void) {
    cfmp_invalidations = 0;
    cfmp_invalidation_info = NULL;
    cfmp_invalidated_port = NULL;
}

static void test_R1_R4_kind_and_type(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("kind");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    assert_non_null(local);
    assert_false(CFMessagePortIsRemote(local));
    assert_int_equal(CFGetTypeID(local), CFMessagePortGetTypeID());
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(remote);
    assert_true(CFMessagePortIsRemote(remote));
    assert_int_equal(CFGetTypeID(remote), CFMessagePortGetTypeID());
    assert_ptr_not_equal(local, remote);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

static void test_R5_R10_R12_name_is_a_sanitized_copy_cut_at_128_bytes(void **state) {
    (void)state;
    char text[200];
    memset(text, 'a', 127);
    memcpy(text + 127, "\xc3\xa9zzzz", 7); /* é straddles byte 128: cut before it */
    CFStringRef name = CFStringCreateWithCString(NULL, text, kCFStringEncodingUTF8);
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    assert_non_null(local);
    CFStringRef got = CFMessagePortGetName(local);
    assert_ptr_not_equal(got, name);
    assert_int_equal(CFStringGetLength(got), 127);
    /* A name that differs only after byte 128 collides (R12): same cached object (R14). */
    memcpy(text + 127, "\xc3\xa9yyyy", 7);
    CFStringRef other = CFStringCreateWithCString(NULL, text, kCFStringEncodingUTF8);
    CFMessagePortRef again = CFMessagePortCreateLocal(NULL, other, cfmp_echo, NULL, NULL);
    assert_ptr_equal(again, local);
    CFRelease(again);
    /* A remote to the long name works through the hashed socket path. */
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, other);
    assert_non_null(remote);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    assert_int_equal(CFStringGetLength(CFMessagePortGetName(local)), 127); /* R5 after R52 */
    CFRelease(local);
    CFRelease(other);
    CFRelease(name);
}

static void test_R11_R13_embedded_nul_gives_unnamed_local_and_null_remote(void **state) {
    (void)state;
    CFStringRef name = CFStringCreateWithBytes(NULL, (const UInt8 *)"a\0b", 3,
                                               kCFStringEncodingUTF8, false);
    Boolean should_free = true;
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, &should_free);
    assert_non_null(local);
    assert_false(should_free);
    assert_null(CFMessagePortGetName(local));
    assert_true(CFMessagePortIsValid(local));
    assert_null(CFMessagePortCreateRemote(NULL, name));
    assert_false(CFMessagePortSetName(local, name));
    CFMessagePortRef unnamed = CFMessagePortCreateLocal(NULL, NULL, cfmp_echo, NULL, NULL);
    assert_non_null(unnamed);
    assert_null(CFMessagePortGetName(unnamed));
    CFMessagePortInvalidate(unnamed);
    CFRelease(unnamed);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

static int cfmp_retains;
static int cfmp_releases;

static int cfmp_descriptions;

static CFStringRef cfmp_info_describe(const void *info) {
    cfmp_descriptions++;
    return CFStringCreateWithFormat(NULL, NULL, CFSTR("my context %s"), (const char *)info);
}

/* R9: CF's description formats; a local port's context copyDescription is called once per
 * CFCopyDescription when info and copyDescription are both non-NULL. */
static void test_R9_copy_description_of_local_and_remote_ports(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("describe");
    char info[] = "A";
    CFMessagePortContext context = {0, info, NULL, NULL, cfmp_info_describe};
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, &context, NULL);
    assert_non_null(local);
    cfmp_descriptions = 0;
    CFStringRef description = CFCopyDescription(local);
    assert_int_equal(cfmp_descriptions, 1);
    char text[512];
    assert_true(CFStringGetCString(description, text, sizeof text, kCFStringEncodingUTF8));
    char expected[256];
    snprintf(expected, sizeof expected,
             "<CFMessagePort %p [%p]>{locked = Maybe, valid = Yes, remote = No, name = %s, source = ",
             (void *)local, (void *)kCFAllocatorSystemDefault, CFStringGetCStringPtr(name, kCFStringEncodingUTF8));
    assert_int_equal(strncmp(text, expected, strlen(expected)), 0);
    assert_non_null(strstr(text, ", context = my context A}"));
    CFRelease(description);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    description = CFCopyDescription(remote);
    assert_true(CFStringGetCString(description, text, sizeof text, kCFStringEncodingUTF8));
    snprintf(expected, sizeof expected,
             "<CFMessagePort %p [%p]>{locked = Maybe, valid = Yes, remote = Yes, name = %s}",
             (void *)remote, (void *)kCFAllocatorSystemDefault, CFStringGetCStringPtr(name, kCFStringEncodingUTF8));
    assert_string_equal(text, expected);
    assert_int_equal(cfmp_descriptions, 1); /* a remote has no context to describe */
    CFRelease(description);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    /* Invalidated: info is NULL (R52), so the context is not asked. */
    description = CFCopyDescription(local);
    assert_int_equal(cfmp_descriptions, 1);
    assert_true(CFStringGetCString(description, text, sizeof text, kCFStringEncodingUTF8));
    assert_non_null(strstr(text, "valid = No"));
    assert_non_null(strstr(text, "context = <CFMessagePort context 0x0>}"));
    CFRelease(description);
    CFRelease(local);
    CFRelease(name);
}

/* R9: copyDescription is not called for a NULL info, nor is anything without the callback;
 * the description then shows the context's address (what the conformance scenario
 * context/copy-description checks through the agent). */
static void test_R9_copy_description_skips_null_info_and_no_callback(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("describe-null");
    CFMessagePortContext context = {0, NULL, NULL, NULL, cfmp_info_describe};
    CFMessagePortRef no_info = CFMessagePortCreateLocal(NULL, name, cfmp_echo, &context, NULL);
    assert_non_null(no_info);
    char info[] = "B";
    CFMessagePortContext plain = {0, info, NULL, NULL, NULL};
    CFMessagePortRef no_callback = CFMessagePortCreateLocal(NULL, NULL, cfmp_echo, &plain, NULL);
    assert_non_null(no_callback);
    cfmp_descriptions = 0;
    char text[512];
    CFStringRef description = CFCopyDescription(no_info);
    assert_true(CFStringGetCString(description, text, sizeof text, kCFStringEncodingUTF8));
    assert_non_null(strstr(text, "context = <CFMessagePort context 0x0>}"));
    CFRelease(description);
    description = CFCopyDescription(no_callback);
    assert_true(CFStringGetCString(description, text, sizeof text, kCFStringEncodingUTF8));
    char expected[64];
    snprintf(expected, sizeof expected, "context = <CFMessagePort context %p>}", (void *)info);
    assert_non_null(strstr(text, expected));
    CFRelease(description);
    assert_int_equal(cfmp_descriptions, 0);
    CFMessagePortInvalidate(no_callback);
    CFRelease(no_callback);
    CFMessagePortInvalidate(no_info);
    CFRelease(no_info);
    CFRelease(name);
}

static const void *cfmp_info_retain(const void *info) {
    cfmp_retains++;
    return info;
}

static void cfmp_info_release(const void *info) {
    (void)info;
    cfmp_releases++;
}

static void test_R14_R18_R60_same_name_returns_existing_and_ignores_context(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("cache");
    cfmp_retains = cfmp_releases = 0;
    int marker = 0;
    CFMessagePortContext context = {0, &marker, cfmp_info_retain, cfmp_info_release, NULL};
    Boolean should_free = true;
    CFMessagePortRef first = CFMessagePortCreateLocal(NULL, name, cfmp_echo, &context,
                                                      &should_free);
    assert_false(should_free);
    assert_int_equal(cfmp_retains, 1); /* R18: once, on success */
    should_free = false;
    CFMessagePortRef second = CFMessagePortCreateLocal(NULL, name, cfmp_echo, &context,
                                                       &should_free);
    assert_ptr_equal(first, second);
    assert_true(should_free); /* R14 */
    assert_int_equal(cfmp_retains, 1);
    CFMessagePortContext got = {0, NULL, NULL, NULL, NULL};
    CFMessagePortGetContext(first, &got);
    assert_ptr_equal(got.info, &marker);
    CFRelease(second);
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(first, cfmp_on_invalidate);
    assert_ptr_equal(CFMessagePortGetInvalidationCallBack(first), cfmp_on_invalidate);
    CFMessagePortInvalidate(first);
    assert_int_equal(cfmp_invalidations, 1);
    assert_ptr_equal(cfmp_invalidation_info, &marker); /* R52 step 6: local info */
    assert_int_equal(cfmp_releases, 1);                /* R52 step 7, after the callback */
    CFMessagePortGetContext(first, &got);
    assert_null(got.info); /* R6/R53 */
    CFMessagePortInvalidate(first); /* idempotent */
    assert_int_equal(cfmp_invalidations, 1);
    /* R8: a callback set on an invalid port runs at once with NULL info and is not stored. */
    CFMessagePortSetInvalidationCallBack(first, cfmp_on_invalidate);
    assert_int_equal(cfmp_invalidations, 2);
    assert_null(cfmp_invalidation_info);
    /* R53: the name is free again in this process. */
    CFMessagePortRef third = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    assert_non_null(third);
    assert_ptr_not_equal(third, first);
    CFMessagePortInvalidate(third);
    CFRelease(third);
    CFRelease(first);
    CFRelease(name);
}

/* Two threads creating one name, released together by a barrier. */
struct cfmp_race {
    pthread_barrier_t *start;
    CFStringRef name;
    CFMessagePortContext *context;
    CFMessagePortRef port;
    Boolean should_free;
};

static _Atomic int cfmp_race_retains;

static const void *cfmp_race_retain(const void *info) {
    cfmp_race_retains++;
    return info;
}

static void *cfmp_race_create(void *arg) {
    struct cfmp_race *race = arg;
    pthread_barrier_wait(race->start);
    race->port = CFMessagePortCreateLocal(NULL, race->name, cfmp_echo, race->context,
                                          &race->should_free);
    return NULL;
}

/* R14, R15: libcfmp serializes CreateLocal within a process, so of two threads racing for
 * one name the second always gets the first's port (shouldFreeInfo true), never NULL (CF's
 * two-step check and registration can give the loser NULL), and the context is retained
 * once. Before the serialization about a third of the rounds of the conformance scenario
 * threads/same-name-two-threads gave NULL. */
static void test_R14_R15_two_threads_racing_for_one_name_share_one_port(void **state) {
    (void)state;
    int marker = 0;
    CFMessagePortContext context = {0, &marker, cfmp_race_retain, NULL, NULL};
    for (int round = 0; round < 200; round++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        CFStringRef name = cfmp_test_name("race");
        cfmp_race_retains = 0;
        struct cfmp_race races[2] = {{&start, name, &context, NULL, false},
                                     {&start, name, &context, NULL, false}};
        pthread_t threads[2];
        for (int i = 0; i < 2; i++) {
            assert_int_equal(pthread_create(&threads[i], NULL, cfmp_race_create, &races[i]), 0);
        }
        for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(threads[i], NULL), 0);
        pthread_barrier_destroy(&start);
        assert_non_null(races[0].port);
        assert_ptr_equal(races[0].port, races[1].port);
        assert_int_equal(races[0].should_free + races[1].should_free, 1); /* one creator */
        assert_int_equal(cfmp_race_retains, 1);
        CFMessagePortInvalidate(races[0].port);
        CFRelease(races[0].port);
        CFRelease(races[1].port);
        CFRelease(name);
    }
}

static void test_R19_set_name_rules(void **state) {
    (void)state;
    CFStringRef a = cfmp_test_name("seta");
    CFStringRef b = cfmp_test_name("setb");
    CFMessagePortRef port = CFMessagePortCreateLocal(NULL, a, cfmp_echo, NULL, NULL);
    CFMessagePortRef other = CFMessagePortCreateLocal(NULL, b, cfmp_echo, NULL, NULL);
    assert_false(CFMessagePortSetName(port, a)); /* its own current name */
    assert_false(CFMessagePortSetName(port, b)); /* taken in this process */
    CFStringRef c = cfmp_test_name("setc");
    assert_true(CFMessagePortSetName(port, c));
    assert_true(CFEqual(CFMessagePortGetName(port), c));
    CFMessagePortRef remote_old = CFMessagePortCreateRemote(NULL, a);
    assert_null(remote_old); /* the old name was released */
    CFMessagePortRef remote_new = CFMessagePortCreateRemote(NULL, c);
    assert_non_null(remote_new);
    assert_false(CFMessagePortSetName(remote_new, a)); /* remote */
    CFMessagePortInvalidate(remote_new);
    CFRelease(remote_new);
    CFMessagePortInvalidate(port);
    assert_true(CFMessagePortSetName(port, c));  /* invalid, same name: true, nothing */
    CFMessagePortInvalidate(other);
    CFRelease(other);
    CFRelease(port);
    CFRelease(a);
    CFRelease(b);
    CFRelease(c);
}

static void test_R22_R23_remote_lookup_and_cache(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("remote");
    assert_null(CFMessagePortCreateRemote(NULL, name)); /* nobody serves it */
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef r1 = CFMessagePortCreateRemote(NULL, name);
    CFMessagePortRef r2 = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(r1);
    assert_ptr_equal(r1, r2);
    CFRelease(r2);
    /* The server goes away: the cached remote is found dead, invalidated, NULL once (R23). */
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(r1, cfmp_on_invalidate);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    double deadline = cfmp_test_now_s() + 5 * cfmp_test_scale();
    CFMessagePortRef again = NULL;
    while (cfmp_test_now_s() < deadline) { /* the remote notices the HUP asynchronously */
        again = CFMessagePortCreateRemote(NULL, name);
        if (again == NULL) break;
        CFRelease(again);
        cfmp_test_sleep_s(0.01);
    }
    assert_null(again);
    assert_int_equal(cfmp_invalidations, 1);
    assert_ptr_equal(cfmp_invalidated_port, r1);
    assert_null(cfmp_invalidation_info); /* remote: NULL info */
    assert_false(CFMessagePortIsValid(r1));
    /* A new server: the next look-up is fresh. */
    local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef fresh = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(fresh);
    assert_ptr_not_equal(fresh, r1);
    CFMessagePortInvalidate(fresh);
    CFRelease(fresh);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(r1);
    CFRelease(name);
}

static void test_R47_R48_run_loop_source_is_cached_and_refused_when_invalid(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("source");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFRunLoopSourceRef s1 = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopSourceRef s2 = CFMessagePortCreateRunLoopSource(NULL, local, 5);
    assert_non_null(s1);
    assert_ptr_equal(s1, s2);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    assert_null(CFMessagePortCreateRunLoopSource(NULL, remote, 0));
    /* R49: a port with a source refuses a queue (it only logs). */
    dispatch_queue_t queue = dispatch_queue_create("q", DISPATCH_QUEUE_SERIAL);
    CFMessagePortSetDispatchQueue(local, queue);
    CFMessagePortInvalidate(local);
    assert_false(CFRunLoopSourceIsValid(s1)); /* R52 step 8 */
    assert_null(CFMessagePortCreateRunLoopSource(NULL, local, 0));
    CFRelease(s1);
    CFRelease(s2);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFRelease(local);
    dispatch_release(queue);
    CFRelease(name);
}

static void test_R27_R53_codes_on_invalid_ports(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("codes");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    CFMessagePortInvalidate(remote);
    CFDataRef small = cfmp_test_data("x");
    assert_int_equal(CFMessagePortSendRequest(remote, 1, small, 1, 1, kCFRunLoopDefaultMode, NULL),
                     kCFMessagePortIsInvalid);
    /* R27 step 1: oversized data gives -4 before the validity check. The bytes are never read. */
    CFDataRef huge = CFDataCreateWithBytesNoCopy(NULL, (const UInt8 *)small, 0x60000001,
                                                 kCFAllocatorNull);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, huge, 1, 1, kCFRunLoopDefaultMode, NULL),
                     kCFMessagePortTransportError);
    CFRelease(huge);
    CFRelease(small);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

static void test_R32_R35_R39_two_way_roundtrip_with_thread_server(void **state) {
    (void)state;
    struct cfmp_thread_server server = {.name = cfmp_test_name("rt"), .callout = cfmp_echo};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    assert_non_null(remote);
    CFDataRef request = cfmp_test_data("ping");
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, request, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "ping"));
    CFRelease(reply);
    /* R35: a NULL reply arrives as empty, non-NULL data with status 0. */
    reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 3, request, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_non_null(reply);
    assert_int_equal(CFDataGetLength(reply), 0);
    CFRelease(reply);
    /* R39: NULL data reaches the callout as zero-length data. */
    reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 7, NULL, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "len=0"));
    CFRelease(reply);
    /* R31: NULL returnData with a mode still waits, then discards. */
    assert_int_equal(CFMessagePortSendRequest(remote, 1, request, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, NULL),
                     kCFMessagePortSuccess);
    /* A large payload goes through a memfd and comes back intact. */
    size_t big = 3u << 20;
    UInt8 *bytes = malloc(big);
    for (size_t i = 0; i < big; i++) bytes[i] = (UInt8)(i * 7);
    CFDataRef large = CFDataCreate(NULL, bytes, (CFIndex)big);
    reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, large, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_int_equal(CFDataGetLength(reply), (CFIndex)big);
    assert_memory_equal(CFDataGetBytePtr(reply), bytes, big);
    CFRelease(reply);
    CFRelease(large);
    free(bytes);
    CFRelease(request);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

static int cfmp_one_way_seen;

static CFDataRef cfmp_count_callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                    void *info) {
    (void)local;
    (void)data;
    (void)info;
    __atomic_add_fetch(&cfmp_one_way_seen, 1, __ATOMIC_SEQ_CST);
    return msgid == 42 ? cfmp_test_data("unused") : NULL;
}

static void test_R31_one_way_returns_success_and_leaves_returnData(void **state) {
    (void)state;
    cfmp_one_way_seen = 0;
    struct cfmp_thread_server server = {.name = cfmp_test_name("oneway"),
                                        .callout = cfmp_count_callout};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    CFDataRef sentinel = cfmp_test_data("untouched");
    CFDataRef returned = sentinel;
    assert_int_equal(CFMessagePortSendRequest(remote, 42, sentinel, 1, 5, NULL, &returned),
                     kCFMessagePortSuccess);
    assert_ptr_equal(returned, sentinel);
    double deadline = cfmp_test_now_s() + 5 * cfmp_test_scale();
    while (__atomic_load_n(&cfmp_one_way_seen, __ATOMIC_SEQ_CST) < 1 && cfmp_test_now_s() < deadline) {
        cfmp_test_sleep_s(0.002);
    }
    assert_int_equal(cfmp_one_way_seen, 1);
    CFRelease(sentinel);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

static void test_R38_one_way_send_to_own_named_local_port(void **state) {
    (void)state;
    cfmp_one_way_seen = 0;
    CFStringRef name = cfmp_test_name("self");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_count_callout, NULL, NULL);
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    assert_int_equal(CFMessagePortSendRequest(local, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortSuccess);
    CFRunLoopRunInMode(kCFRunLoopDefaultMode, 5 * cfmp_test_scale(), true);
    assert_int_equal(cfmp_one_way_seen, 1);
    CFMessagePortInvalidate(local);
    CFRelease(source);
    CFRelease(local);
    CFRelease(name);
}

/* A precondition violation (R13, R38) aborts as CF crashes: fn(port) runs in a forked child
 * (the paths it takes touch only the port's own lock, free at the fork), which must die by
 * SIGABRT after a line on stderr containing want. */
static void cfmp_expect_precondition(void (*fn)(CFMessagePortRef), CFMessagePortRef port,
                                     const char *want) {
    int err_pipe[2];
    assert_int_equal(pipe(err_pipe), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(err_pipe[1], STDERR_FILENO);
        close(err_pipe[0]);
        fn(port);
        _exit(0); /* returned: no crash */
    }
    close(err_pipe[1]);
    char text[8192];
    size_t len = 0;
    ssize_t n;
    while (len + 1 < sizeof text && (n = read(err_pipe[0], text + len, sizeof text - 1 - len)) > 0) {
        len += (size_t)n;
    }
    text[len] = '\0';
    close(err_pipe[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || strstr(text, want) == NULL) {
        print_error("wanted SIGABRT after \"%s\"; status 0x%x, stderr:\n%s\n", want, status, text);
        fail();
    }
}

static void cfmp_send_two_way(CFMessagePortRef port) {
    CFDataRef reply = NULL;
    (void)CFMessagePortSendRequest(port, 6, NULL, 1, 1, kCFRunLoopDefaultMode, &reply);
}

static void cfmp_send_one_way(CFMessagePortRef port) {
    (void)CFMessagePortSendRequest(port, 7, NULL, 1, 1, NULL, NULL);
}

static void cfmp_create_remote_null(CFMessagePortRef port) {
    (void)port;
    (void)CFMessagePortCreateRemote(NULL, NULL);
}

static void cfmp_set_name_null(CFMessagePortRef port) {
    (void)CFMessagePortSetName(port, NULL);
}

/* R38: a two-way send on a local port (named or not), and a one-way send on an unnamed one,
 * crash on macOS; libcfmp aborts with the precondition named. A one-way send on an invalid
 * local port is still -3 (the validity check comes first, as in CF). */
static void test_R38_two_way_or_unnamed_local_send_aborts(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("r38");
    CFMessagePortRef named = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef unnamed = CFMessagePortCreateLocal(NULL, NULL, cfmp_echo, NULL, NULL);
    assert_non_null(named);
    assert_non_null(unnamed);
    cfmp_expect_precondition(cfmp_send_two_way, named,
                             "CFMessagePortSendRequest: a two-way send on a local port");
    cfmp_expect_precondition(cfmp_send_two_way, unnamed,
                             "CFMessagePortSendRequest: a two-way send on a local port");
    cfmp_expect_precondition(cfmp_send_one_way, unnamed,
                             "CFMessagePortSendRequest: a send on an unnamed local port (R38)");
    CFMessagePortInvalidate(unnamed);
    assert_int_equal(CFMessagePortSendRequest(unnamed, 7, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFMessagePortInvalidate(named);
    CFRelease(unnamed);
    CFRelease(named);
    CFRelease(name);
}

/* R13: CreateRemote(NULL) and SetName(port, NULL) crash on macOS (CFStringGetLength(NULL));
 * libcfmp aborts with the precondition named, in release builds too. */
static void test_R13_null_name_for_remote_or_set_name_aborts(void **state) {
    (void)state;
    CFMessagePortRef unnamed = CFMessagePortCreateLocal(NULL, NULL, cfmp_echo, NULL, NULL);
    assert_non_null(unnamed);
    cfmp_expect_precondition(cfmp_create_remote_null, NULL,
                             "CFMessagePortCreateRemote: a NULL name (R13)");
    cfmp_expect_precondition(cfmp_set_name_null, unnamed, "CFMessagePortSetName: a NULL name (R13)");
    assert_null(CFMessagePortGetName(unnamed)); /* the parent's port is untouched */
    CFMessagePortInvalidate(unnamed);
    CFRelease(unnamed);
}

/* An unscheduled server never dequeues: 5 requests fill its queue, the 6th waits out its
 * send timeout and gets -1 (R28, R29, R51). A two-way request gets -2 at its deadline (R32). */
static void test_R29_R51_queue_full_gives_send_timeout(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("full");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    CFDataRef data = cfmp_test_data("x");
    double start = cfmp_test_now_s();
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 0.05, kCFRunLoopDefaultMode, NULL),
                     kCFMessagePortReceiveTimeout);
    double elapsed = cfmp_test_now_s() - start;
    assert_true(elapsed >= 0.045);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 0, 0, NULL, NULL),
                         kCFMessagePortSuccess);
    }
    start = cfmp_test_now_s();
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 0.2, 0, NULL, NULL),
                     kCFMessagePortSendTimeout);
    elapsed = cfmp_test_now_s() - start;
    assert_true(elapsed >= 0.19);
    assert_true(elapsed < 0.2 + 2.0 * cfmp_test_scale());
    /* sendTimeout 0: fail at once. */
    start = cfmp_test_now_s();
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 0, 0, NULL, NULL),
                     kCFMessagePortSendTimeout);
    assert_true(cfmp_test_now_s() - start < 0.5 * cfmp_test_scale());
    /* Scheduling the port drains the backlog (R51); room appears again. */
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, CFSTR("cfmp.drain"));
    for (int i = 0; i < 5; i++) CFRunLoopRunInMode(CFSTR("cfmp.drain"), 1.0, true);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 0, 0, NULL, NULL),
                     kCFMessagePortSuccess);
    CFRelease(data);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    CFRelease(source);
    CFRelease(local);
    CFRelease(name);
}

/* R34: a reply arriving after -2 is dropped by the next two-way send, which gets its own. */
static void test_R32_R34_timeout_then_late_reply_is_dropped(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("late");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    CFDataRef first = cfmp_test_data("first");
    CFDataRef second = cfmp_test_data("second");
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, first, 1, 0.02, CFSTR("cfmp.wait"), &reply),
                     kCFMessagePortReceiveTimeout);
    assert_null(reply);
    /* The server now answers "first" (late) on another mode of this thread. */
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, CFSTR("cfmp.serve"));
    CFRunLoopRunInMode(CFSTR("cfmp.serve"), 1.0, true);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, CFSTR("cfmp.wait"));
    assert_int_equal(CFMessagePortSendRequest(remote, 1, second, 1, 5 * cfmp_test_scale(),
                                              CFSTR("cfmp.wait"), &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "second"));
    CFRelease(reply);
    CFRelease(first);
    CFRelease(second);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    CFRelease(source);
    CFRelease(local);
    CFRelease(name);
}

/* R26a/R36: the server's port is on this thread's run loop in the reply mode, so the wait runs
 * it: the callout (which itself sends a nested request to the same port) runs re-entrantly. */
static CFMessagePortRef cfmp_nested_remote;
static int cfmp_nested_depth;

static CFDataRef cfmp_nested_callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                     void *info) {
    (void)local;
    (void)info;
    if (msgid == 1) return CFDataCreateCopy(NULL, data);
    cfmp_nested_depth++;
    CFDataRef inner = NULL;
    SInt32 status = CFMessagePortSendRequest(cfmp_nested_remote, 1, data, 1, 5 * cfmp_test_scale(),
                                             kCFRunLoopDefaultMode, &inner);
    CFDataRef result = cfmp_test_data(status == 0 && inner ? "nested-ok" : "nested-failed");
    if (inner != NULL) CFRelease(inner);
    return result;
}

static void test_R26_R36_reentrant_wait_serves_own_port_in_reply_mode(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("reenter");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_nested_callout, NULL, NULL);
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    cfmp_nested_remote = CFMessagePortCreateRemote(NULL, name);
    cfmp_nested_depth = 0;
    CFDataRef data = cfmp_test_data("deep");
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(cfmp_nested_remote, 2, data, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "nested-ok"));
    assert_int_equal(cfmp_nested_depth, 1);
    CFRelease(reply);
    /* In a private reply mode the port is not run: the wait ends with -2 (R36). */
    reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(cfmp_nested_remote, 1, data, 1, 0.05,
                                              CFSTR("cfmp.private"), &reply),
                     kCFMessagePortReceiveTimeout);
    CFRelease(data);
    CFMessagePortInvalidate(cfmp_nested_remote);
    CFRelease(cfmp_nested_remote);
    CFMessagePortInvalidate(local);
    CFRelease(source);
    CFRelease(local);
    CFRelease(name);
}

static CFDataRef cfmp_self_invalidating(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                        void *info) {
    (void)msgid;
    (void)info;
    CFMessagePortInvalidate(local);
    return CFDataCreateCopy(NULL, data);
}

static void test_R46_invalidate_inside_callout_still_replies(void **state) {
    (void)state;
    cfmp_retains = cfmp_releases = 0;
    struct cfmp_thread_server server = {.name = cfmp_test_name("selfinv"),
                                        .callout = cfmp_self_invalidating};
    cfmp_thread_server_start(&server);
    CFMessagePortSetInvalidationCallBack(server.port, cfmp_on_invalidate);
    cfmp_reset_invalidations();
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    CFDataRef data = cfmp_test_data("last");
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "last"));
    CFRelease(reply);
    assert_int_equal(cfmp_invalidations, 1);
    assert_false(CFMessagePortIsValid(server.port));
    /* The remote learns of the death: a later send gives -4 or -3, then -3 (R33). */
    SInt32 status = CFMessagePortSendRequest(remote, 1, data, 1, 1, kCFRunLoopDefaultMode, NULL);
    assert_true(status == kCFMessagePortTransportError || status == kCFMessagePortIsInvalid ||
                status == kCFMessagePortBecameInvalidError);
    assert_false(CFMessagePortIsValid(remote));
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 1, kCFRunLoopDefaultMode, NULL),
                     kCFMessagePortIsInvalid);
    CFRelease(data);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

/* R58: invalidating the remote from a callout that runs during SendRequest gives -5. */
static CFMessagePortRef cfmp_victim;

static void cfmp_invalidate_victim(void *info) {
    (void)info;
    CFMessagePortInvalidate(cfmp_victim);
}

static void test_R55_R58_remote_invalidated_during_wait_gives_became_invalid(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("victim");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    cfmp_victim = CFMessagePortCreateRemote(NULL, name);
    CFRunLoopSourceContext context;
    memset(&context, 0, sizeof context);
    context.perform = cfmp_invalidate_victim;
    CFRunLoopSourceRef trigger = CFRunLoopSourceCreate(NULL, 0, &context);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), trigger, CFSTR("cfmp.victim"));
    CFRunLoopSourceSignal(trigger);
    CFDataRef data = cfmp_test_data("x");
    double start = cfmp_test_now_s();
    assert_int_equal(CFMessagePortSendRequest(cfmp_victim, 1, data, 1, 10, CFSTR("cfmp.victim"), NULL),
                     kCFMessagePortBecameInvalidError);
    assert_true(cfmp_test_now_s() - start < 5.0);
    CFRelease(data);
    CFRunLoopRemoveSource(CFRunLoopGetCurrent(), trigger, CFSTR("cfmp.victim"));
    CFRelease(trigger);
    CFRelease(cfmp_victim);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

static pthread_t cfmp_queue_thread;
static int cfmp_queue_calls;

static CFDataRef cfmp_queue_callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                    void *info) {
    (void)local;
    (void)msgid;
    (void)info;
    cfmp_queue_thread = pthread_self();
    cfmp_queue_calls++;
    return CFDataCreateCopy(NULL, data);
}

static void test_R49_R50_dispatch_queue_delivery(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("queue");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_queue_callout, NULL, NULL);
    dispatch_queue_t queue = dispatch_queue_create("cfmp.q", DISPATCH_QUEUE_SERIAL);
    CFMessagePortSetDispatchQueue(local, queue);
    assert_null(CFMessagePortCreateRunLoopSource(NULL, local, 0)); /* R47 */
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    cfmp_queue_calls = 0;
    /* R50a: the queue takes requests off at once, so 20 one-way sends never time out. */
    CFDataRef data = cfmp_test_data("q");
    for (int i = 0; i < 20; i++) {
        assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 0, NULL, NULL),
                         kCFMessagePortSuccess);
    }
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "q"));
    assert_int_equal(cfmp_queue_calls, 21); /* serial queue, FIFO */
    assert_false(pthread_equal(cfmp_queue_thread, pthread_self()));
    CFRelease(reply);
    /* NULL unschedules: requests wait again (R49, R51). */
    CFMessagePortSetDispatchQueue(local, NULL);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 0.05, kCFRunLoopDefaultMode, NULL),
                     kCFMessagePortReceiveTimeout);
    CFRelease(data);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    dispatch_release(queue);
    CFRelease(name);
}

/* R7, R33: the server goes away; a new send first gives -4 (transport), IsValid then
 * invalidates the remote (callback on this thread) and later sends give -3. */
static void test_R7_R33_dead_server_gives_transport_error_then_invalid(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("dead");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(remote, cfmp_on_invalidate);
    /* Invalidated, not released: its deallocation would probe the remote at once (R26c). */
    CFMessagePortInvalidate(local);
    CFDataRef data = cfmp_test_data("x");
    cfmp_test_sleep_s(0.05);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 1, NULL, NULL),
                     kCFMessagePortTransportError);
    assert_int_equal(cfmp_invalidations, 0); /* -4 does not invalidate */
    assert_false(CFMessagePortIsValid(remote));
    assert_int_equal(cfmp_invalidations, 1);
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFRelease(data);
    CFRelease(remote);
    CFRelease(local);
    CFRelease(name);
}

/* R26b, R57, R7, R14: invalidating a remote to a local port of this process invalidates the
 * wrapper they share, and the local port is not told: it goes on delivering requests (here from
 * a later remote, which gets a wrapper of its own), until an IsValid finds the wrapper invalid
 * and invalidates it, callback included; CreateLocal by name makes that check and gives NULL. */
static void test_R26b_R57_invalidating_a_same_process_remote_poisons_its_local(void **state) {
    (void)state;
    struct cfmp_thread_server server = {.name = cfmp_test_name("poison"), .callout = cfmp_echo};
    cfmp_thread_server_start(&server);
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(server.port, cfmp_on_invalidate);
    CFMessagePortRef me = CFMessagePortCreateRemote(NULL, server.name);
    assert_non_null(me);
    assert_ptr_not_equal(me, server.port);
    CFMessagePortInvalidate(me);
    assert_int_equal(cfmp_invalidations, 0); /* the local port is not told */
    CFMessagePortRef other = CFMessagePortCreateRemote(NULL, server.name);
    assert_non_null(other);
    assert_ptr_not_equal(other, me);
    CFDataRef data = cfmp_test_data("still there?");
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(other, 1, data, 1, 5 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "still there?")); /* its source still delivers */
    CFRelease(reply);
    assert_int_equal(cfmp_invalidations, 0);
    Boolean should_free = false;
    assert_null(CFMessagePortCreateLocal(NULL, server.name, cfmp_echo, NULL, &should_free));
    assert_true(should_free);
    assert_int_equal(cfmp_invalidations, 1); /* invalidated by that call's IsValid */
    assert_ptr_equal(cfmp_invalidated_port, server.port);
    assert_false(CFMessagePortIsValid(server.port));
    assert_int_equal(cfmp_invalidations, 1);
    CFRelease(data);
    CFMessagePortInvalidate(other);
    CFRelease(other);
    CFRelease(me);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

/* R26b, R25: deallocating a same-process remote that never sent poisons the local port too
 * (CreateRunLoopSource's IsValid then invalidates it); one that has sent is kept alive by its
 * reply source, so releasing it poisons nothing until it is invalidated. */
static void test_R26b_R25_releasing_a_same_process_remote_poisons_only_if_it_never_sent(
    void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("poison-dealloc");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    assert_non_null(local);
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(local, cfmp_on_invalidate);
    CFMessagePortRef quiet = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(quiet);
    CFRelease(quiet); /* deallocated: never sent */
    assert_int_equal(cfmp_invalidations, 0);
    assert_null(CFMessagePortCreateRunLoopSource(NULL, local, 0));
    assert_int_equal(cfmp_invalidations, 1);
    CFRelease(local);
    CFRelease(name);

    name = cfmp_test_name("poison-sent");
    local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    assert_non_null(local);
    CFMessagePortRef sent = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(sent);
    assert_int_equal(CFMessagePortSendRequest(sent, 1, NULL, 1, 0, NULL, NULL),
                     kCFMessagePortSuccess); /* one-way: queued, never served */
    CFRelease(sent);
    CFMessagePortRef again = CFMessagePortCreateRemote(NULL, name);
    assert_ptr_equal(again, sent); /* alive and cached (R25, R23) */
    assert_true(CFMessagePortIsValid(local));
    CFMessagePortInvalidate(again);
    assert_false(CFMessagePortIsValid(local));
    CFRelease(again);
    CFRelease(local);
    CFRelease(name);
}

/* R26c, R54, R56: a same-process remote gets no death notice when its local port is
 * invalidated (the main queue may run: nothing comes), only its own IsValid invalidates it; and
 * a local port's deallocation probes the cached remotes, so there the remote's callback runs
 * inside the local's last CFRelease. */
static void test_R26c_R54_local_dealloc_invalidates_its_same_process_remotes(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("probe-local");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(remote);
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(remote, cfmp_on_invalidate);
    CFMessagePortInvalidate(local);
    for (int i = 0; i < 5; i++) CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0.02, false);
    assert_int_equal(cfmp_invalidations, 0); /* no death notice on the main queue */
    assert_false(CFMessagePortIsValid(remote));
    assert_int_equal(cfmp_invalidations, 1);
    CFRelease(remote);
    CFRelease(local);
    CFRelease(name);

    name = cfmp_test_name("probe-dealloc");
    local = CFMessagePortCreateLocal(NULL, name, cfmp_echo, NULL, NULL);
    remote = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(remote);
    cfmp_reset_invalidations();
    CFMessagePortSetInvalidationCallBack(remote, cfmp_on_invalidate);
    CFRelease(local);
    assert_int_equal(cfmp_invalidations, 1); /* inside the CFRelease */
    assert_ptr_equal(cfmp_invalidated_port, remote);
    assert_false(CFMessagePortIsValid(remote));
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 1, 1, NULL, NULL),
                     kCFMessagePortIsInvalid);
    CFRelease(remote);
    CFRelease(name);
}

static int cfmp_slow_callouts;

static CFDataRef cfmp_slow_callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data, void *info) {
    (void)local;
    (void)msgid;
    (void)data;
    (void)info;
    cfmp_slow_callouts++;
    cfmp_test_sleep_s(0.2 * cfmp_test_scale());
    return NULL;
}

/* CFRunLoopRunInMode takes one port message per pass and then checks its deadline: with
 * three one-way requests queued and a callout of 200 ms, a 300 ms run makes two callouts (the
 * second starts at 200 ms, before the deadline, and ends past it), not three. libcfmp's busy
 * poll took the port's next message and then its wait took another in the same pass (fuzz
 * posix seed 7550: a callout 19 ms past the run loop's deadline). */
static void test_R42_run_loop_takes_one_message_per_pass(void **state) {
    (void)state;
    CFStringRef name = cfmp_test_name("perpass");
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_slow_callout, NULL, NULL);
    assert_non_null(local);
    for (SInt32 msgid = 1; msgid <= 3; msgid++) {
        assert_int_equal(CFMessagePortSendRequest(local, msgid, NULL, 1, 0, NULL, NULL),
                         kCFMessagePortSuccess);
    }
    cfmp_slow_callouts = 0;
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, local, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    assert_int_equal(CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0.3 * cfmp_test_scale(), false),
                     kCFRunLoopRunTimedOut);
    assert_int_equal(cfmp_slow_callouts, 2);
    CFRunLoopRemoveSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    CFRelease(source);
    CFMessagePortInvalidate(local);
    CFRelease(local);
    CFRelease(name);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R1_R4_kind_and_type),
        cmocka_unit_test(test_R9_copy_description_of_local_and_remote_ports),
        cmocka_unit_test(test_R9_copy_description_skips_null_info_and_no_callback),
        cmocka_unit_test(test_R5_R10_R12_name_is_a_sanitized_copy_cut_at_128_bytes),
        cmocka_unit_test(test_R11_R13_embedded_nul_gives_unnamed_local_and_null_remote),
        cmocka_unit_test(test_R14_R18_R60_same_name_returns_existing_and_ignores_context),
        cmocka_unit_test(test_R14_R15_two_threads_racing_for_one_name_share_one_port),
        cmocka_unit_test(test_R19_set_name_rules),
        cmocka_unit_test(test_R22_R23_remote_lookup_and_cache),
        cmocka_unit_test(test_R47_R48_run_loop_source_is_cached_and_refused_when_invalid),
        cmocka_unit_test(test_R27_R53_codes_on_invalid_ports),
        cmocka_unit_test(test_R32_R35_R39_two_way_roundtrip_with_thread_server),
        cmocka_unit_test(test_R31_one_way_returns_success_and_leaves_returnData),
        cmocka_unit_test(test_R38_one_way_send_to_own_named_local_port),
        cmocka_unit_test(test_R38_two_way_or_unnamed_local_send_aborts),
        cmocka_unit_test(test_R13_null_name_for_remote_or_set_name_aborts),
        cmocka_unit_test(test_R29_R51_queue_full_gives_send_timeout),
        cmocka_unit_test(test_R32_R34_timeout_then_late_reply_is_dropped),
        cmocka_unit_test(test_R26_R36_reentrant_wait_serves_own_port_in_reply_mode),
        cmocka_unit_test(test_R42_run_loop_takes_one_message_per_pass),
        cmocka_unit_test(test_R46_invalidate_inside_callout_still_replies),
        cmocka_unit_test(test_R55_R58_remote_invalidated_during_wait_gives_became_invalid),
        cmocka_unit_test(test_R49_R50_dispatch_queue_delivery),
        cmocka_unit_test(test_R7_R33_dead_server_gives_transport_error_then_invalid),
        cmocka_unit_test(test_R26b_R57_invalidating_a_same_process_remote_poisons_its_local),
        cmocka_unit_test(test_R26b_R25_releasing_a_same_process_remote_poisons_only_if_it_never_sent),
        cmocka_unit_test(test_R26c_R54_local_dealloc_invalidates_its_same_process_remotes),
    };
    return cmocka_run_group_tests_name("libcfmp_port", tests, cfmp_test_runtime_dir_setup, cfmp_test_runtime_dir_teardown);
}
