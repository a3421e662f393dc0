/* rep_html.c — see rep_html.h. */
#include "rep_html.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rep_diagram.h"
#include "rep_failure.h"
#include "rep_text.h"
#include "sim_util.h"

#define NAME_MAX_CHARS 160u

static const char page_css[] =
    "body{font-family:sans-serif;font-size:14px;color:#1f2328;margin:0 24px 48px;line-height:1.4}\n"
    "h1{font-size:22px;margin:18px 0 4px}h2{font-size:17px;margin:0}h3{font-size:14px;margin:16px 0 6px}\n"
    "code,pre{font-family:monospace;font-size:12.5px}\n"
    "pre{background:#f6f8fa;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\n"
    ".run{color:#57606a;margin:0 0 6px}\n"
    ".badge{display:inline-block;min-width:3.5em;text-align:center;border-radius:3px;padding:0 6px;"
    "font-weight:bold;font-size:12px;color:#fff}\n"
    ".badge.pass{background:#2da44e}.badge.fail{background:#cf222e}"
    ".badge.skip{background:#9a6700}.badge.error{background:#8250df}\n"
    "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;"
    "text-align:left;vertical-align:top}\n"
    "th{background:#f6f8fa}table.summary td.name{max-width:36em;word-break:break-word}\n"
    "tr.failed td{background:#ffebe9}\n"
    "section.scenario{border-top:1px solid #d0d7de;padding:10px 0}\n"
    "section.scenario>details>summary{cursor:pointer;font-size:15px}\n"
    "section.scenario .name{font-weight:bold;word-break:break-word}\n"
    "dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0}\n"
    "dl.facts dt{color:#57606a}dl.facts dd{margin:0;word-break:break-all}\n"
    "ol.failures li{margin-bottom:6px}.failures .where{color:#57606a}\n"
    ".note{color:#57606a;font-style:italic}.trunc{color:#e65100;font-weight:bold}\n"
    ".diagram{overflow-x:auto;border:1px solid #d0d7de;max-height:80vh;overflow-y:auto}\n"
    ".filters{margin:8px 0}.filters label{margin-right:14px}\n"
    "#hide-pass:checked~main .v-pass,#hide-skip:checked~main .v-skip{display:none}\n"
    ".legend svg{vertical-align:middle}\n";

typedef struct page {
    FILE *out;
    const sim_run_info *info;
    const sim_result *results;
    uint32_t count;
    rep_html_options opt;
} page;

rep_html_options rep_html_options_default(void)
{
    return (rep_html_options){.title = NULL, .max_rows = 0, .diagrams = true, .open_all = false};
}

/* ---- small writers ------------------------------------------------------------------ */

static void text(FILE *out, const char *s)
{
    rep_put(out, s, REP_ESC_XML_TEXT);
}

static void text_max(FILE *out, const char *s, size_t max)
{
    rep_put_max(out, s, REP_ESC_XML_TEXT, max);
}

static void badge(FILE *out, uint8_t verdict)
{
    const char *name = sim_verdict_name(verdict);
    fprintf(out, "<span class=\"badge %s\">%s</span>", name, name);
}

static void file_line(FILE *out, const char *file, uint32_t line, uint32_t col)
{
    fputs("<code>", out);
    text(out, file != NULL ? file : "?");
    fprintf(out, ":%u", line);
    if (col > 0) fprintf(out, ":%u", col);
    fputs("</code>", out);
}

/* ---- header, legend, summary ----------------------------------------------------------- */

static void head(page *p)
{
    FILE *out = p->out;
    sim_tally c = sim_tally_results(p->results, p->count);
    const char *title = p->opt.title != NULL ? p->opt.title : "portsim report";
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          out);
    text(out, title);
    fprintf(out, ": %u passed, %u failed, %u skipped, %u errors</title>\n<style>\n", c.passed, c.failed,
            c.skipped, c.errors);
    fputs(page_css, out);
    fputs(rep_diagram_css(), out);
    fputs("</style>\n</head>\n<body>\n<header>\n<h1>", out);
    text(out, title);
    fputs("</h1>\n<p class=\"run\">portsim ", out);
    text(out, p->info->version);
    fputs(" \u00b7 ", out);
    text(out, p->info->command);
    fputs(" \u00b7 backend ", out);
    text(out, p->info->backend != NULL ? p->info->backend : "unknown");
    fprintf(out, " \u00b7 seed %llu \u00b7 strategy ", (unsigned long long)p->info->seed);
    text(out, p->info->strategy != NULL ? p->info->strategy : "?");
    fputs(" \u00b7 profile ", out);
    text(out, p->info->profile != NULL ? p->info->profile : "each scenario's own");
    fprintf(out, "</p>\n<p class=\"totals\"><span class=\"badge pass\">%u passed</span> "
                 "<span class=\"badge fail\">%u failed</span> <span class=\"badge skip\">%u skipped</span> "
                 "<span class=\"badge error\">%u errors</span></p>\n</header>\n",
            c.passed, c.failed, c.skipped, c.errors);
}

