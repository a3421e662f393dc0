/*
 * cli_explore_test.c — portsim explore, replay, shrink and coverage,
 * through the real command line (in-process, output captured).
 */
#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCEN PORTSIM_SOURCE_DIR "/scenarios"

/* A racy scenario: two clients, one server; which one is served first varies. */
static const char race_yaml[] =
    "scenario: race\n"
    "processes:\n"
    "  server:\n"
    "    threads:\n"
    "      main:\n"
    "        - create_local: {port: svc, name: com.example.race, handler: slow}\n"
    "        - schedule: svc\n"
    "        - run_loop: {mode: default, for: 50ms}\n"
    "  a:\n"
    "    start: 1ms\n"
    "    threads:\n"
    "      main:\n"
    "        - create_remote: {port: r, name: com.example.race}\n"
    "        - send: {port: r, msgid: 1, data: \"a\", send_timeout: 1s, recv_timeout: 15ms, reply_mode: default}\n"
    "          expect: %s\n"
    "  b:\n"
    "    start: 1ms\n"
    "    threads:\n"
    "      main:\n"
    "        - create_remote: {port: r, name: com.example.race}\n"
    "        - send: {port: r, msgid: 2, data: \"b\", send_timeout: 1s, recv_timeout: 15ms, reply_mode: default}\n"
    "handlers:\n"
    "  slow:\n"
    "    - work: 10ms\n"
    "    - reply: echo\n";

static char *write_race(const char *expect)
{
    char *path = strdup("/tmp/portsim-explore-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, race_yaml, expect);
    fclose(f);
    return path;
}

/* Seeds per scenario of the -j comparison: under memcheck (CMakeLists.txt) fewer, which still
 * gives each of the two workers many scenarios to interleave. */
#ifndef EXPLORE_JOBS_SEEDS
#define EXPLORE_JOBS_SEEDS "300"
#endif

/* The results of -j 1 and -j 2 are the same, line for line. */
static void test_explore_jobs_give_the_same_results(void **state)
{
    (void)state;
    const char *a1[] = {"portsim", "explore", "--no-color", "--seeds", EXPLORE_JOBS_SEEDS, "-j", "1", SCEN "/send", NULL};
    const char *a2[] = {"portsim", "explore", "--no-color", "--seeds", EXPLORE_JOBS_SEEDS, "-j", "2", SCEN "/send", NULL};
    ct_result r1 = ct_run(a1), r2 = ct_run(a2);
    assert_int_equal(r1.code, 0);
    assert_string_equal(r1.out, r2.out);
    assert_non_null(strstr(r1.out, "random seeds 1.." EXPLORE_JOBS_SEEDS ": " EXPLORE_JOBS_SEEDS " runs, 0 failing"));
    ct_free(&r1);
    ct_free(&r2);
}

/* Shards split the seeds: 1/2 and 2/2 together run every seed once. */
static void test_explore_shards_split_seeds(void **state)
{
    (void)state;
    char *path = write_race("[success, receive_timeout]");
    const char *s1[] = {"portsim", "explore", "--no-color", "--seeds", "101", "--shard", "1/2", path, NULL};
    const char *s2[] = {"portsim", "explore", "--no-color", "--seeds", "101", "--shard", "2/2", path, NULL};
    ct_result r1 = ct_run(s1), r2 = ct_run(s2);
    assert_int_equal(r1.code, 0);
    assert_non_null(strstr(r1.out, ": 51 runs,"));
    assert_non_null(strstr(r2.out, ": 50 runs,"));
    ct_free(&r1);
    ct_free(&r2);
    unlink(path);
    free(path);
}

/* A legitimately racy outcome: a plain expectation fails under some
 * schedule, and the printed replay reproduces exactly that failure. */
static void test_explore_failure_replays(void **state)
{
    (void)state;
    char *path = write_race("success");
    const char *args[] = {"portsim", "explore", "--no-color", "--seeds", "200", path, NULL};
    ct_result r = ct_run(args);
    assert_int_equal(r.code, 1);
    const char *replay = strstr(r.out, "replay: portsim ");
    assert_non_null(replay);
    char line[1024];
    sscanf(replay + 8, "%1023[^\n]", line);
    /* split the replay command into argv (its words are shell-safe here) */
    const char *argv[32];
    int argc = 0;
    for (char *tok = strtok(line, " "); tok != NULL && argc < 31; tok = strtok(NULL, " ")) {
        argv[argc++] = tok;
    }
    argv[argc] = NULL;
    ct_result again = ct_run(argv);
    assert_int_equal(again.code, 1);
    assert_non_null(strstr(again.out, "expected success, observed receive_timeout"));
    ct_free(&again);
    ct_free(&r);
    unlink(path);
    free(path);
}

/* pct and exhaustive: exhaustive finds the failing order and says it completed. */
static void test_explore_pct_and_exhaustive(void **state)
{
    (void)state;
    char *path = write_race("success");
    const char *ex[] = {"portsim", "explore", "--no-color", "--strategy", "exhaustive", path, NULL};
    ct_result r = ct_run(ex);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "exhaustive: "));
    assert_non_null(strstr(r.out, "; complete"));
    assert_non_null(strstr(r.out, "--strategy schedule"));
    ct_free(&r);
    const char *cut[] = {"portsim", "explore", "--no-color", "--strategy", "exhaustive",
                         "--schedules", "2", path, NULL};
    r = ct_run(cut);
    assert_non_null(strstr(r.out, "cut short: the schedule bound was reached"));
    ct_free(&r);
    const char *pct[] = {"portsim", "explore", "--no-color", "--strategy", "pct", "--seeds", "100", path, NULL};
    r = ct_run(pct);
    assert_non_null(strstr(r.out, "pct seeds 1..100: 100 runs"));
    ct_free(&r);
    unlink(path);
    free(path);
}

