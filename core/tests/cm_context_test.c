/* cm_context_test.c — contexts, threads, timing, limits: R59–R63, R65. */
#include "cm_test_util.h"

#define SVC "com.example.svc"

#define RR (CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE)

/* R59: the context is copied at creation; GetContext gives version 0 and info. */
static void test_R59_context_copied_at_creation(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t c = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, c, 1234, RR);
    uint32_t get = tb_simple(&b, p, CM_OP_GET_CONTEXT, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *r = tb_return(&b, p, get, 0);
    assert_int_equal(r->ret.result, 0);    /* version */
    assert_int_equal(r->ret.aux, 1234); /* info */
    tb_fini(&b);
}

/* R60: retain once at creation and once per callout; release once per
 * callout and once at invalidation (even with NULL info); none on failure. */
static void test_R60_context_call_counts(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    uint32_t c = tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, srv, c, 0, RR); /* NULL info */
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 100 * MS);
    tb_simple(&b, srv, CM_OP_INVALIDATE, 0);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    for (int i = 0; i < 3; i++) tb_send(&b, cli, 0, i, "x", SEC, SEC, CM_MODE_DEFAULT);
    uint32_t dup = tb_create_local(&b, cli, 1, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, cli, dup, 5, RR);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    cm_port_info info = cm_world_port_info(b.w, 0);
    assert_int_equal(info.retain_calls, 1 + 3);
    assert_int_equal(info.release_calls, 3 + 1);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_RETAIN, CM_NO_PORT), 4); /* none for `dup` */
    const cm_event *last = tb_find(&b, CM_EV_CONTEXT_RELEASE, 0, 3);
    assert_int_equal(last->context.info, 0);
    tb_fini(&b);
}

/* R61: no lock is held across callbacks: a callout and an invalidation
 * callback may re-enter the API (invalidate, create, send, IsValid). */
static void test_R61_callbacks_reenter_the_api(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t cb = tb_program(&b);
    tb_create_remote(&b, cb, 3, "other.svc");
    tb_simple(&b, cb, CM_OP_IS_VALID, 3);
    uint16_t h = tb_program(&b);
    tb_create_remote(&b, h, 2, "other.svc");
    tb_oneway(&b, h, 2, 5, "fwd", SEC);
    tb_simple(&b, h, CM_OP_IS_VALID, CM_SLOT_SELF);
    tb_simple(&b, h, CM_OP_INVALIDATE, CM_SLOT_SELF);
    tb_reply(&b, h, "ok");
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, h);
    tb_set_callback(&b, srv, 0, cb);
    tb_create_local(&b, srv, 1, "other.svc", tb_echo_handler(&b, 0));
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_schedule(&b, srv, 1, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 50 * MS);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, send, 0)->ret.result, CM_SUCCESS);
    assert_int_equal(tb_callbacks(&b, 0), 1);
    assert_non_null(tb_return(&b, cb, 1, 0)); /* the callback's IsValid returned */
    assert_int_equal(tb_count(&b, CM_EV_CALLOUT, 1), 1); /* the forwarded one-way */
    tb_fini(&b);
}

/* R62: after Invalidate the name stays registered for a short window:
 * CreateLocal elsewhere fails, CreateRemote elsewhere succeeds and then
 * meets a dead port (-4) once the right is gone. */
