/*
 * cfmp_test_util.c — see cfmp_test_util.h.
 */
#include "cfmp_test_util.h"
#include "cfmp_test_config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char cfmp_test_dir[PATH_MAX];

int cfmp_test_runtime_dir_setup(void **state) {
    (void)state;
    snprintf(cfmp_test_dir, sizeof cfmp_test_dir, "/tmp/cfmp-test-XXXXXX");
    if (mkdtemp(cfmp_test_dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    setenv("CFMP_RUNTIME_DIR", cfmp_test_dir, 1);
    return 0;
}

int cfmp_test_runtime_dir_teardown(void **state) {
    (void)state;
    DIR *dir = opendir(cfmp_test_dir);
    if (dir == NULL) return 0;
    struct dirent *entry;
    char path[PATH_MAX + 256];
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", cfmp_test_dir, entry->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(cfmp_test_dir);
    return 0;
}

const char *cfmp_test_runtime_dir(void) { return cfmp_test_dir; }

double cfmp_test_scale(void) {
    const char *env = getenv("CFMP_TEST_TIME_SCALE");
    if (env != NULL && atof(env) > 0) return atof(env);
    return CFMP_TEST_TIME_MULTIPLIER;
}

double cfmp_test_now_s(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void cfmp_test_sleep_s(double seconds) {
    struct timespec delay = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
    }
}

CFStringRef cfmp_test_name(const char *tag) {
    static int counter;
    char name[128];
    snprintf(name, sizeof name, "cfmp.test.%ld.%s.%d", (long)getpid(), tag, ++counter);
    return CFStringCreateWithCString(NULL, name, kCFStringEncodingUTF8);
}

void cfmp_test_sock_path(CFStringRef name, char *path, size_t size) {
    char text[256];
    CFStringGetCString(name, text, sizeof text, kCFStringEncodingUTF8);
    snprintf(path, size, "%s/p-%s.sock", cfmp_test_dir, text);
}

static bool cfmp_peer_read_ready(struct cfmp_peer *peer, double timeout_s) {
    char line[64];
    size_t used = 0;
    double deadline = cfmp_test_now_s() + timeout_s;
    while (used < sizeof line - 1) {
        double left = deadline - cfmp_test_now_s();
        if (left <= 0) return false;
        struct pollfd poll_fd = {peer->stdout_fd, POLLIN, 0};
        if (poll(&poll_fd, 1, (int)(left * 1000) + 1) <= 0) continue;
        ssize_t got = read(peer->stdout_fd, line + used, 1);
        if (got <= 0) return false;
        used += (size_t)got;
        if (line[used - 1] == '\n') {
            line[used] = '\0';
            return strncmp(line, "READY", 5) == 0;
        }
    }
    return false;
}

bool cfmp_peer_start(struct cfmp_peer *peer, const char *role, CFStringRef name,
                     const char *argument) {
    char name_text[256] = "";
    if (name != NULL) CFStringGetCString(name, name_text, sizeof name_text, kCFStringEncodingUTF8);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) abort();
    const char *launcher[] = CFMP_TEST_LAUNCHER;
    const char *argv[64];
    size_t argc = 0;
    for (size_t i = 0; launcher[i] != NULL; i++) argv[argc++] = launcher[i];
    argv[argc++] = CFMP_TEST_PEER_PATH;
    argv[argc++] = role;
    argv[argc++] = name_text;
    if (argument != NULL) argv[argc++] = argument;
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipe_fds[1]);
    peer->pid = pid;
    peer->stdout_fd = pipe_fds[0];
    return cfmp_peer_read_ready(peer, 20.0 * cfmp_test_scale());
}

int cfmp_peer_wait(struct cfmp_peer *peer, double timeout_s) {
    double deadline = cfmp_test_now_s() + timeout_s;
    int status = 0;
    for (;;) {
        pid_t done = waitpid(peer->pid, &status, WNOHANG);
        if (done == peer->pid) break;
        if (cfmp_test_now_s() > deadline) {
            cfmp_peer_kill(peer);
            return -1;
        }
        cfmp_test_sleep_s(0.005);
    }
    if (peer->stdout_fd >= 0) close(peer->stdout_fd);
    peer->stdout_fd = -1;
    peer->pid = 0;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

void cfmp_peer_kill(struct cfmp_peer *peer) {
    if (peer->pid <= 0) return;
    kill(peer->pid, SIGKILL);
    waitpid(peer->pid, NULL, 0);
    if (peer->stdout_fd >= 0) close(peer->stdout_fd);
    peer->stdout_fd = -1;
    peer->pid = 0;
}

int cfmp_test_count_fds(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(dir);
    return count - 1; /* the directory stream itself */
}

CFDataRef cfmp_test_data(const char *text) {
    return CFDataCreate(NULL, (const UInt8 *)text, (CFIndex)strlen(text));
}

CFDataRef cfmp_test_echo(CFMessagePortRef local, SInt32 msgid, CFDataRef data, void *info) {
    (void)local;
    (void)msgid;
    (void)info;
    return CFDataCreateCopy(NULL, data);
}

bool cfmp_test_data_equals(CFDataRef data, const char *text) {
    size_t length = strlen(text);
    return data != NULL && (size_t)CFDataGetLength(data) == length &&
           memcmp(CFDataGetBytePtr(data), text, length) == 0;
}

static void *cfmp_thread_server_main(void *argument) {
    struct cfmp_thread_server *server = argument;
    CFMessagePortContext context = {0, server->info, NULL, NULL, NULL};
    if (server->context != NULL) context = *server->context;
    Boolean should_free = false;
    server->port = CFMessagePortCreateLocal(NULL, server->name, server->callout, &context,
                                            &should_free);
    if (server->port == NULL) abort();
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, server->port, 0);
    server->run_loop = CFRunLoopGetCurrent();
    CFRunLoopAddSource(server->run_loop, source, server->mode ? server->mode
                                                              : kCFRunLoopDefaultMode);
    CFRelease(source);
    __atomic_store_n(&server->ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&server->ready, __ATOMIC_SEQ_CST) == 1) {
        CFRunLoopRunInMode(server->mode ? server->mode : kCFRunLoopDefaultMode, 10.0, false);
    }
    return NULL;
}

void cfmp_thread_server_start(struct cfmp_thread_server *server) {
    server->ready = 0;
    pthread_t thread;
    if (pthread_create(&thread, NULL, cfmp_thread_server_main, server) != 0) abort();
    server->thread = (uint64_t)thread;
    while (__atomic_load_n(&server->ready, __ATOMIC_SEQ_CST) == 0) cfmp_test_sleep_s(0.001);
}

void cfmp_thread_server_stop(struct cfmp_thread_server *server) {
    __atomic_store_n(&server->ready, 2, __ATOMIC_SEQ_CST);
    CFRunLoopStop(server->run_loop);
    pthread_join((pthread_t)server->thread, NULL);
    CFMessagePortInvalidate(server->port);
    CFRelease(server->port);
    server->port = NULL;
}
