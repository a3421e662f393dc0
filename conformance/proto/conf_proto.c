/* conf_proto.c — see conf_proto.h and docs/agent-protocol.md. */
#define _POSIX_C_SOURCE 200809L
#include "conf_proto.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------------------------ */

bool conf_signal_name_valid(const char *s)
{
    if (s == NULL) return false;
    size_t prefix = sizeof CONF_ENDED_PREFIX - 1;
    if (strncmp(s, CONF_ENDED_PREFIX, prefix) == 0) return conf_name_valid(s + prefix);
    return conf_name_valid(s);
}

bool conf_name_valid(const char *s)
{
    if (s == NULL) return false;
    size_t n = strlen(s);
    if (n == 0 || n > CONF_NAME_MAX) return false;
    char c = s[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return false;
    for (size_t i = 1; i < n; i++) {
        c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/* ---- message schemas ---------------------------------------------------------------------- */

typedef enum vkind {
    V_INT = 1,
    V_NUM,
    V_STR,
    V_STR_NULL,
    V_INT_NULL,
    V_BOOL,
    V_OBJ,
    V_ARR,
    V_ANY,
    V_DATA,   /* null or an object (checked by conf_data_read) */
    V_THREAD, /* a string, an integer, or null */
} vkind;

typedef struct field {
    const char *key;
    uint8_t kind;
    bool required;
} field;

typedef struct schema {
    uint8_t type;
    uint8_t dir;
    const char *name;
    const field *fields;
} schema;

#define END {NULL, 0, false}

static const field f_hello_to_agent[] = {
    {"type", V_STR, true}, {"protocol", V_INT, true}, {"runner", V_STR, true},
    {"process", V_STR_NULL, true}, {"incarnation", V_INT, false}, {"time_scale", V_NUM, true},
    {"profile", V_STR_NULL, false}, {"seed", V_INT, false}, END};
static const field f_source[] = {
    {"type", V_STR, true}, {"file", V_STR, true}, {"text", V_STR, true}, {"last", V_BOOL, true},
    END};
static const field f_blob[] = {{"type", V_STR, true}, {"id", V_INT, true}, {"hex", V_STR, true}, END};
static const field f_process[] = {
    {"type", V_STR, true}, {"name", V_STR, true}, {"threads", V_ARR, true},
    {"queues", V_ARR, false}, {"modes", V_ARR, false}, END};
static const field f_program[] = {
    {"type", V_STR, true}, {"name", V_STR, true}, {"kind", V_STR, true}, {"steps", V_ARR, true},
    END};
static const field f_command[] = {
    {"type", V_STR, true}, {"id", V_INT, true}, {"process", V_STR, true},
    {"thread", V_STR, true}, {"step", V_OBJ, true}, END};
static const field f_close[] = {
    {"type", V_STR, true}, {"process", V_STR, true}, {"thread", V_STR, true}, END};
static const field f_signal[] = {
    {"type", V_STR, true}, {"name", V_STR, true}, {"count", V_INT, true}, END};
static const field f_start[] = {
    {"type", V_STR, true}, {"process", V_STR_NULL, true}, {"epoch_ns", V_INT, true},
    {"at_ns", V_INT, true}, END};

static const field f_hello_to_runner[] = {
    {"type", V_STR, true}, {"protocol", V_INT, true}, {"implementation", V_OBJ, true},
    {"backend", V_STR, false}, {"clock", V_STR, true}, {"world", V_BOOL, false},
    {"capabilities", V_ARR, true}, {"events", V_ARR, true}, END};
static const field f_call[] = {
    {"type", V_STR, true}, {"exec", V_INT, true}, {"ref", V_INT, true}, {"id", V_INT_NULL, false},
    {"process", V_STR, false}, {"thread", V_THREAD, true}, {"t_ns", V_INT, true}, END};
static const field f_return[] = {
    {"type", V_STR, true}, {"exec", V_INT, true}, {"t_ns", V_INT, true},
    {"elapsed_ns", V_INT, true}, {"result", V_ANY, false}, {"port", V_INT_NULL, false},
    {"should_free_info", V_BOOL, false}, {"reply", V_DATA, false}, {"convid", V_INT, false},
    {"msg", V_INT, false}, {"msgid", V_INT, false}, {"unobservable", V_BOOL, false},
    {"unsupported", V_STR, false}, END};
static const field f_event[] = {
    {"type", V_STR, true}, {"kind", V_STR, true}, {"t_ns", V_INT, true},
    {"process", V_STR, false}, {"thread", V_THREAD, false}, {"port", V_INT_NULL, false},
    {"msgid", V_INT, false}, {"convid", V_INT, false}, {"code", V_INT, false},
    {"msg", V_INT, false}, {"data", V_DATA, false}, {"request", V_DATA, false}, {"size", V_INT, false},
    {"callback", V_STR_NULL, false}, {"info", V_INT_NULL, false}, {"via_set", V_BOOL, false},
    {"delivered", V_BOOL, false}, {"done", V_BOOL, false}, {"queue", V_STR, false},
    {"reason", V_STR, false}, {"note", V_STR, false}, {"step", V_INT, false},
    {"callout_id", V_INT, false}, END};
static const field f_error[] = {
    {"type", V_STR, true}, {"message", V_STR, true}, {"fatal", V_BOOL, false}, END};
static const field f_log[] = {{"type", V_STR, true}, {"message", V_STR, true}, END};
static const field f_end[] = {
    {"type", V_STR, true}, {"t_ns", V_INT, true}, {"reason", V_STR, true},
    {"trace_hash", V_STR, false}, {"events", V_INT, false}, END};
static const field f_crashed[] = {
    {"type", V_STR, true}, {"exec", V_INT, true}, {"signal", V_STR, true}, {"t_ns", V_INT, true}, END};

static const schema schemas[] = {
    {CONF_MSG_HELLO, CONF_TO_AGENT, "hello", f_hello_to_agent},
    {CONF_MSG_SOURCE, CONF_TO_AGENT, "source", f_source},
    {CONF_MSG_BLOB, CONF_TO_AGENT, "blob", f_blob},
    {CONF_MSG_PROCESS, CONF_TO_AGENT, "process", f_process},
    {CONF_MSG_PROGRAM, CONF_TO_AGENT, "program", f_program},
    {CONF_MSG_COMMAND, CONF_TO_AGENT, "command", f_command},
    {CONF_MSG_CLOSE, CONF_TO_AGENT, "close", f_close},
    {CONF_MSG_START, CONF_TO_AGENT, "start", f_start},
    {CONF_MSG_SIGNAL, CONF_TO_AGENT, "signal", f_signal},
    {CONF_MSG_HELLO, CONF_TO_RUNNER, "hello", f_hello_to_runner},
    {CONF_MSG_CALL, CONF_TO_RUNNER, "call", f_call},
    {CONF_MSG_RETURN, CONF_TO_RUNNER, "return", f_return},
    {CONF_MSG_EVENT, CONF_TO_RUNNER, "event", f_event},
    {CONF_MSG_ERROR, CONF_TO_RUNNER, "error", f_error},
    {CONF_MSG_LOG, CONF_TO_RUNNER, "log", f_log},
    {CONF_MSG_END, CONF_TO_RUNNER, "end", f_end},
    {CONF_MSG_CRASHED, CONF_TO_RUNNER, "crashed", f_crashed},
};

const char *conf_msg_type_name(uint8_t type)
{
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++) {
        if (schemas[i].type == type) return schemas[i].name;
    }
    return "?";
}

static const schema *schema_for(const char *name, conf_dir dir)
{
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++) {
        if (schemas[i].dir == dir && strcmp(schemas[i].name, name) == 0) return &schemas[i];
    }
    return NULL;
}

static bool value_fits(const conf_jdoc *doc, uint32_t v, uint8_t kind)
{
    const conf_jnode *n = conf_json_node(doc, v);
    if (n == NULL) return false;
    int64_t i64;
    switch (kind) {
    case V_INT: return conf_json_int(doc, v, INT64_MIN, INT64_MAX, &i64);
    case V_NUM: return n->type == CONF_J_NUMBER;
    case V_STR: return conf_json_str(doc, v) != NULL;
    case V_STR_NULL: return n->type == CONF_J_NULL || conf_json_str(doc, v) != NULL;
    case V_INT_NULL: return n->type == CONF_J_NULL || conf_json_int(doc, v, INT64_MIN, INT64_MAX, &i64);
    case V_BOOL: return n->type == CONF_J_BOOL;
    case V_OBJ: return n->type == CONF_J_OBJECT;
    case V_ARR: return n->type == CONF_J_ARRAY;
    case V_DATA: return n->type == CONF_J_NULL || n->type == CONF_J_OBJECT;
    case V_THREAD:
        return n->type == CONF_J_NULL || conf_json_str(doc, v) != NULL ||
               conf_json_int(doc, v, 0, UINT16_MAX, &i64);
    default: return true;
    }
}

static const char *kind_text(uint8_t kind)
{
    switch (kind) {
    case V_INT: return "an integer";
    case V_NUM: return "a number";
    case V_STR: return "a string";
    case V_STR_NULL: return "a string or null";
    case V_INT_NULL: return "an integer or null";
    case V_BOOL: return "true or false";
    case V_OBJ: return "an object";
    case V_ARR: return "an array";
    case V_DATA: return "a data value";
    case V_THREAD: return "a thread name or index";
    default: return "a value";
    }
}

/* A key for messages: printable ASCII only, shortened. */
static void safe_key(const char *key, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < cap; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[n++] = (char)c;
        } else {
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
        }
    }
    out[n < cap ? n : cap - 1] = '\0';
}

