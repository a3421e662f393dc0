/*
 * sim_gen.c — scenarios from a seed (sim_gen.h). The text is written line
 * by line, one step per line, so sim_gen_expect can put each step's
 * expectation under it by the line the loader gives the step.
 */
#include "sim_gen.h"
#include "sim_gen_internal.h"
#include "sim_load.h"
#include "sim_yaml.h"

#include "cm_rng.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX_SERVERS 4u
#define GEN_MAX_CLIENTS 6u
#define GEN_MAX_PORTS 2u /* per server */
#define GEN_TIMED_GAP_MS 200u /* a timed burst's server sleeps so long before serving */

static const struct {
    const char *name;
    const char *about;
} features[SIM_GEN_FEATURE_COUNT] = {
#define SIM_GEN_ROW(name, text) [SIM_GEN_##name] = {#name, text},
    SIM_GEN_FEATURES(SIM_GEN_ROW)
#undef SIM_GEN_ROW
};

sim_gen_options sim_gen_options_default(void)
{
    return (sim_gen_options){.feature_mask = UINT32_MAX, .swarm = true, .max_servers = 2, .max_clients = 3};
}

bool sim_gen_options_validate(const sim_gen_options *o)
{
    return o != NULL && o->max_servers >= 1 && o->max_servers <= GEN_MAX_SERVERS && o->max_clients >= 1 &&
           o->max_clients <= GEN_MAX_CLIENTS;
}

const char *sim_gen_feature_name(uint32_t feature)
{
    return feature < SIM_GEN_FEATURE_COUNT ? features[feature].name : "?";
}

const char *sim_gen_feature_about(uint32_t feature)
{
    return feature < SIM_GEN_FEATURE_COUNT ? features[feature].about : "?";
}

/* The seed's own stream of choices: the same on every machine (xoshiro256**). */
typedef struct gen {
    cm_rng rng;
    uint64_t seed;
    uint32_t feats;
    base_buf b;
    /* the world being written */
    uint32_t servers, clients;
    uint32_t ports[GEN_MAX_SERVERS];               /* per server */
    int64_t work_ns[GEN_MAX_SERVERS][GEN_MAX_PORTS]; /* each port's handler work */
    uint8_t name_kind[GEN_MAX_SERVERS][GEN_MAX_PORTS];
    bool queued[GEN_MAX_SERVERS][GEN_MAX_PORTS];
    bool renamed[GEN_MAX_SERVERS][GEN_MAX_PORTS]; /* SetName asked for its new name (put_new_name) */
    bool timed[GEN_MAX_SERVERS][GEN_MAX_PORTS];   /* a timed burst's port (put_send_after_burst) */
    bool timed_sent[GEN_MAX_SERVERS][GEN_MAX_PORTS]; /* its timed burst is written (one per port) */
    uint32_t msgid;
} gen;

static uint32_t below(gen *g, uint32_t n)
{
    assert(n > 0);
    return (uint32_t)cm_rng_below(&g->rng, n);
}

static bool has(const gen *g, sim_gen_feature f)
{
    return (g->feats >> f) & 1u;
}

/* True with probability 1/n. */
static bool one_in(gen *g, uint32_t n)
{
    return below(g, n) == 0;
}

uint32_t sim_gen_features_of(uint64_t seed, const sim_gen_options *o)
{
    assert(sim_gen_options_validate(o));
    uint32_t all = o->feature_mask & ((UINT32_C(1) << SIM_GEN_FEATURE_COUNT) - 1);
    if (!o->swarm) return all;
    cm_rng rng;
    cm_rng_seed(&rng, seed ^ UINT64_C(0x5157A4D5EED));
    uint32_t mask = 0;
    for (uint32_t f = 0; f < SIM_GEN_FEATURE_COUNT; f++) {
        if (cm_rng_below(&rng, 2) == 0) mask |= UINT32_C(1) << f;
    }
    return mask & all;
}

/* ---- names and values ------------------------------------------------------------ */

enum { NAME_PLAIN = 0, NAME_128 = 1, NAME_LONG = 2, NAME_NUL = 3 };

/* A port name: plain, exactly 128 bytes, 140 bytes (truncated, R12) or with a NUL (R11). */
static void put_name(gen *g, uint32_t server, uint32_t port)
{
    char base[64];
    int n = snprintf(base, sizeof base, "com.portsim.gen.%08llx.s%up%u", (unsigned long long)(g->seed & 0xffffffffu),
                     server, port);
    assert(n > 0 && (size_t)n < sizeof base);
    base_buf_puts(&g->b, "\"");
    base_buf_puts(&g->b, base);
    switch (g->name_kind[server][port]) {
    case NAME_128:
    case NAME_LONG: {
        size_t want = g->name_kind[server][port] == NAME_128 ? 128 : 140;
        for (size_t i = (size_t)n; i < want; i++) base_buf_puts(&g->b, "x");
        break;
    }
    case NAME_NUL: base_buf_puts(&g->b, "\\0tail"); break;
    default: break;
    }
    base_buf_puts(&g->b, "\"");
}

