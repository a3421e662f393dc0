/*
 * cm_strategy.c — the two strategies that belong to the core: the
 * canonical `fifo` and the seeded `random`. (The simulator adds pct,
 * exhaustive and replay.)
 */
#include "cm_strategy.h"

#include <assert.h>

static uint32_t fifo_choose(void *ctx, const cm_choice *choice)
{
    (void)ctx;
    assert(choice->count >= 2);
    return 0;
}

static uint32_t random_choose(void *ctx, const cm_choice *choice)
{
    assert(ctx != NULL && choice->count >= 2);
    return (uint32_t)cm_rng_below((cm_rng *)ctx, choice->count);
}

const cm_strategy cm_strategy_fifo = {.name = "fifo", .choose = fifo_choose};
const cm_strategy cm_strategy_random = {.name = "random", .choose = random_choose};
