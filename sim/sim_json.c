/* sim_json.c — see sim_json.h. */
#include "sim_json.h"

#include <string.h>

/* Length of a valid UTF-8 sequence at s (strict), or 0. */
static size_t utf8_ok(const unsigned char *s)
{
    unsigned char b = s[0];
    size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n <= 1) return n;
    unsigned long cp = b & (0x3Fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

static void str(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fprintf(out, "\\%c", c);
            p++;
        } else if (c == '\n') {
            fputs("\\n", out);
            p++;
        } else if (c == '\t') {
            fputs("\\t", out);
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(out, "\\u%04x", c);
            p++;
        } else {
            size_t n = utf8_ok(p);
            if (n == 0) {
                fprintf(out, "\\u%04x", c); /* a stray byte, shown as its Latin-1 value */
                p++;
            } else {
                fwrite(p, 1, n, out);
                p += n;
            }
        }
    }
    fputc('"', out);
}

static void num_or_null(FILE *out, uint32_t v)
{
    if (v == SIM_RESULT_NONE) {
        fputs("null", out);
    } else {
        fprintf(out, "%u", v);
    }
}

static void failure(FILE *out, const sim_result *r, const sim_failure *f)
{
    fputs("{\"kind\": ", out);
    str(out, sim_failure_kind_name(f->kind));
    fputs(", \"file\": ", out);
    str(out, r->file);
    fprintf(out, ", \"line\": %u, \"column\": %u, \"step\": ", f->line, f->col);
    num_or_null(out, f->step);
    fputs(", \"execution\": ", out);
    num_or_null(out, f->execution);
    if (f->time_ns == SIM_RESULT_NO_TIME) {
        fputs(", \"time_ns\": null", out);
    } else {
        fprintf(out, ", \"time_ns\": %lld", (long long)f->time_ns);
    }
    fputs(", \"message\": ", out);
    str(out, f->message);
    fputs(", \"expected\": ", out);
    str(out, f->expected);
    fputs(", \"observed\": ", out);
    str(out, f->observed);
    fputs("}", out);
}

static void step(FILE *out, uint32_t index, const sim_step_result *s)
{
    fprintf(out, "{\"index\": %u, \"op\": ", index);
    str(out, s->op);
    fputs(", \"where\": ", out);
    str(out, s->where);
    fputs(", \"label\": ", out);
    str(out, s->label);
    fprintf(out, ", \"line\": %u, \"column\": %u, \"executions\": %u, \"has_expect\": %s, "
                 "\"failed\": %s, \"observed\": ",
            s->line, s->col, s->executions, s->has_expect ? "true" : "false",
            s->failed ? "true" : "false");
    str(out, s->observed);
    fputs("}", out);
}

static void strings(FILE *out, char *const *items, uint32_t count)
{
    fputc('[', out);
    for (uint32_t i = 0; i < count; i++) {
        if (i) fputs(", ", out);
        str(out, items[i]);
    }
    fputc(']', out);
}

/* null, or what a real-time run adds (sim_realtime). */
static void realtime(FILE *out, const sim_result *r)
{
    const sim_realtime *rt = &r->rt;
    if (rt->runs == 0 && rt->host_note_count == 0 && !rt->has_margin && !rt->expected_failure) {
        fputs("null", out);
        return;
    }
    fprintf(out, "{\"runs\": %u, \"failed_runs\": %u, \"flaky\": %s, \"timing_failures\": %u, "
                 "\"margin_ns\": ",
            rt->runs, rt->failed_runs, rt->failed_runs > 0 && rt->failed_runs < rt->runs ? "true" : "false",
            rt->timing_failures);
    if (rt->has_margin) fprintf(out, "%lld", (long long)rt->margin_ns);
    else fputs("null", out);
    fputs(", \"margin_line\": ", out);
    num_or_null(out, rt->has_margin ? rt->margin_line : SIM_RESULT_NONE);
    fprintf(out, ", \"expected_failure\": %s, \"host_notes\": ", rt->expected_failure ? "true" : "false");
    strings(out, rt->host_notes, rt->host_note_count);
    fputs("}", out);
}

/* null, or what an exploration adds (sim_explored). */
static void explored(FILE *out, const sim_result *r)
{
    const sim_explored *x = &r->explored;
    if (x->runs == 0) {
        fputs("null", out);
        return;
    }
    fputs("{\"method\": ", out);
    str(out, x->method);
    fprintf(out, ", \"latency\": %s, \"runs\": %llu, \"failing_runs\": %llu, \"distinct_traces\": %llu",
            x->latency ? "true" : "false", (unsigned long long)x->runs,
            (unsigned long long)x->failing_runs, (unsigned long long)x->distinct_traces);
    if (strcmp(x->method, "exhaustive") == 0) {
        fprintf(out, ", \"states\": %llu, \"complete\": %s, \"cut_by_depth\": %s, \"cut_by_schedules\": %s}",
                (unsigned long long)x->states, x->complete ? "true" : "false",
                x->cut_by_depth ? "true" : "false", x->cut_by_schedules ? "true" : "false");
        return;
    }
    fprintf(out, ", \"first_seed\": %llu, \"failing_seed\": ", (unsigned long long)x->first_seed);
    if (x->has_failing_seed) fprintf(out, "%llu}", (unsigned long long)x->failing_seed);
    else fputs("null}", out);
}

