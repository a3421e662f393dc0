/* cm_test_util.c — see cm_test_util.h. */
#include "cm_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *tb_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    tb_alloc_stats *s = ctx;
    s->calls++;
    if (new_size == 0) {
        s->live_bytes -= (int64_t)old_size;
        free(ptr);
        return NULL;
    }
    if (s->fail_after != 0 && s->calls >= s->fail_after) return NULL;
    void *p = realloc(ptr, new_size);
    if (p != NULL) s->live_bytes += (int64_t)new_size - (int64_t)old_size;
    return p;
}

void tb_init(tb *b)
{
    memset(b, 0, sizeof *b);
    cm_profile_init(&b->cfg.profile, CM_PROFILE_VENTURA);
    b->cfg.time_limit_ns = 3600 * SEC;
    b->cfg.trace_capacity = 200000;
}

void tb_fini(tb *b)
{
    cm_world_destroy(b->w);
    b->w = NULL;
    assert_int_equal(b->alloc.live_bytes, 0);
}

uint32_t tb_blob_bytes(tb *b, const void *bytes, uint32_t size)
{
    for (uint32_t i = 0; i < b->blob_count; i++) {
        if (b->blobs[i].size_bytes == size && memcmp(b->blob_text[i], bytes, size) == 0) return i;
    }
    assert_true(b->blob_count < TB_MAX_BLOBS && size < sizeof b->blob_text[0]);
    uint32_t i = b->blob_count++;
    memcpy(b->blob_text[i], bytes, size);
    b->blobs[i] = (cm_blob){.bytes = (const uint8_t *)b->blob_text[i], .size_bytes = size};
    return i;
}

uint32_t tb_blob(tb *b, const char *s)
{
    return tb_blob_bytes(b, s, (uint32_t)strlen(s));
}

cm_data tb_data(tb *b, const char *s)
{
    if (s == NULL) return CM_DATA_NULL;
    uint32_t blob = tb_blob(b, s);
    return (cm_data){.size_bytes = b->blobs[blob].size_bytes, .blob = blob};
}

uint16_t tb_mode(tb *b, const char *name)
{
    if (strcmp(name, "default") == 0) return CM_MODE_DEFAULT;
    if (strcmp(name, "common") == 0) return CM_MODE_COMMON;
    uint32_t blob = tb_blob(b, name);
    for (uint16_t m = 0; m < b->mode_count; m++) {
        if (b->modes[m] == blob) return (uint16_t)(m + 2);
    }
    b->modes[b->mode_count++] = blob;
    return (uint16_t)(b->mode_count + 1);
}

uint16_t tb_program(tb *b)
{
    assert_true(b->program_count < TB_MAX_PROGRAMS);
    uint16_t p = b->program_count++;
    b->programs[p] = (cm_program){.ops = b->ops[p], .count = 0, .name = CM_NONE32};
    return p;
}

cm_op *tb_op(tb *b, uint16_t program, uint8_t kind)
{
    cm_program *prog = &b->programs[program];
    assert_true(prog->count < TB_MAX_OPS);
    cm_op *op = &b->ops[program][prog->count++];
    *op = (cm_op){.kind = kind, .slot = 0, .mode = CM_MODE_NONE, .target = CM_NONE16,
                  .name = CM_NONE32, .data = CM_DATA_NULL};
    return op;
}

static uint32_t last(tb *b, uint16_t prog)
{
    return b->programs[prog].count - 1;
}

uint16_t tb_process(tb *b, const char *name, uint16_t program)
{
    assert_true(b->process_count < TB_MAX_PROCESSES);
    uint16_t p = b->process_count++;
    b->threads[p][0] = (cm_thread_config){.name = tb_blob(b, "main"), .program = program};
    b->processes[p] = (cm_process_config){
        .name = tb_blob(b, name), .thread_count = 1, .threads = b->threads[p],
        .queue_count = 0, .queues = b->queues[p], .slot_count = 8, .start_ns = 0,
        .sandbox_group = CM_NONE32};
    return p;
}

uint16_t tb_thread(tb *b, uint16_t process, const char *name, uint16_t program)
{
    cm_process_config *pc = &b->processes[process];
    assert_true(pc->thread_count < TB_MAX_THREADS);
    uint16_t t = pc->thread_count++;
    b->threads[process][t] = (cm_thread_config){.name = tb_blob(b, name), .program = program};
    return t;
}

uint16_t tb_queue(tb *b, uint16_t process, uint8_t kind, uint8_t width)
{
    cm_process_config *pc = &b->processes[process];
    assert_true(pc->queue_count < TB_MAX_QUEUES);
    uint16_t q = pc->queue_count++;
    b->queues[process][q] = (cm_queue_config){.name = tb_blob(b, "q"), .kind = kind,
                                              .width = width};
    return (uint16_t)(q + 1);
}

