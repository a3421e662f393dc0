/*
 * rep_browser_test.c — the HTML report as a person sees it, in a real
 * browser (Debian's chromium, headless; issue 14, item 5):
 *
 *   rep_browser_test PORTSIM SOURCE_DIR
 *
 * renders two reports made the way a user makes them — `portsim run
 * --html` of the deadline-tie scenario (R32) and `portsim conform --backend
 * posix --html` of a server crash during a request (R33, host-clock
 * times; drawn beside the model's run, item 3) — and checks, for each:
 *   - the SVG as drawn: the time labels read down in time order (y grows
 *     with time), none cut at the left edge, the deadline brackets are there
 *     with the right words (the tie called out in text);
 *   - the browser's DOM (--dump-dom): it parsed the diagram, and following
 *     a link into the diagram opens its section (no script needed); the
 *     file also parses as XHTML (no <parsererror>);
 *   - a screenshot: a PNG of the window's size, not blank (far more image
 *     data than a blank page's screenshot, taken the same way).
 * No network: file:// URLs only. Exits 77 (CTest: skipped) without chromium.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rep_test_util.h"

#define WIDTH 1280u
#define HEIGHT 1600u

static const char *g_portsim, *g_source, *g_browser;
static char g_profile[256];  /* chromium's --user-data-dir, ours alone */
static uint64_t g_blank_idat; /* image bytes of a blank page's screenshot */

/* ---- running things ------------------------------------------------------------------------ */

/* chromium, headless, bounded by timeout(1), doing flag ("--dump-dom", "--screenshot=PATH") on
 * url; its exit status, output in *out. */
static int browser(const char *flag, const char *url, char **out)
{
    char profile[300], size[48];
    snprintf(profile, sizeof profile, "--user-data-dir=%s", g_profile);
    snprintf(size, sizeof size, "--window-size=%u,%u", WIDTH, HEIGHT);
    const char *argv[] = {"timeout", "120", g_browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
                          "--disable-extensions", "--disable-background-networking", profile, size,
                          flag, url, NULL};
    return rt_run_tool(argv, out);
}

static char *file_url(const char *path, const char *fragment)
{
    char *url = malloc(strlen(path) + 64);
    assert_non_null(url);
    sprintf(url, "file://%s%s", path, fragment != NULL ? fragment : "");
    return url;
}

/* ---- reading a PNG's header and sizes (no decoder needed) ------------------------------------ */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct png_facts {
    uint32_t width;
    uint32_t height;
    uint64_t idat_bytes; /* compressed image data: a blank page compresses to almost nothing */
} png_facts;

static png_facts png_of(const char *path)
{
    size_t len = 0;
    unsigned char *p = (unsigned char *)rt_read_file(path, &len);
    if (p == NULL) fail_msg("no screenshot at %s", path);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_true(len > 33);
    assert_memory_equal(p, sig, 8);
    assert_memory_equal(p + 12, "IHDR", 4);
    png_facts f = {.width = be32(p + 16), .height = be32(p + 20)};
    size_t at = 8;
    for (uint32_t chunks = 0; at + 12 <= len && chunks < 100000; chunks++) {
        uint32_t n = be32(p + at);
        if (memcmp(p + at + 4, "IDAT", 4) == 0) f.idat_bytes += n;
        if (memcmp(p + at + 4, "IEND", 4) == 0) break;
        at += 12 + (size_t)n;
    }
    free(p);
    return f;
}

/* A screenshot of url: a PNG of the window's size with more than a blank page's image data. */
static png_facts screenshot(const char *url)
{
    char *png = rt_temp_path(".png");
    char arg[300];
    snprintf(arg, sizeof arg, "--screenshot=%s", png);
    char *out = NULL;
    int code = browser(arg, url, &out);
    if (code != 0) fail_msg("chromium --screenshot %s: exit %d\n%s", url, code, out);
    png_facts f = png_of(png);
    assert_int_equal(f.width, WIDTH);
    assert_int_equal(f.height, HEIGHT);
    unlink(png);
    free(png);
    free(out);
    return f;
}

/* ---- the report ----------------------------------------------------------------------------------- */

