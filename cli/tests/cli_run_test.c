/*
 * cli_run_test.c — `portsim run` and `replay` through the real command line
 * (in-process, output captured): a failure's replay line reproduces it;
 * usage errors and exit codes; every command has its own --help; folders in
 * byte order, a file met twice runs once; load errors before their ERROR
 * line; JSON, TAP and the other reports to a file or to stdout ("-"); trace;
 * skip/only.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A failing run prints a replay command; running it reproduces the failure exactly. */
static void test_failure_prints_a_replay_that_reproduces_it(void **state)
{
    (void)state;
    char *text = st_echo_variant("became_invalid", "\"hi\"", "10", "1", "3", "1");
    char *path = st_write_temp(text, ".yaml");
    const char *argv[] = {"portsim", "run", "--strategy", "random", "--seed", "77", path, NULL};
    ct_result first = ct_run(argv);
    assert_int_equal(first.code, CLI_EXIT_FAILED);
    char *fail_line = ct_line_starting(first.out, "FAIL ");
    char *detail = ct_line_starting(first.out, "    /tmp/");
    char *replay = ct_line_starting(first.out, "    replay: ");
    assert_non_null(fail_line);
    assert_non_null(detail);
    assert_non_null(replay);
    assert_non_null(strstr(detail, ":15:28: fail: send result: expected became_invalid, observed success"));
    assert_non_null(strstr(replay, "--seed 77 --strategy random --profile ventura"));
    const char *args[16];
    char *words = strdup(replay + strlen("    replay: "));
    uint32_t n = ct_split(words, args, 16);
    assert_true(n >= 9);
    assert_string_equal(args[0], "portsim");
    ct_result again = ct_run(args);
    assert_int_equal(again.code, CLI_EXIT_FAILED);
    char *fail_again = ct_line_starting(again.out, "FAIL ");
    char *detail_again = ct_line_starting(again.out, "    /tmp/");
    assert_string_equal(fail_again, fail_line); /* same scenario, hash, events, time */
    assert_string_equal(detail_again, detail);
    free(fail_again);
    free(detail_again);
    ct_free(&again);
    free(words);
    free(fail_line);
    free(detail);
    free(replay);
    ct_free(&first);
    unlink(path);
    free(path);
    free(text);
}


/* ---- the command line ----------------------------------------------------------- */

