/* conf_suite.c — see conf_suite.h. */
#define _POSIX_C_SOURCE 200809L
#include "conf_suite.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfmp_mutants.h"
#include "sim_load.h"

/* Failing runs the host disturbed are made again, at most this many times per scenario. */
#define MAX_DISTURBED_RETRIES 2u

#ifndef CONF_EXPECT_DIR
#define CONF_EXPECT_DIR ""
#endif
#ifndef CONF_MUTANT_DIR
#define CONF_MUTANT_DIR ""
#endif
#ifndef CONF_BIN_TO_DATA
#define CONF_BIN_TO_DATA "../share/portsim"
#endif
#ifndef CONF_BIN_TO_LIBEXEC
#define CONF_BIN_TO_LIBEXEC "../libexec/portsim"
#endif

/* An installed portsim's folder (PREFIX/share/portsim/...), else the build's. */
static const char *installed_or(const char *rel, char *buf, size_t cap, const char *built)
{
    return conf_installed_path(rel, "", buf, cap) ? buf : built;
}

/* An open suite: valid options, the agent's hello, somewhere to print load errors. */
static bool suite_validate(const conf_suite *s)
{
    if (s == NULL || s->diag == NULL) return false;
    if (!conf_options_validate(&s->opt) || !conf_agent_info_validate(&s->info)) return false;
    return !s->have_expect || s->expect.path != NULL;
}

/* The backend's expectation file: --expect, else $PORTSIM_EXPECT_DIR, the installed ones or
 * this source tree's. */
static bool load_expectations(conf_suite *s, char *err, size_t cap)
{
    assert(s != NULL && !s->have_expect);
    assert(err != NULL && cap > 0);
    const conf_options *opt = &s->opt;
    if (opt->no_expect) return true;
    char path[4096];
    if (opt->expect_path != NULL) {
        snprintf(path, sizeof path, "%s", opt->expect_path);
    } else {
        char installed[2048];
        const char *dir = getenv("PORTSIM_EXPECT_DIR");
        if (dir == NULL || dir[0] == '\0') {
            dir = installed_or(CONF_BIN_TO_DATA "/expect", installed, sizeof installed, CONF_EXPECT_DIR);
        }
        if (dir[0] == '\0' || opt->backend == &conf_backend_agent) return true;
        int n = snprintf(path, sizeof path, "%s/%s.yaml", dir, opt->backend->name);
        if (n < 0 || (size_t)n >= sizeof path || access(path, R_OK) != 0) return true;
    }
    sim_diag diag;
    sim_diag_init(&diag, path);
    bool ok = conf_expect_load(path, &s->expect, &diag);
    if (!ok) {
        sim_diag_sort(&diag);
        sim_diag_print(&diag, s->diag);
        conf_expect_free(&s->expect);
        snprintf(err, cap, "the expectation file %s does not load", path);
    }
    sim_diag_fini(&diag);
    s->have_expect = ok;
    return ok;
}

bool conf_suite_open(conf_suite *s, const conf_options *opt, FILE *diag, char *err, size_t cap)
{
    assert(s != NULL && diag != NULL && err != NULL);
    assert(conf_options_validate(opt));
    memset(s, 0, sizeof *s);
    s->opt = *opt;
    s->diag = diag;
    pthread_mutex_init(&s->lock, NULL);
    conf_platform_init();
    conf_signals_install();
    if (!conf_probe_agent(&s->opt, &s->info, err, cap) || !load_expectations(s, err, cap)) {
        conf_signals_restore();
        conf_platform_fini();
        pthread_mutex_destroy(&s->lock);
        return false;
    }
    assert(suite_validate(s)); /* exit: probed, expectations loaded */
    return true;
}

bool conf_suite_use_agent(conf_suite *s, const char *path, char *err, size_t cap)
{
    assert(s != NULL && path != NULL);
    assert(suite_validate(s));
    s->opt.backend = &conf_backend_agent;
    snprintf(s->opt.agent_path, sizeof s->opt.agent_path, "%s", path);
    return conf_probe_agent(&s->opt, &s->info, err, cap);
}

void conf_suite_close(conf_suite *s)
{
    assert(s != NULL);
    assert(s->diag != NULL); /* opened */
    if (s->have_expect) conf_expect_free(&s->expect);
    conf_signals_restore();
    conf_platform_fini();
    pthread_mutex_destroy(&s->lock);
    memset(s, 0, sizeof *s);
}

