/*
 * cf_string.c — CFString and CFMutableString, stored as validated UTF-8.
 *
 * Lengths and indices count UTF-16 units, as CF does; an ASCII-only string (length in bytes
 * equal to its UTF-16 length) maps indices to bytes directly, any other string is scanned.
 * Conversions: UTF-8, ASCII, MacRoman, ISO Latin-1 / Windows Latin-1 (as Latin-1), UTF-16 and
 * UTF-32 in both byte orders; formatting (CFStringCreateWithFormat, with CF's %@).
 */
#include "cfmp_internal.h"
#include "base_utf8.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

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
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_STRING);
    assert(((const struct __CFString *)object)->bytes != NULL);
    const struct __CFString *string = object;
    uint64_t hash = 1469598103934665603ull;
    for (size_t i = 0; i < string->length; i++) {
        hash = (hash ^ (uint8_t)string->bytes[i]) * 1099511628211ull;
    }
    return (CFHashCode)hash;
}

/* CF's debug description: <CFString %p [%p]>{contents = "…"}. */
static CFStringRef cfmp_string_copy_description(const void *object) {
    return CFStringCreateWithFormat(NULL, NULL, CFSTR("<CFString %p [%p]>{contents = \"%@\"}"),
                                    object, (const void *)kCFAllocatorSystemDefault, object);
}

const struct cfmp_class cfmp_string_class = {"CFString", cfmp_string_finalize, cfmp_string_equal,
                                             cfmp_string_hash, cfmp_string_copy_description};

CFTypeID CFStringGetTypeID(void) { return CFMP_TYPE_STRING; }

/* A precondition violation CF would assert on: report it and abort rather than corrupt. */
static void cfmp_string_violation(const char *function, const char *what) {
    fprintf(stderr, "libcfmp: %s: %s (precondition violation)\n", function, what);
    abort();
}

