/*
 * cfmp_port.c — CFMessagePort objects: creation, the per-process name caches (R14, R23), the
 * wrappers shared within a process (R26), names (R10–R13, R19), contexts (R59–R60), validity
 * (R7) and invalidation (R52–R56).
 */
#include "cfmp_port.h"
#include "cfmp_mutants.h" /* CFMP_MUTATE(...): compile-time mutants, off in real builds */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFMP_NAME_BYTES_MAX 128u /* BOOTSTRAP_MAX_NAME_LEN (R10) */

/* ---- the name tables (R14, R23): weak references, entries removed at invalidation ------- */

struct cfmp_table {
    CFMessagePortRef *ports;
    size_t count;
    size_t capacity;
};

static pthread_mutex_t cfmp_tables_lock = PTHREAD_MUTEX_INITIALIZER;
/* Serializes name registration within a process (CreateLocal, SetName): taken before a port's
 * lock and cfmp_tables_lock, never after. CF checks its table and registers with bootstrap as
 * two steps (R15), so two threads racing for one name can both miss the table and the loser
 * get NULL; libcfmp closes that window and always gives the R14 outcome (the existing port),
 * one of CF's outcomes and the only one the model's atomic calls produce. Recursive: a
 * context's retain or release callback may create a port. */
static pthread_mutex_t cfmp_names_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct cfmp_table cfmp_local_table;
static struct cfmp_table cfmp_remote_table;

/* Called with cfmp_tables_lock held. */
static CFMessagePortRef cfmp_table_find(struct cfmp_table *table, CFStringRef name) {
    assert(table == &cfmp_local_table || table == &cfmp_remote_table);
    assert(name != NULL && table->count <= table->capacity);
    for (size_t i = 0; i < table->count; i++) {
        if (CFEqual(table->ports[i]->name, name)) return table->ports[i];
    }
    return NULL;
}

static void cfmp_table_insert(struct cfmp_table *table, CFMessagePortRef port) {
    assert(table == &cfmp_local_table || table == &cfmp_remote_table);
    assert(port != NULL && port->name != NULL); /* only named ports are cached */
    if (table->count == table->capacity) {
        size_t capacity = table->capacity ? table->capacity * 2 : 16;
        CFMessagePortRef *grown = realloc(table->ports, capacity * sizeof *grown);
        if (grown == NULL) abort();
        table->ports = grown;
        table->capacity = capacity;
    }
    table->ports[table->count++] = port;
    assert(table->count <= table->capacity);
}

static void cfmp_table_remove(struct cfmp_table *table, CFMessagePortRef port) {
    assert(table == &cfmp_local_table || table == &cfmp_remote_table);
    assert(port != NULL && table->count <= table->capacity);
    for (size_t i = 0; i < table->count; i++) {
        if (table->ports[i] == port) {
            table->ports[i] = table->ports[--table->count];
            return;
        }
    }
}

/* The cached port for name, retained, or NULL (also when it is being deallocated). */
static CFMessagePortRef cfmp_table_copy(struct cfmp_table *table, CFStringRef name) {
    assert(table == &cfmp_local_table || table == &cfmp_remote_table);
    assert(name != NULL);
    pthread_mutex_lock(&cfmp_tables_lock);
    CFMessagePortRef port = cfmp_table_find(table, name);
    if (port != NULL && !cfmp_object_try_retain(port)) port = NULL;
    assert(port == NULL || (port->remote == (table == &cfmp_remote_table))); /* one table per kind */
    pthread_mutex_unlock(&cfmp_tables_lock);
    return port;
}

/* ---- wrappers (R26): the process's valid wrappers by endpoint -------------------------------
 *
 * CF's look-up of a name served by this same process yields the local port's own Mach port
 * name, and CFMachPortCreateWithPort returns the wrapper already made for it; libcfmp's
 * connection to its own listener reaches the same endpoint (cfmp_transport.h), and this
 * registry returns that wrapper. Entries are weak and under cfmp_tables_lock; a wrapper is
 * registered exactly while it is valid, so an invalid one is never handed out again. */

static struct {
    struct cfmp_wrapper **items;
    size_t count;
    size_t capacity;
} cfmp_wrappers;

/* The valid wrapper for endpoint (+1), or a new registered one, as CFMachPortCreateWithPort
 * does for a port name. receive: the caller is a local port with a new listener. Called with
 * cfmp_tables_lock held. */
