/*
 * cm_trace.c — names of things, and the canonical text form of events.
 *
 * One line per event:
 *     <seconds.nanoseconds> <process>[/<thread>] <kind> [@program:op] [#port] key=value...
 * Text is built with a tiny bounded writer (the core has no stdio).
 */
#include "cm_internal.h"

#include <string.h>

static const char *const event_names[CM_EV_KIND_COUNT] = {
    [CM_EV_NONE] = "none",
    [CM_EV_START] = "start",
    [CM_EV_CALL] = "call",
    [CM_EV_RETURN] = "return",
    [CM_EV_STATE] = "state",
    [CM_EV_ENQUEUE] = "enqueue",
    [CM_EV_SEND_BLOCKED] = "send_blocked",
    [CM_EV_CALLOUT] = "callout",
    [CM_EV_CALLOUT_DONE] = "callout_done",
    [CM_EV_REPLY_SENT] = "reply_sent",
    [CM_EV_REPLY_FILED] = "reply_filed",
    [CM_EV_REPLY_DROPPED] = "reply_dropped",
    [CM_EV_CORRUPT_REPLY] = "corrupt_reply_dropped",
    [CM_EV_MSG_DESTROYED] = "message_destroyed",
    [CM_EV_REQUEST_DROPPED] = "request_dropped",
    [CM_EV_INVALIDATION_CB] = "invalidation_callback",
    [CM_EV_CTX_RETAIN] = "context_retain",
    [CM_EV_CTX_RELEASE] = "context_release",
    [CM_EV_CTX_COPYDESC] = "context_copy_description",
    [CM_EV_TIMER] = "timer",
    [CM_EV_BLOCK] = "block",
    [CM_EV_CRASH] = "crash",
    [CM_EV_EXIT] = "exit",
    [CM_EV_THREAD_END] = "thread_end",
    [CM_EV_NAME_REGISTERED] = "name_registered",
    [CM_EV_NAME_RELEASED] = "name_released",
    [CM_EV_PORT_DIED] = "port_died",
    [CM_EV_DEATH_NOTICE] = "death_notice",
    [CM_EV_DEALLOC] = "dealloc",
    [CM_EV_WARNING] = "warning",
    [CM_EV_CHOICE] = "choice",
    [CM_EV_BLOCKED_AT_END] = "blocked_at_end",
    [CM_EV_END] = "end",
};

const char *cm_event_kind_name(uint16_t kind)
{
    if (kind >= CM_EV_KIND_COUNT) return "?";
    return event_names[kind];
}

static const char *const op_names[CM_OP_KIND_COUNT] = {
    [CM_OP_NONE] = "none",
    [CM_OP_CREATE_LOCAL] = "create_local",
    [CM_OP_CREATE_LOCAL_PER_PID] = "create_local_per_pid",
    [CM_OP_CREATE_REMOTE] = "create_remote",
    [CM_OP_CREATE_REMOTE_PER_PID] = "create_remote_per_pid",
    [CM_OP_SET_NAME] = "set_name",
    [CM_OP_GET_NAME] = "get_name",
    [CM_OP_IS_VALID] = "is_valid",
    [CM_OP_IS_REMOTE] = "is_remote",
    [CM_OP_GET_CONTEXT] = "get_context",
    [CM_OP_GET_INVALIDATION_CALLBACK] = "get_invalidation_callback",
    [CM_OP_SET_INVALIDATION_CALLBACK] = "set_invalidation_callback",
    [CM_OP_COPY_DESCRIPTION] = "copy_description",
    [CM_OP_GET_TYPE_ID] = "get_type_id",
    [CM_OP_INVALIDATE] = "invalidate",
    [CM_OP_RETAIN] = "retain",
    [CM_OP_RELEASE] = "release",
    [CM_OP_CREATE_SOURCE] = "create_source",
    [CM_OP_ADD_SOURCE] = "add_source",
    [CM_OP_REMOVE_SOURCE] = "remove_source",
    [CM_OP_SCHEDULE] = "schedule",
    [CM_OP_SET_DISPATCH_QUEUE] = "set_dispatch_queue",
    [CM_OP_SEND] = "send",
    [CM_OP_RUN_IN_MODE] = "run_in_mode",
    [CM_OP_RUN] = "run",
    [CM_OP_STOP] = "stop",
    [CM_OP_WAKE_UP] = "wake_up",
    [CM_OP_ADD_COMMON_MODE] = "add_common_mode",
    [CM_OP_ADD_TIMER] = "add_timer",
    [CM_OP_ASYNC] = "async",
    [CM_OP_SLEEP] = "sleep",
    [CM_OP_REPLY] = "reply",
    [CM_OP_CRASH] = "crash",
    [CM_OP_SIGNAL] = "signal",
    [CM_OP_WAIT_FOR] = "wait_for",
    [CM_OP_EXIT] = "exit",
};

