/*
 * cli_shrink_test.c — `portsim shrink` keeps THE failure: for each failing
 * scenario of data/shrink/, the shrunk file (through the real command line)
 * is smaller, is marked as shrunk from its source, and fails with the same
 * check and expected value, the same outcome class (what the call returned,
 * and on which side of an elapsed window), at the step of the original. The
 * signatures are compared here on fresh model runs of both files, not on
 * what shrink printed.
 */
#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA CLI_TEST_DIR "/data/shrink"

typedef struct first_failure {
    char *message;
    char *expected;
    char *observed;
    bool has_outcome;
    int32_t outcome;
    int8_t side;
    uint32_t steps;
    char *name;
    char *about;
} first_failure;

/* Runs a file on the model (fifo) and keeps what its first failure says. */
static first_failure run_file(const char *path)
{
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_scenario sc;
    if (!sim_load_file(path, &sc, &diag)) {
        sim_diag_print(&diag, stderr);
        fail_msg("%s does not load", path);
    }
    sim_diag_fini(&diag);
    sim_run_options opt = sim_run_options_default();
    sim_result r;
    sim_run_model(&sc, &opt, &r);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    const sim_failure *f = &r.failures[0];
    first_failure ff = {.message = strdup(f->message), .expected = f->expected ? strdup(f->expected) : NULL,
                        .observed = f->observed ? strdup(f->observed) : NULL, .has_outcome = f->has_outcome,
                        .outcome = f->outcome, .side = f->side, .steps = sc.step_count,
                        .name = strdup(sc.name), .about = sc.about ? strdup(sc.about) : NULL};
    sim_result_free(&r);
    sim_scenario_free(&sc);
    return ff;
}

static void free_ff(first_failure *f)
{
    free(f->message);
    free(f->expected);
    free(f->observed);
    free(f->name);
    free(f->about);
}

static void shrink_keeps_failure(const char *name)
{
    char in[512];
    snprintf(in, sizeof in, "%s/%s", DATA, name);
    char *out = st_write_temp("", ".yaml");
    const char *argv[] = {"portsim", "shrink", "--no-color", "-o", out, in, NULL};
    ct_result r = ct_run(argv);
    if (r.code != 0) fail_msg("%s: shrink exit %d\n%s%s", name, r.code, r.out, r.err);
    assert_non_null(strstr(r.out, "still fails the same way (checked on "));
    ct_free(&r);
    first_failure a = run_file(in), b = run_file(out);
    if (strcmp(a.message, b.message) != 0 || (a.expected == NULL) != (b.expected == NULL) ||
        (a.expected && strcmp(a.expected, b.expected) != 0) || a.has_outcome != b.has_outcome ||
        a.outcome != b.outcome || a.side != b.side) {
        fail_msg("%s: the original fails with \"%s: expected %s, observed %s\" (outcome %d, side %d), the shrunk "
                 "file with \"%s: expected %s, observed %s\" (outcome %d, side %d)",
                 name, a.message, a.expected, a.observed, a.outcome, a.side, b.message, b.expected, b.observed,
                 b.outcome, b.side);
    }
    bool timing = strstr(a.message, "elapsed") != NULL;
    if (!timing) assert_string_equal(a.observed, b.observed);
    assert_true(b.steps < a.steps);
    char want[200];
    snprintf(want, sizeof want, "%s-shrunk", a.name);
    assert_string_equal(b.name, want);
    if (a.about != NULL) {
        assert_non_null(b.about);
        assert_true(strncmp(b.about, "Shrunk by portsim shrink from ", 30) == 0);
    }
    free_ff(&a);
    free_ff(&b);
    unlink(out);
    free(out);
}

/* 21 ms for an expected 20 ms: the shrunk send still succeeds, still too late (not "0ns"). */
static void test_shrink_elapsed_stays_too_late(void **state)
{
    (void)state;
    shrink_keeps_failure("elapsed-exact.yaml");
}

static void test_shrink_wrong_status(void **state)
{
    (void)state;
    shrink_keeps_failure("wrong-status.yaml");
}

static void test_shrink_event_count(void **state)
{
    (void)state;
    shrink_keeps_failure("event-count.yaml");
}

/* A scenario that does not fail, or a folder: nothing is written, exit 2. */
static void test_shrink_refuses_what_it_cannot_shrink(void **state)
{
    (void)state;
    char *out = st_write_temp("untouched\n", ".yaml");
    const char *ok[] = {"portsim", "shrink", "-o", out, PORTSIM_SOURCE_DIR "/scenarios/send/echo-request-reply.yaml",
                        NULL};
    ct_result r = ct_run(ok);
    assert_int_equal(r.code, CLI_EXIT_USAGE);
    assert_non_null(strstr(r.err, "does not fail with these options"));
    ct_free(&r);
    char *text = st_read_file(out, NULL);
    assert_string_equal(text, "untouched\n");
    free(text);
    const char *none[] = {"portsim", "shrink", DATA "/event-count.yaml", NULL};
    r = ct_run(none);
    assert_int_equal(r.code, CLI_EXIT_USAGE);
    assert_non_null(strstr(r.err, "shrink needs -o FILE"));
    ct_free(&r);
    unlink(out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shrink_elapsed_stays_too_late),
        cmocka_unit_test(test_shrink_wrong_status),
        cmocka_unit_test(test_shrink_event_count),
        cmocka_unit_test(test_shrink_refuses_what_it_cannot_shrink),
    };
    return cmocka_run_group_tests_name("cli_shrink", tests, NULL, NULL);
}