void tb_fault(tb *b, int64_t at_ns, uint8_t kind, uint16_t process)
{
    b->faults[b->fault_count++] = (cm_fault){.at_ns = at_ns, .kind = kind, .process = process};
}

void tb_service(tb *b, const char *name)
{
    b->services[b->service_count++] = tb_blob(b, name);
}

static void fill_config(tb *b, const cm_strategy *strategy, void *ctx)
{
    cm_world_config *c = &b->cfg;
    c->alloc = (cm_alloc){.realloc = tb_realloc, .ctx = &b->alloc};
    c->strategy = strategy;
    c->strategy_ctx = ctx;
    c->blobs = b->blobs;
    c->blob_count = b->blob_count;
    c->mode_names = b->modes;
    c->mode_count = b->mode_count;
    c->programs = b->programs;
    c->program_count = b->program_count;
    c->processes = b->processes;
    c->process_count = b->process_count;
    c->faults = b->faults;
    c->fault_count = b->fault_count;
    c->mach_services = b->services;
    c->mach_service_count = b->service_count;
}

void tb_make_fallible(tb *b)
{
    cm_rng_seed(&b->rng, 1);
    fill_config(b, &cm_strategy_random, &b->rng);
    b->w = NULL;
    if (cm_world_create(&b->cfg, &b->w) != CM_OK) b->w = NULL;
}

void tb_make(tb *b, const cm_strategy *strategy, void *ctx)
{
    fill_config(b, strategy, ctx);
    cm_world_config *c = &b->cfg;
    cm_config_error err;
    if (!cm_world_config_validate(c, &err)) fail_msg("config: %s", err.message);
    assert_int_equal(cm_world_create(c, &b->w), CM_OK);
    tb_validate(b->w, "after cm_world_create", 0);
}

/* Every core test checks the world's invariants, not only its trace. */
void tb_validate(const cm_world *w, const char *when, uint64_t step)
{
    assert_non_null(w);
    const char *broken = NULL;
    if (!cm_world_validate(w, &broken)) {
        fail_msg("cm_world_validate %s (step %llu, t=%lld ns, %llu events): %s", when,
                 (unsigned long long)step, (long long)cm_world_now_ns(w),
                 (unsigned long long)cm_world_event_count(w), broken ? broken : "?");
    }
    assert_null(broken);
}

/* As cm_world_run (a loop of steps), validating between steps; bounded by the
 * world's own end (every run here is finite: quiescence, a limit, a budget). */
cm_end_reason tb_world_run(cm_world *w)
{
    uint64_t step = 0;
    while (cm_world_step(w)) {
        step++;
        tb_validate(w, "after a step", step);
    }
    tb_validate(w, "at the end of the run", step);
    assert_true(cm_world_end_reason(w) != CM_END_NONE);
    return cm_world_end_reason(w);
}

void tb_run(tb *b)
{
    tb_make(b, &cm_strategy_fifo, NULL);
    tb_world_run(b->w);
    if (getenv("TB_DUMP") != NULL) tb_dump(b);
}

void tb_run_seed(tb *b, uint64_t seed)
{
    cm_rng_seed(&b->rng, seed);
    tb_make(b, &cm_strategy_random, &b->rng);
    tb_world_run(b->w);
    if (getenv("TB_DUMP") != NULL) tb_dump(b);
}

/* ---- operations -------------------------------------------------------- */

uint32_t tb_create_local(tb *b, uint16_t prog, uint16_t slot, const char *name, uint16_t handler)
{
    cm_op *op = tb_op(b, prog, CM_OP_CREATE_LOCAL);
    op->slot = slot;
    op->name = name ? tb_blob(b, name) : CM_NONE32;
    op->target = handler;
    return last(b, prog);
}

uint32_t tb_create_remote(tb *b, uint16_t prog, uint16_t slot, const char *name)
{
    cm_op *op = tb_op(b, prog, CM_OP_CREATE_REMOTE);
    op->slot = slot;
    op->name = name ? tb_blob(b, name) : CM_NONE32;
    return last(b, prog);
}

uint32_t tb_schedule(tb *b, uint16_t prog, uint16_t slot, uint16_t mode)
{
    cm_op *op = tb_op(b, prog, CM_OP_SCHEDULE);
    op->slot = slot;
    op->mode = mode;
    return last(b, prog);
}

uint32_t tb_run_mode(tb *b, uint16_t prog, uint16_t mode, int64_t duration_ns)
{
    cm_op *op = tb_op(b, prog, CM_OP_RUN_IN_MODE);
    op->mode = mode;
    op->t1_ns = duration_ns;
    return last(b, prog);
}

uint32_t tb_send(tb *b, uint16_t prog, uint16_t slot, int32_t msgid, const char *data,
                 int64_t send_timeout_ns, int64_t rcv_timeout_ns, uint16_t mode)
{
    cm_op *op = tb_op(b, prog, CM_OP_SEND);
    op->slot = slot;
    op->msgid = msgid;
    op->data = tb_data(b, data);
    op->t1_ns = send_timeout_ns;
    op->t2_ns = rcv_timeout_ns;
    op->mode = mode;
    return last(b, prog);
}

