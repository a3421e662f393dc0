/* cm_invalidation_test.c — invalidation: R52–R58. */
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

/* R52: the sequence: name out of the table before the callback; callback once,
 * on the invalidating thread, before context.release. */
static void test_R52_invalidation_sequence(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cb = tb_program(&b);
    tb_create_remote(&b, cb, 1, SVC); /* inside the callback */
    uint16_t cli = client(&b, 1 * MS);
    tb_set_callback(&b, cli, 0, cb);
    tb_simple(&b, cli, CM_OP_INVALIDATE, 0);
    tb_simple(&b, cli, CM_OP_INVALIDATE, 0);
    uint16_t local = tb_program(&b);
    uint32_t lc = tb_create_local(&b, local, 0, "mine", tb_echo_handler(&b, 0));
    tb_context(&b, local, lc, 3, CM_OPF_CTX_RELEASE);
    tb_set_callback(&b, local, 0, tb_program(&b));
    tb_simple(&b, local, CM_OP_INVALIDATE, 0);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_process(&b, "local", local);
    tb_run(&b);
    /* the remote table entry was gone: CreateRemote in the callback made a new object */
    int32_t old = tb_return(&b, cli, 1, 0)->ret.result;
    const cm_event *fresh = tb_return(&b, cb, 0, 0);
    assert_true(fresh->ret.result >= 0 && fresh->ret.result != old);
    assert_int_equal(tb_callbacks(&b, old), 1);
    const cm_event *c = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, old, 0);
    assert_int_equal(c->process, 1);
    assert_int_equal(c->callback.info, 0); /* a remote's callback gets NULL info */
    int32_t lport = tb_return(&b, local, lc, 0)->ret.result;
    int32_t cbi = tb_index(&b, CM_EV_INVALIDATION_CALLBACK, lport, 0);
    int32_t rel = tb_index(&b, CM_EV_CONTEXT_RELEASE, lport, 0);
    assert_true(cbi >= 0 && cbi < rel);
    assert_int_equal(tb_find(&b, CM_EV_INVALIDATION_CALLBACK, lport, 0)->callback.info, 3);
    tb_fini(&b);
}

/* R53: the state after invalidation. */
static void test_R53_state_after_invalidation(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t lc = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, lc, 8, 0);
    tb_create_remote(&b, p, 1, SVC);
    tb_simple(&b, p, CM_OP_INVALIDATE, 1);
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    uint32_t valid = tb_simple(&b, p, CM_OP_IS_VALID, 0);
    uint32_t name = tb_simple(&b, p, CM_OP_GET_NAME, 0);
    uint32_t remote = tb_simple(&b, p, CM_OP_IS_REMOTE, 1);
    uint32_t ctx = tb_simple(&b, p, CM_OP_GET_CONTEXT, 0);
    uint32_t send = tb_send(&b, p, 1, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    uint32_t source = tb_simple(&b, p, CM_OP_CREATE_SOURCE, 0);
    cm_op *q = tb_op(&b, p, CM_OP_SET_DISPATCH_QUEUE);
    q->slot = 0;
    q->target = CM_QUEUE_MAIN;
    uint32_t cb = tb_set_callback(&b, p, 0, tb_program(&b));
    uint32_t again = tb_create_local(&b, p, 2, SVC, tb_echo_handler(&b, 0));
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, valid, 0)->ret.result, 0);
    assert_true(tb_return(&b, p, name, 0)->ret.result >= 0);
    assert_int_equal(tb_return(&b, p, remote, 0)->ret.result, 1);
    assert_int_equal(tb_return(&b, p, ctx, 0)->ret.aux, 0);
    assert_int_equal(tb_return(&b, p, send, 0)->ret.result, CM_IS_INVALID);
    assert_int_equal(tb_return(&b, p, source, 0)->ret.result, -1);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 0)->warning.warning, CM_WARN_QUEUE_INVALID);
    assert_int_equal(tb_return(&b, p, cb, 0)->ret.result, 1); /* called at once */
    /* the name left this process's table at once; bootstrap still has it (R62) */
    const cm_event *r = tb_return(&b, p, again, 0);
    assert_int_equal(r->ret.result, -1);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 1)->warning.warning, CM_WARN_REGISTER_FAILED);
    tb_fini(&b);
}

