/*
 * sim_check_test.c — the checker and the `portsim run` command: wrong
 * expectations fail at their YAML position with a replay command that
 * reproduces them; the invariants fire on hand-made observations (the
 * checker is backend-neutral); same scenario + seed gives the same trace
 * hash; JSON, exit codes, colour, folders, skip/only.
 */
#define _DEFAULT_SOURCE /* mkstemps, mkdtemp */
#define _POSIX_C_SOURCE 200809L
#include "sim_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char echo_text[] =
    "scenario: check-echo\n"                                                      /* 1 */
    "processes:\n"                                                                /* 2 */
    "  server:\n"                                                                 /* 3 */
    "    threads:\n"                                                              /* 4 */
    "      main:\n"                                                               /* 5 */
    "        - create_local: {port: svc, name: com.example.check, handler: echo}\n" /* 6 */
    "        - schedule: svc\n"                                                   /* 7 */
    "        - run_loop: {mode: default, for: 1s}\n"                              /* 8 */
    "  client:\n"                                                                 /* 9 */
    "    start: 1ms\n"                                                            /* 10 */
    "    threads:\n"                                                              /* 11 */
    "      main:\n"                                                               /* 12 */
    "        - create_remote: {port: r, name: com.example.check}\n"               /* 13 */
    "        - send: {port: r, msgid: 1, data: \"hi\", send_timeout: 1s, recv_timeout: 1s, reply_mode: default}\n" /* 14 */
    "          expect: {status: STATUS, reply: REPLY, elapsed: {max: MAXms}}\n"   /* 15 */
    "        - sleep: 1ms\n"                                                      /* 16 */
    "          expect: {runs: RUNS}\n"                                            /* 17 */
    "handlers:\n"                                                                 /* 18 */
    "  echo:\n"                                                                   /* 19 */
    "    - work: 3ms\n"                                                           /* 20 */
    "      expect: {elapsed: WORKms}\n"                                           /* 21 */
    "    - reply: echo\n"                                                         /* 22 */
    "expect_events:\n"                                                            /* 23 */
    "  - {callout: {process: server, port: svc}, count: CALLOUTS}\n";             /* 24 */

/* echo_text with its placeholders replaced; malloc'd. */
static char *echo_variant(const char *status, const char *reply, const char *max_ms,
                          const char *runs, const char *work_ms, const char *callouts)
{
    const char *keys[] = {"STATUS", "REPLY", "MAX", "RUNS", "WORK", "CALLOUTS"};
    const char *values[] = {status, reply, max_ms, runs, work_ms, callouts};
    char *text = strdup(echo_text);
    for (size_t k = 0; k < 6; k++) {
        char *at = strstr(text, keys[k]);
        assert_non_null(at);
        size_t n = strlen(text) - strlen(keys[k]) + strlen(values[k]) + 1;
        char *next = malloc(n);
        snprintf(next, n, "%.*s%s%s", (int)(at - text), text, values[k], at + strlen(keys[k]));
        free(text);
        text = next;
    }
    return text;
}

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
    char *text = echo_variant("success", "\"hi\"", "10", "1", "3", "1");
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
    char *text = echo_variant("[receive_timeout, became_invalid]", "\"ho\"", "1", "3", "4", "2");
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
    text = echo_variant("success", "\"ho\"", "1", "1", "3", "1");
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

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/sim_check_test_XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Splits a replay command at spaces (the temporary path needs no quoting). */
static uint32_t split(char *line, const char **argv, uint32_t cap)
{
    uint32_t n = 0;
    for (char *tok = strtok(line, " \n"); tok != NULL && n + 1 < cap; tok = strtok(NULL, " \n")) {
        argv[n++] = tok;
    }
    argv[n] = NULL;
    return n;
}

