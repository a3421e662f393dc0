/* sim_explore_run.c — see sim_explore_run.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim_explore_run.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_census.h"
#include "sim_explain.h"
#include "sim_util.h"

#define NO_SEED UINT64_MAX
#define JOBS_MAX 256u

typedef struct explore_stats {
    uint64_t runs;
    uint64_t failures;
    uint64_t first_fail_index; /* seed index, NO_SEED */
    uint64_t first_pass_index; /* seed index, NO_SEED */
    bool error;                /* the model could not run */
    sim_hashset hashes;        /* distinct traces */
    sim_census census;         /* plan->census: outcomes per step (else empty) */
} explore_stats;

typedef struct seeds_job {
    const sim_explore_plan *plan;
    const sim_scenario *sc;
    const sim_compiled *compiled;
    uint64_t first_index; /* seed indices this worker takes: first, first + step, ... */
    uint64_t step;
    explore_stats stats;
    atomic_uint_fast64_t *progress;
    atomic_bool finished;
} seeds_job;

sim_explore_plan sim_explore_plan_default(void)
{
    sim_explore_plan p = {.run = sim_run_options_default(), .seeds = 1000, .depth = 200,
                          .schedules = 100000, .jobs = 1, .shard_count = 1};
    p.run.strategy = SIM_STRATEGY_RANDOM;
    return p;
}

bool sim_explore_plan_validate(const sim_explore_plan *p)
{
    if (p == NULL || p->jobs < 1 || p->jobs > JOBS_MAX || p->shard_count < 1) return false;
    if (p->shard_index >= p->shard_count) return false;
    if (p->exhaustive) return p->depth >= 1 && p->depth <= 1024 && p->schedules >= 1;
    return p->seeds >= 1 && (p->run.strategy == SIM_STRATEGY_RANDOM || p->run.strategy == SIM_STRATEGY_PCT);
}

/* One run on the session's world, observed and checked: true when it passed. */
static bool run_checked(const sim_scenario *sc, sim_model_session *session, const sim_run_options *opt,
                        explore_stats *st)
{
    assert(sc != NULL && opt != NULL && st != NULL);
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
    sim_hashset_insert(&st->hashes, obs->trace_hash);
    sim_census_add(&st->census, sc, obs);
    sim_result_free(&r);
    return !failed;
}

/* A worker: every step-th seed index from first_index, this shard's only. */
static void *seeds_worker(void *arg)
{
    seeds_job *job = arg;
    const sim_explore_plan *plan = job->plan;
    assert(plan->shard_count >= 1 && job->step >= 1);
    sim_run_options opt = plan->run;
    opt.trace_line = NULL;
    opt.keep_obs = false;
    sim_model_session *session = sim_model_session_new(job->compiled, &opt);
    for (uint64_t i = job->first_index; i < plan->seeds; i += job->step) {
        if (i % plan->shard_count != plan->shard_index) continue;
        opt.seed = plan->run.seed + i;
        if (!run_checked(job->sc, session, &opt, &job->stats)) {
            job->stats.failures++;
            if (i < job->stats.first_fail_index) job->stats.first_fail_index = i;
            if (plan->stop_at_failure) break;
        } else if (i < job->stats.first_pass_index) {
            job->stats.first_pass_index = i;
        }
        atomic_fetch_add(job->progress, 1);
    }
    sim_model_session_free(session);
    atomic_store(&job->finished, true);
    return NULL;
}

static void merge(explore_stats *into, explore_stats *from)
{
    into->runs += from->runs;
    into->failures += from->failures;
    into->error = into->error || from->error;
    if (from->first_fail_index < into->first_fail_index) into->first_fail_index = from->first_fail_index;
    if (from->first_pass_index < into->first_pass_index) into->first_pass_index = from->first_pass_index;
    for (uint64_t i = 0; i < from->hashes.capacity; i++) {
        if (from->hashes.slots[i] != 0) sim_hashset_insert(&into->hashes, from->hashes.slots[i]);
    }
    sim_hashset_fini(&from->hashes);
    sim_census_merge(&into->census, &from->census);
    sim_census_fini(&from->census);
}

