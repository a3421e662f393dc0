/*
 * rep_tap_test.c — the TAP writer: version and plan, numbering, ok / not ok,
 * skips as "ok ... # SKIP" (never "not ok ... # SKIP"), YAML diagnostics,
 * escaping of # and \ and of unsafe bytes, one line per test point, the
 * streaming form, no results, real model runs, write errors. (`prove` runs
 * in rep_tools_test.)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "rep_tap.h"
#include "rep_test_util.h"

static char *tap(const sim_result *results, uint32_t count, uint8_t version, size_t *len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    sim_run_info info = rt_info();
    rep_tap_options opt = {.version = version};
    assert_true(rep_tap_write(f, &info, results, count, &opt));
    return rt_slurp(f, len);
}

/* Every line is a version, plan, comment, test point, or part of an indented YAML block. */
static void check_lines(const char *text, uint32_t points)
{
    char *copy = strdup(text);
    uint32_t seen = 0;
    bool in_yaml = false;
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (in_yaml) {
            assert_true(strncmp(line, "  ", 2) == 0);
            if (strcmp(line, "  ...") == 0) in_yaml = false;
            continue;
        }
        if (strcmp(line, "  ---") == 0) {
            in_yaml = true;
        } else if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0) {
            char want[32];
            snprintf(want, sizeof want, "ok %u - ", ++seen);
            assert_non_null(strstr(line, want));
            if (strncmp(line, "not ok", 6) == 0) assert_null(strstr(line, "# SKIP"));
        } else {
            bool known = strncmp(line, "TAP version 1", 13) == 0 || strncmp(line, "1..", 3) == 0 || line[0] == '#';
            if (!known) fail_msg("unexpected TAP line: %s", line);
        }
    }
    assert_false(in_yaml);
    assert_int_equal(seen, points);
    free(copy);
}

static void points_plan_and_summary(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    size_t len = 0;
    char *t = tap(r, n, 14, &len);
    const char *head = "TAP version 14\n# portsim 0.1.0-test run: backend model, seed 1, strategy fifo, "
                       "profile scenario's own\n1..7\n";
    assert_true(strncmp(t, head, strlen(head)) == 0);
    assert_non_null(strstr(t, "\nok 1 - send-echo (scenarios/send/echo.yaml:1, model)\n"));
    assert_non_null(strstr(t, "\nnot ok 2 - send-fails (scenarios/send/fails.yaml:1, model)\n  ---\n"));
    assert_non_null(strstr(t, "\nok 3 - naming-skipped (scenarios/naming/skipped.yaml:1, model) # SKIP backend "
                              "apple is not available \\# here \\\\ there\n"));
    assert_non_null(strstr(t, "\nnot ok 4 - broken.yaml (scenarios/bad/broken.yaml:1, model)\n"));
    assert_non_null(strstr(t, "\nok 7 - send-echo (scenarios/send/echo.yaml:1, posix)\n"));
    assert_true(strstr(t, "# 3 passed, 2 failed, 1 skipped, 1 errors\n") == t + len - strlen("# 3 passed, 2 failed, 1 skipped, 1 errors\n"));
    assert_null(strstr(t, "not ok 3"));
    check_lines(t, n);
    assert_true(rt_valid_xml_chars(t, len));
    rt_free_results(r, n);
    free(t);
}

