/*
 * rep_render.c — a development tool (not a test): runs scenario files on
 * the model with their observation kept and writes every report of them.
 *
 *   rep_render OUTDIR FILE...   ->  OUTDIR/report.html, junit.xml, report.tap
 *
 * Used to look at the reports by hand (and to render them in a browser);
 * the `portsim` CLI is the real way to produce them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_html.h"
#include "rep_junit.h"
#include "rep_tap.h"
#include "sim_load.h"
#include "sim_run.h"

static void run_one(const char *path, sim_result *res)
{
    sim_diag diag;
    sim_diag_init(&diag, path);
    sim_scenario sc;
    if (!sim_load_file(path, &sc, &diag)) {
        sim_diag_sort(&diag);
        sim_result_from_diag(&diag, res);
        sim_diag_fini(&diag);
        return;
    }
    sim_diag_fini(&diag);
    sim_run_options opt = sim_run_options_default();
    opt.keep_obs = true;
    sim_run_model(&sc, &opt, res);
    sim_scenario_free(&sc);
}

static bool write_one(const char *dir, const char *name, int which, const sim_result *results, uint32_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) return false;
    sim_run_info info = {.command = "run", .version = "dev", .seed = 1, .strategy = "fifo", .backend = "model"};
    rep_html_options html = rep_html_options_default();
    html.open_all = getenv("REP_OPEN_ALL") != NULL;
    bool ok = which == 0   ? rep_html_write(f, &info, results, n, &html)
              : which == 1 ? rep_junit_write(f, &info, results, n)
                           : rep_tap_write(f, &info, results, n, NULL);
    return fclose(f) == 0 && ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rep_render OUTDIR FILE...\n");
        return 2;
    }
    uint32_t n = (uint32_t)(argc - 2);
    sim_result *results = calloc((size_t)n + 1, sizeof *results);
    if (results == NULL) return 1;
    for (uint32_t i = 0; i < n; i++) run_one(argv[i + 2], &results[i]);
    bool ok = write_one(argv[1], "report.html", 0, results, n) && write_one(argv[1], "junit.xml", 1, results, n) &&
              write_one(argv[1], "report.tap", 2, results, n);
    for (uint32_t i = 0; i < n; i++) sim_result_free(&results[i]);
    free(results);
    if (!ok) fprintf(stderr, "rep_render: cannot write to %s\n", argv[1]);
    return ok ? 0 : 1;
}
