/*
 * agent_model.c — the `model` backend: the core (core/, through sim/'s
 * model runner) behind the agent protocol, as a *world agent*.
 *
 * Why a world agent: the model is one deterministic world (shared name
 * registry, kernel ports, one virtual clock); it cannot be cut into one
 * process per scenario process running in real time. So this agent is
 * given the whole scenario: the runner sends the file itself ("source")
 * plus exactly what it sends any agent (processes, programs, every
 * thread's commands). The agent loads the file with sim/'s loader,
 * cross-checks that the commands it received are the scenario's steps
 * (which tests the runner's encoding), runs it on the model with the
 * fifo strategy — exactly `portsim run`'s default run — and reports what
 * happened as protocol lines in trace order, stamped with virtual time
 * ("clock": "virtual"). So `portsim conform --backend model` judges the
 * same observation `portsim run` judges, after a round trip through the
 * protocol, and must give the same verdicts.
 *
 * Single-threaded: it reads everything up to "start", simulates, writes,
 * and exits. Malformed lines are rejected with an error line.
 */
#define _POSIX_C_SOURCE 200809L
#include "conf_proto.h"
#include "sim_load.h"
#include "sim_run.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COMMANDS 65536u

typedef struct command {
    char process[CONF_NAME_MAX + 1];
    char thread[CONF_NAME_MAX + 1];
    uint32_t ref;
    uint8_t op;
} command;

typedef struct model_agent {
    base_jw w;
    base_buf source; /* the scenario file, as its chunks came (zeroed: empty) */
    char file[4096];
    bool source_done;
    char profile[32];
    uint64_t seed;
    command *commands;
    uint32_t command_count;
    base_arena arena;
    uint64_t line;
    bool hello;
} model_agent;

/* The agent's state within its bounds: the source at most 1 MiB (what sim_read_file takes),
 * at most MAX_COMMANDS commands, the profile and file names terminated. O(1). */
static bool model_validate(const model_agent *a)
{
    if (a == NULL || a->source.len > ((size_t)1 << 20) || (a->source.len > 0 && a->source.data == NULL)) return false;
    if (a->command_count > MAX_COMMANDS || (a->command_count > 0 && a->commands == NULL)) return false;
    if (memchr(a->profile, '\0', sizeof a->profile) == NULL) return false;
    return memchr(a->file, '\0', sizeof a->file) != NULL;
}

/* ---- output ------------------------------------------------------------------------- */

static void begin(model_agent *a, const char *type)
{
    assert(a != NULL && type != NULL);
    assert(!a->w.open); /* one line at a time */
    base_jw_begin(&a->w);
    base_jw_key(&a->w, "type");
    base_jw_cstr(&a->w, type);
}

static void end(model_agent *a)
{
    assert(model_validate(a));
    assert(a->w.open); /* begun by begin() */
    size_t len = 0;
    const char *line = base_jw_end(&a->w, &len);
    if (line == NULL) {
        begin(a, "error");
        base_jw_key(&a->w, "message");
        base_jw_cstr(&a->w, "the model agent could not encode a line");
        line = base_jw_end(&a->w, &len);
        if (line == NULL) return;
    }
    fwrite(line, 1, len, stdout);
}

static void error_line(model_agent *a, const char *message, bool fatal)
{
    assert(model_validate(a));
    assert(message != NULL);
    char safe[400];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)message; *p && n + 5 < sizeof safe; p++) {
        if (*p >= 0x20 && *p < 0x7f) {
            safe[n++] = (char)*p;
        } else {
            n += (size_t)snprintf(safe + n, sizeof safe - n, "\\x%02x", *p);
        }
    }
    assert(n < sizeof safe);
    safe[n] = '\0';
    begin(a, "error");
    base_jw_key(&a->w, "message");
    base_jw_cstr(&a->w, safe);
    if (fatal) {
        base_jw_key(&a->w, "fatal");
        base_jw_bool(&a->w, true);
    }
    end(a);
    fflush(stdout);
}

