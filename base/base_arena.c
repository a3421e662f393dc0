/* base_arena.c — see base_arena.h. */
#include "base_arena.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct base_arena_chunk {
    base_arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[]; /* BASE_ARENA_ALIGN */
};

_Static_assert(BASE_ARENA_ALIGN == 16, "the chunk's data is aligned for BASE_ARENA_ALIGN");

/* Why: an arena must start empty and cost nothing until used (most inputs are small). */
void base_arena_init(base_arena *a, size_t limit_bytes)
{
    assert(a != NULL);
    memset(a, 0, sizeof *a);
    a->limit_bytes = limit_bytes;
    assert(a->head == NULL && a->used_bytes == 0);
}

/* Why: the one place every chunk is freed, so owners release an arena in one call. */
void base_arena_fini(base_arena *a)
{
    assert(a != NULL);
    base_arena_chunk *c = a->head;
    while (c != NULL) {
        base_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof *a);
    assert(a->head == NULL);
}

/* Why: a run reuses its observation arena; keeping one chunk avoids a malloc per run. */
void base_arena_reset(base_arena *a)
{
    assert(a != NULL);
    base_arena_chunk *keep = a->head;
    if (keep != NULL) {
        base_arena_chunk *c = keep->next;
        while (c != NULL) {
            base_arena_chunk *next = c->next;
            free(c);
            c = next;
        }
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
    a->used_bytes = 0;
    a->failed = false;
    assert(a->head == NULL || a->head->next == NULL);
}

/* Why: hostile input decides how much is allocated, so every size is checked against overflow
 * and the arena's limit before any memory is touched. */
void *base_arena_alloc(base_arena *a, size_t size)
{
    assert(a != NULL);
    assert(a->head == NULL || a->head->used <= a->head->size);
    size_t need = (size + BASE_ARENA_ALIGN - 1) & ~(BASE_ARENA_ALIGN - 1);
    if (need < size || (a->limit_bytes != 0 && need > a->limit_bytes - a->used_bytes)) {
        a->failed = true;
        return NULL;
    }
    if (need == 0) need = BASE_ARENA_ALIGN;
    base_arena_chunk *c = a->head;
    if (c == NULL || c->size - c->used < need) {
        size_t body = need > BASE_ARENA_CHUNK_BYTES ? need : BASE_ARENA_CHUNK_BYTES;
        if (body > SIZE_MAX - sizeof *c) {
            a->failed = true;
            return NULL;
        }
        c = malloc(sizeof *c + body);
        if (c == NULL) {
            a->failed = true;
            return NULL;
        }
        c->size = body;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    unsigned char *p = c->data + c->used;
    c->used += need;
    a->used_bytes += need;
    memset(p, 0, need);
    assert(((uintptr_t)p & (BASE_ARENA_ALIGN - 1)) == 0);
    return p;
}

/* Why: scalars and names are kept as C strings that may also hold NUL bytes (len known). */
char *base_arena_strndup(base_arena *a, const char *s, size_t size)
{
    assert(a != NULL);
    assert(s != NULL || size == 0);
    if (size == SIZE_MAX) {
        a->failed = true;
        return NULL;
    }
    char *p = base_arena_alloc(a, size + 1);
    if (p == NULL) return NULL;
    if (size > 0) memcpy(p, s, size);
    p[size] = '\0';
    return p;
}

/* Why: the common case of base_arena_strndup, a C string. */
char *base_arena_strdup(base_arena *a, const char *s)
{
    assert(a != NULL);
    assert(s != NULL);
    return base_arena_strndup(a, s, strlen(s));
}
