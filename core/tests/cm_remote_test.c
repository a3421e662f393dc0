/* cm_remote_test.c — CreateRemote and remote ports: R22–R26. */
#include "cm_test_util.h"

#define SVC "com.example.svc"

/* R22: an unknown name gives NULL at once: no placeholder, no wait. */
static void test_R22_unknown_name_gives_null_at_once(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t r = tb_create_remote(&b, p, 0, "nobody.home");
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *e = tb_return(&b, p, r, 0);
    assert_int_equal(e->ret.result, -1);
    assert_int_equal(e->time_ns, 0);
    tb_fini(&b);
}

/* R23: a second CreateRemote returns the cached object +1. */
static void test_R23_cached_remote_returned(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    uint32_t r1 = tb_create_remote(&b, cli, 0, SVC);
    uint32_t r2 = tb_create_remote(&b, cli, 1, SVC);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    int32_t port = tb_return(&b, cli, r1, 0)->ret.result;
    assert_true(port >= 0);
    assert_int_equal(tb_return(&b, cli, r2, 0)->ret.result, port);
    assert_int_equal(cm_world_port_info(b.w, port).refcount, 2);
    tb_fini(&b);
}

/* R23: after a server restart, the first CreateRemote finds the dead cached
 * object, invalidates it and returns NULL; the retry looks up afresh. */
static void test_R23_restart_first_reconnect_null_then_retry(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    b.cfg.profile.main_queue_death_callbacks = false; /* nobody drains the main queue */
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cb = tb_program(&b);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    tb_set_callback(&b, cli, 0, cb);
    tb_sleep(&b, cli, 100 * MS); /* server dies at 20 ms, is back at 50 ms */
    uint32_t first = tb_create_remote(&b, cli, 1, SVC);
    uint32_t retry = tb_create_remote(&b, cli, 2, SVC);
    uint32_t send = tb_send(&b, cli, 2, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    uint16_t server = tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_fault(&b, 20 * MS, CM_FAULT_CRASH, server);
    tb_fault(&b, 50 * MS, CM_FAULT_RESTART, server);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, first, 0)->ret.result, -1);
    int32_t old = tb_return(&b, cli, 1, 0)->ret.result;
    assert_int_equal(tb_callbacks(&b, old), 1); /* invalidated inside CreateRemote */
    int32_t fresh = tb_return(&b, cli, retry, 0)->ret.result;
    assert_true(fresh >= 0);
    assert_int_not_equal(fresh, old);
    assert_int_equal(tb_return(&b, cli, send, 0)->ret.result, CM_SUCCESS);
    tb_fini(&b);
}

/* R24: a name whose port is dead (the R62 window) gives NULL, not an object. */
static void test_R24_dead_on_arrival_gives_null(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    b.cfg.profile.name_release_delay_ns = 10 * MS;
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 5 * MS);
    uint32_t dead = tb_create_remote(&b, cli, 0, SVC);
    tb_sleep(&b, cli, 10 * MS);
    uint32_t gone = tb_create_remote(&b, cli, 1, SVC);
    uint16_t server = tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_fault(&b, 1 * MS, CM_FAULT_CRASH, server);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, dead, 0)->ret.result, -1);
    assert_int_equal(tb_return(&b, cli, gone, 0)->ret.result, -1);
    /* the name was still registered at 5 ms and released at 11 ms */
    const cm_event *rel = tb_find(&b, CM_EV_NAME_RELEASED, CM_NO_PORT, 0);
    assert_int_equal(rel->time_ns, 11 * MS);
    assert_int_equal(cm_world_port_count(b.w), 1); /* no remote object was made */
    tb_fini(&b);
}

/* R25: a remote that has sent stays alive and cached after its last release. */
static void test_R25_remote_that_sent_outlives_release(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    uint32_t a = tb_create_remote(&b, cli, 0, SVC);
    tb_oneway(&b, cli, 0, 1, "x", SEC);
    tb_simple(&b, cli, CM_OP_RELEASE, 0);
    uint32_t again = tb_create_remote(&b, cli, 1, SVC);
    uint32_t c = tb_create_remote(&b, cli, 2, "other.svc");
    tb_simple(&b, cli, CM_OP_RELEASE, 2); /* never sent: deallocated */
    tb_process(&b, "server", srv);
    uint16_t holder = tb_program(&b);
    tb_create_local(&b, holder, 0, "other.svc", tb_echo_handler(&b, 0));
    tb_sleep(&b, holder, 1 * SEC);
    tb_process(&b, "client", cli);
    tb_process(&b, "holder", holder);
    tb_run(&b);
    int32_t port = tb_return(&b, cli, a, 0)->ret.result;
    assert_int_equal(tb_return(&b, cli, again, 0)->ret.result, port);
    int32_t unused = tb_return(&b, cli, c, 0)->ret.result;
    assert_true(cm_world_port_info(b.w, unused).deallocated);
    assert_false(cm_world_port_info(b.w, port).deallocated);
    tb_fini(&b);
}