const char *cm_op_kind_name(uint8_t kind)
{
    if (kind >= CM_OP_KIND_COUNT) return "?";
    return op_names[kind];
}

bool cm_op_kind_blocks(uint8_t kind)
{
    return kind == CM_OP_SEND || kind == CM_OP_RUN_IN_MODE || kind == CM_OP_RUN ||
           kind == CM_OP_SLEEP || kind == CM_OP_WAIT_FOR;
}

const char *cm_status_name(int32_t status)
{
    switch (status) {
    case CM_SUCCESS: return "success";
    case CM_SEND_TIMEOUT: return "send_timeout";
    case CM_RECEIVE_TIMEOUT: return "receive_timeout";
    case CM_IS_INVALID: return "is_invalid";
    case CM_TRANSPORT_ERROR: return "transport_error";
    case CM_BECAME_INVALID: return "became_invalid";
    default: return "?";
    }
}

int32_t cm_data_encode(cm_data d)
{
    if (d.size_bytes < 0) return -1;
    if (d.blob != CM_NONE32) return (int32_t)d.blob;
    if (d.size_bytes > INT32_MAX - 2) return INT32_MIN;
    return (int32_t)(-(d.size_bytes + 2));
}

cm_data cm_data_decode(int32_t code, const cm_blob *blobs, uint32_t blob_count)
{
    if (code == -1) return CM_DATA_NULL;
    if (code >= 0) {
        uint32_t size = (uint32_t)code < blob_count ? blobs[code].size_bytes : 0;
        return (cm_data){.size_bytes = size, .blob = (uint32_t)code};
    }
    if (code == INT32_MIN) return (cm_data){.size_bytes = INT64_MAX, .blob = CM_NONE32};
    return (cm_data){.size_bytes = -(int64_t)code - 2, .blob = CM_NONE32};
}

/* ---- a bounded text writer -------------------------------------------- */

typedef struct text {
    char *buf;
    size_t cap;
    size_t len; /* as needed, may exceed cap */
} text;

static void put_char(text *t, char c)
{
    if (t->len + 1 < t->cap) t->buf[t->len] = c;
    t->len++;
}

static void put_str(text *t, const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) put_char(t, s[i]);
}

static void put_u64(text *t, uint64_t v)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) put_char(t, digits[--n]);
}

static void put_i64(text *t, int64_t v)
{
    if (v < 0) {
        put_char(t, '-');
        put_u64(t, (uint64_t)0 - (uint64_t)v);
        return;
    }
    put_u64(t, (uint64_t)v);
}

static void put_time(text *t, cm_time_ns ns)
{
    if (ns == CM_DURATION_FOREVER) {
        put_str(t, "forever");
        return;
    }
    put_i64(t, ns / CM_NS_PER_S);
    put_char(t, '.');
    int64_t frac = ns % CM_NS_PER_S;
    for (int64_t div = CM_NS_PER_S / 10; div > 0; div /= 10) {
        put_char(t, (char)('0' + (frac / div) % 10));
    }
}

/* Bytes as a quoted string; anything unprintable as \xNN. */
static void put_bytes(text *t, const uint8_t *bytes, uint32_t size)
{
    static const char hex[] = "0123456789abcdef";
    put_char(t, '"');
    for (uint32_t i = 0; i < size && i < 160; i++) {
        uint8_t c = bytes[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            put_char(t, (char)c);
        } else {
            put_char(t, '\\');
            put_char(t, 'x');
            put_char(t, hex[c >> 4]);
            put_char(t, hex[c & 15]);
        }
    }
    if (size > 160) put_str(t, "...");
    put_char(t, '"');
}

