#!/usr/bin/env bash
# libcfmp's compatibility suite (issue 12, item 4): programs written as a macOS developer
# writes them from Apple's documentation, built *unchanged* against the installed libcfmp
# through pkg-config, each with several compilers, then run as server and client processes.
#
#   compat_check.sh build BUILD_DIR WORK_DIR   install libcfmp into WORK_DIR/prefix and build
#       runloop_server, queue_server, client_cli, strings_time with gcc and with clang-14
#       (-Werror=implicit-function-declaration, Apple clang's default) and client_cxx with g++
#       and clang++-14; all with -Wall -Wextra -Werror
#   compat_check.sh run WORK_DIR CASE           CASE: runloop | queue | strings | timeouts
#
# Exit 0 pass, 1 a check failed (the output says which), 2 usage, 77 a compiler is missing.
set -euo pipefail
usage() { echo "usage: $0 build BUILD_DIR WORK_DIR | run WORK_DIR CASE" >&2; exit 2; }
[ $# -ge 1 ] || usage
here=$(cd "$(dirname "$0")" && pwd)

build() {
  local build_dir=$1 work=$2
  for tool in gcc clang-14 g++ clang++-14 pkg-config; do
    command -v "$tool" >/dev/null || { echo "$tool not found: skipped"; exit 77; }
  done
  rm -rf "$work" && mkdir -p "$work/bin"
  cmake --install "$build_dir" --component libcfmp --prefix "$work/prefix" >/dev/null
  local pc; pc=$(find "$work/prefix" -name libcfmp.pc | head -1)
  [ -n "$pc" ] || { echo "libcfmp.pc was not installed"; exit 1; }
  export PKG_CONFIG_PATH; PKG_CONFIG_PATH=$(dirname "$pc")
  local cf; read -r -a cf <<<"$(pkg-config --cflags --libs libcfmp)"
  local warn=(-Wall -Wextra -Werror)
  local failed=0 program cc
  for program in runloop_server queue_server client_cli strings_time; do
    for cc in gcc clang-14; do
      local extra=(); [ "$cc" = clang-14 ] && extra=(-Werror=implicit-function-declaration)
      if ! "$cc" "${warn[@]}" "${extra[@]}" -o "$work/bin/$program-$cc" "$here/$program.c" \
           "${cf[@]}" >"$work/build.log" 2>&1; then
        echo "FAIL: $program with $cc"; head -30 "$work/build.log"; failed=1
      fi
    done
  done
  for cc in g++ clang++-14; do
    if ! "$cc" -std=c++17 "${warn[@]}" -o "$work/bin/client_cxx-$cc" "$here/client_cxx.cpp" \
         "${cf[@]}" >"$work/build.log" 2>&1; then
      echo "FAIL: client_cxx with $cc"; head -30 "$work/build.log"; failed=1
    fi
  done
  pkg-config --variable=libdir libcfmp >"$work/libdir"
  [ "$failed" -eq 0 ] || exit 1
  echo "built $(ls "$work/bin" | wc -l) programs unchanged: $(ls "$work/bin" | tr '\n' ' ')"
}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() { # expect_eq WHAT ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "$1: got '$2', expected '$3'"; fi
}

server_pid=
start_server() { # start_server BINARY NAME LOG: waits for its "ready NAME" line
  local binary=$1 name=$2 log=$3
  "$binary" "$name" 20 >"$log" 2>"$log.err" &
  server_pid=$!
  for _ in $(seq 1 500); do
    grep -q "^ready $name\$" "$log" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.02
  done
  fail "$binary did not start (log: $(cat "$log" "$log.err" 2>/dev/null | head -5))"
  return 1
}
wait_server() { # wait_server WHAT LOG: the server must exit 0 and report what it handled
  local status=0
  wait "$server_pid" || status=$?
  server_pid=
  expect_eq "$1 exits 0" "$status" 0
  grep -q '^server: handled [0-9]* requests$' "$2" || fail "$1 did not report its requests: $(cat "$2")"
}
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT

client() { # client BINARY ARGS...: sets out and status
  status=0
  out=$("$@" 2>&1) || status=$?
}

run_case() {
  local work=$1 case=$2
  export LD_LIBRARY_PATH; LD_LIBRARY_PATH=$(cat "$work/libdir")
  # Short, outside the build tree: socket paths under a deep checkout (a mktemp clone's
  # build/default/libcfmp/tests/compat/...) passed sun_path's 108 bytes and no port was made.
  export CFMP_RUNTIME_DIR; CFMP_RUNTIME_DIR=$(mktemp -d /tmp/cfmp-compat.XXXXXX) || return 1
  chmod 700 "$CFMP_RUNTIME_DIR"
  trap 'rm -rf "$CFMP_RUNTIME_DIR"' EXIT
  local bin=$work/bin name="com.example.cfmp.$case.$$"
  case $case in
  runloop)
    # A run-loop server from each C compiler, driven by the C client of the other.
    for pair in "gcc clang-14" "clang-14 gcc"; do
      read -r s c <<<"$pair"
      start_server "$bin/runloop_server-$s" "$name" "$work/server-$case.log" || continue
      client "$bin/client_cli-$c" "$name" echo "hello"; expect_eq "echo ($s server, $c client)" "$status $out" "0 reply: hello"
      client "$bin/client_cli-$c" "$name" upper "mixed Case 42"
      expect_eq "upper" "$status $out" "0 reply: MIXED CASE 42"
      client "$bin/client_cli-$c" "$name" work "abc123"
      expect_eq "work forwarded to the worker thread" "$status $out" "0 reply: worker: 321cba"
      client "$bin/client_cli-$c" "$name" oneway "ignored"; expect_eq "one-way" "$status $out" "0 sent"
      client "$bin/client_cli-$c" "$name" stats; expect_eq "stats (timers tick)" "$status $out" "0 reply: requests=5 ticking=yes"
      client "$bin/client_cxx-clang++-14" "$name" 20
      expect_eq "C++ client (clang++) against the run-loop server" "$status $(tail -1 <<<"$out")" "0 ok: 0 wrong"
      wait_server "runloop_server-$s" "$work/server-$case.log"
    done
    ;;
  queue)
    # A dispatch-queue server; the C++ client built by each C++ compiler, then the C client.
    for pair in "clang-14 g++" "gcc clang++-14"; do
      read -r s c <<<"$pair"
      start_server "$bin/queue_server-$s" "$name" "$work/server-$case.log" || continue
      client "$bin/client_cli-gcc" "$name" work "0123456789abcdef"
      expect_eq "work on the concurrent queue ($s server)" "$status $out" "0 reply: checksum 11047 of 16 bytes"
      client "$bin/client_cli-gcc" "$name" stats
      expect_eq "requests run on the serial queue" "$status $out" "0 reply: requests=2 queue=com.example.cfmp.requests"
      client "$bin/client_cxx-$c" "$name" 50
      expect_eq "C++ client ($c) against the queue server" "$status $(tail -1 <<<"$out")" "0 ok: 0 wrong"
      grep -q "^quit: bye$" <<<"$out" || fail "the C++ client's quit got no bye: $out"
      # It exits promptly although its watchdog keeps re-arming a dispatch_after.
      local before_ns after_ns
      before_ns=$(date +%s%N)
      wait_server "queue_server-$s" "$work/server-$case.log"
      after_ns=$(date +%s%N)
      [ $(((after_ns - before_ns) / 1000000)) -lt 1000 ] ||
        fail "queue_server-$s took $(((after_ns - before_ns) / 1000000)) ms to exit after quit"
    done
    ;;
  strings)
    for cc in gcc clang-14; do
      client "$bin/strings_time-$cc"
      expect_eq "strings_time ($cc) exit" "$status" 0
      grep -q '^log: \[com.example.cfmp\] pid=42 status=0 ratio=0.50 hex=0xff$' <<<"$out" || fail "log line: $out"
      grep -q '^path: /tmp/com_example_cfmp-7.sock$' <<<"$out" || fail "path: $out"
      grep -q '^external: 12 UTF-8 bytes, 22 UTF-16 bytes$' <<<"$out" || fail "external: $out"
      grep -q '^com.example.cfmp$' <<<"$out" || fail "CFShow output: $out"
      grep -q '^verbose: no (default)$' <<<"$out" || fail "preference default: $out"
      grep -q '^timer: 3 fires in about 150 ms$' <<<"$out" || fail "timer: $out"
      grep -q '^strings_time: ok$' <<<"$out" || fail "strings_time ($cc): $out"
    done
    ;;
  timeouts)
    local start_ns end_ns
    client "$bin/client_cli-clang-14" -w 0.3 "$name.absent" echo x
    expect_eq "no server: exit 3 after the wait" "$status $out" "3 error: no server named $name.absent after 0.3 s"
    start_server "$bin/runloop_server-gcc" "$name" "$work/server-$case.log" || return
    start_ns=$(date +%s%N)
    client "$bin/client_cli-clang-14" -t 0.2 "$name" slow 800
    end_ns=$(date +%s%N)
    expect_eq "a slow reply: receive timeout" "$status $out" "1 error: receive timeout (-2)"
    [ $(((end_ns - start_ns) / 1000000)) -lt 700 ] || fail "the receive timeout took $(((end_ns - start_ns) / 1000000)) ms"
    client "$bin/client_cli-gcc" -t 5 "$name" echo "still serving"
    expect_eq "the server serves on after the timed-out client" "$status $out" "0 reply: still serving"
    client "$bin/client_cli-gcc" "$name" quit; expect_eq "quit" "$status $out" "0 reply: bye"
    wait_server "runloop_server-gcc" "$work/server-$case.log"
    client "$bin/client_cli-gcc" -w 0.2 "$name" echo x
    expect_eq "after quit the name is gone" "$status" 3
    ;;
  *) usage ;;
  esac
  if [ "$failures" -ne 0 ]; then echo "$case: $failures failed"; exit 1; fi
  echo "$case: all passed"
}

case $1 in
build) [ $# -eq 3 ] || usage; build "$2" "$3" ;;
run) [ $# -eq 3 ] || usage; [ -d "$2/bin" ] || { echo "not built: $2"; exit 1; }; run_case "$2" "$3" ;;
*) usage ;;
esac
