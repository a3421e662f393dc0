/* sim_cli_shrink.c — `portsim shrink` (placeholder while being written). */
#include "sim_cli_internal.h"

int sim_cli_shrink(sim_cli *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return sim_cli_usage_error(c, "shrink is not available yet", NULL);
}
