/*
 * sim_gen_test.c — the scenario generator of portsim fuzz (sim/sim_gen.h):
 * every generated text loads (10^5 seeds; fewer under valgrind and asan), the same
 * seed gives the same bytes (and a pinned digest over seeds 1..200, so two
 * compilers or machines that differ fail here), swarm draws differ between
 * seeds, the model's expectations written into a scenario make it pass, no
 * lookup uses a name SetName has just freed (a race with its release window, R62),
 * and the expectations portsim fuzz writes (its allowed-set plan: 32 random runs,
 * the late-host jitters, late dequeues, prompt releases) are pinned by a digest over
 * seeds, so a faster way of computing them (one world reset instead of one per run)
 * cannot change a single allowed outcome.
 */
#include "sim_test_util.h"

#include "sim_gen.h"
#include "sim_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GEN_SEEDS /* the build lowers it under valgrind and the sanitizers */
#define GEN_SEEDS 100000u
#endif
#define ANNOTATE_SEEDS 300u /* seeds of the pinned expectations digests; the first ANNOTATE_SHORT have */
#define ANNOTATE_SHORT 60u  /* digests of their own, all valgrind runs (300 seeds take it ~3 minutes) */

static bool loads(const char *text, sim_scenario *sc, char *why, size_t cap)
{
    sim_diag d;
    sim_diag_init(&d, "gen.yaml");
    bool ok = sim_load_buffer("gen.yaml", (const uint8_t *)text, strlen(text), sc, &d);
    if (!ok && d.count > 0) snprintf(why, cap, "%u:%u: %s", d.entries[0].line, d.entries[0].col, d.entries[0].message);
    sim_diag_fini(&d);
    return ok;
}

static void test_every_seed_loads(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint32_t bad = 0;
    for (uint64_t seed = 1; seed <= GEN_SEEDS; seed++) {
        char *text = sim_gen_scenario(seed, &o);
        assert_non_null(text);
        sim_scenario sc;
        char why[256] = "";
        if (loads(text, &sc, why, sizeof why)) {
            sim_scenario_free(&sc);
        } else if (bad++ < 3) {
            print_error("seed %llu does not load: %s\n", (unsigned long long)seed, why);
        }
        free(text);
    }
    assert_int_equal(bad, 0);
}

/* FNV-1a over the texts of seeds 1..200: pinned, so the generator is the same everywhere. */
static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint64_t seed = 1; seed <= 200; seed++) {
        char *a = sim_gen_scenario(seed, &o);
        char *b = sim_gen_scenario(seed, &o);
        assert_string_equal(a, b);
        for (const unsigned char *p = (const unsigned char *)a; *p; p++) h = (h ^ *p) * UINT64_C(0x100000001b3);
        free(a);
        free(b);
    }
    char *c = sim_gen_scenario(201, &o), *d = sim_gen_scenario(202, &o);
    assert_true(strcmp(c, d) != 0);
    free(c);
    free(d);
    print_message("generator digest over seeds 1..200: 0x%016llx\n", (unsigned long long)h);
    assert_true(h == (uint64_t)GEN_DIGEST);
}

/* Swarm: seeds draw different feature sets, each feature drawn by some and left out by others. */
static void test_swarm_draws_subsets(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint32_t used[SIM_GEN_FEATURE_COUNT] = {0};
    for (uint64_t seed = 1; seed <= 400; seed++) {
        uint32_t m = sim_gen_features_of(seed, &o);
        for (uint32_t f = 0; f < SIM_GEN_FEATURE_COUNT; f++) used[f] += (m >> f) & 1u;
    }
    for (uint32_t f = 0; f < SIM_GEN_FEATURE_COUNT; f++) {
        assert_true(used[f] > 100 && used[f] < 300);
    }
    o.swarm = false;
    o.feature_mask = 1u << SIM_GEN_QUEUE;
    assert_int_equal(sim_gen_features_of(9, &o), 1u << SIM_GEN_QUEUE);
}