static struct cfmp_wrapper *cfmp_wrapper_copy_locked(struct cfmp_endpoint endpoint, bool receive) {
    assert(cfmp_wrappers.count <= cfmp_wrappers.capacity);
    for (size_t i = 0; i < cfmp_wrappers.count; i++) {
        struct cfmp_wrapper *wrapper = cfmp_wrappers.items[i];
        assert(atomic_load(&wrapper->valid) && atomic_load(&wrapper->refs) > 0); /* registered */
        if (!cfmp_endpoint_equal(wrapper->endpoint, endpoint)) continue;
        /* A new listener's memfd is a new inode, which no wrapper can name already. */
        assert(!receive);
        atomic_fetch_add(&wrapper->refs, 1);
        return wrapper;
    }
    if (cfmp_wrappers.count == cfmp_wrappers.capacity) {
        size_t capacity = cfmp_wrappers.capacity ? cfmp_wrappers.capacity * 2 : 16;
        struct cfmp_wrapper **grown = realloc(cfmp_wrappers.items, capacity * sizeof *grown);
        if (grown == NULL) abort();
        cfmp_wrappers.items = grown;
        cfmp_wrappers.capacity = capacity;
    }
    struct cfmp_wrapper *wrapper = calloc(1, sizeof *wrapper);
    if (wrapper == NULL) abort();
    atomic_init(&wrapper->refs, 1);
    atomic_init(&wrapper->valid, true);
    wrapper->receive = receive;
    wrapper->endpoint = endpoint;
    cfmp_wrappers.items[cfmp_wrappers.count++] = wrapper;
    assert(cfmp_wrappers.count <= cfmp_wrappers.capacity);
    return wrapper;
}

/* The same, taking cfmp_tables_lock. */
static struct cfmp_wrapper *cfmp_wrapper_copy(struct cfmp_endpoint endpoint, bool receive) {
    pthread_mutex_lock(&cfmp_tables_lock);
    struct cfmp_wrapper *wrapper = cfmp_wrapper_copy_locked(endpoint, receive);
    pthread_mutex_unlock(&cfmp_tables_lock);
    assert(wrapper != NULL && atomic_load(&wrapper->valid)); /* exit: registered */
    return wrapper;
}

/* R52 step 10: the wrapper is invalid for every port holding it, and none of them is told (CF
 * clears the wrapper's hook first): each finds out at its next IsValid (R26b). Idempotent. */
static void cfmp_wrapper_invalidate(struct cfmp_wrapper *wrapper) {
    assert(wrapper != NULL && atomic_load(&wrapper->refs) > 0); /* the caller's reference */
    pthread_mutex_lock(&cfmp_tables_lock);
    if (atomic_exchange(&wrapper->valid, false)) {
        bool found = false;
        for (size_t i = 0; i < cfmp_wrappers.count && !found; i++) {
            if (cfmp_wrappers.items[i] != wrapper) continue;
            cfmp_wrappers.items[i] = cfmp_wrappers.items[--cfmp_wrappers.count];
            found = true;
        }
        assert(found); /* a valid wrapper is registered */
        (void)found;
    }
    pthread_mutex_unlock(&cfmp_tables_lock);
}

/* Every holder invalidates its wrapper before letting go of it (R52 step 10), so the last
 * reference always belongs to an invalid, unregistered wrapper. */
static void cfmp_wrapper_release(struct cfmp_wrapper *wrapper) {
    if (wrapper == NULL) return;
    int32_t before = atomic_fetch_sub(&wrapper->refs, 1);
    assert(before > 0);
    if (before != 1) return;
    assert(!atomic_load(&wrapper->valid)); /* out of the registry */
    free(wrapper);
}

/* ---- object ------------------------------------------------------------------------------- */

bool cfmp_port_validate(CFMessagePortRef port) {
    if (!cfmp_object_is(port, CFMP_TYPE_MESSAGE_PORT)) return false;
    if (port->remote && (port->listener != NULL || port->source != NULL)) return false;
    if (!port->remote && (port->client != NULL || port->reply_source != NULL)) return false;
    if (port->pending_count > port->pending_capacity) return false;
    if (port->valid && port->remote && port->client == NULL) return false;
    if (!port->valid && port->wrapper != NULL) return false; /* dropped at R52 step 4 */
    if (!port->remote) { /* a named local's wrapper is its own listener's (R26) */
        if ((port->listener == NULL) != (port->wrapper == NULL)) return false;
        if (port->wrapper != NULL &&
            (!port->wrapper->receive ||
             !cfmp_endpoint_equal(port->wrapper->endpoint, port->listener->endpoint))) {
            return false;
        }
    } else if (port->wrapper != NULL && port->client != NULL &&
               !cfmp_endpoint_equal(port->wrapper->endpoint, port->client->endpoint)) {
        return false; /* a remote's wrapper is for the endpoint it is connected to */
    }
    return true;
}

/* R26c, R54: CF probes every cached remote with IsValid after a port's deallocation, because a
 * same-process remote would otherwise outlive its local port unnoticed (it gets no death notice:
 * the wrapper is shared). Such a remote finds the wrapper the local just invalidated and is
 * invalidated here, its callback running inside the local's last CFRelease; a remote whose
 * server died unnoticed is invalidated too (R7). As in docs/semantics.md and the model, only a
 * local port's deallocation probes (CF's code runs the probe for remotes too). */
