/*
 * rep_tools_test.c — the reports checked by the tools that consume them:
 *
 *   rep_tools_test xmllint   JUnit against reports/junit.xsd (and a broken
 *                            document against it, which must fail); the
 *                            HTML parsed as XML (well-formed) and as HTML
 *                            (libxml2's HTML 4 parser: only "Tag X invalid"
 *                            for the HTML5/SVG elements it does not know)
 *   rep_tools_test prove     TAP through Perl's prove: passes when every
 *                            scenario passed or skipped, fails on the
 *                            failing ones, never a parse error
 *
 * Each exits 77 (CTest: skipped) with a message when its tool is missing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rep_html.h"
#include "rep_junit.h"
#include "rep_tap.h"
#include "rep_test_util.h"

typedef bool (*writer)(FILE *out, const sim_result *results, uint32_t count, void *ctx);

/* Writes a report into a fresh temporary file; returns its path. */
static char *write_temp(writer w, const sim_result *results, uint32_t count, void *ctx, const char *suffix)
{
    char *path = rt_temp_path(suffix);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(w(f, results, count, ctx));
    assert_int_equal(fclose(f), 0);
    return path;
}

static bool junit_writer(FILE *out, const sim_result *results, uint32_t count, void *ctx)
{
    (void)ctx;
    sim_run_info info = rt_info();
    return rep_junit_write(out, &info, results, count);
}

static bool html_writer(FILE *out, const sim_result *results, uint32_t count, void *ctx)
{
    (void)ctx;
    sim_run_info info = rt_info();
    rep_html_options opt = rep_html_options_default();
    opt.open_all = true;
    return rep_html_write(out, &info, results, count, &opt);
}

static bool tap_writer(FILE *out, const sim_result *results, uint32_t count, void *ctx)
{
    sim_run_info info = rt_info();
    return rep_tap_write(out, &info, results, count, ctx);
}

static int tool(const char *const *argv, char **output)
{
    int code = rt_run_tool(argv, output);
    if (code != 0) print_message("%s exited %d:\n%s\n", argv[0], code, *output);
    return code;
}

static void remove_file(char *path)
{
    unlink(path);
    free(path);
}

/* ---- xmllint ------------------------------------------------------------------------------ */

static void junit_validates(const sim_result *results, uint32_t count)
{
    char *path = write_temp(junit_writer, results, count, NULL, ".xml");
    char *out = NULL;
    const char *argv[] = {"xmllint", "--noout", "--schema", REP_XSD, path, NULL};
    assert_int_equal(tool(argv, &out), 0);
    assert_non_null(strstr(out, "validates"));
    free(out);
    remove_file(path);
}

static void junit_validates_against_the_schema(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *hand = rt_hand_results(&n);
    junit_validates(hand, n);
    junit_validates(NULL, 0);
    rt_free_results(hand, n);
    sim_result *runs = rt_run_all_data(&n);
    junit_validates(runs, n);
    rt_free_results(runs, n);
}

static void the_schema_rejects_a_testcase_without_classname(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *hand = rt_hand_results(&n);
    char *path = write_temp(junit_writer, hand, 1, NULL, ".xml");
    size_t len = 0;
    char *text = rt_read_file(path, &len);
    char *at = strstr(text, " classname=");
    assert_non_null(at);
    memcpy(at, " klassname", 10); /* same length: " classname" */
    assert_true(rt_write_file(path, text, len));
    char *out = NULL;
    const char *argv[] = {"xmllint", "--noout", "--schema", REP_XSD, path, NULL};
    assert_int_not_equal(rt_run_tool(argv, &out), 0);
    assert_non_null(strstr(out, "fails to validate"));
    free(out);
    free(text);
    remove_file(path);
    rt_free_results(hand, n);
}

/* libxml2's HTML parser predates HTML5: it may only complain about element names. */
static void only_unknown_html5_tags(const char *output)
{
    static const char *const known[] = {"header", "main", "footer", "section", "details", "summary", "svg",
                                        "title", "defs", "marker", "path", "rect", "line", "circle", "text",
                                        "g"};
    for (const char *line = output; line != NULL && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *err = strstr(line, "HTML parser error : ");
        const char *eol = strchr(line, '\n');
        if (err == NULL || (eol != NULL && err > eol)) continue;
        const char *what = err + strlen("HTML parser error : ");
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++) {
            char want[64];
            snprintf(want, sizeof want, "Tag %s invalid", known[i]);
            ok = strncmp(what, want, strlen(want)) == 0;
        }
        if (!ok) fail_msg("xmllint --html: %.*s", (int)(eol != NULL ? eol - what : (long)strlen(what)), what);
    }
}

static void html_is_well_formed(const sim_result *results, uint32_t count)
{
    char *path = write_temp(html_writer, results, count, NULL, ".html");
    char *out = NULL;
    const char *as_xml[] = {"xmllint", "--noout", "--nonet", path, NULL};
    assert_int_equal(tool(as_xml, &out), 0);
    assert_string_equal(out, "");
    free(out);
    const char *as_html[] = {"xmllint", "--html", "--noout", "--nonet", path, NULL};
    assert_int_equal(tool(as_html, &out), 0);
    only_unknown_html5_tags(out);
    free(out);
    remove_file(path);
}