static void skip_result(const conf_suite *s, const sim_scenario *sc, sim_result *r, const char *reason)
{
    assert(suite_validate(s));
    assert(sc != NULL && r != NULL && reason != NULL);
    conf_result_describe(sc, &s->opt, &s->info, r);
    r->verdict = SIM_VERDICT_SKIP;
    r->skip_reason = sim_strdup(reason);
    assert(r->failure_count == 0); /* a skip has a reason, no failures */
}

static void error_result(const conf_suite *s, const sim_scenario *sc, sim_result *r, const char *message)
{
    assert(suite_validate(s));
    assert(sc != NULL && r != NULL && message != NULL);
    conf_result_describe(sc, &s->opt, &s->info, r);
    sim_result_add_failure(r, SIM_FAIL_RUN, sc->loc.line ? sc->loc.line : 1, 1, message, NULL, NULL);
    r->verdict = SIM_VERDICT_ERROR;
}

/* Why a scenario does not run here, or NULL. */
static const char *skip_reason(const conf_suite *s, const sim_scenario *sc, char *buf, size_t cap)
{
    assert(suite_validate(s));
    assert(sc != NULL && buf != NULL && cap > 0);
    const conf_options *opt = &s->opt;
    const char *backend = opt->backend->name;
    const char *reason = sim_scenario_skip_reason(sc, backend, sim_scenario_profile_id(sc, opt->profile));
    if (reason != NULL) return reason;
    const conf_expect_entry *e = s->have_expect ? conf_expect_skip(&s->expect, sc) : NULL;
    if (e != NULL) {
        snprintf(buf, cap, "skipped on %s by %s:%u: %s", backend, s->expect.path, e->src_line, e->reason);
        return buf;
    }
    uint32_t missing = conf_scenario_needs(sc) & ~s->info.caps;
    if (!s->info.world && missing != 0) {
        uint32_t bit = missing & (~missing + 1);
        snprintf(buf, cap, "needs capability '%s', which %s %s does not have", conf_cap_name(bit),
                 s->info.implementation, s->info.version);
        return buf;
    }
    return NULL;
}

/* Some but not all of the runs failed: a failure of its own, whatever the kept run says. */
static void aggregate_flaky(const sim_scenario *sc, sim_result *r)
{
    assert(sc != NULL && r != NULL);
    assert(r->rt.failed_runs <= r->rt.runs);
    const sim_realtime *rt = &r->rt;
    if (rt->failed_runs == 0 || rt->failed_runs == rt->runs) return;
    char text[160];
    snprintf(text, sizeof text, "flaky: failed %u of %u runs (the failures above are from a failing run)",
             rt->failed_runs, rt->runs);
    sim_result_add_failure(r, SIM_FAIL_RUN, sc->loc.line ? sc->loc.line : 1, 1, text, NULL, NULL);
    r->verdict = SIM_VERDICT_FAIL;
}

/* For the HTML report's sequence diagrams: the run's observation and the actors' names. */
static void keep_obs(const sim_scenario *sc, conf_run *run, sim_result *res)
{
    assert(sc != NULL && run != NULL);
    assert(res != NULL && res->obs == NULL); /* kept once, from the kept run */
    res->obs = malloc(sizeof *res->obs);
    res->process_names = calloc((size_t)sc->process_count + 1, sizeof *res->process_names);
    res->thread_names = calloc((size_t)sc->process_count + 1, sizeof *res->thread_names);
    res->thread_counts = calloc((size_t)sc->process_count + 1, sizeof *res->thread_counts);
    if (res->obs == NULL || res->process_names == NULL || res->thread_names == NULL || res->thread_counts == NULL) {
        free(res->obs);
        res->obs = NULL;
        return;
    }
    *res->obs = run->obs; /* moved */
    sim_obs_init(&run->obs);
    res->process_count = sc->process_count;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        const sim_process *proc = &sc->processes[p];
        res->process_names[p] = sim_strdup(proc->name);
        res->thread_names[p] = calloc((size_t)proc->thread_count + 1, sizeof *res->thread_names[p]);
        if (res->thread_names[p] == NULL) continue;
        res->thread_counts[p] = proc->thread_count;
        for (uint32_t t = 0; t < proc->thread_count; t++) res->thread_names[p][t] = sim_strdup(proc->threads[t].name);
    }
}

static bool bad(const sim_result *r)
{
    return r->verdict == SIM_VERDICT_FAIL || r->verdict == SIM_VERDICT_ERROR;
}

