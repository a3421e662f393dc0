/* cm_receive_test.c — receiving: R40–R46. */
#include "cm_test_util.h"

#define SVC "com.example.svc"

static uint16_t client(tb *b, int64_t delay_ns)
{
    uint16_t c = tb_program(b);
    tb_sleep(b, c, delay_ns);
    tb_create_remote(b, c, 0, SVC);
    return c;
}

/* R40, R46, R60: info is retained for the callout and released after it,
 * even when the callout invalidates its port (whose own release runs nested). */
static void test_R40_info_retained_through_callout(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t h = tb_program(&b);
    tb_simple(&b, h, CM_OP_INVALIDATE, CM_SLOT_SELF);
    tb_reply(&b, h, "still");
    uint16_t cb = tb_program(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, h);
    tb_context(&b, srv, 0, 77, CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE);
    tb_set_callback(&b, srv, 0, cb);
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    /* retain at creation, retain for the callout, release at invalidation,
     * release after the callout: all with the original info */
    int32_t retain2 = tb_index(&b, CM_EV_CONTEXT_RETAIN, 0, 1);
    int32_t callback = tb_index(&b, CM_EV_INVALIDATION_CALLBACK, 0, 0);
    int32_t release1 = tb_index(&b, CM_EV_CONTEXT_RELEASE, 0, 0);
    int32_t done = tb_index(&b, CM_EV_CALLOUT_DONE, 0, 0);
    int32_t release2 = tb_index(&b, CM_EV_CONTEXT_RELEASE, 0, 1);
    assert_true(retain2 >= 0 && retain2 < callback);
    assert_true(callback < release1 && release1 < done && done < release2);
    assert_int_equal(tb_find(&b, CM_EV_CONTEXT_RELEASE, 0, 1)->context.info, 77);
    assert_int_equal(tb_return(&b, cli, send, 0)->ret.result, CM_SUCCESS); /* R46: reply still sent */
    tb_fini(&b);
}

/* R40: a NULL callout crashes the receiver when a message arrives. */
static void test_R40_null_callout_crashes_on_arrival(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, CM_NONE16, 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *crash = tb_find(&b, CM_EV_CRASH, CM_NO_PORT, 0);
    assert_non_null(crash);
    assert_int_equal(crash->process, 0);
    assert_int_equal(crash->time_ns, 1 * MS);
    assert_int_equal(tb_return(&b, cli, send, 0)->ret.result, CM_BECAME_INVALID);
    tb_fini(&b);
}

/* R41: an unnamed port scheduled, then named, receives nothing (warning);
 * a scheduled port that is renamed stops receiving. */
static void test_R41_unnamed_when_scheduled_receives_nothing(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        tb b;
        tb_init(&b);
        uint16_t srv = tb_program(&b);
        tb_create_local(&b, srv, 0, variant == 0 ? NULL : "old.name", tb_echo_handler(&b, 0));
        tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
        uint32_t rename = tb_simple(&b, srv, CM_OP_SET_NAME, 0);
        b.ops[srv][rename].name = tb_blob(&b, SVC);
        tb_run_mode(&b, srv, CM_MODE_DEFAULT, 1 * SEC);
        uint16_t cli = client(&b, 1 * MS);
        uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, 100 * MS, CM_MODE_DEFAULT);
        tb_process(&b, "server", srv);
        tb_process(&b, "client", cli);
        tb_run(&b);
        assert_int_equal(tb_return(&b, srv, rename, 0)->ret.result, 1);
        assert_int_equal(tb_return(&b, cli, send, 0)->ret.result, CM_RECEIVE_TIMEOUT);
        assert_int_equal(tb_count(&b, CM_EV_CALLOUT, CM_NO_PORT), 0);
        uint32_t warnings = tb_count(&b, CM_EV_WARNING, CM_NO_PORT);
        assert_int_equal(warnings, variant == 0 ? 1 : 0);
        tb_fini(&b);
    }
}

/* R42: one message per wake-up, callouts one at a time in enqueue order. */
static void test_R42_fifo_one_callout_at_a_time(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 10 * MS), 1 * SEC);
    tb_process(&b, "server", srv);
    uint16_t cli[3];
    for (int i = 0; i < 3; i++) {
        cli[i] = client(&b, 1 * MS);
        tb_send(&b, cli[i], 0, 10 + i, "x", SEC, SEC, CM_MODE_DEFAULT);
        char name[8] = "c0";
        name[1] = (char)('0' + i);
        tb_process(&b, name, cli[i]);
    }
    tb_run(&b);
    int64_t t_prev = -1;
    int32_t msgid_prev = -1;
    for (uint32_t i = 0; i < 3; i++) {
        const cm_event *c = tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, i);
        const cm_event *enq = tb_find(&b, CM_EV_ENQUEUE, CM_NO_PORT, i);
        assert_int_equal(c->request.msgid, enq->request.msgid); /* callouts in enqueue order */
        assert_int_equal(c->time_ns, 1 * MS + 10 * MS * (int64_t)i);
        assert_true(c->time_ns > t_prev && c->request.msgid != msgid_prev);
        t_prev = c->time_ns;
        msgid_prev = c->request.msgid;
    }
    tb_fini(&b);
}

/* R43: a reply larger than the limit goes out empty (logged). */
static void test_R43_oversized_reply_sent_empty(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t h = tb_program(&b);
    uint32_t reply = tb_reply(&b, h, NULL);
    b.ops[h][reply].data = (cm_data){.size_bytes = CM_MAX_DATA_BYTES + 1, .blob = CM_NONE32};
    uint16_t srv = tb_server(&b, SVC, h, 1 * SEC);
    uint16_t cli = client(&b, 1 * MS);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.aux, -2); /* empty */
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 0)->warning.warning, CM_WARN_REPLY_TOO_BIG);
    tb_fini(&b);
}