/* R54: the last release invalidates: the callback runs inside CFRelease. */
static void test_R54_dealloc_invalidates(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_set_callback(&b, p, 0, tb_program(&b));
    uint32_t rel = tb_simple(&b, p, CM_OP_RELEASE, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    int32_t cb = tb_index(&b, CM_EV_INVALIDATION_CALLBACK, 0, 0);
    int32_t dealloc = tb_index(&b, CM_EV_DEALLOC, 0, 0);
    int32_t ret = tb_index_of(&b, tb_return(&b, p, rel, 0));
    assert_true(cb >= 0 && cb < dealloc && dealloc < ret);
    tb_fini(&b);
}

/* R55: a remote invalidated from another thread does not wake the waiter:
 * -5 at its deadline. (With the UNCERTAIN option on, at once.) */
static void test_R55_cross_thread_invalidation_wakes_no_one(void **state)
{
    (void)state;
    for (int wakes = 0; wakes < 2; wakes++) {
        tb b;
        tb_init(&b);
        b.cfg.profile.cross_thread_invalidate_wakes = wakes;
        uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 500 * MS), 1 * SEC);
        uint16_t cli = client(&b, 1 * MS);
        uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, 200 * MS, CM_MODE_DEFAULT);
        uint16_t killer = tb_program(&b);
        tb_sleep(&b, killer, 10 * MS);
        tb_create_remote(&b, killer, 0, SVC); /* the same cached object */
        tb_simple(&b, killer, CM_OP_INVALIDATE, 0);
        tb_process(&b, "server", srv);
        uint16_t cp = tb_process(&b, "client", cli);
        tb_thread(&b, cp, "killer", killer);
        tb_run(&b);
        const cm_event *r = tb_return(&b, cli, send, 0);
        assert_int_equal(r->ret.result, CM_BECAME_INVALID);
        assert_int_equal(r->time_ns, wakes ? 10 * MS : 201 * MS);
        tb_fini(&b);
    }
}

/* R56: the server's death reaches a client's main thread through the main
 * queue; the callback runs there, once, only if the main thread drains it. */
static void test_R56_death_invalidates_on_main_queue(void **state)
{
    (void)state;
    for (int drains = 0; drains < 2; drains++) {
        tb b;
        tb_init(&b);
        uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
        uint16_t cli = client(&b, 1 * MS);
        tb_set_callback(&b, cli, 0, tb_program(&b));
        if (drains) {
            tb_run_mode(&b, cli, CM_MODE_DEFAULT, 100 * MS);
        } else {
            tb_sleep(&b, cli, 100 * MS);
        }
        uint32_t valid = tb_simple(&b, cli, CM_OP_IS_VALID, 0);
        uint16_t server = tb_process(&b, "server", srv);
        tb_process(&b, "client", cli);
        tb_fault(&b, 10 * MS, CM_FAULT_CRASH, server);
        tb_run(&b);
        int32_t remote = tb_return(&b, cli, 1, 0)->ret.result;
        assert_int_equal(tb_callbacks(&b, remote), 1);
        const cm_event *c = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, remote, 0);
        assert_int_equal(c->thread, 0);
        int64_t notice = 10 * MS + b.cfg.profile.death_notice_delay_ns;
        assert_int_equal(c->time_ns, drains ? notice : 101 * MS); /* else only IsValid */
        assert_int_equal(tb_return(&b, cli, valid, 0)->ret.result, 0);
        tb_fini(&b);
    }
}

/* R57: a client's death does not invalidate the server's local port. */
static void test_R57_local_port_survives_client_death(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 50 * MS));
    tb_set_callback(&b, srv, 0, tb_program(&b));
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 200 * MS);
    uint32_t valid = tb_simple(&b, srv, CM_OP_IS_VALID, 0);
    uint16_t cli = client(&b, 1 * MS);
    tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    uint16_t c = tb_process(&b, "client", cli);
    tb_fault(&b, 10 * MS, CM_FAULT_CRASH, c);
    tb_run(&b);
    assert_int_equal(tb_return(&b, srv, valid, 0)->ret.result, 1);
    assert_int_equal(tb_callbacks(&b, 0), 0);
    const cm_event *sent = tb_find(&b, CM_EV_REPLY_SENT, 0, 0);
    assert_int_equal(sent->reply.delivered, 0); /* the reply went nowhere, quietly */
    tb_fini(&b);
}

/* R58: invalidating the remote inside a callout that runs during a send on
 * that remote gives that send -5. */
static void test_R58_remote_invalidated_in_nested_callout(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 100 * MS), 1 * SEC);
    uint16_t h = tb_program(&b);
    tb_simple(&b, h, CM_OP_INVALIDATE, 0); /* slot 0: the client's remote */
    uint16_t cli = tb_program(&b);
    tb_create_local(&b, cli, 1, MINE, h);
    tb_schedule(&b, cli, 1, CM_MODE_DEFAULT);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    uint16_t poke = tb_program(&b);
    tb_sleep(&b, poke, 20 * MS);
    tb_create_remote(&b, poke, 0, MINE);
    tb_oneway(&b, poke, 0, 9, "now", SEC);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_process(&b, "poker", poke);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_BECAME_INVALID);
    assert_int_equal(r->time_ns, 20 * MS);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R52_invalidation_sequence),
        cmocka_unit_test(test_R53_state_after_invalidation),
        cmocka_unit_test(test_R54_dealloc_invalidates),
        cmocka_unit_test(test_R55_cross_thread_invalidation_wakes_no_one),
        cmocka_unit_test(test_R56_death_invalidates_on_main_queue),
        cmocka_unit_test(test_R57_local_port_survives_client_death),
        cmocka_unit_test(test_R58_remote_invalidated_in_nested_callout),
    };
    return cmocka_run_group_tests_name("core_invalidation", tests, NULL, NULL);
}
