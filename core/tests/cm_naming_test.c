/* cm_naming_test.c — names and local ports: R10–R21. */
#include "cm_test_util.h"

#define SVC "com.example.svc"

static void fill(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
}

/* A process that creates a local port named `name` in slot 0 and sleeps. */
static uint16_t holder(tb *b, const char *name, int64_t sleep_ns)
{
    uint16_t p = tb_program(b);
    tb_create_local(b, p, 0, name, tb_echo_handler(b, 0));
    tb_sleep(b, p, sleep_ns);
    return p;
}

/* R10: names are kept up to 128 UTF-8 bytes. */
static void test_R10_names_up_to_128_bytes_kept(void **state)
{
    (void)state;
    char n128[130], n129[130];
    fill(n128, 'x', 128);
    fill(n129, 'x', 129);
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t a = tb_create_local(&b, p, 0, n128, tb_echo_handler(&b, 0));
    uint32_t c = tb_create_local(&b, p, 1, n129, tb_echo_handler(&b, 0)); /* same 128 bytes */
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *ra = tb_return(&b, p, a, 0), *rc = tb_return(&b, p, c, 0);
    assert_true(ra->ret.result >= 0);
    assert_int_equal(rc->ret.result, ra->ret.result); /* R14: the same name, the same object */
    assert_int_equal(rc->ret.aux, 1);
    tb_fini(&b);
}

/* R11: an embedded NUL: CreateLocal gives an unnamed port, CreateRemote NULL,
 * SetName false; a NUL after byte 128 is cut away and harmless. */
static void test_R11_embedded_nul(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint32_t nul = tb_blob_bytes(&b, "bad\0name", 8);
    char late[140];
    fill(late, 'y', 139);
    late[130] = '\0';
    uint32_t late_nul = tb_blob_bytes(&b, late, 139);
    uint16_t p = tb_program(&b);
    uint32_t local = tb_create_local(&b, p, 0, NULL, tb_echo_handler(&b, 0));
    b.ops[p][local].name = nul;
    uint32_t name = tb_simple(&b, p, CM_OP_GET_NAME, 0);
    uint32_t valid = tb_simple(&b, p, CM_OP_IS_VALID, 0);
    uint32_t remote = tb_create_remote(&b, p, 1, NULL);
    b.ops[p][remote].name = nul;
    tb_create_local(&b, p, 2, "plain", tb_echo_handler(&b, 0));
    uint32_t rename = tb_simple(&b, p, CM_OP_SET_NAME, 2);
    b.ops[p][rename].name = nul;
    uint32_t ok = tb_create_local(&b, p, 3, NULL, tb_echo_handler(&b, 0));
    b.ops[p][ok].name = late_nul;
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *r = tb_return(&b, p, local, 0);
    assert_true(r->ret.result >= 0);
    assert_int_equal(r->ret.aux, 0); /* shouldFreeInfo false: a success */
    assert_int_equal(tb_return(&b, p, name, 0)->ret.result, -1);
    assert_int_equal(tb_return(&b, p, valid, 0)->ret.result, 1);
    assert_int_equal(tb_return(&b, p, remote, 0)->ret.result, -1);
    assert_int_equal(tb_return(&b, p, rename, 0)->ret.result, 0);
    assert_true(tb_return(&b, p, ok, 0)->ret.result >= 0);
    assert_int_equal(tb_count(&b, CM_EV_NAME_REGISTERED, CM_NO_PORT), 2); /* plain, late */
    tb_fini(&b);
}

/* R12: truncation keeps whole characters, so names that differ only after
 * byte 128 collide across processes too. */
