#!/usr/bin/env bash
# portsim: install what is missing, build every preset, run every test.
#   ./test.sh                 all presets: default, valgrind, asan, then the fuzz smoke
#   ./test.sh default asan    only these presets (`fuzz`: only the smoke)
# The fuzz smoke (fuzz/smoke.sh, the `fuzz` preset) runs every fuzz target for
# PORTSIM_FUZZ_SECONDS seconds each (default 20; 0 skips it), each target one test.
# Ends with the line "N passed, N failed, N skipped" (CTest tests and fuzz
# targets, summed over presets). Exit 0 when all passed, 1 when a test failed,
# 2 on a set-up or build error.
set -uo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh || exit 2
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(default valgrind asan fuzz)
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0
for p in "${presets[@]}"; do
  if [ "$p" = fuzz ]; then
    echo "=== preset fuzz: build, then each target for ${PORTSIM_FUZZ_SECONDS:-20} s"
    mkdir -p build
    fuzz/smoke.sh | tee build/fuzz-smoke.log
    [ "${PIPESTATUS[0]}" -eq 2 ] && { echo "build failed: fuzz"; echo "0 passed, 1 failed"; exit 2; }
    read -r np nf ns < <(tail -1 build/fuzz-smoke.log | awk '{print $1, $3, $5}')
    echo "--- preset fuzz: $np passed, $nf failed, $ns skipped"
    passed=$((passed + np)) failed=$((failed + nf)) skipped=$((skipped + ns))
    continue
  fi
  echo "=== preset $p: configure and build"
  cmake --preset "$p" >/dev/null || { echo "configure failed: $p"; echo "0 passed, 1 failed"; exit 2; }
  cmake --build --preset "$p" -j "$jobs" >"build/$p.build.log" 2>&1 || {
    tail -50 "build/$p.build.log"; echo "build failed: $p"; echo "0 passed, 1 failed"; exit 2; }
  echo "=== preset $p: test"
  rm -f "build/$p/ctest-junit.xml"
  ctest --preset "$p" -j "$jobs" --output-junit ctest-junit.xml
  read -r np nf ns < <(scripts/junit-count.sh "build/$p/ctest-junit.xml")
  echo "--- preset $p: $np passed, $nf failed, $ns skipped"
  passed=$((passed + np)) failed=$((failed + nf)) skipped=$((skipped + ns))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
[ "$passed" -gt 0 ] || exit 1
