/*
 * cli_rules_test.c — `portsim rules` and `portsim coverage` through the real
 * command line, and the table they print against docs/semantics.md itself:
 * a rule prints its statement, sources, markers and profile option (exit 0);
 * a part prints with its rule's fields; an id the document lacks is a usage
 * error (exit 2, nothing printed); every heading of the document is in the
 * table with its title; every profile option is named by a rule; coverage
 * lists scenarios and unit tests per rule, and the rules nobody cites; the
 * loader's error for an unknown rule points at the document and the command.
 *
 * (No rule ids in these comments: a comment naming one would cite it.)
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_rules.h"

#define DOC PORTSIM_SOURCE_DIR "/docs/semantics.md"
#define SCEN PORTSIM_SOURCE_DIR "/scenarios"

/* How often needle occurs in text. */
static uint32_t occurrences(const char *text, const char *needle)
{
    uint32_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) n++;
    return n;
}

/* Whether text begins with prefix. */
static bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* One rule by id: its heading, section, statement and fields, and no other rule. */
static void test_rules_prints_one_rule(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "rules", "R32", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.err, "");
    assert_true(starts_with(r.out, "R32 \xe2\x80\x94 The two-way wait\n(4. SendRequest)\n\nThe deadline"));
    assert_non_null(strstr(r.out, "The deadline is `now + rcvTimeout`, taken *after* the send has returned"));
    assert_non_null(strstr(r.out, "**\xe2\x88\x92" "5 BecameInvalid**"));
    assert_non_null(strstr(r.out, "\nSources: [A]/[S] `CFMessagePortSendRequest`; [A] `__CFTimeIntervalToTSR`.\n"
                                  "Markers: none\nProfile: none\n"));
    assert_null(strstr(r.out, "R31 \xe2\x80\x94"));
    assert_null(strstr(r.out, "R33 \xe2\x80\x94"));
    ct_free(&r);
}

/* A part alone names its rule and carries the rule's sources, markers and profile option. */
static void test_rules_prints_a_part_with_its_rule_fields(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "rules", "R26b", "R12", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_true(starts_with(r.out, "R26b \xe2\x80\x94 The local port is poisoned\n(3. CreateRemote; "));
    assert_non_null(strstr(r.out, "a part of R26 \xe2\x80\x94 A remote for a local port of the same process)"));
    assert_non_null(strstr(r.out, "Markers: SRC-ONLY, UNCERTAIN (on current macOS)\n"));
    assert_non_null(strstr(r.out, "Profile: `same_process_remote_shares_wrapper: BOOL`"));
    /* in the order asked, the second after the first */
    const char *second = strstr(r.out, "\n\n\nR12 \xe2\x80\x94 Long names are cut at 128 bytes\n");
    assert_non_null(second);
    assert_non_null(strstr(second, "Profile: `name128: accept | reject`"));
    assert_non_null(strstr(second, "DOC\xe2\x89\xa0SRC"));
    ct_free(&r);
    /* a whole rule prints its parts before its own fields */
    const char *whole[] = {"portsim", "rules", "R50", NULL};
    r = ct_run(whole);
    assert_int_equal(r.code, 0);
    const char *a = strstr(r.out, "\nR50a \xe2\x80\x94 No back-pressure\n");
    const char *c = strstr(r.out, "\nR50c \xe2\x80\x94 ");
    const char *fields = strstr(r.out, "\nMarkers: SRC-ONLY\n");
    assert_non_null(a);
    assert_non_null(c);
    assert_non_null(fields);
    assert_true(a < c && c < fields);
    assert_null(strstr(r.out, "R51 \xe2\x80\x94"));
    ct_free(&r);
}

/* Ids the document does not have: exit 2, the reason on stderr, nothing on stdout. */
static void test_rules_unknown_id_is_a_usage_error(void **state)
{
    (void)state;
    static const char *const bad[] = {"R99", "R0", "R26z", "r32", "R3x2", "32", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"portsim", "rules", "R1", bad[i], NULL};
        ct_result r = ct_run(argv);
        if (r.code != 2 || strcmp(r.out, "") != 0) fail_msg("rules '%s': exit %d\n%s", bad[i], r.code, r.out);
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        assert_non_null(strstr(r.err, "portsim: unknown rule (the rules are R1 to R67, docs/semantics.md):"));
        assert_non_null(strstr(r.err, quoted));
        ct_free(&r);
    }
}

/* All of them: every whole rule and part once, in order; --list one line each. */
static void test_rules_prints_all_and_lists(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "rules", NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    assert_int_equal(cli_rule_whole_count, 67);
    const char *last = r.out;
    for (uint32_t i = 0; i < cli_rule_count; i++) {
        char head[24];
        snprintf(head, sizeof head, "%s%s \xe2\x80\x94 ", i == 0 ? "" : "\n", cli_rule_table[i].id);
        const char *at = i == 0 ? (starts_with(r.out, head) ? r.out : NULL) : strstr(r.out, head);
        if (at == NULL || at < last || occurrences(r.out, head) != 1) fail_msg("%s: missing, repeated or out of order", head);
        last = at;
    }
    ct_free(&r);
    const char *list[] = {"portsim", "rules", "--list", NULL};
    r = ct_run(list);
    assert_int_equal(r.code, 0);
    assert_int_equal(occurrences(r.out, "\n"), cli_rule_count);
    assert_non_null(strstr(r.out, "R50   What a dispatch queue changes\nR50a    No back-pressure\n"));
    assert_true(starts_with(r.out, "R1    Local or remote, fixed at creation\nR2    "));
    ct_free(&r);
}

