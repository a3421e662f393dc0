#!/usr/bin/env bash
# Builds the default preset and runs every benchmark. Each prints its
# figures and the ratios against a baseline measured in the same run.
#   bench/run.sh            all benchmarks (up to 40 minutes: fuzz/mutants.sh gives each of
#                           16 mutants up to 120 s, after a 120 s baseline campaign)
#   bench/run.sh --quick    shorter runs (mutants.sh skipped)
set -uo pipefail
cd "$(dirname "$0")/.."
PORTSIM_BENCH_DEPS=1 ./scripts/deps.sh || exit 2
cmake --preset default >/dev/null || exit 2
cmake --build --preset default -j "$(nproc 2>/dev/null || echo 2)" \
  --target bench_core bench_sim bench_fuzz portsim cfmp_bench >build/bench.build.log 2>&1 || {
  tail -30 build/bench.build.log; exit 2; }
quick=0
[ "${1:-}" = "--quick" ] && quick=1
b=build/default/bench
status=0
echo "== core: simulated events per second (issue 2)"
if [ $quick = 1 ]; then "$b/core/bench_core" 200000 1 || status=1; else "$b/core/bench_core" || status=1; fi
echo
echo "== simulator: explored runs per second, simulated/wall time (issue 3)"
if [ $quick = 1 ]; then "$b/sim/bench_sim" 20000 || status=1; else "$b/sim/bench_sim" || status=1; fi
echo
echo "== fuzz: generated-and-explored scenarios per second, exhaustive completion (issue 11)"
if [ $quick = 1 ]; then "$b/fuzz/bench_fuzz" 500 20 || status=1; else "$b/fuzz/bench_fuzz" || status=1; fi
echo
if [ $quick = 0 ]; then
  echo "== fuzz: time portsim fuzz --backend posix needs to find each libcfmp mutant (issue 11)"
  echo "   (load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
  ./bench/fuzz/mutants.sh || status=1
  echo
fi
echo "== libcfmp: round trip, throughput, concurrency (issue 4)"
if [ $quick = 1 ]; then "$b/libcfmp/cfmp_bench" --quick || status=1; else "$b/libcfmp/cfmp_bench" || status=1; fi
exit $status
