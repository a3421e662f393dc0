/*
 * sim_load_value.c — the loader's typed access to the YAML tree: mappings
 * with allowed keys, identifiers, integers, booleans, durations, data and
 * references. Each getter reports its own errors at the node.
 */
#include "sim_load_internal.h"
#include "base_alloc.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- interning table ----------------------------------------------------- */

void sim_strmap_init(sim_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void sim_strmap_fini(sim_strmap *m)
{
    free(m->keys);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static uint32_t hash_text(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

uint32_t sim_strmap_find(const sim_strmap *m, const char *key)
{
    if (m->slot_count == 0) return SIM_NONE;
    uint32_t mask = m->slot_count - 1;
    uint32_t i = hash_text(key) & mask;
    for (uint32_t probe = 0; probe < m->slot_count; probe++, i = (i + 1) & mask) {
        uint32_t v = m->slots[i];
        if (v == 0) return SIM_NONE;
        if (strcmp(m->keys[v - 1], key) == 0) return v - 1;
    }
    return SIM_NONE;
}

static bool strmap_grow(sim_strmap *m)
{
    uint32_t slot_count = m->slot_count ? m->slot_count * 2 : 64;
    uint32_t *slots = calloc(slot_count, sizeof *slots);
    if (slots == NULL) return false;
    for (uint32_t k = 0; k < m->count; k++) {
        uint32_t i = hash_text(m->keys[k]) & (slot_count - 1);
        while (slots[i] != 0) i = (i + 1) & (slot_count - 1);
        slots[i] = k + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->slot_count = slot_count;
    return true;
}

uint32_t sim_strmap_intern(sim_strmap *m, base_arena *arena, const char *key, bool *added)
{
    *added = false;
    uint32_t found = sim_strmap_find(m, key);
    if (found != SIM_NONE) return found;
    if ((m->count + 1) * 2 > m->slot_count && !strmap_grow(m)) return SIM_NONE;
    const char **keys = base_grow_array(m->keys, &m->key_capacity, m->count + 1, 16, sizeof *keys);
    if (keys == NULL) return SIM_NONE;
    m->keys = keys;
    const char *copy = base_arena_strdup(arena, key);
    if (copy == NULL) return SIM_NONE;
    uint32_t index = m->count++;
    m->keys[index] = copy;
    uint32_t i = hash_text(key) & (m->slot_count - 1);
    while (m->slots[i] != 0) i = (i + 1) & (m->slot_count - 1);
    m->slots[i] = index + 1;
    *added = true;
    return index;
}

/* ---- tree access --------------------------------------------------------- */

const sim_ynode *ld_node(const ld *L, uint32_t index)
{
    const sim_ynode *n = sim_ynode_at(L->doc, index);
    assert(n != NULL);
    return n;
}

sim_loc ld_loc(const ld *L, uint32_t index)
{
    const sim_ynode *n = sim_ynode_at(L->doc, index);
    return n != NULL ? (sim_loc){n->line, n->col} : (sim_loc){1, 1};
}

void ld_error_at(ld *L, sim_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sim_diag_verror(L->diag, loc.line, loc.col, fmt, ap);
    va_end(ap);
}

void ld_error(ld *L, uint32_t node, const char *fmt, ...)
{
    sim_loc loc = ld_loc(L, node);
    va_list ap;
    va_start(ap, fmt);
    sim_diag_verror(L->diag, loc.line, loc.col, fmt, ap);
    va_end(ap);
}

void ld_oom(ld *L)
{
    if (L->oom) return;
    L->oom = true;
    sim_diag_error(L->diag, 1, 1, "out of memory");
}

void *ld_alloc(ld *L, size_t size)
{
    void *p = base_arena_alloc(L->arena, size);
    if (p == NULL) ld_oom(L);
    return p;
}

bool ld_is_scalar(const ld *L, uint32_t node)
{
    return node != SIM_NONE && ld_node(L, node)->type == SIM_Y_SCALAR;
}

/* Plain `null`, `~` or nothing at all. */
bool ld_is_null(const ld *L, uint32_t node)
{
    if (node == SIM_NONE) return true;
    const sim_ynode *n = ld_node(L, node);
    if (n->type != SIM_Y_SCALAR || n->style != SIM_YS_PLAIN) return false;
    return n->len == 0 || strcmp(n->text, "null") == 0 || strcmp(n->text, "~") == 0;
}

bool ld_is_plain(const ld *L, uint32_t node, const char *word)
{
    if (node == SIM_NONE) return false;
    const sim_ynode *n = ld_node(L, node);
    return n->type == SIM_Y_SCALAR && n->style == SIM_YS_PLAIN && strcmp(n->text, word) == 0;
}

static const char *type_name(const ld *L, uint32_t node)
{
    const sim_ynode *n = ld_node(L, node);
    switch (n->type) {
    case SIM_Y_MAP: return "a mapping";
    case SIM_Y_SEQ: return "a list";
    default: return n->len == 0 && n->style == SIM_YS_PLAIN ? "nothing" : "a scalar";
    }
}

typedef struct key_ref {
    const char *text;
    size_t len;
    uint32_t node;
} key_ref;

static int key_cmp(const void *x, const void *y)
{
    const key_ref *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->text, b->text, n);
    if (c != 0) return c;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return a->node < b->node ? -1 : (a->node > b->node);
}

static bool key_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(allowed[i], key) == 0) return true;
    }
    return false;
}

