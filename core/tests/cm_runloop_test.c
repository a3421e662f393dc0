/* cm_runloop_test.c — run loops, sources, dispatch queues: R36, R37, R47–R51. */
#include "cm_test_util.h"

#define SVC "com.example.svc"
#define MINE "com.example.client"

static uint16_t client(tb *b, int64_t delay_ns)
{
    uint16_t c = tb_program(b);
    tb_sleep(b, c, delay_ns);
    tb_create_remote(b, c, 0, SVC);
    return c;
}

/* A third process that sends one request to MINE at at_ns. */
static uint16_t poker(tb *b, int64_t at_ns)
{
    uint16_t p = tb_program(b);
    tb_sleep(b, p, at_ns);
    tb_create_remote(b, p, 0, MINE);
    tb_send(b, p, 0, 42, "poke", SEC, SEC, CM_MODE_DEFAULT);
    return p;
}

/* R36: while waiting in replyMode the caller's run loop services its own
 * sources in that mode (nested callouts); a private mode isolates the wait. */
static void test_R36_wait_services_own_sources_in_reply_mode(void **state)
{
    (void)state;
    for (int private_mode = 0; private_mode < 2; private_mode++) {
        tb b;
        tb_init(&b);
        uint16_t priv = tb_mode(&b, "private");
        uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 50 * MS), 1 * SEC);
        uint16_t cli = tb_program(&b);
        tb_create_local(&b, cli, 1, MINE, tb_echo_handler(&b, 0));
        tb_schedule(&b, cli, 1, CM_MODE_DEFAULT);
        tb_sleep(&b, cli, 1 * MS);
        tb_create_remote(&b, cli, 0, SVC);
        uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC,
                                private_mode ? priv : CM_MODE_DEFAULT);
        tb_run_mode(&b, cli, CM_MODE_DEFAULT, 10 * MS);
        tb_process(&b, "server", srv);
        tb_process(&b, "client", cli);
        tb_process(&b, "poker", poker(&b, 10 * MS));
        tb_run(&b);
        const cm_event *r = tb_return(&b, cli, send, 0);
        assert_int_equal(r->ret.result, CM_SUCCESS);
        assert_int_equal(r->time_ns, 51 * MS);
        const cm_event *nested = tb_find(&b, CM_EV_CALLOUT, 1, 0);
        assert_non_null(nested);
        /* default mode: handled at 10 ms inside the wait; private: after it, at 51 ms */
        assert_int_equal(nested->time_ns, private_mode ? 51 * MS : 10 * MS);
        assert_int_equal(tb_index_of(&b, nested) < tb_index_of(&b, r), !private_mode);
        tb_fini(&b);
    }
}

/* R36: replyMode kCFRunLoopCommonModes spins: the reply is never processed, -2. */
static void test_R36_common_modes_reply_mode_is_a_trap(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 1 * MS), 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, 100 * MS, CM_MODE_COMMON);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_count(&b, CM_EV_REPLY_SENT, CM_NO_PORT), 1);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 100 * MS);
    assert_int_equal(tb_count(&b, CM_EV_REPLY_FILED, CM_NO_PORT), 0);
    tb_fini(&b);
}

/* R36: a timer in replyMode fires during the wait without ending it. */
static void test_R36_timers_fire_during_wait_without_returning(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 50 * MS), 1 * SEC);
    uint16_t tick = tb_program(&b);
    uint16_t cli = tb_program(&b);
    cm_op *timer = tb_op(&b, cli, CM_OP_ADD_TIMER);
    timer->mode = CM_MODE_DEFAULT;
    timer->t1_ns = 10 * MS;
    timer->t2_ns = 10 * MS;
    timer->target = tick;
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->time_ns, 51 * MS);
    assert_int_equal(tb_count(&b, CM_EV_TIMER, CM_NO_PORT), 5); /* 10, 20, 30, 40, 50 ms */
    tb_fini(&b);
}

/* R36, R52: a pass that leaves the mode empty ends RunInMode (Finished): a
 * one-shot timer fires and is gone; and a timer that invalidates the remote
 * being waited on removes its reply source, so the wait sees -5 at once. */