static void *cfmp_xmalloc(size_t size) {
    void *memory = malloc(size == 0 ? 1 : size);
    if (memory == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    return memory;
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */
/* Strict decoding and encoding are base/'s (base_utf8.h, header-only: nothing of base/ is
 * linked into libcfmp or exported from it). */

/* Length in bytes of the UTF-8 sequence starting with lead, 0 if lead is not a lead byte. */
static size_t cfmp_utf8_sequence_length(uint8_t lead) {
    size_t n = 0; /* continuation bytes, overlong leads 0xc0/0xc1, 0xf5.. */
    if (lead < 0x80) n = 1;
    else if (lead >= 0xc2 && lead <= 0xdf) n = 2;
    else if (lead >= 0xe0 && lead <= 0xef) n = 3;
    else if (lead >= 0xf0 && lead <= 0xf4) n = 4;
    assert(n <= 4);
    assert((n == 1) == (lead < 0x80));
    return n;
}

bool cfmp_utf8_valid(const uint8_t *bytes, size_t length, size_t *utf16_length) {
    assert(bytes != NULL || length == 0);
    size_t units = 0;
    size_t offset = 0;
    while (offset < length) {
        uint32_t code_point = 0;
        size_t step = base_utf8_decode(bytes + offset, length - offset, &code_point);
        if (step == 0) return false;
        units += code_point > 0xffff ? 2 : 1;
        offset += step;
    }
    assert(offset == length && units <= length); /* a UTF-16 unit takes at least a byte */
    if (utf16_length != NULL) *utf16_length = units;
    return true;
}

/* ---- growable byte buffers (conversions, formatting, mutation) ------------------------------ */

void cfmp_strbuf_reserve(struct cfmp_strbuf *buffer, size_t extra) {
    assert(buffer != NULL);
    if (buffer->length + extra < buffer->length) abort(); /* size_t overflow */
    size_t needed = buffer->length + extra + 1;           /* room for the terminator */
    if (needed <= buffer->capacity) return;
    size_t next = buffer->capacity < 32 ? 32 : buffer->capacity;
    while (next < needed) next = next > SIZE_MAX / 2 ? needed : next * 2;
    char *grown = realloc(buffer->bytes, next);
    if (grown == NULL) {
        fprintf(stderr, "libcfmp: out of memory\n");
        abort();
    }
    buffer->bytes = grown;
    buffer->capacity = next;
}

void cfmp_strbuf_append(struct cfmp_strbuf *buffer, const void *bytes, size_t length) {
    assert(buffer != NULL);
    assert(bytes != NULL || length == 0);
    cfmp_strbuf_reserve(buffer, length);
    if (length > 0) memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
    assert(buffer->length < buffer->capacity); /* reserve kept room for the terminator */
    buffer->bytes[buffer->length] = '\0';
}

void cfmp_strbuf_append_code_point(struct cfmp_strbuf *buffer, uint32_t code_point) {
    uint8_t encoded[4];
    size_t length = base_utf8_encode(code_point, encoded);
    cfmp_strbuf_append(buffer, encoded, length);
}

/* ---- construction ------------------------------------------------------------------------- */

/* Takes ownership of bytes (malloc'd, NUL-terminated, valid UTF-8). */
static struct __CFString *cfmp_string_adopt(char *bytes, size_t length, size_t utf16_length,
                                            size_t capacity, bool is_mutable) {
    assert(bytes != NULL && bytes[length] == '\0');
    struct __CFString *string = cfmp_object_create(sizeof *string, CFMP_TYPE_STRING);
    string->bytes = bytes;
    string->length = length;
    string->utf16_length = utf16_length;
    string->capacity = capacity;
    string->is_mutable = is_mutable;
    return string;
}

CFStringRef cfmp_string_create_utf8(const char *bytes, size_t length) {
    assert(bytes != NULL || length == 0);
    assert(length < SIZE_MAX); /* length + 1 below does not wrap */
    size_t utf16_length = 0;
    if (!cfmp_utf8_valid((const uint8_t *)bytes, length, &utf16_length)) return NULL;
    char *copy = cfmp_xmalloc(length + 1);
    if (length > 0) memcpy(copy, bytes, length);
    copy[length] = '\0';
    return cfmp_string_adopt(copy, length, utf16_length, length + 1, false);
}

CFStringRef cfmp_string_create_from_buffer(struct cfmp_strbuf *buffer) {
    assert(buffer != NULL);
    cfmp_strbuf_reserve(buffer, 0);
    assert(buffer->bytes != NULL && buffer->length < buffer->capacity);
    buffer->bytes[buffer->length] = '\0'; /* one nothing was appended to has none yet */
    size_t utf16_length = 0;
    if (!cfmp_utf8_valid((const uint8_t *)buffer->bytes, buffer->length, &utf16_length)) {
        free(buffer->bytes);
        *buffer = (struct cfmp_strbuf){NULL, 0, 0};
        return NULL;
    }
    CFStringRef string = cfmp_string_adopt(buffer->bytes, buffer->length, utf16_length,
                                           buffer->capacity, false);
    *buffer = (struct cfmp_strbuf){NULL, 0, 0};
    return string;
}

/* The high half of MacRoman (bytes 0x80..0xFF) as Unicode, Apple's current mapping. */
static const uint16_t cfmp_mac_roman_high[128] = {
    0x00c4, 0x00c5, 0x00c7, 0x00c9, 0x00d1, 0x00d6, 0x00dc, 0x00e1,
    0x00e0, 0x00e2, 0x00e4, 0x00e3, 0x00e5, 0x00e7, 0x00e9, 0x00e8,
    0x00ea, 0x00eb, 0x00ed, 0x00ec, 0x00ee, 0x00ef, 0x00f1, 0x00f3,
    0x00f2, 0x00f4, 0x00f6, 0x00f5, 0x00fa, 0x00f9, 0x00fb, 0x00fc,
    0x2020, 0x00b0, 0x00a2, 0x00a3, 0x00a7, 0x2022, 0x00b6, 0x00df,
    0x00ae, 0x00a9, 0x2122, 0x00b4, 0x00a8, 0x2260, 0x00c6, 0x00d8,
    0x221e, 0x00b1, 0x2264, 0x2265, 0x00a5, 0x00b5, 0x2202, 0x2211,
    0x220f, 0x03c0, 0x222b, 0x00aa, 0x00ba, 0x03a9, 0x00e6, 0x00f8,
    0x00bf, 0x00a1, 0x00ac, 0x221a, 0x0192, 0x2248, 0x2206, 0x00ab,
    0x00bb, 0x2026, 0x00a0, 0x00c0, 0x00c3, 0x00d5, 0x0152, 0x0153,
    0x2013, 0x2014, 0x201c, 0x201d, 0x2018, 0x2019, 0x00f7, 0x25ca,
    0x00ff, 0x0178, 0x2044, 0x20ac, 0x2039, 0x203a, 0xfb01, 0xfb02,
    0x2021, 0x00b7, 0x201a, 0x201e, 0x2030, 0x00c2, 0x00ca, 0x00c1,
    0x00cb, 0x00c8, 0x00cd, 0x00ce, 0x00cf, 0x00cc, 0x00d3, 0x00d4,
    0xf8ff, 0x00d2, 0x00da, 0x00db, 0x00d9, 0x0131, 0x02c6, 0x02dc,
    0x00af, 0x02d8, 0x02d9, 0x02da, 0x00b8, 0x02dd, 0x02db, 0x02c7,
};

enum cfmp_encoding_kind {
    CFMP_ENC_UNSUPPORTED,
    CFMP_ENC_UTF8,
    CFMP_ENC_ASCII,
    CFMP_ENC_MAC_ROMAN,
    CFMP_ENC_LATIN1,
    CFMP_ENC_UTF16, /* host order, BOM in external representations */
    CFMP_ENC_UTF16BE,
    CFMP_ENC_UTF16LE,
    CFMP_ENC_UTF32,
    CFMP_ENC_UTF32BE,
    CFMP_ENC_UTF32LE,
};

static enum cfmp_encoding_kind cfmp_encoding_kind(CFStringEncoding encoding) {
    switch (encoding) {
    case kCFStringEncodingUTF8: return CFMP_ENC_UTF8;
    case kCFStringEncodingASCII: return CFMP_ENC_ASCII;
    case kCFStringEncodingMacRoman: return CFMP_ENC_MAC_ROMAN;
    case kCFStringEncodingISOLatin1:
    case kCFStringEncodingWindowsLatin1: return CFMP_ENC_LATIN1;
    case kCFStringEncodingUTF16: return CFMP_ENC_UTF16;
    case kCFStringEncodingUTF16BE: return CFMP_ENC_UTF16BE;
    case kCFStringEncodingUTF16LE: return CFMP_ENC_UTF16LE;
    case kCFStringEncodingUTF32: return CFMP_ENC_UTF32;
    case kCFStringEncodingUTF32BE: return CFMP_ENC_UTF32BE;
    case kCFStringEncodingUTF32LE: return CFMP_ENC_UTF32LE;
    default: return CFMP_ENC_UNSUPPORTED;
    }
}

static bool cfmp_host_is_big_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 0;
}

static uint32_t cfmp_read_unit(const uint8_t *bytes, size_t width, bool big_endian) {
    assert(bytes != NULL);
    assert(width == 2 || width == 4);
    uint32_t value = 0;
    for (size_t i = 0; i < width; i++) {
        size_t index = big_endian ? i : width - 1 - i;
        value = (value << 8) | bytes[index];
    }
    return value;
}

static void cfmp_write_unit(uint8_t *out, uint32_t value, size_t width, bool big_endian) {
    assert(out != NULL);
    assert(width == 2 || width == 4);
    for (size_t i = 0; i < width; i++) {
        size_t index = big_endian ? width - 1 - i : i;
        out[index] = (uint8_t)(value >> (8 * i));
    }
}

/* UTF-16 or UTF-32 bytes to UTF-8; false for unpaired surrogates or values past U+10FFFF. */
static bool cfmp_decode_wide(const uint8_t *bytes, size_t length, size_t width, bool big_endian,
                             struct cfmp_strbuf *out) {
    assert(bytes != NULL || length == 0);
    assert((width == 2 || width == 4) && out != NULL);
    size_t count = length / width; /* a trailing odd byte is ignored, as CF does */
    for (size_t i = 0; i < count; i++) {
        uint32_t unit = cfmp_read_unit(bytes + i * width, width, big_endian);
        if (width == 2 && unit >= 0xd800 && unit <= 0xdbff && i + 1 < count) {
            uint32_t low = cfmp_read_unit(bytes + (i + 1) * width, width, big_endian);
            if (low >= 0xdc00 && low <= 0xdfff) {
                unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                i++;
            }
        }
        if (unit > 0x10ffff || (unit >= 0xd800 && unit <= 0xdfff)) return false;
        cfmp_strbuf_append_code_point(out, unit);
    }
    return true;
}

/* Decodes bytes in encoding into out (UTF-8); false when they are not valid in it. */
static bool cfmp_decode(const uint8_t *bytes, size_t length, CFStringEncoding encoding,
                        bool external, struct cfmp_strbuf *out) {
    assert(bytes != NULL || length == 0);
    assert(out != NULL);
    enum cfmp_encoding_kind kind = cfmp_encoding_kind(encoding);
    bool host_big = cfmp_host_is_big_endian();
    switch (kind) {
    case CFMP_ENC_UTF8:
        if (length >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0) {
            bytes += 3; /* CF drops a UTF-8 byte-order mark */
            length -= 3;
        }
        if (!cfmp_utf8_valid(bytes, length, NULL)) return false;
        cfmp_strbuf_append(out, bytes, length);
        return true;
    case CFMP_ENC_ASCII:
    case CFMP_ENC_MAC_ROMAN:
    case CFMP_ENC_LATIN1:
        cfmp_strbuf_reserve(out, length);
        for (size_t i = 0; i < length; i++) {
            uint32_t code_point = bytes[i];
            if (code_point >= 0x80 && kind == CFMP_ENC_ASCII) return false;
            if (code_point >= 0x80 && kind == CFMP_ENC_MAC_ROMAN) {
                code_point = cfmp_mac_roman_high[code_point - 0x80];
            }
            cfmp_strbuf_append_code_point(out, code_point);
        }
        return true;
    case CFMP_ENC_UTF16:
    case CFMP_ENC_UTF32: {
        size_t width = kind == CFMP_ENC_UTF16 ? 2 : 4;
        bool big = host_big;
        if (external) {
            big = true; /* no byte-order mark: big-endian, as CF reads external data */
            if (length >= width) {
                uint32_t first_be = cfmp_read_unit(bytes, width, true);
                uint32_t first_le = cfmp_read_unit(bytes, width, false);
                if (first_be == 0xfeff || first_le == 0xfeff) {
                    big = first_be == 0xfeff;
                    bytes += width;
                    length -= width;
                }
            }
        }
        return cfmp_decode_wide(bytes, length, width, big, out);
    }
    case CFMP_ENC_UTF16BE:
    case CFMP_ENC_UTF16LE:
        return cfmp_decode_wide(bytes, length, 2, kind == CFMP_ENC_UTF16BE, out);
    case CFMP_ENC_UTF32BE:
    case CFMP_ENC_UTF32LE:
        return cfmp_decode_wide(bytes, length, 4, kind == CFMP_ENC_UTF32BE, out);
    case CFMP_ENC_UNSUPPORTED:
    default:
        return false;
    }
}

CFStringRef CFStringCreateWithBytes(CFAllocatorRef alloc, const UInt8 *bytes, CFIndex numBytes,
                                    CFStringEncoding encoding, Boolean isExternalRepresentation) {
    (void)alloc;
    if (numBytes < 0 || (bytes == NULL && numBytes > 0)) return NULL;
    const uint8_t *input = numBytes > 0 ? bytes : (const uint8_t *)"";
    if (encoding == kCFStringEncodingUTF8 && (numBytes < 3 || input[0] != 0xef)) {
        return cfmp_string_create_utf8((const char *)input, (size_t)numBytes); /* fast path */
    }
    struct cfmp_strbuf buffer = {NULL, 0, 0};
    if (!cfmp_decode(input, (size_t)numBytes, encoding, isExternalRepresentation, &buffer)) {
        free(buffer.bytes);
        return NULL;
    }
    return cfmp_string_create_from_buffer(&buffer);
}

CFStringRef CFStringCreateWithBytesNoCopy(CFAllocatorRef alloc, const UInt8 *bytes,
                                          CFIndex numBytes, CFStringEncoding encoding,
                                          Boolean isExternalRepresentation,
                                          CFAllocatorRef contentsDeallocator) {
    CFStringRef string =
        CFStringCreateWithBytes(alloc, bytes, numBytes, encoding, isExternalRepresentation);
    /* The bytes were copied, so the buffer is released now, as CF does when it copies. */
    if (string != NULL && contentsDeallocator != kCFAllocatorNull) {
        CFAllocatorDeallocate(contentsDeallocator, (void *)(uintptr_t)bytes);
    }
    return string;
}

CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr,
                                      CFStringEncoding encoding) {
    if (cStr == NULL) return NULL;
    return CFStringCreateWithBytes(alloc, (const UInt8 *)cStr, (CFIndex)strlen(cStr), encoding,
                                   false);
}

CFStringRef CFStringCreateWithCStringNoCopy(CFAllocatorRef alloc, const char *cStr,
                                            CFStringEncoding encoding,
                                            CFAllocatorRef contentsDeallocator) {
    if (cStr == NULL) return NULL;
    return CFStringCreateWithBytesNoCopy(alloc, (const UInt8 *)cStr, (CFIndex)strlen(cStr),
                                         encoding, false, contentsDeallocator);
}

CFStringRef CFStringCreateWithCharacters(CFAllocatorRef alloc, const UniChar *chars,
                                         CFIndex numChars) {
    (void)alloc;
    if (numChars < 0 || (chars == NULL && numChars > 0)) return NULL;
    struct cfmp_strbuf buffer = {NULL, 0, 0};
    bool ok = numChars == 0 ||
              cfmp_decode_wide((const uint8_t *)chars, (size_t)numChars * 2, 2,
                               cfmp_host_is_big_endian(), &buffer);
    if (!ok) {
        free(buffer.bytes);
        return NULL;
    }
    return cfmp_string_create_from_buffer(&buffer);
}

CFStringRef CFStringCreateCopy(CFAllocatorRef alloc, CFStringRef theString) {
    (void)alloc;
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (!theString->is_mutable) return CFRetain(theString);
    return cfmp_string_create_utf8(theString->bytes, theString->length);
}

/* ---- indices --------------------------------------------------------------------------------- */

