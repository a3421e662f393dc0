#!/usr/bin/env bash
# fuzz/run.sh TARGET DURATION [libFuzzer options...] — one fuzzing campaign (docs/fuzzing.md).
#
#   TARGET    load | proto | value | wire (fuzz/fuzz_TARGET.c)
#   DURATION  seconds, or with a unit: 90s, 30m, 8h
#
# Builds the `fuzz` preset (clang-14, libFuzzer, ASan + UBSan) when needed, then runs
# build/fuzz/fuzz/fuzz_TARGET on one core with the target's -max_len and dictionary, -timeout,
# -rss_limit_mb=2048, starting from the committed fuzz/corpus/TARGET/ and its regressions (less
# fuzz/known-crashes.txt). New inputs go to a scratch corpus that later campaigns continue from,
# $PORTSIM_FUZZ_WORK/TARGET/corpus (default build/fuzz-work): never into the committed corpus.
# Findings (crash-*, leak-*, timeout-*, oom-*) go to $PORTSIM_FUZZ_WORK/TARGET/artifacts/.
# Ends with one line: executions, rate, coverage (cov, ft), corpus size and findings.
#
# Environment: PORTSIM_FUZZ_WORK (scratch), PORTSIM_FUZZ_TIMEOUT (seconds per input, default 5),
# PORTSIM_FUZZ_BUILD=0 (use the binaries as built), PORTSIM_FUZZ_BUILD_DIR (where they are: default
# build/fuzz; another tree lets a campaign run on new code while one on the old code goes on), PORTSIM_FUZZ_KEEP_GOING=1 (libFuzzer's fork
# mode, one child at a time: the campaign goes on after crashes, leaks, timeouts and OOMs, and
# each finding is replayed afterwards to tell known ones from new ones).
# Exit: 0 no finding (also when stopped by SIGINT or SIGTERM: "interrupted"); 1 a finding (or libFuzzer stopped on an error); 2 usage or build error;
# 3 it stopped on a crash already listed in fuzz/known-crashes.txt (by its signature).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: fuzz/run.sh load|proto|value|wire DURATION[s|m|h] [libFuzzer options...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1 duration=$2
shift 2
case $target in
  load) max_len=16384 ;;  # scenarios: the corpus's are 1-5 KB; bigger inputs mostly repeat
  proto) max_len=16384 ;; # a few lines of a transcript
  value) max_len=1024 ;;  # one value
  wire) max_len=70000 ;;  # one frame past the 64 KiB inline cap, with its record fields
  *) usage ;;
esac
case $duration in
  *h) seconds=$(( ${duration%h} * 3600 )) ;;
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=${duration%s} ;;
  *) seconds=$duration ;;
esac
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

cd "$root"
if [ "${PORTSIM_FUZZ_BUILD:-1}" != 0 ]; then
  mkdir -p build
  { cmake --preset fuzz && cmake --build --preset fuzz -j 2; } >build/fuzz.build.log 2>&1 || {
    tail -30 build/fuzz.build.log; echo "fuzz/run.sh: the fuzz preset did not build (build/fuzz.build.log)" >&2; exit 2; }
fi
binary=${PORTSIM_FUZZ_BUILD_DIR:-$root/build/fuzz}/fuzz/fuzz_$target
[ -x "$binary" ] || { echo "fuzz/run.sh: no $binary" >&2; exit 2; }