static void test_R12_truncation_on_character_boundary(void **state)
{
    (void)state;
    char a[200], c[200];
    fill(a, 'z', 127);
    strcat(a, "\xe2\x82\xac-one"); /* a 3-byte character straddling byte 128 */
    fill(c, 'z', 127);
    strcat(c, "\xe2\x82\xac-two");
    tb b;
    tb_init(&b);
    uint16_t p1 = holder(&b, a, 1 * SEC);
    uint16_t p2 = tb_program(&b);
    tb_sleep(&b, p2, 1 * MS);
    uint32_t second = tb_create_local(&b, p2, 0, c, tb_echo_handler(&b, 0));
    uint32_t remote = tb_create_remote(&b, p2, 1, c);
    uint32_t name = tb_simple(&b, p2, CM_OP_GET_NAME, 1);
    tb_process(&b, "one", p1);
    tb_process(&b, "two", p2);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p2, second, 0)->ret.result, -1); /* R16: in use */
    assert_true(tb_return(&b, p2, remote, 0)->ret.result >= 0);     /* finds process one */
    char line[600];
    cm_event_format(b.w, tb_return(&b, p2, name, 0), line, sizeof line);
    char expect[200] = "name=\"";
    fill(expect + 6, 'z', 127);
    strcat(expect, "\"");
    assert_non_null(strstr(line, expect)); /* 127 bytes: the euro sign was dropped */
    tb_fini(&b);
}

/* R12 UNCERTAIN, as a profile option: a name of exactly 128 bytes may be rejected. */
static void test_R12_exactly_128_bytes_profile_option(void **state)
{
    (void)state;
    char n128[130];
    fill(n128, 'q', 128);
    for (int reject = 0; reject < 2; reject++) {
        tb b;
        tb_init(&b);
        b.cfg.profile.name128 = reject ? CM_NAME128_REJECT : CM_NAME128_ACCEPT;
        uint16_t p = tb_program(&b);
        uint32_t a = tb_create_local(&b, p, 0, n128, tb_echo_handler(&b, 0));
        tb_process(&b, "p", p);
        tb_run(&b);
        assert_int_equal(tb_return(&b, p, a, 0)->ret.result >= 0, !reject);
        tb_fini(&b);
    }
}

/* R13: a NULL name gives an unnamed local port; CreateRemote(NULL) and
 * SetName(NULL) are precondition violations (the process crashes). */
static void test_R13_null_names(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        tb b;
        tb_init(&b);
        uint16_t p = tb_program(&b);
        uint32_t op = tb_create_local(&b, p, 0, NULL, tb_echo_handler(&b, 0));
        if (variant == 1) op = tb_create_remote(&b, p, 1, NULL);
        if (variant == 2) op = tb_simple(&b, p, CM_OP_SET_NAME, 0);
        tb_process(&b, "p", p);
        tb_run(&b);
        if (variant == 0) {
            assert_true(tb_return(&b, p, op, 0)->ret.result >= 0);
            assert_int_equal(tb_count(&b, CM_EV_NAME_REGISTERED, CM_NO_PORT), 0);
        } else {
            assert_null(tb_return(&b, p, op, 0));
            assert_int_equal(tb_find(&b, CM_EV_CRASH, CM_NO_PORT, 0)->process_end.reason, CM_CRASH_PRECONDITION);
        }
        tb_fini(&b);
    }
}

/* R14, R18, R60: the same name again in one process returns the existing
 * port +1, ignores the new context (no retain) and says shouldFreeInfo. */
static void test_R14_same_process_same_name_returns_existing(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t a = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, a, 1, CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE);
    uint32_t c = tb_create_local(&b, p, 1, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, c, 2, CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE);
    uint32_t info = tb_simple(&b, p, CM_OP_GET_CONTEXT, 1);
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *ra = tb_return(&b, p, a, 0), *rc = tb_return(&b, p, c, 0);
    assert_int_equal(ra->ret.aux, 0);
    assert_int_equal(rc->ret.result, ra->ret.result);
    assert_int_equal(rc->ret.aux, 1);
    assert_int_equal(tb_return(&b, p, info, 0)->ret.aux, 1); /* the first context */
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_RETAIN, CM_NO_PORT), 1);
    assert_int_equal(cm_world_port_info(b.w, ra->ret.result).refcount, 2);
    tb_fini(&b);
}

