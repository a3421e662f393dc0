#!/usr/bin/env bash
# fuzz/build.sh — an OSS-Fuzz-style build of the fuzz targets, for continuous fuzzing services
# (docs/fuzzing.md, "Continuous fuzzing"). Uses the environment such services set, with local
# defaults, and writes what they expect into $OUT:
#
#   $OUT/portsim_fuzz_TARGET                 the fuzzer
#   $OUT/portsim_fuzz_TARGET.dict            its dictionary
#   $OUT/portsim_fuzz_TARGET.options         libFuzzer options (max_len, timeout, rss limit)
#   $OUT/portsim_fuzz_TARGET_seed_corpus.zip the committed corpus and regressions, less the
#                                            known crashes (fuzz/known-crashes.txt)
#
#   CC (clang-14)  CFLAGS (-O1 -g -fsanitize=fuzzer-no-link,address,undefined)
#   LIB_FUZZING_ENGINE (-fsanitize=fuzzer)  SRC (this checkout)  OUT (build/oss-fuzz/out)
#   WORK (build/oss-fuzz/work: the CMake build folder)
#
# The fuzzers link libfyaml dynamically (a Debian package): a runner image needs libfyaml0.
set -euo pipefail
src=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# OSS-Fuzz's $SRC is the folder holding the checkout; accept either.
[ -f "$src/CMakeLists.txt" ] || src=$src/portsim
out=${OUT:-$src/build/oss-fuzz/out}
work=${WORK:-$src/build/oss-fuzz/work}
cc=${CC:-clang-14}
cflags=${CFLAGS:--O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined}
engine=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
# The sanitizers of CFLAGS, for linking the libraries' users (the agents built on the way).
san=$(grep -o -- '-fsanitize=[^ ]*' <<<"$cflags" | sed 's/fuzzer-no-link,\{0,1\}//; s/,$//' | grep -v '^-fsanitize=$' | tr '\n' ' ' || true)
mkdir -p "$out" "$work"
cmake -S "$src" -B "$work" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$san" -DCMAKE_SHARED_LINKER_FLAGS="$san" \
  -DPORTSIM_BUILD_FUZZ=ON -DPORTSIM_FUZZ_ENGINE="$engine" -DBUILD_TESTING=OFF \
  -DPORTSIM_BUILD_BENCH=OFF -DPORTSIM_BUILD_MUTANTS=OFF >/dev/null
cmake --build "$work" --target portsim_fuzz -j "${JOBS:-2}"
known=$(grep -v '^[[:space:]]*#' "$src/fuzz/known-crashes.txt" | awk 'NF {print $1}')
declare -A max_len=([load]=16384 [proto]=16384 [value]=1024 [wire]=70000)
for bin in "$work"/fuzz/fuzz_*; do
  t=${bin##*/fuzz_}
  name=portsim_fuzz_$t
  cp "$bin" "$out/$name"
  cp "$src/fuzz/$t.dict" "$out/$name.dict"
  printf '[libfuzzer]\nmax_len = %s\ntimeout = 5\nrss_limit_mb = 2048\n' "${max_len[$t]}" >"$out/$name.options"
  seeds=$(mktemp -d)
  for f in "$src"/fuzz/corpus/"$t"/* "$src"/fuzz/corpus/"$t"/regressions/*; do
    [ -f "$f" ] || continue
    rel=${f#"$src"/fuzz/}
    grep -qxF "$rel" <<<"$known" && continue
    cp "$f" "$seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  rm -f "$out/${name}_seed_corpus.zip"
  if command -v zip >/dev/null; then
    (cd "$seeds" && zip -q -r "$out/${name}_seed_corpus.zip" .)
    rm -rf "$seeds"
  else # no zip here: the seeds as a folder
    rm -rf "$out/${name}_seed_corpus"
    mv "$seeds" "$out/${name}_seed_corpus"
  fi
  echo "fuzz/build.sh: $out/$name"
done
