/* sim_json.c — see sim_json.h. */
#include "sim_json.h"
#include "sim_obs.h"

#include <assert.h>
#include <string.h>

#include "base_json.h"

/* Why: a count that may be absent is null in the document. */
static void num_or_null(base_jw *w, uint32_t v)
{
    assert(w != NULL && w->open);
    if (v == SIM_RESULT_NONE) {
        base_jw_null(w);
    } else {
        base_jw_uint(w, v);
    }
}

/* Why: one failure, as the schema says (sim_json.h). */
static void failure(base_jw *w, const sim_result *r, const sim_failure *f)
{
    assert(w != NULL && r != NULL);
    assert(f != NULL);
    base_jw_obj_begin(w);
    base_jw_key_cstr(w, "kind", sim_failure_kind_name(f->kind));
    base_jw_key_cstr(w, "file", r->file);
    base_jw_key_uint(w, "line", f->line);
    base_jw_key_uint(w, "column", f->col);
    base_jw_key(w, "step");
    num_or_null(w, f->step);
    base_jw_key(w, "execution");
    num_or_null(w, f->execution);
    base_jw_key(w, "time_ns");
    if (f->time_ns == SIM_RESULT_NO_TIME) {
        base_jw_null(w);
    } else {
        base_jw_int(w, f->time_ns);
    }
    base_jw_key_cstr(w, "message", f->message);
    base_jw_key_cstr(w, "expected", f->expected);
    base_jw_key_cstr(w, "observed", f->observed);
    base_jw_obj_end(w);
}

/* Why: one step's summary, as the schema says. */
static void step(base_jw *w, uint32_t index, const sim_step_result *s)
{
    assert(w != NULL);
    assert(s != NULL);
    base_jw_obj_begin(w);
    base_jw_key_uint(w, "index", index);
    base_jw_key_cstr(w, "op", s->op);
    base_jw_key_cstr(w, "where", s->where);
    base_jw_key_cstr(w, "label", s->label);
    base_jw_key_uint(w, "line", s->line);
    base_jw_key_uint(w, "column", s->col);
    base_jw_key_uint(w, "executions", s->executions);
    base_jw_key_bool(w, "has_expect", s->has_expect);
    base_jw_key_bool(w, "failed", s->failed);
    base_jw_key_bool(w, "observable", !s->unobserved);
    base_jw_key_cstr(w, "observed", s->observed);
    base_jw_obj_end(w);
}

/* Why: notes, host notes and rules are arrays of strings. */
static void strings(base_jw *w, char *const *items, uint32_t count)
{
    assert(w != NULL);
    assert(items != NULL || count == 0);
    base_jw_arr_begin(w);
    for (uint32_t i = 0; i < count; i++) base_jw_cstr(w, items[i]);
    base_jw_arr_end(w);
}

/* null, or what a real-time run adds (sim_realtime). */
static void realtime(base_jw *w, const sim_result *r)
{
    assert(w != NULL && r != NULL);
    const sim_realtime *rt = &r->rt;
    if (rt->runs == 0 && rt->host_note_count == 0 && !rt->has_margin && !rt->expected_failure) {
        base_jw_null(w);
        return;
    }
    base_jw_obj_begin(w);
    base_jw_key_uint(w, "runs", rt->runs);
    base_jw_key_uint(w, "failed_runs", rt->failed_runs);
    base_jw_key_bool(w, "flaky", rt->failed_runs > 0 && rt->failed_runs < rt->runs);
    base_jw_key_uint(w, "timing_failures", rt->timing_failures);
    base_jw_key(w, "margin_ns");
    if (rt->has_margin) {
        base_jw_int(w, rt->margin_ns);
    } else {
        base_jw_null(w);
    }
    base_jw_key(w, "margin_line");
    num_or_null(w, rt->has_margin ? rt->margin_line : SIM_RESULT_NONE);
    base_jw_key_bool(w, "expected_failure", rt->expected_failure);
    base_jw_key(w, "host_notes");
    strings(w, rt->host_notes, rt->host_note_count);
    base_jw_key(w, "explain");
    if (rt->explain == 0) {
        base_jw_null(w);
    } else {
        static const char *const verdicts[] = {"", "explained", "not_found", "diverged"};
        base_jw_obj_begin(w);
        base_jw_key_cstr(w, "verdict", verdicts[rt->explain]);
        base_jw_key_cstr(w, "text", rt->explain_text);
        base_jw_key_cstr(w, "replay", rt->explain_replay);
        base_jw_obj_end(w);
    }
    base_jw_obj_end(w);
}

