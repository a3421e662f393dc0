/*
 * cli_fuzz_test.c — portsim fuzz through the real command line: the model
 * alone over a fixed seed range finds nothing and says so (exit 0, a
 * summary naming the scenarios and features), the same seeds give the same
 * summary counts with -j 1 and -j 2, the model backend agrees with the model,
 * and usage errors exit 2.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t files_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    uint32_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static char *features_line(const char *out)
{
    return ct_line_starting(out, "features (scenarios using each):");
}

#ifndef FUZZ_TEST_RUNS
#define FUZZ_TEST_RUNS "60"
#endif

static void test_model_only_campaign(void **state)
{
    (void)state;
    char dir[] = "/tmp/portsim-fuzz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *a1[] = {"portsim", "fuzz", "--runs", FUZZ_TEST_RUNS, "--seed", "5", "-j", "1", "-o", dir, NULL};
    ct_result r1 = ct_run(a1);
    if (r1.code != 0) fprintf(stderr, "%s%s", r1.out, r1.err);
    assert_int_equal(r1.code, 0);
    assert_non_null(strstr(r1.out, "fuzz: " FUZZ_TEST_RUNS " scenarios in"));
    assert_non_null(strstr(r1.out, "on the model alone: 0 findings (0 new)"));
    assert_int_equal(files_in(dir), 0);
    const char *a2[] = {"portsim", "fuzz", "--runs", FUZZ_TEST_RUNS, "--seed", "5", "-j", "2", "-o", dir, NULL};
    ct_result r2 = ct_run(a2);
    assert_int_equal(r2.code, 0);
    char *f1 = features_line(r1.out), *f2 = features_line(r2.out);
    assert_non_null(f1);
    assert_non_null(f2);
    assert_string_equal(f1, f2); /* the seeds, not the threads, decide what is generated */
    free(f1);
    free(f2);
    ct_free(&r1);
    ct_free(&r2);
    rmdir(dir);
}

/* Differential mode against the model backend (a world agent is sent each scenario's file):
 * the model agrees with itself, so nothing is found, and the work folder is cleaned up. Seeds
 * 12..23 hold three (12, 15, 21) that once failed "no reply is matched to the wrong request": the
 * runner paired a world agent's callout_done with another process's open callout on the same
 * thread label (conf_observe.c; conf_observe_test has the hand-made case). */
static void test_against_the_model_backend(void **state)
{
    (void)state;
    char dir[] = "/tmp/portsim-fuzz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *argv[] = {"portsim", "fuzz", "--backend", "model", "--seed", "12", "--runs", "12", "-o", dir, NULL};
    ct_result r = ct_run(argv);
    if (r.code != 0) fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "fuzz: 12 scenarios in"));
    assert_non_null(strstr(r.out, "on model: 0 findings (0 new)"));
    assert_int_equal(files_in(dir), 0);
    ct_free(&r);
    rmdir(dir);
}

/* Model against model (issue 11): the known difference of the profiles (R19, section 11: ventura
 * refuses SetName on a port with a dispatch queue, cf-1153 allows it) is found within 20 seeds
 * (at seed 20: docs/scenario-format.md; here that seed alone, twice, as valgrind is slow), the
 * same every time, saved once with a reproducer that shows it. Seed 61 once crashed the model
 * under cf-1153 (a renamed port's old Mach port delivered to its queue): it must not. */
static void test_model_against_model(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        char dir[] = "/tmp/portsim-fuzz-XXXXXX";
        assert_non_null(mkdtemp(dir));
        const char *argv[] = {"portsim", "fuzz", "--profile", "ventura", "--against-profile", "cf-1153",
                              "--runs", "1", "--seed", "20", "-o", dir, NULL};
        ct_result r = ct_run(argv);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.out, "profile cf-1153 differs from ventura: 18:28: set_name result: expected false, "
                                      "observed true"));
        assert_int_equal(files_in(dir), 1);
        char path[256];
        snprintf(path, sizeof path, "%s/profile-cf-1153-3258dc62f4a4dacd.yaml", dir);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char head[512] = "";
        size_t n = fread(head, 1, sizeof head - 1, f);
        head[n] = '\0';
        fclose(f);
        assert_non_null(strstr(head, "(seed 20)"));
        assert_non_null(strstr(head, "# reproduce: portsim run --profile cf-1153 "));
        const char *cf[] = {"portsim", "run", "--profile", "cf-1153", path, NULL};
        const char *ventura[] = {"portsim", "run", "--profile", "ventura", path, NULL};
        ct_result a = ct_run(cf), b = ct_run(ventura);
        assert_int_equal(a.code, 1); /* the reproducer shows the difference */
        assert_int_equal(b.code, 0);
        ct_free(&a);
        ct_free(&b);
        unlink(path);
        ct_free(&r);
        rmdir(dir);
    }
    char dir[] = "/tmp/portsim-fuzz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *crashed[] = {"portsim", "fuzz", "--profile", "ventura", "--against-profile", "cf-1153",
                             "--runs", "1", "--seed", "61", "-o", dir, NULL};
    ct_result r = ct_run(crashed);
    assert_true(r.code == 0 || r.code == 1); /* a finding or none, not an abort */
    assert_non_null(strstr(r.out, "fuzz: 1 scenarios in"));
    ct_free(&r);
    char path[256];
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *no_dir[] = {"portsim", "fuzz", "--runs", "1", NULL};
    ct_result r = ct_run(no_dir);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "fuzz needs -o DIR"));
    ct_free(&r);
    const char *path[] = {"portsim", "fuzz", "-o", "/tmp", "scenarios/", NULL};
    r = ct_run(path);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "fuzz takes no PATH"));
    ct_free(&r);
    const char *both[] = {"portsim", "fuzz", "-o", "/tmp", "--backend", "posix", "--agent", "/bin/true", NULL};
    r = ct_run(both);
    assert_int_equal(r.code, 2);
    ct_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_only_campaign),
        cmocka_unit_test(test_against_the_model_backend),
        cmocka_unit_test(test_model_against_model),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
