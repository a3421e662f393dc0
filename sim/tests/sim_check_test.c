/*
 * sim_check_test.c — the checker: wrong expectations fail at their YAML
 * position; the invariants fire on hand-made observations (the checker is
 * backend-neutral); same scenario + seed gives the same trace hash.
 * (`portsim run` itself: cli/tests/cli_run_test.c.)
 */
#define _DEFAULT_SOURCE /* mkstemps, mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include "sim_lint.h"
#include "sim_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sim_result run_text(const char *text, uint8_t strategy, uint64_t seed)
{
    sim_scenario sc;
    st_load_text("check.yaml", text, &sc);
    sim_run_options opt = sim_run_options_default();
    opt.strategy = strategy;
    opt.seed = seed;
    sim_result res;
    sim_run_model(&sc, &opt, &res);
    sim_scenario_free(&sc);
    return res;
}

static const sim_failure *failure_at(const sim_result *r, uint32_t line, uint32_t col)
{
    for (uint32_t i = 0; i < r->failure_count; i++) {
        if (r->failures[i].line == line && r->failures[i].col == col) return &r->failures[i];
    }
    for (uint32_t i = 0; i < r->failure_count; i++) {
        fprintf(stderr, "  have %u:%u %s\n", r->failures[i].line, r->failures[i].col,
                r->failures[i].message);
    }
    fail_msg("no failure at %u:%u", line, col);
    abort();
}

static void test_right_expectations_pass(void **state)
{
    (void)state;
    char *text = st_echo_variant("success", "\"hi\"", "10", "1", "3", "1");
    sim_result r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.verdict, SIM_VERDICT_PASS);
    assert_int_equal(r.failure_count, 0);
    assert_int_equal(r.step_count, 8);
    assert_int_equal(r.steps[4].executions, 1);
    assert_string_equal(r.steps[4].op, "send");
    assert_string_equal(r.steps[4].where, "client/main");
    assert_string_equal(r.steps[4].observed, "success reply=\"hi\" elapsed=3ms");
    assert_string_equal(r.steps[6].where, "handler echo");
    assert_true(r.trace_hash != 0);
    sim_result_free(&r);
    free(text);
}

/* Each wrong expectation fails at its own key, with expected and observed text. */
static void test_wrong_expectations_point_at_their_keys(void **state)
{
    (void)state;
    char *text = st_echo_variant("[receive_timeout, became_invalid]", "\"ho\"", "1", "3", "4", "2");
    sim_result r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    const sim_failure *f = failure_at(&r, 15, 28);
    assert_int_equal(f->kind, SIM_FAIL_EXPECT);
    assert_string_equal(f->message, "send result");
    assert_string_equal(f->expected, "receive_timeout or became_invalid");
    assert_string_equal(f->observed, "success");
    assert_int_equal(f->execution, 0);
    assert_int_equal(f->time_ns, 4 * CM_NS_PER_MS);
    f = failure_at(&r, 17, 26);
    assert_string_equal(f->message, "sleep executions");
    assert_string_equal(f->expected, "exactly 3");
    f = failure_at(&r, 21, 25);
    assert_string_equal(f->message, "work elapsed time");
    assert_string_equal(f->observed, "3ms");
    f = failure_at(&r, 24, 52);
    assert_int_equal(f->kind, SIM_FAIL_EVENTS);
    assert_string_equal(f->expected, "2");
    assert_string_equal(f->observed, "1");
    assert_true(r.steps[4].failed);
    assert_false(r.steps[3].failed);
    sim_result_free(&r);
    free(text);
    /* with the right status, the reply and the elapsed window are checked */
    text = st_echo_variant("success", "\"ho\"", "1", "1", "3", "1");
    r = run_text(text, SIM_STRATEGY_FIFO, 1);
    f = failure_at(&r, 15, 45);
    assert_string_equal(f->message, "send reply");
    assert_string_equal(f->expected, "\"ho\"");
    assert_string_equal(f->observed, "\"hi\"");
    f = failure_at(&r, 15, 59);
    assert_string_equal(f->expected, "at most 1ms");
    sim_result_free(&r);
    free(text);
}

/* Same scenario, seed, strategy and profile: the same trace hash, every time. */
/*
 * signal / wait_for (scenario-format §4.6): a wait ends at the virtual
 * instant of the raise, counts add up across processes and handlers, a raise
 * before the wait is not lost, and a wait that gives up fails the
 * "every wait_for is satisfied" invariant naming signal, count and waiter.
 */
