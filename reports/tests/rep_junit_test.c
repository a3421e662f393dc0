/*
 * rep_junit_test.c — the JUnit XML writer: totals, grouping and order,
 * classname/file/line/time, properties, failure/error/skipped elements,
 * duplicate names, hostile text, no results, real model runs, write errors.
 * (Schema validation with xmllint is in rep_tools_test.)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "rep_junit.h"
#include "rep_test_util.h"

static char *junit(const sim_result *results, uint32_t count, size_t *len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    sim_run_info info = rt_info();
    assert_true(rep_junit_write(f, &info, results, count));
    return rt_slurp(f, len);
}

/* The text from the first occurrence of `from` up to the next `to` (a fresh copy). */
static char *between(const char *text, const char *from, const char *to)
{
    const char *a = strstr(text, from);
    if (a == NULL) fail_msg("missing %s", from);
    const char *b = strstr(a, to);
    if (b == NULL) fail_msg("missing %s after %s", to, from);
    return strndup(a, (size_t)(b - a) + strlen(to));
}

static void totals_and_one_suite_per_backend_and_topic(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *x = junit(r, n, NULL);
    assert_non_null(strstr(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"portsim\" "
                              "tests=\"7\" failures=\"2\" errors=\"1\" skipped=\"1\" time="));
    /* suites in byte order of (backend, topic); testcases in input order inside */
    const char *bad = strstr(x, "<testsuite name=\"model/bad\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\"");
    const char *ev = strstr(x, "<testsuite name=\"model/ev_il\" tests=\"1\" failures=\"1\"");
    const char *naming = strstr(x, "<testsuite name=\"model/naming\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\"");
    const char *send = strstr(x, "<testsuite name=\"model/send\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\"");
    const char *posix = strstr(x, "<testsuite name=\"posix/send\" tests=\"1\" failures=\"0\"");
    assert_true(bad && ev && naming && send && posix);
    assert_true(bad < ev && ev < naming && naming < send && send < posix);
    assert_int_equal(rt_count(x, "<testsuite "), 5);
    assert_int_equal(rt_count(x, "<testcase "), 7);
    assert_int_equal(rt_count(x, "</testcase>"), 7);
    assert_int_equal(rt_count(x, "<property name=\"tool\" value=\"0.1.0-test\"/>"), 5);
    /* times are wall seconds with microseconds */
    assert_non_null(strstr(x, "classname=\"portsim.model.send\" file=\"scenarios/send/echo.yaml\" line=\"1\" "
                              "time=\"0.001500\">"));
    rt_free_results(r, n);
    free(x);
}

static void repeated_names_in_a_suite_get_a_suffix(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *x = junit(r, n, NULL);
    char *send = between(x, "<testsuite name=\"model/send\"", "</testsuite>");
    const char *first = strstr(send, "<testcase name=\"send-echo [1/2 seed=1]\"");
    const char *fails = strstr(send, "<testcase name=\"send-fails\"");
    const char *second = strstr(send, "<testcase name=\"send-echo [2/2 seed=2]\"");
    assert_true(first && fails && second && first < fails && fails < second);
    /* another backend is another suite: no suffix there */
    assert_non_null(strstr(x, "<testcase name=\"send-echo\" classname=\"portsim.posix.send\""));
    free(send);
    rt_free_results(r, n);
    free(x);
}

static void each_verdict_has_its_element(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *x = junit(r, n, NULL);
    char *fail = between(x, "<testcase name=\"send-fails\"", "</testcase>");
    assert_non_null(strstr(fail, "<property name=\"seed\" value=\"1\"/>"));
    assert_non_null(strstr(fail, "<property name=\"trace_hash\" value=\"0x0123456789abcdee\"/>"));
    assert_non_null(strstr(fail, "<property name=\"virtual_time_ns\" value=\"2001000000\"/>"));
    assert_non_null(strstr(fail, "<property name=\"virtual_time\" value=\"2.001s\"/>"));
    assert_non_null(strstr(fail, "<failure type=\"expect\" message=\"send result: expected receive_timeout, "
                                 "observed success (and 1 more)\">"
                                 "scenarios/send/fails.yaml:21:11: expect: send result\n"
                                 "  expected: receive_timeout\n  observed: success\n  at: execution 1, t=101ms\n"
                                 "scenarios/send/fails.yaml:30:5: events: callout count\n"
                                 "  expected: 1\n  observed: 0\n"
                                 "replay: portsim run scenarios/send/fails.yaml --seed 1 --strategy fifo "
                                 "--profile ventura\n</failure>"));
    char *error = between(x, "<testcase name=\"broken.yaml\"", "</testcase>");
    assert_non_null(strstr(error, "classname=\"portsim.model.bad\" file=\"scenarios/bad/broken.yaml\" line=\"1\""));
    assert_non_null(strstr(error, "<error type=\"load\" message=\"unknown key &#39;foo&#39; (and 1 more)\">"
                                  "scenarios/bad/broken.yaml:3:5: load: unknown key 'foo'\n"
                                  "scenarios/bad/broken.yaml:7:12: load: bad duration '5 parsecs'\n</error>"));
    assert_null(strstr(error, "name=\"seed\"")); /* nothing ran */
    char *skip = between(x, "<testcase name=\"naming-skipped\"", "</testcase>");
    assert_non_null(strstr(skip, "<skipped message=\"backend apple is not available # here \\ there\"/>"));
    assert_null(strstr(skip, "trace_hash"));
    char *pass = between(x, "<testcase name=\"send-echo\" classname=\"portsim.posix.send\"", "</testcase>");
    assert_null(strstr(pass, "<failure"));
    assert_null(strstr(pass, "<error"));
    assert_null(strstr(pass, "<skipped"));
    free(fail);
    free(error);
    free(skip);
    free(pass);
    rt_free_results(r, n);
    free(x);
}

