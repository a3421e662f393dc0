/*
 * cfmp_wire.h — libcfmp's frames on AF_UNIX SOCK_SEQPACKET connections.
 *
 * Every frame is one SEQPACKET record: a 24-byte little-endian header, then the payload
 * inline, or no payload and one memfd passed with SCM_RIGHTS (large payloads), sealed against
 * writes and shrinking so the receiver can map it safely. This file is the only code that
 * parses bytes from a peer. A request whose fields are invalid (magic, version, convid, flags)
 * but whose framing is intact (one whole record, no fds, inline, record size = header +
 * length) is reported as CFMP_WIRE_CORRUPT: the server drops it and keeps the connection, as
 * CF drops a corrupt request (R45). Anything else malformed cannot be trusted to leave the
 * stream in sync: it is CFMP_WIRE_BAD and the caller closes that connection.
 *
 *   HELLO    server → client once after accept: pid, the port's name, the queue memfd (fd)
 *   REQUEST  client → server: msgid, convid > 0, ONEWAY flag when no reply is wanted
 *   REPLY    server → client: the request's convid; NO_DATA never appears in replies
 */
#ifndef CFMP_WIRE_H
#define CFMP_WIRE_H

#include "cfmp_internal.h"

#define CFMP_WIRE_MAGIC 0x706d6663u /* "cfmp" in memory order on little-endian */
#define CFMP_WIRE_VERSION 1u
#define CFMP_MAX_DATA_BYTES 0x60000000ll /* R27 */
#define CFMP_WIRE_INLINE_CAP (64u * 1024u) /* the most a peer may send inline */

enum cfmp_frame_kind {
    CFMP_FRAME_HELLO = 1,
    CFMP_FRAME_REQUEST = 2,
    CFMP_FRAME_REPLY = 3,
    CFMP_FRAME_REGION = 4, /* client → server: its bulk region (one memfd), before any SHARED */
};

enum cfmp_frame_flags {
    CFMP_FLAG_ONEWAY = 1u,
    CFMP_FLAG_NO_DATA = 2u,
    CFMP_FLAG_MEMFD = 4u,
    CFMP_FLAG_SHARED = 8u, /* payload in the sender's bulk region; inline: its 8-byte offset */
};
#define CFMP_FLAGS_KNOWN \
    (CFMP_FLAG_ONEWAY | CFMP_FLAG_NO_DATA | CFMP_FLAG_MEMFD | CFMP_FLAG_SHARED)

struct cfmp_frame_header {
    uint32_t magic;
    uint8_t version;
    uint8_t kind;
    uint16_t flags;
    int32_t msgid;
    int32_t convid;
    int64_t length; /* payload bytes, inline or in the memfd */
};
_Static_assert(sizeof(struct cfmp_frame_header) == 24, "wire header is 24 bytes");

enum cfmp_wire_result {
    CFMP_WIRE_OK = 0,
    CFMP_WIRE_AGAIN = 1,   /* nothing to read now */
    CFMP_WIRE_CLOSED = 2,  /* orderly end of stream or reset by the peer */
    CFMP_WIRE_BAD = 3,     /* malformed frame: close the connection */
    CFMP_WIRE_TIMEOUT = 4, /* the send deadline passed with the socket still full */
    CFMP_WIRE_BROKEN = 5,  /* the send failed: the peer is gone */
    CFMP_WIRE_CONTROL = 6, /* a REGION frame was taken in; nothing to deliver */
    CFMP_WIRE_CORRUPT = 7, /* servers: a corrupt request, framing intact: drop it (R45), keep the connection */
};

/* A bulk region: a sealed memfd mapped shared by a client and the server. Large requests are
 * copied into a chunk of it once; the chunk's first word is its busy flag, cleared by the
 * receiver when the request's data is released (after the callout, R40). */
#define CFMP_BULK_SIZE (8u << 20)
#define CFMP_BULK_CHUNK_HEADER 64u
struct cfmp_region {
    _Atomic int32_t refs;
    uint8_t *base;
    size_t size;
    int fd;
};
CFMP_HIDDEN struct cfmp_region *cfmp_region_create(size_t size);
CFMP_HIDDEN struct cfmp_region *cfmp_region_retain(struct cfmp_region *region);
CFMP_HIDDEN void cfmp_region_release(struct cfmp_region *region);

/* A received frame. Owns its payload storage (malloc'd copy or a read-only mapping) and the
 * fds received with a HELLO, until cfmp_message_take_data / cfmp_message_dispose. */
struct cfmp_message {
    struct cfmp_frame_header header;
    uint8_t *bytes; /* NULL for NO_DATA; inside data for inline payloads */
    CFDataRef data; /* inline payloads: the CFData holding the bytes (+1) */
    size_t length;
    bool mapped;
    int passed_fd; /* HELLO only, else -1: the server's queue memfd */
    int death_fd;  /* HELLO only, else -1: the port's death notice (a pipe's read end), if sent */
    struct cfmp_region *region; /* SHARED payloads: the region holding the bytes (retained) */
    bool corrupt; /* CFMP_WIRE_CORRUPT: only the (invalid) header, no payload */
};

/* Bytes above which a payload goes through a memfd (CFMP_INLINE_MAX overrides; bench only). */
CFMP_HIDDEN size_t cfmp_wire_inline_max(void);

/* Nonblocking: reads one frame from fd and validates it. A server passes its connection's
 * region slot: REGION frames update it (CFMP_WIRE_CONTROL), SHARED frames are read from it,
 * and a corrupt request with intact framing is CFMP_WIRE_CORRUPT. Clients pass NULL: none of
 * these may then appear. */
CFMP_HIDDEN enum cfmp_wire_result cfmp_wire_receive(int fd, struct cfmp_message *message,
                                                    struct cfmp_region **region);
/* The send time of fd's next record (CLOCK_REALTIME ns, from SO_TIMESTAMPNS), without taking
 * it; 0 when there is none or the socket has no time stamps. */
CFMP_HIDDEN uint64_t cfmp_wire_peek_sent_ns(int fd);
/* Sends one frame, waiting for socket space until deadline_ns (CFMP_DEADLINE_NEVER: forever).
 * header->flags gets CFMP_FLAG_MEMFD added when the payload is large. pass_fds (pass_count of
 * them, at most 2) go with a HELLO only: the queue memfd, then the death notice's read end. */
CFMP_HIDDEN enum cfmp_wire_result cfmp_wire_send(int fd, struct cfmp_frame_header header,
                                                 const void *payload, size_t length,
                                                 const int *pass_fds, size_t pass_count,
                                                 uint64_t deadline_ns);
/* Sends the bytes of a SHARED request: header.flags must have CFMP_FLAG_SHARED. */
CFMP_HIDDEN enum cfmp_wire_result cfmp_wire_send_shared(int fd, struct cfmp_frame_header header,
                                                        uint64_t offset, size_t length,
                                                        uint64_t deadline_ns);
CFMP_HIDDEN enum cfmp_wire_result cfmp_wire_send_region(int fd, const struct cfmp_region *region,
                                                        uint64_t deadline_ns);
CFMP_HIDDEN struct cfmp_frame_header cfmp_frame_header_make(enum cfmp_frame_kind kind,
                                                           int32_t msgid, int32_t convid);
/* Moves the payload into a +1 CFData (a zero-length one for NO_DATA, R39). */
CFMP_HIDDEN CFDataRef cfmp_message_take_data(struct cfmp_message *message);
CFMP_HIDDEN void cfmp_message_dispose(struct cfmp_message *message);

#endif /* CFMP_WIRE_H */
