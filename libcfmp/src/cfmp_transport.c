/*
 * cfmp_transport.c — name registration, listeners and client connections.
 * See cfmp_transport.h.
 */
#include "cfmp_transport.h"
#include "cfmp_mutants.h" /* CFMP_MUTATE(...): compile-time mutants, off in real builds */
#include "cfmp_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFMP_LOCK_ATTEMPTS 8
#define CFMP_ACCEPT_BATCH 32
#define CFMP_HELLO_TIMEOUT_MS_DEFAULT 5000
#define CFMP_HELLO_SEND_NS (200ull * 1000ull * 1000ull)
#define CFMP_SLOT_WAIT_SLICE_NS (50ull * 1000ull * 1000ull)

/* ---- names to paths ------------------------------------------------------------------------ */

static uint64_t cfmp_fnv1a(const char *bytes, size_t length, uint64_t seed) {
    assert(bytes != NULL || length == 0);
    uint64_t hash = seed;
    for (size_t i = 0; i < length; i++) hash = (hash ^ (uint8_t)bytes[i]) * 1099511628211ull;
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdull;
    hash ^= hash >> 33;
    return hash;
}

/* <base>: "p-" + the name with bytes outside [A-Za-z0-9._-] as %XX, or "h-" + 128-bit hash
 * when the socket path would not fit. */
