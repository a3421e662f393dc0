# Strict warnings, as errors, for every target of the project (gcc and clang).
add_compile_options(
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2
  -Wundef -Wpointer-arith -Wwrite-strings -Wimplicit-fallthrough
  -Wcast-align -Wnull-dereference
)
# Assertions stay on in every build type: they are part of the model's contract.
foreach(cfg RELEASE RELWITHDEBINFO MINSIZEREL)
  string(REPLACE "-DNDEBUG" "" CMAKE_C_FLAGS_${cfg} "${CMAKE_C_FLAGS_${cfg}}")
endforeach()
