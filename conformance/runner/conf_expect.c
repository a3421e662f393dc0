/*
 * conf_expect.c — per-backend expectation files (conformance/expect/NAME.yaml),
 * in the spirit of web-platform-tests' expectation metadata:
 *
 *   backend: posix
 *   expectations:
 *     - scenario: context-calls        # the scenario's name
 *       line: 48                       # optional: only failures at this line of its file
 *       message: should_free_info      # optional, with line: only failures whose message has it
 *       status: fail                   # fail | intermittent | skip
 *       rules: [R9]                    # optional
 *       reason: "libcfmp does not ..." # mandatory
 *
 * A `line` entry turns the failures at that line into notes ("expected
 * failure"), so the rest of the scenario is still checked; a `fail` line
 * entry that matched nothing is itself a failure (the file is stale). A
 * whole-scenario `fail` or `intermittent` entry turns a failing run into a
 * skip with the reason (its failures stay in the result); an unexpected
 * pass of a whole-scenario `fail` is a failure. `skip` entries are not run.
 * The file is read with sim/'s defensive YAML reader.
 */
#include "conf_runner.h"

#include "sim_load.h"
#include "sim_yaml.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A node, or an empty node (never NULL) for SIM_NONE. */
static const sim_ynode *ynode(const sim_ydoc *d, uint32_t i)
{
    static char empty[1];
    static const sim_ynode none = {.type = 0, .first = SIM_NONE, .next = SIM_NONE, .text = empty};
    return i < d->count ? &d->nodes[i] : &none;
}

/* The value of a key in a map node, or SIM_NONE. */
static uint32_t ymap_get(const sim_ydoc *d, uint32_t map, const char *key)
{
    assert(d != NULL);
    assert(key != NULL && key[0] != '\0');
    const sim_ynode *m = ynode(d, map);
    if (m->type != SIM_Y_MAP) return SIM_NONE;
    for (uint32_t k = m->first; k != SIM_NONE;) {
        const sim_ynode *kn = ynode(d, k);
        uint32_t v = kn->next;
        if (kn->type == SIM_Y_SCALAR && strcmp(kn->text, key) == 0) return v;
        k = v == SIM_NONE ? SIM_NONE : ynode(d, v)->next;
    }
    return SIM_NONE;
}

static const char *yscalar(const sim_ydoc *d, uint32_t i)
{
    const sim_ynode *n = ynode(d, i);
    return n->type == SIM_Y_SCALAR && strlen(n->text) == n->len ? n->text : NULL;
}

static bool check_keys(const sim_ydoc *d, uint32_t map, const char *const *allowed, sim_diag *diag)
{
    assert(d != NULL && diag != NULL);
    assert(allowed != NULL && allowed[0] != NULL);
    const sim_ynode *m = ynode(d, map);
    bool ok = true;
    for (uint32_t k = m->first; k != SIM_NONE;) {
        const sim_ynode *kn = ynode(d, k);
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL && kn->type == SIM_Y_SCALAR; i++) known = known || strcmp(allowed[i], kn->text) == 0;
        if (!known) {
            sim_diag_error(diag, kn->line, kn->col, "unknown key '%s'", kn->type == SIM_Y_SCALAR ? kn->text : "?");
            ok = false;
        }
        uint32_t v = kn->next;
        k = v == SIM_NONE ? SIM_NONE : ynode(d, v)->next;
    }
    return ok;
}

static bool read_rules(const sim_ydoc *d, uint32_t node, conf_expect_entry *e, sim_diag *diag)
{
    assert(d != NULL && diag != NULL);
    assert(e != NULL && e->rules == NULL && e->rule_count == 0);
    const sim_ynode *seq = ynode(d, node);
    if (seq->type != SIM_Y_SEQ) {
        sim_diag_error(diag, seq->line, seq->col, "rules: a list such as [R9, R62]");
        return false;
    }
    e->rules = calloc((size_t)seq->count + 1, sizeof *e->rules);
    if (e->rules == NULL) return false;
    for (uint32_t v = seq->first; v != SIM_NONE; v = ynode(d, v)->next) {
        const char *r = yscalar(d, v);
        if (r == NULL || r[0] != 'R') {
            sim_diag_error(diag, ynode(d, v)->line, ynode(d, v)->col, "a rule is written R1 .. R67");
            return false;
        }
        e->rules[e->rule_count++] = sim_strdup(r);
    }
    return true;
}

