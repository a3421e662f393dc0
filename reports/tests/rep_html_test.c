/*
 * rep_html_test.c — the HTML report: page structure (summary table linked
 * to one section per result), each verdict's section, escaping of hostile
 * text, no results, determinism, the SVG sequence diagram's elements for
 * known observations (hand-built and real model runs: lanes, arrows of each
 * kind, call colours, marks, the failed call, truncation), the
 * no-observation sentence, and a golden file of one small scenario
 * (regenerate: REP_UPDATE_GOLDEN=1). Well-formedness through xmllint is in
 * rep_tools_test.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "rep_diagram.h"
#include "rep_html.h"
#include "rep_test_util.h"
#include "sim_obs.h"

#define GOLDEN REP_TEST_DIR "/golden/late-reply.html"
#define DG_ROW_H_TEST 18u /* rep_diagram_internal.h DG_ROW_H */

static char *html_opt(const sim_result *results, uint32_t count, const rep_html_options *opt, size_t *len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    sim_run_info info = rt_info();
    assert_true(rep_html_write(f, &info, results, count, opt));
    return rt_slurp(f, len);
}

static char *html(const sim_result *results, uint32_t count, size_t *len)
{
    return html_opt(results, count, NULL, len);
}

static char *section_of(const char *page, uint32_t index)
{
    char id[48];
    snprintf(id, sizeof id, "<section id=\"r%u\"", index);
    const char *a = strstr(page, id);
    if (a == NULL) fail_msg("no section %u", index);
    const char *b = strstr(a, "</section>");
    assert_non_null(b);
    return strndup(a, (size_t)(b - a));
}

static void page_has_summary_and_a_section_per_result(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    size_t len = 0;
    char *h = html(r, n, &len);
    assert_true(strncmp(h, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n", 70) == 0);
    assert_non_null(strstr(h, "<title>portsim report: 3 passed, 2 failed, 1 skipped, 1 errors</title>"));
    assert_non_null(strstr(h, "<span class=\"badge pass\">3 passed</span>"));
    assert_int_equal(rt_count(h, "<section id=\"r"), n);
    assert_int_equal(rt_count(h, "<tr class=\"v-"), n);
    for (uint32_t i = 1; i <= n; i++) {
        char link[32];
        snprintf(link, sizeof link, "<a href=\"#r%u\">", i);
        assert_int_equal(rt_count(h, link), 1);
    }
    assert_non_null(strstr(h, "<tr class=\"v-fail\"><td>2</td><td><span class=\"badge fail\">fail</span></td>"
                              "<td class=\"name\"><a href=\"#r2\">send-fails</a></td><td><code>scenarios/send/"
                              "fails.yaml:1</code></td><td>model</td><td>1</td><td><code>0x0123456789abcdee</code>"
                              "</td><td>2.001s</td></tr>"));
    /* no script, no external resource, no clock */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "href=\"http"));
    assert_null(strstr(h, "src="));
    assert_null(strstr(h, "@import"));
    assert_null(strstr(h, "url(http"));
    assert_true(rt_valid_xml_chars(h, len));
    rt_free_results(r, n);
    free(h);
}

static void each_verdict_reads_right(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *h = html(r, n, NULL);
    char *pass = section_of(h, 1), *fail = section_of(h, 2), *skip = section_of(h, 3), *err = section_of(h, 4);
    assert_non_null(strstr(pass, "<details>\n")); /* closed */
    assert_non_null(strstr(fail, "<details open=\"open\">"));
    assert_non_null(strstr(fail, "<li><code>scenarios/send/fails.yaml:21:11</code> <b>expect</b>: send result<br/>"
                                 "expected <code>receive_timeout</code>, observed <code>success</code> "
                                 "<span class=\"where\">(execution 1, at t=101ms)</span></li>"));
    assert_non_null(strstr(fail, "<p>Replay: <code>portsim run scenarios/send/fails.yaml --seed 1 --strategy fifo "
                                 "--profile ventura</code></p>"));
    assert_non_null(strstr(fail, "<tr class=\"failed\"><td>0</td><td>21:9</td><td><code>send</code></td>"));
    assert_non_null(strstr(fail, "<p class=\"note\">No diagram: this run did not keep its observation"));
    assert_non_null(strstr(skip, "<p class=\"note\">Skipped: backend apple is not available # here \\ there</p>"));
    assert_null(strstr(skip, "Sequence diagram"));
    assert_non_null(strstr(err, "<h3>Errors</h3>"));
    assert_non_null(strstr(err, "<code>scenarios/bad/broken.yaml:3:5</code> <b>load</b>: unknown key 'foo'"));
    assert_null(strstr(err, "<dt>seed</dt>"));
    assert_null(strstr(err, "<svg"));
    free(pass);
    free(fail);
    free(skip);
    free(err);
    rt_free_results(r, n);
    free(h);
}

