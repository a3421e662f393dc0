/*
 * conf_suite.h — the conformance runner as a library: scenario files against
 * a backend, one file at a time, each giving an ordinary sim_result that
 * every report writer understands. The command line (cli/) parses options,
 * finds files and prints; everything between lives here.
 *
 *     conf_suite s;
 *     if (!conf_suite_open(&s, &options, stderr, err, sizeof err)) ...
 *     for each file: conf_suite_run_file(&s, path, &result); ... sim_result_free
 *     conf_suite_close(&s);
 *
 * A file is loaded (its errors go to the suite's diag stream), skipped when
 * the scenario, the expectation file or a missing agent capability says
 * so, explored on the model for its allowed outcomes, run --repeat times
 * (a failing run on a busy host is made again, at most twice, and says so),
 * judged, and the expectation file applied; mixed runs are FLAKY.
 *
 * While a suite is open the process is a child subreaper (Linux) and
 * SIGINT/SIGTERM are recorded instead of fatal (conf_interrupted()): every
 * agent is killed and reaped before a run returns.
 *
 * conf_suite_run_file may be called from several threads at once (`portsim
 * conform -j`): each run has its own agents, pipes and runtime directory (its
 * own name space: CFMP_RUNTIME_DIR for libcfmp, PORTSIM_RUN_DIR for any
 * agent), and the expectation file's counters are updated under the suite's
 * lock. Opening, closing and conf_suite_use_agent are not.
 */
#ifndef CONF_SUITE_H
#define CONF_SUITE_H

#include <pthread.h>
#include <stdio.h>

#include "conf_runner.h"

typedef struct conf_suite {
    conf_options opt;          /* a copy of the caller's */
    conf_agent_info info;      /* the agent's hello */
    conf_expectations expect;  /* the backend's expectation file, when have_expect */
    bool have_expect;
    FILE *diag;                /* load errors of scenario and expectation files */
    pthread_mutex_t lock;      /* expect's counters, diag */
} conf_suite;

/* Probes the agent and loads the expectation file. False (err filled, nothing to close)
 * when the backend cannot run or the expectation file does not load. */
bool conf_suite_open(conf_suite *s, const conf_options *opt, FILE *diag, char *err, size_t cap);
/* Points the suite at another agent executable (mutants) and probes it. */
bool conf_suite_use_agent(conf_suite *s, const char *path, char *err, size_t cap);
/* One scenario file, end to end: *out is initialised here (sim_result_free). */
void conf_suite_run_file(conf_suite *s, const char *path, sim_result *out);
void conf_suite_close(conf_suite *s);

/* The libcfmp mutants `portsim mutants` runs (libcfmp/src/cfmp_mutants.h). */
typedef struct conf_mutant {
    int id;
    const char *name;
    const char *rule;
    const char *about;
} conf_mutant;

uint32_t conf_mutant_count(void);
const conf_mutant *conf_mutant_get(uint32_t index);
/* Where the mutant agents are: beside an installed portsim (written into buf), else this
 * build's folder ("" when none were built). */
const char *conf_mutant_dir(char *buf, size_t cap);

#endif /* CONF_SUITE_H */