static char *line_starting(const char *text, const char *prefix)
{
    const char *at = strstr(text, prefix);
    if (at == NULL) return NULL;
    const char *end = strchr(at, '\n');
    return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

/* A failing run prints a replay command; running it reproduces the failure exactly. */
static void test_failure_prints_a_replay_that_reproduces_it(void **state)
{
    (void)state;
    char *text = echo_variant("became_invalid", "\"hi\"", "10", "1", "3", "1");
    char *path = write_temp(text);
    const char *argv[] = {"portsim", "run", "--strategy", "random", "--seed", "77", path, NULL};
    st_cli first = st_run_cli(argv);
    assert_int_equal(first.code, SIM_EXIT_FAILED);
    char *fail_line = line_starting(first.out, "FAIL ");
    char *detail = line_starting(first.out, "    /tmp/");
    char *replay = line_starting(first.out, "    replay: ");
    assert_non_null(fail_line);
    assert_non_null(detail);
    assert_non_null(replay);
    assert_non_null(strstr(detail, ":15:28: fail: send result: expected became_invalid, observed success"));
    assert_non_null(strstr(replay, "--seed 77 --strategy random --profile ventura"));
    const char *args[16];
    char *words = strdup(replay + strlen("    replay: "));
    uint32_t n = split(words, args, 16);
    assert_true(n >= 9);
    assert_string_equal(args[0], "portsim");
    st_cli again = st_run_cli(args);
    assert_int_equal(again.code, SIM_EXIT_FAILED);
    char *fail_again = line_starting(again.out, "FAIL ");
    char *detail_again = line_starting(again.out, "    /tmp/");
    assert_string_equal(fail_again, fail_line); /* same scenario, hash, events, time */
    assert_string_equal(detail_again, detail);
    free(fail_again);
    free(detail_again);
    st_cli_free(&again);
    free(words);
    free(fail_line);
    free(detail);
    free(replay);
    st_cli_free(&first);
    unlink(path);
    free(path);
    free(text);
}

/* Same scenario, seed, strategy and profile: the same trace hash, every time. */
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

/* ---- the command line ----------------------------------------------------------- */

static void test_cli_usage_and_exit_codes(void **state)
{
    (void)state;
    static const struct {
        const char *argv[6];
        int code;
        const char *out;
        const char *err;
    } cases[] = {
        {{"portsim", NULL}, 2, "", "usage: portsim run"},
        {{"portsim", "--help", NULL}, 0, "usage: portsim run", ""},
        {{"portsim", "--version", NULL}, 0, "portsim ", ""},
        {{"portsim", "frob", NULL}, 2, "", "unknown command 'frob'"},
        {{"portsim", "run", NULL}, 2, "", "run needs at least one PATH"},
        {{"portsim", "run", "--help", NULL}, 0, "--strategy", ""},
        {{"portsim", "run", "--bogus", "x", NULL}, 2, "", "unknown option '--bogus'"},
        {{"portsim", "run", "--seed", "x1", "y", NULL}, 2, "", "bad seed"},
        {{"portsim", "run", "--strategy", "bogus", "y", NULL}, 2, "", "unknown strategy"},
        {{"portsim", "run", "--profile", "sonoma", "y", NULL}, 2, "", "unknown profile"},
        {{"portsim", "run", "--seed", NULL}, 2, "", "needs a value"},
        {{"portsim", "run", "/no/such/path.yaml", NULL}, 2, "", "/no/such/path.yaml: No such file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        st_cli r = st_run_cli(cases[i].argv);
        if (r.code != cases[i].code || !strstr(r.out, cases[i].out) || !strstr(r.err, cases[i].err)) {
            fail_msg("case %zu: code %d\nout: %s\nerr: %s", i, r.code, r.out, r.err);
        }
        st_cli_free(&r);
    }
}

/* Folders are searched recursively and run in byte order; load errors exit 2. */
static void test_cli_folders_order_summary_and_load_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/sim_cli_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    char *ok = echo_variant("success", "\"hi\"", "10", "1", "3", "1");
    const char *names[] = {"b.yaml", "a/z.yaml", "a/c.yml", "notes.txt"};
    snprintf(path, sizeof path, "%s/a", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(ok, f);
        fclose(f);
    }
    const char *argv[] = {"portsim", "run", "--no-color", dir, NULL};
    st_cli r = st_run_cli(argv);
    assert_int_equal(r.code, 0);
    char *c = strstr(r.out, "/a/c.yml"), *z = strstr(r.out, "/a/z.yaml"), *b = strstr(r.out, "/b.yaml");
    assert_true(c != NULL && z != NULL && b != NULL && c < z && z < b);
    assert_null(strstr(r.out, "notes.txt"));
    assert_non_null(strstr(r.out, "3 passed, 0 failed, 0 skipped\n"));
    assert_null(strchr(r.out, '\033'));
    st_cli_free(&r);
    snprintf(path, sizeof path, "%s/a/bad.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("scenario: x\nprocesses: {p: {threads: {main: [{sleep: 1}]}}}\n", f);
    fclose(f);
    r = st_run_cli(argv);
    assert_int_equal(r.code, SIM_EXIT_USAGE);
    assert_non_null(strstr(r.err, "/a/bad.yaml:2:42: error: bad duration '1' for sleep"));
    assert_non_null(strstr(r.out, "ERROR "));
    assert_non_null(strstr(r.out, "3 passed, 1 failed, 0 skipped\n"));
    st_cli_free(&r);
    const char *color[] = {"portsim", "run", "--color", dir, NULL};
    r = st_run_cli(color);
    assert_non_null(strstr(r.out, "\033[32mPASS"));
    st_cli_free(&r);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/a/bad.yaml", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/a", dir);
    rmdir(path);
    rmdir(dir);
    free(ok);
}

/* --json writes the versioned document; --trace prints the canonical trace. */
static void test_cli_json_and_trace(void **state)
{
    (void)state;
    char *bad = echo_variant("became_invalid", "\"hi\"", "10", "1", "3", "1");
    char *path = write_temp(bad);
    char json[] = "/tmp/sim_check_test_XXXXXX.json";
    int fd = mkstemps(json, 5);
    assert_true(fd >= 0);
    close(fd);
    const char *argv[] = {"portsim", "run", "--trace", "--json", json, path, NULL};
    st_cli r = st_run_cli(argv);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "0.000000000 server start incarnation=1 pid=100\n"));
    assert_non_null(strstr(r.out, " client/main call @1:1 send\n"));
    char *doc = st_read_file(json, NULL);
    assert_non_null(doc);
    assert_true(strncmp(doc, "{\"schema_version\": 1,", 21) == 0);
    static const char *const keys[] = {
        "\"tool\": {\"name\": \"portsim\"", "\"command\": \"run\"", "\"options\": {\"seed\": 1",
        "\"summary\": {\"passed\": 0, \"failed\": 1, \"skipped\": 0, \"errors\": 0}",
        "\"id\": \"check-echo\"", "\"verdict\": \"fail\"", "\"trace_hash\": \"0x",
        "\"kind\": \"expect\"", "\"line\": 15, \"column\": 28", "\"expected\": \"became_invalid\"",
        "\"observed\": \"success\"", "\"replay\": \"portsim run ", "\"steps\": [",
        "\"where\": \"handler echo\"", "\"realtime\": null,"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strstr(doc, keys[i]) == NULL) fail_msg("no %s in:\n%s", keys[i], doc);
    }
    int depth = 0;
    bool in_string = false;
    for (const char *p = doc; *p; p++) { /* balanced, and no raw control characters in strings */
        if (in_string) {
            assert_true((unsigned char)*p >= 0x20);
            if (*p == '\\') p++;
            else if (*p == '"') in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
    }
    assert_int_equal(depth, 0);
    free(doc);
    st_cli_free(&r);
    unlink(json);
    unlink(path);
    free(path);
    free(bad);
}

