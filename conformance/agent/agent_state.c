/*
 * agent_state.c — the agent's tables: port variables, object ids,
 * contexts, programs, threads, queues, modes, blobs, and the invalidation
 * callback trampolines. Lookups take agent_g.lock briefly; nothing here
 * calls CF.
 */
#include "agent.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

agent_state agent_g;

bool agent_state_validate(void)
{
    const agent_state *g = &agent_g;
    if (g->lock == NULL || g->objects == NULL || g->next_object_id < 1 || g->next_exec < 1) return false;
    if (g->next_callout < 1) return false;
    if (g->thread_count > AGENT_MAX_THREADS || g->queue_count > AGENT_MAX_QUEUES) return false;
    if (g->mode_count > AGENT_MAX_MODES || g->program_count > AGENT_MAX_PROGRAMS) return false;
    if (g->callback_count > AGENT_MAX_CALLBACKS || g->var_count > AGENT_MAX_VARS) return false;
    if (g->object_count > AGENT_MAX_OBJECTS || g->blob_count > AGENT_MAX_BLOBS) return false;
    if (g->signal_count > AGENT_MAX_SIGNALS || g->blob_bytes > CM_LIMIT_SCENARIO_BYTES) return false;
    return g->started ? g->declared : true;
}

void agent_state_init(void)
{
    assert(agent_g.lock == NULL); /* once, before any thread */
    memset(&agent_g, 0, sizeof agent_g);
    agent_g.lock = agent_mutex_create();
    base_arena_init(&agent_g.arena, (size_t)256 << 20);
    agent_g.objects = calloc(AGENT_MAX_OBJECTS, sizeof *agent_g.objects);
    if (agent_g.objects == NULL) agent_exit(3);
    agent_g.next_object_id = 1;
    agent_g.next_exec = 1;
    agent_g.next_callout = 1;
    assert(agent_state_validate()); /* exit: empty tables */
}

agent_var *agent_var_get(const char *name)
{
    assert(name != NULL);
    assert(conf_name_valid(name)); /* conf_step_validate checked every port name */
    agent_var *found = NULL;
    agent_mutex_lock(agent_g.lock);
    for (uint32_t i = 0; i < agent_g.var_count && found == NULL; i++) {
        if (strcmp(agent_g.vars[i].name, name) == 0) found = &agent_g.vars[i];
    }
    if (found == NULL && agent_g.var_count < AGENT_MAX_VARS && strlen(name) <= CONF_NAME_MAX) {
        found = &agent_g.vars[agent_g.var_count++];
        strcpy(found->name, name);
    }
    assert(agent_g.var_count <= AGENT_MAX_VARS);
    agent_mutex_unlock(agent_g.lock);
    return found;
}

/* Called with the lock held. */
static agent_object *object_find(const void *pointer)
{
    for (uint32_t i = agent_g.object_count; i > 0; i--) {
        if (agent_g.objects[i - 1].pointer == pointer) return &agent_g.objects[i - 1];
    }
    return NULL;
}

int64_t agent_object_id(const void *pointer, bool *is_new)
{
    assert(agent_g.objects != NULL); /* agent_state_init */
    if (is_new != NULL) *is_new = false;
    if (pointer == NULL) return -1;
    agent_mutex_lock(agent_g.lock);
    agent_object *o = object_find(pointer);
    if (o == NULL && agent_g.object_count < AGENT_MAX_OBJECTS) {
        o = &agent_g.objects[agent_g.object_count++];
        o->pointer = pointer;
        o->id = agent_g.next_object_id++;
        if (is_new != NULL) *is_new = true;
    }
    int64_t id = o != NULL ? o->id : -1;
    assert(id == -1 || (id >= 1 && id < agent_g.next_object_id)); /* exit: ids are never reused */
    agent_mutex_unlock(agent_g.lock);
    return id;
}

void agent_object_forget(const void *pointer)
{
    assert(pointer != NULL);
    agent_mutex_lock(agent_g.lock);
    agent_object *o = object_find(pointer);
    assert(agent_g.object_count <= AGENT_MAX_OBJECTS);
    if (o != NULL) o->pointer = NULL; /* the id stays taken; the address is free */
    agent_mutex_unlock(agent_g.lock);
}

void agent_object_set_queue(const void *pointer, const char *queue_label)
{
    assert(pointer != NULL);
    assert(queue_label == NULL || strncmp(queue_label, "queue:", 6) == 0); /* agent_queue.label */
    (void)agent_object_id(pointer, NULL);
    agent_mutex_lock(agent_g.lock);
    agent_object *o = object_find(pointer);
    if (o != NULL) o->queue_label = queue_label;
    agent_mutex_unlock(agent_g.lock);
}

const char *agent_object_queue(const void *pointer)
{
    assert(agent_g.objects != NULL);
    agent_mutex_lock(agent_g.lock);
    agent_object *o = object_find(pointer);
    assert(o == NULL || o->id >= 1);
    const char *label = o != NULL ? o->queue_label : NULL;
    agent_mutex_unlock(agent_g.lock);
    return label;
}

