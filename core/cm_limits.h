/*
 * cm_limits.h — the limits of what a scenario may say, in one place. The
 * scenario loader (sim/) and the agent protocol's decoders
 * (conformance/proto/) both check these, so a value `portsim run` accepts
 * is one every agent accepts, and the other way round. Header only: the
 * protocol and the agents include it without linking core/.
 *
 * Documented in docs/scenario-format.md §14 (Limits).
 */
#ifndef CM_LIMITS_H
#define CM_LIMITS_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "cm_types.h"

/* Names of processes, threads, programs, modes, queues, port variables and labels. */
#define CM_LIMIT_NAME_BYTES 64u
/* The scenario's own name (scenario:). */
#define CM_LIMIT_SCENARIO_NAME_BYTES 128u

/*
 * Every duration, whatever its unit (`1000000000s` and `1000000000000000000ns`
 * alike), and every duration on the wire is within +-1e18 ns (about 31.7
 * years): two of them add without overflowing an int64. Besides these, some
 * fields take CM_DURATION_FOREVER or CM_DURATION_NAN (see the flags).
 */
#define CM_LIMIT_DURATION_NS INT64_C(1000000000000000000)
#define CM_DUR_NEGATIVE 0x1u /* a negative duration is allowed (send and run-loop timeouts) */
#define CM_DUR_FOREVER 0x2u  /* "forever" is allowed */
#define CM_DUR_NAN 0x4u      /* "nan" is allowed (send timeouts, R28) */

/* Whether ns is a duration a field with these CM_DUR_* flags takes. */
static inline bool cm_limit_duration_ok(int64_t ns, uint32_t flags)
{
    assert((flags & ~(CM_DUR_NEGATIVE | CM_DUR_FOREVER | CM_DUR_NAN)) == 0);
    static_assert(CM_LIMIT_DURATION_NS > 0 && CM_LIMIT_DURATION_NS < CM_DURATION_FOREVER,
                  "-CM_LIMIT_DURATION_NS does not overflow and is not CM_DURATION_NAN");
    if (ns == CM_DURATION_FOREVER) return (flags & CM_DUR_FOREVER) != 0;
    if (ns == CM_DURATION_NAN) return (flags & CM_DUR_NAN) != 0;
    if (ns < 0 && !(flags & CM_DUR_NEGATIVE)) return false;
    return ns >= -CM_LIMIT_DURATION_NS && ns <= CM_LIMIT_DURATION_NS;
}

/* Data the agent protocol carries inline in a line (more goes as blobs); the loader keeps what
 * has no blob, a handler step's when: data, within it. */
#define CM_LIMIT_INLINE_DATA_BYTES ((size_t)64 * 1024)
/* The signal the end of process P raises (wait_for: {ended: P}): this prefix, then P's name.
 * ':' is in no scenario name, so no scenario can raise it by hand. */
#define CM_ENDED_SIGNAL_PREFIX "ended:"

/* One data value whose bytes are known (a send's data, a reply, a name). */
#define CM_LIMIT_VALUE_BYTES ((uint32_t)1 << 20)
/* {size: N}: N bytes whose content is not tracked (R27 needs 0x60000001). */
#define CM_LIMIT_SIZE_BYTES INT64_C(0x7fffffff)
/* All known bytes of one scenario together (so a 1 MiB file cannot ask for gigabytes). */
#define CM_LIMIT_SCENARIO_BYTES ((uint64_t)16 << 20)
/* All {size: N} of one scenario together (not materialised by the model; zero pages on agents). */
#define CM_LIMIT_SCENARIO_SIZE_BYTES ((uint64_t)16 << 30)

/* A port context's info (create_local's context: {info}) and message ids. */
#define CM_LIMIT_INFO_MIN ((int64_t)INT32_MIN + 1)
#define CM_LIMIT_INFO_MAX ((int64_t)INT32_MAX)
#define CM_LIMIT_MSGID_MIN ((int64_t)INT32_MIN)
#define CM_LIMIT_MSGID_MAX ((int64_t)INT32_MAX)

#endif /* CM_LIMITS_H */
