/*
 * cli_explain.c — `portsim explain RESULT.json...`: each real run a `portsim conform --json`
 * file recorded, searched for in the model as a whole (sim/sim_explain.h): found, the
 * `portsim replay` line that reproduces it in the simulator (a flaky real failure becomes a
 * deterministic replay); none, the first observation at which no model run remains
 * consistent, proven when the exhaustive search completed.
 *
 * The file is read as a stream of libfyaml events (base_fy_drive): each scenario is explained
 * when its object ends, then forgotten, so memory stays bounded by one scenario whatever the
 * file's length. The bytes are checked first as scenario files are (nesting and flow width,
 * before libfyaml holds anything: shape_ok), the size is capped, and every number is
 * range-checked before it reaches an observation.
 */
#define _GNU_SOURCE /* memmem */
#include "cli_internal.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base_fy.h"
#include "sim_explain.h"
#include "sim_load.h"
#include "sim_yaml.h" /* SIM_YAML_MAX_NODES */

#define EXPLAIN_FILE_MAX_BYTES ((size_t)64 << 20) /* a results file of thousands of scenarios */
#define EXPLAIN_MAX_DEPTH 12u                      /* the schema nests 7 deep */
#define EXPLAIN_MAX_EVENTS (UINT32_C(1) << 26)     /* parser events a file */
#define EXPLAIN_ROW 6u                             /* members of an observation row */
#define EXPLAIN_KEY_BYTES 32u
#define EXPLAIN_MAX_ROWS 1000000u /* observations a scenario: four times the model's default event budget */
#define EXPLAIN_EXPLORE_MAX 100000                  /* conform --explore's bound */
#define EXPLAIN_JITTER_MAX_NS (INT64_C(3600) * CM_NS_PER_S) /* a tolerance of an hour at most */

typedef struct xr_frame {
    bool map;
    bool want_key;
    char key[EXPLAIN_KEY_BYTES]; /* map: the key of the value being read ("" when too long) */
    uint32_t index;              /* seq: the index of the value being read */
} xr_frame;

typedef struct xr_scenario {
    char *file, *id, *verdict;
    bool expected;     /* an expectation file covered a failure of this run (XFAIL, or a line's expected failure) */
    bool has_obs;
    sim_obs obs;
    uint32_t event_kinds;
    bool *observable;  /* [step], from "steps" */
    uint32_t step_count;
    uint32_t step_cap;
    int64_t row[EXPLAIN_ROW];
    char row_text[EXPLAIN_KEY_BYTES];
    uint32_t row_len;
    bool row_bad;
} xr_scenario;

typedef struct xr {
    cli_ctx *c;
    const char *path;
    struct fy_parser *parser;
    xr_frame stack[EXPLAIN_MAX_DEPTH];
    uint32_t depth;
    xr_scenario cur;
    int64_t schema;
    char profile[EXPLAIN_KEY_BYTES]; /* the run's --profile, "" for each scenario's own */
    bool have_model;
    sim_allowed_plan model;
    uint32_t explained, diverged, not_found, expected, not_run;
    bool input_error;  /* exit 2 */
    char error[300];
} xr;

