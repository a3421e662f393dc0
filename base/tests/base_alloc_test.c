/* base_alloc_test.c — checked growth: overflow refused, the old array kept on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base_alloc.h"

/* Products that do not fit size_t are refused, and *out is left as it was. */
static void test_mul_size_refuses_overflow(void **state)
{
    (void)state;
    size_t out = 7;
    assert_false(base_mul_size(SIZE_MAX / 2 + 1, 2, &out));
    assert_int_equal(out, 7);
    assert_true(base_mul_size(SIZE_MAX / 2, 2, &out));
    assert_int_equal(out, SIZE_MAX - 1);
    assert_true(base_mul_size(0, SIZE_MAX, &out));
    assert_int_equal(out, 0);
}

/* The array doubles from its first capacity, keeps its items, and stops at UINT32_MAX items. */
static void test_grow_array_doubles_and_keeps_items(void **state)
{
    (void)state;
    uint32_t cap = 0;
    int *items = base_grow_array(NULL, &cap, 1, 4, sizeof *items);
    assert_non_null(items);
    assert_int_equal(cap, 4);
    for (int i = 0; i < 4; i++) items[i] = i * 10;
    int *same = base_grow_array(items, &cap, 4, 4, sizeof *items);
    assert_ptr_equal(same, items); /* room enough: nothing moves */
    items = base_grow_array(items, &cap, 5, 4, sizeof *items);
    assert_non_null(items);
    assert_int_equal(cap, 8);
    items = base_grow_array(items, &cap, 33, 4, sizeof *items);
    assert_int_equal(cap, 64);
    assert_int_equal(items[3], 30);
    free(items);
}

/* Sizes past SIZE_MAX bytes are refused with the array and its capacity unchanged. */
static void test_grow_array_refuses_overflow(void **state)
{
    (void)state;
    uint32_t cap = 2;
    char *items = malloc(2 * 64);
    assert_non_null(items);
    memset(items, 'x', 2 * 64);
    size_t huge = SIZE_MAX / 3; /* 4 of them overflow */
    assert_null(base_grow_array(items, &cap, 3, 2, huge));
    assert_int_equal(cap, 2);
    assert_int_equal(items[127], 'x');
    assert_null(base_realloc_array(items, 2, SIZE_MAX));
    free(items);
}

/* The core's allocator signature: allocates, resizes, and frees at size 0. */
static void test_libc_realloc_adapter(void **state)
{
    (void)state;
    char *p = base_libc_realloc(NULL, NULL, 0, 16);
    assert_non_null(p);
    memcpy(p, "0123456789abcdef", 16);
    p = base_libc_realloc(NULL, p, 16, 4096);
    assert_non_null(p);
    assert_memory_equal(p, "0123456789abcdef", 16);
    assert_null(base_libc_realloc(NULL, p, 4096, 0)); /* freed: memcheck sees no leak */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mul_size_refuses_overflow),
        cmocka_unit_test(test_grow_array_doubles_and_keeps_items),
        cmocka_unit_test(test_grow_array_refuses_overflow),
        cmocka_unit_test(test_libc_realloc_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
