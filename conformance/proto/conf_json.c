/* conf_json.c — see conf_json.h. */
#define _POSIX_C_SOURCE 200809L
#include "conf_json.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libfyaml.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base_alloc.h"
#include "base_fy.h"
#include "base_utf8.h"

/* ---- bytes ---------------------------------------------------------------------- */

bool conf_json_check_bytes(const char *bytes, size_t len, char *err, size_t err_cap)
{
    if (len > CONF_JSON_MAX_LINE) {
        return base_errorf(err, err_cap, "line longer than %zu bytes", CONF_JSON_MAX_LINE);
    }
    const uint8_t *p = (const uint8_t *)bytes;
    for (size_t i = 0; i < len;) {
        if (p[i] == '\n' && i + 1 == len) break; /* the line's own terminator */
        if (p[i] < 0x20 && p[i] != '\t') {
            return base_errorf(err, err_cap, "control byte 0x%02x at offset %zu", p[i], i);
        }
        size_t n = base_utf8_len(p + i, len - i);
        if (n == 0) return base_errorf(err, err_cap, "invalid UTF-8 at offset %zu", i);
        i += n;
    }
    return true;
}

/*
 * The shape of a line, before libfyaml sees it: libfyaml scans a whole flow
 * collection before its first event and keeps every token (about 450 bytes
 * each), so a line of 1 MiB of `[` cost 0.45 s and 360 MB before "nested too
 * deeply", and one of `[1,1,...]` 218 MB before "too many values" (issue 10).
 * JSON has one kind of string, so the count is exact: nesting at most
 * CONF_JSON_MAX_DEPTH, and tokens (`[ ] { } , :` and the start of each
 * string or bare value) at most 2 x CONF_JSON_MAX_NODES (a line of as many
 * nodes as the tree takes has fewer, but for empty containers; 31 MB at
 * most in libfyaml, measured). A single quote outside
 * a string is refused here (libfyaml would read a YAML '...' scalar there,
 * which this count does not know).
 */
static bool check_shape(const char *line, size_t len, char *err, size_t err_cap)
{
    assert(line != NULL || len == 0);
    uint32_t depth = 0, tokens = 0;
    bool in_string = false, in_bare = false;
    for (size_t i = 0; i < len; i++) { /* one pass, no backtracking */
        char c = line[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        bool indicator = c == '[' || c == '{' || c == ']' || c == '}' || c == ',' || c == ':';
        bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (c == '\'')
            return base_errorf(err, err_cap, "a single quote outside a string (not JSON)");
        if (c == '"' || (!indicator && !space && !in_bare)) tokens++;
        in_string = c == '"';
        in_bare = !indicator && !space && !in_string;
        if (indicator) tokens++;
        if (c == '[' || c == '{') {
            if (++depth > CONF_JSON_MAX_DEPTH)
                return base_errorf(err, err_cap, "values nested too deeply");
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
        if (tokens > 2 * CONF_JSON_MAX_NODES)
            return base_errorf(err, err_cap, "too many values in one line");
    }
    assert(depth <= CONF_JSON_MAX_DEPTH);
    return true;
}

/* ---- tree building ------------------------------------------------------------------ */

typedef struct builder {
    conf_jdoc *doc;
    uint32_t stack[CONF_JSON_MAX_DEPTH + 1];
    uint32_t last[CONF_JSON_MAX_DEPTH + 1]; /* last child of each open container */
    uint32_t depth;
    uint32_t documents;
    bool failed;
    char *err;
    size_t err_cap;
} builder;

static bool fail(builder *b, const char *what)
{
    if (!b->failed) base_errorf(b->err, b->err_cap, "%s", what);
    b->failed = true;
    return false;
}

/* Why: strings and numbers are kept NUL-terminated in one buffer; *off is where. */
static bool text_append(conf_jdoc *doc, const char *s, size_t len, size_t *off)
{
    assert(doc != NULL && off != NULL);
    assert(s != NULL || len == 0);
    *off = doc->text.len;
    base_buf_append(&doc->text, s, len);
    base_buf_append(&doc->text, "", 1); /* the NUL after it, kept as part of the text */
    return !doc->text.failed;
}

static uint32_t add_node(builder *b, uint8_t type)
{
    conf_jdoc *doc = b->doc;
    if (doc->count >= CONF_JSON_MAX_NODES) {
        fail(b, "too many values in one line");
        return CONF_JSON_NONE;
    }
    conf_jnode *grown =
        base_grow_array(doc->nodes, &doc->capacity, doc->count + 1, 32, sizeof *grown);
    if (grown == NULL) {
        fail(b, "out of memory");
        return CONF_JSON_NONE;
    }
    doc->nodes = grown;
    uint32_t index = doc->count++;
    doc->nodes[index] = (conf_jnode){.type = type, .first = CONF_JSON_NONE,
                                     .next = CONF_JSON_NONE};
    if (b->depth == 0) {
        if (doc->root != CONF_JSON_NONE) {
            fail(b, "more than one value in a line");
            return CONF_JSON_NONE;
        }
        doc->root = index;
        return index;
    }
    uint32_t parent = b->stack[b->depth - 1];
    uint32_t prev = b->last[b->depth - 1];
    if (prev == CONF_JSON_NONE) {
        doc->nodes[parent].first = index;
    } else {
        doc->nodes[prev].next = index;
    }
    b->last[b->depth - 1] = index;
    doc->nodes[parent].count++;
    return index;
}

/* JSON's number grammar, exactly. */
static bool is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start) return false;
    }
    return i == n;
}

