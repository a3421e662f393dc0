/*
 * sim_load.c — reading a scenario file and its top-level sections:
 * scenario, about, rules, profile, options, time_limit, mach_services,
 * modes, processes (threads, queues), handlers, callbacks, timers, blocks,
 * faults, expect_events, skip and only. Steps are in sim_load_step.c,
 * references in sim_load_resolve.c.
 */
#include "sim_load_internal.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading the file ---------------------------------------------------- */

bool sim_read_file(const char *path, size_t max_bytes, uint8_t **bytes, size_t *len,
                   sim_diag *diag)
{
    *bytes = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sim_diag_error(diag, 1, 1, "cannot open: %s", strerror(errno));
        return false;
    }
    size_t capacity = 4096, n = 0;
    uint8_t *buf = malloc(capacity);
    bool ok = buf != NULL;
    while (ok) {
        if (n == capacity) {
            if (capacity > max_bytes) break; /* more than allowed: stop reading */
            uint8_t *bigger = realloc(buf, capacity * 2);
            if (bigger == NULL) {
                ok = false;
                break;
            }
            buf = bigger;
            capacity *= 2;
        }
        size_t got = fread(buf + n, 1, capacity - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ok && ferror(f)) {
        sim_diag_error(diag, 1, 1, "cannot read: %s", strerror(errno));
        ok = false;
    } else if (!ok) {
        sim_diag_error(diag, 1, 1, "out of memory reading the file");
    } else if (n > max_bytes) {
        sim_diag_error(diag, 1, 1, "file too large: more than %zu bytes", max_bytes);
        ok = false;
    }
    fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *bytes = buf;
    *len = n;
    return true;
}

/* ---- small sections -------------------------------------------------------- */

static bool scenario_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > CM_LIMIT_SCENARIO_NAME_BYTES) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.') return false;
    }
    return true;
}

static void load_name(ld *L, uint32_t root)
{
    uint32_t key = ld_key_node(L, root, "scenario");
    if (key == SIM_NONE) {
        ld_error(L, root, "a scenario needs 'scenario: <name>'");
        return;
    }
    L->sc->loc = ld_loc(L, key);
    uint32_t v = ld_node(L, key)->next;
    const char *text = NULL;
    if (!ld_string(L, v, "scenario", &text)) return;
    if (!scenario_name_ok(text, ld_node(L, v)->len)) {
        ld_error(L, v, "scenario name '%.64s' must be 1-%u letters, digits, '_', '-' or '.'", text,
                 CM_LIMIT_SCENARIO_NAME_BYTES);
        return;
    }
    L->sc->name = base_arena_strdup(L->arena, text);
}

static bool rule_ok(const char *s)
{
    if (s[0] != 'R' || !isdigit((unsigned char)s[1])) return false;
    char *end = NULL;
    long n = strtol(s + 1, &end, 10);
    if (n < 1 || n > 67 || s[1] == '0') return false;
    if (*end >= 'a' && *end <= 'z') end++;
    return *end == '\0';
}

static void load_rules(ld *L, uint32_t node)
{
    if (!ld_check_seq(L, node, "rules")) return;
    const sim_ynode *seq = ld_node(L, node);
    const char **rules = ld_alloc(L, (seq->count + 1) * sizeof *rules);
    if (rules == NULL) return;
    uint32_t n = 0;
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        const char *text = NULL;
        if (!ld_string(L, item, "a rule", &text)) continue;
        if (!rule_ok(text)) {
            ld_error(L, item, "unknown rule '%.20s' (rules are R1 to R67: docs/semantics.md, portsim rules)", text);
            continue;
        }
        rules[n++] = base_arena_strdup(L->arena, text);
    }
    L->sc->rules = rules;
    L->sc->rule_count = n;
}

static uint8_t profile_by_node(ld *L, uint32_t node)
{
    const char *text = NULL;
    if (!ld_string(L, node, "profile", &text)) return 0;
    uint8_t id = (uint8_t)cm_profile_by_name(text);
    if (id == 0) ld_error(L, node, "unknown profile '%.40s' (ventura or cf-1153)", text);
    return id;
}

typedef struct option_spec {
    const char *key;
    uint32_t bit;
    uint8_t type; /* 0: duration, 1: bool, 2: qlimit, 3: name128 */
    size_t offset;
} option_spec;

#define OPT(key, bit, type, field) {key, bit, type, offsetof(cm_profile, field)}

