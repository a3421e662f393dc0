/* cli_main.c — the portsim executable: cli_main on the process's streams. */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv, stdout, stderr);
}
