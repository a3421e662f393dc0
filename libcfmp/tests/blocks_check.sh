#!/usr/bin/env bash
# The block forms of libcfmp (issue 12, item 2): blocks/blocks_check.c built with clang-14
# -fblocks as C and as C++ (clang++-14), -Werror, linked with -lBlocksRuntime (Debian's
# libblocksruntime-dev), run, and its output checked. libcfmp itself is built by any compiler:
# the block forms are inline in the headers. Skipped (77) without clang-14 or the runtime.
# Usage: blocks_check.sh INCLUDE_DIR LIBCFMP_SO SOURCE [VALGRIND...]
set -euo pipefail
include_dir=$1 library=$2 source=$3
shift 3
command -v clang-14 >/dev/null || { echo "clang-14 not found: skipped"; exit 77; }
if ! echo 'int main(void){return 0;}' | clang-14 -x c - -o /dev/null -lBlocksRuntime 2>/dev/null; then
  echo "libBlocksRuntime not found (libblocksruntime-dev): skipped"; exit 77
fi
work=$(mktemp -d /tmp/cfmp-blocks-XXXXXX)
trap 'rm -rf "$work"' EXIT
flags=(-fblocks -Wall -Wextra -Werror -Werror=implicit-function-declaration -I"$include_dir")
link=("$library" -Wl,-rpath,"$(dirname "$library")" -lBlocksRuntime)
status=0
for lang in c c++; do
  compiler=clang-14; [ "$lang" = c++ ] && compiler=clang++-14
  command -v "$compiler" >/dev/null || { echo "$compiler not found: $lang skipped"; continue; }
  if ! "$compiler" -x "$lang" "${flags[@]}" -o "$work/blocks-$lang" "$source" -x none "${link[@]}" \
       >"$work/build.txt" 2>&1; then
    echo "FAIL: building as $lang"; head -30 "$work/build.txt"; status=1; continue
  fi
  if ! out=$("$@" "$work/blocks-$lang" 2>&1); then
    echo "FAIL: running the $lang build"; echo "$out"; status=1; continue
  fi
  echo "$out" | sed "s/^/[$lang] /"
  grep -q '^blocks: 0 failed$' <<<"$out" || { echo "FAIL: $lang checks"; status=1; }
  [ "$(grep -c '^ok ' <<<"$out")" -eq 8 ] || { echo "FAIL: $lang ran fewer than 8 checks"; status=1; }
done
exit $status
