/*
 * conf_spawn_posix.c — agent processes on POSIX systems: each agent runs in
 * its own process group with its stdin/stdout/stderr on pipes; killing an
 * agent kills its whole group with SIGKILL and reaps every member the
 * runner can reap; signals reach the runner through a self-pipe, so an
 * interrupted run still kills and reaps everything. Also the runner's
 * private per-run directories.
 *
 * Spawning is safe with other threads spawning at the same time (`conform
 * -j`): pipes are created close-on-exec atomically, so no agent inherits
 * another's pipe (which would hide that agent's end of file), and the child
 * between fork and exec makes only async-signal-safe calls: its environment
 * is built before the fork.
 */
#define _GNU_SOURCE /* pipe2 */
#include "conf_runner.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In conf_platform_*.c: set-up in the child between fork and exec. */
void conf_platform_child_setup(void);

int64_t conf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

static bool make_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC) == 0;
}

#define ENV_MAX 4096u

/* environ with the extra "NAME=value" entries replacing same-named ones; NULL-terminated. */
static char **make_env(char *const *env_extra)
{
    extern char **environ;
    assert(environ != NULL);
    size_t n = 0, extra = 0;
    while (environ[n] != NULL && n < ENV_MAX) n++;
    while (env_extra != NULL && env_extra[extra] != NULL) extra++;
    char **env = calloc(n + extra + 1, sizeof *env);
    if (env == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < extra && !replaced; j++) {
            const char *eq = strchr(env_extra[j], '=');
            size_t len = eq ? (size_t)(eq - env_extra[j]) + 1 : strlen(env_extra[j]);
            replaced = strncmp(environ[i], env_extra[j], len) == 0;
        }
        if (!replaced) env[k++] = environ[i];
    }
    for (size_t j = 0; j < extra; j++) env[k++] = env_extra[j];
    assert(k <= n + extra); /* exit: within the array, NULL-terminated */
    env[k] = NULL;
    return env;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* The child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const char *path, char *const *env, int in[2], int out[2], int err[2])
{
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    conf_platform_child_setup();
    if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
        dup2(err[1], STDERR_FILENO) < 0) {
        _exit(126);
    }
    char *argv[2] = {(char *)(uintptr_t)path, NULL};
    execve(path, argv, env);
    _exit(127);
}

bool conf_child_spawn(conf_child *c, const char *path, char *const *env_extra, char *err,
                      size_t err_cap)
{
    assert(c != NULL && path != NULL);
    assert(err != NULL && err_cap > 0);
    memset(c, 0, sizeof *c);
    c->in_fd = c->out_fd = c->err_fd = -1;
    c->pid = -1;
    if (access(path, X_OK) != 0) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return false;
    }
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    char **env = make_env(env_extra);
    if (env == NULL || !make_pipe(in) || !make_pipe(out) || !make_pipe(er)) {
        snprintf(err, err_cap, "pipe: %s", env == NULL ? "out of memory" : strerror(errno));
        close_fd(&in[0]), close_fd(&in[1]), close_fd(&out[0]), close_fd(&out[1]);
        close_fd(&er[0]), close_fd(&er[1]);
        free(env);
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) child_exec(path, env, in, out, er);
    free(env);
    close_fd(&in[0]), close_fd(&out[1]), close_fd(&er[1]);
    if (pid < 0) {
        snprintf(err, err_cap, "fork: %s", strerror(errno));
        close_fd(&in[1]), close_fd(&out[0]), close_fd(&er[0]);
        return false;
    }
    setpgid(pid, pid); /* also here: no window where a kill of the group misses it */
    c->pid = pid;
    c->in_fd = in[1];
    c->out_fd = out[0];
    c->err_fd = er[0];
    set_nonblocking(c->in_fd);
    set_nonblocking(c->out_fd);
    set_nonblocking(c->err_fd);
    assert(c->pid > 0 && !c->exited); /* exit: a running child, its ends of the three pipes */
    assert(c->in_fd >= 0 && c->out_fd >= 0 && c->err_fd >= 0);
    return true;
}

bool conf_child_try_reap(conf_child *c)
{
    assert(c != NULL);
    if (c->pid <= 0 || c->exited) return c->exited;
    int status = 0;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == c->pid) {
        c->exited = true;
        c->status = status;
    } else if (r < 0 && errno == ECHILD) {
        c->exited = true;
    }
    assert(r == 0 || r == c->pid || r < 0); /* waitpid(pid) reaps only that child */
    return c->exited;
}

