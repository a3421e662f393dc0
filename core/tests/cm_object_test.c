/* cm_object_test.c — the object model: R1–R9. */
#include "cm_test_util.h"

#define SVC "com.example.svc"

#define ALL_CTX (CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE | CM_OPF_CTX_COPYDESC)

/* R1: IsRemote is fixed at creation and survives invalidation. */
static void test_R1_is_remote_fixed_for_life(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_create_remote(&b, p, 1, SVC);
    uint32_t l1 = tb_simple(&b, p, CM_OP_IS_REMOTE, 0);
    uint32_t r1 = tb_simple(&b, p, CM_OP_IS_REMOTE, 1);
    tb_simple(&b, p, CM_OP_INVALIDATE, 1);
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    uint32_t l2 = tb_simple(&b, p, CM_OP_IS_REMOTE, 0);
    uint32_t r2 = tb_simple(&b, p, CM_OP_IS_REMOTE, 1);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, l1, 0)->ret.result, 0);
    assert_int_equal(tb_return(&b, p, r1, 0)->ret.result, 1);
    assert_int_equal(tb_return(&b, p, l2, 0)->ret.result, 0);
    assert_int_equal(tb_return(&b, p, r2, 0)->ret.result, 1);
    tb_fini(&b);
}

/* R2, R6: a remote port has no context: GetContext reads garbage (undefined). */
static void test_R2_remote_has_no_context(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t create = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, create, 42, 0);
    tb_create_remote(&b, p, 1, SVC);
    uint32_t local = tb_simple(&b, p, CM_OP_GET_CONTEXT, 0);
    uint32_t remote = tb_simple(&b, p, CM_OP_GET_CONTEXT, 1);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, local, 0)->ret.aux, 42);
    assert_int_equal(tb_return(&b, p, remote, 0)->ret.aux, CM_INFO_UNDEFINED);
    tb_fini(&b);
}

/* R3: validity is a one-way latch: new -> valid -> invalid, never back. */
static void test_R3_validity_is_a_one_way_latch(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    uint32_t v1 = tb_simple(&b, p, CM_OP_IS_VALID, 0);
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    tb_simple(&b, p, CM_OP_INVALIDATE, 0); /* idempotent */
    uint32_t v2 = tb_simple(&b, p, CM_OP_IS_VALID, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, v1, 0)->ret.result, 1);
    assert_int_equal(tb_return(&b, p, v2, 0)->ret.result, 0);
    const cm_event *s0 = tb_find(&b, CM_EV_STATE, 0, 0);
    const cm_event *s1 = tb_find(&b, CM_EV_STATE, 0, 1);
    assert_int_equal(s0->state.from, 0);
    assert_int_equal(s0->state.to, 1); /* new -> valid */
    assert_int_equal(s1->state.from, 1);
    assert_int_equal(s1->state.to, 2); /* valid -> invalid */
    assert_null(tb_find(&b, CM_EV_STATE, 0, 2));
    tb_fini(&b);
}

/* R4: one type id for local and remote ports; equality is identity. */
static void test_R4_one_type_id_and_identity(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    uint32_t r = tb_create_remote(&b, p, 1, SVC);
    uint32_t t0 = tb_simple(&b, p, CM_OP_GET_TYPE_ID, 0);
    uint32_t t1 = tb_simple(&b, p, CM_OP_GET_TYPE_ID, 1);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, t0, 0)->ret.result, tb_return(&b, p, t1, 0)->ret.result);
    /* the same-process remote is a distinct object from the local port */
    assert_int_not_equal(tb_return(&b, p, r, 0)->ret.result, tb_return(&b, p, 0, 0)->ret.result);
    tb_fini(&b);
}

/* R5: GetName returns the sanitized copy, still after invalidation; NULL when unnamed. */
static void test_R5_get_name_sanitized_and_after_invalidation(void **state)
{
    (void)state;
    char longname[200];
    memset(longname, 'a', 150);
    longname[150] = '\0';
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, longname, tb_echo_handler(&b, 0));
    tb_create_local(&b, p, 1, NULL, tb_echo_handler(&b, 0));
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    uint32_t name = tb_simple(&b, p, CM_OP_GET_NAME, 0);
    uint32_t none = tb_simple(&b, p, CM_OP_GET_NAME, 1);
    tb_process(&b, "p", p);
    tb_run(&b);
    int32_t id = tb_return(&b, p, name, 0)->ret.result;
    assert_true(id >= 0);
    char line[512];
    cm_event_format(b.w, tb_return(&b, p, name, 0), line, sizeof line);
    char expect[200] = "name=\"";
    memset(expect + 6, 'a', 128);
    expect[134] = '"';
    expect[135] = '\0';
    assert_non_null(strstr(line, expect)); /* 128 bytes, not 150 */
    assert_int_equal(tb_return(&b, p, none, 0)->ret.result, -1);
    tb_fini(&b);
}

/* R6: GetContext copies the struct; info reads NULL after invalidation. */
static void test_R6_context_info_null_after_invalidation(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t create = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, create, 7, ALL_CTX);
    uint32_t before = tb_simple(&b, p, CM_OP_GET_CONTEXT, 0);
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    uint32_t after = tb_simple(&b, p, CM_OP_GET_CONTEXT, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, before, 0)->ret.aux, 7);
    assert_int_equal(tb_return(&b, p, after, 0)->ret.aux, 0);
    tb_fini(&b);
}

/* R7: IsValid probes the Mach port; a dead name invalidates the remote on the
 * calling thread, callback included, before IsValid returns. */
