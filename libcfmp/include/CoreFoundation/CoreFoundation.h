/*
 * CoreFoundation.h — libcfmp umbrella header: the part of CoreFoundation that CFMessagePort
 * needs (base types, CFData, CFString, CFRunLoop) and CFMessagePort itself.
 */
#ifndef __COREFOUNDATION_COREFOUNDATION__
#define __COREFOUNDATION_COREFOUNDATION__ 1

#include <CoreFoundation/CFBase.h>
#include <CoreFoundation/CFData.h>
#include <CoreFoundation/CFString.h>
#include <CoreFoundation/CFRunLoop.h>
#include <CoreFoundation/CFMessagePort.h>

#endif /* __COREFOUNDATION_COREFOUNDATION__ */
