/* cm_determinism_test.c — seeds, hashes, choice points, reset, allocation
 * failure, the text form. */
#include "cm_test_util.h"

#include <stdio.h>

#define SVC "com.example.svc"

/* Three clients race one server: plenty of choice points. */
static void build_race(tb *b)
{
    uint16_t srv = tb_server(b, SVC, tb_echo_handler(b, 1 * MS), 1 * SEC);
    tb_process(b, "server", srv);
    for (int i = 0; i < 3; i++) {
        uint16_t c = tb_program(b);
        tb_sleep(b, c, 1 * MS);
        tb_create_remote(b, c, 0, SVC);
        tb_send(b, c, 0, i, "x", SEC, 2 * MS, CM_MODE_DEFAULT);
        tb_send(b, c, 0, i, "y", SEC, 2 * MS, CM_MODE_DEFAULT);
        char name[4] = "c0";
        name[1] = (char)('0' + i);
        tb_process(b, name, c);
    }
}

static uint64_t race_hash(uint64_t seed, uint32_t *events)
{
    tb b;
    tb_init(&b);
    build_race(&b);
    tb_run_seed(&b, seed);
    uint64_t h = cm_world_trace_hash(b.w);
    if (events != NULL) *events = (uint32_t)cm_world_event_count(b.w);
    tb_fini(&b);
    return h;
}

/* The same seed gives the same trace hash, twice. */
static void test_same_seed_same_trace_hash(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        uint32_t n1 = 0, n2 = 0;
        assert_true(race_hash(seed, &n1) == race_hash(seed, &n2));
        assert_int_equal(n1, n2);
    }
}

/* Different seeds reach different orders (and outcomes) where the model allows. */
static void test_different_seeds_reach_different_orders(void **state)
{
    (void)state;
    uint64_t hashes[20];
    uint32_t distinct = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        uint64_t h = race_hash(seed + 100, NULL);
        bool seen = false;
        for (uint32_t i = 0; i < distinct; i++) seen = seen || hashes[i] == h;
        if (!seen) hashes[distinct++] = h;
    }
    assert_true(distinct >= 5);
}

/* fifo is the canonical order: stable, and equal to a reset run. */
static void test_fifo_stable_and_reset_reproduces(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    build_race(&b);
    tb_run(&b);
    uint64_t h1 = cm_world_trace_hash(b.w);
    uint64_t e1 = cm_world_event_count(b.w);
    assert_int_equal(cm_world_reset(b.w, &cm_strategy_fifo, NULL), CM_OK);
    tb_world_run(b.w);
    assert_true(cm_world_trace_hash(b.w) == h1);
    assert_int_equal(cm_world_event_count(b.w), e1);
    cm_rng_seed(&b.rng, 7);
    assert_int_equal(cm_world_reset(b.w, &cm_strategy_random, &b.rng), CM_OK);
    tb_world_run(b.w);
    uint64_t r7 = cm_world_trace_hash(b.w);
    tb_fini(&b);
    assert_true(r7 == race_hash(7, NULL)); /* a reset world equals a fresh one */
}

/* The trace hash does not depend on what the caller keeps. */
static void test_hash_independent_of_trace_capacity(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    build_race(&b);
    b.cfg.trace_capacity = 0;
    tb_run_seed(&b, 3);
    uint64_t h = cm_world_trace_hash(b.w);
    uint32_t kept = 0;
    cm_world_events(b.w, &kept);
    assert_int_equal(kept, 0);
    tb_fini(&b);
    assert_true(h == race_hash(3, NULL));
}

/* A deadline tie: a reply at exactly the receive deadline is a legitimate
 * race; latency exploration reaches both outcomes, and t-1 / t+1 are decisive. */
typedef struct kind_counts {
    uint32_t by_kind[CM_EV_KIND_COUNT];
    uint32_t total;
} kind_counts;

static void count_kinds(void *ctx, const cm_world *w, const cm_event *ev)
{
    (void)w;
    kind_counts *k = ctx;
    assert_true(ev->kind < CM_EV_KIND_COUNT);
    k->by_kind[ev->kind]++;
    k->total++;
}