static void test_cli_usage_and_exit_codes(void **state)
{
    (void)state;
    static const struct {
        const char *argv[6];
        int code;
        const char *out;
        const char *err;
    } cases[] = {
        {{"portsim", NULL}, 2, "", "usage: portsim COMMAND"},
        {{"portsim", "--help", NULL}, 0, "usage: portsim COMMAND", ""},
        {{"portsim", "--version", NULL}, 0, "portsim ", ""},
        {{"portsim", "frob", NULL}, 2, "", "unknown command 'frob'"},
        {{"portsim", "run", NULL}, 2, "", "run needs at least one PATH"},
        {{"portsim", "run", "--help", NULL}, 0, "--strategy", ""},
        {{"portsim", "run", "--bogus", "x", NULL}, 2, "", "unknown option '--bogus'"},
        {{"portsim", "run", "--seed", "x1", "y", NULL}, 2, "", "not a decimal number: 'x1'"},
        {{"portsim", "run", "--strategy", "bogus", "y", NULL}, 2, "", "unknown strategy"},
        {{"portsim", "run", "--profile", "sonoma", "y", NULL}, 2, "", "unknown profile"},
        {{"portsim", "run", "--seed", NULL}, 2, "", "needs a value"},
        {{"portsim", "explore", "-jx", "y", NULL}, 2, "", "not a decimal number: 'x'"},
        {{"portsim", "explore", "-j0", "y", NULL}, 2, "", "out of range"},
        {{"portsim", "run", "-j2", "y", NULL}, 2, "", "unknown option '-j2'"},
        {{"portsim", "run", "/no/such/path.yaml", NULL}, 2, "", "/no/such/path.yaml: No such file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_result r = ct_run(cases[i].argv);
        if (r.code != cases[i].code || !strstr(r.out, cases[i].out) || !strstr(r.err, cases[i].err)) {
            fail_msg("case %zu: code %d\nout: %s\nerr: %s", i, r.code, r.out, r.err);
        }
        ct_free(&r);
    }
}

/* Folders are searched recursively and run in byte order; load errors exit 2. */
static void test_cli_folders_order_summary_and_load_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/sim_cli_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    char *ok = st_echo_variant("success", "\"hi\"", "10", "1", "3", "1");
    const char *names[] = {"b.yaml", "a/z.yaml", "a/c.yml", "notes.txt"};
    snprintf(path, sizeof path, "%s/a", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(ok, f);
        fclose(f);
    }
    const char *argv[] = {"portsim", "run", "--no-color", dir, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    char *c = strstr(r.out, "/a/c.yml"), *z = strstr(r.out, "/a/z.yaml"), *b = strstr(r.out, "/b.yaml");
    assert_true(c != NULL && z != NULL && b != NULL && c < z && z < b);
    assert_null(strstr(r.out, "notes.txt"));
    assert_non_null(strstr(r.out, "3 passed, 0 failed, 0 skipped\n"));
    assert_null(strchr(r.out, '\033'));
    ct_free(&r);
    snprintf(path, sizeof path, "%s/a/bad.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("scenario: x\nprocesses: {p: {threads: {main: [{sleep: 1}]}}}\n", f);
    fclose(f);
    r = ct_run(argv);
    assert_int_equal(r.code, CLI_EXIT_USAGE);
    assert_non_null(strstr(r.err, "/a/bad.yaml:2:42: error: bad duration '1' for sleep"));
    assert_non_null(strstr(r.out, "ERROR "));
    assert_non_null(strstr(r.out, "3 passed, 1 failed, 0 skipped\n"));
    ct_free(&r);
    const char *color[] = {"portsim", "run", "--color", dir, NULL};
    r = ct_run(color);
    assert_non_null(strstr(r.out, "\033[32mPASS"));
    ct_free(&r);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/a/bad.yaml", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/a", dir);
    rmdir(path);
    rmdir(dir);
    free(ok);
}

/* --json writes the versioned document; --trace prints the canonical trace. */
static void test_cli_json_and_trace(void **state)
{
    (void)state;
    char *bad = st_echo_variant("became_invalid", "\"hi\"", "10", "1", "3", "1");
    char *path = st_write_temp(bad, ".yaml");
    char json[] = "/tmp/sim_check_test_XXXXXX.json";
    int fd = mkstemps(json, 5);
    assert_true(fd >= 0);
    close(fd);
    const char *argv[] = {"portsim", "run", "--trace", "--json", json, path, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "0.000000000 server start incarnation=1 pid=100\n"));
    assert_non_null(strstr(r.out, " client/main call @1:1 send\n"));
    char *doc = st_read_file(json, NULL);
    assert_non_null(doc);
    assert_true(strncmp(doc, "{\"schema_version\": 4,", 21) == 0);
    static const char *const keys[] = {
        "\"tool\": {\"name\": \"portsim\"", "\"command\": \"run\"", "\"options\": {\"seed\": 1",
        "\"summary\": {\"passed\": 0, \"failed\": 1, \"skipped\": 0, \"errors\": 0}",
        "\"id\": \"check-echo\"", "\"verdict\": \"fail\"", "\"trace_hash\": \"0x",
        "\"kind\": \"expect\"", "\"line\": 15, \"column\": 28", "\"expected\": \"became_invalid\"",
        "\"observed\": \"success\"", "\"replay\": \"portsim run ", "\"steps\": [",
        "\"where\": \"handler echo\"", "\"notes\": [],", "\"realtime\": null,", "\"explore\": null,"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strstr(doc, keys[i]) == NULL) fail_msg("no %s in:\n%s", keys[i], doc);
    }
    int depth = 0;
    bool in_string = false;
    for (const char *p = doc; *p; p++) { /* balanced, and no raw control characters in strings */
        if (in_string) {
            assert_true((unsigned char)*p >= 0x20);
            if (*p == '\\') p++;
            else if (*p == '"') in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
    }
    assert_int_equal(depth, 0);
    free(doc);
    ct_free(&r);
    unlink(json);
    unlink(path);
    free(path);
    free(bad);
}