static bool in_object_key_position(const builder *b)
{
    if (b->depth == 0) return false;
    const conf_jnode *parent = &b->doc->nodes[b->stack[b->depth - 1]];
    return parent->type == CONF_J_OBJECT && parent->count % 2 == 0;
}

static void on_scalar(builder *b, struct fy_event *ev)
{
    enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
    bool quoted = style == FYSS_DOUBLE_QUOTED;
    if (in_object_key_position(b) && !quoted) {
        fail(b, "an object key is not a string");
        return;
    }
    if (!quoted && style != FYSS_PLAIN) { /* before reading it: 0.7.12 misreads '' escapes */
        fail(b, "a string is not double-quoted");
        return;
    }
    size_t len = 0;
    const char *text = fy_token_get_text(ev->scalar.value, &len);
    if (text == NULL) text = "";
    uint8_t type = CONF_J_STRING;
    if (!quoted) {
        if (len == 4 && memcmp(text, "true", 4) == 0) {
            type = CONF_J_BOOL;
        } else if (len == 5 && memcmp(text, "false", 5) == 0) {
            type = CONF_J_BOOL;
        } else if (len == 4 && memcmp(text, "null", 4) == 0) {
            type = CONF_J_NULL;
        } else if (is_json_number(text, len)) {
            type = CONF_J_NUMBER;
        } else {
            fail(b, "a bare word that is not true, false, null or a number");
            return;
        }
    }
    uint32_t index = add_node(b, type);
    if (index == CONF_JSON_NONE) return;
    conf_jnode *n = &b->doc->nodes[index];
    n->boolean = type == CONF_J_BOOL && text[0] == 't';
    size_t off = 0;
    if (!text_append(b->doc, text, len, &off)) {
        fail(b, "out of memory");
        return;
    }
    n = &b->doc->nodes[index];
    n->text_off = off;
    n->len = len;
}

static void on_open(builder *b, uint8_t type)
{
    if (in_object_key_position(b)) {
        fail(b, "an object key is not a string");
        return;
    }
    if (b->depth >= CONF_JSON_MAX_DEPTH) {
        fail(b, "values nested too deeply");
        return;
    }
    uint32_t index = add_node(b, type);
    if (index == CONF_JSON_NONE) return;
    b->stack[b->depth] = index;
    b->last[b->depth] = CONF_JSON_NONE;
    b->depth++;
}

static void on_close(builder *b)
{
    if (b->depth == 0) {
        fail(b, "unbalanced close");
        return;
    }
    b->depth--;
}

static bool has_decoration(struct fy_event *ev)
{
    return fy_event_get_anchor_token(ev) != NULL || fy_event_get_tag_token(ev) != NULL;
}