/* The first input error, located at the parser's position; the rest of the file is not read. */
static void xr_fail(xr *x, struct fy_event *ev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void xr_fail(xr *x, struct fy_event *ev, const char *fmt, ...)
{
    if (x->input_error) return;
    x->input_error = true;
    const struct fy_mark *m = ev != NULL ? fy_event_start_mark(ev) : NULL;
    char what[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(x->error, sizeof x->error, "%s:%d:%d: error: %s", x->path, m ? m->line + 1 : 1, m ? m->column + 1 : 1,
             what);
}

static void scenario_reset(xr_scenario *s)
{
    free(s->file);
    free(s->id);
    free(s->verdict);
    free(s->observable);
    if (s->has_obs) sim_obs_fini(&s->obs);
    memset(s, 0, sizeof *s);
}

/* A decimal integer, all of the text, within [lo, hi]. */
static bool parse_int(const char *text, size_t len, int64_t lo, int64_t hi, int64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf) return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno != 0 || end == NULL || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool key_is(const xr *x, uint32_t level, const char *key)
{
    return level < x->depth && x->stack[level].map && strcmp(x->stack[level].key, key) == 0;
}

/* Where the value being read sits, by the schema (sim/sim_json.h). */
static bool in_scenario(const xr *x) { return x->depth >= 3 && key_is(x, 0, "scenarios") && x->stack[2].map; }
static bool in_row(const xr *x, const char *list)
{
    return x->depth == 6 && in_scenario(x) && key_is(x, 2, "observation") && key_is(x, 3, list) && !x->stack[5].map;
}

static uint8_t outcome_by_name(const char *text)
{
    if (strcmp(text, "returned") == 0) return SIM_OUTCOME_RETURNED;
    if (strcmp(text, "blocked") == 0) return SIM_OUTCOME_BLOCKED;
    if (strcmp(text, "killed") == 0) return SIM_OUTCOME_KILLED;
    return 0;
}

/* An observation row is complete: an execution or an event into the scenario's observation. */
static void finish_row(xr *x, struct fy_event *ev, bool exec)
{
    xr_scenario *s = &x->cur;
    if (s->obs.exec_count + s->obs.event_count >= EXPLAIN_MAX_ROWS) {
        xr_fail(x, ev, "more than %u observations in one run", EXPLAIN_MAX_ROWS);
        return;
    }
    if (s->row_bad || s->row_len != EXPLAIN_ROW) {
        xr_fail(x, ev, "an observation row has %u members of the %u it needs, or a bad one", s->row_len, EXPLAIN_ROW);
        return;
    }
    if (exec) {
        uint8_t outcome = outcome_by_name(s->row_text);
        if (outcome == 0) {
            xr_fail(x, ev, "unknown outcome '%s'", s->row_text);
            return;
        }
        sim_exec e = {.step = (uint32_t)s->row[0], .process = (uint16_t)s->row[1], .thread = (uint16_t)s->row[2],
                      .outcome = outcome, .value = (int32_t)s->row[4], .end_seq = (uint64_t)s->row[5],
                      .start_seq = (uint64_t)s->row[5], .port = SIM_PORT_NONE, .request = -1, .callback = SIM_NONE,
                      .info = 0};
        if (sim_obs_add_exec(&s->obs, &e) == SIM_NONE) xr_fail(x, ev, "out of memory");
    } else {
        uint8_t kind = sim_event_kind_by_name(s->row_text);
        if (kind == SIM_EV_NONE) {
            xr_fail(x, ev, "unknown event kind '%s'", s->row_text);
            return;
        }
        sim_event e = {.kind = kind, .process = (uint16_t)s->row[1], .thread = (uint16_t)s->row[2],
                       .msgid = (int32_t)s->row[3], .code = (int32_t)s->row[4], .seq = (uint64_t)s->row[5],
                       .port = SIM_PORT_NONE, .msg = -1, .size_bytes = -1, .step = SIM_NONE};
        if (sim_obs_add_event(&s->obs, &e) == SIM_NONE) xr_fail(x, ev, "out of memory");
    }
}

/* One member of an observation row. */
static void row_value(xr *x, const char *text, size_t len)
{
    xr_scenario *s = &x->cur;
    uint32_t i = x->stack[5].index;
    bool exec = key_is(x, 3, "executions");
    bool is_text = exec ? i == 3 : i == 0;
    if (i >= EXPLAIN_ROW) {
        s->row_bad = true;
        return;
    }
    s->row_len = i + 1;
    if (is_text) {
        if (len >= sizeof s->row_text) s->row_bad = true;
        else memcpy(s->row_text, text, len), s->row_text[len] = '\0';
        return;
    }
    static const int64_t hi[2][EXPLAIN_ROW] = {
        {0, UINT16_MAX, UINT16_MAX, INT32_MAX, INT32_MAX, INT64_MAX},          /* events: kind, p, t, msgid, code, seq */
        {UINT32_MAX - 1, UINT16_MAX, UINT16_MAX, 0, INT32_MAX, INT64_MAX}};    /* executions: step, p, t, -, value, seq */
    static const int64_t lo[2][EXPLAIN_ROW] = {{0, 0, 0, INT32_MIN, INT32_MIN, 0}, {0, 0, 0, 0, INT32_MIN, 0}};
    if (!parse_int(text, len, lo[exec][i], hi[exec][i], &s->row[i])) s->row_bad = true;
}

static char *copy_text(const char *text, size_t len)
{
    char *s = malloc(len + 1);
    if (s != NULL) {
        memcpy(s, text, len);
        s[len] = '\0';
    }
    return s;
}

/* A scalar value at the current path. */
static void on_value(xr *x, struct fy_event *ev, const char *text, size_t len, bool quoted)
{
    xr_scenario *s = &x->cur;
    if (x->depth == 1 && key_is(x, 0, "schema_version")) {
        if (!parse_int(text, len, 0, 1000, &x->schema)) xr_fail(x, ev, "a bad schema_version");
    } else if (x->depth == 2 && key_is(x, 0, "options") && key_is(x, 1, "profile")) {
        if (quoted && len < sizeof x->profile) memcpy(x->profile, text, len), x->profile[len] = '\0';
    } else if (x->depth == 3 && key_is(x, 0, "options") && key_is(x, 1, "model")) {
        int64_t v = 0;
        const char *k = x->stack[2].key;
        bool ok = true;
        if (strcmp(k, "jitter_pct") == 0) {
            char buf[32];
            ok = len < sizeof buf;
            if (ok) {
                memcpy(buf, text, len);
                buf[len] = '\0';
                char *end = NULL;
                double d = strtod(buf, &end);
                ok = end != NULL && *end == '\0' && d >= 0 && d <= 1000;
                if (ok) x->model.jitter_pct = d;
            }
        } else if ((ok = parse_int(text, len, 0, INT64_MAX, &v))) {
            /* bounded as conform's options are: a file cannot ask for unbounded work */
            if (strcmp(k, "seed") == 0) {
                x->model.seed = (uint64_t)v;
            } else if (strcmp(k, "explore") == 0) {
                ok = v <= EXPLAIN_EXPLORE_MAX;
                x->model.explore = (uint32_t)v;
            } else if (strcmp(k, "max_latency_ns") == 0) {
                x->model.max_latency_ns = v;
            } else if (strcmp(k, "jitter_ns") == 0) {
                ok = v <= EXPLAIN_JITTER_MAX_NS;
                x->model.jitter_ns = v;
            }
        }
        if (!ok) xr_fail(x, ev, "a bad model option '%s'", k);
    } else if (x->depth == 4 && in_scenario(x) && key_is(x, 2, "notes")) {
        if (len >= 16 && memmem(text, len, "expected failure", 16) != NULL) s->expected = true;
    } else if (x->depth == 4 && in_scenario(x) && key_is(x, 2, "realtime") && key_is(x, 3, "expected_failure")) {
        if (len == 4 && memcmp(text, "true", 4) == 0) s->expected = true;
    } else if (x->depth == 3 && in_scenario(x)) {
        const char *k = x->stack[2].key;
        if (!quoted) return; /* null members */
        if (strcmp(k, "file") == 0 && s->file == NULL) s->file = copy_text(text, len);
        else if (strcmp(k, "id") == 0 && s->id == NULL) s->id = copy_text(text, len);
        else if (strcmp(k, "verdict") == 0 && s->verdict == NULL) s->verdict = copy_text(text, len);
    } else if (x->depth == 5 && in_scenario(x) && key_is(x, 2, "steps") && key_is(x, 4, "observable")) {
        uint32_t i = x->stack[3].index;
        if (i >= SIM_YAML_MAX_NODES) {
            xr_fail(x, ev, "too many steps");
            return;
        }
        if (i >= s->step_cap) {
            uint32_t cap = i + 64;
            bool *grown = realloc(s->observable, cap * sizeof *grown);
            if (grown == NULL) {
                xr_fail(x, ev, "out of memory");
                return;
            }
            memset(grown + s->step_cap, 0, (cap - s->step_cap) * sizeof *grown);
            s->observable = grown;
            s->step_cap = cap;
        }
        s->observable[i] = len == 4 && memcmp(text, "true", 4) == 0;
        if (i + 1 > s->step_count) s->step_count = i + 1;
    } else if (x->depth == 5 && in_scenario(x) && key_is(x, 2, "observation") && key_is(x, 3, "event_kinds")) {
        char name[EXPLAIN_KEY_BYTES];
        uint8_t kind = SIM_EV_NONE;
        if (len < sizeof name) {
            memcpy(name, text, len);
            name[len] = '\0';
            kind = sim_event_kind_by_name(name);
        }
        if (kind == SIM_EV_NONE || kind >= 32) xr_fail(x, ev, "unknown event kind in event_kinds");
        else s->event_kinds |= 1u << kind;
    } else if (in_row(x, "executions") || in_row(x, "events")) {
        row_value(x, text, len);
    }
}

/* A scenario object ended: explain its observation, if it has one. */
static void finish_scenario(xr *x, struct fy_event *ev)
{
    xr_scenario *s = &x->cur;
    cli_ctx *c = x->c;
    const char *name = s->id != NULL ? s->id : "?";
    if (s->file == NULL) {
        xr_fail(x, ev, "a scenario without its file");
        return;
    }
    if (!s->has_obs) {
        x->not_run++;
        fprintf(c->out, "SKIP       %s  %s  (no observation: %s)\n", name, s->file,
                s->verdict != NULL && strcmp(s->verdict, "skip") == 0 ? "it did not run" : "not a real run");
        return;
    }
    if (!x->have_model) {
        xr_fail(x, ev, "no options.model: the model runs conform judged by are unknown");
        return;
    }
    sim_scenario sc;
    sim_diag diag;
    sim_diag_init(&diag, s->file);
    bool loaded = sim_load_file(s->file, &sc, &diag);
    if (!loaded) {
        fflush(c->out);
        sim_diag_print(&diag, c->err);
        sim_diag_fini(&diag);
        xr_fail(x, ev, "%s does not load (the scenario the run was made of)", s->file);
        return;
    }
    sim_diag_fini(&diag);
    bool same = s->step_count == sc.step_count && sim_obs_validate(&s->obs, &sc);
    for (uint32_t i = 0; same && i < s->obs.exec_count; i++) same = s->obs.execs[i].process < sc.process_count;
    for (uint32_t i = 0; same && i < s->obs.event_count; i++) { /* 65535: an event of no process (a port's death) */
        same = s->obs.events[i].process < sc.process_count || s->obs.events[i].process == UINT16_MAX;
    }
    if (!same) {
        xr_fail(x, ev, "%s has changed since the run (%u steps now, %u then, or an observation beyond them)", s->file,
                sc.step_count, s->step_count);
        sim_scenario_free(&sc);
        return;
    }
    sim_explain_plan plan = sim_explain_plan_default();
    plan.allowed = x->model;
    plan.allowed.profile = x->profile[0] ? cm_profile_by_name(x->profile) : 0;
    plan.schedules = c->a.schedules;
    plan.compare = s->observable;
    plan.event_kinds = s->event_kinds;
    sim_explain *r = calloc(1, sizeof *r);
    char err[256] = "out of memory";
    if (r == NULL || !sim_explain_run(&sc, &s->obs, &plan, r, err, sizeof err)) {
        xr_fail(x, ev, "%s: %s", s->file, err);
    } else if (r->verdict == SIM_EXPLAINED) {
        x->explained++;
        const char *profile = cm_profile_name(sim_scenario_profile_id(&sc, plan.allowed.profile));
        char *replay = sim_explain_replay(r, s->file, profile);
        fprintf(c->out, "EXPLAINED  %s  %s:%u  by the model: %s\n", name, s->file, sc.loc.line, r->how);
        if (replay != NULL) fprintf(c->out, "    replay: %s\n", replay);
        else fprintf(c->out, "    (a late host: no replay line reproduces that timing)\n");
        free(replay);
    } else {
        bool proven = r->verdict == SIM_EXPLAIN_DIVERGED;
        if (s->expected) x->expected++; /* a known difference, documented where conform found it */
        else if (proven) x->diverged++;
        else x->not_found++;
        sim_loc at = r->step < sc.step_count ? sc.steps[r->step].loc : sc.loc;
        fprintf(c->out, "%s %s  %s:%u:%u: %s%s\n", proven ? "DIVERGED  " : "NOT FOUND ", name, s->file, at.line, at.col,
                proven ? "outcomes the model cannot produce together" : "no consistent model run found",
                s->expected ? " (expected: the run's expectation file covers a failure of it)" : "");
        fprintf(c->out, "    none of %" PRIu64 " model runs (%" PRIu64 " exhaustive schedules%s) is consistent; the "
                        "closest matched %u of the %u observations, then %s\n",
                r->runs, r->schedules,
                r->complete ? ", every schedule" : ", cut short by a bound: not a proof", r->matched, r->observations,
                r->where);
    }
    free(r);
    sim_scenario_free(&sc);
}

static bool on_event(void *ctx, struct fy_event *ev)
{
    xr *x = ctx;
    if (x->input_error) return false;
    switch (ev->type) {
    case FYET_MAPPING_START:
    case FYET_SEQUENCE_START: {
        if (x->depth > 0) {
            xr_frame *top = &x->stack[x->depth - 1];
            if (top->map && top->want_key) {
                xr_fail(x, ev, "a key that is not a string");
                return false;
            }
        }
        if (x->depth == EXPLAIN_MAX_DEPTH) {
            xr_fail(x, ev, "nested deeper than a results file (%u levels)", EXPLAIN_MAX_DEPTH);
            return false;
        }
        if (x->depth == 0 && ev->type != FYET_MAPPING_START) {
            xr_fail(x, ev, "not a results file: the document is not an object");
            return false;
        }
        x->stack[x->depth++] = (xr_frame){.map = ev->type == FYET_MAPPING_START, .want_key = true};
        if (x->depth == 3 && in_scenario(x)) {
            scenario_reset(&x->cur);
        } else if (x->depth == 4 && in_scenario(x) && key_is(x, 2, "observation") && x->stack[3].map) {
            if (x->schema < 4) {
                xr_fail(x, ev, "schema_version %" PRId64 " has no observations (portsim 4 or later writes them)",
                        x->schema);
                return false;
            }
            if (x->cur.has_obs) {
                xr_fail(x, ev, "a scenario with two observations");
                return false;
            }
            sim_obs_init(&x->cur.obs);
            x->cur.has_obs = true;
        } else if (x->depth == 3 && key_is(x, 0, "options") && key_is(x, 1, "model") && x->stack[2].map) {
            x->model = sim_allowed_plan_default();
            x->have_model = true;
        } else if (in_row(x, "executions") || in_row(x, "events")) {
            x->cur.row_len = 0;
            x->cur.row_bad = false;
        }
        return true;
    }
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END: {
        if (x->depth == 0) return false;
        if (in_row(x, "executions") || in_row(x, "events")) finish_row(x, ev, key_is(x, 3, "executions"));
        if (x->depth == 3 && in_scenario(x)) finish_scenario(x, ev);
        x->depth--;
        if (x->depth > 0) {
            xr_frame *top = &x->stack[x->depth - 1];
            if (top->map) top->want_key = true;
            else top->index++;
        }
        return !x->input_error;
    }
    case FYET_SCALAR: {
        size_t len = 0;
        const char *text = fy_token_get_text(ev->scalar.value, &len);
        if (text == NULL || x->depth == 0) {
            xr_fail(x, ev, "not a results file");
            return false;
        }
        xr_frame *top = &x->stack[x->depth - 1];
        if (top->map && top->want_key) {
            if (len < sizeof top->key) memcpy(top->key, text, len), top->key[len] = '\0';
            else top->key[0] = '\0';
            top->want_key = false;
            return true;
        }
        on_value(x, ev, text, len, ev->scalar.value != NULL && fy_token_scalar_style(ev->scalar.value) != FYSS_PLAIN);
        if (top->map) top->want_key = true;
        else top->index++;
        return !x->input_error;
    }
    case FYET_ALIAS:
        xr_fail(x, ev, "an alias: not JSON");
        return false;
    default:
        return true;
    }
}

#define EXPLAIN_LINE_ITEMS 4096u /* `[ ] { } ,` a line outside strings (portsim writes under 100) */

/*
 * The bytes' shape before libfyaml sees them, as scenario files are checked (sim_yaml.h; its
 * check is for files of at most 1 MiB): nesting at most EXPLAIN_MAX_DEPTH deep and at most
 * EXPLAIN_LINE_ITEMS flow indicators a line outside strings, so the parser never holds more
 * than a line's tokens. False with the position and the reason.
 */
static bool shape_ok(const char *b, size_t len, uint32_t *line, uint32_t *col, const char **why)
{
    assert(b != NULL || len == 0);
    uint32_t depth = 0, items = 0, ln = 1, cl = 1;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++, cl++) {
        char ch = b[i];
        if (ch == '\n') {
            ln++;
            cl = 0;
            items = 0;
            continue;
        }
        if (in_string) {
            if (escaped) escaped = false;
            else if (ch == '\\') escaped = true;
            else if (ch == '"') in_string = false;
            continue;
        }
        if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{' || ch == ']' || ch == '}' || ch == ',') {
            if (ch == '[' || ch == '{') depth++;
            else if (ch != ',' && depth > 0) depth--;
            *why = depth > EXPLAIN_MAX_DEPTH ? "nested deeper than a results file" : ++items > EXPLAIN_LINE_ITEMS
                                                                                           ? "a line wider than a results file's"
                                                                                           : NULL;
            if (*why != NULL) {
                *line = ln;
                *col = cl;
                return false;
            }
        }
    }
    return true;
}

