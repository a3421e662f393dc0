/* base_utf8.c — see base_utf8.h. */
#include "base_utf8.h"

/* Why: a whole-buffer check (libcfmp's strings, tests) without each caller writing the loop. */
bool base_utf8_valid(const uint8_t *bytes, size_t len, size_t *bad_offset, size_t *utf16_units)
{
    assert(bytes != NULL || len == 0);
    size_t units = 0;
    size_t i = 0;
    while (i < len) { /* every turn advances by 1-4 */
        uint32_t cp = 0;
        size_t n = base_utf8_decode(bytes + i, len - i, &cp);
        if (n == 0) {
            if (bad_offset != NULL) *bad_offset = i;
            return false;
        }
        units += cp > 0xFFFFu ? 2 : 1;
        i += n;
    }
    assert(i == len);
    if (utf16_units != NULL) *utf16_units = units;
    return true;
}