static const char signal_scenario[] =
    "scenario: signals\n"
    "processes:\n"
    "  server:\n"
    "    threads:\n"
    "      main:\n"
    "        - signal: early\n"
    "        - create_local: {port: svc, name: com.portsim.test.signals, handler: h}\n"
    "        - schedule: svc\n"
    "        - sleep: 3ms\n"
    "        - signal: ready\n"
    "        - run_loop: {mode: default, for: 50ms}\n"
    "  client:\n"
    "    threads:\n"
    "      main:\n"
    "        - sleep: 1ms\n"
    "        - wait_for: early\n"
    "          expect: {result: true, elapsed: 0ns}\n"
    "        - wait_for: ready\n"
    "          expect: {result: true, elapsed: 2ms}\n"
    "        - create_remote: {port: r, name: com.portsim.test.signals}\n"
    "        - send: {port: r, msgid: 1, data: \"x\", send_timeout: 1s, recv_timeout: 1s, reply_mode: default}\n"
    "          expect: success\n"
    "        - wait_for: {signal: ready, count: 2, timeout: 5ms}\n"
    "          expect: true\n"
    "        - wait_for: {signal: ready, count: %s, timeout: 5ms}\n"
    "handlers:\n"
    "  h:\n"
    "    - signal: ready\n"
    "    - reply: echo\n";

static void test_signal_and_wait_for(void **state)
{
    (void)state;
    char text[sizeof signal_scenario + 16];
    snprintf(text, sizeof text, signal_scenario, "2");
    sim_result r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.failure_count, 0);
    assert_int_equal(r.verdict, SIM_VERDICT_PASS);
    sim_result_free(&r);
    /* the third raise never comes: the unexpected give-up is a clear invariant failure */
    snprintf(text, sizeof text, signal_scenario, "3");
    r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    const sim_failure *f = failure_at(&r, 25, 11);
    assert_int_equal(f->kind, SIM_FAIL_INVARIANT);
    assert_string_equal(f->message, "every wait_for is satisfied (or says expect: false)");
    assert_string_equal(f->expected, "signal 'ready' raised 3 times");
    assert_string_equal(f->observed, "timed out after 5ms (client/main was waiting)");
    assert_int_equal(r.failure_count, 1);
    sim_result_free(&r);
}

/* A server whose handler works 20 ms; the client's receive timeout is %s (joint outcomes, issue 13). */
static const char joint_scenario[] =
    "scenario: joint\n"
    "processes:\n"
    "  server:\n"
    "    threads:\n"
    "      main:\n"
    "        - create_local: {port: svc, name: com.portsim.joint, handler: slow}\n"
    "        - schedule: svc\n"
    "        - signal: ready\n"
    "        - run_loop: {mode: default, for: 100ms}\n"
    "  client:\n"
    "    threads:\n"
    "      main:\n"
    "        - wait_for: ready\n"
    "        - create_remote: {port: r, name: com.portsim.joint}\n"
    "        - send: {port: r, msgid: 1, data: \"a\", send_timeout: 1s, recv_timeout: %s, reply_mode: default}\n"
    "          expect: [{status: success, reply: \"a\"}, {status: receive_timeout, reply: null, elapsed: 10ms}]\n"
    "handlers:\n"
    "  slow: [{work: 20ms}, {reply: echo}]\n";

/* expect: as a list of mappings: an execution passes when one alternative holds in every field,
 * and one that matches none fails once, at the expectation, naming every alternative. */
static void test_joint_alternatives(void **state)
{
    (void)state;
    char text[sizeof joint_scenario + 32];
    const char *passing[] = {"1s", "10ms"}; /* success with the reply; a timeout without it */
    for (size_t i = 0; i < 2; i++) {
        snprintf(text, sizeof text, joint_scenario, passing[i]);
        sim_result r = run_text(text, SIM_STRATEGY_FIFO, 1);
        assert_int_equal(r.failure_count, 0);
        assert_int_equal(r.verdict, SIM_VERDICT_PASS);
        sim_result_free(&r);
    }
    snprintf(text, sizeof text, joint_scenario, "5ms"); /* a timeout, but at 5 ms: neither holds */
    sim_result r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    assert_int_equal(r.failure_count, 1);
    const sim_failure *f = failure_at(&r, 16, 19);
    assert_int_equal(f->kind, SIM_FAIL_EXPECT);
    assert_string_equal(f->message, "send outcome (no alternative holds)");
    assert_string_equal(f->expected,
                        "one of {success, reply \"a\"} | {receive_timeout, reply null, elapsed exactly 10ms}");
    assert_string_equal(f->observed, "receive_timeout, reply null, elapsed 5ms");
    sim_result_free(&r);
}