/*
 * Issue 10: a run that ends at its time limit with work left passed without
 * a word. It still passes, with a note in the terminal and in --json that
 * names what was cut off; a step that says `expect: blocked` is meant, and
 * gives no note; events scheduled after the limit get one too.
 */
static void test_time_limit_with_work_left_is_noted(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *note; /* NULL: no note */
    } cases[] = {
        {"scenario: tl-sleep\nprocesses:\n  p:\n    threads:\n      main:\n        - sleep: 7200s\n",
         "the run stopped at its time limit (t=3600s) with 1 call still in progress: p/main sleep (line 6)"},
        {"scenario: tl-meant\nprocesses:\n  p:\n    threads:\n      main:\n        - sleep: 7200s\n"
         "          expect: blocked\n",
         NULL},
        {"scenario: tl-fault\ntime_limit: 1s\nprocesses: {p: {threads: {main: [{sleep: 1ms}]}}}\n"
         "faults: [{at: 2s, crash: p}]\n",
         "the run stopped at its time limit (t=1s) with events still scheduled after it"},
        {"scenario: tl-none\nprocesses: {p: {threads: {main: [{sleep: 1ms}]}}}\n", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = st_write_temp(cases[i].yaml, ".yaml");
        char json[] = "/tmp/cli_time_limit_XXXXXX.json";
        int fd = mkstemps(json, 5);
        assert_true(fd >= 0);
        close(fd);
        const char *argv[] = {"portsim", "run", "--no-color", "--json", json, path, NULL};
        ct_result r = ct_run(argv);
        if (r.code != 0 || strstr(r.out, "1 passed, 0 failed") == NULL) {
            fail_msg("case %zu: exit %d\n%s%s", i, r.code, r.out, r.err);
        }
        char *doc = st_read_file(json, NULL);
        assert_non_null(doc);
        if (cases[i].note != NULL) {
            char *line = ct_line_starting(r.out, "    note: ");
            if (line == NULL || strstr(line, cases[i].note) == NULL) fail_msg("case %zu: no note in\n%s", i, r.out);
            free(line);
            char want[300];
            snprintf(want, sizeof want, "\"notes\": [\"%s", cases[i].note);
            if (strstr(doc, want) == NULL) fail_msg("case %zu: no %s in\n%s", i, want, doc);
        } else {
            if (strstr(r.out, "note:") != NULL) fail_msg("case %zu: a note in\n%s", i, r.out);
            assert_non_null(strstr(doc, "\"notes\": [],"));
        }
        free(doc);
        ct_free(&r);
        unlink(json);
        unlink(path);
        free(path);
    }
}

/* skip: and only: by backend and profile, with their reasons. */
static void test_skip_and_only(void **state)
{
    (void)state;
    const char *text =
        "scenario: only-cf1153\n"
        "only: [{profile: cf-1153, reason: \"a cf-1153 behaviour\"}]\n"
        "skip: {backend: posix, reason: \"not on linux\"}\n"
        "processes: {p: {threads: {main: [{sleep: 1ms}]}}}\n";
    char *path = st_write_temp(text, ".yaml");
    const char *argv[] = {"portsim", "run", path, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "(skipped: a cf-1153 behaviour)"));
    assert_non_null(strstr(r.out, "0 passed, 0 failed, 1 skipped"));
    ct_free(&r);
    const char *with_profile[] = {"portsim", "run", "--profile", "cf-1153", path, NULL};
    r = ct_run(with_profile);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "1 passed, 0 failed, 0 skipped"));
    ct_free(&r);
    unlink(path);
    free(path);
}


