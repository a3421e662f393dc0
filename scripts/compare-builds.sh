#!/usr/bin/env bash
# compare-builds.sh A B SCENARIOS: runs the corpus with two portsim builds
# (e.g. -O0 and -O2) under fifo and three random seeds, twice each, and
# fails unless every output (results, trace hashes, event counts) is
# byte-identical: same scenario and seed, same trace, on any build.
set -uo pipefail
a="$1" b="$2" dir="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0 runs=0
for args in "--strategy fifo" "--strategy random --seed 1" "--strategy random --seed 2" \
            "--strategy random --seed 3" "--strategy pct --seed 4"; do
  # shellcheck disable=SC2086
  "$a" run --no-color $args "$dir" >"$tmp/a" 2>&1
  # shellcheck disable=SC2086
  "$b" run --no-color $args "$dir" >"$tmp/b" 2>&1
  # shellcheck disable=SC2086
  "$b" run --no-color $args "$dir" >"$tmp/b2" 2>&1
  n=$(grep -c 'hash=0x' "$tmp/a")
  runs=$((runs + n))
  if [ "$n" -eq 0 ]; then echo "no scenario ran with: $args"; status=1; fi
  if ! cmp -s "$tmp/a" "$tmp/b"; then
    echo "-O0 and -O2 differ with: $args"; diff "$tmp/a" "$tmp/b" | head -20; status=1
  fi
  if ! cmp -s "$tmp/b" "$tmp/b2"; then
    echo "two runs of the same build differ with: $args"; status=1
  fi
done
echo "compared $runs scenario runs across builds: $([ $status -eq 0 ] && echo identical || echo DIFFERENT)"
exit $status
