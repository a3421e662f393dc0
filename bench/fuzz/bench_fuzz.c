/*
 * bench_fuzz — how fast `portsim fuzz` makes its scenarios, and how far
 * exhaustive exploration reaches on them (issue 11, "Done when").
 *
 * 1. Generated-and-explored scenarios per second on the model, one core:
 *    for seeds 1..N, what `portsim fuzz` does before it checks anything —
 *    generate the text (sim_gen_scenario), load it, compute the model's
 *    allowed outcome sets with the fuzzer's own plan (sim_gen_allowed_plan:
 *    32 model runs, the late-host jitters of a 15 ms / 15 % tolerance) and
 *    write them in as expect: lines, and the annotated scenario, built from the
 *    loaded one without a second parse (sim_gen_annotate_load), as the fuzzer does.
 *    Baseline, measured in the same run: generation alone over the same
 *    seeds, and the model's run rate inside the allowed-set phase. Target
 *    (issue 11): >= 2,000 scenarios/s. Then where the time goes, by phase
 *    and by kind of model run (schedules, jitters, late dequeues, prompt releases).
 * 2. The fraction of generated scenarios whose exhaustive exploration
 *    completes within `portsim explore --strategy exhaustive`'s bounds
 *    (depth 200, 100,000 schedules, partial-order reduction), without and
 *    with the deadline-tie latency choices the allowed sets use (max 2 ms),
 *    and within 10^3 and 10^4 schedules (the search is deterministic, so a
 *    search that completes in S schedules completes under any bound >= S).
 *
 * The wall time `portsim fuzz --backend posix` needs to find each of
 * libcfmp's 16 mutants is bench/fuzz/mutants.sh.
 *
 *     bench_fuzz [seeds] [exhaustive_seeds]     (default 4000 100; 0 exhaustive
 *                                               seeds skips part 2, for profiling part 1)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_explore_run.h"
#include "sim_gen.h"
#include "sim_load.h"

#define BENCH_EXPECT_RUNS 32u      /* portsim fuzz's default --expect-runs */
#define BENCH_TOLERANCE_MS 15.0    /* and its default --tolerance-ms / --tolerance-pct */
#define BENCH_TOLERANCE_PCT 15.0
#define BENCH_SEEDS_MAX 10000000ull
#define BENCH_PROFILE_SEEDS 1000u  /* seeds the per-kind breakdown is measured on */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A generated or annotated text, loaded (false: it does not, which the fuzzer reports as a finding). */
static bool load_text(const char *text, sim_scenario *sc)
{
    sim_diag d;
    sim_diag_init(&d, "gen.yaml");
    bool ok = sim_load_buffer("gen.yaml", (const uint8_t *)text, strlen(text), sc, &d);
    sim_diag_fini(&d);
    return ok;
}

typedef struct phase_totals {
    double gen_s, load_s, allowed_s;
    uint64_t model_runs, jittered, scenarios, failed, reloaded;
} phase_totals;

/* One seed as portsim fuzz makes it, each phase timed; false when something did not load or run. */
static bool make_one(uint64_t seed, const sim_gen_options *go, phase_totals *t)
{
    double t0 = now_s();
    char *text = sim_gen_scenario(seed, go);
    double t1 = now_s();
    t->gen_s += t1 - t0;
    sim_scenario sc;
    bool ok = text != NULL && load_text(text, &sc);
    double t2 = now_s();
    t->load_s += t2 - t1;
    if (!ok) {
        free(text);
        return false;
    }
    sim_allowed_plan plan = sim_gen_allowed_plan(seed, BENCH_EXPECT_RUNS, 0, BENCH_TOLERANCE_MS, BENCH_TOLERANCE_PCT);
    sim_allowed_set allowed;
    sim_scenario again;
    sim_diag d;
    sim_diag_init(&d, "gen.yaml");
    sim_gen_load_how how = SIM_GEN_NOT_LOADED;
    /* as portsim fuzz: the annotated scenario built from sc, or (cases it does not handle) loaded */
    char *annotated = sim_gen_annotate_load(text, &sc, &plan, &allowed, "gen.yaml", &again, &d, &how);
    sim_diag_fini(&d);
    t->allowed_s += now_s() - t2;
    t->model_runs += allowed.runs;
    t->jittered += allowed.jittered;
    t->reloaded += how == SIM_GEN_LOADED;
    ok = annotated != NULL && how != SIM_GEN_NOT_LOADED;
    if (how != SIM_GEN_NOT_LOADED) sim_scenario_free(&again);
    free(annotated);
    sim_allowed_set_free(&allowed);
    sim_scenario_free(&sc);
    free(text);
    return ok;
}

