#!/usr/bin/env bash
# assert-density.sh — how densely the C code of each directory asserts.
#
# Why: the developers' guide asks for assertions at the entry of every
# non-trivial function (TigerBeetle's rule: two per function on average);
# this makes the number visible, per directory, so it can be kept up.
#
# Usage: scripts/assert-density.sh [--list] [--check] [--min N] [--stmts N] [DIR...]
#   DIR      directories to measure (default: core libcfmp conformance), one
#            row each; every *.c and *.h below it, except files under a
#            tests/ directory, is read.
#   --list   also print, per directory, each non-trivial function with fewer
#            than N assertions (file:line: name (statements, assertions)).
#   --check  exit 1 if any non-trivial function has fewer than N assertions.
#   --min N  the assertions a non-trivial function should have (default 2).
#   --stmts N  a function is non-trivial when its body has more than N
#            statements (default 3).
#
# Definitions (a small lexer in awk, not a C parser):
# - A function definition is a `{` at file scope whose preceding text (since
#   the last `;`, `}` or start of file, comments, strings and preprocessor
#   lines removed) ends with `)`. Its name is the first identifier followed
#   by `(` in that text (skipping __attribute__).
# - A statement is a `;` in the body outside parentheses (so `for (;;)` is
#   one statement, and `if (x) return;` is one). A body of more than
#   --stmts statements is non-trivial; getters, one-line wrappers and
#   `return x->y;` are trivial. So are predicates named *_validate: they are
#   what assertions call (a predicate returns false, it does not assert).
# - An assertion is a call of assert, static_assert, _Static_assert or of a
#   macro whose upper-case name contains ASSERT (CFMP_ASSERT_TYPE ...),
#   inside a function body. `assert(x_validate(p))` counts once.
# Output columns: functions, non-trivial functions, assertions (all
# functions), assertions per function, assertions in non-trivial functions
# per non-trivial function, and how many non-trivial functions have fewer
# than --min assertions.
# Exit status: 0, 1 with --check when a function is below --min, 2 on usage.
set -euo pipefail

list=0
check=0
min=2
stmts=3
dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list=1 ;;
    --check) check=1 ;;
    --min) [ $# -ge 2 ] || { echo "assert-density: --min needs a number" >&2; exit 2; }
      min="$2"; shift ;;
    --stmts) [ $# -ge 2 ] || { echo "assert-density: --stmts needs a number" >&2; exit 2; }
      stmts="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "assert-density: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) dirs+=("$1") ;;
  esac
  shift
done
case "$min$stmts" in
  *[!0-9]*|'') echo "assert-density: --min and --stmts take whole numbers" >&2; exit 2 ;;
esac
[ ${#dirs[@]} -gt 0 ] || dirs=(core libcfmp conformance)

printf '%-24s %9s %11s %10s %9s %13s %9s\n' \
  directory functions non-trivial assertions 'per fn' 'per non-triv' "below $min"
below_total=0
for dir in "${dirs[@]}"; do
  if [ ! -d "$dir" ]; then
    echo "assert-density: $dir: not a directory" >&2
    exit 2
  fi
  mapfile -t files < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) \
    -not -path '*/tests/*' | LC_ALL=C sort)
  [ ${#files[@]} -gt 0 ] || files=(/dev/null)
  out=$(awk -v stmts="$stmts" -v min="$min" -v list="$list" -v dir="$dir" '
    # Per file: reset the lexer.
    FNR == 1 { incomment = 0; depth = 0; header = ""; infn = 0; inpp = 0 }
    {
      line = $0
      # Preprocessor lines (and their continuations) are not code here.
      if (inpp) { inpp = (line ~ /\\$/); next }
      if (!incomment && line ~ /^[ \t]*#/) { inpp = (line ~ /\\$/); next }
      # Remove comments, string and character literals (keep "" as a token).
      clean = ""
      n = length(line)
      i = 1
      while (i <= n) {
        c = substr(line, i, 1)
        if (incomment) {
          if (c == "*" && substr(line, i + 1, 1) == "/") { incomment = 0; i += 2; clean = clean " " }
          else i++
          continue
        }
        if (c == "/" && substr(line, i + 1, 1) == "/") break
        if (c == "/" && substr(line, i + 1, 1) == "*") { incomment = 1; i += 2; continue }
        if (c == "\"" || c == "\047") {
          q = c; i++
          while (i <= n) {
            d = substr(line, i, 1)
            if (d == "\\") { i += 2; continue }
            i++
            if (d == q) break
          }
          clean = clean q q
          continue
        }
        clean = clean c
        i++
      }
      n = length(clean)
      for (i = 1; i <= n; i++) {
        c = substr(clean, i, 1)
        if (infn && depth > 0 && c ~ /[A-Za-z_]/ && (i == 1 || substr(clean, i - 1, 1) !~ /[A-Za-z0-9_]/)) {
          rest = substr(clean, i)
          if (match(rest, /^(assert|static_assert|_Static_assert|[A-Z][A-Z0-9_]*ASSERT[A-Z0-9_]*)[ \t]*\(/))
            asserts++
        }
        if (c == "{") {
          if (depth == 0) {
            h = header
            sub(/[ \t]+$/, "", h)
            if (h ~ /\)$/) {
              infn = 1; fnstmts = 0; asserts = 0; paren = 0; fnline = FNR
              name = "?"
              t = h
              while (match(t, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
                cand = substr(t, RSTART, RLENGTH)
                sub(/[ \t]*\($/, "", cand)
                if (cand != "__attribute__") { name = cand; break }
                t = substr(t, RSTART + RLENGTH)
              }
            }
          }
          depth++
          continue
        }
        if (c == "}") {
          if (depth > 0) depth--
          if (depth == 0) {
            if (infn) {
              nfn++
              nassert += asserts
              if (fnstmts > stmts && name !~ /_validate$/) {
                nnontriv++
                nntassert += asserts
                if (asserts < min) {
                  nbelow++
                  if (list) printf "  %s:%d: %s (%d statements, %d assertions)\n", FILENAME, fnline, name, fnstmts, asserts
                }
              }
            }
            infn = 0
            header = ""
          }
          continue
        }
        if (depth == 0) {
          if (c == ";") header = ""
          else header = header c
          continue
        }
        if (infn) {
          if (c == "(") paren++
          else if (c == ")") { if (paren > 0) paren-- }
          else if (c == ";" && paren == 0) fnstmts++
        }
      }
      if (depth == 0) header = header " "
    }
    END {
      pf = nfn ? nassert / nfn : 0
      pn = nnontriv ? nntassert / nnontriv : 0
      printf "ROW %-24s %9d %11d %10d %9.2f %13.2f %9d\n", dir, nfn, nnontriv, nassert, pf, pn, nbelow
    }
  ' "${files[@]}")
  row=$(printf '%s\n' "$out" | sed -n 's/^ROW //p')
  printf '%s\n' "$row"
  below=$(printf '%s\n' "$row" | awk '{ print $NF }')
  below_total=$((below_total + below))
  if [ "$list" = 1 ]; then
    printf '%s\n' "$out" | grep -v '^ROW ' || true
  fi
done
if [ "$check" = 1 ] && [ "$below_total" -gt 0 ]; then
  echo "assert-density: $below_total non-trivial functions have fewer than $min assertions" >&2
  exit 1
fi
exit 0
