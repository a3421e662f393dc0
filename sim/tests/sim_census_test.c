/*
 * sim_census_test.c — the census of sim_census.h through sim_explore_scenario:
 * counts per step and outcome, the same whatever -j is, the unreached allowed
 * outcome (a warning's count, a failure when strict), and the latency bound
 * of sim_run_options.max_latency_ns.
 */
#include "sim_test_util.h"

#include <stdlib.h>
#include <string.h>

#include "sim_census.h"
#include "sim_explore_run.h"

/* A race: which of two clients' sends times out depends on the schedule; one step's null is unreachable. */
static const char race[] =
    "scenario: census-race\n"
    "processes:\n"
    "  server:\n"
    "    threads:\n"
    "      main:\n"
    "        - create_local: {port: svc, name: com.example.census-race, handler: slow}\n"
    "          expect: {result: [created, null]}\n"
    "        - schedule: svc\n"
    "        - signal: ready\n"
    "        - run_loop: {mode: default, for: 50ms}\n"
    "  a:\n"
    "    threads:\n"
    "      main:\n"
    "        - wait_for: ready\n"
    "        - create_remote: {port: r, name: com.example.census-race}\n"
    "        - send: {port: r, msgid: 1, data: \"a\", send_timeout: 1s, recv_timeout: 15ms, reply_mode: default}\n"
    "          expect: [success, receive_timeout]\n"
    "  b:\n"
    "    threads:\n"
    "      main:\n"
    "        - wait_for: ready\n"
    "        - create_remote: {port: r, name: com.example.census-race}\n"
    "        - send: {port: r, msgid: 2, data: \"b\", send_timeout: 1s, recv_timeout: 15ms, reply_mode: default}\n"
    "handlers:\n"
    "  slow: [{work: 10ms}, {reply: echo}]\n";

#ifndef CENSUS_SEEDS
#define CENSUS_SEEDS 400u /* the valgrind preset: fewer */
#endif

static void explore(const sim_scenario *sc, uint32_t jobs, bool strict, sim_result *out)
{
    sim_explore_plan plan = sim_explore_plan_default();
    plan.seeds = CENSUS_SEEDS;
    plan.jobs = jobs;
    plan.census = true;
    plan.strict = strict;
    sim_explore_scenario(sc, &plan, out);
}

static const sim_census_step *line_at(const sim_result *r, uint32_t line)
{
    for (uint32_t i = 0; i < r->census.step_count; i++) {
        if (r->census.steps[i].line == line) return &r->census.steps[i];
    }
    return NULL;
}

/* Both outcomes of the racy send are counted, they sum to the schedules, and -j 2 counts the same. */
static void test_census_counts_outcomes_per_step(void **state)
{
    (void)state;
    sim_scenario sc;
    st_load_text("race.yaml", race, &sc);
    sim_result r1, r2;
    explore(&sc, 1, false, &r1);
    explore(&sc, 2, false, &r2);
    assert_int_equal(r1.verdict, SIM_VERDICT_PASS);
    assert_true(r1.census.present);
    assert_int_equal(r1.census.schedules, CENSUS_SEEDS);
    const sim_census_step *send = line_at(&r1, 17), *send2 = line_at(&r2, 17);
    assert_non_null(send);
    assert_non_null(send2);
    assert_string_equal(send->op, "send");
    assert_int_equal(send->outcome_count, 2);
    assert_string_equal(send->outcomes[0].text, "success");
    assert_string_equal(send->outcomes[1].text, "receive_timeout");
    assert_true(send->outcomes[0].schedules > 0 && send->outcomes[1].schedules > 0);
    assert_int_equal(send->outcomes[0].schedules + send->outcomes[1].schedules, CENSUS_SEEDS);
    for (uint32_t k = 0; k < 2; k++) assert_int_equal(send->outcomes[k].schedules, send2->outcomes[k].schedules);
    /* the server's create_local: created always, null never, in schedules or conform's runs */
    const sim_census_step *create = line_at(&r1, 7);
    assert_non_null(create);
    if (create == NULL) return; /* (assert_non_null stops the test; gcc cannot know it) */
    assert_string_equal(create->outcomes[1].text, "null");
    assert_int_equal(create->outcomes[1].schedules, 0);
    assert_false(create->outcomes[1].in_account);
    assert_int_equal(r1.census.unreached, 1);
    assert_true(r1.census.account_runs > 1);
    assert_int_equal(r1.failure_count, 0); /* not strict: a warning's count only */
    sim_result_free(&r1);
    sim_result_free(&r2);
    sim_scenario_free(&sc);
}

/* Strict: the unreached outcome fails the result at its expectation; no run failed, so no replay. */
static void test_strict_census_fails_the_result(void **state)
{
    (void)state;
    sim_scenario sc;
    st_load_text("race.yaml", race, &sc);
    sim_result r;
    explore(&sc, 1, true, &r);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    assert_int_equal(r.failure_count, 1);
    assert_int_equal(r.failures[0].line, 7);
    char want[96];
    snprintf(want, sizeof want, "allowed outcome null never reached in %u schedules (random)", CENSUS_SEEDS);
    assert_non_null(strstr(r.failures[0].message, want));
    assert_null(r.replay);
    assert_true(sim_result_validate(&r));
    sim_result_free(&r);
    sim_scenario_free(&sc);
}

/* The core offers no latency above the bound: with 1 ms no deadline tie is explored, unbounded it is. */
static void test_latency_bound(void **state)
{
    (void)state;
    sim_scenario sc;
    st_load_text("race.yaml", race, &sc);
    sim_explore_plan plan = sim_explore_plan_default();
    plan.exhaustive = true;
    plan.run.explore_latency = true;
    plan.run.max_latency_ns = CM_NS_PER_MS;
    sim_result wide, narrow;
    sim_explore_scenario(&sc, &plan, &narrow);
    plan.run.max_latency_ns = CM_DURATION_FOREVER;
#ifdef CENSUS_WIDE_CAPPED /* memcheck: the unbounded search takes 40 s there; past the bounded one's count is enough */
    plan.schedules = narrow.explored.runs + 1;
#endif
    sim_explore_scenario(&sc, &plan, &wide);
    plan.schedules = sim_explore_plan_default().schedules;
    plan.run.max_latency_ns = CM_NS_PER_MS;
    plan.run.explore_latency = false;
    sim_result none;
    sim_explore_scenario(&sc, &plan, &none);
#ifndef CENSUS_WIDE_CAPPED
    assert_true(wide.explored.complete);
#endif
    assert_true(narrow.explored.complete && none.explored.complete);
    assert_true(wide.explored.runs > narrow.explored.runs);
    assert_int_equal(narrow.explored.runs, none.explored.runs); /* every tie here is ms away */
    assert_non_null(strstr(wide.replay, "--max-latency forever"));
    sim_result_free(&wide);
    sim_result_free(&narrow);
    sim_result_free(&none);
    sim_scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_census_counts_outcomes_per_step),
        cmocka_unit_test(test_strict_census_fails_the_result),
        cmocka_unit_test(test_latency_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
