/*
 * base_buf.h — a growable text and byte buffer with a size cap (prefix
 * base_buf_): reports, trace lines, diagnostics, protocol lines.
 *
 * Errors are sticky: once an append fails (out of memory, or the text
 * would pass max_bytes) the buffer is marked failed and later appends do
 * nothing, so a writer appends freely and checks once at the end
 * (b->failed, or base_buf_take returning NULL). base_buf_clear starts
 * afresh, failure included.
 *
 * Ownership: the buffer owns its data (base_buf_fini, or base_buf_take
 * hands it over). Not thread-safe; keeps no pointer to caller memory.
 */
#ifndef BASE_BUF_H
#define BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BASE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define BASE_PRINTF(fmt, args)
#endif

typedef struct base_buf {
    char *data; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t capacity;
    size_t max_bytes; /* len never passes it; 0: no cap */
    bool failed;
} base_buf;

/* An empty buffer holding at most max_bytes bytes (0: no cap). Allocates nothing yet. */
void base_buf_init(base_buf *b, size_t max_bytes);
/* Releases the memory; the buffer is empty after (its cap kept), ready for reuse. */
void base_buf_fini(base_buf *b);
/* Empties the buffer (keeping its memory) and clears a failure. */
void base_buf_clear(base_buf *b);
/* Room for extra more bytes and the NUL; false (and failed) when out of memory or past the cap. */
bool base_buf_reserve(base_buf *b, size_t extra);
void base_buf_append(base_buf *b, const void *bytes, size_t n);
void base_buf_puts(base_buf *b, const char *s);
void base_buf_printf(base_buf *b, const char *fmt, ...) BASE_PRINTF(2, 3);
void base_buf_vprintf(base_buf *b, const char *fmt, va_list ap) BASE_PRINTF(2, 0);
/* Bytes as a quoted string; unprintable and non-ASCII bytes as \xNN; "..." after max_shown. */
void base_buf_quote_bytes(base_buf *b, const uint8_t *bytes, size_t size, size_t max_shown);
/* Hands the text over (malloc'd, "" when empty; NULL when failed or out of memory); b is
 * empty after, its cap kept. */
char *base_buf_take(base_buf *b);
/* The text so far ("" when empty); valid until the next append. */
const char *base_buf_str(const base_buf *b);

/* Writes a one-line reason into err[0..cap) (cut to fit; nothing when err is NULL or cap 0)
 * and returns false, so a failing check reads `return base_errorf(err, cap, "...", ...)`. */
bool base_errorf(char *err, size_t cap, const char *fmt, ...) BASE_PRINTF(3, 4);

#endif /* BASE_BUF_H */