/* Members of a scenario object start a new line here (indented under its "{"). */
#define SCENARIO_INDENT 5u
#define ITEM_INDENT 7u /* failures and steps, one a line */

static const char *outcome_name(uint8_t outcome)
{
    switch (outcome) {
    case SIM_OUTCOME_RETURNED: return "returned";
    case SIM_OUTCOME_BLOCKED: return "blocked";
    case SIM_OUTCOME_KILLED: return "killed";
    default: return "open";
    }
}

/*
 * null, or what a real run observed, for `portsim explain` (conform keeps it for --json and
 * --html): each execution as [step, process, thread, outcome, value, end_seq], each event as
 * [kind, process, thread, msgid, code, seq] (thread 65535: none). Values are sim_exec_value's.
 */
static void observation(base_jw *w, const sim_result *r, const sim_obs *o)
{
    assert(w != NULL && r != NULL);
    if (o == NULL || r->rt.runs == 0) {
        base_jw_null(w);
        return;
    }
    base_jw_obj_begin(w);
    base_jw_key(w, "event_kinds");
    base_jw_arr_begin(w);
    for (uint8_t k = 1; k < SIM_EV_KIND_COUNT && k < 32; k++) {
        if (r->rt.explain_kinds & (1u << k)) base_jw_cstr(w, sim_event_kind_name(k));
    }
    base_jw_arr_end(w);
    base_jw_key(w, "executions");
    base_jw_arr_begin(w);
    for (uint32_t i = 0; i < o->exec_count; i++) {
        const sim_exec *e = &o->execs[i];
        if (i % 8 == 0) base_jw_break(w, ITEM_INDENT); /* short lines: readers bound a line's width */
        base_jw_arr_begin(w);
        base_jw_uint(w, e->step);
        base_jw_uint(w, e->process);
        base_jw_uint(w, e->thread);
        base_jw_cstr(w, outcome_name(e->outcome));
        base_jw_int(w, e->value);
        base_jw_uint(w, e->end_seq);
        base_jw_arr_end(w);
    }
    base_jw_arr_end(w);
    base_jw_key(w, "events");
    base_jw_arr_begin(w);
    for (uint32_t i = 0; i < o->event_count; i++) {
        const sim_event *ev = &o->events[i];
        if (i % 8 == 0) base_jw_break(w, ITEM_INDENT);
        base_jw_arr_begin(w);
        base_jw_cstr(w, sim_event_kind_name(ev->kind));
        base_jw_uint(w, ev->process);
        base_jw_uint(w, ev->thread);
        base_jw_int(w, ev->msgid);
        base_jw_int(w, ev->code);
        base_jw_uint(w, ev->seq);
        base_jw_arr_end(w);
    }
    base_jw_arr_end(w);
    base_jw_obj_end(w);
}

/* null, or what an exploration adds (sim_explored). */
static void explored(base_jw *w, const sim_result *r)
{
    assert(w != NULL && r != NULL);
    const sim_explored *x = &r->explored;
    if (x->runs == 0) {
        base_jw_null(w);
        return;
    }
    base_jw_obj_begin(w);
    base_jw_key_cstr(w, "method", x->method);
    base_jw_key_bool(w, "latency", x->latency);
    base_jw_key_uint(w, "runs", x->runs);
    base_jw_key_uint(w, "failing_runs", x->failing_runs);
    base_jw_key_uint(w, "distinct_traces", x->distinct_traces);
    if (strcmp(x->method, "exhaustive") == 0) {
        base_jw_key_uint(w, "states", x->states);
        base_jw_key_bool(w, "complete", x->complete);
        base_jw_key_bool(w, "cut_by_depth", x->cut_by_depth);
        base_jw_key_bool(w, "cut_by_schedules", x->cut_by_schedules);
    } else {
        base_jw_key_uint(w, "first_seed", x->first_seed);
        base_jw_key(w, "failing_seed");
        if (x->has_failing_seed) {
            base_jw_uint(w, x->failing_seed);
        } else {
            base_jw_null(w);
        }
    }
    base_jw_obj_end(w);
}