/* Skipped kinds do not reach on_event; the hash, the count and the kept trace stay the same. */
static void test_event_skip_changes_only_what_on_event_sees(void **state)
{
    (void)state;
    uint64_t skip = (UINT64_C(1) << CM_EV_CHOICE) | (UINT64_C(1) << CM_EV_THREAD_END);
    kind_counts all, some;
    memset(&all, 0, sizeof all);
    memset(&some, 0, sizeof some);
    tb b;
    tb_init(&b);
    build_race(&b);
    b.cfg.on_event = count_kinds;
    b.cfg.on_event_ctx = &all;
    tb_run_seed(&b, 5);
    uint64_t h = cm_world_trace_hash(b.w);
    uint64_t n = cm_world_event_count(b.w);
    uint32_t kept = 0;
    cm_world_events(b.w, &kept);
    assert_int_equal(all.total, n);
    assert_true(all.by_kind[CM_EV_CHOICE] > 0 && all.by_kind[CM_EV_THREAD_END] > 0);

    b.cfg.on_event_ctx = &some;
    cm_world_destroy(b.w);
    b.w = NULL;
    assert_int_equal(cm_world_create(&b.cfg, &b.w), CM_OK);
    cm_world_set_event_skip(b.w, skip);
    memset(&some, 0, sizeof some); /* counts from the reset on */
    cm_rng_seed(&b.rng, 5);
    assert_int_equal(cm_world_reset(b.w, &cm_strategy_random, &b.rng), CM_OK);
    tb_world_run(b.w);
    assert_true(cm_world_trace_hash(b.w) == h);
    assert_int_equal(cm_world_event_count(b.w), n);
    uint32_t kept2 = 0;
    cm_world_events(b.w, &kept2);
    assert_int_equal(kept2, kept);
    assert_int_equal(some.by_kind[CM_EV_CHOICE], 0);
    assert_int_equal(some.by_kind[CM_EV_THREAD_END], 0);
    assert_int_equal(some.total, n - all.by_kind[CM_EV_CHOICE] - all.by_kind[CM_EV_THREAD_END]);

    /* and back to every event */
    cm_world_set_event_skip(b.w, 0);
    memset(&some, 0, sizeof some);
    cm_rng_seed(&b.rng, 5);
    assert_int_equal(cm_world_reset(b.w, &cm_strategy_random, &b.rng), CM_OK);
    tb_world_run(b.w);
    assert_true(cm_world_trace_hash(b.w) == h);
    assert_true(some.by_kind[CM_EV_CHOICE] > 0);
    tb_fini(&b);
}

static void test_latency_exploration_reaches_both_sides_of_a_deadline(void **state)
{
    (void)state;
    bool success = false, timeout = false;
    for (uint64_t seed = 1; seed <= 200 && !(success && timeout); seed++) {
        tb b;
        tb_init(&b);
        b.cfg.explore_latency = true;
        uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
        uint16_t c = tb_program(&b);
        tb_sleep(&b, c, 1 * MS);
        tb_create_remote(&b, c, 0, SVC);
        uint32_t send = tb_send(&b, c, 0, 1, "x", SEC, 10 * MS, CM_MODE_DEFAULT);
        tb_process(&b, "server", srv);
        tb_process(&b, "client", c);
        tb_run_seed(&b, seed);
        const cm_event *r = tb_return(&b, c, send, 0);
        if (r->ret.result == CM_SUCCESS) success = true;
        if (r->ret.result == CM_RECEIVE_TIMEOUT) timeout = true;
        assert_true(r->ret.result == CM_SUCCESS || r->ret.result == CM_RECEIVE_TIMEOUT);
        tb_fini(&b);
    }
    assert_true(success);
    assert_true(timeout);
}

