/*
 * sim_worst_cases_test.c — issue 10's promise, tested on the real binary:
 * every input of at most 1 MiB is rejected or run within 1 s of CPU and
 * 64 MiB of memory. Each worst case found so far (deep nesting, wide flow
 * lines, brackets hidden from the lexer, huge repeats, many large sizes,
 * the largest data that runs, the most steps, threads, a timer storm, the
 * libfyaml leak) is generated here, run by `portsim run` in a child, and
 * measured with wait4: exit status (never a signal), the words of its
 * error, CPU time (robust on a busy machine) and peak RSS (the point).
 *
 * Arguments: PORTSIM TIME_SCALE MEMORY_CHECK (0 under sanitizers, whose
 * shadow memory is not the program's).
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)
#define RSS_LIMIT_KB (64L * 1024)

static const char *portsim_path;
static double time_scale = 1.0;
static bool memory_check = true;

/* A growing text, at most 1 MiB (the cases are built to fit). */
typedef struct text {
    char *bytes;
    size_t len;
} text;

static void put(text *t, const char *s)
{
    size_t n = strlen(s);
    assert_true(t->len + n <= MIB);
    memcpy(t->bytes + t->len, s, n);
    t->len += n;
}

/* Appends s as many times as fit, keeping room bytes free; returns how many. */
static size_t fill(text *t, const char *s, size_t room)
{
    size_t n = strlen(s), count = 0;
    while (t->len + n + room <= MIB) {
        memcpy(t->bytes + t->len, s, n);
        t->len += n;
        count++;
    }
    return count;
}

static void repeat(text *t, const char *s, size_t times)
{
    for (size_t i = 0; i < times; i++) put(t, s);
}

#define MAIN_THREAD "processes:\n  p:\n    threads:\n      main:\n"
#define SERVER                                                                                    \
    "processes:\n  srv:\n    threads:\n      main:\n"                                             \
    "        - create_local: {port: a, name: x, handler: h}\n        - schedule: a\n"             \
    "        - run_loop: {mode: default, for: 10s}\n"                                             \
    "  cli:\n    start: 1ms\n    threads:\n      main:\n        - create_remote: {port: r, name: x}\n"

static void gen_deep_flow(text *t) { put(t, "about: "); fill(t, "[", 0); }
static void gen_deep_braces(text *t) { put(t, "about: "); fill(t, "{", 0); }
static void gen_deep_lines(text *t) { put(t, "about:\n"); fill(t, "[\n", 0); }
static void gen_wide_line(text *t) { put(t, "about: ["); fill(t, "a, ", 3); put(t, "a]\n"); }
static void gen_hidden_brackets(text *t) { put(t, "k: \"\\\"\" "); fill(t, "[", 0); }
static void gen_many_nodes(text *t) { put(t, "about: [\n"); fill(t, "  1,\n", 8); put(t, "  1]\n"); }
static void gen_alias_bomb(text *t) { put(t, "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"); }
static void gen_leaky_quotes(text *t) { put(t, "scenario: q\nabout: "); repeat(t, "''", 30000); put(t, "\n" MAIN_THREAD "        - sleep: 1ms\n"); }

static void gen_huge_repeats(text *t) /* issue 10's: 7,600 sends of 1 MiB took 53 s and 7.5 GiB */
{
    put(t, "scenario: repeats\n" MAIN_THREAD "        - create_local: {port: a, name: x, handler: h}\n");
    repeat(t, "        - send: {port: a, send_timeout: 0s, data: {repeat: a, count: 1048576}}\n", 7600);
    put(t, "handlers:\n  h: []\n");
}

static void gen_many_sizes(text *t)
{
    put(t, "scenario: sizes\n" MAIN_THREAD "        - create_local: {port: a, name: x, handler: h}\n");
    repeat(t, "        - send: {port: a, send_timeout: 0s, data: {size: 0x7fffffff}}\n", 7600);
    put(t, "handlers:\n  h: []\n");
}

static void gen_budget_runs(text *t) /* 15 MiB of data, echoed: the most data that loads */
{
    put(t, "scenario: budget\n" SERVER);
    repeat(t, "        - send: {port: r, send_timeout: 1s, recv_timeout: 1s, reply_mode: default, "
              "data: {repeat: a, count: 1048575}}\n          expect: success\n", 15);
    put(t, "handlers:\n  h: [{reply: echo}]\n");
}

static void gen_sizes_run(text *t) /* 8 x 2 GiB of untracked data, echoed */
{
    put(t, "scenario: sizes-run\n" SERVER);
    repeat(t, "        - send: {port: r, send_timeout: 1s, recv_timeout: 1s, reply_mode: default, "
              "data: {size: 0x7fffffff}}\n", 8);
    put(t, "handlers:\n  h: [{reply: echo}]\n");
}

static void gen_many_steps(text *t)
{
    put(t, "scenario: steps\n" MAIN_THREAD);
    repeat(t, "        - sleep: 1ms\n", 16380);
}

static void gen_many_threads(text *t)
{
    put(t, "scenario: threads\nprocesses:\n");
    char line[96];
    for (int p = 0; p < 64; p++) {
        snprintf(line, sizeof line, "  p%d:\n    threads:\n", p);
        put(t, line);
        for (int k = 0; k < 64; k++) {
            snprintf(line, sizeof line, "      t%d: [{sleep: 1ms}, {sleep: 1ms}]\n", k);
            put(t, line);
        }
    }
}

