/*
 * CFString.h — libcfmp: immutable and mutable Unicode strings, with CF's names and semantics.
 *
 * Strings are stored as UTF-8; lengths, indices and ranges count UTF-16 code units, as CF does.
 * An index that falls inside a surrogate pair is moved to the start of the pair (CF would split
 * it); a range past the end of the string is a precondition violation and aborts (CF asserts).
 * Ownership: Create and Copy functions return +1 (the Create rule); CFSTR("...") returns an
 * immortal constant that needs no release (releasing it is harmless). NULL where a string is
 * required is a precondition violation (it aborts, as CF crashes); functions that take a C
 * string return NULL or false for a NULL one.
 * Thread-safety: immutable strings may be shared between threads; a CFMutableString must not be
 * changed while another thread uses it.
 */
#ifndef __COREFOUNDATION_CFSTRING__
#define __COREFOUNDATION_CFSTRING__ 1

#include <CoreFoundation/CFBase.h>
#include <CoreFoundation/CFData.h>
#include <stdarg.h>

CF_EXTERN_C_BEGIN

typedef UInt32 CFStringEncoding;
typedef const struct __CFLocale *CFLocaleRef;

/* The encodings libcfmp converts to and from (CFStringIsEncodingAvailable says which). */
enum {
    kCFStringEncodingMacRoman = 0,
    kCFStringEncodingWindowsLatin1 = 0x0500,
    kCFStringEncodingISOLatin1 = 0x0201,
    kCFStringEncodingNextStepLatin = 0x0B01,
    kCFStringEncodingASCII = 0x0600,
    kCFStringEncodingUnicode = 0x0100,
    kCFStringEncodingUTF8 = 0x08000100,
    kCFStringEncodingNonLossyASCII = 0x0BFF,
    kCFStringEncodingUTF16 = 0x0100,
    kCFStringEncodingUTF16BE = 0x10000100,
    kCFStringEncodingUTF16LE = 0x14000100,
    kCFStringEncodingUTF32 = 0x0c000100,
    kCFStringEncodingUTF32BE = 0x18000100,
    kCFStringEncodingUTF32LE = 0x1c000100
};
#define kCFStringEncodingInvalidId (0xffffffffU)

typedef CF_OPTIONS(CFOptionFlags, CFStringCompareFlags) {
    kCFCompareCaseInsensitive = 1,
    kCFCompareBackwards = 4,
    kCFCompareAnchored = 8,
    kCFCompareNonliteral = 16,
    kCFCompareLocalized = 32,
    kCFCompareNumerically = 64,
    kCFCompareDiacriticInsensitive = 128,
    kCFCompareWidthInsensitive = 256,
    kCFCompareForcedOrdering = 512
};

CF_EXPORT CFTypeID CFStringGetTypeID(void);

/* ---- creating immutable strings ---- */
CF_EXPORT CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr,
                                                CFStringEncoding encoding);
/* The bytes are copied; unless contentsDeallocator is kCFAllocatorNull, cStr is then freed
 * with it (CF may copy a no-copy buffer too). */
CF_EXPORT CFStringRef CFStringCreateWithCStringNoCopy(CFAllocatorRef alloc, const char *cStr,
                                                      CFStringEncoding encoding,
                                                      CFAllocatorRef contentsDeallocator);
/* isExternalRepresentation: a byte-order mark is honoured and removed (UTF-16/32 without one
 * are big-endian); otherwise UTF-16/32 bytes are in host order. Returns NULL for bytes that are
 * not valid in the encoding (and, unlike CF, for unpaired UTF-16 surrogates). */
CF_EXPORT CFStringRef CFStringCreateWithBytes(CFAllocatorRef alloc, const UInt8 *bytes,
                                              CFIndex numBytes, CFStringEncoding encoding,
                                              Boolean isExternalRepresentation);
CF_EXPORT CFStringRef CFStringCreateWithBytesNoCopy(CFAllocatorRef alloc, const UInt8 *bytes,
                                                    CFIndex numBytes, CFStringEncoding encoding,
                                                    Boolean isExternalRepresentation,
                                                    CFAllocatorRef contentsDeallocator);
