/*
 * bench_raw.c — the floor: a SOCK_SEQPACKET socketpair ping-pong with blocking read/write,
 * no framing, no run loop. The endpoint is the fd number the server inherits.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int raw_serve(const char *endpoint, int ready_fd) {
    int fd = atoi(endpoint);
    uint8_t buffer[65536];
    if (write(ready_fd, "R", 1) != 1) return 1;
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got <= 0) return 0;
        if (write(fd, buffer, (size_t)got) != got) return 1;
    }
}

struct raw_client {
    int fd;
    uint8_t reply[65536];
};

static void *raw_connect(const char *endpoint) {
    struct raw_client *client = malloc(sizeof *client);
    client->fd = atoi(endpoint);
    return client;
}

static bool raw_roundtrip(void *opaque, const uint8_t *request, size_t length) {
    struct raw_client *client = opaque;
    if (write(client->fd, request, length) != (ssize_t)length) return false;
    ssize_t got = read(client->fd, client->reply, sizeof client->reply);
    return got == (ssize_t)length && memcmp(client->reply, request, length) == 0;
}

static void raw_stop(void *opaque) {
    struct raw_client *client = opaque;
    close(client->fd);
    free(client);
}

const struct bench_transport bench_raw_transport = {"raw AF_UNIX socketpair", raw_serve,
                                                    raw_connect, raw_roundtrip, raw_stop};

/* The event-loop floor: the same ping-pong, but each side waits in epoll_wait before reading,
 * as any run loop (libcfmp's, libuv's) does. Shows what an event loop costs on this kernel. */
static void raw_epoll_wait_readable(int epoll_fd) {
    struct epoll_event event;
    while (epoll_wait(epoll_fd, &event, 1, -1) != 1) {
    }
}

static int raw_epoll_for(int fd) {
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) abort();
    return epoll_fd;
}

static int raw_epoll_serve(const char *endpoint, int ready_fd) {
    int fd = atoi(endpoint);
    int epoll_fd = raw_epoll_for(fd);
    uint8_t buffer[65536];
    if (write(ready_fd, "R", 1) != 1) return 1;
    for (;;) {
        raw_epoll_wait_readable(epoll_fd);
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got <= 0) return 0;
        if (write(fd, buffer, (size_t)got) != got) return 1;
    }
}

struct raw_epoll_client {
    struct raw_client raw;
    int epoll_fd;
};

static void *raw_epoll_connect(const char *endpoint) {
    struct raw_epoll_client *client = malloc(sizeof *client);
    client->raw.fd = atoi(endpoint);
    client->epoll_fd = raw_epoll_for(client->raw.fd);
    return client;
}

static bool raw_epoll_roundtrip(void *opaque, const uint8_t *request, size_t length) {
    struct raw_epoll_client *client = opaque;
    if (write(client->raw.fd, request, length) != (ssize_t)length) return false;
    raw_epoll_wait_readable(client->epoll_fd);
    ssize_t got = read(client->raw.fd, client->raw.reply, sizeof client->raw.reply);
    return got == (ssize_t)length && memcmp(client->raw.reply, request, length) == 0;
}

static void raw_epoll_stop(void *opaque) {
    struct raw_epoll_client *client = opaque;
    close(client->epoll_fd);
    close(client->raw.fd);
    free(client);
}

const struct bench_transport bench_raw_epoll_transport = {
    "raw AF_UNIX + epoll_wait", raw_epoll_serve, raw_epoll_connect, raw_epoll_roundtrip,
    raw_epoll_stop};

/* The spinning floor: the same ping-pong, but each side first polls with non-blocking reads for
 * up to the window libcfmp spins (CFMP_SPIN_US, default 50 us, as cfmp_internal.h), then blocks.
 * libcfmp's reply wait and run loop spin so; against the blocking floor alone an idle host
 * credits libcfmp with the spin, a busy one debits it; libcfmp is judged against the faster. */
static uint64_t raw_spin_window_ns(void) {
    const char *us = getenv("CFMP_SPIN_US");
    if (us == NULL || *us == '\0') return 50000;
    return (uint64_t)strtoul(us, NULL, 10) * 1000u;
}

static ssize_t raw_spin_read(int fd, uint8_t *buffer, size_t cap, uint64_t window_ns) {
    uint64_t start_ns = bench_now_ns();
    for (;;) { /* bounded by the window */
        ssize_t got = recv(fd, buffer, cap, MSG_DONTWAIT);
        if (got >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return got;
        if (bench_now_ns() - start_ns >= window_ns) break;
    }
    return read(fd, buffer, cap);
}

static int raw_spin_serve(const char *endpoint, int ready_fd) {
    int fd = atoi(endpoint);
    uint64_t window_ns = raw_spin_window_ns();
    uint8_t buffer[65536];
    if (write(ready_fd, "R", 1) != 1) return 1;
    for (;;) {
        ssize_t got = raw_spin_read(fd, buffer, sizeof buffer, window_ns);
        if (got <= 0) return 0;
        if (write(fd, buffer, (size_t)got) != got) return 1;
    }
}

struct raw_spin_client {
    struct raw_client raw;
    uint64_t window_ns;
};

static void *raw_spin_connect(const char *endpoint) {
    struct raw_spin_client *client = malloc(sizeof *client);
    client->raw.fd = atoi(endpoint);
    client->window_ns = raw_spin_window_ns();
    return client;
}

static bool raw_spin_roundtrip(void *opaque, const uint8_t *request, size_t length) {
    struct raw_spin_client *client = opaque;
    if (write(client->raw.fd, request, length) != (ssize_t)length) return false;
    ssize_t got = raw_spin_read(client->raw.fd, client->raw.reply, sizeof client->raw.reply, client->window_ns);
    return got == (ssize_t)length && memcmp(client->raw.reply, request, length) == 0;
}

const struct bench_transport bench_raw_spin_transport = {"raw AF_UNIX, spinning reads", raw_spin_serve,
                                                         raw_spin_connect, raw_spin_roundtrip, raw_stop};