/* R14, R26b: an existing entry that turns out invalid gives NULL once; a retry succeeds. */
static void test_R14_invalid_existing_gives_null_then_retry_succeeds(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_create_remote(&b, p, 1, SVC);
    tb_simple(&b, p, CM_OP_INVALIDATE, 1); /* poisons the shared wrapper */
    uint32_t first = tb_create_local(&b, p, 2, SVC, tb_echo_handler(&b, 0));
    uint32_t retry = tb_create_local(&b, p, 3, SVC, tb_echo_handler(&b, 0));
    tb_sleep(&b, p, 2 * MS);
    uint32_t later = tb_create_local(&b, p, 4, SVC, tb_echo_handler(&b, 0));
    b.cfg.profile.rights_release_delay_ns = 0;
    tb_process(&b, "p", p);
    tb_run(&b);
    const cm_event *r1 = tb_return(&b, p, first, 0);
    assert_int_equal(r1->ret.result, -1);
    assert_int_equal(r1->ret.aux, 1);
    assert_false(cm_world_port_info(b.w, 0).valid);
    /* the table entry is gone, but bootstrap keeps the name until launchd
     * notices the dead right (R62): the immediate retry fails, a later one works */
    assert_int_equal(tb_return(&b, p, retry, 0)->ret.result, -1);
    assert_true(tb_return(&b, p, later, 0)->ret.result >= 0);
    tb_fini(&b);
}

/* R15: a launchd-declared service: requests queued before the server started
 * are delivered after it checks in. */
static void test_R15_check_in_delivers_queued_requests(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    tb_service(&b, SVC);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_create_remote(&b, cli, 0, SVC);
    uint32_t send = tb_send(&b, cli, 0, 1, "early", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "client", cli);
    uint16_t server = tb_process(&b, "server", srv);
    b.processes[server].start_ns = 100 * MS;
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->time_ns, 100 * MS);
    assert_int_equal(r->ret.aux, (int32_t)tb_blob(&b, "early"));
    tb_fini(&b);
}

/* R15: the check-in port survives the server's crash: clients stay valid and
 * a restarted server receives what was sent meanwhile. */
static void test_R15_check_in_port_survives_server_restart(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    tb_service(&b, SVC);
    uint16_t srv = tb_server(&b, SVC, tb_echo_handler(&b, 0), 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 10 * MS);
    tb_create_remote(&b, cli, 0, SVC);
    tb_sleep(&b, cli, 20 * MS); /* the server is down from 20 ms to 50 ms */
    uint32_t send = tb_send(&b, cli, 0, 1, "during", SEC, SEC, CM_MODE_DEFAULT);
    uint32_t valid = tb_simple(&b, cli, CM_OP_IS_VALID, 0);
    uint16_t server = tb_process(&b, "server", srv);
    tb_process(&b, "client", cli);
    tb_fault(&b, 20 * MS, CM_FAULT_CRASH, server);
    tb_fault(&b, 50 * MS, CM_FAULT_RESTART, server);
    tb_run(&b);
    const cm_event *r = tb_return(&b, cli, send, 0);
    assert_int_equal(r->ret.result, CM_SUCCESS);
    assert_int_equal(r->time_ns, 50 * MS);
    assert_int_equal(tb_return(&b, cli, valid, 0)->ret.result, 1);
    tb_fini(&b);
}

/* R16, R18, R60: a name registered by another process: NULL, shouldFreeInfo,
 * and context.retain is not called. */
static void test_R16_name_taken_by_another_process(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p1 = holder(&b, SVC, 1 * SEC);
    uint16_t p2 = tb_program(&b);
    tb_sleep(&b, p2, 1 * MS);
    uint32_t c = tb_create_local(&b, p2, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p2, c, 3, CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE);
    tb_process(&b, "first", p1);
    tb_process(&b, "second", p2);
    tb_run(&b);
    const cm_event *r = tb_return(&b, p2, c, 0);
    assert_int_equal(r->ret.result, -1);
    assert_int_equal(r->ret.aux, 1);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_RETAIN, CM_NO_PORT), 0);
    assert_int_equal(tb_find(&b, CM_EV_WARNING, CM_NO_PORT, 0)->warning.warning, CM_WARN_REGISTER_FAILED);
    tb_fini(&b);
}

/* R18: context.retain runs exactly once, at successful creation. */
static void test_R18_context_retained_once_on_success(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    uint32_t a = tb_create_local(&b, p, 0, SVC, tb_echo_handler(&b, 0));
    tb_context(&b, p, a, 11, CM_OPF_CTX_RETAIN);
    uint32_t u = tb_create_local(&b, p, 1, NULL, tb_echo_handler(&b, 0));
    tb_context(&b, p, u, 12, CM_OPF_CTX_RETAIN);
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_count(&b, CM_EV_CONTEXT_RETAIN, CM_NO_PORT), 2);
    assert_int_equal(tb_find(&b, CM_EV_CONTEXT_RETAIN, 0, 0)->context.info, 11);
    assert_int_equal(tb_find(&b, CM_EV_CONTEXT_RETAIN, 1, 0)->context.info, 12);
    tb_fini(&b);
}

