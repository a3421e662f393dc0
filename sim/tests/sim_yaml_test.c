/*
 * sim_yaml_test.c — the byte checks made before libfyaml sees a file, the
 * event-built tree (positions, bounds, rejected YAML features) and the
 * duration parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "sim_load.h"
#include "sim_yaml.h"

static bool bytes_ok(const char *s, size_t len)
{
    sim_diag d;
    sim_diag_init(&d, "t");
    bool ok = sim_yaml_check_bytes((const uint8_t *)s, len, &d);
    assert_int_equal(ok, sim_diag_total(&d) == 0);
    sim_diag_fini(&d);
    return ok;
}

#define OK(lit) assert_true(bytes_ok(lit, sizeof lit - 1))
#define BAD(lit) assert_false(bytes_ok(lit, sizeof lit - 1))

static void test_bytes_accept_valid_utf8_tabs_crlf_bom(void **state)
{
    (void)state;
    OK("a: b\r\n\tc\n");
    OK("name: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
    OK("\xef\xbb\xbf" "a: 1\n");
    OK("a: '100%'\nb: x % y\n"); /* '%' only matters at the start of a line */
    OK("");
}

static void test_bytes_reject_invalid_utf8(void **state)
{
    (void)state;
    BAD("a: \xc3\x28");         /* bad continuation */
    BAD("a: \xc0\xaf");         /* overlong '/' */
    BAD("a: \xe0\x80\xaf");     /* overlong, 3 bytes */
    BAD("a: \xed\xa0\x80");     /* a surrogate */
    BAD("a: \xf4\x90\x80\x80"); /* above U+10FFFF */
    BAD("a: \xff");
    BAD("a: \xe2\x82");         /* truncated */
    BAD("%\xb0");               /* libfyaml 0.7.12 loops forever on this */
}

static void test_bytes_reject_nul_controls_c1_del_directives(void **state)
{
    (void)state;
    BAD("a: b\0c");
    BAD("a: \x07");
    BAD("a: \x1b[31m");
    BAD("a: \x7f");
    BAD("a: \xc2\x85"); /* NEL, a C1 control */
    BAD("a: \xef\xbf\xbf");  /* U+FFFF */
    BAD("%YAML 1.2\n---\na: 1\n");
    BAD("a: 1\n%TAG ! x\n");
}

static void test_bytes_report_line_and_column(void **state)
{
    (void)state;
    sim_diag d;
    sim_diag_init(&d, "f.yaml");
    const char text[] = "a: 1\nb: \xc3\xa9\x01\n";
    assert_false(sim_yaml_check_bytes((const uint8_t *)text, sizeof text - 1, &d));
    assert_int_equal(d.count, 1);
    assert_int_equal(d.entries[0].line, 2);
    assert_int_equal(d.entries[0].col, 5); /* characters, not bytes */
    sim_diag_fini(&d);
}

static void test_bytes_size_cap(void **state)
{
    (void)state;
    size_t len = SIM_YAML_MAX_BYTES + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'a', len);
    assert_false(bytes_ok(big, len));
    assert_true(bytes_ok(big, len - 1));
    free(big);
}

/* A node that must exist (abort() tells the compiler it is never NULL after). */
static const sim_ynode *node(const sim_ydoc *doc, uint32_t index)
{
    const sim_ynode *n = sim_ynode_at(doc, index);
    if (n == NULL) {
        fail_msg("no node %u", index);
        abort();
    }
    return n;
}

static bool parse(const char *text, sim_ydoc *doc, sim_diag *d)
{
    sim_diag_init(d, "t.yaml");
    return sim_yaml_parse((const uint8_t *)text, strlen(text), doc, d);
}

static void test_tree_positions_are_one_based(void **state)
{
    (void)state;
    sim_ydoc doc;
    sim_diag d;
    assert_true(parse("a: 1\nb:\n  - x\n  - {c: \"q\\0r\"}\n", &doc, &d));
    const sim_ynode *root = node(&doc, doc.root);
    assert_int_equal(root->type, SIM_Y_MAP);
    assert_int_equal(root->count, 4);
    const sim_ynode *b = node(&doc, node(&doc, root->first)->next);
    b = node(&doc, b->next);
    assert_string_equal(b->text, "b");
    assert_int_equal(b->line, 2);
    assert_int_equal(b->col, 1);
    const sim_ynode *seq = node(&doc, b->next);
    assert_int_equal(seq->type, SIM_Y_SEQ);
    assert_int_equal(seq->count, 2);
    const sim_ynode *flow = node(&doc, node(&doc, seq->first)->next);
    assert_int_equal(flow->line, 4);
    assert_int_equal(flow->col, 5);
    const sim_ynode *value = node(&doc, node(&doc, flow->first)->next);
    assert_int_equal(value->style, SIM_YS_QUOTED);
    assert_int_equal(value->len, 3); /* the escaped NUL is kept */
    assert_memory_equal(value->text, "q\0r", 3);
    sim_ydoc_fini(&doc);
    sim_diag_fini(&d);
}

