/*
 * sim_cli_explore.c — `portsim explore`: each scenario under many
 * schedules.
 *
 *   random, pct  seeds S .. S+N-1 (only this shard's), split over -j
 *                threads by seed index; the totals, the distinct trace
 *                hashes and the first failing seed do not depend on -j.
 *   exhaustive   the bounded depth-first search of sim_explore.h, one
 *                scenario per thread; prints how many schedules and
 *                states it covered and whether a bound cut it short.
 * A failing scenario prints its first failure in full with the replay
 * command that reproduces it.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim_cli_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim_explore.h"

#define NO_SEED UINT64_MAX

typedef struct explore_stats {
    uint64_t runs;
    uint64_t failures;
    uint64_t events;
    uint64_t first_fail_index; /* seed index, NO_SEED */
    bool error;                /* the model could not run */
    sim_hashset hashes;        /* distinct traces */
} explore_stats;

typedef struct explore_job {
    const sim_cli *c;
    const sim_scenario *sc;
    const sim_compiled *compiled;
    uint64_t first_index; /* seed indices this worker takes: i = first + k * step */
    uint64_t step;
    uint64_t end_index;
    explore_stats stats;
    atomic_uint_fast64_t *progress;
    atomic_bool finished;
} explore_job;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* One run on the session's world: observe, check; true when it passed. */
static bool run_checked(const sim_scenario *sc, sim_model_session *session,
                        const sim_run_options *opt, explore_stats *st)
{
    bool ran = session != NULL && sim_model_session_run(session, opt);
    st->runs++;
    if (!ran) {
        st->error = true;
        return false;
    }
    const sim_obs *obs = sim_model_session_obs(session);
    sim_result r;
    sim_result_init(&r);
    sim_check_ex(sc, obs, &r, SIM_CHECK_NO_STEPS);
    bool ended = strcmp(obs->end_reason, "quiescent") == 0 || strcmp(obs->end_reason, "time_limit") == 0;
    bool failed = !ended || r.verdict != SIM_VERDICT_PASS;
    st->events += obs->trace_events;
    sim_hashset_insert(&st->hashes, obs->trace_hash);
    sim_result_free(&r);
    return !failed;
}

static void *seeds_worker(void *arg)
{
    explore_job *job = arg;
    const sim_cli *c = job->c;
    sim_run_options opt = c->run;
    opt.trace_line = NULL;
    sim_model_session *session = sim_model_session_new(job->compiled, &opt);
    for (uint64_t i = job->first_index; i < job->end_index; i += job->step) {
        if (i % c->shard_count != c->shard_index) continue;
        opt.seed = c->run.seed + i;
        bool ok = run_checked(job->sc, session, &opt, &job->stats);
        if (!ok) {
            job->stats.failures++;
            if (i < job->stats.first_fail_index) job->stats.first_fail_index = i;
            if (c->stop_at_failure) break;
        }
        atomic_fetch_add(job->progress, 1);
    }
    sim_model_session_free(session);
    atomic_store(&job->finished, true);
    return NULL;
}

/* A progress line on a terminal for runs longer than two seconds; true once shown. */
static bool progress(const sim_cli *c, uint64_t started, uint64_t done, uint64_t total,
                     const char *file, uint64_t *last_ns)
{
    if (!isatty(fileno(c->err))) return false;
    uint64_t now = now_ns();
    if (now - started < UINT64_C(2000000000) || now - *last_ns < UINT64_C(500000000)) return false;
    *last_ns = now;
    fprintf(c->err, "\rexplore: %s: %llu/%llu runs   ", file, (unsigned long long)done,
            (unsigned long long)total);
    fflush(c->err);
    return true;
}

static bool all_finished(explore_job *job, uint32_t jobs)
{
    for (uint32_t k = 0; k < jobs; k++) {
        if (!atomic_load(&job[k].finished)) return false;
    }
    return true;
}