static void cfmp_probe_cached_remotes(void) {
    pthread_mutex_lock(&cfmp_tables_lock);
    size_t count = cfmp_remote_table.count;
    assert(count <= cfmp_remote_table.capacity);
    CFMessagePortRef *remotes = count > 0 ? malloc(count * sizeof *remotes) : NULL;
    if (count > 0 && remotes == NULL) abort();
    size_t taken = 0;
    for (size_t i = 0; i < count; i++) { /* the table is weak: skip ports being deallocated */
        CFMessagePortRef remote = cfmp_remote_table.ports[i];
        if (cfmp_object_try_retain(remote)) remotes[taken++] = remote;
    }
    pthread_mutex_unlock(&cfmp_tables_lock);
    assert(taken <= count);
    for (size_t i = 0; i < taken; i++) { /* no library lock held: callbacks may run */
        (void)CFMessagePortIsValid(remotes[i]);
        CFRelease(remotes[i]);
    }
    free(remotes);
}

static void cfmp_port_finalize(void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_MESSAGE_PORT);
    struct __CFMessagePort *port = object;
    atomic_store(&port->deallocating, true);
    CFMessagePortInvalidate(port); /* R54: callbacks run during deallocation */
    assert(!port->valid && port->listener == NULL && port->client == NULL); /* torn down */
    assert(port->wrapper == NULL);
    if (!port->remote) cfmp_probe_cached_remotes(); /* R26c */
    for (size_t i = 0; i < port->pending_count; i++) {
        if (port->pending[i].data != NULL) CFRelease(port->pending[i].data);
        if (port->pending[i].waiter != NULL) CFRelease(port->pending[i].waiter);
    }
    free(port->pending);
    if (port->name != NULL) CFRelease(port->name);
    pthread_mutex_destroy(&port->lock);
}

/* R9: CF's formats. A local port adds its source, the callout's symbol (dladdr, "???" when it
 * has none) and the context's description: copyDescription(info) when both are non-NULL (no
 * library lock is held during that call), else "<CFMessagePort context %p>". */
static CFStringRef cfmp_port_copy_description(const void *object) {
    CFMP_ASSERT_TYPE(object, CFMP_TYPE_MESSAGE_PORT);
    struct __CFMessagePort *port = (struct __CFMessagePort *)(uintptr_t)object; /* lock only */
    pthread_mutex_lock(&port->lock);
    assert(cfmp_port_validate(port));
    bool valid = port->valid;
    CFStringRef name = port->name != NULL ? CFRetain(port->name) : NULL;
    const void *source = port->source;
    void *info = port->context.info;
    CFStringRef (*copy_description)(const void *) = port->context.copyDescription;
    pthread_mutex_unlock(&port->lock);
    CFStringRef result = NULL;
    if (port->remote) {
        result = CFStringCreateWithFormat(
            NULL, NULL, CFSTR("<CFMessagePort %p [%p]>{locked = %s, valid = %s, remote = %s, name = %@}"),
            object, (const void *)kCFAllocatorSystemDefault, "Maybe", valid ? "Yes" : "No", "Yes",
            name);
    } else {
        CFStringRef context = NULL;
        if (info != NULL && copy_description != NULL) context = copy_description(info);
        if (context == NULL) {
            context = CFStringCreateWithFormat(NULL, NULL, CFSTR("<CFMessagePort context %p>"), info);
        }
        void *address = NULL;
        memcpy(&address, &port->callout, sizeof address < sizeof port->callout ? sizeof address
                                                                                : sizeof port->callout);
        Dl_info symbol;
        const char *symbol_name = address != NULL && dladdr(address, &symbol) != 0 &&
                                          symbol.dli_saddr == address && symbol.dli_sname != NULL
                                      ? symbol.dli_sname
                                      : "???";
        result = CFStringCreateWithFormat(
            NULL, NULL,
            CFSTR("<CFMessagePort %p [%p]>{locked = %s, valid = %s, remote = %s, name = %@, "
                  "source = %p, callout = %s (%p), context = %@}"),
            object, (const void *)kCFAllocatorSystemDefault, "Maybe", valid ? "Yes" : "No", "No",
            name, source, symbol_name, address, context);
        CFRelease(context);
    }
    if (name != NULL) CFRelease(name);
    return result;
}

const struct cfmp_class cfmp_port_class = {"CFMessagePort", cfmp_port_finalize, NULL, NULL,
                                           cfmp_port_copy_description};

CFTypeID CFMessagePortGetTypeID(void) { return CFMP_TYPE_MESSAGE_PORT; }

static struct __CFMessagePort *cfmp_port_alloc(bool remote, CFStringRef name) {
    assert(name == NULL || cfmp_object_is(name, CFMP_TYPE_STRING));
    assert(!remote || name != NULL); /* a remote always has its name (R13) */
    struct __CFMessagePort *port = cfmp_object_create(sizeof *port, CFMP_TYPE_MESSAGE_PORT);
    pthread_mutex_init(&port->lock, NULL);
    port->remote = remote;
    port->name = name;
    assert(!port->valid && cfmp_port_validate(port)); /* exit: made valid by its creator */
    return port;
}