/* The new name SetName gives port (server, port): its own, so no two ports (nor two servers) race
 * for one. */
static void put_new_name(gen *g, uint32_t server, uint32_t port)
{
    assert(server < GEN_MAX_SERVERS && port < GEN_MAX_PORTS);
    base_buf_printf(&g->b, "\"com.portsim.gen.%08llx.s%up%u.renamed\"", (unsigned long long)(g->seed & 0xffffffffu),
                    server, port);
}

/*
 * The name a client (or a nested send) looks port (server, port) up by, once its server is
 * ready: the new name when it was renamed. Never the old one: SetName frees it asynchronously
 * (R19, R62: a release window of a few ms on Mach, none on libcfmp), so a lookup of it right
 * after the rename races that window and no ordering of the scenario can settle it. A rename
 * that is refused (a queued port under ventura, R19) leaves the new name unregistered: the
 * lookup gives NULL, as surely.
 */
static void put_lookup_name(gen *g, uint32_t server, uint32_t port)
{
    assert(server < g->servers && port < g->ports[server]);
    if (g->renamed[server][port]) {
        put_new_name(g, server, port);
    } else {
        put_name(g, server, port);
    }
}

static void put_duration(gen *g, int64_t ns)
{
    if (ns % CM_NS_PER_MS == 0) {
        base_buf_printf(&g->b, "%lldms", (long long)(ns / CM_NS_PER_MS));
    } else {
        base_buf_printf(&g->b, "%lldns", (long long)ns);
    }
}

/* A timeout: ordinary, or (EDGE_TIMEOUTS) at a boundary of the handler's work. */
static void put_timeout(gen *g, int64_t work_ns, bool receive)
{
    if (!has(g, SIM_GEN_EDGE_TIMEOUTS) || one_in(g, 3)) {
        static const int64_t plain_ms[] = {1000, 200, 100, 50};
        put_duration(g, plain_ms[below(g, 4)] * CM_NS_PER_MS);
        return;
    }
    switch (below(g, receive ? 9 : 6)) {
    case 0: base_buf_puts(&g->b, "0ns"); return;
    case 1: base_buf_puts(&g->b, "-1ms"); return;
    case 2: base_buf_puts(&g->b, one_in(g, 4) ? "forever" : "1s"); return;
    case 3: base_buf_puts(&g->b, "nan"); return;
    case 4: put_duration(g, CM_NS_PER_MS); return;
    case 5: put_duration(g, 999999); return;
    case 6: put_duration(g, work_ns); return;
    case 7: put_duration(g, work_ns > 0 ? work_ns - 1 : 1); return;
    default: put_duration(g, work_ns + 1); return;
    }
}

static void put_data(gen *g)
{
    if (!has(g, SIM_GEN_DATA) || one_in(g, 2)) {
        base_buf_printf(&g->b, "\"d%u\"", below(g, 100));
        return;
    }
    switch (below(g, 5)) {
    case 0: base_buf_puts(&g->b, "null"); return;
    case 1: base_buf_puts(&g->b, "\"\""); return;
    case 2: base_buf_puts(&g->b, "{hex: \"00ff00\"}"); return;
    case 3: base_buf_printf(&g->b, "{size: %u}", one_in(g, 2) ? 65536u : 65537u); return;
    default: base_buf_printf(&g->b, "{repeat: ab, count: %u}", 1 + below(g, 3000)); return;
    }
}

/* The start of a send step, up to its data: what every send the generator writes begins with. */
static void put_send_start(gen *g, const char *indent, const char *var, int32_t msgid)
{
    assert(indent != NULL && var != NULL && msgid != 0);
    base_buf_printf(&g->b, "%s- send: {port: %s, msgid: %d, data: ", indent, var, msgid);
    put_data(g);
}

/* A send from the current program to variable `var`, aimed at the port (server, port). */
static void put_send(gen *g, const char *indent, const char *var, uint32_t server, uint32_t port, bool one_way)
{
    int64_t work_ns = g->work_ns[server][port];
    int32_t msgid = (int32_t)(++g->msgid) * (one_in(g, 8) ? -1 : 1);
    put_send_start(g, indent, var, msgid);
    base_buf_puts(&g->b, ", send_timeout: ");
    put_timeout(g, work_ns, false);
    if (!one_way) {
        base_buf_puts(&g->b, ", recv_timeout: ");
        put_timeout(g, work_ns, true);
        base_buf_puts(&g->b, ", reply_mode: default");
    }
    base_buf_puts(&g->b, "}\n");
}

/* A one-way send of a timed burst: a long send timeout, so it is queued, not refused. */
static void put_burst_send(gen *g, const char *var)
{
    assert(var != NULL && var[0] != '\0');
    int32_t msgid = (int32_t)(++g->msgid);
    put_send_start(g, "        ", var, msgid);
    base_buf_puts(&g->b, ", send_timeout: 1000ms}\n");
    assert(msgid > 0);
}

