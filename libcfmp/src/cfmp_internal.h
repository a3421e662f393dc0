/*
 * cfmp_internal.h — libcfmp internals shared between the modules.
 *
 * Layers (one prefix each): the public CF/dispatch names are the API; cfmp_ is internal.
 *   cf_runtime.c    object header, retain/release, type table, allocators
 *   cf_string.c     CFString            cf_data.c   CFData
 *   cf_runloop.c    CFRunLoop, sources  dispatch_queue.c   serial queues, main queue
 *   cfmp_platform_linux.c   clocks, futex, memfd, runtime directory, credentials
 *   cfmp_wire.c     frames on SOCK_SEQPACKET, memfd payloads (the only code that parses input)
 *   cfmp_transport.c   name registration (flock + bind), listeners, client connections
 *   cfmp_manager.c  the process's background thread: accept, peer death, queue delivery
 *   cfmp_port.c     CFMessagePort objects, naming, caches, invalidation
 *   cfmp_send.c     CFMessagePortSendRequest, reply filing, request perform
 * Lock order (outer first): manager, tables, port, listener, run loop, source, queue.
 * No library lock is held while user code (callouts, callbacks, context functions) runs.
 */
#ifndef CFMP_INTERNAL_H
#define CFMP_INTERNAL_H

#include <CoreFoundation/CoreFoundation.h>
#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CFMP_HIDDEN __attribute__((visibility("hidden")))

/* ---- Object model -------------------------------------------------------------------- */

enum cfmp_type {
    CFMP_TYPE_NONE = 0,
    CFMP_TYPE_ALLOCATOR = 2,
    CFMP_TYPE_STRING = 7,
    CFMP_TYPE_DATA = 20,
    CFMP_TYPE_MESSAGE_PORT = 36,
    CFMP_TYPE_RUN_LOOP = 43,
    CFMP_TYPE_RUN_LOOP_SOURCE = 46,
    CFMP_TYPE_RUN_LOOP_TIMER = 47,
};

#define CFMP_OBJECT_MAGIC 0x43464d50u /* "CFMP" */
#define CFMP_REFS_IMMORTAL INT32_MAX

/* First member of every CF object. refs is atomic; CFMP_REFS_IMMORTAL never changes. */
struct cfmp_object {
    uint32_t magic;
    uint32_t type_id;
    _Atomic int32_t refs;
};

typedef void (*cfmp_finalize_fn)(void *object);
typedef bool (*cfmp_equal_fn)(const void *a, const void *b);
typedef CFHashCode (*cfmp_hash_fn)(const void *object);

typedef CFStringRef (*cfmp_describe_fn)(const void *object);

struct cfmp_class {
    const char *name;
    cfmp_finalize_fn finalize;
    cfmp_equal_fn equal;                /* NULL: identity */
    cfmp_hash_fn hash;                  /* NULL: pointer */
    cfmp_describe_fn copy_description; /* NULL: "<name %p [%p]>" */
};

CFMP_HIDDEN void *cfmp_object_create(size_t size, enum cfmp_type type_id);
/* The same with extra bytes after the object (not zeroed), in the same allocation. */
CFMP_HIDDEN void *cfmp_object_create_extra(size_t size, size_t extra, enum cfmp_type type_id);
CFMP_HIDDEN bool cfmp_object_is(const void *object, enum cfmp_type type_id);
/* Retains unless the count already reached zero (the object is being finalized). */
CFMP_HIDDEN bool cfmp_object_try_retain(const void *object);
/* One class per type, defined by the module that owns the type. */
extern CFMP_HIDDEN const struct cfmp_class cfmp_string_class;
extern CFMP_HIDDEN const struct cfmp_class cfmp_data_class;
extern CFMP_HIDDEN const struct cfmp_class cfmp_runloop_class;
extern CFMP_HIDDEN const struct cfmp_class cfmp_source_class;
extern CFMP_HIDDEN const struct cfmp_class cfmp_timer_class;
extern CFMP_HIDDEN const struct cfmp_class cfmp_port_class;

/* CFRetain that keeps the argument's pointer type. */
#define CFMP_RETAIN(object) ((__typeof__(object))(uintptr_t)CFRetain(object))

#define CFMP_ASSERT_TYPE(object, type_id) assert(cfmp_object_is((object), (type_id)))

