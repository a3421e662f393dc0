#!/usr/bin/env bash
# fuzz/smoke.sh — every fuzz target for a short, bounded time (./test.sh runs it as its `fuzz`
# step; docs/fuzzing.md). Each target starts from the committed corpus in a fresh scratch
# folder (build/fuzz-smoke), on one core each, as many at once as there are cores (at most 4):
# the same time per target, the wall time divided.
#
#   PORTSIM_FUZZ_SECONDS   seconds per target (default 20; 0 skips the smoke)
#
# A target passes when fuzz/run.sh finds nothing, or stops on a crash listed in
# fuzz/known-crashes.txt (its fix is due; said so in the output). Ends with the line
# "N passed, N failed, N skipped" (targets). Exit: 0 all passed or skipped, 1 a target failed,
# 2 the fuzz preset did not build.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=(load proto value wire)
seconds=${PORTSIM_FUZZ_SECONDS:-20}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz/smoke.sh: PORTSIM_FUZZ_SECONDS must be a number" >&2; exit 2; }
if [ "$seconds" -eq 0 ]; then
  echo "fuzz smoke skipped (PORTSIM_FUZZ_SECONDS=0)"
  echo "0 passed, 0 failed, ${#targets[@]} skipped"
  exit 0
fi
mkdir -p build
{ cmake --preset fuzz && cmake --build --preset fuzz -j 2; } >build/fuzz.build.log 2>&1 || {
  tail -30 build/fuzz.build.log; echo "fuzz/smoke.sh: the fuzz preset did not build" >&2
  echo "0 passed, 1 failed, 0 skipped"; exit 2; }
rm -rf build/fuzz-smoke
mkdir -p build/fuzz-smoke
cores=$(nproc 2>/dev/null || echo 1)
[ "$cores" -ge 1 ] 2>/dev/null || cores=1
[ "$cores" -le 4 ] || cores=4
passed=0 failed=0
# One batch of at most $cores targets at once; each one's output is printed whole, in target order.
for ((first = 0; first < ${#targets[@]}; first += cores)); do
  batch=("${targets[@]:first:cores}")
  pids=()
  for t in "${batch[@]}"; do
    PORTSIM_FUZZ_WORK=$root/build/fuzz-smoke PORTSIM_FUZZ_BUILD=0 fuzz/run.sh "$t" "$seconds" \
      >"build/fuzz-smoke/$t.out" 2>&1 &
    pids+=($!)
  done
  for i in "${!batch[@]}"; do
    t=${batch[$i]}
    wait "${pids[$i]}"
    rc=$?
    cat "build/fuzz-smoke/$t.out"
    case $rc in
      0 | 3) passed=$((passed + 1)) ;;
      *) failed=$((failed + 1)); echo "FAIL fuzz smoke $t (exit $rc): build/fuzz-smoke/$t/last.log" ;;
    esac
  done
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
