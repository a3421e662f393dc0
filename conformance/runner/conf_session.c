/*
 * conf_session.c — one real run of one scenario against agents.
 *
 * Plan: one agent process per scenario process incarnation (the first,
 * plus one per `restart` fault), or one world agent for the whole
 * scenario. All of them are spawned and handshaken before the scenario's
 * time zero, because exec, dynamic linking and the handshake take
 * milliseconds the scenario's timeline does not have; a scenario process
 * "starts" when its agent is told to start (a pre-spawned idle agent has
 * made no CF call, so nothing CF-visible exists before that). Each agent
 * gets hello, its process, every program, and all its threads' commands
 * (pipelined: the runner never waits for an answer to send the next
 * command), then `start` with the runner's epoch on the host clock.
 *
 * Timeline: agents start at their process's start time; `crash` faults
 * are a real SIGKILL of the agent's process group at the fault time;
 * `restart` kills the live incarnation and starts the next. The run ends
 * when every agent has exited, or at the planned end (the model's end
 * time, plus slack; exactly the time limit when the model hit it), when
 * the remaining agents are killed and their open calls count as blocked.
 *
 * On every path — pass, failure, an agent that dies, hangs or sends
 * garbage, a handshake that never comes, SIGINT/SIGTERM — every agent's
 * process group is killed and reaped before conf_run_scenario returns.
 */
#define _POSIX_C_SOURCE 200809L
#include "conf_runner.h"

#include "base_alloc.h"
#include "sim_load.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORLD_PROCESS UINT16_MAX
#define READ_CHUNK ((size_t)65536)
#define ERR_TAIL 2048u
#define START_LEAD_NS (30 * CM_NS_PER_MS)
#define LATE_START_NS (2 * CM_NS_PER_MS) /* real: a process that began later is reported */
#define POLL_MAX_MS 50
#define JITTER_PROBE_MS 2 /* while a scenario runs the runner wakes at least this often */
#define MAX_AGENTS 128u

typedef struct open_exec {
    int64_t exec;
    uint32_t step;
    uint16_t thread; /* where it was called */
} open_exec;

/*
 * An agent's life, one state at a time: spawned, greeted (its hello read),
 * running (start sent), done. agent_set_state makes every move and checks it
 * against agent_moves; how it ended and what it announced are kept beside.
 */
typedef enum agent_state {
    AG_NEW = 0,     /* not spawned yet */
    AG_SPAWNED = 1, /* its declarations sent; no hello yet */
    AG_GREETED = 2, /* its hello read: ready to start */
    AG_RUNNING = 3, /* start sent: its process runs */
    AG_DONE = 4,    /* exited, died or killed; reaped or being reaped */
    AG_STATE_COUNT
} agent_state;

static const bool agent_moves[AG_STATE_COUNT][AG_STATE_COUNT] = {
    [AG_NEW] = {[AG_SPAWNED] = true},
    [AG_SPAWNED] = {[AG_GREETED] = true, [AG_DONE] = true},
    [AG_GREETED] = {[AG_RUNNING] = true, [AG_DONE] = true},
    [AG_RUNNING] = {[AG_DONE] = true},
};

typedef enum agent_said {
    AG_SAID_NOTHING = 0,
    AG_SAID_CRASH = 1, /* a crash event: it is about to die by SIGKILL */
    AG_SAID_EXIT = 2,  /* an exit event: it is about to end normally */
} agent_said;

typedef struct agent_proc {
    uint16_t index;
    uint16_t process; /* WORLD_PROCESS for a world agent */
    uint32_t incarnation;
    int64_t start_ns; /* virtual */
    conf_child child;
    uint8_t state;      /* agent_state */
    uint8_t done_from;  /* AG_DONE: the state it ended from */
    uint8_t said;       /* agent_said: its last word about its end */
    bool killed;        /* AG_DONE: the runner killed it */
    bool eof;           /* its stdout reached end of file (drained) */
    int64_t last_t_ns;  /* virtual time of its latest line */
    int64_t sent_start_real_ns; /* relative to the epoch, for local clocks */
    char *in;
    size_t in_len;
    bool skipping;
    base_buf out;   /* lines for the agent's stdin (zeroed: empty, no cap) */
    size_t out_off; /* written so far */
    char err_tail[ERR_TAIL];
    size_t err_len;
    uint64_t lines;
    uint64_t calls;
    int64_t first_call_ns; /* virtual */
    conf_agent_info info;
    open_exec *open;
    uint32_t open_count;
    uint32_t open_cap;
    uint32_t raised[CM_SIGNAL_MAX]; /* signals this agent raised (it counts them itself) */
} agent_proc;

typedef struct session {
    const sim_scenario *sc;
    const conf_model *model;
    const conf_options *opt;
    const conf_agent_info *info;
    conf_run *run;
    bool world;
    double scale; /* real per virtual, for this run's agents */
    agent_proc *procs;
    uint32_t proc_count;
    conf_observer obs;
    base_jw w;
    char run_dir[PATH_MAX];
    char env_a[PATH_MAX + 64];
    char env_b[PATH_MAX + 64];
    char *env[3];
    int64_t epoch;          /* host monotonic ns of virtual time 0 */
    int64_t planned_end_ns; /* virtual */
    int64_t hard_deadline;  /* host monotonic */
    uint32_t *blob_data;    /* [step] blob id of its data, or SIM_NONE */
    uint32_t *blob_name;
    uint32_t blob_count;
    bool aborted;
    bool world_ended;
    int64_t worst_wake_late_ns; /* real: how late the runner's own poll timeouts fired */
    int64_t end_ns; /* virtual */
    const char *end_reason;
    uint32_t *fault_order; /* faults sorted by time (those on a signal last) */
    int64_t *fault_due;    /* [fault] host time it is due; INT64_MAX: on a signal not raised yet */
    bool *fault_fired;     /* [fault] */
    uint32_t signal_total[CM_SIGNAL_MAX]; /* raises of each signal, all agents */
} session;

/* ---- invariants ------------------------------------------------------------------------ */

/* A session past its set-up (run_init): its inputs, a positive time scale, at most
 * MAX_AGENTS agents (one for a world), the faults not yet run. O(1). */
static bool session_validate(const session *s)
{
    if (s == NULL || s->sc == NULL || s->model == NULL || s->opt == NULL || s->info == NULL) return false;
    if (s->run == NULL || s->run->step_count != s->sc->step_count) return false;
    if (!(s->scale > 0) || s->world != s->info->world) return false;
    if (s->proc_count > MAX_AGENTS || (s->proc_count > 0 && s->procs == NULL)) return false;
    if (s->world && s->proc_count > 1) return false;
    return s->fault_order == NULL || (s->fault_due != NULL && s->fault_fired != NULL); /* planned together */
}

/* An agent as the session keeps it: its own slot, a scenario process (the world in a world
 * session), a known state (done from a spawned one), buffers within their capacities. O(1):
 * asserted on every line an agent sends. */
static bool agent_validate(const session *s, const agent_proc *p)
{
    if (s == NULL || p == NULL || p->index >= s->proc_count || &s->procs[p->index] != p) return false;
    if (s->world ? p->process != WORLD_PROCESS : p->process >= s->sc->process_count) return false;
    if (p->state >= AG_STATE_COUNT || p->said > AG_SAID_EXIT || p->incarnation == 0) return false;
    if (p->state == AG_DONE && (p->done_from == AG_NEW || p->done_from == AG_DONE)) return false;
    if (p->out_off > p->out.len || p->out.len > p->out.capacity) return false;
    if (p->open_count > p->open_cap || p->err_len > ERR_TAIL) return false;
    return p->in_len <= CONF_JSON_MAX_LINE + READ_CHUNK;
}

/* ---- agent life cycle ----------------------------------------------------------------- */

static void agent_set_state(agent_proc *p, agent_state to)
{
    assert(p->state < AG_STATE_COUNT && to < AG_STATE_COUNT);
    assert(agent_moves[p->state][to]);
    if (to == AG_DONE) p->done_from = p->state;
    p->state = (uint8_t)to;
}

/* Spawned and not done: its pipes are open and it may still write. */
static bool agent_live(const agent_proc *p)
{
    return p->state != AG_NEW && p->state != AG_DONE;
}

/* It said hello at some point (it may have ended since). */
static bool agent_greeted(const agent_proc *p)
{
    uint8_t at = p->state == AG_DONE ? p->done_from : p->state;
    return at >= AG_GREETED;
}

/* It was started at some point (it may have ended since). */
static bool agent_started(const agent_proc *p)
{
    uint8_t at = p->state == AG_DONE ? p->done_from : p->state;
    return at == AG_RUNNING;
}

/* ---- issues --------------------------------------------------------------------------- */

void conf_run_issue(conf_run *r, uint8_t kind, uint32_t step, int64_t t_ns, const char *message,
                    const char *observed)
{
    assert(r != NULL && message != NULL);
    assert(r->issue_count == 0 || r->issues != NULL);
    assert(step == SIM_NONE || step < r->step_count);
    conf_issue *grown = realloc(r->issues, ((size_t)r->issue_count + 1) * sizeof *grown);
    if (grown == NULL) return;
    r->issues = grown;
    conf_issue *i = &r->issues[r->issue_count++];
    i->kind = kind;
    i->step = step;
    i->t_ns = t_ns;
    i->message = sim_strdup(message);
    i->observed = observed != NULL ? sim_strdup(observed) : NULL;
}

static const char *proc_name(const session *s, const agent_proc *p)
{
    return p->process == WORLD_PROCESS ? "the world" : s->sc->processes[p->process].name;
}

