/*
 * cf_string.c — CFString: immutable strings stored as validated UTF-8.
 */
#include "cfmp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cfmp_string_finalize(void *object) {
    struct __CFString *string = object;
    free((void *)string->bytes);
    string->bytes = NULL;
}

static bool cfmp_string_equal(const void *a, const void *b) {
    const struct __CFString *left = a;
    const struct __CFString *right = b;
    return left->length == right->length && memcmp(left->bytes, right->bytes, left->length) == 0;
}

static CFHashCode cfmp_string_hash(const void *object) {
    const struct __CFString *string = object;
    uint64_t hash = 1469598103934665603ull;
    for (size_t i = 0; i < string->length; i++) {
        hash = (hash ^ (uint8_t)string->bytes[i]) * 1099511628211ull;
    }
    return (CFHashCode)hash;
}

const struct cfmp_class cfmp_string_class = {
    "CFString", cfmp_string_finalize, cfmp_string_equal, cfmp_string_hash};

CFTypeID CFStringGetTypeID(void) { return CFMP_TYPE_STRING; }

/* Length in bytes of the UTF-8 sequence starting with lead, 0 if lead is not a lead byte. */
static size_t cfmp_utf8_sequence_length(uint8_t lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return 2;
    if (lead >= 0xe0 && lead <= 0xef) return 3;
    if (lead >= 0xf0 && lead <= 0xf4) return 4;
    return 0;
}

/* Decodes one well-formed sequence; returns its length or 0 when malformed. */
static size_t cfmp_utf8_decode(const uint8_t *bytes, size_t available, uint32_t *code_point) {
    size_t length = cfmp_utf8_sequence_length(bytes[0]);
    if (length == 0 || length > available) return 0;
    if (length == 1) {
        *code_point = bytes[0];
        return 1;
    }
    uint32_t value = bytes[0] & (0x7fu >> length);
    for (size_t i = 1; i < length; i++) {
        if ((bytes[i] & 0xc0) != 0x80) return 0;
        value = (value << 6) | (bytes[i] & 0x3fu);
    }
    static const uint32_t minimum[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < minimum[length] || value > 0x10ffff) return 0;
    if (value >= 0xd800 && value <= 0xdfff) return 0;
    *code_point = value;
    return length;
}

bool cfmp_utf8_valid(const uint8_t *bytes, size_t length, size_t *utf16_length) {
    size_t units = 0;
    size_t offset = 0;
    while (offset < length) {
        uint32_t code_point = 0;
        size_t step = cfmp_utf8_decode(bytes + offset, length - offset, &code_point);
        if (step == 0) return false;
        units += code_point > 0xffff ? 2 : 1;
        offset += step;
    }
    if (utf16_length != NULL) *utf16_length = units;
    return true;
}

static CFStringRef cfmp_string_adopt(char *bytes, size_t length, size_t utf16_length) {
    struct __CFString *string = cfmp_object_create(sizeof *string, CFMP_TYPE_STRING);
    string->bytes = bytes;
    string->length = length;
    string->utf16_length = utf16_length;
    return string;
}

CFStringRef cfmp_string_create_utf8(const char *bytes, size_t length) {
    size_t utf16_length = 0;
    if (!cfmp_utf8_valid((const uint8_t *)bytes, length, &utf16_length)) return NULL;
    char *copy = malloc(length + 1);
    if (copy == NULL) abort();
    memcpy(copy, bytes, length);
    copy[length] = '\0';
    return cfmp_string_adopt(copy, length, utf16_length);
}

/* Latin-1 bytes to UTF-8 (every byte is a code point below 256). */
static CFStringRef cfmp_string_create_latin1(const uint8_t *bytes, size_t length) {
    char *utf8 = malloc(length * 2 + 1);
    if (utf8 == NULL) abort();
    size_t out = 0;
    for (size_t i = 0; i < length; i++) {
        if (bytes[i] < 0x80) {
            utf8[out++] = (char)bytes[i];
        } else {
            utf8[out++] = (char)(0xc0 | (bytes[i] >> 6));
            utf8[out++] = (char)(0x80 | (bytes[i] & 0x3f));
        }
    }
    utf8[out] = '\0';
    return cfmp_string_adopt(utf8, out, length);
}

static bool cfmp_all_ascii(const uint8_t *bytes, size_t length) {
    for (size_t i = 0; i < length; i++) {
        if (bytes[i] >= 0x80) return false;
    }
    return true;
}

CFStringRef CFStringCreateWithBytes(CFAllocatorRef alloc, const UInt8 *bytes, CFIndex numBytes,
                                    CFStringEncoding encoding, Boolean isExternalRepresentation) {
    (void)alloc;
    (void)isExternalRepresentation;
    if (numBytes < 0 || (bytes == NULL && numBytes > 0)) return NULL;
    const uint8_t *input = numBytes > 0 ? bytes : (const uint8_t *)"";
    size_t length = (size_t)numBytes;
    switch (encoding) {
    case kCFStringEncodingUTF8:
        if (length >= 3 && memcmp(input, "\xef\xbb\xbf", 3) == 0 && isExternalRepresentation) {
            input += 3; /* a byte-order mark is not part of the string */
            length -= 3;
        }
        return cfmp_string_create_utf8((const char *)input, length);
    case kCFStringEncodingASCII:
    case kCFStringEncodingMacRoman:
        if (!cfmp_all_ascii(input, length)) return NULL;
        return cfmp_string_create_utf8((const char *)input, length);
    case kCFStringEncodingISOLatin1:
    case kCFStringEncodingWindowsLatin1:
        return cfmp_string_create_latin1(input, length);
    default:
        return NULL;
    }
}

CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr,
                                      CFStringEncoding encoding) {
    if (cStr == NULL) return NULL;
    return CFStringCreateWithBytes(alloc, (const UInt8 *)cStr, (CFIndex)strlen(cStr), encoding,
                                   false);
}

CFStringRef CFStringCreateCopy(CFAllocatorRef alloc, CFStringRef theString) {
    (void)alloc;
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    return CFRetain(theString);
}

CFIndex CFStringGetLength(CFStringRef theString) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    return (CFIndex)theString->utf16_length;
}

const char *cfmp_string_utf8(CFStringRef string, size_t *length) {
    CFMP_ASSERT_TYPE(string, CFMP_TYPE_STRING);
    if (length != NULL) *length = string->length;
    return string->bytes;
}

const char *CFStringGetCStringPtr(CFStringRef theString, CFStringEncoding encoding) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (encoding != kCFStringEncodingUTF8) return NULL;
    if (memchr(theString->bytes, '\0', theString->length) != NULL) return NULL;
    return theString->bytes;
}

Boolean CFStringGetCString(CFStringRef theString, char *buffer, CFIndex bufferSize,
                           CFStringEncoding encoding) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (buffer == NULL || bufferSize <= 0) return false;
    size_t length = theString->length;
    const uint8_t *bytes = (const uint8_t *)theString->bytes;
    bool ascii_only = encoding == kCFStringEncodingASCII || encoding == kCFStringEncodingMacRoman;
    if (encoding != kCFStringEncodingUTF8 && !ascii_only) {
        return false; /* Latin-1 output is not needed by anything here */
    }
    if (ascii_only && !cfmp_all_ascii(bytes, length)) return false;
    if (length + 1 > (size_t)bufferSize) return false;
    memcpy(buffer, bytes, length);
    buffer[length] = '\0';
    return true;
}

CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding) {
    if (encoding == kCFStringEncodingUTF8) return length * 3;
    return length;
}

CFIndex CFStringGetBytes(CFStringRef theString, CFRange range, CFStringEncoding encoding,
                         UInt8 lossByte, Boolean isExternalRepresentation, UInt8 *buffer,
                         CFIndex maxBufLen, CFIndex *usedBufLen) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    (void)isExternalRepresentation;
    const uint8_t *bytes = (const uint8_t *)theString->bytes;
    size_t offset = 0;
    CFIndex unit = 0;
    CFIndex converted = 0;
    CFIndex used = 0;
    while (offset < theString->length && unit < range.location + range.length) {
        uint32_t code_point = 0;
        size_t step = cfmp_utf8_decode(bytes + offset, theString->length - offset, &code_point);
        assert(step > 0);
        CFIndex units = code_point > 0xffff ? 2 : 1;
        if (unit >= range.location) {
            const uint8_t *out = bytes + offset;
            CFIndex out_length = (CFIndex)step;
            if (encoding != kCFStringEncodingUTF8 && code_point >= 0x80) {
                if (lossByte == 0) break;
                out = &lossByte;
                out_length = 1;
            }
            if (buffer != NULL && used + out_length > maxBufLen) break;
            if (buffer != NULL) memcpy(buffer + used, out, (size_t)out_length);
            used += out_length;
            converted += units;
        }
        unit += units;
        offset += step;
    }
    if (usedBufLen != NULL) *usedBufLen = used;
    return converted;
}

/* ---- constant strings (CFSTR) ------------------------------------------------------------ */

struct cfmp_constant_string {
    struct cfmp_constant_string *next;
    CFStringRef string;
};

static pthread_mutex_t cfmp_constants_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfmp_constant_string *cfmp_constants;

CFStringRef __CFStringMakeConstantString(const char *cStr) {
    assert(cStr != NULL);
    size_t length = strlen(cStr);
    pthread_mutex_lock(&cfmp_constants_lock);
    for (struct cfmp_constant_string *entry = cfmp_constants; entry; entry = entry->next) {
        if (entry->string->length == length && memcmp(entry->string->bytes, cStr, length) == 0) {
            pthread_mutex_unlock(&cfmp_constants_lock);
            return entry->string;
        }
    }
    CFStringRef string = cfmp_string_create_utf8(cStr, length);
    if (string == NULL) {
        pthread_mutex_unlock(&cfmp_constants_lock);
        fprintf(stderr, "libcfmp: CFSTR literal is not valid UTF-8\n");
        abort();
    }
    atomic_store(&((struct cfmp_object *)string)->refs, CFMP_REFS_IMMORTAL);
    struct cfmp_constant_string *entry = malloc(sizeof *entry);
    if (entry == NULL) abort();
    entry->string = string;
    entry->next = cfmp_constants;
    cfmp_constants = entry;
    pthread_mutex_unlock(&cfmp_constants_lock);
    return string;
}