/* R10–R12: the UTF-8 bytes cut to the longest whole-character prefix of at most 128 bytes,
 * re-created as a fresh string; NULL when they contain a NUL (R11). A name of exactly 128
 * bytes is kept (UNCERTAIN in R12; launchd might reject it). */
static CFStringRef cfmp_sanitize_name(CFStringRef name) {
    CFMP_ASSERT_TYPE(name, CFMP_TYPE_STRING);
    size_t length = 0;
    const char *bytes = cfmp_string_utf8(name, &length);
    size_t cut = length;
    if (cut > CFMP_NAME_BYTES_MAX && !CFMP_MUTATE(NAME_NOT_TRUNCATED)) {
        cut = CFMP_NAME_BYTES_MAX;
        while (cut > 0 && ((uint8_t)bytes[cut] & 0xc0) == 0x80) cut--;
    }
    assert(bytes != NULL && cut <= length);
    if (memchr(bytes, '\0', cut) != NULL) return NULL;
    return cfmp_string_create_utf8(bytes, cut);
}

/* ---- creation ------------------------------------------------------------------------------ */

/* R14: a live cached local port of that name is returned (+1); a dead one gives NULL once. */
static bool cfmp_local_cache_hit(CFStringRef name, CFMessagePortRef *result) {
    CFMP_ASSERT_TYPE(name, CFMP_TYPE_STRING);
    assert(result != NULL);
    CFMessagePortRef existing = cfmp_table_copy(&cfmp_local_table, name);
    if (existing == NULL) return false;
    *result = existing;
    if (!CFMessagePortIsValid(existing)) {
        CFRelease(existing);
        *result = NULL;
    }
    return true;
}

CFMessagePortRef CFMessagePortCreateLocal(CFAllocatorRef allocator, CFStringRef name,
                                          CFMessagePortCallBack callout,
                                          CFMessagePortContext *context,
                                          Boolean *shouldFreeInfo) {
    (void)allocator;
    if (shouldFreeInfo != NULL) *shouldFreeInfo = true;
    CFStringRef sanitized = name != NULL ? cfmp_sanitize_name(name) : NULL; /* R11: unnamed */
    CFMessagePortRef result = NULL;
    pthread_mutex_lock(&cfmp_names_lock); /* the table check and the registration: one step */
    if (sanitized != NULL && cfmp_local_cache_hit(sanitized, &result)) {
        pthread_mutex_unlock(&cfmp_names_lock);
        CFRelease(sanitized); /* callout and context ignored, shouldFreeInfo stays true */
        if (CFMP_MUTATE(SHOULD_FREE_INFO_FALSE) && shouldFreeInfo != NULL) *shouldFreeInfo = false;
        return result;
    }
    struct cfmp_listener *listener = NULL;
    if (sanitized != NULL) {
        size_t length = 0;
        const char *bytes = cfmp_string_utf8(sanitized, &length);
        listener = cfmp_listener_open(bytes, length);
        if (listener == NULL) { /* R15/R16: the name is taken (or the system failed) */
            pthread_mutex_unlock(&cfmp_names_lock);
            cfmp_log("CreateLocal: cannot register '%s'", bytes);
            CFRelease(sanitized);
            return NULL;
        }
    }
    assert((sanitized == NULL) == (listener == NULL)); /* a named port has its listener */
    struct __CFMessagePort *port = cfmp_port_alloc(false, sanitized);
    port->listener = listener;
    /* R26: the wrapper a same-process remote to this name will share (not yet visible). */
    if (listener != NULL) port->wrapper = cfmp_wrapper_copy(listener->endpoint, true);
    port->callout = callout;
    if (context != NULL) {
        port->context = *context; /* R18, R59: copied; retained once on success */
        if (context->retain != NULL) port->context.info = (void *)context->retain(context->info);
    }
    port->valid = true;
    pthread_mutex_lock(&cfmp_tables_lock);
    CFMessagePortRef existing = sanitized ? cfmp_table_find(&cfmp_local_table, sanitized) : NULL;
    if (existing != NULL && cfmp_object_try_retain(existing)) {
        pthread_mutex_unlock(&cfmp_tables_lock);
        pthread_mutex_unlock(&cfmp_names_lock);
        CFRelease(port); /* R17 (unreachable while cfmp_names_lock serializes): context.release runs */
        return existing;
    }
    if (sanitized != NULL) cfmp_table_insert(&cfmp_local_table, port);
    pthread_mutex_unlock(&cfmp_tables_lock);
    pthread_mutex_unlock(&cfmp_names_lock);
    if (listener != NULL) {
        uint64_t watch = cfmp_manager_watch_accept(listener);
        pthread_mutex_lock(&port->lock);
        port->accept_watch = watch;
        pthread_mutex_unlock(&port->lock);
    }
    if (shouldFreeInfo != NULL) *shouldFreeInfo = false;
    assert(cfmp_port_validate(port));
    return port;
}

