/* cm_basic_test.c — a first request/reply through the whole model. */
#include "cm_test_util.h"

/* R31, R32, R35: a two-way request is answered with the callout's data. */
static void test_R32_echo_request_reply(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t echo = tb_program(&b);
    tb_sleep(&b, echo, 3 * MS);
    tb_reply_echo(&b, echo);
    uint16_t srv = tb_program(&b);
    tb_create_local(&b, srv, 0, "com.example.svc", echo);
    tb_schedule(&b, srv, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, srv, CM_MODE_DEFAULT, 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, "com.example.svc");
    uint32_t send = tb_send(&b, cli, 0, 7, "hello", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_non_null(r);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->ret.aux, (int32_t)tb_blob(&b, "hello"));
    assert_int_equal(r->ret.elapsed_ns, 3 * MS);
    assert_int_equal(r->time_ns, 4 * MS);
    assert_int_equal(cm_world_end_reason(b.w), CM_END_QUIESCENT);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R32_echo_request_reply),
    };
    return cmocka_run_group_tests_name("core_basic", tests, NULL, NULL);
}
