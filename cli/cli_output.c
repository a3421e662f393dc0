/*
 * cli_output.c — where results go and how: colour, a file's load errors,
 * the result lines (reports/rep_terminal.h), the report files, the summary
 * line and the exit code. One copy for every command.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rep_html.h"
#include "rep_junit.h"
#include "rep_tap.h"

static bool to_stdout(const char *path)
{
    return path != NULL && strcmp(path, "-") == 0;
}

int cli_setup_output(cli_ctx *c)
{
    assert(c != NULL && c->out != NULL);
    const char *reports[] = {c->a.json, c->a.junit, c->a.tap, c->a.html};
    uint32_t on_stdout = 0;
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++) on_stdout += to_stdout(reports[i]);
    if (on_stdout > 1) return cli_usage_error(c, "only one report can be written to stdout ('-')", NULL);
    if (on_stdout == 1 && c->a.trace) return cli_usage_error(c, "a report on stdout and --trace both want stdout", NULL);
    if (c->a.tap_version != 0 && c->a.tap == NULL) return cli_usage_error(c, "--tap-version goes with --tap", NULL);
    if (on_stdout == 1) c->out = c->err; /* stdout carries the report; results go to stderr */
    if (c->a.color >= 0) {
        c->use_color = c->a.color == 1;
    } else {
        const char *no_color = getenv("NO_COLOR");
        int fd = fileno(c->out);
        c->use_color = (no_color == NULL || no_color[0] == '\0') && fd >= 0 && isatty(fd);
    }
    return -1;
}

rep_terminal cli_terminal(const cli_ctx *c)
{
    return (rep_terminal){.out = c->out, .color = c->use_color, .verbose = c->a.verbose};
}

bool cli_load(cli_ctx *c, const char *path, sim_scenario *sc, sim_result *res)
{
    assert(c != NULL && path != NULL && sc != NULL && res != NULL);
    sim_diag diag;
    sim_diag_init(&diag, path);
    bool ok = sim_load_file(path, sc, &diag);
    if (!ok) {
        sim_diag_sort(&diag);
        fflush(c->out); /* the results so far first: these errors belong to the next line */
        sim_diag_print(&diag, c->err);
        fflush(c->err);
        sim_result_from_diag(&diag, res);
    }
    sim_diag_fini(&diag);
    return ok;
}

typedef enum report_kind { REPORT_JSON, REPORT_JUNIT, REPORT_TAP, REPORT_HTML, REPORT_KINDS } report_kind;

static bool write_one(const cli_ctx *c, report_kind kind, FILE *f, const sim_run_info *info,
                      const sim_result *results, uint32_t count)
{
    switch (kind) {
    case REPORT_JSON: return sim_json_write(f, info, results, count);
    case REPORT_JUNIT: return rep_junit_write(f, info, results, count);
    case REPORT_TAP: {
        rep_tap_options o = rep_tap_options_default();
        if (c->a.tap_version != 0) o.version = (uint8_t)c->a.tap_version;
        return rep_tap_write(f, info, results, count, &o);
    }
    case REPORT_HTML: {
        rep_html_options o = rep_html_options_default();
        return rep_html_write(f, info, results, count, &o);
    }
    default: return false;
    }
}

int cli_write_reports(cli_ctx *c, const sim_run_info *info, const sim_result *results, uint32_t count)
{
    assert(c != NULL && info != NULL);
    const char *paths[REPORT_KINDS] = {c->a.json, c->a.junit, c->a.tap, c->a.html};
    int code = -1;
    for (int k = 0; k < REPORT_KINDS; k++) {
        const char *path = paths[k];
        if (path == NULL) continue;
        bool std = to_stdout(path);
        FILE *f = std ? c->stdout_stream : fopen(path, "w");
        if (f == NULL) {
            fprintf(c->err, "portsim: %s: %s\n", path, strerror(errno));
            code = CLI_EXIT_USAGE;
            continue;
        }
        bool ok = write_one(c, (report_kind)k, f, info, results, count);
        ok = (std ? fflush(f) == 0 && !ferror(f) : fclose(f) == 0) && ok;
        if (!ok) {
            fprintf(c->err, "portsim: %s: write error\n", std ? "stdout" : path);
            code = CLI_EXIT_USAGE;
        }
    }
    return code;
}

int cli_finish(cli_ctx *c, const sim_result *results, uint32_t count)
{
    sim_tally t = sim_tally_results(results, count);
    rep_terminal term = cli_terminal(c);
    rep_terminal_summary(&term, &t);
    if (t.errors > 0) return CLI_EXIT_USAGE; /* an input to fix first, whatever else failed */
    return t.failed + t.errors > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cli_each_scenario(cli_ctx *c, const cli_files *files, cli_scenario_fn fn, void *ctx,
                      const sim_run_info *info)
{
    assert(c != NULL && files != NULL && fn != NULL && info != NULL);
    sim_result *results = calloc((size_t)files->count + 1, sizeof *results);
    if (results == NULL) return CLI_EXIT_USAGE;
    rep_terminal term = cli_terminal(c);
    for (uint32_t i = 0; i < files->count; i++) {
        sim_scenario sc;
        if (cli_load(c, files->items[i], &sc, &results[i])) {
            fn(ctx, &sc, &results[i]);
            sim_scenario_free(&sc);
        }
        rep_terminal_result(&term, &results[i]);
    }
    int code = cli_finish(c, results, files->count);
    int written = cli_write_reports(c, info, results, files->count);
    if (written >= 0) code = written;
    for (uint32_t i = 0; i < files->count; i++) sim_result_free(&results[i]);
    free(results);
    return code;
}
