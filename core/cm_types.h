/*
 * cm_types.h — basic types of portsim's core model (prefix cm_).
 *
 * The core is a pure, deterministic, in-process model of Apple's
 * CFMessagePort (see docs/semantics.md, rules R1–R67). It makes no
 * system call, reads no clock, calls no rand, starts no thread and prints
 * nothing: time, randomness and allocation come in through the world
 * (cm_world.h).
 */
#ifndef CM_TYPES_H
#define CM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CFMessagePortSendRequest status codes, exactly CF's (R27–R33). */
typedef enum cm_status {
    CM_SUCCESS = 0,
    CM_SEND_TIMEOUT = -1,
    CM_RECEIVE_TIMEOUT = -2,
    CM_IS_INVALID = -3,
    CM_TRANSPORT_ERROR = -4,
    CM_BECAME_INVALID = -5,
} cm_status;

/* CFRunLoopRunInMode results, CF's values. */
typedef enum cm_run_result {
    CM_RUN_FINISHED = 1,
    CM_RUN_STOPPED = 2,
    CM_RUN_TIMED_OUT = 3,
    CM_RUN_HANDLED_SOURCE = 4,
} cm_run_result;

/* Virtual time and durations, integer nanoseconds. */
typedef int64_t cm_time_ns;
typedef int64_t cm_duration_ns;

/* A CFTimeInterval that is NaN (R28: a NaN send timeout blocks forever). */
#define CM_DURATION_NAN INT64_MIN
/* Larger than any deadline: "never". */
#define CM_DURATION_FOREVER INT64_MAX
#define CM_NS_PER_MS INT64_C(1000000)
#define CM_NS_PER_S INT64_C(1000000000)
/* R28: send timeouts of 10 days or more mean "block forever". */
#define CM_SEND_TIMEOUT_FOREVER_NS (INT64_C(864000) * CM_NS_PER_S)

/* R27/R65: the largest CFData a message may carry. */
#define CM_MAX_DATA_BYTES INT64_C(0x60000000)
/* R10: BOOTSTRAP_MAX_NAME_LEN. */
#define CM_NAME_MAX_BYTES 128
/* R29: MACH_PORT_QLIMIT_DEFAULT. */
#define CM_QLIMIT_DEFAULT 5

/* "No such thing" for 16- and 32-bit ids. */
#define CM_NONE16 UINT16_C(0xFFFF)
#define CM_NONE32 UINT32_C(0xFFFFFFFF)
#define CM_NO_PORT INT32_C(-1)

/*
 * A CFData as the model sees it: a size and, when the content matters, a
 * blob (an immutable byte string registered in the world before the run).
 * size_bytes == -1 means "no CFData" (NULL). A data with blob == CM_NONE32
 * and size_bytes >= 0 has untracked content (used for sizes, e.g. R27's
 * oversized data, that the model never materialises).
 */
typedef struct cm_data {
    int64_t size_bytes;
    uint32_t blob;
} cm_data;

#define CM_DATA_NULL ((cm_data){.size_bytes = -1, .blob = CM_NONE32})

/* An immutable byte string, owned by whoever configured the world. */
typedef struct cm_blob {
    const uint8_t *bytes;
    uint32_t size_bytes;
} cm_blob;

/*
 * Injected allocation, lua_Alloc style: new_size == 0 frees and returns
 * NULL; otherwise returns the (re)allocated block or NULL on failure, in
 * which case ptr is untouched.
 */
typedef struct cm_alloc {
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void *ctx;
} cm_alloc;

/*
 * A CFData in one int32, as RETURN events carry it: -1 for "no CFData"
 * (NULL, or returnData not written), a blob id (>= 0), or -(size + 2) for
 * untracked content of that size (so -2 is an empty CFData).
 */
int32_t cm_data_encode(cm_data d);
cm_data cm_data_decode(int32_t code, const cm_blob *blobs, uint32_t blob_count);

const char *cm_status_name(int32_t status);

#endif /* CM_TYPES_H */
