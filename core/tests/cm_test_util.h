/*
 * cm_test_util.h — a small builder for core tests: programs, processes,
 * a counting allocator, running a world, and finding events.
 *
 *     tb b; tb_init(&b);
 *     uint16_t echo = tb_program(&b);
 *     tb_reply_echo(&b, echo);
 *     uint16_t srv = tb_program(&b);
 *     tb_create_local(&b, srv, 0, "svc", echo);
 *     ...
 *     tb_process(&b, "server", srv);
 *     tb_run(&b);
 *     const cm_event *r = tb_return(&b, cli, 2, 0);   // 1st return of op 2
 *     tb_fini(&b);
 */
#ifndef CM_TEST_UTIL_H
#define CM_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "cm.h"

#define TB_MAX_BLOBS 64
#define TB_MAX_PROGRAMS 32
#define TB_MAX_OPS 48
#define TB_MAX_PROCESSES 8
#define TB_MAX_THREADS 6
#define TB_MAX_QUEUES 4

#define MS (INT64_C(1000000))
#define US (INT64_C(1000))
#define SEC (INT64_C(1000000000))

typedef struct tb_alloc_stats {
    int64_t live_bytes;
    uint64_t calls;
    uint64_t fail_after; /* 0: never fail */
} tb_alloc_stats;

typedef struct tb {
    char blob_text[TB_MAX_BLOBS][160];
    cm_blob blobs[TB_MAX_BLOBS];
    uint32_t blob_count;
    cm_op ops[TB_MAX_PROGRAMS][TB_MAX_OPS];
    cm_program programs[TB_MAX_PROGRAMS];
    uint16_t program_count;
    cm_thread_config threads[TB_MAX_PROCESSES][TB_MAX_THREADS];
    cm_queue_config queues[TB_MAX_PROCESSES][TB_MAX_QUEUES];
    cm_process_config processes[TB_MAX_PROCESSES];
    uint16_t process_count;
    uint32_t modes[8];
    uint16_t mode_count;
    cm_fault faults[8];
    uint16_t fault_count;
    uint32_t services[4];
    uint16_t service_count;
    cm_world_config cfg;
    tb_alloc_stats alloc;
    cm_rng rng;
    cm_world *w;
} tb;

void tb_init(tb *b);
/* Destroys the world and checks every allocated byte came back. */
void tb_fini(tb *b);
uint32_t tb_blob(tb *b, const char *s);
uint32_t tb_blob_bytes(tb *b, const void *bytes, uint32_t size);
cm_data tb_data(tb *b, const char *s);
uint16_t tb_mode(tb *b, const char *name);
uint16_t tb_program(tb *b);
cm_op *tb_op(tb *b, uint16_t program, uint8_t kind);
/* A process whose main thread runs `program`; returns its index. */
uint16_t tb_process(tb *b, const char *name, uint16_t program);
uint16_t tb_thread(tb *b, uint16_t process, const char *name, uint16_t program);
uint16_t tb_queue(tb *b, uint16_t process, uint8_t kind, uint8_t width);
void tb_fault(tb *b, int64_t at_ns, uint8_t kind, uint16_t process);
void tb_service(tb *b, const char *name);
/* Fails the test unless cm_world_validate holds; `when` says at which point. */
void tb_validate(const cm_world *w, const char *when, uint64_t step);
/* cm_world_run, one step at a time, with cm_world_validate after every step. */
cm_end_reason tb_world_run(cm_world *w);
/* Makes the world (fifo) and runs it to the end (validated after every step). */
void tb_run(tb *b);
void tb_run_seed(tb *b, uint64_t seed);
void tb_make(tb *b, const cm_strategy *strategy, void *ctx);
/* As tb_make (random strategy, seed 1), but creation may fail: b->w is NULL then. */
void tb_make_fallible(tb *b);

/* Operations, appended to a program; each returns the op index. */
uint32_t tb_create_local(tb *b, uint16_t prog, uint16_t slot, const char *name, uint16_t handler);
uint32_t tb_create_remote(tb *b, uint16_t prog, uint16_t slot, const char *name);
uint32_t tb_schedule(tb *b, uint16_t prog, uint16_t slot, uint16_t mode);
uint32_t tb_run_mode(tb *b, uint16_t prog, uint16_t mode, int64_t duration_ns);
uint32_t tb_send(tb *b, uint16_t prog, uint16_t slot, int32_t msgid, const char *data,
                 int64_t send_timeout_ns, int64_t rcv_timeout_ns, uint16_t mode);
uint32_t tb_oneway(tb *b, uint16_t prog, uint16_t slot, int32_t msgid, const char *data,
                   int64_t send_timeout_ns);
uint32_t tb_sleep(tb *b, uint16_t prog, int64_t duration_ns);
uint32_t tb_reply(tb *b, uint16_t prog, const char *data);
uint32_t tb_reply_echo(tb *b, uint16_t prog);
uint32_t tb_simple(tb *b, uint16_t prog, uint8_t kind, uint16_t slot);
/* SetInvalidationCallBack(slot, callback program, or CM_NONE16 for NULL). */
uint32_t tb_set_callback(tb *b, uint16_t prog, uint16_t slot, uint16_t callback);
/* The context of the create_local at op: info and CM_OPF_CTX_* flags. */
void tb_context(tb *b, uint16_t prog, uint32_t op, int64_t info, uint8_t flags);
/* Number of invalidation callbacks that ran for port. */
uint32_t tb_callbacks(tb *b, int32_t port);

/* Fixtures. */
/* A handler that works work_ns (if > 0), then echoes the request. */
uint16_t tb_echo_handler(tb *b, int64_t work_ns);
/* A server program: create_local(slot 0, name, handler), schedule it in the
 * default mode, run the default mode for run_ns. */
uint16_t tb_server(tb *b, const char *name, uint16_t handler, int64_t run_ns);

/* Queries over the kept trace. */
const cm_event *tb_return(tb *b, uint16_t prog, uint32_t op, uint32_t nth);
uint32_t tb_returns(tb *b, uint16_t prog, uint32_t op);
uint32_t tb_count(tb *b, uint16_t kind, int32_t port);
const cm_event *tb_find(tb *b, uint16_t kind, int32_t port, uint32_t nth);
/* Index of the first event of kind (and port unless CM_NO_PORT), or -1. */
int32_t tb_index(tb *b, uint16_t kind, int32_t port, uint32_t nth);
int32_t tb_index_of(tb *b, const cm_event *ev);
/* Prints the trace (for debugging a failing test). */
void tb_dump(tb *b);

#endif /* CM_TEST_UTIL_H */
