/* cm_send_test.c — CFMessagePortSendRequest: R27–R39. */
#include "cm_test_util.h"

#define SVC "com.example.svc"

/* A client that sleeps 1 ms (the server comes up first) and looks SVC up. */
static uint16_t client(tb *b)
{
    uint16_t c = tb_program(b);
    tb_sleep(b, c, 1 * MS);
    tb_create_remote(b, c, 0, SVC);
    return c;
}

/* A named local port nobody schedules: requests pile up in its queue. */
static uint16_t idle_server(tb *b, int64_t alive_ns)
{
    uint16_t s = tb_program(b);
    tb_create_local(b, s, 0, SVC, tb_echo_handler(b, 0));
    tb_sleep(b, s, alive_ns);
    return s;
}

/* R27 step 1: oversized data is refused before the validity check. */
static void test_R27_oversized_data_gives_transport_error_even_when_invalid(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = client(&b);
    uint32_t big = tb_send(&b, cli, 0, 1, NULL, SEC, SEC, CM_MODE_DEFAULT);
    b.ops[cli][big].data = (cm_data){.size_bytes = CM_MAX_DATA_BYTES + 1, .blob = CM_NONE32};
    uint32_t ok = tb_send(&b, cli, 0, 1, NULL, SEC, SEC, CM_MODE_DEFAULT);
    b.ops[cli][ok].data = (cm_data){.size_bytes = CM_MAX_DATA_BYTES, .blob = CM_NONE32};
    tb_simple(&b, cli, CM_OP_INVALIDATE, 0);
    uint32_t big_invalid = tb_send(&b, cli, 0, 1, NULL, SEC, SEC, CM_MODE_DEFAULT);
    b.ops[cli][big_invalid].data = b.ops[cli][big].data;
    uint32_t small_invalid = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, big, 0)->ret.result, CM_TRANSPORT_ERROR);
    assert_int_equal(tb_return(&b, cli, ok, 0)->ret.result, CM_SUCCESS); /* the limit itself is fine */
    assert_int_equal(tb_return(&b, cli, big_invalid, 0)->ret.result, CM_TRANSPORT_ERROR);
    assert_int_equal(tb_return(&b, cli, small_invalid, 0)->ret.result, CM_IS_INVALID);
    assert_int_equal(tb_count(&b, CM_EV_WARNING, CM_NO_PORT), 2);
    tb_fini(&b);
}

