/*
 * sim_gen_internal.h — between sim_gen.c, which writes the model's expectations into a
 * generated text, and sim_gen_build.c, which makes the scenario that text loads as without
 * parsing it (sim_gen_annotate_load): where each expectation was written (its line in the
 * new text, the column of each value: what the loader's locations of them are), what it
 * says, and the line every line of the original text moved to.
 */
#ifndef SIM_GEN_INTERNAL_H
#define SIM_GEN_INTERNAL_H

#include "sim_gen.h"

/* Which of the fields besides the results an expectation line has. */
enum { GEN_FIELD_NONE = 0, GEN_FIELD_SFI = 1, GEN_FIELD_REPLY = 2, GEN_FIELD_NAME = 3 };

/* One `expect: {...}` line under a step, as written. Columns are 1-based (ASCII lines). */
typedef struct gen_expect_at {
    uint32_t step;
    uint32_t line;       /* in the annotated text */
    uint32_t map_col;    /* its '{' */
    uint32_t result_col; /* the results' '[' (0: no results) */
    uint32_t field_col;  /* the field's value (0: none) */
    uint32_t runs_col;   /* runs: {...}'s '{' (0: none) */
    bool map_step;       /* the step is a mapping (`- op: ...`), so expect: is its key */
    uint8_t field;       /* GEN_FIELD_* */
    bool sfi;            /* GEN_FIELD_SFI: the value */
    uint8_t data_kind;   /* GEN_FIELD_REPLY / NAME: sim_data_kind (NULL or BYTES) */
    uint32_t data_len;
    const uint8_t *data; /* data_len bytes, owned by the writer */
} gen_expect_at;

/* One expect_events entry: {context_retain|context_release: {process: P}, count: N}. */
typedef struct gen_event_at {
    uint8_t kind; /* SIM_EV_CONTEXT_RETAIN or SIM_EV_CONTEXT_RELEASE */
    uint32_t process;
    uint32_t count;
    uint32_t line, kind_col, process_col, count_col;
} gen_event_at;

#define GEN_EVENTS_MAX 32u /* 2 per process, FIXED_PROCESSES of them */

typedef struct gen_expect_log {
    uint32_t old_lines;     /* lines of the original text */
    uint32_t *new_line;     /* [1..old_lines]: where each original line is in the new text */
    uint32_t expect_count;
    gen_expect_at *expects; /* [expect_count], in step order */
    uint32_t event_count;
    gen_event_at events[GEN_EVENTS_MAX];
    bool failed;            /* out of memory while logging: build nothing */
    void *owned;            /* what the expects' data points into (freed with the log) */
} gen_expect_log;

/*
 * Turns sc (the original text's scenario) into what loading the annotated text as file
 * gives, in place, from the log and the allowed sets the text was written from. False,
 * with sc untouched, when it cannot be sure of the same result (a case the loader would
 * reject, or one this does not handle): the caller loads the text then.
 */
bool sim_gen_build_annotated(sim_scenario *sc, const char *file, const gen_expect_log *log,
                             const sim_allowed_set *allowed);

#endif /* SIM_GEN_INTERNAL_H */
