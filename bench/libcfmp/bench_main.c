/*
 * bench_main.c — libcfmp benchmark driver. One run measures, on this machine:
 *   1. the median round trip of a 64-byte request/reply between two processes for a raw
 *      AF_UNIX socketpair (the floor), libcfmp, nng and ZeroMQ (when built in), in alternating
 *      rounds so that machine noise hits all of them alike; ratios against the floor;
 *   2. the inline-versus-memfd crossover that sets libcfmp's large-payload threshold;
 *   3. 1 MiB one-way throughput against memcpy bandwidth;
 *   4. 32 concurrent client processes x 10,000 requests, checking no reply is lost,
 *      duplicated or swapped, and that the server saw every request once, in order.
 * Usage: cfmp_bench [--quick]. Other flags are internal (the processes it starts).
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct bench_transport *const bench_transports[] = {
    &bench_raw_transport,
    &bench_cfmp_transport,
    &bench_raw_epoll_transport,
    &bench_raw_spin_transport,
#ifdef CFMP_BENCH_NNG
    &bench_nng_transport,
#endif
#ifdef CFMP_BENCH_ZMQ
    &bench_zmq_transport,
#endif
};
#define BENCH_TRANSPORT_COUNT (sizeof bench_transports / sizeof bench_transports[0])

static int bench_counter;

uint64_t bench_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static int bench_compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t bench_percentile(uint64_t *samples, size_t count, double fraction) {
    qsort(samples, count, sizeof *samples, bench_compare_u64);
    size_t index = (size_t)(fraction * (double)(count - 1));
    return samples[index];
}

/* Starts this program again with args; waits for one byte on its ready pipe when asked. */
static pid_t bench_spawn(const char *const args[], bool wait_ready) {
    int ready[2];
    if (pipe(ready) != 0) abort();
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) {
        close(ready[0]);
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", ready[1]);
        const char *argv[16];
        size_t argc = 0;
        argv[argc++] = "cfmp_bench";
        for (size_t i = 0; args[i] != NULL && argc < 14; i++) argv[argc++] = args[i];
        argv[argc++] = fd_text;
        argv[argc] = NULL;
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    close(ready[1]);
    if (wait_ready) {
        struct pollfd poll_fd = {ready[0], POLLIN, 0};
        char byte;
        if (poll(&poll_fd, 1, 20000) != 1 || read(ready[0], &byte, 1) != 1) {
            fprintf(stderr, "cfmp_bench: a server did not start\n");
            kill(pid, SIGKILL);
            exit(2);
        }
    }
    close(ready[0]);
    return pid;
}

static int bench_wait(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void bench_endpoint(size_t transport, char *endpoint, size_t size, int *client_fd) {
    int id = ++bench_counter;
    *client_fd = -1;
    if (bench_transports[transport] == &bench_raw_transport ||
        bench_transports[transport] == &bench_raw_epoll_transport ||
        bench_transports[transport] == &bench_raw_spin_transport) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) != 0) abort();
        if (fcntl(pair[0], F_SETFD, FD_CLOEXEC) != 0) abort(); /* the server must see EOF */
        snprintf(endpoint, size, "%d", pair[1]);
        *client_fd = pair[0];
    } else if (bench_transports[transport] == &bench_cfmp_transport) {
        snprintf(endpoint, size, "cfmp.bench.%ld.%d", (long)getpid(), id);
    } else {
        snprintf(endpoint, size, "ipc:///tmp/cfmp-bench-%ld-%d.ipc", (long)getpid(), id);
    }
}

static pid_t bench_start_server(size_t transport, const char *endpoint) {
    char index[8];
    snprintf(index, sizeof index, "%zu", transport);
    const char *args[] = {"--serve", index, endpoint, NULL};
    return bench_spawn(args, true);
}

