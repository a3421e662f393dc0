/*
 * cm_program.h — what the simulated threads do.
 *
 * Every simulated thread runs a program: a list of operations, most of
 * which are one CFMessagePort / CFRunLoop call. Callouts (a local port's
 * handler), invalidation callbacks, run-loop timers and dispatch blocks
 * are programs too. Programs are plain data owned by the caller (the
 * simulator's loader or a unit test); the world only points at them, so
 * one scenario can be run many times without copying.
 *
 * Operations refer to ports through the process's port variables
 * ("slots"): a create operation stores its result in a slot, later
 * operations name the slot. Inside a callout, CM_SLOT_SELF names the local
 * port whose message is being handled.
 */
#ifndef CM_PROGRAM_H
#define CM_PROGRAM_H

#include "cm_types.h"

/* Run-loop modes are small integers; names are set in cm_world_config. */
#define CM_MODE_DEFAULT UINT16_C(0) /* kCFRunLoopDefaultMode */
#define CM_MODE_COMMON UINT16_C(1)  /* kCFRunLoopCommonModes (pseudo-mode) */
#define CM_MODE_NONE CM_NONE16      /* NULL replyMode: a one-way send */
#define CM_MODE_MAX 32
/* Named signals of a scenario (CM_OP_SIGNAL / CM_OP_WAIT_FOR): counters shared by all processes. */
#define CM_SIGNAL_MAX 64

#define CM_SLOT_SELF UINT16_C(0xFFFE) /* the port a callout is handling */
#define CM_QUEUE_MAIN UINT16_C(0)     /* a process's main dispatch queue */

/* CFMessagePortGetTypeID: one id for local and remote ports (R4). */
#define CM_TYPE_ID 35

/* GetContext on a remote port reads past the object (R6): undefined. */
#define CM_INFO_UNDEFINED INT32_MIN

typedef enum cm_op_kind {
    CM_OP_NONE = 0,
    /* Creation and naming (R10–R24). Result: port id or -1, b = shouldFreeInfo. */
    CM_OP_CREATE_LOCAL,          /* slot, name, target=handler program, value=info */
    CM_OP_CREATE_LOCAL_PER_PID,  /* R20 SPI, same fields */
    CM_OP_CREATE_REMOTE,         /* slot, name */
    CM_OP_CREATE_REMOTE_PER_PID, /* slot, name, target=process whose pid */
    CM_OP_SET_NAME,              /* slot, name -> bool (R19) */
    /* Queries (R1, R5–R8). */
    CM_OP_GET_NAME,   /* -> name blob of the sanitized name, or -1 */
    CM_OP_IS_VALID,   /* -> bool, with R7's side effect */
    CM_OP_IS_REMOTE,  /* -> bool */
    CM_OP_GET_CONTEXT, /* -> info (c), a = version */
    CM_OP_GET_INVALIDATION_CALLBACK, /* -> callback program or -1 */
    CM_OP_SET_INVALIDATION_CALLBACK, /* slot, target=callback program or CM_NONE16 */
    CM_OP_COPY_DESCRIPTION,          /* slot (R9) */
    CM_OP_GET_TYPE_ID,               /* slot -> CM_TYPE_ID (R4) */
    /* Life cycle (R48, R52–R54). */
    CM_OP_INVALIDATE, /* slot */
    CM_OP_RETAIN,     /* slot */
    CM_OP_RELEASE,    /* slot; the slot is cleared */
    /* Run-loop sources and dispatch queues (R41, R47–R51). */
    CM_OP_CREATE_SOURCE, /* slot -> source id or -1 (NULL); the slot holds it */
    CM_OP_ADD_SOURCE,    /* slot, mode, target=thread (CM_NONE16: this one) */
    CM_OP_REMOVE_SOURCE, /* slot, mode, target=thread */
    CM_OP_SCHEDULE,      /* slot, mode: create source, add to this run loop -> bool */
    CM_OP_SET_DISPATCH_QUEUE, /* slot, target=queue or CM_NONE16 (NULL) */
    /* Messaging (R27–R39). Result: status, b = reply blob, c = elapsed. */
    CM_OP_SEND, /* slot, msgid, data, t1=send timeout, t2=rcv timeout, mode */
    /* Run loops (R32, R36). */
    CM_OP_RUN_IN_MODE,    /* mode, t1=seconds -> cm_run_result */
    CM_OP_RUN,            /* CFRunLoopRun: default mode until stopped/finished */
    CM_OP_STOP,           /* target=thread (CM_NONE16: this one) */
    CM_OP_WAKE_UP,        /* target=thread */
    CM_OP_ADD_COMMON_MODE, /* mode */
    CM_OP_ADD_TIMER,      /* mode, t1=first fire, t2=interval (0: once), target=program */
    CM_OP_ASYNC,          /* target=queue, value=program: dispatch_async a block */
    /* Plain thread behaviour. */
    CM_OP_SLEEP, /* t1; flag WORK: busy, same semantics */
    CM_OP_REPLY, /* callout only: data (flag ECHO: the request's data) */
    CM_OP_CRASH, /* this process dies at once (SIGKILL) */
    CM_OP_EXIT,  /* this process exits normally */
    /* Scenario ordering, no CF call (they cost no virtual time). */
    CM_OP_SIGNAL,   /* target=signal: raise it once */
    CM_OP_WAIT_FOR, /* target=signal, value=count, t1=timeout -> bool: raised count times */
    CM_OP_KIND_COUNT
} cm_op_kind;