static void report_unknown_key(ld *L, uint32_t key, const char *what, const char *const *allowed)
{
    base_buf list;
    base_buf_init(&list, 0);
    for (size_t i = 0; allowed[i] != NULL; i++) {
        base_buf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
    }
    ld_error(L, key, "unknown key '%s' in %s (expected one of: %s)", ld_node(L, key)->text,
             what, base_buf_str(&list));
    base_buf_fini(&list);
}

/* Duplicate keys, found by sorting (maps can be large). */
static bool check_duplicates(ld *L, uint32_t map)
{
    const sim_ynode *m = ld_node(L, map);
    uint32_t pairs = m->count / 2;
    if (pairs < 2) return true;
    key_ref *keys = malloc(pairs * sizeof *keys);
    if (keys == NULL) {
        ld_error(L, map, "out of memory");
        return false;
    }
    uint32_t n = 0;
    for (uint32_t k = m->first; k != SIM_NONE && n < pairs;) {
        const sim_ynode *key = ld_node(L, k);
        keys[n++] = (key_ref){.text = key->text ? key->text : "", .len = key->len, .node = k};
        uint32_t value = key->next;
        k = value == SIM_NONE ? SIM_NONE : ld_node(L, value)->next;
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    bool ok = true;
    for (uint32_t i = 1; i < n; i++) {
        if (keys[i].len == keys[i - 1].len && memcmp(keys[i].text, keys[i - 1].text, keys[i].len) == 0) {
            ld_error(L, keys[i].node, "duplicate key '%s'", keys[i].text);
            ok = false;
        }
    }
    free(keys);
    return ok;
}

bool ld_check_map(ld *L, uint32_t node, const char *what, const char *const *allowed)
{
    if (node == SIM_NONE) return false;
    const sim_ynode *m = ld_node(L, node);
    if (m->type != SIM_Y_MAP) {
        ld_error(L, node, "%s must be a mapping, not %s", what, type_name(L, node));
        return false;
    }
    bool readable = true; /* every key is a scalar whose text is a C string */
    for (uint32_t k = m->first; k != SIM_NONE;) {
        const sim_ynode *key = ld_node(L, k);
        uint32_t value = key->next;
        if (key->type != SIM_Y_SCALAR || key->text == NULL) {
            /* the tree refuses these already (sim_yaml.c attach): kept as a second wall */
            ld_error(L, k, "keys of %s must be scalars", what);
            readable = false;
        } else if (memchr(key->text, '\0', key->len) != NULL) {
            ld_error(L, k, "a key of %s contains a NUL character", what);
            readable = false;
        } else if (allowed != NULL && !key_allowed(key->text, allowed)) {
            report_unknown_key(L, k, what, allowed);
        }
        k = value == SIM_NONE ? SIM_NONE : ld_node(L, value)->next;
    }
    if (!readable) return false; /* callers walk the keys' text: never hand them such a map */
    check_duplicates(L, node);
    return true; /* unknown and duplicate keys are reported; the known keys still count */
}

uint32_t ld_key_node(const ld *L, uint32_t map, const char *key)
{
    if (map == SIM_NONE) return SIM_NONE;
    const sim_ynode *m = ld_node(L, map);
    if (m->type != SIM_Y_MAP) return SIM_NONE;
    for (uint32_t k = m->first; k != SIM_NONE;) {
        const sim_ynode *kn = ld_node(L, k);
        if (kn->type == SIM_Y_SCALAR && strlen(key) == kn->len && memcmp(kn->text, key, kn->len) == 0) {
            return k;
        }
        k = kn->next == SIM_NONE ? SIM_NONE : ld_node(L, kn->next)->next;
    }
    return SIM_NONE;
}

uint32_t ld_get(const ld *L, uint32_t map, const char *key)
{
    uint32_t k = ld_key_node(L, map, key);
    return k == SIM_NONE ? SIM_NONE : ld_node(L, k)->next;
}

uint32_t ld_require(ld *L, uint32_t map, const char *key, const char *what)
{
    uint32_t v = ld_get(L, map, key);
    if (v == SIM_NONE) ld_error(L, map, "%s needs '%s'", what, key);
    return v;
}

bool ld_check_seq(ld *L, uint32_t node, const char *what)
{
    if (node == SIM_NONE) return false;
    if (ld_node(L, node)->type != SIM_Y_SEQ) {
        ld_error(L, node, "%s must be a list, not %s", what, type_name(L, node));
        return false;
    }
    return true;
}

/* ---- scalars ------------------------------------------------------------- */

static bool want_scalar(ld *L, uint32_t node, const char *what)
{
    if (node == SIM_NONE) return false;
    if (ld_node(L, node)->type != SIM_Y_SCALAR) {
        ld_error(L, node, "%s must be a scalar, not %s", what, type_name(L, node));
        return false;
    }
    return true;
}

bool ld_string(ld *L, uint32_t node, const char *what, const char **out)
{
    if (!want_scalar(L, node, what)) return false;
    const sim_ynode *n = ld_node(L, node);
    if (memchr(n->text, '\0', n->len) != NULL) {
        ld_error(L, node, "%s must not contain NUL characters", what);
        return false;
    }
    *out = n->text; /* lives as long as the tree; callers copy */
    return true;
}

static bool ident_ok(const char *s, size_t len)
{
    if (len == 0 || len > CM_LIMIT_NAME_BYTES) return false;
    if (!isalpha((unsigned char)s[0]) && s[0] != '_') return false;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.') return false;
    }
    return true;
}