/* R19: SetName's refusals, and a successful rename freeing the old name later (R62). */
static void test_R19_set_name_rules(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p = tb_program(&b);
    tb_create_local(&b, p, 0, "a", tb_echo_handler(&b, 0));
    tb_create_local(&b, p, 1, "b", tb_echo_handler(&b, 0));
    tb_create_remote(&b, p, 2, "a");
    uint32_t own = tb_simple(&b, p, CM_OP_SET_NAME, 0);
    b.ops[p][own].name = tb_blob(&b, "a");
    uint32_t taken = tb_simple(&b, p, CM_OP_SET_NAME, 0);
    b.ops[p][taken].name = tb_blob(&b, "b");
    uint32_t remote = tb_simple(&b, p, CM_OP_SET_NAME, 2);
    b.ops[p][remote].name = tb_blob(&b, "c");
    uint32_t ok = tb_simple(&b, p, CM_OP_SET_NAME, 0);
    b.ops[p][ok].name = tb_blob(&b, "c");
    uint32_t name = tb_simple(&b, p, CM_OP_GET_NAME, 0);
    uint32_t reuse_now = tb_create_local(&b, p, 3, "a", tb_echo_handler(&b, 0));
    tb_sleep(&b, p, 5 * MS);
    uint32_t reuse_later = tb_create_local(&b, p, 4, "a", tb_echo_handler(&b, 0));
    tb_process(&b, "p", p);
    tb_run(&b);
    assert_int_equal(tb_return(&b, p, own, 0)->ret.result, 0);
    assert_int_equal(tb_return(&b, p, taken, 0)->ret.result, 0);
    assert_int_equal(tb_return(&b, p, remote, 0)->ret.result, 0);
    assert_int_equal(tb_return(&b, p, ok, 0)->ret.result, 1);
    assert_int_equal(tb_return(&b, p, name, 0)->ret.result, (int32_t)cm_world_port_info(b.w, 0).name_id);
    assert_int_equal(tb_return(&b, p, reuse_now, 0)->ret.result, -1); /* bootstrap still has "a" */
    assert_true(tb_return(&b, p, reuse_later, 0)->ret.result >= 0);
    tb_fini(&b);
}

/* R19, §11: with a dispatch queue attached, ventura refuses SetName, cf-1153 allows it. */
static void test_R19_set_name_with_queue_by_profile(void **state)
{
    (void)state;
    for (int profile = CM_PROFILE_VENTURA; profile <= CM_PROFILE_CF1153; profile++) {
        tb b;
        tb_init(&b);
        cm_profile_init(&b.cfg.profile, (cm_profile_id)profile);
        uint16_t p = tb_program(&b);
        tb_create_local(&b, p, 0, "a", tb_echo_handler(&b, 0));
        cm_op *q = tb_op(&b, p, CM_OP_SET_DISPATCH_QUEUE);
        q->slot = 0;
        q->target = 1;
        uint32_t rename = tb_simple(&b, p, CM_OP_SET_NAME, 0);
        b.ops[p][rename].name = tb_blob(&b, "b");
        uint16_t proc = tb_process(&b, "p", p);
        tb_queue(&b, proc, CM_QUEUE_SERIAL, 1);
        tb_run(&b);
        assert_int_equal(tb_return(&b, p, rename, 0)->ret.result, profile == CM_PROFILE_CF1153);
        tb_fini(&b);
    }
}

/* R20: per-PID ports: the same name in two processes, looked up by pid, not
 * cached, not renamable. */
