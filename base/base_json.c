/* base_json.c — see base_json.h. */
#include "base_json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base_utf8.h"

/* ---- strings ---------------------------------------------------------------------------- */

/* Why: the escaper appends once per run of plain bytes; where the buffer has room (almost
 * always) that is a memcpy, not a call. */
static inline void put(base_buf *b, const char *bytes, size_t n)
{
    if (!b->failed && n < b->capacity - b->len &&
        (b->max_bytes == 0 || n <= b->max_bytes - b->len)) {
        memcpy(b->data + b->len, bytes, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    base_buf_append(b, bytes, n);
}

/*
 * Why: one escaper, so every JSON the project writes treats hostile bytes alike. Bytes
 * that need nothing are copied a run at a time (one append per run, not per byte).
 */
void base_json_string(base_buf *b, const char *s, size_t len, unsigned flags)
{
    assert(b != NULL);
    assert(s != NULL || len == 0);
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    bool check = (flags & BASE_JSON_CHECK_UTF8) != 0;
    base_buf_reserve(b, len + 2); /* the least it takes: one growth for most strings */
    put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len;) {
        uint8_t c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F && (c < 0x80 || !check)) {
            i++;
            continue;
        }
        if (c >= 0x80) { /* check: a whole valid character is part of the run */
            size_t n = base_utf8_len(p + i, len - i);
            if (n > 0) {
                i += n;
                continue;
            }
        }
        put(b, s + run, i - run);
        run = ++i;
        switch (c) {
        case '"': put(b, "\\\"", 2); break;
        case '\\': put(b, "\\\\", 2); break;
        case '\n': put(b, "\\n", 2); break;
        case '\t': put(b, "\\t", 2); break;
        default:
            if (c == '\r' && (flags & BASE_JSON_ESCAPE_CR) != 0) {
                put(b, "\\r", 2);
            } else { /* controls, DEL, and a stray byte as its Latin-1 value */
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                put(b, esc, sizeof esc);
            }
            break;
        }
    }
    put(b, s + run, len - run);
    put(b, "\"", 1);
}

/* ---- the writer ---------------------------------------------------------------------------- */

/* Why: a writer starts empty; its buffer (and the cap) is reused for every document. */
void base_jw_init(base_jw *w, size_t max_bytes, unsigned flags)
{
    assert(w != NULL);
    assert((flags & ~(BASE_JSON_CHECK_UTF8 | BASE_JSON_ESCAPE_CR)) == 0);
    memset(w, 0, sizeof *w);
    base_buf_init(&w->buf, max_bytes);
    w->flags = flags;
}

/* Why: the one place the writer's memory is released. */
void base_jw_fini(base_jw *w)
{
    assert(w != NULL);
    assert(w->depth <= BASE_JW_DEPTH_MAX);
    base_buf_fini(&w->buf);
    memset(w, 0, sizeof *w);
}

/* Why: a pending line break is written where the next separator would go. */
static void jw_newline(base_jw *w)
{
    assert(w->break_indent > 0);
    assert(w->open);
    static const char spaces[] = "                                ";
    base_buf_append(&w->buf, "\n", 1);
    for (uint32_t left = w->break_indent - 1; left > 0;) {
        uint32_t n = left < sizeof spaces - 1 ? left : (uint32_t)(sizeof spaces - 1);
        base_buf_append(&w->buf, spaces, n);
        left -= n;
    }
    w->break_indent = 0;
}

/* Why: before a value or a key, the separator its container needs (none after a key). */
static void jw_sep(base_jw *w)
{
    assert(w->open && w->depth >= 1 && w->depth <= BASE_JW_DEPTH_MAX);
    uint8_t *st = &w->state[w->depth - 1];
    assert(!(*st & BASE_JW_AFTER_KEY) || w->break_indent == 0 || w->failed);
    if (*st & BASE_JW_AFTER_KEY) { /* the value of a key */
        *st &= (uint8_t)~BASE_JW_AFTER_KEY;
        return;
    }
    if (*st & BASE_JW_NOT_FIRST)
        base_buf_append(&w->buf, w->break_indent ? "," : ", ", w->break_indent ? 1 : 2);
    if (w->break_indent) jw_newline(w);
    *st |= BASE_JW_NOT_FIRST;
}

/* Why: objects and arrays open the same way. */
static void jw_open(base_jw *w, char c)
{
    assert(w->open);
    assert(c == '{' || c == '[');
    jw_sep(w);
    base_buf_append(&w->buf, &c, 1);
    if (w->depth >= BASE_JW_DEPTH_MAX) {
        w->failed = true;
        return;
    }
    w->state[w->depth++] = 0;
}

/* Why: objects and arrays close the same way, and a close must match an open. */
static void jw_close(base_jw *w, char c)
{
    assert(w->open);
    assert(c == '}' || c == ']');
    if (w->depth <= 1 || (w->state[w->depth - 1] & BASE_JW_AFTER_KEY)) {
        w->failed = true; /* unbalanced, or a key without its value */
        return;
    }
    if (w->break_indent) jw_newline(w);
    w->depth--;
    base_buf_append(&w->buf, &c, 1);
}

/* Why: numbers and keywords are written as given, after their separator. */
static void jw_bare(base_jw *w, const char *text, size_t len)
{
    assert(w->open);
    assert(text != NULL);
    jw_sep(w);
    base_buf_append(&w->buf, text, len);
}

/* Why: each document starts from an empty buffer and a balanced state. */
void base_jw_begin(base_jw *w)
{
    assert(w != NULL);
    assert(!w->open);
    base_buf_clear(&w->buf);
    w->failed = false;
    w->open = true;
    w->depth = 1;
    w->state[0] = 0;
    w->break_indent = 0;
    base_buf_append(&w->buf, "{", 1);
}