static void failures_carry_a_yaml_block(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *t = tap(&r[1], 1, 14, NULL);
    assert_non_null(strstr(t, "not ok 1 - send-fails (scenarios/send/fails.yaml:1, model)\n"
                              "  ---\n"
                              "  message: \"send result: expected receive_timeout, observed success (and 1 more)\"\n"
                              "  severity: fail\n"
                              "  kind: expect\n"
                              "  at:\n"
                              "    file: \"scenarios/send/fails.yaml\"\n"
                              "    line: 21\n"
                              "    column: 11\n"
                              "  expected: \"receive_timeout\"\n"
                              "  observed: \"success\"\n"
                              "  execution: 0\n"
                              "  time_ns: 101000000\n"
                              "  failures:\n"
                              "    - kind: expect\n"
                              "      message: \"send result\"\n"));
    assert_non_null(strstr(t, "    - kind: events\n"
                              "      message: \"callout count\"\n"
                              "      at:\n"
                              "        file: \"scenarios/send/fails.yaml\"\n"
                              "        line: 30\n"
                              "        column: 5\n"
                              "      expected: \"1\"\n"
                              "      observed: \"0\"\n"
                              "  scenario: \"send-fails\"\n"
                              "  backend: \"model\"\n"
                              "  seed: 1\n"
                              "  strategy: \"fifo\"\n"
                              "  profile: \"ventura\"\n"
                              "  trace_hash: \"0x0123456789abcdee\"\n"
                              "  event_count: 49\n"
                              "  virtual_time_ns: 2001000000\n"
                              "  end_reason: \"quiescent\"\n"
                              "  replay: \"portsim run scenarios/send/fails.yaml --seed 1 --strategy fifo --profile ventura\"\n"
                              "  ...\n"));
    char *e = tap(&r[3], 1, 14, NULL);
    assert_non_null(strstr(e, "  severity: error\n  kind: load\n"));
    assert_non_null(strstr(e, "  scenario: ~\n  backend: \"model\"\n  ...\n")); /* nothing ran */
    rt_free_results(r, n);
    free(t);
    free(e);
}

/* A real-time run (portsim conform): notes under a passing point as comments, one line each;
 * in a failing point's YAML block, its runs, margin and notes. */
static void realtime_runs_carry_notes_and_margin(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *t = tap(&r[6], 1, 14, NULL);
    assert_non_null(strstr(t, "ok 1 - send-echo (scenarios/send/echo.yaml:1, posix)\n"
                              "# note: echo.yaml:16: the set_dispatch_queue result is not observable\n"
                              "# note: a <b> & \"c\" \\# d\\\\x0anot ok 99 - injected\n"));
    assert_null(strstr(t, "\nnot ok 99"));
    free(t);
    r[6].rt.failed_runs = 1;
    sim_result_add_failure(&r[6], SIM_FAIL_RUN, 1, 1, "flaky: failed 1 of 3 runs", NULL, NULL);
    t = tap(&r[6], 1, 14, NULL);
    assert_non_null(strstr(t, "  runs: 3\n  failed_runs: 1\n  timing_failures: 0\n"
                              "  margin_ns: -7250000\n  margin_line: 28\n  notes:\n"
                              "    - \"echo.yaml:16: the set_dispatch_queue result is not observable\"\n"
                              "    - \"a <b> & \\\"c\\\" # d\\nnot ok 99 - injected\"\n  ...\n"));
    assert_null(strstr(t, "# note:")); /* in the block, not repeated as comments */
    free(t);
    rt_free_results(r, n);
}

static void hostile_text_stays_on_its_line_and_escaped(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    size_t len = 0;
    char *t = tap(&r[4], 1, 14, &len);
    assert_true(rt_valid_xml_chars(t, len));
    check_lines(t, 1);
    assert_non_null(strstr(t, "not ok 1 - hostile \"name\" <b>&amp; ]]> \\\\x01\\\\x1b[31m \\# \\\\ \\\\xc3( "));
    assert_non_null(strstr(t, "\\\\x09tab\\\\x0anewline\\\\x0d (scenarios/ev\\\\xffil/<x>&\"q'.yaml:1, model)\n"));
    assert_non_null(strstr(t, "  observed: \"A<&]]>\\\"'A<&]]>"));
    assert_non_null(strstr(t, "\\ttab\\nnewline\\r\"\n"));
    /* the 100 KB observation is capped for prove's YAML reader */
    const char *observed = strstr(t, "  observed: \"");
    const char *eol = strchr(observed, '\n');
    assert_true(eol - observed < 5 * (long)REP_TAP_VALUE_MAX);
    assert_true(strncmp(eol - 4, "...\"", 4) == 0);
    rt_free_results(r, n);
    free(t);
}