/* null, or what explore --census adds (sim_census_part): outcomes per step, over the schedules. */
static void census(FILE *out, const sim_result *r)
{
    const sim_census_part *p = &r->census;
    if (!p->present) {
        fputs("null", out);
        return;
    }
    fputs("{\"method\": ", out);
    str(out, p->method);
    fprintf(out, ", \"latency\": %s, \"strict\": %s, \"schedules\": %llu, \"account_runs\": %u, "
                 "\"account_jittered\": %u, \"unreached\": %u, \"steps\": [",
            p->latency ? "true" : "false", p->strict ? "true" : "false", (unsigned long long)p->schedules,
            p->account_runs, p->account_jittered, p->unreached);
    for (uint32_t i = 0; i < p->step_count; i++) {
        const sim_census_step *s = &p->steps[i];
        fprintf(out, "%s{\"step\": %u, \"line\": %u, \"column\": %u, \"op\": ", i ? ",\n         " : "\n         ",
                s->step, s->line, s->col);
        str(out, s->op);
        fprintf(out, ", \"ran\": %llu, \"outcomes\": [", (unsigned long long)s->ran);
        for (uint32_t k = 0; k < s->outcome_count; k++) {
            const sim_census_outcome *o = &s->outcomes[k];
            fputs(k ? ", {\"outcome\": " : "{\"outcome\": ", out);
            str(out, o->text);
            fprintf(out, ", \"schedules\": %llu, \"allowed\": %s, \"in_account\": %s}", (unsigned long long)o->schedules,
                    o->allowed ? "true" : "false", o->in_account ? "true" : "false");
        }
        fputs("]}", out);
    }
    fputs("]}", out);
}

static void scenario(FILE *out, const sim_result *r)
{
    fputs("    {\"id\": ", out);
    str(out, r->scenario);
    fputs(", \"file\": ", out);
    str(out, r->file);
    fprintf(out, ", \"line\": %u, \"column\": %u, \"verdict\": ", r->line, r->col);
    str(out, sim_verdict_name(r->verdict));
    fputs(", \"skip_reason\": ", out);
    str(out, r->skip_reason);
    fputs(",\n     \"about\": ", out);
    str(out, r->about);
    fputs(", \"rules\": [", out);
    for (uint32_t i = 0; i < r->rule_count; i++) {
        if (i) fputs(", ", out);
        str(out, r->rules[i]);
    }
    fputs("],\n     \"backend\": ", out);
    str(out, r->backend);
    fprintf(out, ", \"seed\": %llu, \"strategy\": ", (unsigned long long)r->seed);
    str(out, r->strategy);
    fputs(", \"profile\": ", out);
    str(out, r->profile);
    if (r->has_trace_hash) {
        fprintf(out, ",\n     \"trace_hash\": \"0x%016llx\"", (unsigned long long)r->trace_hash);
    } else {
        fputs(",\n     \"trace_hash\": null", out);
    }
    fprintf(out, ", \"event_count\": %llu, \"virtual_time_ns\": %lld, \"end_reason\": ",
            (unsigned long long)r->event_count, (long long)r->virtual_time_ns);
    str(out, r->end_reason);
    fprintf(out, ", \"wall_time_ns\": %llu,\n     \"replay\": ", (unsigned long long)r->wall_time_ns);
    str(out, r->replay);
    fputs(",\n     \"notes\": ", out);
    strings(out, r->notes, r->note_count);
    fputs(",\n     \"realtime\": ", out);
    realtime(out, r);
    fputs(",\n     \"explore\": ", out);
    explored(out, r);
    fputs(",\n     \"census\": ", out);
    census(out, r);
    fputs(",\n     \"failures\": [", out);
    for (uint32_t i = 0; i < r->failure_count; i++) {
        fputs(i ? ",\n       " : "\n       ", out);
        failure(out, r, &r->failures[i]);
    }
    fputs(r->failure_count ? "],\n     \"steps\": [" : "],\n     \"steps\": [", out);
    for (uint32_t i = 0; i < r->step_count; i++) {
        fputs(i ? ",\n       " : "\n       ", out);
        step(out, i, &r->steps[i]);
    }
    fputs("]}", out);
}

bool sim_json_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count)
{
    sim_tally t = sim_tally_results(results, count);
    fprintf(out, "{\"schema_version\": %d,\n \"tool\": {\"name\": \"portsim\", \"version\": ",
            SIM_JSON_SCHEMA_VERSION);
    str(out, info->version);
    fputs("},\n \"command\": ", out);
    str(out, info->command);
    fprintf(out, ",\n \"options\": {\"seed\": %llu, \"strategy\": ", (unsigned long long)info->seed);
    str(out, info->strategy);
    fputs(", \"profile\": ", out);
    str(out, info->profile);
    fputs(", \"backend\": ", out);
    str(out, info->backend);
    fprintf(out, "},\n \"summary\": {\"passed\": %u, \"failed\": %u, \"skipped\": %u, \"errors\": %u},\n"
                 " \"scenarios\": [\n",
            t.passed, t.failed, t.skipped, t.errors);
    for (uint32_t i = 0; i < count; i++) {
        scenario(out, &results[i]);
        fputs(i + 1 < count ? ",\n" : "\n", out);
    }
    fputs(" ]}\n", out);
    return !ferror(out);
}
