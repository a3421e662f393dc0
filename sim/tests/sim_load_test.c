/*
 * sim_load_test.c — the loader: every documented feature loads (the
 * examples of docs/scenario-format.md and good/all-features.yaml), every
 * core operation has a step keyword, parsed values are right, and every
 * malformed input gives located errors quickly, all of them per file.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_bad_cases.h"
#include "sim_yaml.h"

/* "Within a second" natively; slow builds (valgrind, asan) scale it. */
#ifndef SIM_TEST_TIME_SCALE
#define SIM_TEST_TIME_SCALE 1
#endif
#define TIME_LIMIT_S (1.0 * SIM_TEST_TIME_SCALE)

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every yaml block of the format document is a complete scenario that loads and passes. */
static void test_doc_examples_load_and_pass(void **state)
{
    (void)state;
    uint32_t count = 0;
    char **blocks = st_yaml_blocks(PORTSIM_SOURCE_DIR "/docs/scenario-format.md", &count);
    assert_true(count >= 10);
    for (uint32_t i = 0; i < count; i++) {
        char name[64];
        snprintf(name, sizeof name, "scenario-format.md#%u", i);
        sim_scenario sc;
        st_load_text(name, blocks[i], &sc);
        sim_run_options opt = sim_run_options_default();
        sim_result res;
        sim_run_model(&sc, &opt, &res);
        if (res.verdict != SIM_VERDICT_PASS && res.verdict != SIM_VERDICT_SKIP) {
            for (uint32_t f = 0; f < res.failure_count; f++) {
                fprintf(stderr, "%s:%u:%u: %s: expected %s, observed %s\n", name, res.failures[f].line,
                        res.failures[f].col, res.failures[f].message,
                        res.failures[f].expected ? res.failures[f].expected : "-",
                        res.failures[f].observed ? res.failures[f].observed : "-");
            }
            fail_msg("example %u (%s) does not pass", i, sc.name);
        }
        sim_result_free(&res);
        sim_scenario_free(&sc);
    }
    st_free_blocks(blocks, count);
}

static void load_all_features(sim_scenario *sc)
{
    size_t len = 0;
    char *text = st_read_file(SIM_TEST_DIR "/good/all-features.yaml", &len);
    assert_non_null(text);
    st_load_text("all-features.yaml", text, sc);
    free(text);
}

/* Each core operation has a keyword, and all-features.yaml uses every one. */
static void test_every_core_operation_is_a_step(void **state)
{
    (void)state;
    sim_scenario sc;
    load_all_features(&sc);
    for (uint8_t op = CM_OP_NONE + 1; op < CM_OP_KIND_COUNT; op++) {
        const char *keyword = sim_op_keyword(op);
        if (keyword == NULL) fail_msg("core operation %s has no scenario keyword", cm_op_kind_name(op));
        assert_int_equal(sim_op_by_keyword(keyword), op);
        bool used = false;
        for (uint32_t i = 0; i < sc.step_count && !used; i++) used = sc.steps[i].op == op;
        if (!used) fail_msg("all-features.yaml does not use %s", keyword);
    }
    sim_scenario_free(&sc);
}

static const sim_step *find_step(const sim_scenario *sc, uint32_t line)
{
    for (uint32_t i = 0; i < sc->step_count; i++) {
        if (sc->steps[i].loc.line == line) return &sc->steps[i];
    }
    fail_msg("no step on line %u", line);
    abort();
}

static const sim_program *find_program(const sim_scenario *sc, const char *name)
{
    for (uint32_t i = 0; i < sc->program_count; i++) {
        if (strcmp(sc->programs[i].name, name) == 0) return &sc->programs[i];
    }
    fail_msg("no program %s", name);
    abort();
}

