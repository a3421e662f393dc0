/*
 * cfmp_manager.c — one background thread per process, started on first use. It does what the
 * kernel and launchd do for Mach ports: accepts connections to named local ports (so a sender
 * can connect while the server is busy or unscheduled, R51), notices the death of a remote's
 * server port (its socket closing, or the death notice of the HELLO hanging up when the port
 * is invalidated; R56: marks it dead at once, then invalidates it on the main queue) and, for ports
 * with a dispatch queue, takes requests off the socket as they arrive (R49, R50a).
 * Watches are found by id under the manager lock; handlers run without it.
 */
#include "cfmp_port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CFMP_MANAGER_EVENTS 16

enum cfmp_watch_kind { CFMP_WATCH_ACCEPT, CFMP_WATCH_PEER, CFMP_WATCH_QUEUE };

struct cfmp_watch {
    uint64_t id;
    enum cfmp_watch_kind kind;
    struct cfmp_fdref *fdref;
    struct cfmp_listener *listener; /* ACCEPT, QUEUE */
    struct cfmp_client *client;     /* PEER */
    CFMessagePortRef port;          /* PEER, QUEUE: weak */
};

#define CFMP_MANAGER_QUIT_ID 0u

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    int epoll_fd;
    int quit_fd;
    pid_t pid;
    pthread_t thread;
    struct cfmp_watch *watches;
    size_t count;
    size_t capacity;
    uint64_t next_id;
} cfmp_manager = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .epoll_fd = -1,
                  .quit_fd = -1, .next_id = 1};

/* A watch of one kind holds exactly what that kind needs: an fd, and a listener (ACCEPT,
 * QUEUE), a client (PEER), a weak port (PEER, QUEUE). O(1). */
static bool cfmp_watch_validate(const struct cfmp_watch *watch) {
    if (watch == NULL || watch->fdref == NULL) return false;
    switch (watch->kind) {
    case CFMP_WATCH_ACCEPT: return watch->listener != NULL && watch->client == NULL && watch->port == NULL;
    case CFMP_WATCH_PEER: return watch->client != NULL && watch->listener == NULL && watch->port != NULL;
    case CFMP_WATCH_QUEUE: return watch->listener != NULL && watch->client == NULL && watch->port != NULL;
    default: return false;
    }
}

static void cfmp_watch_release(struct cfmp_watch *watch) {
    assert(cfmp_watch_validate(watch));
    cfmp_fdref_release(watch->fdref);
    cfmp_listener_release(watch->listener);
    cfmp_client_release(watch->client);
}

/* Copies the watch with id (retaining what it points to); false if gone or port dying. */
static bool cfmp_manager_copy_watch(uint64_t id, struct cfmp_watch *copy) {
    assert(id != CFMP_MANAGER_QUIT_ID && copy != NULL);
    bool found = false;
    pthread_mutex_lock(&cfmp_manager.lock);
    assert(cfmp_manager.count <= cfmp_manager.capacity);
    for (size_t i = 0; i < cfmp_manager.count; i++) {
        struct cfmp_watch *watch = &cfmp_manager.watches[i];
        if (watch->id != id) continue;
        if (watch->port != NULL && !cfmp_object_try_retain(watch->port)) break;
        *copy = *watch;
        copy->fdref = cfmp_fdref_retain(watch->fdref);
        if (copy->listener != NULL) cfmp_listener_retain(copy->listener);
        if (copy->client != NULL) cfmp_client_retain(copy->client);
        found = true;
        break;
    }
    pthread_mutex_unlock(&cfmp_manager.lock);
    assert(!found || (copy->id == id && cfmp_watch_validate(copy))); /* exit */
    return found;
}

static void cfmp_manager_handle(uint64_t id) {
    assert(id != CFMP_MANAGER_QUIT_ID); /* cfmp_manager_main returns on it */
    struct cfmp_watch watch;
    if (!cfmp_manager_copy_watch(id, &watch)) return;
    switch (watch.kind) {
    case CFMP_WATCH_ACCEPT:
        cfmp_listener_accept(watch.listener);
        break;
    case CFMP_WATCH_PEER:
        atomic_store(&watch.client->dead, true);
        cfmp_futex_wake_all(&watch.client->queue->count); /* blocked senders give up (-4) */
        cfmp_port_peer_died(watch.port);
        break;
    case CFMP_WATCH_QUEUE:
        cfmp_port_queue_readable(watch.port, watch.listener);
        break;
    default:
        assert(false);
    }
    if (watch.port != NULL) CFRelease(watch.port);
    cfmp_watch_release(&watch);
}

static void *cfmp_manager_main(void *argument) {
    assert(argument == NULL);
    assert(cfmp_manager.epoll_fd >= 0); /* cfmp_manager_start */
    (void)argument;
    struct epoll_event events[CFMP_MANAGER_EVENTS];
    for (;;) { /* the manager lives until the process exits */
        int count = epoll_wait(cfmp_manager.epoll_fd, events, CFMP_MANAGER_EVENTS, -1);
        if (count < 0 && errno != EINTR) {
            perror("libcfmp: manager epoll_wait");
            abort();
        }
        assert(count <= CFMP_MANAGER_EVENTS);
        for (int i = 0; i < count; i++) {
            if (events[i].data.u64 == CFMP_MANAGER_QUIT_ID) return NULL;
            cfmp_manager_handle(events[i].data.u64);
        }
    }
}

/* At exit the thread is stopped and joined, so that a clean process leaves nothing behind
 * (Valgrind reports the stacks of live threads as possibly lost). Not in a forked child,
 * which has no manager thread. */
