/* base_alloc.c — see base_alloc.h. */
#include "base_alloc.h"

#include <assert.h>
#include <stdlib.h>

/* Why: every size computed from a count read from input must be checked before malloc. */
bool base_mul_size(size_t a, size_t b, size_t *out)
{
    assert(out != NULL);
    if (b != 0 && a > SIZE_MAX / b) return false;
    *out = a * b;
    assert(b == 0 || *out / b == a);
    return true;
}

/* Why: realloc(p, n * size) overflows silently; this is the checked form everyone uses. */
void *base_realloc_array(void *ptr, size_t count, size_t item_size)
{
    assert(item_size > 0);
    size_t bytes = 0;
    if (count == 0 || !base_mul_size(count, item_size, &bytes)) return NULL;
    return realloc(ptr, bytes);
}

/* Why: the doubling loop (start, double, check the overflow, realloc, keep the old array on
 * failure) was written again in each growable array; one copy gets the checks right. */
void *base_grow_array(void *items, uint32_t *capacity, uint32_t need, uint32_t initial,
                      size_t item_size)
{
    assert(capacity != NULL);
    assert(initial > 0);
    assert(item_size > 0 && (items != NULL || *capacity == 0));
    if (need <= *capacity && items != NULL) return items;
    uint64_t cap = *capacity ? *capacity : initial;
    while (cap < need) cap *= 2;
    if (cap > UINT32_MAX) cap = UINT32_MAX; /* the last step stops at the bound, still >= need */
    void *grown = base_realloc_array(items, (size_t)cap, item_size);
    if (grown == NULL) return NULL;
    *capacity = (uint32_t)cap;
    return grown;
}

/* Why: core/ takes its memory through a lua_Alloc-style callback; sim/, the benchmarks and the
 * agents all hand it the heap, through this one adapter. */
void *base_libc_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    assert(ctx == NULL); /* a plain heap: callers hand it no context */
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}
