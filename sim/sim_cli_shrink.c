/*
 * sim_cli_shrink.c — `portsim shrink`: reduce a failing scenario (with the
 * seed, strategy and profile its failure printed) to a smaller one that
 * still fails the same way, written as YAML `portsim run` accepts.
 *
 * "The same way": the reduced scenario's failures include one with the
 * kind, message, expected and observed text of the original's first
 * failure; for a failure about time (elapsed) the observed value may move,
 * so durations can shrink. Lines may change.
 *
 * Reductions, greedily, until a full pass changes nothing (or --max-runs):
 *   - drop processes, threads, steps (thread programs, handlers,
 *     callbacks, timers, blocks), faults, expect_events entries, and
 *     step keys that are only expectations or labels;
 *   - shrink every duration (work, sleep, timeouts, start times, ...)
 *     by bisection to the smallest value that still fails: towards the
 *     deadline boundary where the outcome flips.
 * Every candidate is edited on the parsed YAML tree (sim_yemit.h), loaded
 * back and run; only candidates that load and fail the same way are kept.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim_cli_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_yaml.h"
#include "sim_yemit.h"

typedef struct signature {
    uint8_t kind;
    char *message;
    char *expected;
    char *observed; /* compared unless the failure is about time */
} signature;

typedef struct shrinker {
    sim_cli *c;
    const char *path;
    sim_ydoc doc;
    sim_yedit edit;
    signature sig;
    uint64_t runs;
    uint32_t steps_before;
    uint32_t steps_after;
} shrinker;

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return a == b;
    return strcmp(a, b) == 0;
}

/* Loads YAML text as a scenario and runs it with the failure's options. */
static bool run_text(shrinker *s, const char *text, size_t len, sim_result *res, uint32_t *steps)
{
    sim_diag diag;
    sim_diag_init(&diag, s->path);
    sim_scenario sc;
    bool ok = sim_load_buffer(s->path, (const uint8_t *)text, len, &sc, &diag);
    sim_diag_fini(&diag);
    if (!ok) return false;
    sim_run_options opt = s->c->run;
    opt.trace_line = NULL;
    sim_run_model(&sc, &opt, res);
    if (steps != NULL) *steps = sc.step_count;
    sim_scenario_free(&sc);
    s->runs++;
    return true;
}

static bool fails_same_way(const shrinker *s, const sim_result *r)
{
    if (r->verdict != SIM_VERDICT_FAIL) return false;
    for (uint32_t i = 0; i < r->failure_count; i++) {
        const sim_failure *f = &r->failures[i];
        if (f->kind != s->sig.kind || !same_text(f->message, s->sig.message)) continue;
        if (!same_text(f->expected, s->sig.expected)) continue;
        if (s->sig.observed == NULL || same_text(f->observed, s->sig.observed)) return true;
    }
    return false;
}

/* Does the current edit still fail the same way? */
static bool still_fails(shrinker *s)
{
    if (s->runs >= s->c->max_runs) return false;
    size_t len = 0;
    char *text = sim_yemit(&s->edit, NULL, &len);
    if (text == NULL) return false;
    sim_result r;
    sim_result_init(&r);
    bool ok = run_text(s, text, len, &r, NULL) && fails_same_way(s, &r);
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

/* Bisection to the smallest duration that still fails. */
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

/* ---- the command ------------------------------------------------------------- */

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

static int load_original(shrinker *s)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    sim_diag diag;
    sim_diag_init(&diag, s->path);
    bool ok = sim_read_file(s->path, SIM_YAML_MAX_BYTES, &bytes, &len, &diag) &&
              sim_yaml_parse(bytes, len, &s->doc, &diag);
    if (!ok) {
        sim_diag_print(&diag, s->c->err);
        sim_diag_fini(&diag);
        free(bytes);
        return SIM_EXIT_USAGE;
    }
    sim_diag_fini(&diag);
    sim_result r;
    sim_result_init(&r);
    ok = run_text(s, (const char *)bytes, len, &r, &s->steps_before);
    free(bytes);
    if (!ok || r.verdict != SIM_VERDICT_FAIL || r.failure_count == 0) {
        fprintf(s->c->err, "portsim: %s does not fail with these options (%s): nothing to shrink\n",
                s->path, ok ? sim_verdict_name(r.verdict) : "it does not load");
        sim_result_free(&r);
        return SIM_EXIT_USAGE;
    }
    s->sig.kind = r.failures[0].kind;
    s->sig.message = sim_strdup(r.failures[0].message);
    s->sig.expected = r.failures[0].expected ? sim_strdup(r.failures[0].expected) : NULL;
    /* a wrong status must stay the same wrong status; a time may move */
    bool timing = strstr(r.failures[0].message, "elapsed") != NULL ||
                  strstr(r.failures[0].message, "time") != NULL;
    s->sig.observed = !timing && r.failures[0].observed ? sim_strdup(r.failures[0].observed) : NULL;
    sim_result_free(&r);
    return sim_yedit_init(&s->edit, &s->doc) ? -1 : SIM_EXIT_USAGE;
}

static int write_output(shrinker *s)
{
    uint64_t runs = s->runs;
    char *replay = sim_replay_command(s->c->output, &s->c->run,
                                      s->c->run.profile ? cm_profile_name(s->c->run.profile) : "ventura");
    char *header = sim_strdup_printf("shrunk by portsim shrink from %s (%llu runs)\nstill fails: %s\n%s",
                                     s->path, (unsigned long long)runs, s->sig.message,
                                     replay ? replay : "");
    free(replay);
    size_t len = 0;
    char *text = sim_yemit(&s->edit, header, &len);
    free(header);
    sim_result r;
    sim_result_init(&r);
    bool ok = text != NULL && run_text(s, text, len, &r, &s->steps_after) && fails_same_way(s, &r);
    sim_result_free(&r);
    FILE *f = ok ? fopen(s->c->output, "w") : NULL;
    if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(s->c->err, "portsim: %s: %s\n", s->c->output, ok ? strerror(errno) : "internal error");
        free(text);
        return SIM_EXIT_USAGE;
    }
    free(text);
    fprintf(s->c->out, "shrunk %s: %u steps -> %u steps in %llu runs; written to %s\n", s->path,
            s->steps_before, s->steps_after, (unsigned long long)runs, s->c->output);
    fprintf(s->c->out, "still fails the same way: %s%s%s\n", s->sig.message,
            s->sig.expected ? ": expected " : "", s->sig.expected ? s->sig.expected : "");
    return SIM_EXIT_OK; /* done: the scenario it wrote fails, as asked */
}

int sim_cli_shrink(sim_cli *c, int argc, char **argv)
{
    int code = sim_cli_parse(c, argc, argv, SIM_OPT_RUN | SIM_OPT_OUTPUT, sim_cli_usage());
    if (code >= 0) return code;
    if (c->path_count != 1) return sim_cli_usage_error(c, "shrink takes exactly one FILE", NULL);
    if (c->output == NULL) return sim_cli_usage_error(c, "shrink needs -o FILE", NULL);
    shrinker s = {.c = c, .path = c->paths[0]};
    code = load_original(&s);
    if (code < 0) {
        for (uint32_t pass = 0; pass < 16 && one_pass(&s); pass++) {
        }
        code = write_output(&s);
    }
    sim_yedit_fini(&s.edit);
    sim_ydoc_fini(&s.doc);
    free(s.sig.message);
    free(s.sig.expected);
    free(s.sig.observed);
    return code;
}