/* R23: a live cached remote is returned (+1); a dead one is invalidated and gives NULL once. */
static bool cfmp_remote_cache_hit(CFStringRef name, CFMessagePortRef *result) {
    CFMP_ASSERT_TYPE(name, CFMP_TYPE_STRING);
    assert(result != NULL);
    CFMessagePortRef existing = cfmp_table_copy(&cfmp_remote_table, name);
    if (existing == NULL) return false;
    *result = existing;
    if (!CFMessagePortIsValid(existing)) {
        CFRelease(existing);
        *result = NULL;
    }
    return true;
}

CFMessagePortRef CFMessagePortCreateRemote(CFAllocatorRef allocator, CFStringRef name) {
    (void)allocator;
    if (name == NULL) cfmp_precondition_violation("CFMessagePortCreateRemote", "a NULL name (R13)");
    CFStringRef sanitized = cfmp_sanitize_name(name);
    if (sanitized == NULL) return NULL; /* R11 */
    CFMessagePortRef result = NULL;
    if (!CFMP_MUTATE(REMOTE_CACHE_IGNORED) && cfmp_remote_cache_hit(sanitized, &result)) {
        CFRelease(sanitized);
        return result;
    }
    size_t length = 0;
    const char *bytes = cfmp_string_utf8(sanitized, &length);
    struct cfmp_client *client = cfmp_client_connect(bytes, length);
    if (client == NULL) { /* R22: nobody serves the name; no retry, no wait */
        CFRelease(sanitized);
        return NULL;
    }
    assert(client != NULL && sanitized != NULL);
    struct __CFMessagePort *port = cfmp_port_alloc(true, sanitized);
    port->client = client;
    port->valid = true;
    pthread_mutex_lock(&cfmp_tables_lock);
    CFMessagePortRef existing = cfmp_table_find(&cfmp_remote_table, sanitized);
    if (CFMP_MUTATE(REMOTE_CACHE_IGNORED)) existing = NULL;
    if (existing != NULL && cfmp_object_try_retain(existing)) {
        pthread_mutex_unlock(&cfmp_tables_lock);
        CFRelease(port); /* another thread won the race: use its object */
        return existing;
    }
    /* R26: the wrapper of the endpoint we reached: our own local port's when this process
     * serves the name, an older remote's while that one is still being invalidated (R52),
     * else a new one. Set before the port is published (as CF sets _port), and only by the
     * winner of the race above: in CF the loser's release would invalidate the wrapper it
     * shares with the winner. */
    port->wrapper = cfmp_wrapper_copy_locked(client->endpoint, false);
    cfmp_table_insert(&cfmp_remote_table, port);
    pthread_mutex_unlock(&cfmp_tables_lock);
    uint64_t watch = cfmp_manager_watch_peer(port, client, client->fdref);
    uint64_t death_watch = client->death_fdref == NULL
                               ? 0
                               : cfmp_manager_watch_peer(port, client, client->death_fdref);
    pthread_mutex_lock(&port->lock);
    port->peer_watch = watch;
    port->death_watch = death_watch;
    /* Read under the lock: a thread that found the port in the table may have torn it down. */
    bool poisoned = port->wrapper != NULL && !atomic_load(&port->wrapper->valid);
    pthread_mutex_unlock(&port->lock);
    /* R24: the server died, or the shared wrapper was invalidated, while we were setting up. */
    if (cfmp_client_probe_dead(client) || poisoned) {
        CFRelease(port);
        return NULL;
    }
    assert(cfmp_port_validate(port));
    return port;
}

/* ---- queries ------------------------------------------------------------------------------- */

Boolean CFMessagePortIsRemote(CFMessagePortRef ms) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    return ms->remote;
}

CFStringRef CFMessagePortGetName(CFMessagePortRef ms) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    return ms->name; /* R5: the sanitized copy, readable after invalidation */
}

void CFMessagePortGetContext(CFMessagePortRef ms, CFMessagePortContext *context) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    assert(context != NULL);
    assert(context->version == 0); /* R6 */
    pthread_mutex_lock(&ms->lock);
    *context = ms->context; /* a remote has an all-zero context here (R6 says undefined) */
    pthread_mutex_unlock(&ms->lock);
}

CFMessagePortInvalidationCallBack CFMessagePortGetInvalidationCallBack(CFMessagePortRef ms) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    return ms->icallout;
}

/* R8: on a valid port the callback is stored; on an invalid one a non-NULL callback is called
 * at once with the current info (NULL after invalidation) and not stored. */
void CFMessagePortSetInvalidationCallBack(CFMessagePortRef ms,
                                          CFMessagePortInvalidationCallBack callout) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    pthread_mutex_lock(&ms->lock);
    assert(cfmp_port_validate(ms));
    bool valid = ms->valid;
    void *info = ms->context.info;
    if (valid) ms->icallout = callout;
    pthread_mutex_unlock(&ms->lock);
    if (!valid && callout != NULL) callout(ms, info);
}

/* R7: a live check of the wrapper and the transport; a wrapper invalidated by a port sharing
 * it (R26b) or a dead server invalidates the port right here, on the calling thread. */