static void html_is_well_formed_xml_and_html(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *hand = rt_hand_results(&n);
    html_is_well_formed(hand, n);
    html_is_well_formed(NULL, 0);
    rt_free_results(hand, n);
    sim_result *runs = rt_run_all_data(&n);
    html_is_well_formed(runs, n);
    rt_free_results(runs, n);
}

/* ---- prove ------------------------------------------------------------------------------------ */

/* version 0: the writer's default, which prove must read as it is. */
static int prove(const sim_result *results, uint32_t count, uint8_t version, char **out)
{
    rep_tap_options opt = version != 0 ? (rep_tap_options){.version = version} : rep_tap_options_default();
    char *path = write_temp(tap_writer, results, count, &opt, ".tap");
    const char *argv[] = {"prove", "-v", "-e", "cat", path, NULL};
    int code = rt_run_tool(argv, out);
    remove_file(path);
    return code;
}

static void prove_passes_passed_and_skipped_scenarios(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *hand = rt_hand_results(&n);
    sim_result ok[3] = {hand[0], hand[2], hand[6]}; /* pass, skip, pass (shallow copies) */
    char *out = NULL;
    int code = prove(ok, 3, 0, &out); /* the default stream, as `portsim run --tap` writes it */
    if (code != 0 || strstr(out, "Result: PASS") == NULL) fail_msg("prove:\n%s", out);
    assert_non_null(strstr(out, "ok 2 - naming-skipped (scenarios/naming/skipped.yaml:1, model) # SKIP"));
    assert_null(strstr(out, "Parse errors"));
    free(out);
    code = prove(NULL, 0, 13, &out); /* 1..0: skipped as a whole */
    if (code != 0) fail_msg("prove:\n%s", out);
    free(out);
    rt_free_results(hand, n);
}

static void prove_fails_failed_scenarios_without_parse_errors(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *hand = rt_hand_results(&n);
    char *out = NULL;
    int code = prove(hand, n, 13, &out);
    assert_int_not_equal(code, 0);
    if (strstr(out, "Failed tests:  2, 4-5") == NULL || strstr(out, "Parse errors") != NULL ||
        strstr(out, "YAMLish") != NULL) { /* the reader's complaints name its module */
        fail_msg("prove:\n%s", out);
    }
    free(out);
    rt_free_results(hand, n);
    sim_result *runs = rt_run_all_data(&n);
    code = prove(runs, n, 13, &out);
    assert_int_not_equal(code, 0); /* wrong-expectation.yaml fails on purpose */
    if (strstr(out, "Failed test:  6") == NULL || strstr(out, "Parse errors") != NULL) fail_msg("prove:\n%s", out);
    free(out);
    rt_free_results(runs, n);
}

/* Debian 12's TAP::Harness (3.44) knows TAP 13 only: the version 14 line is its one complaint. */
static void prove_reads_version_14_as_far_as_it_knows_it(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *hand = rt_hand_results(&n);
    sim_result ok[2] = {hand[0], hand[2]};
    char *out = NULL;
    int code = prove(ok, 2, 14, &out);
    if (strstr(out, "TAP specified version 14 but we don't know about versions later than 13") != NULL) {
        assert_int_equal(rt_count(out, "Parse errors"), 1);
        assert_non_null(strstr(out, "Tests: 2 Failed: 0)"));
        print_message("note: this prove only knows TAP 13 (use rep_tap_options.version = 13 with it)\n");
    } else if (code != 0 || strstr(out, "Result: PASS") == NULL) {
        fail_msg("prove:\n%s", out);
    }
    free(out);
    rt_free_results(hand, n);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "xmllint") != 0 && strcmp(which, "prove") != 0) {
        fprintf(stderr, "usage: rep_tools_test xmllint|prove\n");
        return 2;
    }
    if (!rt_have_tool(which)) {
        printf("skipped: %s is not installed (%s)\n", which,
               which[0] == 'x' ? "apt-get install libxml2-utils" : "it ships with perl");
        return 77;
    }
    const struct CMUnitTest xmllint_tests[] = {
        cmocka_unit_test(junit_validates_against_the_schema),
        cmocka_unit_test(the_schema_rejects_a_testcase_without_classname),
        cmocka_unit_test(html_is_well_formed_xml_and_html),
    };
    const struct CMUnitTest prove_tests[] = {
        cmocka_unit_test(prove_passes_passed_and_skipped_scenarios),
        cmocka_unit_test(prove_fails_failed_scenarios_without_parse_errors),
        cmocka_unit_test(prove_reads_version_14_as_far_as_it_knows_it),
    };
    if (which[0] == 'x') return cmocka_run_group_tests_name("xmllint", xmllint_tests, NULL, NULL);
    return cmocka_run_group_tests_name("prove", prove_tests, NULL, NULL);
}
