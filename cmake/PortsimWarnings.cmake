# Strict warnings for every target of the project (gcc and clang). They are
# errors only with PORTSIM_WERROR=ON, which every preset sets: a packager's
# plain build with another compiler version must not fail on a new warning.
option(PORTSIM_WERROR "Treat compiler warnings as errors" OFF)
if(PORTSIM_WERROR)
  add_compile_options(-Werror)
endif()
add_compile_options(
  -Wall -Wextra -Wpedantic
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2
  -Wundef -Wpointer-arith -Wwrite-strings -Wimplicit-fallthrough
  -Wcast-align -Wnull-dereference
)
# Assertions stay on in every build type: they are part of the model's contract.
foreach(cfg RELEASE RELWITHDEBINFO MINSIZEREL)
  string(REPLACE "-DNDEBUG" "" CMAKE_C_FLAGS_${cfg} "${CMAKE_C_FLAGS_${cfg}}")
endforeach()