static void test_R36_mode_emptied_during_run_finishes(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t priv = tb_mode(&b, "private");
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 500 * MS), 1 * SEC);
    uint16_t kill = tb_program(&b);
    tb_simple(&b, kill, CM_OP_INVALIDATE, 0);
    uint16_t cli = tb_program(&b);
    cm_op *lone = tb_op(&b, cli, CM_OP_ADD_TIMER);
    lone->mode = priv;
    lone->t1_ns = 10 * MS;
    lone->target = CM_NONE16;
    uint32_t run = tb_run_mode(&b, cli, priv, 100 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    cm_op *timer = tb_op(&b, cli, CM_OP_ADD_TIMER);
    timer->mode = priv;
    timer->t1_ns = 10 * MS;
    timer->target = kill;
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, 100 * MS, priv);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, run, 0);
    assert_int_equal(r->ret.result, CM_RUN_FINISHED);
    assert_int_equal(r->ret.elapsed_ns, 10 * MS);
    r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_BECAME_INVALID);
    assert_int_equal(r->ret.elapsed_ns, 10 * MS);
    tb_fini(&b);
}

/* A deadline of a call that already returned does not keep the run going:
 * the run ends at its last real event. */
static void test_run_ends_at_last_event_not_stale_deadline(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 1 * MS), 20 * MS);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    tb_send(&b, cli, 0, 1, "x", SEC, 10 * SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(cm_world_end_reason(b.w), CM_END_QUIESCENT);
    assert_true(cm_world_now_ns(b.w) < 30 * MS); /* not 10 s */
    tb_fini(&b);
}

/* R37: two threads on one remote: whichever run loop gets a reply files it;
 * a thread whose reply was filed by the other returns 0 only when it wakes
 * for another reason (at the latest, at its deadline).
 * Both orders are reachable: different seeds find both. */
static void test_R37_reply_filed_by_other_thread(void **state)
{
    (void)state;
    bool late_seen = false, prompt_seen = false;
    for (uint64_t seed = 1; seed <= 40 && !(late_seen && prompt_seen); seed++) {
        tb b;
        tb_init(&b);
        uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 10 * MS), 1 * SEC);
        uint16_t a = client(&b, 1 * MS);
        uint32_t sa = tb_send(&b, a, 0, 1, "a", SEC, 100 * MS, CM_MODE_DEFAULT);
        tb_sleep(&b, a, 1 * SEC); /* main must not return: that would exit the process */
        uint16_t t2 = tb_program(&b);
        tb_sleep(&b, t2, 2 * MS);
        tb_create_remote(&b, t2, 0, SVC);
        uint32_t sb = tb_send(&b, t2, 0, 2, "b", SEC, 100 * MS, CM_MODE_DEFAULT);
        tb_process(&b, "server", srv);
        uint16_t cp = tb_process(&b, "client", a);
        tb_thread(&b, cp, "second", t2);
        tb_run_seed(&b, seed);
        const cm_event *ra = tb_return(&b, a, sa, 0);
        const cm_event *rb = tb_return(&b, t2, sb, 0);
        assert_int_equal(ra->ret.result, CM_SUCCESS);
        assert_int_equal(rb->ret.result, CM_SUCCESS);
        assert_int_equal(ra->ret.aux, (int32_t)tb_blob(&b, "a")); /* never the other's reply */
        assert_int_equal(rb->ret.aux, (int32_t)tb_blob(&b, "b"));
        /* prompt: A filed its own reply at 11 ms; late: B filed it, and A
         * only woke for another reason (B's reply at 21 ms, or its deadline) */
        if (ra->time_ns > 11 * MS) late_seen = true;
        if (ra->time_ns == 11 * MS) prompt_seen = true;
        tb_fini(&b);
    }
    assert_true(late_seen);
    assert_true(prompt_seen);
}

/* R47, R48: one cached source per port; NULL for remote, invalid or queued
 * ports; the source keeps the port alive until Invalidate. */
