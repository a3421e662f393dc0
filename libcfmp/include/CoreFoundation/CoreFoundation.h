/*
 * CoreFoundation.h — libcfmp umbrella header: the part of CoreFoundation that CFMessagePort
 * programs use (base types, allocators, CFData, CFString, CFDate's clock, CFRunLoop with
 * sources and timers, CFPreferences' absence) and CFMessagePort itself.
 *
 * Like macOS's umbrella header it first brings in the standard C headers, so a program that
 * includes only <CoreFoundation/CoreFoundation.h> and calls malloc, strlen, printf, signal or
 * uint32_t compiles unchanged (clang's -Werror=implicit-function-declaration, C++).
 */
#ifndef __COREFOUNDATION_COREFOUNDATION__
#define __COREFOUNDATION_COREFOUNDATION__ 1
#define __COREFOUNDATION__ 1

#include <sys/types.h>
#include <stdarg.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && (199901L <= __STDC_VERSION__))
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#endif

#include <CoreFoundation/CFBase.h>
#include <CoreFoundation/CFData.h>
#include <CoreFoundation/CFString.h>
#include <CoreFoundation/CFDate.h>
#include <CoreFoundation/CFPreferences.h>
#include <CoreFoundation/CFRunLoop.h>
#include <CoreFoundation/CFMessagePort.h>

#endif /* __COREFOUNDATION_COREFOUNDATION__ */
