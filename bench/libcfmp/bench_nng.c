/*
 * bench_nng.c — nng REQ/REP over ipc:// (Debian libnng-dev), for comparison only.
 */
#include "bench.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nng_bench_serve(const char *endpoint, int ready_fd) {
    nng_socket socket;
    if (nng_rep0_open(&socket) != 0 || nng_listen(socket, endpoint, NULL, 0) != 0) return 1;
    if (write(ready_fd, "R", 1) != 1) return 1;
    for (;;) {
        void *buffer = NULL;
        size_t size = 0;
        if (nng_recv(socket, &buffer, &size, NNG_FLAG_ALLOC) != 0) return 1;
        bool stop = size == 4 && memcmp(buffer, "stop", 4) == 0;
        if (nng_send(socket, buffer, size, NNG_FLAG_ALLOC) != 0) return 1;
        if (stop) break;
    }
    usleep(100000);
    nng_close(socket);
    return 0;
}

struct nng_client {
    nng_socket socket;
};

static void *nng_bench_connect(const char *endpoint) {
    struct nng_client *client = malloc(sizeof *client);
    if (nng_req0_open(&client->socket) != 0 || nng_dial(client->socket, endpoint, NULL, 0) != 0) {
        free(client);
        return NULL;
    }
    return client;
}

static bool nng_bench_roundtrip(void *opaque, const uint8_t *request, size_t length) {
    struct nng_client *client = opaque;
    if (nng_send(client->socket, (void *)request, length, 0) != 0) return false;
    void *reply = NULL;
    size_t size = 0;
    if (nng_recv(client->socket, &reply, &size, NNG_FLAG_ALLOC) != 0) return false;
    bool ok = size == length && memcmp(reply, request, length) == 0;
    nng_free(reply, size);
    return ok;
}

static void nng_bench_stop(void *opaque) {
    struct nng_client *client = opaque;
    (void)nng_bench_roundtrip(client, (const uint8_t *)"stop", 4);
    nng_close(client->socket);
    free(client);
}

const struct bench_transport bench_nng_transport = {"nng REQ/REP ipc", nng_bench_serve,
                                                    nng_bench_connect, nng_bench_roundtrip,
                                                    nng_bench_stop};
