/* sim_util.c — see sim_util.h. */
#include "sim_util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base_alloc.h"
#include "cm_types.h"

/* ---- diagnostics ------------------------------------------------------- */

void sim_diag_init(sim_diag *d, const char *file)
{
    memset(d, 0, sizeof *d);
    d->file = sim_strdup(file != NULL ? file : "<input>");
    d->limit = SIM_DIAG_LIMIT_DEFAULT;
}

void sim_diag_fini(sim_diag *d)
{
    for (uint32_t i = 0; i < d->count; i++) free(d->entries[i].message);
    free(d->entries);
    free(d->file);
    memset(d, 0, sizeof *d);
}

void sim_diag_verror(sim_diag *d, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    if (d->count >= d->limit) {
        d->dropped++;
        return;
    }
    if (d->count == d->capacity) {
        sim_diag_entry *entries =
            base_grow_array(d->entries, &d->capacity, d->count + 1, 8, sizeof *entries);
        if (entries == NULL) {
            d->dropped++;
            return;
        }
        d->entries = entries;
    }
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    sim_diag_entry *e = &d->entries[d->count];
    e->line = line ? line : 1;
    e->col = col ? col : 1;
    e->order = d->count;
    e->message = sim_strdup(text);
    if (e->message == NULL) {
        d->dropped++;
        return;
    }
    d->count++;
}

void sim_diag_error(sim_diag *d, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sim_diag_verror(d, line, col, fmt, ap);
    va_end(ap);
}

uint32_t sim_diag_total(const sim_diag *d)
{
    return d->count + d->dropped;
}

static int entry_cmp(const void *x, const void *y)
{
    const sim_diag_entry *a = x, *b = y;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->col != b->col) return a->col < b->col ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

void sim_diag_sort(sim_diag *d)
{
    if (d->count > 1) qsort(d->entries, d->count, sizeof *d->entries, entry_cmp);
}

void sim_diag_print(const sim_diag *d, FILE *out)
{
    for (uint32_t i = 0; i < d->count; i++) {
        const sim_diag_entry *e = &d->entries[i];
        fprintf(out, "%s:%u:%u: error: %s\n", d->file, e->line, e->col, e->message);
    }
    if (d->dropped > 0) {
        fprintf(out, "%s: error: %u more error(s) not shown\n", d->file, d->dropped);
    }
}

char *sim_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p != NULL) memcpy(p, s, n + 1);
    return p;
}

bool sim_strv_push(char ***items, uint32_t *count, const char *text)
{
    char **grown = realloc(*items, ((size_t)*count + 1) * sizeof *grown);
    if (grown == NULL) return false;
    *items = grown;
    grown[*count] = sim_strdup(text);
    if (grown[*count] == NULL) return false;
    (*count)++;
    return true;
}

void sim_strv_free(char **items, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) free(items[i]);
    free(items);
}

char *sim_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p != NULL) vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void sim_format_duration(int64_t ns, char *buf, size_t cap)
{
    assert(cap >= 32);
    if (ns == CM_DURATION_FOREVER) {
        snprintf(buf, cap, "forever");
        return;
    }
    if (ns == CM_DURATION_NAN) {
        snprintf(buf, cap, "nan");
        return;
    }
    static const struct {
        int64_t per;
        const char *unit;
    } units[] = {{INT64_C(1000000000), "s"}, {INT64_C(1000000), "ms"}, {INT64_C(1000), "us"}};
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    const char *sign = ns < 0 ? "-" : "";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t per = (uint64_t)units[i].per;
        if (mag < per) continue;
        uint64_t whole = mag / per, frac = mag % per;
        if (frac == 0) {
            snprintf(buf, cap, "%s%llu%s", sign, (unsigned long long)whole, units[i].unit);
            return;
        }
        /* exact decimal, trailing zeros trimmed */
        char digits[24];
        int width = i == 0 ? 9 : (i == 1 ? 6 : 3);
        snprintf(digits, sizeof digits, "%0*llu", width, (unsigned long long)frac);
        size_t n = strlen(digits);
        while (n > 0 && digits[n - 1] == '0') digits[--n] = '\0';
        snprintf(buf, cap, "%s%llu.%s%s", sign, (unsigned long long)whole, digits, units[i].unit);
        return;
    }
    snprintf(buf, cap, "%s%lluns", sign, (unsigned long long)mag);
}

void sim_format_margin(int64_t ns, char *buf, size_t cap)
{
    assert(cap >= 33 && ns != INT64_MIN);
    buf[0] = ns < 0 ? '-' : '+';
    sim_format_duration(ns < 0 ? -ns : ns, buf + 1, cap - 1);
}

/* Levenshtein distance of two short strings (NUL-terminated, each cut at 63 bytes). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63) n = 63;
    if (m > 63) m = 63;
    size_t row[64];
    for (size_t j = 0; j <= m; j++) row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = up;
        }
    }
    assert(row[m] <= (n > m ? n : m));
    return row[m];
}

const char *sim_closest_word(const char *text, const char *const *words, size_t count)
{
    assert(text != NULL && (words != NULL || count == 0));
    size_t len = strlen(text);
    size_t allowed = len < 3 ? 1 : len < 6 ? 2 : len / 3;
    const char *best = NULL;
    size_t best_distance = allowed + 1;
    for (size_t i = 0; i < count; i++) {
        if (words[i] == NULL) continue;
        size_t d = edit_distance(text, words[i]);
        if (d < best_distance) {
            best = words[i];
            best_distance = d;
        }
    }
    return best_distance <= allowed && best_distance > 0 ? best : NULL;
}
