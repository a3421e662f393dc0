/* sim_shrink.c — see sim_shrink.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim_shrink.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim_load.h"
#include "sim_yaml.h"
#include "sim_yemit.h"

#define NAME_MAX_BYTES 128u
#define SUFFIX "-shrunk"

/* The failure a shrink must keep (sim_shrink.h: check, step, outcome class). */
typedef struct signature {
    uint8_t kind;
    char *message;
    char *expected;
    char *observed;    /* compared unless the check is about time */
    bool has_outcome;
    int32_t outcome;
    int8_t side;       /* an elapsed check: still too early (-1) or too late (+1) */
    uint32_t node;     /* the original tree's node of the failing step, SIM_NONE if none */
    uint8_t op;        /* the failing step's operation, for the outcome's name */
} signature;

typedef struct shrinker {
    const char *path;
    const sim_shrink_options *opt;
    sim_ydoc doc;
    sim_yedit edit;
    signature sig;
    uint64_t runs;
    uint32_t original_line;
} shrinker;

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return a == b;
    return strcmp(a, b) == 0;
}

/* Where a failure is: its step's position, else its own. */
static sim_loc failure_loc(const sim_scenario *sc, const sim_failure *f)
{
    if (f->step < sc->step_count) return sc->steps[f->step].loc;
    return (sim_loc){.line = f->line, .col = f->col};
}

/* The node of the original document at a position of the original text, or SIM_NONE. */
static uint32_t original_node_at(const sim_ydoc *doc, sim_loc loc)
{
    for (uint32_t i = 0; i < doc->count; i++) {
        if (doc->nodes[i].line == loc.line && doc->nodes[i].col == loc.col) return i;
    }
    return SIM_NONE;
}

/* Is f the signature's failure? node_of maps a position of the text that ran to a node. */
static bool matches(const shrinker *s, const sim_scenario *sc, const sim_failure *f, bool original_text)
{
    const signature *g = &s->sig;
    if (f->kind != g->kind || !same_text(f->message, g->message) || !same_text(f->expected, g->expected)) return false;
    if (g->observed != NULL && !same_text(f->observed, g->observed)) return false;
    if (f->has_outcome != g->has_outcome || (g->has_outcome && f->outcome != g->outcome)) return false;
    if (f->side != g->side) return false; /* too late must stay too late */
    sim_loc loc = failure_loc(sc, f);
    uint32_t node = original_text ? original_node_at(&s->doc, loc) : sim_yedit_node_at(&s->edit, loc.line, loc.col);
    return node == g->node;
}

/*
 * Loads text and runs it with the failure's options. With a signature, true when the run
 * fails the same way (and *line is the failing step's line in text); without one, true when
 * it loaded and ran (res filled).
 */
static bool run_text(shrinker *s, const char *text, size_t len, bool original_text, sim_result *res,
                     uint32_t *steps, uint32_t *line)
{
    sim_diag diag;
    sim_diag_init(&diag, s->path);
    sim_scenario sc;
    bool ok = sim_load_buffer(s->path, (const uint8_t *)text, len, &sc, &diag);
    sim_diag_fini(&diag);
    if (!ok) return false;
    sim_run_options opt = s->opt->run;
    opt.trace_line = NULL;
    opt.keep_obs = false;
    sim_run_model(&sc, &opt, res);
    s->runs++;
    if (steps != NULL) *steps = sc.step_count;
    bool same = false;
    for (uint32_t i = 0; s->sig.message != NULL && i < res->failure_count && !same; i++) {
        same = res->verdict == SIM_VERDICT_FAIL && matches(s, &sc, &res->failures[i], original_text);
        if (same && line != NULL) *line = failure_loc(&sc, &res->failures[i]).line;
    }
    sim_scenario_free(&sc);
    return s->sig.message == NULL ? true : same;
}

/* Does the current edit still fail the same way? */
static bool still_fails(shrinker *s)
{
    if (s->runs >= s->opt->max_runs) return false;
    size_t len = 0;
    char *text = sim_yemit(&s->edit, NULL, &len);
    if (text == NULL) return false;
    sim_result r;
    sim_result_init(&r);
    bool ok = run_text(s, text, len, false, &r, NULL, NULL);
    sim_result_free(&r);
    free(text);
    return ok;
}

/* ---- walking the tree ----------------------------------------------------- */

