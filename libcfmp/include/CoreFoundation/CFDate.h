/*
 * CFDate.h — libcfmp: CF's wall clock. CFAbsoluteTime counts seconds since
 * 2001-01-01 00:00:00 GMT (a double), as on macOS. No CFDate objects (see libcfmp/README.md).
 * Thread-safety: may be called from any thread.
 */
#ifndef __COREFOUNDATION_CFDATE__
#define __COREFOUNDATION_CFDATE__ 1

#include <CoreFoundation/CFBase.h>

CF_EXTERN_C_BEGIN

/* CFTimeInterval and CFAbsoluteTime are declared in CFBase.h. */
#define kCFAbsoluteTimeIntervalSince1970 978307200.0
#define kCFAbsoluteTimeIntervalSince1904 3061152000.0

/* The current wall-clock time (CLOCK_REALTIME); it may jump when the clock is set. */
CF_EXPORT CFAbsoluteTime CFAbsoluteTimeGetCurrent(void);

CF_EXTERN_C_END

#endif /* __COREFOUNDATION_CFDATE__ */
