/*
 * conf_proto_test.c — the agent protocol's codec: JSON round trips through
 * libfyaml, every malformed line a clear error (never a crash or a hang),
 * data values, durations, every step keyword written and read back, the
 * shape bounds checked before libfyaml (memory measured in a child), and a
 * mutation fuzzer over valid lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_proto.h"

/* ---- JSON ------------------------------------------------------------------------- */

static void test_json_round_trip(void **state)
{
    (void)state;
    base_jw w;
    assert_true(conf_jw_init(&w));
    for (int round = 0; round < 3; round++) { /* the emitter is reused line after line */
        base_jw_begin(&w);
        base_jw_key(&w, "type");
        base_jw_cstr(&w, "event");
        base_jw_key(&w, "text");
        static const char tricky[] = "a\"b\\c\nd\te\x01 \xc3\xa9 \xf0\x9f\x98\x80";
        base_jw_str(&w, tricky, sizeof tricky - 1);
        base_jw_key(&w, "looks_like_number");
        base_jw_cstr(&w, "7");
        base_jw_key(&w, "n");
        base_jw_int(&w, INT64_MIN + 1);
        base_jw_key(&w, "u");
        base_jw_uint(&w, UINT64_MAX);
        base_jw_key(&w, "d");
        base_jw_double(&w, 2.0);
        base_jw_key(&w, "list");
        base_jw_arr_begin(&w);
        base_jw_bool(&w, true);
        base_jw_null(&w);
        base_jw_obj_begin(&w);
        base_jw_key(&w, "k");
        base_jw_str(&w, "", 0);
        base_jw_obj_end(&w);
        base_jw_arr_end(&w);
        size_t len = 0;
        const char *line = base_jw_end(&w, &len);
        assert_non_null(line);
        assert_int_equal(line[len - 1], '\n');
        assert_null(memchr(line, '\n', len - 1)); /* one line */
        conf_jdoc doc;
        char err[160];
        assert_true(conf_json_parse(line, len, &doc, err, sizeof err));
        size_t n = 0;
        const char *text = conf_json_text(&doc, conf_json_get(&doc, doc.root, "text"), &n);
        assert_int_equal(n, sizeof tricky - 1);
        assert_memory_equal(text, tricky, sizeof tricky - 1);
        assert_string_equal(conf_json_str(&doc, conf_json_get(&doc, doc.root, "looks_like_number")), "7");
        int64_t v = 0;
        assert_false(conf_json_int(&doc, conf_json_get(&doc, doc.root, "looks_like_number"), 0, 10, &v));
        assert_true(conf_json_int(&doc, conf_json_get(&doc, doc.root, "n"), INT64_MIN, INT64_MAX, &v));
        assert_true(v == INT64_MIN + 1);
        assert_false(conf_json_int(&doc, conf_json_get(&doc, doc.root, "u"), INT64_MIN, INT64_MAX, &v));
        double d = 0;
        assert_true(conf_json_double(&doc, conf_json_get(&doc, doc.root, "d"), &d));
        assert_true(d == 2.0);
        const conf_jnode *list = conf_json_node(&doc, conf_json_get(&doc, doc.root, "list"));
        assert_non_null(list);
        assert_int_equal(list->type, CONF_J_ARRAY);
        assert_int_equal(list->count, 3);
        assert_null(conf_json_str(&doc, conf_json_get(&doc, doc.root, "absent")));
        conf_json_fini(&doc);
    }
    base_jw_fini(&w);
}

static void test_json_nul_in_string(void **state)
{
    (void)state;
    const char line[] = "{\"type\": \"log\", \"message\": \"a\\u0000b\"}\n";
    conf_jdoc doc;
    char err[160];
    assert_true(conf_json_parse(line, sizeof line - 1, &doc, err, sizeof err));
    size_t n = 0;
    const char *text = conf_json_text(&doc, conf_json_get(&doc, doc.root, "message"), &n);
    assert_int_equal(n, 3);
    assert_memory_equal(text, "a\0b", 3);
    assert_null(conf_json_str(&doc, conf_json_get(&doc, doc.root, "message"))); /* not a C string */
    conf_json_fini(&doc);
}

typedef struct bad_line {
    const char *bytes;
    size_t len; /* 0: strlen */
    const char *error; /* a substring of the error */
} bad_line;

static void expect_rejected(const bad_line *b, conf_dir dir)
{
    size_t len = b->len ? b->len : strlen(b->bytes);
    conf_msg m;
    char err[200] = "";
    bool ok = conf_msg_decode(b->bytes, len, dir, &m, err, sizeof err);
    conf_msg_fini(&m);
    if (ok || strstr(err, b->error) == NULL) {
        print_error("line %.60s: got %s \"%s\", wanted an error containing \"%s\"\n", b->bytes,
                    ok ? "success" : "error", err, b->error);
        fail();
    }
    for (const char *p = err; *p; p++) assert_true((unsigned char)*p >= 0x20); /* printable, one line */
}

