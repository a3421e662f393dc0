/*
 * bench.h — the libcfmp benchmark's transports behind one ops table. Each transport serves
 * in its own exec'd process (bench_serve) and is driven from the measuring process.
 */
#ifndef CFMP_BENCH_H
#define CFMP_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_transport {
    const char *name;
    /* Server process: serve endpoint, write one byte to ready_fd once listening, echo every
     * request until told to stop. Returns the exit status. */
    int (*serve)(const char *endpoint, int ready_fd);
    /* Measuring process. */
    void *(*connect)(const char *endpoint);
    bool (*roundtrip)(void *client, const uint8_t *request, size_t length);
    void (*stop)(void *client); /* tells the server to exit, then closes */
};

extern const struct bench_transport bench_raw_transport;
extern const struct bench_transport bench_cfmp_transport;
extern const struct bench_transport bench_raw_epoll_transport;
extern const struct bench_transport bench_raw_spin_transport;
#ifdef CFMP_BENCH_NNG
extern const struct bench_transport bench_nng_transport;
#endif
#ifdef CFMP_BENCH_ZMQ
extern const struct bench_transport bench_zmq_transport;
#endif

uint64_t bench_now_ns(void);

/* libcfmp-only measurements (bench_cfmp.c). */
double bench_cfmp_throughput_mib_s(const char *name, int messages, size_t size);
int bench_cfmp_worker(const char *name, int client_id, int requests);
bool bench_cfmp_server_stats(const char *name, long *requests, long *misordered);

#endif