Boolean CFMessagePortIsValid(CFMessagePortRef ms) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    pthread_mutex_lock(&ms->lock);
    assert(cfmp_port_validate(ms));
    bool valid = ms->valid;
    bool poisoned = valid && ms->wrapper != NULL && !atomic_load(&ms->wrapper->valid);
    struct cfmp_client *client = valid && ms->client ? cfmp_client_retain(ms->client) : NULL;
    pthread_mutex_unlock(&ms->lock);
    if (!valid) return false;
    bool dead = poisoned;
    if (!dead && client != NULL) {
        dead = !CFMP_MUTATE(NO_PEER_DEATH) && cfmp_client_probe_dead(client);
    }
    cfmp_client_release(client);
    if (!dead) return true;
    if (!CFMP_MUTATE(ISVALID_NO_SIDE_EFFECT)) CFMessagePortInvalidate(ms);
    return false;
}

/* ---- invalidation (R52) --------------------------------------------------------------------- */

struct cfmp_teardown {
    CFMessagePortInvalidationCallBack icallout;
    void *info;
    void (*release)(const void *info);
    CFRunLoopSourceRef source;
    CFRunLoopSourceRef reply_source;
    struct cfmp_listener *listener;
    struct cfmp_client *client;
    struct cfmp_client *self_client;
    struct cfmp_wrapper *wrapper;
    dispatch_queue_t queue;
    uint64_t watches[4]; /* accept, queue, peer, death */
};

/* R52 steps 3–4, under the port lock: snapshot and clear. */
static void cfmp_port_detach(struct __CFMessagePort *port, struct cfmp_teardown *teardown) {
    assert(port->valid); /* under the lock: invalidation runs once (R52 step 2) */
    assert(teardown != NULL && cfmp_port_validate(port));
    teardown->icallout = port->icallout;
    teardown->info = port->context.info;
    teardown->release = port->remote ? NULL : port->context.release;
    teardown->source = port->source;
    teardown->reply_source = port->reply_source;
    teardown->listener = port->listener;
    teardown->client = port->client;
    teardown->self_client = port->self_client;
    teardown->wrapper = port->wrapper;
    teardown->queue = port->queue;
    teardown->watches[0] = port->accept_watch;
    teardown->watches[1] = port->queue_watch;
    teardown->watches[2] = port->peer_watch;
    teardown->watches[3] = port->death_watch;
    port->valid = false;
    port->context.info = NULL;
    port->source = port->reply_source = NULL;
    port->listener = NULL;
    port->client = port->self_client = NULL;
    port->wrapper = NULL;
    port->queue = NULL;
    port->accept_watch = port->queue_watch = port->peer_watch = port->death_watch = 0;
    assert(cfmp_port_validate(port)); /* exit: an invalid port holds no transport */
}

static void cfmp_port_teardown(CFMessagePortRef port, struct cfmp_teardown *teardown) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(teardown != NULL && (teardown->client == NULL || port->remote));
    for (size_t i = 0; i < sizeof teardown->watches / sizeof teardown->watches[0]; i++) {
        cfmp_manager_unwatch(teardown->watches[i]);
    }
    if (teardown->queue != NULL) dispatch_release(teardown->queue);
    if (port->name != NULL) { /* step 5 */
        pthread_mutex_lock(&cfmp_tables_lock);
        cfmp_table_remove(port->remote ? &cfmp_remote_table : &cfmp_local_table, port);
        pthread_mutex_unlock(&cfmp_tables_lock);
    }
    if (teardown->icallout != NULL) { /* step 6 */
        teardown->icallout(port, port->remote ? NULL : teardown->info);
        if (CFMP_MUTATE(ICB_TWICE)) teardown->icallout(port, port->remote ? NULL : teardown->info);
    }
    if (teardown->release != NULL) teardown->release(teardown->info); /* step 7, even if NULL */
    if (teardown->source != NULL) {                                   /* step 8 */
        CFRunLoopSourceInvalidate(teardown->source);
        CFRelease(teardown->source);
    }
    if (teardown->reply_source != NULL) { /* step 9: no run loop is woken (R55) */
        CFRunLoopSourceInvalidate(teardown->reply_source);
        CFRelease(teardown->reply_source);
    }
    if (teardown->wrapper != NULL) { /* step 10: a port sharing it is not told (R26b) */
        cfmp_wrapper_invalidate(teardown->wrapper);
        cfmp_wrapper_release(teardown->wrapper);
    }
    if (teardown->listener != NULL && !CFMP_MUTATE(NAME_KEPT)) { /* step 10: the name is free again */
        cfmp_listener_close(teardown->listener);
        cfmp_listener_release(teardown->listener);
    }
    /* The connection is not marked dead: a send of another thread already past the validity
     * check holds it, as a Mach send holds the right it copied in, and goes on (a blocked one
     * waits for room until its own timeout, then its reply wait sees the port invalid: -5). */
    cfmp_client_release(teardown->client);
    cfmp_client_release(teardown->self_client);
    assert(!port->valid); /* exit: the latch stays (R3) */
}