static void test_malformed_lines(void **state)
{
    (void)state;
    static const bad_line lines[] = {
        {"", 0, "empty"},
        {"\n", 0, "empty"},
        {"not json\n", 0, "not JSON"},
        {"{\"type\": \"hello\"\n", 0, "not JSON"},
        {"[1, 2]\n", 0, "must be a JSON object"},
        {"\"hello\"\n", 0, "must be a JSON object"},
        {"{\"type\": \"hello\"} {\"type\": \"hello\"}\n", 0, ""},
        {"{type: hello}\n", 0, ""},
        {"{\"type\": 'x'}\n", 0, ""},
        {"{\"type\": \"hello\", \"protocol\": 01}\n", 0, ""},
        {"{\"type\": \"hello\", \"protocol\": 1e400}\n", 0, ""},
        {"{\"a\": \"\xff\"}\n", 0, "invalid UTF-8"},
        {"{\"a\": \"\xc0\xaf\"}\n", 0, "invalid UTF-8"},       /* overlong */
        {"{\"a\": \"\xed\xa0\x80\"}\n", 0, "invalid UTF-8"},   /* a surrogate */
        {"%\xb0\n", 0, "invalid UTF-8"},                       /* libfyaml 0.7.12's directive hang */
        {"\x25\x22\xa6\n", 0, "invalid UTF-8"},                /* upstream issue #101 */
        {"{\"a\":\x01 1}\n", 0, "control byte"},
        {"{\"a\": \"x\"}\0\n", 12, "control byte"},
        {"{\"a\": &x 1}\n", 0, ""},
        {"{\"a\": !!str 1}\n", 0, ""},
        {"{\"type\": \"nonsense\"}\n", 0, "unknown message type"},
        {"{\"kind\": \"event\"}\n", 0, "missing \"type\""},
        {"{\"type\": 7}\n", 0, "missing \"type\""},
        {"{\"type\": \"log\"}\n", 0, "missing \"message\""},
        {"{\"type\": \"log\", \"message\": 3}\n", 0, "must be a string"},
        {"{\"type\": \"log\", \"message\": \"x\", \"extra\": 1}\n", 0, "unknown key"},
        {"{\"type\": \"log\", \"message\": \"x\", \"message\": \"y\"}\n", 0, "twice"},
        {"{\"type\": \"call\", \"exec\": 1.5, \"ref\": 0, \"thread\": \"main\", \"t_ns\": 0}\n", 0, "\"exec\""},
        {"{\"type\": \"call\", \"exec\": 1, \"ref\": 0, \"thread\": [], \"t_ns\": 0}\n", 0, "thread"},
        {"{\"type\": \"return\", \"exec\": 1, \"t_ns\": 0, \"elapsed_ns\": 0, \"reply\": 5}\n", 0, "data value"},
        {"{\"type\": \"event\", \"kind\": \"callout\", \"t_ns\": true}\n", 0, "\"t_ns\""},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) expect_rejected(&lines[i], CONF_TO_RUNNER);
    /* Types belong to one direction. */
    bad_line wrong_way = {"{\"type\": \"start\", \"process\": null, \"epoch_ns\": 0, \"at_ns\": 0}\n", 0,
                          "from an agent"};
    expect_rejected(&wrong_way, CONF_TO_RUNNER);
    bad_line wrong_way2 = {"{\"type\": \"end\", \"t_ns\": 0, \"reason\": \"x\"}\n", 0, "for an agent"};
    expect_rejected(&wrong_way2, CONF_TO_AGENT);
}

/* The crash line an agent's signal handler writes (agent_platform_posix.c's exact bytes):
 * accepted from an agent with its three fields, refused without one of them or to an agent. */
