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

/* Reads lines until one contains text; false at end of input. */
static bool wait_for(const char *text)
{
    static char line[1 << 16];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (strstr(line, text) != NULL) return true;
    }
    return false;
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
