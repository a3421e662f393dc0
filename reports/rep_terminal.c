/* rep_terminal.c — see rep_terminal.h. */
#include "rep_terminal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim_census.h"
#include "sim_util.h"

#define COLOR_PASS "\033[32m"
#define COLOR_SKIP "\033[33m"
#define COLOR_FAIL "\033[1;31m"
#define COLOR_OFF "\033[0m"

/* One word per failure kind, shared by every command's output. */
const char *rep_terminal_failure_word(uint8_t kind)
{
    switch (kind) {
    case SIM_FAIL_EXPECT:
    case SIM_FAIL_EVENTS: return "fail";
    case SIM_FAIL_INVARIANT: return "invariant";
    case SIM_FAIL_RUN: return "run";
    case SIM_FAIL_LOAD: return "error";
    case SIM_FAIL_TIMING: return "timing";
    default: return "?";
    }
}

/* The verdict word, padded to five columns: XFAIL is a skip an expectation file expected. */
static const char *verdict_word(const sim_result *r)
{
    switch (r->verdict) {
    case SIM_VERDICT_PASS: return "PASS ";
    case SIM_VERDICT_SKIP: return r->rt.expected_failure ? "XFAIL" : "SKIP ";
    case SIM_VERDICT_FAIL: return "FAIL ";
    default: return "ERROR";
    }
}

static const char *paint(const rep_terminal *t, uint8_t verdict)
{
    if (!t->color) return "";
    if (verdict == SIM_VERDICT_PASS) return COLOR_PASS;
    if (verdict == SIM_VERDICT_SKIP) return COLOR_SKIP;
    return COLOR_FAIL;
}

void rep_terminal_failure(const rep_terminal *t, const sim_result *r, const sim_failure *f)
{
    assert(t != NULL && t->out != NULL);
    assert(r != NULL && f != NULL);
    FILE *out = t->out;
    fprintf(out, "    %s:%u:%u: %s: %s", r->file, f->line, f->col, rep_terminal_failure_word(f->kind),
            f->message ? f->message : "");
    if (f->expected != NULL || f->observed != NULL) {
        fprintf(out, ": expected %s, observed %s", f->expected ? f->expected : "-", f->observed ? f->observed : "-");
    }
    if (f->execution != SIM_RESULT_NONE || f->time_ns != SIM_RESULT_NO_TIME) {
        fputs(" (", out);
        if (f->execution != SIM_RESULT_NONE) fprintf(out, "execution %u", f->execution + 1);
        if (f->time_ns != SIM_RESULT_NO_TIME) {
            char when[40];
            sim_format_duration(f->time_ns, when, sizeof when);
            fprintf(out, "%sat t=%s", f->execution != SIM_RESULT_NONE ? ", " : "", when);
        }
        fputc(')', out);
    }
    fputc('\n', out);
}

/* What an exploration covered, in place of one run's hash. */
static void explored_part(FILE *out, const sim_explored *x)
{
    if (strcmp(x->method, "exhaustive") == 0) {
        fprintf(out, "  exhaustive%s: %llu schedules, %llu states, %llu failing", x->latency ? " with latencies" : "",
                (unsigned long long)x->runs, (unsigned long long)x->states, (unsigned long long)x->failing_runs);
        if (x->cut_by_schedules) fputs("; cut short: the schedule bound was reached", out);
        else if (x->cut_by_depth) fputs("; cut short: choice points past the depth bound were not branched", out);
        else if (x->complete) fputs("; complete", out);
        return;
    }
    fprintf(out, "  %s%s seeds %llu..%llu: %llu runs, %llu failing, %llu distinct traces", x->method,
            x->latency ? "+latency" : "", (unsigned long long)x->first_seed,
            (unsigned long long)(x->first_seed + x->runs - 1), (unsigned long long)x->runs,
            (unsigned long long)x->failing_runs, (unsigned long long)x->distinct_traces);
}

/* The facts of a result that ran: hash, events, time; a real run's wall time and margins. */
static void ran_part(FILE *out, const sim_result *r)
{
    char when[40];
    if (r->explored.runs > 0) {
        explored_part(out, &r->explored);
        return;
    }
    if (r->has_trace_hash) {
        fprintf(out, "  hash=0x%016llx events=%llu", (unsigned long long)r->trace_hash,
                (unsigned long long)r->event_count);
    }
    sim_format_duration(r->virtual_time_ns, when, sizeof when);
    fprintf(out, "%st=%s", r->has_trace_hash ? " " : "  ", when);
    const sim_realtime *rt = &r->rt;
    if (rt->runs == 0) return;
    sim_format_duration((int64_t)r->wall_time_ns, when, sizeof when);
    fprintf(out, " wall=%s", when);
    if (rt->has_margin) {
        char margin[48];
        sim_format_margin(rt->margin_ns, margin, sizeof margin);
        fprintf(out, "  closest deadline margin %s (line %u)", margin, rt->margin_line);
    }
    if (rt->runs > 1) {
        fprintf(out, "  [%u/%u runs failed%s]", rt->failed_runs, rt->runs,
                rt->failed_runs > 0 && rt->failed_runs < rt->runs ? ": FLAKY" : "");
    }
}

