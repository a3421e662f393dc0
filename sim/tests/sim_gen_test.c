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

/* ---- the annotated scenario made without a second parse ---------------------------------- */

#ifndef BUILD_SEEDS /* the build lowers it under valgrind and the sanitizers */
#define BUILD_SEEDS 2000u
#endif

/* A scenario folded field by field: strings and data by content, never by address. */
typedef struct sfold {
    uint64_t h;
} sfold;

static void f_u64(sfold *f, uint64_t v)
{
    f->h = fnv(f->h, &v, sizeof v);
}

static void f_str(sfold *f, const char *str)
{
    f_u64(f, str != NULL);
    if (str != NULL) f->h = fnv(f->h, str, strlen(str) + 1);
}

static void f_loc(sfold *f, sim_loc l)
{
    f_u64(f, (uint64_t)l.line << 32 | l.col);
}

static void f_ref(sfold *f, const sim_ref *r)
{
    f_str(f, r->name);
    f_loc(f, r->loc);
    f_u64(f, r->index);
}

static void f_data(sfold *f, const sim_data *d)
{
    f_u64(f, d->kind);
    f_u64(f, d->len);
    f_u64(f, (uint64_t)d->size);
    if (d->kind == SIM_DATA_BYTES && d->len > 0) f->h = fnv(f->h, d->bytes, d->len);
}

static void f_expect(sfold *f, const sim_expect *e)
{
    f_loc(f, e->loc);
    f_u64(f, e->result_count);
    for (uint32_t i = 0; i < e->result_count; i++) f_u64(f, (uint64_t)(int64_t)e->results[i]);
    f_loc(f, e->result_loc);
    f_u64(f, e->has_reply);
    f_data(f, &e->reply);
    f_loc(f, e->reply_loc);
    f_u64(f, e->has_elapsed);
    f_u64(f, (uint64_t)e->elapsed_min_ns);
    f_u64(f, (uint64_t)e->elapsed_max_ns);
    f_loc(f, e->elapsed_loc);
    f_u64(f, (uint64_t)(int64_t)e->should_free_info);
    f_loc(f, e->should_free_info_loc);
    f_ref(f, &e->same_as);
    f_ref(f, &e->not_same_as);
    f_u64(f, e->has_name);
    f_data(f, &e->name);
    f_loc(f, e->name_loc);
    f_u64(f, e->has_info);
    f_u64(f, (uint64_t)e->info);
    f_loc(f, e->info_loc);
    f_u64(f, e->has_callback);
    f_ref(f, &e->callback);
    f_u64(f, e->has_runs);
    f_u64(f, e->runs_min);
    f_u64(f, e->runs_max);
    f_loc(f, e->runs_loc);
    f_u64(f, e->alt_count);
    for (uint32_t i = 0; i < e->alt_count; i++) f_expect(f, &e->alts[i]);
}

static void f_step(sfold *f, const sim_step *s)
{
    f_loc(f, s->loc);
    f_u64(f, s->op);
    f_u64(f, s->flags);
    f_u64(f, s->program);
    f_str(f, s->label);
    const sim_ref *refs[] = {&s->port, &s->target, &s->thread, &s->queue, &s->process, &s->mode, &s->signal};
    for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) f_ref(f, refs[r]);
    f_u64(f, s->has_name);
    f_data(f, &s->name);
    f_data(f, &s->data);
    f_u64(f, (uint64_t)(int64_t)s->msgid);
    f_u64(f, (uint64_t)s->t1_ns);
    f_u64(f, (uint64_t)s->t2_ns);
    f_u64(f, (uint64_t)s->info);
    f_u64(f, s->count);
    f_u64(f, s->expect != NULL);
    if (s->expect != NULL) f_expect(f, s->expect);
    f_u64(f, s->has_when);
    f_loc(f, s->when.loc);
    f_u64(f, s->when.has_msgid);
    f_u64(f, (uint64_t)(int64_t)s->when.msgid);
    f_u64(f, s->when.has_data);
    f_data(f, &s->when.data);
    f_u64(f, s->when.has_size);
    f_u64(f, (uint64_t)s->when.size_bytes);
}

static void f_event(sfold *f, const sim_event_expect *e)
{
    f_loc(f, e->loc);
    f_u64(f, e->kind);
    f_ref(f, &e->process);
    f_ref(f, &e->thread);
    f_ref(f, &e->port);
    f_u64(f, e->has_msgid);
    f_u64(f, (uint64_t)(int64_t)e->msgid);
    f_u64(f, e->has_code);
    f_u64(f, (uint64_t)(int64_t)e->code);
    f_u64(f, e->has_size);
    f_u64(f, (uint64_t)e->size_bytes);
    f_u64(f, e->has_request);
    f_data(f, &e->request);
    f_u64(f, e->has_reply);
    f_data(f, &e->reply);
    f_u64(f, e->last);
    f_u64(f, e->count_min);
    f_u64(f, e->count_max);
    f_loc(f, e->count_loc);
}

