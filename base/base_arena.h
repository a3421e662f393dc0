/*
 * base_arena.h — an arena (prefix base_arena_): many small zeroed,
 * 16-byte aligned allocations, freed all at once, with an optional bound on
 * the bytes handed out. Scenario trees, observation records, protocol steps
 * and the agents' state live in one.
 *
 * Ownership: the arena owns every block it handed out (base_arena_fini).
 * Not thread-safe; keeps no pointer to caller memory.
 */
#ifndef BASE_ARENA_H
#define BASE_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#define BASE_ARENA_CHUNK_BYTES ((size_t)64 * 1024)
#define BASE_ARENA_ALIGN ((size_t)16)

typedef struct base_arena_chunk base_arena_chunk;

typedef struct base_arena {
    base_arena_chunk *head;
    size_t used_bytes;  /* total handed out (rounded up to the alignment) */
    size_t limit_bytes; /* used_bytes never passes it; 0: no limit */
    bool failed;        /* an allocation failed at least once */
} base_arena;

/* An empty arena; limit_bytes 0 for none. Allocates nothing yet. */
void base_arena_init(base_arena *a, size_t limit_bytes);
void base_arena_fini(base_arena *a);
/* Empties the arena for reuse: keeps one chunk, frees the others (the limit stays). */
void base_arena_reset(base_arena *a);
/* Zeroed, 16-byte aligned memory, or NULL (and a->failed) when out of memory or past the limit. */
void *base_arena_alloc(base_arena *a, size_t size);
/* Copies size bytes and adds a NUL (so text can be used as a C string); NULL as above. */
char *base_arena_strndup(base_arena *a, const char *s, size_t size);
char *base_arena_strdup(base_arena *a, const char *s);

#endif /* BASE_ARENA_H */
