/*
 * cm_name.c — port names: sanitizing (R10–R12), the per-process local and
 * remote name tables (R14, R23), and the machine-wide bootstrap registry
 * with launchd's pre-declared services (R15), per-PID services (R20),
 * sandbox rules (R21) and the name-release delay (R62).
 *
 * Every name a program can use comes from a blob, so names are sanitized
 * and interned once, when the world is made: the run only compares ids.
 */
#include "cm_internal.h"

#include <string.h>

/* Length of the UTF-8 sequence starting with byte b (1 for stray bytes). */
static uint32_t utf8_length(uint8_t b)
{
    uint32_t n = 1; /* ASCII, and stray continuation or invalid bytes */
    if ((b & 0xE0) == 0xC0) n = 2;
    else if ((b & 0xF0) == 0xE0) n = 3;
    else if ((b & 0xF8) == 0xF0) n = 4;
    assert(n >= 1 && n <= 4);
    assert(b >= 0x80 || n == 1);
    return n;
}

/*
 * R10/R12: the longest prefix of whole characters within 128 bytes
 * (CFStringGetBytes never splits a character).
 */
static uint32_t sanitized_size(const cm_blob *b)
{
    assert(b != NULL && (b->size_bytes == 0 || b->bytes != NULL));
    uint32_t size = 0;
    for (uint32_t guard = 0; guard <= CM_NAME_MAX_BYTES && size < b->size_bytes; guard++) {
        uint32_t n = utf8_length(b->bytes[size]);
        if (size + n > b->size_bytes || size + n > CM_NAME_MAX_BYTES) break;
        size += n;
    }
    assert(size <= CM_NAME_MAX_BYTES && size <= b->size_bytes);
    return size;
}

static bool blob_is_name(const cm_world_config *cfg, uint32_t blob)
{
    return blob < cfg->blob_count;
}

static uint32_t intern(cm_world *w, uint32_t blob, uint32_t size)
{
    assert(w != NULL && blob < w->cfg.blob_count);
    assert(size <= CM_NAME_MAX_BYTES && size <= w->cfg.blobs[blob].size_bytes); /* sanitized_size */
    const cm_blob *b = &w->cfg.blobs[blob];
    for (uint32_t n = 0; n < w->name_count; n++) {
        const cm_blob *other = &w->cfg.blobs[w->name_blob[n]];
        if (w->name_size[n] == size && memcmp(other->bytes, b->bytes, size) == 0) return n;
    }
    if (w->name_count >= CM_NAME_CAP) return CM_NONE32;
    w->name_blob[w->name_count] = blob;
    w->name_size[w->name_count] = size;
    return w->name_count++;
}

cm_result cm_names_init(cm_world *w)
{
    assert(w != NULL);
    assert(w->name_blob == NULL && w->bootstrap == NULL); /* once per world */
    const cm_world_config *cfg = &w->cfg;
    uint32_t blobs = cfg->blob_count ? cfg->blob_count : 1;
    w->name_blob = cm_mem_realloc(w, NULL, 0, CM_NAME_CAP * sizeof(uint32_t));
    w->name_size = cm_mem_realloc(w, NULL, 0, CM_NAME_CAP * sizeof(uint32_t));
    w->blob_name = cm_mem_realloc(w, NULL, 0, blobs * sizeof(uint32_t));
    w->blob_name128 = cm_mem_realloc(w, NULL, 0, blobs);
    if (w->nomem) return CM_ERR_NOMEM;
    w->name_count = 0;
    for (uint32_t i = 0; i < cfg->blob_count; i++) {
        const cm_blob *b = &cfg->blobs[i];
        uint32_t size = sanitized_size(b);
        bool nul = memchr(b->bytes, 0, size) != NULL; /* R11 */
        w->blob_name[i] = nul || !blob_is_name(cfg, i) ? CM_NONE32 : intern(w, i, size);
        w->blob_name128[i] = size == CM_NAME_MAX_BYTES;
    }
    size_t names = w->name_count ? w->name_count : 1;
    size_t tables = names * (cfg->process_count ? cfg->process_count : 1);
    w->bootstrap = cm_mem_realloc(w, NULL, 0, names * sizeof *w->bootstrap);
    w->local_table = cm_mem_realloc(w, NULL, 0, tables * sizeof(int32_t));
    w->remote_table = cm_mem_realloc(w, NULL, 0, tables * sizeof(int32_t));
    return w->nomem ? CM_ERR_NOMEM : CM_OK;
}

static size_t table_size(const cm_world *w)
{
    size_t names = w->name_count ? w->name_count : 1;
    return names * (w->cfg.process_count ? w->cfg.process_count : 1);
}

