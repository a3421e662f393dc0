/*
 * rep_text_test.c — the escaping rule every report shares (rep_text.h):
 * which characters pass, how each format writes the rest, capping, and the
 * small formatting helpers (seconds, hash, topic, names).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "rep_test_util.h"
#include "rep_text.h"

static char *escaped(const char *s, rep_escape esc, size_t max)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    rep_put_max(f, s, esc, max);
    return rt_slurp(f, NULL);
}

static void expect_escaped(const char *s, rep_escape esc, size_t max, const char *want)
{
    char *got = escaped(s, esc, max);
    if (strcmp(got, want) != 0) fail_msg("escaping %s\n got: %s\nwant: %s", s != NULL ? s : "(null)", got, want);
    free(got);
}

static void char_len_accepts_text_and_rejects_what_no_format_carries(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t want;
    } cases[] = {
        {"a", 1}, {"\t", 1}, {"\n", 1}, {"\r", 1}, {" ", 1}, {"~", 1},
        {"\xc3\xa9", 2},                     /* é */
        {"\xe6\x97\xa5", 3},                 /* 日 */
        {"\xf0\x9f\x8e\x89", 4},             /* 🎉 */
        {"\xef\xbf\xbd", 3},                 /* U+FFFD is fine */
        {"\x01", 0}, {"\x1b", 0}, {"\x7f", 0}, /* C0, ESC, DEL */
        {"\xc2\x85", 0},                     /* C1: NEL */
        {"\xc2\x9f", 0},
        {"\xef\xbf\xbe", 0}, {"\xef\xbf\xbf", 0}, /* U+FFFE, U+FFFF */
        {"\xef\xb7\x90", 0},                 /* U+FDD0 */
        {"\xf0\x9f\xbf\xbe", 0},             /* U+1FFFE */
        {"\xc0\xaf", 0}, {"\xe0\x80\xaf", 0}, /* overlong */
        {"\xed\xa0\x80", 0},                 /* a surrogate */
        {"\xf4\x90\x80\x80", 0},             /* past U+10FFFF */
        {"\xc3", 0}, {"\xe6\x97", 0},        /* cut short by the NUL */
        {"\x80", 0}, {"\xff", 0}, {"\xfe", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = rep_char_len((const unsigned char *)cases[i].bytes);
        if (got != cases[i].want) fail_msg("case %zu: %zu, want %zu", i, got, cases[i].want);
    }
}

static void each_format_escapes_its_own_specials(void **state)
{
    (void)state;
    const char *s = "a&b<c>d\"e'f]]>g#h\\i\tj\nk\rl";
    expect_escaped(s, REP_ESC_XML, REP_NO_LIMIT,
                   "a&amp;b&lt;c&gt;d&quot;e&#39;f]]&gt;g#h\\i&#9;j&#10;k&#13;l");
    expect_escaped(s, REP_ESC_XML_TEXT, REP_NO_LIMIT, "a&amp;b&lt;c&gt;d\"e'f]]&gt;g#h\\i\tj\nk&#13;l");
    expect_escaped(s, REP_ESC_TAP, REP_NO_LIMIT, "a&b<c>d\"e'f]]>g\\#h\\\\i\\\\x09j\\\\x0ak\\\\x0dl");
    expect_escaped(s, REP_ESC_YAML, REP_NO_LIMIT, "a&b<c>d\\\"e'f]]>g#h\\\\i\\tj\\nk\\rl");
}

static void unsafe_bytes_become_backslash_x_in_every_format(void **state)
{
    (void)state;
    const char *s = "x\x01y\xffz\xc2\x85w\xef\xbf\xbe.";
    expect_escaped(s, REP_ESC_XML, REP_NO_LIMIT, "x\\x01y\\xffz\\xc2\\x85w\\xef\\xbf\\xbe.");
    expect_escaped(s, REP_ESC_XML_TEXT, REP_NO_LIMIT, "x\\x01y\\xffz\\xc2\\x85w\\xef\\xbf\\xbe.");
    /* TAP and YAML escape the backslash itself, so a reader decodes the same \xNN text */
    expect_escaped(s, REP_ESC_TAP, REP_NO_LIMIT, "x\\\\x01y\\\\xffz\\\\xc2\\\\x85w\\\\xef\\\\xbf\\\\xbe.");
    expect_escaped(s, REP_ESC_YAML, REP_NO_LIMIT, "x\\\\x01y\\\\xffz\\\\xc2\\\\x85w\\\\xef\\\\xbf\\\\xbe.");
    expect_escaped("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89", REP_ESC_XML, REP_NO_LIMIT,
                   "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89");
}

