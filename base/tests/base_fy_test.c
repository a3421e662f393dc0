/* base_fy_test.c — libfyaml's errors captured as positions and text, nothing printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <libfyaml.h>

#include "base_fy.h"

typedef struct counter {
    uint32_t events;
    uint32_t stop_after; /* 0: never stop */
} counter;

static bool count_event(void *ctx, struct fy_event *ev)
{
    counter *c = ctx;
    assert_non_null(ev);
    c->events++;
    return c->stop_after == 0 || c->events < c->stop_after;
}

/* Drives a parser over text with the captured diagnostic; true when the stream ended cleanly. */
static bool drive(base_fy *fy, const char *text, uint32_t max_events, counter *c)
{
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DISABLE_MMAP_OPT, .diag = fy->diag};
    struct fy_parser *parser = fy_parser_create(&cfg);
    assert_non_null(parser);
    assert_int_equal(fy_parser_set_string(parser, text, strlen(text)), 0);
    bool ended = base_fy_drive(parser, max_events, count_event, c);
    bool ok = ended && !fy_parser_get_stream_error(parser);
    fy_parser_destroy(parser); /* memcheck: every event was freed */
    return ok;
}

static bool parse(base_fy *fy, const char *text)
{
    counter c = {0, 0};
    return drive(fy, text, 1000, &c);
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

/* The event loop stops at the stream's end, when the callback says so, or at the bound. */
static void test_drive_stops_where_it_should(void **state)
{
    (void)state;
    base_fy fy;
    assert_true(base_fy_init(&fy));
    counter all = {0, 0};
    assert_true(drive(&fy, "[1, 2, 3]\n", 1000, &all));
    assert_int_equal(all.events, 9); /* stream, document, sequence: start and end; 3 scalars */
    counter stopped = {0, 4};
    assert_false(drive(&fy, "[1, 2, 3]\n", 1000, &stopped));
    assert_int_equal(stopped.events, 4);
    counter bounded = {0, 0};
    assert_false(drive(&fy, "[1, 2, 3]\n", 5, &bounded));
    assert_int_equal(bounded.events, 5);
    base_fy_fini(&fy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_error_has_its_position),
        cmocka_unit_test(test_clean_input_has_no_errors),
        cmocka_unit_test(test_drive_stops_where_it_should),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
