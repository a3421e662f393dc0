/*
 * CFBase.h — libcfmp: the base types of CoreFoundation that CFMessagePort needs.
 *
 * Names, types and semantics follow Apple's CoreFoundation so that code written for macOS
 * compiles unchanged. Ownership follows CF's rules: functions with Create or Copy in their
 * name return a +1 reference the caller must CFRelease; Get functions return a borrowed one.
 * Thread-safety: CFRetain/CFRelease are atomic and may be called from any thread; immutable
 * objects (CFString, CFData) may be shared freely between threads.
 * Usable from C (C99 and later) and C++ (every declaration is extern "C").
 */
#ifndef __COREFOUNDATION_CFBASE__
#define __COREFOUNDATION_CFBASE__ 1

#include <MacTypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Darwin's <sys/cdefs.h> annotations, which macOS code uses freely (`int argc __unused`).
 * Each is defined only if the program has not defined it; define CFMP_NO_DARWIN_CDEFS before
 * including CoreFoundation to get none of them (Linux's <linux/...> uapi headers, included
 * after this one, use `__unused` as a field name). */
#if !defined(CFMP_NO_DARWIN_CDEFS)
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#ifndef __dead2
#define __dead2 __attribute__((__noreturn__))
#endif
#ifndef __pure2
#define __pure2 __attribute__((__const__))
#endif
#ifndef __printflike
#define __printflike(fmtarg, firstvararg) __attribute__((__format__(__printf__, fmtarg, firstvararg)))
#endif
#ifndef __scanflike
#define __scanflike(fmtarg, firstvararg) __attribute__((__format__(__scanf__, fmtarg, firstvararg)))
#endif
#ifndef __deprecated
#define __deprecated __attribute__((__deprecated__))
#endif
#endif

#if defined(__cplusplus)
#define CF_EXTERN_C_BEGIN extern "C" {
#define CF_EXTERN_C_END }
#else
#define CF_EXTERN_C_BEGIN
#define CF_EXTERN_C_END
#endif

#if defined(__cplusplus)
#define CF_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define CF_EXPORT extern __attribute__((visibility("default")))
#endif

/* Annotations that Apple's headers use; they carry no meaning here. */
#define CF_INLINE static __inline__
/* CF_ENUM(type) opens an anonymous enum; CF_ENUM(type, Name) also typedefs Name to type, as
 * Apple's headers do for compilers without fixed-type enums. */
#define __CF_ENUM_GET_MACRO(_1, _2, NAME, ...) NAME
#define __CF_NAMED_ENUM(_type, _name) _type _name; enum
#define __CF_ANON_ENUM(_type) enum
#define CF_ENUM(...) __CF_ENUM_GET_MACRO(__VA_ARGS__, __CF_NAMED_ENUM, __CF_ANON_ENUM, )(__VA_ARGS__)
#define CF_OPTIONS(...) CF_ENUM(__VA_ARGS__)
#define CF_RETURNS_RETAINED
#define CF_RETURNS_NOT_RETAINED
#define CF_RELEASES_ARGUMENT
#define CF_IMPLICIT_BRIDGING_ENABLED
#define CF_IMPLICIT_BRIDGING_DISABLED
#define CF_ASSUME_NONNULL_BEGIN
#define CF_ASSUME_NONNULL_END
#define CF_BRIDGED_TYPE(T)
#define CF_BRIDGED_MUTABLE_TYPE(T)
#define CF_SWIFT_NAME(N)
#ifndef API_AVAILABLE
#define API_AVAILABLE(...)
#endif
#ifndef API_DEPRECATED
#define API_DEPRECATED(...)
#endif

CF_EXTERN_C_BEGIN

/* Boolean, UInt8 … SInt64, UniChar, OSStatus and noErr come from <MacTypes.h>. */
typedef signed long CFIndex;
typedef unsigned long CFTypeID;
typedef unsigned long CFOptionFlags;
typedef unsigned long CFHashCode;
typedef double CFTimeInterval;
typedef double CFAbsoluteTime;

typedef const void *CFTypeRef;
typedef const struct __CFString *CFStringRef;
typedef struct __CFString *CFMutableStringRef;
typedef const struct __CFAllocator *CFAllocatorRef;
typedef CFTypeRef CFPropertyListRef;
/* Declared for the signatures that take one (format options, preferences); libcfmp has no
 * CFDictionary functions, so only NULL can be passed. */
