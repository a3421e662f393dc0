#!/usr/bin/env bash
# Every public header of libcfmp compiles on its own, warning-free, as C (gcc and clang-14,
# C99 and C11, clang with -Werror=implicit-function-declaration as Apple clang defaults to) and
# as C++ (g++ and clang++-14, C++11 to C++20), and with clang's -fblocks; the umbrella header declares what macOS's does
# (the standard C headers, MacTypes, Darwin's __unused); and a C++ program links against
# libcfmp and runs, which proves the declarations are extern "C".
# Usage: headers_check.sh INCLUDE_DIR LIBCFMP_SO. Exit 0 pass, 1 fail, 77 no compiler.
set -euo pipefail
include_dir=$1 library=$2
work=$(mktemp -d /tmp/cfmp-headers-XXXXXX)
trap 'rm -rf "$work"' EXIT
warn=(-Wall -Wextra -Wpedantic -Werror -Wshadow -Wundef)
c_compilers=() cxx_compilers=()
for cc in gcc clang-14; do command -v "$cc" >/dev/null && c_compilers+=("$cc"); done
for cxx in g++ clang++-14; do command -v "$cxx" >/dev/null && cxx_compilers+=("$cxx"); done
[ ${#c_compilers[@]} -gt 0 ] || { echo "no C compiler"; exit 77; }
[ ${#cxx_compilers[@]} -gt 0 ] || echo "note: no C++ compiler, the C++ checks are skipped"
failures=0 checks=0
compile() { # compile LABEL COMPILER ARGS... ; records a failure with the compiler's output
  local label=$1; shift
  checks=$((checks + 1))
  if ! "$@" >"$work/out" 2>&1; then
    echo "FAIL: $label: $*"; sed 's/^/    /' "$work/out" | head -20
    failures=$((failures + 1))
  fi
}
headers=()
while IFS= read -r h; do headers+=("${h#"$include_dir"/}"); done \
  < <(find "$include_dir" -name '*.h' | sort)
for h in "${headers[@]}"; do
  printf '#include <%s>\n#include <%s>\nint main(void) { return 0; }\n' "$h" "$h" >"$work/one.c"
  cp "$work/one.c" "$work/one.cpp"
  for cc in "${c_compilers[@]}"; do
    for std in c99 c11 gnu17; do
      compile "$h as $std" "$cc" -std=$std "${warn[@]}" -Wstrict-prototypes \
        -Werror=implicit-function-declaration -I"$include_dir" -fsyntax-only "$work/one.c"
    done
  done
  for cxx in "${cxx_compilers[@]}"; do
    for std in c++11 c++17 c++20; do
      compile "$h as $std" "$cxx" -std=$std "${warn[@]}" -I"$include_dir" -fsyntax-only \
        "$work/one.cpp"
    done
  done
  # With blocks the headers declare the block forms too (clang only).
  if command -v clang-14 >/dev/null; then
    compile "$h with -fblocks" clang-14 -fblocks -std=c11 "${warn[@]}" -I"$include_dir" \
      -fsyntax-only "$work/one.c"
  fi
  if command -v clang++-14 >/dev/null; then
    compile "$h with -fblocks (C++)" clang++-14 -fblocks -std=c++17 "${warn[@]}" \
      -I"$include_dir" -fsyntax-only "$work/one.cpp"
  fi
done
# What macOS's umbrella header declares, used without any other include.
cat >"$work/umbrella.c" <<'PROG'
#include <CoreFoundation/CoreFoundation.h>
static jmp_buf env;
static void on_signal(int signo __unused) {}
int main(int argc, char **argv __unused) {
    char *copy = (char *)malloc(strlen("abc") + 1);      /* stdlib, string */
    if (copy == NULL || setjmp(env) != 0) return 1;      /* setjmp */
    snprintf(copy, 4, "%s", "abc");                      /* stdio */
    signal(SIGINT, on_signal);                           /* signal */
    assert(isdigit('7') && errno >= 0);                  /* assert, ctype, errno */
    uint32_t u = UINT32_MAX; int64_t wide = INT64_MAX;   /* stdint */
    bool ok = u > 0 && wide > 0 && INT_MAX > 0 && DBL_MAX > 1.0; /* stdbool, limits, float */
    ok = ok && sqrt(4.0) == 2.0 && time(NULL) > 0;       /* math, time */
    ok = ok && setlocale(LC_ALL, NULL) != NULL;          /* locale */
    ok = ok && getpid() > 0 && access("/", F_OK) == 0;   /* unistd, via dispatch.h */
    OSStatus status = noErr; Boolean yes = TRUE; void *none = nil; SInt64 big = 1; UInt32 w = 2;
    printf("%d %d %d %lld %u %" PRIu32 "\n", (int)status, yes, none == NULL, big, w, u & 1u);
    free(copy);
    return ok ? argc - 1 : 1;
}
PROG
for cc in "${c_compilers[@]}"; do
  compile "umbrella header as C ($cc)" "$cc" -std=gnu11 "${warn[@]}" \
    -Werror=implicit-function-declaration -I"$include_dir" -fsyntax-only "$work/umbrella.c"
done
cp "$work/umbrella.c" "$work/umbrella.cpp"
for cxx in "${cxx_compilers[@]}"; do
  compile "umbrella header as C++ ($cxx)" "$cxx" -std=c++17 "${warn[@]}" -Wno-unused-parameter \
    -I"$include_dir" -fsyntax-only "$work/umbrella.cpp"
done
# Linking from C++: the names resolve only if the declarations are extern "C".
cat >"$work/link.cpp" <<'PROG'
#include <CoreFoundation/CoreFoundation.h>
#include <dispatch/dispatch.h>
static void work(void *context) { *static_cast<int *>(context) += 1; }
int main() {
    CFStringRef s = CFStringCreateWithCString(kCFAllocatorDefault, "c++", kCFStringEncodingUTF8);
    if (s == nullptr) return 1;
    CFIndex length = CFStringGetLength(s);
    CFRelease(s);
    int counter = 0;
    dispatch_queue_t q = dispatch_queue_create("cfmp.cxx", DISPATCH_QUEUE_SERIAL);
    dispatch_sync_f(q, &counter, work);
    dispatch_release(q);
    printf("length %ld counter %d\n", static_cast<long>(length), counter);
    return 0;
}
PROG
for cxx in "${cxx_compilers[@]}"; do
  checks=$((checks + 1))
  if "$cxx" -std=c++11 "${warn[@]}" -I"$include_dir" -o "$work/link" "$work/link.cpp" \
       "$library" -Wl,-rpath,"$(dirname "$library")" >"$work/out" 2>&1 &&
     out=$("$work/link") && [ "$out" = "length 3 counter 1" ]; then
    :
  else
    echo "FAIL: linking and running a C++ program with $cxx"; sed 's/^/    /' "$work/out" | head -20
    echo "    output: ${out:-}"
    failures=$((failures + 1))
  fi
done
echo "$checks header checks (${#headers[@]} headers; C: ${c_compilers[*]}; C++: ${cxx_compilers[*]:-none}), $failures failed"
[ "$failures" -eq 0 ]
