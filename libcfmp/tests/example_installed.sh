#!/usr/bin/env bash
# The done-when check: install libcfmp to a temporary prefix, build examples/echo.c against
# the *installed* copy through pkg-config, and run a request/reply between two processes.
# Usage: example_installed.sh BUILD_DIR EXAMPLE_C CC "CFLAGS" "LDFLAGS"
set -euo pipefail
build_dir=$1 example=$2 cc=$3 cflags=${4:-} ldflags=${5:-}
work=$(mktemp -d /tmp/cfmp-example-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cmake --install "$build_dir" --component libcfmp --prefix "$work/prefix" >/dev/null
pc=$(find "$work/prefix" -name libcfmp.pc | head -1)
[ -n "$pc" ] || { echo "libcfmp.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
# shellcheck disable=SC2046,SC2086
"$cc" $cflags -o "$work/echo" "$example" $(pkg-config --cflags --libs libcfmp) $ldflags
export LD_LIBRARY_PATH=$(pkg-config --variable=libdir libcfmp)
export CFMP_RUNTIME_DIR=$work/run
mkdir -m 700 "$CFMP_RUNTIME_DIR"
name="cfmp.example.$$"
mkfifo "$work/ready"
"$work/echo" server "$name" >"$work/ready" &
server_pid=$!
read -r line <"$work/ready"
[ "$line" = ready ] || { echo "server did not start"; exit 1; }
out=$("$work/echo" client "$name")
echo "$out"
[ "$out" = "status 0 reply hello" ]
wait "$server_pid"
server_pid=
echo "example built against the installed libcfmp: OK"