static bool cfmp_name_base(const char *dir, const char *name, size_t length, char *base,
                           size_t base_size, size_t sun_path_size) {
    assert(dir != NULL && name != NULL && base != NULL);
    assert(base_size >= 36 && sun_path_size > 0); /* room for "h-" and 32 hex digits */
    static const char hex[] = "0123456789abcdef";
    size_t out = 0;
    base[out++] = 'p';
    base[out++] = '-';
    for (size_t i = 0; i < length && out + 4 < base_size; i++) {
        unsigned char c = (unsigned char)name[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (plain) {
            base[out++] = (char)c;
        } else {
            base[out++] = '%';
            base[out++] = hex[c >> 4];
            base[out++] = hex[c & 15];
        }
    }
    base[out] = '\0';
    bool escaped_whole = out + 4 < base_size;
    if (escaped_whole && strlen(dir) + 1 + out + strlen(".sock") < sun_path_size) return true;
    uint64_t high = cfmp_fnv1a(name, length, 1469598103934665603ull);
    uint64_t low = cfmp_fnv1a(name, length, 0x9e3779b97f4a7c15ull);
    int written = snprintf(base, base_size, "h-%016llx%016llx", (unsigned long long)high,
                           (unsigned long long)low);
    return written > 0 && strlen(dir) + 1 + (size_t)written + strlen(".sock") < sun_path_size;
}

/* In a directory this long the names that do not fit (hashed ones included) fail alike, so a
 * program that only checks for NULL ports would learn nothing: say it once on stderr, whatever
 * CFMP_LOG says, with the fix. */
static void cfmp_runtime_dir_too_long(const char *dir, size_t sock_path_size) {
    assert(dir != NULL && sock_path_size > 0);
    static atomic_bool said;
    if (atomic_exchange(&said, true)) return;
    size_t room = sock_path_size - 1 - strlen("/h-") - 32 - strlen(".sock"); /* the hashed base */
    fprintf(stderr,
            "libcfmp: the runtime directory %s is too long for socket paths (%zu bytes; at most %zu fit "
            "every name): ports of longer names cannot be created or looked up; set CFMP_RUNTIME_DIR "
            "(or XDG_RUNTIME_DIR) to a shorter directory\n",
            dir, strlen(dir), room);
}

static bool cfmp_name_paths(const char *name, size_t length, char *sock_path,
                            size_t sock_path_size, char *lock_path, size_t lock_path_size) {
    assert(name != NULL && sock_path != NULL && lock_path != NULL);
    assert(sock_path_size > 0 && lock_path_size > 0);
    char dir[PATH_MAX];
    char base[3 * 256 + 8];
    if (!cfmp_runtime_dir(dir, sizeof dir)) return false;
    if (!cfmp_name_base(dir, name, length, base, sizeof base, sock_path_size)) {
        cfmp_runtime_dir_too_long(dir, sock_path_size);
        return false;
    }
    int a = snprintf(sock_path, sock_path_size, "%s/%s.sock", dir, base);
    int b = snprintf(lock_path, lock_path_size, "%s/%s.lock", dir, base);
    return a > 0 && (size_t)a < sock_path_size && b > 0 && (size_t)b < lock_path_size;
}

/* ---- connections ----------------------------------------------------------------------------- */

struct cfmp_conn *cfmp_conn_retain(struct cfmp_conn *conn) {
    assert(conn != NULL);
    int32_t before = atomic_fetch_add(&conn->refs, 1);
    assert(before > 0);
    (void)before;
    return conn;
}

void cfmp_conn_release(struct cfmp_conn *conn) {
    if (conn == NULL) return;
    int32_t before = atomic_fetch_sub(&conn->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    cfmp_fdref_release(conn->fdref);
    cfmp_region_release(conn->region);
    pthread_mutex_destroy(&conn->lock);
    free(conn);
}

/* R44: a request dropped unanswered because its port is invalid keeps its reply right alive
 * until the server process exits, so its client gets no send-once notification and learns of
 * the death only from the death notice (the main queue) or at its deadline. Here the reply
 * right is the connection's socket: kept open, in this table, for the process's life. Bounded:
 * past CFMP_KEPT_SOCKETS_MAX a connection closes as usual (its client then gets -5 early). */
#define CFMP_KEPT_SOCKETS_MAX 1024u
static struct {
    pthread_mutex_t lock;
    struct cfmp_fdref *fdrefs[CFMP_KEPT_SOCKETS_MAX];
    size_t count;
} cfmp_kept_sockets = {.lock = PTHREAD_MUTEX_INITIALIZER};

void cfmp_conn_keep_reply_right(struct cfmp_conn *conn) {
    assert(conn != NULL && conn->fdref != NULL);
    pthread_mutex_lock(&cfmp_kept_sockets.lock);
    assert(cfmp_kept_sockets.count <= CFMP_KEPT_SOCKETS_MAX);
    bool kept = false;
    for (size_t i = 0; i < cfmp_kept_sockets.count && !kept; i++) {
        kept = cfmp_kept_sockets.fdrefs[i] == conn->fdref;
    }
    bool room = cfmp_kept_sockets.count < CFMP_KEPT_SOCKETS_MAX;
    if (!kept && room) {
        cfmp_kept_sockets.fdrefs[cfmp_kept_sockets.count++] = cfmp_fdref_retain(conn->fdref);
    }
    pthread_mutex_unlock(&cfmp_kept_sockets.lock);
    if (!kept && !room) {
        cfmp_log("more than %u connections with dropped requests: closing one (R44)",
                 CFMP_KEPT_SOCKETS_MAX);
    }
}

/* ---- listeners ------------------------------------------------------------------------------- */

static void cfmp_listener_forget_recent(struct cfmp_listener *listener, struct cfmp_conn *conn);

bool cfmp_listener_validate(const struct cfmp_listener *listener) {
    if (listener == NULL || atomic_load(&listener->refs) <= 0) return false;
    if (listener->pollset == NULL || listener->queue == NULL) return false;
    if (listener->conn_count > listener->conn_capacity) return false;
    if (!listener->closed && (listener->death_read_fd < 0 || listener->death_write_fd < 0)) {
        return false; /* an open port is alive */
    }
    return listener->closed || listener->listen_fdref != NULL;
}

/* Takes the flock of lock_path; retries when the file was replaced under us. */
static int cfmp_lock_name(const char *lock_path) {
    assert(lock_path != NULL && lock_path[0] != '\0'); /* cfmp_name_paths */
    for (int attempt = 0; attempt < CFMP_LOCK_ATTEMPTS; attempt++) {
        int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            cfmp_log("open %s: %s", lock_path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            cfmp_close(fd); /* a live owner holds it (R16) */
            return -1;
        }
        struct stat held;
        struct stat named;
        if (fstat(fd, &held) == 0 && stat(lock_path, &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
            assert(fd >= 0); /* exit: held, and still the file of that name */
            return fd;
        }
        cfmp_close(fd); /* the previous owner unlinked it after we opened it: try again */
    }
    return -1;
}

static int cfmp_listen_socket(const char *sock_path) {
    assert(sock_path != NULL);
    assert(strlen(sock_path) < sizeof(((struct sockaddr_un *)0)->sun_path)); /* cfmp_name_paths */
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", sock_path);
    if (unlink(sock_path) != 0 && errno != ENOENT) cfmp_log("unlink %s: %s", sock_path, strerror(errno));
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 128) != 0) {
        cfmp_log("bind/listen %s: %s", sock_path, strerror(errno));
        cfmp_close(fd);
        return -1;
    }
    return fd;
}

/* The queue counter lives in a sealed memfd (size fixed, so a mapping can never SIGBUS). */
static struct cfmp_shared_queue *cfmp_queue_create(int *queue_fd) {
    assert(queue_fd != NULL && *queue_fd == -1); /* cfmp_listener_alloc */
    int fd = cfmp_memfd_create("cfmp-queue");
    if (fd < 0 || ftruncate(fd, CFMP_SHARED_QUEUE_SIZE) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        cfmp_close(fd);
        return NULL;
    }
    void *mapping = mmap(NULL, CFMP_SHARED_QUEUE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapping == MAP_FAILED) {
        cfmp_close(fd);
        return NULL;
    }
    struct cfmp_shared_queue *queue = mapping;
    queue->magic = CFMP_SHARED_QUEUE_MAGIC;
    queue->limit = CFMP_QUEUE_LIMIT;
    *queue_fd = fd;
    assert(*queue_fd >= 0);
    return queue;
}

/* The endpoint of a queue memfd (R26); false if fstat fails. */
static bool cfmp_endpoint_of(int fd, struct cfmp_endpoint *endpoint) {
    assert(fd >= 0 && endpoint != NULL);
    struct stat status;
    if (fstat(fd, &status) != 0) return false;
    endpoint->dev = (uint64_t)status.st_dev;
    endpoint->ino = (uint64_t)status.st_ino;
    return true;
}

static struct cfmp_listener *cfmp_listener_alloc(const char *name, size_t length) {
    assert(name != NULL || length == 0);
    struct cfmp_listener *listener = calloc(1, sizeof *listener);
    if (listener == NULL) abort();
    atomic_init(&listener->refs, 1);
    pthread_mutex_init(&listener->lock, NULL);
    listener->name = malloc(length + 1);
    if (listener->name == NULL) abort();
    memcpy(listener->name, name, length);
    listener->name[length] = '\0';
    listener->name_length = length;
    listener->lock_fd = -1;
    listener->queue_fd = -1;
    listener->death_read_fd = listener->death_write_fd = -1;
    listener->next_conn_id = 1;
    assert(!listener->closed && listener->name_length == length); /* exit: not yet open */
    return listener;
}

struct cfmp_listener *cfmp_listener_open(const char *name, size_t length) {
    assert(name != NULL);
    struct cfmp_listener *listener = cfmp_listener_alloc(name, length);
    if (!cfmp_name_paths(name, length, listener->sock_path, sizeof listener->sock_path,
                         listener->lock_path, sizeof listener->lock_path)) {
        goto fail;
    }
    listener->lock_fd = cfmp_lock_name(listener->lock_path);
    if (listener->lock_fd < 0) goto fail;
    int listen_fd = cfmp_listen_socket(listener->sock_path);
    int pollset_fd = epoll_create1(EPOLL_CLOEXEC);
    listener->queue = cfmp_queue_create(&listener->queue_fd);
    int death[2] = {-1, -1};
    bool alive = pipe2(death, O_CLOEXEC | O_NONBLOCK) == 0;
    listener->death_read_fd = death[0];
    listener->death_write_fd = death[1];
    if (listen_fd >= 0) listener->listen_fdref = cfmp_fdref_create(listen_fd);
    if (pollset_fd >= 0) listener->pollset = cfmp_fdref_create(pollset_fd);
    bool identified = listener->queue != NULL &&
                      cfmp_endpoint_of(listener->queue_fd, &listener->endpoint);
    if (listen_fd < 0 || pollset_fd < 0 || !identified || !alive) {
        cfmp_listener_close(listener);
        cfmp_listener_release(listener);
        return NULL;
    }
    assert(cfmp_listener_validate(listener));
    return listener;
fail:
    listener->closed = true;
    cfmp_listener_release(listener);
    return NULL;
}

struct cfmp_listener *cfmp_listener_retain(struct cfmp_listener *listener) {
    assert(listener != NULL);
    int32_t before = atomic_fetch_add(&listener->refs, 1);
    assert(before > 0);
    (void)before;
    return listener;
}

void cfmp_listener_release(struct cfmp_listener *listener) {
    if (listener == NULL) return;
    int32_t before = atomic_fetch_sub(&listener->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    assert(listener->closed && listener->conn_count == 0);
    cfmp_fdref_release(listener->listen_fdref);
    cfmp_fdref_release(listener->pollset);
    if (listener->queue != NULL) munmap(listener->queue, CFMP_SHARED_QUEUE_SIZE);
    cfmp_close(listener->queue_fd);
    cfmp_close(listener->death_read_fd);
    assert(listener->death_write_fd < 0); /* closed with the listener */
    cfmp_close(listener->lock_fd);
    free(listener->conns);
    free(listener->name);
    pthread_mutex_destroy(&listener->lock);
    free(listener);
}

void cfmp_listener_close(struct cfmp_listener *listener) {
    assert(listener != NULL);
    assert(atomic_load(&listener->refs) > 0); /* the caller's reference */
    pthread_mutex_lock(&listener->lock);
    if (listener->closed && listener->lock_fd < 0) {
        pthread_mutex_unlock(&listener->lock);
        return;
    }
    listener->closed = true;
    struct cfmp_conn **conns = listener->conns;
    size_t count = listener->conn_count;
    listener->conns = NULL;
    listener->conn_count = listener->conn_capacity = 0;
    struct cfmp_fdref *listen_fdref = listener->listen_fdref;
    listener->listen_fdref = NULL;
    /* Unlink the socket before giving up the lock: the next owner binds a fresh one. */
    if (listen_fdref != NULL) (void)unlink(listener->sock_path);
    (void)unlink(listener->lock_path);
    cfmp_close(listener->lock_fd);
    listener->lock_fd = -1;
    cfmp_close(listener->death_write_fd); /* every client's death notice fires now */
    listener->death_write_fd = -1;
    pthread_mutex_unlock(&listener->lock);
    cfmp_fdref_release(listen_fdref);
    cfmp_listener_forget_recent(listener, NULL);
    for (size_t i = 0; i < count; i++) {
        if (listener->pollset != NULL) {
            (void)epoll_ctl(listener->pollset->fd, EPOLL_CTL_DEL, conns[i]->fdref->fd, NULL);
        }
        /* A connection in use (a callout running) closes when released, after its reply (R46).
         * Its read side shuts now: a new send of the client fails at once (EPIPE: Mach's
         * INVALID_DEST, -4, R33), while the reply can still be written and the client's reply
         * wait is not woken (SHUT_WR would wake it with an EOF before the reply). */
        (void)shutdown(conns[i]->fdref->fd, SHUT_RD);
        cfmp_conn_release(conns[i]);
    }
    free(conns);
}

struct cfmp_fdref *cfmp_listener_copy_listen_fd(struct cfmp_listener *listener) {
    assert(listener != NULL);
    pthread_mutex_lock(&listener->lock);
    assert(cfmp_listener_validate(listener));
    struct cfmp_fdref *fdref = listener->listen_fdref != NULL
                                   ? cfmp_fdref_retain(listener->listen_fdref)
                                   : NULL;
    pthread_mutex_unlock(&listener->lock);
    return fdref;
}

static bool cfmp_send_hello(struct cfmp_listener *listener, int fd) {
    assert(listener != NULL && listener->queue_fd >= 0 && listener->death_read_fd >= 0);
    assert(fd >= 0);
    uint8_t payload[8 + 256];
    int32_t pid = (int32_t)getpid();
    uint32_t name_length = (uint32_t)listener->name_length;
    assert(name_length <= 255);
    memcpy(payload, &pid, 4);
    memcpy(payload + 4, &name_length, 4);
    memcpy(payload + 8, listener->name, name_length);
    struct cfmp_frame_header header = cfmp_frame_header_make(CFMP_FRAME_HELLO, 0, 0);
    uint64_t deadline_ns = cfmp_now_ns() + CFMP_HELLO_SEND_NS;
    int fds[2] = {listener->queue_fd, listener->death_read_fd}; /* cfmp_receive_hello */
    return cfmp_wire_send(fd, header, payload, 8 + name_length, fds, 2, deadline_ns) ==
           CFMP_WIRE_OK;
}

/* Adds an accepted connection to the listener and its pollset; returns it retained, or NULL
 * (fd closed) when the listener is closed or full. */
static struct cfmp_conn *cfmp_listener_add_conn(struct cfmp_listener *listener, int fd,
                                                pid_t peer_pid) {
    assert(listener != NULL && listener->pollset != NULL);
    assert(fd >= 0);
    struct cfmp_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) abort();
    atomic_init(&conn->refs, 1);
    pthread_mutex_init(&conn->lock, NULL);
    conn->fdref = cfmp_fdref_create(fd);
    conn->peer_pid = peer_pid;
    pthread_mutex_lock(&listener->lock);
    assert(cfmp_listener_validate(listener));
    bool full = listener->closed || listener->conn_count >= CFMP_CONNECTIONS_MAX;
    if (!full) {
        conn->id = listener->next_conn_id++;
        if (listener->conn_count == listener->conn_capacity) {
            size_t capacity = listener->conn_capacity ? listener->conn_capacity * 2 : 8;
            struct cfmp_conn **grown = realloc(listener->conns, capacity * sizeof *grown);
            if (grown == NULL) abort();
            listener->conns = grown;
            listener->conn_capacity = capacity;
        }
        listener->conns[listener->conn_count++] = cfmp_conn_retain(conn);
        struct epoll_event event = {.events = EPOLLIN, .data.u64 = conn->id};
        if (epoll_ctl(listener->pollset->fd, EPOLL_CTL_ADD, fd, &event) != 0) abort();
    }
    assert(listener->conn_count <= CFMP_CONNECTIONS_MAX && cfmp_listener_validate(listener));
    pthread_mutex_unlock(&listener->lock);
    if (full) {
        cfmp_log("port %s: refusing connection (closed or %u connections)", listener->name,
                 CFMP_CONNECTIONS_MAX);
        cfmp_conn_release(conn);
        return NULL;
    }
    return conn;
}

/* The connection is in the pollset, with send times on (SO_TIMESTAMPNS), before HELLO: the
 * client sends nothing before HELLO, so every request that a send has returned for is stamped
 * and seen by cfmp_listener_next_ready, which takes them in send order (R42). */
void cfmp_listener_accept(struct cfmp_listener *listener) {
    assert(listener != NULL);
    struct cfmp_fdref *listen_fdref = cfmp_listener_copy_listen_fd(listener);
    if (listen_fdref == NULL) return;
    for (int i = 0; i < CFMP_ACCEPT_BATCH; i++) {
        int fd = accept4(listen_fdref->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        uid_t uid = (uid_t)-1;
        pid_t pid = 0;
        if (!cfmp_peer_uid(fd, &uid, &pid) || uid != geteuid()) {
            cfmp_log("port %s: refusing a connection from uid %ld", listener->name, (long)uid);
            cfmp_close(fd);
            continue;
        }
        int on = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
            cfmp_log("port %s: no send times on a connection (%s): requests of several "
                     "clients may be taken out of order", listener->name, strerror(errno));
        }
        struct cfmp_conn *conn = cfmp_listener_add_conn(listener, fd, pid);
        if (conn == NULL) continue;
        if (!cfmp_send_hello(listener, conn->fdref->fd)) cfmp_listener_drop_conn(listener, conn);
        cfmp_conn_release(conn);
    }
    cfmp_fdref_release(listen_fdref);
}

/* The connection that delivered the last request usually delivers the next one (a client in
 * a request loop); trying it first saves an epoll_wait per request. Only while it is the
 * listener's one connection: with two, a request of the other may have been sent first, and
 * the Mach queue is FIFO over all senders (R42). After a streak of CFMP_RECENT_STREAK_MAX the
 * pollset decides anyway (it also sees connections closing). */
#define CFMP_RECENT_STREAK_MAX 8u
/* Ready connections compared per choice: the ones a run of epoll_wait reports. */
#define CFMP_READY_EVENTS_MAX 64

struct cfmp_conn *cfmp_listener_recent(struct cfmp_listener *listener) {
    assert(listener != NULL);
    pthread_mutex_lock(&listener->lock);
    assert(cfmp_listener_validate(listener));
    struct cfmp_conn *recent = NULL;
    if (listener->recent != NULL && listener->recent_streak < CFMP_RECENT_STREAK_MAX &&
        listener->conn_count == 1) {
        recent = cfmp_conn_retain(listener->recent); /* a failed try does not count */
    }
    assert(listener->recent_streak <= CFMP_RECENT_STREAK_MAX);
    pthread_mutex_unlock(&listener->lock);
    return recent;
}

void cfmp_listener_note_recent(struct cfmp_listener *listener, struct cfmp_conn *conn) {
    assert(listener != NULL);
    assert(conn != NULL && atomic_load(&conn->refs) > 0);
    pthread_mutex_lock(&listener->lock);
    assert(cfmp_listener_validate(listener));
    struct cfmp_conn *previous = listener->recent;
    if (previous != conn) {
        listener->recent = listener->closed ? NULL : cfmp_conn_retain(conn);
        listener->recent_streak = 1;
    } else {
        previous = NULL;
        if (listener->recent_streak < CFMP_RECENT_STREAK_MAX) listener->recent_streak++;
    }
    pthread_mutex_unlock(&listener->lock);
    cfmp_conn_release(previous);
}

static void cfmp_listener_forget_recent(struct cfmp_listener *listener, struct cfmp_conn *conn) {
    assert(listener != NULL);
    pthread_mutex_lock(&listener->lock);
    assert(listener->recent == NULL || atomic_load(&listener->recent->refs) > 0);
    struct cfmp_conn *recent = listener->recent;
    bool drop = recent != NULL && (conn == NULL || recent == conn);
    if (drop) listener->recent = NULL;
    pthread_mutex_unlock(&listener->lock);
    if (drop) cfmp_conn_release(recent);
}

/* The send time of conn's next record: peeked once, then kept until it is read (0: closing
 * or empty, looked at again next time). */
static uint64_t cfmp_conn_head_sent_ns(struct cfmp_conn *conn) {
    assert(conn != NULL && conn->fdref != NULL);
    pthread_mutex_lock(&conn->lock);
    if (conn->head_sent_ns == 0) conn->head_sent_ns = cfmp_wire_peek_sent_ns(conn->fdref->fd);
    uint64_t sent_ns = conn->head_sent_ns;
    pthread_mutex_unlock(&conn->lock);
    return sent_ns;
}

void cfmp_conn_forget_head(struct cfmp_conn *conn) {
    assert(conn != NULL);
    conn->head_sent_ns = 0;
}

/* Of the ready connections, the one whose next record was sent first (the kernel's send time
 * stamps, as one Mach queue keeps arrival order over all senders, R42); a connection without
 * a stamp (closing: its end must be seen) goes first. One ready connection needs no peek. The
 * reported ids are found under one hold of the listener lock (a dropped one is skipped); the
 * peeks, which take each connection's lock, come after it. */
struct cfmp_conn *cfmp_listener_next_ready(struct cfmp_listener *listener) {
    assert(listener != NULL && listener->pollset != NULL);
    struct epoll_event events[CFMP_READY_EVENTS_MAX];
    int count = epoll_wait(listener->pollset->fd, events, CFMP_READY_EVENTS_MAX, 0);
    if (count <= 0) return NULL;
    assert(count <= CFMP_READY_EVENTS_MAX);
    struct cfmp_conn *ready[CFMP_READY_EVENTS_MAX];
    size_t found = 0;
    pthread_mutex_lock(&listener->lock);
    assert(cfmp_listener_validate(listener));
    listener->recent_streak = 0;
    for (int e = 0; e < count; e++) {
        for (size_t i = 0; i < listener->conn_count; i++) {
            if (listener->conns[i]->id != events[e].data.u64) continue;
            ready[found++] = cfmp_conn_retain(listener->conns[i]);
            break;
        }
    }
    pthread_mutex_unlock(&listener->lock);
    assert(found <= (size_t)count);
    struct cfmp_conn *best = NULL;
    uint64_t best_sent_ns = 0;
    for (size_t i = 0; i < found; i++) {
        uint64_t sent_ns = found == 1 || (best != NULL && best_sent_ns == 0)
                               ? 0
                               : cfmp_conn_head_sent_ns(ready[i]);
        if (best == NULL || (best_sent_ns != 0 && sent_ns < best_sent_ns)) {
            cfmp_conn_release(best);
            best = ready[i];
            best_sent_ns = sent_ns;
        } else {
            cfmp_conn_release(ready[i]);
        }
    }
    assert(best == NULL || atomic_load(&best->refs) > 1); /* the listener's and ours */
    return best;
}

void cfmp_listener_drop_conn(struct cfmp_listener *listener, struct cfmp_conn *conn) {
    assert(listener != NULL);
    assert(conn != NULL && atomic_load(&conn->refs) > 0); /* the caller's reference */
    bool found = false;
    pthread_mutex_lock(&listener->lock);
    for (size_t i = 0; i < listener->conn_count; i++) {
        if (listener->conns[i] == conn) {
            listener->conns[i] = listener->conns[--listener->conn_count];
            found = true;
            break;
        }
    }
    if (found) (void)epoll_ctl(listener->pollset->fd, EPOLL_CTL_DEL, conn->fdref->fd, NULL);
    assert(listener->conn_count <= listener->conn_capacity);
    pthread_mutex_unlock(&listener->lock);
    cfmp_listener_forget_recent(listener, conn);
    if (found) cfmp_conn_release(conn);
}

void cfmp_queue_dequeued(struct cfmp_shared_queue *queue) {
    assert(queue != NULL); /* its contents are shared with the peer: not asserted */
    uint32_t count = atomic_load(&queue->count);
    while (count > 0 && !atomic_compare_exchange_weak(&queue->count, &count, count - 1)) {
    }
    if (atomic_load(&queue->waiters) > 0) cfmp_futex_wake_one(&queue->count);
}

/* ---- clients ---------------------------------------------------------------------------------- */

/* A connected client: referenced, its socket open and the server's queue counter mapped (the
 * counter's contents are the server's to write: never asserted). O(1). */
static bool cfmp_client_validate(const struct cfmp_client *client) {
    if (client == NULL || atomic_load(&client->refs) <= 0) return false;
    return client->fdref != NULL && client->fdref->fd >= 0 && client->queue != NULL;
}

/* The bulk ring's bookkeeping (bulk_lock held): at most CFMP_BULK_OUTSTANDING_MAX chunks, the
 * head inside the region, nothing outstanding before the region exists. O(1). */
static bool cfmp_bulk_validate(const struct cfmp_client *client) {
    if (client->bulk_count > CFMP_BULK_OUTSTANDING_MAX) return false;
    if (client->bulk_first >= CFMP_BULK_OUTSTANDING_MAX) return false;
    if (client->bulk == NULL) return client->bulk_count == 0 && !client->bulk_sent;
    return client->bulk_head <= client->bulk->size;
}

static int cfmp_connect_socket(const char *sock_path) {
    assert(sock_path != NULL);
    assert(strlen(sock_path) < sizeof(((struct sockaddr_un *)0)->sun_path)); /* cfmp_name_paths */
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", sock_path);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        cfmp_close(fd);
        return -1;
    }
    uid_t uid = (uid_t)-1;
    if (!cfmp_peer_uid(fd, &uid, NULL) || uid != geteuid()) {
        cfmp_log("refusing server %s of uid %ld", sock_path, (long)uid);
        cfmp_close(fd);
        return -1;
    }
    return fd;
}