#define CENSUS_STEP_INDENT 9u /* the census's steps, one a line */

/* null, or what explore --census adds (sim_census_part): outcomes per step, over the schedules. */
static void census(base_jw *w, const sim_result *r)
{
    assert(w != NULL && r != NULL);
    const sim_census_part *p = &r->census;
    if (!p->present) {
        base_jw_null(w);
        return;
    }
    base_jw_obj_begin(w);
    base_jw_key_cstr(w, "method", p->method);
    base_jw_key_bool(w, "latency", p->latency);
    base_jw_key_bool(w, "strict", p->strict);
    base_jw_key_uint(w, "schedules", p->schedules);
    base_jw_key_uint(w, "account_runs", p->account_runs);
    base_jw_key_uint(w, "account_jittered", p->account_jittered);
    base_jw_key_uint(w, "unreached", p->unreached);
    base_jw_key(w, "steps");
    base_jw_arr_begin(w);
    for (uint32_t i = 0; i < p->step_count; i++) {
        const sim_census_step *s = &p->steps[i];
        base_jw_break(w, CENSUS_STEP_INDENT);
        base_jw_obj_begin(w);
        base_jw_key_uint(w, "step", s->step);
        base_jw_key_uint(w, "line", s->line);
        base_jw_key_uint(w, "column", s->col);
        base_jw_key_cstr(w, "op", s->op);
        base_jw_key_uint(w, "ran", s->ran);
        base_jw_key(w, "outcomes");
        base_jw_arr_begin(w);
        for (uint32_t k = 0; k < s->outcome_count; k++) {
            const sim_census_outcome *o = &s->outcomes[k];
            base_jw_obj_begin(w);
            base_jw_key_cstr(w, "outcome", o->text);
            base_jw_key_uint(w, "schedules", o->schedules);
            base_jw_key_bool(w, "allowed", o->allowed);
            base_jw_key_bool(w, "in_account", o->in_account);
            base_jw_obj_end(w);
        }
        base_jw_arr_end(w);
        base_jw_obj_end(w);
    }
    base_jw_arr_end(w);
    base_jw_obj_end(w);
}

/* Why: one scenario's result, as the schema says, laid out a few members a line. */
static void scenario(base_jw *w, const sim_result *r)
{
    assert(w != NULL);
    assert(r != NULL);
    base_jw_obj_begin(w);
    base_jw_key_cstr(w, "id", r->scenario);
    base_jw_key_cstr(w, "file", r->file);
    base_jw_key_uint(w, "line", r->line);
    base_jw_key_uint(w, "column", r->col);
    base_jw_key_cstr(w, "verdict", sim_verdict_name(r->verdict));
    base_jw_key_cstr(w, "skip_reason", r->skip_reason);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key_cstr(w, "about", r->about);
    base_jw_key(w, "rules");
    strings(w, r->rules, r->rule_count);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key_cstr(w, "backend", r->backend);
    base_jw_key_uint(w, "seed", r->seed);
    base_jw_key_cstr(w, "strategy", r->strategy);
    base_jw_key_cstr(w, "profile", r->profile);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "trace_hash");
    if (r->has_trace_hash) {
        char hash[24];
        snprintf(hash, sizeof hash, "0x%016llx", (unsigned long long)r->trace_hash);
        base_jw_cstr(w, hash);
    } else {
        base_jw_null(w);
    }
    base_jw_key_uint(w, "event_count", r->event_count);
    base_jw_key_int(w, "virtual_time_ns", r->virtual_time_ns);
    base_jw_key_cstr(w, "end_reason", r->end_reason);
    base_jw_key_uint(w, "wall_time_ns", r->wall_time_ns);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key_cstr(w, "replay", r->replay);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "notes");
    strings(w, r->notes, r->note_count);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "realtime");
    realtime(w, r);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "explore");
    explored(w, r);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "census");
    census(w, r);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "failures");
    base_jw_arr_begin(w);
    for (uint32_t i = 0; i < r->failure_count; i++) {
        base_jw_break(w, ITEM_INDENT);
        failure(w, r, &r->failures[i]);
    }
    base_jw_arr_end(w);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "steps");
    base_jw_arr_begin(w);
    for (uint32_t i = 0; i < r->step_count; i++) {
        base_jw_break(w, ITEM_INDENT);
        step(w, i, &r->steps[i]);
    }
    base_jw_arr_end(w);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "observation");
    observation(w, r, r->obs);
    base_jw_obj_end(w);
}