/*
 * A timed burst (R28, R29, R32): the port's server signals ready, then sleeps GEN_TIMED_GAP_MS
 * before it runs its run loop (put_server), so five one-way sends fill its queue and the
 * two-way send after them waits about that gap for room; then six short works (at most 3 ms
 * each: draw_shape) answer it. Its receive timeout is that reply time plus half the gap: a
 * receive deadline counted from before the send instead of after it (libcfmp mutant M5)
 * times out where the model replies, each side with half the gap to spare, far beyond the
 * timing tolerance. The model decides what is allowed: other clients of the port may make
 * this one more timeout value.
 */
static void put_send_after_burst(gen *g, const char *var, uint32_t server, uint32_t port)
{
    int64_t work_ns = g->work_ns[server][port];
    assert(g->timed[server][port] && work_ns > 0);
    int64_t recv_ns = 6 * work_ns + GEN_TIMED_GAP_MS * CM_NS_PER_MS / 2;
    put_send_start(g, "        ", var, (int32_t)(++g->msgid));
    base_buf_puts(&g->b, ", send_timeout: 1000ms, recv_timeout: ");
    put_duration(g, recv_ns);
    base_buf_puts(&g->b, ", reply_mode: default}\n");
    assert(recv_ns > 6 * work_ns);
}

/* ---- processes --------------------------------------------------------------------- */

/* Whether server s has a timed burst's port (draw_shape): it sleeps first and gets no fault. */
static bool server_timed(const gen *g, uint32_t s)
{
    assert(s < g->servers && g->ports[s] <= GEN_MAX_PORTS);
    bool timed = false;
    for (uint32_t p = 0; p < g->ports[s]; p++) timed = timed || g->timed[s][p];
    return timed;
}

static void put_server(gen *g, uint32_t s)
{
    bool any_queue = false, any_scheduled = false;
    for (uint32_t p = 0; p < g->ports[s]; p++) {
        any_queue = any_queue || g->queued[s][p];
        any_scheduled = any_scheduled || !g->queued[s][p];
    }
    base_buf_printf(&g->b, "  s%u:\n", s);
    if (any_queue) base_buf_puts(&g->b, "    queues:\n      q: serial\n");
    base_buf_puts(&g->b, "    threads:\n      main:\n");
    for (uint32_t p = 0; p < g->ports[s]; p++) {
        base_buf_printf(&g->b, "        - create_local: {port: s%up%u, name: ", s, p);
        put_name(g, s, p);
        base_buf_printf(&g->b, ", handler: h%u_%u", s, p);
        if (has(g, SIM_GEN_CONTEXT) && one_in(g, 2)) {
            base_buf_printf(&g->b, ", context: {info: %u, retain: true, release: true}", 1 + below(g, 99));
        }
        base_buf_puts(&g->b, "}\n");
        if (g->queued[s][p]) {
            base_buf_printf(&g->b, "        - set_dispatch_queue: {port: s%up%u, queue: q}\n", s, p);
        } else {
            base_buf_printf(&g->b, "        - schedule: s%up%u\n", s, p);
        }
        if (has(g, SIM_GEN_DUPLICATE) && one_in(g, 2)) { /* the existing port, shouldFreeInfo true (R14) */
            base_buf_printf(&g->b, "        - create_local: {port: s%up%uagain, name: ", s, p);
            put_name(g, s, p);
            base_buf_printf(&g->b, ", handler: h%u_%u}\n", s, p);
        }
        /* a name at or over 128 bytes, or with a NUL, read back: truncation (R12) shows only there */
        if (has(g, SIM_GEN_PROBES) && g->name_kind[s][p] != NAME_PLAIN && one_in(g, 2)) {
            base_buf_printf(&g->b, "        - get_name: s%up%u\n", s, p);
        }
        if (has(g, SIM_GEN_CALLBACKS) && one_in(g, 2)) {
            base_buf_printf(&g->b, "        - set_invalidation_callback: {port: s%up%u, callback: cb}\n", s, p);
        }
        if (has(g, SIM_GEN_SETNAME) && one_in(g, 4)) {
            /* a new name, or its own current one: refused (R19; NULL with a NUL, R11), the name stays */
            bool fresh = one_in(g, 2);
            base_buf_printf(&g->b, "        - set_name: {port: s%up%u, name: ", s, p);
            if (fresh) {
                put_new_name(g, s, p);
            } else {
                put_name(g, s, p);
            }
            base_buf_puts(&g->b, "}\n");
            g->renamed[s][p] = fresh;
        }
    }
    base_buf_printf(&g->b, "        - signal: ready-s%u\n", s);
    if (server_timed(g, s)) base_buf_printf(&g->b, "        - sleep: %ums\n", GEN_TIMED_GAP_MS);
    int64_t for_ms = 150 + 50 * below(g, 4);
    if (any_scheduled) {
        base_buf_printf(&g->b, "        - run_loop: {mode: default, for: %lldms}\n", (long long)for_ms);
    } else {
        base_buf_printf(&g->b, "        - sleep: %lldms\n", (long long)for_ms);
    }
    for (uint32_t p = 0; p < g->ports[s]; p++) {
        if (has(g, SIM_GEN_SERVER_INVALIDATE) && one_in(g, 2)) {
            base_buf_printf(&g->b, "        - invalidate: s%up%u\n", s, p);
        }
    }
}

