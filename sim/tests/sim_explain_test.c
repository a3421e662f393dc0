/*
 * sim_explain_test.c — the joint check (sim_explain.h): a model run consistent with a whole
 * observation, or the observation where none is, proven when the exhaustive search completes.
 *
 * The scenario (explain-joint.yaml): two clients send at once to a server whose handler
 * invalidates its port (R46): the first request is answered (success), the second finds the
 * port gone (-5). Each outcome is allowed for each send (the per-call sets), but only one send
 * can succeed: an observation of two successes is a hand-made impossible run, a proven
 * divergence at the second send to end.
 */
#include "sim_test_util.h"

#include "sim_explain.h"

#include <stdlib.h>
#include <string.h>

#define JOINT_FILE PORTSIM_SOURCE_DIR "/sim/tests/explain-joint.yaml"

/* The scenario and a model run's observation with the given options (joint_free). */
static void joint_setup(const sim_run_options *opt, sim_scenario *sc, sim_obs *obs);

/* A model run's observation (sim_obs_fini), with the given options. */
static void observe(const sim_scenario *sc, const sim_run_options *opt, sim_obs *obs)
{
    sim_compiled c;
    char err[200];
    assert_true(sim_compile(sc, opt->profile, &c, err, sizeof err));
    assert_true(sim_model_observe(&c, opt, obs));
    sim_compiled_free(&c);
}

static void joint_setup(const sim_run_options *opt, sim_scenario *sc, sim_obs *obs)
{
    size_t len = 0;
    char *text = st_read_file(JOINT_FILE, &len);
    assert_non_null(text);
    st_load_text("joint.yaml", text, sc);
    free(text);
    observe(sc, opt, obs);
}

static void joint_free(sim_scenario *sc, sim_obs *obs)
{
    sim_obs_fini(obs);
    sim_scenario_free(sc);
}

static sim_explain_plan plan_for(void)
{
    sim_explain_plan p = sim_explain_plan_default();
    p.allowed.jitter_ns = 15 * CM_NS_PER_MS; /* conform's default tolerance: the late-host runs too */
    p.allowed.jitter_pct = 15;
    return p;
}

/* The real run is the model's fifo run: the first run tried explains it, and says how to replay it. */
static void test_a_model_run_is_explained_by_itself(void **state)
{
    (void)state;
    sim_scenario sc;
    sim_run_options opt = sim_run_options_default();
    sim_obs obs;
    joint_setup(&opt, &sc, &obs);
    sim_explain_plan plan = plan_for();
    sim_explain *x = calloc(1, sizeof *x);
    char err[256];
    assert_true(sim_explain_run(&sc, &obs, &plan, x, err, sizeof err));
    assert_int_equal(x->verdict, SIM_EXPLAINED);
    assert_int_equal(x->runs, 1);
    assert_string_equal(x->how, "the fifo run");
    assert_true(x->observations >= 6 && x->matched == x->observations);
    char *replay = sim_explain_replay(x, "joint.yaml", "ventura");
    assert_non_null(replay);
    assert_string_equal(replay, "portsim replay joint.yaml --seed 1 --strategy fifo --profile ventura --latency");
    free(replay);
    free(x);
    joint_free(&sc, &obs);
}

/* The index of the send that failed with -5 (R46: the port was gone), or SIM_NONE. */
static uint32_t second_send(const sim_scenario *sc, const sim_obs *obs)
{
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        if (sc->steps[obs->execs[i].step].op == CM_OP_SEND && obs->execs[i].value == -5) return i;
    }
    return SIM_NONE;
}