/* R27 step 4: every send, one-way too, takes the next conversation id. */
static void test_R27_conversation_ids_count_one_way_sends(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = client(&b);
    tb_oneway(&b, cli, 0, 1, "a", SEC);
    tb_send(&b, cli, 0, 2, "b", SEC, SEC, CM_MODE_DEFAULT);
    tb_oneway(&b, cli, 0, 3, "c", SEC);
    tb_send(&b, cli, 0, 4, "d", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    for (uint32_t i = 0; i < 4; i++) {
        const cm_event *e = tb_find(&b, CM_EV_ENQUEUE, CM_NO_PORT, i);
        assert_non_null(e);
        assert_int_equal(e->request.msgid, (int32_t)i + 1); /* msgid */
        assert_int_equal(e->request.convid, (int32_t)i + 1); /* convid */
    }
    tb_fini(&b);
}

/* R28, R29: a full queue; the send timeout is floored to whole milliseconds. */
static void test_R28_send_timeout_floors_to_milliseconds(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = idle_server(&b, 1 * SEC);
    uint16_t cli = client(&b);
    for (int i = 0; i < CM_QLIMIT_DEFAULT; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    uint32_t floor_ms = tb_oneway(&b, cli, 0, 9, "x", 1900 * US);
    uint32_t sub_ms = tb_oneway(&b, cli, 0, 9, "x", 900 * US);
    uint32_t negative = tb_oneway(&b, cli, 0, 9, "x", -1 * SEC);
    uint32_t two_way = tb_send(&b, cli, 0, 9, "x", 2 * MS, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    for (uint32_t i = 2; i < 2 + CM_QLIMIT_DEFAULT; i++) {
        assert_int_equal(tb_return(&b, cli, i, 0)->ret.result, CM_SUCCESS);
    }
    const cm_event *r = tb_return(&b, cli, floor_ms, 0);
    assert_int_equal(r->ret.result, CM_SEND_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 1 * MS); /* 1.9 ms -> 1 ms */
    assert_int_equal(tb_return(&b, cli, sub_ms, 0)->ret.result, CM_SEND_TIMEOUT);
    assert_int_equal(tb_return(&b, cli, sub_ms, 0)->ret.elapsed_ns, 0); /* < 1 ms -> fail at once */
    assert_int_equal(tb_return(&b, cli, negative, 0)->ret.elapsed_ns, 0);
    r = tb_return(&b, cli, two_way, 0);
    assert_int_equal(r->ret.result, CM_SEND_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 2 * MS);
    tb_fini(&b);
}

/* R28: NaN and >= 10 days mean "block forever"; the sender is still blocked at the end. */
static void test_R28_nan_and_ten_days_block_forever(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        tb b;
        tb_init(&b);
        b.cfg.time_limit_ns = 30 * SEC;
        uint16_t srv = idle_server(&b, 20 * SEC);
        uint16_t cli = client(&b);
        for (int i = 0; i < CM_QLIMIT_DEFAULT; i++) tb_oneway(&b, cli, 0, i, "x", 0);
        int64_t timeout = variant == 0 ? CM_DURATION_NAN : CM_SEND_TIMEOUT_FOREVER_NS;
        uint32_t blocked = tb_oneway(&b, cli, 0, 9, "x", timeout);
        tb_process(&b, "server", srv);
        tb_process(&b, "client", cli);
        tb_run(&b);
        /* blocked until the server exits at 20 s: then its right dies (R30: -4) */
        const cm_event *r = tb_return(&b, cli, blocked, 0);
        assert_non_null(r);
        assert_int_equal(r->ret.result, CM_TRANSPORT_ERROR);
        assert_int_equal(r->time_ns, 20 * SEC);
        assert_int_equal(tb_count(&b, CM_EV_SEND_BLOCKED, CM_NO_PORT), 1);
        tb_fini(&b);
    }
}

/* R29: five queued requests fill the queue; the sixth waits for room. */
static void test_R29_queue_limit_five_then_room_after_dequeue(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, tb_echo_handler(&b, 0));
    tb_sleep(&b, srv, 10 * MS); /* not yet serving */
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 1 * SEC);
    uint16_t cli = client(&b);
    for (int i = 0; i < CM_QLIMIT_DEFAULT; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    uint32_t sixth = tb_oneway(&b, cli, 0, 5, "x", 100 * MS);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, sixth, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->time_ns, 10 * MS); /* the first dequeue made room */
    assert_int_equal(r->ret.elapsed_ns, 9 * MS);
    assert_int_equal(tb_count(&b, CM_EV_CALLOUT, CM_NO_PORT), 6);
    tb_fini(&b);
}