/* Generation alone over the same seeds: the baseline. */
static double gen_only(uint64_t seeds, const sim_gen_options *go, size_t *bytes)
{
    double t0 = now_s();
    for (uint64_t s = 1; s <= seeds; s++) {
        char *text = sim_gen_scenario(s, go);
        *bytes += text != NULL ? strlen(text) : 0;
        free(text);
    }
    return now_s() - t0;
}

/* The allowed-set phase split by kind of model run: time from one visit to the next. */
typedef struct kind_times {
    double last;
    double schedule_s, jitter_s, dequeue_s, prompt_s;
    uint64_t schedule_runs, jitter_runs, dequeue_runs, prompt_runs;
} kind_times;

static bool kind_visit(void *ctx, const sim_obs *obs, const sim_allowed_run *run)
{
    kind_times *k = ctx;
    (void)obs;
    double now = now_s(), dt = now - k->last;
    k->last = now;
    if (run->jitter != NULL) {
        k->jitter_s += dt;
        k->jitter_runs++;
    } else if (run->dequeue_delayed) {
        k->dequeue_s += dt;
        k->dequeue_runs++;
    } else if (run->prompt_release) {
        k->prompt_s += dt;
        k->prompt_runs++;
    } else {
        k->schedule_s += dt;
        k->schedule_runs++;
    }
    return true;
}

static void breakdown(uint64_t seeds, const sim_gen_options *go)
{
    kind_times k;
    memset(&k, 0, sizeof k);
    for (uint64_t s = 1; s <= seeds; s++) {
        char *text = sim_gen_scenario(s, go);
        sim_scenario sc;
        if (text != NULL && load_text(text, &sc)) {
            sim_allowed_plan plan = sim_gen_allowed_plan(s, BENCH_EXPECT_RUNS, 0, BENCH_TOLERANCE_MS,
                                                         BENCH_TOLERANCE_PCT);
            char err[256];
            k.last = now_s();
            (void)sim_allowed_each_run(&sc, &plan, kind_visit, &k, err, sizeof err);
            sim_scenario_free(&sc);
        }
        free(text);
    }
    double all = k.schedule_s + k.jitter_s + k.dequeue_s + k.prompt_s;
    if (all <= 0) return;
    printf("  allowed sets by kind of model run (%llu seeds):\n", (unsigned long long)seeds);
    printf("    fifo + random schedules (one compiled world, reset): %6.2f runs/scenario, %5.1f us/run, %4.1f%%\n",
           (double)k.schedule_runs / (double)seeds, k.schedule_runs ? 1e6 * k.schedule_s / (double)k.schedule_runs : 0,
           100 * k.schedule_s / all);
    printf("    late-host jitters (one world, reset, jitter undone):  %6.2f runs/scenario, %5.1f us/run, %4.1f%%\n",
           (double)k.jitter_runs / (double)seeds, k.jitter_runs ? 1e6 * k.jitter_s / (double)k.jitter_runs : 0,
           100 * k.jitter_s / all);
    printf("    late dispatch-queue dequeues (R50a):                  %6.2f runs/scenario, %5.1f us/run, %4.1f%%\n",
           (double)k.dequeue_runs / (double)seeds, k.dequeue_runs ? 1e6 * k.dequeue_s / (double)k.dequeue_runs : 0,
           100 * k.dequeue_s / all);
    printf("    names and rights freed at once (R62):                 %6.2f runs/scenario, %5.1f us/run, %4.1f%%\n",
           (double)k.prompt_runs / (double)seeds, k.prompt_runs ? 1e6 * k.prompt_s / (double)k.prompt_runs : 0,
           100 * k.prompt_s / all);
}

