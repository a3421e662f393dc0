/*
 * sim_gen_build.c — the annotated scenario portsim fuzz checks, made from the scenario the
 * generated text loaded as and the expectations written into it, instead of parsing the
 * annotated text again (a second parse was a fifth of the fuzzer's time on the model). The
 * annotated text is the original with lines inserted, so: every location moves down by the
 * lines inserted above it, the file name is the one given, and each step's expectation (and
 * the expect_events entries) are what the loader makes of the line written (sim_load_step.c:
 * parse_expect, expect_map; sim_load.c: load_event_pattern). Anything the loader would reject
 * or this does not know how to reproduce makes it decline, and the caller parses the text.
 */
#include "sim_gen_internal.h"

#include "sim_yaml.h"

#include <assert.h>
#include <string.h>

/* Where an original line is in the annotated text (line 0: a location never set). */
static uint32_t moved_line(const gen_expect_log *log, uint32_t line)
{
    assert(log->new_line != NULL && log->old_lines >= 1);
    if (line == 0) return 0;
    if (line <= log->old_lines && log->new_line[line] != 0) return log->new_line[line];
    /* past the last line written (the empty line after a final newline): below every insertion */
    return line + log->expect_count;
}

static void move_loc(const gen_expect_log *log, sim_loc *loc)
{
    loc->line = moved_line(log, loc->line);
}

static void move_ref(const gen_expect_log *log, sim_ref *ref)
{
    move_loc(log, &ref->loc);
}

/* An expected event's locations (expect_events entries and expect_order patterns). */
static void move_event_expect(const gen_expect_log *log, sim_event_expect *e)
{
    move_loc(log, &e->loc);
    move_ref(log, &e->process);
    move_ref(log, &e->thread);
    move_ref(log, &e->port);
    move_loc(log, &e->count_loc);
}

/* Every location the scenario keeps, moved (the steps have no expectation yet: checked before). */
static void move_all(sim_scenario *sc, const gen_expect_log *log)
{
    assert(sc != NULL && log != NULL);
    move_loc(log, &sc->loc);
    for (uint32_t p = 0; p < sc->process_count; p++) {
        sim_process *pr = &sc->processes[p];
        move_loc(log, &pr->loc);
        for (uint32_t t = 0; t < pr->thread_count; t++) move_loc(log, &pr->threads[t].loc);
        for (uint32_t q = 0; q < pr->queue_count; q++) move_loc(log, &pr->queues[q].loc);
    }
    for (uint32_t i = 0; i < sc->program_count; i++) move_loc(log, &sc->programs[i].loc);
    for (uint32_t i = 0; i < sc->step_count; i++) {
        sim_step *s = &sc->steps[i];
        assert(s->expect == NULL);
        move_loc(log, &s->loc);
        sim_ref *refs[] = {&s->port, &s->target, &s->thread, &s->queue, &s->process, &s->mode, &s->signal};
        for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) move_ref(log, refs[r]);
        move_loc(log, &s->when.loc);
    }
    for (uint32_t i = 0; i < sc->fault_count; i++) {
        move_loc(log, &sc->faults[i].loc);
        move_ref(log, &sc->faults[i].process);
        move_ref(log, &sc->faults[i].on);
    }
    for (uint32_t i = 0; i < sc->event_expect_count; i++) move_event_expect(log, &sc->event_expects[i]);
    for (uint32_t i = 0; i < sc->order_pattern_count; i++) move_event_expect(log, &sc->order_patterns[i]);
    for (uint32_t i = 0; i < sc->order_count; i++) move_loc(log, &sc->orders[i].loc);
    for (uint32_t i = 0; i < sc->skip_count; i++) move_loc(log, &sc->skips[i].loc);
    for (uint32_t i = 0; i < sc->only_count; i++) move_loc(log, &sc->onlys[i].loc);
}

/* A value the loader reads back from its sim_result_text as the same value (result_word). */
static bool round_trips(sim_result_type type, int32_t v)
{
    if (v == SIM_VALUE_BLOCKED || v == SIM_VALUE_KILLED) return true;
    switch (type) {
    case SIM_RT_STATUS: return v <= 0 && v >= -5;
    case SIM_RT_CREATED:
    case SIM_RT_BOOL: return v == 0 || v == 1;
    case SIM_RT_RUN:
        return v == CM_RUN_FINISHED || v == CM_RUN_STOPPED || v == CM_RUN_TIMED_OUT || v == CM_RUN_HANDLED_SOURCE;
    case SIM_RT_INT: return v >= INT32_MIN + 3;
    default: return false;
    }
}