/* A client thread: wait for its server, look the port up, send, probe, maybe invalidate. */
static void put_client_thread(gen *g, uint32_t c, uint32_t t)
{
    uint32_t s = below(g, g->servers), p = below(g, g->ports[s]);
    char var[16];
    snprintf(var, sizeof var, "r%u", t);
    base_buf_printf(&g->b, "      %s:\n", t == 0 ? "main" : "t1");
    base_buf_printf(&g->b, "        - wait_for: ready-s%u\n", s);
    base_buf_printf(&g->b, "        - create_remote: {port: %s, name: ", var);
    put_lookup_name(g, s, p);
    base_buf_puts(&g->b, "}\n");
    /* a full queue (R29): what makes a send wait for space, so its send timeout and the
     * receive timeout after it (R28, R32) matter; the handler works, so the queue stays full */
    bool timed = g->timed[s][p] && !g->timed_sent[s][p]; /* the port's one timed burst, not yet written */
    if (has(g, SIM_GEN_BURST) && (timed || one_in(g, 2))) {
        uint32_t burst = timed ? 5 : 5 + below(g, 3);
        for (uint32_t i = 0; i < burst; i++) {
            if (timed) {
                put_burst_send(g, var);
            } else {
                put_send(g, "        ", var, s, p, true);
            }
        }
        if (timed) {
            put_send_after_burst(g, var, s, p);
            g->timed_sent[s][p] = true;
        }
    }
    uint32_t sends = 1 + below(g, 3);
    for (uint32_t i = 0; i < sends; i++) {
        if (one_in(g, 3)) base_buf_printf(&g->b, "        - sleep: %ums\n", 1 + below(g, 20));
        put_send(g, "        ", var, s, p, has(g, SIM_GEN_ONE_WAY) && one_in(g, 3));
        if (has(g, SIM_GEN_PROBES) && one_in(g, 2)) base_buf_printf(&g->b, "        - is_valid: %s\n", var);
    }
    if (has(g, SIM_GEN_PROBES) && (g->name_kind[s][p] != NAME_PLAIN || one_in(g, 3))) {
        base_buf_printf(&g->b, "        - get_name: %s\n", var);
    }
    if (has(g, SIM_GEN_CLIENT_INVALIDATE) && one_in(g, 2)) base_buf_printf(&g->b, "        - invalidate: %s\n", var);
    (void)c;
}

static void put_client(gen *g, uint32_t c)
{
    base_buf_printf(&g->b, "  c%u:\n    threads:\n", c);
    put_client_thread(g, c, 0);
    if (has(g, SIM_GEN_THREADS) && one_in(g, 2)) put_client_thread(g, c, 1);
}

/* The handler of port (s, p): work, maybe invalidate, maybe send on, maybe crash, then reply. */
static void put_handler(gen *g, uint32_t s, uint32_t p)
{
    base_buf_printf(&g->b, "  h%u_%u:\n", s, p);
    if (g->work_ns[s][p] > 0) {
        base_buf_puts(&g->b, "    - work: ");
        put_duration(g, g->work_ns[s][p]);
        base_buf_puts(&g->b, "\n");
    }
    if (g->timed[s][p]) { /* what the timed send measures is the queue, nothing else */
        base_buf_puts(&g->b, "    - reply: echo\n");
        return;
    }
    if (has(g, SIM_GEN_INVALIDATE_SELF) && one_in(g, 4)) base_buf_puts(&g->b, "    - invalidate: self\n");
    /* on to a later server only: handlers sending in a cycle would ping-pong forever at no cost */
    if (has(g, SIM_GEN_NESTED) && s + 1 < g->servers && one_in(g, 2)) {
        uint32_t to = s + 1 + below(g, g->servers - 1 - s);
        uint32_t tp = below(g, g->ports[to]);
        base_buf_puts(&g->b, "    - create_remote: {port: n, name: ");
        put_lookup_name(g, to, tp);
        base_buf_puts(&g->b, "}\n");
        put_send(g, "    ", "n", to, tp, has(g, SIM_GEN_ONE_WAY) && one_in(g, 3));
    }
    if (has(g, SIM_GEN_HANDLER_CRASH) && one_in(g, 6)) {
        base_buf_puts(&g->b, "    - crash\n");
        return;
    }
    switch (below(g, 3)) {
    case 0: base_buf_puts(&g->b, "    - reply: echo\n"); break;
    case 1: base_buf_printf(&g->b, "    - reply: \"r%u\"\n", below(g, 10)); break;
    default: base_buf_puts(&g->b, "    - reply: null\n"); break;
    }
}

