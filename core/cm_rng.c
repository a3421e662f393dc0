/*
 * cm_rng.c — xoshiro256** (Blackman and Vigna), seeded with splitmix64.
 */
#include "cm_rng.h"

#include <assert.h>
#include <stddef.h>

static uint64_t splitmix64(uint64_t *x)
{
    assert(x != NULL);
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void cm_rng_seed(cm_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

uint64_t cm_rng_next(cm_rng *rng)
{
    assert(rng != NULL);
    assert((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0); /* xoshiro's one dead state */
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t cm_rng_below(cm_rng *rng, uint64_t bound)
{
    assert(rng != NULL);
    assert(bound > 0);
    uint64_t threshold = (0 - bound) % bound; /* reject the biased low values */
    for (;;) {
        uint64_t r = cm_rng_next(rng);
        if (r >= threshold) return r % bound;
    }
}