static bool read_entry(const sim_ydoc *d, uint32_t node, conf_expect_entry *e, sim_diag *diag)
{
    assert(d != NULL && diag != NULL);
    assert(e != NULL);
    static const char *const keys[] = {"scenario", "line", "message", "status", "rules", "reason", NULL};
    const sim_ynode *n = ynode(d, node);
    memset(e, 0, sizeof *e);
    e->src_line = n->line;
    if (n->type != SIM_Y_MAP) {
        sim_diag_error(diag, n->line, n->col, "an expectation is a mapping");
        return false;
    }
    bool ok = check_keys(d, node, keys, diag);
    const char *scenario = yscalar(d, ymap_get(d, node, "scenario"));
    const char *status = yscalar(d, ymap_get(d, node, "status"));
    const char *reason = yscalar(d, ymap_get(d, node, "reason"));
    const char *line = yscalar(d, ymap_get(d, node, "line"));
    const char *message = yscalar(d, ymap_get(d, node, "message"));
    if (scenario == NULL || scenario[0] == '\0') {
        sim_diag_error(diag, n->line, n->col, "an expectation needs 'scenario' (a scenario name)");
        ok = false;
    }
    if (reason == NULL || strlen(reason) < 8) {
        sim_diag_error(diag, n->line, n->col, "an expectation needs a 'reason' (say why, and cite the rule)");
        ok = false;
    }
    if (status == NULL) {
        sim_diag_error(diag, n->line, n->col, "an expectation needs 'status' (fail, intermittent or skip)");
        ok = false;
    } else if (strcmp(status, "fail") == 0) {
        e->status = CONF_EXPECT_FAIL;
    } else if (strcmp(status, "intermittent") == 0) {
        e->status = CONF_EXPECT_INTERMITTENT;
    } else if (strcmp(status, "skip") == 0) {
        e->status = CONF_EXPECT_SKIP;
    } else {
        sim_diag_error(diag, n->line, n->col, "status: fail, intermittent or skip");
        ok = false;
    }
    if (line != NULL) {
        char *end = NULL;
        unsigned long v = strtoul(line, &end, 10);
        if (end == line || *end != '\0' || v == 0 || v > 1000000) {
            sim_diag_error(diag, n->line, n->col, "line: a line number of the scenario file");
            ok = false;
        }
        e->line = (uint32_t)v;
        if (e->status == CONF_EXPECT_SKIP) {
            sim_diag_error(diag, n->line, n->col, "a skip is for a whole scenario (no line)");
            ok = false;
        }
    }
    if (message != NULL && (line == NULL || message[0] == '\0')) {
        sim_diag_error(diag, n->line, n->col, "message: a non-empty text, and only with line");
        ok = false;
    }
    e->message = message != NULL ? sim_strdup(message) : NULL;
    uint32_t rules = ymap_get(d, node, "rules");
    if (rules != SIM_NONE) ok = read_rules(d, rules, e, diag) && ok;
    e->scenario = scenario ? sim_strdup(scenario) : NULL;
    e->reason = reason ? sim_strdup(reason) : NULL;
    return ok;
}

/* A loaded file's entries are complete: the loader refuses a file otherwise (each entry has
 * a scenario, a status and a reason; only line entries have a message). O(entries): it runs
 * once per scenario, not per step. */
static bool expect_validate(const conf_expectations *e)
{
    if (e == NULL || (e->count > 0 && e->entries == NULL)) return false;
    for (uint32_t i = 0; i < e->count; i++) {
        const conf_expect_entry *x = &e->entries[i];
        if (x->scenario == NULL || x->reason == NULL) return false;
        if (x->status < CONF_EXPECT_FAIL || x->status > CONF_EXPECT_SKIP) return false;
        if (x->rule_count > 0 && x->rules == NULL) return false;
        if (x->message != NULL && x->line == 0) return false;
        if (x->hits > x->runs) return false;
    }
    return true;
}

