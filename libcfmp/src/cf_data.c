/*
 * cf_data.c — CFData and CFMutableData.
 */
#include "cfmp_internal.h"

#include <stdlib.h>
#include <string.h>

struct __CFData {
    struct cfmp_object base;
    uint8_t *bytes;
    size_t length;
    size_t capacity; /* allocated bytes when owned and mutable */
    bool is_mutable;
    cfmp_data_free_fn free_fn; /* NULL: bytes are not freed */
    void *free_context;
};

/* A CFData's bytes and length agree: bytes for a non-empty one, a mutable one within its
 * capacity. O(1). Not asserted on the public getters: CFDataCreateWithBytesNoCopy takes what
 * the caller gives. */
static bool cfmp_data_validate(const struct __CFData *data) {
    if (!cfmp_object_is(data, CFMP_TYPE_DATA)) return false;
    if (data->bytes == NULL && data->length != 0) return false;
    return !data->is_mutable || (data->bytes != NULL && data->length <= data->capacity);
}

static void cfmp_data_free_malloc(void *context, void *bytes, size_t length) {
    (void)context;
    (void)length;
    free(bytes);
}

static void cfmp_data_finalize(void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_DATA);
    struct __CFData *data = object;
    if (data->free_fn != NULL) data->free_fn(data->free_context, data->bytes, data->length);
    data->bytes = NULL;
}

static bool cfmp_data_equal(const void *a, const void *b) {
    const struct __CFData *left = a;
    const struct __CFData *right = b;
    return left->length == right->length &&
           (left->length == 0 || memcmp(left->bytes, right->bytes, left->length) == 0);
}

/* CF's format: <CFData %p [%p]>{length = n, capacity = n, bytes = 0x…}, the bytes in hex, or
 * for more than 24 the first 16 and the last 8 around " ... ". */
static CFStringRef cfmp_data_copy_description(const void *object) {
    assert(cfmp_data_validate(object));
    const struct __CFData *data = object;
    CFMutableStringRef result = CFStringCreateMutable(NULL, 0);
    CFStringAppendFormat(result, NULL,
                         CFSTR("<CFData %p [%p]>{length = %lu, capacity = %lu, bytes = 0x"), object,
                         (const void *)kCFAllocatorSystemDefault, (unsigned long)data->length,
                         (unsigned long)(data->capacity > data->length ? data->capacity
                                                                       : data->length));
    const uint8_t *bytes = data->bytes;
    size_t length = data->length;
    if (length > 24) {
        for (size_t i = 0; i < 16; i++) CFStringAppendFormat(result, NULL, CFSTR("%02x"), bytes[i]);
        CFStringAppend(result, CFSTR(" ... "));
        for (size_t i = length - 8; i < length; i++) {
            CFStringAppendFormat(result, NULL, CFSTR("%02x"), bytes[i]);
        }
    } else {
        for (size_t i = 0; i < length; i++) CFStringAppendFormat(result, NULL, CFSTR("%02x"), bytes[i]);
    }
    CFStringAppend(result, CFSTR("}"));
    return result;
}

const struct cfmp_class cfmp_data_class = {"CFData", cfmp_data_finalize, cfmp_data_equal, NULL,
                                           cfmp_data_copy_description};

CFTypeID CFDataGetTypeID(void) { return CFMP_TYPE_DATA; }

static void *cfmp_malloc_or_abort(size_t size) {
    void *memory = malloc(size == 0 ? 1 : size);
    if (memory == NULL) abort();
    return memory;
}

/* The bytes of an immutable CFData follow the object in one allocation (one malloc and one
 * free per CFData, which requests and replies make and drop on every message). */
_Static_assert(sizeof(struct __CFData) % 16 == 0, "inline bytes stay 16-byte aligned");

CFDataRef cfmp_data_create_inline(const void *bytes, size_t length) {
    assert(bytes != NULL || length == 0);
    struct __CFData *data = cfmp_object_create_extra(sizeof *data, length, CFMP_TYPE_DATA);
    data->bytes = (uint8_t *)(data + 1);
    if (length > 0) memcpy(data->bytes, bytes, length);
    data->length = length;
    data->capacity = length;
    assert(cfmp_data_validate(data));
    return data; /* free_fn NULL: the bytes go with the object */
}

