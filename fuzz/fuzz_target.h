/*
 * fuzz_target.h — the libFuzzer entry points every fuzz/ target defines
 * (LLVMFuzzerTestOneInput, optionally LLVMFuzzerInitialize).
 *
 * Each fuzz_<target>.c builds two ways: with clang's -fsanitize=fuzzer
 * into a libFuzzer binary (the `fuzz` preset, PORTSIM_BUILD_FUZZ), and
 * with any compiler beside fuzz_replay.c into a replay binary that feeds
 * it the committed corpus and regressions (every preset, through CTest).
 * A target must be deterministic, must free everything it allocated and
 * must close every fd it opened before it returns: leaks are findings.
 * It aborts (a finding) only when a property it checks does not hold.
 */
#ifndef FUZZ_TARGET_H
#define FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property that must hold for every input: abort() with a message otherwise. */
#define FUZZ_CHECK(cond, what)                                                              \
    do {                                                                                    \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, (what));                                 \
    } while (0)

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif /* FUZZ_TARGET_H */