static const sim_ynode *node(const shrinker *s, uint32_t i)
{
    return &s->doc.nodes[i];
}

static bool key_is(const shrinker *s, uint32_t key, const char *name)
{
    const sim_ynode *k = node(s, key);
    return k->type == SIM_Y_SCALAR && strcmp(k->text, name) == 0;
}

/* The value of root key `name`, or SIM_NONE. */
static uint32_t root_value(const shrinker *s, const char *name)
{
    if (s->doc.root == SIM_NONE || node(s, s->doc.root)->type != SIM_Y_MAP) return SIM_NONE;
    for (uint32_t k = node(s, s->doc.root)->first; k != SIM_NONE; k = node(s, node(s, k)->next)->next) {
        if (key_is(s, k, name)) return node(s, k)->next;
    }
    return SIM_NONE;
}

/* Tries to delete node (and, for a map pair, its value); keeps what still fails. */
static bool try_delete(shrinker *s, uint32_t a, uint32_t b)
{
    if (s->edit.deleted[a]) return false;
    s->edit.deleted[a] = 1;
    if (b != SIM_NONE) s->edit.deleted[b] = 1;
    if (still_fails(s)) return true;
    s->edit.deleted[a] = 0;
    if (b != SIM_NONE) s->edit.deleted[b] = 0;
    return false;
}

/* Every item of a sequence, last first (later steps depend on earlier ones). */
static bool shrink_seq(shrinker *s, uint32_t seq)
{
    if (seq == SIM_NONE || node(s, seq)->type != SIM_Y_SEQ) return false;
    uint32_t items[4096];
    uint32_t n = 0;
    for (uint32_t i = node(s, seq)->first; i != SIM_NONE && n < 4096; i = node(s, i)->next) items[n++] = i;
    bool changed = false;
    for (uint32_t k = n; k > 0; k--) {
        uint32_t item = items[k - 1];
        if (try_delete(s, item, SIM_NONE)) {
            changed = true;
            continue;
        }
        /* keep the step, but try dropping its expectations and labels */
        if (node(s, item)->type != SIM_Y_MAP) continue;
        for (uint32_t key = node(s, item)->first; key != SIM_NONE; key = node(s, node(s, key)->next)->next) {
            if (key_is(s, key, "expect") || key_is(s, key, "label")) {
                changed = try_delete(s, key, node(s, key)->next) || changed;
            }
        }
    }
    return changed;
}

/* A map's pairs: optionally delete whole pairs; then shrink each value's lists. */
static bool shrink_map_of_lists(shrinker *s, uint32_t map, bool delete_pairs)
{
    if (map == SIM_NONE || node(s, map)->type != SIM_Y_MAP) return false;
    bool changed = false;
    for (uint32_t k = node(s, map)->first; k != SIM_NONE; k = node(s, node(s, k)->next)->next) {
        uint32_t v = node(s, k)->next;
        if (delete_pairs && try_delete(s, k, v)) {
            changed = true;
            continue;
        }
        if (!s->edit.deleted[k]) changed = shrink_seq(s, v) || changed;
    }
    return changed;
}

static bool shrink_processes(shrinker *s)
{
    uint32_t procs = root_value(s, "processes");
    if (procs == SIM_NONE || node(s, procs)->type != SIM_Y_MAP) return false;
    bool changed = false;
    for (uint32_t k = node(s, procs)->first; k != SIM_NONE; k = node(s, node(s, k)->next)->next) {
        uint32_t v = node(s, k)->next;
        if (try_delete(s, k, v)) {
            changed = true;
            continue;
        }
        if (s->edit.deleted[k] || node(s, v)->type != SIM_Y_MAP) continue;
        for (uint32_t pk = node(s, v)->first; pk != SIM_NONE; pk = node(s, node(s, pk)->next)->next) {
            if (key_is(s, pk, "threads")) changed = shrink_map_of_lists(s, node(s, pk)->next, true) || changed;
        }
    }
    return changed;
}

/* ---- durations ------------------------------------------------------------ */

static char *duration_text(int64_t ns)
{
    if (ns % 1000000000 == 0) return sim_strdup_printf("%llds", (long long)(ns / 1000000000));
    if (ns % 1000000 == 0) return sim_strdup_printf("%lldms", (long long)(ns / 1000000));
    if (ns % 1000 == 0) return sim_strdup_printf("%lldus", (long long)(ns / 1000));
    return sim_strdup_printf("%lldns", (long long)ns);
}