static void test_crashed_line(void **state)
{
    (void)state;
    static const char line[] = "{\"type\": \"crashed\", \"exec\": 12, \"signal\": \"SIGABRT\", \"t_ns\": -5}\n";
    conf_msg m;
    char err[200] = "";
    bool ok = conf_msg_decode(line, sizeof line - 1, CONF_TO_RUNNER, &m, err, sizeof err);
    if (!ok) print_error("rejected: %s\n", err);
    assert_true(ok);
    assert_int_equal(m.type, CONF_MSG_CRASHED);
    assert_string_equal(conf_msg_type_name(m.type), "crashed");
    assert_int_equal(conf_msg_int(&m, "exec", -1), 12);
    assert_string_equal(conf_msg_str(&m, "signal"), "SIGABRT");
    assert_int_equal(conf_msg_int(&m, "t_ns", 0), -5);
    conf_msg_fini(&m);
    static const bad_line bad[] = {
        {"{\"type\": \"crashed\", \"signal\": \"SIGABRT\", \"t_ns\": 0}\n", 0, "missing \"exec\""},
        {"{\"type\": \"crashed\", \"exec\": 1, \"t_ns\": 0}\n", 0, "missing \"signal\""},
        {"{\"type\": \"crashed\", \"exec\": 1, \"signal\": \"SIGSEGV\"}\n", 0, "missing \"t_ns\""},
        {"{\"type\": \"crashed\", \"exec\": \"1\", \"signal\": \"SIGSEGV\", \"t_ns\": 0}\n", 0, "\"exec\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_rejected(&bad[i], CONF_TO_RUNNER);
    bad_line wrong_way = {line, 0, "for an agent"};
    expect_rejected(&wrong_way, CONF_TO_AGENT);
}

#ifdef CONF_TEST_NO_MEMORY_BOUNDS
#define MEMORY_BOUNDS 0 /* under memcheck or a sanitizer: its memory is in the peak too */
#else
#define MEMORY_BOUNDS 1
#endif

/* A line of `prefix`, `unit` repeated to about 1 MiB, `suffix` and a newline. */
static char *mib_line(const char *prefix, const char *unit, const char *suffix, size_t *len)
{
    size_t p = strlen(prefix), u = strlen(unit), s = strlen(suffix);
    size_t cap = CONF_JSON_MAX_LINE;
    char *line = malloc(cap);
    assert_non_null(line);
    memcpy(line, prefix, p);
    size_t n = p;
    while (n + u + s + 1 < cap) {
        memcpy(line + n, unit, u);
        n += u;
    }
    memcpy(line + n, suffix, s);
    n += s;
    line[n++] = '\n';
    *len = n;
    return line;
}

/* Peak memory (KiB) a child process adds while decoding a line, and its verdict in *ok. */
static long child_decode_peak_kb(const char *line, size_t len, bool *ok, char *err, size_t err_cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        conf_jdoc doc;
        struct {
            long peak_kb;
            bool ok;
            char err[120];
        } out = {0};
        out.ok = conf_json_parse(line, len, &doc, out.err, sizeof out.err);
        conf_json_fini(&doc);
        getrusage(RUSAGE_SELF, &after);
        out.peak_kb = after.ru_maxrss - before.ru_maxrss;
        ssize_t w = write(fds[1], &out, sizeof out);
        _exit(w == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    struct {
        long peak_kb;
        bool ok;
        char err[120];
    } in = {0};
    ssize_t r = read(fds[0], &in, sizeof in);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(r == (ssize_t)sizeof in && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    *ok = in.ok;
    snprintf(err, err_cap, "%s", in.err);
    return in.peak_kb;
}

/*
 * Issue 10: a 1 MiB line of `[` cost the decoder 0.45 s and 360 MB, one of
 * `[1,1,...` 218 MB, inside libfyaml before the tree's bounds saw them. The
 * shape is checked first: each is refused with the tree's own message and
 * costs the decoding process (a child, measured) under 8 MiB; a line as
 * large as the node bound allows stays accepted and under 48 MiB.
 */
static void test_line_shape_bounds_libfyaml(void **state)
{
    (void)state;
    static const struct {
        const char *prefix, *unit, *suffix, *words;
    } cases[] = {
        {"", "[", "", "nested too deeply"},
        {"", "{", "", "nested too deeply"},
        {"[", "1,", "1]", "too many values"},
        {"{\"type\": \"log\", \"message\": \"x\", \"a\": [", "{\"a\":1},", "1]}", "too many values"},
        {"[", "[],", "1]", "too many values"},
        {"['", "[", "']", "single quote"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        char *line = mib_line(cases[i].prefix, cases[i].unit, cases[i].suffix, &len);
        bool ok = true;
        char err[160];
        long kb = child_decode_peak_kb(line, len, &ok, err, sizeof err);
        assert_false(ok);
        if (strstr(err, cases[i].words) == NULL) fail_msg("case %zu: '%s', wanted '%s'", i, err, cases[i].words);
        if (MEMORY_BOUNDS && kb > 8 * 1024) fail_msg("case %zu (%s): %ld KiB", i, err, kb);
        free(line);
    }
    char *big = malloc(2 * CONF_JSON_MAX_NODES + 8); /* [1,1,...,1]: as many values as allowed */
    assert_non_null(big);
    size_t n = 0;
    big[n++] = '[';
    for (uint32_t k = 0; k + 2 < CONF_JSON_MAX_NODES; k++) {
        big[n++] = '1';
        big[n++] = ',';
    }
    big[n++] = '1';
    big[n++] = ']';
    big[n++] = '\n';
    bool ok = false;
    char err[160] = "";
    long kb = child_decode_peak_kb(big, n, &ok, err, sizeof err);
    if (!ok) fail_msg("the largest allowed line was refused: %s", err);
    if (MEMORY_BOUNDS && kb > 48 * 1024) fail_msg("the largest allowed line took %ld KiB", kb);
    free(big);
}

static void test_limits(void **state)
{
    (void)state;
    /* Nesting deeper than the bound. */
    char deep[256];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"type\": \"log\", \"message\": \"x\", \"a\": ");
    for (int i = 0; i < 40; i++) deep[n++] = '[';
    for (int i = 0; i < 40; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n++] = '\n';
    bad_line b = {deep, n, "nested too deeply"};
    expect_rejected(&b, CONF_TO_RUNNER);
    /* A line over 1 MiB. */
    size_t big = CONF_JSON_MAX_LINE + 10;
    char *line = malloc(big);
    assert_non_null(line);
    memset(line, ' ', big);
    line[big - 1] = '\n';
    bad_line l = {line, big, "longer than"};
    expect_rejected(&l, CONF_TO_RUNNER);
    free(line);
    /* A writer never produces a line over the bound either. */
    base_jw w;
    assert_true(conf_jw_init(&w));
    char *text = malloc(CONF_JSON_MAX_LINE);
    assert_non_null(text);
    memset(text, 'a', CONF_JSON_MAX_LINE);
    base_jw_begin(&w);
    base_jw_key(&w, "type");
    base_jw_str(&w, text, CONF_JSON_MAX_LINE);
    size_t len = 0;
    assert_null(base_jw_end(&w, &len));
    base_jw_begin(&w); /* and recovers for the next line */
    base_jw_key(&w, "type");
    base_jw_cstr(&w, "log");
    assert_non_null(base_jw_end(&w, &len));
    free(text);
    base_jw_fini(&w);
}

/* ---- data and durations ---------------------------------------------------------------- */

static void data_round_trip(const conf_data *in, size_t inline_max, conf_data *out, base_arena *a)
{
    base_jw w;
    assert_true(conf_jw_init(&w));
    base_jw_begin(&w);
    base_jw_key(&w, "type");
    base_jw_cstr(&w, "x");
    base_jw_key(&w, "d");
    conf_data_write(&w, in, inline_max);
    size_t len = 0;
    const char *line = base_jw_end(&w, &len);
    assert_non_null(line);
    conf_jdoc doc;
    char err[160];
    assert_true(conf_json_parse(line, len, &doc, err, sizeof err));
    assert_true(conf_data_read(&doc, conf_json_get(&doc, doc.root, "d"), a, out, err, sizeof err));
    conf_json_fini(&doc);
    base_jw_fini(&w);
}

static void test_data_values(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a, 0);
    uint8_t bytes[300];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 7);
    conf_data in = {.kind = CONF_DATA_BYTES, .bytes = bytes, .len = sizeof bytes, .size = sizeof bytes};
    conf_data out;
    data_round_trip(&in, CONF_DATA_INLINE_MAX, &out, &a);
    assert_int_equal(out.kind, CONF_DATA_BYTES);
    assert_int_equal(out.len, sizeof bytes);
    assert_memory_equal(out.bytes, bytes, sizeof bytes);
    data_round_trip(&in, 100, &out, &a); /* past the inline bound: size and digest */
    assert_int_equal(out.kind, CONF_DATA_DIGEST);
    assert_int_equal(out.size, sizeof bytes);
    assert_true(out.digest == conf_fnv1a64(bytes, sizeof bytes));
    static const uint8_t word[] = "com.example.svc";
    conf_data text = {.kind = CONF_DATA_BYTES, .bytes = word, .len = 15, .size = 15};
    data_round_trip(&text, CONF_DATA_INLINE_MAX, &out, &a);
    assert_int_equal(out.kind, CONF_DATA_BYTES);
    assert_int_equal(out.len, 15);
    assert_memory_equal(out.bytes, word, 15);
    conf_data empty = {.kind = CONF_DATA_BYTES, .bytes = bytes, .len = 0};
    data_round_trip(&empty, CONF_DATA_INLINE_MAX, &out, &a);
    assert_int_equal(out.kind, CONF_DATA_BYTES);
    assert_int_equal(out.len, 0);
    conf_data none = {.kind = CONF_DATA_NULL};
    data_round_trip(&none, CONF_DATA_INLINE_MAX, &out, &a);
    assert_int_equal(out.kind, CONF_DATA_NULL);
    conf_data size = {.kind = CONF_DATA_SIZE, .size = 0x60000001};
    data_round_trip(&size, CONF_DATA_INLINE_MAX, &out, &a);
    assert_int_equal(out.kind, CONF_DATA_SIZE);
    assert_true(out.size == 0x60000001);
    conf_data blob = {.kind = CONF_DATA_BLOB, .blob = 9};
    data_round_trip(&blob, CONF_DATA_INLINE_MAX, &out, &a);
    assert_int_equal(out.kind, CONF_DATA_BLOB);
    assert_int_equal(out.blob, 9);
    /* Malformed data values. */
    static const char *const bad[] = {
        "{\"d\": {\"hex\": \"abc\"}}", "{\"d\": {\"hex\": \"zz\"}}", "{\"d\": {\"hex\": 12}}",
        "{\"d\": {\"size\": -1}}", "{\"d\": {\"size\": 1, \"hex\": \"00\"}}", "{\"d\": {\"blob\": -3}}",
        "{\"d\": {\"size\": 4, \"fnv1a64\": \"nope\"}}", "{\"d\": {}}", "{\"d\": {\"other\": 1}}",
        "{\"d\": \"text\"}", "{\"d\": [1]}", "{\"d\": {\"text\": 3}}", "{\"d\": {\"text\": \"a\", \"hex\": \"61\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        conf_jdoc doc;
        char err[160];
        assert_true(conf_json_parse(bad[i], strlen(bad[i]), &doc, err, sizeof err));
        bool ok = conf_data_read(&doc, conf_json_get(&doc, doc.root, "d"), &a, &out, err, sizeof err);
        if (ok) print_error("accepted %s\n", bad[i]);
        assert_false(ok);
        conf_json_fini(&doc);
    }
    base_arena_fini(&a);
}

static void test_durations(void **state)
{
    (void)state;
    int64_t values[] = {0, 1, -1000000000, INT64_C(864000000000000), CONF_DUR_FOREVER, CONF_DUR_NAN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        base_jw w;
        assert_true(conf_jw_init(&w));
        base_jw_begin(&w);
        base_jw_key(&w, "t");
        conf_dur_write(&w, values[i]);
        size_t len = 0;
        const char *line = base_jw_end(&w, &len);
        conf_jdoc doc;
        char err[160];
        assert_true(conf_json_parse(line, len, &doc, err, sizeof err));
        int64_t back = 0;
        assert_true(conf_dur_read(&doc, conf_json_get(&doc, doc.root, "t"), &back));
        assert_true(back == values[i]);
        conf_json_fini(&doc);
        base_jw_fini(&w);
    }
}

/* ---- steps --------------------------------------------------------------------------------- */

static conf_step step_for(uint8_t op)
{
    static const uint8_t name_bytes[] = "com.example\0x";
    conf_step s;
    memset(&s, 0, sizeof s);
    s.ref = 40u + op;
    s.op = op;
    s.port = "svc";
    s.has_name = true;
    s.name = (conf_data){.kind = CONF_DATA_BYTES, .bytes = name_bytes, .len = 13, .size = 13};
    s.program = "prog";
    s.process = "server";
    s.thread = "worker";
    s.queue = "work";
    s.mode = "private";
    s.msgid = -7;
    s.data = (conf_data){.kind = CONF_DATA_SIZE, .size = 5000};
    s.t1_ns = CONF_DUR_NAN;
    s.t2_ns = 1500000;
    s.info = 42;
    s.ctx_retain = true;
    s.ctx_copy_description = true;
    s.no_return_data = true;
    s.return_after_source = true;
    if (op == CONF_OP_REPLY) s.data = (conf_data){.kind = CONF_DATA_NULL};
    if (op == CONF_OP_SLEEP || op == CONF_OP_WORK || op == CONF_OP_ADD_TIMER) s.t1_ns = 3000;
    s.signal = "ready";
    s.count = 3;
    if (op == CONF_OP_WAIT_FOR) s.t1_ns = 7000;
    if (op == CONF_OP_RUN_LOOP) s.t1_ns = -3000; /* negative: allowed; nan: not (as the loader) */
    return s;
}

static void test_every_step_round_trips(void **state)
{
    (void)state;
    base_arena a;
    base_arena_init(&a, 0);
    for (uint8_t op = 1; op < CONF_OP_COUNT; op++) {
        conf_step in = step_for(op);
        bool conditional = op == CONF_OP_REPLY || op == CONF_OP_SEND; /* when: on handler steps */
        if (conditional) {
            in.when = CM_WHEN_MSGID | CM_WHEN_DATA | CM_WHEN_SIZE;
            in.when_msgid = -5;
            in.when_data = (conf_data){.kind = CONF_DATA_BYTES, .bytes = (const uint8_t *)"a\0", .len = 2, .size = 2};
            in.when_size = 2;
        }
        base_jw w;
        assert_true(conf_jw_init(&w));
        base_jw_begin(&w);
        base_jw_key(&w, "type");
        base_jw_cstr(&w, "command");
        base_jw_key(&w, "id");
        base_jw_int(&w, 1);
        base_jw_key(&w, "process");
        base_jw_cstr(&w, "server");
        base_jw_key(&w, "thread");
        base_jw_cstr(&w, "main");
        base_jw_key(&w, "step");
        conf_step_write(&w, &in);
        size_t len = 0;
        const char *line = base_jw_end(&w, &len);
        assert_non_null(line);
        conf_msg m;
        char err[200];
        if (!conf_msg_decode(line, len, CONF_TO_AGENT, &m, err, sizeof err)) {
            print_error("%s: %s\n", conf_op_keyword(op), err);
            fail();
        }
        conf_step out;
        if (!conf_step_read(&m.doc, conf_msg_get(&m, "step"), &a, &out, err, sizeof err)) {
            print_error("%s: %s\n%s", conf_op_keyword(op), err, line);
            fail();
        }
        assert_int_equal(out.op, op);
        assert_int_equal(out.ref, in.ref);
        assert_int_equal(out.when, in.when);
        if (conditional) {
            assert_int_equal(out.when_msgid, -5);
            assert_int_equal(out.when_size, 2);
            assert_int_equal(out.when_data.kind, CONF_DATA_BYTES);
            assert_int_equal(out.when_data.len, 2);
            assert_memory_equal(out.when_data.bytes, "a\0", 2);
        }
        assert_string_equal(conf_op_keyword(out.op), conf_op_keyword(op));
        if (out.port != NULL) assert_string_equal(out.port, "svc");
        if (op == CONF_OP_SEND) {
            assert_int_equal(out.msgid, -7);
            assert_int_equal(out.data.kind, CONF_DATA_SIZE);
            assert_true(out.t1_ns == CONF_DUR_NAN);
            assert_true(out.t2_ns == 1500000);
            assert_string_equal(out.mode, "private");
            assert_true(out.no_return_data);
        }
        if (op == CONF_OP_SIGNAL || op == CONF_OP_WAIT_FOR) {
            assert_string_equal(out.signal, "ready");
            assert_int_equal(out.count, op == CONF_OP_WAIT_FOR ? 3 : 0);
            assert_true(op == CONF_OP_SIGNAL || out.t1_ns == 7000);
        }
        if (op == CONF_OP_CREATE_LOCAL) {
            assert_int_equal(out.name.len, 13);
            assert_memory_equal(out.name.bytes, "com.example\0x", 13);
            assert_true(out.info == 42 && out.ctx_retain && !out.ctx_release && out.ctx_copy_description);
            assert_string_equal(out.program, "prog");
        }
        conf_msg_fini(&m);
        base_jw_fini(&w);
    }
    base_arena_fini(&a);
}

static void test_bad_steps(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"ref\": 1}",                                            /* no op */
        "{\"ref\": 1, \"op\": \"teleport\"}",                      /* unknown op */
        "{\"ref\": -1, \"op\": \"run\"}",                          /* bad ref */
        "{\"ref\": 1, \"op\": \"run\", \"port\": \"svc\"}",        /* a key run does not take */
        "{\"ref\": 1, \"op\": \"reply\", \"when\": {}}",          /* a condition with no key */
        "{\"ref\": 1, \"op\": \"reply\", \"when\": {\"data\": null}}", /* a NULL request never comes (R39) */
        "{\"ref\": 1, \"op\": \"reply\", \"when\": {\"msgid\": 1, \"colour\": 2}}", /* unknown key */
        "{\"ref\": 1, \"op\": \"reply\", \"when\": {\"size\": -1}}", /* a negative size */
        "{\"ref\": 1, \"op\": \"send\", \"port\": \"r\"}",         /* send without a send timeout */
        "{\"ref\": 1, \"op\": \"send\", \"port\": \"r\", \"send_timeout_ns\": \"soon\"}",
        "{\"ref\": 1, \"op\": \"invalidate\", \"port\": \"1bad\"}", /* not an identifier */
        "{\"ref\": 1, \"op\": \"invalidate\"}",                    /* needs a port */
        "{\"ref\": 1, \"op\": \"async\", \"queue\": \"main\"}",    /* needs a block */
        "{\"ref\": 1, \"op\": \"reply\", \"echo\": true, \"reply\": {\"hex\": \"00\"}}",
        "{\"ref\": 1, \"op\": \"create_local\", \"context\": {\"info\": \"x\"}}",
        "{\"ref\": 1, \"op\": \"create_local\", \"context\": {\"other\": 1}}",
        "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": \"nan\"}",
        "{\"ref\": 1, \"op\": \"run_loop\", \"mode\": \"default\"}", /* needs for_ns */
        "{\"ref\": 1, \"op\": \"signal\"}",                   /* needs a signal */
        "{\"ref\": 1, \"op\": \"signal\", \"signal\": \"a b\"}", /* not an identifier */
        "{\"ref\": 1, \"op\": \"wait_for\", \"signal\": \"s\", \"count\": 0, \"timeout_ns\": 5}",
        "{\"ref\": 1, \"op\": \"wait_for\", \"signal\": \"s\", \"count\": 1, \"timeout_ns\": -5}",
        "{\"ref\": 1, \"op\": \"wait_for\", \"signal\": \"s\", \"count\": 1}", /* needs timeout_ns */
        /* issue 10: the loader's limits (cm_limits.h), see conf_limits_test for the pairs */
        "{\"ref\": 1, \"op\": \"sleep\", \"duration_ns\": -1}",
        "{\"ref\": 1, \"op\": \"work\", \"duration_ns\": 1000000000000000001}",
        "{\"ref\": 1, \"op\": \"run_loop\", \"mode\": \"default\", \"for_ns\": \"nan\"}",
        "{\"ref\": 1, \"op\": \"add_timer\", \"mode\": \"default\", \"after_ns\": -1, \"timer\": \"t\"}",
        "{\"ref\": 1, \"op\": \"send\", \"port\": \"r\", \"send_timeout_ns\": 0, \"data\": {\"size\": 2147483648}}",
        "{\"ref\": 1, \"op\": \"send\", \"port\": \"r\", \"send_timeout_ns\": -1000000000000000001}",
    };
    base_arena a;
    base_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        conf_jdoc doc;
        char err[200] = "";
        assert_true(conf_json_parse(bad[i], strlen(bad[i]), &doc, err, sizeof err));
        conf_step s;
        bool ok = conf_step_read(&doc, doc.root, &a, &s, err, sizeof err);
        if (ok) print_error("accepted %s\n", bad[i]);
        assert_false(ok);
        assert_true(strlen(err) > 0);
        conf_json_fini(&doc);
    }
    base_arena_fini(&a);
}

