/*
 * MacTypes.h — libcfmp: the scalar types, codes and constants of Apple's MacTypes.h that code
 * written against CoreFoundation uses (OSStatus, noErr, nil, Boolean, the fixed-width integer
 * names). Included by <CoreFoundation/CFBase.h>, as macOS's CFBase provides the same names.
 * Left out on purpose: the classic Toolbox types with common names (Point, Rect, Size, Ptr,
 * Handle, Fixed), which would collide with a program's own declarations on Linux.
 */
#ifndef __MACTYPES__
#define __MACTYPES__ 1

#include <stddef.h>
#include <stdint.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

/* nil and Nil: the null object pointer, nullptr in C++11 as in Apple's header. */
#ifndef nil
#if defined(__cplusplus) && __cplusplus >= 201103L
#define nil nullptr
#else
#define nil NULL
#endif
#endif
#ifndef Nil
#if defined(__cplusplus) && __cplusplus >= 201103L
#define Nil nullptr
#else
#define Nil NULL
#endif
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#if defined(__cplusplus)
extern "C" {
#endif

/* The widths are Apple's LP64 ones: SInt32 is int, SInt64 is long long (so "%lld" prints an
 * SInt64 without a warning, as on macOS). */
typedef unsigned char UInt8;
typedef signed char SInt8;
typedef unsigned short UInt16;
typedef signed short SInt16;
typedef unsigned int UInt32;
typedef signed int SInt32;
typedef unsigned long long UInt64;
typedef signed long long SInt64;
typedef float Float32;
typedef double Float64;

typedef unsigned char Boolean;
typedef UInt8 Byte;
typedef SInt8 SignedByte;

typedef SInt16 OSErr;
typedef SInt32 OSStatus;
typedef UInt32 OptionBits;
typedef unsigned long ByteCount;
typedef unsigned long ByteOffset;
typedef unsigned long ItemCount;
typedef UInt32 FourCharCode;
typedef FourCharCode OSType;
typedef FourCharCode ResType;
typedef SInt16 ScriptCode;
typedef SInt16 LangCode;
typedef SInt16 RegionCode;

typedef UInt32 UnicodeScalarValue;
typedef UInt32 UTF32Char;
typedef UInt16 UniChar;
typedef UInt16 UTF16Char;
typedef UInt8 UTF8Char;
typedef UniChar *UniCharPtr;
typedef unsigned long UniCharCount;
typedef UniCharCount *UniCharCountPtr;

typedef unsigned char *StringPtr;
typedef const unsigned char *ConstStringPtr;
typedef unsigned char Str255[256];
typedef unsigned char Str63[64];
typedef unsigned char Str32[33];
typedef unsigned char Str31[32];
typedef const unsigned char *ConstStr255Param;
typedef const unsigned char *ConstStr63Param;
typedef const unsigned char *ConstStr31Param;

enum { noErr = 0 };
enum { kNilOptions = 0 };
enum { kVariableLengthArray = 1 };
enum { kUnknownType = 0x3F3F3F3F };

#if defined(__cplusplus)
}
#endif

#endif /* __MACTYPES__ */
