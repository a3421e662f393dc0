/* portsim_main.c — the `portsim` command: everything is in sim_cli.c. */
#include <stdio.h>

#include "sim_cli.h"

int main(int argc, char **argv)
{
    return sim_cli_main(argc, argv, stdout, stderr);
}
