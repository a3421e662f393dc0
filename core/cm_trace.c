/*
 * cm_trace.c — names of things, and the canonical text form of events.
 *
 * One line per event:
 *     <seconds.nanoseconds> <process>[/<thread>] <kind> [@program:op] [#port] key=value...
 * Text is built with a tiny bounded writer (the core has no stdio).
 */
#include "cm_internal.h"

#include <stddef.h>
#include <string.h>

/* Every shape's fields are the slots, in order: the hash encodes the slots. */
#define SHAPE_OVER_SLOTS(shape, fa, fb, fc)                                           \
    _Static_assert(offsetof(cm_event, shape.fa) == offsetof(cm_event, slots.a) &&     \
                       offsetof(cm_event, shape.fb) == offsetof(cm_event, slots.b) && \
                       offsetof(cm_event, shape.fc) == offsetof(cm_event, slots.c),   \
                   "shape " #shape " is over the slots a, b, c");
CM_EVENT_SHAPES(SHAPE_OVER_SLOTS)
#undef SHAPE_OVER_SLOTS
_Static_assert(sizeof(cm_event_values) == 16, "an event's values are two 32-bit slots and one 64-bit slot");

static const char *const event_names[CM_EV_KIND_COUNT] = {
    [CM_EV_NONE] = "none",
#define EVENT_NAME(id, name, shape, counted, ta, tb, tc) [CM_EV_##id] = name,
    CM_EVENT_KINDS(EVENT_NAME)
#undef EVENT_NAME
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
    static_assert(CM_SUCCESS == 0 && CM_SEND_TIMEOUT == -1 && CM_RECEIVE_TIMEOUT == -2,
                  "CFMessagePort's status codes (CFMessagePort.h)");
    static_assert(CM_IS_INVALID == -3 && CM_TRANSPORT_ERROR == -4 && CM_BECAME_INVALID == -5,
                  "CFMessagePort's status codes (CFMessagePort.h)");
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
    int32_t code;
    if (d.size_bytes < 0) code = -1;
    else if (d.blob != CM_NONE32) code = (int32_t)d.blob;
    else if (d.size_bytes > INT32_MAX - 2) code = INT32_MIN;
    else code = (int32_t)(-(d.size_bytes + 2));
    assert((code == -1) == (d.size_bytes < 0)); /* NULL, and only NULL, is -1 */
    assert(code >= -1 || d.blob == CM_NONE32);  /* negative codes carry a size, no blob */
    return code;
}

cm_data cm_data_decode(int32_t code, const cm_blob *blobs, uint32_t blob_count)
{
    assert(blobs != NULL || blob_count == 0);
    if (code == -1) return CM_DATA_NULL;
    if (code >= 0) {
        uint32_t size = (uint32_t)code < blob_count ? blobs[code].size_bytes : 0;
        return (cm_data){.size_bytes = size, .blob = (uint32_t)code};
    }
    if (code == INT32_MIN) return (cm_data){.size_bytes = INT64_MAX, .blob = CM_NONE32};
    assert(code <= -2); /* a size: -(size + 2) */
    return (cm_data){.size_bytes = -(int64_t)code - 2, .blob = CM_NONE32};
}

/* ---- a bounded text writer -------------------------------------------- */

typedef struct text {
    char *buf;
    size_t cap;
    size_t len; /* as needed, may exceed cap */
} text;

/* A writer: a buffer of cap bytes (none when cap is 0). */
static bool text_ok(const text *t)
{
    return t != NULL && (t->buf != NULL || t->cap == 0);
}

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
    assert(text_ok(t));
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    assert(n >= 1 && n <= 20); /* UINT64_MAX has 20 digits */
    while (n > 0) put_char(t, digits[--n]);
}

static void put_i64(text *t, int64_t v)
{
    assert(text_ok(t));
    if (v < 0) {
        put_char(t, '-');
        assert((uint64_t)0 - (uint64_t)v <= (uint64_t)INT64_MAX + 1u); /* INT64_MIN too */
        put_u64(t, (uint64_t)0 - (uint64_t)v);
        return;
    }
    put_u64(t, (uint64_t)v);
}