static void test_R62_name_release_window(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    b.cfg.profile.rights_release_delay_ns = 2 * MS;
    b.cfg.profile.name_release_delay_ns = 3 * MS;
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 0));
    tb_sleep(&b, srv, 10 * MS);
    tb_simple(&b, srv, CM_OP_INVALIDATE, 0);
    tb_sleep(&b, srv, 1 * SEC);
    uint16_t other = tb_program(&b);
    tb_sleep(&b, other, 11 * MS);
    uint32_t early = tb_create_local(&b, other, 0, SVC, tb_echo_handler(&b, 0));
    uint32_t remote = tb_create_remote(&b, other, 1, SVC);
    tb_sleep(&b, other, 2 * MS); /* 13 ms: the right is gone (12 ms) */
    uint32_t send = tb_oneway(&b, other, 1, 1, "x", SEC);
    tb_sleep(&b, other, 3 * MS); /* 16 ms: the name is free (15 ms) */
    uint32_t later = tb_create_local(&b, other, 2, SVC, tb_echo_handler(&b, 0));
    tb_process(&b, "server", srv);
    tb_process(&b, "other", other);
    tb_run(&b);
    assert_int_equal(tb_return(&b, other, early, 0)->ret.result, -1);
    assert_true(tb_return(&b, other, remote, 0)->ret.result >= 0);
    assert_int_equal(tb_return(&b, other, send, 0)->ret.result, CM_TRANSPORT_ERROR);
    assert_true(tb_return(&b, other, later, 0)->ret.result >= 0);
    assert_int_equal(tb_find(&b, CM_EV_PORT_DIED, CM_NO_PORT, 0)->time_ns, 12 * MS);
    assert_int_equal(tb_find(&b, CM_EV_NAME_RELEASED, CM_NO_PORT, 0)->time_ns, 15 * MS);
    tb_fini(&b);
}

/* R63: the callout runs on the thread whose run loop took the message (or
 * the queue's worker); invalidation callbacks on the invalidating thread. */
static void test_R63_which_thread_runs_what(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t worker = tb_program(&b);
    tb_schedule(&b, worker, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, worker, CM_MODE_DEFAULT, 50 * MS);
    tb_simple(&b, worker, CM_OP_INVALIDATE, 0);
    uint16_t main_prog = tb_program(&b);
    tb_create_local(&b, main_prog, 0, SVC, tb_echo_handler(&b, 0));
    tb_set_callback(&b, main_prog, 0, tb_program(&b));
    tb_create_local(&b, main_prog, 1, "queued.svc", tb_echo_handler(&b, 0));
    cm_op *q = tb_op(&b, main_prog, CM_OP_SET_DISPATCH_QUEUE);
    q->slot = 1;
    q->target = 1;
    tb_sleep(&b, main_prog, 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    tb_create_remote(&b, cli, 1, "queued.svc");
    tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_send(&b, cli, 1, 2, "y", SEC, SEC, CM_MODE_DEFAULT);
    uint16_t server = tb_process(&b, "server", main_prog);
    tb_thread(&b, server, "worker", worker);
    tb_queue(&b, server, CM_QUEUE_SERIAL, 1);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_find(&b, CM_EV_CALLOUT, 0, 0)->thread, 1); /* the worker thread */
    assert_int_equal(tb_find(&b, CM_EV_CALLOUT, 1, 0)->thread, 2); /* the queue's worker */
    assert_int_equal(tb_find(&b, CM_EV_REPLY_SENT, 0, 0)->thread, 1);
    assert_int_equal(tb_find(&b, CM_EV_INVALIDATION_CALLBACK, 0, 0)->thread, 1);
    tb_fini(&b);
}

/* R65: the model's limits: 5 queued requests, 0x60000000 bytes of data,
 * 128-byte names, 1 ms send-timeout resolution. */
static void test_R65_limits(void **state)
{
    (void)state;
    cm_profile p;
    assert_true(cm_profile_init(&p, CM_PROFILE_VENTURA));
    assert_int_equal(p.qlimit, 5);
    assert_int_equal(CM_MAX_DATA_BYTES, 0x60000000);
    assert_int_equal(CM_NAME_MAX_BYTES, 128);
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 0));
    tb_sleep(&b, srv, 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    for (int i = 0; i < 6; i++) tb_oneway(&b, cli, 0, i, "x", 1999999);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    for (uint32_t i = 2; i < 7; i++) assert_int_equal(tb_return(&b, cli, i, 0)->ret.result, CM_SUCCESS);
    const cm_event *r = tb_return(&b, cli, 7, 0);
    assert_int_equal(r->ret.result, CM_SEND_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 1 * MS);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R59_context_copied_at_creation),
        cmocka_unit_test(test_R60_context_call_counts),
        cmocka_unit_test(test_R61_callbacks_reenter_the_api),
        cmocka_unit_test(test_R62_name_release_window),
        cmocka_unit_test(test_R63_which_thread_runs_what),
        cmocka_unit_test(test_R65_limits),
    };
    return cmocka_run_group_tests_name("core_context", tests, NULL, NULL);
}
