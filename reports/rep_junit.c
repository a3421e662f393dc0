/* rep_junit.c — see rep_junit.h. */
#include "rep_junit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rep_failure.h"
#include "rep_text.h"
#include "sim_util.h"

#define TOPIC_MAX 128u

/* A testcase, placed: which result, in which suite, with which name suffix. */
typedef struct jcase {
    uint32_t index;
    const char *name; /* rep_result_name */
    const char *backend;
    char topic[TOPIC_MAX];
    uint32_t dup_k; /* 1-based occurrence among equal names of its suite; 0: unique */
    uint32_t dup_n;
} jcase;

typedef struct junit {
    FILE *out;
    const sim_run_info *info;
    const sim_result *results;
    jcase *cases;
    uint32_t count;
} junit;

static const char *backend_of(const sim_result *r)
{
    return r->backend != NULL && r->backend[0] != '\0' ? r->backend : "unknown";
}

static int case_cmp(const void *x, const void *y)
{
    const jcase *a = x, *b = y;
    int c = strcmp(a->backend, b->backend);
    if (c == 0) c = strcmp(a->topic, b->topic);
    if (c == 0) c = a->index < b->index ? -1 : a->index > b->index;
    return c;
}

static bool same_suite(const jcase *a, const jcase *b)
{
    return strcmp(a->backend, b->backend) == 0 && strcmp(a->topic, b->topic) == 0;
}

/* ---- equal names inside a suite ---------------------------------------------- */

static int name_cmp(const void *x, const void *y)
{
    const jcase *a = *(const jcase *const *)x, *b = *(const jcase *const *)y;
    int c = strcmp(a->name, b->name);
    if (c == 0) c = a->index < b->index ? -1 : a->index > b->index;
    return c;
}

/* Marks the cases of one suite [first, first + n) whose names repeat. */
static bool mark_duplicates(junit *j, uint32_t first, uint32_t n)
{
    jcase **by_name = malloc(((size_t)n + 1) * sizeof *by_name);
    if (by_name == NULL) return false;
    for (uint32_t i = 0; i < n; i++) by_name[i] = &j->cases[first + i];
    qsort(by_name, n, sizeof *by_name, name_cmp);
    for (uint32_t i = 0; i < n;) {
        uint32_t end = i + 1;
        while (end < n && strcmp(by_name[end]->name, by_name[i]->name) == 0) end++;
        for (uint32_t k = i; end - i > 1 && k < end; k++) {
            by_name[k]->dup_k = k - i + 1;
            by_name[k]->dup_n = end - i;
        }
        i = end;
    }
    free(by_name);
    return true;
}

static bool place_cases(junit *j)
{
    for (uint32_t i = 0; i < j->count; i++) {
        jcase *c = &j->cases[i];
        c->index = i;
        c->name = rep_result_name(&j->results[i]);
        c->backend = backend_of(&j->results[i]);
        rep_topic(j->results[i].file, c->topic, sizeof c->topic);
    }
    qsort(j->cases, j->count, sizeof *j->cases, case_cmp);
    for (uint32_t first = 0; first < j->count;) {
        uint32_t end = first + 1;
        while (end < j->count && same_suite(&j->cases[first], &j->cases[end])) end++;
        if (!mark_duplicates(j, first, end - first)) return false;
        first = end;
    }
    return true;
}

/* ---- writing ------------------------------------------------------------------- */

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    rep_put(out, value, REP_ESC_XML);
    fputc('"', out);
}

static void counts_attrs(FILE *out, const sim_tally *c)
{
    char t[32];
    fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%s\"",
            c->passed + c->failed + c->skipped + c->errors, c->failed, c->errors, c->skipped,
            rep_seconds(c->wall_time_ns, t, sizeof t));
}

static void property(FILE *out, const char *indent, const char *name, const char *value)
{
    fprintf(out, "%s<property", indent);
    attr(out, "name", name);
    attr(out, "value", value != NULL ? value : "");
    fputs("/>\n", out);
}

static void property_u64(FILE *out, const char *indent, const char *name, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    property(out, indent, name, text);
}

