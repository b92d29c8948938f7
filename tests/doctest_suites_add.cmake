# Run after each build of a test executable by caf_cluster_discover_suites
# (doctest_suites.cmake): lists its cases in SUITES minus EXCLUDE and writes
# the add_test calls to CTEST_FILE.
set(filters "--test-suite=${SUITES}")
if(EXCLUDE)
  list(APPEND filters "--test-suite-exclude=${EXCLUDE}")
endif()
execute_process(
  COMMAND "${TEST_EXECUTABLE}" ${filters} --list-test-cases
  OUTPUT_VARIABLE output
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list-test-cases failed: ${output}")
endif()
string(REPLACE "\n" ";" lines "${output}")
set(script "")
set(names "")
foreach(line IN LISTS lines)
  if(line STREQUAL "" OR line MATCHES "^\\[doctest\\] " OR line MATCHES "^=+$")
    continue()
  endif()
  # doctest splits --test-case on commas unless they are escaped.
  string(REPLACE "," "\\," escaped "${line}")
  string(APPEND script
         "add_test([==[${PREFIX}${line}]==] [==[${TEST_EXECUTABLE}]==] "
         "[==[--test-case=${escaped}]==]")
  foreach(f IN LISTS filters)
    string(APPEND script " [==[${f}]==]")
  endforeach()
  string(APPEND script ")\n")
  string(APPEND names " [==[${PREFIX}${line}]==]")
endforeach()
string(APPEND script "set(${LIST_NAME}${names})\ninclude([==[${PROPERTIES_FILE}]==])\n")
file(WRITE "${CTEST_FILE}" "${script}")