static void very_long_names_are_capped_in_the_description(void **state)
{
    (void)state;
    sim_result r;
    sim_result_init(&r);
    r.file = strdup("scenarios/send/long.yaml");
    r.scenario = malloc(5001);
    memset(r.scenario, 'n', 5000);
    r.scenario[5000] = '\0';
    char *t = tap(&r, 1, 14, NULL);
    const char *point = strstr(t, "ok 1 - ");
    const char *eol = strchr(point, '\n');
    assert_true(eol - point < (long)REP_TAP_DESCRIPTION_MAX + 80);
    assert_non_null(strstr(point, "nnn... (scenarios/send/long.yaml:1, model)\n"));
    sim_result_free(&r);
    free(t);
}

static void streaming_puts_the_plan_last(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    FILE *f = tmpfile();
    sim_run_info info = rt_info();
    rep_tap t;
    rep_tap_begin(&t, f, &info, NULL);
    for (uint32_t i = 0; i < 3; i++) rep_tap_result(&t, &r[i]);
    assert_true(rep_tap_end(&t));
    char *text = rt_slurp(f, NULL);
    assert_true(strncmp(text, "TAP version 13\n", 15) == 0); /* the default: what prove reads */
    const char *plan = strstr(text, "\n1..3\n");
    assert_non_null(plan);
    assert_true(plan > strstr(text, "ok 3 - "));
    check_lines(text, 3);
    rt_free_results(r, n);
    free(text);
}

static void no_results_skip_the_whole_stream(void **state)
{
    (void)state;
    char *t = tap(NULL, 0, 14, NULL);
    assert_non_null(strstr(t, "\n1..0 # SKIP no scenarios\n"));
    check_lines(t, 0);
    free(t);
    FILE *f = tmpfile();
    sim_run_info info = rt_info();
    rep_tap s;
    rep_tap_begin(&s, f, &info, NULL);
    assert_true(rep_tap_end(&s));
    t = rt_slurp(f, NULL);
    assert_non_null(strstr(t, "\n1..0 # SKIP no scenarios\n"));
    free(t);
}

static void version_13_differs_only_in_its_first_line(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *v14 = tap(r, n, 14, NULL);
    char *v13 = tap(r, n, 13, NULL);
    assert_true(strncmp(v13, "TAP version 13\n", 15) == 0);
    assert_string_equal(v13 + 15, v14 + 15);
    rt_free_results(r, n);
    free(v13);
    free(v14);
}

static void model_runs_are_reported(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_run_all_data(&n);
    char *t = tap(r, n, 14, NULL);
    check_lines(t, n);
    assert_non_null(strstr(t, "ok 1 - timeouts-late-reply-dropped (reports/tests/data/late-reply.yaml:1, model)\n"));
    assert_non_null(strstr(t, "  message: \"send result: expected success, observed receive_timeout (and 1 more)\"\n"));
    rt_free_results(r, n);
    free(t);
}

static void a_write_error_is_reported(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL) skip();
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    sim_run_info info = rt_info();
    assert_false(rep_tap_write(f, &info, r, n, NULL));
    fclose(f);
    rt_free_results(r, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(points_plan_and_summary),
        cmocka_unit_test(failures_carry_a_yaml_block),
        cmocka_unit_test(realtime_runs_carry_notes_and_margin),
        cmocka_unit_test(hostile_text_stays_on_its_line_and_escaped),
        cmocka_unit_test(very_long_names_are_capped_in_the_description),
        cmocka_unit_test(streaming_puts_the_plan_last),
        cmocka_unit_test(no_results_skip_the_whole_stream),
        cmocka_unit_test(version_13_differs_only_in_its_first_line),
        cmocka_unit_test(model_runs_are_reported),
        cmocka_unit_test(a_write_error_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
