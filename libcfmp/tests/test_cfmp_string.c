/*
 * test_cfmp_string.c — the CoreFoundation pieces a macOS program uses around CFMessagePort
 * (issue 12): mutable strings, CFStringCreateWithFormat with %@, external representations,
 * CFStringGetCStringPtr for plain ASCII, encodings, comparison, CFCopyDescription, CFShow,
 * allocators, CFAbsoluteTimeGetCurrent and CFPreferences' documented absence. Each test
 * checks Apple's documented semantics: ownership (Create/Copy rule), NULL handling, results.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cfmp_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The string's UTF-8 contents in a static buffer (test helper). */
static const char *cfmp_utf8(CFStringRef string) {
    static char buffer[1024];
    assert_non_null(string);
    assert_true(CFStringGetCString(string, buffer, sizeof buffer, kCFStringEncodingUTF8));
    return buffer;
}

static void test_issue12_mutable_string_edits_track_utf16_length(void **state) {
    (void)state;
    CFMutableStringRef s = CFStringCreateMutable(kCFAllocatorDefault, 0);
    assert_non_null(s);
    assert_int_equal(CFStringGetLength(s), 0);
    CFStringAppendCString(s, "h\xc3\xa9llo", kCFStringEncodingUTF8);
    CFStringAppend(s, CFSTR(" world"));
    assert_string_equal(cfmp_utf8(s), "h\xc3\xa9llo world");
    assert_int_equal(CFStringGetLength(s), 11);
    CFStringAppendCString(s, "\xe9", kCFStringEncodingISOLatin1); /* Latin-1 e-acute */
    assert_string_equal(cfmp_utf8(s), "h\xc3\xa9llo world\xc3\xa9");
    CFStringAppendCString(s, "\xff\xfe", kCFStringEncodingUTF8); /* invalid: nothing appended */
    CFStringAppendCString(s, NULL, kCFStringEncodingUTF8);
    assert_int_equal(CFStringGetLength(s), 12);
    const UniChar smile[] = {0xd83d, 0xde00}; /* U+1F600 as a surrogate pair */
    CFStringAppendCharacters(s, smile, 2);
    assert_int_equal(CFStringGetLength(s), 14);
    assert_int_equal(CFStringGetCharacterAtIndex(s, 12), 0xd83d);
    assert_int_equal(CFStringGetCharacterAtIndex(s, 13), 0xde00);
    assert_int_equal(CFStringGetCharacterAtIndex(s, 1), 0xe9);
    CFStringDelete(s, CFRangeMake(5, 6)); /* " world" */
    assert_string_equal(cfmp_utf8(s), "h\xc3\xa9llo\xc3\xa9\xf0\x9f\x98\x80");
    CFStringInsert(s, 0, CFSTR(">> "));
    CFStringReplace(s, CFRangeMake(3, 1), CFSTR("H"));
    assert_string_equal(cfmp_utf8(s), ">> H\xc3\xa9llo\xc3\xa9\xf0\x9f\x98\x80");
    CFStringAppend(s, s); /* appending a string to itself doubles it */
    assert_int_equal(CFStringGetLength(s), 22);
    CFStringReplaceAll(s, CFSTR("a-b-c-d"));
    assert_int_equal(CFStringFindAndReplace(s, CFSTR("-"), CFSTR("+="), CFRangeMake(0, 7), 0), 3);
    assert_string_equal(cfmp_utf8(s), "a+=b+=c+=d");
    CFStringReplaceAll(s, CFSTR("  \t padded \n"));
    CFStringTrimWhitespace(s);
    assert_string_equal(cfmp_utf8(s), "padded");
    CFStringReplaceAll(s, CFSTR("xxcorexx"));
    CFStringTrim(s, CFSTR("x"));
    assert_string_equal(cfmp_utf8(s), "core");
    CFStringUppercase(s, NULL);
    assert_string_equal(cfmp_utf8(s), "CORE");
    CFStringLowercase(s, NULL);
    assert_string_equal(cfmp_utf8(s), "core");
    /* Create rule: an immutable copy of a mutable string is a new object, unaffected by edits. */
    CFStringRef frozen = CFStringCreateCopy(NULL, s);
    assert_ptr_not_equal(frozen, s);
    CFStringAppend(s, CFSTR("!"));
    assert_string_equal(cfmp_utf8(frozen), "core");
    assert_int_equal(CFGetRetainCount(frozen), 1);
    /* ... while a copy of an immutable string may be the same object, retained. */
    CFStringRef again = CFStringCreateCopy(NULL, frozen);
    assert_ptr_equal(again, frozen);
    assert_int_equal(CFGetRetainCount(frozen), 2);
    CFRelease(again);
    CFMutableStringRef copy = CFStringCreateMutableCopy(NULL, 0, frozen);
    CFStringAppendCString(copy, "d", kCFStringEncodingASCII);
    assert_true(CFEqual(copy, CFSTR("cored")));
    assert_int_equal(CFGetTypeID(copy), CFStringGetTypeID());
    CFRelease(copy);
    CFRelease(frozen);
    CFRelease(s);
}

