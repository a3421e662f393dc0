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
#include "sim_explore_run.h"

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

/* The hand-made impossible observation: the fifo run with its second send made a success (each
 * send's outcome allowed alone, not both together). Returns that send's execution. */
static uint32_t two_successes(sim_scenario *sc, sim_obs *obs)
{
    sim_run_options opt = sim_run_options_default();
    joint_setup(&opt, sc, obs);
    uint32_t e = second_send(sc, obs);
    assert_int_not_equal(e, SIM_NONE);
    obs->execs[e].value = 0; /* success */
    return e;
}

/* Two successes: each allowed alone, impossible together; every schedule was tried (a proof). */
static void test_two_successes_are_a_proven_divergence_at_the_second_send(void **state)
{
    (void)state;
    sim_scenario sc;
    sim_obs obs;
    uint32_t e = two_successes(&sc, &obs);
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

/*
 * Issue 14 item 3: the run the joint check settles on is kept for the report (keep_obs), and the
 * calls of the two runs with no equal in the other are exactly the diverging ones: with the
 * impossible two-successes observation, the second send (success here, -5 in every model run that
 * matches the longest prefix) differs on both sides and nothing else does.
 */
static void test_the_closest_run_is_kept_and_its_differing_calls_marked(void **state)
{
    (void)state;
    sim_scenario sc;
    sim_obs obs;
    uint32_t e = two_successes(&sc, &obs);
    sim_explain_plan plan = plan_for();
    plan.keep_obs = true;
    sim_explain *x = calloc(1, sizeof *x);
    char err[256];
    assert_true(sim_explain_run(&sc, &obs, &plan, x, err, sizeof err));
    assert_int_equal(x->verdict, SIM_EXPLAIN_DIVERGED);
    assert_non_null(x->obs);
    assert_true(x->how[0] != '\0'); /* which run it is, for the caption */
    uint8_t *mine = calloc(obs.exec_count + 1, 1), *theirs = calloc(x->obs->exec_count + 1, 1);
    assert_true(sim_explain_differences(&sc, &plan, &obs, x->obs, mine, theirs));
    uint32_t differing = 0, theirs_differing = 0;
    for (uint32_t i = 0; i < obs.exec_count; i++) differing += mine[i];
    for (uint32_t i = 0; i < x->obs->exec_count; i++) theirs_differing += theirs[i];
    assert_int_equal(mine[e], 1);
    assert_int_equal(differing, 1);
    assert_true(theirs_differing >= 1);
    /* the same step's execution in the kept run is the one marked */
    for (uint32_t i = 0; i < x->obs->exec_count; i++) {
        if (theirs[i]) assert_int_equal(x->obs->execs[i].step, obs.execs[e].step);
    }
    /* a run compared with itself differs nowhere */
    assert_true(sim_explain_differences(&sc, &plan, x->obs, x->obs, theirs, theirs));
    for (uint32_t i = 0; i < x->obs->exec_count; i++) assert_int_equal(theirs[i], 0);
    free(mine);
    free(theirs);
    sim_explain_fini(x);
    assert_null(x->obs);
    /* explained: the run kept is the explaining one, and nothing differs */
    obs.execs[e].value = -5;
    assert_true(sim_explain_run(&sc, &obs, &plan, x, err, sizeof err));
    assert_int_equal(x->verdict, SIM_EXPLAINED);
    assert_non_null(x->obs);
    mine = calloc(obs.exec_count + 1, 1);
    theirs = calloc(x->obs->exec_count + 1, 1);
    assert_true(sim_explain_differences(&sc, &plan, &obs, x->obs, mine, theirs));
    for (uint32_t i = 0; i < obs.exec_count; i++) assert_int_equal(mine[i], 0);
    free(mine);
    free(theirs);
    sim_explain_fini(x);
    free(x);
    joint_free(&sc, &obs);
}

#define TIE_FAIL_FILE PORTSIM_SOURCE_DIR "/sim/tests/explain-tie-fail.yaml"

/* `portsim explore --html` (issue 14, item 3): the failing schedule's result carries a passing run
 * beside it, for both search methods, and the send that fails is the call marked on both sides. */
static void test_explore_keeps_a_passing_run_beside_the_failing_one(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = st_read_file(TIE_FAIL_FILE, &len);
    assert_non_null(text);
    sim_scenario sc;
    st_load_text("tie-fail.yaml", text, &sc);
    free(text);
    for (int exhaustive = 0; exhaustive < 2; exhaustive++) {
        sim_explore_plan plan = sim_explore_plan_default();
        plan.exhaustive = exhaustive;
        plan.seeds = 30;
        plan.run.keep_obs = true;
        sim_result r;
        sim_explore_scenario(&sc, &plan, &r);
        assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
        const sim_beside *b = &r.beside;
        assert_non_null(r.obs);
        assert_non_null(b->obs);
        assert_string_equal(b->own_label, "failing");
        assert_string_equal(b->other_label, "passing");
        assert_true(sim_beside_validate(b, r.obs));
        print_message("%s: beside it, %s\n", exhaustive ? "exhaustive" : "seeds", b->how);
        uint32_t marked = 0;
        for (uint32_t i = 0; i < b->own_count; i++) {
            if (!b->own_differs[i]) continue;
            marked++;
            assert_int_equal(sc.steps[r.obs->execs[i].step].op, CM_OP_SEND);
            assert_int_equal(r.obs->execs[i].value, 0);  /* success: what the expectation forbids */
        }
        assert_int_equal(marked, 1);
        for (uint32_t i = 0; i < b->other_count; i++) {
            if (b->other_differs[i]) assert_int_equal(b->obs->execs[i].value, -2); /* receive_timeout */
        }
        sim_result_free(&r);
        /* without keep_obs nothing is kept */
        plan.run.keep_obs = false;
        sim_explore_scenario(&sc, &plan, &r);
        assert_null(r.beside.obs);
        sim_result_free(&r);
    }
    sim_scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_model_run_is_explained_by_itself),
        cmocka_unit_test(test_two_successes_are_a_proven_divergence_at_the_second_send),
        cmocka_unit_test(test_another_order_is_found_and_its_replay_reproduces_it),
        cmocka_unit_test(test_the_closest_run_is_kept_and_its_differing_calls_marked),
        cmocka_unit_test(test_explore_keeps_a_passing_run_beside_the_failing_one),
    };
    return cmocka_run_group_tests_name("sim_explain", tests, NULL, NULL);
}
