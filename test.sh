#!/usr/bin/env bash
# portsim: install what is missing, build every preset, run every test.
#   ./test.sh                 all presets: default, valgrind, asan
#   ./test.sh default asan    only these presets
# Ends with the line "N passed, N failed, N skipped" (CTest tests, summed over
# presets). Exit 0 when all passed, 1 when a test failed, 2 on a set-up or
# build error.
set -uo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh || exit 2
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(default valgrind asan)
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0
for p in "${presets[@]}"; do
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