/* Byte offset of UTF-16 index (an index inside a surrogate pair moves to the pair's start). */
static size_t cfmp_string_offset_of(CFStringRef string, CFIndex index, const char *function) {
    if (index < 0 || (size_t)index > string->utf16_length) {
        cfmp_string_violation(function, "index out of bounds");
    }
    if (string->length == string->utf16_length) return (size_t)index; /* ASCII */
    const uint8_t *bytes = (const uint8_t *)string->bytes;
    size_t offset = 0;
    size_t unit = 0;
    while (offset < string->length && unit < (size_t)index) {
        size_t step = cfmp_utf8_sequence_length(bytes[offset]);
        size_t units = step == 4 ? 2 : 1;
        if (unit + units > (size_t)index) break;
        unit += units;
        offset += step;
    }
    return offset;
}

/* Byte offsets [*start, *end) of a UTF-16 range; aborts when it is out of bounds. */
static void cfmp_string_byte_range(CFStringRef string, CFRange range, const char *function,
                                   size_t *start, size_t *end) {
    if (range.location < 0 || range.length < 0 ||
        (size_t)range.location + (size_t)range.length > string->utf16_length) {
        cfmp_string_violation(function, "range out of bounds");
    }
    *start = cfmp_string_offset_of(string, range.location, function);
    *end = cfmp_string_offset_of(string, range.location + range.length, function);
}

static size_t cfmp_utf16_units(const char *bytes, size_t length) {
    size_t units = 0;
    bool ok = cfmp_utf8_valid((const uint8_t *)bytes, length, &units);
    assert(ok);
    (void)ok;
    return units;
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

CFStringRef CFStringCreateWithSubstring(CFAllocatorRef alloc, CFStringRef str, CFRange range) {
    (void)alloc;
    CFMP_ASSERT_TYPE(str, CFMP_TYPE_STRING);
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(str, range, "CFStringCreateWithSubstring", &start, &end);
    if (start == 0 && end == str->length && !str->is_mutable) return CFRetain(str);
    return cfmp_string_create_utf8(str->bytes + start, end - start);
}

/* Calls visit(code point, context) for each character of [start, end); stops when it
 * returns false. Returns the number of UTF-16 units visited. */
typedef bool (*cfmp_visit_fn)(uint32_t code_point, void *context);
static size_t cfmp_string_each(CFStringRef string, size_t start, size_t end, cfmp_visit_fn visit,
                               void *context) {
    const uint8_t *bytes = (const uint8_t *)string->bytes;
    size_t units = 0;
    for (size_t offset = start; offset < end;) {
        uint32_t code_point = 0;
        size_t step = base_utf8_decode(bytes + offset, end - offset, &code_point);
        assert(step > 0);
        if (!visit(code_point, context)) break;
        units += code_point > 0xffff ? 2 : 1;
        offset += step;
    }
    return units;
}

struct cfmp_units_out {
    UniChar *buffer;
    size_t count;
};

static bool cfmp_visit_to_units(uint32_t code_point, void *context) {
    struct cfmp_units_out *out = context;
    if (code_point > 0xffff) {
        code_point -= 0x10000;
        out->buffer[out->count++] = (UniChar)(0xd800 + (code_point >> 10));
        out->buffer[out->count++] = (UniChar)(0xdc00 + (code_point & 0x3ff));
    } else {
        out->buffer[out->count++] = (UniChar)code_point;
    }
    return true;
}

void CFStringGetCharacters(CFStringRef theString, CFRange range, UniChar *buffer) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    assert(buffer != NULL || range.length == 0);
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString, range, "CFStringGetCharacters", &start, &end);
    struct cfmp_units_out out = {buffer, 0};
    (void)cfmp_string_each(theString, start, end, cfmp_visit_to_units, &out);
}

UniChar CFStringGetCharacterAtIndex(CFStringRef theString, CFIndex idx) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (idx < 0 || (size_t)idx >= theString->utf16_length) {
        cfmp_string_violation("CFStringGetCharacterAtIndex", "index out of bounds");
    }
    if (theString->length == theString->utf16_length) return (UniChar)theString->bytes[idx];
    size_t offset = cfmp_string_offset_of(theString, idx, "CFStringGetCharacterAtIndex");
    uint32_t code_point = 0;
    size_t step = base_utf8_decode((const uint8_t *)theString->bytes + offset,
                                   theString->length - offset, &code_point);
    assert(step > 0);
    (void)step;
    if (code_point <= 0xffff) return (UniChar)code_point;
    /* idx is the high or the low half of the pair. */
    size_t before = cfmp_utf16_units(theString->bytes, offset);
    code_point -= 0x10000;
    return (UniChar)((size_t)idx == before ? 0xd800 + (code_point >> 10)
                                           : 0xdc00 + (code_point & 0x3ff));
}

/* ---- encoding out -------------------------------------------------------------------------- */

/* The byte a code point becomes in an 8-bit encoding, or -1 when it has none. */
static int cfmp_encode_8bit(uint32_t code_point, enum cfmp_encoding_kind kind) {
    if (code_point < 0x80) return (int)code_point;
    if (kind == CFMP_ENC_LATIN1 && code_point < 0x100) return (int)code_point;
    if (kind == CFMP_ENC_MAC_ROMAN) {
        for (int i = 0; i < 128; i++) {
            if (cfmp_mac_roman_high[i] == code_point) return 0x80 + i;
        }
    }
    return -1;
}

struct cfmp_encoder {
    enum cfmp_encoding_kind kind;
    UInt8 loss_byte;
    UInt8 *buffer; /* NULL: count only */
    CFIndex max_length;
    CFIndex used;
    CFIndex converted; /* UTF-16 units */
};

static bool cfmp_visit_encode(uint32_t code_point, void *context) {
    struct cfmp_encoder *encoder = context;
    uint8_t out[8];
    size_t out_length = 0;
    bool host_big = cfmp_host_is_big_endian();
    switch (encoder->kind) {
    case CFMP_ENC_UTF8:
        out_length = base_utf8_encode(code_point, out);
        break;
    case CFMP_ENC_UTF16:
    case CFMP_ENC_UTF16BE:
    case CFMP_ENC_UTF16LE: {
        bool big = encoder->kind == CFMP_ENC_UTF16 ? host_big : encoder->kind == CFMP_ENC_UTF16BE;
        if (code_point > 0xffff) {
            uint32_t value = code_point - 0x10000;
            cfmp_write_unit(out, 0xd800 + (value >> 10), 2, big);
            cfmp_write_unit(out + 2, 0xdc00 + (value & 0x3ff), 2, big);
            out_length = 4;
        } else {
            cfmp_write_unit(out, code_point, 2, big);
            out_length = 2;
        }
        break;
    }
    case CFMP_ENC_UTF32:
    case CFMP_ENC_UTF32BE:
    case CFMP_ENC_UTF32LE: {
        bool big = encoder->kind == CFMP_ENC_UTF32 ? host_big : encoder->kind == CFMP_ENC_UTF32BE;
        cfmp_write_unit(out, code_point, 4, big);
        out_length = 4;
        break;
    }
    case CFMP_ENC_ASCII:
    case CFMP_ENC_MAC_ROMAN:
    case CFMP_ENC_LATIN1:
    case CFMP_ENC_UNSUPPORTED:
    default: {
        int byte = cfmp_encode_8bit(code_point, encoder->kind);
        if (byte < 0) {
            if (encoder->loss_byte == 0) return false;
            byte = encoder->loss_byte;
        }
        out[0] = (uint8_t)byte;
        out_length = 1;
        break;
    }
    }
    if (encoder->buffer != NULL && encoder->used + (CFIndex)out_length > encoder->max_length) {
        return false;
    }
    if (encoder->buffer != NULL) memcpy(encoder->buffer + encoder->used, out, out_length);
    encoder->used += (CFIndex)out_length;
    encoder->converted += code_point > 0xffff ? 2 : 1;
    return true;
}

CFIndex CFStringGetBytes(CFStringRef theString, CFRange range, CFStringEncoding encoding,
                         UInt8 lossByte, Boolean isExternalRepresentation, UInt8 *buffer,
                         CFIndex maxBufLen, CFIndex *usedBufLen) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    enum cfmp_encoding_kind kind = cfmp_encoding_kind(encoding);
    if (kind == CFMP_ENC_UNSUPPORTED) {
        if (usedBufLen != NULL) *usedBufLen = 0;
        return 0;
    }
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString, range, "CFStringGetBytes", &start, &end);
    struct cfmp_encoder encoder = {kind, lossByte, buffer, buffer != NULL ? maxBufLen : 0, 0, 0};
    /* A byte-order mark leads UTF-16 and UTF-32 external representations (host order). */
    if (isExternalRepresentation && (kind == CFMP_ENC_UTF16 || kind == CFMP_ENC_UTF32)) {
        size_t width = kind == CFMP_ENC_UTF16 ? 2 : 4;
        if (buffer == NULL || (CFIndex)width <= maxBufLen) {
            if (buffer != NULL) cfmp_write_unit(buffer, 0xfeff, width, cfmp_host_is_big_endian());
            encoder.used = (CFIndex)width;
        }
    }
    (void)cfmp_string_each(theString, start, end, cfmp_visit_encode, &encoder);
    if (usedBufLen != NULL) *usedBufLen = encoder.used;
    return encoder.converted;
}