static bool check_schema(const conf_jdoc *doc, uint32_t root, const schema *s, char *err, size_t cap)
{
    const conf_jnode *o = conf_json_node(doc, root);
    uint32_t k = o->first;
    for (uint32_t pair = 0; pair < o->count / 2 && k != CONF_JSON_NONE; pair++) {
        const conf_jnode *kn = conf_json_node(doc, k);
        const char *key = doc->text.data + kn->text_off;
        uint32_t v = kn->next;
        const field *f = s->fields;
        while (f->key != NULL && (strlen(f->key) != kn->len || memcmp(f->key, key, kn->len) != 0)) f++;
        if (f->key == NULL) {
            char shown[64];
            safe_key(key, kn->len, shown, sizeof shown);
            return base_errorf(err, cap, "%s: unknown key \"%s\"", s->name, shown);
        }
        if (!value_fits(doc, v, f->kind)) {
            return base_errorf(err, cap, "%s: \"%s\" must be %s", s->name, f->key,
                               kind_text(f->kind));
        }
        k = conf_json_node(doc, v)->next;
    }
    for (const field *f = s->fields; f->key != NULL; f++) {
        if (f->required && conf_json_get(doc, root, f->key) == CONF_JSON_NONE) {
            return base_errorf(err, cap, "%s: missing \"%s\"", s->name, f->key);
        }
    }
    return true;
}

/* Objects must not repeat a key (libfyaml refuses duplicates in YAML; JSON allows them). */
static bool no_duplicate_keys(const conf_jdoc *doc, char *err, size_t cap)
{
    for (uint32_t i = 0; i < doc->count; i++) {
        const conf_jnode *o = &doc->nodes[i];
        if (o->type != CONF_J_OBJECT || o->count > 64) continue; /* large maps: checked by schema */
        uint32_t a = o->first;
        for (uint32_t p = 0; p < o->count / 2 && a != CONF_JSON_NONE; p++) {
            const conf_jnode *ka = &doc->nodes[a];
            uint32_t b = doc->nodes[ka->next].next;
            for (uint32_t q = p + 1; q < o->count / 2 && b != CONF_JSON_NONE; q++) {
                const conf_jnode *kb = &doc->nodes[b];
                if (ka->len == kb->len && memcmp(doc->text.data + ka->text_off, doc->text.data + kb->text_off, ka->len) == 0) {
                    return base_errorf(err, cap, "a key appears twice in one object");
                }
                b = doc->nodes[kb->next].next;
            }
            a = doc->nodes[ka->next].next;
        }
    }
    return true;
}