static const char legend_html[] =
    "<details class=\"legend\"><summary>How to read the sequence diagrams</summary>\n"
    "<p>One vertical lifeline per thread (or dispatch worker), grouped by process on shaded bands. "
    "Time runs down, one row per call or event in time order (the run's order for events at the same "
    "instant), with the new time on the left where it advances. The quiet time between rows is drawn "
    "to scale (2px per ms) up to 24ms; a longer quiet gap is compressed into a zigzag break marked "
    "with its length (+4.95s). "
    "Hover over anything for its details.</p>\n<ul>\n"
    "<li><svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#6db6fe\"/></svg>"
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#ffaa26\"/></svg>"
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#f06292\"/></svg>"
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#b71c1c\"/></svg>"
    " a send, from its call to its return: success, send or receive timeout, is/became invalid, "
    "transport error</li>\n"
    "<li><svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#d0d7de\"/></svg>"
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#eef1f4\" "
    "stroke=\"#7a8591\" stroke-width=\"0.6\"/></svg> other calls and run loops; "
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#fff0a8\" "
    "stroke=\"#c9a800\"/></svg> a callout (the handler running); "
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#9e9e9e\"/></svg> "
    "killed with its process; "
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#feb5da\" "
    "stroke=\"#7a8591\" stroke-dasharray=\"3 2\"/></svg> still blocked when the run ended; a red outline "
    "and \u2717: the call a failure points at</li>\n"
    "<li><svg width=\"40\" height=\"10\"><path d=\"M2 5L36 5\" stroke=\"#333\" stroke-width=\"1.4\"/></svg> "
    "a request (enqueue \u2192 callout); "
    "<svg width=\"40\" height=\"10\"><path d=\"M2 5L36 5\" stroke=\"#1565c0\" stroke-width=\"1.4\" "
    "stroke-dasharray=\"5 3\"/></svg> a reply; "
    "<svg width=\"40\" height=\"10\"><path d=\"M2 5L36 5\" stroke=\"#ef6c00\" stroke-width=\"1.4\" "
    "stroke-dasharray=\"5 3\"/></svg> a late reply the sender dropped; "
    "<svg width=\"40\" height=\"10\"><path d=\"M2 5L36 5\" stroke=\"#ff1e90\" stroke-width=\"1.4\"/></svg> "
    "a message lost or destroyed (ends in \u00d7); a grey stub: a request never delivered</li>\n"
    "<li><svg width=\"14\" height=\"14\"><path d=\"M7 1L13 7L7 13L1 7Z\" fill=\"#7b1fa2\"/></svg> "
    "invalidation callback; "
    "<svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"4\" fill=\"#fff\" stroke=\"#7b1fa2\"/></svg> "
    "a port became invalid; "
    "<svg width=\"30\" height=\"14\"><path d=\"M1 7L29 7\" stroke=\"#d50000\" stroke-width=\"3\" "
    "stroke-dasharray=\"6 3\"/></svg> a crash; "
    "<svg width=\"30\" height=\"14\"><path d=\"M1 7L29 7\" stroke=\"#222\" stroke-width=\"3\"/></svg> "
    "an exit; grey squares: port deaths; yellow triangles: warnings</li>\n"
    "<li><svg width=\"22\" height=\"24\"><path d=\"M10 2H6V22H10\" fill=\"none\" stroke=\"#5e35b1\" "
    "stroke-width=\"1.6\"/><path d=\"M3 22H21\" stroke=\"#5e35b1\" stroke-dasharray=\"4 2\"/></svg> "
    "a deadline, left of the caller's lifeline: from when it starts counting to when it expires (send "
    "deadline, recv deadline from the request queued, run_loop limit, wait_for timeout; timers: their "
    "due times); "
    "<svg width=\"14\" height=\"24\"><path d=\"M10 2H6V22\" fill=\"none\" stroke=\"#8a96a3\" "
    "stroke-width=\"1.6\" stroke-dasharray=\"3 2\"/></svg> dashed and open: not reached, the call "
    "returned first; "
    "<svg width=\"22\" height=\"14\"><path d=\"M1 7H21\" stroke=\"#d50000\" stroke-width=\"2.5\"/></svg> "
    "<b style=\"color:#d50000\">TIE</b>: an event that could decide the call at exactly the deadline "
    "(the outcome depends on which goes first); "
    "<svg width=\"22\" height=\"22\"><circle cx=\"11\" cy=\"11\" r=\"9\" fill=\"none\" "
    "stroke=\"#2e7d32\" stroke-width=\"2\"/></svg> <b style=\"color:#2e7d32\">decided</b>: what decided "
    "the call's status (the reply, the port invalid, or the deadline)</li>\n";

