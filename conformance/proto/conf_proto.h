/*
 * conf_proto.h — the agent protocol (docs/agent-protocol.md), version 1:
 * message types, the scenario step vocabulary, data values, and strict
 * decoders shared by the runner and the agents (prefix conf_).
 *
 * Every line is one JSON object with a "type". conf_msg_decode parses a
 * line, checks it against the schema of its type for one direction
 * (unknown keys, missing keys and wrong types are errors, with a clear
 * message) and keeps the parsed tree for the caller to read. Steps and
 * data values have their own decoders, which copy what they keep into a
 * caller-owned arena (base_arena.h).
 *
 * Ownership: a conf_msg owns its tree (conf_msg_fini). Nothing here is
 * thread-safe; nothing keeps pointers to caller memory.
 */
#ifndef CONF_PROTO_H
#define CONF_PROTO_H

#include "base_arena.h"
#include "cm_limits.h"
#include "cm_program.h" /* CM_WHEN_*: a step's condition, one declaration */
#include "conf_json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_PROTO_VERSION 1
/* Data of at most this many bytes travels inline as hex; larger data goes as a blob
 * (runner to agent) or as {"size", "fnv1a64"} (agent to runner). */
#define CONF_DATA_INLINE_MAX CM_LIMIT_INLINE_DATA_BYTES
/* Raw bytes per "blob" or "source" message. */
#define CONF_CHUNK_MAX ((size_t)256 * 1024)
/* Names of processes, threads, programs, modes, queues, variables (the loader's limit). */
#define CONF_NAME_MAX CM_LIMIT_NAME_BYTES
/* Durations that are not a number of nanoseconds (core/'s cm_types.h). */
#define CONF_DUR_FOREVER CM_DURATION_FOREVER
#define CONF_DUR_NAN CM_DURATION_NAN

/* ---- message types ----------------------------------------------------------------- */

typedef enum conf_dir {
    CONF_TO_AGENT = 1,  /* runner -> agent, on the agent's stdin */
    CONF_TO_RUNNER = 2, /* agent -> runner, on the agent's stdout */
} conf_dir;

typedef enum conf_msg_type {
    CONF_MSG_NONE = 0,
    /* both directions */
    CONF_MSG_HELLO,
    /* runner -> agent */
    CONF_MSG_SOURCE,  /* world agents: the scenario file, in chunks */
    CONF_MSG_BLOB,    /* large data, in chunks, referred to as {"blob": id} */
    CONF_MSG_PROCESS, /* a process: threads, queues, modes */
    CONF_MSG_PROGRAM, /* a handler, invalidation callback, timer or block */
    CONF_MSG_COMMAND, /* one step for one thread */
    CONF_MSG_CLOSE,   /* no more commands for that thread */
    CONF_MSG_START,   /* run (a process, or the world) */
    CONF_MSG_SIGNAL,  /* a signal's count raised by other processes (signal / wait_for) */
    /* agent -> runner */
    CONF_MSG_CALL,   /* a step began */
    CONF_MSG_RETURN, /* it returned */
    CONF_MSG_EVENT,  /* something happened (callout, invalidation callback, ...) */
    CONF_MSG_ERROR,  /* a line was rejected, or the agent gives up */
    CONF_MSG_LOG,    /* free text for humans */
    CONF_MSG_END,    /* world agents: the run ended */
    CONF_MSG_CRASHED, /* process agents: the process crashed inside a CF call (a signal) */
    CONF_MSG_TYPE_COUNT
} conf_msg_type;

const char *conf_msg_type_name(uint8_t type);

typedef struct conf_msg {
    uint8_t type; /* conf_msg_type */
    conf_jdoc doc;
    uint32_t root;
} conf_msg;

/*
 * Parses and checks one line for a direction. On failure writes a
 * one-line reason to err (never echoing raw bytes) and returns false;
 * msg must be finalised either way.
 */
bool conf_msg_decode(const char *line, size_t len, conf_dir dir, conf_msg *msg, char *err,
                     size_t err_cap);
void conf_msg_fini(conf_msg *msg);
/* Fields of a decoded message (valid because the schema was checked). */
uint32_t conf_msg_get(const conf_msg *msg, const char *key);
const char *conf_msg_str(const conf_msg *msg, const char *key); /* NULL when absent/null */
int64_t conf_msg_int(const conf_msg *msg, const char *key, int64_t absent);
bool conf_msg_bool(const conf_msg *msg, const char *key, bool absent);

