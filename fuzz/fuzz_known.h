/*
 * fuzz_known.h — properties the fuzz targets would check but that issue 10
 * still reports as broken. While a switch is 1 the target does not check
 * that property (so fuzzing stays useful for everything else); the input
 * that shows the finding is kept under fuzz/corpus/<target>/regressions/
 * and listed in that folder's known-crashes.txt. When the fix lands: set
 * the switch to 0, take the input off the list, and the replay test keeps
 * the fix (docs/fuzzing.md, "Regressions").
 */
#ifndef FUZZ_KNOWN_H
#define FUZZ_KNOWN_H

/* "2000000s" is accepted but the same duration written in ns is "out of range"
 * (value/regressions/crash-duration-ns-range). */
#ifndef FUZZ_KNOWN_DURATION_UNITS_DISAGREE
#define FUZZ_KNOWN_DURATION_UNITS_DISAGREE 0
#endif

/* The loader accepts {size: N} up to 1 TiB, the protocol up to 0x7fffffff
 * (value/regressions/crash-size-limits-disagree). */
#ifndef FUZZ_KNOWN_SIZE_LIMITS_DISAGREE
#define FUZZ_KNOWN_SIZE_LIMITS_DISAGREE 0
#endif

/* An inline wire payload of 65,537 bytes is accepted though the cap is 65,536
 * (wire/regressions/crash-inline-over-cap). */
#ifndef FUZZ_KNOWN_WIRE_INLINE_OVER_CAP
#define FUZZ_KNOWN_WIRE_INLINE_OVER_CAP 0
#endif

/* Found by fuzz_value: the protocol's writer (then conf_jw_str, over libfyaml's emitter)
 * dropped leading and trailing spaces of a string, so data {"text": " hi "} reached the agent as
 * "hi" (value/regressions/crash-text-edge-spaces, proto/regressions/crash-text-edge-spaces). */
#ifndef FUZZ_KNOWN_WRITER_DROPS_EDGE_SPACES
#define FUZZ_KNOWN_WRITER_DROPS_EDGE_SPACES 0
#endif

#endif /* FUZZ_KNOWN_H */
