/*
 * cm_event_kinds.h — every event kind and every event's values, declared once.
 *
 * Everything else about an event kind is derived from these two lists:
 * the cm_event_kind enum and the kind names (cm_trace.h, cm_trace.c), the
 * named fields of cm_event, the canonical text (cm_event_format), and the
 * simulator's event kinds (sim_event_kind in sim/sim_scenario.h) with its
 * mapping from the core's (sim/sim_model.c). docs/trace.md describes the
 * result field by field; keep it true when a row changes.
 *
 * An event carries, besides its header (time, seq, process, thread,
 * program:op, port, message serial), three values in fixed slots: a and b
 * (32 bits) and c (64 bits). The slots are what the trace hash encodes
 * (cm_trace.h), so a slot never moves: appending a kind or naming a field
 * keeps every hash, while reordering kinds or moving a field to another
 * slot changes them all (sim/tests/golden-hashes.txt says so at once).
 *
 * CM_EVENT_SHAPES(S) calls S(shape, a, b, c) for each shape: the names of
 * the three slots for the kinds of that shape. The shape is a member of
 * cm_event (ev->request.msgid, ev->ret.elapsed_ns); unused_* slots are 0.
 *
 * CM_EVENT_KINDS(X) calls X(ID, name, shape, counted, text_a, text_b, text_c)
 * for each kind, in the order of its enum value (CM_EV_<ID>):
 *   name     its name in the canonical text and in scenarios;
 *   shape    which member of cm_event holds its values;
 *   counted  COUNTED: a scenario's `events:` may count it, and the
 *            simulator observes it under the same name (SIM_EV_<ID>);
 *            UNCOUNTED: the simulator handles it itself (calls, returns,
 *            the end) or not at all;
 *   text_*   how the slot appears in the canonical text, after the header:
 *            NO           not printed
 *            KV(key)      " key=<value>"
 *            NZ(key)      " key=<value>" when the value is not 0
 *            DATA(key)    " key=" and the data: "bytes", NULL or bytes:<size>
 *            NAME         " " and the port name, quoted
 *            OP           " " and the operation's name
 *            DROP         " malformed" or " invalid_on_arrival"
 *            FROM, TO     " <state>" and "-><state>"
 *            RETURN       the operation's name and its results (by operation)
 */
#ifndef CM_EVENT_KINDS_H
#define CM_EVENT_KINDS_H

/*      shape         slot a (int32)  slot b (int32)  slot c (int64) */
#define CM_EVENT_SHAPES(S)                                                       \
    S(none,          unused_a,        unused_b,        unused_c)                 \
    S(start,         incarnation,     pid,             unused_c)                 \
    S(call,          op,              unused_b,        unused_c)                 \
    S(ret,           result,          aux,             elapsed_ns)               \
    S(state,         from,            to,              unused_c)                 \
    S(request,       msgid,           convid,          size_bytes)               \
    S(callout_done,  reply,           unused_b,        reply_size_bytes)         \
    S(reply,         convid,          delivered,       size_bytes)               \
    S(drop,          reason,          convid,          unused_c)                 \
    S(callback,      callback,        at_once,         info)                     \
    S(context,       unused_a,        unused_b,        info)                     \
    S(timer,         timer,           unused_b,        unused_c)                 \
    S(block,         queue,           block_kind,      unused_c)                 \
    S(process_end,   reason,          unused_b,        unused_c)                 \
    S(name,          name,            kport,           unused_c)                 \
    S(kport,         unused_a,        kport,           unused_c)                 \
    S(warning,       warning,         name,            size_bytes)               \
    S(choice,        choice_kind,     picked,          option_count)             \
    S(blocked,       frame_kind,      unused_b,        elapsed_ns)               \
    S(end,           reason,          unused_b,        unused_c)

/*
 * The slots, shape by shape:
 *   start         incarnation: 1, 2, ... per (re)start; pid: the process's pid
 *   call          op: the cm_op_kind
 *   ret           result: the operation's result (send: the status; creates:
 *                 the port or -1; get_name: the name id; reply: the data code
 *                 of cm_data_encode; run loops, sleep, wait_for: the result
 *                 code; signal: the raises so far); aux: send: the reply's
 *                 data code or -1 (none); create_local: should_free_info;
 *                 get_context: the info; elapsed_ns: blocking operations only
 *   state         from, to: cm_port_state
 *   request       msgid, convid and size of a request message
 *   callout_done  reply: the reply's data code (cm_data_encode); its size
 *   reply         convid: the reply message's conversation id (REPLY_SENT:
 *                 negative, as CF's reply carries it; FILED, DROPPED: the
 *                 request's); delivered: 1 when the client's reply port was
 *                 alive (REPLY_SENT only); size_bytes: the reply's size
 *   drop          reason: cm_drop_reason; convid: the request's
 *   callback      callback: the program that runs; at_once: 1 when
 *                 SetInvalidationCallBack ran it at once (R8); info
 *   context       info: the context info the callback is called with
 *   timer         timer: the run-loop timer's id
 *   block         queue: the dispatch queue (CM_QUEUE_MAIN: main);
 *                 block_kind: cm_block_kind
 *   process_end   reason: cm_crash_reason (CRASH), 0 (EXIT)
 *   name          name: the name id; kport: the kernel port (REGISTERED)
 *   kport         kport: the kernel port whose receive right died
 *   warning       warning: cm_warning; name: the name id (REGISTER_FAILED);
 *                 size_bytes: the data's size (DATA_TOO_BIG, REPLY_TOO_BIG)
 *   choice        choice_kind: cm_choice_kind; picked: the option taken
 *                 of option_count
 *   blocked       frame_kind: the open frame's kind; elapsed_ns since it began
 *   end           reason: cm_end_reason
 */

