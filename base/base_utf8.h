/*
 * base_utf8.h — strict UTF-8 (prefix base_utf8_): the one decoder every
 * layer uses, for checking scenario files and protocol lines, escaping JSON
 * and reports, and libcfmp's strings.
 *
 * Strict means RFC 3629: shortest form only (no overlongs, so no C0/C1
 * leads), no surrogates (U+D800-U+DFFF), nothing above U+10FFFF. The
 * decoder is `static inline` because its callers run it once per character
 * in their tight loops (JSON escaping, byte checks of 1 MiB files).
 *
 * Reading stops at the first byte that is not a continuation byte, and NUL
 * is never one, so a NUL-terminated string may be decoded with a `left`
 * larger than what remains: no byte past the NUL is read.
 *
 * Everything but base_utf8_valid is in this header: libcfmp, a shared
 * library, uses the decoder and encoder without linking base/.
 */
#ifndef BASE_UTF8_H
#define BASE_UTF8_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BASE_UTF8_MAX_BYTES 4u /* the longest sequence */

/*
 * Why: one decoder, so that a byte is valid UTF-8 in every layer or in none.
 * Decodes the character at p (at most left bytes): its length 1-4 and *cp,
 * or 0 when the bytes there are not a strict UTF-8 sequence (*cp untouched).
 */
static inline size_t base_utf8_decode(const uint8_t *p, size_t left, uint32_t *cp)
{
    assert(p != NULL);
    assert(left > 0);
    assert(cp != NULL);
    uint8_t b = p[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t n;
    uint32_t c;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2, c = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3, c = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4, c = b & 0x07u;
    } else {
        return 0; /* a continuation byte, C0/C1 (always overlong) or F5-FF (past U+10FFFF) */
    }
    for (size_t i = 1; i < n; i++) { /* in order: a NUL or the end stops it */
        if (i >= left || (p[i] & 0xC0u) != 0x80u) return 0;
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && c < 0x800u) || (n == 4 && c < 0x10000u)) return 0; /* overlong */
    if (c > 0x10FFFFu || (c >= 0xD800u && c <= 0xDFFFu)) return 0;
    *cp = c;
    return n;
}

/*
 * Why: most callers only need to know how far a valid character reaches
 * (to copy it whole), not its value. The length of the strict UTF-8
 * character at p, or 0 when invalid.
 */
static inline size_t base_utf8_len(const uint8_t *p, size_t left)
{
    assert(p != NULL);
    assert(left > 0);
    uint32_t cp = 0;
    size_t n = base_utf8_decode(p, left, &cp);
    assert(n <= BASE_UTF8_MAX_BYTES);
    return n;
}

/*
 * Why: libcfmp converts UTF-16 and UTF-32 to UTF-8; one encoder to match the one decoder
 * (inline, so libcfmp, a shared library, takes it without linking base/).
 * Writes cp (a Unicode scalar value: not a surrogate, at most U+10FFFF) as UTF-8 into out;
 * returns the byte count (1-4).
 */
static inline size_t base_utf8_encode(uint32_t cp, uint8_t out[BASE_UTF8_MAX_BYTES])
{
    assert(cp <= 0x10FFFFu && (cp < 0xD800u || cp > 0xDFFFu));
    assert(out != NULL);
    if (cp < 0x80u) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800u) {
        out[0] = (uint8_t)(0xC0u | (cp >> 6));
        out[1] = (uint8_t)(0x80u | (cp & 0x3Fu));
        return 2;
    }
    if (cp < 0x10000u) {
        out[0] = (uint8_t)(0xE0u | (cp >> 12));
        out[1] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
        out[2] = (uint8_t)(0x80u | (cp & 0x3Fu));
        return 3;
    }
    out[0] = (uint8_t)(0xF0u | (cp >> 18));
    out[1] = (uint8_t)(0x80u | ((cp >> 12) & 0x3Fu));
    out[2] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
    out[3] = (uint8_t)(0x80u | (cp & 0x3Fu));
    return 4;
}

/*
 * Whether bytes[0..len) is strict UTF-8 throughout (NUL bytes included as
 * characters). On false, *bad_offset (if not NULL) is the offset of the
 * first byte that starts no valid character. *utf16_units (if not NULL)
 * is the length in UTF-16 code units, set on true.
 */
bool base_utf8_valid(const uint8_t *bytes, size_t len, size_t *bad_offset, size_t *utf16_units);

#endif /* BASE_UTF8_H */
