# portsim_add_test(NAME n SOURCES s... [LIBS l...] [LABELS l...] [TIMEOUT sec] [ARGS a...])
#
# Builds a cmocka (or plain) test binary and registers it with CTest. In the
# `valgrind` preset CMAKE_CROSSCOMPILING_EMULATOR prefixes the command with
# valgrind memcheck (--error-exitcode, leaks included), so every test binary
# runs under memcheck there. PORTSIM_TIMEOUT_MULTIPLIER scales timeouts for
# slow presets (valgrind).
set(PORTSIM_TIMEOUT_MULTIPLIER 1 CACHE STRING "Scale for test timeouts (valgrind: 10)")

function(portsim_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  math(EXPR timeout "${T_TIMEOUT} * ${PORTSIM_TIMEOUT_MULTIPLIER}")
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${timeout} SKIP_RETURN_CODE 77
                       LABELS "${T_LABELS}")
endfunction()
