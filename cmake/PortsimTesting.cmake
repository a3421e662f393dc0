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

# portsim_add_command_test(NAME n [EXIT code] [OUTPUT ere...] [LABELS l...] [TIMEOUT sec]
#                          COMMAND cmd args...)
#
# Registers a command-line test that checks BOTH the exit status (default 0)
# and the output: it runs through scripts/check-command.sh, which passes only
# when the status is `code` and some output line matches every OUTPUT regex.
# Never use PASS_REGULAR_EXPRESSION alone: it makes CTest ignore the exit
# status. cmd is a path (it contains a /) or else the name of an executable
# target, defined here or later (the generator resolves it): its file is used,
# prefixed by CMAKE_CROSSCOMPILING_EMULATOR (valgrind preset), as add_test does.
function(portsim_add_command_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;EXIT" "OUTPUT;LABELS;COMMAND" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  if(NOT DEFINED T_EXIT)
    set(T_EXIT 0)
  endif()
  math(EXPR timeout "${T_TIMEOUT} * ${PORTSIM_TIMEOUT_MULTIPLIER}")
  list(POP_FRONT T_COMMAND cmd)
  if(NOT cmd MATCHES "/")
    set(cmd ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:${cmd}>)
  endif()
  set(checks --exit ${T_EXIT})
  foreach(p IN LISTS T_OUTPUT)
    list(APPEND checks --output "${p}")
  endforeach()
  add_test(NAME ${T_NAME} COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-command.sh ${checks} --
           ${cmd} ${T_COMMAND})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${timeout} LABELS "${T_LABELS}")
endfunction()