/* The model's allowed outcomes, written in, make a self-contained test that passes on the model. */
static void test_expectations_pass(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint32_t with_expect = 0, with_reply = 0, with_free_info = 0, with_name = 0, with_counts = 0;
    for (uint64_t seed = 1; seed <= 150; seed++) {
        char *text = sim_gen_scenario(seed, &o);
        sim_scenario sc;
        char why[256] = "";
        assert_true(loads(text, &sc, why, sizeof why));
        sim_allowed_plan plan = sim_allowed_plan_default();
        plan.explore = 8;
        sim_allowed_set allowed;
        char *annotated = sim_gen_annotate(text, &sc, &plan, &allowed);
        assert_true(allowed.ok);
        assert_non_null(annotated);
        with_expect += strstr(annotated, "expect: {result: [") != NULL;
        with_reply += strstr(annotated, ", reply: ") != NULL; /* what every run replied (R35) */
        with_free_info += strstr(annotated, "should_free_info: true") != NULL; /* a duplicate create (R14) */
        with_name += strstr(annotated, "expect: {name: ") != NULL; /* get_name (R12) */
        with_counts += strstr(annotated, "- {context_retain: {process: ") != NULL; /* R60 */
        sim_scenario sc2;
        if (!loads(annotated, &sc2, why, sizeof why)) fail_msg("seed %llu annotated: %s", (unsigned long long)seed, why);
        sim_run_options ro = sim_run_options_default();
        sim_result r;
        sim_run_model(&sc2, &ro, &r);
        if (r.verdict != SIM_VERDICT_PASS) {
            fail_msg("seed %llu: %s", (unsigned long long)seed, r.failure_count ? r.failures[0].message : "?");
        }
        sim_result_free(&r);
        sim_scenario_free(&sc2);
        free(annotated);
        sim_allowed_set_free(&allowed);
        sim_scenario_free(&sc);
        free(text);
    }
    assert_true(with_expect == 150);
    /* besides results, the fields every model run agreed on are checked too (and passed above) */
    assert_true(with_reply > 0 && with_free_info > 0 && with_name > 0 && with_counts > 0);
}

/* The port a create_remote line names: "sXpY" of `com.portsim.gen.SEED.sXpY...`, into out. */
static bool looked_up_port(const char *line, char *out, size_t cap)
{
    const char *n = strstr(line, "name: \"com.portsim.gen.");
    if (n == NULL) return false;
    n += strlen("name: \"com.portsim.gen.") + 9; /* the seed's 8 hex digits and a dot */
    size_t len = 0;
    while (n[len] == 's' || n[len] == 'p' || (n[len] >= '0' && n[len] <= '9')) len++;
    if (len == 0 || len >= cap) return false;
    memcpy(out, n, len);
    out[len] = '\0';
    return strncmp(n + len, ".renamed", 8) != 0; /* true: by the name it was created with */
}

/* A port SetName gave a new name is looked up by that name only: its old one is freed
 * asynchronously (R19, R62), so a lookup of it right after the rename would race the release
 * window (seed 37 of the first posix campaign: NULL on libcfmp, created on the model). */
static void test_R62_no_lookup_of_a_name_set_name_freed(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint32_t renamed = 0, looked_up = 0;
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        char *text = sim_gen_scenario(seed, &o);
        assert_non_null(text);
        char moved[8][8];
        uint32_t moved_count = 0;
        for (const char *at = strstr(text, "set_name: {port: "); at != NULL; at = strstr(at + 1, "set_name: {port: ")) {
            const char *nl = strchr(at, '\n');
            const char *fresh = strstr(at, ".renamed\"");
            if (fresh == NULL || (nl != NULL && fresh > nl) || moved_count == 8) continue;
            int len = (int)strcspn(at + 17, ",");
            assert_true(len > 0 && len < 8);
            snprintf(moved[moved_count++], 8, "%.*s", len, at + 17);
            renamed++;
        }
        for (const char *at = strstr(text, "create_remote:"); at != NULL; at = strstr(at + 1, "create_remote:")) {
            char port[8];
            const char *nl = strchr(at, '\n');
            size_t cap = nl != NULL ? (size_t)(nl - at) : strlen(at);
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(cap < sizeof line ? cap : sizeof line - 1), at);
            if (!looked_up_port(line, port, sizeof port)) continue;
            for (uint32_t k = 0; k < moved_count; k++) {
                if (strcmp(moved[k], port) == 0) print_error("seed %llu: %s\n", (unsigned long long)seed, line);
                assert_string_not_equal(moved[k], port);
            }
            looked_up++;
        }
        free(text);
    }
    assert_true(renamed > 100); /* the check saw renames, and lookups by the names ports kept */
    assert_true(looked_up > 1000);
}

