#!/usr/bin/env bash
# load_test.sh — the posix conformance corpus on a busy host, as CI runners are.
#
#   bench/load/load_test.sh [--runs K] [--busy B] [--jobs "1 2"] [--portsim PATH] [SCENARIOS]
#
# For each -j value: one run on the quiet machine (the baseline, measured in the same
# invocation), then K runs beside B busy processes (stress-ng --cpu B when installed, else
# plain shell busy loops; default B = the number of CPUs, so every CPU is busy). Prints each
# run's verdict counts, failing scenarios and wall time (with its ratio to the quiet run), then
# per -j: how many runs passed, the flaky scenarios (failed in some runs only) and the mean
# wall time. Exit 0 when every busy run passed, 1 otherwise, 2 on a usage error.
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=10 busy=$(nproc 2>/dev/null || echo 2) jobs_list="1 2" portsim=build/default/cli/portsim dir=scenarios
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --busy) busy="$2"; shift 2 ;;
    --jobs) jobs_list="$2"; shift 2 ;;
    --portsim) portsim="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "load_test: unknown option $1" >&2; exit 2 ;;
    *) dir="$1"; shift ;;
  esac
done
[ -x "$portsim" ] || { echo "load_test: $portsim is not built (cmake --build --preset default)" >&2; exit 2; }
tmp=$(mktemp -d)
: >"$tmp/details"
busy_pids=()
stop_busy() {
  for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${busy_pids[@]}"; do wait "$p" 2>/dev/null; done
  busy_pids=()
}
trap 'stop_busy; rm -rf "$tmp"' EXIT
start_busy() {
  if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --cpu "$busy" --quiet >/dev/null 2>&1 &
    busy_pids+=($!)
    kind="stress-ng --cpu $busy"
  else
    for _ in $(seq 1 "$busy"); do sh -c 'while :; do :; done' & busy_pids+=($!); done
    kind="$busy shell busy loops"
  fi
  sleep 1 # let the load settle
}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# One corpus run: prints "SECONDS|SUMMARY|FAILING..." for the caller.
one_run() {
  local j="$1" out="$tmp/run.log" t0 t1
  t0=$(now)
  "$portsim" conform --backend posix -j "$j" --no-color "$dir" >"$out" 2>&1
  t1=$(now)
  local failing
  failing=$(grep -E '^(FAIL|ERROR)' "$out" | awk '{print $2}' | tr '\n' ' ')
  # what each failure said (its first checks), for the summary: a flake with its reason
  awk '/^(FAIL|ERROR) /{n=4; print; next} n>0 && /^    [^ ]/ && !/^    (note|host|replay)/ {print; n--}' \
    "$out" >>"$tmp/details"
  echo "$(calc "$t1 - $t0")|$(tail -1 "$out")|$failing"
}

status=0
for j in $jobs_list; do
  base=$(one_run "$j")
  : >"$tmp/details" # the quiet run's own failures are in its summary line
  base_s=${base%%|*}
  echo "== -j $j: quiet baseline: $(printf %.1f "$base_s") s, $(echo "$base" | cut -d'|' -f2)"
  start_busy
  echo "   $runs runs beside $kind"
  passed=0 total_s=0
  : >"$tmp/failures"
  for k in $(seq 1 "$runs"); do
    r=$(one_run "$j")
    s=${r%%|*} summary=$(echo "$r" | cut -d'|' -f2) failing=$(echo "$r" | cut -d'|' -f3)
    total_s=$(calc "$total_s + $s")
    ratio=$(calc "$s / $base_s")
    if echo "$summary" | grep -q ' 0 failed,'; then passed=$((passed + 1)); fi
    for f in $failing; do echo "$f" >>"$tmp/failures"; done
    printf '   run %2d: %5.1f s (%sx quiet), %s%s\n' "$k" "$s" "$ratio" "$summary" "${failing:+; failing: $failing}"
  done
  stop_busy
  flaky=$(sort "$tmp/failures" | uniq -c | awk '{printf "%s (%d of '"$runs"') ", $2, $1}')
  mean=$(calc "$total_s / $runs")
  echo "   -j $j: $passed of $runs busy runs passed; flaky: ${flaky:-none}; mean wall $mean s ($(calc "$mean / $base_s")x quiet)"
  if [ -s "$tmp/details" ]; then
    echo "   what the failures said (first checks of each):"
    cut -c1-300 "$tmp/details" | sed 's/^/     /'
  fi
  : >"$tmp/details"
  [ "$passed" -eq "$runs" ] || status=1
done
exit $status
