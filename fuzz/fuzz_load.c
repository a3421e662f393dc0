/*
 * fuzz_load.c — the scenario loader on hostile bytes (docs/fuzzing.md).
 *
 * The input is a scenario file. sim_load_buffer must either reject it with
 * at least one `file:line:col: error:` diagnostic or load it; a loaded
 * scenario must pass sim_scenario_validate, compile (sim_compile), and run
 * once on the model with a small event budget (sim_run_model, fifo), which
 * must give a consistent result (sim_result_validate). Nothing may crash, leak or hang.
 */
#include "fuzz_target.h"

#include "sim_compile.h"
#include "sim_load.h"
#include "sim_run.h"

#include <stdlib.h>

/* Trace events per model run: enough for every corpus scenario, small enough to stay fast. */
#define FUZZ_LOAD_MAX_EVENTS UINT64_C(20000)

/* Loads, and when the scenario loads, compiles and runs it once. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sim_diag diag;
    sim_diag_init(&diag, "fuzz.yaml");
    sim_scenario sc;
    bool loaded = sim_load_buffer("fuzz.yaml", data, size, &sc, &diag);
    FUZZ_CHECK(loaded == (sim_diag_total(&diag) == 0), "loaded exactly when no error was reported");
    if (loaded) {
        FUZZ_CHECK(sim_scenario_validate(&sc), "a loaded scenario validates");
        sim_compiled compiled;
        char err[256];
        if (sim_compile(&sc, 0, &compiled, err, sizeof err)) {
            sim_compiled_free(&compiled);
            sim_run_options opt = sim_run_options_default();
            opt.max_events = FUZZ_LOAD_MAX_EVENTS;
            sim_result res;
            sim_run_model(&sc, &opt, &res);
            FUZZ_CHECK(sim_result_validate(&res), "a run's result is consistent");
            sim_result_free(&res);
        }
        sim_scenario_free(&sc);
    }
    sim_diag_fini(&diag);
    return 0;
}