/* Every allocation failure is survived: no crash, no leak, an error result. */
static void test_allocation_failure_is_survived(void **state)
{
    (void)state;
    uint32_t failures = 0;
    for (uint64_t n = 1; n < 400; n++) {
        tb b;
        tb_init(&b);
        build_race(&b);
        b.alloc.fail_after = n;
        cm_world_config *c = &b.cfg;
        c->alloc = (cm_alloc){.realloc = NULL, .ctx = NULL};
        tb_make_fallible(&b);
        if (b.w != NULL) {
            cm_end_reason why = tb_world_run(b.w);
            if (why == CM_END_ERROR) failures++;
        } else {
            failures++;
        }
        tb_fini(&b);
    }
    assert_true(failures > 0);
}

/* Every event has a canonical text line; the line names its kind. */
static void test_every_event_formats(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    build_race(&b);
    tb_run_seed(&b, 11);
    uint32_t n = 0;
    const cm_event *ev = cm_world_events(b.w, &n);
    assert_true(n > 50);
    char line[512];
    for (uint32_t i = 0; i < n; i++) {
        size_t len = cm_event_format(b.w, &ev[i], line, sizeof line);
        assert_true(len > 0 && len < sizeof line);
        assert_non_null(strstr(line, cm_event_kind_name(ev[i].kind)));
    }
    char tiny[8];
    size_t need = cm_event_format(b.w, &ev[0], tiny, sizeof tiny);
    assert_true(need >= sizeof tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    tb_fini(&b);
}

/* The state hash is a function of the state: two runs stopped at the same
 * step agree, and it changes as the run goes on. */
static void test_state_hash_tracks_state(void **state)
{
    (void)state;
    tb b1, b2;
    tb_init(&b1);
    tb_init(&b2);
    build_race(&b1);
    build_race(&b2);
    tb_make(&b1, &cm_strategy_fifo, NULL);
    tb_make(&b2, &cm_strategy_fifo, NULL);
    uint64_t prev = 0;
    uint32_t changes = 0;
    for (int i = 0; i < 40; i++) {
        if (cm_world_step(b1.w)) tb_validate(b1.w, "after a step", (uint64_t)i);
        if (cm_world_step(b2.w)) tb_validate(b2.w, "after a step", (uint64_t)i);
        uint64_t h = cm_world_state_hash(b1.w);
        assert_true(h == cm_world_state_hash(b2.w));
        if (h != prev) changes++;
        prev = h;
    }
    assert_true(changes > 10);
    tb_fini(&b1);
    tb_fini(&b2);
}

/* A bad configuration is refused with a reason, before any allocation. */
static void test_config_validation(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t cb = tb_program(&b);
    tb_sleep(&b, cb, 1 * MS); /* blocking: not allowed in an invalidation callback */
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_set_callback(&b, p, 0, cb);
    tb_process(&b, "p", p);
    cm_world_config *c = &b.cfg;
    c->strategy = &cm_strategy_fifo;
    c->blobs = b.blobs;
    c->blob_count = b.blob_count;
    c->programs = b.programs;
    c->program_count = b.program_count;
    c->processes = b.processes;
    c->process_count = b.process_count;
    c->alloc.realloc = NULL;
    cm_config_error err;
    assert_false(cm_world_config_validate(c, &err)); /* no allocator */
    tb_make_fallible(&b);
    assert_false(cm_world_config_validate(c, &err));
    assert_int_equal(err.program, cb);
    assert_null(b.w);
    b.ops[p][0].target = 999;
    assert_false(cm_world_config_validate(c, &err));
    assert_int_equal(err.program, p);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_trace_hash),
        cmocka_unit_test(test_different_seeds_reach_different_orders),
        cmocka_unit_test(test_fifo_stable_and_reset_reproduces),
        cmocka_unit_test(test_hash_independent_of_trace_capacity),
        cmocka_unit_test(test_event_skip_changes_only_what_on_event_sees),
        cmocka_unit_test(test_latency_exploration_reaches_both_sides_of_a_deadline),
        cmocka_unit_test(test_allocation_failure_is_survived),
        cmocka_unit_test(test_every_event_formats),
        cmocka_unit_test(test_state_hash_tracks_state),
        cmocka_unit_test(test_config_validation),
    };
    return cmocka_run_group_tests_name("core_determinism", tests, NULL, NULL);
}