/* The world's shape: how many of each, each port's delivery, name and handler work. */
static void draw_shape(gen *g, const sim_gen_options *o)
{
    g->servers = 1 + below(g, o->max_servers);
    g->clients = 1 + below(g, o->max_clients);
    for (uint32_t s = 0; s < g->servers; s++) {
        g->ports[s] = 1 + below(g, GEN_MAX_PORTS);
        for (uint32_t p = 0; p < g->ports[s]; p++) {
            g->queued[s][p] = has(g, SIM_GEN_QUEUE) && one_in(g, 2);
            g->name_kind[s][p] = has(g, SIM_GEN_NAMES) && one_in(g, 3) ? (uint8_t)(1 + below(g, 3)) : NAME_PLAIN;
            bool works = (has(g, SIM_GEN_WORK) && !one_in(g, 3)) || has(g, SIM_GEN_BURST); /* a burst needs a slow handler */
            g->work_ns[s][p] = works ? (int64_t)(1 + below(g, 30)) * CM_NS_PER_MS : 0;
            /* a timed burst's port: a run loop's (a dispatch queue has no limit), short works */
            g->timed[s][p] = has(g, SIM_GEN_BURST) && !g->queued[s][p] && one_in(g, 3);
            if (g->timed[s][p]) g->work_ns[s][p] = (int64_t)(1 + below(g, 3)) * CM_NS_PER_MS;
        }
    }
}

char *sim_gen_scenario(uint64_t seed, const sim_gen_options *o)
{
    assert(sim_gen_options_validate(o));
    gen g;
    memset(&g, 0, sizeof g);
    g.seed = seed;
    g.feats = sim_gen_features_of(seed, o);
    cm_rng_seed(&g.rng, seed);
    base_buf_init(&g.b, 0);
    draw_shape(&g, o);
    base_buf_printf(&g.b, "scenario: gen-%016llx\nabout: >\n  Generated by portsim fuzz from seed %llu; features:",
                   (unsigned long long)seed, (unsigned long long)seed);
    bool any = false;
    for (uint32_t f = 0; f < SIM_GEN_FEATURE_COUNT; f++) {
        if (!has(&g, (sim_gen_feature)f)) continue;
        base_buf_printf(&g.b, "%s %s", any ? "," : "", sim_gen_feature_name(f));
        any = true;
    }
    base_buf_printf(&g.b, "%s.\ntime_limit: 3s\nprocesses:\n", any ? "" : " none");
    for (uint32_t s = 0; s < g.servers; s++) put_server(&g, s);
    for (uint32_t c = 0; c < g.clients; c++) put_client(&g, c);
    base_buf_puts(&g.b, "handlers:\n");
    for (uint32_t s = 0; s < g.servers; s++) {
        for (uint32_t p = 0; p < g.ports[s]; p++) put_handler(&g, s, p);
    }
    base_buf_puts(&g.b, "callbacks:\n  cb:\n    - is_valid: self\n");
    if (has(&g, SIM_GEN_FAULTS) && one_in(&g, 2)) {
        /* one draw per statement: the order of a call's arguments is unspecified in C, and
         * gcc and clang differ (the same seed gave two texts) */
        uint32_t s = below(&g, g.servers);
        uint32_t at_ms = 5 + below(&g, 100);
        const char *kind = one_in(&g, 2) ? "crash" : "restart";
        if (!server_timed(&g, s)) base_buf_printf(&g.b, "faults:\n  - {at: %ums, %s: s%u}\n", at_ms, kind, s);
    }
    if (g.b.failed) {
        base_buf_fini(&g.b);
        return NULL;
    }
    return base_buf_take(&g.b);
}

/* ---- expectations from the model ------------------------------------------------------------ */

sim_allowed_plan sim_gen_allowed_plan(uint64_t seed, uint32_t explore, uint8_t profile, double tolerance_ms,
                                      double tolerance_pct)
{
    assert(explore >= 1 && tolerance_ms >= 0 && tolerance_pct >= 0);
    sim_allowed_plan plan = sim_allowed_plan_default();
    plan.seed = seed;
    plan.explore = explore;
    plan.profile = profile;
    plan.jitter_ns = (int64_t)(tolerance_ms * 1e6);
    plan.jitter_pct = tolerance_pct;
    assert(plan.jitter_ns >= 0);
    return plan;
}

/*
 * What every returned execution of a step gave besides its result, when it was the same in
 * every model run of the plan: a send's reply, a create's should_free_info, get_name's name
 * (the fields sim_check compares on returned calls). Written in as `reply:`,
 * `should_free_info:`, `name:`, they let a scenario tell a reply delivered as NULL data from
 * one not written (R35), a truncated name from an untruncated one (R12), a port returned again
 * from a new one (R14): results alone cannot.
 */
enum { FIXED_UNSEEN = 0, FIXED_ONE = 1, FIXED_VARIES = 2 };
#define FIXED_DATA_MAX 200u /* longer data is not written in */

typedef struct fixed_step {
    uint8_t state;
    bool sfi;
    uint8_t kind; /* sim_data_kind */
    uint32_t len;
    uint8_t bytes[FIXED_DATA_MAX];
} fixed_step;

