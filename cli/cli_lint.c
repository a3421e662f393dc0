/*
 * cli_lint.c — `portsim lint PATH...`: which scenarios have a verdict that
 * depends on host timing (sim/sim_lint.h does the work). Results print in
 * file order, as `portsim run` prints them, and the reports are the same.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>

#include "sim_lint.h"

/* The lint options from the command line: the conformance tolerance, the profile. */
static sim_lint_options lint_options(const cli_ctx *c)
{
    sim_lint_options o = sim_lint_options_default();
    o.tolerance_ns = (int64_t)(c->a.tolerance_ms * 1e6);
    if (o.tolerance_ns < 1) o.tolerance_ns = 1;
    o.tolerance_pct = c->a.tolerance_pct;
    o.profile = c->a.profile;
    assert(sim_lint_options_validate(&o));
    return o;
}

/* One scenario linted with the command line's tolerance (cli_each_scenario's step). */
static void lint_one(void *ctx, const sim_scenario *sc, sim_result *out)
{
    sim_lint_scenario(sc, ctx, out);
}

int cli_cmd_lint(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "lint needs at least one PATH", NULL);
    int code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    if (code >= 0) return code;
    sim_lint_options o = lint_options(c);
    sim_run_info info = {.command = c->cmd->name, .version = PORTSIM_VERSION, .seed = 1,
                         .strategy = "fifo", .profile = o.profile ? cm_profile_name(o.profile) : NULL,
                         .backend = "model"};
    code = cli_each_scenario(c, &files, lint_one, &o, &info);
    cli_files_free(&files);
    return code;
}