static void test_issue12_format_printf_conversions_and_object_argument(void **state) {
    (void)state;
    CFDataRef data = CFDataCreate(NULL, (const UInt8 *)"abc", 3);
    CFStringRef s = CFStringCreateWithFormat(
        NULL, NULL, CFSTR("%d|%5s|%-4s|%05.1f|%x|%lld|%zu|%%|%@|%@|%c|%C|%ld"), -42, "ab", "cd",
        3.14159, 255u, (long long)1 << 40, (size_t)7, CFSTR("str"), NULL, 'z', (UniChar)0xe9,
        (long)-3);
    assert_string_equal(cfmp_utf8(s), "-42|   ab|cd  |003.1|ff|1099511627776|7|%|str|(null)|z|\xc3\xa9|-3");
    CFRelease(s);
    /* Positional arguments, * widths and precisions, and a precision that must not cut a
     * UTF-8 sequence in half. */
    s = CFStringCreateWithFormat(NULL, NULL, CFSTR("%2$s-%1$s %3$@ %1$s"), "one", "two",
                                 CFSTR("three"));
    assert_string_equal(cfmp_utf8(s), "two-one three one");
    CFRelease(s);
    s = CFStringCreateWithFormat(NULL, NULL, CFSTR("%*d|%.*s|%.2s|%-*d|"), 4, 7, 3, "abcdef",
                                 "\xc3\xa9\xc3\xa9", -3, 1);
    assert_string_equal(cfmp_utf8(s), "   7|abc|\xc3\xa9|1  |");
    CFRelease(s);
    /* %@ of a non-string object is its description; %p of NULL is Darwin's 0x0. */
    s = CFStringCreateWithFormat(NULL, NULL, CFSTR("%@ %p"), data, NULL);
    char expected[128];
    snprintf(expected, sizeof expected,
             "<CFData %p [%p]>{length = 3, capacity = 3, bytes = 0x616263} 0x0", (void *)data,
             (void *)kCFAllocatorSystemDefault);
    assert_string_equal(cfmp_utf8(s), expected);
    CFRelease(s);
    /* %S: a NUL-terminated UniChar string; a malformed conversion is copied with the rest. */
    const UniChar units[] = {'u', 0x00fc, 0};
    s = CFStringCreateWithFormat(NULL, NULL, CFSTR("%S and %y %d"), units, 5);
    assert_string_equal(cfmp_utf8(s), "u\xc3\xbc and %y %d");
    CFRelease(s);
    CFMutableStringRef m = CFStringCreateMutable(NULL, 0);
    CFStringAppendFormat(m, NULL, CFSTR("%s=%u;"), "k", 1u);
    CFStringAppendFormat(m, NULL, CFSTR("%s=%u;"), "j", 2u);
    assert_string_equal(cfmp_utf8(m), "k=1;j=2;");
    CFRelease(m);
    CFRelease(data);
}

/* Zero bytes in every encoding are the empty string (a decode that appends nothing once left
 * the new string's terminator unwritten: valgrind saw cfmp_string_adopt read it). */
