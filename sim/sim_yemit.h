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
} sim_yedit;

/* Allocates the edit arrays for doc (all nodes kept). */
bool sim_yedit_init(sim_yedit *e, const sim_ydoc *doc);
void sim_yedit_fini(sim_yedit *e);
/* The edited document as YAML text (malloc'd, NUL-terminated), or NULL. */
char *sim_yemit(const sim_yedit *e, const char *header_comment, size_t *len);

#endif /* SIM_YEMIT_H */
