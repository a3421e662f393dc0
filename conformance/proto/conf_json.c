/* conf_json.c — see conf_json.h. */
#define _POSIX_C_SOURCE 200809L
#include "conf_json.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bytes ---------------------------------------------------------------------- */

static bool set_err(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (err != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Length of the UTF-8 sequence at p (strict: no overlongs, surrogates, > U+10FFFF), 0 if bad. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (left < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800u) || (n == 4 && cp < 0x10000u)) return 0; /* overlong */
    if (cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return 0;
    return n;
}

bool conf_json_check_bytes(const char *bytes, size_t len, char *err, size_t err_cap)
{
    if (len > CONF_JSON_MAX_LINE) {
        return set_err(err, err_cap, "line longer than %zu bytes", CONF_JSON_MAX_LINE);
    }
    const uint8_t *p = (const uint8_t *)bytes;
    for (size_t i = 0; i < len;) {
        if (p[i] == '\n' && i + 1 == len) break; /* the line's own terminator */
        if (p[i] < 0x20 && p[i] != '\t') {
            return set_err(err, err_cap, "control byte 0x%02x at offset %zu", p[i], i);
        }
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0) return set_err(err, err_cap, "invalid UTF-8 at offset %zu", i);
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
        if (c == '\'') return set_err(err, err_cap, "a single quote outside a string (not JSON)");
        if (c == '"' || (!indicator && !space && !in_bare)) tokens++;
        in_string = c == '"';
        in_bare = !indicator && !space && !in_string;
        if (indicator) tokens++;
        if (c == '[' || c == '{') {
            if (++depth > CONF_JSON_MAX_DEPTH) return set_err(err, err_cap, "values nested too deeply");
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
        if (tokens > 2 * CONF_JSON_MAX_NODES) return set_err(err, err_cap, "too many values in one line");
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
    if (!b->failed) set_err(b->err, b->err_cap, "%s", what);
    b->failed = true;
    return false;
}

static bool text_append(conf_jdoc *doc, const char *s, size_t len, size_t *off)
{
    size_t need = doc->text_len + len + 1;
    if (need > doc->text_cap) {
        size_t cap = doc->text_cap ? doc->text_cap : 256;
        while (cap < need) cap *= 2;
        char *grown = realloc(doc->text, cap);
        if (grown == NULL) return false;
        doc->text = grown;
        doc->text_cap = cap;
    }
    *off = doc->text_len;
    if (len > 0) memcpy(doc->text + doc->text_len, s, len);
    doc->text[doc->text_len + len] = '\0';
    doc->text_len = need;
    return true;
}

static uint32_t add_node(builder *b, uint8_t type)
{
    conf_jdoc *doc = b->doc;
    if (doc->count >= CONF_JSON_MAX_NODES) {
        fail(b, "too many values in one line");
        return CONF_JSON_NONE;
    }
    if (doc->count == doc->capacity) {
        uint32_t cap = doc->capacity ? doc->capacity * 2 : 32;
        conf_jnode *grown = realloc(doc->nodes, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            fail(b, "out of memory");
            return CONF_JSON_NONE;
        }
        doc->nodes = grown;
        doc->capacity = cap;
    }
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

/* libfyaml's own messages, kept for the error text. */
typedef struct raw_output {
    char text[160];
    size_t len;
} raw_output;

static void capture_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    raw_output *out = user;
    size_t room = sizeof out->text - 1 - out->len;
    size_t n = len < room ? len : room;
    memcpy(out->text + out->len, buf, n);
    out->len += n;
    out->text[out->len] = '\0';
}

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

static void first_error(struct fy_diag *fd, const raw_output *raw, char *err, size_t cap)
{
    void *iter = NULL;
    struct fy_diag_error *e;
    char text[sizeof raw->text];
    while ((e = fy_diag_errors_iterate(fd, &iter)) != NULL) {
        if (e->type < FYET_ERROR) continue;
        printable_copy(e->msg ? e->msg : "syntax error", text, sizeof text);
        set_err(err, cap, "not JSON (column %d: %s)", e->column, text);
        return;
    }
    printable_copy(raw->text, text, sizeof text);
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == ' ') text[--n] = '\0';
    set_err(err, cap, "not JSON (%s)", text[0] ? text : "syntax error");
}

static bool run_parser(struct fy_parser *parser, builder *b)
{
    for (uint32_t guard = 0; guard <= 2 * CONF_JSON_MAX_NODES + 16; guard++) {
        struct fy_event *ev = fy_parser_parse(parser);
        if (ev == NULL) return false;
        bool end = ev->type == FYET_STREAM_END;
        on_event(b, ev);
        fy_parser_event_free(parser, ev);
        if (end) return true;
        if (b->failed) return false;
    }
    return false;
}

bool conf_json_parse(const char *line, size_t len, conf_jdoc *doc, char *err, size_t err_cap)
{
    assert(doc != NULL && (line != NULL || len == 0));
    memset(doc, 0, sizeof *doc);
    doc->root = CONF_JSON_NONE;
    if (!conf_json_check_bytes(line, len, err, err_cap)) return false;
    if (len > 0 && line[len - 1] == '\n') len--;
    if (!check_shape(line, len, err, err_cap)) return false;
    raw_output raw = {.len = 0};
    raw.text[0] = '\0';
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = capture_output;
    dcfg.user = &raw;
    dcfg.colorize = false;
    struct fy_diag *fd = fy_diag_create(&dcfg);
    if (fd == NULL) return set_err(err, err_cap, "out of memory");
    fy_diag_set_collect_errors(fd, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_JSON_FORCE | FYPCF_DISABLE_MMAP_OPT,
                               .diag = fd};
    struct fy_parser *parser = fy_parser_create(&cfg);
    builder b = {.doc = doc, .err = err, .err_cap = err_cap};
    bool ok = false;
    if (parser == NULL) {
        set_err(err, err_cap, "out of memory");
    } else if (fy_parser_set_string(parser, len ? line : "", len) != 0) {
        set_err(err, err_cap, "cannot start the JSON parser");
    } else {
        bool clean = run_parser(parser, &b);
        ok = clean && !fy_parser_get_stream_error(parser) && !b.failed;
        if (!ok && !b.failed) first_error(fd, &raw, err, err_cap);
        if (ok && doc->root == CONF_JSON_NONE) ok = set_err(err, err_cap, "an empty line");
    }
    if (parser != NULL) fy_parser_destroy(parser);
    fy_diag_destroy(fd);
    if (!ok) {
        conf_json_fini(doc);
        doc->root = CONF_JSON_NONE;
    }
    return ok;
}

void conf_json_fini(conf_jdoc *doc)
{
    free(doc->nodes);
    free(doc->text);
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
    return doc->text + n->text_off;
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
        if (kn->len == key_len && memcmp(doc->text + kn->text_off, key, key_len) == 0) return v;
        k = doc->nodes[v].next;
    }
    return CONF_JSON_NONE;
}

