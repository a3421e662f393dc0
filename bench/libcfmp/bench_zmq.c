/*
 * bench_zmq.c — ZeroMQ REQ/REP over ipc:// (Debian libzmq3-dev), for comparison only.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static int zmq_bench_serve(const char *endpoint, int ready_fd) {
    void *context = zmq_ctx_new();
    void *socket = zmq_socket(context, ZMQ_REP);
    if (zmq_bind(socket, endpoint) != 0) return 1;
    if (write(ready_fd, "R", 1) != 1) return 1;
    uint8_t buffer[65536];
    for (;;) {
        int size = zmq_recv(socket, buffer, sizeof buffer, 0);
        if (size < 0) return 1;
        if (zmq_send(socket, buffer, (size_t)size, 0) != size) return 1;
        if (size == 4 && memcmp(buffer, "stop", 4) == 0) break;
    }
    usleep(100000);
    zmq_close(socket);
    zmq_ctx_destroy(context);
    return 0;
}

struct zmq_client {
    void *context;
    void *socket;
    uint8_t reply[65536];
};

static void *zmq_bench_connect(const char *endpoint) {
    struct zmq_client *client = malloc(sizeof *client);
    client->context = zmq_ctx_new();
    client->socket = zmq_socket(client->context, ZMQ_REQ);
    if (zmq_connect(client->socket, endpoint) != 0) return NULL;
    return client;
}

static bool zmq_bench_roundtrip(void *opaque, const uint8_t *request, size_t length) {
    struct zmq_client *client = opaque;
    if (zmq_send(client->socket, request, length, 0) != (int)length) return false;
    int size = zmq_recv(client->socket, client->reply, sizeof client->reply, 0);
    return size == (int)length && memcmp(client->reply, request, length) == 0;
}

static void zmq_bench_stop(void *opaque) {
    struct zmq_client *client = opaque;
    (void)zmq_bench_roundtrip(client, (const uint8_t *)"stop", 4);
    zmq_close(client->socket);
    zmq_ctx_destroy(client->context);
    free(client);
}

const struct bench_transport bench_zmq_transport = {"ZeroMQ REQ/REP ipc", zmq_bench_serve,
                                                    zmq_bench_connect, zmq_bench_roundtrip,
                                                    zmq_bench_stop};
