/*
 * conf_dev_main.c — `portsim_conform_dev conform|mutants ...`: the runner
 * as its own binary, until sim/portsim_main.c dispatches these commands to
 * conf_cli_main.
 */
#include "conf_cli.h"

int main(int argc, char **argv)
{
    return conf_cli_main(argc, argv);
}
