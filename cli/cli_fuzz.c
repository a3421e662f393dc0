/*
 * cli_fuzz.c — `portsim fuzz`: scenarios generated from seeds
 * (sim/sim_gen.h), each given the model's allowed outcomes as expect: lines
 * (sim/sim_allowed.h), then checked:
 *
 *   model only   the generator is deterministic and its text loads; the
 *                model is deterministic (two fifo runs, one hash); the
 *                annotated scenario passes its fifo run; no invariant fails
 *                in any of --explore random schedules.
 *   --backend    the annotated scenario against a real implementation
 *                (conformance/conf_suite.h); a failure is run again
 *                (--repeat, at least 3 runs in all): failing every time is a
 *                divergence, failing sometimes a flake (counted, not kept); a
 *                run whose every failure is timing-sensitive (a call ending
 *                within the tolerance of its deadline) is no evidence either.
 *
 * A finding is saved once, as DIR/SIGNATURE.yaml (the annotated scenario
 * with a header: what failed, and the command that reproduces it); the
 * signature is a digest of what failed with every number taken out, so the
 * same bug found from two seeds (or by two shards sharing DIR) is one file.
 * Seeds run -j at a time; results are taken in seed order, so what is found
 * does not depend on -j.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim_gen.h"

#define FUZZ_BATCH 64u
#define FUZZ_MODEL_SEEDS 16u   /* random schedules the model-only check explores */
#define FUZZ_MIN_RUNS 3u       /* a backend divergence must fail this many runs in a row */

typedef enum fuzz_verdict {
    FUZZ_OK = 0,
    FUZZ_FINDING = 1,
    FUZZ_FLAKY = 2,   /* failed on the backend, not every time */
    FUZZ_SKIPPED = 3, /* the backend cannot run it (a capability it lacks), or the model's
                       * nesting bound decides an outcome (sim_allowed_set.nesting_bound_runs) */
    FUZZ_TIMING = 4,  /* failed only at a deadline, within the tolerance: not evidence of a bug */
} fuzz_verdict;

typedef struct fuzz_case {
    uint64_t seed;
    uint32_t features;
    uint8_t verdict;   /* fuzz_verdict */
    char *yaml;        /* the annotated scenario */
    char *what;        /* a finding: one line */
    char *signature;   /* a finding: 16 hex digits with a prefix */
    uint32_t outcomes[CM_OP_KIND_COUNT][8]; /* per op, results reached (status 0..-5, bool, created) */
} fuzz_case;

typedef struct fuzz_run {
    cli_ctx *c;
    conf_suite *suite; /* NULL: model only */
    const char *backend;
    sim_gen_options gen;
    uint32_t expect_runs;
    uint32_t repeat;
    fuzz_case *cases;
    /* totals, taken in seed order */
    uint64_t done, findings, new_findings, flaky, skipped, timing;
    uint64_t feature_seeds[SIM_GEN_FEATURE_COUNT];
    uint64_t outcomes[CM_OP_KIND_COUNT][8];
    uint64_t started_ns, last_progress_ns;
    bool progress;
    char work_dir[4096]; /* backend runs: where each scenario is written for its run */
} fuzz_run;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* A digest of what failed with the numbers taken out: the same bug from two seeds is one signature. */
static char *signature_of(const char *prefix, const char *text)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    bool in_number = false;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        bool digit = isdigit(*p) != 0;
        if (digit && in_number) continue;
        unsigned char ch = digit ? '#' : *p;
        in_number = digit;
        h = (h ^ ch) * UINT64_C(0x100000001b3);
    }
    return sim_strdup_printf("%s-%016llx", prefix, (unsigned long long)h);
}

static void found(fuzz_case *k, const char *prefix, const char *what, const char *key)
{
    assert(k->verdict == FUZZ_OK);
    k->verdict = FUZZ_FINDING;
    k->what = sim_strdup(what);
    k->signature = signature_of(prefix, key != NULL ? key : what);
}