static void hostile_text_is_escaped(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    size_t len = 0;
    char *h = html(&r[4], 1, &len);
    assert_true(rt_valid_xml_chars(h, len));
    assert_null(strstr(h, "<b>&amp; ]]>"));
    assert_null(strstr(h, "<x>"));
    assert_null(strstr(h, "<main> &"));
    assert_non_null(strstr(h, "hostile \"name\" &lt;b&gt;&amp;amp; ]]&gt; \\x01\\x1b[31m # \\ \\xc3( \\xef\\xbf\\xbe "));
    assert_non_null(strstr(h, "<code>scenarios/ev\\xffil/&lt;x&gt;&amp;\"q'.yaml:1</code>"));
    assert_non_null(strstr(h, "client/&lt;main&gt; &amp; \"x\""));
    assert_non_null(strstr(h, "label ]]&gt; \\x02"));
    assert_null(strstr(h, "]]>"));
    assert_true(len > 200000); /* the 100 KB about and observation are all there */
    rt_free_results(r, n);
    free(h);
}

/* A real-time run shows its runs, its closest deadline and its notes (escaped). */
static void realtime_runs_show_margin_and_notes(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *h = html(&r[6], 1, NULL);
    assert_non_null(strstr(h, "<dt>runs</dt><dd>0 of 3 failed</dd>"));
    assert_non_null(strstr(h, "<dt>closest deadline</dt><dd>-7.25ms at line 28</dd>"));
    assert_non_null(strstr(h, "<p class=\"note\">Note: echo.yaml:16: the set_dispatch_queue result is not "
                              "observable</p>"));
    assert_non_null(strstr(h, "<p class=\"note\">Note: a &lt;b&gt; &amp; "));
    assert_null(strstr(h, "<b> &"));
    rt_free_results(r, n);
    free(h);
}

static void no_results_still_make_a_page(void **state)
{
    (void)state;
    size_t len = 0;
    char *h = html(NULL, 0, &len);
    assert_non_null(strstr(h, "<p class=\"note\">No scenarios were run.</p>"));
    assert_non_null(strstr(h, "0 passed, 0 failed, 0 skipped, 0 errors"));
    assert_true(strstr(h, "</html>\n") == h + len - 8);
    free(h);
}

