/*
 * agent_main.c — the C agent's entry point and its stdin reader.
 *
 *   portsim_agent_posix            (speaks docs/agent-protocol.md on stdin/stdout)
 *
 * The real main thread waits until "start" and then runs the scenario's
 * main thread; a reader thread takes lines off stdin, rejects malformed
 * ones with an error line (and carries on), and files declarations and
 * commands. End of stdin means the runner is gone: the agent exits.
 */
#define _POSIX_C_SOURCE 200809L
#include "agent.h"

#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536u

static uint64_t line_number;

static void reject(const char *why)
{
    assert(why != NULL);
    assert(line_number >= 1); /* about a line read */
    char text[320];
    snprintf(text, sizeof text, "line %llu rejected: %s", (unsigned long long)line_number, why);
    agent_out_error(text, false);
}

#define REJECT(why)                                                                    \
    do {                                                                               \
        reject(why);                                                                   \
        return;                                                                        \
    } while (0)

/* ---- declarations ----------------------------------------------------------------------- */

static bool copy_name(char *dst, const char *src)
{
    assert(dst != NULL && src != NULL);
    if (!conf_name_valid(src)) return false;
    assert(strlen(src) <= CONF_NAME_MAX); /* fits every name[CONF_NAME_MAX + 1] */
    strcpy(dst, src);
    return true;
}

static void thread_body(void *arg)
{
    agent_exec_thread(arg);
}

static bool declare_queues(const conf_msg *m, uint32_t queues)
{
    assert(m != NULL && m->type == CONF_MSG_PROCESS);
    assert(!agent_g.declared); /* from on_process, before the process is declared */
    const conf_jdoc *doc = &m->doc;
    const conf_jnode *arr = conf_json_node(doc, queues);
    uint32_t q = arr != NULL ? arr->first : CONF_JSON_NONE;
    for (; q != CONF_JSON_NONE; q = conf_json_node(doc, q)->next) {
        if (agent_g.queue_count >= AGENT_MAX_QUEUES) return false;
        agent_queue *aq = &agent_g.queues[agent_g.queue_count];
        const char *name = conf_json_str(doc, conf_json_get(doc, q, "name"));
        const char *kind = conf_json_str(doc, conf_json_get(doc, q, "kind"));
        int64_t width = 1;
        uint32_t wv = conf_json_get(doc, q, "width");
        if (wv != CONF_JSON_NONE && !conf_json_int(doc, wv, 1, 255, &width)) return false;
        if (name == NULL || kind == NULL || !copy_name(aq->name, name)) return false;
        if (strcmp(kind, "serial") != 0 && strcmp(kind, "concurrent") != 0) return false;
        aq->concurrent = kind[0] == 'c';
        aq->width = (unsigned)width;
        memcpy(aq->label, "queue:", 6);
        memcpy(aq->label + 6, aq->name, strlen(aq->name) + 1);
        aq->queue = agent_backend_queue_create(aq->name, aq->concurrent, aq->width);
        if (aq->queue == NULL) {
            agent_out_log("queue %s: a %s queue is not available here", aq->name, kind);
        }
        agent_g.queue_count++;
    }
    assert(agent_g.queue_count <= AGENT_MAX_QUEUES);
    return true;
}

static bool declare_modes(const conf_msg *m, uint32_t modes)
{
    assert(m != NULL && m->type == CONF_MSG_PROCESS);
    assert(!agent_g.declared);
    const conf_jdoc *doc = &m->doc;
    const conf_jnode *arr = conf_json_node(doc, modes);
    uint32_t v = arr != NULL ? arr->first : CONF_JSON_NONE;
    for (; v != CONF_JSON_NONE; v = conf_json_node(doc, v)->next) {
        const char *name = conf_json_str(doc, v);
        if (agent_g.mode_count >= AGENT_MAX_MODES || name == NULL) return false;
        agent_mode *mode = &agent_g.modes[agent_g.mode_count];
        if (!copy_name(mode->name, name)) return false;
        mode->string = CFStringCreateWithCString(NULL, name, kCFStringEncodingUTF8);
        agent_g.mode_count++;
    }
    assert(agent_g.mode_count <= AGENT_MAX_MODES);
    return true;
}

