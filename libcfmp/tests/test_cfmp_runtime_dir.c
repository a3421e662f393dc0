/*
 * test_cfmp_runtime_dir.c — the runtime directory, where every port's socket lives. A name
 * whose socket path does not fit sun_path (108 bytes) is hashed to 34 bytes; in a directory too
 * long even for that, CreateLocal and CreateRemote of such names fail, and libcfmp says so once
 * on stderr, with the fix, whatever CFMP_LOG says. A directory of the longest usable length
 * (67 bytes) serves every name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A directory under the test's own runtime dir, padded to exactly `length` bytes. */
static void cfmp_padded_dir(char *dir, size_t size, size_t length) {
    const char *base = cfmp_test_runtime_dir();
    assert_true(strlen(base) + 2 < length && length < size);
    int n = snprintf(dir, size, "%s/", base);
    memset(dir + n, 'd', length - (size_t)n);
    dir[length] = '\0';
    assert_int_equal(strlen(dir), length);
}

/* Removes `dir` and the files left in it (sockets and locks). */
static void cfmp_remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *entry;
    char path[PATH_MAX + 256];
    while ((entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        unlink(path);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

/* Runs `body` with stderr sent to a file, and returns what it wrote (caller frees). */
static char *cfmp_stderr_of(void (*body)(void)) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/stderr.txt", cfmp_test_runtime_dir());
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    dup2(fileno(f), STDERR_FILENO);
    body();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    rewind(f);
    char *text = calloc((size_t)end + 1, 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)end, f), (size_t)end);
    fclose(f);
    unlink(path);
    return text;
}

/* A name long enough to be hashed in any runtime directory. */
#define CFMP_LONG_NAME "com.portsim.runtime-dir.a-name-long-enough-to-be-hashed-in-any-directory"

static bool cfmp_local_made, cfmp_remote_made;

/* A CreateLocal and a CreateRemote of the long name (asserted by the caller: stderr is a file here). */
static void cfmp_create_both(void) {
    CFStringRef name = CFStringCreateWithCString(NULL, CFMP_LONG_NAME, kCFStringEncodingUTF8);
    CFMessagePortContext context = {0};
    Boolean should_free = true;
    CFMessagePortRef local = CFMessagePortCreateLocal(NULL, name, cfmp_test_echo, &context, &should_free);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    cfmp_local_made = local != NULL;
    cfmp_remote_made = remote != NULL;
    if (remote != NULL) CFRelease(remote);
    if (local != NULL) {
        CFMessagePortInvalidate(local);
        CFRelease(local);
    }
    CFRelease(name);
}

static void test_runtime_dir_too_long_is_said_once(void **state) {
    (void)state;
    char dir[PATH_MAX];
    cfmp_padded_dir(dir, sizeof dir, 68); /* one byte over: 68 + "/h-" + 32 + ".sock" = 108 */
    assert_int_equal(mkdir(dir, 0700), 0);
    setenv("CFMP_RUNTIME_DIR", dir, 1);
    unsetenv("CFMP_LOG");
    char *text = cfmp_stderr_of(cfmp_create_both);
    setenv("CFMP_RUNTIME_DIR", cfmp_test_runtime_dir(), 1);
    cfmp_remove_dir(dir);
    assert_false(cfmp_local_made);
    assert_false(cfmp_remote_made);
    const char *said = strstr(text, "is too long for socket paths (68 bytes; at most 67 fit every name)");
    if (said == NULL || strstr(text, "set CFMP_RUNTIME_DIR") == NULL || strstr(said + strlen("is too long"), "too long") != NULL /* once */) {
        fail_msg("expected one line naming the directory and the fix, got: %s", text);
    }
    assert_non_null(strstr(text, dir));
    free(text);
}

static void test_runtime_dir_of_the_longest_usable_length_works(void **state) {
    (void)state;
    char dir[PATH_MAX];
    cfmp_padded_dir(dir, sizeof dir, 67);
    assert_int_equal(mkdir(dir, 0700), 0);
    setenv("CFMP_RUNTIME_DIR", dir, 1);
    CFStringRef name = CFStringCreateWithCString(NULL, CFMP_LONG_NAME, kCFStringEncodingUTF8);
    struct cfmp_thread_server server = {.name = name, .callout = cfmp_test_echo};
    cfmp_thread_server_start(&server);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    assert_non_null(remote);
    CFDataRef reply = NULL;
    assert_int_equal(CFMessagePortSendRequest(remote, 1, NULL, 5, 10 * cfmp_test_scale(), kCFRunLoopDefaultMode, &reply),
                     kCFMessagePortSuccess);
    CFRelease(reply);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    cfmp_thread_server_stop(&server);
    CFRelease(name);
    setenv("CFMP_RUNTIME_DIR", cfmp_test_runtime_dir(), 1);
    cfmp_remove_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_dir_too_long_is_said_once),
        cmocka_unit_test(test_runtime_dir_of_the_longest_usable_length_works),
    };
    return cmocka_run_group_tests_name("libcfmp_runtime_dir", tests, cfmp_test_runtime_dir_setup,
                                       cfmp_test_runtime_dir_teardown);
}
