/* sim_cli_coverage.c — `portsim coverage` (placeholder while being written). */
#include "sim_cli_internal.h"

int sim_cli_coverage(sim_cli *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return sim_cli_usage_error(c, "coverage is not available yet", NULL);
}