static struct cfmp_shared_queue *cfmp_queue_map(int fd, struct cfmp_endpoint *endpoint) {
    assert(endpoint != NULL);
    struct stat status;
    int seals = fcntl(fd, F_GET_SEALS);
    if (fstat(fd, &status) != 0 || status.st_size < (off_t)CFMP_SHARED_QUEUE_SIZE || seals < 0 ||
        (seals & (F_SEAL_SHRINK)) == 0) {
        return NULL;
    }
    void *mapping = mmap(NULL, CFMP_SHARED_QUEUE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapping == MAP_FAILED) return NULL;
    struct cfmp_shared_queue *queue = mapping;
    if (queue->magic != CFMP_SHARED_QUEUE_MAGIC) {
        munmap(mapping, CFMP_SHARED_QUEUE_SIZE);
        return NULL;
    }
    endpoint->dev = (uint64_t)status.st_dev; /* the mapping keeps this inode alive */
    endpoint->ino = (uint64_t)status.st_ino;
    return queue;
}

/* Waits for the server's HELLO and checks it names the port we asked for. */
static bool cfmp_receive_hello(struct cfmp_client *client, const char *name, size_t length) {
    assert(client != NULL && client->fdref != NULL && client->queue == NULL);
    assert(name != NULL);
    int fd = client->fdref->fd;
    struct pollfd poll_fd = {fd, POLLIN, 0};
    int timeout_ms = CFMP_HELLO_TIMEOUT_MS_DEFAULT;
    const char *override = getenv("CFMP_CONNECT_TIMEOUT_MS"); /* tests of silent servers */
    if (override != NULL && atoi(override) > 0) timeout_ms = atoi(override);
    if (poll(&poll_fd, 1, timeout_ms) != 1) return false;
    struct cfmp_message message;
    if (cfmp_wire_receive(fd, &message, NULL) != CFMP_WIRE_OK) return false;
    bool ok = message.header.kind == CFMP_FRAME_HELLO && message.length >= 8;
    if (ok) {
        int32_t pid;
        uint32_t name_length;
        memcpy(&pid, message.bytes, 4);
        memcpy(&name_length, message.bytes + 4, 4);
        ok = name_length == length && message.length == 8 + (size_t)name_length &&
             memcmp(message.bytes + 8, name, length) == 0;
        client->server_pid = pid;
    }
    if (ok) client->queue = cfmp_queue_map(message.passed_fd, &client->endpoint);
    ok = ok && client->queue != NULL;
    /* The death notice: a pipe's read end, which hangs up when the port dies. A server that
     * sends none (or something else) is still served; its death shows when its socket closes. */
    struct stat status;
    if (ok && message.death_fd >= 0 && fstat(message.death_fd, &status) == 0 &&
        S_ISFIFO(status.st_mode)) {
        client->death_fdref = cfmp_fdref_create(message.death_fd);
        message.death_fd = -1;
    }
    cfmp_message_dispose(&message);
    return ok;
}