static void on_process(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_PROCESS);
    assert(agent_g.process[0] != '\0'); /* handle_line: hello first */
    const char *name = conf_msg_str(m, "name");
    if (agent_g.declared) REJECT("process: this agent already has its process");
    if (strcmp(name, agent_g.process) != 0) REJECT("process: not the process named in hello");
    const conf_jdoc *doc = &m->doc;
    const conf_jnode *threads = conf_json_node(doc, conf_msg_get(m, "threads"));
    uint32_t t = threads->first;
    agent_mutex_lock(agent_g.lock);
    for (; t != CONF_JSON_NONE; t = conf_json_node(doc, t)->next) {
        const char *tn = conf_json_str(doc, t);
        agent_thread *th = &agent_g.threads[agent_g.thread_count];
        if (agent_g.thread_count >= AGENT_MAX_THREADS || tn == NULL || !copy_name(th->name, tn)) {
            agent_mutex_unlock(agent_g.lock);
            REJECT("process: bad thread list");
        }
        th->index = agent_g.thread_count++;
    }
    agent_mutex_unlock(agent_g.lock);
    if (agent_g.thread_count == 0) REJECT("process: no threads");
    if (!declare_queues(m, conf_msg_get(m, "queues"))) REJECT("process: bad queue list");
    if (!declare_modes(m, conf_msg_get(m, "modes"))) REJECT("process: bad mode list");
    agent_g.declared = true;
    for (uint32_t i = 1; i < agent_g.thread_count; i++) {
        if (!agent_thread_start(thread_body, &agent_g.threads[i])) {
            agent_out_error("cannot start a thread", true);
            agent_exit(3);
        }
    }
}

static uint8_t program_kind(const char *kind)
{
    assert(kind != NULL); /* a required field (f_program) */
    if (strcmp(kind, "handler") == 0) return AGENT_PROG_HANDLER;
    if (strcmp(kind, "callback") == 0) return AGENT_PROG_CALLBACK;
    if (strcmp(kind, "timer") == 0) return AGENT_PROG_TIMER;
    if (strcmp(kind, "block") == 0) return AGENT_PROG_BLOCK;
    return 0;
}

static void on_program(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_PROGRAM);
    assert(agent_g.program_count <= AGENT_MAX_PROGRAMS);
    const char *name = conf_msg_str(m, "name");
    uint8_t kind = program_kind(conf_msg_str(m, "kind"));
    if (kind == 0) REJECT("program: unknown kind");
    if (agent_g.program_count >= AGENT_MAX_PROGRAMS || agent_program_find(name) != AGENT_NONE) {
        REJECT("program: too many, or declared twice");
    }
    agent_program *p = &agent_g.programs[agent_g.program_count];
    if (!copy_name(p->name, name)) REJECT("program: bad name");
    const conf_jdoc *doc = &m->doc;
    const conf_jnode *steps = conf_json_node(doc, conf_msg_get(m, "steps"));
    p->steps = base_arena_alloc(&agent_g.arena, ((size_t)steps->count + 1) * sizeof *p->steps);
    if (p->steps == NULL) REJECT("program: out of memory");
    char err[200];
    uint32_t i = 0;
    for (uint32_t s = steps->first; s != CONF_JSON_NONE; s = conf_json_node(doc, s)->next, i++) {
        if (!conf_step_read(doc, s, &agent_g.arena, &p->steps[i], err, sizeof err)) REJECT(err);
    }
    p->count = i;
    p->kind = kind;
    p->callback_slot = AGENT_NONE;
    if (kind == AGENT_PROG_CALLBACK) {
        if (agent_g.callback_count >= AGENT_MAX_CALLBACKS) REJECT("program: too many callbacks");
        p->callback_slot = agent_g.callback_count;
        agent_g.callback_programs[agent_g.callback_count++] = agent_g.program_count;
    }
    assert(p->count == steps->count && (p->callback_slot == AGENT_NONE) == (kind != AGENT_PROG_CALLBACK));
    agent_g.program_count++; /* published last: readers see whole programs */
}