static void test_empty_bytes_in_every_encoding_are_the_empty_string(void **state) {
    (void)state;
    static const CFStringEncoding encodings[] = {
        kCFStringEncodingUTF8,    kCFStringEncodingASCII,   kCFStringEncodingMacRoman,
        kCFStringEncodingISOLatin1, kCFStringEncodingUTF16, kCFStringEncodingUTF16BE,
        kCFStringEncodingUTF16LE, kCFStringEncodingUTF32,   kCFStringEncodingUTF32BE,
        kCFStringEncodingUTF32LE,
    };
    const UInt8 none[1] = {0x41};
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++) {
        for (int external = 0; external <= 1; external++) {
            CFStringRef s = CFStringCreateWithBytes(NULL, none, 0, encodings[i], (Boolean)external);
            assert_non_null(s);
            assert_int_equal(CFStringGetLength(s), 0);
            char out[4] = "xyz";
            assert_true(CFStringGetCString(s, out, sizeof out, kCFStringEncodingUTF8));
            assert_string_equal(out, "");
            CFRelease(s);
        }
    }
}

static void test_issue12_external_representation_round_trips(void **state) {
    (void)state;
    CFStringRef s = CFStringCreateWithCString(NULL, "h\xc3\xa9llo \xf0\x9f\x98\x80", kCFStringEncodingUTF8);
    /* UTF-8: no byte-order mark, the bytes themselves. */
    CFDataRef utf8 = CFStringCreateExternalRepresentation(NULL, s, kCFStringEncodingUTF8, 0);
    assert_non_null(utf8);
    assert_int_equal(CFDataGetLength(utf8), 11);
    assert_memory_equal(CFDataGetBytePtr(utf8), "h\xc3\xa9llo \xf0\x9f\x98\x80", 11);
    CFStringRef back = CFStringCreateFromExternalRepresentation(NULL, utf8, kCFStringEncodingUTF8);
    assert_true(CFEqual(back, s));
    CFRelease(back);
    /* UTF-16: a host-order byte-order mark, then 8 units (the emoji is a pair). */
    CFDataRef utf16 = CFStringCreateExternalRepresentation(NULL, s, kCFStringEncodingUTF16, 0);
    assert_int_equal(CFDataGetLength(utf16), 2 + 8 * 2);
    const UInt8 *bytes = CFDataGetBytePtr(utf16);
    UniChar bom = 0;
    memcpy(&bom, bytes, 2);
    assert_int_equal(bom, 0xfeff);
    back = CFStringCreateFromExternalRepresentation(NULL, utf16, kCFStringEncodingUTF16);
    assert_true(CFEqual(back, s));
    CFRelease(back);
    /* UTF-16BE: no mark, big-endian; read back as external UTF-16 (no mark means BE). */
    CFDataRef be = CFStringCreateExternalRepresentation(NULL, s, kCFStringEncodingUTF16BE, 0);
    assert_int_equal(CFDataGetLength(be), 16);
    assert_int_equal(CFDataGetBytePtr(be)[0], 0);
    assert_int_equal(CFDataGetBytePtr(be)[1], 'h');
    back = CFStringCreateFromExternalRepresentation(NULL, be, kCFStringEncodingUTF16);
    assert_true(CFEqual(back, s));
    CFRelease(back);
    /* A character the encoding lacks: NULL without a loss byte, the loss byte otherwise. */
    assert_null(CFStringCreateExternalRepresentation(NULL, s, kCFStringEncodingASCII, 0));
    CFDataRef lossy = CFStringCreateExternalRepresentation(NULL, s, kCFStringEncodingASCII, '?');
    assert_int_equal(CFDataGetLength(lossy), 7);
    assert_memory_equal(CFDataGetBytePtr(lossy), "h?llo ?", 7);
    assert_null(CFStringCreateFromExternalRepresentation(NULL, NULL, kCFStringEncodingUTF8));
    CFRelease(lossy);
    CFRelease(be);
    CFRelease(utf16);
    CFRelease(utf8);
    CFRelease(s);
}

