/*
 * cli_run.c — `portsim run PATH...` (every scenario on the model, checked)
 * and `portsim replay FILE` (one scenario file, exactly as a failure's
 * replay line says, with its canonical trace).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <sys/stat.h>

#define SCHEDULE_MAX 65536u

static void trace_to_out(void *ctx, const char *line)
{
    const cli_ctx *c = ctx;
    fprintf(c->out, "%s\n", line);
}

/* One scenario on the model with the command line's options (cli_each_scenario's step). */
static void run_one(void *ctx, const sim_scenario *sc, sim_result *out)
{
    sim_run_model(sc, ctx, out);
}

/* The run's options, the files, a result per file printed as it comes, then the reports. */
static int run_files(cli_ctx *c)
{
    uint32_t *schedule = calloc(SCHEDULE_MAX, sizeof *schedule);
    sim_run_options opt;
    int code = schedule == NULL ? CLI_EXIT_USAGE : cli_run_options(c, &opt, schedule, SCHEDULE_MAX);
    if (code < 0) code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    if (code >= 0) {
        free(schedule);
        return code;
    }
    if (c->a.trace) {
        opt.trace_line = trace_to_out;
        opt.trace_ctx = c;
    }
    opt.keep_obs = c->a.html != NULL;
    sim_run_info info = {.command = c->cmd->name, .version = PORTSIM_VERSION, .seed = opt.seed,
                         .strategy = sim_strategy_name(opt.strategy),
                         .profile = opt.profile ? cm_profile_name(opt.profile) : NULL, .backend = "model"};
    code = cli_each_scenario(c, &files, run_one, &opt, &info);
    free(schedule);
    cli_files_free(&files);
    return code;
}

int cli_cmd_run(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "run needs at least one PATH", NULL);
    return run_files(c);
}

int cli_cmd_replay(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    struct stat st;
    if (c->path_count != 1) return cli_usage_error(c, "replay takes exactly one FILE", NULL);
    if (stat(c->paths[0], &st) == 0 && S_ISDIR(st.st_mode)) {
        return cli_usage_error(c, "replay takes one scenario FILE, not a folder:", c->paths[0]);
    }
    c->a.trace = true;
    return run_files(c);
}
