#!/usr/bin/env bash
# parallel_conform_test.sh PORTSIM SCENARIOS: two `portsim conform --backend posix` runs
# started together on one machine (as two CI jobs would be), each itself running two
# scenarios at once (-j 2), on the scenarios that register the most names. Both must pass:
# every run has its own agents and runtime directory, so names never cross between runs.
set -uo pipefail
portsim="$1" dir="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$portsim" conform --backend posix -j 2 --no-color "$dir/naming" "$dir/clients" "$dir/remote" >"$tmp/a" 2>&1 &
a=$!
"$portsim" conform --backend posix -j 2 --no-color "$dir/naming" "$dir/clients" "$dir/remote" >"$tmp/b" 2>&1 &
b=$!
wait $a; ca=$?
wait $b; cb=$?
status=0
for run in a b; do
  code=$ca; [ $run = b ] && code=$cb
  last=$(tail -1 "$tmp/$run")
  if [ "$code" -ne 0 ] || ! echo "$last" | grep -Eq '^[1-9][0-9]* passed, 0 failed, '; then
    echo "run $run: exit $code: $last"; grep -E '^(FAIL|ERROR)' -A6 "$tmp/$run" | head -40; status=1
  fi
done
[ $status -eq 0 ] && echo "two simultaneous conform runs: both passed ($(tail -1 "$tmp/a"); $(tail -1 "$tmp/b"))"
exit $status
