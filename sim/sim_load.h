/*
 * sim_load.h — loads a scenario file (docs/scenario-format.md) into a
 * sim_scenario.
 *
 * The loader reads the file itself, checks the bytes, parses YAML into a
 * plain tree (sim_yaml.h), converts it into the scenario structs, resolves
 * every reference and checks the rules of the format. It reports every
 * problem it can find, not only the first, to diag as
 * `file:line:col: error: message`. No libfyaml pointer survives loading.
 *
 * Ownership: on success *out owns its memory (sim_scenario_free); on
 * failure *out is left empty and needs no freeing. diag must have been
 * initialised by the caller (sim_diag_init) and is only appended to.
 */
#ifndef SIM_LOAD_H
#define SIM_LOAD_H

#include "sim_scenario.h"

/* Reads and loads a file. True when the scenario is valid. */
bool sim_load_file(const char *path, sim_scenario *out, sim_diag *diag);

/* Loads from memory; `file` names the input in messages and in the scenario. */
bool sim_load_buffer(const char *file, const uint8_t *bytes, size_t len, sim_scenario *out,
                     sim_diag *diag);

/* Reads a whole file into malloc'd memory, at most max_bytes (+1 to detect more). */
bool sim_read_file(const char *path, size_t max_bytes, uint8_t **bytes, size_t *len,
                   sim_diag *diag);

/*
 * Duration text: an integer or decimal with a unit (ns, us, ms, s), or 0,
 * within +-CM_LIMIT_DURATION_NS whatever the unit (cm_limits.h). With the
 * matching flags also a leading '-', "forever" and "nan".
 * Returns NULL on success, else a static description of the problem.
 */
#define SIM_DUR_NEGATIVE CM_DUR_NEGATIVE
#define SIM_DUR_FOREVER CM_DUR_FOREVER
#define SIM_DUR_NAN CM_DUR_NAN
const char *sim_parse_duration(const char *text, uint32_t flags, int64_t *out_ns);

#endif /* SIM_LOAD_H */