static uint64_t fnv(uint64_t h, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* Every field of an allowed set the fuzzer's judgement depends on, folded into h. */
static uint64_t fold_allowed(uint64_t h, const sim_allowed_set *a)
{
    uint32_t head[3] = {a->runs, a->jittered, a->step_count};
    h = fnv(h, head, sizeof head);
    h = fnv(h, &a->end_ns, sizeof a->end_ns);
    for (uint32_t s = 0; s < a->step_count; s++) {
        const sim_allowed *x = &a->allowed[s];
        uint32_t w[5] = {x->executions, x->runs_min, x->runs_max, x->count, x->overflow};
        h = fnv(h, w, sizeof w);
        h = fnv(h, x->values, x->count * sizeof x->values[0]);
    }
    return h;
}

/*
 * The expectations portsim fuzz writes (sim_gen_allowed_plan with its defaults: 32 runs,
 * 15 ms / 15 % jitter tolerance) over seeds 1..ANNOTATE_SEEDS (1..ANNOTATE_SHORT under
 * valgrind, which has digests of its own), as text and as the raw allowed
 * sets (execution counts too), pinned: the allowed outcomes are those the model gives, and a
 * change in how the runs are made (a reset world instead of a new one) must not move them.
 */
static void test_fuzz_expectations_pinned(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint64_t text_h = UINT64_C(0xcbf29ce484222325), set_h = text_h;
#ifdef GEN_UNDER_VALGRIND
    const uint64_t last = ANNOTATE_SHORT;
#else
    const uint64_t last = ANNOTATE_SEEDS;
#endif
    for (uint64_t seed = 1; seed <= last; seed++) {
        char *text = sim_gen_scenario(seed, &o);
        sim_scenario sc;
        char why[256] = "";
        assert_true(loads(text, &sc, why, sizeof why));
        sim_allowed_plan plan = sim_gen_allowed_plan(seed, 32, 0, 15.0, 15.0);
        sim_allowed_set allowed;
        char *annotated = sim_gen_annotate(text, &sc, &plan, &allowed);
        assert_true(allowed.ok);
        assert_non_null(annotated);
        assert_true(allowed.jittered > 0); /* the late-host runs are part of what is pinned */
        text_h = fnv(text_h, annotated, strlen(annotated));
        set_h = fold_allowed(set_h, &allowed);
        free(annotated);
        sim_allowed_set_free(&allowed);
        sim_scenario_free(&sc);
        free(text);
        if (seed == ANNOTATE_SHORT) {
            print_message("fuzz expectations over seeds 1..%u: text 0x%016llx, sets 0x%016llx\n", ANNOTATE_SHORT,
                          (unsigned long long)text_h, (unsigned long long)set_h);
            assert_true(text_h == (uint64_t)ANNOTATE_SHORT_TEXT_DIGEST);
            assert_true(set_h == (uint64_t)ANNOTATE_SHORT_SET_DIGEST);
        }
    }
    if (last == ANNOTATE_SHORT) return;
    print_message("fuzz expectations over seeds 1..%u: text 0x%016llx, sets 0x%016llx\n", ANNOTATE_SEEDS,
                  (unsigned long long)text_h, (unsigned long long)set_h);
    assert_true(text_h == (uint64_t)ANNOTATE_TEXT_DIGEST);
    assert_true(set_h == (uint64_t)ANNOTATE_SET_DIGEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_seed_loads),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_swarm_draws_subsets),
        cmocka_unit_test(test_expectations_pass),
        cmocka_unit_test(test_R62_no_lookup_of_a_name_set_name_freed),
        cmocka_unit_test(test_fuzz_expectations_pinned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