bool conf_msg_decode(const char *line, size_t len, conf_dir dir, conf_msg *msg, char *err,
                     size_t err_cap)
{
    assert(msg != NULL);
    memset(msg, 0, sizeof *msg);
    msg->root = CONF_JSON_NONE;
    if (!conf_json_parse(line, len, &msg->doc, err, err_cap)) return false;
    msg->root = msg->doc.root;
    const conf_jnode *root = conf_json_node(&msg->doc, msg->root);
    if (root == NULL || root->type != CONF_J_OBJECT) {
        return base_errorf(err, err_cap, "a line must be a JSON object");
    }
    if (!no_duplicate_keys(&msg->doc, err, err_cap)) return false;
    const char *type = conf_json_str(&msg->doc, conf_json_get(&msg->doc, msg->root, "type"));
    if (type == NULL) return base_errorf(err, err_cap, "missing \"type\" (a string)");
    const schema *s = schema_for(type, dir);
    if (s == NULL) {
        char shown[40];
        safe_key(type, strlen(type), shown, sizeof shown);
        return base_errorf(err, err_cap, "unknown message type \"%s\" %s", shown,
                           dir == CONF_TO_AGENT ? "for an agent" : "from an agent");
    }
    if (!check_schema(&msg->doc, msg->root, s, err, err_cap)) return false;
    msg->type = s->type;
    return true;
}

void conf_msg_fini(conf_msg *msg)
{
    conf_json_fini(&msg->doc);
    msg->type = CONF_MSG_NONE;
    msg->root = CONF_JSON_NONE;
}

uint32_t conf_msg_get(const conf_msg *msg, const char *key)
{
    return conf_json_get(&msg->doc, msg->root, key);
}

const char *conf_msg_str(const conf_msg *msg, const char *key)
{
    return conf_json_str(&msg->doc, conf_msg_get(msg, key));
}

int64_t conf_msg_int(const conf_msg *msg, const char *key, int64_t absent)
{
    int64_t v;
    return conf_json_int(&msg->doc, conf_msg_get(msg, key), INT64_MIN, INT64_MAX, &v) ? v : absent;
}

bool conf_msg_bool(const conf_msg *msg, const char *key, bool absent)
{
    bool v;
    return conf_json_bool(&msg->doc, conf_msg_get(msg, key), &v) ? v : absent;
}

/* ---- data ---------------------------------------------------------------------------------- */