/* One results file: 0 every real run explained, 1 some not, 2 an input error. */
static int explain_file(cli_ctx *c, const char *path)
{
    size_t len = 0;
    char *bytes = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(c->err, "portsim: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    bytes = malloc(EXPLAIN_FILE_MAX_BYTES + 1);
    if (bytes != NULL) len = fread(bytes, 1, EXPLAIN_FILE_MAX_BYTES + 1, f);
    fclose(f);
    if (bytes == NULL || len > EXPLAIN_FILE_MAX_BYTES) {
        fprintf(c->err, "%s:1:1: error: %s\n", path, bytes == NULL ? "out of memory" : "larger than 64 MiB");
        free(bytes);
        return CLI_EXIT_USAGE;
    }
    uint32_t bad_line = 0, bad_col = 0;
    const char *why = NULL;
    if (!shape_ok(bytes, len, &bad_line, &bad_col, &why)) {
        fflush(c->out);
        fprintf(c->err, "%s:%u:%u: error: %s\n", path, bad_line, bad_col, why);
        free(bytes);
        return CLI_EXIT_USAGE;
    }
    xr *x = calloc(1, sizeof *x);
    base_fy fy;
    if (x == NULL || !base_fy_init(&fy)) {
        fprintf(c->err, "portsim: out of memory\n");
        free(x);
        free(bytes);
        return CLI_EXIT_USAGE;
    }
    x->c = c;
    x->path = path;
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_JSON_FORCE | FYPCF_DISABLE_MMAP_OPT, .diag = fy.diag};
    x->parser = fy_parser_create(&cfg);
    bool clean = x->parser != NULL && fy_parser_set_string(x->parser, bytes, len) == 0 &&
                 base_fy_drive(x->parser, EXPLAIN_MAX_EVENTS, on_event, x) && !fy_parser_get_stream_error(x->parser);
    if (!clean && !x->input_error) {
        base_fy_error e;
        if (base_fy_next_error(&fy, &e)) {
            snprintf(x->error, sizeof x->error, "%s:%u:%u: error: %s", path, e.line, e.col, e.message);
        } else {
            snprintf(x->error, sizeof x->error, "%s:1:1: error: not a results file (%s)", path, base_fy_raw(&fy));
        }
        x->input_error = true;
    }
    if (x->parser != NULL) fy_parser_destroy(x->parser);
    base_fy_fini(&fy);
    scenario_reset(&x->cur);
    free(bytes);
    int code = 0;
    if (x->input_error) {
        fflush(c->out);
        fprintf(c->err, "%s\n", x->error);
        code = CLI_EXIT_USAGE;
    } else {
        fprintf(c->out, "%s: %u explained, %u diverged, %u not found, %u expected differences, %u not run\n", path,
                x->explained, x->diverged, x->not_found, x->expected, x->not_run);
        code = x->diverged + x->not_found > 0 ? 1 : 0;
    }
    free(x);
    return code;
}

int cli_cmd_explain(cli_ctx *c)
{
    assert(c != NULL && c->cmd != NULL);
    if (c->path_count == 0) return cli_usage_error(c, "explain needs at least one RESULT.json", NULL);
    int worst = 0;
    for (uint32_t i = 0; i < c->path_count; i++) {
        int code = explain_file(c, c->paths[i]);
        if (code > worst) worst = code;
    }
    return worst;
}
