/*
 * sim_symmetry_test.c — symmetry reduction of the exhaustive search
 * (sim_explore.h, cm_world_options_symmetric): with sleep sets and symmetry
 * over interchangeable processes, every step's outcome set, folded over its
 * class (sim_census_fold), is exactly the set unreduced exploration reaches
 * — on issue 11's fan-in scenario (N clients, two two-way sends each with
 * 10 ms timeouts, one server whose handler works 1 ms) for N = 2, 3, with
 * the same data and with per-client message ids and data (opaque), and on
 * scenarios of other shapes: a registration race (created / null), clients
 * that crash or send one-way, clients with two threads and sleeps, a class
 * beside an asymmetric process, signals (a corpus scenario). And the
 * predicate of cm_symmetry.c: what breaks a symmetry does.
 */
#include "sim_test_util.h"

#include <stdlib.h>
#include <string.h>

#include "sim_census.h"
#include "sim_compile.h"
#include "sim_explore.h"

/* Both complete; every step's outcome set the same; symmetry skipped options and ran fewer schedules. */
static void compare(const sim_scenario *sc, const char *what)
{
    static sim_exhaustive_result full, reduced;
    sim_census a, b;
    sim_exhaustive_limits lim = {.depth_max = 200, .schedules_max = 400000, .prune_states = true};
    st_explore_census(sc, &lim, NULL, NULL, &a, &full); /* unreduced: no sleep sets, no symmetry */
    lim.reduce = lim.symmetry = true;
    st_explore_census(sc, &lim, NULL, NULL, &b, &reduced);
    assert_true(full.complete);
    assert_true(reduced.complete);
    st_census_assert_same(&a, &b, sc->step_count);
    assert_true(reduced.twins > 0);
    assert_true(reduced.schedules < full.schedules);
    print_message("%s: %llu schedules unreduced, %llu with sleep sets and symmetry (%llu twins)\n", what,
                  (unsigned long long)full.schedules, (unsigned long long)reduced.schedules,
                  (unsigned long long)reduced.twins);
    sim_census_fini(&a);
    sim_census_fini(&b);
}

static void compare_text(const char *text, const char *what)
{
    sim_scenario sc;
    st_load_text("symmetry.yaml", text, &sc);
    compare(&sc, what);
    sim_scenario_free(&sc);
}

/* The fan-in scenario with n clients; distinct: per-client msgid and data (the bench's files). */
static char *fan_in(uint32_t n, bool distinct)
{
    size_t cap = 1024 + (size_t)n * 640, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    len += (size_t)snprintf(t + len, cap - len,
                            "scenario: fan-in-%u\n"
                            "processes:\n"
                            "  server:\n"
                            "    threads:\n"
                            "      main:\n"
                            "        - create_local: {port: svc, name: com.example.fanin, handler: work}\n"
                            "        - schedule: svc\n"
                            "        - run_loop: {mode: default, for: 20ms}\n",
                            n);
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t id = distinct ? i : 1;
        len += (size_t)snprintf(t + len, cap - len,
                                "  c%u:\n"
                                "    start: 1ms\n"
                                "    threads:\n"
                                "      main:\n"
                                "        - create_remote: {port: r, name: com.example.fanin}\n"
                                "        - send: {port: r, msgid: %u, data: \"c%u-1\", send_timeout: 10ms, recv_timeout: 10ms, reply_mode: default}\n"
                                "          expect: [success, receive_timeout]\n"
                                "        - send: {port: r, msgid: %u, data: \"c%u-2\", send_timeout: 10ms, recv_timeout: 10ms, reply_mode: default}\n"
                                "          expect: [success, receive_timeout]\n",
                                i, id, distinct ? i : 1, id, distinct ? i : 1);
    }
    snprintf(t + len, cap - len, "handlers:\n  work: [{work: 1ms}, {reply: echo}]\n");
    return t;
}

#ifndef SYM_HEAVY
#define SYM_HEAVY 1 /* the valgrind preset: 0 (50,000 and 150,000 unreduced schedules take too long there) */
#endif

