/* cli_test_util.c — see cli_test_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli_test_util.h"

#include <stdlib.h>
#include <string.h>

ct_result ct_run(const char *const *argv)
{
    int argc = 0;
    while (argv[argc] != NULL) argc++;
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    assert_non_null(copy);
    for (int i = 0; i < argc; i++) copy[i] = strdup(argv[i]);
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    ct_result r = {.code = cli_main(argc, copy, out, err)};
    r.out = st_slurp(out);
    r.err = st_slurp(err);
    for (int i = 0; i < argc; i++) free(copy[i]);
    free(copy);
    return r;
}

void ct_free(ct_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

char *ct_line_starting(const char *text, const char *prefix)
{
    const char *at = strstr(text, prefix);
    if (at == NULL) return NULL;
    const char *end = strchr(at, '\n');
    return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

uint32_t ct_split(char *line, const char **argv, uint32_t cap)
{
    uint32_t n = 0;
    for (char *tok = strtok(line, " \n"); tok != NULL && n + 1 < cap; tok = strtok(NULL, " \n")) argv[n++] = tok;
    argv[n] = NULL;
    return n;
}