CFDataRef CFDataCreate(CFAllocatorRef allocator, const UInt8 *bytes, CFIndex length) {
    (void)allocator;
    assert(length >= 0);
    assert(bytes != NULL || length == 0);
    return cfmp_data_create_inline(bytes, (size_t)length);
}

CFDataRef CFDataCreateWithBytesNoCopy(CFAllocatorRef allocator, const UInt8 *bytes,
                                      CFIndex length, CFAllocatorRef bytesDeallocator) {
    (void)allocator;
    assert(length >= 0);
    struct __CFData *data = cfmp_object_create(sizeof *data, CFMP_TYPE_DATA);
    data->bytes = (uint8_t *)bytes;
    data->length = (size_t)length;
    data->free_fn = bytesDeallocator == kCFAllocatorNull ? NULL : cfmp_data_free_malloc;
    return data;
}

CFDataRef cfmp_data_create_external(const void *bytes, size_t length, cfmp_data_free_fn free_fn,
                                    void *context) {
    assert(bytes != NULL || length == 0);
    assert((CFIndex)length >= 0); /* fits CFDataGetLength */
    struct __CFData *data = cfmp_object_create(sizeof *data, CFMP_TYPE_DATA);
    data->bytes = (uint8_t *)bytes;
    data->length = length;
    data->free_fn = free_fn;
    data->free_context = context;
    assert(cfmp_data_validate(data) && !data->is_mutable);
    return data;
}

CFDataRef CFDataCreateCopy(CFAllocatorRef allocator, CFDataRef theData) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    return CFDataCreate(allocator, theData->bytes, (CFIndex)theData->length);
}

CFMutableDataRef CFDataCreateMutable(CFAllocatorRef allocator, CFIndex capacity) {
    (void)allocator;
    assert(capacity >= 0);
    struct __CFData *data = cfmp_object_create(sizeof *data, CFMP_TYPE_DATA);
    data->capacity = capacity > 16 ? (size_t)capacity : 16;
    data->bytes = cfmp_malloc_or_abort(data->capacity);
    data->is_mutable = true;
    data->free_fn = cfmp_data_free_malloc;
    assert(cfmp_data_validate(data));
    return data;
}

CFIndex CFDataGetLength(CFDataRef theData) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    return (CFIndex)theData->length;
}

const UInt8 *CFDataGetBytePtr(CFDataRef theData) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    return theData->bytes;
}

UInt8 *CFDataGetMutableBytePtr(CFMutableDataRef theData) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    return theData->is_mutable ? theData->bytes : NULL;
}

void CFDataGetBytes(CFDataRef theData, CFRange range, UInt8 *buffer) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    assert(range.location >= 0 && range.length >= 0);
    assert((size_t)(range.location + range.length) <= theData->length);
    if (range.length > 0) {
        memcpy(buffer, theData->bytes + range.location, (size_t)range.length);
    }
}

static void cfmp_data_reserve(struct __CFData *data, size_t length) {
    assert(cfmp_data_validate(data));
    assert(data->is_mutable);
    if (length <= data->capacity) return;
    size_t capacity = data->capacity * 2 > length ? data->capacity * 2 : length;
    uint8_t *bytes = realloc(data->bytes, capacity);
    if (bytes == NULL) abort();
    data->bytes = bytes;
    data->capacity = capacity;
    assert(length <= data->capacity); /* exit: room for length bytes */
}

void CFDataSetLength(CFMutableDataRef theData, CFIndex length) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    assert(length >= 0);
    cfmp_data_reserve(theData, (size_t)length);
    if ((size_t)length > theData->length) {
        memset(theData->bytes + theData->length, 0, (size_t)length - theData->length);
    }
    theData->length = (size_t)length;
}

void CFDataAppendBytes(CFMutableDataRef theData, const UInt8 *bytes, CFIndex length) {
    CFMP_ASSERT_TYPE(theData, CFMP_TYPE_DATA);
    assert(length >= 0);
    cfmp_data_reserve(theData, theData->length + (size_t)length);
    if (length > 0) memcpy(theData->bytes + theData->length, bytes, (size_t)length);
    theData->length += (size_t)length;
}
