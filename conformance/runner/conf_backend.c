/*
 * conf_backend.c — the backends (one const ops table each, found by name),
 * what an agent says about itself in its hello, the capabilities a
 * scenario needs, and the runner's options.
 *
 * Agent executables are found in $PORTSIM_AGENT_DIR when that is set, then
 * where `cmake --install` put them beside this portsim (PREFIX/libexec/portsim
 * for PREFIX/bin/portsim), then in the build (paths compiled in by CMake).
 */
#define _POSIX_C_SOURCE 200809L
#include "conf_runner.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- finding agents --------------------------------------------------------------------- */

#ifndef CONF_BIN_TO_LIBEXEC
#define CONF_BIN_TO_LIBEXEC "../libexec/portsim"
#endif

bool conf_installed_path(const char *rel, const char *file, char *path, size_t cap)
{
    assert(rel != NULL && file != NULL);
    assert(path != NULL && cap > 0);
    char dir[4096];
    if (!conf_self_dir(dir, sizeof dir)) return false;
    int n = snprintf(path, cap, "%s/%s%s%s", dir, rel, file[0] ? "/" : "", file);
    return n > 0 && (size_t)n < cap && access(path, F_OK) == 0;
}

static bool find_agent(const char *file, const char *built, char *path, size_t cap, char *why,
                       size_t why_cap)
{
    assert(file != NULL && file[0] != '\0');
    assert(path != NULL && cap > 0);
    assert(why != NULL && why_cap > 0);
    const char *dir = getenv("PORTSIM_AGENT_DIR");
    if (dir != NULL && dir[0] != '\0') {
        snprintf(path, cap, "%s/%s", dir, file);
        if (access(path, X_OK) == 0) return true;
    }
    if (conf_installed_path(CONF_BIN_TO_LIBEXEC, file, path, cap) && access(path, X_OK) == 0) return true;
    if (built != NULL && built[0] != '\0' && access(built, X_OK) == 0) {
        snprintf(path, cap, "%s", built);
        return true;
    }
    snprintf(why, why_cap, "%s was not built (looked in $PORTSIM_AGENT_DIR, %s beside portsim, and %s)", file,
             CONF_BIN_TO_LIBEXEC, built != NULL && built[0] ? built : "this build");
    return false;
}

#ifndef CONF_AGENT_MODEL_PATH
#define CONF_AGENT_MODEL_PATH ""
#endif
#ifndef CONF_AGENT_POSIX_PATH
#define CONF_AGENT_POSIX_PATH ""
#endif
#ifndef CONF_AGENT_APPLE_PATH
#define CONF_AGENT_APPLE_PATH ""
#endif

static bool model_path(char *path, size_t cap, char *why, size_t why_cap)
{
    return find_agent("portsim_agent_model", CONF_AGENT_MODEL_PATH, path, cap, why, why_cap);
}

static bool posix_path(char *path, size_t cap, char *why, size_t why_cap)
{
    return find_agent("portsim_agent_posix", CONF_AGENT_POSIX_PATH, path, cap, why, why_cap);
}

static bool apple_path(char *path, size_t cap, char *why, size_t why_cap)
{
    if (!find_agent("portsim_agent_apple", CONF_AGENT_APPLE_PATH, path, cap, why, why_cap)) {
        snprintf(why, why_cap, "the apple agent is built only on macOS (CMake option "
                               "PORTSIM_AGENT_APPLE); see docs/agent-protocol.md");
        return false;
    }
    return true;
}

static const conf_backend_ops backend_model = {
    .name = "model",
    .about = "the core model behind the protocol (a world agent, virtual time)",
    .agent_path = model_path,
    .runtime_env = NULL,
};

static const conf_backend_ops backend_posix = {
    .name = "posix",
    .about = "libcfmp, CFMessagePort on Linux (Unix-domain sockets)",
    .agent_path = posix_path,
    .runtime_env = "CFMP_RUNTIME_DIR",
};

static const conf_backend_ops backend_apple = {
    .name = "apple",
    .about = "CoreFoundation on macOS",
    .agent_path = apple_path,
    .runtime_env = NULL,
};

const conf_backend_ops conf_backend_agent = {
    .name = "agent",
    .about = "an external agent (--agent PATH)",
    .agent_path = NULL,
    .runtime_env = "PORTSIM_RUN_DIR",
};