static void test_R47_one_cached_source_and_null_cases(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    uint32_t s1 = tb_simple(&b, p, CM_OP_CREATE_SOURCE, 0);
    uint32_t s2 = tb_simple(&b, p, CM_OP_CREATE_SOURCE, 0);
    tb_create_remote(&b, p, 1, SVC);
    uint32_t remote = tb_simple(&b, p, CM_OP_CREATE_SOURCE, 1);
    tb_create_local(&b, p, 2, "queued", tb_echo_handler(&b, 0));
    cm_op *q = tb_op(&b, p, CM_OP_SET_DISPATCH_QUEUE);
    q->slot = 2;
    q->target = CM_QUEUE_MAIN;
    uint32_t queued = tb_simple(&b, p, CM_OP_CREATE_SOURCE, 2);
    uint32_t release = tb_simple(&b, p, CM_OP_RELEASE, 0);
    uint32_t valid = tb_simple(&b, p, CM_OP_RETAIN, 0); /* slot cleared: a crash */
    tb_process(&b, "p", p);
    tb_run(&b);
    int32_t source = tb_return(&b, p, s1, 0)->ret.result;
    assert_true(source >= 0);
    assert_int_equal(tb_return(&b, p, s2, 0)->ret.result, source);
    assert_int_equal(tb_return(&b, p, remote, 0)->ret.result, -1);
    assert_int_equal(tb_return(&b, p, queued, 0)->ret.result, -1);
    assert_non_null(tb_return(&b, p, release, 0));
    cm_port_info info = cm_world_port_info(b.w, 0);
    assert_false(info.deallocated); /* R48: held by its source */
    assert_int_equal(info.refcount, 1);
    assert_null(tb_return(&b, p, valid, 0));
    tb_fini(&b);
}

/* R48: Invalidate breaks the source/port cycle: the port is deallocated. */
static void test_R48_invalidate_breaks_retain_cycle(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_schedule(&b, p, 0, CM_MODE_DEFAULT);
    tb_simple(&b, p, CM_OP_RETAIN, 0);
    tb_simple(&b, p, CM_OP_RELEASE, 0);
    uint32_t alive = tb_sleep(&b, p, 1 * MS);
    tb_create_local(&b, p, 1, "other", tb_echo_handler(&b, 0));
    tb_process(&b, "p", p);
    tb_run(&b);
    (void)alive;
    /* released once of two: one reference left, plus the source's */
    assert_false(cm_world_port_info(b.w, 0).deallocated);
    tb_fini(&b);

    tb_init(&b);
    p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_schedule(&b, p, 0, CM_MODE_DEFAULT);
    tb_simple(&b, p, CM_OP_RETAIN, 0); /* keep slot usable after one release */
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    cm_port_info info = cm_world_port_info(b.w, 0);
    assert_false(info.deallocated);
    assert_int_equal(info.refcount, 2); /* the source's reference is gone */
    tb_fini(&b);
}

/* R49: SetDispatchQueue only logs for invalid, remote or sourced ports; NULL
 * unschedules, another queue reschedules; an unnamed port gets no source. */
static void test_R49_set_dispatch_queue_rules(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_create_remote(&b, p, 1, SVC);
    tb_create_local(&b, p, 2, "sourced", tb_echo_handler(&b, 0));
    tb_simple(&b, p, CM_OP_CREATE_SOURCE, 2);
    tb_create_local(&b, p, 3, NULL, tb_echo_handler(&b, 0));
    tb_create_local(&b, p, 4, "dead", tb_echo_handler(&b, 0));
    tb_simple(&b, p, CM_OP_INVALIDATE, 4);
    uint16_t slots[] = {1, 2, 3, 4};
    for (int i = 0; i < 4; i++) {
        cm_op *q = tb_op(&b, p, CM_OP_SET_DISPATCH_QUEUE);
        q->slot = slots[i];
        q->target = 1;
    }
    tb_process(&b, "p", p);
    uint16_t proc = 0;
    tb_queue(&b, proc, CM_QUEUE_SERIAL, 1);
    tb_run(&b);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 0)->warning.warning, CM_WARN_QUEUE_REMOTE);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 1)->warning.warning, CM_WARN_QUEUE_HAS_SOURCE);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 2)->warning.warning, CM_WARN_QUEUE_UNNAMED);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 3)->warning.warning, CM_WARN_QUEUE_INVALID);
    tb_fini(&b);
}

/* R49, R50a: a queue-delivered port takes messages off the kernel queue at
 * once: no back-pressure, ten immediate sends all succeed; NULL unschedules. */