static void test_issue12_get_cstring_ptr_for_plain_ascii_as_macos(void **state) {
    (void)state;
    CFStringRef ascii = CFStringCreateWithCString(NULL, "com.example.port", kCFStringEncodingASCII);
    const char *p = CFStringGetCStringPtr(ascii, kCFStringEncodingMacRoman);
    assert_non_null(p);
    assert_string_equal(p, "com.example.port");
    assert_ptr_equal(CFStringGetCStringPtr(ascii, kCFStringEncodingASCII), p);
    assert_ptr_equal(CFStringGetCStringPtr(ascii, kCFStringEncodingUTF8), p);
    assert_ptr_equal(CFStringGetCStringPtr(CFSTR("x"), kCFStringEncodingMacRoman),
                     CFStringGetCStringPtr(CFSTR("x"), kCFStringEncodingASCII));
    CFStringRef accented = CFStringCreateWithCString(NULL, "caf\xc3\xa9", kCFStringEncodingUTF8);
    assert_null(CFStringGetCStringPtr(accented, kCFStringEncodingMacRoman)); /* not stored so */
    assert_non_null(CFStringGetCStringPtr(accented, kCFStringEncodingUTF8));
    assert_null(CFStringGetCStringPtr(accented, kCFStringEncodingUTF16));
    assert_null(CFStringGetCStringPtr(NULL, kCFStringEncodingUTF8)); /* tolerated, as CF */
    /* The fallback every macOS program has: GetCString converts to MacRoman. */
    char buffer[16];
    assert_true(CFStringGetCString(accented, buffer, sizeof buffer, kCFStringEncodingMacRoman));
    assert_string_equal(buffer, "caf\x8e");
    assert_true(CFStringGetCString(accented, buffer, sizeof buffer, kCFStringEncodingISOLatin1));
    assert_string_equal(buffer, "caf\xe9");
    assert_false(CFStringGetCString(accented, buffer, sizeof buffer, kCFStringEncodingASCII));
    assert_false(CFStringGetCString(accented, buffer, 5, kCFStringEncodingUTF8)); /* 6 needed */
    CFStringRef roman = CFStringCreateWithBytes(NULL, (const UInt8 *)"caf\x8e", 4,
                                                kCFStringEncodingMacRoman, false);
    assert_true(CFEqual(roman, accented));
    CFRelease(roman);
    CFRelease(accented);
    CFRelease(ascii);
}

static void test_issue12_compare_find_and_values(void **state) {
    (void)state;
    assert_int_equal(CFStringCompare(CFSTR("abc"), CFSTR("abd"), 0), kCFCompareLessThan);
    assert_int_equal(CFStringCompare(CFSTR("ABC"), CFSTR("abc"), kCFCompareCaseInsensitive),
                     kCFCompareEqualTo);
    assert_int_equal(CFStringCompare(CFSTR("v10"), CFSTR("v9"), kCFCompareNumerically),
                     kCFCompareGreaterThan);
    assert_int_equal(CFStringCompare(CFSTR("v10"), CFSTR("v9"), 0), kCFCompareLessThan);
    assert_true(CFStringHasPrefix(CFSTR("com.example.x"), CFSTR("com.")));
    assert_false(CFStringHasSuffix(CFSTR("com.example.x"), CFSTR(".y")));
    CFStringRef s = CFStringCreateWithCString(NULL, "\xc3\xa9t\xc3\xa9 ete", kCFStringEncodingUTF8);
    CFRange found = CFStringFind(s, CFSTR("t"), 0); /* indices count UTF-16 units */
    assert_int_equal(found.location, 1);
    assert_int_equal(found.length, 1);
    found = CFStringFind(s, CFSTR("t"), kCFCompareBackwards);
    assert_int_equal(found.location, 5);
    found = CFStringFind(s, CFSTR("TE"), kCFCompareCaseInsensitive);
    assert_int_equal(found.location, 5);
    assert_int_equal(found.length, 2);
    found = CFStringFind(s, CFSTR("zz"), 0);
    assert_int_equal(found.location, kCFNotFound);
    CFStringRef sub = CFStringCreateWithSubstring(NULL, s, CFRangeMake(1, 3));
    assert_string_equal(cfmp_utf8(sub), "t\xc3\xa9 ");
    UniChar units[3];
    CFStringGetCharacters(sub, CFRangeMake(0, 3), units);
    assert_int_equal(units[1], 0xe9);
    assert_int_equal(CFStringGetIntValue(CFSTR("  -42abc")), -42);
    assert_int_equal(CFStringGetIntValue(CFSTR("x")), 0);
    assert_int_equal(CFStringGetIntValue(CFSTR("99999999999")), INT32_MAX);
    assert_true(CFStringGetDoubleValue(CFSTR("2.5e2")) == 250.0);
    assert_int_equal(CFStringGetSystemEncoding(), kCFStringEncodingUTF8);
    assert_true(CFStringIsEncodingAvailable(kCFStringEncodingUTF16LE));
    assert_false(CFStringIsEncodingAvailable(0x0A01)); /* Shift-JIS is not provided */
    CFRelease(sub);
    CFRelease(s);
}

