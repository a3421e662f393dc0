/*
 * base_json.h — the one JSON writer (prefix base_json_ / base_jw_): the
 * agent protocol's lines (conformance/proto) and the results document
 * (sim_json) are both written with it.
 *
 * A document is one object, built with base_jw_begin ... base_jw_end into
 * a buffer the writer owns until the next base_jw_begin. Separators are
 * the writer's: `{"key": value, "key": [1, 2]}` and a newline. A line break
 * with indentation may be asked for before the next item or close
 * (base_jw_break), so a pretty document has the same writer as a one-line
 * one.
 *
 * Strings: `"` `\` LF and tab are backslash-escaped, other C0 controls and
 * DEL written \u00XX (lower-case hex); two flags choose the rest, so each
 * caller keeps the exact bytes it always wrote:
 *   BASE_JSON_CHECK_UTF8  bytes >= 0x80 that do not start a strict UTF-8
 *                         character (base_utf8.h) are written \u00XX, their
 *                         Latin-1 value, so the output is always valid JSON;
 *                         without it, they are copied (the caller checked).
 *   BASE_JSON_ESCAPE_CR   CR as \r; without it \u000d.
 *
 * A writer is marked failed (and base_jw_end returns NULL) when memory is
 * out, the document would pass max_bytes, or the calls are unbalanced
 * (a close without an open, two keys in a row, a key's value missing,
 * nesting past BASE_JW_DEPTH_MAX). Not thread-safe; keeps no pointer to
 * caller memory.
 */
#ifndef BASE_JSON_H
#define BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base_buf.h"

#define BASE_JSON_CHECK_UTF8 0x01u
#define BASE_JSON_ESCAPE_CR 0x02u

/* Appends s[0..len) to b as a JSON string, quotes included (flags above). */
void base_json_string(base_buf *b, const char *s, size_t len, unsigned flags);

#define BASE_JW_DEPTH_MAX 32u
#define BASE_JW_NOT_FIRST 0x01u /* the container has an item: the next needs a separator */
#define BASE_JW_AFTER_KEY 0x02u /* an object's key was written: its value comes next */

typedef struct base_jw {
    base_buf buf;
    unsigned flags;        /* BASE_JSON_* for every string */
    bool failed;           /* unbalanced (memory and size failures are buf.failed) */
    bool open;             /* between base_jw_begin and base_jw_end */
    uint32_t depth;        /* open containers, the document's object included */
    uint32_t break_indent; /* a line break before the next item or close: indent + 1; 0 none */
    uint8_t state[BASE_JW_DEPTH_MAX];
} base_jw;

/* A writer of documents of at most max_bytes bytes, newline included (0: no cap). */
void base_jw_init(base_jw *w, size_t max_bytes, unsigned flags);
void base_jw_fini(base_jw *w);
/* Starts a document whose top level is an object. */
void base_jw_begin(base_jw *w);
void base_jw_key(base_jw *w, const char *key);
/* A string of len bytes (escaped by the writer's flags). */
void base_jw_str(base_jw *w, const char *s, size_t len);
/* A C string; NULL is written null. */
void base_jw_cstr(base_jw *w, const char *s);
void base_jw_int(base_jw *w, int64_t v);
void base_jw_uint(base_jw *w, uint64_t v);
/* A finite double, shortest exact form (%.17g) with ".0" if it reads as an integer;
 * NaN and infinities are written 0.0. */
void base_jw_double(base_jw *w, double v);
void base_jw_bool(base_jw *w, bool v);
void base_jw_null(base_jw *w);
void base_jw_obj_begin(base_jw *w);
void base_jw_obj_end(base_jw *w);
void base_jw_arr_begin(base_jw *w);
void base_jw_arr_end(base_jw *w);
/* An object's member in one call: its key, then the value (as the calls above). */
void base_jw_key_cstr(base_jw *w, const char *key, const char *s);
void base_jw_key_int(base_jw *w, const char *key, int64_t v);
void base_jw_key_uint(base_jw *w, const char *key, uint64_t v);
void base_jw_key_bool(base_jw *w, const char *key, bool v);
/* The next item (or close) of the innermost container starts a new line, indented by
 * indent spaces. */
void base_jw_break(base_jw *w, uint32_t indent);
/* Ends the document; returns it (newline-terminated, len set) or NULL when it failed. */
const char *base_jw_end(base_jw *w, size_t *len);

#endif /* BASE_JSON_H */