/* Spot checks of parsed values: profile, options, data forms, references, expectations. */
static void test_all_features_values(void **state)
{
    (void)state;
    sim_scenario sc;
    load_all_features(&sc);
    assert_string_equal(sc.name, "all-features");
    assert_int_equal(sc.loc.line, 4);
    assert_int_equal(sc.rule_count, 3);
    assert_string_equal(sc.rules[1], "R26b");
    assert_int_equal(sc.profile, CM_PROFILE_VENTURA);
    assert_int_equal(sc.options.death_notice_delay_ns, 50000);
    assert_int_equal(sc.option_mask & SIM_OPT_QLIMIT, SIM_OPT_QLIMIT);
    assert_int_equal(sc.time_limit_ns, 30 * CM_NS_PER_S);
    assert_int_equal(sc.service_count, 2);
    assert_memory_equal(sc.services[1].bytes, "com.example.h", 13);
    assert_int_equal(sc.mode_count, 2);
    assert_string_equal(sc.modes[1], "other.mode");
    assert_int_equal(sc.process_count, 3);
    const sim_process *server = &sc.processes[0];
    assert_memory_equal(server->sandbox_group.bytes, "group.g.x", 9);
    assert_int_equal(server->queue_count, 3);
    assert_int_equal(server->queues[1].kind, CM_QUEUE_CONCURRENT);
    assert_int_equal(server->queues[1].width, 3);
    assert_string_equal(server->threads[1].name, "worker");
    assert_int_equal(sc.processes[1].start_ns, CM_NS_PER_MS);
    assert_int_equal(sc.skip_count, 1);
    assert_int_equal(sc.only_count, 1);
    assert_string_equal(sc.skips[0].backend, "apple");
    /* create_local with context, label and expectation */
    const sim_step *s = find_step(&sc, 36);
    assert_int_equal(s->op, CM_OP_CREATE_LOCAL);
    assert_int_equal(s->info, -7);
    assert_int_equal(s->flags, CM_OPF_CTX_RETAIN | CM_OPF_CTX_RELEASE | CM_OPF_CTX_COPYDESC);
    assert_string_equal(s->label, "make_server");
    assert_int_equal(s->expect->results[0], 1);
    assert_int_equal(s->expect->should_free_info, 0);
    assert_true(s->expect->has_runs);
    assert_int_equal(s->target.index, find_program(&sc, "echo") - sc.programs);
    /* a send with hex data, nan and forever timeouts, the common mode, flags */
    s = find_step(&sc, 110);
    assert_int_equal(s->op, CM_OP_SEND);
    assert_int_equal(s->msgid, 3);
    assert_int_equal(s->data.len, 2);
    assert_memory_equal(s->data.bytes, "\xff\x00", 2);
    assert_int_equal(s->t1_ns, CM_DURATION_NAN);
    assert_int_equal(s->t2_ns, CM_DURATION_FOREVER);
    assert_int_equal(s->mode.index, CM_MODE_COMMON);
    assert_int_equal(s->flags, CM_OPF_NO_RETURN_DATA);
    assert_int_equal(s->expect->result_count, 5);
    assert_int_equal(s->expect->results[3], SIM_VALUE_BLOCKED);
    /* a private-mode, malformed send with a negative timeout */
    s = find_step(&sc, 113);
    assert_int_equal(s->t1_ns, -CM_NS_PER_S);
    assert_int_equal(s->mode.index, 2);
    assert_int_equal(s->flags, CM_OPF_MALFORMED);
    assert_int_equal(s->expect->reply.kind, SIM_DATA_NULL);
    /* work is sleep with the work flag; decimals are exact */
    s = find_step(&sc, 88);
    assert_int_equal(s->op, CM_OP_SLEEP);
    assert_int_equal(s->flags, CM_OPF_WORK);
    assert_int_equal(s->t1_ns, 1500000);
    /* handlers, callbacks, timers and blocks */
    assert_int_equal(find_program(&sc, "crashing")->kind, SIM_PROG_HANDLER);
    assert_int_equal(find_program(&sc, "cb")->kind, SIM_PROG_CALLBACK);
    assert_int_equal(find_program(&sc, "tick")->kind, SIM_PROG_TIMER);
    assert_int_equal(find_program(&sc, "note")->kind, SIM_PROG_BLOCK);
    const sim_program *sized = find_program(&sc, "sized");
    assert_int_equal(sc.steps[sized->first_step].data.kind, SIM_DATA_SIZE);
    assert_int_equal(sc.steps[sized->first_step].data.size, 100);
    /* faults and expected events */
    assert_int_equal(sc.fault_count, 2);
    assert_int_equal(sc.faults[1].kind, CM_FAULT_RESTART);
    assert_int_equal(sc.faults[1].process.index, 1);
    assert_int_equal(sc.event_expect_count, 6);
    assert_int_equal(sc.event_expects[0].kind, SIM_EV_CALLOUT);
    assert_int_equal(sc.event_expects[0].msgid, -1);
    assert_int_equal(sc.event_expects[2].code, CM_CRASH_OP);
    assert_int_equal(sc.event_expects[2].count_max, 5);
    sim_scenario_free(&sc);
}

