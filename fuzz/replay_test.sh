#!/usr/bin/env bash
# fuzz/replay_test.sh REPLAY — checks the replay driver (fuzz/fuzz_replay.c) itself, with one
# replay binary: a skip list is honoured and said so, bad paths and empty folders are errors
# (exit 2, with a message), inputs run in name order and are counted. CTest: fuzz_replay_driver.
set -uo pipefail
replay=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check NAME EXPECTED_EXIT ACTUAL_EXIT PATTERN FILE
  if [ "$2" != "$3" ] || ! grep -qE -- "$4" "$5"; then
    echo "FAIL $1: exit $3 (wanted $2), output:"; cat "$5"; fails=$((fails + 1))
  else
    echo "ok   $1"
  fi
}
mkdir -p "$tmp/corpus/sub" "$tmp/empty"
printf '\000b-10ms' >"$tmp/corpus/b"
printf '\000a-5us' >"$tmp/corpus/a"
printf '\000c' >"$tmp/corpus/sub/not-entered"
printf 'x' >"$tmp/corpus/.hidden"
printf '# a comment\nb  some signature\nmissing-file\n' >"$tmp/corpus/skip.txt"

"$replay" "$tmp/corpus/a" "$tmp/corpus/b" >"$tmp/out" 2>&1
check "files run and are counted" 0 $? '^fuzz_replay: 2 inputs ran, 0 skipped' "$tmp/out"

"$replay" --skip "$tmp/corpus/skip.txt" "$tmp/corpus" >"$tmp/out" 2>&1
rc=$?
check "listed inputs are skipped, and said so" 0 $rc "skipped $tmp/corpus/b \\(a known crash" "$tmp/out"
check "a folder: its files, not subfolders or dot files" 0 $rc '^fuzz_replay: 2 inputs ran, 1 skipped' "$tmp/out"
check "a listed file that is gone is a note" 0 $rc 'note: .*missing-file, which does not exist' "$tmp/out"
if grep -q 'not-entered\|\.hidden' "$tmp/out"; then echo "FAIL subfolders or dot files ran"; fails=$((fails + 1)); fi
if [ "$(grep -n 'running' "$tmp/out" | head -1 | grep -c '/a ')" != 1 ]; then
  echo "FAIL name order: a first"; cat "$tmp/out"; fails=$((fails + 1)); fi

"$replay" "$tmp/nothing-here" >"$tmp/out" 2>&1
check "a missing path is an error" 2 $? 'nothing-here: No such file' "$tmp/out"
"$replay" "$tmp/empty" >"$tmp/out" 2>&1
check "nothing to run is an error" 2 $? 'no input ran' "$tmp/out"
"$replay" >"$tmp/out" 2>&1
check "no path is a usage error" 2 $? '^usage: ' "$tmp/out"
"$replay" --skip "$tmp/no-list" "$tmp/corpus/a" >"$tmp/out" 2>&1
check "an unreadable skip list is an error" 2 $? 'no-list: No such file' "$tmp/out"
[ "$fails" -eq 0 ]
