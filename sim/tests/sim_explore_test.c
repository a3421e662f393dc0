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

#define TRACE_TEXT_BYTES 65536

typedef struct ctx {
    int64_t rcv_ns;
    uint64_t last_hash;
    uint32_t runs;
    int fail_on_status; /* fail when a send returns this status */
    char *trace_text;   /* when set: the last run's canonical trace, one event a line */
} ctx;

/* The canonical text of every kept event, so two runs can be compared line by line
 * (the hash alone could hide a bug in the hash). */
static void keep_trace_text(const cm_world *w, char *out, size_t cap)
{
    uint32_t count = 0;
    const cm_event *ev = cm_world_events(w, &count);
    assert_true(count > 0);
    assert_true(count == cm_world_event_count(w)); /* every event kept */
    size_t used = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t need = cm_event_format(w, &ev[i], out + used, cap - used);
        assert_true(used + need + 2 < cap);
        used += need;
        out[used++] = '\n';
        out[used] = '\0';
    }
}

static bool run_once(void *user, const cm_strategy *strategy, void *sctx)
{
    ctx *c = user;
    tb b;
    tb_init(&b);
    build(&b, c->rcv_ns);
    tb_make(&b, strategy, sctx);
    tb_world_run(b.w);
    c->last_hash = cm_world_trace_hash(b.w);
    if (c->trace_text != NULL) keep_trace_text(b.w, c->trace_text, TRACE_TEXT_BYTES);
    c->runs++;
    /* fails when the first client's send (program 2, op 2) gets the status */
    const cm_event *r = tb_return(&b, 2, 2, 0);
    bool ok = r == NULL || r->ret.result != c->fail_on_status;
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

/* Records every choice another strategy makes, as sim_schedule would see it. */
typedef struct recorder {
    const cm_strategy *inner;
    void *inner_ctx;
    sim_choice_record seen[512];
    uint32_t count;
} recorder;

/* The inner strategy decides; the pick is kept so the run can be replayed. */
static uint32_t recorder_choose(void *user, const cm_choice *choice)
{
    recorder *r = user;
    uint32_t pick = r->inner->choose(r->inner_ctx, choice);
    assert_true(pick < choice->count);
    assert_true(r->count < 512);
    r->seen[r->count++] = (sim_choice_record){.pick = pick, .count = choice->count, .kind = choice->kind};
    return pick;
}

static const cm_strategy recorder_strategy = {.name = "recorder", .choose = recorder_choose};

/* Schedules (sim_explore.h): a pct run, recorded as a schedule, printed and parsed
 * back as `--schedule` text, replays to the same choices, trace text and trace hash. */
static void test_recorded_schedule_replays_exactly(void **state)
{
    (void)state;
    static char recorded_text[TRACE_TEXT_BYTES], replayed_text[TRACE_TEXT_BYTES];
    ctx c = {.rcv_ns = 2 * MS, .fail_on_status = 99};
    run_once(&c, &cm_strategy_fifo, NULL);
    uint64_t fifo_hash = c.last_hash;
    uint32_t runs_unlike_fifo = 0, nonzero_picks = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        /* record: pct decides, the recorder keeps each pick */
        sim_pct pct;
        sim_pct_init(&pct, seed, 3, 40);
        recorder rec = {.inner = &sim_strategy_pct, .inner_ctx = &pct};
        c.trace_text = recorded_text;
        run_once(&c, &recorder_strategy, &rec);
        uint64_t recorded_hash = c.last_hash;
        assert_true(rec.count > 0);
        for (uint32_t i = 0; i < rec.count; i++) nonzero_picks += rec.seen[i].pick != 0;
        runs_unlike_fifo += recorded_hash != fifo_hash;

        /* the schedule as a failure prints it, and parsed back as --schedule reads it */
        char text[4096];
        assert_true(sim_schedule_format(rec.seen, rec.count, text, sizeof text) < sizeof text);
        uint32_t picks[512], pick_count = 0;
        assert_true(sim_schedule_parse(text, picks, 512, &pick_count));
        assert_true(pick_count <= rec.count);

        /* replay: the schedule strategy alone, no pct */
        sim_choice_record seen[512];
        sim_schedule replay;
        sim_schedule_init(&replay, picks, pick_count, seen, 512);
        c.trace_text = replayed_text;
        run_once(&c, &sim_strategy_schedule, &replay);
        assert_false(replay.diverged);
        assert_int_equal(replay.seen_count, rec.count);
        for (uint32_t i = 0; i < rec.count; i++) {
            assert_int_equal(seen[i].pick, rec.seen[i].pick);
            assert_int_equal(seen[i].count, rec.seen[i].count);
            assert_int_equal(seen[i].kind, rec.seen[i].kind);
        }
        assert_string_equal(replayed_text, recorded_text);
        assert_true(c.last_hash == recorded_hash);
    }
    /* the replays could not pass by being fifo: some recorded runs took other orders */
    assert_true(nonzero_picks > 0);
    assert_true(runs_unlike_fifo > 0);
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
