/*
 * test_cfmp_hostile.c — hostile peers on both sides. A server port (on a thread of this
 * process, so its fds can be counted) gets garbage, truncated, oversized and lying frames,
 * bad fds, silence and peers dying mid-request: each bad connection is closed, the port keeps
 * serving others, and no fd leaks. A corrupt request whose framing is intact (bad magic,
 * version, convid or flags) is dropped without a callout and its connection kept (R45), also
 * when libcfmp's test hook (cfmp_testing.h) makes one through the API. Fake servers send a bad
 * HELLO, no HELLO, or garbage replies: the client refuses them or invalidates the remote.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"
#include "cfmp_testing.h" /* cfmp_testing_corrupt_next_request */
#include "cfmp_wire.h" /* frame layout only: the test speaks the wire format by hand */

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int cfmp_raw_connect(CFStringRef name) {
    char path[512];
    cfmp_test_sock_path(name, path, sizeof path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof address.sun_path);
    memcpy(address.sun_path, path, strlen(path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
    char hello[512];
    struct pollfd poll_fd = {fd, POLLIN, 0};
    assert_int_equal(poll(&poll_fd, 1, (int)(10000 * cfmp_test_scale())), 1);
    struct msghdr message = {0};
    struct iovec iov = {hello, sizeof hello};
    char control[CMSG_SPACE(sizeof(int) * 2)];
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    /* HELLO with the queue fd and the death notice's read end */
    assert_true(recvmsg(fd, &message, MSG_CMSG_CLOEXEC) > 0);
    assert_false(message.msg_flags & MSG_CTRUNC);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    if (cmsg == NULL) fail_msg("HELLO without the queue fd");
    int fds[2] = {-1, -1};
    if (cmsg != NULL) {
        assert_int_equal(cmsg->cmsg_len, CMSG_LEN(sizeof(int) * 2));
        memcpy(fds, CMSG_DATA(cmsg), sizeof fds);
    }
    close(fds[0]);
    close(fds[1]);
    return fd;
}

/* Waits for the server to close the connection (EOF), as it must after a bad frame. */
static bool cfmp_closed_by_server(int fd) {
    struct pollfd poll_fd = {fd, POLLIN, 0};
    if (poll(&poll_fd, 1, (int)(10000 * cfmp_test_scale())) != 1) return false;
    char byte;
    return recv(fd, &byte, 1, MSG_DONTWAIT) == 0;
}

static void cfmp_send_with_fds(int fd, const void *bytes, size_t length, const int *fds,
                               size_t fd_count) {
    struct iovec iov = {(void *)bytes, length};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    char control[CMSG_SPACE(sizeof(int) * 8)];
    if (fd_count > 0) {
        memset(control, 0, sizeof control);
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        if (cmsg == NULL) abort();
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fd_count);
    }
    assert_true(sendmsg(fd, &message, MSG_NOSIGNAL) >= 0);
}

static struct cfmp_frame_header cfmp_request_header(size_t length) {
    struct cfmp_frame_header header = {CFMP_WIRE_MAGIC, CFMP_WIRE_VERSION, CFMP_FRAME_REQUEST, 0,
                                       1, 1, (int64_t)length};
    return header;
}

static void cfmp_assert_still_serves(CFMessagePortRef remote) {
    CFDataRef data = cfmp_test_data("still here");
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, data, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    assert_true(cfmp_test_data_equals(reply, "still here"));
    CFRelease(reply);
    CFRelease(data);
}

/* One bad frame on a fresh connection: the server closes it and keeps serving. */
static void cfmp_bad_frame(CFStringRef name, CFMessagePortRef remote, const void *bytes,
                           size_t length, const int *fds, size_t fd_count) {
    int fd = cfmp_raw_connect(name);
    cfmp_send_with_fds(fd, bytes, length, fds, fd_count);
    assert_true(cfmp_closed_by_server(fd));
    close(fd);
    cfmp_assert_still_serves(remote);
}

static int cfmp_memfd_with(size_t size, bool seal) {
    int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    if (seal) assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
    return fd;
}

static void cfmp_wait_fds(int expected) {
    double deadline = cfmp_test_now_s() + 10 * cfmp_test_scale();
    while (cfmp_test_count_fds() != expected && cfmp_test_now_s() < deadline) {
        cfmp_test_sleep_s(0.01);
    }
    assert_int_equal(cfmp_test_count_fds(), expected);
}

static void test_R45_bad_frames_close_only_that_connection_and_leak_nothing(void **state) {
    (void)state;
    struct cfmp_thread_server server = {.name = cfmp_test_name("hostile"), .callout = cfmp_test_echo};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    cfmp_assert_still_serves(remote);
    int baseline = cfmp_test_count_fds();

    uint8_t garbage[100];
    for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (uint8_t)(i * 37 + 11);
    cfmp_bad_frame(server.name, remote, garbage, sizeof garbage, NULL, 0);
    cfmp_bad_frame(server.name, remote, garbage, 10, NULL, 0); /* shorter than a header */
    uint8_t frame[sizeof(struct cfmp_frame_header) + 16] = {0};
    struct cfmp_frame_header header = cfmp_request_header(1000); /* claims 1000, has 16 */
    memcpy(frame, &header, sizeof header);
    cfmp_bad_frame(server.name, remote, frame, sizeof frame, NULL, 0);
    /* Headers that do not frame one inline request (corrupt fields with intact framing are
     * dropped instead: test_R45_corrupt_request_with_intact_framing_keeps_the_connection). */
    struct cfmp_frame_header variants[4];
    for (int i = 0; i < 4; i++) variants[i] = cfmp_request_header(0);
    variants[0].kind = CFMP_FRAME_REPLY;
    variants[1].length = -5;
    variants[2].magic ^= 1;
    variants[2].kind = 0; /* a bad magic and no request kind */
    variants[3].convid = 0;
    variants[3].length = 4; /* claims 4 bytes, has none */
    for (int i = 0; i < 4; i++) {
        cfmp_bad_frame(server.name, remote, &variants[i], sizeof variants[i], NULL, 0);
    }
    /* Oversized inline record. */
    size_t big = sizeof(struct cfmp_frame_header) + CFMP_WIRE_INLINE_CAP + 100;
    uint8_t *oversized = calloc(1, big);
    header = cfmp_request_header(big - sizeof header);
    memcpy(oversized, &header, sizeof header);
    cfmp_bad_frame(server.name, remote, oversized, big, NULL, 0);
    free(oversized);
    /* memfd payloads that lie: a pipe, an unsealed memfd, one smaller than claimed, none. */
    header = cfmp_request_header(4096);
    header.flags = CFMP_FLAG_MEMFD;
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    cfmp_bad_frame(server.name, remote, &header, sizeof header, &pipe_fds[0], 1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int unsealed = cfmp_memfd_with(4096, false);
    cfmp_bad_frame(server.name, remote, &header, sizeof header, &unsealed, 1);
    close(unsealed);
    int small = cfmp_memfd_with(100, true);
    cfmp_bad_frame(server.name, remote, &header, sizeof header, &small, 1);
    close(small);
    cfmp_bad_frame(server.name, remote, &header, sizeof header, NULL, 0);
    /* A normal frame carrying fds it should not: all of them are closed. */
    header = cfmp_request_header(0);
    int extra[5];
    for (int i = 0; i < 5; i++) extra[i] = cfmp_memfd_with(16, false);
    cfmp_bad_frame(server.name, remote, &header, sizeof header, extra, 5);
    for (int i = 0; i < 5; i++) close(extra[i]);
    /* An empty record. */
    cfmp_bad_frame(server.name, remote, "", 0, NULL, 0);
    /* Bulk-region frames that lie: a SHARED request with no region sent, a REGION that is a
     * pipe, and a SHARED offset outside a real region. */
    uint8_t shared[sizeof(struct cfmp_frame_header) + 8] = {0};
    header = cfmp_request_header(100);
    header.flags = CFMP_FLAG_SHARED;
    memcpy(shared, &header, sizeof header);
    cfmp_bad_frame(server.name, remote, shared, sizeof shared, NULL, 0);
    struct cfmp_frame_header region_header = {CFMP_WIRE_MAGIC, CFMP_WIRE_VERSION,
                                              CFMP_FRAME_REGION, 0, 0, 1, 0};
    assert_int_equal(pipe(pipe_fds), 0);
    cfmp_bad_frame(server.name, remote, &region_header, sizeof region_header, &pipe_fds[0], 1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int region = cfmp_memfd_with(1u << 16, false);
    assert_int_equal(fcntl(region, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    int fd = cfmp_raw_connect(server.name);
    cfmp_send_with_fds(fd, &region_header, sizeof region_header, &region, 1);
    uint64_t outside = 1u << 20;
    memcpy(shared + sizeof header, &outside, sizeof outside);
    cfmp_send_with_fds(fd, shared, sizeof shared, NULL, 0);
    assert_true(cfmp_closed_by_server(fd));
    close(fd);
    close(region);
    cfmp_assert_still_serves(remote);

    cfmp_wait_fds(baseline);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

static _Atomic int cfmp_hostile_callouts;

static CFDataRef cfmp_counting_echo(CFMessagePortRef local, SInt32 msgid, CFDataRef data, void *info) {
    atomic_fetch_add(&cfmp_hostile_callouts, 1);
    return cfmp_test_echo(local, msgid, data, info);
}

/* Reads one frame of fd (waiting up to 10 s), its inline payload into payload. */
static struct cfmp_frame_header cfmp_read_frame(int fd, uint8_t *payload, size_t capacity, size_t *length) {
    struct pollfd poll_fd = {fd, POLLIN, 0};
    assert_int_equal(poll(&poll_fd, 1, (int)(10000 * cfmp_test_scale())), 1);
    struct cfmp_frame_header header;
    struct iovec iov[2] = {{&header, sizeof header}, {payload, capacity}};
    struct msghdr message = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t got = recvmsg(fd, &message, MSG_DONTWAIT);
    assert_true(got >= (ssize_t)sizeof header);
    *length = (size_t)got - sizeof header;
    return header;
}

/* R45: a request with wrong fields but intact framing (one whole inline record) is dropped
 * without a callout or a reply; the same connection then gets the reply to a good request. */
static void test_R45_corrupt_request_with_intact_framing_keeps_the_connection(void **state) {
    (void)state;
    struct cfmp_thread_server server = {.name = cfmp_test_name("corrupt"), .callout = cfmp_counting_echo};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    cfmp_assert_still_serves(remote);
    int baseline = cfmp_test_count_fds();
    struct cfmp_frame_header variants[5];
    for (int i = 0; i < 5; i++) variants[i] = cfmp_request_header(5);
    variants[0].magic ^= 1;
    variants[1].version = 9;
    variants[2].convid = 0;
    variants[3].flags = 0x80;
    variants[4].flags = CFMP_FLAG_NO_DATA; /* with a length */
    int fd = cfmp_raw_connect(server.name);
    for (int i = 0; i < 5; i++) {
        int before = atomic_load(&cfmp_hostile_callouts);
        uint8_t frame[sizeof(struct cfmp_frame_header) + 5];
        memcpy(frame, &variants[i], sizeof variants[i]);
        memcpy(frame + sizeof variants[i], "wrong", 5);
        cfmp_send_with_fds(fd, frame, sizeof frame, NULL, 0);
        struct cfmp_frame_header good = cfmp_request_header(5);
        good.convid = 100 + i;
        memcpy(frame, &good, sizeof good);
        memcpy(frame + sizeof good, "right", 5);
        cfmp_send_with_fds(fd, frame, sizeof frame, NULL, 0);
        uint8_t payload[64];
        size_t length = 0;
        struct cfmp_frame_header back = cfmp_read_frame(fd, payload, sizeof payload, &length);
        assert_int_equal(back.kind, CFMP_FRAME_REPLY);
        assert_int_equal(back.convid, 100 + i); /* the first reply is the good request's */
        assert_int_equal(length, 5);
        assert_memory_equal(payload, "right", 5);
        assert_int_equal(atomic_load(&cfmp_hostile_callouts), before + 1);
    }
    close(fd);
    cfmp_assert_still_serves(remote);
    cfmp_wait_fds(baseline);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

static _Atomic int cfmp_hostile_retains;
static _Atomic int cfmp_hostile_releases;

static const void *cfmp_hostile_retain(const void *info) {
    atomic_fetch_add(&cfmp_hostile_retains, 1);
    return info;
}

static void cfmp_hostile_release(const void *info) {
    (void)info;
    atomic_fetch_add(&cfmp_hostile_releases, 1);
}

/* R45, R60 through the API with the private test hook: the corrupt two-way request gets −2 at
 * its deadline, no callout, and a retain that is never released (as CF); the remote stays
 * valid and the next request is served. The hook is one-shot, and off cancels it. */
static void test_R45_test_hook_sends_a_corrupt_request(void **state) {
    (void)state;
    static int marker;
    CFMessagePortContext context = {0, &marker, cfmp_hostile_retain, cfmp_hostile_release, NULL};
    struct cfmp_thread_server server = {.name = cfmp_test_name("hook"), .callout = cfmp_counting_echo,
                                        .context = &context};
    atomic_store(&cfmp_hostile_retains, 0);
    atomic_store(&cfmp_hostile_releases, 0);
    cfmp_thread_server_start(&server);
    assert_int_equal(atomic_load(&cfmp_hostile_retains), 1); /* at creation (R60) */
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    assert_non_null(remote);
    int callouts = atomic_load(&cfmp_hostile_callouts);
    CFDataRef data = cfmp_test_data("garbage");
    CFDataRef reply = NULL;
    cfmp_testing_corrupt_next_request(true);
    double start = cfmp_test_now_s();
    SInt32 status = CFMessagePortSendRequest(remote, 1, data, 1, 0.2, kCFRunLoopDefaultMode, &reply);
    double elapsed = cfmp_test_now_s() - start;
    cfmp_testing_corrupt_next_request(false);
    assert_int_equal(status, kCFMessagePortReceiveTimeout);
    assert_null(reply);
    assert_true(elapsed >= 0.19);
    assert_true(CFMessagePortIsValid(remote));
    assert_int_equal(atomic_load(&cfmp_hostile_callouts), callouts);
    assert_int_equal(atomic_load(&cfmp_hostile_retains), 2); /* retained for the drop ... */
    assert_int_equal(atomic_load(&cfmp_hostile_releases), 0); /* ... and never released */
    cfmp_assert_still_serves(remote); /* one-shot: this one is well-formed */
    assert_int_equal(atomic_load(&cfmp_hostile_callouts), callouts + 1);
    cfmp_testing_corrupt_next_request(true);
    cfmp_testing_corrupt_next_request(false); /* cancelled before any send */
    cfmp_assert_still_serves(remote);
    assert_int_equal(atomic_load(&cfmp_hostile_callouts), callouts + 2);
    assert_int_equal(atomic_load(&cfmp_hostile_retains), 4);
    assert_int_equal(atomic_load(&cfmp_hostile_releases), 2);
    CFRelease(data);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    assert_int_equal(atomic_load(&cfmp_hostile_releases), 3); /* at invalidation */
    CFRelease(server.name);
}

/*
 * Issue 10: an inline payload of exactly CFMP_WIRE_INLINE_CAP + 1 bytes fits the receive
 * buffer (cap + 1, to see a record too long) and was accepted; the length is now compared
 * with the cap. One byte less is a request like any other and gets its echo.
 */
static void test_R45_inline_payload_of_cap_plus_one_bytes_is_refused(void **state) {
    (void)state;
    struct cfmp_thread_server server = {.name = cfmp_test_name("inline-cap"), .callout = cfmp_test_echo};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    cfmp_assert_still_serves(remote);
    int baseline = cfmp_test_count_fds();
    size_t header_size = sizeof(struct cfmp_frame_header);
    uint8_t *frame = calloc(1, header_size + CFMP_WIRE_INLINE_CAP + 2);
    assert_non_null(frame);
    struct cfmp_frame_header header = cfmp_request_header(CFMP_WIRE_INLINE_CAP + 1);
    memcpy(frame, &header, header_size);
    cfmp_bad_frame(server.name, remote, frame, header_size + CFMP_WIRE_INLINE_CAP + 1, NULL, 0);

    header = cfmp_request_header(CFMP_WIRE_INLINE_CAP); /* at the cap: served */
    memcpy(frame, &header, header_size);
    int fd = cfmp_raw_connect(server.name);
    cfmp_send_with_fds(fd, frame, header_size + CFMP_WIRE_INLINE_CAP, NULL, 0);
    struct pollfd poll_fd = {fd, POLLIN, 0};
    assert_int_equal(poll(&poll_fd, 1, (int)(10000 * cfmp_test_scale())), 1);
    uint8_t *reply = malloc(header_size + CFMP_WIRE_INLINE_CAP + 1);
    assert_non_null(reply);
    struct iovec iov = {reply, header_size + CFMP_WIRE_INLINE_CAP + 1};
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control};
    ssize_t got = recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
    assert_true(got >= (ssize_t)header_size);
    struct cfmp_frame_header back;
    memcpy(&back, reply, header_size);
    assert_int_equal(back.kind, CFMP_FRAME_REPLY);
    assert_int_equal(back.length, CFMP_WIRE_INLINE_CAP);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message); /* a memfd reply: close what came */
    if (cmsg != NULL && cmsg->cmsg_type == SCM_RIGHTS) {
        int passed = -1;
        memcpy(&passed, CMSG_DATA(cmsg), sizeof passed);
        close(passed);
    }
    close(fd);
    free(reply);
    free(frame);
    cfmp_assert_still_serves(remote);
    cfmp_wait_fds(baseline);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

static void test_R45_silent_peer_and_peer_dying_mid_request_do_not_block_others(void **state) {
    (void)state;
    struct cfmp_thread_server server = {.name = cfmp_test_name("silent"), .callout = cfmp_test_echo};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    cfmp_assert_still_serves(remote);
    int baseline = cfmp_test_count_fds();
    int silent = cfmp_raw_connect(server.name); /* connects and says nothing */
    cfmp_assert_still_serves(remote);
    /* A peer sends a valid two-way request and dies before reading the reply. */
    int dying = cfmp_raw_connect(server.name);
    uint8_t frame[sizeof(struct cfmp_frame_header) + 4];
    struct cfmp_frame_header header = cfmp_request_header(4);
    memcpy(frame, &header, sizeof header);
    memcpy(frame + sizeof header, "dead", 4);
    cfmp_send_with_fds(dying, frame, sizeof frame, NULL, 0);
    close(dying);
    /* A peer dies right after a header that promises more than it sent. */
    int half = cfmp_raw_connect(server.name);
    header = cfmp_request_header(100000);
    cfmp_send_with_fds(half, &header, sizeof header, NULL, 0);
    close(half);
    cfmp_assert_still_serves(remote);
    close(silent);
    cfmp_wait_fds(baseline - 0);
    cfmp_assert_still_serves(remote);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

/* ---- fake servers ------------------------------------------------------------------------ */

enum cfmp_fake_mode { CFMP_FAKE_GARBAGE_HELLO, CFMP_FAKE_SILENT, CFMP_FAKE_BAD_REPLY };

struct cfmp_fake_server {
    CFStringRef name;
    enum cfmp_fake_mode mode;
    int listen_fd;
    pthread_t thread;
};

static void cfmp_fake_hello(struct cfmp_fake_server *fake, int fd) {
    char name[256];
    CFStringGetCString(fake->name, name, sizeof name, kCFStringEncodingUTF8);
    uint32_t name_length = (uint32_t)strlen(name);
    uint8_t frame[sizeof(struct cfmp_frame_header) + 8 + 256];
    struct cfmp_frame_header header = {CFMP_WIRE_MAGIC, CFMP_WIRE_VERSION, CFMP_FRAME_HELLO, 0,
                                       0, 0, 8 + name_length};
    int32_t pid = (int32_t)getpid();
    memcpy(frame, &header, sizeof header);
    memcpy(frame + sizeof header, &pid, 4);
    memcpy(frame + sizeof header + 4, &name_length, 4);
    memcpy(frame + sizeof header + 8, name, name_length);
    int queue = memfd_create("fake-queue", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    struct cfmp_shared_queue initial = {0, 0, CFMP_SHARED_QUEUE_MAGIC, CFMP_QUEUE_LIMIT};
    if (ftruncate(queue, CFMP_SHARED_QUEUE_SIZE) != 0 ||
        pwrite(queue, &initial, sizeof initial, 0) != (ssize_t)sizeof initial) {
        abort();
    }
    fcntl(queue, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
    cfmp_send_with_fds(fd, frame, sizeof header + 8 + name_length, &queue, 1);
    close(queue);
}

static void *cfmp_fake_main(void *argument) {
    struct cfmp_fake_server *fake = argument;
    int fd = accept(fake->listen_fd, NULL, NULL);
    if (fake->mode == CFMP_FAKE_GARBAGE_HELLO) {
        send(fd, "nonsense, not a hello", 21, MSG_NOSIGNAL);
    } else if (fake->mode == CFMP_FAKE_BAD_REPLY) {
        cfmp_fake_hello(fake, fd);
        char request[256];
        if (recv(fd, request, sizeof request, 0) <= 0) abort();
        send(fd, "garbage reply!!!!!!!!!!!!!!!!!!!", 32, MSG_NOSIGNAL);
    }
    char byte;
    (void)!recv(fd, &byte, 1, 0); /* hold the connection until the client closes it */
    close(fd);
    return NULL;
}

static void cfmp_fake_start(struct cfmp_fake_server *fake, const char *tag,
                            enum cfmp_fake_mode mode) {
    fake->name = cfmp_test_name(tag);
    fake->mode = mode;
    char path[512];
    cfmp_test_sock_path(fake->name, path, sizeof path);
    fake->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    memcpy(address.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fake->listen_fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(listen(fake->listen_fd, 4), 0);
    pthread_create(&fake->thread, NULL, cfmp_fake_main, fake);
}

static void cfmp_fake_stop(struct cfmp_fake_server *fake) {
    pthread_join(fake->thread, NULL);
    close(fake->listen_fd);
    CFRelease(fake->name);
}

static void test_R22_fake_servers_without_a_valid_hello_are_refused(void **state) {
    (void)state;
    int baseline = cfmp_test_count_fds();
    struct cfmp_fake_server fake;
    cfmp_fake_start(&fake, "garbage", CFMP_FAKE_GARBAGE_HELLO);
    assert_null(CFMessagePortCreateRemote(NULL, fake.name));
    cfmp_fake_stop(&fake);
    setenv("CFMP_CONNECT_TIMEOUT_MS", "300", 1);
    cfmp_fake_start(&fake, "mute", CFMP_FAKE_SILENT);
    double start = cfmp_test_now_s();
    assert_null(CFMessagePortCreateRemote(NULL, fake.name));
    assert_true(cfmp_test_now_s() - start >= 0.25);
    unsetenv("CFMP_CONNECT_TIMEOUT_MS");
    cfmp_fake_stop(&fake);
    cfmp_wait_fds(baseline);
}

static void test_R33_garbage_reply_invalidates_the_remote(void **state) {
    (void)state;
    struct cfmp_fake_server fake;
    cfmp_fake_start(&fake, "badreply", CFMP_FAKE_BAD_REPLY);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, fake.name);
    assert_non_null(remote);
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortBecameInvalidError);
    assert_null(reply);
    assert_false(CFMessagePortIsValid(remote));
    CFRelease(remote);
    cfmp_fake_stop(&fake);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R45_bad_frames_close_only_that_connection_and_leak_nothing),
        cmocka_unit_test(test_R45_inline_payload_of_cap_plus_one_bytes_is_refused),
        cmocka_unit_test(test_R45_corrupt_request_with_intact_framing_keeps_the_connection),
        cmocka_unit_test(test_R45_test_hook_sends_a_corrupt_request),
        cmocka_unit_test(test_R45_silent_peer_and_peer_dying_mid_request_do_not_block_others),
        cmocka_unit_test(test_R22_fake_servers_without_a_valid_hello_are_refused),
        cmocka_unit_test(test_R33_garbage_reply_invalidates_the_remote),
    };
    return cmocka_run_group_tests_name("libcfmp_hostile", tests, cfmp_test_runtime_dir_setup, cfmp_test_runtime_dir_teardown);
}
