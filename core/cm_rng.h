/*
 * cm_rng.h — a small seeded PRNG (xoshiro256**, seeded by splitmix64).
 * Pure: the state is a value the caller owns. Same seed, same sequence,
 * on every machine.
 */
#ifndef CM_RNG_H
#define CM_RNG_H

#include <stdint.h>

typedef struct cm_rng {
    uint64_t s[4];
} cm_rng;

void cm_rng_seed(cm_rng *rng, uint64_t seed);
uint64_t cm_rng_next(cm_rng *rng);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t cm_rng_below(cm_rng *rng, uint64_t bound);

#endif /* CM_RNG_H */
