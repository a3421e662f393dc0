/*
 * fuzz_value.c — the duration and data value parsers of both sides
 * (docs/fuzzing.md): the loader's (sim_parse_duration, ld_duration,
 * ld_data on a YAML node) and the protocol's (conf_dur_read,
 * conf_data_read on a JSON value), and that what one side accepts the
 * other reads back the same.
 *
 * Input: one selector byte, then the value's text. Selector bits 0-2 are
 * the SIM_DUR_* flags, bits 3-4 the LD_DATA_* flags.
 *
 * Properties checked (besides no crash, leak or hang):
 *  - a duration accepted by sim_parse_duration is in range for its flags,
 *    and the same number of nanoseconds written "<n>ns" parses back equal;
 *  - ld_* never fail without reporting an error (they may report one and go on:
 *    an unknown key beside known ones);
 *  - data and durations read by the protocol, written back
 *    (conf_data_write, conf_dur_write) and read again are unchanged;
 *  - what the loader accepts, the protocol reads back unchanged
 *    (the runner sends loaded scenarios to agents that way).
 */
#include "fuzz_target.h"

#include "fuzz_known.h"

#include "conf_proto.h"
#include "fuzz_conf.h"
#include "sim_load_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_VALUE_ARENA_BYTES ((size_t)8 << 20)

/* Duration text through the loader's parser, and its "<n>ns" spelling back through it. */
static void check_sim_duration(const char *text, uint32_t flags)
{
    int64_t ns = 0;
    const char *problem = sim_parse_duration(text, flags, &ns);
    if (problem != NULL) {
        FUZZ_CHECK(problem[0] != '\0', "a rejection says why");
        return;
    }
    if (ns == CM_DURATION_FOREVER) {
        FUZZ_CHECK(flags & SIM_DUR_FOREVER, "forever only when allowed");
        return;
    }
    if (ns == CM_DURATION_NAN) {
        FUZZ_CHECK(flags & SIM_DUR_NAN, "nan only when allowed");
        return;
    }
    FUZZ_CHECK(ns >= 0 || (flags & SIM_DUR_NEGATIVE), "negative only when allowed");
    FUZZ_CHECK(ns > INT64_MIN / 4 && ns < INT64_MAX / 4, "durations stay far from overflow");
    char again[32];
    snprintf(again, sizeof again, "%" PRId64 "ns", ns);
    int64_t ns2 = 0;
    const char *problem2 = sim_parse_duration(again, flags, &ns2);
    if (!FUZZ_KNOWN_DURATION_UNITS_DISAGREE || ns == 0) {
        FUZZ_CHECK(problem2 == NULL, "a duration accepted in one unit is accepted in ns");
    }
    FUZZ_CHECK(problem2 != NULL || ns2 == ns, "the same duration in ns is the same duration");
}

/* Writes one value as the only member of a line and parses that line back. */
static bool rewrite_json(base_jw *w, const conf_data *d, const int64_t *dur, conf_jdoc *doc,
                         uint32_t *value)
{
    base_jw_begin(w);
    base_jw_key(w, "v");
    if (d != NULL) {
        conf_data_write(w, d, CONF_DATA_INLINE_MAX);
    } else {
        conf_dur_write(w, *dur);
    }
    size_t len = 0;
    const char *line = base_jw_end(w, &len);
    char err[200];
    memset(doc, 0, sizeof *doc);
    if (line == NULL) return false; /* too long for one line: the writer says so */
    FUZZ_CHECK(conf_json_parse(line, len, doc, err, sizeof err), "what the writer writes parses");
    *value = conf_json_get(doc, doc->root, "v");
    FUZZ_CHECK(*value != CONF_JSON_NONE, "the written member is there");
    return true;
}

/* A protocol data value through write and read: unchanged (large bytes become size + digest). */
static void check_conf_data_roundtrip(base_jw *w, const conf_data *d)
{
    conf_jdoc doc;
    uint32_t v = CONF_JSON_NONE;
    if (!rewrite_json(w, d, NULL, &doc, &v)) {
        conf_json_fini(&doc);
        return;
    }
    base_arena arena;
    base_arena_init(&arena, FUZZ_VALUE_ARENA_BYTES);
    conf_data back;
    char err[200];
    FUZZ_CHECK(conf_data_read(&doc, v, &arena, &back, err, sizeof err), "written data reads back");
    if (d->kind == CONF_DATA_BYTES && d->len > CONF_DATA_INLINE_MAX) {
        FUZZ_CHECK(back.kind == CONF_DATA_DIGEST && back.size == (int64_t)d->len &&
                       back.digest == conf_fnv1a64(d->bytes, d->len),
                   "large data reads back as its size and digest");
    } else {
        FUZZ_CHECK(fuzz_same_data(d, &back), "written data reads back unchanged");
    }
    base_arena_fini(&arena);
    conf_json_fini(&doc);
}

static void check_conf_dur_roundtrip(base_jw *w, int64_t ns)
{
    conf_jdoc doc;
    uint32_t v = CONF_JSON_NONE;
    if (rewrite_json(w, NULL, &ns, &doc, &v)) {
        int64_t back = 0;
        FUZZ_CHECK(conf_dur_read(&doc, v, &back), "a written duration reads back");
        FUZZ_CHECK(back == ns, "a written duration reads back unchanged");
    }
    conf_json_fini(&doc);
}

