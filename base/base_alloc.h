/*
 * base_alloc.h — checked allocation (prefix base_): array growth with
 * overflow checks, and the libc realloc adapter of the (ctx, ptr, old_size,
 * new_size) allocator signature core/ takes as its cm_alloc.
 *
 * Every function leaves its input untouched when it fails (returns NULL or
 * false): callers keep what they had and report "out of memory".
 */
#ifndef BASE_ALLOC_H
#define BASE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * *out = a * b; false (and *out untouched) when that overflows size_t.
 */
bool base_mul_size(size_t a, size_t b, size_t *out);

/*
 * realloc of count items of item_size bytes, or NULL when the product
 * overflows or memory is out (ptr is then still valid and unchanged).
 * count 0 is an error too (NULL), not a free.
 */
void *base_realloc_array(void *ptr, size_t count, size_t item_size);

/*
 * Makes room for at least need items in items[*capacity]: the capacity
 * doubles from initial (> 0) until it holds need. Returns the array (maybe
 * moved) with *capacity updated, or NULL when the new capacity would pass
 * UINT32_MAX items or SIZE_MAX bytes or memory is out; then items and
 * *capacity are unchanged. need <= *capacity returns items as it is.
 */
void *base_grow_array(void *items, uint32_t *capacity, uint32_t need, uint32_t initial,
                      size_t item_size);

/*
 * The cm_alloc.realloc signature over libc: new_size 0 frees (and returns
 * NULL), ctx and old_size are unused. For code that hands core/ a plain
 * heap.
 */
void *base_libc_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size);

#endif /* BASE_ALLOC_H */