static const option_spec option_specs[] = {
    OPT("name_release_delay", SIM_OPT_NAME_RELEASE_DELAY, 0, name_release_delay_ns),
    OPT("rights_release_delay", SIM_OPT_RIGHTS_RELEASE_DELAY, 0, rights_release_delay_ns),
    OPT("death_notice_delay", SIM_OPT_DEATH_NOTICE_DELAY, 0, death_notice_delay_ns),
    OPT("hop_latency", SIM_OPT_HOP_LATENCY, 0, hop_latency_ns),
    OPT("dispatch_dequeue_delay", SIM_OPT_DISPATCH_DEQUEUE_DELAY, 0, dispatch_dequeue_delay_ns),
    OPT("qlimit", SIM_OPT_QLIMIT, 2, qlimit),
    OPT("name128", SIM_OPT_NAME128, 3, name128),
    OPT("setname_refused_with_queue", SIM_OPT_SETNAME_REFUSED, 1, setname_refused_with_queue),
    OPT("main_queue_death_callbacks", SIM_OPT_MAIN_QUEUE_DEATH, 1, main_queue_death_callbacks),
    OPT("cross_thread_invalidate_wakes", SIM_OPT_CROSS_THREAD_WAKES, 1,
        cross_thread_invalidate_wakes),
    OPT("same_process_remote_shares_wrapper", SIM_OPT_REMOTE_SHARES, 1,
        same_process_remote_shares_wrapper),
};

#define OPTION_COUNT (sizeof option_specs / sizeof option_specs[0])

static bool load_option(ld *L, const option_spec *o, uint32_t v)
{
    char *field = (char *)&L->sc->options + o->offset;
    int64_t n = 0;
    bool b = false;
    switch (o->type) {
    case 0:
        if (!ld_duration(L, v, o->key, 0, &n)) return false;
        memcpy(field, &n, sizeof n);
        return true;
    case 1:
        if (!ld_bool(L, v, o->key, &b)) return false;
        memcpy(field, &b, sizeof b);
        return true;
    case 2:
        if (!ld_int(L, v, o->key, 1, 255, &n)) return false;
        *(uint8_t *)field = (uint8_t)n;
        return true;
    default:
        if (ld_is_plain(L, v, "accept") || ld_is_plain(L, v, "reject")) {
            *(uint8_t *)field = ld_is_plain(L, v, "accept") ? CM_NAME128_ACCEPT : CM_NAME128_REJECT;
            return true;
        }
        ld_error(L, v, "name128 is accept or reject");
        return false;
    }
}

static void load_options(ld *L, uint32_t node)
{
    static const char *keys[OPTION_COUNT + 1];
    for (size_t i = 0; i < OPTION_COUNT; i++) keys[i] = option_specs[i].key;
    keys[OPTION_COUNT] = NULL;
    if (!ld_check_map(L, node, "options", keys)) return;
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        uint32_t v = ld_get(L, node, option_specs[i].key);
        if (v != SIM_NONE && load_option(L, &option_specs[i], v)) {
            L->sc->option_mask |= option_specs[i].bit;
        }
    }
}

static void load_services(ld *L, uint32_t node)
{
    if (!ld_check_seq(L, node, "mach_services")) return;
    const sim_ynode *seq = ld_node(L, node);
    sim_data *services = ld_alloc(L, (seq->count + 1) * sizeof *services);
    if (services == NULL) return;
    uint32_t n = 0;
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        if (ld_data(L, item, "a mach service name", 0, &services[n])) n++;
    }
    L->sc->services = services;
    L->sc->service_count = n;
}

static void load_modes(ld *L, uint32_t node)
{
    if (!ld_check_seq(L, node, "modes")) return;
    const sim_ynode *seq = ld_node(L, node);
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        const char *name = NULL;
        if (!ld_ident(L, item, "a mode", &name)) continue;
        if (strcmp(name, "default") == 0 || strcmp(name, "common") == 0) {
            ld_error(L, item, "'%s' is a built-in mode; declare only your own modes", name);
            continue;
        }
        bool added = false;
        uint32_t index = sim_strmap_intern(&L->modes, L->arena, name, &added);
        if (index == SIM_NONE) {
            ld_oom(L);
        } else if (!added) {
            ld_error(L, item, "mode '%s' is declared twice", name);
        } else if (index >= SIM_MAX_MODES) {
            ld_error(L, item, "too many modes (the limit is %u)", SIM_MAX_MODES);
        }
    }
}

/* ---- counting, so arrays are allocated once ------------------------------- */

static uint32_t seq_len(const ld *L, uint32_t node)
{
    if (node == SIM_NONE) return 0;
    const sim_ynode *n = ld_node(L, node);
    return n->type == SIM_Y_SEQ ? n->count : 0;
}

static uint32_t map_pairs(const ld *L, uint32_t node)
{
    if (node == SIM_NONE) return 0;
    const sim_ynode *n = ld_node(L, node);
    return n->type == SIM_Y_MAP ? n->count / 2 : 0;
}

/* Iterates a mapping: key node k, value node v. */
#define FOR_PAIRS(L, map, k, v)                                                             \
    for (uint32_t k = ld_node(L, map)->first, v = k == SIM_NONE ? SIM_NONE : ld_node(L, k)->next; \
         k != SIM_NONE && v != SIM_NONE;                                                    \
         k = ld_node(L, v)->next, v = k == SIM_NONE ? SIM_NONE : ld_node(L, k)->next)

static const char *const section_names[] = {
    [SIM_PROG_HANDLER] = "handlers",
    [SIM_PROG_CALLBACK] = "callbacks",
    [SIM_PROG_TIMER] = "timers",
    [SIM_PROG_BLOCK] = "blocks",
};

