#!/usr/bin/env bash
# bench/fuzz/mutants.sh — the wall time `portsim fuzz --backend posix` needs
# to find each of libcfmp's 16 mutants without the corpus (issue 11; target:
# all 16 found, median under 60 s on this machine).
#
#   bench/fuzz/mutants.sh [--cap S] [--jobs N] [--seed N] [--only "1 4 16"]
#
# Uses only this build: build/default/cli/portsim and the agents
# build/default/conformance/portsim_agent_posix (the baseline) and
# build/default/conformance/mutants/portsim_agent_posix_mN. Each mutant's
# agent is put where `--backend posix` looks first ($PORTSIM_AGENT_DIR, a
# symlink named portsim_agent_posix), so the run is exactly `portsim fuzz
# --backend posix` (its expectation file, its runtime directory) on the
# mutated libcfmp, from seed 1 (--seed), with a fresh findings folder.
#
# A finding counts for the mutant only when the unmutated libcfmp does not
# give it: its signature is not among those of a baseline campaign of --cap
# seconds over the same seeds (run first), and the same seed fuzzed twice on
# the baseline agent does not give it either. Signatures the
# baseline fails are remembered across mutants. The time is from the start
# of the fuzz run to the FINDING line of the first finding that counts
# (checks run beside the campaign, which goes on meanwhile); a mutant not
# found within --cap seconds (default 120) is MISSED.
set -uo pipefail
cd "$(dirname "$0")/../.."
cap=120
jobs=1
seed=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cap) cap="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: bench/fuzz/mutants.sh [--cap S] [--jobs N] [--seed N] [--only \"IDS\"]" >&2; exit 2 ;;
  esac
done
b=build/default
portsim="$PWD/$b/cli/portsim"
base_agent="$PWD/$b/conformance/portsim_agent_posix"
for f in "$portsim" "$base_agent"; do
  [ -x "$f" ] || { echo "mutants.sh: $f is not built (cmake --build --preset default)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/portsim-mutants.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
baseline_fails="$work/baseline-fails" # signatures the unmutated libcfmp fails too
: >"$baseline_fails"
now() { date +%s.%N; }

# True when the unmutated libcfmp does not give finding SIG for seed SEED: the same generated
# scenario checked exactly as the campaign checks it (`portsim fuzz --seed SEED --runs 1`, whose
# --repeat runs must all fail for a finding), three times, on the baseline agent.
baseline_clean() {
  local i out="$work/baseline-check"
  for i in 1 2 3; do
    rm -rf "$out"
    PORTSIM_AGENT_DIR="$(dirname "$base_agent")" "$portsim" fuzz --backend posix --seed "$1" --runs 1 -o "$out" \
      >/dev/null 2>&1
    [ -e "$out/$2.yaml" ] && return 1
  done
  return 0
}

# One mutant: prints "SECONDS SEED SIGNATURE" of the first finding that counts, or "MISSED".
hunt() {
  local id="$1" agent_dir="$work/agent-m$1" out="$work/findings-m$1"
  mkdir -p "$agent_dir"
  ln -sf "$PWD/$b/conformance/mutants/portsim_agent_posix_m$id" "$agent_dir/portsim_agent_posix"
  local t0 sig="" fseed="" when="" line pid
  t0=$(now)
  exec 3< <(PORTSIM_AGENT_DIR="$agent_dir" exec "$portsim" fuzz --backend posix --time "$cap" --seed "$seed" \
    -j "$jobs" -o "$out" 2>/dev/null)
  pid=$! # the portsim of the process substitution (it execs)
  while IFS= read -r line <&3; do
    case "$line" in
      FINDING*)
        when=$(now)
        sig=$(printf '%s\n' "$line" | awk '{print $2}')
        fseed=$(printf '%s\n' "$line" | awk '{print $4}')
        ;;
      "    saved: "*)
                if grep -qxF "$sig" "$baseline_fails"; then continue; fi
        if awk -v a="$when" -v b="$t0" -v c="$cap" 'BEGIN {exit !(a - b > c)}'; then break; fi # past the cap
        if baseline_clean "$fseed" "$sig"; then
          awk -v a="$when" -v b="$t0" -v s="$fseed" -v g="$sig" 'BEGIN {printf "%.1f %s %s\n", a - b, s, g}'
          kill "$pid" 2>/dev/null
          exec 3<&-
          wait "$pid" 2>/dev/null
          return 0
        fi
        echo "$sig" >>"$baseline_fails"
        ;;
    esac
  done
  kill "$pid" 2>/dev/null
  exec 3<&-
  wait "$pid" 2>/dev/null
  echo MISSED
}

# The unmutated libcfmp's own findings over the same seeds and time: none of them is a mutant's.
echo "baseline: portsim fuzz --backend posix on the unmutated libcfmp, seeds from $seed, -j $jobs, ${cap}s"
PORTSIM_AGENT_DIR="$(dirname "$base_agent")" "$portsim" fuzz --backend posix --time "$cap" --seed "$seed" -j "$jobs" \
  -o "$work/baseline" >"$work/baseline.log" 2>/dev/null
grep '^FINDING' "$work/baseline.log" | awk '{print $2}' | sort -u >>"$baseline_fails"
echo "  $(grep -c '^FINDING' "$work/baseline.log") findings, $(wc -l <"$baseline_fails") signatures (not counted for any mutant); $(grep '^fuzz:' "$work/baseline.log")"
echo "portsim fuzz --backend posix against each libcfmp mutant, no corpus: seeds from $seed, -j $jobs, cap ${cap}s"
echo "(a finding counts when the unmutated libcfmp gives it neither in its campaign nor on the same seed 3 times)"
found=0
tested=0
times=()
names=$(grep -o 'X([0-9]*, [A-Z_]*, "[^"]*"' libcfmp/src/cfmp_mutants.h | sed 's/X(//; s/"//g; s/,//g')
while read -r id name rule; do
  [ -n "$only" ] && ! [[ " $only " == *" $id "* ]] && continue
  if [ ! -x "$b/conformance/mutants/portsim_agent_posix_m$id" ]; then
    printf 'M%-2s %-24s %-8s NOT BUILT\n' "$id" "$name" "$rule"
    continue
  fi
  tested=$((tested + 1))
  r=$(hunt "$id")
  if [ "$r" = MISSED ]; then
    printf 'M%-2s %-24s %-8s MISSED within %ss\n' "$id" "$name" "$rule" "$cap"
  else
    read -r secs fseed sig <<<"$r"
    printf 'M%-2s %-24s %-8s found in %6.1f s (seed %s, %s)\n' "$id" "$name" "$rule" "$secs" "$fseed" "$sig"
    found=$((found + 1))
    times+=("$secs")
  fi
done <<<"$names"
# The median over all tested mutants, a missed one counting as the cap (so it is an upper bound then).
all=("${times[@]}")
for ((i = found; i < tested; i++)); do all+=("$cap"); done
median=$(printf '%s\n' "${all[@]}" | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}')
echo "found $found of $tested mutants; median time to find: ${median} s (a missed mutant counts as the ${cap} s cap)"
echo "target: all 16 found, median under 60 s: $([ "$found" = 16 ] && awk "BEGIN{exit !($median < 60)}" && echo met || echo NOT MET)"
[ "$found" = "$tested" ]