/* replay prints the canonical trace and the same hash as run. */
static void test_replay_prints_trace(void **state)
{
    (void)state;
    const char *run[] = {"portsim", "run", "--no-color", "--strategy", "random", "--seed", "5",
                         SCEN "/send/echo-request-reply.yaml", NULL};
    const char *rep[] = {"portsim", "replay", "--no-color", "--strategy", "random", "--seed", "5",
                         SCEN "/send/echo-request-reply.yaml", NULL};
    ct_result a = ct_run(run), b = ct_run(rep);
    assert_int_equal(a.code, 0);
    assert_int_equal(b.code, 0);
    const char *h = strstr(a.out, "hash=");
    assert_non_null(h);
    char hash[32];
    sscanf(h, "%31s", hash);
    assert_non_null(strstr(b.out, hash));
    assert_non_null(strstr(b.out, " return @"));
    ct_free(&a);
    ct_free(&b);
    const char *two[] = {"portsim", "replay", SCEN "/send", SCEN "/naming", NULL};
    a = ct_run(two);
    assert_int_equal(a.code, 2);
    ct_free(&a);
}

/* shrink: a smaller scenario that portsim run accepts and that fails the same way. */
static void test_shrink_keeps_the_failure(void **state)
{
    (void)state;
    char *path = write_race("success");
    char out[] = "/tmp/portsim-shrunk-XXXXXX.yaml";
    int fd = mkstemps(out, 5);
    close(fd);
    /* seed 2 of random: find one that fails first */
    uint64_t seed = 0;
    for (uint64_t s = 1; s < 200 && seed == 0; s++) {
        char sbuf[24];
        snprintf(sbuf, sizeof sbuf, "%llu", (unsigned long long)s);
        const char *args[] = {"portsim", "run", "--no-color", "--strategy", "random", "--seed", sbuf, path, NULL};
        ct_result r = ct_run(args);
        if (r.code == 1) seed = s;
        ct_free(&r);
    }
    assert_true(seed > 0);
    char sbuf[24];
    snprintf(sbuf, sizeof sbuf, "%llu", (unsigned long long)seed);
    const char *sh[] = {"portsim", "shrink", "--strategy", "random", "--seed", sbuf, "-o", out, path, NULL};
    ct_result r = ct_run(sh);
    assert_int_equal(r.code, 0);
    unsigned before = 0, after = 0;
    const char *msg = strstr(r.out, "steps -> ");
    assert_non_null(msg);
    sscanf(strstr(r.out, ": ") + 2, "%u steps -> %u steps", &before, &after);
    assert_true(after < before);
    ct_free(&r);
    const char *again[] = {"portsim", "run", "--no-color", "--strategy", "random", "--seed", sbuf, out, NULL};
    r = ct_run(again);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "expected success, observed receive_timeout"));
    ct_free(&r);
    const char *ok[] = {"portsim", "shrink", "-o", out, SCEN "/send/echo-request-reply.yaml", NULL};
    r = ct_run(ok);
    assert_int_equal(r.code, 2); /* nothing fails: nothing to shrink */
    ct_free(&r);
    unlink(out);
    unlink(path);
    free(path);
}

