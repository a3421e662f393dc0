/*
 * cli_shrink.c — `portsim shrink FILE -o OUT`: a smaller scenario that fails
 * the same way (sim/sim_shrink.h), written only after it was verified.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_shrink.h"

#define SCHEDULE_MAX 65536u

/* Writes the verified text to path; false (with the reason on err) on a write error. */
static bool write_text(cli_ctx *c, const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    bool ok = f != NULL && fwrite(text, 1, len, f) == len;
    ok = f != NULL && fclose(f) == 0 && ok;
    if (!ok) fprintf(c->err, "portsim: %s: %s\n", path, strerror(errno));
    return ok;
}

int cli_cmd_shrink(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count != 1) return cli_usage_error(c, "shrink takes exactly one FILE", NULL);
    if (c->a.output == NULL) return cli_usage_error(c, "shrink needs -o FILE", NULL);
    uint32_t *schedule = calloc(SCHEDULE_MAX, sizeof *schedule);
    sim_shrink_options opt = {.max_runs = c->a.max_runs, .out_name = c->a.output};
    int code = schedule == NULL ? CLI_EXIT_USAGE : cli_run_options(c, &opt.run, schedule, SCHEDULE_MAX);
    if (code < 0) code = cli_setup_output(c);
    if (code >= 0) {
        free(schedule);
        return code;
    }
    const char *path = c->paths[0];
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_shrink_result r;
    sim_shrink_file(path, &opt, &r, &diag);
    sim_diag_sort(&diag);
    sim_diag_print(&diag, c->err);
    sim_diag_fini(&diag);
    if (!r.ok) {
        fprintf(c->err, "portsim: %s\n", r.error);
        code = CLI_EXIT_USAGE;
    } else if (!write_text(c, c->a.output, r.text, r.len)) {
        code = CLI_EXIT_USAGE;
    } else {
        fprintf(c->out, "shrunk %s: %u steps -> %u steps in %llu runs; written to %s\n", path, r.steps_before,
                r.steps_after, (unsigned long long)r.runs, c->a.output);
        fprintf(c->out, "still fails the same way (checked on %s): %s%s%s%s%s, at the step of %s:%u (now line %u)\n",
                c->a.output, r.check, r.outcome ? " (the call returned " : "", r.outcome ? r.outcome : "",
                r.side > 0 ? ", too late" : r.side < 0 ? ", too early" : "", r.outcome ? ")" : "", path,
                r.original_line, r.line);
        code = CLI_EXIT_OK; /* done: the scenario it wrote fails, as asked */
    }
    sim_shrink_result_free(&r);
    free(schedule);
    return code;
}
