/*
 * cli_conform.c — `portsim conform` (the scenarios against a real
 * implementation, conformance/conf_suite.h) and `portsim mutants` (the
 * corpus against libcfmp's mutants: every mutant must be killed).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "conf_suite.h"

/* conf_options from the command line; -1 to go on, or an exit code. */
int cli_conform_options(cli_ctx *c, bool mutants, conf_options *o)
{
    const cli_args *a = &c->a;
    conf_options_default(o);
    if (mutants) {
        o->backend = conf_backend_find("posix");
    } else if ((a->backend != NULL) == (a->agent != NULL)) {
        return cli_usage_error(c, "give exactly one of --backend NAME and --agent PATH", NULL);
    } else if (a->agent != NULL) {
        o->backend = &conf_backend_agent;
        snprintf(o->agent_path, sizeof o->agent_path, "%s", a->agent);
    } else if ((o->backend = conf_backend_find(a->backend)) == NULL) {
        return cli_usage_error(c, "unknown backend (model, posix or apple):", a->backend);
    }
    o->time_scale = a->time_scale;
    o->tol_abs_ns = (int64_t)(a->tolerance_ms * 1e6);
    o->tol_rel = a->tolerance_pct / 100.0;
    o->repeat = a->repeat;
    if (a->explore_given) o->explore = a->explore;
    o->max_latency_ns = a->max_latency_ns;
    o->profile = a->profile;
    o->seed = a->seed;
    o->expect_path = a->expect;
    o->no_expect = a->no_expect;
    o->max_duration_ns = (int64_t)(a->max_duration_s * 1e9);
    o->timeout_multiplier = a->timeout_multiplier;
    o->verbose = a->verbose;
    o->keep_obs = a->html != NULL || a->json != NULL; /* the HTML diagrams; the JSON observation (explain) */
    if (a->protocol_log != NULL && (o->protocol_log = fopen(a->protocol_log, "w")) == NULL) {
        fprintf(c->err, "portsim: %s: cannot write\n", a->protocol_log);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

void cli_print_agent(cli_ctx *c, const conf_agent_info *info, const char *backend)
{
    fprintf(c->out, "backend %s: %s %s (%s clock%s); capabilities:", backend, info->implementation, info->version,
            info->clock == CONF_CLOCK_HOST ? "host" : info->clock == CONF_CLOCK_VIRTUAL ? "virtual" : "local",
            info->world ? ", world agent" : "");
    bool any = false;
    for (uint32_t bit = 1; bit <= CONF_CAPF_SANDBOX; bit <<= 1) {
        if (info->caps & bit) {
            fprintf(c->out, " %s", conf_cap_name(bit));
            any = true;
        }
    }
    fprintf(c->out, "%s\n", any ? "" : " none");
}

static bool bad(const sim_result *r)
{
    return r->verdict == SIM_VERDICT_FAIL || r->verdict == SIM_VERDICT_ERROR;
}

typedef struct suite_run {
    cli_ctx *c;
    conf_suite *s;
    const cli_files *files;
    sim_result *results;
    const bool *usable;   /* mutants: only these files, or NULL for all */
    bool print;
    bool first_kill;      /* mutants --first-kill: stop starting files once one confirmed a kill */
    uint32_t kills;       /* mutants: confirmed, in file order */
    atomic_bool killed;   /* some confirmed kill (read by workers) */
    bool *ran;            /* [file] */
    bool *confirmed;      /* [file] mutants: failed twice */
} suite_run;

/* One file on the suite (a worker thread); mutants run a failing one again to confirm it. */
static void run_task(void *ctx, uint32_t i)
{
    suite_run *x = ctx;
    sim_result_init(&x->results[i]);
    if (conf_interrupted() || (x->usable != NULL && !x->usable[i]) || (x->first_kill && atomic_load(&x->killed))) return;
    sim_result_free(&x->results[i]);
    conf_suite_run_file(x->s, x->files->items[i], &x->results[i]);
    x->ran[i] = true;
    if (x->usable != NULL && bad(&x->results[i])) {
        sim_result again;
        conf_suite_run_file(x->s, x->files->items[i], &again);
        x->confirmed[i] = bad(&again);
        if (x->confirmed[i]) atomic_store(&x->killed, true);
        sim_result_free(&again);
    }
}

/* One file's result, on the calling thread, in file order. */
static void run_done(void *ctx, uint32_t i)
{
    suite_run *x = ctx;
    const sim_result *r = &x->results[i];
    if (!x->ran[i]) {
        if (x->usable == NULL && r->file == NULL) { /* conform: never silently missing */
            sim_result *w = &x->results[i];
            w->file = sim_strdup(x->files->items[i]);
            w->verdict = SIM_VERDICT_SKIP;
            w->skip_reason = sim_strdup("interrupted before it ran");
        }
        return;
    }
    if (x->print) {
        rep_terminal term = cli_terminal(x->c);
        rep_terminal_result(&term, r);
    }
    if (x->usable != NULL && bad(r)) {
        x->kills += x->confirmed[i];
        fprintf(x->c->out, "    %s %s (%s:%u: %s)\n", x->confirmed[i] ? "killed by" : "one failure (not reproduced) in",
                r->scenario ? r->scenario : x->files->items[i], r->file, r->failure_count ? r->failures[0].line : 0,
                r->failure_count ? r->failures[0].message : "?");
    }
}

typedef struct file_cost {
    int64_t cost_ns;
    uint32_t index;
} file_cost;

static int by_cost_desc(const void *a, const void *b)
{
    const file_cost *x = a, *y = b;
    if (x->cost_ns != y->cost_ns) return x->cost_ns > y->cost_ns ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* What starting a process's agent costs, beside the scenario's own time (measured: 10-20 ms). */
#define CONF_AGENT_START_COST_NS (15 * CM_NS_PER_MS)

/*
 * The order to start files in with -j: longest first, by the model's end time (one fifo run,
 * microseconds per scenario) plus the start of each process's agent. Started in file order, a
 * run can end with one long scenario alone on one thread; longest first ends it with short ones
 * on every thread. Results are still printed in file order. NULL (file order) with -j 1.
 */
typedef struct cost_run {
    const cli_files *files;
    file_cost *costs;
} cost_run;

/* One file's cost (a worker thread: touches only its own slot). */
static void cost_task(void *ctx, uint32_t i)
{
    cost_run *x = ctx;
    x->costs[i] = (file_cost){.cost_ns = 0, .index = i};
    sim_scenario sc;
    sim_diag diag;
    sim_diag_init(&diag, x->files->items[i]);
    if (sim_load_file(x->files->items[i], &sc, &diag)) {
        sim_run_options opt = sim_run_options_default();
        sim_result res;
        sim_result_init(&res);
        sim_run_model(&sc, &opt, &res);
        x->costs[i].cost_ns = res.virtual_time_ns + (int64_t)sc.process_count * CONF_AGENT_START_COST_NS;
        sim_result_free(&res);
        sim_scenario_free(&sc);
    }
    sim_diag_fini(&diag);
}

static void cost_done(void *ctx, uint32_t i)
{
    (void)ctx;
    (void)i;
}

static uint32_t *longest_first(cli_ctx *c, const cli_files *files)
{
    uint32_t n = files->count;
    if (c->a.jobs <= 1 || n <= c->a.jobs) return NULL;
    file_cost *costs = calloc(n, sizeof *costs);
    uint32_t *order = calloc(n, sizeof *order);
    if (costs == NULL || order == NULL) {
        free(costs);
        free(order);
        return NULL;
    }
    cost_run x = {.files = files, .costs = costs};
    cli_parallel(n, c->a.jobs, NULL, cost_task, cost_done, &x); /* on -j threads too: not serial */
    qsort(costs, n, sizeof *costs, by_cost_desc);
    for (uint32_t k = 0; k < n; k++) order[k] = costs[k].index;
    free(costs);
    return order;
}

/* Every file on the open suite, -j at a time, results handed back in file order. Longest first
 * (the run ends soonest), except when a mutant stops at its first kill: there the files go in
 * their order, and the short ones that kill most mutants come early. */
static void run_all(suite_run *x)
{
    uint32_t n = x->files->count;
    x->ran = calloc((size_t)n + 1, sizeof *x->ran);
    x->confirmed = calloc((size_t)n + 1, sizeof *x->confirmed);
    uint32_t *order = x->first_kill ? NULL : longest_first(x->c, x->files);
    if (x->ran != NULL && x->confirmed != NULL) cli_parallel(n, x->c->a.jobs, order, run_task, run_done, x);
    free(order);
    free(x->ran);
    free(x->confirmed);
    x->ran = x->confirmed = NULL;
}

/* With --verbose: intermittent entries of the expectation file that matched nothing. */
static void unmatched_notes(cli_ctx *c, const conf_suite *s)
{
    for (uint32_t i = 0; c->a.verbose && s->have_expect && i < s->expect.count; i++) {
        const conf_expect_entry *e = &s->expect.entries[i];
        if (e->hits == 0 && e->runs > 0 && e->status == CONF_EXPECT_INTERMITTENT) {
            fprintf(c->out, "note: %s:%u (%s) did not match a failure in this run\n", s->expect.path, e->src_line,
                    e->scenario);
        }
    }
}

int cli_open_suite(cli_ctx *c, conf_suite *s, const conf_options *o)
{
    char err[600];
    if (conf_suite_open(s, o, c->err, err, sizeof err)) return -1;
    fprintf(c->err, "portsim: backend %s: %s\n", o->backend->name, err);
    return CLI_EXIT_USAGE;
}

int cli_cmd_conform(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "conform needs at least one PATH", NULL);
    conf_options o;
    int code = cli_conform_options(c, false, &o);
    if (code < 0) code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    conf_suite s;
    if (code < 0) code = cli_open_suite(c, &s, &o);
    if (code >= 0) {
        if (o.protocol_log != NULL) fclose(o.protocol_log);
        cli_files_free(&files);
        return code;
    }
    cli_print_agent(c, &s.info, o.backend->name);
    sim_result *results = calloc((size_t)files.count + 1, sizeof *results);
    if (results == NULL) {
        code = CLI_EXIT_USAGE;
    } else {
        suite_run x = {.c = c, .s = &s, .files = &files, .results = results, .print = true};
        run_all(&x);
        unmatched_notes(c, &s);
        code = cli_finish(c, results, files.count);
        sim_allowed_plan model = conf_model_plan(&o);
        sim_run_info info = {.command = "conform", .version = PORTSIM_VERSION, .seed = o.seed, .model = &model,
                             .strategy = "real-time", .profile = o.profile ? cm_profile_name(o.profile) : NULL,
                             .backend = o.backend->name};
        int written = cli_write_reports(c, &info, results, files.count);
        if (written >= 0) code = written;
        if (conf_interrupted()) code = CLI_EXIT_INTERRUPTED;
        for (uint32_t i = 0; i < files.count; i++) sim_result_free(&results[i]);
    }
    free(results);
    conf_suite_close(&s);
    if (o.protocol_log != NULL) fclose(o.protocol_log);
    cli_files_free(&files);
    return code;
}

/* One mutant against every scenario that passes on the baseline; true when some kill repeats. */
static bool run_mutant(cli_ctx *c, conf_suite *s, const cli_files *files, const bool *usable, sim_result *results,
                       const conf_mutant *m)
{
    suite_run x = {.c = c, .s = s, .files = files, .results = results, .usable = usable,
                   .first_kill = c->a.first_kill};
    run_all(&x);
    for (uint32_t i = 0; i < files->count; i++) sim_result_free(&results[i]);
    if (x.kills == 0) fprintf(c->out, "    SURVIVED: no scenario kills %s\n", m->name);
    fflush(c->out);
    return x.kills > 0;
}

int cli_cmd_mutants(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "mutants needs at least one PATH", NULL);
    conf_options o;
    int code = cli_conform_options(c, true, &o);
    if (code < 0) code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    conf_suite s;
    if (code < 0) code = cli_open_suite(c, &s, &o);
    if (code >= 0) {
        if (o.protocol_log != NULL) fclose(o.protocol_log);
        cli_files_free(&files);
        return code;
    }
    sim_result *results = calloc((size_t)files.count + 1, sizeof *results);
    bool *usable = calloc((size_t)files.count + 1, sizeof *usable);
    uint32_t killed = 0, tested = 0, n = conf_mutant_count();
    if (results == NULL || usable == NULL) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    /* The unmutated agent first: a scenario that fails there kills nothing. */
    fprintf(c->out, "baseline (libcfmp, no mutant):\n");
    suite_run base = {.c = c, .s = &s, .files = &files, .results = results};
    run_all(&base);
    uint32_t passing = 0;
    for (uint32_t i = 0; i < files.count; i++) {
        usable[i] = results[i].verdict == SIM_VERDICT_PASS;
        passing += usable[i];
        if (bad(&results[i])) fprintf(c->out, "  baseline fails %s: it cannot kill mutants\n", files.items[i]);
        sim_result_free(&results[i]);
    }
    fprintf(c->out, "  %u of %u scenarios pass on the baseline\n", passing, files.count);
    char found[4096];
    const char *dir = c->a.agents_dir != NULL ? c->a.agents_dir : conf_mutant_dir(found, sizeof found);
    for (uint32_t k = 0; k < n && !conf_interrupted(); k++) {
        const conf_mutant *m = conf_mutant_get(k);
        char path[4096], err[600];
        snprintf(path, sizeof path, "%s/portsim_agent_posix_m%d", dir, m->id);
        if (!conf_suite_use_agent(&s, path, err, sizeof err)) {
            fprintf(c->out, "M%-2d %-28s (%s)  NOT BUILT: %s\n", m->id, m->name, m->rule, err);
            continue;
        }
        tested++;
        fprintf(c->out, "M%-2d %-28s (%s) %s\n", m->id, m->name, m->rule, m->about);
        killed += run_mutant(c, &s, &files, usable, results, m);
    }
    fprintf(c->out, "kill rate: %u of %u mutants killed (%.1f%%)\n", killed, tested,
            tested ? 100.0 * killed / tested : 0.0);
    code = conf_interrupted() ? CLI_EXIT_INTERRUPTED
                              : (killed == tested && tested == n ? CLI_EXIT_OK : CLI_EXIT_FAILED);
done:
    free(results);
    free(usable);
    conf_suite_close(&s);
    if (o.protocol_log != NULL) fclose(o.protocol_log);
    cli_files_free(&files);
    return code;
}