/* Empty stats; with the census when the plan asks for it (false: out of memory). */
static bool stats_init(explore_stats *st, const sim_explore_plan *plan, const sim_scenario *sc)
{
    memset(st, 0, sizeof *st);
    st->first_fail_index = NO_SEED;
    st->first_pass_index = NO_SEED;
    return !plan->census || sim_census_init(&st->census, sc->step_count);
}

static bool all_finished(seeds_job *job, uint32_t jobs)
{
    for (uint32_t k = 0; k < jobs; k++) {
        if (!atomic_load(&job[k].finished)) return false;
    }
    return true;
}

/* Seeds over plan->jobs threads; the calling thread reports progress while they run. */
static void explore_seeds(const sim_explore_plan *plan, const sim_scenario *sc, const sim_compiled *compiled,
                          explore_stats *total)
{
    uint32_t jobs = plan->jobs;
    assert(jobs >= 1 && jobs <= JOBS_MAX);
    seeds_job job[JOBS_MAX];
    pthread_t tid[JOBS_MAX];
    bool running[JOBS_MAX];
    atomic_uint_fast64_t done = 0;
    for (uint32_t k = 0; k < jobs; k++) {
        job[k] = (seeds_job){.plan = plan, .sc = sc, .compiled = compiled, .first_index = k, .step = jobs,
                             .progress = &done};
        if (!stats_init(&job[k].stats, plan, sc)) job[k].stats.error = true;
        atomic_init(&job[k].finished, false);
    }
    uint64_t mine = (plan->seeds + plan->shard_count - 1 - plan->shard_index) / plan->shard_count;
    for (uint32_t k = 0; k < jobs; k++) {
        running[k] = pthread_create(&tid[k], NULL, seeds_worker, &job[k]) == 0;
        if (!running[k]) seeds_worker(&job[k]); /* no thread: do it here */
    }
    while (plan->progress != NULL && !all_finished(job, jobs)) { /* the workers end by themselves */
        plan->progress(plan->progress_ctx, atomic_load(&done), mine);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    for (uint32_t k = 0; k < jobs; k++) {
        if (running[k]) pthread_join(tid[k], NULL);
    }
    for (uint32_t k = 0; k < jobs; k++) merge(total, &job[k].stats);
}

typedef struct exhaustive_ctx {
    const sim_explore_plan *plan;
    const sim_scenario *sc;
    sim_model_session *session;
    explore_stats stats;
} exhaustive_ctx;

/* One schedule of the exhaustive search. */
static bool exhaustive_run(void *user, const cm_strategy *strategy, void *ctx)
{
    exhaustive_ctx *x = user;
    assert(x != NULL && strategy != NULL);
    sim_run_options opt = x->plan->run;
    opt.trace_line = NULL;
    opt.keep_obs = false;
    opt.custom = strategy;
    opt.custom_ctx = ctx;
    return run_checked(x->sc, x->session, &opt, &x->stats);
}

/* Symmetry: the census's steps over their class (sim_census_fold); out of memory is an error. */
static void fold(const sim_scenario *sc, const sim_compiled *compiled, explore_stats *st)
{
    assert(sc != NULL && compiled != NULL && st != NULL);
    uint32_t *rep = malloc(((size_t)sc->step_count + 1) * sizeof *rep);
    if (rep != NULL && sim_symmetry_reps(sc, &compiled->cfg, rep, NULL)) {
        sim_census_fold(&st->census, rep);
    } else {
        st->error = true;
    }
    free(rep);
}

static void explore_exhaustive(const sim_explore_plan *plan, const sim_scenario *sc, const sim_compiled *compiled,
                               explore_stats *stats, sim_exhaustive_result *ex)
{
    sim_run_options opt = plan->run;
    opt.track_history = true; /* prune only states with the same past */
    opt.track_symmetry = plan->symmetry && !plan->no_reduction;
    exhaustive_ctx x = {.plan = plan, .sc = sc, .session = sim_model_session_new(compiled, &opt),
                        .stats = *stats}; /* moved in and out */
    sim_exhaustive_limits lim = {.depth_max = plan->depth, .schedules_max = plan->schedules,
                                 .prune_states = true, .stop_at_failure = plan->stop_at_failure,
                                 .reduce = !plan->no_reduction, .symmetry = opt.track_symmetry};
    if (x.session == NULL || !sim_explore_exhaustive(exhaustive_run, &x, &lim, ex)) x.stats.error = true;
    if (lim.symmetry && plan->census && !x.stats.error) fold(sc, compiled, &x.stats);
    *stats = x.stats;
    stats->failures = ex->failures;
    sim_model_session_free(x.session);
}

/* The first failing run again, in full, for its failures and replay command. */
static void representative(const sim_explore_plan *plan, const sim_scenario *sc, const explore_stats *st,
                           const sim_exhaustive_result *ex, sim_result *out)
{
    sim_run_options opt = plan->run;
    opt.trace_line = NULL;
    if (plan->exhaustive) {
        opt.strategy = SIM_STRATEGY_SCHEDULE;
        opt.schedule = ex->failing;
        opt.schedule_count = ex->failing_count;
    } else {
        opt.seed = plan->run.seed + st->first_fail_index;
    }
    sim_run_model(sc, &opt, out);
    if (out->verdict == SIM_VERDICT_PASS) { /* the model is deterministic: this is a bug in portsim */
        sim_result_add_failure(out, SIM_FAIL_RUN, sc->loc.line, sc->loc.col,
                               "the failing schedule passed when run again (nondeterminism)", NULL, NULL);
    }
}

/*
 * For the HTML report (plan->run.keep_obs): a passing run drawn beside the failing one, with the
 * calls whose outcomes differ. `passed` is the first schedule's result when it passed (its
 * observation is taken); else the first passing seed is run again. The exhaustive search keeps
 * no passing schedule but its first (fifo), so a search whose fifo run fails has none to show.
 */
static void keep_passing(const sim_explore_plan *plan, const sim_scenario *sc, const explore_stats *st,
                         sim_result *passed, sim_result *out)
{
    assert(plan != NULL && sc != NULL && st != NULL && out != NULL);
    assert(out->beside.obs == NULL);
    sim_result again;
    sim_result_init(&again);
    char how[120] = "";
    if (passed != NULL && passed->verdict == SIM_VERDICT_PASS && passed->obs != NULL) {
        snprintf(how, sizeof how, plan->exhaustive ? "the first schedule (fifo), which passes"
                                                   : "seed %llu, the first this shard explored, which passes",
                 (unsigned long long)(plan->run.seed + plan->shard_index));
    } else if (!plan->exhaustive && st->first_pass_index != NO_SEED) {
        sim_run_options opt = plan->run;
        opt.trace_line = NULL;
        opt.seed = plan->run.seed + st->first_pass_index;
        sim_run_model(sc, &opt, &again);
        passed = &again;
        snprintf(how, sizeof how, "seed %llu, the first passing one", (unsigned long long)opt.seed);
    }
    if (how[0] != '\0' && passed->verdict == SIM_VERDICT_PASS && passed->obs != NULL && out->obs != NULL) {
        sim_explain_plan compare = sim_explain_plan_default();
        sim_explain_beside(&out->beside, sc, &compare, out->obs, &passed->obs, how, "failing", "passing");
    }
    sim_result_free(&again);
    assert(sim_beside_validate(&out->beside, out->obs));
}

/* What the exploration covered, in the result. */
static void describe(const sim_explore_plan *plan, const explore_stats *st, const sim_exhaustive_result *ex,
                     sim_result *out)
{
    sim_explored *x = &out->explored;
    x->runs = st->runs;
    x->failing_runs = st->failures;
    x->distinct_traces = st->hashes.count;
    x->latency = plan->run.explore_latency;
    if (plan->exhaustive) {
        x->method = "exhaustive";
        x->states = ex->states;
        x->complete = ex->complete;
        x->cut_by_depth = ex->cut_by_depth;
        x->cut_by_schedules = ex->cut_by_schedules;
    } else {
        x->method = sim_strategy_name(plan->run.strategy);
        x->first_seed = plan->run.seed;
        x->has_failing_seed = st->first_fail_index != NO_SEED;
        x->failing_seed = x->has_failing_seed ? plan->run.seed + st->first_fail_index : 0;
    }
    if (st->error) {
        sim_result_add_failure(out, SIM_FAIL_RUN, out->line, out->col,
                               "the model could not run every schedule (out of memory)", NULL, NULL);
        out->verdict = SIM_VERDICT_ERROR;
    }
}

/* The census of the schedules, with conform's model runs as the other account (false: out of memory). */
static bool census(const sim_explore_plan *plan, const sim_scenario *sc, const sim_census *counts, sim_result *out)
{
    sim_allowed_plan ap = sim_census_account_plan(plan->run.profile, plan->run.max_latency_ns);
    sim_allowed_set account;
    bool made = sim_allowed_explore(sc, &ap, &account);
    sim_census_how how = {.method = plan->exhaustive ? "exhaustive" : sim_strategy_name(plan->run.strategy),
                          .latency = plan->run.explore_latency, .strict = plan->strict};
    bool ok = sim_census_describe(counts, sc, made ? &account : NULL, &how, out);
    sim_allowed_set_free(&account);
    return ok;
}

void sim_explore_scenario(const sim_scenario *sc, const sim_explore_plan *plan, sim_result *out)
{
    assert(sc != NULL && out != NULL);
    assert(sim_explore_plan_validate(plan));
    sim_run_options first = plan->run; /* the first schedule explored: same verdict */
    first.trace_line = NULL;
    if (plan->exhaustive) first.strategy = SIM_STRATEGY_FIFO; /* the search's first path */
    else first.seed = plan->run.seed + plan->shard_index;     /* this shard's first seed */
    sim_run_model(sc, &first, out); /* skip decisions, identity, a first run */
    if (out->verdict == SIM_VERDICT_SKIP || out->verdict == SIM_VERDICT_ERROR) return;
    sim_compiled compiled;
    char err[256];
    if (!sim_compile(sc, plan->run.profile, &compiled, err, sizeof err)) return; /* run_model said so */
    explore_stats st;
    if (!stats_init(&st, plan, sc)) st.error = true;
    sim_exhaustive_result *ex = plan->exhaustive ? calloc(1, sizeof *ex) : NULL;
    if (plan->exhaustive && ex == NULL) {
        st.error = true;
    } else if (plan->exhaustive) {
        explore_exhaustive(plan, sc, &compiled, &st, ex);
    } else {
        explore_seeds(plan, sc, &compiled, &st);
    }
    if (st.failures > 0) {
        sim_result first_run = *out; /* kept for the report: a passing run to draw beside the failing one */
        sim_result_init(out);
        representative(plan, sc, &st, ex, out);
        if (plan->run.keep_obs) keep_passing(plan, sc, &st, &first_run, out);
        sim_result_free(&first_run);
    } else if (out->verdict == SIM_VERDICT_FAIL && !st.error) { /* the same run passed in the search */
        sim_result_add_failure(out, SIM_FAIL_RUN, sc->loc.line, sc->loc.col,
                               "the first schedule failed alone but passed in the search (nondeterminism)", NULL,
                               NULL);
    }
    describe(plan, &st, ex, out);
    if (plan->census && !st.error && !census(plan, sc, &st.census, out)) {
        sim_result_add_failure(out, SIM_FAIL_RUN, out->line, out->col, "the census ran out of memory", NULL, NULL);
        out->verdict = SIM_VERDICT_ERROR;
    }
    sim_hashset_fini(&st.hashes);
    sim_census_fini(&st.census);
    free(ex);
    sim_compiled_free(&compiled);
    assert(sim_result_validate(out));
}
