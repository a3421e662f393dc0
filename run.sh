#!/usr/bin/env bash
# portsim's main job: install what is missing, build (default preset), and
# run the bundled scenario corpus through the simulator.
#   ./run.sh [portsim run options...]
set -uo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh || exit 2
cmake --preset default >/dev/null || exit 2
cmake --build --preset default -j "$(nproc 2>/dev/null || echo 2)" >build/default.build.log 2>&1 || {
  tail -50 build/default.build.log; echo "build failed"; exit 2; }
exec build/default/cli/portsim run scenarios/ "$@"
