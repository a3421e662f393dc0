/*
 * conf_runner_test.c — the conformance runner as a whole:
 *   - agents that crash, hang (with a grandchild, ignoring SIGTERM), print garbage, exit
 *     early or never say hello each give a clear failure for that scenario, the run goes
 *     on to the next scenario, and no agent process is left (the test reads /proc for
 *     children of the runner and checks every pid the agents made is gone);
 *   - SIGTERM during a run: the runner kills and reaps its agents and returns 130;
 *   - `--backend model` gives the same verdict (and the same trace hash) as `portsim run`
 *     on every scenario of the corpus and of the tests' own scenarios;
 *   - expectation files: loading, errors, and how entries change verdicts;
 *   - a signal raised just before its process ends still returns and is relayed;
 *   - a crash inside a CF call (the agent's "crashed" line) is judged as that step's crash,
 *     with the posix agent on the corpus's precondition scenarios too; a crash line for no
 *     open call is the agent's failure;
 *   (`portsim conform` itself, its output and its reports, is tested in cli/tests.)
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_suite.h"
#include "sim_explain.h"
#include "sim_load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------------------- */

/* The suite over files with an agent; the text of every failure (message and observed)
 * into *text; returns how many results failed. suite_ok: whether the agent could be opened. */
static uint32_t run_suite_scaled(const char *agent, double timeout_multiplier, double time_scale,
                                 const char *const *files, uint32_t n, char **text, bool *suite_ok)
{
    assert_true(time_scale >= 1.0 && timeout_multiplier > 0);
    conf_options opt;
    conf_options_default(&opt);
    opt.backend = &conf_backend_agent;
    opt.no_expect = true;
    opt.explore = 4;
    opt.timeout_multiplier = timeout_multiplier;
    if (time_scale > 1.0) { /* as conf_posix_corpus under memcheck (CMakeLists.txt) */
        opt.time_scale = time_scale;
        opt.tol_abs_ns = 30 * 1000 * 1000;
    }
    snprintf(opt.agent_path, sizeof opt.agent_path, "%s", agent);
    conf_suite s;
    char err[600];
    base_buf b;
    base_buf_init(&b, 0);
    uint32_t failed = 0;
    *suite_ok = conf_suite_open(&s, &opt, stderr, err, sizeof err);
    if (!*suite_ok) base_buf_printf(&b, "open: %s\n", err);
    for (uint32_t i = 0; *suite_ok && i < n; i++) {
        sim_result r;
        conf_suite_run_file(&s, files[i], &r);
        assert_true(sim_result_validate(&r));
        failed += r.verdict == SIM_VERDICT_FAIL;
        base_buf_printf(&b, "%s %s\n", sim_verdict_name(r.verdict), r.scenario ? r.scenario : r.file);
        for (uint32_t f = 0; f < r.failure_count; f++) {
            base_buf_printf(&b, "  %s: %s\n", r.failures[f].message, r.failures[f].observed ? r.failures[f].observed : "");
        }
        sim_result_free(&r);
    }
    if (*suite_ok) conf_suite_close(&s);
    *text = base_buf_take(&b);
    assert_non_null(*text);
    return failed;
}

/* The suite at the scenarios' own time scale. */
static uint32_t run_suite(const char *agent, double timeout_multiplier, const char *const *files, uint32_t n,
                          char **text, bool *suite_ok)
{
    return run_suite_scaled(agent, timeout_multiplier, 1.0, files, n, text, suite_ok);
}

/* Processes whose parent is this process (zombies included): what a runner left behind. */
static uint32_t children_left(void)
{
    DIR *d = opendir("/proc");
    if (d == NULL) return 0;
    uint32_t n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] < '0' || ent->d_name[0] > '9') continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", ent->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue;
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        const char *close_paren = strrchr(buf, ')'); /* comm may contain spaces */
        char state = 0;
        long ppid = 0;
        if (close_paren != NULL && sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == (long)getpid()) {
            print_message("left behind: pid %s state %c\n", ent->d_name, state);
            n++;
        }
    }
    closedir(d);
    return n;
}

static bool pid_alive(long pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return false;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    const char *close_paren = strrchr(buf, ')');
    char state = 0;
    if (close_paren == NULL || sscanf(close_paren + 1, " %c", &state) != 1) return false;
    return state != 'Z' && state != 'X';
}

/* Every pid the bad agents wrote into dir must be gone (waits a little for init to reap). */
static uint32_t pids_alive(const char *dir, uint32_t *seen)
{
    uint32_t alive = 0;
    *seen = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] < '0' || ent->d_name[0] > '9') continue;
        (*seen)++;
        long pid = strtol(ent->d_name, NULL, 10);
        for (int i = 0; i < 200 && pid_alive(pid); i++) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
        if (pid_alive(pid)) {
            print_message("agent process %ld is still alive\n", pid);
            alive++;
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    return alive;
}

static char pid_dir[64];

static int make_pid_dir(void **state)
{
    (void)state;
    snprintf(pid_dir, sizeof pid_dir, "/tmp/conf-pids-XXXXXX");
    if (mkdtemp(pid_dir) == NULL) return -1;
    setenv("PORTSIM_TEST_PID_DIR", pid_dir, 1);
    return 0;
}