static void count_all(const ld *L, uint32_t root, uint32_t *programs, uint32_t *steps)
{
    *programs = 0;
    *steps = 0;
    uint32_t procs = ld_get(L, root, "processes");
    if (map_pairs(L, procs) > 0) {
        FOR_PAIRS(L, procs, pk, pv) {
            uint32_t threads = ld_get(L, pv, "threads");
            if (map_pairs(L, threads) == 0) continue;
            FOR_PAIRS(L, threads, tk, tv) {
                (*programs)++;
                *steps += seq_len(L, tv);
            }
        }
    }
    for (uint8_t kind = SIM_PROG_HANDLER; kind <= SIM_PROG_BLOCK; kind++) {
        uint32_t section = ld_get(L, root, section_names[kind]);
        if (map_pairs(L, section) == 0) continue;
        FOR_PAIRS(L, section, k, v) {
            (*programs)++;
            *steps += seq_len(L, v);
        }
    }
}

/* ---- processes -------------------------------------------------------------- */

static uint32_t new_program(ld *L, uint32_t key, const char *name, uint8_t kind, uint32_t process)
{
    assert(L->next_program < L->program_capacity);
    uint32_t index = L->next_program++;
    L->sc->programs[index] = (sim_program){.name = name, .loc = ld_loc(L, key), .kind = kind,
                                           .process = process, .first_step = L->next_step};
    return index;
}

static void load_queue(ld *L, uint32_t key, uint32_t value, sim_queue *q)
{
    static const char *const keys[] = {"kind", "width", NULL};
    q->loc = ld_loc(L, key);
    q->kind = CM_QUEUE_SERIAL;
    q->width = 1;
    uint32_t kind = value;
    if (ld_node(L, value)->type == SIM_Y_MAP) {
        if (!ld_check_map(L, value, "a queue", keys)) return;
        kind = ld_require(L, value, "kind", "a queue");
        if (kind == SIM_NONE) return;
    }
    if (ld_is_plain(L, kind, "serial")) {
        if (ld_get(L, value, "width") != SIM_NONE) {
            ld_error(L, ld_key_node(L, value, "width"), "a serial queue has no width");
        }
        return;
    }
    if (!ld_is_plain(L, kind, "concurrent")) {
        ld_error(L, kind, "a queue is serial or concurrent");
        return;
    }
    q->kind = CM_QUEUE_CONCURRENT;
    int64_t width = 2;
    uint32_t w = ld_get(L, value, "width");
    if (w != SIM_NONE && ld_int(L, w, "width", 1, 64, &width)) q->width = (uint8_t)width;
    if (w == SIM_NONE) q->width = 2;
}

static void load_queues(ld *L, uint32_t node, sim_process *p)
{
    if (ld_is_null(L, node) || !ld_check_map(L, node, "queues", NULL)) return;
    uint32_t n = map_pairs(L, node);
    if (n > SIM_MAX_QUEUES) {
        ld_error(L, node, "too many queues (the limit is %u)", SIM_MAX_QUEUES);
        return;
    }
    p->queues = ld_alloc(L, (n + 1) * sizeof *p->queues);
    if (p->queues == NULL) return;
    FOR_PAIRS(L, node, k, v) {
        sim_queue *q = &p->queues[p->queue_count];
        if (!ld_ident(L, k, "a queue name", &q->name)) continue;
        if (strcmp(q->name, "main") == 0) {
            ld_error(L, k, "'main' is the process's main queue; it need not be declared");
            continue;
        }
        load_queue(L, k, v, q);
        p->queue_count++;
    }
}

static void load_threads(ld *L, uint32_t node, uint32_t process)
{
    sim_process *p = &L->sc->processes[process];
    if (!ld_check_map(L, node, "threads", NULL)) return;
    uint32_t n = map_pairs(L, node);
    if (n == 0 || n > SIM_MAX_THREADS) {
        ld_error(L, node, "a process has 1 to %u threads", SIM_MAX_THREADS);
        return;
    }
    p->threads = ld_alloc(L, n * sizeof *p->threads);
    if (p->threads == NULL) return;
    FOR_PAIRS(L, node, k, v) {
        sim_thread *t = &p->threads[p->thread_count];
        if (!ld_ident(L, k, "a thread name", &t->name)) continue;
        t->loc = ld_loc(L, k);
        t->program = new_program(L, k, t->name, SIM_PROG_THREAD, process);
        ld_program_steps(L, v, t->program);
        p->thread_count++;
    }
}