/* R44, R50c: a message handed to the dispatch queue before the port was
 * invalidated reaches perform as invalid: no callout, no reply; the client
 * (waiting in a private mode) learns at its deadline, with -5. */
static void test_R44_invalid_on_arrival_no_callout_no_reply(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t priv = tb_mode(&b, "private");
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 50 * MS));
    cm_op *q = tb_op(&b, srv, CM_OP_SET_DISPATCH_QUEUE);
    q->slot = 0;
    q->target = 1;
    tb_sleep(&b, srv, 10 * MS);
    tb_simple(&b, srv, CM_OP_INVALIDATE, 0);
    tb_sleep(&b, srv, 1 * SEC);
    uint16_t first = client(&b, 1 * MS);
    uint32_t s1 = tb_send(&b, first, 0, 1, "a", SEC, SEC, priv);
    uint16_t second = client(&b, 2 * MS);
    uint32_t s2 = tb_send(&b, second, 0, 2, "b", SEC, 200 * MS, priv);
    uint16_t server = tb_process(&b, "server", srv);
    tb_queue(&b, server, CM_QUEUE_SERIAL, 1);
    tb_process(&b, "first", first);
    tb_process(&b, "second", second);
    tb_run(&b);
    assert_int_equal(tb_return(&b, first, s1, 0)->ret.result, CM_SUCCESS); /* in progress: R46 */
    const cm_event *drop = tb_find(&b, CM_EV_REQUEST_DROPPED, CM_NO_PORT, 0);
    assert_non_null(drop);
    assert_int_equal(drop->drop.reason, CM_DROP_INVALID_ON_ARRIVAL);
    assert_int_equal(drop->time_ns, 51 * MS);
    assert_int_equal(tb_count(&b, CM_EV_CALLOUT, CM_NO_PORT), 1);
    const cm_event *r = tb_return(&b, second, s2, 0);
    assert_int_equal(r->ret.result, CM_BECAME_INVALID);
    assert_int_equal(r->time_ns, 202 * MS); /* at its deadline, not earlier */
    tb_fini(&b);
}

/* R45, R60: a malformed request is dropped without a callout (after the
 * context retain, which is never released); the client gets -2. */
static void test_R45_malformed_request_dropped(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    tb_context(&b, srv, 0, 5, CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE);
    uint16_t cli = client(&b, 1 * MS);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, 100 * MS, CM_MODE_DEFAULT);
    b.ops[cli][send].flags = CM_OPF_MALFORMED;
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_count(&b, CM_EV_CALLOUT, CM_NO_PORT), 0);
    assert_int_equal(tb_find(&b, CM_EV_REQUEST_DROPPED, CM_NO_PORT, 0)->drop.reason, CM_DROP_MALFORMED);
    assert_int_equal(tb_count(&b, CM_EV_CORRUPT_REPLY_DROPPED, CM_NO_PORT), 1);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 100 * MS);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_RETAIN, 0), 2);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_RELEASE, 0), 0); /* (until invalidation) */
    tb_fini(&b);
}

/* R46: invalidation inside the callout: the reply still goes out; queued
 * requests die with the receive right and their clients get -5. */
static void test_R46_invalidate_in_callout_reply_still_sent(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    b.cfg.profile.rights_release_delay_ns = 0;
    uint16_t h = tb_program(&b);
    tb_sleep(&b, h, 10 * MS);
    tb_simple(&b, h, CM_OP_INVALIDATE, CM_SLOT_SELF);
    tb_reply(&b, h, "done");
    uint16_t srv = tb_server(&b, SVC, h, 1 * SEC);
    uint16_t first = client(&b, 1 * MS);
    uint32_t s1 = tb_send(&b, first, 0, 1, "a", SEC, SEC, CM_MODE_DEFAULT);
    uint16_t second = client(&b, 2 * MS);
    uint32_t s2 = tb_send(&b, second, 0, 2, "b", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "first", first);
    tb_process(&b, "second", second);
    tb_run(&b);
    const cm_event *r1 = tb_return(&b, first, s1, 0);
    assert_int_equal(r1->ret.result, CM_SUCCESS);
    assert_int_equal(r1->ret.aux, (int32_t)tb_blob(&b, "done"));
    const cm_event *r2 = tb_return(&b, second, s2, 0);
    assert_int_equal(r2->ret.result, CM_BECAME_INVALID);
    assert_int_equal(r2->time_ns, 11 * MS);
    assert_int_equal(tb_count(&b, CM_EV_MESSAGE_DESTROYED, CM_NO_PORT), 1);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R40_info_retained_through_callout),
        cmocka_unit_test(test_R40_null_callout_crashes_on_arrival),
        cmocka_unit_test(test_R41_unnamed_when_scheduled_receives_nothing),
        cmocka_unit_test(test_R42_fifo_one_callout_at_a_time),
        cmocka_unit_test(test_R43_oversized_reply_sent_empty),
        cmocka_unit_test(test_R44_invalid_on_arrival_no_callout_no_reply),
        cmocka_unit_test(test_R45_malformed_request_dropped),
        cmocka_unit_test(test_R46_invalidate_in_callout_reply_still_sent),
    };
    return cmocka_run_group_tests_name("core_receive", tests, NULL, NULL);
}
