# ipvsd_library(NAME [DEPS lib...] [EXTRA_LIBS lib...] [TEST_LIBS lib...] [PROGRAM binary])
#   One library per folder: every *.cc beside the CMakeLists.txt except *_test.cc, *_bench.cc
#   and, with PROGRAM, main.cc, which becomes the executable `binary` linked with the library
#   (thin main()s: the program's logic stays in the tested library). Every *_test.cc of the
#   folder goes into one GoogleTest binary NAME_test whose tests are registered with ctest one
#   by one (NAME.Suite.Test, label "unit"), so that a test that calls GTEST_SKIP shows as
#   skipped, not passed. Dependencies are PUBLIC and point one way (DESIGN.md);
#   tools/check_layering.sh checks the #include lines against the same order.
#   A file named *_linux.cc (or *_linux_test.cc) is built only without IPVSD_PORTABLE, and its
#   counterpart *_portable.cc (*_portable_test.cc) only with it (docs/portability.md).
include(GoogleTest)

# Registers every test of the GoogleTest binary `target` with ctest as PREFIX.Suite.Test,
# label "unit"; the list is read from the binary when ctest runs.
function(ipvsd_unit_tests target prefix)
  gtest_discover_tests(${target} TEST_PREFIX ${prefix}. DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()

function(ipvsd_library name)
  cmake_parse_arguments(ARG "" "PROGRAM" "DEPS;EXTRA_LIBS;TEST_LIBS" ${ARGN})
  file(GLOB all_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_srcs)
  set(test_srcs)
  foreach(src ${all_srcs})
    if(IPVSD_PORTABLE AND src MATCHES "_linux(_test)?\\.cc$")
      continue()
    elseif(NOT IPVSD_PORTABLE AND src MATCHES "_portable(_test)?\\.cc$")
      continue()
    endif()
    if(src MATCHES "_test\\.cc$")
      list(APPEND test_srcs ${src})
    elseif(NOT src MATCHES "_bench\\.cc$" AND NOT (ARG_PROGRAM AND src MATCHES "/main\\.cc$"))
      list(APPEND lib_srcs ${src})
    endif()
  endforeach()
  set(target ipvsd_${name})
  if(lib_srcs)
    add_library(${target} STATIC ${lib_srcs})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} ${ARG_EXTRA_LIBS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS} ${ARG_EXTRA_LIBS})
  endif()
  if(ARG_PROGRAM)
    add_executable(${ARG_PROGRAM} ${CMAKE_CURRENT_SOURCE_DIR}/main.cc)
    target_link_libraries(${ARG_PROGRAM} PRIVATE ${target})
  endif()
  if(test_srcs)
    add_executable(${name}_test ${test_srcs})
    target_link_libraries(${name}_test PRIVATE ${target} ipvsd_testing ${ARG_TEST_LIBS}
                          GTest::gtest GTest::gmock GTest::gtest_main)
    ipvsd_unit_tests(${name}_test ${name})
  endif()
endfunction()