static void issue(session *s, const agent_proc *p, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void issue(session *s, const agent_proc *p, bool fatal, const char *fmt, ...)
{
    assert(s != NULL && fmt != NULL);
    assert(p == NULL || agent_validate(s, p));
    char text[768];
    int n = 0;
    if (p != NULL) {
        n = snprintf(text, sizeof text, "agent for %s%s (incarnation %u): ", p->process == WORLD_PROCESS ? "" : "process ",
                     proc_name(s, p), p->incarnation);
        assert(n > 0 && (size_t)n < sizeof text); /* names are within CM_LIMIT_NAME_BYTES */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    va_end(ap);
    char tail[ERR_TAIL + 32];
    tail[0] = '\0';
    if (p != NULL && p->err_len > 0) {
        size_t off = 0;
        for (size_t i = 0; i < p->err_len && off + 5 < sizeof tail; i++) {
            unsigned char c = (unsigned char)p->err_tail[i];
            if (c == '\n') {
                tail[off++] = '|';
            } else if (c >= 0x20 && c < 0x7f) {
                tail[off++] = (char)c;
            } else {
                off += (size_t)snprintf(tail + off, sizeof tail - off, "\\x%02x", c);
            }
        }
        tail[off] = '\0';
    }
    conf_run_issue(s->run, SIM_FAIL_RUN, SIM_NONE, SIM_RESULT_NO_TIME, text,
                   tail[0] ? tail : NULL);
    if (fatal) s->aborted = true;
}

/* ---- output to agents ----------------------------------------------------------------------- */

static void queue_bytes(session *s, agent_proc *p, const char *bytes, size_t len)
{
    assert(agent_validate(s, p));
    assert(bytes != NULL && len > 0);
    base_buf_append(&p->out, bytes, len);
    if (p->out.failed) issue(s, p, true, "the runner ran out of memory");
    assert(p->out.failed || p->out.len <= p->out.capacity);
}

static void line_begin(session *s, const char *type)
{
    base_jw_begin(&s->w);
    base_jw_key(&s->w, "type");
    base_jw_cstr(&s->w, type);
}

static void log_line(const session *s, const agent_proc *p, const char *arrow, const char *line, size_t len)
{
    if (s->opt->protocol_log == NULL) return;
    fprintf(s->opt->protocol_log, "%s#%u %s %.*s%s", proc_name(s, p), p->incarnation, arrow, (int)len, line,
            len > 0 && line[len - 1] == '\n' ? "" : "\n");
}

static void line_end(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    size_t len = 0;
    const char *line = base_jw_end(&s->w, &len);
    if (line == NULL) {
        issue(s, p, true, "the runner could not encode a protocol line (too long?)");
        return;
    }
    assert(len > 0 && len <= CONF_JSON_MAX_LINE && line[len - 1] == '\n'); /* conf_jw_end's */
    log_line(s, p, "<-", line, len);
    queue_bytes(s, p, line, len);
}

static void flush_out(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    while (p->out_off < p->out.len && p->child.in_fd >= 0) {
        ssize_t n = write(p->child.in_fd, p->out.data + p->out_off, p->out.len - p->out_off);
        if (n > 0) {
            p->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        p->out_off = p->out.len; /* the agent is gone; its death is noticed on its stdout */
        return;
    }
    if (p->out_off == p->out.len) {
        p->out_off = 0;
        base_buf_clear(&p->out);
    }
    (void)s;
    assert(p->out_off <= p->out.len); /* exit: what is left is still queued */
}

/* ---- steps and data -------------------------------------------------------------------------- */

static const char *mode_name(const sim_scenario *sc, uint32_t index)
{
    assert(sc != NULL);
    assert(sc->mode_count == 0 || sc->modes != NULL);
    if (index == SIM_NONE) return NULL;
    if (index == CM_MODE_DEFAULT) return "default";
    if (index == CM_MODE_COMMON) return "common";
    return index - 2 < sc->mode_count ? sc->modes[index - 2] : NULL;
}

static conf_data data_of(const sim_data *d, uint32_t blob)
{
    assert(d != NULL);
    assert(blob == SIM_NONE || (d->kind == SIM_DATA_BYTES && d->len > CONF_DATA_INLINE_MAX)); /* blob_for */
    if (blob != SIM_NONE) return (conf_data){.kind = CONF_DATA_BLOB, .blob = blob};
    switch (d->kind) {
    case SIM_DATA_BYTES:
        return (conf_data){.kind = CONF_DATA_BYTES, .bytes = d->bytes, .len = d->len, .size = d->len};
    case SIM_DATA_SIZE: return (conf_data){.kind = CONF_DATA_SIZE, .size = d->size};
    default: return (conf_data){.kind = CONF_DATA_NULL};
    }
}

static int64_t scaled(const session *s, int64_t ns)
{
    assert(s != NULL && s->scale > 0);
    if (ns == CM_DURATION_FOREVER || ns == CM_DURATION_NAN) return ns;
    double v = (double)ns * s->scale;
    if (v >= 9.0e18) return CM_DURATION_FOREVER - 1;
    if (v <= -9.0e18) return CM_DURATION_NAN + 1;
    assert((v >= 0) == (ns >= 0)); /* exit: scaling keeps the sign (positive scale) */
    return (int64_t)v;
}

static conf_step step_of(const session *s, uint32_t index)
{
    assert(session_validate(s));
    assert(index < s->sc->step_count);
    assert(s->blob_data != NULL && s->blob_name != NULL); /* plan_blobs */
    const sim_scenario *sc = s->sc;
    const sim_step *st = &sc->steps[index];
    conf_step c;
    memset(&c, 0, sizeof c);
    c.ref = index;
    c.op = (st->op == CM_OP_SLEEP && (st->flags & CM_OPF_WORK)) ? CONF_OP_WORK
                                                               : conf_op_by_keyword(sim_op_keyword(st->op));
    if (st->port.index == SIM_VAR_SELF) {
        c.port = "self";
    } else if (st->port.index < sc->var_count) {
        c.port = sc->vars[st->port.index];
    }
    c.has_name = st->has_name || st->op == CM_OP_CREATE_LOCAL || st->op == CM_OP_CREATE_LOCAL_PER_PID;
    c.name = data_of(&st->name, s->blob_name[index]);
    c.program = st->target.name;
    c.process = st->process.name;
    c.thread = st->thread.name;
    c.queue = st->queue.name;
    c.mode = mode_name(sc, st->mode.index);
    bool needs_mode = st->op == CM_OP_SCHEDULE || st->op == CM_OP_ADD_SOURCE || st->op == CM_OP_REMOVE_SOURCE ||
                      st->op == CM_OP_RUN_IN_MODE || st->op == CM_OP_ADD_TIMER;
    if (c.mode == NULL && needs_mode) c.mode = "default";
    c.msgid = st->msgid;
    c.data = data_of(&st->data, s->blob_data[index]);
    c.t1_ns = scaled(s, st->t1_ns);
    c.t2_ns = scaled(s, st->t2_ns);
    c.info = st->info;
    bool create = st->op == CM_OP_CREATE_LOCAL || st->op == CM_OP_CREATE_LOCAL_PER_PID;
    c.ctx_retain = create && (st->flags & CM_OPF_CTX_RETAIN);
    c.ctx_release = create && (st->flags & CM_OPF_CTX_RELEASE);
    c.ctx_copy_description = create && (st->flags & CM_OPF_CTX_COPYDESC);
    c.no_return_data = st->op == CM_OP_SEND && (st->flags & CM_OPF_NO_RETURN_DATA);
    c.malformed = st->op == CM_OP_SEND && (st->flags & CM_OPF_MALFORMED);
    c.return_after_source = st->op == CM_OP_RUN_IN_MODE && (st->flags & CM_OPF_RETURN_AFTER_SOURCE);
    c.echo = st->op == CM_OP_REPLY && (st->flags & CM_OPF_REPLY_ECHO);
    c.signal = st->signal.name;
    c.count = st->count;
    assert(c.op != CONF_OP_NONE && c.op < CONF_OP_COUNT); /* every operation has a keyword */
    if (st->has_when) { /* inline: the loader keeps when data within CONF_DATA_INLINE_MAX */
        c.when = (uint8_t)((st->when.has_msgid ? CM_WHEN_MSGID : 0) | (st->when.has_data ? CM_WHEN_DATA : 0) |
                           (st->when.has_size ? CM_WHEN_SIZE : 0));
        c.when_msgid = st->when.msgid;
        c.when_data = data_of(&st->when.data, SIM_NONE);
        c.when_size = st->when.size_bytes;
    }
    return c;
}

static uint32_t blob_for(session *s, const sim_data *d)
{
    return d->kind == SIM_DATA_BYTES && d->len > CONF_DATA_INLINE_MAX ? s->blob_count++ : SIM_NONE;
}

static bool plan_blobs(session *s)
{
    assert(s != NULL && s->sc != NULL);
    assert(s->blob_data == NULL && s->blob_count == 0); /* planned once */
    const sim_scenario *sc = s->sc;
    s->blob_data = malloc(((size_t)sc->step_count + 1) * sizeof *s->blob_data);
    s->blob_name = malloc(((size_t)sc->step_count + 1) * sizeof *s->blob_name);
    if (s->blob_data == NULL || s->blob_name == NULL) return false;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        s->blob_data[i] = blob_for(s, &sc->steps[i].data);
        s->blob_name[i] = blob_for(s, &sc->steps[i].name);
    }
    assert(s->blob_count <= 2 * sc->step_count);
    return true;
}

static void send_blob(session *s, agent_proc *p, uint32_t id, const sim_data *d)
{
    assert(agent_validate(s, p));
    assert(id < s->blob_count);
    assert(d != NULL && d->kind == SIM_DATA_BYTES && d->len > CONF_DATA_INLINE_MAX);
    for (size_t off = 0; off < d->len; off += CONF_CHUNK_MAX) {
        size_t n = d->len - off < CONF_CHUNK_MAX ? d->len - off : CONF_CHUNK_MAX;
        base_arena scratch;
        base_arena_init(&scratch, 0);
        char *hex = conf_hex(&scratch, d->bytes + off, n);
        line_begin(s, "blob");
        base_jw_key(&s->w, "id");
        base_jw_uint(&s->w, id);
        base_jw_key(&s->w, "hex");
        base_jw_str(&s->w, hex != NULL ? hex : "", hex != NULL ? 2 * n : 0);
        line_end(s, p);
        base_arena_fini(&scratch);
    }
}

static void send_blobs(session *s, agent_proc *p)
{
    assert(agent_validate(s, p) && p->state == AG_SPAWNED);
    assert(s->blob_data != NULL && s->blob_name != NULL);
    for (uint32_t i = 0; i < s->sc->step_count; i++) {
        if (s->blob_data[i] != SIM_NONE) send_blob(s, p, s->blob_data[i], &s->sc->steps[i].data);
        if (s->blob_name[i] != SIM_NONE) send_blob(s, p, s->blob_name[i], &s->sc->steps[i].name);
    }
}

/* ---- declarations ----------------------------------------------------------------------------- */

static void send_hello(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(p->state == AG_SPAWNED);
    line_begin(s, "hello");
    base_jw *w = &s->w;
    base_jw_key(w, "protocol");
    base_jw_int(w, CONF_PROTO_VERSION);
    base_jw_key(w, "runner");
    base_jw_cstr(w, "portsim " PORTSIM_VERSION);
    base_jw_key(w, "process");
    if (p->process == WORLD_PROCESS) {
        base_jw_null(w);
    } else {
        base_jw_cstr(w, s->sc->processes[p->process].name);
    }
    base_jw_key(w, "incarnation");
    base_jw_uint(w, p->incarnation);
    base_jw_key(w, "time_scale");
    base_jw_double(w, s->scale);
    base_jw_key(w, "profile");
    base_jw_cstr(w, cm_profile_name(sim_scenario_profile_id(s->sc, s->opt->profile)));
    base_jw_key(w, "seed");
    base_jw_uint(w, s->opt->seed);
    line_end(s, p);
}

/* World agents get the scenario file itself, in chunks cut at UTF-8 character boundaries. */
static void send_source(session *s, agent_proc *p)
{
    assert(agent_validate(s, p) && p->state == AG_SPAWNED);
    assert(p->process == WORLD_PROCESS && s->world);
    uint8_t *bytes = NULL;
    size_t len = 0;
    sim_diag diag;
    sim_diag_init(&diag, s->sc->file);
    bool ok = sim_read_file(s->sc->file, (size_t)1 << 20, &bytes, &len, &diag);
    sim_diag_fini(&diag);
    if (!ok) {
        issue(s, p, true, "cannot read %s again for the world agent", s->sc->file);
        return;
    }
    size_t off = 0;
    do {
        size_t n = len - off < CONF_CHUNK_MAX ? len - off : CONF_CHUNK_MAX;
        while (off + n < len && n > 0 && (bytes[off + n] & 0xC0u) == 0x80u) n--;
        line_begin(s, "source");
        base_jw_key(&s->w, "file");
        base_jw_cstr(&s->w, s->sc->file);
        base_jw_key(&s->w, "text");
        base_jw_str(&s->w, (const char *)bytes + off, n);
        base_jw_key(&s->w, "last");
        base_jw_bool(&s->w, off + n >= len);
        line_end(s, p);
        off += n;
    } while (off < len);
    free(bytes);
}

static void send_process(session *s, agent_proc *p, uint32_t process)
{
    assert(agent_validate(s, p) && p->state == AG_SPAWNED);
    assert(process < s->sc->process_count);
    assert(p->process == WORLD_PROCESS || p->process == process);
    const sim_process *proc = &s->sc->processes[process];
    base_jw *w = &s->w;
    line_begin(s, "process");
    base_jw_key(w, "name");
    base_jw_cstr(w, proc->name);
    base_jw_key(w, "threads");
    base_jw_arr_begin(w);
    for (uint32_t t = 0; t < proc->thread_count; t++) base_jw_cstr(w, proc->threads[t].name);
    base_jw_arr_end(w);
    base_jw_key(w, "queues");
    base_jw_arr_begin(w);
    for (uint32_t q = 0; q < proc->queue_count; q++) {
        base_jw_obj_begin(w);
        base_jw_key(w, "name");
        base_jw_cstr(w, proc->queues[q].name);
        base_jw_key(w, "kind");
        base_jw_cstr(w, proc->queues[q].kind == CM_QUEUE_CONCURRENT ? "concurrent" : "serial");
        base_jw_key(w, "width");
        base_jw_uint(w, proc->queues[q].width ? proc->queues[q].width : 1);
        base_jw_obj_end(w);
    }
    base_jw_arr_end(w);
    base_jw_key(w, "modes");
    base_jw_arr_begin(w);
    for (uint32_t m = 0; m < s->sc->mode_count; m++) base_jw_cstr(w, s->sc->modes[m]);
    base_jw_arr_end(w);
    line_end(s, p);
}

static const char *program_kind_word(uint8_t kind)
{
    switch (kind) {
    case SIM_PROG_HANDLER: return "handler";
    case SIM_PROG_CALLBACK: return "callback";
    case SIM_PROG_TIMER: return "timer";
    case SIM_PROG_BLOCK: return "block";
    default: assert(kind == SIM_PROG_THREAD); return NULL; /* sim_program_kind */
    }
}

static void send_programs(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(p->state == AG_SPAWNED);
    for (uint32_t i = 0; i < s->sc->program_count; i++) {
        const sim_program *prog = &s->sc->programs[i];
        const char *kind = program_kind_word(prog->kind);
        if (kind == NULL) continue; /* thread programs travel as commands */
        line_begin(s, "program");
        base_jw_key(&s->w, "name");
        base_jw_cstr(&s->w, prog->name);
        base_jw_key(&s->w, "kind");
        base_jw_cstr(&s->w, kind);
        base_jw_key(&s->w, "steps");
        base_jw_arr_begin(&s->w);
        for (uint32_t k = 0; k < prog->step_count; k++) {
            conf_step c = step_of(s, prog->first_step + k);
            conf_step_write(&s->w, &c);
        }
        base_jw_arr_end(&s->w);
        line_end(s, p);
    }
}

static void send_commands(session *s, agent_proc *p, uint32_t process)
{
    assert(agent_validate(s, p) && p->state == AG_SPAWNED);
    assert(process < s->sc->process_count);
    assert(p->process == WORLD_PROCESS || p->process == process);
    const sim_process *proc = &s->sc->processes[process];
    int64_t id = 1;
    for (uint32_t t = 0; t < proc->thread_count; t++) {
        const sim_program *prog = &s->sc->programs[proc->threads[t].program];
        for (uint32_t k = 0; k < prog->step_count; k++) {
            line_begin(s, "command");
            base_jw_key(&s->w, "id");
            base_jw_int(&s->w, id++);
            base_jw_key(&s->w, "process");
            base_jw_cstr(&s->w, proc->name);
            base_jw_key(&s->w, "thread");
            base_jw_cstr(&s->w, proc->threads[t].name);
            base_jw_key(&s->w, "step");
            conf_step c = step_of(s, prog->first_step + k);
            conf_step_write(&s->w, &c);
            line_end(s, p);
        }
        line_begin(s, "close");
        base_jw_key(&s->w, "process");
        base_jw_cstr(&s->w, proc->name);
        base_jw_key(&s->w, "thread");
        base_jw_cstr(&s->w, proc->threads[t].name);
        line_end(s, p);
    }
}

static void send_declarations(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(p->state == AG_SPAWNED && p->out.len == 0);
    send_hello(s, p);
    if (p->process == WORLD_PROCESS) send_source(s, p);
    send_blobs(s, p);
    for (uint32_t q = 0; q < s->sc->process_count; q++) {
        if (p->process == WORLD_PROCESS || p->process == q) send_process(s, p, q);
    }
    send_programs(s, p);
    for (uint32_t q = 0; q < s->sc->process_count; q++) {
        if (p->process == WORLD_PROCESS || p->process == q) send_commands(s, p, q);
    }
    assert(p->out.len > 0 || s->aborted); /* exit: at least the hello is queued */
}

static void send_start(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(p->state == AG_GREETED);
    line_begin(s, "start");
    base_jw_key(&s->w, "process");
    if (p->process == WORLD_PROCESS) {
        base_jw_null(&s->w);
    } else {
        base_jw_cstr(&s->w, s->sc->processes[p->process].name);
    }
    base_jw_key(&s->w, "epoch_ns");
    base_jw_int(&s->w, s->epoch);
    base_jw_key(&s->w, "at_ns");
    base_jw_int(&s->w, scaled(s, p->start_ns));
    line_end(s, p);
    agent_set_state(p, AG_RUNNING);
    p->sent_start_real_ns = conf_now_ns() - s->epoch;
    flush_out(s, p);
    if (p->process != WORLD_PROCESS) { /* the runner sees the process start */
        conf_rec *r = conf_observer_add(&s->obs);
        if (r == NULL) return;
        r->kind = CONF_REC_START;
        r->t_ns = p->start_ns;
        r->agent = p->index;
        r->process = p->process;
        r->thread = UINT16_MAX;
        r->ev_kind = SIM_EV_START;
        r->code = (int32_t)p->incarnation;
    }
}

/* ---- the plan -------------------------------------------------------------------------------- */

static bool plan_agents(session *s)
{
    assert(session_validate(s));
    assert(s->procs == NULL && s->proc_count == 0); /* planned once */
    const sim_scenario *sc = s->sc;
    uint32_t n = s->world ? 1 : sc->process_count;
    for (uint32_t f = 0; !s->world && f < sc->fault_count; f++) n += sc->faults[f].kind == CM_FAULT_RESTART;
    if (n > MAX_AGENTS) {
        issue(s, NULL, true, "%u process incarnations: more agents than one real run starts (%u)", n, MAX_AGENTS);
        return false;
    }
    s->procs = calloc(n, sizeof *s->procs);
    s->fault_order = calloc((size_t)sc->fault_count + 1, sizeof *s->fault_order);
    s->fault_due = calloc((size_t)sc->fault_count + 1, sizeof *s->fault_due);
    s->fault_fired = calloc((size_t)sc->fault_count + 1, sizeof *s->fault_fired);
    if (s->procs == NULL || s->fault_order == NULL || s->fault_due == NULL || s->fault_fired == NULL) return false;
    if (s->world) {
        s->procs[0] = (agent_proc){.index = 0, .process = WORLD_PROCESS, .incarnation = 1};
        s->proc_count = 1;
        assert(agent_validate(s, &s->procs[0]));
        return true;
    }
    for (uint32_t p = 0; p < sc->process_count; p++) {
        s->procs[s->proc_count] = (agent_proc){.index = (uint16_t)s->proc_count, .process = (uint16_t)p,
                                               .incarnation = 1, .start_ns = sc->processes[p].start_ns};
        s->proc_count++;
    }
    for (uint32_t f = 0; f < sc->fault_count; f++) {
        s->fault_order[f] = f;
        s->fault_due[f] = INT64_MAX; /* timed faults' times come from fault_due() */
    }
    for (uint32_t i = 1; i < sc->fault_count; i++) { /* by time, stable */
        uint32_t v = s->fault_order[i], j = i;
        while (j > 0 && sc->faults[s->fault_order[j - 1]].at_ns > sc->faults[v].at_ns) {
            s->fault_order[j] = s->fault_order[j - 1];
            j--;
        }
        s->fault_order[j] = v;
    }
    uint32_t next_incarnation[SIM_MAX_PROCESSES];
    for (uint32_t p = 0; p < SIM_MAX_PROCESSES; p++) next_incarnation[p] = 2;
    for (uint32_t i = 0; i < sc->fault_count; i++) {
        const sim_fault *f = &sc->faults[s->fault_order[i]];
        if (f->kind != CM_FAULT_RESTART) continue;
        uint32_t p = f->process.index;
        s->procs[s->proc_count] = (agent_proc){.index = (uint16_t)s->proc_count, .process = (uint16_t)p,
                                               .incarnation = next_incarnation[p]++, .start_ns = f->at_ns};
        s->proc_count++;
    }
    assert(s->proc_count == n); /* exit: one agent per incarnation, each valid */
    for (uint32_t i = 0; i < s->proc_count; i++) assert(agent_validate(s, &s->procs[i]));
    return true;
}

static void plan_end(session *s)
{
    assert(session_validate(s));
    assert(s->model->end_ns >= 0);
    const conf_model *m = s->model;
    int64_t end = m->end_ns;
    if (!m->time_limited) {
        /* the latest of the model's runs, not only the fifo one: every outcome they allow must
         * have the time to happen (else a run loop still running is cut off as blocked) */
        if (m->latest_end_ns > end) end = m->latest_end_ns;
        int64_t slack = end / 4 > 250 * CM_NS_PER_MS ? end / 4 : 250 * CM_NS_PER_MS;
        end += slack;
    }
    s->planned_end_ns = end;
    assert(s->planned_end_ns >= m->end_ns);
}

/* ---- reading agents -------------------------------------------------------------------------- */

static int64_t virtual_of(const session *s, const agent_proc *p, int64_t t)
{
    assert(agent_validate(s, p));
    assert(s->scale > 0);
    switch (p->info.clock) {
    case CONF_CLOCK_VIRTUAL: return t;
    case CONF_CLOCK_LOCAL: t += p->sent_start_real_ns; break;
    default: break;
    }
    return (int64_t)((double)t / s->scale);
}

static uint16_t process_of(const session *s, const agent_proc *p, const conf_msg *m, bool *ok)
{
    assert(agent_validate(s, p));
    assert(m != NULL && ok != NULL);
    *ok = true;
    if (p->process != WORLD_PROCESS) return p->process;
    if (conf_msg_get(m, "process") == CONF_JSON_NONE) return UINT16_MAX; /* a world event */
    const char *name = conf_msg_str(m, "process");
    for (uint32_t i = 0; name != NULL && i < s->sc->process_count; i++) {
        if (strcmp(s->sc->processes[i].name, name) == 0) return (uint16_t)i;
    }
    *ok = false;
    return 0;
}

/* Threads: a scenario thread's name, "queue:NAME" (that queue's worker), an index, or null. */
static uint16_t thread_of(const session *s, uint16_t process, const conf_msg *m, bool *ok)
{
    assert(session_validate(s));
    assert(m != NULL && ok != NULL);
    *ok = true;
    if (process >= s->sc->process_count) return UINT16_MAX;
    const sim_process *proc = &s->sc->processes[process];
    uint16_t unknown = s->world ? UINT16_MAX : (uint16_t)(proc->thread_count + proc->queue_count);
    uint32_t v = conf_msg_get(m, "thread");
    int64_t index = 0;
    if (v == CONF_JSON_NONE || conf_json_is_null(&m->doc, v)) return unknown;
    if (conf_json_int(&m->doc, v, 0, UINT16_MAX - 1, &index)) return (uint16_t)index;
    const char *name = conf_json_str(&m->doc, v);
    for (uint32_t t = 0; name != NULL && t < proc->thread_count; t++) {
        if (strcmp(proc->threads[t].name, name) == 0) return (uint16_t)t;
    }
    if (name != NULL && strncmp(name, "queue:", 6) == 0) {
        for (uint32_t q = 0; q < proc->queue_count; q++) {
            if (strcmp(proc->queues[q].name, name + 6) == 0) return (uint16_t)(proc->thread_count + q);
        }
    }
    *ok = false;
    return unknown;
}

static bool read_data(session *s, const conf_msg *m, uint32_t node, sim_data *out)
{
    assert(session_validate(s));
    assert(m != NULL && out != NULL);
    base_arena scratch;
    base_arena_init(&scratch, 0);
    conf_data d;
    char err[128];
    bool ok = conf_data_read(&m->doc, node, &scratch, &d, err, sizeof err);
    *out = (sim_data){.kind = SIM_DATA_NULL};
    if (ok && d.kind == CONF_DATA_BYTES) {
        uint8_t *copy = base_arena_alloc(&s->obs.arena, d.len ? d.len : 1);
        if (copy != NULL && d.len) memcpy(copy, d.bytes, d.len);
        *out = (sim_data){.kind = SIM_DATA_BYTES, .bytes = copy, .len = (uint32_t)d.len, .size = (int64_t)d.len};
    } else if (ok && d.kind == CONF_DATA_SIZE) {
        *out = (sim_data){.kind = SIM_DATA_SIZE, .size = d.size};
    } else if (ok && d.kind == CONF_DATA_DIGEST) {
        *out = conf_resolve_digest(s->sc, d.size, d.digest);
    } else if (ok && d.kind == CONF_DATA_BLOB) {
        ok = false;
    }
    base_arena_fini(&scratch);
    return ok;
}

static bool open_push(agent_proc *p, int64_t exec, uint32_t step, uint16_t thread)
{
    assert(p != NULL && p->open_count <= p->open_cap);
    assert(step != SIM_NONE); /* on_call checked it */
    open_exec *grown = base_grow_array(p->open, &p->open_cap, p->open_count + 1, 32, sizeof *grown);
    if (grown == NULL) return false;
    p->open = grown;
    p->open[p->open_count++] = (open_exec){exec, step, thread};
    assert(p->open_count <= p->open_cap);
    return true;
}

static uint32_t open_take(agent_proc *p, int64_t exec)
{
    assert(p != NULL && p->open_count <= p->open_cap);
    assert(p->open_count == 0 || p->open != NULL);
    for (uint32_t i = p->open_count; i > 0; i--) {
        if (p->open[i - 1].exec != exec) continue;
        uint32_t step = p->open[i - 1].step;
        memmove(&p->open[i - 1], &p->open[i], (p->open_count - i) * sizeof *p->open);
        p->open_count--;
        return step;
    }
    return SIM_NONE;
}

static const open_exec *open_find(const agent_proc *p, int64_t exec)
{
    assert(p != NULL && p->open_count <= p->open_cap);
    for (uint32_t i = p->open_count; i > 0; i--) {
        if (p->open[i - 1].exec == exec) return &p->open[i - 1];
    }
    return NULL;
}

/* Object ids are per agent: a process-wide unique id for the checker (world agents: as is). */
static int64_t port_id(const session *s, const agent_proc *p, int64_t id)
{
    if (s->world || id < 0) return id;
    /* #1000001 is object 1 of the first agent: readable in reports, unique per run */
    return (int64_t)(p->index + 1) * INT64_C(1000000) + id % INT64_C(1000000);
}

static conf_rec *new_rec(session *s, agent_proc *p, uint8_t kind, int64_t t)
{
    assert(agent_validate(s, p));
    assert(kind >= CONF_REC_CALL && kind <= CONF_REC_DEATH);
    conf_rec *r = conf_observer_add(&s->obs);
    if (r == NULL) {
        issue(s, p, true, "too many records");
        return NULL;
    }
    r->kind = kind;
    r->agent = p->index;
    r->t_ns = virtual_of(s, p, t);
    if (r->t_ns > p->last_t_ns) p->last_t_ns = r->t_ns;
    assert(r->step == SIM_NONE && r->order + 1 == s->obs.next_order); /* exit: the newest record */
    return r;
}

static void on_call(session *s, agent_proc *p, const conf_msg *m)
{
    assert(agent_validate(s, p) && agent_greeted(p));
    assert(m != NULL && m->type == CONF_MSG_CALL);
    int64_t ref = conf_msg_int(m, "ref", -1);
    bool ok_p = true, ok_t = true;
    uint16_t process = process_of(s, p, m, &ok_p);
    if (ref < 0 || ref >= (int64_t)s->sc->step_count || !ok_p || process >= s->sc->process_count) {
        issue(s, p, true, "a call names an unknown step or process (line %llu)", (unsigned long long)p->lines);
        return;
    }
    uint16_t thread = thread_of(s, process, m, &ok_t);
    if (!ok_t) {
        issue(s, p, true, "a call names an unknown thread (line %llu)", (unsigned long long)p->lines);
        return;
    }
    int64_t exec = conf_msg_int(m, "exec", -1);
    conf_rec *r = new_rec(s, p, CONF_REC_CALL, conf_msg_int(m, "t_ns", 0));
    if (r == NULL) return;
    r->process = process;
    r->thread = thread;
    r->exec = exec;
    r->step = (uint32_t)ref;
    if (p->calls++ == 0) p->first_call_ns = r->t_ns;
    if (!open_push(p, exec, (uint32_t)ref, thread)) issue(s, p, true, "out of memory");
}

/* The "result" of a return, as sim_exec's value/info/callback/data by the step's result type. */
static bool read_result(session *s, const conf_msg *m, uint32_t step, conf_rec *r)
{
    assert(session_validate(s));
    assert(step < s->sc->step_count);
    assert(m != NULL && r != NULL && r->kind == CONF_REC_RETURN);
    const conf_jdoc *doc = &m->doc;
    uint32_t v = conf_msg_get(m, "result");
    uint8_t op = s->sc->steps[step].op;
    int64_t i64 = 0;
    bool b = false;
    switch (sim_op_result_type(op)) {
    case SIM_RT_STATUS:
    case SIM_RT_RUN:
    case SIM_RT_INT:
        if (!conf_json_int(doc, v, INT32_MIN + 3, INT32_MAX, &i64)) return false;
        r->value = (int32_t)i64;
        return true;
    case SIM_RT_CREATED:
    case SIM_RT_BOOL:
        if (!conf_json_bool(doc, v, &b)) return false;
        r->value = b;
        return true;
    case SIM_RT_NAME: return v != CONF_JSON_NONE && read_data(s, m, v, &r->data);
    case SIM_RT_INFO: {
        const char *text = conf_json_str(doc, v);
        if (text != NULL) {
            r->info = SIM_INFO_UNDEFINED;
            return strcmp(text, "undefined") == 0;
        }
        if (conf_json_is_null(doc, v)) return true;
        if (!conf_json_int(doc, v, INT32_MIN, INT32_MAX, &i64)) return false;
        r->info = i64;
        return true;
    }
    case SIM_RT_CALLBACK: {
        if (conf_json_is_null(doc, v)) return true;
        const char *name = conf_json_str(doc, v);
        for (uint32_t i = 0; name != NULL && i < s->sc->program_count; i++) {
            if (s->sc->programs[i].kind == SIM_PROG_CALLBACK && strcmp(s->sc->programs[i].name, name) == 0) {
                r->callback = i;
                return true;
            }
        }
        return false;
    }
    default:
        return v == CONF_JSON_NONE;
    }
}

/*
 * A process agent raised a signal (its signal step returned): every other
 * live agent learns the new count of raises made elsewhere, at once, so a
 * wait_for in another process ends as soon as the order it stands for holds.
 * The raiser counts its own raises, so threads of one process need no
 * round trip. World agents keep their signals inside the model.
 */
static void send_signal_counts(session *s, const agent_proc *from, uint32_t sig, const char *name);
static void arm_faults(session *s, uint32_t sig);

static void relay_signal(session *s, agent_proc *p, uint32_t step, int64_t raised_t_ns)
{
    assert(agent_validate(s, p));
    assert(step < s->sc->step_count);
    const sim_step *st = &s->sc->steps[step];
    assert(st->op == CM_OP_SIGNAL && st->signal.index < CM_SIGNAL_MAX);
    assert(!s->world);
    /* the relay's delay (the raiser's clock is the host's: both are CLOCK_MONOTONIC) */
    int64_t delay_ns = (int64_t)((double)(conf_now_ns() - s->epoch - raised_t_ns) / s->scale);
    if (p->info.clock == CONF_CLOCK_HOST && delay_ns > s->run->relay_max_ns) s->run->relay_max_ns = delay_ns;
    uint32_t sig = st->signal.index;
    s->signal_total[sig]++;
    p->raised[sig]++;
    arm_faults(s, sig);
    send_signal_counts(s, p, sig, st->signal.name);
}

/* Every live agent but from learns the count of raises of sig made outside it. */
static void send_signal_counts(session *s, const agent_proc *from, uint32_t sig, const char *name)
{
    assert(sig < CM_SIGNAL_MAX && name != NULL);
    for (uint32_t i = 0; i < s->proc_count; i++) {
        agent_proc *q = &s->procs[i];
        if (q == from || !agent_live(q) || q->eof) continue;
        line_begin(s, "signal");
        base_jw_key(&s->w, "name");
        base_jw_cstr(&s->w, name);
        base_jw_key(&s->w, "count");
        base_jw_uint(&s->w, s->signal_total[sig] - q->raised[sig]);
        line_end(s, q);
        flush_out(s, q);
    }
}

/*
 * A process agent is gone and reaped (after its hello): wait_for: {ended: P} may return now.
 * Only a reaped process has had every descriptor closed by the kernel, so every connection to
 * it has seen the end: its stdout closing, or a peer seeing one of its sockets close, comes
 * earlier, while the kernel may still be closing the others (on a busy host, for milliseconds).
 */
static void relay_end(session *s, agent_proc *p, int64_t ended_ns)
{
    assert(!s->world && p->child.exited);
    uint32_t sig = s->sc->processes[p->process].end_signal;
    if (sig >= CM_SIGNAL_MAX) return;
    int64_t delay_ns = (int64_t)((double)(conf_now_ns() - ended_ns) / s->scale);
    if (delay_ns > s->run->relay_max_ns) s->run->relay_max_ns = delay_ns;
    s->signal_total[sig]++;
    arm_faults(s, sig);
    send_signal_counts(s, p, sig, s->sc->signals[sig]);
}

static void on_return(session *s, agent_proc *p, const conf_msg *m)
{
    assert(agent_validate(s, p) && agent_greeted(p));
    assert(m != NULL && m->type == CONF_MSG_RETURN);
    int64_t exec = conf_msg_int(m, "exec", -1);
    uint32_t step = open_take(p, exec);
    if (step == SIM_NONE) {
        issue(s, p, true, "a return for an execution that is not open (line %llu)", (unsigned long long)p->lines);
        return;
    }
    conf_rec *r = new_rec(s, p, CONF_REC_RETURN, conf_msg_int(m, "t_ns", 0));
    if (r == NULL) return;
    r->exec = exec;
    r->step = step;
    r->elapsed_ns = (int64_t)((double)conf_msg_int(m, "elapsed_ns", 0) / (p->info.clock == CONF_CLOCK_VIRTUAL ? 1.0 : s->scale));
    const char *unsupported = conf_msg_str(m, "unsupported");
    if (unsupported != NULL) {
        s->run->step_flags[step] |= CONF_STEPF_UNSUPPORTED;
        if (s->run->unsupported[step] == NULL) s->run->unsupported[step] = sim_strdup(unsupported);
    } else if (conf_msg_bool(m, "unobservable", false)) {
        s->run->step_flags[step] |= CONF_STEPF_UNOBSERVABLE;
    } else if (!read_result(s, m, step, r)) {
        issue(s, p, true, "a return with a result that does not fit step %u (%s) (line %llu)", step,
              sim_op_keyword(s->sc->steps[step].op), (unsigned long long)p->lines);
        return;
    }
    int64_t port = -1;
    uint32_t pv = conf_msg_get(m, "port");
    if (conf_json_int(&m->doc, pv, 0, INT64_MAX, &port)) r->port = port_id(s, p, port);
    r->should_free_info = conf_msg_bool(m, "should_free_info", false);
    uint32_t reply = conf_msg_get(m, "reply");
    if (reply != CONF_JSON_NONE && !read_data(s, m, reply, &r->data)) {
        issue(s, p, true, "a malformed reply value (line %llu)", (unsigned long long)p->lines);
    }
    if (conf_msg_get(m, "convid") != CONF_JSON_NONE) {
        r->has_convid = true;
        r->convid = (int32_t)conf_msg_int(m, "convid", 0);
    }
    r->msg = conf_msg_int(m, "msg", -1);
    if (conf_msg_get(m, "msgid") != CONF_JSON_NONE) {
        r->has_msgid = true;
        r->msgid = (int32_t)conf_msg_int(m, "msgid", 0);
    }
    if (s->sc->steps[step].op == CM_OP_SIGNAL && !s->world) relay_signal(s, p, step, conf_msg_int(m, "t_ns", 0));
}

static int32_t reason_code(uint8_t kind, const char *reason, bool *ok)
{
    assert(ok != NULL);
    assert(kind != SIM_EV_NONE && kind < SIM_EV_KIND_COUNT); /* on_event refused others */
    *ok = true;
    if (reason == NULL) return 0;
    if (kind == SIM_EV_CRASH) {
        if (strcmp(reason, "fault") == 0) return CM_CRASH_FAULT;
        if (strcmp(reason, "op") == 0) return CM_CRASH_OP;
        if (strcmp(reason, "precondition") == 0) return CM_CRASH_PRECONDITION;
        if (strcmp(reason, "stack") == 0) return CM_CRASH_STACK;
    } else if (kind == SIM_EV_REQUEST_DROPPED) {
        if (strcmp(reason, "invalid_on_arrival") == 0) return CM_DROP_INVALID_ON_ARRIVAL;
        if (strcmp(reason, "malformed") == 0) return CM_DROP_MALFORMED;
    } else if (kind == SIM_EV_WARNING) {
        int32_t code = sim_warning_by_name(reason);
        if (code != 0) return code;
    }
    *ok = false;
    return 0;
}

static int32_t queue_code(const session *s, uint16_t process, const char *queue)
{
    assert(session_validate(s));
    assert(s->sc->process_count >= 1);
    if (queue == NULL || strcmp(queue, "main") == 0) return 0;
    if (process >= s->sc->process_count) return -1; /* a world event names no process */
    const sim_process *proc = &s->sc->processes[process];
    for (uint32_t q = 0; q < proc->queue_count; q++) {
        if (strcmp(proc->queues[q].name, queue) == 0) return (int32_t)q + 1;
    }
    return -1;
}

static bool fill_event(session *s, agent_proc *p, const conf_msg *m, conf_rec *r)
{
    assert(agent_validate(s, p));
    assert(m != NULL && m->type == CONF_MSG_EVENT);
    assert(r != NULL && r->kind == CONF_REC_EVENT && r->ev_kind != SIM_EV_NONE);
    const conf_jdoc *doc = &m->doc;
    int64_t v = 0;
    if (conf_json_int(doc, conf_msg_get(m, "port"), 0, INT64_MAX, &v)) r->port = port_id(s, p, v);
    if (conf_msg_get(m, "msgid") != CONF_JSON_NONE) {
        r->has_msgid = true;
        r->msgid = (int32_t)conf_msg_int(m, "msgid", 0);
    }
    if (conf_msg_get(m, "convid") != CONF_JSON_NONE) {
        r->has_convid = true;
        r->convid = (int32_t)conf_msg_int(m, "convid", 0);
    }
    r->msg = conf_msg_int(m, "msg", -1);
    r->code = (int32_t)conf_msg_int(m, "code", 0);
    uint32_t callout_id = conf_msg_get(m, "callout_id");
    if (callout_id != CONF_JSON_NONE) {
        bool pairs = r->ev_kind == SIM_EV_CALLOUT || r->ev_kind == SIM_EV_CALLOUT_DONE;
        if (!pairs || !conf_json_int(doc, callout_id, 1, INT64_MAX, &r->callout_id)) return false;
    }
    bool ok = true;
    const char *reason = conf_msg_str(m, "reason");
    if (reason != NULL) r->code = reason_code(r->ev_kind, reason, &ok);
    if (!ok) return false;
    if (r->ev_kind == SIM_EV_BLOCK && conf_msg_get(m, "queue") != CONF_JSON_NONE) {
        r->code = queue_code(s, r->process, conf_msg_str(m, "queue"));
        if (r->code < 0) return false;
    }
    uint32_t data = conf_msg_get(m, "data");
    if (data != CONF_JSON_NONE && !read_data(s, m, data, &r->data)) return false;
    uint32_t request = conf_msg_get(m, "request");
    if (request != CONF_JSON_NONE) {
        if (!read_data(s, m, request, &r->request)) return false;
        r->has_request = true;
    }
    r->size_bytes = -1;
    if (conf_msg_get(m, "size") != CONF_JSON_NONE &&
        !conf_json_int(doc, conf_msg_get(m, "size"), 0, CM_LIMIT_SIZE_BYTES, &r->size_bytes)) {
        return false;
    }
    const char *callback = conf_msg_str(m, "callback");
    for (uint32_t i = 0; callback != NULL && i < s->sc->program_count; i++) {
        if (strcmp(s->sc->programs[i].name, callback) == 0) r->code = (int32_t)i;
    }
    if (conf_msg_bool(m, "via_set", false)) r->ev_flags |= SIM_EVF_VIA_SET;
    uint32_t delivered = conf_msg_get(m, "delivered"), done = conf_msg_get(m, "done");
    if (delivered != CONF_JSON_NONE || done != CONF_JSON_NONE) {
        r->flags_given = true;
        if (conf_msg_bool(m, "delivered", false)) r->ev_flags |= SIM_EVF_DELIVERED;
        if (conf_msg_bool(m, "done", false)) r->ev_flags |= SIM_EVF_DONE;
    }
    int64_t step = conf_msg_int(m, "step", -1);
    r->step = step >= 0 && step < (int64_t)s->sc->step_count ? (uint32_t)step : SIM_NONE;
    const char *note = conf_msg_str(m, "note");
    if (note != NULL) r->note = base_arena_strdup(&s->obs.arena, note);
    if (r->ev_kind == SIM_EV_CRASH) p->said = AG_SAID_CRASH;
    if (r->ev_kind == SIM_EV_EXIT) p->said = AG_SAID_EXIT;
    return true;
}

static void on_event(session *s, agent_proc *p, const conf_msg *m)
{
    assert(agent_validate(s, p) && agent_greeted(p));
    assert(m != NULL && m->type == CONF_MSG_EVENT);
    const char *kind = conf_msg_str(m, "kind");
    uint8_t ev_kind = sim_event_kind_by_name(kind);
    bool ok_p = true, ok_t = true;
    uint16_t process = process_of(s, p, m, &ok_p);
    if (ev_kind == SIM_EV_NONE || !ok_p) {
        issue(s, p, true, "an event of unknown kind or process (line %llu)", (unsigned long long)p->lines);
        return;
    }
    uint16_t thread = thread_of(s, process, m, &ok_t);
    conf_rec *r = new_rec(s, p, CONF_REC_EVENT, conf_msg_int(m, "t_ns", 0));
    if (r == NULL) return;
    r->process = process;
    r->thread = thread;
    r->ev_kind = ev_kind;
    if (!ok_t || !fill_event(s, p, m, r)) {
        issue(s, p, true, "a malformed %s event (line %llu)", kind, (unsigned long long)p->lines);
    }
}

static void on_hello(session *s, agent_proc *p, const conf_msg *m)
{
    assert(agent_validate(s, p));
    assert(m != NULL && m->type == CONF_MSG_HELLO);
    char err[200];
    if (agent_greeted(p)) {
        issue(s, p, true, "a second hello");
        return;
    }
    if (!conf_agent_info_read(m, &p->info, err, sizeof err)) {
        issue(s, p, true, "%s", err);
        return;
    }
    if (p->info.world != s->world) {
        issue(s, p, true, "said world=%s, unlike its first hello", p->info.world ? "true" : "false");
        return;
    }
    agent_set_state(p, AG_GREETED);
    assert(conf_agent_info_validate(&p->info)); /* exit: conf_agent_info_read's */
}

static void on_end(session *s, agent_proc *p, const conf_msg *m)
{
    assert(agent_validate(s, p) && agent_greeted(p));
    assert(m != NULL && m->type == CONF_MSG_END);
    if (p->process != WORLD_PROCESS) {
        issue(s, p, true, "sent end, which only world agents send");
        return;
    }
    s->world_ended = true;
    s->end_ns = conf_msg_int(m, "t_ns", 0);
    const char *reason = conf_msg_str(m, "reason");
    static const char *const reasons[] = {"quiescent", "time_limit", "event_budget", "error", "none"};
    s->end_reason = "none";
    for (size_t i = 0; reason != NULL && i < sizeof reasons / sizeof reasons[0]; i++) {
        if (strcmp(reason, reasons[i]) == 0) s->end_reason = reasons[i];
    }
    const char *hash = conf_msg_str(m, "trace_hash");
    if (hash != NULL) {
        s->run->trace_hash = strtoull(hash, NULL, 16);
        s->run->has_trace_hash = true;
    }
    s->run->events = (uint64_t)conf_msg_int(m, "events", 0);
}

/*
 * The agent's process crashed by a signal inside the CF call of an open execution (the line its
 * signal handler wrote before dying of it): a real CF crashes on a broken precondition (R13,
 * R38, R40), so this is that step's crash with reason precondition, closing the process's open
 * calls as killed, and judged like any outcome: it passes where the model crashes too, and
 * fails as an outcome the model does not allow where it does not. A crash line naming no open
 * execution is the agent's own failure; a death with no line stays "died unexpectedly".
 */
static void on_crashed(session *s, agent_proc *p, const conf_msg *m)
{
    assert(agent_validate(s, p) && agent_greeted(p));
    assert(m != NULL && m->type == CONF_MSG_CRASHED);
    int64_t exec = conf_msg_int(m, "exec", -1);
    const char *signal_name = conf_msg_str(m, "signal");
    const open_exec *o = s->world ? NULL : open_find(p, exec);
    if (o == NULL) {
        issue(s, p, true, "reported a crash (%.16s) in execution %lld, which is not open (line %llu)",
              signal_name != NULL ? signal_name : "?", (long long)exec, (unsigned long long)p->lines);
        return;
    }
    uint32_t step = o->step;
    assert(step < s->sc->step_count); /* on_call checked the ref */
    conf_rec *r = new_rec(s, p, CONF_REC_EVENT, conf_msg_int(m, "t_ns", 0));
    if (r == NULL) return;
    r->process = p->process;
    r->thread = o->thread;
    r->ev_kind = SIM_EV_CRASH;
    r->code = CM_CRASH_PRECONDITION;
    r->step = step;
    r->size_bytes = -1;
    char how[64];
    snprintf(how, sizeof how, "crashed with %.16s inside its CF call", signal_name != NULL ? signal_name : "?");
    r->note = base_arena_strdup(&s->obs.arena, how);
    if (s->run->crashes[step] == NULL) s->run->crashes[step] = sim_strdup(how);
    p->said = AG_SAID_CRASH;
}

static void handle_line(session *s, agent_proc *p, const char *line, size_t len)
{
    assert(agent_validate(s, p));
    assert(line != NULL && len > 0 && line[len - 1] == '\n'); /* read_out cuts at newlines */
    p->lines++;
    log_line(s, p, "->", line, len > 4096 ? 4096 : len);
    conf_msg m;
    char err[200];
    if (!conf_msg_decode(line, len, CONF_TO_RUNNER, &m, err, sizeof err)) {
        issue(s, p, true, "sent a malformed line %llu: %s", (unsigned long long)p->lines, err);
        conf_msg_fini(&m);
        return;
    }
    if (!agent_greeted(p) && m.type != CONF_MSG_HELLO && m.type != CONF_MSG_ERROR && m.type != CONF_MSG_LOG) {
        issue(s, p, true, "sent %s before hello", conf_msg_type_name(m.type));
    } else {
        switch (m.type) {
        case CONF_MSG_HELLO: on_hello(s, p, &m); break;
        case CONF_MSG_CALL: on_call(s, p, &m); break;
        case CONF_MSG_RETURN: on_return(s, p, &m); break;
        case CONF_MSG_EVENT: on_event(s, p, &m); break;
        case CONF_MSG_END: on_end(s, p, &m); break;
        case CONF_MSG_CRASHED: on_crashed(s, p, &m); break;
        case CONF_MSG_ERROR:
            issue(s, p, conf_msg_bool(&m, "fatal", false), "reported an error: %s", conf_msg_str(&m, "message"));
            break;
        case CONF_MSG_LOG:
            if (s->opt->verbose) fprintf(stderr, "  [%s] %s\n", proc_name(s, p), conf_msg_str(&m, "message"));
            break;
        default: break;
        }
    }
    conf_msg_fini(&m);
}

/* Reads what the agent's stdout has; false at end of file. */
static bool read_out(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(agent_live(p) && p->child.out_fd >= 0);
    size_t cap = CONF_JSON_MAX_LINE + READ_CHUNK;
    if (p->in == NULL && (p->in = malloc(cap)) == NULL) {
        issue(s, p, true, "out of memory");
        return false;
    }
    for (int rounds = 0; rounds < 64 && !s->aborted; rounds++) {
        ssize_t n = read(p->child.out_fd, p->in + p->in_len, cap - p->in_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return true; /* EAGAIN: nothing more now */
        if (n == 0) return false;
        size_t old = p->in_len;
        p->in_len += (size_t)n;
        size_t start = 0;
        for (size_t i = old; i < p->in_len && !s->aborted; i++) {
            if (p->in[i] != '\n') continue;
            if (!p->skipping) handle_line(s, p, p->in + start, i + 1 - start);
            p->skipping = false;
            start = i + 1;
        }
        memmove(p->in, p->in + start, p->in_len - start);
        p->in_len -= start;
        if (p->in_len >= CONF_JSON_MAX_LINE) {
            issue(s, p, true, "sent a line longer than %zu bytes", CONF_JSON_MAX_LINE);
            p->in_len = 0;
            p->skipping = true;
        }
    }
    assert(p->in_len < CONF_JSON_MAX_LINE); /* exit: at most a partial line is kept */
    return true;
}

static void read_err(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(p->child.err_fd >= 0);
    char buf[4096];
    for (int rounds = 0; rounds < 64; rounds++) {
        ssize_t n = read(p->child.err_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        if (s->opt->verbose) fprintf(stderr, "  [%s stderr] %.*s", proc_name(s, p), (int)n, buf);
        for (ssize_t i = 0; i < n; i++) { /* keep the last ERR_TAIL bytes */
            if (p->err_len == ERR_TAIL) {
                memmove(p->err_tail, p->err_tail + ERR_TAIL / 2, ERR_TAIL / 2);
                p->err_len = ERR_TAIL / 2;
            }
            p->err_tail[p->err_len++] = buf[i];
        }
    }
    assert(p->err_len <= ERR_TAIL);
}

/* ---- agent deaths ------------------------------------------------------------------------------ */

static void record_death(session *s, agent_proc *p, int32_t code, int64_t at_ns)
{
    assert(agent_validate(s, p));
    assert(agent_started(p)); /* a process the runner saw start */
    conf_rec *r = conf_observer_add(&s->obs);
    if (r == NULL) return;
    r->kind = CONF_REC_DEATH;
    r->t_ns = at_ns > p->last_t_ns ? at_ns : p->last_t_ns;
    r->agent = p->index;
    r->process = p->process;
    r->thread = UINT16_MAX;
    r->ev_kind = SIM_EV_CRASH;
    r->code = code;
}

/* Drains what a dead agent wrote before it died. */
static void drain(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(agent_live(p));
    if (p->child.out_fd >= 0 && !p->eof) {
        while (!s->aborted && read_out(s, p)) {
            struct pollfd pfd = {.fd = p->child.out_fd, .events = POLLIN};
            if (poll(&pfd, 1, 0) <= 0) break;
        }
        p->eof = true;
    }
    if (p->child.err_fd >= 0) read_err(s, p);
}

static void kill_agent(session *s, agent_proc *p, int32_t crash_code, int64_t at_ns)
{
    assert(agent_validate(s, p));
    if (!agent_live(p)) return;
    int64_t killed_ns = conf_now_ns();
    conf_child_terminate(&p->child);
    drain(s, p);
    agent_set_state(p, AG_DONE);
    p->killed = true;
    assert(p->child.exited && p->eof); /* exit: reaped, drained */
    if (crash_code >= 0 && agent_started(p) && !s->world) relay_end(s, p, killed_ns); /* a fault */
    if (crash_code >= 0 && agent_started(p) && p->said == AG_SAID_NOTHING) {
        record_death(s, p, crash_code, at_ns);
    }
}

/* The agent's stdout closed: it exited or died by itself. */
static void on_eof(session *s, agent_proc *p)
{
    assert(agent_validate(s, p));
    assert(agent_live(p)); /* poll_agents skips done agents */
    p->eof = true;
    int64_t eof_ns = conf_now_ns();
    int64_t deadline = eof_ns + 2 * CM_NS_PER_S;
    while (!conf_child_try_reap(&p->child) && conf_now_ns() < deadline) {
        struct timespec ts = {0, 100000}; /* the kernel is closing its descriptors */
        nanosleep(&ts, NULL);
    }
    if (!p->child.exited) conf_child_terminate(&p->child);
    if (p->child.err_fd >= 0) read_err(s, p);
    bool started = agent_started(p);
    agent_set_state(p, AG_DONE);
    assert(p->child.exited); /* reaped or killed above */
    if (started && !s->world) relay_end(s, p, eof_ns);
    int64_t now_v = (int64_t)((double)(conf_now_ns() - s->epoch) / s->scale);
    if (p->said != AG_SAID_NOTHING || (s->world && s->world_ended)) return;
    char status[80];
    conf_child_status_text(p->child.status, status, sizeof status);
    if (!agent_greeted(p)) {
        issue(s, p, true, "exited before its hello (%s)", status);
        return;
    }
    issue(s, p, false, "died unexpectedly (%s)", status);
    if (agent_started(p)) record_death(s, p, 0, now_v);
}

/* ---- the timeline ------------------------------------------------------------------------------- */

static agent_proc *live_incarnation(session *s, uint32_t process)
{
    assert(session_validate(s) && !s->world);
    assert(process < s->sc->process_count);
    for (uint32_t i = 0; i < s->proc_count; i++) {
        agent_proc *p = &s->procs[i];
        if (p->process == process && p->state == AG_RUNNING) return p;
    }
    return NULL;
}

static agent_proc *next_incarnation(session *s, uint32_t process)
{
    assert(session_validate(s) && !s->world);
    assert(process < s->sc->process_count);
    for (uint32_t i = 0; i < s->proc_count; i++) {
        agent_proc *p = &s->procs[i];
        if (p->process == process && !agent_started(p) && p->incarnation > 1) return p;
    }
    return NULL;
}

static int64_t real_at(const session *s, int64_t virtual_ns)
{
    return s->epoch + (int64_t)((double)virtual_ns * s->scale);
}

/* A fault's host time: a timed one's from the epoch; one on a signal once armed (fault_due). */
static int64_t fault_due(const session *s, uint32_t f)
{
    const sim_fault *x = &s->sc->faults[f];
    return x->on.name != NULL ? s->fault_due[f] : real_at(s, x->at_ns);
}

/* Faults due by now, in time order; returns the next pending fault's host time, or INT64_MAX. */
static int64_t run_faults(session *s, int64_t now)
{
    assert(session_validate(s));
    assert(s->fault_order != NULL);
    const sim_scenario *sc = s->sc;
    int64_t next_ns = INT64_MAX;
    for (uint32_t i = 0; !s->world && i < sc->fault_count; i++) {
        uint32_t fi = s->fault_order[i];
        if (s->fault_fired[fi]) continue;
        int64_t at = fault_due(s, fi);
        if (at > now) {
            if (at < next_ns) next_ns = at;
            continue;
        }
        const sim_fault *f = &sc->faults[fi];
        s->fault_fired[fi] = true;
        int64_t at_v = f->on.name != NULL ? (int64_t)((double)(at - s->epoch) / s->scale) : f->at_ns;
        agent_proc *live = live_incarnation(s, f->process.index);
        if (live != NULL) kill_agent(s, live, CM_CRASH_FAULT, at_v);
        if (f->kind == CM_FAULT_RESTART) {
            agent_proc *next = next_incarnation(s, f->process.index);
            if (next != NULL && f->on.name != NULL) next->start_ns = at_v; /* known only now */
            if (next != NULL && next->state == AG_GREETED) send_start(s, next);
        }
    }
    return next_ns;
}

/*
 * A signal was raised for the first time (signal_total 1): the faults on it are due their
 * `after` later, from now (issue 8: a fault ordered by a fact, not a time).
 */
static void arm_faults(session *s, uint32_t sig)
{
    assert(sig < CM_SIGNAL_MAX && !s->world);
    if (s->signal_total[sig] != 1) return;
    for (uint32_t f = 0; f < s->sc->fault_count; f++) {
        const sim_fault *x = &s->sc->faults[f];
        if (x->on.name == NULL || x->on.index != sig || s->fault_due[f] != INT64_MAX) continue;
        s->fault_due[f] = conf_now_ns() + (int64_t)((double)x->after_ns * s->scale);
    }
}

/* Unfired faults that will come: timed ones, and those on a signal already raised. */
static bool faults_pending(const session *s)
{
    for (uint32_t f = 0; f < s->sc->fault_count; f++) {
        if (!s->fault_fired[f] && fault_due(s, f) != INT64_MAX) return true;
    }
    return false;
}

static bool all_done(const session *s)
{
    assert(session_validate(s));
    assert(s->proc_count >= 1);
    if (s->world) return s->procs[0].state == AG_DONE || s->world_ended;
    if (faults_pending(s)) return false;
    for (uint32_t i = 0; i < s->proc_count; i++) {
        const agent_proc *p = &s->procs[i];
        if (p->state == AG_RUNNING) return false;
    }
    return true;
}

/* Polls every agent once (at most timeout_ms); handles what arrived. */
#define POLL_SLOTS 400u /* 3 per agent: more agents than a scenario can have */

/* Returns how many descriptors were ready (0: the timeout passed). */
static int poll_agents(session *s, int timeout_ms)
{
    assert(session_validate(s));
    assert(timeout_ms >= 0);
    struct pollfd fds[POLL_SLOTS];
    agent_proc *owner[POLL_SLOTS];
    bool is_err[POLL_SLOTS];
    nfds_t n = 0;
    for (uint32_t i = 0; i < s->proc_count && n + 4 < POLL_SLOTS; i++) {
        agent_proc *p = &s->procs[i];
        if (!agent_live(p)) continue;
        short out_events = POLLIN;
        if (p->out.len > p->out_off) {
            fds[n] = (struct pollfd){.fd = p->child.in_fd, .events = POLLOUT};
            owner[n] = p;
            is_err[n++] = false;
        }
        fds[n] = (struct pollfd){.fd = p->child.out_fd, .events = out_events};
        owner[n] = p;
        is_err[n++] = false;
        fds[n] = (struct pollfd){.fd = p->child.err_fd, .events = POLLIN};
        owner[n] = p;
        is_err[n++] = true;
    }
    int sig_fd = conf_signal_fd();
    if (sig_fd >= 0) {
        fds[n] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
        owner[n] = NULL;
        is_err[n++] = false;
    }
    assert(n <= POLL_SLOTS);
    int ready = poll(fds, n, timeout_ms);
    if (ready <= 0) return ready < 0 ? 1 : 0;
    for (nfds_t i = 0; i < n && !s->aborted; i++) {
        agent_proc *p = owner[i];
        if (p == NULL || fds[i].revents == 0 || p->state == AG_DONE) continue;
        if (fds[i].fd == p->child.in_fd) {
            flush_out(s, p);
        } else if (is_err[i]) {
            read_err(s, p);
        } else if (!read_out(s, p)) {
            on_eof(s, p);
        }
    }
    return ready;
}

static void interrupted(session *s)
{
    assert(s != NULL && s->run != NULL);
    int sig = conf_interrupted();
    if (sig == 0) return;
    s->run->interrupted = sig;
    assert(sig > 0);
    char text[64];
    snprintf(text, sizeof text, "interrupted by signal %d", sig);
    conf_run_issue(s->run, SIM_FAIL_RUN, SIM_NONE, SIM_RESULT_NO_TIME, text, NULL);
    s->aborted = true;
}

/* Spawns every agent and waits for every hello. */
static bool start_agents(session *s)
{
    assert(session_validate(s));
    assert(s->proc_count >= 1 && s->run->agents == 0);
    char path[4096], why[512];
    if (s->opt->backend->agent_path != NULL) {
        if (!s->opt->backend->agent_path(path, sizeof path, why, sizeof why)) {
            issue(s, NULL, true, "%s", why);
            return false;
        }
    } else {
        snprintf(path, sizeof path, "%s", s->opt->agent_path);
    }
    for (uint32_t i = 0; i < s->proc_count; i++) {
        agent_proc *p = &s->procs[i];
        char err[300];
        if (!conf_child_spawn(&p->child, path, s->env, err, sizeof err)) {
            issue(s, p, true, "cannot start the agent: %s", err);
            return false;
        }
        agent_set_state(p, AG_SPAWNED);
        send_declarations(s, p);
        flush_out(s, p);
        s->run->agents++;
    }
    int64_t deadline = conf_now_ns() + (int64_t)((double)s->opt->handshake_ns * s->opt->timeout_multiplier);
    for (;;) {
        bool all = true;
        for (uint32_t i = 0; i < s->proc_count; i++) {
            all = all && (agent_greeted(&s->procs[i]) || s->procs[i].state == AG_DONE);
        }
        if (all || s->aborted) break;
        if (conf_now_ns() >= deadline) {
            for (uint32_t i = 0; i < s->proc_count; i++) {
                if (!agent_greeted(&s->procs[i])) issue(s, &s->procs[i], true, "did not answer hello within %.1f s",
                                              (double)s->opt->handshake_ns * s->opt->timeout_multiplier / 1e9);
            }
            break;
        }
        poll_agents(s, POLL_MAX_MS);
        interrupted(s);
    }
    assert(s->run->agents <= s->proc_count);
    return !s->aborted;
}

/* Agents that were started but never began a command look hung, not merely blocked. */
static void report_hung(session *s)
{
    assert(session_validate(s));
    assert(s->proc_count >= 1);
    for (uint32_t i = 0; i < s->proc_count; i++) {
        agent_proc *p = &s->procs[i];
        if (p->state == AG_RUNNING && p->calls == 0) {
            issue(s, p, false, "never began its first command by the end of the run (hung?)");
        }
    }
}

static void run_timeline(session *s)
{
    assert(session_validate(s));
    assert(s->epoch == 0); /* once, after start_agents */
    s->epoch = conf_now_ns() + (int64_t)(START_LEAD_NS * s->opt->timeout_multiplier);
    for (uint32_t i = 0; i < s->proc_count; i++) {
        /* one that died after its hello was reported by on_eof: it cannot be started */
        if (s->procs[i].incarnation == 1 && s->procs[i].state == AG_GREETED) send_start(s, &s->procs[i]);
    }
    int64_t planned_end = s->world ? INT64_MAX : real_at(s, s->planned_end_ns);
    int64_t grace = (int64_t)(30.0 * CM_NS_PER_S * s->opt->timeout_multiplier);
    s->hard_deadline = s->world ? conf_now_ns() + 2 * grace : planned_end + grace;
    s->end_reason = "quiescent";
    for (uint64_t guard = 0; guard < UINT64_C(100000000); guard++) {
        int64_t now = conf_now_ns();
        int64_t next = run_faults(s, now);
        if (s->aborted || all_done(s)) break;
        if (now >= planned_end) {
            s->end_ns = s->planned_end_ns;
            s->end_reason = s->model->time_limited ? "time_limit" : "deadline";
            report_hung(s);
            return;
        }
        if (now >= s->hard_deadline) {
            issue(s, NULL, true, "the run did not end within its deadline (agents hung?)");
            break;
        }
        int64_t wake = next < planned_end ? next : planned_end;
        if (s->hard_deadline < wake) wake = s->hard_deadline;
        int64_t wait_ms = (wake - now) / CM_NS_PER_MS + 1;
        /* Short naps double as a probe of the host's scheduling jitter. */
        if (wait_ms > JITTER_PROBE_MS) wait_ms = JITTER_PROBE_MS;
        int64_t before = conf_now_ns();
        int ready = poll_agents(s, (int)wait_ms);
        int64_t late = conf_now_ns() - before - wait_ms * CM_NS_PER_MS;
        if (ready == 0 && late > s->worst_wake_late_ns) s->worst_wake_late_ns = late;
        interrupted(s);
    }
    if (!s->world || !s->world_ended) {
        int64_t last = 0;
        for (uint32_t i = 0; i < s->proc_count; i++) {
            if (s->procs[i].last_t_ns > last) last = s->procs[i].last_t_ns;
        }
        s->end_ns = last;
    }
}

static void run_note(conf_run *r, const char *text)
{
    (void)sim_strv_push(&r->notes, &r->note_count, text);
}

/* A process whose first call came well after its start time: the host was overloaded, and
 * the run's timing (and order across processes) says more about the load than the backend. */
static void report_late_starts(session *s)
{
    assert(session_validate(s));
    for (uint32_t i = 0; !s->world && i < s->proc_count; i++) {
        const agent_proc *p = &s->procs[i];
        assert(agent_validate(s, p));
        if (!agent_started(p) || p->calls == 0) continue;
        int64_t late = p->first_call_ns - p->start_ns;
        if ((double)late * s->scale <= (double)LATE_START_NS * s->opt->timeout_multiplier) continue;
        char text[200], d[40];
        sim_format_duration(late, d, sizeof d);
        snprintf(text, sizeof text, "process %s (incarnation %u) began its first call %s after its start time: "
                 "the host was busy, timing results of this run are less trustworthy",
                 proc_name(s, p), p->incarnation, d);
        run_note(s->run, text);
        s->run->disturbed = true;
    }
}

/* The host's own jitter, measured by the run: a sleep (or work) step that ended well after its
 * duration means a thread was not scheduled in time, so every timing of this run is suspect. */
static void report_jitter(session *s, conf_run *out)
{
    assert(session_validate(s));
    assert(out == s->run);
    double threshold = (double)LATE_START_NS * s->opt->timeout_multiplier;
    if (!s->world && (double)s->worst_wake_late_ns > threshold) {
        char text[200], d[40];
        sim_format_duration(s->worst_wake_late_ns, d, sizeof d);
        snprintf(text, sizeof text, "the runner's own %d ms timer fired up to %s late: the host was busy, timing "
                 "results of this run are less trustworthy", JITTER_PROBE_MS, d);
        run_note(out, text);
        out->disturbed = true;
    }
    int64_t worst = 0;
    uint32_t worst_step = SIM_NONE;
    for (uint32_t i = 0; !s->world && i < out->obs.exec_count; i++) {
        const sim_exec *e = &out->obs.execs[i];
        const sim_step *st = &s->sc->steps[e->step];
        if (st->op != CM_OP_SLEEP || e->outcome != SIM_OUTCOME_RETURNED || st->t1_ns <= 0) continue;
        int64_t over = (e->end_ns - e->start_ns) - st->t1_ns;
        if (over > worst) {
            worst = over;
            worst_step = e->step;
        }
    }
    if (worst_step == SIM_NONE || (double)worst * s->scale <= (double)LATE_START_NS * s->opt->timeout_multiplier) return;
    char text[200], d[40];
    sim_format_duration(worst, d, sizeof d);
    snprintf(text, sizeof text, "a %s at line %u ended %s late: the host was busy, timing results of this run "
             "are less trustworthy", sim_op_keyword(s->sc->steps[worst_step].op), s->sc->steps[worst_step].loc.line, d);
    run_note(out, text);
    out->disturbed = true;
}

/* Signals relayed between processes: their delay is the runner's, and the judge widens elapsed
 * windows by the longest one; a note says by how much when it is more than a trifle. */
static void report_relays(const session *s, conf_run *out)
{
    assert(s != NULL);
    assert(out != NULL && out->relay_max_ns >= 0);
    if (s->world || out->relay_max_ns <= CM_NS_PER_MS) return;
    char text[200], d[40];
    sim_format_duration(out->relay_max_ns, d, sizeof d);
    snprintf(text, sizeof text, "signals between processes were relayed in up to %s: elapsed windows are "
             "widened by that (the runner's delay, not the implementation's)", d);
    run_note(out, text);
}

/* ---- the whole run ------------------------------------------------------------------------------ */

static bool run_init(session *s, conf_run *run)
{
    assert(s != NULL && s->sc != NULL);
    assert(run != NULL && run == s->run);
    memset(run, 0, sizeof *run);
    run->step_count = s->sc->step_count;
    run->step_flags = calloc((size_t)run->step_count + 1, 1);
    run->unsupported = calloc((size_t)run->step_count + 1, sizeof *run->unsupported);
    run->crashes = calloc((size_t)run->step_count + 1, sizeof *run->crashes);
    run->end_reason = "none";
    assert(run->step_count == s->sc->step_count && run->issue_count == 0);
    return run->step_flags != NULL && run->unsupported != NULL && run->crashes != NULL;
}

static void session_env(session *s)
{
    assert(session_validate(s));
    assert(s->run_dir[0] != '\0'); /* conf_run_dir_make */
    uint32_t n = 0;
    const char *name = s->opt->backend->runtime_env;
    if (name != NULL) {
        snprintf(s->env_a, sizeof s->env_a, "%s=%s", name, s->run_dir);
        s->env[n++] = s->env_a;
    }
    if (name == NULL || strcmp(name, "PORTSIM_RUN_DIR") != 0) {
        snprintf(s->env_b, sizeof s->env_b, "PORTSIM_RUN_DIR=%s", s->run_dir);
        s->env[n++] = s->env_b;
    }
    assert(n >= 1 && n < sizeof s->env / sizeof s->env[0]); /* exit: NULL-terminated */
    s->env[n] = NULL;
}

static void cleanup(session *s)
{
    assert(s != NULL);
    assert(s->proc_count == 0 || s->procs != NULL);
    for (uint32_t i = 0; i < s->proc_count; i++) {
        agent_proc *p = &s->procs[i];
        if (agent_live(p)) {
            conf_child_terminate(&p->child);
            drain(s, p);
            agent_set_state(p, AG_DONE);
        }
        assert(p->state == AG_NEW || p->state == AG_DONE); /* never spawned, or ended */
        if (p->state != AG_NEW) conf_child_kill(&p->child);
        free(p->in);
        base_buf_fini(&p->out);
        free(p->open);
    }
    free(s->procs);
    free(s->fault_order);
    free(s->fault_due);
    free(s->fault_fired);
    free(s->blob_data);
    free(s->blob_name);
    base_jw_fini(&s->w);
    if (s->run_dir[0] != '\0') conf_run_dir_remove(s->run_dir);
}

bool conf_run_scenario(const sim_scenario *sc, const conf_model *model, const conf_options *opt,
                       const conf_agent_info *info, conf_run *out)
{
    assert(sc != NULL && out != NULL);
    assert(sim_scenario_validate(sc));
    assert(conf_model_validate(model, sc));
    assert(conf_options_validate(opt));
    assert(conf_agent_info_validate(info));
    session s;
    memset(&s, 0, sizeof s);
    s.sc = sc;
    s.model = model;
    s.opt = opt;
    s.info = info;
    s.run = out;
    s.world = info->world;
    s.scale = s.world ? 1.0 : opt->time_scale;
    int64_t wall0 = conf_now_ns();
    conf_observer_init(&s.obs, sc);
    bool ok = run_init(&s, out) && conf_jw_init(&s.w) && plan_agents(&s) && plan_blobs(&s);
    if (!ok) {
        if (out->issue_count == 0) {
            conf_run_issue(out, SIM_FAIL_RUN, SIM_NONE, SIM_RESULT_NO_TIME, "the runner ran out of memory", NULL);
        }
    } else if (!conf_run_dir_make(s.run_dir, sizeof s.run_dir)) {
        s.run_dir[0] = '\0';
        conf_run_issue(out, SIM_FAIL_RUN, SIM_NONE, SIM_RESULT_NO_TIME, "cannot make a run directory", NULL);
    } else {
        session_env(&s);
        plan_end(&s);
        if (start_agents(&s)) run_timeline(&s);
        report_late_starts(&s);
    }
    cleanup(&s);
    conf_observer_finish(&s.obs, s.world, s.end_ns, &out->obs);
    report_jitter(&s, out);
    report_relays(&s, out);
    out->observed = ok;
    out->end_ns = s.end_ns;
    out->end_reason = s.world ? (s.end_reason ? s.end_reason : "none") : (s.end_reason ? s.end_reason : "none");
    out->obs.end_reason = out->end_reason;
    out->obs.trace_hash = out->trace_hash;
    out->obs.trace_events = out->events ? out->events : s.obs.count;
    if (out->events == 0) out->events = s.obs.count;
    out->wall_ns = (uint64_t)(conf_now_ns() - wall0);
    conf_observer_fini(&s.obs);
    assert(out->end_reason != NULL && out->step_count == sc->step_count); /* exit: what conf_judge reads */
    return !s.aborted;
}

void conf_run_free(conf_run *r)
{
    assert(r != NULL);
    assert(r->issue_count == 0 || r->issues != NULL);
    sim_obs_fini(&r->obs);
    for (uint32_t i = 0; i < r->issue_count; i++) {
        free(r->issues[i].message);
        free(r->issues[i].observed);
    }
    free(r->issues);
    sim_strv_free(r->notes, r->note_count);
    for (uint32_t i = 0; r->unsupported != NULL && i < r->step_count; i++) free(r->unsupported[i]);
    free(r->unsupported);
    for (uint32_t i = 0; r->crashes != NULL && i < r->step_count; i++) free(r->crashes[i]);
    free(r->crashes);
    free(r->step_flags);
    memset(r, 0, sizeof *r);
}

/* ---- the probe --------------------------------------------------------------------------------- */

bool conf_probe_agent(const conf_options *opt, conf_agent_info *info, char *err, size_t cap)
{
    assert(opt != NULL && opt->backend != NULL);
    assert(info != NULL && err != NULL && cap > 0);
    char path[4096], why[512];
    memset(info, 0, sizeof *info);
    if (opt->backend->agent_path != NULL) {
        if (!opt->backend->agent_path(path, sizeof path, why, sizeof why)) {
            snprintf(err, cap, "%s", why);
            return false;
        }
    } else {
        snprintf(path, sizeof path, "%s", opt->agent_path);
    }
    conf_child child;
    if (!conf_child_spawn(&child, path, NULL, err, cap)) return false;
    base_jw w;
    bool ok = conf_jw_init(&w);
    size_t len = 0;
    const char *line = NULL;
    if (ok) {
        base_jw_begin(&w);
        base_jw_key(&w, "type");
        base_jw_cstr(&w, "hello");
        base_jw_key(&w, "protocol");
        base_jw_int(&w, CONF_PROTO_VERSION);
        base_jw_key(&w, "runner");
        base_jw_cstr(&w, "portsim " PORTSIM_VERSION);
        base_jw_key(&w, "process");
        base_jw_cstr(&w, "probe");
        base_jw_key(&w, "time_scale");
        base_jw_double(&w, 1.0);
        line = base_jw_end(&w, &len);
    }
    ok = line != NULL && write(child.in_fd, line, len) == (ssize_t)len;
    char buf[8192];
    size_t got = 0;
    int64_t deadline = conf_now_ns() + (int64_t)((double)opt->handshake_ns * opt->timeout_multiplier);
    bool have_line = false;
    while (ok && !have_line && conf_now_ns() < deadline && got + 1 < sizeof buf) {
        struct pollfd pfd = {.fd = child.out_fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0) continue;
        ssize_t n = read(child.out_fd, buf + got, sizeof buf - 1 - got);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) break;
        if (n > 0) got += (size_t)n;
        have_line = memchr(buf, '\n', got) != NULL;
    }
    conf_child_kill(&child);
    base_jw_fini(&w);
    if (!have_line) {
        snprintf(err, cap, "%s did not answer hello", path);
        return false;
    }
    size_t line_len = (size_t)((char *)memchr(buf, '\n', got) - buf) + 1;
    conf_msg m;
    ok = conf_msg_decode(buf, line_len, CONF_TO_RUNNER, &m, err, cap) && conf_agent_info_read(&m, info, err, cap);
    conf_msg_fini(&m);
    assert(!ok || conf_agent_info_validate(info)); /* exit */
    return ok;
}
