/*
 * cli_census_test.c — portsim explore --census (the outcomes per step, the
 * warning and --strict's exit for an allowed outcome nothing reaches, the
 * JSON member) and --max-latency (the bound on --latency's latencies),
 * through the real command line.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA CLI_TEST_DIR "/data/census"
#define TIE PORTSIM_SOURCE_DIR "/scenarios/timeouts/reply-at-deadline-tie.yaml"

/* The tie scenario's send reaches both allowed outcomes; the line counts them over the 1000 schedules. */
static void test_census_line_counts_each_outcome(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "explore", "--no-color", "--census", TIE, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    char *line = ct_line_starting(r.out, "    " TIE ":28:24 send: success ");
    assert_non_null(line);
    unsigned long ok = 0, late = 0;
    assert_int_equal(sscanf(strstr(line, "success "), "success %lu, receive_timeout %lu (of 1000 schedules)", &ok, &late), 2);
    assert_true(ok > 0 && late > 0);
    assert_int_equal(ok + late, 1000);
    assert_null(strstr(r.out, "warning"));
    free(line);
    ct_free(&r);
}

/* Without --census nothing is counted, and nothing printed. */
static void test_no_census_without_the_option(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "explore", "--no-color", "--json", "-", TIE, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"census\": null"));
    assert_null(strstr(r.err, "(of 1000 schedules)"));
    ct_free(&r);
}

/* The JSON report has a census member per result, with each outcome's schedules. */
static void test_census_json_member(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "explore", "--no-color", "--census", "--seeds", "200", "--json", "-", TIE, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"schema_version\": 4,"));
    assert_non_null(strstr(r.out, "\"census\": {\"method\": \"random\", \"latency\": false, \"strict\": false, "
                                  "\"schedules\": 200, \"account_runs\": "));
    assert_non_null(strstr(r.out, "\"unreached\": 0, \"steps\": ["));
    assert_non_null(strstr(r.out, "\"line\": 28, \"column\": 24, \"op\": \"send\", \"ran\": 200, \"outcomes\": "
                                  "[{\"outcome\": \"success\", \"schedules\": "));
    assert_non_null(strstr(r.out, "{\"outcome\": \"receive_timeout\", \"schedules\": "));
    /* the result lines went to stderr, census included */
    assert_non_null(strstr(r.err, "(of 200 schedules)"));
    ct_free(&r);
}

/* An allowed outcome no schedule (nor conform's model runs) reaches: a warning, exit 0. */
static void test_unreached_outcome_is_a_warning(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "explore", "--no-color", "--census", DATA "/unreachable.yaml", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "unreachable.yaml:8:28 create_local: created 1000, null 0 (of 1000 schedules)\n"));
    assert_non_null(strstr(r.out, "unreachable.yaml:8:28: warning: allowed outcome null never reached in 1000 "
                                  "schedules (random), nor in conform's "));
    assert_non_null(strstr(r.out, "1 passed, 0 failed, 0 skipped"));
    ct_free(&r);
}

/* With --strict it fails the scenario (exit 1), in every report; no run fails, so there is no replay. */
static void test_strict_fails_an_unreached_outcome(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "explore", "--no-color", "--census", "--strict", "--seeds", "50", "--json",
                          "-", DATA "/unreachable.yaml", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "unreachable.yaml:8:28: fail: allowed outcome null never reached in 50 schedules"));
    assert_null(strstr(r.err, "warning:"));
    assert_null(strstr(r.err, "replay:"));
    assert_non_null(strstr(r.out, "\"verdict\": \"fail\""));
    assert_non_null(strstr(r.out, "\"strict\": true, \"schedules\": 50,"));
    assert_non_null(strstr(r.out, "\"unreached\": 1,"));
    assert_non_null(strstr(r.out, "{\"outcome\": \"null\", \"schedules\": 0, \"allowed\": true, \"in_account\": false}"));
    ct_free(&r);
    /* the corpus's racy expectations are all reachable */
    const char *tie[] = {"portsim", "explore", "--no-color", "--census", "--strict", TIE, NULL};
    r = ct_run(tie);
    assert_int_equal(r.code, 0);
    ct_free(&r);
}

