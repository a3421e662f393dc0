/*
 * sim_bad_inputs_test.c — the real `portsim` binary on every malformed
 * scenario (sim_bad_cases.h, plus a generated 2 MiB file): each run must
 * exit with status 2 within a second (times the build's timeout
 * multiplier), and print every listed `file:line:col: error: ...` line.
 *
 * Arguments: PORTSIM BAD_DIR MULTIPLIER [EMULATOR...]. In the valgrind
 * preset EMULATOR is the memcheck command line, so portsim runs are
 * checked by Valgrind too (its --error-exitcode then makes the exit
 * status differ from 2): every BAD_MEMCHECK_EVERY-th file and the huge
 * one. The loader's path through every file is memchecked in-process by
 * sim_load_test; what is left here is the command's own error path, the
 * same for each file, and a memcheck start costs seconds per file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_bad_cases.h"

static const char *portsim_path;
static const char *bad_dir;
static double limit_s = 1.0;
static char **emulator;
static int emulator_count;

#ifndef BAD_MEMCHECK_EVERY
#define BAD_MEMCHECK_EVERY 1
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

typedef struct run_result {
    int code; /* exit status, or -1 if it had to be killed */
    double seconds;
    char *err;
} run_result;

/* Runs [emulator...] portsim run FILE in dir (the emulator only when wrapped), with stderr
 * captured. */
static run_result run_portsim(const char *dir, const char *file, bool wrapped)
{
    assert_true(dir != NULL && file != NULL);
    char err_path[] = "/tmp/sim_bad_inputs_XXXXXX";
    int err_fd = mkstemp(err_path);
    assert_true(err_fd >= 0);
    double start = now_s();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(err_fd, 2);
        if (chdir(dir) != 0) _exit(126);
        char **argv = calloc((size_t)emulator_count + 5, sizeof *argv);
        int n = 0;
        for (int i = 0; wrapped && i < emulator_count; i++) argv[n++] = emulator[i];
        argv[n++] = (char *)portsim_path;
        argv[n++] = (char *)"run";
        argv[n++] = (char *)file;
        argv[n] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    run_result r = {.code = -1};
    int status = 0;
    for (;;) { /* bounded by the deadline */
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (now_s() - start > 5 * limit_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    r.seconds = now_s() - start;
    close(err_fd);
    r.err = read_all(err_path);
    unlink(err_path);
    return r;
}

static void check_file(const char *dir, const char *file, const char *const *wanted, size_t count,
                       bool wrapped)
{
    run_result r = run_portsim(dir, file, wrapped);
    if (r.code != 2) fail_msg("%s: exit status %d (wanted 2)\n%s", file, r.code, r.err);
    if (r.seconds > limit_s) fail_msg("%s: took %.2fs (limit %.2fs)", file, r.seconds, limit_s);
    for (size_t i = 0; i < count; i++) { /* "file:line:col: error: " then the words, on one line */
        const char *words = strstr(wanted[i], ": error: ") + strlen(": error: ");
        size_t prefix = (size_t)(words - wanted[i]);
        const char *at = r.err;
        bool found = false;
        while (!found && (at = strstr(at, file)) != NULL) {
            const char *eol = strchr(at, '\n');
            const char *hit = strstr(at, words);
            found = strncmp(at, wanted[i], prefix) == 0 && hit != NULL && (eol == NULL || hit < eol);
            at++;
        }
        if (!found) fail_msg("%s: no '%s' in:\n%s", file, wanted[i], r.err);
    }
    free(r.err);
}

/* Every file of the corpus: exit 2, quickly, with its located errors. */
static void test_each_bad_file_exits_2_with_located_errors(void **state)
{
    (void)state;
    size_t files = 0;
    for (size_t i = 0; i < SIM_BAD_CASE_COUNT; i++) {
        if (i > 0 && strcmp(sim_bad_cases[i].file, sim_bad_cases[i - 1].file) == 0) continue;
        bool wrapped = files++ % BAD_MEMCHECK_EVERY == 0;
        const char *wanted[32];
        char lines[32][256];
        size_t n = 0;
        for (size_t k = i; k < SIM_BAD_CASE_COUNT && n < 32; k++) {
            if (strcmp(sim_bad_cases[k].file, sim_bad_cases[i].file) != 0) break;
            snprintf(lines[n], sizeof lines[n], "%s:%s: error: %s", sim_bad_cases[k].file,
                     sim_bad_cases[k].where, sim_bad_cases[k].words);
            wanted[n] = lines[n];
            n++;
        }
        check_file(bad_dir, sim_bad_cases[i].file, wanted, n, wrapped);
    }
    assert_true(files > 1); /* the corpus is there */
}

/* A 2 MiB file is refused by its size, without being parsed. */
static void test_huge_file_exits_2(void **state)
{
    (void)state;
    char dir[] = "/tmp/sim_bad_huge_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/huge.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("scenario: huge\nabout: \"", f);
    for (int i = 0; i < 2 * 1024 * 1024; i += 64) {
        fputs("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", f);
    }
    fputs("\"\n", f);
    fclose(f);
    const char *wanted[] = {"huge.yaml:1:1: error: file too large"};
    check_file(dir, "huge.yaml", wanted, 1, true);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORTSIM BAD_DIR MULTIPLIER [EMULATOR...]\n", argv[0]);
        return 2;
    }
    portsim_path = argv[1];
    bad_dir = argv[2];
    limit_s = atof(argv[3]);
    if (limit_s < 1.0) limit_s = 1.0;
    emulator = argv + 4;
    emulator_count = argc - 4;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_bad_file_exits_2_with_located_errors),
        cmocka_unit_test(test_huge_file_exits_2),
    };
    return cmocka_run_group_tests_name("sim_bad_inputs", tests, NULL, NULL);
}