/*
 * The census block of an explored result: one line per step with more than
 * one allowed or reached outcome, then a warning per allowed outcome nothing
 * reached (with --strict those are failures instead, printed with the others).
 */
static void census_part(FILE *out, const sim_result *r)
{
    const sim_census_part *p = &r->census;
    for (uint32_t i = 0; i < p->step_count; i++) {
        const sim_census_step *s = &p->steps[i];
        fprintf(out, "    %s:%u:%u %s:", r->file, s->line, s->col, s->op);
        uint32_t elsewhere = 0;
        for (uint32_t k = 0; k < s->outcome_count; k++) {
            const sim_census_outcome *o = &s->outcomes[k];
            elsewhere += o->allowed && o->schedules == 0 && o->in_account;
            fprintf(out, "%s %s %llu%s", k ? "," : "", o->text, (unsigned long long)o->schedules,
                    o->allowed ? "" : " (not allowed)");
        }
        fprintf(out, " (of %llu schedules", (unsigned long long)p->schedules);
        if (s->ran < p->schedules) fprintf(out, ", run in %llu", (unsigned long long)s->ran);
        fputc(')', out);
        for (uint32_t k = 0, n = 0; elsewhere > 0 && k < s->outcome_count; k++) {
            const sim_census_outcome *o = &s->outcomes[k];
            if (o->allowed && o->schedules == 0 && o->in_account) fprintf(out, "%s %s", n++ ? "," : ";", o->text);
        }
        if (elsewhere > 0) fputs(" only in conform's model runs (bounded latencies, a late host)", out);
        fputc('\n', out);
    }
    for (uint32_t i = 0; !p->strict && i < p->step_count; i++) {
        const sim_census_step *s = &p->steps[i];
        for (uint32_t k = 0; k < s->outcome_count; k++) {
            const sim_census_outcome *o = &s->outcomes[k];
            if (!o->allowed || o->schedules > 0 || o->in_account) continue;
            char *text = sim_census_unreached_text(p, o);
            fprintf(out, "    %s:%u:%u: warning: %s\n", r->file, s->line, s->col, text != NULL ? text : "?");
            free(text);
        }
    }
}

/* Failures, notes, the first failing seed and the replay command under a result's line. */
static void details(const rep_terminal *t, const sim_result *r)
{
    FILE *out = t->out;
    bool failed = r->verdict == SIM_VERDICT_FAIL || r->verdict == SIM_VERDICT_ERROR;
    if (r->census.present) census_part(out, r);
    for (uint32_t i = 0; i < r->failure_count; i++) rep_terminal_failure(t, r, &r->failures[i]);
    for (uint32_t i = 0; i < r->note_count; i++) fprintf(out, "    note: %s\n", r->notes[i]);
    bool host = t->verbose || failed || r->rt.expected_failure;
    for (uint32_t i = 0; host && i < r->rt.host_note_count; i++) fprintf(out, "    host: %s\n", r->rt.host_notes[i]);
    if (r->rt.explain != 0 && host) { /* the joint check: which model run this real run was */
        fprintf(out, "    explain: %s\n", r->rt.explain_text);
        if (r->rt.explain_replay != NULL) fprintf(out, "    model replay: %s\n", r->rt.explain_replay);
    }
    if (!(failed || r->rt.expected_failure) || r->replay == NULL || r->scenario == NULL) return;
    if (r->explored.has_failing_seed) {
        fprintf(out, "    first failing seed: %llu\n", (unsigned long long)r->explored.failing_seed);
    }
    if (r->rt.timing_failures > 0) {
        fprintf(out, "    %u failure(s) look timing-sensitive (close to a deadline)\n", r->rt.timing_failures);
    }
    fprintf(out, "    replay: %s\n", r->replay);
}

void rep_terminal_result(const rep_terminal *t, const sim_result *r)
{
    assert(t != NULL && t->out != NULL);
    assert(r != NULL && r->file != NULL);
    FILE *out = t->out;
    const char *on = paint(t, r->verdict), *off = t->color ? COLOR_OFF : "";
    if (r->scenario == NULL) { /* the file did not load: its errors were printed before */
        uint32_t n = r->failure_count;
        fprintf(out, "%s%s%s %s (%u error%s)\n", on, verdict_word(r), off, r->file, n, n == 1 ? "" : "s");
        fflush(out);
        return;
    }
    fprintf(out, "%s%s%s %s  %s:%u", on, verdict_word(r), off, r->scenario, r->file, r->line);
    if (r->backend != NULL && strcmp(r->backend, "model") != 0) fprintf(out, "  %s", r->backend);
    if (r->verdict == SIM_VERDICT_SKIP) {
        fprintf(out, "  (%s%s)\n", r->rt.expected_failure ? "" : "skipped: ", r->skip_reason ? r->skip_reason : "");
    } else {
        ran_part(out, r);
        fputc('\n', out);
    }
    details(t, r);
    fflush(out);
}

void rep_terminal_summary(const rep_terminal *t, const sim_tally *tally)
{
    assert(t != NULL && t->out != NULL && tally != NULL);
    fprintf(t->out, "%u passed, %u failed, %u skipped\n", tally->passed, tally->failed + tally->errors,
            tally->skipped);
    fflush(t->out);
}