/* `portsim ARGS... --html FILE` (exit 0, or 1 if allowed): the report's path. */
static char *make_report(const char *const *args, bool may_fail)
{
    char *html = rt_temp_path(".html");
    const char *argv[16];
    uint32_t n = 0;
    argv[n++] = g_portsim;
    for (; args[n - 1] != NULL && n < 12; n++) argv[n] = args[n - 1];
    argv[n++] = "--html";
    argv[n++] = html;
    argv[n] = NULL;
    char *out = NULL;
    int code = rt_run_tool(argv, &out);
    if (code != 0 && !(may_fail && code == 1)) fail_msg("%s %s: exit %d\n%s", g_portsim, args[0], code, out);
    if (code != 0) print_message("note: this run failed (exit 1); its report is checked all the same\n%s", out);
    free(out);
    return html;
}

/* The first diagram of a page, as written. */
static char *first_svg(const char *html)
{
    const char *a = strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\"");
    assert_non_null(a);
    const char *b = strstr(a, "</svg>");
    assert_non_null(b);
    return strndup(a, (size_t)(b - a) + 6);
}

/* Time labels read down in time order and none is cut at the left edge: a right-aligned label at
 * x has room for x / 6.6 characters of 11px monospace. */
static void check_axis(const char *svg, uint32_t at_least)
{
    rt_time_label labels[2000];
    uint32_t n = 0;
    assert_true(rt_time_labels(svg, labels, 2000, &n));
    const char *why = rt_axis_problem(labels, n);
    if (why != NULL) fail_msg("time axis: %s", why);
    assert_true(n >= at_least);
    uint32_t checked = 0;
    for (const char *p = svg; (p = strstr(p, "<text class=\"time")) != NULL; p++, checked++) {
        const char *x = strstr(p, " x=\""), *gt = strchr(p, '>'), *close = gt != NULL ? strstr(gt, "</text>") : NULL;
        assert_non_null(x);
        assert_non_null(close);
        unsigned long chars = (unsigned long)(close - gt - 1), at = strtoul(x + 4, NULL, 10);
        if (at * 10 < chars * 66) fail_msg("a time label cut at the left edge: %.60s", p);
    }
    assert_int_equal(checked, n);
}

/* The DOM chromium built: it has the diagram, and a link into it opened its section. */
static void check_dom(const char *html_path, const char *must_have)
{
    char *url = file_url(html_path, "#r1-title"), *out = NULL;
    int code = browser("--dump-dom", url, &out);
    if (code != 0) fail_msg("chromium --dump-dom: exit %d\n%s", code, out);
    assert_non_null(strstr(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\""));
    assert_non_null(strstr(out, must_have));
    const char *section = strstr(out, "<section id=\"r1\"");
    assert_non_null(section);
    assert_non_null(strstr(section, "<details open=\"\">")); /* the link revealed it */
    assert_null(strstr(out, "<script"));
    free(out);
    free(url);
    /* as XHTML: the same bytes are well-formed XML to a browser too */
    size_t len = 0;
    char *text = rt_read_file(html_path, &len);
    char *xhtml = rt_temp_path(".xhtml");
    assert_true(rt_write_file(xhtml, text, len));
    url = file_url(xhtml, NULL);
    code = browser("--dump-dom", url, &out);
    assert_int_equal(code, 0);
    if (strstr(out, "parsererror") != NULL) fail_msg("chromium's XML parser rejects the report:\n%.2000s", out);
    assert_non_null(strstr(out, must_have));
    unlink(xhtml);
    free(xhtml);
    free(text);
    free(out);
    free(url);
}

/* The section's diagram on screen: a screenshot with far more in it than a blank page. */
static void check_screenshot(const char *html_path)
{
    char *url = file_url(html_path, "#r1-title");
    png_facts f = screenshot(url);
    if (f.idat_bytes < g_blank_idat * 4) {
        fail_msg("the screenshot looks blank: %llu bytes of image data, a blank page has %llu",
                 (unsigned long long)f.idat_bytes, (unsigned long long)g_blank_idat);
    }
    free(url);
}

/* ---- the tests ------------------------------------------------------------------------------------- */

/* R32, a tie on purpose: the reply is due exactly at the receive deadline; the model's canonical
 * run times out there, and the report must say so in words. */
static void the_deadline_tie_renders_with_its_brackets(void **state)
{
    (void)state;
    char scenario[512];
    /* the reports tests' own copy: the corpus file may be reworded or reordered */
    snprintf(scenario, sizeof scenario, "%s/reports/tests/diagrams/deadline-tie.yaml", g_source);
    const char *args[] = {"run", scenario, NULL};
    char *path = make_report(args, false);
    char *html = rt_read_file(path, NULL);
    char *svg = first_svg(html);
    check_axis(svg, 5);
    char *recv = rt_group_texts(svg, "dl dl-recv reached tie");
    assert_string_equal(recv, "recv deadline 30ms\nTIE: reply sent at the recv deadline\n");
    free(recv);
    char *send = rt_group_texts(svg, "dl dl-send");
    assert_int_equal(rt_count(send, "send deadline "), 2);
    free(send);
    assert_non_null(strstr(svg, ">decided: recv deadline</text>"));
    assert_non_null(strstr(svg, ">run_loop limit 100ms</text>"));
    check_dom(path, "TIE: reply sent at the recv deadline");
    check_screenshot(path);
    unlink(path);
    free(svg);
    free(html);
    free(path);
}

