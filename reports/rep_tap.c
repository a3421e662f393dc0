/* rep_tap.c — see rep_tap.h. */
#include "rep_tap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rep_failure.h"
#include "rep_text.h"

/* ---- the YAML diagnostic block ------------------------------------------------ */

static void yaml_string(FILE *out, const char *value)
{
    if (value == NULL) {
        fputc('~', out);
        return;
    }
    fputc('"', out);
    rep_put_max(out, value, REP_ESC_YAML, REP_TAP_VALUE_MAX);
    fputc('"', out);
}

static void yaml_key_string(FILE *out, const char *indent, const char *key, const char *value)
{
    fprintf(out, "%s%s: ", indent, key);
    yaml_string(out, value);
    fputc('\n', out);
}

/* One failure's fields at `indent`; `first` replaces the indent of the first line ("- "). */
static void yaml_failure(FILE *out, const char *indent, const char *first, const sim_result *r,
                         const sim_failure *f)
{
    fprintf(out, "%skind: %s\n", first, sim_failure_kind_name(f->kind));
    yaml_key_string(out, indent, "message", f->message);
    fprintf(out, "%sat:\n%s  file: ", indent, indent);
    yaml_string(out, r->file);
    fprintf(out, "\n%s  line: %u\n%s  column: %u\n", indent, f->line, indent, f->col);
    if (f->expected != NULL) yaml_key_string(out, indent, "expected", f->expected);
    if (f->observed != NULL) yaml_key_string(out, indent, "observed", f->observed);
    if (f->execution != SIM_RESULT_NONE) fprintf(out, "%sexecution: %u\n", indent, f->execution);
    if (f->time_ns != SIM_RESULT_NO_TIME) fprintf(out, "%stime_ns: %lld\n", indent, (long long)f->time_ns);
}

/* A list of strings under a key, nothing when empty. */
static void yaml_list(FILE *out, const char *key, char *const *items, uint32_t count)
{
    if (count == 0) return;
    fprintf(out, "  %s:\n", key);
    for (uint32_t i = 0; i < count; i++) {
        fputs("    - ", out);
        yaml_string(out, items[i]);
        fputc('\n', out);
    }
}

/* What ran and how; only the backend for a file that did not load. */
static void yaml_run(FILE *out, const sim_result *r)
{
    char text[40];
    yaml_key_string(out, "  ", "scenario", r->scenario);
    yaml_key_string(out, "  ", "backend", r->backend);
    if (r->scenario == NULL) return;
    fprintf(out, "  seed: %llu\n", (unsigned long long)r->seed);
    yaml_key_string(out, "  ", "strategy", r->strategy);
    yaml_key_string(out, "  ", "profile", r->profile);
    if (r->has_trace_hash) yaml_key_string(out, "  ", "trace_hash", rep_hash(r->trace_hash, text, sizeof text));
    fprintf(out, "  event_count: %llu\n  virtual_time_ns: %lld\n", (unsigned long long)r->event_count,
            (long long)r->virtual_time_ns);
    yaml_key_string(out, "  ", "end_reason", r->end_reason);
    if (r->replay != NULL) yaml_key_string(out, "  ", "replay", r->replay);
    const sim_realtime *rt = &r->rt;
    if (rt->runs > 0) {
        fprintf(out, "  runs: %u\n  failed_runs: %u\n  timing_failures: %u\n", rt->runs, rt->failed_runs,
                rt->timing_failures);
    }
    if (rt->has_margin) {
        fprintf(out, "  margin_ns: %lld\n  margin_line: %u\n", (long long)rt->margin_ns, rt->margin_line);
    }
    const sim_explored *x = &r->explored;
    if (x->runs > 0) {
        yaml_key_string(out, "  ", "explore_method", x->method);
        fprintf(out, "  explore_runs: %llu\n  explore_failing_runs: %llu\n", (unsigned long long)x->runs,
                (unsigned long long)x->failing_runs);
    }
    yaml_list(out, "notes", r->notes, r->note_count);
    yaml_list(out, "host_notes", rt->host_notes, rt->host_note_count);
}

static void yaml_block(FILE *out, const sim_result *r)
{
    fputs("  ---\n", out);
    char *summary = rep_failure_summary(r);
    yaml_key_string(out, "  ", "message", summary != NULL ? summary : "");
    free(summary);
    fprintf(out, "  severity: %s\n", r->verdict == SIM_VERDICT_ERROR ? "error" : "fail");
    if (r->failure_count > 0) {
        const sim_failure *f = &r->failures[0];
        fprintf(out, "  kind: %s\n  at:\n    file: ", sim_failure_kind_name(f->kind));
        yaml_string(out, r->file);
        fprintf(out, "\n    line: %u\n    column: %u\n", f->line, f->col);
        if (f->expected != NULL) yaml_key_string(out, "  ", "expected", f->expected);
        if (f->observed != NULL) yaml_key_string(out, "  ", "observed", f->observed);
        if (f->execution != SIM_RESULT_NONE) fprintf(out, "  execution: %u\n", f->execution);
        if (f->time_ns != SIM_RESULT_NO_TIME) fprintf(out, "  time_ns: %lld\n", (long long)f->time_ns);
    }
    if (r->failure_count > 1) {
        fputs("  failures:\n", out);
        for (uint32_t i = 0; i < r->failure_count; i++) yaml_failure(out, "      ", "    - ", r, &r->failures[i]);
    }
    yaml_run(out, r);
    fputs("  ...\n", out);
}

