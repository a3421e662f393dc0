#!/usr/bin/env bash
# check_command_test.sh WRAPPER: the command-line test wrapper (scripts/check-command.sh)
# fails when either the exit status or the output is wrong, and passes only when both
# are right: the right text with valgrind's error exit 99 must fail (issue 9, item 7).
set -uo pipefail
wrapper="$1"
summary='^[1-9][0-9]* passed, 0 failed, 0 skipped$'
status=0
expect() { # expect WANT_STATUS WHAT ARGS...: the wrapper exits WANT_STATUS on ARGS
  local want="$1" what="$2"
  shift 2
  "$wrapper" "$@" >/dev/null 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then echo "FAIL: $what: wrapper exit $got, expected $want"; status=1
  else echo "ok: $what (wrapper exit $got)"; fi
}
expect 1 "right text, exit 99" --output "$summary" -- sh -c 'echo "3 passed, 0 failed, 0 skipped"; exit 99'
expect 1 "exit 0, wrong text" --output "$summary" -- sh -c 'echo "3 passed, 1 failed, 0 skipped"'
expect 1 "exit 0, zero passed" --output "$summary" -- sh -c 'echo "0 passed, 0 failed, 0 skipped"'
expect 1 "exit 0, no output" --output "$summary" -- true
expect 0 "exit 0, right text" --output "$summary" -- sh -c 'echo "PASS x"; echo "3 passed, 0 failed, 0 skipped"'
expect 0 "text on stderr counts" --output "^oops$" --exit 2 -- sh -c 'echo oops >&2; exit 2'
expect 1 "expected exit 2, got 0" --exit 2 -- true
expect 1 "one of two patterns missing" --output a --output zzz -- echo abc
expect 2 "no command" --exit 0 --
expect 2 "bad exit value" --exit x -- true
exit $status