static void on_event(builder *b, struct fy_event *ev)
{
    switch (ev->type) {
    case FYET_DOCUMENT_START:
        if (++b->documents > 1) fail(b, "more than one document in a line");
        break;
    case FYET_MAPPING_START:
    case FYET_SEQUENCE_START:
    case FYET_SCALAR:
        if (has_decoration(ev)) {
            fail(b, "anchors and tags are not JSON");
        } else if (ev->type == FYET_SCALAR) {
            on_scalar(b, ev);
        } else {
            on_open(b, ev->type == FYET_MAPPING_START ? CONF_J_OBJECT : CONF_J_ARRAY);
        }
        break;
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        on_close(b);
        break;
    case FYET_ALIAS:
        fail(b, "aliases are not JSON");
        break;
    default:
        break;
    }
}

/* The longest reason text taken from libfyaml (the rest is cut). */
#define FY_REASON_BYTES 160u

/* libfyaml quotes the offending bytes in its messages (an escape such as '\<emoji>');
 * a reason is one line of printable ASCII, never raw bytes: control bytes become spaces,
 * others outside ASCII '?'. */
static void printable_copy(const char *in, char *out, size_t cap)
{
    assert(in != NULL && out != NULL);
    assert(cap > 0);
    size_t n = 0;
    for (; in[n] != '\0' && n + 1 < cap; n++) {
        unsigned char c = (unsigned char)in[n];
        out[n] = c < 0x20 ? ' ' : c >= 0x7f ? '?' : (char)c;
    }
    out[n] = '\0';
}

/* Why: a reason names libfyaml's first error (or its raw text), never its raw bytes. */
static void first_error(base_fy *fy, char *err, size_t cap)
{
    assert(fy != NULL && fy->diag != NULL);
    char text[FY_REASON_BYTES];
    base_fy_error e;
    if (base_fy_next_error(fy, &e)) {
        printable_copy(e.message, text, sizeof text);
        base_errorf(err, cap, "not JSON (column %u: %s)", e.col, text);
        return;
    }
    printable_copy(base_fy_raw(fy), text, sizeof text);
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == ' ') text[--n] = '\0';
    base_errorf(err, cap, "not JSON (%s)", text[0] ? text : "syntax error");
}

/* Why: base_fy_drive's callback: one event into the tree, stopping at the first failure. */
static bool take_event(void *ctx, struct fy_event *ev)
{
    builder *b = ctx;
    assert(b != NULL && ev != NULL);
    on_event(b, ev);
    return !b->failed;
}

bool conf_json_parse(const char *line, size_t len, conf_jdoc *doc, char *err, size_t err_cap)
{
    assert(doc != NULL && (line != NULL || len == 0));
    memset(doc, 0, sizeof *doc);
    doc->root = CONF_JSON_NONE;
    base_buf_init(&doc->text, 0);
    if (!conf_json_check_bytes(line, len, err, err_cap)) return false;
    if (len > 0 && line[len - 1] == '\n') len--;
    if (!check_shape(line, len, err, err_cap)) return false;
    base_fy fy;
    if (!base_fy_init(&fy)) return base_errorf(err, err_cap, "out of memory");
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_JSON_FORCE | FYPCF_DISABLE_MMAP_OPT,
                               .diag = fy.diag};
    struct fy_parser *parser = fy_parser_create(&cfg);
    builder b = {.doc = doc, .err = err, .err_cap = err_cap};
    bool ok = false;
    if (parser == NULL) {
        base_errorf(err, err_cap, "out of memory");
    } else if (fy_parser_set_string(parser, len ? line : "", len) != 0) {
        base_errorf(err, err_cap, "cannot start the JSON parser");
    } else {
        bool clean = base_fy_drive(parser, 2 * CONF_JSON_MAX_NODES + 17, take_event, &b);
        ok = clean && !fy_parser_get_stream_error(parser) && !b.failed;
        if (!ok && !b.failed) first_error(&fy, err, err_cap);
        if (ok && doc->root == CONF_JSON_NONE) ok = base_errorf(err, err_cap, "an empty line");
    }
    if (parser != NULL) fy_parser_destroy(parser);
    base_fy_fini(&fy);
    if (!ok) {
        conf_json_fini(doc);
        doc->root = CONF_JSON_NONE;
    }
    return ok;
}