/* skip: and only: by backend and profile, with their reasons. */
static void test_skip_and_only(void **state)
{
    (void)state;
    const char *text =
        "scenario: only-cf1153\n"
        "only: [{profile: cf-1153, reason: \"a cf-1153 behaviour\"}]\n"
        "skip: {backend: posix, reason: \"not on linux\"}\n"
        "processes: {p: {threads: {main: [{sleep: 1ms}]}}}\n";
    char *path = write_temp(text);
    const char *argv[] = {"portsim", "run", path, NULL};
    st_cli r = st_run_cli(argv);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "(skipped: a cf-1153 behaviour)"));
    assert_non_null(strstr(r.out, "0 passed, 0 failed, 1 skipped"));
    st_cli_free(&r);
    const char *with_profile[] = {"portsim", "run", "--profile", "cf-1153", path, NULL};
    r = st_run_cli(with_profile);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "1 passed, 0 failed, 0 skipped"));
    st_cli_free(&r);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_expectations_pass),
        cmocka_unit_test(test_wrong_expectations_point_at_their_keys),
        cmocka_unit_test(test_failure_prints_a_replay_that_reproduces_it),
        cmocka_unit_test(test_same_seed_gives_same_trace_hash),
        cmocka_unit_test(test_invariant_invalidation_callback_at_most_once),
        cmocka_unit_test(test_invariant_no_callout_after_invalid),
        cmocka_unit_test(test_invariant_every_send_returns_once),
        cmocka_unit_test(test_invariant_no_reply_matched_to_wrong_request),
        cmocka_unit_test(test_cli_usage_and_exit_codes),
        cmocka_unit_test(test_cli_folders_order_summary_and_load_errors),
        cmocka_unit_test(test_cli_json_and_trace),
        cmocka_unit_test(test_skip_and_only),
    };
    return cmocka_run_group_tests_name("sim_check", tests, NULL, NULL);
}