/* Reaps whatever members of the group are our children (reparented orphans too). */
static void reap_group(pid_t pgid)
{
    int status;
    while (waitpid(-pgid, &status, WNOHANG) > 0) {
    }
}

void conf_child_terminate(conf_child *c)
{
    assert(c != NULL);
    if (c->pid <= 0) return;
    kill(-c->pid, SIGKILL);
    if (!c->exited) {
        kill(c->pid, SIGKILL);
        int status = 0;
        pid_t r;
        do {
            r = waitpid(c->pid, &status, 0);
        } while (r < 0 && errno == EINTR);
        if (r == c->pid) c->status = status;
        c->exited = true;
    }
    assert(c->exited); /* exit: reaped, its pipes still open */
}

void conf_child_kill(conf_child *c)
{
    assert(c != NULL);
    if (c->pid <= 0) return;
    kill(-c->pid, SIGKILL);
    if (!c->exited) {
        kill(c->pid, SIGKILL);
        int status = 0;
        pid_t r;
        do {
            r = waitpid(c->pid, &status, 0);
        } while (r < 0 && errno == EINTR);
        if (r == c->pid) c->status = status;
        c->exited = true;
    }
    /* Descendants die with the group; give them a moment and reap those reparented to us. */
    for (int i = 0; i < 200; i++) {
        reap_group(c->pid);
        if (kill(-c->pid, SIGKILL) != 0 && errno == ESRCH) break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    reap_group(c->pid);
    close_fd(&c->in_fd);
    close_fd(&c->out_fd);
    close_fd(&c->err_fd);
    c->pid = -c->pid; /* remembered, but never signalled again */
    assert(c->exited && c->pid < 0); /* exit: conf_child_kill is idempotent from here */
}

void conf_child_status_text(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status)) {
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(buf, cap, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else {
        snprintf(buf, cap, "status 0x%x", (unsigned)status);
    }
}

/* ---- run directories ------------------------------------------------------------------ */

bool conf_run_dir_make(char *out, size_t cap)
{
    assert(out != NULL && cap > 0);
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0') tmp = "/tmp";
    int n = snprintf(out, cap, "%s/portsim-conform-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= cap) return false;
    if (mkdtemp(out) == NULL) return false;
    assert(strstr(out, "portsim-conform-") != NULL); /* exit: conf_run_dir_remove accepts it */
    return true;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    assert(path != NULL);
    assert(strstr(path, "portsim-conform-") != NULL); /* only inside a run directory */
    (void)st;
    (void)ftw;
    if (type == FTW_DP) {
        rmdir(path);
    } else {
        unlink(path);
    }
    return 0;
}

void conf_run_dir_remove(const char *dir)
{
    if (dir == NULL || dir[0] == '\0' || strstr(dir, "portsim-conform-") == NULL) return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- signals ----------------------------------------------------------------------------- */

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t signal_seen;
static struct sigaction saved_int, saved_term, saved_pipe;
static bool installed;

static void on_signal(int sig)
{
    int saved = errno;
    signal_seen = sig;
    char b = (char)sig;
    if (signal_pipe[1] >= 0) (void)!write(signal_pipe[1], &b, 1);
    errno = saved;
}

void conf_signals_install(void)
{
    if (installed) return;
    assert(signal_pipe[0] < 0 && signal_pipe[1] < 0); /* conf_signals_restore closed them */
    if (make_pipe(signal_pipe)) {
        set_nonblocking(signal_pipe[0]);
        set_nonblocking(signal_pipe[1]);
    }
    assert((signal_pipe[0] >= 0) == (signal_pipe[1] >= 0)); /* both ends or none */
    signal_seen = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &saved_int);
    sigaction(SIGTERM, &sa, &saved_term);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &saved_pipe);
    installed = true;
}

void conf_signals_restore(void)
{
    if (!installed) return;
    assert((signal_pipe[0] >= 0) == (signal_pipe[1] >= 0));
    sigaction(SIGINT, &saved_int, NULL);
    sigaction(SIGTERM, &saved_term, NULL);
    sigaction(SIGPIPE, &saved_pipe, NULL);
    close_fd(&signal_pipe[0]);
    close_fd(&signal_pipe[1]);
    installed = false;
}

int conf_signal_fd(void)
{
    return signal_pipe[0];
}

int conf_interrupted(void)
{
    return (int)signal_seen;
}