static int remove_pid_dir(void **state)
{
    (void)state;
    uint32_t seen = 0;
    pids_alive(pid_dir, &seen);
    rmdir(pid_dir);
    unsetenv("PORTSIM_TEST_PID_DIR");
    return 0;
}

/* ---- misbehaving agents --------------------------------------------------------------------- */

typedef struct bad_case {
    const char *mode;
    const char *message; /* what the failure must say */
} bad_case;

static void check_bad_agent(const bad_case *c)
{
    char agent[512];
    snprintf(agent, sizeof agent, "%s/conf_bad_agent_%s", CONF_BAD_AGENT_DIR, c->mode);
    const char *files[] = {CONF_TEST_SCENARIOS "/two-processes.yaml", CONF_TEST_SCENARIOS "/one-process.yaml"};
    char *out = NULL;
    bool opened = false;
    uint32_t failed = run_suite(agent, 1.0, files, 2, &out, &opened);
    if (!opened || failed != 2 || strstr(out, c->message) == NULL || strstr(out, "fail conf-test-two-processes") == NULL ||
        strstr(out, "fail conf-test-one-process") == NULL) {
        print_error("agent %s: %u failed, wanted a failure for each scenario saying \"%s\":\n%s\n", c->mode, failed,
                    c->message, out);
        fail();
    }
    free(out);
    assert_int_equal(children_left(), 0);
    uint32_t seen = 0;
    assert_int_equal(pids_alive(pid_dir, &seen), 0);
    assert_true(seen > 0);
}

static void test_agent_crashes(void **state)
{
    (void)state;
    /* "signal 11 (Segmentation fault)"; under a sanitizer its SEGV handler exits with a status */
    bad_case c = {"crash", "died unexpectedly ("};
    check_bad_agent(&c);
}

static void test_agent_exits_early(void **state)
{
    (void)state;
    bad_case c = {"exits", "died unexpectedly (exit status 3)"};
    check_bad_agent(&c);
}

static void test_agent_hangs(void **state)
{
    (void)state;
    bad_case c = {"hang", "never began its first command by the end of the run (hung?)"};
    check_bad_agent(&c);
}

static void test_agent_prints_garbage(void **state)
{
    (void)state;
    bad_case c = {"garbage", "sent a malformed line 2: not JSON"};
    check_bad_agent(&c);
}

static void test_agent_sends_overlong_line(void **state)
{
    (void)state;
    bad_case c = {"longline", "sent a line longer than 1048576 bytes"};
    check_bad_agent(&c);
}

/* A crash line for an open execution is that step's crash (reason precondition), judged like
 * the model's: it passes where the model crashes too (crash-in-call: R13), and where the model
 * does not it fails as an outcome the model does not allow, saying how it crashed; neither is
 * an unexpected death. The agent is a test double that "calls" its first command and dies. */
static void test_agent_crashes_in_cf_call(void **state)
{
    (void)state;
    char agent[512];
    snprintf(agent, sizeof agent, "%s/conf_bad_agent_cfcrash", CONF_BAD_AGENT_DIR);
    const char *files[] = {CONF_TEST_SCENARIOS "/crash-in-call.yaml", CONF_TEST_SCENARIOS "/one-process.yaml"};
    char *out = NULL;
    bool opened = false;
    uint32_t failed = run_suite(agent, 1.0, files, 2, &out, &opened);
    if (!opened || failed != 1 || strstr(out, "pass conf-test-crash-in-call") == NULL ||
        strstr(out, "fail conf-test-one-process") == NULL ||
        strstr(out, "create_local outcome the model does not allow: killed (crashed with SIGABRT inside its CF call)") ==
            NULL ||
        strstr(out, "died unexpectedly") != NULL) {
        print_error("%u failed:\n%s\n", failed, out);
        fail();
    }
    free(out);
    assert_int_equal(children_left(), 0);
}

/* A crash line naming no open execution is the agent's own failure (a harness bug). */
static void test_agent_crash_line_for_no_call(void **state)
{
    (void)state;
    bad_case c = {"badcrash", "reported a crash (SIGABRT) in execution 99, which is not open"};
    check_bad_agent(&c);
}

/* An agent that never answers hello: the probe says so and nothing runs; a session given
 * such an agent fails at its handshake deadline. */
static void test_agent_silent(void **state)
{
    (void)state;
    char agent[512];
    snprintf(agent, sizeof agent, "%s/conf_bad_agent_silent", CONF_BAD_AGENT_DIR);
    const char *files[] = {CONF_TEST_SCENARIOS "/one-process.yaml"};
    char *out = NULL;
    bool opened = true;
    run_suite(agent, 0.1, files, 1, &out, &opened);
    assert_false(opened); /* the probe found no hello: nothing ran */
    assert_non_null(strstr(out, "open: "));
    free(out);
    /* The session itself, for each scenario. */
    conf_options opt;
    conf_options_default(&opt);
    opt.backend = &conf_backend_agent;
    opt.timeout_multiplier = 0.1;
    opt.explore = 2;
    snprintf(opt.agent_path, sizeof opt.agent_path, "%s", agent);
    conf_agent_info info = {.clock = CONF_CLOCK_HOST, .caps = CONF_CAPF_DISPATCH_QUEUES};
    snprintf(info.implementation, sizeof info.implementation, "silent");
    sim_diag diag;
    sim_diag_init(&diag, "one-process.yaml");
    sim_scenario sc;
    assert_true(sim_load_file(CONF_TEST_SCENARIOS "/one-process.yaml", &sc, &diag));
    sim_diag_fini(&diag);
    conf_model model;
    assert_true(conf_model_explore(&sc, &opt, &model));
    conf_platform_init();
    conf_run run;
    conf_run_scenario(&sc, &model, &opt, &info, &run);
    conf_platform_fini();
    bool said = false;
    for (uint32_t i = 0; i < run.issue_count; i++) said = said || strstr(run.issues[i].message, "did not answer hello") != NULL;
    assert_true(said);
    sim_result o;
    conf_judge(&sc, &model, &run, &opt, &info, &o);
    assert_int_equal(o.verdict, SIM_VERDICT_FAIL);
    sim_result_free(&o);
    conf_run_free(&run);
    conf_model_free(&model);
    sim_scenario_free(&sc);
    assert_int_equal(children_left(), 0);
    uint32_t seen = 0;
    assert_int_equal(pids_alive(pid_dir, &seen), 0);
}

