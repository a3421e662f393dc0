/*
 * cfmp_transport.h — names on the file system, listeners (the receive side of a named local
 * port) and client connections (the send side of a remote port).
 *
 * A name owns <dir>/<base>.lock (held with flock for the owner's lifetime, so a crashed
 * owner's name is reclaimable and two live owners are impossible) and <dir>/<base>.sock (a
 * SOCK_SEQPACKET listener, replaced by each new owner). <base> is the escaped name, or a hash
 * when the path would not fit in sun_path; the HELLO carries the full name, which the client
 * checks, so a hash collision cannot connect a client to the wrong port.
 * Every connection checks the peer's uid (SO_PEERCRED) on both sides.
 * Reference counting: listeners, connections and clients are shared between the port, the
 * manager thread and threads serving requests; each holder owns one reference.
 */
#ifndef CFMP_TRANSPORT_H
#define CFMP_TRANSPORT_H

#include "cfmp_internal.h"

#include <limits.h>
#include <sys/un.h>

#define CFMP_CONNECTIONS_MAX 1024u

/* Which listener a connection reaches, as both ends can tell: the device and inode of the
 * listener's queue memfd, which the listener keeps open and every client maps, so the inode
 * cannot be reused while either side holds it. It plays the part of a Mach port name within a
 * task: a remote and a local port of one process with equal endpoints are the two sides of
 * one port, and share a wrapper (R26, cfmp_port.c). */
struct cfmp_endpoint {
    uint64_t dev;
    uint64_t ino;
};

static inline bool cfmp_endpoint_equal(struct cfmp_endpoint a, struct cfmp_endpoint b) {
    return a.dev == b.dev && a.ino == b.ino;
}

struct cfmp_conn {
    _Atomic int32_t refs;
    uint64_t id;
    struct cfmp_fdref *fdref;
    pid_t peer_pid;
    pthread_mutex_t lock;       /* serializes reads, so a REGION frame is in place before use */
    struct cfmp_region *region; /* the client's bulk region, once sent */
    uint64_t head_sent_ns;      /* under lock: the send time of the next record; 0 not known */
};

struct cfmp_listener {
    _Atomic int32_t refs;
    pthread_mutex_t lock;
    char *name; /* sanitized UTF-8 name */
    size_t name_length;
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char lock_path[PATH_MAX];
    int lock_fd;
    struct cfmp_fdref *listen_fdref; /* NULL once closed */
    struct cfmp_fdref *pollset;      /* epoll over the accepted connections */
    int queue_fd;
    /* The port's life, as its Mach receive right: a pipe whose write end closes when the port
     * is invalidated (or its process dies), at once, even while a callout's reply is still to
     * go out on a connection kept open for it (R46, R56). Each client gets the read end with
     * its HELLO and watches it. */
    int death_read_fd;
    int death_write_fd; /* -1 once closed */
    struct cfmp_shared_queue *queue;
    struct cfmp_endpoint endpoint; /* of queue_fd, fixed once open */
    struct cfmp_conn **conns;
    size_t conn_count;
    size_t conn_capacity;
    uint64_t next_conn_id;
    bool closed;
    struct cfmp_conn *recent; /* the last connection that had a request (retained), tried first */
    uint32_t recent_streak;   /* requests served from it in a row, for fairness */
};

#define CFMP_BULK_OUTSTANDING_MAX 64u

struct cfmp_bulk_chunk {
    size_t offset;
    size_t size;
};

struct cfmp_client {
    _Atomic int32_t refs;
    struct cfmp_fdref *fdref;
    struct cfmp_fdref *death_fdref;  /* the server port's death notice (HELLO), or NULL */
    struct cfmp_shared_queue *queue; /* the server's counter, mapped shared */
    struct cfmp_endpoint endpoint;   /* of the server's queue memfd, from the HELLO */
    pid_t server_pid;
    _Atomic bool dead;
    /* Bulk region for large requests: a ring of chunks, reclaimed in order once the server
     * has cleared their busy word. The bookkeeping is private; only busy words are shared. */
    pthread_mutex_t bulk_lock;
    struct cfmp_region *bulk;
    bool bulk_sent;
    size_t bulk_head;
    struct cfmp_bulk_chunk bulk_chunks[CFMP_BULK_OUTSTANDING_MAX];
    size_t bulk_first;
    size_t bulk_count;
};