static void on_command(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_COMMAND);
    assert(conf_msg_str(m, "process") != NULL); /* a required field (f_command) */
    agent_thread *t = agent_thread_find(conf_msg_str(m, "thread"));
    if (strcmp(conf_msg_str(m, "process"), agent_g.process) != 0 || t == NULL) {
        REJECT("command: unknown process or thread");
    }
    agent_cmd *c = calloc(1, sizeof *c);
    char err[200];
    if (c == NULL) REJECT("command: out of memory");
    if (!conf_step_read(&m->doc, conf_msg_get(m, "step"), &agent_g.arena, &c->step, err, sizeof err)) {
        free(c);
        REJECT(err);
    }
    c->id = conf_msg_int(m, "id", -1);
    agent_mutex_lock(agent_g.lock);
    bool closed = t->closed;
    if (!closed) {
        if (t->tail != NULL) {
            t->tail->next = c;
        } else {
            t->head = c;
        }
        t->tail = c;
        agent_mutex_broadcast(agent_g.lock);
    }
    agent_mutex_unlock(agent_g.lock);
    if (closed) {
        free(c);
        reject("command: the thread was closed");
    }
}

static void on_close(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_CLOSE);
    assert(agent_g.thread_count <= AGENT_MAX_THREADS);
    agent_thread *t = agent_thread_find(conf_msg_str(m, "thread"));
    if (t == NULL) REJECT("close: unknown thread");
    agent_mutex_lock(agent_g.lock);
    t->closed = true;
    agent_mutex_broadcast(agent_g.lock);
    agent_mutex_unlock(agent_g.lock);
}

static void on_start(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_START);
    assert(agent_g.process[0] != '\0');
    if (!agent_g.declared) REJECT("start: no process was declared");
    agent_mutex_lock(agent_g.lock);
    agent_g.epoch_ns = conf_msg_int(m, "epoch_ns", 0);
    agent_crash_set_epoch(agent_g.epoch_ns);
    agent_g.start_at_ns = conf_msg_int(m, "at_ns", 0);
    agent_g.started = true;
    assert(agent_state_validate()); /* exit: declared, tables within bounds */
    agent_mutex_broadcast(agent_g.lock);
    agent_mutex_unlock(agent_g.lock);
}

static void on_blob(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_BLOB);
    assert(conf_msg_get(m, "hex") != CONF_JSON_NONE); /* a required field (f_blob) */
    size_t len = 0;
    const char *hex = conf_json_text(&m->doc, conf_msg_get(m, "hex"), &len);
    int64_t id = conf_msg_int(m, "id", -1);
    base_arena scratch;
    base_arena_init(&scratch, 0);
    size_t n = 0;
    uint8_t *bytes = hex != NULL ? conf_unhex(&scratch, hex, len, &n) : NULL;
    if (bytes == NULL || id < 0 || id >= (int64_t)AGENT_MAX_BLOBS || !agent_blob_append((uint32_t)id, bytes, n)) {
        reject("blob: bad id or hex, or too large");
    }
    base_arena_fini(&scratch);
}

/* Another process raised a signal: the runner says how often, in all, elsewhere. */
static void on_signal(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_SIGNAL);
    const char *name = conf_msg_str(m, "name");
    int64_t count = conf_msg_int(m, "count", -1);
    if (name == NULL || !conf_signal_name_valid(name) || count < 0 || count > UINT32_MAX) {
        reject("signal: a name and a count are needed");
        return;
    }
    assert(count >= 0 && count <= UINT32_MAX);
    if (!agent_signal_set_remote(name, (uint32_t)count)) reject("signal: too many signals");
}

