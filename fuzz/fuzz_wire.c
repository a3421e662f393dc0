/*
 * fuzz_wire.c — libcfmp's frame decoder (cfmp_wire_receive) on hostile
 * frames with hostile passed descriptors, over a real AF_UNIX
 * SOCK_SEQPACKET socketpair (docs/fuzzing.md, libcfmp/src/cfmp_wire.h).
 *
 * The input is a list of at most FUZZ_WIRE_MAX_RECORDS records, each one
 * frame sent and then received:
 *
 *   ctl (1 byte)  bits 0-2: n, descriptors passed with the frame (0-7)
 *                 bit 3: receive as a server (a region slot), else as a client
 *                 bit 4: take the payload (cfmp_message_take_data), else dispose
 *                 bit 5: a server whose slot is empty gets a local bulk region first
 *   n bytes       one per descriptor: bits 0-2 its kind, bits 3-7 its size (fd_sizes)
 *   len (2 bytes, little-endian; 0xffff: the rest of the input)
 *   len bytes     the frame: header and payload, sent as one record
 *
 * Descriptor kinds: sealed memfds (as payloads are, and as bulk regions
 * are), an unsealed memfd, a pipe, /dev/null, a socket, a directory
 * (O_PATH) and the sending socket itself. The region slot lives across the
 * records of one input, so REGION then SHARED frames work as on a real
 * connection.
 *
 * Properties: a known result; an accepted frame is what its header says
 * (length, payload, fd only with HELLO, inline only up to the cap); a
 * corrupt request kept for dropping (R45) was received by a server, is
 * one whole inline request record and holds no payload; after a bad
 * frame nothing is kept; the record was read whole (the next receive
 * finds nothing); and no descriptor outlives the input (every fd below
 * FUZZ_WIRE_FD_WINDOW open afterwards was open before).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, pipe2 */
#endif
#include "fuzz_target.h"

#include "fuzz_known.h"

#include "cfmp_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUZZ_WIRE_MAX_RECORDS 8u
#define FUZZ_WIRE_MAX_FDS 7u
#define FUZZ_WIRE_FD_WINDOW 512
#define FUZZ_WIRE_LOCAL_REGION_BYTES ((size_t)1 << 20)

/* Sizes a passed memfd may have: around the header, the inline cap, the bulk chunk size and
 * the region limits. Only kind FD_MEMFD_REGION gets the last (huge, sparse) ones: payload
 * memfds are mapped with MAP_POPULATE, which would touch them all. */
static const uint64_t fd_sizes[32] = {
    0, 1, 8, 23, 24, 63, 64, 65, 100, 127, 128, 129, 4095, 4096, 4097, 8192,
    65535, 65536, 65537, 65600, 131072, 1u << 20, (1u << 20) + 1, (8u << 20) - 64, 8u << 20,
    (8u << 20) + 64, 16u << 20, (16u << 20) + 1, 256u << 20, (256u << 20) + 4096,
    UINT64_C(0x60000000), UINT64_C(0x60000001)};
#define FUZZ_WIRE_PAYLOAD_SIZE_MAX ((uint64_t)(16u << 20) + 1)

enum fd_kind {
    FD_MEMFD_PAYLOAD = 0, /* sealed against writes, shrinking and growing */
    FD_MEMFD_REGION = 1,  /* sealed against shrinking and growing, still writable */
    FD_MEMFD_OPEN = 2,    /* no seals */
    FD_PIPE = 3,
    FD_DEVNULL = 4,
    FD_SOCKET = 5,
    FD_DIRECTORY = 6,
    FD_SELF = 7, /* the sending end of the connection itself */
};

typedef struct wire_fds {
    int pass[FUZZ_WIRE_MAX_FDS];
    int keep[FUZZ_WIRE_MAX_FDS]; /* the other ends (pipes, sockets), closed with pass */
    unsigned count;
} wire_fds;