/* What a real-time run (portsim conform) adds: runs, flaky runs, the closest deadline margin. */
static void realtime_properties(FILE *out, const char *in, const sim_realtime *rt)
{
    if (rt->runs == 0) return;
    char text[32];
    property_u64(out, in, "runs", rt->runs);
    property_u64(out, in, "failed_runs", rt->failed_runs);
    property_u64(out, in, "timing_failures", rt->timing_failures);
    if (rt->expected_failure) property(out, in, "expected_failure", "true");
    if (!rt->has_margin) return;
    snprintf(text, sizeof text, "%lld", (long long)rt->margin_ns);
    property(out, in, "margin_ns", text);
    property_u64(out, in, "margin_line", rt->margin_line);
}

/* What an exploration (portsim explore) adds: how many schedules ran and failed. */
static void explored_properties(FILE *out, const char *in, const sim_explored *x)
{
    if (x->runs == 0) return;
    property(out, in, "explore_method", x->method);
    property_u64(out, in, "explore_runs", x->runs);
    property_u64(out, in, "explore_failing_runs", x->failing_runs);
    property_u64(out, in, "explore_distinct_traces", x->distinct_traces);
    if (x->has_failing_seed) property_u64(out, in, "explore_failing_seed", x->failing_seed);
    if (strcmp(x->method, "exhaustive") == 0) {
        property_u64(out, in, "explore_states", x->states);
        property(out, in, "explore_complete", x->complete ? "true" : "false");
    }
}

static void case_properties(FILE *out, const sim_result *r)
{
    const char *in = "        ";
    char text[64];
    fputs("      <properties>\n", out);
    property(out, in, "backend", backend_of(r));
    if (r->scenario == NULL) { /* the file did not load: nothing ran */
        fputs("      </properties>\n", out);
        return;
    }
    property_u64(out, in, "seed", r->seed);
    property(out, in, "strategy", r->strategy);
    property(out, in, "profile", r->profile);
    if (r->verdict != SIM_VERDICT_SKIP) {
        if (r->has_trace_hash) property(out, in, "trace_hash", rep_hash(r->trace_hash, text, sizeof text));
        property_u64(out, in, "event_count", r->event_count);
        snprintf(text, sizeof text, "%lld", (long long)r->virtual_time_ns);
        property(out, in, "virtual_time_ns", text);
        property(out, in, "virtual_time", rep_duration(r->virtual_time_ns, text, sizeof text));
        property(out, in, "end_reason", r->end_reason);
    }
    if (r->rule_count > 0) {
        base_buf b;
        base_buf_init(&b, 0);
        for (uint32_t i = 0; i < r->rule_count; i++) base_buf_printf(&b, "%s%s", i ? " " : "", r->rules[i]);
        property(out, in, "rules", base_buf_str(&b));
        base_buf_fini(&b);
    }
    if (r->replay != NULL) property(out, in, "replay", r->replay);
    realtime_properties(out, in, &r->rt);
    explored_properties(out, in, &r->explored);
    fputs("      </properties>\n", out);
}

/* The notes (and a real-time run's host notes), one per line, as the testcase's output. */
static void notes_output(FILE *out, const sim_result *r)
{
    const sim_realtime *rt = &r->rt;
    if (r->note_count == 0 && rt->host_note_count == 0) return;
    fputs("      <system-out>", out);
    for (uint32_t i = 0; i < r->note_count; i++) {
        fputs("note: ", out);
        rep_put(out, r->notes[i], REP_ESC_XML_TEXT);
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < rt->host_note_count; i++) {
        fputs("host: ", out);
        rep_put(out, rt->host_notes[i], REP_ESC_XML_TEXT);
        fputc('\n', out);
    }
    fputs("</system-out>\n", out);
}