/* --repeat runs of a scenario the model explored: the first failing run is kept, else the last. */
static void repeat_runs(conf_suite *s, const sim_scenario *sc, const conf_model *model, sim_result *out)
{
    assert(suite_validate(s));
    assert(sc != NULL && out != NULL);
    assert(conf_model_validate(model, sc));
    bool have = false;
    uint32_t retries = 0, runs = 0, failed_runs = 0;
    for (uint32_t r = 0; r < s->opt.repeat; r++) {
        conf_run run;
        conf_run_scenario(sc, model, &s->opt, &s->info, &run);
        sim_result o;
        conf_judge(sc, model, &run, &s->opt, &s->info, &o);
        if (s->have_expect) {
            pthread_mutex_lock(&s->lock);
            conf_expect_apply(&s->expect, sc, &o);
            pthread_mutex_unlock(&s->lock);
        }
        if (bad(&o) && run.disturbed && !run.interrupted && retries < MAX_DISTURBED_RETRIES) {
            /* A failure in a run the host disturbed (a process began late) measures the load,
             * not the backend: that run is discarded and made again, and says so. */
            retries++;
            r--;
            sim_result_free(&o);
            conf_run_free(&run);
            continue;
        }
        if (retries > 0) {
            char text[200];
            snprintf(text, sizeof text, "%u earlier run(s) failed while the host was busy (a process began late) "
                     "and were made again", retries);
            sim_result_add_host_note(&o, text);
        }
        if (s->opt.keep_obs) keep_obs(sc, &run, &o);
        runs++;
        failed_runs += bad(&o);
        if (!have || (bad(&o) && failed_runs == 1)) {
            if (have) sim_result_free(out);
            *out = o;
            have = true;
        } else {
            sim_result_free(&o);
        }
        int interrupted = run.interrupted;
        conf_run_free(&run);
        if (interrupted) break;
    }
    assert(have);
    assert(runs >= 1 && failed_runs <= runs);
    out->rt.runs = runs;
    out->rt.failed_runs = failed_runs;
    aggregate_flaky(sc, out);
}

static void run_scenario(conf_suite *s, const sim_scenario *sc, sim_result *out)
{
    assert(suite_validate(s));
    assert(sc != NULL && out != NULL);
    char buf[512];
    const char *why = skip_reason(s, sc, buf, sizeof buf);
    if (why != NULL) {
        skip_result(s, sc, out, why);
        return;
    }
    conf_model model;
    if (!conf_model_explore(sc, &s->opt, &model)) {
        error_result(s, sc, out, model.error);
        conf_model_free(&model);
        return;
    }
    double real_s = (double)model.end_ns * s->opt.time_scale / 1e9;
    if (!s->info.world && real_s * 1e9 > (double)s->opt.max_duration_ns) {
        snprintf(buf, sizeof buf, "would take %.1f s of real time (over --max-duration); use --time-scale", real_s);
        skip_result(s, sc, out, buf);
    } else {
        sim_result_free(out);
        repeat_runs(s, sc, &model, out);
    }
    conf_model_free(&model);
}

void conf_suite_run_file(conf_suite *s, const char *path, sim_result *out)
{
    assert(s != NULL && path != NULL && out != NULL);
    assert(suite_validate(s));
    sim_result_init(out);
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_scenario sc;
    if (!sim_load_file(path, &sc, &diag)) {
        sim_diag_sort(&diag);
        pthread_mutex_lock(&s->lock);
        fflush(NULL); /* earlier results first: the errors belong to this file */
        sim_diag_print(&diag, s->diag);
        fflush(s->diag);
        pthread_mutex_unlock(&s->lock);
        sim_result_free(out);
        sim_result_from_diag(&diag, out);
        out->backend = s->opt.backend->name;
        sim_diag_fini(&diag);
        return;
    }
    sim_diag_fini(&diag);
    run_scenario(s, &sc, out);
    sim_scenario_free(&sc);
    assert(sim_result_validate(out));
}

void conf_suite_run_scenario(conf_suite *s, const sim_scenario *sc, sim_result *out)
{
    assert(s != NULL && sc != NULL && out != NULL);
    assert(suite_validate(s));
    sim_result_init(out);
    run_scenario(s, sc, out);
    assert(sim_result_validate(out));
}

#define MUTANT_ROW(id, name, rule, about) {id, #name, rule, about},
static const conf_mutant mutants[] = {CFMP_MUTANT_LIST(MUTANT_ROW)};
#undef MUTANT_ROW

uint32_t conf_mutant_count(void)
{
    return (uint32_t)(sizeof mutants / sizeof mutants[0]);
}

const conf_mutant *conf_mutant_get(uint32_t index)
{
    assert(index < conf_mutant_count());
    return &mutants[index];
}

const char *conf_mutant_dir(char *buf, size_t cap)
{
    return installed_or(CONF_BIN_TO_LIBEXEC "/mutants", buf, cap, CONF_MUTANT_DIR);
}