CF_EXPORT CFStringRef CFStringCreateWithCharacters(CFAllocatorRef alloc, const UniChar *chars,
                                                   CFIndex numChars);
CF_EXPORT CFStringRef CFStringCreateWithSubstring(CFAllocatorRef alloc, CFStringRef str,
                                                  CFRange range);
/* An immutable string: the same object for an immutable one, a new copy of a mutable one. */
CF_EXPORT CFStringRef CFStringCreateCopy(CFAllocatorRef alloc, CFStringRef theString);
/* printf formats (flags, width, precision, length modifiers, positional %n$ arguments) plus
 * %@ (a CF object: a string's contents, otherwise CFCopyDescription; "(null)" for NULL), %C
 * (a UniChar) and %S (a NUL-terminated UniChar string). formatOptions is ignored (no locale). */
CF_EXPORT CFStringRef CFStringCreateWithFormat(CFAllocatorRef alloc, CFDictionaryRef formatOptions,
                                               CFStringRef format, ...);
CF_EXPORT CFStringRef CFStringCreateWithFormatAndArguments(CFAllocatorRef alloc,
                                                           CFDictionaryRef formatOptions,
                                                           CFStringRef format, va_list arguments);

/* ---- external representation ---- */
/* The string's bytes in encoding, as a CFData: UTF-16 and UTF-32 get a byte-order mark (host
 * order), their BE/LE forms and UTF-8 none. A character the encoding cannot hold becomes
 * lossByte; with lossByte 0 the function returns NULL instead. */
CF_EXPORT CFDataRef CFStringCreateExternalRepresentation(CFAllocatorRef alloc,
                                                         CFStringRef theString,
                                                         CFStringEncoding encoding,
                                                         UInt8 lossByte);
CF_EXPORT CFStringRef CFStringCreateFromExternalRepresentation(CFAllocatorRef alloc,
                                                               CFDataRef data,
                                                               CFStringEncoding encoding);

/* ---- reading ---- */
CF_EXPORT CFIndex CFStringGetLength(CFStringRef theString);
CF_EXPORT UniChar CFStringGetCharacterAtIndex(CFStringRef theString, CFIndex idx);
CF_EXPORT void CFStringGetCharacters(CFStringRef theString, CFRange range, UniChar *buffer);
/* False when the buffer is too small (it must hold the terminating NUL) or a character cannot
 * be represented in encoding. */
CF_EXPORT Boolean CFStringGetCString(CFStringRef theString, char *buffer, CFIndex bufferSize,
                                     CFStringEncoding encoding);
/* The string's own NUL-terminated bytes when encoding can represent them as they are: for any
 * ASCII-compatible encoding when the string is plain ASCII (as macOS does), and for UTF-8
 * always; otherwise NULL (also for a NULL string, and for a string with an embedded NUL).
 * Borrowed: valid until the string is changed or released. */
CF_EXPORT const char *CFStringGetCStringPtr(CFStringRef theString, CFStringEncoding encoding);
/* Returns the number of UTF-16 units converted; with lossByte 0 it stops at the first
 * character that encoding cannot hold. buffer NULL: only counts (*usedBufLen bytes). */
CF_EXPORT CFIndex CFStringGetBytes(CFStringRef theString, CFRange range,
                                   CFStringEncoding encoding, UInt8 lossByte,
                                   Boolean isExternalRepresentation, UInt8 *buffer,
                                   CFIndex maxBufLen, CFIndex *usedBufLen);
CF_EXPORT CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding);
/* UTF-8 on Linux (MacRoman on macOS). */
CF_EXPORT CFStringEncoding CFStringGetSystemEncoding(void);
CF_EXPORT Boolean CFStringIsEncodingAvailable(CFStringEncoding encoding);
/* Leading whitespace, an optional sign and digits; 0 when there are none; INT_MAX/INT_MIN on
 * overflow, as CF. */
CF_EXPORT SInt32 CFStringGetIntValue(CFStringRef str);
CF_EXPORT double CFStringGetDoubleValue(CFStringRef str);