/* ---- Logging, time, fds ------------------------------------------------------------ */

/* Messages go to stderr only when CFMP_LOG is set in the environment (CF logs at debug level
 * for most of these). */
CFMP_HIDDEN void cfmp_log(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* A precondition violation: what CF would crash on. One line on stderr naming the function and
 * the precondition, then abort(), with or without NDEBUG (CF crashes in release builds too). */
CFMP_HIDDEN void cfmp_precondition_violation(const char *function, const char *what)
    __attribute__((noreturn));

#define CFMP_NS_PER_S 1000000000ull
#define CFMP_DEADLINE_NEVER UINT64_MAX
CFMP_HIDDEN uint64_t cfmp_now_ns(void);
/* now + seconds, saturating; NaN and >= 10 days give CFMP_DEADLINE_NEVER when never_ok. */
CFMP_HIDDEN uint64_t cfmp_deadline_after_s(double seconds);
CFMP_HIDDEN int cfmp_timeout_ms_until(uint64_t deadline_ns); /* -1 = infinite */

/* A reference-counted file descriptor: the fd is closed when the last reference goes. */
struct cfmp_fdref {
    _Atomic int32_t refs;
    int fd;
};
CFMP_HIDDEN struct cfmp_fdref *cfmp_fdref_create(int fd);
CFMP_HIDDEN struct cfmp_fdref *cfmp_fdref_retain(struct cfmp_fdref *fdref);
CFMP_HIDDEN void cfmp_fdref_release(struct cfmp_fdref *fdref);

/* ---- Platform (cfmp_platform_linux.c) ------------------------------------------------ */

CFMP_HIDDEN int cfmp_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns);
CFMP_HIDDEN void cfmp_futex_wake_all(_Atomic uint32_t *word);
CFMP_HIDDEN void cfmp_futex_wake_one(_Atomic uint32_t *word);
CFMP_HIDDEN int cfmp_memfd_create(const char *name);
/* Fills dir (PATH_MAX) with the per-user runtime directory, created 0700 if missing. */
CFMP_HIDDEN bool cfmp_runtime_dir(char *dir, size_t dir_size);
CFMP_HIDDEN bool cfmp_peer_uid(int fd, uid_t *uid, pid_t *pid);
CFMP_HIDDEN bool cfmp_is_main_thread(void);
CFMP_HIDDEN void cfmp_close(int fd);

/* ---- Strings and data helpers -------------------------------------------------------- */

/* Strings hold validated UTF-8 (no embedded NUL limitation: CFStringCreateWithBytes may make
 * strings containing U+0000, which name sanitizing rejects, R11). */
struct __CFString {
    struct cfmp_object base;
    const char *bytes; /* NUL-terminated copy (or a literal for static strings) */
    size_t length;     /* bytes, without the terminator; == utf16_length iff plain ASCII */
    size_t utf16_length;
    size_t capacity;   /* bytes allocated (mutable strings grow in place) */
    bool is_mutable;
};
#define CFMP_STATIC_STRING(symbol, literal)                                                    \
    static const struct __CFString symbol = {                                                  \
        {CFMP_OBJECT_MAGIC, CFMP_TYPE_STRING, CFMP_REFS_IMMORTAL},                             \
        literal, sizeof(literal) - 1, sizeof(literal) - 1, sizeof(literal), false}
CFMP_HIDDEN bool cfmp_utf8_valid(const uint8_t *bytes, size_t length, size_t *utf16_length);

/* UTF-8 bytes of a string (not NUL-terminated inside; bytes[length] is NUL). Borrowed. */
CFMP_HIDDEN const char *cfmp_string_utf8(CFStringRef string, size_t *length);
CFMP_HIDDEN CFStringRef cfmp_string_create_utf8(const char *bytes, size_t length);
/* Appends valid UTF-8 to a mutable string. */
CFMP_HIDDEN void cfmp_string_append_utf8(CFMutableStringRef string, const char *bytes,
                                         size_t length);

/* A growable NUL-terminated byte buffer (bytes NULL until the first append). */
struct cfmp_strbuf {
    char *bytes;
    size_t length;
    size_t capacity;
};
CFMP_HIDDEN void cfmp_strbuf_reserve(struct cfmp_strbuf *buffer, size_t extra);
CFMP_HIDDEN void cfmp_strbuf_append(struct cfmp_strbuf *buffer, const void *bytes, size_t length);
CFMP_HIDDEN void cfmp_strbuf_append_code_point(struct cfmp_strbuf *buffer, uint32_t code_point);
/* An immutable string that takes the buffer's bytes (the buffer is left empty); NULL if they
 * are not valid UTF-8. */