#ifndef SYM_FAN_IN_MAX
#define SYM_FAN_IN_MAX 3u /* the valgrind preset: 2 (N=3's 11,580 unreduced schedules take minutes there) */
#endif

static void test_fan_in_same_outcome_sets(void **state)
{
    (void)state;
    for (uint32_t n = 2; n <= SYM_FAN_IN_MAX; n++) {
        for (int distinct = 0; distinct <= 1; distinct++) {
            char *text = fan_in(n, distinct);
            char what[64];
            snprintf(what, sizeof what, "fan-in N=%u%s", n, distinct ? " (per-client msgid, data)" : "");
            compare_text(text, what);
            free(text);
        }
    }
}

/* Clients racing the server's registration: created or null (R13-R15), then a send or not. */
static void test_registration_race(void **state)
{
    (void)state;
    static const char text[] =
        "scenario: registration-race\n"
        "processes:\n"
        "  server:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: svc, name: com.example.race, handler: ok}\n"
        "        - schedule: svc\n"
        "        - run_loop: {mode: default, for: 10ms}\n"
        "  a:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.race}\n"
        "          expect: [created, null]\n"
        "        - send: {port: r, msgid: 1, data: \"x\", send_timeout: 5ms, recv_timeout: 5ms, reply_mode: default}\n"
        "  b:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.race}\n"
        "          expect: [created, null]\n"
        "        - send: {port: r, msgid: 1, data: \"x\", send_timeout: 5ms, recv_timeout: 5ms, reply_mode: default}\n"
        "handlers:\n"
        "  ok: [{reply: \"y\"}]\n";
    compare_text(text, "registration race");
}

/* Two-thread clients with sleeps, one-way sends and a crash, beside an asymmetric client. */
static void test_threads_crash_one_way_mixed(void **state)
{
    (void)state;
    if (!SYM_HEAVY) skip();
    static const char text[] =
        "scenario: threads-crash-one-way\n"
        "processes:\n"
        "  server:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: svc, name: com.example.mixed, handler: slow}\n"
        "        - schedule: svc\n"
        "        - run_loop: {mode: default, for: 12ms}\n"
        "  w1:\n"
        "    start: 1ms\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.mixed}\n"
        "        - send: {port: r, msgid: 5, data: \"p\", send_timeout: 3ms}\n"
        "        - crash\n"
        "      side:\n"
        "        - sleep: 2ms\n"
        "        - create_remote: {port: s, name: com.example.mixed}\n"
        "        - send: {port: s, msgid: 6, data: \"q\", send_timeout: 4ms, recv_timeout: 4ms, reply_mode: default}\n"
        "  w2:\n"
        "    start: 1ms\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.mixed}\n"
        "        - send: {port: r, msgid: 7, data: \"t\", send_timeout: 3ms}\n"
        "        - crash\n"
        "      side:\n"
        "        - sleep: 2ms\n"
        "        - create_remote: {port: s, name: com.example.mixed}\n"
        "        - send: {port: s, msgid: 8, data: \"u\", send_timeout: 4ms, recv_timeout: 4ms, reply_mode: default}\n"
        "  other:\n"
        "    start: 1ms\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.mixed}\n"
        "        - send: {port: r, msgid: 9, data: \"v\", send_timeout: 3ms, recv_timeout: 3ms, reply_mode: default}\n"
        "handlers:\n"
        "  slow: [{work: 2ms}, {reply: echo}]\n";
    compare_text(text, "two threads, one-way, crash, an asymmetric client");
}

/* Two processes registering one name (one created, one null) while the other looks it up and the winner
 * invalidates: which of them got it decides the later steps (R13, R19). */
