/*
 * cli_coverage.c — `portsim coverage [--summary] PATH...`: per rule of
 * docs/semantics.md, the scenarios whose `rules:` cite it and the unit tests
 * that cite it, then the rules without a scenario, without a unit test, and
 * cited by nobody.
 *
 * Scenarios are those of PATH. Unit tests are those of the source tree
 * portsim was built from, found at build time (cli_rules_gen.c says how a
 * test cites a rule: R32 in its name or in a comment of or above it). A
 * scenario citing a part the document lacks (R26z) counts for its rule
 * (R26). A whole rule counts as cited when it or one of its parts is. A rule
 * whose `No scenario:` line says why no scenario can show it is listed with
 * that reason. Exit 0 when every file loaded (the report is informational),
 * 2 when one did not.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli_rules.h"
#include "base_alloc.h"

/* The scenario files (indexes into the collected files) citing one rule. */
typedef struct cov_list {
    uint32_t *files;
    uint32_t count, cap;
} cov_list;

/* Appends file index f to l, once (a scenario may name a rule twice). */
static bool cov_add(cov_list *l, uint32_t f)
{
    assert(l != NULL);
    if (l->count > 0 && l->files[l->count - 1] == f) return true;
    uint32_t *bigger = base_grow_array(l->files, &l->cap, l->count + 1, 8, sizeof *bigger);
    if (bigger == NULL) return false;
    l->files = bigger;
    l->files[l->count++] = f;
    assert(l->count <= l->cap);
    return true;
}

/* The rule a scenario's `rules:` entry means: itself, or for an unknown part its rule. */
static uint32_t cited_rule(const char *id)
{
    assert(id != NULL);
    uint32_t r = cli_rule_find(id);
    if (r != UINT32_MAX || id[0] != 'R') return r;
    char whole[16];
    size_t n = strspn(id + 1, "0123456789");
    if (n == 0 || n > 4) return UINT32_MAX;
    snprintf(whole, sizeof whole, "R%.*s", (int)n, id + 1);
    return cli_rule_find(whole);
}

/* How many unit-test citations rule r has (its own, not its parts'). */
static uint32_t test_count(uint32_t r)
{
    assert(r < cli_rule_count);
    uint32_t n = 0;
    for (uint32_t i = 0; i < cli_rule_cite_count; i++) n += strcmp(cli_rule_cites[i].rule, cli_rule_table[r].id) == 0;
    return n;
}

/* Whether whole rule w, or a part of it, has a scenario (scen) or a unit test (!scen). */
static bool rolled_up(const cov_list *lists, uint32_t w, bool scen)
{
    assert(lists != NULL && w < cli_rule_count);
    for (uint32_t r = w; r < cli_rule_count && (r == w || cli_rule_table[r].part != 0); r++) {
        if (scen ? lists[r].count > 0 : test_count(r) > 0) return true;
    }
    return false;
}

/* Distinct test names and test files among the citations. */
static void count_tests(uint32_t *tests, uint32_t *files)
{
    assert(tests != NULL && files != NULL);
    *tests = 0;
    *files = 0;
    for (uint32_t i = 0; i < cli_rule_cite_count; i++) {
        const cli_rule_cite *c = &cli_rule_cites[i];
        bool test_seen = c->test == NULL, file_seen = false;
        for (uint32_t j = 0; j < i && !(test_seen && file_seen); j++) {
            const cli_rule_cite *d = &cli_rule_cites[j];
            if (strcmp(c->file, d->file) != 0) continue;
            file_seen = true;
            if (d->test != NULL && c->test != NULL && strcmp(c->test, d->test) == 0) test_seen = true;
        }
        *tests += !test_seen;
        *files += !file_seen;
    }
}

