/*
 * cm_validate_test.c — cm_world_validate (issue 9, item 4): it holds after
 * every step of real runs, and each kind of corruption it promises to see
 * (queues, pools, frames, timers, ports, the scheduler, leaks) makes it
 * fail with the invariant named, and pass again once undone.
 */
#include "cm_internal.h"
#include "cm_test_util.h"

#define SVC "com.example.svc"

/* Two clients, one server: queued requests, blocked waits, reply ports, timers. */
static void build(tb *b)
{
    uint16_t srv = tb_server(b, SVC, tb_echo_handler(b, 2 * MS), 1 * SEC);
    tb_process(b, "server", srv);
    for (int i = 0; i < 2; i++) {
        uint16_t c = tb_program(b);
        tb_sleep(b, c, 1 * MS);
        tb_create_remote(b, c, 0, SVC);
        tb_send(b, c, 0, i, i ? "b" : "a", SEC, SEC, CM_MODE_DEFAULT);
        tb_send(b, c, 0, i, "again", SEC, SEC, CM_MODE_DEFAULT);
        tb_process(b, i ? "c1" : "c0", c);
    }
}

/* Steps until the world has ports, a message queued somewhere and two timers. */
static void step_to_busy(tb *b)
{
    tb_make(b, &cm_strategy_fifo, NULL);
    cm_world *w = b->w;
    for (uint32_t step = 0; step < 10000; step++) {
        bool queued = false;
        for (uint32_t k = 0; k < w->kports.count; k++) {
            queued = queued || CM_KPORT(w, (int32_t)k)->q_count > 0;
        }
        if (queued && w->heap_count >= 2 && w->ports.count >= 2) return;
        assert_true(cm_world_step(w));
        tb_validate(w, "while stepping to a busy state", step);
    }
    fail_msg("the world never had a queued message and two timers at once");
}

/* Fails the test unless the world is invalid now, naming `what`. */
static void assert_broken(const cm_world *w, const char *what)
{
    const char *broken = NULL;
    assert_false(cm_world_validate(w, &broken));
    assert_non_null(broken);
    if (strstr(broken, what) == NULL) fail_msg("expected \"%s\", got \"%s\"", what, broken);
}

static void assert_valid(const cm_world *w)
{
    const char *broken = "unset";
    assert_true(cm_world_validate(w, &broken));
    assert_null(broken);
    assert_true(cm_world_validate(w, NULL)); /* the reason is optional */
}

/* Every step of fifo and random runs of the scenario keeps the invariants (tb_world_run
 * checks after each step), and they still hold at the end. */
static void test_holds_after_every_step(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 20; seed++) {
        tb b;
        tb_init(&b);
        build(&b);
        if (seed == 0) {
            tb_run(&b);
        } else {
            tb_run_seed(&b, seed);
        }
        assert_valid(b.w);
        assert_int_equal(tb_returns(&b, 2, 2), 1); /* both sends of c0 returned */
        assert_int_equal(tb_returns(&b, 2, 3), 1);
        tb_fini(&b);
    }
}

/* Each corruption is seen, with its invariant named; undoing it restores validity. */
static void test_each_corruption_is_caught(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    build(&b);
    step_to_busy(&b);
    cm_world *w = b.w;
    assert_valid(w);

    /* a message queue whose count disagrees with its list */
    cm_kport *k = CM_KPORT(w, 0);
    k->q_count++;
    assert_broken(w, "q_count is not the queue's length");
    k->q_count--;
    assert_valid(w);

    /* a port that breaks cm_port_validate */
    cm_port *p = CM_PORT(w, 0);
    int32_t refcount = p->refcount;
    p->refcount = -1;
    assert_broken(w, "cm_port_validate");
    p->refcount = refcount;
    assert_valid(w);

    /* the timer heap out of order */
    cm_timer first = w->heap[0];
    w->heap[0] = w->heap[1];
    w->heap[1] = first;
    assert_broken(w, "heap order");
    w->heap[1] = w->heap[0];
    w->heap[0] = first;
    assert_valid(w);

    /* a message that nothing holds: a leak */
    int32_t leaked = cm_msg_new(w, CM_MSG_REQUEST);
    assert_true(leaked >= 0);
    assert_broken(w, "a live message that nothing holds");
    cm_msg_free(w, leaked);
    assert_valid(w);

    /* a free list that loops */
    int32_t head = w->msgs.free_head;
    assert_true(head >= 0); /* the message just freed */
    int32_t link;
    memcpy(&link, CM_MSG(w, head), sizeof link);
    memcpy(CM_MSG(w, head), &head, sizeof head);
    assert_broken(w, "free list cycle");
    memcpy(CM_MSG(w, head), &link, sizeof link);
    assert_valid(w);

    /* a frame stack deeper than it can be */
    cm_thread *t = &w->threads[0];
    uint8_t depth = t->depth;
    t->depth = CM_STACK_MAX + 1;
    assert_broken(w, "frame stack overflow");
    t->depth = depth;
    assert_valid(w);

    /* a dispatch queue whose count disagrees with its blocks */
    w->queues[0].count++;
    assert_broken(w, "queue: count is not the queue's length");
    w->queues[0].count--;
    assert_valid(w);

    /* the scheduler's flags and its candidate list disagree */
    t->candidate ^= 1;
    assert_broken(w, "scheduler:");
    t->candidate ^= 1;
    assert_valid(w);

    /* the run goes on from the restored state and ends valid */
    tb_world_run(w);
    assert_valid(w);
    tb_fini(&b);
}

/* Found by the leak accounting: a client killed while its send is blocked on a full
 * queue (R29) left its request allocated and held by nothing. Now it is freed with
 * the process, silently (it was never queued: no msg_destroyed event for it). */
static void test_killed_blocked_sender_frees_its_request(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 0));
    tb_sleep(&b, srv, 1 * SEC); /* never scheduled: its queue fills up */
    tb_process(&b, "server", srv);
    uint16_t c = tb_program(&b);
    tb_sleep(&b, c, 1 * MS);
    tb_create_remote(&b, c, 0, SVC);
    for (int i = 0; i < 7; i++) tb_oneway(&b, c, 0, i, "x", SEC); /* the 6th blocks */
    uint16_t client = tb_process(&b, "client", c);
    tb_fault(&b, 100 * MS, CM_FAULT_CRASH, client);
    tb_run(&b); /* validates after every step: the leak failed here */
    assert_int_equal(tb_count(&b, CM_EV_SEND_BLOCKED, CM_NO_PORT), 1);
    assert_int_equal(tb_count(&b, CM_EV_CRASH, CM_NO_PORT), 1);
    /* the five queued requests die with the server (R29: queue limit 5), not the sixth */
    assert_int_equal(tb_count(&b, CM_EV_MESSAGE_DESTROYED, CM_NO_PORT), 5);
    assert_valid(b.w);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holds_after_every_step),
        cmocka_unit_test(test_each_corruption_is_caught),
        cmocka_unit_test(test_killed_blocked_sender_frees_its_request),
    };
    return cmocka_run_group_tests_name("cm_validate", tests, NULL, NULL);
}