/*
 * The joint check takes back a per-call "outcome the model does not allow" when it finds a model
 * schedule giving the whole run: the deadline tie (R32) judged with --explore 0 (conform's sampled
 * runs: fifo and late hosts only), against a run with the other outcome of the tie, which only a
 * latency choice gives. The run passes, with a note naming the schedule, and (keep_obs) that
 * schedule's run is kept to be drawn beside the real one.
 */
/* The options of a judge test: the model backend, no random runs beyond the plan's own. */
static conf_options model_judge_options(void)
{
    conf_options opt;
    conf_options_default(&opt);
    opt.backend = conf_backend_find("model");
    assert_non_null(opt.backend);
    opt.explore = 0;
    return opt;
}

/* Judges run (its observation made by the test) as a finished run of the model agent. */
static void judge_as_model_run(const sim_scenario *sc, const conf_model *model, conf_run *run,
                               const conf_options *opt, sim_result *o)
{
    run->observed = true;
    run->end_reason = "quiescent";
    conf_agent_info info = {.clock = CONF_CLOCK_VIRTUAL, .world = true};
    snprintf(info.implementation, sizeof info.implementation, "model");
    conf_judge(sc, model, run, opt, &info, o);
}

static void test_joint_check_refutes_a_sampled_set(void **state)
{
    (void)state;
    sim_diag diag;
    sim_diag_init(&diag, "reply-at-deadline-tie.yaml");
    sim_scenario sc;
    assert_true(sim_load_file(CONF_CORPUS "/timeouts/reply-at-deadline-tie.yaml", &sc, &diag));
    sim_diag_fini(&diag);
    conf_options opt = model_judge_options();
    opt.keep_obs = true; /* as --html does: the model's run is kept beside the real one (issue 14 item 3) */
    conf_model model;
    assert_true(conf_model_explore(&sc, &opt, &model));
    sim_compiled c;
    char err[200];
    assert_true(sim_compile(&sc, 0, &c, err, sizeof err));
    conf_run run;
    bool outside = false;
    for (uint64_t seed = 1; seed < 500 && !outside; seed++) { /* a run the sampled sets do not have */
        memset(&run, 0, sizeof run);
        sim_run_options ro = sim_run_options_default();
        ro.strategy = SIM_STRATEGY_RANDOM;
        ro.seed = seed;
        ro.explore_latency = true;
        assert_true(sim_model_observe(&c, &ro, &run.obs));
        for (uint32_t i = 0; i < run.obs.exec_count && !outside; i++) {
            const sim_exec *e = &run.obs.execs[i];
            outside = !sim_allowed_has(&model.allowed[e->step], sim_exec_value(&sc, e));
        }
        if (!outside) sim_obs_fini(&run.obs);
    }
    sim_compiled_free(&c);
    assert_true(outside);
    sim_result o;
    judge_as_model_run(&sc, &model, &run, &opt, &o);
    bool noted = false;
    for (uint32_t i = 0; i < o.note_count; i++) noted = noted || strstr(o.notes[i], "outside conform's sampled model runs");
    if (o.verdict != SIM_VERDICT_PASS || !noted || o.rt.explain != SIM_EXPLAINED) {
        fail_msg("verdict %d, explain %u, %u failure(s), first: %s", o.verdict, o.rt.explain, o.failure_count,
                 o.failure_count ? o.failures[0].message : "-");
    }
    /* the explaining schedule is the run drawn beside, with every outcome equal */
    const sim_beside *b = &o.beside;
    assert_non_null(b->obs);
    assert_true(b->consistent && !b->closest);
    assert_string_equal(b->own_label, "real");
    assert_string_equal(b->other_label, "model");
    assert_non_null(strstr(o.rt.explain_text, b->how));
    assert_int_equal(b->own_count, run.obs.exec_count);
    for (uint32_t i = 0; i < b->own_count; i++) assert_int_equal(b->own_differs[i], 0);
    for (uint32_t i = 0; i < b->other_count; i++) assert_int_equal(b->other_differs[i], 0);
    sim_result_free(&o);
    sim_obs_fini(&run.obs);
    conf_model_free(&model);
    sim_scenario_free(&sc);
}