bool ld_ident(ld *L, uint32_t node, const char *what, const char **out)
{
    if (!want_scalar(L, node, what)) return false;
    const sim_ynode *n = ld_node(L, node);
    if (!ident_ok(n->text, n->len) || strlen(n->text) != n->len) {
        ld_error(L, node,
                 "%s '%.64s' is not a valid name (a letter or _, then letters, digits, _ . -; "
                 "at most %u)",
                 what, n->text, CM_LIMIT_NAME_BYTES);
        return false;
    }
    *out = base_arena_strndup(L->arena, n->text, n->len);
    if (*out == NULL) {
        ld_oom(L);
        return false;
    }
    return true;
}

static bool plain_scalar(ld *L, uint32_t node, const char *what, const char *kind)
{
    if (!want_scalar(L, node, what)) return false;
    if (ld_node(L, node)->style != SIM_YS_PLAIN) {
        ld_error(L, node, "%s must be %s, not a quoted string", what, kind);
        return false;
    }
    return true;
}

bool ld_int(ld *L, uint32_t node, const char *what, int64_t min, int64_t max, int64_t *out)
{
    if (!plain_scalar(L, node, what, "an integer")) return false;
    const sim_ynode *n = ld_node(L, node);
    const char *s = n->text;
    bool digits = n->len > 0 && n->len < 24;
    size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    bool hex = digits && s[start] == '0' && (s[start + 1] == 'x' || s[start + 1] == 'X');
    for (size_t i = start + (hex ? 2 : 0); digits && i < n->len; i++) {
        digits = hex ? isxdigit((unsigned char)s[i]) != 0 : isdigit((unsigned char)s[i]) != 0;
    }
    if (!digits || n->len == start + (hex ? 2u : 0u)) {
        ld_error(L, node, "%s must be an integer, not '%.40s'", what, s);
        return false;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, hex ? 16 : 10);
    if (errno != 0 || end != s + n->len || v < min || v > max) {
        ld_error(L, node, "%s must be an integer in [%lld, %lld], not %.40s", what,
                 (long long)min, (long long)max, s);
        return false;
    }
    *out = v;
    return true;
}