/* Every command has its own --help, listing its own options and no other command's. */
static void test_each_command_has_its_own_help(void **state)
{
    (void)state;
    static const struct {
        const char *command;
        const char *has;
        const char *lacks;
    } cases[] = {
        {"run", "--trace", "--seeds"},        {"replay", "--schedule", "--seeds"},
        {"explore", "--seeds N", "--trace"},   {"shrink", "--max-runs N", "--seeds"},
        {"coverage", "usage: portsim coverage", "--seed"}, {"conform", "--tolerance-ms", "--seeds"},
        {"mutants", "--first-kill", "--backend"}, {"rules", "--list", "--summary"},
        {"coverage", "--summary", "--list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[] = {"portsim", cases[i].command, "--help", NULL};
        ct_result r = ct_run(argv);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: portsim %s ", cases[i].command);
        if (r.code != 0 || strstr(r.out, usage) == NULL || strstr(r.out, cases[i].has) == NULL ||
            strstr(r.out, cases[i].lacks) != NULL) {
            fail_msg("%s --help: exit %d\n%s", cases[i].command, r.code, r.out);
        }
        ct_free(&r);
    }
}

/* One file through a link in the same folder runs once, and says so; replay takes no folder. */
static void test_a_file_met_twice_runs_once(void **state)
{
    (void)state;
    char dir[] = "/tmp/cli_run_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512], link[512];
    char *ok = st_echo_variant("success", "\"hi\"", "10", "1", "3", "1");
    snprintf(path, sizeof path, "%s/a.yaml", dir);
    snprintf(link, sizeof link, "%s/b.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(ok, f);
    fclose(f);
    assert_int_equal(symlink(path, link), 0);
    const char *argv[] = {"portsim", "run", "--no-color", dir, path, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "1 passed, 0 failed, 0 skipped\n"));
    assert_non_null(strstr(r.err, "b.yaml is the same file as "));
    ct_free(&r);
    const char *replay[] = {"portsim", "replay", dir, NULL};
    r = ct_run(replay);
    assert_int_equal(r.code, CLI_EXIT_USAGE);
    assert_non_null(strstr(r.err, "replay takes one scenario FILE, not a folder"));
    ct_free(&r);
    unlink(link);
    unlink(path);
    rmdir(dir);
    free(ok);
}

/* A file that does not load: its errors come before its ERROR line, even on one stream. */
static void test_load_errors_come_before_their_error_line(void **state)
{
    (void)state;
    char *bad = st_write_temp("scenario: x\nprocesses: {p: {threads: {main: [{sleep: 1}]}}}\n", ".yaml");
    FILE *both = tmpfile();
    const char *argv[] = {"portsim", "run", "--no-color", bad, NULL};
    assert_int_equal(cli_main(4, (char **)(uintptr_t)argv, both, both), CLI_EXIT_USAGE);
    char *text = st_slurp(both);
    const char *error = strstr(text, ": error: bad duration '1' for sleep");
    const char *line = strstr(text, "ERROR ");
    assert_non_null(error);
    assert_non_null(line);
    assert_true(error < line);
    free(text);
    unlink(bad);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_prints_a_replay_that_reproduces_it),
        cmocka_unit_test(test_cli_usage_and_exit_codes),
        cmocka_unit_test(test_cli_folders_order_summary_and_load_errors),
        cmocka_unit_test(test_cli_json_and_trace),
        cmocka_unit_test(test_skip_and_only),
        cmocka_unit_test(test_time_limit_with_work_left_is_noted),
        cmocka_unit_test(test_each_command_has_its_own_help),
        cmocka_unit_test(test_a_file_met_twice_runs_once),
        cmocka_unit_test(test_load_errors_come_before_their_error_line),
    };
    return cmocka_run_group_tests_name("cli_run", tests, NULL, NULL);
}
