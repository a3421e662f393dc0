/*
 * agent_out.c — the agent's lines to the runner (stdout), one JSON object
 * per line, written whole under one lock so lines from different threads
 * never interleave. A line that cannot be encoded is replaced by an error
 * line; a runner that is gone ends the process.
 */
#include "agent.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static agent_mutex *out_lock;
static base_jw out_writer;

void agent_out_init(void)
{
    out_lock = agent_mutex_create();
    if (!conf_jw_init(&out_writer)) agent_exit(3);
}

int64_t agent_t_ns(void)
{
    return agent_now_ns() - agent_g.epoch_ns;
}

/* Ends the line begun by the caller (lock held) and writes it. */
static void finish_line(void)
{
    assert(out_lock != NULL);
    assert(out_writer.open); /* begun by begin_line, under out_lock */
    size_t len = 0;
    const char *line = base_jw_end(&out_writer, &len);
    if (line == NULL) {
        base_jw_begin(&out_writer);
        base_jw_key(&out_writer, "type");
        base_jw_cstr(&out_writer, "error");
        base_jw_key(&out_writer, "message");
        base_jw_cstr(&out_writer, "the agent could not encode a line (too long or out of memory)");
        line = base_jw_end(&out_writer, &len);
        if (line == NULL) return;
    }
    if (!agent_write_stdout(line, len)) agent_exit(0); /* the runner is gone */
}

static void begin_line(const char *type)
{
    assert(type != NULL && out_lock != NULL);
    agent_mutex_lock(out_lock);
    assert(!out_writer.open); /* one line at a time, under out_lock */
    base_jw_begin(&out_writer);
    base_jw_key(&out_writer, "type");
    base_jw_cstr(&out_writer, type);
}

static void end_line(void)
{
    finish_line();
    agent_mutex_unlock(out_lock);
}

void agent_out_hello(void)
{
    assert(out_lock != NULL); /* agent_out_init */
    const agent_backend_info *b = agent_backend();
    assert(b != NULL && b->capabilities != NULL && b->implementation != NULL);
    begin_line("hello");
    base_jw *w = &out_writer;
    base_jw_key(w, "protocol");
    base_jw_int(w, CONF_PROTO_VERSION);
    base_jw_key(w, "implementation");
    base_jw_obj_begin(w);
    base_jw_key(w, "name");
    base_jw_cstr(w, b->implementation);
    base_jw_key(w, "version");
    base_jw_cstr(w, b->version);
    base_jw_obj_end(w);
    base_jw_key(w, "backend");
    base_jw_cstr(w, b->backend);
    base_jw_key(w, "clock");
    base_jw_cstr(w, "host_monotonic");
    base_jw_key(w, "world");
    base_jw_bool(w, false);
    base_jw_key(w, "capabilities");
    base_jw_arr_begin(w);
    for (const char *const *c = b->capabilities; *c != NULL; c++) base_jw_cstr(w, *c);
    base_jw_arr_end(w);
    /* Event kinds this agent reports completely (through the API alone). Not "block": CF runs
     * blocks of its own (a dispatch-queue port's deliveries) that the API cannot see. */
    static const char *const events[] = {"callout", "callout_done", "invalidation_callback",
                                         "context_retain", "context_release",
                                         "context_copy_description", "timer"};
    base_jw_key(w, "events");
    base_jw_arr_begin(w);
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) base_jw_cstr(w, events[i]);
    base_jw_arr_end(w);
    end_line();
}

/* Message text for a JSON string: printable ASCII only. */
static void put_safe_text(const char *text)
{
    assert(text != NULL);
    assert(out_writer.open);
    char safe[512];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && n + 5 < sizeof safe; p++) {
        if (*p >= 0x20 && *p < 0x7f) {
            safe[n++] = (char)*p;
        } else {
            n += (size_t)snprintf(safe + n, sizeof safe - n, "\\x%02x", *p);
        }
    }
    assert(n < sizeof safe);
    safe[n] = '\0';
    base_jw_cstr(&out_writer, safe);
}

void agent_out_error(const char *message, bool fatal)
{
    assert(message != NULL);
    assert(out_lock != NULL);
    begin_line("error");
    base_jw_key(&out_writer, "message");
    put_safe_text(message);
    if (fatal) {
        base_jw_key(&out_writer, "fatal");
        base_jw_bool(&out_writer, true);
    }
    end_line();
}

void agent_out_log(const char *fmt, ...)
{
    assert(fmt != NULL);
    assert(out_lock != NULL);
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    begin_line("log");
    base_jw_key(&out_writer, "message");
    put_safe_text(text);
    end_line();
}

static void put_thread(const char *thread)
{
    base_jw_key(&out_writer, "thread");
    if (thread != NULL) {
        base_jw_cstr(&out_writer, thread);
    } else {
        base_jw_null(&out_writer);
    }
}