/* The text as a JSON value, read by the protocol as data and as a duration. */
static void check_conf_side(base_jw *w, const uint8_t *text, size_t len)
{
    conf_jdoc doc;
    char err[200];
    if (conf_json_parse((const char *)text, len, &doc, err, sizeof err)) {
        base_arena arena;
        base_arena_init(&arena, FUZZ_VALUE_ARENA_BYTES);
        conf_data d;
        if (conf_data_read(&doc, doc.root, &arena, &d, err, sizeof err)) {
            FUZZ_CHECK(d.kind <= CONF_DATA_DIGEST, "a known data kind");
            FUZZ_CHECK(d.kind != CONF_DATA_BYTES || d.size == (int64_t)d.len, "bytes know their size");
            check_conf_data_roundtrip(w, &d);
        } else {
            FUZZ_CHECK(err[0] != '\0', "a rejected data value says why");
        }
        int64_t ns = 0;
        if (conf_dur_read(&doc, doc.root, &ns)) check_conf_dur_roundtrip(w, ns);
        base_arena_fini(&arena);
    } else {
        FUZZ_CHECK(err[0] != '\0', "a rejected line says why");
    }
    conf_json_fini(&doc);
}

/* What the loader accepted, as the runner sends it: read back the same by the protocol. */
static void check_sim_to_conf(base_jw *w, const sim_data *sd)
{
    conf_data d = {.kind = CONF_DATA_NULL};
    if (sd->kind == SIM_DATA_BYTES) {
        d = (conf_data){.kind = CONF_DATA_BYTES, .bytes = sd->bytes, .len = sd->len, .size = sd->len};
    } else if (sd->kind == SIM_DATA_SIZE) {
        if (FUZZ_KNOWN_SIZE_LIMITS_DISAGREE && sd->size > INT64_C(0x7fffffff)) return;
        d = (conf_data){.kind = CONF_DATA_SIZE, .size = sd->size};
    }
    check_conf_data_roundtrip(w, &d);
}

/* The text as a YAML document whose root is the value, read by the loader's ld_* readers. */
static void check_sim_side(base_jw *w, const uint8_t *text, size_t len, uint32_t dur_flags,
                           uint32_t data_flags)
{
    sim_diag diag;
    sim_diag_init(&diag, "fuzz.yaml");
    sim_ydoc doc;
    if (sim_yaml_parse(text, len, &doc, &diag) && doc.root != SIM_NONE) {
        sim_scenario sc;
        memset(&sc, 0, sizeof sc);
        base_arena_init(&sc.arena, 0);
        ld L = {.doc = &doc, .diag = &diag, .sc = &sc, .arena = &sc.arena};
        uint32_t before = sim_diag_total(&diag);
        sim_data sd;
        bool ok = ld_data(&L, doc.root, "data", data_flags, &sd);
        FUZZ_CHECK(ok || sim_diag_total(&diag) > before, "ld_data never fails silently");
        if (ok) {
            FUZZ_CHECK(sd.kind != SIM_DATA_NULL || (data_flags & LD_DATA_NULL), "null only when allowed");
            FUZZ_CHECK(sd.kind != SIM_DATA_SIZE || (data_flags & LD_DATA_SIZE), "size only when allowed");
            FUZZ_CHECK(sd.kind != SIM_DATA_BYTES || sd.len <= SIM_MAX_DATA_BYTES, "bytes within the cap");
            check_sim_to_conf(w, &sd);
        }
        before = sim_diag_total(&diag);
        int64_t ns = 0;
        ok = ld_duration(&L, doc.root, "duration", dur_flags, &ns);
        FUZZ_CHECK(ok || sim_diag_total(&diag) > before, "ld_duration never fails silently");
        if (ok) check_conf_dur_roundtrip(w, ns);
        before = sim_diag_total(&diag);
        int64_t i = 0;
        ok = ld_int(&L, doc.root, "int", -1000, 1000, &i);
        FUZZ_CHECK(ok || sim_diag_total(&diag) > before, "ld_int never fails silently");
        FUZZ_CHECK(!ok || (i >= -1000 && i <= 1000), "ld_int keeps its range");
        base_arena_fini(&sc.arena);
    }
    sim_ydoc_fini(&doc);
    sim_diag_fini(&diag);
}

/* One selector byte, then the text: see the file comment. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint32_t dur_flags = data[0] & 7u;
    uint32_t data_flags = (data[0] >> 3) & 3u;
    const uint8_t *text = data + 1;
    size_t len = size - 1;
    char *cstr = malloc(len + 1); /* the parser takes a C string: up to the first NUL */
    if (cstr == NULL) return 0;
    memcpy(cstr, text, len);
    cstr[len] = '\0';
    check_sim_duration(cstr, dur_flags);
    free(cstr);
    base_jw w;
    FUZZ_CHECK(conf_jw_init(&w), "a writer");
    check_conf_side(&w, text, len);
    check_sim_side(&w, text, len, dur_flags, data_flags);
    base_jw_fini(&w);
    return 0;
}