/* ---- fuzz ------------------------------------------------------------------------------------ */

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Mutates valid lines (bit flips, byte changes, truncations, splices, repeats) and decodes
 * them in both directions: every result is a success or a one-line error. */
static void test_fuzz_mutations(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"type\": \"hello\", \"protocol\": 1, \"implementation\": {\"name\": \"x\", \"version\": \"1\"}, \"clock\": \"host_monotonic\", \"capabilities\": [\"timers\"], \"events\": [\"callout\"]}\n",
        "{\"type\": \"call\", \"exec\": 3, \"ref\": 12, \"id\": 4, \"thread\": \"queue:work\", \"t_ns\": 1000}\n",
        "{\"type\": \"return\", \"exec\": 3, \"t_ns\": 5, \"elapsed_ns\": 2, \"result\": -2, \"port\": 7, \"reply\": {\"hex\": \"6869\"}}\n",
        "{\"type\": \"event\", \"kind\": \"invalidation_callback\", \"t_ns\": 9, \"thread\": 2, \"port\": 1, \"callback\": \"cb\", \"via_set\": true}\n",
        "{\"type\": \"command\", \"id\": 1, \"process\": \"p\", \"thread\": \"main\", \"step\": {\"ref\": 0, \"op\": \"send\", \"port\": \"r\", \"msgid\": 1, \"data\": {\"size\": 3}, \"send_timeout_ns\": \"forever\", \"recv_timeout_ns\": 5, \"reply_mode\": \"default\"}}\n",
        "{\"type\": \"program\", \"name\": \"h\", \"kind\": \"handler\", \"steps\": [{\"ref\": 2, \"op\": \"reply\", \"echo\": true}, {\"ref\": 3, \"op\": \"work\", \"duration_ns\": 5}]}\n",
    };
    char buf[2048];
    base_arena a;
    base_arena_init(&a, (size_t)64 << 20);
    for (uint32_t i = 0; i < 20000; i++) {
        const char *seed = seeds[next_random() % (sizeof seeds / sizeof seeds[0])];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        uint32_t edits = 1 + (uint32_t)(next_random() % 4);
        for (uint32_t e = 0; e < edits; e++) {
            size_t at = (size_t)(next_random() % len);
            switch (next_random() % 5) {
            case 0: buf[at] = (char)(buf[at] ^ (1 << (next_random() % 8))); break;
            case 1: buf[at] = (char)(next_random() & 0xff); break;
            case 2: len = at + 1; break;
            case 3:
                if (len + 8 < sizeof buf) {
                    memmove(buf + at + 8, buf + at, len - at);
                    memcpy(buf + at, "[[{\"\":1", 8);
                    len += 8;
                }
                break;
            default:
                if (2 * len < sizeof buf) {
                    memcpy(buf + len, buf, len);
                    len *= 2;
                }
                break;
            }
        }
        for (int dir = CONF_TO_AGENT; dir <= CONF_TO_RUNNER; dir++) {
            conf_msg m;
            char err[200] = "";
            bool ok = conf_msg_decode(buf, len, (conf_dir)dir, &m, err, sizeof err);
            if (!ok) {
                assert_true(strlen(err) > 0);
                assert_null(strchr(err, '\n'));
            } else if (m.type == CONF_MSG_COMMAND) {
                conf_step s;
                (void)conf_step_read(&m.doc, conf_msg_get(&m, "step"), &a, &s, err, sizeof err);
            }
            conf_msg_fini(&m);
        }
        if (a.used_bytes > ((size_t)32 << 20)) {
            base_arena_fini(&a);
            base_arena_init(&a, (size_t)64 << 20);
        }
    }
    base_arena_fini(&a);
}