/* The first failure of a result, as one line (and the key its signature is made from). */
static char *failure_line(const sim_result *r, bool with_numbers)
{
    if (r->failure_count == 0) return sim_strdup(sim_verdict_name(r->verdict));
    const sim_failure *f = &r->failures[0];
    if (with_numbers) {
        return sim_strdup_printf("%u:%u: %s: expected %s, observed %s", f->line, f->col, f->message,
                                 f->expected ? f->expected : "-", f->observed ? f->observed : "-");
    }
    return sim_strdup_printf("%s|%s|%s", f->message, f->expected ? f->expected : "-", f->observed ? f->observed : "-");
}

/* Outcomes reached per operation, from the allowed sets (a coverage census). */
static void census(fuzz_case *k, const sim_scenario *sc, const sim_allowed_set *a)
{
    for (uint32_t s = 0; s < sc->step_count; s++) {
        uint8_t op = sc->steps[s].op;
        const sim_allowed *x = &a->allowed[s];
        for (uint32_t i = 0; i < x->count && op < CM_OP_KIND_COUNT; i++) {
            int32_t v = x->values[i];
            uint32_t slot = v <= 0 && v >= -5 ? (uint32_t)-v : v == 1 ? 6 : 7; /* 0..-5, true/created, other */
            k->outcomes[op][slot]++;
        }
    }
}

/* Writes text to path (whole, or false). */
static bool write_text(const char *path, const char *text)
{
    assert(path != NULL && text != NULL);
    FILE *f = fopen(path, "w");
    if (f == NULL) return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* Why a text did not load, as one line: the loader's first error (malloc'd). */
static char *load_error(const sim_diag *d)
{
    assert(d != NULL);
    return d->count > 0 ? sim_strdup_printf("%u:%u: %s", d->entries[0].line, d->entries[0].col, d->entries[0].message)
                        : sim_strdup("does not load");
}

static bool load_text(const char *name, const char *text, sim_scenario *sc, char **why)
{
    sim_diag d;
    sim_diag_init(&d, name);
    bool ok = sim_load_buffer(name, (const uint8_t *)text, strlen(text), sc, &d);
    if (!ok) *why = load_error(&d);
    sim_diag_fini(&d);
    return ok;
}

/* The model-only checks of an annotated scenario. */
static void check_model(fuzz_case *k, const sim_scenario *sc, uint8_t profile)
{
    sim_run_options ro = sim_run_options_default();
    ro.profile = profile;
    sim_result a, b;
    sim_run_model(sc, &ro, &a);
    sim_run_model(sc, &ro, &b);
    if (a.trace_hash != b.trace_hash || a.event_count != b.event_count) {
        found(k, "model-nondeterminism", "the model is not deterministic: two fifo runs, two trace hashes", NULL);
    } else if (a.verdict != SIM_VERDICT_PASS) {
        char *line = failure_line(&a, true);
        char *key = failure_line(&a, false);
        char *what = sim_strdup_printf("the fifo run fails the expectations the model gave: %s", line);
        found(k, "model-fifo", what, key);
        free(what);
        free(line);
        free(key);
    }
    sim_result_free(&a);
    sim_result_free(&b);
    for (uint32_t i = 0; k->verdict == FUZZ_OK && i < FUZZ_MODEL_SEEDS; i++) {
        ro.strategy = SIM_STRATEGY_RANDOM;
        ro.seed = k->seed * 7919u + i;
        sim_result r;
        sim_run_model(sc, &ro, &r);
        for (uint32_t f = 0; f < r.failure_count; f++) {
            const sim_failure *x = &r.failures[f];
            if (x->kind != SIM_FAIL_INVARIANT && x->kind != SIM_FAIL_RUN) continue; /* a new outcome: not a bug */
            char *what = sim_strdup_printf("random seed %llu: %u:%u: %s: %s (%s)", (unsigned long long)ro.seed,
                                           x->line, x->col, sim_failure_kind_name(x->kind), x->message,
                                           x->observed ? x->observed : "-");
            found(k, "model-invariant", what, x->message);
            free(what);
            break;
        }
        sim_result_free(&r);
    }
}

