/*
 * cli_test_util.h — running the portsim command in-process with both
 * streams captured, for the cli/ tests (prefix ct_). The sim/ test helpers
 * (sim_test_util.h: files, the echo scenario) come with it.
 */
#ifndef CLI_TEST_UTIL_H
#define CLI_TEST_UTIL_H

#include "cli.h"
#include "sim_test_util.h"

typedef struct ct_result {
    int code;
    char *out;
    char *err;
} ct_result;

/* Runs cli_main with argv (NULL-terminated), capturing stdout and stderr. */
ct_result ct_run(const char *const *argv);
void ct_free(ct_result *r);
/* The first line of text starting with prefix (malloc'd, no newline), or NULL. */
char *ct_line_starting(const char *text, const char *prefix);
/* Splits a command line at spaces into argv (NULL-terminated); returns the count. */
uint32_t ct_split(char *line, const char **argv, uint32_t cap);

#endif /* CLI_TEST_UTIL_H */
