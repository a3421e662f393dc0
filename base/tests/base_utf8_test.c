/* base_utf8_test.c — the strict UTF-8 decoder against the definition (RFC 3629). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base_utf8.h"

/* A scalar value: what every valid sequence decodes to. */
static int is_scalar(uint32_t cp)
{
    return cp <= 0x10FFFFu && (cp < 0xD800u || cp > 0xDFFFu);
}

/* Every scalar value encodes, decodes back to itself, with the shortest length. */
static void test_every_scalar_round_trips(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFFu; cp++) {
        if (!is_scalar(cp)) continue;
        uint8_t bytes[4];
        size_t n = base_utf8_encode(cp, bytes);
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n != want) fail_msg("U+%04X encoded in %zu bytes", cp, n);
        uint32_t back = UINT32_MAX;
        if (base_utf8_decode(bytes, n, &back) != n || back != cp) fail_msg("U+%04X", cp);
        /* one byte short is never a character */
        if (n > 1 && base_utf8_decode(bytes, n - 1, &back) != 0) fail_msg("U+%04X cut", cp);
    }
}

/* Every two-byte and three-byte input: valid exactly when it is a scalar's shortest form. */
static void test_short_inputs_match_the_definition(void **state)
{
    (void)state;
    for (uint32_t v = 0; v <= 0xFFFFu; v++) {
        uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
        uint32_t cp = 0;
        size_t n = base_utf8_decode(b, 2, &cp);
        size_t want = b[0] < 0x80                                               ? 1
                      : (b[0] >= 0xC2 && b[0] <= 0xDF && (b[1] & 0xC0) == 0x80) ? 2
                                                                                : 0;
        if (n != want) fail_msg("%02x %02x: %zu, want %zu", b[0], b[1], n, want);
    }
    for (uint32_t v = 0xE00000u; v <= 0xEFFFFFu; v++) {
        uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        uint32_t cp = 0;
        size_t n = base_utf8_decode(b, 3, &cp);
        uint32_t value =
            (uint32_t)(b[0] & 0x0F) << 12 | (uint32_t)(b[1] & 0x3F) << 6 | (b[2] & 0x3F);
        int ok =
            (b[1] & 0xC0) == 0x80 && (b[2] & 0xC0) == 0x80 && value >= 0x800 && is_scalar(value);
        if (n != (ok ? 3u : 0u)) fail_msg("%02x %02x %02x: %zu", b[0], b[1], b[2], n);
        if (ok) assert_int_equal(cp, value);
    }
}

/* The classic bad sequences, each refused. */
static void test_overlongs_surrogates_and_past_the_range_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\x80", 1},
        {"\xbf", 1},
        {"\xc0\x80", 2},
        {"\xc1\xbf", 2},
        {"\xe0\x80\x80", 3},
        {"\xe0\x9f\xbf", 3},
        {"\xed\xa0\x80", 3},
        {"\xed\xbf\xbf", 3},
        {"\xf0\x80\x80\x80", 4},
        {"\xf0\x8f\xbf\xbf", 4},
        {"\xf4\x90\x80\x80", 4},
        {"\xf5\x80\x80\x80", 4},
        {"\xf8\x88\x80\x80", 4},
        {"\xff", 1},
        {"\xe2\x82", 2},
        {"\xf0\x9f\x98", 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t cp = 12345;
        if (base_utf8_decode((const uint8_t *)bad[i].bytes, bad[i].len, &cp) != 0) {
            fail_msg("case %zu accepted", i);
        }
        assert_int_equal(cp, 12345); /* untouched */
    }
    uint32_t cp = 0;
    assert_int_equal(base_utf8_decode((const uint8_t *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
    assert_int_equal(cp, 0x10FFFF);
}

/* A NUL-terminated string may be read with a generous `left`: a NUL ends every sequence. */
static void test_a_nul_stops_a_sequence(void **state)
{
    (void)state;
    const uint8_t s[] = {0xe2, 0x82, 0x00, 0xac};
    assert_int_equal(base_utf8_len(s, SIZE_MAX), 0);
    assert_int_equal(base_utf8_len((const uint8_t *)"\xe2\x82\xac", SIZE_MAX), 3);
}

/* Whole buffers: the first bad offset, and the UTF-16 length of good ones. */
static void test_valid_reports_the_first_bad_byte(void **state)
{
    (void)state;
    size_t bad = 0, units = 0;
    const char *good = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* a é € 😀 */
    assert_true(base_utf8_valid((const uint8_t *)good, strlen(good), &bad, &units));
    assert_int_equal(units, 5); /* the emoji is a surrogate pair */
    const char *broken = "ok\xc3\xa9\xed\xa0\x80z";
    assert_false(base_utf8_valid((const uint8_t *)broken, strlen(broken), &bad, NULL));
    assert_int_equal(bad, 4);
    assert_true(base_utf8_valid(NULL, 0, NULL, &units));
    assert_int_equal(units, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scalar_round_trips),
        cmocka_unit_test(test_short_inputs_match_the_definition),
        cmocka_unit_test(test_overlongs_surrogates_and_past_the_range_are_refused),
        cmocka_unit_test(test_a_nul_stops_a_sequence),
        cmocka_unit_test(test_valid_reports_the_first_bad_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