/* expect_order (issue 13): the first event of each pattern after the one before it; a wrong order
 * fails at the pattern that came too early, naming both; which: last picks the last event. */
static void test_expect_order(void **state)
{
    (void)state;
    static const char scenario[] =
        "scenario: order\n"
        "processes:\n"
        "  server:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: svc, name: com.portsim.order, handler: h, context: {info: 3, retain: true, release: true}}\n"
        "        - schedule: svc\n"
        "        - signal: ready\n"
        "        - run_loop: {mode: default, for: 30ms}\n"
        "        - release: svc\n"
        "  client:\n"
        "    threads:\n"
        "      main:\n"
        "        - wait_for: ready\n"
        "        - create_remote: {port: r, name: com.portsim.order}\n"
        "        - send: {port: r, msgid: 1, send_timeout: 1s}\n"
        "        - send: {port: r, msgid: 2, send_timeout: 1s}\n"
        "handlers:\n"
        "  h: []\n"
        "expect_order:\n"
        "  - [{callout: {msgid: %d}}, {callout: {msgid: %d}}]\n"
        "  - [{context_release: {process: server}, which: %s}, {callout: {msgid: 2}}]\n";
    char text[sizeof scenario + 32];
    snprintf(text, sizeof text, scenario, 1, 2, "last");
    sim_result r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.failure_count, 1); /* the port's last release (release: svc) comes after callout 2 */
    assert_string_equal(r.failures[0].expected, "the last context_release {process: server} before callout {msgid: 2}");
    sim_result_free(&r);
    snprintf(text, sizeof text, scenario, 2, 1, "first");
    r = run_text(text, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    assert_int_equal(r.failure_count, 1);
    const sim_failure *f = failure_at(&r, 21, 30);
    assert_int_equal(f->kind, SIM_FAIL_EVENTS);
    assert_string_equal(f->message, "event order");
    assert_string_equal(f->expected, "callout {msgid: 2} before callout {msgid: 1}");
    assert_string_equal(f->observed, "the second first, at 0ns");
    sim_result_free(&r);
}

/* wait_for: {ended: P} returns at the instant P dies (no virtual time), after which a send to it
 * fails at once; a wait for a second end that never comes is a clear invariant failure. */
static void test_wait_for_ended(void **state)
{
    (void)state;
    static const char scenario[] =
        "scenario: ended\n"
        "processes:\n"
        "  server:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: svc, name: com.portsim.ended, handler: h}\n"
        "        - signal: ready\n"
        "        - wait_for: connected\n"
        "        - sleep: 3ms\n"
        "        - crash: {}\n"
        "          expect: killed\n"
        "  client:\n"
        "    threads:\n"
        "      main:\n"
        "        - wait_for: ready\n"
        "        - create_remote: {port: r, name: com.portsim.ended}\n"
        "        - signal: connected\n"
        "        - wait_for: {ended: server}\n"
        "          expect: {result: true, elapsed: 3ms}\n"
        "        - send: {port: r, msgid: 1, send_timeout: 1s}\n"
        "          expect: {status: transport_error, elapsed: 0s}\n"
        "        - wait_for: {ended: server, count: 2, timeout: 5ms}\n"
        "handlers:\n"
        "  h: [{reply: echo}]\n";
    sim_result r = run_text(scenario, SIM_STRATEGY_FIFO, 1);
    assert_int_equal(r.verdict, SIM_VERDICT_FAIL);
    assert_int_equal(r.failure_count, 1);
    const sim_failure *f = failure_at(&r, 22, 11);
    assert_int_equal(f->kind, SIM_FAIL_INVARIANT);
    assert_string_equal(f->expected, "process 'server' ended 2 times");
    assert_string_equal(f->observed, "timed out after 5ms (client/main was waiting)");
    sim_result_free(&r);
}

/*
 * Found by portsim fuzz: a restart fault before a process's (jittered) start
 * started it, and the start then started it again (cm_process_start asserted).
 * Now the start is spent: one incarnation from the restart, no abort.
 */