/* R33 on the real posix backend: host-clock times (long labels), a long quiet gap before the
 * crash, a send that ends -5 long before its 5s receive deadline. */
static void a_posix_crash_run_renders_readably(void **state)
{
    (void)state;
    char scenario[512];
    snprintf(scenario, sizeof scenario, "%s/scenarios/invalidation/server-crash-during-request.yaml", g_source);
    const char *args[] = {"conform", "--backend", "posix", "--no-color", scenario, NULL};
    char *path = make_report(args, true);
    char *html = rt_read_file(path, NULL);
    bool passed = strstr(html, "<span class=\"badge pass\">1 passed</span>") != NULL;
    char *svg = first_svg(html);
    check_axis(svg, 10);
    assert_non_null(strstr(svg, "ms</text>"));
    /* item 3: the real run and the model's run the joint check settled on, on this one axis */
    assert_non_null(strstr(html, "Left, the real run; right, the model run beside it on the same time axis: "));
    assert_non_null(strstr(svg, ">real \u00b7 client/main</text>"));
    assert_non_null(strstr(svg, ">model \u00b7 client/main</text>"));
    assert_int_equal(rt_count(svg, "<g class=\"split\">"), 1);
    assert_true(rt_count(svg, "<g class=\"dl dl-recv") >= 2); /* each run's own receive deadline */
    if (passed) assert_int_equal(rt_count(svg, " differs"), 0); /* explained: every outcome has its equal */
    assert_true(rt_count(svg, "<g class=\"brk\">") >= 1); /* ~38ms of nothing before the crash at 50ms */
    char *recv = rt_group_texts(svg, "dl dl-recv");
    assert_non_null(strstr(recv, "recv deadline "));
    char *run = rt_group_texts(svg, "dl dl-run open");
    assert_non_null(strstr(run, "run_loop limit 10.")); /* for: 10s, killed at 50ms */
    assert_non_null(strstr(run, "(not reached)"));
    if (passed) {
        assert_non_null(strstr(recv, "(not reached)")); /* -5 at ~50ms, the deadline ~5s */
        assert_non_null(strstr(svg, ">decided: port invalid</text>"));
    }
    free(recv);
    free(run);
    check_dom(path, "run_loop limit 10.");
    check_screenshot(path);
    unlink(path);
    free(svg);
    free(html);
    free(path);
}

/* A blank page's screenshot, taken the same way: what "not blank" is measured against. */
static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("TMPDIR");
    snprintf(g_profile, sizeof g_profile, "%s/rep-browser-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
    if (mkdtemp(g_profile) == NULL) return -1;
    char *blank = rt_temp_path(".html");
    static const char page[] = "<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>\n";
    if (!rt_write_file(blank, page, sizeof page - 1)) return -1;
    char *url = file_url(blank, NULL);
    png_facts f = screenshot(url);
    g_blank_idat = f.idat_bytes;
    print_message("a blank page's screenshot: %llu bytes of image data\n", (unsigned long long)g_blank_idat);
    unlink(blank);
    free(blank);
    free(url);
    return g_blank_idat > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *argv[] = {"rm", "-rf", g_profile, NULL};
    char *out = NULL;
    int code = g_profile[0] != '\0' ? rt_run_tool(argv, &out) : 0;
    free(out);
    return code == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rep_browser_test PORTSIM SOURCE_DIR\n");
        return 2;
    }
    g_portsim = argv[1];
    g_source = argv[2];
    static const char *const names[] = {"chromium", "chromium-browser"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && g_browser == NULL; i++) {
        if (rt_have_tool(names[i])) g_browser = names[i];
    }
    if (g_browser == NULL) {
        printf("skipped: chromium is not installed (scripts/deps.sh installs it)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_deadline_tie_renders_with_its_brackets),
        cmocka_unit_test(a_posix_crash_run_renders_readably),
    };
    return cmocka_run_group_tests_name("browser", tests, setup, teardown);
}
