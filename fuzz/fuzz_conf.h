/*
 * fuzz_conf.h — comparing protocol data values (conf_data) in the targets
 * that write values back and read them again (fuzz_proto.c, fuzz_value.c).
 */
#ifndef FUZZ_CONF_H
#define FUZZ_CONF_H

#include "fuzz_known.h"

#include "conf_proto.h"

#include <stdbool.h>
#include <string.h>

/* Bytes that begin or end with a space, which the writer is known to lose (fuzz_known.h). */
static inline bool fuzz_edge_spaces(const conf_data *d)
{
    return d->kind == CONF_DATA_BYTES && d->len > 0 &&
           (d->bytes[0] == ' ' || d->bytes[d->len - 1] == ' ');
}

/* True when b is what a was: the same kind and size, and bytes, blob id or digest. */
static inline bool fuzz_same_data(const conf_data *a, const conf_data *b)
{
    if (FUZZ_KNOWN_WRITER_DROPS_EDGE_SPACES && fuzz_edge_spaces(a)) return a->kind == b->kind;
    if (a->kind != b->kind || a->size != b->size) return false;
    switch (a->kind) {
    case CONF_DATA_BYTES: return a->len == b->len && (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
    case CONF_DATA_BLOB: return a->blob == b->blob;
    case CONF_DATA_DIGEST: return a->digest == b->digest;
    default: return true;
    }
}

#endif /* FUZZ_CONF_H */