/* The legend's last item (a string of its own: C99 compilers need only take 4095 bytes). */
static const char legend_pair_html[] =
    "<li>Two runs of a scenario side by side on one time axis (conform: the real run, and the model's run "
    "its joint check settled on; explore: the failing schedule, and a passing one): each run's lanes "
    "named after it, a dashed rule between them; "
    "<svg width=\"14\" height=\"14\"><rect x=\"4\" y=\"1\" width=\"6\" height=\"12\" fill=\"#6db6fe\" "
    "stroke=\"#aa00ff\" stroke-width=\"3\"/></svg> <b style=\"color:#7b00c4\">\u2260</b>: a call with no equal "
    "outcome in the other run</li>\n"
    "</ul>\n</details>\n";

static void summary_row(page *p, uint32_t i)
{
    FILE *out = p->out;
    const sim_result *r = &p->results[i];
    char hash[40], t[40];
    fprintf(out, "<tr class=\"v-%s\"><td>%u</td><td>", sim_verdict_name(r->verdict), i + 1);
    badge(out, r->verdict);
    fprintf(out, "</td><td class=\"name\"><a href=\"#r%u\">", i + 1);
    text_max(out, rep_result_name(r), NAME_MAX_CHARS);
    fputs("</a></td><td>", out);
    file_line(out, r->file, r->line, 0);
    fputs("</td><td>", out);
    text(out, r->backend);
    fprintf(out, "</td><td>%llu</td><td>", (unsigned long long)r->seed);
    if (r->verdict == SIM_VERDICT_PASS || r->verdict == SIM_VERDICT_FAIL) {
        fprintf(out, "<code>%s</code></td><td>%s", r->has_trace_hash ? rep_hash(r->trace_hash, hash, sizeof hash) : "-",
                rep_duration(r->virtual_time_ns, t, sizeof t));
    } else {
        fputs("</td><td>", out);
    }
    fputs("</td></tr>\n", out);
}

static void summary(page *p)
{
    FILE *out = p->out;
    fputs("<input type=\"checkbox\" id=\"hide-pass\"/><label for=\"hide-pass\"> hide passed</label> "
          "<input type=\"checkbox\" id=\"hide-skip\"/><label for=\"hide-skip\"> hide skipped</label>\n"
          "<main>\n<h2>Scenarios</h2>\n",
          out);
    if (p->count == 0) {
        fputs("<p class=\"note\">No scenarios were run.</p>\n", out);
        return;
    }
    fputs("<table class=\"summary\">\n<thead><tr><th>#</th><th>verdict</th><th>scenario</th>"
          "<th>file:line</th><th>backend</th><th>seed</th><th>trace hash</th><th>virtual time</th>"
          "</tr></thead>\n<tbody>\n",
          out);
    for (uint32_t i = 0; i < p->count; i++) summary_row(p, i);
    fputs("</tbody>\n</table>\n", out);
}

/* ---- one scenario's section ---------------------------------------------------------------- */

static void fact(FILE *out, const char *name, const char *value)
{
    fprintf(out, "<dt>%s</dt><dd>", name);
    text(out, value != NULL ? value : "");
    fputs("</dd>", out);
}

/* What an exploration adds: the schedules run and how many failed. */
static void explored_facts(FILE *out, const sim_explored *x)
{
    if (x->runs == 0) return;
    char t[160];
    snprintf(t, sizeof t, "%s%s: %llu runs, %llu failing, %llu distinct traces", x->method,
             x->latency ? " with latencies" : "", (unsigned long long)x->runs,
             (unsigned long long)x->failing_runs, (unsigned long long)x->distinct_traces);
    fact(out, "explored", t);
}

/* What a real-time run adds: its runs and the call closest to a deadline. */
static void realtime_facts(FILE *out, const sim_realtime *rt)
{
    if (rt->runs == 0) return;
    char t[80], d[48];
    snprintf(t, sizeof t, "%u of %u failed%s", rt->failed_runs, rt->runs,
             rt->failed_runs > 0 && rt->failed_runs < rt->runs ? " (flaky)" : "");
    fact(out, "runs", t);
    if (rt->explain != 0) fact(out, "joint check", rt->explain_text); /* sim_explain: the model run it was */
    if (rt->explain_replay != NULL) fact(out, "model replay", rt->explain_replay);
    if (!rt->has_margin) return;
    sim_format_margin(rt->margin_ns, d, sizeof d);
    snprintf(t, sizeof t, "%s at line %u", d, rt->margin_line);
    fact(out, "closest deadline", t);
}

