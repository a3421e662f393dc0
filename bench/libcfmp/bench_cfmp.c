/*
 * bench_cfmp.c — libcfmp's side of the benchmark: the server (CFMessagePort on the main run
 * loop), the 64-byte round trip, 1 MiB one-way throughput, and the many-clients check.
 */
#include "bench.h"

#include <CoreFoundation/CoreFoundation.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_CLIENTS_MAX 256

static struct {
    long requests;
    long misordered;
    int32_t next_seq[BENCH_CLIENTS_MAX];
    uint64_t checksum;
} bench_server;

static CFDataRef bench_cfmp_callout(CFMessagePortRef local, SInt32 msgid, CFDataRef data,
                                    void *info) {
    (void)local;
    (void)info;
    switch (msgid) {
    case 2: { /* sink: read one word per cache line, so the data really reaches this CPU */
        const uint8_t *bytes = CFDataGetBytePtr(data);
        size_t length = (size_t)CFDataGetLength(data);
        uint64_t sum = 0;
        for (size_t i = 0; i + 8 <= length; i += 64) {
            uint64_t word;
            memcpy(&word, bytes + i, 8);
            sum += word;
        }
        bench_server.checksum += sum;
        return NULL;
    }
    case 4: { /* many clients: per-client sequence numbers must arrive in order, once */
        int32_t id_seq[2] = {0, 0};
        if (CFDataGetLength(data) >= 8) memcpy(id_seq, CFDataGetBytePtr(data), 8);
        bench_server.requests++;
        if (id_seq[0] < 0 || id_seq[0] >= BENCH_CLIENTS_MAX ||
            bench_server.next_seq[id_seq[0]] != id_seq[1]) {
            bench_server.misordered++;
        } else {
            bench_server.next_seq[id_seq[0]]++;
        }
        return CFDataCreateCopy(NULL, data);
    }
    case 5: {
        char text[64];
        snprintf(text, sizeof text, "%ld %ld", bench_server.requests, bench_server.misordered);
        return CFDataCreate(NULL, (const UInt8 *)text, (CFIndex)strlen(text));
    }
    case 99:
        CFRunLoopStop(CFRunLoopGetCurrent());
        return NULL;
    default:
        return CFDataCreateCopy(NULL, data);
    }
}

static int bench_cfmp_serve(const char *endpoint, int ready_fd) {
    CFStringRef name = CFStringCreateWithCString(NULL, endpoint, kCFStringEncodingUTF8);
    CFMessagePortRef port = CFMessagePortCreateLocal(NULL, name, bench_cfmp_callout, NULL, NULL);
    if (port == NULL) return 1;
    CFRunLoopSourceRef source = CFMessagePortCreateRunLoopSource(NULL, port, 0);
    CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode);
    if (write(ready_fd, "R", 1) != 1) return 1;
    CFRunLoopRun();
    CFMessagePortInvalidate(port);
    CFRelease(source);
    CFRelease(port);
    CFRelease(name);
    return 0;
}

static void *bench_cfmp_connect(const char *endpoint) {
    CFStringRef name = CFStringCreateWithCString(NULL, endpoint, kCFStringEncodingUTF8);
    CFMessagePortRef remote = CFMessagePortCreateRemote(NULL, name);
    CFRelease(name);
    return remote;
}

static bool bench_cfmp_roundtrip(void *client, const uint8_t *request, size_t length) {
    CFDataRef data = CFDataCreateWithBytesNoCopy(NULL, request, (CFIndex)length, kCFAllocatorNull);
    CFDataRef reply = NULL;
    SInt32 status = CFMessagePortSendRequest(client, 1, data, 5, 5, kCFRunLoopDefaultMode, &reply);
    bool ok = status == 0 && reply != NULL && (size_t)CFDataGetLength(reply) == length &&
              memcmp(CFDataGetBytePtr(reply), request, length) == 0;
    if (reply != NULL) CFRelease(reply);
    CFRelease(data);
    return ok;
}

static void bench_cfmp_stop(void *client) {
    CFMessagePortSendRequest(client, 99, NULL, 5, 0, NULL, NULL);
    CFMessagePortInvalidate(client);
    CFRelease(client);
}

const struct bench_transport bench_cfmp_transport = {"libcfmp CFMessagePort", bench_cfmp_serve,
                                                     bench_cfmp_connect, bench_cfmp_roundtrip,
                                                     bench_cfmp_stop};

double bench_cfmp_throughput_mib_s(const char *endpoint, int messages, size_t size) {
    CFMessagePortRef remote = bench_cfmp_connect(endpoint);
    if (remote == NULL) return -1;
    uint8_t *bytes = malloc(size);
    for (size_t i = 0; i < size; i++) bytes[i] = (uint8_t)i;
    CFDataRef data = CFDataCreate(NULL, bytes, (CFIndex)size);
    free(bytes);
    uint8_t ping = 1;
    for (int i = 0; i < 10; i++) CFMessagePortSendRequest(remote, 2, data, 60, 0, NULL, NULL);
    bench_cfmp_roundtrip(remote, &ping, 1);
    uint64_t start_ns = bench_now_ns();
    int sent = 0;
    for (int i = 0; i < messages; i++) {
        sent += CFMessagePortSendRequest(remote, 2, data, 60, 0, NULL, NULL) == 0;
    }
    bool synced = bench_cfmp_roundtrip(remote, &ping, 1); /* FIFO: all sinks have run */
    uint64_t elapsed_ns = bench_now_ns() - start_ns;
    CFRelease(data);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    if (sent != messages || !synced) return -1;
    return (double)messages * ((double)size / (1024.0 * 1024.0)) / ((double)elapsed_ns / 1e9);
}

int bench_cfmp_worker(const char *endpoint, int client_id, int requests) {
    CFMessagePortRef remote = bench_cfmp_connect(endpoint);
    if (remote == NULL) return 100;
    int wrong = 0;
    for (int32_t seq = 0; seq < requests; seq++) {
        int32_t id_seq[2] = {client_id, seq};
        CFDataRef data = CFDataCreate(NULL, (const UInt8 *)id_seq, sizeof id_seq);
        CFDataRef reply = NULL;
        SInt32 status = CFMessagePortSendRequest(remote, 4, data, 30, 30, kCFRunLoopDefaultMode,
                                                 &reply);
        if (status != 0 || reply == NULL || CFDataGetLength(reply) != 8 ||
            memcmp(CFDataGetBytePtr(reply), id_seq, 8) != 0) {
            wrong++;
        }
        if (reply != NULL) CFRelease(reply);
        CFRelease(data);
    }
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    return wrong > 99 ? 99 : wrong;
}

bool bench_cfmp_server_stats(const char *endpoint, long *requests, long *misordered) {
    CFMessagePortRef remote = bench_cfmp_connect(endpoint);
    if (remote == NULL) return false;
    CFDataRef reply = NULL;
    SInt32 status = CFMessagePortSendRequest(remote, 5, NULL, 5, 5, kCFRunLoopDefaultMode, &reply);
    bool ok = status == 0 && reply != NULL;
    if (ok) {
        char text[64] = "";
        CFIndex length = CFDataGetLength(reply) < 63 ? CFDataGetLength(reply) : 63;
        memcpy(text, CFDataGetBytePtr(reply), (size_t)length);
        ok = sscanf(text, "%ld %ld", requests, misordered) == 2;
    }
    if (reply != NULL) CFRelease(reply);
    CFMessagePortInvalidate(remote);
    CFRelease(remote);
    return ok;
}