/* One round for one transport: iterations timed round trips, appended to samples. */
static bool bench_latency_round(size_t transport, size_t iterations, uint64_t *samples) {
    char endpoint[128];
    int client_fd;
    bench_endpoint(transport, endpoint, sizeof endpoint, &client_fd);
    pid_t server = bench_start_server(transport, endpoint);
    const struct bench_transport *ops = bench_transports[transport];
    char client_endpoint[128];
    snprintf(client_endpoint, sizeof client_endpoint, "%s", endpoint);
    if (client_fd >= 0) {
        close(atoi(endpoint));
        snprintf(client_endpoint, sizeof client_endpoint, "%d", client_fd);
    }
    void *client = ops->connect(client_endpoint);
    uint8_t request[64];
    for (size_t i = 0; i < sizeof request; i++) request[i] = (uint8_t)(i * 3);
    bool ok = client != NULL;
    for (size_t i = 0; ok && i < iterations / 10; i++) ok = ops->roundtrip(client, request, 64);
    for (size_t i = 0; ok && i < iterations; i++) {
        uint64_t start_ns = bench_now_ns();
        ok = ops->roundtrip(client, request, sizeof request);
        samples[i] = bench_now_ns() - start_ns;
    }
    if (client != NULL) ops->stop(client);
    int status = bench_wait(server);
    return ok && status == 0;
}

static void bench_latency(size_t rounds, size_t iterations) {
    printf("== 64-byte request/reply round trip, two processes (%zu rounds x %zu, alternating)\n",
           rounds, iterations);
    uint64_t *samples[BENCH_TRANSPORT_COUNT];
    for (size_t t = 0; t < BENCH_TRANSPORT_COUNT; t++) {
        samples[t] = malloc(rounds * iterations * sizeof(uint64_t));
    }
    for (size_t round = 0; round < rounds; round++) {
        for (size_t t = 0; t < BENCH_TRANSPORT_COUNT; t++) {
            if (!bench_latency_round(t, iterations, samples[t] + round * iterations)) {
                fprintf(stderr, "cfmp_bench: %s failed\n", bench_transports[t]->name);
                exit(1);
            }
        }
    }
    double median_us[BENCH_TRANSPORT_COUNT];
    for (size_t t = 0; t < BENCH_TRANSPORT_COUNT; t++) {
        median_us[t] = (double)bench_percentile(samples[t], rounds * iterations, 0.5) / 1000.0;
    }
    /* The floor is the faster of the blocking and the spinning raw ping-pong (libcfmp spins). */
    double floor_us = median_us[0] < median_us[3] ? median_us[0] : median_us[3];
    const char *floor_name = median_us[0] < median_us[3] ? "blocking" : "spinning";
    for (size_t t = 0; t < BENCH_TRANSPORT_COUNT; t++) {
        double p99_us = (double)bench_percentile(samples[t], rounds * iterations, 0.99) / 1000.0;
        printf("  %-28s median %7.2f us   p99 %7.2f us   x%.2f of the floor\n", bench_transports[t]->name,
               median_us[t], p99_us, median_us[t] / floor_us);
        free(samples[t]);
    }
    printf("  (the floor: the faster raw ping-pong, here the %s one)\n", floor_name);
    const char *spin = getenv("CFMP_SPIN_US");
    printf("  (libcfmp's reply wait spins adaptively: CFMP_SPIN_US=%s; CFMP_SPIN_US=0 measures it "
           "always sleeping)\n",
           spin != NULL ? spin : "unset, the default window");
    printf("  target: libcfmp <= 1.15x floor: %s", median_us[1] <= 1.15 * floor_us ? "met" : "NOT met");
    for (size_t t = 4; t < BENCH_TRANSPORT_COUNT; t++) {
        printf("; faster than %s (x%.2f): %s", bench_transports[t]->name, median_us[t] / median_us[1],
               median_us[1] < median_us[t] ? "yes" : "NO");
    }
    printf("\n");
}

/* Runs in a child with CFMP_INLINE_MAX set: median round trip of size-byte echoes. */
static int bench_threshold_client(size_t size, int ready_fd) {
    (void)ready_fd;
    char endpoint[128];
    int client_fd;
    bench_endpoint(1, endpoint, sizeof endpoint, &client_fd);
    pid_t server = bench_start_server(1, endpoint);
    void *client = bench_cfmp_transport.connect(endpoint);
    uint8_t *request = calloc(1, size);
    enum { iterations = 2000 };
    static uint64_t samples[iterations];
    for (int i = 0; i < 200; i++) bench_cfmp_transport.roundtrip(client, request, size);
    for (int i = 0; i < iterations; i++) {
        uint64_t start_ns = bench_now_ns();
        bench_cfmp_transport.roundtrip(client, request, size);
        samples[i] = bench_now_ns() - start_ns;
    }
    bench_cfmp_transport.stop(client);
    bench_wait(server);
    free(request);
    printf("%.2f\n", (double)bench_percentile(samples, iterations, 0.5) / 1000.0);
    return 0;
}