void agent_object_set_ctx(const void *pointer, agent_ctx *ctx)
{
    assert(pointer != NULL && ctx != NULL);
    assert(ctx->port_id >= 1); /* set once the create returned a new port */
    agent_mutex_lock(agent_g.lock);
    agent_object *o = object_find(pointer);
    assert(o == NULL || o->id == ctx->port_id); /* the port's own object */
    if (o != NULL) o->ctx = ctx;
    agent_mutex_unlock(agent_g.lock);
}

agent_ctx *agent_object_ctx(const void *pointer)
{
    assert(agent_g.objects != NULL);
    if (pointer == NULL) return NULL;
    agent_mutex_lock(agent_g.lock);
    agent_object *o = object_find(pointer);
    agent_ctx *c = o != NULL ? o->ctx : NULL;
    assert(c == NULL || c->port_id == o->id); /* exit: the port's own record */
    agent_mutex_unlock(agent_g.lock);
    return c;
}

agent_ctx *agent_ctx_new(int64_t value, uint32_t handler)
{
    assert(value >= CM_LIMIT_INFO_MIN && value <= CM_LIMIT_INFO_MAX);
    agent_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) agent_exit(3);
    c->value = value;
    c->port_id = -1;
    c->handler = handler;
    agent_mutex_lock(agent_g.lock);
    assert(handler == AGENT_NONE || handler < agent_g.program_count);
    c->next = agent_g.contexts;
    agent_g.contexts = c;
    agent_mutex_unlock(agent_g.lock);
    return c;
}

uint32_t agent_program_find(const char *name)
{
    if (name == NULL) return AGENT_NONE;
    for (uint32_t i = 0; i < agent_g.program_count; i++) {
        if (strcmp(agent_g.programs[i].name, name) == 0) return i;
    }
    return AGENT_NONE;
}

agent_thread *agent_thread_find(const char *name)
{
    for (uint32_t i = 0; name != NULL && i < agent_g.thread_count; i++) {
        if (strcmp(agent_g.threads[i].name, name) == 0) return &agent_g.threads[i];
    }
    return NULL;
}

agent_queue *agent_queue_find(const char *name)
{
    for (uint32_t i = 0; name != NULL && i < agent_g.queue_count; i++) {
        if (strcmp(agent_g.queues[i].name, name) == 0) return &agent_g.queues[i];
    }
    return NULL;
}

CFStringRef agent_mode_string(const char *name)
{
    assert(agent_g.mode_count <= AGENT_MAX_MODES);
    if (name == NULL) return NULL;
    if (strcmp(name, "default") == 0) return kCFRunLoopDefaultMode;
    if (strcmp(name, "common") == 0) return kCFRunLoopCommonModes;
    for (uint32_t i = 0; i < agent_g.mode_count; i++) {
        assert(agent_g.modes[i].string != NULL); /* declare_modes made each */
        if (strcmp(agent_g.modes[i].name, name) == 0) return agent_g.modes[i].string;
    }
    return NULL;
}

/*
 * Appends a chunk to a blob. A blob is one data value, so at most
 * CM_LIMIT_VALUE_BYTES, and all blobs of a run at most
 * CM_LIMIT_SCENARIO_BYTES: the loader's limits (cm_limits.h), so a runner
 * cannot make an agent hold more than a scenario may say.
 */
bool agent_blob_append(uint32_t id, const uint8_t *bytes, size_t len)
{
    assert(bytes != NULL || len == 0);
    if (id >= AGENT_MAX_BLOBS) return false;
    agent_mutex_lock(agent_g.lock);
    agent_blob *b = &agent_g.blobs[id];
    bool ok = len <= CM_LIMIT_VALUE_BYTES && b->len + len <= CM_LIMIT_VALUE_BYTES &&
              agent_g.blob_bytes + len <= CM_LIMIT_SCENARIO_BYTES;
    uint8_t *grown = ok ? realloc(b->bytes, b->len + len + 1) : NULL;
    if (grown != NULL) {
        memcpy(grown + b->len, bytes, len);
        b->bytes = grown;
        b->len += len;
        agent_g.blob_bytes += len;
        if (id >= agent_g.blob_count) agent_g.blob_count = id + 1;
    }
    assert(agent_g.blob_bytes <= CM_LIMIT_SCENARIO_BYTES);
    assert(b->len <= CM_LIMIT_VALUE_BYTES && agent_g.blob_count <= AGENT_MAX_BLOBS);
    agent_mutex_unlock(agent_g.lock);
    return grown != NULL;
}

bool agent_blob_get(uint32_t id, const uint8_t **bytes, size_t *len)
{
    assert(bytes != NULL && len != NULL);
    agent_mutex_lock(agent_g.lock);
    assert(agent_g.blob_count <= AGENT_MAX_BLOBS);
    bool ok = id < agent_g.blob_count && agent_g.blobs[id].bytes != NULL;
    if (ok) {
        *bytes = agent_g.blobs[id].bytes;
        *len = agent_g.blobs[id].len;
    }
    agent_mutex_unlock(agent_g.lock);
    return ok;
}