/* SIGTERM while agents run (one hangs with a grandchild): everything is killed and reaped. */
/* A real run's success that ends just past its receive timeout is a deadline tie (the reply
 * came as the deadline passed, the send having taken a few µs): the judge calls it
 * timing-sensitive, so that portsim fuzz does not count it as evidence (posix seed 5998). Far
 * past the timeout, the send blocked and no margin is claimed. */
static void test_success_just_past_the_receive_timeout_is_a_tie(void **state)
{
    (void)state;
    static const char text[] =
        "scenario: tie\n"
        "processes:\n"
        "  server:\n"
        "    threads:\n"
        "      main:\n"
        "        - create_local: {port: svc, name: com.portsim.conf-tie, handler: h}\n"
        "        - schedule: svc\n"
        "        - signal: ready\n"
        "        - run_loop: {mode: default, for: 50ms}\n"
        "  client:\n"
        "    threads:\n"
        "      main:\n"
        "        - wait_for: ready\n"
        "        - create_remote: {port: r, name: com.portsim.conf-tie}\n"
        "        - send: {port: r, msgid: 1, send_timeout: 1s, recv_timeout: 9999999ns, reply_mode: default}\n"
        "          expect: receive_timeout\n"
        "handlers:\n"
        "  h: [{work: 10ms}, {reply: echo}]\n";
    sim_diag diag;
    sim_diag_init(&diag, "tie.yaml");
    sim_scenario sc;
    assert_true(sim_load_buffer("tie.yaml", (const uint8_t *)text, sizeof text - 1, &sc, &diag));
    sim_diag_fini(&diag);
    conf_options opt = model_judge_options();
    conf_model model;
    assert_true(conf_model_explore(&sc, &opt, &model));
    sim_compiled c;
    char err[200];
    assert_true(sim_compile(&sc, 0, &c, err, sizeof err));
    int64_t past_ns[2] = {CM_NS_PER_MS / 5, 30 * CM_NS_PER_MS}; /* within the tolerance; far past */
    for (int k = 0; k < 2; k++) {
        conf_run run;
        memset(&run, 0, sizeof run);
        sim_run_options ro = sim_run_options_default();
        assert_true(sim_model_observe(&c, &ro, &run.obs));
        uint32_t at = run.obs.exec_count;
        for (uint32_t i = 0; i < run.obs.exec_count; i++) {
            if (sc.steps[run.obs.execs[i].step].op == CM_OP_SEND) at = i;
        }
        if (at == run.obs.exec_count) fail_msg("no send in the model's run");
        sim_exec *send = &run.obs.execs[at < run.obs.exec_count ? at : 0];
        assert_int_equal(send->value, CM_RECEIVE_TIMEOUT); /* the model's answer */
        send->value = CM_SUCCESS; /* what the host gave */
        send->end_ns = send->start_ns + 9999999 + past_ns[k];
        sim_result o;
        judge_as_model_run(&sc, &model, &run, &opt, &o);
        assert_int_equal(o.verdict, SIM_VERDICT_FAIL);
        bool tie = false;
        for (uint32_t i = 0; i < o.failure_count; i++) {
            const char *seen = o.failures[i].observed ? o.failures[i].observed : "";
            tie = tie || strstr(seen, "; timing-sensitive)") || strstr(seen, "[timing-sensitive]");
        }
        for (uint32_t i = 0; tie != (k == 0) && i < o.failure_count; i++) {
            print_message("failure %u: %s: %s\n", i, o.failures[i].message,
                          o.failures[i].observed ? o.failures[i].observed : "-");
        }
        assert_int_equal(tie, k == 0);
        assert_int_equal(o.rt.timing_failures > 0, k == 0);
        sim_result_free(&o);
        sim_obs_fini(&run.obs);
    }
    sim_compiled_free(&c);
    conf_model_free(&model);
    sim_scenario_free(&sc);
}