static void test_R50_no_back_pressure_and_unschedule(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 10 * MS));
    cm_op *q = tb_op(&b, srv, CM_OP_SET_DISPATCH_QUEUE);
    q->slot = 0;
    q->target = 1;
    tb_sleep(&b, srv, 200 * MS);
    cm_op *unq = tb_op(&b, srv, CM_OP_SET_DISPATCH_QUEUE);
    unq->slot = 0;
    unq->target = CM_NONE16;
    tb_sleep(&b, srv, 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    for (int i = 0; i < 10; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    tb_sleep(&b, cli, 300 * MS);
    uint32_t after = tb_send(&b, cli, 0, 99, "y", SEC, 50 * MS, CM_MODE_DEFAULT);
    uint16_t server = tb_process(&b, "server", srv);
    tb_queue(&b, server, CM_QUEUE_SERIAL, 1);
    tb_process(&b, "client", cli);
    tb_run(&b);
    for (uint32_t i = 2; i < 12; i++) assert_int_equal(tb_return(&b, cli, i, 0)->ret.result, CM_SUCCESS);
    assert_int_equal(tb_count(&b, CM_EV_SEND_BLOCKED, CM_NO_PORT), 0);
    /* serial: FIFO, one at a time, 10 ms apart */
    for (uint32_t i = 0; i < 10; i++) {
        const cm_event *c = tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, i);
        assert_int_equal(c->request.msgid, (int32_t)i);
        assert_int_equal(c->time_ns, 1 * MS + 10 * MS * (int64_t)i);
    }
    assert_int_equal(tb_return(&b, cli, after, 0)->ret.result, CM_RECEIVE_TIMEOUT); /* unscheduled */
    tb_fini(&b);
}

/* R50b: a concurrent queue runs callouts in parallel. */
static void test_R50_concurrent_queue_runs_in_parallel(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 10 * MS));
    cm_op *q = tb_op(&b, srv, CM_OP_SET_DISPATCH_QUEUE);
    q->slot = 0;
    q->target = 1;
    tb_sleep(&b, srv, 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    for (int i = 0; i < 3; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    uint16_t server = tb_process(&b, "server", srv);
    tb_queue(&b, server, CM_QUEUE_CONCURRENT, 3);
    tb_process(&b, "client", cli);
    tb_run(&b);
    for (uint32_t i = 0; i < 3; i++) {
        const cm_event *c = tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, i);
        assert_int_equal(c->time_ns, 1 * MS); /* all three at once */
        const cm_event *d = tb_find(&b, CM_EV_CALLOUT_DONE, CM_NO_PORT, i);
        assert_int_equal(d->time_ns, 11 * MS);
    }
    assert_int_not_equal(tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, 0)->thread,
                         tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, 1)->thread);
    tb_fini(&b);
}

/* R51: an unscheduled named port: sends fill the queue (-1), two-way senders
 * time out (-2); scheduling later delivers the stale backlog in order. */
static void test_R51_unscheduled_port_backlog(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 0));
    tb_sleep(&b, srv, 100 * MS);
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    uint32_t two_way = tb_send(&b, cli, 0, 0, "x", SEC, 20 * MS, CM_MODE_DEFAULT);
    for (int i = 1; i < 5; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    uint32_t full = tb_oneway(&b, cli, 0, 5, "x", 10 * MS);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, two_way, 0)->ret.result, CM_RECEIVE_TIMEOUT);
    const cm_event *r = tb_return(&b, cli, full, 0);
    assert_int_equal(r->ret.result, CM_SEND_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 10 * MS);
    for (uint32_t i = 0; i < 5; i++) {
        const cm_event *c = tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, i);
        assert_int_equal(c->request.msgid, (int32_t)i);
        assert_int_equal(c->time_ns, 100 * MS);
    }
    /* the timed-out client's reply was sent, to a reply port nobody reads */
    assert_int_equal(tb_count(&b, CM_EV_REPLY_SENT, CM_NO_PORT), 1);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R36_wait_services_own_sources_in_reply_mode),
        cmocka_unit_test(test_R36_common_modes_reply_mode_is_a_trap),
        cmocka_unit_test(test_R36_timers_fire_during_wait_without_returning),
        cmocka_unit_test(test_R36_mode_emptied_during_run_finishes),
        cmocka_unit_test(test_run_ends_at_last_event_not_stale_deadline),
        cmocka_unit_test(test_R37_reply_filed_by_other_thread),
        cmocka_unit_test(test_R47_one_cached_source_and_null_cases),
        cmocka_unit_test(test_R48_invalidate_breaks_retain_cycle),
        cmocka_unit_test(test_R49_set_dispatch_queue_rules),
        cmocka_unit_test(test_R50_no_back_pressure_and_unschedule),
        cmocka_unit_test(test_R50_concurrent_queue_runs_in_parallel),
        cmocka_unit_test(test_R51_unscheduled_port_backlog),
    };
    return cmocka_run_group_tests_name("core_runloop", tests, NULL, NULL);
}