void agent_out_call(int64_t exec, uint32_t ref, int64_t cmd_id, const char *thread, int64_t t_ns)
{
    assert(exec >= 1); /* agent_g.next_exec starts at 1 */
    assert(cmd_id >= -1); /* -1: a program's step, not a command */
    begin_line("call");
    base_jw *w = &out_writer;
    base_jw_key(w, "exec");
    base_jw_int(w, exec);
    base_jw_key(w, "ref");
    base_jw_uint(w, ref);
    if (cmd_id >= 0) {
        base_jw_key(w, "id");
        base_jw_int(w, cmd_id);
    }
    put_thread(thread);
    base_jw_key(w, "t_ns");
    base_jw_int(w, t_ns);
    end_line();
}

static void put_result(const agent_result *r)
{
    assert(r != NULL && r->kind <= CONF_RESULT_INT);
    assert(out_writer.open);
    base_jw *w = &out_writer;
    if (r->unsupported != NULL) {
        base_jw_key(w, "unsupported");
        base_jw_cstr(w, r->unsupported);
        return;
    }
    if (r->unobservable) {
        base_jw_key(w, "unobservable");
        base_jw_bool(w, true);
        return;
    }
    switch (r->kind) {
    case CONF_RESULT_STATUS:
    case CONF_RESULT_RUN:
    case CONF_RESULT_INT:
        base_jw_key(w, "result");
        base_jw_int(w, r->value);
        break;
    case CONF_RESULT_CREATED:
    case CONF_RESULT_BOOL:
        base_jw_key(w, "result");
        base_jw_bool(w, r->value != 0);
        break;
    case CONF_RESULT_NAME:
        base_jw_key(w, "result");
        conf_data_write(w, &r->data, CONF_DATA_INLINE_MAX);
        break;
    case CONF_RESULT_INFO:
        base_jw_key(w, "result");
        if (r->info_undefined) {
            base_jw_cstr(w, "undefined");
        } else if (r->value == 0) {
            base_jw_null(w);
        } else {
            base_jw_int(w, r->value);
        }
        break;
    case CONF_RESULT_CALLBACK:
        base_jw_key(w, "result");
        if (r->callback != NULL) {
            base_jw_cstr(w, r->callback);
        } else {
            base_jw_null(w);
        }
        break;
    default:
        break;
    }
}

void agent_out_return(int64_t exec, int64_t t_ns, int64_t elapsed_ns, const agent_result *r)
{
    assert(exec >= 1 && r != NULL);
    assert(elapsed_ns >= 0); /* CLOCK_MONOTONIC */
    begin_line("return");
    base_jw *w = &out_writer;
    base_jw_key(w, "exec");
    base_jw_int(w, exec);
    base_jw_key(w, "t_ns");
    base_jw_int(w, t_ns);
    base_jw_key(w, "elapsed_ns");
    base_jw_int(w, elapsed_ns);
    put_result(r);
    if (r->has_port) {
        base_jw_key(w, "port");
        if (r->port >= 0) {
            base_jw_int(w, r->port);
        } else {
            base_jw_null(w);
        }
    }
    if (r->has_should_free_info) {
        base_jw_key(w, "should_free_info");
        base_jw_bool(w, r->should_free_info);
    }
    if (r->has_data && r->kind != CONF_RESULT_NAME && r->unsupported == NULL) {
        base_jw_key(w, "reply");
        conf_data_write(w, &r->data, CONF_DATA_INLINE_MAX);
    }
    end_line();
}

void agent_out_event(const agent_event *e)
{
    assert(e != NULL && e->kind != NULL);
    assert(e->port >= -2); /* -2: none, -1: NULL, else an object id */
    assert(e->callout_id >= 0); /* 0: none */
    int64_t t = e->t_ns != 0 ? e->t_ns : agent_t_ns();
    begin_line("event");
    base_jw *w = &out_writer;
    base_jw_key(w, "kind");
    base_jw_cstr(w, e->kind);
    base_jw_key(w, "t_ns");
    base_jw_int(w, t);
    put_thread(e->thread);
    if (e->port != -2) {
        base_jw_key(w, "port");
        if (e->port >= 0) {
            base_jw_int(w, e->port);
        } else {
            base_jw_null(w);
        }
    }
    if (e->has_msgid) {
        base_jw_key(w, "msgid");
        base_jw_int(w, e->msgid);
    }
    if (e->has_size) {
        base_jw_key(w, "size");
        base_jw_int(w, e->size);
    }
    if (e->has_data) {
        base_jw_key(w, "data");
        conf_data_write(w, &e->data, CONF_DATA_INLINE_MAX);
    }
    if (e->has_request) {
        base_jw_key(w, "request");
        conf_data_write(w, &e->request, CONF_DATA_INLINE_MAX);
    }
    if (e->callback != NULL) {
        base_jw_key(w, "callback");
        base_jw_cstr(w, e->callback);
    }
    if (e->has_info) {
        base_jw_key(w, "info");
        base_jw_int(w, e->info);
    }
    if (e->via_set) {
        base_jw_key(w, "via_set");
        base_jw_bool(w, true);
    }
    if (e->queue != NULL) {
        base_jw_key(w, "queue");
        base_jw_cstr(w, e->queue);
    }
    if (e->reason != NULL) {
        base_jw_key(w, "reason");
        base_jw_cstr(w, e->reason);
    }
    if (e->callout_id != 0) {
        base_jw_key(w, "callout_id");
        base_jw_int(w, e->callout_id);
    }
    end_line();
}
