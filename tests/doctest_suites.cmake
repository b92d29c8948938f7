# caf_cluster_discover_suites(TARGET PREFIX <p> SUITES <csv> [EXCLUDE <csv>]
#                             [CASE_EXCLUDE <csv>] [SERIAL <csv>]
#                             [ENVIRONMENT <NAME=value>...]
#                             PROPERTIES <set_tests_properties arguments>)
# registers each test case of doctest executable TARGET in the test suites
# matching SUITES (doctest wildcards, comma separated) and none of EXCLUDE,
# whose name matches none of CASE_EXCLUDE, as a CTest test named
# "<p><case>", run with those filters. The cases of the suites matching
# SERIAL get RUN_SERIAL: they run alone even under `ctest -j`. Unlike
# doctest_discover_tests it lists with the suite filters, so one executable
# can be registered twice with different sets (the multi-process suite on
# SQLite and on PostgreSQL) without registering cases that would run nothing.
function(caf_cluster_discover_suites target)
  cmake_parse_arguments(arg "" "PREFIX;SUITES;EXCLUDE;CASE_EXCLUDE;SERIAL"
                        "PROPERTIES;ENVIRONMENT"
                        ${ARGN})
  set(id "${target}_${arg_PREFIX}")
  string(MAKE_C_IDENTIFIER "${id}" id)
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${id}_tests.cmake")
  set(props_file "${CMAKE_CURRENT_BINARY_DIR}/${id}_properties.cmake")
  # The properties are written now, the list of cases after each build.
  set(props "")
  foreach(p IN LISTS arg_PROPERTIES)
    string(APPEND props " [==[${p}]==]")
  endforeach()
  if(arg_ENVIRONMENT)
    # One argument holding the whole list.
    string(APPEND props " ENVIRONMENT [==[${arg_ENVIRONMENT}]==]")
  endif()
  file(WRITE "${props_file}"
       "if(${id}_tests)\n  set_tests_properties(\${${id}_tests} PROPERTIES${props})\nendif()\n")
  add_custom_command(
    TARGET ${target} POST_BUILD
    BYPRODUCTS "${ctest_file}"
    COMMAND "${CMAKE_COMMAND}"
            -D "TEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            -D "PREFIX=${arg_PREFIX}"
            -D "SUITES=${arg_SUITES}"
            -D "EXCLUDE=${arg_EXCLUDE}"
            -D "CASE_EXCLUDE=${arg_CASE_EXCLUDE}"
            -D "SERIAL=${arg_SERIAL}"
            -D "LIST_NAME=${id}_tests"
            -D "PROPERTIES_FILE=${props_file}"
            -D "CTEST_FILE=${ctest_file}"
            -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/doctest_suites_add.cmake"
    VERBATIM)
  # A tree that does not build TARGET (the sanitizer tree of run-tests.sh
  # builds a few targets only) gets one failing placeholder without labels
  # instead of an include error that stops every ctest run.
  set(loader_file "${CMAKE_CURRENT_BINARY_DIR}/${id}_include.cmake")
  file(WRITE "${loader_file}"
       "if(EXISTS \"${ctest_file}\")\n  include(\"${ctest_file}\")\nelse()\n"
       "  add_test(${id}_NOT_BUILT ${id}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${loader_file}")
endfunction()

# caf_cluster_discover_tests(TARGET PROPERTIES <set_tests_properties args>)
# registers the doctest cases of TARGET with CTest: one test per case, as
# doctest_discover_tests does, or, with CAF_CLUSTER_CTEST_PER_FILE, one test
# per source file of cases, named "<TARGET>:<file>" and run with
# --source-file. Each start of a sanitizer-built test executable costs about
# 0.5 s, paid once per CTest test: the sanitizer tree of run-tests.sh runs its
# 561 cases as 67 tests.
function(caf_cluster_discover_tests target)
  cmake_parse_arguments(arg "" "" "PROPERTIES" ${ARGN})
  if(NOT CAF_CLUSTER_CTEST_PER_FILE)
    doctest_discover_tests(${target} PROPERTIES ${arg_PROPERTIES})
    return()
  endif()
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_files.cmake")
  set(props_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_files_properties.cmake")
  set(props "")
  foreach(p IN LISTS arg_PROPERTIES)
    string(APPEND props " [==[${p}]==]")
  endforeach()
  file(WRITE "${props_file}"
       "if(${target}_files)\n  set_tests_properties(\${${target}_files} PROPERTIES${props})\nendif()\n")
  add_custom_command(
    TARGET ${target} POST_BUILD
    BYPRODUCTS "${ctest_file}"
    COMMAND "${CMAKE_COMMAND}"
            -D "TEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            -D "TARGET_NAME=${target}"
            -D "SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}"
            -D "BUILD_ROOT=${CMAKE_BINARY_DIR}"
            -D "LIST_NAME=${target}_files"
            -D "PROPERTIES_FILE=${props_file}"
            -D "CTEST_FILE=${ctest_file}"
            -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/doctest_files_add.cmake"
    VERBATIM)
  set(loader_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_files_include.cmake")
  file(WRITE "${loader_file}"
       "if(EXISTS \"${ctest_file}\")\n  include(\"${ctest_file}\")\nelse()\n"
       "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${loader_file}")
endfunction()
