# Run after each build of a test executable by caf_cluster_discover_tests
# (doctest_suites.cmake) with CAF_CLUSTER_CTEST_PER_FILE: lists its cases
# with their source files and writes one add_test per file to CTEST_FILE.
cmake_policy(VERSION 3.22)
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --list-test-cases --reporters=xml
  OUTPUT_VARIABLE output
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list-test-cases failed: ${output}")
endif()
string(REGEX MATCHALL "filename=\"[^\"]*\"" files "${output}")
list(REMOVE_DUPLICATES files)
if(NOT files)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no test case")
endif()
set(script "")
set(names "")
foreach(entry IN LISTS files)
  string(REGEX REPLACE "^filename=\"(.*)\"$" "\\1" path "${entry}")
  # Relative when a compiler launcher (ccache with base_dir) shortened it:
  # then to the build tree's root, where Ninja runs the compiler.
  get_filename_component(full "${path}" ABSOLUTE BASE_DIR "${BUILD_ROOT}")
  file(RELATIVE_PATH relative "${SOURCE_DIR}" "${full}")
  set(name "${TARGET_NAME}:${relative}")
  # doctest compares --source-file with the path the case was compiled
  # from, and splits filters on commas unless they are escaped.
  string(REPLACE "," "\\," escaped "${path}")
  string(APPEND script
         "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] "
         "[==[--source-file=${escaped}]==])\n")
  string(APPEND names " [==[${name}]==]")
endforeach()
string(APPEND script "set(${LIST_NAME}${names})\ninclude([==[${PROPERTIES_FILE}]==])\n")
file(WRITE "${CTEST_FILE}" "${script}")