static void test_restart_before_a_late_start(void **state)
{
    (void)state;
    sim_scenario sc;
    st_load_text("late.yaml",
                 "scenario: late-start\n"
                 "processes:\n"
                 "  s:\n"
                 "    threads:\n"
                 "      main:\n"
                 "        - sleep: 100ms\n"
                 "faults:\n"
                 "  - {at: 50ms, restart: s}\n",
                 &sc);
    sim_jitter j = {.kind = SIM_JITTER_PROCESS_START, .process = 0, .delay_ns = 80 * CM_NS_PER_MS};
    sim_run_options ro = sim_run_options_default();
    sim_obs obs;
    assert_true(sim_jitter_observe(&sc, &j, &ro, &obs));
    uint32_t starts = 0;
    for (uint32_t i = 0; i < obs.event_count; i++) starts += obs.events[i].kind == SIM_EV_START;
    assert_int_equal(starts, 1);
    assert_true(obs.end_ns >= 150 * CM_NS_PER_MS);
    sim_obs_fini(&obs);
    sim_scenario_free(&sc);
}

/*
 * Found by portsim fuzz against libcfmp: a create that returns NULL leaves
 * NULL in its variable (as `r = CFMessagePortCreateRemote(...)` does in C),
 * so a later send on it is the NULL-port precondition crash, as on every
 * agent; the model used to keep the port of an earlier create.
 */
static void test_null_create_clears_the_variable(void **state)
{
    (void)state;
    sim_result r = run_text("scenario: null-create\n"
                            "processes:\n"
                            "  s:\n"
                            "    threads:\n"
                            "      main:\n"
                            "        - create_local: {port: svc, name: com.portsim.test.nullcreate, handler: h}\n"
                            "        - create_remote: {port: r, name: com.portsim.test.nullcreate}\n"
                            "          expect: created\n"
                            "        - create_remote: {port: r, name: com.portsim.test.nobody}\n"
                            "          expect: null\n"
                            "        - is_valid: r\n"
                            "          expect: killed\n"
                            "handlers:\n"
                            "  h: [{reply: null}]\n"
                            "expect_events:\n"
                            "  - {crash: {process: s, reason: precondition}, count: 1}\n",
                            SIM_STRATEGY_FIFO, 1);
    if (r.failure_count > 0) fprintf(stderr, "%s: %s\n", r.failures[0].message, r.failures[0].observed);
    assert_int_equal(r.failure_count, 0);
    assert_int_equal(r.verdict, SIM_VERDICT_PASS);
    sim_result_free(&r);
}

static void test_same_seed_gives_same_trace_hash(void **state)
{
    (void)state;
    uint32_t count = 0;
    char **files = st_scenario_files(PORTSIM_SOURCE_DIR "/scenarios", &count);
    assert_true(count >= 5);
    for (uint32_t i = 0; i < count; i++) {
        sim_diag diag;
        sim_diag_init(&diag, files[i]);
        sim_scenario sc;
        if (!sim_load_file(files[i], &sc, &diag)) fail_msg("%s does not load", files[i]);
        sim_diag_fini(&diag);
        for (uint64_t seed = 0; seed < 3; seed++) {
            sim_run_options opt = sim_run_options_default();
            opt.seed = seed;
            opt.strategy = seed == 0 ? SIM_STRATEGY_FIFO : SIM_STRATEGY_RANDOM;
            sim_result a, b;
            sim_run_model(&sc, &opt, &a);
            sim_run_model(&sc, &opt, &b);
            if (a.trace_hash != b.trace_hash) fail_msg("%s seed %llu: hash differs", files[i], (unsigned long long)seed);
            assert_int_equal(a.event_count, b.event_count);
            assert_int_equal(a.virtual_time_ns, b.virtual_time_ns);
            assert_int_equal(a.verdict, b.verdict);
            if (a.verdict != SIM_VERDICT_PASS) fail_msg("%s seed %llu does not pass", files[i], (unsigned long long)seed);
            sim_result_free(&a);
            sim_result_free(&b);
        }
        sim_scenario_free(&sc);
        free(files[i]);
    }
    free(files);
}

/* ---- invariants on hand-made observations ---------------------------------- */

static const char inv_text[] =
    "scenario: invariants\n"
    "processes:\n"
    "  p:\n"
    "    threads:\n"
    "      main:\n"
    "        - create_local: {port: a, name: x, handler: h}\n"
    "        - create_remote: {port: r, name: x}\n"
    "        - send: {port: r, msgid: 9, send_timeout: 1s, recv_timeout: 1s, reply_mode: default}\n"
    "        - send: {port: r, msgid: 9, send_timeout: 1s, recv_timeout: 1s, reply_mode: default}\n"
    "          expect: blocked\n"
    "handlers:\n"
    "  h: []\n";

