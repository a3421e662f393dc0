/*
 * cfmp_wire.c — frame encoding, validation, and memfd payloads. See cfmp_wire.h.
 */
#include "cfmp_wire.h"
#include "cfmp_testing.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFMP_WIRE_FDS_MAX 4
#define CFMP_WIRE_DEFAULT_INLINE_MAX CFMP_WIRE_INLINE_CAP /* measured: inline wins to 64 KiB */
#define CFMP_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_WRITE)

size_t cfmp_wire_inline_max(void) {
    static _Atomic size_t cached;
    size_t value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value != 0) return value;
    value = CFMP_WIRE_DEFAULT_INLINE_MAX;
    const char *override = getenv("CFMP_INLINE_MAX");
    if (override != NULL) {
        long parsed = strtol(override, NULL, 10);
        if (parsed > 0 && parsed <= (long)CFMP_WIRE_INLINE_CAP) value = (size_t)parsed;
    }
    assert(value > 0 && value <= CFMP_WIRE_INLINE_CAP); /* exit: the cap a receiver accepts */
    atomic_store(&cached, value);
    return value;
}

struct cfmp_frame_header cfmp_frame_header_make(enum cfmp_frame_kind kind, int32_t msgid,
                                               int32_t convid) {
    struct cfmp_frame_header header = {CFMP_WIRE_MAGIC, CFMP_WIRE_VERSION, (uint8_t)kind, 0,
                                       msgid, convid, 0};
    return header;
}

/* ---- receive ------------------------------------------------------------------------------ */

static pthread_once_t cfmp_scratch_once = PTHREAD_ONCE_INIT;
static pthread_key_t cfmp_scratch_key;

static void cfmp_scratch_init(void) {
    if (pthread_key_create(&cfmp_scratch_key, free) != 0) abort();
}

/* A per-thread receive buffer big enough for any valid inline frame plus one byte. */
static uint8_t *cfmp_scratch(void) {
    pthread_once(&cfmp_scratch_once, cfmp_scratch_init);
    uint8_t *scratch = pthread_getspecific(cfmp_scratch_key);
    if (scratch == NULL) {
        scratch = malloc(sizeof(struct cfmp_frame_header) + CFMP_WIRE_INLINE_CAP + 1);
        if (scratch == NULL) abort();
        if (pthread_setspecific(cfmp_scratch_key, scratch) != 0) abort();
    }
    return scratch;
}

static void cfmp_close_fds(const int *fds, size_t count) {
    assert(fds != NULL || count == 0);
    assert(count <= CFMP_WIRE_FDS_MAX);
    for (size_t i = 0; i < count; i++) cfmp_close(fds[i]);
}

/* Collects the fds of every SCM_RIGHTS message (so that none leaks, even from a hostile peer). */
static size_t cfmp_collect_fds(struct msghdr *header, int *fds, bool *too_many) {
    assert(header != NULL && fds != NULL && too_many != NULL);
    size_t count = 0;
    *too_many = false;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(header); cmsg; cmsg = CMSG_NXTHDR(header, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
            if (count < CFMP_WIRE_FDS_MAX) {
                fds[count++] = fd;
            } else {
                cfmp_close(fd);
                *too_many = true;
            }
        }
    }
    assert(count <= CFMP_WIRE_FDS_MAX);
    return count;
}

static bool cfmp_header_valid(const struct cfmp_frame_header *header) {
    assert(header != NULL); /* its fields are the peer's: checked, never asserted */
    if (header->magic != CFMP_WIRE_MAGIC || header->version != CFMP_WIRE_VERSION) return false;
    if (header->kind < CFMP_FRAME_HELLO || header->kind > CFMP_FRAME_REGION) return false;
    if ((header->flags & ~CFMP_FLAGS_KNOWN) != 0) return false;
    if (header->length < 0 || header->length > CFMP_MAX_DATA_BYTES) return false;
    if (header->kind != CFMP_FRAME_HELLO && header->convid <= 0) return false;
    if ((header->flags & CFMP_FLAG_NO_DATA) && header->length != 0) return false;
    if ((header->flags & CFMP_FLAG_NO_DATA) && (header->flags & CFMP_FLAG_MEMFD)) return false;
    if (header->kind != CFMP_FRAME_REQUEST && (header->flags & CFMP_FLAG_ONEWAY)) return false;
    if ((header->flags & CFMP_FLAG_SHARED) &&
        (header->kind != CFMP_FRAME_REQUEST || (header->flags & (CFMP_FLAG_NO_DATA | CFMP_FLAG_MEMFD)) ||
         header->length == 0)) {
        return false;
    }
    return true;
}

