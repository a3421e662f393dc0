/*
 * conf_cli.h — `portsim conform` and `portsim mutants`, as one function
 * the `portsim` binary (sim/portsim_main.c) dispatches to.
 *
 *   portsim conform (--backend NAME | --agent PATH) [options] PATH...
 *   portsim mutants [options] PATH...
 *
 * argv[0] is the program name and argv[1] the command ("conform" or
 * "mutants"). Prints results to stdout and diagnostics to stderr; ends with
 * "N passed, N failed, N skipped". Exit codes: 0 all passed (or skipped or
 * expected), 1 a check failed, 2 a usage or input error, 130 interrupted.
 * See docs/agent-protocol.md for the options and the protocol.
 */
#ifndef CONF_CLI_H
#define CONF_CLI_H

#define CONF_EXIT_OK 0
#define CONF_EXIT_FAILED 1
#define CONF_EXIT_USAGE 2
#define CONF_EXIT_INTERRUPTED 130

int conf_cli_main(int argc, char **argv);

#endif /* CONF_CLI_H */