Boolean CFStringGetCString(CFStringRef theString, char *buffer, CFIndex bufferSize,
                           CFStringEncoding encoding) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (buffer == NULL || bufferSize <= 0) return false;
    enum cfmp_encoding_kind kind = cfmp_encoding_kind(encoding);
    if (kind == CFMP_ENC_UNSUPPORTED || kind >= CFMP_ENC_UTF16) return false;
    if (kind == CFMP_ENC_UTF8 || theString->length == theString->utf16_length) {
        if (theString->length + 1 > (size_t)bufferSize) return false; /* ASCII or UTF-8 */
        memcpy(buffer, theString->bytes, theString->length);
        buffer[theString->length] = '\0';
        return true;
    }
    CFIndex used = 0;
    CFIndex converted =
        CFStringGetBytes(theString, CFRangeMake(0, (CFIndex)theString->utf16_length), encoding, 0,
                         false, (UInt8 *)buffer, bufferSize - 1, &used);
    if ((size_t)converted != theString->utf16_length) return false;
    buffer[used] = '\0';
    return true;
}

const char *CFStringGetCStringPtr(CFStringRef theString, CFStringEncoding encoding) {
    if (theString == NULL) return NULL; /* CF tolerates it "for compatibility" */
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (memchr(theString->bytes, '\0', theString->length) != NULL) return NULL;
    enum cfmp_encoding_kind kind = cfmp_encoding_kind(encoding);
    if (kind == CFMP_ENC_UTF8) return theString->bytes;
    bool ascii_superset =
        kind == CFMP_ENC_ASCII || kind == CFMP_ENC_MAC_ROMAN || kind == CFMP_ENC_LATIN1 ||
        encoding == kCFStringEncodingNextStepLatin || encoding == kCFStringEncodingNonLossyASCII;
    if (ascii_superset && theString->length == theString->utf16_length) return theString->bytes;
    return NULL;
}

CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding) {
    switch (cfmp_encoding_kind(encoding)) {
    case CFMP_ENC_UTF8: return length > LONG_MAX / 3 ? kCFNotFound : length * 3;
    case CFMP_ENC_UTF16:
    case CFMP_ENC_UTF16BE:
    case CFMP_ENC_UTF16LE: return length > LONG_MAX / 2 ? kCFNotFound : length * 2;
    case CFMP_ENC_UTF32:
    case CFMP_ENC_UTF32BE:
    case CFMP_ENC_UTF32LE: return length > LONG_MAX / 4 ? kCFNotFound : length * 4;
    default: return length;
    }
}

CFStringEncoding CFStringGetSystemEncoding(void) { return kCFStringEncodingUTF8; }

Boolean CFStringIsEncodingAvailable(CFStringEncoding encoding) {
    return cfmp_encoding_kind(encoding) != CFMP_ENC_UNSUPPORTED;
}

CFDataRef CFStringCreateExternalRepresentation(CFAllocatorRef alloc, CFStringRef theString,
                                               CFStringEncoding encoding, UInt8 lossByte) {
    (void)alloc;
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    if (cfmp_encoding_kind(encoding) == CFMP_ENC_UNSUPPORTED) return NULL;
    CFRange all = CFRangeMake(0, (CFIndex)theString->utf16_length);
    CFIndex size = 0;
    CFIndex converted = CFStringGetBytes(theString, all, encoding, lossByte, true, NULL, 0, &size);
    if ((size_t)converted != theString->utf16_length) return NULL; /* no loss byte */
    CFMutableDataRef data = CFDataCreateMutable(NULL, size);
    CFDataSetLength(data, size);
    CFIndex used = 0;
    converted = CFStringGetBytes(theString, all, encoding, lossByte, true,
                                 CFDataGetMutableBytePtr(data), size, &used);
    assert(used == size && (size_t)converted == theString->utf16_length);
    CFDataRef result = CFDataCreateCopy(NULL, data);
    CFRelease(data);
    return result;
}

CFStringRef CFStringCreateFromExternalRepresentation(CFAllocatorRef alloc, CFDataRef data,
                                                     CFStringEncoding encoding) {
    if (data == NULL) return NULL;
    return CFStringCreateWithBytes(alloc, CFDataGetBytePtr(data), CFDataGetLength(data), encoding,
                                   true);
}

SInt32 CFStringGetIntValue(CFStringRef str) {
    CFMP_ASSERT_TYPE(str, CFMP_TYPE_STRING);
    const char *cursor = str->bytes;
    while (*cursor == ' ' || (*cursor >= '\t' && *cursor <= '\r')) cursor++;
    bool negative = *cursor == '-';
    if (*cursor == '-' || *cursor == '+') cursor++;
    int64_t value = 0;
    for (int digits = 0; *cursor >= '0' && *cursor <= '9' && digits < 64; digits++, cursor++) {
        value = value * 10 + (*cursor - '0');
        if (value > (int64_t)INT32_MAX + 1) value = (int64_t)INT32_MAX + 1;
    }
    if (negative) return value > INT32_MAX ? INT32_MIN : (SInt32)-value;
    return value > INT32_MAX ? INT32_MAX : (SInt32)value;
}

double CFStringGetDoubleValue(CFStringRef str) {
    CFMP_ASSERT_TYPE(str, CFMP_TYPE_STRING);
    const char *cursor = str->bytes;
    while (*cursor == ' ' || (*cursor >= '\t' && *cursor <= '\r')) cursor++;
    /* CF parses with '.' whatever the process's locale: strtod_l in the C locale. */
    static _Atomic(locale_t) c_locale;
    locale_t locale = atomic_load(&c_locale);
    if (locale == (locale_t)0) {
        locale_t made = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        locale_t expected = (locale_t)0;
        if (made != (locale_t)0 && !atomic_compare_exchange_strong(&c_locale, &expected, made)) {
            freelocale(made); /* another thread made it first */
        }
        locale = atomic_load(&c_locale);
    }
    char number[128];
    size_t length = 0;
    while (length + 1 < sizeof number &&
           (isdigit((unsigned char)cursor[length]) || strchr("+-.eE", cursor[length]) != NULL) &&
           cursor[length] != '\0') {
        number[length] = cursor[length];
        length++;
    }
    number[length] = '\0';
    char *end = NULL;
    double value = locale != (locale_t)0 ? strtod_l(number, &end, locale) : strtod(number, &end);
    return end == number ? 0.0 : value;
}

/* ---- comparing and searching ----------------------------------------------------------------- */

static uint32_t cfmp_fold(uint32_t code_point, CFStringCompareFlags flags) {
    if ((flags & kCFCompareCaseInsensitive) && code_point >= 'A' && code_point <= 'Z') {
        return code_point + ('a' - 'A');
    }
    return code_point;
}

/* Reads the number of a run of ASCII digits at *offset; advances past it. */
static uint64_t cfmp_read_digits(const uint8_t *bytes, size_t end, size_t *offset) {
    uint64_t value = 0;
    while (*offset < end && bytes[*offset] >= '0' && bytes[*offset] <= '9') {
        value = value > UINT64_MAX / 10 ? UINT64_MAX : value * 10 + (bytes[*offset] - '0');
        (*offset)++;
    }
    return value;
}

/* Compares two UTF-8 byte ranges by code point (digit runs by value with
 * kCFCompareNumerically). */
static CFComparisonResult cfmp_compare_bytes(const uint8_t *a, size_t a_length, const uint8_t *b,
                                             size_t b_length, CFStringCompareFlags flags) {
    size_t i = 0;
    size_t j = 0;
    while (i < a_length && j < b_length) {
        if ((flags & kCFCompareNumerically) && isdigit(a[i]) && isdigit(b[j])) {
            uint64_t left = cfmp_read_digits(a, a_length, &i);
            uint64_t right = cfmp_read_digits(b, b_length, &j);
            if (left != right) return left < right ? kCFCompareLessThan : kCFCompareGreaterThan;
            continue;
        }
        uint32_t left = 0;
        uint32_t right = 0;
        i += base_utf8_decode(a + i, a_length - i, &left);
        j += base_utf8_decode(b + j, b_length - j, &right);
        left = cfmp_fold(left, flags);
        right = cfmp_fold(right, flags);
        if (left != right) return left < right ? kCFCompareLessThan : kCFCompareGreaterThan;
    }
    if (i < a_length) return kCFCompareGreaterThan;
    if (j < b_length) return kCFCompareLessThan;
    return kCFCompareEqualTo;
}

CFComparisonResult CFStringCompareWithOptions(CFStringRef theString1, CFStringRef theString2,
                                              CFRange rangeToCompare,
                                              CFStringCompareFlags compareOptions) {
    CFMP_ASSERT_TYPE(theString1, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(theString2, CFMP_TYPE_STRING);
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString1, rangeToCompare, "CFStringCompareWithOptions", &start, &end);
    return cfmp_compare_bytes((const uint8_t *)theString1->bytes + start, end - start,
                              (const uint8_t *)theString2->bytes, theString2->length,
                              compareOptions);
}

CFComparisonResult CFStringCompare(CFStringRef theString1, CFStringRef theString2,
                                   CFStringCompareFlags compareOptions) {
    CFMP_ASSERT_TYPE(theString1, CFMP_TYPE_STRING);
    return CFStringCompareWithOptions(theString1, theString2,
                                      CFRangeMake(0, (CFIndex)theString1->utf16_length),
                                      compareOptions);
}

static bool cfmp_bytes_match(const uint8_t *a, const uint8_t *b, size_t length,
                             CFStringCompareFlags flags) {
    if (!(flags & kCFCompareCaseInsensitive)) return memcmp(a, b, length) == 0;
    for (size_t i = 0; i < length; i++) {
        if (cfmp_fold(a[i], flags) != cfmp_fold(b[i], flags)) return false; /* ASCII folding */
    }
    return true;
}