/* A message cfmp_wire_accept filled: a valid header, its payload in exactly one place (an
 * inline CFData, a memfd mapping or a region chunk; none for NO_DATA), an fd only with a
 * HELLO. O(1): asserted on every frame received. */
static bool cfmp_message_validate(const struct cfmp_message *message) {
    const struct cfmp_frame_header *header = &message->header;
    if (!cfmp_header_valid(header) || message->length != (size_t)header->length) return false;
    int places = (message->data != NULL) + (message->mapped ? 1 : 0) + (message->region != NULL);
    if (header->flags & CFMP_FLAG_NO_DATA) {
        if (places != 0 || message->bytes != NULL) return false;
    } else if (places != 1) {
        return false;
    }
    if (message->death_fd >= 0 && message->passed_fd < 0) return false;
    return message->passed_fd < 0 || header->kind == CFMP_FRAME_HELLO;
}

/* ---- bulk regions ------------------------------------------------------------------------- */

struct cfmp_region *cfmp_region_create(size_t size) {
    assert(size >= CFMP_BULK_CHUNK_HEADER && size % CFMP_BULK_CHUNK_HEADER == 0);
    int fd = cfmp_memfd_create("cfmp-bulk");
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        cfmp_close(fd);
        return NULL;
    }
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        cfmp_close(fd);
        return NULL;
    }
    struct cfmp_region *region = malloc(sizeof *region);
    if (region == NULL) abort();
    atomic_init(&region->refs, 1);
    region->base = base;
    region->size = size;
    region->fd = fd;
    assert(region->fd >= 0); /* exit: ours, to pass to the server */
    return region;
}

/* Maps a peer's region: sealed against shrinking, so a mapping can never fault. */
static struct cfmp_region *cfmp_region_map(int fd) {
    assert(fd >= 0); /* collected from SCM_RIGHTS */
    struct stat status;
    int seals = fcntl(fd, F_GET_SEALS);
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || seals < 0 ||
        !(seals & F_SEAL_SHRINK) || status.st_size < (off_t)CFMP_BULK_CHUNK_HEADER ||
        status.st_size > (off_t)(256u << 20)) {
        return NULL;
    }
    void *base = mmap(NULL, (size_t)status.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return NULL;
    struct cfmp_region *region = malloc(sizeof *region);
    if (region == NULL) abort();
    atomic_init(&region->refs, 1);
    region->base = base;
    region->size = (size_t)status.st_size;
    region->fd = -1;
    assert(region->size >= CFMP_BULK_CHUNK_HEADER); /* exit: checked above */
    return region;
}

struct cfmp_region *cfmp_region_retain(struct cfmp_region *region) {
    assert(region != NULL);
    int32_t before = atomic_fetch_add(&region->refs, 1);
    assert(before > 0);
    (void)before;
    return region;
}

