#!/usr/bin/env bash
# packaging_test.sh SRC: builds portsim the way a packager does (a plain
# `cmake -DCMAKE_BUILD_TYPE=Release`, no preset, no -Werror), installs it into
# a fresh prefix, and runs the installed portsim with nothing else on PATH:
# the corpus on the model, a part of it on libcfmp (agents and expectation
# files found relative to the installed binary, libcfmp through the agents'
# RPATH), the man page, the pkg-config file. Exit 0 when all of it works.
set -uo pipefail
src="$1"
jobs="${2:-2}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "packaging_test: $*"; exit 1; }

cmake -S "$src" -B "$tmp/b" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DPORTSIM_BUILD_BENCH=OFF \
      -DPORTSIM_BUILD_MUTANTS=OFF >"$tmp/configure.log" 2>&1 || { tail -20 "$tmp/configure.log"; fail "configure failed"; }
cmake --build "$tmp/b" -j "$jobs" >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; fail "build failed"; }
cmake --install "$tmp/b" --prefix "$tmp/p" >"$tmp/install.log" 2>&1 || { tail -20 "$tmp/install.log"; fail "install failed"; }
rm -rf "$tmp/b" # the installed portsim must not need the build tree

p="$tmp/p"
for f in bin/portsim libexec/portsim/portsim_agent_posix libexec/portsim/portsim_agent_model \
         share/portsim/expect/posix.yaml share/man/man1/portsim.1 share/doc/portsim/scenario-format.md share/doc/portsim/semantics.md \
         include/CoreFoundation/CFMessagePort.h; do
  [ -e "$p/$f" ] || fail "not installed: $f"
done
ls "$p"/lib*/pkgconfig/libcfmp.pc >/dev/null 2>&1 || fail "not installed: libcfmp.pc"
grep -q '^\.TH PORTSIM 1' "$p/share/man/man1/portsim.1" || fail "the man page is not a man page"

run() { env -i HOME="$tmp" PATH=/nonexistent "$@"; }
out=$(run "$p/bin/portsim" --version) || fail "--version failed"
case "$out" in "portsim "*) ;; *) fail "--version said: $out" ;; esac
out=$(run "$p/bin/portsim" rules R32) || fail "installed portsim rules R32 failed"
case "$out" in "R32 "*"Sources: "*) ;; *) fail "installed portsim rules R32 said: $(echo "$out" | head -2)" ;; esac
out=$(run "$p/bin/portsim" run --no-color "$src/scenarios" 2>&1); code=$?
[ $code -eq 0 ] || { echo "$out" | tail -20; fail "installed portsim run: exit $code"; }
echo "$out" | grep -Eq '^[1-9][0-9]* passed, 0 failed, ' || fail "installed portsim run: $(echo "$out" | tail -1)"
out=$(run "$p/bin/portsim" conform --backend posix --no-color "$src/scenarios/send" 2>&1); code=$?
[ $code -eq 0 ] || { echo "$out" | tail -20; fail "installed portsim conform --backend posix: exit $code"; }
echo "$out" | grep -q '^backend posix: libcfmp' || fail "conform did not find the posix agent"
echo "$out" | grep -Eq '^[1-9][0-9]* passed, 0 failed, ' || fail "installed conform: $(echo "$out" | tail -1)"
out=$(run "$p/bin/portsim" conform --backend model --no-color "$src/scenarios/naming" 2>&1) || fail "conform --backend model failed"
echo "packaging_test: Release build, install and installed runs: ok ($(echo "$out" | tail -1))"