/* R29, R34: replies never block on the reply port's queue limit; late ones are dropped. */
static void test_R29_replies_exempt_from_queue_limit(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 1 * MS), 1 * SEC);
    uint16_t cli = client(&b);
    for (int i = 0; i < 7; i++) tb_send(&b, cli, 0, i, "x", SEC, 0, CM_MODE_DEFAULT);
    tb_sleep(&b, cli, 100 * MS); /* replies pile up in the reply port meanwhile */
    uint32_t last = tb_send(&b, cli, 0, 99, "last", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    for (uint32_t i = 2; i < 9; i++) assert_int_equal(tb_return(&b, cli, i, 0)->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(tb_count(&b, CM_EV_REPLY_SENT, CM_NO_PORT), 8);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(tb_find(&b, CM_EV_REPLY_SENT, CM_NO_PORT, i)->reply.delivered, 1);
    assert_int_equal(tb_count(&b, CM_EV_REPLY_DROPPED, CM_NO_PORT), 7);
    const cm_event *r = tb_return(&b, cli, last, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.aux, (int32_t)tb_blob(&b, "last")); /* never a stale reply */
    tb_fini(&b);
}

/* R30, R33: a send to a dead server before its death is processed gives -4 and
 * does not invalidate; once IsValid notices, later sends give -3. */
static void test_R33_dead_server_gives_transport_error_then_is_invalid(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 5 * MS);
    uint16_t cli = tb_program(&b);
    uint16_t worker = tb_program(&b);
    tb_sleep(&b, cli, 1 * SEC); /* the main thread never drains its main queue */
    tb_sleep(&b, worker, 1 * MS);
    tb_create_remote(&b, worker, 0, SVC);
    tb_sleep(&b, worker, 10 * MS);
    uint32_t first = tb_send(&b, worker, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    uint32_t second = tb_oneway(&b, worker, 0, 2, "x", SEC);
    uint32_t probe = tb_simple(&b, worker, CM_OP_IS_VALID, 0);
    uint32_t third = tb_send(&b, worker, 0, 3, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    uint16_t client_process = tb_process(&b, "client", cli);
    tb_thread(&b, client_process, "worker", worker);
    tb_run(&b);
    assert_int_equal(tb_return(&b, worker, first, 0)->ret.result, CM_TRANSPORT_ERROR);
    assert_int_equal(tb_return(&b, worker, second, 0)->ret.result, CM_TRANSPORT_ERROR);
    assert_int_equal(tb_return(&b, worker, probe, 0)->ret.result, 0);
    assert_int_equal(tb_return(&b, worker, third, 0)->ret.result, CM_IS_INVALID);
    /* R30: the counter is not rolled back: the third send is conversation 3 */
    cm_port_info info = cm_world_port_info(b.w, tb_return(&b, worker, third, 0)->port);
    assert_int_equal(info.conv_counter, 2);
    tb_fini(&b);
}

/* R30: a failed send (-1 or -4) removes the reply source it added (an empty
 * mode again) and does not roll the conversation counter back. */
static void test_R30_failed_send_cleans_up_but_keeps_counter(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t priv = tb_mode(&b, "private");
    uint16_t srv = idle_server(&b, 20 * MS);
    uint16_t cli = client(&b);
    for (int i = 0; i < CM_QLIMIT_DEFAULT; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    uint32_t full = tb_send(&b, cli, 0, 9, "x", 0, SEC, priv);
    uint32_t run1 = tb_run_mode(&b, cli, priv, SEC); /* nothing in the mode: finished */
    tb_sleep(&b, cli, 30 * MS);                      /* the server is gone */
    uint32_t dead = tb_send(&b, cli, 0, 9, "x", SEC, SEC, priv);
    uint32_t run2 = tb_run_mode(&b, cli, priv, SEC);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    b.cfg.profile.main_queue_death_callbacks = false;
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, full, 0)->ret.result, CM_SEND_TIMEOUT);
    assert_int_equal(tb_return(&b, cli, run1, 0)->ret.result, CM_RUN_FINISHED);
    assert_int_equal(tb_return(&b, cli, run1, 0)->ret.elapsed_ns, 0);
    assert_int_equal(tb_return(&b, cli, dead, 0)->ret.result, CM_TRANSPORT_ERROR);
    assert_int_equal(tb_return(&b, cli, run2, 0)->ret.result, CM_RUN_FINISHED);
    cm_port_info info = cm_world_port_info(b.w, tb_return(&b, cli, dead, 0)->port);
    assert_int_equal(info.conv_counter, CM_QLIMIT_DEFAULT + 2);
    tb_fini(&b);
}

/* R31: one-way returns at enqueue, ignores rcvTimeout, leaves returnData alone. */
static void test_R31_one_way_returns_on_enqueue(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 50 * MS), 1 * SEC);
    uint16_t cli = client(&b);
    uint32_t one = tb_send(&b, cli, 0, 1, "x", SEC, 10 * SEC, CM_MODE_NONE);
    uint32_t discard = tb_send(&b, cli, 0, 2, "y", SEC, SEC, CM_MODE_DEFAULT);
    b.ops[cli][discard].flags = CM_OPF_NO_RETURN_DATA;
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, one, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.elapsed_ns, 0);
    assert_int_equal(r->ret.aux, -1); /* returnData not written */
    r = tb_return(&b, cli, discard, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.elapsed_ns, 100 * MS); /* waited for both callouts, then discarded */
    assert_int_equal(r->ret.aux, -1);
    tb_fini(&b);
}

