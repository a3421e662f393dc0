/*
 * conf_platform_linux.c — Linux-only parts of the runner: the runner is a
 * child subreaper while it runs agents (orphaned descendants of an agent
 * are reparented to it and reaped with their process group), and an
 * agent gets SIGKILL if the runner itself dies (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include "conf_runner.h"

#include <signal.h>
#include <sys/prctl.h>

void conf_platform_child_setup(void);

static int saved_subreaper;
static bool saved;

void conf_platform_init(void)
{
    if (prctl(PR_GET_CHILD_SUBREAPER, &saved_subreaper, 0, 0, 0) == 0) saved = true;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void conf_platform_fini(void)
{
    if (saved) prctl(PR_SET_CHILD_SUBREAPER, saved_subreaper, 0, 0, 0);
}

void conf_platform_child_setup(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}
