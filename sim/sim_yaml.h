/*
 * sim_yaml.h — a YAML file as a small plain tree, with the position of
 * every node. The only place scenarios meet libfyaml (whose diagnostics
 * base_fy.h captures; the agent protocol's JSON reader is the other user).
 *
 * Loading is defensive (libfyaml 0.7.12 hangs on some invalid UTF-8,
 * expands alias bombs and holds every token it scans ahead): the bytes are
 * checked first (size cap, strict UTF-8, no NUL or control bytes other
 * than tab/LF/CR, no directives, flow nesting and width), libfyaml reads
 * them 4 KiB at a time and no further than it may hold, and
 * the parser's event stream builds the tree with an explicit stack
 * (no recursion), a depth bound and a node bound. Anchors, aliases, tags
 * and second documents are errors. The libfyaml parser is destroyed
 * before sim_yaml_parse returns: no libfyaml pointer survives.
 *
 * Ownership: a sim_ydoc owns its nodes and their text (sim_ydoc_fini).
 */
#ifndef SIM_YAML_H
#define SIM_YAML_H

#include "sim_util.h"

#define SIM_YAML_MAX_BYTES ((size_t)1 << 20) /* 1 MiB */
#define SIM_YAML_MAX_DEPTH 24u
#define SIM_YAML_MAX_NODES 100000u
/* Bounds on what libfyaml holds before it emits events (see sim_yaml_check_shape). */
#define SIM_YAML_MAX_LINE_ITEMS 1024u          /* flow indicators a line, outside quotes */
#define SIM_YAML_MAX_PENDING_OPENERS 1024u     /* `[` `{` bytes fed past the last event */
#define SIM_YAML_MAX_LINE_BYTES_ITEMS 8192u    /* `[ ] { } ,` bytes a line, quoted or not */

typedef enum sim_ytype {
    SIM_Y_SCALAR = 1,
    SIM_Y_SEQ = 2,
    SIM_Y_MAP = 3,
} sim_ytype;

typedef enum sim_ystyle {
    SIM_YS_PLAIN = 0,  /* plain scalars: keywords, numbers, durations */
    SIM_YS_QUOTED = 1, /* single or double quoted, literal or folded: always text */
} sim_ystyle;

typedef struct sim_ynode {
    uint8_t type;   /* sim_ytype */
    uint8_t style;  /* sim_ystyle, scalars */
    uint32_t line;  /* 1-based */
    uint32_t col;   /* 1-based */
    uint32_t first; /* first child, SIM_NONE; maps alternate key, value */
    uint32_t next;  /* next sibling, SIM_NONE */
    uint32_t count; /* children (maps: 2 x pairs) */
    char *text;     /* scalars: NUL-terminated copy (may hold NULs: see len) */
    size_t len;
} sim_ynode;

typedef struct sim_ydoc {
    sim_ynode *nodes;
    uint32_t count;
    uint32_t capacity;
    uint32_t root; /* SIM_NONE for an empty document */
    base_arena text;
} sim_ydoc;

/*
 * Checks the bytes a scenario file must satisfy before any parser sees
 * them. Reports each problem (at most a few) to diag; true when clean.
 */
bool sim_yaml_check_bytes(const uint8_t *bytes, size_t len, sim_diag *diag);

/*
 * Checks, on the raw bytes, the nesting and width of flow collections
 * (at most SIM_YAML_MAX_DEPTH levels, SIM_YAML_MAX_LINE_ITEMS indicators a
 * line): libfyaml keeps all it scans ahead, so these must hold before it
 * starts. Reports the first problem at its position; true when clean.
 */
bool sim_yaml_check_shape(const uint8_t *bytes, size_t len, sim_diag *diag);

/*
 * Parses bytes (not NUL-terminated, not kept) into doc. Every problem goes
 * to diag; returns true when the tree is complete and usable.
 */
bool sim_yaml_parse(const uint8_t *bytes, size_t len, sim_ydoc *doc, sim_diag *diag);
void sim_ydoc_fini(sim_ydoc *doc);

static inline const sim_ynode *sim_ynode_at(const sim_ydoc *doc, uint32_t index)
{
    return index < doc->count ? &doc->nodes[index] : NULL;
}

#endif /* SIM_YAML_H */