static void hello_line(model_agent *a)
{
    assert(model_validate(a));
    assert(a->hello); /* answers the runner's hello */
    begin(a, "hello");
    base_jw *w = &a->w;
    base_jw_key(w, "protocol");
    base_jw_int(w, CONF_PROTO_VERSION);
    base_jw_key(w, "implementation");
    base_jw_obj_begin(w);
    base_jw_key(w, "name");
    base_jw_cstr(w, "portsim-model");
    base_jw_key(w, "version");
    base_jw_cstr(w, PORTSIM_VERSION);
    base_jw_obj_end(w);
    base_jw_key(w, "backend");
    base_jw_cstr(w, "model");
    base_jw_key(w, "clock");
    base_jw_cstr(w, "virtual");
    base_jw_key(w, "world");
    base_jw_bool(w, true);
    static const char *const caps[] = {CONF_CAP_DISPATCH_QUEUES, CONF_CAP_CONCURRENT_QUEUES, CONF_CAP_TIMERS,
                                       CONF_CAP_PER_PID, CONF_CAP_MALFORMED_SEND, CONF_CAP_COPY_DESCRIPTION,
                                       CONF_CAP_MACH_SERVICES, CONF_CAP_SANDBOX};
    base_jw_key(w, "capabilities");
    base_jw_arr_begin(w);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) base_jw_cstr(w, caps[i]);
    base_jw_arr_end(w);
    base_jw_key(w, "events");
    base_jw_arr_begin(w);
    for (uint8_t k = SIM_EV_NONE + 1; k < SIM_EV_KIND_COUNT; k++) base_jw_cstr(w, sim_event_kind_name(k));
    base_jw_arr_end(w);
    end(a);
    fflush(stdout);
}

/* ---- the run as lines ------------------------------------------------------------------ */

static void put_data(model_agent *a, const char *key, const sim_data *d)
{
    assert(a != NULL && key != NULL && d != NULL);
    assert(d->kind != SIM_DATA_BYTES || d->len <= CM_LIMIT_VALUE_BYTES);
    conf_data c = {.kind = CONF_DATA_NULL};
    if (d->kind == SIM_DATA_BYTES) {
        c = (conf_data){.kind = CONF_DATA_BYTES, .bytes = d->bytes, .len = d->len, .size = d->len};
    } else if (d->kind == SIM_DATA_SIZE) {
        c = (conf_data){.kind = CONF_DATA_SIZE, .size = d->size};
    }
    base_jw_key(&a->w, key);
    conf_data_write(&a->w, &c, CONF_DATA_INLINE_MAX);
}

static void put_thread(model_agent *a, uint16_t thread)
{
    base_jw_key(&a->w, "thread");
    if (thread == UINT16_MAX) {
        base_jw_null(&a->w);
    } else {
        base_jw_uint(&a->w, thread);
    }
}

static void call_line(model_agent *a, const sim_scenario *sc, const sim_exec *e, uint32_t index)
{
    assert(model_validate(a) && sc != NULL && e != NULL);
    assert(e->step < sc->step_count && e->process < sc->process_count); /* sim_obs_validate */
    begin(a, "call");
    base_jw_key(&a->w, "exec");
    base_jw_uint(&a->w, index + 1);
    base_jw_key(&a->w, "ref");
    base_jw_uint(&a->w, e->step);
    base_jw_key(&a->w, "process");
    base_jw_cstr(&a->w, sc->processes[e->process].name);
    put_thread(a, e->thread);
    base_jw_key(&a->w, "t_ns");
    base_jw_int(&a->w, e->start_ns);
    end(a);
}