static void facts(page *p, const sim_result *r)
{
    FILE *out = p->out;
    char t[40];
    if (r->about != NULL) {
        fputs("<p class=\"about\">", out);
        text(out, r->about);
        fputs("</p>\n", out);
    }
    fputs("<dl class=\"facts\">", out);
    if (r->rule_count > 0) {
        fputs("<dt>rules</dt><dd>", out);
        for (uint32_t i = 0; i < r->rule_count; i++) {
            if (i) fputc(' ', out);
            text(out, r->rules[i]);
        }
        fputs("</dd>", out);
    }
    fact(out, "backend", r->backend);
    if (r->scenario == NULL) { /* the file did not load: nothing ran */
        fputs("</dl>\n", out);
        return;
    }
    snprintf(t, sizeof t, "%llu", (unsigned long long)r->seed);
    fact(out, "seed", t);
    fact(out, "strategy", r->strategy);
    fact(out, "profile", r->profile);
    if (r->verdict == SIM_VERDICT_PASS || r->verdict == SIM_VERDICT_FAIL) {
        if (r->has_trace_hash) fact(out, "trace hash", rep_hash(r->trace_hash, t, sizeof t));
        snprintf(t, sizeof t, "%llu", (unsigned long long)r->event_count);
        fact(out, "trace events", t);
        fact(out, "virtual time", rep_duration(r->virtual_time_ns, t, sizeof t));
        fact(out, "end", r->end_reason);
    }
    realtime_facts(out, &r->rt);
    explored_facts(out, &r->explored);
    fputs("</dl>\n", out);
    if (r->replay != NULL && r->verdict != SIM_VERDICT_PASS && r->verdict != SIM_VERDICT_SKIP) {
        fputs("<p>Replay: <code>", out);
        text(out, r->replay);
        fputs("</code></p>\n", out);
    }
}

static void failures(page *p, const sim_result *r)
{
    FILE *out = p->out;
    if (r->verdict == SIM_VERDICT_SKIP) {
        fputs("<p class=\"note\">Skipped: ", out);
        text(out, r->skip_reason);
        fputs("</p>\n", out);
    }
    for (uint32_t i = 0; i < r->note_count; i++) {
        fputs("<p class=\"note\">Note: ", out);
        text(out, r->notes[i]);
        fputs("</p>\n", out);
    }
    for (uint32_t i = 0; i < r->rt.host_note_count; i++) {
        fputs("<p class=\"note\">Host: ", out);
        text(out, r->rt.host_notes[i]);
        fputs("</p>\n", out);
    }
    if (r->failure_count == 0) return;
    fprintf(out, "<h3>%s</h3>\n<ol class=\"failures\">\n", r->verdict == SIM_VERDICT_ERROR ? "Errors" : "Failures");
    for (uint32_t i = 0; i < r->failure_count; i++) {
        const sim_failure *f = &r->failures[i];
        fputs("<li>", out);
        file_line(out, r->file, f->line, f->col);
        fprintf(out, " <b>%s</b>: ", sim_failure_kind_name(f->kind));
        text(out, f->message);
        if (f->expected != NULL || f->observed != NULL) {
            fputs("<br/>expected <code>", out);
            text(out, f->expected != NULL ? f->expected : "-");
            fputs("</code>, observed <code>", out);
            text(out, f->observed != NULL ? f->observed : "-");
            fputs("</code>", out);
        }
        if (f->execution != SIM_RESULT_NONE || f->time_ns != SIM_RESULT_NO_TIME) {
            char t[40];
            fputs(" <span class=\"where\">(", out);
            if (f->execution != SIM_RESULT_NONE) fprintf(out, "execution %u", f->execution + 1);
            if (f->time_ns != SIM_RESULT_NO_TIME) {
                fprintf(out, "%sat t=%s", f->execution != SIM_RESULT_NONE ? ", " : "",
                        rep_duration(f->time_ns, t, sizeof t));
            }
            fputs(")</span>", out);
        }
        fputs("</li>\n", out);
    }
    fputs("</ol>\n", out);
}

