/*
 * conf_limits_test.c — issue 10's "limits that disagree": the scenario
 * loader and the agent protocol take the same values, from one definition
 * (core/cm_limits.h). For each limit, a value at the limit passes both and
 * the next one fails both: a scenario `portsim run` accepts is never one an
 * agent refuses ({size: 0x80000000} was, with "data: bad size"), and the
 * same duration in any unit is either accepted or out of range everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cm_limits.h"
#include "conf_proto.h"
#include "sim_load.h"

/* Loads a scenario whose main thread runs `step` (and whose handler h replies nothing). */
static bool loader_accepts(const char *step, char *why, size_t why_cap)
{
    char text[2048];
    snprintf(text, sizeof text,
             "scenario: limits\n"
             "processes:\n"
             "  p:\n"
             "    threads:\n"
             "      main:\n"
             "        - create_local: {port: a, name: x, handler: h}\n"
             "        - %s\n"
             "handlers:\n"
             "  h: []\n"
             "timers:\n"
             "  t: []\n",
             step);
    sim_diag d;
    sim_diag_init(&d, "limits.yaml");
    sim_scenario sc;
    bool ok = sim_load_buffer("limits.yaml", (const uint8_t *)text, strlen(text), &sc, &d);
    snprintf(why, why_cap, "%s", d.count > 0 ? d.entries[0].message : "");
    if (ok) sim_scenario_free(&sc);
    sim_diag_fini(&d);
    return ok;
}

/* Decodes a step object as an agent does. */
static bool protocol_accepts(const char *step_json, char *why, size_t why_cap)
{
    conf_jdoc doc;
    why[0] = '\0';
    if (!conf_json_parse(step_json, strlen(step_json), &doc, why, why_cap)) return false;
    base_arena a;
    base_arena_init(&a, 0);
    conf_step s;
    bool ok = conf_step_read(&doc, doc.root, &a, &s, why, why_cap);
    base_arena_fini(&a);
    conf_json_fini(&doc);
    return ok;
}

typedef struct pair {
    const char *yaml; /* a step of the scenario */
    const char *json; /* the same step on the wire */
    bool ok;          /* both accept it */
} pair;

static void check_pairs(const pair *pairs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char why_yaml[256], why_json[256];
        bool yaml = loader_accepts(pairs[i].yaml, why_yaml, sizeof why_yaml);
        bool json = protocol_accepts(pairs[i].json, why_json, sizeof why_json);
        if (yaml != pairs[i].ok || json != pairs[i].ok) {
            fail_msg("%s / %s: loader %s (%s), protocol %s (%s), wanted both %s", pairs[i].yaml,
                     pairs[i].json, yaml ? "accepts" : "refuses", why_yaml,
                     json ? "accepts" : "refuses", why_json, pairs[i].ok ? "to accept" : "to refuse");
        }
    }
}

#define SEND_JSON(extra) "{\"ref\": 1, \"op\": \"send\", \"port\": \"a\", \"send_timeout_ns\": 0, " extra "}"