/*
 * Model against model: the annotated scenario (the expectations of one profile) in the fifo
 * order under another. The fifo run is among those that made the expectations, so a failure
 * here is the profiles' difference, not a schedule the expectations did not see.
 */
static void check_profile(fuzz_case *k, const sim_scenario *sc, uint8_t base, uint8_t against)
{
    assert(against != 0 && k->verdict == FUZZ_OK);
    sim_run_options ro = sim_run_options_default();
    ro.profile = against;
    sim_result r;
    sim_run_model(sc, &ro, &r);
    if (r.verdict == SIM_VERDICT_FAIL) {
        char *line = failure_line(&r, true);
        char *key = failure_line(&r, false);
        char *what = sim_strdup_printf("profile %s differs from %s: %s", cm_profile_name(against),
                                       cm_profile_name(base != 0 ? base : CM_PROFILE_VENTURA), line);
        char prefix[48];
        snprintf(prefix, sizeof prefix, "profile-%s", cm_profile_name(against));
        found(k, prefix, what, key);
        free(what);
        free(line);
        free(key);
    }
    sim_result_free(&r);
}

/* The annotated scenario against the backend: failing every run is a divergence. */
static void check_backend(fuzz_run *x, fuzz_case *k, const sim_scenario *sc)
{
    uint32_t runs = x->repeat > FUZZ_MIN_RUNS ? x->repeat : FUZZ_MIN_RUNS;
    uint32_t failed = 0, made = 0, timing_only = 0;
    char *first = NULL, *key = NULL;
    for (uint32_t i = 0; i < runs; i++) {
        sim_result r;
        conf_suite_run_scenario(x->suite, sc, &r);
        made++;
        if (r.verdict == SIM_VERDICT_SKIP) {
            sim_result_free(&r);
            k->verdict = FUZZ_SKIPPED;
            break;
        }
        bool bad = r.verdict == SIM_VERDICT_FAIL || r.verdict == SIM_VERDICT_ERROR;
        timing_only += bad && r.rt.timing_failures > 0 && r.rt.timing_failures >= r.failure_count;
        if (bad && first == NULL) {
            first = failure_line(&r, true);
            key = failure_line(&r, false);
        }
        failed += bad;
        sim_result_free(&r);
        if (!bad) break; /* a pass: nothing to confirm (or, after failures, a flake) */
    }
    if (k->verdict == FUZZ_OK && failed > 0 && timing_only == failed) {
        k->verdict = FUZZ_TIMING;
    } else if (k->verdict == FUZZ_OK && failed == made && failed > 0) {
        char *what = sim_strdup_printf("%s diverges from the model (%u of %u runs): %s", x->backend, failed, made, first);
        char prefix[48];
        snprintf(prefix, sizeof prefix, "%s", x->backend);
        found(k, prefix, what, key);
        free(what);
    } else if (k->verdict == FUZZ_OK && failed > 0) {
        k->verdict = FUZZ_FLAKY;
    }
    free(first);
    free(key);
}