static void test_interrupted_run(void **state)
{
    (void)state;
    char agent[512];
    snprintf(agent, sizeof agent, "%s/conf_bad_agent_hang", CONF_BAD_AGENT_DIR);
    fflush(stdout);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        const char *files[] = {CONF_TEST_SCENARIOS "/long.yaml", CONF_TEST_SCENARIOS "/long.yaml"};
        char *text = NULL;
        bool opened = false;
        run_suite(agent, 1.0, files, 2, &text, &opened);
        free(text);
        _exit(conf_interrupted() ? 130 : 0);
    }
    uint32_t seen = 0;
    for (int i = 0; i < 400; i++) { /* until the agent and its grandchild exist */
        DIR *d = opendir(pid_dir);
        seen = 0;
        struct dirent *ent;
        while (d != NULL && (ent = readdir(d)) != NULL) seen += ent->d_name[0] >= '0' && ent->d_name[0] <= '9';
        if (d != NULL) closedir(d);
        if (seen >= 3) break; /* the probe's agent (and maybe its child), and the run's pair */
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    kill(child, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    assert_int_equal(pids_alive(pid_dir, &seen), 0);
    if (seen < 3) print_error("only %u agent processes were seen\n", seen);
    assert_true(seen >= 3);
    assert_int_equal(children_left(), 0);
}


/* ---- agents against hostile input ------------------------------------------------------------- */

/* Writes lines to an agent, reads everything it says until it exits; returns its output. */
static char *talk(const char *agent, const char *const *lines, size_t count, int *status)
{
    conf_child child;
    char err[300];
    char run_dir[] = "/tmp/conf-hostile-XXXXXX";
    assert_non_null(mkdtemp(run_dir));
    char env[400];
    snprintf(env, sizeof env, "CFMP_RUNTIME_DIR=%s", run_dir);
    char *envs[] = {env, NULL};
    assert_true(conf_child_spawn(&child, agent, envs, err, sizeof err));
    int flags = fcntl(child.in_fd, F_GETFL);
    fcntl(child.in_fd, F_SETFL, flags & ~O_NONBLOCK);
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(lines[i]);
        assert_true(write(child.in_fd, lines[i], len) == (ssize_t)len);
    }
    size_t cap = 1 << 20, got = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    int64_t deadline = conf_now_ns() + 20 * CM_NS_PER_S;
    while (conf_now_ns() < deadline && got + 1 < cap) {
        ssize_t n = read(child.out_fd, out + got, cap - 1 - got);
        if (n == 0) break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
        if (n > 0) got += (size_t)n;
        if (n < 0) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    out[got] = '\0';
    int64_t wait_until = conf_now_ns() + 5 * CM_NS_PER_S;
    while (!conf_child_try_reap(&child) && conf_now_ns() < wait_until) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    *status = child.exited ? child.status : -1;
    conf_child_kill(&child);
    rmdir(run_dir);
    return out;
}

static uint32_t count_of(const char *text, const char *what)
{
    uint32_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

static char *long_line(void)
{
    size_t n = ((size_t)1 << 20) + 4096;
    char *line = malloc(n + 2);
    assert_non_null(line);
    memset(line, 'x', n);
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

/* The posix agent rejects every malformed line with an error line and still runs a scenario. */
static void test_posix_agent_rejects_garbage(void **state)
{
    (void)state;
    char *big = long_line();
    const char *lines[] = {
        "{\"type\": \"close\", \"process\": \"app\", \"thread\": \"main\"}\n",
        "{\"type\": \"hello\", \"protocol\": 1, \"runner\": \"t\", \"process\": \"app\", \"time_scale\": 1.0}\n",
        "this is not JSON\n",
        "\xff\xfe\x01\n",
        "[1, 2, 3]\n",
        "{\"type\": \"teleport\"}\n",
        big,
        "{\"type\": \"command\", \"id\": 1, \"process\": \"app\", \"thread\": \"main\", \"step\": {\"ref\": 0, \"op\": \"sleep\"}}\n",
        "{\"type\": \"program\", \"name\": \"h\", \"kind\": \"handler\", \"steps\": [{\"ref\": 1, \"op\": \"warp\"}]}\n",
        "{\"type\": \"process\", \"name\": \"app\", \"threads\": [\"main\"], \"queues\": [], \"modes\": []}\n",
        "{\"type\": \"command\", \"id\": 2, \"process\": \"app\", \"thread\": \"nobody\", \"step\": {\"ref\": 0, \"op\": \"sleep\", \"duration_ns\": 1000}}\n",
        "{\"type\": \"command\", \"id\": 3, \"process\": \"app\", \"thread\": \"main\", \"step\": {\"ref\": 0, \"op\": \"sleep\", \"duration_ns\": 1000000}}\n",
        "{\"type\": \"close\", \"process\": \"app\", \"thread\": \"main\"}\n",
        "{\"type\": \"start\", \"process\": \"app\", \"epoch_ns\": 0, \"at_ns\": 0}\n",
    };
    int status = 0;
    char *out = talk(CONF_AGENT_POSIX, lines, sizeof lines / sizeof lines[0], &status);
    if (count_of(out, "rejected") != 9 || strstr(out, "\"kind\": \"exit\"") == NULL || status != 0) {
        print_error("posix agent said (status %d):\n%s\n", status, out);
        fail();
    }
    assert_non_null(strstr(out, "line 3 rejected: not JSON"));
    assert_non_null(strstr(out, "the first line must be hello"));
    assert_non_null(strstr(out, "invalid UTF-8"));
    assert_non_null(strstr(out, "must be a JSON object"));
    assert_non_null(strstr(out, "unknown message type"));
    assert_non_null(strstr(out, "longer than"));
    assert_non_null(strstr(out, "step 1: unknown"));
    assert_non_null(strstr(out, "unknown process or thread"));
    assert_int_equal(count_of(out, "\"type\": \"call\""), 1); /* the one good command ran */
    free(out);
    free(big);
}

/* Runs of a flake hunt: as asked, or a few under memcheck (CONF_TEST_FEW_RUNS, CMakeLists.txt).
 * There the runner, which relays signals and sends each step, is ~30x slower, so a scenario's
 * real-time windows (a 60 ms run loop that must outlast a relayed signal and the client's next
 * step) are stretched 4x, as conf_posix_corpus's are: same semantics, every duration scaled. */
#ifdef CONF_TEST_FEW_RUNS
#define HUNT_RUNS(n) ((n) < 2 ? (n) : 2u)
#define HUNT_TIME_SCALE 4.0
#else
#define HUNT_RUNS(n) (n)
#define HUNT_TIME_SCALE 1.0
#endif

/* One scenario of conformance/tests/scenarios run `runs` times with the posix agent: every run
 * passes (its "pass NAME" line each time) and no child is left behind. */
static void run_posix_repeatedly(const char *file, const char *name, uint32_t runs)
{
    enum { RUNS_MAX = 20 };
    runs = HUNT_RUNS(runs);
    assert_true(runs >= 1 && runs <= RUNS_MAX);
    const char *files[RUNS_MAX];
    for (uint32_t i = 0; i < runs; i++) files[i] = file;
    char *out = NULL;
    bool opened = false;
    uint32_t failed = run_suite_scaled(CONF_AGENT_POSIX, 1.0, HUNT_TIME_SCALE, files, runs, &out, &opened);
    char want[128];
    snprintf(want, sizeof want, "pass %s", name);
    if (!opened || failed != 0 || count_of(out, want) != runs) {
        print_error("%u of %u runs failed:\n%s\n", failed, runs, out);
        fail();
    }
    free(out);
    assert_int_equal(children_left(), 0);
}

/* A signal raised by a thread whose process ends at once (its main thread was waiting for
 * it) still returns and still reaches the other process: 20 runs with the posix agent. */
static void test_signal_then_exit_relayed(void **state)
{
    (void)state;
    run_posix_repeatedly(CONF_TEST_SCENARIOS "/signal-then-exit.yaml", "conf-test-signal-then-exit", 20);
}

/* wait_for: {ended: P} returns once P's agent is reaped, after a crash step, its main thread's
 * return and a fault: a send to P then fails at once (-4) and IsValid is false. 10 runs. */
static void test_process_ended_relayed(void **state)
{
    (void)state;
    run_posix_repeatedly(CONF_TEST_SCENARIOS "/process-ended.yaml", "conf-test-process-ended", 10);
}

/* Real crashes inside CF calls with the posix agent: libcfmp aborts on R13's NULL names, R38's
 * sends on local ports and R40's NULL callout, the agent reports each as its step's crash, and
 * every scenario passes, twice. (A crash in the agent's own code writes no crash line:
 * agent_crash_test; the runner calls that "died unexpectedly": test_agent_crashes.) */
static void test_posix_crashes_in_cf_calls(void **state)
{
    (void)state;
    run_posix_repeatedly(CONF_TEST_SCENARIOS "/crash-in-call.yaml", "conf-test-crash-in-call", 2);
    run_posix_repeatedly(CONF_CORPUS "/naming/null-name-precondition.yaml", "naming-null-name-precondition", 2);
    run_posix_repeatedly(CONF_CORPUS "/send/two-way-on-local-port-crashes.yaml", "send-two-way-on-local-port-crashes",
                         2);
    run_posix_repeatedly(CONF_CORPUS "/receive/null-callout-crashes.yaml", "receive-null-callout-crashes", 2);
}

/* The model agent too; with a bad source it says so and stops (fatal), with a good one it runs. */
static void test_model_agent_rejects_garbage(void **state)
{
    (void)state;
    const char *lines[] = {
        "{\"type\": \"source\", \"file\": \"x\", \"text\": \"\", \"last\": true}\n", /* before hello */
        "{\"type\": \"hello\", \"protocol\": 1, \"runner\": \"t\", \"process\": null, \"time_scale\": 1.0}\n",
        "{not json\n",
        "{\"type\": \"call\", \"exec\": 1, \"ref\": 0, \"thread\": \"main\", \"t_ns\": 0}\n", /* wrong direction */
        "{\"type\": \"source\", \"file\": \"bad.yaml\", \"text\": \"scenario: [\", \"last\": true}\n",
        "{\"type\": \"start\", \"process\": null, \"epoch_ns\": 0, \"at_ns\": 0}\n",
    };
    int status = 0;
    char *out = talk(CONF_AGENT_MODEL, lines, sizeof lines / sizeof lines[0], &status);
    if (count_of(out, "rejected") != 2 || strstr(out, "the first line must be hello") == NULL ||
        strstr(out, "does not load") == NULL || strstr(out, "\"fatal\": true") == NULL) {
        print_error("model agent said (status %d):\n%s\n", status, out);
        fail();
    }
    free(out);
}

/* ---- the model backend against portsim run ---------------------------------------------------- */

typedef struct verdicts {
    uint32_t compared;
    uint32_t differ;
} verdicts;

static void compare_one(const char *path, const conf_agent_info *info, conf_options *opt, verdicts *v)
{
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_scenario sc;
    if (!sim_load_file(path, &sc, &diag)) {
        sim_diag_fini(&diag);
        return;
    }
    sim_diag_fini(&diag);
    sim_run_options ro = sim_run_options_default();
    sim_result a;
    sim_run_model(&sc, &ro, &a);
    uint8_t verdict_b;
    uint64_t hash_b = 0;
    const char *skip = sim_scenario_skip_reason(&sc, "model", sim_scenario_profile_id(&sc, 0));
    if (skip != NULL) {
        verdict_b = SIM_VERDICT_SKIP;
    } else {
        conf_model model;
        assert_true(conf_model_explore(&sc, opt, &model));
        conf_run run;
        conf_run_scenario(&sc, &model, opt, info, &run);
        sim_result o;
        conf_judge(&sc, &model, &run, opt, info, &o);
        verdict_b = o.verdict;
        hash_b = o.trace_hash;
        assert_true(o.has_trace_hash); /* a world agent reports its hash */
        if (verdict_b != a.verdict) {
            for (uint32_t i = 0; i < o.failure_count; i++) print_message("  conform: %s\n", o.failures[i].message);
        }
        sim_result_free(&o);
        conf_run_free(&run);
        conf_model_free(&model);
    }
    v->compared++;
    if (verdict_b != a.verdict || (verdict_b != SIM_VERDICT_SKIP && hash_b != a.trace_hash)) {
        print_message("%s: portsim run says %s (hash %016llx), conform --backend model %s (hash %016llx)\n", path,
                      sim_verdict_name(a.verdict), (unsigned long long)a.trace_hash, sim_verdict_name(verdict_b),
                      (unsigned long long)hash_b);
        v->differ++;
    }
    sim_result_free(&a);
    sim_scenario_free(&sc);
}

static void compare_dir(const char *dir, const conf_agent_info *info, conf_options *opt, verdicts *v)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        size_t n = strlen(ent->d_name);
        if (S_ISDIR(st.st_mode)) {
            compare_dir(path, info, opt, v);
        } else if (n > 5 && strcmp(ent->d_name + n - 5, ".yaml") == 0) {
            compare_one(path, info, opt, v);
        }
    }
    closedir(d);
}

static void test_model_backend_same_verdicts(void **state)
{
    (void)state;
    conf_options opt;
    conf_options_default(&opt);
    opt.backend = conf_backend_find("model");
    opt.explore = 2; /* the fifo run is always one of the explored ones */
    conf_agent_info info;
    char err[300];
    assert_true(conf_probe_agent(&opt, &info, err, sizeof err));
    assert_true(info.world);
    conf_platform_init();
    verdicts v = {0, 0};
    compare_dir(CONF_CORPUS, &info, &opt, &v);
    compare_dir(CONF_TEST_SCENARIOS, &info, &opt, &v);
    conf_platform_fini();
    print_message("compared %u scenarios: %u differ\n", v.compared, v.differ);
    assert_true(v.compared >= 100);
    assert_int_equal(v.differ, 0);
    assert_int_equal(children_left(), 0);
}

/* ---- expectation files -------------------------------------------------------------------------- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/conf-expect-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_expectation_file_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "backend: posix\nexpectations:\n  - {scenario: x, status: fail}\n",                 /* no reason */
        "backend: posix\nexpectations:\n  - {scenario: x, status: maybe, reason: because of R1}\n",
        "backend: posix\nexpectations:\n  - {status: fail, reason: because of R1}\n",       /* no scenario */
        "backend: posix\nexpectations:\n  - {scenario: x, status: skip, line: 3, reason: because of R1}\n",
        "backend: posix\nexpectations:\n  - {scenario: x, status: fail, line: zero, reason: because of R1}\n",
        "backend: posix\nexpectations:\n  - {scenario: x, status: fail, message: m, reason: because of R1}\n",
        "backend: posix\nexpectations:\n  - {scenario: x, status: fail, reason: because of R1, oops: 1}\n",
        "backend: posix\nexpectations:\n  - {scenario: x, status: fail, rules: [9], reason: because of R1}\n",
        "backend: posix\nsurprise: 1\n",
        "- not a mapping\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = write_temp(bad[i]);
        sim_diag diag;
        sim_diag_init(&diag, path);
        conf_expectations e;
        bool ok = conf_expect_load(path, &e, &diag);
        if (ok) print_error("accepted:\n%s", bad[i]);
        assert_false(ok);
        assert_true(sim_diag_total(&diag) > 0);
        conf_expect_free(&e);
        sim_diag_fini(&diag);
        unlink(path);
        free(path);
    }
}

