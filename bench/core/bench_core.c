/*
 * bench_core — how fast the core simulates: 16 processes (8 servers, 8
 * clients), 10^6 request/reply exchanges in all, hash-only trace.
 *
 * Prints events per second and exchanges per second, and, measured in the
 * same run, the cost of the trace hash alone over the same number of
 * events (the floor any simulator that records every event pays), as a
 * ratio. Target (issue 2): >= 10 million events per second on one core.
 * Also the cost of the model's invariant check (cm_world_validate) after
 * every step, as a ratio to the plain run: what the sampling in
 * sim/sim_model.c (builds with assertions) is chosen against.
 *
 *     bench_core [exchanges] [repeats]
 */
#include "cm.h"
#include "base_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAIRS 8

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct bench {
    cm_blob blobs[3 + 2 * PAIRS];
    char names[PAIRS][32];
    cm_op server_ops[PAIRS][3];
    cm_op echo[1];
    cm_op *client_ops[PAIRS];
    cm_program programs[1 + 2 * PAIRS];
    cm_thread_config threads[2 * PAIRS];
    cm_process_config processes[2 * PAIRS];
    cm_world_config cfg;
} bench;

static cm_op op(uint8_t kind)
{
    return (cm_op){.kind = kind, .mode = CM_MODE_NONE, .target = CM_NONE16,
                   .name = CM_NONE32, .data = CM_DATA_NULL};
}

static void build(bench *b, uint32_t per_client)
{
    static const char payload[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    memset(b, 0, sizeof *b);
    b->blobs[0] = (cm_blob){(const uint8_t *)payload, 64};
    b->blobs[1] = (cm_blob){(const uint8_t *)"main", 4};
    b->echo[0] = op(CM_OP_REPLY);
    b->echo[0].flags = CM_OPF_REPLY_ECHO;
    b->programs[0] = (cm_program){b->echo, 1, CM_NONE32};
    for (uint32_t i = 0; i < PAIRS; i++) {
        snprintf(b->names[i], sizeof b->names[i], "bench.svc.%u", i);
        uint32_t name = 2 + i;
        b->blobs[name] = (cm_blob){(const uint8_t *)b->names[i], (uint32_t)strlen(b->names[i])};
        cm_op *s = b->server_ops[i];
        s[0] = op(CM_OP_CREATE_LOCAL);
        s[0].name = name;
        s[0].target = 0;
        s[1] = op(CM_OP_SCHEDULE);
        s[1].mode = CM_MODE_DEFAULT;
        s[2] = op(CM_OP_RUN);
        b->programs[1 + i] = (cm_program){s, 3, CM_NONE32};
        cm_op *c = calloc(per_client + 2, sizeof *c);
        b->client_ops[i] = c;
        c[0] = op(CM_OP_SLEEP);
        c[0].t1_ns = 1000;
        c[1] = op(CM_OP_CREATE_REMOTE);
        c[1].name = name;
        for (uint32_t k = 0; k < per_client; k++) {
            cm_op *send = &c[2 + k];
            *send = op(CM_OP_SEND);
            send->msgid = (int32_t)k;
            send->data = (cm_data){.size_bytes = 64, .blob = 0};
            send->t1_ns = CM_NS_PER_S;
            send->t2_ns = CM_NS_PER_S;
            send->mode = CM_MODE_DEFAULT;
        }
        b->programs[1 + PAIRS + i] = (cm_program){c, per_client + 2, CM_NONE32};
    }
    for (uint32_t p = 0; p < 2 * PAIRS; p++) {
        b->threads[p] = (cm_thread_config){.name = 1, .program = (uint16_t)(1 + p)};
        b->processes[p] = (cm_process_config){.name = 1, .thread_count = 1,
                                              .threads = &b->threads[p], .slot_count = 1,
                                              .sandbox_group = CM_NONE32};
    }
    cm_world_config *cfg = &b->cfg;
    cfg->alloc = (cm_alloc){.realloc = base_libc_realloc};
    cfg->strategy = &cm_strategy_fifo;
    cm_profile_init(&cfg->profile, CM_PROFILE_VENTURA);
    cfg->blobs = b->blobs;
    cfg->blob_count = 2 + PAIRS;
    cfg->programs = b->programs;
    cfg->program_count = 1 + 2 * PAIRS;
    cfg->processes = b->processes;
    cfg->process_count = 2 * PAIRS;
    cfg->time_limit_ns = 0;
    cfg->trace_capacity = 0;
}

/* The same run with cm_world_validate after every step; best of `repeats`. Returns the
 * seconds, or a negative value when an invariant broke. */
static double validated_run_s(cm_world *w, int repeats, uint64_t *steps)
{
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        cm_world_reset(w, &cm_strategy_fifo, NULL);
        uint64_t n = 0;
        double t0 = now_s();
        while (cm_world_step(w)) {
            n++;
            if (!cm_world_validate(w, NULL)) return -1.0;
        }
        double dt = now_s() - t0;
        if (dt < best) best = dt;
        *steps = n;
    }
    return best;
}