static void rate(uint64_t seeds)
{
    sim_gen_options go = sim_gen_options_default();
    size_t bytes = 0;
    double base_s = gen_only(seeds, &go, &bytes);
    phase_totals t;
    memset(&t, 0, sizeof t);
    double t0 = now_s();
    for (uint64_t s = 1; s <= seeds; s++) {
        t.scenarios++;
        t.failed += !make_one(s, &go, &t);
    }
    double wall = now_s() - t0;
    double gen_rate = base_s > 0 ? (double)seeds / base_s : 0;
    double made_rate = wall > 0 ? (double)seeds / wall : 0;
    printf("1. generated and explored scenarios per second on the model (one core, seeds 1..%llu)\n",
           (unsigned long long)seeds);
    printf("  baseline, generation alone:          %10.0f scenarios/s (%.0f bytes of YAML each)\n", gen_rate,
           (double)bytes / (double)seeds);
    printf("  generated + loaded + allowed sets + expect: lines: %.0f scenarios/s = %.4fx generation alone "
           "(target >= 2000/s: %s)\n",
           made_rate, gen_rate > 0 ? made_rate / gen_rate : 0, made_rate >= 2000 ? "met" : "NOT MET");
    printf("  model runs per scenario: %.1f (%.1f late-host); model runs/s in the allowed-set phase: %.0f\n",
           (double)t.model_runs / (double)seeds, (double)t.jittered / (double)seeds,
           t.allowed_s > 0 ? (double)t.model_runs / t.allowed_s : 0);
    double sum = t.gen_s + t.load_s + t.allowed_s;
    if (sum > 0) {
        printf("  phases: generate %.1f%%, load %.1f%%, allowed sets + expect: lines + the annotated scenario "
               "(sim_gen_annotate_load) %.1f%%; annotated scenarios loaded from their text, not built: %llu\n",
               100 * t.gen_s / sum, 100 * t.load_s / sum, 100 * t.allowed_s / sum, (unsigned long long)t.reloaded);
    }
    if (t.failed > 0) printf("  %llu seeds did not load or run (portsim fuzz reports them)\n", (unsigned long long)t.failed);
    breakdown(seeds < BENCH_PROFILE_SEEDS ? seeds : BENCH_PROFILE_SEEDS, &go);
}

/* Exhaustive search of seeds 1..n, with or without latency choices: the fractions that complete. */
static void exhaustive(uint64_t n, bool latency)
{
    sim_gen_options go = sim_gen_options_default();
    uint64_t complete = 0, within_1k = 0, within_10k = 0, by_depth = 0, loaded = 0, schedules = 0;
    double t0 = now_s(), slowest = 0;
    for (uint64_t s = 1; s <= n; s++) {
        char *text = sim_gen_scenario(s, &go);
        sim_scenario sc;
        if (text == NULL || !load_text(text, &sc)) {
            free(text);
            continue;
        }
        loaded++;
        sim_explore_plan plan = sim_explore_plan_default();
        plan.exhaustive = true;
        plan.run.explore_latency = latency;
        plan.run.max_latency_ns = SIM_MAX_LATENCY_DEFAULT_NS;
        sim_result r;
        double a = now_s();
        sim_explore_scenario(&sc, &plan, &r);
        double dt = now_s() - a;
        if (dt > slowest) slowest = dt;
        schedules += r.explored.runs;
        if (r.explored.complete) {
            complete++;
            within_1k += r.explored.runs <= 1000;
            within_10k += r.explored.runs <= 10000;
        }
        by_depth += r.explored.cut_by_depth;
        sim_result_free(&r);
        sim_scenario_free(&sc);
        free(text);
    }
    double wall = now_s() - t0;
    if (loaded == 0) return;
    printf("  %s: complete %.1f%% (%llu of %llu); within 1,000 schedules %.1f%%, within 10,000 %.1f%%; "
           "cut by depth %llu; %.0f schedules/s, slowest search %.2f s, %.1f s in all\n",
           latency ? "with latency choices (max 2 ms)" : "without latency choices      ", 100.0 * (double)complete / (double)loaded,
           (unsigned long long)complete, (unsigned long long)loaded, 100.0 * (double)within_1k / (double)loaded,
           100.0 * (double)within_10k / (double)loaded, (unsigned long long)by_depth,
           wall > 0 ? (double)schedules / wall : 0, slowest, wall);
}

/* Argument i as a count in min..BENCH_SEEDS_MAX, or dflt when absent; exits 2 on anything else. */
static uint64_t arg(int argc, char **argv, int i, uint64_t dflt, uint64_t min)
{
    if (argc <= i) return dflt;
    char *end = NULL;
    unsigned long long v = strtoull(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || v < min || v > BENCH_SEEDS_MAX) {
        fprintf(stderr, "usage: bench_fuzz [seeds] [exhaustive_seeds]   (1..%llu, 0..%llu)\n", BENCH_SEEDS_MAX,
                BENCH_SEEDS_MAX);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc > 3) {
        fprintf(stderr, "usage: bench_fuzz [seeds] [exhaustive_seeds]\n");
        return 2;
    }
    uint64_t seeds = arg(argc, argv, 1, 4000, 1), ex = arg(argc, argv, 2, 100, 0);
    rate(seeds);
    if (ex == 0) return 0;
    printf("\n2. generated scenarios whose exhaustive exploration completes (seeds 1..%llu; depth 200, "
           "100,000 schedules, partial-order reduction: portsim explore --strategy exhaustive's bounds)\n",
           (unsigned long long)ex);
    fflush(stdout);
    exhaustive(ex, false);
    fflush(stdout);
    exhaustive(ex, true);
    return 0;
}