uint32_t tb_oneway(tb *b, uint16_t prog, uint16_t slot, int32_t msgid, const char *data,
                   int64_t send_timeout_ns)
{
    return tb_send(b, prog, slot, msgid, data, send_timeout_ns, 0, CM_MODE_NONE);
}

uint32_t tb_sleep(tb *b, uint16_t prog, int64_t duration_ns)
{
    cm_op *op = tb_op(b, prog, CM_OP_SLEEP);
    op->t1_ns = duration_ns;
    return last(b, prog);
}

uint32_t tb_reply(tb *b, uint16_t prog, const char *data)
{
    cm_op *op = tb_op(b, prog, CM_OP_REPLY);
    op->data = tb_data(b, data);
    return last(b, prog);
}

uint32_t tb_reply_echo(tb *b, uint16_t prog)
{
    cm_op *op = tb_op(b, prog, CM_OP_REPLY);
    op->flags = CM_OPF_REPLY_ECHO;
    return last(b, prog);
}

uint32_t tb_simple(tb *b, uint16_t prog, uint8_t kind, uint16_t slot)
{
    cm_op *op = tb_op(b, prog, kind);
    op->slot = slot;
    return last(b, prog);
}

uint16_t tb_echo_handler(tb *b, int64_t work_ns)
{
    uint16_t h = tb_program(b);
    if (work_ns > 0) tb_sleep(b, h, work_ns);
    tb_reply_echo(b, h);
    return h;
}

uint16_t tb_server(tb *b, const char *name, uint16_t handler, int64_t run_ns)
{
    uint16_t p = tb_program(b);
    tb_create_local(b, p, 0, name, handler);
    tb_schedule(b, p, 0, CM_MODE_DEFAULT);
    tb_run_mode(b, p, CM_MODE_DEFAULT, run_ns);
    return p;
}

uint32_t tb_set_callback(tb *b, uint16_t prog, uint16_t slot, uint16_t callback)
{
    cm_op *op = tb_op(b, prog, CM_OP_SET_INVALIDATION_CALLBACK);
    op->slot = slot;
    op->target = callback;
    return last(b, prog);
}

void tb_context(tb *b, uint16_t prog, uint32_t op, int64_t info, uint8_t flags)
{
    cm_op *o = &b->ops[prog][op];
    assert_true(o->kind == CM_OP_CREATE_LOCAL || o->kind == CM_OP_CREATE_LOCAL_PER_PID);
    o->value = info;
    o->flags = flags;
}

uint32_t tb_callbacks(tb *b, int32_t port)
{
    return tb_count(b, CM_EV_INVALIDATION_CALLBACK, port);
}

/* ---- queries ----------------------------------------------------------- */

const cm_event *tb_return(tb *b, uint16_t prog, uint32_t op, uint32_t nth)
{
    uint32_t n = 0;
    const cm_event *ev = cm_world_events(b->w, &n);
    for (uint32_t i = 0; i < n; i++) {
        if (ev[i].kind != CM_EV_RETURN || ev[i].program != prog || ev[i].op_index != op) continue;
        if (nth-- == 0) return &ev[i];
    }
    return NULL;
}

uint32_t tb_returns(tb *b, uint16_t prog, uint32_t op)
{
    uint32_t count = 0;
    while (tb_return(b, prog, op, count) != NULL) count++;
    return count;
}

const cm_event *tb_find(tb *b, uint16_t kind, int32_t port, uint32_t nth)
{
    int32_t i = tb_index(b, kind, port, nth);
    uint32_t n = 0;
    const cm_event *ev = cm_world_events(b->w, &n);
    return i < 0 ? NULL : &ev[i];
}

int32_t tb_index(tb *b, uint16_t kind, int32_t port, uint32_t nth)
{
    uint32_t n = 0;
    const cm_event *ev = cm_world_events(b->w, &n);
    for (uint32_t i = 0; i < n; i++) {
        if (ev[i].kind != kind || (port != CM_NO_PORT && ev[i].port != port)) continue;
        if (nth-- == 0) return (int32_t)i;
    }
    return -1;
}

int32_t tb_index_of(tb *b, const cm_event *ev)
{
    uint32_t n = 0;
    const cm_event *all = cm_world_events(b->w, &n);
    return ev == NULL ? -1 : (int32_t)(ev - all);
}

uint32_t tb_count(tb *b, uint16_t kind, int32_t port)
{
    uint32_t count = 0;
    while (tb_index(b, kind, port, count) >= 0) count++;
    return count;
}

void tb_dump(tb *b)
{
    uint32_t n = 0;
    const cm_event *ev = cm_world_events(b->w, &n);
    char line[512];
    for (uint32_t i = 0; i < n; i++) {
        cm_event_format(b->w, &ev[i], line, sizeof line);
        printf("  %s\n", line);
    }
}