void CFMessagePortInvalidate(CFMessagePortRef ms) {
    if (ms == NULL) return;
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    bool deallocating = atomic_load(&ms->deallocating);
    if (!deallocating) CFRetain(ms);
    if (ms->remote && !deallocating) cfmp_port_drain_replies(ms); /* replies win (R32) */
    pthread_mutex_lock(&ms->lock);
    assert(cfmp_port_validate(ms));
    if (!ms->valid) { /* step 2: idempotent */
        pthread_mutex_unlock(&ms->lock);
        if (!deallocating) CFRelease(ms);
        return;
    }
    struct cfmp_teardown teardown;
    cfmp_port_detach(ms, &teardown);
    pthread_mutex_unlock(&ms->lock);
    cfmp_port_teardown(ms, &teardown);
    if (!deallocating) CFRelease(ms);
}

static void cfmp_port_invalidate_on_main(void *context) {
    CFMP_ASSERT_TYPE(context, CFMP_TYPE_MESSAGE_PORT);
    CFMessagePortRef port = context;
    CFMessagePortInvalidate(port); /* a no-op if a thread got there first (R56) */
    CFRelease(port);
}

/* R56. A remote sharing its wrapper with a local port of this process gets no death notice
 * (CF's wrapper holds the receive right and watches no dead name; R26c): its connection closes
 * when the local is invalidated, and it learns that at its next IsValid, from the wrapper. */
void cfmp_port_peer_died(CFMessagePortRef port) {
    CFMP_ASSERT_TYPE(port, CFMP_TYPE_MESSAGE_PORT);
    assert(port->remote); /* only remotes have a peer to watch */
    if (CFMP_MUTATE(NO_PEER_DEATH)) return;
    pthread_mutex_lock(&port->lock);
    bool same_process = port->wrapper != NULL && port->wrapper->receive;
    pthread_mutex_unlock(&port->lock);
    if (same_process) return;
    dispatch_async_f(dispatch_get_main_queue(), (void *)(uintptr_t)CFRetain(port),
                     cfmp_port_invalidate_on_main);
}

/* ---- names ------------------------------------------------------------------------------- */

/* R19. Refused (false): remote; embedded NUL; a name already in the local table (including
 * the port's own); a dispatch queue attached ([S]); registration failure. An invalid port
 * renamed to its own name returns true and does nothing; to another name, false (R19 calls
 * that case undefined; libcfmp refuses it). */
static Boolean cfmp_port_set_name_locked(CFMessagePortRef ms, CFStringRef sanitized);

Boolean CFMessagePortSetName(CFMessagePortRef ms, CFStringRef newName) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    if (newName == NULL) cfmp_precondition_violation("CFMessagePortSetName", "a NULL name (R13)");
    if (ms->remote) return false;
    CFStringRef sanitized = cfmp_sanitize_name(newName);
    if (sanitized == NULL) return false;
    pthread_mutex_lock(&cfmp_names_lock);
    Boolean renamed = cfmp_port_set_name_locked(ms, sanitized);
    pthread_mutex_unlock(&cfmp_names_lock);
    return renamed;
}

/* SetName's check and registration, with cfmp_names_lock held; takes sanitized. */
static Boolean cfmp_port_set_name_locked(CFMessagePortRef ms, CFStringRef sanitized) {
    CFMP_ASSERT_TYPE(sanitized, CFMP_TYPE_STRING);
    assert(!ms->remote);
    pthread_mutex_lock(&cfmp_tables_lock);
    bool taken = cfmp_table_find(&cfmp_local_table, sanitized) != NULL;
    pthread_mutex_unlock(&cfmp_tables_lock);
    pthread_mutex_lock(&ms->lock);
    assert(cfmp_port_validate(ms) && !ms->remote);
    bool valid = ms->valid;
    bool has_queue = ms->queue != NULL;
    bool same = ms->name != NULL && CFEqual(ms->name, sanitized);
    pthread_mutex_unlock(&ms->lock);
    if (taken || has_queue || !valid) {
        CFRelease(sanitized);
        return !valid && same;
    }
    size_t length = 0;
    const char *bytes = cfmp_string_utf8(sanitized, &length);
    struct cfmp_listener *listener = cfmp_listener_open(bytes, length);
    if (listener == NULL) {
        CFRelease(sanitized);
        return false; /* the old name and port stay */
    }
    uint64_t watch = cfmp_manager_watch_accept(listener);
    struct cfmp_wrapper *wrapper = cfmp_wrapper_copy(listener->endpoint, true); /* R26 */
    pthread_mutex_lock(&ms->lock);
    if (!ms->valid) { /* invalidated meanwhile: an invalid port takes no listener or wrapper */
        pthread_mutex_unlock(&ms->lock);
        cfmp_manager_unwatch(watch);
        cfmp_wrapper_invalidate(wrapper);
        cfmp_wrapper_release(wrapper);
        cfmp_listener_close(listener);
        cfmp_listener_release(listener);
        CFRelease(sanitized);
        return false;
    }
    struct cfmp_listener *old_listener = ms->listener;
    struct cfmp_wrapper *old_wrapper = ms->wrapper;
    CFStringRef old_name = ms->name;
    uint64_t old_watch = ms->accept_watch;
    ms->listener = listener;
    ms->wrapper = wrapper;
    ms->name = sanitized;
    ms->accept_watch = watch;
    assert(cfmp_port_validate(ms));
    pthread_mutex_unlock(&ms->lock);
    pthread_mutex_lock(&cfmp_tables_lock);
    if (old_name != NULL) cfmp_table_remove(&cfmp_local_table, ms);
    cfmp_table_insert(&cfmp_local_table, ms);
    pthread_mutex_unlock(&cfmp_tables_lock);
    cfmp_manager_unwatch(old_watch);
    if (old_wrapper != NULL) { /* CF invalidates the old wrapper: same-process remotes (R26b) */
        cfmp_wrapper_invalidate(old_wrapper);
        cfmp_wrapper_release(old_wrapper);
    }
    if (old_listener != NULL) { /* its connections die: their remotes become invalid */
        cfmp_listener_close(old_listener);
        cfmp_listener_release(old_listener);
    }
    if (old_name != NULL) CFRelease(old_name);
    return true;
}