static int make_memfd(uint64_t size, int seals)
{
    int fd = memfd_create("fuzz-wire", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)size) != 0 || (seals != 0 && fcntl(fd, F_ADD_SEALS, seals) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One descriptor of kind spec & 7 (and size fd_sizes[spec >> 3]); -1 when it cannot be made. */
static int make_fd(uint8_t spec, int self, int *keep)
{
    uint64_t size = fd_sizes[spec >> 3];
    int pair[2];
    *keep = -1;
    switch (spec & 7u) {
    case FD_MEMFD_PAYLOAD:
        if (size > FUZZ_WIRE_PAYLOAD_SIZE_MAX) size = FUZZ_WIRE_PAYLOAD_SIZE_MAX;
        return make_memfd(size, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    case FD_MEMFD_REGION: return make_memfd(size, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    case FD_MEMFD_OPEN:
        return make_memfd(size > FUZZ_WIRE_PAYLOAD_SIZE_MAX ? FUZZ_WIRE_PAYLOAD_SIZE_MAX : size, 0);
    case FD_PIPE:
        if (pipe2(pair, O_CLOEXEC) != 0) return -1;
        *keep = pair[1];
        return pair[0];
    case FD_DEVNULL: return open("/dev/null", O_RDONLY | O_CLOEXEC);
    case FD_SOCKET:
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
        *keep = pair[1];
        return pair[0];
    case FD_DIRECTORY: return open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    default: return fcntl(self, F_DUPFD_CLOEXEC, 0);
    }
}

static void close_fds(wire_fds *f)
{
    for (unsigned i = 0; i < f->count; i++) {
        if (f->pass[i] >= 0) close(f->pass[i]);
        if (f->keep[i] >= 0) close(f->keep[i]);
    }
    f->count = 0;
}

/* Sends the frame as one record with the descriptors in one SCM_RIGHTS message. */
static bool send_frame(int fd, const uint8_t *frame, size_t len, const wire_fds *f)
{
    struct iovec iov = {(void *)frame, len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int) * FUZZ_WIRE_MAX_FDS)];
        struct cmsghdr align;
    } control;
    int fds[FUZZ_WIRE_MAX_FDS];
    unsigned n = 0;
    for (unsigned i = 0; i < f->count; i++) {
        if (f->pass[i] >= 0) fds[n++] = f->pass[i];
    }
    if (n > 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.buffer;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        FUZZ_CHECK(cmsg != NULL, "room for the descriptors");
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
    }
    return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

/* What an accepted frame must look like, given the bytes that were sent. */
static void check_accepted(const struct cfmp_message *m, size_t sent_len)
{
    const struct cfmp_frame_header *h = &m->header;
    const size_t header_size = sizeof *h;
    FUZZ_CHECK(sent_len >= header_size, "a frame has a whole header");
    FUZZ_CHECK(h->magic == CFMP_WIRE_MAGIC && h->version == CFMP_WIRE_VERSION, "magic and version");
    FUZZ_CHECK(h->length >= 0 && h->length <= CFMP_MAX_DATA_BYTES, "length in range");
    FUZZ_CHECK((m->passed_fd >= 0) == (h->kind == CFMP_FRAME_HELLO), "an fd only with HELLO");
    FUZZ_CHECK(m->death_fd < 0 || h->kind == CFMP_FRAME_HELLO, "a death notice only with HELLO");
    if (h->flags & CFMP_FLAG_NO_DATA) {
        FUZZ_CHECK(m->bytes == NULL && m->length == 0 && h->length == 0, "NO_DATA has no payload");
        return;
    }
    FUZZ_CHECK(m->length == (size_t)h->length, "the payload is as long as the header says");
    FUZZ_CHECK(m->bytes != NULL || m->length == 0, "a payload has bytes");
    if (h->flags & (CFMP_FLAG_MEMFD | CFMP_FLAG_SHARED)) return;
    FUZZ_CHECK(sent_len == header_size + m->length, "an inline payload is the rest of the record");
    if (!FUZZ_KNOWN_WIRE_INLINE_OVER_CAP) {
        FUZZ_CHECK(m->length <= CFMP_WIRE_INLINE_CAP, "inline payloads stay within the cap");
    }
}

/* Sends one record's frame, receives it, checks and releases what came. */
static void one_record(int sv[2], uint8_t ctl, const uint8_t *specs, const uint8_t *frame,
                       size_t len, struct cfmp_region **region)
{
    wire_fds f = {.count = 0};
    for (unsigned i = 0; i < (ctl & 7u); i++) {
        f.pass[f.count] = make_fd(specs[i], sv[0], &f.keep[f.count]);
        f.count++;
    }
    bool server = ctl & 0x08u;
    if (server && (ctl & 0x20u) && *region == NULL) {
        *region = cfmp_region_create(FUZZ_WIRE_LOCAL_REGION_BYTES);
    }
    bool sent = send_frame(sv[0], frame, len, &f);
    close_fds(&f); /* the receiver has its own copies now */
    if (!sent) return;
    struct cfmp_message m;
    enum cfmp_wire_result r = cfmp_wire_receive(sv[1], &m, server ? region : NULL);
    FUZZ_CHECK(r == CFMP_WIRE_OK || r == CFMP_WIRE_CLOSED || r == CFMP_WIRE_BAD ||
                   r == CFMP_WIRE_CONTROL || r == CFMP_WIRE_CORRUPT,
               "a known result for a record that is there");
    FUZZ_CHECK(m.corrupt == (r == CFMP_WIRE_CORRUPT), "corrupt exactly when reported so");
    if (r == CFMP_WIRE_CORRUPT) {
        const struct cfmp_frame_header *h = &m.header;
        FUZZ_CHECK(server, "only a server keeps a corrupt request to drop");
        FUZZ_CHECK(len >= sizeof *h && h->kind == CFMP_FRAME_REQUEST, "a corrupt request is a request");
        FUZZ_CHECK(!(h->flags & (CFMP_FLAG_MEMFD | CFMP_FLAG_SHARED)), "a corrupt request is inline");
        FUZZ_CHECK(h->length >= 0 && len == sizeof *h + (size_t)h->length, "its record is header + length");
        FUZZ_CHECK(m.data == NULL && m.bytes == NULL && m.length == 0, "a corrupt request holds no payload");
    }
    if (r == CFMP_WIRE_OK) {
        check_accepted(&m, len);
        if (ctl & 0x10u) {
            CFDataRef data = cfmp_message_take_data(&m);
            FUZZ_CHECK(data != NULL, "the payload as a CFData");
            CFRelease(data);
        }
        cfmp_message_dispose(&m);
    } else {
        FUZZ_CHECK(m.passed_fd == -1 && m.death_fd == -1 && m.region == NULL,
                   "nothing kept from a frame not delivered");
        FUZZ_CHECK(r != CFMP_WIRE_CONTROL || (server && *region != NULL), "REGION fills the slot");
        if (m.data != NULL || m.bytes != NULL) cfmp_message_dispose(&m);
    }
    struct cfmp_message again;
    FUZZ_CHECK(cfmp_wire_receive(sv[1], &again, NULL) == CFMP_WIRE_AGAIN, "the record was read whole");
}

/* A bitmap of the descriptors open below FUZZ_WIRE_FD_WINDOW. */
static void open_fds(uint8_t map[FUZZ_WIRE_FD_WINDOW / 8])
{
    memset(map, 0, FUZZ_WIRE_FD_WINDOW / 8);
    for (int fd = 0; fd < FUZZ_WIRE_FD_WINDOW; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) map[fd / 8] |= (uint8_t)(1u << (fd % 8));
    }
}

/* Records of the input, one frame each: see the file comment. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t before[FUZZ_WIRE_FD_WINDOW / 8], after[FUZZ_WIRE_FD_WINDOW / 8];
    open_fds(before);
    int sv[2];
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "a socketpair");
    int buffer_bytes = 4 << 20; /* room for the largest frame the fuzzer makes */
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
    (void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    struct cfmp_region *region = NULL;
    size_t at = 0;
    for (unsigned n = 0; n < FUZZ_WIRE_MAX_RECORDS && at < size; n++) {
        uint8_t ctl = data[at++];
        size_t nfds = ctl & 7u;
        if (size - at < nfds + 2) break;
        const uint8_t *specs = data + at;
        at += nfds;
        size_t len = (size_t)data[at] | (size_t)data[at + 1] << 8;
        at += 2;
        if (len == 0xffff || len > size - at) len = size - at;
        one_record(sv, ctl, specs, data + at, len, &region);
        at += len;
    }
    cfmp_region_release(region);
    close(sv[0]);
    close(sv[1]);
    open_fds(after);
    FUZZ_CHECK(memcmp(before, after, sizeof before) == 0, "no descriptor outlives the input");
    return 0;
}