/* Finds needle in [start, end) of haystack; byte offset of the match or SIZE_MAX. */
static size_t cfmp_find_bytes(CFStringRef haystack, size_t start, size_t end, CFStringRef needle,
                              CFStringCompareFlags flags) {
    size_t length = needle->length;
    if (length == 0 || length > end - start) return SIZE_MAX;
    const uint8_t *bytes = (const uint8_t *)haystack->bytes;
    const uint8_t *find = (const uint8_t *)needle->bytes;
    bool backwards = (flags & kCFCompareBackwards) != 0;
    bool anchored = (flags & kCFCompareAnchored) != 0;
    size_t first = start;
    size_t last = end - length;
    for (size_t step = 0; step <= last - first; step++) {
        size_t at = backwards ? last - step : first + step;
        bool boundary = at == start || at == end || (bytes[at] & 0xc0) != 0x80;
        if (boundary && cfmp_bytes_match(bytes + at, find, length, flags)) return at;
        if (anchored) break;
    }
    return SIZE_MAX;
}

Boolean CFStringFindWithOptions(CFStringRef theString, CFStringRef stringToFind,
                                CFRange rangeToSearch, CFStringCompareFlags searchOptions,
                                CFRange *result) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(stringToFind, CFMP_TYPE_STRING);
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString, rangeToSearch, "CFStringFindWithOptions", &start, &end);
    size_t at = cfmp_find_bytes(theString, start, end, stringToFind, searchOptions);
    if (at == SIZE_MAX) return false;
    if (result != NULL) {
        *result = CFRangeMake((CFIndex)cfmp_utf16_units(theString->bytes, at),
                              (CFIndex)stringToFind->utf16_length);
    }
    return true;
}

CFRange CFStringFind(CFStringRef theString, CFStringRef stringToFind,
                     CFStringCompareFlags compareOptions) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    CFRange found = CFRangeMake(kCFNotFound, 0);
    if (!CFStringFindWithOptions(theString, stringToFind,
                                 CFRangeMake(0, (CFIndex)theString->utf16_length), compareOptions,
                                 &found)) {
        return CFRangeMake(kCFNotFound, 0);
    }
    return found;
}

Boolean CFStringHasPrefix(CFStringRef theString, CFStringRef prefix) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(prefix, CFMP_TYPE_STRING);
    return prefix->length <= theString->length &&
           memcmp(theString->bytes, prefix->bytes, prefix->length) == 0;
}

Boolean CFStringHasSuffix(CFStringRef theString, CFStringRef suffix) {
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(suffix, CFMP_TYPE_STRING);
    return suffix->length <= theString->length &&
           memcmp(theString->bytes + theString->length - suffix->length, suffix->bytes,
                  suffix->length) == 0;
}

/* ---- mutable strings ------------------------------------------------------------------------- */

static void cfmp_assert_mutable(CFStringRef string, const char *function) {
    CFMP_ASSERT_TYPE(string, CFMP_TYPE_STRING);
    if (!string->is_mutable) cfmp_string_violation(function, "the string is not mutable");
}

CFMutableStringRef CFStringCreateMutable(CFAllocatorRef alloc, CFIndex maxLength) {
    (void)alloc;
    size_t capacity = maxLength > 0 && maxLength < (1 << 20) ? (size_t)maxLength + 1 : 16;
    char *bytes = cfmp_xmalloc(capacity);
    bytes[0] = '\0';
    return cfmp_string_adopt(bytes, 0, 0, capacity, true);
}

CFMutableStringRef CFStringCreateMutableCopy(CFAllocatorRef alloc, CFIndex maxLength,
                                             CFStringRef theString) {
    (void)alloc;
    (void)maxLength;
    CFMP_ASSERT_TYPE(theString, CFMP_TYPE_STRING);
    char *bytes = cfmp_xmalloc(theString->length + 1);
    memcpy(bytes, theString->bytes, theString->length + 1);
    return cfmp_string_adopt(bytes, theString->length, theString->utf16_length,
                             theString->length + 1, true);
}

/* Replaces bytes [start, end) of a mutable string with length valid UTF-8 bytes. */
static void cfmp_string_splice(CFMutableStringRef string, size_t start, size_t end,
                               const char *bytes, size_t length) {
    assert(string->is_mutable && start <= end && end <= string->length);
    size_t removed_units = cfmp_utf16_units(string->bytes + start, end - start);
    size_t added_units = cfmp_utf16_units(bytes, length);
    size_t new_length = string->length - (end - start) + length;
    char *storage = (char *)string->bytes;
    if (new_length + 1 > string->capacity) {
        size_t capacity = string->capacity * 2 > new_length + 1 ? string->capacity * 2
                                                                : new_length + 1;
        char *grown = cfmp_xmalloc(capacity);
        memcpy(grown, storage, start);
        memcpy(grown + start + length, storage + end, string->length - end + 1);
        if (length > 0) memcpy(grown + start, bytes, length);
        free(storage);
        string->bytes = grown;
        string->capacity = capacity;
    } else {
        /* bytes may point into the string itself (CFStringAppend(s, s)): copy it first. */
        char *copy = NULL;
        if (bytes >= storage && bytes < storage + string->capacity && length > 0) {
            copy = cfmp_xmalloc(length);
            memcpy(copy, bytes, length);
            bytes = copy;
        }
        memmove(storage + start + length, storage + end, string->length - end + 1);
        if (length > 0) memcpy(storage + start, bytes, length);
        free(copy);
    }
    string->length = new_length;
    string->utf16_length = string->utf16_length - removed_units + added_units;
    assert(string->bytes[string->length] == '\0');
}

void cfmp_string_append_utf8(CFMutableStringRef string, const char *bytes, size_t length) {
    cfmp_assert_mutable(string, "CFStringAppend");
    assert(cfmp_utf8_valid((const uint8_t *)bytes, length, NULL));
    cfmp_string_splice(string, string->length, string->length, bytes, length);
}

void CFStringAppend(CFMutableStringRef theString, CFStringRef appendedString) {
    cfmp_assert_mutable(theString, "CFStringAppend");
    CFMP_ASSERT_TYPE(appendedString, CFMP_TYPE_STRING);
    cfmp_string_splice(theString, theString->length, theString->length, appendedString->bytes,
                       appendedString->length);
}

void CFStringAppendCString(CFMutableStringRef theString, const char *cStr,
                           CFStringEncoding encoding) {
    cfmp_assert_mutable(theString, "CFStringAppendCString");
    if (cStr == NULL) return;
    struct cfmp_strbuf buffer = {NULL, 0, 0};
    if (cfmp_decode((const uint8_t *)cStr, strlen(cStr), encoding, false, &buffer)) {
        cfmp_string_splice(theString, theString->length, theString->length,
                           buffer.bytes != NULL ? buffer.bytes : "", buffer.length);
    }
    free(buffer.bytes);
}

void CFStringAppendCharacters(CFMutableStringRef theString, const UniChar *chars,
                              CFIndex numChars) {
    cfmp_assert_mutable(theString, "CFStringAppendCharacters");
    if (chars == NULL || numChars <= 0) return;
    struct cfmp_strbuf buffer = {NULL, 0, 0};
    if (cfmp_decode_wide((const uint8_t *)chars, (size_t)numChars * 2, 2,
                         cfmp_host_is_big_endian(), &buffer)) {
        cfmp_string_splice(theString, theString->length, theString->length, buffer.bytes,
                           buffer.length);
    }
    free(buffer.bytes);
}

void CFStringInsert(CFMutableStringRef str, CFIndex idx, CFStringRef insertedStr) {
    cfmp_assert_mutable(str, "CFStringInsert");
    CFMP_ASSERT_TYPE(insertedStr, CFMP_TYPE_STRING);
    size_t at = cfmp_string_offset_of(str, idx, "CFStringInsert");
    cfmp_string_splice(str, at, at, insertedStr->bytes, insertedStr->length);
}

void CFStringDelete(CFMutableStringRef theString, CFRange range) {
    cfmp_assert_mutable(theString, "CFStringDelete");
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString, range, "CFStringDelete", &start, &end);
    cfmp_string_splice(theString, start, end, "", 0);
}

void CFStringReplace(CFMutableStringRef theString, CFRange range, CFStringRef replacement) {
    cfmp_assert_mutable(theString, "CFStringReplace");
    CFMP_ASSERT_TYPE(replacement, CFMP_TYPE_STRING);
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString, range, "CFStringReplace", &start, &end);
    cfmp_string_splice(theString, start, end, replacement->bytes, replacement->length);
}

void CFStringReplaceAll(CFMutableStringRef theString, CFStringRef replacement) {
    cfmp_assert_mutable(theString, "CFStringReplaceAll");
    CFMP_ASSERT_TYPE(replacement, CFMP_TYPE_STRING);
    cfmp_string_splice(theString, 0, theString->length, replacement->bytes, replacement->length);
}