static void gen_timer_storm(text *t) /* a timer every nanosecond: the event budget ends it */
{
    put(t, "scenario: storm\n" MAIN_THREAD
           "        - create_local: {port: a, name: x, handler: h}\n        - schedule: a\n"
           "        - add_timer: {after: 0s, every: 1ns, timer: t}\n"
           "        - run_loop: {mode: default, for: forever}\n"
           "timers:\n  t: [{send: {port: a, send_timeout: 0s, data: {repeat: a, count: 1048576}}},"
           " {create_local: {port: b, name: y, handler: h, context: {info: 1, retain: true, release: true}}}]\n"
           "handlers:\n  h: []\n");
}

typedef struct worst_case {
    const char *name;
    void (*gen)(text *);
    int exit_code;     /* 0 ran and passed, 1 ran and failed, 2 refused */
    const char *words; /* in stderr (refused) or stdout (ran); NULL: not checked */
} worst_case;

static const worst_case cases[] = {
    {"deep-flow", gen_deep_flow, 2, ":1:32: error: nesting deeper than 24 levels"},
    {"deep-braces", gen_deep_braces, 2, ":1:32: error: nesting deeper than 24 levels"},
    {"deep-lines", gen_deep_lines, 2, ":26:1: error: nesting deeper than 24 levels"},
    {"wide-line", gen_wide_line, 2, "more than 1024 flow indicators"},
    {"hidden-brackets", gen_hidden_brackets, 2, "more [ and { than libfyaml may hold"},
    {"many-nodes", gen_many_nodes, 2, "too many YAML nodes"},
    {"alias-bomb", gen_alias_bomb, 2, "anchors (&name) are not allowed"},
    {"leaky-quotes", gen_leaky_quotes, 0, "1 passed"},
    {"huge-repeats", gen_huge_repeats, 2, "over the budget of 16 MiB per scenario"},
    {"many-sizes", gen_many_sizes, 2, "over the budget of 16 GiB per scenario"},
    {"budget-runs", gen_budget_runs, 0, "1 passed"},
    {"sizes-run", gen_sizes_run, 0, "1 passed"},
    {"many-steps", gen_many_steps, 0, "1 passed"},
    {"many-threads", gen_many_threads, 0, "1 passed"},
    {"timer-storm", gen_timer_storm, 1, "exceeded its event budget"},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(int fd)
{
    off_t n = lseek(fd, 0, SEEK_END);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    ssize_t got = pread(fd, buf, (size_t)n, 0);
    buf[got > 0 ? got : 0] = '\0';
    return buf;
}

static void check_case(const worst_case *c, const char *dir)
{
    text t = {.bytes = malloc(MIB), .len = 0};
    assert_non_null(t.bytes);
    c->gen(&t);
    assert_true(t.len <= MIB);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.yaml", dir, c->name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(t.bytes, 1, t.len, f), t.len);
    fclose(f);
    free(t.bytes);
    char out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s/%s.out", dir, c->name);
    snprintf(err_path, sizeof err_path, "%s/%s.err", dir, c->name);
    int out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(out_fd >= 0 && err_fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execl(portsim_path, portsim_path, "run", "--no-color", path, (char *)NULL);
        _exit(127);
    }
    double start = now_s(), hang_s = 30.0 * time_scale;
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) { /* bounded by the hang guard */
        pid_t done = wait4(pid, &status, WNOHANG, &ru);
        if (done == pid) break;
        if (now_s() - start > hang_s) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            fail_msg("%s: still running after %.0fs", c->name, hang_s);
        }
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    double cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    char *out = read_all(out_fd), *err = read_all(err_fd);
    close(out_fd);
    close(err_fd);
    print_message("%-16s exit %d  cpu %.3fs  rss %ld KiB\n", c->name,
                  WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), cpu_s, ru.ru_maxrss);
    if (!WIFEXITED(status)) fail_msg("%s: killed by signal %d\n%s", c->name, WTERMSIG(status), err);
    if (WEXITSTATUS(status) != c->exit_code) {
        fail_msg("%s: exit %d, wanted %d\n%s%s", c->name, WEXITSTATUS(status), c->exit_code, out, err);
    }
    const char *where = c->exit_code == 2 ? err : out;
    if (c->words != NULL && strstr(where, c->words) == NULL) {
        fail_msg("%s: no '%s' in\n%s", c->name, c->words, where);
    }
    if (cpu_s > 1.0 * time_scale) fail_msg("%s: %.3fs of CPU (the limit is %.1fs)", c->name, cpu_s, time_scale);
    if (memory_check && ru.ru_maxrss > RSS_LIMIT_KB) {
        fail_msg("%s: peak RSS %ld KiB (the limit is %ld KiB)", c->name, ru.ru_maxrss, RSS_LIMIT_KB);
    }
    free(out);
    free(err);
    unlink(path);
    unlink(out_path);
    unlink(err_path);
}

static void test_every_worst_case_is_refused_or_runs_in_1s_and_64mib(void **state)
{
    (void)state;
    char dir[] = "/tmp/sim_worst_cases_XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i], dir);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORTSIM TIME_SCALE MEMORY_CHECK\n", argv[0]);
        return 2;
    }
    portsim_path = argv[1];
    time_scale = atof(argv[2]);
    if (time_scale < 1.0) time_scale = 1.0;
    memory_check = atoi(argv[3]) != 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_worst_case_is_refused_or_runs_in_1s_and_64mib),
    };
    return cmocka_run_group_tests_name("sim_worst_cases", tests, NULL, NULL);
}
