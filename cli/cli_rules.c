/*
 * cli_rules.c — `portsim rules [Rn...]`: the rules of docs/semantics.md, as
 * built into portsim (cli_rules.h), and the look-ups `coverage` shares.
 *
 * With no id, every rule in document order; with ids, those rules (a whole
 * rule with its parts, a part alone with its rule's sources, markers and
 * profile option). An id the document does not have is a usage error (exit
 * 2) and nothing is printed; otherwise exit 0.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli_rules.h"

uint32_t cli_rule_find(const char *id)
{
    assert(id != NULL);
    assert(cli_rule_count > 0);
    for (uint32_t i = 0; i < cli_rule_count; i++) {
        if (strcmp(cli_rule_table[i].id, id) == 0) return i;
    }
    return UINT32_MAX;
}

uint32_t cli_rule_whole(uint32_t index)
{
    assert(index < cli_rule_count);
    uint32_t i = index;
    while (i > 0 && cli_rule_table[i].part != 0) i--;
    assert(cli_rule_table[i].part == 0 && cli_rule_table[i].number == cli_rule_table[index].number);
    return i;
}

/* "Sources: ..." and the others a rule (or part) has; `inherit` fills a part's gaps. */
static void print_fields(FILE *out, const cli_rule *r, const cli_rule *inherit)
{
    assert(out != NULL && r != NULL);
    const char *names[] = {"Sources", "Markers", "Profile", "No scenario"};
    const char *own[] = {r->sources, r->markers, r->profile, r->no_scenario};
    const char *theirs[] = {inherit ? inherit->sources : NULL, inherit ? inherit->markers : NULL,
                            inherit ? inherit->profile : NULL, NULL};
    bool any = false;
    for (int f = 0; f < 4; f++) {
        const char *v = own[f] != NULL ? own[f] : theirs[f];
        if (v == NULL) continue;
        fprintf(out, "%s%s: %s\n", any ? "" : "\n", names[f], v);
        any = true;
    }
}

/* One rule: heading, section, statement; a whole rule's parts, then its fields. */
static void print_rule(FILE *out, uint32_t index)
{
    assert(out != NULL && index < cli_rule_count);
    const cli_rule *r = &cli_rule_table[index];
    fprintf(out, "%s \xe2\x80\x94 %s\n", r->id, r->title);
    if (r->part != 0) {
        const cli_rule *whole = &cli_rule_table[cli_rule_whole(index)];
        fprintf(out, "(%s; a part of %s \xe2\x80\x94 %s)\n\n%s\n", r->section, whole->id, whole->title, r->statement);
        print_fields(out, r, whole);
        return;
    }
    fprintf(out, "(%s)\n\n%s\n", r->section, r->statement);
    for (uint32_t p = index + 1; p < cli_rule_count && cli_rule_table[p].part != 0; p++) {
        const cli_rule *part = &cli_rule_table[p];
        fprintf(out, "\n%s \xe2\x80\x94 %s\n%s\n", part->id, part->title, part->statement);
        print_fields(out, part, NULL);
    }
    print_fields(out, r, NULL);
}

int cli_cmd_rules(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    assert(cli_rule_count > 0 && cli_rule_whole_count > 0);
    uint32_t *wanted = calloc(c->path_count + 1, sizeof *wanted);
    if (wanted == NULL) return CLI_EXIT_USAGE;
    for (uint32_t i = 0; i < c->path_count; i++) {
        wanted[i] = cli_rule_find(c->paths[i]);
        if (wanted[i] == UINT32_MAX) {
            char what[96];
            snprintf(what, sizeof what, "unknown rule (the rules are R1 to R%u, docs/semantics.md):",
                     cli_rule_whole_count);
            free(wanted);
            return cli_usage_error(c, what, c->paths[i]);
        }
    }
    bool all = c->path_count == 0;
    uint32_t count = all ? cli_rule_count : c->path_count;
    bool first = true;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t index = all ? i : wanted[i];
        const cli_rule *r = &cli_rule_table[index];
        if (c->a.rules_list) {
            fprintf(c->out, "%-5s %s%s\n", r->id, r->part != 0 ? "  " : "", r->title);
            continue;
        }
        if (all && r->part != 0) continue; /* printed with its rule */
        if (!first) fputs("\n\n", c->out);
        print_rule(c->out, index);
        first = false;
    }
    free(wanted);
    return CLI_EXIT_OK;
}