/* The built-in table is the document: every rule heading of docs/semantics.md, same title. */
static void test_table_matches_the_document(void **state)
{
    (void)state;
    FILE *f = fopen(DOC, "r");
    assert_non_null(f);
    char line[1024];
    uint32_t headings = 0;
    while (fgets(line, sizeof line, f) != NULL && headings < 10000) {
        bool h3 = strncmp(line, "### R", 5) == 0, h4 = strncmp(line, "#### R", 6) == 0;
        if (!h3 && !h4) continue;
        char *id = line + (h3 ? 4 : 5);
        char *dash = strstr(id, " \xe2\x80\x94 ");
        assert_non_null(dash);
        *dash = '\0';
        char *title = dash + 5;
        title[strcspn(title, "\n")] = '\0';
        uint32_t i = cli_rule_find(id);
        if (i == UINT32_MAX) fail_msg("%s is in the document, not in the table", id);
        assert_string_equal(cli_rule_table[i].title, title);
        assert_int_equal(cli_rule_table[i].part == 0, h3);
        assert_int_equal(i, headings);
        headings++;
    }
    fclose(f);
    assert_int_equal(headings, cli_rule_count);
}

/* Every profile option of a scenario's options: (but hop_latency) is named by some rule. */
static void test_every_profile_option_has_a_rule(void **state)
{
    (void)state;
    static const char *const options[] = {
        "name_release_delay", "rights_release_delay", "death_notice_delay", "qlimit", "name128",
        "setname_refused_with_queue", "main_queue_death_callbacks", "cross_thread_invalidate_wakes",
        "same_process_remote_shares_wrapper"};
    uint32_t with_option = 0;
    for (uint32_t i = 0; i < cli_rule_count; i++) {
        const char *p = cli_rule_table[i].profile;
        if (p != NULL && strncmp(p, "none", 4) != 0) with_option++;
    }
    assert_true(with_option >= 8);
    for (size_t k = 0; k < sizeof options / sizeof options[0]; k++) {
        char key[64];
        snprintf(key, sizeof key, "`%s: ", options[k]);
        bool named = false;
        for (uint32_t i = 0; i < cli_rule_count && !named; i++) {
            named = cli_rule_table[i].profile != NULL && strstr(cli_rule_table[i].profile, key) != NULL;
        }
        if (!named) fail_msg("no rule's Profile line names %s", options[k]);
    }
}

/* Coverage: per rule the scenarios and the unit tests, then the rules without either. */
static void test_coverage_lists_scenarios_and_unit_tests(void **state)
{
    (void)state;
    const char *argv[] = {"portsim", "coverage", "--no-color", SCEN, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 0);
    const char *rule = strstr(r.out, "\nR32  ");
    assert_non_null(rule);
    const char *next = strstr(rule + 1, "\nR33  ");
    assert_non_null(next);
    char *block = strndup(rule, (size_t)(next - rule));
    assert_non_null(strstr(block, "  scenario   " SCEN "/send/echo-request-reply.yaml\n"));
    assert_non_null(strstr(block, "  unit test  core/tests/cm_send_test.c: test_R32_deadline_counts_from_after_the_send\n"));
    assert_non_null(strstr(block, "  unit test  core/tests/cm_basic_test.c: test_R32_echo_request_reply\n"));
    free(block);
    /* a comment above a test cites for that test */
    assert_non_null(strstr(r.out, "  unit test  core/tests/cm_basic_test.c: test_R32_echo_request_reply\n"));
    assert_non_null(strstr(r.out, " of 67 rules covered by "));
    assert_non_null(strstr(r.out, " of 67 cited by unit tests ("));
    assert_non_null(strstr(r.out, "\nnot covered: R66 (a fact about swift-corelibs-foundation, not behaviour)\n"));
    assert_non_null(strstr(r.out, "\ncited by nobody: "));
    ct_free(&r);
    const char *summary[] = {"portsim", "coverage", "--summary", SCEN "/send/echo-request-reply.yaml", NULL};
    r = ct_run(summary);
    assert_int_equal(r.code, 0);
    assert_null(strstr(r.out, "  scenario   "));
    assert_non_null(strstr(r.out, "\nR32     1 scenario, "));
    assert_non_null(strstr(r.out, " of 67 rules covered by 1 scenarios; "));
    ct_free(&r);
    const char *none[] = {"portsim", "coverage", NULL};
    r = ct_run(none);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "coverage needs at least one PATH"));
    ct_free(&r);
}

/* A scenario naming a rule the document lacks: the loader's error says where the rules are. */
static void test_loader_error_points_at_the_rules(void **state)
{
    (void)state;
    char *path = st_write_temp("scenario: bad-rule\nrules: [R32, R68]\nprocesses:\n  p:\n    threads:\n"
                               "      main:\n        - sleep: 1ms\n",
                               ".yaml");
    assert_non_null(path);
    const char *argv[] = {"portsim", "run", "--no-color", path, NULL};
    ct_result r = ct_run(argv);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, ".yaml:2:14: error: unknown rule 'R68' (rules are R1 to R67: docs/semantics.md, "
                                  "portsim rules)\n"));
    assert_null(strstr(r.err, "SEMANTICS.md"));
    assert_non_null(strstr(r.out, "0 passed, 1 failed, 0 skipped"));
    ct_free(&r);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_prints_one_rule),
        cmocka_unit_test(test_rules_prints_a_part_with_its_rule_fields),
        cmocka_unit_test(test_rules_unknown_id_is_a_usage_error),
        cmocka_unit_test(test_rules_prints_all_and_lists),
        cmocka_unit_test(test_table_matches_the_document),
        cmocka_unit_test(test_every_profile_option_has_a_rule),
        cmocka_unit_test(test_coverage_lists_scenarios_and_unit_tests),
        cmocka_unit_test(test_loader_error_points_at_the_rules),
    };
    return cmocka_run_group_tests_name("cli_rules", tests, NULL, NULL);
}
