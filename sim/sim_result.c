/* sim_result.c — see sim_result.h. */
#include "sim_result.h"

#include <stdlib.h>
#include <string.h>

#include "sim_obs.h"
#include "sim_util.h"

#include <stdio.h>

void sim_result_init(sim_result *r)
{
    memset(r, 0, sizeof *r);
    r->line = 1;
    r->col = 1;
    r->backend = "model";
    r->strategy = "fifo";
    r->profile = "ventura";
    r->end_reason = "none";
}

void sim_result_free(sim_result *r)
{
    if (r == NULL) return;
    for (uint32_t i = 0; i < r->failure_count; i++) {
        free(r->failures[i].message);
        free(r->failures[i].expected);
        free(r->failures[i].observed);
    }
    free(r->failures);
    sim_strv_free(r->notes, r->note_count);
    sim_strv_free(r->rt.host_notes, r->rt.host_note_count);
    free(r->rt.explain_text);
    free(r->rt.explain_replay);
    for (uint32_t i = 0; i < r->step_count; i++) {
        free(r->steps[i].where);
        free(r->steps[i].label);
        free(r->steps[i].observed);
    }
    free(r->steps);
    for (uint32_t i = 0; i < r->rule_count; i++) free(r->rules[i]);
    free(r->rules);
    free(r->file);
    free(r->scenario);
    free(r->about);
    free(r->skip_reason);
    free(r->replay);
    if (r->obs != NULL) sim_obs_fini(r->obs);
    free(r->obs);
    for (uint32_t p = 0; p < r->process_count; p++) {
        for (uint32_t t = 0; r->thread_names != NULL && t < r->thread_counts[p]; t++) {
            free(r->thread_names[p][t]);
        }
        if (r->thread_names != NULL) free(r->thread_names[p]);
        free(r->process_names[p]);
    }
    free(r->process_names);
    free(r->thread_names);
    free(r->thread_counts);
    sim_beside_free(&r->beside);
    for (uint32_t i = 0; i < r->census.step_count; i++) {
        for (uint32_t k = 0; k < r->census.steps[i].outcome_count; k++) free(r->census.steps[i].outcomes[k].text);
        free(r->census.steps[i].outcomes);
    }
    free(r->census.steps);
    memset(r, 0, sizeof *r);
}

sim_failure *sim_result_add_failure(sim_result *r, uint8_t kind, uint32_t line, uint32_t col,
                                    const char *message, const char *expected,
                                    const char *observed)
{
    sim_failure *grown = realloc(r->failures, (r->failure_count + 1) * sizeof *grown);
    if (grown == NULL) return NULL;
    r->failures = grown;
    sim_failure *f = &r->failures[r->failure_count++];
    *f = (sim_failure){.kind = kind, .line = line ? line : 1, .col = col ? col : 1,
                       .step = SIM_RESULT_NONE, .execution = SIM_RESULT_NONE,
                       .time_ns = SIM_RESULT_NO_TIME,
                       .message = sim_strdup(message != NULL ? message : ""),
                       .expected = expected != NULL ? sim_strdup(expected) : NULL,
                       .observed = observed != NULL ? sim_strdup(observed) : NULL};
    if (kind != SIM_FAIL_LOAD && r->verdict == SIM_VERDICT_PASS) r->verdict = SIM_VERDICT_FAIL;
    if (kind == SIM_FAIL_LOAD) r->verdict = SIM_VERDICT_ERROR;
    return f;
}

void sim_result_add_note(sim_result *r, const char *text)
{
    (void)sim_strv_push(&r->notes, &r->note_count, text);
}

void sim_result_add_host_note(sim_result *r, const char *text)
{
    (void)sim_strv_push(&r->rt.host_notes, &r->rt.host_note_count, text);
}

/* One count for the summary line and every report, so they cannot disagree. */
sim_tally sim_tally_results(const sim_result *results, uint32_t count)
{
    sim_tally t = {0};
    for (uint32_t i = 0; i < count; i++) {
        switch (results[i].verdict) {
        case SIM_VERDICT_PASS: t.passed++; break;
        case SIM_VERDICT_SKIP: t.skipped++; break;
        case SIM_VERDICT_ERROR: t.errors++; break;
        default: t.failed++; break;
        }
        t.wall_time_ns += results[i].wall_time_ns;
    }
    return t;
}