/* explore writes the reports run writes (it used to write nothing and exit 0). */
static void test_explore_writes_reports(void **state)
{
    (void)state;
    char *path = write_race("success");
    char *json = st_write_temp("", ".json"), *junit = st_write_temp("", ".xml");
    const char *args[] = {"portsim", "explore", "--no-color", "--seeds", "50", "--json", json, "--junit", junit,
                          path, NULL};
    ct_result r = ct_run(args);
    assert_int_equal(r.code, 1);
    ct_free(&r);
    char *doc = st_read_file(json, NULL);
    assert_non_null(doc);
    assert_non_null(strstr(doc, "\"command\": \"explore\""));
    assert_non_null(strstr(doc, "\"verdict\": \"fail\""));
    assert_non_null(strstr(doc, "\"explore\": {\"method\": \"random\", \"latency\": false, \"runs\": 50, \"failing_runs\": "));
    assert_non_null(strstr(doc, "\"failing_seed\": "));
    free(doc);
    doc = st_read_file(junit, NULL);
    assert_non_null(strstr(doc, "<property name=\"explore_runs\" value=\"50\"/>"));
    assert_non_null(strstr(doc, "<failure"));
    free(doc);
    const char *tap[] = {"portsim", "explore", "--seeds", "20", "--tap", "-", SCEN "/send/echo-request-reply.yaml", NULL};
    r = ct_run(tap);
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "TAP version 13\n", 15) == 0);
    assert_non_null(strstr(r.out, "ok 1 - "));
    assert_non_null(strstr(r.err, "20 runs, 0 failing"));
    ct_free(&r);
    unlink(json);
    unlink(junit);
    unlink(path);
    free(json);
    free(junit);
    free(path);
}

static void test_coverage_lists_rules(void **state)
{
    (void)state;
    const char *args[] = {"portsim", "coverage", SCEN, NULL};
    ct_result r = ct_run(args);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, " of 67 rules covered by "));
    assert_non_null(strstr(r.out, "R33 "));
    assert_non_null(strstr(r.out, "not covered: R66 ("));
    ct_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explore_jobs_give_the_same_results),
        cmocka_unit_test(test_explore_shards_split_seeds),
        cmocka_unit_test(test_explore_failure_replays),
        cmocka_unit_test(test_explore_pct_and_exhaustive),
        cmocka_unit_test(test_replay_prints_trace),
        cmocka_unit_test(test_shrink_keeps_the_failure),
        cmocka_unit_test(test_explore_writes_reports),
        cmocka_unit_test(test_coverage_lists_rules),
    };
    return cmocka_run_group_tests_name("cli_explore", tests, NULL, NULL);
}