static void load_process(ld *L, uint32_t key, uint32_t value, uint32_t index)
{
    static const char *const keys[] = {"start", "sandbox_group", "queues", "threads", NULL};
    sim_process *p = &L->sc->processes[index];
    p->loc = ld_loc(L, key);
    p->end_signal = SIM_NONE;
    if (!ld_check_map(L, value, "a process", keys)) return;
    uint32_t v = ld_get(L, value, "start");
    if (v != SIM_NONE) ld_duration(L, v, "start", 0, &p->start_ns);
    v = ld_get(L, value, "sandbox_group");
    if (v != SIM_NONE) p->has_sandbox_group = ld_data(L, v, "sandbox_group", 0, &p->sandbox_group);
    v = ld_get(L, value, "queues");
    if (v != SIM_NONE) load_queues(L, v, p);
    v = ld_require(L, value, "threads", "a process");
    if (v != SIM_NONE) load_threads(L, v, index);
}

static void load_processes(ld *L, uint32_t root)
{
    uint32_t node = ld_require(L, root, "processes", "a scenario");
    if (node == SIM_NONE || !ld_check_map(L, node, "processes", NULL)) return;
    uint32_t n = map_pairs(L, node);
    if (n == 0 || n > SIM_MAX_PROCESSES) {
        ld_error(L, node, "a scenario has 1 to %u processes", SIM_MAX_PROCESSES);
        return;
    }
    L->sc->processes = ld_alloc(L, n * sizeof *L->sc->processes);
    if (L->sc->processes == NULL) return;
    FOR_PAIRS(L, node, k, v) {
        const char *name = NULL;
        if (!ld_ident(L, k, "a process name", &name)) continue;
        bool added = false;
        uint32_t index = sim_strmap_intern(&L->processes, L->arena, name, &added);
        if (index == SIM_NONE) {
            ld_oom(L);
            return;
        }
        if (!added) continue; /* a duplicate key, already reported */
        L->sc->processes[index].name = name;
        L->sc->process_count = index + 1;
        load_process(L, k, v, index);
    }
}

/* ---- handlers, callbacks, timers, blocks ---------------------------------------- */

static void load_section(ld *L, uint32_t root, uint8_t kind)
{
    const char *section = section_names[kind];
    uint32_t node = ld_get(L, root, section);
    L->kind_base[kind] = L->next_program;
    if (node == SIM_NONE || ld_is_null(L, node) || !ld_check_map(L, node, section, NULL)) return;
    FOR_PAIRS(L, node, k, v) {
        const char *name = NULL;
        if (!ld_ident(L, k, "a program name", &name)) continue;
        for (uint8_t other = SIM_PROG_HANDLER; other <= SIM_PROG_BLOCK; other++) {
            if (other != kind && sim_strmap_find(&L->programs[other], name) != SIM_NONE) {
                ld_error(L, k, "'%s' is already defined in %s", name, section_names[other]);
            }
        }
        bool added = false;
        uint32_t slot = sim_strmap_intern(&L->programs[kind], L->arena, name, &added);
        if (slot == SIM_NONE) {
            ld_oom(L);
            return;
        }
        if (!added) continue; /* a duplicate key, already reported */
        uint32_t program = new_program(L, k, name, kind, SIM_NONE);
        assert(program == L->kind_base[kind] + slot);
        ld_program_steps(L, v, program);
    }
}

/* ---- faults, expected events, conditions ------------------------------------------ */

/*
 * {at: T, crash|restart: P}, or {on: SIGNAL, after: D, crash|restart: P}: the fault comes when
 * the signal is first raised (D later, default 0), so it is ordered after what raises it as a
 * fact, not by a time a busy host may miss (issue 8).
 */
static void load_fault(ld *L, uint32_t node, sim_fault *f)
{
    static const char *const keys[] = {"at", "on", "after", "crash", "restart", NULL};
    f->loc = ld_loc(L, node);
    f->process.index = SIM_NONE;
    f->on.index = SIM_NONE;
    if (!ld_check_map(L, node, "a fault", keys)) return;
    uint32_t at = ld_get(L, node, "at"), on = ld_get(L, node, "on"), after = ld_get(L, node, "after");
    if ((at == SIM_NONE) == (on == SIM_NONE)) {
        ld_error(L, node, "a fault has exactly one of 'at: <time>' or 'on: <signal>'");
    } else if (at != SIM_NONE) {
        ld_duration(L, at, "at", 0, &f->at_ns);
        if (after != SIM_NONE) ld_error(L, after, "'after' goes with 'on: <signal>' (write the time in 'at')");
    } else if (ld_ref(L, on, "signal", false, &f->on)) {
        f->at_ns = INT64_MAX;
        bool added = false;
        f->on.index = sim_strmap_intern(&L->signals, L->arena, f->on.name, &added);
        if (f->on.index == SIM_NONE) ld_oom(L);
        if (after != SIM_NONE) ld_duration(L, after, "after", 0, &f->after_ns);
    }
    uint32_t crash = ld_get(L, node, "crash"), restart = ld_get(L, node, "restart");
    if ((crash == SIM_NONE) == (restart == SIM_NONE)) {
        ld_error(L, node, "a fault has exactly one of 'crash: <process>' or 'restart: <process>'");
        return;
    }
    f->kind = crash != SIM_NONE ? CM_FAULT_CRASH : CM_FAULT_RESTART;
    ld_ref(L, crash != SIM_NONE ? crash : restart, "process", false, &f->process);
}

