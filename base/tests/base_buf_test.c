/* base_buf_test.c — the buffer: appends, the cap, sticky failure, take and quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base_buf.h"

/* Appends of every kind end up in order, NUL-terminated. */
static void test_appends_concatenate(void **state)
{
    (void)state;
    base_buf b;
    base_buf_init(&b, 0);
    assert_string_equal(base_buf_str(&b), "");
    base_buf_puts(&b, "step ");
    base_buf_printf(&b, "%u of %s", 3u, "five");
    base_buf_append(&b, "!\0?", 1);
    for (int i = 0; i < 1000; i++) base_buf_append(&b, "x", 1); /* grows past the first block */
    assert_int_equal(b.len, strlen("step 3 of five!") + 1000);
    assert_memory_equal(b.data, "step 3 of five!x", 16);
    assert_int_equal(b.data[b.len], '\0');
    base_buf_fini(&b);
}

/* The cap: exactly max_bytes fit, one more fails, the failure sticks until clear. */
static void test_cap_is_exact_and_failure_sticks(void **state)
{
    (void)state;
    base_buf b;
    base_buf_init(&b, 8);
    base_buf_puts(&b, "12345678");
    assert_false(b.failed);
    assert_int_equal(b.len, 8);
    base_buf_puts(&b, "9");
    assert_true(b.failed);
    assert_int_equal(b.len, 8);
    base_buf_puts(&b, ""); /* nothing is appended once failed */
    assert_false(base_buf_reserve(&b, 0));
    assert_null(base_buf_take(&b)); /* a failed text is never handed out */
    base_buf_init(&b, 8);
    base_buf_printf(&b, "%s", "too long for eight");
    assert_true(b.failed);
    base_buf_clear(&b);
    assert_false(b.failed);
    base_buf_puts(&b, "short");
    assert_string_equal(base_buf_str(&b), "short");
    base_buf_fini(&b);
}

/* take hands over the text (an empty buffer gives ""), and the buffer is empty after. */
static void test_take_hands_the_text_over(void **state)
{
    (void)state;
    base_buf b;
    base_buf_init(&b, 100);
    char *empty = base_buf_take(&b);
    assert_string_equal(empty, "");
    free(empty);
    base_buf_puts(&b, "kept");
    char *text = base_buf_take(&b);
    assert_string_equal(text, "kept");
    assert_null(b.data);
    assert_int_equal(b.max_bytes, 100);
    free(text);
    base_buf_fini(&b);
}

/* Data bytes are quoted with every unprintable or non-ASCII byte as \xNN, cut after max. */
static void test_quote_bytes(void **state)
{
    (void)state;
    base_buf b;
    base_buf_init(&b, 0);
    base_buf_quote_bytes(&b,
                         (const uint8_t *)"a\"\\\n\xff"
                                          "z",
                         6, 80);
    assert_string_equal(base_buf_str(&b), "\"a\\x22\\x5c\\x0a\\xffz\"");
    base_buf_clear(&b);
    base_buf_quote_bytes(&b, (const uint8_t *)"abcdef", 6, 3);
    assert_string_equal(base_buf_str(&b), "\"abc...\"");
    base_buf_fini(&b);
}

/* A reason is written cut to its buffer, and the call is false so a check can return it. */
static void test_errorf_writes_a_cut_reason(void **state)
{
    (void)state;
    char err[8];
    assert_false(base_errorf(err, sizeof err, "bad %s at %d", "byte", 12));
    assert_string_equal(err, "bad byt");
    assert_false(base_errorf(NULL, 0, "nowhere %d", 1)); /* no buffer: nothing written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_concatenate),
        cmocka_unit_test(test_cap_is_exact_and_failure_sticks),
        cmocka_unit_test(test_take_hands_the_text_over),
        cmocka_unit_test(test_quote_bytes),
        cmocka_unit_test(test_errorf_writes_a_cut_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