/* What one decode gave: accepted with a type, or rejected with a reason. */
typedef struct decode_outcome {
    bool ok;
    uint8_t type;
    char err[200];
    char message[512]; /* an accepted "log" line's message */
} decode_outcome;

/* Decodes len bytes from an exact-size heap copy (a read past the end is caught under
 * ASan and valgrind), and checks the contract of conf_msg_decode on the way: accepted
 * with a known type of that direction and no reason, or rejected with a one-line,
 * printable, non-empty reason; never both, never neither. */
static decode_outcome decode_once(const char *bytes, size_t len, conf_dir dir)
{
    decode_outcome o;
    memset(&o, 0, sizeof o);
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len) memcpy(copy, bytes, len);
    conf_msg m;
    o.ok = conf_msg_decode(copy, len, dir, &m, o.err, sizeof o.err);
    size_t err_len = strlen(o.err);
    if (o.ok) {
        assert_int_equal(err_len, 0); /* accepted: no reason written */
        assert_true(m.type > CONF_MSG_NONE && m.type < CONF_MSG_TYPE_COUNT);
        assert_non_null(conf_msg_type_name(m.type));
        o.type = m.type;
        const char *msg = m.type == CONF_MSG_LOG ? conf_msg_str(&m, "message") : NULL;
        if (msg != NULL) snprintf(o.message, sizeof o.message, "%s", msg);
    } else {
        assert_true(err_len > 0 && err_len < sizeof o.err); /* rejected: a reason */
        for (size_t i = 0; i < err_len; i++) { /* one line, never raw bytes */
            unsigned char c = (unsigned char)o.err[i];
            if (c < 0x20 || c >= 0x7f) {
                print_message("byte 0x%02x in the reason \"%s\" for the %zu-byte input:\n", c, o.err, len);
                for (size_t k = 0; k < len; k++) print_message("%02x", (unsigned char)bytes[k]);
                print_message("\n");
            }
            assert_true(c >= 0x20 && c < 0x7f);
        }
    }
    conf_msg_fini(&m);
    free(copy);
    return o;
}

