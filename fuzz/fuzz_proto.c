/*
 * fuzz_proto.c — the agent protocol's decoders on hostile lines, both
 * directions (docs/fuzzing.md, docs/agent-protocol.md).
 *
 * The input is split at newlines into at most FUZZ_PROTO_MAX_LINES lines
 * (each keeps its newline). Every line is decoded as runner -> agent and
 * as agent -> runner (conf_msg_decode), and what decodes goes on to what
 * the receiving side does with it before anything is spawned:
 *  - runner -> agent: the steps of program and command lines
 *    (conf_step_read, which ends in conf_step_validate), the hex of blob
 *    lines (conf_unhex), the names of process lines (conf_name_valid);
 *  - agent -> runner: hello (conf_agent_info_read, then
 *    conf_agent_info_validate must hold), the data values of return and
 *    event lines (conf_data_read).
 * Properties: a rejected line says why; a decoded step validates, and
 * written back (conf_step_write) it reads back unchanged.
 */
#include "fuzz_target.h"

#include "conf_proto.h"
#include "fuzz_conf.h"
#include "conf_runner.h"

#include <string.h>

#define FUZZ_PROTO_MAX_LINES 64u
#define FUZZ_PROTO_ARENA_BYTES ((size_t)32 << 20) /* the agent keeps steps in such an arena */

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every field conf_step_write writes. */
static bool same_step(const conf_step *a, const conf_step *b)
{
    return a->ref == b->ref && a->op == b->op && same_str(a->port, b->port) &&
           a->has_name == b->has_name && (!a->has_name || fuzz_same_data(&a->name, &b->name)) &&
           same_str(a->program, b->program) && same_str(a->process, b->process) &&
           same_str(a->thread, b->thread) && same_str(a->queue, b->queue) &&
           same_str(a->mode, b->mode) && a->msgid == b->msgid && fuzz_same_data(&a->data, &b->data) &&
           a->t1_ns == b->t1_ns && a->t2_ns == b->t2_ns && a->info == b->info &&
           a->ctx_retain == b->ctx_retain && a->ctx_release == b->ctx_release &&
           a->ctx_copy_description == b->ctx_copy_description &&
           a->no_return_data == b->no_return_data && a->malformed == b->malformed &&
           a->return_after_source == b->return_after_source && a->echo == b->echo && a->when == b->when &&
           (!(a->when & CM_WHEN_MSGID) || a->when_msgid == b->when_msgid) &&
           (!(a->when & CM_WHEN_DATA) || fuzz_same_data(&a->when_data, &b->when_data)) &&
           (!(a->when & CM_WHEN_SIZE) || a->when_size == b->when_size);
}

/* A decoded step, as the runner would write it: the agent must read back the same step. */
static void check_step_roundtrip(base_jw *w, const conf_step *s)
{
    base_jw_begin(w);
    base_jw_key(w, "step");
    conf_step_write(w, s);
    size_t len = 0;
    const char *line = base_jw_end(w, &len);
    if (line == NULL) return; /* longer than a line may be: the writer refuses, as it must */
    conf_jdoc doc;
    char err[200];
    FUZZ_CHECK(conf_json_parse(line, len, &doc, err, sizeof err), "a written step parses");
    base_arena arena;
    base_arena_init(&arena, FUZZ_PROTO_ARENA_BYTES);
    conf_step back;
    FUZZ_CHECK(conf_step_read(&doc, conf_json_get(&doc, doc.root, "step"), &arena, &back, err, sizeof err),
               "a written step reads back");
    FUZZ_CHECK(same_step(s, &back), "a written step reads back unchanged");
    base_arena_fini(&arena);
    conf_json_fini(&doc);
}

/* One step object as an agent reads it. */
static void agent_step(base_jw *w, const conf_jdoc *doc, uint32_t node, base_arena *arena)
{
    conf_step s;
    char err[200] = "";
    if (conf_step_read(doc, node, arena, &s, err, sizeof err)) {
        FUZZ_CHECK(conf_step_validate(&s), "a step that reads validates");
        FUZZ_CHECK(conf_op_keyword(s.op) != NULL, "a step's op has a keyword");
        check_step_roundtrip(w, &s);
    } else {
        FUZZ_CHECK(err[0] != '\0', "a rejected step says why");
    }
}