static void load_faults(ld *L, uint32_t node)
{
    if (!ld_check_seq(L, node, "faults")) return;
    const sim_ynode *seq = ld_node(L, node);
    L->sc->faults = ld_alloc(L, (seq->count + 1) * sizeof *L->sc->faults);
    if (L->sc->faults == NULL) return;
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        load_fault(L, item, &L->sc->faults[L->sc->fault_count++]);
    }
}

/*
 * Refuses the filters an event of e's kind cannot match (issue 9: msgid on
 * callout_done was accepted and matched nothing). True when all may apply.
 */
static bool filters_apply(ld *L, uint32_t node, const sim_event_expect *e)
{
    static const struct {
        const char *key;
        uint32_t bit;
        const char *why;
    } all[] = {{"process", SIM_FILTER_PROCESS, "they belong to no process"},
               {"thread", SIM_FILTER_THREAD, "they happen on no thread"},
               {"port", SIM_FILTER_PORT, "they concern no port"},
               {"msgid", SIM_FILTER_MSGID, "they carry no message id"},
               {"warning", SIM_FILTER_WARNING, "only warning events have one"},
               {"reason", SIM_FILTER_REASON, "only crash and request_dropped events have one"},
               {"size", SIM_FILTER_SIZE, "they carry no size"},
               {"request", SIM_FILTER_REQUEST, "only a callout has a request"},
               {"reply", SIM_FILTER_REPLY, "only callout and callout_done events have a callout's reply"}};
    uint32_t allowed = sim_event_kind_filters(e->kind);
    assert(e->kind != SIM_EV_NONE && e->kind < SIM_EV_KIND_COUNT);
    base_buf list;
    base_buf_init(&list, 0);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (allowed & all[i].bit) base_buf_printf(&list, "%s%s", list.len ? ", " : "", all[i].key);
    }
    bool ok = true;
    const char *kind = sim_event_kind_name(e->kind);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        uint32_t key = ld_key_node(L, node, all[i].key);
        if (key == SIM_NONE || (allowed & all[i].bit)) continue;
        ld_error(L, key, "'%s' does not filter %s events (%s); %s takes %s", all[i].key, kind, all[i].why,
                 kind, list.len ? base_buf_str(&list) : "no filter, only a count");
        ok = false;
    }
    base_buf_fini(&list);
    return ok;
}

static void event_filters(ld *L, uint32_t node, sim_event_expect *e)
{
    static const char *const keys[] = {"process", "thread", "port", "msgid", "warning", "reason",
                                       "size", "request", "reply", NULL};
    if (ld_is_null(L, node) || !ld_check_map(L, node, "an event filter", keys)) return;
    if (!filters_apply(L, node, e)) return;
    uint32_t v = ld_get(L, node, "process");
    if (v != SIM_NONE) ld_ref(L, v, "process", false, &e->process);
    v = ld_get(L, node, "thread");
    if (v != SIM_NONE && ld_ref(L, v, "thread", false, &e->thread) && e->process.name == NULL) {
        ld_error(L, v, "a thread filter needs a process filter too");
    }
    v = ld_get(L, node, "port");
    if (v != SIM_NONE) ld_ref(L, v, "port", false, &e->port);
    int64_t n = 0;
    v = ld_get(L, node, "msgid");
    if (v != SIM_NONE && ld_int(L, v, "msgid", CM_LIMIT_MSGID_MIN, CM_LIMIT_MSGID_MAX, &n)) {
        e->has_msgid = true;
        e->msgid = (int32_t)n;
    }
    v = ld_get(L, node, "size"); /* what a callout received, or a reply's (issue 13) */
    if (v != SIM_NONE && ld_int(L, v, "size", 0, CM_LIMIT_SIZE_BYTES, &n)) {
        e->has_size = true;
        e->size_bytes = n;
    }
    v = ld_get(L, node, "request");
    if (v != SIM_NONE && ld_is_null(L, v)) { /* R39 */
        ld_error(L, v, "a callout's request is never NULL (R39: a NULL request arrives as empty data): "
                       "write 'size: 0'");
    } else if (v != SIM_NONE) {
        e->has_request = ld_data(L, v, "request", LD_DATA_SIZE, &e->request);
    }
    v = ld_get(L, node, "reply"); /* null: the callout returned NULL */
    if (v != SIM_NONE) e->has_reply = ld_data(L, v, "reply", LD_DATA_NULL | LD_DATA_SIZE, &e->reply);
    static const char *const crash_reasons[] = {"", "fault", "op", "precondition", "stack"};
    static const char *const drop_reasons[] = {"", "invalid_on_arrival", "malformed"};
    v = ld_get(L, node, "warning"); /* only on warning events (filters_apply) */
    if (v != SIM_NONE && ld_is_scalar(L, v)) {
        e->code = sim_warning_by_name(ld_node(L, v)->text);
        e->has_code = e->code != 0;
        if (!e->has_code) ld_error(L, v, "unknown warning '%.40s'", ld_node(L, v)->text);
    }
    v = ld_get(L, node, "reason"); /* only on crash and request_dropped events (filters_apply) */
    if (v == SIM_NONE) return;
    bool crash = e->kind == SIM_EV_CRASH;
    assert(crash || e->kind == SIM_EV_REQUEST_DROPPED);
    const char *const *names = crash ? crash_reasons : drop_reasons;
    size_t count = crash ? 5 : 3;
    for (size_t i = 1; i < count && ld_is_scalar(L, v); i++) {
        if (strcmp(names[i], ld_node(L, v)->text) == 0) {
            e->code = (int32_t)i;
            e->has_code = true;
        }
    }
    if (!e->has_code) ld_error(L, v, "unknown %s reason", crash ? "crash" : "drop");
}

