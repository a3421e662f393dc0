/* base_buf.c — see base_buf.h. */
#include "base_buf.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_FIRST_CAPACITY ((size_t)64)

/* Why: a buffer must cost nothing until written (most hold a line or two). */
void base_buf_init(base_buf *b, size_t max_bytes)
{
    assert(b != NULL);
    memset(b, 0, sizeof *b);
    b->max_bytes = max_bytes;
    assert(b->data == NULL && b->len == 0);
}

/* Why: the one place a buffer's memory is released. */
void base_buf_fini(base_buf *b)
{
    assert(b != NULL);
    assert(b->len <= b->capacity);
    free(b->data);
    size_t max_bytes = b->max_bytes;
    memset(b, 0, sizeof *b);
    b->max_bytes = max_bytes;
}

/* Why: writers reuse one buffer per line or per report; clearing keeps its memory. */
void base_buf_clear(base_buf *b)
{
    assert(b != NULL);
    assert(b->len <= b->capacity);
    b->len = 0;
    b->failed = false;
    if (b->data != NULL) b->data[0] = '\0';
}

/* Why: the single growth path, where the cap and size_t overflow are checked. */
bool base_buf_reserve(base_buf *b, size_t extra)
{
    assert(b != NULL);
    assert(b->len <= b->capacity);
    assert(b->max_bytes == 0 || b->len <= b->max_bytes);
    if (b->failed) return false;
    if (extra > SIZE_MAX - 1 - b->len || (b->max_bytes != 0 && extra > b->max_bytes - b->len)) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->capacity) return true;
    size_t capacity = b->capacity ? b->capacity : BUF_FIRST_CAPACITY;
    while (capacity < need) {
        if (capacity > SIZE_MAX / 2) {
            capacity = need;
            break;
        }
        capacity *= 2;
    }
    char *data = realloc(b->data, capacity);
    if (data == NULL) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->capacity = capacity;
    return true;
}

/* Why: the primitive every other append goes through. */
void base_buf_append(base_buf *b, const void *bytes, size_t n)
{
    assert(b != NULL);
    assert(bytes != NULL || n == 0);
    if (!base_buf_reserve(b, n)) return;
    if (n > 0) memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Why: most appends are C strings. */
void base_buf_puts(base_buf *b, const char *s)
{
    assert(b != NULL);
    assert(s != NULL);
    base_buf_append(b, s, strlen(s));
}

/* Why: formatted text straight into the buffer, measured first so nothing is cut. */
void base_buf_vprintf(base_buf *b, const char *fmt, va_list ap)
{
    assert(b != NULL);
    assert(fmt != NULL);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n >= 0 && base_buf_reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    } else if (n < 0) {
        b->failed = true;
    }
    va_end(ap2);
}

/* Why: printf-style convenience over base_buf_vprintf. */
void base_buf_printf(base_buf *b, const char *fmt, ...)
{
    assert(b != NULL);
    assert(fmt != NULL);
    va_list ap;
    va_start(ap, fmt);
    base_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Why: data bytes are shown to people (traces, diagrams) in one form that is always ASCII. */
void base_buf_quote_bytes(base_buf *b, const uint8_t *bytes, size_t size, size_t max_shown)
{
    assert(b != NULL);
    assert(bytes != NULL || size == 0);
    static const char hex[] = "0123456789abcdef";
    base_buf_append(b, "\"", 1);
    for (size_t i = 0; i < size && i < max_shown; i++) {
        uint8_t c = bytes[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            char ch = (char)c;
            base_buf_append(b, &ch, 1);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            base_buf_append(b, esc, 4);
        }
    }
    if (size > max_shown) base_buf_puts(b, "...");
    base_buf_append(b, "\"", 1);
}

/* Why: results keep their text as plain malloc'd strings; taking avoids a copy. */
char *base_buf_take(base_buf *b)
{
    assert(b != NULL);
    assert(b->len <= b->capacity);
    if (b->failed) {
        base_buf_fini(b);
        return NULL;
    }
    if (b->data == NULL) {
        char *empty = malloc(1);
        if (empty != NULL) empty[0] = '\0';
        return empty;
    }
    char *data = b->data;
    size_t max_bytes = b->max_bytes;
    memset(b, 0, sizeof *b);
    b->max_bytes = max_bytes;
    return data;
}

/* Why: readers want a C string even from a buffer never written. */
const char *base_buf_str(const base_buf *b)
{
    assert(b != NULL);
    assert(b->data != NULL || b->len == 0);
    return b->data != NULL ? b->data : "";
}

/* Why: decoders report why they refused input into the caller's fixed buffer, never failing. */
bool base_errorf(char *err, size_t cap, const char *fmt, ...)
{
    assert(fmt != NULL);
    if (err != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return false;
}