void conf_json_fini(conf_jdoc *doc)
{
    free(doc->nodes);
    base_buf_fini(&doc->text);
    memset(doc, 0, sizeof *doc);
    doc->root = CONF_JSON_NONE;
}

/* ---- access --------------------------------------------------------------------------- */

const conf_jnode *conf_json_node(const conf_jdoc *doc, uint32_t index)
{
    return index < doc->count ? &doc->nodes[index] : NULL;
}

const char *conf_json_text(const conf_jdoc *doc, uint32_t index, size_t *len)
{
    const conf_jnode *n = conf_json_node(doc, index);
    if (n == NULL || (n->type != CONF_J_STRING && n->type != CONF_J_NUMBER)) return NULL;
    if (len != NULL) *len = n->len;
    return doc->text.data + n->text_off;
}

uint32_t conf_json_get(const conf_jdoc *doc, uint32_t object, const char *key)
{
    const conf_jnode *o = conf_json_node(doc, object);
    if (o == NULL || o->type != CONF_J_OBJECT) return CONF_JSON_NONE;
    size_t key_len = strlen(key);
    uint32_t k = o->first;
    for (uint32_t pair = 0; pair < o->count / 2 && k != CONF_JSON_NONE; pair++) {
        const conf_jnode *kn = &doc->nodes[k];
        uint32_t v = kn->next;
        if (v == CONF_JSON_NONE) break;
        if (kn->len == key_len && memcmp(doc->text.data + kn->text_off, key, key_len) == 0)
            return v;
        k = doc->nodes[v].next;
    }
    return CONF_JSON_NONE;
}

bool conf_json_int(const conf_jdoc *doc, uint32_t index, int64_t min, int64_t max, int64_t *out)
{
    const conf_jnode *n = conf_json_node(doc, index);
    if (n == NULL || n->type != CONF_J_NUMBER) return false;
    const char *s = doc->text.data + n->text_off;
    for (size_t i = 0; i < n->len; i++) { /* integers only: no fraction, no exponent */
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') return false;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end != s + n->len || v < min || v > max) return false;
    *out = v;
    return true;
}

bool conf_json_double(const conf_jdoc *doc, uint32_t index, double *out)
{
    const conf_jnode *n = conf_json_node(doc, index);
    if (n == NULL || n->type != CONF_J_NUMBER) return false;
    const char *s = doc->text.data + n->text_off;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno != 0 || end != s + n->len || !isfinite(v)) return false;
    *out = v;
    return true;
}

bool conf_json_bool(const conf_jdoc *doc, uint32_t index, bool *out)
{
    const conf_jnode *n = conf_json_node(doc, index);
    if (n == NULL || n->type != CONF_J_BOOL) return false;
    *out = n->boolean;
    return true;
}

bool conf_json_is_null(const conf_jdoc *doc, uint32_t index)
{
    const conf_jnode *n = conf_json_node(doc, index);
    return n != NULL && n->type == CONF_J_NULL;
}

const char *conf_json_str(const conf_jdoc *doc, uint32_t index)
{
    const conf_jnode *n = conf_json_node(doc, index);
    if (n == NULL || n->type != CONF_J_STRING) return NULL;
    const char *s = doc->text.data + n->text_off;
    return memchr(s, '\0', n->len) != NULL ? NULL : s;
}

/* ---- writer ---------------------------------------------------------------------------- */
/*
 * Lines are written by base/'s writer byte by byte, not by libfyaml's
 * emitter: libfyaml 0.7.12 in JSON one-line mode drops a string's leading
 * and trailing spaces (found by fuzz_value: data " hi " reached the agent
 * as "hi"). The readers take lines shorter than CONF_JSON_MAX_LINE, so the
 * writer's bound is one byte less.
 */

/* Why: the runner and every agent write protocol lines the same way. */
bool conf_jw_init(base_jw *w)
{
    assert(w != NULL);
    base_jw_init(w, CONF_JSON_MAX_LINE - 1, BASE_JSON_ESCAPE_CR);
    assert(w->buf.max_bytes == CONF_JSON_MAX_LINE - 1);
    return true;
}