CFIndex CFStringFindAndReplace(CFMutableStringRef theString, CFStringRef stringToFind,
                               CFStringRef replacementString, CFRange rangeToSearch,
                               CFStringCompareFlags compareOptions) {
    cfmp_assert_mutable(theString, "CFStringFindAndReplace");
    CFMP_ASSERT_TYPE(stringToFind, CFMP_TYPE_STRING);
    CFMP_ASSERT_TYPE(replacementString, CFMP_TYPE_STRING);
    size_t start = 0;
    size_t end = 0;
    cfmp_string_byte_range(theString, rangeToSearch, "CFStringFindAndReplace", &start, &end);
    /* Matches are found left to right on the original text, then replaced. */
    CFStringCompareFlags forward = compareOptions & ~(CFStringCompareFlags)kCFCompareBackwards;
    struct cfmp_strbuf result = {NULL, 0, 0};
    cfmp_strbuf_append(&result, theString->bytes, start);
    CFIndex count = 0;
    size_t cursor = start;
    while (cursor < end) { /* each pass consumes at least one match */
        size_t at = cfmp_find_bytes(theString, cursor, end, stringToFind, forward);
        if (at == SIZE_MAX) break;
        cfmp_strbuf_append(&result, theString->bytes + cursor, at - cursor);
        cfmp_strbuf_append(&result, replacementString->bytes, replacementString->length);
        cursor = at + stringToFind->length;
        count++;
        if (compareOptions & kCFCompareAnchored) break;
    }
    cfmp_strbuf_append(&result, theString->bytes + cursor, theString->length - cursor);
    if (count > 0) {
        free((void *)theString->bytes);
        theString->bytes = result.bytes;
        theString->length = result.length;
        theString->capacity = result.capacity;
        theString->utf16_length = cfmp_utf16_units(result.bytes, result.length);
    } else {
        free(result.bytes);
    }
    return count;
}

void CFStringTrim(CFMutableStringRef theString, CFStringRef trimString) {
    cfmp_assert_mutable(theString, "CFStringTrim");
    CFMP_ASSERT_TYPE(trimString, CFMP_TYPE_STRING);
    size_t length = trimString->length;
    if (length == 0) return;
    size_t start = 0;
    size_t end = theString->length;
    while (end - start >= length && memcmp(theString->bytes + start, trimString->bytes, length) == 0) {
        start += length;
    }
    while (end - start >= length &&
           memcmp(theString->bytes + end - length, trimString->bytes, length) == 0) {
        end -= length;
    }
    cfmp_string_splice(theString, end, theString->length, "", 0);
    cfmp_string_splice(theString, 0, start, "", 0);
}

/* ASCII and Unicode spaces CF counts as whitespace (a subset: the common ones). */
static bool cfmp_is_whitespace(uint32_t code_point) {
    return code_point == ' ' || (code_point >= '\t' && code_point <= '\r') || code_point == 0x85 ||
           code_point == 0xa0 || code_point == 0x1680 || (code_point >= 0x2000 && code_point <= 0x200a) ||
           code_point == 0x2028 || code_point == 0x2029 || code_point == 0x202f ||
           code_point == 0x205f || code_point == 0x3000;
}

void CFStringTrimWhitespace(CFMutableStringRef theString) {
    cfmp_assert_mutable(theString, "CFStringTrimWhitespace");
    const uint8_t *bytes = (const uint8_t *)theString->bytes;
    size_t start = 0;
    size_t first_kept = theString->length;
    size_t last_end = 0;
    for (size_t offset = 0; offset < theString->length;) {
        uint32_t code_point = 0;
        size_t step = base_utf8_decode(bytes + offset, theString->length - offset, &code_point);
        assert(step > 0);
        if (!cfmp_is_whitespace(code_point)) {
            if (first_kept == theString->length) first_kept = offset;
            last_end = offset + step;
        }
        offset += step;
    }
    start = first_kept;
    if (start >= last_end) {
        cfmp_string_splice(theString, 0, theString->length, "", 0);
        return;
    }
    cfmp_string_splice(theString, last_end, theString->length, "", 0);
    cfmp_string_splice(theString, 0, start, "", 0);
}

static void cfmp_string_map_ascii(CFMutableStringRef string, bool upper) {
    char *bytes = (char *)string->bytes;
    for (size_t i = 0; i < string->length; i++) {
        if (upper && bytes[i] >= 'a' && bytes[i] <= 'z') bytes[i] = (char)(bytes[i] - 32);
        if (!upper && bytes[i] >= 'A' && bytes[i] <= 'Z') bytes[i] = (char)(bytes[i] + 32);
    }
}

void CFStringLowercase(CFMutableStringRef theString, CFLocaleRef locale) {
    (void)locale;
    cfmp_assert_mutable(theString, "CFStringLowercase");
    cfmp_string_map_ascii(theString, false);
}

void CFStringUppercase(CFMutableStringRef theString, CFLocaleRef locale) {
    (void)locale;
    cfmp_assert_mutable(theString, "CFStringUppercase");
    cfmp_string_map_ascii(theString, true);
}

/* ---- formatting: CFStringCreateWithFormat, CFStringAppendFormat ---------------------------
 *
 * printf formats plus CF's %@ (a CF object), %C (a UniChar) and %S (a NUL-terminated UniChar
 * string). Three passes, as CF does: parse every conversion of the format and note the type of
 * each argument (sequential or positional %n$, widths and precisions from * or *n$), fetch the
 * arguments from the va_list in order, then render. Numbers go through snprintf with the
 * conversion rebuilt; text conversions are rendered here so that a precision never cuts a UTF-8
 * sequence. A malformed conversion ends the parse: it and the rest of the format are copied as
 * they are (no argument after it is read).
 */

#define CFMP_FORMAT_MAX_ARGS 128
#define CFMP_FORMAT_MAX_SPECS 512

enum cfmp_arg_type {
    CFMP_ARG_NONE = 0,
    CFMP_ARG_INT,
    CFMP_ARG_LONG,
    CFMP_ARG_LLONG,
    CFMP_ARG_SIZE,
    CFMP_ARG_PTRDIFF,
    CFMP_ARG_INTMAX,
    CFMP_ARG_DOUBLE,
    CFMP_ARG_LDOUBLE,
    CFMP_ARG_POINTER,
};

union cfmp_arg {
    long long i;
    intmax_t j;
    double d;
    long double ld;
    const void *p;
};

enum cfmp_length { CFMP_LEN_NONE, CFMP_LEN_HH, CFMP_LEN_H, CFMP_LEN_L, CFMP_LEN_LL,
                   CFMP_LEN_BIG_L, CFMP_LEN_Z, CFMP_LEN_T, CFMP_LEN_J };

struct cfmp_spec {
    size_t start; /* offset of '%' */
    size_t end;   /* one past the conversion character */
    char flags[8];
    size_t flag_count;
    int width;         /* -1: none */
    int width_arg;     /* 0: none, else the argument holding it */
    int precision;     /* -1: none */
    int precision_arg; /* 0: none */
    enum cfmp_length length;
    char conversion;
    int value_arg; /* 0 for %% */
};

struct cfmp_format_plan {
    struct cfmp_spec specs[CFMP_FORMAT_MAX_SPECS];
    size_t spec_count;
    size_t literal_from; /* bytes from here on are copied as they are (a malformed tail) */
    enum cfmp_arg_type types[CFMP_FORMAT_MAX_ARGS + 1];
    int arg_count;
};

/* Reads a decimal number at *at (bounded); -1 when there is none. */
static int cfmp_read_number(const char *format, size_t length, size_t *at) {
    if (*at >= length || format[*at] < '0' || format[*at] > '9') return -1;
    long value = 0;
    while (*at < length && format[*at] >= '0' && format[*at] <= '9') {
        if (value < 100000) value = value * 10 + (format[*at] - '0');
        (*at)++;
    }
    return (int)value;
}

/* Reads "n$" at *at when present (a positional argument); 0 when absent. */
static int cfmp_read_position(const char *format, size_t length, size_t *at) {
    size_t probe = *at;
    int position = cfmp_read_number(format, length, &probe);
    if (position > 0 && probe < length && format[probe] == '$') {
        *at = probe + 1;
        return position;
    }
    return 0;
}

static enum cfmp_arg_type cfmp_integer_type(enum cfmp_length length) {
    switch (length) {
    case CFMP_LEN_L: return CFMP_ARG_LONG;
    case CFMP_LEN_LL: return CFMP_ARG_LLONG;
    case CFMP_LEN_Z: return CFMP_ARG_SIZE;
    case CFMP_LEN_T: return CFMP_ARG_PTRDIFF;
    case CFMP_LEN_J: return CFMP_ARG_INTMAX;
    default: return CFMP_ARG_INT;
    }
}

/* Notes that argument index holds type; false when the index is out of range. */
static bool cfmp_plan_arg(struct cfmp_format_plan *plan, int index, enum cfmp_arg_type type) {
    if (index <= 0 || index > CFMP_FORMAT_MAX_ARGS) return false;
    plan->types[index] = type;
    if (index > plan->arg_count) plan->arg_count = index;
    return true;
}