/* {KIND: FILTER, count: N} (expect_events), or {KIND: FILTER} alone (a pattern of expect_order). */
static void load_event_pattern(ld *L, uint32_t node, sim_event_expect *e, bool counted)
{
    sim_event_expect_init(e, ld_loc(L, node));
    if (!ld_check_map(L, node, counted ? "an expected event" : "an event pattern", NULL)) return;
    uint32_t kind_key = SIM_NONE;
    bool unknown = false;
    FOR_PAIRS(L, node, k, v) {
        assert(ld_is_scalar(L, k)); /* ld_check_map returned true: every key has text */
        const char *key = ld_node(L, k)->text;
        if (strcmp(key, "count") == 0 || (!counted && strcmp(key, "which") == 0)) continue;
        if (sim_event_kind_by_name(key) == SIM_EV_NONE) {
            size_t n = 0;
            const char *const *kinds = sim_event_kind_names(&n);
            const char *close = sim_closest_word(key, kinds, n);
            if (close != NULL) {
                ld_error(L, k, "unknown event kind '%.40s': did you mean '%s'?", key, close);
            } else {
                ld_error(L, k, "unknown event kind '%.40s' (docs/scenario-format.md §7 lists them)", key);
            }
            unknown = true;
        } else if (kind_key != SIM_NONE) {
            ld_error(L, k, "an expected event names one kind");
        } else {
            kind_key = k;
        }
    }
    uint32_t count = counted ? ld_require(L, node, "count", "an expected event") : ld_get(L, node, "count");
    uint32_t which = counted ? SIM_NONE : ld_get(L, node, "which");
    if (which != SIM_NONE && (ld_is_plain(L, which, "last") || ld_is_plain(L, which, "first"))) {
        e->last = ld_is_plain(L, which, "last");
    } else if (which != SIM_NONE) {
        ld_error(L, which, "which is 'first' (the default) or 'last'");
    }
    if (count != SIM_NONE && !counted) {
        ld_error(L, count, "an event pattern of expect_order has no count (it stands for the first such event, "
                           "or the last with 'which: last')");
    } else if (count != SIM_NONE) {
        e->count_loc = ld_loc(L, count);
        ld_count_range(L, count, "count", &e->count_min, &e->count_max);
    }
    if (kind_key == SIM_NONE) {
        if (!unknown) {
            ld_error(L, node, "an expected event names its kind, e.g. '{callout: {...}, count: 1}'");
        }
        return;
    }
    e->kind = sim_event_kind_by_name(ld_node(L, kind_key)->text);
    e->loc = ld_loc(L, kind_key);
    event_filters(L, ld_node(L, kind_key)->next, e);
}

static void load_event_expects(ld *L, uint32_t node)
{
    if (!ld_check_seq(L, node, "expect_events")) return;
    const sim_ynode *seq = ld_node(L, node);
    L->sc->event_expects = ld_alloc(L, (seq->count + 1) * sizeof *L->sc->event_expects);
    if (L->sc->event_expects == NULL) return;
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        load_event_pattern(L, item, &L->sc->event_expects[L->sc->event_expect_count++], true);
    }
}

/*
 * expect_order: [[PATTERN, PATTERN, ...], ...]: in each list, the first event matching a pattern
 * comes after the first matching the pattern before it (so each happens, in this order).
 */
static void load_orders(ld *L, uint32_t node)
{
    if (!ld_check_seq(L, node, "expect_order")) return;
    const sim_ynode *seq = ld_node(L, node);
    uint32_t patterns = 0;
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        if (ld_node(L, item)->type == SIM_Y_SEQ) patterns += ld_node(L, item)->count;
    }
    sim_scenario *sc = L->sc;
    sc->orders = ld_alloc(L, (seq->count + 1) * sizeof *sc->orders);
    sc->order_patterns = ld_alloc(L, (patterns + 1) * sizeof *sc->order_patterns);
    if (sc->orders == NULL || sc->order_patterns == NULL) return;
    for (uint32_t item = seq->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        const sim_ynode *list = ld_node(L, item);
        if (list->type != SIM_Y_SEQ || list->count < 2) {
            ld_error(L, item, "an order is a list of two or more event patterns, e.g. "
                              "[{callout: {msgid: 1}}, {callout: {msgid: 2}}]");
            continue;
        }
        sim_order_expect *o = &sc->orders[sc->order_count++];
        *o = (sim_order_expect){.loc = ld_loc(L, item), .first = sc->order_pattern_count, .count = list->count};
        for (uint32_t p = list->first; p != SIM_NONE; p = ld_node(L, p)->next) {
            load_event_pattern(L, p, &sc->order_patterns[sc->order_pattern_count++], false);
        }
    }
    assert(sc->order_pattern_count <= patterns);
}

