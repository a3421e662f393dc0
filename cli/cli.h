/*
 * cli.h — the `portsim` command, as one function tests can call.
 *
 *   portsim COMMAND [options] PATH...     (portsim --help lists the commands;
 *   portsim COMMAND --help                 every command has its own help)
 *
 * This is the application layer: it parses options, finds scenario files,
 * prints results and writes reports, and calls down into the libraries
 * (sim/, conformance/, reports/) for everything else. Nothing below it
 * includes it.
 *
 * Exit codes, everywhere: 0 all passed (or skipped, or expected), 1 a check
 * failed, 2 a usage or input error, 130 interrupted (conform, mutants).
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_INTERRUPTED 130

#ifndef PORTSIM_VERSION
#define PORTSIM_VERSION "0.0.0"
#endif

/* Runs the command of argv; results to out, diagnostics to err. */
int cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* CLI_H */