static void test_shared_name(void **state)
{
    (void)state;
    static const char text[] =
        "scenario: shared-name\n"
        "processes:\n"
        "  a:\n"
        "    start: 1ms\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: l, name: com.example.shared, handler: h}\n"
        "          expect: [created, null]\n"
        "        - create_remote: {port: r, name: com.example.shared}\n"
        "          expect: [created, null]\n"
        "        - invalidate: l\n"
        "        - send: {port: r, msgid: 1, data: \"x\", send_timeout: 1ms}\n"
        "  b:\n"
        "    start: 1ms\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: l, name: com.example.shared, handler: h}\n"
        "          expect: [created, null]\n"
        "        - create_remote: {port: r, name: com.example.shared}\n"
        "          expect: [created, null]\n"
        "        - invalidate: l\n"
        "        - send: {port: r, msgid: 1, data: \"x\", send_timeout: 1ms}\n"
        "handlers:\n"
        "  h: [{reply: \"y\"}]\n";
    compare_text(text, "one name, two registrants");
}

/* A corpus scenario with signals, waits and a symmetric pair (early2, early3). */
static void test_corpus_signals(void **state)
{
    (void)state;
    if (!SYM_HEAVY) skip();
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/clients/seed-cli-daemon-budget.yaml", PORTSIM_SOURCE_DIR);
    sim_diag diag;
    sim_diag_init(&diag, NULL);
    sim_scenario sc;
    bool ok = sim_load_file(path, &sc, &diag);
    sim_diag_fini(&diag);
    assert_true(ok);
    compare(&sc, "scenarios/clients/seed-cli-daemon-budget.yaml");
    sim_scenario_free(&sc);
}

/* How many processes join another's class (sim_symmetry_reps's moved steps / steps per process). */
static uint32_t moved_steps(const char *text)
{
    sim_scenario sc;
    st_load_text("symmetry.yaml", text, &sc);
    sim_compiled c;
    char err[256];
    assert_true(sim_compile(&sc, 0, &c, err, sizeof err));
    uint32_t *rep = malloc(((size_t)sc.step_count + 1) * sizeof *rep);
    assert_non_null(rep);
    uint32_t moved = 0;
    assert_true(sim_symmetry_reps(&sc, &c.cfg, rep, &moved));
    for (uint32_t s = 0; s < sc.step_count; s++) assert_true(rep[rep[s]] == rep[s]);
    free(rep);
    sim_compiled_free(&c);
    sim_scenario_free(&sc);
    return moved;
}

/* cm_symmetry.c: equal programs up to opaque data join a class; a timeout, a `when: msgid` or a fault breaks it. */
static void test_predicate(void **state)
{
    (void)state;
    static const char base[] =
        "scenario: predicate\n"
        "processes:\n"
        "  server:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: svc, name: com.example.p, handler: h}\n"
        "        - schedule: svc\n"
        "        - run_loop: {mode: default, for: 5ms}\n"
        "  a:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.p}\n"
        "        - send: {port: r, msgid: 1, data: \"aa\", send_timeout: 1ms, recv_timeout: 1ms, reply_mode: default}\n"
        "  b:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_remote: {port: r, name: com.example.p}\n"
        "        - send: {port: r, msgid: 2, data: \"bb\", send_timeout: 1ms, recv_timeout: %s, reply_mode: default}\n"
        "%s"
        "handlers:\n"
        "  h: [%s{reply: echo}]\n";
    char text[2048];
    snprintf(text, sizeof text, base, "1ms", "", "");
    assert_int_equal(moved_steps(text), 2); /* b's two steps map onto a's */
    snprintf(text, sizeof text, base, "2ms", "", "");
    assert_int_equal(moved_steps(text), 0); /* another timeout */
    snprintf(text, sizeof text, base, "1ms", "", "{work: 1ms, when: {msgid: 2}}, ");
    assert_int_equal(moved_steps(text), 0); /* message ids are not opaque any more */
    snprintf(text, sizeof text, base, "1ms", "faults:\n  - {at: 2ms, crash: b}\n", "");
    assert_int_equal(moved_steps(text), 0); /* a fault names b */
}