static void load_condition(ld *L, uint32_t node, sim_condition *c)
{
    static const char *const keys[] = {"backend", "profile", "reason", NULL};
    static const char *const backends[] = {"model", "posix", "apple", "agent", NULL};
    c->loc = ld_loc(L, node);
    if (!ld_check_map(L, node, "a skip/only condition", keys)) return;
    uint32_t backend = ld_get(L, node, "backend"), profile = ld_get(L, node, "profile");
    if (backend == SIM_NONE && profile == SIM_NONE) {
        ld_error(L, node, "a condition names a backend, a profile or both");
    }
    const char *text = NULL;
    if (backend != SIM_NONE && ld_string(L, backend, "backend", &text)) {
        bool known = false;
        for (size_t i = 0; backends[i] != NULL; i++) known = known || strcmp(backends[i], text) == 0;
        if (!known) ld_error(L, backend, "unknown backend '%.40s' (model, posix, apple, agent)", text);
        c->backend = base_arena_strdup(L->arena, text);
    }
    if (profile != SIM_NONE) c->profile = profile_by_node(L, profile);
    uint32_t reason = ld_require(L, node, "reason", "a skip/only condition");
    if (reason != SIM_NONE && ld_string(L, reason, "reason", &text)) {
        if (text[0] == '\0') ld_error(L, reason, "the reason must not be empty");
        c->reason = base_arena_strdup(L->arena, text);
    }
}

static void load_conditions(ld *L, uint32_t node, const char *what, sim_condition **out,
                            uint32_t *count)
{
    const sim_ynode *n = ld_node(L, node);
    uint32_t items = n->type == SIM_Y_SEQ ? n->count : 1;
    if (n->type != SIM_Y_SEQ && n->type != SIM_Y_MAP) {
        ld_error(L, node, "%s is a list of {backend, profile, reason} conditions", what);
        return;
    }
    *out = ld_alloc(L, items * sizeof **out);
    if (*out == NULL) return;
    if (n->type == SIM_Y_MAP) {
        load_condition(L, node, &(*out)[(*count)++]);
        return;
    }
    for (uint32_t item = n->first; item != SIM_NONE; item = ld_node(L, item)->next) {
        load_condition(L, item, &(*out)[(*count)++]);
    }
}

/* ---- the whole file ----------------------------------------------------------------- */

static const char *const top_keys[] = {
    "scenario", "about", "rules", "profile", "options", "time_limit", "mach_services", "modes",
    "processes", "handlers", "callbacks", "timers", "blocks", "faults", "expect_events", "expect_order",
    "skip", "only", NULL};

static bool allocate(ld *L, uint32_t root)
{
    uint32_t programs = 0, steps = 0;
    count_all(L, root, &programs, &steps);
    if (programs > SIM_MAX_PROGRAMS) {
        ld_error(L, root, "too many threads and programs: %u (the limit is %u)", programs,
                 SIM_MAX_PROGRAMS);
        return false;
    }
    if (steps > SIM_MAX_STEPS) {
        ld_error(L, root, "too many steps: %u (the limit is %u)", steps, SIM_MAX_STEPS);
        return false;
    }
    L->sc->programs = ld_alloc(L, (programs + 1) * sizeof *L->sc->programs);
    L->sc->steps = ld_alloc(L, (steps + 1) * sizeof *L->sc->steps);
    L->program_capacity = programs;
    L->step_capacity = steps;
    return L->sc->programs != NULL && L->sc->steps != NULL;
}

static void load_sections(ld *L, uint32_t root)
{
    sim_scenario *sc = L->sc;
    uint32_t v = ld_get(L, root, "about");
    const char *text = NULL;
    if (v != SIM_NONE && ld_string(L, v, "about", &text)) sc->about = base_arena_strdup(L->arena, text);
    if ((v = ld_get(L, root, "rules")) != SIM_NONE) load_rules(L, v);
    if ((v = ld_get(L, root, "profile")) != SIM_NONE) sc->profile = profile_by_node(L, v);
    if ((v = ld_get(L, root, "options")) != SIM_NONE) load_options(L, v);
    sc->time_limit_ns = SIM_TIME_LIMIT_DEFAULT_NS;
    v = ld_get(L, root, "time_limit");
    if (v != SIM_NONE && ld_duration(L, v, "time_limit", 0, &sc->time_limit_ns) &&
        sc->time_limit_ns == 0) {
        ld_error(L, v, "time_limit must be positive");
    }
    if ((v = ld_get(L, root, "mach_services")) != SIM_NONE) load_services(L, v);
    if ((v = ld_get(L, root, "modes")) != SIM_NONE) load_modes(L, v);
    load_processes(L, root);
    for (uint8_t kind = SIM_PROG_HANDLER; kind <= SIM_PROG_BLOCK; kind++) load_section(L, root, kind);
    if ((v = ld_get(L, root, "faults")) != SIM_NONE) load_faults(L, v);
    if ((v = ld_get(L, root, "expect_events")) != SIM_NONE) load_event_expects(L, v);
    if ((v = ld_get(L, root, "expect_order")) != SIM_NONE) load_orders(L, v);
    if ((v = ld_get(L, root, "skip")) != SIM_NONE) {
        load_conditions(L, v, "skip", &sc->skips, &sc->skip_count);
    }
    if ((v = ld_get(L, root, "only")) != SIM_NONE) {
        load_conditions(L, v, "only", &sc->onlys, &sc->only_count);
    }
}