/* Why: the document is built with base/'s JSON writer (the same as the agent protocol's),
 * whole, then written at once; a failed build or write is reported, never half a file. */
bool sim_json_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count)
{
    assert(out != NULL && info != NULL);
    assert(results != NULL || count == 0);
    sim_tally t = sim_tally_results(results, count);
    base_jw w;
    base_jw_init(&w, 0, BASE_JSON_CHECK_UTF8);
    base_jw_begin(&w);
    base_jw_key_int(&w, "schema_version", SIM_JSON_SCHEMA_VERSION);
    base_jw_break(&w, 1);
    base_jw_key(&w, "tool");
    base_jw_obj_begin(&w);
    base_jw_key_cstr(&w, "name", "portsim");
    base_jw_key_cstr(&w, "version", info->version);
    base_jw_obj_end(&w);
    base_jw_break(&w, 1);
    base_jw_key_cstr(&w, "command", info->command);
    base_jw_break(&w, 1);
    base_jw_key(&w, "options");
    base_jw_obj_begin(&w);
    base_jw_key_uint(&w, "seed", info->seed);
    base_jw_key_cstr(&w, "strategy", info->strategy);
    base_jw_key_cstr(&w, "profile", info->profile);
    base_jw_key_cstr(&w, "backend", info->backend);
    base_jw_key(&w, "model");
    if (info->model == NULL) {
        base_jw_null(&w);
    } else {
        base_jw_obj_begin(&w);
        base_jw_key_uint(&w, "seed", info->model->seed);
        base_jw_key_uint(&w, "explore", info->model->explore);
        base_jw_key_int(&w, "max_latency_ns", info->model->max_latency_ns);
        base_jw_key_int(&w, "jitter_ns", info->model->jitter_ns);
        base_jw_key(&w, "jitter_pct");
        base_jw_double(&w, info->model->jitter_pct);
        base_jw_obj_end(&w);
    }
    base_jw_obj_end(&w);
    base_jw_break(&w, 1);
    base_jw_key(&w, "summary");
    base_jw_obj_begin(&w);
    base_jw_key_uint(&w, "passed", t.passed);
    base_jw_key_uint(&w, "failed", t.failed);
    base_jw_key_uint(&w, "skipped", t.skipped);
    base_jw_key_uint(&w, "errors", t.errors);
    base_jw_obj_end(&w);
    base_jw_break(&w, 1);
    base_jw_key(&w, "scenarios");
    base_jw_arr_begin(&w);
    for (uint32_t i = 0; i < count; i++) {
        base_jw_break(&w, 4);
        scenario(&w, &results[i]);
    }
    base_jw_break(&w, 1);
    base_jw_arr_end(&w);
    size_t len = 0;
    const char *text = base_jw_end(&w, &len);
    bool ok = text != NULL && fwrite(text, 1, len, out) == len;
    base_jw_fini(&w);
    return ok && !ferror(out);
}
