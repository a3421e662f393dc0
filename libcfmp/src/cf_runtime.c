/*
 * cf_runtime.c — the CF object header, CFRetain/CFRelease, the type table, allocators,
 * logging, clocks and reference-counted file descriptors.
 */
#include "cfmp_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct __CFAllocator {
    struct cfmp_object base;
    const char *name;
};

#define CFMP_STATIC_ALLOCATOR(symbol, label)                                                    \
    static const struct __CFAllocator symbol = {                                               \
        {CFMP_OBJECT_MAGIC, CFMP_TYPE_ALLOCATOR, CFMP_REFS_IMMORTAL}, label}

CFMP_STATIC_ALLOCATOR(cfmp_allocator_system, "kCFAllocatorSystemDefault");
CFMP_STATIC_ALLOCATOR(cfmp_allocator_malloc, "kCFAllocatorMalloc");
CFMP_STATIC_ALLOCATOR(cfmp_allocator_malloc_zone, "kCFAllocatorMallocZone");
CFMP_STATIC_ALLOCATOR(cfmp_allocator_null, "kCFAllocatorNull");
CFMP_STATIC_ALLOCATOR(cfmp_allocator_use_context, "kCFAllocatorUseContext");

const CFAllocatorRef kCFAllocatorDefault = NULL;
const CFAllocatorRef kCFAllocatorSystemDefault = &cfmp_allocator_system;
const CFAllocatorRef kCFAllocatorMalloc = &cfmp_allocator_malloc;
const CFAllocatorRef kCFAllocatorMallocZone = &cfmp_allocator_malloc_zone;
const CFAllocatorRef kCFAllocatorNull = &cfmp_allocator_null;
const CFAllocatorRef kCFAllocatorUseContext = &cfmp_allocator_use_context;

/* CF's description of an allocator names it: <CFAllocator %p [%p]>{info = %p, ...}; the name
 * is what a reader needs. */
static CFStringRef cfmp_allocator_copy_description(const void *object) {
    const struct __CFAllocator *allocator = object;
    return CFStringCreateWithFormat(NULL, NULL, CFSTR("<CFAllocator %p [%p]>{name = %s}"), object,
                                    object, allocator->name);
}

static const struct cfmp_class cfmp_allocator_class = {"CFAllocator", NULL, NULL, NULL,
                                                       cfmp_allocator_copy_description};

static const struct cfmp_class *cfmp_class_for(uint32_t type_id) {
    switch (type_id) {
    case CFMP_TYPE_ALLOCATOR: return &cfmp_allocator_class;
    case CFMP_TYPE_STRING: return &cfmp_string_class;
    case CFMP_TYPE_DATA: return &cfmp_data_class;
    case CFMP_TYPE_MESSAGE_PORT: return &cfmp_port_class;
    case CFMP_TYPE_RUN_LOOP: return &cfmp_runloop_class;
    case CFMP_TYPE_RUN_LOOP_SOURCE: return &cfmp_source_class;
    case CFMP_TYPE_RUN_LOOP_TIMER: return &cfmp_timer_class;
    default: return NULL;
    }
}

static const struct cfmp_object *cfmp_object_checked(CFTypeRef cf) {
    const struct cfmp_object *object = cf;
    if (object == NULL || object->magic != CFMP_OBJECT_MAGIC) {
        fprintf(stderr, "libcfmp: %p is not a CF object (precondition violation)\n", cf);
        abort();
    }
    assert(cfmp_class_for(object->type_id) != NULL); /* every live object has its class */
    return object;
}

