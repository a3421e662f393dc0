/*
 * bench_sim — how fast the simulator explores.
 *
 * 1. Runs per second of a small three-process scenario explored with the
 *    random strategy, each run observed and checked exactly as
 *    `portsim explore` does, on one core. Baseline, measured in the same
 *    run: the core alone running the same compiled world (no
 *    observation, no checks), so the ratio is the simulator's overhead.
 *    Target (issue 3): >= 100,000 runs per second.
 * 2. Simulated time per wall-clock time on a timeout-heavy scenario
 *    (requests that wait out 10 s timeouts). Target: >= 100,000x.
 * 3. Exhaustive search of issue 11's fan-in scenario (fan-in-N.yaml: N
 *    clients, two two-way sends each, 10 ms timeouts, a 1 ms handler) for
 *    N = 2..5: without reduction (the baseline, same run), with sleep sets
 *    (`portsim explore`'s default), and with sleep sets and symmetry over
 *    the clients (exact per-step outcome sets, sim_explore.h): schedules,
 *    wall time, ratios. Target (issue 11): N=4 and N=5 complete, each in
 *    under 1 s (with symmetry).
 *
 *     bench_sim [runs]      (default 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_check.h"
#include "sim_explore_run.h"
#include "sim_compile.h"
#include "sim_load.h"
#include "sim_run.h"
#include "base_alloc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool load(const char *name, sim_scenario *sc, sim_compiled *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", BENCH_SIM_DIR, name);
    sim_diag diag;
    sim_diag_init(&diag, path);
    bool ok = sim_load_file(path, sc, &diag);
    if (!ok) sim_diag_print(&diag, stderr);
    sim_diag_fini(&diag);
    char err[256];
    if (ok && !sim_compile(sc, 0, c, err, sizeof err)) {
        fprintf(stderr, "bench_sim: %s: %s\n", path, err);
        ok = false;
    }
    return ok;
}

/* One explored run: observe and check on a reused world, as portsim explore does. */
static bool explored_run(const sim_scenario *sc, sim_model_session *s, uint64_t seed,
                         uint64_t *events, int64_t *virtual_ns)
{
    sim_run_options opt = sim_run_options_default();
    opt.strategy = SIM_STRATEGY_RANDOM;
    opt.seed = seed;
    if (s == NULL || !sim_model_session_run(s, &opt)) return false;
    const sim_obs *obs = sim_model_session_obs(s);
    sim_result r;
    sim_result_init(&r);
    sim_check_ex(sc, obs, &r, SIM_CHECK_NO_STEPS);
    bool ok = r.verdict == SIM_VERDICT_PASS;
    *events += obs->trace_events;
    *virtual_ns += obs->end_ns;
    sim_result_free(&r);
    return ok;
}

static sim_model_session *session_for(const sim_compiled *c)
{
    sim_run_options opt = sim_run_options_default();
    opt.strategy = SIM_STRATEGY_RANDOM;
    return sim_model_session_new(c, &opt);
}

/* The baseline: the core alone, world reused, same seeds. */
static double core_only(const sim_compiled *c, uint64_t runs)
{
    cm_world_config cfg = c->cfg;
    cm_rng rng;
    cm_rng_seed(&rng, 1);
    cfg.alloc = (cm_alloc){.realloc = base_libc_realloc};
    cfg.strategy = &cm_strategy_random;
    cfg.strategy_ctx = &rng;
    cfg.trace_capacity = 0;
    cfg.on_event = NULL;
    cm_world *w = NULL;
    if (cm_world_create(&cfg, &w) != CM_OK) return 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < runs; i++) {
        cm_rng_seed(&rng, i + 1);
        cm_world_reset(w, &cm_strategy_random, &rng);
        cm_world_run(w);
    }
    double dt = now_s() - t0;
    cm_world_destroy(w);
    return dt;
}

/* One exhaustive exploration of fan-in-n.yaml: schedules, wall seconds, complete. */
static void fan_in_explore(const sim_scenario *sc, bool reduce, bool symmetry, uint64_t *schedules, double *wall_s,
                           bool *complete)
{
    sim_explore_plan plan = sim_explore_plan_default();
    plan.exhaustive = true;
    plan.no_reduction = !reduce;
    plan.symmetry = symmetry;
    sim_result r;
    double t0 = now_s();
    sim_explore_scenario(sc, &plan, &r);
    *wall_s = now_s() - t0;
    *schedules = r.explored.runs;
    *complete = r.explored.complete;
    sim_result_free(&r);
}

/*
 * Section 3: one line per N: unreduced (the baseline, cut at 100,000
 * schedules), sleep sets (what `portsim explore` does), and sleep sets with
 * symmetry over the clients (for callers that need only per-step outcome
 * sets: sim_explore.h), all measured here, in this run.
 */