static void on_hello(const conf_msg *m)
{
    assert(m != NULL && m->type == CONF_MSG_HELLO);
    if (conf_msg_int(m, "protocol", 0) != CONF_PROTO_VERSION) {
        agent_out_error("unsupported protocol version (this agent speaks 1)", true);
        agent_exit(2);
    }
    const char *process = conf_msg_str(m, "process");
    if (process == NULL || !conf_name_valid(process)) {
        agent_out_error("hello: this agent runs one named process (it is not a world agent)", true);
        agent_exit(2);
    }
    assert(strlen(process) <= CONF_NAME_MAX); /* conf_name_valid */
    strcpy(agent_g.process, process);
    agent_out_hello();
}

static void handle_line(const char *line, size_t len)
{
    assert(line != NULL);
    assert(len > 0 && line[len - 1] == '\n'); /* reader cuts at newlines (a long one is the decoder's to refuse) */
    line_number++;
    conf_msg m;
    char err[200];
    if (!conf_msg_decode(line, len, CONF_TO_AGENT, &m, err, sizeof err)) {
        conf_msg_fini(&m);
        REJECT(err);
    }
    bool hello_first = m.type == CONF_MSG_HELLO || agent_g.process[0] != '\0';
    if (!hello_first) {
        reject("the first line must be hello");
    } else {
        switch (m.type) {
        case CONF_MSG_HELLO: on_hello(&m); break;
        case CONF_MSG_PROCESS: on_process(&m); break;
        case CONF_MSG_PROGRAM: on_program(&m); break;
        case CONF_MSG_COMMAND: on_command(&m); break;
        case CONF_MSG_CLOSE: on_close(&m); break;
        case CONF_MSG_START: on_start(&m); break;
        case CONF_MSG_BLOB: on_blob(&m); break;
        case CONF_MSG_SIGNAL: on_signal(&m); break;
        case CONF_MSG_SOURCE: break; /* for world agents; not needed here */
        default: reject("unexpected message type"); break;
        }
    }
    conf_msg_fini(&m);
}

/* Splits stdin into lines of at most CONF_JSON_MAX_LINE bytes; longer ones are rejected. */
static void reader(void *arg)
{
    assert(arg == NULL);
    (void)arg;
    size_t cap = CONF_JSON_MAX_LINE + READ_CHUNK;
    char *buf = malloc(cap);
    if (buf == NULL) agent_exit(3);
    size_t len = 0;
    bool skipping = false;
    for (;;) {
        long n = agent_read_stdin(buf + len, cap - len);
        if (n <= 0) agent_exit(0); /* the runner is gone */
        len += (size_t)n;
        size_t start = 0;
        for (size_t i = len - (size_t)n; i < len; i++) {
            if (buf[i] != '\n') continue;
            if (!skipping) handle_line(buf + start, i + 1 - start);
            skipping = false;
            start = i + 1;
        }
        assert(start <= len);
        memmove(buf, buf + start, len - start);
        len -= start;
        if (len >= CONF_JSON_MAX_LINE) {
            if (!skipping) {
                line_number++;
                reject("line longer than 1 MiB");
            }
            skipping = true;
            len = 0;
        }
    }
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: %s  (speaks the portsim agent protocol on stdin/stdout;\n"
                        "see docs/agent-protocol.md)\n", argv[0]);
        return 2;
    }
    assert(argc >= 1 && argv != NULL);
    signal(SIGPIPE, SIG_IGN);
    agent_crash_init();
    agent_state_init();
    agent_out_init();
    if (!agent_thread_start(reader, NULL)) return 3;
    agent_mutex_lock(agent_g.lock);
    while (!agent_g.declared) agent_mutex_wait(agent_g.lock, 0);
    assert(agent_g.thread_count >= 1); /* on_process refuses a process without threads */
    agent_mutex_unlock(agent_g.lock);
    agent_exec_thread(&agent_g.threads[0]);
    return 0;
}