static void put_result(model_agent *a, const sim_scenario *sc, const sim_exec *e)
{
    assert(a != NULL && sc != NULL && e != NULL);
    assert(e->step < sc->step_count && e->outcome == SIM_OUTCOME_RETURNED);
    base_jw *w = &a->w;
    switch (sim_op_result_type(sc->steps[e->step].op)) {
    case SIM_RT_STATUS:
    case SIM_RT_RUN:
    case SIM_RT_INT:
        base_jw_key(w, "result");
        base_jw_int(w, e->value);
        break;
    case SIM_RT_CREATED:
    case SIM_RT_BOOL:
        base_jw_key(w, "result");
        base_jw_bool(w, e->value != 0);
        break;
    case SIM_RT_NAME: put_data(a, "result", &e->data); break;
    case SIM_RT_INFO:
        base_jw_key(w, "result");
        if (e->info == SIM_INFO_UNDEFINED) {
            base_jw_cstr(w, "undefined");
        } else {
            base_jw_int(w, e->info);
        }
        break;
    case SIM_RT_CALLBACK:
        base_jw_key(w, "result");
        if (e->callback < sc->program_count) {
            base_jw_cstr(w, sc->programs[e->callback].name);
        } else {
            base_jw_null(w);
        }
        break;
    default: break;
    }
}

static void return_line(model_agent *a, const sim_scenario *sc, const sim_exec *e, uint32_t index)
{
    assert(model_validate(a) && sc != NULL && e != NULL);
    assert(e->outcome == SIM_OUTCOME_RETURNED && e->end_ns >= e->start_ns);
    base_jw *w = &a->w;
    begin(a, "return");
    base_jw_key(w, "exec");
    base_jw_uint(w, index + 1);
    base_jw_key(w, "t_ns");
    base_jw_int(w, e->end_ns);
    base_jw_key(w, "elapsed_ns");
    base_jw_int(w, e->end_ns - e->start_ns);
    put_result(a, sc, e);
    base_jw_key(w, "port");
    if (e->port >= 0) {
        base_jw_int(w, e->port);
    } else {
        base_jw_null(w);
    }
    base_jw_key(w, "should_free_info");
    base_jw_bool(w, e->should_free_info);
    uint8_t type = sim_op_result_type(sc->steps[e->step].op);
    if (type != SIM_RT_NAME) put_data(a, "reply", &e->data);
    base_jw_key(w, "convid");
    base_jw_int(w, e->convid);
    base_jw_key(w, "msg");
    base_jw_int(w, e->request);
    base_jw_key(w, "msgid");
    base_jw_int(w, e->msgid);
    end(a);
}

static void event_line(model_agent *a, const sim_scenario *sc, const sim_event *ev)
{
    assert(model_validate(a) && sc != NULL && ev != NULL);
    assert(ev->kind != SIM_EV_NONE && ev->kind < SIM_EV_KIND_COUNT); /* sim_obs_validate */
    base_jw *w = &a->w;
    begin(a, "event");
    base_jw_key_cstr(w, "kind", sim_event_kind_name(ev->kind));
    base_jw_key_int(w, "t_ns", ev->time_ns);
    if (ev->process < sc->process_count) {
        base_jw_key_cstr(w, "process", sc->processes[ev->process].name);
    }
    put_thread(a, ev->thread);
    if (ev->port >= 0) {
        base_jw_key_int(w, "port", ev->port);
    }
    base_jw_key_int(w, "msgid", ev->msgid);
    base_jw_key_int(w, "convid", ev->convid);
    base_jw_key_int(w, "code", ev->code);
    base_jw_key_int(w, "msg", ev->msg);
    put_data(a, "data", &ev->data);
    if (ev->size_bytes >= 0) {
        base_jw_key_int(w, "size", ev->size_bytes);
    }
    if (ev->flags & SIM_EVF_REQUEST) put_data(a, "request", &ev->request);
    base_jw_key_bool(w, "via_set", (ev->flags & SIM_EVF_VIA_SET) != 0);
    base_jw_key_bool(w, "delivered", (ev->flags & SIM_EVF_DELIVERED) != 0);
    base_jw_key_bool(w, "done", (ev->flags & SIM_EVF_DONE) != 0);
    if (ev->step < sc->step_count) {
        base_jw_key_uint(w, "step", ev->step);
    }
    if (ev->note != NULL) {
        base_jw_key_cstr(w, "note", ev->note);
    }
    end(a);
}

