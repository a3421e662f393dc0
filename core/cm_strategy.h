/*
 * cm_strategy.h — choice points and the strategies that decide them.
 *
 * Wherever more than one thing could happen next, the world asks its
 * strategy. Options are listed in a canonical order; option 0 is what the
 * canonical `fifo` strategy takes. Kinds:
 *   CM_CHOICE_NEXT    which runnable thread, or which due world event
 *                     (fault, message becoming visible, death notice, name
 *                     release), goes next at this instant;
 *   CM_CHOICE_SOURCE  which ready source a run loop services (R42: a port
 *                     set hands out one message per wake-up);
 *   CM_CHOICE_LATENCY the delivery latency of a message, when the world was
 *                     configured with explore_latency: option 0 is the
 *                     profile's hop latency, then t-1ns, t, t+1ns for each
 *                     pending deadline t.
 * A strategy returns an index below choice->count. It must be a pure
 * function of its own state and the choice (and may read the world through
 * the const pointer, e.g. cm_world_state_hash), so runs replay exactly.
 */
#ifndef CM_STRATEGY_H
#define CM_STRATEGY_H

#include "cm_rng.h"
#include "cm_types.h"

struct cm_world;

typedef enum cm_choice_kind {
    CM_CHOICE_NEXT = 1,
    CM_CHOICE_SOURCE = 2,
    CM_CHOICE_LATENCY = 3,
} cm_choice_kind;

typedef enum cm_actor_kind {
    CM_ACTOR_THREAD = 1, /* process, thread */
    CM_ACTOR_EVENT = 2,  /* value = world event kind */
    CM_ACTOR_SOURCE = 3, /* value = kernel port */
    CM_ACTOR_LATENCY = 4, /* value = latency ns */
} cm_actor_kind;

typedef struct cm_choice_option {
    uint8_t actor;    /* cm_actor_kind */
    uint16_t process;
    uint16_t thread;
    int64_t value;
} cm_choice_option;

typedef struct cm_choice {
    uint8_t kind; /* cm_choice_kind */
    uint32_t count; /* >= 2 */
    const cm_choice_option *options;
    cm_time_ns now_ns;
    uint64_t ordinal; /* 0, 1, 2, ... per run */
    const struct cm_world *world;
} cm_choice;

typedef struct cm_strategy {
    const char *name;
    uint32_t (*choose)(void *ctx, const cm_choice *choice);
} cm_strategy;

/* Always option 0: the canonical order. ctx unused. */
extern const cm_strategy cm_strategy_fifo;
/* Uniformly random option. ctx: a seeded cm_rng. */
extern const cm_strategy cm_strategy_random;

#endif /* CM_STRATEGY_H */
