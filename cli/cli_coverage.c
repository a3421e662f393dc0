/*
 * cli_coverage.c — `portsim coverage PATH...`: which rules of the reference
 * semantics (R1–R67) the scenarios cover, by their `rules:` lists.
 *
 * Prints one line per rule with the scenarios that cite it, then the rules
 * nobody cites. Four rules are facts or unreachable in the model and are
 * reported as such. Exit 0 when every file loaded (the report is
 * informational), 2 when one did not.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define RULES 67

static const char *not_behaviour(uint32_t rule)
{
    switch (rule) {
    case 17: return "not reachable: calls are atomic in the model, and bootstrap refuses the second registration before the race window (core/README.md)";
    case 64: return "the Mach wire format: the model has no wire";
    case 66: return "a fact about swift-corelibs-foundation, not behaviour";
    case 67: return "a fact about other implementations, not behaviour";
    default: return NULL;
    }
}

typedef struct coverage {
    uint32_t count[RULES + 1];
    char *first[RULES + 1]; /* the first scenario citing it */
} coverage;

static void cite(coverage *cov, const sim_scenario *sc)
{
    for (uint32_t i = 0; i < sc->rule_count; i++) {
        const char *r = sc->rules[i];
        if (r[0] != 'R') continue;
        long n = strtol(r + 1, NULL, 10);
        if (n < 1 || n > RULES) continue;
        if (cov->count[n]++ == 0) cov->first[n] = sim_strdup(sc->name ? sc->name : sc->file);
    }
}

static void report(cli_ctx *c, const coverage *cov, uint32_t scenarios)
{
    uint32_t covered = 0;
    for (uint32_t r = 1; r <= RULES; r++) {
        if (cov->count[r] == 0) continue;
        covered++;
        fprintf(c->out, "R%-3u %3u scenario%s  (e.g. %s)\n", r, cov->count[r], cov->count[r] == 1 ? " " : "s",
                cov->first[r]);
    }
    fprintf(c->out, "\n%u of %u rules covered by %u scenarios\n", covered, RULES, scenarios);
    uint32_t missing = 0;
    for (uint32_t r = 1; r <= RULES; r++) {
        if (cov->count[r] != 0) continue;
        const char *why = not_behaviour(r);
        if (why != NULL) {
            fprintf(c->out, "not covered: R%u (%s)\n", r, why);
        } else {
            fprintf(c->out, "not covered: R%u\n", r);
            missing++;
        }
    }
    if (missing > 0) fprintf(c->out, "%u behavioural rule%s without a scenario\n", missing, missing == 1 ? "" : "s");
}

int cli_cmd_coverage(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "coverage needs at least one PATH", NULL);
    int code = cli_setup_output(c);
    cli_files files = {0};
    if (code < 0) code = cli_collect(c, &files);
    if (code >= 0) return code;
    coverage cov;
    memset(&cov, 0, sizeof cov);
    uint32_t loaded = 0, errors = 0;
    for (uint32_t i = 0; i < files.count; i++) {
        sim_scenario sc;
        sim_result res;
        sim_result_init(&res);
        if (cli_load(c, files.items[i], &sc, &res)) {
            cite(&cov, &sc);
            sim_scenario_free(&sc);
            loaded++;
        } else {
            errors++;
        }
        sim_result_free(&res);
    }
    report(c, &cov, loaded);
    for (uint32_t r = 0; r <= RULES; r++) free(cov.first[r]);
    cli_files_free(&files);
    return errors > 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