work=${PORTSIM_FUZZ_WORK:-$root/build/fuzz-work}/$target
mkdir -p "$work/corpus" "$work/artifacts"
# Seeds: the committed corpus and regressions, less the known crashes (they would stop the run).
known=$(grep -v '^[[:space:]]*#' fuzz/known-crashes.txt | awk 'NF {print $1}')
for f in fuzz/corpus/"$target"/* fuzz/corpus/"$target"/regressions/*; do
  [ -f "$f" ] || continue
  grep -qxF "${f#fuzz/}" <<<"$known" && continue
  cp -n "$f" "$work/corpus/$(basename "$(dirname "$f")")-$(basename "$f")" 2>/dev/null
done
before=$(ls "$work/artifacts" | wc -l)
log=$work/last.log
echo "fuzz/run.sh: fuzz_$target for ${seconds}s, corpus $work/corpus, log $log"
# Leaks are findings: ASan checks at exit and libFuzzer after inputs that malloc more than free.
# fuzz/lsan.supp holds the known ones whose fix is due.
supp=$(grep -qv '^[[:space:]]*\(#\|$\)' fuzz/lsan.supp 2>/dev/null && echo ":suppressions=$root/fuzz/lsan.supp")
keep_going=()
[ "${PORTSIM_FUZZ_KEEP_GOING:-0}" = 1 ] &&
  keep_going=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
export LSAN_OPTIONS=${LSAN_OPTIONS:-print_suppressions=0$supp}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$binary" -max_total_time="$seconds" -max_len="$max_len" -dict="fuzz/$target.dict" \
  -timeout="${PORTSIM_FUZZ_TIMEOUT:-5}" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${keep_going[@]}" "$@" \
  "$work/corpus" >"$log" 2>&1
rc=$?
# Statistics: the final ones, or in fork mode the last status line ("#N: cov: C ft: F ...").
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
if [ -z "$rate" ]; then # fork mode: the average over the whole campaign
  elapsed=$(sed -n 's/.* time: \([0-9]*\)s.*/\1/p' <<<"$last")
  [ -n "$execs" ] && [ "${elapsed:-0}" -gt 0 ] && rate=$((execs / elapsed))
fi
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
if [ "${PORTSIM_FUZZ_KEEP_GOING:-0}" = 1 ]; then
  # Fork mode counts coverage its own way: measure the final corpus as a plain run would.
  inited=$("$binary" -runs=0 -max_len="$max_len" "$work/corpus" 2>&1 | grep -E 'INITED|DONE' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$inited")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$inited")
fi
corp=$(sed -n 's/.* corp: \([0-9]*\(\/[0-9a-zA-Z]*\)\{0,1\}\).*/\1/p' <<<"$last")
found=$(ls -t "$work/artifacts" | head -n $(( $(ls "$work/artifacts" | wc -l) - before )))
summary="fuzz $target: ${execs:-?} executions (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
# The signature (fuzz/known-crashes.txt) that a report holds, or nothing.
known_in() {
  while read -r path sig; do
    [ -n "$sig" ] && grep -qF -- "$sig" "$1" && { echo "$path"; return; }
  done < <(grep -v '^[[:space:]]*#' fuzz/known-crashes.txt | awk 'NF >= 2')
}
if [ "${PORTSIM_FUZZ_KEEP_GOING:-0}" = 1 ] && [ -n "$found" ]; then
  # Fork mode: each finding replayed on its own, its report matched against the known ones.
  new=() known_count=0
  for a in $found; do
    "$binary" -timeout="${PORTSIM_FUZZ_TIMEOUT:-5}" -rss_limit_mb=2048 "$work/artifacts/$a" \
      >"$work/artifacts/$a.report" 2>&1
    if [ $? -eq 0 ]; then
      new+=("$a (does not reproduce alone)")
    elif [ -n "$(known_in "$work/artifacts/$a.report")" ]; then
      known_count=$((known_count + 1))
    else
      new+=("$a")
    fi
  done
  if [ ${#new[@]} -eq 0 ]; then
    echo "$summary; $known_count KNOWN finding(s), listed in fuzz/known-crashes.txt"
    exit 3
  fi
  echo "$summary; ${#new[@]} FINDING(s), $known_count known: ${new[*]} (reports: $work/artifacts/*.report)"
  exit 1
fi
if [ -z "$found" ] && grep -q 'libFuzzer: run interrupted' "$log"; then
  # stopped by a signal (SIGINT, SIGTERM: libFuzzer exits 72): not a finding
  echo "$summary; interrupted, no finding"
  exit 0
fi
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
  grep -E 'ERROR|SUMMARY|fuzz property failed|Test unit written' "$log" | head -8
  path=$(known_in "$log")
  if [ -n "$path" ]; then
    echo "$summary; KNOWN finding, listed in fuzz/known-crashes.txt ($path): ${found:-see $log}"
    exit 3
  fi
  echo "$summary; FINDING (exit $rc): ${found:-see $log}"
  exit 1
fi
echo "$summary; no finding"