/* all-features.yaml also runs, passes, and does so under random schedules. */
static void test_all_features_runs(void **state)
{
    (void)state;
    sim_scenario sc;
    load_all_features(&sc);
    for (uint64_t seed = 0; seed < 4; seed++) {
        sim_run_options opt = sim_run_options_default();
        opt.seed = seed;
        opt.strategy = seed == 0 ? SIM_STRATEGY_FIFO : SIM_STRATEGY_RANDOM;
        sim_result res;
        sim_run_model(&sc, &opt, &res);
        if (res.verdict != SIM_VERDICT_PASS) {
            fail_msg("seed %llu: %s: %s", (unsigned long long)seed,
                     res.failure_count ? res.failures[0].message : "?", res.replay);
        }
        sim_result_free(&res);
    }
    sim_scenario_free(&sc);
}

/* Each malformed file gives each of its listed errors, located, in well under a second. */
static void test_bad_corpus_reports_located_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < SIM_BAD_CASE_COUNT; i++) {
        const sim_bad_case *c = &sim_bad_cases[i];
        char path[512];
        snprintf(path, sizeof path, SIM_TEST_DIR "/bad/%s", c->file);
        size_t len = 0;
        char *bytes = st_read_file(path, &len);
        if (bytes == NULL) fail_msg("cannot read %s", path);
        double start = seconds_now();
        char *errors = st_load_errors(c->file, (const uint8_t *)bytes, len);
        double took = seconds_now() - start;
        char want[256];
        snprintf(want, sizeof want, "%s:%s: error: ", c->file, c->where);
        const char *at = strstr(errors, want);
        if (at == NULL || strstr(at, c->words) == NULL ||
            strstr(at, c->words) > strchr(at, '\n')) {
            fail_msg("%s: wanted '%s%s' in:\n%s", c->file, want, c->words, errors);
        }
        if (took > TIME_LIMIT_S) fail_msg("%s took %.2fs", c->file, took);
        free(errors);
        free(bytes);
    }
}

/* Hostile inputs made here: too big, too many nodes, deep nesting, a wide alias bomb. */
static void test_generated_hostile_inputs(void **state)
{
    (void)state;
    size_t big = SIM_YAML_MAX_BYTES + 100;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'a', big);
    memcpy(text, "scenario: x\nabout: ", 19);
    static const struct {
        const char *what;
        const char *words;
    } expect[] = {
        {"huge", "1:1: error: file too large"},
        {"nodes", "too many YAML nodes"},
        {"deep", "nesting deeper than"},
        {"aliases", "anchors (&name) are not allowed"},
    };
    for (size_t k = 0; k < 4; k++) {
        size_t len = big;
        if (k == 1) { /* 1 MiB of "- 1\n" */
            len = SIM_YAML_MAX_BYTES - 8;
            for (size_t i = 0; i + 4 <= len; i += 4) memcpy(text + i, "- 1\n", 4);
            len -= len % 4;
        } else if (k == 2) {
            len = 200000;
            memset(text, '[', len / 2);
            memset(text + len / 2, ']', len / 2);
        } else if (k == 3) {
            len = (size_t)snprintf(text, big, "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                                              "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                              "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n");
        }
        double start = seconds_now();
        char *errors = st_load_errors(expect[k].what, (const uint8_t *)text, len);
        double took = seconds_now() - start;
        if (strstr(errors, expect[k].words) == NULL) fail_msg("%s: %s", expect[k].what, errors);
        free(errors);
        if (took > TIME_LIMIT_S) {
            free(text);
            fail_msg("%s took %.2fs", expect[k].what, took);
        }
    }
    free(text);
}

/* A file with many problems reports them all, sorted by position. */
static void test_all_errors_of_a_file_are_reported(void **state)
{
    (void)state;
    size_t len = 0;
    char *bytes = st_read_file(SIM_TEST_DIR "/bad/dangling-refs.yaml", &len);
    assert_non_null(bytes);
    char *errors = st_load_errors("dangling-refs.yaml", (const uint8_t *)bytes, len);
    uint32_t lines = 0, last = 0;
    for (const char *p = errors; (p = strstr(p, "dangling-refs.yaml:")) != NULL; p++) {
        uint32_t line = (uint32_t)strtoul(p + strlen("dangling-refs.yaml:"), NULL, 10);
        assert_true(line >= last);
        last = line;
        lines++;
    }
    assert_true(lines >= 12);
    free(errors);
    free(bytes);
}