/* Parses one conversion starting at format[at] == '%'; false when it is malformed. */
static bool cfmp_parse_spec(const char *format, size_t length, size_t at, int *next_arg,
                            struct cfmp_spec *spec, struct cfmp_format_plan *plan) {
    memset(spec, 0, sizeof *spec);
    spec->start = at;
    spec->width = -1;
    spec->precision = -1;
    size_t i = at + 1;
    int position = cfmp_read_position(format, length, &i);
    while (i < length && strchr("-+ #0'", format[i]) != NULL && format[i] != '\0') {
        if (spec->flag_count + 1 < sizeof spec->flags) spec->flags[spec->flag_count++] = format[i];
        i++;
    }
    if (i < length && format[i] == '*') {
        i++;
        int width_position = cfmp_read_position(format, length, &i);
        spec->width_arg = width_position > 0 ? width_position : (*next_arg)++;
        if (!cfmp_plan_arg(plan, spec->width_arg, CFMP_ARG_INT)) return false;
    } else {
        spec->width = cfmp_read_number(format, length, &i);
    }
    if (i < length && format[i] == '.') {
        i++;
        if (i < length && format[i] == '*') {
            i++;
            int precision_position = cfmp_read_position(format, length, &i);
            spec->precision_arg = precision_position > 0 ? precision_position : (*next_arg)++;
            if (!cfmp_plan_arg(plan, spec->precision_arg, CFMP_ARG_INT)) return false;
        } else {
            spec->precision = cfmp_read_number(format, length, &i);
            if (spec->precision < 0) spec->precision = 0; /* "%.f" means precision 0 */
        }
    }
    if (i + 1 < length && format[i] == 'h' && format[i + 1] == 'h') {
        spec->length = CFMP_LEN_HH;
        i += 2;
    } else if (i + 1 < length && format[i] == 'l' && format[i + 1] == 'l') {
        spec->length = CFMP_LEN_LL;
        i += 2;
    } else if (i < length) {
        switch (format[i]) {
        case 'h': spec->length = CFMP_LEN_H; i++; break;
        case 'l': spec->length = CFMP_LEN_L; i++; break;
        case 'q': spec->length = CFMP_LEN_LL; i++; break;
        case 'L': spec->length = CFMP_LEN_BIG_L; i++; break;
        case 'z': spec->length = CFMP_LEN_Z; i++; break;
        case 't': spec->length = CFMP_LEN_T; i++; break;
        case 'j': spec->length = CFMP_LEN_J; i++; break;
        default: break;
        }
    }
    if (i >= length) return false;
    spec->conversion = format[i];
    spec->end = i + 1;
    enum cfmp_arg_type type = CFMP_ARG_NONE;
    switch (spec->conversion) {
    case '%': return position == 0;
    case 'd': case 'i': case 'o': case 'u': case 'x': case 'X': case 'c': case 'C':
        type = cfmp_integer_type(spec->length);
        break;
    case 'D': case 'U': case 'O':
        type = CFMP_ARG_LONG;
        break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
        type = spec->length == CFMP_LEN_BIG_L ? CFMP_ARG_LDOUBLE : CFMP_ARG_DOUBLE;
        break;
    case 's': case 'S': case 'p': case 'n': case '@':
        type = CFMP_ARG_POINTER;
        break;
    default:
        return false;
    }
    spec->value_arg = position > 0 ? position : (*next_arg)++;
    return cfmp_plan_arg(plan, spec->value_arg, type);
}

static void cfmp_plan_parse(const char *format, size_t length, struct cfmp_format_plan *plan) {
    int next_arg = 1;
    plan->literal_from = length;
    for (size_t i = 0; i < length; i++) {
        if (format[i] != '%') continue;
        struct cfmp_spec *spec = &plan->specs[plan->spec_count];
        if (plan->spec_count == CFMP_FORMAT_MAX_SPECS ||
            !cfmp_parse_spec(format, length, i, &next_arg, spec, plan)) {
            plan->literal_from = i;
            return;
        }
        plan->spec_count++;
        i = spec->end - 1;
    }
}

static void cfmp_fetch_args(const struct cfmp_format_plan *plan, va_list args,
                            union cfmp_arg *values) {
    for (int i = 1; i <= plan->arg_count; i++) {
        switch (plan->types[i]) {
        case CFMP_ARG_LONG: values[i].i = va_arg(args, long); break;
        case CFMP_ARG_LLONG: values[i].i = va_arg(args, long long); break;
        case CFMP_ARG_SIZE: values[i].i = (long long)va_arg(args, size_t); break;
        case CFMP_ARG_PTRDIFF: values[i].i = va_arg(args, ptrdiff_t); break;
        case CFMP_ARG_INTMAX: values[i].j = va_arg(args, intmax_t); break;
        case CFMP_ARG_DOUBLE: values[i].d = va_arg(args, double); break;
        case CFMP_ARG_LDOUBLE: values[i].ld = va_arg(args, long double); break;
        case CFMP_ARG_POINTER: values[i].p = va_arg(args, const void *); break;
        case CFMP_ARG_INT:
        case CFMP_ARG_NONE: /* a gap in positional arguments: CF reads an int too */
        default: values[i].i = va_arg(args, int); break;
        }
    }
}

static bool cfmp_spec_has_flag(const struct cfmp_spec *spec, char flag) {
    return memchr(spec->flags, flag, spec->flag_count) != NULL;
}

/* Appends UTF-8 text cut to precision (in bytes, at a character boundary, for %s; in UTF-16
 * units otherwise) and padded with spaces to width (bytes for %s, UTF-16 units otherwise). */
static void cfmp_render_text(struct cfmp_strbuf *out, const char *text, size_t length, int width,
                             int precision, bool left, bool count_bytes) {
    size_t cut = length;
    size_t units = 0;
    size_t offset = 0;
    while (offset < length) {
        uint8_t lead = (uint8_t)text[offset];
        size_t step = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        if (offset + step > length) step = length - offset;
        size_t add = count_bytes ? step : (step == 4 ? 2 : 1);
        if (precision >= 0 && units + add > (size_t)precision) {
            cut = offset;
            break;
        }
        units += add;
        offset += step;
    }
    size_t pad = width > 0 && (size_t)width > units ? (size_t)width - units : 0;
    cfmp_strbuf_reserve(out, cut + pad);
    for (size_t i = 0; i < pad && !left; i++) cfmp_strbuf_append(out, " ", 1);
    cfmp_strbuf_append(out, text, cut);
    for (size_t i = 0; i < pad && left; i++) cfmp_strbuf_append(out, " ", 1);
}

/* A C string's bytes as UTF-8: valid UTF-8 as is, anything else read as Latin-1. */
static void cfmp_c_string_utf8(const char *text, struct cfmp_strbuf *out) {
    size_t length = strlen(text);
    if (cfmp_utf8_valid((const uint8_t *)text, length, NULL)) {
        cfmp_strbuf_append(out, text, length);
        return;
    }
    for (size_t i = 0; i < length; i++) cfmp_strbuf_append_code_point(out, (uint8_t)text[i]);
}

/* A UniChar sequence (or one wide character per element, width 4) as UTF-8; unpaired
 * surrogates and invalid values become U+FFFD. */
static void cfmp_units_utf8(const void *units, size_t count, size_t width,
                            struct cfmp_strbuf *out) {
    for (size_t i = 0; i < count; i++) {
        uint32_t unit = width == 2 ? ((const uint16_t *)units)[i] : ((const uint32_t *)units)[i];
        if (width == 2 && unit >= 0xd800 && unit <= 0xdbff && i + 1 < count) {
            uint32_t low = ((const uint16_t *)units)[i + 1];
            if (low >= 0xdc00 && low <= 0xdfff) {
                unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                i++;
            }
        }
        if (unit > 0x10ffff || (unit >= 0xd800 && unit <= 0xdfff)) unit = 0xfffd;
        cfmp_strbuf_append_code_point(out, unit);
    }
}