/* ---- invalidation callback trampolines ---------------------------------------------------
 * CF stores a bare function pointer, and GetInvalidationCallBack must tell which scenario
 * callback is stored, so each callback program gets its own function. */

#define TRAMPOLINE(a, b)                                                               \
    static void icb_##a##b(CFMessagePortRef port, void *info)                          \
    {                                                                                  \
        agent_exec_invalidation((a) * 8u + (b), port, info);                           \
    }
#define T8(a) TRAMPOLINE(a, 0) TRAMPOLINE(a, 1) TRAMPOLINE(a, 2) TRAMPOLINE(a, 3)     \
    TRAMPOLINE(a, 4) TRAMPOLINE(a, 5) TRAMPOLINE(a, 6) TRAMPOLINE(a, 7)
T8(0) T8(1) T8(2) T8(3) T8(4) T8(5) T8(6) T8(7)
#define E8(a) icb_##a##0, icb_##a##1, icb_##a##2, icb_##a##3, icb_##a##4, icb_##a##5,     \
    icb_##a##6, icb_##a##7

static const CFMessagePortInvalidationCallBack trampolines[AGENT_MAX_CALLBACKS] = {
    E8(0), E8(1), E8(2), E8(3), E8(4), E8(5), E8(6), E8(7)};

CFMessagePortInvalidationCallBack agent_callback_function(uint32_t slot)
{
    return slot < AGENT_MAX_CALLBACKS ? trampolines[slot] : NULL;
}

uint32_t agent_callback_slot_of(CFMessagePortInvalidationCallBack fn)
{
    for (uint32_t i = 0; fn != NULL && i < AGENT_MAX_CALLBACKS; i++) {
        if (trampolines[i] == fn) return i;
    }
    return AGENT_NONE;
}

/* ---- signals ------------------------------------------------------------------------ */

/* The signal called name, made on first use. Called with the lock held. */
static agent_signal *signal_get(const char *name)
{
    assert(name != NULL && conf_signal_name_valid(name));
    for (uint32_t i = 0; i < agent_g.signal_count; i++) {
        if (strcmp(agent_g.signals[i].name, name) == 0) return &agent_g.signals[i];
    }
    if (agent_g.signal_count >= AGENT_MAX_SIGNALS) return NULL;
    agent_signal *sig = &agent_g.signals[agent_g.signal_count++];
    memset(sig, 0, sizeof *sig);
    size_t len = strlen(name);
    assert(len <= CONF_SIGNAL_NAME_MAX);
    memcpy(sig->name, name, len + 1);
    return sig;
}

/* A signal step is about to raise name: its slot exists (false when the table is full). */
bool agent_signal_reserve(const char *name)
{
    assert(name != NULL);
    agent_mutex_lock(agent_g.lock);
    agent_signal *sig = signal_get(name);
    assert(agent_g.signal_count <= AGENT_MAX_SIGNALS);
    agent_mutex_unlock(agent_g.lock);
    return sig != NULL;
}

/* A signal step ran here (its return line already written, so the runner relays it even
 * when a waiter of this process ends the process at once): its waiters here see it now. */
bool agent_signal_raise(const char *name)
{
    assert(name != NULL);
    agent_mutex_lock(agent_g.lock);
    agent_signal *sig = signal_get(name);
    assert(agent_g.signal_count <= AGENT_MAX_SIGNALS);
    if (sig != NULL && sig->local < UINT32_MAX) sig->local++;
    agent_mutex_broadcast(agent_g.lock);
    agent_mutex_unlock(agent_g.lock);
    return sig != NULL;
}

/* The runner says how often other processes raised it (a total: lines may repeat). */
bool agent_signal_set_remote(const char *name, uint32_t count)
{
    assert(name != NULL);
    agent_mutex_lock(agent_g.lock);
    agent_signal *sig = signal_get(name);
    assert(agent_g.signal_count <= AGENT_MAX_SIGNALS);
    if (sig != NULL && count > sig->remote) sig->remote = count;
    agent_mutex_broadcast(agent_g.lock);
    agent_mutex_unlock(agent_g.lock);
    return sig != NULL;
}

/* Blocks the calling scenario thread until the signal's total reaches count, or timeout. */
bool agent_signal_wait(const char *name, uint32_t count, int64_t timeout_ns)
{
    assert(name != NULL);
    assert(count >= 1 && timeout_ns >= 0);
    int64_t deadline_ns = timeout_ns >= INT64_MAX - agent_now_ns() ? INT64_MAX : agent_now_ns() + timeout_ns;
    bool reached = false;
    agent_mutex_lock(agent_g.lock);
    agent_signal *sig = signal_get(name);
    for (;;) { /* bounded by the deadline */
        if (sig == NULL) break;
        if ((uint64_t)sig->local + sig->remote >= count) {
            reached = true;
            break;
        }
        int64_t now_ns = agent_now_ns();
        if (now_ns >= deadline_ns) break;
        int64_t slice_ns = deadline_ns - now_ns;
        if (slice_ns > INT64_C(1000000000)) slice_ns = INT64_C(1000000000);
        agent_mutex_wait(agent_g.lock, slice_ns);
    }
    agent_mutex_unlock(agent_g.lock);
    return reached;
}