/* What an agent does with a decoded runner -> agent line before it runs anything. */
static void to_agent(base_jw *w, const conf_msg *m)
{
    const conf_jdoc *doc = &m->doc;
    base_arena arena;
    base_arena_init(&arena, FUZZ_PROTO_ARENA_BYTES);
    switch (m->type) {
    case CONF_MSG_PROGRAM: {
        const conf_jnode *steps = conf_json_node(doc, conf_msg_get(m, "steps"));
        FUZZ_CHECK(steps != NULL && steps->type == CONF_J_ARRAY, "a program has a step array");
        uint32_t v = steps->first;
        for (uint32_t i = 0; v != CONF_JSON_NONE && i < CONF_JSON_MAX_NODES; i++) {
            agent_step(w, doc, v, &arena);
            v = conf_json_node(doc, v)->next;
        }
        break;
    }
    case CONF_MSG_COMMAND: agent_step(w, doc, conf_msg_get(m, "step"), &arena); break;
    case CONF_MSG_BLOB: {
        size_t len = 0, out_len = 0;
        const char *hex = conf_json_text(doc, conf_msg_get(m, "hex"), &len);
        FUZZ_CHECK(hex != NULL, "a blob has its hex");
        uint8_t *bytes = conf_unhex(&arena, hex, len, &out_len);
        FUZZ_CHECK(bytes == NULL || out_len * 2 == len, "hex gives half as many bytes");
        break;
    }
    case CONF_MSG_PROCESS: {
        const conf_jnode *threads = conf_json_node(doc, conf_msg_get(m, "threads"));
        FUZZ_CHECK(threads != NULL, "a process has threads");
        for (uint32_t t = threads->first; t != CONF_JSON_NONE; t = conf_json_node(doc, t)->next) {
            const char *name = conf_json_str(doc, t);
            if (name != NULL) (void)conf_name_valid(name);
        }
        break;
    }
    default:
        FUZZ_CHECK(conf_msg_str(m, "type") != NULL, "every line has a type");
        break;
    }
    base_arena_fini(&arena);
}

/* A data member of an agent's line, as the runner reads it. */
static void runner_data(const conf_msg *m, const char *key)
{
    uint32_t v = conf_msg_get(m, key);
    const conf_jnode *n = conf_json_node(&m->doc, v);
    if (n == NULL || (n->type != CONF_J_OBJECT && n->type != CONF_J_NULL)) return;
    base_arena arena;
    base_arena_init(&arena, FUZZ_PROTO_ARENA_BYTES);
    conf_data d;
    char err[200] = "";
    if (conf_data_read(&m->doc, v, &arena, &d, err, sizeof err)) {
        FUZZ_CHECK(d.kind <= CONF_DATA_DIGEST, "a known data kind");
    } else {
        FUZZ_CHECK(err[0] != '\0', "rejected data says why");
    }
    base_arena_fini(&arena);
}

/* What the runner does with a decoded agent -> runner line, short of a session. */
static void to_runner(const conf_msg *m)
{
    switch (m->type) {
    case CONF_MSG_HELLO: {
        conf_agent_info info;
        char err[200] = "";
        if (conf_agent_info_read(m, &info, err, sizeof err)) {
            FUZZ_CHECK(conf_agent_info_validate(&info), "a hello that reads validates");
        } else {
            FUZZ_CHECK(err[0] != '\0', "a rejected hello says why");
        }
        break;
    }
    case CONF_MSG_RETURN:
        runner_data(m, "reply");
        runner_data(m, "result"); /* get_name: a data value */
        break;
    case CONF_MSG_EVENT: runner_data(m, "data"); break;
    default: break;
    }
}

static void decode_line(base_jw *w, const char *line, size_t len)
{
    static const conf_dir dirs[] = {CONF_TO_AGENT, CONF_TO_RUNNER};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        conf_msg m;
        char err[200] = "";
        if (conf_msg_decode(line, len, dirs[i], &m, err, sizeof err)) {
            FUZZ_CHECK(m.type > CONF_MSG_NONE && m.type < CONF_MSG_TYPE_COUNT, "a known type");
            FUZZ_CHECK(strcmp(conf_msg_type_name(m.type), "?") != 0, "a type with a name");
            if (dirs[i] == CONF_TO_AGENT) {
                to_agent(w, &m);
            } else {
                to_runner(&m);
            }
        } else {
            FUZZ_CHECK(err[0] != '\0', "a rejected line says why");
        }
        conf_msg_fini(&m);
    }
}

/* Lines of the input, each decoded both ways: see the file comment. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    base_jw w;
    FUZZ_CHECK(conf_jw_init(&w), "a writer");
    size_t start = 0;
    for (uint32_t n = 0; start < size && n < FUZZ_PROTO_MAX_LINES; n++) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl != NULL ? (size_t)(nl - data) + 1 : size;
        decode_line(&w, (const char *)data + start, end - start);
        start = end;
    }
    base_jw_fini(&w);
    return 0;
}