/* ---- data values ---------------------------------------------------------------------- */

typedef enum conf_data_kind {
    CONF_DATA_NULL = 0,   /* no CFData */
    CONF_DATA_BYTES = 1,  /* bytes[0..len) */
    CONF_DATA_SIZE = 2,   /* size bytes whose content is not tracked */
    CONF_DATA_BLOB = 3,   /* a blob (runner -> agent) */
    CONF_DATA_DIGEST = 4, /* size bytes with this FNV-1a 64 digest (agent -> runner) */
} conf_data_kind;

typedef struct conf_data {
    uint8_t kind;
    const uint8_t *bytes;
    size_t len;
    int64_t size;    /* SIZE, DIGEST; BYTES: len */
    uint32_t blob;   /* BLOB */
    uint64_t digest; /* DIGEST */
} conf_data;

/* FNV-1a, 64 bits (the digest of large data). */
uint64_t conf_fnv1a64(const uint8_t *bytes, size_t len);
/* Writes a data value: null, {"text"} (printable ASCII), {"hex"}, {"size"}, {"blob"} or, for
 * bytes longer than inline_max, {"size", "fnv1a64"}. Readers accept {"text"} with any UTF-8. */
void conf_data_write(base_jw *w, const conf_data *d, size_t inline_max);
/* Reads a data value; bytes are copied into arena. False (with err) when malformed. */
bool conf_data_read(const conf_jdoc *doc, uint32_t node, base_arena *arena, conf_data *out,
                    char *err, size_t err_cap);
/* Hex text of bytes into arena (2 * len + 1 bytes). */
char *conf_hex(base_arena *arena, const uint8_t *bytes, size_t len);
/* Decodes hex (spaces not allowed); NULL on a bad digit or odd length. */
uint8_t *conf_unhex(base_arena *arena, const char *hex, size_t hex_len, size_t *out_len);

/* Durations: an integer of nanoseconds within +-CM_LIMIT_DURATION_NS, "forever" or "nan". */
void conf_dur_write(base_jw *w, int64_t ns);
bool conf_dur_read(const conf_jdoc *doc, uint32_t node, int64_t *out);

/* ---- steps ------------------------------------------------------------------------------ */

/* The scenario step vocabulary (docs/scenario-format.md §4), one keyword each. */
typedef enum conf_op {
    CONF_OP_NONE = 0,
    CONF_OP_CREATE_LOCAL,
    CONF_OP_CREATE_LOCAL_PER_PID,
    CONF_OP_CREATE_REMOTE,
    CONF_OP_CREATE_REMOTE_PER_PID,
    CONF_OP_SET_NAME,
    CONF_OP_GET_NAME,
    CONF_OP_IS_VALID,
    CONF_OP_IS_REMOTE,
    CONF_OP_GET_CONTEXT,
    CONF_OP_GET_INVALIDATION_CALLBACK,
    CONF_OP_SET_INVALIDATION_CALLBACK,
    CONF_OP_COPY_DESCRIPTION,
    CONF_OP_GET_TYPE_ID,
    CONF_OP_INVALIDATE,
    CONF_OP_RETAIN,
    CONF_OP_RELEASE,
    CONF_OP_CREATE_SOURCE,
    CONF_OP_ADD_SOURCE,
    CONF_OP_REMOVE_SOURCE,
    CONF_OP_SCHEDULE,
    CONF_OP_SET_DISPATCH_QUEUE,
    CONF_OP_SEND,
    CONF_OP_RUN_LOOP,
    CONF_OP_RUN,
    CONF_OP_STOP,
    CONF_OP_WAKE_UP,
    CONF_OP_ADD_COMMON_MODE,
    CONF_OP_ADD_TIMER,
    CONF_OP_ASYNC,
    CONF_OP_SLEEP,
    CONF_OP_WORK,
    CONF_OP_REPLY,
    CONF_OP_CRASH,
    CONF_OP_EXIT,
    CONF_OP_SIGNAL,   /* raise a scenario signal once */
    CONF_OP_WAIT_FOR, /* wait until a signal's total count -> bool */
    CONF_OP_COUNT
} conf_op;