static void put_blob(text *t, const cm_world *w, uint32_t blob)
{
    if (blob >= w->cfg.blob_count) {
        put_char(t, '?');
        return;
    }
    const cm_blob *b = &w->cfg.blobs[blob];
    put_bytes(t, b->bytes, b->size_bytes);
}

static void put_name_id(text *t, const cm_world *w, int32_t name)
{
    if (name < 0 || (uint32_t)name >= w->name_count) {
        put_str(t, "NULL");
        return;
    }
    const cm_blob *b = &w->cfg.blobs[w->name_blob[name]];
    put_bytes(t, b->bytes, w->name_size[name]);
}

static void put_kv(text *t, const char *key, int64_t value)
{
    put_char(t, ' ');
    put_str(t, key);
    put_char(t, '=');
    put_i64(t, value);
}

static void put_data(text *t, const cm_world *w, const char *key, int32_t code)
{
    put_char(t, ' ');
    put_str(t, key);
    put_char(t, '=');
    if (code == -1) {
        put_str(t, "NULL");
    } else if (code >= 0) {
        put_blob(t, w, (uint32_t)code);
    } else {
        put_str(t, "bytes:");
        put_i64(t, cm_data_decode(code, NULL, 0).size_bytes);
    }
}

static void put_plain_blob(text *t, const cm_world *w, uint32_t blob, const char *fallback,
                           uint32_t index)
{
    if (blob < w->cfg.blob_count) {
        const cm_blob *b = &w->cfg.blobs[blob];
        for (uint32_t i = 0; i < b->size_bytes && i < 64; i++) {
            char c = (char)b->bytes[i];
            put_char(t, c > ' ' && c < 0x7F ? c : '_');
        }
        return;
    }
    put_str(t, fallback);
    put_u64(t, index);
}

static void put_who(text *t, const cm_world *w, const cm_event *ev)
{
    if (ev->process == CM_NONE16 || ev->process >= w->cfg.process_count) {
        put_str(t, "-");
        return;
    }
    const cm_process_config *pc = &w->cfg.processes[ev->process];
    put_plain_blob(t, w, pc->name, "p", ev->process);
    if (ev->thread == CM_NONE16) return;
    put_char(t, '/');
    if (ev->thread < pc->thread_count) {
        put_plain_blob(t, w, pc->threads[ev->thread].name, "t", ev->thread);
    } else {
        put_str(t, "worker");
        put_u64(t, ev->thread);
    }
}

static uint8_t event_op_kind(const cm_world *w, const cm_event *ev)
{
    if (ev->program >= w->cfg.program_count) return CM_OP_NONE;
    const cm_program *prog = &w->cfg.programs[ev->program];
    if (ev->op_index >= prog->count) return CM_OP_NONE;
    return prog->ops[ev->op_index].kind;
}

static void put_return(text *t, const cm_world *w, const cm_event *ev)
{
    uint8_t kind = event_op_kind(w, ev);
    put_char(t, ' ');
    put_str(t, cm_op_kind_name(kind));
    switch (kind) {
    case CM_OP_SEND:
        put_kv(t, "status", ev->a);
        put_char(t, ' ');
        put_str(t, cm_status_name(ev->a));
        if (ev->b != -1) put_data(t, w, "reply", ev->b);
        put_kv(t, "elapsed_ns", ev->c);
        return;
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID:
        put_kv(t, "port", ev->a);
        put_kv(t, "should_free_info", ev->b);
        return;
    case CM_OP_CREATE_REMOTE:
    case CM_OP_CREATE_REMOTE_PER_PID:
        put_kv(t, "port", ev->a);
        return;
    case CM_OP_GET_NAME:
        put_str(t, " name=");
        put_name_id(t, w, ev->a);
        return;
    case CM_OP_GET_CONTEXT:
        put_kv(t, "info", ev->b);
        return;
    case CM_OP_RUN_IN_MODE:
    case CM_OP_RUN:
    case CM_OP_SLEEP:
    case CM_OP_WAIT_FOR:
        put_kv(t, "result", ev->a);
        put_kv(t, "elapsed_ns", ev->c);
        return;
    case CM_OP_SIGNAL:
        put_kv(t, "raised", ev->a);
        return;
    case CM_OP_REPLY:
        put_data(t, w, "data", ev->a);
        return;
    default:
        put_kv(t, "result", ev->a);
        return;
    }
}

