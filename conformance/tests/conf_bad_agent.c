/*
 * conf_bad_agent.c — small misbehaving agents for the runner's hostile-agent
 * tests. One source, one executable per behaviour (BAD_AGENT_MODE):
 *
 *   crash    answers hello, then dies by SIGSEGV when told to start
 *   hang     answers hello, starts a grandchild that sleeps forever in its process
 *            group, ignores SIGTERM and end of input, and never answers again
 *   garbage  answers hello, then writes lines that are not the protocol (not JSON, binary,
 *            a JSON array, an unknown type, and a line longer than 1 MiB)
 *   longline answers hello, then writes a valid-looking line longer than 1 MiB
 *   silent   never answers hello
 *   exits    answers hello, then exits with status 3 when told to start
 *   cfcrash  answers hello; when told to start, calls its first command and dies by SIGABRT
 *            inside it, after the "crashed" line naming that execution (a CF call crashing)
 *   badcrash answers hello, then writes a "crashed" line for an execution it never called
 *            and dies by SIGABRT
 *
 * Protocol lines are fixed strings (a test double, not a codec). With
 * PORTSIM_TEST_PID_DIR set, each process it makes drops an empty file named
 * by its pid there, so the test can check that every one of them is gone.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef BAD_AGENT_MODE
#define BAD_AGENT_MODE "crash"
#endif

static const char hello[] =
    "{\"type\": \"hello\", \"protocol\": 1, \"implementation\": {\"name\": \"bad-agent\", "
    "\"version\": \"" BAD_AGENT_MODE "\"}, \"backend\": \"agent\", \"clock\": \"host_monotonic\", "
    "\"world\": false, \"capabilities\": [\"dispatch_queues\"], \"events\": [\"callout\"]}\n";

static void note_pid(void)
{
    const char *dir = getenv("PORTSIM_TEST_PID_DIR");
    if (dir == NULL) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%ld", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (f != NULL) fclose(f);
}

static void put(const char *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

static long long first_id = -1, first_ref = -1, epoch_ns; /* the first command's; start's */

/* Reads lines until one contains text; false at end of input. Notes the first command's id
 * and step ref, and the start line's epoch. */
static bool wait_for(const char *text)
{
    static char line[1 << 16];
    while (fgets(line, sizeof line, stdin) != NULL) {
        const char *id = strstr(line, "\"type\": \"command\", \"id\": ");
        const char *ref = strstr(line, "\"ref\": ");
        if (id != NULL && ref != NULL && first_id < 0) {
            first_id = strtoll(id + strlen("\"type\": \"command\", \"id\": "), NULL, 10);
            first_ref = strtoll(ref + strlen("\"ref\": "), NULL, 10);
        }
        const char *epoch = strstr(line, "\"epoch_ns\": ");
        if (epoch != NULL) epoch_ns = strtoll(epoch + strlen("\"epoch_ns\": "), NULL, 10);
        if (strstr(line, text) != NULL) return true;
    }
    return false;
}

static long long t_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000 + now.tv_nsec - epoch_ns;
}

static void sleep_forever(void)
{
    for (;;) pause();
}

int main(void)
{
    note_pid();
    const char *mode = BAD_AGENT_MODE;
    if (strcmp(mode, "silent") == 0) sleep_forever();
    if (!wait_for("\"hello\"")) return 0;
    put(hello);
    if (strcmp(mode, "hang") == 0) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        if (fork() == 0) { /* a grandchild of the runner, in the agent's process group */
            note_pid();
            sleep_forever();
        }
        sleep_forever();
    }
    if (!wait_for("\"start\"")) return 0;
    if (strcmp(mode, "crash") == 0) {
        raise(SIGSEGV);
        return 1;
    }
    if (strcmp(mode, "exits") == 0) return 3;
    if (strcmp(mode, "cfcrash") == 0 || strcmp(mode, "badcrash") == 0) {
        char line[300];
        long long now = t_ns();
        if (strcmp(mode, "cfcrash") == 0) {
            snprintf(line, sizeof line, "{\"type\": \"call\", \"exec\": 1, \"ref\": %lld, \"id\": %lld, "
                     "\"thread\": \"main\", \"t_ns\": %lld}\n", first_ref, first_id, now);
            put(line);
        }
        snprintf(line, sizeof line, "{\"type\": \"crashed\", \"exec\": %d, \"signal\": \"SIGABRT\", "
                 "\"t_ns\": %lld}\n", strcmp(mode, "cfcrash") == 0 ? 1 : 99, now + 1000);
        put(line);
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    if (strcmp(mode, "longline") == 0) {
        put("{\"type\": \"log\", \"message\": \"");
        for (int i = 0; i < 1100; i++) {
            static char chunk[1024];
            memset(chunk, 'y', sizeof chunk - 1);
            put(chunk);
        }
        put("\"}\n");
        sleep_forever();
    }
    if (strcmp(mode, "garbage") == 0) {
        put("this is not JSON\n");
        put("\x01\x02\xff\xfe binary\n");
        put("[\"an\", \"array\"]\n");
        put("{\"type\": \"surprise\"}\n");
        for (int i = 0; i < 2100; i++) {
            static char chunk[1024];
            memset(chunk, 'x', sizeof chunk - 1);
            put(chunk);
        }
        put("\n");
        sleep_forever();
    }
    return 0;
}
