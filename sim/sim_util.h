/*
 * sim_util.h — small building blocks of the simulator (prefix sim_): a
 * list of located diagnostics, string lists, "did you mean", durations as
 * text. The arena and the text buffer are base/'s (base_arena.h,
 * base_buf.h), included here for sim/'s files.
 *
 * Ownership: each struct owns everything it allocated; the matching
 * *_fini / *_free function releases it all. None is thread-safe; none
 * keeps a pointer to caller memory unless its comment says so.
 */
#ifndef SIM_UTIL_H
#define SIM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base_arena.h"
#include "base_buf.h"

#define SIM_NONE UINT32_MAX

#if defined(__GNUC__)
#define SIM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SIM_PRINTF(fmt, args)
#endif

/* ---- diagnostics: file:line:col: error: message ------------------------- */

typedef struct sim_diag_entry {
    uint32_t line;
    uint32_t col;
    uint32_t order; /* emission order, for a stable sort */
    char *message;  /* owned */
} sim_diag_entry;

typedef struct sim_diag {
    char *file; /* owned copy of the file name the entries refer to */
    sim_diag_entry *entries;
    uint32_t count;
    uint32_t capacity;
    uint32_t limit;    /* entries kept; later ones are only counted */
    uint32_t dropped;  /* errors beyond the limit */
} sim_diag;

#define SIM_DIAG_LIMIT_DEFAULT 100u

void sim_diag_init(sim_diag *d, const char *file);
void sim_diag_fini(sim_diag *d);
void sim_diag_error(sim_diag *d, uint32_t line, uint32_t col, const char *fmt, ...)
    SIM_PRINTF(4, 5);
void sim_diag_verror(sim_diag *d, uint32_t line, uint32_t col, const char *fmt, va_list ap)
    SIM_PRINTF(4, 0);
uint32_t sim_diag_total(const sim_diag *d);
/* Sorts by (line, col, emission order). */
void sim_diag_sort(sim_diag *d);
/* Prints every entry as "file:line:col: error: message\n". */
void sim_diag_print(const sim_diag *d, FILE *out);

/* malloc'd copy of a printf result, or NULL when out of memory. */
char *sim_strdup_printf(const char *fmt, ...) SIM_PRINTF(1, 2);
char *sim_strdup(const char *s);

/* A growable list of malloc'd strings: appends a copy of text (false when out of memory,
 * the list unchanged); frees every string and the list. */
bool sim_strv_push(char ***items, uint32_t *count, const char *text);
void sim_strv_free(char **items, uint32_t count);

/*
 * The word of words[0..count) closest to text by edit distance, if close
 * enough to be a typo (1 edit for words under 3 characters, 2 under 6, a
 * third of the length beyond); NULL otherwise. For "did you mean ...?".
 */
const char *sim_closest_word(const char *text, const char *const *words, size_t count);

/* Durations as text: "1.5ms", "2s", "forever", "nan". buf >= 32 bytes. */
void sim_format_duration(int64_t ns, char *buf, size_t cap);
/* A signed distance to a deadline, always with its sign: "+150us", "-3ms". buf >= 33 bytes. */
void sim_format_margin(int64_t ns, char *buf, size_t cap);

#endif /* SIM_UTIL_H */
