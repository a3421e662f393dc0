/*
 * sim_gen.h — valid scenarios generated from a seed, for `portsim fuzz`.
 *
 * A seed first draws which features the scenario may use (swarm testing,
 * Groce et al. 2012: each test uses a random subset of features, so rare
 * combinations are not drowned by common ones), then the scenario: 1-2
 * server processes with local ports delivered by run loop or dispatch
 * queue, 1-3 client processes (sometimes with a second thread) that wait
 * for their servers with `wait_for` (explicit ordering: never a sleep),
 * sends of every kind with timeouts biased to the boundaries that matter
 * (equal to a handler's work, 1 ns either side, 0, negative, forever, nan),
 * handlers that reply, echo, return NULL, work, invalidate themselves,
 * send on or crash, invalidation from clients and servers, IsValid probes,
 * contexts, names of 128 bytes and with NUL (read back with get_name),
 * SetName (to a port's own new name, or its current one: refused; clients
 * then look it up by the name it has, never by one SetName just freed, whose
 * release window, R62, no ordering can settle), crash and restart faults, a second create_local of a name the
 * process has (R14), bursts of one-way sends that fill a port's queue (R29).
 *
 *     char *yaml = sim_gen_scenario(seed, &opt);   // malloc'd YAML text
 *
 * Every generated text loads (sim_gen_test checks 10^5 seeds), and the same
 * seed and options give the same bytes on any machine. sim_gen_expect then
 * writes the model's allowed outcomes into it as ordinary `expect:` lines
 * (sim_allowed.h), so a generated scenario is a self-contained regression
 * test that `portsim run` and `portsim conform` accept.
 */
#ifndef SIM_GEN_H
#define SIM_GEN_H

#include "sim_allowed.h"

/* The features a seed may draw (swarm). One bit each. */
#define SIM_GEN_FEATURES(X)                                                                        \
    X(QUEUE, "dispatch-queue delivery")                                                           \
    X(ONE_WAY, "one-way sends")                                                                   \
    X(WORK, "handlers that work for a while")                                                     \
    X(EDGE_TIMEOUTS, "timeouts at the boundaries (work, +-1ns, 0, negative, forever, nan)")        \
    X(INVALIDATE_SELF, "handlers that invalidate their port")                                     \
    X(CLIENT_INVALIDATE, "clients that invalidate their remote")                                  \
    X(SERVER_INVALIDATE, "servers that invalidate their port at the end")                         \
    X(HANDLER_CRASH, "handlers that crash their process")                                         \
    X(NESTED, "handlers that send on to another server")                                          \
    X(PROBES, "IsValid and GetName probes")                                                       \
    X(CALLBACKS, "invalidation callbacks")                                                        \
    X(NAMES, "names of 128 bytes, over 128 bytes, with NUL")                                      \
    X(THREADS, "clients with a second thread")                                                    \
    X(FAULTS, "crash and restart faults")                                                         \
    X(SETNAME, "SetName on live ports")                                                           \
    X(CONTEXT, "contexts with info, retain and release")                                          \
    X(DATA, "data of many sizes")                                                                 \
    X(DUPLICATE, "create_local again with a name the process has (the existing port, R14)")      \
    X(BURST, "clients that fill a port's queue first (R29), then maybe a send timed to it (R32)")

typedef enum sim_gen_feature {
#define SIM_GEN_ENUM(name, text) SIM_GEN_##name,
    SIM_GEN_FEATURES(SIM_GEN_ENUM)
#undef SIM_GEN_ENUM
    SIM_GEN_FEATURE_COUNT
} sim_gen_feature;

typedef struct sim_gen_options {
    uint32_t feature_mask; /* the features a seed may draw from (all: UINT32_MAX) */
    bool swarm;            /* each seed draws a subset (default); false: every allowed feature */
    uint32_t max_servers;  /* 1..4 (2) */
    uint32_t max_clients;  /* 1..6 (3) */
} sim_gen_options;

sim_gen_options sim_gen_options_default(void);
bool sim_gen_options_validate(const sim_gen_options *o);
const char *sim_gen_feature_name(uint32_t feature);  /* "QUEUE" -> "queue" style, static */
const char *sim_gen_feature_about(uint32_t feature); /* what it adds, static */

/* The features seed draws under o (a subset of o->feature_mask). */
uint32_t sim_gen_features_of(uint64_t seed, const sim_gen_options *o);

/* The scenario of a seed, as YAML text (malloc'd; NULL only without memory). */
char *sim_gen_scenario(uint64_t seed, const sim_gen_options *o);

/*
 * The model-run plan that decides a generated scenario's expectations, as
 * `portsim fuzz` makes it: the seed's random runs (explore of them) and,
 * with a tolerance, the late-host jitters at max(tolerance_ms, tolerance_pct %).
 * One copy, so benchmarks measure what the fuzzer does.
 */
sim_allowed_plan sim_gen_allowed_plan(uint64_t seed, uint32_t explore, uint8_t profile, double tolerance_ms,
                                      double tolerance_pct);

/*
 * The same text with the allowed outcomes of `allowed` (explored on the
 * loaded text, sc) written as `expect:` lines under each step that has a
 * result and ran: the values, and `runs:` when a step did not run the same
 * number of times in every run. malloc'd; NULL only without memory.
 */
char *sim_gen_expect(const char *yaml, const sim_scenario *sc, const sim_allowed_set *allowed);

/*
 * What `portsim fuzz` writes: explores sc with plan into *allowed
 * (sim_allowed_set_free, also on failure) and returns the text with the
 * allowed results written in as sim_gen_expect does and, from the same
 * runs, what returned calls gave besides their result when every returned
 * execution of the step in every run gave the same one: a send's `reply:`,
 * a create_local's `should_free_info:`, get_name's `name:`. NULL when the
 * model cannot run it (allowed->error says why) or without memory.
 */
char *sim_gen_annotate(const char *yaml, const sim_scenario *sc, const sim_allowed_plan *plan,
                       sim_allowed_set *allowed);

/* How sim_gen_annotate_load made the annotated scenario. */
typedef enum sim_gen_load_how {
    SIM_GEN_NOT_LOADED = 0, /* the text does not load (diag says why), or there is no text */
    SIM_GEN_BUILT = 1,      /* from the loaded original and the expectations, no second parse */
    SIM_GEN_LOADED = 2,     /* the text loaded (a case the direct way does not handle) */
} sim_gen_load_how;

/*
 * sim_gen_annotate, and the annotated text loaded as file into *annotated, as
 * sim_load_buffer(file, text) loads it: the same scenario, field by field (sim_gen_test
 * compares them over 2,000 seeds), made without parsing the text again where it can be
 * (*how SIM_GEN_BUILT: the original *sc, which the allowed sets are explored on, becomes
 * it: *sc is left empty), else loaded (SIM_GEN_LOADED; *sc unchanged). When the text does
 * not load, *how is SIM_GEN_NOT_LOADED, diag has the loader's errors and *annotated is
 * empty. Returns the text as sim_gen_annotate does (NULL: allowed->error says why).
 */
char *sim_gen_annotate_load(const char *yaml, sim_scenario *sc, const sim_allowed_plan *plan,
                            sim_allowed_set *allowed, const char *file, sim_scenario *annotated,
                            sim_diag *diag, sim_gen_load_how *how);

#endif /* SIM_GEN_H */