/* A strategy that takes option 0 and records, per NEXT choice, which option pairs are symmetric. */
#define PROBE_MAX 16u
typedef struct sym_probe {
    uint32_t count;
    uint64_t pairs[PROBE_MAX]; /* bit i * 8 + j: options i < j symmetric */
} sym_probe;

static uint32_t probe_choose(void *ctx, const cm_choice *c)
{
    sym_probe *p = ctx;
    if (c->kind != CM_CHOICE_NEXT || p->count >= PROBE_MAX) return 0;
    uint64_t bits = 0;
    for (uint32_t i = 0; i < c->count && i < 8; i++) {
        for (uint32_t j = i + 1; j < c->count && j < 8; j++) {
            if (cm_world_options_symmetric(c->world, i, j)) bits |= UINT64_C(1) << (i * 8 + j);
        }
    }
    p->pairs[p->count++] = bits;
    return 0;
}

#define PAIR(i, j) (UINT64_C(1) << ((i) * 8 + (j)))

/*
 * cm_world_options_symmetric along the fifo run of fan-in N=3 (server p0, clients p1-p3 start at
 * 1 ms): the three starts are symmetric, then the two not started, then the three first steps
 * (creates, local), then only the two clients that have not created yet (p1 has: its trail is
 * longer), then after p1's send (non-local: p1 is out) p2 and p3 still; once p2 has created in a
 * later segment than p3 could, nothing is.
 */
static void test_predicate_along_a_run(void **state)
{
    (void)state;
    char *text = fan_in(3, true);
    sim_scenario sc;
    st_load_text("symmetry.yaml", text, &sc);
    sim_compiled c;
    char err[256];
    assert_true(sim_compile(&sc, 0, &c, err, sizeof err));
    static const cm_strategy probe = {.name = "probe", .choose = probe_choose};
    sym_probe rec = {0};
    sim_run_options opt = sim_run_options_default();
    opt.track_symmetry = true;
    opt.custom = &probe;
    opt.custom_ctx = &rec;
    sim_model_session *session = sim_model_session_new(&c, &opt);
    assert_non_null(session);
    assert_true(sim_model_session_run(session, &opt));
    static const uint64_t expected[] = {
        PAIR(0, 1) | PAIR(0, 2) | PAIR(1, 2), /* starts of p1, p2, p3 */
        PAIR(0, 1),                           /* starts of p2, p3; p1's create */
        PAIR(1, 2),                           /* start of p3; creates of p1, p2 */
        PAIR(0, 1) | PAIR(0, 2) | PAIR(1, 2), /* the three creates */
        PAIR(1, 2),                           /* p1's send; creates of p2, p3 */
        PAIR(0, 1),                           /* after p1's send: creates of p2, p3; the server */
        0, 0, 0,
    };
    assert_true(rec.count >= sizeof expected / sizeof expected[0]);
    for (uint32_t i = 0; i < sizeof expected / sizeof expected[0]; i++) assert_int_equal(rec.pairs[i], expected[i]);
    for (uint32_t i = 0; i < rec.count; i++) {
        if (i >= sizeof expected / sizeof expected[0]) assert_int_equal(rec.pairs[i], 0); /* every client sent */
    }
    opt.track_symmetry = false; /* a world without tracking answers false */
    sim_model_session_free(session);
    rec.count = 0;
    session = sim_model_session_new(&c, &opt);
    assert_non_null(session);
    assert_true(sim_model_session_run(session, &opt));
    for (uint32_t i = 0; i < rec.count; i++) assert_int_equal(rec.pairs[i], 0);
    sim_model_session_free(session);
    sim_compiled_free(&c);
    sim_scenario_free(&sc);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predicate),
        cmocka_unit_test(test_predicate_along_a_run),
        cmocka_unit_test(test_fan_in_same_outcome_sets),
        cmocka_unit_test(test_registration_race),
        cmocka_unit_test(test_threads_crash_one_way_mixed),
        cmocka_unit_test(test_shared_name),
        cmocka_unit_test(test_corpus_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
