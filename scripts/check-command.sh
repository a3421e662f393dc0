#!/usr/bin/env bash
# check-command.sh [--exit N] [--output ERE]... -- COMMAND [ARG]...
#
# Runs COMMAND and passes (exit 0) only when BOTH hold: its exit status is N
# (default 0), and its output (stdout and stderr together) has a line matching
# every --output extended regular expression. CTest's PASS_REGULAR_EXPRESSION
# alone ignores the exit status (valgrind's error exit 99 after the right text
# would pass), so every command-line test goes through this wrapper instead
# (cmake/PortsimTesting.cmake: portsim_add_command_test). The output is echoed
# so that CTest shows it on failure. Exit 1 when a check fails, 2 on misuse.
set -uo pipefail
usage() { echo "usage: check-command.sh [--exit N] [--output ERE]... -- COMMAND [ARG]..." >&2; exit 2; }
want_exit=0
patterns=()
while [ $# -gt 0 ]; do
  case "$1" in
    --exit) [ $# -ge 2 ] || usage; want_exit="$2"; shift 2 ;;
    --output) [ $# -ge 2 ] || usage; patterns+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
[ $# -ge 1 ] || usage
case "$want_exit" in '' | *[!0-9]*) usage ;; esac
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
got_exit=$?
cat "$out"
status=0
if [ "$got_exit" -ne "$want_exit" ]; then
  echo "check-command: exit status $got_exit, expected $want_exit: $*"
  status=1
fi
for p in "${patterns[@]+"${patterns[@]}"}"; do
  if ! grep -Eq -e "$p" "$out"; then
    echo "check-command: no output line matches /$p/: $*"
    status=1
  fi
done
[ $status -eq 0 ] && echo "check-command: exit $got_exit and ${#patterns[@]} output pattern(s) as expected"
exit $status
