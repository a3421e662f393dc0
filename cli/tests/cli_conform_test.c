/*
 * cli_conform_test.c — `portsim conform` through the command line: the model
 * backend with every report format (each carrying what a real-time run adds),
 * a real (posix) run whose reports carry no made-up trace hash, usage errors,
 * and TAP on stdout.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check_contains(const char *path, const char *mark)
{
    char *text = st_read_file(path, NULL);
    assert_non_null(text);
    if (strstr(text, mark) == NULL) fail_msg("%s lacks %s:\n%.2000s", path, mark, text);
    free(text);
}

static void check_lacks(const char *path, const char *mark)
{
    char *text = st_read_file(path, NULL);
    assert_non_null(text);
    if (strstr(text, mark) != NULL) fail_msg("%s has %s:\n%.2000s", path, mark, text);
    free(text);
}

/* The model backend, every report: the same result struct as `portsim run`, plus rt. */
static void test_conform_model_reports(void **state)
{
    (void)state;
    char dir[] = "/tmp/cli-conform-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char json[128], junit[128], tap[128], html[128];
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(junit, sizeof junit, "%s/r.xml", dir);
    snprintf(tap, sizeof tap, "%s/r.tap", dir);
    snprintf(html, sizeof html, "%s/r.html", dir);
    const char *argv[] = {"portsim", "conform", "--backend", "model", "--json", json, "--junit", junit, "--tap", tap,
                          "--html", html, CONF_TEST_SCENARIOS, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, CLI_EXIT_FAILED); /* wrong-expectation.yaml fails, on purpose */
    assert_non_null(strstr(r.out, "FAIL  conf-test-wrong-expectation"));
    assert_non_null(strstr(r.out, "PASS  conf-test-two-processes"));
    assert_non_null(strstr(r.out, "PASS  conf-test-signal-then-exit"));
    assert_non_null(strstr(r.out, "PASS  conf-test-process-ended"));
    assert_non_null(strstr(r.out, "PASS  conf-test-crash-in-call"));
    assert_non_null(strstr(r.out, "6 passed, 1 failed, 0 skipped"));
    ct_free(&r);
    check_contains(json, "\"command\": \"conform\"");
    check_contains(json, "\"realtime\": {\"runs\": 1, \"failed_runs\": 1, \"flaky\": false");
    check_contains(json, "\"trace_hash\": \"0x"); /* a world agent reports its hash */
    check_contains(junit, "<testsuites");
    check_contains(junit, "<property name=\"runs\" value=\"1\"/>");
    check_contains(tap, "TAP version 13\n"); /* what prove reads */
    check_contains(tap, "  runs: 1\n  failed_runs: 1\n");
    check_contains(html, "<dt>runs</dt><dd>1 of 1 failed</dd>");
    const char *paths[] = {json, junit, tap, html};
    for (int i = 0; i < 4; i++) unlink(paths[i]);
    rmdir(dir);
}

/* A real run has no trace hash: the reports say nothing rather than 0x0000000000000000. */
static void test_conform_posix_reports_no_made_up_hash(void **state)
{
    (void)state;
    char dir[] = "/tmp/cli-conform-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char json[128], junit[128];
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(junit, sizeof junit, "%s/r.xml", dir);
    const char *argv[] = {"portsim", "conform", "--backend", "posix", "--no-expect", "--json", json, "--junit",
                          junit, CONF_TEST_SCENARIOS "/two-processes.yaml", NULL};
    ct_result r = ct_run(argv);
    if (r.code != CLI_EXIT_OK) fail_msg("exit %d\n%s\n%s", r.code, r.out, r.err);
    assert_non_null(strstr(r.out, "PASS  conf-test-two-processes"));
    assert_null(strstr(r.out, "hash=0x0000000000000000"));
    ct_free(&r);
    check_contains(json, "\"trace_hash\": null");
    check_lacks(junit, "trace_hash");
    check_lacks(junit, "0x0000000000000000");
    unlink(json);
    unlink(junit);
    rmdir(dir);
}