/* One seed, end to end (runs on a worker thread: touches only its own case). */
static void fuzz_one(fuzz_run *x, fuzz_case *k)
{
    k->features = sim_gen_features_of(k->seed, &x->gen);
    char *text = sim_gen_scenario(k->seed, &x->gen);
    char *again = sim_gen_scenario(k->seed, &x->gen);
    char name[64];
    snprintf(name, sizeof name, "gen-%016llx.yaml", (unsigned long long)k->seed);
    if (text == NULL || again == NULL) {
        found(k, "gen-nomem", "out of memory generating", NULL);
    } else if (strcmp(text, again) != 0) {
        found(k, "gen-nondeterminism", "the generator gave two texts for one seed", NULL);
    }
    free(again);
    sim_scenario sc;
    char *why = NULL;
    if (k->verdict == FUZZ_OK && !load_text(name, text, &sc, &why)) {
        char *what = sim_strdup_printf("the generated scenario does not load: %s", why);
        found(k, "gen-invalid", what, why);
        free(what);
        k->yaml = text;
        text = NULL;
    }
    free(why);
    if (k->verdict != FUZZ_OK) {
        free(text);
        return;
    }
    sim_allowed_plan plan = sim_gen_allowed_plan(k->seed, x->expect_runs, x->c->a.profile, x->c->a.tolerance_ms,
                                                 x->c->a.tolerance_pct);
    sim_allowed_set allowed;
    /* against a backend the scenario is a file, as every conform run's is (a world agent is
     * sent the file itself): DIR/.work-PID/gen-SEED.yaml, removed after the case; the annotated
     * scenario is the one that file loads as (built from sc without parsing it again) */
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", x->work_dir, name);
    sim_scenario annotated;
    sim_diag d;
    sim_diag_init(&d, x->suite != NULL ? path : name);
    sim_gen_load_how how = SIM_GEN_NOT_LOADED;
    /* results, and replies / names all runs agree on */
    k->yaml = sim_gen_annotate_load(text, &sc, &plan, &allowed, x->suite != NULL ? path : name, &annotated, &d, &how);
    if (!allowed.ok) {
        found(k, "model-run", allowed.error, NULL);
    } else {
        census(k, how == SIM_GEN_BUILT ? &annotated : &sc, &allowed); /* the same steps */
    }
    /* A real implementation nests on without a bound: against it such a scenario proves
     * nothing (fuzz seeds 6224, 6802 had the model kill a server 7 callouts deep). */
    bool beyond_model = allowed.ok && allowed.nesting_bound_runs > 0;
    sim_allowed_set_free(&allowed);
    sim_scenario_free(&sc);
    free(text);
    bool on_disk = k->verdict == FUZZ_OK && k->yaml != NULL && x->suite != NULL && write_text(path, k->yaml);
    if (k->verdict == FUZZ_OK && k->yaml != NULL && x->suite != NULL && !on_disk) {
        found(k, "fuzz-io", "cannot write the scenario for the backend run", NULL);
    } else if (k->verdict == FUZZ_OK && k->yaml != NULL && how == SIM_GEN_NOT_LOADED) {
        why = load_error(&d);
        char *what = sim_strdup_printf("the scenario with the model's expectations does not load: %s", why);
        found(k, "gen-expect-invalid", what, why);
        free(what);
        free(why);
    }
    sim_diag_fini(&d);
    if (k->verdict != FUZZ_OK || k->yaml == NULL) {
        if (how != SIM_GEN_NOT_LOADED) sim_scenario_free(&annotated);
        if (on_disk) unlink(path);
        return;
    }
    check_model(k, &annotated, x->c->a.profile);
    if (k->verdict == FUZZ_OK && x->c->a.against_profile != 0) {
        check_profile(k, &annotated, x->c->a.profile, x->c->a.against_profile);
    }
    if (k->verdict == FUZZ_OK && x->suite != NULL && beyond_model) k->verdict = FUZZ_SKIPPED;
    if (k->verdict == FUZZ_OK && x->suite != NULL) check_backend(x, k, &annotated);
    sim_scenario_free(&annotated);
    if (on_disk) unlink(path);
}

static void fuzz_task(void *ctx, uint32_t i)
{
    fuzz_run *x = ctx;
    fuzz_one(x, &x->cases[i]);
}