static void put_time(text *t, cm_time_ns ns)
{
    assert(text_ok(t));
    if (ns == CM_DURATION_FOREVER) {
        put_str(t, "forever");
        return;
    }
    put_i64(t, ns / CM_NS_PER_S);
    put_char(t, '.');
    int64_t frac = ns % CM_NS_PER_S;
    assert(frac > -CM_NS_PER_S && frac < CM_NS_PER_S);
    for (int64_t div = CM_NS_PER_S / 10; div > 0; div /= 10) {
        put_char(t, (char)('0' + (frac / div) % 10));
    }
}

/* Bytes as a quoted string; anything unprintable as \xNN. */
static void put_bytes(text *t, const uint8_t *bytes, uint32_t size)
{
    assert(text_ok(t));
    assert(bytes != NULL || size == 0);
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
    assert(text_ok(t) && w != NULL);
    if (blob >= w->cfg.blob_count) {
        put_char(t, '?');
        return;
    }
    const cm_blob *b = &w->cfg.blobs[blob];
    assert(b->bytes != NULL || b->size_bytes == 0);
    put_bytes(t, b->bytes, b->size_bytes);
}

static void put_name_id(text *t, const cm_world *w, int32_t name)
{
    assert(text_ok(t) && w != NULL);
    assert(w->name_count == 0 || (w->name_blob != NULL && w->name_size != NULL));
    if (name < 0 || (uint32_t)name >= w->name_count) {
        put_str(t, "NULL");
        return;
    }
    const cm_blob *b = &w->cfg.blobs[w->name_blob[name]];
    put_bytes(t, b->bytes, w->name_size[name]);
}

static void put_kv(text *t, const char *key, int64_t value)
{
    assert(text_ok(t));
    assert(key != NULL && key[0] != '\0');
    put_char(t, ' ');
    put_str(t, key);
    put_char(t, '=');
    put_i64(t, value);
}

static void put_data(text *t, const cm_world *w, const char *key, int32_t code)
{
    assert(text_ok(t) && w != NULL);
    assert(key != NULL && key[0] != '\0');
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
    assert(text_ok(t) && w != NULL);
    assert(fallback != NULL);
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
    assert(text_ok(t) && w != NULL);
    assert(ev != NULL);
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
    assert(w != NULL && ev != NULL);
    assert(w->cfg.program_count == 0 || w->cfg.programs != NULL);
    if (ev->program >= w->cfg.program_count) return CM_OP_NONE;
    const cm_program *prog = &w->cfg.programs[ev->program];
    if (ev->op_index >= prog->count) return CM_OP_NONE;
    return prog->ops[ev->op_index].kind;
}

static void put_return(text *t, const cm_world *w, const cm_event *ev)
{
    assert(text_ok(t) && w != NULL);
    assert(ev != NULL);
    uint8_t kind = event_op_kind(w, ev);
    put_char(t, ' ');
    put_str(t, cm_op_kind_name(kind));
    switch (kind) {
    case CM_OP_SEND:
        put_kv(t, "status", ev->ret.result);
        put_char(t, ' ');
        put_str(t, cm_status_name(ev->ret.result));
        if (ev->ret.aux != -1) put_data(t, w, "reply", ev->ret.aux);
        put_kv(t, "elapsed_ns", ev->ret.elapsed_ns);
        return;
    case CM_OP_CREATE_LOCAL:
    case CM_OP_CREATE_LOCAL_PER_PID:
        put_kv(t, "port", ev->ret.result);
        put_kv(t, "should_free_info", ev->ret.aux);
        return;
    case CM_OP_CREATE_REMOTE:
    case CM_OP_CREATE_REMOTE_PER_PID:
        put_kv(t, "port", ev->ret.result);
        return;
    case CM_OP_GET_NAME:
        put_str(t, " name=");
        put_name_id(t, w, ev->ret.result);
        return;
    case CM_OP_GET_CONTEXT:
        put_kv(t, "info", ev->ret.aux);
        return;
    case CM_OP_RUN_IN_MODE:
    case CM_OP_RUN:
    case CM_OP_SLEEP:
    case CM_OP_WAIT_FOR:
        put_kv(t, "result", ev->ret.result);
        put_kv(t, "elapsed_ns", ev->ret.elapsed_ns);
        return;
    case CM_OP_SIGNAL:
        put_kv(t, "raised", ev->ret.result);
        return;
    case CM_OP_REPLY:
        put_data(t, w, "data", ev->ret.result);
        return;
    default:
        put_kv(t, "result", ev->ret.result);
        return;
    }
}