bool conf_json_int(const conf_jdoc *doc, uint32_t index, int64_t min, int64_t max, int64_t *out)
{
    const conf_jnode *n = conf_json_node(doc, index);
    if (n == NULL || n->type != CONF_J_NUMBER) return false;
    const char *s = doc->text + n->text_off;
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
    const char *s = doc->text + n->text_off;
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
    const char *s = doc->text + n->text_off;
    return memchr(s, '\0', n->len) != NULL ? NULL : s;
}

/* ---- writer ---------------------------------------------------------------------------- */
/*
 * Lines are written here byte by byte, not by libfyaml's emitter: libfyaml
 * 0.7.12 in JSON one-line mode drops a string's leading and trailing spaces
 * (found by fuzz_value: data " hi " reached the agent as "hi"). The output
 * keeps the emitter's shape: `{"key": value, "key": [1, 2]}` and a newline.
 */

static void jw_put(conf_jw *w, const char *bytes, size_t n)
{
    if (w->failed) return;
    size_t need = w->len + n + 2; /* the newline and the NUL */
    if (need > CONF_JSON_MAX_LINE + 1) {
        w->failed = true; /* the line is refused at the end */
        return;
    }
    if (need > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap < need) cap *= 2;
        char *grown = realloc(w->buf, cap);
        if (grown == NULL) {
            w->failed = true;
            return;
        }
        w->buf = grown;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, bytes, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Before a value or a key: the separator its container needs. */
static void jw_sep(conf_jw *w)
{
    assert(w->open && w->depth >= 1 && w->depth <= CONF_JW_DEPTH_MAX);
    uint8_t *st = &w->state[w->depth - 1];
    if (*st & CONF_JW_AFTER_KEY) { /* the value of a key */
        *st &= (uint8_t)~CONF_JW_AFTER_KEY;
        return;
    }
    if (*st & CONF_JW_NOT_FIRST) jw_put(w, ", ", 2);
    *st |= CONF_JW_NOT_FIRST;
}

static void jw_open(conf_jw *w, char c)
{
    jw_sep(w);
    jw_put(w, &c, 1);
    if (w->depth >= CONF_JW_DEPTH_MAX) {
        w->failed = true;
        return;
    }
    w->state[w->depth++] = 0;
}

static void jw_close(conf_jw *w, char c)
{
    assert(w->open);
    if (w->depth <= 1 || (w->state[w->depth - 1] & CONF_JW_AFTER_KEY)) {
        w->failed = true; /* unbalanced, or a key without its value */
        return;
    }
    w->depth--;
    jw_put(w, &c, 1);
}

/* A JSON string: quotes, backslashes, controls and DEL escaped; other bytes as given (UTF-8). */
static void jw_string(conf_jw *w, const char *s, size_t len)
{
    jw_put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
        jw_put(w, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': jw_put(w, "\\\"", 2); break;
        case '\\': jw_put(w, "\\\\", 2); break;
        case '\n': jw_put(w, "\\n", 2); break;
        case '\t': jw_put(w, "\\t", 2); break;
        case '\r': jw_put(w, "\\r", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            jw_put(w, esc, 6);
            break;
        }
    }
    jw_put(w, s + run, len - run);
    jw_put(w, "\"", 1);
}

/* A scalar value where a value may stand. */
static void jw_value(conf_jw *w, const char *text, size_t len, bool quoted)
{
    jw_sep(w);
    if (quoted) {
        jw_string(w, text, len);
    } else {
        jw_put(w, text, len);
    }
}

bool conf_jw_init(conf_jw *w)
{
    memset(w, 0, sizeof *w);
    return true;
}

void conf_jw_fini(conf_jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void conf_jw_begin(conf_jw *w)
{
    assert(!w->open);
    w->len = 0;
    w->failed = false;
    w->open = true;
    w->depth = 1;
    w->state[0] = 0;
    jw_put(w, "{", 1);
}

void conf_jw_key(conf_jw *w, const char *key)
{
    assert(w->open && key != NULL);
    if ((w->state[w->depth - 1] & CONF_JW_AFTER_KEY) != 0) w->failed = true; /* two keys in a row */
    jw_sep(w);
    jw_string(w, key, strlen(key));
    jw_put(w, ": ", 2);
    w->state[w->depth - 1] |= CONF_JW_AFTER_KEY;
}

void conf_jw_str(conf_jw *w, const char *s, size_t len)
{
    jw_value(w, len ? s : "", len, true);
}

void conf_jw_cstr(conf_jw *w, const char *s)
{
    conf_jw_str(w, s, strlen(s));
}

void conf_jw_int(conf_jw *w, int64_t v)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRId64, v);
    jw_value(w, text, (size_t)n, false);
}

