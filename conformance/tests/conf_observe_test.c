/*
 * conf_observe_test.c — the replay of agent records into sim/'s observation
 * (conformance/runner/conf_observe.c), on hand-made records:
 *   - callout_done is paired with its callout by the agent's callout_id, so two
 *     callouts running at once on one queue label (parallel workers of a concurrent
 *     queue, R50b) each get their own reply, whichever finishes first;
 *   - without ids, a callout_done closes the innermost open callout of its thread
 *     (nested callouts on one run loop), of its own process: a world agent (the
 *     model backend) speaks for every process, whose thread labels repeat.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_runner.h"
#include "sim_load.h"

#include <string.h>

static sim_scenario scenario;

static int load_scenario(void **state)
{
    (void)state;
    sim_diag diag;
    memset(&diag, 0, sizeof diag);
    return sim_load_file(CONF_CORPUS "/dispatch/concurrent-queue.yaml", &scenario, &diag) ? 0 : -1;
}

static int free_scenario(void **state)
{
    (void)state;
    sim_scenario_free(&scenario);
    return 0;
}

static sim_data text(const char *s)
{
    return (sim_data){.kind = SIM_DATA_BYTES, .bytes = (const uint8_t *)s, .len = (uint32_t)strlen(s),
                      .size = (int64_t)strlen(s)};
}

/* One callout or callout_done of agent 0 for process, on thread. */
static void add_process_callout_rec(conf_observer *o, uint16_t process, uint8_t ev_kind, int64_t t_ns,
                                    uint16_t thread, int64_t id, int32_t msgid, const char *reply)
{
    conf_rec *r = conf_observer_add(o);
    assert_non_null(r);
    r->kind = CONF_REC_EVENT;
    r->t_ns = t_ns;
    r->agent = 0;
    r->process = process;
    r->thread = thread;
    r->ev_kind = ev_kind;
    r->callout_id = id;
    r->has_msgid = ev_kind == SIM_EV_CALLOUT;
    r->msgid = msgid;
    r->port = 1;
    if (reply != NULL) r->data = text(reply);
}

/* One callout or callout_done of the server's agent (process 0), on thread. */
static void add_callout_rec(conf_observer *o, uint8_t ev_kind, int64_t t_ns, uint16_t thread, int64_t id,
                            int32_t msgid, const char *reply)
{
    add_process_callout_rec(o, 0, ev_kind, t_ns, thread, id, msgid, reply);
}

/* The callout events of obs, in order, into out (at most cap); returns how many. */
static uint32_t callouts_of(const sim_obs *obs, const sim_event **out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < obs->event_count && n < cap; i++) {
        if (obs->events[i].kind == SIM_EV_CALLOUT) out[n++] = &obs->events[i];
    }
    return n;
}

static bool data_is(const sim_data *d, const char *s)
{
    return d->kind == SIM_DATA_BYTES && d->len == strlen(s) && memcmp(d->bytes, s, d->len) == 0;
}

/* Two parallel callouts on one queue label: the first to start finishes last. */
static void test_R50b_callout_done_paired_by_id(void **state)
{
    (void)state;
    const sim_process *server = &scenario.processes[0];
    assert_int_equal(server->queue_count, 1);
    uint16_t worker = (uint16_t)server->thread_count; /* "queue:pool", as the session maps it */
    conf_observer o;
    conf_observer_init(&o, &scenario);
    add_callout_rec(&o, SIM_EV_CALLOUT, 100, worker, 7, 1, NULL);
    add_callout_rec(&o, SIM_EV_CALLOUT, 200, worker, 8, 4, NULL);
    add_callout_rec(&o, SIM_EV_CALLOUT_DONE, 300, worker, 7, 0, "first");
    add_callout_rec(&o, SIM_EV_CALLOUT_DONE, 400, worker, 8, 0, "second");
    sim_obs obs;
    conf_observer_finish(&o, false, 1000, &obs);
    assert_false(obs.failed);
    const sim_event *c[4];
    assert_int_equal(callouts_of(&obs, c, 4), 2);
    assert_int_equal(c[0]->msgid, 1);
    assert_true(c[0]->flags & SIM_EVF_DONE);
    assert_true(data_is(&c[0]->data, "first"));
    assert_int_equal(c[1]->msgid, 4);
    assert_true(c[1]->flags & SIM_EVF_DONE);
    assert_true(data_is(&c[1]->data, "second"));
    sim_obs_fini(&obs);
    conf_observer_fini(&o);
}