typedef struct item {
    uint64_t seq;
    uint8_t what; /* 0 call, 1 event, 2 return: the order at one seq */
    uint32_t index;
} item;

static int item_cmp(const void *x, const void *y)
{
    assert(x != NULL && y != NULL);
    const item *p = x, *q = y;
    if (p->seq != q->seq) return p->seq < q->seq ? -1 : 1;
    if (p->what != q->what) return p->what < q->what ? -1 : 1;
    assert(p->what <= 2 && q->what <= 2);
    return p->index < q->index ? -1 : (p->index > q->index);
}

static void emit_obs(model_agent *a, const sim_scenario *sc, const sim_obs *obs)
{
    assert(model_validate(a) && sc != NULL && obs != NULL);
    assert(sim_obs_validate(obs, sc)); /* the model's own observation */
    size_t n = (size_t)2 * obs->exec_count + obs->event_count;
    item *items = malloc((n + 1) * sizeof *items);
    if (items == NULL) {
        error_line(a, "out of memory", true);
        return;
    }
    size_t k = 0;
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        items[k++] = (item){obs->execs[i].start_seq, 0, i};
        if (obs->execs[i].outcome == SIM_OUTCOME_RETURNED) items[k++] = (item){obs->execs[i].end_seq, 2, i};
    }
    for (uint32_t i = 0; i < obs->event_count; i++) items[k++] = (item){obs->events[i].seq, 1, i};
    assert(k <= n);
    qsort(items, k, sizeof *items, item_cmp);
    for (size_t i = 0; i < k; i++) {
        if (items[i].what == 0) call_line(a, sc, &obs->execs[items[i].index], items[i].index);
        if (items[i].what == 1) event_line(a, sc, &obs->events[items[i].index]);
        if (items[i].what == 2) return_line(a, sc, &obs->execs[items[i].index], items[i].index);
    }
    free(items);
    begin(a, "end");
    base_jw_key(&a->w, "t_ns");
    base_jw_int(&a->w, obs->end_ns);
    base_jw_key(&a->w, "reason");
    base_jw_cstr(&a->w, obs->end_reason);
    char hash[24];
    snprintf(hash, sizeof hash, "0x%016" PRIx64, obs->trace_hash);
    base_jw_key(&a->w, "trace_hash");
    base_jw_cstr(&a->w, hash);
    base_jw_key(&a->w, "events");
    base_jw_uint(&a->w, obs->trace_events);
    end(a);
    fflush(stdout);
}

/* ---- checking what the runner sent ------------------------------------------------------ */

static const char *keyword_of(const sim_step *s)
{
    return s->op == CM_OP_SLEEP && (s->flags & CM_OPF_WORK) ? "work" : sim_op_keyword(s->op);
}

/* Every thread got exactly its steps, in order, with the right operations. */
static bool commands_match(model_agent *a, const sim_scenario *sc, char *err, size_t cap)
{
    assert(model_validate(a) && sc != NULL);
    assert(err != NULL && cap > 0);
    uint32_t next = 0;
    for (uint32_t p = 0; p < sc->process_count; p++) {
        const sim_process *proc = &sc->processes[p];
        for (uint32_t t = 0; t < proc->thread_count; t++) {
            const sim_program *prog = &sc->programs[proc->threads[t].program];
            for (uint32_t k = 0; k < prog->step_count; k++, next++) {
                const command *c = next < a->command_count ? &a->commands[next] : NULL;
                const sim_step *s = &sc->steps[prog->first_step + k];
                if (c == NULL || strcmp(c->process, proc->name) != 0 || strcmp(c->thread, proc->threads[t].name) != 0 ||
                    c->ref != prog->first_step + k || strcmp(conf_op_keyword(c->op), keyword_of(s)) != 0) {
                    snprintf(err, cap, "command %u does not match step %u (%s) of %s/%s", next, prog->first_step + k,
                             keyword_of(s), proc->name, proc->threads[t].name);
                    return false;
                }
            }
        }
    }
    if (next != a->command_count) {
        snprintf(err, cap, "%u commands for %u thread steps", a->command_count, next);
        return false;
    }
    return true;
}