const char *conf_op_keyword(uint8_t op);
uint8_t conf_op_by_keyword(const char *keyword); /* CONF_OP_NONE if unknown */

/* How an operation's "result" is written in a return line. */
typedef enum conf_result_kind {
    CONF_RESULT_NONE = 0,    /* no result */
    CONF_RESULT_STATUS = 1,  /* send: SInt32, 0 .. -5 */
    CONF_RESULT_CREATED = 2, /* creates, create_source: bool */
    CONF_RESULT_BOOL = 3,
    CONF_RESULT_RUN = 4,     /* CFRunLoopRunResult, 1 .. 4 */
    CONF_RESULT_NAME = 5,    /* get_name: data or null */
    CONF_RESULT_INFO = 6,    /* get_context: integer, null or "undefined" */
    CONF_RESULT_CALLBACK = 7, /* get_invalidation_callback: program name or null */
    CONF_RESULT_INT = 8,     /* get_type_id */
} conf_result_kind;

conf_result_kind conf_op_result_kind(uint8_t op);

typedef struct conf_step {
    uint32_t ref;          /* the scenario's step index */
    uint8_t op;            /* conf_op */
    const char *port;      /* variable, "self", or NULL */
    bool has_name;
    conf_data name;        /* create_*, set_name (NULL kind: a NULL name) */
    const char *program;   /* handler, callback, timer or block; NULL */
    const char *process;   /* create_remote_per_pid */
    const char *thread;    /* add_source, remove_source, stop, wake_up; NULL: this one */
    const char *queue;     /* set_dispatch_queue (NULL: detach), async */
    const char *mode;      /* run-loop mode; send: reply mode (NULL: one-way) */
    int32_t msgid;
    conf_data data;        /* send data, reply data */
    int64_t t1_ns;         /* send timeout, for, after, duration */
    int64_t t2_ns;         /* receive timeout, every */
    int64_t info;          /* create_local context info */
    const char *signal;    /* signal, wait_for */
    uint32_t count;        /* wait_for: the total raises awaited (>= 1) */
    bool ctx_retain, ctx_release, ctx_copy_description;
    bool no_return_data, malformed, return_after_source, echo;
    uint8_t when;          /* CM_WHEN_* flags: a handler's step runs only for a matching request */
    int32_t when_msgid;
    conf_data when_data;   /* bytes or {size: N} (zeros), inline */
    int64_t when_size;
} conf_step;

/* Writes a step object (used by the runner). */
void conf_step_write(base_jw *w, const conf_step *s);
/* Reads a step object; strings and bytes are copied into arena. */
bool conf_step_read(const conf_jdoc *doc, uint32_t node, base_arena *arena, conf_step *out,
                    char *err, size_t err_cap);
/* True when the fields a step's operation needs are present and sane, within the loader's
 * limits (cm_limits.h: each duration with the flags the scenario format gives its key). */
bool conf_step_validate(const conf_step *s);

/* ---- capabilities and event kinds ----------------------------------------------------- */

/* Capabilities an agent may announce in its hello. */
#define CONF_CAP_DISPATCH_QUEUES "dispatch_queues"
#define CONF_CAP_CONCURRENT_QUEUES "concurrent_queues"
#define CONF_CAP_TIMERS "timers"
#define CONF_CAP_PER_PID "per_pid"
#define CONF_CAP_MALFORMED_SEND "malformed_send"
#define CONF_CAP_COPY_DESCRIPTION "copy_description"
#define CONF_CAP_MACH_SERVICES "mach_services"
#define CONF_CAP_SANDBOX "sandbox"

/* Identifiers: 1..CONF_NAME_MAX of [A-Za-z0-9_.-], not starting with a digit, '.' or '-'. */
bool conf_name_valid(const char *s);

/* Signal names: an identifier, or "ended:" and a process's identifier (the signal the end of
 * that process raises: scenario-format 4.6), so at most CONF_SIGNAL_NAME_MAX bytes. */
#define CONF_ENDED_PREFIX CM_ENDED_SIGNAL_PREFIX
#define CONF_SIGNAL_NAME_MAX (sizeof CONF_ENDED_PREFIX - 1 + CONF_NAME_MAX)
bool conf_signal_name_valid(const char *s);

#endif /* CONF_PROTO_H */