static void test_R20_per_pid_ports(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t p1 = tb_program(&b);
    uint32_t l1 = tb_create_local(&b, p1, 0, SVC, tb_echo_handler(&b, 0));
    b.ops[p1][l1].kind = CM_OP_CREATE_LOCAL_PER_PID;
    uint32_t rename = tb_simple(&b, p1, CM_OP_SET_NAME, 0);
    b.ops[p1][rename].name = tb_blob(&b, "other");
    tb_schedule(&b, p1, 0, CM_MODE_DEFAULT);
    tb_run_mode(&b, p1, CM_MODE_DEFAULT, 1 * SEC);
    uint16_t p2 = tb_program(&b);
    uint32_t l2 = tb_create_local(&b, p2, 0, SVC, tb_echo_handler(&b, 0));
    b.ops[p2][l2].kind = CM_OP_CREATE_LOCAL_PER_PID;
    tb_sleep(&b, p2, 1 * SEC);
    uint16_t cli = tb_program(&b);
    tb_sleep(&b, cli, 1 * MS);
    uint32_t r1 = tb_create_remote(&b, cli, 0, SVC);
    b.ops[cli][r1].kind = CM_OP_CREATE_REMOTE_PER_PID;
    b.ops[cli][r1].target = 0;
    uint32_t r2 = tb_create_remote(&b, cli, 1, SVC);
    b.ops[cli][r2].kind = CM_OP_CREATE_REMOTE_PER_PID;
    b.ops[cli][r2].target = 0;
    uint32_t plain = tb_create_remote(&b, cli, 2, SVC);
    uint32_t send = tb_send(&b, cli, 0, 1, "x", SEC, SEC, CM_MODE_DEFAULT);
    tb_process(&b, "one", p1);
    tb_process(&b, "two", p2);
    tb_process(&b, "client", cli);
    tb_run(&b);
    assert_true(tb_return(&b, p1, l1, 0)->ret.result >= 0);
    assert_true(tb_return(&b, p2, l2, 0)->ret.result >= 0); /* no conflict */
    assert_int_equal(tb_return(&b, p1, rename, 0)->ret.result, 0);
    assert_true(tb_return(&b, cli, r1, 0)->ret.result >= 0);
    assert_int_not_equal(tb_return(&b, cli, r1, 0)->ret.result, tb_return(&b, cli, r2, 0)->ret.result);
    assert_int_equal(tb_return(&b, cli, plain, 0)->ret.result, -1); /* not a global name */
    assert_int_equal(tb_return(&b, cli, send, 0)->ret.result, CM_SUCCESS);
    tb_fini(&b);
}

/* R21: a sandboxed process may only register and look up "<group>.name". */
static void test_R21_sandbox_group_names(void **state)
{
    (void)state;
    tb b;
    tb_init(&b);
    uint16_t other = holder(&b, "com.other.svc", 1 * SEC);
    uint16_t p = tb_program(&b);
    tb_sleep(&b, p, 1 * MS);
    uint32_t in = tb_create_local(&b, p, 0, "group.example.svc", tb_echo_handler(&b, 0));
    uint32_t out = tb_create_local(&b, p, 1, "com.example.svc", tb_echo_handler(&b, 0));
    uint32_t look = tb_create_remote(&b, p, 2, "com.other.svc");
    tb_process(&b, "other", other);
    uint16_t sandboxed = tb_process(&b, "sandboxed", p);
    b.processes[sandboxed].sandbox_group = tb_blob(&b, "group.example");
    tb_run(&b);
    assert_true(tb_return(&b, p, in, 0)->ret.result >= 0);
    assert_int_equal(tb_return(&b, p, out, 0)->ret.result, -1);
    assert_int_equal(tb_return(&b, p, look, 0)->ret.result, -1);
    tb_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R10_names_up_to_128_bytes_kept),
        cmocka_unit_test(test_R11_embedded_nul),
        cmocka_unit_test(test_R12_truncation_on_character_boundary),
        cmocka_unit_test(test_R12_exactly_128_bytes_profile_option),
        cmocka_unit_test(test_R13_null_names),
        cmocka_unit_test(test_R14_same_process_same_name_returns_existing),
        cmocka_unit_test(test_R14_invalid_existing_gives_null_then_retry_succeeds),
        cmocka_unit_test(test_R15_check_in_delivers_queued_requests),
        cmocka_unit_test(test_R15_check_in_port_survives_server_restart),
        cmocka_unit_test(test_R16_name_taken_by_another_process),
        cmocka_unit_test(test_R18_context_retained_once_on_success),
        cmocka_unit_test(test_R19_set_name_rules),
        cmocka_unit_test(test_R19_set_name_with_queue_by_profile),
        cmocka_unit_test(test_R20_per_pid_ports),
        cmocka_unit_test(test_R21_sandbox_group_names),
    };
    return cmocka_run_group_tests_name("core_naming", tests, NULL, NULL);
}
