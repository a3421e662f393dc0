/*
 * fuzz_common.c — what every fuzz target shares in both builds (libFuzzer
 * and replay): the failure report of FUZZ_CHECK.
 */
#include "fuzz_target.h"

#include <stdio.h>
#include <stdlib.h>

/* A checked property failed: say which, then abort so libFuzzer (or the replay) records it. */
void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
    fflush(stderr);
    abort();
}