CFMP_HIDDEN CFStringRef cfmp_string_create_from_buffer(struct cfmp_strbuf *buffer);
/* Formats CF-style (printf plus %@, %C, %S) into out (cf_string.c). */
CFMP_HIDDEN void cfmp_format_append(struct cfmp_strbuf *out, CFStringRef format, va_list args);
typedef void (*cfmp_data_free_fn)(void *context, void *bytes, size_t length);
/* A CFData over bytes it does not copy; free_fn(context, bytes, length) runs at finalize. */
CFMP_HIDDEN CFDataRef cfmp_data_create_external(const void *bytes, size_t length,
                                                cfmp_data_free_fn free_fn, void *context);
/* An immutable CFData holding a copy of length bytes in the object's own allocation. */
CFMP_HIDDEN CFDataRef cfmp_data_create_inline(const void *bytes, size_t length);

/* ---- Run loop internals (cf_runloop.c) ---------------------------------------------- */

/* Internal fd-based sources (the Linux stand-in for CF's version 1, Mach-port sources).
 * copy_fdref is called once when the source is added to a run-loop mode (R41: the port is read
 * at that moment); perform runs when that fd is readable, on the run loop's thread, or, with
 * probe, when a spinning run loop tries it without asking epoll: then it does only a cheap
 * non-blocking read. It returns whether it took a message. */
struct cfmp_source_ops {
    struct cfmp_fdref *(*copy_fdref)(void *info);
    bool (*perform)(void *info, struct cfmp_fdref *fdref, bool probe);
};
/* info is a CF object, retained by the source and released at its finalization. */
CFMP_HIDDEN CFRunLoopSourceRef cfmp_source_create_fd(CFIndex order,
                                                     const struct cfmp_source_ops *ops,
                                                     CFTypeRef info);
/* Adds source to rl in mode unless already there (SendRequest's reply source, R27 step 6). */
CFMP_HIDDEN void cfmp_runloop_add_source_once(CFRunLoopRef rl, CFRunLoopSourceRef source,
                                              CFStringRef mode);
/* Removes source from every mode of rl (a dead connection must not keep a run loop busy). */
CFMP_HIDDEN void cfmp_runloop_remove_source_everywhere(CFRunLoopRef rl,
                                                       CFRunLoopSourceRef source);
/* Wakes rl and makes its current RunInMode count a handled source (a filed reply). */
CFMP_HIDDEN void cfmp_runloop_poke(CFRunLoopRef rl);
CFMP_HIDDEN CFRunLoopSourceRef cfmp_main_queue_source(void);
/* The spin window of every run loop's adaptive busy-poll (cf_runloop.c,
 * cfmp_runloop_spin_begin): CFMP_SPIN_US or the default; 0 turns spinning off. Measured on 2
 * CPUs (libcfmp/README.md, Benchmark): spinning without backing off halved the throughput of
 * 32 clients; the adaptive spinning of every run loop took the 64-byte round trip from ~3.2x
 * to ~1.7x of a spinning socketpair and kept the 32-client throughput. */
#define CFMP_SPIN_NS_DEFAULT 50000
CFMP_HIDDEN uint64_t cfmp_runloop_spin_ns(void);

/* ---- Dispatch internals -------------------------------------------------------------- */

CFMP_HIDDEN void cfmp_main_queue_drain(void);
CFMP_HIDDEN bool cfmp_main_queue_pending(void);

/* ---- Shared queue counter (R29) --------------------------------------------------------- */

#define CFMP_QUEUE_LIMIT 5u
#define CFMP_SHARED_QUEUE_MAGIC 0x71666d63u
#define CFMP_SHARED_QUEUE_SIZE 4096u

/* Lives in a sealed memfd owned by the local port and mapped by every connected sender.
 * count = requests enqueued and not yet dequeued by the receiver (Mach's msgcount). */
struct cfmp_shared_queue {
    _Atomic uint32_t count;
    _Atomic uint32_t waiters;
    uint32_t magic;
    uint32_t limit;
};

#endif /* CFMP_INTERNAL_H */
