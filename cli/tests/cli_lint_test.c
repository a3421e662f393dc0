/*
 * cli_lint_test.c — portsim lint (sim/sim_lint.h) through the real command
 * line: a scenario that orders two threads by a 2 ms sleep is fragile, with a
 * finding at the check that flips and the delay that flips it (exit 1); the
 * same scenario ordered by signal / wait_for is robust (exit 0); elapsed
 * windows get the conformance tolerance, as `portsim conform` judges them.
 */
#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The loop thread must be running its run loop with the source before the client sends. */
static const char ordered_yaml[] =
    "scenario: lint-%s\n"
    "processes:\n"
    "  server:\n"
    "    threads:\n"
    "      main:\n"
    "        - create_local: {port: svc, name: com.portsim.lint.%s, handler: echo}\n"
    "        - create_source: svc\n"
    "        - add_source: {port: svc, mode: default, thread: loop}\n"
    "%s"
    "        - sleep: 100ms\n"
    "      loop:\n"
    "%s"
    "        - run_loop: {mode: default, for: 50ms, return_after_source: true}\n"
    "          expect: handled_source\n"
    "  client:\n"
    "%s"
    "    threads:\n"
    "      main:\n"
    "%s"
    "        - create_remote: {port: r, name: com.portsim.lint.%s}\n"
    "          expect: created\n"
    "        - send: {port: r, msgid: 1, data: \"x\", send_timeout: 1s, recv_timeout: 1s, reply_mode: default}\n"
    "          expect: {status: success, elapsed: 0ns}\n"
    "handlers:\n"
    "  echo: [{reply: echo}]\n";

static char *write_scenario(bool by_signal)
{
    const char *name = by_signal ? "signals" : "sleeps";
    char *path = strdup("/tmp/portsim-lint-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, ordered_yaml, name, name, by_signal ? "        - signal: source-added\n" : "",
            by_signal ? "        - wait_for: source-added\n" : "        - sleep: 2ms   # after main added the source\n",
            by_signal ? "" : "    start: 5ms\n", by_signal ? "        - wait_for: source-added\n" : "", name);
    fclose(f);
    return path;
}

static void test_lint_flags_ordering_by_sleep(void **state)
{
    (void)state;
    char *path = write_scenario(false);
    const char *argv[] = {"portsim", "lint", "--no-color", path, NULL};
    ct_result r = ct_run(argv);
    if (r.code != 1) fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(r.code, 1);
    char *line = ct_line_starting(r.out, "FAIL  lint-sleeps");
    assert_non_null(line);
    free(line);
    /* the finding: where it flips, what was delayed, and what the check saw */
    assert_non_null(strstr(r.out, ".yaml:13:19: timing: the verdict depends on timing: when process server starts "
                                  "15ms late, run_loop result fails: expected handled_source, observed timed_out"));
    assert_non_null(strstr(r.out, "changed the verdict"));
    assert_non_null(strstr(r.out, "signal / wait_for"));
    assert_non_null(strstr(r.out, "0 passed, 1 failed, 0 skipped"));
    ct_free(&r);
    unlink(path);
    free(path);
}

static void test_lint_passes_the_fixed_form(void **state)
{
    (void)state;
    char *path = write_scenario(true);
    const char *argv[] = {"portsim", "lint", "--no-color", path, NULL};
    ct_result r = ct_run(argv);
    if (r.code != 0) fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(r.code, 0);
    char *line = ct_line_starting(r.out, "PASS  lint-signals");
    assert_non_null(line);
    free(line);
    assert_null(strstr(r.out, "timing:"));
    assert_non_null(strstr(r.out, "1 passed, 0 failed, 0 skipped"));
    /* the fixed form also runs as written: lint adds nothing a plain run lacks */
    const char *run_argv[] = {"portsim", "run", "--no-color", path, NULL};
    ct_free(&r);
    r = ct_run(run_argv);
    assert_int_equal(r.code, 0);
    ct_free(&r);
    unlink(path);
    free(path);
}

/* A narrower tolerance finds fewer delays able to flip; a usage error is exit 2. */
static void test_lint_options(void **state)
{
    (void)state;
    const char *bad[] = {"portsim", "lint", "--tolerance-ms", "x", "/nonexistent.yaml", NULL};
    ct_result r = ct_run(bad);
    assert_int_equal(r.code, 2);
    ct_free(&r);
    const char *none[] = {"portsim", "lint", NULL};
    r = ct_run(none);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "lint needs at least one PATH"));
    ct_free(&r);
    const char *help[] = {"portsim", "lint", "--help", NULL};
    r = ct_run(help);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "--tolerance-ms"));
    assert_non_null(strstr(r.out, "Exit 1 when any scenario is fragile"));
    ct_free(&r);
}

/* Regression (portsim fuzz, seed 110): lint's jitter of a restarted process crashed the model. */
static void test_lint_survives_restart_jitter(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "lint", "--no-color", CLI_TEST_DIR "/data/fuzz-seed-110-restart.yaml", NULL};
    ct_result r = ct_run(argv);
    assert_true(r.code == 0 || r.code == 1);
    assert_non_null(strstr(r.out, "1 passed, 0 failed") != NULL ? r.out : strstr(r.out, "0 passed, 1 failed"));
    ct_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lint_flags_ordering_by_sleep),
        cmocka_unit_test(test_lint_passes_the_fixed_form),
        cmocka_unit_test(test_lint_options),
        cmocka_unit_test(test_lint_survives_restart_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