/* Per rule: its counts, and (unless --summary) who cites it. */
static void report_rules(cli_ctx *c, const cov_list *lists, const cli_files *files)
{
    assert(c != NULL && lists != NULL && files != NULL);
    for (uint32_t r = 0; r < cli_rule_count; r++) {
        const cli_rule *rule = &cli_rule_table[r];
        uint32_t tests = test_count(r);
        if (lists[r].count == 0 && tests == 0) continue;
        fprintf(c->out, "%-5s %3u scenario%s %3u unit test%s\n", rule->id, lists[r].count,
                lists[r].count == 1 ? ", " : "s,", tests, tests == 1 ? "" : "s");
        if (c->a.coverage_summary) continue;
        for (uint32_t i = 0; i < lists[r].count; i++) fprintf(c->out, "  scenario   %s\n", files->items[lists[r].files[i]]);
        for (uint32_t i = 0; i < cli_rule_cite_count; i++) {
            const cli_rule_cite *t = &cli_rule_cites[i];
            if (strcmp(t->rule, rule->id) != 0) continue;
            fprintf(c->out, "  unit test  %s%s%s\n", t->file, t->test != NULL ? ": " : " (the file)",
                    t->test != NULL ? t->test : "");
        }
    }
}

/* The totals, then the rules without a scenario, without a unit test, and cited by nobody. */
static void report_gaps(cli_ctx *c, const cov_list *lists, uint32_t scenarios)
{
    assert(c != NULL && lists != NULL);
    uint32_t by_scen = 0, by_test = 0, tests = 0, test_files = 0, missing = 0;
    for (uint32_t r = 0; r < cli_rule_count; r++) {
        if (cli_rule_table[r].part != 0) continue;
        by_scen += rolled_up(lists, r, true);
        by_test += rolled_up(lists, r, false);
    }
    count_tests(&tests, &test_files);
    fprintf(c->out, "\n%u of %u rules covered by %u scenarios; %u of %u cited by unit tests (%u tests in %u files)\n",
            by_scen, cli_rule_whole_count, scenarios, by_test, cli_rule_whole_count, tests, test_files);
    for (uint32_t r = 0; r < cli_rule_count; r++) {
        const cli_rule *rule = &cli_rule_table[r];
        if (rule->part != 0 || rolled_up(lists, r, true)) continue;
        if (rule->no_scenario != NULL) {
            size_t n = strlen(rule->no_scenario);
            if (n > 0 && rule->no_scenario[n - 1] == '.') n--; /* a sentence, here in parentheses */
            fprintf(c->out, "not covered: %s (%.*s)\n", rule->id, (int)n, rule->no_scenario);
        } else {
            fprintf(c->out, "not covered: %s\n", rule->id);
            missing++;
        }
    }
    const char *labels[2] = {"no unit test:", "cited by nobody:"};
    for (int k = 0; k < 2; k++) {
        bool any = false;
        for (uint32_t r = 0; r < cli_rule_count; r++) {
            if (cli_rule_table[r].part != 0 || rolled_up(lists, r, false)) continue;
            if (k == 1 && rolled_up(lists, r, true)) continue;
            fprintf(c->out, "%s %s", any ? "," : labels[k], cli_rule_table[r].id);
            any = true;
        }
        if (any) fputc('\n', c->out);
    }
    if (missing > 0) fprintf(c->out, "%u behavioural rule%s without a scenario\n", missing, missing == 1 ? "" : "s");
}

int cli_cmd_coverage(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    assert(cli_rule_count >= cli_rule_whole_count);
    if (c->path_count == 0) return cli_usage_error(c, "coverage needs at least one PATH", NULL);
    int code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    if (code >= 0) return code;
    cov_list *lists = calloc(cli_rule_count, sizeof *lists);
    if (lists == NULL) {
        cli_files_free(&files);
        return CLI_EXIT_USAGE;
    }
    uint32_t loaded = 0, errors = 0;
    for (uint32_t i = 0; i < files.count; i++) {
        sim_scenario sc;
        sim_result res;
        sim_result_init(&res);
        if (cli_load(c, files.items[i], &sc, &res)) {
            for (uint32_t k = 0; k < sc.rule_count; k++) {
                uint32_t r = cited_rule(sc.rules[k]);
                if (r != UINT32_MAX && !cov_add(&lists[r], i)) errors++;
            }
            sim_scenario_free(&sc);
            loaded++;
        } else {
            errors++;
        }
        sim_result_free(&res);
    }
    report_rules(c, lists, &files);
    report_gaps(c, lists, loaded);
    for (uint32_t r = 0; r < cli_rule_count; r++) free(lists[r].files);
    free(lists);
    cli_files_free(&files);
    return errors > 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