/* A missing file is an error at 1:1 too. */
static void test_missing_file(void **state)
{
    (void)state;
    sim_diag diag;
    sim_diag_init(&diag, "no/such/file.yaml");
    sim_scenario sc;
    assert_false(sim_load_file("no/such/file.yaml", &sc, &diag));
    assert_int_equal(diag.count, 1);
    assert_non_null(strstr(diag.entries[0].message, "cannot open"));
    sim_diag_fini(&diag);
}

/* Mutated copies of good scenarios (deterministic): never a crash or a hang;
 * those that still load run, with a small event budget. */
#ifndef SIM_TEST_MUTATIONS
#define SIM_TEST_MUTATIONS 300
#endif

static void mutate(cm_rng *rng, char *buf, size_t *len, size_t cap)
{
    static const char *const tokens[] = {"{", "}", "[", "]", ":", "- ", "\n", "  ", "\"", "'", "&a ",
                                         "*a", "!!", "null", "~", "0", "-1", "forever", "nan",
                                         "self", "main", "1ms", "#", "? ", "|", "expect: ",
                                         "reply: echo", "\t", "%"};
    uint32_t edits = 1 + (uint32_t)cm_rng_below(rng, 6);
    for (uint32_t e = 0; e < edits && *len > 1; e++) {
        size_t at = (size_t)cm_rng_below(rng, *len);
        switch (cm_rng_below(rng, 4)) {
        case 0: { /* delete a run */
            size_t n = 1 + (size_t)cm_rng_below(rng, 20);
            if (at + n > *len) n = *len - at;
            memmove(buf + at, buf + at + n, *len - at - n);
            *len -= n;
            break;
        }
        case 1: { /* insert a token */
            const char *t = tokens[cm_rng_below(rng, sizeof tokens / sizeof tokens[0])];
            size_t n = strlen(t);
            if (*len + n >= cap) break;
            memmove(buf + at + n, buf + at, *len - at);
            memcpy(buf + at, t, n);
            *len += n;
            break;
        }
        case 2: /* overwrite a byte with printable ASCII */
            buf[at] = (char)(32 + cm_rng_below(rng, 95));
            break;
        default: /* truncate */
            *len = at;
            break;
        }
    }
}

static void test_mutated_scenarios_never_crash(void **state)
{
    (void)state;
    const char *paths[] = {SIM_TEST_DIR "/good/all-features.yaml",
                           PORTSIM_SOURCE_DIR "/scenarios/invalidation/server-crash-during-request.yaml",
                           PORTSIM_SOURCE_DIR "/scenarios/timeouts/queue-limit.yaml"};
    cm_rng rng;
    cm_rng_seed(&rng, 2024);
    uint32_t loaded = 0;
    for (uint32_t i = 0; i < SIM_TEST_MUTATIONS; i++) {
        size_t len = 0;
        char *text = st_read_file(paths[i % 3], &len);
        assert_non_null(text);
        size_t cap = len + 256;
        char *buf = malloc(cap);
        assert_non_null(buf);
        memcpy(buf, text, len);
        mutate(&rng, buf, &len, cap);
        sim_diag diag;
        sim_diag_init(&diag, "mutant.yaml");
        sim_scenario sc;
        if (sim_load_buffer("mutant.yaml", (const uint8_t *)buf, len, &sc, &diag)) {
            loaded++;
            sim_run_options opt = sim_run_options_default();
            opt.max_events = 20000;
            sim_result res;
            sim_run_model(&sc, &opt, &res);
            assert_true(sim_result_validate(&res));
            sim_result_free(&res);
            sim_scenario_free(&sc);
        } else {
            assert_true(sim_diag_total(&diag) > 0);
        }
        sim_diag_fini(&diag);
        free(buf);
        free(text);
    }
    assert_true(loaded > 0); /* some mutants stay valid and run */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_examples_load_and_pass),
        cmocka_unit_test(test_every_core_operation_is_a_step),
        cmocka_unit_test(test_all_features_values),
        cmocka_unit_test(test_all_features_runs),
        cmocka_unit_test(test_bad_corpus_reports_located_errors),
        cmocka_unit_test(test_generated_hostile_inputs),
        cmocka_unit_test(test_all_errors_of_a_file_are_reported),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_mutated_scenarios_never_crash),
    };
    return cmocka_run_group_tests_name("sim_load", tests, NULL, NULL);
}