/*      ID                        name                        shape         counted    text a           text b          text c */
#define CM_EVENT_KINDS(X)                                                                                                              \
    X(START,                    "start",                    start,        COUNTED,   KV(incarnation), KV(pid),        NO)              \
    X(CALL,                     "call",                     call,         UNCOUNTED, OP,              NO,             NO)              \
    X(RETURN,                   "return",                   ret,          UNCOUNTED, RETURN,          NO,             NO)              \
    X(STATE,                    "state",                    state,        UNCOUNTED, FROM,            TO,             NO)              \
    X(ENQUEUE,                  "enqueue",                  request,      COUNTED,   KV(msgid),       KV(convid),     KV(size))        \
    X(SEND_BLOCKED,             "send_blocked",             request,      COUNTED,   KV(msgid),       KV(convid),     NO)              \
    X(CALLOUT,                  "callout",                  request,      COUNTED,   KV(msgid),       KV(convid),     KV(size))        \
    X(CALLOUT_DONE,             "callout_done",             callout_done, COUNTED,   DATA(reply),     NO,             NO)              \
    X(REPLY_SENT,               "reply_sent",               reply,        COUNTED,   KV(convid),      KV(delivered),  KV(size))        \
    X(REPLY_FILED,              "reply_filed",              reply,        COUNTED,   KV(convid),      NO,             KV(size))        \
    X(REPLY_DROPPED,            "reply_dropped",            reply,        COUNTED,   KV(convid),      NO,             KV(size))        \
    X(CORRUPT_REPLY_DROPPED,    "corrupt_reply_dropped",    none,         COUNTED,   NO,              NO,             NO)              \
    X(MESSAGE_DESTROYED,        "message_destroyed",        request,      COUNTED,   KV(msgid),       KV(convid),     KV(size))        \
    X(REQUEST_DROPPED,          "request_dropped",          drop,         COUNTED,   DROP,            KV(convid),     NO)              \
    X(INVALIDATION_CALLBACK,    "invalidation_callback",    callback,     COUNTED,   KV(callback),    NO,             KV(info))        \
    X(CONTEXT_RETAIN,           "context_retain",           context,      COUNTED,   NO,              NO,             KV(info))        \
    X(CONTEXT_RELEASE,          "context_release",          context,      COUNTED,   NO,              NO,             KV(info))        \
    X(CONTEXT_COPY_DESCRIPTION, "context_copy_description", context,      COUNTED,   NO,              NO,             KV(info))        \
    X(TIMER,                    "timer",                    timer,        COUNTED,   KV(timer),       NO,             NO)              \
    X(BLOCK,                    "block",                    block,        COUNTED,   KV(queue),       KV(kind),       NO)              \
    X(CRASH,                    "crash",                    process_end,  COUNTED,   KV(reason),      NO,             NO)              \
    X(EXIT,                     "exit",                     process_end,  COUNTED,   NZ(reason),      NO,             NO)              \
    X(THREAD_END,               "thread_end",               none,         UNCOUNTED, NO,              NO,             NO)              \
    X(NAME_REGISTERED,          "name_registered",          name,         COUNTED,   NAME,            NO,             NO)              \
    X(NAME_RELEASED,            "name_released",            name,         COUNTED,   NAME,            NO,             NO)              \
    X(PORT_DIED,                "port_died",                kport,        COUNTED,   NO,              KV(kport),      NO)              \
    X(DEATH_NOTICE,             "death_notice",             kport,        COUNTED,   NO,              KV(kport),      NO)              \
    X(DEALLOC,                  "dealloc",                  none,         COUNTED,   NO,              NO,             NO)              \
    X(WARNING,                  "warning",                  warning,      COUNTED,   KV(warning),     NZ(name),       NZ(size))           \
    X(CHOICE,                   "choice",                   choice,       UNCOUNTED, KV(kind),        KV(picked),     KV(of))          \
    X(BLOCKED_AT_END,           "blocked_at_end",           blocked,      UNCOUNTED, KV(frame),       NO,             KV(elapsed_ns))  \
    X(END,                      "end",                      end,          UNCOUNTED, KV(reason),      NO,             NO)

/* CM_EVENT_IF_COUNTED(counted, ...) expands to ... for COUNTED rows only; _UNCOUNTED the opposite. */
#define CM_EVENT_IF_COUNTED(counted, ...) CM_EVK_IF_COUNTED_##counted(__VA_ARGS__)
#define CM_EVENT_IF_UNCOUNTED(counted, ...) CM_EVK_IF_UNCOUNTED_##counted(__VA_ARGS__)
#define CM_EVK_IF_COUNTED_COUNTED(...) __VA_ARGS__
#define CM_EVK_IF_COUNTED_UNCOUNTED(...)
#define CM_EVK_IF_UNCOUNTED_COUNTED(...)
#define CM_EVK_IF_UNCOUNTED_UNCOUNTED(...) __VA_ARGS__

#endif /* CM_EVENT_KINDS_H */