typedef struct inv_fixture {
    sim_scenario sc;
    sim_obs obs;
} inv_fixture;

static void inv_setup(inv_fixture *f)
{
    st_load_text("invariants.yaml", inv_text, &f->sc);
    sim_obs_init(&f->obs);
    sim_exec create = {.step = 0, .outcome = SIM_OUTCOME_RETURNED, .value = 1, .port = 5,
                       .callback = SIM_NONE, .request = -1, .start_seq = 1, .end_seq = 2};
    sim_obs_add_exec(&f->obs, &create);
    sim_exec remote = create;
    remote.step = 1;
    remote.port = 6;
    remote.start_seq = 3;
    remote.end_seq = 4;
    sim_obs_add_exec(&f->obs, &remote);
}

static uint32_t check_invariants(inv_fixture *f, const char *words)
{
    sim_result r;
    sim_result_init(&r);
    sim_check(&f->sc, &f->obs, &r);
    uint32_t n = 0;
    for (uint32_t i = 0; i < r.failure_count; i++) {
        if (r.failures[i].kind == SIM_FAIL_INVARIANT && strstr(r.failures[i].message, words)) n++;
    }
    sim_result_free(&r);
    sim_obs_fini(&f->obs);
    sim_scenario_free(&f->sc);
    return n;
}

static sim_event ev(uint8_t kind, int64_t port, uint64_t seq)
{
    return (sim_event){.kind = kind, .port = port, .seq = seq, .msg = -1, .step = SIM_NONE};
}

/* An observation owns the bytes of its events: a real run's event data (the reply and the request a
 * callout received) are copied in, since the session that read them frees them before the judge
 * runs. (A request filter once read freed memory: expect_events {callout: {request: ...}} on posix
 * with --repeat.) */
static void test_added_event_owns_its_bytes(void **state)
{
    (void)state;
    sim_obs obs;
    sim_obs_init(&obs);
    char reply[] = "outer done", request[] = "outer";
    sim_event e = ev(SIM_EV_CALLOUT, 5, 1);
    e.data = (sim_data){.kind = SIM_DATA_BYTES, .bytes = (uint8_t *)reply, .len = 10, .size = 10};
    e.request = (sim_data){.kind = SIM_DATA_BYTES, .bytes = (uint8_t *)request, .len = 5, .size = 5};
    e.flags = SIM_EVF_REQUEST;
    uint32_t i = sim_obs_add_event(&obs, &e);
    assert_int_equal(i, 0);
    memset(reply, 'x', sizeof reply - 1);
    memset(request, 'x', sizeof request - 1);
    const sim_event *x = &obs.events[i];
    assert_true(x->data.bytes != (uint8_t *)reply && x->request.bytes != (uint8_t *)request);
    assert_memory_equal(x->data.bytes, "outer done", 10);
    assert_memory_equal(x->request.bytes, "outer", 5);
    sim_obs_fini(&obs);
}

static void test_invariant_invalidation_callback_at_most_once(void **state)
{
    (void)state;
    inv_fixture f;
    inv_setup(&f);
    sim_event e = ev(SIM_EV_INVALIDATION_CALLBACK, 5, 10);
    sim_obs_add_event(&f.obs, &e);
    e.flags = SIM_EVF_VIA_SET; /* R8's immediate call does not count */
    sim_obs_add_event(&f.obs, &e);
    assert_int_equal(check_invariants(&f, "at most once"), 0);
    inv_setup(&f);
    e.flags = 0;
    sim_obs_add_event(&f.obs, &e);
    sim_obs_add_event(&f.obs, &e);
    assert_int_equal(check_invariants(&f, "at most once"), 1);
}

static void test_invariant_no_callout_after_invalid(void **state)
{
    (void)state;
    inv_fixture f;
    inv_setup(&f);
    sim_event callout = ev(SIM_EV_CALLOUT, 5, 10), invalid = ev(SIM_EV_INVALIDATED, 5, 11);
    sim_obs_add_event(&f.obs, &callout);
    sim_obs_add_event(&f.obs, &invalid);
    assert_int_equal(check_invariants(&f, "after a port became invalid"), 0);
    inv_setup(&f);
    sim_obs_add_event(&f.obs, &invalid);
    sim_obs_add_event(&f.obs, &callout);
    sim_obs_add_event(&f.obs, &callout);
    assert_int_equal(check_invariants(&f, "after a port became invalid"), 1);
}