bool ld_bool(ld *L, uint32_t node, const char *what, bool *out)
{
    if (!plain_scalar(L, node, what, "true or false")) return false;
    const char *s = ld_node(L, node)->text;
    if (strcmp(s, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "false") == 0) {
        *out = false;
        return true;
    }
    ld_error(L, node, "%s must be true or false, not '%.40s'", what, s);
    return false;
}

/* ---- durations ----------------------------------------------------------- */

static int64_t unit_ns(const char *unit)
{
    if (strcmp(unit, "ns") == 0) return 1;
    if (strcmp(unit, "us") == 0) return 1000;
    if (strcmp(unit, "ms") == 0) return 1000000;
    if (strcmp(unit, "s") == 0) return 1000000000;
    return 0;
}

const char *sim_parse_duration(const char *text, uint32_t flags, int64_t *out_ns)
{
    if (strcmp(text, "forever") == 0) {
        if (!(flags & SIM_DUR_FOREVER)) return "'forever' is not allowed here";
        *out_ns = CM_DURATION_FOREVER;
        return NULL;
    }
    if (strcmp(text, "nan") == 0) {
        if (!(flags & SIM_DUR_NAN)) return "'nan' is not allowed here";
        *out_ns = CM_DURATION_NAN;
        return NULL;
    }
    const char *p = text;
    bool negative = *p == '-';
    if (negative) p++;
    if (negative && !(flags & SIM_DUR_NEGATIVE)) return "a negative duration is not allowed here";
    if (!isdigit((unsigned char)*p)) return "a duration is a number with a unit (ns, us, ms, s)";
    uint64_t whole = 0, frac = 0, frac_div = 1;
    const uint64_t max_ns = (uint64_t)CM_LIMIT_DURATION_NS;
    for (; isdigit((unsigned char)*p); p++) { /* bounded: stops past max_ns, whatever the unit */
        if (whole > max_ns) return "duration out of range (at most 1e18 ns, about 31 years)";
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return "a digit must follow the decimal point";
        for (; isdigit((unsigned char)*p); p++) {
            if (frac_div >= UINT64_C(1000000000)) return "more than 9 decimal places";
            frac = frac * 10 + (uint64_t)(*p - '0');
            frac_div *= 10;
        }
    }
    if (*p == '\0') {
        if (whole != 0 || frac != 0) return "a duration needs a unit (ns, us, ms, s)";
        *out_ns = 0;
        return NULL;
    }
    int64_t per = unit_ns(p);
    if (per == 0) return "unknown duration unit (use ns, us, ms or s)";
    if (whole > max_ns / (uint64_t)per) return "duration out of range (at most 1e18 ns, about 31 years)";
    uint64_t ns = whole * (uint64_t)per;
    uint64_t frac_ns = frac * (uint64_t)per; /* < 1e9 * 1e9: no overflow */
    if (frac_ns % frac_div != 0) return "duration is not a whole number of nanoseconds";
    ns += frac_ns / frac_div;
    if (ns > max_ns) return "duration out of range (at most 1e18 ns, about 31 years)";
    *out_ns = negative ? -(int64_t)ns : (int64_t)ns;
    assert(cm_limit_duration_ok(*out_ns, flags));
    return NULL;
}