/* Appends the text of one text conversion (%s %S %@ %c %C). */
static void cfmp_render_text_spec(struct cfmp_strbuf *out, const struct cfmp_spec *spec,
                                  union cfmp_arg value, int width, int precision) {
    struct cfmp_strbuf text = {NULL, 0, 0};
    bool count_bytes = false;
    bool left = cfmp_spec_has_flag(spec, '-');
    switch (spec->conversion) {
    case 's':
        if (value.p == NULL) {
            cfmp_strbuf_append(&text, "(null)", 6);
        } else if (spec->length == CFMP_LEN_L) {
            const wchar_t *wide = value.p;
            cfmp_units_utf8(wide, wcslen(wide), sizeof(wchar_t), &text);
        } else {
            cfmp_c_string_utf8(value.p, &text);
        }
        count_bytes = true;
        break;
    case 'S':
        if (value.p == NULL) {
            cfmp_strbuf_append(&text, "(null)", 6);
        } else {
            const UniChar *units = value.p;
            size_t count = 0;
            while (units[count] != 0) count++;
            cfmp_units_utf8(units, count, 2, &text);
        }
        break;
    case 'c':
    case 'C': {
        uint32_t code_point = (uint32_t)value.i;
        if (spec->conversion == 'c' && spec->length != CFMP_LEN_L) code_point &= 0xff;
        if (spec->conversion == 'C') code_point &= 0xffff;
        cfmp_units_utf8(&code_point, 1, 4, &text);
        count_bytes = spec->conversion == 'c';
        break;
    }
    case '@':
    default:
        if (value.p == NULL) {
            cfmp_strbuf_append(&text, "(null)", 6);
        } else {
            /* A string formats as its contents (its formatting description, in CF's terms);
             * any other object as CFCopyDescription. */
            CFStringRef shown = CFGetTypeID(value.p) == CFStringGetTypeID()
                                    ? CFRetain(value.p)
                                    : CFCopyDescription(value.p);
            size_t length = 0;
            const char *bytes = cfmp_string_utf8(shown, &length);
            cfmp_strbuf_append(&text, bytes, length);
            CFRelease(shown);
        }
        break;
    }
    cfmp_render_text(out, text.bytes != NULL ? text.bytes : "", text.length, width, precision,
                     left, count_bytes);
    free(text.bytes);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Appends one numeric conversion, through snprintf with the conversion rebuilt. */
static void cfmp_render_number(struct cfmp_strbuf *out, const struct cfmp_spec *spec,
                               union cfmp_arg value, int width, int precision) {
    char conversion[48];
    size_t at = 0;
    conversion[at++] = '%';
    for (size_t i = 0; i < spec->flag_count; i++) {
        if (spec->flags[i] != '\'') conversion[at++] = spec->flags[i]; /* no locale grouping */
    }
    if (width >= 0) at += (size_t)snprintf(conversion + at, sizeof conversion - at, "%d", width);
    if (precision >= 0) {
        at += (size_t)snprintf(conversion + at, sizeof conversion - at, ".%d", precision);
    }
    char kind = spec->conversion;
    bool is_signed = kind == 'd' || kind == 'i' || kind == 'D';
    if (kind == 'D' || kind == 'U' || kind == 'O') kind = kind == 'D' ? 'd' : kind == 'U' ? 'u' : 'o';
    bool floating = strchr("eEfFgGaA", kind) != NULL;
    /* Integers are widened to long long below, so they are printed with "ll". */
    const char *modifier = floating ? (spec->length == CFMP_LEN_BIG_L ? "L" : "") : "ll";
    if (kind == 'p') modifier = "";
    snprintf(conversion + at, sizeof conversion - at, "%s%c", modifier, kind);

    long long integer = value.i;
    unsigned long long natural = (unsigned long long)value.i;
    if (!floating && kind != 'p') {
        switch (spec->length) { /* the value as the argument's own type, then widened */
        case CFMP_LEN_HH: integer = (signed char)value.i; natural = (unsigned char)value.i; break;
        case CFMP_LEN_H: integer = (short)value.i; natural = (unsigned short)value.i; break;
        case CFMP_LEN_NONE:
            if (spec->conversion == 'D' || spec->conversion == 'U' || spec->conversion == 'O') {
                integer = (long)value.i;
                natural = (unsigned long)value.i;
            } else {
                integer = (int)value.i;
                natural = (unsigned int)value.i;
            }
            break;
        case CFMP_LEN_L: integer = (long)value.i; natural = (unsigned long)value.i; break;
        case CFMP_LEN_Z: integer = (long long)(ssize_t)value.i; natural = (size_t)value.i; break;
        case CFMP_LEN_J: integer = (long long)value.j; natural = (unsigned long long)value.j; break;
        case CFMP_LEN_T:
        case CFMP_LEN_LL:
        case CFMP_LEN_BIG_L:
        default: break;
        }
    }
    char small[128];
    int needed = 0;
    for (int attempt = 0; attempt < 2; attempt++) { /* measure, then write */
        char *target = attempt == 0 ? small : out->bytes + out->length;
        size_t room = attempt == 0 ? sizeof small : (size_t)needed + 1;
        if (kind == 'p' && value.p == NULL) {
            /* glibc prints "(nil)"; CF (Darwin's printf) prints 0x0. */
            int pad = width > 0 ? width : 0;
            needed = cfmp_spec_has_flag(spec, '-') ? snprintf(target, room, "%-*s", pad, "0x0")
                                                   : snprintf(target, room, "%*s", pad, "0x0");
        } else if (kind == 'p') {
            needed = snprintf(target, room, conversion, value.p);
        } else if (floating && spec->length == CFMP_LEN_BIG_L) {
            needed = snprintf(target, room, conversion, value.ld);
        } else if (floating) {
            needed = snprintf(target, room, conversion, value.d);
        } else if (is_signed) {
            needed = snprintf(target, room, conversion, integer);
        } else {
            needed = snprintf(target, room, conversion, natural);
        }
        if (needed < 0) return;
        if (attempt == 0 && (size_t)needed < sizeof small) {
            cfmp_strbuf_append(out, small, (size_t)needed);
            return;
        }
        if (attempt == 0) cfmp_strbuf_reserve(out, (size_t)needed);
    }
    out->length += (size_t)needed;
    out->bytes[out->length] = '\0';
}
#pragma GCC diagnostic pop

void cfmp_format_append(struct cfmp_strbuf *out, CFStringRef format, va_list args) {
    assert(out != NULL);
    size_t length = 0;
    const char *text = cfmp_string_utf8(format, &length);
    struct cfmp_format_plan *plan = calloc(1, sizeof *plan);
    union cfmp_arg *values = calloc(CFMP_FORMAT_MAX_ARGS + 1, sizeof *values);
    if (plan == NULL || values == NULL) abort();
    cfmp_plan_parse(text, length, plan);
    va_list copy;
    va_copy(copy, args);
    cfmp_fetch_args(plan, copy, values);
    va_end(copy);
    cfmp_strbuf_reserve(out, length);
    size_t cursor = 0;
    for (size_t i = 0; i < plan->spec_count; i++) {
        const struct cfmp_spec *spec = &plan->specs[i];
        cfmp_strbuf_append(out, text + cursor, spec->start - cursor);
        cursor = spec->end;
        if (spec->conversion == '%') {
            cfmp_strbuf_append(out, "%", 1);
            continue;
        }
        int width = spec->width_arg > 0 ? (int)values[spec->width_arg].i : spec->width;
        int precision =
            spec->precision_arg > 0 ? (int)values[spec->precision_arg].i : spec->precision;
        struct cfmp_spec adjusted = *spec;
        if (width < -1 || (spec->width_arg > 0 && width < 0)) { /* "*" with a negative value */
            width = width == INT32_MIN ? 0 : -width;
            if (!cfmp_spec_has_flag(&adjusted, '-') && adjusted.flag_count + 1 < sizeof adjusted.flags) {
                adjusted.flags[adjusted.flag_count++] = '-';
            }
        }
        if (precision < -1) precision = -1;
        union cfmp_arg value = values[spec->value_arg];
        switch (spec->conversion) {
        case 'n': break; /* nothing is written through %n (CF ignores it too) */
        case 's': case 'S': case '@': case 'c': case 'C':
            cfmp_render_text_spec(out, &adjusted, value, width, precision);
            break;
        default:
            cfmp_render_number(out, &adjusted, value, width, precision);
            break;
        }
    }
    /* The rest, including a malformed conversion and what follows it, as it is. */
    if (cursor < length) cfmp_strbuf_append(out, text + cursor, length - cursor);
    free(values);
    free(plan);
}

CFStringRef CFStringCreateWithFormatAndArguments(CFAllocatorRef alloc, CFDictionaryRef formatOptions,
                                                 CFStringRef format, va_list arguments) {
    (void)alloc;
    (void)formatOptions;
    CFMP_ASSERT_TYPE(format, CFMP_TYPE_STRING);
    struct cfmp_strbuf out = {NULL, 0, 0};
    cfmp_format_append(&out, format, arguments);
    CFStringRef string = cfmp_string_create_from_buffer(&out);
    assert(string != NULL); /* every piece appended is valid UTF-8 */
    return string;
}

CFStringRef CFStringCreateWithFormat(CFAllocatorRef alloc, CFDictionaryRef formatOptions,
                                     CFStringRef format, ...) {
    va_list arguments;
    va_start(arguments, format);
    CFStringRef string = CFStringCreateWithFormatAndArguments(alloc, formatOptions, format,
                                                              arguments);
    va_end(arguments);
    return string;
}

void CFStringAppendFormatAndArguments(CFMutableStringRef theString, CFDictionaryRef formatOptions,
                                      CFStringRef format, va_list arguments) {
    (void)formatOptions;
    CFMP_ASSERT_TYPE(format, CFMP_TYPE_STRING);
    struct cfmp_strbuf out = {NULL, 0, 0};
    cfmp_format_append(&out, format, arguments);
    cfmp_string_append_utf8(theString, out.bytes != NULL ? out.bytes : "", out.length);
    free(out.bytes);
}

void CFStringAppendFormat(CFMutableStringRef theString, CFDictionaryRef formatOptions,
                          CFStringRef format, ...) {
    va_list arguments;
    va_start(arguments, format);
    CFStringAppendFormatAndArguments(theString, formatOptions, format, arguments);
    va_end(arguments);
}

/* ---- CFShow -------------------------------------------------------------------------------- */

void CFShow(CFTypeRef obj) {
    CFStringRef text = NULL;
    if (obj == NULL) {
        text = CFRetain(CFSTR("(null)"));
    } else if (CFGetTypeID(obj) == CFMP_TYPE_STRING) {
        text = CFRetain(obj);
    } else {
        text = CFCopyDescription(obj);
    }
    struct cfmp_strbuf line = {NULL, 0, 0};
    const uint8_t *bytes = (const uint8_t *)text->bytes;
    for (size_t offset = 0; offset < text->length;) {
        uint32_t code_point = 0;
        size_t step = base_utf8_decode(bytes + offset, text->length - offset, &code_point);
        assert(step > 0);
        if (code_point < 0x80) {
            char c = (char)code_point;
            cfmp_strbuf_append(&line, &c, 1);
        } else {
            /* CF prints each UTF-16 unit of a non-ASCII character as \uxxxx. */
            uint32_t units[2] = {code_point, 0};
            size_t count = 1;
            if (code_point > 0xffff) {
                units[0] = 0xd800 + ((code_point - 0x10000) >> 10);
                units[1] = 0xdc00 + ((code_point - 0x10000) & 0x3ff);
                count = 2;
            }
            for (size_t i = 0; i < count; i++) {
                char escaped[8];
                int written = snprintf(escaped, sizeof escaped, "\\u%04x", (unsigned)units[i]);
                cfmp_strbuf_append(&line, escaped, (size_t)written);
            }
        }
        offset += step;
    }
    if (line.length == 0 || line.bytes[line.length - 1] != '\n') cfmp_strbuf_append(&line, "\n", 1);
    fwrite(line.bytes, 1, line.length, stderr);
    fflush(stderr);
    free(line.bytes);
    CFRelease(text);
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