/*
 * How each slot of each kind is printed: the text columns of
 * cm_event_kinds.h, as data (the text is not on the hot path).
 */
typedef enum text_format {
    TF_NO = 0, TF_KV, TF_NZ, TF_DATA, TF_NAME, TF_OP, TF_DROP, TF_FROM, TF_TO, TF_RETURN
} text_format;

typedef struct slot_text {
    uint8_t format; /* text_format */
    const char *key;
} slot_text;

#define TEXT_NO {TF_NO, NULL}
#define TEXT_KV(key) {TF_KV, #key}
#define TEXT_NZ(key) {TF_NZ, #key}
#define TEXT_DATA(key) {TF_DATA, #key}
#define TEXT_NAME {TF_NAME, NULL}
#define TEXT_OP {TF_OP, NULL}
#define TEXT_DROP {TF_DROP, NULL}
#define TEXT_FROM {TF_FROM, NULL}
#define TEXT_TO {TF_TO, NULL}
#define TEXT_RETURN {TF_RETURN, NULL}

static const slot_text event_text[CM_EV_KIND_COUNT][3] = {
    [CM_EV_NONE] = {TEXT_NZ(a), TEXT_NZ(b), TEXT_NZ(c)},
#define EVENT_TEXT(id, name, shape, counted, ta, tb, tc) [CM_EV_##id] = {TEXT_##ta, TEXT_##tb, TEXT_##tc},
    CM_EVENT_KINDS(EVENT_TEXT)
#undef EVENT_TEXT
};

static const char *state_name(int64_t state)
{
    static const char *const states[CM_PS_COUNT] = {"new", "valid", "invalid", "deallocated"};
    return state >= 0 && state < CM_PS_COUNT ? states[state] : "?";
}

/* One slot's text, as its kind's row says. */
static void put_slot(text *t, const cm_world *w, const cm_event *ev, slot_text f, int64_t value)
{
    assert(text_ok(t) && w != NULL && ev != NULL);
    assert(f.format <= TF_RETURN);
    assert((f.format == TF_KV || f.format == TF_NZ || f.format == TF_DATA) == (f.key != NULL));
    switch ((text_format)f.format) {
    case TF_NO: return;
    case TF_KV: put_kv(t, f.key, value); return;
    case TF_NZ:
        if (value != 0) put_kv(t, f.key, value);
        return;
    case TF_DATA: put_data(t, w, f.key, (int32_t)value); return;
    case TF_NAME:
        put_char(t, ' ');
        put_name_id(t, w, (int32_t)value);
        return;
    case TF_OP:
        put_char(t, ' ');
        put_str(t, cm_op_kind_name((uint8_t)value));
        return;
    case TF_DROP: put_str(t, value == CM_DROP_MALFORMED ? " malformed" : " invalid_on_arrival"); return;
    case TF_FROM:
        put_char(t, ' ');
        put_str(t, state_name(value));
        return;
    case TF_TO:
        put_str(t, "->");
        put_str(t, state_name(value));
        return;
    case TF_RETURN: put_return(t, w, ev); return;
    }
}

static void put_fields(text *t, const cm_world *w, const cm_event *ev)
{
    assert(text_ok(t) && w != NULL);
    assert(ev != NULL);
    const slot_text *row = event_text[ev->kind < CM_EV_KIND_COUNT ? ev->kind : CM_EV_NONE];
    put_slot(t, w, ev, row[0], ev->slots.a);
    put_slot(t, w, ev, row[1], ev->slots.b);
    put_slot(t, w, ev, row[2], ev->slots.c);
}

size_t cm_event_format(const cm_world *w, const cm_event *ev, char *buf, size_t cap)
{
    assert(w != NULL && ev != NULL);
    assert(buf != NULL || cap == 0);
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