void cfmp_region_release(struct cfmp_region *region) {
    if (region == NULL) return;
    int32_t before = atomic_fetch_sub(&region->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    munmap(region->base, region->size);
    cfmp_close(region->fd);
    free(region);
}

/* Maps a sealed memfd payload read-only. */
static bool cfmp_map_payload(int fd, size_t length, struct cfmp_message *message) {
    assert(fd >= 0 && message != NULL);
    assert(length > 0 && length <= (size_t)CFMP_MAX_DATA_BYTES); /* cfmp_header_valid */
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return false;
    if (status.st_size < 0 || (uint64_t)status.st_size < length) return false;
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || (seals & CFMP_SEALS_REQUIRED) != CFMP_SEALS_REQUIRED) return false;
    void *mapping = mmap(NULL, length, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (mapping == MAP_FAILED) return false;
    message->bytes = mapping;
    message->length = length;
    message->mapped = true;
    assert(message->data == NULL && message->region == NULL);
    return true;
}

/* SHARED: the payload is a chunk of the connection's region, at the offset sent inline. */
static enum cfmp_wire_result cfmp_wire_accept_shared(const uint8_t *inline_bytes,
                                                     struct cfmp_region *region,
                                                     struct cfmp_message *message) {
    assert(inline_bytes != NULL && message != NULL);
    assert(message->header.flags & CFMP_FLAG_SHARED);
    uint64_t offset;
    memcpy(&offset, inline_bytes, sizeof offset);
    size_t length = (size_t)message->header.length;
    if (region == NULL || offset % CFMP_BULK_CHUNK_HEADER != 0 || offset >= region->size ||
        region->size - offset < CFMP_BULK_CHUNK_HEADER ||
        region->size - offset - CFMP_BULK_CHUNK_HEADER < length) {
        return CFMP_WIRE_BAD;
    }
    message->bytes = region->base + offset + CFMP_BULK_CHUNK_HEADER;
    message->length = length;
    message->region = cfmp_region_retain(region);
    assert(message->bytes + length <= region->base + region->size); /* exit: inside the region */
    return CFMP_WIRE_OK;
}

/* A record whose header fails cfmp_header_valid but that is still exactly one inline request:
 * its kind says REQUEST, no fd or out-of-band payload, and the record is the header plus the
 * length it claims. Dropping it leaves the stream in sync (SEQPACKET keeps records whole), so
 * the connection can stay (R45). */
static bool cfmp_request_framing_intact(const struct cfmp_frame_header *header, size_t size,
                                        size_t fd_count) {
    assert(header != NULL); /* the peer's bytes: checked, never asserted */
    assert(size >= sizeof *header);
    if (fd_count != 0 || header->kind != CFMP_FRAME_REQUEST) return false;
    if (header->flags & (CFMP_FLAG_MEMFD | CFMP_FLAG_SHARED)) return false;
    if (header->length < 0 || header->length > (int64_t)CFMP_WIRE_INLINE_CAP) return false;
    return size == sizeof *header + (size_t)header->length;
}

/* Checks the frame in scratch (size bytes, fds) and fills message; consumes the fds. */
static enum cfmp_wire_result cfmp_wire_accept(const uint8_t *scratch, size_t size, int *fds,
                                              size_t fd_count, struct cfmp_message *message,
                                              struct cfmp_region **region) {
    assert(scratch != NULL && message != NULL && message->passed_fd == -1);
    assert(fd_count <= CFMP_WIRE_FDS_MAX && (fds != NULL || fd_count == 0));
    const size_t header_size = sizeof(struct cfmp_frame_header);
    struct cfmp_frame_header *header = &message->header;
    if (size < header_size) goto bad;
    memcpy(header, scratch, header_size);
    if (!cfmp_header_valid(header) && region != NULL && cfmp_request_framing_intact(header, size, fd_count)) {
        message->corrupt = true; /* the header only: the payload is never looked at */
        return CFMP_WIRE_CORRUPT;
    }
    if (!cfmp_header_valid(header)) goto bad;
    size_t length = (size_t)header->length;
    if (header->kind == CFMP_FRAME_REGION) {
        if (region == NULL || fd_count != 1 || size != header_size || header->flags != 0) goto bad;
        struct cfmp_region *mapped = cfmp_region_map(fds[0]);
        cfmp_close_fds(fds, fd_count);
        if (mapped == NULL) return CFMP_WIRE_BAD;
        cfmp_region_release(*region);
        *region = mapped;
        return CFMP_WIRE_CONTROL;
    }
    if (header->flags & CFMP_FLAG_SHARED) {
        if (fd_count != 0 || size != header_size + 8) goto bad;
        return cfmp_wire_accept_shared(scratch + header_size, region ? *region : NULL, message);
    }
    /* Inline payloads: at most the cap. The receive buffer holds one byte more (to see a
     * record too long), so a record of exactly cap + 1 bytes fits it and must fail here. */
    bool inline_payload = header->kind == CFMP_FRAME_HELLO || !(header->flags & CFMP_FLAG_MEMFD);
    if (inline_payload && length > CFMP_WIRE_INLINE_CAP) goto bad;
    if (header->kind == CFMP_FRAME_HELLO) { /* the queue memfd, and the death notice if sent */
        if (fd_count < 1 || fd_count > 2 || header->flags != 0 || size != header_size + length) goto bad;
        message->passed_fd = fds[0];
        message->death_fd = fd_count == 2 ? fds[1] : -1;
        fd_count = 0;
    } else if (header->flags & CFMP_FLAG_MEMFD) {
        if (fd_count != 1 || size != header_size || length == 0) goto bad;
        bool mapped = cfmp_map_payload(fds[0], length, message);
        cfmp_close_fds(fds, fd_count);
        return mapped ? CFMP_WIRE_OK : CFMP_WIRE_BAD;
    } else if (fd_count != 0 || size != header_size + length) {
        goto bad;
    }
    if (!(header->flags & CFMP_FLAG_NO_DATA)) { /* copied once, into the CFData to hand over */
        message->data = cfmp_data_create_inline(scratch + header_size, length);
        message->bytes = (uint8_t *)CFDataGetBytePtr(message->data);
        message->length = length;
    }
    return CFMP_WIRE_OK;
bad:
    cfmp_close_fds(fds, fd_count);
    if (message->passed_fd >= 0) cfmp_close(message->passed_fd);
    if (message->death_fd >= 0) cfmp_close(message->death_fd);
    message->passed_fd = message->death_fd = -1;
    return CFMP_WIRE_BAD;
}

enum cfmp_wire_result cfmp_wire_receive(int fd, struct cfmp_message *message,
                                        struct cfmp_region **region) {
    assert(fd >= 0 && message != NULL);
    memset(message, 0, sizeof *message);
    message->passed_fd = message->death_fd = -1;
    uint8_t *scratch = cfmp_scratch();
    struct iovec iov = {scratch, sizeof(struct cfmp_frame_header) + CFMP_WIRE_INLINE_CAP + 1};
    union { /* a server's connection also carries each record's send time (SO_TIMESTAMPNS) */
        char buffer[CMSG_SPACE(sizeof(int) * CFMP_WIRE_FDS_MAX) + CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } control;
    struct msghdr header = {.msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = control.buffer, .msg_controllen = sizeof control};
    ssize_t size = recvmsg(fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (size < 0 && errno == ECONNRESET) {
        /* The peer closed with records of ours unread on its side (a late reply): the error is
         * reported once, and what it sent before closing is still queued here, as a Mach
         * message outlives its sender's right (fuzz posix seed 6280: a client's last one-way
         * requests were lost). */
        header.msg_controllen = sizeof control;
        header.msg_flags = 0;
        size = recvmsg(fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    }
    if (size < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return CFMP_WIRE_AGAIN;
        return CFMP_WIRE_CLOSED;
    }
    int fds[CFMP_WIRE_FDS_MAX];
    bool too_many = false;
    size_t fd_count = cfmp_collect_fds(&header, fds, &too_many);
    if (size == 0 && fd_count == 0) return CFMP_WIRE_CLOSED; /* EOF (or an empty record) */
    if (too_many || (header.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        cfmp_close_fds(fds, fd_count);
        return CFMP_WIRE_BAD;
    }
    enum cfmp_wire_result result = cfmp_wire_accept(scratch, (size_t)size, fds, fd_count, message, region);
    assert(result != CFMP_WIRE_OK || cfmp_message_validate(message)); /* exit */
    assert(message->corrupt == (result == CFMP_WIRE_CORRUPT)); /* exit: a corrupt one holds nothing */
    assert(!message->corrupt || (message->data == NULL && message->bytes == NULL && message->passed_fd < 0 &&
                                   message->death_fd < 0));
    return result;
}

/* The kernel's time stamp of the next record on fd (SO_TIMESTAMPNS: taken when the sender
 * queued it), read without taking the record, so a server can take its connections' records
 * in the order they were sent, as one Mach queue does (R42). The control buffer holds only
 * the time stamp, so a peeked record's descriptors are not installed (MSG_CTRUNC). A socket
 * with nothing to read, closed or without time stamps gives 0: nothing waits behind it. */
uint64_t cfmp_wire_peek_sent_ns(int fd) {
    assert(fd >= 0);
    uint8_t byte;
    struct iovec iov = {&byte, 1};
    union {
        char buffer[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } control;
    struct msghdr header = {.msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = control.buffer, .msg_controllen = sizeof control};
    if (recvmsg(fd, &header, MSG_PEEK | MSG_DONTWAIT) < 0) return 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_TIMESTAMPNS) continue;
        struct timespec sent;
        memcpy(&sent, CMSG_DATA(cmsg), sizeof sent);
        assert(sent.tv_nsec >= 0 && sent.tv_nsec < 1000000000L);
        return (uint64_t)sent.tv_sec * 1000000000u + (uint64_t)sent.tv_nsec;
    }
    return 0;
}

static void cfmp_unmap(void *context, void *bytes, size_t length) {
    (void)context;
    munmap(bytes, length);
}

/* The data of a SHARED request is done with: free its chunk for the sender. */
static void cfmp_release_chunk(void *context, void *bytes, size_t length) {
    struct cfmp_region *region = context;
    assert(region != NULL && bytes != NULL);
    assert((uint8_t *)bytes >= region->base + CFMP_BULK_CHUNK_HEADER &&
           (uint8_t *)bytes + length <= region->base + region->size); /* inside its region */
    (void)length;
    /* chunk headers are CFMP_BULK_CHUNK_HEADER-aligned in the region */
    void *header = (uint8_t *)bytes - CFMP_BULK_CHUNK_HEADER;
    assert(((uintptr_t)header & (_Alignof(_Atomic uint32_t) - 1)) == 0);
    _Atomic uint32_t *busy = header;
    atomic_store_explicit(busy, 0, memory_order_release);
    cfmp_region_release(region);
}

CFDataRef cfmp_message_take_data(struct cfmp_message *message) {
    assert(message != NULL);
    CFDataRef data;
    if (message->data != NULL) {
        data = message->data;
        message->data = NULL;
    } else if (message->region != NULL) {
        data = cfmp_data_create_external(message->bytes, message->length, cfmp_release_chunk,
                                         message->region);
        message->region = NULL;
    } else if (message->bytes == NULL) {
        data = CFDataCreate(NULL, NULL, 0);
    } else { /* a memfd payload: the mapping goes when the data is released */
        assert(message->mapped);
        data = cfmp_data_create_external(message->bytes, message->length, cfmp_unmap, NULL);
    }
    message->bytes = NULL;
    message->length = 0;
    assert(data != NULL && message->data == NULL && message->region == NULL); /* exit: moved */
    return data;
}

void cfmp_message_dispose(struct cfmp_message *message) {
    if (message == NULL) return;
    assert(message->region == NULL || message->bytes != NULL); /* a chunk's bytes */
    if (message->region != NULL) {
        cfmp_release_chunk(message->region, message->bytes, message->length);
        message->region = NULL;
        message->bytes = NULL;
    }
    if (message->data != NULL) {
        CFRelease(message->data);
        message->data = NULL;
    } else if (message->bytes != NULL) {
        assert(message->mapped);
        munmap(message->bytes, message->length);
    }
    message->bytes = NULL;
    if (message->passed_fd >= 0) cfmp_close(message->passed_fd);
    if (message->death_fd >= 0) cfmp_close(message->death_fd);
    message->passed_fd = message->death_fd = -1;
}

/* ---- send --------------------------------------------------------------------------------- */

static _Thread_local bool cfmp_corrupt_next_request; /* cfmp_testing.h */

void cfmp_testing_corrupt_next_request(bool on) {
    cfmp_corrupt_next_request = on;
}

/* Copies payload into a new memfd and seals it (immutable, fixed size). Returns fd or -1. */
static int cfmp_payload_memfd(const void *payload, size_t length) {
    assert(payload != NULL);
    assert(length > 0 && length <= (size_t)CFMP_MAX_DATA_BYTES);
    int fd = cfmp_memfd_create("cfmp-payload");
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < length) { /* bounded: each write makes progress or fails */
        ssize_t written = write(fd, (const uint8_t *)payload + done, length - done);
        if (written <= 0) {
            if (written < 0 && errno == EINTR) continue;
            cfmp_close(fd);
            return -1;
        }
        done += (size_t)written;
    }
    int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    if (fcntl(fd, F_ADD_SEALS, seals) != 0) {
        cfmp_close(fd);
        return -1;
    }
    return fd;
}

static enum cfmp_wire_result cfmp_wait_writable(int fd, uint64_t deadline_ns) {
    assert(fd >= 0);
    struct pollfd poll_fd = {fd, POLLOUT, 0};
    int rc = poll(&poll_fd, 1, cfmp_timeout_ms_until(deadline_ns));
    assert(rc >= -1 && rc <= 1); /* one fd */
    if (rc == 0) return CFMP_WIRE_TIMEOUT;
    if (rc < 0 && errno != EINTR) return CFMP_WIRE_BROKEN;
    return CFMP_WIRE_OK;
}

static enum cfmp_wire_result cfmp_sendmsg(int fd, struct msghdr *header, uint64_t deadline_ns) {
    assert(fd >= 0);
    assert(header != NULL && header->msg_iovlen >= 1);
    for (;;) { /* bounded by the deadline */
        ssize_t sent = sendmsg(fd, header, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent >= 0) return CFMP_WIRE_OK;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return CFMP_WIRE_BROKEN;
        if (cfmp_now_ns() >= deadline_ns) return CFMP_WIRE_TIMEOUT;
        enum cfmp_wire_result waited = cfmp_wait_writable(fd, deadline_ns);
        if (waited != CFMP_WIRE_OK) return waited;
    }
}

enum cfmp_wire_result cfmp_wire_send_shared(int fd, struct cfmp_frame_header header,
                                            uint64_t offset, size_t length,
                                            uint64_t deadline_ns) {
    assert(header.flags & CFMP_FLAG_SHARED);
    assert(fd >= 0 && length > 0 && length <= (size_t)CFMP_MAX_DATA_BYTES);
    assert(offset % CFMP_BULK_CHUNK_HEADER == 0); /* cfmp_client_bulk_put's chunk */
    header.length = (int64_t)length;
    struct iovec iov[2] = {{&header, sizeof header}, {&offset, sizeof offset}};
    struct msghdr message = {.msg_iov = iov, .msg_iovlen = 2};
    return cfmp_sendmsg(fd, &message, deadline_ns);
}

enum cfmp_wire_result cfmp_wire_send_region(int fd, const struct cfmp_region *region,
                                            uint64_t deadline_ns) {
    assert(fd >= 0);
    assert(region != NULL && region->fd >= 0); /* our own region, not a mapped peer's */
    struct cfmp_frame_header header = cfmp_frame_header_make(CFMP_FRAME_REGION, 0, 1);
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {&header, sizeof header};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    assert(cmsg != NULL);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &region->fd, sizeof region->fd);
    return cfmp_sendmsg(fd, &message, deadline_ns);
}

enum cfmp_wire_result cfmp_wire_send(int fd, struct cfmp_frame_header header,
                                     const void *payload, size_t length, const int *pass_fds,
                                     size_t pass_count, uint64_t deadline_ns) {
    assert(fd >= 0);
    assert(length <= (size_t)CFMP_MAX_DATA_BYTES);
    assert(pass_count <= 2 && (pass_count == 0 || pass_fds != NULL));
    assert(pass_count == 0 || (header.kind == CFMP_FRAME_HELLO && length <= CFMP_WIRE_INLINE_CAP));
    assert(payload != NULL || length == 0);
    assert(header.magic == CFMP_WIRE_MAGIC && header.kind >= CFMP_FRAME_HELLO && header.kind <= CFMP_FRAME_REGION);
    int memfd = -1;
    header.length = (int64_t)length;
    if (header.kind == CFMP_FRAME_REQUEST && cfmp_corrupt_next_request) { /* test hook, one-shot */
        cfmp_corrupt_next_request = false;
        header.magic = ~CFMP_WIRE_MAGIC;
    }
    if (pass_count == 0 && length > cfmp_wire_inline_max()) {
        memfd = cfmp_payload_memfd(payload, length);
        if (memfd < 0) return CFMP_WIRE_BROKEN;
        header.flags |= CFMP_FLAG_MEMFD;
        pass_fds = &memfd;
        pass_count = 1;
    }
    struct iovec iov[2] = {{&header, sizeof header}, {(void *)payload, length}};
    struct msghdr message = {.msg_iov = iov, .msg_iovlen = (memfd < 0 && length > 0) ? 2 : 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int) * 2)];
        struct cmsghdr align;
    } control;
    if (pass_count > 0) {
        memset(&control, 0, sizeof control);
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * pass_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * pass_count);
        memcpy(CMSG_DATA(cmsg), pass_fds, sizeof(int) * pass_count);
    }
    enum cfmp_wire_result result = cfmp_sendmsg(fd, &message, deadline_ns);
    cfmp_close(memfd);
    return result;
}