static void merge(explore_stats *into, explore_stats *from)
{
    into->runs += from->runs;
    into->failures += from->failures;
    into->events += from->events;
    into->error = into->error || from->error;
    if (from->first_fail_index < into->first_fail_index) into->first_fail_index = from->first_fail_index;
    for (uint64_t i = 0; i < from->hashes.capacity; i++) {
        if (from->hashes.slots[i] != 0) sim_hashset_insert(&into->hashes, from->hashes.slots[i]);
    }
    sim_hashset_fini(&from->hashes);
}

static void explore_seeds(const sim_cli *c, const sim_scenario *sc, const sim_compiled *compiled,
                          explore_stats *total)
{
    uint32_t jobs = c->jobs;
    explore_job *job = calloc(jobs, sizeof *job);
    pthread_t *tid = calloc(jobs, sizeof *tid);
    bool *running = calloc(jobs, sizeof *running);
    atomic_uint_fast64_t done = 0;
    if (job == NULL || tid == NULL || running == NULL) {
        total->error = true;
        free(job);
        free(tid);
        free(running);
        return;
    }
    for (uint32_t k = 0; k < jobs; k++) {
        job[k] = (explore_job){.c = c, .sc = sc, .compiled = compiled, .first_index = k,
                               .step = jobs, .end_index = c->seeds, .progress = &done};
        job[k].stats.first_fail_index = NO_SEED;
        atomic_init(&job[k].finished, false);
    }
    uint64_t started = now_ns(), last = 0;
    uint64_t mine = (c->seeds + c->shard_count - 1 - c->shard_index) / c->shard_count;
    for (uint32_t k = 0; k < jobs; k++) {
        running[k] = pthread_create(&tid[k], NULL, seeds_worker, &job[k]) == 0;
        if (!running[k]) seeds_worker(&job[k]); /* no thread: do it here */
    }
    bool shown = false;
    bool tty = isatty(fileno(c->err));
    while (tty && !all_finished(job, jobs)) { /* the workers end by themselves */
        if (progress(c, started, atomic_load(&done), mine, sc->file, &last)) shown = true;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    for (uint32_t k = 0; k < jobs; k++) {
        if (running[k]) pthread_join(tid[k], NULL);
    }
    for (uint32_t k = 0; k < jobs; k++) merge(total, &job[k].stats);
    if (shown) fputs("\r\033[K", c->err);
    free(job);
    free(tid);
    free(running);
}

/* ---- exhaustive --------------------------------------------------------- */

typedef struct exhaustive_ctx {
    const sim_cli *c;
    const sim_scenario *sc;
    sim_model_session *session;
    explore_stats stats;
} exhaustive_ctx;

static bool exhaustive_run(void *user, const cm_strategy *strategy, void *ctx)
{
    exhaustive_ctx *x = user;
    sim_run_options opt = x->c->run;
    opt.trace_line = NULL;
    opt.custom = strategy;
    opt.custom_ctx = ctx;
    return run_checked(x->sc, x->session, &opt, &x->stats);
}

/* ---- one scenario ------------------------------------------------------- */

typedef struct scenario_job {
    const sim_cli *c;
    const char *path;
    sim_result result;         /* the representative run (first failure, or seed S) */
    explore_stats stats;
    sim_exhaustive_result *ex; /* exhaustive only */
    bool loaded;
} scenario_job;

/* The first failing run again, in full, for its failures and replay command. */
static void representative(scenario_job *j, const sim_scenario *sc)
{
    sim_run_options opt = j->c->run;
    opt.trace_line = NULL;
    if (j->ex != NULL) {
        opt.strategy = SIM_STRATEGY_SCHEDULE;
        opt.schedule = j->ex->failing;
        opt.schedule_count = j->stats.failures > 0 ? j->ex->failing_count : 0;
    } else if (j->stats.first_fail_index != NO_SEED) {
        opt.seed = j->c->run.seed + j->stats.first_fail_index;
    }
    sim_run_model(sc, &opt, &j->result);
}

static void explore_file(scenario_job *j)
{
    const sim_cli *c = j->c;
    sim_scenario sc;
    j->stats.first_fail_index = NO_SEED;
    if (!sim_cli_load((sim_cli *)c, j->path, &sc, &j->result)) return;
    j->loaded = true;
    sim_run_model(&sc, &c->run, &j->result); /* skip decisions, identity, a first run */
    if (j->result.verdict == SIM_VERDICT_SKIP || j->result.verdict == SIM_VERDICT_ERROR) {
        sim_scenario_free(&sc);
        return;
    }
    sim_compiled compiled;
    char err[256];
    if (!sim_compile(&sc, c->run.profile, &compiled, err, sizeof err)) {
        sim_scenario_free(&sc);
        return;
    }
    if (c->exhaustive) {
        sim_run_options opt = c->run;
        opt.track_history = true; /* prune only states with the same past */
        exhaustive_ctx x = {.c = c, .sc = &sc, .session = sim_model_session_new(&compiled, &opt)};
        x.stats.first_fail_index = NO_SEED;
        sim_exhaustive_limits lim = {.depth_max = c->depth, .schedules_max = c->schedules,
                                     .prune_states = true, .stop_at_failure = c->stop_at_failure};
        j->ex = calloc(1, sizeof *j->ex);
        if (j->ex != NULL) sim_explore_exhaustive(exhaustive_run, &x, &lim, j->ex);
        j->stats = x.stats;
        if (j->ex != NULL) j->stats.failures = j->ex->failures;
        sim_model_session_free(x.session);
    } else {
        explore_seeds(c, &sc, &compiled, &j->stats);
    }
    if (j->stats.failures > 0) {
        sim_result_free(&j->result);
        representative(j, &sc);
    }
    sim_compiled_free(&compiled);
    sim_scenario_free(&sc);
}

static void *files_worker(void *arg)
{
    scenario_job *jobs = arg;
    explore_file(jobs);
    return NULL;
}

/* ---- printing ----------------------------------------------------------- */

static void print_explored(const sim_cli *c, scenario_job *j)
{
    sim_result *r = &j->result;
    if (!j->loaded || r->verdict == SIM_VERDICT_SKIP || r->verdict == SIM_VERDICT_ERROR) {
        sim_cli_print_result(c, r);
        return;
    }
    bool failed = j->stats.failures > 0 || j->stats.error;
    uint8_t verdict = failed ? SIM_VERDICT_FAIL : SIM_VERDICT_PASS;
    fprintf(c->out, "%s%s%s %s  %s:%u  ", sim_cli_paint(c, verdict), failed ? "FAIL " : "PASS ",
            sim_cli_plain(c), r->scenario ? r->scenario : "?", r->file, r->line);
    if (j->ex != NULL) {
        fprintf(c->out, "exhaustive%s: %llu schedules, %llu states, %llu failing",
                c->run.explore_latency ? " with latencies" : "",
                (unsigned long long)j->ex->schedules, (unsigned long long)j->ex->states,
                (unsigned long long)j->ex->failures);
        if (j->ex->cut_by_schedules) {
            fprintf(c->out, "; cut short: the schedule bound (%llu) was reached",
                    (unsigned long long)c->schedules);
        } else if (j->ex->cut_by_depth) {
            fprintf(c->out, "; cut short: choice points past the depth bound (%u) were not branched",
                    c->depth);
        } else if (j->ex->complete) {
            fputs("; complete", c->out);
        }
        fputc('\n', c->out);
    } else {
        fprintf(c->out, "%s%s seeds %llu..%llu: %llu runs, %llu failing, %llu distinct traces\n",
                sim_strategy_name(c->run.strategy), c->run.explore_latency ? "+latency" : "",
                (unsigned long long)c->run.seed,
                (unsigned long long)(c->run.seed + c->seeds - 1), (unsigned long long)j->stats.runs,
                (unsigned long long)j->stats.failures, (unsigned long long)j->stats.hashes.count);
    }
    if (!failed) return;
    if (j->stats.first_fail_index != NO_SEED && j->ex == NULL) {
        fprintf(c->out, "    first failing seed: %llu\n",
                (unsigned long long)(c->run.seed + j->stats.first_fail_index));
    }
    for (uint32_t i = 0; i < r->failure_count; i++) sim_cli_print_failure(c, r, &r->failures[i]);
    if (r->replay != NULL) fprintf(c->out, "    replay: %s\n", r->replay);
}

static int check_options(sim_cli *c)
{
    if (c->run.strategy == SIM_STRATEGY_FIFO) c->run.strategy = SIM_STRATEGY_RANDOM;
    if (c->run.schedule != NULL) return sim_cli_usage_error(c, "explore takes no --schedule", NULL);
    if (c->trace || c->tap || c->junit || c->html) {
        return sim_cli_usage_error(c, "explore writes results as text or --json only", NULL);
    }
    return -1;
}

/* Exhaustive: one scenario per thread; seeds: the threads share each scenario. */
static void explore_all(sim_cli *c, scenario_job *jobs, size_t count)
{
    if (!c->exhaustive || c->jobs <= 1) {
        for (size_t i = 0; i < count; i++) {
            explore_file(&jobs[i]);
            print_explored(c, &jobs[i]);
        }
        return;
    }
    for (size_t base = 0; base < count; base += c->jobs) {
        pthread_t tid[256];
        size_t n = count - base < c->jobs ? count - base : c->jobs;
        size_t started = 0;
        for (size_t k = 1; k < n; k++) {
            if (pthread_create(&tid[k], NULL, files_worker, &jobs[base + k]) != 0) break;
            started = k;
        }
        explore_file(&jobs[base]);
        for (size_t k = started + 1; k < n; k++) explore_file(&jobs[base + k]);
        for (size_t k = 1; k <= started; k++) pthread_join(tid[k], NULL);
        for (size_t k = 0; k < n; k++) print_explored(c, &jobs[base + k]);
    }
}

int sim_cli_explore(sim_cli *c, int argc, char **argv)
{
    int code = sim_cli_parse(c, argc, argv, SIM_OPT_RUN | SIM_OPT_REPORT | SIM_OPT_EXPLORE,
                             sim_cli_usage());
    if (code >= 0) return code;
    code = check_options(c);
    if (code >= 0) return code;
    c->use_color = sim_cli_color_wanted(c);
    sim_file_list files = {0};
    code = sim_cli_collect(c, &files);
    if (code >= 0) return code;
    scenario_job *jobs = calloc(files.count + 1, sizeof *jobs);
    size_t count = 0;
    for (size_t i = 0; jobs != NULL && i < files.count; i++) {
        if (c->exhaustive && i % c->shard_count != c->shard_index) continue;
        jobs[count++] = (scenario_job){.c = c, .path = files.items[i]};
    }
    explore_all(c, jobs, count);
    uint32_t passed = 0, failed = 0, skipped = 0, errors = 0;
    for (size_t i = 0; i < count; i++) {
        scenario_job *j = &jobs[i];
        if (!j->loaded || j->result.verdict == SIM_VERDICT_ERROR) errors++;
        else if (j->result.verdict == SIM_VERDICT_SKIP) skipped++;
        else if (j->stats.failures > 0 || j->stats.error) failed++;
        else passed++;
    }
    fprintf(c->out, "%u passed, %u failed, %u skipped\n", passed, failed + errors, skipped);
    for (size_t i = 0; i < count; i++) {
        sim_result_free(&jobs[i].result);
        sim_hashset_fini(&jobs[i].stats.hashes);
        free(jobs[i].ex);
    }
    free(jobs);
    sim_cli_files_free(&files);
    if (errors > 0) return SIM_EXIT_USAGE;
    return failed > 0 ? SIM_EXIT_FAILED : SIM_EXIT_OK;
}