/* R32: the receive deadline starts after the send, so the total may reach
 * sendTimeout + rcvTimeout. */
static void test_R32_deadline_counts_from_after_the_send(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t work = tb_program(&b);
    tb_sleep(&b, work, 10 * MS); /* then replies NULL */
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, SVC, work);
    tb_sleep(&b, srv, 30 * MS);
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 1 * SEC);
    uint16_t cli = client(&b);
    for (int i = 0; i < CM_QLIMIT_DEFAULT; i++) tb_oneway(&b, cli, 0, i, "x", 0);
    uint32_t send = tb_send(&b, cli, 0, 9, "x", 50 * MS, 10 * MS, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    /* blocked 29 ms (1 ms -> 30 ms), then waited its full 10 ms: the server
     * needs 10 ms per message and five came first */
    assert_int_equal(r->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(r->ret.elapsed_ns, 29 * MS + 10 * MS);
    assert_int_equal(tb_count(&b, CM_EV_REPLY_DROPPED, CM_NO_PORT), 0);
    tb_fini(&b);
}

/* R32: rcvTimeout 0 polls the run loop once; a negative one counts as 0. */
static void test_R32_zero_receive_timeout_polls_once(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = client(&b);
    uint32_t zero = tb_send(&b, cli, 0, 1, "x", SEC, 0, CM_MODE_DEFAULT);
    uint32_t negative = tb_send(&b, cli, 0, 2, "x", SEC, -5 * SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, zero, 0)->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(tb_return(&b, cli, zero, 0)->ret.elapsed_ns, 0);
    assert_int_equal(tb_return(&b, cli, negative, 0)->ret.result, CM_RECEIVE_TIMEOUT);
    assert_int_equal(tb_return(&b, cli, negative, 0)->ret.elapsed_ns, 0);
    tb_fini(&b);
}

/* R33: a server crashing while it handles the request: -5 long before the deadline. */
static void test_R33_server_crash_during_request_gives_became_invalid(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 200 * MS), 10 * SEC);
    uint16_t cli = client(&b);
    uint32_t send = tb_send(&b, cli, 0, 7, "hi", SEC, 5 * SEC, CM_MODE_DEFAULT);
    uint16_t server = tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_fault(&b, 50 * MS, CM_FAULT_CRASH, server);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_BECAME_INVALID);
    assert_int_equal(r->time_ns, 50 * MS);
    assert_int_equal(tb_count(&b, CM_EV_CORRUPT_REPLY_DROPPED, CM_NO_PORT), 1);
    const cm_event *cb = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, CM_NO_PORT, 0);
    assert_null(cb); /* no callback was set */
    tb_fini(&b);
}

/* R33: a request still queued when the server dies: the queue is destroyed, -5. */
static void test_R33_queued_request_destroyed_gives_became_invalid(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = idle_server(&b, 1 * SEC);
    uint16_t cli = client(&b);
    uint32_t send = tb_send(&b, cli, 0, 7, "hi", SEC, 5 * SEC, CM_MODE_DEFAULT);
    uint16_t server = tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_fault(&b, 20 * MS, CM_FAULT_CRASH, server);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_BECAME_INVALID);
    assert_int_equal(r->time_ns, 20 * MS);
    assert_int_equal(tb_count(&b, CM_EV_MESSAGE_DESTROYED, CM_NO_PORT), 1);
    tb_fini(&b);
}

/* R34: a reply after -2 waits in the reply port and is dropped by the next
 * two-way send on the same remote; it never matches the later request. */