/* ---- test points ----------------------------------------------------------------- */

static void description(FILE *out, const sim_result *r)
{
    /* one capped text: "name (file:line, backend)" */
    const char *name = rep_result_name(r);
    size_t budget = REP_TAP_DESCRIPTION_MAX;
    size_t name_max = budget / 2;
    rep_put_max(out, name, REP_ESC_TAP, name_max);
    fputs(" (", out);
    rep_put_max(out, r->file != NULL ? r->file : "?", REP_ESC_TAP, budget - name_max);
    fprintf(out, ":%u, ", r->line);
    rep_put_max(out, r->backend != NULL ? r->backend : "unknown", REP_ESC_TAP, 40);
    fputc(')', out);
}

rep_tap_options rep_tap_options_default(void)
{
    return (rep_tap_options){.version = 13};
}

void rep_tap_begin(rep_tap *t, FILE *out, const sim_run_info *info, const rep_tap_options *opt)
{
    assert(t != NULL && out != NULL && info != NULL);
    assert(opt == NULL || opt->version == 13 || opt->version == 14);
    memset(t, 0, sizeof *t);
    t->out = out;
    fprintf(out, "TAP version %u\n# portsim ", opt != NULL && opt->version == 14 ? 14u : 13u);
    rep_put(out, info->version, REP_ESC_TAP);
    fputc(' ', out);
    rep_put(out, info->command, REP_ESC_TAP);
    fputs(": backend ", out);
    rep_put(out, info->backend != NULL ? info->backend : "unknown", REP_ESC_TAP);
    fprintf(out, ", seed %llu, strategy ", (unsigned long long)info->seed);
    rep_put(out, info->strategy != NULL ? info->strategy : "?", REP_ESC_TAP);
    fputs(", profile ", out);
    rep_put(out, info->profile != NULL ? info->profile : "scenario's own", REP_ESC_TAP);
    fputc('\n', out);
}

void rep_tap_result(rep_tap *t, const sim_result *r)
{
    assert(t != NULL && r != NULL);
    FILE *out = t->out;
    bool ok = r->verdict == SIM_VERDICT_PASS || r->verdict == SIM_VERDICT_SKIP;
    t->written++;
    switch (r->verdict) {
    case SIM_VERDICT_PASS: t->passed++; break;
    case SIM_VERDICT_SKIP: t->skipped++; break;
    case SIM_VERDICT_ERROR: t->errors++; break;
    default: t->failed++; break;
    }
    fprintf(out, "%s %u - ", ok ? "ok" : "not ok", t->written);
    description(out, r);
    if (r->verdict == SIM_VERDICT_SKIP) {
        fputs(" # SKIP ", out);
        rep_put_max(out, r->skip_reason != NULL ? r->skip_reason : "", REP_ESC_TAP, REP_TAP_DESCRIPTION_MAX);
    }
    fputc('\n', out);
    if (!ok) yaml_block(out, r);
    for (uint32_t i = 0; ok && i < r->note_count; i++) { /* failing: in the YAML block */
        fputs("# note: ", out);
        rep_put(out, r->notes[i], REP_ESC_TAP);
        fputc('\n', out);
    }
}

static void plan(rep_tap *t, uint32_t count)
{
    if (count == 0) {
        fputs("1..0 # SKIP no scenarios\n", t->out);
    } else {
        fprintf(t->out, "1..%u\n", count);
    }
    t->plan_written = true;
}

bool rep_tap_end(rep_tap *t)
{
    assert(t != NULL && t->out != NULL);
    if (!t->plan_written) plan(t, t->written);
    fprintf(t->out, "# %u passed, %u failed, %u skipped, %u errors\n", t->passed, t->failed, t->skipped,
            t->errors);
    return fflush(t->out) == 0 && !ferror(t->out);
}

bool rep_tap_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count,
                   const rep_tap_options *opt)
{
    assert(out != NULL && info != NULL && (results != NULL || count == 0));
    rep_tap t;
    rep_tap_begin(&t, out, info, opt);
    plan(&t, count);
    for (uint32_t i = 0; i < count; i++) rep_tap_result(&t, &results[i]);
    return rep_tap_end(&t);
}