bool ld_duration(ld *L, uint32_t node, const char *what, uint32_t flags, int64_t *out)
{
    if (!plain_scalar(L, node, what, "a duration")) return false;
    const char *problem = sim_parse_duration(ld_node(L, node)->text, flags, out);
    if (problem != NULL) {
        ld_error(L, node, "bad duration '%.40s' for %s: %s", ld_node(L, node)->text, what,
                 problem);
        return false;
    }
    return true;
}

/* ---- data ---------------------------------------------------------------- */

/*
 * Counts a data value against the scenario's budgets before it is made:
 * CM_LIMIT_SCENARIO_BYTES of known bytes (issue 10: 7,600 sends of
 * {repeat: a, count: 1048576} took 7.5 GiB), CM_LIMIT_SCENARIO_SIZE_BYTES of
 * {size: N}, never materialised. The value that goes over is the error, once
 * per budget; false for it and every value after it.
 */
static bool budget_take(ld *L, uint32_t node, const char *what, uint64_t bytes, bool size_only)
{
    assert(bytes <= (uint64_t)CM_LIMIT_SIZE_BYTES);
    uint64_t *used = size_only ? &L->size_bytes : &L->data_bytes;
    bool *reported = size_only ? &L->size_budget_reported : &L->data_budget_reported;
    uint64_t limit = size_only ? CM_LIMIT_SCENARIO_SIZE_BYTES : CM_LIMIT_SCENARIO_BYTES;
    if (*reported) return false;
    if (*used + bytes <= limit) {
        *used += bytes;
        return true;
    }
    *reported = true;
    ld_error(L, node,
             "%s: this value brings the scenario's %s to %" PRIu64 " bytes, over the budget of %" PRIu64
             " %s per scenario (later values are not counted)",
             what, size_only ? "{size: N} data" : "data", *used + bytes,
             size_only ? limit >> 30 : limit >> 20, size_only ? "GiB" : "MiB");
    assert(*used <= limit);
    return false;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool data_hex(ld *L, uint32_t node, const char *what, sim_data *out)
{
    const char *text;
    if (!ld_string(L, node, what, &text)) return false;
    size_t len = ld_node(L, node)->len;
    if (!budget_take(L, node, what, len / 2, false)) return false;
    uint8_t *bytes = ld_alloc(L, len / 2 + 1);
    if (bytes == NULL) return false;
    uint32_t n = 0;
    int high = -1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') continue;
        int v = hex_value(text[i]);
        if (v < 0) {
            ld_error(L, node, "%s: '%c' is not a hex digit", what, text[i]);
            return false;
        }
        if (high < 0) {
            high = v;
        } else {
            bytes[n++] = (uint8_t)(high << 4 | v);
            high = -1;
        }
    }
    if (high >= 0) {
        ld_error(L, node, "%s: an odd number of hex digits", what);
        return false;
    }
    *out = (sim_data){.kind = SIM_DATA_BYTES, .bytes = bytes, .len = n, .size = n};
    return true;
}

static bool text_part(ld *L, uint32_t map, const char *key, const char *what, const char **text,
                      size_t *len)
{
    uint32_t v = ld_get(L, map, key);
    *text = "";
    *len = 0;
    if (v == SIM_NONE) return true;
    if (!want_scalar(L, v, what)) return false;
    *text = ld_node(L, v)->text;
    *len = ld_node(L, v)->len;
    return true;
}