static void test_R34_late_reply_dropped_by_next_send(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t slow = tb_program(&b);
    tb_sleep(&b, slow, 100 * MS);
    tb_reply(&b, slow, "late");
    uint16_t srv = tb_server(&b, SVC, slow, 10 * SEC);
    uint16_t cli = client(&b);
    uint32_t first = tb_send(&b, cli, 0, 1, "a", SEC, 10 * MS, CM_MODE_DEFAULT);
    tb_sleep(&b, cli, 500 * MS);
    uint32_t second = tb_send(&b, cli, 0, 2, "b", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_int_equal(tb_return(&b, cli, first, 0)->ret.result, CM_RECEIVE_TIMEOUT);
    const cm_event *drop = tb_find(&b, CM_EV_REPLY_DROPPED, CM_NO_PORT, 0);
    assert_non_null(drop);
    assert_int_equal(drop->reply.convid, 1); /* conversation 1's reply */
    assert_int_equal(drop->time_ns, 511 * MS); /* when the second send ran the source */
    const cm_event *r = tb_return(&b, cli, second, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->time_ns, 611 * MS); /* its own reply, 100 ms later */
    tb_fini(&b);
}

/* R35: a NULL reply arrives as empty data (not NULL), status 0. */
static void test_R35_null_reply_arrives_as_empty_data(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_program(&b), 1 * SEC);
    uint16_t cli = client(&b);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.aux, -2); /* a zero-length CFData */
    tb_fini(&b);
}

/* R38: one-way to a named local port in the same process is delivered to itself;
 * two-way crashes the process. */
static void test_R38_send_to_local_port(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t h = tb_program(&b);
    tb_reply(&b, h, "r");
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, h);
    tb_schedule(&b, p, 0, CM_MODE_DEFAULT);
    uint32_t one = tb_oneway(&b, p, 0, 5, "self", SEC);
    tb_run_mode(&b, p, CM_MODE_DEFAULT, 10 * MS);
    uint32_t two = tb_send(&b, p, 0, 6, "self", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "self", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, one, 0)->ret.result, CM_SUCCESS);
    const cm_event *callout = tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, 0);
    assert_non_null(callout);
    assert_int_equal(callout->request.msgid, 5);
    assert_null(tb_return(&b, p, two, 0));
    const cm_event *crash = tb_find(&b, CM_EV_CRASH, CM_NO_PORT, 0);
    assert_non_null(crash);
    assert_int_equal(crash->process_end.reason, CM_CRASH_PRECONDITION);
    tb_fini(&b);
}

/* R39: NULL data is delivered as an empty CFData; msgid passes through, negative too. */
static void test_R39_null_data_and_negative_msgid(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = client(&b);
    uint32_t send = tb_send(&b, cli, 0, -1, NULL, SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *callout = tb_find(&b, CM_EV_CALLOUT, CM_NO_PORT, 0);
    assert_int_equal(callout->request.msgid, -1);
    assert_int_equal(callout->request.size_bytes, 0); /* zero-length, non-NULL */
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.aux, -2); /* the echo of an empty data is empty */
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R27_oversized_data_gives_transport_error_even_when_invalid),
        cmocka_unit_test(test_R27_conversation_ids_count_one_way_sends),
        cmocka_unit_test(test_R28_send_timeout_floors_to_milliseconds),
        cmocka_unit_test(test_R28_nan_and_ten_days_block_forever),
        cmocka_unit_test(test_R29_queue_limit_five_then_room_after_dequeue),
        cmocka_unit_test(test_R29_replies_exempt_from_queue_limit),
        cmocka_unit_test(test_R33_dead_server_gives_transport_error_then_is_invalid),
        cmocka_unit_test(test_R30_failed_send_cleans_up_but_keeps_counter),
        cmocka_unit_test(test_R31_one_way_returns_on_enqueue),
        cmocka_unit_test(test_R32_deadline_counts_from_after_the_send),
        cmocka_unit_test(test_R32_zero_receive_timeout_polls_once),
        cmocka_unit_test(test_R33_server_crash_during_request_gives_became_invalid),
        cmocka_unit_test(test_R33_queued_request_destroyed_gives_became_invalid),
        cmocka_unit_test(test_R34_late_reply_dropped_by_next_send),
        cmocka_unit_test(test_R35_null_reply_arrives_as_empty_data),
        cmocka_unit_test(test_R38_send_to_local_port),
        cmocka_unit_test(test_R39_null_data_and_negative_msgid),
    };
    return cmocka_run_group_tests_name("core_send", tests, NULL, NULL);
}
