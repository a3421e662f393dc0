/*
 * cli_rules_gen_test.c — the build tool that turns docs/semantics.md into
 * portsim's rule table, and finds the unit tests that cite each rule, run on
 * small documents and test sources: the citation convention (a test's name,
 * a comment in it or directly above it; any other comment cites for the file;
 * strings and code never; ranges expand), and the errors that fail the build
 * (a cited rule the document lacks, a gap, a missing field, a part out of
 * order, a statement too long for a C string literal), each with file:line and exit status 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIELDS "- **Sources:** [A].\n- **Markers:** none\n- **Profile:** none\n"

static const char good_doc[] = "# Rules\n\n## 1. First\n\n"
                               "### R1 \xe2\x80\x94 One\n\nThe first rule.\n\n" FIELDS "\n"
                               "### R2 \xe2\x80\x94 Two\n\nThe second,\nover two lines.\n\n" FIELDS
                               "- **No scenario:** a fact.\n\n"
                               "#### R2a \xe2\x80\x94 Two, part a\n\nIts part.\n\n- **Profile:** `qlimit: N`\n\n"
                               "## Appendix\n\n### Not a rule\n\ntext\n";

static const char test_source[] = "/* header names R1 */\n"
                                  "#include <stdio.h>\n"
                                  "static const char *s = \"R2 in a string\";\n"
                                  "/* R2a: directly above the test */\n"
                                  "static void test_R1_name(void **state)\n"
                                  "{\n"
                                  "    /* R2 inside */\n"
                                  "    const char *t = \"R1a\";\n"
                                  "    (void)t;\n"
                                  "}\n"
                                  "/* not above a test: R1 */\n"
                                  "static int value = 3;\n"
                                  "static void helper(void) { /* R1\xe2\x80\x93R2 */ }\n"
                                  "int main(void) { return test_R2_x(0) + value; } /* R2 */\n";

typedef struct gen_run {
    int code;
    char *out;  /* the generated C, or NULL */
    char *err;
} gen_run;

static char dir[64];

/* Writes text to dir/name (name may have one folder, made first). */
static void put(const char *name, const char *text)
{
    char path[256];
    const char *slash = strrchr(name, '/');
    if (slash != NULL) {
        snprintf(path, sizeof path, "mkdir -p %s/%.*s", dir, (int)(slash - name), name);
        assert_int_equal(system(path), 0);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

/* The whole of a file, or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) return NULL;
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Runs the generator on dir/doc.md and the named test sources of dir. */
static gen_run run_gen(const char *tests)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s/out.c; cd %s && %s %s/out.c %s %s/doc.md %s 2> %s/err.txt", dir, dir,
             CLI_RULES_GEN, dir, dir, dir, tests, dir);
    int status = system(cmd);
    gen_run r = {.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1};
    char path[256];
    snprintf(path, sizeof path, "%s/out.c", dir);
    r.out = slurp(path);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    r.err = slurp(path);
    assert_non_null(r.err);
    return r;
}

static void gen_free(gen_run *r)
{
    free(r->out);
    free(r->err);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cli_rules_gen_test_XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The table: every rule and part, the statement's lines, the fields, a part's gaps as NULL. */
static void test_document_becomes_the_table(void **state)
{
    (void)state;
    put("doc.md", good_doc);
    gen_run r = run_gen("");
    assert_int_equal(r.code, 0);
    assert_non_null(r.out);
    assert_non_null(strstr(r.out, "{\"R1\", 1, 0,\n     \"One\",\n     \"1. First\",\n     \"The first rule.\",\n"
                                  "     \"[A].\",\n     \"none\",\n     \"none\",\n     NULL},"));
    assert_non_null(strstr(r.out, "\"The second,\\n\"\n        \"over two lines.\""));
    assert_non_null(strstr(r.out, "\"a fact.\"},"));
    assert_non_null(strstr(r.out, "{\"R2a\", 2, 'a',\n     \"Two, part a\",\n     \"1. First\",\n     \"Its part.\",\n"
                                  "     NULL,\n     NULL,\n     \"`qlimit: N`\",\n     NULL},"));
    assert_non_null(strstr(r.out, "cli_rule_count = 3;"));
    assert_non_null(strstr(r.out, "cli_rule_whole_count = 2;"));
    assert_non_null(strstr(r.out, "cli_rule_cite_count = 0;"));
    assert_string_equal(r.err, "");
    gen_free(&r);
}

/* Who cites what: the name and the comments of and above a test; other comments the file. */
static void test_citation_convention(void **state)
{
    (void)state;
    put("doc.md", good_doc);
    put("x/tests/a_test.c", test_source);
    gen_run r = run_gen("x/tests/a_test.c");
    assert_int_equal(r.code, 0);
    assert_non_null(r.out);
    static const char *const expected[] = {
        "{\"R1\", \"x/tests/a_test.c\", NULL},",          /* the header, and the helper's range */
        "{\"R1\", \"x/tests/a_test.c\", \"test_R1_name\"},", /* its name */
        "{\"R2\", \"x/tests/a_test.c\", \"test_R1_name\"},", /* a comment inside */
        "{\"R2\", \"x/tests/a_test.c\", NULL},",          /* the range in the helper; main's comment */
        "{\"R2a\", \"x/tests/a_test.c\", \"test_R1_name\"},", /* the comment directly above */
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strstr(r.out, expected[i]) == NULL) fail_msg("missing %s in\n%s", expected[i], r.out);
    }
    /* the strings and main's call cite nothing more: exactly these five */
    assert_non_null(strstr(r.out, "cli_rule_cite_count = 5;"));
    /* by rule, then as found */
    assert_true(strstr(r.out, expected[0]) < strstr(r.out, expected[1]));
    assert_true(strstr(r.out, expected[1]) < strstr(r.out, expected[2]));
    gen_free(&r);
}