/* TAP on stdout with "-": the stream is TAP only, the result lines go to stderr. */
static void test_conform_tap_on_stdout(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "conform", "--backend", "model", "--tap", "-", "--tap-version", "14",
                          CONF_TEST_SCENARIOS "/one-process.yaml", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, CLI_EXIT_OK);
    assert_true(strncmp(r.out, "TAP version 14\n", 15) == 0);
    assert_null(strstr(r.out, "PASS "));
    assert_non_null(strstr(r.err, "PASS  conf-test-one-process"));
    ct_free(&r);
}

/* -j 3 prints what -j 1 prints, in the same order (the model backend: the same verdicts), though
 * it starts the files longest first. Written -j3: a short option's value may be attached. */
static void test_conform_jobs_keep_the_order(void **state)
{
    (void)state;
    const char *one[] = {"portsim", "conform", "--backend", "model", "--no-color", PORTSIM_SOURCE_DIR "/scenarios/send",
                         NULL};
    const char *three[] = {"portsim", "conform", "--backend", "model", "--no-color", "-j3",
                           PORTSIM_SOURCE_DIR "/scenarios/send", NULL};
    ct_result a = ct_run(one), b = ct_run(three);
    assert_int_equal(a.code, b.code);
    /* the verdict words and names, line by line (wall times differ) */
    const char *pa = a.out, *pb = b.out;
    uint32_t lines = 0;
    for (;;) {
        const char *na = strstr(pa, "\nPASS "), *nb = strstr(pb, "\nPASS ");
        if (na == NULL || nb == NULL) {
            assert_true(na == NULL && nb == NULL);
            break;
        }
        size_t len = strcspn(na + 7, " ");
        assert_true(strncmp(na, nb, len + 7) == 0);
        pa = na + 1;
        pb = nb + 1;
        lines++;
    }
    assert_true(lines >= 10);
    assert_string_equal(strstr(a.out, " passed, "), strstr(b.out, " passed, "));
    ct_free(&a);
    ct_free(&b);
}

static void test_conform_usage(void **state)
{
    (void)state;
    static const struct {
        const char *argv[12];
        const char *err;
    } cases[] = {
        {{"portsim", "conform", "x.yaml", NULL}, "give exactly one of --backend NAME and --agent PATH"},
        {{"portsim", "conform", "--backend", "nope", "x.yaml", NULL}, "unknown backend"},
        {{"portsim", "conform", "--backend", "model", "--seeds", "3", "x.yaml", NULL},
         "this command does not take the option '--seeds'"},
        {{"portsim", "conform", "--backend", "model", "--json", "-", "--tap", "-", "x.yaml", NULL},
         "only one report can be written to stdout"},
        {{"portsim", "mutants", "--backend", "posix", "x.yaml", NULL}, "does not take the option '--backend'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_result r = ct_run(cases[i].argv);
        if (r.code != CLI_EXIT_USAGE || strstr(r.err, cases[i].err) == NULL) {
            fail_msg("case %zu: code %d\nerr: %s", i, r.code, r.err);
        }
        ct_free(&r);
    }
    const char *help[] = {"portsim", "conform", "--help", NULL};
    ct_result r = ct_run(help);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "usage: portsim conform (--backend NAME | --agent PATH)"));
    assert_non_null(strstr(r.out, "--tolerance-ms N"));
    assert_null(strstr(r.out, "--seeds")); /* its own help, not the global one */
    ct_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conform_model_reports),
        cmocka_unit_test(test_conform_posix_reports_no_made_up_hash),
        cmocka_unit_test(test_conform_tap_on_stdout),
        cmocka_unit_test(test_conform_jobs_keep_the_order),
        cmocka_unit_test(test_conform_usage),
    };
    return cmocka_run_group_tests_name("cli_conform", tests, NULL, NULL);
}