static void same_results_same_bytes(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_run_all_data(&n);
    size_t len1 = 0, len2 = 0;
    char *a = html(r, n, &len1);
    for (uint32_t i = 0; i < n; i++) r[i].wall_time_ns += 777; /* wall time never shows */
    char *b = html(r, n, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(a, b, len1);
    rt_free_results(r, n);
    free(a);
    free(b);
}

/* ---- diagrams ----------------------------------------------------------------------------- */

static char *diagram(const sim_result *r, uint32_t max_rows)
{
    FILE *f = tmpfile();
    assert_true(rep_diagram_write(f, r, max_rows, "t-"));
    return rt_slurp(f, NULL);
}

static void hand_built_observation_draws_every_element(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *d = diagram(&r[0], 0);
    assert_true(strncmp(d, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\"", 50) == 0);
    assert_non_null(strstr(d, "<marker id=\"t-req\""));
    assert_non_null(strstr(d, "<marker id=\"t-rep\""));
    /* lanes: server/main, client/main and the (system) lane for the registry */
    assert_non_null(strstr(d, ">server/main</text>"));
    assert_non_null(strstr(d, ">client/main</text>"));
    assert_non_null(strstr(d, ">(system)</text>"));
    assert_int_equal(rt_count(d, "<line class=\"life\""), 3);
    /* the request, the late reply, the request never delivered */
    assert_int_equal(rt_count(d, "<g class=\"arrow a-req\">"), 1);
    assert_int_equal(rt_count(d, "<g class=\"arrow a-late\">"), 1);
    assert_int_equal(rt_count(d, "<g class=\"arrow a-pending\">"), 1);
    assert_non_null(strstr(d, "marker-end=\"url(#t-req)\""));
    /* calls: timeout-coloured send, killed run loop, blocked send open to the bottom, a callout */
    assert_non_null(strstr(d, "<g class=\"call c-timeout\">"));
    assert_non_null(strstr(d, "<g class=\"call c-killed\">"));
    assert_non_null(strstr(d, "<g class=\"call c-blocked open\">"));
    assert_non_null(strstr(d, "<g class=\"call c-callout\">"));
    assert_non_null(strstr(d, "send msgid 7 \u2192 receive_timeout (100ms)</text>"));
    assert_non_null(strstr(d, "run_loop \u2192 killed</text>"));
    /* marks */
    assert_non_null(strstr(d, "<g class=\"mark m-crash\">"));
    assert_non_null(strstr(d, ">CRASH (fault)</text>"));
    assert_non_null(strstr(d, "<g class=\"mark m-inval\">"));
    assert_non_null(strstr(d, "<g class=\"mark m-port\">"));
    assert_non_null(strstr(d, "<g class=\"mark m-warn\">"));
    assert_non_null(strstr(d, ">ANOMALY: a test anomaly &lt;&amp;&gt;</text>"));
    assert_non_null(strstr(d, ">name released</text>"));
    /* time labels where time moves; tooltips on everything drawn */
    assert_non_null(strstr(d, "text-anchor=\"end\">101ms</text>"));
    assert_null(strstr(d, ">2s</text>")); /* the blocked send ends there, but nothing happens */
    assert_true(rt_count(d, "<title>") >= rt_count(d, "<g class=\"call") + rt_count(d, "<g class=\"mark"));
    assert_null(strstr(d, "Truncated"));
    rt_free_results(r, n);
    free(d);
}

static void the_cap_truncates_with_a_visible_note(void **state)
{
    (void)state;
    uint32_t n = 0;
    sim_result *r = rt_hand_results(&n);
    char *d = diagram(&r[0], 5);
    assert_non_null(strstr(d, "<text class=\"trunc\""));
    assert_non_null(strstr(d, "Truncated: only the first 5 rows are drawn;"));
    assert_null(strstr(d, ">CRASH (fault)</text>"));
    /* the request goes past the cap: its arrow is cut, ending at the bottom */
    char *d2 = diagram(&r[0], 6); /* the enqueue is row 6, its callout row 7 */
    assert_non_null(strstr(d2, "a-req a-cut"));
    rt_free_results(r, n);
    free(d);
    free(d2);
}

static void diagram_needs_an_observation(void **state)
{
    (void)state;
    sim_result r;
    sim_result_init(&r);
    r.file = strdup("x.yaml");
    FILE *f = tmpfile();
    assert_false(rep_diagram_write(f, &r, 0, "x-"));
    char *text = rt_slurp(f, NULL);
    assert_string_equal(text, "");
    free(text);
    sim_result_free(&r);
    const char *css = rep_diagram_css();
    assert_null(strchr(css, '<'));
    assert_null(strchr(css, '&'));
}

/* Whether some arrow's path is a curve (a loop back to its own lane). */
static bool has_loop(const char *svg)
{
    for (const char *p = svg; (p = strstr(p, "<g class=\"arrow")) != NULL; p++) {
        const char *path = strstr(p, "<path d=\"M");
        const char *end = path != NULL ? strchr(path + 10, '"') : NULL;
        const char *curve = path != NULL ? strchr(path + 10, 'C') : NULL;
        if (curve != NULL && curve < end) return true;
    }
    return false;
}

static void model_runs_draw_their_story(void **state)
{
    (void)state;
    sim_result crash, late, wrong, queue, self;
    rt_run_data("server-crash.yaml", &crash);
    rt_run_data("late-reply.yaml", &late);
    rt_run_data("wrong-expectation.yaml", &wrong);
    rt_run_data("serial-queue.yaml", &queue);
    rt_run_data("reentrant.yaml", &self);
    char *d = diagram(&crash, 0);
    assert_non_null(strstr(d, "<g class=\"call c-invalid\">")); /* became_invalid */
    assert_non_null(strstr(d, ">CRASH (fault)</text>"));
    assert_non_null(strstr(d, "<g class=\"mark m-inval\">"));
    assert_non_null(strstr(d, "<g class=\"call c-killed\">"));
    assert_non_null(strstr(d, ">request destroyed</text>"));
    free(d);
    d = diagram(&late, 0);
    assert_int_equal(rt_count(d, "<g class=\"arrow a-req\">"), 2);
    assert_int_equal(rt_count(d, "<g class=\"arrow a-reply\">"), 1);
    assert_int_equal(rt_count(d, "<g class=\"arrow a-late\">"), 1);
    assert_non_null(strstr(d, "<g class=\"call c-timeout\">"));
    assert_non_null(strstr(d, "<g class=\"call c-ok\">"));
    free(d);
    d = diagram(&wrong, 0);
    assert_int_equal(rt_count(d, "<g class=\"call c-timeout failed\">"), 1);
    assert_non_null(strstr(d, "\u2717 send msgid 9 \u2192 receive_timeout (100ms)</text>"));
    assert_non_null(strstr(d, "FAILED: send result: expected success, observed receive_timeout"));
    free(d);
    d = diagram(&queue, 0);
    assert_non_null(strstr(d, ">server/worker1</text>")); /* a dispatch worker's lane */
    assert_int_equal(rt_count(d, "<g class=\"arrow a-req\">"), 7);
    assert_non_null(strstr(d, "<text class=\"lane again\"")); /* names repeated down a long diagram */
    free(d);
    d = diagram(&self, 0);
    assert_true(has_loop(d)); /* a request to its own lane */
    assert_int_equal(rt_count(d, "<g class=\"arrow a-undelivered\">"), 1);
    free(d);
    sim_result_free(&crash);
    sim_result_free(&late);
    sim_result_free(&wrong);
    sim_result_free(&queue);
    sim_result_free(&self);
}

/* An observation no backend should produce: out-of-range actors and steps, ends before
 * starts, unmatched messages, time going backwards, deep nesting, too many lanes. */
static sim_result *odd_result(uint32_t events)
{
    sim_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    sim_result_init(r);
    r->file = strdup("odd.yaml");
    r->scenario = strdup("odd");
    sim_obs *o = calloc(1, sizeof *o);
    assert_non_null(o);
    sim_obs_init(o);
    r->obs = o;
    r->process_names = calloc(1, sizeof *r->process_names);
    r->thread_names = calloc(1, sizeof *r->thread_names);
    r->thread_counts = calloc(1, sizeof *r->thread_counts);
    r->process_names[0] = strdup("only");
    r->process_count = 1; /* thread_names[0] stays NULL with count 0: every thread is a "worker" */
    for (uint32_t i = 0; i < 70; i++) { /* nested deeper than the layout tracks */
        sim_exec e = {.step = i % 3 == 0 ? 999 : SIM_NONE, .outcome = (uint8_t)(i % 4), .port = SIM_PORT_NONE,
                      .request = -1, .start_ns = 1000 - i, .end_ns = 5, .start_seq = 10 + i,
                      .end_seq = i % 5 == 0 ? 3 : 500 - i, .process = 0, .thread = 0};
        sim_obs_add_exec(o, &e);
    }
    static const uint8_t kinds[] = {SIM_EV_REPLY_FILED, SIM_EV_CALLOUT_DONE, SIM_EV_CALLOUT, SIM_EV_CRASH,
                                    SIM_EV_ENQUEUE, SIM_EV_REPLY_SENT, SIM_EV_EXIT, SIM_EV_ANOMALY,
                                    SIM_EV_MESSAGE_DESTROYED, 200};
    for (uint32_t i = 0; i < events; i++) {
        sim_event e = {.kind = kinds[i % 10], .process = (uint16_t)(i % 11 == 0 ? UINT16_MAX : i % 60),
                       .thread = (uint16_t)(i % 7 == 0 ? UINT16_MAX : i % 3), .time_ns = (int64_t)(i % 13) * 1000,
                       .seq = i / 2, .port = (int64_t)i - 5, .msg = i % 4 == 0 ? -1 : (int64_t)(i % 9) * INT64_C(1000000007),
                       .step = i, .note = NULL};
        sim_obs_add_event(o, &e);
    }
    return r;
}

static void odd_observations_still_draw(void **state)
{
    (void)state;
    sim_result *r = odd_result(400);
    size_t len = 0;
    char *h = html_opt(r, 1, NULL, &len);
    assert_true(rt_valid_xml_chars(h, len));
    assert_non_null(strstr(h, ">(other actors)</text>"));
    assert_null(strstr(h, ">(system)</text>")); /* past the lane cap: among the others */
    assert_non_null(strstr(h, ">only/worker0</text>"));
    assert_int_equal(rt_count(h, "<g"), rt_count(h, "</g>") + rt_count(h, "<g/>"));
    assert_int_equal(rt_count(h, "<svg"), rt_count(h, "</svg>"));
    sim_result_free(r);
    free(r);
    free(h);
}

static void a_huge_observation_is_capped(void **state)
{
    (void)state;
    sim_result *r = odd_result(200000);
    rep_html_options opt = rep_html_options_default();
    opt.max_rows = 300;
    size_t len = 0;
    char *h = html_opt(r, 1, &opt, &len);
    assert_non_null(strstr(h, "Truncated: only the first 300 rows are drawn;"));
    assert_true(len < 2000000);
    sim_result_free(r);
    free(r);
    free(h);
}

/* ---- deadlines, ties and the time axis ------------------------------------------------------ */

/* The axis of a diagram reads down in time order (fails the test with the reason if not). */
static void assert_axis_reads_down(const char *svg, uint32_t at_least)
{
    rt_time_label labels[600];
    uint32_t n = 0;
    assert_true(rt_time_labels(svg, labels, 600, &n));
    const char *why = rt_axis_problem(labels, n);
    if (why != NULL) fail_msg("time axis: %s", why);
    assert_true(n >= at_least);
}

/* R32 with a tie on purpose: the reply is due exactly at the receive deadline. Each send shows
 * both deadlines, the tie is called out in words, and each call's deciding event is ringed. */
static void deadlines_are_brackets_and_ties_are_called_out(void **state)
{
    (void)state;
    sim_result r;
    rt_run_data("diagrams/deadline-tie.yaml", &r);
    char *d = diagram(&r, 0);
    /* send 1: sent at once (10ms), its receive deadline 10ms + 20ms is reached by a timeout (fifo)
     * at the instant the server sends its reply: a tie, and the deadline decided the call */
    assert_int_equal(rt_count(d, "<g class=\"dl dl-recv reached tie decided\">"), 1);
    char *recv = rt_group_texts(d, "dl dl-recv reached tie decided");
    assert_string_equal(recv, "recv deadline 30ms\nTIE: reply sent at the recv deadline\n");
    free(recv);
    assert_non_null(strstr(d, "<line class=\"dl-at\"")); /* the instant, across the lifeline */
    /* send 2 got its reply before its deadline (40ms + 40ms): open, not reached */
    char *open_recv = rt_group_texts(d, "dl dl-recv open");
    assert_string_equal(open_recv, "recv deadline 80ms (not reached)\n");
    free(open_recv);
    /* both sends queued their request at once: send deadlines not reached */
    char *send = rt_group_texts(d, "dl dl-send open");
    assert_string_equal(send, "send deadline 30ms (sent in time)\nsend deadline 60ms (sent in time)\n");
    free(send);
    /* the server's run loop for: 100ms ends at its limit */
    char *run = rt_group_texts(d, "dl dl-run reached decided");
    assert_string_equal(run, "run_loop limit 100ms\n");
    free(run);
    /* what decided each returned call: the deadline, the reply, the run loop's limit */
    char *decided = rt_group_texts(d, "decide");
    assert_string_equal(decided, "decided: run_loop limit\ndecided: recv deadline\ndecided: reply received\n");
    free(decided);
    assert_int_equal(rt_count(d, "<g class=\"decide\"><title>"), 3);
    assert_non_null(strstr(d, "the same instant, so the outcome depends on which goes first")); /* the tooltip */
    assert_axis_reads_down(d, 5);
    free(d);
    sim_result_free(&r);
}

/* R36: timers' due times are ticks on the thread that added them, one bracket to the first. */
static void timers_show_their_due_times(void **state)
{
    (void)state;
    sim_result r;
    rt_run_data("diagrams/timers.yaml", &r);
    char *d = diagram(&r, 0);
    char *ticks = rt_group_texts(d, "dl dl-timer reached");
    /* tick: after 10ms every 10ms (line 21); tock: after 5ms every 10ms (line 22), never run */
    assert_non_null(strstr(ticks, "timer line 21 due 10ms\n"));
    assert_non_null(strstr(ticks, "timer line 21 due #4 40ms\n"));
    assert_non_null(strstr(ticks, "timer line 22 due 5ms\n"));
    assert_non_null(strstr(ticks, "timer line 22 due #2 15ms\n"));
    /* until the client exits (after the reply at 47ms): 10..40ms and 5..45ms */
    assert_int_equal(rt_count(ticks, "\n"), 9);
    free(ticks);
    /* a due time nothing else happened at gets its own row and label, in the deadline colour */
    assert_non_null(strstr(d, "<text class=\"time dl-time\""));
    assert_axis_reads_down(d, 8);
    free(d);
    sim_result_free(&r);
}

/* A conform-like observation: host-clock times, records in arrival order (seq) whose times are
 * not in that order (a call's start corrected by the agent's elapsed time), one long quiet gap. */
static sim_result *realtime_result(const char *backend)
{
    sim_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    sim_result_init(r);
    r->file = strdup("rt.yaml");
    r->scenario = strdup("rt");
    r->backend = backend;
    if (strcmp(backend, "model") != 0) r->rt.runs = 1;
    sim_obs *o = calloc(1, sizeof *o);
    assert_non_null(o);
    sim_obs_init(o);
    r->obs = o;
    r->process_count = 1;
    r->process_names = calloc(1, sizeof *r->process_names);
    r->thread_names = calloc(1, sizeof *r->thread_names);
    r->thread_counts = calloc(1, sizeof *r->thread_counts);
    r->process_names[0] = strdup("client");
    r->thread_names[0] = calloc(1, sizeof(char *));
    r->thread_names[0][0] = strdup("main");
    r->thread_counts[0] = 1;
    r->steps = calloc(2, sizeof *r->steps);
    r->step_count = 2;
    r->steps[0] = (sim_step_result){.line = 5, .col = 9, .op = "send", .where = strdup("client/main"),
                                    .t1_ns = 1000000000, .t2_ns = 100000000, .two_way = true};
    r->steps[1] = (sim_step_result){.line = 7, .col = 9, .op = "sleep", .where = strdup("client/main"),
                                    .t1_ns = 5000000000};
    /* seq 0: start at 1.025248ms; seq 1: the send, reported later with its start corrected to
     * 1.070756ms; seq 2: an event at 1.050001ms (before the send's start, after it in seq) */
    sim_event start = {.kind = SIM_EV_START, .process = 0, .thread = UINT16_MAX, .time_ns = 1025248, .seq = 0,
                       .port = SIM_PORT_NONE, .msg = -1, .step = SIM_NONE};
    sim_obs_add_event(o, &start);
    sim_exec send = {.step = 0, .outcome = SIM_OUTCOME_RETURNED, .value = CM_RECEIVE_TIMEOUT, .port = 1,
                     .callback = SIM_NONE, .request = -1, .msgid = 3, .convid = 1, .start_ns = 1070756,
                     .end_ns = 101667823, .start_seq = 1, .end_seq = 4, .process = 0, .thread = 0};
    sim_obs_add_exec(o, &send);
    sim_event warn = {.kind = SIM_EV_WARNING, .process = 0, .thread = 0, .time_ns = 1050001, .seq = 2,
                      .port = SIM_PORT_NONE, .msg = -1, .code = 1, .step = SIM_NONE};
    sim_obs_add_event(o, &warn);
    /* two events at one instant keep their arrival order */
    sim_event a = {.kind = SIM_EV_DEATH_NOTICE, .process = 0, .thread = 0, .time_ns = 50000000, .seq = 3,
                   .port = 7, .msg = -1, .step = SIM_NONE};
    sim_obs_add_event(o, &a);
    a.kind = SIM_EV_PORT_DIED;
    a.seq = 5;
    sim_obs_add_event(o, &a);
    sim_exec sleep = {.step = 1, .outcome = SIM_OUTCOME_RETURNED, .port = SIM_PORT_NONE, .callback = SIM_NONE,
                      .request = -1, .start_ns = 101700000, .end_ns = 5101700000, .start_seq = 6, .end_seq = 7,
                      .process = 0, .thread = 0};
    sim_obs_add_exec(o, &sleep);
    o->end_ns = 5101700000;
    return r;
}

/* The y of the row a mark's label is on (the first <g class="mark CLS"> group). */
static uint32_t mark_y(const char *svg, const char *cls)
{
    char open[64];
    snprintf(open, sizeof open, "<g class=\"mark %s\">", cls);
    const char *g = strstr(svg, open);
    assert_non_null(g);
    const char *t = strstr(g, "<text class=\"label\"");
    assert_non_null(t);
    const char *y = strstr(t, " y=\"");
    assert_non_null(y);
    return (uint32_t)strtoul(y + 4, NULL, 10);
}

/* Issue 14's readable real-time diagrams: labels whole, a monotonic axis, ties in arrival order,
 * short quiet gaps to scale and a long one compressed into a marked break. */
static void realtime_diagrams_read_down_in_time(void **state)
{
    (void)state;
    sim_result *r = realtime_result("posix");
    char *d = diagram(r, 0);
    /* labels never cut: 101.667823ms whole, in a column wide enough for it */
    assert_non_null(strstr(d, "text-anchor=\"end\">101.667823ms</text>"));
    const char *label = strstr(d, "<text class=\"time\" x=\"");
    assert_non_null(label);
    uint32_t x = (uint32_t)strtoul(label + strlen("<text class=\"time\" x=\""), NULL, 10);
    assert_true(x + 4 >= strlen("101.667823ms") * 7 + 10); /* 7px per monospace character */
    /* the axis goes down in time: 1.050001ms (seq 2) above 1.070756ms (seq 1) */
    rt_time_label labels[32];
    uint32_t n = 0;
    assert_true(rt_time_labels(d, labels, 32, &n));
    assert_null(rt_axis_problem(labels, n));
    /* 1.025248ms 1.050001ms 1.070756ms 50ms, the receive deadline 101.070756ms (a row of its own),
     * 101.667823ms (the timeout), 101.7ms (the sleep), 5.1017s (its end) */
    assert_int_equal(n, 8);
    assert_int_equal(labels[1].ns, 1050001);
    assert_int_equal(labels[2].ns, 1070756);
    assert_int_equal(labels[4].ns, 101070756);
    /* same instant: arrival order */
    assert_true(mark_y(d, "m-port") > 0);
    const char *notice = strstr(d, ">death notice #7</text>"), *died = strstr(d, ">port #7 died</text>");
    assert_non_null(notice);
    assert_non_null(died);
    assert_true(notice < died);
    /* 5s of sleep: a break marked with its length, not 10000px of nothing; so are the 48.9ms and
     * 51ms quiet gaps (longer than 24ms); 1.025 -> 1.05ms is a 2px step, 101.07 -> 101.67ms 1px */
    assert_int_equal(rt_count(d, "<g class=\"brk\">"), 3);
    assert_non_null(strstr(d, ">+5s</text>"));
    assert_non_null(strstr(d, ">+48.929244ms</text>"));
    assert_non_null(strstr(d, "5s with nothing recorded, compressed"));
    assert_int_equal(labels[1].y - labels[0].y, DG_ROW_H_TEST + 2);
    assert_int_equal(labels[5].y - labels[4].y, DG_ROW_H_TEST + 2);
    assert_int_equal(labels[3].y - labels[2].y, DG_ROW_H_TEST + 56); /* DG_BREAK_H */
    const char *h = strstr(d, "height=\"");
    assert_true(strtoul(h + 8, NULL, 10) < 500);
    /* the receive deadline: 1.070756ms + 100ms, reached; the send timed out at 101.667823ms */
    char *recv = rt_group_texts(d, "dl dl-recv reached decided");
    assert_string_equal(recv, "recv deadline 101.070756ms\n");
    free(recv);
    free(d);
    sim_result_free(r);
    free(r);
}

/* The same layout rules for model and real runs: the same observation, the same picture. */
static void model_and_real_runs_share_the_layout(void **state)
{
    (void)state;
    sim_result *real = realtime_result("posix"), *model = realtime_result("model");
    char *a = diagram(real, 0), *b = diagram(model, 0);
    assert_string_equal(a, b);
    assert_true(strlen(a) > 1000);
    free(a);
    free(b);
    sim_result_free(real);
    sim_result_free(model);
    free(real);
    free(model);
}

/* ---- two runs beside each other (issue 14, item 3) ------------------------------------------------ */

/* r (a model run of late-reply.yaml) with a copy of its own run beside it, the call at `differ`
 * given another value in the copy and marked on both sides; SIM_NONE: an identical copy. */
static void beside_copy(sim_result *r, uint32_t differ)
{
    sim_beside *b = &r->beside;
    b->obs = calloc(1, sizeof *b->obs);
    assert_non_null(b->obs);
    sim_obs_init(b->obs);
    assert_true(sim_obs_copy(b->obs, r->obs));
    b->how = strdup("the fifo run");
    b->own_label = "real";
    b->other_label = "model";
    b->own_count = r->obs->exec_count;
    b->other_count = b->obs->exec_count;
    b->own_differs = calloc(b->own_count + 1, 1);
    b->other_differs = calloc(b->other_count + 1, 1);
    assert_non_null(b->own_differs);
    assert_non_null(b->other_differs);
    b->consistent = differ == SIM_NONE;
    b->closest = !b->consistent;
    if (differ != SIM_NONE) {
        b->obs->execs[differ].value = -2; /* receive timeout, in the other run */
        b->own_differs[differ] = b->other_differs[differ] = 1;
    }
    assert_true(sim_beside_validate(b, r->obs));
}

static char *diagram_beside(const sim_result *r)
{
    FILE *f = tmpfile();
    assert_true(rep_diagram_write_beside(f, r, 0, "b-"));
    return rt_slurp(f, NULL);
}

/* Both runs on one time axis: each run's lanes named after it, a rule between, each run's arrows
 * and decisions its own (twice the single run's, none across), the axis reading down. */
static void two_runs_share_one_time_axis(void **state)
{
    (void)state;
    sim_result r;
    rt_run_data("late-reply.yaml", &r);
    char *one = diagram(&r, 0);
    beside_copy(&r, SIM_NONE);
    char *two = diagram_beside(&r);
    assert_non_null(strstr(two, ">real \u00b7 server/main</text>"));
    assert_non_null(strstr(two, ">model \u00b7 server/main</text>"));
    assert_non_null(strstr(two, ">real \u00b7 client/main</text>"));
    assert_non_null(strstr(two, ">model \u00b7 client/main</text>"));
    assert_int_equal(rt_count(two, "<g class=\"split\">"), 1);
    assert_non_null(strstr(two, ">real run \u2192</text>"));
    assert_non_null(strstr(two, ">model run \u2192</text>"));
    static const char *const each[] = {"<g class=\"arrow a-req\">", "<g class=\"arrow a-reply\">",
                                       "<g class=\"arrow a-late\">", "<g class=\"decide\">", "<g class=\"dl "};
    for (size_t k = 0; k < sizeof each / sizeof each[0]; k++) {
        if (rt_count(two, each[k]) != 2 * rt_count(one, each[k])) {
            fail_msg("%s: %u beside, %u alone", each[k], rt_count(two, each[k]), rt_count(one, each[k]));
        }
    }
    assert_true(rt_count(one, "<g class=\"arrow a-req\">") >= 1);
    assert_int_equal(rt_count(two, " differs"), 0);
    rt_time_label labels[500];
    uint32_t n = 0;
    assert_true(rt_time_labels(two, labels, 500, &n));
    const char *why = rt_axis_problem(labels, n);
    if (why != NULL) fail_msg("time axis: %s", why);
    assert_true(n >= 3);
    /* the page says what is beside what, and draws only the pair */
    char *h = html(&r, 1, NULL);
    assert_non_null(strstr(h, "Left, the real run; right, the model run beside it on the same time axis: the fifo run "
                              "(it gives every compared outcome of this run). Every compared call"));
    assert_int_equal(rt_count(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\""), 1);
    assert_non_null(strstr(h, "<g class=\"split\">"));
    free(h);
    free(one);
    free(two);
    sim_result_free(&r);
}

/* A call whose outcome differs is outlined with \u2260 on both sides, and said so in its tooltip. */
static void differing_calls_are_marked_on_both_sides(void **state)
{
    (void)state;
    sim_result r;
    rt_run_data("late-reply.yaml", &r);
    uint32_t send = SIM_NONE;
    for (uint32_t i = 0; i < r.obs->exec_count && send == SIM_NONE; i++) {
        if (strcmp(r.steps[r.obs->execs[i].step].op, "send") == 0) send = i;
    }
    assert_int_not_equal(send, SIM_NONE);
    beside_copy(&r, send);
    char *two = diagram_beside(&r);
    assert_int_equal(rt_count(two, " differs\">"), 2); /* the bar, once per run */
    assert_int_equal(rt_count(two, "<text class=\"label differs\""), 2);
    assert_non_null(strstr(two, "no call of the model run has this outcome here"));
    assert_non_null(strstr(two, "no call of the real run has this outcome here"));
    char *h = html(&r, 1, NULL);
    assert_non_null(strstr(h, "(no run found gives this whole run: this one matches the longest prefix of it)"));
    assert_non_null(strstr(h, "1 of the real run, 1 of the model run."));
    free(h);
    free(two);
    sim_result_free(&r);
}

/* ---- golden file --------------------------------------------------------------------------- */

static void golden_file_of_a_small_scenario(void **state)
{
    (void)state;
    sim_result r;
    rt_run_data("late-reply.yaml", &r);
    size_t len = 0;
    char *h = html(&r, 1, &len);
    sim_result_free(&r);
    const char *update = getenv("REP_UPDATE_GOLDEN");
    if (update != NULL && update[0] != '\0') {
        assert_true(rt_write_file(GOLDEN, h, len));
        print_message("rewrote %s\n", GOLDEN);
    }
    size_t want_len = 0;
    char *want = rt_read_file(GOLDEN, &want_len);
    if (want == NULL) fail_msg("no golden file %s (REP_UPDATE_GOLDEN=1 writes it)", GOLDEN);
    if (want_len != len || memcmp(want, h, len) != 0) {
        char *path = rt_temp_path(".html");
        rt_write_file(path, h, len);
        fail_msg("the HTML of late-reply.yaml differs from %s; got %s. If the change is intended "
                 "(the model's trace or the report changed), rerun with REP_UPDATE_GOLDEN=1.",
                 GOLDEN, path);
    }
    free(want);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_has_summary_and_a_section_per_result),
        cmocka_unit_test(each_verdict_reads_right),
        cmocka_unit_test(hostile_text_is_escaped),
        cmocka_unit_test(realtime_runs_show_margin_and_notes),
        cmocka_unit_test(no_results_still_make_a_page),
        cmocka_unit_test(same_results_same_bytes),
        cmocka_unit_test(hand_built_observation_draws_every_element),
        cmocka_unit_test(the_cap_truncates_with_a_visible_note),
        cmocka_unit_test(diagram_needs_an_observation),
        cmocka_unit_test(model_runs_draw_their_story),
        cmocka_unit_test(odd_observations_still_draw),
        cmocka_unit_test(a_huge_observation_is_capped),
        cmocka_unit_test(deadlines_are_brackets_and_ties_are_called_out),
        cmocka_unit_test(timers_show_their_due_times),
        cmocka_unit_test(realtime_diagrams_read_down_in_time),
        cmocka_unit_test(model_and_real_runs_share_the_layout),
        cmocka_unit_test(two_runs_share_one_time_axis),
        cmocka_unit_test(differing_calls_are_marked_on_both_sides),
        cmocka_unit_test(golden_file_of_a_small_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