static void test_issue12_copy_description_formats_and_null(void **state) {
    (void)state;
    assert_null(CFCopyDescription(NULL));
    CFStringRef s = CFStringCreateWithCString(NULL, "abc", kCFStringEncodingUTF8);
    CFStringRef description = CFCopyDescription(s);
    char expected[160];
    snprintf(expected, sizeof expected, "<CFString %p [%p]>{contents = \"abc\"}", (void *)s,
             (void *)kCFAllocatorSystemDefault);
    assert_string_equal(cfmp_utf8(description), expected);
    assert_int_equal(CFGetRetainCount(description), 1); /* Copy rule */
    CFRelease(description);
    UInt8 bytes[30];
    for (int i = 0; i < 30; i++) bytes[i] = (UInt8)i;
    CFDataRef data = CFDataCreate(NULL, bytes, 30);
    description = CFCopyDescription(data);
    snprintf(expected, sizeof expected,
             "<CFData %p [%p]>{length = 30, capacity = 30, bytes = "
             "0x000102030405060708090a0b0c0d0e0f ... 161718191a1b1c1d}",
             (void *)data, (void *)kCFAllocatorSystemDefault);
    assert_string_equal(cfmp_utf8(description), expected);
    CFRelease(description);
    description = CFCopyDescription(CFRunLoopGetCurrent());
    assert_true(CFStringHasPrefix(description, CFSTR("<CFRunLoop 0x")));
    CFRelease(description);
    CFStringRef type = CFCopyTypeIDDescription(CFStringGetTypeID());
    assert_true(CFEqual(type, CFSTR("CFString")));
    assert_null(CFCopyTypeIDDescription(999999));
    CFRelease(type);
    CFRelease(data);
    CFRelease(s);
}

/* Runs CFShow(obj) with stderr sent to a file and returns what it printed. */
static const char *cfmp_capture_show(CFTypeRef obj) {
    static char captured[512];
    fflush(stderr);
    int saved = dup(2);
    FILE *file = tmpfile();
    assert_non_null(file);
    dup2(fileno(file), 2);
    CFShow(obj);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(file);
    size_t got = fread(captured, 1, sizeof captured - 1, file);
    captured[got] = '\0';
    fclose(file);
    return captured;
}

static void test_issue12_cfshow_prints_contents_descriptions_and_null(void **state) {
    (void)state;
    CFStringRef s = CFStringCreateWithCString(NULL, "h\xc3\xa9llo", kCFStringEncodingUTF8);
    assert_string_equal(cfmp_capture_show(s), "h\\u00e9llo\n"); /* CF escapes non-ASCII */
    assert_string_equal(cfmp_capture_show(NULL), "(null)\n");
    CFDataRef data = CFDataCreate(NULL, (const UInt8 *)"\x01", 1);
    const char *shown = cfmp_capture_show(data);
    assert_non_null(strstr(shown, "{length = 1, capacity = 1, bytes = 0x01}\n"));
    assert_int_equal(strncmp(shown, "<CFData 0x", 10), 0);
    CFRelease(data);
    CFRelease(s);
}

