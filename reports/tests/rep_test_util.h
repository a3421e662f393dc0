/*
 * rep_test_util.h — helpers for the reports/ tests: capturing a writer's
 * output, running scenario files on the model with their observation kept,
 * hand-built results (every verdict, hostile strings, a small observation),
 * checks that text is valid UTF-8 / XML 1.0 characters, and running an
 * external tool (xmllint, prove) with its output captured.
 *
 * REP_TEST_DIR (reports/tests) comes from the build. Returned strings are
 * malloc'd; results are freed with rt_free_results.
 */
#ifndef REP_TEST_UTIL_H
#define REP_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim_json.h"
#include "sim_result.h"

#ifndef REP_TEST_DIR
#error "REP_TEST_DIR must be defined by the build"
#endif

/* A run info as the CLI would pass it (fixed version, so outputs are stable). */
sim_run_info rt_info(void);

/* Reads a stream from its start (and closes it): NUL-terminated, *len bytes. */
char *rt_slurp(FILE *f, size_t *len);
char *rt_read_file(const char *path, size_t *len);
bool rt_write_file(const char *path, const char *text, size_t len);

/* Loads data/NAME (shown as "reports/tests/data/NAME") and runs it with keep_obs; a NAME with a
 * '/' is relative to reports/tests ("diagrams/x.yaml": scenarios outside the all-data set). */
void rt_run_data(const char *name, sim_result *out);
/* Every scenario of data/, in name order: *count results. */
sim_result *rt_run_all_data(uint32_t *count);

/*
 * Hand-built results: [0] pass, [1] fail (two failures, one on a step),
 * [2] skip, [3] error (a load error with no scenario), [4] fail with
 * hostile text everywhere (quotes, <, &, ]]>, control bytes, invalid UTF-8
 * in the file name, a 100 KB string), [5] pass with the same name as [0],
 * [6] pass on backend "posix" as a real-time run (3 runs, a closest-deadline
 * margin, two notes, one hostile). [0] carries a small observation (two
 * processes, a request and reply, a late reply, a crash).
 */
sim_result *rt_hand_results(uint32_t *count);
void rt_free_results(sim_result *results, uint32_t count);

/* Every byte sequence valid UTF-8, and no character XML 1.0 forbids. */
bool rt_valid_xml_chars(const char *text, size_t len);
/* Occurrences of needle in haystack. */
uint32_t rt_count(const char *haystack, const char *needle);

/* A fresh temporary file path with a suffix (malloc'd; the file exists, empty). */
char *rt_temp_path(const char *suffix);
/* Whether an executable is on PATH. */
bool rt_have_tool(const char *name);
/* Runs argv (PATH searched), stdout+stderr captured in *output; the exit status, or -1. */
int rt_run_tool(const char *const *argv, char **output);

/* ---- reading a diagram's SVG back (as a person reads it: the labels drawn) ---- */

/* "101.667823ms", "0ns", "4.95s", "+38.2us" as nanoseconds; false if it is not a duration. */
bool rt_parse_duration(const char *text, size_t len, int64_t *ns);

typedef struct rt_time_label {
    uint32_t y;
    int64_t ns;
} rt_time_label;

/* The time labels of the first diagram in svg (<text class="time ...">), top to bottom as
 * written: at most max, *count of them. False (with a message) when one does not parse. */
bool rt_time_labels(const char *svg, rt_time_label *out, uint32_t max, uint32_t *count);
/* The time axis reads down: every label below the one before and later than it. NULL, or why not
 * (static text). */
const char *rt_axis_problem(const rt_time_label *labels, uint32_t count);
/* The text of every <text> element inside <g class="PREFIX..."> groups, concatenated with '\n'
 * (malloc'd): what the brackets of a kind say. */
char *rt_group_texts(const char *svg, const char *class_prefix);

#endif /* REP_TEST_UTIL_H */
