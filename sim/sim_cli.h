/*
 * sim_cli.h — the `portsim` command line, as a function tests can call.
 *
 *   portsim run [--seed N] [--strategy fifo|random] [--profile NAME]
 *               [--trace] [--json FILE] [--color|--no-color] PATH...
 *   portsim --help | --version
 *
 * `run` takes files and folders (searched recursively for *.yaml and
 * *.yml, in byte order), prints one result line per scenario (with the
 * trace hash), the failures with file:line:col and a replay command, and
 * ends with "N passed, N failed, N skipped" (load errors count as failed).
 * Exit codes: 0 all passed (or skipped), 1 a check failed, 2 a usage or
 * input error (a file that does not load).
 *
 * Colour: only when `out` is a terminal and NO_COLOR is unset or empty
 * (--color / --no-color force it).
 */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdio.h>

#define SIM_EXIT_OK 0
#define SIM_EXIT_FAILED 1
#define SIM_EXIT_USAGE 2

#ifndef PORTSIM_VERSION
#define PORTSIM_VERSION "0.0.0"
#endif

/* Runs the command; prints results to out and diagnostics to err. */
int sim_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SIM_CLI_H */