bool conf_expect_load(const char *path, conf_expectations *out, sim_diag *diag)
{
    assert(path != NULL);
    assert(out != NULL && diag != NULL);
    memset(out, 0, sizeof *out);
    out->path = sim_strdup(path);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!sim_read_file(path, (size_t)1 << 20, &bytes, &len, diag)) return false;
    sim_ydoc doc;
    bool ok = sim_yaml_parse(bytes, len, &doc, diag);
    free(bytes);
    if (ok) {
        static const char *const keys[] = {"backend", "expectations", NULL};
        const sim_ynode *root = ynode(&doc, doc.root);
        if (root->type != SIM_Y_MAP) {
            sim_diag_error(diag, 1, 1, "an expectation file is a mapping with backend and expectations");
            ok = false;
        } else {
            ok = check_keys(&doc, doc.root, keys, diag);
            const char *backend = yscalar(&doc, ymap_get(&doc, doc.root, "backend"));
            out->backend = backend ? sim_strdup(backend) : NULL;
            uint32_t list = ymap_get(&doc, doc.root, "expectations");
            const sim_ynode *seq = ynode(&doc, list);
            if (seq->type == SIM_Y_SEQ) {
                out->entries = calloc((size_t)seq->count + 1, sizeof *out->entries);
                for (uint32_t v = seq->first; out->entries != NULL && v != SIM_NONE; v = ynode(&doc, v)->next) {
                    ok = read_entry(&doc, v, &out->entries[out->count], diag) && ok;
                    out->count++;
                }
            } else if (list != SIM_NONE && !(seq->type == SIM_Y_SCALAR && seq->len == 0)) {
                sim_diag_error(diag, seq->line, seq->col, "expectations: a list");
                ok = false;
            }
        }
    }
    sim_ydoc_fini(&doc);
    assert(!ok || expect_validate(out)); /* exit: a loaded file is complete */
    return ok;
}

void conf_expect_free(conf_expectations *e)
{
    assert(e != NULL);
    assert(e->count == 0 || e->entries != NULL);
    for (uint32_t i = 0; i < e->count; i++) {
        conf_expect_entry *x = &e->entries[i];
        free(x->scenario);
        free(x->reason);
        free(x->message);
        for (uint32_t r = 0; r < x->rule_count; r++) free(x->rules[r]);
        free(x->rules);
    }
    free(e->entries);
    free(e->path);
    free(e->backend);
    memset(e, 0, sizeof *e);
}

static bool for_scenario(const conf_expect_entry *x, const sim_scenario *sc)
{
    return sc->name != NULL && x->scenario != NULL && strcmp(x->scenario, sc->name) == 0;
}

const conf_expect_entry *conf_expect_skip(const conf_expectations *e, const sim_scenario *sc)
{
    for (uint32_t i = 0; e != NULL && i < e->count; i++) {
        if (e->entries[i].status == CONF_EXPECT_SKIP && for_scenario(&e->entries[i], sc)) return &e->entries[i];
    }
    return NULL;
}

static void rules_text(const conf_expect_entry *x, char *buf, size_t cap)
{
    assert(x != NULL && (x->rule_count == 0 || x->rules != NULL));
    assert(buf != NULL && cap > 0);
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t r = 0; r < x->rule_count && n + 8 < cap; r++) {
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", r ? ", " : " [", x->rules[r]);
    }
    if (n > 0 && n + 2 < cap) snprintf(buf + n, cap - n, "]");
}

static void drop_failure(sim_result *r, uint32_t index)
{
    assert(r != NULL);
    assert(index < r->failure_count);
    sim_failure *f = &r->failures[index];
    free(f->message);
    free(f->expected);
    free(f->observed);
    memmove(f, f + 1, (r->failure_count - index - 1) * sizeof *f);
    r->failure_count--;
}