static void f_condition(sfold *f, const sim_condition *c)
{
    f_loc(f, c->loc);
    f_str(f, c->backend);
    f_u64(f, c->profile);
    f_str(f, c->reason);
}

static void f_process(sfold *f, const sim_process *p)
{
    f_str(f, p->name);
    f_loc(f, p->loc);
    f_u64(f, (uint64_t)p->start_ns);
    f_u64(f, p->has_sandbox_group);
    f_data(f, &p->sandbox_group);
    f_u64(f, p->thread_count);
    for (uint32_t t = 0; t < p->thread_count; t++) {
        f_str(f, p->threads[t].name);
        f_loc(f, p->threads[t].loc);
        f_u64(f, p->threads[t].program);
    }
    f_u64(f, p->queue_count);
    for (uint32_t q = 0; q < p->queue_count; q++) {
        f_str(f, p->queues[q].name);
        f_loc(f, p->queues[q].loc);
        f_u64(f, (uint64_t)p->queues[q].kind << 8 | p->queues[q].width);
    }
    f_u64(f, p->end_signal);
}

/* Every field of a loaded scenario (the profile's overriding values as bytes: a plain struct). */
static uint64_t fold_scenario(const sim_scenario *sc)
{
    sfold f = {UINT64_C(0xcbf29ce484222325)};
    f_str(&f, sc->file);
    f_str(&f, sc->name);
    f_loc(&f, sc->loc);
    f_str(&f, sc->about);
    f_u64(&f, sc->rule_count);
    for (uint32_t i = 0; i < sc->rule_count; i++) f_str(&f, sc->rules[i]);
    f_u64(&f, sc->profile);
    f_u64(&f, sc->option_mask);
    f.h = fnv(f.h, &sc->options, sizeof sc->options);
    f_u64(&f, (uint64_t)sc->time_limit_ns);
    f_u64(&f, sc->service_count);
    for (uint32_t i = 0; i < sc->service_count; i++) f_data(&f, &sc->services[i]);
    f_u64(&f, sc->mode_count);
    for (uint32_t i = 0; i < sc->mode_count; i++) f_str(&f, sc->modes[i]);
    f_u64(&f, sc->var_count);
    for (uint32_t i = 0; i < sc->var_count; i++) f_str(&f, sc->vars[i]);
    f_u64(&f, sc->signal_count);
    for (uint32_t i = 0; i < sc->signal_count; i++) f_str(&f, sc->signals[i]);
    f_u64(&f, sc->process_count);
    for (uint32_t i = 0; i < sc->process_count; i++) f_process(&f, &sc->processes[i]);
    f_u64(&f, sc->program_count);
    for (uint32_t i = 0; i < sc->program_count; i++) {
        const sim_program *p = &sc->programs[i];
        f_str(&f, p->name);
        f_loc(&f, p->loc);
        f_u64(&f, p->kind);
        f_u64(&f, p->process);
        f_u64(&f, (uint64_t)p->first_step << 32 | p->step_count);
    }
    f_u64(&f, sc->step_count);
    for (uint32_t i = 0; i < sc->step_count; i++) f_step(&f, &sc->steps[i]);
    f_u64(&f, sc->fault_count);
    for (uint32_t i = 0; i < sc->fault_count; i++) {
        const sim_fault *x = &sc->faults[i];
        f_loc(&f, x->loc);
        f_u64(&f, (uint64_t)x->at_ns);
        f_u64(&f, x->kind);
        f_ref(&f, &x->process);
        f_ref(&f, &x->on);
        f_u64(&f, (uint64_t)x->after_ns);
    }
    f_u64(&f, sc->event_expect_count);
    for (uint32_t i = 0; i < sc->event_expect_count; i++) f_event(&f, &sc->event_expects[i]);
    f_u64(&f, sc->order_pattern_count);
    for (uint32_t i = 0; i < sc->order_pattern_count; i++) f_event(&f, &sc->order_patterns[i]);
    f_u64(&f, sc->order_count);
    for (uint32_t i = 0; i < sc->order_count; i++) {
        f_loc(&f, sc->orders[i].loc);
        f_u64(&f, (uint64_t)sc->orders[i].first << 32 | sc->orders[i].count);
    }
    f_u64(&f, sc->skip_count);
    for (uint32_t i = 0; i < sc->skip_count; i++) f_condition(&f, &sc->skips[i]);
    f_u64(&f, sc->only_count);
    for (uint32_t i = 0; i < sc->only_count; i++) f_condition(&f, &sc->onlys[i]);
    return f.h;
}

/*
 * sim_gen_annotate_load makes the annotated scenario portsim fuzz checks without parsing the
 * annotated text again: over seeds 1..BUILD_SEEDS with the fuzzer's plan, the scenario it
 * builds is the one loading the text gives, in every field (locations, expectations,
 * expect_events, the file name); the text is sim_gen_annotate's, byte for byte, and so are
 * the allowed sets. Nearly every seed is built, not loaded (else nothing is saved).
 */