static void steps(page *p, const sim_result *r)
{
    FILE *out = p->out;
    if (r->step_count == 0) return;
    fputs("<h3>Steps</h3>\n<table class=\"steps\">\n<thead><tr><th>#</th><th>line</th><th>op</th>"
          "<th>where</th><th>label</th><th>runs</th><th>expect</th><th>first observation</th></tr></thead>\n"
          "<tbody>\n",
          out);
    for (uint32_t i = 0; i < r->step_count; i++) {
        const sim_step_result *s = &r->steps[i];
        fprintf(out, "<tr%s><td>%u</td><td>%u:%u</td><td><code>", s->failed ? " class=\"failed\"" : "", i,
                s->line, s->col);
        text(out, s->op);
        fputs("</code></td><td>", out);
        text(out, s->where);
        fputs("</td><td>", out);
        text(out, s->label);
        fprintf(out, "</td><td>%u</td><td>%s</td><td><code>", s->executions,
                s->failed ? "\u2717 failed" : s->has_expect ? "\u2713" : "");
        text(out, s->observed);
        fputs("</code></td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void diagram(page *p, const sim_result *r, uint32_t index)
{
    FILE *out = p->out;
    if (r->verdict == SIM_VERDICT_SKIP || r->verdict == SIM_VERDICT_ERROR) return;
    fputs("<h3>Sequence diagram</h3>\n", out);
    if (r->obs == NULL || !p->opt.diagrams) {
        fputs("<p class=\"note\">No diagram: this run did not keep its observation "
              "(run with keep_obs, as <code>portsim run --html</code> does).</p>\n",
              out);
        return;
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, "r%u-", index + 1);
    const sim_beside *b = &r->beside;
    if (b->obs != NULL) {
        uint32_t differ = 0, other = 0;
        for (uint32_t k = 0; k < b->own_count; k++) differ += b->own_differs[k] != 0;
        for (uint32_t k = 0; k < b->other_count; k++) other += b->other_differs[k] != 0;
        fprintf(out, "<p class=\"beside\">Left, the %s run; right, the %s run beside it on the same time axis: ",
                b->own_label, b->other_label);
        text(out, b->how);
        fputs(b->consistent ? " (it gives every compared outcome of this run). "
              : b->closest  ? " (no run found gives this whole run: this one matches the longest prefix of it). "
                            : ". ",
              out);
        if (differ + other > 0) {
            fprintf(out, "<b>Calls with no equal outcome in the other run</b> (outlined in violet, \u2260): %u of the "
                         "%s run, %u of the %s run.", differ, b->own_label, other, b->other_label);
        } else {
            fprintf(out, "Every compared call has its equal in the %s run; only times differ.", b->other_label);
        }
        fputs("</p>\n", out);
    }
    fputs("<div class=\"diagram\">\n", out);
    bool drawn = b->obs != NULL ? rep_diagram_write_beside(out, r, p->opt.max_rows, prefix)
                                : rep_diagram_write(out, r, p->opt.max_rows, prefix);
    if (!drawn) {
        fputs("<p class=\"note\">No diagram: out of memory while laying it out.</p>\n", out);
    }
    fputs("</div>\n", out);
}

static void section(page *p, uint32_t i)
{
    FILE *out = p->out;
    const sim_result *r = &p->results[i];
    bool open = p->opt.open_all || r->verdict == SIM_VERDICT_FAIL || r->verdict == SIM_VERDICT_ERROR;
    fprintf(out, "<section id=\"r%u\" class=\"scenario v-%s\">\n<details%s>\n<summary>", i + 1,
            sim_verdict_name(r->verdict), open ? " open=\"open\"" : "");
    badge(out, r->verdict);
    fputs(" <span class=\"name\">", out);
    text(out, rep_result_name(r));
    fputs("</span> ", out);
    file_line(out, r->file, r->line, 0);
    fputs("</summary>\n", out);
    facts(p, r);
    failures(p, r);
    steps(p, r);
    diagram(p, r, i);
    fputs("</details>\n</section>\n", out);
}

bool rep_html_write(FILE *out, const sim_run_info *info, const sim_result *results, uint32_t count,
                    const rep_html_options *opt)
{
    assert(out != NULL && info != NULL && (results != NULL || count == 0));
    page p = {.out = out, .info = info, .results = results, .count = count,
              .opt = opt != NULL ? *opt : rep_html_options_default()};
    head(&p);
    fputs(legend_html, out);
    fputs(legend_pair_html, out);
    summary(&p);
    for (uint32_t i = 0; i < count; i++) section(&p, i);
    fputs("</main>\n<footer><p class=\"note\">Written by portsim ", out);
    text(out, info->version);
    fputs(". Self-contained: no scripts, fonts or network.</p></footer>\n</body>\n</html>\n", out);
    return fflush(out) == 0 && !ferror(out);
}