static void expect_parse_error(const char *text, uint32_t line, uint32_t col, const char *words)
{
    sim_ydoc doc;
    sim_diag d;
    assert_false(parse(text, &doc, &d));
    assert_true(d.count >= 1);
    if (d.entries[0].line != line || d.entries[0].col != col || !strstr(d.entries[0].message, words)) {
        fail_msg("got %u:%u %s, wanted %u:%u %s", d.entries[0].line, d.entries[0].col,
                 d.entries[0].message, line, col, words);
    }
    sim_ydoc_fini(&doc);
    sim_diag_fini(&d);
}

static void test_tree_rejects_anchors_aliases_tags_documents(void **state)
{
    (void)state;
    expect_parse_error("a: &x 1\nb: 2\n", 1, 4, "anchors");
    expect_parse_error("a: [1]\nb: *x\n", 2, 4, "aliases");
    expect_parse_error("a: !!int 1\n", 1, 4, "tags");
    expect_parse_error("a: 1\n---\nb: 2\n", 2, 1, "one YAML document");
    expect_parse_error("a: [1, 2\n", 2, 1, "YAML:");
}

/* Issue 10: `- {{}}` crashed the loader; a collection used as a key is refused by the tree. */
static void test_tree_rejects_non_scalar_keys(void **state)
{
    (void)state;
    expect_parse_error("expect_events:\n- {{}}\n", 2, 4, "a mapping key must be a scalar, not a mapping");
    expect_parse_error("a: {[x]: 1}\n", 1, 5, "a mapping key must be a scalar, not a list");
    expect_parse_error("? [a, b]\n: 1\n", 1, 3, "not a list");
    expect_parse_error("a:\n  ? {b: 1}\n  : 2\n", 2, 5, "not a mapping");
    sim_ydoc doc;
    sim_diag d;
    assert_true(parse("{? a : 1, '': 2, : 3}\n", &doc, &d)); /* scalar keys, empty ones too */
    assert_int_equal(node(&doc, doc.root)->count, 6);
    sim_ydoc_fini(&doc);
    sim_diag_fini(&d);
}

/* The single scalar our tree reads from text. */
static const sim_ynode *only_scalar(const char *text, sim_ydoc *doc, sim_diag *d)
{
    if (!parse(text, doc, d)) fail_msg("'%s' does not parse: %s", text, d->count ? d->entries[0].message : "");
    const sim_ynode *n = node(doc, doc->root);
    assert_int_equal(n->type, SIM_Y_SCALAR);
    return n;
}

/*
 * Issue 10: libfyaml 0.7.12 reads n adjacent '' escapes as 2n-1 quotes and
 * cuts the text to its length hint; from five on it also leaks 512 bytes.
 * Single-quoted scalars are decoded by sim_yaml.c itself: the text YAML 1.2
 * gives (each answer below is PyYAML's too; libfyaml 0.7.12 gets half of
 * them wrong), and no growth of the heap over many loads (a leak of 512
 * bytes a load would show as 1 MB here).
 */
