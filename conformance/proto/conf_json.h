/*
 * conf_json.h — JSON values, one per line, read with libfyaml (prefix
 * conf_json_) and written with base/'s writer (base_json.h). The agent
 * protocol's only codec: the runner, the C agent and the model agent all
 * use it, so there is no second JSON parser in the project.
 *
 * Reading is defensive, like sim_yaml.c: the line is bounded
 * (CONF_JSON_MAX_LINE), its bytes are checked first (strict UTF-8, no NUL,
 * no control bytes but tab; libfyaml 0.7.12 hangs on some invalid UTF-8),
 * then libfyaml's JSON-mode event stream builds a small tree with an
 * explicit stack (no recursion), bounded depth and node count. Anchors,
 * aliases, tags and a second document are errors; plain scalars must be
 * true, false, null or a JSON number. No libfyaml pointer survives
 * conf_json_parse.
 *
 * Writing is base/'s JSON writer (base_json.h), set up by conf_jw_init
 * for protocol lines: strings escaped as the protocol always had them (CR
 * as \r, bytes >= 0x80 as given: the caller's text is UTF-8), a line
 * shorter than CONF_JSON_MAX_LINE. A line is built with base_jw_begin ...
 * base_jw_end; the writer owns the text until the next base_jw_begin.
 *
 * Ownership: a conf_jdoc owns its nodes and text (conf_json_fini). A
 * writer owns its buffer (base_jw_fini). Neither is thread-safe; neither
 * keeps pointers to caller memory.
 */
#ifndef CONF_JSON_H
#define CONF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base_buf.h"
#include "base_json.h"

#define CONF_JSON_MAX_LINE ((size_t)1 << 20) /* bytes, newline included */
#define CONF_JSON_MAX_DEPTH 16u
#define CONF_JSON_MAX_NODES 65536u
#define CONF_JSON_NONE UINT32_MAX

typedef enum conf_jtype {
    CONF_J_NULL = 1,
    CONF_J_BOOL = 2,
    CONF_J_NUMBER = 3,
    CONF_J_STRING = 4,
    CONF_J_ARRAY = 5,
    CONF_J_OBJECT = 6,
} conf_jtype;

typedef struct conf_jnode {
    uint8_t type;     /* conf_jtype */
    bool boolean;     /* CONF_J_BOOL */
    uint32_t first;   /* first child, CONF_JSON_NONE; objects alternate key, value */
    uint32_t next;    /* next sibling, CONF_JSON_NONE */
    uint32_t count;   /* children (objects: 2 x members) */
    size_t text_off;  /* strings: bytes; numbers: the literal (NUL-terminated in text) */
    size_t len;
} conf_jnode;

typedef struct conf_jdoc {
    conf_jnode *nodes;
    uint32_t count;
    uint32_t capacity;
    uint32_t root;
    base_buf text; /* every string and number, each NUL-terminated */
} conf_jdoc;

/*
 * Parses one line (the newline, if present, must be its last byte). On
 * failure writes a one-line reason to err and returns false; doc is then
 * empty but must still be finalised.
 */
bool conf_json_parse(const char *line, size_t len, conf_jdoc *doc, char *err, size_t err_cap);
void conf_json_fini(conf_jdoc *doc);

/* Node access; index CONF_JSON_NONE gives NULL. */
const conf_jnode *conf_json_node(const conf_jdoc *doc, uint32_t index);
const char *conf_json_text(const conf_jdoc *doc, uint32_t index, size_t *len);
/* The value of an object member, or CONF_JSON_NONE. */
uint32_t conf_json_get(const conf_jdoc *doc, uint32_t object, const char *key);
/* Strict readers: false when the node is absent or of another type or range. */
bool conf_json_int(const conf_jdoc *doc, uint32_t index, int64_t min, int64_t max, int64_t *out);
bool conf_json_double(const conf_jdoc *doc, uint32_t index, double *out);
bool conf_json_bool(const conf_jdoc *doc, uint32_t index, bool *out);
bool conf_json_is_null(const conf_jdoc *doc, uint32_t index);
/* A string without NUL bytes, borrowed from doc. */
const char *conf_json_str(const conf_jdoc *doc, uint32_t index);

/* Bytes that every line must satisfy before a parser sees them (exposed for tests). */
bool conf_json_check_bytes(const char *bytes, size_t len, char *err, size_t err_cap);

/* ---- writer ------------------------------------------------------------------ */

/* Sets w up (base_jw_init) for protocol lines: the protocol's escaping and line bound, the
 * same in the runner and every agent. Always true (kept for the callers' chains). */
bool conf_jw_init(base_jw *w);

#endif /* CONF_JSON_H */
