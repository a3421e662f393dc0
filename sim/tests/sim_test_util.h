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

#endif /* SIM_TEST_UTIL_H */