/* Why: a key is a string where an object expects one, and fixes what comes next. */
void base_jw_key(base_jw *w, const char *key)
{
    assert(w != NULL);
    assert(w->open);
    assert(key != NULL);
    if ((w->state[w->depth - 1] & BASE_JW_AFTER_KEY) != 0) w->failed = true; /* two keys in a row */
    jw_sep(w);
    base_json_string(&w->buf, key, strlen(key), w->flags);
    base_buf_append(&w->buf, ": ", 2);
    w->state[w->depth - 1] |= BASE_JW_AFTER_KEY;
}

/* Why: strings carry arbitrary bytes (data, names, messages), escaped by the flags. */
void base_jw_str(base_jw *w, const char *s, size_t len)
{
    assert(w != NULL);
    assert(w->open);
    assert(s != NULL || len == 0);
    jw_sep(w);
    base_json_string(&w->buf, len ? s : "", len, w->flags);
}

/* Why: most strings are C strings, and an absent one (NULL) is JSON's null. */
void base_jw_cstr(base_jw *w, const char *s)
{
    assert(w != NULL);
    assert(w->open);
    if (s == NULL) {
        base_jw_null(w);
        return;
    }
    base_jw_str(w, s, strlen(s));
}

/* Why: signed integers in decimal, exactly. */
void base_jw_int(base_jw *w, int64_t v)
{
    assert(w != NULL);
    assert(w->open);
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRId64, v);
    assert(n > 0 && (size_t)n < sizeof text);
    jw_bare(w, text, (size_t)n);
}

/* Why: unsigned integers in decimal, exactly (counts, seeds, sizes past INT64_MAX). */
void base_jw_uint(base_jw *w, uint64_t v)
{
    assert(w != NULL);
    assert(w->open);
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRIu64, v);
    assert(n > 0 && (size_t)n < sizeof text);
    jw_bare(w, text, (size_t)n);
}

/* Why: a double that reads back as the same double, and as a number, not an integer. */
void base_jw_double(base_jw *w, double v)
{
    assert(w != NULL);
    assert(w->open);
    char text[40];
    if (!isfinite(v)) v = 0;
    int n = snprintf(text, sizeof text, "%.17g", v);
    assert(n > 0 && (size_t)n < sizeof text);
    if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL && n + 2 < (int)sizeof text) {
        text[n++] = '.';
        text[n++] = '0';
        text[n] = '\0';
    }
    jw_bare(w, text, (size_t)n);
}

/* Why: JSON's true and false. */
void base_jw_bool(base_jw *w, bool v)
{
    assert(w != NULL);
    assert(w->open);
    jw_bare(w, v ? "true" : "false", v ? 4 : 5);
}

/* Why: JSON's null. */
void base_jw_null(base_jw *w)
{
    assert(w != NULL);
    assert(w->open);
    jw_bare(w, "null", 4);
}

/* Why: a nested object. */
void base_jw_obj_begin(base_jw *w)
{
    assert(w != NULL);
    assert(w->open);
    jw_open(w, '{');
}

/* Why: the end of a nested object. */
void base_jw_obj_end(base_jw *w)
{
    assert(w != NULL);
    assert(w->open);
    jw_close(w, '}');
}

/* Why: an array. */
void base_jw_arr_begin(base_jw *w)
{
    assert(w != NULL);
    assert(w->open);
    jw_open(w, '[');
}

/* Why: the end of an array. */
void base_jw_arr_end(base_jw *w)
{
    assert(w != NULL);
    assert(w->open);
    jw_close(w, ']');
}

/* Why: most members are a key and a scalar; one call says so (the results document). */
void base_jw_key_cstr(base_jw *w, const char *key, const char *s)
{
    assert(w != NULL);
    assert(w->open);
    assert(key != NULL);
    base_jw_key(w, key);
    base_jw_cstr(w, s);
}

/* Why: as base_jw_key_cstr, for a signed integer. */
void base_jw_key_int(base_jw *w, const char *key, int64_t v)
{
    assert(w != NULL);
    assert(w->open);
    assert(key != NULL);
    base_jw_key(w, key);
    base_jw_int(w, v);
}

/* Why: as base_jw_key_cstr, for an unsigned integer. */
void base_jw_key_uint(base_jw *w, const char *key, uint64_t v)
{
    assert(w != NULL);
    assert(w->open);
    assert(key != NULL);
    base_jw_key(w, key);
    base_jw_uint(w, v);
}

/* Why: as base_jw_key_cstr, for a boolean. */
void base_jw_key_bool(base_jw *w, const char *key, bool v)
{
    assert(w != NULL);
    assert(w->open);
    assert(key != NULL);
    base_jw_key(w, key);
    base_jw_bool(w, v);
}

/* Why: a document read by people (the results JSON) puts some members on their own lines. */
void base_jw_break(base_jw *w, uint32_t indent)
{
    assert(w != NULL);
    assert(w->open);
    assert(indent < UINT32_MAX);
    if ((w->state[w->depth - 1] & BASE_JW_AFTER_KEY) != 0)
        w->failed = true; /* between a key
                              and its value */
    w->break_indent = indent + 1;
}

/* Why: the document is only handed out when complete and balanced. */
const char *base_jw_end(base_jw *w, size_t *len)
{
    assert(w != NULL);
    assert(w->open);
    assert(len != NULL);
    bool balanced = w->depth == 1 && (w->state[0] & BASE_JW_AFTER_KEY) == 0;
    if (w->break_indent) jw_newline(w);
    w->open = false;
    base_buf_append(&w->buf, "}\n", 2);
    if (w->failed || w->buf.failed || !balanced) return NULL;
    *len = w->buf.len;
    return w->buf.data;
}