/* R26a: a same-process remote: handled re-entrantly when this thread's run
 * loop services the local port in replyMode, else -2. */
static void test_R26_same_process_remote_reentrant_or_timeout(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t other = tb_mode(&b, "other");
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_schedule(&b, p, 0, CM_MODE_DEFAULT);
    tb_create_remote(&b, p, 1, SVC);
    uint32_t inside = tb_send(&b, p, 1, 1, "me", SEC, SEC, CM_MODE_DEFAULT);
    uint32_t outside = tb_send(&b, p, 1, 2, "me", SEC, 50 * MS, other);
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *r = tb_return(&b, p, inside, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.aux, (int32_t)tb_blob(&b, "me"));
    const cm_event *callout = tb_find(&b, CM_EV_CALLOUT, 0, 0);
    assert_int_equal(callout->thread, 0); /* nested in its own wait */
    r = tb_return(&b, p, outside, 0);
    assert_int_equal(r->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 50 * MS);
    tb_fini(&b);
}

/* R26b: invalidating the same-process remote poisons the local port: it still
 * delivers, until the next IsValid invalidates it. */
static void test_R26_same_process_remote_poisons_local(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t cb = tb_program(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_set_callback(&b, p, 0, cb);
    tb_schedule(&b, p, 0, CM_MODE_DEFAULT);
    tb_create_remote(&b, p, 1, SVC);
    tb_simple(&b, p, CM_OP_INVALIDATE, 1);
    tb_run_mode(&b, p, CM_MODE_DEFAULT, 100 * MS);
    uint32_t valid = tb_simple(&b, p, CM_OP_IS_VALID, 0);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", p);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS); /* still delivered, not told */
    const cm_event *probe = tb_return(&b, p, valid, 0);
    assert_int_equal(probe->ret.result, 0);
    assert_int_equal(tb_callbacks(&b, 0), 1);
    const cm_event *c = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, 0, 0);
    assert_true(tb_index_of(&b, c) > tb_index_of(&b, r));     /* not before... */
    assert_true(tb_index_of(&b, c) < tb_index_of(&b, probe)); /* ...but inside IsValid */
    tb_fini(&b);
}

/* R26c: deallocating the local port probes the cached remotes, which
 * invalidates the same-process remote (its callback runs inside). */
static void test_R26_local_dealloc_invalidates_same_process_remote(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    b.cfg.profile.rights_release_delay_ns = 0;
    uint16_t cb = tb_program(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_create_remote(&b, p, 1, SVC);
    tb_set_callback(&b, p, 1, cb);
    uint32_t rel = tb_simple(&b, p, CM_OP_RELEASE, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    int32_t remote = tb_return(&b, p, 1, 0)->ret.result;
    const cm_event *c = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, remote, 0);
    assert_non_null(c);
    assert_true(tb_index_of(&b, c) < tb_index_of(&b, tb_return(&b, p, rel, 0)));
    assert_true(cm_world_port_info(b.w, 0).deallocated);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R22_unknown_name_gives_null_at_once),
        cmocka_unit_test(test_R23_cached_remote_returned),
        cmocka_unit_test(test_R23_restart_first_reconnect_null_then_retry),
        cmocka_unit_test(test_R24_dead_on_arrival_gives_null),
        cmocka_unit_test(test_R25_remote_that_sent_outlives_release),
        cmocka_unit_test(test_R26_same_process_remote_reentrant_or_timeout),
        cmocka_unit_test(test_R26_same_process_remote_poisons_local),
        cmocka_unit_test(test_R26_local_dealloc_invalidates_same_process_remote),
    };
    return cmocka_run_group_tests_name("core_remote", tests, NULL, NULL);
}