static void fan_in(uint32_t n)
{
    char name[64];
    snprintf(name, sizeof name, "fan-in-%u.yaml", n);
    sim_scenario sc;
    sim_compiled c;
    if (!load(name, &sc, &c)) return;
    uint64_t runs[3] = {0};
    double wall_s[3] = {0};
    bool done[3] = {false};
    fan_in_explore(&sc, false, false, &runs[0], &wall_s[0], &done[0]);
    fan_in_explore(&sc, true, false, &runs[1], &wall_s[1], &done[1]);
    fan_in_explore(&sc, true, true, &runs[2], &wall_s[2], &done[2]);
    if (n == 2) {
        printf("bench_sim: exhaustive search of the fan-in scenario (issue 11): unreduced, sleep sets, "
               "sleep sets + symmetry (outcome sets)\n");
    }
    static const char *const what[3] = {"unreduced", "sleep sets", "+ symmetry"};
    printf("  N=%u", n);
    for (int k = 0; k < 3; k++) {
        printf("%s %s: %llu schedules%s in %.3f s", k ? ";" : "", what[k], (unsigned long long)runs[k],
               done[k] ? "" : " (cut at the bound)", wall_s[k]);
    }
    printf("\n");
    for (int k = 1; k < 3; k++) {
        printf("       %s vs unreduced: schedules %.2fx, time %.2fx\n", what[k],
               (double)runs[0] / (double)(runs[k] ? runs[k] : 1), wall_s[0] / (wall_s[k] > 0 ? wall_s[k] : 1e-9));
    }
    if (n >= 4) {
        bool met = done[2] && wall_s[2] < 1.0;
        printf("  target N=%u complete in under 1 s: %s (%s, %.3f s)\n", n, met ? "met" : "NOT met",
               done[2] ? "complete" : "cut at the bound", wall_s[2]);
    }
    sim_compiled_free(&c);
    sim_scenario_free(&sc);
}

int main(int argc, char **argv)
{
    uint64_t runs = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    if (runs == 0) {
        fprintf(stderr, "usage: bench_sim [runs > 0]\n");
        return 2;
    }
    sim_scenario small, heavy;
    sim_compiled small_c, heavy_c;
    if (!load("three-process.yaml", &small, &small_c) || !load("timeout-heavy.yaml", &heavy, &heavy_c)) {
        return 2;
    }
    uint64_t events = 0, failures = 0;
    int64_t virtual_ns = 0;
    sim_model_session *session = session_for(&small_c);
    double t0 = now_s();
    for (uint64_t i = 0; i < runs; i++) failures += !explored_run(&small, session, i + 1, &events, &virtual_ns);
    double explore_s = now_s() - t0;
    sim_model_session_free(session);
    double base_s = core_only(&small_c, runs);
    double rps = (double)runs / explore_s;
    printf("bench_sim: three-process scenario, random strategy, one core\n");
    printf("  explore (observe + check):  %llu runs in %.3f s -> %.0f runs/s, %.1f us/run, %.0f events/run\n",
           (unsigned long long)runs, explore_s, rps, explore_s * 1e6 / (double)runs,
           (double)events / (double)runs);
    printf("  baseline (core alone):      %.3f s -> %.0f runs/s; explore/core = %.1fx\n", base_s,
           (double)runs / base_s, explore_s / base_s);
    printf("  target >= 100000 runs/s: %s (%.2fx of target); %llu runs failed\n",
           rps >= 1e5 ? "met" : "NOT met", rps / 1e5, (unsigned long long)failures);
    uint64_t heavy_runs = runs / 20 ? runs / 20 : 1, heavy_events = 0;
    int64_t heavy_virtual = 0;
    session = session_for(&heavy_c);
    t0 = now_s();
    for (uint64_t i = 0; i < heavy_runs; i++) {
        failures += !explored_run(&heavy, session, i + 1, &heavy_events, &heavy_virtual);
    }
    double heavy_s = now_s() - t0;
    sim_model_session_free(session);
    double ratio = (double)heavy_virtual * 1e-9 / heavy_s;
    printf("bench_sim: timeout-heavy scenario (%.0f s of virtual time per run)\n",
           (double)heavy_virtual * 1e-9 / (double)heavy_runs);
    printf("  %llu runs, %.1f s virtual in %.3f s wall -> simulated/wall = %.3gx\n",
           (unsigned long long)heavy_runs, (double)heavy_virtual * 1e-9, heavy_s, ratio);
    printf("  target >= 100000x: %s (%.3gx of target)\n", ratio >= 1e5 ? "met" : "NOT met", ratio / 1e5);
    for (uint32_t n = 2; n <= 5; n++) fan_in(n);
    sim_compiled_free(&small_c);
    sim_compiled_free(&heavy_c);
    sim_scenario_free(&small);
    sim_scenario_free(&heavy);
    return failures == 0 ? 0 : 1;
}