void cm_names_fini(cm_world *w)
{
    assert(w != NULL);
    assert(w->name_count <= CM_NAME_CAP);
    uint32_t blobs = w->cfg.blob_count ? w->cfg.blob_count : 1;
    size_t names = w->name_count ? w->name_count : 1;
    if (w->name_blob) cm_mem_realloc(w, w->name_blob, CM_NAME_CAP * sizeof(uint32_t), 0);
    if (w->name_size) cm_mem_realloc(w, w->name_size, CM_NAME_CAP * sizeof(uint32_t), 0);
    if (w->blob_name) cm_mem_realloc(w, w->blob_name, blobs * sizeof(uint32_t), 0);
    if (w->blob_name128) cm_mem_realloc(w, w->blob_name128, blobs, 0);
    if (w->bootstrap) cm_mem_realloc(w, w->bootstrap, names * sizeof *w->bootstrap, 0);
    if (w->local_table) cm_mem_realloc(w, w->local_table, table_size(w) * sizeof(int32_t), 0);
    if (w->remote_table) {
        cm_mem_realloc(w, w->remote_table, table_size(w) * sizeof(int32_t), 0);
    }
}

/* R15: launchd owns the receive rights of its pre-declared services. */
static void register_mach_services(cm_world *w)
{
    assert(w != NULL && w->bootstrap != NULL);
    assert(w->cfg.mach_service_count == 0 || w->cfg.mach_services != NULL);
    for (uint16_t i = 0; i < w->cfg.mach_service_count; i++) {
        uint32_t name = cm_name_of_blob(w, w->cfg.mach_services[i]);
        if (name == CM_NONE32 || w->bootstrap[name].state != CM_BS_FREE) continue;
        int32_t kport = cm_kport_create(w, CM_NONE16, false);
        if (kport < 0) return;
        cm_kport *k = CM_KPORT(w, kport);
        k->launchd_held = 1;
        k->checkin = 1;
        w->bootstrap[name] = (cm_bootstrap_entry){
            .kport = kport, .state = CM_BS_REGISTERED, .name = name, .pid = 0};
        cm_emit(w, CM_EV_NAME_REGISTERED, NULL, CM_NO_PORT,
                CM_EVENT_VALUES(name, .name = (int32_t)name, .kport = kport));
    }
}

void cm_names_reset(cm_world *w)
{
    assert(w != NULL && w->bootstrap != NULL);
    assert(w->local_table != NULL && w->remote_table != NULL && w->name_count <= CM_NAME_CAP);
    size_t names = w->name_count ? w->name_count : 1;
    for (size_t n = 0; n < names; n++) {
        w->bootstrap[n] = (cm_bootstrap_entry){.kport = -1, .state = CM_BS_FREE,
                                               .name = (uint32_t)n, .pid = 0};
    }
    size_t tables = table_size(w);
    for (size_t i = 0; i < tables; i++) {
        w->local_table[i] = CM_NO_PORT;
        w->remote_table[i] = CM_NO_PORT;
    }
    register_mach_services(w);
}

uint32_t cm_name_of_blob(const cm_world *w, uint32_t blob)
{
    if (blob >= w->cfg.blob_count) return CM_NONE32;
    return w->blob_name[blob];
}

int32_t *cm_local_table(cm_world *w, uint16_t process, uint32_t name)
{
    assert(name < w->name_count && process < w->cfg.process_count);
    return &w->local_table[(size_t)process * w->name_count + name];
}

int32_t *cm_remote_table(cm_world *w, uint16_t process, uint32_t name)
{
    assert(name < w->name_count && process < w->cfg.process_count);
    return &w->remote_table[(size_t)process * w->name_count + name];
}

/* R21: a sandboxed process may only use "<group>.<name>" names. */
bool cm_sandbox_allows(const cm_world *w, uint16_t process, uint32_t name)
{
    assert(w != NULL && process < w->cfg.process_count);
    assert(name < w->name_count);
    uint32_t group = w->cfg.processes[process].sandbox_group;
    if (group == CM_NONE32) return true;
    const cm_blob *g = &w->cfg.blobs[group];
    const cm_blob *n = &w->cfg.blobs[w->name_blob[name]];
    uint32_t size = w->name_size[name];
    if (size <= g->size_bytes) return false;
    return memcmp(n->bytes, g->bytes, g->size_bytes) == 0 && n->bytes[g->size_bytes] == '.';
}

/* R12 UNCERTAIN: a 128-byte name may not fit launchd's name_t. */
static bool bootstrap_fits(const cm_world *w, uint32_t name)
{
    assert(w != NULL && name < w->name_count);
    if (w->cfg.profile.name128 != CM_NAME128_REJECT) return true;
    return w->name_size[name] < CM_NAME_MAX_BYTES;
}

/* bootstrap_register2: fails when the name is taken (R16) or denied (R21). */
bool cm_bootstrap_register(cm_world *w, uint16_t process, uint32_t name, int32_t kport)
{
    assert(name < w->name_count && kport >= 0);
    assert(process < w->cfg.process_count);
    cm_bootstrap_entry *e = &w->bootstrap[name];
    if (e->state != CM_BS_FREE) return false;
    if (!cm_sandbox_allows(w, process, name) || !bootstrap_fits(w, name)) return false;
    *e = (cm_bootstrap_entry){.kport = kport, .state = CM_BS_REGISTERED, .name = name};
    cm_emit_process(w, CM_EV_NAME_REGISTERED, process, CM_NO_PORT,
                    CM_EVENT_VALUES(name, .name = (int32_t)name, .kport = kport));
    return true;
}

