/*
 * conf_platform_other.c — the runner on systems without Linux's child
 * subreaper and parent-death signal (macOS, BSDs): agents still run in
 * their own process group and are killed and reaped with it, and an agent
 * exits when its stdin closes (the runner died).
 */
#include "conf_runner.h"

void conf_platform_child_setup(void);

void conf_platform_init(void)
{
}

void conf_platform_fini(void)
{
}

void conf_platform_child_setup(void)
{
}

/* No portable way to find the running executable here: installed agents are found through
 * $PORTSIM_AGENT_DIR or the paths of the build. */
bool conf_self_dir(char *dir, size_t cap)
{
    (void)dir;
    (void)cap;
    return false;
}