static void test_issue12_allocator_functions_follow_cf_rules(void **state) {
    (void)state;
    assert_ptr_equal(CFAllocatorGetDefault(), kCFAllocatorSystemDefault);
    assert_null(CFAllocatorAllocate(NULL, 0, 0));
    assert_null(CFAllocatorAllocate(kCFAllocatorNull, 16, 0));
    char *memory = CFAllocatorAllocate(kCFAllocatorDefault, 16, 0);
    assert_non_null(memory);
    memcpy(memory, "0123456789abcde", 16);
    memory = CFAllocatorReallocate(kCFAllocatorMalloc, memory, 4096, 0);
    assert_non_null(memory);
    assert_string_equal(memory, "0123456789abcde");
    assert_null(CFAllocatorReallocate(NULL, memory, 0, 0)); /* frees it */
    void *fresh = CFAllocatorReallocate(kCFAllocatorSystemDefault, NULL, 8, 0);
    assert_non_null(fresh);
    CFAllocatorDeallocate(kCFAllocatorSystemDefault, fresh);
    CFAllocatorDeallocate(NULL, NULL); /* harmless */
    assert_true(CFAllocatorGetPreferredSizeForSize(NULL, 10, 0) >= 10);
    assert_ptr_equal(CFGetAllocator(CFSTR("x")), kCFAllocatorSystemDefault);
    assert_int_equal(CFGetTypeID(kCFAllocatorSystemDefault), CFAllocatorGetTypeID());
}

static void test_issue12_absolute_time_is_seconds_since_2001(void **state) {
    (void)state;
    CFAbsoluteTime before = CFAbsoluteTimeGetCurrent();
    double unix_now = (double)time(NULL);
    assert_true(before > 7.0e8); /* after 2023 */
    assert_true(fabs(before + kCFAbsoluteTimeIntervalSince1970 - unix_now) < 2.0);
    cfmp_test_sleep_s(0.02);
    CFAbsoluteTime after = CFAbsoluteTimeGetCurrent();
    assert_true(after - before >= 0.015);
    assert_true(after - before < 5.0 * cfmp_test_scale());
}

static void test_issue12_preferences_are_a_documented_absence(void **state) {
    (void)state;
    CFPreferencesSetAppValue(CFSTR("key"), CFSTR("value"), kCFPreferencesCurrentApplication);
    assert_null(CFPreferencesCopyAppValue(CFSTR("key"), kCFPreferencesCurrentApplication));
    Boolean exists = true;
    assert_false(CFPreferencesGetAppBooleanValue(CFSTR("key"), CFSTR("com.example"), &exists));
    assert_false(exists);
    exists = true;
    assert_int_equal(CFPreferencesGetAppIntegerValue(CFSTR("n"), CFSTR("com.example"), &exists), 0);
    assert_false(exists);
    assert_false(CFPreferencesAppSynchronize(kCFPreferencesCurrentApplication));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue12_mutable_string_edits_track_utf16_length),
        cmocka_unit_test(test_issue12_format_printf_conversions_and_object_argument),
        cmocka_unit_test(test_empty_bytes_in_every_encoding_are_the_empty_string),
        cmocka_unit_test(test_issue12_external_representation_round_trips),
        cmocka_unit_test(test_issue12_get_cstring_ptr_for_plain_ascii_as_macos),
        cmocka_unit_test(test_issue12_compare_find_and_values),
        cmocka_unit_test(test_issue12_copy_description_formats_and_null),
        cmocka_unit_test(test_issue12_cfshow_prints_contents_descriptions_and_null),
        cmocka_unit_test(test_issue12_allocator_functions_follow_cf_rules),
        cmocka_unit_test(test_issue12_absolute_time_is_seconds_since_2001),
        cmocka_unit_test(test_issue12_preferences_are_a_documented_absence),
    };
    return cmocka_run_group_tests_name("libcfmp_string", tests, NULL, NULL);
}