#define FIXED_PROCESSES 16u /* generated worlds have at most 10 */

/* context.retain / release calls of one process, per run (R60: one each around every callout). */
typedef struct fixed_count {
    uint8_t state;
    uint32_t count;
} fixed_count;

typedef struct fixed_ctx {
    const sim_scenario *sc;
    fixed_step *steps; /* [step] */
    fixed_count retains[FIXED_PROCESSES], releases[FIXED_PROCESSES];
} fixed_ctx;

static void count_see(fixed_count *f, uint32_t n)
{
    if (f->state == FIXED_UNSEEN) {
        f->state = FIXED_ONE;
        f->count = n;
    } else if (f->count != n) {
        f->state = FIXED_VARIES;
    }
}

/* Data the expectation can say exactly: NULL, or short ASCII bytes (YAML \xNN above 0x7f is a
 * code point, not a byte). */
static bool data_writable(const sim_data *d)
{
    if (d->kind == SIM_DATA_NULL) return true;
    if (d->kind != SIM_DATA_BYTES || d->len > FIXED_DATA_MAX) return false;
    for (uint32_t i = 0; i < d->len; i++) {
        if (d->bytes[i] >= 0x80) return false;
    }
    return true;
}

static bool fixed_field_op(uint8_t op)
{
    return op == CM_OP_SEND || op == CM_OP_CREATE_LOCAL || op == CM_OP_GET_NAME;
}

static void fixed_see(fixed_step *f, const sim_step *s, const sim_exec *e)
{
    if (f->state == FIXED_VARIES) return;
    const sim_data *d = &e->data;
    bool data = s->op != CM_OP_CREATE_LOCAL;
    if (data && !data_writable(d)) {
        f->state = FIXED_VARIES;
        return;
    }
    if (f->state == FIXED_UNSEEN) {
        f->state = FIXED_ONE;
        f->sfi = e->should_free_info;
        f->kind = d->kind;
        f->len = data && d->kind == SIM_DATA_BYTES ? d->len : 0;
        if (f->len > 0) memcpy(f->bytes, d->bytes, f->len);
        return;
    }
    bool same = data ? f->kind == d->kind && (d->kind != SIM_DATA_BYTES ||
                                              (f->len == d->len && (d->len == 0 || memcmp(f->bytes, d->bytes, d->len) == 0)))
                     : f->sfi == e->should_free_info;
    if (!same) f->state = FIXED_VARIES;
}

static bool fixed_visit(void *ctx, const sim_obs *obs, const sim_allowed_run *run)
{
    fixed_ctx *x = ctx;
    assert(x != NULL && obs != NULL && run != NULL);
    for (uint32_t i = 0; i < obs->exec_count; i++) {
        const sim_exec *e = &obs->execs[i];
        if (e->step >= x->sc->step_count || e->outcome != SIM_OUTCOME_RETURNED) continue;
        const sim_step *s = &x->sc->steps[e->step];
        if (fixed_field_op(s->op)) fixed_see(&x->steps[e->step], s, e);
    }
    uint32_t retains[FIXED_PROCESSES] = {0}, releases[FIXED_PROCESSES] = {0};
    for (uint32_t i = 0; i < obs->event_count; i++) {
        const sim_event *ev = &obs->events[i];
        if (ev->process >= FIXED_PROCESSES) continue;
        retains[ev->process] += ev->kind == SIM_EV_CONTEXT_RETAIN;
        releases[ev->process] += ev->kind == SIM_EV_CONTEXT_RELEASE;
    }
    for (uint32_t p = 0; p < x->sc->process_count && p < FIXED_PROCESSES; p++) {
        count_see(&x->retains[p], retains[p]);
        count_see(&x->releases[p], releases[p]);
    }
    return true;
}

/* The column the next byte of b goes to, on the line that starts at offset start (ASCII lines). */
static uint32_t col_at(const base_buf *b, size_t start)
{
    assert(b->len >= start);
    return (uint32_t)(b->len - start) + 1;
}

/* expect_events: for each process whose context calls were the same number in every run (each
 * entry logged when log is not NULL; line: the last line written so far). */
static void put_counts(base_buf *b, const sim_scenario *sc, const fixed_ctx *x, gen_expect_log *log, uint32_t line)
{
    bool any = false;
    for (uint32_t p = 0; p < sc->process_count && p < FIXED_PROCESSES; p++) {
        for (int k = 0; k < 2; k++) {
            const fixed_count *f = k == 0 ? &x->retains[p] : &x->releases[p];
            if (f->state != FIXED_ONE || f->count == 0) continue;
            if (!any) base_buf_puts(b, "expect_events:\n");
            line += !any;
            any = true;
            const char *kind = k == 0 ? "context_retain" : "context_release";
            size_t start = b->len;
            base_buf_puts(b, "  - {");
            uint32_t kind_col = col_at(b, start);
            base_buf_printf(b, "%s: {process: ", kind);
            uint32_t process_col = col_at(b, start);
            base_buf_printf(b, "%s}, count: ", sc->processes[p].name);
            uint32_t count_col = col_at(b, start);
            base_buf_printf(b, "%u}\n", f->count);
            line++;
            if (log == NULL) continue;
            assert(log->event_count < GEN_EVENTS_MAX);
            log->events[log->event_count++] = (gen_event_at){
                .kind = k == 0 ? SIM_EV_CONTEXT_RETAIN : SIM_EV_CONTEXT_RELEASE, .process = p, .count = f->count,
                .line = line, .kind_col = kind_col, .process_col = process_col, .count_col = count_col};
        }
    }
}