static void test_durations_agree_in_every_unit(void **state)
{
    (void)state;
    static const pair pairs[] = {
        {"sleep: 1000000000s", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 1000000000000000000}", true},
        {"sleep: 1000000000000000000ns", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 1000000000000000000}", true},
        {"sleep: 2000000s", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 2000000000000000}", true},
        {"sleep: 2000000000000000ns", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 2000000000000000}", true},
        {"sleep: 1000000000.000000001s", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 1000000000000000001}", false},
        {"sleep: 1000000000000000001ns", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 1000000000000000001}", false},
        {"sleep: 1000000000001ms", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": 1000000000001000000}", false},
        {"sleep: -1ns", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": -1}", false},
        {"work: forever", "{\"ref\": 1, \"op\": \"work\", \"duration_ns\": \"forever\"}", true},
        {"sleep: nan", "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": \"nan\"}", false},
        {"run_loop: {mode: default, for: -1ms}", "{\"ref\": 1, \"op\": \"run_loop\", \"mode\": \"default\", \"for_ns\": -1000000}", true},
        {"run_loop: {mode: default, for: nan}", "{\"ref\": 1, \"op\": \"run_loop\", \"mode\": \"default\", \"for_ns\": \"nan\"}", false},
        {"add_timer: {after: -1ns, timer: t}", "{\"ref\": 1, \"op\": \"add_timer\", \"mode\": \"default\", \"after_ns\": -1, \"timer\": \"t\"}", false},
        {"add_timer: {after: 1ms, every: forever, timer: t}", "{\"ref\": 1, \"op\": \"add_timer\", \"mode\": \"default\", \"after_ns\": 1000000, \"every_ns\": \"forever\", \"timer\": \"t\"}", false},
        {"send: {port: a, send_timeout: nan}", SEND_JSON("\"recv_timeout_ns\": \"nan\""), true},
        {"send: {port: a, send_timeout: -1000000000s}", "{\"ref\": 1, \"op\": \"send\", \"port\": \"a\", \"send_timeout_ns\": -1000000000000000000}", true},
        {"send: {port: a, send_timeout: -1000000001s}", "{\"ref\": 1, \"op\": \"send\", \"port\": \"a\", \"send_timeout_ns\": -1000000001000000000}", false},
    };
    check_pairs(pairs, sizeof pairs / sizeof pairs[0]);
}

static void test_data_sizes_and_numbers_agree(void **state)
{
    (void)state;
    static const pair pairs[] = {
        {"send: {port: a, send_timeout: 0s, data: {size: 0x7fffffff}}", SEND_JSON("\"data\": {\"size\": 2147483647}"), true},
        {"send: {port: a, send_timeout: 0s, data: {size: 0x80000000}}", SEND_JSON("\"data\": {\"size\": 2147483648}"), false},
        {"send: {port: a, send_timeout: 0s, msgid: 2147483647}", SEND_JSON("\"msgid\": 2147483647"), true},
        {"send: {port: a, send_timeout: 0s, msgid: 2147483648}", SEND_JSON("\"msgid\": 2147483648"), false},
        {"send: {port: a, send_timeout: 0s, msgid: -2147483648}", SEND_JSON("\"msgid\": -2147483648"), true},
        {"create_local: {port: b, name: y, context: {info: -2147483647}}", "{\"ref\": 1, \"op\": \"create_local\", \"port\": \"b\", \"context\": {\"info\": -2147483647}}", true},
        {"create_local: {port: b, name: y, context: {info: -2147483648}}", "{\"ref\": 1, \"op\": \"create_local\", \"port\": \"b\", \"context\": {\"info\": -2147483648}}", false},
    };
    check_pairs(pairs, sizeof pairs / sizeof pairs[0]);
}

static void test_name_lengths_agree(void **state)
{
    (void)state;
    char name64[CM_LIMIT_NAME_BYTES + 2];
    memset(name64, 'n', CM_LIMIT_NAME_BYTES + 1);
    name64[CM_LIMIT_NAME_BYTES] = '\0';
    char yaml[2][256], json[2][256];
    for (int longer = 0; longer < 2; longer++) {
        if (longer) name64[CM_LIMIT_NAME_BYTES] = 'n', name64[CM_LIMIT_NAME_BYTES + 1] = '\0';
        snprintf(yaml[longer], sizeof yaml[longer], "create_local: {port: %s, name: z, handler: h}", name64);
        snprintf(json[longer], sizeof json[longer], "{\"ref\": 1, \"op\": \"create_local\", \"port\": \"%s\"}", name64);
    }
    const pair pairs[] = {{yaml[0], json[0], true}, {yaml[1], json[1], false}};
    check_pairs(pairs, 2);
    assert_int_equal(CONF_NAME_MAX, CM_LIMIT_NAME_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations_agree_in_every_unit),
        cmocka_unit_test(test_data_sizes_and_numbers_agree),
        cmocka_unit_test(test_name_lengths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