static bool set_duration(shrinker *s, uint32_t i, int64_t ns)
{
    free(s->edit.replace[i]);
    s->edit.replace[i] = duration_text(ns);
    return s->edit.replace[i] != NULL;
}

/* Bisection to the smallest duration that still fails the same way. */
static bool shrink_duration(shrinker *s, uint32_t i, int64_t value)
{
    int64_t lo = 0, hi = value; /* hi fails; find the smallest failing in [lo, hi] */
    char *original = s->edit.replace[i];
    s->edit.replace[i] = NULL;
    for (uint32_t guard = 0; lo < hi && guard < 64; guard++) {
        int64_t mid = lo + (hi - lo) / 2;
        if (set_duration(s, i, mid) && still_fails(s)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    set_duration(s, i, hi);
    bool changed = hi < value;
    if (!changed) {
        free(s->edit.replace[i]);
        s->edit.replace[i] = original;
    } else {
        free(original);
    }
    return changed;
}

static bool shrink_durations(shrinker *s)
{
    bool changed = false;
    for (uint32_t i = 0; i < s->doc.count; i++) {
        const sim_ynode *n = node(s, i);
        if (n->type != SIM_Y_SCALAR || n->style != SIM_YS_PLAIN || s->edit.deleted[i]) continue;
        const char *text = s->edit.replace[i] != NULL ? s->edit.replace[i] : n->text;
        size_t len = strlen(text);
        bool unit = len > 1 && (text[len - 1] == 's') && (text[0] >= '0' && text[0] <= '9');
        int64_t ns = 0;
        if (!unit || sim_parse_duration(text, 0, &ns) != NULL || ns <= 0) continue;
        changed = shrink_duration(s, i, ns) || changed;
    }
    return changed;
}

static bool one_pass(shrinker *s)
{
    bool changed = shrink_processes(s);
    changed = shrink_seq(s, root_value(s, "faults")) || changed;
    changed = shrink_seq(s, root_value(s, "expect_events")) || changed;
    const char *programs[] = {"handlers", "callbacks", "timers", "blocks"};
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        changed = shrink_map_of_lists(s, root_value(s, programs[i]), false) || changed;
    }
    changed = shrink_durations(s) || changed;
    return changed;
}

/* ---- the original and the output ----------------------------------------------- */

/* Reads the original, runs it, and takes its first failure as the signature. */
static bool load_original(shrinker *s, sim_shrink_result *out, sim_diag *diag)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!sim_read_file(s->path, SIM_YAML_MAX_BYTES, &bytes, &len, diag) || !sim_yaml_parse(bytes, len, &s->doc, diag)) {
        snprintf(out->error, sizeof out->error, "%s does not load", s->path);
        free(bytes);
        return false;
    }
    sim_diag d2;
    sim_diag_init(&d2, s->path);
    sim_scenario sc;
    bool ok = sim_load_buffer(s->path, bytes, len, &sc, &d2);
    sim_diag_fini(&d2);
    free(bytes);
    if (!ok) {
        snprintf(out->error, sizeof out->error, "%s does not load", s->path);
        return false;
    }
    sim_result r;
    sim_run_options opt = s->opt->run;
    opt.trace_line = NULL;
    opt.keep_obs = false;
    sim_run_model(&sc, &opt, &r);
    out->steps_before = sc.step_count;
    if (r.verdict != SIM_VERDICT_FAIL || r.failure_count == 0) {
        snprintf(out->error, sizeof out->error, "%s does not fail with these options (%s): nothing to shrink", s->path,
                 sim_verdict_name(r.verdict));
        sim_result_free(&r);
        sim_scenario_free(&sc);
        return false;
    }
    const sim_failure *f = &r.failures[0];
    signature *g = &s->sig;
    g->kind = f->kind;
    g->message = sim_strdup(f->message);
    g->expected = f->expected ? sim_strdup(f->expected) : NULL;
    bool timing = strstr(f->message, "elapsed") != NULL || strstr(f->message, "time") != NULL;
    g->observed = !timing && f->observed ? sim_strdup(f->observed) : NULL;
    g->has_outcome = f->has_outcome;
    g->outcome = f->outcome;
    g->side = f->side;
    g->op = f->step < sc.step_count ? sc.steps[f->step].op : 0;
    sim_loc loc = failure_loc(&sc, f);
    g->node = original_node_at(&s->doc, loc);
    out->original_line = loc.line;
    sim_result_free(&r);
    sim_scenario_free(&sc);
    return g->message != NULL && sim_yedit_init(&s->edit, &s->doc);
}