static const conf_backend_ops *const backends[] = {&backend_model, &backend_posix, &backend_apple,
                                                   &conf_backend_agent};

const conf_backend_ops *conf_backend_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof backends / sizeof backends[0]; i++) {
        if (strcmp(backends[i]->name, name) == 0 && backends[i] != &conf_backend_agent) return backends[i];
    }
    return NULL;
}

/* ---- hello ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t flag;
} caps[] = {
    {CONF_CAP_DISPATCH_QUEUES, CONF_CAPF_DISPATCH_QUEUES},
    {CONF_CAP_CONCURRENT_QUEUES, CONF_CAPF_CONCURRENT_QUEUES},
    {CONF_CAP_TIMERS, CONF_CAPF_TIMERS},
    {CONF_CAP_PER_PID, CONF_CAPF_PER_PID},
    {CONF_CAP_MALFORMED_SEND, CONF_CAPF_MALFORMED_SEND},
    {CONF_CAP_COPY_DESCRIPTION, CONF_CAPF_COPY_DESCRIPTION},
    {CONF_CAP_MACH_SERVICES, CONF_CAPF_MACH_SERVICES},
    {CONF_CAP_SANDBOX, CONF_CAPF_SANDBOX},
};

const char *conf_cap_name(uint32_t cap_flag)
{
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        if (caps[i].flag == cap_flag) return caps[i].name;
    }
    return "?";
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
    for (char *p = dst; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) *p = '?';
    }
}

bool conf_agent_info_read(const conf_msg *hello, conf_agent_info *info, char *err, size_t cap)
{
    assert(hello != NULL && info != NULL);
    assert(err != NULL && cap > 0);
    memset(info, 0, sizeof *info);
    if (hello->type != CONF_MSG_HELLO) return snprintf(err, cap, "the first line was not hello"), false;
    int64_t version = conf_msg_int(hello, "protocol", 0);
    if (version != CONF_PROTO_VERSION) {
        snprintf(err, cap, "the agent speaks protocol %lld; this runner speaks %d", (long long)version,
                 CONF_PROTO_VERSION);
        return false;
    }
    const conf_jdoc *doc = &hello->doc;
    uint32_t impl = conf_msg_get(hello, "implementation");
    copy_text(info->implementation, sizeof info->implementation,
              conf_json_str(doc, conf_json_get(doc, impl, "name")));
    copy_text(info->version, sizeof info->version, conf_json_str(doc, conf_json_get(doc, impl, "version")));
    copy_text(info->backend, sizeof info->backend, conf_msg_str(hello, "backend"));
    if (info->implementation[0] == '\0') return snprintf(err, cap, "hello: no implementation name"), false;
    const char *clock = conf_msg_str(hello, "clock");
    info->clock = strcmp(clock, "host_monotonic") == 0 ? CONF_CLOCK_HOST
                  : strcmp(clock, "local") == 0        ? CONF_CLOCK_LOCAL
                  : strcmp(clock, "virtual") == 0      ? CONF_CLOCK_VIRTUAL
                                                       : 0;
    if (info->clock == 0) return snprintf(err, cap, "hello: unknown clock"), false;
    info->world = conf_msg_bool(hello, "world", false);
    if (info->world != (info->clock == CONF_CLOCK_VIRTUAL)) {
        return snprintf(err, cap, "hello: a world agent uses the virtual clock, others a real one"), false;
    }
    const conf_jnode *arr = conf_json_node(doc, conf_msg_get(hello, "capabilities"));
    for (uint32_t v = arr->first; v != CONF_JSON_NONE; v = conf_json_node(doc, v)->next) {
        const char *name = conf_json_str(doc, v);
        for (size_t i = 0; name != NULL && i < sizeof caps / sizeof caps[0]; i++) {
            if (strcmp(caps[i].name, name) == 0) info->caps |= caps[i].flag;
        }
    }
    arr = conf_json_node(doc, conf_msg_get(hello, "events"));
    for (uint32_t v = arr->first; v != CONF_JSON_NONE; v = conf_json_node(doc, v)->next) {
        uint8_t kind = sim_event_kind_by_name(conf_json_str(doc, v) ? conf_json_str(doc, v) : "");
        if (kind != SIM_EV_NONE) info->events |= UINT64_C(1) << kind;
    }
    /* The runner itself sees processes start, crash and exit. */
    info->events |= UINT64_C(1) << SIM_EV_START | UINT64_C(1) << SIM_EV_CRASH | UINT64_C(1) << SIM_EV_EXIT;
    assert(conf_agent_info_validate(info)); /* exit: the clock and world checks above */
    return true;
}