static void put_fields(text *t, const cm_world *w, const cm_event *ev)
{
    switch (ev->kind) {
    case CM_EV_START:
        put_kv(t, "incarnation", ev->a);
        put_kv(t, "pid", ev->b);
        return;
    case CM_EV_CALL:
        put_char(t, ' ');
        put_str(t, cm_op_kind_name((uint8_t)ev->a));
        return;
    case CM_EV_RETURN:
        put_return(t, w, ev);
        return;
    case CM_EV_STATE: {
        static const char *const states[] = {"new", "valid", "invalid", "deallocated"};
        put_char(t, ' ');
        put_str(t, ev->a >= 0 && ev->a < 4 ? states[ev->a] : "?");
        put_str(t, "->");
        put_str(t, ev->b >= 0 && ev->b < 4 ? states[ev->b] : "?");
        return;
    }
    case CM_EV_ENQUEUE:
    case CM_EV_CALLOUT:
    case CM_EV_SEND_BLOCKED:
    case CM_EV_MSG_DESTROYED:
        put_kv(t, "msgid", ev->a);
        put_kv(t, "convid", ev->b);
        if (ev->kind != CM_EV_SEND_BLOCKED) put_kv(t, "size", ev->c);
        return;
    case CM_EV_CALLOUT_DONE:
        put_data(t, w, "reply", ev->a);
        return;
    case CM_EV_REPLY_SENT:
        put_kv(t, "convid", ev->a);
        put_kv(t, "delivered", ev->b);
        put_kv(t, "size", ev->c);
        return;
    case CM_EV_REPLY_FILED:
    case CM_EV_REPLY_DROPPED:
        put_kv(t, "convid", ev->a);
        put_kv(t, "size", ev->c);
        return;
    case CM_EV_REQUEST_DROPPED:
        put_str(t, ev->a == CM_DROP_MALFORMED ? " malformed" : " invalid_on_arrival");
        put_kv(t, "convid", ev->b);
        return;
    case CM_EV_INVALIDATION_CB:
        put_kv(t, "callback", ev->a);
        put_kv(t, "info", ev->c);
        return;
    case CM_EV_CTX_RETAIN:
    case CM_EV_CTX_RELEASE:
    case CM_EV_CTX_COPYDESC:
        put_kv(t, "info", ev->c);
        return;
    case CM_EV_NAME_REGISTERED:
    case CM_EV_NAME_RELEASED:
        put_char(t, ' ');
        put_name_id(t, w, ev->a);
        return;
    case CM_EV_PORT_DIED:
    case CM_EV_DEATH_NOTICE:
        put_kv(t, "kport", ev->b);
        return;
    case CM_EV_CHOICE:
        put_kv(t, "kind", ev->a);
        put_kv(t, "picked", ev->b);
        put_kv(t, "of", ev->c);
        return;
    case CM_EV_BLOCKED_AT_END:
        put_kv(t, "frame", ev->a);
        put_kv(t, "elapsed_ns", ev->c);
        return;
    default:
        if (ev->a != 0) put_kv(t, "a", ev->a);
        if (ev->b != 0) put_kv(t, "b", ev->b);
        if (ev->c != 0) put_kv(t, "c", ev->c);
        return;
    }
}

size_t cm_event_format(const cm_world *w, const cm_event *ev, char *buf, size_t cap)
{
    text t = {.buf = buf, .cap = cap, .len = 0};
    put_time(&t, ev->time_ns);
    put_char(&t, ' ');
    put_who(&t, w, ev);
    put_char(&t, ' ');
    put_str(&t, cm_event_kind_name(ev->kind));
    if (ev->program != CM_NONE16) {
        put_str(&t, " @");
        put_u64(&t, ev->program);
        put_char(&t, ':');
        put_u64(&t, ev->op_index);
    }
    if (ev->port != CM_NO_PORT) {
        put_str(&t, " #");
        put_i64(&t, ev->port);
    }
    put_fields(&t, w, ev);
    if (ev->msg >= 0) put_kv(&t, "m", ev->msg);
    if (cap > 0) buf[t.len < cap ? t.len : cap - 1] = '\0';
    return t.len;
}
