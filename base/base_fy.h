/*
 * base_fy.h — libfyaml's diagnostics, captured (prefix base_fy_): the
 * scenario loader (sim_yaml) and the protocol's JSON reader (conf_json)
 * both parse with libfyaml and both need its errors as data, never printed.
 *
 * base_fy_init makes a struct fy_diag that collects errors and writes
 * nothing to stderr; the parser is created with its .diag. After a failed
 * parse, base_fy_next_error hands out each collected error of level error
 * or worse, with its 1-based line and column and message, so the caller
 * reports it as `file:line:col: error: message` (sim_diag) or folds it into
 * its one-line reason (conf_json). Messages libfyaml prints without a
 * token (so without a position) are kept as raw text (base_fy_raw).
 * base_fy_drive runs a parser's event loop with a bound on the events.
 *
 * Ownership: a base_fy owns its fy_diag (base_fy_fini, after the parser
 * using it is destroyed). Not thread-safe.
 */
#ifndef BASE_FY_H
#define BASE_FY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fy_diag;
struct fy_event;
struct fy_parser;

#define BASE_FY_RAW_BYTES 256u

typedef struct base_fy {
    struct fy_diag *diag;
    void *iter; /* the error iteration's position */
    size_t raw_len;
    char raw[BASE_FY_RAW_BYTES]; /* messages without a token, NUL-terminated, cut */
} base_fy;

typedef struct base_fy_error {
    uint32_t line;       /* 1-based; 1 when libfyaml gives none */
    uint32_t col;        /* 1-based; 1 when libfyaml gives none */
    const char *message; /* libfyaml's, borrowed until base_fy_fini; "syntax error" if none */
} base_fy_error;

/* Creates the collecting diagnostic; false when out of memory (fy->diag NULL). */
bool base_fy_init(base_fy *fy);
void base_fy_fini(base_fy *fy);
/* The next collected error of level error or worse; false when there are no more. */
bool base_fy_next_error(base_fy *fy, base_fy_error *out);
/* The raw text, trailing white space and newlines removed ("" when none). */
const char *base_fy_raw(base_fy *fy);

/* Takes one event (freed after the call); returns false to stop the parse. */
typedef bool (*base_fy_event_fn)(void *ctx, struct fy_event *ev);
/*
 * Hands each event of parser to fn, the stream's end included: true when
 * the stream ended, false when libfyaml failed, fn returned false, or
 * max_events events came without an end (a guard: no input loops forever).
 */
bool base_fy_drive(struct fy_parser *parser, uint32_t max_events, base_fy_event_fn fn, void *ctx);

#endif /* BASE_FY_H */