/* ---- scheduling ---------------------------------------------------------------------------- */

/* R47: NULL for an invalid or remote port or one with a queue; otherwise the cached source. */
CFRunLoopSourceRef CFMessagePortCreateRunLoopSource(CFAllocatorRef allocator,
                                                    CFMessagePortRef local, CFIndex order) {
    (void)allocator;
    CFMP_ASSERT_TYPE(local, CFMP_TYPE_MESSAGE_PORT);
    if (!CFMessagePortIsValid(local) || local->remote) return NULL;
    CFRunLoopSourceRef stale = NULL;
    pthread_mutex_lock(&local->lock);
    if (local->queue != NULL || !local->valid) {
        pthread_mutex_unlock(&local->lock);
        return NULL;
    }
    if (local->source != NULL && !CFRunLoopSourceIsValid(local->source)) {
        stale = local->source; /* invalidated from outside: make a new one */
        local->source = NULL;
    }
    if (local->source == NULL) {
        local->source = cfmp_source_create_fd(order, &cfmp_local_source_ops, local);
    }
    assert(local->source != NULL && cfmp_port_validate(local)); /* the cached source (R47) */
    CFRunLoopSourceRef source = CFMP_RETAIN(local->source);
    pthread_mutex_unlock(&local->lock);
    if (stale != NULL) CFRelease(stale);
    return source;
}

static bool cfmp_queue_refused(CFMessagePortRef ms) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    assert(cfmp_port_validate(ms)); /* called with the port lock held */
    if (!ms->valid) {
        cfmp_log("SetDispatchQueue: port is invalid");
        return true;
    }
    if (ms->remote) {
        cfmp_log("SetDispatchQueue: port is not a local port, queue cannot be set");
        return true;
    }
    if (ms->source != NULL) {
        cfmp_log("SetDispatchQueue: port already has a CFRunLoopSourceRef, queue cannot be set");
        return true;
    }
    return false;
}

/* R49: cancels any previous queue first, so NULL unschedules; an unnamed port logs only. */
void CFMessagePortSetDispatchQueue(CFMessagePortRef ms, dispatch_queue_t queue) {
    CFMP_ASSERT_TYPE(ms, CFMP_TYPE_MESSAGE_PORT);
    pthread_mutex_lock(&ms->lock);
    if (cfmp_queue_refused(ms)) {
        pthread_mutex_unlock(&ms->lock);
        return;
    }
    assert(!ms->remote && ms->source == NULL); /* cfmp_queue_refused */
    dispatch_queue_t old_queue = ms->queue;
    uint64_t old_watch = ms->queue_watch;
    ms->queue = NULL;
    ms->queue_watch = 0;
    struct cfmp_listener *listener = NULL;
    if (queue != NULL && ms->listener == NULL) {
        cfmp_log("SetDispatchQueue: dispatch source could not be created (unnamed port)");
    } else if (queue != NULL) {
        dispatch_retain(queue);
        ms->queue = queue;
        listener = cfmp_listener_retain(ms->listener);
    }
    assert(ms->queue == NULL || ms->listener != NULL); /* only a named port takes a queue */
    pthread_mutex_unlock(&ms->lock);
    cfmp_manager_unwatch(old_watch);
    if (old_queue != NULL) dispatch_release(old_queue);
    if (listener == NULL) return;
    uint64_t watch = cfmp_manager_watch_queue(ms, listener);
    cfmp_listener_release(listener);
    pthread_mutex_lock(&ms->lock);
    bool current = ms->valid && ms->queue == queue && ms->queue_watch == 0;
    if (current) ms->queue_watch = watch;
    pthread_mutex_unlock(&ms->lock);
    if (!current) cfmp_manager_unwatch(watch);
}
