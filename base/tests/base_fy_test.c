/* base_fy_test.c — libfyaml's errors captured as positions and text, nothing printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libfyaml.h>

#include "base_fy.h"

/* Parses text to its end with the captured diagnostic; true when it ended without an error. */
static bool parse(base_fy *fy, const char *text)
{
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DISABLE_MMAP_OPT, .diag = fy->diag};
    struct fy_parser *parser = fy_parser_create(&cfg);
    assert_non_null(parser);
    assert_int_equal(fy_parser_set_string(parser, text, strlen(text)), 0);
    struct fy_event *ev;
    while ((ev = fy_parser_parse(parser)) != NULL) fy_parser_event_free(parser, ev);
    bool ok = !fy_parser_get_stream_error(parser);
    fy_parser_destroy(parser);
    return ok;
}

/* A syntax error comes back with its 1-based line and column and libfyaml's message. */
static void test_an_error_has_its_position(void **state)
{
    (void)state;
    base_fy fy;
    assert_true(base_fy_init(&fy));
    assert_false(parse(&fy, "a: 1\nb: [1, 2\n"));
    base_fy_error e;
    assert_true(base_fy_next_error(&fy, &e));
    assert_true(e.line >= 2);
    assert_true(e.col >= 1);
    assert_non_null(e.message);
    assert_true(strlen(e.message) > 0);
    base_fy_fini(&fy);
}

/* Clean input leaves no errors, and the raw text is empty. */
static void test_clean_input_has_no_errors(void **state)
{
    (void)state;
    base_fy fy;
    assert_true(base_fy_init(&fy));
    assert_true(parse(&fy, "a: [1, 2]\nb: {c: d}\n"));
    base_fy_error e;
    assert_false(base_fy_next_error(&fy, &e));
    assert_string_equal(base_fy_raw(&fy), "");
    base_fy_fini(&fy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_error_has_its_position),
        cmocka_unit_test(test_clean_input_has_no_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
