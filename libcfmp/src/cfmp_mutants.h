/*
 * cfmp_mutants.h — the compile-time mutants of libcfmp (mutation testing of
 * portsim's conformance runner: `portsim mutants`, docs/agent-protocol.md §10).
 *
 * Building libcfmp with -DCFMP_MUTANT=n injects exactly ONE realistic semantic
 * bug, the one listed as n below; without it (or with 0) libcfmp is unchanged.
 * Every switch in the sources is written `if (CFMP_MUTATE(NAME))` (a constant
 * condition), so `grep -n CFMP_MUTATE libcfmp/src` lists every mutated spot.
 * Production builds never define CFMP_MUTANT; the branches are constant-false and
 * compiled away.
 *
 * The list is an X-macro: X(id, NAME, rule, what the bug does).
 */
#ifndef CFMP_MUTANTS_H
#define CFMP_MUTANTS_H

#define CFMP_MUTANT_LIST(X)                                                                        \
    X(1, ICB_TWICE, "R52", "the invalidation callback runs twice")                                 \
    X(2, NO_PEER_DEATH, "R33/R56", "a remote never notices that its server died")                 \
    X(3, LATE_REPLY_ACCEPTED, "R34", "a late reply is filed as the next request's reply")         \
    X(4, NO_QUEUE_LIMIT, "R29", "the queue limit of 5 is ignored: senders never block")            \
    X(5, RCV_FROM_BEFORE_SEND, "R32", "the receive timeout runs from before the send, not after") \
    X(6, TRANSPORT_FOR_INVALID, "R27/R53", "-4 is returned where -3 is due (an invalid remote)")   \
    X(7, NAME_KEPT, "R52/R53", "invalidation does not release the port's name")                   \
    X(8, CALLOUT_AFTER_INVALID, "R44/R50", "a callout runs for a request that arrives invalid")   \
    X(9, NULL_REPLY_NULL, "R35", "a NULL reply from the callout is delivered as NULL data")        \
    X(10, ONEWAY_WAITS, "R31", "a one-way send waits for a reply like a two-way one")              \
    X(11, SEND_TIMEOUT_SECONDS, "R28", "the send timeout is floored to seconds, not milliseconds") \
    X(12, ISVALID_NO_SIDE_EFFECT, "R7", "IsValid reports a dead port without invalidating it")     \
    X(13, NO_CALLOUT_RETAIN, "R60", "context.retain/release are not called around a callout")      \
    X(14, REMOTE_CACHE_IGNORED, "R23", "CreateRemote makes a new object instead of the cached one") \
    X(15, SHOULD_FREE_INFO_FALSE, "R14", "shouldFreeInfo is false when an existing port is returned") \
    X(16, NAME_NOT_TRUNCATED, "R12", "names longer than 128 bytes are not truncated")

#define CFMP_MUTANT_DEFINE(id, name, rule, about) enum { CFMP_MUTANT_##name = id };
CFMP_MUTANT_LIST(CFMP_MUTANT_DEFINE)
#undef CFMP_MUTANT_DEFINE

#define CFMP_MUTANT_COUNT 16

#ifndef CFMP_MUTANT
#define CFMP_MUTANT 0
#endif

/* True in the build of that one mutant. */
#define CFMP_MUTATE(name) (CFMP_MUTANT == CFMP_MUTANT_##name)

#endif /* CFMP_MUTANTS_H */
