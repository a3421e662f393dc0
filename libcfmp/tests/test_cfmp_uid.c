/*
 * test_cfmp_uid.c — another user is refused (SO_PEERCRED on both sides). Needs root, to drop
 * privileges in the cfmp_peer child; otherwise it says so and exits 77 (skipped).
 *   full:  the child is uid 65534 everywhere: the private runtime dir already keeps it out.
 *   fsuid: the child keeps root's file access (fsuid 0) but connects as uid 65534, so it
 *          reaches the socket: the server must close the connection without a HELLO, and
 *          CreateRemote must return NULL. The port keeps serving its own user.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <stdio.h>
#include <unistd.h>

static void cfmp_check_refused(const char *mode) {
    struct cfmp_thread_server server = {.name = cfmp_test_name(mode), .callout = cfmp_test_echo};
    cfmp_thread_server_start(&server);
    struct cfmp_peer peer;
    assert_true(cfmp_peer_start(&peer, "refused-client", server.name, mode));
    assert_int_equal(cfmp_peer_wait(&peer, 60 * cfmp_test_scale()), 0);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, server.name);
    assert_non_null(remote);
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 5, 10 * cfmp_test_scale(),
                                              kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    CFRelease(reply);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(server.name);
}

static void test_other_uid_is_refused_by_the_runtime_dir(void **state) {
    (void)state;
    cfmp_check_refused("full");
}

static void test_other_uid_is_refused_by_peer_credentials(void **state) {
    (void)state;
    cfmp_check_refused("fsuid");
}

int main(void) {
    if (geteuid() != 0) {
        printf("test_cfmp_uid: SKIPPED: not root, so no other uid to drop to\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_other_uid_is_refused_by_the_runtime_dir),
        cmocka_unit_test(test_other_uid_is_refused_by_peer_credentials),
    };
    return cmocka_run_group_tests_name("libcfmp_uid", tests, cfmp_test_runtime_dir_setup, cfmp_test_runtime_dir_teardown);
}