/* A judged outcome of one-process.yaml with failures at the given lines. */
static void fake_outcome(const sim_scenario *sc, sim_result *o, const uint32_t *lines, uint32_t n)
{
    conf_options opt;
    conf_options_default(&opt);
    opt.backend = conf_backend_find("posix");
    sim_result_init(o);
    conf_result_describe(sc, &opt, NULL, o);
    for (uint32_t i = 0; i < n; i++) {
        sim_result_add_failure(o, SIM_FAIL_EXPECT, lines[i], 3, "create_local result", "created", "null");
    }
    o->verdict = n > 0 ? SIM_VERDICT_FAIL : SIM_VERDICT_PASS;
}

static uint8_t apply(const char *file_text, const sim_scenario *sc, const uint32_t *lines, uint32_t n,
                     uint32_t *failures_left, uint32_t *notes)
{
    char *path = write_temp(file_text);
    sim_diag diag;
    sim_diag_init(&diag, path);
    conf_expectations e;
    assert_true(conf_expect_load(path, &e, &diag));
    sim_diag_fini(&diag);
    sim_result o;
    fake_outcome(sc, &o, lines, n);
    conf_expect_apply(&e, sc, &o);
    assert_true(sim_result_validate(&o));
    uint8_t verdict = o.verdict;
    *failures_left = o.failure_count;
    *notes = o.note_count;
    sim_result_free(&o);
    conf_expect_free(&e);
    unlink(path);
    free(path);
    return verdict;
}

