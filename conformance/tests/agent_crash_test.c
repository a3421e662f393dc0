/*
 * agent_crash_test.c — the C agent's crash reporting (agent_platform_posix.c): a thread marked
 * inside a CF call that crashes writes exactly one "crashed" line naming its execution and
 * signal, then dies of that signal; an unmarked thread (the agent's own code, or a callback
 * that cleared the mark) dies of it with no line, so the runner keeps calling that the agent's
 * failure. Each case runs in a forked child whose stdout is a pipe; the child installs the
 * handlers itself, as the agent's main does.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agent_platform.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*crash_fn)(void);

/* Runs fn in a child with the handlers installed; its stdout into out, its wait status back. */
static int run_child(crash_fn fn, char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        agent_crash_init();
        agent_crash_set_epoch(agent_now_ns() - 1000); /* t_ns is positive, and small */
        fn();
        _exit(0); /* it did not crash */
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fds[0], out + len, cap - 1 - len)) > 0) len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void expect_death(crash_fn fn, int sig, const char *line_prefix)
{
    char out[1024];
    int status = run_child(fn, out, sizeof out);
    bool died = WIFSIGNALED(status) && WTERMSIG(status) == sig;
    bool line_ok = line_prefix == NULL ? out[0] == '\0'
                                       : strncmp(out, line_prefix, strlen(line_prefix)) == 0 &&
                                             strstr(out, ", \"t_ns\": ") != NULL &&
                                             strchr(out, '\n') == out + strlen(out) - 1; /* one line */
    if (!died || !line_ok) {
        print_error("wanted death by signal %d and %s%s; status 0x%x, stdout: \"%s\"\n", sig,
                    line_prefix ? "a line starting " : "no line", line_prefix ? line_prefix : "", status, out);
        fail();
    }
}

static void marked_abort(void)
{
    assert_int_equal(agent_crash_mark(7), 0);
    abort();
}

static volatile int *volatile null_pointer;

static void marked_null_dereference(void)
{
    (void)agent_crash_mark(42);
    *null_pointer = 1;
}

static void unmarked_abort(void)
{
    abort(); /* a crash in the agent's own code */
}

static void cleared_abort(void)
{
    (void)agent_crash_mark(9);                /* the step's CF call ... */
    int64_t in_cf = agent_crash_mark(0);      /* ... calls back into the agent */
    assert_int_equal(in_cf, 9);
    abort();
}

/* The crash line comes after the lines written before it, whole (agent_write_stdout is what
 * every agent line goes through; the handler takes stdout from it between two lines). */
static void marked_after_a_line(void)
{
    static const char line[] = "{\"type\": \"log\", \"message\": \"before\"}\n";
    assert_true(agent_write_stdout(line, sizeof line - 1));
    (void)agent_crash_mark(3);
    raise(SIGBUS);
}

static void thread_body(void *arg)
{
    (void)arg;
    (void)agent_crash_mark(11);
    raise(SIGSEGV);
}

static void marked_in_agent_thread(void)
{
    assert_true(agent_thread_start(thread_body, NULL));
    for (;;) pause();
}

static void test_marked_crash_reports_its_execution(void **state)
{
    (void)state;
    expect_death(marked_abort, SIGABRT, "{\"type\": \"crashed\", \"exec\": 7, \"signal\": \"SIGABRT\", \"t_ns\": ");
    expect_death(marked_null_dereference, SIGSEGV,
                 "{\"type\": \"crashed\", \"exec\": 42, \"signal\": \"SIGSEGV\", \"t_ns\": ");
    expect_death(marked_in_agent_thread, SIGSEGV,
                 "{\"type\": \"crashed\", \"exec\": 11, \"signal\": \"SIGSEGV\", \"t_ns\": ");
}

static void test_unmarked_crash_writes_nothing(void **state)
{
    (void)state;
    expect_death(unmarked_abort, SIGABRT, NULL);
    expect_death(cleared_abort, SIGABRT, NULL);
}

static void test_crash_line_follows_whole_lines(void **state)
{
    (void)state;
    char out[1024];
    int status = run_child(marked_after_a_line, out, sizeof out);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS);
    const char *want = "{\"type\": \"log\", \"message\": \"before\"}\n"
                       "{\"type\": \"crashed\", \"exec\": 3, \"signal\": \"SIGBUS\", \"t_ns\": ";
    if (strncmp(out, want, strlen(want)) != 0) {
        print_error("stdout: \"%s\"\n", out);
        fail();
    }
}

/* The mark is per thread and returns what it replaces. */
static void test_mark_is_per_thread(void **state)
{
    (void)state;
    assert_int_equal(agent_crash_mark(5), 0);
    assert_int_equal(agent_crash_mark(6), 5);
    assert_int_equal(agent_crash_mark(0), 6);
    assert_int_equal(agent_crash_mark(0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marked_crash_reports_its_execution),
        cmocka_unit_test(test_unmarked_crash_writes_nothing),
        cmocka_unit_test(test_crash_line_follows_whole_lines),
        cmocka_unit_test(test_mark_is_per_thread),
    };
    return cmocka_run_group_tests_name("agent_crash", tests, NULL, NULL);
}