/* Two successes: each allowed alone, impossible together; every schedule was tried (a proof). */
static void test_two_successes_are_a_proven_divergence_at_the_second_send(void **state)
{
    (void)state;
    sim_scenario sc;
    sim_run_options opt = sim_run_options_default();
    sim_obs obs;
    joint_setup(&opt, &sc, &obs);
    uint32_t e = second_send(&sc, &obs);
    assert_int_not_equal(e, SIM_NONE);
    obs.execs[e].value = 0; /* success: the hand-made impossible observation */
    uint32_t step = obs.execs[e].step;
    sim_explain_plan plan = plan_for();
    sim_explain *x = calloc(1, sizeof *x);
    char err[256];
    assert_true(sim_explain_run(&sc, &obs, &plan, x, err, sizeof err));
    assert_int_equal(x->verdict, SIM_EXPLAIN_DIVERGED);
    assert_true(x->complete && x->schedules > 1);
    assert_int_equal(x->step, step);
    assert_int_equal(x->execution, 0);
    assert_true(x->matched < x->observations); /* a prefix, the second send not in it */
    char at[32];
    snprintf(at, sizeof at, "at %u:%u", sc.steps[step].loc.line, sc.steps[step].loc.col);
    if (strstr(x->where, at) == NULL || strstr(x->where, "the real run gave success") == NULL) {
        fail_msg("divergence: %s", x->where);
    }
    assert_null(sim_explain_replay(x, "joint.yaml", "ventura"));
    /* the same with a schedule budget of 1 and no other runs: not found, and no proof */
    plan.allowed.explore = 0;
    plan.allowed.jitter_ns = 0;
    plan.schedules = 1;
    assert_true(sim_explain_run(&sc, &obs, &plan, x, err, sizeof err));
    assert_int_equal(x->verdict, SIM_EXPLAIN_NOT_FOUND);
    assert_false(x->complete);
    free(x);
    joint_free(&sc, &obs);
}

/* A run the fifo order does not give (c2 served first) is found, and its replay reproduces it. */
static void test_another_order_is_found_and_its_replay_reproduces_it(void **state)
{
    (void)state;
    sim_scenario sc;
    sim_run_options fifo = sim_run_options_default();
    sim_obs base;
    joint_setup(&fifo, &sc, &base);
    sim_obs obs;
    bool swapped = false;
    for (uint64_t seed = 1; seed < 200 && !swapped; seed++) { /* a seed where c2 wins */
        sim_run_options opt = sim_run_options_default();
        opt.strategy = SIM_STRATEGY_RANDOM;
        opt.seed = seed;
        observe(&sc, &opt, &obs);
        uint32_t a = second_send(&sc, &base), b = second_send(&sc, &obs);
        swapped = a != SIM_NONE && b != SIM_NONE && base.execs[a].step != obs.execs[b].step;
        if (!swapped) sim_obs_fini(&obs);
    }
    assert_true(swapped);
    sim_explain_plan plan = plan_for();
    sim_explain *x = calloc(1, sizeof *x);
    char err[256];
    assert_true(sim_explain_run(&sc, &obs, &plan, x, err, sizeof err));
    assert_int_equal(x->verdict, SIM_EXPLAINED);
    assert_true(x->replayable && x->runs > 1);
    sim_run_options again = x->run;
    if (again.strategy == SIM_STRATEGY_SCHEDULE) {
        again.schedule = x->picks;
        again.schedule_count = x->pick_count;
    }
    sim_obs replayed;
    observe(&sc, &again, &replayed);
    assert_int_equal(second_send(&sc, &replayed) != SIM_NONE, true);
    assert_int_equal(replayed.execs[second_send(&sc, &replayed)].step, obs.execs[second_send(&sc, &obs)].step);
    sim_obs_fini(&replayed);
    free(x);
    sim_obs_fini(&obs);
    joint_free(&sc, &base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_model_run_is_explained_by_itself),
        cmocka_unit_test(test_two_successes_are_a_proven_divergence_at_the_second_send),
        cmocka_unit_test(test_another_order_is_found_and_its_replay_reproduces_it),
    };
    return cmocka_run_group_tests_name("sim_explain", tests, NULL, NULL);
}