void conf_jw_uint(conf_jw *w, uint64_t v)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRIu64, v);
    jw_value(w, text, (size_t)n, false);
}

void conf_jw_double(conf_jw *w, double v)
{
    char text[40];
    if (!isfinite(v)) v = 0;
    int n = snprintf(text, sizeof text, "%.17g", v);
    if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL && n + 2 < (int)sizeof text) {
        text[n++] = '.';
        text[n++] = '0';
        text[n] = '\0';
    }
    jw_value(w, text, (size_t)n, false);
}

void conf_jw_bool(conf_jw *w, bool v)
{
    jw_value(w, v ? "true" : "false", v ? 4 : 5, false);
}

void conf_jw_null(conf_jw *w)
{
    jw_value(w, "null", 4, false);
}

void conf_jw_obj_begin(conf_jw *w)
{
    jw_open(w, '{');
}

void conf_jw_obj_end(conf_jw *w)
{
    jw_close(w, '}');
}

void conf_jw_arr_begin(conf_jw *w)
{
    jw_open(w, '[');
}

void conf_jw_arr_end(conf_jw *w)
{
    jw_close(w, ']');
}

const char *conf_jw_end(conf_jw *w, size_t *len)
{
    assert(w->open);
    w->open = false;
    bool balanced = w->depth == 1 && (w->state[0] & CONF_JW_AFTER_KEY) == 0;
    jw_put(w, "}\n", 2);
    if (w->failed || !balanced || w->len > CONF_JSON_MAX_LINE) return NULL;
    *len = w->len;
    return w->buf;
}
