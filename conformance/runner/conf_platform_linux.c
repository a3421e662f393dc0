/*
 * conf_platform_linux.c — Linux-only parts of the runner: the runner is a
 * child subreaper while it runs agents (orphaned descendants of an agent
 * are reparented to it and reaped with their process group), and an
 * agent gets SIGKILL if the runner itself dies (PR_SET_PDEATHSIG); the
 * running executable's folder comes from /proc/self/exe.
 */
#define _GNU_SOURCE
#include "conf_runner.h"

#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

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

/* The folder of the running executable, from /proc/self/exe. */
bool conf_self_dir(char *dir, size_t cap)
{
    assert(dir != NULL);
    if (cap < 2) return false;
    ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1) return false;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash == NULL) return false;
    *slash = '\0';
    assert(dir[0] == '/' || dir[0] == '\0'); /* exit: the kernel gives an absolute path */
    return true;
}