/* DIR/SIGNATURE.yaml, unless a shard or an earlier seed wrote it: true when written now. */
static bool save_finding(fuzz_run *x, const fuzz_case *k)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", x->c->a.output, k->signature);
    if (access(path, F_OK) == 0) return false;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(x->c->err, "portsim: fuzz: cannot write %s\n", tmp);
        return false;
    }
    fprintf(f, "# portsim fuzz finding %s (seed %llu)\n# %s\n", k->signature, (unsigned long long)k->seed, k->what);
    if (strncmp(k->signature, "profile-", 8) == 0) { /* model against model: the fifo run */
        fprintf(f, "# reproduce: portsim run --profile %s %s\n", cm_profile_name(x->c->a.against_profile), path);
    } else if (x->suite != NULL) {
        fprintf(f, "# reproduce: portsim conform --backend %s --repeat 3 %s\n", x->backend, path);
    } else {
        fprintf(f, "# reproduce: portsim explore --seeds %u %s\n", FUZZ_MODEL_SEEDS * 4, path);
    }
    fputs(k->yaml != NULL ? k->yaml : "", f);
    bool ok = fclose(f) == 0;
    /* link, not rename: a shard that got there first keeps its file */
    ok = ok && link(tmp, path) == 0;
    unlink(tmp);
    return ok;
}

static void fuzz_done(void *ctx, uint32_t i)
{
    fuzz_run *x = ctx;
    fuzz_case *k = &x->cases[i];
    x->done++;
    for (uint32_t f = 0; f < SIM_GEN_FEATURE_COUNT; f++) x->feature_seeds[f] += (k->features >> f) & 1u;
    for (uint32_t op = 0; op < CM_OP_KIND_COUNT; op++) {
        for (uint32_t s = 0; s < 8; s++) x->outcomes[op][s] += k->outcomes[op][s];
    }
    if (k->verdict == FUZZ_FLAKY) x->flaky++;
    if (k->verdict == FUZZ_SKIPPED) x->skipped++;
    if (k->verdict == FUZZ_TIMING) x->timing++;
    if (k->verdict == FUZZ_FINDING) {
        x->findings++;
        bool fresh = save_finding(x, k);
        x->new_findings += fresh;
        if (x->progress) fputs("\r\033[K", x->c->err);
        fprintf(x->c->out, "FINDING  %s  seed %llu%s\n    %s\n", k->signature, (unsigned long long)k->seed,
                fresh ? "" : "  (known)", k->what);
        if (fresh) fprintf(x->c->out, "    saved: %s/%s.yaml\n", x->c->a.output, k->signature);
        fflush(x->c->out); /* a campaign piped to a log (or bench/fuzz/mutants.sh) sees each finding at once */
    }
    uint64_t now = now_ns();
    if (x->progress && now - x->last_progress_ns > UINT64_C(200000000)) {
        x->last_progress_ns = now;
        double s = (double)(now - x->started_ns) / 1e9;
        fprintf(x->c->err, "\rfuzz: %llu runs (%.0f/s), %llu findings   ", (unsigned long long)x->done,
                s > 0 ? (double)x->done / s : 0.0, (unsigned long long)x->findings);
        fflush(x->c->err);
    }
    free(k->yaml);
    free(k->what);
    free(k->signature);
    memset(k, 0, sizeof *k);
}

static void summary(const fuzz_run *x)
{
    FILE *out = x->c->out;
    double s = (double)(now_ns() - x->started_ns) / 1e9;
    fprintf(out,
            "fuzz: %llu scenarios in %.1f s (%.0f/s) on %s: %llu findings (%llu new), %llu flaky, %llu at a deadline "
            "only, %llu skipped\n",
            (unsigned long long)x->done, s, s > 0 ? (double)x->done / s : 0.0,
            x->suite != NULL ? x->backend : "the model alone", (unsigned long long)x->findings,
            (unsigned long long)x->new_findings, (unsigned long long)x->flaky, (unsigned long long)x->timing,
            (unsigned long long)x->skipped);
    fprintf(out, "features (scenarios using each):");
    for (uint32_t f = 0; f < SIM_GEN_FEATURE_COUNT; f++) {
        fprintf(out, " %s %llu", sim_gen_feature_name(f), (unsigned long long)x->feature_seeds[f]);
    }
    static const char *const slot_names[8] = {"0", "-1", "-2", "-3", "-4", "-5", "true", "other"};
    fprintf(out, "\noutcomes reached (send statuses):");
    for (uint32_t i = 0; i < 6; i++) fprintf(out, " %s:%llu", slot_names[i], (unsigned long long)x->outcomes[CM_OP_SEND][i]);
    fprintf(out, "\n");
}