char *sim_result_actor_name(const sim_result *r, uint32_t process, uint32_t thread)
{
    if (process >= r->process_count) return sim_strdup_printf("p%u/t%u", process, thread);
    const char *p = r->process_names[process];
    if (thread == UINT16_MAX) return sim_strdup(p);
    if (thread < r->thread_counts[process]) {
        return sim_strdup_printf("%s/%s", p, r->thread_names[process][thread]);
    }
    return sim_strdup_printf("%s/worker%u", p, thread);
}

/* The other run is owned with its flags: one free for all of it. */
void sim_beside_free(sim_beside *b)
{
    if (b == NULL) return;
    if (b->obs != NULL) sim_obs_fini(b->obs);
    free(b->obs);
    free(b->how);
    free(b->own_differs);
    free(b->other_differs);
    memset(b, 0, sizeof *b);
}

/* The drawing reads own_differs[k] for every call of own and other_differs[k] for every call of the
 * other run: the counts must be theirs (own NULL: the result's observation is not attached yet). */
bool sim_beside_validate(const sim_beside *b, const sim_obs *own)
{
    if (b == NULL) return false;
    if (b->obs == NULL) return b->how == NULL && b->own_differs == NULL && b->other_differs == NULL;
    if (b->how == NULL || b->own_label == NULL || b->other_label == NULL) return false;
    if ((own != NULL && b->own_count != own->exec_count) || b->other_count != b->obs->exec_count) return false;
    return (b->own_count == 0 || b->own_differs != NULL) && (b->other_count == 0 || b->other_differs != NULL);
}

bool sim_result_validate(const sim_result *r)
{
    if (r == NULL || r->file == NULL || r->verdict > SIM_VERDICT_ERROR) return false;
    if (r->verdict == SIM_VERDICT_PASS && r->failure_count != 0) return false;
    if ((r->verdict == SIM_VERDICT_FAIL || r->verdict == SIM_VERDICT_ERROR) && r->failure_count == 0) {
        return false;
    }
    if (r->verdict == SIM_VERDICT_SKIP && r->skip_reason == NULL) return false;
    for (uint32_t i = 0; i < r->failure_count; i++) {
        const sim_failure *f = &r->failures[i];
        if (f->line == 0 || f->col == 0 || f->message == NULL) return false;
        if (f->step != SIM_RESULT_NONE && f->step >= r->step_count) return false;
    }
    for (uint32_t i = 0; i < r->step_count; i++) {
        if (r->steps[i].op == NULL || r->steps[i].where == NULL) return false;
    }
    if (r->rt.failed_runs > r->rt.runs) return false;
    if (r->rt.explain > 3 || (r->rt.explain != 0) != (r->rt.explain_text != NULL)) return false;
    if (r->rt.explain_replay != NULL && r->rt.explain != 1) return false; /* only an explained run replays */
    for (uint32_t i = 0; i < r->note_count; i++) {
        if (r->notes[i] == NULL) return false;
    }
    for (uint32_t i = 0; i < r->rt.host_note_count; i++) {
        if (r->rt.host_notes[i] == NULL) return false;
    }
    if (r->explored.failing_runs > r->explored.runs) return false;
    if (!sim_beside_validate(&r->beside, r->obs)) return false;
    for (uint32_t i = 0; i < r->census.step_count; i++) {
        const sim_census_step *cs = &r->census.steps[i];
        if (!r->census.present || cs->step >= r->step_count || cs->op == NULL || cs->ran > r->census.schedules) {
            return false;
        }
        for (uint32_t k = 0; k < cs->outcome_count; k++) {
            if (cs->outcomes[k].text == NULL || cs->outcomes[k].schedules > cs->ran) return false;
        }
    }
    if (!r->has_trace_hash && r->trace_hash != 0) return false;
    return true;
}

const char *sim_verdict_name(uint8_t verdict)
{
    switch (verdict) {
    case SIM_VERDICT_PASS: return "pass";
    case SIM_VERDICT_FAIL: return "fail";
    case SIM_VERDICT_SKIP: return "skip";
    case SIM_VERDICT_ERROR: return "error";
    default: return "?";
    }
}

const char *sim_failure_kind_name(uint8_t kind)
{
    switch (kind) {
    case SIM_FAIL_EXPECT: return "expect";
    case SIM_FAIL_EVENTS: return "events";
    case SIM_FAIL_INVARIANT: return "invariant";
    case SIM_FAIL_RUN: return "run";
    case SIM_FAIL_LOAD: return "load";
    case SIM_FAIL_TIMING: return "timing";
    default: return "?";
    }
}