/* Flags, by kind. */
#define CM_OPF_CTX_RETAIN 0x01u   /* create_local: context.retain set */
#define CM_OPF_CTX_RELEASE 0x02u  /* create_local: context.release set */
#define CM_OPF_CTX_COPYDESC 0x04u /* create_local: context.copyDescription set */
#define CM_OPF_NO_RETURN_DATA 0x01u /* send: returnData == NULL */
#define CM_OPF_MALFORMED 0x02u      /* send: a corrupt request (R45) */
#define CM_OPF_RETURN_AFTER_SOURCE 0x01u /* run_in_mode */
#define CM_OPF_WORK 0x01u                /* sleep: busy working */
#define CM_OPF_REPLY_ECHO 0x01u          /* reply: echo the request's data */

/* when: a handler's step runs only for a request that matches (all the fields flagged). */
#define CM_WHEN_MSGID 0x01u
#define CM_WHEN_DATA 0x02u /* the request's data equals data */
#define CM_WHEN_SIZE 0x04u /* the request has CFData of size_bytes */

typedef struct cm_when {
    uint8_t flags; /* CM_WHEN_*; 0: the step always runs */
    int32_t msgid;
    cm_data data;
    int64_t size_bytes;
} cm_when;

typedef struct cm_op {
    uint8_t kind;   /* cm_op_kind */
    uint8_t flags;  /* CM_OPF_* for the kind */
    uint16_t slot;  /* port variable, or CM_SLOT_SELF */
    uint16_t mode;  /* run-loop mode, CM_MODE_NONE */
    uint16_t target; /* program / queue / thread / process, by kind */
    int32_t msgid;
    uint32_t name;  /* blob of a port name; CM_NONE32 = NULL name */
    cm_data data;
    cm_duration_ns t1_ns;
    cm_duration_ns t2_ns;
    int64_t value;
    cm_when when;   /* handlers: run only for matching requests */
} cm_op;

typedef struct cm_program {
    const cm_op *ops;
    uint32_t count;
    uint32_t name; /* blob, for reports; CM_NONE32 if anonymous */
} cm_program;

const char *cm_op_kind_name(uint8_t kind);
/* True for operations that may block the calling thread. */
bool cm_op_kind_blocks(uint8_t kind);

#endif /* CM_PROGRAM_H */
