/* base_json_test.c — the JSON writer: the exact bytes of both escaping styles, separators,
 * line breaks, balance and the size cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base_json.h"

/* The hostile string both styles are checked on: quote, backslash, LF, tab, CR, NUL, ESC,
 * DEL, a valid é, a stray 0xff, a surrogate's bytes, a cut €. */
static const char hostile[] = "q\"b\\n\nt\tr\r0\x00"
                              "e\x1b"
                              "d\x7f"
                              "\xc3\xa9"
                              "\xff"
                              "\xed\xa0\x80"
                              "\xe2\x82";

static char *escaped(unsigned flags)
{
    base_buf b;
    base_buf_init(&b, 0);
    base_json_string(&b, hostile, sizeof hostile - 1, flags);
    return base_buf_take(&b);
}

/* The results document's style (sim_json): invalid UTF-8 as \u00XX, CR as \u000d. */
static void test_checked_style_bytes(void **state)
{
    (void)state;
    char *s = escaped(BASE_JSON_CHECK_UTF8);
    assert_string_equal(s, "\"q\\\"b\\\\n\\nt\\tr\\u000d0\\u0000e\\u001bd\\u007f\xc3\xa9"
                           "\\u00ff\\u00ed\\u00a0\\u0080\\u00e2\\u0082\"");
    free(s);
}

/* The protocol's style (conf_json): bytes >= 0x80 as given, CR as \r. */
static void test_protocol_style_bytes(void **state)
{
    (void)state;
    char *s = escaped(BASE_JSON_ESCAPE_CR);
    assert_string_equal(s, "\"q\\\"b\\\\n\\nt\\tr\\r0\\u0000e\\u001bd\\u007f\xc3\xa9\xff"
                           "\xed\xa0\x80\xe2\x82\"");
    free(s);
}

/* One-line documents: separators, nesting, numbers and keywords. */
static void test_one_line_document(void **state)
{
    (void)state;
    base_jw w;
    base_jw_init(&w, 0, BASE_JSON_ESCAPE_CR);
    base_jw_begin(&w);
    base_jw_key(&w, "type");
    base_jw_cstr(&w, "call");
    base_jw_key(&w, "args");
    base_jw_arr_begin(&w);
    base_jw_int(&w, -3);
    base_jw_uint(&w, UINT64_MAX);
    base_jw_double(&w, 2);
    base_jw_double(&w, 0.5);
    base_jw_obj_begin(&w);
    base_jw_obj_end(&w);
    base_jw_arr_end(&w);
    base_jw_key(&w, "ok");
    base_jw_bool(&w, true);
    base_jw_key(&w, "none");
    base_jw_cstr(&w, NULL);
    base_jw_key_cstr(&w, "s", "x");
    base_jw_key_int(&w, "i", INT64_MIN);
    base_jw_key_uint(&w, "u", 7);
    base_jw_key_bool(&w, "b", false);
    size_t len = 0;
    const char *line = base_jw_end(&w, &len);
    const char *want = "{\"type\": \"call\", \"args\": [-3, 18446744073709551615, 2.0, 0.5, {}], "
                       "\"ok\": true, \"none\": null, \"s\": \"x\", \"i\": -9223372036854775808, "
                       "\"u\": 7, \"b\": false}\n";
    assert_non_null(line);
    assert_string_equal(line, want);
    assert_int_equal(len, strlen(want));
    base_jw_begin(&w); /* the buffer is reused */
    assert_string_equal(base_jw_end(&w, &len), "{}\n");
    base_jw_fini(&w);
}

/* Line breaks go where the next separator would, and before a close. */
static void test_breaks_make_a_pretty_document(void **state)
{
    (void)state;
    base_jw w;
    base_jw_init(&w, 0, BASE_JSON_CHECK_UTF8);
    base_jw_begin(&w);
    base_jw_key(&w, "v");
    base_jw_int(&w, 2);
    base_jw_break(&w, 1);
    base_jw_key(&w, "list");
    base_jw_arr_begin(&w);
    for (int i = 0; i < 2; i++) {
        base_jw_break(&w, 4);
        base_jw_int(&w, i);
    }
    base_jw_break(&w, 1);
    base_jw_arr_end(&w);
    size_t len = 0;
    assert_string_equal(base_jw_end(&w, &len), "{\"v\": 2,\n \"list\": [\n    0,\n    1\n ]}\n");
    base_jw_fini(&w);
}

/* Unbalanced calls make the document fail, never a malformed line. */
static void test_unbalanced_documents_fail(void **state)
{
    (void)state;
    base_jw w;
    base_jw_init(&w, 0, 0);
    size_t len = 0;
    base_jw_begin(&w);
    base_jw_key(&w, "a");
    assert_null(base_jw_end(&w, &len)); /* a key without its value */
    base_jw_begin(&w);
    base_jw_arr_end(&w);
    assert_null(base_jw_end(&w, &len)); /* a close without an open */
    base_jw_begin(&w);
    base_jw_key(&w, "a");
    base_jw_key(&w, "b");
    base_jw_int(&w, 1);
    assert_null(base_jw_end(&w, &len)); /* two keys in a row */
    base_jw_begin(&w);
    base_jw_key(&w, "deep");
    for (int i = 0; i < (int)BASE_JW_DEPTH_MAX; i++) base_jw_arr_begin(&w);
    assert_null(base_jw_end(&w, &len)); /* too deep */
    base_jw_begin(&w);
    base_jw_key(&w, "fine");
    base_jw_int(&w, 1);
    assert_non_null(base_jw_end(&w, &len)); /* and the writer recovers */
    base_jw_fini(&w);
}

/* A document over the cap fails; one at the cap is written. */
static void test_the_cap_bounds_the_document(void **state)
{
    (void)state;
    base_jw w;
    base_jw_init(&w, 16, 0); /* {"k": "abcdef"}\n is 16 bytes */
    size_t len = 0;
    base_jw_begin(&w);
    base_jw_key(&w, "k");
    base_jw_cstr(&w, "abcdef");
    assert_non_null(base_jw_end(&w, &len));
    assert_int_equal(len, 16);
    base_jw_begin(&w);
    base_jw_key(&w, "k");
    base_jw_cstr(&w, "abcdefg");
    assert_null(base_jw_end(&w, &len));
    base_jw_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checked_style_bytes),
        cmocka_unit_test(test_protocol_style_bytes),
        cmocka_unit_test(test_one_line_document),
        cmocka_unit_test(test_breaks_make_a_pretty_document),
        cmocka_unit_test(test_unbalanced_documents_fail),
        cmocka_unit_test(test_the_cap_bounds_the_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
