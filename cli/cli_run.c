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
    sim_result *results = calloc((size_t)files.count + 1, sizeof *results);
    rep_terminal term = cli_terminal(c);
    for (uint32_t i = 0; results != NULL && i < files.count; i++) {
        sim_scenario sc;
        if (cli_load(c, files.items[i], &sc, &results[i])) {
            sim_run_model(&sc, &opt, &results[i]);
            sim_scenario_free(&sc);
        }
        rep_terminal_result(&term, &results[i]);
    }
    if (results == NULL) {
        code = CLI_EXIT_USAGE;
    } else {
        code = cli_finish(c, results, files.count);
        sim_run_info info = {.command = c->cmd->name, .version = PORTSIM_VERSION, .seed = opt.seed,
                             .strategy = sim_strategy_name(opt.strategy),
                             .profile = opt.profile ? cm_profile_name(opt.profile) : NULL, .backend = "model"};
        int written = cli_write_reports(c, &info, results, files.count);
        if (written >= 0) code = written;
        for (uint32_t i = 0; i < files.count; i++) sim_result_free(&results[i]);
    }
    free(results);
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