static void test_annotated_scenario_built_as_loaded(void **state)
{
    (void)state;
    sim_gen_options o = sim_gen_options_default();
    uint32_t built = 0, loaded = 0, with_events = 0, with_fields = 0;
    for (uint64_t seed = 1; seed <= BUILD_SEEDS; seed++) {
        char *text = sim_gen_scenario(seed, &o);
        sim_scenario sc, sc2, direct, parsed;
        char why[256] = "";
        assert_true(loads(text, &sc, why, sizeof why));
        assert_true(loads(text, &sc2, why, sizeof why));
        sim_allowed_plan plan = sim_gen_allowed_plan(seed, 32, 0, 15.0, 15.0);
        sim_allowed_set a1, a2;
        char *t1 = sim_gen_annotate(text, &sc, &plan, &a1);
        assert_non_null(t1);
        sim_diag d;
        sim_diag_init(&d, "gen-x.yaml");
        sim_gen_load_how how = SIM_GEN_NOT_LOADED;
        char *t2 = sim_gen_annotate_load(text, &sc2, &plan, &a2, "gen-x.yaml", &direct, &d, &how);
        sim_diag_fini(&d);
        assert_non_null(t2);
        assert_string_equal(t1, t2);
        assert_true(fold_allowed(1, &a1) == fold_allowed(1, &a2));
        assert_true(how != SIM_GEN_NOT_LOADED);
        built += how == SIM_GEN_BUILT;
        loaded += how == SIM_GEN_LOADED;
        sim_diag_init(&d, "gen-x.yaml");
        assert_true(sim_load_buffer("gen-x.yaml", (const uint8_t *)t1, strlen(t1), &parsed, &d));
        sim_diag_fini(&d);
        with_events += parsed.event_expect_count > 0;
        with_fields += strstr(t1, "reply: \"") != NULL || strstr(t1, "name: \"") != NULL;
        if (fold_scenario(&direct) != fold_scenario(&parsed)) {
            print_error("seed %llu: the built scenario differs from the loaded one\n", (unsigned long long)seed);
            fail();
        }
        sim_scenario_free(&parsed);
        sim_scenario_free(&direct);
        sim_scenario_free(&sc2);
        sim_scenario_free(&sc);
        sim_allowed_set_free(&a1);
        sim_allowed_set_free(&a2);
        free(t1);
        free(t2);
        free(text);
    }
    print_message("annotated scenarios over seeds 1..%u: %u built, %u loaded; %u with expect_events, %u with "
                  "reply or name data\n",
                  BUILD_SEEDS, built, loaded, with_events, with_fields);
    assert_true(built >= BUILD_SEEDS * 9 / 10);
    assert_true(with_events > 0 && with_fields > 0);
}

/* A text the direct way does not handle (steps with expectations of their own, expect_events)
 * is loaded instead, and gives what loading sim_gen_annotate's text gives. */
static void test_annotated_scenario_loaded_when_not_buildable(void **state)
{
    (void)state;
    static const char text[] = "scenario: own-expectations\n"
                               "processes:\n"
                               "  app:\n"
                               "    threads:\n"
                               "      main:\n"
                               "        - create_local: {port: svc, name: com.portsim.gen-test, handler: h}\n"
                               "          expect: created\n"
                               "        - schedule: svc\n"
                               "        - send: {port: svc, msgid: 5, data: \"x\", send_timeout: 20ms}\n"
                               "        - run_loop: {mode: default, for: 20ms, return_after_source: true}\n"
                               "handlers:\n"
                               "  h: [{reply: \"r\"}]\n"
                               "expect_events:\n"
                               "  - {callout: {process: app, port: svc, msgid: 5}, count: 1}\n";
    sim_scenario sc, sc2, got, want;
    char why[256] = "";
    assert_true(loads(text, &sc, why, sizeof why));
    assert_true(loads(text, &sc2, why, sizeof why));
    sim_allowed_plan plan = sim_gen_allowed_plan(1, 8, 0, 15.0, 15.0);
    sim_allowed_set a1, a2;
    char *t1 = sim_gen_annotate(text, &sc, &plan, &a1);
    sim_diag d;
    sim_diag_init(&d, "gen.yaml");
    sim_gen_load_how how = SIM_GEN_NOT_LOADED;
    char *t2 = sim_gen_annotate_load(text, &sc2, &plan, &a2, "gen.yaml", &got, &d, &how);
    sim_diag_fini(&d);
    assert_int_equal(how, SIM_GEN_LOADED);
    assert_int_equal(sc2.step_count, sc.step_count); /* left as it was */
    assert_string_equal(t1, t2);
    assert_true(loads(t1, &want, why, sizeof why));
    assert_true(fold_scenario(&got) == fold_scenario(&want));
    assert_non_null(strstr(t1, "expect: {result: [success"));
    sim_scenario_free(&want);
    sim_scenario_free(&got);
    sim_scenario_free(&sc2);
    sim_scenario_free(&sc);
    sim_allowed_set_free(&a1);
    sim_allowed_set_free(&a2);
    free(t1);
    free(t2);
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
        cmocka_unit_test(test_annotated_scenario_built_as_loaded),
        cmocka_unit_test(test_annotated_scenario_loaded_when_not_buildable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