void *cfmp_object_create_extra(size_t size, size_t extra, enum cfmp_type type_id) {
    assert(size >= sizeof(struct cfmp_object));
    assert(cfmp_class_for(type_id) != NULL);
    /* malloc and memset rather than calloc: glibc's calloc bypasses the per-thread cache, and
     * objects are made and freed on every request and reply. */
    struct cfmp_object *object = size + extra >= size ? malloc(size + extra) : NULL;
    if (object == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    memset(object, 0, size);
    object->magic = CFMP_OBJECT_MAGIC;
    object->type_id = type_id;
    atomic_init(&object->refs, 1);
    return object;
}

void *cfmp_object_create(size_t size, enum cfmp_type type_id) {
    return cfmp_object_create_extra(size, 0, type_id);
}

bool cfmp_object_is(const void *object, enum cfmp_type type_id) {
    const struct cfmp_object *header = object;
    return header != NULL && header->magic == CFMP_OBJECT_MAGIC && header->type_id == type_id;
}

bool cfmp_object_try_retain(const void *cf) {
    struct cfmp_object *object = (struct cfmp_object *)cfmp_object_checked(cf);
    int32_t refs = atomic_load(&object->refs);
    for (;;) { /* bounded by contention only: each failed CAS means another thread progressed */
        if (refs == CFMP_REFS_IMMORTAL) return true;
        if (refs <= 0) return false;
        if (atomic_compare_exchange_weak(&object->refs, &refs, refs + 1)) return true;
    }
}

CFTypeRef CFRetain(CFTypeRef cf) {
    struct cfmp_object *object = (struct cfmp_object *)cfmp_object_checked(cf);
    if (atomic_load_explicit(&object->refs, memory_order_relaxed) == CFMP_REFS_IMMORTAL) {
        return cf;
    }
    int32_t before = atomic_fetch_add(&object->refs, 1);
    assert(before > 0);
    assert(before < CFMP_REFS_IMMORTAL - 1); /* a count never reaches the immortal mark */
    (void)before;
    return cf;
}

void CFRelease(CFTypeRef cf) {
    struct cfmp_object *object = (struct cfmp_object *)cfmp_object_checked(cf);
    if (atomic_load_explicit(&object->refs, memory_order_relaxed) == CFMP_REFS_IMMORTAL) {
        return;
    }
    int32_t before = atomic_fetch_sub(&object->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    const struct cfmp_class *klass = cfmp_class_for(object->type_id);
    assert(klass != NULL);
    if (klass->finalize != NULL) klass->finalize(object);
    object->magic = 0;
    free(object);
}

CFIndex CFGetRetainCount(CFTypeRef cf) {
    const struct cfmp_object *object = cfmp_object_checked(cf);
    return (CFIndex)atomic_load(&((struct cfmp_object *)object)->refs);
}

CFTypeID CFGetTypeID(CFTypeRef cf) {
    return cfmp_object_checked(cf)->type_id;
}

Boolean CFEqual(CFTypeRef cf1, CFTypeRef cf2) {
    const struct cfmp_object *a = cfmp_object_checked(cf1);
    const struct cfmp_object *b = cfmp_object_checked(cf2);
    if (a == b) return true;
    if (a->type_id != b->type_id) return false;
    const struct cfmp_class *klass = cfmp_class_for(a->type_id);
    assert(klass != NULL);
    if (klass == NULL || klass->equal == NULL) return false;
    return klass->equal(a, b);
}

CFHashCode CFHash(CFTypeRef cf) {
    const struct cfmp_object *object = cfmp_object_checked(cf);
    const struct cfmp_class *klass = cfmp_class_for(object->type_id);
    assert(klass != NULL);
    if (klass == NULL || klass->hash == NULL) return (CFHashCode)(uintptr_t)cf;
    return klass->hash(object);
}

CFStringRef CFCopyDescription(CFTypeRef cf) {
    if (cf == NULL) return NULL;
    const struct cfmp_object *object = cfmp_object_checked(cf);
    const struct cfmp_class *klass = cfmp_class_for(object->type_id);
    assert(klass != NULL);
    if (klass->copy_description != NULL) {
        CFStringRef description = klass->copy_description(object);
        if (description != NULL) return description;
    }
    return CFStringCreateWithFormat(NULL, NULL, CFSTR("<%s %p [%p]>"), klass->name, cf,
                                    (const void *)kCFAllocatorSystemDefault);
}

CFStringRef CFCopyTypeIDDescription(CFTypeID type_id) {
    const struct cfmp_class *klass = type_id <= UINT32_MAX ? cfmp_class_for((uint32_t)type_id)
                                                           : NULL;
    if (klass == NULL) return NULL;
    return CFStringCreateWithCString(NULL, klass->name, kCFStringEncodingUTF8);
}

/* ---- allocators -------------------------------------------------------------------------- */

CFTypeID CFAllocatorGetTypeID(void) { return CFMP_TYPE_ALLOCATOR; }

CFAllocatorRef CFAllocatorGetDefault(void) { return kCFAllocatorSystemDefault; }

CFAllocatorRef CFGetAllocator(CFTypeRef cf) {
    if (cf != NULL) (void)cfmp_object_checked(cf);
    return kCFAllocatorSystemDefault;
}

/* NULL means the default allocator; every allocator but kCFAllocatorNull is malloc. */
static bool cfmp_allocator_allocates(CFAllocatorRef allocator) {
    if (allocator == NULL) return true;
    CFMP_ASSERT_TYPE(allocator, CFMP_TYPE_ALLOCATOR);
    return allocator != kCFAllocatorNull && allocator != kCFAllocatorUseContext;
}

void *CFAllocatorAllocate(CFAllocatorRef allocator, CFIndex size, CFOptionFlags hint) {
    (void)hint;
    if (size <= 0 || !cfmp_allocator_allocates(allocator)) return NULL;
    void *memory = malloc((size_t)size);
    if (memory == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    return memory;
}

void *CFAllocatorReallocate(CFAllocatorRef allocator, void *ptr, CFIndex newsize,
                            CFOptionFlags hint) {
    if (!cfmp_allocator_allocates(allocator)) return NULL;
    if (ptr == NULL) return CFAllocatorAllocate(allocator, newsize, hint);
    if (newsize <= 0) {
        free(ptr);
        return NULL;
    }
    void *memory = realloc(ptr, (size_t)newsize);
    if (memory == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    return memory;
}

void CFAllocatorDeallocate(CFAllocatorRef allocator, void *ptr) {
    if (ptr == NULL || !cfmp_allocator_allocates(allocator)) return;
    free(ptr);
}

CFIndex CFAllocatorGetPreferredSizeForSize(CFAllocatorRef allocator, CFIndex size,
                                           CFOptionFlags hint) {
    (void)hint;
    if (!cfmp_allocator_allocates(allocator)) return 0;
    return size <= 0 ? 0 : (size + 15) & ~(CFIndex)15; /* malloc's 16-byte granule */
}

/* ---- CFDate's clock and CFPreferences' absence ---------------------------------------- */

CFAbsoluteTime CFAbsoluteTimeGetCurrent(void) {
    struct timespec now;
    int rc = clock_gettime(CLOCK_REALTIME, &now);
    assert(rc == 0);
    (void)rc;
    return ((double)now.tv_sec - kCFAbsoluteTimeIntervalSince1970) + (double)now.tv_nsec * 1e-9;
}

CFMP_STATIC_STRING(cfmp_pref_any_application, "kCFPreferencesAnyApplication");
CFMP_STATIC_STRING(cfmp_pref_current_application, "kCFPreferencesCurrentApplication");
CFMP_STATIC_STRING(cfmp_pref_any_host, "kCFPreferencesAnyHost");
CFMP_STATIC_STRING(cfmp_pref_current_host, "kCFPreferencesCurrentHost");
CFMP_STATIC_STRING(cfmp_pref_any_user, "kCFPreferencesAnyUser");
CFMP_STATIC_STRING(cfmp_pref_current_user, "kCFPreferencesCurrentUser");
const CFStringRef kCFPreferencesAnyApplication = &cfmp_pref_any_application;
const CFStringRef kCFPreferencesCurrentApplication = &cfmp_pref_current_application;
const CFStringRef kCFPreferencesAnyHost = &cfmp_pref_any_host;
const CFStringRef kCFPreferencesCurrentHost = &cfmp_pref_current_host;
const CFStringRef kCFPreferencesAnyUser = &cfmp_pref_any_user;
const CFStringRef kCFPreferencesCurrentUser = &cfmp_pref_current_user;

CFPropertyListRef CFPreferencesCopyAppValue(CFStringRef key, CFStringRef applicationID) {
    CFMP_ASSERT_TYPE(key, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(applicationID, CFMP_TYPE_STRING);
    return NULL; /* no store: every key is absent */
}

CFPropertyListRef CFPreferencesCopyValue(CFStringRef key, CFStringRef applicationID,
                                         CFStringRef userName, CFStringRef hostName) {
    (void)userName;
    (void)hostName;
    return CFPreferencesCopyAppValue(key, applicationID);
}

Boolean CFPreferencesGetAppBooleanValue(CFStringRef key, CFStringRef applicationID,
                                        Boolean *keyExistsAndHasValidFormat) {
    CFPropertyListRef value = CFPreferencesCopyAppValue(key, applicationID);
    assert(value == NULL);
    if (keyExistsAndHasValidFormat != NULL) *keyExistsAndHasValidFormat = false;
    return false;
}

CFIndex CFPreferencesGetAppIntegerValue(CFStringRef key, CFStringRef applicationID,
                                        Boolean *keyExistsAndHasValidFormat) {
    CFPropertyListRef value = CFPreferencesCopyAppValue(key, applicationID);
    assert(value == NULL);
    if (keyExistsAndHasValidFormat != NULL) *keyExistsAndHasValidFormat = false;
    return 0;
}

void CFPreferencesSetAppValue(CFStringRef key, CFPropertyListRef value,
                              CFStringRef applicationID) {
    CFMP_ASSERT_TYPE(key, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(applicationID, CFMP_TYPE_STRING);
    (void)value; /* not stored: the next CopyAppValue still returns NULL */
}

Boolean CFPreferencesAppSynchronize(CFStringRef applicationID) {
    CFMP_ASSERT_TYPE(applicationID, CFMP_TYPE_STRING);
    return false; /* nothing could be written */
}

/* ---- logging and time ---------------------------------------------------------------- */

void cfmp_log(const char *format, ...) {
    assert(format != NULL);
    static int enabled = -1;
    if (enabled < 0) enabled = getenv("CFMP_LOG") != NULL;
    if (!enabled) return;
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    fprintf(stderr, "libcfmp[%ld]: %s\n", (long)getpid(), line);
}

void cfmp_precondition_violation(const char *function, const char *what) {
    assert(function != NULL && what != NULL);
    fprintf(stderr, "libcfmp: %s: %s (precondition violation)\n", function, what);
    abort();
}

uint64_t cfmp_now_ns(void) {
    struct timespec now;
    int rc = clock_gettime(CLOCK_MONOTONIC, &now);
    assert(rc == 0);
    (void)rc;
    return (uint64_t)now.tv_sec * CFMP_NS_PER_S + (uint64_t)now.tv_nsec;
}

uint64_t cfmp_deadline_after_s(double seconds) {
    uint64_t now_ns = cfmp_now_ns();
    if (isnan(seconds)) return CFMP_DEADLINE_NEVER;
    if (seconds <= 0) return now_ns;
    if (seconds >= 1e9) return CFMP_DEADLINE_NEVER;
    uint64_t delta_ns = (uint64_t)(seconds * 1e9);
    assert(delta_ns < UINT64_MAX - now_ns); /* under 1e9 s: no wrap, never CFMP_DEADLINE_NEVER */
    return now_ns + delta_ns;
}

int cfmp_timeout_ms_until(uint64_t deadline_ns) {
    if (deadline_ns == CFMP_DEADLINE_NEVER) return -1;
    uint64_t now_ns = cfmp_now_ns();
    if (deadline_ns <= now_ns) return 0;
    uint64_t remaining_ms = (deadline_ns - now_ns + 999999u) / 1000000u; /* round up */
    if (remaining_ms > 24u * 3600u * 1000u) remaining_ms = 24u * 3600u * 1000u;
    assert(remaining_ms >= 1 && remaining_ms <= (uint64_t)INT32_MAX); /* exit: a poll timeout */
    return (int)remaining_ms;
}

/* ---- fd references --------------------------------------------------------------------- */

struct cfmp_fdref *cfmp_fdref_create(int fd) {
    assert(fd >= 0);
    struct cfmp_fdref *fdref = malloc(sizeof *fdref);
    if (fdref == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    atomic_init(&fdref->refs, 1);
    fdref->fd = fd;
    return fdref;
}

struct cfmp_fdref *cfmp_fdref_retain(struct cfmp_fdref *fdref) {
    assert(fdref != NULL);
    int32_t before = atomic_fetch_add(&fdref->refs, 1);
    assert(before > 0);
    (void)before;
    return fdref;
}

void cfmp_fdref_release(struct cfmp_fdref *fdref) {
    if (fdref == NULL) return;
    int32_t before = atomic_fetch_sub(&fdref->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    assert(fdref->fd >= 0); /* cfmp_fdref_create */
    cfmp_close(fdref->fd);
    free(fdref);
}