/* Whether the loader takes the line as written and gives what expect_of makes of it. */
static bool expect_buildable(const sim_scenario *sc, const gen_expect_at *at, const sim_allowed_set *allowed)
{
    if (at->step >= sc->step_count || !at->map_step) return false;
    const sim_step *s = &sc->steps[at->step];
    const sim_allowed *a = &allowed->allowed[at->step];
    sim_result_type type = sim_op_result_type(s->op);
    if (at->result_col != 0) {
        if (a->count == 0 || a->count > SIM_MAX_ALTERNATIVES) return false; /* "at most 8 allowed results" */
        for (uint32_t i = 0; i < a->count; i++) {
            if (!round_trips(type, a->values[i])) return false;
        }
    }
    switch (at->field) {
    case GEN_FIELD_NONE: return true;
    case GEN_FIELD_SFI: return s->op == CM_OP_CREATE_LOCAL || s->op == CM_OP_CREATE_LOCAL_PER_PID;
    case GEN_FIELD_REPLY: return s->op == CM_OP_SEND && at->data_len <= SIM_MAX_DATA_BYTES;
    case GEN_FIELD_NAME: return type == SIM_RT_NAME && at->data_len <= SIM_MAX_DATA_BYTES;
    default: return false;
    }
}

/* The bytes of a data value the loader counts against the scenario's data budget. */
static uint64_t data_bytes(const sim_data *d)
{
    return d->kind == SIM_DATA_BYTES ? d->len : 0;
}

/* An upper bound of the data the original loaded with (every data value it keeps). */
static uint64_t scenario_data_bytes(const sim_scenario *sc)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        n += data_bytes(&sc->steps[i].name) + data_bytes(&sc->steps[i].data) + data_bytes(&sc->steps[i].when.data);
    }
    for (uint32_t i = 0; i < sc->service_count; i++) n += data_bytes(&sc->services[i]);
    for (uint32_t p = 0; p < sc->process_count; p++) n += data_bytes(&sc->processes[p].sandbox_group);
    for (uint32_t i = 0; i < sc->event_expect_count; i++) {
        n += data_bytes(&sc->event_expects[i].request) + data_bytes(&sc->event_expects[i].reply);
    }
    for (uint32_t i = 0; i < sc->order_pattern_count; i++) {
        n += data_bytes(&sc->order_patterns[i].request) + data_bytes(&sc->order_patterns[i].reply);
    }
    return n;
}

/* The data of an expectation's reply: or name: as ld_data makes it (NULL; bytes in the arena). */
static bool data_of(base_arena *arena, const gen_expect_at *at, sim_data *out)
{
    *out = (sim_data){.kind = SIM_DATA_NULL};
    if (at->data_kind == SIM_DATA_NULL) return true;
    assert(at->data_kind == SIM_DATA_BYTES && (at->data != NULL || at->data_len == 0));
    const char *copy = base_arena_strndup(arena, at->data_len > 0 ? (const char *)at->data : "", at->data_len);
    *out = (sim_data){.kind = SIM_DATA_BYTES, .bytes = (const uint8_t *)copy, .len = at->data_len,
                      .size = (int64_t)at->data_len};
    return copy != NULL;
}

/* The expectation the loader makes of one written line (sim_expect_init + expect_map). */
static bool expect_of(base_arena *arena, const sim_scenario *sc, const gen_expect_at *at,
                      const sim_allowed_set *allowed, sim_expect *e)
{
    const sim_allowed *a = &allowed->allowed[at->step];
    sim_expect_init(e, (sim_loc){at->line, at->map_col});
    if (at->result_col != 0) {
        e->result_loc = (sim_loc){at->line, at->result_col};
        for (uint32_t i = 0; i < a->count; i++) e->results[e->result_count++] = a->values[i];
    }
    /* a double-quoted scalar's location is its first character inside the quotes (libfyaml's mark) */
    bool quoted = (at->field == GEN_FIELD_REPLY || at->field == GEN_FIELD_NAME) && at->data_kind == SIM_DATA_BYTES;
    sim_loc field = {at->line, at->field_col + quoted};
    bool ok = true;
    if (at->field == GEN_FIELD_SFI) {
        e->should_free_info = at->sfi;
        e->should_free_info_loc = field;
    } else if (at->field == GEN_FIELD_REPLY) {
        e->reply_loc = field;
        ok = data_of(arena, at, &e->reply);
        e->has_reply = true;
    } else if (at->field == GEN_FIELD_NAME) {
        e->name_loc = field;
        ok = data_of(arena, at, &e->name);
        e->has_name = true;
    }
    if (at->runs_col != 0) {
        e->runs_loc = (sim_loc){at->line, at->runs_col};
        e->has_runs = true;
        e->runs_min = a->runs_min;
        e->runs_max = a->runs_max;
    }
    (void)sc;
    return ok;
}