typedef const struct __CFDictionary *CFDictionaryRef;

typedef CF_ENUM(CFIndex, CFComparisonResult) {
    kCFCompareLessThan = -1L,
    kCFCompareEqualTo = 0,
    kCFCompareGreaterThan = 1
};

typedef struct {
    CFIndex location;
    CFIndex length;
} CFRange;

CF_INLINE CFRange CFRangeMake(CFIndex loc, CFIndex len) {
    CFRange range;
    range.location = loc;
    range.length = len;
    return range;
}

enum { kCFNotFound = -1 };

/* Allocators. Only the built-in ones exist (no CFAllocatorCreate): kCFAllocatorDefault (NULL),
 * kCFAllocatorSystemDefault, kCFAllocatorMalloc and kCFAllocatorMallocZone allocate with
 * malloc; kCFAllocatorNull allocates nothing (NULL), and as the deallocator of a no-copy object
 * means "do not free the bytes". */
CF_EXPORT const CFAllocatorRef kCFAllocatorDefault;
CF_EXPORT const CFAllocatorRef kCFAllocatorSystemDefault;
CF_EXPORT const CFAllocatorRef kCFAllocatorMalloc;
CF_EXPORT const CFAllocatorRef kCFAllocatorMallocZone;
CF_EXPORT const CFAllocatorRef kCFAllocatorNull;
/* kCFAllocatorUseContext: only meaningful to CFAllocatorCreate, which libcfmp lacks. */
CF_EXPORT const CFAllocatorRef kCFAllocatorUseContext;

CF_EXPORT CFTypeID CFAllocatorGetTypeID(void);
/* The default allocator (kCFAllocatorSystemDefault; CFAllocatorSetDefault is not provided). */
CF_EXPORT CFAllocatorRef CFAllocatorGetDefault(void);
/* size <= 0 returns NULL, as does kCFAllocatorNull; hint is ignored. Out of memory aborts. */
CF_EXPORT void *CFAllocatorAllocate(CFAllocatorRef allocator, CFIndex size, CFOptionFlags hint);
/* ptr NULL allocates; newsize <= 0 frees ptr and returns NULL (CF's rules). */
CF_EXPORT void *CFAllocatorReallocate(CFAllocatorRef allocator, void *ptr, CFIndex newsize,
                                      CFOptionFlags hint);
/* ptr NULL does nothing. */
CF_EXPORT void CFAllocatorDeallocate(CFAllocatorRef allocator, void *ptr);
CF_EXPORT CFIndex CFAllocatorGetPreferredSizeForSize(CFAllocatorRef allocator, CFIndex size,
                                                     CFOptionFlags hint);
/* The allocator an object was made with: always kCFAllocatorSystemDefault here (NULL too). */
CF_EXPORT CFAllocatorRef CFGetAllocator(CFTypeRef cf);

/* Polymorphic functions. CFRetain returns its argument; passing NULL to CFRetain or CFRelease
 * is a precondition violation (it aborts, as CF crashes). The last CFRelease finalizes. */
CF_EXPORT CFTypeRef CFRetain(CFTypeRef cf);
CF_EXPORT void CFRelease(CFTypeRef cf);
CF_EXPORT CFIndex CFGetRetainCount(CFTypeRef cf);
CF_EXPORT CFTypeID CFGetTypeID(CFTypeRef cf);
/* CFEqual compares strings and data by content, everything else by identity. */
CF_EXPORT Boolean CFEqual(CFTypeRef cf1, CFTypeRef cf2);
CF_EXPORT CFHashCode CFHash(CFTypeRef cf);
/* A +1 string describing cf, in CF's formats ("<CFString 0x… [0x…]>{contents = "…"}",
 * "<CFData 0x… [0x…]>{length = …, capacity = …, bytes = 0x…}", "<CFMessagePort …>{…}", …);
 * NULL for NULL. A local message port's context copyDescription is called (R9). */
CF_EXPORT CFStringRef CFCopyDescription(CFTypeRef cf);
/* The class name of a type ("CFString"), +1; NULL for an unknown type id. */
CF_EXPORT CFStringRef CFCopyTypeIDDescription(CFTypeID type_id);

CF_EXTERN_C_END

#endif /* __COREFOUNDATION_CFBASE__ */