/* The expectation line of a step, or false when it gets none (no result type, never ran);
 * where each value went into *at when at is not NULL. */
static bool expect_line(base_buf *b, const sim_step *s, const sim_allowed *a, const fixed_step *f, gen_expect_at *at)
{
    sim_result_type type = sim_op_result_type(s->op);
    bool typed = type == SIM_RT_STATUS || type == SIM_RT_CREATED || type == SIM_RT_BOOL || type == SIM_RT_RUN ||
                 type == SIM_RT_INT;
    bool fixed = f != NULL && f->state == FIXED_ONE && fixed_field_op(s->op);
    if ((!typed && !fixed) || a->executions == 0 || a->overflow || (typed && a->count == 0)) return false;
    gen_expect_at here = {.field = GEN_FIELD_NONE};
    size_t start = b->len;
    uint32_t indent = s->loc.col > 1 ? s->loc.col - 1 : 0;
    for (uint32_t i = 0; i < indent; i++) base_buf_puts(b, " ");
    base_buf_puts(b, "expect: ");
    here.map_col = col_at(b, start);
    base_buf_puts(b, "{");
    const char *sep = "";
    if (typed) {
        base_buf_puts(b, "result: ");
        here.result_col = col_at(b, start);
        base_buf_puts(b, "[");
        char num[24];
        for (uint32_t i = 0; i < a->count; i++) {
            base_buf_printf(b, "%s%s", i > 0 ? ", " : "", sim_result_text(type, a->values[i], num, sizeof num));
        }
        base_buf_puts(b, "]");
        sep = ", ";
    }
    if (fixed && s->op == CM_OP_CREATE_LOCAL) {
        base_buf_printf(b, "%sshould_free_info: ", sep);
        here.field_col = col_at(b, start);
        base_buf_puts(b, f->sfi ? "true" : "false");
        here.field = GEN_FIELD_SFI;
        here.sfi = f->sfi;
        sep = ", ";
    } else if (fixed) {
        base_buf_printf(b, "%s%s: ", sep, s->op == CM_OP_SEND ? "reply" : "name");
        here.field_col = col_at(b, start);
        here.field = s->op == CM_OP_SEND ? GEN_FIELD_REPLY : GEN_FIELD_NAME;
        here.data_kind = f->kind == SIM_DATA_NULL ? SIM_DATA_NULL : SIM_DATA_BYTES;
        if (f->kind == SIM_DATA_NULL) {
            base_buf_puts(b, "null");
        } else {
            base_buf_quote_bytes(b, f->bytes, f->len, f->len);
            here.data_len = f->len;
            here.data = f->bytes;
        }
        sep = ", ";
    }
    if (a->runs_min != a->runs_max || a->runs_min == 0) {
        base_buf_printf(b, "%sruns: ", sep);
        here.runs_col = col_at(b, start);
        base_buf_printf(b, "{min: %u, max: %u}", a->runs_min, a->runs_max);
    }
    base_buf_puts(b, "}\n");
    if (at != NULL) *at = here;
    return true;
}

/* Whether the step whose operation starts at column col of the line (len bytes) is a mapping
 * (`- op: ...`): then the expect: line under it is one more key of it. */
static bool map_step_at(const char *line, size_t len, uint32_t col)
{
    assert(line != NULL && col >= 1);
    size_t i = col - 1;
    if (i >= len) return false;
    while (i < len && (line[i] == '_' || (line[i] >= 'a' && line[i] <= 'z') || (line[i] >= '0' && line[i] <= '9'))) i++;
    return i > col - 1 && i < len && line[i] == ':';
}

/* The text with each step's expectation under it (fixed: the other fields, or NULL), each
 * written one logged into log when it is not NULL (log->expects: room for every step). */