static void cfmp_manager_shutdown(void) {
    if (getpid() != cfmp_manager.pid) return;
    assert(cfmp_manager.quit_fd >= 0); /* registered by cfmp_manager_start */
    uint64_t one = 1;
    if (write(cfmp_manager.quit_fd, &one, sizeof one) != (ssize_t)sizeof one) return;
    pthread_join(cfmp_manager.thread, NULL);
}

static void cfmp_manager_start(void) {
    assert(cfmp_manager.epoll_fd == -1 && cfmp_manager.quit_fd == -1); /* once (pthread_once) */
    cfmp_manager.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (cfmp_manager.epoll_fd < 0) {
        perror("libcfmp: epoll_create1");
        abort();
    }
    cfmp_manager.quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = CFMP_MANAGER_QUIT_ID};
    if (cfmp_manager.quit_fd < 0 ||
        epoll_ctl(cfmp_manager.epoll_fd, EPOLL_CTL_ADD, cfmp_manager.quit_fd, &event) != 0) {
        perror("libcfmp: manager eventfd");
        abort();
    }
    int rc = pthread_create(&cfmp_manager.thread, NULL, cfmp_manager_main, NULL);
    if (rc != 0) {
        fprintf(stderr, "libcfmp: cannot start the manager thread: %s\n", strerror(rc));
        abort();
    }
    cfmp_manager.pid = getpid();
    assert(cfmp_manager.epoll_fd >= 0 && cfmp_manager.quit_fd >= 0); /* exit: running */
    atexit(cfmp_manager_shutdown);
}

static uint64_t cfmp_manager_add(struct cfmp_watch watch, uint32_t events) {
    assert(watch.id == 0 && cfmp_watch_validate(&watch));
    assert(events != 0);
    pthread_once(&cfmp_manager.once, cfmp_manager_start);
    pthread_mutex_lock(&cfmp_manager.lock);
    watch.id = cfmp_manager.next_id++;
    struct epoll_event event = {.events = events, .data.u64 = watch.id};
    if (epoll_ctl(cfmp_manager.epoll_fd, EPOLL_CTL_ADD, watch.fdref->fd, &event) != 0) {
        pthread_mutex_unlock(&cfmp_manager.lock);
        cfmp_log("manager: epoll_ctl ADD: %s", strerror(errno));
        cfmp_watch_release(&watch);
        return 0;
    }
    if (cfmp_manager.count == cfmp_manager.capacity) {
        size_t capacity = cfmp_manager.capacity ? cfmp_manager.capacity * 2 : 16;
        struct cfmp_watch *grown = realloc(cfmp_manager.watches, capacity * sizeof *grown);
        if (grown == NULL) abort();
        cfmp_manager.watches = grown;
        cfmp_manager.capacity = capacity;
    }
    cfmp_manager.watches[cfmp_manager.count++] = watch;
    assert(cfmp_manager.count <= cfmp_manager.capacity && watch.id != CFMP_MANAGER_QUIT_ID);
    pthread_mutex_unlock(&cfmp_manager.lock);
    return watch.id;
}

uint64_t cfmp_manager_watch_accept(struct cfmp_listener *listener) {
    assert(listener != NULL);
    struct cfmp_fdref *fdref = cfmp_listener_copy_listen_fd(listener);
    if (fdref == NULL) return 0; /* closed meanwhile */
    assert(fdref->fd >= 0);
    struct cfmp_watch watch = {0, CFMP_WATCH_ACCEPT, fdref, cfmp_listener_retain(listener), NULL,
                               NULL};
    return cfmp_manager_add(watch, EPOLLIN);
}

uint64_t cfmp_manager_watch_peer(CFMessagePortRef port, struct cfmp_client *client,
                                 struct cfmp_fdref *fdref) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(port->remote && client != NULL && client->fdref != NULL);
    assert(fdref == client->fdref || fdref == client->death_fdref);
    struct cfmp_watch watch = {0, CFMP_WATCH_PEER, cfmp_fdref_retain(fdref), NULL,
                               cfmp_client_retain(client), port};
    return cfmp_manager_add(watch, EPOLLRDHUP | EPOLLONESHOT); /* HUP/ERR are implied */
}

uint64_t cfmp_manager_watch_queue(CFMessagePortRef port, struct cfmp_listener *listener) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(!port->remote && listener != NULL && listener->pollset != NULL);
    struct cfmp_watch watch = {0, CFMP_WATCH_QUEUE, cfmp_fdref_retain(listener->pollset),
                               cfmp_listener_retain(listener), NULL, port};
    return cfmp_manager_add(watch, EPOLLIN);
}

void cfmp_manager_unwatch(uint64_t id) {
    if (id == 0) return;
    struct cfmp_watch removed;
    bool found = false;
    pthread_mutex_lock(&cfmp_manager.lock);
    assert(cfmp_manager.count <= cfmp_manager.capacity);
    for (size_t i = 0; i < cfmp_manager.count; i++) {
        if (cfmp_manager.watches[i].id != id) continue;
        removed = cfmp_manager.watches[i];
        cfmp_manager.watches[i] = cfmp_manager.watches[--cfmp_manager.count];
        (void)epoll_ctl(cfmp_manager.epoll_fd, EPOLL_CTL_DEL, removed.fdref->fd, NULL);
        found = true;
        break;
    }
    pthread_mutex_unlock(&cfmp_manager.lock);
    assert(!found || removed.id == id);
    if (found) cfmp_watch_release(&removed);
}