/* True when the bytes hold something no line may hold whatever the JSON says: a control
 * byte (other than tab and the final newline) or a byte that never occurs in UTF-8. */
static bool has_forbidden_byte(const char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '\n' && i + 1 == len) break;
        if ((c < 0x20 && c != '\t') || c == 0xc0 || c == 0xc1 || c >= 0xf5) return true;
    }
    return false;
}

/* Random bytes (not derived from valid lines) in both directions, and log lines whose
 * message is random text: each input is accepted or rejected with a printable one-line
 * reason (never both, never neither); decoding is deterministic and reads only its len
 * bytes (the same result from a fresh copy, whatever follows); a forbidden byte is always
 * rejected; an accepted log line gives back its message exactly. Both outcomes occur. */
static void test_fuzz_random_bytes(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\":,\n 0a-\\tu";
    static const char *const utf8[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80",
                                       "\xc0\xaf", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "\xc3"};
    char buf[768];
    uint32_t accepted = 0, rejected = 0, logs_accepted = 0, forbidden = 0;
    for (uint32_t i = 0; i < 20000; i++) {
        size_t len = 0;
        char text[256];
        size_t text_len = 0;
        bool plain = true; /* the log message is printable ASCII without escapes */
        if (i % 4 == 3) {
            /* a log line around random text: ASCII, UTF-8 (valid and not) and raw bytes */
            size_t want = (size_t)(next_random() % 64);
            while (text_len < want) {
                uint64_t r = next_random();
                if (r % 8 == 0) {
                    const char *u = utf8[(r >> 8) % (sizeof utf8 / sizeof utf8[0])];
                    memcpy(text + text_len, u, strlen(u));
                    text_len += strlen(u);
                    plain = false;
                } else if (r % 16 == 1) {
                    text[text_len++] = (char)(r >> 8);
                    plain = false;
                } else {
                    char ch = (char)(0x20 + (r >> 8) % 95);
                    plain = plain && ch != '"' && ch != '\\';
                    text[text_len++] = ch;
                }
            }
            text[text_len] = '\0';
            len = (size_t)snprintf(buf, sizeof buf, "{\"type\": \"log\", \"message\": \"%s\"}\n", text);
            assert_true(len < sizeof buf);
        } else {
            len = (size_t)(next_random() % 512);
            for (size_t k = 0; k < len; k++) {
                uint64_t r = next_random();
                buf[k] = (r & 3) == 0 ? alphabet[r % (sizeof alphabet - 1)] : (char)(r >> 8);
            }
        }
        conf_dir dir = i % 2 ? CONF_TO_RUNNER : CONF_TO_AGENT;
        decode_outcome a = decode_once(buf, len, dir);
        /* the same bytes again, now followed by other bytes in the caller's buffer */
        char padded[sizeof buf + 8];
        memcpy(padded, buf, len);
        memset(padded + len, i % 3 ? '}' : '\0', 8);
        conf_msg m;
        char err[200] = "";
        bool ok_padded = conf_msg_decode(padded, len, dir, &m, err, sizeof err);
        uint8_t type_padded = m.type;
        conf_msg_fini(&m);
        decode_outcome b = decode_once(buf, len, dir);
        assert_int_equal(a.ok, b.ok);
        assert_int_equal(a.type, b.type);
        assert_string_equal(a.err, b.err);
        assert_string_equal(a.message, b.message);
        assert_int_equal(ok_padded, a.ok);
        assert_int_equal(type_padded, a.type);
        assert_string_equal(err, a.err);
        if (has_forbidden_byte(buf, len)) {
            forbidden++;
            assert_false(a.ok);
        }
        if (a.ok) {
            accepted++;
            if (a.type == CONF_MSG_LOG) {
                logs_accepted++;
                assert_true(dir == CONF_TO_RUNNER); /* log goes agent -> runner only */
                if (plain) assert_string_equal(a.message, text);
            }
        } else {
            rejected++;
        }
    }
    assert_int_equal(accepted + rejected, 20000);
    assert_true(logs_accepted > 100); /* the accepting path was exercised */
    assert_true(rejected > 10000);
    assert_true(forbidden > 1000);
}