static void test_R7_is_valid_invalidates_on_calling_thread(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    b.cfg.profile.main_queue_death_callbacks = false; /* only IsValid can notice */
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 5 * MS);
    uint16_t cb = tb_program(&b);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    tb_set_callback(&b, cli, 0, cb);
    tb_sleep(&b, cli, 10 * MS);
    uint32_t probe = tb_simple(&b, cli, CM_OP_IS_VALID, 0);
    uint32_t again = tb_simple(&b, cli, CM_OP_IS_VALID, 0);
    tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, probe, 0);
    assert_int_equal(r->ret.result, 0);
    int32_t port = r->port;
    const cm_event *callback = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, port, 0);
    assert_non_null(callback);
    assert_int_equal(callback->thread, 0);
    assert_true(tb_index_of(&b, callback) < tb_index_of(&b, r));
    assert_int_equal(tb_return(&b, cli, again, 0)->ret.result, 0);
    assert_int_equal(tb_callbacks(&b, port), 1);
    tb_fini(&b);
}

/* R8: Set on a valid port replaces (NULL clears); on an invalid port a
 * non-NULL callback runs at once with the current info and is not stored. */
static void test_R8_set_invalidation_callback_rules(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t cb1 = tb_program(&b);
    uint16_t cb2 = tb_program(&b);
    uint16_t p = tb_program(&b);
    uint32_t create = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, create, 9, 0);
    tb_create_local(&b, p, 1, "other", tb_echo_handler(&b, 0));
    tb_set_callback(&b, p, 0, cb1);
    tb_set_callback(&b, p, 0, cb2); /* last writer wins */
    uint32_t get = tb_simple(&b, p, CM_OP_GET_INVALIDATION_CALLBACK, 0);
    tb_set_callback(&b, p, 1, cb1);
    tb_set_callback(&b, p, 1, CM_NONE16); /* cleared: no callback at invalidation */
    tb_simple(&b, p, CM_OP_INVALIDATE, 0);
    tb_simple(&b, p, CM_OP_INVALIDATE, 1);
    uint32_t late = tb_set_callback(&b, p, 1, cb1);
    uint32_t get_late = tb_simple(&b, p, CM_OP_GET_INVALIDATION_CALLBACK, 1);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, get, 0)->ret.result, cb2);
    const cm_event *c0 = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, 0, 0);
    assert_int_equal(c0->callback.callback, cb2);
    assert_int_equal(c0->callback.info, 9); /* the context info */
    assert_int_equal(tb_callbacks(&b, 0), 1);
    const cm_event *c1 = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, 1, 0);
    assert_non_null(c1); /* only the late, immediate one */
    assert_int_equal(c1->callback.info, 0); /* info is NULL after invalidation */
    assert_true(tb_index_of(&b, c1) < tb_index_of(&b, tb_return(&b, p, late, 0)));
    assert_int_equal(tb_return(&b, p, get_late, 0)->ret.result, -1); /* not stored */
    tb_fini(&b);
}

/* R8: on an invalid remote the immediate callback gets garbage info. */
static void test_R8_late_callback_on_remote_gets_undefined_info(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t cb = tb_program(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_create_remote(&b, p, 1, SVC);
    tb_simple(&b, p, CM_OP_INVALIDATE, 1);
    tb_set_callback(&b, p, 1, cb);
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *c = tb_find(&b, CM_EV_INVALIDATION_CALLBACK, CM_NO_PORT, 0);
    assert_non_null(c);
    assert_int_equal(c->callback.info, CM_INFO_UNDEFINED);
    tb_fini(&b);
}

/* R9: CFCopyDescription calls copyDescription(info) when both are set. */
static void test_R9_copy_description_calls_context(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t a = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, a, 5, CM_OPF_CTX_COPYDESC);
    uint32_t c = tb_create_local(&b, p, 1, "no-info", tb_echo_handler(&b, 0));
    tb_context(&b, p, c, 0, CM_OPF_CTX_COPYDESC);
    uint32_t d = tb_create_local(&b, p, 2, "no-callback", tb_echo_handler(&b, 0));
    tb_context(&b, p, d, 5, 0);
    for (uint16_t slot = 0; slot < 3; slot++) tb_simple(&b, p, CM_OP_COPY_DESCRIPTION, slot);
    tb_simple(&b, p, CM_OP_COPY_DESCRIPTION, 0);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_COPY_DESCRIPTION, 0), 2);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_COPY_DESCRIPTION, 1), 0);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_COPY_DESCRIPTION, 2), 0);
    assert_int_equal(cm_world_port_info(b.w, 0).copydesc_calls, 2);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R1_is_remote_fixed_for_life),
        cmocka_unit_test(test_R2_remote_has_no_context),
        cmocka_unit_test(test_R3_validity_is_a_one_way_latch),
        cmocka_unit_test(test_R4_one_type_id_and_identity),
        cmocka_unit_test(test_R5_get_name_sanitized_and_after_invalidation),
        cmocka_unit_test(test_R6_context_info_null_after_invalidation),
        cmocka_unit_test(test_R7_is_valid_invalidates_on_calling_thread),
        cmocka_unit_test(test_R8_set_invalidation_callback_rules),
        cmocka_unit_test(test_R8_late_callback_on_remote_gets_undefined_info),
        cmocka_unit_test(test_R9_copy_description_calls_context),
    };
    return cmocka_run_group_tests_name("core_object", tests, NULL, NULL);
}
