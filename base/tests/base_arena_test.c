/* base_arena_test.c — the arena: zeroed aligned memory, its limit, reset and big blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base_arena.h"

/* Every allocation is zeroed and 16-byte aligned, also across chunks. */
static void test_allocations_are_zeroed_and_aligned(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a, 0);
    for (size_t i = 0; i < 3000; i++) {
        unsigned char *p = base_arena_alloc(&a, 1 + i % 97);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % BASE_ARENA_ALIGN, 0);
        for (size_t k = 0; k < 1 + i % 97; k++) assert_int_equal(p[k], 0);
        memset(p, 0xAB, 1 + i % 97); /* memcheck: inside the block */
    }
    unsigned char *big = base_arena_alloc(&a, 3 * BASE_ARENA_CHUNK_BYTES); /* its own chunk */
    assert_non_null(big);
    big[3 * BASE_ARENA_CHUNK_BYTES - 1] = 1;
    assert_false(a.failed);
    base_arena_fini(&a);
    assert_null(a.head);
}

/* The limit refuses what would pass it, marks the arena failed, and keeps what was given. */
static void test_limit_is_never_passed(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a, 64);
    assert_non_null(base_arena_alloc(&a, 48));
    assert_non_null(base_arena_alloc(&a, 16));
    assert_int_equal(a.used_bytes, 64);
    assert_false(a.failed);
    assert_null(base_arena_alloc(&a, 1));
    assert_true(a.failed);
    assert_null(base_arena_alloc(&a, SIZE_MAX)); /* rounding overflows: refused, no crash */
    base_arena_fini(&a);
}

/* Reset empties the arena for reuse and clears its failure; the limit stays. */
static void test_reset_reuses_the_arena(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a, 2 * BASE_ARENA_CHUNK_BYTES);
    assert_non_null(base_arena_alloc(&a, BASE_ARENA_CHUNK_BYTES));
    assert_non_null(base_arena_alloc(&a, BASE_ARENA_CHUNK_BYTES));
    assert_null(base_arena_alloc(&a, 16));
    base_arena_reset(&a);
    assert_false(a.failed);
    assert_int_equal(a.used_bytes, 0);
    assert_int_equal(a.limit_bytes, 2 * BASE_ARENA_CHUNK_BYTES);
    char *s = base_arena_strdup(&a, "again");
    assert_string_equal(s, "again");
    base_arena_fini(&a);
}

/* strndup keeps inner NUL bytes and terminates. */
static void test_strndup_copies_bytes_and_terminates(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a, 0);
    char *s = base_arena_strndup(&a, "a\0b", 3);
    assert_memory_equal(s, "a\0b\0", 4);
    char *e = base_arena_strndup(&a, NULL, 0);
    assert_string_equal(e, "");
    assert_null(base_arena_strndup(&a, "x", SIZE_MAX));
    base_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocations_are_zeroed_and_aligned),
        cmocka_unit_test(test_limit_is_never_passed),
        cmocka_unit_test(test_reset_reuses_the_arena),
        cmocka_unit_test(test_strndup_copies_bytes_and_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