/* The expect_events entry the loader makes of one written line (load_event_pattern, resolved). */
static sim_event_expect event_of(const sim_scenario *sc, const gen_event_at *at)
{
    assert(at->process < sc->process_count);
    sim_event_expect e;
    sim_event_expect_init(&e, (sim_loc){at->line, at->kind_col});
    e.kind = at->kind;
    e.process = (sim_ref){.name = sc->processes[at->process].name, .loc = {at->line, at->process_col},
                          .index = at->process};
    e.count_loc = (sim_loc){at->line, at->count_col};
    e.count_min = e.count_max = at->count;
    return e;
}

/* What the log adds to the data budget (replies and names). */
static uint64_t added_bytes(const gen_expect_log *log)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < log->expect_count; i++) {
        const gen_expect_at *at = &log->expects[i];
        if ((at->field == GEN_FIELD_REPLY || at->field == GEN_FIELD_NAME) && at->data_kind == SIM_DATA_BYTES) {
            n += at->data_len;
        }
    }
    return n;
}

/* The cases the loader would reject or that are not reproduced here: then nothing is built. */
static bool buildable(const sim_scenario *sc, const gen_expect_log *log, const sim_allowed_set *allowed)
{
    if (log->failed || log->new_line == NULL || allowed->step_count != sc->step_count) return false;
    if (log->event_count > 0 && sc->event_expect_count > 0) return false; /* put_counts never writes then */
    for (uint32_t i = 0; i < sc->step_count; i++) {
        if (sc->steps[i].expect != NULL) return false;
    }
    for (uint32_t i = 0; i < log->expect_count; i++) {
        if (!expect_buildable(sc, &log->expects[i], allowed)) return false;
    }
    for (uint32_t i = 0; i < log->event_count; i++) {
        if (log->events[i].process >= sc->process_count) return false;
    }
    /* far below the budget, so the loader's count (of the same values) cannot reach it */
    return scenario_data_bytes(sc) + added_bytes(log) <= CM_LIMIT_SCENARIO_BYTES / 2;
}

bool sim_gen_build_annotated(sim_scenario *sc, const char *file, const gen_expect_log *log,
                             const sim_allowed_set *allowed)
{
    assert(sc != NULL && file != NULL && log != NULL && allowed != NULL);
    if (!buildable(sc, log, allowed)) return false;
    /* everything allocated first: a failure leaves sc as it was (the arena only grew) */
    const char *name = base_arena_strdup(&sc->arena, file);
    sim_expect *expects = log->expect_count > 0 ? base_arena_alloc(&sc->arena, log->expect_count * sizeof *expects)
                                                 : NULL;
    sim_event_expect *events =
        log->event_count > 0 ? base_arena_alloc(&sc->arena, ((size_t)log->event_count + 1) * sizeof *events) : NULL;
    if (name == NULL || (log->expect_count > 0 && expects == NULL) || (log->event_count > 0 && events == NULL)) {
        return false;
    }
    for (uint32_t i = 0; i < log->expect_count; i++) {
        if (!expect_of(&sc->arena, sc, &log->expects[i], allowed, &expects[i])) return false;
    }
    move_all(sc, log);
    sc->file = name;
    for (uint32_t i = 0; i < log->expect_count; i++) sc->steps[log->expects[i].step].expect = &expects[i];
    if (log->event_count > 0) {
        for (uint32_t i = 0; i < log->event_count; i++) events[i] = event_of(sc, &log->events[i]);
        memset(&events[log->event_count], 0, sizeof events[0]);
        sc->event_expects = events;
        sc->event_expect_count = log->event_count;
    }
    assert(sim_scenario_validate(sc));
    return true;
}