static void test_expectations_change_verdicts(void **state)
{
    (void)state;
    sim_diag diag;
    sim_diag_init(&diag, "one-process.yaml");
    sim_scenario sc;
    assert_true(sim_load_file(CONF_TEST_SCENARIOS "/one-process.yaml", &sc, &diag));
    sim_diag_fini(&diag);
    const char *line_fail = "backend: posix\nexpectations:\n"
                            "  - {scenario: conf-test-one-process, line: 12, status: fail, reason: a known deviation (R62)}\n";
    const char *line_msg = "backend: posix\nexpectations:\n"
                           "  - {scenario: conf-test-one-process, line: 12, message: should_free_info, status: fail, reason: a known deviation (R62)}\n";
    const char *whole_fail = "backend: posix\nexpectations:\n"
                             "  - {scenario: conf-test-one-process, status: fail, reason: a known deviation (R19)}\n";
    const char *whole_int = "backend: posix\nexpectations:\n"
                            "  - {scenario: conf-test-one-process, status: intermittent, reason: a known race (R50)}\n";
    const char *other = "backend: posix\nexpectations:\n"
                        "  - {scenario: another-scenario, status: fail, reason: a known deviation (R19)}\n";
    uint32_t l12[] = {12}, l12_16[] = {12, 16};
    uint32_t left = 0, notes = 0;
    /* A line entry turns its failures into notes... */
    assert_int_equal(apply(line_fail, &sc, l12, 1, &left, &notes), SIM_VERDICT_PASS);
    assert_int_equal(left, 0);
    assert_int_equal(notes, 1);
    /* ...but not failures at other lines. */
    assert_int_equal(apply(line_fail, &sc, l12_16, 2, &left, &notes), SIM_VERDICT_FAIL);
    assert_int_equal(left, 1);
    /* An expected failure that did not happen is a failure (a stale entry). */
    assert_int_equal(apply(line_fail, &sc, NULL, 0, &left, &notes), SIM_VERDICT_FAIL);
    /* message narrows a line entry: another failure at that line still counts. */
    assert_int_equal(apply(line_msg, &sc, l12, 1, &left, &notes), SIM_VERDICT_FAIL);
    /* A whole-scenario fail: failing is an expected failure (skip with the reason)... */
    assert_int_equal(apply(whole_fail, &sc, l12_16, 2, &left, &notes), SIM_VERDICT_SKIP);
    assert_int_equal(left, 2);
    /* ...and passing is a failure. */
    assert_int_equal(apply(whole_fail, &sc, NULL, 0, &left, &notes), SIM_VERDICT_FAIL);
    /* Intermittent: either way is fine. */
    assert_int_equal(apply(whole_int, &sc, l12, 1, &left, &notes), SIM_VERDICT_SKIP);
    assert_int_equal(apply(whole_int, &sc, NULL, 0, &left, &notes), SIM_VERDICT_PASS);
    /* Entries for other scenarios change nothing. */
    assert_int_equal(apply(other, &sc, l12, 1, &left, &notes), SIM_VERDICT_FAIL);
    assert_int_equal(apply(other, &sc, NULL, 0, &left, &notes), SIM_VERDICT_PASS);
    sim_scenario_free(&sc);
}