static void run_world(model_agent *a)
{
    assert(model_validate(a));
    assert(a->hello); /* handle: hello first */
    if (!a->source_done) {
        error_line(a, "start before the whole source", true);
        return;
    }
    sim_diag diag;
    sim_diag_init(&diag, a->file);
    sim_scenario sc;
    if (!sim_load_buffer(a->file, (const uint8_t *)a->source.data, a->source.len, &sc, &diag)) {
        char text[300];
        snprintf(text, sizeof text, "the scenario does not load (%u errors; first: %s)", sim_diag_total(&diag),
                 diag.count ? diag.entries[0].message : "?");
        sim_diag_fini(&diag);
        error_line(a, text, true);
        return;
    }
    sim_diag_fini(&diag);
    char err[300];
    if (!commands_match(a, &sc, err, sizeof err)) {
        error_line(a, err, true);
        sim_scenario_free(&sc);
        return;
    }
    sim_run_options opt = sim_run_options_default();
    opt.seed = a->seed;
    uint8_t profile = (uint8_t)cm_profile_by_name(a->profile);
    sim_compiled c;
    if (!sim_compile(&sc, profile, &c, err, sizeof err)) {
        error_line(a, err, true);
        sim_scenario_free(&sc);
        return;
    }
    sim_obs obs;
    if (!sim_model_observe(&c, &opt, &obs)) {
        error_line(a, "the model could not be started (out of memory)", true);
    } else {
        emit_obs(a, &sc, &obs);
    }
    sim_obs_fini(&obs);
    sim_compiled_free(&c);
    sim_scenario_free(&sc);
}

/* ---- input ------------------------------------------------------------------------------ */

static void on_source(model_agent *a, const conf_msg *m)
{
    assert(model_validate(a));
    assert(m != NULL && m->type == CONF_MSG_SOURCE);
    size_t len = 0;
    const char *text = conf_json_text(&m->doc, conf_msg_get(m, "text"), &len);
    if (a->source_done || a->source.len + len > ((size_t)1 << 20)) {
        error_line(a, "source: too long, or sent twice", true);
        exit(2);
    }
    base_buf_append(&a->source, text, len);
    if (a->source.failed) exit(3);
    assert(a->source.len <= ((size_t)1 << 20));
    snprintf(a->file, sizeof a->file, "%s", conf_msg_str(m, "file"));
    a->source_done = conf_msg_bool(m, "last", false);
}

static void on_command(model_agent *a, const conf_msg *m)
{
    assert(model_validate(a));
    assert(m != NULL && m->type == CONF_MSG_COMMAND);
    conf_step s;
    char err[200];
    if (!conf_step_read(&m->doc, conf_msg_get(m, "step"), &a->arena, &s, err, sizeof err)) {
        error_line(a, err, false);
        return;
    }
    if (a->command_count >= MAX_COMMANDS) return;
    if (a->command_count % 1024 == 0) {
        command *grown = realloc(a->commands, ((size_t)a->command_count + 1024) * sizeof *grown);
        if (grown == NULL) exit(3);
        a->commands = grown;
    }
    command *c = &a->commands[a->command_count++];
    snprintf(c->process, sizeof c->process, "%s", conf_msg_str(m, "process"));
    snprintf(c->thread, sizeof c->thread, "%s", conf_msg_str(m, "thread"));
    c->ref = s.ref;
    c->op = s.op;
    assert(a->command_count <= MAX_COMMANDS && c->op != CONF_OP_NONE); /* conf_step_read's */
}