static void test_invariant_every_send_returns_once(void **state)
{
    (void)state;
    inv_fixture f;
    inv_setup(&f);
    sim_exec send = {.step = 3, .outcome = SIM_OUTCOME_BLOCKED, .port = 6, .callback = SIM_NONE,
                     .request = -1, .start_seq = 20, .end_seq = 30};
    sim_obs_add_exec(&f.obs, &send); /* step 3 expects blocked */
    assert_int_equal(check_invariants(&f, "every send returns"), 0);
    inv_setup(&f);
    send.step = 2;
    sim_obs_add_exec(&f.obs, &send); /* step 2 does not */
    assert_int_equal(check_invariants(&f, "every send returns"), 1);
    inv_setup(&f);
    sim_event anomaly = ev(SIM_EV_ANOMALY, SIM_PORT_NONE, 40);
    anomaly.step = 2;
    anomaly.note = "a return without a call";
    sim_obs_add_event(&f.obs, &anomaly);
    assert_int_equal(check_invariants(&f, "every call returns exactly once"), 1);
}

static void reply_case(bool by_msg, const char *callout_reply, const char *returned, uint32_t want)
{
    inv_fixture f;
    inv_setup(&f);
    sim_exec send = {.step = 2, .outcome = SIM_OUTCOME_RETURNED, .value = CM_SUCCESS, .port = 6,
                     .callback = SIM_NONE, .convid = 1, .msgid = 9, .request = by_msg ? 100 : -1,
                     .start_seq = 20, .end_seq = 30};
    send.data = (sim_data){.kind = SIM_DATA_BYTES, .bytes = (const uint8_t *)returned,
                           .len = (uint32_t)strlen(returned), .size = (int64_t)strlen(returned)};
    sim_obs_add_exec(&f.obs, &send);
    sim_event other = ev(SIM_EV_CALLOUT, 5, 21); /* another request's callout, same convid */
    other.msgid = 9;
    other.convid = 1;
    other.msg = 99;
    other.flags = SIM_EVF_DONE | SIM_EVF_DELIVERED;
    other.data = (sim_data){.kind = SIM_DATA_BYTES, .bytes = (const uint8_t *)"other", .len = 5, .size = 5};
    sim_obs_add_event(&f.obs, &other);
    sim_event mine = other;
    mine.seq = 22;
    mine.msg = 100;
    mine.data = callout_reply == NULL
                    ? (sim_data){.kind = SIM_DATA_NULL}
                    : (sim_data){.kind = SIM_DATA_BYTES, .bytes = (const uint8_t *)callout_reply,
                                 .len = (uint32_t)strlen(callout_reply), .size = (int64_t)strlen(callout_reply)};
    sim_obs_add_event(&f.obs, &mine);
    assert_int_equal(check_invariants(&f, "wrong request"), want);
}

static void test_invariant_no_reply_matched_to_wrong_request(void **state)
{
    (void)state;
    reply_case(true, "mine", "mine", 0);
    reply_case(true, "mine", "other", 1);  /* another request's reply */
    reply_case(true, NULL, "", 0);         /* NULL arrives as empty (R35) */
    reply_case(true, NULL, "other", 1);
    reply_case(false, "mine", "other", 0); /* without message ids only convid+msgid: weaker */
    reply_case(false, "mine", "neither", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_expectations_pass),
        cmocka_unit_test(test_wrong_expectations_point_at_their_keys),
        cmocka_unit_test(test_same_seed_gives_same_trace_hash),
        cmocka_unit_test(test_signal_and_wait_for),
        cmocka_unit_test(test_joint_alternatives),
        cmocka_unit_test(test_wait_for_ended),
        cmocka_unit_test(test_expect_order),
        cmocka_unit_test(test_restart_before_a_late_start),
        cmocka_unit_test(test_null_create_clears_the_variable),
        cmocka_unit_test(test_added_event_owns_its_bytes),
        cmocka_unit_test(test_invariant_invalidation_callback_at_most_once),
        cmocka_unit_test(test_invariant_no_callout_after_invalid),
        cmocka_unit_test(test_invariant_every_send_returns_once),
        cmocka_unit_test(test_invariant_no_reply_matched_to_wrong_request),
    };
    return cmocka_run_group_tests_name("sim_check", tests, NULL, NULL);
}