/* Seeds of this shard: seed, seed+1, ... whose index i has i % N == K. */
static uint64_t seed_at(const cli_args *a, uint64_t i)
{
    return a->seed + i * a->shard_count + a->shard_index;
}

int cli_cmd_fuzz(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    const cli_args *a = &c->a;
    if (c->path_count != 0) return cli_usage_error(c, "fuzz takes no PATH (it writes scenarios itself):", c->paths[0]);
    if (a->output == NULL) return cli_usage_error(c, "fuzz needs -o DIR (where findings are saved)", NULL);
    if (mkdir(a->output, 0777) != 0 && errno != EEXIST) {
        fprintf(c->err, "portsim: fuzz: cannot make %s: %s\n", a->output, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    fuzz_run x = {.c = c, .gen = sim_gen_options_default(), .expect_runs = a->expect_runs, .repeat = a->repeat};
    conf_options o;
    conf_suite suite;
    bool backend = a->backend != NULL || a->agent != NULL;
    if (backend) {
        int code = cli_conform_options(c, false, &o);
        if (code < 0) code = cli_open_suite(c, &suite, &o);
        if (code >= 0) return code;
        x.suite = &suite;
        x.backend = o.backend->name;
        snprintf(x.work_dir, sizeof x.work_dir, "%s/.work-%ld", a->output, (long)getpid());
        if (mkdir(x.work_dir, 0777) != 0 && errno != EEXIST) {
            fprintf(c->err, "portsim: fuzz: cannot make %s: %s\n", x.work_dir, strerror(errno));
            conf_suite_close(&suite);
            return CLI_EXIT_USAGE;
        }
        cli_print_agent(c, &suite.info, o.backend->name);
    }
    x.cases = calloc(FUZZ_BATCH, sizeof *x.cases);
    if (x.cases == NULL) return CLI_EXIT_USAGE;
    x.started_ns = now_ns();
    x.progress = isatty(fileno(c->err)) != 0;
    uint64_t deadline = a->time_s > 0 ? x.started_ns + (uint64_t)(a->time_s * 1e9) : UINT64_MAX;
    uint64_t runs = a->time_s > 0 && !a->runs_given ? UINT64_MAX : a->runs; /* --time alone: until then */
    /* Against a backend a scenario takes real time (a second or so): batches of -j, so --time
     * ends within one scenario of the deadline, not FUZZ_BATCH of them (a minute late). */
    uint32_t batch = backend ? (a->jobs < FUZZ_BATCH ? (a->jobs > 0 ? a->jobs : 1) : FUZZ_BATCH) : FUZZ_BATCH;
    for (uint64_t i = 0; i < runs && now_ns() < deadline && !(backend && conf_interrupted());) {
        uint32_t n = runs - i < batch ? (uint32_t)(runs - i) : batch;
        for (uint32_t j = 0; j < n; j++) x.cases[j].seed = seed_at(a, i + j);
        cli_parallel(n, a->jobs, NULL, fuzz_task, fuzz_done, &x);
        i += n;
    }
    if (x.progress) fputs("\r\033[K", c->err);
    summary(&x);
    free(x.cases);
    if (backend) {
        rmdir(x.work_dir);
        conf_suite_close(&suite);
        if (o.protocol_log != NULL) fclose(o.protocol_log);
        if (conf_interrupted()) return CLI_EXIT_INTERRUPTED;
    }
    return x.findings > 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