static void refresh_step_flags(sim_result *r)
{
    for (uint32_t s = 0; s < r->step_count; s++) r->steps[s].failed = false;
    for (uint32_t i = 0; i < r->failure_count; i++) {
        if (r->failures[i].step < r->step_count) r->steps[r->failures[i].step].failed = true;
    }
}

/* Line entries: failures at their line become notes. */
static void apply_lines(conf_expectations *e, const sim_scenario *sc, sim_result *o)
{
    assert(expect_validate(e));
    assert(sc != NULL && o != NULL);
    sim_result *r = o;
    for (uint32_t i = 0; i < e->count; i++) {
        conf_expect_entry *x = &e->entries[i];
        if (x->line == 0 || x->status == CONF_EXPECT_SKIP || !for_scenario(x, sc)) continue;
        uint32_t matched = 0;
        char rules[96];
        rules_text(x, rules, sizeof rules);
        for (uint32_t f = 0; f < r->failure_count;) {
            const char *msg = r->failures[f].message ? r->failures[f].message : "";
            if (r->failures[f].line != x->line || (x->message != NULL && strstr(msg, x->message) == NULL)) {
                f++;
                continue;
            }
            conf_result_note(o, "%s:%u: expected failure%s (%s:%u): %s — %s%s%s%s", sc->file, x->line, rules, e->path,
                              x->src_line, x->reason, r->failures[f].message,
                              r->failures[f].observed ? " (observed " : "",
                              r->failures[f].observed ? r->failures[f].observed : "",
                              r->failures[f].observed ? ")" : "");
            drop_failure(r, f);
            matched++;
        }
        x->hits += matched > 0;
        if (matched == 0 && x->status == CONF_EXPECT_FAIL) {
            char *message = sim_strdup_printf("expected to fail here (%s:%u: %s), but it passed: update the expectation file",
                                              e->path, x->src_line, x->reason);
            sim_result_add_failure(r, SIM_FAIL_EXPECT, x->line, 1, message ? message : "unexpected pass", NULL, NULL);
            free(message);
        }
    }
    refresh_step_flags(r);
}

void conf_expect_apply(conf_expectations *e, const sim_scenario *sc, sim_result *o)
{
    assert(sc != NULL && o != NULL);
    assert(sim_result_validate(o));
    assert(e == NULL || expect_validate(e));
    sim_result *r = o;
    if (e == NULL || r->verdict == SIM_VERDICT_SKIP || r->verdict == SIM_VERDICT_ERROR) return;
    for (uint32_t i = 0; i < e->count; i++) e->entries[i].runs += for_scenario(&e->entries[i], sc);
    apply_lines(e, sc, o);
    conf_expect_entry *whole = NULL;
    for (uint32_t i = 0; i < e->count && whole == NULL; i++) {
        conf_expect_entry *x = &e->entries[i];
        if (x->line == 0 && x->status != CONF_EXPECT_SKIP && for_scenario(x, sc)) whole = x;
    }
    r->verdict = r->failure_count > 0 ? SIM_VERDICT_FAIL : SIM_VERDICT_PASS;
    assert(sim_result_validate(r)); /* the line entries kept the result consistent */
    if (whole == NULL) return;
    char rules[96];
    rules_text(whole, rules, sizeof rules);
    if (r->verdict == SIM_VERDICT_FAIL) {
        whole->hits++;
        r->verdict = SIM_VERDICT_SKIP;
        r->skip_reason = sim_strdup_printf("%s on %s%s: %s", whole->status == CONF_EXPECT_FAIL ? "expected to fail" : "known intermittent",
                                           e->backend ? e->backend : "this backend", rules, whole->reason);
        r->rt.expected_failure = true;
    } else if (whole->status == CONF_EXPECT_FAIL) {
        char *message = sim_strdup_printf("expected to fail (%s:%u: %s), but it passed: update the expectation file",
                                          e->path, whole->src_line, whole->reason);
        sim_result_add_failure(r, SIM_FAIL_EXPECT, sc->loc.line ? sc->loc.line : 1, 1, message ? message : "unexpected pass",
                               NULL, NULL);
        free(message);
        r->verdict = SIM_VERDICT_FAIL;
    }
}