/* The real expectation file of the posix backend loads and cites a rule in every entry. */
static void test_posix_expectations_load(void **state)
{
    (void)state;
    sim_diag diag;
    sim_diag_init(&diag, CONF_EXPECT_FILE);
    conf_expectations e;
    bool ok = conf_expect_load(CONF_EXPECT_FILE, &e, &diag);
    if (!ok) sim_diag_print(&diag, stderr);
    assert_true(ok);
    assert_true(e.count > 0);
    for (uint32_t i = 0; i < e.count; i++) assert_true(e.entries[i].rule_count > 0);
    conf_expect_free(&e);
    sim_diag_fini(&diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_agent_crashes, make_pid_dir, remove_pid_dir),
        cmocka_unit_test_setup_teardown(test_agent_exits_early, make_pid_dir, remove_pid_dir),
        cmocka_unit_test_setup_teardown(test_agent_hangs, make_pid_dir, remove_pid_dir),
        cmocka_unit_test_setup_teardown(test_agent_prints_garbage, make_pid_dir, remove_pid_dir),
        cmocka_unit_test_setup_teardown(test_agent_sends_overlong_line, make_pid_dir, remove_pid_dir),
        cmocka_unit_test_setup_teardown(test_agent_crash_line_for_no_call, make_pid_dir, remove_pid_dir),
        cmocka_unit_test(test_agent_crashes_in_cf_call),
        cmocka_unit_test_setup_teardown(test_agent_silent, make_pid_dir, remove_pid_dir),
        cmocka_unit_test(test_joint_check_refutes_a_sampled_set),
        cmocka_unit_test(test_success_just_past_the_receive_timeout_is_a_tie),
        cmocka_unit_test_setup_teardown(test_interrupted_run, make_pid_dir, remove_pid_dir),
        cmocka_unit_test(test_posix_agent_rejects_garbage),
        cmocka_unit_test(test_signal_then_exit_relayed),
        cmocka_unit_test(test_process_ended_relayed),
        cmocka_unit_test(test_posix_crashes_in_cf_calls),
        cmocka_unit_test(test_model_agent_rejects_garbage),
        cmocka_unit_test(test_model_backend_same_verdicts),
        cmocka_unit_test(test_expectation_file_errors),
        cmocka_unit_test(test_expectations_change_verdicts),
        cmocka_unit_test(test_posix_expectations_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