struct cfmp_client *cfmp_client_connect(const char *name, size_t length) {
    assert(name != NULL);
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char lock_path[PATH_MAX];
    if (!cfmp_name_paths(name, length, sock_path, sizeof sock_path, lock_path, sizeof lock_path)) {
        return NULL;
    }
    int fd = cfmp_connect_socket(sock_path);
    if (fd < 0) return NULL;
    struct cfmp_client *client = calloc(1, sizeof *client);
    if (client == NULL) abort();
    atomic_init(&client->refs, 1);
    pthread_mutex_init(&client->bulk_lock, NULL);
    client->fdref = cfmp_fdref_create(fd);
    if (!cfmp_receive_hello(client, name, length)) {
        cfmp_log("no valid HELLO from %s", sock_path);
        cfmp_client_release(client);
        return NULL;
    }
    assert(cfmp_client_validate(client)); /* exit: the HELLO mapped the server's queue */
    return client;
}

struct cfmp_client *cfmp_client_retain(struct cfmp_client *client) {
    assert(client != NULL);
    int32_t before = atomic_fetch_add(&client->refs, 1);
    assert(before > 0);
    (void)before;
    return client;
}

void cfmp_client_release(struct cfmp_client *client) {
    if (client == NULL) return;
    int32_t before = atomic_fetch_sub(&client->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    if (client->queue != NULL) munmap(client->queue, CFMP_SHARED_QUEUE_SIZE);
    cfmp_fdref_release(client->fdref);
    cfmp_fdref_release(client->death_fdref);
    cfmp_region_release(client->bulk);
    pthread_mutex_destroy(&client->bulk_lock);
    free(client);
}

bool cfmp_client_probe_dead(struct cfmp_client *client) {
    assert(cfmp_client_validate(client));
    if (atomic_load(&client->dead)) return true;
    struct pollfd poll_fds[2] = {{client->fdref->fd, POLLRDHUP, 0}, {-1, 0, 0}};
    if (client->death_fdref != NULL) poll_fds[1] = (struct pollfd){client->death_fdref->fd, 0, 0};
    if (poll(poll_fds, 2, 0) > 0 &&
        ((poll_fds[0].revents | poll_fds[1].revents) & (POLLHUP | POLLRDHUP | POLLERR))) {
        atomic_store(&client->dead, true);
    }
    return atomic_load(&client->dead);
}

enum cfmp_slot_result cfmp_client_acquire_slot(struct cfmp_client *client, uint64_t deadline_ns) {
    assert(cfmp_client_validate(client));
    struct cfmp_shared_queue *queue = client->queue;
    for (;;) { /* bounded by deadline_ns */
        uint32_t count = atomic_load(&queue->count);
        if (count < CFMP_QUEUE_LIMIT || CFMP_MUTATE(NO_QUEUE_LIMIT)) {
            if (atomic_compare_exchange_weak(&queue->count, &count, count + 1)) {
                return CFMP_SLOT_TAKEN;
            }
            continue;
        }
        if (atomic_load(&client->dead)) return CFMP_SLOT_PEER_DEAD;
        uint64_t now_ns = cfmp_now_ns();
        if (now_ns >= deadline_ns) return CFMP_SLOT_TIMEOUT;
        uint64_t wait_ns = deadline_ns - now_ns;
        if (wait_ns > CFMP_SLOT_WAIT_SLICE_NS) wait_ns = CFMP_SLOT_WAIT_SLICE_NS;
        assert(wait_ns > 0 && wait_ns <= CFMP_SLOT_WAIT_SLICE_NS); /* a slice: death is probed */
        atomic_fetch_add(&queue->waiters, 1);
        (void)cfmp_futex_wait(&queue->count, count, wait_ns);
        atomic_fetch_sub(&queue->waiters, 1);
        if (cfmp_client_probe_dead(client)) return CFMP_SLOT_PEER_DEAD;
    }
}

void cfmp_client_return_slot(struct cfmp_client *client) {
    cfmp_queue_dequeued(client->queue);
}

/* ---- bulk region (client side) ---------------------------------------------------------------- */

/* A chunk's busy word: its header's first 4 bytes (chunks start CFMP_BULK_CHUNK_HEADER-aligned). */
static _Atomic uint32_t *cfmp_chunk_busy(struct cfmp_region *region, size_t offset) {
    assert(offset % CFMP_BULK_CHUNK_HEADER == 0);
    assert(region != NULL && offset + CFMP_BULK_CHUNK_HEADER <= region->size);
    void *header = region->base + offset;
    return header;
}

/* Drops chunks the server has finished with, oldest first. Called with bulk_lock held. */
static void cfmp_bulk_reclaim(struct cfmp_client *client) {
    assert(cfmp_bulk_validate(client)); /* bulk_lock held */
    assert(client->bulk != NULL || client->bulk_count == 0);
    while (client->bulk_count > 0) {
        struct cfmp_bulk_chunk *oldest = &client->bulk_chunks[client->bulk_first];
        if (atomic_load_explicit(cfmp_chunk_busy(client->bulk, oldest->offset),
                                 memory_order_acquire) != 0) {
            break;
        }
        client->bulk_first = (client->bulk_first + 1) % CFMP_BULK_OUTSTANDING_MAX;
        client->bulk_count--;
    }
    if (client->bulk_count == 0) client->bulk_head = 0;
    assert(cfmp_bulk_validate(client));
}

/* Finds room for size bytes in the ring; returns the offset or SIZE_MAX. bulk_lock held. */
static size_t cfmp_bulk_place(struct cfmp_client *client, size_t size) {
    assert(client->bulk != NULL && cfmp_bulk_validate(client));
    assert(size >= CFMP_BULK_CHUNK_HEADER && size % 64u == 0);
    size_t capacity = client->bulk->size;
    if (client->bulk_count == CFMP_BULK_OUTSTANDING_MAX || size > capacity / 2) return SIZE_MAX;
    if (client->bulk_count == 0) return 0;
    size_t tail = client->bulk_chunks[client->bulk_first].offset;
    size_t head = client->bulk_head;
    if (head >= tail) {
        if (capacity - head >= size) return head;
        return size < tail ? 0 : SIZE_MAX; /* wrap to the start */
    }
    return tail - head > size ? head : SIZE_MAX;
}

static bool cfmp_bulk_ready(struct cfmp_client *client, uint64_t deadline_ns) {
    assert(cfmp_client_validate(client));
    assert(cfmp_bulk_validate(client));
    if (client->bulk == NULL) client->bulk = cfmp_region_create(CFMP_BULK_SIZE);
    if (client->bulk == NULL) return false;
    if (!client->bulk_sent) {
        client->bulk_sent = cfmp_wire_send_region(client->fdref->fd, client->bulk, deadline_ns) ==
                            CFMP_WIRE_OK;
    }
    return client->bulk_sent;
}

bool cfmp_client_bulk_put(struct cfmp_client *client, const void *bytes, size_t length,
                          uint64_t deadline_ns, uint64_t *offset) {
    assert(cfmp_client_validate(client));
    assert(bytes != NULL && length > 0 && offset != NULL);
    size_t size = CFMP_BULK_CHUNK_HEADER + ((length + 63u) & ~(size_t)63u);
    pthread_mutex_lock(&client->bulk_lock);
    bool ready = cfmp_bulk_ready(client, deadline_ns);
    size_t place = SIZE_MAX;
    if (ready) {
        cfmp_bulk_reclaim(client);
        place = cfmp_bulk_place(client, size);
    }
    if (place != SIZE_MAX) {
        size_t slot = (client->bulk_first + client->bulk_count) % CFMP_BULK_OUTSTANDING_MAX;
        client->bulk_chunks[slot] = (struct cfmp_bulk_chunk){place, size};
        client->bulk_count++;
        client->bulk_head = place + size;
        atomic_store_explicit(cfmp_chunk_busy(client->bulk, place), 1, memory_order_relaxed);
    }
    assert(cfmp_bulk_validate(client)); /* exit: the new chunk lies inside the region */
    pthread_mutex_unlock(&client->bulk_lock);
    if (place == SIZE_MAX) return false;
    /* Copy outside the lock: the chunk is ours until the server clears its busy word. */
    memcpy(client->bulk->base + place + CFMP_BULK_CHUNK_HEADER, bytes, length);
    *offset = place;
    return true;
}

void cfmp_client_bulk_abandon(struct cfmp_client *client, uint64_t offset) {
    atomic_store_explicit(cfmp_chunk_busy(client->bulk, (size_t)offset), 0, memory_order_release);
}