/* ---- comparing and searching (case folding is ASCII-only; no locale) ---- */
CF_EXPORT CFComparisonResult CFStringCompare(CFStringRef theString1, CFStringRef theString2,
                                             CFStringCompareFlags compareOptions);
CF_EXPORT CFComparisonResult CFStringCompareWithOptions(CFStringRef theString1,
                                                        CFStringRef theString2,
                                                        CFRange rangeToCompare,
                                                        CFStringCompareFlags compareOptions);
CF_EXPORT Boolean CFStringHasPrefix(CFStringRef theString, CFStringRef prefix);
CF_EXPORT Boolean CFStringHasSuffix(CFStringRef theString, CFStringRef suffix);
/* {kCFNotFound, 0} when absent. */
CF_EXPORT CFRange CFStringFind(CFStringRef theString, CFStringRef stringToFind,
                               CFStringCompareFlags compareOptions);
CF_EXPORT Boolean CFStringFindWithOptions(CFStringRef theString, CFStringRef stringToFind,
                                          CFRange rangeToSearch,
                                          CFStringCompareFlags searchOptions, CFRange *result);

/* ---- mutable strings ---- */
/* maxLength 0: no limit; otherwise a capacity hint (not enforced). */
CF_EXPORT CFMutableStringRef CFStringCreateMutable(CFAllocatorRef alloc, CFIndex maxLength);
CF_EXPORT CFMutableStringRef CFStringCreateMutableCopy(CFAllocatorRef alloc, CFIndex maxLength,
                                                       CFStringRef theString);
CF_EXPORT void CFStringAppend(CFMutableStringRef theString, CFStringRef appendedString);
/* Appends nothing when cStr is NULL or not valid in encoding. */
CF_EXPORT void CFStringAppendCString(CFMutableStringRef theString, const char *cStr,
                                     CFStringEncoding encoding);
CF_EXPORT void CFStringAppendCharacters(CFMutableStringRef theString, const UniChar *chars,
                                        CFIndex numChars);
CF_EXPORT void CFStringAppendFormat(CFMutableStringRef theString, CFDictionaryRef formatOptions,
                                    CFStringRef format, ...);
CF_EXPORT void CFStringAppendFormatAndArguments(CFMutableStringRef theString,
                                                CFDictionaryRef formatOptions,
                                                CFStringRef format, va_list arguments);
CF_EXPORT void CFStringInsert(CFMutableStringRef str, CFIndex idx, CFStringRef insertedStr);
CF_EXPORT void CFStringDelete(CFMutableStringRef theString, CFRange range);
CF_EXPORT void CFStringReplace(CFMutableStringRef theString, CFRange range,
                               CFStringRef replacement);
CF_EXPORT void CFStringReplaceAll(CFMutableStringRef theString, CFStringRef replacement);
/* Returns the number of replacements. */
CF_EXPORT CFIndex CFStringFindAndReplace(CFMutableStringRef theString, CFStringRef stringToFind,
                                         CFStringRef replacementString, CFRange rangeToSearch,
                                         CFStringCompareFlags compareOptions);
CF_EXPORT void CFStringTrim(CFMutableStringRef theString, CFStringRef trimString);
CF_EXPORT void CFStringTrimWhitespace(CFMutableStringRef theString);
/* ASCII letters only; locale is ignored. */
CF_EXPORT void CFStringLowercase(CFMutableStringRef theString, CFLocaleRef locale);
CF_EXPORT void CFStringUppercase(CFMutableStringRef theString, CFLocaleRef locale);

/* Prints a description of obj to stderr and a newline: a string's contents (non-ASCII as
 * \uXXXX, as CF), another object's CFCopyDescription, "(null)" for NULL. */
CF_EXPORT void CFShow(CFTypeRef obj);

/* Returns an interned, immortal string; the function behind CFSTR. */
CF_EXPORT CFStringRef __CFStringMakeConstantString(const char *cStr);
#define CFSTR(cStr) __CFStringMakeConstantString("" cStr "")

CF_EXTERN_C_END

#endif /* __COREFOUNDATION_CFSTRING__ */