/* Signal names: identifiers, and "ended:" with a process's identifier (wait_for: {ended: P}),
 * nothing else; the ':' stays out of every other name. */
static void test_signal_names(void **state)
{
    (void)state;
    assert_true(conf_signal_name_valid("ready"));
    assert_true(conf_signal_name_valid("ended:server"));
    assert_true(conf_signal_name_valid("ended"));
    assert_false(conf_signal_name_valid("ended:"));
    assert_false(conf_signal_name_valid("ended:a:b"));
    assert_false(conf_signal_name_valid("other:server"));
    assert_false(conf_signal_name_valid(":server"));
    assert_false(conf_signal_name_valid(NULL));
    assert_false(conf_name_valid("ended:server"));
    char longest[CONF_SIGNAL_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest);
    memcpy(longest, CONF_ENDED_PREFIX, sizeof CONF_ENDED_PREFIX - 1);
    longest[CONF_SIGNAL_NAME_MAX] = '\0';
    assert_true(conf_signal_name_valid(longest));
    longest[CONF_SIGNAL_NAME_MAX] = 'a';
    longest[CONF_SIGNAL_NAME_MAX + 1] = '\0';
    assert_false(conf_signal_name_valid(longest));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_names),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_nul_in_string),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_crashed_line),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_line_shape_bounds_libfyaml),
        cmocka_unit_test(test_data_values),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_every_step_round_trips),
        cmocka_unit_test(test_bad_steps),
        cmocka_unit_test(test_fuzz_mutations),
        cmocka_unit_test(test_fuzz_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