static void capping_counts_characters_and_never_splits_one(void **state)
{
    (void)state;
    expect_escaped("abcdef", REP_ESC_XML, 3, "abc...");
    expect_escaped("abc", REP_ESC_XML, 3, "abc");
    expect_escaped("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", REP_ESC_XML, 2, "\xe6\x97\xa5\xe6\x97\xa5...");
    expect_escaped("<<<<", REP_ESC_XML, 2, "&lt;&lt;...");
    expect_escaped("\xff\xff\xff", REP_ESC_XML, 1, "\\xff...");
    expect_escaped(NULL, REP_ESC_XML, 0, "");
    FILE *f = tmpfile();
    rep_put_yaml_string(f, NULL);
    fputc(' ', f);
    rep_put_yaml_string(f, "a\"b");
    char *got = rt_slurp(f, NULL);
    assert_string_equal(got, "~ \"a\\\"b\"");
    free(got);
}

static void long_hostile_text_stays_valid_xml(void **state)
{
    (void)state;
    size_t n = 200000;
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) s[i] = (char)(1 + (i * 7919) % 255); /* every byte but NUL */
    s[n] = '\0';
    static const rep_escape modes[] = {REP_ESC_XML, REP_ESC_XML_TEXT, REP_ESC_TAP, REP_ESC_YAML};
    for (size_t m = 0; m < 4; m++) {
        FILE *f = tmpfile();
        rep_put(f, s, modes[m]);
        size_t len = 0;
        char *out = rt_slurp(f, &len);
        assert_true(rt_valid_xml_chars(out, len));
        if (modes[m] == REP_ESC_TAP) assert_null(strchr(out, '\n'));
        if (modes[m] != REP_ESC_TAP && modes[m] != REP_ESC_YAML) assert_null(strstr(out, "]]>"));
        free(out);
    }
    free(s);
}

static void seconds_hash_and_duration_are_formatted_like_json_and_terminal(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(rep_seconds(0, buf, sizeof buf), "0.000000");
    assert_string_equal(rep_seconds(1499, buf, sizeof buf), "0.000001");
    assert_string_equal(rep_seconds(1500, buf, sizeof buf), "0.000002");
    assert_string_equal(rep_seconds(UINT64_C(12345678901), buf, sizeof buf), "12.345679");
    assert_string_equal(rep_hash(UINT64_C(0xab), buf, sizeof buf), "0x00000000000000ab");
    assert_string_equal(rep_duration(INT64_C(2001000000), buf, sizeof buf), "2.001s");
    assert_string_equal(rep_duration(300000000, buf, sizeof buf), "300ms");
}

static void topics_and_names_come_from_the_path(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(rep_topic("scenarios/timeouts/late.yaml", buf, sizeof buf), "timeouts");
    assert_string_equal(rep_topic("/abs/scenarios/send//x.yaml", buf, sizeof buf), "send");
    assert_string_equal(rep_topic("x.yaml", buf, sizeof buf), "x");
    assert_string_equal(rep_topic("./x.y.yaml", buf, sizeof buf), "x_y");
    assert_string_equal(rep_topic("../.hidden", buf, sizeof buf), "_hidden");
    assert_string_equal(rep_topic("a b/c.yaml", buf, sizeof buf), "a_b");
    assert_string_equal(rep_topic("dir.v2/\xff.yaml", buf, sizeof buf), "dir_v2");
    assert_string_equal(rep_topic("", buf, sizeof buf), "_");
    assert_string_equal(rep_topic(NULL, buf, sizeof buf), "_");
    assert_string_equal(rep_identifier("model", buf, sizeof buf), "model");
    assert_string_equal(rep_identifier("my.backend!", buf, sizeof buf), "my_backend_");
    char tiny[4];
    assert_string_equal(rep_identifier("abcdef", tiny, sizeof tiny), "abc");
    sim_result r;
    sim_result_init(&r);
    r.file = strdup("scenarios/bad/broken.yaml");
    assert_string_equal(rep_result_name(&r), "broken.yaml");
    r.scenario = strdup("a-name");
    assert_string_equal(rep_result_name(&r), "a-name");
    sim_result_free(&r);
    assert_string_equal(rep_crash_reason(1), "fault");
    assert_string_equal(rep_crash_reason(99), "unknown");
    assert_string_equal(rep_drop_reason(2), "malformed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(char_len_accepts_text_and_rejects_what_no_format_carries),
        cmocka_unit_test(each_format_escapes_its_own_specials),
        cmocka_unit_test(unsafe_bytes_become_backslash_x_in_every_format),
        cmocka_unit_test(capping_counts_characters_and_never_splits_one),
        cmocka_unit_test(long_hostile_text_stays_valid_xml),
        cmocka_unit_test(seconds_hash_and_duration_are_formatted_like_json_and_terminal),
        cmocka_unit_test(topics_and_names_come_from_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
