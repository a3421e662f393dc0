/*
 * cfmp_platform_linux.c — the Linux-specific system calls: futexes on shared memory, memfd,
 * the per-user runtime directory, peer credentials and thread identity.
 */
#include "cfmp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void cfmp_close(int fd) {
    if (fd < 0) return;
    int saved = errno;
    (void)close(fd); /* on Linux the fd is released even when close reports EINTR */
    errno = saved;
}

int cfmp_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
    assert(word != NULL);
    struct timespec timeout = {(time_t)(timeout_ns / CFMP_NS_PER_S),
                               (long)(timeout_ns % CFMP_NS_PER_S)};
    /* Not FUTEX_PRIVATE: the word lives in memory shared between processes. */
    assert(timeout.tv_nsec >= 0 && timeout.tv_nsec < (long)CFMP_NS_PER_S);
    long rc = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, &timeout, NULL, 0);
    return rc == 0 ? 0 : errno;
}

void cfmp_futex_wake_one(_Atomic uint32_t *word) {
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void cfmp_futex_wake_all(_Atomic uint32_t *word) {
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

int cfmp_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

bool cfmp_is_main_thread(void) {
    return (pid_t)syscall(SYS_gettid) == getpid();
}

bool cfmp_peer_uid(int fd, uid_t *uid, pid_t *pid) {
    assert(fd >= 0 && uid != NULL);
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return false;
    if (length != sizeof credentials) return false;
    *uid = credentials.uid;
    assert(credentials.pid >= 0); /* SO_PEERCRED: 0 when the peer is in another pid namespace */
    if (pid != NULL) *pid = credentials.pid;
    return true;
}

/* A directory we made (or found) is usable only if it is ours, a real directory and private. */
static bool cfmp_private_dir_ok(const char *dir) {
    assert(dir != NULL && dir[0] != '\0');
    struct stat status;
    if (lstat(dir, &status) != 0) return false;
    if (!S_ISDIR(status.st_mode)) {
        cfmp_log("runtime dir %s is not a directory", dir);
        return false;
    }
    if (status.st_uid != geteuid() || (status.st_mode & 077) != 0) {
        cfmp_log("runtime dir %s is not private to uid %ld (mode %o, owner %ld)", dir,
                 (long)geteuid(), (unsigned)(status.st_mode & 0777), (long)status.st_uid);
        return false;
    }
    return true;
}

static bool cfmp_make_dir(const char *dir) {
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) return true;
    cfmp_log("mkdir %s: %s", dir, strerror(errno));
    return false;
}

/* CFMP_RUNTIME_DIR (used as given; the caller owns its permissions), else
 * $XDG_RUNTIME_DIR/cfmp, else /tmp/cfmp-<uid>; the last two must be private (0700, ours). */
bool cfmp_runtime_dir(char *dir, size_t dir_size) {
    assert(dir != NULL && dir_size > 0);
    const char *explicit_dir = getenv("CFMP_RUNTIME_DIR");
    if (explicit_dir != NULL && explicit_dir[0] != '\0') {
        if ((size_t)snprintf(dir, dir_size, "%s", explicit_dir) >= dir_size) return false;
        return cfmp_make_dir(dir);
    }
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int written = xdg != NULL && xdg[0] == '/'
                      ? snprintf(dir, dir_size, "%s/cfmp", xdg)
                      : snprintf(dir, dir_size, "/tmp/cfmp-%ld", (long)geteuid());
    if (written < 0 || (size_t)written >= dir_size) return false;
    if (!cfmp_make_dir(dir)) return false;
    assert(dir[0] == '/'); /* both defaults are absolute */
    return cfmp_private_dir_ok(dir);
}