uint64_t conf_fnv1a64(const uint8_t *bytes, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= bytes[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

char *conf_hex(base_arena *arena, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = base_arena_alloc(arena, 2 * len + 1);
    if (out == NULL) return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15u];
    }
    out[2 * len] = '\0';
    return out;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *conf_unhex(base_arena *arena, const char *hex, size_t hex_len, size_t *out_len)
{
    if (hex_len % 2 != 0) return NULL;
    uint8_t *out = base_arena_alloc(arena, hex_len / 2 + 1);
    if (out == NULL) return NULL;
    for (size_t i = 0; i < hex_len / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return NULL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = hex_len / 2;
    return out;
}

static void write_hex_string(base_jw *w, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (len == 0) {
        base_jw_str(w, "", 0);
        return;
    }
    char stack[512];
    stack[0] = '\0';
    char *text = 2 * len + 1 <= sizeof stack ? stack : malloc(2 * len + 1);
    if (text == NULL) {
        w->failed = true;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        text[2 * i] = digits[bytes[i] >> 4];
        text[2 * i + 1] = digits[bytes[i] & 15u];
    }
    base_jw_str(w, text, 2 * len);
    if (text != stack) free(text);
}

/* Printable ASCII travels as readable text; anything else as hex. */
static bool printable(const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (bytes[i] < 0x20 || bytes[i] > 0x7e) return false;
    }
    return true;
}

void conf_data_write(base_jw *w, const conf_data *d, size_t inline_max)
{
    switch (d->kind) {
    case CONF_DATA_BYTES:
        base_jw_obj_begin(w);
        if (d->len <= inline_max && printable(d->bytes, d->len)) {
            base_jw_key(w, "text");
            base_jw_str(w, (const char *)d->bytes, d->len);
        } else if (d->len <= inline_max) {
            base_jw_key(w, "hex");
            write_hex_string(w, d->bytes, d->len);
        } else {
            char digest[24];
            snprintf(digest, sizeof digest, "0x%016" PRIx64, conf_fnv1a64(d->bytes, d->len));
            base_jw_key(w, "size");
            base_jw_uint(w, d->len);
            base_jw_key(w, "fnv1a64");
            base_jw_cstr(w, digest);
        }
        base_jw_obj_end(w);
        return;
    case CONF_DATA_SIZE:
    case CONF_DATA_DIGEST:
        base_jw_obj_begin(w);
        base_jw_key(w, "size");
        base_jw_int(w, d->size);
        if (d->kind == CONF_DATA_DIGEST) {
            char digest[24];
            snprintf(digest, sizeof digest, "0x%016" PRIx64, d->digest);
            base_jw_key(w, "fnv1a64");
            base_jw_cstr(w, digest);
        }
        base_jw_obj_end(w);
        return;
    case CONF_DATA_BLOB:
        base_jw_obj_begin(w);
        base_jw_key(w, "blob");
        base_jw_uint(w, d->blob);
        base_jw_obj_end(w);
        return;
    default:
        base_jw_null(w);
        return;
    }
}

#define DATA_SIZE_MAX CM_LIMIT_SIZE_BYTES /* as the loader's {size: N}: past R27's 0x60000000 */

static bool read_digest(const conf_jdoc *doc, uint32_t node, uint64_t *out)
{
    const char *s = conf_json_str(doc, node);
    if (s == NULL || strlen(s) != 18 || s[0] != '0' || s[1] != 'x') return false;
    uint64_t v = 0;
    for (size_t i = 2; i < 18; i++) {
        int d = hex_digit(s[i]);
        if (d < 0) return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

bool conf_data_read(const conf_jdoc *doc, uint32_t node, base_arena *arena, conf_data *out,
                    char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    const conf_jnode *n = conf_json_node(doc, node);
    if (n == NULL) return base_errorf(err, err_cap, "missing data value");
    if (n->type == CONF_J_NULL) return true;
    if (n->type != CONF_J_OBJECT || n->count != 2 * (n->count / 2)) {
        return base_errorf(err, err_cap, "a data value must be null or an object");
    }
    uint32_t hex = conf_json_get(doc, node, "hex"), size = conf_json_get(doc, node, "size");
    uint32_t blob = conf_json_get(doc, node, "blob"), digest = conf_json_get(doc, node, "fnv1a64");
    uint32_t text = conf_json_get(doc, node, "text");
    uint32_t keys = (hex != CONF_JSON_NONE) + (size != CONF_JSON_NONE) + (blob != CONF_JSON_NONE) +
                    (digest != CONF_JSON_NONE) + (text != CONF_JSON_NONE);
    if (keys != n->count / 2) return base_errorf(err, err_cap, "data: unknown key");
    int64_t v = 0;
    if (text != CONF_JSON_NONE && keys == 1) { /* UTF-8 text, taken as its bytes */
        size_t len = 0;
        const char *t = conf_json_text(doc, text, &len);
        if (t == NULL || conf_json_node(doc, text)->type != CONF_J_STRING) {
            return base_errorf(err, err_cap, "data: \"text\" must be a string");
        }
        uint8_t *bytes = base_arena_alloc(arena, len + 1);
        if (bytes == NULL) return base_errorf(err, err_cap, "out of memory");
        memcpy(bytes, t, len);
        *out = (conf_data){.kind = CONF_DATA_BYTES, .bytes = bytes, .len = len, .size = (int64_t)len};
        return true;
    }
    if (hex != CONF_JSON_NONE && keys == 1) {
        size_t len = 0;
        const char *digits = conf_json_text(doc, hex, &len);
        if (digits == NULL || conf_json_node(doc, hex)->type != CONF_J_STRING) {
            return base_errorf(err, err_cap, "data: \"hex\" must be a string");
        }
        uint8_t *bytes = conf_unhex(arena, digits, len, &out->len);
        if (bytes == NULL) return base_errorf(err, err_cap, "data: bad hex digits");
        out->kind = CONF_DATA_BYTES;
        out->bytes = bytes;
        out->size = (int64_t)out->len;
        return true;
    }
    if (blob != CONF_JSON_NONE && keys == 1) {
        if (!conf_json_int(doc, blob, 0, UINT32_MAX - 1, &v))
            return base_errorf(err, err_cap, "data: bad blob id");
        out->kind = CONF_DATA_BLOB;
        out->blob = (uint32_t)v;
        return true;
    }
    if (size != CONF_JSON_NONE && (keys == 1 || (keys == 2 && digest != CONF_JSON_NONE))) {
        if (!conf_json_int(doc, size, 0, DATA_SIZE_MAX, &v))
            return base_errorf(err, err_cap, "data: bad size");
        out->kind = CONF_DATA_SIZE;
        out->size = v;
        if (digest != CONF_JSON_NONE) {
            if (!read_digest(doc, digest, &out->digest))
                return base_errorf(err, err_cap, "data: bad fnv1a64");
            out->kind = CONF_DATA_DIGEST;
        }
        return true;
    }
    return base_errorf(err, err_cap,
                       "data: expected {text}, {hex}, {size}, {blob} or {size, fnv1a64}");
}

void conf_dur_write(base_jw *w, int64_t ns)
{
    if (ns == CONF_DUR_FOREVER) {
        base_jw_cstr(w, "forever");
    } else if (ns == CONF_DUR_NAN) {
        base_jw_cstr(w, "nan");
    } else {
        base_jw_int(w, ns);
    }
}

bool conf_dur_read(const conf_jdoc *doc, uint32_t node, int64_t *out)
{
    const char *s = conf_json_str(doc, node);
    if (s != NULL) {
        if (strcmp(s, "forever") == 0) {
            *out = CONF_DUR_FOREVER;
            return true;
        }
        if (strcmp(s, "nan") == 0) {
            *out = CONF_DUR_NAN;
            return true;
        }
        return false;
    }
    return conf_json_int(doc, node, -CM_LIMIT_DURATION_NS, CM_LIMIT_DURATION_NS, out);
}

/* ---- operations ------------------------------------------------------------------------------ */

/* Step keys, as bits. */
enum {
    SK_PORT = 1u << 0,
    SK_NAME = 1u << 1,
    SK_HANDLER = 1u << 2,
    SK_CONTEXT = 1u << 3,
    SK_PROCESS = 1u << 4,
    SK_CALLBACK = 1u << 5,
    SK_MODE = 1u << 6,
    SK_THREAD = 1u << 7,
    SK_QUEUE = 1u << 8,
    SK_MSGID = 1u << 9,
    SK_DATA = 1u << 10,
    SK_SEND_TIMEOUT = 1u << 11,
    SK_RECV_TIMEOUT = 1u << 12,
    SK_REPLY_MODE = 1u << 13,
    SK_NO_RETURN_DATA = 1u << 14,
    SK_MALFORMED = 1u << 15,
    SK_FOR = 1u << 16,
    SK_RETURN_AFTER = 1u << 17,
    SK_AFTER = 1u << 18,
    SK_EVERY = 1u << 19,
    SK_TIMER = 1u << 20,
    SK_BLOCK = 1u << 21,
    SK_DURATION = 1u << 22,
    SK_REPLY = 1u << 23,
    SK_ECHO = 1u << 24,
    SK_SIGNAL = 1u << 25,
    SK_COUNT = 1u << 26,
    SK_TIMEOUT = 1u << 27,
};

typedef struct op_info {
    const char *keyword;
    uint8_t result;
    uint32_t keys;     /* allowed */
    uint32_t required;
} op_info;

#define PORT_ONLY SK_PORT, SK_PORT
static const op_info ops[CONF_OP_COUNT] = {
    [CONF_OP_CREATE_LOCAL] = {"create_local", CONF_RESULT_CREATED, SK_PORT | SK_NAME | SK_HANDLER | SK_CONTEXT, 0},
    [CONF_OP_CREATE_LOCAL_PER_PID] = {"create_local_per_pid", CONF_RESULT_CREATED, SK_PORT | SK_NAME | SK_HANDLER | SK_CONTEXT, 0},
    [CONF_OP_CREATE_REMOTE] = {"create_remote", CONF_RESULT_CREATED, SK_PORT | SK_NAME, SK_NAME},
    [CONF_OP_CREATE_REMOTE_PER_PID] = {"create_remote_per_pid", CONF_RESULT_CREATED, SK_PORT | SK_NAME | SK_PROCESS, SK_NAME | SK_PROCESS},
    [CONF_OP_SET_NAME] = {"set_name", CONF_RESULT_BOOL, SK_PORT | SK_NAME, SK_PORT | SK_NAME},
    [CONF_OP_GET_NAME] = {"get_name", CONF_RESULT_NAME, PORT_ONLY},
    [CONF_OP_IS_VALID] = {"is_valid", CONF_RESULT_BOOL, PORT_ONLY},
    [CONF_OP_IS_REMOTE] = {"is_remote", CONF_RESULT_BOOL, PORT_ONLY},
    [CONF_OP_GET_CONTEXT] = {"get_context", CONF_RESULT_INFO, PORT_ONLY},
    [CONF_OP_GET_INVALIDATION_CALLBACK] = {"get_invalidation_callback", CONF_RESULT_CALLBACK, PORT_ONLY},
    [CONF_OP_SET_INVALIDATION_CALLBACK] = {"set_invalidation_callback", CONF_RESULT_BOOL, SK_PORT | SK_CALLBACK, SK_PORT | SK_CALLBACK},
    [CONF_OP_COPY_DESCRIPTION] = {"copy_description", CONF_RESULT_NONE, PORT_ONLY},
    [CONF_OP_GET_TYPE_ID] = {"get_type_id", CONF_RESULT_INT, PORT_ONLY},
    [CONF_OP_INVALIDATE] = {"invalidate", CONF_RESULT_NONE, PORT_ONLY},
    [CONF_OP_RETAIN] = {"retain", CONF_RESULT_NONE, PORT_ONLY},
    [CONF_OP_RELEASE] = {"release", CONF_RESULT_NONE, PORT_ONLY},
    [CONF_OP_CREATE_SOURCE] = {"create_source", CONF_RESULT_CREATED, PORT_ONLY},
    [CONF_OP_ADD_SOURCE] = {"add_source", CONF_RESULT_BOOL, SK_PORT | SK_MODE | SK_THREAD, SK_PORT | SK_MODE},
    [CONF_OP_REMOVE_SOURCE] = {"remove_source", CONF_RESULT_BOOL, SK_PORT | SK_MODE | SK_THREAD, SK_PORT | SK_MODE},
    [CONF_OP_SCHEDULE] = {"schedule", CONF_RESULT_BOOL, SK_PORT | SK_MODE, SK_PORT | SK_MODE},
    [CONF_OP_SET_DISPATCH_QUEUE] = {"set_dispatch_queue", CONF_RESULT_BOOL, SK_PORT | SK_QUEUE, SK_PORT | SK_QUEUE},
    [CONF_OP_SEND] = {"send", CONF_RESULT_STATUS,
                      SK_PORT | SK_MSGID | SK_DATA | SK_SEND_TIMEOUT | SK_RECV_TIMEOUT | SK_REPLY_MODE |
                          SK_NO_RETURN_DATA | SK_MALFORMED,
                      SK_PORT | SK_SEND_TIMEOUT},
    [CONF_OP_RUN_LOOP] = {"run_loop", CONF_RESULT_RUN, SK_MODE | SK_FOR | SK_RETURN_AFTER, SK_MODE | SK_FOR},
    [CONF_OP_RUN] = {"run", CONF_RESULT_RUN, 0, 0},
    [CONF_OP_STOP] = {"stop", CONF_RESULT_NONE, SK_THREAD, 0},
    [CONF_OP_WAKE_UP] = {"wake_up", CONF_RESULT_NONE, SK_THREAD, 0},
    [CONF_OP_ADD_COMMON_MODE] = {"add_common_mode", CONF_RESULT_NONE, SK_MODE, SK_MODE},
    [CONF_OP_ADD_TIMER] = {"add_timer", CONF_RESULT_NONE, SK_MODE | SK_AFTER | SK_EVERY | SK_TIMER, SK_MODE | SK_AFTER},
    [CONF_OP_ASYNC] = {"async", CONF_RESULT_NONE, SK_QUEUE | SK_BLOCK, SK_QUEUE | SK_BLOCK},
    [CONF_OP_SLEEP] = {"sleep", CONF_RESULT_NONE, SK_DURATION, SK_DURATION},
    [CONF_OP_WORK] = {"work", CONF_RESULT_NONE, SK_DURATION, SK_DURATION},
    [CONF_OP_REPLY] = {"reply", CONF_RESULT_NONE, SK_REPLY | SK_ECHO, 0},
    [CONF_OP_CRASH] = {"crash", CONF_RESULT_NONE, 0, 0},
    [CONF_OP_EXIT] = {"exit", CONF_RESULT_NONE, 0, 0},
    [CONF_OP_SIGNAL] = {"signal", CONF_RESULT_NONE, SK_SIGNAL, SK_SIGNAL},
    [CONF_OP_WAIT_FOR] = {"wait_for", CONF_RESULT_BOOL, SK_SIGNAL | SK_COUNT | SK_TIMEOUT,
                          SK_SIGNAL | SK_COUNT | SK_TIMEOUT},
};

const char *conf_op_keyword(uint8_t op)
{
    return op > CONF_OP_NONE && op < CONF_OP_COUNT ? ops[op].keyword : NULL;
}

uint8_t conf_op_by_keyword(const char *keyword)
{
    if (keyword == NULL) return CONF_OP_NONE;
    for (uint8_t op = 1; op < CONF_OP_COUNT; op++) {
        if (strcmp(ops[op].keyword, keyword) == 0) return op;
    }
    return CONF_OP_NONE;
}

conf_result_kind conf_op_result_kind(uint8_t op)
{
    return op > CONF_OP_NONE && op < CONF_OP_COUNT ? (conf_result_kind)ops[op].result
                                                   : CONF_RESULT_NONE;
}

/* ---- steps ------------------------------------------------------------------------------------- */

static void key_str_or_null(base_jw *w, const char *key, const char *value)
{
    base_jw_key(w, key);
    if (value != NULL) {
        base_jw_cstr(w, value);
    } else {
        base_jw_null(w);
    }
}

static void key_dur(base_jw *w, const char *key, int64_t ns)
{
    base_jw_key(w, key);
    conf_dur_write(w, ns);
}

static void key_bool_if(base_jw *w, const char *key, bool value)
{
    if (!value) return;
    base_jw_key(w, key);
    base_jw_bool(w, true);
}

static void write_context(base_jw *w, const conf_step *s)
{
    base_jw_key(w, "context");
    base_jw_obj_begin(w);
    base_jw_key_int(w, "info", s->info);
    base_jw_key_bool(w, "retain", s->ctx_retain);
    base_jw_key_bool(w, "release", s->ctx_release);
    base_jw_key_bool(w, "copy_description", s->ctx_copy_description);
    base_jw_obj_end(w);
}

static void write_when(base_jw *w, const conf_step *s);

void conf_step_write(base_jw *w, const conf_step *s)
{
    assert(s->op > CONF_OP_NONE && s->op < CONF_OP_COUNT);
    uint32_t keys = ops[s->op].keys;
    base_jw_obj_begin(w);
    base_jw_key(w, "ref");
    base_jw_uint(w, s->ref);
    base_jw_key(w, "op");
    base_jw_cstr(w, ops[s->op].keyword);
    if ((keys & SK_PORT) && s->port != NULL) key_str_or_null(w, "port", s->port);
    if ((keys & SK_NAME) && s->has_name) {
        base_jw_key(w, "name");
        conf_data_write(w, &s->name, CONF_DATA_INLINE_MAX);
    }
    if (keys & SK_HANDLER) key_str_or_null(w, "handler", s->program);
    if (keys & SK_CONTEXT) write_context(w, s);
    if (keys & SK_PROCESS) key_str_or_null(w, "process", s->process);
    if (keys & SK_CALLBACK) key_str_or_null(w, "callback", s->program);
    if (keys & SK_TIMER) key_str_or_null(w, "timer", s->program);
    if (keys & SK_BLOCK) key_str_or_null(w, "block", s->program);
    if (keys & SK_MODE) key_str_or_null(w, "mode", s->mode);
    if ((keys & SK_THREAD) && s->thread != NULL) key_str_or_null(w, "thread", s->thread);
    if (keys & SK_QUEUE) key_str_or_null(w, "queue", s->queue);
    if (s->op == CONF_OP_SEND) {
        base_jw_key(w, "msgid");
        base_jw_int(w, s->msgid);
        base_jw_key(w, "data");
        conf_data_write(w, &s->data, CONF_DATA_INLINE_MAX);
        key_dur(w, "send_timeout_ns", s->t1_ns);
        key_dur(w, "recv_timeout_ns", s->t2_ns);
        key_str_or_null(w, "reply_mode", s->mode);
        key_bool_if(w, "no_return_data", s->no_return_data);
        key_bool_if(w, "malformed", s->malformed);
    }
    if (keys & SK_FOR) key_dur(w, "for_ns", s->t1_ns);
    key_bool_if(w, "return_after_source", (keys & SK_RETURN_AFTER) && s->return_after_source);
    if (keys & SK_AFTER) key_dur(w, "after_ns", s->t1_ns);
    if (keys & SK_EVERY) key_dur(w, "every_ns", s->t2_ns);
    if (keys & SK_DURATION) key_dur(w, "duration_ns", s->t1_ns);
    if (keys & SK_SIGNAL) key_str_or_null(w, "signal", s->signal);
    if (keys & SK_COUNT) {
        base_jw_key(w, "count");
        base_jw_uint(w, s->count);
    }
    if (keys & SK_TIMEOUT) key_dur(w, "timeout_ns", s->t1_ns);
    if (s->op == CONF_OP_REPLY) {
        if (s->echo) {
            key_bool_if(w, "echo", true);
        } else {
            base_jw_key(w, "reply");
            conf_data_write(w, &s->data, CONF_DATA_INLINE_MAX);
        }
    }
    if (s->when != 0) write_when(w, s);
    base_jw_obj_end(w);
}


/* "when": {"msgid": N, "data": DATA, "size": N}: the keys the step's condition has. */
static void write_when(base_jw *w, const conf_step *s)
{
    assert(s->when != 0 && (s->when & ~(CM_WHEN_MSGID | CM_WHEN_DATA | CM_WHEN_SIZE)) == 0);
    base_jw_key(w, "when");
    base_jw_obj_begin(w);
    if (s->when & CM_WHEN_MSGID) {
        base_jw_key_int(w, "msgid", s->when_msgid);
    }
    if (s->when & CM_WHEN_DATA) {
        base_jw_key(w, "data");
        conf_data_write(w, &s->when_data, CONF_DATA_INLINE_MAX);
    }
    if (s->when & CM_WHEN_SIZE) {
        base_jw_key_int(w, "size", s->when_size);
    }
    base_jw_obj_end(w);
}

/* The step's "when" object: at least one known key, each once, data inline and not NULL. */
static bool read_when(const conf_jdoc *doc, uint32_t node, base_arena *arena, conf_step *s, char *err, size_t cap)
{
    const conf_jnode *n = conf_json_node(doc, node);
    if (n == NULL || n->type != CONF_J_OBJECT || n->count == 0) return base_errorf(err, cap, "when: an object with keys");
    uint32_t known = 0;
    int64_t i64 = 0;
    uint32_t v = conf_json_get(doc, node, "msgid");
    if (v != CONF_JSON_NONE) {
        if (!conf_json_int(doc, v, CM_LIMIT_MSGID_MIN, CM_LIMIT_MSGID_MAX, &i64)) return base_errorf(err, cap, "when: bad msgid");
        s->when |= CM_WHEN_MSGID;
        s->when_msgid = (int32_t)i64;
        known++;
    }
    v = conf_json_get(doc, node, "data");
    if (v != CONF_JSON_NONE) {
        if (!conf_data_read(doc, v, arena, &s->when_data, err, cap)) return false;
        if (s->when_data.kind != CONF_DATA_BYTES && s->when_data.kind != CONF_DATA_SIZE) {
            return base_errorf(err, cap, "when: data must be bytes or a size");
        }
        s->when |= CM_WHEN_DATA;
        known++;
    }
    v = conf_json_get(doc, node, "size");
    if (v != CONF_JSON_NONE) {
        if (!conf_json_int(doc, v, 0, CM_LIMIT_SIZE_BYTES, &i64)) return base_errorf(err, cap, "when: bad size");
        s->when |= CM_WHEN_SIZE;
        s->when_size = i64;
        known++;
    }
    if (known != n->count / 2) return base_errorf(err, cap, "when: unknown key");
    return true;
}

typedef struct step_key {
    const char *key;
    uint32_t bit;
} step_key;

static const step_key step_keys[] = {
    {"port", SK_PORT}, {"name", SK_NAME}, {"handler", SK_HANDLER}, {"context", SK_CONTEXT},
    {"process", SK_PROCESS}, {"callback", SK_CALLBACK}, {"mode", SK_MODE}, {"thread", SK_THREAD},
    {"queue", SK_QUEUE}, {"msgid", SK_MSGID}, {"data", SK_DATA},
    {"send_timeout_ns", SK_SEND_TIMEOUT}, {"recv_timeout_ns", SK_RECV_TIMEOUT},
    {"reply_mode", SK_REPLY_MODE}, {"no_return_data", SK_NO_RETURN_DATA},
    {"malformed", SK_MALFORMED}, {"for_ns", SK_FOR}, {"return_after_source", SK_RETURN_AFTER},
    {"after_ns", SK_AFTER}, {"every_ns", SK_EVERY}, {"timer", SK_TIMER}, {"block", SK_BLOCK},
    {"duration_ns", SK_DURATION}, {"reply", SK_REPLY}, {"echo", SK_ECHO},
    {"signal", SK_SIGNAL}, {"count", SK_COUNT}, {"timeout_ns", SK_TIMEOUT},
};

static uint32_t step_key_bit(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof step_keys / sizeof step_keys[0]; i++) {
        if (strlen(step_keys[i].key) == len && memcmp(step_keys[i].key, key, len) == 0) {
            return step_keys[i].bit;
        }
    }
    return 0;
}

/* A name-like string (identifier or "self"), copied; NULL with *ok for JSON null. */
static bool read_name(const conf_jdoc *doc, uint32_t node, base_arena *arena, bool null_ok,
                      const char **out)
{
    *out = NULL;
    if (conf_json_is_null(doc, node)) return null_ok;
    const char *s = conf_json_str(doc, node);
    if (s == NULL || !conf_name_valid(s)) return false;
    *out = base_arena_strndup(arena, s, strlen(s));
    return *out != NULL;
}

static bool read_signal_name(const conf_jdoc *doc, uint32_t node, base_arena *arena, const char **out)
{
    *out = NULL;
    const char *s = conf_json_str(doc, node);
    if (s == NULL || !conf_signal_name_valid(s)) return false;
    *out = base_arena_strndup(arena, s, strlen(s));
    return *out != NULL;
}

static bool read_context(const conf_jdoc *doc, uint32_t node, conf_step *s)
{
    const conf_jnode *n = conf_json_node(doc, node);
    if (n == NULL || n->type != CONF_J_OBJECT) return false;
    uint32_t known = 0;
    int64_t info = 0;
    uint32_t v = conf_json_get(doc, node, "info");
    if (v != CONF_JSON_NONE) {
        if (!conf_json_int(doc, v, CM_LIMIT_INFO_MIN, CM_LIMIT_INFO_MAX, &info)) return false;
        known++;
    }
    s->info = info;
    struct {
        const char *key;
        bool *flag;
    } flags[] = {{"retain", &s->ctx_retain}, {"release", &s->ctx_release},
                 {"copy_description", &s->ctx_copy_description}};
    for (size_t i = 0; i < 3; i++) {
        v = conf_json_get(doc, node, flags[i].key);
        if (v == CONF_JSON_NONE) continue;
        if (!conf_json_bool(doc, v, flags[i].flag)) return false;
        known++;
    }
    return known == n->count / 2;
}

static bool read_step_key(const conf_jdoc *doc, uint32_t v, uint32_t bit, base_arena *arena,
                          conf_step *s, char *err, size_t cap)
{
    int64_t i64 = 0;
    bool ok = true;
    switch (bit) {
    case SK_PORT: ok = read_name(doc, v, arena, false, &s->port); break;
    case SK_NAME:
        s->has_name = true;
        return conf_data_read(doc, v, arena, &s->name, err, cap);
    case SK_HANDLER:
    case SK_CALLBACK: ok = read_name(doc, v, arena, true, &s->program); break;
    case SK_TIMER:
    case SK_BLOCK: ok = read_name(doc, v, arena, false, &s->program); break;
    case SK_CONTEXT: ok = read_context(doc, v, s); break;
    case SK_PROCESS: ok = read_name(doc, v, arena, false, &s->process); break;
    case SK_MODE:
    case SK_REPLY_MODE: ok = read_name(doc, v, arena, bit == SK_REPLY_MODE, &s->mode); break;
    case SK_THREAD: ok = read_name(doc, v, arena, true, &s->thread); break;
    case SK_QUEUE: ok = read_name(doc, v, arena, true, &s->queue); break;
    case SK_MSGID:
        ok = conf_json_int(doc, v, CM_LIMIT_MSGID_MIN, CM_LIMIT_MSGID_MAX, &i64);
        s->msgid = (int32_t)i64;
        break;
    case SK_DATA:
    case SK_REPLY: return conf_data_read(doc, v, arena, &s->data, err, cap);
    case SK_SEND_TIMEOUT:
    case SK_FOR:
    case SK_AFTER:
    case SK_DURATION: ok = conf_dur_read(doc, v, &s->t1_ns); break;
    case SK_RECV_TIMEOUT:
    case SK_EVERY: ok = conf_dur_read(doc, v, &s->t2_ns); break;
    case SK_NO_RETURN_DATA: ok = conf_json_bool(doc, v, &s->no_return_data); break;
    case SK_MALFORMED: ok = conf_json_bool(doc, v, &s->malformed); break;
    case SK_RETURN_AFTER: ok = conf_json_bool(doc, v, &s->return_after_source); break;
    case SK_ECHO: ok = conf_json_bool(doc, v, &s->echo); break;
    case SK_SIGNAL: ok = read_signal_name(doc, v, arena, &s->signal); break;
    case SK_COUNT:
        ok = conf_json_int(doc, v, 1, UINT32_MAX, &i64);
        s->count = (uint32_t)i64;
        break;
    case SK_TIMEOUT: ok = conf_dur_read(doc, v, &s->t1_ns); break;
    default: ok = false; break;
    }
    if (!ok) return base_errorf(err, cap, "step: bad value");
    return true;
}

bool conf_step_read(const conf_jdoc *doc, uint32_t node, base_arena *arena, conf_step *out,
                    char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    const conf_jnode *o = conf_json_node(doc, node);
    if (o == NULL || o->type != CONF_J_OBJECT)
        return base_errorf(err, err_cap, "a step must be an object");
    int64_t ref = 0;
    if (!conf_json_int(doc, conf_json_get(doc, node, "ref"), 0, UINT32_MAX - 1, &ref)) {
        return base_errorf(err, err_cap, "step: \"ref\" must be a step index");
    }
    const char *keyword = conf_json_str(doc, conf_json_get(doc, node, "op"));
    out->op = conf_op_by_keyword(keyword);
    out->ref = (uint32_t)ref;
    if (out->op == CONF_OP_NONE)
        return base_errorf(err, err_cap, "step %u: unknown \"op\"", out->ref);
    const op_info *info = &ops[out->op];
    uint32_t seen = 0;
    uint32_t k = o->first;
    for (uint32_t pair = 0; pair < o->count / 2 && k != CONF_JSON_NONE; pair++) {
        const conf_jnode *kn = conf_json_node(doc, k);
        const char *key = doc->text.data + kn->text_off;
        uint32_t v = kn->next;
        k = conf_json_node(doc, v)->next;
        if ((kn->len == 3 && memcmp(key, "ref", 3) == 0) || (kn->len == 2 && memcmp(key, "op", 2) == 0)) continue;
        if (kn->len == 4 && memcmp(key, "when", 4) == 0) { /* any step may have a condition */
            char inner[96] = "bad value";
            if (out->when != 0 || !read_when(doc, v, arena, out, inner, sizeof inner)) {
                return base_errorf(err, err_cap, "step %u (%s), \"when\": %s", out->ref, info->keyword,
                               out->when != 0 ? "given twice" : inner);
            }
            continue;
        }
        uint32_t bit = step_key_bit(key, kn->len);
        char shown[40];
        safe_key(key, kn->len, shown, sizeof shown);
        if (bit == 0 || (info->keys & bit) == 0) {
            return base_errorf(err, err_cap, "step %u (%s): unknown key \"%s\"", out->ref,
                               info->keyword, shown);
        }
        char inner[96] = "bad value";
        if (!read_step_key(doc, v, bit, arena, out, inner, sizeof inner)) {
            return base_errorf(err, err_cap, "step %u (%s), \"%s\": %s", out->ref, info->keyword,
                               shown, inner);
        }
        seen |= bit;
    }
    if ((seen & info->required) != info->required) {
        return base_errorf(err, err_cap, "step %u (%s): a required argument is missing", out->ref,
                           info->keyword);
    }
    if (arena->failed) return base_errorf(err, err_cap, "out of memory");
    return conf_step_validate(out) ||
           base_errorf(err, err_cap, "step %u (%s): inconsistent arguments", out->ref,
                       info->keyword);
}

/* Data the loader could have produced: {size: N} and known bytes within their limits. */
static bool data_within_limits(const conf_data *d)
{
    switch (d->kind) {
    case CONF_DATA_BYTES: return d->len <= CM_LIMIT_VALUE_BYTES;
    case CONF_DATA_SIZE:
    case CONF_DATA_DIGEST: return d->size >= 0 && d->size <= CM_LIMIT_SIZE_BYTES;
    default: return true;
    }
}

bool conf_step_validate(const conf_step *s)
{
    if (s->op == CONF_OP_NONE || s->op >= CONF_OP_COUNT) return false;
    if (s->port != NULL && strcmp(s->port, "self") != 0 && !conf_name_valid(s->port)) return false;
    if (!data_within_limits(&s->data) || !data_within_limits(&s->name)) return false;
    if (s->when & ~(CM_WHEN_MSGID | CM_WHEN_DATA | CM_WHEN_SIZE)) return false;
    if ((s->when & CM_WHEN_DATA) && (!data_within_limits(&s->when_data) ||
                                     (s->when_data.kind != CONF_DATA_BYTES && s->when_data.kind != CONF_DATA_SIZE))) {
        return false;
    }
    if ((s->when & CM_WHEN_SIZE) && (s->when_size < 0 || s->when_size > CM_LIMIT_SIZE_BYTES)) return false;
    /* each duration key with the flags the loader gives it (sim_load_step.c) */
    const uint32_t timeout = CM_DUR_NEGATIVE | CM_DUR_FOREVER | CM_DUR_NAN;
    switch (s->op) {
    case CONF_OP_ASYNC:
        return s->queue != NULL && s->program != NULL;
    case CONF_OP_ADD_TIMER: /* after_ns, every_ns: not negative, not forever */
        return s->program != NULL && s->mode != NULL && cm_limit_duration_ok(s->t1_ns, 0) &&
               cm_limit_duration_ok(s->t2_ns, 0);
    case CONF_OP_REPLY:
        return !(s->echo && s->data.kind != CONF_DATA_NULL);
    case CONF_OP_SLEEP: /* duration_ns: not negative, not nan */
    case CONF_OP_WORK:
        return cm_limit_duration_ok(s->t1_ns, CM_DUR_FOREVER);
    case CONF_OP_RUN_LOOP:
        return cm_limit_duration_ok(s->t1_ns, CM_DUR_NEGATIVE | CM_DUR_FOREVER);
    case CONF_OP_SEND:
        return cm_limit_duration_ok(s->t1_ns, timeout) && cm_limit_duration_ok(s->t2_ns, timeout);
    case CONF_OP_SIGNAL:
        return s->signal != NULL;
    case CONF_OP_WAIT_FOR: /* timeout_ns: not negative, not nan; forever is fine */
        return s->signal != NULL && s->count >= 1 && cm_limit_duration_ok(s->t1_ns, CM_DUR_FOREVER);
    default:
        return true;
    }
}