CFMP_HIDDEN bool cfmp_listener_validate(const struct cfmp_listener *listener);
/* Registers name; NULL when another live owner has it or on a system error (logged). */
CFMP_HIDDEN struct cfmp_listener *cfmp_listener_open(const char *name, size_t length);
/* Unregisters the name and closes every connection (a connection in use closes when its
 * user releases it, so a reply in progress still goes out, R46). Idempotent. */
CFMP_HIDDEN void cfmp_listener_close(struct cfmp_listener *listener);
CFMP_HIDDEN struct cfmp_listener *cfmp_listener_retain(struct cfmp_listener *listener);
CFMP_HIDDEN void cfmp_listener_release(struct cfmp_listener *listener);
/* Manager thread: accepts pending connections, checks uid, sends HELLO. */
CFMP_HIDDEN void cfmp_listener_accept(struct cfmp_listener *listener);
CFMP_HIDDEN struct cfmp_fdref *cfmp_listener_copy_listen_fd(struct cfmp_listener *listener);
/* The connection with something to read (retained) whose next record was sent first, or
 * NULL. Nonblocking. */
CFMP_HIDDEN struct cfmp_conn *cfmp_listener_next_ready(struct cfmp_listener *listener);
/* The connection that had the last request (retained), if it may be tried first (it is the
 * only one); and the note of which one that was. */
CFMP_HIDDEN struct cfmp_conn *cfmp_listener_recent(struct cfmp_listener *listener);
CFMP_HIDDEN void cfmp_listener_note_recent(struct cfmp_listener *listener, struct cfmp_conn *conn);
/* A request from conn was dropped unanswered (R44): its socket stays open for the process's
 * life, as the Mach reply right in the undelivered message does. */
CFMP_HIDDEN void cfmp_conn_keep_reply_right(struct cfmp_conn *conn);
/* The caller read a record from conn (holding conn->lock): its next one is not known yet. */
CFMP_HIDDEN void cfmp_conn_forget_head(struct cfmp_conn *conn);
CFMP_HIDDEN void cfmp_listener_drop_conn(struct cfmp_listener *listener, struct cfmp_conn *conn);
/* The receiver took one request off its queue (R29): frees a slot, wakes blocked senders. */
CFMP_HIDDEN void cfmp_queue_dequeued(struct cfmp_shared_queue *queue);

CFMP_HIDDEN struct cfmp_conn *cfmp_conn_retain(struct cfmp_conn *conn);
CFMP_HIDDEN void cfmp_conn_release(struct cfmp_conn *conn);

/* Connects to name; NULL when nobody serves it, the server is another user, or on error. */
CFMP_HIDDEN struct cfmp_client *cfmp_client_connect(const char *name, size_t length);
CFMP_HIDDEN struct cfmp_client *cfmp_client_retain(struct cfmp_client *client);
CFMP_HIDDEN void cfmp_client_release(struct cfmp_client *client);
/* True when the server end is gone (HUP seen now or earlier). */
CFMP_HIDDEN bool cfmp_client_probe_dead(struct cfmp_client *client);

enum cfmp_slot_result { CFMP_SLOT_TAKEN, CFMP_SLOT_TIMEOUT, CFMP_SLOT_PEER_DEAD };
/* Waits for room in the server's queue (limit 5) until deadline_ns. */
CFMP_HIDDEN enum cfmp_slot_result cfmp_client_acquire_slot(struct cfmp_client *client,
                                                           uint64_t deadline_ns);
CFMP_HIDDEN void cfmp_client_return_slot(struct cfmp_client *client);
/* Copies length bytes into a new chunk of the bulk region (made and sent to the server on
 * first use); false when it does not fit now (the caller falls back to a one-off memfd). */
CFMP_HIDDEN bool cfmp_client_bulk_put(struct cfmp_client *client, const void *bytes, size_t length,
                                      uint64_t deadline_ns, uint64_t *offset);
/* The chunk at offset was not delivered after all. */
CFMP_HIDDEN void cfmp_client_bulk_abandon(struct cfmp_client *client, uint64_t offset);

#endif /* CFMP_TRANSPORT_H */