static void on_program(model_agent *a, const conf_msg *m)
{
    assert(model_validate(a));
    assert(m != NULL && m->type == CONF_MSG_PROGRAM);
    const conf_jnode *steps = conf_json_node(&m->doc, conf_msg_get(m, "steps"));
    char err[200];
    for (uint32_t v = steps->first; v != CONF_JSON_NONE; v = conf_json_node(&m->doc, v)->next) {
        conf_step s;
        if (!conf_step_read(&m->doc, v, &a->arena, &s, err, sizeof err)) {
            error_line(a, err, false);
            return;
        }
    }
}

static bool handle(model_agent *a, const char *line, size_t len)
{
    assert(model_validate(a));
    assert(line != NULL && len > 0 && line[len - 1] == '\n'); /* main cuts at newlines */
    a->line++;
    conf_msg m;
    char err[200];
    bool go_on = true;
    if (!conf_msg_decode(line, len, CONF_TO_AGENT, &m, err, sizeof err)) {
        char text[260];
        snprintf(text, sizeof text, "line %llu rejected: %s", (unsigned long long)a->line, err);
        error_line(a, text, false);
    } else if (m.type != CONF_MSG_HELLO && !a->hello) {
        error_line(a, "the first line must be hello", false);
    } else {
        switch (m.type) {
        case CONF_MSG_HELLO:
            if (conf_msg_int(&m, "protocol", 0) != CONF_PROTO_VERSION) {
                error_line(a, "unsupported protocol version (this agent speaks 1)", true);
                exit(2);
            }
            snprintf(a->profile, sizeof a->profile, "%s", conf_msg_str(&m, "profile") ? conf_msg_str(&m, "profile") : "");
            a->seed = (uint64_t)conf_msg_int(&m, "seed", 1);
            a->hello = true;
            hello_line(a);
            break;
        case CONF_MSG_SOURCE: on_source(a, &m); break;
        case CONF_MSG_COMMAND: on_command(a, &m); break;
        case CONF_MSG_PROGRAM: on_program(a, &m); break;
        case CONF_MSG_START:
            run_world(a);
            go_on = false;
            break;
        default: break; /* processes, blobs, closes: the source says it all */
        }
    }
    conf_msg_fini(&m);
    return go_on;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: %s  (a world agent: speaks docs/agent-protocol.md on stdin/stdout)\n", argv[0]);
        return 2;
    }
    assert(argc >= 1 && argv != NULL);
    model_agent a;
    memset(&a, 0, sizeof a);
    a.seed = 1;
    assert(model_validate(&a));
    base_arena_init(&a.arena, (size_t)256 << 20);
    if (!conf_jw_init(&a.w)) return 3;
    size_t cap = CONF_JSON_MAX_LINE + 65536, len = 0;
    char *buf = malloc(cap);
    bool skipping = false, go_on = true;
    while (buf != NULL && go_on) {
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
        if (n <= 0) break;
        size_t start = 0, old = len;
        len += (size_t)n;
        for (size_t i = old; i < len && go_on; i++) {
            if (buf[i] != '\n') continue;
            if (!skipping) go_on = handle(&a, buf + start, i + 1 - start);
            skipping = false;
            start = i + 1;
        }
        assert(start <= len);
        memmove(buf, buf + start, len - start);
        len -= start;
        if (len >= CONF_JSON_MAX_LINE) {
            error_line(&a, "a line longer than 1 MiB was rejected", false);
            skipping = true;
            len = 0;
        }
    }
    fflush(stdout);
    free(buf);
    base_buf_fini(&a.source);
    free(a.commands);
    base_arena_fini(&a.arena);
    base_jw_fini(&a.w);
    return 0;
}