/* The floor: folding as many events into the hash, nothing else. */
static double hash_floor_s(uint64_t events, uint64_t *sink)
{
    cm_event ev = {.kind = CM_EV_CALL, .process = 1, .thread = 0, .program = 3};
    uint64_t h = CM_TRACE_HASH_SEED;
    double t0 = now_s();
    for (uint64_t i = 0; i < events; i++) {
        ev.time_ns = (int64_t)i;
        ev.seq = (uint32_t)i;
        h = cm_trace_hash_event(h, &ev);
    }
    *sink ^= h;
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    uint32_t exchanges = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000u;
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (exchanges < PAIRS || repeats < 1) {
        fprintf(stderr, "usage: bench_core [exchanges >= %d] [repeats >= 1]\n", PAIRS);
        return 2;
    }
    bench *b = malloc(sizeof *b);
    build(b, exchanges / PAIRS);
    cm_world *w = NULL;
    if (cm_world_create(&b->cfg, &w) != CM_OK) {
        fprintf(stderr, "bench_core: cannot create the world\n");
        return 1;
    }
    double best = 1e30;
    uint64_t events = 0, hash = 0;
    for (int r = 0; r < repeats; r++) {
        cm_world_reset(w, &cm_strategy_fifo, NULL);
        double t0 = now_s();
        cm_world_run(w);
        double dt = now_s() - t0;
        if (dt < best) best = dt;
        events = cm_world_event_count(w);
        hash = cm_world_trace_hash(w);
    }
    uint64_t replies = 0;
    for (uint32_t p = 0; p < cm_world_port_count(w); p++) {
        cm_port_info info = cm_world_port_info(w, (int32_t)p);
        if (info.remote) replies += (uint64_t)info.conv_counter;
    }
    uint64_t sink = 0;
    double floor_s = hash_floor_s(events, &sink);
    double eps = (double)events / best;
    printf("bench_core: %u processes, %llu exchanges, %llu events, trace hash %016llx\n",
           2 * PAIRS, (unsigned long long)replies, (unsigned long long)events,
           (unsigned long long)hash);
    printf("  best of %d runs: %.3f s -> %.2f M events/s, %.2f M exchanges/s, %.1f ns/event\n",
           repeats, best, eps / 1e6, (double)replies / best / 1e6, best * 1e9 / (double)events);
    printf("  baseline (trace hash alone, same events): %.3f s -> model/floor = %.1fx\n",
           floor_s, best / floor_s);
    printf("  target >= 10 M events/s: %s (%.2fx of target)%s\n", eps >= 1e7 ? "met" : "NOT met",
           eps / 1e7, sink == 42 ? " " : "");
    uint64_t steps = 0;
    double validated_s = validated_run_s(w, repeats, &steps);
    if (validated_s < 0) {
        printf("  cm_world_validate: an invariant BROKE\n");
        return 1;
    }
    printf("  cm_world_validate after each of %llu steps: %.3f s -> %.1fx the plain run, "
           "%.0f ns per check\n",
           (unsigned long long)steps, validated_s, validated_s / best,
           (validated_s - best) * 1e9 / (double)(steps ? steps : 1));
    cm_world_destroy(w);
    for (uint32_t i = 0; i < PAIRS; i++) free(b->client_ops[i]);
    free(b);
    return replies == exchanges - exchanges % PAIRS ? 0 : 1;
}
