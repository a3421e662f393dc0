/*
 * rep_terminal.h — results as the terminal shows them: one line per
 * scenario, its failures with file:line:col, its notes and the command that
 * replays it, and the closing "N passed, N failed, N skipped" line. Every
 * portsim command prints results through these functions, so `run`,
 * `explore` and `conform` say the same thing the same way.
 *
 *   PASS  send-echo  scenarios/send/echo.yaml:1  hash=0x841d2e40aaf38d96 events=40 t=1.001s
 *   FAIL  late-reply  wrong.yaml:1  hash=0x... events=31 t=201ms
 *       wrong.yaml:21:28: fail: send result: expected receive_timeout, observed success (execution 1, at t=4ms)
 *       replay: portsim run wrong.yaml --seed 1 --strategy fifo --profile ventura
 *   XFAIL name  file:1  posix  (expected to fail on posix [R62]: ...)
 *   ERROR bad.yaml (2 errors)
 *
 * The line shows, when the result has them: the backend when it is not the
 * model; the trace hash (never a made-up one) and event count; the virtual
 * end time; a real run's wall time, closest deadline margin and failed runs
 * of --repeat; an exploration's schedules instead of one run's hash.
 * Failure words: "fail" (an expectation), "invariant", "run" (the run
 * itself), "error" (the file). Notes always follow; host notes (how busy
 * the host was) only with failures, or with verbose.
 *
 * Colour is the caller's decision (rep_terminal.color); nothing here looks
 * at the environment. Each result is flushed, so a result line never
 * overtakes the diagnostics printed before it on another stream.
 */
#ifndef REP_TERMINAL_H
#define REP_TERMINAL_H

#include <stdbool.h>
#include <stdio.h>

#include "sim_result.h"

typedef struct rep_terminal {
    FILE *out;
    bool color;   /* ANSI colours on the verdict word */
    bool verbose; /* host notes of every result, not only failing ones */
} rep_terminal;

/* The word of a failure kind on the terminal: "fail", "invariant", "run", "error". */
const char *rep_terminal_failure_word(uint8_t kind);
/* "    FILE:LINE:COL: WORD: MESSAGE: expected X, observed Y (execution N, at t=T)\n" */
void rep_terminal_failure(const rep_terminal *t, const sim_result *r, const sim_failure *f);
/* A result: its line, failures, notes and replay command. */
void rep_terminal_result(const rep_terminal *t, const sim_result *r);
/* "N passed, N failed, N skipped\n" (errors count as failed). */
void rep_terminal_summary(const rep_terminal *t, const sim_tally *tally);

#endif /* REP_TERMINAL_H */