/* <failure> or <error>: a one-line message, every failure in the body, the replay. */
static void problem(FILE *out, const sim_result *r)
{
    const char *element = r->verdict == SIM_VERDICT_ERROR ? "error" : "failure";
    const sim_failure *first = r->failure_count > 0 ? &r->failures[0] : NULL;
    fprintf(out, "      <%s", element);
    attr(out, "type", first != NULL ? sim_failure_kind_name(first->kind) : "unknown");
    char *message = rep_failure_summary(r);
    fputs(" message=\"", out);
    rep_put_max(out, message != NULL ? message : "", REP_ESC_XML, REP_JUNIT_MESSAGE_MAX);
    free(message);
    fputs("\">", out);
    for (uint32_t i = 0; i < r->failure_count; i++) {
        char *text = rep_failure_text(r, &r->failures[i]);
        fputs(i == 0 ? "" : "\n", out);
        rep_put(out, text, REP_ESC_XML_TEXT);
        free(text);
    }
    if (r->replay != NULL) {
        fputs("\nreplay: ", out);
        rep_put(out, r->replay, REP_ESC_XML_TEXT);
    }
    fprintf(out, "\n</%s>\n", element);
}

static void testcase(junit *j, const jcase *c)
{
    FILE *out = j->out;
    const sim_result *r = &j->results[c->index];
    char classname[TOPIC_MAX * 2 + 16], backend[TOPIC_MAX], t[32];
    snprintf(classname, sizeof classname, "portsim.%s.%s",
             rep_identifier(c->backend, backend, sizeof backend), c->topic);
    fputs("    <testcase name=\"", out);
    rep_put(out, c->name, REP_ESC_XML);
    if (c->dup_k > 0) fprintf(out, " [%u/%u seed=%llu]", c->dup_k, c->dup_n, (unsigned long long)r->seed);
    fputc('"', out);
    attr(out, "classname", classname);
    attr(out, "file", r->file);
    fprintf(out, " line=\"%u\" time=\"%s\">\n", r->line ? r->line : 1,
            rep_seconds(r->wall_time_ns, t, sizeof t));
    case_properties(out, r);
    if (r->verdict == SIM_VERDICT_SKIP) {
        fputs("      <skipped", out);
        attr(out, "message", r->skip_reason != NULL ? r->skip_reason : "");
        fputs("/>\n", out);
    } else if (r->verdict != SIM_VERDICT_PASS) {
        problem(out, r);
    }
    notes_output(out, r);
    fputs("    </testcase>\n", out);
}

static void suite(junit *j, uint32_t first, uint32_t end)
{
    FILE *out = j->out;
    const jcase *c = &j->cases[first];
    sim_tally counts = {0};
    for (uint32_t i = first; i < end; i++) {
        sim_tally one = sim_tally_results(&j->results[j->cases[i].index], 1);
        counts.passed += one.passed;
        counts.failed += one.failed;
        counts.skipped += one.skipped;
        counts.errors += one.errors;
        counts.wall_time_ns += one.wall_time_ns;
    }
    fputs("  <testsuite name=\"", out);
    rep_put(out, c->backend, REP_ESC_XML);
    fputc('/', out);
    rep_put(out, c->topic, REP_ESC_XML);
    fputc('"', out);
    counts_attrs(out, &counts);
    fputs(">\n    <properties>\n", out);
    property(out, "      ", "backend", c->backend);
    property(out, "      ", "tool", j->info->version != NULL ? j->info->version : "");
    property(out, "      ", "command", j->info->command != NULL ? j->info->command : "");
    fputs("    </properties>\n", out);
    for (uint32_t i = first; i < end; i++) testcase(j, &j->cases[i]);
    fputs("  </testsuite>\n", out);
}

bool rep_junit_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count)
{
    assert(out != NULL && info != NULL && (results != NULL || count == 0));
    junit j = {.out = out, .info = info, .results = results, .count = count};
    j.cases = calloc((size_t)count + 1, sizeof *j.cases);
    if (j.cases == NULL || !place_cases(&j)) {
        free(j.cases);
        return false;
    }
    sim_tally total = sim_tally_results(results, count);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"portsim\"", out);
    counts_attrs(out, &total);
    fputs(">\n", out);
    for (uint32_t first = 0; first < count;) {
        uint32_t end = first + 1;
        while (end < count && same_suite(&j.cases[first], &j.cases[end])) end++;
        suite(&j, first, end);
        first = end;
    }
    fputs("</testsuites>\n", out);
    free(j.cases);
    return fflush(out) == 0 && !ferror(out);
}
