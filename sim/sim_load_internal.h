/*
 * sim_load_internal.h — shared by the loader's .c files only.
 */
#ifndef SIM_LOAD_INTERNAL_H
#define SIM_LOAD_INTERNAL_H

#include "sim_load.h"
#include "sim_yaml.h"

/* An interning table: name -> dense index (keys live in the arena). */
typedef struct sim_strmap {
    const char **keys; /* by index */
    uint32_t count;
    uint32_t *slots;   /* open addressing: index + 1, 0 = empty */
    uint32_t slot_count;
    uint32_t key_capacity;
} sim_strmap;

void sim_strmap_init(sim_strmap *m);
void sim_strmap_fini(sim_strmap *m);
uint32_t sim_strmap_find(const sim_strmap *m, const char *key); /* SIM_NONE */
/* Index of key, adding it when new (*added); SIM_NONE when out of memory. */
uint32_t sim_strmap_intern(sim_strmap *m, base_arena *arena, const char *key, bool *added);

typedef struct ld {
    const sim_ydoc *doc;
    sim_diag *diag;
    sim_scenario *sc;
    base_arena *arena;
    sim_strmap vars;
    sim_strmap signals;
    sim_strmap processes;
    sim_strmap modes;
    sim_strmap programs[6]; /* by sim_program_kind (threads unused) */
    uint32_t kind_base[6];  /* first program of each kind (contiguous) */
    uint32_t next_program;
    uint32_t next_step;
    uint32_t step_capacity;
    uint32_t program_capacity;
    uint64_t data_bytes; /* known bytes of every data value so far: CM_LIMIT_SCENARIO_BYTES */
    uint64_t size_bytes; /* {size: N} so far: CM_LIMIT_SCENARIO_SIZE_BYTES */
    bool data_budget_reported;
    bool size_budget_reported;
    bool oom;
} ld;

/* ---- tree access (sim_load_value.c) ---- */
const sim_ynode *ld_node(const ld *L, uint32_t index);
sim_loc ld_loc(const ld *L, uint32_t index);
void ld_error(ld *L, uint32_t node, const char *fmt, ...) SIM_PRINTF(3, 4);
void ld_error_at(ld *L, sim_loc loc, const char *fmt, ...) SIM_PRINTF(3, 4);
bool ld_is_null(const ld *L, uint32_t node);
bool ld_is_scalar(const ld *L, uint32_t node);
bool ld_is_plain(const ld *L, uint32_t node, const char *word);
/*
 * Checks node is a mapping with scalar, unique keys from allowed (NULL: any).
 * Returns false when it is not a mapping or a key is not a NUL-free scalar
 * (so callers may read every key's text once it returns true); unknown and
 * duplicate keys are reported and the caller goes on with the known ones (so
 * one typo does not hide other errors).
 */
bool ld_check_map(ld *L, uint32_t node, const char *what, const char *const *allowed);
uint32_t ld_get(const ld *L, uint32_t map, const char *key); /* value node or SIM_NONE */
uint32_t ld_key_node(const ld *L, uint32_t map, const char *key);
/* Value of a required key, or SIM_NONE after an error at the mapping. */
uint32_t ld_require(ld *L, uint32_t map, const char *key, const char *what);
bool ld_check_seq(ld *L, uint32_t node, const char *what);

/* Typed scalars: report and return false on a problem. */
bool ld_string(ld *L, uint32_t node, const char *what, const char **out);
bool ld_ident(ld *L, uint32_t node, const char *what, const char **out);
bool ld_int(ld *L, uint32_t node, const char *what, int64_t min, int64_t max, int64_t *out);
bool ld_bool(ld *L, uint32_t node, const char *what, bool *out);
bool ld_duration(ld *L, uint32_t node, const char *what, uint32_t flags, int64_t *out);
#define LD_DATA_NULL 0x1u /* null allowed */
#define LD_DATA_SIZE 0x2u /* {size: N} allowed */
bool ld_data(ld *L, uint32_t node, const char *what, uint32_t flags, sim_data *out);
/* A reference by name (plain or quoted identifier); null gives name NULL. */
bool ld_ref(ld *L, uint32_t node, const char *what, bool null_ok, sim_ref *out);
void *ld_alloc(ld *L, size_t size);
void ld_oom(ld *L); /* reports "out of memory" once */

/* ---- steps (sim_load_step.c) ---- */
/* Parses the step list at node into program p's steps. */
void ld_program_steps(ld *L, uint32_t node, uint32_t program);
/* N or {min: N, max: N}. */
bool ld_count_range(ld *L, uint32_t node, const char *what, uint32_t *min, uint32_t *max);

/* ---- references (sim_load_resolve.c) ---- */
void ld_resolve(ld *L);

#endif /* SIM_LOAD_INTERNAL_H */