static void test_single_quoted_adjacent_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *text;
    } cases[] = {
        {"''''''''''''", "'''''"},
        {"''''''", "''"},
        {"'x''''y'", "x''y"},
        {"'x''''''''''''y'", "x''''''y"},
        {"'a''b'", "a'b"},
        {"''", ""},
        {"' a  \n\n   b '", " a\nb "},
        {"'a\r\n  b\n\n\n c'", "a b\n\nc"},
        {"'a\n'", "a "},
        {"'a\r\n'", "a "},
        {"'\n''\n  '''", " ' '"},
        {"' 1st non-empty\n\n 2nd non-empty \n\t3rd non-empty '", " 1st non-empty\n2nd non-empty 3rd non-empty "},
        {"'\t\r\n''\r\n'", " ' "},
        {"'a\n\n'", "a\n"},
        {"'a \t\n\t b'", "a b"},
        {"'\n'", " "},
        {"'  '", "  "},
        {"'a\rb'", "a b"},
        {"'it''s\n  ''quoted'''", "it's 'quoted'"},
        {"'\xc3\xa9''  ''\n  a\n\t\n''\xc3\xa9'", "\xc3\xa9'  ' a\n'\xc3\xa9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_ydoc doc;
        sim_diag d;
        const sim_ynode *n = only_scalar(cases[i].yaml, &doc, &d);
        if (n->len != strlen(cases[i].text) || memcmp(n->text, cases[i].text, n->len) != 0) {
            fail_msg("%s: read [%s], wanted [%s]", cases[i].yaml, n->text, cases[i].text);
        }
        assert_int_equal(n->style, SIM_YS_QUOTED);
        sim_ydoc_fini(&doc);
        sim_diag_fini(&d);
    }
    char many[63]; /* 30 escapes between the quotes */
    memset(many, 0x27, 62);
    many[62] = 0;
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 2000; i++) {
        sim_ydoc doc;
        sim_diag d;
        const sim_ynode *n = only_scalar(many, &doc, &d);
        assert_int_equal(n->len, 30);
        sim_ydoc_fini(&doc);
        sim_diag_fini(&d);
    }
    struct mallinfo2 after = mallinfo2();
    if (after.uordblks > before.uordblks + 64 * 1024) {
        fail_msg("the heap grew by %zu bytes over 2000 loads", after.uordblks - before.uordblks);
    }
}

/* A buffer of `prefix`, then `unit` repeated to about `total` bytes, then `suffix`. */
static char *repeated(const char *prefix, const char *unit, size_t total, const char *suffix)
{
    size_t p = strlen(prefix), u = strlen(unit), s = strlen(suffix);
    char *buf = malloc(total + p + s + 1);
    assert_non_null(buf);
    memcpy(buf, prefix, p);
    size_t len = p;
    while (len + u <= p + total) {
        memcpy(buf + len, unit, u);
        len += u;
    }
    memcpy(buf + len, suffix, s + 1);
    return buf;
}

/*
 * Issue 10: 1 MiB of `[` made libfyaml take 363 MB before the nesting error.
 * Flow nesting and width are checked on the raw bytes first, at the exact
 * position of the first bracket too many; what is inside quotes, comments
 * and block scalars is text and does not count.
 */