/* Copies the interned names into the scenario. */
static void finish_names(ld *L)
{
    sim_scenario *sc = L->sc;
    sc->var_count = L->vars.count;
    sc->vars = ld_alloc(L, (L->vars.count + 1) * sizeof *sc->vars);
    if (sc->vars != NULL && L->vars.count > 0) {
        memcpy(sc->vars, L->vars.keys, L->vars.count * sizeof *sc->vars);
    }
    sc->mode_count = L->modes.count;
    sc->modes = ld_alloc(L, (L->modes.count + 1) * sizeof *sc->modes);
    if (sc->modes != NULL && L->modes.count > 0) {
        memcpy(sc->modes, L->modes.keys, L->modes.count * sizeof *sc->modes);
    }
    sc->signal_count = L->signals.count;
    sc->signals = ld_alloc(L, (L->signals.count + 1) * sizeof *sc->signals);
    if (sc->signals != NULL && L->signals.count > 0) {
        memcpy(sc->signals, L->signals.keys, L->signals.count * sizeof *sc->signals);
    }
    if (L->signals.count > CM_SIGNAL_MAX) {
        sim_diag_error(L->diag, 1, 1, "too many signals (the limit is %u)", CM_SIGNAL_MAX);
    }
    sc->program_count = L->next_program;
    sc->step_count = L->next_step;
    if (L->vars.count > SIM_MAX_VARS) {
        sim_diag_error(L->diag, 1, 1, "too many port variables (the limit is %u)", SIM_MAX_VARS);
    }
}

static void load_root(ld *L)
{
    uint32_t root = L->doc->root;
    if (root == SIM_NONE || ld_is_null(L, root)) {
        sim_diag_error(L->diag, 1, 1, "the file is empty: a scenario is a mapping");
        return;
    }
    if (!ld_check_map(L, root, "a scenario", top_keys)) return;
    load_name(L, root);
    if (!allocate(L, root)) return;
    load_sections(L, root);
    finish_names(L);
    if (!L->oom) ld_resolve(L); /* also after other errors: report them all */
}

static void ld_fini(ld *L)
{
    sim_strmap_fini(&L->vars);
    sim_strmap_fini(&L->signals);
    sim_strmap_fini(&L->processes);
    sim_strmap_fini(&L->modes);
    for (size_t i = 0; i < sizeof L->programs / sizeof L->programs[0]; i++) {
        sim_strmap_fini(&L->programs[i]);
    }
}

bool sim_load_buffer(const char *file, const uint8_t *bytes, size_t len, sim_scenario *out,
                     sim_diag *diag)
{
    memset(out, 0, sizeof *out);
    uint32_t errors_before = sim_diag_total(diag);
    sim_ydoc doc;
    if (!sim_yaml_parse(bytes, len, &doc, diag)) {
        sim_ydoc_fini(&doc);
        return false;
    }
    base_arena_init(&out->arena, 0);
    ld L = {.doc = &doc, .diag = diag, .sc = out, .arena = &out->arena};
    for (size_t i = 0; i < sizeof L.programs / sizeof L.programs[0]; i++) {
        sim_strmap_init(&L.programs[i]);
    }
    sim_strmap_init(&L.vars);
    sim_strmap_init(&L.signals);
    sim_strmap_init(&L.processes);
    sim_strmap_init(&L.modes);
    out->file = base_arena_strdup(&out->arena, file);
    load_root(&L);
    ld_fini(&L);
    sim_ydoc_fini(&doc);
    bool ok = sim_diag_total(diag) == errors_before && out->file != NULL;
    if (!ok) sim_scenario_free(out);
    assert(!ok || sim_scenario_validate(out));
    return ok;
}

bool sim_load_file(const char *path, sim_scenario *out, sim_diag *diag)
{
    memset(out, 0, sizeof *out);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!sim_read_file(path, SIM_YAML_MAX_BYTES, &bytes, &len, diag)) return false;
    bool ok = sim_load_buffer(path, bytes, len, out, diag);
    free(bytes);
    return ok;
}