/* {repeat: "ab", count: 3, prefix: "p.", suffix: ".s"} */
static bool data_repeat(ld *L, uint32_t map, const char *what, sim_data *out)
{
    const char *unit, *prefix, *suffix;
    size_t unit_len, prefix_len, suffix_len;
    int64_t count = 0;
    bool ok = text_part(L, map, "repeat", what, &unit, &unit_len);
    ok = text_part(L, map, "prefix", what, &prefix, &prefix_len) && ok;
    ok = text_part(L, map, "suffix", what, &suffix, &suffix_len) && ok;
    uint32_t cnode = ld_require(L, map, "count", what);
    ok = cnode != SIM_NONE && ld_int(L, cnode, "count", 0, SIM_MAX_DATA_BYTES, &count) && ok;
    if (!ok) return false;
    uint64_t total = prefix_len + suffix_len + unit_len * (uint64_t)count;
    if (total > SIM_MAX_DATA_BYTES) {
        ld_error(L, map, "%s is longer than %u bytes", what, SIM_MAX_DATA_BYTES);
        return false;
    }
    if (!budget_take(L, map, what, total, false)) return false;
    uint8_t *bytes = ld_alloc(L, total + 1);
    if (bytes == NULL) return false;
    size_t n = 0;
    memcpy(bytes, prefix, prefix_len);
    n += prefix_len;
    for (int64_t i = 0; i < count; i++, n += unit_len) memcpy(bytes + n, unit, unit_len);
    memcpy(bytes + n, suffix, suffix_len);
    n += suffix_len;
    *out = (sim_data){.kind = SIM_DATA_BYTES, .bytes = bytes, .len = (uint32_t)n, .size = (int64_t)n};
    return true;
}

static bool data_map(ld *L, uint32_t node, const char *what, uint32_t flags, sim_data *out)
{
    static const char *const keys[] = {"hex", "size", "repeat", "count", "prefix", "suffix", NULL};
    if (!ld_check_map(L, node, what, keys)) return false;
    uint32_t hex = ld_get(L, node, "hex"), size = ld_get(L, node, "size");
    uint32_t repeat = ld_key_node(L, node, "repeat");
    uint32_t forms = (hex != SIM_NONE) + (size != SIM_NONE) + (repeat != SIM_NONE);
    if (forms != 1) {
        ld_error(L, node, "%s takes exactly one of 'hex', 'size' or 'repeat'", what);
        return false;
    }
    if (hex != SIM_NONE) return data_hex(L, hex, what, out);
    if (repeat != SIM_NONE) return data_repeat(L, node, what, out);
    if (!(flags & LD_DATA_SIZE)) {
        ld_error(L, size, "%s cannot be given as a size only", what);
        return false;
    }
    int64_t n = 0;
    if (!ld_int(L, size, "size", 0, CM_LIMIT_SIZE_BYTES, &n)) return false;
    if (!budget_take(L, node, what, (uint64_t)n, true)) return false;
    *out = (sim_data){.kind = SIM_DATA_SIZE, .bytes = NULL, .len = 0, .size = n};
    return true;
}

bool ld_data(ld *L, uint32_t node, const char *what, uint32_t flags, sim_data *out)
{
    *out = (sim_data){.kind = SIM_DATA_NULL};
    if (ld_is_null(L, node)) {
        if (flags & LD_DATA_NULL) return true;
        ld_error(L, node, "%s cannot be null", what);
        return false;
    }
    const sim_ynode *n = ld_node(L, node);
    if (n->type == SIM_Y_MAP) return data_map(L, node, what, flags, out);
    if (n->type != SIM_Y_SCALAR) {
        ld_error(L, node, "%s must be a string, null or a mapping, not %s", what, type_name(L, node));
        return false;
    }
    if (n->len > SIM_MAX_DATA_BYTES) {
        ld_error(L, node, "%s is longer than %u bytes", what, SIM_MAX_DATA_BYTES);
        return false;
    }
    if (!budget_take(L, node, what, n->len, false)) return false;
    *out = (sim_data){.kind = SIM_DATA_BYTES, .bytes = (const uint8_t *)base_arena_strndup(L->arena, n->text, n->len),
                      .len = (uint32_t)n->len, .size = (int64_t)n->len};
    if (out->bytes != NULL) return true;
    ld_oom(L);
    return false;
}

bool ld_ref(ld *L, uint32_t node, const char *what, bool null_ok, sim_ref *out)
{
    *out = (sim_ref){.name = NULL, .loc = ld_loc(L, node), .index = SIM_NONE};
    if (ld_is_null(L, node)) {
        if (null_ok) return true;
        ld_error(L, node, "%s cannot be null", what);
        return false;
    }
    return ld_ident(L, node, what, &out->name);
}