static char *write_expect(const char *yaml, const sim_scenario *sc, const sim_allowed_set *allowed,
                          const fixed_ctx *fx, gen_expect_log *log)
{
    const fixed_step *fixed = fx != NULL ? fx->steps : NULL;
    assert(yaml != NULL && sc != NULL && sim_allowed_set_validate(allowed, sc));
    /* the step on each line (every generated step is one line; the loader gives its line) */
    uint32_t lines = 1;
    for (const char *p = yaml; *p != '\0'; p++) lines += *p == '\n';
    uint32_t *step_at = malloc(((size_t)lines + 2) * sizeof *step_at);
    if (step_at == NULL) return NULL;
    for (uint32_t i = 0; i <= lines + 1; i++) step_at[i] = SIM_NONE;
    for (uint32_t i = 0; i < sc->step_count; i++) {
        uint32_t line = sc->steps[i].loc.line;
        if (line >= 1 && line <= lines && sc->steps[i].expect == NULL) step_at[line] = i;
    }
    if (log != NULL) {
        log->old_lines = lines;
        log->new_line = calloc((size_t)lines + 2, sizeof *log->new_line);
        log->failed = log->new_line == NULL;
    }
    base_buf b;
    base_buf_init(&b, 0);
    uint32_t line = 1, out_line = 0;
    for (const char *p = yaml; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) + 1 : strlen(p);
        base_buf_append(&b, p, len);
        if (end == NULL) base_buf_puts(&b, "\n");
        out_line++;
        if (log != NULL && !log->failed) log->new_line[line] = out_line;
        uint32_t step = step_at[line];
        gen_expect_at *at = log != NULL && !log->failed ? &log->expects[log->expect_count] : NULL;
        if (step != SIM_NONE &&
            expect_line(&b, &sc->steps[step], &allowed->allowed[step], fixed != NULL ? &fixed[step] : NULL, at)) {
            out_line++;
            if (at != NULL) {
                at->step = step;
                at->line = out_line;
                at->map_step = map_step_at(p, len, sc->steps[step].loc.col);
                log->expect_count++;
            }
        }
        p += len;
        line++;
    }
    free(step_at);
    if (fx != NULL && sc->event_expect_count == 0) put_counts(&b, sc, fx, log, out_line);
    if (b.failed) {
        base_buf_fini(&b);
        return NULL;
    }
    return base_buf_take(&b);
}

char *sim_gen_expect(const char *yaml, const sim_scenario *sc, const sim_allowed_set *allowed)
{
    return write_expect(yaml, sc, allowed, NULL, NULL);
}

/* sim_gen_annotate, each expectation written logged into log when it is not NULL. */
static char *annotate(const char *yaml, const sim_scenario *sc, const sim_allowed_plan *plan,
                      sim_allowed_set *allowed, gen_expect_log *log)
{
    assert(yaml != NULL && sc != NULL && plan != NULL && allowed != NULL);
    fixed_step *fixed = calloc((size_t)sc->step_count + 1, sizeof *fixed);
    fixed_ctx fx;
    memset(&fx, 0, sizeof fx);
    fx.sc = sc;
    fx.steps = fixed;
    bool ok = fixed != NULL && sim_allowed_explore_also(sc, plan, fixed_visit, &fx, allowed);
    if (fixed == NULL) {
        memset(allowed, 0, sizeof *allowed);
        snprintf(allowed->error, sizeof allowed->error, "out of memory");
    }
    char *text = ok ? write_expect(yaml, sc, allowed, &fx, log) : NULL;
    /* the logged data points into fixed: it lives as long as the log */
    if (log == NULL || text == NULL) {
        free(fixed);
    } else {
        log->owned = fixed; /* freed with the log */
    }
    assert(!ok || text == NULL || strlen(text) >= strlen(yaml));
    return text;
}

char *sim_gen_annotate(const char *yaml, const sim_scenario *sc, const sim_allowed_plan *plan,
                       sim_allowed_set *allowed)
{
    return annotate(yaml, sc, plan, allowed, NULL);
}

/* The loader on text, as portsim fuzz loads a scenario (its errors into diag). */
static bool load_text(const char *file, const char *text, sim_scenario *out, sim_diag *diag)
{
    return sim_load_buffer(file, (const uint8_t *)text, strlen(text), out, diag);
}

char *sim_gen_annotate_load(const char *yaml, sim_scenario *sc, const sim_allowed_plan *plan,
                            sim_allowed_set *allowed, const char *file, sim_scenario *annotated,
                            sim_diag *diag, sim_gen_load_how *how)
{
    assert(yaml != NULL && sc != NULL && file != NULL && annotated != NULL && diag != NULL);
    memset(annotated, 0, sizeof *annotated);
    *how = SIM_GEN_NOT_LOADED;
    gen_expect_log log;
    memset(&log, 0, sizeof log);
    log.expects = calloc((size_t)sc->step_count + 1, sizeof *log.expects);
    log.failed = log.expects == NULL;
    char *text = annotate(yaml, sc, plan, allowed, log.failed ? NULL : &log);
    /* a text this short has fewer YAML nodes than the parser allows (each takes a byte or more) */
    bool small = text != NULL && strlen(text) < SIM_YAML_MAX_NODES;
    if (small && !log.failed && sim_gen_build_annotated(sc, file, &log, allowed)) {
        *annotated = *sc; /* moved: sc is the annotated scenario now */
        memset(sc, 0, sizeof *sc);
        *how = SIM_GEN_BUILT;
    } else if (text != NULL && load_text(file, text, annotated, diag)) {
        *how = SIM_GEN_LOADED;
    }
    free(log.owned);
    free(log.new_line);
    free(log.expects);
    return text;
}