/* A real-time run: its runs and closest-deadline margin as properties, its notes as output. */
static void realtime_runs_have_properties_and_notes(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    size_t len = 0;
    char *x = junit(&r[6], 1, &len);
    assert_true(rt_valid_xml_chars(x, len));
    assert_non_null(strstr(x, "<property name=\"runs\" value=\"3\"/>\n"
                              "        <property name=\"failed_runs\" value=\"0\"/>\n"
                              "        <property name=\"timing_failures\" value=\"0\"/>\n"
                              "        <property name=\"margin_ns\" value=\"-7250000\"/>\n"
                              "        <property name=\"margin_line\" value=\"28\"/>\n"));
    assert_non_null(strstr(x, "<system-out>note: echo.yaml:16: the set_dispatch_queue result is not observable\n"
                              "note: a &lt;b&gt; &amp; \"c\" # d\nnot ok 99 - injected\n</system-out>\n"
                              "    </testcase>"));
    free(x);
    x = junit(&r[0], 1, NULL); /* a simulated run has none of it */
    assert_null(strstr(x, "name=\"runs\""));
    assert_null(strstr(x, "<system-out>"));
    free(x);
    rt_free_results(r, n);
}

static void hostile_text_is_escaped_and_capped(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    size_t len = 0;
    char *x = junit(&r[4], 1, &len);
    assert_true(rt_valid_xml_chars(x, len));
    assert_non_null(strstr(x, "<testsuite name=\"model/ev_il\""));
    assert_non_null(strstr(x, "file=\"scenarios/ev\\xffil/&lt;x&gt;&amp;&quot;q&#39;.yaml\""));
    assert_non_null(strstr(x, "<testcase name=\"hostile &quot;name&quot; &lt;b&gt;&amp;amp; ]]&gt; \\x01\\x1b[31m # "
                              "\\ \\xc3( \\xef\\xbf\\xbe \\xc2\\x85 \\xed\\xa0\\x80 \xc3\xa9"));
    assert_null(strstr(x, "\\xf0\\x9f")); /* a valid emoji is kept as it is */
    assert_non_null(strstr(x, "\xf0\x9f\x8e\x89&#9;tab&#10;newline&#13;\""));
    assert_non_null(strstr(x, "<property name=\"rules\" value=\"R&lt;1&gt; R&amp;2\"/>"));
    assert_null(strstr(x, "]]>"));
    assert_null(strstr(x, "CDATA"));
    /* the message attribute is capped, the body has the whole 100 KB observation */
    const char *message = strstr(x, "<failure type=\"expect\" message=\"");
    assert_non_null(message);
    const char *end = strchr(message + 33, '"');
    assert_true(end - message < 4000);
    assert_true(len > 100000 * 2);
    rt_free_results(r, n);
    free(x);
}

static void no_results_is_an_empty_testsuites(void **state)
{
    (void)state;
    char *x = junit(NULL, 0, NULL);
    assert_string_equal(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"portsim\" tests=\"0\" "
                           "failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000000\">\n</testsuites>\n");
    free(x);
}

static void model_runs_are_reported(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_run_all_data(&n);
    assert_true(n >= 6);
    size_t len = 0;
    char *x = junit(r, n, &len);
    assert_true(rt_valid_xml_chars(x, len));
    assert_int_equal(rt_count(x, "<testcase "), n);
    assert_int_equal(rt_count(x, "<testsuite "), 1); /* all in reports/tests/data */
    assert_non_null(strstr(x, "<testcase name=\"timeouts-late-reply-dropped\" classname=\"portsim.model.data\" "
                              "file=\"reports/tests/data/late-reply.yaml\" line=\"1\" time=\"0.001235\">"));
    assert_non_null(strstr(x, "<failure type=\"expect\" message=\"send result: expected success, observed "
                              "receive_timeout (and 1 more)\">reports/tests/data/wrong-expectation.yaml:"));
    rt_free_results(r, n);
    free(x);
}

static void a_write_error_is_reported(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL) skip();
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    sim_run_info info = rt_info();
    assert_false(rep_junit_write(f, &info, r, n));
    fclose(f);
    rt_free_results(r, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totals_and_one_suite_per_backend_and_topic),
        cmocka_unit_test(repeated_names_in_a_suite_get_a_suffix),
        cmocka_unit_test(each_verdict_has_its_element),
        cmocka_unit_test(realtime_runs_have_properties_and_notes),
        cmocka_unit_test(hostile_text_is_escaped_and_capped),
        cmocka_unit_test(no_results_is_an_empty_testsuites),
        cmocka_unit_test(model_runs_are_reported),
        cmocka_unit_test(a_write_error_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
