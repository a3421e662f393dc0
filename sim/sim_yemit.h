/*
 * sim_yemit.h — writes a parsed YAML tree (sim_yaml.h) back as block-style
 * YAML that sim_load accepts, skipping deleted nodes and replacing chosen
 * scalars: what `portsim shrink` edits scenarios with.
 *
 * Plain scalars stay plain (numbers, keywords, durations keep their
 * meaning); quoted ones are written double-quoted with escapes, so text
 * stays text. Nesting is bounded by SIM_YAML_MAX_DEPTH.
 */
#ifndef SIM_YEMIT_H
#define SIM_YEMIT_H

#include "sim_yaml.h"

typedef struct sim_yedit {
    const sim_ydoc *doc;
    uint8_t *deleted;       /* [node] 1: left out (a map pair: mark key and value) */
    char **replace;         /* [node] scalars: new plain text, or NULL */
    /* Filled by sim_yemit: where each kept node starts in the text it wrote (1-based; 0:
     * not written). A scalar at its first character; a collection where its first item
     * starts (a block sequence at its "-", a mapping at its first key). */
    uint32_t *out_line;
    uint32_t *out_col;
} sim_yedit;

/* Allocates the edit arrays for doc (all nodes kept). */
bool sim_yedit_init(sim_yedit *e, const sim_ydoc *doc);
void sim_yedit_fini(sim_yedit *e);
/* s (len bytes) as a YAML double-quoted scalar with escapes (malloc'd), or NULL. */
char *sim_yaml_quote(const char *s, size_t len);
/* The node written at line:col of the last sim_yemit output, or SIM_NONE. */
uint32_t sim_yedit_node_at(const sim_yedit *e, uint32_t line, uint32_t col);
/* The edited document as YAML text (malloc'd, NUL-terminated), or NULL. */
char *sim_yemit(const sim_yedit *e, const char *header_comment, size_t *len);

#endif /* SIM_YEMIT_H */