/* --strict means nothing without --census: a usage error, as is --max-latency without --latency. */
static void test_usage_errors(void **state)
{
    (void)state;
    const char *cases[][8] = {
        {"portsim", "explore", "--strict", DATA "/unreachable.yaml", NULL},
        {"portsim", "explore", "--max-latency", "5ms", DATA "/latency-bound.yaml", NULL},
        {"portsim", "explore", "--latency", "--max-latency", "5", DATA "/latency-bound.yaml", NULL},
        {"portsim", "explore", "--latency", "--max-latency", "-1ms", DATA "/latency-bound.yaml", NULL},
        {"portsim", "run", "--max-latency", "5ms", DATA "/latency-bound.yaml", NULL},
        {"portsim", "conform", "--backend", "model", "--max-latency", "2", DATA "/latency-bound.yaml", NULL},
        {"portsim", "conform", "--backend", "model", "--max-latency-ms", "2ms", DATA "/latency-bound.yaml", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_result r = ct_run(cases[i]);
        assert_int_equal(r.code, 2);
        assert_non_null(strstr(r.err, "portsim: "));
        ct_free(&r);
    }
}

/*
 * --max-latency bounds the latencies --latency explores: the scenario fails only when its reply may be
 * 20 ms late; under the default bound (2 ms, conform's) every schedule passes, and the failing schedule's
 * replay command carries the bound it needs.
 */
static void test_max_latency_bounds_the_latencies(void **state)
{
    (void)state;
    const char *unbounded[] = {"portsim", "explore", "--no-color", "--strategy", "exhaustive", "--latency",
                               "--max-latency", "forever", DATA "/latency-bound.yaml", NULL};
    ct_result r = ct_run(unbounded);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "fail: send result: expected success, observed receive_timeout"));
    char *replay = ct_line_starting(r.out, "    replay: ");
    assert_non_null(replay);
    assert_non_null(strstr(replay, " --latency --max-latency forever"));
    ct_free(&r);
    /* the replay reproduces the failure: the bound is part of the run */
    const char *argv[32];
    uint32_t n = ct_split(replay + strlen("    replay: "), argv, 30);
    assert_true(n > 3 && n < 30);
    argv[n] = NULL;
    r = ct_run(argv);
    assert_int_equal(r.code, 1);
    ct_free(&r);
    free(replay);

    const char *bounded[][12] = {
        {"portsim", "explore", "--no-color", "--strategy", "exhaustive", "--latency", DATA "/latency-bound.yaml", NULL},
        {"portsim", "explore", "--no-color", "--strategy", "exhaustive", "--latency", "--max-latency", "2ms",
         DATA "/latency-bound.yaml", NULL},
        {"portsim", "explore", "--no-color", "--latency", "--max-latency=19ms", "--seeds", "300",
         DATA "/latency-bound.yaml", NULL},
    };
    for (size_t i = 0; i < sizeof bounded / sizeof bounded[0]; i++) {
        r = ct_run(bounded[i]);
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, "1 passed, 0 failed"));
        ct_free(&r);
    }
    /* a bound just past the deadline lets the failing latency back in */
    const char *past[] = {"portsim", "explore", "--no-color", "--strategy", "exhaustive", "--latency",
                          "--max-latency", "25ms", DATA "/latency-bound.yaml", NULL};
    r = ct_run(past);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, " --latency --max-latency 25ms\n"));
    ct_free(&r);
}

/* The help says what the options do. */
static void test_help_names_the_options(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "explore", "--help", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "--census"));
    assert_non_null(strstr(r.out, "--strict"));
    assert_non_null(strstr(r.out, "--max-latency D"));
    ct_free(&r);
    const char *conform[] = {"portsim", "conform", "--help", NULL};
    r = ct_run(conform);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "--max-latency D"));
    assert_non_null(strstr(r.out, "--max-latency-ms N"));
    ct_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_census_line_counts_each_outcome),
        cmocka_unit_test(test_no_census_without_the_option),
        cmocka_unit_test(test_census_json_member),
        cmocka_unit_test(test_unreached_outcome_is_a_warning),
        cmocka_unit_test(test_strict_fails_an_unreached_outcome),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_max_latency_bounds_the_latencies),
        cmocka_unit_test(test_help_names_the_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