/* The output's identity: NAME-shrunk, and an about: that says where it comes from. */
static void mark_shrunk(shrinker *s)
{
    uint32_t name = root_value(s, "scenario");
    if (name != SIM_NONE && node(s, name)->type == SIM_Y_SCALAR) {
        const sim_ynode *n = node(s, name);
        size_t keep = n->len + strlen(SUFFIX) > NAME_MAX_BYTES ? NAME_MAX_BYTES - strlen(SUFFIX) : n->len;
        free(s->edit.replace[name]);
        s->edit.replace[name] = sim_strdup_printf("%.*s%s", (int)keep, n->text, SUFFIX);
    }
    uint32_t about = root_value(s, "about");
    if (about == SIM_NONE || node(s, about)->type != SIM_Y_SCALAR) return;
    const sim_ynode *a = node(s, about);
    size_t len = a->len;
    while (len > 0 && (a->text[len - 1] == '\n' || a->text[len - 1] == ' ')) len--;
    char *text = sim_strdup_printf("Shrunk by portsim shrink from %s; it fails as the original did: %s at the step "
                                   "of the original's line %u. The original's description: %.*s",
                                   s->path, s->sig.message, s->original_line, (int)len, a->text);
    char *fixed = NULL;
    if (text != NULL) fixed = sim_yaml_quote(text, strlen(text));
    free(text);
    free(s->edit.replace[about]);
    s->edit.replace[about] = fixed;
}

/* Writes the result's text, renamed and described, and verifies it before handing it back. */
static void finish(shrinker *s, sim_shrink_result *out)
{
    s->original_line = out->original_line;
    mark_shrunk(s);
    char *replay = sim_replay_command(s->opt->out_name ? s->opt->out_name : "OUT.yaml", &s->opt->run,
                                      s->opt->run.profile ? cm_profile_name(s->opt->run.profile) : "ventura");
    char *header = sim_strdup_printf("shrunk by portsim shrink from %s\nstill fails as it did: %s%s%s\n%s", s->path,
                                     s->sig.message, s->sig.expected ? ": expected " : "",
                                     s->sig.expected ? s->sig.expected : "", replay ? replay : "");
    free(replay);
    size_t len = 0;
    char *text = sim_yemit(&s->edit, header, &len);
    free(header);
    sim_result r;
    sim_result_init(&r);
    bool ok = text != NULL && run_text(s, text, len, false, &r, &out->steps_after, &out->line);
    sim_result_free(&r);
    if (!ok) {
        snprintf(out->error, sizeof out->error, "the smaller scenario did not fail the same way when checked "
                 "(a bug in portsim shrink): nothing written");
        free(text);
        return;
    }
    out->ok = true;
    out->text = text;
    out->len = len;
    char num[24];
    const char *cls = s->sig.has_outcome ? sim_result_text(sim_op_result_type(s->sig.op), s->sig.outcome, num, sizeof num)
                                         : NULL;
    out->check = sim_strdup_printf("%s%s%s", s->sig.message, s->sig.expected ? ": expected " : "",
                                   s->sig.expected ? s->sig.expected : "");
    out->outcome = cls != NULL ? sim_strdup(cls) : NULL;
    out->side = s->sig.side;
}

void sim_shrink_file(const char *path, const sim_shrink_options *opt, sim_shrink_result *out, sim_diag *diag)
{
    assert(path != NULL && opt != NULL && out != NULL && diag != NULL);
    assert(opt->max_runs >= 1);
    memset(out, 0, sizeof *out);
    shrinker s = {.path = path, .opt = opt};
    if (load_original(&s, out, diag)) {
        for (uint32_t pass = 0; pass < 16 && one_pass(&s); pass++) {
        }
        finish(&s, out);
    }
    out->runs = s.runs;
    sim_yedit_fini(&s.edit);
    sim_ydoc_fini(&s.doc);
    free(s.sig.message);
    free(s.sig.expected);
    free(s.sig.observed);
}

void sim_shrink_result_free(sim_shrink_result *r)
{
    if (r == NULL) return;
    free(r->text);
    free(r->check);
    free(r->outcome);
    memset(r, 0, sizeof *r);
}
