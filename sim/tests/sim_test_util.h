/*
 * sim_test_util.h — helpers for sim's cmocka tests: reading files, the
 * `yaml` blocks of docs/scenario-format.md, temporary files, the echo
 * scenario many tests vary, and loading a scenario from text.
 *
 * SIM_TEST_DIR (sim/tests) and PORTSIM_SOURCE_DIR (the repository) come
 * from the build. All returned strings are malloc'd; the caller frees them.
 */
#ifndef SIM_TEST_UTIL_H
#define SIM_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim_census.h"
#include "sim_explore.h"
#include "sim_load.h"
#include "sim_run.h"

#ifndef SIM_TEST_DIR
#error "SIM_TEST_DIR must be defined by the build"
#endif
#ifndef PORTSIM_SOURCE_DIR
#error "PORTSIM_SOURCE_DIR must be defined by the build"
#endif

/* A whole file, NUL-terminated (len excludes the NUL); NULL if unreadable. */
char *st_read_file(const char *path, size_t *len);

/* The ```yaml blocks of a Markdown file: *count blocks, each malloc'd. */
char **st_yaml_blocks(const char *markdown_path, uint32_t *count);
void st_free_blocks(char **blocks, uint32_t count);

/* Everything written to f (read from its start; f is closed). */
char *st_slurp(FILE *f);
/* A new temporary file holding text, named /tmp/portsim_test_XXXXXX<suffix>; malloc'd path. */
char *st_write_temp(const char *text, const char *suffix);

/*
 * A two-process echo scenario (client line 14 sends, line 15 expects) with its
 * placeholders filled: the send's expected status and reply, its elapsed max (ms), the
 * sleep's runs, the handler's work expectation (ms), the callout count. malloc'd.
 */
char *st_echo_variant(const char *status, const char *reply, const char *max_ms, const char *runs,
                      const char *work_ms, const char *callouts);

/* Loads text as a scenario; fails the test with the diagnostics if it does not load. */
void st_load_text(const char *name, const char *text, sim_scenario *out);
/* Loads text that must fail; returns the sorted diagnostics as one string. */
char *st_load_errors(const char *name, const uint8_t *bytes, size_t len);

/* Scenario files under a folder, recursively, sorted (*count paths). */
char **st_scenario_files(const char *dir, uint32_t *count);

/* What st_explore_census does with each schedule's observation: returns whether it passed. */
typedef bool (*st_schedule_fn)(void *user, const sim_scenario *sc, const sim_obs *obs);

/*
 * One exhaustive search of sc on the model (histories tracked; symmetry tracked when
 * lim->symmetry), every schedule's outcomes counted into *census (initialised here, the caller
 * finis it) and, with symmetry, folded over each class of interchangeable steps. on_schedule
 * (may be NULL: every schedule passes) sees each run. The reduction tests compare two of them.
 */
void st_explore_census(const sim_scenario *sc, const sim_exhaustive_limits *lim, st_schedule_fn on_schedule,
                       void *user, sim_census *census, sim_exhaustive_result *res);
/* Two searches of one scenario ran the same steps, each with the same set of outcomes. */
void st_census_assert_same(const sim_census *a, const sim_census *b, uint32_t step_count);

#endif /* SIM_TEST_UTIL_H */
