/*
 * sim_por_test.c — partial-order reduction of the exhaustive search
 * (sim_explore.h, sleep sets): reduced and unreduced exploration reach the
 * same outcomes per step and the same failures, on the fan-in scenario
 * (N clients, two two-way sends each with 10 ms timeouts, one server whose
 * handler works 1 ms) for N = 2, 3 and on corpus scenarios with racy
 * expectations; and reduction really runs fewer schedules.
 */
#include "sim_test_util.h"

#include <stdlib.h>
#include <string.h>

#include "sim_census.h"
#include "sim_check.h"
#include "sim_explore.h"

/* The fan-in scenario of issue 11 with n clients (the text is malloc'd). */
static char *fan_in(uint32_t n)
{
    size_t cap = 1024 + (size_t)n * 512, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    len += (size_t)snprintf(t + len, cap - len,
                            "scenario: fan-in-%u\n"
                            "processes:\n"
                            "  server:\n"
                            "    threads:\n"
                            "      main:\n"
                            "        - create_local: {port: svc, name: com.example.fanin, handler: work}\n"
                            "        - schedule: svc\n"
                            "        - run_loop: {mode: default, for: 20ms}\n",
                            n);
    for (uint32_t i = 1; i <= n; i++) {
        len += (size_t)snprintf(t + len, cap - len,
                                "  c%u:\n"
                                "    start: 1ms\n"
                                "    threads:\n"
                                "      main:\n"
                                "        - create_remote: {port: r, name: com.example.fanin}\n"
                                "        - send: {port: r, msgid: 1, data: \"a\", send_timeout: 10ms, recv_timeout: 10ms, reply_mode: default}\n"
                                "          expect: [success, receive_timeout]\n"
                                "        - send: {port: r, msgid: 2, data: \"b\", send_timeout: 10ms, recv_timeout: 10ms, reply_mode: default}\n"
                                "          expect: [success, receive_timeout]\n",
                                i);
    }
    snprintf(t + len, cap - len, "handlers:\n  work: [{work: 1ms}, {reply: echo}]\n");
    return t;
}

#define FAILS_MAX 256

/* The distinct failures (step, kind, outcome) of every schedule of one search. */
typedef struct por_fails {
    uint64_t keys[FAILS_MAX];
    uint32_t count;
} por_fails;

/* Each schedule checked (its steps' outcomes, not the expectations of one run): failures kept. */
static bool check_schedule(void *user, const sim_scenario *sc, const sim_obs *obs)
{
    por_fails *x = user;
    assert_true(x->count <= FAILS_MAX);
    sim_result r;
    sim_result_init(&r);
    sim_check_ex(sc, obs, &r, SIM_CHECK_NO_STEPS);
    for (uint32_t i = 0; i < r.failure_count; i++) {
        const sim_failure *f = &r.failures[i];
        uint64_t key = (uint64_t)f->step << 40 ^ (uint64_t)f->kind << 32 ^ (uint32_t)f->outcome;
        bool known = false;
        for (uint32_t k = 0; k < x->count; k++) known = known || x->keys[k] == key;
        if (!known && x->count < FAILS_MAX) x->keys[x->count++] = key;
    }
    bool passed = r.verdict == SIM_VERDICT_PASS;
    sim_result_free(&r);
    return passed;
}

/* Both complete, the same outcome set per step, the same failures; returns the two schedule counts. */
static void compare(const sim_scenario *sc, uint64_t *full_runs, uint64_t *reduced_runs)
{
    static sim_exhaustive_result full, reduced;
    static por_fails fa, fb;
    memset(&fa, 0, sizeof fa);
    memset(&fb, 0, sizeof fb);
    sim_census a, b;
    sim_exhaustive_limits lim = {.depth_max = 200, .schedules_max = 200000, .prune_states = true};
    st_explore_census(sc, &lim, check_schedule, &fa, &a, &full);
    lim.reduce = true;
    st_explore_census(sc, &lim, check_schedule, &fb, &b, &reduced);
    assert_true(full.complete);
    assert_true(reduced.complete);
    assert_int_equal(full.failures > 0, reduced.failures > 0);
    st_census_assert_same(&a, &b, sc->step_count);
    assert_int_equal(fa.count, fb.count);
    for (uint32_t i = 0; i < fa.count; i++) {
        bool found = false;
        for (uint32_t k = 0; k < fb.count; k++) found = found || fa.keys[i] == fb.keys[k];
        assert_true(found);
    }
    sim_census_fini(&a);
    sim_census_fini(&b);
    *full_runs = full.schedules;
    *reduced_runs = reduced.schedules;
}

#ifndef POR_FAN_IN_MAX
#define POR_FAN_IN_MAX 3u /* the valgrind preset: 2 (N=3's 11,580 unreduced schedules take minutes) */
#endif

static void test_fan_in_same_outcomes_fewer_schedules(void **state)
{
    (void)state;
    static const uint64_t unreduced[] = {268, 11580}; /* issue 11's figures */
    for (uint32_t n = 2; n <= POR_FAN_IN_MAX; n++) {
        char *text = fan_in(n);
        sim_scenario sc;
        st_load_text("fan-in.yaml", text, &sc);
        uint64_t full = 0, reduced = 0;
        compare(&sc, &full, &reduced);
        assert_int_equal(full, unreduced[n - 2]);
        assert_true(reduced < full); /* the reduction is real (N=3: 2,879 against 11,580) */
        sim_scenario_free(&sc);
        free(text);
    }
}

/* Corpus scenarios whose expectations allow several outcomes (races, deadline ties, restarts). */
static void test_corpus_races_same_outcomes(void **state)
{
    (void)state;
    static const char *const files[] = {
        "scenarios/runloop/source-on-worker-thread.yaml", "scenarios/naming/reconnect-after-restart.yaml",
        "scenarios/remote/restart-cached-null-then-retry.yaml", "scenarios/clients/hammerspoon-reconnect.yaml",
        "scenarios/timeouts/reply-at-deadline-tie.yaml", "scenarios/naming/launchd-check-in-restart.yaml",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", PORTSIM_SOURCE_DIR, files[i]);
        sim_diag diag;
        sim_diag_init(&diag, NULL);
        sim_scenario sc;
        bool ok = sim_load_file(path, &sc, &diag);
        sim_diag_fini(&diag);
        assert_true(ok);
        uint64_t full = 0, reduced = 0;
        compare(&sc, &full, &reduced);
        assert_true(reduced <= full);
        print_message("%s: %llu schedules, %llu reduced\n", files[i], (unsigned long long)full,
                      (unsigned long long)reduced);
        sim_scenario_free(&sc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fan_in_same_outcomes_fewer_schedules),
        cmocka_unit_test(test_corpus_races_same_outcomes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
