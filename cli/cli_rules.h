/*
 * cli_rules.h — the rules of docs/semantics.md and the unit tests that cite
 * them, as tables built into portsim (prefix cli_rule).
 *
 * Both tables are generated when portsim is built, by cli_rules_gen (see
 * cli_rules_gen.c): the rules from docs/semantics.md, the citations from the
 * test sources (the .c files of each PART/tests folder), so `portsim rules` and `portsim coverage`
 * say what the document and the tests say, never a copy kept by hand.
 */
#ifndef CLI_RULES_H
#define CLI_RULES_H

#include <stdint.h>

/* One rule (R32) or one part of a rule (R26b), in document order. */
typedef struct cli_rule {
    const char *id;          /* "R32", "R26b" */
    uint32_t number;         /* 32, 26 */
    char part;               /* 'b', or 0 for a whole rule */
    const char *title;       /* the heading after "Rn — " */
    const char *section;     /* the level-2 heading it is under: "4. SendRequest" */
    const char *statement;   /* markdown, lines joined by '\n' */
    const char *sources;     /* NULL in a part: its rule's */
    const char *markers;     /* NULL in a part: its rule's */
    const char *profile;     /* NULL in a part: its rule's */
    const char *no_scenario; /* why no scenario can show it, or NULL */
} cli_rule;

/* A unit test citing a rule: by its name (test_R32_...) or in a comment of
 * or directly above it; `test` NULL: elsewhere in the file. */
typedef struct cli_rule_cite {
    const char *rule;        /* an id of the rule table */
    const char *file;        /* relative to the source tree: core/tests/cm_send_test.c */
    const char *test;        /* test_R32_deadline_counts_from_after_the_send, or NULL */
} cli_rule_cite;

extern const cli_rule cli_rule_table[];
extern const uint32_t cli_rule_count;
/* The number of whole rules (R1 to R<this>). */
extern const uint32_t cli_rule_whole_count;
extern const cli_rule_cite cli_rule_cites[];
extern const uint32_t cli_rule_cite_count;

/* The index of rule `id` ("R32", "R26b"; exact), or UINT32_MAX (cli_rules.c). */
uint32_t cli_rule_find(const char *id);
/* The index of the whole rule a part belongs to (a whole rule: itself). */
uint32_t cli_rule_whole(uint32_t index);

#endif /* CLI_RULES_H */
