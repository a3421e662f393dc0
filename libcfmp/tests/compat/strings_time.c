/*
 * strings_time.c — the CFString and time functions a macOS program uses around its IPC: a log
 * line built with CFStringCreateWithFormat and %@, a mutable path assembled with
 * CFStringAppend*, an external representation written and read back, the CFStringGetCStringPtr
 * fast path with its CFStringGetCString fallback, CFShow, a preference with a default, and an
 * elapsed time measured with CFAbsoluteTimeGetCurrent around a CFRunLoopTimer. Compiles
 * unchanged on macOS and against libcfmp. Prints what it found; exit 0 when all is as CF
 * documents.
 */
#include <CoreFoundation/CoreFoundation.h>

static int gFailures;

static void Expect(Boolean ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "FAILED: %s\n", what);
        gFailures++;
    }
}

static void PrintString(const char *label, CFStringRef string) {
    char buffer[512];
    const char *text = CFStringGetCStringPtr(string, kCFStringEncodingMacRoman);
    if (text == NULL) {
        if (!CFStringGetCString(string, buffer, sizeof buffer, kCFStringEncodingUTF8)) buffer[0] = '\0';
        text = buffer;
    }
    printf("%s: %s\n", label, text);
}

static void TimerFired(CFRunLoopTimerRef timer __unused, void *info) {
    int *fired = info;
    if (++*fired == 3) CFRunLoopStop(CFRunLoopGetCurrent());
}

int main(void) {
    /* A log line: printf conversions and %@ for CF objects. */
    CFStringRef service = CFSTR("com.example.cfmp");
    CFStringRef line = CFStringCreateWithFormat(kCFAllocatorDefault, NULL,
                                                CFSTR("[%@] pid=%d status=%ld ratio=%.2f hex=%#x"),
                                                service, 42, (long)noErr, 0.5, 255u);
    PrintString("log", line);
    Expect(CFStringCompare(line, CFSTR("[com.example.cfmp] pid=42 status=0 ratio=0.50 hex=0xff"), 0) ==
               kCFCompareEqualTo, "CFStringCreateWithFormat");

    /* A mutable path. */
    CFMutableStringRef path = CFStringCreateMutable(kCFAllocatorDefault, 0);
    CFStringAppendCString(path, "/tmp", kCFStringEncodingUTF8);
    CFStringAppend(path, CFSTR("/"));
    CFStringAppendFormat(path, NULL, CFSTR("%@-%d.sock"), service, 7);
    CFStringFindAndReplace(path, CFSTR("."), CFSTR("_"), CFRangeMake(0, CFStringGetLength(path) - 5), 0);
    PrintString("path", path);
    Expect(CFStringHasSuffix(path, CFSTR(".sock")) && CFStringHasPrefix(path, CFSTR("/tmp/com_")),
           "mutable string edits");
    CFStringDelete(path, CFRangeMake(0, 5));
    Expect(CFStringGetLength(path) == (CFIndex)strlen("com_example_cfmp-7.sock"), "CFStringDelete");

    /* An external representation: UTF-8 and UTF-16 with a byte-order mark, read back. */
    CFStringRef accented = CFStringCreateWithCString(NULL, "caf\xc3\xa9 cr\xc3\xa8me", kCFStringEncodingUTF8);
    CFDataRef utf8 = CFStringCreateExternalRepresentation(NULL, accented, kCFStringEncodingUTF8, 0);
    CFDataRef utf16 = CFStringCreateExternalRepresentation(NULL, accented, kCFStringEncodingUnicode, 0);
    CFStringRef back8 = CFStringCreateFromExternalRepresentation(NULL, utf8, kCFStringEncodingUTF8);
    CFStringRef back16 = CFStringCreateFromExternalRepresentation(NULL, utf16, kCFStringEncodingUnicode);
    printf("external: %ld UTF-8 bytes, %ld UTF-16 bytes\n", (long)CFDataGetLength(utf8),
           (long)CFDataGetLength(utf16));
    Expect(CFEqual(back8, accented) && CFEqual(back16, accented), "external representation");
    Expect(CFDataGetLength(utf16) == 2 + 2 * CFStringGetLength(accented), "UTF-16 byte-order mark");
    Expect(CFStringGetCStringPtr(accented, kCFStringEncodingMacRoman) == NULL ||
               CFStringGetCStringPtr(accented, kCFStringEncodingMacRoman)[3] == '\x8e',
           "no MacRoman pointer to UTF-8 bytes");
    Expect(CFStringGetCStringPtr(service, kCFStringEncodingMacRoman) != NULL, "ASCII fast path");
    char roman[32];
    Expect(CFStringGetCString(accented, roman, sizeof roman, kCFStringEncodingMacRoman) &&
               (unsigned char)roman[3] == 0x8e, "MacRoman conversion");

    /* CFShow goes to stderr; the description of data and the copy rule. */
    CFShow(service);
    CFStringRef description = CFCopyDescription(utf8);
    Expect(CFStringFind(description, CFSTR("length = 12"), 0).location != kCFNotFound, "CFCopyDescription");
    CFRelease(description);

    /* A preference with a default: libcfmp has no store (documented), macOS may have a value. */
    CFPropertyListRef value = CFPreferencesCopyAppValue(CFSTR("Verbose"), kCFPreferencesCurrentApplication);
    Boolean verbose = FALSE;
    if (value != NULL) {
        verbose = CFEqual(value, CFSTR("YES"));
        CFRelease(value);
    }
    printf("verbose: %s\n", verbose ? "yes" : "no (default)");

    /* Elapsed time around a repeating timer: three fires 50 ms apart take about 100 ms. */
    int fired = 0;
    CFRunLoopTimerContext context = {0, &fired, NULL, NULL, NULL};
    CFAbsoluteTime start = CFAbsoluteTimeGetCurrent();
    CFRunLoopTimerRef timer = CFRunLoopTimerCreate(kCFAllocatorDefault, start + 0.05, 0.05, 0, 0,
                                                   TimerFired, &context);
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, kCFRunLoopDefaultMode);
    CFRunLoopRunInMode(kCFRunLoopDefaultMode, 10.0, FALSE);
    CFTimeInterval elapsed = CFAbsoluteTimeGetCurrent() - start;
    CFRunLoopTimerInvalidate(timer);
    CFRelease(timer);
    printf("timer: %d fires in %s\n", fired, elapsed >= 0.14 && elapsed < 5.0 ? "about 150 ms" : "an unexpected time");
    Expect(fired == 3 && elapsed >= 0.14, "CFRunLoopTimer and CFAbsoluteTimeGetCurrent");
    Expect(start > 7.0e8, "CFAbsoluteTime counts from 2001");

    CFRelease(back16);
    CFRelease(back8);
    CFRelease(utf16);
    CFRelease(utf8);
    CFRelease(accented);
    CFRelease(path);
    CFRelease(line);
    printf("strings_time: %s\n", gFailures == 0 ? "ok" : "FAILED");
    return gFailures == 0 ? 0 : 1;
}