/* No ids (agents that do not send them): the innermost open callout of the thread. */
static void test_callout_done_without_id_closes_innermost(void **state)
{
    (void)state;
    conf_observer o;
    conf_observer_init(&o, &scenario);
    add_callout_rec(&o, SIM_EV_CALLOUT, 100, 0, 0, 1, NULL);
    add_callout_rec(&o, SIM_EV_CALLOUT, 200, 0, 0, 2, NULL); /* nested in the first */
    add_callout_rec(&o, SIM_EV_CALLOUT_DONE, 300, 0, 0, 0, "inner");
    add_callout_rec(&o, SIM_EV_CALLOUT_DONE, 400, 0, 0, 0, "outer");
    sim_obs obs;
    conf_observer_finish(&o, false, 1000, &obs);
    assert_false(obs.failed);
    const sim_event *c[4];
    assert_int_equal(callouts_of(&obs, c, 4), 2);
    assert_true(data_is(&c[0]->data, "outer"));
    assert_true(data_is(&c[1]->data, "inner"));
    sim_obs_fini(&obs);
    conf_observer_fini(&o);
}

/* A world agent (one agent for every process, no ids): process 1's callout_done on its thread 0
 * closes process 1's callout, not process 0's callout nested later on process 0's thread 0. Seeds
 * 12, 15, 21 and 29 of `portsim fuzz --backend model` failed "no reply is matched to the wrong
 * request" (R34, R35) when a nested send's reply was paired with another process's callout. */
static void test_world_callout_done_closes_its_own_process(void **state)
{
    (void)state;
    conf_observer o;
    conf_observer_init(&o, &scenario);
    add_process_callout_rec(&o, 0, SIM_EV_CALLOUT, 100, 0, 0, 1, NULL);      /* outer, process 0 */
    add_process_callout_rec(&o, 1, SIM_EV_CALLOUT, 200, 0, 0, 5, NULL);      /* process 1 */
    add_process_callout_rec(&o, 0, SIM_EV_CALLOUT, 300, 0, 0, 2, NULL);      /* nested, process 0 */
    add_process_callout_rec(&o, 1, SIM_EV_CALLOUT_DONE, 400, 0, 0, 0, "p1"); /* process 1's */
    add_process_callout_rec(&o, 0, SIM_EV_CALLOUT_DONE, 500, 0, 0, 0, "inner");
    add_process_callout_rec(&o, 0, SIM_EV_CALLOUT_DONE, 600, 0, 0, 0, "outer");
    sim_obs obs;
    conf_observer_finish(&o, true, 1000, &obs);
    assert_false(obs.failed);
    const sim_event *c[4];
    assert_int_equal(callouts_of(&obs, c, 4), 3);
    assert_int_equal(c[1]->process, 1);
    assert_true(data_is(&c[0]->data, "outer"));
    assert_true(data_is(&c[1]->data, "p1"));
    assert_true(data_is(&c[2]->data, "inner"));
    for (uint32_t i = 0; i < 3; i++) assert_true(c[i]->flags & SIM_EVF_DONE);
    sim_obs_fini(&obs);
    conf_observer_fini(&o);
}

/* An id that matches no open callout pairs with nothing (not with the thread's innermost). */
static void test_callout_done_with_unknown_id_pairs_nothing(void **state)
{
    (void)state;
    conf_observer o;
    conf_observer_init(&o, &scenario);
    add_callout_rec(&o, SIM_EV_CALLOUT, 100, 0, 3, 1, NULL);
    add_callout_rec(&o, SIM_EV_CALLOUT_DONE, 200, 0, 4, 0, "stray");
    sim_obs obs;
    conf_observer_finish(&o, false, 1000, &obs);
    assert_false(obs.failed);
    const sim_event *c[2];
    assert_int_equal(callouts_of(&obs, c, 2), 1);
    assert_false(c[0]->flags & SIM_EVF_DONE);
    sim_obs_fini(&obs);
    conf_observer_fini(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R50b_callout_done_paired_by_id),
        cmocka_unit_test(test_callout_done_without_id_closes_innermost),
        cmocka_unit_test(test_callout_done_with_unknown_id_pairs_nothing),
        cmocka_unit_test(test_world_callout_done_closes_its_own_process),
    };
    return cmocka_run_group_tests(tests, load_scenario, free_scenario);
}