uint32_t conf_scenario_needs(const sim_scenario *sc)
{
    assert(sc != NULL);
    assert(sc->step_count == 0 || sc->steps != NULL);
    assert(sc->process_count == 0 || sc->processes != NULL);
    uint32_t needs = 0;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        const sim_step *s = &sc->steps[i];
        switch (s->op) {
        case CM_OP_CREATE_LOCAL_PER_PID:
        case CM_OP_CREATE_REMOTE_PER_PID: needs |= CONF_CAPF_PER_PID; break;
        case CM_OP_ADD_TIMER: needs |= CONF_CAPF_TIMERS; break;
        case CM_OP_COPY_DESCRIPTION: needs |= CONF_CAPF_COPY_DESCRIPTION; break;
        case CM_OP_SET_DISPATCH_QUEUE:
        case CM_OP_ASYNC: needs |= CONF_CAPF_DISPATCH_QUEUES; break;
        case CM_OP_SEND:
            if (s->flags & CM_OPF_MALFORMED) needs |= CONF_CAPF_MALFORMED_SEND;
            break;
        default: break;
        }
    }
    for (uint32_t p = 0; p < sc->process_count; p++) {
        const sim_process *proc = &sc->processes[p];
        if (proc->has_sandbox_group) needs |= CONF_CAPF_SANDBOX;
        for (uint32_t q = 0; q < proc->queue_count; q++) {
            needs |= CONF_CAPF_DISPATCH_QUEUES;
            if (proc->queues[q].kind == CM_QUEUE_CONCURRENT) needs |= CONF_CAPF_CONCURRENT_QUEUES;
        }
    }
    if (sc->service_count > 0) needs |= CONF_CAPF_MACH_SERVICES;
    assert((needs & ~(uint32_t)0xffu) == 0); /* exit: only CONF_CAPF_* bits */
    return needs;
}

/* ---- options ------------------------------------------------------------------------------------- */

void conf_options_default(conf_options *o)
{
    assert(o != NULL);
    memset(o, 0, sizeof *o);
    o->time_scale = 1.0;
    o->tol_abs_ns = 15 * CM_NS_PER_MS;
    o->tol_rel = 0.15;
    o->repeat = 1;
    o->explore = 64;
    o->max_latency_ns = 2 * CM_NS_PER_MS;
    o->seed = 1;
    o->max_duration_ns = 60 * CM_NS_PER_S;
    o->handshake_ns = 10 * CM_NS_PER_S;
    o->timeout_multiplier = 1.0;
    /* exit: valid once the caller picks a backend */
    assert(o->time_scale > 0 && o->repeat > 0 && o->timeout_multiplier > 0);
}

int64_t conf_tolerance_ns(const conf_options *o, int64_t duration_ns)
{
    assert(o != NULL);
    assert(o->tol_rel >= 0 && o->tol_abs_ns >= 0);
    if (duration_ns == CM_DURATION_FOREVER || duration_ns < 0) duration_ns = 0;
    double rel = o->tol_rel * (double)duration_ns;
    double abs = (double)o->tol_abs_ns / (o->time_scale > 0 ? o->time_scale : 1.0);
    return (int64_t)(rel > abs ? rel : abs);
}

bool conf_options_validate(const conf_options *o)
{
    if (o == NULL || o->backend == NULL) return false;
    if (!(o->time_scale > 0) || o->repeat == 0 || !(o->timeout_multiplier > 0)) return false;
    if (o->tol_abs_ns < 0 || o->tol_rel < 0 || o->max_latency_ns < 0) return false;
    if (o->max_duration_ns <= 0 || o->handshake_ns <= 0) return false;
    return o->backend != &conf_backend_agent || o->agent_path[0] != '\0';
}

bool conf_agent_info_validate(const conf_agent_info *info)
{
    if (info == NULL || info->clock < CONF_CLOCK_HOST || info->clock > CONF_CLOCK_VIRTUAL) return false;
    return info->world == (info->clock == CONF_CLOCK_VIRTUAL);
}
