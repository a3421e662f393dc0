/*
 * cli_explain_test.c — `portsim explain RESULT.json` (sim/sim_explain.h through the CLI): the
 * runs of a conform --json file explained one by one, a hand-made impossible observation
 * proven divergent at its line, and bad files refused with file:line:col and exit 2.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The joint check's example (sim/tests/explain-joint.yaml): one of its two sends can succeed,
 * not both. Lines 20 and 27: the two sends. */
#define JOINT_FILE PORTSIM_SOURCE_DIR "/sim/tests/explain-joint.yaml"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* conform --backend model --json into dir/r.json; the JSON text (malloc'd). */
static char *conform_json(const char *dir, const char *path)
{
    char json[160];
    snprintf(json, sizeof json, "%s/r.json", dir);
    const char *argv[] = {"portsim", "conform", "--backend", "model", "--json", json, path, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    ct_free(&r);
    size_t len = 0;
    char *text = st_read_file(json, &len);
    assert_non_null(text);
    return text;
}

static ct_result explain(const char *path)
{
    const char *argv[] = {"portsim", "explain", path, NULL};
    return ct_run(argv);
}

/* Every run of a folder on the model backend is explained, each with its replay line. */
static void test_explain_finds_every_run_of_a_folder(void **state)
{
    (void)state;
    char dir[] = "/tmp/cli-explain-XXXXXX";
    assert_non_null(mkdtemp(dir));
    free(conform_json(dir, PORTSIM_SOURCE_DIR "/scenarios/send"));
    char json[160];
    snprintf(json, sizeof json, "%s/r.json", dir);
    ct_result r = explain(json);
    if (r.code != 0 || strstr(r.out, " explained, 0 diverged, 0 not found, 0 expected differences, 0 not run") == NULL ||
        strstr(r.out, "EXPLAINED  send-echo-request-reply") == NULL || strstr(r.out, "    replay: portsim replay ") == NULL) {
        fail_msg("code %d\nout: %s\nerr: %s", r.code, r.out, r.err);
    }
    ct_free(&r);
    unlink(json);
    rmdir(dir);
}

/* Two successes where only one can be: each allowed alone (the per-call sets), proven impossible together. */
static void test_explain_proves_a_hand_made_impossible_run(void **state)
{
    (void)state;
    char dir[] = "/tmp/cli-explain-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char json[160];
    snprintf(json, sizeof json, "%s/r.json", dir);
    const char *yaml = JOINT_FILE;
    char *text = conform_json(dir, yaml);
    ct_result r = explain(json);
    assert_int_equal(r.code, 0); /* as the model ran it */
    assert_non_null(strstr(r.out, "1 explained, 0 diverged"));
    ct_free(&r);
    /* the row of the send that got -5, made a success */
    char *row = strstr(text, ", \"returned\", -5, ");
    assert_non_null(row);
    char *open = row;
    while (open > text && *open != '[') open--;
    unsigned step = (unsigned)strtoul(open + 1, NULL, 10);
    assert_true(step == 6 || step == 9); /* c1's send or c2's */
    memmove(row + 15, row + 16, strlen(row + 16) + 1); /* "-5" -> "5"... */
    row[14] = '0';                                       /* ... -> "0": success */
    assert_non_null(strstr(text, ", \"returned\", 0, "));
    write_file(json, text);
    free(text);
    r = explain(json);
    char at[400];
    snprintf(at, sizeof at, "DIVERGED   joint  %s:%s: outcomes the model cannot produce together", yaml,
             step == 6 ? "20:11" : "27:11");
    if (r.code != 1 || strstr(r.out, at) == NULL || strstr(r.out, "every schedule") == NULL ||
        strstr(r.out, "the real run gave success") == NULL || strstr(r.out, "0 explained, 1 diverged") == NULL) {
        fail_msg("code %d\nwanted: %s\nout: %s\nerr: %s", r.code, at, r.out, r.err);
    }
    ct_free(&r);
    unlink(json);
    rmdir(dir);
}

/* Not results files: a located error and exit 2, never a crash. */
static void test_explain_refuses_bad_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/cli-explain-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[160];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"{", "bad.json:"},
        {"[1, 2]", "not a results file"},
        {"{\"schema_version\": 4, \"scenarios\": [{\"observation\": {}, \"observation\": {}}]}", "two observations"},
        {"{\"schema_version\": 4, \"options\": {\"model\": {\"explore\": 1000000}}}", "a bad model option 'explore'"},
        {"{\"schema_version\": 3, \"scenarios\": [{\"file\": \"x.yaml\", \"observation\": {}}]}", "has no observations"},
        {"{\"schema_version\": 4, \"scenarios\": [{\"file\": \"x.yaml\", \"observation\": {\"executions\": [[1, 2]]}}]}",
         "observation row has 2 members"},
        {"{\"schema_version\": 4, \"options\": {\"model\": {\"seed\": 1}}, \"scenarios\": [{\"file\": \"/no/such.yaml\", "
         "\"observation\": {\"executions\": []}}]}",
         "does not load"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text);
        ct_result r = explain(path);
        if (r.code != 2 || strstr(r.err, cases[i].err) == NULL || strstr(r.err, "error:") == NULL) {
            fail_msg("case %zu: code %d\nout: %s\nerr: %s", i, r.code, r.out, r.err);
        }
        ct_free(&r);
    }
    ct_result r = explain("/no/such/results.json");
    assert_int_equal(r.code, 2);
    ct_free(&r);
    /* deep, wide and large (1.3 MB, past a scenario file's 1 MiB: the check that once asserted on it) */
    static const struct {
        const char *head, *item, *tail;
        uint32_t count;
        const char *err;
    } gen[] = {
        {"", "[", "", 100000, "nested deeper than a results file"},
        {"{\"a\": [", "1,", "1]}", 10000, "a line wider than a results file's"},
        {"{\"schema_version\": 4, \"options\": {\"model\": {\"seed\": 1}}, \"scenarios\": [{\"file\": "
         "\"/no/such.yaml\", \"observation\": {\"executions\": [\n",
         "[0, 0, 0, \"returned\", 1, 1],\n", "[0, 0, 0, \"returned\", 1, 1]]}}]}", 40000, "does not load"},
    };
    for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(gen[i].head, f);
        for (uint32_t k = 0; k < gen[i].count; k++) fputs(gen[i].item, f);
        fputs(gen[i].tail, f);
        assert_int_equal(fclose(f), 0);
        r = explain(path);
        if (r.code != 2 || strstr(r.err, gen[i].err) == NULL) fail_msg("generated %zu: code %d\nerr: %s", i, r.code, r.err);
        ct_free(&r);
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_finds_every_run_of_a_folder),
        cmocka_unit_test(test_explain_proves_a_hand_made_impossible_run),
        cmocka_unit_test(test_explain_refuses_bad_files),
    };
    return cmocka_run_group_tests_name("cli_explain", tests, NULL, NULL);
}
