/*
 * cli_conform.c — `portsim conform` (the scenarios against a real
 * implementation, conformance/conf_suite.h) and `portsim mutants` (the
 * corpus against libcfmp's mutants: every mutant must be killed).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "conf_suite.h"

/* conf_options from the command line; -1 to go on, or an exit code. */
static int conform_options(cli_ctx *c, bool mutants, conf_options *o)
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
    o->max_latency_ns = (int64_t)(a->max_latency_ms * 1e6);
    o->profile = a->profile;
    o->seed = a->seed;
    o->expect_path = a->expect;
    o->no_expect = a->no_expect;
    o->max_duration_ns = (int64_t)(a->max_duration_s * 1e9);
    o->timeout_multiplier = a->timeout_multiplier;
    o->verbose = a->verbose;
    o->keep_obs = a->html != NULL;
    if (a->protocol_log != NULL && (o->protocol_log = fopen(a->protocol_log, "w")) == NULL) {
        fprintf(c->err, "portsim: %s: cannot write\n", a->protocol_log);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

static void print_agent(cli_ctx *c, const conf_agent_info *info, const char *backend)
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

/* Every file on the open suite, each result printed as it comes (when print). */
static void run_all(cli_ctx *c, conf_suite *s, const cli_files *files, sim_result *results, bool print)
{
    rep_terminal term = cli_terminal(c);
    for (uint32_t i = 0; i < files->count; i++) {
        if (conf_interrupted()) {
            sim_result_init(&results[i]); /* not run: still a result to free */
            results[i].file = sim_strdup(files->items[i]);
            results[i].verdict = SIM_VERDICT_SKIP;
            results[i].skip_reason = sim_strdup("interrupted before it ran");
            continue;
        }
        conf_suite_run_file(s, files->items[i], &results[i]);
        if (print) rep_terminal_result(&term, &results[i]);
    }
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

static int open_suite(cli_ctx *c, conf_suite *s, const conf_options *o)
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
    int code = conform_options(c, false, &o);
    if (code < 0) code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    conf_suite s;
    if (code < 0) code = open_suite(c, &s, &o);
    if (code >= 0) {
        if (o.protocol_log != NULL) fclose(o.protocol_log);
        cli_files_free(&files);
        return code;
    }
    print_agent(c, &s.info, o.backend->name);
    sim_result *results = calloc((size_t)files.count + 1, sizeof *results);
    if (results == NULL) {
        code = CLI_EXIT_USAGE;
    } else {
        run_all(c, &s, &files, results, true);
        unmatched_notes(c, &s);
        code = cli_finish(c, results, files.count);
        sim_run_info info = {.command = "conform", .version = PORTSIM_VERSION, .seed = o.seed,
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
static bool run_mutant(cli_ctx *c, conf_suite *s, const cli_files *files, const bool *usable, const conf_mutant *m)
{
    uint32_t kills = 0;
    for (uint32_t i = 0; i < files->count && !conf_interrupted(); i++) {
        if (!usable[i]) continue;
        sim_result r;
        conf_suite_run_file(s, files->items[i], &r);
        if (bad(&r)) {
            /* A kill must reproduce: the scenario runs once more on the same mutant. */
            sim_result again;
            conf_suite_run_file(s, files->items[i], &again);
            bool confirmed = bad(&again);
            sim_result_free(&again);
            kills += confirmed;
            fprintf(c->out, "    %s %s (%s:%u: %s)\n", confirmed ? "killed by" : "one failure (not reproduced) in",
                    r.scenario ? r.scenario : files->items[i], r.file, r.failure_count ? r.failures[0].line : 0,
                    r.failure_count ? r.failures[0].message : "?");
        }
        sim_result_free(&r);
        if (kills > 0 && c->a.first_kill) break;
    }
    if (kills == 0) fprintf(c->out, "    SURVIVED: no scenario kills %s\n", m->name);
    fflush(c->out);
    return kills > 0;
}

int cli_cmd_mutants(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "mutants needs at least one PATH", NULL);
    conf_options o;
    int code = conform_options(c, true, &o);
    if (code < 0) code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    conf_suite s;
    if (code < 0) code = open_suite(c, &s, &o);
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
    run_all(c, &s, &files, results, false);
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
        killed += run_mutant(c, &s, &files, usable, m);
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
