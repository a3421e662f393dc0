/* sim_json.c — see sim_json.h. */
#include "sim_json.h"

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
    base_jw_key(w, "kind");
    base_jw_cstr(w, sim_failure_kind_name(f->kind));
    base_jw_key(w, "file");
    base_jw_cstr(w, r->file);
    base_jw_key(w, "line");
    base_jw_uint(w, f->line);
    base_jw_key(w, "column");
    base_jw_uint(w, f->col);
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
    base_jw_key(w, "message");
    base_jw_cstr(w, f->message);
    base_jw_key(w, "expected");
    base_jw_cstr(w, f->expected);
    base_jw_key(w, "observed");
    base_jw_cstr(w, f->observed);
    base_jw_obj_end(w);
}

/* Why: one step's summary, as the schema says. */
static void step(base_jw *w, uint32_t index, const sim_step_result *s)
{
    assert(w != NULL);
    assert(s != NULL);
    base_jw_obj_begin(w);
    base_jw_key(w, "index");
    base_jw_uint(w, index);
    base_jw_key(w, "op");
    base_jw_cstr(w, s->op);
    base_jw_key(w, "where");
    base_jw_cstr(w, s->where);
    base_jw_key(w, "label");
    base_jw_cstr(w, s->label);
    base_jw_key(w, "line");
    base_jw_uint(w, s->line);
    base_jw_key(w, "column");
    base_jw_uint(w, s->col);
    base_jw_key(w, "executions");
    base_jw_uint(w, s->executions);
    base_jw_key(w, "has_expect");
    base_jw_bool(w, s->has_expect);
    base_jw_key(w, "failed");
    base_jw_bool(w, s->failed);
    base_jw_key(w, "observed");
    base_jw_cstr(w, s->observed);
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
    base_jw_key(w, "runs");
    base_jw_uint(w, rt->runs);
    base_jw_key(w, "failed_runs");
    base_jw_uint(w, rt->failed_runs);
    base_jw_key(w, "flaky");
    base_jw_bool(w, rt->failed_runs > 0 && rt->failed_runs < rt->runs);
    base_jw_key(w, "timing_failures");
    base_jw_uint(w, rt->timing_failures);
    base_jw_key(w, "margin_ns");
    if (rt->has_margin) {
        base_jw_int(w, rt->margin_ns);
    } else {
        base_jw_null(w);
    }
    base_jw_key(w, "margin_line");
    num_or_null(w, rt->has_margin ? rt->margin_line : SIM_RESULT_NONE);
    base_jw_key(w, "expected_failure");
    base_jw_bool(w, rt->expected_failure);
    base_jw_key(w, "host_notes");
    strings(w, rt->host_notes, rt->host_note_count);
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
    base_jw_key(w, "method");
    base_jw_cstr(w, x->method);
    base_jw_key(w, "latency");
    base_jw_bool(w, x->latency);
    base_jw_key(w, "runs");
    base_jw_uint(w, x->runs);
    base_jw_key(w, "failing_runs");
    base_jw_uint(w, x->failing_runs);
    base_jw_key(w, "distinct_traces");
    base_jw_uint(w, x->distinct_traces);
    if (strcmp(x->method, "exhaustive") == 0) {
        base_jw_key(w, "states");
        base_jw_uint(w, x->states);
        base_jw_key(w, "complete");
        base_jw_bool(w, x->complete);
        base_jw_key(w, "cut_by_depth");
        base_jw_bool(w, x->cut_by_depth);
        base_jw_key(w, "cut_by_schedules");
        base_jw_bool(w, x->cut_by_schedules);
    } else {
        base_jw_key(w, "first_seed");
        base_jw_uint(w, x->first_seed);
        base_jw_key(w, "failing_seed");
        if (x->has_failing_seed) {
            base_jw_uint(w, x->failing_seed);
        } else {
            base_jw_null(w);
        }
    }
    base_jw_obj_end(w);
}

/* Members of a scenario object start a new line here (indented under its "{"). */
#define SCENARIO_INDENT 5u
#define ITEM_INDENT 7u /* failures and steps, one a line */

/* Why: one scenario's result, as the schema says, laid out a few members a line. */
static void scenario(base_jw *w, const sim_result *r)
{
    assert(w != NULL);
    assert(r != NULL);
    base_jw_obj_begin(w);
    base_jw_key(w, "id");
    base_jw_cstr(w, r->scenario);
    base_jw_key(w, "file");
    base_jw_cstr(w, r->file);
    base_jw_key(w, "line");
    base_jw_uint(w, r->line);
    base_jw_key(w, "column");
    base_jw_uint(w, r->col);
    base_jw_key(w, "verdict");
    base_jw_cstr(w, sim_verdict_name(r->verdict));
    base_jw_key(w, "skip_reason");
    base_jw_cstr(w, r->skip_reason);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "about");
    base_jw_cstr(w, r->about);
    base_jw_key(w, "rules");
    strings(w, r->rules, r->rule_count);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "backend");
    base_jw_cstr(w, r->backend);
    base_jw_key(w, "seed");
    base_jw_uint(w, r->seed);
    base_jw_key(w, "strategy");
    base_jw_cstr(w, r->strategy);
    base_jw_key(w, "profile");
    base_jw_cstr(w, r->profile);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "trace_hash");
    if (r->has_trace_hash) {
        char hash[24];
        snprintf(hash, sizeof hash, "0x%016llx", (unsigned long long)r->trace_hash);
        base_jw_cstr(w, hash);
    } else {
        base_jw_null(w);
    }
    base_jw_key(w, "event_count");
    base_jw_uint(w, r->event_count);
    base_jw_key(w, "virtual_time_ns");
    base_jw_int(w, r->virtual_time_ns);
    base_jw_key(w, "end_reason");
    base_jw_cstr(w, r->end_reason);
    base_jw_key(w, "wall_time_ns");
    base_jw_uint(w, r->wall_time_ns);
    base_jw_break(w, SCENARIO_INDENT);
    base_jw_key(w, "replay");
    base_jw_cstr(w, r->replay);
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
    base_jw_key(&w, "schema_version");
    base_jw_int(&w, SIM_JSON_SCHEMA_VERSION);
    base_jw_break(&w, 1);
    base_jw_key(&w, "tool");
    base_jw_obj_begin(&w);
    base_jw_key(&w, "name");
    base_jw_cstr(&w, "portsim");
    base_jw_key(&w, "version");
    base_jw_cstr(&w, info->version);
    base_jw_obj_end(&w);
    base_jw_break(&w, 1);
    base_jw_key(&w, "command");
    base_jw_cstr(&w, info->command);
    base_jw_break(&w, 1);
    base_jw_key(&w, "options");
    base_jw_obj_begin(&w);
    base_jw_key(&w, "seed");
    base_jw_uint(&w, info->seed);
    base_jw_key(&w, "strategy");
    base_jw_cstr(&w, info->strategy);
    base_jw_key(&w, "profile");
    base_jw_cstr(&w, info->profile);
    base_jw_key(&w, "backend");
    base_jw_cstr(&w, info->backend);
    base_jw_obj_end(&w);
    base_jw_break(&w, 1);
    base_jw_key(&w, "summary");
    base_jw_obj_begin(&w);
    base_jw_key(&w, "passed");
    base_jw_uint(&w, t.passed);
    base_jw_key(&w, "failed");
    base_jw_uint(&w, t.failed);
    base_jw_key(&w, "skipped");
    base_jw_uint(&w, t.skipped);
    base_jw_key(&w, "errors");
    base_jw_uint(&w, t.errors);
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