static double bench_threshold_run(size_t size, const char *inline_max) {
    setenv("CFMP_INLINE_MAX", inline_max, 1);
    int out[2];
    if (pipe(out) != 0) abort();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        char size_text[32];
        snprintf(size_text, sizeof size_text, "%zu", size);
        execl("/proc/self/exe", "cfmp_bench", "--threshold-client", size_text, "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char text[64] = "";
    ssize_t got = read(out[0], text, sizeof text - 1);
    close(out[0]);
    bench_wait(pid);
    unsetenv("CFMP_INLINE_MAX");
    return got > 0 ? atof(text) : -1;
}

static void bench_threshold(void) {
    printf("== inline vs memfd payloads: median round trip (echo, both directions)\n");
    size_t sizes[] = {4096, 16384, 32768, 49152, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        double inline_us = bench_threshold_run(sizes[i], "65536");
        double memfd_us = bench_threshold_run(sizes[i], "1");
        printf("  %6zu bytes: inline %8.2f us   memfd %8.2f us   %s\n", sizes[i], inline_us,
               memfd_us, inline_us <= memfd_us ? "inline wins" : "memfd wins");
    }
}

static double bench_memcpy_mib_s(size_t size, int copies) {
    uint8_t *source = malloc(size);
    uint8_t *target = malloc(size);
    memset(source, 1, size);
    memset(target, 2, size);
    uint64_t start_ns = bench_now_ns();
    for (int i = 0; i < copies; i++) {
        source[i % size] = (uint8_t)i;
        memcpy(target, source, size);
    }
    uint64_t elapsed_ns = bench_now_ns() - start_ns;
    volatile uint8_t sink = target[size / 2];
    (void)sink;
    free(source);
    free(target);
    return (double)copies * ((double)size / (1024.0 * 1024.0)) / ((double)elapsed_ns / 1e9);
}

/* memcpy of 1 MiB blocks over a working set larger than the last-level cache. */
static double bench_memcpy_cold_mib_s(int copies) {
    size_t block = 1u << 20;
    size_t blocks = 128; /* 128 MiB each way */
    uint8_t *source = malloc(block * blocks);
    uint8_t *target = malloc(block * blocks);
    memset(source, 1, block * blocks);
    memset(target, 2, block * blocks);
    uint64_t start_ns = bench_now_ns();
    for (int i = 0; i < copies; i++) {
        size_t index = (size_t)i % blocks;
        memcpy(target + index * block, source + index * block, block);
    }
    uint64_t elapsed_ns = bench_now_ns() - start_ns;
    volatile uint8_t sink = target[block / 2];
    (void)sink;
    free(source);
    free(target);
    return (double)copies / ((double)elapsed_ns / 1e9);
}

static void bench_throughput(int messages) {
    size_t size = 1u << 20;
    printf("== 1 MiB one-way throughput (%d messages; the receiver reads a word per cache line)\n",
           messages);
    char endpoint[128];
    int client_fd;
    bench_endpoint(1, endpoint, sizeof endpoint, &client_fd);
    pid_t server = bench_start_server(1, endpoint);
    double cfmp_mib_s = bench_cfmp_throughput_mib_s(endpoint, messages, size);
    void *client = bench_cfmp_transport.connect(endpoint);
    bench_cfmp_transport.stop(client);
    bench_wait(server);
    double memcpy_mib_s = bench_memcpy_mib_s(size, messages * 4);
    double cold_mib_s = bench_memcpy_cold_mib_s(messages * 2);
    printf("  libcfmp %.0f MiB/s\n", cfmp_mib_s);
    printf("  memcpy 1 MiB, warm (source and target stay in cache): %.0f MiB/s -> libcfmp %.0f%%\n",
           memcpy_mib_s, 100.0 * cfmp_mib_s / memcpy_mib_s);
    printf("  memcpy 1 MiB, cold (128 MiB working set, past the LLC): %.0f MiB/s -> libcfmp %.0f%%\n",
           cold_mib_s, 100.0 * cfmp_mib_s / cold_mib_s);
    printf("  target >= 50%% of memcpy: %s against warm, %s against cold\n",
           cfmp_mib_s >= 0.5 * memcpy_mib_s ? "met" : "NOT met",
           cfmp_mib_s >= 0.5 * cold_mib_s ? "met" : "NOT met");
}

static void bench_many_clients(int clients, int requests) {
    printf("== %d concurrent client processes x %d requests (64-bit id:seq, echoed)\n", clients,
           requests);
    char endpoint[128];
    int client_fd;
    bench_endpoint(1, endpoint, sizeof endpoint, &client_fd);
    pid_t server = bench_start_server(1, endpoint);
    pid_t workers[256];
    uint64_t start_ns = bench_now_ns();
    for (int i = 0; i < clients; i++) {
        char id[16];
        char count[16];
        snprintf(id, sizeof id, "%d", i);
        snprintf(count, sizeof count, "%d", requests);
        const char *args[] = {"--worker", endpoint, id, count, NULL};
        workers[i] = bench_spawn(args, false);
    }
    int wrong = 0;
    for (int i = 0; i < clients; i++) wrong += bench_wait(workers[i]);
    double elapsed_s = (double)(bench_now_ns() - start_ns) / 1e9;
    long seen = 0;
    long misordered = 0;
    bool stats = bench_cfmp_server_stats(endpoint, &seen, &misordered);
    void *client = bench_cfmp_transport.connect(endpoint);
    bench_cfmp_transport.stop(client);
    bench_wait(server);
    long expected = (long)clients * requests;
    printf("  %.2f s, %.0f requests/s; server saw %ld of %ld, %ld out of order or duplicated; "
           "clients saw %d wrong or missing replies: %s\n",
           elapsed_s, (double)expected / elapsed_s, seen, expected, misordered, wrong,
           stats && seen == expected && misordered == 0 && wrong == 0 ? "OK" : "FAILED");
}

/* Profiling aid: cfmp_bench --latency-only TRANSPORT ITERATIONS 0 */
static int bench_latency_only(size_t transport, size_t iterations) {
    uint64_t *samples = malloc(iterations * sizeof *samples);
    if (transport >= BENCH_TRANSPORT_COUNT || !bench_latency_round(transport, iterations, samples)) {
        return 1;
    }
    printf("%s: median %.2f us\n", bench_transports[transport]->name,
           (double)bench_percentile(samples, iterations, 0.5) / 1000.0);
    free(samples);
    return 0;
}

static int bench_internal(int argc, char **argv) {
    if (strcmp(argv[1], "--latency-only") == 0 && argc == 4) {
        char dir[] = "/tmp/cfmp-bench-XXXXXX";
        if (mkdtemp(dir) == NULL) return 2;
        setenv("CFMP_RUNTIME_DIR", dir, 1);
        int status = bench_latency_only((size_t)atoi(argv[2]), (size_t)atol(argv[3]));
        rmdir(dir);
        return status;
    }
    if (strcmp(argv[1], "--serve") == 0 && argc == 5) {
        size_t transport = (size_t)atoi(argv[2]);
        if (transport >= BENCH_TRANSPORT_COUNT) return 64;
        return bench_transports[transport]->serve(argv[3], atoi(argv[4]));
    }
    if (strcmp(argv[1], "--worker") == 0 && argc == 6) {
        return bench_cfmp_worker(argv[2], atoi(argv[3]), atoi(argv[4]));
    }
    if (strcmp(argv[1], "--threshold-client") == 0 && argc == 4) {
        return bench_threshold_client((size_t)atol(argv[2]), atoi(argv[3]));
    }
    return 64;
}

int main(int argc, char **argv) {
    if (argc > 1 && strncmp(argv[1], "--", 2) == 0 && strcmp(argv[1], "--quick") != 0) {
        return bench_internal(argc, argv);
    }
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/cfmp-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) return 2;
    setenv("CFMP_RUNTIME_DIR", dir, 1);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("libcfmp benchmark (%ld CPUs online; medians; every figure measured in this run)\n", cpus);
    bench_latency(quick ? 2 : 5, quick ? 2000 : 10000);
    bench_threshold();
    bench_throughput(quick ? 200 : 1000);
    bench_many_clients(32, quick ? 1000 : 10000);
    char command[PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (system(command) != 0) return 2;
    return 0;
}