/* A test citing a rule the document lacks fails the build, at its line. */
static void test_unknown_citation_fails(void **state)
{
    (void)state;
    put("doc.md", good_doc);
    put("y/tests/b_test.c", "#include <stdio.h>\n\n/* R9: no such rule */\nstatic void test_b(void **s) {}\n");
    char absolute[128];
    snprintf(absolute, sizeof absolute, "%s/y/tests/b_test.c", dir);
    gen_run r = run_gen(absolute); /* an absolute path outside ROOT's prefix is named as given */
    assert_int_equal(r.code, 1);
    assert_null(r.out);
    assert_non_null(strstr(r.err, "/y/tests/b_test.c:3: error: cites a rule docs/semantics.md does not have: R9\n"));
    gen_free(&r);
    put("y/tests/b_test.c", "static void test_R2b_missing_part(void **s) {}\n");
    r = run_gen("y/tests/b_test.c");
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "b_test.c:1: error: cites a rule docs/semantics.md does not have: R2b"));
    gen_free(&r);
}

/* Malformed documents: each error at its line, nothing written. */
static void test_malformed_documents_fail(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        const char *error;
    } cases[] = {
        {"## S\n### R1 \xe2\x80\x94 A\n\nx\n\n" FIELDS "### R3 \xe2\x80\x94 C\n\nx\n\n" FIELDS,
         "doc.md:9: error: rules run R1, R2, ... without gaps or repeats; expected R2"},
        {"## S\n### R1 \xe2\x80\x94 A\n\nx\n\n- **Sources:** s\n- **Profile:** none\n",
         "doc.md:2: error: a rule needs Sources, Markers and Profile lines: R1"},
        {"## S\n### R1 \xe2\x80\x94 A\n\nx\n\n" FIELDS "#### R1b \xe2\x80\x94 B\n\ny\n",
         "doc.md:9: error: a part Rnx follows its rule Rn (or the part before it), a, b, ... in order: R1b"},
        {"## S\n### R1 \xe2\x80\x94 A\n\n" FIELDS, "doc.md:2: error: this rule has no statement: R1"},
        {"## S\n### R1 \xe2\x80\x94 A\n\nx\n\n" FIELDS "more text\n",
         "doc.md:9: error: only the Sources, Markers, Profile and No scenario lines end a rule: R1"},
        {"## S\n### R1 \xe2\x80\x94 A\n\nx\n\n- **Sources:** s\n- **Markers:** maybe\n- **Profile:** none\n",
         "doc.md:2: error: Markers are none, SRC-ONLY, UNCERTAIN or DOC\xe2\x89\xa0SRC: R1"},
        {"no rules here\n", "doc.md:0: error: no rules found"},
        {NULL, "doc.md:2: error: a statement over 4000 bytes (make parts): R1"},
    };
    static char long_doc[8192];
    size_t n = (size_t)snprintf(long_doc, sizeof long_doc, "## S\n### R1 \xe2\x80\x94 A\n\n");
    for (; n < 4200; n += 10) memcpy(long_doc + n, "many word ", 10);
    snprintf(long_doc + n, sizeof long_doc - n, "\n\n%s", FIELDS);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put("doc.md", cases[i].doc != NULL ? cases[i].doc : long_doc);
        gen_run r = run_gen("");
        if (r.code != 1 || r.out != NULL || strstr(r.err, cases[i].error) == NULL) {
            fail_msg("case %zu: exit %d, stderr:\n%s", i, r.code, r.err);
        }
        gen_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_becomes_the_table),
        cmocka_unit_test(test_citation_convention),
        cmocka_unit_test(test_unknown_citation_fails),
        cmocka_unit_test(test_malformed_documents_fail),
    };
    return cmocka_run_group_tests_name("cli_rules_gen", tests, setup, teardown);
}