/* bootstrap_look_up2: the port, even a dead one in the R62 window; else -1. */
int32_t cm_bootstrap_look_up(cm_world *w, uint16_t process, uint32_t name)
{
    assert(name < w->name_count);
    assert(process < w->cfg.process_count);
    const cm_bootstrap_entry *e = &w->bootstrap[name];
    if (e->state == CM_BS_FREE) return -1;
    if (!cm_sandbox_allows(w, process, name) || !bootstrap_fits(w, name)) return -1;
    return e->kport;
}

/* bootstrap_check_in (R15): only for launchd's services, once at a time. */
int32_t cm_bootstrap_check_in(cm_world *w, uint16_t process, uint32_t name)
{
    assert(name < w->name_count);
    assert(process < w->cfg.process_count);
    const cm_bootstrap_entry *e = &w->bootstrap[name];
    if (e->state != CM_BS_REGISTERED) return -1;
    cm_kport *k = CM_KPORT(w, e->kport);
    if (!k->checkin || !k->launchd_held || !k->alive) return -1;
    if (!cm_sandbox_allows(w, process, name)) return -1;
    k->launchd_held = 0;
    k->owner = process;
    k->owner_incarnation = cm_process_at(w, process)->incarnation;
    return e->kport;
}

bool cm_bootstrap_register_per_pid(cm_world *w, uint16_t process, uint32_t name,
                                   int32_t kport)
{
    assert(w != NULL && process < w->cfg.process_count);
    assert(name < w->name_count && kport >= 0);
    uint32_t pid = cm_process_at(w, process)->pid;
    for (uint32_t i = 0; i < w->perpid.count; i++) {
        const cm_bootstrap_entry *e = cm_pool_at(&w->perpid, (int32_t)i);
        if (e->state != CM_BS_FREE && e->name == name && e->pid == pid) return false;
    }
    if (!cm_sandbox_allows(w, process, name) || !bootstrap_fits(w, name)) return false;
    int32_t index = cm_pool_alloc(w, &w->perpid);
    if (index < 0) return false;
    cm_bootstrap_entry *e = cm_pool_at(&w->perpid, index);
    *e = (cm_bootstrap_entry){.kport = kport, .state = CM_BS_REGISTERED, .name = name,
                              .pid = pid};
    cm_emit_process(w, CM_EV_NAME_REGISTERED, process, CM_NO_PORT,
                    CM_EVENT_VALUES(name, .name = (int32_t)name, .kport = kport));
    return true;
}

int32_t cm_bootstrap_look_up_per_pid(cm_world *w, uint32_t name, uint32_t pid)
{
    for (uint32_t i = 0; i < w->perpid.count; i++) {
        const cm_bootstrap_entry *e = cm_pool_at(&w->perpid, (int32_t)i);
        if (e->state != CM_BS_FREE && e->name == name && e->pid == pid) return e->kport;
    }
    return -1;
}

/* launchd notices the dead receive right after name_release_delay (R62). */
static void entry_port_died(cm_world *w, cm_bootstrap_entry *e, int32_t entry)
{
    if (e->state != CM_BS_REGISTERED) return;
    e->state = CM_BS_RELEASING;
    cm_timer_add(w, w->now_ns + w->cfg.profile.name_release_delay_ns, CM_TM_NAME_FREE, entry,
                 0);
}

void cm_bootstrap_port_died(cm_world *w, int32_t kport)
{
    assert(w != NULL && kport >= 0);
    assert(w->bootstrap != NULL || w->name_count == 0);
    for (uint32_t n = 0; n < w->name_count; n++) {
        cm_bootstrap_entry *e = &w->bootstrap[n];
        if (e->kport == kport) entry_port_died(w, e, (int32_t)n);
    }
    for (uint32_t i = 0; i < w->perpid.count; i++) {
        cm_bootstrap_entry *e = cm_pool_at(&w->perpid, (int32_t)i);
        if (e->kport == kport) entry_port_died(w, e, (int32_t)(w->name_count + i));
    }
}

void cm_name_free(cm_world *w, int32_t entry)
{
    assert(entry >= 0);
    assert((uint32_t)entry < w->name_count + w->perpid.count); /* entry_port_died's numbering */
    cm_bootstrap_entry *e = (uint32_t)entry < w->name_count
                                ? &w->bootstrap[entry]
                                : cm_pool_at(&w->perpid, entry - (int32_t)w->name_count);
    if (e->state != CM_BS_RELEASING) return;
    e->state = CM_BS_FREE;
    e->kport = -1;
    cm_emit(w, CM_EV_NAME_RELEASED, NULL, CM_NO_PORT, CM_EVENT_VALUES(name, .name = (int32_t)e->name));
}