static void test_shape_checked_before_libfyaml(void **state)
{
    (void)state;
    char *deep = repeated("about: ", "[", SIM_YAML_MAX_BYTES - 16, "");
    expect_parse_error(deep, 1, 8 + SIM_YAML_MAX_DEPTH, "nesting deeper than 24 levels");
    free(deep);
    deep = repeated("a:\n", "{\n", 200, "");
    expect_parse_error(deep, 2 + SIM_YAML_MAX_DEPTH, 1, "nesting deeper than 24 levels");
    free(deep);
    char *wide = repeated("a: [", "1, ", 3 * (SIM_YAML_MAX_LINE_ITEMS + 5), "1]\n");
    expect_parse_error(wide, 1, 6 + 3 * (SIM_YAML_MAX_LINE_ITEMS - 1), "more than 1024 flow indicators"); /* the 1024th comma */
    free(wide);
    static const char *const text_not_yaml[] = {
        "a: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n",
        "a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n",
        "a: 'it''s [[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n",
        "a: 1 # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        "a: x[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        "a: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n\n  {{{{{{{{{{{{{{{{{{{{{{{{{{{{{\nb: 1\n",
        "- k: >-\n    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n- 2\n",
        "a: \"\\\" [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n",
    };
    for (size_t i = 0; i < sizeof text_not_yaml / sizeof text_not_yaml[0]; i++) {
        sim_diag d;
        sim_diag_init(&d, "t.yaml");
        bool ok = sim_yaml_check_shape((const uint8_t *)text_not_yaml[i], strlen(text_not_yaml[i]), &d);
        if (!ok) fail_msg("[%s]: %s", text_not_yaml[i], d.entries[0].message);
        assert_int_equal(d.count, 0);
        sim_diag_fini(&d);
    }
}

/*
 * When the lexer is wrong (here a quote it takes for a quoted scalar is
 * plain text to libfyaml), the feeder still stops libfyaml: it never holds
 * more than SIM_YAML_MAX_PENDING_OPENERS brackets it has not turned into events.
 */
static void test_feeder_bounds_what_libfyaml_holds(void **state)
{
    (void)state;
    char *hidden = repeated("k: \"\\\"\" ", "[", SIM_YAML_MAX_BYTES - 16, "");
    sim_ydoc doc;
    sim_diag d;
    assert_false(parse(hidden, &doc, &d));
    assert_int_equal(d.count, 1);
    assert_non_null(strstr(d.entries[0].message, "more [ and { than libfyaml may hold"));
    assert_int_equal(d.entries[0].line, 1);
    sim_ydoc_fini(&doc);
    sim_diag_fini(&d);
    free(hidden);
    /* 100 KiB of ordinary lines, then a single-quoted scalar: past libfyaml's 64 KiB buffer */
    char *far = repeated("a:\n", "  - [x, {y: z}]\n", 100 * 1024, "  - 'it''''s'\n");
    assert_true(parse(far, &doc, &d));
    const sim_ynode *seq = node(&doc, node(&doc, node(&doc, doc.root)->first)->next);
    uint32_t last = seq->first;
    for (uint32_t k = seq->first; k != SIM_NONE; k = node(&doc, k)->next) last = k;
    assert_true(seq->count > 6000);
    assert_string_equal(node(&doc, last)->text, "it''s");
    sim_ydoc_fini(&doc);
    sim_diag_fini(&d);
    free(far);
}

static void test_tree_depth_and_node_bounds(void **state)
{
    (void)state;
    char *deep = malloc(20001);
    assert_non_null(deep);
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    expect_parse_error(deep, 1, SIM_YAML_MAX_DEPTH + 1, "nesting deeper");
    free(deep);
    size_t n = (SIM_YAML_MAX_NODES + 10) * 3;
    char *wide = malloc(n + 4);
    assert_non_null(wide);
    wide[0] = '[';
    size_t len = 1;
    for (uint32_t i = 0; i < SIM_YAML_MAX_NODES + 10; i++) { /* one item a line: not too wide */
        memcpy(wide + len, "1,\n", 3);
        len += 3;
    }
    memcpy(wide + len, "1]", 3);
    sim_ydoc doc;
    sim_diag d;
    assert_false(parse(wide, &doc, &d));
    assert_non_null(strstr(d.entries[0].message, "too many YAML nodes"));
    sim_ydoc_fini(&doc);
    sim_diag_fini(&d);
    free(wide);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint32_t flags;
        int64_t ns; /* INT64_MAX - 1: an error */
    } cases[] = {
        {"0", 0, 0},
        {"1ns", 0, 1},
        {"250us", 0, 250000},
        {"1.5ms", 0, 1500000},
        {"2s", 0, 2000000000},
        {"0.000000001s", 0, 1},
        {"-1ms", SIM_DUR_NEGATIVE, -1000000},
        {"forever", SIM_DUR_FOREVER, CM_DURATION_FOREVER},
        {"nan", SIM_DUR_NAN, CM_DURATION_NAN},
        {"-1ms", 0, INT64_MAX - 1},
        {"forever", 0, INT64_MAX - 1},
        {"nan", SIM_DUR_FOREVER, INT64_MAX - 1},
        {"10", 0, INT64_MAX - 1},
        {"10 ms", 0, INT64_MAX - 1},
        {"10min", 0, INT64_MAX - 1},
        {"1.5ns", 0, INT64_MAX - 1},
        {"1.s", 0, INT64_MAX - 1},
        {".5s", 0, INT64_MAX - 1},
        {"1e3ms", 0, INT64_MAX - 1},
        {"99999999999999s", 0, INT64_MAX - 1},
        {"", 0, INT64_MAX - 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ns = 0;
        const char *problem = sim_parse_duration(cases[i].text, cases[i].flags, &ns);
        if (cases[i].ns == INT64_MAX - 1) {
            if (problem == NULL) fail_msg("'%s' should be rejected", cases[i].text);
        } else {
            if (problem != NULL) fail_msg("'%s': %s", cases[i].text, problem);
            assert_int_equal(ns, cases[i].ns);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_accept_valid_utf8_tabs_crlf_bom),
        cmocka_unit_test(test_bytes_reject_invalid_utf8),
        cmocka_unit_test(test_bytes_reject_nul_controls_c1_del_directives),
        cmocka_unit_test(test_bytes_report_line_and_column),
        cmocka_unit_test(test_bytes_size_cap),
        cmocka_unit_test(test_tree_positions_are_one_based),
        cmocka_unit_test(test_tree_rejects_anchors_aliases_tags_documents),
        cmocka_unit_test(test_tree_rejects_non_scalar_keys),
        cmocka_unit_test(test_single_quoted_adjacent_escapes),
        cmocka_unit_test(test_shape_checked_before_libfyaml),
        cmocka_unit_test(test_feeder_bounds_what_libfyaml_holds),
        cmocka_unit_test(test_tree_depth_and_node_bounds),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests_name("sim_yaml", tests, NULL, NULL);
}
